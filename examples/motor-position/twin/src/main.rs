//! `motor-position-twin run [--out DIR] [--seconds S] [--mistuned] [--fault KIND@MS]...`:
//! a headless run of the host twin that writes `step-response.svg`, `metrics.txt` and
//! `metrics.json`, and exits with status 1 when the closed loop is out of bounds
//! ([`Bounds::EXAMPLE`]), 2 on bad usage or an I/O error.
//!
//! `motor-position-twin serve [--addr HOST:PORT] [--speed X] [--seconds S] [--fault KIND@MS]...`:
//! the twin paced to real time behind the live dashboard; prints its URL, stops cleanly on
//! Ctrl-C or SIGTERM (or after S virtual seconds); exits 1 when it cannot listen, 2 on bad
//! usage.

#![deny(unsafe_op_in_unsafe_fn)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use motor_position_twin::report::write_reports;
use motor_position_twin::serve::{LiveTwin, ServeError, ServeOptions};
use motor_position_twin::{run, Action, Bounds, Fault, Metrics, Side, TwinConfig, TwinEvent};

const USAGE: &str =
    "usage: motor-position-twin run [--out DIR] [--seconds S] [--mistuned] [--fault KIND@MS]... [--quiet]
       motor-position-twin serve [--addr HOST:PORT] [--speed X] [--seconds S] [--fault KIND@MS]... [--quiet]

run: a headless run in virtual time, with reports
  --out DIR        where the reports go (default: target/twin)
  --seconds S      virtual seconds to simulate, 0.5 to 60 (default: 3)
  --mistuned       run a deliberately mistuned controller (the run must fail its bounds)
  --fault KIND@MS  inject a fault at MS virtual milliseconds; KIND is panic, stall, flood, corrupt or header
  --quiet          no log lines, only progress and the summary

serve: the twin paced to real time behind the live dashboard (open the printed URL)
  --addr HOST:PORT where the dashboard listens (default: 127.0.0.1:8080; port 0: any free port)
  --speed X        virtual time runs at X times real time, 0.01 to 100 (default: 1)
  --seconds S      stop after S virtual seconds (default: run until Ctrl-C or SIGTERM)
  --fault KIND@MS  inject a fault MS virtual milliseconds after the first page connected
  --quiet          no log lines on the terminal";

struct Args {
    out: PathBuf,
    seconds: f64,
    mistuned: bool,
    faults: Vec<(Fault, u64)>,
    quiet: bool,
}

enum Cmd {
    Run(Args),
    Serve(ServeOptions, bool),
}

fn parse(args: &[String]) -> Result<Cmd, String> {
    match args.first().map(String::as_str) {
        Some("run") => parse_run(&args[1..]).map(Cmd::Run),
        Some("serve") => parse_serve(&args[1..]),
        Some("-h" | "--help" | "help") => Err(String::new()),
        Some(other) => Err(format!("unknown command `{other}` (run or serve)")),
        None => Err("missing command (run or serve)".to_string()),
    }
}

/// `KIND@MS`.
fn parse_fault(v: &str) -> Result<(Fault, u64), String> {
    let (kind, at) = v.split_once('@').ok_or_else(|| format!("--fault: `{v}` is not KIND@MS"))?;
    let at: u64 = at.parse().map_err(|_| format!("--fault: `{at}` is not a whole number of ms"))?;
    let fault = match kind {
        "panic" => Fault::Core1Panic,
        "stall" => Fault::StalledLoop,
        "flood" => Fault::MessageFlood { duration_ms: 200 },
        "corrupt" => Fault::CorruptRegion,
        "header" => Fault::CorruptHeader,
        other => {
            return Err(format!("--fault: unknown kind `{other}` (panic, stall, flood, corrupt, header)"))
        }
    };
    Ok((fault, at))
}

fn parse_serve(args: &[String]) -> Result<Cmd, String> {
    let mut o = ServeOptions::default();
    let mut quiet = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => o.addr = value("--addr")?,
            "--speed" => {
                let v = value("--speed")?;
                o.speed = v.parse().map_err(|_| format!("--speed: `{v}` is not a number"))?;
            }
            "--seconds" => {
                let v = value("--seconds")?;
                o.seconds = Some(v.parse().map_err(|_| format!("--seconds: `{v}` is not a number"))?);
            }
            "--fault" => o.faults.push(parse_fault(&value("--fault")?)?),
            "--quiet" => quiet = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    o.validate().map_err(|e| match e {
        ServeError::Options(why) => format!("--{why}"),
        other => other.to_string(),
    })?;
    Ok(Cmd::Serve(o, quiet))
}

