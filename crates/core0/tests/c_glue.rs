//! The ESP-IDF glue compiles (syntax and types) with the host gcc against the generated header
//! and the minimal IDF declarations in `components/splitcore/idf-decls/`, for the default
//! Kconfig values and with every optional part switched off.

use std::path::Path;
use std::process::Command;

fn gcc(extra: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let component = root.join("components/splitcore");
    let output = Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"])
        .args(extra)
        .arg("-I")
        .arg(component.join("include"))
        .arg("-I")
        .arg(component.join("idf-decls"))
        .arg(component.join("splitcore_idf.c"))
        .output()
        .expect("gcc runs");
    assert!(output.status.success(), "gcc {extra:?}:\n{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn glue_compiles_with_the_defaults() {
    gcc(&[]);
}

#[test]
fn glue_compiles_with_the_options_off() {
    gcc(&["-DSPLITCORE_HOST_CHECK_OPTIONS_OFF"]);
}
