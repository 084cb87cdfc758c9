//! The periodic executive: task sets, the polling driver and the tick-interrupt driver.

use core::fmt;

use crate::period::{Hz, Period, PeriodicTask, RateError, Release};
use crate::stats::TaskStats;
use crate::time::{reached, ticks_until, TimeSource};

/// A task body: what runs at each release.
pub trait Body {
    /// Runs the task once.
    fn call(&mut self, release: &Release);
}

/// A body that ignores the release details (made by [`every`]).
#[derive(Debug, Clone, Copy)]
pub struct Plain<F>(pub F);

impl<F: FnMut()> Body for Plain<F> {
    #[inline(always)]
    fn call(&mut self, _: &Release) {
        (self.0)()
    }
}

/// A body that receives the [`Release`] (made by [`every_with`]).
#[derive(Debug, Clone, Copy)]
pub struct WithRelease<F>(pub F);

impl<F: FnMut(&Release)> Body for WithRelease<F> {
    #[inline(always)]
    fn call(&mut self, release: &Release) {
        (self.0)(release)
    }
}

/// A task: a rate and a body. Make one with [`every`] or [`every_with`].
#[derive(Debug, Clone, Copy)]
pub struct Every<B> {
    /// The task's rate.
    pub rate: Hz,
    /// What runs at each release.
    pub body: B,
}

/// A task that runs `body` at `rate`.
///
/// ```
/// use splitcore_exec::{every, Hz};
/// let mut count = 0;
/// let task = every(Hz(20_000), || count += 1);
/// assert_eq!(task.rate, Hz(20_000));
/// ```
#[inline]
pub fn every<F: FnMut()>(rate: Hz, body: F) -> Every<Plain<F>> {
    Every { rate, body: Plain(body) }
}

/// A task that runs `body` at `rate` and passes it each [`Release`] (its lateness and any
/// missed periods), for control code that compensates for jitter.
#[inline]
pub fn every_with<F: FnMut(&Release)>(rate: Hz, body: F) -> Every<WithRelease<F>> {
    Every { rate, body: WithRelease(body) }
}

/// A fixed set of `N` tasks: a single [`Every`], a tuple of up to 12 [`Every`]s (each with its
/// own closure type, statically dispatched), or an array `[Every<B>; N]` (one body type, e.g.
/// `Plain<&mut dyn FnMut()>`). Tasks are indexed in the order given, which is also the order
/// in which due tasks run within a pass: list the fastest (highest-priority) task first.
pub trait TaskSet<const N: usize> {
    /// The rate of task `index`.
    fn rate(&self, index: usize) -> Hz;
    /// Runs task `index`.
    fn run(&mut self, index: usize, release: &Release);
}

impl<B: Body> TaskSet<1> for Every<B> {
    fn rate(&self, _: usize) -> Hz {
        self.rate
    }
    #[inline(always)]
    fn run(&mut self, _: usize, release: &Release) {
        self.body.call(release)
    }
}

impl<B: Body, const N: usize> TaskSet<N> for [Every<B>; N] {
    fn rate(&self, index: usize) -> Hz {
        self[index].rate
    }
    #[inline(always)]
    fn run(&mut self, index: usize, release: &Release) {
        self[index].body.call(release)
    }
}

macro_rules! tuple_task_set {
    ($n:literal: $($idx:tt $ty:ident),+) => {
        impl<$($ty: Body),+> TaskSet<$n> for ($(Every<$ty>,)+) {
            fn rate(&self, index: usize) -> Hz {
                match index {
                    $($idx => self.$idx.rate,)+
                    _ => panic!("task index {index} out of range"),
                }
            }
            #[inline(always)]
            fn run(&mut self, index: usize, release: &Release) {
                match index {
                    $($idx => self.$idx.body.call(release),)+
                    _ => {}
                }
            }
        }
    };
}

