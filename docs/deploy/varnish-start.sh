#!/bin/sh
# Starts Varnish in the foreground with docs/deploy/dateline.vcl, its backend and the addresses
# allowed to purge taken from the environment:
#   DATELINE_BACKEND_HOST (dateline), DATELINE_BACKEND_PORT (3000),
#   PURGERS: more addresses or CIDR ranges allowed to purge, space-separated (Dateline's).
set -eu
host=${DATELINE_BACKEND_HOST:-dateline}
port=${DATELINE_BACKEND_PORT:-3000}
acl=""
for purger in ${PURGERS:-}; do
  case $purger in
    */*) acl="$acl \"${purger%/*}\"/${purger#*/};" ;;
    *) acl="$acl \"$purger\";" ;;
  esac
done
sed -e "s/\.host = \"127\.0\.0\.1\";/.host = \"$host\";/" \
    -e "s/\.port = \"3000\";/.port = \"$port\";/" \
    -e "s#^    \"::1\";#    \"::1\";$acl#" \
    /etc/varnish/dateline.vcl > /tmp/dateline.vcl
exec varnishd -F -a :6081 -f /tmp/dateline.vcl -s "malloc,${VARNISH_MEMORY:-256m}" \
  -p http_gzip_support=off -j unix,user=varnish
