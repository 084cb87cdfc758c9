//! Shared-memory IPC between the two cores of an ESP32-S3 (ESP-IDF on core 0, bare-metal
//! Rust on core 1), or between two threads on a host.
//!
//! # Model
//!
//! A *region* is a block of memory both sides can address: on the target a zeroed `static`
//! in internal DRAM ([`RegionBuf`]; internal SRAM is not data-cached, so plain loads and
//! stores are coherent between the cores — never put it in PSRAM), on a host any suitably
//! aligned buffer. Its channel set is declared once, at compile time, as a [`Layout`]. One
//! side (the owner) calls [`Region::init`]; the other calls [`Region::attach`], which checks
//! that both were built from the same layout and names every difference. Each end of each
//! channel is then claimed exactly once.
//!
//! | kind | producer / consumer | for |
//! |------|---------------------|-----|
//! | [typed ring](ring) | [`RingProducer`] / [`RingConsumer`] | fixed-size `Pod` items, wait-free SPSC |
//! | [frame ring](frames) | [`FrameProducer`] / [`FrameConsumer`] | variable-length byte frames, zero-copy |
//! | [mailbox](mailbox) | [`MailboxWriter`] / [`MailboxReader`] | the latest value of a `Pod` (seqlock) |
//! | [events](events) | [`EventSender`] / [`EventReceiver`] | 32 flag bits, plus a [`Doorbell`] |
//!
//! All operations are wait-free: none blocks, spins unboundedly or allocates. The other
//! side is not trusted: every index, length and descriptor read from shared memory is
//! range-checked before use, and a bad value yields [`Error::PeerCorrupt`] (or another
//! specific error), never an out-of-bounds access or a panic. The C side uses the same code
//! through the [`ffi`] functions and `include/splitcore_ipc.h`.
//!
//! ```
//! use splitcore_ipc::*;
//!
//! const LAYOUT: Layout = LayoutBuilder::new().ring::<u64>("ticks", 16).events("wake").build();
//! const TICKS: ChannelId<Ring<u64>> = LAYOUT.ring_id("ticks");
//! static SHARED: RegionBuf<{ LAYOUT.size() }> = RegionBuf::new();
//!
//! // Core 0 (owner):
//! let owner = Region::init(&SHARED, &LAYOUT)?;
//! let mut tx = owner.ring_producer(TICKS)?;
//! // Core 1 (or another thread):
//! let peer = Region::attach(&SHARED, &LAYOUT)?;
//! let mut rx = peer.ring_consumer(TICKS)?;
//!
//! tx.push(42).unwrap();
//! assert_eq!(rx.pop()?, Some(42));
//! # Ok::<(), Error>(())
//! ```
//!
//! # Features
//!
//! * `std`: `std::error::Error` impls, [`HostDoorbell`], `RegionBuf::new_boxed`.
//! * `ffi` (default): the C ABI in [`ffi`].
//!
//! Only 32-bit atomics are used, so the crate builds for `xtensa-esp32s3-none-elf`.
//! Memory-ordering arguments are in each channel module's docs; the loom models in
//! `tests/loom.rs` check them.

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations, clippy::undocumented_unsafe_blocks)]

#[cfg(any(feature = "std", loom))]
extern crate std;

mod error;
pub mod events;
#[cfg(feature = "ffi")]
pub mod ffi;
pub mod frames;
mod layout;
pub mod mailbox;
pub mod raw;
mod region;
pub mod ring;
mod sync;

pub use error::{End, Error, Field, LayoutError, PushError};
#[cfg(feature = "std")]
pub use events::HostDoorbell;
pub use events::{Doorbell, EventReceiver, EventSender, NoDoorbell};
pub use frames::{FrameConsumer, FrameProducer, ReadGrant, WriteGrant};
pub use layout::{
    fnv1a, table_checksum, ChannelId, ChannelSpec, Events, Frames, Kind, Layout, LayoutBuilder, Mailbox,
    Ring, FNV_OFFSET, INDEX_PAD, REGION_ALIGN,
};
pub use mailbox::{MailboxReader, MailboxWriter, DEFAULT_READ_RETRIES};
pub use region::{Region, RegionBuf, RegionMem};
pub use ring::{RingConsumer, RingProducer};
