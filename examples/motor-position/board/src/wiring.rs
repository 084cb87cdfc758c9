//! The controller on the ESP32-S3's peripherals (splitcore-hal-esp32s3), wired by a
//! [`PinMap`].

use motor_position_control::{ConfigError, Controller, ControllerConfig, SignMagnitudeBridge};
use splitcore_hal_esp32s3::adc::{Adc1, AdcConfig, Attenuation};
use splitcore_hal_esp32s3::gpio::{Input, Output, Pull};
use splitcore_hal_esp32s3::mcpwm::{ComplementaryPwm, PwmConfig};
use splitcore_hal_esp32s3::pcnt::{Quadrature, QuadratureConfig};
use splitcore_hal_esp32s3::{Chip, Error};

use crate::fault::{FaultGuard, GuardedAdc};
use crate::pins::{PinError, PinMap};

/// MCPWM unit and operator of the bridge.
pub const PWM_UNIT: u8 = 0;
/// MCPWM operator (and timer) of the bridge.
pub const PWM_OPERATOR: u8 = 0;
/// Bridge PWM: 20 kHz (above hearing, one PWM period per control period), 500 ns dead time
/// at both edges of the complementary pair (a conservative value for small MOSFET bridges;
/// match it to the gate driver and transistors).
pub const PWM: PwmConfig = PwmConfig { frequency_hz: 20_000, dead_time_ns: 500 };
/// PCNT unit of the encoder.
pub const ENCODER_UNIT: u8 = 0;
/// Encoder glitch filter: 100 ns. At the controller's 400 rad/s limit a 4096-count encoder
/// gives 261 k edges/s (3.8 µs apart), 13 per control period: far inside the PCNT driver's
/// 8 191 counts between reads.
pub const ENCODER: QuadratureConfig = QuadratureConfig { filter_ns: 100 };
/// Status polls per ADC conversion before it counts as failed: a conversion takes tens of
/// µs at most, each poll is an APB read of 0.1–0.2 µs, so 2 000 polls (0.2–0.4 ms) never cut
/// a good conversion short, and a dead ADC costs at most a few control periods per attempt
/// (counted as missed releases) while the bridge is off.
pub const ADC_MAX_POLLS: u32 = 2_000;
/// Current sense: 12 dB attenuation (0–3.1 V, the sensor's 1.65 V ± 0.75 V at ±3 A fits), the
/// nominal line (uncalibrated; the controller measures the zero-current offset itself).
pub const ADC: AdcConfig = AdcConfig { max_polls: ADC_MAX_POLLS, ..AdcConfig::new(Attenuation::Db12) };

/// The current sense as the controller sees it.
pub type MotorAdc<'c, 'g> = GuardedAdc<'g, Adc1<'c>, Input<'c>>;
/// The controller on the S3's peripherals.
pub type MotorController<'c, 'g> =
    Controller<Quadrature<'c>, MotorAdc<'c, 'g>, ComplementaryPwm<'c>, Output<'c>, Output<'c>>;

/// Why the controller could not be wired.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WiringError {
    /// The pin map breaks a rule.
    Pins(PinError),
    /// A driver refused (a pin or unit already claimed, a setting out of range).
    Driver {
        /// The signal being set up.
        role: &'static str,
        /// Why.
        error: Error,
    },
    /// The controller configuration is invalid.
    Config(ConfigError),
}

impl core::fmt::Display for WiringError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            WiringError::Pins(e) => write!(f, "pin map: {e}"),
            WiringError::Driver { role, error } => write!(f, "{role}: {error}"),
            WiringError::Config(e) => write!(f, "controller configuration: {e}"),
        }
    }
}

/// Sets up the peripherals of `pins` on `chip` and the controller on them, the bridge enable
/// output first and low (a previous run of core 1 may have crashed with the bridge on), then
/// direction, PWM (starts at duty 0), encoder (counts from 0), current sense and the nFAULT
/// input (pull-up). On an error every driver made so far is dropped (its claims released; the
/// enable output stays low).
pub fn controller<'c, 'g>(
    chip: &'c Chip<'_>,
    pins: &PinMap,
    config: ControllerConfig,
    guard: &'g FaultGuard,
) -> Result<MotorController<'c, 'g>, WiringError> {
    // The pin map is checked first (it says which pin is the enable); the configuration only
    // in `Controller::new`, after the enable output is low, so a bad one cannot leave it high.
    pins.validate().map_err(WiringError::Pins)?;
    let driver = |role| move |error| WiringError::Driver { role, error };
    let enable = chip.output(pins.enable, false).map_err(driver("enable"))?;
    let direction = chip.output(pins.direction, false).map_err(driver("direction"))?;
    let pwm = chip
        .complementary_pwm(PWM_UNIT, PWM_OPERATOR, pins.pwm_high, pins.pwm_low, PWM)
        .map_err(driver("pwm"))?;
    let encoder =
        chip.quadrature(ENCODER_UNIT, pins.encoder_a, pins.encoder_b, ENCODER).map_err(driver("encoder"))?;
    let adc = chip.adc1(pins.current_sense, ADC).map_err(driver("current_sense"))?;
    let fault_n = chip.input(pins.fault_n, Pull::Up).map_err(driver("fault_n"))?;
    let bridge = SignMagnitudeBridge::new(pwm, direction, enable);
    Controller::new(config, encoder, GuardedAdc::new(adc, fault_n, guard), bridge)
        .map_err(WiringError::Config)
}
