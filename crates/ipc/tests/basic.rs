//! Edge cases of every channel kind, the handshake errors, claims and the C ABI.

use splitcore_ipc::raw::*;
use splitcore_ipc::*;

#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Setpoint {
    id: u32,
    value: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Status {
    uptime: u64,
    errors: u32,
    flags: u32,
}

const LAYOUT: Layout = LayoutBuilder::new()
    .ring::<Setpoint>("setpoints", 8)
    .frames("log", 64)
    .mailbox::<Status>("status")
    .events("flags")
    .ring::<u8>("bytes", 4)
    .build();
const SETPOINTS: ChannelId<Ring<Setpoint>> = LAYOUT.ring_id("setpoints");
const LOG: ChannelId<Frames> = LAYOUT.frames_id("log");
const STATUS: ChannelId<Mailbox<Status>> = LAYOUT.mailbox_id("status");
const FLAGS: ChannelId<Events> = LAYOUT.events_id("flags");
const BYTES: ChannelId<Ring<u8>> = LAYOUT.ring_id("bytes");

type Buf = RegionBuf<{ LAYOUT.size() }>;

fn fresh() -> Box<Buf> {
    Buf::new_boxed()
}

#[test]
fn layout_is_computed_at_compile_time() {
    const _: () = assert!(LAYOUT.size().is_multiple_of(LAYOUT.align()));
    assert_eq!(LAYOUT.channels().len(), 5);
    let ch = LAYOUT.channels();
    for pair in ch.windows(2) {
        assert!(pair[0].offset + pair[0].len_bytes <= pair[1].offset, "{pair:?}");
    }
    assert!(ch[0].offset >= SPLITCORE_HEADER_SIZE + 5 * SPLITCORE_DESCRIPTOR_SIZE);
    assert_eq!(LAYOUT.find("status"), Some(2));
    assert_eq!(LAYOUT.find("nope"), None);
    assert_eq!(SETPOINTS.index(), 0);
    assert_eq!(LayoutBuilder::new().ring::<u32>("a", 3).try_build(), Err(LayoutError::BadCapacity));
    assert_eq!(
        LayoutBuilder::new().mailbox::<[u8; 3]>("a").try_build(),
        Err(LayoutError::MailboxSizeNotMultipleOf4)
    );
    assert_eq!(LayoutBuilder::new().events("a").events("a").try_build(), Err(LayoutError::DuplicateName));
    let mut b = LayoutBuilder::new();
    for _ in 0..17 {
        b = b.events("");
    }
    assert_eq!(b.try_build(), Err(LayoutError::TooManyChannels));
}

#[test]
fn ring_full_empty_and_full_capacity() {
    let buf = fresh();
    let region = Region::init(&*buf, &LAYOUT).unwrap();
    let mut tx = region.ring_producer(SETPOINTS).unwrap();
    let mut rx = region.ring_consumer(SETPOINTS).unwrap();
    assert_eq!(rx.pop(), Ok(None));
    assert!(rx.is_empty());
    for i in 0..8 {
        tx.push(Setpoint { id: i, value: i as f32 }).unwrap();
    }
    assert_eq!(tx.slots(), 0);
    assert!(tx.is_full());
    let extra = Setpoint { id: 99, value: 0.0 };
    assert_eq!(tx.push(extra), Err(PushError::Full(extra)));
    assert_eq!(rx.len(), 8);
    for i in 0..8 {
        assert_eq!(rx.pop().unwrap().unwrap().id, i);
    }
    assert_eq!(rx.pop(), Ok(None));
    assert_eq!(tx.slots(), 8);
    assert_eq!(tx.capacity(), 8);
}

#[test]
fn ring_counters_wrap_around_u32_max() {
    for start in [u32::MAX - 3, u32::MAX, u32::MAX - 10, 0x8000_0000 - 2] {
        let buf = fresh();
        let region = Region::init_with_start_index(&*buf, &LAYOUT, start).unwrap();
        let mut tx = region.ring_producer(BYTES).unwrap();
        let mut rx = region.ring_consumer(BYTES).unwrap();
        let mut next = 0u8;
        let mut expect = 0u8;
        for round in 0..50 {
            let n = round % 5;
            for _ in 0..n {
                if tx.push(next).is_ok() {
                    next = next.wrapping_add(1);
                }
            }
            while let Some(v) = rx.pop().unwrap() {
                assert_eq!(v, expect);
                expect = expect.wrapping_add(1);
            }
        }
        assert_eq!(next, expect);
        assert!(next > 20);
    }
}

