//! The core-1 runtime: what runs between the ROM handing core 1 over and the user's function.
//!
//! Core 0 gives the ROM [`splitcore_core1_entry`] as core 1's boot address. That trampoline
//! (`asm/core1.S`) masks interrupts, forgets the ROM's register windows (so no ROM frame can be
//! spilled into the ROM stack, which ESP-IDF's heap owns by then), installs this crate's vector
//! table, disarms the timers, enables the FPU, fills the runtime's own stack with a canary,
//! switches to it and calls [`splitcore_rt_start`], which does the handshake with core 0 through
//! the [`ControlBlock`] and calls the user's function declared with [`entry!`].
//!
//! Panics and CPU exceptions end in a [`CrashRecord`] in the control block (registers, EXCCAUSE,
//! PC, EXCVADDR, a backtrace walked from the spilled window frames, the panic message and
//! location), status `Crashed`, and a parked core.
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! fn control_loop() -> ! {
//!     loop {
//!         splitcore_rt::heartbeat();
//!     }
//! }
//! splitcore_rt::entry!(control_loop);
//! ```
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod cpu;
mod crash;
pub mod doorbell;
pub mod interrupt;
pub mod log;
mod stack;
pub mod timer;

use core::sync::atomic::{AtomicU32, Ordering};

pub use splitcore_proto::control::{ControlBlock, Status, PROTOCOL_VERSION};
pub use splitcore_proto::crash::{Crash, CrashRecord, Reason};

pub use cpu::{ccount, core_id, stack_pointer, wait_for_interrupt};
pub use stack::{stack_bounds, stack_high_water};

/// The control block core 0 and core 1 share (internal DRAM). Core 0 finds it by this symbol.
#[no_mangle]
pub static SPLITCORE_CONTROL: ControlBlock = ControlBlock::new();

/// The shared control block.
pub fn control() -> &'static ControlBlock {
    &SPLITCORE_CONTROL
}

/// The entry trampoline, for core 0 to hand to the ROM (`ets_set_appcpu_boot_addr`).
pub use cpu::splitcore_core1_entry;

/// Declares the user's core-1 function: `splitcore_rt::entry!(path)`. The function takes no
/// arguments and either never returns (`-> !`) or returns after [`stop_requested`] became true.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        pub extern "C" fn splitcore_user_main() {
            #[allow(unreachable_code)]
            {
                $main();
            }
        }
    };
}

extern "C" {
    fn splitcore_user_main();
}

/// Called by the trampoline on the runtime's stack: handshake, then the user's function.
#[no_mangle]
pub extern "C" fn splitcore_rt_start() -> ! {
    let control = control();
    let (lo, hi) = stack::stack_bounds();
    control.stack_lo.store(lo, Ordering::Relaxed);
    control.stack_hi.store(hi, Ordering::Relaxed);
    crash::reset();
    interrupt::reset();
    timer::reset();
    doorbell::reset();
    log::attach();
    if control.attach(PROTOCOL_VERSION).is_err() {
        // `Incompatible` is published (or core 0 never prepared the block): nothing may run.
        cpu::park();
    }
    // SAFETY: `entry!` defines this function; it is an ordinary Rust function.
    unsafe { splitcore_user_main() };
    stack::publish_high_water();
    let _ = control.transition(Status::Stopping);
    let _ = control.transition(Status::Stopped);
    cpu::park()
}

/// Tells core 0 the loop is alive (its supervisor watches this counter) and checks the stack
/// canary. Call it from the control loop (the executive calls it every period).
pub fn heartbeat() {
    let control = control();
    let beat = control.heartbeat.load(Ordering::Relaxed).wrapping_add(1);
    control.heartbeat.store(beat, Ordering::Release);
    stack::check_canary();
}

/// Whether core 0 asked core 1 to stop. The first time it is seen, the status becomes
/// `Stopping`; the user's function should then return.
pub fn stop_requested() -> bool {
    let control = control();
    if control.stop_request.load(Ordering::Acquire) == 0 {
        return false;
    }
    let _ = control.transition(Status::Stopping);
    true
}

/// Number of times the runtime was started since core 0 prepared the control block.
pub fn boot_count() -> u32 {
    control().boot_count.load(Ordering::Relaxed)
}

/// Word the assembly crash path sets while it handles a crash (a second crash then parks at once).
#[no_mangle]
pub static splitcore_crashing: AtomicU32 = AtomicU32::new(0);
