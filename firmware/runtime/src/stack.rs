//! The runtime's own stack in internal DRAM: size from `SPLITCORE_STACK_SIZE` at build time
//! (default 16 KiB), filled with a canary by the trampoline, so the deepest use can be measured
//! and an overflow of the bottom words detected.

use core::cell::UnsafeCell;
use core::sync::atomic::Ordering;

use splitcore_proto::crash::Reason;

use crate::control;

/// The fill pattern (the trampoline writes it over the whole stack at boot).
pub const STACK_CANARY: u32 = 0xa5a5_a5a5;
/// Bottom words (256 bytes) that must keep the canary; one overwritten means the stack came
/// within 256 bytes of its end. A generous red zone: the deepest frames write their locals and
/// window save areas well below their own stack pointer, so a narrow guard could be jumped.
const GUARD_WORDS: usize = 64;

const fn parse_size(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut value = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        assert!(bytes[i].is_ascii_digit(), "SPLITCORE_STACK_SIZE must be a number");
        value = value * 10 + (bytes[i] - b'0') as usize;
        i += 1;
    }
    value
}

/// Stack size in bytes.
pub const STACK_SIZE: usize = parse_size(env!("SPLITCORE_STACK_SIZE"));
const _: () = assert!(STACK_SIZE % 16 == 0 && STACK_SIZE >= 2048);

#[repr(C, align(16))]
struct StackMemory(UnsafeCell<[u8; STACK_SIZE]>);

// SAFETY: the memory is only ever used as core 1's stack (by the CPU, through a1) and read word
// by word with volatile loads for the high-water mark; Rust never forms references into it.
unsafe impl Sync for StackMemory {}

static STACK: StackMemory = StackMemory(UnsafeCell::new([0; STACK_SIZE]));

/// `[lo, hi)` of the stack, read by the trampoline and the crash path (`asm/core1.S`).
#[repr(C)]
pub struct StackBounds {
    lo: *const u8,
    hi: *const u8,
}

// SAFETY: two constant addresses.
unsafe impl Sync for StackBounds {}

#[no_mangle]
#[allow(non_upper_case_globals)]
static splitcore_stack_bounds: StackBounds = StackBounds {
    lo: STACK.0.get() as *const u8,
    // SAFETY: one past the end of the same allocation.
    hi: unsafe { (STACK.0.get() as *const u8).add(STACK_SIZE) },
};

/// A small separate stack for the crash path when the faulting stack pointer is unusable.
#[repr(C, align(16))]
pub struct CrashStack(UnsafeCell<[u8; 1024]>);

// SAFETY: used only as a CPU stack by the crash path, one crash at a time (`splitcore_crashing`).
unsafe impl Sync for CrashStack {}

#[no_mangle]
#[allow(non_upper_case_globals)]
static splitcore_crash_stack: CrashStack = CrashStack(UnsafeCell::new([0; 1024]));

/// `(lo, hi)` addresses of core 1's stack.
pub fn stack_bounds() -> (u32, u32) {
    (splitcore_stack_bounds.lo as u32, splitcore_stack_bounds.hi as u32)
}

fn word(addr: u32) -> u32 {
    // SAFETY: callers pass word-aligned addresses inside the stack; volatile because the CPU
    // writes it behind the compiler's back.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

/// Deepest stack use since boot, in bytes: the first word from the bottom that lost the canary.
pub fn stack_high_water() -> u32 {
    let (lo, hi) = stack_bounds();
    let untouched = (lo..hi).step_by(4).take_while(|&a| word(a) == STACK_CANARY).count() as u32;
    hi - lo - untouched * 4
}

pub(crate) fn publish_high_water() {
    control().stack_high_water.store(stack_high_water(), Ordering::Relaxed);
}

/// Crashes with `StackOverflow` if a guard word at the bottom of the stack was overwritten.
pub(crate) fn check_canary() {
    let (lo, _) = stack_bounds();
    let intact = (0..GUARD_WORDS as u32).all(|i| word(lo + 4 * i) == STACK_CANARY);
    if !intact {
        publish_high_water();
        crate::crash::software_crash(Reason::StackOverflow, "stack canary overwritten");
    }
}
