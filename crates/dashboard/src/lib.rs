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

//! The core-0 side over a real region, as the twin (or any host core 0) wires it: drain the
//! telemetry frame ring, forward the loop statistics, turn page commands into setpoints.
//!
//! ```
//! use motor_position_control::protocol::*;
//! use splitcore_dashboard::Dashboard;
//! use splitcore_ipc::{Region, RegionBuf};
//!
//! let shared = RegionBuf::<{ LAYOUT.size() }>::new_boxed();
//! let core0 = Region::init(&*shared, &LAYOUT)?;
//! let core1 = Region::attach(&*shared, &LAYOUT)?;
//! let mut frames_out = core1.frame_producer(TELEMETRY)?; // core 1's end
//! let sample = TelemetrySample { seq: 1, position_rad: 0.5, ..Default::default() };
//! frames_out.send(bytemuck::bytes_of(&sample))?;
//!
//! let dashboard = Dashboard::start("127.0.0.1:0")?;
//! let mut frames = core0.frame_consumer(TELEMETRY)?;
//! let stats = core0.mailbox_reader(LOOP_STATS)?;
//! let mut setpoints = core0.mailbox_writer(SETPOINT)?;
//! let (mut seq, mut batch) = (0u32, Vec::new());
//! // One pass of core 0's loop (every ~20 ms):
//! while let Some(frame) = frames.read()? {
//!     if frame.len() == TelemetrySample::SIZE {
//!         batch.push(bytemuck::pod_read_unaligned::<TelemetrySample>(&frame));
//!     }
//!     frame.release();
//! }
//! dashboard.publish_samples(&batch);
//! if let Some(s) = stats.read()? {
//!     dashboard.publish_stats(&s);
//! }
//! for command in dashboard.commands().try_iter() {
//!     seq += 1;
//!     setpoints.write(&command.to_setpoint(seq));
//! }
//! assert_eq!((batch.len(), dashboard.counters().samples_published), (1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs, missing_debug_implementations)]

pub mod http;
mod server;
pub mod wire;

pub use server::{Config, Counters, Dashboard};
pub use wire::{parse_command, Command, CommandError, Core1State, ServerText, Status};
