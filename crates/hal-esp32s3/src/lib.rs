//! The ESP32-S3 register backend of [`splitcore_hal`]: the peripherals a control loop on core 1
//! touches, driven directly through the `esp32s3` PAC (no esp-hal, no ESP-IDF).
//!
//! | driver | hardware | splitcore-hal trait |
//! |---|---|---|
//! | [`gpio::Output`], [`gpio::Input`] | GPIO matrix + IO_MUX, `GPIO_OUT_W1TS/W1TC` | `OutputPin`, `StatefulOutputPin`, `InputPin` |
//! | [`dedic::DedicatedOutputs`] | CPU-dedicated GPIO routing (`CORE1_GPIO_OUTn` matrix signals) | — (see the module: the writes need `ee.*`/`wur` instructions) |
//! | [`mcpwm::ComplementaryPwm`] | MCPWM timer + operator + generator + dead-time generator | `SetDutyCycle`, `PwmDuty` |
//! | [`pcnt::Quadrature`] | PCNT unit, both channels, x4, glitch filter, 16 → 32-bit extension | `QuadratureCounter` |
//! | [`adc::Adc1`] | SAR ADC1 one-shot through the RTC controller (SENS) | `AdcSample` |
//! | [`systimer::SysTimer`] | SYSTIMER counter (16 MHz) and comparator 1 | `TimeSource`, `TimerAlarm` |
//!
//! # Ownership
//!
//! [`Chip::take`] hands out the chip once (an atomic flag; `None` afterwards). Every driver is
//! created from the [`Chip`] and claims what it uses: a pin (bit in a pin mask) and a unit
//! (MCPWM operator, PCNT unit, ADC1, SYSTIMER comparator). A second claim of the same thing
//! fails with [`Error::PinInUse`] or [`Error::InUse`]; dropping the driver releases its claims
//! (the hardware keeps its last configuration: a dropped output keeps driving its level).
//! Pins are checked: numbers the S3 does not have (22–25, > 48) are [`Error::NoSuchPin`], the
//! SPI flash/PSRAM pins 26–32 are [`Error::FlashPin`], and with octal PSRAM 33–37 are
//! [`Error::OctalPsramPin`].
//!
//! Core 0 enables the bus clocks and releases the resets of the peripherals it hands over
//! (`splitcore_handover_peripherals` in splitcore-core0) before it starts core 1, and must not
//! use them afterwards. These drivers never touch SYSTEM clock/reset registers: those are
//! shared with every other peripheral core 0 uses.
//!
//! # Testing on the host
//!
//! Every driver holds `&pac::xxx::RegisterBlock` references. On the target they point at the
//! PAC's fixed addresses; on a host they point into [`ram::RamBlocks`], zeroed register files
//! in RAM with the same layout, so tests read back the exact register values a driver wrote.
//!
//! ```
//! use splitcore_hal_esp32s3::{ram::{peek, RamBlocks}, Chip, PsramMode};
//! use splitcore_hal::OutputPin;
//!
//! let ram = RamBlocks::new();
//! // SAFETY: the RAM register file is used by this chip only.
//! let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Quad) };
//! let mut led = chip.output(5, false).unwrap();
//! led.set_high().unwrap();
//! assert_eq!(peek(ram.gpio().out_w1ts()), 1 << 5);
//! assert!(chip.output(5, false).is_err()); // the pin is taken
//! ```

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

pub use esp32s3 as pac;

pub mod adc;
pub mod dedic;
pub mod gpio;
pub mod mcpwm;
pub mod pcnt;
pub mod ram;
pub mod systimer;

