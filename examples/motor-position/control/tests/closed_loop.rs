//! The controller on the host against splitcore-plant's motor through the `sim` HAL backend
//! (no IPC, no threads): step response, disable, ADC fault, current limit, bad setpoints.

use motor_position_control::protocol::Setpoint;
use motor_position_control::*;
use splitcore_hal::sim::{SimAdc, SimEncoder, SimOutputPin, SimPwm, SimState};
use splitcore_hal::LinearAdcCalibration;
use splitcore_plant::{Bridge, CurrentSense, CurrentSenseParams, DcMotor, Encoder, MotorParams};

const CAL: LinearAdcCalibration = LinearAdcCalibration { max_raw: 4095, full_scale_mv: 3300, offset_mv: 0 };
const SUBSTEPS: u32 = 10;

type Ctl<'a> = Controller<SimEncoder<'a>, SimAdc<'a>, SimPwm<'a>, SimOutputPin<'a>, SimOutputPin<'a>>;

struct Rig {
    motor: DcMotor,
    encoder: Encoder,
    sense: CurrentSense,
}

impl Rig {
    fn new() -> Self {
        Self::with_sense(CurrentSenseParams::DEFAULT)
    }

    fn with_sense(sense: CurrentSenseParams) -> Self {
        Rig {
            motor: DcMotor::new(MotorParams::SMALL_12V).unwrap(),
            encoder: Encoder::new(4096).unwrap(),
            sense: CurrentSense::new(sense, 1).unwrap(),
        }
    }

    /// Samples the sensors into `sim`, then integrates one control period with the bridge as
    /// `sim` shows it.
    fn sense(&mut self, sim: &SimState) {
        let s = self.motor.state();
        sim.set_encoder(0, self.encoder.count(s.position_rad));
        sim.set_adc_raw(0, self.sense.sample(s.current_a));
    }

    fn advance(&mut self, sim: &SimState) {
        let bridge = if sim.output(2) {
            let sign = if sim.output(1) { -1.0 } else { 1.0 };
            Bridge::Driven { duty: sign * sim.duty_fraction(0) as f64 }
        } else {
            Bridge::Off
        };
        for _ in 0..SUBSTEPS {
            self.motor.step(bridge, DT as f64 / SUBSTEPS as f64);
        }
    }
}

fn controller(sim: &SimState, config: ControllerConfig) -> Ctl<'_> {
    let bridge = SignMagnitudeBridge::new(sim.pwm(0, 4000), sim.output_pin(1), sim.output_pin(2));
    Controller::new(config, sim.encoder(0), sim.adc(0, CAL), bridge).unwrap()
}

/// Runs `periods` control periods; returns the outputs.
fn run(
    rig: &mut Rig,
    sim: &SimState,
    ctl: &mut Ctl<'_>,
    command: &Setpoint,
    periods: u32,
) -> Vec<ControlOutput> {
    (0..periods)
        .map(|_| {
            rig.sense(sim);
            let out = ctl.step(command);
            rig.advance(sim);
            out
        })
        .collect()
}

#[test]
fn a_position_step_settles_without_overshoot() {
    let sim = SimState::new();
    let mut rig = Rig::new();
    let mut ctl = controller(&sim, ControllerConfig::EXAMPLE);
    // 100 ms disabled: the offset tracker settles on the ADC's zero.
    run(&mut rig, &sim, &mut ctl, &Setpoint::disabled(0), 2000);
    assert!((ctl.current_offset_mv() - 1650.0).abs() < 5.0, "{}", ctl.current_offset_mv());
    let target = core::f32::consts::PI;
    let outs = run(&mut rig, &sim, &mut ctl, &Setpoint::position(1, target, 40.0), 20_000);
    let peak = outs.iter().map(|o| o.position_rad).fold(f32::MIN, f32::max);
    let last = outs.last().unwrap();
    assert!((last.position_rad - target).abs() < 0.005, "{last:?}");
    assert!(peak - target < 0.05 * target, "overshoot: peak {peak}");
    let vmax = outs.iter().map(|o| o.velocity_ref_rad_s.abs()).fold(0.0, f32::max);
    assert!(vmax <= 40.0 + 1e-3, "speed limit respected: {vmax}");
    assert!(outs.iter().all(|o| o.current_ref_a.abs() <= 3.0 + 1e-4), "current limit respected");
    assert_ne!(last.flags & protocol::TelemetrySample::FLAG_SETTLED, 0);
    assert!(outs.iter().all(|o| o.duty.abs() <= 0.95 + 1e-6));
}

