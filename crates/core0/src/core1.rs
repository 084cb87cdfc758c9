//! Starting, stopping and holding core 1; the doorbells; the shutdown path.
//!
//! # Start order (and where it differs from ESP-IDF's)
//!
//! ESP-IDF's `start_other_core()` (FACTS §1, components/esp_system/port/cpu_start.c) does:
//! `esp_cpu_unstall(1)` (L329), `cpu_utility_ll_enable_clock_and_reset_app_cpu()` (L335; set
//! CLKGATE_EN, clear RUNSTALL, set then clear RESETING — cpu_utility_ll.h L87-95), and only then
//! `ets_set_appcpu_boot_addr(call_start_cpu1)` (L338). FACTS §1 item 5 notes that the boot
//! address is therefore set *after* the reset is released, which works only if the ROM on
//! core 1 polls for it (an inference, the ROM source is not public).
//!
//! In a UNICORE build core 1 is **out of reset** and held only by RUNSTALL (FACTS §1,
//! cpu_start.c L735-746 clears RESETING). IDF's bit order (clear RUNSTALL, *then* pulse
//! RESETING) was written for a core that sits in reset (RESETING defaults to 1); applied to the
//! UNICORE state it lets core 1 execute ROM code for a few cycles between the RUNSTALL clear and
//! the reset pulse — and with the boot address already set (esp-hal's order, FACTS §10) it could
//! even enter our trampoline, attach, and be reset half-way (the recording fake showed two
//! releases per start with that order). So [`release_core1`] does:
//!
//! 1. `esp_cpu_unstall(1)` — IDF's first step (L329); core 1 is still held by RUNSTALL;
//! 2. set CLKGATE_EN — IDF's LL step 1;
//! 3. set RESETING — core 1 is now held in reset as well (IDF's pulse, started earlier);
//! 4. clear RUNSTALL — IDF's LL step 2, harmless while in reset;
//! 5. `ets_set_appcpu_boot_addr(entry)` — before the reset is released, like esp-hal's
//!    `start_core1()` (FACTS §10, cpu_control.rs L80-97), so the start is correct whether the
//!    ROM polls CONTROL_1 or reads it once; CONTROL_1 is a SYSTEM register, not part of the core;
//! 6. clear RESETING — the single moment core 1 starts, at the ROM reset vector.
//!
//! Every step IDF performs is performed, with the same values; only the RESETING assertion
//! moves before the RUNSTALL release and the boot address before the reset release.
//!
//! # Is core 1 idle?
//!
//! esp-hal's `is_running` (FACTS §10, cpu_control.rs L39-78) treats CLKGATE_EN = 0 as "not
//! running". On the S3 the core-1 clock gate does not work (`SOC_APPCPU_HAS_CLOCK_GATING_BUG`,
//! FACTS §1), so [`core1_is_held`] ignores CLKGATE_EN: core 1 is held iff RUNSTALL is set,
//! RESETING is set, or the RTC software stall pattern `{C1, C0}` equals 0x86.
//!
//! # Holding core 1
//!
//! [`hold_core1`] leaves core 1 exactly as a UNICORE boot does (FACTS §1, cpu_start.c L735-746:
//! CLKGATE_EN clear, RUNSTALL set, RESETING clear), with a reset pulse in between so nothing of
//! the old program survives in the core, and the boot address cleared (as `esp_restart_noos`
//! does in multi-core builds, system_internal.c L146-149). A later [`release_core1`] therefore
//! always starts from the same state, and IDF's "act only if CLKGATE_EN is 0" condition holds.

use core::sync::atomic::Ordering;

use splitcore_ipc::{ChannelId, Frames, Layout, Region, RegionMem};
use splitcore_proto::control::{ControlBlock, Status, PROTOCOL_VERSION};
use splitcore_proto::crash::{Crash, CrashRecord, DecodeError};

use crate::log::LogForwarder;
use crate::regs::*;

/// Whether core 1 is held (cannot execute): RUNSTALL or RESETING set, or RTC-stalled.
pub fn core1_is_held(regs: &mut impl Regs) -> bool {
    let c0 = regs.read(CORE_1_CONTROL_0);
    if c0 & (RUNSTALL | RESETING) != 0 {
        return true;
    }
    let sw_cpu_stall = regs.read(RTC_CNTL_SW_CPU_STALL);
    rtc_stall_holds_core1(sw_cpu_stall, regs.read(RTC_CNTL_OPTIONS0))
}

