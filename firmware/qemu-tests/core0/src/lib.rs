//! splitcore-core0 on emulated core 0: the same [`Core1`] handle the ESP-IDF component uses
//! starts, supervises, stops and restarts the real core-1 runtime on emulated core 1.
//!
//! QEMU has no SYSTEM / RTC_CNTL registers, so [`BoardRegs`] keeps them as plain words and turns
//! the one transition that matters into the board's equivalent: the end of the reset pulse
//! (RESETING cleared while RUNSTALL is clear) starts core 1 at the boot address — the first time
//! through the ROM stand-in, later through the board's reset stand-in, which a parked runtime
//! obeys. The register sequences themselves are checked exactly on the host
//! (crates/core0/tests); here the state machine meets a real core 1: handshake, log lines,
//! cooperative stop, restart, a crash report, and a core that never reports.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};

use splitcore_core0::regs::{CORE_1_CONTROL_0, CORE_1_CONTROL_1, RESETING, RUNSTALL};
use splitcore_core0::{Core1, LogRegion, Regs, StartError, Stopped, Timing, LOG, LOG_LAYOUT};
use splitcore_rt::log::SPLITCORE_LOG_REGION;
use splitcore_rt::{control, Reason, Status};
use splitcore_target_test::{
    board, check, check_eq, println, target_test_cases, wait_for, Failure, TestCase, TestResult,
};

// ---- core 1 ------------------------------------------------------------------------------------

const RUN: u32 = 0;
const PANIC_AFTER_LOG: u32 = 1;

static SCENARIO: AtomicU32 = AtomicU32::new(RUN);

fn core1_main() {
    splitcore_rt::println!("core 1: boot {}", splitcore_rt::boot_count());
    if SCENARIO.load(Ordering::Acquire) == PANIC_AFTER_LOG {
        splitcore_rt::println!("core 1: about to fail");
        let limit = core::hint::black_box(3u32);
        panic!("motor current {} A over the {} A limit", limit + 9, limit);
    }
    let mut beats = 0u32;
    while !splitcore_rt::stop_requested() {
        splitcore_rt::heartbeat();
        beats = beats.wrapping_add(1);
        if beats == 50_000 {
            splitcore_rt::println!("core 1: 50000 beats");
        }
    }
    splitcore_rt::println!("core 1: stopping");
}

splitcore_rt::entry!(core1_main);

extern "C" {
    /// The runtime's parking loop: masks interrupts and waits for the board's reset request.
    fn splitcore_park() -> !;
}

/// A core-1 program that never does the handshake (a wrong entry address, a hung start-up).
unsafe extern "C" fn never_reports() {
    // SAFETY: parks this core; the board's reset stand-in restarts it.
    unsafe { splitcore_park() }
}

// ---- core 0: the register seam on the QEMU board --------------------------------------------

/// The handshake timeout the tests give `Core1` (and expect to see expire once).
const HANDSHAKE_US: u32 = 500_000;
/// How long a test waits for a log line or a crash.
const WAIT_US: u32 = 1_000_000;

static BOOTED_ONCE: AtomicU32 = AtomicU32::new(0);

/// The ESP32-S3 core-1 control registers as plain words, mapped onto the board's boot and reset
/// stand-ins. Reset values as on a UNICORE boot: RUNSTALL set, RESETING clear.
struct BoardRegs {
    control0: u32,
    control1: u32,
    other: [(u32, u32); 4],
    releases: u32,
    last_ccount: u32,
    micros: u64,
    sub_us: u32,
}

impl BoardRegs {
    fn new() -> Self {
        BoardRegs {
            control0: RUNSTALL,
            control1: 0,
            other: [(0, 0); 4],
            releases: 0,
            last_ccount: board::ccount(),
            micros: 0,
            sub_us: 0,
        }
    }

    /// The end of the reset pulse: core 1 starts at the ROM, which enters CONTROL_1. (The ROM
    /// stand-in polls its boot word, so it only learns the address now: on the S3 the core is
    /// in reset until this moment.)
    fn release(&mut self) {
        self.releases += 1;
        if BOOTED_ONCE.swap(1, Ordering::Relaxed) == 0 {
            // SAFETY: CONTROL_1 holds the address of an `extern "C" fn()` of this program (the
            // runtime's entry or `never_reports`), written by `set_appcpu_boot_addr`.
            let entry =
                unsafe { core::mem::transmute::<usize, unsafe extern "C" fn()>(self.control1 as usize) };
            board::boot_core1(entry);
        } else {
            board::set_core1_boot_addr(self.control1);
            board::reset_core1();
        }
    }
}