tuple_task_set!(1: 0 A);
tuple_task_set!(2: 0 A, 1 B);
tuple_task_set!(3: 0 A, 1 B, 2 C);
tuple_task_set!(4: 0 A, 1 B, 2 C, 3 D);
tuple_task_set!(5: 0 A, 1 B, 2 C, 3 D, 4 E);
tuple_task_set!(6: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
tuple_task_set!(7: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G);
tuple_task_set!(8: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H);
tuple_task_set!(9: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I);
tuple_task_set!(10: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J);
tuple_task_set!(11: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K);
tuple_task_set!(12: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L);

/// A task's rate cannot be scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskRateError {
    /// The task's index in the set.
    pub task: usize,
    /// Why.
    pub error: RateError,
}

impl fmt::Display for TaskRateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}: {}", self.task, self.error)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TaskRateError {}

/// The hardware alarm a tick-interrupt driver re-arms (CCOMPARE0 on core 1, glued in
/// `firmware/`).
pub trait TimerAlarm {
    /// Arms the alarm to fire when the counter reaches `at`. On Xtensa a CCOMPARE matches
    /// only on equality: an `at` already passed fires after a full wrap (2^32 cycles), which
    /// [`Executive::service_alarm`] guards against.
    fn set_alarm(&mut self, at: u32);
}

impl<A: TimerAlarm + ?Sized> TimerAlarm for &mut A {
    fn set_alarm(&mut self, at: u32) {
        (**self).set_alarm(at)
    }
}

/// A periodic executive for the `N` tasks of `T`, timed by `C`.
///
/// Each task keeps a drift-free schedule ([`PeriodicTask`]): release `k` is due at
/// `t0 + k * period` exactly, however long the tasks take, until a release comes a whole
/// period late; then the task is re-armed from that moment and the skipped releases are
/// counted. Per-task [`TaskStats`] (execution time, overruns, missed releases, a jitter
/// histogram) are kept in a `Pod` array ready for a splitcore-ipc mailbox. Nothing allocates.
///
/// Two drivers, chosen by the user:
///
/// * [`run_polling`](Self::run_polling): a busy-wait loop on the time source (core 1 has
///   nothing else to do; best jitter);
/// * [`on_timer_interrupt`](Self::on_timer_interrupt) / [`service_alarm`](Self::service_alarm):
///   called from the timer interrupt handler, returns (or arms) the next alarm.
///
/// ```
/// use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
/// use splitcore_exec::{every, Executive, Hz, TimeSource, VirtualClock};
///
/// let clock = VirtualClock::new(16_000_000, 0); // SYSTIMER's 16 MHz, simulated
/// let stop = AtomicBool::new(false);
/// let control_steps = AtomicU32::new(0);
/// let mut reports = 0;
///
/// let mut exec = Executive::new(
///     &clock,
///     (
///         every(Hz(20_000), || {
///             control_steps.fetch_add(1, Ordering::Relaxed);
///             clock.advance(160); // pretend the control step takes 10 us
///         }),
///         every(Hz(10), || {
///             reports += 1;
///             if reports == 10 {
///                 stop.store(true, Ordering::Relaxed); // one second is enough
///             }
///         }),
///     ),
/// )?;
/// exec.run_polling(|| stop.load(Ordering::Relaxed));
///
/// let control = exec.stats(0);
/// assert_eq!(control.releases, control_steps.load(Ordering::Relaxed));
/// assert_eq!((control.exec_max, control.overruns, control.missed_releases), (160, 0, 0));
/// println!("{control}");
/// drop(exec);
/// assert_eq!(reports, 10);
/// # Ok::<(), splitcore_exec::TaskRateError>(())
/// ```
pub struct Executive<C, T, const N: usize> {
    time: C,
    tasks: T,
    schedules: [PeriodicTask; N],
    stats: [TaskStats; N],
    started: bool,
    alarm_catchups: u32,
}

impl<C, T, const N: usize> fmt::Debug for Executive<C, T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executive")
            .field("schedules", &self.schedules)
            .field("stats", &self.stats)
            .field("started", &self.started)
            .field("alarm_catchups", &self.alarm_catchups)
            .finish_non_exhaustive()
    }
}

