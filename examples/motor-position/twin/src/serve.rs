//! The twin behind the live dashboard: [`LiveTwin`] runs the twin continuously, paced to real
//! time, publishes what core 0 receives to a [`splitcore_dashboard::Dashboard`] — the
//! telemetry samples exactly as the frame ring carries them, loop statistics, core-1 status,
//! log lines, crash reports — and turns the page's commands into [`Command::Act`]s: core 0
//! writes them into the `setpoint` mailbox of the IPC region, where the core-1 control code
//! reads them.
//!
//! ```
//! use std::sync::atomic::AtomicBool;
//! use motor_position_twin::serve::{LiveTwin, ServeOptions};
//!
//! let options = ServeOptions { addr: "127.0.0.1:0".into(), seconds: Some(0.3), ..ServeOptions::default() };
//! let live = LiveTwin::start(&options)?;
//! println!("dashboard: {}", live.url());
//! let summary = live.run(&AtomicBool::new(false), |_event| {})?; // returns after 0.3 s
//! assert_eq!(summary.boots, 1);
//! assert!(summary.telemetry_received >= 280, "{summary:?}");
//! # Ok::<(), motor_position_twin::serve::ServeError>(())
//! ```

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use motor_position_control::protocol::TelemetrySample;
use splitcore_dashboard::{Config, Core1State, Dashboard, Status};
use splitcore_proto::control::Status as ControlStatus;

use crate::runner::{
    Action, Command, Core1Status, Fault, RunSummary, Side, Twin, TwinConfig, TwinError, TwinHandle,
};
use crate::TwinEvent;

/// How often telemetry is batched into one WebSocket message per page, wall-clock.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(20);

/// Slowest and fastest pacing accepted, × real time.
pub const SPEED_RANGE: std::ops::RangeInclusive<f64> = 0.01..=100.0;

/// Longest bounded run accepted, virtual seconds.
pub const MAX_SECONDS: f64 = 1_000_000.0;

/// How long the supervisor leaves a crashed (or hung) core 1 down before restarting it, µs:
/// long enough for a page to show the crash. Doubled for each further restart in a series.
pub const RESTART_BACKOFF_US: u64 = 1_000_000;

/// Settings of a [`LiveTwin`].
#[derive(Debug, Clone, PartialEq)]
pub struct ServeOptions {
    /// Where the dashboard listens (port 0: any free port).
    pub addr: String,
    /// Virtual time runs at this many × real time (within [`SPEED_RANGE`]).
    pub speed: f64,
    /// `Some(s)`: end after `s` virtual seconds; `None`: run until stopped.
    pub seconds: Option<f64>,
    /// Faults to inject, each at its delay in virtual milliseconds **after the first page
    /// connected** (so a page is there to see it).
    pub faults: Vec<(Fault, u64)>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions { addr: "127.0.0.1:8080".into(), speed: 1.0, seconds: None, faults: Vec::new() }
    }
}

impl ServeOptions {
    /// Checks the settings.
    ///
    /// ```
    /// use motor_position_twin::serve::ServeOptions;
    /// let bad = ServeOptions { speed: 0.0, ..ServeOptions::default() };
    /// assert!(bad.validate().unwrap_err().to_string().contains("speed"));
    /// assert!(ServeOptions::default().validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), ServeError> {
        if !SPEED_RANGE.contains(&self.speed) {
            return Err(ServeError::Options(format!(
                "speed {} is outside {}..={} (× real time)",
                self.speed,
                SPEED_RANGE.start(),
                SPEED_RANGE.end()
            )));
        }
        if let Some(s) = self.seconds {
            if !(s > 0.0 && s <= MAX_SECONDS) {
                return Err(ServeError::Options(format!("seconds {s} is outside (0, {MAX_SECONDS}]")));
            }
        }
        Ok(())
    }

    /// The twin's configuration: the example's plant, controller and supervision, paced,
    /// endless unless [`seconds`](Self::seconds) is set, holding 0 rad from 100 ms on, with
    /// [`RESTART_BACKOFF_US`] before a restart.
    ///
    /// ```
    /// use motor_position_twin::serve::ServeOptions;
    /// let c = ServeOptions { speed: 2.0, ..ServeOptions::default() }.twin_config();
    /// assert_eq!((c.speed, c.duration_ms), (Some(2.0), u64::MAX));
    /// ```
    pub fn twin_config(&self) -> TwinConfig {
        let mut config = TwinConfig::step_response(0);
        config.duration_ms = self.seconds.map_or(u64::MAX, |s| (s * 1000.0).round() as u64);
        config.schedule.clear();
        config = config.at(100, Action::Setpoint { position_rad: 0.0, velocity_limit_rad_s: 20.0 });
        config.speed = Some(self.speed);
        config.progress_every_ms = 0;
        config.supervisor.backoff_us = RESTART_BACKOFF_US;
        config.supervisor.backoff_max_us = 4 * RESTART_BACKOFF_US;
        config.supervisor.stable_us = 10 * RESTART_BACKOFF_US;
        config
    }
}

