//! Two-core smoke test of the Xtensa route: what the toolchain must get right (64-bit arithmetic
//! from compiler_builtins, S32C1I atomics, window overflow/underflow in deep recursion, the
//! hardware FPU) on each core, and core 0 and core 1 exchanging messages through shared rings.
#![no_std]

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, Ordering};

use splitcore_target_test::{board, check, check_eq, target_test_main, TestCase, TestResult};

fn arithmetic() -> TestResult {
    let a = core::hint::black_box(0xdead_beef_cafe_f00d_u64);
    let b = core::hint::black_box(1_000_003_u64);
    check_eq!(a / b, 16_045_642_847_574);
    check_eq!(a % b, 568_971);
    check_eq!(a.wrapping_mul(b), 0x42bf_b007_eb5f_2d67);
    check_eq!(core::hint::black_box(1_000_000u32) / 7, 142_857);
    Ok(())
}

fn atomics() -> TestResult {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    COUNTER.store(40, Ordering::Relaxed);
    check_eq!(COUNTER.fetch_add(2, Ordering::AcqRel), 40);
    check_eq!(COUNTER.compare_exchange(42, 7, Ordering::AcqRel, Ordering::Acquire), Ok(42));
    check_eq!(COUNTER.compare_exchange(42, 9, Ordering::AcqRel, Ordering::Acquire), Err(7));
    check_eq!(COUNTER.swap(1, Ordering::AcqRel), 7);
    Ok(())
}

#[inline(never)]
fn deep(depth: u32, acc: u32) -> u32 {
    if depth == 0 {
        return acc;
    }
    let mixed = acc.rotate_left(5) ^ depth.wrapping_mul(0x9e37_79b9);
    deep(depth - 1, core::hint::black_box(mixed)).wrapping_add(depth)
}

fn deep_reference(depth: u32) -> u32 {
    // The same function, iteratively: every level adds its depth after the recursion returns.
    let mut acc = 1u32;
    for d in (1..=depth).rev() {
        acc = acc.rotate_left(5) ^ d.wrapping_mul(0x9e37_79b9);
    }
    (1..=depth).fold(acc, |sum, d| sum.wrapping_add(d))
}

fn window_spills() -> TestResult {
    // 200 frames of at least 32 bytes: far more than the 64 physical registers hold, so window
    // overflow and underflow handlers run many times.
    check_eq!(deep(200, 1), deep_reference(200));
    Ok(())
}

fn hardware_fpu() -> TestResult {
    let a = core::hint::black_box([1.5f32, -2.0, 3.25, 4.0]);
    let b = core::hint::black_box([2.0f32, 0.5, 4.0, -1.0]);
    let dot: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    check_eq!(dot, 11.0);
    Ok(())
}

fn ran_on(core: u32) -> TestResult {
    check_eq!(board::core_id(), core);
    Ok(())
}

fn core1_basics() -> TestResult {
    ran_on(1)?;
    arithmetic()?;
    atomics_core1()?;
    window_spills()?;
    hardware_fpu()
}

fn atomics_core1() -> TestResult {
    static FLAG: AtomicU32 = AtomicU32::new(5);
    check_eq!(FLAG.fetch_add(1, Ordering::AcqRel), 5);
    Ok(())
}

// ---- two-core exchange -------------------------------------------------------------------------

/// A minimal SPSC ring of u32 for the smoke test: 16 slots, free-running indices.
struct SmokeRing {
    head: AtomicU32,
    tail: AtomicU32,
    slots: UnsafeCell<[u32; 16]>,
}

// SAFETY: one producer writes a slot only while it is free (head - tail < 16, head published with
// Release after the write); one consumer reads a slot only after seeing head with Acquire, and
// releases it by storing tail with Release.
unsafe impl Sync for SmokeRing {}

impl SmokeRing {
    const fn new() -> Self {
        SmokeRing { head: AtomicU32::new(0), tail: AtomicU32::new(0), slots: UnsafeCell::new([0; 16]) }
    }

    fn reset(&self) {
        self.head.store(0, Ordering::Relaxed);
        self.tail.store(0, Ordering::Relaxed);
    }

    fn push(&self, value: u32) -> bool {
        let head = self.head.load(Ordering::Relaxed);
        if head.wrapping_sub(self.tail.load(Ordering::Acquire)) >= 16 {
            return false;
        }
        // SAFETY: the slot is free (see the Sync impl); only this producer writes it.
        unsafe { (*self.slots.get())[(head % 16) as usize] = value };
        self.head.store(head.wrapping_add(1), Ordering::Release);
        true
    }

    fn pop(&self) -> Option<u32> {
        let tail = self.tail.load(Ordering::Relaxed);
        if self.head.load(Ordering::Acquire) == tail {
            return None;
        }
        // SAFETY: the slot was published by the producer's Release store of head.
        let value = unsafe { (*self.slots.get())[(tail % 16) as usize] };
        self.tail.store(tail.wrapping_add(1), Ordering::Release);
        Some(value)
    }
}

static TO_CORE1: SmokeRing = SmokeRing::new();
static TO_CORE0: SmokeRing = SmokeRing::new();
const MESSAGES: u32 = 50_000;

fn message(i: u32) -> u32 {
    i.wrapping_mul(0x0100_0193) ^ 0x5bd1_e995
}

/// Core 0 sends MESSAGES requests; core 1 answers each with the request + 1. Core 0 checks that
/// every answer arrives, in order and unchanged.
fn exchange_core0() -> TestResult {
    let (mut sent, mut received) = (0u32, 0u32);
    while received < MESSAGES {
        if sent < MESSAGES && TO_CORE1.push(message(sent)) {
            sent += 1;
        }
        if let Some(answer) = TO_CORE0.pop() {
            check_eq!(answer, message(received).wrapping_add(1));
            received += 1;
        }
    }
    check!(TO_CORE0.pop().is_none(), "an answer arrived that was never asked for");
    Ok(())
}

fn exchange_core1() -> TestResult {
    ran_on(1)?;
    let mut answered = 0u32;
    while answered < MESSAGES {
        if let Some(request) = TO_CORE1.pop() {
            check_eq!(request, message(answered));
            while !TO_CORE0.push(request.wrapping_add(1)) {
                core::hint::spin_loop();
            }
            answered += 1;
        }
    }
    Ok(())
}

fn exchange_setup() -> TestResult {
    TO_CORE1.reset();
    TO_CORE0.reset();
    Ok(())
}

target_test_main!(
    TestCase::core0("core 0 runs the program", || ran_on(0)),
    TestCase::core0("64-bit arithmetic via compiler_builtins", arithmetic),
    TestCase::core0("S32C1I atomics", atomics),
    TestCase::core0("window overflow/underflow in 200-deep recursion", window_spills),
    TestCase::core0("hardware FPU (+fp user crate)", hardware_fpu),
    TestCase::core1("the same on core 1", core1_basics),
    TestCase::core0("ring reset", exchange_setup),
    TestCase::dual("core 0 <-> core 1 message exchange through shared rings", exchange_core0, exchange_core1),
);
