//! C ABI.
//!
//! Handles are opaque, fixed-size structs that C allocates itself (on its stack or
//! statically); the `*_open` functions fill them and the `*_close` functions release their
//! claims. Every function returns an `int32_t` [`SplitcoreStatus`]: `0` success, positive
//! values non-error outcomes (empty, full, busy), negative values errors. Nothing here
//! panics or unwinds; all pointers are checked for NULL and every handle carries a magic
//! word that is checked on use (a handle must be opened, or zero-filled, before use).
//!
//! C code must not access a handle's bytes, copy an opened handle, or use it from two
//! threads at once. The region memory must stay valid while handles exist.

use core::ffi::{c_char, c_void};
use core::ptr::NonNull;

use crate::error::{End, Error};
use crate::events::EventWord;
use crate::frames::{FrameConsumer, FrameProducer, RawGrant, RawRead};
use crate::layout::{Kind, LayoutBuilder};
use crate::mailbox::RawMailbox;
use crate::region::{Region, RegionMem};
use crate::ring::RawRing;
use crate::sync::Ordering;

/// Status codes returned by every `splitcore_*` function (as `int32_t`).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitcoreStatus {
    /// Success.
    Ok = 0,
    /// Nothing to pop/read.
    Empty = 1,
    /// No room now.
    Full = 2,
    /// The mailbox writer was active for every retry; try again later.
    Busy = 3,
    /// A required pointer was NULL.
    NullPointer = -1,
    /// The handle is not open (bad magic).
    BadHandle = -2,
    /// An argument is out of range.
    InvalidArgument = -3,
    /// The operation belongs to the other end of the channel.
    WrongEnd = -4,
    /// Commit/release without a pending grant/read.
    NoGrant = -5,
    /// See [`Error::Misaligned`].
    Misaligned = -10,
    /// See [`Error::RegionTooSmall`].
    RegionTooSmall = -11,
    /// See [`Error::AlreadyInitialised`].
    AlreadyInitialised = -12,
    /// See [`Error::NotInitialised`].
    NotInitialised = -13,
    /// See [`Error::BadMagic`].
    BadMagic = -14,
    /// See [`Error::VersionMismatch`].
    VersionMismatch = -15,
    /// See [`Error::SizeMismatch`].
    SizeMismatch = -16,
    /// See [`Error::ChannelCountMismatch`].
    ChannelCountMismatch = -17,
    /// See [`Error::ChecksumMismatch`].
    ChecksumMismatch = -18,
    /// See [`Error::DescriptorMismatch`].
    DescriptorMismatch = -19,
    /// See [`Error::NoSuchChannel`].
    NoSuchChannel = -20,
    /// See [`Error::AlreadyClaimed`].
    AlreadyClaimed = -21,
    /// See [`Error::PeerCorrupt`].
    PeerCorrupt = -22,
    /// See [`Error::FrameTooLarge`].
    FrameTooLarge = -23,
    /// See [`Error::Layout`].
    InvalidLayout = -24,
}

impl From<Error> for SplitcoreStatus {
    fn from(e: Error) -> Self {
        use SplitcoreStatus as S;
        match e {
            Error::Misaligned { .. } => S::Misaligned,
            Error::RegionTooSmall { .. } => S::RegionTooSmall,
            Error::AlreadyInitialised { .. } => S::AlreadyInitialised,
            Error::NotInitialised { .. } => S::NotInitialised,
            Error::BadMagic { .. } => S::BadMagic,
            Error::VersionMismatch { .. } => S::VersionMismatch,
            Error::SizeMismatch { .. } => S::SizeMismatch,
            Error::ChannelCountMismatch { .. } => S::ChannelCountMismatch,
            Error::ChecksumMismatch { .. } => S::ChecksumMismatch,
            Error::DescriptorMismatch { .. } => S::DescriptorMismatch,
            Error::NoSuchChannel { .. } => S::NoSuchChannel,
            Error::AlreadyClaimed { .. } => S::AlreadyClaimed,
            Error::PeerCorrupt { .. } => S::PeerCorrupt,
            Error::FrameTooLarge { .. } => S::FrameTooLarge,
            Error::Full => S::Full,
            Error::Busy => S::Busy,
            Error::Layout(_) => S::InvalidLayout,
        }
    }
}

