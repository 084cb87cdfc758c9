//! The C ABI bound to host memory, with core 1 simulated by threads. One test (the ABI keeps
//! process-wide state).

mod common;

use std::ffi::{c_char, c_void, CStr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Behaviour, Sim, ENTRY};
use splitcore_core0::ffi::*;
use splitcore_core0::Regs;
use splitcore_ipc::RegionMem;

unsafe extern "C" fn collect(ctx: *mut c_void, line: *const c_char, len: usize) {
    // SAFETY: ctx is the Vec passed below; line is NUL-terminated (the ABI's contract).
    let lines = unsafe { &mut *(ctx as *mut Vec<String>) };
    // SAFETY: arguments are NULL or point to live locals; `collect` is called with its Vec.
    let text = unsafe { CStr::from_ptr(line) }.to_str().unwrap().to_string();
    assert_eq!(text.len(), len);
    lines.push(text);
}

fn config(policy: u32) -> SplitcoreConfig {
    SplitcoreConfig {
        handshake_timeout_ms: 500,
        stop_timeout_ms: 50,
        heartbeat_timeout_ms: 50,
        policy,
        max_restarts: 1,
        restart_backoff_ms: 5,
        restart_backoff_max_ms: 5,
        stable_ms: 10_000,
    }
}

#[test]
fn the_c_abi_starts_supervises_forwards_and_reports() {
    // Unbound: every entry point answers without touching anything.
    assert_eq!(splitcore_status(), SPLITCORE_ERR_NO_PLATFORM);
    // SAFETY: arguments are NULL or point to live locals; `collect` is called with its Vec.
    assert_eq!(unsafe { splitcore_start(&config(SPLITCORE_POLICY_LOG)) }, SPLITCORE_ERR_NO_PLATFORM);
    assert_eq!(splitcore_stop(0), SPLITCORE_ERR_NOT_STARTED);
    // SAFETY: arguments are NULL or point to live locals; `collect` is called with its Vec.
    assert_eq!(unsafe { splitcore_start(std::ptr::null()) }, SPLITCORE_ERR_INVALID_ARG);
    // SAFETY: arguments are NULL or point to live locals; `collect` is called with its Vec.
    assert_eq!(unsafe { splitcore_start(&config(7)) }, SPLITCORE_ERR_INVALID_ARG);

    let sim = Sim::new();
    sim.push(Behaviour::Normal);
    sim.push(Behaviour::CrashAfter(20));
    let fake = sim.regs();
    let running = fake.running_flag();
    let regs: Arc<Mutex<Box<dyn Regs + Send>>> = Arc::new(Mutex::new(Box::new(fake)));
    // SAFETY: the leaked log buffer lives for the process and is used only through regions.
    unsafe { host::bind_to(regs.clone(), sim.control, Some(RegionMem::from(sim.log)), ENTRY) };

    // SAFETY: arguments are NULL or point to live locals; `collect` is called with its Vec.
    assert_eq!(unsafe { splitcore_start(&config(SPLITCORE_POLICY_RESTART_CORE1)) }, SPLITCORE_OK);
    assert_eq!(splitcore_status(), SPLITCORE_CORE1_RUNNING);
    // SAFETY: arguments are NULL or point to live locals; `collect` is called with its Vec.
    assert_eq!(unsafe { splitcore_start(&config(SPLITCORE_POLICY_LOG)) }, SPLITCORE_ERR_ALREADY_RUNNING);
    assert_eq!(splitcore_stack_high_water(), 1234);
    let mut lines: Vec<String> = Vec::new();
    let ctx = &mut lines as *mut Vec<String> as *mut c_void;
    // SAFETY: arguments are NULL or point to live locals; `collect` is called with its Vec.
    assert_eq!(unsafe { splitcore_poll_log(Some(collect), ctx, 10) }, 1);
    assert_eq!(lines, ["hello from core 1 (boot 1)"]);
    let mut buf = [0 as c_char; 64];
    // SAFETY: arguments are NULL or point to live locals; `collect` is called with its Vec.
    assert_eq!(unsafe { splitcore_crash_report(buf.as_mut_ptr(), buf.len()) }, SPLITCORE_ERR_NO_CRASH);

    // Cooperative restart through the ABI; the second boot crashes after 20 beats and the
    // supervisor (policy restart-core1, limit 1) restarts it once.
    assert_eq!(splitcore_restart(), SPLITCORE_OK);
    lines.clear();
    let mut actions = Vec::new();
    let until = Instant::now() + Duration::from_secs(10);
    while actions.is_empty() {
        assert!(Instant::now() < until, "{actions:?} {lines:?}");
        let now = regs.lock().unwrap().now_us() as i64;
        // SAFETY: arguments are NULL or point to live locals; `collect` is called with its Vec.
        match unsafe { splitcore_supervise(now, Some(collect), ctx) } {
            SPLITCORE_SUPERVISE_IDLE => {}
            code => actions.push(code),
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(actions[0], SPLITCORE_SUPERVISE_RESTARTED);
    assert!(lines.iter().any(|l| l == "core 1 crashed"), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("Guru Meditation Error: Core  1 panic'ed (LoadProhibited)")));
    assert!(lines.iter().any(|l| l == "Backtrace: 0x40379000:0x3fc97f00 0x40379100:0x3fc97f20"), "{lines:?}");
    assert_eq!(splitcore_status(), SPLITCORE_CORE1_RUNNING, "the third boot runs");

    // Crash report into a buffer (the record of the crashed boot is kept).
    // SAFETY: arguments are NULL or point to live locals; `collect` is called with its Vec.
    let n = unsafe { splitcore_crash_report(buf.as_mut_ptr(), buf.len()) };
    assert_eq!(n, 63, "cut to the buffer, NUL-terminated");
    // SAFETY: arguments are NULL or point to live locals; `collect` is called with its Vec.
    let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
    assert!(text.starts_with("Guru Meditation Error: Core  1"));

    assert_eq!(splitcore_stop(0), SPLITCORE_STOP_COOPERATIVE);
    assert_eq!(splitcore_status(), SPLITCORE_CORE1_STOPPED);
    assert_eq!(splitcore_stop(0), SPLITCORE_STOP_NOT_RUNNING);
    assert!(!running.load(std::sync::atomic::Ordering::Acquire));
    splitcore_shutdown();
    sim.join();
    host::unbind();
    assert_eq!(splitcore_status(), SPLITCORE_ERR_NO_PLATFORM);
}
