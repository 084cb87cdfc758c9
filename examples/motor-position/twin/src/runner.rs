//! The running twin: the emulated core 1 with the plant, and a core-0 thread playing the
//! ESP-IDF app over the real splitcore-ipc region, with splitcore-core0's [`Core1`] handle,
//! [`Supervisor`] and log forwarding. [`Twin::spawn`] returns a [`TwinHandle`] to send
//! commands and receive [`TwinEvent`]s while it runs (as fast as possible or paced to real
//! time, for a live dashboard).

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;

use motor_position_control::protocol::*;
use splitcore_core0::{Action as SupAction, Core1, Policy, Supervisor, SupervisorConfig, Timing};
use splitcore_exec::TaskStats;
use splitcore_ipc::{EventReceiver, FrameConsumer, MailboxReader, MailboxWriter, Region, RegionBuf};
use splitcore_plant::ParamError;

use crate::machinery::*;
use crate::motor::{MotorPlant, MotorProgram, PlantConfig};

/// Something core 0 does at a scheduled time or on request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Move to `position_rad` at up to `velocity_limit_rad_s`.
    Setpoint {
        /// Target, rad.
        position_rad: f32,
        /// Speed limit, rad/s.
        velocity_limit_rad_s: f32,
    },
    /// Switch the bridge off.
    Disable,
    /// Inject a fault.
    Fault(Fault),
}

/// Injectable faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The control step panics: crash record → IDF-style report on core 0 → restart.
    Core1Panic,
    /// The control loop stalls (no more heartbeats): the supervisor restarts core 1.
    StalledLoop,
    /// For `duration_ms`, core 0 writes 50 setpoints per millisecond (every other millisecond
    /// ending with an invalid one) and stops draining telemetry: core 1 keeps its period,
    /// refuses the bad commands and drops (and counts) telemetry instead of blocking.
    MessageFlood {
        /// How long, ms.
        duration_ms: u32,
    },
    /// The telemetry ring's head index in shared memory is overwritten with garbage: core 0
    /// reports the specific corruption, re-initialises the region and restarts core 1.
    CorruptRegion,
    /// The region header's magic word is overwritten and core 1 is restarted: its attach
    /// fails with a specific error that it logs, it keeps the bridge off (no crash), and core
    /// 0's telemetry watchdog (core 1 alive but silent for 200 ms) re-initialises the region
    /// and restarts it.
    CorruptHeader,
}

/// A scheduled [`Action`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scheduled {
    /// Virtual time, ms.
    pub at_ms: u64,
    /// What.
    pub action: Action,
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct TwinConfig {
    /// Virtual duration, ms (`u64::MAX`: until [`Command::Stop`] or the handle is dropped,
    /// e.g. for a live dashboard).
    pub duration_ms: u64,
    /// The plant.
    pub plant: PlantConfig,
    /// The core-1 program.
    pub program: MotorProgram,
    /// Core 0's schedule.
    pub schedule: Vec<Scheduled>,
    /// Core 0's supervision.
    pub supervisor: SupervisorConfig,
    /// Core 0's start/stop timing.
    pub timing: Timing,
    /// `Some(x)`: virtual time runs at `x` × real time; `None`: as fast as possible.
    pub speed: Option<f64>,
    /// Emit [`TwinEvent::Progress`] every this many virtual ms (0: never).
    pub progress_every_ms: u64,
}

impl TwinConfig {
    /// The example's step scenario: `duration_ms` long; a step to π rad (speed limit
    /// 40 rad/s) at 100 ms and, when long enough, a step to −π/2 rad at the middle.
    pub fn step_response(duration_ms: u64) -> Self {
        let mut schedule = vec![Scheduled {
            at_ms: 100,
            action: Action::Setpoint { position_rad: core::f32::consts::PI, velocity_limit_rad_s: 40.0 },
        }];
        if duration_ms >= 1000 {
            schedule.push(Scheduled {
                at_ms: duration_ms / 2,
                action: Action::Setpoint {
                    position_rad: -core::f32::consts::FRAC_PI_2,
                    velocity_limit_rad_s: 40.0,
                },
            });
        }
        TwinConfig {
            duration_ms,
            plant: PlantConfig::default(),
            program: MotorProgram::default(),
            schedule,
            supervisor: SupervisorConfig {
                policy: Policy::RestartCore1,
                heartbeat_timeout_us: 100_000,
                max_restarts: 3,
                backoff_us: 10_000,
                backoff_max_us: 200_000,
                stable_us: 2_000_000,
            },
            timing: Timing { handshake_timeout_us: 100_000, stop_timeout_us: 20_000, poll_us: 100 },
            speed: None,
            progress_every_ms: 500,
        }
    }