/// `end` argument: the producer (writer, sender) end.
pub const SPLITCORE_END_PRODUCER: u32 = 0;
/// `end` argument: the consumer (reader, receiver) end.
pub const SPLITCORE_END_CONSUMER: u32 = 1;

/// One channel of a layout declared from C (`kind` is `SPLITCORE_KIND_*`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SplitcoreChannelSpec {
    /// `SPLITCORE_KIND_*`.
    pub kind: u8,
    /// Element size in bytes (rings, mailboxes); ignored for frame rings and events.
    pub elem_size: u32,
    /// Element alignment in bytes (power of two); ignored for frame rings and events.
    pub elem_align: u32,
    /// Ring: elements; frame ring: data bytes; ignored for mailboxes and events.
    pub capacity: u32,
}

/// Opaque region handle.
#[repr(C)]
#[derive(Debug)]
pub struct SplitcoreRegion {
    /// Private.
    pub opaque: [u64; 4],
}

/// Opaque ring endpoint handle.
#[repr(C)]
#[derive(Debug)]
pub struct SplitcoreRing {
    /// Private.
    pub opaque: [u64; 12],
}

/// Opaque frame-ring endpoint handle.
#[repr(C)]
#[derive(Debug)]
pub struct SplitcoreFrames {
    /// Private.
    pub opaque: [u64; 14],
}

/// Opaque mailbox endpoint handle.
#[repr(C)]
#[derive(Debug)]
pub struct SplitcoreMailbox {
    /// Private.
    pub opaque: [u64; 12],
}

/// Opaque event-word endpoint handle.
#[repr(C)]
#[derive(Debug)]
pub struct SplitcoreEvents {
    /// Private.
    pub opaque: [u64; 10],
}

#[repr(C)]
struct Slot<T> {
    magic: u32,
    value: T,
}

