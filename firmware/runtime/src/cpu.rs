//! The assembly side (`asm/core1.S`), seen from Rust.

extern "C" {
    /// The entry trampoline: core 1's boot address. Not callable from Rust.
    pub fn splitcore_core1_entry();
    fn splitcore_prid() -> u32;
    fn splitcore_ccount() -> u32;
    fn splitcore_sp() -> u32;
    fn splitcore_park() -> !;
    fn splitcore_raise_panic();
    fn splitcore_intenable_modify(set: u32, clear: u32) -> u32;
    fn splitcore_waiti0();
    fn splitcore_ps() -> u32;
    fn splitcore_intset(mask: u32);
    fn splitcore_intclear(mask: u32);
    fn splitcore_lowest_bit(bits: u32) -> u32;
}

/// Index of the executing core: 0 (PRO CPU) or 1 (APP CPU).
pub fn core_id() -> u32 {
    // SAFETY: reads PRID; no memory access.
    let prid = unsafe { splitcore_prid() };
    if cfg!(feature = "qemu") {
        // QEMU's PRID is the CPU index.
        prid & 1
    } else {
        // ESP32-S3: PRID is 0xCDCD on the PRO CPU and 0xABAB on the APP CPU; bit 13 tells them
        // apart (as ESP-IDF's esp_cpu_get_core_id does).
        (prid >> 13) & 1
    }
}

/// The cycle counter of this core.
pub fn ccount() -> u32 {
    // SAFETY: reads CCOUNT; no memory access.
    unsafe { splitcore_ccount() }
}

/// The caller's stack pointer.
pub fn stack_pointer() -> u32 {
    // SAFETY: reads a1; no memory access.
    unsafe { splitcore_sp() }
}

/// Stops this core (interrupts masked). Core 0 restarts it through reset (on QEMU: the board's
/// reset request).
pub(crate) fn park() -> ! {
    // SAFETY: never returns; touches only the board's reset-request word under QEMU.
    unsafe { splitcore_park() }
}

/// Enters the crash path through a SYSCALL exception (so the panic gets the same register
/// capture and backtrace as a CPU exception).
pub(crate) fn raise_panic() {
    // SAFETY: the SYSCALL exception is handled by the runtime's vectors, which never return.
    unsafe { splitcore_raise_panic() }
}

/// Sets and clears bits of INTENABLE atomically (interrupts masked meanwhile); returns the old
/// value.
pub(crate) fn intenable_modify(set: u32, clear: u32) -> u32 {
    // SAFETY: a read-modify-write of INTENABLE with interrupts masked; no memory access.
    unsafe { splitcore_intenable_modify(set, clear) }
}

/// Sleeps until an interrupt arrives (`waiti 0`).
pub fn wait_for_interrupt() {
    // SAFETY: sleeps; the interrupt path returns here.
    unsafe { splitcore_waiti0() }
}

/// The processor state register (PS).
pub(crate) fn ps() -> u32 {
    // SAFETY: reads PS; no memory access.
    unsafe { splitcore_ps() }
}

/// Raises the software interrupts in `mask` (INTSET).
pub(crate) fn intset(mask: u32) {
    // SAFETY: sets bits of INTERRUPT for software interrupts; no memory access.
    unsafe { splitcore_intset(mask) }
}

/// Clears latched edge-triggered and software interrupts in `mask` (INTCLEAR).
pub(crate) fn intclear(mask: u32) {
    // SAFETY: clears bits of INTERRUPT; no memory access.
    unsafe { splitcore_intclear(mask) }
}

/// Index of the lowest set bit of `bits` (which must not be 0), with NSAU.
pub(crate) fn lowest_bit(bits: u32) -> u32 {
    // SAFETY: register-only arithmetic.
    unsafe { splitcore_lowest_bit(bits) }
}
