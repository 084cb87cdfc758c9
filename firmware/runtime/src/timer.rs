//! Core 1's cycle counter as the executive's time base, with CCOMPARE0 to sleep between
//! releases.
//!
//! [`CycleClock`] is a [`TimeSource`] over CCOUNT. Its [`idle_until`](TimeSource::idle_until)
//! arms CCOMPARE0 at the deadline and sleeps in `WAITI 0`, so
//! [`Executive::run_polling`](splitcore_exec::Executive::run_polling) becomes a tick-driven loop:
//! the core sleeps until the timer interrupt (CPU interrupt 6, level 1, on the ESP32-S3 and on
//! QEMU's `de233_fpu`) and runs the tasks in thread context afterwards — where the FPU may be
//! used, unlike in the runtime's interrupt handlers, which do not save FP registers. Other
//! interrupts (the doorbell) also end the sleep; the executive simply re-checks the time.
//!
//! A deadline that has already passed is never armed: CCOMPARE matches only on equality, so a
//! compare value in the past would fire after a full wrap of CCOUNT (17.9 s at 240 MHz).
//!
//! For a time base independent of the CPU clock, use SYSTIMER (splitcore-hal-esp32s3).
//!
//! ```ignore
//! use splitcore_exec::{every, Executive, Hz};
//! use splitcore_rt::timer::CycleClock;
//!
//! fn control_loop() {
//!     let clock = CycleClock::take(240_000_000).expect("first use");
//!     let mut exec = Executive::new(clock, every(Hz(20_000), || { /* control step */ })).unwrap();
//!     exec.run_polling(splitcore_rt::stop_requested);
//! }
//! ```

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use splitcore_exec::{reached, TimeSource, TimerAlarm};

use crate::{cpu, interrupt};

/// The CPU interrupt of CCOMPARE0 (Xtensa "timer 0"; 6, level 1, on both cores).
pub const TIMER0_INTERRUPT: u8 = interrupt::timer_interrupt(0);

/// CCOUNT's rate on the emulated board (QEMU's `sim`/`kc705` cores run their cycle counter at
/// 40 MHz of host time).
pub const QEMU_CCOUNT_HZ: u32 = 40_000_000;

extern "C" {
    fn splitcore_set_ccompare0(at: u32);
    fn splitcore_set_ccompare1(at: u32);
    fn splitcore_sleep_until(deadline: u32) -> u32;
}

static TAKEN: AtomicBool = AtomicBool::new(false);
static TIMER_INTERRUPTS: AtomicU32 = AtomicU32::new(0);
static SLEEPS: AtomicU32 = AtomicU32::new(0);

/// Why [`CycleClock::take`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerError {
    /// CCOMPARE0 already belongs to a `CycleClock`.
    AlreadyTaken,
    /// The CPU frequency given is 0.
    ZeroFrequency,
    /// A handler the user installed already owns CCOMPARE0's interrupt.
    InterruptInUse,
}

fn on_timer0() {
    TIMER_INTERRUPTS.fetch_add(1, Ordering::Relaxed);
    // The interrupt stays asserted until CCOMPARE0 is written; disable it instead, so a stale
    // compare value cannot wake the core again. `idle_until` re-enables it with the next arm.
    cpu::intenable_modify(0, 1 << TIMER0_INTERRUPT);
}

/// CCOUNT as a [`TimeSource`], sleeping on CCOMPARE0 while idle. Owns CCOMPARE0 and CPU
/// interrupt 6 (one instance per core 1 run; [`release`](Self::release) gives them back).
#[derive(Debug)]
pub struct CycleClock {
    hz: u32,
}

impl CycleClock {
    /// Takes CCOMPARE0 and its interrupt for a cycle counter running at `cpu_hz` (the CPU
    /// clock: 240 MHz by default on the ESP32-S3, [`QEMU_CCOUNT_HZ`] on QEMU).
    pub fn take(cpu_hz: u32) -> Result<CycleClock, TimerError> {
        if cpu_hz == 0 {
            return Err(TimerError::ZeroFrequency);
        }
        if TAKEN.swap(true, Ordering::AcqRel) {
            return Err(TimerError::AlreadyTaken);
        }
        // The interrupt is enabled only while sleeping (`idle_until`).
        if interrupt::install(TIMER0_INTERRUPT, on_timer0).is_err() {
            TAKEN.store(false, Ordering::Release);
            return Err(TimerError::InterruptInUse);
        }
        Ok(CycleClock { hz: cpu_hz })
    }

    /// Gives CCOMPARE0 and its interrupt back.
    pub fn release(self) {
        interrupt::remove_handler(TIMER0_INTERRUPT);
        TAKEN.store(false, Ordering::Release);
    }

    /// Timer interrupts taken since the program was loaded (all boots of core 1; not reset by a
    /// restart).
    pub fn interrupts() -> u32 {
        TIMER_INTERRUPTS.load(Ordering::Relaxed)
    }

    /// `WAITI` sleeps entered since the program was loaded (not reset by a restart).
    pub fn sleeps() -> u32 {
        SLEEPS.load(Ordering::Relaxed)
    }
}

impl TimeSource for CycleClock {
    #[inline]
    fn now(&self) -> u32 {
        cpu::ccount()
    }

    fn ticks_per_second(&self) -> u32 {
        self.hz
    }

    fn idle_until(&self, deadline: u32) {
        if reached(cpu::ccount(), deadline) {
            return;
        }
        arm(deadline);
        // SAFETY: masks interrupts, sleeps in WAITI unless CCOUNT already passed `deadline`,
        // restores PS; touches no memory. The timer interrupt (or any other) ends the sleep.
        if unsafe { splitcore_sleep_until(deadline) } != 0 {
            SLEEPS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Gives CCOMPARE0 back at boot (a crash may have left a `CycleClock` taken).
pub(crate) fn reset() {
    TAKEN.store(false, Ordering::Release);
}

fn arm(at: u32) {
    // SAFETY: CCOMPARE0 belongs to the CycleClock (taken once); the write clears a pending
    // timer-0 interrupt before it is enabled.
    unsafe { splitcore_set_ccompare0(at) };
    cpu::intenable_modify(1 << TIMER0_INTERRUPT, 0);
}

/// CCOMPARE0 as the executive's [`TimerAlarm`]: arming it enables the clock's interrupt, which
/// ends a `WAITI` sleep (its handler only disables it again). To run tasks inside a timer
/// interrupt instead, take no `CycleClock`: install a handler on [`TIMER0_INTERRUPT`] (level 1),
/// or on [`interrupt::TIMER1_INTERRUPT`] (level 3, armed with [`set_ccompare1`]), and call
/// [`Executive::service_alarm`] there (tasks then must not use the FPU).
///
/// [`Executive::service_alarm`]: splitcore_exec::Executive::service_alarm
impl TimerAlarm for &CycleClock {
    fn set_alarm(&mut self, at: u32) {
        arm(at);
    }
}

/// Arms CCOMPARE1 (CPU interrupt [`interrupt::TIMER1_INTERRUPT`], level 3 on the ESP32-S3 and on
/// QEMU's `de233_fpu`): a compare match at CCOUNT `at`. The write also clears a pending timer-1
/// interrupt, so a level-3 handler re-arms (or disarms) with it. Not owned by the runtime: the
/// user installs the handler with [`interrupt::set_handler`].
pub fn set_ccompare1(at: u32) {
    // SAFETY: writes CCOMPARE1 (the runtime never uses timer 1); no memory access.
    unsafe { splitcore_set_ccompare1(at) };
}
