//! Running cargo for an Xtensa target and collecting the static archives it produced.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::toolchain::Toolchain;
use crate::wrapper::WRAPPER_ENV;

/// The JSON target specs kept in the repository (`targets/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSpec {
    /// The ESP32-S3 itself (`xtensa-esp32s3-none-elf`).
    Esp32s3,
    /// The same code generation minus MUL32_HIGH, for QEMU's `de233_fpu` core.
    QemuDe233,
}

impl TargetSpec {
    /// The target name (the JSON file's stem; cargo's output directory is named after it).
    pub fn name(self) -> &'static str {
        match self {
            TargetSpec::Esp32s3 => "xtensa-esp32s3-none-elf",
            TargetSpec::QemuDe233 => "xtensa-qemu-de233",
        }
    }

    /// The JSON spec file under `targets_dir`.
    pub fn json(self, targets_dir: &Path) -> PathBuf {
        targets_dir.join(format!("{}.json", self.name()))
    }

    /// The spec's text, as kept in the repository's `targets/` (compiled in, so a tool built
    /// from this repository can build a user's crate that lives anywhere).
    ///
    /// ```
    /// use splitcore_build::cargo::TargetSpec;
    /// assert!(TargetSpec::Esp32s3.json_text().contains("\"arch\": \"xtensa\""));
    /// ```
    pub fn json_text(self) -> &'static str {
        match self {
            TargetSpec::Esp32s3 => include_str!("../../../targets/xtensa-esp32s3-none-elf.json"),
            TargetSpec::QemuDe233 => include_str!("../../../targets/xtensa-qemu-de233.json"),
        }
    }

    /// Writes [`json_text`](Self::json_text) to [`json`](Self::json)`(dir)` unless that file
    /// already holds it (an unchanged file keeps cargo's fingerprints fresh); returns `dir`, to
    /// use as [`XtensaBuild::targets_dir`].
    ///
    /// ```
    /// use splitcore_build::cargo::TargetSpec;
    /// let dir = tempfile::tempdir()?;
    /// let targets = TargetSpec::Esp32s3.write_json(dir.path())?;
    /// assert!(TargetSpec::Esp32s3.json(&targets).is_file());
    /// # Ok::<(), anyhow::Error>(())
    /// ```
    pub fn write_json(self, dir: &Path) -> Result<PathBuf> {
        let path = self.json(dir);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(self.json_text()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            std::fs::write(&path, self.json_text()).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(dir.to_path_buf())
    }
}

/// One Xtensa build: packages of a firmware workspace for one target.
#[derive(Debug, Clone)]
pub struct XtensaBuild {
    /// The firmware workspace (or crate) manifest.
    pub manifest: PathBuf,
    /// Packages to build (`-p`); empty builds the manifest's default members.
    pub packages: Vec<String>,
    /// Which target spec.
    pub target: TargetSpec,
    /// Directory holding the JSON specs.
    pub targets_dir: PathBuf,
    /// Cargo target directory.
    pub target_dir: PathBuf,
    /// Extra environment for cargo (e.g. `RUSTFLAGS`).
    pub env: Vec<(String, String)>,
    /// Pass `--quiet` to cargo.
    pub quiet: bool,
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct BuildOutput {
    /// `(library name, path of its static archive)` for each staticlib built.
    pub archives: Vec<(String, PathBuf)>,
}

impl BuildOutput {
    /// The archive of `package` (`-` and `_` are equivalent, as in crate names).
    pub fn archive(&self, package: &str) -> Result<&Path> {
        let wanted = package.replace('-', "_");
        self.archives
            .iter()
            .find(|(p, _)| *p == wanted)
            .map(|(_, a)| a.as_path())
            .with_context(|| format!("the build produced no static archive for `{package}`"))
    }