enum FramesInner {
    Prod(FrameProducer<'static>, Option<RawGrant>),
    Cons(FrameConsumer<'static>, Option<RawRead>),
}

const MAGIC_REGION: u32 = 0x5350_4352;
const MAGIC_RING: u32 = 0x5350_4331;
const MAGIC_FRAMES: u32 = 0x5350_4332;
const MAGIC_MAILBOX: u32 = 0x5350_4333;
const MAGIC_EVENTS: u32 = 0x5350_4334;

const fn fits<T, H>() -> bool {
    size_of::<Slot<T>>() <= size_of::<H>() && align_of::<Slot<T>>() <= align_of::<H>()
}
const _: () = {
    assert!(fits::<Region<'static>, SplitcoreRegion>());
    assert!(fits::<RawRing<'static>, SplitcoreRing>());
    assert!(fits::<FramesInner, SplitcoreFrames>());
    assert!(fits::<RawMailbox<'static>, SplitcoreMailbox>());
    assert!(fits::<EventWord<'static>, SplitcoreEvents>());
};

/// Stores `value` in handle `h`.
///
/// # Safety
/// `h` is valid for writes of `H`; `fits::<T, H>()` holds (checked above for every pair used).
unsafe fn put<T, H>(h: *mut H, magic: u32, value: T) {
    // SAFETY: `Slot<T>` fits in `H` in size and alignment; `h` is writable.
    unsafe { h.cast::<Slot<T>>().write(Slot { magic, value }) }
}

/// The value in handle `h`, if its magic matches.
///
/// # Safety
/// `h` is NULL, or valid for reads and writes of `H` and either zero-filled or filled by
/// `put::<T, H>` with the same `magic` (and not closed), for `'h`, without other access.
unsafe fn get<'h, T, H>(h: *mut H, magic: u32) -> Result<&'h mut T, SplitcoreStatus> {
    if h.is_null() {
        return Err(SplitcoreStatus::NullPointer);
    }
    let slot = h.cast::<Slot<T>>();
    // SAFETY: `h` is valid and initialised (zero-filled or `put`), per the contract.
    if unsafe { (*slot).magic } != magic {
        return Err(SplitcoreStatus::BadHandle);
    }
    // SAFETY: the magic says `put::<T, H>` stored a `T` there; access is exclusive for 'h.
    Ok(unsafe { &mut (*slot).value })
}

/// Drops the value in handle `h` (releasing its claim) and clears the magic.
///
/// # Safety
/// As for `get`.
unsafe fn close<T, H>(h: *mut H, magic: u32) -> i32 {
    // SAFETY: forwarded.
    match unsafe { get::<T, H>(h, magic) } {
        Ok(v) => {
            // SAFETY: `v` is a valid `T` that is never used again (the magic is cleared).
            unsafe { core::ptr::drop_in_place(v) };
            // SAFETY: `h` is valid (checked by `get`).
            unsafe { (*h.cast::<Slot<T>>()).magic = 0 };
            SplitcoreStatus::Ok as i32
        }
        Err(s) => s as i32,
    }
}

fn end_of(end: u32) -> Result<End, SplitcoreStatus> {
    match end {
        SPLITCORE_END_PRODUCER => Ok(End::Producer),
        SPLITCORE_END_CONSUMER => Ok(End::Consumer),
        _ => Err(SplitcoreStatus::InvalidArgument),
    }
}

fn status(r: Result<(), SplitcoreStatus>) -> i32 {
    match r {
        Ok(()) => SplitcoreStatus::Ok as i32,
        Err(s) => s as i32,
    }
}

fn layout_from(specs: *const SplitcoreChannelSpec, count: u32) -> Result<crate::Layout, SplitcoreStatus> {
    if count > crate::raw::SPLITCORE_MAX_CHANNELS {
        return Err(SplitcoreStatus::InvalidLayout);
    }
    if specs.is_null() && count > 0 {
        return Err(SplitcoreStatus::NullPointer);
    }
    let mut b = LayoutBuilder::new();
    for i in 0..count as usize {
        // SAFETY: the caller passes `count` readable specs (documented on the functions).
        let s = unsafe { specs.add(i).read() };
        let kind = Kind::from_u8(s.kind).ok_or(SplitcoreStatus::InvalidLayout)?;
        b = match kind {
            Kind::Ring => b.channel("", kind, s.elem_size, s.elem_align, s.capacity),
            Kind::Frames => b.channel("", kind, 1, 4, s.capacity),
            Kind::Mailbox => b.channel("", kind, s.elem_size, s.elem_align, 1),
            Kind::Events => b.channel("", kind, 4, 4, 1),
        };
    }
    b.try_build().map_err(|_| SplitcoreStatus::InvalidLayout)
}

/// Computes the size and alignment of the region a layout needs.
///
/// # Safety
/// `specs` points to `count` readable specs (or is NULL with `count == 0`); `size` and
/// `align` are writable or NULL.
#[no_mangle]
pub unsafe extern "C" fn splitcore_layout_size(
    specs: *const SplitcoreChannelSpec,
    count: u32,
    size: *mut u32,
    align: *mut u32,
) -> i32 {
    status(layout_from(specs, count).map(|l| {
        if !size.is_null() {
            // SAFETY: non-null and writable per the contract.
            unsafe { size.write(l.size() as u32) };
        }
        if !align.is_null() {
            // SAFETY: as above.
            unsafe { align.write(l.align() as u32) };
        }
    }))
}

/// Initialises a region in `mem` (`len` bytes) with the given channels and publishes it.
/// With `force == 0` the state word must be zero (fresh memory), otherwise the memory is
/// re-initialised whatever it holds (no endpoint or peer may be using it then).
///
/// # Safety
/// `out` is writable; `mem` is valid for `len` bytes for as long as the region and its
/// endpoints are used; `specs` points to `count` readable specs.
#[no_mangle]
pub unsafe extern "C" fn splitcore_region_init(
    out: *mut SplitcoreRegion,
    mem: *mut c_void,
    len: u32,
    specs: *const SplitcoreChannelSpec,
    count: u32,
    force: u32,
) -> i32 {
    let r = (|| {
        if out.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        let base = NonNull::new(mem.cast::<u8>()).ok_or(SplitcoreStatus::NullPointer)?;
        let layout = layout_from(specs, count)?;
        // SAFETY: validity of `mem` for `len` bytes and for the handles' lifetime is the
        // caller's contract.
        let m: RegionMem<'static> = unsafe { RegionMem::from_raw_parts(base, len as usize) };
        let region = if force != 0 {
            // SAFETY: with `force`, the caller guarantees nobody uses the memory.
            unsafe { Region::reinit(m, &layout) }
        } else {
            Region::init(m, &layout)
        }?;
        // SAFETY: `out` is non-null and writable; `Region` fits (const-asserted).
        unsafe { put(out, MAGIC_REGION, region) };
        Ok(())
    })();
    status(r)
}

/// Attaches to a region initialised by the other side, accepting the layout it declares
/// (each channel is validated again when opened).
///
/// # Safety
/// `out` is writable; `mem` is valid for `len` bytes for as long as the region and its
/// endpoints are used.
#[no_mangle]
pub unsafe extern "C" fn splitcore_region_attach(
    out: *mut SplitcoreRegion,
    mem: *mut c_void,
    len: u32,
) -> i32 {
    let r = (|| {
        if out.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        let base = NonNull::new(mem.cast::<u8>()).ok_or(SplitcoreStatus::NullPointer)?;
        // SAFETY: the caller's contract on `mem`.
        let m: RegionMem<'static> = unsafe { RegionMem::from_raw_parts(base, len as usize) };
        let region = Region::attach_any(m)?;
        // SAFETY: `out` is non-null and writable; `Region` fits.
        unsafe { put(out, MAGIC_REGION, region) };
        Ok(())
    })();
    status(r)
}

/// The region's handshake state (`SPLITCORE_STATE_*`) into `*state`.
///
/// # Safety
/// `region` is an opened region handle; `state` is writable.
#[no_mangle]
pub unsafe extern "C" fn splitcore_region_state(region: *mut SplitcoreRegion, state: *mut u32) -> i32 {
    // SAFETY: the caller's contract.
    let r = unsafe { get::<Region<'static>, _>(region, MAGIC_REGION) }.and_then(|r| {
        if state.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        // SAFETY: non-null, writable per the contract.
        unsafe { state.write(r.state()) };
        Ok(())
    });
    status(r)
}

/// Opens (claims) one end of ring `channel` with elements of `elem_size` bytes.
///
/// # Safety
/// `region` is an opened region handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn splitcore_ring_open(
    region: *mut SplitcoreRegion,
    channel: u32,
    end: u32,
    elem_size: u32,
    out: *mut SplitcoreRing,
) -> i32 {
    let r = (|| {
        // SAFETY: the caller's contract.
        let region = unsafe { get::<Region<'static>, _>(region, MAGIC_REGION) }?;
        if out.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        let ring = RawRing::open(region, channel, elem_size, end_of(end)?)?;
        // SAFETY: `out` is non-null and writable; `RawRing` fits.
        unsafe { put(out, MAGIC_RING, ring) };
        Ok(())
    })();
    status(r)
}

/// Pushes one element (`elem_size` bytes at `item`): `SPLITCORE_STATUS_OK` or
/// `SPLITCORE_STATUS_FULL`.
///
/// # Safety
/// `ring` is an opened producer handle; `item` is readable for `elem_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn splitcore_ring_push(ring: *mut SplitcoreRing, item: *const c_void) -> i32 {
    // SAFETY: the caller's contract.
    let r = unsafe { get::<RawRing<'static>, _>(ring, MAGIC_RING) }.and_then(|ring| {
        if ring.end != End::Producer {
            return Err(SplitcoreStatus::WrongEnd);
        }
        if item.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        // SAFETY: `item` readable for `elem_size` bytes per the contract.
        match unsafe { ring.push(item.cast()) }? {
            true => Ok(()),
            false => Err(SplitcoreStatus::Full),
        }
    });
    status(r)
}

/// Pops one element into `out` (`elem_size` bytes): `SPLITCORE_STATUS_OK` or
/// `SPLITCORE_STATUS_EMPTY`.
///
/// # Safety
/// `ring` is an opened consumer handle; `out` is writable for `elem_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn splitcore_ring_pop(ring: *mut SplitcoreRing, out: *mut c_void) -> i32 {
    // SAFETY: the caller's contract.
    let r = unsafe { get::<RawRing<'static>, _>(ring, MAGIC_RING) }.and_then(|ring| {
        if ring.end != End::Consumer {
            return Err(SplitcoreStatus::WrongEnd);
        }
        if out.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        // SAFETY: `out` writable for `elem_size` bytes per the contract.
        match unsafe { ring.pop(out.cast()) }? {
            true => Ok(()),
            false => Err(SplitcoreStatus::Empty),
        }
    });
    status(r)
}

/// Closes a ring handle, releasing its claim.
///
/// # Safety
/// `ring` is an opened (or zero-filled) handle.
#[no_mangle]
pub unsafe extern "C" fn splitcore_ring_close(ring: *mut SplitcoreRing) -> i32 {
    // SAFETY: the caller's contract.
    unsafe { close::<RawRing<'static>, _>(ring, MAGIC_RING) }
}

/// Opens (claims) one end of frame ring `channel`.
///
/// # Safety
/// `region` is an opened region handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn splitcore_frames_open(
    region: *mut SplitcoreRegion,
    channel: u32,
    end: u32,
    out: *mut SplitcoreFrames,
) -> i32 {
    let r = (|| {
        // SAFETY: the caller's contract.
        let region = unsafe { get::<Region<'static>, _>(region, MAGIC_REGION) }?;
        if out.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        let end = end_of(end)?;
        let (c, data, claim) = region.open_frames(channel, None, end)?;
        let inner = match end {
            End::Producer => FramesInner::Prod(FrameProducer::from_parts(c, data, claim), None),
            End::Consumer => FramesInner::Cons(FrameConsumer::from_parts(c, data, claim), None),
        };
        // SAFETY: `out` is non-null and writable; `FramesInner` fits.
        unsafe { put(out, MAGIC_FRAMES, inner) };
        Ok(())
    })();
    status(r)
}

/// Reserves room for a frame of up to `len` bytes and stores the payload pointer in `*buf`.
/// A pending uncommitted grant is abandoned. `SPLITCORE_STATUS_FULL` if there is no room now,
/// `SPLITCORE_STATUS_FRAME_TOO_LARGE` if `len` exceeds `capacity / 2 - 4`.
///
/// # Safety
/// `frames` is an opened producer handle; `buf` is writable.
#[no_mangle]
pub unsafe extern "C" fn splitcore_frame_grant(
    frames: *mut SplitcoreFrames,
    len: u32,
    buf: *mut *mut u8,
) -> i32 {
    // SAFETY: the caller's contract.
    let r = unsafe { get::<FramesInner, _>(frames, MAGIC_FRAMES) }.and_then(|f| {
        let FramesInner::Prod(p, pending) = f else {
            return Err(SplitcoreStatus::WrongEnd);
        };
        if buf.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        *pending = None;
        let g = p.grant_raw(len as usize)?;
        // SAFETY: `buf` is non-null and writable per the contract.
        unsafe { buf.write(p.grant_ptr(&g)) };
        *pending = Some(g);
        Ok(())
    });
    status(r)
}

/// Publishes the pending grant's first `used` bytes (clamped to the granted length).
///
/// # Safety
/// `frames` is an opened producer handle.
#[no_mangle]
pub unsafe extern "C" fn splitcore_frame_commit(frames: *mut SplitcoreFrames, used: u32) -> i32 {
    // SAFETY: the caller's contract.
    let r = unsafe { get::<FramesInner, _>(frames, MAGIC_FRAMES) }.and_then(|f| {
        let FramesInner::Prod(p, pending) = f else {
            return Err(SplitcoreStatus::WrongEnd);
        };
        let g = pending.take().ok_or(SplitcoreStatus::NoGrant)?;
        p.commit_raw(g, used as usize);
        Ok(())
    });
    status(r)
}

/// Points `*buf`/`*len` at the oldest frame (`SPLITCORE_STATUS_EMPTY` if none). The frame
/// stays valid until `splitcore_frame_release`; reading again without releasing returns the
/// same frame.
///
/// # Safety
/// `frames` is an opened consumer handle; `buf` and `len` are writable.
#[no_mangle]
pub unsafe extern "C" fn splitcore_frame_read(
    frames: *mut SplitcoreFrames,
    buf: *mut *const u8,
    len: *mut u32,
) -> i32 {
    // SAFETY: the caller's contract.
    let r = unsafe { get::<FramesInner, _>(frames, MAGIC_FRAMES) }.and_then(|f| {
        let FramesInner::Cons(c, pending) = f else {
            return Err(SplitcoreStatus::WrongEnd);
        };
        if buf.is_null() || len.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        *pending = None;
        let Some(rd) = c.read_raw()? else {
            return Err(SplitcoreStatus::Empty);
        };
        // SAFETY: both pointers are non-null and writable per the contract.
        unsafe {
            buf.write(c.read_ptr(&rd));
            len.write(rd.len());
        }
        *pending = Some(rd);
        Ok(())
    });
    status(r)
}

/// Frees the frame returned by the last `splitcore_frame_read`.
///
/// # Safety
/// `frames` is an opened consumer handle.
#[no_mangle]
pub unsafe extern "C" fn splitcore_frame_release(frames: *mut SplitcoreFrames) -> i32 {
    // SAFETY: the caller's contract.
    let r = unsafe { get::<FramesInner, _>(frames, MAGIC_FRAMES) }.and_then(|f| {
        let FramesInner::Cons(c, pending) = f else {
            return Err(SplitcoreStatus::WrongEnd);
        };
        let rd = pending.take().ok_or(SplitcoreStatus::NoGrant)?;
        c.release_raw(rd);
        Ok(())
    });
    status(r)
}

/// Closes a frame-ring handle, releasing its claim.
///
/// # Safety
/// `frames` is an opened (or zero-filled) handle.
#[no_mangle]
pub unsafe extern "C" fn splitcore_frames_close(frames: *mut SplitcoreFrames) -> i32 {
    // SAFETY: the caller's contract.
    unsafe { close::<FramesInner, _>(frames, MAGIC_FRAMES) }
}

/// Opens (claims) one end of mailbox `channel` whose payload is `elem_size` bytes.
///
/// # Safety
/// `region` is an opened region handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn splitcore_mailbox_open(
    region: *mut SplitcoreRegion,
    channel: u32,
    end: u32,
    elem_size: u32,
    out: *mut SplitcoreMailbox,
) -> i32 {
    let r = (|| {
        // SAFETY: the caller's contract.
        let region = unsafe { get::<Region<'static>, _>(region, MAGIC_REGION) }?;
        if out.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        let mb = RawMailbox::open(region, channel, elem_size, None, end_of(end)?)?;
        // SAFETY: `out` is non-null and writable; `RawMailbox` fits.
        unsafe { put(out, MAGIC_MAILBOX, mb) };
        Ok(())
    })();
    status(r)
}

/// Replaces the mailbox value with `elem_size` bytes from `src`.
///
/// # Safety
/// `mailbox` is an opened writer handle; `src` is readable for `elem_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn splitcore_mailbox_write(mailbox: *mut SplitcoreMailbox, src: *const c_void) -> i32 {
    // SAFETY: the caller's contract.
    let r = unsafe { get::<RawMailbox<'static>, _>(mailbox, MAGIC_MAILBOX) }.and_then(|m| {
        if m.end != End::Producer {
            return Err(SplitcoreStatus::WrongEnd);
        }
        if src.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        // SAFETY: `src` readable for `elem_size` bytes per the contract.
        unsafe { m.write(src.cast()) };
        Ok(())
    });
    status(r)
}

