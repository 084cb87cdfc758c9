//! The example's core-1 program on splitcore-hal-esp32s3's RAM register files: the same wiring
//! and loop the firmware runs on core 1, with a virtual CCOUNT and a scripted core 0.

use std::cell::{Cell, RefCell};

use motor_position_board::fault::FaultGuard;
use motor_position_board::pins::{PinError, PinMap, BOARD};
use motor_position_board::program::{self, Core1, Outcome, STATS_EVERY};
use motor_position_board::wiring::{self, WiringError};
use motor_position_control::protocol::*;
use motor_position_control::{App, ControllerConfig, Ports, CALIBRATION_PERIODS};
use splitcore_exec::{TaskStats, TimeSource, VirtualClock};
use splitcore_hal_esp32s3::ram::{peek, poke, RamBlocks};
use splitcore_hal_esp32s3::{Chip, Error, PsramMode};
use splitcore_ipc::{Region, RegionBuf};

const EN: u32 = 1 << BOARD.enable;
const DIR: u32 = 1 << BOARD.direction;
/// `PWM_GEN0_FORCE_REG` with A forced low (duty 0), update at TEZ.
const FORCE_LOW: u32 = 1 | 1 << 6;
/// `PWM_GEN0_FORCE_REG` without a force (a duty between 0 and full).
const FORCE_NONE: u32 = 1;

/// Core 1's runtime services, scripted: `on_beat(n)` runs at heartbeat `n` (core 0's and the
/// hardware's actions), stop is requested from heartbeat `stop_at` on.
struct Script<'a> {
    beats: Cell<u32>,
    stop_at: u32,
    lines: RefCell<Vec<String>>,
    on_beat: RefCell<Box<dyn FnMut(u32) + 'a>>,
}

impl<'a> Script<'a> {
    fn new(stop_at: u32, on_beat: impl FnMut(u32) + 'a) -> Self {
        Script {
            beats: Cell::new(0),
            stop_at,
            lines: RefCell::new(Vec::new()),
            on_beat: RefCell::new(Box::new(on_beat)),
        }
    }

    fn logged(&self, needle: &str) -> bool {
        self.lines.borrow().iter().any(|l| l.contains(needle))
    }
}

impl Core1 for Script<'_> {
    fn heartbeat(&self) {
        let n = self.beats.get() + 1;
        self.beats.set(n);
        (self.on_beat.borrow_mut())(n);
    }
    fn stop_requested(&self) -> bool {
        self.beats.get() >= self.stop_at
    }
    fn log(&self, line: std::fmt::Arguments<'_>) {
        self.lines.borrow_mut().push(line.to_string());
    }
}

/// What the hardware shows after a conversion: `SENS_MEAS1_DONE_SAR` and the code.
fn adc_shows(ram: &RamBlocks, raw: u16) {
    poke(ram.sens().sar_meas1_ctrl2(), peek(ram.sens().sar_meas1_ctrl2()) & !0x1_ffff | 1 << 16 | raw as u32);
}

fn nfault(ram: &RamBlocks, high: bool) {
    poke(ram.gpio().in_(), if high { 1 << BOARD.fault_n } else { 0 });
}

fn samples(consumer: &mut splitcore_ipc::FrameConsumer<'_>) -> Vec<TelemetrySample> {
    let mut out = Vec::new();
    while let Some(frame) = consumer.read().unwrap() {
        out.push(bytemuck::pod_read_unaligned(&frame));
        frame.release();
    }
    out
}

struct Rig {
    ram: RamBlocks,
    shared: Box<RegionBuf<{ LAYOUT.size() }>>,
    clock: VirtualClock,
}

impl Rig {
    fn new() -> Self {
        // CCOUNT at 240 MHz, 30 ms (600 periods) before it wraps.
        Rig {
            ram: RamBlocks::new(),
            shared: RegionBuf::new_boxed(),
            clock: VirtualClock::new(240_000_000, u32::MAX - 7_200_000),
        }
    }

