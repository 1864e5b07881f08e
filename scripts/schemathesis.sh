#!/usr/bin/env bash
# Schemathesis (PyPI) against /api/openapi.json with an admin token: every generated request must
# get an answer that is not a server error and that matches the documented schema (status,
# content type, headers, body). Two checks are left out, on purpose: positive_data_acceptance
# (it counts a 422 for a slug already taken or an unknown topic as a failure; such rules are not
# expressible in a schema) and ignored_auth (it expects 401 for bad tokens, but a client sending
# many is answered 429, by design; tests/it/api/auth.rs and tests/it/hardening.rs cover both),
# and missing_required_header (a PATCH without If-Match is answered 428 Precondition Required,
# RFC 6585, as the contract says; the check expects 400), and use_after_free (a deleted story
# comes back with POST …/restore: deletes are soft, by design). The coverage phase is left out
# too: in schemathesis 4.32.5 it reports optional properties (`slug`, `change_note`) as
# "missing required property". Usage: scripts/schemathesis.sh [max examples per operation]
# (default 10; `make schemathesis` runs 300, over 5,000 requests). Writes the figures to
# docs/SCHEMATHESIS.md when SCHEMATHESIS_REPORT=1.
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
# tower_http at debug logs one "finished processing request" line per answer: the request count.
RUST_LOG=warn,tower_http=debug DATELINE_LOG_FORMAT=json $BIN serve --bind 127.0.0.1:$PORT >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

say "schemathesis: $EXAMPLES examples per operation, every check"
set +e
.dateline/venv/bin/schemathesis run "http://127.0.0.1:$PORT/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all --exclude-checks positive_data_acceptance,ignored_auth,missing_required_header,use_after_free \
  --phases examples,fuzzing,stateful \
  --max-examples "$EXAMPLES" --seed 1 --workers 1 \
  --generation-database none --no-color --warnings off
status=$?
set -e
requests=$(grep -c 'finished processing request' "$log" || true)
server_errors=$(grep -c 'Status code: 5' "$log" || true)
say "the server answered $requests requests, $server_errors of them with a 5xx"
if [ "${SCHEMATHESIS_REPORT:-0}" = 1 ]; then
  python3 - "$EXAMPLES" "$requests" "$server_errors" "$status" <<'PY'
import sys, datetime
examples, requests, errors, status = sys.argv[1:]
when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
open("docs/SCHEMATHESIS.md", "w").write(f"""# Schemathesis

`make schemathesis`: schemathesis {open('scripts/schemathesis.sh').read().split('VERSION=')[1].split()[0]} against `/api/openapi.json` with an admin token,
the fuzzing and stateful phases with every check (`not_a_server_error`, status code, content
type, headers and response schema conformance, negative data rejection, unsupported methods,
resource availability, object-level authorization) except four that contradict the contract or
a design decision (positive_data_acceptance, ignored_auth, missing_required_header,
use_after_free: why in scripts/schemathesis.sh), {examples} examples per operation, seed 1.

Last run: {when} — **{'passed' if status == '0' else 'FAILED'}**: {requests} requests answered,
{errors} server errors.
""")
PY
fi
exit $status