/// Why [`LiveTwin::start`] failed.
#[derive(Debug)]
pub enum ServeError {
    /// A setting is out of range (named, with the reason).
    Options(String),
    /// The dashboard could not listen on `addr`.
    Bind {
        /// The address asked for.
        addr: String,
        /// Why.
        error: io::Error,
    },
    /// The twin did not start.
    Twin(TwinError),
    /// The twin's threads ended without finishing the run (one of them panicked).
    TwinDied,
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Options(e) => write!(f, "{e}"),
            ServeError::Bind { addr, error } => write!(f, "cannot serve the dashboard on {addr}: {error}"),
            ServeError::Twin(e) => write!(f, "{e}"),
            ServeError::TwinDied => {
                f.write_str("the twin's threads ended without finishing the run (a thread panicked)")
            }
        }
    }
}

impl std::error::Error for ServeError {}

/// The twin and its dashboard, running.
#[derive(Debug)]
pub struct LiveTwin {
    dashboard: Dashboard,
    handle: TwinHandle,
    speed: f64,
    faults: Vec<(Fault, u64)>,
}

impl LiveTwin {
    /// Checks `options`, starts the dashboard server and the twin.
    ///
    /// ```
    /// use motor_position_twin::serve::{LiveTwin, ServeError, ServeOptions};
    /// let taken = LiveTwin::start(&ServeOptions { addr: "127.0.0.1:0".into(), ..ServeOptions::default() })?;
    /// let again = ServeOptions { addr: taken.local_addr().to_string(), ..ServeOptions::default() };
    /// assert!(matches!(LiveTwin::start(&again), Err(ServeError::Bind { .. })));
    /// # Ok::<(), ServeError>(())
    /// ```
    pub fn start(options: &ServeOptions) -> Result<LiveTwin, ServeError> {
        options.validate()?;
        let config = Config { source: "twin".into(), ..Config::default() };
        let dashboard = Dashboard::start_with(options.addr.as_str(), config)
            .map_err(|error| ServeError::Bind { addr: options.addr.clone(), error })?;
        let handle = Twin::spawn(options.twin_config()).map_err(ServeError::Twin)?;
        dashboard.publish_log(&format!(
            "twin: the motor-position core-1 code against a simulated DC motor, {}× real time",
            options.speed
        ));
        Ok(LiveTwin { dashboard, handle, speed: options.speed, faults: options.faults.clone() })
    }

    /// `http://<address>/`, for a browser.
    ///
    /// ```
    /// use motor_position_twin::serve::{LiveTwin, ServeOptions};
    /// let live = LiveTwin::start(&ServeOptions { addr: "127.0.0.1:0".into(), ..ServeOptions::default() })?;
    /// assert_eq!(live.url(), format!("http://{}/", live.local_addr()));
    /// # Ok::<(), motor_position_twin::serve::ServeError>(())
    /// ```
    pub fn url(&self) -> String {
        self.dashboard.url()
    }