    /// Wires the controller, attaches the region core 0 initialised, runs the program until
    /// `script` stops it.
    fn run(&self, script: &Script<'_>) -> (Outcome, FaultGuard) {
        // SAFETY: the RAM register file belongs to this chip only.
        let chip = unsafe { Chip::new(self.ram.blocks(), PsramMode::Octal) };
        let guard = FaultGuard::new();
        let outcome = {
            let controller = wiring::controller(&chip, &BOARD, ControllerConfig::EXAMPLE, &guard).unwrap();
            let region = Region::attach(&*self.shared, &LAYOUT).unwrap();
            let app = App::new(controller, Ports::claim(&region).unwrap());
            program::run(script, &self.clock, app, &guard).unwrap()
        };
        (outcome, guard)
    }
}

#[test]
fn runs_the_loop_publishes_and_switches_the_bridge_off_on_stop() {
    let rig = Rig::new();
    let core0 = Region::init(&*rig.shared, &LAYOUT).unwrap();
    let mut setpoints = core0.mailbox_writer(SETPOINT).unwrap();
    let mut telemetry = core0.frame_consumer(TELEMETRY).unwrap();
    let stats = core0.mailbox_reader(LOOP_STATS).unwrap();
    nfault(&rig.ram, true);
    adc_shows(&rig.ram, 2048);
    setpoints.write(&Setpoint::position(1, 0.5, 20.0));
    let periods = STATS_EVERY + 200;
    let published = RefCell::new(None::<TaskStats>);
    let driving = Cell::new(0);
    let script = Script::new(periods, |n| {
        // The hook beats first, then publishes: the mailbox shows period STATS_EVERY's
        // statistics from the next heartbeat on.
        if n == STATS_EVERY + 1 {
            *published.borrow_mut() = stats.read().unwrap();
        }
        // While driving forward: enable set (W1TS), direction cleared (W1TC), duty in between.
        if n > CALIBRATION_PERIODS + 1 {
            assert_eq!(peek(rig.ram.gpio().out_w1ts()), EN, "period {n}");
            assert_eq!(peek(rig.ram.gpio().out_w1tc()), DIR, "period {n}");
            assert_eq!(peek(rig.ram.mcpwm(0).ch(0).gen_force()), FORCE_NONE, "period {n}");
            driving.set(driving.get() + 1);
        }
    });
    let (outcome, guard) = rig.run(&script);

    assert_eq!(script.beats.get(), periods);
    assert_eq!((outcome.stats.releases, outcome.stats.missed_releases), (periods, 0));
    assert_eq!(driving.get(), periods - CALIBRATION_PERIODS - 1);
    assert_eq!(outcome.hal_errors, 0);
    // Statistics: at period STATS_EVERY, and the final ones on stop.
    assert_eq!(published.borrow().map(|s| s.releases), Some(STATS_EVERY));
    assert_eq!(stats.read().unwrap().map(|s| s.releases), Some(periods));
    // Telemetry: one sample per 20 periods (plus the stop step's), microseconds across the
    // CCOUNT wrap, the bridge enabled once the current-sense offset is measured.
    let s = samples(&mut telemetry);
    assert_eq!(s.len() as u32, periods / TELEMETRY_DECIMATION + 1);
    for (k, w) in s[..s.len() - 1].windows(2).enumerate() {
        assert_eq!(w[1].seq, w[0].seq + 1);
        assert_eq!(w[1].time_us.wrapping_sub(w[0].time_us), 1_000, "sample {k}");
    }
    assert!(s[..10].iter().all(|x| x.flags & TelemetrySample::FLAG_ENABLED == 0));
    assert!(s[11..s.len() - 1].iter().all(|x| x.flags & TelemetrySample::FLAG_ENABLED != 0));
    assert!(s[20].duty > 0.0 && s[20].setpoint_rad == 0.5);
    // Stop: the last step switched the bridge off (enable cleared, duty forced to 0).
    assert_eq!(peek(rig.ram.gpio().out_w1tc()), EN);
    assert_eq!(peek(rig.ram.mcpwm(0).ch(0).gen_force()), FORCE_LOW);
    assert_eq!(s.last().unwrap().flags & TelemetrySample::FLAG_ENABLED, 0);
    assert!(guard.latched().is_some());
    assert!(script.logged("setpoint #1: position 0.500 rad"), "{:?}", script.lines.borrow());
    assert!(script.logged("motor-position core 1 stopping, bridge off"), "{:?}", script.lines.borrow());
}