#[test]
fn disabling_switches_the_bridge_off() {
    let sim = SimState::new();
    let mut rig = Rig::new();
    let mut ctl = controller(&sim, ControllerConfig::EXAMPLE);
    run(&mut rig, &sim, &mut ctl, &Setpoint::position(1, 10.0, 100.0), 2000);
    assert!(sim.output(2));
    let outs = run(&mut rig, &sim, &mut ctl, &Setpoint::disabled(2), 10);
    assert!(!sim.output(2));
    assert_eq!(sim.duty(0), 0);
    assert!(outs.iter().all(|o| o.flags & protocol::TelemetrySample::FLAG_ENABLED == 0));
}

#[test]
fn an_adc_fault_latches_the_bridge_off() {
    let sim = SimState::new();
    let mut rig = Rig::new();
    let mut ctl = controller(&sim, ControllerConfig::EXAMPLE);
    let cmd = Setpoint::position(1, 10.0, 100.0);
    run(&mut rig, &sim, &mut ctl, &cmd, 1000);
    sim.set_adc_fault(0, true);
    run(&mut rig, &sim, &mut ctl, &cmd, 1);
    sim.set_adc_fault(0, false);
    let outs = run(&mut rig, &sim, &mut ctl, &cmd, 100);
    assert!(!sim.output(2), "latched off");
    assert!(outs.iter().all(|o| o.flags & protocol::TelemetrySample::FLAG_ADC_FAULT != 0));
    ctl.clear_fault();
    run(&mut rig, &sim, &mut ctl, &cmd, 10);
    assert!(sim.output(2));
}

#[test]
fn a_large_move_hits_the_current_limit_and_recovers_without_windup() {
    let sim = SimState::new();
    let mut rig = Rig::new();
    let mut ctl = controller(&sim, ControllerConfig::EXAMPLE);
    let outs = run(&mut rig, &sim, &mut ctl, &Setpoint::position(1, 60.0, 300.0), 40_000);
    assert!(outs.iter().any(|o| o.flags & protocol::TelemetrySample::FLAG_CURRENT_LIMIT != 0));
    let peak = outs.iter().map(|o| o.position_rad).fold(f32::MIN, f32::max);
    assert!(peak < 60.0 + 1.0, "windup would overshoot far: {peak}");
    assert!((outs.last().unwrap().position_rad - 60.0).abs() < 0.01);
}

#[test]
fn bad_setpoints_and_configs_are_refused_with_reasons() {
    let c = ControllerConfig::EXAMPLE;
    assert_eq!(
        c.check_setpoint(&Setpoint { mode: 7, ..Setpoint::disabled(1) }),
        Err(SetpointError::UnknownMode(7))
    );
    assert_eq!(c.check_setpoint(&Setpoint::position(1, 5000.0, 1.0)), Err(SetpointError::Position(5000.0)));
    assert_eq!(c.check_setpoint(&Setpoint::position(1, 1.0, -1.0)), Err(SetpointError::VelocityLimit(-1.0)));
    let sim = SimState::new();
    let bridge = SignMagnitudeBridge::new(sim.pwm(0, 4000), sim.output_pin(1), sim.output_pin(2));
    let bad = ControllerConfig { observer_ki: f32::INFINITY, ..c };
    let err = Controller::new(bad, sim.encoder(0), sim.adc(0, CAL), bridge).unwrap_err();
    assert_eq!(err.field, "observer_ki");
}

#[test]
fn the_current_offset_is_remeasured_while_the_bridge_is_off() {
    let sim = SimState::new();
    // 50 mV above the nominal 1.65 V: 0.2 A of error if it were not corrected.
    let mut rig = Rig::with_sense(CurrentSenseParams { offset_v: 1.70, ..CurrentSenseParams::DEFAULT });
    let mut ctl = controller(&sim, ControllerConfig::EXAMPLE);
    let outs = run(&mut rig, &sim, &mut ctl, &Setpoint::disabled(0), 4000);
    assert!((ctl.current_offset_mv() - 1700.0).abs() < 3.0, "{}", ctl.current_offset_mv());
    let tail = &outs[3000..];
    let mean = tail.iter().map(|o| o.current_a).sum::<f32>() / tail.len() as f32;
    assert!(mean.abs() < 0.01, "zero current reads {mean} A");
    // With the offset known, a step settles as before.
    let outs = run(&mut rig, &sim, &mut ctl, &Setpoint::position(1, 1.0, 40.0), 10_000);
    assert!((outs.last().unwrap().position_rad - 1.0).abs() < 0.005);
}
