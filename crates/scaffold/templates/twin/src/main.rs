//! @NAME@'s host twin: the control code of `@NAME@-control` (../control) runs on an emulated
//! core 1 (splitcore-twin) in virtual time, as core 1 runs it on the chip: the same `Dimmer`,
//! stepped by a 1 kHz task on the splitcore executive, its status logged once a second. The
//! plant is an RC low-pass (10 kΩ, 2.2 µF: 22 ms) on the output pin; core 0 starts core 1 with
//! splitcore-core0's `Core1` handle, forwards its log, samples the filter's voltage every
//! 10 ms and stops it. The run fails (exit code 1) when the behaviour is wrong: the voltage
//! off the ramp or the target, status lines missing or not 1000 ticks apart, no clean stop.
//!
//!     cargo run -p @NAME@-twin -- [--seconds N]
//!
//! Change the plant, the checks and the program below along with your control code.

use std::cell::RefCell;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use @CRATE@_control::{Dimmer, CONFIG, OUTPUT_PIN, TASK_HZ};
use splitcore_core0::{Stopped, Timing};
use splitcore_exec::{every, Executive, Hz};
use splitcore_hal::sim::SimState;
use splitcore_proto::control::Status;
use splitcore_twin::{Core1Env, Core1Program, Machine, Physics, TICKS_PER_SECOND};

/// The pin's high level, V.
const VDD: f64 = 3.3;
/// The RC filter's time constant, s.
const TAU_S: f64 = 0.022;
/// Modelled execution time of one step on core 1, ticks of [`TICKS_PER_SECOND`] (2 µs: an
/// estimate, not measured).
const STEP_COST_TICKS: u32 = 32;
/// Core 0 samples the voltage this often, ms.
const SAMPLE_MS: u64 = 10;
/// Largest deviation from the expected voltage, V (the ripple at 1 kHz is about 40 mV).
const TOLERANCE_V: f64 = 0.1;
/// Longest run, virtual seconds.
const MAX_SECONDS: u64 = 600;

/// The plant: the pin drives an RC low-pass; integrated exactly (the pin is constant between
/// two clock reads of core 1). The voltage is shared with core 0, which measures it.
struct RcFilter {
    volts: Arc<AtomicU64>,
}

impl Physics for RcFilter {
    fn advance(&mut self, io: &SimState, from: u64, to: u64) {
        let input = if io.output(OUTPUT_PIN as usize) {
            VDD
        } else {
            0.0
        };
        let dt = (to - from) as f64 / TICKS_PER_SECOND as f64;
        let v = f64::from_bits(self.volts.load(Ordering::Relaxed));
        let v = input + (v - input) * (-dt / TAU_S).exp();
        self.volts.store(v.to_bits(), Ordering::Relaxed);
    }
}

/// Core 1's program: what `core1/src/lib.rs` does on the chip, on the twin's clock, log and pin.
struct Core1;

impl Core1Program for Core1 {
    fn main(&mut self, env: &Core1Env<'_>) {
        env.println(&format!("@NAME@: core 1 up, boot #{}", env.boot_count()));
        let dimmer = match Dimmer::new(env.io().output_pin(OUTPUT_PIN as usize), CONFIG) {
            Ok(d) => RefCell::new(d),
            Err(e) => {
                env.println(&format!("@NAME@: {e}"));
                while !env.stop_requested() {
                    env.heartbeat();
                    env.clock().burn(TICKS_PER_SECOND / 1000);
                }
                return;
            }
        };
        let clock = env.clock();
        let tasks = (
            every(Hz(TASK_HZ), || {
                let _ = dimmer.borrow_mut().step();
                clock.burn(STEP_COST_TICKS);
            }),
            every(Hz(1), || {
                env.println(&format!("@NAME@: {}", dimmer.borrow().status()))
            }),
        );
        match Executive::new(clock, tasks) {
            Ok(mut exec) => exec.run_polling(|| {
                env.heartbeat();
                env.stop_requested()
            }),
            Err(e) => env.println(&format!("@NAME@: bad task rate: {e:?}")),
        }
    }
}

