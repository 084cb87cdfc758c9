//! Byte-frame ring: variable-length messages, zero-copy on both sides.
//!
//! # Protocol
//!
//! Like the typed ring, the body holds free-running `head`/`tail` counters, here in bytes,
//! followed by `capacity` data bytes (a power of two). Each frame is a record: a `u32`
//! length header, then the payload padded to a multiple of 4 bytes; records start 4-aligned
//! and are never split across the end of the buffer. When a record does not fit before the
//! end, the producer writes the header value [`SPLITCORE_FRAME_WRAP`](crate::raw::SPLITCORE_FRAME_WRAP)
//! and the record starts at offset 0; the bytes up to the end count as used.
//!
//! Because of that skip, a frame is only guaranteed to fit eventually if its record takes at
//! most half the buffer: [`FrameProducer::max_frame_len`] is `capacity / 2 - 4`. Longer
//! requests fail with [`Error::FrameTooLarge`]; nothing is ever truncated.
//!
//! # Memory ordering
//!
//! The producer writes the payload, the header (and a wrap marker if needed), then stores
//! `head` with **Release**; the consumer's **Acquire** load of `head` makes all of them
//! visible before it reads a header. The consumer reads the record, then stores `tail`
//! with **Release**; the producer's **Acquire** load of `tail` orders its reuse of the bytes
//! after that read.
//!
//! # Grants
//!
//! [`FrameProducer::grant`] reserves space and returns a [`WriteGrant`] (a `&mut [u8]`);
//! [`WriteGrant::commit`] publishes it. Dropping a `WriteGrant` without committing publishes
//! nothing. [`FrameConsumer::read`] returns a [`ReadGrant`] (a `&[u8]`);
//! [`ReadGrant::release`] frees it. Dropping a `ReadGrant` without releasing frees nothing:
//! the next `read` returns the same frame.
//!
//! # Untrusted peer
//!
//! Every header the consumer reads is checked (`len <= max_frame_len`, record inside both the
//! published bytes and the buffer end, wrap markers only where a wrap can happen); a bad one
//! is [`Error::PeerCorrupt`]. The error is not sticky: the consumer forgets what it cached from
//! the peer, and once the shared values are valid again it goes on from the last frame it
//! released.

use core::ops::{Deref, DerefMut};

use crate::error::{End, Error, Field};
use crate::layout::{ChannelId, Frames, Kind};
use crate::raw::SPLITCORE_FRAME_WRAP;
use crate::region::{Claim, Region};
use crate::ring::Cursor;
use crate::sync;

const fn record_len(len: u32) -> u32 {
    4 + ((len + 3) & !3)
}

/// The producer end of a frame ring. `Send`, not `Sync`.
///
/// ```
/// # use splitcore_ipc::*;
/// const LAYOUT: Layout = LayoutBuilder::new().frames("log", 256).build();
/// const LOG: ChannelId<Frames> = LAYOUT.frames_id("log");
/// static SHARED: RegionBuf<{ LAYOUT.size() }> = RegionBuf::new();
///
/// let region = Region::init(&SHARED, &LAYOUT)?;
/// let (mut tx, mut rx) = (region.frame_producer(LOG)?, region.frame_consumer(LOG)?);
/// let mut grant = tx.grant(32)?;
/// grant[..5].copy_from_slice(b"hello");
/// grant.commit(5);
/// let frame = rx.read()?.expect("a frame");
/// assert_eq!(&*frame, b"hello");
/// frame.release();
/// assert_eq!(tx.grant(1000).err(), Some(Error::FrameTooLarge { len: 1000, max: 124 }));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct FrameProducer<'a> {
    c: Cursor,
    data: *mut u8,
    _claim: Claim<'a>,
}

/// The consumer end of a frame ring. `Send`, not `Sync`.
#[derive(Debug)]
pub struct FrameConsumer<'a> {
    c: Cursor,
    data: *mut u8,
    _claim: Claim<'a>,
}

