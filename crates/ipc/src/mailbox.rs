//! Latest-value mailbox (a sequence lock).
//!
//! # Protocol
//!
//! The body is a `seq: u32` followed by the payload words. `seq == 0` means "never
//! written"; an odd `seq` means "write in progress". The writer never waits; the reader never
//! returns a torn value, and gives up with [`Error::Busy`] after a bounded number of
//! attempts.
//!
//! # Memory ordering
//!
//! Writer: store `seq + 1` (odd, Relaxed); **Release fence**; store the payload words
//! (Relaxed atomics); store `seq + 2` with **Release**.
//! Reader: load `seq` with **Acquire** (`s1`; retry if odd); load the payload words
//! (Relaxed atomics); **Acquire fence**; load `seq` again (Relaxed, `s2`). If `s1 == s2` the
//! words were all written by the single write that ended with `s1`: the Acquire load of
//! `s1` synchronises with that write's final Release store, and if any word came from a
//! later write, the Acquire fence synchronises with that write's Release fence, so the
//! second load sees its odd (or a later) `seq` and the attempt is discarded.
//!
//! The payload is copied word by word through `AtomicU32`, never with a plain `memcpy`: the
//! reader and writer really do race on those words, and only atomic accesses make that race
//! defined.
//!
//! # Why bounded
//!
//! Core 1 must stay wait-free: if the writer is interrupted (or preempted by the RTOS)
//! between its two `seq` stores, an unbounded reader would spin for as long. The reader
//! retries [`DEFAULT_READ_RETRIES`] times (configurable) and then returns `Busy`; the caller
//! decides whether to try again later.

use core::marker::PhantomData;

use bytemuck::Pod;

use crate::error::{End, Error};
use crate::layout::{ChannelId, Kind, Mailbox};
use crate::region::{Claim, Geom, Region};
use crate::sync::{fence, Ordering};

/// Attempts a [`MailboxReader`] makes before returning [`Error::Busy`].
pub const DEFAULT_READ_RETRIES: u32 = 16;

/// Untyped mailbox endpoint (payload size known at run time).
#[derive(Debug)]
pub(crate) struct RawMailbox<'a> {
    g: Geom,
    /// Writer: the last even sequence it published.
    seq: u32,
    pub(crate) retries: u32,
    #[cfg_attr(not(feature = "ffi"), allow(dead_code))] // used by the C ABI
    pub(crate) end: End,
    _claim: Claim<'a>,
}

impl<'a> RawMailbox<'a> {
    pub(crate) fn open(
        region: &Region<'a>,
        channel: u32,
        elem_size: u32,
        expected: Option<&crate::ChannelSpec>,
        end: End,
    ) -> Result<Self, Error> {
        let (g, claim) = region.open(channel, Kind::Mailbox, elem_size, expected, end)?;
        // SAFETY: word 0 of a validated mailbox body (`len_bytes >= 4 + elem_size`).
        let current = unsafe { g.word(0) }.load(Ordering::Acquire);
        // An odd value is a write cut short (a writer that died): continue from the next even.
        let seq = current.wrapping_add(current & 1);
        Ok(RawMailbox { g, seq, retries: DEFAULT_READ_RETRIES, end, _claim: claim })
    }

    /// Writes `elem_size` bytes from `src`.
    ///
    /// # Safety
    /// `src` is valid for `elem_size` bytes of reads (no alignment needed).
    #[inline]
    pub(crate) unsafe fn write(&mut self, src: *const u8) {
        // SAFETY: word 0 of the validated body.
        let seq = unsafe { self.g.word(0) };
        let odd = self.seq.wrapping_add(1);
        let mut next = self.seq.wrapping_add(2);
        if next == 0 {
            next = 2; // 0 means "never written"
        }
        seq.store(odd, Ordering::Relaxed);
        fence(Ordering::Release);
        for i in 0..self.g.elem_size / 4 {
            // SAFETY: `src` has `elem_size` readable bytes (caller); word `1 + i` lies inside
            // the validated body (`4 + elem_size <= len_bytes`).
            unsafe {
                let w = src.add(4 * i as usize).cast::<u32>().read_unaligned();
                self.g.word(4 + 4 * i).store(w, Ordering::Relaxed);
            }
        }
        seq.store(next, Ordering::Release);
        self.seq = next;
    }

