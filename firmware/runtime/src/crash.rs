//! The Rust half of crash capture: backtrace walk, panic message, publishing the record.

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};

use splitcore_proto::crash::{CrashRecord, Reason, BACKTRACE_DEPTH, MESSAGE_CAPACITY};

use crate::{control, cpu, stack};

/// Set by the panic handler (and software crashes) before raising the SYSCALL exception: the
/// reason to record instead of "Exception (Syscall)".
static PENDING_REASON: AtomicU32 = AtomicU32::new(0);

/// Clears the crash state at boot (a restarted core may crash again).
pub(crate) fn reset() {
    PENDING_REASON.store(0, Ordering::Relaxed);
    crate::splitcore_crashing.store(0, Ordering::Release);
}

/// Called by `asm/core1.S` after it stored the registers into the record and, when `walk` is
/// set, spilled every live window frame to the stack.
///
/// # Safety
/// Only the crash path calls this, with the record inside [`crate::SPLITCORE_CONTROL`].
#[no_mangle]
pub unsafe extern "C" fn splitcore_rt_crash(record: *mut CrashRecord, walk: u32) -> ! {
    let _ = record; // the same record `record_crash` hands out
    let pending = PENDING_REASON.swap(0, Ordering::Relaxed);
    stack::publish_high_water();
    control().record_crash(|r| {
        match Reason::from_raw(pending) {
            Some(reason) => r.reason = reason as u32,
            None => {
                // A CPU exception: no message (clear a previous crash's).
                r.set_message("");
                r.set_location("", 0);
            }
        }
        if walk != 0 {
            walk_backtrace(r);
        } else {
            r.backtrace_len = 1;
            r.backtrace[0] = [r.pc, r.a[1]];
        }
    });
    crate::doorbell::ring_core0();
    cpu::park()
}

/// Walks the frames the crash path spilled: for a frame with stack pointer `sp`, the windowed
/// ABI keeps the caller's return address at `[sp - 16]` and the caller's stack pointer at
/// `[sp - 12]`. Every value read is checked against the stack bounds before use.
fn walk_backtrace(r: &mut CrashRecord) {
    let (lo, hi) = stack::stack_bounds();
    let region = r.pc & 0xc000_0000; // return addresses lose the top two bits
    let mut sp = r.a[1];
    let mut ra = r.a[0];
    r.backtrace[0] = [r.pc, sp];
    let mut n = 1;
    while n < BACKTRACE_DEPTH && ra != 0 {
        if sp < lo + 16 || sp > hi || sp % 16 != 0 {
            break;
        }
        // SAFETY: sp - 16 .. sp lies inside the stack (checked above).
        let (caller_ra, caller_sp) = unsafe {
            (
                core::ptr::read_volatile((sp - 16) as *const u32),
                core::ptr::read_volatile((sp - 12) as *const u32),
            )
        };
        if caller_sp <= sp || caller_sp > hi {
            break;
        }
        r.backtrace[n] = [(ra & 0x3fff_ffff) | region, caller_sp];
        n += 1;
        sp = caller_sp;
        ra = caller_ra;
    }
    r.backtrace_len = n as u32;
}

/// A fixed buffer for the panic message.
struct MessageBuf {
    bytes: [u8; MESSAGE_CAPACITY + 4],
    len: usize,
}

impl Write for MessageBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let take = s.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

impl MessageBuf {
    fn as_str(&self) -> &str {
        match core::str::from_utf8(&self.bytes[..self.len]) {
            Ok(s) => s,
            Err(e) => core::str::from_utf8(&self.bytes[..e.valid_up_to()]).unwrap_or(""),
        }
    }
}

fn record_mut() -> &'static mut CrashRecord {
    // SAFETY: only core 1 writes the record, and only on the way to `Crashed` (after which it
    // parks); nothing else holds a reference to it meanwhile.
    unsafe { &mut *control().crash_record_ptr() }
}

/// Records `reason` with `message` and enters the crash path (registers and backtrace from here).
pub(crate) fn software_crash(reason: Reason, message: &str) -> ! {
    let record = record_mut();
    record.set_message(message);
    record.set_location("", 0);
    PENDING_REASON.store(reason as u32, Ordering::Relaxed);
    cpu::raise_panic();
    cpu::park()
}

extern "C" {
    /// Provided by the core-0 environment (the ESP-IDF component, or the QEMU test harness):
    /// what a panic in Rust code running on core 0 does.
    fn splitcore_core0_panic(message: *const u8, len: usize) -> !;
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut message = MessageBuf { bytes: [0; MESSAGE_CAPACITY + 4], len: 0 };
    let _ = write!(message, "{}", info.message());
    if cpu::core_id() != 1 {
        // SAFETY: the environment's hook takes a UTF-8 buffer valid for the call.
        unsafe { splitcore_core0_panic(message.as_str().as_ptr(), message.as_str().len()) }
    }
    let record = record_mut();
    record.set_message(message.as_str());
    match info.location() {
        Some(location) => record.set_location(location.file(), location.line()),
        None => record.set_location("", 0),
    }
    PENDING_REASON.store(Reason::Panic as u32, Ordering::Relaxed);
    cpu::raise_panic();
    cpu::park()
}
