//! The cascaded position → velocity → current controller, generic over splitcore-hal traits.

use core::fmt;

use splitcore_hal::{AdcSample, OutputPin, PwmDuty, QuadratureCounter};

use crate::pi::Pi;
use crate::protocol::{Setpoint, TelemetrySample, CONTROL_HZ};

/// Control period, seconds.
pub const DT: f32 = 1.0 / CONTROL_HZ as f32;

/// Tuning and hardware constants of the controller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControllerConfig {
    /// Encoder counts per shaft revolution (4× the line count).
    pub counts_per_rev: u32,
    /// H-bridge supply, volts.
    pub supply_v: f32,
    /// Largest bridge duty magnitude (bootstrap and dead-time headroom), 0..1.
    pub max_duty: f32,
    /// Current limit, amperes (the velocity loop's output range).
    pub current_limit_a: f32,
    /// Largest speed any setpoint may ask for, rad/s.
    pub max_velocity_rad_s: f32,
    /// Largest position magnitude a setpoint may ask for, radians (f32 keeps sub-count
    /// resolution up to about 1000 rad with a 4096-count encoder).
    pub position_range_rad: f32,
    /// Position loop gain, (rad/s) per rad.
    pub position_kp: f32,
    /// Deceleration the position loop plans with, rad/s²: the speed reference never exceeds
    /// `sqrt(2 · max_decel · |error|)`, so a long move brakes in time with the current limit
    /// (keep it below `Kt · current_limit / J`).
    pub max_decel_rad_s2: f32,
    /// Velocity loop proportional gain, A per (rad/s).
    pub velocity_kp: f32,
    /// Velocity loop integral gain, A per rad.
    pub velocity_ki: f32,
    /// Current loop proportional gain, V per A.
    pub current_kp: f32,
    /// Current loop integral gain, V per (A·s).
    pub current_ki: f32,
    /// Back-EMF constant for the current loop's feed-forward, V·s/rad (0: none).
    pub back_emf_v_s_per_rad: f32,
    /// Speed observer proportional gain, 1/s.
    pub observer_kp: f32,
    /// Speed observer integral gain, 1/s².
    pub observer_ki: f32,
    /// Current-sense gain, millivolts per ampere.
    pub adc_mv_per_a: f32,
    /// Current-sense output at zero current, millivolts (starting value: the controller
    /// re-measures it whenever the bridge is off).
    pub adc_offset_mv: f32,
    /// `FLAG_SETTLED` when the position error is within this band, radians.
    pub settle_band_rad: f32,
}

impl ControllerConfig {
    /// The example's tuning for splitcore-plant's `MotorParams::SMALL_12V` motor with a
    /// 4096-count encoder and the default current sense (0.25 V/A around 1.65 V): current loop about
    /// 800 Hz (pole–zero cancellation of L/R), speed observer about 300 Hz, velocity loop
    /// about 40 Hz, position loop 150 /s with a 3000 rad/s² braking curve.
    pub const EXAMPLE: ControllerConfig = ControllerConfig {
        counts_per_rev: 4096,
        supply_v: 12.0,
        max_duty: 0.95,
        current_limit_a: 3.0,
        max_velocity_rad_s: 400.0,
        position_range_rad: 1000.0,
        position_kp: 150.0,
        max_decel_rad_s2: 3_000.0,
        velocity_kp: 0.15,
        velocity_ki: 7.5,
        current_kp: 2.5,
        current_ki: 10_000.0,
        back_emf_v_s_per_rad: 0.02,
        observer_kp: 3_000.0,
        observer_ki: 3.5e6,
        adc_mv_per_a: 250.0,
        adc_offset_mv: 1650.0,
        settle_band_rad: 0.01,
    };