/// Copies the latest value into `dst`: `SPLITCORE_STATUS_OK`, `SPLITCORE_STATUS_EMPTY`
/// (never written) or `SPLITCORE_STATUS_BUSY` (the writer was active for every retry;
/// `dst` then holds garbage).
///
/// # Safety
/// `mailbox` is an opened reader handle; `dst` is writable for `elem_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn splitcore_mailbox_read(mailbox: *mut SplitcoreMailbox, dst: *mut c_void) -> i32 {
    // SAFETY: the caller's contract.
    let r = unsafe { get::<RawMailbox<'static>, _>(mailbox, MAGIC_MAILBOX) }.and_then(|m| {
        if m.end != End::Consumer {
            return Err(SplitcoreStatus::WrongEnd);
        }
        if dst.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        // SAFETY: `dst` writable for `elem_size` bytes per the contract.
        match unsafe { m.read(dst.cast()) }? {
            true => Ok(()),
            false => Err(SplitcoreStatus::Empty),
        }
    });
    status(r)
}

/// Closes a mailbox handle, releasing its claim.
///
/// # Safety
/// `mailbox` is an opened (or zero-filled) handle.
#[no_mangle]
pub unsafe extern "C" fn splitcore_mailbox_close(mailbox: *mut SplitcoreMailbox) -> i32 {
    // SAFETY: the caller's contract.
    unsafe { close::<RawMailbox<'static>, _>(mailbox, MAGIC_MAILBOX) }
}

/// Opens (claims) one end of event word `channel`.
///
/// # Safety
/// `region` is an opened region handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn splitcore_events_open(
    region: *mut SplitcoreRegion,
    channel: u32,
    end: u32,
    out: *mut SplitcoreEvents,
) -> i32 {
    let r = (|| {
        // SAFETY: the caller's contract.
        let region = unsafe { get::<Region<'static>, _>(region, MAGIC_REGION) }?;
        if out.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        let ev = EventWord::open(region, channel, None, end_of(end)?)?;
        // SAFETY: `out` is non-null and writable; `EventWord` fits.
        unsafe { put(out, MAGIC_EVENTS, ev) };
        Ok(())
    })();
    status(r)
}

/// Sets the bits of `mask` (Release); stores the previous flags in `*prev` if non-NULL.
///
/// # Safety
/// `events` is an opened sender handle; `prev` is writable or NULL.
#[no_mangle]
pub unsafe extern "C" fn splitcore_events_raise(
    events: *mut SplitcoreEvents,
    mask: u32,
    prev: *mut u32,
) -> i32 {
    // SAFETY: the caller's contract.
    let r = unsafe { get::<EventWord<'static>, _>(events, MAGIC_EVENTS) }.and_then(|e| {
        if e.end != End::Producer {
            return Err(SplitcoreStatus::WrongEnd);
        }
        let p = e.word().fetch_or(mask, Ordering::Release);
        if !prev.is_null() {
            // SAFETY: non-null, writable per the contract.
            unsafe { prev.write(p) };
        }
        Ok(())
    });
    status(r)
}

