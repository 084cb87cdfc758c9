//! The executive on an emulated Xtensa core, timed by CCOUNT (40 MHz on the board). Without
//! `-icount` CCOUNT follows host time, so only the schedule's arithmetic can be asserted
//! exactly; with `-icount shift=0` on one core CCOUNT advances once per 25 guest instructions
//! and the executive's cost per period is exactly repeatable.
#![no_std]

use core::cell::Cell;

use splitcore_exec::{every, every_with, Executive, FnTimeSource, Hz, Release, VirtualClock};
use splitcore_target_test::{
    board, check, check_eq, println, target_test_main, Failure, TestCase, TestResult,
};

const CCOUNT_HZ: u32 = 40_000_000;
const RELEASES: usize = 200;

fn ccount() -> u32 {
    board::ccount()
}

/// A 1 kHz task and a 250 Hz task polled on CCOUNT: release `k` of the 1 kHz task is scheduled
/// at exactly `t0 + k * 40 000` cycles, every release is late by less than a period, and the
/// slower task fell due exactly every fourth millisecond.
fn release_times_are_exact_in_guest_cycles() -> TestResult {
    if !board::config().icount {
        // Host-timed CCOUNT can jump by whole periods when QEMU is descheduled (the schedule then
        // re-arms, correctly, and the phase moves); qemu-runtime covers that mode.
        return Err(Failure::skip("needs -icount (cargo xtask qemu qemu-exec --cpus 1 --icount)"));
    }
    let clock = FnTimeSource::new(ccount, CCOUNT_HZ);
    let scheduled: Cell<[u32; RELEASES]> = Cell::new([0; RELEASES]);
    let lateness_max = Cell::new(0u32);
    let count = Cell::new(0usize);
    let slow = Cell::new(0u32);
    let exec = Executive::new(
        clock,
        (
            every_with(Hz(1_000), |r: &Release| {
                let mut times = scheduled.get();
                if count.get() < RELEASES {
                    times[count.get()] = r.scheduled;
                    scheduled.set(times);
                }
                count.set(count.get() + 1);
                lateness_max.set(lateness_max.get().max(r.lateness));
            }),
            every(Hz(250), || slow.set(slow.get() + 1)),
        ),
    );
    let Ok(mut exec) = exec else {
        return Err(Failure::new(file!(), line!(), format_args!("rates rejected")));
    };
    exec.run_polling(|| count.get() >= RELEASES);
    let stats = *exec.stats(0);
    drop(exec);
    let times = scheduled.get();
    for (k, &t) in times.iter().enumerate() {
        check_eq!(t.wrapping_sub(times[0]), k as u32 * 40_000);
    }
    check_eq!((stats.releases, stats.missed_releases, stats.rearms), (RELEASES as u32, 0, 0));
    // Measured in guest cycles: the polling driver released every task within 1 % of a
    // period of its deadline (CCOUNT read when the release happened minus the ideal time).
    check!(lateness_max.get() < 400, "a release {} cycles late", lateness_max.get());
    check_eq!(slow.get(), (RELEASES as u32 - 1) / 4 + 1);
    println!(
        "    {} releases at exact 40000-cycle steps, worst lateness {} cycles, exec max {} cycles",
        RELEASES,
        lateness_max.get(),
        stats.exec_max
    );
    Ok(())
}

/// `passes` timer-interrupt passes of a 20 kHz task on a simulated clock, each interrupt
/// arriving 0..12 cycles late and the task taking 80 cycles (so lateness, execution time and the
/// jitter histogram all change every pass); returns CCOUNT ticks.
#[inline(never)]
fn timer_passes(passes: u32) -> u32 {
    let clock = VirtualClock::manual(CCOUNT_HZ, 0);
    let Ok(mut exec) = Executive::new(&clock, every(Hz(20_000), || clock.advance(core::hint::black_box(80))))
    else {
        return 0;
    };
    let mut next = exec.start_at(0);
    let start = board::ccount();
    for i in 0..passes {
        let now = next.wrapping_add(core::hint::black_box(i.wrapping_mul(7) % 13));
        clock.set(now);
        next = exec.on_timer_interrupt(now);
    }
    let ticks = board::ccount().wrapping_sub(start);
    core::hint::black_box(exec.stats(0).releases);
    ticks
}

/// Guest instructions per period of the executive's interrupt driver (release bookkeeping,
/// statistics, jitter histogram, next deadline), from the difference of two run lengths.
fn executive_cost_per_period() -> TestResult {
    if !board::config().icount {
        return Err(Failure::skip("needs -icount (cargo xtask qemu qemu-exec --cpus 1 --icount)"));
    }
    let short = timer_passes(1_000);
    let long = timer_passes(21_000);
    let per_pass = (long - short) as u64 * 25 / 20_000;
    println!(
        "icount: executive on_timer_interrupt = {} guest instructions per period (one 20 kHz task, interrupts 0-12 cycles late; release bookkeeping, statistics, histogram and the test loop included)",
        per_pass
    );
    check!(per_pass > 10 && per_pass < 1_000, "implausible {} instructions per period", per_pass);
    Ok(())
}

target_test_main!(
    TestCase::core0(
        "release times exact in guest cycles (CCOUNT, polling)",
        release_times_are_exact_in_guest_cycles
    ),
    TestCase::core0("executive cost per period (-icount)", executive_cost_per_period),
);
