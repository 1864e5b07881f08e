#!/usr/bin/env bash
# Page-serving benchmark: Dateline against nginx serving the very same story HTML from a file,
# measured in one run with wrk on loopback, the cases interleaved round by round. Writes the
# table and a chart of the ratios to docs/BENCHMARKS.md.
#
#   BENCH_STORIES (10000)  BENCH_DURATION per case and round, s (10)  BENCH_ROUNDS (3)
#   BENCH_CONNECTIONS (64)
set -euo pipefail
cd "$(dirname "$0")/.."

STORIES=${BENCH_STORIES:-10000}
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
CACHED_PORT=3911
UNCACHED_PORT=3912
NGINX_PORT=3913
NGINX_SAME_PORT=3914
say() { printf '==> %s\n' "$*"; }

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing ${need[*]} (sudo apt-get install ${need[*]})" >&2; exit 1
  fi
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

scripts/ensure-postgres.sh
say "building the release binary"
cargo build --release --locked --bin dateline
BIN=target/release/dateline

base=${DATABASE_URL:-$($BIN local-db | tail -n 1)}
admin="${base%/*}/postgres"
url="${base%/*}/dateline_bench_pages"
say "generating $STORIES stories into dateline_bench_pages"
psql -q "$admin" -c 'DROP DATABASE IF EXISTS dateline_bench_pages' -c 'CREATE DATABASE dateline_bench_pages'
DATABASE_URL=$url $BIN migrate >/dev/null

work=$(mktemp -d /tmp/dateline-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

DATABASE_URL=$url $BIN generate --stories "$STORIES"

# Start-up: from launch to the first 200 of the front page, migrations already applied.
say "starting Dateline with the cache (:$CACHED_PORT) and without it (:$UNCACHED_PORT)"
started=$(date +%s%N)
DATABASE_URL=$url RUST_LOG=warn DATELINE_TRUSTED_PROXIES=127.0.0.1 \
  $BIN serve --bind 127.0.0.1:$CACHED_PORT >"$work/cached.log" 2>&1 &
cached_pid=$!; pids+=($cached_pid)
until curl -sf -o /dev/null "http://127.0.0.1:$CACHED_PORT/"; do sleep 0.005; done
startup_ms=$(( ($(date +%s%N) - started) / 1000000 ))
say "start to first 200: $startup_ms ms"
DATABASE_URL=$url RUST_LOG=warn DATELINE_CACHE_MB=0 \
  $BIN serve --bind 127.0.0.1:$UNCACHED_PORT >"$work/uncached.log" 2>&1 &
uncached_pid=$!; pids+=($uncached_pid)
for port in $CACHED_PORT $UNCACHED_PORT; do
  until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do sleep 0.05; done
done

slug=$(psql -qtA "$url" -c "SELECT slug FROM articles WHERE status = 'published' AND NOT archived ORDER BY published_at DESC LIMIT 1")
story="/research-news/$slug"
psql -qtA "$url" -c "SELECT slug FROM articles WHERE status = 'published' AND NOT archived" >"$work/slugs"

say "rendering every story once, so that all $STORIES are cached"
python3 bench/warm_cache.py "http://127.0.0.1:$CACHED_PORT" "$url"
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$cached_pid/status")
say "server resident memory with every story cached: $((rss_kb / 1024)) MB"

# nginx serves the very same page: the bytes Dateline sends, and their gzip as gzip_static.
# On one port with nginx's own headers only; on another with the same response headers
# Dateline sends (cache, Surrogate-Key, security headers, a request id), which a static server
# in front of these pages would have to send too.
mkdir -p "$work/www" "$work/nginx"
curl -sf "http://127.0.0.1:$CACHED_PORT$story" -o "$work/www/story.html"
gzip -6 -k -n "$work/www/story.html"
chmod -R a+rX "$work/www"
curl -sf -D "$work/dateline-headers" -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$CACHED_PORT$story"
python3 - "$work/dateline-headers" >"$work/same-headers.conf" <<'PY'
import sys
wanted = ["cache-control", "vary", "surrogate-key", "content-security-policy", "x-content-type-options",
          "referrer-policy", "x-frame-options", "permissions-policy", "strict-transport-security"]
found = {}
for line in open(sys.argv[1], encoding="latin-1").read().splitlines()[1:]:
    name, _, value = line.partition(":")
    if name.strip().lower() in wanted:
        value = value.strip()
        assert '"' not in value and "$" not in value, value
        found[name.strip().lower()] = value
missing = [n for n in wanted[:8] if n not in found]
assert not missing, f"Dateline sent no {missing}"
for name, value in found.items():
    print(f'    add_header {name} "{value}";')
print("    add_header x-request-id $request_id;")
PY
cat >"$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 65; keepalive_requests 1000000;
  open_file_cache max=1000 inactive=60s; open_file_cache_valid 60s;
  gzip_static on;
  types { text/html html; }
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$NGINX_PORT reuseport;
    root $work/www;
  }
  server {
    listen 127.0.0.1:$NGINX_SAME_PORT reuseport;
    root $work/www;
$(cat "$work/same-headers.conf")
  }
}
EOF
$NGINX -c "$work/nginx.conf" -p "$work"
until curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT/story.html"; do sleep 0.05; done
curl -sfI "http://127.0.0.1:$NGINX_SAME_PORT/story.html" | grep -qi '^content-security-policy:' \
  || { echo "error: nginx does not send the same headers" >&2; exit 1; }