/// What a run saw.
struct Run {
    /// `(seconds since core 1 started, volts)`, every [`SAMPLE_MS`].
    samples: Vec<(f64, f64)>,
    /// Core 1's log lines.
    logs: Vec<String>,
    status_while_running: Option<Status>,
    heartbeat: u32,
    stopped: Stopped,
}

fn run(seconds: u64) -> Result<Run, String> {
    let volts = Arc::new(AtomicU64::new(0f64.to_bits()));
    let machine = Machine::<64>::new();
    let core1 = machine
        .spawn_core1(
            "@NAME@",
            Core1,
            Box::new(RcFilter {
                volts: volts.clone(),
            }),
        )
        .map_err(|e| format!("starting the core-1 thread: {e}"))?;
    let mut core = machine
        .core1_handle(Timing::default())
        .ok_or("the core-1 handle was taken")?;
    let mut logs = Vec::new();
    let mut drain = |core: &mut splitcore_core0::Core1<'_, splitcore_twin::TwinRegs>| {
        let dropped = core.control().log_dropped.load(Ordering::Relaxed);
        if let Some(log) = core.log() {
            if let Err(e) = log.drain(dropped, 1000, &mut |l| logs.push(l.to_string())) {
                logs.push(format!("[log ring unusable: {e}]"));
            }
        }
    };
    machine.world.core0_wait_until(0);
    core.start()
        .map_err(|e| format!("core 1 did not start: {e:?}"))?;
    let t0 = machine.world.now();
    let step = TICKS_PER_SECOND as u64 * SAMPLE_MS / 1000;
    let mut samples = Vec::new();
    for i in 1..=seconds * 1000 / SAMPLE_MS {
        if !machine.world.core0_wait_until(t0 + i * step) {
            return Err(format!("the twin stopped at {} us", machine.world.now_us()));
        }
        samples.push((
            (i * SAMPLE_MS) as f64 / 1000.0,
            f64::from_bits(volts.load(Ordering::Relaxed)),
        ));
        drain(&mut core);
    }
    let status_while_running = core.status();
    let heartbeat = core.heartbeat();
    let stopped = core.stop();
    drain(&mut core);
    machine.world.shut_down();
    core1
        .join()
        .map_err(|_| "the core-1 thread panicked outside the program".to_string())?;
    Ok(Run {
        samples,
        logs,
        status_while_running,
        heartbeat,
        stopped,
    })
}

/// When the ramp ends, s.
fn ramp_end_s() -> f64 {
    CONFIG.target_permille as f64 * CONFIG.ramp_ms as f64 / 1e6
}

/// The voltage the filter should show at `t`: the ramped level, `TAU_S` late.
fn expected_volts(t: f64) -> f64 {
    let target = CONFIG.target_permille as f64 / 1000.0;
    let level = if ramp_end_s() > 0.0 {
        target * ((t - TAU_S) / ramp_end_s()).clamp(0.0, 1.0)
    } else {
        target
    };
    level * VDD
}

/// Shortest run that shows the ramp and the settled level, s.
fn min_seconds() -> u64 {
    (ramp_end_s() + 10.0 * TAU_S + 1.0).ceil() as u64
}

