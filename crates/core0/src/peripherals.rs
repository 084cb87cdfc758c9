//! Handing peripherals over to core 1: core 0 enables their bus clocks and releases their
//! resets before core 1 starts, and does not use them afterwards (core 1's drivers in
//! splitcore-hal-esp32s3 never touch the SYSTEM clock/reset registers, which every other
//! peripheral of core 0 shares).
//!
//! Registers (ESP32-S3, `components/soc/esp32s3/register/soc/system_reg.h`,
//! `DR_REG_SYSTEM_BASE` = 0x600C_0000):
//!
//! | register | address | bits used |
//! |---|---|---|
//! | `SYSTEM_CPU_PERI_CLK_EN_REG` | `0x600C_0008` | 7 `SYSTEM_CLK_EN_DEDICATED_GPIO` |
//! | `SYSTEM_CPU_PERI_RST_EN_REG` | `0x600C_000C` | 7 `SYSTEM_RST_EN_DEDICATED_GPIO` |
//! | `SYSTEM_PERIP_CLK_EN0_REG` | `0x600C_0018` | 10 `SYSTEM_PCNT_CLK_EN`, 17 `SYSTEM_PWM0_CLK_EN`, 20 `SYSTEM_PWM1_CLK_EN`, 28 `SYSTEM_APB_SARADC_CLK_EN`, 29 `SYSTEM_SYSTIMER_CLK_EN` |
//! | `SYSTEM_PERIP_RST_EN0_REG` | `0x600C_0020` | the same positions, `SYSTEM_*_RST` |
//!
//! # Sequence
//!
//! Per register pair, each step one read-modify-write of all requested bits (like IDF's
//! `periph_ll_enable_clk_clear_rst` / `periph_module_reset`):
//!
//! 1. clock enable: set the `*_CLK_EN` bits;
//! 2. reset pulse, only for peripherals core 1 owns alone (MCPWM0/1, PCNT, dedicated GPIO):
//!    set their `*_RST` bits, then
//! 3. release: clear every requested `*_RST` bit.
//!
//! SYSTIMER and APB_SARADC are **never reset**: ESP-IDF on core 0 runs esp_timer and the
//! FreeRTOS tick on SYSTIMER, and the SAR ADCs are shared with core 0 (ADC2, Wi-Fi's power
//! detection) — for them the hand-over only makes sure the clock runs and the reset is released.
//! The registers are shared with every ESP-IDF driver, which changes them under
//! `PERIPH_RCC_ATOMIC()`; call the hand-over before other tasks initialise drivers (the
//! component does it in `splitcore_idf_start`, before core 1 runs).

use crate::regs::Regs;

/// `SYSTEM_CPU_PERI_CLK_EN_REG` (`DR_REG_SYSTEM_BASE + 0x8`).
pub const CPU_PERI_CLK_EN: u32 = 0x600C_0008;
/// `SYSTEM_CPU_PERI_RST_EN_REG` (`DR_REG_SYSTEM_BASE + 0xC`).
pub const CPU_PERI_RST_EN: u32 = 0x600C_000C;
/// `SYSTEM_PERIP_CLK_EN0_REG` (`DR_REG_SYSTEM_BASE + 0x18`).
pub const PERIP_CLK_EN0: u32 = 0x600C_0018;
/// `SYSTEM_PERIP_RST_EN0_REG` (`DR_REG_SYSTEM_BASE + 0x20`).
pub const PERIP_RST_EN0: u32 = 0x600C_0020;

/// Bit 7 of the CPU_PERI registers: `SYSTEM_CLK_EN_DEDICATED_GPIO` / `SYSTEM_RST_EN_DEDICATED_GPIO`.
pub const DEDICATED_GPIO_BIT: u32 = 1 << 7;
/// Bit 10: `SYSTEM_PCNT_CLK_EN` / `SYSTEM_PCNT_RST`.
pub const PCNT_BIT: u32 = 1 << 10;
/// Bit 17: `SYSTEM_PWM0_CLK_EN` / `SYSTEM_PWM0_RST` (MCPWM0).
pub const PWM0_BIT: u32 = 1 << 17;
/// Bit 20: `SYSTEM_PWM1_CLK_EN` / `SYSTEM_PWM1_RST` (MCPWM1).
pub const PWM1_BIT: u32 = 1 << 20;
/// Bit 28: `SYSTEM_APB_SARADC_CLK_EN` / `SYSTEM_APB_SARADC_RST`.
pub const APB_SARADC_BIT: u32 = 1 << 28;
/// Bit 29: `SYSTEM_SYSTIMER_CLK_EN` / `SYSTEM_SYSTIMER_RST`.
pub const SYSTIMER_BIT: u32 = 1 << 29;

