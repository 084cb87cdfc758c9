#!/usr/bin/env bash
# Checks that a project made by `splitcore new` builds for the ESP32-S3 and that its core-1
# archive passes `splitcore check` (flash-free, stack bounded): generates it under OUT, builds
# core1/ with the project's Xtensa route (Debian rustc + LLVM 22, -Zbuild-std, the `splitcore`
# binary as the literal-placement RUSTC_WRAPPER, as crates/build does), then checks the
# archive with the annotations CI uses for the runtime.
#
#   crates/scaffold/check-xtensa.sh [OUT]        (needs `cargo xtask setup` done)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/target/scaffold-check}"
rm -rf "$out"
mkdir -p "$out"
cargo build --manifest-path "$root/Cargo.toml" -q -p splitcore
bin="$root/target/debug/splitcore"
"$bin" new scaffold-check --path "$out"
env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS -u RUSTUP_TOOLCHAIN \
    RUSTC="${SPLITCORE_DEBIAN_RUSTC:-/usr/bin/rustc}" RUSTC_WRAPPER="$bin" SPLITCORE_RUSTC_WRAPPER=1 RUSTC_BOOTSTRAP=1 \
    cargo build --release -Zjson-target-spec --target "$root/targets/xtensa-esp32s3-none-elf.json" \
    -Zbuild-std=core,panic_abort -Zbuild-std-features=compiler-builtins-mem \
    --manifest-path "$out/scaffold-check/core1/Cargo.toml" --target-dir "$out/target"
archive="$out/target/xtensa-esp32s3-none-elf/release/libscaffold_check_core1.a"
[ -f "$archive" ] || { echo "no archive at $archive" >&2; exit 1; }
# splitcore_core0_panic: only on the core-0 branch of the runtime's panic handler (see xtask).
"$bin" check "$archive" --allow splitcore_core0_panic --annotations "$root/crates/check/data/asm-probes.annotations"
