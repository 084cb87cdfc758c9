//! PCNT: x4 quadrature decoding on one unit, extended from 16 to 32 bits (ESP32-S3 TRM,
//! chapter "Pulse Count Controller").
//!
//! # Decoding
//!
//! Both channels of unit `u` count; each watches one encoder line and is steered by the other
//! (`PCNT_Un_CONF0_REG`):
//!
//! | channel | signal | control | POS_MODE | NEG_MODE | HCTRL_MODE | LCTRL_MODE |
//! |---|---|---|---|---|---|---|
//! | 0 | A | B | 2 (decrease) | 1 (increase) | 0 (keep) | 1 (invert) |
//! | 1 | B | A | 1 (increase) | 2 (decrease) | 0 (keep) | 1 (invert) |
//!
//! With A leading B (00 → 10 → 11 → 01 → 00) each of the four edges counts +1, the reverse
//! −1: A↑ with B low is ch0 POS inverted (+1), B↑ with A high is ch1 POS (+1), A↓ with B high
//! is ch0 NEG (+1), B↓ with A low is ch1 NEG inverted (+1). The lines come through the GPIO
//! matrix: `PCNT_SIG_CH0_INu` = 33 + 4u ← A, `PCNT_SIG_CH1_INu` = 34 + 4u ← B,
//! `PCNT_CTRL_CH0_INu` = 35 + 4u ← B, `PCNT_CTRL_CH1_INu` = 36 + 4u ← A (gpio_sig_map.h).
//! The glitch filter (`PCNT_FILTER_THRES_Un`, APB_CLK = 80 MHz cycles, at most 1023;
//! `PCNT_FILTER_EN_Un`) drops pulses shorter than the configured time.
//!
//! # Extending the 16-bit counter without losing counts
//!
//! The hardware counter is a signed 16-bit value, and it does not wrap: when it reaches
//! `PCNT_CNT_H_LIM_Un` or `PCNT_CNT_L_LIM_Un` it is **reset to 0**. This driver sets the
//! limits to +[`LIMIT`] and −[`LIMIT`] (16 384 = 2^14) and nothing else, so the hardware value
//! always equals the true position modulo 2^14 (counting up: …, 16 383, 0 (=16 384), 1, …;
//! counting down: …, −16 383, 0 (=−16 384), −1, …). The driver keeps the 32-bit position and
//! the last raw value; each [`count`](splitcore_hal::QuadratureCounter::count) reads the raw
//! value once and adds the difference taken modulo 2^14 into −8 192..=8 191 (a shift pair,
//! no division). No count is lost and no interrupt is needed as long as fewer than
//! [`MAX_COUNTS_BETWEEN_READS`] (8 191) edges occur between two reads — e.g. a 2 kHz loop
//! allows 16 M edges/s, beyond what the 80 MHz filter passes for clean quadrature. The i32
//! position wraps (`wrapping_add`), as [`QuadratureCounter`](splitcore_hal::QuadratureCounter)
//! specifies. Only zero-based limits make the residue exact: a plain 16-bit wrap would need
//! the limit events to be counted by an interrupt, with a race between reading the counter and
//! the event flag.
//!
//! ```
//! use splitcore_hal_esp32s3::{ram::{poke, RamBlocks}, Chip, PsramMode, pcnt::QuadratureConfig};
//! use splitcore_hal::QuadratureCounter;
//!
//! let ram = RamBlocks::new();
//! // SAFETY: private RAM register file.
//! let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Quad) };
//! let mut enc = chip.quadrature(0, 6, 7, QuadratureConfig { filter_ns: 100 }).unwrap();
//! let set = |v: i16| poke(ram.pcnt().u_cnt(0), v as u16 as u32);
//! set(8_000);
//! assert_eq!(enc.count(), 8_000);
//! set(16_000);
//! assert_eq!(enc.count(), 16_000);
//! set(500); // passed +16 384 (reset to 0) and counted on to 500
//! assert_eq!(enc.count(), 16_884);
//! set(-7_000); // 7 500 counts back in one read: still within 8 191
//! assert_eq!(enc.count(), 9_384);
//! ```