    /// Adds an action at `at_ms`.
    pub fn at(mut self, at_ms: u64, action: Action) -> Self {
        self.schedule.push(Scheduled { at_ms, action });
        self
    }
}

/// Which side a log line comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Core 0 (the IDF app).
    Core0,
    /// Core 1 (forwarded from its log ring).
    Core1,
}

/// What the twin reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum TwinEvent {
    /// A telemetry sample from core 1.
    Telemetry(TelemetrySample),
    /// Core 1's loop statistics (read about every 100 ms).
    LoopStats {
        /// Virtual time, µs.
        time_us: u64,
        /// The statistics.
        stats: TaskStats,
    },
    /// A log line.
    Log {
        /// Virtual time, µs.
        time_us: u64,
        /// Whose.
        side: Side,
        /// The text.
        line: String,
    },
    /// A core-1 crash report, printed the way ESP-IDF prints panics.
    CrashReport {
        /// Virtual time, µs.
        time_us: u64,
        /// The report.
        report: String,
    },
    /// The supervisor acted.
    Supervision {
        /// Virtual time, µs.
        time_us: u64,
        /// What it did.
        action: String,
    },
    /// Core 0 found an error (corrupt channel, failed start, …).
    Error {
        /// Virtual time, µs.
        time_us: u64,
        /// The error.
        message: String,
    },
    /// Core 1 as core 0 sees it through the control block: every 100 ms, and at once when
    /// its state changes (e.g. to `Crashed`).
    Status {
        /// Virtual time, µs.
        time_us: u64,
        /// The status.
        status: Core1Status,
    },
    /// Virtual time reached `time_us` of `end_us`.
    Progress {
        /// Now, µs.
        time_us: u64,
        /// End, µs.
        end_us: u64,
    },
    /// The run ended.
    Finished(RunSummary),
}

impl TwinEvent {
    /// The virtual time the event carries (`None` for telemetry, which has core 1's own clock,
    /// and for the end of the run).
    pub fn time_us(&self) -> Option<u64> {
        match self {
            TwinEvent::LoopStats { time_us, .. }
            | TwinEvent::Log { time_us, .. }
            | TwinEvent::CrashReport { time_us, .. }
            | TwinEvent::Supervision { time_us, .. }
            | TwinEvent::Error { time_us, .. }
            | TwinEvent::Status { time_us, .. }
            | TwinEvent::Progress { time_us, .. } => Some(*time_us),
            TwinEvent::Telemetry(_) | TwinEvent::Finished(_) => None,
        }
    }
}

/// Core 1's state and health, read by core 0 from the control block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Core1Status {
    /// Its state (`None`: the control block holds no valid state, i.e. it is corrupt).
    pub state: Option<splitcore_proto::control::Status>,
    /// Heartbeat counter.
    pub heartbeat: u32,
    /// Deepest stack use core 1 published, bytes.
    pub stack_high_water_bytes: u32,
    /// Boots so far (1 after the first start).
    pub boots: u32,
    /// Restarts done by core 0 (supervisor or recovery).
    pub restarts: u32,
}

/// Totals of a run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RunSummary {
    /// Virtual time at the end, µs.
    pub end_us: u64,
    /// Core-1 boots.
    pub boots: u32,
    /// Restarts done by core 0 (supervisor or recovery).
    pub restarts: u32,
    /// Telemetry samples received.
    pub telemetry_received: u64,
    /// Samples missing from the sequence (dropped by core 1 when the ring was full).
    pub telemetry_gaps: u64,
    /// Crash reports printed.
    pub crash_reports: u32,
    /// Errors reported.
    pub errors: u32,
    /// The last loop statistics read (published by core 1's final period before it stopped).
    pub last_stats: Option<TaskStats>,
}

/// A command to the running twin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Command {
    /// Do this now.
    Act(Action),
    /// Change the pacing (`None`: as fast as possible).
    Speed(Option<f64>),
    /// End the run now.
    Stop,
}

