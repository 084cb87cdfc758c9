//! Interrupts on core 1: routing peripheral sources through core 1's own interrupt-matrix map
//! registers, and a static handler table dispatched at interrupt levels 1, 2 and 3.
//!
//! Each CPU interrupt has a fixed level and type in the core's configuration ([`level`],
//! [`kind`]): for the ESP32-S3 the table in ESP-IDF's
//! `components/esp_hw_support/port/esp32s3/esp_cpu_intr.c`; with the `qemu` feature the one of
//! QEMU's `de233_fpu` core (`target/xtensa/core-de233_fpu/core-isa.h`). A handler knows nothing of
//! levels: the runtime's vector for level `n` runs the same dispatcher with `PS.INTLEVEL = n`, so
//! interrupts of level `<= n` wait until it returns and interrupts of a higher level preempt it
//! (a level-3 control interrupt preempts a slow level-1 doorbell hook). Levels 4 and 5 and the
//! NMI are above the cores' `EXCM_LEVEL` (3): they can arrive inside a window overflow handler
//! or another vector's prologue, where no windowed (Rust) code may run, so they are left to
//! hand-written assembly or debug use and [`set_handler`] refuses them.
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
/// Highest interrupt level the runtime dispatches (`XCHAL_EXCM_LEVEL`).
pub const MAX_LEVEL: u8 = 3;

/// What drives a CPU interrupt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// External, level-triggered (routable through the interrupt matrix; the handler clears its
    /// source).
    Level,
    /// External, edge-triggered (routable; the dispatcher clears it in `INTCLEAR`).
    Edge,
    /// CCOMPAREn of the core's timer (cleared by writing CCOMPAREn).
    Timer(u8),
    /// Software interrupt, raised with [`raise`] (the dispatcher clears it).
    Software,
    /// Performance-monitor interrupt (not dispatched).
    Profiling,
    /// Non-maskable interrupt (not dispatched).
    Nmi,
}

#[cfg_attr(feature = "qemu", allow(unused_imports))]
use Kind::{Edge as E, Level as L, Nmi as N, Profiling as P, Software as S, Timer as T};

/// ESP32-S3 (esp_cpu_intr.c): `(level, kind)` of CPU interrupts 0..31.
#[cfg(not(feature = "qemu"))]
#[rustfmt::skip]
const TABLE: [Option<(u8, Kind)>; 32] = [
    Some((1, L)), Some((1, L)), Some((1, L)), Some((1, L)), Some((1, L)), Some((1, L)), // 0-5
    Some((1, T(0))), Some((1, S)), Some((1, L)), Some((1, L)), Some((1, E)), Some((3, P)), // 6-11
    Some((1, L)), Some((1, L)), Some((7, N)), Some((3, T(1))), Some((5, T(2))), // 12-16
    Some((1, L)), Some((1, L)), Some((2, L)), Some((2, L)), Some((2, L)), Some((3, E)), // 17-22
    Some((3, L)), Some((4, L)), Some((4, L)), Some((5, L)), Some((3, L)), Some((4, E)), // 23-28
    Some((3, S)), Some((4, E)), Some((5, L)), // 29-31
];

/// QEMU's `de233_fpu` (core-isa.h `XCHAL_INTn_LEVEL` / `_TYPE`): 22 interrupts.
#[cfg(feature = "qemu")]
#[rustfmt::skip]
const TABLE: [Option<(u8, Kind)>; 32] = [
    Some((1, L)), Some((1, L)), Some((1, L)), Some((1, L)), Some((1, L)), Some((1, L)), // 0-5
    Some((1, T(0))), Some((1, S)), Some((2, L)), Some((3, L)), Some((3, T(1))), Some((3, S)), // 6-11
    Some((4, L)), Some((5, T(2))), Some((7, N)), Some((1, E)), Some((1, E)), Some((1, E)), // 12-17
    Some((1, E)), Some((1, E)), Some((1, E)), Some((3, E)), // 18-21
    None, None, None, None, None, None, None, None, None, None, // 22-31
];

/// All interrupts of `level` in [`TABLE`], whatever their kind.
const fn table_mask(level: u8) -> u32 {
    let mut mask = 0u32;
    let mut n = 0;
    while n < 32 {
        if let Some((l, _)) = TABLE[n] {
            if l == level {
                mask |= 1 << n;
            }
        }
        n += 1;
    }
    mask
}

