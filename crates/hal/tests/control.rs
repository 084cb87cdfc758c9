//! A small control function, generic over the traits, run in the host twin: a speed loop at
//! 1 kHz against a simulated DC motor stepped at 20 kHz, both tasks of one splitcore-exec
//! executive on a virtual clock.

use core::cell::{Cell, RefCell};

use splitcore_exec::{every, Executive, Hz, TimeSource, VirtualClock};
use splitcore_hal::sim::SimState;
use splitcore_hal::*;

/// The control code: exactly what would run on core 1, generic over the hardware.
struct SpeedLoop<E, P, A, I, O> {
    encoder: E,
    pwm: P,
    current: A,
    enable: I,
    fault_led: O,
    last_count: i32,
    integral: f32,
    /// Target speed in counts per control period.
    target: i32,
    tripped: bool,
}

/// Above this the loop trips: PWM off, fault LED on, until reset.
const OVER_CURRENT_MV: u16 = 2_500;

impl<E, P, A, I, O> SpeedLoop<E, P, A, I, O>
where
    E: QuadratureCounter,
    P: PwmDuty,
    A: AdcSample,
    I: InputPin,
    O: OutputPin,
{
    fn new(mut encoder: E, pwm: P, current: A, enable: I, fault_led: O, target: i32) -> Self {
        let last_count = encoder.count();
        SpeedLoop {
            encoder,
            pwm,
            current,
            enable,
            fault_led,
            last_count,
            integral: 0.0,
            target,
            tripped: false,
        }
    }

    /// One control period.
    fn step(&mut self) {
        let speed = self.encoder.delta_since(&mut self.last_count);
        let over_current = self.current.read_millivolts().map_or(true, |mv| mv > OVER_CURRENT_MV);
        if over_current || self.tripped {
            self.tripped = true;
            let _ = self.pwm.set_duty_cycle_fully_off();
            let _ = self.fault_led.set_high();
            return;
        }
        if !self.enable.is_high().unwrap_or(false) {
            self.integral = 0.0;
            let _ = self.pwm.set_duty_cycle_fully_off();
            return;
        }
        let error = (self.target - speed) as f32;
        self.integral = (self.integral + 0.002 * error).clamp(0.0, 1.0);
        let _ = self.pwm.set_duty_fraction(0.005 * error + self.integral);
    }
}

/// A first-order DC motor: full duty spins it at 200 counts/ms, time constant 20 ms; the
/// current sense reads 2 V per unit of (duty - speed/full speed) plus 0.3 V.
struct Motor {
    speed: f32, // counts per second
    position: f32,
}

const FULL_SPEED: f32 = 200_000.0;
const PLANT_HZ: u32 = 20_000;

impl Motor {
    fn step(&mut self, sim: &SimState) {
        let dt = 1.0 / PLANT_HZ as f32;
        let duty = sim.duty_fraction(0);
        self.speed += (duty * FULL_SPEED - self.speed) * dt / 0.020;
        let before = self.position as i32;
        self.position += self.speed * dt;
        if self.position > 1.0e6 {
            self.position -= 1.0e6; // keep f32 precise; the counter wraps on its own
        }
        let moved = (self.position as i32).wrapping_sub(before);
        let moved = if moved < -500_000 { moved + 1_000_000 } else { moved };
        sim.add_encoder(0, moved);
        let load = (duty - self.speed / FULL_SPEED).max(0.0);
        let mv = 300.0 + 2_000.0 * load;
        sim.set_adc_raw(0, (mv * 4095.0 / 3300.0) as u16);
    }
}

const CAL: LinearAdcCalibration = LinearAdcCalibration { max_raw: 4095, full_scale_mv: 3300, offset_mv: 0 };

/// Runs the twin for `seconds`, calling `script(t_ms, sim)` once per millisecond before the
/// control step; returns the speed at the end (counts per ms) and the control task's stats.
fn run_twin(seconds: u32, script: impl Fn(u32, &SimState)) -> (f32, splitcore_exec::TaskStats, SimState) {
    let sim = SimState::new();
    sim.set_input(5, true); // enable
    sim.set_encoder(0, i32::MAX - 50_000); // the counter wraps during the run
    let clock = VirtualClock::new(16_000_000, u32::MAX - 100_000);
    let control = RefCell::new(SpeedLoop::new(
        sim.encoder(0),
        sim.pwm(0, 1023),
        sim.adc(0, CAL),
        sim.input_pin(5),
        sim.output_pin(2),
        100, // counts per ms = 100_000 counts/s
    ));
    let motor = RefCell::new(Motor { speed: 0.0, position: 0.0 });
    let ms = Cell::new(0u32);
    let stats;
    {
        let mut exec = Executive::new(
            &clock,
            (
                every(Hz(PLANT_HZ), || motor.borrow_mut().step(&sim)),
                every(Hz(1_000), || {
                    script(ms.get(), &sim);
                    control.borrow_mut().step();
                    clock.advance(40); // 2.5 us of control work
                    ms.set(ms.get() + 1);
                }),
            ),
        )
        .unwrap();
        exec.run_polling(|| ms.get() == seconds * 1_000);
        stats = *exec.stats(1);
        assert_eq!(clock.ticks_per_second(), 16_000_000);
    }
    let speed = motor.borrow().speed / 1_000.0;
    (speed, stats, sim)
}

