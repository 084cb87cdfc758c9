//! @NAME@'s control code, shared by core 1 (`core1/`) and the host twin (`twin/`): a dimmer
//! that ramps an output's brightness to a target and holds it with a first-order sigma-delta
//! modulator on a GPIO, one step per period of a [`TASK_HZ`] task. Behind an RC low-pass
//! (or an LED and an eye) the pin's average is the level: a GPIO as a slow DAC.
//!
//! It knows the pin only through splitcore-hal's `OutputPin`, so the same code drives the
//! ESP32-S3's GPIO on core 1 and the simulated pin in the twin. Replace it with your own
//! control code; keep it `no_std`, free of allocation and of anything that lives in flash.
//!
//! ```
//! use @CRATE@_control::{Dimmer, DimmerConfig};
//! # struct Pin(bool);
//! # impl splitcore_hal::digital::ErrorType for Pin { type Error = core::convert::Infallible; }
//! # impl splitcore_hal::OutputPin for Pin {
//! #     fn set_low(&mut self) -> Result<(), Self::Error> { self.0 = false; Ok(()) }
//! #     fn set_high(&mut self) -> Result<(), Self::Error> { self.0 = true; Ok(()) }
//! # }
//! let config = DimmerConfig { target_permille: 250, ramp_ms: 100 };
//! let mut dimmer = Dimmer::new(Pin(false), config)?;
//! let mut high = 0;
//! for _ in 0..1000 {
//!     dimmer.step().unwrap();
//!     high += dimmer.pin().0 as u32;
//! }
//! assert_eq!(dimmer.level_permille(), 250);
//! assert!((230..=250).contains(&high), "{high} of 1000 periods high");
//! # Ok::<(), @CRATE@_control::ConfigError>(())
//! ```
#![no_std]

use core::fmt;

use splitcore_hal::{OutputPin, PinState};

/// Rate of the periodic task that calls [`Dimmer::step`].
pub const TASK_HZ: u32 = 1_000;

/// The GPIO the dimmer drives (GPIO4: no strapping, flash or PSRAM function on the S3).
pub const OUTPUT_PIN: u8 = 4;

/// The configuration core 1 and the twin run.
pub const CONFIG: DimmerConfig = DimmerConfig {
    target_permille: 600,
    ramp_ms: 1_000,
};

/// Full scale of a level (Q20 fixed point: integers only, no FPU needed).
const FULL_SCALE: u32 = 1 << 20;

/// Longest ramp accepted, ms.
pub const MAX_RAMP_MS: u32 = 60_000;

/// What the dimmer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DimmerConfig {
    /// Target level, per mille of full scale (0 ..= 1000).
    pub target_permille: u16,
    /// Time for a ramp over the full scale, ms (1 ..= [`MAX_RAMP_MS`]); a ramp to 60 % takes
    /// 60 % of it.
    pub ramp_ms: u32,
}

/// A configuration the dimmer refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigError {
    /// `target_permille` above 1000 (the value).
    TargetAboveFullScale(u16),
    /// `ramp_ms` outside 1 ..= [`MAX_RAMP_MS`] (the value).
    RampOutOfRange(u32),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::TargetAboveFullScale(v) => {
                write!(f, "target_permille is {v}, the limit is 1000")
            }
            ConfigError::RampOutOfRange(v) => {
                write!(f, "ramp_ms is {v}, it must be 1 ..= {MAX_RAMP_MS}")
            }
        }
    }
}

/// The dimmer: a ramped level and a sigma-delta modulator on one output pin.
#[derive(Debug)]
pub struct Dimmer<P> {
    pin: P,
    target: u32,
    level: u32,
    ramp_step: u32,
    accumulator: u32,
    ticks: u32,
}

impl<P: OutputPin> Dimmer<P> {
    /// A dimmer at level 0 on `pin` (driven low by the first step).
    pub fn new(pin: P, config: DimmerConfig) -> Result<Self, ConfigError> {
        if config.target_permille > 1000 {
            return Err(ConfigError::TargetAboveFullScale(config.target_permille));
        }
        if !(1..=MAX_RAMP_MS).contains(&config.ramp_ms) {
            return Err(ConfigError::RampOutOfRange(config.ramp_ms));
        }
        let periods = config.ramp_ms * (TASK_HZ / 1000);
        Ok(Dimmer {
            pin,
            target: config.target_permille as u32 * FULL_SCALE / 1000,
            level: 0,
            ramp_step: (FULL_SCALE + periods / 2) / periods,
            accumulator: 0,
            ticks: 0,
        })
    }

