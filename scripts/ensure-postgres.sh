#!/usr/bin/env bash
# Makes sure the PostgreSQL server binaries that the project-local cluster needs are installed.
# Skipped when DATABASE_URL points at a database of your own.
set -euo pipefail

if [ -n "${DATABASE_URL:-}" ]; then
  exit 0
fi
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1 || [ -n "${DATELINE_PG_BIN:-}" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing PostgreSQL server binaries (Debian package postgresql)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
error: the PostgreSQL server binaries (initdb, pg_ctl) are not installed.
  Debian/Ubuntu: sudo apt-get install postgresql
  or set DATABASE_URL to a PostgreSQL database of your own.
MSG
exit 1