    /// Checks every field (finite, in range).
    ///
    /// ```
    /// use motor_position_control::ControllerConfig;
    /// let bad = ControllerConfig { max_duty: 1.5, ..ControllerConfig::EXAMPLE };
    /// assert_eq!(bad.validate().unwrap_err().to_string(), "max_duty = 1.5: must be in (0, 1]");
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.counts_per_rev < 4 {
            return Err(ConfigError {
                field: "counts_per_rev",
                value: self.counts_per_rev as f32,
                requirement: "must be >= 4",
            });
        }
        if !(self.max_duty > 0.0 && self.max_duty <= 1.0) {
            return Err(ConfigError {
                field: "max_duty",
                value: self.max_duty,
                requirement: "must be in (0, 1]",
            });
        }
        let positive = [
            ("supply_v", self.supply_v),
            ("current_limit_a", self.current_limit_a),
            ("max_velocity_rad_s", self.max_velocity_rad_s),
            ("position_range_rad", self.position_range_rad),
            ("adc_mv_per_a", self.adc_mv_per_a),
            ("settle_band_rad", self.settle_band_rad),
            ("max_decel_rad_s2", self.max_decel_rad_s2),
        ];
        for (field, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError { field, value, requirement: "must be finite and > 0" });
            }
        }
        let non_negative = [
            ("position_kp", self.position_kp),
            ("velocity_kp", self.velocity_kp),
            ("velocity_ki", self.velocity_ki),
            ("current_kp", self.current_kp),
            ("current_ki", self.current_ki),
            ("back_emf_v_s_per_rad", self.back_emf_v_s_per_rad),
            ("observer_kp", self.observer_kp),
            ("observer_ki", self.observer_ki),
            ("adc_offset_mv", self.adc_offset_mv),
        ];
        for (field, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ConfigError { field, value, requirement: "must be finite and >= 0" });
            }
        }
        Ok(())
    }
}

/// A configuration field out of range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfigError {
    /// The field.
    pub field: &'static str,
    /// Its value.
    pub value: f32,
    /// What it must satisfy.
    pub requirement: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}: {}", self.field, self.value, self.requirement)
    }
}

/// Why a setpoint was refused (the previous command stays in force).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SetpointError {
    /// `mode` is neither `MODE_DISABLED` nor `MODE_POSITION`.
    UnknownMode(u32),
    /// The position is not finite or outside `±position_range_rad`.
    Position(f32),
    /// The speed limit is not finite and positive.
    VelocityLimit(f32),
}

impl fmt::Display for SetpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetpointError::UnknownMode(m) => write!(f, "unknown mode {m}"),
            SetpointError::Position(p) => write!(f, "position {p} rad out of range"),
            SetpointError::VelocityLimit(v) => write!(f, "velocity limit {v} rad/s must be finite and > 0"),
        }
    }
}

impl ControllerConfig {
    /// Checks a setpoint against this configuration.
    ///
    /// ```
    /// use motor_position_control::{ControllerConfig, SetpointError, protocol::Setpoint};
    /// let c = ControllerConfig::EXAMPLE;
    /// assert_eq!(c.check_setpoint(&Setpoint::position(1, 1.0, 10.0)), Ok(()));
    /// assert_eq!(c.check_setpoint(&Setpoint::position(2, f32::NAN, 10.0)).unwrap_err().to_string(),
    ///            "position NaN rad out of range");
    /// ```
    pub fn check_setpoint(&self, s: &Setpoint) -> Result<(), SetpointError> {
        match s.mode {
            Setpoint::MODE_DISABLED => Ok(()),
            Setpoint::MODE_POSITION => {
                if !(s.position_rad.is_finite() && s.position_rad.abs() <= self.position_range_rad) {
                    return Err(SetpointError::Position(s.position_rad));
                }
                if !(s.velocity_limit_rad_s.is_finite() && s.velocity_limit_rad_s > 0.0) {
                    return Err(SetpointError::VelocityLimit(s.velocity_limit_rad_s));
                }
                Ok(())
            }
            m => Err(SetpointError::UnknownMode(m)),
        }
    }
}

/// A sign–magnitude H-bridge (PH/EN style): a PWM channel for the duty magnitude, a direction
/// pin (high = reverse) and an enable pin (low = all switches off, the motor coasts).
///
/// ```
/// use motor_position_control::SignMagnitudeBridge;
/// use splitcore_hal::sim::SimState;
/// let sim = SimState::new();
/// let mut bridge = SignMagnitudeBridge::new(sim.pwm(0, 1000), sim.output_pin(1), sim.output_pin(2));
/// assert!(bridge.drive(-0.25)); // first drive: direction set, still coasting
/// assert_eq!((sim.duty(0), sim.output(1), sim.output(2)), (0, true, false));
/// assert!(bridge.drive(-0.25)); // next period: duty applied, enabled
/// assert_eq!((sim.duty(0), sim.output(1), sim.output(2)), (250, true, true));
/// assert!(bridge.drive(0.5)); // reversal: one coasting period first
/// assert_eq!((sim.duty(0), sim.output(1), sim.output(2)), (0, false, false));
/// assert!(bridge.off());
/// assert_eq!((sim.duty(0), sim.output(2)), (0, false));
/// ```
#[derive(Debug)]
pub struct SignMagnitudeBridge<P, D, N> {
    /// The PWM channel.
    pub pwm: P,
    /// The direction pin.
    pub direction: D,
    /// The enable pin.
    pub enable: N,
    /// The direction last set (`None`: not yet, or the bridge was switched off).
    reverse: Option<bool>,
}

