//! `cargo xtask dashboard-test`: the motor-position dashboard's checks — `kconfcheck` on the
//! example IDF app's Kconfig, the page's JavaScript tests (`node --test`), and the page in
//! headless Chromium against the running host twin (`motor-position-twin serve`), once per
//! scenario, with screenshots and the twin's output kept in `target/dashboard/`.
//!
//! Needs what `cargo xtask setup` installs: Debian's `chromium`, `node` and `npm`.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

use crate::tasks::{cargo, kconfcheck_file};
use crate::{host_debug_bin, root};

/// The page's test folder (package.json, the tests).
fn tests_dir() -> PathBuf {
    root().join("examples/motor-position/dashboard/tests")
}

/// Where screenshots and the twin's logs go.
pub fn out_dir() -> PathBuf {
    root().join("target/dashboard")
}

/// A browser-test scenario (`browser-check.mjs --scenario`).
#[derive(Clone, Copy, Debug)]
enum Scenario {
    /// Plots update, a setpoint from the page moves the position, a bad command is refused.
    Follow,
    /// Core 1 panics 3 s after the page connected: report, `crashed`, restart, telemetry again.
    Crash,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Follow => "follow",
            Scenario::Crash => "crash",
        }
    }

    /// Extra `serve` arguments.
    fn twin_args(self) -> &'static [&'static str] {
        match self {
            Scenario::Follow => &[],
            Scenario::Crash => &["--fault", "panic@3000"],
        }
    }
}

/// The whole check (one CI step).
pub fn test() -> Result<()> {
    let started = Instant::now();
    let kconfig = root().join("examples/motor-position/idf/main/Kconfig.projbuild");
    println!("dashboard: kconfcheck {}", kconfig.display());
    kconfcheck_file(&kconfig)?;
    npm_ci()?;
    node_tests()?;
    println!("dashboard: building the twin");
    cargo(&["build", "--quiet", "-p", "motor-position-twin"])?;
    std::fs::create_dir_all(out_dir()).with_context(|| format!("creating {}", out_dir().display()))?;
    for scenario in [Scenario::Follow, Scenario::Crash] {
        browser_scenario(scenario)?;
    }
    println!("\ndashboard: all checks passed in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn run_in(dir: &Path, program: &str, args: &[&str]) -> Result<()> {
    println!("dashboard: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .with_context(|| format!("running {program} (cargo xtask setup installs it)"))?;
    ensure!(status.success(), "{program} {} failed ({status})", args.join(" "));
    Ok(())
}

/// `npm ci` unless `node_modules` already holds what `package-lock.json` locks (npm writes its
/// own copy of the lock there after an install).
fn npm_ci() -> Result<()> {
    let dir = tests_dir();
    let installed = dir.join("node_modules/.package-lock.json");
    let up_to_date = dir.join("node_modules/playwright-core/package.json").is_file()
        && std::fs::metadata(&installed)
            .and_then(|m| m.modified())
            .ok()
            .zip(std::fs::metadata(dir.join("package-lock.json")).and_then(|m| m.modified()).ok())
            .is_some_and(|(installed_at, locked_at)| installed_at >= locked_at);
    if up_to_date {
        println!("dashboard: node_modules is up to date with package-lock.json");
        return Ok(());
    }
    run_in(&dir, "npm", &["ci", "--no-audit", "--no-fund"])
}

/// The decoder (against golden bytes from the Rust structs) and plot helper tests.
fn node_tests() -> Result<()> {
    run_in(&tests_dir(), "node", &["--test", "decode.test.mjs", "plot.test.mjs"])
}

/// Ends the child when dropped (the twin or node, if a check bailed out early).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn wait_for(child: &mut Child, limit: Duration) -> Result<Option<ExitStatus>> {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(None)
}

/// Starts `motor-position-twin serve` on a free port, runs `browser-check.mjs` against it,
/// then stops the twin with SIGTERM and checks it shut down cleanly.
fn browser_scenario(scenario: Scenario) -> Result<()> {
    let name = scenario.name();
    println!("\ndashboard: browser test, scenario `{name}`, against the twin");
    let twin_bin = host_debug_bin("motor-position-twin");
    let log_path = out_dir().join(format!("twin-{name}.log"));
    let mut log = File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let mut args = vec!["serve", "--addr", "127.0.0.1:0", "--seconds", "600"];
    args.extend(scenario.twin_args());
    writeln!(log, "$ motor-position-twin {}", args.join(" "))?;
    let child = Command::new(&twin_bin)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log.try_clone()?)
        .spawn()
        .with_context(|| format!("starting {}", twin_bin.display()))?;
    let mut twin = Reaped(child);
    let stdout = twin.0.stdout.take().context("the twin's stdout")?;
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(60))
        .with_context(|| format!("the twin printed no URL within 60 s (its log: {})", log_path.display()))?;
    writeln!(log, "{first}")?;
    let url = first
        .strip_prefix("dashboard: ")
        .and_then(|rest| rest.split_whitespace().next())
        .with_context(|| format!("the twin's first line is not `dashboard: <url> ...`: {first}"))?
        .to_owned();
    println!("dashboard: the twin serves {url}");

    let shot = out_dir().join(format!("twin-{name}.png"));
    let check_script = tests_dir().join("browser-check.mjs");
    let node = Command::new("node")
        .arg(&check_script)
        .args(["--url", &url, "--scenario", name, "--screenshot"])
        .arg(&shot)
        .current_dir(tests_dir())
        .spawn()
        .context("running node (cargo xtask setup installs it)")?;
    let mut node = Reaped(node);
    let node_status = wait_for(&mut node.0, Duration::from_secs(180))?;

    // A clean stop: SIGTERM (the twin's handler stops core 1 cooperatively), then its summary.
    let pid = twin.0.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let twin_status = wait_for(&mut twin.0, Duration::from_secs(20))?;
    if twin_status.is_none() {
        // It ignored SIGTERM: end it, or the reader would wait on its stdout forever.
        let _ = twin.0.kill();
        let _ = twin.0.wait();
    }
    let _ = reader.join();
    let rest: Vec<String> = rx.try_iter().collect();
    for line in &rest {
        writeln!(log, "{line}")?;
    }
    match node_status {
        None => bail!("the browser test (scenario {name}) did not finish within 180 s"),
        Some(s) if !s.success() => {
            bail!(
                "the browser test (scenario {name}) failed ({s}); the twin's output: {}",
                log_path.display()
            )
        }
        Some(_) => {}
    }
    let Some(twin_status) = twin_status else {
        bail!("the twin did not stop within 20 s of SIGTERM (its log: {})", log_path.display());
    };
    ensure!(twin_status.success(), "the twin exited with {twin_status} (its log: {})", log_path.display());
    let summary = rest.iter().find(|l| l.starts_with("stopped after")).with_context(|| {
        format!("the twin stopped without its summary line (its log: {})", log_path.display())
    })?;
    println!("dashboard: twin {summary}");
    println!("dashboard: screenshot {}, twin log {}", shot.display(), log_path.display());
    Ok(())
}
