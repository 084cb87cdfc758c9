//! @NAME@, core 1: a periodic task at 1 kHz on the splitcore executive, timed by CCOUNT, with a
//! log line once a second. It runs until core 0 asks it to stop.
#![no_std]

use core::cell::Cell;

use splitcore_core0 as _; // the core-0 C ABI, in the same archive
use splitcore_exec::{every, Executive, FnTimeSource, Hz};

/// CCOUNT rate: the CPU clock (sdkconfig.defaults: 240 MHz).
const CPU_HZ: u32 = 240_000_000;

fn ccount() -> u32 {
    splitcore_rt::ccount()
}

fn control_loop() {
    splitcore_rt::println!("@NAME@: core 1 up, boot #{}", splitcore_rt::boot_count());
    let ticks = Cell::new(0u32);
    let time = FnTimeSource::new(ccount, CPU_HZ);
    let tasks = (
        every(Hz(1_000), || {
            // The periodic work goes here.
            ticks.set(ticks.get().wrapping_add(1));
        }),
        every(Hz(1), || splitcore_rt::println!("@NAME@: {} ticks", ticks.get())),
    );
    match Executive::new(time, tasks) {
        Ok(mut exec) => exec.run_polling(|| {
            splitcore_rt::heartbeat();
            splitcore_rt::stop_requested()
        }),
        Err(e) => splitcore_rt::println!("@NAME@: bad task rate: {:?}", e),
    }
}

splitcore_rt::entry!(control_loop);
