//! SYSTIMER as core 1's free-running time base and alarm (ESP32-S3 TRM, chapter "System
//! Timer").
//!
//! # Counter
//!
//! The SYSTIMER counts at a fixed 16 MHz (XTAL 40 MHz × 2/5, independent of the CPU clock) in
//! two 52-bit counter units. ESP-IDF uses both on core 0 (unit 0: esp_timer; unit 1: the
//! FreeRTOS tick), so core 1 only **reads** a unit and never writes `SYSTIMER_CONF_REG`'s
//! counter bits. A unit's value is read through a handshake (`systimer_ll_counter_snapshot`):
//!
//! 1. `SYSTIMER_UNITn_OP_REG`: set `SYSTIMER_TIMER_UNITn_UPDATE` (bit 30) — a bit-field store,
//!    i.e. read-modify-write, as ESP-IDF's LL does;
//! 2. poll `SYSTIMER_TIMER_UNITn_VALUE_VALID` (bit 29) until set — bounded
//!    ([`MAX_VALID_POLLS`]);
//! 3. read `SYSTIMER_UNITn_VALUE_LO_REG` (and `_HI_REG`, bits 0:19).
//!
//! Core 0 may trigger a snapshot of the same unit between our steps; the snapshot then is
//! newer, never older, so the low word stays monotonic (wrapping). For the 52-bit value,
//! [`SysTimer::now_u64`] reads HI, LO, HI and retries if HI changed: an unchanged HI means LO
//! belongs to a snapshot with that HI. Unit 0 (esp_timer's wall clock) is the natural choice.
//! In a UNICORE build ESP-IDF lets both units stall while **core 0** is stalled (a debugger
//! halt: `TIMER_UNITn_CORE0_STALL_EN`) and never with core 1 (`systimer_hal_counter_can_stall_by_cpu`
//! in esp_timer_impl_systimer.c L176-180 and freertos/port_systick.c L91-106): core 1's time
//! base pauses while core 0 sits at a breakpoint. Counter and comparator numbers:
//! esp_private/systimer.h L30-34 (`SYSTIMER_COUNTER_ESPTIMER` 0, `SYSTIMER_COUNTER_OS_TICK` 1,
//! `SYSTIMER_ALARM_OS_TICK_CORE0` 0, `_CORE1` 1, `SYSTIMER_ALARM_ESPTIMER` 2).
//!
//! # Alarm
//!
//! Comparator 1 is left free by ESP-IDF in a UNICORE build (comparator 0: core 0's tick,
//! comparator 2: esp_timer). [`SysAlarm`] sets it up once (`SYSTIMER_TARGET1_CONF_REG`: target
//! mode, unit select; `SYSTIMER_CONF_REG` `TARGET1_WORK_EN` (bit 23); `SYSTIMER_INT_ENA_REG`
//! bit 1) — `SYSTIMER_CONF_REG` and `INT_ENA` are shared with core 0, so these two
//! read-modify-writes must not race core 0 changing them (do it before core 0 arms its own
//! alarms, or accept the one-time race). Each [`TimerAlarm::set_alarm`] then writes only
//! comparator 1's registers: `SYSTIMER_TARGET1_HI/LO_REG` and `SYSTIMER_COMP1_LOAD_REG` (the
//! target takes effect on the load). Routing the SYSTIMER_TARGET1 interrupt source to a core-1
//! CPU interrupt belongs to the interrupt matrix code (issue 8, item 2), not to this module.
//!
//! ```
//! use splitcore_hal_esp32s3::{ram::{poke, RamBlocks}, Chip, PsramMode, systimer::CounterUnit};
//! use splitcore_hal::TimeSource;
//!
//! let ram = RamBlocks::new();
//! // SAFETY: private RAM register file.
//! let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Quad) };
//! let timer = chip.systimer(CounterUnit::Unit0).unwrap();
//! // What the hardware shows after a snapshot: VALUE_VALID and the value.
//! poke(ram.systimer().unit_op(0), 1 << 29);
//! poke(ram.systimer().unit_value(0).lo(), 160_000);
//! assert_eq!(timer.now(), 160_000); // 10 ms at 16 MHz
//! assert_eq!(timer.ticks_per_second(), 16_000_000);
//! ```

use core::cell::Cell;

use splitcore_exec::{TimeSource, TimerAlarm};

use crate::{pac, Chip, Error, Unit, UnitClaim};

