//! The composite tasks: builds, the QEMU test plan, the demo and the full test run.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use splitcore_build::cargo::{BuildOutput, TargetSpec, XtensaBuild};
use splitcore_build::sizes::archive_sizes;
use splitcore_build::toolchain::Toolchain;

use crate::qemu::{self, Machine, Outcome, RunOptions, Verdict};
use crate::{report, root, setup};

/// Builds firmware packages (all when empty) for `target`.
pub fn build(target: TargetSpec, packages: &[&str]) -> Result<BuildOutput> {
    build_into(target, packages, &root().join("firmware/target"))
}

/// Where the user-style core-1 archives are built: each crate on its own, as a user's project
/// would be (a build of the whole firmware workspace unifies features and hands every crate
/// the QEMU board's `qemu` runtime feature). The checker's real-archive tests read them here.
pub const STANDALONE_TARGET_DIR: &str = "firmware/target/standalone";

/// [`build`] into `target_dir`.
pub fn build_into(
    target: TargetSpec,
    packages: &[&str],
    target_dir: &std::path::Path,
) -> Result<BuildOutput> {
    let root = root();
    let toolchain = Toolchain::detect()?;
    let started = Instant::now();
    let output = XtensaBuild {
        manifest: root.join("firmware/Cargo.toml"),
        packages: packages.iter().map(|p| p.to_string()).collect(),
        target,
        targets_dir: root.join("targets"),
        target_dir: target_dir.to_path_buf(),
        env: Vec::new(),
        quiet: false,
    }
    .run(&toolchain)?;
    println!(
        "build: {} archive(s) for {} with {} in {:.1} s",
        output.archives.len(),
        target.name(),
        toolchain.describe(),
        started.elapsed().as_secs_f64()
    );
    Ok(output)
}

/// `cargo xtask build`: builds and prints per-section sizes of each archive.
pub fn build_and_report_sizes(target: TargetSpec, packages: &[String]) -> Result<BuildOutput> {
    let packages: Vec<&str> = packages.iter().map(String::as_str).collect();
    let output = build(target, &packages)?;
    for (name, archive) in &output.archives {
        let sizes = archive_sizes(archive)?;
        let t = sizes.total;
        println!(
            "size {name} ({}): text {} rodata {} data {} bss {} bytes (archive, before --gc-sections)",
            target.name(),
            t.text,
            t.rodata,
            t.data,
            t.bss
        );
    }
    Ok(output)
}

/// Builds, links and runs one program; fails unless it passes.
pub fn run_qemu_program(package: &str, options: &RunOptions) -> Result<()> {
    let outcome = build_and_run(package, options)?;
    ensure!(outcome.verdict.is_pass(), "{package}: {}", outcome.verdict);
    Ok(())
}

fn build_and_run(package: &str, options: &RunOptions) -> Result<Outcome> {
    let build = build(TargetSpec::QemuDe233, &[package])?;
    let elf = qemu::Board::new(&root()).link(build.archive(package)?, package)?;
    println!("qemu: running {package} ({})", options.describe());
    let outcome = qemu::run(&elf, options)?;
    println!(
        "qemu: {package} ({}): {} in {:.2} s",
        options.describe(),
        outcome.verdict,
        outcome.elapsed.as_secs_f64()
    );
    Ok(outcome)
}

type Expectation = fn(&Outcome) -> Result<()>;

struct PlannedRun {
    package: &'static str,
    options: RunOptions,
    expect: Expectation,
}

fn passes_without_skips(outcome: &Outcome) -> Result<()> {
    match &outcome.verdict {
        Verdict::Passed(Some(s)) if s.skipped == 0 && s.passed > 0 => Ok(()),
        other => bail!("expected every test to pass with none skipped, got {other}"),
    }
}

fn passes_with_two_skips(outcome: &Outcome) -> Result<()> {
    match &outcome.verdict {
        Verdict::Passed(Some(s)) if s.skipped == 2 && s.passed > 0 => Ok(()),
        other => bail!("expected a pass with exactly two tests skipped, got {other}"),
    }
}

