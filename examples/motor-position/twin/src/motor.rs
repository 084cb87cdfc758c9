//! The motor-specific parts: the plant wired to the simulated peripherals, and the core-1
//! program (the example's [`App`] on the executive).

use std::cell::RefCell;

use motor_position_control::protocol::{CONTROL_HZ, LAYOUT};
use motor_position_control::{App, Controller, ControllerConfig, Ports, SignMagnitudeBridge};
use splitcore_exec::{every, Executive, Hz, TimeSource};
use splitcore_hal::sim::SimState;
use splitcore_hal::LinearAdcCalibration;
use splitcore_ipc::Region;
use splitcore_plant::{Bridge, CurrentSense, CurrentSenseParams, DcMotor, Encoder, MotorParams, ParamError};

use crate::machinery::{Core1Env, Core1Program, Physics, TICKS_PER_SECOND};

/// PCNT unit of the encoder.
pub const ENCODER: usize = 0;
/// ADC1 channel of the current sense.
pub const ADC_CURRENT: usize = 0;
/// MCPWM channel of the bridge.
pub const PWM: usize = 0;
/// PWM ticks at full duty (MCPWM at 80 MHz / 20 kHz).
pub const PWM_MAX_DUTY: u16 = 4000;
/// Direction pin (high: reverse).
pub const PIN_DIRECTION: usize = 4;
/// Bridge enable pin.
pub const PIN_ENABLE: usize = 5;
/// The ADC's calibration (12 bits over 3.3 V).
pub const ADC_CAL: LinearAdcCalibration =
    LinearAdcCalibration { max_raw: 4095, full_scale_mv: 3300, offset_mv: 0 };

/// Plant settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlantConfig {
    /// The motor.
    pub motor: MotorParams,
    /// Encoder counts per revolution.
    pub counts_per_rev: u32,
    /// Current sense.
    pub sense: CurrentSenseParams,
    /// Seed of the ADC noise.
    pub seed: u64,
    /// Integration step, ticks of [`TICKS_PER_SECOND`] (80 = 5 µs, 10 per control period).
    pub step_ticks: u64,
    /// Load torque, N·m.
    pub load_nm: f64,
}

impl Default for PlantConfig {
    fn default() -> Self {
        PlantConfig {
            motor: MotorParams::SMALL_12V,
            counts_per_rev: 4096,
            // 30 mV of amplifier offset error (0.12 A): the controller re-measures the offset
            // while the bridge is off.
            sense: CurrentSenseParams { offset_v: 1.68, ..CurrentSenseParams::DEFAULT },
            seed: 0x5eed,
            step_ticks: 80,
            load_nm: 0.0,
        }
    }
}

/// The motor, its encoder and its current sense, integrated in virtual time: each step reads
/// the bridge (PWM duty, direction, enable) from the peripherals and writes back the encoder
/// count and, once per step, a fresh ADC conversion.
///
/// ```
/// use motor_position_twin::motor::*;
/// use motor_position_twin::Physics;
/// use splitcore_hal::sim::SimState;
/// use splitcore_hal::{OutputPin, PwmDuty};
///
/// let io = SimState::new();
/// let mut plant = MotorPlant::new(&PlantConfig::default()).unwrap();
/// io.pwm(PWM, PWM_MAX_DUTY).set_duty_fraction(0.5).unwrap();
/// io.output_pin(PIN_ENABLE).set_high().unwrap();
/// plant.advance(&io, 0, 16_000_000 / 10); // 100 ms
/// assert!(plant.motor().state().velocity_rad_s > 100.0);
/// assert!(io.encoder(ENCODER).count() > 1000);
/// # use splitcore_hal::QuadratureCounter;
/// ```
#[derive(Debug)]
pub struct MotorPlant {
    motor: DcMotor,
    encoder: Encoder,
    sense: CurrentSense,
    step_ticks: u64,
    t: u64,
}

impl MotorPlant {
    /// A plant at rest.
    pub fn new(c: &PlantConfig) -> Result<Self, ParamError> {
        if !(1..=TICKS_PER_SECOND as u64 / CONTROL_HZ as u64).contains(&c.step_ticks) {
            return Err(ParamError {
                field: "step_ticks",
                value: c.step_ticks as f64,
                requirement: "must be 1 ..= one control period (800 ticks)",
            });
        }
        let mut motor = DcMotor::new(c.motor)?;
        motor.set_load_torque(c.load_nm)?;
        Ok(MotorPlant {
            motor,
            encoder: Encoder::new(c.counts_per_rev)?,
            sense: CurrentSense::new(c.sense, c.seed)?,
            step_ticks: c.step_ticks,
            t: 0,
        })
    }

    /// The motor.
    pub fn motor(&self) -> &DcMotor {
        &self.motor
    }

