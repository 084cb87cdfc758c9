//! GPIO through the GPIO matrix and IO_MUX (ESP32-S3 TRM, chapter "IO MUX and GPIO Matrix").
//!
//! An [`Output`] is set up as:
//! 1. the initial level: `GPIO_OUT_W1TS_REG` / `GPIO_OUT_W1TC_REG` (GPIO 0–31) or
//!    `GPIO_OUT1_W1TS_REG` / `GPIO_OUT1_W1TC_REG` (GPIO 32–48, bit `n - 32`);
//! 2. `GPIO_FUNCn_OUT_SEL_CFG_REG`: `OUT_SEL` = 256 (`SIG_GPIO_OUT_IDX`: the pin follows
//!    `GPIO_OUT_REG`), `OEN_SEL` = 1 (output enable from `GPIO_ENABLE_REG`);
//! 3. `IO_MUX_GPIOn_REG`: `MCU_SEL` = 1 (function 2, the GPIO matrix; `PIN_FUNC_GPIO`),
//!    `FUN_DRV` = 2 (~20 mA, the reset value), `FUN_IE` = 0, no pulls;
//! 4. `GPIO_ENABLE_W1TS_REG` / `GPIO_ENABLE1_W1TS_REG`: output enable.
//!
//! Afterwards `set_high`/`set_low` are one store each to W1TS/W1TC (no read-modify-write, so
//! core 0 may drive other pins of the same bank concurrently). On Xtensa each volatile store
//! carries a `memw` (FACTS.md); the CPU-dedicated GPIO ([`crate::dedic`]) would avoid the APB
//! round trip but needs instructions this toolchain cannot emit.
//!
//! ```
//! use splitcore_hal_esp32s3::{ram::{peek, poke, RamBlocks}, Chip, PsramMode};
//! use splitcore_hal::{InputPin, OutputPin, StatefulOutputPin};
//!
//! let ram = RamBlocks::new();
//! // SAFETY: private RAM register file.
//! let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Quad) };
//! let mut out = chip.output(40, true).unwrap();
//! assert_eq!(peek(ram.gpio().out1_w1ts()), 1 << 8); // initial level high
//! assert_eq!(ram.gpio().func_out_sel_cfg(40).read().bits(), 256 | 1 << 10);
//! out.set_low().unwrap();
//! assert_eq!(peek(ram.gpio().out1_w1tc()), 1 << 8);
//!
//! let mut button = chip.input(0, splitcore_hal_esp32s3::gpio::Pull::Up).unwrap();
//! poke(ram.gpio().in_(), 1); // the pad is high
//! assert!(button.is_high().unwrap());
//! ```

use core::convert::Infallible;

use crate::{pac, Chip, Error, PinClaim};

/// `SIG_GPIO_OUT_IDX` (gpio_sig_map.h): the pin follows `GPIO_OUT_REG`.
pub const SIG_GPIO_OUT_IDX: u16 = 256;
/// `MCU_SEL` value selecting the GPIO matrix (function 2; `PIN_FUNC_GPIO`).
pub const PIN_FUNC_GPIO: u8 = 1;
/// `FUN_DRV` value 2: ~20 mA (the IO_MUX reset value).
pub const DRIVE_20MA: u8 = 2;

/// Pull resistor of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pull {
    /// None.
    None,
    /// `FUN_WPU`.
    Up,
    /// `FUN_WPD`.
    Down,
}

/// Bank (0: GPIO 0–31, 1: GPIO 32–48) and bit mask of a pin.
#[inline]
pub(crate) const fn bank_mask(pin: u8) -> (bool, u32) {
    (pin >= 32, 1 << (pin % 32))
}