fn passes_with_one_skip(outcome: &Outcome) -> Result<()> {
    match &outcome.verdict {
        Verdict::Passed(Some(s)) if s.skipped == 1 && s.passed > 0 => Ok(()),
        other => bail!("expected a pass with exactly one test skipped, got {other}"),
    }
}

fn passes_with_core1_tests_skipped(outcome: &Outcome) -> Result<()> {
    match &outcome.verdict {
        Verdict::Passed(Some(s)) if s.skipped > 0 && s.passed > 0 => Ok(()),
        other => bail!("expected a pass with the core-1 tests skipped, got {other}"),
    }
}

fn output_contains(outcome: &Outcome, needle: &str) -> Result<()> {
    ensure!(outcome.output.contains(needle), "the output does not contain {needle:?}");
    Ok(())
}

fn selftest_failed_check(outcome: &Outcome) -> Result<()> {
    match &outcome.verdict {
        Verdict::TestsFailed(s) if s.passed == 3 && s.failed == 1 => {}
        other => bail!("expected 3 passed, 1 failed, got {other}"),
    }
    output_contains(outcome, "test chosen failure ... FAILED")?;
    output_contains(outcome, "answer == 42 failed: left 41, right 42")?;
    output_contains(outcome, "test still runs after a failure ... ok")
}

fn selftest_illegal_instruction(outcome: &Outcome) -> Result<()> {
    ensure!(
        outcome.verdict == Verdict::Exception(splitcore_proto::exccause::ExcCause::ILLEGAL_INSTRUCTION),
        "expected an IllegalInstruction exception, got {}",
        outcome.verdict
    );
    output_contains(outcome, "core 0: IllegalInstruction (EXCCAUSE 0) at PC 0x")
}

fn selftest_core1_panic(outcome: &Outcome) -> Result<()> {
    ensure!(matches!(outcome.verdict, Verdict::TestsFailed(s) if s.failed == 1), "got {}", outcome.verdict);
    output_contains(outcome, "core 1: panicked: deliberate panic with limit 3 at")
}

fn selftest_core1_alignment(outcome: &Outcome) -> Result<()> {
    ensure!(matches!(outcome.verdict, Verdict::TestsFailed(s) if s.failed == 1), "got {}", outcome.verdict);
    output_contains(outcome, "core 1: LoadStoreAlignment (EXCCAUSE 9) at PC 0x")
}

fn planned(package: &'static str, options: RunOptions, expect: Expectation) -> PlannedRun {
    PlannedRun { package, options, expect }
}

fn plan() -> Vec<PlannedRun> {
    let sim = RunOptions::default();
    let kc705 = RunOptions { machine: Machine::Kc705, ..RunOptions::default() };
    let icount_one_core = RunOptions { cpus: 1, icount: true, ..RunOptions::default() };
    let quiet = RunOptions { echo: false, timeout: Duration::from_secs(60), ..RunOptions::default() };
    let scenario = |n| RunOptions { scenario: n, ..quiet.clone() };
    vec![
        planned("qemu-smoke", sim.clone(), passes_without_skips),
        planned("qemu-smoke", kc705.clone(), passes_without_skips),
        planned("qemu-smoke", icount_one_core.clone(), passes_with_core1_tests_skipped),
        // -M sim has no inter-core interrupt and no level-2 source (the doorbell and level-2
        // tests are skipped there); -M kc705 has no faulting unmapped address (that test is
        // skipped there): together they cover all.
        planned("qemu-runtime", sim.clone(), passes_with_two_skips),
        planned("qemu-runtime", kc705.clone(), passes_with_one_skip),
        planned("qemu-core0", sim.clone(), passes_without_skips),
        planned("qemu-core0", kc705.clone(), passes_without_skips),
        planned("qemu-demo", sim.clone(), passes_without_skips),
        planned("qemu-ipc", sim.clone(), passes_with_one_skip),
        planned("qemu-ipc", icount_one_core.clone(), passes_with_core1_tests_skipped),
        planned("qemu-exec", icount_one_core.clone(), passes_without_skips),
        planned("qemu-runner-selftest", scenario(0), selftest_failed_check),
        planned("qemu-runner-selftest", scenario(1), selftest_illegal_instruction),
        planned("qemu-runner-selftest", scenario(2), selftest_core1_panic),
        planned("qemu-runner-selftest", scenario(3), selftest_core1_alignment),
    ]
}

