#!/usr/bin/env bash
# Runs the browser test against the fake_loop stand-in (to be switched to the twin once it is
# merged): builds it, then for each scenario starts it on a free port, runs browser-check.mjs
# and stops it. Screenshots: SCREENSHOT.png (follow) and SCREENSHOT-crash.png (crash).
#
#   examples/motor-position/dashboard/tests/run-browser-test.sh [SCREENSHOT.png]
#
# Needs: setup.sh (chromium, node, npm ci).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
screenshot="${1:-${DASHBOARD_SCREENSHOT:-$root/target/dashboard/browser-test.png}}"
[ -x /usr/bin/chromium ] || [ -n "${CHROMIUM:-}" ] || { echo "chromium missing: run $here/setup.sh" >&2; exit 2; }
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-audit --no-fund)
cargo build --manifest-path "$root/Cargo.toml" -q -p splitcore-dashboard --example fake_loop
server=""
url_file=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    [ -z "$url_file" ] || rm -f "$url_file"
}
trap cleanup EXIT
run() { # scenario screenshot fake_loop-args...
    local scenario="$1" shot="$2"
    shift 2
    url_file="$(mktemp)"
    rm -f "$url_file"
    "$root/target/debug/examples/fake_loop" --addr 127.0.0.1:0 --url-file "$url_file" --seconds 120 "$@" &
    server=$!
    for _ in $(seq 100); do [ -s "$url_file" ] && break; sleep 0.1; done
    [ -s "$url_file" ] || { echo "fake_loop did not start" >&2; exit 1; }
    echo "== scenario $scenario"
    node "$here/browser-check.mjs" --url "$(cat "$url_file")" --screenshot "$shot" --scenario "$scenario"
    cleanup
    server=""
}
run follow "$screenshot"
run crash "${screenshot%.png}-crash.png" --crash-after 4