/// Returns (in `*flags`) and clears all flags (Acquire).
///
/// # Safety
/// `events` is an opened receiver handle; `flags` is writable.
#[no_mangle]
pub unsafe extern "C" fn splitcore_events_take(events: *mut SplitcoreEvents, flags: *mut u32) -> i32 {
    // SAFETY: the caller's contract.
    let r = unsafe { get::<EventWord<'static>, _>(events, MAGIC_EVENTS) }.and_then(|e| {
        if e.end != End::Consumer {
            return Err(SplitcoreStatus::WrongEnd);
        }
        if flags.is_null() {
            return Err(SplitcoreStatus::NullPointer);
        }
        // SAFETY: non-null, writable per the contract.
        unsafe { flags.write(e.word().swap(0, Ordering::Acquire)) };
        Ok(())
    });
    status(r)
}

/// Closes an event handle, releasing its claim.
///
/// # Safety
/// `events` is an opened (or zero-filled) handle.
#[no_mangle]
pub unsafe extern "C" fn splitcore_events_close(events: *mut SplitcoreEvents) -> i32 {
    // SAFETY: the caller's contract.
    unsafe { close::<EventWord<'static>, _>(events, MAGIC_EVENTS) }
}

/// A static, NUL-terminated name for a status code.
#[no_mangle]
pub extern "C" fn splitcore_status_str(status: i32) -> *const c_char {
    let s: &'static core::ffi::CStr = match status {
        0 => c"ok",
        1 => c"empty",
        2 => c"full",
        3 => c"busy",
        -1 => c"null pointer",
        -2 => c"bad handle",
        -3 => c"invalid argument",
        -4 => c"wrong end",
        -5 => c"no pending grant",
        -10 => c"misaligned",
        -11 => c"region too small",
        -12 => c"already initialised",
        -13 => c"not initialised",
        -14 => c"bad magic",
        -15 => c"version mismatch",
        -16 => c"size mismatch",
        -17 => c"channel count mismatch",
        -18 => c"checksum mismatch",
        -19 => c"descriptor mismatch",
        -20 => c"no such channel",
        -21 => c"already claimed",
        -22 => c"peer corrupt",
        -23 => c"frame too large",
        -24 => c"invalid layout",
        _ => c"unknown status",
    };
    s.as_ptr()
}
