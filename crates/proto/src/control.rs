//! The control block shared by core 0 and the core-1 runtime: handshake, status, heartbeat,
//! stop request, stack bounds and the crash record.
//!
//! Core 0 owns the block's lifetime: it [`prepare`](ControlBlock::prepare)s it before starting
//! core 1. The runtime [`attach`](ControlBlock::attach)es at boot (the version handshake), then
//! moves the status forward; each status change is a Release store that core 0 reads with
//! Acquire, so whatever core 1 wrote before (the crash record, the stack bounds) is visible.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::crash::CrashRecord;

/// `"SPCB"`.
pub const CONTROL_MAGIC: u32 = 0x4243_5053;
/// Version of this block's layout and meaning: major in the high 16 bits, minor in the low.
/// Core 0 and core 1 must agree on the major version.
pub const PROTOCOL_VERSION: u32 = 1 << 16;
/// Byte offset of the crash record inside the block (the runtime's vectors write there).
pub const CRASH_OFFSET: usize = 64;

/// Core 1's life cycle, as seen from core 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Status {
    /// Not started (or held in reset).
    Off = 0,
    /// Core 0 handed over the boot address; the runtime has not reported yet.
    Booting = 1,
    /// The user's code runs.
    Running = 2,
    /// A stop was requested and acknowledged; the user's code is winding down.
    Stopping = 3,
    /// The user's code returned control after a stop request; the core is parked.
    Stopped = 4,
    /// Core 1 crashed; the crash record is valid; the core is parked.
    Crashed = 5,
    /// The runtime found a different protocol major version at the handshake and parked.
    Incompatible = 6,
}

impl Status {
    /// Decodes a raw value.
    pub const fn from_raw(raw: u32) -> Option<Self> {
        Some(match raw {
            0 => Status::Off,
            1 => Status::Booting,
            2 => Status::Running,
            3 => Status::Stopping,
            4 => Status::Stopped,
            5 => Status::Crashed,
            6 => Status::Incompatible,
            _ => return None,
        })
    }

    /// Whether the life cycle allows going from `self` to `next`. Core 0 may always reset to
    /// `Off` (it holds core 1 in reset first) or `Booting` from a parked state.
    pub const fn can_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (_, Off)
                | (Off | Stopped | Crashed | Incompatible, Booting)
                | (Booting, Running | Incompatible | Crashed)
                | (Running, Stopping | Crashed)
                | (Stopping, Stopped | Crashed)
        )
    }
}

/// Why the handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeError {
    /// The block was never prepared by core 0.
    NotPrepared {
        /// The magic found.
        magic: u32,
    },
    /// Core 0 speaks another major version.
    VersionMismatch {
        /// This side's version.
        ours: u32,
        /// The other side's version.
        theirs: u32,
    },
}

impl core::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HandshakeError::NotPrepared { magic } => {
                write!(f, "control block not prepared by core 0 (magic 0x{magic:08x}, expected 0x{CONTROL_MAGIC:08x})")
            }
            HandshakeError::VersionMismatch { ours, theirs } => write!(
                f,
                "protocol version mismatch: core 1 runtime speaks {}.{}, core 0 speaks {}.{}",
                ours >> 16,
                ours & 0xffff,
                theirs >> 16,
                theirs & 0xffff
            ),
        }
    }
}

/// The block. Place one in internal DRAM (never PSRAM); both cores use the same instance.
#[repr(C, align(16))]
pub struct ControlBlock {
    /// [`CONTROL_MAGIC`] once core 0 prepared the block.
    pub magic: AtomicU32,
    /// Core 0's [`PROTOCOL_VERSION`].
    pub core0_version: AtomicU32,
    /// The runtime's [`PROTOCOL_VERSION`], written at the handshake.
    pub core1_version: AtomicU32,
    /// A [`Status`] value.
    pub status: AtomicU32,
    /// Bumped by the user's loop or the executive; core 0's supervisor watches it.
    pub heartbeat: AtomicU32,
    /// Non-zero: core 0 asks core 1 to stop cooperatively.
    pub stop_request: AtomicU32,
    /// Boots since core 0 prepared the block.
    pub boot_count: AtomicU32,
    /// Lowest address of core 1's stack.
    pub stack_lo: AtomicU32,
    /// One past the highest address of core 1's stack.
    pub stack_hi: AtomicU32,
    /// Deepest stack use seen, in bytes (updated by the runtime).
    pub stack_high_water: AtomicU32,
    /// Log lines dropped because the log ring was full.
    pub log_dropped: AtomicU32,
    reserved: [AtomicU32; 5],
    crash: UnsafeCell<CrashRecord>,
}

