//! Interrupts on core 1: routing peripheral sources through core 1's own interrupt-matrix map
//! registers and a static handler table for level-1 CPU interrupts.
//!
//! ESP32-S3 addresses (FACTS.md §6, from ESP-IDF's `interrupt_core1_reg.h`, `system_reg.h`):
//! core 1's map register for source `s` is `0x600C_2800 + 4 * s` (5-bit CPU interrupt number);
//! `SYSTEM_CPU_INTR_FROM_CPU_n_REG` is `0x600C_0030 + 4 * n` (write 1 to raise, 0 to clear).
//! FROM_CPU_INTR0 belongs to FreeRTOS on core 0; 1..3 are free in a UNICORE build.

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::cpu;

/// Base of core 1's interrupt-matrix map registers.
pub const CORE1_INTR_MAP_BASE: u32 = 0x600C_2800;
/// `SYSTEM_CPU_INTR_FROM_CPU_0_REG`; register `n` is at `+ 4 * n`.
pub const FROM_CPU_INTR_BASE: u32 = 0x600C_0030;
/// Interrupt source number of FROM_CPU_INTR0 (`ETS_FROM_CPU_INTR0_SOURCE`); 1..3 follow.
pub const FROM_CPU_INTR0_SOURCE: u32 = 79;

/// CPU interrupts the runtime can dispatch: level-1 ones (levels 2..5 are not enabled).
/// ESP32-S3 level-1 external interrupts: 0..5, 8, 9, 12, 13, 17, 18 (esp_cpu_intr.c).
pub const LEVEL1_EXTERNAL: [u8; 12] = [0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 17, 18];

/// Why an interrupt request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterruptError {
    /// The CPU interrupt is not a level-1 interrupt this runtime dispatches.
    NotLevel1 {
        /// The number asked for.
        cpu_interrupt: u8,
    },
    /// The interrupt source number is beyond the matrix (0..=98 on the ESP32-S3).
    NoSuchSource {
        /// The number asked for.
        source: u32,
    },
    /// A handler is already installed.
    InUse {
        /// The CPU interrupt.
        cpu_interrupt: u8,
    },
}

static HANDLERS: [AtomicUsize; 32] = [const { AtomicUsize::new(0) }; 32];
static SPURIOUS: AtomicU32 = AtomicU32::new(0);

fn check_level1(cpu_interrupt: u8) -> Result<(), InterruptError> {
    if LEVEL1_EXTERNAL.contains(&cpu_interrupt) {
        Ok(())
    } else {
        Err(InterruptError::NotLevel1 { cpu_interrupt })
    }
}

/// Installs `handler` for a level-1 CPU interrupt and enables it. The handler runs with
/// level-1 interrupts masked, must clear its source, and must not use the FPU (the interrupt
/// path does not save FP registers).
pub fn set_handler(cpu_interrupt: u8, handler: fn()) -> Result<(), InterruptError> {
    check_level1(cpu_interrupt)?;
    HANDLERS[cpu_interrupt as usize]
        .compare_exchange(0, handler as usize, Ordering::AcqRel, Ordering::Acquire)
        .map_err(|_| InterruptError::InUse { cpu_interrupt })?;
    cpu::intenable_modify(1 << cpu_interrupt, 0);
    Ok(())
}

/// Installs the runtime's own handler for an internal interrupt (the CCOMPARE timers), which
/// needs no routing; the caller owns that interrupt exclusively.
pub(crate) fn set_internal_handler(cpu_interrupt: u8, handler: fn()) {
    HANDLERS[cpu_interrupt as usize].store(handler as usize, Ordering::Release);
    cpu::intenable_modify(1 << cpu_interrupt, 0);
}

/// Disables a CPU interrupt and removes its handler.
pub fn remove_handler(cpu_interrupt: u8) {
    if cpu_interrupt < 32 {
        cpu::intenable_modify(0, 1 << cpu_interrupt);
        HANDLERS[cpu_interrupt as usize].store(0, Ordering::Release);
    }
}

/// Routes a peripheral interrupt source to a CPU interrupt of core 1 (core 1's map register).
pub fn route(source: u32, cpu_interrupt: u8) -> Result<(), InterruptError> {
    check_level1(cpu_interrupt)?;
    if source > 98 {
        return Err(InterruptError::NoSuchSource { source });
    }
    let map = (CORE1_INTR_MAP_BASE + 4 * source) as *mut u32;
    // SAFETY: a documented, always-present peripheral register (ESP32-S3 TRM, interrupt matrix).
    unsafe { core::ptr::write_volatile(map, cpu_interrupt as u32) };
    Ok(())
}

/// Interrupts that fired without a handler (they are disabled when that happens).
pub fn spurious_count() -> u32 {
    SPURIOUS.load(Ordering::Relaxed)
}

/// Called by the level-1 interrupt path with `INTERRUPT & INTENABLE`.
#[no_mangle]
pub extern "C" fn splitcore_rt_interrupt(pending: u32) {
    let mut bits = pending;
    while bits != 0 {
        let n = bits.trailing_zeros();
        bits &= bits - 1;
        let handler = HANDLERS[n as usize].load(Ordering::Acquire);
        if handler == 0 {
            SPURIOUS.fetch_add(1, Ordering::Relaxed);
            cpu::intenable_modify(0, 1 << n);
            continue;
        }
        // SAFETY: only `fn()` pointers are stored in HANDLERS (set_handler).
        let handler: fn() = unsafe { core::mem::transmute::<usize, fn()>(handler) };
        handler();
    }
}
