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