/// Whether the RTC software stall holds core 1, from the values of `RTC_CNTL_SW_CPU_STALL`
/// and `RTC_CNTL_OPTIONS0`: its C1 and C0 fields together read [`SW_STALL_PATTERN`].
/// (Register models that keep the raw values use this to tell whether core 1 may run.)
pub fn rtc_stall_holds_core1(sw_cpu_stall: u32, options0: u32) -> bool {
    let c1 = (sw_cpu_stall & SW_STALL_APPCPU_C1_MASK) >> SW_STALL_APPCPU_C1_SHIFT;
    (c1 << 2 | options0 & SW_STALL_APPCPU_C0_MASK) == SW_STALL_PATTERN
}

/// `RTC_CNTL_SW_CPU_STALL` and `RTC_CNTL_OPTIONS0` after IDF's `esp_cpu_stall(1)`
/// (`cpu_utility_ll_stall_cpu`: C1 = 0x21, C0 = 0x02, so the pattern reads 0x86), for
/// register models that emulate it.
pub fn rtc_stalled_core1(sw_cpu_stall: u32, options0: u32) -> (u32, u32) {
    (
        sw_cpu_stall & !SW_STALL_APPCPU_C1_MASK | 0x21 << SW_STALL_APPCPU_C1_SHIFT,
        options0 & !SW_STALL_APPCPU_C0_MASK | 0x2,
    )
}

/// The same two registers after `esp_cpu_unstall(1)`: both fields cleared.
pub fn rtc_unstalled_core1(sw_cpu_stall: u32, options0: u32) -> (u32, u32) {
    (sw_cpu_stall & !SW_STALL_APPCPU_C1_MASK, options0 & !SW_STALL_APPCPU_C0_MASK)
}

/// Hands `entry` to the ROM and lets core 1 run (see the module docs for the order).
pub fn release_core1(regs: &mut impl Regs, entry: u32) {
    // 1. cpu_start.c L329: clear the RTC_CNTL software stall (RUNSTALL still holds core 1).
    regs.cpu_unstall(1);
    // 2.-4. cpu_utility_ll.h L87-95, with RESETING asserted before RUNSTALL is released
    // (read-modify-write each, like REG_SET_BIT/REG_CLR_BIT).
    regs.modify(CORE_1_CONTROL_0, |v| v | CLKGATE_EN);
    regs.modify(CORE_1_CONTROL_0, |v| v | RESETING);
    regs.modify(CORE_1_CONTROL_0, |v| v & !RUNSTALL);
    // 5. cpu_start.c L338 / esp-hal step 1: the boot address, before the reset is released.
    regs.set_appcpu_boot_addr(entry);
    // 6. End of the reset pulse: core 1 starts at the ROM reset vector.
    regs.modify(CORE_1_CONTROL_0, |v| v & !RESETING);
}

/// Stops core 1 at once and leaves it as a UNICORE boot does (see the module docs).
pub fn hold_core1(regs: &mut impl Regs) {
    // RUNSTALL first: the core stops executing before anything else changes.
    let v = regs.modify(CORE_1_CONTROL_0, |v| v | RUNSTALL);
    // Reset pulse while stalled, then the UNICORE resting state (cpu_start.c L735-746).
    regs.write(CORE_1_CONTROL_0, v | RESETING);
    regs.write(CORE_1_CONTROL_0, (v | RUNSTALL) & !(RESETING | CLKGATE_EN));
    // "Clear entry point for APP CPU" (system_internal.c L146-149).
    regs.write(CORE_1_CONTROL_1, 0);
}

/// The shutdown handler's body (register it with `esp_register_shutdown_handler`, and call it
/// from the panic path): stall core 1 with RUNSTALL and clear its boot address. Two register
/// accesses, no locks, no shared state: safe from any context, also while another splitcore
/// call is in progress.
pub fn shutdown_core1(regs: &mut impl Regs) {
    regs.modify(CORE_1_CONTROL_0, |v| v | RUNSTALL);
    regs.write(CORE_1_CONTROL_1, 0);
}

/// Rings core 1's doorbell (FROM_CPU_INTR2; level type, core 1's handler writes 0).
pub fn ring_core1(regs: &mut impl Regs) {
    regs.write(from_cpu_intr_reg(DOORBELL_TO_CORE1), 1);
}

/// Clears core 0's doorbell (FROM_CPU_INTR3), what core 0's interrupt handler must do
/// (crosscore_int_ll.h L17-38: write 0 to clear).
pub fn clear_core0_doorbell(regs: &mut impl Regs) {
    regs.write(from_cpu_intr_reg(DOORBELL_TO_CORE0), 0);
}

