//! The QEMU runner: link a test program with the board, run it on emulated Xtensa cores with a
//! timeout, stream its output and turn the result into pass/fail.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use splitcore_build::toolchain::{find_tool, LlvmTools};
use splitcore_proto::exccause::ExcCause;

/// Address of the board's boot configuration block (`board_config` in `qemu-board/link.x`).
const CONFIG_ADDR: u32 = 0x000F_0000;
/// First word of the configuration block ("SPLT").
const CONFIG_MAGIC: u32 = 0x5350_4c54;

/// Which emulated machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Machine {
    /// `-M sim`: all CPUs start at once; no inter-core interrupts.
    Sim,
    /// `-M kc705`: core 1 is held until core 0 releases it (MPSCORE); MX inter-core interrupts.
    Kc705,
}

impl Machine {
    /// The number the board's configuration block uses (`target-test/src/board.rs`).
    fn config_code(self) -> u32 {
        match self {
            Machine::Sim => 1,
            Machine::Kc705 => 2,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Machine::Sim => "sim",
            Machine::Kc705 => "kc705",
        }
    }
}

/// How to run a program.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The machine.
    pub machine: Machine,
    /// Number of CPUs (`-smp`).
    pub cpus: u32,
    /// Deterministic mode: `-icount shift=0`, single-threaded TCG (use with one CPU).
    pub icount: bool,
    /// Wall-clock limit.
    pub timeout: Duration,
    /// Program-defined scenario number, passed in the boot configuration.
    pub scenario: u32,
    /// Echo the program's output while it runs.
    pub echo: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            machine: Machine::Sim,
            cpus: 2,
            icount: false,
            timeout: Duration::from_secs(120),
            scenario: 0,
            echo: true,
        }
    }
}

impl RunOptions {
    /// A short description, e.g. `-M sim -smp 2`.
    pub fn describe(&self) -> String {
        let mut s = format!("-M {} -smp {}", self.machine.name(), self.cpus);
        if self.icount {
            s.push_str(" -icount");
        }
        if self.scenario != 0 {
            s.push_str(&format!(" scenario {}", self.scenario));
        }
        s
    }
}

/// Test counts from the program's closing line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Tests that passed.
    pub passed: u32,
    /// Tests that failed.
    pub failed: u32,
    /// Tests skipped (e.g. two-core tests on one CPU).
    pub skipped: u32,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Exit 0 and a summary with no failure (or no summary: a program that is not a test).
    Passed(Option<Summary>),
    /// Tests reported failures.
    TestsFailed(Summary),
    /// A fatal CPU exception on core 0.
    Exception(ExcCause),
    /// Another abnormal end, described.
    Abnormal(String),
    /// The wall-clock limit was hit.
    TimedOut,
}

impl Verdict {
    /// Whether this counts as success.
    pub fn is_pass(&self) -> bool {
        matches!(self, Verdict::Passed(_))
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Passed(Some(s)) => {
                write!(f, "PASSED ({} passed, {} failed, {} skipped)", s.passed, s.failed, s.skipped)
            }
            Verdict::Passed(None) => write!(f, "PASSED (exit 0)"),
            Verdict::TestsFailed(s) => {
                write!(f, "FAILED ({} passed, {} failed, {} skipped)", s.passed, s.failed, s.skipped)
            }
            Verdict::Exception(cause) => write!(f, "FAILED: fatal CPU exception {cause} on core 0"),
            Verdict::Abnormal(what) => write!(f, "FAILED: {what}"),
            Verdict::TimedOut => write!(f, "FAILED: timed out"),
        }
    }
}

/// The result of one run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Everything the program printed.
    pub output: String,
    /// The interpretation.
    pub verdict: Verdict,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// Parses `[word: ]N passed, N failed[, N skipped]` (the last such line wins).
pub fn parse_summary(output: &str) -> Option<Summary> {
    output.lines().rev().find_map(|line| {
        let mut numbers = [None::<u32>; 3];
        let line = line.trim();
        let line = match line.split_once(": ") {
            Some((word, rest)) if !word.contains(' ') => rest,
            _ => line,
        };
        for part in line.split(", ") {
            let (n, word) = part.split_once(' ')?;
            let n: u32 = n.parse().ok()?;
            let slot = match word {
                "passed" => 0,
                "failed" => 1,
                "skipped" => 2,
                _ => return None,
            };
            numbers[slot] = Some(n);
        }
        Some(Summary { passed: numbers[0]?, failed: numbers[1]?, skipped: numbers[2].unwrap_or(0) })
    })
}

/// Interprets an exit status and the output (see the exit codes in `target-test/src/runner.rs`).
pub fn verdict(exit_code: Option<i32>, timed_out: bool, output: &str) -> Verdict {
    if timed_out {
        return Verdict::TimedOut;
    }
    let summary = parse_summary(output);
    match exit_code {
        Some(0) => match summary {
            Some(s) if s.failed > 0 => Verdict::Abnormal("exit 0 although tests failed".into()),
            other => Verdict::Passed(other),
        },
        Some(1) => match summary {
            Some(s) if s.failed > 0 => Verdict::TestsFailed(s),
            _ => Verdict::Abnormal("exit 1 without a test summary".into()),
        },
        Some(code @ 100..=163) => Verdict::Exception(ExcCause::from_raw(code as u32 - 100)),
        Some(98) => Verdict::Abnormal("exception while the core-1 ROM stand-in's vectors were active".into()),
        Some(97) => Verdict::Abnormal("debug exception (BREAK or watchpoint) on core 0".into()),
        Some(96) => Verdict::Abnormal("double exception on core 0".into()),
        Some(95) => Verdict::Abnormal("unexpected high-priority interrupt on core 0".into()),
        Some(99) => Verdict::Abnormal("panic on core 0".into()),
        Some(90) => Verdict::Abnormal("abort() (llvm.trap) called".into()),
        Some(code) => Verdict::Abnormal(format!("exit status {code}")),
        None => Verdict::Abnormal("QEMU was killed by a signal".into()),
    }
}