/// Why the twin did not start.
#[derive(Debug, Clone, PartialEq)]
pub enum TwinError {
    /// A plant parameter.
    Plant(ParamError),
    /// A controller parameter.
    Controller(motor_position_control::ConfigError),
    /// A twin setting (named, with the reason).
    Config(String),
    /// A thread could not be spawned.
    Thread(String),
}

impl fmt::Display for TwinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TwinError::Plant(e) => write!(f, "plant: {e}"),
            TwinError::Controller(e) => write!(f, "controller: {e}"),
            TwinError::Config(e) => write!(f, "twin configuration: {e}"),
            TwinError::Thread(e) => write!(f, "spawning a twin thread: {e}"),
        }
    }
}

impl std::error::Error for TwinError {}

/// The example's machine: its application region holds [`LAYOUT`].
type Shared = Machine<{ LAYOUT.size() }>;

/// A running twin.
#[derive(Debug)]
pub struct TwinHandle {
    commands: Sender<Command>,
    events: Receiver<TwinEvent>,
    threads: Vec<JoinHandle<()>>,
}

impl TwinHandle {
    /// Sends a command (ignored once the run ended).
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// The event stream; it ends after [`TwinEvent::Finished`].
    pub fn events(&self) -> &Receiver<TwinEvent> {
        &self.events
    }

    /// Ends the run if it is still going (dropping the command sender acts as
    /// [`Command::Stop`]) and waits for both threads.
    pub fn join(self) {
        drop(self.commands);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// The twin.
#[derive(Debug)]
pub struct Twin;

impl Twin {
    /// Checks `config` and starts the core-1 and core-0 threads.
    ///
    /// ```
    /// use motor_position_twin::{Twin, TwinConfig, TwinEvent};
    /// let handle = Twin::spawn(TwinConfig::step_response(300))?;
    /// let mut samples = 0;
    /// for event in handle.events().iter() {
    ///     match event {
    ///         TwinEvent::Telemetry(_) => samples += 1,
    ///         // The end includes the cooperative stop after the last millisecond.
    ///         TwinEvent::Finished(summary) => assert!(summary.end_us >= 300_000),
    ///         _ => {}
    ///     }
    /// }
    /// handle.join();
    /// assert!(samples >= 280, "{samples}");
    /// # Ok::<(), motor_position_twin::TwinError>(())
    /// ```
    pub fn spawn(config: TwinConfig) -> Result<TwinHandle, TwinError> {
        let plant = MotorPlant::new(&config.plant).map_err(TwinError::Plant)?;
        config.program.config.validate().map_err(TwinError::Controller)?;
        if let Some(speed) = config.speed {
            if !(speed.is_finite() && speed > 0.0) {
                return Err(TwinError::Config(format!("speed = {speed}: must be finite and > 0 (or None)")));
            }
        }
        if config.program.stats_every == 0 {
            return Err(TwinError::Config("program.stats_every = 0: must be >= 1".to_string()));
        }
        let shared = Shared::new();
        shared.world.set_pacing(config.speed);
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let (ev_tx, ev_rx) = mpsc::channel();
        let core1 = shared
            .spawn_core1("motor", config.program, Box::new(plant))
            .map_err(|e| TwinError::Thread(e.to_string()))?;
        let s0 = shared.clone();
        let core0 = std::thread::Builder::new().name("twin-core0".into()).spawn(move || {
            let events = ev_tx.clone();
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut app = Core0App {
                    s: &s0,
                    config: &config,
                    events: ev_tx,
                    summary: RunSummary::default(),
                    last_telemetry_us: 0,
                    last_beat: (0, 0),
                    crash_reported: false,
                    last_status: None,
                };
                app.run(cmd_rx);
            }));
            // Whatever happened, core 1's thread must not wait for grants forever.
            s0.world.shut_down();
            if outcome.is_err() {
                let time_us = s0.world.now_us();
                let message =
                    "the twin's core-0 thread panicked (a bug in the twin); run aborted".to_string();
                let _ = events.send(TwinEvent::Error { time_us, message });
                let summary =
                    RunSummary { end_us: time_us, boots: s0.cpu.boots(), errors: 1, ..RunSummary::default() };
                let _ = events.send(TwinEvent::Finished(summary));
            }
        });
        let core0 = match core0 {
            Ok(t) => t,
            Err(e) => {
                shared.world.shut_down();
                let _ = core1.join();
                return Err(TwinError::Thread(e.to_string()));
            }
        };
        Ok(TwinHandle { commands: cmd_tx, events: ev_rx, threads: vec![core1, core0] })
    }
}

