//! Uniform wrappers around splitcore-ipc and the competing SPSC queues.
//!
//! Every wrapper is monomorphised into the benchmark loops (no dynamic dispatch). Queues
//! whose storage is borrowed by their endpoints (splitcore's region, heapless, bbqueue)
//! are leaked so that the endpoints are `'static` and can move to pinned threads; each
//! benchmark run leaks a few kilobytes, which is irrelevant for a short-lived binary.

use std::sync::mpsc;
use std::sync::Arc;

use ringbuf::traits::{Consumer as _, Producer as _, Split as _};
use splitcore_ipc::{ChannelId, Frames, Layout, LayoutBuilder, PushError, Region, RegionBuf, Ring};

/// Slots (items) of every `u64` queue. heapless uses one slot as a sentinel, so it holds
/// `CAP - 1` items.
pub const CAP: usize = 1024;
/// Bytes of ring storage for the 64-byte message benchmarks (rtrb gets `MSG_RING / 64`
/// slots of `[u8; 64]`).
pub const MSG_RING: usize = 16 * 1024;
/// Size of one message in the message benchmarks.
pub const MSG_LEN: usize = 64;
/// A fixed-size message.
pub type Msg = [u8; MSG_LEN];
/// Value of the last byte of every message (checked by the consumers).
pub const MSG_TAIL: u8 = 0xA5;
/// A message before its sequence number is written: filler bytes, [`MSG_TAIL`] last.
pub const MSG_TEMPLATE: Msg = {
    let mut msg = [0x5A; MSG_LEN];
    msg[MSG_LEN - 1] = MSG_TAIL;
    msg
};

/// Producer end of a `u64` queue.
pub trait Tx: Send + 'static {
    /// Tries to append `v`; `false` if the queue is full.
    fn push(&mut self, v: u64) -> bool;
}

/// Consumer end of a `u64` queue.
pub trait Rx: Send + 'static {
    /// Tries to remove the oldest item.
    fn pop(&mut self) -> Option<u64>;
}

/// A `u64` SPSC queue implementation under test.
pub trait Queue {
    /// Name in the tables.
    const NAME: &'static str;
    /// Producer end.
    type Tx: Tx;
    /// Consumer end.
    type Rx: Rx;
    /// A fresh, empty queue of [`CAP`] slots.
    fn pair() -> (Self::Tx, Self::Rx);
}

/// Producer end of a 64-byte message queue.
pub trait MsgTx: Send + 'static {
    /// Tries to send one message; `false` if there is no room.
    fn send(&mut self, msg: &Msg) -> bool;
}

/// Consumer end of a 64-byte message queue.
pub trait MsgRx: Send + 'static {
    /// Tries to receive one message; returns its sequence number (first 8 bytes, LE).
    /// Panics if the message is not 64 bytes long or its last byte is not [`MSG_TAIL`].
    fn recv(&mut self) -> Option<u64>;
}

/// A 64-byte message queue implementation under test.
pub trait MsgQueue {
    /// Name in the tables.
    const NAME: &'static str;
    /// Producer end.
    type Tx: MsgTx;
    /// Consumer end.
    type Rx: MsgRx;
    /// A fresh, empty queue of about [`MSG_RING`] bytes.
    fn pair() -> (Self::Tx, Self::Rx);
}

#[inline(always)]
fn check_msg(bytes: &[u8]) -> u64 {
    assert!(bytes.len() == MSG_LEN && bytes[MSG_LEN - 1] == MSG_TAIL, "bad message");
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(seq)
}

// ---------------------------------------------------------------- splitcore typed ring

const RING_LAYOUT: Layout = LayoutBuilder::new().ring::<u64>("q", CAP as u32).build();
const RING_Q: ChannelId<Ring<u64>> = RING_LAYOUT.ring_id("q");
type RingBuf = RegionBuf<{ RING_LAYOUT.size() }>;

/// splitcore-ipc typed ring (`RingProducer::push` / `RingConsumer::pop`).
#[derive(Debug)]
pub struct Splitcore;