/// Why a driver could not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The S3 has no such GPIO (valid: 0–21 and 26–48).
    NoSuchPin(u8),
    /// GPIO 26–32 connect the SPI flash and PSRAM (SPICS1, SPIHD, SPIWP, SPICS0, SPICLK, SPIQ,
    /// SPID); driving them stops the cache.
    FlashPin(u8),
    /// GPIO 33–37 carry the upper data lines and DQS of octal PSRAM ([`PsramMode::Octal`]).
    OctalPsramPin(u8),
    /// Another driver owns this pin.
    PinInUse(u8),
    /// The pin has no ADC1 channel (ADC1 channel n is GPIO n + 1, n = 0..=9).
    NotAnAdc1Pin(u8),
    /// Another driver owns this unit.
    InUse(Unit),
    /// A unit index that does not exist (e.g. MCPWM operator 3, PCNT unit 4).
    NoSuchUnit(Unit),
    /// The requested PWM frequency cannot be produced (see [`mcpwm::PwmConfig`]).
    FrequencyOutOfRange {
        /// Requested frequency.
        hz: u32,
    },
    /// The dead time does not fit: more than 65535 ticks of the 80 MHz dead-time clock or at
    /// least half the PWM period.
    DeadTimeOutOfRange {
        /// Requested dead time.
        ns: u32,
    },
    /// The PCNT glitch filter is longer than 1023 APB cycles (12 787 ns at 80 MHz).
    FilterOutOfRange {
        /// Requested filter length.
        ns: u32,
    },
    /// A SYSTIMER alarm period of zero or above the comparator's 26-bit period field.
    PeriodOutOfRange {
        /// Requested period in SYSTIMER ticks.
        ticks: u32,
    },
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::NoSuchPin(p) => write!(f, "GPIO{p} does not exist on the ESP32-S3"),
            Error::FlashPin(p) => write!(f, "GPIO{p} is reserved for SPI flash/PSRAM"),
            Error::OctalPsramPin(p) => write!(f, "GPIO{p} is reserved for octal PSRAM"),
            Error::PinInUse(p) => write!(f, "GPIO{p} is already in use"),
            Error::NotAnAdc1Pin(p) => write!(f, "GPIO{p} has no ADC1 channel (GPIO1..=10)"),
            Error::InUse(u) => write!(f, "{u:?} is already in use"),
            Error::NoSuchUnit(u) => write!(f, "{u:?} does not exist"),
            Error::FrequencyOutOfRange { hz } => write!(f, "PWM frequency {hz} Hz out of range"),
            Error::DeadTimeOutOfRange { ns } => write!(f, "dead time {ns} ns out of range"),
            Error::FilterOutOfRange { ns } => write!(f, "PCNT filter {ns} ns out of range"),
            Error::PeriodOutOfRange { ticks } => write!(f, "alarm period {ticks} ticks out of range"),
        }
    }
}

impl core::error::Error for Error {}

/// A claimable unit of a peripheral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// MCPWM `unit` (0, 1), operator `operator` (0..=2) with its timer of the same number.
    Mcpwm {
        /// MCPWM0 or MCPWM1.
        unit: u8,
        /// Operator (and timer) index.
        operator: u8,
    },
    /// PCNT unit 0..=3.
    Pcnt(u8),
    /// SAR ADC1 (one conversion at a time).
    Adc1,
    /// The SYSTIMER counter read handshake (`SYSTIMER_UNITn_OP_REG`).
    SystimerCounter,
    /// SYSTIMER comparator 1 (the one ESP-IDF leaves free in a UNICORE build).
    SystimerAlarm,
    /// Core 1's CPU-dedicated GPIO channel 0..=7.
    Dedicated(u8),
}

impl Unit {
    /// Bit of this unit in the claim mask, or `None` if it does not exist.
    const fn bit(self) -> Option<u32> {
        match self {
            Unit::Mcpwm { unit, operator } if unit < 2 && operator < 3 => Some(1 << (unit * 3 + operator)),
            Unit::Pcnt(u) if u < 4 => Some(1 << (6 + u)),
            Unit::Adc1 => Some(1 << 10),
            Unit::SystimerCounter => Some(1 << 11),
            Unit::SystimerAlarm => Some(1 << 12),
            Unit::Dedicated(ch) if ch < 8 => Some(1 << (13 + ch)),
            _ => None,
        }
    }
}

/// Which PSRAM the module has: octal PSRAM (e.g. ESP32-S3-WROOM-1 N8R8) also takes GPIO 33–37.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PsramMode {
    /// No PSRAM or quad PSRAM: only GPIO 26–32 are reserved.
    Quad,
    /// Octal PSRAM: GPIO 33–37 are reserved too.
    Octal,
}

/// The highest GPIO number.
pub const MAX_GPIO: u8 = 48;

