//! MCPWM: a complementary PWM pair with dead time for one H-bridge leg (ESP32-S3 TRM, chapter
//! "Motor Control PWM"). MCPWM unit `u` (0, 1), operator `k` (0..=2) driven by timer `k`.
//!
//! # Clocks and timing
//!
//! The MCPWM function clock is PLL_F160M, 160 MHz (`PWM_CLK_CFG_REG`: "Period of PWM_clk =
//! 6.25ns * (PWM_CLK_PRESCALE + 1)"). This driver sets `PWM_CLK_PRESCALE` = 1, so PWM_clk is
//! **80 MHz** (12.5 ns), the same for every operator of the unit. Timer `k` counts up-down
//! (symmetric, centre-aligned PWM) at PT_clk = PWM_clk / (`PWM_TIMERk_PRESCALE` + 1) between 0
//! and `PWM_TIMERk_PERIOD` = P, so one PWM period is 2·P PT_clk ticks:
//! `f = 80 MHz / ((prescale + 1) · 2 · P)`. [`PwmConfig::timing`] picks the smallest prescale
//! that fits P in 16 bits (the finest duty resolution). `max_duty_cycle()` is P.
//!
//! # Waveform
//!
//! Generator A (`PWM_GENk_A_REG`): `UTEZ` = high, `DTEZ` = high, `UTEA` = low, `DTEA` = high, so
//! PWMxA is high while the counter is below compare A: duty = A / P. PWMxB is not used by the
//! generator; the dead-time generator makes the complementary pair from PWMxA in the TRM's
//! "active high complementary" mode (`PWM_DTk_CFG_REG`: S0–S2 = 0, S3 `FED_OUTINVERT` = 1,
//! S4–S8 = 0): output A = PWMxA with its rising edge delayed by RED, output B = NOT PWMxA with
//! its rising edge delayed by FED, so the two are never high together. `DT_CLK_SEL` = 0: the
//! delays count PWM_clk (12.5 ns).
//!
//! Duty 0 and duty P (the edges where the compare event coincides with TEZ/TEP) use the
//! generator's continuous software force instead (`PWM_GENk_FORCE_REG` `A_CNTUFORCE_MODE` = low
//! or high), which still passes through the dead-time generator, so B is the complement there
//! too. Duty 0 is the initial state: A low, B high (the low-side switch on).
//!
//! # Shadow registers
//!
//! Period, compare A, force and dead times are shadow registers loaded at timer zero (TEZ,
//! update method 1), so a duty change never produces a partial pulse. During setup each is
//! first written with update method "immediate" (0) so the stopped timer starts with the
//! configured values, then switched to TEZ. `PWM_UPDATE_CFG_REG` `GLOBAL_UP_EN` and
//! `OPk_UP_EN` must be set for any shadow transfer.
//!
//! ```
//! use splitcore_hal_esp32s3::{ram::RamBlocks, Chip, PsramMode, mcpwm::PwmConfig};
//! use splitcore_hal::{PwmDuty, SetDutyCycle};
//!
//! let ram = RamBlocks::new();
//! // SAFETY: private RAM register file.
//! let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Quad) };
//! let cfg = PwmConfig { frequency_hz: 20_000, dead_time_ns: 500 };
//! let mut leg = chip.complementary_pwm(0, 0, 4, 5, cfg).unwrap();
//! assert_eq!(leg.max_duty_cycle(), 2000); // 80 MHz / (2 * 20 kHz)
//! leg.set_duty_fraction(0.25).unwrap();
//! assert_eq!(ram.mcpwm(0).ch(0).cmpr_value0().read().a().bits(), 500);
//! assert!(leg.set_duty_cycle(2001).is_err());
//! ```

use crate::{gpio, pac, Chip, Error, PinClaim, Unit, UnitClaim};

