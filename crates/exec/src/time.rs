//! Time sources and wrap-safe deadline arithmetic.
//!
//! All times are `u32` tick counts that wrap. A 240 MHz CCOUNT wraps every ~17.9 s, the low
//! word of the 16 MHz SYSTIMER every ~268 s, so nothing here ever compares two instants with
//! `<`: an instant `now` has reached `deadline` when `now.wrapping_sub(deadline) as i32 >= 0`
//! ([`reached`]). That is right as long as the two are less than 2^31 ticks apart (~8.9 s at
//! 240 MHz), which every period accepted by [`Period`](crate::Period) guarantees.

use core::sync::atomic::{AtomicU32, Ordering};

/// A free-running, wrapping tick counter.
///
/// On the ESP32-S3 the firmware glues one of these to a hardware counter: SYSTIMER (16 MHz,
/// independent of the CPU clock) or CCOUNT (CPU cycles: 240 MHz on the S3, 40 MHz in QEMU).
/// [`FnTimeSource`] adapts a plain `fn() -> u32` (e.g. an `extern "C"` CCOUNT reader written
/// in assembly); [`VirtualClock`] is the host's simulated time.
pub trait TimeSource {
    /// The current tick count (wrapping).
    fn now(&self) -> u32;

    /// The counter's rate, in ticks per second.
    fn ticks_per_second(&self) -> u32;

    /// Called by the polling driver while it waits for `deadline`; it may return at any time
    /// (the caller re-checks). The default is one spin-loop hint. A simulated clock jumps to
    /// the deadline here; a target backend could `WAITI` until its alarm.
    #[inline]
    fn idle_until(&self, deadline: u32) {
        let _ = deadline;
        core::hint::spin_loop();
    }
}

impl<T: TimeSource + ?Sized> TimeSource for &T {
    #[inline]
    fn now(&self) -> u32 {
        (**self).now()
    }
    #[inline]
    fn ticks_per_second(&self) -> u32 {
        (**self).ticks_per_second()
    }
    #[inline]
    fn idle_until(&self, deadline: u32) {
        (**self).idle_until(deadline)
    }
}

/// Whether `now` has reached (or passed) `deadline`, across wrap-around.
///
/// ```
/// use splitcore_exec::reached;
/// assert!(reached(5, 5));
/// assert!(reached(3, u32::MAX - 1)); // the counter wrapped after the deadline
/// assert!(!reached(u32::MAX - 1, 3)); // the deadline lies after the wrap
/// ```
#[inline]
pub const fn reached(now: u32, deadline: u32) -> bool {
    now.wrapping_sub(deadline) as i32 >= 0
}

/// Signed ticks from `now` until `deadline`: negative once the deadline has passed.
///
/// ```
/// use splitcore_exec::ticks_until;
/// assert_eq!(ticks_until(u32::MAX, 9), 10);
/// assert_eq!(ticks_until(9, u32::MAX), -10);
/// ```
#[inline]
pub const fn ticks_until(now: u32, deadline: u32) -> i32 {
    deadline.wrapping_sub(now) as i32
}

/// The earlier of two deadlines as seen from `now` (wrap-safe).
#[inline]
pub const fn earlier(now: u32, a: u32, b: u32) -> u32 {
    if ticks_until(now, a) <= ticks_until(now, b) {
        a
    } else {
        b
    }
}

/// Converts ticks at `ticks_per_second` to nanoseconds (`u64`; not for hot paths on the target,
/// where `u64` division is a library call).
#[inline]
pub const fn ticks_to_ns(ticks: u64, ticks_per_second: u32) -> u64 {
    if ticks_per_second == 0 {
        return 0;
    }
    ((ticks as u128 * 1_000_000_000) / ticks_per_second as u128) as u64
}

/// A simulated clock: a 32-bit atomic counter that the test or simulator advances.
///
/// Built with [`VirtualClock::new`] it *jumps* to the deadline when the polling driver waits
/// ([`TimeSource::idle_until`]), so a host run of millions of periods takes no longer than
/// the work inside the tasks. Built with [`VirtualClock::manual`] it never moves by itself
/// (another thread or the simulator drives it). Only 32-bit atomics are used, so it also works
/// on the target (e.g. a QEMU test with a scripted clock).
///
/// ```
/// use splitcore_exec::{TimeSource, VirtualClock};
/// let clock = VirtualClock::new(1_000_000, u32::MAX - 1);
/// clock.advance(3);
/// assert_eq!(clock.now(), 1);
/// assert_eq!(clock.ticks_per_second(), 1_000_000);
/// ```
#[derive(Debug)]
pub struct VirtualClock {
    ticks: AtomicU32,
    ticks_per_second: u32,
    jump_on_idle: bool,
}