/// `cargo xtask qemu-tests`: every planned run, each checked against its expectation.
pub fn qemu_tests() -> Result<()> {
    let plan = plan();
    let mut packages: Vec<&str> = plan.iter().map(|p| p.package).collect();
    packages.sort_unstable();
    packages.dedup();
    let build = build(TargetSpec::QemuDe233, &packages)?;
    let board = qemu::Board::new(&root());
    let mut failures = Vec::new();
    for run in &plan {
        let elf = board.link(build.archive(run.package)?, run.package)?;
        println!("qemu: running {} ({})", run.package, run.options.describe());
        let outcome = qemu::run(&elf, &run.options)?;
        let checked = (run.expect)(&outcome);
        let label = format!("{} ({})", run.package, run.options.describe());
        match checked {
            Ok(()) => println!(
                "qemu: {label}: as expected — {} in {:.2} s",
                outcome.verdict,
                outcome.elapsed.as_secs_f64()
            ),
            Err(e) => {
                if !run.options.echo {
                    println!("{}", outcome.output);
                }
                println!("qemu: {label}: NOT as expected: {e:#}");
                failures.push(label);
            }
        }
    }
    println!("qemu-tests: {} passed, {} failed", plan.len() - failures.len(), failures.len());
    ensure!(failures.is_empty(), "QEMU runs not as expected: {}", failures.join("; "));
    Ok(())
}

fn rustc_version() -> Result<String> {
    let out = Command::new("/usr/bin/rustc").arg("--version").output().context("running /usr/bin/rustc")?;
    let version = String::from_utf8_lossy(&out.stdout);
    // "rustc 1.96.0 (ac68faa20 2026-05-25) (built from a source tarball)" -> "rustc 1.96.0"
    Ok(version.split(" (").next().unwrap_or("rustc").trim().to_owned())
}

/// `cargo xtask asm-report [--check]`; with `--check` also the runtime's IRAM/vector layout.
pub fn asm_report(check: bool) -> Result<()> {
    let build = build(TargetSpec::Esp32s3, &report::packages())?;
    if check {
        crate::runtime_layout::check(build.archive("asm-probes")?)?;
    }
    let executed = icount_figures()?;
    let text = report::render(&build, &rustc_version()?, &executed)?;
    report::write_or_check(&root().join("reports/machine-code.md"), &text, check)
}

/// Runs the `-icount` measurements (one emulated core, exactly repeatable) and returns the
/// lines they print (`icount: ...`).
fn icount_figures() -> Result<Vec<String>> {
    let packages = ["qemu-ipc", "qemu-exec"];
    let build = build(TargetSpec::QemuDe233, &packages)?;
    let mut figures = Vec::new();
    for package in packages {
        let elf = qemu::Board::new(&root()).link(build.archive(package)?, package)?;
        let options = RunOptions { cpus: 1, icount: true, echo: false, ..RunOptions::default() };
        let outcome = qemu::run(&elf, &options)?;
        ensure!(outcome.verdict.is_pass(), "{package} under -icount: {}", outcome.verdict);
        let before = figures.len();
        figures.extend(
            outcome
                .output
                .lines()
                .filter_map(|l| l.trim().strip_prefix("icount: "))
                .map(|l| format!("{package}: {l}")),
        );
        ensure!(figures.len() > before, "{package} printed no `icount:` figure");
    }
    Ok(figures)
}

