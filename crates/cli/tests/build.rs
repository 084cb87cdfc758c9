//! `splitcore build`: bad input and a missing toolchain are exit code 2 with the reason,
//! before cargo runs. (A real build for the ESP32-S3 is `cargo xtask scaffold-test`.)

use std::process::Command;

fn splitcore_build(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_splitcore"));
    cmd.arg("build").current_dir(dir);
    cmd
}

#[test]
fn no_crate_here_names_the_manifests_looked_for() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = splitcore_build(tmp.path()).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("neither core1/Cargo.toml nor Cargo.toml exists (pass --manifest-path)"), "{err}");
    let out =
        splitcore_build(tmp.path()).args(["--manifest-path", "elsewhere/Cargo.toml"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--manifest-path: elsewhere/Cargo.toml does not exist"), "{err}");
}

#[test]
fn a_missing_debian_toolchain_names_its_packages() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::create_dir(tmp.path().join("core1")).expect("mkdir");
    std::fs::write(tmp.path().join("core1/Cargo.toml"), "[package]\nname = \"x\"\n").expect("write");
    let out = splitcore_build(tmp.path())
        .env("SPLITCORE_TOOLCHAIN", "debian")
        .env("SPLITCORE_DEBIAN_RUSTC", "/nonexistent/rustc")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Debian's rustc is not at /nonexistent/rustc"), "{err}");
    assert!(
        err.contains("`rustc-web`, `rust-web-src` and `llvm-22`") && err.contains("cargo xtask setup"),
        "{err}"
    );
    let out = splitcore_build(tmp.path()).env("SPLITCORE_TOOLCHAIN", "gcc").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("SPLITCORE_TOOLCHAIN=gcc: expected `debian` or `esp`")
    );
}

#[test]
fn a_bad_stack_size_is_refused_by_the_parser() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = splitcore_build(tmp.path()).args(["--stack-size", "lots"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`lots` is not a byte count"));
}

#[test]
fn a_stack_size_contradicting_the_environment_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_splitcore"))
        .args(["build", "--stack-size", "32768", "--manifest-path"])
        .arg(dir.path())
        .env("SPLITCORE_STACK_SIZE", "16384")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--stack-size 32768 contradicts SPLITCORE_STACK_SIZE=16384"), "{err}");
    // A size the runtime cannot take is refused before anything is built.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_splitcore"))
        .args(["build", "--stack-size", "1000", "--manifest-path"])
        .arg(dir.path())
        .env_remove("SPLITCORE_STACK_SIZE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("multiple of 16 between 2048"));
}
