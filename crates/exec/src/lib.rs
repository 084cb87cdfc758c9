//! Time base and periodic executive for core 1's hard real-time loop.
//!
//! Portable logic, `#![no_std]`, no allocation, only 32-bit atomics: the same code runs on
//! core 1 of the ESP32-S3 (timed by SYSTIMER or CCOUNT, glued in `firmware/`) and on the host
//! against a [`VirtualClock`].
//!
//! * [`TimeSource`]: a wrapping `u32` tick counter; all comparisons are wrap-safe
//!   ([`reached`], [`ticks_until`]).
//! * [`Period`] / [`PeriodicTask`]: exact periods (fractional ticks carried, no drift) and the
//!   release rule: next = previous + period, but a release a whole period late re-arms from
//!   now and counts the missed periods (an Xtensa CCOMPARE set in the past would not fire for
//!   2^32 cycles).
//! * [`Executive`]: `N` tasks made with [`every`]`(Hz(..), || ..)`, driven either by
//!   [`Executive::run_polling`] (busy-wait) or from a timer interrupt
//!   ([`Executive::on_timer_interrupt`], [`Executive::service_alarm`] with a [`TimerAlarm`]).
//! * [`TaskStats`]: per-task execution time, overruns, missed releases and a jitter histogram,
//!   `#[repr(C)]` + `Pod` for a splitcore-ipc mailbox, with a `Display` report.
//!
//! ```
//! use core::cell::Cell;
//! use splitcore_exec::{every, Executive, Hz, VirtualClock};
//!
//! let clock = VirtualClock::new(240_000_000, u32::MAX - 1000); // CCOUNT, about to wrap
//! let seconds = Cell::new(0);
//! let mut position = 0i32;
//! let mut exec = Executive::new(
//!     &clock,
//!     (
//!         every(Hz(20_000), || position += 1), // the control loop
//!         every(Hz(1), || seconds.set(seconds.get() + 1)),
//!     ),
//! )?;
//! exec.run_polling(|| seconds.get() == 2); // releases at t0 and t0 + 1 s
//! let stats = *exec.stats(0);
//! println!("{stats}");
//! assert_eq!((stats.releases, stats.missed_releases, stats.overruns), (20_001, 0, 0));
//! drop(exec);
//! assert_eq!(position, 20_001);
//! # Ok::<(), splitcore_exec::TaskRateError>(())
//! ```
//!
//! # Features
//!
//! * `std`: [`HostClock`] (wall-clock time source) and `std::error::Error` impls.

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

#[cfg(feature = "std")]
extern crate std;

mod executive;
mod period;
mod stats;
mod time;

pub use executive::{
    every, every_with, Body, Every, Executive, Plain, TaskRateError, TaskSet, TimerAlarm, WithRelease,
};
pub use period::{Hz, Period, PeriodicTask, RateError, Release, MAX_PERIOD_TICKS, MIN_PERIOD_TICKS};
pub use stats::{jitter_bin, jitter_bin_range, TaskStats, JITTER_BINS};
#[cfg(feature = "std")]
pub use time::HostClock;
pub use time::{earlier, reached, ticks_to_ns, ticks_until, FnTimeSource, TimeSource, VirtualClock};
