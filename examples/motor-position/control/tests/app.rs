//! The core-1 application over a real region: setpoints in, telemetry out (dropped, never
//! blocking, when full), statistics published, bad commands refused, a corrupt ring survived.

use motor_position_control::protocol::*;
use motor_position_control::*;
use splitcore_exec::{Period, TaskStats};
use splitcore_hal::sim::{SimAdc, SimEncoder, SimOutputPin, SimPwm, SimState};
use splitcore_hal::LinearAdcCalibration;
use splitcore_ipc::{Error, Region, RegionBuf};

const CAL: LinearAdcCalibration = LinearAdcCalibration { max_raw: 4095, full_scale_mv: 3300, offset_mv: 0 };

type SimApp<'a> = App<'a, SimEncoder<'a>, SimAdc<'a>, SimPwm<'a>, SimOutputPin<'a>, SimOutputPin<'a>>;

fn app<'a>(sim: &'a SimState, region: &Region<'a>) -> SimApp<'a> {
    sim.set_adc_raw(0, 2048);
    let bridge = SignMagnitudeBridge::new(sim.pwm(0, 4000), sim.output_pin(1), sim.output_pin(2));
    let ctl = Controller::new(ControllerConfig::EXAMPLE, sim.encoder(0), sim.adc(0, CAL), bridge).unwrap();
    App::new(ctl, Ports::claim(region).unwrap())
}

/// Core 0's side (initialised) and core 1's side (attached) of one region.
fn regions(shared: &RegionBuf<{ LAYOUT.size() }>) -> (Region<'_>, Region<'_>) {
    (Region::init(shared, &LAYOUT).unwrap(), Region::attach(shared, &LAYOUT).unwrap())
}

#[test]
fn a_full_telemetry_ring_drops_and_counts_without_blocking() {
    let sim = SimState::new();
    let shared = RegionBuf::<{ LAYOUT.size() }>::new_boxed();
    let (core0, core1) = regions(&shared);
    let mut app = app(&sim, &core1);
    let mut rx = core0.frame_consumer(TELEMETRY).unwrap();
    let events = core0.event_receiver(EVENTS).unwrap();
    // 200 samples into a ring of 4096 bytes (44 per frame: 93 fit).
    for p in 0..200 * TELEMETRY_DECIMATION {
        app.step(p * 50);
    }
    let c = *app.counters();
    assert_eq!(c.periods, 200 * TELEMETRY_DECIMATION);
    assert_eq!(c.telemetry_sent, 93);
    assert_eq!(c.telemetry_dropped, 107);
    assert_eq!(events.take(), EVENT_TELEMETRY);
    let mut seqs = Vec::new();
    while let Some(frame) = rx.read().unwrap() {
        let s: TelemetrySample = bytemuck::pod_read_unaligned(&frame);
        seqs.push(s.seq);
        frame.release();
    }
    assert_eq!(seqs, (0..93).collect::<Vec<_>>());
    // After draining, the next sample carries the gap in its sequence number.
    for p in 0..TELEMETRY_DECIMATION {
        app.step(p);
    }
    let frame = rx.read().unwrap().unwrap();
    let s: TelemetrySample = bytemuck::pod_read_unaligned(&frame);
    assert_eq!(s.seq, 200);
}

#[test]
fn commands_are_checked_and_notices_explain_them() {
    let sim = SimState::new();
    let shared = RegionBuf::<{ LAYOUT.size() }>::new_boxed();
    let (core0, core1) = regions(&shared);
    let mut app = app(&sim, &core1);
    let mut tx = core0.mailbox_writer(SETPOINT).unwrap();
    for p in 0..CALIBRATION_PERIODS {
        app.step(p * 50);
    }
    assert_eq!(app.take_notice(), None, "nothing written yet: stays disabled");
    assert!(!sim.output(2));

    tx.write(&Setpoint::position(1, 1.0, 20.0));
    app.step(50);
    let notice = app.take_notice().unwrap();
    assert_eq!(notice.to_string(), "setpoint #1: position 1.000 rad, speed limit 20.0 rad/s");
    assert!(!sim.output(2), "the first driven period only sets the direction");
    app.step(75);
    assert!(sim.output(2), "bridge enabled");

    tx.write(&Setpoint::position(2, f32::INFINITY, 20.0));
    app.step(100);
    assert_eq!(app.take_notice().unwrap().to_string(), "setpoint #2 rejected: position inf rad out of range");
    assert_eq!(app.command().seq, 1, "the previous command stays in force");
    app.step(150);
    assert_eq!(app.take_notice(), None, "a refused command is reported once");

    tx.write(&Setpoint { mode: 9, ..Setpoint::disabled(3) });
    app.step(200);
    assert_eq!(app.take_notice().unwrap().to_string(), "setpoint #3 rejected: unknown mode 9");
    tx.write(&Setpoint::disabled(4));
    app.step(250);
    assert_eq!(app.take_notice().unwrap().to_string(), "setpoint #4: bridge disabled");
    assert!(!sim.output(2));
    let c = app.counters();
    assert_eq!((c.setpoints_accepted, c.setpoints_rejected), (2, 2));
}

