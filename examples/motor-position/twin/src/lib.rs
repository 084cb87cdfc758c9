//! The host twin of the motor-position example.
//!
//! The *same* core-1 code that runs on the ESP32-S3 — [`motor_position_control::App`] on
//! splitcore-exec's executive — runs here on an emulated core 1 (a thread) in virtual time,
//! against splitcore-plant's DC motor through splitcore-hal's `sim` peripherals. A core-0
//! thread plays the ESP-IDF app over the real splitcore-ipc region: it starts core 1 with
//! splitcore-core0's `Core1` handle (through a register model), writes setpoints, reads
//! telemetry and loop statistics, forwards core 1's log, and supervises it with
//! splitcore-core0's `Supervisor`, printing crash reports with splitcore-proto.
//!
//! * [`machinery`]: the generic parts, the `splitcore-twin` crate re-exported — lockstep
//!   virtual time ([`World`]), the core-1 life cycle ([`run_core1`], crash capture, holds),
//!   the register seam ([`TwinRegs`]). A project reuses them with its own [`Physics`] and
//!   [`Core1Program`] by depending on `splitcore-twin`.
//! * [`motor`]: the example's plant wiring and core-1 program.
//! * [`runner`]: [`Twin::spawn`] → [`TwinHandle`] (commands in, [`TwinEvent`]s out, while it
//!   runs, as fast as possible or paced to real time), the core-0 app and the fault scenarios.
//! * [`report`]: step-response metrics, bounds, SVG plot, text and JSON.
//! * [`serve`]: [`serve::LiveTwin`], the twin paced to real time behind the live dashboard
//!   (`splitcore-dashboard`): telemetry, statistics, status, logs and crash reports out, the
//!   page's setpoints into the setpoint mailbox.
//!
//! Runs are deterministic: the same configuration gives the same numbers.
//!
//! ```
//! use motor_position_twin::{run, TwinConfig};
//! let a = run(TwinConfig::step_response(200), |_| {})?;
//! let b = run(TwinConfig::step_response(200), |_| {})?;
//! assert_eq!(a.samples, b.samples);
//! assert_eq!(a.summary.boots, 1);
//! # Ok::<(), motor_position_twin::TwinError>(())
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

pub use splitcore_twin as machinery;
pub mod motor;
pub mod report;
pub mod runner;
pub mod serve;

pub use machinery::{run_core1, Core1Env, Core1Program, Physics, TwinClock, TwinRegs, World};
pub use report::{Bounds, Metrics, StepMetrics};
pub use runner::{
    Action, Command, Core1Status, Fault, RunSummary, Scheduled, Side, Twin, TwinConfig, TwinError, TwinEvent,
    TwinHandle,
};

use motor_position_control::protocol::TelemetrySample;

/// Everything a finished run reported, sorted by kind.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    /// Telemetry, in order.
    pub samples: Vec<TelemetrySample>,
    /// `(time_us, side, line)` of every log line.
    pub logs: Vec<(u64, Side, String)>,
    /// `(time_us, report)` of every crash report.
    pub crash_reports: Vec<(u64, String)>,
    /// `(time_us, action)` of every supervisor action.
    pub supervision: Vec<(u64, String)>,
    /// `(time_us, message)` of every error.
    pub errors: Vec<(u64, String)>,
    /// The totals.
    pub summary: RunSummary,
}

/// Runs `config` to the end, calling `on_event` for every event (e.g. to show progress), and
/// collects the record.
pub fn run(config: TwinConfig, mut on_event: impl FnMut(&TwinEvent)) -> Result<RunRecord, TwinError> {
    let handle = Twin::spawn(config)?;
    let mut record = RunRecord::default();
    for event in handle.events().iter() {
        on_event(&event);
        match event {
            TwinEvent::Telemetry(s) => record.samples.push(s),
            TwinEvent::Log { time_us, side, line } => record.logs.push((time_us, side, line)),
            TwinEvent::CrashReport { time_us, report } => record.crash_reports.push((time_us, report)),
            TwinEvent::Supervision { time_us, action } => record.supervision.push((time_us, action)),
            TwinEvent::Error { time_us, message } => record.errors.push((time_us, message)),
            TwinEvent::Finished(summary) => record.summary = summary,
            TwinEvent::LoopStats { .. } | TwinEvent::Status { .. } | TwinEvent::Progress { .. } => {}
        }
    }
    handle.join();
    Ok(record)
}
