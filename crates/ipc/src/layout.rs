//! Declaring the channel set of a region, at compile time.
//!
//! A [`Layout`] is built once, in a `const`, with [`LayoutBuilder`]; sizes, offsets and
//! alignments are computed by `const fn`s, and a bad declaration (a capacity that is not a
//! power of two, a mailbox payload that is not a multiple of 4 bytes, …) stops the build.
//! Typed [`ChannelId`]s are then looked up by name, again in `const`s, so that a typo or a
//! wrong element type is a compile error too:
//!
//! ```
//! use splitcore_ipc::{ChannelId, Events, Frames, Layout, LayoutBuilder, Mailbox, Ring};
//!
//! #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
//! #[repr(C)]
//! struct Setpoint { id: u32, value: f32 }
//!
//! #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
//! #[repr(C)]
//! struct Status { uptime_ms: u32, errors: u32 }
//!
//! const LAYOUT: Layout = LayoutBuilder::new()
//!     .ring::<Setpoint>("setpoints", 64)
//!     .frames("log", 4096)
//!     .mailbox::<Status>("status")
//!     .events("flags")
//!     .build();
//!
//! const SETPOINTS: ChannelId<Ring<Setpoint>> = LAYOUT.ring_id("setpoints");
//! const LOG: ChannelId<Frames> = LAYOUT.frames_id("log");
//! const STATUS: ChannelId<Mailbox<Status>> = LAYOUT.mailbox_id("status");
//! const FLAGS: ChannelId<Events> = LAYOUT.events_id("flags");
//!
//! // Shared memory sized by the layout (a `static` in internal DRAM on the target).
//! static SHARED: splitcore_ipc::RegionBuf<{ LAYOUT.size() }> = splitcore_ipc::RegionBuf::new();
//! # let _ = (SETPOINTS, LOG, STATUS, FLAGS, &SHARED);
//! ```

use core::marker::PhantomData;

use bytemuck::Pod;

use crate::error::LayoutError;
use crate::raw::{
    SPLITCORE_DESCRIPTOR_SIZE, SPLITCORE_HEADER_SIZE, SPLITCORE_KIND_EVENTS, SPLITCORE_KIND_FRAMES,
    SPLITCORE_KIND_MAILBOX, SPLITCORE_KIND_RING, SPLITCORE_MAX_CHANNELS,
};

/// Padding between a channel's producer index and consumer index, and the alignment of
/// every channel body.
///
/// Hosts: a cache line (128 bytes on x86-64 and AArch64, whose prefetchers pull line pairs;
/// 64 elsewhere), so the producer's and the consumer's index never share a line and the
/// two cores do not ping-pong it. ESP32-S3 (`target_arch = "xtensa"`): 4 bytes, i.e. no
/// padding: internal SRAM is not data-cached, both cores see every store directly, and
/// padding would only waste DRAM.
#[cfg(target_arch = "xtensa")]
pub const INDEX_PAD: u32 = 4;
/// See the Xtensa variant.
#[cfg(all(not(target_arch = "xtensa"), any(target_arch = "x86_64", target_arch = "aarch64")))]
pub const INDEX_PAD: u32 = 128;
/// See the Xtensa variant.
#[cfg(all(not(target_arch = "xtensa"), not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
pub const INDEX_PAD: u32 = 64;

/// Largest alignment a layout may require; [`RegionBuf`](crate::RegionBuf) is aligned to it.
#[cfg(target_arch = "xtensa")]
pub const REGION_ALIGN: u32 = 16;
/// Largest alignment a layout may require; [`RegionBuf`](crate::RegionBuf) is aligned to it.
#[cfg(not(target_arch = "xtensa"))]
pub const REGION_ALIGN: u32 = 128;

/// A channel kind, as stored in `ChannelDescriptor::kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// Typed SPSC ring ([`RingProducer`](crate::RingProducer)).
    Ring = SPLITCORE_KIND_RING,
    /// Byte-frame ring ([`FrameProducer`](crate::FrameProducer)).
    Frames = SPLITCORE_KIND_FRAMES,
    /// Latest-value mailbox ([`MailboxWriter`](crate::MailboxWriter)).
    Mailbox = SPLITCORE_KIND_MAILBOX,
    /// Event-flag word ([`EventSender`](crate::EventSender)).
    Events = SPLITCORE_KIND_EVENTS,
}

