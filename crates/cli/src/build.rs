//! `splitcore build`: a user's core-1 crate for the ESP32-S3 through splitcore-build, its
//! section sizes, then `splitcore check` on the archive.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use splitcore_build::cargo::{TargetSpec, XtensaBuild};
use splitcore_build::sizes::archive_sizes;
use splitcore_build::toolchain::Toolchain;
use splitcore_check::Config;

/// Name of the annotation file `splitcore build` reads from the crate's directory.
pub const ANNOTATIONS_FILE: &str = "splitcore-check.annotations";

/// Referenced only on the core-0 branch of splitcore-rt's panic handler (the ESP-IDF component
/// defines it, in flash: core 1 never reaches it).
const RUNTIME_ALLOWED: &str = "splitcore_core0_panic";

#[derive(clap::Args)]
pub struct BuildArgs {
    /// The core-1 crate's manifest (default: ./core1/Cargo.toml, else ./Cargo.toml).
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// Cargo target directory (default: `target/` beside the manifest).
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
    /// Build only; skip `splitcore check`.
    #[arg(long)]
    no_check: bool,
    /// Stack annotations for the check (default: `splitcore-check.annotations` beside the
    /// manifest, when present).
    #[arg(long, value_name = "FILE")]
    annotations: Option<PathBuf>,
    /// Symbol outside the archive that the IDF build places in IRAM (repeatable).
    #[arg(long = "allow", value_name = "SYM")]
    allow: Vec<String>,
    /// Core-1 stack size in bytes: built into the runtime (as SPLITCORE_STACK_SIZE) and checked
    /// against. Default: $SPLITCORE_STACK_SIZE, else 16384.
    #[arg(long, value_name = "BYTES", value_parser = crate::bytes)]
    stack_size: Option<u64>,
    /// Print the check's report as JSON on stdout (the build's own lines go to stderr).
    #[arg(long)]
    json: bool,
}

/// The manifest to build: the given one (a directory means its `Cargo.toml`), else
/// `core1/Cargo.toml` or `Cargo.toml` in `cwd`.
fn manifest(given: Option<&Path>, cwd: &Path) -> Result<PathBuf> {
    match given {
        Some(path) => {
            let path = if path.is_dir() { path.join("Cargo.toml") } else { path.to_path_buf() };
            if !path.is_file() {
                bail!("--manifest-path: {} does not exist", path.display());
            }
            Ok(path)
        }
        None => ["core1/Cargo.toml", "Cargo.toml"].iter().map(|p| cwd.join(p)).find(|p| p.is_file()).with_context(
            || {
                format!(
                    "no core-1 crate in {}: neither core1/Cargo.toml nor Cargo.toml exists (pass --manifest-path)",
                    cwd.display()
                )
            },
        ),
    }
}

