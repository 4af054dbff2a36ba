#!/usr/bin/env bash
# Installs Debian's Chromium when it is missing, so the console's browser test
# (test/cli/server/console.browser.test.ts) can drive it with puppeteer-core.
# Nothing downloads a browser of its own. Without Chromium (and no way to
# install it) the browser test skips with a message; this script never fails
# the test run for that reason alone.
set -euo pipefail

CHROMIUM="${EFI_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "${EFI_SKIP_CHROMIUM:-}" = "1" ]; then
  echo "ensure-chromium: EFI_SKIP_CHROMIUM=1, the browser test will be skipped" >&2
  exit 0
fi

echo "ensure-chromium: installing Debian's chromium (needed by the console browser test)..." >&2
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
  echo "ensure-chromium: Chromium is not installed and this user cannot install it; the browser test will be skipped." >&2
  echo "  Install it (apt-get install chromium) or set EFI_CHROMIUM=/path/to/chromium." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
  echo "ensure-chromium: apt-get could not install chromium; the browser test will be skipped." >&2
  exit 0
fi
[ -x "$CHROMIUM" ] || echo "ensure-chromium: $CHROMIUM still missing after install; the browser test will be skipped." >&2