#[test]
fn a_dead_adc_keeps_the_bridge_off() {
    let rig = Rig::new();
    let core0 = Region::init(&*rig.shared, &LAYOUT).unwrap();
    let mut setpoints = core0.mailbox_writer(SETPOINT).unwrap();
    let mut telemetry = core0.frame_consumer(TELEMETRY).unwrap();
    nfault(&rig.ram, true);
    // No DONE ever: every conversion times out after ADC_MAX_POLLS polls.
    setpoints.write(&Setpoint::position(1, 0.5, 20.0));
    let script = Script::new(2 * CALIBRATION_PERIODS, |n| {
        assert_eq!(peek(rig.ram.gpio().out_w1ts()) & EN, 0, "period {n}: the bridge was enabled");
    });
    let (outcome, guard) = rig.run(&script);
    assert_eq!(outcome.stats.releases, 2 * CALIBRATION_PERIODS);
    assert_eq!(guard.current_fault(), Some(motor_position_board::fault::BridgeFault::Stopping));
    let s = samples(&mut telemetry);
    assert!(s
        .iter()
        .all(|x| x.flags & TelemetrySample::FLAG_ENABLED == 0
            && x.flags & TelemetrySample::FLAG_ADC_FAULT != 0));
    assert!(script.logged("current-sense ADC fault: bridge latched off"), "{:?}", script.lines.borrow());
}

#[test]
fn a_driver_fault_switches_the_bridge_off_until_the_next_command() {
    let rig = Rig::new();
    let core0 = Region::init(&*rig.shared, &LAYOUT).unwrap();
    let setpoints = RefCell::new(core0.mailbox_writer(SETPOINT).unwrap());
    let mut telemetry = core0.frame_consumer(TELEMETRY).unwrap();
    nfault(&rig.ram, true);
    adc_shows(&rig.ram, 2048);
    setpoints.borrow_mut().write(&Setpoint::position(1, 0.5, 20.0));
    let (fault_at, clear_at, command_at) = (300, 400, 500);
    let script = Script::new(600, |n| {
        let ram = &rig.ram;
        match n {
            _ if n == fault_at => nfault(ram, false),
            // The period after nFAULT fell: enable cleared, duty forced to 0.
            _ if n == fault_at + 1 => {
                assert_eq!(peek(ram.gpio().out_w1tc()), EN);
                assert_eq!(peek(ram.mcpwm(0).ch(0).gen_force()), FORCE_LOW);
                poke(ram.gpio().out_w1ts(), 0);
            }
            // The line recovers: the bridge stays off (no W1TS of enable) until a command.
            _ if n == clear_at => nfault(ram, true),
            _ if n > fault_at + 1 && n < command_at => {
                assert_eq!(peek(ram.gpio().out_w1ts()) & EN, 0, "period {n}");
                if n == command_at - 1 {
                    setpoints.borrow_mut().write(&Setpoint::position(2, 0.5, 20.0));
                }
            }
            _ if n > command_at + 1 && n < 600 => assert_eq!(peek(ram.gpio().out_w1ts()), EN, "period {n}"),
            _ => {}
        }
    });
    let (outcome, _) = rig.run(&script);
    // nFAULT low for periods fault_at+1 ..= clear_at (the stop step is refused too).
    assert_eq!(outcome.fault_periods, clear_at - fault_at + 1);
    let s = samples(&mut telemetry);
    let at = |period: u32| s[(period / TELEMETRY_DECIMATION) as usize];
    assert_ne!(at(fault_at - 20).flags & TelemetrySample::FLAG_ENABLED, 0);
    for p in [fault_at + 20, clear_at - 20, clear_at + 20, command_at - 20] {
        let x = at(p);
        assert_eq!(x.flags & TelemetrySample::FLAG_ENABLED, 0, "period {p}");
        assert_ne!(x.flags & TelemetrySample::FLAG_ADC_FAULT, 0, "period {p}");
    }
    assert_ne!(at(command_at + 20).flags & TelemetrySample::FLAG_ENABLED, 0);
    assert!(
        script.logged("bridge off until the next setpoint: bridge driver reports a fault (nFAULT low)"),
        "{:?}",
        script.lines.borrow()
    );
    assert!(script.logged("setpoint #2"), "{:?}", script.lines.borrow());
}

