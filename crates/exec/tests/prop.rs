//! Property tests: deadline arithmetic across the 32-bit wrap, the release rule and the
//! histogram quantile estimate.

use proptest::prelude::*;
use splitcore_exec::*;

/// A valid (rate, tick rate) pair.
fn rate_and_base() -> impl Strategy<Value = (u32, u32)> {
    prop_oneof![Just(16_000_000u32), Just(40_000_000), Just(240_000_000), 1_000u32..=u32::MAX].prop_flat_map(
        |tps| {
            let max = tps / MIN_PERIOD_TICKS;
            let min = tps / (MAX_PERIOD_TICKS + 1) + 1;
            (min.max(1)..=max.max(1), Just(tps))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn reached_matches_signed_distance(base: u32, d in -(i32::MAX as i64)..=i32::MAX as i64) {
        let now = base.wrapping_add(d as i32 as u32);
        prop_assert_eq!(reached(now, base), d >= 0);
        prop_assert_eq!(ticks_until(now, base) as i64, -d);
        prop_assert_eq!(ticks_until(base, now) as i64, d);
    }

    #[test]
    fn earlier_is_the_nearer_deadline(now: u32, a in 0u32..(1 << 31), b in 0u32..(1 << 31)) {
        // Both deadlines in the future (up to 2^31 - 1 ticks), across any wrap.
        let (da, db) = (now.wrapping_add(a), now.wrapping_add(b));
        prop_assert_eq!(earlier(now, da, db), if a <= b { da } else { db });
    }

    #[test]
    fn on_time_releases_follow_the_ideal_schedule((hz, tps) in rate_and_base(), t0: u32, releases in 1u64..3_000) {
        let period = Period::from_hz(hz, &VirtualClock::new(tps, 0)).unwrap();
        prop_assert_eq!(period.ticks() as u64 * hz as u64 + period.remainder() as u64, tps as u64);
        let mut task = PeriodicTask::new(period, t0);
        let ideal = |k: u64| t0.wrapping_add(((k as u128 * tps as u128) / hz as u128) as u32);
        for k in 0..releases {
            prop_assert_eq!(task.next_deadline(), ideal(k));
            let r = task.on_release(ideal(k));
            prop_assert_eq!((r.lateness, r.missed_periods), (0, 0));
        }
    }

    #[test]
    fn after_any_release_the_next_deadline_is_in_the_future(
        (hz, tps) in rate_and_base(),
        t0: u32,
        lateness in 0u32..(1 << 31),
    ) {
        let period = Period::from_hz_at(hz, tps).unwrap();
        let mut task = PeriodicTask::new(period, t0);
        let now = t0.wrapping_add(lateness);
        let r = task.on_release(now);
        let next = task.next_deadline();
        prop_assert_eq!(r.lateness, lateness);
        prop_assert!(!reached(now, next), "next {} not after now {}", next, now);
        if lateness < period.ticks() {
            // Kept its phase: one period (plus at most one carried tick) after the deadline.
            prop_assert_eq!(r.missed_periods, 0);
            let step = next.wrapping_sub(t0);
            prop_assert!(step == period.ticks() || step == period.ticks() + 1);
        } else {
            // Re-armed from now; the skipped releases are counted.
            prop_assert_eq!(r.missed_periods, lateness / period.ticks());
            prop_assert_eq!(next, now.wrapping_add(period.ticks()));
        }
        // Never more than one period ahead of now.
        prop_assert!(ticks_until(now, next) as u32 <= period.ticks() + 1);
    }

    #[test]
    fn executive_on_a_wrapping_clock_keeps_exact_releases(start: u32, hz in 1_000u32..=100_000, periods in 1u32..2_000) {
        let clock = VirtualClock::new(16_000_000, start);
        let k = std::cell::Cell::new(0u64);
        let bad = std::cell::Cell::new(0u32);
        let mut exec = Executive::new(&clock, every_with(Hz(hz), |r| {
            let want = start.wrapping_add((k.get() * 16_000_000 / hz as u64) as u32);
            if r.scheduled != want || r.lateness != 0 { bad.set(bad.get() + 1); }
            k.set(k.get() + 1);
        })).unwrap();
        exec.run_polling(|| k.get() == periods as u64);
        prop_assert_eq!(bad.get(), 0);
        prop_assert_eq!(exec.stats(0).releases, periods);
    }

    #[test]
    fn quantile_estimate_lies_in_the_true_quantiles_bin(
        mut samples in proptest::collection::vec(prop_oneof![0u32..64, 0u32..100_000, any::<u32>()], 1..300),
        permille in 0u32..=1000,
    ) {
        let mut s = TaskStats::new(&Period::from_hz_at(1_000, 1_000_000).unwrap());
        for &lateness in &samples {
            s.record(&Release { lateness, ..Release::default() }, 0);
        }
        samples.sort_unstable();
        let rank = ((samples.len() as u64 * permille as u64).div_ceil(1000)).max(1) as usize;
        let truth = samples[rank - 1];
        let est = s.jitter_quantile(permille).unwrap();
        prop_assert_eq!(jitter_bin(est), jitter_bin(truth), "estimate {} truth {}", est, truth);
        prop_assert!(est <= s.jitter_max);
        prop_assert_eq!(s.jitter_hist.iter().sum::<u32>() as usize, samples.len());
    }
}
