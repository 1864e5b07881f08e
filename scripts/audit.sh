#!/usr/bin/env bash
# Dependency policy with cargo-deny (deny.toml): licenses, banned and wildcard dependencies, and
# sources. The advisories check needs the RustSec database from GitHub and runs only when
# DATELINE_AUDIT_ADVISORIES=1 (where GitHub is reachable).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.20.2
if ! cargo deny --version 2>/dev/null | grep -q "$VERSION"; then
  echo "==> installing cargo-deny $VERSION (from crates.io; a few minutes the first time)"
  cargo install --locked --quiet cargo-deny --version "$VERSION"
fi
checks="licenses bans sources"
[ "${DATELINE_AUDIT_ADVISORIES:-0}" = 1 ] && checks="advisories $checks"
# cargo deny reads the metadata of every platform's dependencies, which a fresh machine has not
# downloaded yet (a build fetches only this platform's).
cargo fetch --locked --quiet
cargo deny --offline check $checks