/// Checks a pin number: exists, not a flash/PSRAM pin.
///
/// ```
/// use splitcore_hal_esp32s3::{check_pin, Error, PsramMode};
/// assert_eq!(check_pin(21, PsramMode::Quad), Ok(21));
/// assert_eq!(check_pin(23, PsramMode::Quad), Err(Error::NoSuchPin(23)));
/// assert_eq!(check_pin(30, PsramMode::Quad), Err(Error::FlashPin(30)));
/// assert_eq!(check_pin(35, PsramMode::Quad), Ok(35));
/// assert_eq!(check_pin(35, PsramMode::Octal), Err(Error::OctalPsramPin(35)));
/// assert_eq!(check_pin(49, PsramMode::Quad), Err(Error::NoSuchPin(49)));
/// ```
pub const fn check_pin(pin: u8, psram: PsramMode) -> Result<u8, Error> {
    match pin {
        0..=21 => Ok(pin),
        22..=25 => Err(Error::NoSuchPin(pin)),
        26..=32 => Err(Error::FlashPin(pin)),
        33..=37 if matches!(psram, PsramMode::Octal) => Err(Error::OctalPsramPin(pin)),
        33..=MAX_GPIO => Ok(pin),
        _ => Err(Error::NoSuchPin(pin)),
    }
}

/// References to the register blocks the drivers use.
#[derive(Clone, Copy)]
pub struct Blocks<'a> {
    /// GPIO (`DR_REG_GPIO_BASE` 0x6000_4000).
    pub gpio: &'a pac::gpio::RegisterBlock,
    /// IO_MUX (0x6000_9000).
    pub io_mux: &'a pac::io_mux::RegisterBlock,
    /// MCPWM0 (0x6001_E000) and MCPWM1 (0x6002_C000).
    pub mcpwm: [&'a pac::mcpwm0::RegisterBlock; 2],
    /// PCNT (0x6001_7000).
    pub pcnt: &'a pac::pcnt::RegisterBlock,
    /// SENS, the RTC sensor/ADC controller (0x6000_8800).
    pub sens: &'a pac::sens::RegisterBlock,
    /// SYSTIMER (0x6002_3000).
    pub systimer: &'a pac::systimer::RegisterBlock,
}

impl Blocks<'static> {
    /// The ESP32-S3's own register blocks, at the PAC's addresses (Xtensa builds only). Making
    /// a [`Chip`] of them is up to the caller ([`Chip::take`], or [`Chip::new`] with its
    /// contract, e.g. once per boot of core 1).
    #[cfg(target_arch = "xtensa")]
    pub fn hardware() -> Self {
        // SAFETY: the PAC's addresses are the S3's peripheral register blocks: always mapped,
        // 4-aligned and valid for the program's life. Shared references to them only allow the
        // PAC's volatile register accesses.
        unsafe {
            Blocks {
                gpio: &*pac::GPIO::ptr(),
                io_mux: &*pac::IO_MUX::ptr(),
                mcpwm: [&*pac::MCPWM0::ptr(), &*pac::MCPWM1::ptr()],
                pcnt: &*pac::PCNT::ptr(),
                sens: &*pac::SENS::ptr(),
                systimer: &*pac::SYSTIMER::ptr(),
            }
        }
    }
}

impl core::fmt::Debug for Blocks<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Blocks")
            .field("gpio", &(self.gpio as *const _))
            .field("io_mux", &(self.io_mux as *const _))
            .field("mcpwm0", &(self.mcpwm[0] as *const _))
            .field("mcpwm1", &(self.mcpwm[1] as *const _))
            .field("pcnt", &(self.pcnt as *const _))
            .field("sens", &(self.sens as *const _))
            .field("systimer", &(self.systimer as *const _))
            .finish()
    }
}

/// The peripherals core 1 drives, with the claims of pins and units.
#[derive(Debug)]
pub struct Chip<'a> {
    blocks: Blocks<'a>,
    psram: PsramMode,
    claims: Claims,
}

/// Claimed pins and units (atomic bit masks; `compare_exchange` is an S32C1I loop on Xtensa).
#[derive(Debug)]
pub(crate) struct Claims {
    units: AtomicU32,
    pins: [AtomicU32; 2],
}