/// `cargo xtask demo`.
pub fn demo() -> Result<()> {
    // The twin needs nothing but cargo: it runs first, so the plot is there before the
    // Debian packages of the Xtensa route are installed.
    println!("\n=== 1. the host twin: motor-position control on core 1, the IDF app's role on core 0 ===\n");
    twin_run()?;
    println!("\n=== 2. the same split on two emulated Xtensa cores (qemu-system-xtensa -smp 2) ===\n");
    setup::setup(false)?;
    demo_and_decode()
}

/// Where the demo's twin run writes its plot and metrics.
pub fn twin_out_dir() -> std::path::PathBuf {
    root().join("target/demo")
}

/// The motor-position example's host twin, headless: 3 s of virtual time, two position steps;
/// fails when the closed loop leaves its bounds. Writes the step-response plot and metrics.
pub fn twin_run() -> Result<()> {
    let out = twin_out_dir();
    let out_arg = out.display().to_string();
    cargo(&["run", "--quiet", "-p", "motor-position-twin", "--", "run", "--out", &out_arg])?;
    println!("\nplot: {}", out.join("step-response.svg").display());
    println!("metrics: {} (and metrics.json)", out.join("metrics.txt").display());
    Ok(())
}

/// Runs the demo, then has the host tool decode the crash record core 1 left, with the
/// backtrace resolved to function names from the demo's ELF.
pub fn demo_and_decode() -> Result<()> {
    let package = "qemu-demo";
    let outcome =
        build_and_run(package, &RunOptions { timeout: Duration::from_secs(60), ..RunOptions::default() })?;
    ensure!(outcome.verdict.is_pass(), "{package}: {}", outcome.verdict);
    let hex = outcome
        .output
        .lines()
        .find_map(|l| {
            l.split_once("crash record (hex, for `splitcore decode`): ").map(|(_, h)| h.trim().to_owned())
        })
        .context("the demo printed no crash record")?;
    let elf = qemu::Board::new(&root()).out_dir.join(format!("{package}.elf"));
    println!("\nhost: splitcore decode --elf {} --hex <the record core 1 left>", elf.display());
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["run", "--quiet", "-p", "splitcore", "--", "decode", "--hex", &hex, "--elf"])
        .arg(&elf)
        .current_dir(root())
        .output()
        .context("running splitcore decode")?;
    let text = String::from_utf8_lossy(&output.stdout);
    print!("{text}");
    ensure!(output.status.success(), "splitcore decode failed: {}", String::from_utf8_lossy(&output.stderr));
    // The control loop is inlined into the `entry!` function, `splitcore_user_main`.
    for frame in ["in core::panicking::panic_const::panic_const_div_by_zero+", "in splitcore_user_main+"] {
        ensure!(text.contains(frame), "the symbolised backtrace has no frame `{frame}`");
    }
    println!("host: the backtrace names the division that panicked and the core-1 user function");
    Ok(())
}

pub(crate) fn cargo(args: &[&str]) -> Result<()> {
    cargo_with_env(args, &[])
}

fn cargo_with_env(args: &[&str], env: &[(&str, String)]) -> Result<()> {
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        // The firmware workspace's manifest uses `cargo-features = ["profile-rustflags"]`.
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(root())
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    ensure!(status.success(), "cargo {} failed ({status})", args.join(" "));
    Ok(())
}

fn step(name: &str, timings: &mut Vec<(String, Duration)>, f: impl FnOnce() -> Result<()>) -> Result<()> {
    println!("\n=== {name} ===");
    let started = Instant::now();
    let result = f().with_context(|| format!("step `{name}` failed"));
    timings.push((name.to_owned(), started.elapsed()));
    result
}

