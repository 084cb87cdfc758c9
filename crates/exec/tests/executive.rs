//! The executive on a virtual clock: exact releases, overruns, missed deadlines, wrap-around,
//! the interrupt driver's alarm guard, the jitter histogram and rate errors.

use std::cell::{Cell, RefCell};
use std::string::ToString;
use std::vec::Vec;

use splitcore_exec::*;

/// Ideal release `k` of a task at `hz` on a `tps` time base started at `t0`.
fn ideal(t0: u32, k: u64, tps: u32, hz: u32) -> u32 {
    t0.wrapping_add((k * tps as u64 / hz as u64) as u32)
}

#[test]
fn polling_releases_are_exact_over_millions_of_periods_and_two_wraps() {
    // 100 kHz on a 240 MHz CCOUNT: 2400 ticks. 4M periods = 9.6e9 ticks: the counter wraps
    // right after the start and twice more.
    const PERIODS: u32 = 4_000_000;
    let t0 = u32::MAX - 1000;
    let clock = VirtualClock::new(240_000_000, t0);
    let k = Cell::new(0u64);
    let errors = Cell::new(0u32);
    let mut exec = Executive::new(
        &clock,
        every_with(Hz(100_000), |r| {
            let want = ideal(t0, k.get(), 240_000_000, 100_000);
            if r.scheduled != want || r.at != want || clock.now() != want || r.missed_periods != 0 {
                errors.set(errors.get() + 1);
            }
            k.set(k.get() + 1);
        }),
    )
    .unwrap();
    exec.run_polling(|| k.get() == PERIODS as u64);
    assert_eq!(errors.get(), 0);
    let s = exec.stats(0);
    assert_eq!((s.releases, s.missed_releases, s.overruns, s.jitter_max), (PERIODS, 0, 0, 0));
    assert_eq!(s.jitter_hist[0], PERIODS);
    assert_eq!(exec.schedule(0).next_deadline(), ideal(t0, PERIODS as u64, 240_000_000, 100_000));
}

#[test]
fn fractional_periods_do_not_drift() {
    // 16 MHz / 3 kHz = 5333.33 ticks: release k at t0 + floor(k * 16e6 / 3000) exactly.
    const PERIODS: u64 = 3_000_000;
    let t0 = 123_456_789;
    let period = Period::from_hz_at(3_000, 16_000_000).unwrap();
    let mut task = PeriodicTask::new(period, t0);
    for k in 0..PERIODS {
        let want = ideal(t0, k, 16_000_000, 3_000);
        assert_eq!(task.next_deadline(), want, "release {k}");
        let r = task.on_release(want);
        assert_eq!((r.lateness, r.missed_periods), (0, 0));
    }
    // After exactly 3000 periods (1 s) the schedule is back on a whole second.
    assert_eq!(task.next_deadline(), t0.wrapping_add((PERIODS * 16_000_000 / 3_000) as u32));
}

#[test]
fn interrupt_driver_releases_are_exact_and_keep_phase_under_jitter() {
    let t0 = u32::MAX - 1000;
    let clock = VirtualClock::manual(16_000_000, t0);
    let releases = RefCell::new(Vec::new());
    let mut exec = Executive::new(
        &clock,
        (every_with(Hz(20_000), |r| releases.borrow_mut().push(*r)), every(Hz(1_000), || clock.advance(7))),
    )
    .unwrap();
    let mut alarm = exec.start_at(t0);
    for k in 0..200_000u64 {
        // The interrupt arrives 0..=9 ticks after the alarm.
        let late = (k % 10) as u32;
        clock.set(alarm.wrapping_add(late));
        alarm = exec.on_timer_interrupt(clock.now());
    }
    let releases = releases.take();
    // Every 20 kHz release is on its ideal time; lateness is the injected delay (the 1 kHz task
    // runs after it, so it never delays it).
    for (k, r) in releases.iter().enumerate() {
        assert_eq!(r.scheduled, ideal(t0, k as u64, 16_000_000, 20_000), "release {k}");
        assert!(r.lateness <= 9);
        assert_eq!(r.missed_periods, 0);
    }
    let fast = exec.stats(0);
    let slow = exec.stats(1);
    assert_eq!(fast.releases as usize, releases.len());
    assert_eq!(fast.missed_releases + slow.missed_releases, 0);
    assert_eq!(slow.exec_max, 7);
    // Total releases: 200k interrupts, each for one or both tasks; 1 kHz task = 1/20 of them.
    assert_eq!(fast.releases, 200_000);
    assert_eq!(slow.releases, 10_000);
}

