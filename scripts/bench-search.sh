#!/usr/bin/env bash
# Search over a generated data set (100,000 stories by default), measured in one run:
#   1. latency: p50/p95/p99 of sequential uncached GET /search over one kept-alive connection,
#      synonyms and spelling correction on (the demo's starter set loaded);
#   2. distinct uncached queries at 64 connections (the page cache off), requests a second;
#   3. a Zipf-distributed mix of 1,000 realistic queries at 64 connections, the cache on.
# With BENCH_BEFORE_BIN (a release binary of an earlier commit, e.g. built with
# `git worktree add /tmp/before <ref> && cargo build --release` there) the first two are measured
# for it too, on a copy of the same data, one after the other: the A/B of docs/BENCHMARKS.md.
#
#   BENCH_STORIES (100000)  BENCH_ROUNDS sequential searches (600)  BENCH_DURATION s (15)
#   BENCH_CONNECTIONS (64)  BENCH_BEFORE_BIN (unset: no A/B)
set -euo pipefail
cd "$(dirname "$0")/.."

STORIES=${BENCH_STORIES:-100000}
ROUNDS=${BENCH_ROUNDS:-600}
DURATION=${BENCH_DURATION:-15}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
BEFORE=${BENCH_BEFORE_BIN:-}
PORT=3902
say() { printf '==> %s\n' "$*"; }

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then echo "error: wrk is missing (sudo apt-get install wrk)" >&2; exit 1; fi
  say "installing wrk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
scripts/ensure-postgres.sh
say "building the release binary"
cargo build --release --locked --bin dateline
BIN=target/release/dateline

base=${DATABASE_URL:-$($BIN local-db | tail -n 1)}
admin="${base%/*}/postgres"
url="${base%/*}/dateline_bench_search"
before_url="${base%/*}/dateline_bench_search_before"
work=$(mktemp -d /tmp/dateline-bench-search.XXXXXX)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
python3 bench/search_queries.py > "$work/queries.txt"

psql -q "$admin" -c 'DROP DATABASE IF EXISTS dateline_bench_search' -c 'DROP DATABASE IF EXISTS dateline_bench_search_before'
if [ -n "$BEFORE" ]; then
  say "generating $STORIES stories with the earlier binary, then copying them for this one"
  psql -q "$admin" -c 'CREATE DATABASE dateline_bench_search_before'
  DATABASE_URL=$before_url "$BEFORE" generate --stories "$STORIES"
  DATABASE_URL=$before_url "$BEFORE" demo >/dev/null
  psql -q "$admin" -c 'CREATE DATABASE dateline_bench_search TEMPLATE dateline_bench_search_before'
  say "migrating the copy (the word list of $STORIES stories is built here)"
  DATABASE_URL=$url $BIN migrate
else
  say "generating $STORIES stories into dateline_bench_search"
  psql -q "$admin" -c 'CREATE DATABASE dateline_bench_search'
  DATABASE_URL=$url $BIN generate --stories "$STORIES"
fi
say "loading the demo (its stories and starter synonym sets)"
DATABASE_URL=$url $BIN demo
psql -q "$url" -c 'VACUUM ANALYZE' ; [ -n "$BEFORE" ] && psql -q "$before_url" -c 'VACUUM ANALYZE'

# start NAME BINARY DATABASE CACHE_MB: a server on $PORT, the search limit out of the way.
start() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  DATABASE_URL=$3 DATELINE_CACHE_MB=$4 DATELINE_SEARCH_PER_MINUTE=1000000000 RUST_LOG=warn \
    "$2" serve --bind 127.0.0.1:$PORT >"$work/$1.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.1; done
  echo "error: the server did not start" >&2; cat "$work/$1.log" >&2; exit 1
}
# rate NAME MIX: requests a second (and non-2xx answers) of wrk with bench/search_mix.lua.
rate() {
  BENCH_QUERIES="$work/queries.txt" BENCH_MIX=$2 wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
    -s bench/search_mix.lua "http://127.0.0.1:$PORT/" > "$work/$1.wrk"
  local rps errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$1.wrk")
  errors=$(awk '/Non-2xx/ {print $5}' "$work/$1.wrk"); errors=${errors:-0}
  printf '%s %s\n' "$rps" "$errors"
}

declare -A R
for side in before after; do
  if [ "$side" = before ]; then
    [ -n "$BEFORE" ] || continue
    bin=$BEFORE; db=$before_url
  else
    bin=$BIN; db=$url
  fi
  say "$side: $ROUNDS sequential uncached searches (cache off)"
  start "$side-latency" "$bin" "$db" 0
  R[$side-latency]=$(python3 bench/search_latency.py "http://127.0.0.1:$PORT" "$ROUNDS" "$work/queries.txt")
  echo "${R[$side-latency]}"
  say "$side: distinct uncached queries, $CONNECTIONS connections, ${DURATION}s (cache off)"
  R[$side-distinct]=$(rate "$side-distinct" turn)
  echo "${R[$side-distinct]} (requests/s, non-2xx)"
  if [ "$side" = after ]; then
    say "after: Zipf mix of 1,000 queries, $CONNECTIONS connections, ${DURATION}s (cache on)"
    start "$side-zipf" "$bin" "$db" 64
    rate "$side-zipf-warm" zipf >/dev/null
    R[$side-zipf]=$(rate "$side-zipf" zipf)
    echo "${R[$side-zipf]} (requests/s, non-2xx)"
  fi
done
kill "$server" 2>/dev/null || true; server=""

python3 scripts/bench-report.py search "$(date -u +%Y-%m-%d)" "$STORIES" \
  "${R[after-latency]}" "${R[after-distinct]}" "${R[after-zipf]}" \
  "${R[before-latency]:-}" "${R[before-distinct]:-}" "${BEFORE:+$(basename "$BEFORE")}"
say "wrote docs/BENCHMARKS.md and docs/bench-search.svg"
