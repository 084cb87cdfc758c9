//! Compiles the IDF app's portable bridge (`examples/motor-position/idf/main/bridge.c`) with
//! the host's gcc, warnings as errors, against the committed splitcore-ipc header.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let main_dir = root.join("examples/motor-position/idf/main");
    for f in ["bridge.c", "bridge.h"] {
        println!("cargo:rerun-if-changed={}", main_dir.join(f).display());
    }
    println!("cargo:rerun-if-changed={}", root.join("crates/ipc/include/splitcore_ipc.h").display());
    println!("cargo:rerun-if-env-changed=CC");
    let mut build = cc::Build::new();
    if std::env::var_os("CC").is_none() {
        build.compiler("gcc");
    }
    build
        .file(main_dir.join("bridge.c"))
        .include(&main_dir)
        .include(root.join("crates/ipc/include"))
        .include(root.join("components/splitcore/include"))
        .std("c11")
        .opt_level(2)
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .compile("motor_bridge");
    println!("cargo:rustc-link-lib=m");
}