#[test]
fn ring_bulk_ops_wrap() {
    let buf = fresh();
    let region = Region::init_with_start_index(&*buf, &LAYOUT, u32::MAX - 1).unwrap();
    let mut tx = region.ring_producer(BYTES).unwrap();
    let mut rx = region.ring_consumer(BYTES).unwrap();
    assert_eq!(tx.push_slice(&[1, 2, 3]).unwrap(), 3);
    let mut out = [0u8; 2];
    assert_eq!(rx.pop_into(&mut out).unwrap(), 2);
    assert_eq!(out, [1, 2]);
    assert_eq!(tx.push_slice(&[4, 5, 6, 7, 8]).unwrap(), 3);
    let mut out = [0u8; 8];
    assert_eq!(rx.pop_into(&mut out).unwrap(), 4);
    assert_eq!(&out[..4], &[3, 4, 5, 6]);
    assert_eq!(rx.pop_into(&mut out).unwrap(), 0);
}

#[test]
fn frames_roundtrip_wrap_and_limits() {
    let buf = fresh();
    let region = Region::init_with_start_index(&*buf, &LAYOUT, u32::MAX - 40).unwrap();
    let mut tx = region.frame_producer(LOG).unwrap();
    let mut rx = region.frame_consumer(LOG).unwrap();
    let max = tx.max_frame_len();
    assert_eq!(max, 64 / 2 - 4);
    assert_eq!(tx.grant(max + 1).err(), Some(Error::FrameTooLarge { len: max as u32 + 1, max: max as u32 }));
    assert_eq!(rx.read().unwrap().map(|f| f.len()), None);
    let mut buf = [0u8; 64];
    for round in 0..200usize {
        let len = round % (max + 1);
        let frame: Vec<u8> = (0..len).map(|i| (i + round) as u8).collect();
        tx.send(&frame).unwrap();
        if round % 3 == 0 {
            // A second frame when it fits; `Full` is fine.
            match tx.send(&frame[..len / 2]) {
                Ok(()) | Err(Error::Full) => {}
                Err(e) => panic!("{e}"),
            }
        }
        while let Some(n) = rx.recv(&mut buf).unwrap() {
            assert!(n == len || n == len / 2);
            assert_eq!(&buf[..n], &frame[..n]);
        }
    }
    // A max-size frame fits whatever the position.
    for _ in 0..10 {
        let mut g = tx.grant(max).unwrap();
        g.fill(0xAB);
        g.commit_all();
        let f = rx.read().unwrap().unwrap();
        assert_eq!(f.len(), max);
        assert!(f.iter().all(|&b| b == 0xAB));
        f.release();
    }
}