/// Timing of start and stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long [`Core1::start`] waits for the runtime's handshake.
    pub handshake_timeout_us: u32,
    /// How long [`Core1::stop`] waits for a cooperative stop before holding the core anyway.
    pub stop_timeout_us: u32,
    /// Poll interval while waiting.
    pub poll_us: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { handshake_timeout_us: 100_000, stop_timeout_us: 100_000, poll_us: 100 }
    }
}

/// Why core 1 did not start. In every case core 1 is held again afterwards
/// ([`hold_core1`]) and core 0's state is unchanged apart from the control block's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartError {
    /// Core 1 is not held (a previous start is still running, or a debugger released it):
    /// nothing was touched.
    AlreadyRunning {
        /// The control block's status.
        status: Option<Status>,
    },
    /// The log region could not be initialised (too small, misaligned).
    LogRegion(splitcore_ipc::Error),
    /// The runtime did not report `Running` in time. `status` is what it showed last
    /// (`Booting`: it never reached the handshake). The status is reset to `Off`.
    Timeout {
        /// Microseconds waited.
        waited_us: u64,
        /// Last status seen.
        status: Option<Status>,
    },
    /// The runtime speaks another protocol major version (status stays `Incompatible`).
    VersionMismatch {
        /// [`PROTOCOL_VERSION`] of this crate.
        ours: u32,
        /// The runtime's version.
        theirs: u32,
    },
    /// Core 1 crashed before reporting `Running` (status stays `Crashed`; see [`Core1::crash`]).
    Crashed,
}

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StartError::AlreadyRunning { status } => {
                write!(f, "core 1 is already running (status {status:?})")
            }
            StartError::LogRegion(e) => write!(f, "log region: {e}"),
            StartError::Timeout { waited_us, status } => {
                write!(f, "core 1 did not report Running within {waited_us} us (last status {status:?})")
            }
            StartError::VersionMismatch { ours, theirs } => write!(
                f,
                "protocol version mismatch: core 0 speaks {}.{}, core 1 runtime speaks {}.{}",
                ours >> 16,
                ours & 0xffff,
                theirs >> 16,
                theirs & 0xffff
            ),
            StartError::Crashed => f.write_str("core 1 crashed during start"),
        }
    }
}

/// How a stop ended. Core 1 is held in every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The user's code returned after the stop request (status `Stopped`).
    Cooperative,
    /// Core 1 did not acknowledge in time; it was held anyway (status reset to `Off`).
    Forced {
        /// Status seen when the wait ended.
        status: Option<Status>,
    },
    /// Core 1 was not running (status kept: `Off`, `Stopped`, `Crashed` or `Incompatible`).
    NotRunning {
        /// The status.
        status: Option<Status>,
    },
}

/// The log ring core 1 writes and core 0 forwards.
#[derive(Debug, Clone, Copy)]
pub struct LogRegion<'a> {
    /// The shared memory (the runtime's `SPLITCORE_LOG_REGION`).
    pub mem: RegionMem<'a>,
    /// Its layout (must be the runtime's `LOG_LAYOUT`).
    pub layout: &'a Layout,
    /// The frame channel.
    pub channel: ChannelId<Frames>,
}

/// Core 0's handle on core 1: owns the register access, the control block reference and the
/// consumer end of the log ring.
pub struct Core1<'a, R: Regs> {
    regs: R,
    control: &'a ControlBlock,
    log: Option<LogRegion<'a>>,
    forwarder: Option<LogForwarder<'a>>,
    entry: u32,
    timing: Timing,
}

impl<'a, R: Regs> Core1<'a, R> {
    /// A handle. `entry` is the runtime's `splitcore_core1_entry` address.
    ///
    /// # Safety
    /// While the handle lives, no other code on core 0 may create endpoints on `log`'s memory
    /// (the handle re-initialises it before every start), and `control` and `log` must be the
    /// blocks the core-1 program at `entry` uses.
    pub unsafe fn new(
        regs: R,
        control: &'a ControlBlock,
        log: Option<LogRegion<'a>>,
        entry: u32,
        timing: Timing,
    ) -> Self {
        Core1 { regs, control, log, forwarder: None, entry, timing }
    }

    /// The register access (tests inspect the recording fake through this).
    pub fn regs(&mut self) -> &mut R {
        &mut self.regs
    }

