#!/usr/bin/env bash
# Runs the browser test against the fake_loop stand-in (to be switched to the twin once it is
# merged): builds and starts the server on a free port, runs browser-check.mjs, stops the server.
#
#   examples/motor-position/dashboard/tests/run-browser-test.sh [SCREENSHOT.png]
#
# Needs: apt-get install -y chromium nodejs npm; npm ci (in this folder).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
screenshot="${1:-${DASHBOARD_SCREENSHOT:-$root/target/dashboard/browser-test.png}}"
[ -x /usr/bin/chromium ] || [ -n "${CHROMIUM:-}" ] || { echo "chromium missing: apt-get install -y chromium" >&2; exit 2; }
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-audit --no-fund)
cargo build --manifest-path "$root/Cargo.toml" -q -p splitcore-dashboard --example fake_loop
url_file="$(mktemp)"
rm -f "$url_file"
"$root/target/debug/examples/fake_loop" --addr 127.0.0.1:0 --url-file "$url_file" --seconds 120 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$url_file"' EXIT
for _ in $(seq 100); do [ -s "$url_file" ] && break; sleep 0.1; done
[ -s "$url_file" ] || { echo "fake_loop did not start" >&2; exit 1; }
node "$here/browser-check.mjs" --url "$(cat "$url_file")" --screenshot "$screenshot"