/// SYSTIMER counting rate.
pub const TICKS_PER_SECOND: u32 = 16_000_000;
/// Polls of `VALUE_VALID` before giving up on one snapshot (the sync takes a few 16 MHz
/// cycles; each poll is an APB read).
pub const MAX_VALID_POLLS: u32 = 1000;
/// An alarm is never set closer than this to the current count (1 µs), so the target is in the
/// future when it is loaded. (With the S3's alarm-miss compensation, which ESP-IDF enables, a
/// target already passed fires at once; this driver does not rely on either behaviour.)
pub const ALARM_MIN_LEAD: u64 = 16;
/// Mask of the 52-bit counter.
pub const COUNTER_MASK: u64 = (1 << 52) - 1;

const UPDATE: u32 = 1 << 30;
const VALID: u32 = 1 << 29;
const TARGET1_WORK_EN: u32 = 1 << 23;
const TARGET1_INT: u32 = 1 << 1;

/// Which counter unit to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterUnit {
    /// Unit 0 (ESP-IDF's esp_timer counter).
    Unit0 = 0,
    /// Unit 1 (ESP-IDF's FreeRTOS tick counter).
    Unit1 = 1,
}

/// The SYSTIMER snapshot handshake did not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotTimeout;

impl core::fmt::Display for SnapshotTimeout {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SYSTIMER VALUE_VALID did not come")
    }
}

impl core::error::Error for SnapshotTimeout {}

/// Asks for a snapshot of `op`'s counter unit (`UPDATE`) and waits, at most
/// [`MAX_VALID_POLLS`] polls, for `VALUE_VALID`; `false` if it did not come.
#[inline]
fn request_snapshot(op: &pac::systimer::UNIT_OP) -> bool {
    // SAFETY: sets UPDATE; VALUE_VALID (read-only) is written back unchanged.
    op.modify(|r, w| unsafe { w.bits(r.bits() | UPDATE) });
    crate::poll_until(MAX_VALID_POLLS, || op.read().bits() & VALID != 0)
}

fn now_u64(op: &pac::systimer::UNIT_OP, value: &pac::systimer::UNIT_VALUE) -> Result<u64, SnapshotTimeout> {
    for _ in 0..3 {
        if !request_snapshot(op) {
            return Err(SnapshotTimeout);
        }
        let hi = value.hi().read().bits() & 0xf_ffff;
        let lo = value.lo().read().bits();
        if value.hi().read().bits() & 0xf_ffff == hi {
            return Ok((hi as u64) << 32 | lo as u64);
        }
    }
    Err(SnapshotTimeout)
}

/// The SYSTIMER counter as a [`TimeSource`] (16 MHz, low 32 bits, wrapping every ~268 s).
pub struct SysTimer<'c> {
    unit: usize,
    op: &'c pac::systimer::UNIT_OP,
    value: &'c pac::systimer::UNIT_VALUE,
    stale: Cell<u32>,
    _claim: UnitClaim<'c>,
}

impl<'a> Chip<'a> {
    /// The SYSTIMER counter `unit`, read only (claims [`Unit::SystimerCounter`]).
    pub fn systimer(&self, unit: CounterUnit) -> Result<SysTimer<'_>, Error> {
        let claim = self.claim_unit(Unit::SystimerCounter)?;
        let st = self.blocks().systimer;
        let u = unit as usize;
        Ok(SysTimer {
            unit: u,
            op: st.unit_op(u),
            value: st.unit_value(u),
            stale: Cell::new(0),
            _claim: claim,
        })
    }

    /// SYSTIMER comparator 1 as an alarm on `unit` (claims [`Unit::SystimerAlarm`]); see the
    /// module docs for the one-time shared-register writes.
    pub fn systimer_alarm(&self, unit: CounterUnit) -> Result<SysAlarm<'_>, Error> {
        let claim = self.claim_unit(Unit::SystimerAlarm)?;
        let st = self.blocks().systimer;
        // SYSTIMER_TARGET1_CONF_REG: target (not period) mode, TIMER_UNIT_SEL = unit.
        st.target_conf(1)
            .write(|w| w.period_mode().clear_bit().timer_unit_sel().bit(unit == CounterUnit::Unit1));
        // SYSTIMER_CONF_REG.TARGET1_WORK_EN (bit 23); SYSTIMER_INT_ENA_REG.TARGET1 (bit 1).
        // SAFETY: sets one bit, keeps core 0's bits.
        st.conf().modify(|r, w| unsafe { w.bits(r.bits() | TARGET1_WORK_EN) });
        // SAFETY: as above.
        st.int_ena().modify(|r, w| unsafe { w.bits(r.bits() | TARGET1_INT) });
        Ok(SysAlarm { st, unit: unit as usize, _claim: claim })
    }
}

