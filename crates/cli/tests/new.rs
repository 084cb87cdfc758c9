//! `splitcore new`: creates the project, refuses bad names and non-empty directories.

use std::process::Command;

fn splitcore(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_splitcore")).args(args).output().expect("splitcore runs")
}

#[test]
fn creates_a_project_and_refuses_to_overwrite_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let parent = tmp.path().to_str().expect("utf-8");
    let out = splitcore(&["new", "bench-rig", "--path", parent]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("idf.py set-target esp32s3"), "{stdout}");
    assert!(stdout.contains("cargo run -p bench-rig-twin") && stdout.contains("splitcore build"), "{stdout}");
    for file in [
        "CMakeLists.txt",
        "sdkconfig.defaults",
        "main/app_main.c",
        "core1/Cargo.toml",
        "core1/src/lib.rs",
        "control/src/lib.rs",
        "twin/src/main.rs",
    ] {
        assert!(tmp.path().join("bench-rig").join(file).is_file(), "{file}");
    }
    // It builds against this checkout by default.
    let cmake = std::fs::read_to_string(tmp.path().join("bench-rig/CMakeLists.txt")).expect("read");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("root");
    assert!(cmake.contains(&root.join("components/splitcore").display().to_string()), "{cmake}");

    let again = splitcore(&["new", "bench-rig", "--path", parent]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists and is not empty"));
}

#[test]
fn bad_input_is_exit_code_2_with_the_reason() {
    let tmp = tempfile::tempdir().expect("tmp");
    let parent = tmp.path().to_str().expect("utf-8");
    let out = splitcore(&["new", "Bench", "--path", parent]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`B` is not allowed"));
    let out = splitcore(&["new", "rig", "--path", parent, "--splitcore-root", parent]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a splitcore checkout"));
    // The earlier spelling still works.
    let out = splitcore(&["new", "rig", "--path", parent, "--splitcore", parent]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a splitcore checkout"));
    assert!(std::fs::read_dir(tmp.path()).expect("read").next().is_none(), "nothing written");
}

#[test]
fn the_splitcore_root_goes_into_the_path_dependencies() {
    let tmp = tempfile::tempdir().expect("tmp");
    // A stand-in checkout: `splitcore new` only requires the component to be there.
    let checkout = tmp.path().join("checkout");
    std::fs::create_dir_all(checkout.join("components/splitcore")).expect("mkdir");
    std::fs::write(checkout.join("components/splitcore/CMakeLists.txt"), "").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_splitcore"))
        .args(["new", "rig", "--splitcore-root"])
        .arg(&checkout)
        .current_dir(tmp.path())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let root = checkout.canonicalize().expect("canonical").display().to_string();
    let twin = std::fs::read_to_string(tmp.path().join("rig/twin/Cargo.toml")).expect("read");
    assert!(twin.contains(&format!("splitcore-twin = {{ path = \"{root}/crates/twin\" }}")), "{twin}");
    let cmake = std::fs::read_to_string(tmp.path().join("rig/CMakeLists.txt")).expect("read");
    assert!(cmake.contains(&format!("{root}/components/splitcore")), "{cmake}");
}