impl Regs for BoardRegs {
    fn read(&mut self, addr: u32) -> u32 {
        match addr {
            CORE_1_CONTROL_0 => self.control0,
            CORE_1_CONTROL_1 => self.control1,
            _ => self.other.iter().find(|(a, _)| *a == addr).map_or(0, |(_, v)| *v),
        }
    }

    fn write(&mut self, addr: u32, value: u32) {
        match addr {
            CORE_1_CONTROL_0 => {
                let was_in_reset = self.control0 & RESETING != 0;
                self.control0 = value;
                if was_in_reset && value & (RESETING | RUNSTALL) == 0 {
                    self.release();
                }
            }
            CORE_1_CONTROL_1 => self.control1 = value,
            _ => {
                if let Some(slot) = self.other.iter_mut().find(|(a, _)| *a == addr || *a == 0) {
                    *slot = (addr, value);
                }
            }
        }
    }

    fn delay_us(&mut self, us: u32) {
        let start = board::ccount();
        while board::ccount().wrapping_sub(start) < us * board::CCOUNT_PER_US {}
    }

    fn now_us(&mut self) -> u64 {
        let now = board::ccount();
        let ticks = now.wrapping_sub(self.last_ccount) + self.sub_us;
        self.last_ccount = now;
        self.micros += u64::from(ticks / board::CCOUNT_PER_US);
        self.sub_us = ticks % board::CCOUNT_PER_US;
        self.micros
    }

    fn set_appcpu_boot_addr(&mut self, addr: u32) {
        self.control1 = addr;
    }

    fn cpu_stall(&mut self, _core: u32) {}

    fn cpu_unstall(&mut self, _core: u32) {}
}

// ---- core 0: the tests -------------------------------------------------------------------------

type Handle = Core1<'static, BoardRegs>;

fn handle(entry: u32) -> Handle {
    let log = LogRegion { mem: (&SPLITCORE_LOG_REGION).into(), layout: &LOG_LAYOUT, channel: LOG };
    // CCOUNT follows host time on QEMU: generous limits, so a loaded host (the emulated cores
    // are host threads) cannot turn a slow run into a failure.
    let timing = Timing { handshake_timeout_us: HANDSHAKE_US, stop_timeout_us: 1_000_000, poll_us: 50 };
    // SAFETY: nothing else on core 0 touches the log region or the control block while the
    // handle lives (one handle per test), and they are the runtime's own.
    unsafe { Core1::new(BoardRegs::new(), control(), Some(log), entry, timing) }
}

fn runtime_entry() -> u32 {
    splitcore_rt::splitcore_core1_entry as unsafe extern "C" fn() as usize as u32
}

fn fail(line: u32, what: core::fmt::Arguments<'_>) -> Failure {
    Failure::new(file!(), line, what)
}

/// Drains the log until a line containing `needle` arrives (`WAIT_US` limit); returns how many
/// lines were read.
fn expect_line(core1: &mut Handle, needle: &str) -> Result<u32, Failure> {
    let start = board::ccount();
    let mut seen = 0;
    let mut found = false;
    while !found {
        let dropped = control().log_dropped.load(Ordering::Relaxed);
        let Some(log) = core1.log() else { return Err(fail(line!(), format_args!("no log forwarder"))) };
        log.drain(dropped, 16, &mut |line| {
            println!("    core 1 log: {}", line);
            seen += 1;
            found |= line.contains(needle);
        })
        .map_err(|e| fail(line!(), format_args!("log ring: {}", e)))?;
        if board::ccount().wrapping_sub(start) > WAIT_US * board::CCOUNT_PER_US {
            return Err(fail(line!(), format_args!("no log line containing {:?}", needle)));
        }
    }
    Ok(seen)
}

fn starts_logs_and_stops_cooperatively() -> TestResult {
    SCENARIO.store(RUN, Ordering::Release);
    let mut core1 = handle(runtime_entry());
    let boots = control().boot_count.load(Ordering::Relaxed);
    if let Err(e) = core1.start() {
        return Err(fail(line!(), format_args!("start: {}", e)));
    }
    check_eq!(core1.status(), Some(Status::Running));
    check_eq!(core1.regs().releases, 1);
    check_eq!(control().boot_count.load(Ordering::Relaxed), boots + 1);
    expect_line(&mut core1, "core 1: boot")?;
    expect_line(&mut core1, "50000 beats")?;
    check!(core1.heartbeat() >= 50_000, "heartbeat {}", core1.heartbeat());
    // A second start while running is refused without touching anything.
    check_eq!(core1.start(), Err(StartError::AlreadyRunning { status: Some(Status::Running) }));
    check_eq!(core1.regs().releases, 1);
    check_eq!(core1.stop(), Stopped::Cooperative);
    check_eq!(core1.status(), Some(Status::Stopped));
    expect_line(&mut core1, "core 1: stopping")?;
    // Held as after a UNICORE boot: RUNSTALL set, reset released, boot address cleared.
    let c0 = core1.regs().read(CORE_1_CONTROL_0);
    check_eq!((c0 & RUNSTALL, c0 & RESETING), (RUNSTALL, 0));
    check_eq!(core1.regs().read(CORE_1_CONTROL_1), 0);
    check!(core1.stack_high_water() > 0, "no stack high-water mark");
    Ok(())
}

