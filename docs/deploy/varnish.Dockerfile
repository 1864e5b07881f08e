# syntax=docker/dockerfile:1
# Varnish with the xkey vmod in front of Dateline (docker-compose.yml's `varnish` service):
# Debian 12's varnish and varnish-modules, the packages the tests run against.
FROM debian:bookworm-slim
# Versions are not pinned (see .hadolint.yaml).
RUN apt-get update \
 && apt-get install -y --no-install-recommends varnish varnish-modules \
 && rm -rf /var/lib/apt/lists/*
COPY docs/deploy/dateline.vcl /etc/varnish/dateline.vcl
COPY docs/deploy/varnish-start.sh /usr/local/bin/varnish-start
# No USER: varnishd starts as root only to set up its jail, then runs as `varnish` (the
# manager) and `vcache` (the cache process), as Debian's own service does.
EXPOSE 6081
ENTRYPOINT ["/usr/local/bin/varnish-start"]