impl<C: TimeSource, T: TaskSet<N>, const N: usize> Executive<C, T, N> {
    /// An executive for `tasks` on `time`; fails if a rate does not fit the tick rate.
    pub fn new(time: C, tasks: T) -> Result<Self, TaskRateError> {
        let tps = time.ticks_per_second();
        let mut periods: [Option<Period>; N] = [None; N];
        for (task, period) in periods.iter_mut().enumerate() {
            *period = Some(
                Period::from_hz_at(tasks.rate(task).0, tps).map_err(|error| TaskRateError { task, error })?,
            );
        }
        let periods = periods.map(|p| p.expect("every period was set"));
        Ok(Executive {
            stats: periods.map(|p| TaskStats::new(&p)),
            schedules: periods.map(|p| PeriodicTask::new(p, 0)),
            time,
            tasks,
            started: false,
            alarm_catchups: 0,
        })
    }

    /// The time source.
    pub fn time(&self) -> &C {
        &self.time
    }

    /// Every task's statistics (index = task order).
    pub fn all_stats(&self) -> &[TaskStats; N] {
        &self.stats
    }

    /// Task `index`'s statistics.
    pub fn stats(&self, index: usize) -> &TaskStats {
        &self.stats[index]
    }

    /// Clears every task's statistics.
    pub fn reset_stats(&mut self) {
        self.stats.iter_mut().for_each(TaskStats::reset);
        self.alarm_catchups = 0;
    }

    /// Task `index`'s schedule.
    pub fn schedule(&self, index: usize) -> &PeriodicTask {
        &self.schedules[index]
    }

    /// How often [`service_alarm`](Self::service_alarm) found the deadline it had just armed
    /// already passed (the alarm would not have fired) and ran the pass itself.
    pub fn alarm_catchups(&self) -> u32 {
        self.alarm_catchups
    }

    /// Whether the schedules have been started.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Starts every task with its first release at `t0` (release `k` at `t0 + k * period`);
    /// returns `t0`, the first alarm.
    pub fn start_at(&mut self, t0: u32) -> u32 {
        for s in &mut self.schedules {
            s.restart(t0);
        }
        self.started = true;
        t0
    }

    /// Starts every task with its first release now; returns the first alarm.
    pub fn start(&mut self) -> u32 {
        let now = self.time.now();
        self.start_at(now)
    }

    /// The earliest next release over all tasks, as seen from `now` (wrap-safe).
    #[inline]
    pub fn next_deadline(&self, now: u32) -> u32 {
        let mut next = self.schedules[0].next_deadline();
        let mut until = ticks_until(now, next);
        for s in &self.schedules[1..] {
            let d = s.next_deadline();
            let u = ticks_until(now, d);
            if u < until {
                next = d;
                until = u;
            }
        }
        next
    }

    /// One pass: runs, in task order, every task due at the time it is reached (`now` for the
    /// first, then the end of the previous task's run), records its statistics, and returns
    /// the next alarm time and the last time read.
    #[inline(always)]
    fn pass(&mut self, now: u32) -> (u32, u32) {
        let mut t = now;
        for i in 0..N {
            if self.schedules[i].is_due(t) {
                let release = self.schedules[i].on_release(t);
                self.tasks.run(i, &release);
                let end = self.time.now();
                self.stats[i].record(&release, end.wrapping_sub(t));
                t = end;
            }
        }
        (self.next_deadline(t), t)
    }

    /// The tick-interrupt driver: runs every task due at `now` (the interrupt's time stamp;
    /// starts the schedules at `now` on the first call) and returns the time for the next
    /// alarm. The caller must re-arm the alarm and then check that the counter has not passed
    /// it yet (otherwise call again): [`service_alarm`](Self::service_alarm) does both.
    ///
    /// ```
    /// use splitcore_exec::{every, Executive, Hz, VirtualClock};
    /// let clock = VirtualClock::manual(1_000_000, 0);
    /// let mut ticks = 0;
    /// let mut exec = Executive::new(&clock, every(Hz(1_000), || ticks += 1))?;
    /// assert_eq!(exec.start_at(0), 0);
    /// assert_eq!(exec.on_timer_interrupt(0), 1_000);
    /// clock.set(1_003); // the interrupt came 3 ticks late
    /// assert_eq!(exec.on_timer_interrupt(1_003), 2_000); // no drift
    /// assert_eq!(exec.stats(0).jitter_max, 3);
    /// drop(exec);
    /// assert_eq!(ticks, 2);
    /// # Ok::<(), splitcore_exec::TaskRateError>(())
    /// ```
    #[inline]
    pub fn on_timer_interrupt(&mut self, now: u32) -> u32 {
        if !self.started {
            self.start_at(now);
        }
        self.pass(now).0
    }

