//! Per-task statistics, published as a `Pod` struct for a splitcore-ipc mailbox.

use core::fmt;

use bytemuck::{Pod, Zeroable};

use crate::period::{Period, Release};
use crate::time::ticks_to_ns;

/// Number of release-jitter histogram bins.
pub const JITTER_BINS: usize = 16;

/// The histogram bin of a release lateness of `ticks`: log2-spaced, bin 0 holds 0, bin `i`
/// (1..=14) holds `[2^(i-1), 2^i)`, bin 15 holds everything from `2^14` up.
///
/// ```
/// use splitcore_exec::jitter_bin;
/// assert_eq!([0, 1, 2, 3, 4, 1000, 1 << 14, u32::MAX].map(jitter_bin), [0, 1, 2, 2, 3, 10, 15, 15]);
/// ```
#[inline]
pub const fn jitter_bin(ticks: u32) -> usize {
    let bits = (u32::BITS - ticks.leading_zeros()) as usize;
    if bits < JITTER_BINS {
        bits
    } else {
        JITTER_BINS - 1
    }
}

/// The tick range `[lo, hi)` of histogram bin `bin`; the last bin's `hi` is `u32::MAX`.
pub const fn jitter_bin_range(bin: usize) -> (u32, u32) {
    match bin {
        0 => (0, 1),
        b if b >= JITTER_BINS - 1 => (1 << (JITTER_BINS - 2), u32::MAX),
        b => (1 << (b - 1), 1 << b),
    }
}

/// One task's statistics. `#[repr(C)]` and [`Pod`], 120 bytes, so core 1 can publish it in a
/// splitcore-ipc mailbox and core 0 (or C) can read it; times are in ticks of the executive's
/// time base (`ticks_per_second`), converted only when printed.
///
/// ```
/// use splitcore_exec::{Period, Release, TaskStats};
/// let period = Period::from_hz_at(20_000, 16_000_000)?; // 800 ticks
/// let mut stats = TaskStats::new(&period);
/// stats.record(&Release { lateness: 2, ..Release::default() }, 160);
/// stats.record(&Release { lateness: 0, ..Release::default() }, 240);
/// assert_eq!((stats.exec_min, stats.exec_max, stats.exec_mean()), (160, 240, 200));
/// assert_eq!(
///     stats.to_string(),
///     "20000 Hz (period 50.000 us): 2 releases, exec min/mean/max 10.000/12.500/15.000 us, \
///      jitter p50/p99/max 0.000/0.125/0.125 us, 0 overruns, 0 missed releases (0 re-arms)"
/// );
/// # Ok::<(), splitcore_exec::RateError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct TaskStats {
    /// The task's rate.
    pub rate_hz: u32,
    /// Whole ticks per period.
    pub period_ticks: u32,
    /// The time base's rate.
    pub ticks_per_second: u32,
    /// Releases so far.
    pub releases: u32,
    /// Releases whose execution took longer than one period.
    pub overruns: u32,
    /// Releases skipped because the task was released a period or more late.
    pub missed_releases: u32,
    /// How often the schedule was re-armed from "now" after a missed deadline.
    pub rearms: u32,
    /// Shortest execution time, in ticks (`u32::MAX` before the first release).
    pub exec_min: u32,
    /// Longest execution time, in ticks.
    pub exec_max: u32,
    /// The last execution time, in ticks.
    pub exec_last: u32,
    /// Largest release lateness (jitter), in ticks.
    pub jitter_max: u32,
    /// Spare (keeps `exec_sum` 8-byte aligned; zero).
    pub reserved: u32,
    /// Sum of all execution times, in ticks (for the mean).
    pub exec_sum: u64,
    /// Release-lateness histogram; bin `i` counts latenesses in [`jitter_bin_range`]`(i)`.
    pub jitter_hist: [u32; JITTER_BINS],
}

const _: () = assert!(core::mem::size_of::<TaskStats>() == 120);

impl TaskStats {
    /// Empty statistics for a task of `period`.
    pub const fn new(period: &Period) -> Self {
        TaskStats {
            rate_hz: period.hz(),
            period_ticks: period.ticks(),
            ticks_per_second: period.ticks_per_second(),
            releases: 0,
            overruns: 0,
            missed_releases: 0,
            rearms: 0,
            exec_min: u32::MAX,
            exec_max: 0,
            exec_last: 0,
            jitter_max: 0,
            reserved: 0,
            exec_sum: 0,
            jitter_hist: [0; JITTER_BINS],
        }
    }

    /// Clears the counters, keeping the rate.
    pub fn reset(&mut self) {
        *self = TaskStats {
            rate_hz: self.rate_hz,
            period_ticks: self.period_ticks,
            ticks_per_second: self.ticks_per_second,
            ..TaskStats::zeroed()
        };
        self.exec_min = u32::MAX;
    }

