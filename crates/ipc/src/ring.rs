//! Typed single-producer single-consumer ring.
//!
//! # Protocol
//!
//! The body holds two free-running `u32` counters, `head` (written only by the producer)
//! and `tail` (written only by the consumer), and `capacity` slots (a power of two). Item
//! number `n` lives in slot `n & (capacity - 1)`. The ring holds `head - tail` items
//! (wrapping subtraction), which is always in `0..=capacity`, so the full capacity is
//! usable and the counters may wrap around `u32::MAX` freely.
//!
//! # Memory ordering
//!
//! * The producer writes the slot, then stores the new `head` with **Release**. The
//!   consumer loads `head` with **Acquire** before reading slots, so it sees every slot
//!   write that precedes the `head` value it observed: never uninitialised or torn items.
//! * The consumer reads the slot, then stores the new `tail` with **Release**. The producer
//!   loads `tail` with **Acquire** before reusing slots, so its new write cannot overtake
//!   the consumer's read of the old item.
//! * Each endpoint keeps its own index in a local field (it is the only writer) and a cached
//!   copy of the other side's index; shared memory is read only when the cache says full
//!   (producer) or empty (consumer). The fast path is: compare, access the slot, one
//!   Release store.
//!
//! # Index padding
//!
//! `head` and `tail` are [`INDEX_PAD`](crate::INDEX_PAD) bytes apart: a cache line on hosts,
//! so the two cores do not fight over one line; nothing on the ESP32-S3, whose internal SRAM
//! is not data-cached.
//!
//! # Untrusted peer
//!
//! A peer index read from shared memory is accepted only if it is within `capacity` of the
//! local index; otherwise the operation returns [`Error::PeerCorrupt`]. Slot addresses are
//! always formed from the local index masked by `capacity - 1`, so no value in shared memory
//! can make an access leave the ring.

use core::marker::PhantomData;

use bytemuck::Pod;

use crate::error::{End, Error, Field, PushError};
use crate::layout::{ChannelId, Kind, Ring, INDEX_PAD};
use crate::region::{Claim, Geom, Region};
use crate::sync::{self, atomic_u32, Ordering};

/// One side's view of a `head`/`tail` pair (shared by the ring and the frame ring).
#[derive(Debug)]
pub(crate) struct Cursor {
    /// Our index word in shared memory.
    own: *mut u32,
    /// The peer's index word in shared memory.
    peer: *mut u32,
    /// Capacity (power of two, `<= 2^31`).
    pub(crate) cap: u32,
    /// `cap - 1`.
    pub(crate) mask: u32,
    /// Our index; the shared copy equals it after every publish.
    pub(crate) local: u32,
    /// Last validated peer index: producer: `local - cache <= cap`; consumer:
    /// `cache - local <= cap`.
    pub(crate) cache: u32,
    pub(crate) channel: u32,
}

impl Cursor {
    /// Opens a cursor on a validated ring or frame-ring body. `align` is the required
    /// alignment of our own index (4 for frame rings, 1 otherwise).
    pub(crate) fn new(g: &Geom, end: End, align: u32) -> Result<Self, Error> {
        let head = g.body.cast::<u32>();
        // SAFETY: validated bodies are at least `2 * INDEX_PAD` bytes long.
        let tail = unsafe { g.body.add(INDEX_PAD as usize) }.cast::<u32>();
        let (own, peer, own_field) = match end {
            End::Producer => (head, tail, Field::Head),
            End::Consumer => (tail, head, Field::Tail),
        };
        let mut c = Cursor {
            own,
            peer,
            cap: g.capacity,
            mask: g.capacity - 1,
            local: 0,
            cache: 0,
            channel: g.channel,
        };
        // SAFETY: `own` is one of the two index words of the validated body.
        c.local = unsafe { atomic_u32(own) }.load(Ordering::Acquire);
        if !c.local.is_multiple_of(align) {
            return Err(Error::PeerCorrupt {
                channel: g.channel,
                field: own_field,
                value: c.local,
                limit: u32::MAX - (align - 1),
            });
        }
        c.cache = c.local;
        match end {
            End::Producer => c.refresh_producer()?,
            End::Consumer => c.refresh_consumer()?,
        };
        Ok(c)
    }