#[test]
fn an_overrun_is_counted_and_the_phase_is_kept() {
    // 1 kHz on 1 MHz: 1000 ticks. Every 5th release takes 1500 ticks.
    let clock = VirtualClock::new(1_000_000, 0);
    let n = Cell::new(0u32);
    let log = RefCell::new(Vec::new());
    let mut exec = Executive::new(
        &clock,
        every_with(Hz(1_000), |r| {
            log.borrow_mut().push(*r);
            clock.advance(if n.get().is_multiple_of(5) { 1_500 } else { 100 });
            n.set(n.get() + 1);
        }),
    )
    .unwrap();
    exec.start_at(0);
    exec.run_polling(|| n.get() == 100);
    let s = exec.stats(0);
    assert_eq!((s.releases, s.overruns, s.missed_releases, s.rearms), (100, 20, 0, 0));
    assert_eq!((s.exec_min, s.exec_max), (100, 1_500));
    let log = log.take();
    for (k, r) in log.iter().enumerate() {
        assert_eq!(r.scheduled, 1_000 * k as u32);
        // The release after an overrun comes 500 ticks late, the others on time.
        assert_eq!(r.lateness, if k % 5 == 1 { 500 } else { 0 }, "release {k}");
    }
    assert_eq!(s.jitter_max, 500);
    assert_eq!(s.jitter_hist[jitter_bin(500)], 20);
    assert!(s.to_string().contains("20 overruns, 0 missed releases (0 re-arms)"), "{s}");
}

#[test]
fn a_missed_deadline_rearms_from_now_and_counts_the_missed_periods() {
    let clock = VirtualClock::new(1_000_000, 0);
    let n = Cell::new(0u32);
    let log = RefCell::new(Vec::new());
    let mut exec = Executive::new(
        &clock,
        every_with(Hz(1_000), |r| {
            log.borrow_mut().push(*r);
            // Release 3 (at 3000) takes 3500 ticks: releases 4 and 5 are missed.
            clock.advance(if n.get() == 3 { 3_500 } else { 10 });
            n.set(n.get() + 1);
        }),
    )
    .unwrap();
    exec.start_at(0);
    exec.run_polling(|| n.get() == 8);
    let log = log.take();
    let scheduled: Vec<u32> = log.iter().map(|r| r.scheduled).collect();
    assert_eq!(scheduled, [0, 1_000, 2_000, 3_000, 4_000, 7_500, 8_500, 9_500]);
    assert_eq!(log[4], Release { scheduled: 4_000, at: 6_500, lateness: 2_500, missed_periods: 2 });
    assert!(log[5..].iter().all(|r| r.lateness == 0 && r.missed_periods == 0));
    let s = exec.stats(0);
    assert_eq!((s.releases, s.overruns, s.missed_releases, s.rearms), (8, 1, 2, 1));
}

#[test]
fn service_alarm_never_leaves_an_alarm_in_the_past() {
    // A fake CCOMPARE that records what was armed; tasks of random length (some overrunning
    // by several periods) and random interrupt latency. After every service_alarm the armed
    // time must still be ahead of the counter, or the alarm would not fire for 2^32 ticks.
    struct Alarm(u32, u32);
    impl TimerAlarm for Alarm {
        fn set_alarm(&mut self, at: u32) {
            self.0 = at;
            self.1 += 1;
        }
    }
    let clock = VirtualClock::manual(16_000_000, u32::MAX - 5_000);
    let rng = Cell::new(0x1234_5678u32);
    let next = || {
        let mut x = rng.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        rng.set(x);
        x
    };
    let mut exec = Executive::new(
        &clock,
        (
            every(Hz(20_000), || {
                let r = next();
                clock.advance(if r.is_multiple_of(97) { 800 * (1 + r % 4) } else { r % 300 });
            }),
            every(Hz(1_000), || clock.advance(next() % 1_000)),
        ),
    )
    .unwrap();
    let mut alarm = Alarm(0, 0);
    exec.start();
    for _ in 0..100_000 {
        let armed = exec.service_alarm(&mut alarm);
        assert_eq!(armed, alarm.0);
        assert!(!reached(clock.now(), armed), "alarm {armed} is not ahead of {}", clock.now());
        // The interrupt fires at the alarm, up to 50 ticks late.
        clock.set(armed.wrapping_add(next() % 50));
    }
    let s = exec.stats(0);
    assert!(s.overruns > 0 && s.missed_releases > 0, "{s}");
    assert!(exec.alarm_catchups() > 0);
    assert!(alarm.1 > 100_000);
}

