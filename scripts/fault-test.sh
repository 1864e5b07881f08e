#!/usr/bin/env bash
# Fault test: under a steady load of feedback posts and story updates, PostgreSQL is stopped
# with `pg_ctl stop -m immediate` (a crash) and started again, three times. Afterwards every
# write the server acknowledged must be in the database, nothing it refused may be half-done,
# and the server must serve again within 5 seconds of each restart, without a restart of its
# own. Uses its own throw-away cluster with PostgreSQL's default (durable) settings. Writes the
# figures to docs/FAULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
PORT=${FAULT_PG_PORT:-54339}
HTTP=${FAULT_HTTP_PORT:-3907}
PGBIN=${DATELINE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
DATA=${FAULT_PG_DIR:-/tmp/dateline-fault-pg}

scripts/ensure-postgres.sh
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

say "building dateline"
# Built as `make test` builds it (without DATABASE_URL, which the sqlx macros track), so that
# nothing is compiled again here.
env -u DATABASE_URL cargo build --locked --quiet --bin dateline
BIN=$PWD/target/debug/dateline

say "a throw-away cluster in $DATA on port $PORT (default fsync and synchronous_commit)"
as_pg "$PGBIN/pg_ctl" -D "$DATA" stop -m immediate >/dev/null 2>&1 || true
rm -rf "$DATA"; mkdir -p "$DATA"
[ "$(id -u)" -eq 0 ] && chown postgres "$DATA"
as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust >/dev/null
cat >> "$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = ''
max_connections = 100
CONF
as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w start >/dev/null
trap 'as_pg "$PGBIN/pg_ctl" -D "$DATA" stop -m fast >/dev/null 2>&1 || true' EXIT
psql -q "postgres://postgres@127.0.0.1:$PORT/postgres" -c 'CREATE DATABASE dateline'

say "load, three crashes, and the checks (about a minute)"
FAULT_PG_CTL="$PGBIN/pg_ctl" FAULT_PG_DATA="$DATA" FAULT_AS_ROOT=$([ "$(id -u)" -eq 0 ] && echo 1 || echo 0) \
  FAULT_DB="postgres://postgres@127.0.0.1:$PORT/dateline" FAULT_HTTP_PORT=$HTTP FAULT_BIN=$BIN \
  python3 bench/fault.py