/// Routes peripheral output signal `signal` to `pin` through the GPIO matrix
/// (`GPIO_FUNCn_OUT_SEL_CFG_REG`: `OUT_SEL` = signal, `OEN_SEL` = 1), selects the matrix in
/// IO_MUX and enables the output driver (`GPIO_ENABLE(1)_W1TS_REG`).
pub(crate) fn route_output(chip: &Chip<'_>, pin: u8, signal: u16, invert: bool) {
    let b = chip.blocks();
    b.gpio.func_out_sel_cfg(pin as usize).write(|w| {
        // SAFETY: OUT_SEL is 9 bits; every signal index 0..=256 is defined (gpio_sig_map.h).
        unsafe { w.out_sel().bits(signal) };
        w.inv_sel().bit(invert).oen_sel().set_bit().oen_inv_sel().clear_bit()
    });
    b.io_mux.gpio(pin as usize).write(|w| {
        // SAFETY: MCU_SEL 1 = function 2 (GPIO matrix), FUN_DRV 2 = 20 mA: valid field values.
        unsafe { w.mcu_sel().bits(PIN_FUNC_GPIO).fun_drv().bits(DRIVE_20MA) };
        w.fun_ie().clear_bit().fun_wpu().clear_bit().fun_wpd().clear_bit()
    });
    let (bank1, mask) = bank_mask(pin);
    if bank1 {
        // SAFETY: a W1TS register: only the pin's own bit is set.
        b.gpio.enable1_w1ts().write(|w| unsafe { w.bits(mask) });
    } else {
        // SAFETY: as above.
        b.gpio.enable_w1ts().write(|w| unsafe { w.bits(mask) });
    }
}

/// Routes `pin` to peripheral input signal `signal` (`GPIO_FUNCm_IN_SEL_CFG_REG`: `IN_SEL` =
/// pin, `SEL` = 1 through the matrix) and makes the pad an input (`FUN_IE`, pull).
pub(crate) fn route_input(chip: &Chip<'_>, pin: u8, signal: u16, pull: Pull) {
    input_pad(chip, pin, pull);
    chip.blocks().gpio.func_in_sel_cfg(signal as usize).write(|w| {
        // SAFETY: IN_SEL is 6 bits; pins are checked to be <= 48.
        unsafe { w.in_sel().bits(pin) };
        w.in_inv_sel().clear_bit().sel().set_bit()
    });
}

/// Makes `pin`'s pad a GPIO-function input (IO_MUX: function 2, 20 mA, `FUN_IE`, `pull`).
fn input_pad(chip: &Chip<'_>, pin: u8, pull: Pull) {
    chip.blocks().io_mux.gpio(pin as usize).write(|w| {
        // SAFETY: valid field values, as in `route_output`.
        unsafe { w.mcu_sel().bits(PIN_FUNC_GPIO).fun_drv().bits(DRIVE_20MA) };
        w.fun_ie().set_bit().fun_wpu().bit(pull == Pull::Up).fun_wpd().bit(pull == Pull::Down)
    });
}

/// A push-pull output pin driven through `GPIO_OUT_REG`.
pub struct Output<'c> {
    gpio: &'c pac::gpio::RegisterBlock,
    bank1: bool,
    mask: u32,
    /// `GPIO_OUT_W1TS_REG` or `GPIO_OUT1_W1TS_REG` of the pin's bank, resolved once.
    w1ts: *mut u32,
    /// `GPIO_OUT_W1TC_REG` or `GPIO_OUT1_W1TC_REG`.
    w1tc: *mut u32,
    _claim: PinClaim<'c>,
}

/// An input pin read from `GPIO_IN_REG` / `GPIO_IN1_REG`.
pub struct Input<'c> {
    gpio: &'c pac::gpio::RegisterBlock,
    bank1: bool,
    mask: u32,
    _claim: PinClaim<'c>,
}

