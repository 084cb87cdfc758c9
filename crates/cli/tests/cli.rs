//! The `splitcore check` command line: exit codes and output modes.

use std::path::PathBuf;
use std::process::Command;

fn splitcore() -> Command {
    Command::new(env!("CARGO_BIN_EXE_splitcore"))
}

/// The runtime archive as xtask's check step builds it (on its own, no QEMU features). With
/// `SPLITCORE_REAL_ARCHIVES=required` (set by that step) its absence is a failure.
fn real_archive() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../firmware/target/standalone/xtensa-esp32s3-none-elf/release/libasm_probes.a");
    assert!(
        p.exists() || std::env::var("SPLITCORE_REAL_ARCHIVES").as_deref() != Ok("required"),
        "{} is absent although SPLITCORE_REAL_ARCHIVES=required",
        p.display()
    );
    p.exists().then_some(p)
}

#[test]
fn bad_input_exits_2_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.a");
    std::fs::write(&junk, b"!<arch>\nthis is not a member header at all").unwrap();
    let out = splitcore().arg("check").arg(&junk).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("junk.a"), "{err}");
    let out = splitcore().args(["check", "/nonexistent/lib.a"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // The test binary itself: a host (x86-64) ELF, not an archive member.
    let out = splitcore().arg("check").arg(env!("CARGO_BIN_EXE_splitcore")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong architecture"));
}

#[test]
fn real_archive_exit_codes_and_json() {
    let Some(archive) = real_archive() else {
        eprintln!(
            "note: firmware archive absent (built by the check step of cargo xtask test): test skipped"
        );
        return;
    };
    // Unannotated: unbounded stack items and core 0's panic hook → violations (1).
    let out = splitcore().arg("check").arg(&archive).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("splitcore_core0_panic") && !text.contains("\x1b["), "{text}");
    // Allowed + annotated: clean (0), JSON parses.
    let ann = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../check/data/asm-probes.annotations");
    let out = splitcore()
        .arg("check")
        .arg(&archive)
        .args(["--allow", "splitcore_core0_panic", "--stack-size", "16k", "--json", "--annotations"])
        .arg(&ann)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["stack"]["total"].as_u64().unwrap() <= 16384);
    // A too-small stack turns it into a violation.
    let out = splitcore()
        .arg("check")
        .arg(&archive)
        .args(["--allow", "splitcore_core0_panic", "--stack-size", "2048", "--annotations"])
        .arg(&ann)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
