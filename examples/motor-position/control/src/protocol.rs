//! The shared-region contract between core 0 and core 1 for the motor-position example.
//!
//! | channel | kind | direction | record |
//! |---------|------|-----------|--------|
//! | `"setpoint"` | mailbox | core 0 → core 1 | [`Setpoint`] |
//! | `"telemetry"` | frame ring | core 1 → core 0 | one [`TelemetrySample`] per frame |
//! | `"loop_stats"` | mailbox | core 1 → core 0 | [`splitcore_exec::TaskStats`] of the control task |
//! | `"events"` | events | core 1 → core 0 | [`EVENT_TELEMETRY`] |
//!
//! All records are `#[repr(C)]`, little-endian (both Xtensa and the host are), padding-free
//! and [`Pod`], so core 0 may forward their bytes unchanged (the dashboard decodes
//! [`TelemetrySample`] at the offsets asserted below).
//!
//! ```
//! use motor_position_control::protocol::*;
//! use splitcore_ipc::{Region, RegionBuf};
//!
//! let shared = RegionBuf::<{ LAYOUT.size() }>::new_boxed();
//! let core0 = Region::init(&*shared, &LAYOUT)?;
//! let core1 = Region::attach(&*shared, &LAYOUT)?;
//! let mut setpoints = core0.mailbox_writer(SETPOINT)?;
//! let mut latest = core1.mailbox_reader(SETPOINT)?;
//! setpoints.write(&Setpoint::position(1, 3.14, 20.0));
//! assert_eq!(latest.read()?.map(|s| s.mode), Some(Setpoint::MODE_POSITION));
//! # Ok::<(), splitcore_ipc::Error>(())
//! ```

use bytemuck::{Pod, Zeroable};
use splitcore_exec::TaskStats;
use splitcore_ipc::{ChannelId, Events, Frames, Layout, LayoutBuilder, Mailbox};

/// Bytes in the telemetry frame ring: about 100 ms of samples at [`TELEMETRY_HZ`] (each frame
/// costs its 40 bytes plus a 4-byte length word), so a core 0 busy with WiFi for a while
/// loses nothing.
pub const TELEMETRY_RING_BYTES: u32 = 4096;

/// Telemetry rate: every [`TELEMETRY_DECIMATION`]-th control period emits one sample.
pub const TELEMETRY_HZ: u32 = 1_000;

/// Control rate of the inner loop.
pub const CONTROL_HZ: u32 = 20_000;

/// Control periods per telemetry sample.
pub const TELEMETRY_DECIMATION: u32 = CONTROL_HZ / TELEMETRY_HZ;

/// The region's channel set.
pub const LAYOUT: Layout = LayoutBuilder::new()
    .mailbox::<Setpoint>("setpoint")
    .frames("telemetry", TELEMETRY_RING_BYTES)
    .mailbox::<TaskStats>("loop_stats")
    .events("events")
    .build();

/// Setpoints from core 0.
pub const SETPOINT: ChannelId<Mailbox<Setpoint>> = LAYOUT.mailbox_id("setpoint");
/// Telemetry samples to core 0, one [`TelemetrySample`] per frame.
pub const TELEMETRY: ChannelId<Frames> = LAYOUT.frames_id("telemetry");
/// The control task's timing statistics.
pub const LOOP_STATS: ChannelId<Mailbox<TaskStats>> = LAYOUT.mailbox_id("loop_stats");
/// Event flags from core 1.
pub const EVENTS: ChannelId<Events> = LAYOUT.events_id("events");

/// Event bit: telemetry frames are waiting.
pub const EVENT_TELEMETRY: u32 = 1 << 0;

/// What core 0 asks the controller to do.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct Setpoint {
    /// Incremented by core 0 on every change, so core 1 can tell a new command from an old one.
    pub seq: u32,
    /// [`Setpoint::MODE_DISABLED`] or [`Setpoint::MODE_POSITION`].
    pub mode: u32,
    /// Target shaft position, radians.
    pub position_rad: f32,
    /// Speed limit for the move, rad/s (the position loop's output is clamped to it).
    pub velocity_limit_rad_s: f32,
}

impl Setpoint {
    /// Bridge off, motor coasting.
    pub const MODE_DISABLED: u32 = 0;
    /// Cascaded position control towards `position_rad`.
    pub const MODE_POSITION: u32 = 1;

    /// A position command.
    pub const fn position(seq: u32, position_rad: f32, velocity_limit_rad_s: f32) -> Self {
        Setpoint { seq, mode: Self::MODE_POSITION, position_rad, velocity_limit_rad_s }
    }

    /// Turn the bridge off.
    pub const fn disabled(seq: u32) -> Self {
        Setpoint { seq, mode: Self::MODE_DISABLED, position_rad: 0.0, velocity_limit_rad_s: 0.0 }
    }
}

/// One telemetry sample from core 1: 40 bytes, little-endian, in this field order.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct TelemetrySample {
    /// Sample counter (wraps); a gap means samples were dropped because the ring was full.
    pub seq: u32,
    /// Core 1's time of the sample, microseconds (wraps after 71 minutes).
    pub time_us: u32,
    /// Position command in force, radians.
    pub setpoint_rad: f32,
    /// Measured position (encoder), radians.
    pub position_rad: f32,
    /// Estimated velocity, rad/s.
    pub velocity_rad_s: f32,
    /// Velocity reference from the position loop, rad/s.
    pub velocity_ref_rad_s: f32,
    /// Measured motor current (ADC), amperes.
    pub current_a: f32,
    /// Current reference from the velocity loop, amperes.
    pub current_ref_a: f32,
    /// Bridge duty, -1.0 (full reverse) to 1.0 (full forward).
    pub duty: f32,
    /// `FLAG_*` bits.
    pub flags: u32,
}

impl TelemetrySample {
    /// Size of one sample on the wire.
    pub const SIZE: usize = core::mem::size_of::<TelemetrySample>();
    /// The bridge is enabled.
    pub const FLAG_ENABLED: u32 = 1 << 0;
    /// The current limit clamped the current reference.
    pub const FLAG_CURRENT_LIMIT: u32 = 1 << 1;
    /// The ADC reported a fault; the bridge was switched off.
    pub const FLAG_ADC_FAULT: u32 = 1 << 2;
    /// The position error is within the settle band.
    pub const FLAG_SETTLED: u32 = 1 << 3;
}

// The dashboard and the ESP-IDF app decode these offsets; keep them fixed.
const _: () = {
    assert!(TelemetrySample::SIZE == 40);
    assert!(core::mem::offset_of!(TelemetrySample, time_us) == 4);
    assert!(core::mem::offset_of!(TelemetrySample, setpoint_rad) == 8);
    assert!(core::mem::offset_of!(TelemetrySample, position_rad) == 12);
    assert!(core::mem::offset_of!(TelemetrySample, velocity_rad_s) == 16);
    assert!(core::mem::offset_of!(TelemetrySample, velocity_ref_rad_s) == 20);
    assert!(core::mem::offset_of!(TelemetrySample, current_a) == 24);
    assert!(core::mem::offset_of!(TelemetrySample, current_ref_a) == 28);
    assert!(core::mem::offset_of!(TelemetrySample, duty) == 32);
    assert!(core::mem::offset_of!(TelemetrySample, flags) == 36);
    assert!(core::mem::size_of::<Setpoint>() == 16);
    assert!(core::mem::size_of::<TaskStats>() == 120);
};