/// loom explores the interleavings of every channel kind (`crates/ipc/tests/loom.rs`).
pub fn loom() -> Result<()> {
    let target_dir = root().join("target/loom");
    cargo_with_env(
        &["test", "-p", "splitcore-ipc", "--release", "--test", "loom"],
        &[
            ("RUSTFLAGS", "--cfg loom".to_owned()),
            ("LOOM_MAX_PREEMPTIONS", "3".to_owned()),
            ("CARGO_TARGET_DIR", target_dir.display().to_string()),
        ],
    )
}

/// The threaded stress tests under ThreadSanitizer (std is not instrumented: the suppressions
/// file names std/libtest frames only). The single-threaded property tests are left out: TSan
/// flags proptest's `LazyLock` config, whose synchronisation lives in uninstrumented std.
pub fn thread_sanitizer() -> Result<()> {
    let root = root();
    cargo_with_env(
        &["test", "-p", "splitcore-ipc", "--target", "x86_64-unknown-linux-gnu", "--test", "stress"],
        &[
            ("RUSTFLAGS", "-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer".to_owned()),
            (
                "TSAN_OPTIONS",
                format!(
                    "suppressions={} halt_on_error=1",
                    root.join("crates/ipc/tsan-suppressions.txt").display()
                ),
            ),
            ("CARGO_TARGET_DIR", root.join("target/tsan").display().to_string()),
        ],
    )
}

/// Builds the libFuzzer target `crates/ipc/fuzz` (coverage instrumentation + AddressSanitizer,
/// without needing cargo-fuzz) and runs it for `seconds`, starting from the committed seeds.
pub fn fuzz_ipc(seconds: u32) -> Result<()> {
    let root = root();
    let target_dir = root.join("target/fuzz");
    let flags = [
        "-Cpasses=sancov-module",
        "-Cllvm-args=-sanitizer-coverage-level=4",
        "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
        "-Cllvm-args=-sanitizer-coverage-pc-table",
        "-Cllvm-args=-sanitizer-coverage-trace-compares",
        "--cfg fuzzing",
        "-Cdebug-assertions",
        "-Coverflow-checks",
        "-Zsanitizer=address",
    ];
    let manifest = root.join("crates/ipc/fuzz/Cargo.toml");
    cargo_with_env(
        &[
            "build",
            "--release",
            "--manifest-path",
            &manifest.display().to_string(),
            "--target",
            "x86_64-unknown-linux-gnu",
            "--bin",
            "adversarial_peer",
        ],
        &[("RUSTFLAGS", flags.join(" ")), ("CARGO_TARGET_DIR", target_dir.display().to_string())],
    )?;
    let corpus = target_dir.join("corpus");
    std::fs::create_dir_all(&corpus)?;
    let status = Command::new(target_dir.join("x86_64-unknown-linux-gnu/release/adversarial_peer"))
        .arg(&corpus)
        .arg(root.join("crates/ipc/fuzz/corpus/adversarial_peer"))
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", target_dir.display()))
        .status()
        .context("running the fuzzer")?;
    ensure!(
        status.success(),
        "the fuzzer found a failure ({status}); the input is in {}",
        target_dir.display()
    );
    Ok(())
}

/// Runs `splitcore check` on the ESP32-S3 builds of `asm-probes` (the runtime, IPC and executive
/// as a user's core-1 archive would contain them) and of the motor-position example's core-1
/// program, then the checker's tests on the real archives, including `check-bad`, which must be
/// rejected with each of its findings named.
pub fn check_core1_archive() -> Result<()> {
    let probes =
        build_into(TargetSpec::Esp32s3, &["asm-probes", "check-bad"], &root().join(STANDALONE_TARGET_DIR))?;
    let data = root().join("crates/check/data");
    // `splitcore_core0_panic` is referenced only on the core-0 branch of the panic handler
    // (`core_id() != 1`), so core 1 never calls it (the component defines it in flash).
    splitcore_check(
        probes.archive("asm-probes")?,
        &["--allow", "splitcore_core0_panic"],
        &data.join("asm-probes.annotations"),
    )?;
    // The motor-position example's core-1 program, the archive its ESP-IDF app links: built on
    // its own (its `splitcore-ipc/ffi` must not change the archives above), checked with its
    // allow-list and annotations (each entry justified in the file).
    let example =
        build_into(TargetSpec::Esp32s3, &["motor-position-firmware"], &root().join(STANDALONE_TARGET_DIR))?;
    let allow = data.join("motor-position-firmware.allow").display().to_string();
    splitcore_check(
        example.archive("motor-position-firmware")?,
        &["--allow-file", &allow],
        &data.join("motor-position-firmware.annotations"),
    )?;
    cargo_with_env(
        &["test", "-p", "splitcore-check", "--test", "real_archive", "-p", "splitcore", "--test", "cli"],
        &[("SPLITCORE_REAL_ARCHIVES", "required".to_owned())],
    )
    .context("the checker's real-archive tests failed")
}