#[test]
fn the_speed_loop_reaches_its_target_in_the_twin() {
    let (speed, stats, sim) = run_twin(1, |_, _| {});
    assert!((speed - 100.0).abs() < 2.0, "speed {speed} counts/ms");
    assert!(!sim.output(2), "fault LED must stay off");
    let duty = sim.duty_fraction(0);
    assert!((0.45..0.55).contains(&duty), "duty {duty}");
    assert_eq!((stats.releases, stats.overruns, stats.missed_releases), (1_000, 0, 0));
    assert_eq!(stats.exec_max, 40);
    assert_eq!(sim.adc_reads(0), 1_000);
}

#[test]
fn over_current_trips_the_loop() {
    // At 500 ms the current sense jumps to 3 V (raw 3723): the loop must switch off.
    let (speed, _, sim) = run_twin(1, |t, sim| {
        if t >= 500 {
            sim.set_adc_raw(0, 3_723);
        }
    });
    assert!(sim.output(2), "fault LED on");
    assert_eq!(sim.duty(0), 0);
    assert!(speed < 5.0, "the motor coasts down: {speed}");
}

#[test]
fn an_adc_fault_trips_the_loop_and_disable_stops_it() {
    let (_, _, sim) = run_twin(1, |t, sim| sim.set_adc_fault(0, t == 300));
    assert!(sim.output(2));
    assert_eq!(sim.duty(0), 0);

    let (speed, _, sim) = run_twin(1, |t, sim| sim.set_input(5, t < 200));
    assert!(!sim.output(2));
    assert_eq!(sim.duty(0), 0);
    assert!(speed < 5.0, "{speed}");
}

#[test]
fn sim_backends_implement_the_traits() {
    let sim = SimState::new();
    let mut out = sim.output_pin(7);
    assert!(out.is_set_low().unwrap());
    out.toggle().unwrap();
    out.toggle().unwrap();
    out.set_high().unwrap();
    assert!(out.is_set_high().unwrap() && sim.output(7));
    assert_eq!(sim.edges(7), 3);

    let mut input = sim.input_pin(8);
    assert!(input.is_low().unwrap());
    sim.set_input(8, true);
    assert!(input.is_high().unwrap());

    let mut pwm = sim.pwm(1, 255);
    pwm.set_duty_cycle_percent(50).unwrap();
    assert_eq!(sim.duty(1), 127);
    pwm.set_duty_fraction(0.5).unwrap();
    assert_eq!(sim.duty(1), 128);
    pwm.set_duty_ticks(1_000).unwrap();
    assert_eq!(sim.duty(1), 255);
    pwm.set_duty_cycle_fully_off().unwrap();
    assert_eq!(sim.duty_fraction(1), 0.0);

    let mut enc = sim.encoder(2);
    sim.set_encoder(2, i32::MAX);
    let mut last = enc.count();
    sim.add_encoder(2, 10);
    assert_eq!(enc.count(), i32::MIN + 9);
    assert_eq!(enc.delta_since(&mut last), 10);
    sim.add_encoder(2, -25);
    assert_eq!(enc.delta_since(&mut last), -25);

    let mut adc = sim.adc(3, CAL);
    sim.set_adc_raw(3, 2_048);
    assert_eq!(adc.read_raw(), Ok(2_048));
    assert_eq!(adc.read_millivolts(), Ok(1_650));
    sim.set_adc_raw(3, 60_000); // clamped to the converter's range
    assert_eq!(adc.read_millivolts(), Ok(3_300));
    sim.set_adc_fault(3, true);
    let err = adc.read_raw().unwrap_err();
    assert_eq!(err.to_string(), "simulated ADC channel 3 conversion failed");
    assert_eq!(sim.adc_reads(3), 4);
}

#[test]
fn control_code_can_be_shared_across_threads() {
    // The simulator may run on another thread (e.g. a plant model in real time).
    let sim = SimState::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..1_000 {
                sim.add_encoder(0, 1);
            }
            sim.set_input(1, true);
        });
    });
    let mut enc = sim.encoder(0);
    assert_eq!(enc.count(), 1_000);
    assert!(sim.input_pin(1).is_high().unwrap());
}
