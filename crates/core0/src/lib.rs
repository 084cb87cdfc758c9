//! Core 0's side of splitcore: start, stop, restart and supervise the bare-metal program on the
//! ESP32-S3's core 1 from an ESP-IDF application built with `CONFIG_FREERTOS_UNICORE`, forward
//! its log lines and print its crash reports. `no_std`; compiled for Xtensa into the same
//! static library as the core-1 program, and tested on a host.
//!
//! * [`regs`]: the register seam ([`Regs`]) and the ESP32-S3 addresses, with sources.
//! * [`core1`]: the start/stop/hold sequences and [`Core1`], the handle.
//! * [`supervisor`]: the pure supervision state machine.
//! * [`log`]: log forwarding.
//! * [`peripherals`]: clock/reset hand-over of the peripherals core 1 drives.
//! * [`ffi`]: the C ABI for the ESP-IDF component (`components/splitcore/include/splitcore.h`).
//! * `fake` (feature `std`): [`RecordingRegs`](fake::RecordingRegs), a recording fake.
//!
//! # Panic path
//!
//! `esp_restart()` runs the shutdown handlers, so `splitcore_shutdown` registered with
//! `esp_register_shutdown_handler` holds core 1 before the chip resets (FACTS §4). The panic
//! path does not run them (`panic_restart()` calls `esp_restart_noos()` directly,
//! panic_handler.c L321-330) and does not stall core 1 in UNICORE builds (L246-254), so the
//! component links with `-Wl,--wrap=esp_panic_handler`: its `__wrap_esp_panic_handler` (IRAM)
//! calls `splitcore_shutdown()` (two register writes, no lock, in IRAM because the whole
//! archive is mapped `noflash`) and then `__real_esp_panic_handler`. A Rust panic on core 0
//! ends in the runtime's panic handler, which calls the component's `splitcore_core0_panic`
//! (`ESP_LOGE` + `abort()`), i.e. the same IDF panic path, so it is covered too.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate std;

pub mod core1;
#[cfg(feature = "std")]
pub mod fake;
pub mod ffi;
#[cfg(target_arch = "xtensa")]
pub mod hw;
pub mod log;
pub mod peripherals;
pub mod regs;
pub mod supervisor;

pub use core1::{Core1, LogRegion, StartError, Stopped, Timing};
pub use log::LogForwarder;
pub use peripherals::{handover_peripherals, Peripherals};
pub use regs::Regs;
pub use supervisor::{Action, Fault, Policy, Supervisor, SupervisorConfig};

use splitcore_ipc::{ChannelId, Frames, Layout, LayoutBuilder};

/// The log region's layout: must equal the core-1 runtime's `splitcore_rt::log::LOG_LAYOUT`
/// (firmware/runtime/src/log.rs; the runtime's attach checks the layout checksum, and
/// `tests/layout.rs` checks the source text).
pub const LOG_LAYOUT: Layout = LayoutBuilder::new().frames("log", 4096).build();
/// The log channel.
pub const LOG: ChannelId<Frames> = LOG_LAYOUT.frames_id("log");
