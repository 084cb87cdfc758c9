//! The core-1 application: the controller wired to the shared region's channels.

use core::fmt;

use splitcore_exec::TaskStats;
use splitcore_hal::{AdcSample, OutputPin, PwmDuty, QuadratureCounter};
use splitcore_ipc::{Error, EventSender, FrameProducer, MailboxReader, MailboxWriter, Region};

use crate::controller::{ControlOutput, Controller, SetpointError};
use crate::protocol::*;

/// Core 1's ends of the example's channels.
#[derive(Debug)]
pub struct Ports<'a> {
    /// Setpoints from core 0.
    pub setpoint: MailboxReader<'a, Setpoint>,
    /// Telemetry to core 0.
    pub telemetry: FrameProducer<'a>,
    /// Loop statistics to core 0.
    pub stats: MailboxWriter<'a, TaskStats>,
    /// Event flags to core 0.
    pub events: EventSender<'a>,
}

impl<'a> Ports<'a> {
    /// Claims core 1's end of every channel of [`LAYOUT`] in `region`.
    pub fn claim(region: &Region<'a>) -> Result<Self, Error> {
        Ok(Ports {
            setpoint: region.mailbox_reader(SETPOINT)?,
            telemetry: region.frame_producer(TELEMETRY)?,
            stats: region.mailbox_writer(LOOP_STATS)?,
            events: region.event_sender(EVENTS)?,
        })
    }
}

/// Something core 1 should tell core 0 in its log (at most one per period; the runner prints
/// it with `println!` on the target, into the log ring in the twin).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Notice {
    /// A new command was accepted.
    Accepted(Setpoint),
    /// A command was refused; the previous one stays in force.
    Rejected {
        /// Its sequence number.
        seq: u32,
        /// Why.
        error: SetpointError,
    },
    /// The telemetry channel failed for good (a corrupt ring): telemetry stops, control goes on.
    TelemetryBroken(Error),
    /// The setpoint mailbox failed for good: the bridge is switched off.
    SetpointBroken(Error),
    /// The current-sense ADC failed: the bridge is latched off until the next command.
    AdcFault,
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Accepted(s) if s.mode == Setpoint::MODE_POSITION => write!(
                f,
                "setpoint #{}: position {:.3} rad, speed limit {:.1} rad/s",
                s.seq, s.position_rad, s.velocity_limit_rad_s
            ),
            Notice::Accepted(s) => write!(f, "setpoint #{}: bridge disabled", s.seq),
            Notice::Rejected { seq, error } => write!(f, "setpoint #{seq} rejected: {error}"),
            Notice::TelemetryBroken(e) => write!(f, "telemetry stopped: {e}"),
            Notice::SetpointBroken(e) => write!(f, "setpoint channel failed, bridge off: {e}"),
            Notice::AdcFault => {
                f.write_str("current-sense ADC fault: bridge latched off until the next setpoint")
            }
        }
    }
}

/// Counters of the application (not in the protocol; the twin and tests read them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppCounters {
    /// Control periods run.
    pub periods: u32,
    /// Telemetry samples pushed.
    pub telemetry_sent: u32,
    /// Telemetry samples dropped because the ring was full.
    pub telemetry_dropped: u32,
    /// Commands accepted.
    pub setpoints_accepted: u32,
    /// Commands refused.
    pub setpoints_rejected: u32,
    /// Mailbox reads that found the writer busy (the previous command was kept).
    pub setpoint_busy: u32,
}

/// The core-1 application: controller, channels and the command in force.
///
/// ```
/// use motor_position_control::{App, ControllerConfig, Controller, Ports, SignMagnitudeBridge, CALIBRATION_PERIODS};
/// use motor_position_control::protocol::*;
/// use splitcore_hal::{sim::SimState, LinearAdcCalibration};
/// use splitcore_ipc::{Region, RegionBuf};
///
/// let sim = SimState::new();
/// sim.set_adc_raw(0, 2048); // 1.65 V: zero current
/// let cal = LinearAdcCalibration { max_raw: 4095, full_scale_mv: 3300, offset_mv: 0 };
/// let bridge = SignMagnitudeBridge::new(sim.pwm(0, 1000), sim.output_pin(1), sim.output_pin(2));
/// let ctl = Controller::new(ControllerConfig::EXAMPLE, sim.encoder(0), sim.adc(0, cal), bridge).unwrap();
///
/// let shared = RegionBuf::<{ LAYOUT.size() }>::new_boxed();
/// let core0 = Region::init(&*shared, &LAYOUT)?;
/// let core1 = Region::attach(&*shared, &LAYOUT)?;
/// let mut app = App::new(ctl, Ports::claim(&core1)?);
/// let mut setpoints = core0.mailbox_writer(SETPOINT)?;
/// let mut telemetry = core0.frame_consumer(TELEMETRY)?;
///
/// setpoints.write(&Setpoint::position(1, 0.5, 10.0));
/// // The first 10 ms measure the current-sense offset with the bridge off.
/// for period in 0..CALIBRATION_PERIODS + 1 {
///     app.step(period * 50);
/// }
/// assert!(sim.output(2), "bridge enabled");
/// let frame = telemetry.read()?.expect("one sample per decimation");
/// let sample: TelemetrySample = bytemuck::pod_read_unaligned(&frame);
/// assert_eq!((sample.seq, sample.setpoint_rad), (0, 0.5));
/// # Ok::<(), splitcore_ipc::Error>(())
/// ```
#[derive(Debug)]
pub struct App<'a, E, A, P, D, N> {
    controller: Controller<E, A, P, D, N>,
    ports: Ports<'a>,
    command: Setpoint,
    seen_seq: Option<u32>,
    telemetry_broken: bool,
    setpoint_broken: bool,
    adc_fault_reported: bool,
    counters: AppCounters,
    notice: Option<Notice>,
    last: ControlOutput,
}

