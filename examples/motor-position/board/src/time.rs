//! Time helpers for the control program: telemetry microseconds from a fast wrapping counter,
//! and the check that the cycle counter runs at the rate the program assumes.

use splitcore_exec::TimeSource;

/// A wrapping microsecond count made from a faster wrapping tick counter (CCOUNT at 240 MHz
/// wraps every 17.9 s; the telemetry's `time_us` must wrap only after 2^32 µs, 71.6 min).
/// [`update`](Self::update) must be called at least once per 2^31 ticks (8.9 s at 240 MHz);
/// the control task calls it every period. Remainders are carried: no drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Micros {
    ticks_per_us: u32,
    last: u32,
    rem: u32,
    us: u32,
}

impl Micros {
    /// Starts at 0 µs at tick `now` of a counter running at `ticks_per_second`, or `None`
    /// unless that is a whole number of MHz.
    ///
    /// ```
    /// use motor_position_board::time::Micros;
    /// let mut t = Micros::new(240_000_000, u32::MAX - 100).unwrap();
    /// assert_eq!(t.update((u32::MAX - 100).wrapping_add(2400)), 10); // across the wrap
    /// assert!(Micros::new(1_500_000, 0).is_none());
    /// ```
    pub const fn new(ticks_per_second: u32, now: u32) -> Option<Self> {
        if ticks_per_second == 0 || !ticks_per_second.is_multiple_of(1_000_000) {
            return None;
        }
        Some(Micros { ticks_per_us: ticks_per_second / 1_000_000, last: now, rem: 0, us: 0 })
    }

    /// The microseconds (wrapping) at tick `now`.
    #[inline]
    pub fn update(&mut self, now: u32) -> u32 {
        let ticks = now.wrapping_sub(self.last).wrapping_add(self.rem);
        self.last = now;
        // At most 2^31 + ticks_per_us: no overflow.
        let us = ticks / self.ticks_per_us;
        self.rem = ticks - us * self.ticks_per_us;
        self.us = self.us.wrapping_add(us);
        self.us
    }
}

/// The CPU clock measured against SYSTIMER is not the one the program was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockMismatch {
    /// The rate assumed, Hz.
    pub expected_hz: u32,
    /// The rate measured, Hz.
    pub measured_hz: u32,
}

impl core::fmt::Display for ClockMismatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "CPU clock measured at {} kHz, the control loop is timed for {} kHz (set the CPU to {} MHz, power management off)",
            self.measured_hz / 1000,
            self.expected_hz / 1000,
            self.expected_hz / 1_000_000
        )
    }
}

/// Tolerance of [`check_cpu_hz`], parts per thousand (the measurement window of 1 ms at
/// 16 MHz resolves 1/16 000; clock sources differ by well under 0.1 %).
pub const CPU_HZ_TOLERANCE_PERMILLE: u64 = 10;

/// Compares `cycles` CPU cycles counted over `systimer_ticks` ticks of the 16 MHz SYSTIMER
/// with `expected_hz`; returns the measured rate if it is within
/// [`CPU_HZ_TOLERANCE_PERMILLE`].
///
/// ```
/// use motor_position_board::time::check_cpu_hz;
/// assert_eq!(check_cpu_hz(240_000, 16_000, 240_000_000), Ok(240_000_000));
/// assert!(check_cpu_hz(160_000, 16_000, 240_000_000).is_err()); // a 160 MHz CPU
/// ```
pub fn check_cpu_hz(cycles: u32, systimer_ticks: u32, expected_hz: u32) -> Result<u32, ClockMismatch> {
    let measured = if systimer_ticks == 0 {
        0
    } else {
        (cycles as u64 * splitcore_hal_esp32s3::systimer::TICKS_PER_SECOND as u64 / systimer_ticks as u64)
            .min(u32::MAX as u64)
    };
    let expected = expected_hz as u64;
    if measured.abs_diff(expected) * 1000 <= expected * CPU_HZ_TOLERANCE_PERMILLE {
        Ok(measured as u32)
    } else {
        Err(ClockMismatch { expected_hz, measured_hz: measured as u32 })
    }
}

