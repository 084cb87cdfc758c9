//! The S3's CPU-dedicated GPIO ("dedic GPIO") for core 1: what registers can do, and what they
//! cannot.
//!
//! # What it is
//!
//! Each core has 8 dedicated GPIO channels that are driven by **CPU instructions**, not by
//! memory-mapped registers: `wur.gpio_out` / `rur.gpio_out` (the `GPIO_OUT` TIE user state),
//! `ee.wr_mask_gpio_out`, `ee.set_bit_gpio_out`, `ee.clr_bit_gpio_out` and `ee.get_gpio_in`
//! (ESP-IDF `hal/esp32s3/dedic_gpio_cpu_ll.h` uses exactly these; the S3 has no DEDIC_GPIO
//! register block, unlike the S2, and the `esp32s3` PAC has none). A write takes effect in one
//! CPU cycle, without the APB store and the `memw` that every volatile store gets on Xtensa.
//!
//! # What registers do (implemented here)
//!
//! * Bus clock and reset: `SYSTEM_CPU_PERI_CLK_EN_REG` bit 7 `SYSTEM_CLK_EN_DEDICATED_GPIO`,
//!   `SYSTEM_CPU_PERI_RST_EN_REG` bit 7 `SYSTEM_RST_EN_DEDICATED_GPIO` (system_reg.h) — set by
//!   core 0 in the hand-over (splitcore-core0 `Peripherals::DEDICATED_GPIO`).
//! * Routing: core 1's channel *k* is GPIO-matrix signal `CORE1_GPIO_OUTk_IDX` /
//!   `CORE1_GPIO_INk_IDX` (gpio_sig_map.h: 129, 130, 131, 252, 253, 254, 255, 54 for k = 0..7);
//!   [`Chip::dedicated_outputs`] writes `GPIO_FUNCn_OUT_SEL_CFG_REG` and IO_MUX for each pin.
//!
//! # What is not possible with this toolchain
//!
//! The instructions themselves. Rust inline assembly is rejected on Xtensa by this rustc, and
//! `llvm-mc-22 --triple=xtensa -mcpu=esp32` knows neither the `ee.*` mnemonics nor the
//! `gpio_out` user register (checked: "unrecognized instruction mnemonic" / "invalid register
//! name"); LLVM 22 has no `esp32s3` CPU. The encodings exist in the MC tests of Espressif's
//! LLVM fork (`-mcpu=esp32s3`; three versions of that test agree): `ee.wr_mask_gpio_out a3, a2`
//! = `34 42 72`, `ee.set_bit_gpio_out 18` = `24 41 75`, `ee.clr_bit_gpio_out 52` =
//! `44 43 76`, `ee.get_gpio_in a2` = `24 08 65` — but the versions **disagree** on the user
//! register number of `gpio_out` (`wur.gpio_out a0` = `00 0c f3`, UR 12, in one; `00 00 f3`,
//! UR 0, in another), and none of it can run here (QEMU's de233 core has no such TIE: illegal
//! instruction). So this crate emits none of them. Options for a user: a `.S` with the
//! mnemonics assembled by Espressif's GCC in the ESP-IDF component, or `.byte` sequences from
//! the encodings above in a `.S` of the runtime, each to be verified on hardware — either one
//! is reached through a call, which costs more than the W1TS store it replaces unless the loop
//! itself lives in the `.S`. Meanwhile [`gpio::Output`]'s `set_high` is
//! one `memw` + `s32i` (the asm report's `probe_gpio_set_high`: 6 instructions with the call
//! frame).
//!
//! ```
//! use splitcore_hal_esp32s3::{ram::RamBlocks, Chip, PsramMode};
//! let ram = RamBlocks::new();
//! // SAFETY: private RAM register file.
//! let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Quad) };
//! let dedic = chip.dedicated_outputs(&[(0, 4), (3, 5)]).unwrap(); // channel 0 -> GPIO4, 3 -> GPIO5
//! assert_eq!(ram.gpio().func_out_sel_cfg(4).read().out_sel().bits(), 129);
//! assert_eq!(ram.gpio().func_out_sel_cfg(5).read().out_sel().bits(), 252);
//! assert_eq!(dedic.channel_mask(), 0b1001); // the mask `ee.wr_mask_gpio_out` would take
//! ```

