//! Which GPIO does what, and the rules a pin map must follow.
//!
//! [`BOARD`] is the example's wiring (checked at compile time with [`PinMap::validate`]):
//!
//! | role | GPIO | peripheral |
//! |---|---|---|
//! | current sense (analog in) | 4 | ADC1 channel 3, 12 dB attenuation (0–3.1 V) |
//! | encoder A | 5 | PCNT unit 0, x4 quadrature, pull-up |
//! | encoder B | 6 | PCNT unit 0 |
//! | bridge driver nFAULT (in, active low) | 7 | GPIO input, pull-up |
//! | bridge PWM, high side | 11 | MCPWM0 operator 0, output A |
//! | bridge PWM, low side (complement) | 12 | MCPWM0 operator 0, output B (dead time both edges) |
//! | bridge direction (high: reverse) | 13 | GPIO output |
//! | bridge enable (low: all switches off) | 14 | GPIO output, driven low first at every boot |
//!
//! The bridge is sign–magnitude: the chopping leg's high- and low-side gate inputs take the
//! complementary pair (synchronous rectification, 20 kHz, 500 ns dead time), the direction
//! input selects which leg chops, the enable input switches every transistor off. A driver
//! with a single PWM input (PH/EN style) uses GPIO 11 and leaves 12 unconnected.
//!
//! Pins every map must avoid ([`PinMap::validate`]): GPIOs the S3 lacks (22–25, > 48), the SPI
//! flash/PSRAM pins 26–32 and 33–37 (octal PSRAM or flash; refused whatever the module, so one
//! map fits all modules), the strapping pins 0, 3, 45 and 46 (their level at reset selects the
//! boot mode, flash voltage and JTAG source: a bridge input there could also glitch while the
//! chip boots), USB D−/D+ (19, 20: the USB-Serial-JTAG console and flashing on most boards)
//! and UART0 (43 TX, 44 RX: ESP-IDF's default console). Every pin has one role, and the
//! current sense must be on ADC1 (GPIO 1–10; ADC2 belongs to Wi-Fi).

use splitcore_hal_esp32s3::{check_pin, Error, PsramMode};

/// The GPIO numbers of the example's signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinMap {
    /// Current-sense amplifier output (ADC1: GPIO 1–10).
    pub current_sense: u8,
    /// Encoder channel A.
    pub encoder_a: u8,
    /// Encoder channel B.
    pub encoder_b: u8,
    /// The bridge driver's open-drain fault output (low: fault).
    pub fault_n: u8,
    /// MCPWM output A: high-side gate input of the chopping leg.
    pub pwm_high: u8,
    /// MCPWM output B: its complement, the low-side gate input.
    pub pwm_low: u8,
    /// Direction (high: reverse).
    pub direction: u8,
    /// Bridge enable (low: all switches off).
    pub enable: u8,
}

/// The example's wiring (module docs).
pub const BOARD: PinMap = PinMap {
    current_sense: 4,
    encoder_a: 5,
    encoder_b: 6,
    fault_n: 7,
    pwm_high: 11,
    pwm_low: 12,
    direction: 13,
    enable: 14,
};

const _: () = assert!(BOARD.validate().is_ok(), "the example's pin map breaks a rule of PinMap::validate");

/// Strapping pins (ESP32-S3 datasheet, "Strapping Pins").
pub const STRAPPING_PINS: [u8; 4] = [0, 3, 45, 46];
/// USB D−/D+ and UART0 TX/RX: the console and flashing paths.
pub const CONSOLE_PINS: [u8; 4] = [19, 20, 43, 44];

/// A rule of [`PinMap::validate`] that a map breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinError {
    /// The pin does not exist or belongs to flash/PSRAM (the HAL's own check, made with
    /// [`PsramMode::Octal`]).
    Unusable {
        /// The role.
        role: &'static str,
        /// Why.
        error: Error,
    },
    /// A strapping pin.
    Strapping {
        /// The role.
        role: &'static str,
        /// The pin.
        pin: u8,
    },
    /// A USB or UART0 console pin.
    Console {
        /// The role.
        role: &'static str,
        /// The pin.
        pin: u8,
    },
    /// The current sense is not on an ADC1 pin.
    NotAdc1 {
        /// The pin.
        pin: u8,
    },
    /// Two roles share a pin.
    Shared {
        /// The first role.
        first: &'static str,
        /// The second role.
        second: &'static str,
        /// The pin.
        pin: u8,
    },
}

impl core::fmt::Display for PinError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PinError::Unusable { role, error } => write!(f, "{role}: {error}"),
            PinError::Strapping { role, pin } => write!(f, "{role}: GPIO{pin} is a strapping pin"),
            PinError::Console { role, pin } => write!(f, "{role}: GPIO{pin} carries the USB/UART0 console"),
            PinError::NotAdc1 { pin } => {
                write!(f, "current_sense: GPIO{pin} has no ADC1 channel (GPIO1..=10)")
            }
            PinError::Shared { first, second, pin } => write!(f, "{first} and {second} both use GPIO{pin}"),
        }
    }
}