/// Counts CPU cycles (`cpu`) over 1 ms of SYSTIMER (`systimer`) and checks them with
/// [`check_cpu_hz`]. Bounded: if SYSTIMER does not advance 1 ms within 10 ms worth of cycles
/// at `expected_hz`, the (wrong) rate seen so far is reported.
pub fn measure_cpu_hz<S: TimeSource, C: TimeSource>(
    systimer: &S,
    cpu: &C,
    expected_hz: u32,
) -> Result<u32, ClockMismatch> {
    let window = splitcore_hal_esp32s3::systimer::TICKS_PER_SECOND / 1000;
    let limit = expected_hz / 100;
    let (s0, c0) = (systimer.now(), cpu.now());
    loop {
        let (s, c) = (systimer.now(), cpu.now());
        let (ds, dc) = (s.wrapping_sub(s0), c.wrapping_sub(c0));
        if ds >= window || dc > limit {
            return check_cpu_hz(dc, ds, expected_hz);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;
    use std::string::ToString;

    /// A counter advancing by `step` on every read.
    struct Stepping(Cell<u32>, u32, u32);
    impl TimeSource for Stepping {
        fn now(&self) -> u32 {
            let t = self.0.get();
            self.0.set(t.wrapping_add(self.1));
            t
        }
        fn ticks_per_second(&self) -> u32 {
            self.2
        }
    }

    #[test]
    fn cpu_rate_is_measured_against_systimer() {
        let systimer = Stepping(Cell::new(u32::MAX - 50), 16, 16_000_000);
        let cpu = Stepping(Cell::new(7), 240, 240_000_000);
        assert_eq!(measure_cpu_hz(&systimer, &cpu, 240_000_000), Ok(240_000_000));
        let slow = Stepping(Cell::new(0), 160, 160_000_000);
        assert_eq!(
            measure_cpu_hz(&systimer, &slow, 240_000_000),
            Err(ClockMismatch { expected_hz: 240_000_000, measured_hz: 160_000_000 })
        );
        // SYSTIMER stalled (core 0 held by a debugger): bounded, reported as a mismatch.
        let stalled = Stepping(Cell::new(0), 0, 16_000_000);
        let err = measure_cpu_hz(&stalled, &cpu, 240_000_000).unwrap_err();
        assert_eq!(err.measured_hz, 0);
    }

    #[test]
    fn micros_carry_remainders_and_wrap() {
        let mut t = Micros::new(240_000_000, 0).unwrap();
        // 20 kHz periods of 12 000 cycles with 7 cycles of jitter either way.
        let mut now = 0u32;
        for k in 1..=400_000u32 {
            now = now.wrapping_add(if k % 2 == 0 { 12_007 } else { 11_993 });
            t.update(now);
        }
        assert_eq!(t.update(now), 20_000_000); // 4.8e9 cycles: CCOUNT wrapped once
                                               // Odd tick counts are carried, not lost.
        let mut t = Micros::new(240_000_000, 5).unwrap();
        for k in 1..=240u32 {
            t.update(5 + k * 239);
        }
        assert_eq!(t.update(5 + 240 * 239), 239);
        assert_eq!(t.update(5 + 240 * 240), 240);
    }

    #[test]
    fn micros_wrap_after_2_pow_32() {
        let mut t = Micros::new(1_000_000, 0).unwrap();
        let mut now = 0u32;
        for _ in 0..4 {
            now = now.wrapping_add(1 << 30);
            t.update(now);
        }
        assert_eq!(t.update(now.wrapping_add(3)), 3);
    }

    #[test]
    fn micros_need_whole_megahertz() {
        assert!(Micros::new(0, 0).is_none());
        assert!(Micros::new(40_500_000, 0).is_none());
        assert_eq!(Micros::new(16_000_000, 0).map(|m| m.ticks_per_us), Some(16));
    }

    #[test]
    fn cpu_rate_is_checked() {
        assert_eq!(check_cpu_hz(240_000, 16_000, 240_000_000), Ok(240_000_000));
        // Within 1 %.
        assert_eq!(check_cpu_hz(242_000, 16_000, 240_000_000), Ok(242_000_000));
        let err = check_cpu_hz(80_000, 16_000, 240_000_000).unwrap_err();
        assert_eq!(err, ClockMismatch { expected_hz: 240_000_000, measured_hz: 80_000_000 });
        assert!(err.to_string().starts_with("CPU clock measured at 80000 kHz"));
        assert!(check_cpu_hz(243_000, 16_000, 240_000_000).is_err());
        assert!(check_cpu_hz(240_000, 0, 240_000_000).is_err());
    }
}