gz='Accept-Encoding: gzip'
etag_of() { curl -sfI -H "$gz" "$1" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r'; }
nginx_etag=$(etag_of "http://127.0.0.1:$NGINX_PORT/story.html")
nginx_same_etag=$(etag_of "http://127.0.0.1:$NGINX_SAME_PORT/story.html")
dateline_etag=$(etag_of "http://127.0.0.1:$CACHED_PORT$story")
# The same bytes on both sides, compressed or not.
cmp <(curl -sf -H "$gz" "http://127.0.0.1:$NGINX_PORT/story.html" | gunzip) \
    <(curl -sf -H "$gz" "http://127.0.0.1:$CACHED_PORT$story" | gunzip)
cmp <(curl -sf "http://127.0.0.1:$NGINX_PORT/story.html") <(curl -sf "http://127.0.0.1:$CACHED_PORT$story")

# The uncached server really compresses what it renders (a stored gzip decodes just as well).
uncached_gz=$(curl -sf -H "$gz" "http://127.0.0.1:$UNCACHED_PORT$story" | wc -c)
uncached_identity=$(curl -sf "http://127.0.0.1:$UNCACHED_PORT$story" | wc -c)
if [ "$uncached_gz" -ge $((uncached_identity / 2)) ]; then
  echo "error: the uncached page is $uncached_gz bytes with gzip, $uncached_identity without" >&2; exit 1
fi
say "story page: $uncached_identity bytes, $uncached_gz with gzip as rendered once"

# The CPU time (user + system, clock ticks) of every thread of these processes so far.
cpu_ticks() {
  local total=0 pid stat fields
  for pid in "$@"; do
    for stat in /proc/"$pid"/task/*/stat; do
      read -r -a fields <"$stat" 2>/dev/null || continue
      # Fields 14 and 15 (utime, stime); the name in field 2 has no spaces here.
      total=$((total + fields[13] + fields[14]))
    done
  done
  echo "$total"
}
nginx_workers=$(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')
server_of() {
  case "$1" in
    nginx*) echo "$nginx_workers" ;;
    *uncached*) echo "$uncached_pid" ;;
    *) echo "$cached_pid" ;;
  esac
}
tick=$(getconf CLK_TCK)

# name | url | extra wrk arguments
cases=(
  "nginx: story page|http://127.0.0.1:$NGINX_PORT/story.html|-H|$gz"
  "nginx, same headers: story page|http://127.0.0.1:$NGINX_SAME_PORT/story.html|-H|$gz"
  "Dateline: cached story page|http://127.0.0.1:$CACHED_PORT$story|-H|$gz"
  "nginx: story page, no Accept-Encoding|http://127.0.0.1:$NGINX_PORT/story.html"
  "nginx, same headers: story page, no Accept-Encoding|http://127.0.0.1:$NGINX_SAME_PORT/story.html"
  "Dateline: cached story page, no Accept-Encoding|http://127.0.0.1:$CACHED_PORT$story"
  "nginx: 304|http://127.0.0.1:$NGINX_PORT/story.html|-H|$gz|-H|If-None-Match: $nginx_etag"
  "nginx, same headers: 304|http://127.0.0.1:$NGINX_SAME_PORT/story.html|-H|$gz|-H|If-None-Match: $nginx_same_etag"
  "Dateline: 304|http://127.0.0.1:$CACHED_PORT$story|-H|$gz|-H|If-None-Match: $dateline_etag"
  "Dateline: uncached story page|http://127.0.0.1:$UNCACHED_PORT$story|-H|$gz"
  "Dateline: uncached, a random story each time|http://127.0.0.1:$UNCACHED_PORT|-s|bench/random_story.lua"
  "Dateline: front page|http://127.0.0.1:$CACHED_PORT/|-H|$gz"
  "Dateline: search|http://127.0.0.1:$CACHED_PORT/search?q=remission|-H|$gz"
  "Dateline: feedback POST|http://127.0.0.1:$CACHED_PORT|-s|bench/feedback.lua"
)
results="$work/results.tsv"
: >"$results"
for round in $(seq 1 "$ROUNDS"); do
  for entry in "${cases[@]}"; do
    IFS='|' read -r -a fields <<<"$entry"
    name=${fields[0]}; target=${fields[1]}; extra=("${fields[@]:2}")
    say "round $round/$ROUNDS: $name"
    # shellcheck disable=SC2046 # the pids, one word each
    before=$(cpu_ticks $(server_of "$name"))
    out=$(BENCH_SLUG=$slug BENCH_SLUGS=$work/slugs wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${extra[@]}" "$target")
    # shellcheck disable=SC2046
    after=$(cpu_ticks $(server_of "$name"))
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    # The server's CPU per answer, in µs (wrk's and PostgreSQL's not included).
    cpu_us=$(awk -v d=$((after - before)) -v t="$tick" -v n="${requests:-0}" \
      'BEGIN { printf "%.1f", (n > 0 ? d * 1e6 / t / n : 0) }')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    errors=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}" "$cpu_us" >>"$results"
    echo "    $rps req/s, p50 $p50, p99 $p99, server CPU $cpu_us µs an answer"
  done
done
rss_after_kb=$(awk '/VmRSS/ {print $2}' "/proc/$cached_pid/status")

python3 scripts/bench-report.py pages "$(date -u +%Y-%m-%d)" "$STORIES" "$CONNECTIONS" "$DURATION" \
  "$ROUNDS" "$startup_ms" "$rss_kb" "$rss_after_kb" "$results"
say "wrote docs/BENCHMARKS.md and docs/bench-pages.svg"