impl<P: PwmDuty, D: OutputPin, N: OutputPin> SignMagnitudeBridge<P, D, N> {
    /// A bridge on these pins; it is driven only after the first [`drive`](Self::drive).
    pub fn new(pwm: P, direction: D, enable: N) -> Self {
        SignMagnitudeBridge { pwm, direction, enable, reverse: None }
    }

    /// Drives `duty` (−1..1); returns false if a peripheral reported an error (the bridge is
    /// then switched off).
    ///
    /// The direction pin switches at once but a PWM compare value only loads at the next
    /// period boundary, so a change of direction (and the first drive) first spends one call
    /// coasting — enable low, duty zero, direction set — and applies the duty on the next call
    /// (one control period later, at least one PWM period at the example's rates): the old
    /// magnitude never drives the new direction. A failed duty write never enables the bridge.
    #[inline]
    pub fn drive(&mut self, duty: f32) -> bool {
        let reverse = duty < 0.0;
        if self.reverse != Some(reverse) {
            let a = self.enable.set_low().is_ok();
            let b = self.pwm.set_duty_cycle_fully_off().is_ok();
            let c =
                if reverse { self.direction.set_high().is_ok() } else { self.direction.set_low().is_ok() };
            self.reverse = (a && b && c).then_some(reverse);
            return a && b && c;
        }
        if self.pwm.set_duty_fraction(duty.abs()).is_err() {
            self.off();
            return false;
        }
        if self.enable.set_high().is_err() {
            self.off();
            return false;
        }
        true
    }

    /// Switches the bridge off (enable low first, then zero duty).
    #[inline]
    pub fn off(&mut self) -> bool {
        self.reverse = None;
        let a = self.enable.set_low().is_ok();
        let b = self.pwm.set_duty_cycle_fully_off().is_ok();
        a && b
    }
}

/// The controller's state and its hardware.
#[derive(Debug)]
pub struct Controller<E, A, P, D, N> {
    config: ControllerConfig,
    encoder: E,
    adc: A,
    bridge: SignMagnitudeBridge<P, D, N>,
    rad_per_count: f32,
    a_per_mv: f32,
    inv_supply: f32,
    est_position: f32,
    est_velocity: f32,
    velocity: Pi,
    current: Pi,
    offset_mv: f32,
    /// Periods left of the start-up offset measurement (bridge off).
    calibration_left: u32,
    calibration_sum: f32,
    adc_fault: bool,
    hal_errors: u32,
}

/// Control periods the controller measures the current-sense offset for at start-up (bridge
/// off, whatever the command): 10 ms.
pub const CALIBRATION_PERIODS: u32 = CONTROL_HZ / 100;

/// What one control period computed (the fields of a [`TelemetrySample`] the controller
/// knows).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ControlOutput {
    /// Position command in force, rad.
    pub setpoint_rad: f32,
    /// Measured position (encoder), rad.
    pub position_rad: f32,
    /// Estimated speed, rad/s.
    pub velocity_rad_s: f32,
    /// Speed reference, rad/s.
    pub velocity_ref_rad_s: f32,
    /// Measured current, A.
    pub current_a: f32,
    /// Current reference, A.
    pub current_ref_a: f32,
    /// Bridge duty, −1..1.
    pub duty: f32,
    /// `TelemetrySample::FLAG_*`.
    pub flags: u32,
}