use crate::{gpio, pac, Chip, Error, PinClaim, Unit, UnitClaim};

/// The counter limits are ±`LIMIT`; the raw value is the position modulo `LIMIT`.
pub const LIMIT: i16 = 1 << 14;
/// Most edges between two reads without losing counts: `LIMIT / 2 - 1`.
pub const MAX_COUNTS_BETWEEN_READS: u32 = (LIMIT as u32) / 2 - 1;
/// APB_CLK, the filter's clock.
pub const APB_CLK_HZ: u32 = 80_000_000;
/// Largest `PCNT_FILTER_THRES_Un` (10 bits).
pub const MAX_FILTER_CYCLES: u32 = 1023;
/// `PCNT_SIG_CH0_IN0_IDX` (gpio_sig_map.h); unit u adds 4u.
pub const PCNT_SIG_CH0_IN0_IDX: u16 = 33;

/// Edge actions (`PCNT_CHn_POS/NEG_MODE_Un`): 1 increase, 2 decrease.
const INCREASE: u32 = 1;
const DECREASE: u32 = 2;
/// Control-level actions (`PCNT_CHn_H/LCTRL_MODE_Un`): 0 keep, 1 invert.
const KEEP: u32 = 0;
const INVERT: u32 = 1;

/// Quadrature decoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuadratureConfig {
    /// Pulses shorter than this are ignored (0: filter off; at most 12 787 ns).
    pub filter_ns: u32,
}

/// The `PCNT_Un_CONF0_REG` value for `config`: x4 decoding, filter, and only the limit
/// comparators (`THR_H_LIM_EN`, `THR_L_LIM_EN`) that reset the counter.
///
/// ```
/// use splitcore_hal_esp32s3::pcnt::{conf0, QuadratureConfig};
/// assert_eq!(conf0(QuadratureConfig { filter_ns: 100 }), Ok(0x4649_3408));
/// ```
pub fn conf0(config: QuadratureConfig) -> Result<u32, Error> {
    let cycles = (config.filter_ns as u64 * (APB_CLK_HZ / 1_000_000) as u64).div_ceil(1000);
    if cycles > MAX_FILTER_CYCLES as u64 {
        return Err(Error::FilterOutOfRange { ns: config.filter_ns });
    }
    let filter = if cycles == 0 { 0 } else { cycles as u32 | 1 << 10 };
    let ch0 = DECREASE << 18 | INCREASE << 16 | KEEP << 20 | INVERT << 22;
    let ch1 = INCREASE << 26 | DECREASE << 24 | KEEP << 28 | INVERT << 30;
    // Bit 11 zero comparator, 12 h_lim, 13 l_lim, 14/15 thres0/1: only the limits.
    Ok(filter | 1 << 12 | 1 << 13 | ch0 | ch1)
}

/// A quadrature encoder on one PCNT unit, as a 32-bit wrapping position.
pub struct Quadrature<'c> {
    cnt: &'c pac::pcnt::U_CNT,
    last_raw: i16,
    position: i32,
    _unit: UnitClaim<'c>,
    _pins: [PinClaim<'c>; 2],
}

