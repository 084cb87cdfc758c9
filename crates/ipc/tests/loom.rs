//! loom models of each channel kind. Run with
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test -p splitcore-ipc --release --test loom`.
#![cfg(loom)]

use loom::thread;
use splitcore_ipc::*;

const LAYOUT: Layout = LayoutBuilder::new()
    .ring::<u32>("ring", 2)
    .frames("frames", 16)
    .mailbox::<[u32; 2]>("mb")
    .events("ev")
    .build();
const RING: ChannelId<Ring<u32>> = LAYOUT.ring_id("ring");
const FRAMES: ChannelId<Frames> = LAYOUT.frames_id("frames");
const MB: ChannelId<Mailbox<[u32; 2]>> = LAYOUT.mailbox_id("mb");
const EV: ChannelId<Events> = LAYOUT.events_id("ev");
type Buf = RegionBuf<{ LAYOUT.size() }>;

/// Fresh shared memory per execution (leaked: loom threads need `'static`).
fn region(start: u32) -> (&'static Buf, Region<'static>) {
    let buf: &'static Buf = Box::leak(Buf::new_boxed());
    let owner = Region::init_with_start_index(buf, &LAYOUT, start).unwrap();
    (buf, owner)
}

#[test]
fn loom_ring() {
    loom::model(|| {
        let (buf, owner) = region(u32::MAX);
        let mut tx = owner.ring_producer(RING).unwrap();
        let t = thread::spawn(move || {
            let mut i = 0;
            while i < 3 {
                match tx.push(10 + i) {
                    Ok(()) => i += 1,
                    Err(PushError::Full(_)) => thread::yield_now(),
                    Err(e) => panic!("{e}"),
                }
            }
        });
        let peer = Region::attach(buf, &LAYOUT).unwrap();
        let mut rx = peer.ring_consumer(RING).unwrap();
        let mut i = 0;
        while i < 3 {
            match rx.pop().unwrap() {
                Some(v) => {
                    assert_eq!(v, 10 + i);
                    i += 1;
                }
                None => thread::yield_now(),
            }
        }
        t.join().unwrap();
    });
}

#[test]
fn loom_frames() {
    loom::model(|| {
        let (_buf, owner) = region(u32::MAX - 7);
        let mut tx = owner.frame_producer(FRAMES).unwrap();
        let mut rx = owner.frame_consumer(FRAMES).unwrap();
        let t = thread::spawn(move || {
            let mut i = 0u8;
            while i < 3 {
                match tx.send(&[i; 4][..usize::from(i) + 1]) {
                    Ok(()) => i += 1,
                    Err(Error::Full) => thread::yield_now(),
                    Err(e) => panic!("{e}"),
                }
            }
        });
        let mut i = 0u8;
        while i < 3 {
            match rx.read().unwrap() {
                Some(f) => {
                    assert_eq!(&*f, &[i; 4][..usize::from(i) + 1]);
                    f.release();
                    i += 1;
                }
                None => thread::yield_now(),
            }
        }
        t.join().unwrap();
    });
}

#[test]
fn loom_mailbox() {
    loom::model(|| {
        let (_buf, owner) = region(0);
        let mut w = owner.mailbox_writer(MB).unwrap();
        let mut r = owner.mailbox_reader(MB).unwrap();
        r.set_retries(2);
        let t = thread::spawn(move || {
            w.write(&[1, 1]);
            w.write(&[2, 2]);
        });
        let mut last = 0;
        for _ in 0..2 {
            match r.read() {
                Ok(None) => assert_eq!(last, 0),
                Ok(Some([a, b])) => {
                    assert_eq!(a, b, "torn value");
                    assert!(a >= last);
                    last = a;
                }
                Err(Error::Busy) => {}
                Err(e) => panic!("{e}"),
            }
        }
        t.join().unwrap();
        assert_eq!(r.read().unwrap(), Some([2, 2]));
    });
}

#[test]
fn loom_events_publish_data() {
    loom::model(|| {
        let (_buf, owner) = region(0);
        let mut w = owner.mailbox_writer(MB).unwrap();
        let r = owner.mailbox_reader(MB).unwrap();
        let tx = owner.event_sender(EV).unwrap();
        let rx = owner.event_receiver(EV).unwrap();
        let t = thread::spawn(move || {
            w.write(&[7, 7]);
            tx.raise(1);
            tx.raise(2);
        });
        let mut seen = 0;
        while seen != 3 {
            let f = rx.take();
            if f & 1 != 0 {
                // Raised after the write (Release) and taken with Acquire: the value is there.
                assert_eq!(r.read().unwrap(), Some([7, 7]));
            }
            seen |= f;
            if seen != 3 {
                thread::yield_now();
            }
        }
        t.join().unwrap();
    });
}
