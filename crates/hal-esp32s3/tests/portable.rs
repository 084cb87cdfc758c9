//! The same generic control step runs on the ESP32-S3 drivers (here on RAM register files)
//! as on any other splitcore-hal backend: this is the portability contract of issue 8, item 4.

use splitcore_hal::{AdcSample, OutputPin, PwmDuty, QuadratureCounter, SetDutyCycle, TimeSource};
use splitcore_hal_esp32s3::adc::{AdcConfig, Attenuation};
use splitcore_hal_esp32s3::mcpwm::PwmConfig;
use splitcore_hal_esp32s3::pcnt::QuadratureConfig;
use splitcore_hal_esp32s3::ram::{peek, poke, RamBlocks};
use splitcore_hal_esp32s3::systimer::CounterUnit;
use splitcore_hal_esp32s3::{Chip, PsramMode};

/// One step of a speed loop, written only against the traits.
fn speed_step<E, P, A, L, T>(
    enc: &mut E,
    pwm: &mut P,
    adc: &mut A,
    led: &mut L,
    time: &T,
    last: &mut i32,
) -> (u32, i32)
where
    E: QuadratureCounter,
    P: PwmDuty,
    A: AdcSample,
    L: OutputPin,
    T: TimeSource,
{
    let now = time.now();
    let speed = enc.delta_since(last);
    if adc.read_millivolts().map_or(true, |mv| mv > 2_500) {
        let _ = pwm.set_duty_cycle_fully_off();
        let _ = led.set_high();
    } else {
        let _ = pwm.set_duty_fraction(0.5 + 0.001 * speed as f32);
    }
    (now, speed)
}

#[test]
fn generic_control_code_drives_the_s3_registers() {
    let ram = RamBlocks::new();
    // SAFETY: private RAM register files.
    let chip = unsafe { Chip::new(ram.blocks(), PsramMode::Octal) };
    let mut enc = chip.quadrature(1, 8, 9, QuadratureConfig { filter_ns: 250 }).unwrap();
    let mut pwm =
        chip.complementary_pwm(0, 0, 4, 5, PwmConfig { frequency_hz: 20_000, dead_time_ns: 300 }).unwrap();
    let mut adc = chip.adc1(1, AdcConfig::new(Attenuation::Db12)).unwrap();
    let mut led = chip.output(48, false).unwrap();
    let time = chip.systimer(CounterUnit::Unit0).unwrap();

    // Hardware state: 100 counts since start, 1000 mV on the ADC, SYSTIMER at 12345.
    poke(ram.pcnt().u_cnt(1), 100);
    let ctrl2 = ram.sens().sar_meas1_ctrl2();
    poke(ctrl2, ctrl2.read().bits() | 1 << 16 | 1321); // 1321 * 3100 / 4095 = 1000 mV
    poke(ram.systimer().unit_op(0), 1 << 29);
    poke(ram.systimer().unit_value(0).lo(), 12_345);

    let mut last = 0;
    assert_eq!(speed_step(&mut enc, &mut pwm, &mut adc, &mut led, &time, &mut last), (12_345, 100));
    // Duty 0.6 of P = 2000 -> compare A = 1200, no force.
    assert_eq!(ram.mcpwm(0).ch(0).cmpr_value0().read().bits(), 1200);
    assert_eq!(ram.mcpwm(0).ch(0).gen_force().read().bits(), 1);
    assert_eq!(peek(ram.gpio().out1_w1ts()), 0, "LED not switched on");

    // Over-current: 3000 mV -> PWM off (forced low), LED on (GPIO48 = OUT1 bit 16).
    poke(ctrl2, ctrl2.read().bits() & !0xffff | 3963);
    speed_step(&mut enc, &mut pwm, &mut adc, &mut led, &time, &mut last);
    assert_eq!(pwm.max_duty_cycle(), 2000);
    assert_eq!(ram.mcpwm(0).ch(0).cmpr_value0().read().bits(), 0);
    assert_eq!(ram.mcpwm(0).ch(0).gen_force().read().bits(), 1 | 1 << 6);
    assert_eq!(peek(ram.gpio().out1_w1ts()), 1 << 16);
}
