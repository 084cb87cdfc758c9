//! Rust declarations of the motor-position IDF app's portable bridge
//! (`examples/motor-position/idf/main/bridge.h`), compiled from C by this crate's build script
//! so the tests can run the app's own code against the Rust side of every format it touches:
//! the region layout, the telemetry and stats messages, page commands and the JSON messages.
//!
//! ```
//! let (mut size, mut align) = (0u32, 0u32);
//! // SAFETY: both pointers are valid for writes.
//! let st = unsafe { splitcore_motor_idf_test::motor_region_size(&mut size, &mut align) };
//! assert_eq!((st, size), (0, motor_position_control::protocol::LAYOUT.size() as u32));
//! ```

use core::ffi::c_char;

use splitcore_ipc::ffi::{SplitcoreEvents, SplitcoreFrames, SplitcoreMailbox, SplitcoreRegion};

// Link the splitcore-ipc C ABI (the `splitcore_*` symbols bridge.c calls).
use splitcore_ipc as _;

/// `motor_bridge_t`.
#[repr(C)]
#[derive(Debug)]
pub struct MotorBridge {
    /// Region handle.
    pub region: SplitcoreRegion,
    /// Setpoint mailbox writer.
    pub setpoint: SplitcoreMailbox,
    /// Telemetry frame consumer.
    pub telemetry: SplitcoreFrames,
    /// Loop-stats mailbox reader.
    pub loop_stats: SplitcoreMailbox,
    /// Events receiver.
    pub events: SplitcoreEvents,
    /// Last setpoint sequence number.
    pub seq: u32,
    /// Frames of the wrong size skipped.
    pub bad_frames: u32,
    /// Samples forwarded.
    pub forwarded: u32,
}

/// `motor_command_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MotorCommand {
    /// `MOTOR_MODE_*`.
    pub mode: u32,
    /// Target, radians.
    pub position_rad: f32,
    /// Speed limit, rad/s.
    pub velocity_limit_rad_s: f32,
}

extern "C" {
    /// See bridge.h.
    pub fn motor_region_size(size: *mut u32, align: *mut u32) -> i32;
    /// See bridge.h.
    pub fn motor_bridge_init(b: *mut MotorBridge, mem: *mut u8, len: u32, force: u32) -> i32;
    /// See bridge.h.
    pub fn motor_bridge_close(b: *mut MotorBridge);
    /// See bridge.h.
    pub fn motor_pack_telemetry(b: *mut MotorBridge, out: *mut u8, cap: usize, max_samples: u32) -> i32;
    /// See bridge.h.
    pub fn motor_pack_stats(b: *mut MotorBridge, out: *mut u8, cap: usize) -> i32;
    /// See bridge.h.
    pub fn motor_parse_command(
        text: *const c_char,
        len: usize,
        out: *mut MotorCommand,
        err: *mut c_char,
        errlen: usize,
    ) -> i32;
    /// See bridge.h.
    pub fn motor_command_error_code(r: i32) -> *const c_char;
    /// See bridge.h.
    pub fn motor_apply_command(b: *mut MotorBridge, cmd: *const MotorCommand) -> i32;
    /// See bridge.h.
    pub fn motor_json_hello(out: *mut c_char, cap: usize, source: *const c_char, telemetry_hz: u32) -> usize;
    /// See bridge.h.
    pub fn motor_json_status(
        out: *mut c_char,
        cap: usize,
        core1: *const c_char,
        heartbeat: u32,
        stack_high_water: u32,
        restarts: u32,
        uptime_ms: u64,
        detail: *const c_char,
    ) -> usize;
    /// See bridge.h.
    pub fn motor_json_text(
        out: *mut c_char,
        cap: usize,
        kind: *const c_char,
        field: *const c_char,
        text: *const c_char,
        len: usize,
    ) -> usize;
    /// See bridge.h.
    pub fn motor_json_error(
        out: *mut c_char,
        cap: usize,
        code: *const c_char,
        message: *const c_char,
    ) -> usize;
    /// See bridge.h.
    pub fn motor_json_command(out: *mut c_char, cap: usize, cmd: *const MotorCommand) -> usize;
    /// See bridge.h.
    pub fn motor_core1_state_name(status: i32) -> *const c_char;
}
