#!/usr/bin/env bash
# Makes sure Varnish and its xkey vmod are installed for the Varnish tests (Debian's varnish and
# varnish-modules; tests/it/varnish.rs runs varnishd as the `varnish` user).
set -euo pipefail

if { command -v varnishd >/dev/null 2>&1 || [ -x /usr/sbin/varnishd ]; } \
  && ls /usr/lib/*/varnish/vmods/libvmod_xkey.so >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Varnish and its xkey vmod (Debian packages varnish, varnish-modules)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq varnish varnish-modules >/dev/null
  # The package starts a Varnish on port 6081 as a service; the tests start their own.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet varnish 2>/dev/null; then
    systemctl stop varnish || true
  fi
  exit 0
fi
cat >&2 <<'MSG'
error: the Varnish tests need Varnish and its xkey vmod.
  Debian/Ubuntu: sudo apt-get install varnish varnish-modules
MSG
exit 1
