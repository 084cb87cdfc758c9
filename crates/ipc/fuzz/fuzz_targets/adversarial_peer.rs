//! An adversarial peer.
//!
//! The input is a program: a start index, then a sequence of operations. Some are
//! legitimate operations of ours on every channel kind (ring push/pop and bulk variants,
//! frame grant/commit/read/release/recv, mailbox write/read, event raise/take, attach,
//! dropping and re-claiming endpoints, a forced re-initialisation, the C ABI); the others
//! are the peer writing arbitrary bytes anywhere in the shared region (header, descriptors,
//! indices, record headers, payloads), also in the middle of a grant.
//!
//! Checked: nothing panics or reads/writes out of bounds (build with AddressSanitizer and
//! debug assertions), every failure is an `Error` value or a documented C status; and while
//! the peer has not scribbled (since the last re-initialisation), every result equals that
//! of a model: items, frames, mailbox values and flags come out exactly as sent, `Full` and
//! `Empty` (and `FrameTooLarge`) happen exactly when the protocol says so, and no error is
//! ever reported.

#![no_main]

use std::collections::VecDeque;

use libfuzzer_sys::fuzz_target;
use splitcore_ipc::ffi::*;
use splitcore_ipc::*;

const LAYOUT: Layout = LayoutBuilder::new()
    .ring::<u32>("ring", 8)
    .frames("frames", 256)
    .mailbox::<[u32; 4]>("mailbox")
    .events("events")
    .frames("tiny", 16)
    .ring::<[u8; 3]>("odd", 4)
    .build();
const RING: ChannelId<Ring<u32>> = LAYOUT.ring_id("ring");
const FRAMES: ChannelId<Frames> = LAYOUT.frames_id("frames");
const MAILBOX: ChannelId<Mailbox<[u32; 4]>> = LAYOUT.mailbox_id("mailbox");
const EVENTS: ChannelId<splitcore_ipc::Events> = LAYOUT.events_id("events");
const TINY: ChannelId<Frames> = LAYOUT.frames_id("tiny");
const ODD: ChannelId<Ring<[u8; 3]>> = LAYOUT.ring_id("odd");
const SIZE: usize = LAYOUT.size();
type Buf = RegionBuf<SIZE>;

const MAX_OPS: usize = 2000;

/// The fuzz input, consumed front to back; reads past the end give zeros.
struct Input<'d> {
    data: &'d [u8],
}

impl Input<'_> {
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }
}

/// Byte-exact model of a frame ring (the protocol in `frames.rs`'s docs).
struct FrameModel {
    cap: u32,
    head: u32,
    tail: u32,
    /// Pending frames: payload and the bytes they take (wrap skip + record).
    queue: VecDeque<(Vec<u8>, u32)>,
}

const fn record_len(len: u32) -> u32 {
    4 + ((len + 3) & !3)
}

impl FrameModel {
    fn new(cap: u32, start: u32) -> Self {
        Self { cap, head: start & !3, tail: start & !3, queue: VecDeque::new() }
    }
    fn max(&self) -> u32 {
        self.cap / 2 - 4
    }
    /// `Some(skip)` if a grant of `len` (`<= max`) fits now.
    fn grant(&self, len: u32) -> Option<u32> {
        let need = record_len(len);
        let to_end = self.cap - (self.head & (self.cap - 1));
        let skip = if to_end >= need { 0 } else { to_end };
        let free = self.cap - self.head.wrapping_sub(self.tail);
        (free >= skip + need).then_some(skip)
    }
    fn commit(&mut self, skip: u32, payload: Vec<u8>) {
        let total = skip + record_len(payload.len() as u32);
        self.head = self.head.wrapping_add(total);
        self.queue.push_back((payload, total));
    }
    fn release(&mut self) {
        let (_, total) = self.queue.pop_front().expect("model: release of an empty ring");
        self.tail = self.tail.wrapping_add(total);
    }
}