impl VirtualClock {
    /// A clock at `start` ticks that jumps to each deadline the polling driver waits for.
    pub const fn new(ticks_per_second: u32, start: u32) -> Self {
        VirtualClock { ticks: AtomicU32::new(start), ticks_per_second, jump_on_idle: true }
    }

    /// A clock at `start` that moves only through [`advance`](Self::advance) / [`set`](Self::set).
    pub const fn manual(ticks_per_second: u32, start: u32) -> Self {
        VirtualClock { ticks: AtomicU32::new(start), ticks_per_second, jump_on_idle: false }
    }

    /// Moves the clock forward by `ticks` (wrapping).
    #[inline]
    pub fn advance(&self, ticks: u32) {
        // A load and a store instead of `fetch_add`: one writer at a time is the contract,
        // and this keeps the simulated clock free of read-modify-write atomics.
        let t = self.ticks.load(Ordering::Relaxed);
        self.ticks.store(t.wrapping_add(ticks), Ordering::Relaxed);
    }

    /// Sets the clock to `ticks`.
    #[inline]
    pub fn set(&self, ticks: u32) {
        self.ticks.store(ticks, Ordering::Relaxed);
    }
}

impl TimeSource for VirtualClock {
    #[inline]
    fn now(&self) -> u32 {
        self.ticks.load(Ordering::Relaxed)
    }
    #[inline]
    fn ticks_per_second(&self) -> u32 {
        self.ticks_per_second
    }
    #[inline]
    fn idle_until(&self, deadline: u32) {
        if self.jump_on_idle {
            if !reached(self.now(), deadline) {
                self.set(deadline);
            }
        } else {
            core::hint::spin_loop();
        }
    }
}

/// A time source made of a function that reads the counter, e.g. the firmware's
/// `extern "C" fn splitcore_ccount() -> u32` (special registers are read from `.S` files; Rust
/// inline assembly is not available on Xtensa with this toolchain).
///
/// ```
/// use splitcore_exec::{FnTimeSource, TimeSource};
/// fn read_counter() -> u32 { 42 }
/// let time = FnTimeSource::new(read_counter, 16_000_000); // SYSTIMER rate
/// assert_eq!(time.now(), 42);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FnTimeSource {
    read: fn() -> u32,
    ticks_per_second: u32,
}

impl FnTimeSource {
    /// Wraps `read`, a counter running at `ticks_per_second`.
    pub const fn new(read: fn() -> u32, ticks_per_second: u32) -> Self {
        FnTimeSource { read, ticks_per_second }
    }
}

impl TimeSource for FnTimeSource {
    #[inline]
    fn now(&self) -> u32 {
        (self.read)()
    }
    #[inline]
    fn ticks_per_second(&self) -> u32 {
        self.ticks_per_second
    }
}

/// Wall-clock time on the host (`std`): ticks at a chosen rate since the clock was made,
/// truncated to 32 bits (so it wraps like the target's counters).
///
/// ```
/// use splitcore_exec::{HostClock, TimeSource};
/// let clock = HostClock::new(16_000_000);
/// let a = clock.now();
/// std::thread::sleep(std::time::Duration::from_millis(1));
/// assert!(clock.now().wrapping_sub(a) >= 16_000);
/// ```
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy)]
pub struct HostClock {
    origin: std::time::Instant,
    ticks_per_second: u32,
    offset: u32,
}

#[cfg(feature = "std")]
impl HostClock {
    /// A clock counting `ticks_per_second` from zero, now.
    pub fn new(ticks_per_second: u32) -> Self {
        Self::starting_at(ticks_per_second, 0)
    }

    /// A clock counting from `start` (e.g. `u32::MAX - 1000` to exercise the wrap).
    pub fn starting_at(ticks_per_second: u32, start: u32) -> Self {
        HostClock { origin: std::time::Instant::now(), ticks_per_second, offset: start }
    }
}

#[cfg(feature = "std")]
impl TimeSource for HostClock {
    fn now(&self) -> u32 {
        let ns = self.origin.elapsed().as_nanos();
        let ticks = ns * self.ticks_per_second as u128 / 1_000_000_000;
        (ticks as u32).wrapping_add(self.offset)
    }
    fn ticks_per_second(&self) -> u32 {
        self.ticks_per_second
    }
}