impl<E, A, P, D, N> Controller<E, A, P, D, N>
where
    E: QuadratureCounter,
    A: AdcSample,
    P: PwmDuty,
    D: OutputPin,
    N: OutputPin,
{
    /// A controller with a valid `config`; switches the bridge off and takes the encoder's
    /// current count as its position (the count is absolute since power-on, so a restarted
    /// core 1 keeps the same position reference). The first [`CALIBRATION_PERIODS`] periods
    /// measure the current-sense offset with the bridge off.
    pub fn new(
        config: ControllerConfig,
        mut encoder: E,
        adc: A,
        bridge: SignMagnitudeBridge<P, D, N>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let count = encoder.count();
        let rad_per_count = core::f32::consts::TAU / config.counts_per_rev as f32;
        let mut c = Controller {
            config,
            encoder,
            adc,
            bridge,
            rad_per_count,
            a_per_mv: 1.0 / config.adc_mv_per_a,
            inv_supply: 1.0 / config.supply_v,
            est_position: count as f32 * rad_per_count,
            est_velocity: 0.0,
            velocity: Pi::new(
                config.velocity_kp,
                config.velocity_ki,
                -config.current_limit_a,
                config.current_limit_a,
            ),
            current: Pi::new(
                config.current_kp,
                config.current_ki,
                -config.max_duty * config.supply_v,
                config.max_duty * config.supply_v,
            ),
            offset_mv: config.adc_offset_mv,
            calibration_left: CALIBRATION_PERIODS,
            calibration_sum: 0.0,
            adc_fault: false,
            hal_errors: 0,
        };
        c.disable();
        Ok(c)
    }

    /// The configuration.
    pub fn config(&self) -> &ControllerConfig {
        &self.config
    }

    /// The current-sense offset in use, millivolts.
    pub fn current_offset_mv(&self) -> f32 {
        self.offset_mv
    }

    /// Whether an ADC fault latched the bridge off (cleared by [`clear_fault`](Self::clear_fault)).
    pub fn adc_fault(&self) -> bool {
        self.adc_fault
    }

    /// Clears a latched ADC fault (a new command from core 0 does).
    pub fn clear_fault(&mut self) {
        self.adc_fault = false;
    }

    /// Peripheral writes that reported an error so far.
    pub fn hal_errors(&self) -> u32 {
        self.hal_errors
    }

    fn disable(&mut self) {
        if !self.bridge.off() {
            self.hal_errors = self.hal_errors.wrapping_add(1);
        }
        self.velocity.reset();
        self.current.reset();
    }

    /// One control period at [`CONTROL_HZ`] following `command` (checked by the caller with
    /// [`ControllerConfig::check_setpoint`]).
    pub fn step(&mut self, command: &Setpoint) -> ControlOutput {
        // Position: absolute encoder count (wrapping), speed from a tracking observer.
        let position = self.encoder.count() as f32 * self.rad_per_count;
        let err = position - self.est_position;
        self.est_velocity += self.config.observer_ki * err * DT;
        self.est_position += (self.est_velocity + self.config.observer_kp * err) * DT;

        let mut out = ControlOutput {
            setpoint_rad: command.position_rad,
            position_rad: position,
            velocity_rad_s: self.est_velocity,
            ..ControlOutput::default()
        };

        let mv = match self.adc.read_millivolts() {
            Ok(mv) => Some(mv as f32),
            Err(_) => {
                self.adc_fault = true;
                None
            }
        };
        if self.calibration_left > 0 {
            if let Some(mv) = mv {
                self.calibration_sum += mv;
                self.calibration_left -= 1;
                if self.calibration_left == 0 {
                    self.offset_mv = self.calibration_sum * (1.0 / CALIBRATION_PERIODS as f32);
                }
            }
        }
        let enabled =
            command.mode == Setpoint::MODE_POSITION && !self.adc_fault && self.calibration_left == 0;
        let Some(mv) = mv.filter(|_| enabled) else {
            if let Some(mv) = mv {
                if self.calibration_left == 0 {
                    // Bridge off, no current: track the current-sense offset (τ = 50 ms).
                    self.offset_mv += (mv - self.offset_mv) * (DT / 0.05);
                }
                out.current_a = (mv - self.offset_mv) * self.a_per_mv;
            }
            if self.adc_fault {
                out.flags |= TelemetrySample::FLAG_ADC_FAULT;
            }
            self.disable();
            return out;
        };
        let current = (mv - self.offset_mv) * self.a_per_mv;
        out.current_a = current;

        // Position loop (P) → speed reference within the command's and the config's limit.
        let pos_err = command.position_rad - self.est_position;
        let braking = libm::sqrtf(2.0 * self.config.max_decel_rad_s2 * pos_err.abs());
        let vmax = command.velocity_limit_rad_s.min(self.config.max_velocity_rad_s).min(braking).max(0.0);
        let vref = (self.config.position_kp * pos_err).max(-vmax).min(vmax);
        // Velocity loop (PI) → current reference within the current limit.
        let (iref, limited) = self.velocity.update(vref - self.est_velocity, DT, 0.0);
        // Current loop (PI, back-EMF feed-forward) → bridge voltage → duty.
        let ff = self.config.back_emf_v_s_per_rad * self.est_velocity;
        let (volts, _) = self.current.update(iref - current, DT, ff);
        let duty = volts * self.inv_supply;
        if !self.bridge.drive(duty) {
            self.hal_errors = self.hal_errors.wrapping_add(1);
        }

        out.velocity_ref_rad_s = vref;
        out.current_ref_a = iref;
        out.duty = duty;
        out.flags |= TelemetrySample::FLAG_ENABLED;
        if limited {
            out.flags |= TelemetrySample::FLAG_CURRENT_LIMIT;
        }
        if (command.position_rad - position).abs() <= self.config.settle_band_rad {
            out.flags |= TelemetrySample::FLAG_SETTLED;
        }
        out
    }
}