/// Paths of the board support files.
pub struct Board {
    /// `firmware/qemu-board/start.S`.
    pub start: PathBuf,
    /// `firmware/qemu-board/link.x`.
    pub link_script: PathBuf,
    /// Where `start.S` finds its `.include`d files (the runtime's window handlers).
    pub include_dir: PathBuf,
    /// Where objects and ELFs go.
    pub out_dir: PathBuf,
}

impl Board {
    /// The board of the repository at `root`.
    pub fn new(root: &Path) -> Self {
        Board {
            start: root.join("firmware/qemu-board/start.S"),
            link_script: root.join("firmware/qemu-board/link.x"),
            include_dir: root.join("firmware/runtime/asm"),
            out_dir: root.join("firmware/target/qemu-board"),
        }
    }

    /// Links `archive` (a test program's staticlib) with the board into `<name>.elf`.
    pub fn link(&self, archive: &Path, name: &str) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.out_dir)?;
        let start = self.out_dir.join("start.o");
        LlvmTools::discover()?.assemble_with_includes(&self.start, &start, &[&self.include_dir])?;
        let elf = self.out_dir.join(format!("{name}.elf"));
        let ld = find_tool("XTENSA_LD", "xtensa-lx106-elf-ld")?;
        let output = Command::new(&ld)
            .args(["--no-relax", "--gc-sections", "-z", "noexecstack", "--no-warn-rwx-segments"])
            .arg("-T")
            .arg(&self.link_script)
            .arg(&start)
            .arg(archive)
            .arg("-o")
            .arg(&elf)
            .output()
            .with_context(|| format!("running {}", ld.display()))?;
        if !output.status.success() {
            bail!("linking {name} failed:\n{}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(elf)
    }
}

fn loader_word(cmd: &mut Command, offset: u32, value: u32) {
    cmd.arg("-device").arg(format!("loader,addr=0x{:x},data=0x{value:x},data-len=4", CONFIG_ADDR + offset));
}

/// Runs an ELF in QEMU.
pub fn run(elf: &Path, options: &RunOptions) -> Result<Outcome> {
    let qemu = find_tool("QEMU_XTENSA", "qemu-system-xtensa")?;
    let mut cmd = Command::new(qemu);
    cmd.args(["-M", options.machine.name(), "-cpu", "de233_fpu"])
        .args(["-smp", &options.cpus.to_string()])
        .args(["-nographic", "-monitor", "none", "-semihosting", "-kernel"])
        .arg(elf);
    if options.icount {
        cmd.args(["-icount", "shift=0,align=off,sleep=off", "-accel", "tcg,thread=single"]);
    }
    loader_word(&mut cmd, 0, CONFIG_MAGIC);
    loader_word(&mut cmd, 4, options.cpus);
    loader_word(&mut cmd, 8, u32::from(options.icount));
    loader_word(&mut cmd, 12, options.scenario);
    loader_word(&mut cmd, 16, options.machine.config_code());
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());

    let started = Instant::now();
    let mut child = cmd.spawn().context("starting qemu-system-xtensa")?;
    let output = Arc::new(Mutex::new(String::new()));
    let mut readers = Vec::new();
    for stream in [
        Box::new(child.stdout.take().expect("piped")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("piped")),
    ] {
        let output = Arc::clone(&output);
        let echo = options.echo;
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if echo {
                    println!("  | {line}");
                }
                let mut all = output.lock().expect("output lock");
                all.push_str(&line);
                all.push('\n');
            }
        }));
    }
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > options.timeout {
            timed_out = true;
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    for reader in readers {
        reader.join().ok();
    }
    let output = output.lock().expect("output lock").clone();
    let exit_code = status.and_then(|s| s.code());
    Ok(Outcome { verdict: verdict(exit_code, timed_out, &output), output, elapsed: started.elapsed() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_parsed_from_the_last_matching_line() {
        let out = "test a ... ok\n3 passed, 1 failed, 2 skipped\n";
        assert_eq!(parse_summary(out), Some(Summary { passed: 3, failed: 1, skipped: 2 }));
        assert_eq!(parse_summary("1 passed, 0 failed\n"), Some(Summary { passed: 1, failed: 0, skipped: 0 }));
        assert_eq!(parse_summary("nothing here\n"), None);
        assert_eq!(
            parse_summary("demo: 12 passed, 0 failed\n"),
            Some(Summary { passed: 12, failed: 0, skipped: 0 })
        );
        assert_eq!(parse_summary("two words: 1 passed, 0 failed\n"), None);
        assert_eq!(parse_summary("3 passed, many failed\n"), None);
    }

    #[test]
    fn exit_codes_are_decoded() {
        let ok = "2 passed, 0 failed, 0 skipped\n";
        assert!(verdict(Some(0), false, ok).is_pass());
        assert_eq!(
            verdict(Some(1), false, "1 passed, 1 failed, 0 skipped\n"),
            Verdict::TestsFailed(Summary { passed: 1, failed: 1, skipped: 0 })
        );
        assert_eq!(verdict(Some(109), false, ""), Verdict::Exception(ExcCause(9)));
        assert_eq!(
            verdict(Some(100), false, "").to_string(),
            "FAILED: fatal CPU exception IllegalInstruction (EXCCAUSE 0) on core 0"
        );
        assert_eq!(verdict(None, true, ok), Verdict::TimedOut);
        assert!(!verdict(Some(0), false, "0 passed, 2 failed\n").is_pass());
        assert!(!verdict(Some(1), false, "").is_pass());
    }
}
