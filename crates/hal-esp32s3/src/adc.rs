//! SAR ADC1 one-shot conversions (ESP32-S3 TRM, chapter "On-Chip Sensors and Analog Signal
//! Processing").
//!
//! # Which controller
//!
//! The S3's `APB_SARADC` block has no one-shot register (the C3's `APB_SARADC_ONETIME_SAMPLE_REG`
//! does not exist on the S3; the PAC's `apb_saradc` has only the DMA pattern-table controller).
//! ESP-IDF's own one-shot driver on the S3 therefore uses the **RTC controller** in SENS
//! (`hal/esp32s3/include/hal/adc_ll.h`, `adc_oneshot_ll_*`), and so does this driver:
//!
//! setup ([`Chip::adc1`]):
//! 1. `SENS_SAR_PERI_CLK_GATE_CONF_REG`: `SENS_SARADC_CLK_EN` (bit 30), read-modify-write;
//! 2. `SENS_SAR_POWER_XPD_SAR_REG`: `SENS_FORCE_XPD_SAR` (bits 29:30) = 3, powered by software
//!    (steps 1–2 are `sar_ctrl_ll_set_power_mode(SAR_CTRL_LL_POWER_ON)`);
//! 3. `SENS_SAR_MEAS1_MUX_REG`: `SENS_SAR1_DIG_FORCE` (bit 31) = 0, ADC1 belongs to the RTC
//!    controller (`adc_ll_set_controller(ADC_UNIT_1, ADC_LL_CTRL_RTC)`);
//! 4. `SENS_SAR_MEAS1_CTRL2_REG`: `SENS_MEAS1_START_FORCE` (bit 18) and `SENS_SAR1_EN_PAD_FORCE`
//!    (bit 31): start and channel selection by software;
//! 5. `SENS_SAR_READER1_CTRL_REG`: `SENS_SAR1_CLK_DIV` (bits 0:7) = 1
//!    (`ADC_LL_SAR_CLK_DIV_DEFAULT`), `SENS_SAR1_DATA_INV` (bit 28) = 0;
//! 6. `SENS_SAR_ATTEN1_REG`: 2 bits per channel (0: 0 dB … 3: 12 dB);
//! 7. the pad (IO_MUX): input buffer and pulls off.
//!
//! conversion ([`AdcSample::read_raw`], as
//! `adc_oneshot_ll_start` / `_get_event` / `_get_raw_result`):
//! 1. wait until `SENS_SAR_SLAVE_ADDR1_REG` `SENS_MEAS_STATUS` (bits 22:29) is 0 — bounded:
//!    [`AdcError::Busy`];
//! 2. `SENS_SAR1_EN_PAD` (bits 19:30) = 1 << channel;
//! 3. `SENS_MEAS1_START_SAR` (bit 17) 0 then 1;
//! 4. poll `SENS_MEAS1_DONE_SAR` (bit 16) — bounded by [`AdcConfig::max_polls`]:
//!    [`AdcError::Timeout`], never a hang;
//! 5. `SENS_MEAS1_DATA_SAR` (bits 0:15), 12 bits ([`AdcError::Invalid`] above 4095).
//!
//! # Calibration and what core 0 must have done
//!
//! The per-chip calibration (eFuse `ADC1_INIT_CODE_ATTENn` written to the analog SAR through
//! the internal I2C bus, and the eFuse curve fitting of `esp_adc_cal`) needs ROM/`regi2c`
//! routines that are not available to core 1 here. Millivolts come from a
//! [`LinearAdcCalibration`]: by default the nominal input range of the attenuation
//! ([`Attenuation::nominal`], ESP-IDF's documented S3 ranges), or one core 0 computed with
//! `adc_cali_*` and passed over. Accuracy of the nominal line: a few percent, uncalibrated.
//! Core 0 must enable the `APB_SARADC` bus clock and release its reset (the hand-over mask)
//! and should have run one ESP-IDF ADC1 one-shot setup once (`adc_oneshot_new_unit`) so the
//! analog init code is programmed; the RTC_IO pad mux (`rtc_gpio_init`) is not written by
//! this driver. ESP-IDF's `sar_periph_ctrl` on core 0 writes the same two power registers
//! (Wi-Fi's power detection, its own ADC use) and returns the SAR to FSM control when its
//! reference count drops, so core 0 must keep the SAR powered while core 1 converts (e.g. hold
//! `sar_periph_ctrl_adc_oneshot_power_acquire()`). None of this is verified on hardware.
//!
//! ```
//! use splitcore_hal_esp32s3::{ram::RamBlocks, Chip, PsramMode, adc::{AdcConfig, AdcError, Attenuation}};
//! use splitcore_hal::AdcSample;
//!
//! let ram = RamBlocks::new();
//! // SAFETY: private RAM register file.
//! let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Quad) };
//! let mut adc = chip.adc1(3, AdcConfig::new(Attenuation::Db12)).unwrap(); // GPIO3 = ADC1_CH2
//! assert_eq!(adc.read_raw(), Err(AdcError::Timeout)); // nothing sets DONE in a RAM register file
//! // What the hardware shows after a conversion: DONE (bit 16) and the data.
//! ram.sens().sar_meas1_ctrl2().modify(|r, w| unsafe { w.bits(r.bits() | 1 << 16 | 2048) });
//! assert_eq!(adc.read_raw(), Ok(2048));
//! assert_eq!(adc.raw_to_millivolts(2048), 1550);
//! ```

