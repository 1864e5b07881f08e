#!/usr/bin/env bash
# Cost of the access log and metrics on a cached story page (issue 27): two release binaries,
# BEFORE (without them) and AFTER, serving the same database at the same time, measured with
# wrk in one run, the cases interleaved round by round. Logs go to a file, as in production.
#
#   scripts/bench-overhead.sh BEFORE_BIN AFTER_BIN
#   BENCH_DURATION per case and round, s (10)  BENCH_ROUNDS (3)  BENCH_CONNECTIONS (64)
#   BENCH_LOG_TO=/dev/null: logs thrown away instead of written to a file (formatting cost
#   apart from the disk's)
# Besides requests a second (which other work on the machine moves), each case's server CPU
# time per request is read from /proc (user + system, every thread, the log writer's
# included): the cost itself, much less moved by what else runs.
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
# BEFORE gets a database of its own, made by itself, when AFTER has newer migrations (a binary
# refuses a database migrated past it); `generate` writes the same stories into both.
before_url="${base%/*}/dateline_bench_overhead_before"
psql -q "$admin" -c 'DROP DATABASE IF EXISTS dateline_bench_overhead' -c 'CREATE DATABASE dateline_bench_overhead' \
  -c 'DROP DATABASE IF EXISTS dateline_bench_overhead_before' -c 'CREATE DATABASE dateline_bench_overhead_before'
DATABASE_URL=$url $AFTER migrate >/dev/null
DATABASE_URL=$url $AFTER generate --stories 200 >/dev/null 2>&1
DATABASE_URL=$before_url $BEFORE migrate >/dev/null
DATABASE_URL=$before_url $BEFORE generate --stories 200 >/dev/null 2>&1

work=$(mktemp -d /tmp/dateline-overhead.XXXXXX)
pids=()
declare -A pid_of
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  psql -q "$admin" -c 'DROP DATABASE IF EXISTS dateline_bench_overhead' \
    -c 'DROP DATABASE IF EXISTS dateline_bench_overhead_before' 2>/dev/null || true
}
trap cleanup EXIT

# case name, port, binary, extra environment
cases=(
  "before|3921|$BEFORE|"
  "after, text log, metrics on|3922|$AFTER|DATELINE_METRICS_BIND=127.0.0.1:3932"
  "after, JSON log, metrics on|3923|$AFTER|DATELINE_METRICS_BIND=127.0.0.1:3933 DATELINE_LOG_FORMAT=json"
  "after, access log off, metrics on|3924|$AFTER|DATELINE_METRICS_BIND=127.0.0.1:3934 RUST_LOG=info,sqlx=warn,dateline::access=off"
  "after, access log off, metrics off|3925|$AFTER|RUST_LOG=info,sqlx=warn,dateline::access=off"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name port bin extra <<<"$c"
  db=$url
  if [ "$name" = before ]; then db=$before_url; fi
  env DATABASE_URL="$db" RUST_LOG=info $extra "$bin" serve --bind "127.0.0.1:$port" \
    >>"${BENCH_LOG_TO:-$work/$port.log}" 2>&1 &
  pids+=($!)
  pid_of[$port]=$!
done
slug=$(psql -qtA "$url" -c "SELECT slug FROM articles WHERE status = 'published' AND NOT archived ORDER BY published_at DESC LIMIT 1")
story="/research-news/$slug"
for c in "${cases[@]}"; do
  IFS='|' read -r name port bin extra <<<"$c"
  until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do sleep 0.05; done
  for _ in 1 2 3; do curl -sf -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port$story"; done
  echo "$name: the page is $(curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port$story" | wc -c) bytes (gzip)"
done

# CPU ticks (user + system) the process has used.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
declare -A total cpu_total
for round in $(seq "$ROUNDS"); do
  for c in "${cases[@]}"; do
    IFS='|' read -r name port bin extra <<<"$c"
    t0=$(ticks "${pid_of[$port]}")
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port$story")
    t1=$(ticks "${pid_of[$port]}")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    us=$(echo "($t1 - $t0) / $hz * 1000000 / $requests" | bc -l)
    printf 'round %s  %s: %s /s, %.2f µs CPU a request\n' "$round" "$name" "$rps" "$us"
    total[$name]=$(echo "${total[$name]:-0} + $rps" | bc)
    cpu_total[$name]=$(echo "${cpu_total[$name]:-0} + $us" | bc -l)
  done
done
before=$(echo "${total[before]} / $ROUNDS" | bc -l)
echo
cpu_before=$(echo "${cpu_total[before]} / $ROUNDS" | bc -l)
echo "| case | requests/s (mean of $ROUNDS) | vs before | server CPU a request | vs before |"
echo "|---|---:|---:|---:|---:|"
for c in "${cases[@]}"; do
  IFS='|' read -r name port bin extra <<<"$c"
  mean=$(echo "${total[$name]} / $ROUNDS" | bc -l)
  cpu=$(echo "${cpu_total[$name]} / $ROUNDS" | bc -l)
  printf '| %s | %.0f | %+.1f %% | %.2f µs | %+.1f %% |\n' "$name" "$mean" \
    "$(echo "($mean / $before - 1) * 100" | bc -l)" "$cpu" "$(echo "($cpu / $cpu_before - 1) * 100" | bc -l)"
done
rows=()
for c in "${cases[@]}"; do
  IFS='|' read -r name port bin extra <<<"$c"
  if [ -f "$work/$port.log" ]; then echo "$name: $(wc -l <"$work/$port.log") log lines"; fi
  rows+=("$name|$(echo "${total[$name]} / $ROUNDS" | bc -l)|$(echo "${cpu_total[$name]} / $ROUNDS" | bc -l)")
done
# The chart (docs/bench-overhead.svg); the table and its reading go into docs/BENCHMARKS.md by hand.
python3 scripts/bench-report.py overhead "$(date -u '+%Y-%m-%d %H:%M UTC')" "${rows[@]}"
echo "chart: docs/bench-overhead.svg"