/// PWM_clk after `PWM_CLK_PRESCALE` = 1: 160 MHz / 2.
pub const PWM_CLK_HZ: u32 = 80_000_000;
/// `PWM_CLK_PRESCALE` written by this driver.
pub const GROUP_PRESCALE: u8 = 1;
/// Smallest accepted P (duty resolution of 20 steps): caps the frequency at 2 MHz.
pub const MIN_PERIOD_TICKS: u32 = 20;
/// `PWM0_OUT0A_IDX` (gpio_sig_map.h): unit u, operator k: A = 160 + 6u + 2k, B = A + 1.
pub const PWM0_OUT0A_IDX: u16 = 160;

/// Generator action values (`PWM_GENk_A_REG` fields): 0 no change, 1 low, 2 high, 3 toggle.
const ACTION_LOW: u8 = 1;
const ACTION_HIGH: u8 = 2;
/// Update-method value 1: at timer equals zero (TEZ).
const UP_TEZ: u8 = 1;
/// Update-method value 0: immediately.
const UP_NOW: u8 = 0;
/// Timer mode 3: up-down (`PWM_TIMERk_MOD`).
const MODE_UP_DOWN: u8 = 3;
/// Timer start 2: start and run on (`PWM_TIMERk_START`).
const START_RUN: u8 = 2;
/// `GEN_T0_SEL`/`GEN_T1_SEL` 4: no event.
const T_SEL_NONE: u8 = 4;

/// Frequency and dead time of a complementary pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PwmConfig {
    /// PWM frequency, 3 Hz ..= 2 MHz.
    pub frequency_hz: u32,
    /// Dead time inserted at both edges (rounded up to 12.5 ns steps).
    pub dead_time_ns: u32,
}

/// The register values a [`PwmConfig`] produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// `PWM_TIMERk_PRESCALE`.
    pub prescale: u8,
    /// `PWM_TIMERk_PERIOD` (P; also the full-scale duty).
    pub period: u16,
    /// `PWM_DTk_FED` = `PWM_DTk_RED`, in PWM_clk ticks.
    pub dead_ticks: u16,
}

impl PwmConfig {
    /// The timer prescale, period and dead-time ticks, or the reason they do not exist.
    ///
    /// ```
    /// use splitcore_hal_esp32s3::{mcpwm::{PwmConfig, Timing}, Error};
    /// let t = PwmConfig { frequency_hz: 20_000, dead_time_ns: 500 }.timing().unwrap();
    /// assert_eq!(t, Timing { prescale: 0, period: 2000, dead_ticks: 40 });
    /// // 100 Hz needs a prescale: 400_000 half-period ticks / 7 = 57_143 <= 65_535.
    /// let t = PwmConfig { frequency_hz: 100, dead_time_ns: 0 }.timing().unwrap();
    /// assert_eq!((t.prescale, t.period), (6, 57_143));
    /// assert_eq!(PwmConfig { frequency_hz: 2, dead_time_ns: 0 }.timing(),
    ///            Err(Error::FrequencyOutOfRange { hz: 2 }));
    /// ```
    pub fn timing(&self) -> Result<Timing, Error> {
        let hz = self.frequency_hz;
        let bad_freq = Error::FrequencyOutOfRange { hz };
        if hz == 0 {
            return Err(bad_freq);
        }
        // PWM_clk ticks per half period, rounded to nearest.
        let half = (PWM_CLK_HZ as u64 + hz as u64) / (2 * hz as u64);
        let divider = half.div_ceil(u16::MAX as u64).max(1);
        if divider > 256 {
            return Err(bad_freq);
        }
        let period = (half + divider / 2) / divider;
        if period < MIN_PERIOD_TICKS as u64 || period > u16::MAX as u64 {
            return Err(bad_freq);
        }
        let bad_dead = Error::DeadTimeOutOfRange { ns: self.dead_time_ns };
        // Dead-time ticks at 80 MHz (12.5 ns), rounded up.
        let dead = (self.dead_time_ns as u64 * 80).div_ceil(1000);
        if dead > u16::MAX as u64 || dead >= period * divider {
            return Err(bad_dead);
        }
        Ok(Timing { prescale: (divider - 1) as u8, period: period as u16, dead_ticks: dead as u16 })
    }
}