#[test]
fn histogram_bins_known_jitter() {
    let period = Period::from_hz_at(1_000, 1_000_000).unwrap();
    let mut s = TaskStats::new(&period);
    // 1000 samples: 900 at 0..=9 ticks (90 each), 90 at 100, 9 at 5000, 1 at 40000.
    for i in 0..900u32 {
        s.record(&Release { lateness: i % 10, ..Release::default() }, 1);
    }
    for _ in 0..90 {
        s.record(&Release { lateness: 100, ..Release::default() }, 1);
    }
    for _ in 0..9 {
        s.record(&Release { lateness: 5_000, ..Release::default() }, 1);
    }
    s.record(&Release { lateness: 40_000, ..Release::default() }, 1);
    let mut want = [0u32; JITTER_BINS];
    want[0] = 90; // 0
    want[1] = 90; // 1
    want[2] = 180; // 2, 3
    want[3] = 360; // 4..=7
    want[4] = 180; // 8, 9
    want[7] = 90; // 100 in [64, 128)
    want[13] = 9; // 5000 in [4096, 8192)
    want[15] = 1; // 40000 >= 16384
    assert_eq!(s.jitter_hist, want);
    assert_eq!(s.jitter_max, 40_000);
    // The true p50 is 4 (rank 500 falls in bin 3), p90 is 9, p99 is 100, p99.9 is 5000.
    for (q, truth) in [(500, 4), (900, 9), (990, 100), (999, 5_000), (1000, 40_000)] {
        let est = s.jitter_quantile(q).unwrap();
        assert_eq!(jitter_bin(est), jitter_bin(truth), "q{q}: estimate {est}, truth {truth}");
    }
    assert_eq!(s.jitter_quantile(1000), Some(40_000));
    for bin in 1..JITTER_BINS {
        let (lo, hi) = jitter_bin_range(bin);
        assert_eq!((jitter_bin(lo), jitter_bin(hi - 1)), (bin, bin));
    }
}

#[test]
fn histogram_from_interrupt_latency() {
    // Interrupt latency 0, 1, 2, ... 15 ticks, cycling: each log2 bin gets its share.
    let clock = VirtualClock::manual(16_000_000, 0);
    let mut exec = Executive::new(&clock, every(Hz(10_000), || {})).unwrap();
    let mut alarm = exec.start_at(0);
    for k in 0..1_600u32 {
        clock.set(alarm + k % 16);
        alarm = exec.on_timer_interrupt(clock.now());
    }
    let s = exec.stats(0);
    assert_eq!(&s.jitter_hist[..6], &[100, 100, 200, 400, 800, 0]);
    assert_eq!(s.jitter_max, 15);
    assert_eq!(s.missed_releases, 0);
}

#[test]
fn rate_errors_name_the_rate_and_the_limit() {
    let systimer = VirtualClock::new(16_000_000, 0);
    assert_eq!(Period::from_hz(0, &systimer), Err(RateError::Zero));
    assert_eq!(Period::from_hz_at(10, 0), Err(RateError::NoTickRate));
    assert!(Period::from_hz(1_000_000, &systimer).is_ok());
    let err = Period::from_hz(1_000_001, &systimer).unwrap_err();
    assert_eq!(err, RateError::TooFast { hz: 1_000_001, max_hz: 1_000_000, ticks_per_second: 16_000_000 });
    assert_eq!(
        err.to_string(),
        "rate 1000001 Hz is too fast for a 16000000 Hz time base: at most 1000000 Hz \
         (a period needs at least 16 ticks)"
    );
    let err = Period::from_hz_at(1, u32::MAX).unwrap_err();
    assert_eq!(err, RateError::TooSlow { hz: 1, min_hz: 2, ticks_per_second: u32::MAX });
    assert!(err
        .to_string()
        .starts_with("rate 1 Hz is too slow for a 4294967295 Hz time base: at least 2 Hz"));
    assert!(Period::from_hz_at(2, u32::MAX).is_ok());
    // 1 Hz .. 100 kHz all fit both of the S3's counters and QEMU's.
    for tps in [16_000_000, 40_000_000, 240_000_000] {
        for hz in [1, 10, 1_000, 20_000, 100_000] {
            let p = Period::from_hz_at(hz, tps).unwrap();
            assert_eq!(p.ticks() as u64 * hz as u64 + p.remainder() as u64, tps as u64);
        }
    }
    // The executive names the task.
    let err = Executive::new(&systimer, (every(Hz(1_000), || {}), every(Hz(0), || {}))).unwrap_err();
    assert_eq!(err, TaskRateError { task: 1, error: RateError::Zero });
    assert_eq!(err.to_string(), "task 1: rate 0 Hz: a periodic task needs a rate of at least 1 Hz");
}

