//! The motor-position example's core-1 side: cascaded position / velocity / current control
//! of a brushed DC motor, written against splitcore-hal's portable traits so the same code
//! runs on core 1 of an ESP32-S3 and in the host twin.
//!
//! [`protocol`] is the contract with core 0 (the ESP-IDF app, or the twin's core-0 thread):
//! the shared region's channel layout and the records that cross it.

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

//! * [`Controller`]: the cascade — position (P) → velocity (PI, anti-windup) → current (PI,
//!   back-EMF feed-forward, anti-windup) → signed duty on a [`SignMagnitudeBridge`] — with
//!   the speed from a tracking observer on the encoder count and the current from the ADC
//!   (offset re-measured while the bridge is off). Everything runs every period at
//!   [`protocol::CONTROL_HZ`], in `f32` (the ESP32-S3 has a single-precision FPU), without
//!   allocation or `f64`.
//! * [`App`]: the controller wired to the channels ([`Ports`]): setpoints in, telemetry out
//!   (dropped, never blocking, when the ring is full), loop statistics published.

mod app;
mod controller;
mod pi;
pub mod protocol;

pub use app::{App, AppCounters, Notice, Ports};
pub use controller::{
    ConfigError, ControlOutput, Controller, ControllerConfig, SetpointError, SignMagnitudeBridge,
    CALIBRATION_PERIODS, DT,
};
pub use pi::Pi;