// SAFETY: every field but `crash` is atomic. `crash` is written only by core 1 while its status
// is not yet `Crashed` and read by core 0 only after it observed `Crashed` with Acquire; a torn
// read (core 1 crashing again while core 0 copies) is caught by the record's checksum.
unsafe impl Sync for ControlBlock {}

const _: () = assert!(core::mem::offset_of!(ControlBlock, crash) == CRASH_OFFSET);

impl ControlBlock {
    /// A zeroed block (status `Off`), for a `static`.
    pub const fn new() -> Self {
        ControlBlock {
            magic: AtomicU32::new(0),
            core0_version: AtomicU32::new(0),
            core1_version: AtomicU32::new(0),
            status: AtomicU32::new(0),
            heartbeat: AtomicU32::new(0),
            stop_request: AtomicU32::new(0),
            boot_count: AtomicU32::new(0),
            stack_lo: AtomicU32::new(0),
            stack_hi: AtomicU32::new(0),
            stack_high_water: AtomicU32::new(0),
            log_dropped: AtomicU32::new(0),
            reserved: [const { AtomicU32::new(0) }; 5],
            crash: UnsafeCell::new(CrashRecord::empty()),
        }
    }

    /// Core 0, before releasing core 1: announce our version and clear the run state.
    pub fn prepare(&self, core0_version: u32) {
        self.core0_version.store(core0_version, Ordering::Relaxed);
        self.core1_version.store(0, Ordering::Relaxed);
        self.heartbeat.store(0, Ordering::Relaxed);
        self.stop_request.store(0, Ordering::Relaxed);
        self.magic.store(CONTROL_MAGIC, Ordering::Relaxed);
        self.status.store(Status::Booting as u32, Ordering::Release);
    }

    /// Core 1, at boot: check core 0's version; on success report ours and `Running`.
    pub fn attach(&self, core1_version: u32) -> Result<(), HandshakeError> {
        let magic = self.magic.load(Ordering::Acquire);
        if magic != CONTROL_MAGIC {
            return Err(HandshakeError::NotPrepared { magic });
        }
        self.core1_version.store(core1_version, Ordering::Relaxed);
        self.boot_count.fetch_add(1, Ordering::Relaxed);
        let theirs = self.core0_version.load(Ordering::Relaxed);
        if theirs >> 16 != core1_version >> 16 {
            self.status.store(Status::Incompatible as u32, Ordering::Release);
            return Err(HandshakeError::VersionMismatch { ours: core1_version, theirs });
        }
        self.status.store(Status::Running as u32, Ordering::Release);
        Ok(())
    }

    /// The current status (`None` for a corrupt value).
    pub fn status(&self) -> Option<Status> {
        Status::from_raw(self.status.load(Ordering::Acquire))
    }

    /// Moves to `next` if the life cycle allows it from the current status; returns the status
    /// found otherwise.
    pub fn transition(&self, next: Status) -> Result<(), Option<Status>> {
        let current = self.status.load(Ordering::Acquire);
        match Status::from_raw(current) {
            Some(now) if now.can_become(next) => self
                .status
                .compare_exchange(current, next as u32, Ordering::AcqRel, Ordering::Acquire)
                .map(drop)
                .map_err(Status::from_raw),
            other => Err(other),
        }
    }

