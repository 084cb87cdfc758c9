//! The QEMU board's start-up code (`firmware/qemu-board/start.S`), seen from Rust.

use core::sync::atomic::{AtomicU32, Ordering};

extern "C" {
    fn board_prid() -> u32;
    fn board_ccount() -> u32;
    fn board_semihost_write(fd: i32, buf: *const u8, len: usize) -> i32;
    fn board_exit(code: i32) -> !;
    fn board_release_core1();
    fn board_sp() -> u32;
    fn board_er_write(address: u32, value: u32);
    fn board_spin(iterations: u32);
    fn board_trigger_illegal();
    /// Core-1 entry of the board (resets windows, own stack, calls `board_core1_main`).
    fn board_core1_entry();
    static board_boot_addr: AtomicU32;
    static board_core1_reset_request: AtomicU32;
    static board_rom_alive: AtomicU32;
    static board_config: [AtomicU32; 5];
    static _board_romstk_lo: u32;
    static _board_romstk_hi: u32;
}

/// The value the ROM stand-in fills its stack with.
pub const ROM_STACK_CANARY: u32 = 0xa5a5_a5a5;

/// Magic in the first word of the boot configuration written by the runner.
const CONFIG_MAGIC: u32 = 0x5350_4c54; // "SPLT"
/// Flag: the runner started QEMU with `-icount` (CCOUNT counts instructions / 25).
const CONFIG_FLAG_ICOUNT: u32 = 1;

/// The configuration the runner (`cargo xtask qemu`) passed through `-device loader`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootConfig {
    /// Number of emulated CPUs, if the runner said.
    pub cpus: Option<u32>,
    /// Whether QEMU runs with `-icount` (deterministic, instruction-exact CCOUNT).
    pub icount: bool,
    /// A program-defined number chosen on the runner's command line (`--scenario`), for programs
    /// that exercise several fatal paths, one per run.
    pub scenario: u32,
    /// The emulated machine, if the runner said.
    pub machine: Option<Machine>,
}

/// The emulated machines the runner uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    /// `-M sim`.
    Sim,
    /// `-M kc705` (an xtfpga board: core 1 held until released, MX inter-core interrupts, and
    /// loads from unmapped addresses do not fault).
    Kc705,
}

/// Reads the boot configuration.
pub fn config() -> BootConfig {
    // SAFETY: `board_config` is a 16-byte block reserved by the linker script; it is only read.
    let words = unsafe { &board_config };
    if words[0].load(Ordering::Relaxed) != CONFIG_MAGIC {
        return BootConfig { cpus: None, icount: false, scenario: 0, machine: None };
    }
    BootConfig {
        cpus: Some(words[1].load(Ordering::Relaxed)),
        icount: words[2].load(Ordering::Relaxed) & CONFIG_FLAG_ICOUNT != 0,
        scenario: words[3].load(Ordering::Relaxed),
        machine: match words[4].load(Ordering::Relaxed) {
            1 => Some(Machine::Sim),
            2 => Some(Machine::Kc705),
            _ => None,
        },
    }
}

/// Index of the executing core (PRID).
pub fn core_id() -> u32 {
    // SAFETY: reads a special register; no memory is touched.
    unsafe { board_prid() }
}

/// [`ccount`] counts per microsecond.
pub const CCOUNT_PER_US: u32 = 40;

/// The cycle counter (40 MHz on these machines; with `-icount shift=0` one count per 25
/// guest instructions).
pub fn ccount() -> u32 {
    // SAFETY: reads a special register; no memory is touched.
    unsafe { board_ccount() }
}

/// The caller's stack pointer.
pub fn stack_pointer() -> u32 {
    // SAFETY: reads a1; no memory is touched.
    unsafe { board_sp() }
}

/// Executes `2 * iterations` instructions (plus call overhead), for instruction-exact timing.
pub fn spin(iterations: u32) {
    // SAFETY: a register-only loop.
    unsafe { board_spin(iterations.max(1)) }
}