    /// One period: moves the level one ramp step towards the target, then sets the pin high
    /// when the accumulated level crosses full scale (so it is high in `level` of the periods).
    pub fn step(&mut self) -> Result<(), P::Error> {
        self.ticks = self.ticks.wrapping_add(1);
        self.level = if self.level < self.target {
            (self.level + self.ramp_step).min(self.target)
        } else {
            self.level.saturating_sub(self.ramp_step).max(self.target)
        };
        self.accumulator += self.level;
        let high = self.accumulator >= FULL_SCALE;
        if high {
            self.accumulator -= FULL_SCALE;
        }
        self.pin.set_state(PinState::from(high))
    }

    /// The current level, per mille of full scale.
    pub fn level_permille(&self) -> u16 {
        ((self.level * 1000 + FULL_SCALE / 2) / FULL_SCALE) as u16
    }

    /// Periods stepped so far (wrapping).
    pub fn ticks(&self) -> u32 {
        self.ticks
    }

    /// The pin.
    pub fn pin(&self) -> &P {
        &self.pin
    }

    /// The once-a-second status line both core 1 and the twin log.
    pub fn status(&self) -> Status {
        Status {
            ticks: self.ticks,
            level_permille: self.level_permille(),
        }
    }
}

/// A status line: `<ticks> ticks, level <level>‰`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// [`Dimmer::ticks`].
    pub ticks: u32,
    /// [`Dimmer::level_permille`].
    pub level_permille: u16,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ticks, level {} permille",
            self.ticks, self.level_permille
        )
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::convert::Infallible;
    use std::string::ToString;

    #[derive(Debug)]
    struct Pin {
        highs: u32,
    }
    impl splitcore_hal::digital::ErrorType for Pin {
        type Error = Infallible;
    }
    impl OutputPin for Pin {
        fn set_low(&mut self) -> Result<(), Infallible> {
            Ok(())
        }
        fn set_high(&mut self) -> Result<(), Infallible> {
            self.highs += 1;
            Ok(())
        }
    }

    fn dimmer(config: DimmerConfig) -> Dimmer<Pin> {
        Dimmer::new(Pin { highs: 0 }, config).expect("valid")
    }

    #[test]
    fn the_ramp_reaches_the_target_on_time() {
        let mut d = dimmer(CONFIG);
        for _ in 0..300 {
            d.step().unwrap();
        }
        assert!(
            (299..=301).contains(&d.level_permille()),
            "{}",
            d.level_permille()
        );
        for _ in 300..600 {
            d.step().unwrap();
        }
        assert_eq!(d.level_permille(), 600);
        assert_eq!(d.status().to_string(), "600 ticks, level 600 permille");
    }

    #[test]
    fn the_pin_is_high_in_level_of_the_periods() {
        for permille in [0u16, 1, 333, 600, 999, 1000] {
            let mut d = dimmer(DimmerConfig {
                target_permille: permille,
                ramp_ms: 1,
            });
            for _ in 0..10_000 {
                d.step().unwrap();
            }
            let expected = permille as u32 * 10;
            assert!(
                d.pin.highs.abs_diff(expected) <= 2,
                "{permille}: {} highs",
                d.pin.highs
            );
        }
    }

    #[test]
    fn the_level_ramps_down_too() {
        let mut d = dimmer(DimmerConfig {
            target_permille: 1000,
            ramp_ms: 10,
        });
        for _ in 0..10 {
            d.step().unwrap();
        }
        assert_eq!(d.level_permille(), 1000);
        d.target = 0;
        for _ in 0..10 {
            d.step().unwrap();
        }
        assert_eq!(d.level_permille(), 0);
    }

    #[test]
    fn bad_configurations_name_the_field() {
        let pin = || Pin { highs: 0 };
        let e = Dimmer::new(
            pin(),
            DimmerConfig {
                target_permille: 1001,
                ramp_ms: 5,
            },
        )
        .unwrap_err();
        assert_eq!(e, ConfigError::TargetAboveFullScale(1001));
        assert!(e.to_string().contains("target_permille is 1001"));
        for ramp_ms in [0, MAX_RAMP_MS + 1] {
            let e = Dimmer::new(
                pin(),
                DimmerConfig {
                    target_permille: 5,
                    ramp_ms,
                },
            )
            .unwrap_err();
            assert_eq!(e, ConfigError::RampOutOfRange(ramp_ms));
            assert!(e.to_string().contains("ramp_ms"));
        }
    }
}