impl Tx for splitcore_ipc::RingProducer<'static, u64> {
    #[inline(always)]
    fn push(&mut self, v: u64) -> bool {
        match splitcore_ipc::RingProducer::push(self, v) {
            Ok(()) => true,
            Err(PushError::Full(_)) => false,
            Err(e) => panic!("splitcore push: {e:?}"),
        }
    }
}

impl Rx for splitcore_ipc::RingConsumer<'static, u64> {
    #[inline(always)]
    fn pop(&mut self) -> Option<u64> {
        splitcore_ipc::RingConsumer::pop(self).expect("splitcore pop")
    }
}

impl Queue for Splitcore {
    const NAME: &'static str = "splitcore";
    type Tx = splitcore_ipc::RingProducer<'static, u64>;
    type Rx = splitcore_ipc::RingConsumer<'static, u64>;
    fn pair() -> (Self::Tx, Self::Rx) {
        let buf: &'static RingBuf = Box::leak(RingBuf::new_boxed());
        let owner = Region::init(buf, &RING_LAYOUT).expect("init");
        let peer = Region::attach(buf, &RING_LAYOUT).expect("attach");
        (owner.ring_producer(RING_Q).expect("producer"), peer.ring_consumer(RING_Q).expect("consumer"))
    }
}

// ---------------------------------------------------------------- rtrb

/// `rtrb::RingBuffer`.
#[derive(Debug)]
pub struct Rtrb;

impl Tx for rtrb::Producer<u64> {
    #[inline(always)]
    fn push(&mut self, v: u64) -> bool {
        rtrb::Producer::push(self, v).is_ok()
    }
}

impl Rx for rtrb::Consumer<u64> {
    #[inline(always)]
    fn pop(&mut self) -> Option<u64> {
        rtrb::Consumer::pop(self).ok()
    }
}

impl Queue for Rtrb {
    const NAME: &'static str = "rtrb";
    type Tx = rtrb::Producer<u64>;
    type Rx = rtrb::Consumer<u64>;
    fn pair() -> (Self::Tx, Self::Rx) {
        rtrb::RingBuffer::new(CAP)
    }
}

// ---------------------------------------------------------------- ringbuf

/// `ringbuf::HeapRb` (caching producer/consumer halves).
#[derive(Debug)]
pub struct Ringbuf;

impl Tx for ringbuf::HeapProd<u64> {
    #[inline(always)]
    fn push(&mut self, v: u64) -> bool {
        self.try_push(v).is_ok()
    }
}

impl Rx for ringbuf::HeapCons<u64> {
    #[inline(always)]
    fn pop(&mut self) -> Option<u64> {
        self.try_pop()
    }
}

impl Queue for Ringbuf {
    const NAME: &'static str = "ringbuf";
    type Tx = ringbuf::HeapProd<u64>;
    type Rx = ringbuf::HeapCons<u64>;
    fn pair() -> (Self::Tx, Self::Rx) {
        ringbuf::HeapRb::<u64>::new(CAP).split()
    }
}

// ---------------------------------------------------------------- heapless

/// `heapless::spsc::Queue` (split into producer/consumer).
#[derive(Debug)]
pub struct Heapless;

impl Tx for heapless::spsc::Producer<'static, u64> {
    #[inline(always)]
    fn push(&mut self, v: u64) -> bool {
        self.enqueue(v).is_ok()
    }
}

impl Rx for heapless::spsc::Consumer<'static, u64> {
    #[inline(always)]
    fn pop(&mut self) -> Option<u64> {
        self.dequeue()
    }
}

impl Queue for Heapless {
    const NAME: &'static str = "heapless::spsc";
    type Tx = heapless::spsc::Producer<'static, u64>;
    type Rx = heapless::spsc::Consumer<'static, u64>;
    fn pair() -> (Self::Tx, Self::Rx) {
        let q: &'static mut heapless::spsc::Queue<u64, CAP> =
            Box::leak(Box::new(heapless::spsc::Queue::new()));
        q.split()
    }
}

// ---------------------------------------------------------------- crossbeam

/// `crossbeam_queue::ArrayQueue` (MPMC, shared through an `Arc`).
#[derive(Debug)]
pub struct Crossbeam;