    /// The bound address (the real port when port 0 was asked for).
    ///
    /// ```
    /// use motor_position_twin::serve::{LiveTwin, ServeOptions};
    /// let live = LiveTwin::start(&ServeOptions { addr: "127.0.0.1:0".into(), ..ServeOptions::default() })?;
    /// assert_ne!(live.local_addr().port(), 0);
    /// # Ok::<(), motor_position_twin::serve::ServeError>(())
    /// ```
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.dashboard.local_addr()
    }

    /// Serves until the twin ends (its [`ServeOptions::seconds`]) or `stop` becomes true
    /// (then core 1 is stopped cooperatively first), calling `on_event` for every twin event
    /// (e.g. to echo logs), and returns the run's totals. The dashboard stops with it.
    ///
    /// ```
    /// use std::sync::atomic::AtomicBool;
    /// use motor_position_twin::serve::{LiveTwin, ServeOptions};
    /// use motor_position_twin::TwinEvent;
    ///
    /// let options = ServeOptions { addr: "127.0.0.1:0".into(), speed: 5.0, ..ServeOptions::default() };
    /// let live = LiveTwin::start(&options)?;
    /// let stop = AtomicBool::new(false);
    /// let summary = live.run(&stop, |event| {
    ///     if let TwinEvent::Telemetry(sample) = event {
    ///         if sample.seq == 300 {
    ///             stop.store(true, std::sync::atomic::Ordering::SeqCst); // e.g. from a Ctrl-C handler
    ///         }
    ///     }
    /// })?;
    /// assert!(summary.telemetry_received >= 300);
    /// # Ok::<(), motor_position_twin::serve::ServeError>(())
    /// ```
    /// [`ServeError::TwinDied`] if the twin's threads ended without finishing the run (a
    /// thread panicked): the caller must not report that as a clean stop.
    pub fn run(
        self,
        stop: &AtomicBool,
        mut on_event: impl FnMut(&TwinEvent),
    ) -> Result<RunSummary, ServeError> {
        let LiveTwin { dashboard, handle, speed, faults } = self;
        let commands = dashboard.commands();
        let mut batch: Vec<TelemetrySample> = Vec::new();
        // Faults fire in virtual time (the twin may lag the wall clock on a loaded machine),
        // counted from the moment the first page connected.
        let mut armed: Option<Vec<(u64, Fault)>> = None;
        let mut virtual_us = 0u64;
        let mut stopping = false;
        let mut summary = None;
        while summary.is_none() {
            if !stopping && stop.load(Ordering::SeqCst) {
                handle.send(Command::Stop);
                stopping = true;
            }
            let until = Instant::now() + PUBLISH_EVERY;
            loop {
                let event =
                    match handle.events().recv_timeout(until.saturating_duration_since(Instant::now())) {
                        Ok(event) => event,
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => {
                            handle.join();
                            return Err(ServeError::TwinDied);
                        }
                    };
                on_event(&event);
                virtual_us = virtual_us.max(event.time_us().unwrap_or(0));
                if let TwinEvent::Finished(s) = event {
                    summary = Some(s);
                    break;
                }
                publish(&dashboard, event, speed, &mut batch);
            }
            flush_samples(&dashboard, &mut batch);
            for command in commands.try_iter() {
                handle.send(Command::Act(match command {
                    splitcore_dashboard::Command::Position { position_rad, velocity_limit_rad_s } => {
                        Action::Setpoint { position_rad, velocity_limit_rad_s }
                    }
                    splitcore_dashboard::Command::Disable => Action::Disable,
                }));
            }
            if armed.is_none() && dashboard.counters().clients > 0 {
                armed = Some(
                    faults
                        .iter()
                        .map(|&(fault, ms)| (virtual_us.saturating_add(ms.saturating_mul(1000)), fault))
                        .collect(),
                );
            }
            if let Some(pending) = armed.as_mut() {
                pending.retain(|&(at_us, fault)| {
                    if at_us <= virtual_us {
                        handle.send(Command::Act(Action::Fault(fault)));
                    }
                    at_us > virtual_us
                });
            }
        }
        handle.join();
        summary.ok_or(ServeError::TwinDied)
    }
}

/// The dashboard's view of core 1's state.
fn core1_state(state: Option<ControlStatus>) -> Core1State {
    match state {
        Some(ControlStatus::Off) => Core1State::Off,
        Some(ControlStatus::Booting) => Core1State::Booting,
        Some(ControlStatus::Running) => Core1State::Running,
        Some(ControlStatus::Stopping) => Core1State::Stopping,
        Some(ControlStatus::Stopped) => Core1State::Stopped,
        Some(ControlStatus::Crashed) => Core1State::Crashed,
        // A control block with no valid state is as unusable as a version mismatch.
        Some(ControlStatus::Incompatible) | None => Core1State::Incompatible,
    }
}

fn status_message(time_us: u64, status: &Core1Status, speed: f64) -> Status {
    let detail = match status.state {
        Some(_) => format!(
            "host twin at {speed}× real time, boot #{} (core 1 is a host thread: no stack measurement)",
            status.boots
        ),
        None => "host twin: the control block's status word is corrupt".to_string(),
    };
    Status {
        core1: core1_state(status.state),
        heartbeat: status.heartbeat,
        stack_high_water_bytes: status.stack_high_water_bytes,
        restarts: status.restarts,
        uptime_ms: time_us / 1000,
        detail,
    }
}

/// Publishes the samples collected in `batch` (if any) and empties it.
fn flush_samples(dashboard: &Dashboard, batch: &mut Vec<TelemetrySample>) {
    if !batch.is_empty() {
        dashboard.publish_samples(batch);
        batch.clear();
    }
}

fn publish(dashboard: &Dashboard, event: TwinEvent, speed: f64, batch: &mut Vec<TelemetrySample>) {
    match event {
        TwinEvent::Telemetry(sample) => batch.push(sample),
        TwinEvent::LoopStats { stats, .. } => dashboard.publish_stats(&stats),
        TwinEvent::Status { time_us, status } => {
            dashboard.publish_status(&status_message(time_us, &status, speed))
        }
        TwinEvent::Log { side: Side::Core1, line, .. } => dashboard.publish_log(&format!("core 1: {line}")),
        TwinEvent::Log { side: Side::Core0, line, .. } => dashboard.publish_log(&line),
        TwinEvent::CrashReport { report, .. } => {
            // Samples before the crash go out before the report.
            flush_samples(dashboard, batch);
            dashboard.publish_crash(&report);
            let first = report.lines().next().unwrap_or("");
            dashboard.publish_log(&format!("core 0: core 1 crashed: {first}"));
        }
        TwinEvent::Supervision { action, .. } => {
            dashboard.publish_log(&format!("core 0: supervisor: {action}"))
        }
        TwinEvent::Error { message, .. } => dashboard.publish_log(&format!("core 0: error: {message}")),
        TwinEvent::Progress { .. } | TwinEvent::Finished(_) => {}
    }
}
