//! Functions whose machine code `cargo xtask asm-report` lists (see `reports/machine-code.md`).
//! Each is `#[no_mangle]` so the report can find it by a stable name. The crate also links the
//! core-1 runtime (its panic handler, trampoline and vectors), so the report and the layout
//! check (`cargo xtask test`) see the runtime's machine code as built for the ESP32-S3.
#![no_std]
// The probes take Rust types by reference: they are never called from C, only disassembled.
#![allow(improper_ctypes_definitions)]

use core::sync::atomic::{AtomicU32, Ordering};

use splitcore_ipc::{FrameProducer, MailboxReader, MailboxWriter, RingConsumer, RingProducer};

// Link the runtime (panic handler, trampoline, vectors); build the executive, the portable HAL
// traits and their ESP32-S3 register backend for the ESP32-S3 too.
use splitcore_exec as _;
use splitcore_hal as _;
use splitcore_rt as _;

/// `AtomicU32::load(Acquire)`: `l32i` + `memw` on Xtensa.
#[no_mangle]
pub extern "C" fn probe_load_acquire(word: &AtomicU32) -> u32 {
    word.load(Ordering::Acquire)
}

/// `AtomicU32::store(Release)`: `memw` + `s32i`.
#[no_mangle]
pub extern "C" fn probe_store_release(word: &AtomicU32, value: u32) {
    word.store(value, Ordering::Release)
}

/// `AtomicU32::fetch_add(AcqRel)`: an S32C1I compare-and-swap loop.
#[no_mangle]
pub extern "C" fn probe_fetch_add(word: &AtomicU32, value: u32) -> u32 {
    word.fetch_add(value, Ordering::AcqRel)
}

/// u64 division: a call into compiler_builtins.
#[no_mangle]
pub extern "C" fn probe_u64_div(a: u64, b: u64) -> u64 {
    a.checked_div(b).unwrap_or(u64::MAX)
}

/// `a * b + c` in f32 with the hardware FPU.
#[no_mangle]
pub extern "C" fn probe_f32_muladd(a: f32, b: f32, c: f32) -> f32 {
    a * b + c
}

/// Typed ring push of a `u32` (fast path: a free slot according to the cached index).
#[no_mangle]
pub extern "C" fn probe_ring_push(producer: &mut RingProducer<'static, u32>, value: u32) -> bool {
    producer.push(value).is_ok()
}

/// Typed ring pop of a `u32`.
#[no_mangle]
pub extern "C" fn probe_ring_pop(consumer: &mut RingConsumer<'static, u32>, out: &mut u32) -> bool {
    match consumer.pop() {
        Ok(Some(value)) => {
            *out = value;
            true
        }
        _ => false,
    }
}

/// Frame ring: grant `len` bytes, write the first byte, commit.
#[no_mangle]
pub extern "C" fn probe_frame_grant_commit(producer: &mut FrameProducer<'static>, len: usize) -> bool {
    match producer.grant(len) {
        Ok(mut grant) => {
            if let Some(first) = grant.first_mut() {
                *first = 0x5a;
            }
            grant.commit(len);
            true
        }
        Err(_) => false,
    }
}

/// A 16-byte state record for the mailbox probes.
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct State {
    /// Position.
    pub position: i32,
    /// Velocity.
    pub velocity: i32,
    /// Current.
    pub current: i32,
    /// Sequence.
    pub seq: u32,
}

/// Mailbox (seqlock) write of a 16-byte value.
#[no_mangle]
pub extern "C" fn probe_mailbox_write(writer: &mut MailboxWriter<'static, State>, value: &State) {
    writer.write(value)
}

/// Mailbox (seqlock) read of a 16-byte value.
#[no_mangle]
pub extern "C" fn probe_mailbox_read(reader: &MailboxReader<'static, State>, out: &mut State) -> bool {
    match reader.read() {
        Ok(Some(value)) => {
            *out = value;
            true
        }
        _ => false,
    }
}

/// Fakes for the motor-position controller's peripherals: the probe shows the control law's
/// own machine code (the real peripheral glue lives in the firmware backend).
pub mod motor {
    use core::convert::Infallible;

