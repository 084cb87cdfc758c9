//! Error types.

use core::fmt;

/// Which end of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum End {
    /// Producer, writer or sender.
    Producer,
    /// Consumer, reader or receiver.
    Consumer,
}

/// A field of the region header, a channel descriptor or a channel body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// `ChannelDescriptor::kind`.
    Kind,
    /// `ChannelDescriptor::elem_size`.
    ElemSize,
    /// `ChannelDescriptor::capacity`.
    Capacity,
    /// `ChannelDescriptor::offset`.
    Offset,
    /// `ChannelDescriptor::len_bytes`.
    LenBytes,
    /// The producer's index (`head`).
    Head,
    /// The consumer's index (`tail`).
    Tail,
    /// A frame-ring record header.
    FrameLen,
    /// `RegionHeader::channel_count`.
    ChannelCount,
    /// `RegionHeader::total_size`.
    TotalSize,
}

impl Field {
    /// The field's name as in the wire-format docs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Kind => "kind",
            Field::ElemSize => "elem_size",
            Field::Capacity => "capacity",
            Field::Offset => "offset",
            Field::LenBytes => "len_bytes",
            Field::Head => "head",
            Field::Tail => "tail",
            Field::FrameLen => "frame length",
            Field::ChannelCount => "channel_count",
            Field::TotalSize => "total_size",
        }
    }
}

/// Why a layout declaration is invalid (reported at compile time by
/// [`LayoutBuilder::build`](crate::LayoutBuilder::build)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LayoutError {
    /// More than [`SPLITCORE_MAX_CHANNELS`](crate::raw::SPLITCORE_MAX_CHANNELS) channels.
    TooManyChannels,
    /// A ring or frame-ring capacity is not a power of two, or is out of range.
    BadCapacity,
    /// An element type has size zero.
    ZeroSizedElement,
    /// A mailbox payload size is not a multiple of 4.
    MailboxSizeNotMultipleOf4,
    /// An element alignment exceeds [`REGION_ALIGN`](crate::REGION_ALIGN).
    AlignTooLarge,
    /// The region would exceed `u32::MAX` bytes.
    TooLarge,
    /// Two channels share a name.
    DuplicateName,
    /// Unknown channel kind.
    BadKind,
}

impl LayoutError {
    /// A static description.
    pub const fn as_str(self) -> &'static str {
        match self {
            LayoutError::TooManyChannels => "too many channels",
            LayoutError::BadCapacity => {
                "ring/frame capacity must be a power of two (frames: at least 16 bytes, at most 2^31)"
            }
            LayoutError::ZeroSizedElement => "zero-sized element type",
            LayoutError::MailboxSizeNotMultipleOf4 => "mailbox payload size must be a multiple of 4",
            LayoutError::AlignTooLarge => "element alignment larger than REGION_ALIGN",
            LayoutError::TooLarge => "region larger than u32::MAX bytes",
            LayoutError::DuplicateName => "duplicate channel name",
            LayoutError::BadKind => "unknown channel kind",
        }
    }
}

