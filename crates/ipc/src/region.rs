//! The shared region: header, descriptor table, handshake and endpoint claims.
//!
//! One side (the *owner*, core 0 normally) calls [`Region::init`], which writes the header
//! and descriptors, zeroes the channels and finally stores `READY` into the state word with
//! Release ordering. The other side calls [`Region::attach`], which loads the state word
//! with Acquire ordering (so it sees everything `init` wrote once it sees `READY`), then
//! checks magic, version, size, every descriptor and the table checksum against its own
//! [`Layout`], and reports the first difference by name.
//!
//! Endpoints are claimed once per end through the descriptor's `claims` word (an atomic
//! `fetch_or`); dropping an endpoint releases its claim.
//!
//! Nothing read from shared memory is trusted: every descriptor field is range-checked
//! before it is used to form a pointer, and every index read later by the endpoints is
//! checked against the capacity before it is used.

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ptr::NonNull;

use crate::error::{End, Error, Field};
use crate::layout::{ChannelSpec, Kind, Layout, INDEX_PAD, REGION_ALIGN};
use crate::raw::*;
use crate::sync::{atomic_u32, AtomicU32, Ordering};

/// Statically allocatable, suitably aligned shared memory of `N` bytes, zero-initialised
/// (so it lands in `.bss`). Use `RegionBuf<{ LAYOUT.size() }>`.
#[cfg_attr(target_arch = "xtensa", repr(C, align(16)))]
#[cfg_attr(not(target_arch = "xtensa"), repr(C, align(128)))]
pub struct RegionBuf<const N: usize> {
    mem: UnsafeCell<[u8; N]>,
}

const _: () = assert!(core::mem::align_of::<RegionBuf<1>>() == REGION_ALIGN as usize);

// SAFETY: the bytes are only accessed through `Region`, whose accesses are atomic or
// ordered by the channel protocols (see the channel modules); `RegionBuf` itself hands out
// no references to its contents.
unsafe impl<const N: usize> Sync for RegionBuf<N> {}

impl<const N: usize> RegionBuf<N> {
    /// Zeroed memory.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self { mem: UnsafeCell::new([0; N]) }
    }

    /// Zeroed memory on the heap (avoids building a large value on the stack).
    #[cfg(feature = "std")]
    pub fn new_boxed() -> std::boxed::Box<Self> {
        let layout = std::alloc::Layout::new::<Self>();
        assert!(layout.size() > 0, "RegionBuf<0>");
        // SAFETY: the layout has non-zero size; an all-zero `RegionBuf` is a valid value
        // (a byte array), and the pointer comes from the global allocator with this
        // layout, as `Box::from_raw` requires.
        unsafe {
            let p = std::alloc::alloc_zeroed(layout).cast::<Self>();
            if p.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            std::boxed::Box::from_raw(p)
        }
    }

    /// The first byte (for tests and adversarial peers that write raw bytes).
    pub const fn as_ptr(&self) -> *mut u8 {
        self.mem.get().cast()
    }
}

impl<const N: usize> core::fmt::Debug for RegionBuf<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RegionBuf").field("len", &N).finish_non_exhaustive()
    }
}

/// A borrowed piece of shared memory, not yet interpreted.
#[derive(Debug, Clone, Copy)]
pub struct RegionMem<'a> {
    base: NonNull<u8>,
    len: usize,
    _mem: PhantomData<&'a UnsafeCell<[u8]>>,
}

impl<'a> RegionMem<'a> {
    /// Memory at `base`, `len` bytes long.
    ///
    /// # Safety
    /// For `'a`, `[base, base + len)` must be valid for reads and writes, and accessed
    /// only through `Region`s built from it (any number of them, on any threads or cores)
    /// or by a peer following the splitcore protocol. The contents may be arbitrary:
    /// hostile or garbage bytes give errors, never out-of-bounds accesses. (Payload bytes
    /// racing with a hostile writer are garbage, not undefined behaviour the crate can
    /// prevent: the protocol, not the memory model, excludes that race.)
    pub const unsafe fn from_raw_parts(base: NonNull<u8>, len: usize) -> Self {
        Self { base, len, _mem: PhantomData }
    }