#[test]
fn an_adc_fault_is_reported_and_a_new_command_clears_it() {
    let sim = SimState::new();
    let shared = RegionBuf::<{ LAYOUT.size() }>::new_boxed();
    let (core0, core1) = regions(&shared);
    let mut app = app(&sim, &core1);
    let mut tx = core0.mailbox_writer(SETPOINT).unwrap();
    tx.write(&Setpoint::position(1, 1.0, 20.0));
    for p in 0..CALIBRATION_PERIODS - 1 {
        app.step(p * 50);
        assert!(!sim.output(2), "bridge off while the offset is measured");
    }
    app.step(0); // the last measurement, then the first driven period (direction set)
    app.step(25);
    assert!(sim.output(2));
    let _ = app.take_notice();
    sim.set_adc_fault(0, true);
    app.step(50);
    sim.set_adc_fault(0, false);
    assert_eq!(app.take_notice(), Some(Notice::AdcFault));
    app.step(100);
    assert!(!sim.output(2), "latched off");
    assert_ne!(app.last_output().flags & TelemetrySample::FLAG_ADC_FAULT, 0);
    tx.write(&Setpoint::position(2, 1.0, 20.0));
    app.step(150);
    app.step(200); // one coasting period sets the direction again
    assert!(sim.output(2), "a new command re-arms the bridge");
}

#[test]
fn a_corrupt_telemetry_ring_stops_telemetry_but_not_control() {
    let sim = SimState::new();
    let shared = RegionBuf::<{ LAYOUT.size() }>::new_boxed();
    let (core0, core1) = regions(&shared);
    let mut app = app(&sim, &core1);
    let mut tx = core0.mailbox_writer(SETPOINT).unwrap();
    tx.write(&Setpoint::position(1, 1.0, 20.0));
    app.step(0);
    let _ = app.take_notice();
    // The consumer's index (tail, one index pad after head) jumps far ahead of the head.
    let tail_offset = TELEMETRY.spec().offset as usize + splitcore_ipc::INDEX_PAD as usize;
    // SAFETY: the tail word of the telemetry channel inside the boxed region; only accessed
    // atomically by the endpoints, and this test is single-threaded.
    unsafe { shared.as_ptr().add(tail_offset).cast::<u32>().write(0x1000_0000) };
    // The producer trusts its cached view of the tail until the ring looks full; then it
    // reloads the index and finds it out of range.
    for p in 1..=120 * TELEMETRY_DECIMATION {
        app.step(p * 50);
    }
    match app.take_notice() {
        Some(Notice::TelemetryBroken(Error::PeerCorrupt { field, .. })) => {
            assert_eq!(field.to_string(), "tail")
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(sim.output(2), "control goes on");
    let sent = app.counters().telemetry_sent;
    for p in 0..10 * TELEMETRY_DECIMATION {
        app.step(p);
    }
    assert_eq!(app.counters().telemetry_sent, sent, "no more pushes into a corrupt ring");
}

#[test]
fn statistics_are_published_for_core_0() {
    let sim = SimState::new();
    let shared = RegionBuf::<{ LAYOUT.size() }>::new_boxed();
    let (core0, core1) = regions(&shared);
    let mut app = app(&sim, &core1);
    let rx = core0.mailbox_reader(LOOP_STATS).unwrap();
    assert_eq!(rx.read().unwrap(), None);
    let stats = TaskStats::new(&Period::from_hz_at(CONTROL_HZ, 16_000_000).unwrap());
    app.publish_stats(&stats);
    assert_eq!(rx.read().unwrap(), Some(stats));
}
