//! Simulation backend (feature `sim`): the traits implemented over a shared [`SimState`] that
//! a simulator drives.
//!
//! The control code writes outputs (pins, PWM duty) and reads inputs (input pins, encoder
//! counts, ADC codes) through the usual traits; the simulator, on the other side of the same
//! `SimState`, reads the outputs and writes the inputs, e.g. from a faster plant-model task
//! in the same [`Executive`](splitcore_exec::Executive) on a
//! [`VirtualClock`](splitcore_exec::VirtualClock), or from another thread. Every field is an
//! atomic, so a `&SimState` can be shared freely.
//!
//! ```
//! use splitcore_hal::sim::SimState;
//! use splitcore_hal::{InputPin, OutputPin, PwmDuty, QuadratureCounter};
//!
//! let sim = SimState::new();
//! let mut led = sim.output_pin(2);
//! let mut enable = sim.input_pin(3);
//! let mut pwm = sim.pwm(0, 1000);
//! let mut enc = sim.encoder(0);
//!
//! sim.set_input(3, true); // simulator side
//! sim.add_encoder(0, 42);
//! assert!(enable.is_high().unwrap()); // control side
//! assert_eq!(enc.count(), 42);
//! led.set_high().unwrap();
//! pwm.set_duty_fraction(0.3).unwrap();
//! assert!(sim.output(2)); // simulator side
//! assert_eq!(sim.duty(0), 300);
//! assert_eq!(sim.duty_fraction(0), 0.3);
//! ```

use core::convert::Infallible;
use core::fmt;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering::Relaxed};

use embedded_hal::digital::{ErrorType as PinErrorType, InputPin, OutputPin, StatefulOutputPin};
use embedded_hal::pwm::{ErrorType as PwmErrorType, SetDutyCycle};

use crate::{AdcSample, LinearAdcCalibration, QuadratureCounter};

/// Simulated digital pins.
pub const SIM_PINS: usize = 49;
/// Simulated PWM channels.
pub const SIM_PWM_CHANNELS: usize = 8;
/// Simulated quadrature counters.
pub const SIM_ENCODERS: usize = 4;
/// Simulated ADC channels.
pub const SIM_ADC_CHANNELS: usize = 10;

/// The state shared by the simulated peripherals and the simulator.
#[derive(Debug)]
pub struct SimState {
    pins: [AtomicBool; SIM_PINS],
    pin_edges: [AtomicU32; SIM_PINS],
    duty: [AtomicU32; SIM_PWM_CHANNELS],
    max_duty: [AtomicU32; SIM_PWM_CHANNELS],
    encoders: [AtomicI32; SIM_ENCODERS],
    adc_raw: [AtomicU32; SIM_ADC_CHANNELS],
    adc_fault: [AtomicBool; SIM_ADC_CHANNELS],
    adc_reads: [AtomicU32; SIM_ADC_CHANNELS],
}

impl Default for SimState {
    fn default() -> Self {
        Self::new()
    }
}

impl SimState {
    /// Everything low, zero and healthy.
    pub const fn new() -> Self {
        SimState {
            pins: [const { AtomicBool::new(false) }; SIM_PINS],
            pin_edges: [const { AtomicU32::new(0) }; SIM_PINS],
            duty: [const { AtomicU32::new(0) }; SIM_PWM_CHANNELS],
            max_duty: [const { AtomicU32::new(0) }; SIM_PWM_CHANNELS],
            encoders: [const { AtomicI32::new(0) }; SIM_ENCODERS],
            adc_raw: [const { AtomicU32::new(0) }; SIM_ADC_CHANNELS],
            adc_fault: [const { AtomicBool::new(false) }; SIM_ADC_CHANNELS],
            adc_reads: [const { AtomicU32::new(0) }; SIM_ADC_CHANNELS],
        }
    }

    // ---- the control code's side: peripheral handles ----