#[test]
fn frames_grants_dropped_do_nothing() {
    let buf = fresh();
    let region = Region::init(&*buf, &LAYOUT).unwrap();
    let mut tx = region.frame_producer(LOG).unwrap();
    let mut rx = region.frame_consumer(LOG).unwrap();
    drop(tx.grant(10).unwrap());
    assert!(rx.read().unwrap().is_none());
    let mut g = tx.grant(10).unwrap();
    g[..3].copy_from_slice(b"abc");
    g.commit(3);
    assert_eq!(&*rx.read().unwrap().unwrap(), b"abc");
    // Not released: read again returns the same frame.
    assert_eq!(&*rx.read().unwrap().unwrap(), b"abc");
    rx.read().unwrap().unwrap().release();
    assert!(rx.read().unwrap().is_none());
    // Commit clamps to the granted length.
    let g = tx.grant(2).unwrap();
    g.commit(100);
    assert_eq!(rx.read().unwrap().unwrap().len(), 2);
    // Fill until Full.
    let mut tx2 = tx;
    let mut n = 0;
    loop {
        match tx2.send(&[7; 8]) {
            Ok(()) => n += 1,
            Err(Error::Full) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(n >= 3);
}

#[test]
fn mailbox_latest_value() {
    let buf = fresh();
    let region = Region::init(&*buf, &LAYOUT).unwrap();
    let mut w = region.mailbox_writer(STATUS).unwrap();
    let r = region.mailbox_reader(STATUS).unwrap();
    assert_eq!(r.read(), Ok(None));
    for i in 0..100u32 {
        w.write(&Status { uptime: u64::from(i) << 33, errors: i, flags: !i });
        assert_eq!(r.read(), Ok(Some(Status { uptime: u64::from(i) << 33, errors: i, flags: !i })));
    }
    // A writer stuck mid-update (odd sequence) makes the reader give up, bounded.
    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    let seq = unsafe { buf.as_ptr().add(LAYOUT.channels()[2].offset as usize).cast::<u32>() };
    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    let before = unsafe { seq.read() };
    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    unsafe { seq.write(before | 1) };
    assert_eq!(r.read(), Err(Error::Busy));
    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    unsafe { seq.write(before) };
    assert!(r.read().unwrap().is_some());
}

#[test]
fn events_and_doorbells() {
    let buf = fresh();
    let region = Region::init(&*buf, &LAYOUT).unwrap();
    let tx = region.event_sender(FLAGS).unwrap();
    let rx = region.event_receiver(FLAGS).unwrap();
    assert_eq!(rx.take(), 0);
    assert_eq!(tx.raise(1), 0);
    assert_eq!(tx.raise(4), 1);
    assert_eq!(rx.peek(), 5);
    assert_eq!(rx.take(), 5);
    assert_eq!(rx.take(), 0);

    let bell = std::sync::Arc::new(HostDoorbell::new());
    assert!(!bell.wait(std::time::Duration::from_millis(1)));
    let b2 = bell.clone();
    std::thread::scope(|s| {
        let h = s.spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            tx.raise_and_ring(8, &*b2);
        });
        assert!(bell.wait(std::time::Duration::from_secs(10)));
        assert_eq!(rx.take(), 8);
        h.join().unwrap();
    });
    NoDoorbell.ring();
}

#[test]
fn claims_are_exclusive_and_released_on_drop() {
    let buf = fresh();
    let owner = Region::init(&*buf, &LAYOUT).unwrap();
    let peer = Region::attach(&*buf, &LAYOUT).unwrap();
    let tx = owner.ring_producer(SETPOINTS).unwrap();
    assert_eq!(
        peer.ring_producer(SETPOINTS).err(),
        Some(Error::AlreadyClaimed { channel: 0, end: End::Producer })
    );
    let rx = peer.ring_consumer(SETPOINTS).unwrap();
    assert_eq!(
        owner.ring_consumer(SETPOINTS).err(),
        Some(Error::AlreadyClaimed { channel: 0, end: End::Consumer })
    );
    drop(tx);
    let _tx = peer.ring_producer(SETPOINTS).unwrap();
    drop(rx);
    let _w = owner.mailbox_writer(STATUS).unwrap();
    assert!(matches!(owner.mailbox_writer(STATUS), Err(Error::AlreadyClaimed { .. })));
    let _e = owner.event_receiver(FLAGS).unwrap();
    assert!(matches!(peer.event_receiver(FLAGS), Err(Error::AlreadyClaimed { .. })));
    let _f = owner.frame_consumer(LOG).unwrap();
    assert!(matches!(peer.frame_consumer(LOG), Err(Error::AlreadyClaimed { .. })));
}

fn word(buf: &Buf, off: u32) -> *mut u32 {
    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    unsafe { buf.as_ptr().add(off as usize).cast() }
}