// SAFETY: the endpoint owns its claim on one end; moving it moves that exclusive role.
unsafe impl Send for FrameProducer<'_> {}
// SAFETY: as for `FrameProducer`.
unsafe impl Send for FrameConsumer<'_> {}

/// A reservation in the frame ring (producer side, not yet published).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawGrant {
    /// Bytes skipped to the end of the buffer (a wrap marker goes at the current position).
    skip: u32,
    /// Granted payload length.
    len: u32,
}

/// A frame available to the consumer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawRead {
    pos: u32,
    len: u32,
    rec: u32,
}

impl RawRead {
    #[cfg_attr(not(feature = "ffi"), allow(dead_code))]
    pub(crate) fn len(&self) -> u32 {
        self.len
    }
}

impl<'a> Region<'a> {
    /// Claims the producer end of frame ring `id`.
    pub fn frame_producer(&self, id: ChannelId<Frames>) -> Result<FrameProducer<'a>, Error> {
        let (c, data, claim) = self.open_frames(id.index(), Some(id), End::Producer)?;
        Ok(FrameProducer { c, data, _claim: claim })
    }

    /// Claims the consumer end of frame ring `id`.
    pub fn frame_consumer(&self, id: ChannelId<Frames>) -> Result<FrameConsumer<'a>, Error> {
        let (c, data, claim) = self.open_frames(id.index(), Some(id), End::Consumer)?;
        Ok(FrameConsumer { c, data, _claim: claim })
    }

    pub(crate) fn open_frames(
        &self,
        channel: u32,
        id: Option<ChannelId<Frames>>,
        end: End,
    ) -> Result<(Cursor, *mut u8, Claim<'a>), Error> {
        let (g, claim) = self.open(channel, Kind::Frames, 1, id.as_ref().map(|i| i.spec()), end)?;
        Ok((Cursor::new(&g, end, 4)?, g.data, claim))
    }
}

impl<'a> FrameProducer<'a> {
    #[cfg_attr(not(feature = "ffi"), allow(dead_code))] // used by the C ABI
    pub(crate) fn from_parts(c: Cursor, data: *mut u8, claim: Claim<'a>) -> Self {
        Self { c, data, _claim: claim }
    }

    /// The largest frame this ring accepts: `capacity / 2 - 4`.
    pub fn max_frame_len(&self) -> usize {
        (self.c.cap / 2 - 4) as usize
    }

    /// Reserves room for a frame of up to `len` bytes. [`Error::Full`] if there is not
    /// enough free space now; [`Error::FrameTooLarge`] if `len > max_frame_len()`.
    #[inline]
    pub fn grant(&mut self, len: usize) -> Result<WriteGrant<'_, 'a>, Error> {
        let g = self.grant_raw(len)?;
        Ok(WriteGrant { prod: self, g })
    }

    /// Copies `frame` into the ring as one frame.
    pub fn send(&mut self, frame: &[u8]) -> Result<(), Error> {
        let mut g = self.grant(frame.len())?;
        g.copy_from_slice(frame);
        g.commit(frame.len());
        Ok(())
    }

    #[inline]
    pub(crate) fn grant_raw(&mut self, len: usize) -> Result<RawGrant, Error> {
        let max = self.c.cap / 2 - 4;
        if len > max as usize {
            return Err(Error::FrameTooLarge { len: u32::try_from(len).unwrap_or(u32::MAX), max });
        }
        let len = len as u32;
        let need = record_len(len);
        let to_end = self.c.cap - (self.c.local & self.c.mask);
        let skip = if to_end >= need { 0 } else { to_end };
        let required = skip + need;
        if self.c.cached_free() < required && self.c.refresh_producer()? < required {
            return Err(Error::Full);
        }
        Ok(RawGrant { skip, len })
    }

