//! Rates, periods and the drift-free release rule.

use core::fmt;

use crate::time::{reached, TimeSource};

/// A rate in hertz: `every(Hz(20_000), ...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hz(pub u32);

impl fmt::Display for Hz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Hz", self.0)
    }
}

/// The shortest period accepted, in ticks: a faster rate would leave the executive no time
/// to run the task (the executive's own pass costs tens to hundreds of instructions).
pub const MIN_PERIOD_TICKS: u32 = 16;

/// The longest period accepted, in ticks: deadlines are compared wrap-safely, which needs
/// every distance to stay below 2^31 ticks.
pub const MAX_PERIOD_TICKS: u32 = i32::MAX as u32;

/// Why a rate cannot be scheduled on a time base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateError {
    /// A rate of 0 Hz.
    Zero,
    /// The time source reports 0 ticks per second.
    NoTickRate,
    /// The period would be shorter than [`MIN_PERIOD_TICKS`].
    TooFast {
        /// The rate asked for.
        hz: u32,
        /// The fastest rate this time base allows.
        max_hz: u32,
        /// The time base's rate.
        ticks_per_second: u32,
    },
    /// The period would be longer than [`MAX_PERIOD_TICKS`].
    TooSlow {
        /// The rate asked for.
        hz: u32,
        /// The slowest rate this time base allows.
        min_hz: u32,
        /// The time base's rate.
        ticks_per_second: u32,
    },
}

impl fmt::Display for RateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RateError::Zero => write!(f, "rate 0 Hz: a periodic task needs a rate of at least 1 Hz"),
            RateError::NoTickRate => write!(f, "the time source reports 0 ticks per second"),
            RateError::TooFast { hz, max_hz, ticks_per_second } => write!(
                f,
                "rate {hz} Hz is too fast for a {ticks_per_second} Hz time base: at most {max_hz} Hz \
                 (a period needs at least {MIN_PERIOD_TICKS} ticks)"
            ),
            RateError::TooSlow { hz, min_hz, ticks_per_second } => write!(
                f,
                "rate {hz} Hz is too slow for a {ticks_per_second} Hz time base: at least {min_hz} Hz \
                 (a period must stay below 2^31 ticks for wrap-safe deadlines)"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for RateError {}

/// A period in ticks of one time base, exact on average.
///
/// When the tick rate is not a multiple of the task rate, the period is `ticks` whole ticks
/// plus `remainder / hz` of a tick; the fraction is carried Bresenham-style, so release `k`
/// falls at exactly `t0 + floor(k * ticks_per_second / hz)`: no drift, jitter from rounding
/// at most one tick.
///
/// ```
/// use splitcore_exec::{Period, VirtualClock};
/// let systimer = VirtualClock::new(16_000_000, 0);
/// let p = Period::from_hz(20_000, &systimer)?;
/// assert_eq!((p.ticks(), p.remainder()), (800, 0));
/// let p = Period::from_hz(3, &systimer)?;
/// assert_eq!((p.ticks(), p.remainder()), (5_333_333, 1)); // 16e6 = 3 * 5333333 + 1
/// # Ok::<(), splitcore_exec::RateError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    ticks: u32,
    remainder: u32,
    hz: u32,
    ticks_per_second: u32,
}

impl Period {
    /// The period of `hz` on `time`'s tick rate.
    pub fn from_hz(hz: u32, time: &impl TimeSource) -> Result<Period, RateError> {
        Self::from_hz_at(hz, time.ticks_per_second())
    }

    /// The period of `hz` on a `ticks_per_second` time base.
    pub const fn from_hz_at(hz: u32, ticks_per_second: u32) -> Result<Period, RateError> {
        if hz == 0 {
            return Err(RateError::Zero);
        }
        if ticks_per_second == 0 {
            return Err(RateError::NoTickRate);
        }
        let ticks = ticks_per_second / hz;
        if ticks < MIN_PERIOD_TICKS {
            return Err(RateError::TooFast {
                hz,
                max_hz: ticks_per_second / MIN_PERIOD_TICKS,
                ticks_per_second,
            });
        }
        if ticks > MAX_PERIOD_TICKS {
            // The smallest rate with ticks_per_second / rate <= MAX_PERIOD_TICKS.
            let min_hz = ticks_per_second / (MAX_PERIOD_TICKS + 1) + 1;
            return Err(RateError::TooSlow { hz, min_hz, ticks_per_second });
        }
        Ok(Period { ticks, remainder: ticks_per_second % hz, hz, ticks_per_second })
    }