use splitcore_hal::{AdcSample, LinearAdcCalibration};

use crate::{gpio, pac, Chip, Error, PinClaim, Unit, UnitClaim};

/// Largest raw code (12 bits).
pub const MAX_RAW: u16 = 4095;
/// Default bound on status polls (each an APB read, ~0.1–0.2 µs): far above a conversion's
/// few tens of µs.
pub const DEFAULT_MAX_POLLS: u32 = 100_000;

const DONE: u32 = 1 << 16;
const START: u32 = 1 << 17;
const START_FORCE: u32 = 1 << 18;
const EN_PAD_SHIFT: u32 = 19;
const EN_PAD_MASK: u32 = 0xfff << EN_PAD_SHIFT;
const EN_PAD_FORCE: u32 = 1 << 31;
const MEAS_STATUS_SHIFT: u32 = 22;
const MEAS_STATUS_MASK: u32 = 0xff << MEAS_STATUS_SHIFT;

/// Input attenuation (`SENS_SAR_ATTEN1_REG`, 2 bits per channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attenuation {
    /// 0 dB: about 0–950 mV.
    Db0 = 0,
    /// 2.5 dB: about 0–1250 mV.
    Db2_5 = 1,
    /// 6 dB: about 0–1750 mV.
    Db6 = 2,
    /// 12 dB (called 11 dB in older documents): about 0–3100 mV.
    Db12 = 3,
}

impl Attenuation {
    /// The nominal, uncalibrated input range as a line from 0 mV (ESP-IDF's ADC oneshot
    /// documentation for the ESP32-S3).
    ///
    /// ```
    /// use splitcore_hal_esp32s3::adc::Attenuation;
    /// assert_eq!(Attenuation::Db6.nominal().millivolts(4095), 1750);
    /// ```
    pub const fn nominal(self) -> LinearAdcCalibration {
        let full_scale_mv = match self {
            Attenuation::Db0 => 950,
            Attenuation::Db2_5 => 1250,
            Attenuation::Db6 => 1750,
            Attenuation::Db12 => 3100,
        };
        LinearAdcCalibration { max_raw: MAX_RAW, full_scale_mv, offset_mv: 0 }
    }
}

/// ADC1 channel settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdcConfig {
    /// Input attenuation.
    pub attenuation: Attenuation,
    /// Raw-to-millivolt line.
    pub calibration: LinearAdcCalibration,
    /// Status polls before [`AdcError::Busy`] / [`AdcError::Timeout`].
    pub max_polls: u32,
}

impl AdcConfig {
    /// `attenuation` with its nominal calibration and [`DEFAULT_MAX_POLLS`].
    pub const fn new(attenuation: Attenuation) -> Self {
        AdcConfig { attenuation, calibration: attenuation.nominal(), max_polls: DEFAULT_MAX_POLLS }
    }
}

/// Why a conversion failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdcError {
    /// The RTC controller stayed busy (`SENS_MEAS_STATUS` != 0); nothing was started.
    Busy,
    /// `SENS_MEAS1_DONE_SAR` did not rise within `max_polls` reads.
    Timeout,
    /// A data word above 12 bits.
    Invalid(u16),
}

impl core::fmt::Display for AdcError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AdcError::Busy => f.write_str("ADC1 RTC controller busy"),
            AdcError::Timeout => f.write_str("ADC1 conversion timed out"),
            AdcError::Invalid(raw) => write!(f, "ADC1 returned an invalid code {raw:#x}"),
        }
    }
}

impl core::error::Error for AdcError {}

/// One ADC1 channel (ADC1 is claimed as a whole: one conversion at a time).
pub struct Adc1<'c> {
    sens: &'c pac::sens::RegisterBlock,
    channel: u8,
    config: AdcConfig,
    _unit: UnitClaim<'c>,
    _pin: PinClaim<'c>,
}