fn parse_run(args: &[String]) -> Result<Args, String> {
    let mut it = args.iter();
    let mut a = Args {
        out: PathBuf::from("target/twin"),
        seconds: 3.0,
        mistuned: false,
        faults: Vec::new(),
        quiet: false,
    };
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--out" => a.out = PathBuf::from(value("--out")?),
            "--seconds" => {
                let v = value("--seconds")?;
                a.seconds = v.parse().map_err(|_| format!("--seconds: `{v}` is not a number"))?;
                if !(0.5..=60.0).contains(&a.seconds) {
                    return Err(format!("--seconds: {} is outside 0.5..=60", a.seconds));
                }
            }
            "--mistuned" => a.mistuned = true,
            "--quiet" => a.quiet = true,
            "--fault" => a.faults.push(parse_fault(&value("--fault")?)?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a = match parse(&args) {
        Ok(Cmd::Run(a)) => a,
        Ok(Cmd::Serve(options, quiet)) => return serve(&options, quiet),
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let duration_ms = (a.seconds * 1000.0).round() as u64;
    let mut config = TwinConfig::step_response(duration_ms);
    if a.mistuned {
        config.program.config = motor_position_twin::runner::mistuned_controller();
    }
    for (fault, at) in &a.faults {
        config = config.at(*at, Action::Fault(*fault));
    }
    let counts_per_rev = config.plant.counts_per_rev;
    let started = Instant::now();
    let quiet = a.quiet;
    // On a terminal the progress line is redrawn in place (and cleared before each log line);
    // in a log file (CI) every progress report is a line of its own.
    let tty = std::io::stderr().is_terminal();
    let clear = if tty { "\r\x1b[2K" } else { "" };
    let result = run(config, |event| match event {
        TwinEvent::Progress { time_us, end_us } => {
            let line = format!(
                "[twin] {:6.3} / {:.3} s virtual, {:5.2} s wall",
                *time_us as f64 / 1e6,
                *end_us as f64 / 1e6,
                started.elapsed().as_secs_f64()
            );
            if tty {
                eprint!("{clear}{line}");
                let _ = std::io::stderr().flush();
            } else {
                eprintln!("{line}");
            }
        }
        other => echo(other, quiet, clear),
    });
    if tty {
        eprintln!();
    }
    let record = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let metrics = Metrics::measure(&record.samples, &record.summary, counts_per_rev);
    let bounds = Bounds::EXAMPLE;
    let paths = match write_reports(&a.out, &record.samples, &metrics, &bounds) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{metrics}");
    for p in &paths {
        println!("wrote {}", p.display());
    }
    println!("wall time {:.2} s", started.elapsed().as_secs_f64());
    let violations = metrics.violations(&bounds);
    if violations.is_empty() {
        println!("closed loop within bounds");
        ExitCode::SUCCESS
    } else {
        for v in &violations {
            println!("OUT OF BOUNDS: {v}");
        }
        ExitCode::from(1)
    }
}

/// Prints a twin event on stderr (log lines unless `quiet`).
fn echo(event: &TwinEvent, quiet: bool, clear: &str) {
    match event {
        TwinEvent::Log { time_us, side, line } if !quiet => {
            let who = if *side == Side::Core1 { "core1" } else { "core0" };
            eprintln!("{clear}[{:8.3} ms] {who}: {line}", *time_us as f64 / 1e3);
        }
        TwinEvent::CrashReport { report, .. } => eprintln!("{clear}{report}"),
        TwinEvent::Supervision { time_us, action } => {
            eprintln!("{clear}[{:8.3} ms] supervisor: {action}", *time_us as f64 / 1e3)
        }
        TwinEvent::Error { time_us, message } => {
            eprintln!("{clear}[{:8.3} ms] error: {message}", *time_us as f64 / 1e3)
        }
        _ => {}
    }
}

fn serve(options: &ServeOptions, quiet: bool) -> ExitCode {
    let live = match LiveTwin::start(options) {
        Ok(live) => live,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(if matches!(e, ServeError::Options(_)) { 2 } else { 1 });
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let handler = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            // A second Ctrl-C: do not wait for the cooperative stop.
            std::process::exit(130);
        }
    });
    if let Err(e) = handler {
        eprintln!("warning: no Ctrl-C handler ({e}); stop with --seconds or by killing the process");
    }
    println!("dashboard: {} (Ctrl-C stops)", live.url());
    let started = Instant::now();
    let summary = match live.run(&stop, |event| echo(event, quiet, "")) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    println!(
        "stopped after {:.1} s virtual ({:.1} s wall): {} boot(s), {} restart(s), {} crash report(s), {} samples, {} lost",
        summary.end_us as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        summary.boots,
        summary.restarts,
        summary.crash_reports,
        summary.telemetry_received,
        summary.telemetry_gaps
    );
    ExitCode::SUCCESS
}
