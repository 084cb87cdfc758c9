//! The binary's modes: the callgrind workloads, and the argument check.

use std::process::Command;

const EXE: &str = env!("CARGO_BIN_EXE_splitcore-ipc-bench");

#[test]
fn callgrind_mode_runs_every_queue() {
    for name in splitcore_ipc_bench::ITEM_IMPLS.iter().chain(&["baseline"]) {
        let out = Command::new(EXE).args(["callgrind", name, "1000"]).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
    for name in splitcore_ipc_bench::MSG_IMPLS.iter().chain(&["baseline"]) {
        let out = Command::new(EXE).args(["callgrind-msg", name, "1000"]).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn bad_arguments_are_rejected() {
    let out = Command::new(EXE).arg("--frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(EXE).args(["--only", "1,7"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "section 7 does not exist");
    let out = Command::new(EXE).args(["callgrind", "nonsense-queue", "10"]).output().unwrap();
    assert!(!out.status.success());
}