/// A set of peripherals handed to core 1 (the C ABI's `SPLITCORE_PERIPH_*` bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Peripherals(u32);

impl Peripherals {
    /// MCPWM0.
    pub const MCPWM0: Peripherals = Peripherals(1 << 0);
    /// MCPWM1.
    pub const MCPWM1: Peripherals = Peripherals(1 << 1);
    /// The pulse counter.
    pub const PCNT: Peripherals = Peripherals(1 << 2);
    /// The SAR ADC controller (clock and reset release only, never reset).
    pub const APB_SARADC: Peripherals = Peripherals(1 << 3);
    /// SYSTIMER (clock and reset release only, never reset: core 0 uses it).
    pub const SYSTIMER: Peripherals = Peripherals(1 << 4);
    /// The CPU-dedicated GPIO.
    pub const DEDICATED_GPIO: Peripherals = Peripherals(1 << 5);
    /// Every peripheral above.
    pub const ALL: Peripherals = Peripherals(0x3f);

    /// The set for a C mask, or `None` if it has unknown bits.
    pub const fn from_bits(bits: u32) -> Option<Self> {
        if bits & !Self::ALL.0 == 0 {
            Some(Peripherals(bits))
        } else {
            None
        }
    }

    /// The mask.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether all of `other` is in the set.
    pub const fn contains(self, other: Peripherals) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union.
    pub const fn union(self, other: Peripherals) -> Self {
        Peripherals(self.0 | other.0)
    }

    /// Bits of `SYSTEM_PERIP_CLK_EN0_REG` / `SYSTEM_PERIP_RST_EN0_REG` for the set, and the
    /// subset that is reset-pulsed.
    const fn perip0(self) -> (u32, u32) {
        let mut all = 0;
        let mut pulse = 0;
        if self.contains(Self::MCPWM0) {
            all |= PWM0_BIT;
            pulse |= PWM0_BIT;
        }
        if self.contains(Self::MCPWM1) {
            all |= PWM1_BIT;
            pulse |= PWM1_BIT;
        }
        if self.contains(Self::PCNT) {
            all |= PCNT_BIT;
            pulse |= PCNT_BIT;
        }
        if self.contains(Self::APB_SARADC) {
            all |= APB_SARADC_BIT;
        }
        if self.contains(Self::SYSTIMER) {
            all |= SYSTIMER_BIT;
        }
        (all, pulse)
    }
}

impl core::ops::BitOr for Peripherals {
    type Output = Peripherals;
    fn bitor(self, rhs: Peripherals) -> Peripherals {
        self.union(rhs)
    }
}

/// One register pair: clock on, optional reset pulse, reset released.
fn enable(regs: &mut impl Regs, clk: u32, rst: u32, all: u32, pulse: u32) {
    if all == 0 {
        return;
    }
    regs.modify(clk, |v| v | all);
    if pulse != 0 {
        regs.modify(rst, |v| v | pulse);
    }
    regs.modify(rst, |v| v & !all);
}

/// Enables the clocks and releases the resets of `set` (see the module docs for the order).
pub fn handover_peripherals(regs: &mut impl Regs, set: Peripherals) {
    let (all, pulse) = set.perip0();
    enable(regs, PERIP_CLK_EN0, PERIP_RST_EN0, all, pulse);
    if set.contains(Peripherals::DEDICATED_GPIO) {
        enable(regs, CPU_PERI_CLK_EN, CPU_PERI_RST_EN, DEDICATED_GPIO_BIT, DEDICATED_GPIO_BIT);
    }
}