    /// Whole ticks per period.
    #[inline]
    pub const fn ticks(&self) -> u32 {
        self.ticks
    }

    /// The fractional part of the period, in units of `1 / hz` ticks.
    #[inline]
    pub const fn remainder(&self) -> u32 {
        self.remainder
    }

    /// The rate.
    #[inline]
    pub const fn hz(&self) -> u32 {
        self.hz
    }

    /// The time base's rate.
    #[inline]
    pub const fn ticks_per_second(&self) -> u32 {
        self.ticks_per_second
    }
}

/// What happened at one release (returned by [`PeriodicTask::on_release`] and passed to task
/// bodies made with [`every_with`](crate::every_with)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Release {
    /// The ideal release time (the deadline that fell due).
    pub scheduled: u32,
    /// When the release actually happened.
    pub at: u32,
    /// `at - scheduled` in ticks: the release jitter (0 when released early, which the
    /// drivers never do).
    pub lateness: u32,
    /// Releases skipped because this one came one or more whole periods late; non-zero means
    /// the task was re-armed from `at` instead of keeping its phase.
    pub missed_periods: u32,
}

/// The schedule of one periodic task: its period and next release.
///
/// The drift-free rule: the next release is the previous *scheduled* release plus the period,
/// never `now + period`. But a release late by one period or more re-arms from now
/// (`next = now + period`) and reports how many periods were skipped: a tick interrupt that
/// set CCOMPARE to a time already passed would not fire for 2^32 cycles, and a polling loop
/// would otherwise run a burst of catch-up releases.
///
/// ```
/// use splitcore_exec::{Period, PeriodicTask};
/// let period = Period::from_hz_at(1_000, 1_000_000)?; // 1000 ticks
/// let mut task = PeriodicTask::new(period, 0);
/// assert_eq!(task.next_deadline(), 0);
/// let r = task.on_release(3); // 3 ticks late: keeps its phase
/// assert_eq!((r.lateness, r.missed_periods, task.next_deadline()), (3, 0, 1_000));
/// let r = task.on_release(3_500); // 2.5 periods late: re-armed from now
/// assert_eq!((r.lateness, r.missed_periods, task.next_deadline()), (2_500, 2, 4_500));
/// # Ok::<(), splitcore_exec::RateError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodicTask {
    period: Period,
    next_release: u32,
    /// Accumulated fraction of a tick, in units of `1 / hz` (always `< hz`).
    carry: u32,
}

impl PeriodicTask {
    /// A task whose first release is at `first_release`.
    pub const fn new(period: Period, first_release: u32) -> Self {
        PeriodicTask { period, next_release: first_release, carry: 0 }
    }

    /// Restarts the schedule with the first release at `first_release`.
    #[inline]
    pub fn restart(&mut self, first_release: u32) {
        self.next_release = first_release;
        self.carry = 0;
    }

    /// The period.
    #[inline]
    pub const fn period(&self) -> &Period {
        &self.period
    }

    /// The next release time (an absolute, wrapping tick count).
    #[inline]
    pub const fn next_deadline(&self) -> u32 {
        self.next_release
    }

    /// Whether the next release is due at `now`.
    #[inline]
    pub const fn is_due(&self, now: u32) -> bool {
        reached(now, self.next_release)
    }

    /// Releases the task at `now` (call it once [`is_due`](Self::is_due)) and schedules the
    /// next release.
    #[inline]
    pub fn on_release(&mut self, now: u32) -> Release {
        let scheduled = self.next_release;
        let late = now.wrapping_sub(scheduled) as i32;
        let lateness = if late > 0 { late as u32 } else { 0 };
        let p = &self.period;
        if lateness >= p.ticks {
            // A passed deadline: re-arm from now, count the skipped releases.
            let missed_periods = lateness / p.ticks;
            self.next_release = now.wrapping_add(p.ticks);
            self.carry = 0;
            return Release { scheduled, at: now, lateness, missed_periods };
        }
        let mut next = scheduled.wrapping_add(p.ticks);
        self.carry += p.remainder;
        if self.carry >= p.hz {
            self.carry -= p.hz;
            next = next.wrapping_add(1);
        }
        self.next_release = next;
        Release { scheduled, at: now, lateness, missed_periods: 0 }
    }
}
