//! Finding the tools of the Xtensa route: Debian's rustc + LLVM 22, GNU ld from
//! `binutils-xtensa-lx106`, QEMU — or Espressif's `esp` rustup toolchain when a user has it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Which compiler builds the Xtensa code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Toolchain {
    /// Debian's `rustc-web` (upstream LLVM 22 with its Xtensa backend), driven by the machine's
    /// cargo with `RUSTC_BOOTSTRAP=1`, a JSON target spec and the literal-placement wrapper.
    Debian {
        /// Path of Debian's rustc (normally `/usr/bin/rustc`).
        rustc: PathBuf,
    },
    /// Espressif's fork installed by `espup` as the rustup toolchain `esp`: it knows
    /// `xtensa-esp32s3-none-elf` natively and places literals correctly, so no wrapper is used.
    Esp,
}

impl Toolchain {
    /// Picks the toolchain: `SPLITCORE_TOOLCHAIN=debian|esp` forces one; otherwise Debian's
    /// rustc when installed, else `esp` when rustup lists it.
    pub fn detect() -> Result<Self> {
        match std::env::var("SPLITCORE_TOOLCHAIN").as_deref() {
            Ok("esp") => return Ok(Toolchain::Esp),
            Ok("debian") => return Ok(Self::debian()),
            Ok(other) => bail!("SPLITCORE_TOOLCHAIN={other}: expected `debian` or `esp`"),
            Err(_) => {}
        }
        let debian = Self::debian();
        if let Toolchain::Debian { rustc } = &debian {
            if rustc.exists() {
                return Ok(debian);
            }
        }
        if esp_toolchain_installed() {
            return Ok(Toolchain::Esp);
        }
        bail!(
            "no Xtensa-capable Rust compiler found: {} is missing. Install Debian's {DEBIAN_PACKAGES} \
             (`cargo xtask setup` in the splitcore repository does it, as root), or Espressif's `esp` \
             toolchain with espup",
            debian_rustc().display()
        )
    }

    /// Checks that everything this toolchain needs is installed, before a build starts: for
    /// Debian's, the compiler, the standard library sources (`-Zbuild-std`) and `llvm-mc-22`
    /// (the literal-placement wrapper). The error names the missing piece and its package.
    ///
    /// ```
    /// use splitcore_build::toolchain::Toolchain;
    /// let missing = Toolchain::Debian { rustc: "/nonexistent/rustc".into() };
    /// let e = missing.preflight().unwrap_err().to_string();
    /// assert!(e.contains("/nonexistent/rustc") && e.contains("rustc-web"), "{e}");
    /// ```
    pub fn preflight(&self) -> Result<()> {
        let Toolchain::Debian { rustc } = self else {
            return Ok(());
        };
        if !rustc.is_file() {
            bail!(
                "Debian's rustc is not at {} (SPLITCORE_DEBIAN_RUSTC overrides the path): install \
                 {DEBIAN_PACKAGES} (`cargo xtask setup` in the splitcore repository, as root)",
                rustc.display()
            );
        }
        let sysroot = Command::new(rustc)
            .args(["--print", "sysroot"])
            .output()
            .with_context(|| format!("running {} --print sysroot", rustc.display()))?;
        let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
        let core = sysroot.join("lib/rustlib/src/rust/library/core");
        if !core.is_dir() {
            bail!(
                "{} is missing: install Debian's `rust-web-src` (the standard library sources \
                 -Zbuild-std compiles; `cargo xtask setup` does it)",
                core.display()
            );
        }
        if find_tool("XTENSA_LLVM_MC", "llvm-mc-22").is_err() {
            bail!(
                "llvm-mc-22 is not on PATH: install Debian's `llvm-22` (the literal-placement \
                 wrapper assembles with it; `cargo xtask setup` does it) or set XTENSA_LLVM_MC"
            );
        }
        Ok(())
    }

    fn debian() -> Self {
        Toolchain::Debian { rustc: debian_rustc() }
    }

    /// A short name for messages.
    pub fn describe(&self) -> String {
        match self {
            Toolchain::Debian { rustc } => format!("Debian rustc ({})", rustc.display()),
            Toolchain::Esp => "Espressif `esp` rustup toolchain".to_owned(),
        }
    }
}

/// The Debian packages a build with Debian's toolchain needs (`cargo xtask setup` installs
/// them), as error messages name them.
///
/// ```
/// assert!(splitcore_build::toolchain::DEBIAN_PACKAGES.contains("`rust-web-src`"));
/// ```
pub const DEBIAN_PACKAGES: &str = "`rustc-web`, `rust-web-src` and `llvm-22`";

fn debian_rustc() -> PathBuf {
    std::env::var_os("SPLITCORE_DEBIAN_RUSTC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/rustc"))
}

fn esp_toolchain_installed() -> bool {
    Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.starts_with("esp")))
        .unwrap_or(false)
}

/// The LLVM binutils used on Xtensa objects (assembler, archiver, disassembler, size).
#[derive(Debug, Clone)]
pub struct LlvmTools {
    /// `llvm-mc-22`: assembles `.S`/`.s` files (`XTENSA_LLVM_MC` overrides).
    pub mc: PathBuf,
    /// `llvm-ar-22` (`XTENSA_LLVM_AR` overrides).
    pub ar: PathBuf,
    /// `llvm-objdump-22` (`XTENSA_LLVM_OBJDUMP` overrides).
    pub objdump: PathBuf,
}

impl LlvmTools {
    /// Finds the tools on `PATH` (or as overridden by the environment).
    pub fn discover() -> Result<Self> {
        Ok(LlvmTools {
            mc: find_tool("XTENSA_LLVM_MC", "llvm-mc-22")?,
            ar: find_tool("XTENSA_LLVM_AR", "llvm-ar-22")?,
            objdump: find_tool("XTENSA_LLVM_OBJDUMP", "llvm-objdump-22")?,
        })
    }

    /// Assembles `source` (GNU-as syntax, `.S` files are not preprocessed) into `object`.
    pub fn assemble(&self, source: &Path, object: &Path) -> Result<()> {
        self.assemble_with_includes(source, object, &[])
    }

    /// Like [`assemble`](Self::assemble), searching `includes` for `.include` files.
    pub fn assemble_with_includes(&self, source: &Path, object: &Path, includes: &[&Path]) -> Result<()> {
        let status = Command::new(&self.mc)
            .args(["--triple=xtensa", "-mcpu=esp32", "-mattr=+fp", "-filetype=obj"])
            .args(includes.iter().flat_map(|dir| [std::ffi::OsStr::new("-I"), dir.as_os_str()]))
            .arg(source)
            .arg("-o")
            .arg(object)
            .status()
            .with_context(|| format!("running {}", self.mc.display()))?;
        if !status.success() {
            bail!("assembling {} failed", source.display());
        }
        Ok(())
    }
}

/// Finds `default` on `PATH`, unless the environment variable `env` names another program.
pub fn find_tool(env: &str, default: &str) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Ok(PathBuf::from(path));
    }
    which(default)
        .with_context(|| format!("`{default}` not found on PATH (run `cargo xtask setup`, or set {env})"))
}

/// Looks a program up on `PATH`.
pub fn which(program: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .with_context(|| format!("{program} is not on PATH"))
}