impl Kind {
    /// The kind for a descriptor byte, if valid.
    pub const fn from_u8(v: u8) -> Option<Kind> {
        match v {
            SPLITCORE_KIND_RING => Some(Kind::Ring),
            SPLITCORE_KIND_FRAMES => Some(Kind::Frames),
            SPLITCORE_KIND_MAILBOX => Some(Kind::Mailbox),
            SPLITCORE_KIND_EVENTS => Some(Kind::Events),
            _ => None,
        }
    }
}

/// One channel of a [`Layout`]: everything that goes into its descriptor, plus a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelSpec {
    /// Name used by the `*_id` lookups (not stored in shared memory).
    pub name: &'static str,
    /// Kind.
    pub kind: Kind,
    /// Element size in bytes.
    pub elem_size: u32,
    /// Element alignment in bytes (not stored in shared memory; fixes `offset`).
    pub elem_align: u32,
    /// Capacity (elements or bytes, see [`raw::ChannelDescriptor`](crate::raw::ChannelDescriptor)).
    pub capacity: u32,
    /// Offset of the body from the region start.
    pub offset: u32,
    /// Body size in bytes.
    pub len_bytes: u32,
}

const EMPTY: ChannelSpec = ChannelSpec {
    name: "",
    kind: Kind::Events,
    elem_size: 0,
    elem_align: 1,
    capacity: 0,
    offset: 0,
    len_bytes: 0,
};

/// Body size of a ring of `capacity` elements of `elem_size` bytes aligned to `elem_align`.
pub(crate) const fn ring_body(elem_size: u32, elem_align: u32, capacity: u32) -> Option<u32> {
    let data = align_up(2 * INDEX_PAD, elem_align);
    match (capacity as u64).checked_mul(elem_size as u64) {
        Some(bytes) if bytes + (data as u64) <= u32::MAX as u64 => Some(data + bytes as u32),
        _ => None,
    }
}

pub(crate) const fn align_up(v: u32, align: u32) -> u32 {
    (v + (align - 1)) & !(align - 1)
}

const fn max(a: u32, b: u32) -> u32 {
    if a > b {
        a
    } else {
        b
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// FNV-1a (32-bit) over `bytes`, continuing from `hash` (start with [`FNV_OFFSET`]).
pub const fn fnv1a(mut hash: u32, bytes: &[u8]) -> u32 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u32;
        hash = hash.wrapping_mul(0x0100_0193);
        i += 1;
    }
    hash
}

/// FNV-1a 32 offset basis.
pub const FNV_OFFSET: u32 = 0x811c_9dc5;

/// The descriptor-table checksum stored in `RegionHeader::table_checksum`: FNV-1a 32 over
/// the little-endian bytes of `channel_count`, then for each descriptor of
/// `kind as u32, elem_size, capacity, offset, len_bytes` (claims excluded).
pub const fn table_checksum(count: u32, descs: &[[u32; 5]]) -> u32 {
    let mut h = fnv1a(FNV_OFFSET, &count.to_le_bytes());
    let mut i = 0;
    while i < descs.len() && i < count as usize {
        let mut j = 0;
        while j < 5 {
            h = fnv1a(h, &descs[i][j].to_le_bytes());
            j += 1;
        }
        i += 1;
    }
    h
}

/// Builds a [`Layout`] in a `const` context; see the [module docs](self).
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct LayoutBuilder {
    specs: [ChannelSpec; SPLITCORE_MAX_CHANNELS as usize],
    count: usize,
    error: Option<LayoutError>,
}

impl Default for LayoutBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl LayoutBuilder {
    /// An empty channel set.
    pub const fn new() -> Self {
        Self { specs: [EMPTY; SPLITCORE_MAX_CHANNELS as usize], count: 0, error: None }
    }