    /// The one static archive of a single-crate build (a user's core-1 crate); an error names
    /// what was found when there is none or more than one.
    ///
    /// ```
    /// use splitcore_build::cargo::BuildOutput;
    /// let out = BuildOutput { archives: vec![("rig_core1".into(), "/t/librig_core1.a".into())] };
    /// assert_eq!(out.single_archive()?.0, "rig_core1");
    /// let none = BuildOutput { archives: vec![] };
    /// assert!(none.single_archive().unwrap_err().to_string().contains("no static archive"));
    /// # Ok::<(), anyhow::Error>(())
    /// ```
    pub fn single_archive(&self) -> Result<(&str, &Path)> {
        match self.archives.as_slice() {
            [(name, path)] => Ok((name, path)),
            [] => bail!(
                "the build produced no static archive: the core-1 crate needs `[lib] crate-type = [\"staticlib\"]`"
            ),
            many => bail!(
                "the build produced {} static archives ({}); build one core-1 crate at a time",
                many.len(),
                many.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

impl XtensaBuild {
    /// Runs cargo. The current executable must call [`crate::wrapper::run_if_requested`] first
    /// thing in `main`, because it is installed as `RUSTC_WRAPPER` for the Debian toolchain.
    pub fn run(&self, toolchain: &Toolchain) -> Result<BuildOutput> {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        match toolchain {
            Toolchain::Debian { rustc } => {
                let wrapper = std::env::current_exe().context("locating the wrapper executable")?;
                cmd.env("RUSTC", rustc)
                    .env("RUSTC_WRAPPER", wrapper)
                    .env(WRAPPER_ENV, "1")
                    .env("RUSTC_BOOTSTRAP", "1")
                    // rustup's proxies must not pick another toolchain's cargo internals.
                    .env_remove("RUSTUP_TOOLCHAIN")
                    .arg("build")
                    .arg("-Zjson-target-spec")
                    .arg("--target")
                    .arg(self.target.json(&self.targets_dir));
            }
            Toolchain::Esp => {
                cmd.arg("+esp").arg("build").env("RUSTC_BOOTSTRAP", "1");
                match self.target {
                    TargetSpec::Esp32s3 => {
                        cmd.arg("--target").arg(self.target.name());
                    }
                    TargetSpec::QemuDe233 => {
                        cmd.arg("-Zjson-target-spec")
                            .arg("--target")
                            .arg(self.target.json(&self.targets_dir));
                    }
                }
            }
        }
        cmd.env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_RUSTFLAGS")
            .arg("--release")
            // Panic locations in `.rodata` name source files; trimmed (workspace-relative,
            // `name-version/` for other packages, `/rustc/...` for core) they no longer depend
            // on where the sources live, and neither does the footprint the checker reports.
            .arg("-Ztrim-paths")
            .env("CARGO_PROFILE_RELEASE_TRIM_PATHS", "all")
            .arg("-Zbuild-std=core,panic_abort")
            .arg("-Zbuild-std-features=compiler-builtins-mem")
            .arg("--manifest-path")
            .arg(&self.manifest)
            .arg("--target-dir")
            .arg(&self.target_dir)
            .arg("--message-format=json-render-diagnostics");
        if self.quiet {
            cmd.arg("--quiet");
        }
        for package in &self.packages {
            cmd.arg("-p").arg(package);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::piped());
        let mut child = cmd.spawn().context("starting cargo")?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut archives = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            if let Some(archive) = staticlib_artifact(&line) {
                archives.push(archive);
            }
        }
        let status = child.wait()?;
        if !status.success() {
            bail!("cargo build for {} failed ({status})", self.target.name());
        }
        Ok(BuildOutput { archives })
    }
}

/// Parses one line of cargo's JSON messages; returns `(package, archive)` for a staticlib
/// artifact.
fn staticlib_artifact(line: &str) -> Option<(String, PathBuf)> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let kinds = message.get("target")?.get("crate_types")?.as_array()?;
    if !kinds.iter().any(|k| k.as_str() == Some("staticlib")) {
        return None;
    }
    let archive = message
        .get("filenames")?
        .as_array()?
        .iter()
        .filter_map(|f| f.as_str())
        .find(|f| f.ends_with(".a"))?;
    let package = message.get("target")?.get("name")?.as_str()?.replace('-', "_");
    Some((package, PathBuf::from(archive)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staticlib_artifacts_are_recognised() {
        let line = r#"{"reason":"compiler-artifact","package_id":"x","target":{"name":"qemu_smoke","kind":["staticlib"],"crate_types":["staticlib"]},"filenames":["/t/libqemu_smoke.a"]}"#;
        assert_eq!(
            staticlib_artifact(line),
            Some(("qemu_smoke".to_owned(), PathBuf::from("/t/libqemu_smoke.a")))
        );
        let rlib = r#"{"reason":"compiler-artifact","target":{"name":"core","crate_types":["lib"]},"filenames":["/t/libcore.rlib"]}"#;
        assert_eq!(staticlib_artifact(rlib), None);
        assert_eq!(staticlib_artifact("not json"), None);
    }
}