    /// Reloads the consumer's index; returns the free space.
    #[inline]
    pub(crate) fn refresh_producer(&mut self) -> Result<u32, Error> {
        // SAFETY: `peer` is an index word of the validated body, valid for the claim.
        let tail = unsafe { atomic_u32(self.peer) }.load(Ordering::Acquire);
        let used = self.local.wrapping_sub(tail);
        if used > self.cap {
            return Err(Error::PeerCorrupt {
                channel: self.channel,
                field: Field::Tail,
                value: tail,
                limit: self.cap,
            });
        }
        self.cache = tail;
        Ok(self.cap - used)
    }

    /// Reloads the producer's index; returns the number of available items/bytes.
    #[inline]
    pub(crate) fn refresh_consumer(&mut self) -> Result<u32, Error> {
        // SAFETY: as in `refresh_producer`.
        let head = unsafe { atomic_u32(self.peer) }.load(Ordering::Acquire);
        let avail = head.wrapping_sub(self.local);
        if avail > self.cap {
            return Err(Error::PeerCorrupt {
                channel: self.channel,
                field: Field::Head,
                value: head,
                limit: self.cap,
            });
        }
        self.cache = head;
        Ok(avail)
    }

    /// Producer: free space according to the cache.
    #[inline(always)]
    pub(crate) fn cached_free(&self) -> u32 {
        self.cap - self.local.wrapping_sub(self.cache)
    }

    /// Consumer: available items according to the cache.
    #[inline(always)]
    pub(crate) fn cached_avail(&self) -> u32 {
        self.cache.wrapping_sub(self.local)
    }

    /// Advances our index by `n` and publishes it (Release).
    #[inline(always)]
    pub(crate) fn advance(&mut self, n: u32) {
        self.publish(self.local.wrapping_add(n));
    }

    /// Sets our index to `next` and publishes it (Release). The hot paths compute `next` from
    /// a copy of `local` taken before they touch the slot: a slot write through a raw pointer
    /// could alias `self` as far as the compiler knows, which would force a reload.
    #[inline(always)]
    pub(crate) fn publish(&mut self, next: u32) {
        self.local = next;
        // SAFETY: `own` is an index word of the validated body, valid for the claim.
        unsafe { atomic_u32(self.own) }.store(next, Ordering::Release);
    }
}

/// The producer end of a typed ring. `Send`, not `Sync`; obtained once per region through
/// [`Region::ring_producer`].
///
/// ```
/// # use splitcore_ipc::*;
/// const LAYOUT: Layout = LayoutBuilder::new().ring::<u32>("n", 4).build();
/// const N: ChannelId<Ring<u32>> = LAYOUT.ring_id("n");
/// static SHARED: RegionBuf<{ LAYOUT.size() }> = RegionBuf::new();
///
/// let region = Region::init(&SHARED, &LAYOUT)?;
/// let mut tx = region.ring_producer(N)?;
/// let mut rx = Region::attach(&SHARED, &LAYOUT)?.ring_consumer(N)?;
/// for i in 0..4 {
///     tx.push(i).unwrap();
/// }
/// assert_eq!(tx.push(9), Err(PushError::Full(9))); // all 4 slots usable
/// assert_eq!(rx.pop()?, Some(0));
/// assert!(matches!(region.ring_producer(N), Err(Error::AlreadyClaimed { .. })));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct RingProducer<'a, T> {
    c: Cursor,
    slots: *mut T,
    _claim: Claim<'a>,
    _t: PhantomData<T>,
}

/// The consumer end of a typed ring. `Send`, not `Sync`.
#[derive(Debug)]
pub struct RingConsumer<'a, T> {
    c: Cursor,
    slots: *mut T,
    _claim: Claim<'a>,
    _t: PhantomData<T>,
}

// SAFETY: the endpoint owns its claim on one end of the ring; moving it to another thread
// moves that exclusive role with it. Items of type `T: Send` cross threads.
unsafe impl<T: Send> Send for RingProducer<'_, T> {}
// SAFETY: as for `RingProducer`.
unsafe impl<T: Send> Send for RingConsumer<'_, T> {}

impl<'a> Region<'a> {
    fn open_ring<T: Pod>(
        &self,
        id: &ChannelId<Ring<T>>,
        end: End,
    ) -> Result<(Cursor, *mut T, Claim<'a>), Error> {
        let (g, claim) = self.open(id.index(), Kind::Ring, size_of::<T>() as u32, Some(id.spec()), end)?;
        if !(g.data as usize).is_multiple_of(align_of::<T>()) {
            return Err(Error::Misaligned { required: align_of::<T>() as u32 });
        }
        Ok((Cursor::new(&g, end, 1)?, g.data.cast(), claim))
    }