#[test]
fn attach_reports_each_mismatch() {
    let buf = fresh();
    assert_eq!(Region::attach(&*buf, &LAYOUT).err(), Some(Error::NotInitialised { state: 0 }));
    let _owner = Region::init(&*buf, &LAYOUT).unwrap();
    assert_eq!(
        Region::init(&*buf, &LAYOUT).err(),
        Some(Error::AlreadyInitialised { state: SPLITCORE_STATE_READY })
    );
    Region::attach(&*buf, &LAYOUT).unwrap();
    Region::attach_any(&*buf).unwrap();

    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    let poke = |off: u32, v: u32| unsafe {
        let p = word(&buf, off);
        let old = p.read();
        p.write(v);
        old
    };
    // Magic.
    let old = poke(0, 0xdead_beef);
    assert_eq!(
        Region::attach(&*buf, &LAYOUT).err(),
        Some(Error::BadMagic { expected: SPLITCORE_MAGIC, found: 0xdead_beef })
    );
    poke(0, old);
    // Version: major 2.
    let old = poke(4, u32::from_ne_bytes([2, 0, 0, 0]));
    assert_eq!(
        Region::attach(&*buf, &LAYOUT).err(),
        Some(Error::VersionMismatch { ours: (1, 0), theirs: (2, 0) })
    );
    poke(4, old);
    // Minor differences are accepted.
    let old = poke(4, u32::from_ne_bytes([1, 0, 7, 0]));
    Region::attach(&*buf, &LAYOUT).unwrap();
    poke(4, old);
    // Size.
    let old = poke(8, 1024);
    assert_eq!(
        Region::attach(&*buf, &LAYOUT).err(),
        Some(Error::SizeMismatch { expected: LAYOUT.size() as u32, found: 1024 })
    );
    poke(8, 64);
    assert!(matches!(
        Region::attach(&*buf, &LAYOUT).err(),
        Some(Error::PeerCorrupt { field: Field::TotalSize, value: 64, .. })
    ));
    poke(8, old);
    // Count.
    let old = poke(12, 4);
    assert_eq!(
        Region::attach(&*buf, &LAYOUT).err(),
        Some(Error::ChannelCountMismatch { expected: 5, found: 4 })
    );
    poke(12, old);
    // Checksum.
    let old = poke(16, 1234);
    assert_eq!(
        Region::attach(&*buf, &LAYOUT).err(),
        Some(Error::ChecksumMismatch { expected: LAYOUT.checksum(), found: 1234 })
    );
    assert!(matches!(Region::attach_any(&*buf), Err(Error::ChecksumMismatch { found: 1234, .. })));
    poke(16, old);
    // Descriptor 1 capacity.
    let off = SPLITCORE_HEADER_SIZE + SPLITCORE_DESCRIPTOR_SIZE + 8;
    let old = poke(off, 128);
    assert_eq!(
        Region::attach(&*buf, &LAYOUT).err(),
        Some(Error::DescriptorMismatch { channel: 1, field: Field::Capacity, expected: 64, found: 128 })
    );
    poke(off, old);
    Region::attach(&*buf, &LAYOUT).unwrap();

    // A different layout on the other side.
    const OTHER: Layout = LayoutBuilder::new()
        .ring::<Setpoint>("setpoints", 16)
        .frames("log", 64)
        .mailbox::<Status>("status")
        .events("flags")
        .ring::<u8>("bytes", 4)
        .build();
    let err = Region::attach(&*buf, &OTHER).err().unwrap();
    assert!(
        matches!(err, Error::SizeMismatch { .. } | Error::DescriptorMismatch { channel: 0, .. }),
        "{err}"
    );
    assert!(!err.to_string().is_empty());
}

#[test]
fn too_small_and_misaligned_memory() {
    let small = RegionBuf::<256>::new_boxed();
    assert_eq!(
        Region::init(&*small, &LAYOUT).err(),
        Some(Error::RegionTooSmall { needed: LAYOUT.size() as u32, available: 256 })
    );
    let big = RegionBuf::<4096>::new_boxed();
    // SAFETY: inside `big`, which outlives the region value.
    let mem =
        unsafe { RegionMem::from_raw_parts(std::ptr::NonNull::new(big.as_ptr().add(8)).unwrap(), 4000) };
    assert_eq!(Region::init(mem, &LAYOUT).err(), Some(Error::Misaligned { required: LAYOUT.align() as u32 }));
}