    /// Start address.
    pub const fn as_ptr(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// Length in bytes.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// `true` if the length is zero.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<'a, const N: usize> From<&'a RegionBuf<N>> for RegionMem<'a> {
    fn from(buf: &'a RegionBuf<N>) -> Self {
        // SAFETY: `UnsafeCell::get` of a live reference is non-null; the buffer is valid
        // for 'a and only accessed through regions (it exposes no references).
        unsafe { Self::from_raw_parts(NonNull::new_unchecked(buf.as_ptr()), N) }
    }
}

impl<'a> From<&'a mut [u64]> for RegionMem<'a> {
    fn from(words: &'a mut [u64]) -> Self {
        let len = core::mem::size_of_val(words);
        // SAFETY: the exclusive borrow is held for 'a by the returned value, so nothing
        // else accesses the memory; the pointer of a slice is non-null.
        unsafe { Self::from_raw_parts(NonNull::new_unchecked(words.as_mut_ptr().cast()), len) }
    }
}

/// An initialised or attached region; the source of channel endpoints.
///
/// `Region` is `Send + Sync` and `Copy`-cheap to share by reference; endpoints borrow the
/// memory (`'a`), not the `Region` value.
#[derive(Debug)]
pub struct Region<'a> {
    base: NonNull<u8>,
    total: u32,
    count: u32,
    _mem: PhantomData<&'a UnsafeCell<[u8]>>,
}

// SAFETY: a `Region` only holds the address of memory that `RegionMem` guarantees is
// valid for 'a and shared by design; all its own accesses are atomic.
unsafe impl Send for Region<'_> {}
// SAFETY: as above; `&Region` methods only perform atomic operations.
unsafe impl Sync for Region<'_> {}

/// Geometry of a validated channel body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geom {
    pub(crate) body: *mut u8,
    pub(crate) data: *mut u8,
    pub(crate) capacity: u32,
    pub(crate) elem_size: u32,
    pub(crate) channel: u32,
}

impl Geom {
    /// The atomic word at byte `off` of the body.
    ///
    /// # Safety
    /// `off` is 4-aligned and `off + 4 <= len_bytes` of the validated channel, and the
    /// region outlives `'b`.
    #[inline(always)]
    pub(crate) unsafe fn word<'b>(&self, off: u32) -> &'b AtomicU32 {
        // SAFETY: forwarded; channel bodies are 4-aligned and in bounds (validated at open).
        unsafe { atomic_u32(self.body.add(off as usize).cast()) }
    }
}

/// An exclusive claim on one end of a channel; released on drop.
#[derive(Debug)]
pub(crate) struct Claim<'a> {
    word: NonNull<u32>,
    bit: u32,
    _mem: PhantomData<&'a UnsafeCell<[u8]>>,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        // SAFETY: `word` is a validated, 4-aligned descriptor word inside the region,
        // which is valid for 'a, and it is only accessed atomically.
        unsafe { atomic_u32(self.word.as_ptr()) }.fetch_and(!self.bit, Ordering::Release);
    }
}

// SAFETY: the claim only performs an atomic operation on shared memory valid for 'a.
unsafe impl Send for Claim<'_> {}
// SAFETY: as above; there are no `&self` methods touching memory.
unsafe impl Sync for Claim<'_> {}

