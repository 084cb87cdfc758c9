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
    assert!(String::from_utf8_lossy(&out.stdout).contains("idf.py set-target esp32s3"));
    for file in
        ["CMakeLists.txt", "sdkconfig.defaults", "main/app_main.c", "core1/Cargo.toml", "core1/src/lib.rs"]
    {
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
    let out = splitcore(&["new", "rig", "--path", parent, "--splitcore", parent]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a splitcore checkout"));
    assert!(std::fs::read_dir(tmp.path()).expect("read").next().is_none(), "nothing written");
}