    /// The control block.
    pub fn control(&self) -> &'a ControlBlock {
        self.control
    }

    /// Timing in use.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// Changes the timing.
    pub fn set_timing(&mut self, timing: Timing) {
        self.timing = timing;
    }

    /// Starts core 1: checks it is held, prepares the control block, re-initialises the log
    /// region, releases core 1 ([`release_core1`]) and waits for the handshake.
    pub fn start(&mut self) -> Result<(), StartError> {
        if !core1_is_held(&mut self.regs) {
            return Err(StartError::AlreadyRunning { status: self.control.status() });
        }
        // Our consumer must be gone before the region is re-initialised.
        self.forwarder = None;
        if let Some(log) = self.log {
            // SAFETY: core 1 is held (checked above), so the peer does not use the memory; our
            // only endpoint was dropped just now and `new`'s contract excludes others.
            let region = unsafe { Region::reinit(log.mem, log.layout) }.map_err(StartError::LogRegion)?;
            let consumer = region.frame_consumer(log.channel).map_err(StartError::LogRegion)?;
            self.forwarder =
                Some(LogForwarder::new(consumer, self.control.log_dropped.load(Ordering::Relaxed)));
        }
        self.control.prepare(PROTOCOL_VERSION);
        release_core1(&mut self.regs, self.entry);

        let started = self.regs.now_us();
        loop {
            let status = self.control.status();
            match status {
                Some(Status::Running) => return Ok(()),
                Some(Status::Incompatible) => {
                    hold_core1(&mut self.regs);
                    let theirs = self.control.core1_version.load(Ordering::Relaxed);
                    return Err(StartError::VersionMismatch { ours: PROTOCOL_VERSION, theirs });
                }
                Some(Status::Crashed) => {
                    hold_core1(&mut self.regs);
                    return Err(StartError::Crashed);
                }
                _ => {}
            }
            let waited_us = self.regs.now_us().saturating_sub(started);
            if waited_us >= u64::from(self.timing.handshake_timeout_us) {
                hold_core1(&mut self.regs);
                // Re-read: core 1 may have reported between the check and the hold.
                let status = self.control.status();
                let _ = self.control.transition(Status::Off);
                return Err(StartError::Timeout { waited_us, status });
            }
            self.regs.delay_us(self.timing.poll_us);
        }
    }

    /// Stops core 1: asks it to stop (`stop_request` + doorbell), waits up to the stop timeout
    /// for `Stopped` (or `Crashed`), then holds it in every case.
    pub fn stop(&mut self) -> Stopped {
        let status = self.control.status();
        if !matches!(status, Some(Status::Booting | Status::Running | Status::Stopping)) {
            hold_core1(&mut self.regs);
            return Stopped::NotRunning { status };
        }
        self.control.stop_request.store(1, Ordering::Release);
        ring_core1(&mut self.regs);
        let started = self.regs.now_us();
        let outcome = loop {
            let status = self.control.status();
            if matches!(status, Some(Status::Stopped | Status::Crashed)) {
                break Stopped::Cooperative;
            }
            if self.regs.now_us().saturating_sub(started) >= u64::from(self.timing.stop_timeout_us) {
                break Stopped::Forced { status };
            }
            self.regs.delay_us(self.timing.poll_us);
        };
        hold_core1(&mut self.regs);
        if let Stopped::Forced { .. } = outcome {
            let _ = self.control.transition(Status::Off);
        }
        outcome
    }

    /// Stops (as [`stop`](Self::stop)) and starts again.
    pub fn restart(&mut self) -> Result<Stopped, StartError> {
        let stopped = self.stop();
        self.start().map(|()| stopped)
    }

    /// The control block's status (`None`: a corrupt value).
    pub fn status(&self) -> Option<Status> {
        self.control.status()
    }

    /// Deepest stack use core 1 published, in bytes.
    pub fn stack_high_water(&self) -> u32 {
        self.control.stack_high_water.load(Ordering::Relaxed)
    }

    /// Core 1's heartbeat counter.
    pub fn heartbeat(&self) -> u32 {
        self.control.heartbeat.load(Ordering::Acquire)
    }

    /// The crash record, validated (`DecodeError::Empty` when none was recorded).
    pub fn crash(&self) -> Result<Crash, DecodeError> {
        CrashRecord::decode(&self.control.crash_bytes())
    }

    /// The log forwarder (present after a start when a log region was given).
    pub fn log(&mut self) -> Option<&mut LogForwarder<'a>> {
        self.forwarder.as_mut()
    }

    /// [`shutdown_core1`] through this handle's registers.
    pub fn shutdown(&mut self) {
        shutdown_core1(&mut self.regs);
    }
}
