//! The executive's per-period overhead on the host backend, for callgrind.
//!
//! Runs `N` periods (first argument, default 100000) of one empty 100 kHz task with a
//! [`VirtualClock`] on a 240 MHz (CCOUNT) time base, under the polling driver, or with a
//! second argument `interrupt`, through `on_timer_interrupt` as a tick-interrupt handler
//! would (the "interrupt" jumps the clock to each returned alarm). Everything but
//! the executive is constant, so the instruction count of two runs with different `N`,
//! divided by the difference in `N`, is the cost of one period: waiting (one idle step of
//! the virtual clock), the due check, the release rule, the task call, the end-time read and
//! the statistics update.
//!
//! ```sh
//! cargo build --release -p splitcore-exec --example overhead
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.100k target/release/examples/overhead 100000
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.200k target/release/examples/overhead 200000
//! # per period = (Ir(200k) - Ir(100k)) / 100000; crates/exec/scripts/overhead-callgrind.sh does it all
//! # (MODE=interrupt for the interrupt driver).
//! ```

use std::cell::Cell;
use std::hint::black_box;

use splitcore_exec::{every, Executive, Hz, VirtualClock};

fn main() {
    let n: u32 =
        std::env::args().nth(1).map(|a| a.parse().expect("N: a number of periods")).unwrap_or(100_000);
    let clock = VirtualClock::new(240_000_000, u32::MAX - 1000);
    let runs = Cell::new(0u32);
    let mut exec = Executive::new(
        &clock,
        every(Hz(100_000), || {
            runs.set(black_box(runs.get()) + 1);
        }),
    )
    .expect("100 kHz fits a 240 MHz time base");
    if std::env::args().nth(2).as_deref() == Some("interrupt") {
        let mut alarm = exec.start();
        while runs.get() < n {
            clock.set(alarm);
            alarm = exec.on_timer_interrupt(black_box(alarm));
        }
    } else {
        exec.run_polling(|| runs.get() >= n);
    }
    let stats = exec.stats(0);
    assert_eq!(stats.releases, n);
    assert_eq!(stats.missed_releases, 0);
    println!("ran {n} periods: {stats}");
}