impl<'a> Chip<'a> {
    /// Claims PCNT `unit` (0..=3) and the A/B pins, configures x4 decoding (module docs),
    /// clears the counter and starts counting from position 0.
    pub fn quadrature(
        &self,
        unit: u8,
        pin_a: u8,
        pin_b: u8,
        config: QuadratureConfig,
    ) -> Result<Quadrature<'_>, Error> {
        let claim = self.claim_unit(Unit::Pcnt(unit))?;
        let conf0 = conf0(config)?;
        let a = self.claim_pin(pin_a)?;
        let b = self.claim_pin(pin_b)?;
        let pcnt = self.blocks().pcnt;
        let u = unit as usize;
        let rst = 1u32 << (2 * u);
        let pause = 1u32 << (2 * u + 1);
        // PCNT_CTRL_REG: register clock on (CLK_EN, bit 16); hold unit u in reset and paused
        // while it is configured (PCNT_CNT_RST_Uu bit 2u, PCNT_CNT_PAUSE_Uu bit 2u + 1).
        // Shared register: read-modify-write.
        // SAFETY: only CLK_EN and unit u's two bits change.
        pcnt.ctrl().modify(|r, w| unsafe { w.bits(r.bits() | 1 << 16 | rst | pause) });
        let regs = pcnt.unit(u);
        // SAFETY: the documented CONF0 layout (see `conf0`).
        regs.conf0().write(|w| unsafe { w.bits(conf0) });
        // PCNT_Un_CONF1_REG: thresholds 0/1 unused (comparators off).
        // SAFETY: any 16-bit thresholds are valid.
        regs.conf1().write(|w| unsafe { w.bits(0) });
        // PCNT_Un_CONF2_REG: CNT_H_LIM = +LIMIT (bits 0:15), CNT_L_LIM = -LIMIT (16:31).
        // SAFETY: two 16-bit two's-complement limits.
        regs.conf2().write(|w| unsafe { w.bits(LIMIT as u16 as u32 | ((-LIMIT) as u16 as u32) << 16) });
        let base = PCNT_SIG_CH0_IN0_IDX + 4 * unit as u16;
        gpio::route_input(self, pin_a, base, gpio::Pull::Up); // PCNT_SIG_CH0_INu
        gpio::route_input(self, pin_b, base + 1, gpio::Pull::Up); // PCNT_SIG_CH1_INu
        gpio::route_input(self, pin_b, base + 2, gpio::Pull::Up); // PCNT_CTRL_CH0_INu
        gpio::route_input(self, pin_a, base + 3, gpio::Pull::Up); // PCNT_CTRL_CH1_INu
                                                                  // Release reset and pause: the counter starts at 0.
                                                                  // SAFETY: only unit u's two bits change.
        pcnt.ctrl().modify(|r, w| unsafe { w.bits(r.bits() & !(rst | pause)) });
        let cnt = pcnt.u_cnt(u);
        let last_raw = cnt.read().bits() as u16 as i16;
        Ok(Quadrature { cnt, last_raw, position: 0, _unit: claim, _pins: [a, b] })
    }
}

/// The true change between two raw readings: their difference modulo [`LIMIT`], in
/// −8 192..=8 191.
///
/// ```
/// use splitcore_hal_esp32s3::pcnt::raw_delta;
/// assert_eq!(raw_delta(16_380, 3), 7);      // up through the +16 384 reset
/// assert_eq!(raw_delta(-16_380, -3), -7);   // down through the -16 384 reset
/// assert_eq!(raw_delta(-2, 3), 5);          // through zero, no reset
/// assert_eq!(raw_delta(0, -8_192), -8_192); // the limit of what one read can tell
/// ```
#[inline]
pub const fn raw_delta(last: i16, now: i16) -> i32 {
    // Take the difference modulo 2^14 and sign-extend bit 13.
    ((now as i32).wrapping_sub(last as i32) << 18) >> 18
}

impl Quadrature<'_> {
    /// Reads `PCNT_Un_CNT_REG` once and folds the change into the position.
    #[inline]
    pub fn update(&mut self) -> i32 {
        let raw = self.cnt.read().bits() as u16 as i16;
        self.position = self.position.wrapping_add(raw_delta(self.last_raw, raw));
        self.last_raw = raw;
        self.position
    }
}

impl splitcore_hal::QuadratureCounter for Quadrature<'_> {
    #[inline]
    fn count(&mut self) -> i32 {
        self.update()
    }
}