/// Everything that can go wrong. `Copy`, so it can be returned from hot paths and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The memory does not start at a multiple of the layout's alignment.
    Misaligned {
        /// Required alignment in bytes.
        required: u32,
    },
    /// The memory is smaller than the layout.
    RegionTooSmall {
        /// Bytes the layout needs.
        needed: u32,
        /// Bytes provided (saturated to `u32::MAX`).
        available: u32,
    },
    /// `init` found a region that is not in the uninitialised state.
    AlreadyInitialised {
        /// The state word found.
        state: u32,
    },
    /// `attach` found no initialised region.
    NotInitialised {
        /// The state word found.
        state: u32,
    },
    /// Wrong magic number.
    BadMagic {
        /// [`SPLITCORE_MAGIC`](crate::raw::SPLITCORE_MAGIC).
        expected: u32,
        /// What the header holds.
        found: u32,
    },
    /// The layout major versions differ.
    VersionMismatch {
        /// Our (major, minor).
        ours: (u16, u16),
        /// The header's (major, minor).
        theirs: (u16, u16),
    },
    /// The header's total size differs from our layout's.
    SizeMismatch {
        /// Our layout's size.
        expected: u32,
        /// The header's size.
        found: u32,
    },
    /// The header's channel count differs from our layout's.
    ChannelCountMismatch {
        /// Our count.
        expected: u32,
        /// The header's count.
        found: u32,
    },
    /// The descriptor-table checksum differs.
    ChecksumMismatch {
        /// The checksum we expect (our layout's, or the one computed over the table).
        expected: u32,
        /// The header's checksum.
        found: u32,
    },
    /// A descriptor differs from our layout (or from a typed channel request).
    DescriptorMismatch {
        /// Channel index.
        channel: u32,
        /// Which field.
        field: Field,
        /// Our value.
        expected: u32,
        /// The region's value.
        found: u32,
    },
    /// No channel with that index.
    NoSuchChannel {
        /// Requested index.
        channel: u32,
        /// Number of channels.
        count: u32,
    },
    /// That end of the channel is already claimed.
    AlreadyClaimed {
        /// Channel index.
        channel: u32,
        /// Which end.
        end: End,
    },
    /// A value read from shared memory is out of range: the peer is broken or the memory
    /// was overwritten.
    PeerCorrupt {
        /// Channel index (`u32::MAX` for the region header).
        channel: u32,
        /// Which field.
        field: Field,
        /// The value read.
        value: u32,
        /// The largest acceptable value.
        limit: u32,
    },
    /// A frame larger than the frame ring can ever hold.
    FrameTooLarge {
        /// Requested length.
        len: u32,
        /// Largest possible frame.
        max: u32,
    },
    /// Not enough free space now (frame ring).
    Full,
    /// The mailbox writer kept the value busy for every retry.
    Busy,
    /// An invalid layout (runtime layouts, e.g. from C).
    Layout(LayoutError),
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            End::Producer => "producer",
            End::Consumer => "consumer",
        })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Misaligned { required } => {
                write!(f, "shared memory must be aligned to {required} bytes")
            }
            Error::RegionTooSmall { needed, available } => {
                write!(f, "shared memory too small: layout needs {needed} bytes, {available} provided")
            }
            Error::AlreadyInitialised { state } => {
                write!(f, "region already initialised (state word {state})")
            }
            Error::NotInitialised { state } => {
                write!(f, "region not initialised by its owner (state word {state})")
            }
            Error::BadMagic { expected, found } => {
                write!(f, "bad region magic: expected {expected:#010x}, found {found:#010x}")
            }
            Error::VersionMismatch { ours, theirs } => write!(
                f,
                "layout version mismatch: ours {}.{}, theirs {}.{}",
                ours.0, ours.1, theirs.0, theirs.1
            ),
            Error::SizeMismatch { expected, found } => {
                write!(f, "region size mismatch: expected {expected}, found {found}")
            }
            Error::ChannelCountMismatch { expected, found } => {
                write!(f, "channel count mismatch: expected {expected}, found {found}")
            }
            Error::ChecksumMismatch { expected, found } => {
                write!(f, "channel table checksum mismatch: expected {expected:#010x}, found {found:#010x}")
            }
            Error::DescriptorMismatch { channel, field, expected, found } => write!(
                f,
                "channel {channel}: descriptor field {field} mismatch: expected {expected}, found {found}"
            ),
            Error::NoSuchChannel { channel, count } => {
                write!(f, "no channel {channel} (region has {count})")
            }
            Error::AlreadyClaimed { channel, end } => {
                write!(f, "channel {channel}: {end} end already claimed")
            }
            Error::PeerCorrupt { channel, field, value, limit } => {
                write!(f, "channel {channel}: corrupt {field} in shared memory: {value} (limit {limit})")
            }
            Error::FrameTooLarge { len, max } => {
                write!(f, "frame of {len} bytes exceeds the maximum of {max}")
            }
            Error::Full => f.write_str("channel full"),
            Error::Busy => f.write_str("mailbox busy: writer active for every retry"),
            Error::Layout(e) => write!(f, "invalid layout: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
#[cfg(feature = "std")]
impl std::error::Error for LayoutError {}

/// A failed [`RingProducer::push`](crate::RingProducer::push); the item is handed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError<T> {
    /// The ring is full.
    Full(T),
    /// The consumer's index in shared memory is corrupt.
    Corrupt(T, Error),
}

impl<T> PushError<T> {
    /// The item that was not pushed.
    pub fn into_inner(self) -> T {
        match self {
            PushError::Full(t) | PushError::Corrupt(t, _) => t,
        }
    }
}

impl<T> fmt::Display for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full(_) => f.write_str("ring full"),
            PushError::Corrupt(_, e) => e.fmt(f),
        }
    }
}

#[cfg(feature = "std")]
impl<T: fmt::Debug> std::error::Error for PushError<T> {}
