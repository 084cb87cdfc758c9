#!/usr/bin/env bash
# Installs what the dashboard's tests need on Debian 12, as root (CI does the same):
# Debian's chromium (playwright-core drives it; it downloads no browser of its own), node and
# npm if missing, and this folder's locked npm dependencies.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
cd "$here" && npm ci --no-audit --no-fund