impl<'a, E, A, P, D, N> App<'a, E, A, P, D, N>
where
    E: QuadratureCounter,
    A: AdcSample,
    P: PwmDuty,
    D: OutputPin,
    N: OutputPin,
{
    /// The application; the bridge stays off until core 0 sends a position command.
    pub fn new(controller: Controller<E, A, P, D, N>, ports: Ports<'a>) -> Self {
        App {
            controller,
            ports,
            command: Setpoint::disabled(0),
            seen_seq: None,
            telemetry_broken: false,
            setpoint_broken: false,
            adc_fault_reported: false,
            counters: AppCounters::default(),
            notice: None,
            last: ControlOutput::default(),
        }
    }

    /// The controller.
    pub fn controller(&self) -> &Controller<E, A, P, D, N> {
        &self.controller
    }

    /// The command in force.
    pub fn command(&self) -> &Setpoint {
        &self.command
    }

    /// The counters.
    pub fn counters(&self) -> &AppCounters {
        &self.counters
    }

    /// The last period's output.
    pub fn last_output(&self) -> &ControlOutput {
        &self.last
    }

    /// Takes the pending notice for the log, if any.
    pub fn take_notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }

    fn poll_setpoint(&mut self) {
        if self.setpoint_broken {
            return;
        }
        match self.ports.setpoint.read() {
            Ok(Some(s)) if Some(s.seq) != self.seen_seq => {
                self.seen_seq = Some(s.seq);
                match self.controller.config().check_setpoint(&s) {
                    Ok(()) => {
                        self.command = s;
                        self.controller.clear_fault();
                        self.adc_fault_reported = false;
                        self.counters.setpoints_accepted = self.counters.setpoints_accepted.wrapping_add(1);
                        self.notice = Some(Notice::Accepted(s));
                    }
                    Err(error) => {
                        self.counters.setpoints_rejected = self.counters.setpoints_rejected.wrapping_add(1);
                        self.notice = Some(Notice::Rejected { seq: s.seq, error });
                    }
                }
            }
            Ok(_) => {}
            Err(Error::Busy) => self.counters.setpoint_busy = self.counters.setpoint_busy.wrapping_add(1),
            Err(e) => {
                self.setpoint_broken = true;
                self.command = Setpoint::disabled(self.command.seq);
                self.notice = Some(Notice::SetpointBroken(e));
            }
        }
    }

    /// One control period at time `now_us` (core 1's clock, microseconds, wrapping): reads
    /// the command, runs the controller, and every [`TELEMETRY_DECIMATION`]-th period pushes
    /// a [`TelemetrySample`] (dropped and counted when the ring is full; never blocks).
    pub fn step(&mut self, now_us: u32) {
        self.poll_setpoint();
        let out = self.controller.step(&self.command);
        if self.controller.adc_fault() && !self.adc_fault_reported {
            self.adc_fault_reported = true;
            self.notice = Some(Notice::AdcFault);
        }
        self.last = out;
        if self.counters.periods.is_multiple_of(TELEMETRY_DECIMATION) && !self.telemetry_broken {
            self.push_telemetry(now_us, &out);
        }
        self.counters.periods = self.counters.periods.wrapping_add(1);
    }

    fn push_telemetry(&mut self, now_us: u32, out: &ControlOutput) {
        let sample = TelemetrySample {
            seq: self.counters.telemetry_sent.wrapping_add(self.counters.telemetry_dropped),
            time_us: now_us,
            setpoint_rad: out.setpoint_rad,
            position_rad: out.position_rad,
            velocity_rad_s: out.velocity_rad_s,
            velocity_ref_rad_s: out.velocity_ref_rad_s,
            current_a: out.current_a,
            current_ref_a: out.current_ref_a,
            duty: out.duty,
            flags: out.flags,
        };
        match self.ports.telemetry.grant(TelemetrySample::SIZE) {
            Ok(mut grant) => {
                grant.copy_from_slice(bytemuck::bytes_of(&sample));
                grant.commit(TelemetrySample::SIZE);
                self.counters.telemetry_sent = self.counters.telemetry_sent.wrapping_add(1);
                self.ports.events.raise(EVENT_TELEMETRY);
            }
            Err(Error::Full) => {
                self.counters.telemetry_dropped = self.counters.telemetry_dropped.wrapping_add(1);
            }
            Err(e) => {
                self.telemetry_broken = true;
                self.notice = Some(Notice::TelemetryBroken(e));
            }
        }
    }

    /// Publishes the control task's statistics for core 0.
    pub fn publish_stats(&mut self, stats: &TaskStats) {
        self.ports.stats.write(stats);
    }
}