impl Claims {
    const fn new() -> Self {
        Claims { units: AtomicU32::new(0), pins: [AtomicU32::new(0), AtomicU32::new(0)] }
    }

    fn set(word: &AtomicU32, bit: u32) -> bool {
        word.fetch_or(bit, Ordering::AcqRel) & bit == 0
    }

    fn claim_unit(&self, unit: Unit) -> Result<UnitClaim<'_>, Error> {
        let bit = unit.bit().ok_or(Error::NoSuchUnit(unit))?;
        if Self::set(&self.units, bit) {
            Ok(UnitClaim { claims: self, bit })
        } else {
            Err(Error::InUse(unit))
        }
    }

    fn claim_pin(&self, pin: u8, psram: PsramMode) -> Result<PinClaim<'_>, Error> {
        let pin = check_pin(pin, psram)?;
        let word = &self.pins[(pin / 32) as usize];
        if Self::set(word, 1 << (pin % 32)) {
            Ok(PinClaim { claims: self, pin })
        } else {
            Err(Error::PinInUse(pin))
        }
    }
}

/// A claimed unit; released on drop.
#[derive(Debug)]
pub(crate) struct UnitClaim<'c> {
    claims: &'c Claims,
    bit: u32,
}

impl Drop for UnitClaim<'_> {
    fn drop(&mut self) {
        self.claims.units.fetch_and(!self.bit, Ordering::AcqRel);
    }
}

/// A claimed pin; released on drop.
#[derive(Debug)]
pub(crate) struct PinClaim<'c> {
    claims: &'c Claims,
    pin: u8,
}

impl Drop for PinClaim<'_> {
    fn drop(&mut self) {
        self.claims.pins[(self.pin / 32) as usize].fetch_and(!(1 << (self.pin % 32)), Ordering::AcqRel);
    }
}

static TAKEN: AtomicBool = AtomicBool::new(false);

impl Chip<'static> {
    /// The ESP32-S3's peripherals, once: `Some` the first time, `None` afterwards (and always
    /// `None` when not built for Xtensa, where no ESP32-S3 sits behind the PAC's addresses).
    ///
    /// ```
    /// use splitcore_hal_esp32s3::{Chip, PsramMode};
    /// if let Some(chip) = Chip::take(PsramMode::Quad) {
    ///     let _pwm_pin = chip.output(4, false);
    /// }
    /// assert!(Chip::take(PsramMode::Quad).is_none()); // never twice
    /// ```
    pub fn take(psram: PsramMode) -> Option<Self> {
        if TAKEN.swap(true, Ordering::AcqRel) {
            return None;
        }
        Self::hardware(psram)
    }

    #[cfg(target_arch = "xtensa")]
    fn hardware(psram: PsramMode) -> Option<Self> {
        // SAFETY: `TAKEN` makes this the only `Chip` built from the hardware blocks, so every
        // driver's claim goes through one `Claims`.
        Some(unsafe { Chip::new(Blocks::hardware(), psram) })
    }

    #[cfg(not(target_arch = "xtensa"))]
    fn hardware(_psram: PsramMode) -> Option<Self> {
        None
    }
}

impl<'a> Chip<'a> {
    /// A chip on `blocks` (e.g. [`ram::RamBlocks`] in host tests).
    ///
    /// # Safety
    /// No other `Chip` and no other code may access the registers of `blocks` while this chip
    /// or a driver made from it lives (the claims only coordinate drivers of this chip).
    pub const unsafe fn new(blocks: Blocks<'a>, psram: PsramMode) -> Self {
        Chip { blocks, psram, claims: Claims::new() }
    }

    /// The register blocks.
    pub fn blocks(&self) -> &Blocks<'a> {
        &self.blocks
    }

    /// The PSRAM mode the pin checks use.
    pub fn psram(&self) -> PsramMode {
        self.psram
    }

    pub(crate) fn claim_pin(&self, pin: u8) -> Result<PinClaim<'_>, Error> {
        self.claims.claim_pin(pin, self.psram)
    }

    pub(crate) fn claim_unit(&self, unit: Unit) -> Result<UnitClaim<'_>, Error> {
        self.claims.claim_unit(unit)
    }
}