    use motor_position_control::protocol::Setpoint;
    use motor_position_control::{App, ControlOutput, Controller};
    use splitcore_hal::{
        digital, pwm, AdcSample, LinearAdcCalibration, OutputPin, QuadratureCounter, SetDutyCycle,
    };

    /// A counter register.
    pub struct Counter(pub i32);
    impl QuadratureCounter for Counter {
        fn count(&mut self) -> i32 {
            self.0
        }
    }

    /// A one-shot ADC result register (12 bits over 3.3 V).
    pub struct Adc(pub u16);
    impl AdcSample for Adc {
        type Error = Infallible;
        fn read_raw(&mut self) -> Result<u16, Infallible> {
            Ok(self.0)
        }
        fn raw_to_millivolts(&self, raw: u16) -> u16 {
            LinearAdcCalibration { max_raw: 4095, full_scale_mv: 3300, offset_mv: 0 }.millivolts(raw)
        }
    }

    /// A PWM compare register (4000 ticks full scale).
    pub struct Pwm(pub u16);
    impl pwm::ErrorType for Pwm {
        type Error = Infallible;
    }
    impl SetDutyCycle for Pwm {
        fn max_duty_cycle(&self) -> u16 {
            4000
        }
        fn set_duty_cycle(&mut self, duty: u16) -> Result<(), Infallible> {
            self.0 = duty;
            Ok(())
        }
    }

    /// A GPIO output.
    pub struct Pin(pub bool);
    impl digital::ErrorType for Pin {
        type Error = Infallible;
    }
    impl OutputPin for Pin {
        fn set_low(&mut self) -> Result<(), Infallible> {
            self.0 = false;
            Ok(())
        }
        fn set_high(&mut self) -> Result<(), Infallible> {
            self.0 = true;
            Ok(())
        }
    }

    /// The controller over the fakes.
    pub type MotorController = Controller<Counter, Adc, Pwm, Pin, Pin>;

    /// One control period of the cascade (observer, three loops, bridge output).
    #[no_mangle]
    pub extern "C" fn probe_motor_control_step(
        ctl: &mut MotorController,
        cmd: &Setpoint,
        out: &mut ControlOutput,
    ) {
        *out = ctl.step(cmd);
    }

    /// One period of the core-1 application: setpoint mailbox, control step, telemetry frame.
    #[no_mangle]
    pub extern "C" fn probe_motor_app_step(app: &mut App<'static, Counter, Adc, Pwm, Pin, Pin>, now_us: u32) {
        app.step(now_us);
    }
}

/// The runtime needs a user function to link a firmware; the probes never run.
fn never_runs() {}
splitcore_rt::entry!(never_runs);

/// GPIO output high: one `GPIO_OUT_W1TS_REG` store (the driver's bank branch included).
#[no_mangle]
pub extern "C" fn probe_gpio_set_high(pin: &mut splitcore_hal_esp32s3::gpio::Output<'static>) {
    use embedded_hal::digital::OutputPin;
    let _ = pin.set_high();
}

/// MCPWM duty update: range check, compare-A shadow store, force change only at 0 / max.
#[no_mangle]
pub extern "C" fn probe_mcpwm_set_duty(
    pwm: &mut splitcore_hal_esp32s3::mcpwm::ComplementaryPwm<'static>,
    duty: u16,
) -> bool {
    use embedded_hal::pwm::SetDutyCycle;
    pwm.set_duty_cycle(duty).is_ok()
}

/// PCNT read and 16 -> 32-bit extension (`QuadratureCounter::count`).
#[no_mangle]
pub extern "C" fn probe_pcnt_count(enc: &mut splitcore_hal_esp32s3::pcnt::Quadrature<'static>) -> i32 {
    use splitcore_hal::QuadratureCounter;
    enc.count()
}

/// SYSTIMER low word through the update/valid handshake (`TimeSource::now`).
#[no_mangle]
pub extern "C" fn probe_systimer_now(timer: &splitcore_hal_esp32s3::systimer::SysTimer<'static>) -> u32 {
    use splitcore_exec::TimeSource;
    timer.now()
}
