//! Exact register sequences (order and values) against the recording fake. Core 1 is
//! simulated synchronously: the fake's release hook performs the runtime's handshake.

use splitcore_core0::core1::{clear_core0_doorbell, core1_is_held, hold_core1, ring_core1, shutdown_core1};
use splitcore_core0::fake::{Op, RecordingRegs};
use splitcore_core0::regs::*;
use splitcore_core0::{Core1, StartError, Stopped, Timing};
use splitcore_proto::control::{ControlBlock, Status, PROTOCOL_VERSION};

use Op::*;

const ENTRY: u32 = 0x4037_8000;
const C0: u32 = CORE_1_CONTROL_0;
const C1: u32 = CORE_1_CONTROL_1;

fn block() -> &'static ControlBlock {
    Box::leak(Box::new(ControlBlock::new()))
}

/// A fake whose release hook attaches with `version` (the runtime's handshake).
fn attaching(control: &'static ControlBlock, version: u32) -> RecordingRegs {
    RecordingRegs::unicore_boot_state().on_release(move || {
        let _ = control.attach(version);
    })
}

fn handle(regs: RecordingRegs, control: &'static ControlBlock) -> Core1<'static, RecordingRegs> {
    // SAFETY: no log region.
    unsafe { Core1::new(regs, control, None, ENTRY, Timing::default()) }
}

/// The start sequence from the UNICORE resting state (CONTROL_0 = RUNSTALL only).
fn start_sequence() -> Vec<Op> {
    vec![
        // core1_is_held: RUNSTALL set (UNICORE boot: cpu_start.c L735-746) -> held.
        Read(C0, RUNSTALL),
        // 1. esp_cpu_unstall(1) (cpu_start.c L329); RUNSTALL still holds core 1.
        CpuUnstall(1),
        // 2. cpu_utility_ll.h L87-95 step 1: set CLKGATE_EN.
        Read(C0, RUNSTALL),
        Write(C0, RUNSTALL | CLKGATE_EN),
        // 3. The LL's RESETING pulse starts before RUNSTALL is released (UNICORE leaves core 1
        // out of reset, FACTS §1 cpu_start.c L735-746; see core1.rs docs).
        Read(C0, RUNSTALL | CLKGATE_EN),
        Write(C0, RUNSTALL | CLKGATE_EN | RESETING),
        // 4. LL step 2: clear RUNSTALL (core 1 is in reset).
        Read(C0, RUNSTALL | CLKGATE_EN | RESETING),
        Write(C0, CLKGATE_EN | RESETING),
        // 5. ets_set_appcpu_boot_addr (cpu_start.c L338; ROM 0x40000720, FACTS §3) before the
        // reset is released, as esp-hal does (FACTS §10 cpu_control.rs L80-97).
        SetBootAddr(ENTRY),
        // 6. End of the reset pulse: the only release of core 1.
        Read(C0, CLKGATE_EN | RESETING),
        Write(C0, CLKGATE_EN),
    ]
}

/// Holding a running core (CONTROL_0 = CLKGATE_EN).
fn hold_sequence() -> Vec<Op> {
    vec![
        // RUNSTALL first (read-modify-write).
        Read(C0, CLKGATE_EN),
        Write(C0, CLKGATE_EN | RUNSTALL),
        // Reset pulse while stalled.
        Write(C0, CLKGATE_EN | RUNSTALL | RESETING),
        // UNICORE resting state: CLKGATE_EN clear, RUNSTALL set, RESETING clear
        // (cpu_start.c L735-746).
        Write(C0, RUNSTALL),
        // "Clear entry point for APP CPU" (system_internal.c L146-149).
        Write(C1, 0),
    ]
}

#[test]
fn start_follows_the_documented_sequence_and_handshakes() {
    let control = block();
    let mut core = handle(attaching(control, PROTOCOL_VERSION), control);
    assert_eq!(core.start(), Ok(()));
    assert_eq!(core.regs().take_log(), start_sequence());
    assert_eq!(core.status(), Some(Status::Running));
    assert_eq!(control.boot_count.load(std::sync::atomic::Ordering::Relaxed), 1, "released exactly once");
    assert_eq!(core.regs().get(C1), ENTRY, "ROM boot address (CONTROL_1)");
    assert_eq!(control.core0_version.load(std::sync::atomic::Ordering::Relaxed), PROTOCOL_VERSION);
}

#[test]
fn forced_stop_rings_waits_then_holds() {
    let control = block();
    let mut core = handle(attaching(control, PROTOCOL_VERSION), control);
    core.start().unwrap();
    core.regs().take_log();
    // Simulated time: the fake's delay advances the clock; core 1 never acknowledges.
    assert_eq!(core.stop(), Stopped::Forced { status: Some(Status::Running) });
    let mut expected = vec![
        // Doorbell to core 1: FROM_CPU_INTR2 = 1 (system_reg.h L681-705; level type,
        // crosscore_int_ll.h L17-38).
        Write(0x600C_0038, 1),
    ];
    expected.extend(hold_sequence());
    assert_eq!(core.regs().take_log(), expected);
    assert_eq!(core.status(), Some(Status::Off), "a forced stop resets the status");
    assert_eq!(control.stop_request.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[test]
fn stop_of_a_stopped_core_only_holds_it() {
    let control = block();
    let mut core = handle(attaching(control, PROTOCOL_VERSION), control);
    core.start().unwrap();
    control.transition(Status::Stopping).unwrap();
    control.transition(Status::Stopped).unwrap();
    core.regs().take_log();
    assert_eq!(core.stop(), Stopped::NotRunning { status: Some(Status::Stopped) });
    assert_eq!(core.regs().take_log(), hold_sequence());
}

#[test]
fn restart_is_stop_then_start() {
    let control = block();
    let mut core = handle(attaching(control, PROTOCOL_VERSION), control);
    core.start().unwrap();
    core.regs().take_log();
    assert_eq!(core.restart(), Ok(Stopped::Forced { status: Some(Status::Running) }));
    let mut expected = vec![Write(0x600C_0038, 1)];
    expected.extend(hold_sequence());
    expected.extend(start_sequence());
    assert_eq!(core.regs().take_log(), expected);
    // One release (one boot) per start.
    assert_eq!(control.boot_count.load(std::sync::atomic::Ordering::Relaxed), 2);
}

#[test]
fn start_refuses_a_running_core_and_touches_nothing() {
    let control = block();
    let mut core = handle(attaching(control, PROTOCOL_VERSION), control);
    core.start().unwrap();
    core.regs().take_log();
    assert_eq!(core.start(), Err(StartError::AlreadyRunning { status: Some(Status::Running) }));
    // is_running logic (FACTS §10): CONTROL_0, then the RTC stall pattern {C1, C0} (rtc_cntl_reg.h
    // SW_CPU_STALL_REG = base + 0xBC bits [25:20], OPTIONS0 bits [1:0]).
    assert_eq!(
        core.regs().take_log(),
        vec![Read(C0, CLKGATE_EN), Read(RTC_CNTL_SW_CPU_STALL, 0), Read(RTC_CNTL_OPTIONS0, 0)]
    );
}

#[test]
fn an_rtc_stalled_core_counts_as_held() {
    let mut regs = RecordingRegs::unicore_boot_state();
    regs.mem.insert(C0, CLKGATE_EN);
    assert!(!core1_is_held(&mut regs));
    // esp_cpu_stall(1): C1 = 0x21 << 20, C0 = 2 (cpu_utility_ll.h L31-50) -> 0x86.
    regs.cpu_stall(1);
    assert_eq!(regs.get(RTC_CNTL_SW_CPU_STALL), 0x21 << 20);
    assert_eq!(regs.get(RTC_CNTL_OPTIONS0), 2);
    regs.take_log();
    assert!(core1_is_held(&mut regs));
    assert_eq!(
        regs.take_log(),
        vec![Read(C0, CLKGATE_EN), Read(RTC_CNTL_SW_CPU_STALL, 0x21 << 20), Read(RTC_CNTL_OPTIONS0, 2)]
    );
    // RESETING alone also holds it; CLKGATE_EN is ignored (S3 clock-gating bug, FACTS §1).
    regs.mem.insert(C0, RESETING);
    regs.cpu_unstall(1);
    assert!(core1_is_held(&mut regs));
    regs.mem.insert(C0, 0);
    assert!(!core1_is_held(&mut regs), "CLKGATE_EN = 0 does not stop an S3 core 1");
}

#[test]
fn version_mismatch_is_reported_and_core1_held() {
    let control = block();
    let mut core = handle(attaching(control, 2 << 16), control);
    assert_eq!(core.start(), Err(StartError::VersionMismatch { ours: PROTOCOL_VERSION, theirs: 2 << 16 }));
    let mut expected = start_sequence();
    expected.extend(hold_sequence());
    assert_eq!(core.regs().take_log(), expected);
    assert_eq!(core.status(), Some(Status::Incompatible));
}

#[test]
fn a_silent_core_times_out_with_the_waited_time_and_is_held() {
    let control = block();
    let mut core = handle(RecordingRegs::unicore_boot_state(), control);
    core.set_timing(Timing { handshake_timeout_us: 5_000, stop_timeout_us: 1_000, poll_us: 1_000 });
    assert_eq!(core.start(), Err(StartError::Timeout { waited_us: 5_000, status: Some(Status::Booting) }));
    let mut expected = start_sequence();
    expected.extend(hold_sequence());
    assert_eq!(core.regs().take_log(), expected);
    assert_eq!(core.status(), Some(Status::Off));
    // And it can be started again from there (same sequence).
    let mut core = handle(attaching(control, PROTOCOL_VERSION), control);
    let regs = core.regs();
    regs.mem.insert(C0, RUNSTALL);
    assert_eq!(core.start(), Ok(()));
    assert_eq!(core.regs().take_log(), start_sequence());
}

#[test]
fn shutdown_stalls_and_clears_the_boot_address() {
    let mut regs = RecordingRegs::unicore_boot_state();
    regs.mem.insert(C0, CLKGATE_EN);
    regs.mem.insert(C1, ENTRY);
    shutdown_core1(&mut regs);
    // FACTS §4 mitigation: RUNSTALL (read-modify-write) and SYSTEM_CORE_1_CONTROL_1_REG = 0.
    assert_eq!(regs.take_log(), vec![Read(C0, CLKGATE_EN), Write(C0, CLKGATE_EN | RUNSTALL), Write(C1, 0)]);
    assert!(!regs.core1_can_run());
}

#[test]
fn hold_from_any_state_ends_in_the_unicore_resting_state() {
    let mut regs = RecordingRegs::unicore_boot_state();
    regs.mem.insert(C0, CLKGATE_EN | RESETING);
    hold_core1(&mut regs);
    assert_eq!(regs.get(C0), RUNSTALL);
    assert_eq!(regs.get(C1), 0);
}

#[test]
fn doorbells_raise_and_clear_the_from_cpu_registers() {
    let mut regs = RecordingRegs::unicore_boot_state();
    ring_core1(&mut regs);
    clear_core0_doorbell(&mut regs);
    // SYSTEM_CPU_INTR_FROM_CPU_n_REG = 0x600C0030 + 4n (system_reg.h L681-705): core 0 raises
    // line 2 (write 1) for core 1; its handler clears line 3 (write 0) (crosscore_int_ll.h
    // L17-38; FACTS §6).
    assert_eq!(regs.take_log(), vec![Write(0x600C_0038, 1), Write(0x600C_003C, 0)]);
}