/// The table agrees with the core's `XCHAL_INTLEVELn_MASK` (ESP-IDF
/// `components/xtensa/esp32s3/include/xtensa/config/core-isa.h`; QEMU
/// `target/xtensa/core-de233_fpu/core-isa.h`), levels 1..5 and the NMI's 7.
#[cfg(not(feature = "qemu"))]
const CORE_ISA_LEVEL_MASKS: [u32; 8] =
    [0, 0x0006_37FF, 0x0038_0000, 0x28C0_8800, 0x5300_0000, 0x8401_0000, 0, 0x4000];
#[cfg(feature = "qemu")]
const CORE_ISA_LEVEL_MASKS: [u32; 8] =
    [0, 0x001F_80FF, 0x0000_0100, 0x0020_0E00, 0x0000_1000, 0x0000_2000, 0, 0x4000];
const _: () = {
    let mut level = 1;
    while level < 8 {
        assert!(table_mask(level) == CORE_ISA_LEVEL_MASKS[level as usize]);
        level += 1;
    }
};

/// The CPU interrupt of CCOMPARE`timer` (0..=2) on this core (a build error, or a panic at run
/// time, for a timer it does not have).
pub const fn timer_interrupt(timer: u8) -> u8 {
    let mut n = 0;
    while n < 32 {
        if let Some((_, Kind::Timer(t))) = TABLE[n] {
            if t == timer {
                return n as u8;
            }
        }
        n += 1;
    }
    panic!("the interrupt table has no such CCOMPARE interrupt")
}

/// The CPU interrupt of CCOMPARE1 (level 3 on both cores; 15 on the ESP32-S3, 10 on QEMU's).
pub const TIMER1_INTERRUPT: u8 = timer_interrupt(1);

/// Level of CPU interrupt `cpu_interrupt` (7 for the NMI), `None` if the core has no such
/// interrupt.
pub const fn level(cpu_interrupt: u8) -> Option<u8> {
    match kind_and_level(cpu_interrupt) {
        Some((level, _)) => Some(level),
        None => None,
    }
}

/// What drives CPU interrupt `cpu_interrupt`, `None` if the core has no such interrupt.
pub const fn kind(cpu_interrupt: u8) -> Option<Kind> {
    match kind_and_level(cpu_interrupt) {
        Some((_, kind)) => Some(kind),
        None => None,
    }
}

const fn kind_and_level(cpu_interrupt: u8) -> Option<(u8, Kind)> {
    if cpu_interrupt < 32 {
        TABLE[cpu_interrupt as usize]
    } else {
        None
    }
}

const fn level_masks() -> [u32; 4] {
    let mut masks = [0u32; 4];
    let mut n = 0;
    while n < 32 {
        if let Some((level, kind)) = TABLE[n] {
            let dispatched = !matches!(kind, Kind::Profiling | Kind::Nmi);
            if dispatched && level >= 1 && level <= MAX_LEVEL {
                masks[level as usize] |= 1 << n;
            }
        }
        n += 1;
    }
    masks
}

/// Per level (index 1..=3), the CPU interrupts the vector of that level dispatches. Read by
/// `asm/core1.S` (`INTERRUPT & INTENABLE & mask`).
#[no_mangle]
pub static splitcore_rt_level_masks: [u32; 4] = level_masks();

/// Interrupts the dispatcher clears in `INTCLEAR` before calling their handler (edge-triggered
/// and software interrupts latch in `INTERRUPT`).
const CLEAR_ON_DISPATCH: u32 = {
    let mut mask = 0u32;
    let mut n = 0;
    while n < 32 {
        if let Some((_, Kind::Edge | Kind::Software)) = TABLE[n] {
            mask |= 1 << n;
        }
        n += 1;
    }
    mask
};