#[test]
fn typed_open_checks_descriptor() {
    const A: Layout = LayoutBuilder::new().ring::<u32>("r", 4).build();
    const B: Layout = LayoutBuilder::new().ring::<u64>("r", 4).build();
    let buf = RegionBuf::<4096>::new_boxed();
    let region = Region::init(&*buf, &A).unwrap();
    let err = region.ring_producer(B.ring_id::<u64>("r")).err().unwrap();
    assert!(
        matches!(
            err,
            Error::DescriptorMismatch { channel: 0, field: Field::ElemSize, expected: 8, found: 4 }
        ),
        "{err}"
    );
}

#[test]
fn corrupt_indices_are_errors() {
    let buf = fresh();
    let region = Region::init(&*buf, &LAYOUT).unwrap();
    let mut tx = region.ring_producer(SETPOINTS).unwrap();
    let mut rx = region.ring_consumer(SETPOINTS).unwrap();
    let ring = LAYOUT.channels()[0];
    let head = word(&buf, ring.offset);
    let tail = word(&buf, ring.offset + INDEX_PAD);
    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    unsafe { head.write(1000) };
    assert!(matches!(rx.pop(), Err(Error::PeerCorrupt { field: Field::Head, value: 1000, limit: 8, .. })));
    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    unsafe { head.write(0) };
    for i in 0..8 {
        tx.push(Setpoint { id: i, value: 0.0 }).unwrap();
    }
    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    unsafe { tail.write(0x7000_0000) };
    assert!(matches!(
        tx.push(Setpoint { id: 0, value: 0.0 }),
        Err(PushError::Corrupt(_, Error::PeerCorrupt { field: Field::Tail, .. }))
    ));

    // Frame header out of range.
    let mut ftx = region.frame_producer(LOG).unwrap();
    let mut frx = region.frame_consumer(LOG).unwrap();
    ftx.send(b"hello").unwrap();
    let log = LAYOUT.channels()[1];
    let data = word(&buf, log.offset + 2 * INDEX_PAD);
    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    unsafe { data.write(60) };
    assert!(matches!(frx.read().err(), Some(Error::PeerCorrupt { field: Field::FrameLen, value: 60, .. })));
    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    unsafe { data.write(SPLITCORE_FRAME_WRAP) };
    assert!(matches!(frx.read().err(), Some(Error::PeerCorrupt { field: Field::FrameLen, .. })));

    // Corrupt descriptor seen at open time by a layout-agnostic (C) peer.
    let off = SPLITCORE_HEADER_SIZE + 4 * SPLITCORE_DESCRIPTOR_SIZE + 12; // channel 4 offset
                                                                          // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    unsafe { word(&buf, off).write(u32::MAX - 3) };
    let err = region.ring_producer(BYTES).err().unwrap();
    assert!(matches!(err, Error::DescriptorMismatch { channel: 4, field: Field::Offset, .. }), "{err}");
}

