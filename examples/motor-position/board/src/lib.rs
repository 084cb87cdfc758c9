//! The motor-position example on the ESP32-S3: what `examples/motor-position/firmware` (the
//! core-1 staticlib the ESP-IDF app links) runs, kept in a host-buildable crate so it is tested
//! here on splitcore-hal-esp32s3's RAM register files and a virtual clock.
//!
//! * [`pins`]: the board's pin map ([`pins::BOARD`]) and the rules every map must follow;
//! * [`wiring`]: the controller on MCPWM (complementary pair), PCNT (quadrature), ADC1 and GPIO;
//! * [`fault`]: the bridge driver's nFAULT line and failed peripheral writes keep the bridge
//!   off, through the controller's own fault path;
//! * [`time`]: telemetry microseconds from CCOUNT, and the CPU clock checked against SYSTIMER;
//! * [`program`]: the control program (executive at 20 kHz, statistics, heartbeat, log, stop).
//!
//! Nothing here has run on an ESP32-S3: there is no hardware on the development machines and
//! QEMU models none of the S3's peripherals.

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

#[cfg(test)]
extern crate std;

pub mod fault;
pub mod pins;
pub mod program;
pub mod time;
pub mod wiring;
