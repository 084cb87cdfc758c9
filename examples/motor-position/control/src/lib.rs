//! The motor-position example's core-1 side: cascaded position / velocity / current control
//! of a brushed DC motor, written against splitcore-hal's portable traits so the same code
//! runs on core 1 of an ESP32-S3 and in the host twin.
//!
//! [`protocol`] is the contract with core 0 (the ESP-IDF app, or the twin's core-0 thread):
//! the shared region's channel layout and the records that cross it.

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod protocol;
