//! Running test cases on core 0, core 1 or both, and reporting.

use core::cell::UnsafeCell;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use splitcore_proto::exccause::ExcCause;

use crate::board;
use crate::io::LineBuf;
use crate::println;

/// Outcome of one test function.
pub type TestResult = Result<(), Failure>;

/// Why a test failed: source location and a message (cut at 200 bytes).
pub struct Failure {
    file: &'static str,
    line: u32,
    message: LineBuf<200>,
    skipped: bool,
}

impl Failure {
    /// A failure at `file:line` with a formatted message.
    pub fn new(file: &'static str, line: u32, message: fmt::Arguments<'_>) -> Self {
        let mut buf = LineBuf::new();
        let _ = buf.write_fmt(message);
        Failure { file, line, message: buf, skipped: false }
    }

    /// Not a failure: the test does not apply to this machine (counted as skipped, with the
    /// reason printed).
    pub fn skip(reason: &str) -> Self {
        let mut message = LineBuf::new();
        let _ = message.write_str(reason);
        Failure { file: "", line: 0, message, skipped: true }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Where a test runs.
#[derive(Clone, Copy)]
enum Placement {
    Core0(fn() -> TestResult),
    Core1(fn() -> TestResult),
    Dual(fn() -> TestResult, fn() -> TestResult),
}

/// One test of a program.
#[derive(Clone, Copy)]
pub struct TestCase {
    name: &'static str,
    placement: Placement,
}

impl TestCase {
    /// A test that runs on core 0.
    pub const fn core0(name: &'static str, test: fn() -> TestResult) -> Self {
        TestCase { name, placement: Placement::Core0(test) }
    }

    /// A test that runs on core 1 (skipped when the machine has one CPU).
    pub const fn core1(name: &'static str, test: fn() -> TestResult) -> Self {
        TestCase { name, placement: Placement::Core1(test) }
    }

    /// A test whose two halves run at the same time, one on each core.
    pub const fn dual(
        name: &'static str,
        on_core0: fn() -> TestResult,
        on_core1: fn() -> TestResult,
    ) -> Self {
        TestCase { name, placement: Placement::Dual(on_core0, on_core1) }
    }
}

// ---- core 1 job mailbox ------------------------------------------------------------------------
// Core 0 writes JOB_FN, then bumps JOB_SEQ (Release); core 1 runs the job, writes CORE1_RESULT
// and the failure text, then stores DONE_SEQ = JOB_SEQ (Release). Core 0 reads the result only
// after it has seen DONE_SEQ advance (Acquire), so the failure text is never read while written.

const CORE1_DOWN: u32 = 0;
const CORE1_IDLE: u32 = 1;
const CORE1_DEAD: u32 = 2;

static CORE1_STATE: AtomicU32 = AtomicU32::new(CORE1_DOWN);
static JOB_FN: AtomicUsize = AtomicUsize::new(0);
static JOB_SEQ: AtomicU32 = AtomicU32::new(0);
static DONE_SEQ: AtomicU32 = AtomicU32::new(0);
static CORE1_FAILURE: FailureSlot = FailureSlot(UnsafeCell::new(None));

struct FailureSlot(UnsafeCell<Option<Failure>>);

// SAFETY: the slot is written by core 1 only between reading a new JOB_SEQ and publishing
// DONE_SEQ, and read by core 0 only after observing DONE_SEQ == JOB_SEQ and before bumping
// JOB_SEQ again; the Release/Acquire pairs on those words order every access.
unsafe impl Sync for FailureSlot {}

fn publish_core1_result(result: TestResult) {
    // SAFETY: called on core 1 while it owns the slot (between a new job and DONE_SEQ).
    unsafe { *CORE1_FAILURE.0.get() = result.err() };
    DONE_SEQ.store(JOB_SEQ.load(Ordering::Acquire), Ordering::Release);
}

/// Core-1 main loop of the harness: waits for jobs from core 0 and runs them.
#[no_mangle]
pub extern "C" fn board_core1_main() -> ! {
    CORE1_STATE.store(CORE1_IDLE, Ordering::Release);
    let mut seen = JOB_SEQ.load(Ordering::Acquire);
    loop {
        let seq = JOB_SEQ.load(Ordering::Acquire);
        if seq == seen {
            core::hint::spin_loop();
            continue;
        }
        seen = seq;
        let job = JOB_FN.load(Ordering::Acquire);
        // SAFETY: core 0 stores only `fn() -> TestResult` pointers in JOB_FN.
        let job: fn() -> TestResult = unsafe { core::mem::transmute::<usize, fn() -> TestResult>(job) };
        publish_core1_result(job());
    }
}

/// Cycles core 0 waits for core 1 to come up (2 s at 40 MHz).
const CORE1_BOOT_TIMEOUT: u32 = 80_000_000;
/// Cycles core 0 waits for a core-1 job (60 s at 40 MHz; CCOUNT follows host time without icount).
const CORE1_JOB_TIMEOUT: u32 = 2_400_000_000;

fn wait_until(timeout_cycles: u32, mut done: impl FnMut() -> bool) -> bool {
    let start = board::ccount();
    loop {
        if done() {
            return true;
        }
        if board::ccount().wrapping_sub(start) > timeout_cycles {
            return done();
        }
        core::hint::spin_loop();
    }
}

fn start_core1() -> bool {
    let cfg = board::config();
    if cfg.cpus == Some(1) {
        return false;
    }
    board::boot_core1_harness();
    wait_until(CORE1_BOOT_TIMEOUT, || CORE1_STATE.load(Ordering::Acquire) == CORE1_IDLE)
}

fn post_core1_job(job: fn() -> TestResult) -> u32 {
    JOB_FN.store(job as usize, Ordering::Relaxed);
    JOB_SEQ.fetch_add(1, Ordering::AcqRel).wrapping_add(1)
}

fn collect_core1_job(seq: u32) -> TestResult {
    if !wait_until(CORE1_JOB_TIMEOUT, || DONE_SEQ.load(Ordering::Acquire) == seq) {
        CORE1_STATE.store(CORE1_DEAD, Ordering::Relaxed);
        return Err(Failure::new("", 0, format_args!("core 1 did not finish within the timeout")));
    }
    // SAFETY: DONE_SEQ == seq was observed with Acquire: core 1 finished writing the slot and
    // will not touch it before the next job is posted.
    match unsafe { (*CORE1_FAILURE.0.get()).take() } {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

static CURRENT_TEST: AtomicUsize = AtomicUsize::new(0);
static CURRENT_TEST_LEN: AtomicUsize = AtomicUsize::new(0);

fn set_current_test(name: &'static str) {
    CURRENT_TEST.store(name.as_ptr() as usize, Ordering::Relaxed);
    CURRENT_TEST_LEN.store(name.len(), Ordering::Relaxed);
}

fn current_test() -> &'static str {
    let ptr = CURRENT_TEST.load(Ordering::Relaxed);
    let len = CURRENT_TEST_LEN.load(Ordering::Relaxed);
    if ptr == 0 {
        return "(no test)";
    }
    // SAFETY: ptr/len were taken from a `&'static str` by `set_current_test`.
    unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(ptr as *const u8, len)) }
}

/// Runs the cases in order and ends the emulation: exit status 0 when none failed, 1 otherwise.
pub fn run_tests(cases: &[TestCase]) -> ! {
    let cfg = board::config();
    println!(
        "splitcore target tests: {} case(s), core {} reporting, icount={}",
        cases.len(),
        board::core_id(),
        cfg.icount
    );
    let needs_core1 = cases.iter().any(|c| !matches!(c.placement, Placement::Core0(_)));
    let core1_up = needs_core1 && start_core1();
    if needs_core1 && !core1_up {
        println!(
            "core 1 is not available (cpus={:?}, ROM stand-in alive: {}): its tests are skipped",
            cfg.cpus,
            board::core1_rom_alive()
        );
    }
    let (mut passed, mut failed, mut skipped) = (0u32, 0u32, 0u32);
    for case in cases {
        set_current_test(case.name);
        let core1_usable = core1_up && CORE1_STATE.load(Ordering::Relaxed) == CORE1_IDLE;
        let result = match case.placement {
            Placement::Core0(test) => Some(test()),
            Placement::Core1(test) if core1_usable => {
                Some(collect_core1_job(post_core1_job(test)).map_err(|e| prefixed("core 1: ", e)))
            }
            Placement::Dual(on0, on1) if core1_usable => {
                let seq = post_core1_job(on1);
                let r0 = on0();
                let r1 = collect_core1_job(seq);
                Some(match (r0, r1) {
                    (Err(e), _) => Err(e),
                    (Ok(()), Err(e)) => Err(prefixed("core 1: ", e)),
                    (Ok(()), Ok(())) => Ok(()),
                })
            }
            Placement::Core1(_) | Placement::Dual(..) => None,
        };
        match result {
            Some(Ok(())) => {
                passed += 1;
                println!("test {} ... ok", case.name);
            }
            Some(Err(failure)) if failure.skipped => {
                skipped += 1;
                println!("test {} ... skipped ({})", case.name, failure.message);
            }
            Some(Err(failure)) => {
                failed += 1;
                println!("test {} ... FAILED\n    {}", case.name, failure);
            }
            None => {
                skipped += 1;
                println!("test {} ... skipped (needs core 1)", case.name);
            }
        }
    }
    println!("{} passed, {} failed, {} skipped", passed, failed, skipped);
    board::exit(if failed == 0 { 0 } else { 1 })
}

fn prefixed(prefix: &str, failure: Failure) -> Failure {
    let mut message = LineBuf::<200>::new();
    let _ = write!(message, "{prefix}{}", failure.message);
    Failure { file: failure.file, line: failure.line, message, skipped: failure.skipped }
}

// ---- faults and panics -------------------------------------------------------------------------

/// Exit status for a fatal CPU exception on core 0: 100 + EXCCAUSE.
pub const EXIT_EXCEPTION_BASE: i32 = 100;
/// Exit status for a debug exception (BREAK) on core 0.
pub const EXIT_DEBUG_EXCEPTION: i32 = 97;
/// Exit status for a double exception on core 0.
pub const EXIT_DOUBLE_EXCEPTION: i32 = 96;
/// Exit status for an unexpected interrupt on core 0.
pub const EXIT_UNEXPECTED_INTERRUPT: i32 = 95;
/// Exit status for a panic on core 0.
pub const EXIT_PANIC: i32 = 99;

#[repr(C)]
struct FaultRecord {
    kind: u32,
    exccause: u32,
    epc: u32,
    excvaddr: u32,
    ps: u32,
    a0: u32,
    a1: u32,
    debugcause: u32,
    epc6: u32,
    depc: u32,
}

fn describe_fault(record: &FaultRecord, out: &mut impl Write) -> (i32, fmt::Result) {
    match record.kind {
        0 => {
            let cause = ExcCause::from_raw(record.exccause);
            (
                EXIT_EXCEPTION_BASE + record.exccause.min(63) as i32,
                write!(
                    out,
                    "{cause} at PC 0x{:08x}, EXCVADDR 0x{:08x}, PS 0x{:08x}, a0 0x{:08x}, sp 0x{:08x}",
                    record.epc, record.excvaddr, record.ps, record.a0, record.a1
                ),
            )
        }
        1 => (
            EXIT_DEBUG_EXCEPTION,
            write!(
                out,
                "debug exception (BREAK or watchpoint) at PC 0x{:08x}, DEBUGCAUSE 0x{:x}",
                record.epc6, record.debugcause
            ),
        ),
        2 => (
            EXIT_DOUBLE_EXCEPTION,
            write!(out, "double exception at DEPC 0x{:08x}, {}", record.depc, ExcCause(record.exccause)),
        ),
        _ => (EXIT_UNEXPECTED_INTERRUPT, write!(out, "unexpected high-priority interrupt")),
    }
}

/// Called by the board's vectors (on a fresh fault stack) for any exception.
#[no_mangle]
extern "C" fn board_fault(record: &FaultRecord) -> ! {
    let core = board::core_id();
    if core == 0 {
        let mut line = LineBuf::<240>::new();
        let (code, _) = describe_fault(record, &mut line);
        println!("test {} ... FAILED\n    core 0: {}", current_test(), line);
        println!("fatal exception: ending the run");
        board::exit(code)
    }
    let mut message = LineBuf::<200>::new();
    let _ = describe_fault(record, &mut message);
    publish_core1_result(Err(Failure { file: "", line: 0, message, skipped: false }));
    CORE1_STATE.store(CORE1_DEAD, Ordering::Release);
    loop {
        core::hint::spin_loop();
    }
}

/// Spins until `done()` holds; after `timeout_us` microseconds of [`board::ccount`] fails at the
/// caller's line with "timed out waiting for `what`".
#[track_caller]
pub fn wait_for(what: &str, timeout_us: u32, mut done: impl FnMut() -> bool) -> TestResult {
    let caller = core::panic::Location::caller();
    let start = board::ccount();
    while !done() {
        if board::ccount().wrapping_sub(start) > timeout_us.saturating_mul(board::CCOUNT_PER_US) {
            return Err(Failure::new(
                caller.file(),
                caller.line(),
                format_args!("timed out waiting for {what}"),
            ));
        }
    }
    Ok(())
}

/// Core 0's end of a Rust panic in the programs built on `splitcore-rt`, whose panic handler
/// calls this symbol on core 0 (the ESP-IDF component defines its own): the run ends with exit
/// status 99, as a core-0 panic under [`report_panic`] does.
#[no_mangle]
extern "C" fn splitcore_core0_panic(message: *const u8, len: usize) -> ! {
    // SAFETY: splitcore-rt's panic handler, the only caller, passes a UTF-8 buffer valid for
    // `len` bytes.
    let text = unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(message, len)) };
    println!("core 0 panicked: {}", text);
    board::exit(EXIT_PANIC)
}

/// The harness's panic report (installed as `#[panic_handler]` by [`crate::target_test_main!`]):
/// on core 0 the run ends with exit status 99; on core 1 the running test fails.
pub fn report_panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut message = LineBuf::<200>::new();
    let _ = write!(message, "panicked: {}", info.message());
    if let Some(location) = info.location() {
        let _ = write!(message, " at {}:{}", location.file(), location.line());
    }
    if board::core_id() == 0 {
        println!("test {} ... FAILED\n    core 0 {}", current_test(), message);
        board::exit(EXIT_PANIC)
    }
    publish_core1_result(Err(Failure { file: "", line: 0, message, skipped: false }));
    CORE1_STATE.store(CORE1_DEAD, Ordering::Release);
    loop {
        core::hint::spin_loop();
    }
}