/// The error of [`SetDutyCycle::set_duty_cycle`](embedded_hal::pwm::SetDutyCycle) above the
/// period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DutyOutOfRange {
    /// Requested duty.
    pub duty: u16,
    /// `max_duty_cycle()`.
    pub max: u16,
}

impl core::fmt::Display for DutyOutOfRange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "duty {} above the maximum {}", self.duty, self.max)
    }
}

impl core::error::Error for DutyOutOfRange {}

impl embedded_hal::pwm::Error for DutyOutOfRange {
    fn kind(&self) -> embedded_hal::pwm::ErrorKind {
        embedded_hal::pwm::ErrorKind::Other
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Force {
    None = 0,
    Low = 1,
    High = 2,
}

/// One operator's complementary output pair (see the module docs).
pub struct ComplementaryPwm<'c> {
    ch: &'c pac::mcpwm0::CH,
    forced: Force,
    timing: Timing,
    _unit: UnitClaim<'c>,
    _pins: [PinClaim<'c>; 2],
}

/// `PWM_GENk_FORCE_REG` value: continuous force of A with update at TEZ.
const fn force_word(force: Force) -> u32 {
    UP_TEZ as u32 | (force as u32) << 6
}

impl<'a> Chip<'a> {
    /// Claims MCPWM `unit` operator/timer `operator` and pins `pin_a`/`pin_b`, configures the
    /// timer, comparator, generator and dead-time generator (module docs), starts the timer at
    /// duty 0 and routes `PWMn_OUTkA/B` to the pins.
    pub fn complementary_pwm(
        &self,
        unit: u8,
        operator: u8,
        pin_a: u8,
        pin_b: u8,
        config: PwmConfig,
    ) -> Result<ComplementaryPwm<'_>, Error> {
        let claim = self.claim_unit(Unit::Mcpwm { unit, operator })?;
        let timing = config.timing()?;
        let a = self.claim_pin(pin_a)?;
        let b = self.claim_pin(pin_b)?;
        let k = operator as usize;
        let mcpwm = self.blocks().mcpwm[unit as usize];
        let ch = mcpwm.ch(k);
        let timer = mcpwm.timer(k);

        // PWM_CLK_REG: register clock on; PWM_CLK_CFG_REG: PWM_clk = 160 MHz / 2.
        mcpwm.clk().write(|w| w.en().set_bit());
        // SAFETY: CLK_PRESCALE is 8 bits; any value is valid.
        mcpwm.clk_cfg().write(|w| unsafe { w.clk_prescale().bits(GROUP_PRESCALE) });
        // PWM_TIMERk_CFG1_REG: stopped, frozen while configuring.
        // SAFETY: START 0 (stop at TEZ) and MOD 0 (freeze) are defined values.
        timer.cfg1().write(|w| unsafe { w.start().bits(0).mod_().bits(0) });
        // PWM_TIMERk_CFG0_REG: prescale and period, immediately, then update at TEZ.
        for up in [UP_NOW, UP_TEZ] {
            // SAFETY: PRESCALE 8 bits, PERIOD 16 bits, PERIOD_UPMETHOD 0 or 1: valid values.
            timer.cfg0().write(|w| unsafe {
                w.prescale().bits(timing.prescale).period().bits(timing.period).period_upmethod().bits(up)
            });
        }
        // PWM_OPERATOR_TIMERSEL_REG: operator k uses timer k (shared register: read-modify-write).
        mcpwm.operator_timersel().modify(|r, w| {
            let v = r.bits() & !(0b11 << (2 * k)) | (k as u32) << (2 * k);
            // SAFETY: two-bit selectors, each 0..=2.
            unsafe { w.bits(v) }
        });
        // PWM_GENk_STMP_CFG_REG + PWM_GENk_TSTMP_A_REG: compare A = 0, immediately, then at TEZ.
        // SAFETY: 16-bit value.
        ch.cmpr_value0().write(|w| unsafe { w.a().bits(0) });
        for up in [UP_NOW, UP_TEZ] {
            // SAFETY: 4-bit update-method fields.
            ch.cmpr_cfg().write(|w| unsafe { w.a_upmethod().bits(up).b_upmethod().bits(up) });
        }
        // PWM_GENk_CFG0_REG: generator config takes effect immediately; no T0/T1 events.
        // SAFETY: update method 0 and selector 4 ("none") are defined values.
        ch.gen_cfg0().write(|w| unsafe {
            w.cfg_upmethod().bits(UP_NOW).t0_sel().bits(T_SEL_NONE).t1_sel().bits(T_SEL_NONE)
        });
        // PWM_GENk_A_REG: high at zero, low at compare A counting up, high at A counting down.
        ch.gen_(0).write(|w| unsafe {
            // SAFETY: two-bit action fields with the values 1 (low) and 2 (high).
            w.utez()
                .bits(ACTION_HIGH)
                .dtez()
                .bits(ACTION_HIGH)
                .utea()
                .bits(ACTION_LOW)
                .dtea()
                .bits(ACTION_HIGH)
        });
        // PWM_GENk_B_REG: unused (B comes from the dead-time generator).
        // SAFETY: all actions "no change".
        ch.gen_(1).write(|w| unsafe { w.bits(0) });
        // PWM_GENk_FORCE_REG: continuous force A low (duty 0), immediately, then at TEZ.
        for word in [(Force::Low as u32) << 6, force_word(Force::Low)] {
            // SAFETY: CNTUFORCE_UPMETHOD (bits 0:5) and A_CNTUFORCE_MODE (6:7); other bits 0.
            ch.gen_force().write(|w| unsafe { w.bits(word) });
        }
        // PWM_DTk_FED_CFG_REG / PWM_DTk_RED_CFG_REG: dead time in PWM_clk ticks.
        // SAFETY: 16-bit values.
        ch.db_fed_cfg().write(|w| unsafe { w.fed().bits(timing.dead_ticks) });
        // SAFETY: as above.
        ch.db_red_cfg().write(|w| unsafe { w.red().bits(timing.dead_ticks) });
        // PWM_DTk_CFG_REG: active-high complementary (only S3 FED_OUTINVERT set), PWM_clk.
        for up in [UP_NOW, UP_TEZ] {
            ch.db_cfg().write(|w| {
                // SAFETY: 4-bit update-method fields.
                unsafe { w.fed_upmethod().bits(up).red_upmethod().bits(up) };
                // All switches written: the reset value bypasses both paths (S0, S1 = 1).
                w.b_outbypass()
                    .clear_bit() // S0
                    .a_outbypass()
                    .clear_bit() // S1
                    .red_outinvert()
                    .clear_bit() // S2
                    .fed_outinvert()
                    .set_bit() // S3
                    .red_insel()
                    .clear_bit() // S4
                    .fed_insel()
                    .clear_bit() // S5
                    .a_outswap()
                    .clear_bit() // S6
                    .b_outswap()
                    .clear_bit() // S7
                    .deb_mode()
                    .clear_bit() // S8
                    .clk_sel()
                    .clear_bit()
            });
        }
        // PWM_CARRIERk_CFG_REG: carrier (chopper) bypassed; PWM_FHk_CFG0_REG: no trip actions.
        // SAFETY: 0 disables the carrier.
        ch.chopper_cfg().write(|w| unsafe { w.bits(0) });
        // SAFETY: 0: no fault handler action.
        ch.tz_cfg0().write(|w| unsafe { w.bits(0) });
        // PWM_UPDATE_CFG_REG: global and operator-k shadow updates on (read-modify-write).
        mcpwm.update_cfg().modify(|r, w| {
            // SAFETY: sets GLOBAL_UP_EN (bit 0) and OPk_UP_EN (bit 2 + 2k).
            unsafe { w.bits(r.bits() | 1 | 1 << (2 + 2 * k)) }
        });
        // PWM_TIMERk_CFG1_REG: up-down, start and run on.
        // SAFETY: START 2 and MOD 3 are defined values.
        timer.cfg1().write(|w| unsafe { w.start().bits(START_RUN).mod_().bits(MODE_UP_DOWN) });

        // Outputs last, so the pins only ever see the configured waveform.
        let sig_a = PWM0_OUT0A_IDX + 6 * unit as u16 + 2 * operator as u16;
        gpio::route_output(self, pin_a, sig_a, false);
        gpio::route_output(self, pin_b, sig_a + 1, false);

        Ok(ComplementaryPwm { ch, forced: Force::Low, timing, _unit: claim, _pins: [a, b] })
    }
}

impl ComplementaryPwm<'_> {
    /// The timing in use.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    #[inline]
    fn force(&mut self, force: Force) {
        if self.forced != force {
            // SAFETY: see `force_word`.
            self.ch.gen_force().write(|w| unsafe { w.bits(force_word(force)) });
            self.forced = force;
        }
    }
}