struct Model {
    ring: VecDeque<u32>,
    odd: VecDeque<[u8; 3]>,
    frames: FrameModel,
    tiny: FrameModel,
    mailbox: Option<[u32; 4]>,
    events: u32,
    /// The peer wrote into the region since the last (re-)initialisation: results are no
    /// longer predictable, only memory safety and error values are checked.
    tainted: bool,
    /// Counter for payload patterns.
    serial: u32,
}

impl Model {
    fn new(start: u32) -> Self {
        Self {
            ring: VecDeque::new(),
            odd: VecDeque::new(),
            frames: FrameModel::new(256, start),
            tiny: FrameModel::new(16, start),
            mailbox: None,
            events: 0,
            tainted: false,
            serial: 0,
        }
    }
}

/// Our endpoints (any of them may be unclaimed at a given time).
#[derive(Default)]
struct Ends<'a> {
    rp: Option<RingProducer<'a, u32>>,
    rc: Option<RingConsumer<'a, u32>>,
    op: Option<RingProducer<'a, [u8; 3]>>,
    oc: Option<RingConsumer<'a, [u8; 3]>>,
    fp: Option<FrameProducer<'a>>,
    fc: Option<FrameConsumer<'a>>,
    tp: Option<FrameProducer<'a>>,
    tc: Option<FrameConsumer<'a>>,
    mw: Option<MailboxWriter<'a, [u32; 4]>>,
    mr: Option<MailboxReader<'a, [u32; 4]>>,
    es: Option<EventSender<'a>>,
    er: Option<EventReceiver<'a>>,
}

/// In an untainted state, `r` must be `Ok`.
macro_rules! clean_ok {
    ($m:expr, $r:expr, $what:expr) => {
        match $r {
            Ok(v) => Some(v),
            Err(e) => {
                assert!($m.tainted, "{}: unexpected error without a scribbling peer: {e}", $what);
                None
            }
        }
    };
}

/// Opens `slot` from `region` if it is empty.
macro_rules! ensure {
    ($m:expr, $slot:expr, $open:expr, $what:expr) => {
        if $slot.is_none() {
            $slot = clean_ok!($m, $open, $what);
        }
    };
}

/// Our owner-side region, or the attached one (a field borrow, so endpoints can be stored
/// in `self.ends` meanwhile).
macro_rules! region {
    ($w:expr, $use_peer:expr) => {
        match (&$w.peer, $use_peer) {
            (Some(p), true) => p,
            _ => &$w.owner,
        }
    };
}

struct World<'a> {
    mem: RegionMem<'a>,
    base: *mut u8,
    owner: Region<'a>,
    peer: Option<Region<'a>>,
    ends: Ends<'a>,
    m: Model,
}

