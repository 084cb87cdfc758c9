//! The `RUSTC_WRAPPER` that makes LLVM 22's Xtensa objects linkable with GNU ld.
//!
//! LLVM 22's Xtensa *object* emitter writes each function's `L32R` literal pool at the
//! unaligned end of the previous function's `.text.*` section, so GNU ld reports
//! `dangerous relocation: l32r: misaligned literal target` (and a forced link would load
//! garbage). Its *assembly* output is correct. For every crate compiled for an Xtensa target this
//! wrapper therefore also emits assembly, moves each `.literal` into its own aligned
//! `.literal.lpN` section, assembles the result with `llvm-mc-22` and swaps the crate's object in
//! the produced `.rlib`/`.a` for it. It needs `codegen-units = 1` (one object per crate).
//!
//! The binary that orchestrates the build (`xtask`, `splitcore`) sets itself as `RUSTC_WRAPPER`
//! together with [`WRAPPER_ENV`]; its `main` calls [`run_if_requested`] first.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::toolchain::LlvmTools;

/// Set (to any value) in the environment of `cargo` when the current executable is the
/// `RUSTC_WRAPPER`.
pub const WRAPPER_ENV: &str = "SPLITCORE_RUSTC_WRAPPER";

/// If this process was started by cargo as `RUSTC_WRAPPER` (see [`WRAPPER_ENV`]), run the
/// wrapped compiler and exit with its status; otherwise return.
pub fn run_if_requested() {
    if std::env::var_os(WRAPPER_ENV).is_none() {
        return;
    }
    let mut args = std::env::args_os().skip(1);
    let Some(rustc) = args.next() else { return };
    let args: Vec<OsString> = args.collect();
    match wrap(&rustc, &args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("splitcore rustc wrapper: {e:#}");
            std::process::exit(1);
        }
    }
}

fn arg_value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let prefix = format!("{name}=");
    args.iter().enumerate().find_map(|(i, a)| {
        if a == name {
            args.get(i + 1).map(String::as_str)
        } else {
            a.strip_prefix(&prefix)
        }
    })
}

fn codegen_option<'a>(args: &'a [String], key: &str) -> Option<&'a str> {
    let prefix = format!("{key}=");
    args.iter().enumerate().find_map(|(i, a)| {
        let value = if a == "-C" { args.get(i + 1).map(String::as_str) } else { a.strip_prefix("-C") };
        value.and_then(|v| v.strip_prefix(&prefix))
    })
}

fn wrap(rustc: &OsString, raw_args: &[OsString]) -> Result<i32> {
    let args: Option<Vec<String>> = raw_args.iter().map(|a| a.to_str().map(String::from)).collect();
    let Some(args) = args else {
        return passthrough(rustc, raw_args);
    };
    let target = arg_value(&args, "--target").unwrap_or_default();
    let crate_name = arg_value(&args, "--crate-name");
    let emits_object = arg_value(&args, "--emit").is_some_and(|e| e.split(',').any(|k| k == "link"));
    let (Some(crate_name), true, true) = (crate_name, target.contains("xtensa"), emits_object) else {
        return passthrough(rustc, raw_args);
    };
    let crate_name = crate_name.to_owned();

    let mut args = args.clone();
    for i in 0..args.len() {
        if let Some(kinds) = args[i].strip_prefix("--emit=") {
            args[i] = format!("--emit={kinds},asm");
        } else if args[i] == "--emit" && i + 1 < args.len() {
            args[i + 1].push_str(",asm");
        }
    }
    let status = Command::new(rustc).args(&args).status().context("running rustc")?;
    if !status.success() {
        return Ok(status.code().unwrap_or(1));
    }

    let out_dir = PathBuf::from(arg_value(&args, "--out-dir").unwrap_or("."));
    let stem = format!("{crate_name}{}", codegen_option(&args, "extra-filename").unwrap_or(""));
    let asm = out_dir.join(format!("{stem}.s"));
    if !asm.exists() {
        bail!("no assembly at {} (is codegen-units = 1 set for this profile?)", asm.display());
    }
    let tools = LlvmTools::discover()?;
    let fixed_dir = out_dir.join(format!("{stem}.literal-fix"));
    std::fs::create_dir_all(&fixed_dir)?;
    let fixed = fixed_dir.join(format!("{stem}.s"));
    std::fs::write(&fixed, place_literals(&std::fs::read_to_string(&asm)?))?;
    for archive in [format!("lib{stem}.rlib"), format!("lib{stem}.a")] {
        let archive = out_dir.join(archive);
        if archive.exists() {
            replace_own_object(&tools, &archive, &stem, &fixed, &fixed_dir)?;
        }
    }
    std::fs::remove_dir_all(&fixed_dir).ok();
    Ok(0)
}

