//! @NAME@, core 1: the dimmer of `@NAME@-control` (../control) on GPIO4 as a 1 kHz task on the
//! splitcore executive, timed by CCOUNT, with a status line once a second. It runs until core
//! 0 asks it to stop. The host twin (../twin) runs the same control code against a simulated
//! RC filter on the pin.
#![no_std]

use core::cell::RefCell;

use @CRATE@_control::{Dimmer, CONFIG, OUTPUT_PIN, TASK_HZ};
use splitcore_core0 as _; // the core-0 C ABI, in the same archive
use splitcore_exec::{every, Executive, FnTimeSource, Hz};
use splitcore_hal_esp32s3::{Blocks, Chip, PsramMode};

/// CCOUNT rate: the CPU clock (sdkconfig.defaults: 240 MHz).
const CPU_HZ: u32 = 240_000_000;

fn ccount() -> u32 {
    splitcore_rt::ccount()
}

/// The peripherals, once per boot. `Chip::take` hands them out once per *program*, but core 0
/// may restart core 1 (after a crash or a stop) without resetting its RAM, and the previous
/// boot's drivers never run again: each boot builds its own `Chip`.
fn chip() -> Chip<'static> {
    // SAFETY: core 0 does not use the pins and units core 1 claims, and this is the only
    // `Chip` of this boot (no driver of an earlier boot runs any more).
    unsafe { Chip::new(Blocks::hardware(), PsramMode::Quad) }
}

fn control_loop() {
    splitcore_rt::println!("@NAME@: core 1 up, boot #{}", splitcore_rt::boot_count());
    let chip = chip();
    let pin = match chip.output(OUTPUT_PIN, false) {
        Ok(pin) => pin,
        Err(e) => {
            return idle(|| splitcore_rt::println!("@NAME@: GPIO{} unusable: {:?}", OUTPUT_PIN, e))
        }
    };
    let dimmer = match Dimmer::new(pin, CONFIG) {
        Ok(d) => RefCell::new(d),
        Err(e) => return idle(|| splitcore_rt::println!("@NAME@: {}", e)),
    };
    let time = FnTimeSource::new(ccount, CPU_HZ);
    let tasks = (
        every(Hz(TASK_HZ), || {
            // The periodic work; the GPIO write cannot fail.
            let _ = dimmer.borrow_mut().step();
        }),
        every(Hz(1), || {
            splitcore_rt::println!("@NAME@: {}", dimmer.borrow().status())
        }),
    );
    match Executive::new(time, tasks) {
        Ok(mut exec) => exec.run_polling(|| {
            splitcore_rt::heartbeat();
            splitcore_rt::stop_requested()
        }),
        Err(e) => splitcore_rt::println!("@NAME@: bad task rate: {:?}", e),
    }
}

/// Reports a set-up error once and waits, beating, for core 0 to stop core 1.
fn idle(report: impl FnOnce()) {
    report();
    while !splitcore_rt::stop_requested() {
        splitcore_rt::heartbeat();
    }
}

splitcore_rt::entry!(control_loop);