/// The bytes of the checker's "worst case: ... = N B (...) of ... stack" line.
fn worst_case_stack(report: &str) -> Option<u64> {
    let line = report.lines().find(|l| l.trim_start().starts_with("worst case:"))?;
    let (_, after) = line.rsplit_once(" = ")?;
    after.split(" B").next()?.trim().parse().ok()
}

/// `splitcore check <archive> <allow> --annotations <annotations>` (through cargo, so the
/// checker is built first).
fn splitcore_check(archive: &std::path::Path, allow: &[&str], annotations: &std::path::Path) -> Result<()> {
    let (archive, annotations) = (archive.display().to_string(), annotations.display().to_string());
    let mut args = vec!["run", "--quiet", "-p", "splitcore", "--", "check", &archive];
    args.extend_from_slice(allow);
    args.extend(["--annotations", &annotations]);
    cargo(&args)
}

/// Name of the project `scaffold_test` generates.
const SCAFFOLD_PROJECT: &str = "ci-rig";

/// `cargo xtask scaffold-test`: `splitcore new` makes a project under `target/scaffold-test`;
/// `splitcore build` builds its core-1 crate for the ESP32-S3 and checks the archive (exit 0:
/// built, no violations), and exits 1 naming the call once the crate calls `vTaskDelay`; the
/// control crate's tests pass; the host twin runs 3 virtual seconds and passes its behaviour
/// checks; then, with the dimmer broken (the pin never driven high), the twin must fail. The cargo target directories beside the project survive between runs:
/// the project is regenerated at the same path, so cargo rebuilds only what changed.
pub fn scaffold_test() -> Result<()> {
    let started = Instant::now();
    let root = root();
    let work = root.join("target/scaffold-test");
    let project = work.join(SCAFFOLD_PROJECT);
    if project.exists() {
        std::fs::remove_dir_all(&project).with_context(|| format!("removing {}", project.display()))?;
    }
    std::fs::create_dir_all(&work)?;
    cargo(&["build", "--quiet", "-p", "splitcore"])?;
    let splitcore = crate::host_debug_bin("splitcore");
    let run = |what: &str, cmd: &mut Command| -> Result<std::process::Output> {
        println!("scaffold-test: {what}");
        let started = Instant::now();
        let out = cmd.output().with_context(|| format!("running {what}"))?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        println!("scaffold-test: {what}: {} in {:.1} s", out.status, started.elapsed().as_secs_f64());
        Ok(out)
    };
    let out =
        run("splitcore new", Command::new(&splitcore).args(["new", SCAFFOLD_PROJECT, "--path"]).arg(&work))?;
    ensure!(out.status.success(), "splitcore new failed ({})", out.status);

    let splitcore_build = || {
        let mut cmd = Command::new(&splitcore);
        cmd.arg("build")
            .arg("--manifest-path")
            .arg(project.join("core1/Cargo.toml"))
            .arg("--target-dir")
            .arg(work.join("xtensa-target"));
        cmd
    };
    let out = run("splitcore build (ESP32-S3, then splitcore check)", &mut splitcore_build())?;
    ensure!(out.status.success(), "splitcore build failed or found violations ({})", out.status);
    let report = String::from_utf8_lossy(&out.stdout);
    ensure!(report.contains("clean: no violations"), "splitcore build did not report a clean check");
    // The README quotes this figure: keep it true.
    let bound = worst_case_stack(&report).context("splitcore build printed no worst-case stack line")?;
    let quoted = format!("stack bound {bound} of 16384 bytes; the same crate calling `vTaskDelay`");
    ensure!(
        std::fs::read_to_string(root.join("README.md"))?.contains(&quoted),
        "README.md does not say \"{quoted}\" (the checker's current figure): update it"
    );

    // ... and rejects a core-1 crate that calls into flash (a FreeRTOS function).
    let core1_lib = project.join("core1/src/lib.rs");
    let core1_source = std::fs::read_to_string(&core1_lib)?;
    let beat = "splitcore_rt::heartbeat();";
    ensure!(
        core1_source.contains(beat),
        "the generated core-1 loop changed: update scaffold_test's mutation"
    );
    let flash_call = "// SAFETY: a deliberate violation: FreeRTOS lives in flash.\nunsafe { vTaskDelay(1) };";
    let broken = core1_source.replacen(beat, &format!("{beat}\n{flash_call}"), 1)
        + "\nextern \"C\" {\n    fn vTaskDelay(ticks: u32);\n}\n";
    std::fs::write(&core1_lib, broken)?;
    let out = run(
        "splitcore build of a core-1 crate calling vTaskDelay (must be rejected)",
        &mut splitcore_build(),
    )?;
    std::fs::write(&core1_lib, core1_source)?;
    ensure!(out.status.code() == Some(1), "splitcore build accepted a flash call ({})", out.status);
    ensure!(
        String::from_utf8_lossy(&out.stdout).contains("flash: vTaskDelay is outside the archive"),
        "splitcore build did not name the flash call"
    );

    let host_cargo = |args: &[&str]| {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args(args)
            .arg("--manifest-path")
            .arg(project.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", work.join("host-target"));
        cmd
    };
    let control = format!("{SCAFFOLD_PROJECT}-control");
    let twin = format!("{SCAFFOLD_PROJECT}-twin");
    let out = run("the control crate's tests", &mut host_cargo(&["test", "--quiet", "-p", &control]))?;
    ensure!(out.status.success(), "{control}'s tests failed ({})", out.status);
    let out = run("the host twin (3 virtual seconds)", &mut host_cargo(&["run", "--quiet", "-p", &twin]))?;
    ensure!(out.status.success(), "the generated twin failed ({})", out.status);
    ensure!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{twin}: ok")),
        "the twin did not report its checks passing"
    );

    // The twin's checks catch a broken controller: the pin is never driven high.
    let lib = project.join("control/src/lib.rs");
    let source = std::fs::read_to_string(&lib)?;
    let correct = "let high = self.accumulator >= FULL_SCALE;";
    ensure!(source.contains(correct), "the generated dimmer changed: update scaffold_test's mutation");
    std::fs::write(&lib, source.replace(correct, "let high = self.accumulator > u32::MAX;"))?;
    let out = run(
        "the host twin with a broken dimmer (must fail)",
        &mut host_cargo(&["run", "--quiet", "-p", &twin]),
    )?;
    ensure!(
        out.status.code() == Some(1),
        "the twin accepted a dimmer that never drives the pin ({})",
        out.status
    );
    ensure!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{twin}: FAILED: at")),
        "the twin failed without naming the voltage check"
    );
    std::fs::write(&lib, source)?;
    println!("scaffold-test: the twin rejected the broken dimmer, as it must");
    println!("scaffold-test: passed in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// `kconfcheck` (PyPI `esp-idf-kconfig`) on the component's Kconfig; installs it when missing.
pub fn kconfcheck() -> Result<()> {
    kconfcheck_file(&root().join("components/splitcore/Kconfig"))
}

/// `kconfcheck` on one Kconfig file (`Kconfig` or `Kconfig.projbuild`); installs it when missing.
pub fn kconfcheck_file(kconfig: &std::path::Path) -> Result<()> {
    let python = "python3";
    let present =
        Command::new(python).args(["-m", "kconfcheck", "--help"]).output().is_ok_and(|o| o.status.success());
    if !present {
        println!("setup: pip install esp-idf-kconfig");
        let status = Command::new(python)
            .args(["-m", "pip", "install", "--quiet", "esp-idf-kconfig"])
            .status()
            .context("running pip")?;
        ensure!(status.success(), "pip install esp-idf-kconfig failed ({status})");
    }
    ensure!(kconfig.is_file(), "{} does not exist", kconfig.display());
    let status = Command::new(python)
        .args(["-m", "kconfcheck"])
        .arg(kconfig)
        .status()
        .context("running kconfcheck")?;
    ensure!(status.success(), "kconfcheck rejected {}", kconfig.display());
    Ok(())
}

/// `cargo xtask test`: everything CI checks.
pub fn test_all() -> Result<()> {
    let mut timings = Vec::new();
    let result = (|| {
        step("setup", &mut timings, || setup::setup(false))?;
        step("format", &mut timings, || {
            cargo(&["fmt", "--all", "--check"])?;
            cargo(&["fmt", "--manifest-path", "firmware/Cargo.toml", "--all", "--check"])
        })?;
        step("clippy", &mut timings, || {
            cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])
        })?;
        step("host tests", &mut timings, || cargo(&["test", "--workspace"]))?;
        step("loom model checking (splitcore-ipc)", &mut timings, loom)?;
        step("ThreadSanitizer (splitcore-ipc threaded tests)", &mut timings, thread_sanitizer)?;
        step("C <-> Rust cross-language test (10M messages each way)", &mut timings, || {
            cargo(&["test", "-p", "splitcore-ipc-ffi-test", "--release"])
        })?;
        step("fuzz: adversarial peer on the shared region (60 s)", &mut timings, || fuzz_ipc(60))?;
        step("benchmarks compile", &mut timings, || cargo(&["bench", "--workspace", "--no-run"]))?;
        step("ESP-IDF component: Kconfig passes kconfcheck", &mut timings, kconfcheck)?;
        step("xtensa build (ESP32-S3, every firmware crate)", &mut timings, || {
            build_and_report_sizes(TargetSpec::Esp32s3, &[]).map(drop)
        })?;
        step(
            "splitcore check: the core-1 archives are clean (runtime probes, motor-position firmware), check-bad is rejected",
            &mut timings,
            check_core1_archive,
        )?;
        step("qemu tests", &mut timings, qemu_tests)?;
        step("host twin: motor-position step response within bounds", &mut timings, twin_run)?;
        step("dashboard: node tests, browser test against the twin", &mut timings, crate::dashboard::test)?;
        step(
            "splitcore new: the generated project builds for Xtensa, passes check, runs in the twin",
            &mut timings,
            scaffold_test,
        )?;
        step("demo, and the host tool decoding its crash record", &mut timings, demo_and_decode)?;
        step("machine-code report and runtime layout", &mut timings, || asm_report(true))
    })();
    println!("\n=== timings ===");
    for (name, took) in &timings {
        println!("{:>8.1} s  {name}", took.as_secs_f64());
    }
    result
}

#[cfg(test)]
mod tests {
    use super::worst_case_stack;

    #[test]
    fn the_worst_case_stack_line_is_parsed() {
        let report = "  entry    splitcore_core1_entry    6688 B\n  worst case: entry + nested interrupt \
                      levels 1..3 + async + 16 B spill = 6240 B (6.1 KiB) of 16384 B stack: ok\n";
        assert_eq!(worst_case_stack(report), Some(6240));
        assert_eq!(worst_case_stack("clean: no violations\n"), None);
    }
}