/// `splitcore build`.
pub fn run(args: BuildArgs) -> ExitCode {
    let setup = (|| -> Result<(PathBuf, PathBuf, Toolchain)> {
        let cwd = std::env::current_dir().context("reading the current directory")?;
        let manifest = manifest(args.manifest_path.as_deref(), &cwd)?;
        let manifest = manifest.canonicalize().with_context(|| format!("{}", manifest.display()))?;
        let toolchain = Toolchain::detect()?;
        toolchain.preflight()?;
        Ok((cwd, manifest, toolchain))
    })();
    let (cwd, manifest, toolchain) = match setup {
        Ok(s) => s,
        Err(e) => {
            eprintln!("splitcore build: {e:#}");
            return ExitCode::from(2);
        }
    };
    let crate_dir = manifest.parent().unwrap_or(Path::new(".")).to_path_buf();
    let target_dir = args.target_dir.as_ref().map_or_else(|| crate_dir.join("target"), |dir| cwd.join(dir));
    let json = args.json;
    // With --json, stdout carries the report only.
    let say = |text: String| {
        if json {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    };
    // The runtime takes its stack size from SPLITCORE_STACK_SIZE at build time: build with the
    // size that is checked, and refuse a contradiction rather than check a stack never built.
    let from_env = std::env::var("SPLITCORE_STACK_SIZE").ok();
    let stack_size = match (args.stack_size, from_env.as_deref().map(crate::bytes)) {
        (Some(flag), Some(Ok(env))) if flag != env => {
            eprintln!(
                "splitcore build: --stack-size {flag} contradicts SPLITCORE_STACK_SIZE={env} in the environment"
            );
            return ExitCode::from(2);
        }
        (_, Some(Err(e))) => {
            eprintln!("splitcore build: SPLITCORE_STACK_SIZE: {e}");
            return ExitCode::from(2);
        }
        (Some(flag), _) => flag,
        (None, Some(Ok(env))) => env,
        (None, None) => splitcore_check::DEFAULT_STACK_SIZE,
    };
    if stack_size < 2048 || stack_size % 16 != 0 || stack_size > 256 * 1024 {
        eprintln!("splitcore build: stack size {stack_size}: must be a multiple of 16 between 2048 and 262144 bytes");
        return ExitCode::from(2);
    }
    let built = (|| -> Result<PathBuf> {
        let target = TargetSpec::Esp32s3;
        let targets_dir = target.write_json(&target_dir.join("splitcore-targets"))?;
        let started = std::time::Instant::now();
        let output = XtensaBuild {
            manifest: manifest.clone(),
            packages: Vec::new(),
            target,
            targets_dir,
            target_dir: target_dir.clone(),
            env: vec![("SPLITCORE_STACK_SIZE".to_owned(), stack_size.to_string())],
            quiet: false,
        }
        .run(&toolchain)?;
        let (name, archive) = output.single_archive()?;
        say(format!(
            "splitcore build: {name} for {} with {} in {:.1} s",
            target.name(),
            toolchain.describe(),
            started.elapsed().as_secs_f64()
        ));
        say(format!("archive: {}", archive.display()));
        say(archive_sizes(archive)?.to_string());
        Ok(archive.to_path_buf())
    })();
    let archive = match built {
        Ok(a) => a,
        Err(e) => {
            eprintln!("splitcore build: {e:#}");
            return ExitCode::from(1);
        }
    };
    if args.no_check {
        return ExitCode::SUCCESS;
    }
    let mut config = Config::new(&archive);
    config.allow = args.allow;
    config.allow.push(RUNTIME_ALLOWED.to_owned());
    config.stack_size = Some(stack_size);
    let annotations =
        args.annotations.or_else(|| Some(crate_dir.join(ANNOTATIONS_FILE)).filter(|p| p.is_file()));
    if let Some(file) = &annotations {
        if let Err(e) = config.add_annotation_file(file) {
            eprintln!("splitcore build: error: {e}");
            return ExitCode::from(2);
        }
    }
    say(format!(
        "\nsplitcore check {}{}",
        archive.display(),
        annotations.map(|a| format!(" --annotations {}", a.display())).unwrap_or_default()
    ));
    crate::check_and_report(&config, json, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_defaults_to_core1_then_the_current_crate() {
        let dir = tempfile::tempdir().expect("tmp");
        let err = manifest(None, dir.path()).unwrap_err().to_string();
        assert!(err.contains("neither core1/Cargo.toml nor Cargo.toml"), "{err}");
        std::fs::write(dir.path().join("Cargo.toml"), "").expect("write");
        assert_eq!(manifest(None, dir.path()).unwrap(), dir.path().join("Cargo.toml"));
        std::fs::create_dir(dir.path().join("core1")).expect("mkdir");
        std::fs::write(dir.path().join("core1/Cargo.toml"), "").expect("write");
        assert_eq!(manifest(None, dir.path()).unwrap(), dir.path().join("core1/Cargo.toml"));
        // Given: a directory means its manifest; a missing file is named.
        let core1 = dir.path().join("core1");
        assert_eq!(manifest(Some(&core1), dir.path()).unwrap(), core1.join("Cargo.toml"));
        let missing = dir.path().join("nope/Cargo.toml");
        let err = manifest(Some(&missing), dir.path()).unwrap_err().to_string();
        assert!(err.starts_with("--manifest-path:") && err.contains("nope/Cargo.toml"), "{err}");
    }
}
