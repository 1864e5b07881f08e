#!/usr/bin/env bash
# Schemathesis (PyPI) against /api/openapi.json with an admin token, with every check and no
# exclusion: each answer must not be a server error and must match the document (status,
# content type, headers, body); a request the document calls valid must be accepted
# (positive_data_acceptance) and one it calls invalid refused (negative_data_rejection), so the
# document must state exactly what the server takes; bad or missing tokens get 401
# (ignored_auth); a PATCH without its required If-Match is refused (missing_required_header);
# a deleted story reads 404 (use_after_free), and so on. The coverage phase (boundary values of
# every rule) runs as well as the fuzzing and stateful phases, but for the three operations
# whose body carries "a correction needs its note" as an `if`/`then`: schemathesis 4.32.5's
# coverage phase reads the `then`'s `required` as unconditional (scripts/schemathesis.toml).
#
# scripts/schemathesis.toml adds statuses the contract gives, besides schemathesis's defaults:
# 412 (an If-Match naming another version) and 428 (an empty If-Match) answer a valid request
# (positive_data_acceptance); 412 also refuses an invalid one whose If-Match is stale, as
# preconditions are evaluated before the content (RFC 9110 §13.2.2; negative_data_rejection);
# and a PATCH without If-Match is a 428 (RFC 6585, as the contract says; missing_required_header).
#
# scripts/schemathesis_hooks.py makes three drawn values realistic in the cases meant to be
# valid, because their rules depend on stored data or on two fields, which no schema can state:
# an article's `topics` (they must exist), an archive's `superseded_by` (a published story other
# than the one archived), and a review's dates (not due before it was done). The requests the
# hooks make are counted apart. One more rule is stated loosely, as JSON Schema cannot count
# bytes: `body_markdown` is at most 200,000 bytes of UTF-8 (CONTRACT §1), stated as
# `maxLength: 200000` characters; no generator draws 200,000 characters of several bytes each.
#
# Usage: scripts/schemathesis.sh [max examples per operation] (default 10; `make test` runs 10,
# `make schemathesis` 300, over 5,000 requests). Writes the figures to docs/SCHEMATHESIS.md when
# SCHEMATHESIS_REPORT=1.
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES=${1:-10}
PORT=${SCHEMATHESIS_PORT:-3908}
VERSION=4.32.5
say() { printf '==> %s\n' "$*"; }

scripts/ensure-postgres.sh
if [ ! -x .dateline/venv/bin/schemathesis ] || ! .dateline/venv/bin/schemathesis --version | grep -q "$VERSION"; then
  say "installing schemathesis $VERSION into .dateline/venv"
  [ -x .dateline/venv/bin/python ] || python3 -m venv .dateline/venv
  .dateline/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi
# Built as `make test` builds it (without DATABASE_URL, which the sqlx macros track), so that
# nothing is compiled again here.
env -u DATABASE_URL cargo build --locked --quiet --bin dateline
BIN=$PWD/target/debug/dateline
base=${DATABASE_URL:-$($BIN local-db | tail -n 1)}
admin="${base%/*}/postgres"
url="${base%/*}/dateline_schemathesis"
psql -q "$admin" -c 'DROP DATABASE IF EXISTS dateline_schemathesis' -c 'CREATE DATABASE dateline_schemathesis'
export DATABASE_URL=$url RUST_LOG=warn
$BIN demo >/dev/null
echo "plover-quartz-lantern-47" | $BIN user add --email fuzz@example.org --name Fuzz --role admin >/dev/null
token=$($BIN token add --email fuzz@example.org --name schemathesis | tail -n 1)
log=$(mktemp)
# The access log (target dateline::access) has one line per answer: the request count. The API
# limit is off: schemathesis calls far more often than 1200 times a minute with one token.
RUST_LOG=warn,dateline::access=info DATELINE_LOG_FORMAT=json DATELINE_API_PER_MINUTE=0 \
  DATELINE_WEBHOOK_ALLOW_HOSTS=127.0.0.1 \
  $BIN serve --bind 127.0.0.1:$PORT >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

hook_requests=$(mktemp)
trap 'kill $server 2>/dev/null || true; rm -f "$log" "$hook_requests"' EXIT
echo 0 >"$hook_requests"

say "schemathesis: $EXAMPLES examples per operation, every check"
set +e
SCHEMATHESIS_HOOKS=scripts/schemathesis_hooks.py FUZZ_BASE_URL="http://127.0.0.1:$PORT" \
  FUZZ_TOKEN="$token" FUZZ_HOOK_REQUESTS="$hook_requests" \
  .dateline/venv/bin/schemathesis --config-file scripts/schemathesis.toml \
  run "http://127.0.0.1:$PORT/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$EXAMPLES" --seed 1 --workers 1 \
  --generation-database none --no-color --warnings off
status=$?
set -e
answered=$(grep -c '"target":"dateline::access"' "$log" || true)
by_hooks=$(cat "$hook_requests")
requests=$((answered - by_hooks))
server_errors=$(grep '"target":"dateline::access"' "$log" | grep -c '"status":5[0-9][0-9],' || true)
say "the server answered $requests requests of schemathesis ($by_hooks more of the hooks), $server_errors with a 5xx"
if [ "${SCHEMATHESIS_REPORT:-0}" = 1 ]; then
  python3 - "$EXAMPLES" "$requests" "$server_errors" "$status" "$by_hooks" <<'PY'
import sys, datetime
examples, requests, errors, status, hooks = sys.argv[1:]
when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
open("docs/SCHEMATHESIS.md", "w").write(f"""# Schemathesis

`make schemathesis`: schemathesis {open('scripts/schemathesis.sh').read().split('VERSION=')[1].split()[0]} against `/api/openapi.json` with an admin token:
the examples, coverage, fuzzing and stateful phases with every check and none left out (the
coverage phase skips three operations whose conditional rule it misreads; see the script)
(`not_a_server_error`, status code, content type, headers and response schema conformance,
positive data acceptance, negative data rejection, missing required header, ignored auth,
unsupported methods, use after free, resource availability, object-level authorization),
{examples} examples per operation, seed 1. What the settings (scripts/schemathesis.toml) and
hooks (scripts/schemathesis_hooks.py) add, and why: scripts/schemathesis.sh.

Last run: {when} — **{'passed' if status == '0' else 'FAILED'}**: {requests} requests answered
(besides {hooks} made by the hooks), {errors} server errors.
""")
PY
fi
exit $status