/// The checks; each returns a description of what went wrong.
fn check(run: &Run) -> Vec<String> {
    let mut failures = Vec::new();
    // The ramp: mid-way and at its end (after the filter's lag) the voltage follows it.
    for t_check in [ramp_end_s() / 2.0, ramp_end_s() + 5.0 * TAU_S] {
        let sample = run.samples.iter().find(|(t, _)| *t >= t_check);
        if let Some(&(t, v)) = sample {
            let want = expected_volts(t);
            if (v - want).abs() > TOLERANCE_V {
                failures.push(format!(
                    "at {t:.2} s the voltage is {v:.3} V, expected {want:.3} ± {TOLERANCE_V} V"
                ));
            }
        }
    }
    // Settled: every sample after the ramp within the tolerance.
    let settle = ramp_end_s() + 5.0 * TAU_S;
    let target = expected_volts(f64::MAX);
    if let Some(&(t, v)) = run
        .samples
        .iter()
        .filter(|(t, _)| *t >= settle)
        .find(|(_, v)| (v - target).abs() > TOLERANCE_V)
    {
        failures.push(format!(
            "at {t:.2} s the voltage is {v:.3} V, off the target {target:.3} ± {TOLERANCE_V} V"
        ));
    }
    // The log: the boot line, then a status line a second, TASK_HZ ticks apart.
    if !run.logs.iter().any(|l| l.ends_with("core 1 up, boot #1")) {
        failures.push("core 1 never logged `core 1 up, boot #1`".to_string());
    }
    let ticks: Vec<u32> = run
        .logs
        .iter()
        .filter_map(|l| {
            l.split(": ")
                .nth(1)?
                .strip_suffix(" permille")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .collect();
    let seconds = run.samples.len() as u64 * SAMPLE_MS / 1000;
    if (ticks.len() as u64) < seconds {
        failures.push(format!(
            "{} status lines in {seconds} s, expected at least {seconds}",
            ticks.len()
        ));
    }
    if let Some(w) = ticks
        .windows(2)
        .find(|w| w[1].wrapping_sub(w[0]) != TASK_HZ)
    {
        failures.push(format!(
            "status lines {} and {} ticks: not {TASK_HZ} ticks apart",
            w[0], w[1]
        ));
    }
    if run.status_while_running != Some(Status::Running) {
        failures.push(format!(
            "core 1's status was {:?}, not Running",
            run.status_while_running
        ));
    }
    if run.heartbeat == 0 {
        failures.push("core 1 never beat its heartbeat".to_string());
    }
    if run.stopped != Stopped::Cooperative {
        failures.push(format!("core 1 did not stop when asked: {:?}", run.stopped));
    }
    failures
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<u64>, String> {
    let mut seconds = 3.max(min_seconds());
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = args.next().ok_or("--seconds needs a value")?;
                seconds = value
                    .parse()
                    .map_err(|_| format!("--seconds: `{value}` is not a whole number"))?;
                if !(min_seconds()..=MAX_SECONDS).contains(&seconds) {
                    return Err(format!(
                        "--seconds is {seconds}: it must be {} ..= {MAX_SECONDS} (the ramp takes {:.2} s)",
                        min_seconds(),
                        ramp_end_s()
                    ));
                }
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(Some(seconds))
}

fn main() -> ExitCode {
    let seconds = match parse_args(std::env::args().skip(1)) {
        Ok(Some(s)) => s,
        Ok(None) => {
            println!(
                "usage: @NAME@-twin [--seconds N]   (virtual seconds, {} ..= {MAX_SECONDS})",
                min_seconds()
            );
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("@NAME@-twin: {e}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let run = match run(seconds) {
        Ok(run) => run,
        Err(e) => {
            eprintln!("@NAME@-twin: {e}");
            return ExitCode::from(1);
        }
    };
    for line in &run.logs {
        println!("core 1: {line}");
    }
    println!("   time   voltage (RC filter on GPIO{OUTPUT_PIN})");
    for &(t, v) in run
        .samples
        .iter()
        .filter(|(t, _)| ((t * 1000.0).round() as u64).is_multiple_of(100))
    {
        let bar = "#".repeat((v / VDD * 50.0).round() as usize);
        println!("{t:>6.2} s {v:>6.3} V {bar}");
    }
    let failures = check(&run);
    println!(
        "{seconds} virtual seconds in {:.2} s; core 1 stopped: {:?}",
        started.elapsed().as_secs_f64(),
        run.stopped
    );
    if failures.is_empty() {
        println!("@NAME@-twin: ok (ramp to {:.3} V followed, level held within {TOLERANCE_V} V, a status line every {TASK_HZ} ticks, clean stop)", expected_volts(f64::MAX));
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            println!("@NAME@-twin: FAILED: {f}");
        }
        ExitCode::from(1)
    }
}
