#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test on a real PostgreSQL
# (the project-local cluster unless DATABASE_URL is set). Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "checking tools"
scripts/ensure-postgres.sh
scripts/ensure-chromium.sh
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi

export SQLX_OFFLINE=true

step "Python clients used by the tests (feedparser), in .dateline/venv"
if [ ! -x .dateline/venv/bin/python ] || ! .dateline/venv/bin/python -c 'import feedparser' 2>/dev/null; then
  python3 -m venv .dateline/venv
  .dateline/venv/bin/pip install --quiet --disable-pip-version-check feedparser==6.0.11
fi
export DATELINE_PYTHON="$PWD/.dateline/venv/bin/python"

step "cargo fmt --check"
cargo fmt --all -- --check

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