    fn bridge(io: &SimState) -> Bridge {
        if !io.output(PIN_ENABLE) {
            return Bridge::Off;
        }
        let magnitude = io.duty_fraction(PWM) as f64;
        Bridge::Driven { duty: if io.output(PIN_DIRECTION) { -magnitude } else { magnitude } }
    }
}

impl Physics for MotorPlant {
    fn advance(&mut self, io: &SimState, _from: u64, to: u64) {
        let h = self.step_ticks as f64 / TICKS_PER_SECOND as f64;
        while self.t + self.step_ticks <= to {
            self.motor.step(Self::bridge(io), h);
            self.t += self.step_ticks;
            let s = self.motor.state();
            io.set_encoder(ENCODER, self.encoder.count(s.position_rad));
            io.set_adc_raw(ADC_CURRENT, self.sense.sample(s.current_a));
        }
    }
}

/// The example's core-1 program: [`App`] at [`CONTROL_HZ`] on the executive, polling.
#[derive(Debug, Clone, Copy)]
pub struct MotorProgram {
    /// The controller's configuration.
    pub config: ControllerConfig,
    /// Modelled execution time of one control period, ticks (the twin's clock does not see
    /// the host's time: this is what the loop statistics measure).
    pub step_cost_ticks: u32,
    /// Additional modelled execution time of a period that pushes a telemetry sample, ticks.
    pub telemetry_cost_ticks: u32,
    /// Publish the loop statistics every this many periods.
    pub stats_every: u32,
}

impl Default for MotorProgram {
    fn default() -> Self {
        // 8 µs: an estimate for the cascade, observer, mailbox read and a telemetry frame on a
        // 240 MHz LX7 (about 2000 cycles); not measured on hardware.
        // A telemetry frame (grant, 40-byte copy, commit, event) adds about 2 µs.
        MotorProgram {
            config: ControllerConfig::EXAMPLE,
            step_cost_ticks: 128,
            telemetry_cost_ticks: 32,
            stats_every: 1000,
        }
    }
}

impl Core1Program for MotorProgram {
    fn main(&mut self, env: &Core1Env<'_>) {
        env.println(&format!("motor-position core 1 up, boot #{}", env.boot_count()));
        let io = env.io();
        let region = match Region::attach(env.app_region(), &LAYOUT) {
            Ok(region) => region,
            Err(e) => {
                return idle_after_error(env, &format!("shared region unusable, bridge stays off: {e}"))
            }
        };
        let ports = match Ports::claim(&region) {
            Ok(ports) => ports,
            Err(e) => return idle_after_error(env, &format!("channels unusable, bridge stays off: {e}")),
        };
        let bridge = SignMagnitudeBridge::new(
            io.pwm(PWM, PWM_MAX_DUTY),
            io.output_pin(PIN_DIRECTION),
            io.output_pin(PIN_ENABLE),
        );
        let controller =
            match Controller::new(self.config, io.encoder(ENCODER), io.adc(ADC_CURRENT, ADC_CAL), bridge) {
                Ok(c) => c,
                Err(e) => return idle_after_error(env, &format!("controller configuration: {e}")),
            };
        let app = RefCell::new(App::new(controller, ports));
        let clock = env.clock();
        let (cost, telemetry_cost) = (self.step_cost_ticks, self.telemetry_cost_ticks);
        let exec = Executive::new(
            clock,
            every(Hz(CONTROL_HZ), || {
                env.fault_point();
                let mut app = app.borrow_mut();
                let sent = app.counters().telemetry_sent;
                app.step(clock.now_us());
                let extra = if app.counters().telemetry_sent != sent { telemetry_cost } else { 0 };
                drop(app);
                clock.burn(cost + extra);
            }),
        );
        let mut exec = match exec {
            Ok(exec) => exec,
            Err(e) => return idle_after_error(env, &format!("executive: {e}")),
        };
        let stats_every = self.stats_every.max(1); // `Twin::spawn` refuses 0
        exec.run_polling_with(
            || env.stop_requested(),
            |stats| {
                env.heartbeat();
                let mut app = app.borrow_mut();
                if stats[0].releases.is_multiple_of(stats_every) {
                    app.publish_stats(&stats[0]);
                }
                if let Some(notice) = app.take_notice() {
                    env.println(&notice.to_string());
                }
            },
        );
        let stats = *exec.stats(0);
        // The executive's task borrows `app`: take it apart before `app` is moved.
        let _ = exec.into_parts();
        let mut app = app.into_inner();
        app.publish_stats(&stats);
        env.println(&format!("motor-position core 1 stopping: {stats}"));
    }
}

/// Logs `message` and waits (beating, bridge off) for core 0 to stop core 1.
fn idle_after_error(env: &Core1Env<'_>, message: &str) {
    env.println(message);
    while !env.stop_requested() {
        env.heartbeat();
        env.clock().burn(TICKS_PER_SECOND / 1000);
        let _ = env.clock().now();
    }
}