/// Why an interrupt request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterruptError {
    /// The core has no such CPU interrupt.
    NoSuchInterrupt {
        /// The number asked for.
        cpu_interrupt: u8,
    },
    /// The interrupt's level is above [`MAX_LEVEL`] (4, 5 or the NMI's 7): above `EXCM_LEVEL`
    /// it may arrive inside a window exception handler, where no Rust code may run.
    LevelTooHigh {
        /// The CPU interrupt.
        cpu_interrupt: u8,
        /// Its level.
        level: u8,
    },
    /// The interrupt is internal to the core and cannot be used here (the profiling interrupt
    /// for anything; any internal interrupt for [`route`]; a non-software one for [`raise`]).
    WrongKind {
        /// The CPU interrupt.
        cpu_interrupt: u8,
        /// What it is.
        kind: Kind,
    },
    /// The interrupt source number is beyond the matrix (0..=98 on the ESP32-S3).
    NoSuchSource {
        /// The number asked for.
        source: u32,
    },
    /// A handler is already installed (by the user, or by the runtime: CCOMPARE0 while a
    /// [`CycleClock`](crate::timer::CycleClock) owns it).
    InUse {
        /// The CPU interrupt.
        cpu_interrupt: u8,
    },
    /// No handler is installed (enable refused: it would fire into nothing).
    NoHandler {
        /// The CPU interrupt.
        cpu_interrupt: u8,
    },
}

static HANDLERS: [AtomicUsize; 32] = [const { AtomicUsize::new(0) }; 32];
static SPURIOUS: AtomicU32 = AtomicU32::new(0);

/// Checks that the runtime can dispatch `cpu_interrupt`: exists, level 1..=3, not profiling/NMI.
/// Returns its kind.
pub fn check_dispatchable(cpu_interrupt: u8) -> Result<Kind, InterruptError> {
    let Some((level, kind)) = kind_and_level(cpu_interrupt) else {
        return Err(InterruptError::NoSuchInterrupt { cpu_interrupt });
    };
    if level > MAX_LEVEL {
        return Err(InterruptError::LevelTooHigh { cpu_interrupt, level });
    }
    if matches!(kind, Kind::Profiling | Kind::Nmi) {
        return Err(InterruptError::WrongKind { cpu_interrupt, kind });
    }
    Ok(kind)
}

/// Installs `handler` for CPU interrupt `cpu_interrupt` and enables it: any external interrupt
/// (level- or edge-triggered) of level 1..=3, a CCOMPARE timer interrupt of level <= 3 that the
/// runtime does not own, or a software interrupt of level <= 3. The handler runs at the
/// interrupt's level (equal and lower levels masked, higher ones may preempt it), must clear a
/// level-triggered source (peripheral register) or a timer (write its CCOMPARE), and must not use
/// the FPU (the interrupt path does not save FP registers). Edge and software interrupts are
/// cleared by the dispatcher before the handler runs.
pub fn set_handler(cpu_interrupt: u8, handler: fn()) -> Result<(), InterruptError> {
    install(cpu_interrupt, handler)?;
    cpu::intenable_modify(1 << cpu_interrupt, 0);
    Ok(())
}

/// Installs a handler without enabling the interrupt (the runtime's timer enables it per arm).
pub(crate) fn install(cpu_interrupt: u8, handler: fn()) -> Result<(), InterruptError> {
    check_dispatchable(cpu_interrupt)?;
    HANDLERS[cpu_interrupt as usize]
        .compare_exchange(0, handler as usize, Ordering::AcqRel, Ordering::Acquire)
        .map_err(|_| InterruptError::InUse { cpu_interrupt })?;
    if CLEAR_ON_DISPATCH & (1 << cpu_interrupt) != 0 {
        cpu::intclear(1 << cpu_interrupt); // a stale latched edge must not fire the new handler
    }
    Ok(())
}

/// Disables a CPU interrupt and removes its handler.
pub fn remove_handler(cpu_interrupt: u8) {
    if cpu_interrupt < 32 {
        cpu::intenable_modify(0, 1 << cpu_interrupt);
        HANDLERS[cpu_interrupt as usize].store(0, Ordering::Release);
    }
}

/// Enables an interrupt whose handler is installed.
pub fn enable(cpu_interrupt: u8) -> Result<(), InterruptError> {
    check_dispatchable(cpu_interrupt)?;
    if HANDLERS[cpu_interrupt as usize].load(Ordering::Acquire) == 0 {
        return Err(InterruptError::NoHandler { cpu_interrupt });
    }
    cpu::intenable_modify(1 << cpu_interrupt, 0);
    Ok(())
}

/// Disables an interrupt (its handler stays installed; a level-triggered request stays pending
/// and is taken when it is enabled again).
pub fn disable(cpu_interrupt: u8) -> Result<(), InterruptError> {
    check_dispatchable(cpu_interrupt)?;
    cpu::intenable_modify(0, 1 << cpu_interrupt);
    Ok(())
}