    /// Claims the producer end of ring `id`.
    pub fn ring_producer<T: Pod + Send>(&self, id: ChannelId<Ring<T>>) -> Result<RingProducer<'a, T>, Error> {
        let (c, slots, claim) = self.open_ring(&id, End::Producer)?;
        Ok(RingProducer { c, slots, _claim: claim, _t: PhantomData })
    }

    /// Claims the consumer end of ring `id`.
    pub fn ring_consumer<T: Pod + Send>(&self, id: ChannelId<Ring<T>>) -> Result<RingConsumer<'a, T>, Error> {
        let (c, slots, claim) = self.open_ring(&id, End::Consumer)?;
        Ok(RingConsumer { c, slots, _claim: claim, _t: PhantomData })
    }
}

impl<T: Pod> RingProducer<'_, T> {
    /// Appends `item`, or hands it back if the ring is full (or the consumer's index is
    /// corrupt). Wait-free.
    #[inline]
    pub fn push(&mut self, item: T) -> Result<(), PushError<T>> {
        let local = self.c.local;
        // `local - cache > mask` is `used >= cap` (cap = mask + 1): one load fewer.
        if local.wrapping_sub(self.c.cache) > self.c.mask {
            match self.c.refresh_producer() {
                Ok(0) => return Err(PushError::Full(item)),
                Ok(_) => {}
                Err(e) => return Err(PushError::Corrupt(item, e)),
            }
        }
        // SAFETY: the masked index is `< cap`, and the body holds `cap` slots of `T` at
        // `slots` (validated at open, aligned for `T`). The slot is free: `local - tail <
        // cap` with `tail` acquired, so the consumer finished reading it.
        unsafe {
            let slot = self.slots.add((local & self.c.mask) as usize);
            sync::track_write(slot.cast());
            slot.write(item);
        }
        self.c.publish(local.wrapping_add(1));
        Ok(())
    }

    /// Appends as many items from the front of `items` as fit; returns how many.
    pub fn push_slice(&mut self, items: &[T]) -> Result<usize, Error> {
        let mut free = self.c.cached_free();
        if (free as usize) < items.len() {
            free = self.c.refresh_producer()?;
        }
        let n = items.len().min(free as usize) as u32;
        let start = self.c.local & self.c.mask;
        let first = n.min(self.c.cap - start);
        for i in 0..n {
            // SAFETY: masked index `< cap` (address only, no access).
            sync::track_write(
                unsafe { self.slots.add((self.c.local.wrapping_add(i) & self.c.mask) as usize) }.cast(),
            );
        }
        // SAFETY: `[start, start + first)` and `[0, n - first)` are inside the `cap` slots and
        // free (as in `push`); `items` has at least `n` elements; the ring and `items` do not
        // overlap (`items` is a shared reference, the ring is only reached by raw pointers).
        unsafe {
            core::ptr::copy_nonoverlapping(items.as_ptr(), self.slots.add(start as usize), first as usize);
            core::ptr::copy_nonoverlapping(
                items.as_ptr().add(first as usize),
                self.slots,
                (n - first) as usize,
            );
        }
        self.c.advance(n);
        Ok(n as usize)
    }

    /// Free slots, re-reading the consumer's index (a corrupt index reads as 0; `push`
    /// reports it).
    pub fn slots(&mut self) -> usize {
        self.c.refresh_producer().unwrap_or(0) as usize
    }

    /// Free slots according to the cached consumer index (no shared-memory access; may be
    /// lower than the truth, never higher).
    pub fn cached_slots(&self) -> usize {
        self.c.cached_free() as usize
    }

    /// `true` if no slot is free (re-reads the consumer's index).
    pub fn is_full(&mut self) -> bool {
        self.slots() == 0
    }

    /// Capacity in items.
    pub fn capacity(&self) -> usize {
        self.c.cap as usize
    }
}