/// Writes bytes to the host's stdout (semihosting). Partial writes are retried.
pub fn write_stdout(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: the buffer is valid for `bytes.len()` bytes for the duration of the call.
        let written = unsafe { board_semihost_write(1, bytes.as_ptr(), bytes.len()) };
        if written <= 0 {
            return;
        }
        bytes = &bytes[(written as usize).min(bytes.len())..];
    }
}

/// Ends the emulation with `code` as QEMU's exit status.
pub fn exit(code: i32) -> ! {
    // SAFETY: semihosting exit; never returns.
    unsafe { board_exit(code) }
}

/// Executes an illegal instruction (used by the runner's self-test).
pub fn trigger_illegal_instruction() {
    // SAFETY: deliberately faults; the board's vectors report it and end the run.
    unsafe { board_trigger_illegal() }
}

/// Sends an inter-processor interrupt to core 1 through the xtfpga boards' MX distributor
/// (`-M kc705`: MIPISET0, arriving as CPU interrupt 0, level 1). No effect on `-M sim`.
pub fn send_ipi_to_core1() {
    // SAFETY: WER to MIPISET0 (ERI 0x140) with core 1's bit; ignored by -M sim.
    unsafe { board_er_write(0x140, 1 << 1) }
}

/// Whether the core-1 ROM stand-in has come up and is polling the boot address.
pub fn core1_rom_alive() -> bool {
    // SAFETY: `board_rom_alive` is a word in the board's .data, written by core 1 only.
    unsafe { board_rom_alive.load(Ordering::Acquire) != 0 }
}

/// Hands `entry` to the core-1 ROM stand-in, which enters it with a windowed `callx8` from live
/// ROM frames on the ROM stack (like `ets_set_appcpu_boot_addr` on the S3), and releases core 1
/// from its run-stall (on `-M kc705`; a no-op on `-M sim`).
pub fn boot_core1(entry: unsafe extern "C" fn()) {
    // SAFETY: `board_boot_addr` is a word in the board's .data, polled by the ROM stand-in.
    unsafe { board_boot_addr.store(entry as usize as u32, Ordering::Release) };
    // SAFETY: writes the MX MPSCORE register; has no effect on `-M sim`.
    unsafe { board_release_core1() };
}

/// Changes the address the ROM stand-in enters after the next [`reset_core1`] (the stand-in
/// for writing SYSTEM_CORE_1_CONTROL_1_REG while core 1 is held).
pub fn set_core1_boot_addr(addr: u32) {
    // SAFETY: `board_boot_addr` is a word in the board's .data, polled by the ROM stand-in.
    unsafe { board_boot_addr.store(addr, Ordering::Release) };
}

/// The board's stand-in for resetting core 1 (QEMU cannot reset one core): a core parked by the
/// runtime (`splitcore-rt` with its `qemu` feature) starts over from the reset vector, through
/// the ROM stand-in, to the boot address.
pub fn reset_core1() {
    // SAFETY: a word in the board's .data, polled by the parked runtime.
    unsafe { board_core1_reset_request.store(1, Ordering::Release) };
}

/// Boots core 1 into the harness's own job loop.
pub fn boot_core1_harness() {
    boot_core1(board_core1_entry);
}

/// The ROM stand-in's stack, as `[lo, hi)` addresses.
pub fn rom_stack() -> (u32, u32) {
    // SAFETY: only the addresses of linker symbols are taken.
    unsafe { (&_board_romstk_lo as *const u32 as u32, &_board_romstk_hi as *const u32 as u32) }
}

/// Counts the words of the ROM stack that no longer hold the canary, ignoring the root frame's
/// caller-SP slot (the one word the stand-in itself writes).
pub fn rom_stack_words_modified() -> usize {
    let (lo, hi) = rom_stack();
    let root_slot = hi - 64 - 12;
    (lo..hi)
        .step_by(4)
        .filter(|&addr| addr != root_slot)
        // SAFETY: every address is a word inside the ROM stack reserved by the linker script.
        .filter(|&addr| unsafe { core::ptr::read_volatile(addr as *const u32) } != ROM_STACK_CANARY)
        .count()
}