fn restart_runs_the_program_again() -> TestResult {
    SCENARIO.store(RUN, Ordering::Release);
    let mut core1 = handle(runtime_entry());
    if let Err(e) = core1.start() {
        return Err(fail(line!(), format_args!("start: {}", e)));
    }
    let boots = control().boot_count.load(Ordering::Relaxed);
    match core1.restart() {
        Ok(Stopped::Cooperative) => {}
        other => return Err(fail(line!(), format_args!("restart: {:?}", other))),
    }
    check_eq!(core1.status(), Some(Status::Running));
    check_eq!(control().boot_count.load(Ordering::Relaxed), boots + 1);
    check_eq!(core1.regs().releases, 2);
    expect_line(&mut core1, "core 1: boot")?;
    check_eq!(core1.stop(), Stopped::Cooperative);
    Ok(())
}

fn crash_report_then_restart() -> TestResult {
    SCENARIO.store(PANIC_AFTER_LOG, Ordering::Release);
    let mut core1 = handle(runtime_entry());
    // The panic may come before or after core 0 sees Running: both are legitimate outcomes.
    match core1.start() {
        Ok(()) | Err(StartError::Crashed) => {}
        Err(e) => return Err(fail(line!(), format_args!("start: {}", e))),
    }
    wait_for("a crash", WAIT_US, || core1.status() == Some(Status::Crashed))?;
    let crash = core1.crash().map_err(|e| fail(line!(), format_args!("crash record: {:?}", e)))?;
    check_eq!(crash.reason, Reason::Panic);
    check_eq!(crash.message(), ("motor current 12 A over the 3 A limit", false));
    check!(crash.file().ends_with("qemu-tests/core0/src/lib.rs"), "panic file {}", crash.file());
    check!(crash.backtrace().len() >= 3, "backtrace of {} frames", crash.backtrace().len());
    println!("{}", crash);
    check_eq!(core1.stop(), Stopped::NotRunning { status: Some(Status::Crashed) });
    SCENARIO.store(RUN, Ordering::Release);
    if let Err(e) = core1.start() {
        return Err(fail(line!(), format_args!("start after the crash: {}", e)));
    }
    expect_line(&mut core1, "core 1: boot")?;
    check_eq!(core1.stop(), Stopped::Cooperative);
    Ok(())
}

fn a_core_that_never_reports_times_out_and_is_held() -> TestResult {
    let mut core1 = handle(never_reports as unsafe extern "C" fn() as usize as u32);
    let begin = board::ccount();
    match core1.start() {
        Err(StartError::Timeout { waited_us, status }) => {
            // At least the timeout, and not much more: the wait ends at the first poll after it.
            let limit = u64::from(HANDSHAKE_US);
            check!(waited_us >= limit && waited_us < 2 * limit, "waited {} us", waited_us);
            check_eq!(status, Some(Status::Booting));
        }
        other => return Err(fail(line!(), format_args!("expected a timeout, got {:?}", other))),
    }
    check!(board::ccount().wrapping_sub(begin) >= HANDSHAKE_US * board::CCOUNT_PER_US, "returned early");
    check_eq!(core1.status(), Some(Status::Off));
    check_eq!(core1.regs().read(CORE_1_CONTROL_0) & RUNSTALL, RUNSTALL);
    // The same core starts normally afterwards.
    SCENARIO.store(RUN, Ordering::Release);
    let mut core1 = handle(runtime_entry());
    if let Err(e) = core1.start() {
        return Err(fail(line!(), format_args!("start after the timeout: {}", e)));
    }
    check_eq!(core1.stop(), Stopped::Cooperative);
    Ok(())
}

target_test_cases!(
    TestCase::core0(
        "start: handshake, log lines, refused twice, cooperative stop, held",
        starts_logs_and_stops_cooperatively
    ),
    TestCase::core0("restart: stop then start, boot count +1", restart_runs_the_program_again),
    TestCase::core0("crash: IDF-style report on core 0, then a clean start", crash_report_then_restart),
    TestCase::core0(
        "a core that never reports: timeout, held, next start works",
        a_core_that_never_reports_times_out_and_is_held
    ),
);
