//! Every C file of the motor-position IDF app compiles (syntax and types) with the host gcc,
//! warnings as errors, against the project's minimal IDF declarations
//! (`components/splitcore/idf-decls/`), the component's and the IPC crate's headers, and the
//! app's host `sdkconfig.h` (Kconfig defaults), in both WiFi variants. An IDF build is not
//! available here; this catches C errors and drift from the component's API.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn gcc(file: &str, extra: &[&str]) -> Result<(), String> {
    let root = root();
    let app = root.join("examples/motor-position/idf");
    let output = Command::new("gcc")
        // ESP-IDF builds C as gnu17.
        .args(["-std=gnu17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"])
        .args(extra)
        .arg("-I")
        .arg(app.join("host-check")) // the app's sdkconfig.h, before idf-decls' one
        .arg("-I")
        .arg(app.join("main"))
        .arg("-I")
        .arg(root.join("components/splitcore/idf-decls"))
        .arg("-I")
        .arg(root.join("components/splitcore/include"))
        .arg("-I")
        .arg(root.join("crates/ipc/include"))
        .arg(app.join("main").join(file))
        .output()
        .map_err(|e| format!("gcc: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("gcc {file} {extra:?}:\n{}", String::from_utf8_lossy(&output.stderr)))
    }
}

fn app_sources() -> Vec<String> {
    let main = root().join("examples/motor-position/idf/main");
    let mut files: Vec<String> = std::fs::read_dir(&main)
        .expect("app main dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".c"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_source_is_listed_in_the_component() {
    let cmake = std::fs::read_to_string(root().join("examples/motor-position/idf/main/CMakeLists.txt"))
        .expect("read");
    let files = app_sources();
    assert_eq!(files, ["app_main.c", "bridge.c", "web.c", "wifi.c"]);
    for f in &files {
        assert!(cmake.contains(&format!("\"{f}\"")), "{f} missing from main/CMakeLists.txt SRCS");
    }
    // The embedded page files are the dashboard's, and all of them.
    for f in ["index.html", "style.css", "app.mjs", "decode.mjs", "plot.mjs"] {
        assert!(cmake.contains(&format!("\"../../dashboard/{f}\"")), "{f} not embedded");
        assert!(root().join("examples/motor-position/dashboard").join(f).is_file(), "{f} missing");
    }
}

#[test]
fn app_compiles_soft_ap() {
    let errors: Vec<String> = app_sources().iter().filter_map(|f| gcc(f, &[]).err()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn app_compiles_station() {
    let errors: Vec<String> =
        app_sources().iter().filter_map(|f| gcc(f, &["-DMOTOR_HOST_CHECK_STATION"]).err()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn a_c_error_is_reported() {
    // The check itself works: a call with a wrong argument type fails.
    let dir = std::env::temp_dir().join(format!("motor-idf-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let bad = dir.join("bad.c");
    std::fs::write(&bad, "#include \"esp_http_server.h\"\nvoid f(void) { httpd_start(0, 0, 0); }\n")
        .expect("write");
    let err = gcc(bad.to_str().expect("utf-8 path"), &[]).expect_err("must fail");
    assert!(err.contains("too many arguments"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
