//! `motor-position-twin run [--out DIR] [--seconds S] [--mistuned] [--fault KIND@MS]...`:
//! a headless run of the host twin that writes `step-response.svg`, `metrics.txt` and
//! `metrics.json`, and exits with status 1 when the closed loop is out of bounds
//! ([`Bounds::EXAMPLE`]), 2 on bad usage or an I/O error.

#![deny(unsafe_op_in_unsafe_fn)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use motor_position_twin::report::write_reports;
use motor_position_twin::{run, Action, Bounds, Fault, Metrics, Side, TwinConfig, TwinEvent};

const USAGE: &str =
    "usage: motor-position-twin run [--out DIR] [--seconds S] [--mistuned] [--fault KIND@MS]...
  --out DIR        where the reports go (default: target/twin)
  --seconds S      virtual seconds to simulate, 0.5 to 60 (default: 3)
  --mistuned       run a deliberately mistuned controller (the run must fail its bounds)
  --fault KIND@MS  inject a fault at MS virtual milliseconds; KIND is panic, stall, flood, corrupt or header
  --quiet          no log lines, only progress and the summary";

struct Args {
    out: PathBuf,
    seconds: f64,
    mistuned: bool,
    faults: Vec<(Fault, u64)>,
    quiet: bool,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("run") => {}
        Some("-h" | "--help" | "help") => return Err(String::new()),
        Some(other) => return Err(format!("unknown command `{other}`")),
        None => return Err("missing command".to_string()),
    }
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
            "--fault" => {
                let v = value("--fault")?;
                let (kind, at) = v.split_once('@').ok_or_else(|| format!("--fault: `{v}` is not KIND@MS"))?;
                let at: u64 =
                    at.parse().map_err(|_| format!("--fault: `{at}` is not a whole number of ms"))?;
                let fault = match kind {
                    "panic" => Fault::Core1Panic,
                    "stall" => Fault::StalledLoop,
                    "flood" => Fault::MessageFlood { duration_ms: 200 },
                    "corrupt" => Fault::CorruptRegion,
                    "header" => Fault::CorruptHeader,
                    other => {
                        return Err(format!(
                            "--fault: unknown kind `{other}` (panic, stall, flood, corrupt, header)"
                        ))
                    }
                };
                a.faults.push((fault, at));
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a = match parse(&args) {
        Ok(a) => a,
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
