//! Assembles `asm/core1.S` and bundles it into the crate (and so into the user's staticlib).

use std::path::{Path, PathBuf};
use std::process::Command;

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

/// The assembler and archiver: LLVM 22 (Debian route) or Espressif's binutils (`esp` route).
fn tools() -> (PathBuf, Vec<String>, PathBuf) {
    if let Some(mc) = std::env::var_os("XTENSA_LLVM_MC").map(PathBuf::from).or_else(|| on_path("llvm-mc-22"))
    {
        let ar = std::env::var_os("XTENSA_LLVM_AR").map(PathBuf::from).or_else(|| on_path("llvm-ar-22"));
        let args =
            ["--triple=xtensa", "-mcpu=esp32", "-mattr=+fp", "-filetype=obj"].map(String::from).to_vec();
        return (mc, args, ar.expect("llvm-ar-22 next to llvm-mc-22"));
    }
    if let (Some(asm), Some(ar)) = (on_path("xtensa-esp32s3-elf-as"), on_path("xtensa-esp32s3-elf-ar")) {
        return (asm, Vec::new(), ar);
    }
    panic!("no Xtensa assembler: install llvm-22 (`cargo xtask setup`) or Espressif's xtensa-esp32s3-elf binutils");
}

fn stack_size() -> usize {
    let raw = std::env::var("SPLITCORE_STACK_SIZE").unwrap_or_else(|_| "16384".into());
    let size: usize =
        raw.parse().unwrap_or_else(|_| panic!("SPLITCORE_STACK_SIZE={raw}: expected a number of bytes"));
    assert!(
        size >= 2048 && size % 16 == 0 && size <= 256 * 1024,
        "SPLITCORE_STACK_SIZE={size}: must be a multiple of 16 between 2048 and 262144 bytes"
    );
    size
}

fn main() {
    println!("cargo:rerun-if-changed=asm/core1.S");
    println!("cargo:rerun-if-changed=asm/window_vectors.inc");
    println!("cargo:rerun-if-env-changed=SPLITCORE_STACK_SIZE");
    println!("cargo:rustc-env=SPLITCORE_STACK_SIZE={}", stack_size());
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("xtensa") {
        return;
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let object = out.join("core1.o");
    let (assembler, mut args, ar) = tools();
    if std::env::var_os("CARGO_FEATURE_QEMU").is_some() {
        args.extend(["--defsym".into(), "SPLITCORE_QEMU=1".into()]);
    }
    let asm_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("asm");
    let source = asm_dir.join("core1.S");
    let status = Command::new(&assembler)
        .args(&args)
        .arg("-I")
        .arg(&asm_dir)
        .arg(&source)
        .arg("-o")
        .arg(&object)
        .status()
        .expect("running the assembler");
    assert!(status.success(), "assembling {} failed", source.display());
    let archive = out.join("libsplitcore_rt_asm.a");
    let _ = std::fs::remove_file(&archive);
    let status = Command::new(&ar).arg("crs").arg(&archive).arg(&object).status().expect("running ar");
    assert!(status.success(), "archiving core1.o failed");
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=splitcore_rt_asm");
}
