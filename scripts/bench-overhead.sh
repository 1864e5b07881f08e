#!/usr/bin/env bash
# Cost of the access log and metrics on a cached story page (issue 27): two release binaries,
# BEFORE (without them) and AFTER, serving the same database at the same time, measured with
# wrk in one run, the cases interleaved round by round. Logs go to a file, as in production.
#
#   scripts/bench-overhead.sh BEFORE_BIN AFTER_BIN
#   BENCH_DURATION per case and round, s (10)  BENCH_ROUNDS (3)  BENCH_CONNECTIONS (64)
#   BENCH_LOG_TO=/dev/null: logs thrown away instead of written to a file (formatting cost
#   apart from the disk's)
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=$1
AFTER=$2
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
base=${DATABASE_URL:?DATABASE_URL names a PostgreSQL database}
admin="${base%/*}/postgres"
url="${base%/*}/dateline_bench_overhead"
psql -q "$admin" -c 'DROP DATABASE IF EXISTS dateline_bench_overhead' -c 'CREATE DATABASE dateline_bench_overhead'
DATABASE_URL=$url $AFTER migrate >/dev/null
DATABASE_URL=$url $AFTER generate --stories 200 >/dev/null

work=$(mktemp -d /tmp/dateline-overhead.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# case name, port, binary, extra environment
cases=(
  "before|3921|$BEFORE|"
  "after, text log, metrics on|3922|$AFTER|DATELINE_METRICS_BIND=127.0.0.1:3932"
  "after, JSON log, metrics on|3923|$AFTER|DATELINE_METRICS_BIND=127.0.0.1:3933 DATELINE_LOG_FORMAT=json"
  "after, access log off, metrics on|3924|$AFTER|DATELINE_METRICS_BIND=127.0.0.1:3934 RUST_LOG=info,sqlx=warn,dateline::access=off"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name port bin extra <<<"$c"
  env DATABASE_URL="$url" RUST_LOG=info $extra "$bin" serve --bind "127.0.0.1:$port" \
    >>"${BENCH_LOG_TO:-$work/$port.log}" 2>&1 &
  pids+=($!)
done
slug=$(psql -qtA "$url" -c "SELECT slug FROM articles WHERE status = 'published' AND NOT archived ORDER BY published_at DESC LIMIT 1")
story="/research-news/$slug"
for c in "${cases[@]}"; do
  IFS='|' read -r name port bin extra <<<"$c"
  until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do sleep 0.05; done
  for _ in 1 2 3; do curl -sf -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port$story"; done
done

declare -A total
for round in $(seq "$ROUNDS"); do
  for c in "${cases[@]}"; do
    IFS='|' read -r name port bin extra <<<"$c"
    rps=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H 'Accept-Encoding: gzip' \
      "http://127.0.0.1:$port$story" | awk '/^Requests\/sec/ {print $2}')
    echo "round $round  $name: $rps /s"
    total[$name]=$(echo "${total[$name]:-0} + $rps" | bc)
  done
done
before=$(echo "${total[before]} / $ROUNDS" | bc -l)
echo
echo "| case | requests/s (mean of $ROUNDS) | vs before |"
echo "|---|---:|---:|"
for c in "${cases[@]}"; do
  IFS='|' read -r name port bin extra <<<"$c"
  mean=$(echo "${total[$name]} / $ROUNDS" | bc -l)
  printf '| %s | %.0f | %+.1f %% |\n' "$name" "$mean" "$(echo "($mean / $before - 1) * 100" | bc -l)"
done
for c in "${cases[@]}"; do
  IFS='|' read -r name port bin extra <<<"$c"
  if [ -f "$work/$port.log" ]; then echo "$name: $(wc -l <"$work/$port.log") log lines"; fi
done