    /// The payload pointer of a grant.
    #[inline]
    pub(crate) fn grant_ptr(&self, g: &RawGrant) -> *mut u8 {
        let pos = self.c.local.wrapping_add(g.skip) & self.c.mask;
        // SAFETY: `pos + 4 + len <= cap` (no skip: `to_end >= need`; skip: `pos == 0` and
        // `need <= cap / 2`), inside the validated data bytes.
        unsafe { self.data.add(pos as usize + 4) }
    }

    #[inline]
    pub(crate) fn commit_raw(&mut self, g: RawGrant, used: usize) {
        let used = (used.min(g.len as usize)) as u32;
        // SAFETY: both header positions are 4-aligned (indices advance in multiples of 4,
        // `cap` is a multiple of 4) and inside the data bytes (see `grant_ptr`); the space
        // is free (checked in `grant_raw` against an acquired `tail`).
        unsafe {
            if g.skip > 0 {
                let at = self.data.add((self.c.local & self.c.mask) as usize);
                sync::track_write(at);
                at.cast::<u32>().write(SPLITCORE_FRAME_WRAP);
            }
            let at = self.data.add((self.c.local.wrapping_add(g.skip) & self.c.mask) as usize);
            sync::track_write(at);
            at.cast::<u32>().write(used);
        }
        self.c.advance(g.skip + record_len(used));
    }

    /// Free bytes, re-reading the consumer's index (corrupt reads as 0).
    pub fn free_bytes(&mut self) -> usize {
        self.c.refresh_producer().unwrap_or(0) as usize
    }
}

/// Writable space for one frame; publish it with [`commit`](Self::commit). Dropping it
/// publishes nothing.
#[derive(Debug)]
#[must_use = "a grant publishes nothing unless committed"]
pub struct WriteGrant<'p, 'a> {
    prod: &'p mut FrameProducer<'a>,
    g: RawGrant,
}

impl WriteGrant<'_, '_> {
    /// Publishes the first `used` bytes as one frame (`used` is clamped to the granted
    /// length; record space beyond it is returned to the ring).
    #[inline]
    pub fn commit(self, used: usize) {
        self.prod.commit_raw(self.g, used);
    }

    /// Publishes the whole granted length.
    pub fn commit_all(self) {
        let len = self.g.len as usize;
        self.commit(len);
    }
}

impl Deref for WriteGrant<'_, '_> {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: `grant_ptr` is valid for `len` bytes that only this producer may touch
        // until it publishes them; the grant borrows the producer mutably.
        unsafe { core::slice::from_raw_parts(self.prod.grant_ptr(&self.g), self.g.len as usize) }
    }
}

impl DerefMut for WriteGrant<'_, '_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, and `&mut self` makes the slice unique.
        unsafe { core::slice::from_raw_parts_mut(self.prod.grant_ptr(&self.g), self.g.len as usize) }
    }
}

impl<'a> FrameConsumer<'a> {
    #[cfg_attr(not(feature = "ffi"), allow(dead_code))] // used by the C ABI
    pub(crate) fn from_parts(c: Cursor, data: *mut u8, claim: Claim<'a>) -> Self {
        Self { c, data, _claim: claim }
    }

    /// The oldest frame, or `Ok(None)` if there is none. [`Error::PeerCorrupt`] if a
    /// record header or the producer's index is out of range.
    #[inline]
    pub fn read(&mut self) -> Result<Option<ReadGrant<'_, 'a>>, Error> {
        Ok(self.read_raw()?.map(|r| ReadGrant { cons: self, r }))
    }