impl<'a> Chip<'a> {
    /// Claims ADC1 and `pin` (GPIO1..=10, ADC1 channel `pin - 1`) and sets up the RTC
    /// controller (module docs).
    pub fn adc1(&self, pin: u8, config: AdcConfig) -> Result<Adc1<'_>, Error> {
        if !(1..=10).contains(&pin) {
            crate::check_pin(pin, self.psram())?;
            return Err(Error::NotAnAdc1Pin(pin));
        }
        let unit = self.claim_unit(Unit::Adc1)?;
        let claim = self.claim_pin(pin)?;
        let channel = pin - 1;
        let sens = self.blocks().sens;
        // 1. SENS_SAR_PERI_CLK_GATE_CONF_REG.SENS_SARADC_CLK_EN.
        sens.sar_peri_clk_gate_conf().modify(|_, w| w.saradc_clk_en().set_bit());
        // 2. SENS_SAR_POWER_XPD_SAR_REG.SENS_FORCE_XPD_SAR = 3 (power up, software).
        // SAFETY: 2-bit field, 3 = forced on.
        sens.sar_power_xpd_sar().modify(|_, w| unsafe { w.force_xpd_sar().bits(3) });
        // 3. SENS_SAR_MEAS1_MUX_REG.SENS_SAR1_DIG_FORCE = 0: RTC controller.
        sens.sar_meas1_mux().modify(|_, w| w.sar1_dig_force().clear_bit());
        // 4. Software start and channel selection.
        // SAFETY: sets the two FORCE bits, keeps the rest.
        sens.sar_meas1_ctrl2().modify(|r, w| unsafe { w.bits(r.bits() | START_FORCE | EN_PAD_FORCE) });
        // 5. Clock divider 1, data not inverted.
        sens.sar_reader1_ctrl().modify(|_, w| {
            // SAFETY: 8-bit divider.
            unsafe { w.sar_sar1_clk_div().bits(1) };
            w.sar_sar1_data_inv().clear_bit()
        });
        // 6. Attenuation of this channel.
        let shift = 2 * channel as u32;
        sens.sar_atten1().modify(|r, w| {
            let v = r.bits() & !(3 << shift) | (config.attenuation as u32) << shift;
            // SAFETY: 2 bits per channel, any value valid.
            unsafe { w.bits(v) }
        });
        // 7. Pad: no digital input buffer, no pulls.
        self.blocks().io_mux.gpio(pin as usize).modify(|_, w| {
            // SAFETY: function 2 (GPIO), a valid MCU_SEL value.
            unsafe { w.mcu_sel().bits(gpio::PIN_FUNC_GPIO) };
            w.fun_ie().clear_bit().fun_wpu().clear_bit().fun_wpd().clear_bit()
        });
        Ok(Adc1 { sens, channel, config, _unit: unit, _pin: claim })
    }
}

impl Adc1<'_> {
    /// ADC1 channel number (GPIO − 1).
    pub fn channel(&self) -> u8 {
        self.channel
    }
}

impl AdcSample for Adc1<'_> {
    type Error = AdcError;

    fn read_raw(&mut self) -> Result<u16, AdcError> {
        let sens = self.sens;
        let polls = self.config.max_polls;
        if !crate::poll_until(polls, || sens.sar_slave_addr1().read().bits() & MEAS_STATUS_MASK == 0) {
            return Err(AdcError::Busy);
        }
        let pad = 1u32 << (EN_PAD_SHIFT + self.channel as u32);
        let ctrl2 = sens.sar_meas1_ctrl2();
        // SAFETY: SAR1_EN_PAD one-hot (bits 19:30), everything else kept.
        ctrl2.modify(|r, w| unsafe { w.bits(r.bits() & !EN_PAD_MASK | pad) });
        // SAFETY: clears MEAS1_START_SAR only.
        ctrl2.modify(|r, w| unsafe { w.bits(r.bits() & !START) });
        // SAFETY: sets MEAS1_START_SAR only.
        ctrl2.modify(|r, w| unsafe { w.bits(r.bits() | START) });
        let mut value = 0;
        if !crate::poll_until(polls, || {
            value = ctrl2.read().bits();
            value & DONE != 0
        }) {
            return Err(AdcError::Timeout);
        }
        let raw = value as u16;
        if raw > MAX_RAW {
            return Err(AdcError::Invalid(raw));
        }
        Ok(raw)
    }

    fn raw_to_millivolts(&self, raw: u16) -> u16 {
        self.config.calibration.millivolts(raw)
    }
}

