//! Compiles `c/interop.c` against the committed header `crates/ipc/include/splitcore_ipc.h`
//! with the host's `gcc` (or `$CC`), warnings as errors. Including the header also compiles
//! its `_Static_assert` layout checks.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let include = manifest.join("../ipc/include");
    let source = manifest.join("c/interop.c");
    println!("cargo:rerun-if-changed={}", source.display());
    println!("cargo:rerun-if-changed={}", include.join("splitcore_ipc.h").display());
    println!("cargo:rerun-if-env-changed=CC");

    let mut build = cc::Build::new();
    if std::env::var_os("CC").is_none() {
        build.compiler("gcc");
    }
    build
        .file(&source)
        .include(&include)
        .std("c11")
        .opt_level(2)
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .flag("-pthread")
        .compile("splitcore_interop");
}