#[test]
fn wiring_routes_the_board_pins_and_drives_enable_low_first() {
    let ram = RamBlocks::new();
    // SAFETY: private RAM register file.
    let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Octal) };
    let guard = FaultGuard::new();
    let controller = wiring::controller(&chip, &BOARD, ControllerConfig::EXAMPLE, &guard).unwrap();
    let g = ram.gpio();
    // MCPWM0 operator 0: PWM0_OUT0A (160) to the high side, PWM0_OUT0B (161) to the low side;
    // direction and enable as plain GPIO outputs (signal 256).
    assert_eq!(g.func_out_sel_cfg(BOARD.pwm_high as usize).read().out_sel().bits(), 160);
    assert_eq!(g.func_out_sel_cfg(BOARD.pwm_low as usize).read().out_sel().bits(), 161);
    assert_eq!(g.func_out_sel_cfg(BOARD.enable as usize).read().out_sel().bits(), 256);
    assert_eq!(g.func_out_sel_cfg(BOARD.direction as usize).read().out_sel().bits(), 256);
    // PCNT unit 0: SIG_CH0 <- A, SIG_CH1 <- B, CTRL_CH0 <- B, CTRL_CH1 <- A (signals 33..=36).
    let ins: Vec<u8> = (33..=36).map(|s| g.func_in_sel_cfg(s).read().in_sel().bits()).collect();
    assert_eq!(ins, [BOARD.encoder_a, BOARD.encoder_b, BOARD.encoder_b, BOARD.encoder_a]);
    // ADC1 channel 3 (GPIO4) at 12 dB: attenuation bits 6..=7.
    assert_eq!(peek(ram.sens().sar_atten1()) >> 6 & 3, 3);
    // The levels were only ever written low (W1TC), the last time by the controller switching
    // the bridge off (enable).
    assert_eq!(peek(g.out_w1ts()), 0);
    assert_eq!(peek(g.out_w1tc()), EN);
    // The last pin set up is nFAULT, an input: its output driver switched off.
    assert_eq!(peek(g.enable_w1tc()), 1 << BOARD.fault_n);
    drop(controller);

    // Errors name the signal; the pins and units claimed before are released.
    let other = chip.output(BOARD.encoder_b, false).unwrap();
    let err = wiring::controller(&chip, &BOARD, ControllerConfig::EXAMPLE, &guard).unwrap_err();
    assert_eq!(err, WiringError::Driver { role: "encoder", error: Error::PinInUse(BOARD.encoder_b) });
    assert_eq!(err.to_string(), "encoder: GPIO6 is already in use");
    drop(other);
    let bad = PinMap { direction: 45, ..BOARD };
    assert_eq!(
        wiring::controller(&chip, &bad, ControllerConfig::EXAMPLE, &guard).unwrap_err(),
        WiringError::Pins(PinError::Strapping { role: "direction", pin: 45 })
    );
    // An invalid configuration is refused only after the enable output was set up, low (the
    // register file keeps the last W1TC only, the direction's; the enable's routing shows).
    poke(g.func_out_sel_cfg(BOARD.enable as usize), 0);
    let config = ControllerConfig { max_duty: 2.0, ..ControllerConfig::EXAMPLE };
    assert!(matches!(wiring::controller(&chip, &BOARD, config, &guard), Err(WiringError::Config(_))));
    assert_eq!(g.func_out_sel_cfg(BOARD.enable as usize).read().out_sel().bits(), 256);
    assert!(wiring::controller(&chip, &BOARD, ControllerConfig::EXAMPLE, &guard).is_ok());
}

#[test]
fn idling_beats_until_stopped() {
    let clock = VirtualClock::new(240_000_000, 0);
    let script = Script::new(5, |_| {});
    program::idle_until_stopped(&script, &clock);
    assert_eq!(script.beats.get(), 5);
    assert_eq!(clock.now(), 5 * 240_000);
}

