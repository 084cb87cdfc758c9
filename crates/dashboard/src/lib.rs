//! Live web dashboard for the motor-position example: serves the page in
//! `examples/motor-position/dashboard/` (embedded at build time) and one WebSocket (`/ws`)
//! carrying telemetry, loop statistics, core-1 status, log lines and crash reports to every
//! connected page, and setpoint commands back.
//!
//! The same page is served by the example's ESP-IDF app (`examples/motor-position/idf/`),
//! which forwards the frame ring's bytes unchanged in the same [`wire`] format. This crate is
//! the host side: the twin drives it.
//!
//! ```no_run
//! use motor_position_control::protocol::TelemetrySample;
//! use splitcore_dashboard::{Command, Dashboard};
//!
//! let dashboard = Dashboard::start("127.0.0.1:8080")?;
//! println!("dashboard on {}", dashboard.url());
//! let mut seq = 0;
//! loop {
//!     // ... run the loop, collect samples ...
//!     dashboard.publish_samples(&[TelemetrySample::default()]);
//!     for command in dashboard.commands().try_iter() {
//!         seq += 1;
//!         let setpoint = command.to_setpoint(seq); // into the "setpoint" mailbox
//!         # let _ = setpoint;
//!     }
//!     std::thread::sleep(std::time::Duration::from_millis(20));
//! }
//! # #[allow(unreachable_code)] Ok::<(), std::io::Error>(())
//! ```

#![warn(missing_docs, missing_debug_implementations)]

pub mod http;
mod server;
pub mod wire;

pub use server::{Config, Counters, Dashboard};
pub use wire::{parse_command, Command, CommandError, Core1State, ServerText, Status};