/// Overwrites the region header's magic word.
fn corrupt_region_magic(app: &RegionBuf<{ LAYOUT.size() }>) {
    // SAFETY: the header's magic is the region's first word (4-aligned, inside the buffer);
    // it is only read atomically (at attach), and an atomic store keeps this write race-free.
    let magic = unsafe { std::sync::atomic::AtomicU32::from_ptr(app.as_ptr().cast::<u32>()) };
    magic.store(0xdead_beef, Ordering::Release);
}

/// Core 0's ends of the example's channels.
struct Core0Ports<'a> {
    setpoint: MailboxWriter<'a, Setpoint>,
    telemetry: FrameConsumer<'a>,
    stats: MailboxReader<'a, TaskStats>,
    events: EventReceiver<'a>,
}

impl<'a> Core0Ports<'a> {
    fn claim(region: &Region<'a>) -> Result<Self, splitcore_ipc::Error> {
        Ok(Core0Ports {
            setpoint: region.mailbox_writer(SETPOINT)?,
            telemetry: region.frame_consumer(TELEMETRY)?,
            stats: region.mailbox_reader(LOOP_STATS)?,
            events: region.event_receiver(EVENTS)?,
        })
    }
}

/// The IDF app's role.
struct Core0App<'a> {
    s: &'a Shared,
    config: &'a TwinConfig,
    events: Sender<TwinEvent>,
    summary: RunSummary,
    /// When the last telemetry sample arrived (or core 1 was last (re)started), µs.
    last_telemetry_us: u64,
    /// The heartbeat last seen and when it last moved, µs.
    last_beat: (u32, u64),
    /// The current crash (if any) was reported; cleared at every (re)start.
    crash_reported: bool,
    /// The last [`TwinEvent::Status`] sent.
    last_status: Option<Core1Status>,
}

/// Core 1 alive (heartbeat moving) but no telemetry for this long: the channel is broken.
const TELEMETRY_WATCHDOG_US: u64 = 200_000;

const FLOOD_WRITES_PER_MS: u32 = 50;

impl<'a> Core0App<'a> {
    fn now_us(&self) -> u64 {
        self.s.world.now_us()
    }

    fn emit(&self, event: TwinEvent) {
        let _ = self.events.send(event);
    }

    fn log(&self, line: String) {
        self.emit(TwinEvent::Log { time_us: self.now_us(), side: Side::Core0, line });
    }

    fn error(&mut self, message: String) {
        self.summary.errors += 1;
        self.emit(TwinEvent::Error { time_us: self.now_us(), message });
    }

    /// The whole run; always ends with [`TwinEvent::Finished`].
    fn run(&mut self, commands: Receiver<Command>) {
        self.run_app(commands);
        self.summary.end_us = self.now_us();
        self.summary.boots = self.s.cpu.boots();
        self.emit(TwinEvent::Finished(self.summary));
    }

