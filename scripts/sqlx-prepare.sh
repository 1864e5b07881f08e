#!/usr/bin/env bash
# Regenerates .sqlx/, the query cache that lets the crate build without a database.
# The queries are checked against a scratch database built from migrations/ with psql, so this
# works even when the new queries do not compile offline yet.
set -euo pipefail
cd "$(dirname "$0")/.."

base_url=${DATABASE_URL:-}
if [ -z "$base_url" ]; then
  scripts/ensure-postgres.sh
  # The last committed binary is enough to start the local cluster; build it offline if needed.
  if [ ! -x target/debug/dateline ]; then
    git stash --include-untracked --quiet && stashed=1 || stashed=0
    cargo build --quiet --bin dateline || true
    [ "$stashed" = 1 ] && git stash pop --quiet
  fi
  base_url=$(target/debug/dateline local-db | tail -n 1)
fi
scratch_url="${base_url%/*}/dateline_sqlx"
admin_url="${base_url%/*}/postgres"

psql -q "$admin_url" -c 'DROP DATABASE IF EXISTS dateline_sqlx' -c 'CREATE DATABASE dateline_sqlx'
for migration in migrations/*.sql; do
  psql -q -v ON_ERROR_STOP=1 "$scratch_url" -f "$migration" >/dev/null
done

rm -rf .sqlx && mkdir .sqlx
cargo clean -p dateline
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$PWD/.sqlx" DATABASE_URL="$scratch_url" cargo check --all-targets --locked
echo "wrote $(ls .sqlx | wc -l) queries to .sqlx/"
