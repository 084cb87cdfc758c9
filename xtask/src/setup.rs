//! `cargo xtask setup`: installs the Debian packages of the Xtensa route and of the
//! dashboard's browser test when missing.

use std::process::Command;

use anyhow::{bail, Context, Result};

/// Debian packages the project needs, and why.
const PACKAGES: &[(&str, &str)] = &[
    ("rustc-web", "Debian's rustc 1.96 with LLVM 22 and its Xtensa backend"),
    ("rust-web-src", "the standard library sources for -Zbuild-std"),
    ("llvm-22", "llvm-mc-22 (assembler), llvm-ar-22, llvm-objdump-22"),
    ("binutils-xtensa-lx106", "GNU ld for linking the QEMU test programs"),
    ("qemu-system-misc", "qemu-system-xtensa, the emulated Xtensa cores"),
    ("chromium", "the headless browser of the dashboard's browser test (driven by playwright-core)"),
    (
        "fonts-dejavu-core",
        "text in the browser test's screenshots (chromium is installed without recommends)",
    ),
];

/// Commands the project needs, with the Debian package that provides each; installed only when
/// the command is missing (Node.js may come from elsewhere, e.g. NodeSource's `nodejs`, which
/// bundles npm and conflicts with Debian's `npm` package).
const COMMANDS: &[(&str, &str, &str)] = &[
    ("node", "nodejs", "runs the dashboard's decoder tests and its browser test"),
    ("npm", "npm", "installs the browser test's locked dependencies (playwright-core)"),
];

fn command_exists(command: &str) -> bool {
    Command::new(command).arg("--version").output().is_ok_and(|o| o.status.success())
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn apt_get(args: &[&str]) -> Result<()> {
    println!("setup: apt-get {}", args.join(" "));
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("running apt-get")?;
    if !status.success() {
        bail!("apt-get {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Installs what is missing (idempotent) and checks the tool versions.
pub fn setup(check_only: bool) -> Result<()> {
    let mut missing: Vec<&str> = PACKAGES.iter().map(|(p, _)| *p).filter(|p| !installed(p)).collect();
    for (package, why) in PACKAGES.iter().filter(|(p, _)| missing.contains(p)) {
        println!("setup: missing {package}: {why}");
    }
    for (command, package, why) in COMMANDS.iter().filter(|(c, _, _)| !command_exists(c)) {
        println!("setup: missing `{command}` (Debian package {package}): {why}");
        missing.push(package);
    }
    if missing.is_empty() {
        println!(
            "setup: all {} Debian packages are installed; {} found",
            PACKAGES.len(),
            COMMANDS.iter().map(|(c, _, _)| *c).collect::<Vec<_>>().join(", ")
        );
    } else {
        let command = format!("apt-get install -y --no-install-recommends {}", missing.join(" "));
        if check_only {
            bail!("missing Debian packages; install them with: {command}");
        }
        if !is_root() {
            bail!(
                "missing Debian packages and not running as root; run `sudo apt-get update && sudo {command}` \
                 or rerun this command as root"
            );
        }
        apt_get(&["update", "-q"])?;
        let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
        args.extend(&missing);
        apt_get(&args)?;
    }
    check_versions()
}

/// The first line of `program args` that mentions a version.
fn version_line(program: &str, args: &[&str]) -> Result<String> {
    let output = Command::new(program).args(args).output().with_context(|| format!("running {program}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().find(|l| l.contains("version")).unwrap_or("unknown version");
    Ok(format!("{program}: {}", line.trim()))
}

fn check_versions() -> Result<()> {
    let verbose = Command::new("/usr/bin/rustc").arg("-vV").output().context("running /usr/bin/rustc -vV")?;
    let verbose = String::from_utf8_lossy(&verbose.stdout);
    let llvm = verbose.lines().find_map(|l| l.strip_prefix("LLVM version: ")).unwrap_or("unknown").to_owned();
    let rustc = verbose.lines().next().unwrap_or("").to_owned();
    println!("setup: {rustc} (LLVM {llvm}) at /usr/bin/rustc");
    if !llvm.starts_with("22.") {
        bail!("Debian's rustc uses LLVM {llvm}; the Xtensa route is verified with LLVM 22 only");
    }
    // The standard library sources (-Zbuild-std) and llvm-mc-22, checked as `splitcore build`
    // checks them.
    splitcore_build::toolchain::Toolchain::Debian { rustc: "/usr/bin/rustc".into() }.preflight()?;
    for program in ["llvm-mc-22", "qemu-system-xtensa", "xtensa-lx106-elf-ld"] {
        println!("setup: {}", version_line(program, &["--version"])?);
    }
    for program in ["chromium", "node", "npm"] {
        let output =
            Command::new(program).arg("--version").output().with_context(|| format!("running {program}"))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let version = text.lines().next().unwrap_or("unknown version").trim().to_owned();
        println!("setup: {program}: {version}");
        if program == "node" {
            // The locked playwright-core declares `engines: node >= 20`.
            let major = version.trim_start_matches('v').split('.').next().and_then(|m| m.parse::<u32>().ok());
            if major.is_none_or(|m| m < 20) {
                bail!(
                    "node {version}: the browser test's playwright-core needs Node.js 20 or newer \
                     (Debian 12's nodejs is 18; install Node.js 20, e.g. from NodeSource)"
                );
            }
        }
    }
    Ok(())
}
