//! Event flags and doorbells.
//!
//! An event channel is one shared `u32` of flags. [`EventSender::raise`] sets bits with an
//! atomic `fetch_or` (**Release**: data published before the raise is visible to whoever
//! takes the flag); [`EventReceiver::take`] atomically swaps the word with 0 (**Acquire**)
//! and returns the bits that were set. Several raises of one bit before a take coalesce.
//!
//! A [`Doorbell`] tells the other side to look: the producer rings it after publishing (to a
//! ring, frame ring, mailbox or flag word). On the target it is a cross-CPU interrupt,
//! provided by the runtime; on hosts (`std` feature) [`HostDoorbell`] lets a thread sleep
//! in [`HostDoorbell::wait`] instead of spinning; [`NoDoorbell`] does nothing (pollers).

use crate::error::{End, Error};
use crate::layout::{ChannelId, Events, Kind};
use crate::region::{Claim, Geom, Region};
use crate::sync::{AtomicU32, Ordering};

/// Something that wakes the other side after data was published.
pub trait Doorbell {
    /// Signals the other side. Must not block for long (it may run on core 1).
    fn ring(&self);
}

impl<D: Doorbell + ?Sized> Doorbell for &D {
    fn ring(&self) {
        (**self).ring();
    }
}

/// A doorbell that does nothing, for a consumer that polls.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDoorbell;

impl Doorbell for NoDoorbell {
    fn ring(&self) {}
}

/// A host doorbell: `ring` wakes a thread blocked in [`wait`](Self::wait).
///
/// The "rung" state is an atomic flag; the mutex/condvar pair only puts the waiter to
/// sleep (the mutex guards no data), so ThreadSanitizer, which cannot see inside the
/// uninstrumented std, has no plain memory to misjudge.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct HostDoorbell {
    rung: std::sync::atomic::AtomicBool,
    lock: std::sync::Mutex<()>,
    cv: std::sync::Condvar,
}

#[cfg(feature = "std")]
impl HostDoorbell {
    /// A doorbell that has not rung.
    pub fn new() -> Self {
        Self::default()
    }

    /// Blocks until the doorbell rings or `timeout` passes; returns `true` if it rang (and
    /// resets it). Rings while nobody waits are remembered (once).
    pub fn wait(&self, timeout: std::time::Duration) -> bool {
        use std::sync::atomic::Ordering::Acquire;
        if self.rung.swap(false, Acquire) {
            return true;
        }
        let deadline = std::time::Instant::now() + timeout;
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            // Checked under the lock: `ring` sets the flag before taking the lock to
            // notify, so a ring cannot slip between this check and the wait.
            if self.rung.swap(false, Acquire) {
                return true;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return false;
            }
            guard = self.cv.wait_timeout(guard, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

#[cfg(feature = "std")]
impl Doorbell for HostDoorbell {
    fn ring(&self) {
        self.rung.store(true, std::sync::atomic::Ordering::Release);
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.cv.notify_all();
    }
}

/// The sending end of an event word. `Send + Sync`: raising is a single atomic operation,
/// so the sender may be shared by reference between threads of one side.
///
/// ```
/// # use splitcore_ipc::*;
/// const LAYOUT: Layout = LayoutBuilder::new().events("flags").build();
/// const FLAGS: ChannelId<Events> = LAYOUT.events_id("flags");
/// static SHARED: RegionBuf<{ LAYOUT.size() }> = RegionBuf::new();
///
/// let region = Region::init(&SHARED, &LAYOUT)?;
/// let (tx, rx) = (region.event_sender(FLAGS)?, region.event_receiver(FLAGS)?);
/// tx.raise(0b01);
/// tx.raise_and_ring(0b10, &NoDoorbell);
/// assert_eq!(rx.take(), 0b11);
/// assert_eq!(rx.take(), 0);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct EventSender<'a>(pub(crate) EventWord<'a>);

/// The receiving end of an event word. `Send + Sync`.
#[derive(Debug)]
pub struct EventReceiver<'a>(pub(crate) EventWord<'a>);

/// An opened event word (either end).
#[derive(Debug)]
pub(crate) struct EventWord<'a> {
    g: Geom,
    #[cfg_attr(not(feature = "ffi"), allow(dead_code))] // used by the C ABI
    pub(crate) end: End,
    _claim: Claim<'a>,
}

// SAFETY: the endpoint only performs atomic operations on the validated flag word, valid
// for 'a; its claim moves with it.
unsafe impl Send for EventWord<'_> {}
// SAFETY: all `&self` methods are single atomic operations.
unsafe impl Sync for EventWord<'_> {}

impl<'a> Region<'a> {
    /// Claims the sending end of event word `id`.
    pub fn event_sender(&self, id: ChannelId<Events>) -> Result<EventSender<'a>, Error> {
        EventWord::open(self, id.index(), Some(&id), End::Producer).map(EventSender)
    }

    /// Claims the receiving end of event word `id`.
    pub fn event_receiver(&self, id: ChannelId<Events>) -> Result<EventReceiver<'a>, Error> {
        EventWord::open(self, id.index(), Some(&id), End::Consumer).map(EventReceiver)
    }
}

impl<'a> EventWord<'a> {
    pub(crate) fn open(
        region: &Region<'a>,
        channel: u32,
        id: Option<&ChannelId<Events>>,
        end: End,
    ) -> Result<Self, Error> {
        let (g, claim) = region.open(channel, Kind::Events, 4, id.map(|i| i.spec()), end)?;
        Ok(EventWord { g, end, _claim: claim })
    }

    pub(crate) fn word(&self) -> &AtomicU32 {
        // SAFETY: word 0 of a validated events body (`len_bytes >= 4`).
        unsafe { self.g.word(0) }
    }
}

impl EventSender<'_> {
    /// Sets the bits of `mask` (Release); returns the previous flags.
    pub fn raise(&self, mask: u32) -> u32 {
        self.0.word().fetch_or(mask, Ordering::Release)
    }

    /// Sets the bits of `mask`, then rings `bell`.
    pub fn raise_and_ring(&self, mask: u32, bell: &impl Doorbell) -> u32 {
        let prev = self.raise(mask);
        bell.ring();
        prev
    }
}

impl EventReceiver<'_> {
    /// Returns and clears all flags (Acquire).
    pub fn take(&self) -> u32 {
        self.0.word().swap(0, Ordering::Acquire)
    }

    /// The current flags without clearing them (Acquire).
    pub fn peek(&self) -> u32 {
        self.0.word().load(Ordering::Acquire)
    }
}
