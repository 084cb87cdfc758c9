//! splitcore's build orchestration. `cargo xtask --help` lists the commands; `cargo xtask test`
//! is what CI runs, `cargo xtask demo` the main job.

mod dashboard;
mod qemu;
mod report;
mod runtime_layout;
mod setup;
mod tasks;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use splitcore_build::cargo::TargetSpec;

#[derive(Parser)]
#[command(about = "splitcore build orchestration")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum Target {
    /// The ESP32-S3 (xtensa-esp32s3-none-elf).
    Esp32s3,
    /// QEMU's de233_fpu core (no MUL32_HIGH).
    Qemu,
}

impl From<Target> for TargetSpec {
    fn from(t: Target) -> Self {
        match t {
            Target::Esp32s3 => TargetSpec::Esp32s3,
            Target::Qemu => TargetSpec::QemuDe233,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Install the Debian packages of the Xtensa route when missing (needs root), check versions.
    Setup {
        /// Only check; fail if something is missing.
        #[arg(long)]
        check: bool,
    },
    /// Build firmware crates for Xtensa and print their archive sizes per section.
    Build {
        /// Target spec.
        #[arg(long, value_enum, default_value = "esp32s3")]
        target: Target,
        /// Packages of the firmware workspace (default: all).
        #[arg(short, long = "package")]
        packages: Vec<String>,
    },
    /// Build a firmware test program, link it with the QEMU board and run it.
    Qemu {
        /// Firmware package (a staticlib with `target_test_main!` or a `board_main`).
        package: String,
        /// Emulated machine.
        #[arg(long, value_enum, default_value = "sim")]
        machine: qemu::Machine,
        /// Number of CPUs.
        #[arg(long, default_value_t = 2)]
        cpus: u32,
        /// Deterministic mode (-icount shift=0, one TCG thread): CCOUNT counts guest
        /// instructions / 25. Use with --cpus 1.
        #[arg(long)]
        icount: bool,
        /// Wall-clock limit in seconds.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
        /// Scenario number passed to the program.
        #[arg(long, default_value_t = 0)]
        scenario: u32,
    },
    /// Run every on-target test program in QEMU, including the runner's self-tests.
    QemuTests,
    /// Build the core-1 archives (runtime probes, check-bad, the motor-position firmware) and
    /// run `splitcore check` on them: the CI step of `cargo xtask test`.
    CheckArchives,
    /// Write (or with --check, verify) reports/machine-code.md.
    AsmReport {
        /// Fail if the committed report differs from a fresh one.
        #[arg(long)]
        check: bool,
    },
    /// Run the splitcore-ipc fuzzer (an adversarial peer writing into the shared region).
    Fuzz {
        /// Seconds to run.
        #[arg(long, default_value_t = 60)]
        seconds: u32,
    },
    /// The dashboard's checks: kconfcheck of the example IDF app's Kconfig, npm ci, the page's
    /// node tests, the page in headless Chromium against the running twin (screenshots in
    /// target/dashboard). Part of `test`.
    DashboardTest,
    /// `splitcore new` a project into target/scaffold-test, `splitcore build` its core-1 crate
    /// (ESP32-S3 + check), run its control tests and its host twin (also broken: must fail).
    ScaffoldTest,
    /// Set up, run the motor-position host twin (plot + metrics), then the two-core demo in QEMU.
    Demo,
    /// Set up and run every check and test (what CI runs).
    Test,
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repository").to_owned()
}

/// A binary of the host workspace's debug build (`$CARGO_TARGET_DIR` or `target/`).
pub fn host_debug_bin(name: &str) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root().join("target"), PathBuf::from)
        .join("debug")
        .join(name)
}

fn main() -> Result<()> {
    splitcore_build::wrapper::run_if_requested();
    let cli = Cli::parse();
    match cli.command {
        Cmd::Setup { check } => setup::setup(check),
        Cmd::Build { target, packages } => tasks::build_and_report_sizes(target.into(), &packages).map(drop),
        Cmd::Qemu { package, machine, cpus, icount, timeout, scenario } => {
            let options = qemu::RunOptions {
                machine,
                cpus,
                icount,
                timeout: Duration::from_secs(timeout),
                scenario,
                echo: true,
            };
            tasks::run_qemu_program(&package, &options)
        }
        Cmd::QemuTests => tasks::qemu_tests(),
        Cmd::CheckArchives => tasks::check_core1_archive(),
        Cmd::AsmReport { check } => tasks::asm_report(check),
        Cmd::Fuzz { seconds } => tasks::fuzz_ipc(seconds),
        Cmd::DashboardTest => dashboard::test(),
        Cmd::ScaffoldTest => tasks::scaffold_test(),
        Cmd::Demo => tasks::demo(),
        Cmd::Test => tasks::test_all(),
    }
}
