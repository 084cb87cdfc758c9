//! The core-1 control program around the example's `App`: the executive at
//! [`CONTROL_HZ`], statistics, heartbeat, log lines, fault handling and the stop request.
//! Generic over the time source and the runtime's services ([`Core1`]), so the host tests
//! run it on a virtual clock; the firmware crate runs it on core 1 with `splitcore_rt`.

use core::cell::RefCell;
use core::fmt;

use motor_position_control::protocol::CONTROL_HZ;
use motor_position_control::{App, Notice};
use splitcore_exec::{every, Executive, Hz, TaskRateError, TaskStats, TimeSource};
use splitcore_hal::{AdcSample, OutputPin, PwmDuty, QuadratureCounter};

use crate::fault::{BridgeFault, FaultGuard};
use crate::time::Micros;

/// The runtime's services the program uses (`splitcore_rt` on the target).
pub trait Core1 {
    /// Tells core 0's supervisor the loop is alive.
    fn heartbeat(&self);
    /// Whether core 0 asked core 1 to stop.
    fn stop_requested(&self) -> bool;
    /// One log line (never blocks; may be dropped).
    fn log(&self, line: fmt::Arguments<'_>);
}

/// The loop statistics are published every this many control periods (20 Hz; core 0 forwards
/// them every 100 ms).
pub const STATS_EVERY: u32 = 1_000;

/// Why [`run`] could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramError {
    /// [`CONTROL_HZ`] does not fit the time source.
    Rate(TaskRateError),
    /// The time source's rate is not a whole number of MHz (telemetry time stamps need it).
    TickRate(u32),
}

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProgramError::Rate(e) => write!(f, "executive: {e}"),
            ProgramError::TickRate(hz) => write!(f, "time source at {hz} Hz: not a whole number of MHz"),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The control task's statistics (also published).
    pub stats: TaskStats,
    /// Peripheral writes that failed.
    pub hal_errors: u32,
    /// Control periods in which the current sense was refused because of a bridge fault.
    pub fault_periods: u32,
}

/// Runs `app` every control period on `clock` until core 0 asks to stop, then switches the
/// bridge off and publishes the final statistics.
///
/// * every period: `App::step` with the telemetry time in µs; a failed peripheral write
///   trips `guard` (the bridge stays off until core 1 restarts, see [`crate::fault`]);
/// * after every pass: heartbeat, statistics every [`STATS_EVERY`] periods, the app's notice
///   (if any) as a log line, with the bridge fault's cause when the current sense was refused;
/// * on stop: one more step with the guard latched (the controller's safe state: enable low,
///   duty 0), final statistics, a log line.
pub fn run<C, K, E, A, P, D, N>(
    core1: &K,
    clock: &C,
    app: App<'_, E, A, P, D, N>,
    guard: &FaultGuard,
) -> Result<Outcome, ProgramError>
where
    C: TimeSource,
    K: Core1,
    E: QuadratureCounter,
    A: AdcSample,
    P: PwmDuty,
    D: OutputPin,
    N: OutputPin,
{
    let tps = clock.ticks_per_second();
    let mut micros = Micros::new(tps, clock.now()).ok_or(ProgramError::TickRate(tps))?;
    let app = RefCell::new(app);
    let mut hal_errors = 0;
    let mut exec = Executive::new(
        clock,
        every(Hz(CONTROL_HZ), || {
            let mut app = app.borrow_mut();
            app.step(micros.update(clock.now()));
            let errors = app.controller().hal_errors();
            if errors != hal_errors {
                hal_errors = errors;
                guard.trip();
            }
        }),
    )
    .map_err(ProgramError::Rate)?;
    exec.run_polling_with(
        || core1.stop_requested(),
        |stats| {
            core1.heartbeat();
            let mut app = app.borrow_mut();
            if stats[0].releases.is_multiple_of(STATS_EVERY) {
                app.publish_stats(&stats[0]);
            }
            if let Some(notice) = app.take_notice() {
                log_notice(core1, &notice, guard);
            }
        },
    );
    let stats = *exec.stats(0);
    // The task borrows `app` and `micros`: take the executive apart first.
    let _ = exec.into_parts();
    let mut app = app.into_inner();
    guard.latch(BridgeFault::Stopping);
    app.step(micros.update(clock.now()));
    app.publish_stats(&stats);
    let outcome =
        Outcome { stats, hal_errors: app.controller().hal_errors(), fault_periods: guard.refusals() };
    core1.log(format_args!("motor-position core 1 stopping, bridge off: {stats}"));
    Ok(outcome)
}

fn log_notice<K: Core1>(core1: &K, notice: &Notice, guard: &FaultGuard) {
    match (notice, guard.current_fault()) {
        // The guard refused the read in this period: name the cause instead of the ADC.
        (Notice::AdcFault, Some(fault @ BridgeFault::DriverFault)) => {
            core1.log(format_args!("bridge off until the next setpoint: {fault}"))
        }
        // Latched causes: off until core 1 restarts.
        (Notice::AdcFault, Some(fault)) => core1.log(format_args!("bridge off: {fault}")),
        _ => core1.log(format_args!("{notice}")),
    }
}

/// Keeps beating (the bridge off) until core 0 asks to stop: what core 1 does when it cannot
/// run the controller (logged by the caller). Waits about 1 ms between checks.
pub fn idle_until_stopped<C: TimeSource, K: Core1>(core1: &K, clock: &C) {
    let step = (clock.ticks_per_second() / 1000).max(1);
    let mut next = clock.now();
    while !core1.stop_requested() {
        core1.heartbeat();
        next = next.wrapping_add(step);
        while !splitcore_exec::reached(clock.now(), next) {
            clock.idle_until(next);
        }
    }
}