impl core::fmt::Debug for Quadrature<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Quadrature")
            .field("last_raw", &self.last_raw)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ram::{poke, RamBlocks};
    use splitcore_hal::QuadratureCounter;

    use crate::ram::test_chip as chip;

    #[test]
    fn conf0_fields() {
        let v = conf0(QuadratureConfig { filter_ns: 100 }).unwrap();
        assert_eq!(v & 0x3ff, 8, "100 ns = 8 APB cycles");
        assert_eq!(v >> 10 & 1, 1, "filter on");
        assert_eq!(v >> 11 & 0x1f, 0b00110, "only the h_lim and l_lim comparators");
        assert_eq!(v >> 16 & 3, 1, "CH0_NEG_MODE increase");
        assert_eq!(v >> 18 & 3, 2, "CH0_POS_MODE decrease");
        assert_eq!(v >> 20 & 3, 0, "CH0_HCTRL_MODE keep");
        assert_eq!(v >> 22 & 3, 1, "CH0_LCTRL_MODE invert");
        assert_eq!(v >> 24 & 3, 2, "CH1_NEG_MODE decrease");
        assert_eq!(v >> 26 & 3, 1, "CH1_POS_MODE increase");
        assert_eq!(v >> 28 & 3, 0, "CH1_HCTRL_MODE keep");
        assert_eq!(v >> 30 & 3, 1, "CH1_LCTRL_MODE invert");
        assert_eq!(conf0(QuadratureConfig { filter_ns: 0 }).unwrap() & 0x7ff, 0, "filter off");
        assert_eq!(conf0(QuadratureConfig { filter_ns: 12_787 }).unwrap() & 0x3ff, 1023);
        assert_eq!(
            conf0(QuadratureConfig { filter_ns: 12_800 }),
            Err(Error::FilterOutOfRange { ns: 12_800 })
        );
    }

    /// The decoding table in the module docs, simulated edge by edge from the CONF0 fields:
    /// forward quadrature counts +1 per edge, reverse -1.
    #[test]
    fn conf0_decodes_x4() {
        let v = conf0(QuadratureConfig { filter_ns: 0 }).unwrap();
        let field = |shift: u32| v >> shift & 3;
        // Counting effect of an edge on a channel whose control line is at `ctrl`.
        let effect = |pos_shift, neg_shift, h_shift, l_shift, rising: bool, ctrl: bool| -> i32 {
            let mode = if rising { field(pos_shift) } else { field(neg_shift) };
            let base = match mode {
                1 => 1,
                2 => -1,
                _ => 0,
            };
            match field(if ctrl { h_shift } else { l_shift }) {
                0 => base,
                1 => -base,
                _ => 0,
            }
        };
        let step = |(a0, b0): (bool, bool), (a1, b1): (bool, bool)| -> i32 {
            if a0 != a1 {
                effect(18, 16, 20, 22, a1, b0) // channel 0: signal A, control B
            } else {
                effect(26, 24, 28, 30, b1, a0) // channel 1: signal B, control A
            }
        };
        let forward = [(false, false), (true, false), (true, true), (false, true), (false, false)];
        let mut count = 0;
        for w in forward.windows(2) {
            assert_eq!(step(w[0], w[1]), 1, "{:?}", w);
            count += step(w[0], w[1]);
        }
        assert_eq!(count, 4);
        for w in forward.windows(2) {
            assert_eq!(step(w[1], w[0]), -1, "{:?}", w);
        }
    }

    #[test]
    fn setup_writes_limits_routing_and_releases_reset() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        poke(ram.pcnt().ctrl(), 0b0101_0101); // all units held in reset
        let _enc = chip.quadrature(2, 6, 7, QuadratureConfig { filter_ns: 100 }).unwrap();
        let p = ram.pcnt();
        assert_eq!(p.unit(2).conf0().read().bits(), conf0(QuadratureConfig { filter_ns: 100 }).unwrap());
        assert_eq!(p.unit(2).conf2().read().bits(), 0xC000_4000, "H_LIM +16384, L_LIM -16384");
        assert_eq!(p.unit(1).conf0().read().bits(), 0, "other units untouched");
        // Unit 2's reset (bit 4) and pause (bit 5) released, others kept, CLK_EN set.
        assert_eq!(p.ctrl().read().bits(), 1 << 16 | 0b0100_0101);
        // Matrix: unit 2 signals 41..44: SIG_CH0 <- A, SIG_CH1 <- B, CTRL_CH0 <- B, CTRL_CH1 <- A.
        let sel = |sig: usize| ram.gpio().func_in_sel_cfg(sig).read().bits();
        assert_eq!([sel(41), sel(42), sel(43), sel(44)], [6 | 1 << 7, 7 | 1 << 7, 7 | 1 << 7, 6 | 1 << 7]);
        // Pads: inputs with pull-up.
        assert_eq!(ram.io_mux().gpio(6).read().bits(), 1 << 12 | 2 << 10 | 1 << 9 | 1 << 8);
    }

    #[test]
    fn extension_follows_every_raw_sequence_the_hardware_can_produce() {
        // Model the hardware: a true position moving in steps of at most 8191; the raw
        // counter shows it modulo 16384 with the sign the reset-to-zero behaviour gives.
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let mut enc = chip.quadrature(0, 1, 2, QuadratureConfig { filter_ns: 0 }).unwrap();
        let mut truth: i64 = 0;
        let mut raw: i32 = 0; // hardware counter, in (-16384, 16384)
        let mut seed = 0x1234_5678u32;
        for i in 0..3_000 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let step = (seed % 16_383) as i32 - 8_191; // -8191..=8191
            let step = if i % 100 == 0 { 8_191 * if i % 200 == 0 { 1 } else { -1 } } else { step };
            // Apply edge by edge: the counter resets to 0 on reaching +-16384.
            let dir = step.signum();
            for _ in 0..step.abs() {
                raw += dir;
                if raw == 16_384 || raw == -16_384 {
                    raw = 0;
                }
            }
            truth += step as i64;
            poke(ram.pcnt().u_cnt(0), raw as i16 as u16 as u32);
            assert_eq!(enc.count(), truth as i32, "step {i}");
        }
    }

    #[test]
    fn position_wraps_at_the_i32_limits() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let mut enc = chip.quadrature(3, 1, 2, QuadratureConfig { filter_ns: 0 }).unwrap();
        enc.position = i32::MAX - 2;
        poke(ram.pcnt().u_cnt(3), 5);
        assert_eq!(enc.count(), i32::MIN + 2);
        let mut last = i32::MAX - 2;
        poke(ram.pcnt().u_cnt(3), 6);
        assert_eq!(enc.delta_since(&mut last), 6);
    }

    #[test]
    fn errors_and_claims() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let cfg = QuadratureConfig { filter_ns: 0 };
        let enc = chip.quadrature(0, 1, 2, cfg).unwrap();
        assert_eq!(chip.quadrature(0, 3, 4, cfg).err(), Some(Error::InUse(Unit::Pcnt(0))));
        assert_eq!(chip.quadrature(4, 3, 4, cfg).err(), Some(Error::NoSuchUnit(Unit::Pcnt(4))));
        assert_eq!(chip.quadrature(1, 2, 4, cfg).err(), Some(Error::PinInUse(2)));
        assert_eq!(chip.quadrature(1, 3, 22, cfg).err(), Some(Error::NoSuchPin(22)));
        assert_eq!(
            chip.quadrature(1, 3, 4, QuadratureConfig { filter_ns: 20_000 }).err(),
            Some(Error::FilterOutOfRange { ns: 20_000 })
        );
        drop(enc);
        assert!(chip.quadrature(0, 1, 2, cfg).is_ok());
    }
}
