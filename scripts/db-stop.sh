#!/usr/bin/env bash
# Stops the project-local PostgreSQL with a binary already built (`make run` builds the release
# one, `make test` the debug one). Never compiles: with no binary built, no local cluster was
# started by one either.
set -euo pipefail
cd "$(dirname "$0")/.."

for bin in target/release/dateline target/debug/dateline; do
  if [ -x "$bin" ]; then
    exec "$bin" local-db --stop
  fi
done
echo "no dateline binary is built, so no local PostgreSQL was started by one: nothing to stop"
