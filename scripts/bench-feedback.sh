#!/usr/bin/env bash
# Feedback throughput: accepted feedback posts per second through the whole server (wrk on
# loopback) against pgbench inserting single rows into the same table, in one run on one
# database. Writes the figures and a chart to docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
PORT=${BENCH_PORT:-3901}

say() { printf '==> %s\n' "$*"; }

scripts/ensure-postgres.sh
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    say "installing wrk"; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "error: wrk is missing (sudo apt-get install wrk)" >&2; exit 1
  fi
fi
PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -n 1)

say "building the release binary"
cargo build --release --locked --bin dateline
BIN=target/release/dateline

base=${DATABASE_URL:-$($BIN local-db | tail -n 1)}
admin="${base%/*}/postgres"
url="${base%/*}/dateline_bench"
say "preparing database dateline_bench"
psql -q "$admin" -c 'DROP DATABASE IF EXISTS dateline_bench' -c 'CREATE DATABASE dateline_bench'
DATABASE_URL=$url $BIN demo >/dev/null
slug=long-term-remission-her2-positive-metastatic-breast-cancer
article=$(psql -qtA "$url" -c "SELECT id FROM articles WHERE slug = '$slug'")

say "starting the server on 127.0.0.1:$PORT"
DATABASE_URL=$url RUST_LOG=warn DATELINE_TRUSTED_PROXIES=127.0.0.1 DATELINE_DB_POOL_SIZE=${BENCH_POOL:-10} \
  $BIN serve --bind 127.0.0.1:$PORT >/tmp/dateline-bench.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

say "warming up (3 s)"
BENCH_SLUG=$slug wrk -t2 -c"$CONNECTIONS" -d3s -s bench/feedback.lua "http://127.0.0.1:$PORT" >/dev/null

# Interleaved rounds (server, then pgbench, ROUNDS times), each after a checkpoint, so that a
# passing disturbance of the machine weighs on both sides alike.
sed "s/ARTICLE_ID/$article/" bench/feedback-insert.sql > /tmp/dateline-feedback-insert.sql
count_server_posts() { psql -qtA "$url" -c "SELECT count(*) FROM feedback WHERE status = 'new' AND comment LIKE 'bench %'"; }
before=$(count_server_posts)
total=0; non2xx=0; pg_sum=0; p50s=(); p99s=()
for round in $(seq 1 "$ROUNDS"); do
  psql -qtA "$url" -c CHECKPOINT >/dev/null
  say "round $round/$ROUNDS: wrk, feedback posts through the server (${DURATION} s, $CONNECTIONS connections)"
  wrk_out=$(BENCH_SLUG=$slug wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/feedback.lua "http://127.0.0.1:$PORT")
  echo "$wrk_out" | grep -E 'Requests/sec|Non-2xx|^ +(50|99)%' || true
  n=$(echo "$wrk_out" | awk '/Non-2xx/ {print $NF}'); non2xx=$((non2xx + ${n:-0}))
  total=$((total + $(echo "$wrk_out" | awk '/requests in/ {print $1}')))
  p50s+=("$(echo "$wrk_out" | awk '$1=="50%" {print $2}')")
  p99s+=("$(echo "$wrk_out" | awk '$1=="99%" {print $2}')")

  psql -qtA "$url" -c CHECKPOINT >/dev/null
  say "round $round/$ROUNDS: pgbench, single-row inserts into feedback (${DURATION} s, $CONNECTIONS clients)"
  pg_out=$($PGBENCH -n -c "$CONNECTIONS" -j 2 -T "$DURATION" -f /tmp/dateline-feedback-insert.sql "$url")
  tps=$(echo "$pg_out" | awk -F'= ' '/^tps/ {split($2, a, " "); print a[1]}')
  echo "tps = $tps"
  pg_sum=$(python3 -c "print($pg_sum + $tps)")
done
after=$(count_server_posts)
accepted=$((total - non2xx))
stored=$((after - before))
server_rate=$(python3 -c "print(round($accepted / ($DURATION * $ROUNDS), 1))")
pg_rate=$(python3 -c "print(round($pg_sum / $ROUNDS, 1))")
ratio=$(python3 -c "print(round($server_rate / $pg_rate, 2))")
# The median round's latencies.
p50=$(printf '%s\n' "${p50s[@]}" | sort -V | sed -n "$(( (ROUNDS + 1) / 2 ))p")
p99=$(printf '%s\n' "${p99s[@]}" | sort -V | sed -n "$(( (ROUNDS + 1) / 2 ))p")

kill $server 2>/dev/null || true
date=$(date -u +%Y-%m-%d)
say "accepted posts/s: $server_rate (stored $stored of $accepted accepted), pgbench inserts/s: $pg_rate, ratio: $ratio"
if [ "$stored" -lt "$accepted" ]; then
  echo "error: $accepted posts were accepted but only $stored stored" >&2; exit 1
fi

python3 scripts/bench-report.py feedback "$date" "$server_rate" "$pg_rate" "$ratio" "$p50" "$p99" "$CONNECTIONS" "$ROUNDS rounds of $DURATION s" "$accepted" "$non2xx"
say "wrote docs/BENCHMARKS.md and docs/bench-feedback.svg"