    /// Adds a channel described by its raw parameters (used for layouts declared at run
    /// time, e.g. from C). Offsets are assigned by [`build`](Self::build).
    pub const fn channel(
        mut self,
        name: &'static str,
        kind: Kind,
        elem_size: u32,
        elem_align: u32,
        capacity: u32,
    ) -> Self {
        if self.error.is_some() {
            return self;
        }
        if self.count >= SPLITCORE_MAX_CHANNELS as usize {
            self.error = Some(LayoutError::TooManyChannels);
            return self;
        }
        if elem_align == 0 || !elem_align.is_power_of_two() || elem_align > REGION_ALIGN {
            self.error = Some(LayoutError::AlignTooLarge);
            return self;
        }
        if elem_size == 0 {
            self.error = Some(LayoutError::ZeroSizedElement);
            return self;
        }
        let body = match kind {
            Kind::Ring => {
                if !capacity.is_power_of_two() || capacity > 1 << 31 {
                    self.error = Some(LayoutError::BadCapacity);
                    return self;
                }
                ring_body(elem_size, elem_align, capacity)
            }
            Kind::Frames => {
                if !capacity.is_power_of_two() || capacity < 16 || capacity > 1 << 31 || elem_size != 1 {
                    self.error = Some(LayoutError::BadCapacity);
                    return self;
                }
                (2 * INDEX_PAD).checked_add(capacity)
            }
            Kind::Mailbox => {
                if !elem_size.is_multiple_of(4) {
                    self.error = Some(LayoutError::MailboxSizeNotMultipleOf4);
                    return self;
                }
                if capacity != 1 {
                    self.error = Some(LayoutError::BadCapacity);
                    return self;
                }
                elem_size.checked_add(4)
            }
            Kind::Events => {
                if capacity != 1 || elem_size != 4 {
                    self.error = Some(LayoutError::BadCapacity);
                    return self;
                }
                Some(4)
            }
        };
        let Some(len_bytes) = body else {
            self.error = Some(LayoutError::TooLarge);
            return self;
        };
        if !name.is_empty() {
            let mut i = 0;
            while i < self.count {
                if str_eq(self.specs[i].name, name) {
                    self.error = Some(LayoutError::DuplicateName);
                    return self;
                }
                i += 1;
            }
        }
        self.specs[self.count] =
            ChannelSpec { name, kind, elem_size, elem_align, capacity, offset: 0, len_bytes };
        self.count += 1;
        self
    }

    /// Adds a typed SPSC ring of `capacity` (a power of two) elements of `T`.
    pub const fn ring<T: Pod>(self, name: &'static str, capacity: u32) -> Self {
        self.channel(name, Kind::Ring, size_of::<T>() as u32, align_of::<T>() as u32, capacity)
    }

    /// Adds a byte-frame ring with `capacity` data bytes (a power of two, at least 16).
    /// Frames of up to `capacity / 2 - 4` bytes fit.
    pub const fn frames(self, name: &'static str, capacity: u32) -> Self {
        self.channel(name, Kind::Frames, 1, 4, capacity)
    }

    /// Adds a latest-value mailbox of `T` (size a multiple of 4 bytes).
    pub const fn mailbox<T: Pod>(self, name: &'static str) -> Self {
        self.channel(name, Kind::Mailbox, size_of::<T>() as u32, align_of::<T>() as u32, 1)
    }

    /// Adds a 32-bit event-flag word.
    pub const fn events(self, name: &'static str) -> Self {
        self.channel(name, Kind::Events, 4, 4, 1)
    }

    /// Assigns offsets and checksums. Never panics.
    pub const fn try_build(self) -> Result<Layout, LayoutError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut specs = self.specs;
        let table_end = SPLITCORE_HEADER_SIZE + SPLITCORE_DESCRIPTOR_SIZE * self.count as u32;
        let mut cursor = table_end as u64;
        let mut align = max(INDEX_PAD, 4);
        let mut descs = [[0u32; 5]; SPLITCORE_MAX_CHANNELS as usize];
        let mut i = 0;
        while i < self.count {
            let a = max(max(INDEX_PAD, 4), specs[i].elem_align) as u64;
            align = max(align, a as u32);
            let off = (cursor + a - 1) & !(a - 1);
            cursor = off + specs[i].len_bytes as u64;
            if cursor > u32::MAX as u64 - REGION_ALIGN as u64 {
                return Err(LayoutError::TooLarge);
            }
            specs[i].offset = off as u32;
            descs[i] = [
                specs[i].kind as u32,
                specs[i].elem_size,
                specs[i].capacity,
                specs[i].offset,
                specs[i].len_bytes,
            ];
            i += 1;
        }
        let total = align_up(cursor as u32, align);
        let count = self.count as u32;
        Ok(Layout { specs, count, total_size: total, align, checksum: table_checksum(count, &descs) })
    }

    /// Assigns offsets and checksums; panics (a compile error in a `const`) on an invalid
    /// declaration.
    pub const fn build(self) -> Layout {
        match self.try_build() {
            Ok(l) => l,
            Err(e) => panic!("{}", e.as_str()),
        }
    }
}