    /// Reads into `dst`: `Ok(false)` if never written, `Err(Busy)` after `retries` torn
    /// attempts. `dst` may receive torn data on failed attempts.
    ///
    /// # Safety
    /// `dst` is valid for `elem_size` bytes of writes (no alignment needed).
    #[inline]
    pub(crate) unsafe fn read(&self, dst: *mut u8) -> Result<bool, Error> {
        // SAFETY: word 0 of the validated body.
        let seq = unsafe { self.g.word(0) };
        for _ in 0..self.retries {
            let s1 = seq.load(Ordering::Acquire);
            if s1 == 0 {
                return Ok(false);
            }
            if s1 & 1 == 1 {
                core::hint::spin_loop();
                continue;
            }
            for i in 0..self.g.elem_size / 4 {
                // SAFETY: as in `write`, with `dst` writable by the caller's contract.
                unsafe {
                    let w = self.g.word(4 + 4 * i).load(Ordering::Relaxed);
                    dst.add(4 * i as usize).cast::<u32>().write_unaligned(w);
                }
            }
            fence(Ordering::Acquire);
            if seq.load(Ordering::Relaxed) == s1 {
                return Ok(true);
            }
        }
        Err(Error::Busy)
    }
}

/// The writer end of a mailbox of `T`. `Send`, not `Sync`.
///
/// ```
/// # use splitcore_ipc::*;
/// const LAYOUT: Layout = LayoutBuilder::new().mailbox::<[u32; 2]>("status").build();
/// const STATUS: ChannelId<Mailbox<[u32; 2]>> = LAYOUT.mailbox_id("status");
/// static SHARED: RegionBuf<{ LAYOUT.size() }> = RegionBuf::new();
///
/// let region = Region::init(&SHARED, &LAYOUT)?;
/// let (mut w, r) = (region.mailbox_writer(STATUS)?, region.mailbox_reader(STATUS)?);
/// assert_eq!(r.read()?, None);
/// w.write(&[1, 2]);
/// w.write(&[3, 4]);
/// assert_eq!(r.read()?, Some([3, 4]));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct MailboxWriter<'a, T> {
    raw: RawMailbox<'a>,
    _t: PhantomData<fn(T)>,
}

/// The reader end of a mailbox of `T`. `Send`, not `Sync`.
#[derive(Debug)]
pub struct MailboxReader<'a, T> {
    raw: RawMailbox<'a>,
    _t: PhantomData<fn() -> T>,
}

// SAFETY: the endpoint owns its claim; moving it moves that exclusive role. Values are
// copied as plain bytes (`T: Pod`).
unsafe impl<T> Send for MailboxWriter<'_, T> {}
// SAFETY: as for `MailboxWriter`.
unsafe impl<T> Send for MailboxReader<'_, T> {}

impl<'a> Region<'a> {
    /// Claims the writer end of mailbox `id`.
    pub fn mailbox_writer<T: Pod>(&self, id: ChannelId<Mailbox<T>>) -> Result<MailboxWriter<'a, T>, Error> {
        let raw = RawMailbox::open(self, id.index(), size_of::<T>() as u32, Some(id.spec()), End::Producer)?;
        Ok(MailboxWriter { raw, _t: PhantomData })
    }

    /// Claims the reader end of mailbox `id`.
    pub fn mailbox_reader<T: Pod>(&self, id: ChannelId<Mailbox<T>>) -> Result<MailboxReader<'a, T>, Error> {
        let raw = RawMailbox::open(self, id.index(), size_of::<T>() as u32, Some(id.spec()), End::Consumer)?;
        Ok(MailboxReader { raw, _t: PhantomData })
    }
}

impl<T: Pod> MailboxWriter<'_, T> {
    /// Replaces the value. Wait-free.
    #[inline]
    pub fn write(&mut self, value: &T) {
        // SAFETY: `value` is `size_of::<T>() == elem_size` readable bytes (checked at open).
        unsafe { self.raw.write((value as *const T).cast()) }
    }
}

impl<T: Pod> MailboxReader<'_, T> {
    /// The latest value: `Ok(None)` if never written, [`Error::Busy`] if every attempt
    /// overlapped a write. Never returns a torn value. Wait-free (bounded retries).
    #[inline]
    pub fn read(&self) -> Result<Option<T>, Error> {
        let mut v = T::zeroed();
        // SAFETY: `v` is `size_of::<T>() == elem_size` writable bytes, and any bytes are a
        // valid `T` (`Pod`), torn attempts included.
        let written = unsafe { self.raw.read((&mut v as *mut T).cast()) }?;
        Ok(written.then_some(v))
    }

    /// Sets the number of attempts before [`Error::Busy`] (at least 1).
    pub fn set_retries(&mut self, retries: u32) {
        self.raw.retries = retries.max(1);
    }
}