/// A PWM channel whose writes fail while `fail` is set (the S3 drivers cannot fail at the
/// duties the controller writes, so this takes the sim backend).
struct FlakyPwm<'a> {
    pwm: splitcore_hal::sim::SimPwm<'a>,
    fail: &'a Cell<bool>,
}

#[derive(Debug)]
struct WriteFailed;

impl splitcore_hal::pwm::Error for WriteFailed {
    fn kind(&self) -> splitcore_hal::pwm::ErrorKind {
        splitcore_hal::pwm::ErrorKind::Other
    }
}

impl splitcore_hal::pwm::ErrorType for FlakyPwm<'_> {
    type Error = WriteFailed;
}

impl splitcore_hal::SetDutyCycle for FlakyPwm<'_> {
    fn max_duty_cycle(&self) -> u16 {
        self.pwm.max_duty_cycle()
    }
    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), WriteFailed> {
        if self.fail.get() {
            return Err(WriteFailed);
        }
        self.pwm.set_duty_cycle(duty).map_err(|e| match e {})
    }
}

#[test]
fn a_failed_peripheral_write_keeps_the_bridge_off_for_good() {
    use motor_position_board::fault::{BridgeFault, GuardedAdc};
    use motor_position_control::{Controller, SignMagnitudeBridge};
    use splitcore_hal::sim::SimState;
    use splitcore_hal::LinearAdcCalibration;

    let (adc, fault_n, enable) = (0, 1, 2);
    let sim = SimState::new();
    sim.set_input(fault_n, true);
    sim.set_adc_raw(adc, 2048);
    let fail = Cell::new(false);
    let guard = FaultGuard::new();
    let cal = LinearAdcCalibration { max_raw: 4095, full_scale_mv: 3300, offset_mv: 0 };
    let bridge = SignMagnitudeBridge::new(
        FlakyPwm { pwm: sim.pwm(0, 2000), fail: &fail },
        sim.output_pin(3),
        sim.output_pin(enable),
    );
    let sense = GuardedAdc::new(sim.adc(adc, cal), sim.input_pin(fault_n), &guard);
    let controller = Controller::new(ControllerConfig::EXAMPLE, sim.encoder(0), sense, bridge).unwrap();

    let shared = RegionBuf::<{ LAYOUT.size() }>::new_boxed();
    let core0 = Region::init(&*shared, &LAYOUT).unwrap();
    let setpoints = RefCell::new(core0.mailbox_writer(SETPOINT).unwrap());
    setpoints.borrow_mut().write(&Setpoint::position(1, 0.5, 20.0));
    let region = Region::attach(&*shared, &LAYOUT).unwrap();
    let app = App::new(controller, Ports::claim(&region).unwrap());
    let (fail_at, command_at) = (300, 400);
    let script = Script::new(500, |n| {
        match n {
            _ if n == fail_at - 1 => assert!(sim.output(enable), "driving before the fault"),
            _ if n == fail_at => fail.set(true),
            // One failed write: the write is retried never again, the failure is gone, but
            // the bridge stays off, even after a new command.
            _ if n == fail_at + 1 => fail.set(false),
            _ if n == command_at => setpoints.borrow_mut().write(&Setpoint::position(2, 0.5, 20.0)),
            _ if n > fail_at + 2 => assert!(!sim.output(enable), "period {n}: bridge on after the fault"),
            _ => {}
        }
    });
    let clock = VirtualClock::new(240_000_000, 0);
    let outcome = program::run(&script, &clock, app, &guard).unwrap();
    assert!(outcome.hal_errors >= 1);
    assert_eq!(guard.latched(), Some(BridgeFault::PeripheralError));
    assert!(!sim.output(enable));
    // Reported when it happened and again when command #2 could not switch the bridge on (the
    // app keeps one notice per period: the fault's replaces the command's).
    let lines = script.lines.borrow();
    let faults = lines
        .iter()
        .filter(|l| *l == "bridge off: a bridge peripheral write failed (latched until core 1 restarts)");
    assert_eq!(faults.count(), 2, "{lines:?}");
}