    /// Records one release and its execution time (the executive calls this after each run).
    #[inline]
    pub fn record(&mut self, release: &Release, exec_ticks: u32) {
        self.releases = self.releases.wrapping_add(1);
        self.exec_last = exec_ticks;
        self.exec_sum = self.exec_sum.wrapping_add(exec_ticks as u64);
        if exec_ticks < self.exec_min {
            self.exec_min = exec_ticks;
        }
        if exec_ticks > self.exec_max {
            self.exec_max = exec_ticks;
        }
        if exec_ticks > self.period_ticks {
            self.overruns = self.overruns.wrapping_add(1);
        }
        if release.missed_periods != 0 {
            self.missed_releases = self.missed_releases.wrapping_add(release.missed_periods);
            self.rearms = self.rearms.wrapping_add(1);
        }
        if release.lateness > self.jitter_max {
            self.jitter_max = release.lateness;
        }
        let bin = &mut self.jitter_hist[jitter_bin(release.lateness)];
        *bin = bin.wrapping_add(1);
    }

    /// Mean execution time in ticks (0 before the first release).
    pub fn exec_mean(&self) -> u32 {
        if self.releases == 0 {
            0
        } else {
            (self.exec_sum / self.releases as u64) as u32
        }
    }

    /// Estimates the `permille`/1000 quantile of the release lateness, in ticks, from the
    /// histogram: the bin holding that rank, interpolated linearly inside the bin by the
    /// rank's position, and never above [`jitter_max`](Self::jitter_max). `None` before the
    /// first release. The estimate lies in the same bin as the true quantile.
    ///
    /// ```
    /// use splitcore_exec::{Period, Release, TaskStats};
    /// let mut s = TaskStats::new(&Period::from_hz_at(1_000, 1_000_000)?);
    /// for lateness in [0, 0, 0, 5, 100] {
    ///     s.record(&Release { lateness, ..Release::default() }, 1);
    /// }
    /// assert_eq!(s.jitter_quantile(500), Some(0));
    /// assert_eq!(s.jitter_quantile(800), Some(7)); // bin [4, 8): the rank is its last, so 7
    /// assert_eq!(s.jitter_quantile(990), Some(100)); // capped by the maximum
    /// # Ok::<(), splitcore_exec::RateError>(())
    /// ```
    pub fn jitter_quantile(&self, permille: u32) -> Option<u32> {
        let total: u64 = self.jitter_hist.iter().map(|&c| c as u64).sum();
        if total == 0 {
            return None;
        }
        let permille = permille.min(1000) as u64;
        // 1-based rank of the quantile.
        let rank = (total * permille).div_ceil(1000).max(1);
        let mut below = 0u64;
        for (bin, &count) in self.jitter_hist.iter().enumerate() {
            let count = count as u64;
            if count == 0 || below + count < rank {
                below += count;
                continue;
            }
            let (lo, hi) = jitter_bin_range(bin);
            if bin == 0 {
                return Some(0);
            }
            let hi = if bin == JITTER_BINS - 1 { self.jitter_max.max(lo) as u64 + 1 } else { hi as u64 };
            // Spread the bin's ranks over its values: the last rank gets the top value.
            let span = hi - 1 - lo as u64;
            let est = lo as u64 + (span * (rank - below)).div_ceil(count);
            return Some((est.min(self.jitter_max as u64)) as u32);
        }
        Some(self.jitter_max)
    }

    /// Converts ticks of this task's time base to nanoseconds.
    pub fn ticks_to_ns(&self, ticks: u64) -> u64 {
        ticks_to_ns(ticks, self.ticks_per_second)
    }
}

/// Nanoseconds printed as microseconds with three decimals.
struct Micros(u64);

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

impl fmt::Display for TaskStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = |ticks: u64| Micros(self.ticks_to_ns(ticks));
        write!(
            f,
            "{} Hz (period {} us): {} releases",
            self.rate_hz,
            us(self.period_ticks as u64),
            self.releases
        )?;
        if self.releases == 0 {
            return Ok(());
        }
        write!(
            f,
            ", exec min/mean/max {}/{}/{} us",
            us(self.exec_min as u64),
            us(self.exec_mean() as u64),
            us(self.exec_max as u64)
        )?;
        let p50 = self.jitter_quantile(500).unwrap_or(0);
        let p99 = self.jitter_quantile(990).unwrap_or(0);
        write!(
            f,
            ", jitter p50/p99/max {}/{}/{} us, {} overruns, {} missed releases ({} re-arms)",
            us(p50 as u64),
            us(p99 as u64),
            us(self.jitter_max as u64),
            self.overruns,
            self.missed_releases,
            self.rearms
        )
    }
}