    fn run_app(&mut self, commands: Receiver<Command>) {
        let s = self.s;
        // Start in step with core 1 (held, waiting for time): everything below happens at t = 0.
        if !s.world.core0_wait_until(0) {
            return;
        }
        let Some(mut core) = s.core1_handle(self.config.timing) else {
            return self.error("core 1's handle is already taken".to_string());
        };
        let region = match Region::init(s.app_region(), &LAYOUT) {
            Ok(r) => r,
            Err(e) => return self.error(format!("shared region: {e}")),
        };
        let mut ports = match Core0Ports::claim(&region) {
            Ok(p) => Some(p),
            Err(e) => return self.error(format!("shared region channels: {e}")),
        };
        self.log(format!("core 0: starting core 1 (entry 0x{ENTRY:08x})"));
        if let Err(e) = core.start() {
            return self.error(format!("core 1 did not start: {e}"));
        }
        let mut sup = Supervisor::new(self.config.supervisor, self.now_us());
        let mut seq = 0u32;
        let mut command = Setpoint::disabled(0);
        let mut flood_left = 0u32;
        let mut expected_seq: Option<u32> = None;
        let mut last_boot = s.cpu.boots();
        let end_ms = self.config.duration_ms;
        let mut schedule = self.config.schedule.clone();
        schedule.sort_by_key(|a| a.at_ms);
        let mut next = 0;
        let mut stop_now = false;

        for ms in 0..=end_ms {
            if !s.world.core0_wait_until(ms.saturating_mul(1000 * TICKS_PER_US)) {
                if s.world.core1_exited() {
                    self.error("the emulated core 1 ended unexpectedly (its plant or thread failed); run ended early".to_string());
                }
                break;
            }
            let mut actions = Vec::new();
            while next < schedule.len() && schedule[next].at_ms <= ms {
                actions.push(schedule[next].action);
                next += 1;
            }
            loop {
                match commands.try_recv() {
                    Ok(Command::Act(a)) => actions.push(a),
                    Ok(Command::Speed(speed)) => s.world.set_pacing(speed),
                    // A dropped handle ends the run like `Stop`.
                    Ok(Command::Stop) | Err(TryRecvError::Disconnected) => {
                        stop_now = true;
                        break;
                    }
                    Err(TryRecvError::Empty) => break,
                }
            }
            for action in actions {
                match action {
                    Action::Setpoint { position_rad, velocity_limit_rad_s } => {
                        seq = seq.wrapping_add(1);
                        command = Setpoint::position(seq, position_rad, velocity_limit_rad_s);
                        if let Some(p) = ports.as_mut() {
                            p.setpoint.write(&command);
                        }
                        self.log(format!(
                            "core 0: setpoint #{seq}: {position_rad:.3} rad at up to {velocity_limit_rad_s:.1} rad/s"
                        ));
                    }
                    Action::Disable => {
                        seq = seq.wrapping_add(1);
                        command = Setpoint::disabled(seq);
                        if let Some(p) = ports.as_mut() {
                            p.setpoint.write(&command);
                        }
                        self.log(format!("core 0: setpoint #{seq}: disable"));
                    }
                    Action::Fault(fault) => {
                        self.log(format!("core 0: injecting fault {fault:?}"));
                        match fault {
                            Fault::Core1Panic => s.faults.inject(InjectedFault::Panic),
                            Fault::StalledLoop => s.faults.inject(InjectedFault::Stall),
                            Fault::MessageFlood { duration_ms } => flood_left = duration_ms,
                            Fault::CorruptRegion => corrupt_telemetry_head(s.app_region()),
                            Fault::CorruptHeader => {
                                corrupt_region_magic(s.app_region());
                                self.log("core 0: region header overwritten; restarting core 1".to_string());
                                self.restart(&mut core, &mut sup);
                            }
                        }
                    }
                }
            }
            if flood_left > 0 {
                flood_left -= 1;
                if let Some(p) = ports.as_mut() {
                    for k in 0..FLOOD_WRITES_PER_MS {
                        seq = seq.wrapping_add(1);
                        let last = k + 1 == FLOOD_WRITES_PER_MS;
                        let mut sp = Setpoint { seq, ..command };
                        if last && ms % 2 == 1 {
                            sp.position_rad = f32::NAN;
                        }
                        p.setpoint.write(&sp);
                    }
                }
            } else {
                // Telemetry (not while flooding: the ring fills and core 1 must drop).
                let boots = s.cpu.boots();
                if boots != last_boot {
                    last_boot = boots;
                    expected_seq = None; // a new boot numbers its samples from 0
                }
                let mut trouble = None;
                if let Some(p) = ports.as_mut() {
                    let _ = p.events.take();
                    if let Err(e) = self.drain_telemetry(&mut p.telemetry, &mut expected_seq) {
                        trouble = Some(format!("telemetry channel corrupt: {e}"));
                    }
                }
                if trouble.is_none() && self.telemetry_silent(&core) {
                    trouble = Some(format!(
                        "no telemetry for {} ms while core 1 runs (see its log)",
                        (self.now_us() - self.last_telemetry_us) / 1000
                    ));
                }
                if let Some(why) = trouble {
                    self.error(format!("{why}; re-initialising the shared region and restarting core 1"));
                    drop(ports.take());
                    ports = self.recover_region(&mut core, &mut sup, &mut seq, command);
                    expected_seq = None;
                }
            }
            if ms % 100 == 0 {
                if let Some(p) = ports.as_ref() {
                    self.read_stats(p);
                }
            }
            self.forward_log(&mut core);
            self.supervise(&mut core, &mut sup);
            self.emit_status(&core, ms % 100 == 0);
            let every = self.config.progress_every_ms;
            if every != 0 && ms % every == 0 {
                self.emit(TwinEvent::Progress {
                    time_us: self.now_us(),
                    end_us: end_ms.saturating_mul(1000),
                });
            }
            if stop_now {
                break;
            }
        }
        // Cooperative stop: core 1 publishes its final statistics.
        let stopped = core.stop();
        self.log(format!("core 0: core 1 stopped ({stopped:?})"));
        self.forward_log(&mut core);
        if let Some(p) = ports.as_mut() {
            let _ = self.drain_telemetry(&mut p.telemetry, &mut expected_seq);
            self.read_stats(p);
        }
    }

