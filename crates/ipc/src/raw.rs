//! The wire format of a region: what both sides (Rust or C) agree on, byte for byte.
//!
//! ```text
//! offset 0                      RegionHeader (32 bytes)
//! offset 32                     ChannelDescriptor[channel_count] (24 bytes each)
//! aligned offsets (descriptor)  channel bodies
//! ```
//!
//! Channel bodies (offsets relative to the channel's `offset`; `PAD` is
//! [`INDEX_PAD`](crate::INDEX_PAD), the per-target index padding):
//!
//! | kind    | body                                                                          |
//! |---------|-------------------------------------------------------------------------------|
//! | Ring    | `head: u32` at 0, `tail: u32` at `PAD`, slots at `len_bytes - capacity*elem_size` |
//! | Frames  | `head: u32` at 0, `tail: u32` at `PAD`, `capacity` data bytes at `2*PAD`        |
//! | Mailbox | `seq: u32` at 0, `elem_size` payload bytes at 4                                 |
//! | Events  | `flags: u32` at 0                                                             |
//!
//! `head` is written only by the producer and `tail` only by the consumer; both are
//! free-running counters (elements for rings, bytes for frame rings) compared with wrapping
//! arithmetic, so `head - tail` is always in `0..=capacity`. The words `state`, `claims`,
//! `head`, `tail`, `seq` and `flags` must be accessed with 32-bit atomic instructions by C
//! code too (`__atomic_*` with acquire/release as documented on each channel type).

/// `RegionHeader::magic`: the bytes `"SPC1"` read as a little-endian `u32`.
pub const SPLITCORE_MAGIC: u32 = 0x3143_5053;
const _: () = assert!(SPLITCORE_MAGIC == u32::from_le_bytes(*b"SPC1"));
/// Layout major version: a different major is refused on attach.
pub const SPLITCORE_VERSION_MAJOR: u16 = 1;
/// Layout minor version: informational, differences are accepted.
pub const SPLITCORE_VERSION_MINOR: u16 = 0;
/// Maximum number of channels in one region.
pub const SPLITCORE_MAX_CHANNELS: u32 = 16;
/// Size of [`RegionHeader`] in bytes.
pub const SPLITCORE_HEADER_SIZE: u32 = 32;
/// Size of [`ChannelDescriptor`] in bytes.
pub const SPLITCORE_DESCRIPTOR_SIZE: u32 = 24;

/// `RegionHeader::state`: never initialised (or zeroed memory).
pub const SPLITCORE_STATE_UNINIT: u32 = 0;
/// `RegionHeader::state`: the owner is writing the header.
pub const SPLITCORE_STATE_INITIALISING: u32 = 1;
/// `RegionHeader::state`: header and channels are valid (stored with Release).
pub const SPLITCORE_STATE_READY: u32 = 2;
/// `RegionHeader::state`: a peer has attached.
pub const SPLITCORE_STATE_ATTACHED: u32 = 3;

/// `ChannelDescriptor::claims` bit of the producer (writer, sender) end.
pub const SPLITCORE_CLAIM_PRODUCER: u32 = 1;
/// `ChannelDescriptor::claims` bit of the consumer (reader, receiver) end.
pub const SPLITCORE_CLAIM_CONSUMER: u32 = 2;

/// `ChannelDescriptor::kind` of a typed SPSC ring.
pub const SPLITCORE_KIND_RING: u8 = 1;
/// `ChannelDescriptor::kind` of a byte-frame ring.
pub const SPLITCORE_KIND_FRAMES: u8 = 2;
/// `ChannelDescriptor::kind` of a latest-value mailbox.
pub const SPLITCORE_KIND_MAILBOX: u8 = 3;
/// `ChannelDescriptor::kind` of an event-flag word.
pub const SPLITCORE_KIND_EVENTS: u8 = 4;

/// Frame-ring record header value meaning "skip to the start of the buffer".
pub const SPLITCORE_FRAME_WRAP: u32 = u32::MAX;