/// One end of a shared `ArrayQueue`.
#[derive(Debug)]
pub struct ArrayEnd(Arc<crossbeam_queue::ArrayQueue<u64>>);

impl Tx for ArrayEnd {
    #[inline(always)]
    fn push(&mut self, v: u64) -> bool {
        self.0.push(v).is_ok()
    }
}

impl Rx for ArrayEnd {
    #[inline(always)]
    fn pop(&mut self) -> Option<u64> {
        self.0.pop()
    }
}

impl Queue for Crossbeam {
    const NAME: &'static str = "crossbeam ArrayQueue";
    type Tx = ArrayEnd;
    type Rx = ArrayEnd;
    fn pair() -> (Self::Tx, Self::Rx) {
        let q = Arc::new(crossbeam_queue::ArrayQueue::new(CAP));
        (ArrayEnd(q.clone()), ArrayEnd(q))
    }
}

// ---------------------------------------------------------------- std mpsc

/// `std::sync::mpsc::sync_channel` (`try_send` / `try_recv`).
#[derive(Debug)]
pub struct StdSync;

impl Tx for mpsc::SyncSender<u64> {
    #[inline(always)]
    fn push(&mut self, v: u64) -> bool {
        match self.try_send(v) {
            Ok(()) => true,
            Err(mpsc::TrySendError::Full(_)) => false,
            Err(mpsc::TrySendError::Disconnected(_)) => panic!("receiver gone"),
        }
    }
}

impl Rx for mpsc::Receiver<u64> {
    #[inline(always)]
    fn pop(&mut self) -> Option<u64> {
        self.try_recv().ok()
    }
}

impl Queue for StdSync {
    const NAME: &'static str = "std sync_channel";
    type Tx = mpsc::SyncSender<u64>;
    type Rx = mpsc::Receiver<u64>;
    fn pair() -> (Self::Tx, Self::Rx) {
        mpsc::sync_channel(CAP)
    }
}

// ---------------------------------------------------------------- messages

const MSG_LAYOUT: Layout = LayoutBuilder::new().frames("m", MSG_RING as u32).build();
const MSG_Q: ChannelId<Frames> = MSG_LAYOUT.frames_id("m");
type MsgBuf = RegionBuf<{ MSG_LAYOUT.size() }>;

/// splitcore-ipc frame ring: `grant(64)` → write → `commit(64)`; `read()` → `release()`.
#[derive(Debug)]
pub struct SplitcoreFrames;

impl MsgTx for splitcore_ipc::FrameProducer<'static> {
    #[inline(always)]
    fn send(&mut self, msg: &Msg) -> bool {
        match self.grant(MSG_LEN) {
            Ok(mut g) => {
                g.copy_from_slice(msg);
                g.commit(MSG_LEN);
                true
            }
            Err(splitcore_ipc::Error::Full) => false,
            Err(e) => panic!("splitcore grant: {e:?}"),
        }
    }
}

impl MsgRx for splitcore_ipc::FrameConsumer<'static> {
    #[inline(always)]
    fn recv(&mut self) -> Option<u64> {
        let g = self.read().expect("splitcore read")?;
        let seq = check_msg(&g);
        g.release();
        Some(seq)
    }
}

impl MsgQueue for SplitcoreFrames {
    const NAME: &'static str = "splitcore frames";
    type Tx = splitcore_ipc::FrameProducer<'static>;
    type Rx = splitcore_ipc::FrameConsumer<'static>;
    fn pair() -> (Self::Tx, Self::Rx) {
        let buf: &'static MsgBuf = Box::leak(MsgBuf::new_boxed());
        let owner = Region::init(buf, &MSG_LAYOUT).expect("init");
        let peer = Region::attach(buf, &MSG_LAYOUT).expect("attach");
        (owner.frame_producer(MSG_Q).expect("producer"), peer.frame_consumer(MSG_Q).expect("consumer"))
    }
}

type Bbq = bbqueue::nicknames::Churrasco<MSG_RING>;

/// `bbqueue` (0.7, inline storage, atomic coordination, polling) framed grants.
#[derive(Debug)]
pub struct BbqueueFrames;