impl<'a> Chip<'a> {
    /// Claims `pin` and makes it a push-pull output starting at `high` (see the module docs for
    /// the register sequence).
    pub fn output(&self, pin: u8, high: bool) -> Result<Output<'_>, Error> {
        let claim = self.claim_pin(pin)?;
        let gpio = self.blocks().gpio;
        let (bank1, mask) = bank_mask(pin);
        let (w1ts, w1tc) = if bank1 {
            (gpio.out1_w1ts().as_ptr(), gpio.out1_w1tc().as_ptr())
        } else {
            (gpio.out_w1ts().as_ptr(), gpio.out_w1tc().as_ptr())
        };
        let mut out = Output { gpio, bank1, mask, w1ts, w1tc, _claim: claim };
        out.write(high);
        // SIG_GPIO_OUT_IDX: the matrix drives the pad from GPIO_OUT_REG.
        route_output(self, pin, SIG_GPIO_OUT_IDX, false);
        Ok(out)
    }

    /// Claims `pin` and makes it a GPIO input with `pull`.
    pub fn input(&self, pin: u8, pull: Pull) -> Result<Input<'_>, Error> {
        let claim = self.claim_pin(pin)?;
        let gpio = self.blocks().gpio;
        let (bank1, mask) = bank_mask(pin);
        // Output driver off (the pin may have been an output before).
        if bank1 {
            // SAFETY: W1TC: clears only this pin's enable bit.
            gpio.enable1_w1tc().write(|w| unsafe { w.bits(mask) });
        } else {
            // SAFETY: as above.
            gpio.enable_w1tc().write(|w| unsafe { w.bits(mask) });
        }
        input_pad(self, pin, pull);
        Ok(Input { gpio, bank1, mask, _claim: claim })
    }
}

impl Output<'_> {
    /// Drives the pin: one store to `GPIO_OUT(1)_W1TS_REG` (high) or `_W1TC_REG` (low).
    #[inline]
    pub fn write(&mut self, high: bool) {
        let reg = if high { self.w1ts } else { self.w1tc };
        // SAFETY: `reg` is the W1TS/W1TC register of this pin's bank in the block borrowed for
        // `'c` (taken with `Reg::as_ptr`, so valid and 4-aligned); writing only this pin's bit
        // leaves every other pin's level alone (write-1-to-set/clear).
        unsafe { core::ptr::write_volatile(reg, self.mask) };
    }

    /// The level last written (`GPIO_OUT_REG` / `GPIO_OUT1_REG`).
    #[inline]
    pub fn is_set(&self) -> bool {
        let out = if self.bank1 { self.gpio.out1().read().bits() } else { self.gpio.out().read().bits() };
        out & self.mask != 0
    }
}

impl Input<'_> {
    /// The pad level (`GPIO_IN_REG` / `GPIO_IN1_REG`).
    #[inline]
    pub fn level(&self) -> bool {
        let v = if self.bank1 { self.gpio.in1().read().bits() } else { self.gpio.in_().read().bits() };
        v & self.mask != 0
    }
}

impl embedded_hal::digital::ErrorType for Output<'_> {
    type Error = Infallible;
}

impl embedded_hal::digital::OutputPin for Output<'_> {
    #[inline]
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.write(false);
        Ok(())
    }
    #[inline]
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.write(true);
        Ok(())
    }
}

impl embedded_hal::digital::StatefulOutputPin for Output<'_> {
    #[inline]
    fn is_set_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.is_set())
    }
    #[inline]
    fn is_set_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.is_set())
    }
}

impl embedded_hal::digital::ErrorType for Input<'_> {
    type Error = Infallible;
}

impl embedded_hal::digital::InputPin for Input<'_> {
    #[inline]
    fn is_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.level())
    }
    #[inline]
    fn is_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.level())
    }
}

impl core::fmt::Debug for Output<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Output").field("bank1", &self.bank1).field("mask", &self.mask).finish_non_exhaustive()
    }
}