    /// Reads core 1's loop statistics (if published) into the summary and emits them.
    fn read_stats(&mut self, p: &Core0Ports<'_>) {
        if let Ok(Some(stats)) = p.stats.read() {
            self.summary.last_stats = Some(stats);
            self.emit(TwinEvent::LoopStats { time_us: self.now_us(), stats });
        }
    }

    fn drain_telemetry(
        &mut self,
        rx: &mut FrameConsumer<'_>,
        expected: &mut Option<u32>,
    ) -> Result<(), splitcore_ipc::Error> {
        while let Some(frame) = rx.read()? {
            if frame.len() != TelemetrySample::SIZE {
                let len = frame.len();
                frame.release();
                self.error(format!("telemetry frame of {len} bytes, expected {}", TelemetrySample::SIZE));
                continue;
            }
            let sample: TelemetrySample = bytemuck::pod_read_unaligned(&frame);
            frame.release();
            if let Some(e) = *expected {
                let gap = sample.seq.wrapping_sub(e);
                if (gap as i32) > 0 {
                    self.summary.telemetry_gaps += gap as u64;
                }
            }
            *expected = Some(sample.seq.wrapping_add(1));
            self.summary.telemetry_received += 1;
            self.last_telemetry_us = self.now_us();
            self.emit(TwinEvent::Telemetry(sample));
        }
        Ok(())
    }

    fn forward_log(&mut self, core: &mut Core1<'_, TwinRegs>) {
        let dropped = core.control().log_dropped.load(Ordering::Relaxed);
        let mut lines = Vec::new();
        if let Some(log) = core.log() {
            if let Err(e) = log.drain(dropped, 1000, &mut |l| lines.push(l.to_string())) {
                lines.push(format!("[log ring unusable: {e}]"));
            }
        }
        let time_us = self.now_us();
        for line in lines {
            self.emit(TwinEvent::Log { time_us, side: Side::Core1, line });
        }
    }

    fn supervise(&mut self, core: &mut Core1<'_, TwinRegs>, sup: &mut Supervisor) {
        let now = self.now_us();
        let status = core.status();
        // Reported as soon as it is seen, not when the supervisor restarts core 1 (after its
        // back-off), so a live page shows the report while core 1 is down.
        self.report_crash(core);
        match sup.poll(now, core.heartbeat(), status) {
            SupAction::None => {}
            SupAction::RestartCore1 { fault, attempt } => {
                self.emit(TwinEvent::Supervision {
                    time_us: now,
                    action: format!("{fault:?}: restarting core 1 (attempt {attempt})"),
                });
                self.report_crash(core);
                self.restart(core, sup);
            }
            other => {
                self.emit(TwinEvent::Supervision { time_us: now, action: format!("{other:?}") });
                self.report_crash(core);
            }
        }
    }

    /// Sends core 1's status when it changed, or always when `periodic`.
    fn emit_status(&mut self, core: &Core1<'_, TwinRegs>, periodic: bool) {
        let status = Core1Status {
            state: core.status(),
            heartbeat: core.heartbeat(),
            stack_high_water_bytes: core.stack_high_water(),
            boots: self.s.cpu.boots(),
            restarts: self.summary.restarts,
        };
        let changed = self.last_status.is_none_or(|last| {
            (last.state, last.boots, last.restarts) != (status.state, status.boots, status.restarts)
        });
        if periodic || changed {
            self.last_status = Some(status);
            self.emit(TwinEvent::Status { time_us: self.now_us(), status });
        }
    }