/// bbqueue framed producer on a leaked queue.
pub struct BbqTx(bbqueue::prod_cons::framed::FramedProducer<&'static Bbq>);
/// bbqueue framed consumer on a leaked queue.
pub struct BbqRx(bbqueue::prod_cons::framed::FramedConsumer<&'static Bbq>);

impl MsgTx for BbqTx {
    #[inline(always)]
    fn send(&mut self, msg: &Msg) -> bool {
        match self.0.grant(MSG_LEN as u16) {
            Ok(mut g) => {
                g.copy_from_slice(msg);
                g.commit(MSG_LEN as u16);
                true
            }
            Err(_) => false,
        }
    }
}

impl MsgRx for BbqRx {
    #[inline(always)]
    fn recv(&mut self) -> Option<u64> {
        let g = self.0.read().ok()?;
        let seq = check_msg(&g);
        g.release();
        Some(seq)
    }
}

impl MsgQueue for BbqueueFrames {
    const NAME: &'static str = "bbqueue framed";
    type Tx = BbqTx;
    type Rx = BbqRx;
    fn pair() -> (Self::Tx, Self::Rx) {
        let q: &'static Bbq = Box::leak(Box::new(Bbq::new()));
        (BbqTx(q.framed_producer()), BbqRx(q.framed_consumer()))
    }
}

/// `rtrb::RingBuffer<[u8; 64]>`: fixed-size elements, copied in and out.
#[derive(Debug)]
pub struct RtrbMsg;

impl MsgTx for rtrb::Producer<Msg> {
    #[inline(always)]
    fn send(&mut self, msg: &Msg) -> bool {
        self.push(*msg).is_ok()
    }
}

impl MsgRx for rtrb::Consumer<Msg> {
    #[inline(always)]
    fn recv(&mut self) -> Option<u64> {
        let m = self.pop().ok()?;
        Some(check_msg(&m))
    }
}

impl MsgQueue for RtrbMsg {
    const NAME: &'static str = "rtrb [u8; 64]";
    type Tx = rtrb::Producer<Msg>;
    type Rx = rtrb::Consumer<Msg>;
    fn pair() -> (Self::Tx, Self::Rx) {
        rtrb::RingBuffer::new(MSG_RING / MSG_LEN)
    }
}

const MSG_RING_LAYOUT: Layout = LayoutBuilder::new().ring::<Msg>("m", (MSG_RING / MSG_LEN) as u32).build();
const MSG_RING_Q: ChannelId<Ring<Msg>> = MSG_RING_LAYOUT.ring_id("m");
type MsgRingBuf = RegionBuf<{ MSG_RING_LAYOUT.size() }>;

/// splitcore-ipc typed ring of `[u8; 64]` (for comparison with rtrb's fixed elements).
#[derive(Debug)]
pub struct SplitcoreMsgRing;

impl MsgTx for splitcore_ipc::RingProducer<'static, Msg> {
    #[inline(always)]
    fn send(&mut self, msg: &Msg) -> bool {
        match self.push(*msg) {
            Ok(()) => true,
            Err(PushError::Full(_)) => false,
            Err(e) => panic!("splitcore push: {e:?}"),
        }
    }
}

impl MsgRx for splitcore_ipc::RingConsumer<'static, Msg> {
    #[inline(always)]
    fn recv(&mut self) -> Option<u64> {
        let m = self.pop().expect("splitcore pop")?;
        Some(check_msg(&m))
    }
}

impl MsgQueue for SplitcoreMsgRing {
    const NAME: &'static str = "splitcore ring [u8; 64]";
    type Tx = splitcore_ipc::RingProducer<'static, Msg>;
    type Rx = splitcore_ipc::RingConsumer<'static, Msg>;
    fn pair() -> (Self::Tx, Self::Rx) {
        let buf: &'static MsgRingBuf = Box::leak(MsgRingBuf::new_boxed());
        let owner = Region::init(buf, &MSG_RING_LAYOUT).expect("init");
        let peer = Region::attach(buf, &MSG_RING_LAYOUT).expect("attach");
        (
            owner.ring_producer(MSG_RING_Q).expect("producer"),
            peer.ring_consumer(MSG_RING_Q).expect("consumer"),
        )
    }
}