#[test]
fn c_abi_roundtrip() {
    use splitcore_ipc::ffi::*;
    use std::ptr;
    let specs = [
        SplitcoreChannelSpec { kind: SPLITCORE_KIND_RING, elem_size: 4, elem_align: 4, capacity: 4 },
        SplitcoreChannelSpec { kind: SPLITCORE_KIND_FRAMES, elem_size: 0, elem_align: 0, capacity: 64 },
        SplitcoreChannelSpec { kind: SPLITCORE_KIND_MAILBOX, elem_size: 8, elem_align: 4, capacity: 0 },
        SplitcoreChannelSpec { kind: SPLITCORE_KIND_EVENTS, elem_size: 0, elem_align: 0, capacity: 0 },
    ];
    let (mut size, mut align) = (0u32, 0u32);
    // SAFETY: every handle and buffer passed below is live, writable and large enough.
    unsafe {
        assert_eq!(splitcore_layout_size(specs.as_ptr(), 4, &mut size, &mut align), 0);
        assert_eq!(align, REGION_ALIGN.min(align));
        let mem = RegionBuf::<4096>::new_boxed();
        assert!(size <= 4096);
        let memp = mem.as_ptr().cast();
        let mut owner = SplitcoreRegion { opaque: [0; 4] };
        let mut peer = SplitcoreRegion { opaque: [0; 4] };
        assert_eq!(splitcore_region_attach(&mut peer, memp, size), SplitcoreStatus::NotInitialised as i32);
        assert_eq!(splitcore_region_init(&mut owner, memp, size, specs.as_ptr(), 4, 0), 0);
        assert_eq!(splitcore_region_attach(&mut peer, memp, size), 0);
        let mut state = 0;
        assert_eq!(splitcore_region_state(&mut owner, &mut state), 0);
        assert_eq!(state, SPLITCORE_STATE_ATTACHED);

        // Ring.
        let mut tx = SplitcoreRing { opaque: [0; 12] };
        let mut rx = SplitcoreRing { opaque: [0; 12] };
        assert_eq!(splitcore_ring_push(&mut tx, ptr::null()), SplitcoreStatus::BadHandle as i32);
        assert_eq!(
            splitcore_ring_open(&mut owner, 0, SPLITCORE_END_PRODUCER, 8, &mut tx),
            SplitcoreStatus::DescriptorMismatch as i32
        );
        assert_eq!(splitcore_ring_open(&mut owner, 0, SPLITCORE_END_PRODUCER, 4, &mut tx), 0);
        assert_eq!(
            splitcore_ring_open(&mut peer, 0, SPLITCORE_END_PRODUCER, 4, &mut rx),
            SplitcoreStatus::AlreadyClaimed as i32
        );
        assert_eq!(splitcore_ring_open(&mut peer, 0, SPLITCORE_END_CONSUMER, 4, &mut rx), 0);
        for i in 0u32..4 {
            assert_eq!(splitcore_ring_push(&mut tx, (&i as *const u32).cast()), 0);
        }
        assert_eq!(splitcore_ring_push(&mut tx, (&9u32 as *const u32).cast()), SplitcoreStatus::Full as i32);
        assert_eq!(splitcore_ring_pop(&mut tx, ptr::null_mut()), SplitcoreStatus::WrongEnd as i32);
        let mut v = 0u32;
        for i in 0u32..4 {
            assert_eq!(splitcore_ring_pop(&mut rx, (&mut v as *mut u32).cast()), 0);
            assert_eq!(v, i);
        }
        assert_eq!(splitcore_ring_pop(&mut rx, (&mut v as *mut u32).cast()), SplitcoreStatus::Empty as i32);
        assert_eq!(splitcore_ring_close(&mut tx), 0);
        assert_eq!(splitcore_ring_close(&mut tx), SplitcoreStatus::BadHandle as i32);
        assert_eq!(splitcore_ring_open(&mut peer, 0, SPLITCORE_END_PRODUCER, 4, &mut tx), 0);

        // Frames.
        let mut ftx = SplitcoreFrames { opaque: [0; 14] };
        let mut frx = SplitcoreFrames { opaque: [0; 14] };
        assert_eq!(splitcore_frames_open(&mut owner, 1, SPLITCORE_END_PRODUCER, &mut ftx), 0);
        assert_eq!(splitcore_frames_open(&mut peer, 1, SPLITCORE_END_CONSUMER, &mut frx), 0);
        let mut wbuf: *mut u8 = ptr::null_mut();
        assert_eq!(splitcore_frame_commit(&mut ftx, 1), SplitcoreStatus::NoGrant as i32);
        assert_eq!(splitcore_frame_grant(&mut ftx, 100, &mut wbuf), SplitcoreStatus::FrameTooLarge as i32);
        assert_eq!(splitcore_frame_grant(&mut ftx, 10, &mut wbuf), 0);
        ptr::copy_nonoverlapping(b"hi there".as_ptr(), wbuf, 8);
        assert_eq!(splitcore_frame_commit(&mut ftx, 8), 0);
        let (mut rbuf, mut rlen): (*const u8, u32) = (ptr::null(), 0);
        assert_eq!(splitcore_frame_read(&mut frx, &mut rbuf, &mut rlen), 0);
        assert_eq!(std::slice::from_raw_parts(rbuf, rlen as usize), b"hi there");
        assert_eq!(splitcore_frame_release(&mut frx), 0);
        assert_eq!(splitcore_frame_read(&mut frx, &mut rbuf, &mut rlen), SplitcoreStatus::Empty as i32);
        assert_eq!(splitcore_frames_close(&mut ftx), 0);
        assert_eq!(splitcore_frames_close(&mut frx), 0);

        // Mailbox.
        let mut mw = SplitcoreMailbox { opaque: [0; 12] };
        let mut mr = SplitcoreMailbox { opaque: [0; 12] };
        assert_eq!(splitcore_mailbox_open(&mut owner, 2, SPLITCORE_END_PRODUCER, 8, &mut mw), 0);
        assert_eq!(splitcore_mailbox_open(&mut peer, 2, SPLITCORE_END_CONSUMER, 8, &mut mr), 0);
        let mut out = [0u32; 2];
        assert_eq!(splitcore_mailbox_read(&mut mr, out.as_mut_ptr().cast()), SplitcoreStatus::Empty as i32);
        assert_eq!(splitcore_mailbox_write(&mut mw, [5u32, 6].as_ptr().cast()), 0);
        assert_eq!(splitcore_mailbox_read(&mut mr, out.as_mut_ptr().cast()), 0);
        assert_eq!(out, [5, 6]);

        // Events.
        let mut es = SplitcoreEvents { opaque: [0; 10] };
        let mut er = SplitcoreEvents { opaque: [0; 10] };
        assert_eq!(splitcore_events_open(&mut owner, 3, SPLITCORE_END_PRODUCER, &mut es), 0);
        assert_eq!(splitcore_events_open(&mut peer, 3, SPLITCORE_END_CONSUMER, &mut er), 0);
        let mut prev = 7;
        assert_eq!(splitcore_events_raise(&mut es, 6, &mut prev), 0);
        assert_eq!(prev, 0);
        let mut flags = 0;
        assert_eq!(splitcore_events_take(&mut er, &mut flags), 0);
        assert_eq!(flags, 6);
        assert_eq!(splitcore_events_take(&mut es, &mut flags), SplitcoreStatus::WrongEnd as i32);

        assert_eq!(
            splitcore_region_init(&mut owner, memp, size, specs.as_ptr(), 4, 0),
            SplitcoreStatus::AlreadyInitialised as i32
        );
        let bad = [SplitcoreChannelSpec { kind: 9, elem_size: 4, elem_align: 4, capacity: 4 }];
        assert_eq!(
            splitcore_layout_size(bad.as_ptr(), 1, &mut size, ptr::null_mut()),
            SplitcoreStatus::InvalidLayout as i32
        );
        let s = std::ffi::CStr::from_ptr(splitcore_status_str(SplitcoreStatus::PeerCorrupt as i32));
        assert_eq!(s.to_str().unwrap(), "peer corrupt");
        drop(mem);
    }
}

