//! Portable hardware traits for core-1 control code, and a simulation backend.
//!
//! A control loop touches few things: digital outputs and inputs, PWM duty, a quadrature
//! counter, an ADC and time. Control code written against these traits compiles unchanged
//! for the ESP32-S3 backend (`splitcore-hal-esp32s3`, on the `esp32s3` PAC) and for the
//! host twin ([`sim`], feature `sim`), where a simulator drives the inputs and reads the
//! outputs.
//!
//! | what | trait |
//! |------|-------|
//! | digital out / in | [`OutputPin`], [`StatefulOutputPin`], [`InputPin`] (embedded-hal 1.0) |
//! | PWM duty | [`SetDutyCycle`] (embedded-hal 1.0) + [`PwmDuty`] (fraction as `f32`, raw ticks) |
//! | quadrature counter | [`QuadratureCounter`] (wrapping `i32` count, [`count_delta`]) |
//! | ADC | [`AdcSample`] (one-shot, raw or millivolts) |
//! | time | [`TimeSource`] (from splitcore-exec) |
//!
//! ```
//! use splitcore_hal::{AdcSample, OutputPin, PwmDuty, QuadratureCounter};
//!
//! /// One step of a speed loop: generic over the traits, so the same function runs on the
//! /// S3 and in the host twin.
//! fn speed_step<E, P, A, L>(enc: &mut E, pwm: &mut P, adc: &mut A, fault_led: &mut L, last: &mut i32, target: i32)
//! where
//!     E: QuadratureCounter,
//!     P: PwmDuty,
//!     A: AdcSample,
//!     L: OutputPin,
//! {
//!     let speed = enc.delta_since(last);
//!     let over_current = adc.read_millivolts().map_or(true, |mv| mv > 2_500);
//!     if over_current {
//!         let _ = pwm.set_duty_cycle_fully_off();
//!         let _ = fault_led.set_high();
//!         return;
//!     }
//!     let duty = 0.5 + 0.01 * (target - speed) as f32;
//!     let _ = pwm.set_duty_fraction(duty);
//! }
//! ```
//!
//! # Features
//!
//! * `std`: `std::error::Error` impls.
//! * `sim`: the [`sim`] backend (implies `std`).

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

#[cfg(feature = "std")]
extern crate std;

pub use embedded_hal::digital::{self, InputPin, OutputPin, PinState, StatefulOutputPin};
pub use embedded_hal::pwm::{self, SetDutyCycle};
pub use splitcore_exec::TimeSource;

#[cfg(feature = "sim")]
pub mod sim;

/// PWM duty helpers on top of embedded-hal's [`SetDutyCycle`] (implemented for every
/// `SetDutyCycle`): set the duty as a fraction (`f32`, a single FPU multiply on the S3) or in
/// raw timer ticks.
///
/// ```
/// use splitcore_hal::{PwmDuty, SetDutyCycle};
/// # #[derive(Default)] struct Pwm(u16);
/// # impl splitcore_hal::pwm::ErrorType for Pwm { type Error = core::convert::Infallible; }
/// # impl SetDutyCycle for Pwm {
/// #     fn max_duty_cycle(&self) -> u16 { 1000 }
/// #     fn set_duty_cycle(&mut self, d: u16) -> Result<(), Self::Error> { self.0 = d; Ok(()) }
/// # }
/// let mut pwm = Pwm::default(); // 1000 ticks full scale
/// pwm.set_duty_fraction(0.25).unwrap();
/// assert_eq!(pwm.0, 250);
/// pwm.set_duty_fraction(1.7).unwrap(); // clamped
/// assert_eq!(pwm.0, 1000);
/// pwm.set_duty_ticks(5_000).unwrap(); // clamped to max_duty_cycle
/// assert_eq!(pwm.0, 1000);
/// ```
pub trait PwmDuty: SetDutyCycle {
    /// Sets the duty to `fraction` of full scale, clamped to `0.0..=1.0` (NaN counts as 0),
    /// rounded to the nearest tick.
    #[inline]
    fn set_duty_fraction(&mut self, fraction: f32) -> Result<(), Self::Error> {
        let max = self.max_duty_cycle();
        self.set_duty_cycle(fraction_to_ticks(fraction, max))
    }

    /// Sets the duty in raw ticks, clamped to [`max_duty_cycle`](SetDutyCycle::max_duty_cycle).
    #[inline]
    fn set_duty_ticks(&mut self, ticks: u16) -> Result<(), Self::Error> {
        let max = self.max_duty_cycle();
        self.set_duty_cycle(ticks.min(max))
    }
}