const fn contains(list: &[u8], pin: u8) -> bool {
    let mut i = 0;
    while i < list.len() {
        if list[i] == pin {
            return true;
        }
        i += 1;
    }
    false
}

impl PinMap {
    /// `(role, pin)` for every signal, in the order the wiring claims them.
    pub const fn roles(&self) -> [(&'static str, u8); 8] {
        [
            ("enable", self.enable),
            ("direction", self.direction),
            ("pwm_high", self.pwm_high),
            ("pwm_low", self.pwm_low),
            ("encoder_a", self.encoder_a),
            ("encoder_b", self.encoder_b),
            ("current_sense", self.current_sense),
            ("fault_n", self.fault_n),
        ]
    }

    /// Checks the rules in the module docs; the first broken one, in [`roles`](Self::roles)
    /// order.
    ///
    /// ```
    /// use motor_position_board::pins::{PinError, BOARD};
    /// assert_eq!(BOARD.validate(), Ok(()));
    /// let bad = motor_position_board::pins::PinMap { direction: 0, ..BOARD };
    /// assert_eq!(bad.validate(), Err(PinError::Strapping { role: "direction", pin: 0 }));
    /// ```
    pub const fn validate(&self) -> Result<(), PinError> {
        let roles = self.roles();
        let mut i = 0;
        while i < roles.len() {
            let (role, pin) = roles[i];
            if let Err(error) = check_pin(pin, PsramMode::Octal) {
                return Err(PinError::Unusable { role, error });
            }
            if contains(&STRAPPING_PINS, pin) {
                return Err(PinError::Strapping { role, pin });
            }
            if contains(&CONSOLE_PINS, pin) {
                return Err(PinError::Console { role, pin });
            }
            let mut j = 0;
            while j < i {
                if roles[j].1 == pin {
                    return Err(PinError::Shared { first: roles[j].0, second: role, pin });
                }
                j += 1;
            }
            i += 1;
        }
        if !(self.current_sense >= 1 && self.current_sense <= 10) {
            return Err(PinError::NotAdc1 { pin: self.current_sense });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn the_board_map_is_valid() {
        assert_eq!(BOARD.validate(), Ok(()));
    }

    #[test]
    fn every_rule_is_enforced() {
        let cases = [
            (
                PinMap { encoder_a: 23, ..BOARD },
                PinError::Unusable { role: "encoder_a", error: Error::NoSuchPin(23) },
            ),
            (
                PinMap { pwm_low: 49, ..BOARD },
                PinError::Unusable { role: "pwm_low", error: Error::NoSuchPin(49) },
            ),
            (
                PinMap { enable: 30, ..BOARD },
                PinError::Unusable { role: "enable", error: Error::FlashPin(30) },
            ),
            (
                PinMap { fault_n: 35, ..BOARD },
                PinError::Unusable { role: "fault_n", error: Error::OctalPsramPin(35) },
            ),
            (PinMap { pwm_high: 46, ..BOARD }, PinError::Strapping { role: "pwm_high", pin: 46 }),
            (PinMap { encoder_b: 3, ..BOARD }, PinError::Strapping { role: "encoder_b", pin: 3 }),
            (PinMap { direction: 20, ..BOARD }, PinError::Console { role: "direction", pin: 20 }),
            (PinMap { fault_n: 43, ..BOARD }, PinError::Console { role: "fault_n", pin: 43 }),
            (PinMap { current_sense: 11, pwm_high: 15, ..BOARD }, PinError::NotAdc1 { pin: 11 }),
            (
                PinMap { pwm_low: 11, ..BOARD },
                PinError::Shared { first: "pwm_high", second: "pwm_low", pin: 11 },
            ),
            (
                PinMap { fault_n: 4, ..BOARD },
                PinError::Shared { first: "current_sense", second: "fault_n", pin: 4 },
            ),
        ];
        for (map, expected) in cases {
            assert_eq!(map.validate(), Err(expected), "{map:?}");
        }
    }

    #[test]
    fn usable_pins_outside_the_board_map_pass() {
        // GPIO 38..=42 and 47/48 are ordinary pins; GPIO 1 and 10 are the ends of ADC1.
        let map = PinMap {
            current_sense: 10,
            encoder_a: 38,
            encoder_b: 39,
            fault_n: 40,
            pwm_high: 41,
            pwm_low: 42,
            direction: 47,
            enable: 48,
        };
        assert_eq!(map.validate(), Ok(()));
        assert_eq!(PinMap { current_sense: 1, ..map }.validate(), Ok(()));
    }

    #[test]
    fn errors_read_well() {
        let e = PinMap { pwm_low: 11, ..BOARD }.validate().unwrap_err();
        assert_eq!(e.to_string(), "pwm_high and pwm_low both use GPIO11");
        let e = PinMap { enable: 30, ..BOARD }.validate().unwrap_err();
        assert_eq!(e.to_string(), "enable: GPIO30 is reserved for SPI flash/PSRAM");
    }
}