/// The region header at offset 0 (documentation of the format; the code accesses the
/// fields word by word through atomics).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct RegionHeader {
    /// [`SPLITCORE_MAGIC`].
    pub magic: u32,
    /// [`SPLITCORE_VERSION_MAJOR`].
    pub version_major: u16,
    /// [`SPLITCORE_VERSION_MINOR`].
    pub version_minor: u16,
    /// Bytes from the start of the header to the end of the last channel.
    pub total_size: u32,
    /// Number of descriptors following the header.
    pub channel_count: u32,
    /// FNV-1a 32 of the descriptor table, see [`table_checksum`](crate::table_checksum).
    pub table_checksum: u32,
    /// Handshake word (atomic): `SPLITCORE_STATE_*`.
    pub state: u32,
    /// Zero.
    pub reserved: [u32; 2],
}

/// One channel descriptor; `channel_count` of them follow the header.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ChannelDescriptor {
    /// `SPLITCORE_KIND_*`.
    pub kind: u8,
    /// Zero.
    pub reserved: [u8; 3],
    /// Element size in bytes (1 for frame rings, 4 for events).
    pub elem_size: u32,
    /// Ring: elements (power of two); frame ring: data bytes (power of two); else 1.
    pub capacity: u32,
    /// Offset of the channel body from the start of the region.
    pub offset: u32,
    /// Size of the channel body in bytes.
    pub len_bytes: u32,
    /// Claim bits (atomic): `SPLITCORE_CLAIM_*`.
    pub claims: u32,
}

pub(crate) const HDR_MAGIC: u32 = core::mem::offset_of!(RegionHeader, magic) as u32;
pub(crate) const HDR_VERSION: u32 = core::mem::offset_of!(RegionHeader, version_major) as u32;
pub(crate) const HDR_TOTAL: u32 = core::mem::offset_of!(RegionHeader, total_size) as u32;
pub(crate) const HDR_COUNT: u32 = core::mem::offset_of!(RegionHeader, channel_count) as u32;
pub(crate) const HDR_CHECKSUM: u32 = core::mem::offset_of!(RegionHeader, table_checksum) as u32;
pub(crate) const HDR_STATE: u32 = core::mem::offset_of!(RegionHeader, state) as u32;
pub(crate) const DESC_KIND: u32 = core::mem::offset_of!(ChannelDescriptor, kind) as u32;
pub(crate) const DESC_ELEM: u32 = core::mem::offset_of!(ChannelDescriptor, elem_size) as u32;
pub(crate) const DESC_CAP: u32 = core::mem::offset_of!(ChannelDescriptor, capacity) as u32;
pub(crate) const DESC_OFFSET: u32 = core::mem::offset_of!(ChannelDescriptor, offset) as u32;
pub(crate) const DESC_LEN: u32 = core::mem::offset_of!(ChannelDescriptor, len_bytes) as u32;
pub(crate) const DESC_CLAIMS: u32 = core::mem::offset_of!(ChannelDescriptor, claims) as u32;

// The wire format, pinned. `include/splitcore_ipc.h` carries the same checks for C.
const _: () = {
    assert!(core::mem::size_of::<RegionHeader>() == SPLITCORE_HEADER_SIZE as usize);
    assert!(core::mem::size_of::<ChannelDescriptor>() == SPLITCORE_DESCRIPTOR_SIZE as usize);
    assert!(core::mem::align_of::<RegionHeader>() == 4);
    assert!(core::mem::align_of::<ChannelDescriptor>() == 4);
    assert!(HDR_MAGIC == 0 && HDR_VERSION == 4 && HDR_TOTAL == 8 && HDR_COUNT == 12);
    assert!(HDR_CHECKSUM == 16 && HDR_STATE == 20);
    assert!(DESC_KIND == 0 && DESC_ELEM == 4 && DESC_CAP == 8 && DESC_OFFSET == 12);
    assert!(DESC_LEN == 16 && DESC_CLAIMS == 20);
};