/// Bounded polling of a hardware flag: at most `max_polls` reads.
#[inline]
pub(crate) fn poll_until(max_polls: u32, mut done: impl FnMut() -> bool) -> bool {
    let mut left = max_polls;
    loop {
        if done() {
            return true;
        }
        if left == 0 {
            return false;
        }
        left -= 1;
        core::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ram::RamBlocks;

    #[test]
    fn pins_are_checked_and_claimed_once() {
        let ram = RamBlocks::new();
        // SAFETY: private RAM register file.
        let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Octal) };
        assert_eq!(chip.claim_pin(22).err(), Some(Error::NoSuchPin(22)));
        assert_eq!(chip.claim_pin(26).err(), Some(Error::FlashPin(26)));
        assert_eq!(chip.claim_pin(32).err(), Some(Error::FlashPin(32)));
        assert_eq!(chip.claim_pin(33).err(), Some(Error::OctalPsramPin(33)));
        assert_eq!(chip.claim_pin(37).err(), Some(Error::OctalPsramPin(37)));
        assert_eq!(chip.claim_pin(200).err(), Some(Error::NoSuchPin(200)));
        let a = chip.claim_pin(38).unwrap();
        assert_eq!(chip.claim_pin(38).err(), Some(Error::PinInUse(38)));
        let b = chip.claim_pin(6).unwrap();
        assert_eq!(chip.claim_pin(6).err(), Some(Error::PinInUse(6)));
        drop(a);
        assert!(chip.claim_pin(38).is_ok());
        drop(b);
        assert!(chip.claim_pin(6).is_ok());
    }

    #[test]
    fn units_are_claimed_once_and_checked() {
        let ram = RamBlocks::new();
        // SAFETY: private RAM register file.
        let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Quad) };
        let u = Unit::Mcpwm { unit: 1, operator: 2 };
        let c = chip.claim_unit(u).unwrap();
        assert_eq!(chip.claim_unit(u).err(), Some(Error::InUse(u)));
        // Neighbours are independent.
        let _other = chip.claim_unit(Unit::Mcpwm { unit: 0, operator: 2 }).unwrap();
        let _p3 = chip.claim_unit(Unit::Pcnt(3)).unwrap();
        assert_eq!(chip.claim_unit(Unit::Pcnt(4)).err(), Some(Error::NoSuchUnit(Unit::Pcnt(4))));
        let bad = Unit::Mcpwm { unit: 2, operator: 0 };
        assert_eq!(chip.claim_unit(bad).err(), Some(Error::NoSuchUnit(bad)));
        drop(c);
        assert!(chip.claim_unit(u).is_ok());
    }

    #[test]
    fn unit_bits_are_distinct() {
        let mut all = 0u32;
        let mut units = [Unit::Adc1; 21];
        let mut i = 0;
        for unit in 0..2 {
            for operator in 0..3 {
                units[i] = Unit::Mcpwm { unit, operator };
                i += 1;
            }
        }
        for u in 0..4 {
            units[i] = Unit::Pcnt(u);
            i += 1;
        }
        units[i] = Unit::Adc1;
        units[i + 1] = Unit::SystimerCounter;
        units[i + 2] = Unit::SystimerAlarm;
        for ch in 0..8 {
            units[i + 3 + ch] = Unit::Dedicated(ch as u8);
        }
        for u in units {
            let bit = u.bit().unwrap();
            assert_eq!(all & bit, 0, "{u:?}");
            all |= bit;
        }
        assert_eq!(all.count_ones(), 21);
        assert_eq!(Unit::Dedicated(8).bit(), None);
    }

    #[test]
    fn take_is_none_on_the_host_and_never_twice() {
        // On the host the first take also returns None (no S3 behind the addresses), and
        // every later one must too.
        assert!(Chip::take(PsramMode::Quad).is_none());
        assert!(Chip::take(PsramMode::Quad).is_none());
        assert!(TAKEN.load(Ordering::Relaxed));
    }

    #[test]
    fn poll_until_is_bounded() {
        let mut n = 0;
        assert!(!poll_until(5, || {
            n += 1;
            false
        }));
        assert_eq!(n, 6);
        let mut m = 0;
        assert!(poll_until(5, || {
            m += 1;
            m == 3
        }));
    }
}
