//! `splitcore`: the splitcore command line.
//!
//! `splitcore check <archive.a>` proves that core-1 code never touches flash and never
//! overflows its stack (see the `splitcore-check` crate). Exit codes: 0 clean, 1 violations,
//! 2 bad input. `splitcore decode --hex <record> [--elf firmware.elf]` prints a core-1 crash
//! record like ESP-IDF's panic output, with the backtrace resolved to function names.
//! `splitcore new <name>` creates a project (an ESP-IDF app with the component, a core-1
//! crate, its control crate and a host twin; see the `splitcore-scaffold` crate).
//! `splitcore build [--manifest-path core1/Cargo.toml]` builds a core-1 crate for the ESP32-S3
//! with splitcore-build (Debian rustc + LLVM 22 or the `esp` toolchain), prints the archive and
//! its section sizes, and runs `splitcore check` on it. Exit codes: 0 clean, 1 build failed or
//! check violations, 2 bad input or a missing toolchain.

mod build;

mod decode;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use splitcore_check::annotations::parse_bytes;
use splitcore_check::{check, render, Config};

#[derive(Parser)]
#[command(name = "splitcore", version, about = "Bare-metal Rust on the ESP32-S3's second core")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prove that core-1 code stays out of flash and within its stack.
    Check(CheckArgs),
    /// Print a core-1 crash record (hex bytes), with the backtrace symbolised from the ELF.
    Decode {
        /// The record's bytes as hex (as core 0 or the demo prints them).
        #[arg(long)]
        hex: String,
        /// The linked firmware ELF, for function names.
        #[arg(long)]
        elf: Option<PathBuf>,
    },
    /// Create a project: an ESP-IDF app with the splitcore component, a core-1 crate, its
    /// control crate and a host twin runner.
    New {
        /// Project name (a-z, 0-9, -); also the directory created.
        name: String,
        /// Parent directory (default: the current one).
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
        /// The splitcore checkout the project's path dependencies and CMake point at
        /// (default: the checkout this binary was built from).
        #[arg(long, value_name = "DIR", alias = "splitcore")]
        splitcore_root: Option<PathBuf>,
    },
    /// Build a core-1 crate for the ESP32-S3, print its archive and section sizes, then run
    /// `splitcore check` on the archive.
    Build(build::BuildArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The core-1 static archive (relocatable Xtensa ELF objects).
    archive: PathBuf,
    /// The final linked firmware ELF: also check where every reachable symbol was placed.
    #[arg(long)]
    elf: Option<PathBuf>,
    /// Extra root symbol (repeatable); the runtime's roots are always included.
    #[arg(long = "root", value_name = "SYM")]
    roots: Vec<String>,
    /// Symbol outside the archive that the IDF build places in IRAM (repeatable).
    #[arg(long = "allow", value_name = "SYM")]
    allow: Vec<String>,
    /// File with allowed symbols, one per line (`#` comments).
    #[arg(long, value_name = "FILE")]
    allow_file: Option<PathBuf>,
    /// Stack annotations: `function_symbol max_depth_bytes` / `indirect <caller> -> <callee|bytes>`.
    #[arg(long, value_name = "FILE")]
    annotations: Option<PathBuf>,
    /// Core-1 stack size in bytes (SPLITCORE_STACK_SIZE).
    #[arg(long, value_name = "BYTES", default_value = "16384", value_parser = bytes)]
    stack_size: u64,
    /// IRAM budget in bytes.
    #[arg(long, value_name = "BYTES", value_parser = bytes)]
    iram_budget: Option<u64>,
    /// DRAM budget in bytes.
    #[arg(long, value_name = "BYTES", value_parser = bytes)]
    dram_budget: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Run the analysis this many times and print the time of each run (benchmarking).
    #[arg(long, value_name = "N", hide = true)]
    bench_iterations: Option<u32>,
}