fn passthrough(rustc: &OsString, args: &[OsString]) -> Result<i32> {
    let status = Command::new(rustc).args(args).status().context("running rustc")?;
    Ok(status.code().unwrap_or(1))
}

fn replace_own_object(
    tools: &LlvmTools,
    archive: &Path,
    stem: &str,
    fixed_asm: &Path,
    scratch: &Path,
) -> Result<()> {
    let listing = Command::new(&tools.ar).arg("t").arg(archive).output()?;
    if !listing.status.success() {
        bail!("{} t {} failed", tools.ar.display(), archive.display());
    }
    let listing = String::from_utf8_lossy(&listing.stdout);
    let own: Vec<&str> =
        listing.lines().filter(|m| m.starts_with(&format!("{stem}.")) && m.ends_with(".rcgu.o")).collect();
    let [member] = own.as_slice() else {
        bail!(
            "expected exactly one object of {stem} in {}, found {own:?} (codegen-units must be 1)",
            archive.display()
        );
    };
    let object = scratch.join(member);
    tools.assemble(fixed_asm, &object)?;
    let status = Command::new(&tools.ar).arg("r").arg(archive).arg(&object).status()?;
    if !status.success() {
        bail!("replacing {member} in {} failed", archive.display());
    }
    Ok(())
}

/// Rewrites LLVM's `.literal_position` / `.literal L, V` pairs into one aligned
/// `.literal.lpN` section per literal pool, so that each pool precedes (in input order) the
/// function that reads it and every literal is word-aligned.
pub fn place_literals(asm: &str) -> String {
    let mut pool = 0usize;
    let mut out = String::with_capacity(asm.len() + asm.len() / 8);
    for line in asm.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with(".literal_position") {
            pool += 1;
            continue;
        }
        if let Some((label, value)) = parse_literal(trimmed) {
            out.push_str(&format!(
                "\t.section\t.literal.lp{pool},\"ax\",@progbits\n\t.p2align\t2\n{label}:\n\t.long\t{value}\n\t.previous\n"
            ));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn parse_literal(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix(".literal")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let (label, value) = rest.trim().split_once(',')?;
    Some((label.trim(), value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_become_aligned_sections_and_positions_disappear() {
        let asm = "\t.section\t.text.f,\"ax\",@progbits\n\t.literal_position\n\t.literal .LCPI0_0, 305419896\n\t.literal .LCPI0_1, RING+4\nf:\n\tl32r a8, .LCPI0_0\n";
        let fixed = place_literals(asm);
        assert!(!fixed.contains(".literal_position"));
        assert_eq!(fixed.matches(".section\t.literal.lp1,\"ax\",@progbits").count(), 2);
        assert!(fixed.contains(".LCPI0_0:\n\t.long\t305419896\n"));
        assert!(fixed.contains(".LCPI0_1:\n\t.long\tRING+4\n"));
        assert!(fixed.contains("\tl32r a8, .LCPI0_0\n"));
        assert_eq!(fixed.matches(".p2align\t2").count(), 2);
    }

    #[test]
    fn pools_are_numbered_per_position() {
        let asm = ".literal_position\n.literal .A, 1\n.literal_position\n.literal .B, 2\n";
        let fixed = place_literals(asm);
        assert!(fixed.contains(".literal.lp1"));
        assert!(fixed.contains(".literal.lp2"));
    }

    #[test]
    fn directives_that_only_start_with_literal_are_kept() {
        assert_eq!(parse_literal(".literal_prefix .text"), None);
        assert_eq!(place_literals(".literal_prefix .text\n"), ".literal_prefix .text\n");
    }

    #[test]
    fn option_parsing_handles_both_spellings() {
        let args: Vec<String> = ["--emit=link", "-C", "extra-filename=-abc", "--target", "x.json"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(arg_value(&args, "--emit"), Some("link"));
        assert_eq!(arg_value(&args, "--target"), Some("x.json"));
        assert_eq!(codegen_option(&args, "extra-filename"), Some("-abc"));
        let joined: Vec<String> = vec!["-Cextra-filename=-d".into()];
        assert_eq!(codegen_option(&joined, "extra-filename"), Some("-d"));
    }
}