    /// Reports core 1's crash record once per crash (nothing when it has not crashed).
    fn report_crash(&mut self, core: &mut Core1<'_, TwinRegs>) {
        if self.crash_reported || core.status() != Some(splitcore_proto::control::Status::Crashed) {
            return;
        }
        self.crash_reported = true;
        match core.crash() {
            Ok(crash) => {
                self.summary.crash_reports += 1;
                self.emit(TwinEvent::CrashReport { time_us: self.now_us(), report: crash.to_string() });
            }
            Err(e) => self.error(format!("core 1 crashed but its record is unusable: {e}")),
        }
    }

    /// Core 1 runs and beats but sends no telemetry.
    fn telemetry_silent(&mut self, core: &Core1<'_, TwinRegs>) -> bool {
        let now = self.now_us();
        let beat = core.heartbeat();
        if beat != self.last_beat.0 {
            self.last_beat = (beat, now);
        }
        let alive = now.saturating_sub(self.last_beat.1) < 20_000;
        let running = core.status() == Some(splitcore_proto::control::Status::Running);
        alive && running && now.saturating_sub(self.last_telemetry_us) > TELEMETRY_WATCHDOG_US
    }

    fn restart(&mut self, core: &mut Core1<'_, TwinRegs>, sup: &mut Supervisor) {
        self.last_telemetry_us = self.now_us();
        self.crash_reported = false;
        match core.restart() {
            Ok(stopped) => {
                self.summary.restarts += 1;
                self.log(format!("core 0: core 1 restarted (previous run: {stopped:?})"));
            }
            Err(e) => self.error(format!("core 1 restart failed: {e}")),
        }
        sup.restarted(self.now_us(), core.heartbeat());
    }

    fn recover_region(
        &mut self,
        core: &mut Core1<'_, TwinRegs>,
        sup: &mut Supervisor,
        seq: &mut u32,
        command: Setpoint,
    ) -> Option<Core0Ports<'a>> {
        let stopped = core.stop();
        self.last_telemetry_us = self.now_us();
        self.crash_reported = false;
        self.log(format!("core 0: core 1 stopped for recovery ({stopped:?})"));
        // SAFETY: core 1 is held (stop always holds it) and core 0's endpoints were dropped by
        // the caller, so nothing else uses the region.
        let region = match unsafe { Region::reinit(self.s.app_region(), &LAYOUT) } {
            Ok(r) => r,
            Err(e) => {
                self.error(format!("shared region re-initialisation failed: {e}"));
                return None;
            }
        };
        let mut ports = match Core0Ports::claim(&region) {
            Ok(p) => p,
            Err(e) => {
                self.error(format!("shared region channels: {e}"));
                return None;
            }
        };
        *seq = seq.wrapping_add(1);
        ports.setpoint.write(&Setpoint { seq: *seq, ..command });
        match core.start() {
            Ok(()) => {
                self.summary.restarts += 1;
                self.log("core 0: shared region re-initialised, core 1 restarted".to_string());
            }
            Err(e) => self.error(format!("core 1 did not restart: {e}")),
        }
        sup.restarted(self.now_us(), core.heartbeat());
        Some(ports)
    }
}

/// Overwrites the telemetry ring's head index (the producer's, at the start of the channel
/// body) with a value far beyond its capacity.
fn corrupt_telemetry_head(app: &RegionBuf<{ LAYOUT.size() }>) {
    let offset = TELEMETRY.spec().offset as usize;
    // SAFETY: `offset` is the telemetry channel's body offset from the layout the region was
    // initialised with, 4-aligned and inside the buffer; the word is only ever accessed
    // atomically by the endpoints, and an atomic store keeps this write race-free.
    let head = unsafe { std::sync::atomic::AtomicU32::from_ptr(app.as_ptr().add(offset).cast::<u32>()) };
    head.store(head.load(Ordering::Relaxed).wrapping_add(0x4000_0000), Ordering::Release);
}

/// A deliberately mistuned controller (velocity loop gains far too high for the speed
/// observer and the current loop, position gain too high): it oscillates and overshoots, and
/// the metrics must say so.
pub fn mistuned_controller() -> motor_position_control::ControllerConfig {
    let good = motor_position_control::ControllerConfig::EXAMPLE;
    motor_position_control::ControllerConfig {
        position_kp: good.position_kp * 6.0,
        velocity_kp: good.velocity_kp * 0.15,
        velocity_ki: good.velocity_ki * 8.0,
        ..good
    }
}