impl SysTimer<'_> {
    /// The full 52-bit count.
    pub fn now_u64(&self) -> Result<u64, SnapshotTimeout> {
        now_u64(self.op, self.value)
    }

    /// How many [`now`](TimeSource::now) calls returned an unconfirmed (possibly old) low
    /// word because `VALUE_VALID` did not come within [`MAX_VALID_POLLS`].
    pub fn stale_reads(&self) -> u32 {
        self.stale.get()
    }
}

impl TimeSource for SysTimer<'_> {
    /// Snapshot handshake, then `SYSTIMER_UNITn_VALUE_LO_REG`.
    #[inline]
    fn now(&self) -> u32 {
        if !request_snapshot(self.op) {
            self.stale.set(self.stale.get().wrapping_add(1));
        }
        self.value.lo().read().bits()
    }

    #[inline]
    fn ticks_per_second(&self) -> u32 {
        TICKS_PER_SECOND
    }
}

/// SYSTIMER comparator 1 (see the module docs).
pub struct SysAlarm<'c> {
    st: &'c pac::systimer::RegisterBlock,
    unit: usize,
    _claim: UnitClaim<'c>,
}

/// The 52-bit target for a 32-bit deadline `at` seen from the 52-bit `now`: `at` is taken as
/// the instant nearest to `now` (within ±2^31 ticks, as everywhere in splitcore-exec), and
/// moved to `now + ALARM_MIN_LEAD` when it is not at least that far ahead.
///
/// ```
/// use splitcore_hal_esp32s3::systimer::alarm_target;
/// assert_eq!(alarm_target(0x1_0000_0000, 1000), 0x1_0000_03E8);
/// assert_eq!(alarm_target(0x1_FFFF_FF00, 0x10), 0x2_0000_0010); // across a low-word wrap
/// assert_eq!(alarm_target(0x1_0000_1000, 0x0F00), 0x1_0000_1010); // passed: now + 16
/// ```
pub const fn alarm_target(now: u64, at: u32) -> u64 {
    let ahead = splitcore_exec::ticks_until(now as u32, at) as i64;
    let lead = if ahead < ALARM_MIN_LEAD as i64 { ALARM_MIN_LEAD as i64 } else { ahead };
    (now as i64 + lead) as u64 & COUNTER_MASK
}

impl SysAlarm<'_> {
    /// Arms comparator 1 at the 52-bit count `target`: `SYSTIMER_TARGET1_HI_REG` (bits 0:19),
    /// `SYSTIMER_TARGET1_LO_REG`, then `SYSTIMER_COMP1_LOAD_REG` = 1.
    pub fn set_target(&mut self, target: u64) {
        let t = self.st.trgt(1);
        // SAFETY: 20-bit and 32-bit halves of the target.
        t.hi().write(|w| unsafe { w.bits((target >> 32) as u32 & 0xf_ffff) });
        // SAFETY: as above.
        t.lo().write(|w| unsafe { w.bits(target as u32) });
        self.st.comp_load(1).write(|w| w.load().set_bit());
    }

    /// Whether the alarm fired (`SYSTIMER_INT_RAW_REG` bit 1).
    pub fn fired(&self) -> bool {
        self.st.int_raw().read().bits() & TARGET1_INT != 0
    }

    /// Acknowledges it (`SYSTIMER_INT_CLR_REG` bit 1; write-1-to-clear, other bits 0).
    pub fn clear(&mut self) {
        // SAFETY: only comparator 1's clear bit.
        self.st.int_clr().write(|w| unsafe { w.bits(TARGET1_INT) });
    }
}

impl TimerAlarm for SysAlarm<'_> {
    /// Arms the alarm at the low word `at` (see [`alarm_target`]). If the counter cannot be
    /// read (snapshot timeout) the target is set from the last snapshot value plus `at`'s
    /// distance, which is at worst early: the executive re-checks the time when it fires.
    fn set_alarm(&mut self, at: u32) {
        let value = self.st.unit_value(self.unit);
        let now = match now_u64(self.st.unit_op(self.unit), value) {
            Ok(now) => now,
            Err(SnapshotTimeout) => {
                ((value.hi().read().bits() & 0xf_ffff) as u64) << 32 | value.lo().read().bits() as u64
            }
        };
        self.set_target(alarm_target(now, at));
    }
}

