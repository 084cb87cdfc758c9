//! The machinery on its own (the motor-position example's twin tests it end to end): virtual
//! time moves the plant exactly as far as core 0 grants, and a panicking program leaves a crash
//! record that core 0 decodes, after which core 1 can be started again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use splitcore_core0::Timing;
use splitcore_proto::control::Status;
use splitcore_proto::crash::Reason;
use splitcore_twin::*;

/// Counts the ticks it was advanced by.
struct Clocked(Arc<AtomicU64>);
impl Physics for Clocked {
    fn advance(&mut self, _: &splitcore_hal::sim::SimState, from: u64, to: u64) {
        assert!(to > from);
        self.0.fetch_add(to - from, Ordering::SeqCst);
    }
}

/// Beats every millisecond; panics 5 ms into its first boot.
struct PanicsOnFirstBoot;
impl Core1Program for PanicsOnFirstBoot {
    fn main(&mut self, env: &Core1Env<'_>) {
        let boot = env.boot_count();
        env.println(&format!("boot #{boot}"));
        for ms in 0.. {
            if env.stop_requested() {
                return;
            }
            env.heartbeat();
            env.clock().burn(TICKS_PER_SECOND / 1000);
            assert!(!(boot == 1 && ms == 5), "boom at {ms} ms");
        }
    }
}

#[test]
fn time_is_granted_by_core0_and_a_panic_is_a_crash_record() {
    let advanced = Arc::new(AtomicU64::new(0));
    let machine = Machine::<64>::new();
    let core1 = machine.spawn_core1("test", PanicsOnFirstBoot, Box::new(Clocked(advanced.clone()))).unwrap();
    let mut core = machine.core1_handle(Timing::default()).unwrap();
    assert!(machine.world.core0_wait_until(16_000));
    assert_eq!(machine.world.now(), 16_000, "never past the grant");
    assert_eq!(advanced.load(Ordering::SeqCst), 16_000, "the plant moved with the clock");

    core.start().unwrap();
    let started = machine.world.now();
    assert!(machine.world.core0_wait_until(started + 20 * 16_000));
    assert_eq!(core.status(), Some(Status::Crashed));
    let crash = core.crash().expect("a valid crash record");
    assert_eq!(crash.reason, Reason::Panic);
    assert!(crash.message().0.starts_with("boom at 5 ms"), "{:?}", crash.message());

    // Restarted, the second boot runs and stops when asked.
    core.restart().unwrap();
    let t = machine.world.now();
    assert!(machine.world.core0_wait_until(t + 10 * 16_000));
    assert_eq!(core.status(), Some(Status::Running));
    let beats = core.heartbeat();
    assert!(machine.world.core0_wait_until(t + 20 * 16_000));
    assert!(core.heartbeat() >= beats + 9, "beating every ms");
    assert_eq!(core.stop(), splitcore_core0::Stopped::Cooperative);
    let mut lines = Vec::new();
    let dropped = core.control().log_dropped.load(Ordering::Relaxed);
    core.log().unwrap().drain(dropped, 10, &mut |l| lines.push(l.to_string())).unwrap();
    assert_eq!(lines, ["boot #2"], "the log ring is re-initialised at each start");
    machine.world.shut_down();
    core1.join().unwrap();
}