    /// Pin `pin` as an output ([`OutputPin`], [`StatefulOutputPin`]).
    pub fn output_pin(&self, pin: usize) -> SimOutputPin<'_> {
        assert!(pin < SIM_PINS, "pin {pin} out of range (0..{SIM_PINS})");
        SimOutputPin { state: self, pin }
    }

    /// Pin `pin` as an input ([`InputPin`]).
    pub fn input_pin(&self, pin: usize) -> SimInputPin<'_> {
        assert!(pin < SIM_PINS, "pin {pin} out of range (0..{SIM_PINS})");
        SimInputPin { state: self, pin }
    }

    /// PWM channel `channel` with `max_duty` ticks full scale ([`SetDutyCycle`]).
    pub fn pwm(&self, channel: usize, max_duty: u16) -> SimPwm<'_> {
        assert!(channel < SIM_PWM_CHANNELS, "PWM channel {channel} out of range (0..{SIM_PWM_CHANNELS})");
        self.max_duty[channel].store(max_duty as u32, Relaxed);
        SimPwm { state: self, channel, max_duty }
    }

    /// Quadrature counter `channel` ([`QuadratureCounter`]).
    pub fn encoder(&self, channel: usize) -> SimEncoder<'_> {
        assert!(channel < SIM_ENCODERS, "encoder {channel} out of range (0..{SIM_ENCODERS})");
        SimEncoder { state: self, channel }
    }

    /// ADC channel `channel` with calibration `cal` ([`AdcSample`]).
    pub fn adc(&self, channel: usize, cal: LinearAdcCalibration) -> SimAdc<'_> {
        assert!(channel < SIM_ADC_CHANNELS, "ADC channel {channel} out of range (0..{SIM_ADC_CHANNELS})");
        SimAdc { state: self, channel, cal }
    }

    // ---- the simulator's side ----

    /// Drives input pin `pin`.
    pub fn set_input(&self, pin: usize, high: bool) {
        self.write_pin(pin, high);
    }

    /// The level of pin `pin` (as the control code last drove it, for an output).
    pub fn output(&self, pin: usize) -> bool {
        self.pins[pin].load(Relaxed)
    }

    /// Level changes of pin `pin` so far (e.g. to measure a toggled heartbeat).
    pub fn edges(&self, pin: usize) -> u32 {
        self.pin_edges[pin].load(Relaxed)
    }

    /// The duty of PWM channel `channel` in ticks.
    pub fn duty(&self, channel: usize) -> u16 {
        self.duty[channel].load(Relaxed) as u16
    }

    /// The duty of PWM channel `channel` as a fraction of full scale (0 if never configured).
    pub fn duty_fraction(&self, channel: usize) -> f32 {
        let max = self.max_duty[channel].load(Relaxed);
        if max == 0 {
            0.0
        } else {
            self.duty[channel].load(Relaxed) as f32 / max as f32
        }
    }

    /// Sets encoder `channel`'s count.
    pub fn set_encoder(&self, channel: usize, count: i32) {
        self.encoders[channel].store(count, Relaxed);
    }

    /// Moves encoder `channel` by `delta` counts (wrapping).
    pub fn add_encoder(&self, channel: usize, delta: i32) {
        let c = &self.encoders[channel];
        c.store(c.load(Relaxed).wrapping_add(delta), Relaxed);
    }

    /// Sets the raw code ADC channel `channel` returns.
    pub fn set_adc_raw(&self, channel: usize, raw: u16) {
        self.adc_raw[channel].store(raw as u32, Relaxed);
    }

    /// Makes reads of ADC channel `channel` fail (or succeed again).
    pub fn set_adc_fault(&self, channel: usize, fault: bool) {
        self.adc_fault[channel].store(fault, Relaxed);
    }

    /// Conversions of ADC channel `channel` so far (including failed ones).
    pub fn adc_reads(&self, channel: usize) -> u32 {
        self.adc_reads[channel].load(Relaxed)
    }

    fn write_pin(&self, pin: usize, high: bool) {
        if self.pins[pin].swap(high, Relaxed) != high {
            self.pin_edges[pin].fetch_add(1, Relaxed);
        }
    }
}

/// A simulated output pin.
#[derive(Debug, Clone, Copy)]
pub struct SimOutputPin<'a> {
    state: &'a SimState,
    pin: usize,
}

impl PinErrorType for SimOutputPin<'_> {
    type Error = Infallible;
}

impl OutputPin for SimOutputPin<'_> {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.state.write_pin(self.pin, false);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.state.write_pin(self.pin, true);
        Ok(())
    }
}

impl StatefulOutputPin for SimOutputPin<'_> {
    fn is_set_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.state.output(self.pin))
    }
    fn is_set_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.state.output(self.pin))
    }
}

/// A simulated input pin.
#[derive(Debug, Clone, Copy)]
pub struct SimInputPin<'a> {
    state: &'a SimState,
    pin: usize,
}

impl PinErrorType for SimInputPin<'_> {
    type Error = Infallible;
}

impl InputPin for SimInputPin<'_> {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.state.output(self.pin))
    }
    fn is_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.state.output(self.pin))
    }
}

/// A simulated PWM channel.
#[derive(Debug, Clone, Copy)]
pub struct SimPwm<'a> {
    state: &'a SimState,
    channel: usize,
    max_duty: u16,
}

impl PwmErrorType for SimPwm<'_> {
    type Error = Infallible;
}

impl SetDutyCycle for SimPwm<'_> {
    fn max_duty_cycle(&self) -> u16 {
        self.max_duty
    }
    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), Infallible> {
        self.state.duty[self.channel].store(duty.min(self.max_duty) as u32, Relaxed);
        Ok(())
    }
}

/// A simulated quadrature counter.
#[derive(Debug, Clone, Copy)]
pub struct SimEncoder<'a> {
    state: &'a SimState,
    channel: usize,
}

impl QuadratureCounter for SimEncoder<'_> {
    fn count(&mut self) -> i32 {
        self.state.encoders[self.channel].load(Relaxed)
    }
}

/// A failed simulated ADC conversion ([`SimState::set_adc_fault`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimAdcFault {
    /// The channel.
    pub channel: usize,
}

impl fmt::Display for SimAdcFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "simulated ADC channel {} conversion failed", self.channel)
    }
}

impl std::error::Error for SimAdcFault {}

/// A simulated one-shot ADC channel.
#[derive(Debug, Clone, Copy)]
pub struct SimAdc<'a> {
    state: &'a SimState,
    channel: usize,
    cal: LinearAdcCalibration,
}

impl AdcSample for SimAdc<'_> {
    type Error = SimAdcFault;

    fn read_raw(&mut self) -> Result<u16, SimAdcFault> {
        self.state.adc_reads[self.channel].fetch_add(1, Relaxed);
        if self.state.adc_fault[self.channel].load(Relaxed) {
            return Err(SimAdcFault { channel: self.channel });
        }
        Ok(self.state.adc_raw[self.channel].load(Relaxed).min(self.cal.max_raw as u32) as u16)
    }

    fn raw_to_millivolts(&self, raw: u16) -> u16 {
        self.cal.millivolts(raw)
    }
}
