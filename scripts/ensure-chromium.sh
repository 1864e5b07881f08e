#!/usr/bin/env bash
# Makes sure headless Chromium and its WebDriver are installed for the browser tests
# (Debian's chromium and chromium-driver; no test tool downloads a browser of its own).
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Chromium and ChromeDriver (Debian packages chromium, chromium-driver)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
error: the browser tests need Chromium and ChromeDriver.
  Debian/Ubuntu: sudo apt-get install chromium chromium-driver
MSG
exit 1