#[test]
fn dyn_task_arrays_and_many_tasks_run_at_their_rates() {
    let clock = VirtualClock::new(1_000_000, 0);
    let (mut a, mut b, mut c) = (0u32, 0u32, 0u32);
    let mut fa = || a += 1;
    let mut fb = || b += 1;
    let mut fc = || c += 1;
    let tasks: [Every<Plain<&mut dyn FnMut()>>; 3] =
        [every(Hz(1_000), &mut fa), every(Hz(100), &mut fb), every(Hz(1), &mut fc)];
    let mut exec = Executive::new(&clock, tasks).unwrap();
    exec.start_at(0);
    // 2 s, inclusive of the releases at t = 2 s: `stop` is checked while waiting and after
    // each pass, so the pass at `end` still runs.
    let end = 2_000_000;
    exec.run_polling(|| reached(clock.now(), end));
    assert_eq!((a, b, c), (2_001, 201, 3));
}

#[test]
fn stats_travel_through_an_ipc_mailbox() {
    use splitcore_ipc::{ChannelId, Layout, LayoutBuilder, Mailbox, Region, RegionBuf};
    const LAYOUT: Layout = LayoutBuilder::new().mailbox::<TaskStats>("exec").build();
    const EXEC: ChannelId<Mailbox<TaskStats>> = LAYOUT.mailbox_id("exec");
    static SHARED: RegionBuf<{ LAYOUT.size() }> = RegionBuf::new();

    let core0 = Region::init(&SHARED, &LAYOUT).unwrap();
    let reader = core0.mailbox_reader(EXEC).unwrap();
    let core1 = Region::attach(&SHARED, &LAYOUT).unwrap();
    let mut writer = core1.mailbox_writer(EXEC).unwrap();

    let clock = VirtualClock::new(16_000_000, 0);
    let mut exec = Executive::new(&clock, every(Hz(20_000), || clock.advance(80))).unwrap();
    let published = Cell::new(0);
    exec.run_polling_with(
        || published.get() == 4,
        |stats| {
            if stats[0].releases.is_multiple_of(1_000) {
                writer.write(&stats[0]);
                published.set(published.get() + 1);
            }
        },
    );
    let got = reader.read().unwrap().unwrap();
    assert_eq!(got, *exec.stats(0));
    assert_eq!(got.releases, 4_000);
    assert_eq!(
        got.to_string(),
        "20000 Hz (period 50.000 us): 4000 releases, exec min/mean/max 5.000/5.000/5.000 us, \
         jitter p50/p99/max 0.000/0.000/0.000 us, 0 overruns, 0 missed releases (0 re-arms)"
    );
}

#[test]
fn host_clock_runs_in_real_time() {
    // Loose (the machine may be loaded): 50 releases at 1 kHz of wall-clock time, starting just
    // before the 32-bit wrap, take at least 49 ms, and any preemption shows up as missed
    // releases rather than a burst of catch-up releases.
    let clock = HostClock::starting_at(16_000_000, u32::MAX - 16_000);
    let n = Cell::new(0u32);
    let start = std::time::Instant::now();
    let mut exec = Executive::new(&clock, every(Hz(1_000), || n.set(n.get() + 1))).unwrap();
    exec.run_polling(|| n.get() == 50);
    let elapsed = start.elapsed();
    let s = exec.stats(0);
    assert_eq!(s.releases, 50);
    assert!(elapsed >= std::time::Duration::from_millis(49), "{elapsed:?}");
    assert!(s.releases as u128 + s.missed_releases as u128 <= elapsed.as_millis() + 2, "{s} in {elapsed:?}");
}