/// A corrupt producer index (in range, so it is believed) or header is an error, and once the
/// shared values are right again the consumer carries on from the last frame it released.
#[test]
fn frame_consumer_recovers_after_a_transient_corruption() {
    let buf = fresh();
    let region = Region::init(&*buf, &LAYOUT).unwrap();
    let mut ftx = region.frame_producer(LOG).unwrap();
    let mut frx = region.frame_consumer(LOG).unwrap();
    ftx.send(b"first").unwrap();
    ftx.send(b"second").unwrap();
    let mut out = [0u8; 64];
    assert_eq!(frx.recv(&mut out).unwrap(), Some(5));
    let log = LAYOUT.channels()[1];
    let head = word(&buf, log.offset);
    // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
    let good_head = unsafe { head.read() };
    assert_eq!(frx.recv(&mut out).unwrap(), Some(6));
    // SAFETY: as above. A head 2 bytes further: in range, so the consumer caches it, but no
    // record header fits in 2 bytes.
    unsafe { head.write(good_head + 2) };
    assert!(matches!(frx.read().err(), Some(Error::PeerCorrupt { field: Field::Head, .. })));
    assert!(frx.read().is_err(), "still corrupt: still an error");
    // SAFETY: as above; the producer's real index is back.
    unsafe { head.write(good_head) };
    assert!(frx.read().unwrap().is_none(), "nothing new: the cached bad index was dropped");
    ftx.send(b"third").unwrap();
    assert_eq!(frx.recv(&mut out).unwrap(), Some(5));
    assert_eq!(&out[..5], b"third");
}