fn sat(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

const fn version_word(major: u16, minor: u16) -> u32 {
    let a = major.to_ne_bytes();
    let b = minor.to_ne_bytes();
    u32::from_ne_bytes([a[0], a[1], b[0], b[1]])
}

const fn split_version(w: u32) -> (u16, u16) {
    let b = w.to_ne_bytes();
    (u16::from_ne_bytes([b[0], b[1]]), u16::from_ne_bytes([b[2], b[3]]))
}

const fn kind_word(kind: u8) -> u32 {
    u32::from_ne_bytes([kind, 0, 0, 0])
}

/// A descriptor as read from shared memory.
#[derive(Debug, Clone, Copy)]
struct Desc {
    kind: u32,
    elem_size: u32,
    capacity: u32,
    offset: u32,
    len_bytes: u32,
}

impl Desc {
    fn of(spec: &ChannelSpec) -> Self {
        Self {
            kind: spec.kind as u32,
            elem_size: spec.elem_size,
            capacity: spec.capacity,
            offset: spec.offset,
            len_bytes: spec.len_bytes,
        }
    }
    fn words(&self) -> [u32; 5] {
        [self.kind, self.elem_size, self.capacity, self.offset, self.len_bytes]
    }
    fn first_difference(&self, expected: &Desc) -> Option<(Field, u32, u32)> {
        let fields = [Field::Kind, Field::ElemSize, Field::Capacity, Field::Offset, Field::LenBytes];
        let (f, e) = (self.words(), expected.words());
        (0..5).find(|&i| f[i] != e[i]).map(|i| (fields[i], e[i], f[i]))
    }
}

const HEADER_CHANNEL: u32 = u32::MAX;

impl<'a> Region<'a> {
    /// The header word at `off` (< 32).
    fn hdr(&self, off: u32) -> &'a AtomicU32 {
        debug_assert!(off.is_multiple_of(4) && off + 4 <= SPLITCORE_HEADER_SIZE);
        // SAFETY: every constructor checked that the memory holds at least the header and
        // is 4-aligned; `off` is a constant header offset.
        unsafe { atomic_u32(self.base.as_ptr().add(off as usize).cast()) }
    }

    /// Word `off` of descriptor `i`; `i < self.count`.
    fn desc_word(&self, i: u32, off: u32) -> &'a AtomicU32 {
        debug_assert!(i < self.count && off.is_multiple_of(4) && off < SPLITCORE_DESCRIPTOR_SIZE);
        let at = SPLITCORE_HEADER_SIZE + i * SPLITCORE_DESCRIPTOR_SIZE + off;
        // SAFETY: constructors checked `32 + 24 * count <= total <= len` and alignment 4,
        // and `i < count`, so the word is inside the table.
        unsafe { atomic_u32(self.base.as_ptr().add(at as usize).cast()) }
    }

    fn read_desc(&self, i: u32) -> Desc {
        let r = |off| self.desc_word(i, off).load(Ordering::Relaxed);
        Desc {
            kind: r(DESC_KIND).to_ne_bytes()[0] as u32,
            elem_size: r(DESC_ELEM),
            capacity: r(DESC_CAP),
            offset: r(DESC_OFFSET),
            len_bytes: r(DESC_LEN),
        }
    }

    fn check_mem(mem: &RegionMem<'a>, needed: u32, align: u32) -> Result<(), Error> {
        if !(mem.as_ptr() as usize).is_multiple_of(align as usize) {
            return Err(Error::Misaligned { required: align });
        }
        if mem.len() < needed as usize {
            return Err(Error::RegionTooSmall { needed, available: sat(mem.len()) });
        }
        Ok(())
    }

    /// Initialises the region (the owner's side) and publishes it as ready.
    ///
    /// Fails with [`Error::AlreadyInitialised`] unless the state word is zero (fresh or
    /// zeroed memory); use [`reinit`](Self::reinit) after a restart.
    ///
    /// ```
    /// # use splitcore_ipc::*;
    /// const LAYOUT: Layout = LayoutBuilder::new().ring::<u32>("numbers", 8).build();
    /// static SHARED: RegionBuf<{ LAYOUT.size() }> = RegionBuf::new();
    /// let owner = Region::init(&SHARED, &LAYOUT)?;
    /// let peer = Region::attach(&SHARED, &LAYOUT)?;
    /// assert!(matches!(Region::init(&SHARED, &LAYOUT), Err(Error::AlreadyInitialised { .. })));
    /// # let _ = (owner, peer);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn init(mem: impl Into<RegionMem<'a>>, layout: &Layout) -> Result<Self, Error> {
        Self::init_inner(mem.into(), layout, 0, false)
    }

    /// Like [`init`](Self::init), whatever the state word holds (e.g. after a restart,
    /// or on memory with arbitrary contents).
    ///
    /// # Safety
    /// No endpoint of an earlier `Region` on this memory may be alive, and the peer must
    /// not be using the memory (it will see `INITIALISING`, then `READY`, and must
    /// re-attach).
    pub unsafe fn reinit(mem: impl Into<RegionMem<'a>>, layout: &Layout) -> Result<Self, Error> {
        Self::init_inner(mem.into(), layout, 0, true)
    }

    /// Test hook: [`init`](Self::init) with every ring and frame-ring index starting at
    /// `start` (frame rings: `start & !3`), to exercise counter wrap-around.
    #[doc(hidden)]
    pub fn init_with_start_index(
        mem: impl Into<RegionMem<'a>>,
        layout: &Layout,
        start: u32,
    ) -> Result<Self, Error> {
        Self::init_inner(mem.into(), layout, start, false)
    }

    fn init_inner(mem: RegionMem<'a>, layout: &Layout, start: u32, force: bool) -> Result<Self, Error> {
        Self::check_mem(&mem, layout.size() as u32, layout.align() as u32)?;
        let region = Region {
            base: mem.base,
            total: layout.size() as u32,
            count: layout.channels().len() as u32,
            _mem: PhantomData,
        };
        let state = region.hdr(HDR_STATE);
        if force {
            state.store(SPLITCORE_STATE_INITIALISING, Ordering::Relaxed);
        } else if let Err(found) = state.compare_exchange(
            SPLITCORE_STATE_UNINIT,
            SPLITCORE_STATE_INITIALISING,
            Ordering::Acquire,
            Ordering::Relaxed,
        ) {
            return Err(Error::AlreadyInitialised { state: found });
        }
        // Zero everything after the header; the header words are written atomically below
        // (the peer may be polling `state`).
        // SAFETY: check_mem verified `total <= len`; nobody else may touch the bytes after
        // the header until `READY` is published (protocol; `reinit`'s contract).
        unsafe {
            mem.as_ptr()
                .add(SPLITCORE_HEADER_SIZE as usize)
                .write_bytes(0, (region.total - SPLITCORE_HEADER_SIZE) as usize);
        }
        let rel = Ordering::Relaxed;
        region.hdr(HDR_MAGIC).store(SPLITCORE_MAGIC, rel);
        region.hdr(HDR_VERSION).store(version_word(SPLITCORE_VERSION_MAJOR, SPLITCORE_VERSION_MINOR), rel);
        region.hdr(HDR_TOTAL).store(region.total, rel);
        region.hdr(HDR_COUNT).store(region.count, rel);
        region.hdr(HDR_CHECKSUM).store(layout.checksum(), rel);
        region.hdr(24).store(0, rel);
        region.hdr(28).store(0, rel);
        for (i, spec) in layout.channels().iter().enumerate() {
            let i = i as u32;
            region.desc_word(i, DESC_KIND).store(kind_word(spec.kind as u8), rel);
            region.desc_word(i, DESC_ELEM).store(spec.elem_size, rel);
            region.desc_word(i, DESC_CAP).store(spec.capacity, rel);
            region.desc_word(i, DESC_OFFSET).store(spec.offset, rel);
            region.desc_word(i, DESC_LEN).store(spec.len_bytes, rel);
            region.desc_word(i, DESC_CLAIMS).store(0, rel);
            let first = match spec.kind {
                Kind::Ring => start,
                Kind::Frames => start & !3,
                Kind::Mailbox | Kind::Events => 0,
            };
            let words: &[u32] = match spec.kind {
                Kind::Ring | Kind::Frames => &[0, INDEX_PAD],
                Kind::Mailbox | Kind::Events => &[0],
            };
            for &w in words {
                // SAFETY: the layout placed a 4-aligned body of `len_bytes >= 2 * INDEX_PAD`
                // (rings) or `>= 4` bytes at `offset`, inside `total <= len`.
                unsafe { atomic_u32(mem.as_ptr().add((spec.offset + w) as usize).cast()) }.store(first, rel);
            }
        }
        // Publish: everything above happens-before a peer's Acquire load that sees READY.
        state.store(SPLITCORE_STATE_READY, Ordering::Release);
        Ok(region)
    }

    /// Attaches to a region initialised by the owner, verifying it against `layout`.
    ///
    /// Every mismatch is a specific error naming both values: [`Error::NotInitialised`],
    /// [`Error::BadMagic`], [`Error::VersionMismatch`] (major versions must match),
    /// [`Error::SizeMismatch`], [`Error::ChannelCountMismatch`],
    /// [`Error::DescriptorMismatch`], [`Error::ChecksumMismatch`].
    pub fn attach(mem: impl Into<RegionMem<'a>>, layout: &Layout) -> Result<Self, Error> {
        let mem = mem.into();
        Self::check_mem(&mem, layout.size() as u32, layout.align() as u32)?;
        let region = Self::attach_header(mem)?;
        if region.total != layout.size() as u32 {
            return Err(Error::SizeMismatch { expected: layout.size() as u32, found: region.total });
        }
        let expected_count = layout.channels().len() as u32;
        if region.count != expected_count {
            return Err(Error::ChannelCountMismatch { expected: expected_count, found: region.count });
        }
        for (i, spec) in layout.channels().iter().enumerate() {
            if let Some((field, expected, found)) =
                region.read_desc(i as u32).first_difference(&Desc::of(spec))
            {
                return Err(Error::DescriptorMismatch { channel: i as u32, field, expected, found });
            }
        }
        let found = region.hdr(HDR_CHECKSUM).load(Ordering::Relaxed);
        if found != layout.checksum() {
            return Err(Error::ChecksumMismatch { expected: layout.checksum(), found });
        }
        region.mark_attached();
        Ok(region)
    }

    /// Attaches to whatever layout the region declares (used by the C ABI, which has no
    /// compile-time layout). The header and table are validated for internal consistency;
    /// each descriptor is validated again when an endpoint is opened.
    pub fn attach_any(mem: impl Into<RegionMem<'a>>) -> Result<Self, Error> {
        let mem = mem.into();
        Self::check_mem(&mem, SPLITCORE_HEADER_SIZE, 4)?;
        let region = Self::attach_header(mem)?;
        let mut descs = [[0u32; 5]; SPLITCORE_MAX_CHANNELS as usize];
        for (i, d) in descs.iter_mut().enumerate().take(region.count as usize) {
            *d = region.read_desc(i as u32).words();
        }
        let expected = crate::layout::table_checksum(region.count, &descs);
        let found = region.hdr(HDR_CHECKSUM).load(Ordering::Relaxed);
        if found != expected {
            return Err(Error::ChecksumMismatch { expected, found });
        }
        region.mark_attached();
        Ok(region)
    }

    fn attach_header(mem: RegionMem<'a>) -> Result<Self, Error> {
        let mut region = Region { base: mem.base, total: SPLITCORE_HEADER_SIZE, count: 0, _mem: PhantomData };
        let state = region.hdr(HDR_STATE).load(Ordering::Acquire);
        if state != SPLITCORE_STATE_READY && state != SPLITCORE_STATE_ATTACHED {
            return Err(Error::NotInitialised { state });
        }
        let magic = region.hdr(HDR_MAGIC).load(Ordering::Relaxed);
        if magic != SPLITCORE_MAGIC {
            return Err(Error::BadMagic { expected: SPLITCORE_MAGIC, found: magic });
        }
        let theirs = split_version(region.hdr(HDR_VERSION).load(Ordering::Relaxed));
        if theirs.0 != SPLITCORE_VERSION_MAJOR {
            return Err(Error::VersionMismatch {
                ours: (SPLITCORE_VERSION_MAJOR, SPLITCORE_VERSION_MINOR),
                theirs,
            });
        }
        let total = region.hdr(HDR_TOTAL).load(Ordering::Relaxed);
        let count = region.hdr(HDR_COUNT).load(Ordering::Relaxed);
        if count > SPLITCORE_MAX_CHANNELS {
            return Err(Error::PeerCorrupt {
                channel: HEADER_CHANNEL,
                field: Field::ChannelCount,
                value: count,
                limit: SPLITCORE_MAX_CHANNELS,
            });
        }
        let table_end = SPLITCORE_HEADER_SIZE + count * SPLITCORE_DESCRIPTOR_SIZE;
        if total < table_end {
            return Err(Error::PeerCorrupt {
                channel: HEADER_CHANNEL,
                field: Field::TotalSize,
                value: total,
                limit: table_end,
            });
        }
        if total as usize > mem.len() {
            return Err(Error::RegionTooSmall { needed: total, available: sat(mem.len()) });
        }
        region.total = total;
        region.count = count;
        Ok(region)
    }

    fn mark_attached(&self) {
        // Failure means it was already ATTACHED (or changed under us): either is fine.
        let _ = self.hdr(HDR_STATE).compare_exchange(
            SPLITCORE_STATE_READY,
            SPLITCORE_STATE_ATTACHED,
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }

    /// Number of channels.
    pub fn channel_count(&self) -> u32 {
        self.count
    }

    /// Region size in bytes (from the header).
    pub fn size(&self) -> u32 {
        self.total
    }

    /// The state word (`SPLITCORE_STATE_*`).
    pub fn state(&self) -> u32 {
        self.hdr(HDR_STATE).load(Ordering::Acquire)
    }

    /// Validates channel `channel` for an endpoint of `kind` with `elem_size`, compares it
    /// with `expected` if given, and claims `end`.
    pub(crate) fn open(
        &self,
        channel: u32,
        kind: Kind,
        elem_size: u32,
        expected: Option<&ChannelSpec>,
        end: End,
    ) -> Result<(Geom, Claim<'a>), Error> {
        if channel >= self.count {
            return Err(Error::NoSuchChannel { channel, count: self.count });
        }
        let d = self.read_desc(channel);
        let want = match expected {
            Some(spec) => Desc::of(spec),
            None => Desc { kind: kind as u32, elem_size, ..d },
        };
        if let Some((field, expected, found)) = d.first_difference(&want) {
            return Err(Error::DescriptorMismatch { channel, field, expected, found });
        }
        if want.kind != kind as u32 || want.elem_size != elem_size {
            // A typed id whose spec disagrees with the request cannot be built by the
            // `Layout::*_id` functions; report it like a descriptor mismatch.
            return Err(Error::DescriptorMismatch {
                channel,
                field: Field::Kind,
                expected: kind as u32,
                found: want.kind,
            });
        }
        let corrupt = |field, value, limit| Error::PeerCorrupt { channel, field, value, limit };
        let table_end = SPLITCORE_HEADER_SIZE + self.count * SPLITCORE_DESCRIPTOR_SIZE;
        if !d.offset.is_multiple_of(4) || d.offset < table_end || d.offset > self.total {
            return Err(corrupt(Field::Offset, d.offset, self.total));
        }
        let room = self.total - d.offset;
        if d.len_bytes > room {
            return Err(corrupt(Field::LenBytes, d.len_bytes, room));
        }
        let pow2 = |c: u32| c.is_power_of_two() && c <= 1 << 31;
        let data_off = match kind {
            Kind::Ring => {
                if !pow2(d.capacity) {
                    return Err(corrupt(Field::Capacity, d.capacity, 1 << 31));
                }
                let bytes = d.capacity as u64 * d.elem_size as u64;
                if bytes + 2 * INDEX_PAD as u64 > d.len_bytes as u64 {
                    return Err(corrupt(Field::LenBytes, d.len_bytes, d.len_bytes));
                }
                d.len_bytes - bytes as u32
            }
            Kind::Frames => {
                if !pow2(d.capacity) || d.capacity < 16 {
                    return Err(corrupt(Field::Capacity, d.capacity, 1 << 31));
                }
                if d.capacity as u64 + 2 * INDEX_PAD as u64 > d.len_bytes as u64 {
                    return Err(corrupt(Field::LenBytes, d.len_bytes, d.len_bytes));
                }
                2 * INDEX_PAD
            }
            Kind::Mailbox => {
                if !d.elem_size.is_multiple_of(4)
                    || d.elem_size == 0
                    || d.elem_size > d.len_bytes.saturating_sub(4)
                {
                    return Err(corrupt(Field::ElemSize, d.elem_size, d.len_bytes.saturating_sub(4)));
                }
                4
            }
            Kind::Events => {
                if d.len_bytes < 4 {
                    return Err(corrupt(Field::LenBytes, d.len_bytes, 4));
                }
                0
            }
        };
        // SAFETY: `offset + len_bytes <= total <= len` was checked above (and by the
        // constructor), so both pointers stay inside the region.
        let (body, data) = unsafe {
            let body = self.base.as_ptr().add(d.offset as usize);
            (body, body.add(data_off as usize))
        };
        let bit = match end {
            End::Producer => SPLITCORE_CLAIM_PRODUCER,
            End::Consumer => SPLITCORE_CLAIM_CONSUMER,
        };
        let word = self.desc_word(channel, DESC_CLAIMS);
        // Acquire: see everything the previous holder of this end published before its
        // Release in `Claim::drop`.
        if word.fetch_or(bit, Ordering::Acquire) & bit != 0 {
            return Err(Error::AlreadyClaimed { channel, end });
        }
        let at = SPLITCORE_HEADER_SIZE + channel * SPLITCORE_DESCRIPTOR_SIZE + DESC_CLAIMS;
        // SAFETY: inside the descriptor table (channel < count), non-null.
        let word = unsafe { NonNull::new_unchecked(self.base.as_ptr().add(at as usize).cast()) };
        Ok((
            Geom { body, data, capacity: d.capacity, elem_size: d.elem_size, channel },
            Claim { word, bit, _mem: PhantomData },
        ))
    }
}