/// A complete channel set with its computed geometry. Build it with [`LayoutBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    specs: [ChannelSpec; SPLITCORE_MAX_CHANNELS as usize],
    count: u32,
    total_size: u32,
    align: u32,
    checksum: u32,
}

impl Layout {
    /// Bytes of shared memory the region needs.
    pub const fn size(&self) -> usize {
        self.total_size as usize
    }

    /// Required alignment of the shared memory (at most [`REGION_ALIGN`]).
    pub const fn align(&self) -> usize {
        self.align as usize
    }

    /// The descriptor-table checksum ([`table_checksum`]).
    pub const fn checksum(&self) -> u32 {
        self.checksum
    }

    /// The channels, in declaration (index) order.
    pub const fn channels(&self) -> &[ChannelSpec] {
        self.specs.split_at(self.count as usize).0
    }

    /// Index of the channel called `name`.
    pub const fn find(&self, name: &str) -> Option<u32> {
        let mut i = 0;
        while i < self.count as usize {
            if str_eq(self.specs[i].name, name) {
                return Some(i as u32);
            }
            i += 1;
        }
        None
    }

    const fn id<K>(&self, name: &str, kind: Kind, elem_size: u32) -> ChannelId<K> {
        let Some(index) = self.find(name) else {
            panic!("no channel with that name in the layout");
        };
        let spec = self.specs[index as usize];
        assert!(spec.kind as u8 == kind as u8, "channel has a different kind");
        assert!(spec.elem_size == elem_size, "channel has a different element size");
        ChannelId { index, spec, _kind: PhantomData }
    }

    /// The typed id of ring `name`; panics (at compile time in a `const`) if there is no
    /// such ring or its element size differs from `T`'s.
    pub const fn ring_id<T: Pod>(&self, name: &str) -> ChannelId<Ring<T>> {
        let id = self.id::<Ring<T>>(name, Kind::Ring, size_of::<T>() as u32);
        assert!(id.spec.elem_align == align_of::<T>() as u32, "element alignment differs");
        id
    }

    /// The typed id of frame ring `name`.
    pub const fn frames_id(&self, name: &str) -> ChannelId<Frames> {
        self.id(name, Kind::Frames, 1)
    }

    /// The typed id of mailbox `name` carrying `T`.
    pub const fn mailbox_id<T: Pod>(&self, name: &str) -> ChannelId<Mailbox<T>> {
        self.id(name, Kind::Mailbox, size_of::<T>() as u32)
    }

    /// The typed id of event word `name`.
    pub const fn events_id(&self, name: &str) -> ChannelId<Events> {
        self.id(name, Kind::Events, 4)
    }
}

/// Marker: a typed SPSC ring of `T` (for [`ChannelId`]).
#[derive(Debug)]
pub struct Ring<T>(PhantomData<fn() -> T>);
/// Marker: a byte-frame ring (for [`ChannelId`]).
#[derive(Debug)]
pub struct Frames(());
/// Marker: a latest-value mailbox of `T` (for [`ChannelId`]).
#[derive(Debug)]
pub struct Mailbox<T>(PhantomData<fn() -> T>);
/// Marker: an event-flag word (for [`ChannelId`]).
#[derive(Debug)]
pub struct Events(());

/// A typed channel handle: index plus the expected descriptor, checked when an endpoint is
/// opened. Obtain it from [`Layout::ring_id`] and friends.
#[derive(Debug)]
pub struct ChannelId<K> {
    index: u32,
    spec: ChannelSpec,
    _kind: PhantomData<fn() -> K>,
}

impl<K> Clone for ChannelId<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for ChannelId<K> {}

impl<K> ChannelId<K> {
    /// The channel index.
    pub const fn index(&self) -> u32 {
        self.index
    }
    /// The expected descriptor.
    pub const fn spec(&self) -> &ChannelSpec {
        &self.spec
    }
}