impl<T: Pod> RingConsumer<'_, T> {
    /// Removes the oldest item: `Ok(None)` if the ring is empty, an error if the producer's
    /// index is corrupt. Wait-free.
    #[inline]
    pub fn pop(&mut self) -> Result<Option<T>, Error> {
        let local = self.c.local;
        if self.c.cache == local && self.c.refresh_consumer()? == 0 {
            return Ok(None);
        }
        // SAFETY: masked index `< cap` inside the validated slots; the slot was written
        // before the Release store of `head` that our Acquire load observed.
        let item = unsafe {
            let slot = self.slots.add((local & self.c.mask) as usize);
            sync::track_read(slot.cast());
            slot.read()
        };
        self.c.publish(local.wrapping_add(1));
        Ok(Some(item))
    }

    /// Removes up to `out.len()` items into `out`; returns how many.
    pub fn pop_into(&mut self, out: &mut [T]) -> Result<usize, Error> {
        let mut avail = self.c.cached_avail();
        if (avail as usize) < out.len() {
            avail = self.c.refresh_consumer()?;
        }
        let n = out.len().min(avail as usize) as u32;
        let start = self.c.local & self.c.mask;
        let first = n.min(self.c.cap - start);
        for i in 0..n {
            // SAFETY: masked index `< cap` (address only, no access).
            sync::track_read(
                unsafe { self.slots.add((self.c.local.wrapping_add(i) & self.c.mask) as usize) }.cast(),
            );
        }
        // SAFETY: as in `pop`, for the `n` available slots split at the end of the ring;
        // `out` has room for `n` items and does not overlap the ring.
        unsafe {
            core::ptr::copy_nonoverlapping(self.slots.add(start as usize), out.as_mut_ptr(), first as usize);
            core::ptr::copy_nonoverlapping(
                self.slots,
                out.as_mut_ptr().add(first as usize),
                (n - first) as usize,
            );
        }
        self.c.advance(n);
        Ok(n as usize)
    }

    /// Items available, re-reading the producer's index (a corrupt index reads as 0;
    /// `pop` reports it).
    pub fn len(&mut self) -> usize {
        self.c.refresh_consumer().unwrap_or(0) as usize
    }

    /// `true` if no item is available (re-reads the producer's index).
    pub fn is_empty(&mut self) -> bool {
        self.len() == 0
    }

    /// Capacity in items.
    pub fn capacity(&self) -> usize {
        self.c.cap as usize
    }
}

/// An untyped ring endpoint (element size known at run time), for the C ABI.
#[cfg_attr(not(feature = "ffi"), allow(dead_code))] // used by the C ABI
#[derive(Debug)]
pub(crate) struct RawRing<'a> {
    c: Cursor,
    data: *mut u8,
    elem_size: u32,
    pub(crate) end: End,
    _claim: Claim<'a>,
}

#[cfg_attr(not(feature = "ffi"), allow(dead_code))] // used by the C ABI
impl<'a> RawRing<'a> {
    pub(crate) fn open(region: &Region<'a>, channel: u32, elem_size: u32, end: End) -> Result<Self, Error> {
        let (g, claim) = region.open(channel, Kind::Ring, elem_size, None, end)?;
        Ok(RawRing { c: Cursor::new(&g, end, 1)?, data: g.data, elem_size: g.elem_size, end, _claim: claim })
    }

    /// Producer: copies `elem_size` bytes from `src`; `Ok(false)` if full.
    ///
    /// # Safety
    /// `src` is valid for `elem_size` bytes of reads.
    pub(crate) unsafe fn push(&mut self, src: *const u8) -> Result<bool, Error> {
        if self.c.cached_free() == 0 && self.c.refresh_producer()? == 0 {
            return Ok(false);
        }
        // SAFETY: slot inside the validated data (masked index, `cap * elem_size` bytes);
        // free as in `RingProducer::push`; `src` valid by the caller's contract.
        unsafe {
            let slot = self.data.add((self.c.local & self.c.mask) as usize * self.elem_size as usize);
            sync::track_write(slot);
            core::ptr::copy_nonoverlapping(src, slot, self.elem_size as usize);
        }
        self.c.advance(1);
        Ok(true)
    }

    /// Consumer: copies one element to `dst`; `Ok(false)` if empty.
    ///
    /// # Safety
    /// `dst` is valid for `elem_size` bytes of writes.
    pub(crate) unsafe fn pop(&mut self, dst: *mut u8) -> Result<bool, Error> {
        if self.c.cached_avail() == 0 && self.c.refresh_consumer()? == 0 {
            return Ok(false);
        }
        // SAFETY: as in `push`, and the slot was published as in `RingConsumer::pop`.
        unsafe {
            let slot = self.data.add((self.c.local & self.c.mask) as usize * self.elem_size as usize);
            sync::track_read(slot);
            core::ptr::copy_nonoverlapping(slot, dst, self.elem_size as usize);
        }
        self.c.advance(1);
        Ok(true)
    }
}
