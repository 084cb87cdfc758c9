//! Handshake, timeouts, stop, supervision and log forwarding with core 1 played by a thread on
//! the same control block and log region (real time).

mod common;

use std::time::{Duration, Instant};

use common::{Behaviour, Sim, ENTRY};
use splitcore_core0::fake::RecordingRegs;
use splitcore_core0::{
    Action, Core1, Fault, LogRegion, Policy, StartError, Stopped, Supervisor, SupervisorConfig, Timing,
};
use splitcore_core0::{Regs, LOG, LOG_LAYOUT};
use splitcore_ipc::RegionMem;
use splitcore_proto::control::{Status, PROTOCOL_VERSION};
use splitcore_proto::crash::Reason;

const TIMING: Timing = Timing { handshake_timeout_us: 500_000, stop_timeout_us: 200_000, poll_us: 200 };

fn handle(sim: &Sim) -> Core1<'static, RecordingRegs> {
    let log = LogRegion { mem: RegionMem::from(sim.log), layout: &LOG_LAYOUT, channel: LOG };
    // SAFETY: the region is used only by this handle and the simulated core 1.
    unsafe { Core1::new(sim.regs(), sim.control, Some(log), ENTRY, TIMING) }
}

fn drain(core: &mut Core1<'static, RecordingRegs>) -> Vec<String> {
    let dropped = core.control().log_dropped.load(std::sync::atomic::Ordering::Relaxed);
    let mut lines = Vec::new();
    core.log().unwrap().drain(dropped, 1000, &mut |l| lines.push(l.to_string())).unwrap();
    lines
}

fn wait_for(mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < until, "condition not reached in 5 s");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn handshake_log_and_cooperative_stop() {
    let sim = Sim::new();
    let mut core = handle(&sim);
    assert_eq!(core.start(), Ok(()));
    assert_eq!(core.status(), Some(Status::Running));
    wait_for(|| core.heartbeat() > 3);
    assert_eq!(core.stack_high_water(), 1234);
    assert_eq!(drain(&mut core), ["hello from core 1 (boot 1)"]);
    assert_eq!(core.stop(), Stopped::Cooperative);
    assert_eq!(core.status(), Some(Status::Stopped));
    assert_eq!(drain(&mut core), ["stopping"]);
    sim.join();
    // Restart after a cooperative stop: a fresh boot, a fresh log ring.
    assert_eq!(core.start(), Ok(()));
    assert_eq!(drain(&mut core), ["hello from core 1 (boot 2)"]);
    core.stop();
    sim.join();
}

#[test]
fn a_core_that_never_reports_times_out_and_is_held() {
    let sim = Sim::new();
    sim.push(Behaviour::NeverAttach);
    let mut core = handle(&sim);
    core.set_timing(Timing { handshake_timeout_us: 30_000, ..TIMING });
    match core.start() {
        Err(StartError::Timeout { waited_us, status: Some(Status::Booting) }) => assert!(waited_us >= 30_000),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!core.regs().core1_can_run(), "held after the timeout");
    assert_eq!(core.status(), Some(Status::Off));
    sim.join();
    // Core-0 state is intact: the next start works.
    assert_eq!(core.start(), Ok(()));
    core.stop();
    sim.join();
}

#[test]
fn a_wrong_version_is_named_and_held() {
    let sim = Sim::new();
    sim.push(Behaviour::WrongVersion);
    let mut core = handle(&sim);
    assert_eq!(core.start(), Err(StartError::VersionMismatch { ours: PROTOCOL_VERSION, theirs: 2 << 16 }));
    assert!(!core.regs().core1_can_run());
    assert_eq!(core.status(), Some(Status::Incompatible));
    sim.join();
    assert_eq!(core.start(), Ok(()), "a compatible image starts afterwards");
    core.stop();
    sim.join();
}