impl embedded_hal::pwm::ErrorType for ComplementaryPwm<'_> {
    type Error = DutyOutOfRange;
}

impl embedded_hal::pwm::SetDutyCycle for ComplementaryPwm<'_> {
    #[inline]
    fn max_duty_cycle(&self) -> u16 {
        self.timing.period
    }

    /// Writes compare A's shadow register (`PWM_GENk_TSTMP_A_REG`, loaded at the next timer
    /// zero): one store. 0 and `max` switch to a forced level (one more store on change).
    #[inline]
    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), DutyOutOfRange> {
        let max = self.timing.period;
        if duty > max {
            return Err(DutyOutOfRange { duty, max });
        }
        // SAFETY: 16-bit compare value.
        self.ch.cmpr_value0().write(|w| unsafe { w.a().bits(duty) });
        let force = if duty == 0 {
            Force::Low
        } else if duty == max {
            Force::High
        } else {
            Force::None
        };
        self.force(force);
        Ok(())
    }
}

impl core::fmt::Debug for ComplementaryPwm<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ComplementaryPwm")
            .field("forced", &self.forced)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ram::{poke, RamBlocks};
    use embedded_hal::pwm::SetDutyCycle;

    use crate::ram::test_chip as chip;

    #[test]
    fn timing_for_common_frequencies() {
        let t = |hz, ns| PwmConfig { frequency_hz: hz, dead_time_ns: ns }.timing();
        // 20 kHz: 80e6 / 40e3 = 2000 ticks, no prescale; 1 us dead time = 80 ticks.
        assert_eq!(t(20_000, 1000), Ok(Timing { prescale: 0, period: 2000, dead_ticks: 80 }));
        // 610 Hz: 65_574 half-period ticks -> prescale 1 (divider 2), P = 32_787.
        assert_eq!(t(610, 0), Ok(Timing { prescale: 1, period: 32_787, dead_ticks: 0 }));
        // 611 Hz still fits without prescale: 65_466.
        assert_eq!(t(611, 0), Ok(Timing { prescale: 0, period: 65_466, dead_ticks: 0 }));
        // 2 MHz: P = 20 (the minimum); 2.1 MHz is out of range.
        assert_eq!(t(2_000_000, 0).map(|t| t.period), Ok(20));
        assert_eq!(t(2_100_000, 0), Err(Error::FrequencyOutOfRange { hz: 2_100_000 }));
        // 3 Hz: divider 204 (prescale 203), P = 65_359.
        assert_eq!(t(3, 0), Ok(Timing { prescale: 203, period: 65_359, dead_ticks: 0 }));
        assert_eq!(t(0, 0), Err(Error::FrequencyOutOfRange { hz: 0 }));
        // Dead time rounds up to 12.5 ns steps.
        assert_eq!(t(20_000, 13).map(|t| t.dead_ticks), Ok(2));
        // Dead time must stay below half the period (25 us at 20 kHz).
        assert_eq!(t(20_000, 25_000), Err(Error::DeadTimeOutOfRange { ns: 25_000 }));
        assert_eq!(t(20_000, 24_987).map(|t| t.dead_ticks), Ok(1999));
        // And within 16 bits.
        assert_eq!(t(10, 900_000), Err(Error::DeadTimeOutOfRange { ns: 900_000 }));
    }

    #[test]
    fn setup_writes_the_documented_register_values() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let cfg = PwmConfig { frequency_hz: 20_000, dead_time_ns: 500 };
        let _leg = chip.complementary_pwm(1, 2, 38, 39, cfg).unwrap();
        let m = ram.mcpwm(1);
        assert_eq!(ram.mcpwm(0).clk_cfg().read().bits(), 0, "MCPWM0 untouched");
        assert_eq!(m.clk().read().bits(), 1);
        assert_eq!(m.clk_cfg().read().bits(), 1);
        // CFG0: PRESCALE 0 (bits 0:7), PERIOD 2000 (8:23), PERIOD_UPMETHOD 1 = TEZ (24:25).
        assert_eq!(m.timer(2).cfg0().read().bits(), 2000 << 8 | 1 << 24);
        // CFG1: START 2 (bits 0:2), MOD 3 up-down (bits 3:4).
        assert_eq!(m.timer(2).cfg1().read().bits(), 2 | 3 << 3);
        assert_eq!(m.timer(1).cfg0().read().bits(), 0, "other timers untouched");
        // OPERATOR2_TIMERSEL (bits 4:5) = 2.
        assert_eq!(m.operator_timersel().read().bits(), 2 << 4);
        let ch = m.ch(2);
        // STMP_CFG: A and B update at TEZ.
        assert_eq!(ch.cmpr_cfg().read().bits(), 1 | 1 << 4);
        assert_eq!(ch.cmpr_value0().read().bits(), 0);
        // GEN_CFG0: immediate, T0_SEL = T1_SEL = 4 (bits 4:6, 7:9).
        assert_eq!(ch.gen_cfg0().read().bits(), 4 << 4 | 4 << 7);
        // GEN_A: UTEZ (0:1) = 2, UTEA (4:5) = 1, DTEZ (12:13) = 2, DTEA (16:17) = 2.
        assert_eq!(ch.gen_(0).read().bits(), 2 | 1 << 4 | 2 << 12 | 2 << 16);
        assert_eq!(ch.gen_(1).read().bits(), 0);
        // FORCE: CNTUFORCE_UPMETHOD = TEZ, A_CNTUFORCE_MODE (6:7) = 1 (low): duty 0.
        assert_eq!(ch.gen_force().read().bits(), 1 | 1 << 6);
        // Dead time 500 ns = 40 ticks of 12.5 ns.
        assert_eq!(ch.db_fed_cfg().read().bits(), 40);
        assert_eq!(ch.db_red_cfg().read().bits(), 40);
        // DT_CFG: FED/RED update at TEZ (bit 0, bit 4), S3 = FED_OUTINVERT (bit 14) only.
        assert_eq!(ch.db_cfg().read().bits(), 1 | 1 << 4 | 1 << 14);
        assert_eq!(ch.chopper_cfg().read().bits(), 0);
        // UPDATE_CFG: GLOBAL_UP_EN + OP2_UP_EN (bit 6).
        assert_eq!(m.update_cfg().read().bits(), 1 | 1 << 6);
        // PWM1_OUT2A_IDX = 170, PWM1_OUT2B_IDX = 171 (gpio_sig_map.h), OEN_SEL.
        assert_eq!(ram.gpio().func_out_sel_cfg(38).read().bits(), 170 | 1 << 10);
        assert_eq!(ram.gpio().func_out_sel_cfg(39).read().bits(), 171 | 1 << 10);
    }

    #[test]
    fn operator_timersel_keeps_the_other_operators() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let cfg = PwmConfig { frequency_hz: 20_000, dead_time_ns: 0 };
        let _a = chip.complementary_pwm(0, 1, 1, 2, cfg).unwrap();
        let _b = chip.complementary_pwm(0, 2, 3, 4, cfg).unwrap();
        assert_eq!(ram.mcpwm(0).operator_timersel().read().bits(), 1 << 2 | 2 << 4);
        assert_eq!(ram.mcpwm(0).update_cfg().read().bits(), 1 | 1 << 4 | 1 << 6);
        // PWM0_OUT1A/B = 162/163, PWM0_OUT2A/B = 164/165.
        assert_eq!(ram.gpio().func_out_sel_cfg(1).read().out_sel().bits(), 162);
        assert_eq!(ram.gpio().func_out_sel_cfg(4).read().out_sel().bits(), 165);
    }

    #[test]
    fn duty_updates_write_the_shadow_compare_and_force_at_the_ends() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let cfg = PwmConfig { frequency_hz: 20_000, dead_time_ns: 500 };
        let mut leg = chip.complementary_pwm(0, 0, 4, 5, cfg).unwrap();
        let ch = ram.mcpwm(0).ch(0);
        leg.set_duty_cycle(700).unwrap();
        assert_eq!(ch.cmpr_value0().read().bits(), 700);
        assert_eq!(ch.gen_force().read().bits(), 1, "force released (mode 0), update at TEZ");
        leg.set_duty_cycle(2000).unwrap();
        assert_eq!(ch.gen_force().read().bits(), 1 | 2 << 6, "forced high at 100 %");
        leg.set_duty_cycle(0).unwrap();
        assert_eq!(ch.gen_force().read().bits(), 1 | 1 << 6, "forced low at 0 %");
        // A mid-range duty after a forced one releases the force again.
        poke(ch.gen_force(), 0xdead);
        leg.set_duty_cycle(1).unwrap();
        assert_eq!(ch.gen_force().read().bits(), 1);
        // No force write while the force state does not change.
        poke(ch.gen_force(), 0xbeef);
        leg.set_duty_cycle(1999).unwrap();
        assert_eq!(ch.gen_force().read().bits(), 0xbeef);
        assert_eq!(ch.cmpr_value0().read().bits(), 1999);
        assert_eq!(leg.set_duty_cycle(2001), Err(DutyOutOfRange { duty: 2001, max: 2000 }));
        assert_eq!(ch.cmpr_value0().read().bits(), 1999, "a rejected duty writes nothing");
    }

    #[test]
    fn claims_and_errors() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let cfg = PwmConfig { frequency_hz: 20_000, dead_time_ns: 500 };
        let leg = chip.complementary_pwm(0, 0, 4, 5, cfg).unwrap();
        let u = Unit::Mcpwm { unit: 0, operator: 0 };
        assert_eq!(chip.complementary_pwm(0, 0, 6, 7, cfg).err(), Some(Error::InUse(u)));
        assert_eq!(chip.complementary_pwm(0, 1, 5, 7, cfg).err(), Some(Error::PinInUse(5)));
        assert_eq!(chip.complementary_pwm(0, 1, 6, 27, cfg).err(), Some(Error::FlashPin(27)));
        let bad = Unit::Mcpwm { unit: 0, operator: 3 };
        assert_eq!(chip.complementary_pwm(0, 3, 6, 7, cfg).err(), Some(Error::NoSuchUnit(bad)));
        let slow = PwmConfig { frequency_hz: 1, dead_time_ns: 0 };
        assert_eq!(
            chip.complementary_pwm(0, 1, 6, 7, slow).err(),
            Some(Error::FrequencyOutOfRange { hz: 1 })
        );
        // Failed attempts released their claims: operator 1 with pins 6/7 works now.
        assert!(chip.complementary_pwm(0, 1, 6, 7, cfg).is_ok());
        drop(leg);
        assert!(chip.complementary_pwm(0, 0, 4, 5, cfg).is_ok());
    }
}
