//! Functions whose machine code `cargo xtask asm-report` lists (see `reports/machine-code.md`).
//! Each is `#[no_mangle]` so the report can find it by a stable name.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};

/// `AtomicU32::load(Acquire)`: `l32i` + `memw` on Xtensa.
#[no_mangle]
pub extern "C" fn probe_load_acquire(word: &AtomicU32) -> u32 {
    word.load(Ordering::Acquire)
}

/// `AtomicU32::store(Release)`: `memw` + `s32i`.
#[no_mangle]
pub extern "C" fn probe_store_release(word: &AtomicU32, value: u32) {
    word.store(value, Ordering::Release)
}

/// `AtomicU32::fetch_add(AcqRel)`: an S32C1I compare-and-swap loop.
#[no_mangle]
pub extern "C" fn probe_fetch_add(word: &AtomicU32, value: u32) -> u32 {
    word.fetch_add(value, Ordering::AcqRel)
}

/// u64 division: a call into compiler_builtins.
#[no_mangle]
pub extern "C" fn probe_u64_div(a: u64, b: u64) -> u64 {
    a.checked_div(b).unwrap_or(u64::MAX)
}

/// `a * b + c` in f32 with the hardware FPU.
#[no_mangle]
pub extern "C" fn probe_f32_muladd(a: f32, b: f32, c: f32) -> f32 {
    a * b + c
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