impl core::fmt::Debug for Adc1<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Adc1")
            .field("channel", &self.channel)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ram::{poke, RamBlocks};

    use crate::ram::test_chip as chip;

    #[test]
    fn setup_writes_the_rtc_controller_registers() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let s = ram.sens();
        poke(s.sar_atten1(), 0xffff_ffff); // reset value: 12 dB everywhere
        poke(s.sar_meas1_mux(), 1 << 31); // as if the DIG controller had it
        let adc = chip.adc1(10, AdcConfig::new(Attenuation::Db0)).unwrap();
        assert_eq!(adc.channel(), 9);
        assert_eq!(s.sar_peri_clk_gate_conf().read().bits(), 1 << 30);
        assert_eq!(s.sar_power_xpd_sar().read().bits(), 3 << 29);
        assert_eq!(s.sar_meas1_mux().read().bits(), 0);
        assert_eq!(s.sar_meas1_ctrl2().read().bits(), 1 << 18 | 1 << 31);
        assert_eq!(s.sar_reader1_ctrl().read().bits(), 1);
        // Channel 9's two bits (18:19) cleared for 0 dB, the others kept.
        assert_eq!(s.sar_atten1().read().bits(), 0xfff3_ffff);
        assert_eq!(ram.io_mux().gpio(10).read().bits(), 1 << 12);
    }

    #[test]
    fn conversion_selects_the_pad_starts_and_reads_the_data() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let mut adc = chip.adc1(1, AdcConfig::new(Attenuation::Db12)).unwrap(); // channel 0
        let ctrl2 = ram.sens().sar_meas1_ctrl2();
        // A previous channel selection must be replaced, not ORed.
        poke(ctrl2, ctrl2.read().bits() | 1 << (19 + 5));
        // The conversion result as the hardware would present it.
        poke(ctrl2, ctrl2.read().bits() | DONE | 1234);
        assert_eq!(adc.read_raw(), Ok(1234));
        let v = ctrl2.read().bits();
        assert_eq!(v & EN_PAD_MASK, 1 << 19, "only channel 0 selected");
        assert_eq!(v & START, START, "conversion started");
        assert_eq!(v & (START_FORCE | EN_PAD_FORCE), START_FORCE | EN_PAD_FORCE);
        assert_eq!(adc.read_millivolts(), Ok(934)); // 1234 * 3100 / 4095
    }

    #[test]
    fn timeouts_and_bad_data_are_errors_not_hangs() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let mut cfg = AdcConfig::new(Attenuation::Db6);
        cfg.max_polls = 50;
        let mut adc = chip.adc1(5, cfg).unwrap();
        assert_eq!(adc.read_raw(), Err(AdcError::Timeout));
        assert_ne!(ram.sens().sar_meas1_ctrl2().read().bits() & START, 0, "it did start");
        // Controller busy: nothing is started.
        poke(ram.sens().sar_meas1_ctrl2(), START_FORCE | EN_PAD_FORCE);
        poke(ram.sens().sar_slave_addr1(), 1 << 22);
        assert_eq!(adc.read_raw(), Err(AdcError::Busy));
        assert_eq!(ram.sens().sar_meas1_ctrl2().read().bits(), START_FORCE | EN_PAD_FORCE);
        poke(ram.sens().sar_slave_addr1(), 0);
        poke(ram.sens().sar_meas1_ctrl2(), ram.sens().sar_meas1_ctrl2().read().bits() | DONE | 0x1000);
        assert_eq!(adc.read_raw(), Err(AdcError::Invalid(0x1000)));
    }

    #[test]
    fn pins_and_claims() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let cfg = AdcConfig::new(Attenuation::Db12);
        assert_eq!(chip.adc1(0, cfg).err(), Some(Error::NotAnAdc1Pin(0)));
        assert_eq!(chip.adc1(11, cfg).err(), Some(Error::NotAnAdc1Pin(11)));
        assert_eq!(chip.adc1(23, cfg).err(), Some(Error::NoSuchPin(23)));
        assert_eq!(chip.adc1(30, cfg).err(), Some(Error::FlashPin(30)));
        let a = chip.adc1(2, cfg).unwrap();
        assert_eq!(chip.adc1(3, cfg).err(), Some(Error::InUse(Unit::Adc1)));
        drop(a);
        let _led = chip.output(3, false).unwrap();
        assert_eq!(chip.adc1(3, cfg).err(), Some(Error::PinInUse(3)));
    }

    #[test]
    fn nominal_calibrations() {
        assert_eq!(Attenuation::Db0.nominal().millivolts(4095), 950);
        assert_eq!(Attenuation::Db2_5.nominal().millivolts(0), 0);
        assert_eq!(Attenuation::Db12.nominal().millivolts(2048), 1550);
    }
}