use crate::{gpio, Chip, Error, PinClaim, Unit, UnitClaim};

/// `CORE1_GPIO_OUTk_IDX` for k = 0..=7 (gpio_sig_map.h; the input signals have the same
/// numbers, `CORE1_GPIO_INk_IDX`).
pub const CORE1_GPIO_SIGNAL: [u16; 8] = [129, 130, 131, 252, 253, 254, 255, 54];

/// Most channels routed by one [`DedicatedOutputs`].
pub const CHANNELS: usize = 8;

/// Core 1's dedicated GPIO output channels, routed to pins.
#[derive(Debug)]
pub struct DedicatedOutputs<'c> {
    mask: u8,
    pins: [Option<(u8, PinClaim<'c>, UnitClaim<'c>)>; CHANNELS],
}

impl<'a> Chip<'a> {
    /// Routes core 1's dedicated output channels to pins: `(channel, pin)` pairs. Claims each
    /// channel ([`Unit::Dedicated`]) and pin; any error releases what was claimed before it.
    pub fn dedicated_outputs(&self, map: &[(u8, u8)]) -> Result<DedicatedOutputs<'_>, Error> {
        let mut out = DedicatedOutputs { mask: 0, pins: [const { None }; CHANNELS] };
        for &(channel, pin) in map {
            let unit = self.claim_unit(Unit::Dedicated(channel))?;
            let claim = self.claim_pin(pin)?;
            out.mask |= 1 << channel;
            out.pins[channel as usize] = Some((pin, claim, unit));
        }
        for (channel, slot) in out.pins.iter().enumerate() {
            if let Some((pin, _, _)) = slot {
                gpio::route_output(self, *pin, CORE1_GPIO_SIGNAL[channel], false);
            }
        }
        Ok(out)
    }
}

impl DedicatedOutputs<'_> {
    /// The channels routed, as the bit mask the dedicated-GPIO instructions take.
    pub fn channel_mask(&self) -> u8 {
        self.mask
    }

    /// The pin of `channel`, if routed.
    pub fn pin(&self, channel: u8) -> Option<u8> {
        self.pins.get(channel as usize)?.as_ref().map(|(pin, _, _)| *pin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ram::{peek, RamBlocks};
    use crate::PsramMode;

    #[test]
    fn every_channel_routes_its_core1_signal() {
        let ram = RamBlocks::new();
        // SAFETY: private RAM register file.
        let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Quad) };
        let map = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 8)];
        let d = chip.dedicated_outputs(&map).unwrap();
        for (ch, pin) in map {
            let v = ram.gpio().func_out_sel_cfg(pin as usize).read().bits();
            assert_eq!(v, CORE1_GPIO_SIGNAL[ch as usize] as u32 | 1 << 10, "channel {ch}");
            assert_eq!(d.pin(ch), Some(pin));
        }
        assert_eq!(d.channel_mask(), 0xff);
        assert_eq!(peek(ram.gpio().enable_w1ts()), 1 << 8, "last enable written");
    }

    #[test]
    fn channel_and_pin_conflicts_are_errors_and_roll_back() {
        let ram = RamBlocks::new();
        // SAFETY: private RAM register file.
        let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Quad) };
        let _led = chip.output(9, false).unwrap();
        assert_eq!(chip.dedicated_outputs(&[(1, 10), (2, 9)]).err(), Some(Error::PinInUse(9)));
        // The failed call released channel 1 and GPIO10.
        let d = chip.dedicated_outputs(&[(1, 10)]).unwrap();
        assert_eq!(chip.dedicated_outputs(&[(1, 11)]).err(), Some(Error::InUse(Unit::Dedicated(1))));
        assert_eq!(chip.dedicated_outputs(&[(8, 11)]).err(), Some(Error::NoSuchUnit(Unit::Dedicated(8))));
        assert_eq!(chip.dedicated_outputs(&[(2, 30)]).err(), Some(Error::FlashPin(30)));
        // Nothing routed on failures: GPIO 11 and 30 untouched.
        assert_eq!(ram.gpio().func_out_sel_cfg(11).read().bits(), 0);
        drop(d);
        assert!(chip.dedicated_outputs(&[(1, 11)]).is_ok());
    }
}