    /// Copies the oldest frame into `buf` and releases it; returns its length.
    /// [`Error::FrameTooLarge`] (frame kept) if `buf` is too small.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<Option<usize>, Error> {
        let Some(frame) = self.read()? else {
            return Ok(None);
        };
        let n = frame.len();
        let Some(dst) = buf.get_mut(..n) else {
            return Err(Error::FrameTooLarge {
                len: n as u32,
                max: u32::try_from(buf.len()).unwrap_or(u32::MAX),
            });
        };
        dst.copy_from_slice(&frame);
        frame.release();
        Ok(Some(n))
    }

    /// [`read_frame`](Self::read_frame); after an error the consumer forgets the producer's
    /// index it cached and any wrap marker it skipped, so once the peer's values are valid
    /// again (a transient corruption, a producer that re-wrote its index) the next read
    /// re-reads them and goes on from the last frame released: nothing released is lost,
    /// nothing unreleased is skipped.
    #[inline]
    pub(crate) fn read_raw(&mut self) -> Result<Option<RawRead>, Error> {
        let released = self.c.local;
        let result = self.read_frame();
        if result.is_err() {
            self.c.local = released;
            self.c.cache = released;
        }
        result
    }

    #[inline(always)]
    fn read_frame(&mut self) -> Result<Option<RawRead>, Error> {
        let max = self.c.cap / 2 - 4;
        let channel = self.c.channel;
        let corrupt =
            move |value, limit| Error::PeerCorrupt { channel, field: Field::FrameLen, value, limit };
        // At most a wrap marker, then a record.
        for _ in 0..2 {
            let mut avail = self.c.cached_avail();
            if avail == 0 {
                avail = self.c.refresh_consumer()?;
                if avail == 0 {
                    return Ok(None);
                }
            }
            if avail < 4 {
                return Err(Error::PeerCorrupt {
                    channel: self.c.channel,
                    field: Field::Head,
                    value: self.c.cache,
                    limit: self.c.local.wrapping_add(4),
                });
            }
            let pos = self.c.local & self.c.mask;
            let to_end = self.c.cap - pos;
            // SAFETY: `local` is 4-aligned (checked at open, advanced by multiples of 4) so
            // `pos` is a 4-aligned offset `< cap` inside the data bytes; the header was
            // published before the `head` value we acquired (`avail >= 4`).
            let hdr = unsafe {
                let at = self.data.add(pos as usize);
                sync::track_read(at);
                at.cast::<u32>().read()
            };
            if hdr == SPLITCORE_FRAME_WRAP {
                if pos == 0 || to_end > avail {
                    return Err(corrupt(hdr, max));
                }
                // Skip locally; published with the next release.
                self.c.local = self.c.local.wrapping_add(to_end);
                continue;
            }
            if hdr > max {
                return Err(corrupt(hdr, max));
            }
            let rec = record_len(hdr);
            if rec > to_end || rec > avail {
                return Err(corrupt(hdr, to_end.min(avail) - 4));
            }
            return Ok(Some(RawRead { pos, len: hdr, rec }));
        }
        Err(corrupt(SPLITCORE_FRAME_WRAP, max))
    }

    #[inline]
    pub(crate) fn read_ptr(&self, r: &RawRead) -> *const u8 {
        // SAFETY: `pos + rec <= cap` was checked in `read_raw`.
        unsafe { self.data.add(r.pos as usize + 4) }
    }

    #[inline]
    pub(crate) fn release_raw(&mut self, r: RawRead) {
        self.c.advance(r.rec);
    }

    /// Bytes published and not yet released, re-reading the producer's index (corrupt
    /// reads as 0).
    pub fn pending_bytes(&mut self) -> usize {
        self.c.refresh_consumer().unwrap_or(0) as usize
    }
}

/// One received frame; free it with [`release`](Self::release). Dropping it frees nothing.
#[derive(Debug)]
#[must_use = "a frame stays in the ring unless released"]
pub struct ReadGrant<'p, 'a> {
    cons: &'p mut FrameConsumer<'a>,
    r: RawRead,
}

impl ReadGrant<'_, '_> {
    /// Frees the frame's space for the producer.
    #[inline]
    pub fn release(self) {
        self.cons.release_raw(self.r);
    }
}

impl Deref for ReadGrant<'_, '_> {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: the record was validated to lie inside the data bytes and was published
        // (Acquire); the producer does not reuse it until we release it.
        unsafe { core::slice::from_raw_parts(self.cons.read_ptr(&self.r), self.r.len as usize) }
    }
}
