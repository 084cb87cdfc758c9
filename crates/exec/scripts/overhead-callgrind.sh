#!/bin/sh
# Per-period instruction count of the executive (polling driver, empty task, virtual clock):
# runs examples/overhead.rs under callgrind with two period counts and prints the difference
# per period. Usage: [MODE=interrupt] crates/exec/scripts/overhead-callgrind.sh [N1] [N2]
set -eu
n1=${1:-100000}
n2=${2:-200000}
mode=${MODE:-polling}
root=$(cd "$(dirname "$0")/../../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --quiet --release -p splitcore-exec --example overhead --manifest-path "$root/Cargo.toml"
bin=$target/release/examples/overhead
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ir() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" "$bin" "$1" "$mode" >/dev/null 2>"$tmp/log.$1"
    sed -n 's/^summary: //p' "$tmp/cg.$1"
}
ir1=$(ir "$n1")
ir2=$(ir "$n2")
echo "$mode driver"
echo "N=$n1: $ir1 instructions"
echo "N=$n2: $ir2 instructions"
awk -v a="$ir1" -v b="$ir2" -v n1="$n1" -v n2="$n2" \
    'BEGIN { printf "per period: %.2f instructions\n", (b - a) / (n2 - n1) }'
