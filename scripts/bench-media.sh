#!/usr/bin/env bash
# Image benchmark: the renditions of a 24-megapixel JPEG (time), a 50-megapixel upload's peak
# memory, the whole upload through the API, and a cached rendition served by Dateline against
# nginx serving the very same file (wrk on loopback, rounds interleaved). Writes the "Images"
# section of docs/BENCHMARKS.md and docs/bench-media.svg.
#
#   BENCH_DURATION per case and round, s (10)  BENCH_ROUNDS (3)  BENCH_CONNECTIONS (64)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
PORT=3921
NGINX_PORT=3923
NGINX_SAME_PORT=3924
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

work=$(mktemp -d /tmp/dateline-bench-media.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say "making photo-like JPEGs of 24 and 50 megapixels"
$BIN media-bench make --megapixels 24 --out "$work/24mp.jpg"
$BIN media-bench make --megapixels 50 --out "$work/50mp.jpg"

say "renditions of the 24-megapixel JPEG, 5 times, each in a process of its own"
: >"$work/times"
for n in 1 2 3 4 5; do
  read -r ms files bytes peak < <($BIN media-bench process "$work/24mp.jpg")
  echo "    run $n: $ms ms, $files files, $bytes bytes, peak $peak MB"
  echo "$ms" >>"$work/times"
done
median_24=$(sort -n "$work/times" | sed -n 3p)
files_24=$files
say "the 50-megapixel JPEG, 3 times: peak memory of the process"
: >"$work/peaks"
for n in 1 2 3; do
  read -r ms files bytes peak < <($BIN media-bench process "$work/50mp.jpg")
  echo "    run $n: $ms ms, $files files, peak $peak MB"
  echo "$peak $ms" >>"$work/peaks"
done
read -r peak_50 ms_50 < <(sort -n "$work/peaks" | tail -n 1)

base=${DATABASE_URL:-$($BIN local-db | tail -n 1)}
admin="${base%/*}/postgres"
url="${base%/*}/dateline_bench_media"
psql -q "$admin" -c 'DROP DATABASE IF EXISTS dateline_bench_media' -c 'CREATE DATABASE dateline_bench_media'
DATABASE_URL=$url $BIN migrate >/dev/null
say "loading the demo (its images are drawn and uploaded)"
DATABASE_URL=$url $BIN demo
echo 'bench-password-42-long' | DATABASE_URL=$url $BIN user add --email bench@example.org --name Bench --role editor >/dev/null
token=$(DATABASE_URL=$url $BIN token add --email bench@example.org --name bench | tail -n 1)

DATABASE_URL=$url RUST_LOG=warn $BIN serve --bind 127.0.0.1:$PORT >"$work/server.log" 2>&1 &
server_pid=$!; pids+=($server_pid)
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; do sleep 0.05; done

say "uploading the 24-megapixel JPEG through the API, 3 times (new bytes each time)"
: >"$work/uploads"
for n in 1 2 3; do
  # One byte changed after the end-of-image marker: new bytes, so the renditions are made again.
  cp "$work/24mp.jpg" "$work/up-$n.jpg"; printf '%s' "$n" >>"$work/up-$n.jpg"
  seconds=$(curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" \
    -F "file=@$work/up-$n.jpg;type=image/jpeg" -F "alt=A benchmark photo" \
    "http://127.0.0.1:$PORT/api/v1/media")
  echo "    upload $n: $seconds s"
  echo "$seconds" >>"$work/uploads"
done
upload_24=$(sort -n "$work/uploads" | sed -n 2p)

# The file served: the demo chart's 1200-pixel PNG rendition (a social card's).
hash=$(psql -qtA "$url" -c "SELECT blob_hash FROM media_renditions WHERE width = 1200 AND content_type = 'image/png' ORDER BY blob_hash LIMIT 1")
path="/media/$hash.png"
mkdir -p "$work/www/media" "$work/nginx"
curl -sf "http://127.0.0.1:$PORT$path" -o "$work/www/media/$hash.png"
size=$(wc -c <"$work/www/media/$hash.png")
chmod -R a+rX "$work/www"
curl -sf -D "$work/dateline-headers" -o /dev/null "http://127.0.0.1:$PORT$path"
python3 - "$work/dateline-headers" >"$work/same-headers.conf" <<'PY'
import sys
wanted = ["cache-control", "content-security-policy", "x-content-type-options", "referrer-policy",
          "x-frame-options", "permissions-policy", "strict-transport-security"]
for line in open(sys.argv[1], encoding="latin-1").read().splitlines()[1:]:
    name, _, value = line.partition(":")
    if name.strip().lower() in wanted:
        value = value.strip()
        assert '"' not in value and "$" not in value, value
        print(f'    add_header {name.strip().lower()} "{value}";')
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
  types { image/png png; }
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
until curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT$path"; do sleep 0.05; done
cmp <(curl -sf "http://127.0.0.1:$NGINX_PORT$path") <(curl -sf "http://127.0.0.1:$PORT$path")
say "the file: $path, $size bytes, the same from both servers"

results="$work/results.tsv"
: >"$results"
cases=(
  "nginx: image file|http://127.0.0.1:$NGINX_PORT$path"
  "nginx, same headers: image file|http://127.0.0.1:$NGINX_SAME_PORT$path"
  "Dateline: cached rendition|http://127.0.0.1:$PORT$path"
)
for round in $(seq 1 "$ROUNDS"); do
  for entry in "${cases[@]}"; do
    IFS='|' read -r name target <<<"$entry"
    say "round $round/$ROUNDS: $name"
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$target")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    errors=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}" >>"$results"
    echo "    $rps req/s, p50 $p50, p99 $p99"
  done
done
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")

python3 scripts/bench-report.py media "$(date -u +%Y-%m-%d)" "$CONNECTIONS" "$DURATION" "$ROUNDS" \
  "$median_24" "$files_24" "$peak_50" "$ms_50" "$upload_24" "$size" "$rss_kb" "$results"
say "wrote docs/BENCHMARKS.md and docs/bench-media.svg"
