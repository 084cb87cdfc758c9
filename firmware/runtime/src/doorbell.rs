//! Doorbells between the cores: core 0 rings core 1 (an interrupt on core 1 that calls a hook),
//! and core 1 rings core 0 (after a crash, or when it published data).
//!
//! On the ESP32-S3 a doorbell is one of the SYSTEM `FROM_CPU_INTR` lines that a UNICORE build
//! leaves free (1..3; 0 is FreeRTOS's): the sender writes 1 to its register, the receiver's
//! handler writes 0. Core 0 → core 1 uses [`TO_CORE1`], routed through core 1's own
//! interrupt-matrix map register to CPU interrupt [`CPU_INTERRUPT`]; core 1 → core 0 uses
//! [`TO_CORE0`], which the ESP-IDF component allocates with `esp_intr_alloc` on core 0.
//!
//! On the emulated board (`qemu` feature) the S3 registers do not exist: on `-M kc705` the MX
//! distributor's inter-processor interrupt stands in (it arrives as CPU interrupt 0, level 1,
//! and is cleared through MIPICAUSE), so the same interrupt path and hook run; `-M sim` has no
//! inter-core interrupt at all.

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::interrupt::{self, InterruptError};

/// FROM_CPU_INTR line core 0 rings core 1 with.
pub const TO_CORE1: u32 = 2;
/// FROM_CPU_INTR line core 1 rings core 0 with.
pub const TO_CORE0: u32 = 3;

/// The CPU interrupt (level 1) the doorbell arrives on at core 1.
#[cfg(not(feature = "qemu"))]
pub const CPU_INTERRUPT: u8 = 17;
/// The CPU interrupt (level 1) the doorbell arrives on at core 1 (xtfpga BInterrupt0).
#[cfg(feature = "qemu")]
pub const CPU_INTERRUPT: u8 = 0;

static HOOK: AtomicUsize = AtomicUsize::new(0);
static RINGS: AtomicU32 = AtomicU32::new(0);

#[cfg(not(feature = "qemu"))]
fn hw_clear() {
    let reg = (interrupt::FROM_CPU_INTR_BASE + 4 * TO_CORE1) as *mut u32;
    // SAFETY: SYSTEM_CPU_INTR_FROM_CPU_n_REG; writing 0 drops the level-type request.
    unsafe { core::ptr::write_volatile(reg, 0) };
}

#[cfg(not(feature = "qemu"))]
fn hw_route() -> Result<(), InterruptError> {
    interrupt::route(interrupt::FROM_CPU_INTR0_SOURCE + TO_CORE1, CPU_INTERRUPT)
}

#[cfg(feature = "qemu")]
extern "C" {
    fn splitcore_qemu_er_write(address: u32, value: u32);
}

#[cfg(feature = "qemu")]
fn hw_clear() {
    // SAFETY: WER to MIPICAUSE of core 1 (ERI 0x100 + 1): write-1-to-clear of IPI 0.
    unsafe { splitcore_qemu_er_write(0x101, 1) };
}

#[cfg(feature = "qemu")]
fn hw_route() -> Result<(), InterruptError> {
    Ok(()) // the MX distributor is wired to BInterrupt0 already
}

fn on_interrupt() {
    hw_clear();
    RINGS.fetch_add(1, Ordering::Relaxed);
    let hook = HOOK.load(Ordering::Acquire);
    if hook != 0 {
        // SAFETY: only `fn()` pointers are stored in HOOK (`on_ring`).
        let hook: fn() = unsafe { core::mem::transmute::<usize, fn()>(hook) };
        hook();
    }
}

/// Calls `hook` (in interrupt context: keep it short, no FPU) whenever core 0 rings.
pub fn on_ring(hook: fn()) -> Result<(), InterruptError> {
    HOOK.store(hook as usize, Ordering::Release);
    hw_route()?;
    interrupt::set_handler(CPU_INTERRUPT, on_interrupt)
}

/// How often core 0 rang since boot.
pub fn rings() -> u32 {
    RINGS.load(Ordering::Relaxed)
}

/// Core 1's doorbell towards core 0 (usable with `splitcore_ipc`'s `raise_and_ring`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Core0Doorbell;

impl splitcore_ipc::Doorbell for Core0Doorbell {
    fn ring(&self) {
        ring_core0();
    }
}

/// Rings core 0.
pub fn ring_core0() {
    if cfg!(feature = "qemu") {
        return; // no S3 SYSTEM registers on the emulated board: core 0 polls there
    }
    let reg = (interrupt::FROM_CPU_INTR_BASE + 4 * TO_CORE0) as *mut u32;
    // SAFETY: SYSTEM_CPU_INTR_FROM_CPU_n_REG, level type: writing 1 raises the request.
    unsafe { core::ptr::write_volatile(reg, 1) };
}

pub(crate) fn reset() {
    RINGS.store(0, Ordering::Relaxed);
}