impl<'a> World<'a> {
    /// The peer writes `bytes` at `off` (clamped into the region).
    fn scribble(&mut self, off: usize, bytes: &[u8]) {
        let off = off % SIZE;
        let n = bytes.len().min(SIZE - off);
        // SAFETY: `[off, off + n)` is inside the region; single-threaded, and no reference
        // into the region is alive (grants are re-borrowed after scribbles).
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.base.add(off), n) };
        self.m.tainted = true;
    }

    /// The peer writes a chosen 32-bit value at an interesting word: header, descriptor,
    /// an index, a mailbox sequence or a frame record header.
    fn scribble_word(&mut self, inp: &mut Input<'_>) {
        let specs = LAYOUT.channels();
        let sel = inp.u8();
        let off: usize = match sel % 5 {
            0 => 4 * (inp.u8() as usize % 8),
            1 => {
                let ch = inp.u8() as usize % specs.len();
                32 + 24 * ch + 4 * (inp.u8() as usize % 6)
            }
            2 => {
                let s = &specs[inp.u8() as usize % specs.len()];
                s.offset as usize + if inp.bool() { INDEX_PAD as usize } else { 0 }
            }
            3 => {
                let s = &specs[if inp.bool() { 1 } else { 4 }];
                let data = s.offset as usize + 2 * INDEX_PAD as usize;
                data + 4 * (inp.u8() as usize % (s.capacity as usize / 4))
            }
            _ => 4 * (inp.u16() as usize % (SIZE / 4)),
        };
        // SAFETY: `off + 4 <= SIZE` and 4-aligned (the region is 128-aligned).
        let current = unsafe { self.base.add(off).cast::<u32>().read() };
        let value = match inp.u8() % 8 {
            0 => 0,
            1 => u32::MAX,
            2 => current.wrapping_add(inp.u8() as i8 as u32),
            3 => current.wrapping_add((inp.u8() as u32) << 8),
            4 => 0x8000_0000 | inp.u8() as u32,
            5 => inp.u8() as u32,
            6 => current ^ (1 << (inp.u8() % 32)),
            _ => inp.u32(),
        };
        self.scribble(off, &value.to_ne_bytes());
    }

    fn step(&mut self, inp: &mut Input<'_>) {
        let op = inp.u8();
        let use_peer = op & 0x80 != 0;
        match op % 28 {
            0..=2 => self.ring_push(inp, use_peer),
            3..=4 => self.ring_pop(inp, use_peer),
            5 => self.odd_ring(inp, use_peer),
            6..=8 => self.frame_grant(inp, use_peer, false),
            9..=10 => self.frame_read(inp, use_peer, false),
            11 => self.frame_grant(inp, use_peer, true),
            12 => self.frame_read(inp, use_peer, true),
            13 => self.mailbox(inp, use_peer),
            14 => self.events(inp, use_peer),
            15 => self.attach(inp),
            16 => self.drop_end(inp),
            17 => self.reinit(),
            18 => self.ffi(inp),
            19 => self.ffi_frames(inp),
            20..=23 => self.scribble_word(inp),
            _ => {
                let off = inp.u16() as usize;
                let n = 1 + inp.u8() as usize % 8;
                let bytes: Vec<u8> = (0..n).map(|_| inp.u8()).collect();
                self.scribble(off, &bytes);
            }
        }
    }

    fn ring_push(&mut self, inp: &mut Input<'_>, use_peer: bool) {
        let r = region!(self, use_peer);
        ensure!(self.m, self.ends.rp, r.ring_producer(RING), "ring_producer");
        let Some(p) = self.ends.rp.as_mut() else { return };
        let m = &mut self.m;
        if inp.bool() {
            let v = inp.u32();
            match p.push(v) {
                Ok(()) => {
                    if !m.tainted {
                        assert!(m.ring.len() < 8, "push succeeded on a full ring");
                        m.ring.push_back(v);
                    }
                }
                Err(PushError::Full(back)) => {
                    assert_eq!(back, v);
                    assert!(m.tainted || m.ring.len() == 8, "spurious Full with {} items", m.ring.len());
                }
                Err(PushError::Corrupt(back, e)) => {
                    assert_eq!(back, v);
                    assert!(m.tainted, "push: {e} without a scribbling peer");
                }
            }
        } else {
            let k = inp.u8() as usize % 12;
            let items: Vec<u32> = (0..k as u32).map(|i| m.serial.wrapping_add(i)).collect();
            m.serial = m.serial.wrapping_add(k as u32);
            if let Some(n) = clean_ok!(m, p.push_slice(&items), "push_slice") {
                assert!(n <= k);
                if !m.tainted {
                    assert_eq!(n, k.min(8 - m.ring.len()), "push_slice count");
                    m.ring.extend(&items[..n]);
                }
            }
        }
        if !m.tainted {
            assert_eq!(p.slots(), 8 - m.ring.len());
            assert!(p.cached_slots() <= p.slots());
            assert_eq!(p.capacity(), 8);
        }
    }

    fn ring_pop(&mut self, inp: &mut Input<'_>, use_peer: bool) {
        let r = region!(self, use_peer);
        ensure!(self.m, self.ends.rc, r.ring_consumer(RING), "ring_consumer");
        let Some(c) = self.ends.rc.as_mut() else { return };
        let m = &mut self.m;
        if inp.bool() {
            if let Some(v) = clean_ok!(m, c.pop(), "pop") {
                if !m.tainted {
                    assert_eq!(v, m.ring.pop_front(), "pop");
                }
            }
        } else {
            let mut out = [0u32; 12];
            let k = inp.u8() as usize % 12;
            if let Some(n) = clean_ok!(m, c.pop_into(&mut out[..k]), "pop_into") {
                assert!(n <= k);
                if !m.tainted {
                    assert_eq!(n, k.min(m.ring.len()), "pop_into count");
                    for v in &out[..n] {
                        assert_eq!(Some(*v), m.ring.pop_front(), "pop_into item");
                    }
                }
            }
        }
        if !m.tainted {
            assert_eq!(c.len(), m.ring.len());
        }
    }

    fn odd_ring(&mut self, inp: &mut Input<'_>, use_peer: bool) {
        let r = region!(self, use_peer);
        let m = &mut self.m;
        if inp.bool() {
            ensure!(m, self.ends.op, r.ring_producer(ODD), "odd producer");
            let Some(p) = self.ends.op.as_mut() else { return };
            let v = [inp.u8(), inp.u8(), inp.u8()];
            match p.push(v) {
                Ok(()) if !m.tainted => {
                    assert!(m.odd.len() < 4);
                    m.odd.push_back(v);
                }
                Err(PushError::Full(_)) => assert!(m.tainted || m.odd.len() == 4),
                Err(PushError::Corrupt(_, e)) => assert!(m.tainted, "odd push: {e}"),
                Ok(()) => {}
            }
        } else {
            ensure!(m, self.ends.oc, r.ring_consumer(ODD), "odd consumer");
            let Some(c) = self.ends.oc.as_mut() else { return };
            if let Some(v) = clean_ok!(m, c.pop(), "odd pop") {
                if !m.tainted {
                    assert_eq!(v, m.odd.pop_front());
                }
            }
        }
    }

    fn frame_grant(&mut self, inp: &mut Input<'_>, use_peer: bool, tiny: bool) {
        let r = region!(self, use_peer);
        let (slot, model, id) = if tiny {
            (&mut self.ends.tp, &mut self.m.tiny, TINY)
        } else {
            (&mut self.ends.fp, &mut self.m.frames, FRAMES)
        };
        if slot.is_none() {
            match r.frame_producer(id) {
                Ok(p) => *slot = Some(p),
                Err(e) => {
                    assert!(self.m.tainted, "frame_producer: {e}");
                    return;
                }
            }
        }
        let Some(p) = slot.as_mut() else { return };
        let tainted = self.m.tainted;
        let max = model.max();
        if !tainted {
            assert_eq!(p.max_frame_len(), max as usize);
        }
        let len = inp.u8() as u32 % (max + 8);
        let action = inp.u8();
        let serial = self.m.serial;
        self.m.serial = serial.wrapping_add(1);
        let expect = if tainted { None } else { Some(model.grant(len)) };
        let base = self.base;
        match p.grant(len as usize) {
            Ok(mut g) => {
                assert!(len <= max, "granted {len} > max {max}");
                assert_eq!(g.len(), len as usize);
                if let Some(e) = expect {
                    assert!(e.is_some(), "grant({len}) succeeded without room in the model");
                }
                for (i, b) in g.iter_mut().enumerate() {
                    *b = (serial as usize).wrapping_mul(31).wrapping_add(i) as u8;
                }
                let used = match action % 4 {
                    0 => len as usize,
                    1 => action as usize / 4, // may exceed `len`: clamped
                    2 => {
                        drop(g);
                        return; // abandoned: publishes nothing
                    }
                    _ => {
                        // The peer scribbles while we hold the grant (its payload may be
                        // among the bytes), then we write and commit anyway.
                        let off = inp.u16() as usize % SIZE;
                        let v = inp.u32().to_ne_bytes();
                        let n = v.len().min(SIZE - off);
                        // SAFETY: inside the region; the grant's slice is not alive
                        // across this write (it is re-derived by `deref_mut` below).
                        unsafe { core::ptr::copy_nonoverlapping(v.as_ptr(), base.add(off), n) };
                        self.m.tainted = true;
                        g[0..len as usize].fill(0x5A);
                        len as usize
                    }
                };
                let payload: Vec<u8> = g[..used.min(len as usize)].to_vec();
                g.commit(used);
                let model = if tiny { &mut self.m.tiny } else { &mut self.m.frames };
                if let Some(Some(skip)) = expect {
                    model.commit(skip, payload);
                }
            }
            Err(Error::FrameTooLarge { len: l, max: mx }) => {
                assert_eq!((l, mx), (len, max));
                assert!(len > max, "FrameTooLarge for {len} <= {max}");
            }
            Err(Error::Full) => {
                assert!(len <= max);
                if let Some(e) = expect {
                    assert!(e.is_none(), "spurious Full for {len} bytes");
                }
            }
            Err(e) => assert!(tainted, "grant: {e} without a scribbling peer"),
        }
    }

    fn frame_read(&mut self, inp: &mut Input<'_>, use_peer: bool, tiny: bool) {
        let r = region!(self, use_peer);
        let (slot, id) = if tiny { (&mut self.ends.tc, TINY) } else { (&mut self.ends.fc, FRAMES) };
        if slot.is_none() {
            match r.frame_consumer(id) {
                Ok(c) => *slot = Some(c),
                Err(e) => {
                    assert!(self.m.tainted, "frame_consumer: {e}");
                    return;
                }
            }
        }
        let Some(c) = slot.as_mut() else { return };
        let model = if tiny { &mut self.m.tiny } else { &mut self.m.frames };
        let tainted = &mut self.m.tainted;
        let base = self.base;
        let action = inp.u8();
        if action % 4 == 3 {
            // `recv` into a buffer that may be too small.
            let mut buf = [0u8; 160];
            let k = inp.u8() as usize % buf.len();
            match c.recv(&mut buf[..k]) {
                Ok(Some(n)) => {
                    if !*tainted {
                        let (want, _) = model.queue.front().expect("recv: a frame the model lacks");
                        assert_eq!(&buf[..n], &want[..], "recv payload");
                        model.release();
                    }
                }
                Ok(None) => assert!(*tainted || model.queue.is_empty(), "recv: frame missing"),
                Err(Error::FrameTooLarge { len, max }) => {
                    assert_eq!(max as usize, k);
                    if !*tainted {
                        let (want, _) = model.queue.front().expect("recv: a frame the model lacks");
                        assert_eq!(len as usize, want.len());
                        assert!(want.len() > k);
                    }
                }
                Err(e) => assert!(*tainted, "recv: {e} without a scribbling peer"),
            }
            return;
        }
        match c.read() {
            Ok(Some(g)) => {
                if action % 4 == 2 {
                    // The peer scribbles while we hold the frame; then we look at it.
                    let off = inp.u16() as usize % SIZE;
                    let v = inp.u32().to_ne_bytes();
                    let n = v.len().min(SIZE - off);
                    // SAFETY: inside the region; the frame's slice is re-derived by `deref`
                    // after this write, none is alive across it.
                    unsafe { core::ptr::copy_nonoverlapping(v.as_ptr(), base.add(off), n) };
                    *tainted = true;
                }
                let got: Vec<u8> = g.to_vec();
                if !*tainted {
                    let (want, _) = model.queue.front().expect("read: a frame the model lacks");
                    assert_eq!(&got, want, "frame payload");
                }
                if action % 4 != 1 {
                    g.release();
                    if !*tainted {
                        model.release();
                    }
                } // else: dropped without release; the next read returns it again
            }
            Ok(None) => assert!(*tainted || model.queue.is_empty(), "read: frame missing"),
            Err(e) => assert!(*tainted, "read: {e} without a scribbling peer"),
        }
        if !*tainted {
            let pending: u32 = model.queue.iter().map(|(_, t)| t).sum();
            // The consumer may have skipped a wrap marker locally.
            let p = c.pending_bytes() as u32;
            assert!(p <= pending && pending - p < model.cap, "pending {p} vs model {pending}");
        }
    }

    fn mailbox(&mut self, inp: &mut Input<'_>, use_peer: bool) {
        let r = region!(self, use_peer);
        let m = &mut self.m;
        if inp.bool() {
            ensure!(m, self.ends.mw, r.mailbox_writer(MAILBOX), "mailbox_writer");
            let Some(w) = self.ends.mw.as_mut() else { return };
            let v = [inp.u32(), m.serial, !m.serial, 7];
            m.serial = m.serial.wrapping_add(1);
            w.write(&v);
            m.mailbox = Some(v);
        } else {
            ensure!(m, self.ends.mr, r.mailbox_reader(MAILBOX), "mailbox_reader");
            let Some(rd) = self.ends.mr.as_mut() else { return };
            rd.set_retries(1 + inp.u8() as u32 % 4);
            if let Some(v) = clean_ok!(m, rd.read(), "mailbox read") {
                if !m.tainted {
                    assert_eq!(v, m.mailbox, "mailbox value");
                }
            }
        }
    }

    fn events(&mut self, inp: &mut Input<'_>, use_peer: bool) {
        let r = region!(self, use_peer);
        let m = &mut self.m;
        if inp.bool() {
            ensure!(m, self.ends.es, r.event_sender(EVENTS), "event_sender");
            let Some(s) = self.ends.es.as_ref() else { return };
            let mask = inp.u32();
            s.raise(mask);
            m.events |= mask;
        } else {
            ensure!(m, self.ends.er, r.event_receiver(EVENTS), "event_receiver");
            let Some(rx) = self.ends.er.as_ref() else { return };
            let f = rx.take();
            if !m.tainted {
                assert_eq!(f, m.events, "event flags");
            }
            m.events = 0;
        }
    }

    fn attach(&mut self, inp: &mut Input<'_>) {
        let tainted = self.m.tainted;
        match inp.u8() % 3 {
            0 => {
                let r = Region::attach(self.mem, &LAYOUT);
                if let Some(r) = clean_ok!(self.m, r, "attach") {
                    self.peer = Some(r);
                }
            }
            1 => {
                if let Some(r) = clean_ok!(self.m, Region::attach_any(self.mem), "attach_any") {
                    if !tainted {
                        assert_eq!(r.channel_count(), LAYOUT.channels().len() as u32);
                        assert_eq!(r.size() as usize, SIZE);
                    }
                }
            }
            _ => match Region::init(self.mem, &LAYOUT) {
                Err(Error::AlreadyInitialised { .. }) => {}
                Err(e) => assert!(tainted, "init on a live region: {e}"),
                Ok(_) => assert!(tainted, "init succeeded on a live region"),
            },
        }
    }

    fn drop_end(&mut self, inp: &mut Input<'_>) {
        let e = &mut self.ends;
        match inp.u8() % 12 {
            0 => e.rp = None,
            1 => e.rc = None,
            2 => e.op = None,
            3 => e.oc = None,
            4 => e.fp = None,
            5 => e.fc = None,
            6 => e.tp = None,
            7 => e.tc = None,
            8 => e.mw = None,
            9 => e.mr = None,
            10 => e.es = None,
            _ => e.er = None,
        }
    }

    fn reinit(&mut self) {
        self.ends = Ends::default();
        self.peer = None;
        // SAFETY: every endpoint was just dropped, and the "peer" is this thread.
        self.owner = unsafe { Region::reinit(self.mem, &LAYOUT) }.expect("reinit of a valid buffer");
        self.m = Model::new(0);
        self.peer = Some(Region::attach(self.mem, &LAYOUT).expect("attach after reinit"));
    }

    /// Arbitrary calls through the C ABI on the same memory: any channel, end, element
    /// size. Every result must be a documented status.
    fn ffi(&mut self, inp: &mut Input<'_>) {
        let tainted = self.m.tainted;
        let mut region = SplitcoreRegion { opaque: [0; 4] };
        let base = self.base.cast();
        // SAFETY: the memory is valid for SIZE bytes for this whole call; handles are
        // closed before returning.
        let s = unsafe { splitcore_region_attach(&mut region, base, SIZE as u32) };
        if s != 0 {
            assert!(tainted, "splitcore_region_attach: {s}");
            return;
        }
        let channel = inp.u8() as u32 % 8;
        let end = inp.u8() as u32 % 3;
        let elem = inp.u8() as u32;
        let mut out = [0u64; 40];
        let known = |s: i32| (-24..=3).contains(&s) && !(-9..=-6).contains(&s);
        match inp.u8() % 4 {
            0 => {
                let mut h = SplitcoreRing { opaque: [0; 12] };
                // SAFETY: handles are writable; `out` has 320 bytes >= elem (< 256).
                unsafe {
                    let s = splitcore_ring_open(&mut region, channel, end, elem, &mut h);
                    assert!(known(s), "ring_open: {s}");
                    if s == 0 {
                        let p = out.as_mut_ptr().cast();
                        let s = if end == SPLITCORE_END_PRODUCER {
                            splitcore_ring_push(&mut h, p)
                        } else {
                            splitcore_ring_pop(&mut h, p)
                        };
                        assert!(known(s), "push/pop: {s}");
                        if !tainted {
                            // Keep the model in step (only the typed rings can be opened).
                            assert!(s >= 0, "ffi ring op: {s}");
                            self.m.tainted = true;
                        }
                    }
                    splitcore_ring_close(&mut h);
                }
            }
            1 => {
                let mut h = SplitcoreMailbox { opaque: [0; 12] };
                // SAFETY: as above.
                unsafe {
                    let s = splitcore_mailbox_open(&mut region, channel, end, elem, &mut h);
                    assert!(known(s), "mailbox_open: {s}");
                    if s == 0 && end == SPLITCORE_END_CONSUMER {
                        let s = splitcore_mailbox_read(&mut h, out.as_mut_ptr().cast());
                        assert!(known(s), "mailbox_read: {s}");
                    }
                    splitcore_mailbox_close(&mut h);
                }
            }
            2 => {
                let mut h = SplitcoreEvents { opaque: [0; 10] };
                // SAFETY: as above.
                unsafe {
                    let s = splitcore_events_open(&mut region, channel, end, &mut h);
                    assert!(known(s), "events_open: {s}");
                    let mut f = 0u32;
                    if s == 0 && end == SPLITCORE_END_CONSUMER {
                        assert_eq!(splitcore_events_take(&mut h, &mut f), 0);
                        if !tainted && channel == EVENTS.index() {
                            assert_eq!(f, self.m.events, "ffi event flags");
                        }
                        if channel == EVENTS.index() {
                            self.m.events = 0;
                        }
                    }
                    splitcore_events_close(&mut h);
                }
            }
            _ => {
                let mut h = SplitcoreFrames { opaque: [0; 14] };
                // SAFETY: as above.
                unsafe {
                    let s = splitcore_frames_open(&mut region, channel, end, &mut h);
                    assert!(known(s), "frames_open: {s}");
                    if s == 0 {
                        if !tainted {
                            self.m.tainted = true; // the model does not follow these
                        }
                        if end == SPLITCORE_END_PRODUCER {
                            let mut p: *mut u8 = core::ptr::null_mut();
                            let s = splitcore_frame_grant(&mut h, elem, &mut p);
                            assert!(known(s), "frame_grant: {s}");
                            if s == 0 {
                                p.write_bytes(0xEE, elem as usize);
                                assert_eq!(splitcore_frame_commit(&mut h, elem), 0);
                            }
                        } else {
                            let mut p: *const u8 = core::ptr::null();
                            let mut n = 0u32;
                            let s = splitcore_frame_read(&mut h, &mut p, &mut n);
                            assert!(known(s), "frame_read: {s}");
                            if s == 0 {
                                let v = std::slice::from_raw_parts(p, n as usize).to_vec();
                                std::hint::black_box(v);
                                assert_eq!(splitcore_frame_release(&mut h), 0);
                            }
                        }
                    }
                    splitcore_frames_close(&mut h);
                }
            }
        }
    }

    /// The C consumer end of `frames`, checked against the model when we do not hold ours.
    fn ffi_frames(&mut self, _inp: &mut Input<'_>) {
        let tainted = self.m.tainted;
        let held = self.ends.fc.is_some();
        let mut region = SplitcoreRegion { opaque: [0; 4] };
        let mut h = SplitcoreFrames { opaque: [0; 14] };
        // SAFETY: the memory is valid for SIZE bytes for this call; the handle is closed
        // before returning.
        unsafe {
            let s = splitcore_region_attach(&mut region, self.base.cast(), SIZE as u32);
            if s != 0 {
                assert!(tainted, "splitcore_region_attach: {s}");
                return;
            }
            let s = splitcore_frames_open(&mut region, FRAMES.index(), SPLITCORE_END_CONSUMER, &mut h);
            if !tainted {
                let want = if held { SplitcoreStatus::AlreadyClaimed as i32 } else { 0 };
                assert_eq!(s, want, "ffi frames_open");
            }
            if s == 0 {
                let mut p: *const u8 = core::ptr::null();
                let mut n = 0u32;
                let s = splitcore_frame_read(&mut h, &mut p, &mut n);
                let model = &mut self.m.frames;
                if !tainted {
                    match model.queue.front() {
                        Some((want, _)) => {
                            assert_eq!(s, 0, "ffi frame_read");
                            assert_eq!(std::slice::from_raw_parts(p, n as usize), &want[..]);
                            assert_eq!(splitcore_frame_release(&mut h), 0);
                            model.release();
                        }
                        None => assert_eq!(s, SplitcoreStatus::Empty as i32),
                    }
                } else if s == 0 {
                    std::hint::black_box(std::slice::from_raw_parts(p, n as usize).to_vec());
                    assert_eq!(splitcore_frame_release(&mut h), 0);
                }
            }
            splitcore_frames_close(&mut h);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input { data };
    // Start the indices near interesting points (wrap-around of the u32 counters).
    let start = match inp.u8() % 4 {
        0 => 0,
        1 => u32::MAX - 64,
        2 => u32::MAX - 3,
        _ => inp.u32(),
    };
    let buf = Buf::new_boxed();
    let mem = RegionMem::from(&*buf);
    let owner = Region::init_with_start_index(mem, &LAYOUT, start).expect("init of a fresh buffer");
    let peer = Some(Region::attach(mem, &LAYOUT).expect("attach after init"));
    let mut world =
        World { mem, base: buf.as_ptr(), owner, peer, ends: Ends::default(), m: Model::new(start) };
    let mut ops = 0;
    while !inp.is_empty() && ops < MAX_OPS {
        world.step(&mut inp);
        ops += 1;
    }
    // Release every claim before the memory goes away.
    drop(world);
});