    /// Core 1: records a crash (the closure fills the record), seals it and publishes `Crashed`.
    pub fn record_crash(&self, fill: impl FnOnce(&mut CrashRecord)) {
        // SAFETY: only core 1 writes the record, and only before publishing `Crashed`.
        let record = unsafe { &mut *self.crash.get() };
        let seq = record.seq.wrapping_add(1);
        fill(record);
        record.seq = seq;
        record.seal();
        self.status.store(Status::Crashed as u32, Ordering::Release);
    }

    /// Raw pointer to the crash record (for the runtime's assembly vectors).
    pub fn crash_record_ptr(&self) -> *mut CrashRecord {
        self.crash.get()
    }

    /// Core 0 / host: a copy of the crash record's bytes (validate with
    /// [`CrashRecord::decode`]).
    pub fn crash_bytes(&self) -> [u8; crate::crash::offsets::SIZE] {
        let mut out = [0u8; crate::crash::offsets::SIZE];
        let src = self.crash.get() as *const u8;
        for (i, byte) in out.iter_mut().enumerate() {
            // SAFETY: `src` points to the SIZE-byte record inside `self`; volatile reads because
            // core 1 may write it concurrently (the checksum detects a torn copy).
            *byte = unsafe { core::ptr::read_volatile(src.add(i)) };
        }
        out
    }
}

impl Default for ControlBlock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crash::Reason;

    #[test]
    fn handshake_succeeds_with_the_same_major_version() {
        let block = ControlBlock::new();
        block.prepare(PROTOCOL_VERSION);
        assert_eq!(block.status(), Some(Status::Booting));
        assert_eq!(block.attach(PROTOCOL_VERSION | 3), Ok(()));
        assert_eq!(block.status(), Some(Status::Running));
        assert_eq!(block.boot_count.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn handshake_names_both_versions_on_mismatch() {
        let block = ControlBlock::new();
        block.prepare(2 << 16);
        let err = block.attach(PROTOCOL_VERSION).unwrap_err();
        assert_eq!(err, HandshakeError::VersionMismatch { ours: 1 << 16, theirs: 2 << 16 });
        extern crate std;
        use std::string::ToString;
        assert_eq!(
            err.to_string(),
            "protocol version mismatch: core 1 runtime speaks 1.0, core 0 speaks 2.0"
        );
        assert_eq!(block.status(), Some(Status::Incompatible));
    }

    #[test]
    fn attach_before_prepare_is_an_error() {
        let block = ControlBlock::new();
        assert_eq!(block.attach(PROTOCOL_VERSION), Err(HandshakeError::NotPrepared { magic: 0 }));
    }

    #[test]
    fn the_life_cycle_rejects_impossible_transitions() {
        let block = ControlBlock::new();
        block.prepare(PROTOCOL_VERSION);
        assert_eq!(block.transition(Status::Stopped), Err(Some(Status::Booting)));
        block.attach(PROTOCOL_VERSION).unwrap();
        assert_eq!(block.transition(Status::Booting), Err(Some(Status::Running)));
        assert_eq!(block.transition(Status::Stopping), Ok(()));
        assert_eq!(block.transition(Status::Running), Err(Some(Status::Stopping)));
        assert_eq!(block.transition(Status::Stopped), Ok(()));
        assert_eq!(block.transition(Status::Booting), Ok(()));
        block.status.store(77, Ordering::Relaxed);
        assert_eq!(block.transition(Status::Running), Err(None));
        assert_eq!(block.status(), None);
    }

    #[test]
    fn a_recorded_crash_is_published_and_decodes() {
        let block = ControlBlock::new();
        block.prepare(PROTOCOL_VERSION);
        block.attach(PROTOCOL_VERSION).unwrap();
        block.record_crash(|r| {
            r.reason = Reason::Exception as u32;
            r.exccause = 29;
            r.pc = 0x4037_1000;
        });
        assert_eq!(block.status(), Some(Status::Crashed));
        let crash = CrashRecord::decode(&block.crash_bytes()).unwrap();
        assert_eq!(crash.title(), "StoreProhibited");
        assert_eq!(crash.record.seq, 1);
    }
}