fn bytes(s: &str) -> Result<u64, String> {
    parse_bytes(s).ok_or_else(|| format!("`{s}` is not a byte count (e.g. 16384, 16k, 0x4000)"))
}

fn main() -> ExitCode {
    splitcore_build::wrapper::run_if_requested();
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => run_check(args),
        Command::Decode { hex, elf } => run_decode(&hex, elf.as_deref()),
        Command::New { name, path, splitcore_root } => run_new(&name, path, splitcore_root),
        Command::Build(args) => build::run(args),
    }
}

fn run_decode(hex: &str, elf: Option<&std::path::Path>) -> ExitCode {
    let result = (|| -> anyhow::Result<String> {
        let crash = decode::decode_hex(hex)?;
        let symbols = match elf {
            Some(path) => Some(decode::Symbols::from_elf(
                &std::fs::read(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?,
            )?),
            None => None,
        };
        Ok(decode::render(&crash, symbols.as_ref()))
    })();
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("splitcore decode: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run_check(args: CheckArgs) -> ExitCode {
    let mut config = Config::new(&args.archive);
    config.elf = args.elf;
    config.roots = args.roots;
    config.allow = args.allow;
    config.stack_size = Some(args.stack_size);
    config.iram_budget = args.iram_budget;
    config.dram_budget = args.dram_budget;
    let loaded = (|| {
        if let Some(f) = &args.allow_file {
            config.add_allow_file(f)?;
        }
        if let Some(f) = &args.annotations {
            config.add_annotation_file(f)?;
        }
        Ok::<_, splitcore_check::InputError>(())
    })();
    if let Err(e) = loaded {
        eprintln!("splitcore check: error: {e}");
        return ExitCode::from(2);
    }
    check_and_report(&config, args.json, args.bench_iterations)
}

/// Runs the check, prints the report; the exit code is the report's (0 clean, 1 violations)
/// or 2 for bad input.
fn check_and_report(config: &Config, json: bool, bench_iterations: Option<u32>) -> ExitCode {
    if let Some(n) = bench_iterations {
        for i in 0..n {
            match check(config) {
                Ok(r) => println!("run {:>3}: {:.2} ms", i + 1, r.elapsed_ms),
                Err(e) => {
                    eprintln!("splitcore check: error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    }
    match check(config) {
        Ok(report) => {
            let text = if json {
                format!("{}\n", report.to_json())
            } else {
                render(&report, std::io::stdout().is_terminal())
            };
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::from(report.exit_code() as u8)
        }
        Err(e) => {
            eprintln!("splitcore check: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// The checkout this binary was built from.
fn built_from() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn run_new(name: &str, path: Option<PathBuf>, splitcore: Option<PathBuf>) -> ExitCode {
    let splitcore = splitcore.unwrap_or_else(built_from);
    let splitcore = match splitcore.canonicalize() {
        Ok(p) if p.join("components/splitcore/CMakeLists.txt").is_file() => p,
        Ok(p) => {
            eprintln!("splitcore new: {} is not a splitcore checkout (no components/splitcore)", p.display());
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("splitcore new: {}: {e}", splitcore.display());
            return ExitCode::from(2);
        }
    };
    let project = match splitcore_scaffold::Project::new(name, &splitcore) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("splitcore new: {e}");
            return ExitCode::from(2);
        }
    };
    let dir = path.unwrap_or_else(|| PathBuf::from(".")).join(name);
    match splitcore_scaffold::create(&project, &dir) {
        Ok(files) => {
            println!("created {} ({} files)", dir.display(), files.len());
            println!("next, in {}:", dir.display());
            println!("  cargo run -p {name}-twin          # the control code in the host twin");
            println!(
                "  splitcore build                      # core 1 for the ESP32-S3, then splitcore check"
            );
            println!("  idf.py set-target esp32s3 && idf.py build flash monitor");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("splitcore new: {e}");
            ExitCode::from(1)
        }
    }
}
