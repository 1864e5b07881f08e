#!/usr/bin/env bash
# Search latency over a generated data set (100,000 stories by default; BENCH_STORIES to change):
# p50 / p95 / p99 of GET /search through the whole server, written to docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

STORIES=${BENCH_STORIES:-100000}
ROUNDS=${BENCH_ROUNDS:-600}
PORT=${BENCH_PORT:-3902}
say() { printf '==> %s\n' "$*"; }

scripts/ensure-postgres.sh
say "building the release binary"
cargo build --release --locked --bin dateline
BIN=target/release/dateline

base=${DATABASE_URL:-$($BIN local-db | tail -n 1)}
admin="${base%/*}/postgres"
url="${base%/*}/dateline_bench_search"
say "generating $STORIES stories into dateline_bench_search"
psql -q "$admin" -c 'DROP DATABASE IF EXISTS dateline_bench_search' -c 'CREATE DATABASE dateline_bench_search'
DATABASE_URL=$url $BIN generate --stories "$STORIES"

say "starting the server on 127.0.0.1:$PORT"
DATABASE_URL=$url RUST_LOG=warn $BIN serve --bind 127.0.0.1:$PORT >/tmp/dateline-bench-search.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

say "measuring $ROUNDS sequential searches"
result=$(python3 bench/search_latency.py "http://127.0.0.1:$PORT" "$ROUNDS")
echo "$result"
kill $server 2>/dev/null || true
python3 scripts/bench-report.py search "$(date -u +%Y-%m-%d)" "$STORIES" "$result"
say "wrote docs/BENCHMARKS.md and docs/bench-search.svg"