#[test]
fn a_crash_at_boot_is_reported_with_its_record() {
    let sim = Sim::new();
    sim.push(Behaviour::CrashAtBoot);
    let mut core = handle(&sim);
    assert_eq!(core.start(), Err(StartError::Crashed));
    assert!(!core.regs().core1_can_run());
    let crash = core.crash().unwrap();
    assert_eq!(crash.reason, Reason::Panic);
    let text = crash.to_string();
    assert!(text.contains("panicked at src/main.rs:7: boot failed"), "{text}");
    assert!(text.ends_with("Backtrace: 0x40378123:0x3fc98000\n"), "{text}");
    sim.join();
}

#[test]
fn a_hung_core_is_force_stopped() {
    let sim = Sim::new();
    sim.push(Behaviour::Hang);
    let mut core = handle(&sim);
    core.start().unwrap();
    core.set_timing(Timing { stop_timeout_us: 20_000, ..TIMING });
    assert_eq!(core.stop(), Stopped::Forced { status: Some(Status::Running) });
    assert_eq!(core.status(), Some(Status::Off));
    assert!(!core.regs().core1_can_run());
    sim.join();
}

#[test]
fn supervisor_restarts_a_crashed_then_a_hung_core_and_gives_up_at_the_limit() {
    let sim = Sim::new();
    sim.push(Behaviour::CrashAfter(5));
    sim.push(Behaviour::Hang);
    sim.push(Behaviour::CrashAfter(20));
    let mut core = handle(&sim);
    let mut sup = Supervisor::new(
        SupervisorConfig {
            policy: Policy::RestartCore1,
            heartbeat_timeout_us: 50_000,
            max_restarts: 2,
            backoff_us: 5_000,
            backoff_max_us: 20_000,
            stable_us: 10_000_000,
        },
        0,
    );
    core.set_timing(Timing { stop_timeout_us: 20_000, ..TIMING });
    core.start().unwrap();
    let now = core.regs().now_us();
    sup.restarted(now, 0);
    let mut actions = Vec::new();
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < until, "actions so far: {actions:?}");
        let now = core.regs().now_us();
        let action = sup.poll(now, core.heartbeat(), core.status());
        match action {
            Action::None => {}
            Action::RestartCore1 { fault, .. } => {
                if fault == Fault::Crashed {
                    let crash = core.crash().unwrap();
                    assert_eq!(crash.title(), "LoadProhibited");
                }
                actions.push(action);
                core.restart().unwrap();
                let now = core.regs().now_us();
                sup.restarted(now, core.heartbeat());
            }
            Action::GiveUp(_) => {
                actions.push(action);
                core.stop();
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(matches!(actions[0], Action::RestartCore1 { fault: Fault::Crashed, attempt: 1 }), "{actions:?}");
    assert!(
        matches!(actions[1], Action::RestartCore1 { fault: Fault::Hung { .. }, attempt: 2 }),
        "{actions:?}"
    );
    assert_eq!(actions[2], Action::GiveUp(Fault::Crashed));
    assert!(!core.regs().core1_can_run());
    assert_eq!(
        *sim.boots.lock().unwrap(),
        [Behaviour::CrashAfter(5), Behaviour::Hang, Behaviour::CrashAfter(20)]
    );
    sim.join();
}

#[test]
fn dropped_log_lines_are_reported() {
    let sim = Sim::new();
    sim.push(Behaviour::Flood(2000));
    let mut core = handle(&sim);
    core.start().unwrap();
    wait_for(|| core.heartbeat() > 0);
    let lines = drain(&mut core);
    let dropped = core.control().log_dropped.load(std::sync::atomic::Ordering::Relaxed);
    assert!(dropped > 0, "a 4 KiB ring cannot hold 2000 lines");
    assert_eq!(lines[0], "hello from core 1 (boot 1)");
    assert_eq!(lines.last().unwrap(), &format!("[{dropped} lines dropped]"));
    assert_eq!(lines.len() as u32 - 1 + dropped, 2001, "every line is either forwarded or counted");
    // No change, no notice.
    assert!(drain(&mut core).is_empty());
    core.stop();
    sim.join();
}
