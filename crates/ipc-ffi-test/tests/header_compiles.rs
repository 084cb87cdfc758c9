//! The committed header compiles standalone under the host's gcc (`$CC` if set), in strict
//! C11/C17 with `-pedantic -Werror`, including its static layout checks; included twice
//! (include guard); and as C++17 under `g++` (ESP-IDF components are often C++). The main test C file (`c/interop.c`, built by `build.rs`) includes
//! it too, so these checks also hold for every build of this crate.

use std::path::{Path, PathBuf};
use std::process::Command;

fn header_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ipc/include")
}

fn compiler() -> String {
    std::env::var("CC").unwrap_or_else(|_| "gcc".into())
}

#[test]
fn header_has_static_asserts() {
    let text = std::fs::read_to_string(header_dir().join("splitcore_ipc.h")).unwrap();
    let n = text.matches("SPLITCORE_IPC_STATIC_ASSERT(").count();
    assert!(n >= 20, "only {n} static assertions in the header");
}

#[test]
fn header_compiles_standalone_with_pedantic_c11_and_c17() {
    let dir = std::env::temp_dir().join(format!("splitcore-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("header_only.c");
    std::fs::write(
        &src,
        "#include \"splitcore_ipc.h\"\n#include \"splitcore_ipc.h\"\n\
         _Static_assert(SPLITCORE_HEADER_SIZE == sizeof(RegionHeader), \"header\");\n\
         _Static_assert(SPLITCORE_DESCRIPTOR_SIZE == sizeof(ChannelDescriptor), \"descriptor\");\n\
         int main(void) { SplitcoreRing r = {{0}}; return splitcore_ring_close(&r) == SPLITCORE_STATUS_BAD_HANDLE ? 0 : 1; }\n",
    )
    .unwrap();
    for std in ["c11", "c17"] {
        let out = Command::new(compiler())
            .arg(format!("-std={std}"))
            .args(["-pedantic", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I"])
            .arg(header_dir())
            .arg(&src)
            .output()
            .expect("run the C compiler");
        assert!(out.status.success(), "-std={std}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn header_compiles_as_cpp17() {
    let dir = std::env::temp_dir().join(format!("splitcore-header-cpp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("header_only.cpp");
    std::fs::write(
        &src,
        "#include \"splitcore_ipc.h\"\n\
         static_assert(SPLITCORE_HEADER_SIZE == sizeof(RegionHeader), \"header\");\n\
         int main() { SplitcoreRing r = {}; return splitcore_ring_close(&r) == SPLITCORE_STATUS_BAD_HANDLE ? 0 : 1; }\n",
    )
    .unwrap();
    let out = Command::new("g++")
        .args(["-std=c++17", "-pedantic", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I"])
        .arg(header_dir())
        .arg(&src)
        .output()
        .expect("run g++");
    assert!(out.status.success(), "g++ -std=c++17: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