/// Whether the interrupt is enabled (INTENABLE).
pub fn is_enabled(cpu_interrupt: u8) -> bool {
    cpu_interrupt < 32 && cpu::intenable_modify(0, 0) & (1 << cpu_interrupt) != 0
}

/// Raises a software interrupt (INTSET): its handler runs at once if its level is above the
/// current one, otherwise when the level drops (e.g. a level-3 handler deferring work to a
/// level-1 software interrupt).
pub fn raise(cpu_interrupt: u8) -> Result<(), InterruptError> {
    let kind = check_dispatchable(cpu_interrupt)?;
    if kind != Kind::Software {
        return Err(InterruptError::WrongKind { cpu_interrupt, kind });
    }
    cpu::intset(1 << cpu_interrupt);
    Ok(())
}

/// The current interrupt level (`PS.INTLEVEL`): 0 in thread code, `n` in a handler of level `n`.
pub fn current_level() -> u8 {
    (cpu::ps() & 0xf) as u8
}

/// Routes a peripheral interrupt source to an external CPU interrupt of core 1 (level 1..=3)
/// through core 1's map register.
pub fn route(source: u32, cpu_interrupt: u8) -> Result<(), InterruptError> {
    let kind = check_dispatchable(cpu_interrupt)?;
    if !matches!(kind, Kind::Level | Kind::Edge) {
        return Err(InterruptError::WrongKind { cpu_interrupt, kind });
    }
    if source > 98 {
        return Err(InterruptError::NoSuchSource { source });
    }
    write_map(source, cpu_interrupt as u32);
    ROUTED[source as usize / 32].fetch_or(1 << (source % 32), Ordering::Relaxed);
    Ok(())
}

/// The value of a map register after reset (interrupt_core1_reg.h: default 16).
const MAP_RESET_VALUE: u32 = 16;

/// Sources this runtime routed (bit `s % 32` of word `s / 32`); kept across a restart of
/// core 1 so the next boot can undo the previous boot's routes.
static ROUTED: [AtomicU32; 4] = [const { AtomicU32::new(0) }; 4];

fn write_map(source: u32, value: u32) {
    let map = (CORE1_INTR_MAP_BASE + 4 * source) as *mut u32;
    // SAFETY: a documented, always-present peripheral register (ESP32-S3 TRM, interrupt
    // matrix); `source <= 98` is checked by the callers.
    unsafe { core::ptr::write_volatile(map, value) };
}

/// Forgets every handler at boot (a restarted core 1 starts with INTENABLE = 0 and must be able
/// to install its handlers again) and returns the sources the previous boot routed to their
/// reset state, so a CPU interrupt reused by the new program cannot fire from an old source.
pub(crate) fn reset() {
    for handler in &HANDLERS {
        handler.store(0, Ordering::Relaxed);
    }
    for (word, routed) in ROUTED.iter().enumerate() {
        let mut bits = routed.swap(0, Ordering::Relaxed);
        while bits != 0 {
            let bit = bits.trailing_zeros();
            bits &= bits - 1;
            write_map(word as u32 * 32 + bit, MAP_RESET_VALUE);
        }
    }
}

/// Interrupts that fired without a handler (they are disabled when that happens).
pub fn spurious_count() -> u32 {
    SPURIOUS.load(Ordering::Relaxed)
}

/// Called by the interrupt path of level `n` (1..=3) with `INTERRUPT & INTENABLE & mask[n]`,
/// at `PS.INTLEVEL = n`.
#[no_mangle]
pub extern "C" fn splitcore_rt_interrupt(pending: u32) {
    let latched = pending & CLEAR_ON_DISPATCH;
    if latched != 0 {
        cpu::intclear(latched);
    }
    let mut bits = pending;
    while bits != 0 {
        let n = cpu::lowest_bit(bits) & 31; // (the mask spares a bounds check and its panic path)
        bits &= bits - 1;
        let handler = HANDLERS[n as usize].load(Ordering::Acquire);
        if handler == 0 {
            SPURIOUS.fetch_add(1, Ordering::Relaxed);
            cpu::intenable_modify(0, 1 << n);
            continue;
        }
        // SAFETY: only `fn()` pointers are stored in HANDLERS (install).
        let handler: fn() = unsafe { core::mem::transmute::<usize, fn()>(handler) };
        handler();
    }
}