impl<T: SetDutyCycle + ?Sized> PwmDuty for T {}

/// `fraction` of `max`, clamped and rounded (NaN maps to 0).
///
/// ```
/// use splitcore_hal::fraction_to_ticks;
/// assert_eq!(fraction_to_ticks(0.5, 255), 128);
/// assert_eq!(fraction_to_ticks(-1.0, 255), 0);
/// assert_eq!(fraction_to_ticks(f32::NAN, 255), 0);
/// assert_eq!(fraction_to_ticks(2.0, 255), 255);
/// ```
#[inline]
pub fn fraction_to_ticks(fraction: f32, max: u16) -> u16 {
    // `as` saturates (NaN → 0), so no branch on an f32 constant is needed (those trip an
    // LLVM 22 Xtensa `+fp` bug).
    let ticks = (fraction * max as f32 + 0.5) as u32;
    (ticks.min(max as u32)) as u16
}

/// A quadrature (or pulse) counter: the signed position, wrapping at the `i32` limits (the
/// S3's PCNT is 16-bit; its backend extends it in software).
///
/// Reading is infallible: a control loop has nothing useful to do with a counter error.
pub trait QuadratureCounter {
    /// The current count (wrapping).
    fn count(&mut self) -> i32;

    /// Counts since `*last` (wrap-safe), and stores the current count in `*last`.
    #[inline]
    fn delta_since(&mut self, last: &mut i32) -> i32 {
        let now = self.count();
        let delta = count_delta(*last, now);
        *last = now;
        delta
    }
}

impl<T: QuadratureCounter + ?Sized> QuadratureCounter for &mut T {
    #[inline]
    fn count(&mut self) -> i32 {
        (**self).count()
    }
}

/// `now - before` for a wrapping counter: correct as long as fewer than 2^31 counts passed.
///
/// ```
/// use splitcore_hal::count_delta;
/// assert_eq!(count_delta(i32::MAX - 2, i32::MIN + 2), 5);
/// assert_eq!(count_delta(10, 4), -6);
/// ```
#[inline]
pub const fn count_delta(before: i32, now: i32) -> i32 {
    now.wrapping_sub(before)
}

/// A one-shot ADC channel.
pub trait AdcSample {
    /// Why a read failed (e.g. a conversion timeout).
    type Error: core::fmt::Debug;

    /// Converts once and returns the raw code.
    fn read_raw(&mut self) -> Result<u16, Self::Error>;

    /// Converts a raw code of this channel to millivolts (its calibration).
    fn raw_to_millivolts(&self, raw: u16) -> u16;

    /// Converts once and returns millivolts.
    #[inline]
    fn read_millivolts(&mut self) -> Result<u16, Self::Error> {
        let raw = self.read_raw()?;
        Ok(self.raw_to_millivolts(raw))
    }
}

impl<T: AdcSample + ?Sized> AdcSample for &mut T {
    type Error = T::Error;
    #[inline]
    fn read_raw(&mut self) -> Result<u16, Self::Error> {
        (**self).read_raw()
    }
    #[inline]
    fn raw_to_millivolts(&self, raw: u16) -> u16 {
        (**self).raw_to_millivolts(raw)
    }
}

/// A linear ADC calibration: `mv = offset_mv + raw * full_scale_mv / max_raw`, in integers.
///
/// ```
/// use splitcore_hal::LinearAdcCalibration;
/// let cal = LinearAdcCalibration { max_raw: 4095, full_scale_mv: 3300, offset_mv: 0 };
/// assert_eq!(cal.millivolts(4095), 3300);
/// assert_eq!(cal.millivolts(2048), 1650);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinearAdcCalibration {
    /// The largest raw code (4095 for the S3's 12-bit SAR ADC).
    pub max_raw: u16,
    /// Millivolts at `max_raw`, above `offset_mv`.
    pub full_scale_mv: u16,
    /// Millivolts at raw code 0.
    pub offset_mv: u16,
}

impl LinearAdcCalibration {
    /// Millivolts for `raw` (saturating at `u16::MAX`).
    #[inline]
    pub const fn millivolts(&self, raw: u16) -> u16 {
        if self.max_raw == 0 {
            return self.offset_mv;
        }
        let mv = self.offset_mv as u32 + raw as u32 * self.full_scale_mv as u32 / self.max_raw as u32;
        if mv > u16::MAX as u32 {
            u16::MAX
        } else {
            mv as u16
        }
    }
}