impl core::fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Input").field("bank1", &self.bank1).field("mask", &self.mask).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ram::{peek, poke, RamBlocks};
    use embedded_hal::digital::{InputPin, OutputPin, StatefulOutputPin};

    use crate::ram::test_chip as chip;

    #[test]
    fn output_setup_writes_the_documented_registers() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let _out = chip.output(5, false).unwrap();
        let g = ram.gpio();
        assert_eq!(peek(g.out_w1tc()), 1 << 5, "initial level low through W1TC");
        assert_eq!(peek(g.out_w1ts()), 0);
        // OUT_SEL = 256 (bits 0:8), OEN_SEL bit 10.
        assert_eq!(g.func_out_sel_cfg(5).read().bits(), 0x100 | 1 << 10);
        // IO_MUX: MCU_SEL (12:14) = 1, FUN_DRV (10:11) = 2, FUN_IE (9) = 0, pulls (7, 8) = 0.
        assert_eq!(ram.io_mux().gpio(5).read().bits(), 1 << 12 | 2 << 10);
        assert_eq!(peek(g.enable_w1ts()), 1 << 5);
        assert_eq!(peek(g.enable1_w1ts()), 0);
    }

    #[test]
    fn high_bank_pins_use_the_out1_registers() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let mut out = chip.output(48, false).unwrap();
        let g = ram.gpio();
        assert_eq!(peek(g.enable1_w1ts()), 1 << 16);
        out.set_high().unwrap();
        assert_eq!(peek(g.out1_w1ts()), 1 << 16);
        assert_eq!(peek(g.out_w1ts()), 0, "bank 0 untouched");
        // The stateful read looks at GPIO_OUT1_REG, which the hardware updates from W1TS.
        poke(g.out1(), 1 << 16);
        assert!(out.is_set_high().unwrap());
        poke(g.out1(), !(1 << 16));
        assert!(out.is_set_low().unwrap());
    }

    #[test]
    fn set_and_clear_are_single_w1ts_w1tc_stores() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let mut out = chip.output(17, true).unwrap();
        let g = ram.gpio();
        assert_eq!(peek(g.out_w1ts()), 1 << 17);
        poke(g.out_w1ts(), 0);
        out.set_low().unwrap();
        assert_eq!(peek(g.out_w1tc()), 1 << 17);
        assert_eq!(peek(g.out_w1ts()), 0, "set_low must not touch W1TS");
        out.set_high().unwrap();
        assert_eq!(peek(g.out_w1ts()), 1 << 17);
    }

    #[test]
    fn input_reads_its_own_bit_and_configures_the_pad() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let mut a = chip.input(3, Pull::Down).unwrap();
        let mut b = chip.input(33, Pull::Up).unwrap();
        assert_eq!(ram.io_mux().gpio(3).read().bits(), 1 << 12 | 2 << 10 | 1 << 9 | 1 << 7);
        assert_eq!(ram.io_mux().gpio(33).read().bits(), 1 << 12 | 2 << 10 | 1 << 9 | 1 << 8);
        assert_eq!(peek(ram.gpio().enable_w1tc()), 1 << 3);
        assert_eq!(peek(ram.gpio().enable1_w1tc()), 1 << 1);
        poke(ram.gpio().in_(), !(1 << 3));
        poke(ram.gpio().in1(), 1 << 1);
        assert!(a.is_low().unwrap());
        assert!(b.is_high().unwrap());
        poke(ram.gpio().in_(), 1 << 3);
        poke(ram.gpio().in1(), !(1 << 1));
        assert!(a.is_high().unwrap());
        assert!(b.is_low().unwrap());
    }

    #[test]
    fn bad_pins_are_specific_errors_and_claims_are_released_on_drop() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        assert_eq!(chip.output(24, false).err(), Some(Error::NoSuchPin(24)));
        assert_eq!(chip.output(29, false).err(), Some(Error::FlashPin(29)));
        assert_eq!(chip.input(49, Pull::None).err(), Some(Error::NoSuchPin(49)));
        let out = chip.output(2, false).unwrap();
        assert_eq!(chip.input(2, Pull::None).err(), Some(Error::PinInUse(2)));
        drop(out);
        assert!(chip.input(2, Pull::None).is_ok());
    }

    #[test]
    fn routing_helpers_write_matrix_and_iomux() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        route_output(&chip, 34, 161, true);
        assert_eq!(ram.gpio().func_out_sel_cfg(34).read().bits(), 161 | 1 << 9 | 1 << 10);
        assert_eq!(peek(ram.gpio().enable1_w1ts()), 1 << 2);
        route_input(&chip, 7, 35, Pull::Up);
        assert_eq!(ram.gpio().func_in_sel_cfg(35).read().bits(), 7 | 1 << 7);
        assert_eq!(ram.io_mux().gpio(7).read().bits(), 1 << 12 | 2 << 10 | 1 << 9 | 1 << 8);
    }
}