    /// The whole body of a timer interrupt handler: runs the due tasks, arms `alarm` for the
    /// next release, and, if the counter has already passed that time once the alarm is set
    /// (a compare register set in the past does not fire until the counter wraps), runs the
    /// next pass at once and re-arms again. Returns the time armed.
    ///
    /// ```
    /// use splitcore_exec::{every, Executive, Hz, TimerAlarm, VirtualClock};
    /// struct Alarm(u32);
    /// impl TimerAlarm for Alarm {
    ///     fn set_alarm(&mut self, at: u32) { self.0 = at; }
    /// }
    /// let clock = VirtualClock::manual(1_000_000, 500);
    /// let mut runs = 0;
    /// let mut exec = Executive::new(&clock, every(Hz(1_000), || {
    ///     runs += 1;
    ///     clock.advance(if runs == 1 { 1_200 } else { 100 });
    /// }))?;
    /// let mut alarm = Alarm(0);
    /// exec.start_at(500);
    /// // The first run overruns: once the alarm for 1500 is set, the clock reads 1700, so
    /// // service_alarm runs that release itself (200 ticks late) and arms 2500.
    /// assert_eq!(exec.service_alarm(&mut alarm), 2_500);
    /// assert_eq!(alarm.0, 2_500);
    /// assert_eq!(exec.alarm_catchups(), 1);
    /// assert_eq!((exec.stats(0).overruns, exec.stats(0).jitter_max), (1, 200));
    /// # Ok::<(), splitcore_exec::TaskRateError>(())
    /// ```
    pub fn service_alarm(&mut self, mut alarm: impl TimerAlarm) -> u32 {
        let mut now = self.time.now();
        if !self.started {
            self.start_at(now);
        }
        loop {
            let (next, _) = self.pass(now);
            alarm.set_alarm(next);
            // Read the counter *after* arming: if it has not reached `next` now, the compare
            // will match.
            now = self.time.now();
            if !reached(now, next) {
                return next;
            }
            self.alarm_catchups = self.alarm_catchups.wrapping_add(1);
        }
    }

    /// The polling driver: starts the schedules now (unless already started) and busy-waits
    /// from release to release, running the due tasks, until `stop` returns true. `stop` is
    /// checked after every pass and while waiting.
    pub fn run_polling(&mut self, stop: impl Fn() -> bool) {
        self.run_polling_with(stop, |_| {})
    }

    /// [`run_polling`](Self::run_polling) with a hook called after every pass with the
    /// statistics, e.g. to publish them to a mailbox every so many releases.
    ///
    /// ```
    /// use core::cell::Cell;
    /// use splitcore_exec::{every, Executive, Hz, VirtualClock};
    /// let clock = VirtualClock::new(1_000_000, 0);
    /// let mut exec = Executive::new(&clock, every(Hz(1_000), || {}))?;
    /// let published = Cell::new(0);
    /// exec.run_polling_with(
    ///     || published.get() == 3,
    ///     |stats| {
    ///         if stats[0].releases.is_multiple_of(50) {
    ///             published.set(published.get() + 1); // e.g. `mailbox.write(&stats[0])`
    ///         }
    ///     },
    /// );
    /// assert_eq!(exec.stats(0).releases, 150);
    /// # Ok::<(), splitcore_exec::TaskRateError>(())
    /// ```
    pub fn run_polling_with(&mut self, stop: impl Fn() -> bool, mut after_pass: impl FnMut(&[TaskStats; N])) {
        if !self.started {
            self.start();
        }
        let mut next = self.next_deadline(self.time.now());
        loop {
            let mut now = self.time.now();
            while !reached(now, next) {
                if stop() {
                    return;
                }
                self.time.idle_until(next);
                now = self.time.now();
            }
            next = self.pass(now).0;
            after_pass(&self.stats);
            if stop() {
                return;
            }
        }
    }

    /// Takes the executive apart, returning the time source and the tasks.
    pub fn into_parts(self) -> (C, T) {
        (self.time, self.tasks)
    }
}