impl core::fmt::Debug for SysTimer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SysTimer")
            .field("unit", &self.unit)
            .field("stale", &self.stale)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for SysAlarm<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SysAlarm").field("unit", &self.unit).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ram::{peek, poke, RamBlocks};

    use crate::ram::test_chip as chip;

    #[test]
    fn now_requests_a_snapshot_and_reads_the_low_word() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let timer = chip.systimer(CounterUnit::Unit1).unwrap();
        let st = ram.systimer();
        poke(st.unit_op(1), VALID);
        poke(st.unit_value(1).lo(), 0xdead_beef);
        poke(st.unit_value(1).hi(), 0x1234);
        poke(st.unit_value(0).lo(), 7);
        assert_eq!(timer.now(), 0xdead_beef);
        assert_eq!(st.unit_op(1).read().bits() & UPDATE, UPDATE, "update requested");
        assert_eq!(st.unit_op(0).read().bits(), 0, "unit 0 untouched");
        assert_eq!(timer.now_u64(), Ok(0x1234_dead_beef));
        assert_eq!(timer.stale_reads(), 0);
    }

    #[test]
    fn a_missing_valid_bit_is_bounded_and_counted() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let timer = chip.systimer(CounterUnit::Unit0).unwrap();
        poke(ram.systimer().unit_value(0).lo(), 99);
        assert_eq!(timer.now(), 99);
        assert_eq!(timer.stale_reads(), 1);
        assert_eq!(timer.now_u64(), Err(SnapshotTimeout));
    }

    #[test]
    fn alarm_setup_and_arming() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let st = ram.systimer();
        // Core 0's state: unit 0 and 1 on, comparators 0 and 2 on (reset 0x4600_0000 + IDF).
        poke(st.conf(), 0x4600_0000 | 1 << 24 | 1 << 22);
        poke(st.int_ena(), 0b101);
        let mut alarm = chip.systimer_alarm(CounterUnit::Unit0).unwrap();
        assert_eq!(st.conf().read().bits(), 0x4600_0000 | 1 << 24 | 1 << 23 | 1 << 22);
        assert_eq!(st.int_ena().read().bits(), 0b111);
        assert_eq!(st.target_conf(1).read().bits(), 0, "target mode, unit 0");
        poke(st.unit_op(0), VALID);
        poke(st.unit_value(0).hi(), 0x2);
        poke(st.unit_value(0).lo(), 0xffff_ff00);
        alarm.set_alarm(0x40); // 0x140 ticks ahead, across the low-word wrap
        assert_eq!(st.trgt(1).hi().read().bits(), 0x3);
        assert_eq!(st.trgt(1).lo().read().bits(), 0x40);
        assert_eq!(peek(st.comp_load(1)), 1);
        assert_eq!(st.trgt(0).lo().read().bits(), 0, "comparator 0 untouched");
        // A deadline already passed is moved to now + 16.
        alarm.set_alarm(0xffff_fe00);
        assert_eq!((st.trgt(1).hi().read().bits(), st.trgt(1).lo().read().bits()), (0x2, 0xffff_ff10));
        poke(st.int_raw(), 0b010);
        assert!(alarm.fired());
        alarm.clear();
        assert_eq!(peek(st.int_clr()), 0b010);
    }

    #[test]
    fn unit1_alarm_selects_unit1_and_claims_once() {
        let ram = RamBlocks::new();
        let chip = chip(&ram);
        let _a = chip.systimer_alarm(CounterUnit::Unit1).unwrap();
        assert_eq!(ram.systimer().target_conf(1).read().bits(), 1 << 31);
        assert_eq!(chip.systimer_alarm(CounterUnit::Unit0).err(), Some(Error::InUse(Unit::SystimerAlarm)));
        let _t = chip.systimer(CounterUnit::Unit0).unwrap();
        assert_eq!(chip.systimer(CounterUnit::Unit0).err(), Some(Error::InUse(Unit::SystimerCounter)));
    }

    #[test]
    fn alarm_target_wraps_the_52_bit_counter() {
        assert_eq!(alarm_target(COUNTER_MASK - 4, 20), 20);
        assert_eq!(alarm_target(5, 5), 5 + ALARM_MIN_LEAD);
        assert_eq!(alarm_target(5, 21), 21);
        assert_eq!(alarm_target(5, 20), 21);
    }
}
