//! Random operation sequences checked against simple models.

use std::collections::VecDeque;

use proptest::prelude::*;
use splitcore_ipc::*;

const LAYOUT: Layout =
    LayoutBuilder::new().ring::<u16>("ring", 8).frames("frames", 64).mailbox::<[u32; 3]>("mb").build();
const RING: ChannelId<Ring<u16>> = LAYOUT.ring_id("ring");
const FRAMES: ChannelId<Frames> = LAYOUT.frames_id("frames");
const MB: ChannelId<Mailbox<[u32; 3]>> = LAYOUT.mailbox_id("mb");
type Buf = RegionBuf<{ LAYOUT.size() }>;

#[derive(Debug, Clone)]
enum RingOp {
    Push(u16),
    Pop,
    PushSlice(Vec<u16>),
    PopInto(usize),
}

fn ring_op() -> impl Strategy<Value = RingOp> {
    prop_oneof![
        any::<u16>().prop_map(RingOp::Push),
        Just(RingOp::Pop),
        proptest::collection::vec(any::<u16>(), 0..12).prop_map(RingOp::PushSlice),
        (0usize..12).prop_map(RingOp::PopInto),
    ]
}

fn start_index() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), u32::MAX - 20..=u32::MAX, any::<u32>()]
}

proptest! {
    #[test]
    fn ring_matches_vecdeque(start in start_index(), ops in proptest::collection::vec(ring_op(), 0..200)) {
        let buf = Buf::new_boxed();
        let region = Region::init_with_start_index(&*buf, &LAYOUT, start).unwrap();
        let mut tx = region.ring_producer(RING).unwrap();
        let mut rx = region.ring_consumer(RING).unwrap();
        let mut model = VecDeque::new();
        for op in ops {
            match op {
                RingOp::Push(v) => {
                    let r = tx.push(v);
                    if model.len() < 8 {
                        prop_assert_eq!(r, Ok(()));
                        model.push_back(v);
                    } else {
                        prop_assert_eq!(r, Err(PushError::Full(v)));
                    }
                }
                RingOp::Pop => prop_assert_eq!(rx.pop().unwrap(), model.pop_front()),
                RingOp::PushSlice(items) => {
                    let n = tx.push_slice(&items).unwrap();
                    prop_assert_eq!(n, items.len().min(8 - model.len()));
                    model.extend(&items[..n]);
                }
                RingOp::PopInto(k) => {
                    let mut out = vec![0; k];
                    let n = rx.pop_into(&mut out).unwrap();
                    prop_assert_eq!(n, k.min(model.len()));
                    let expect: Vec<u16> = model.drain(..n).collect();
                    prop_assert_eq!(&out[..n], &expect[..]);
                }
            }
            prop_assert_eq!(rx.len(), model.len());
            prop_assert_eq!(tx.slots(), 8 - model.len());
        }
    }
}

#[derive(Debug, Clone)]
enum FrameOp {
    Send(usize),
    Recv,
    GrantDrop(usize),
    ReadNoRelease,
}

fn frame_op() -> impl Strategy<Value = FrameOp> {
    prop_oneof![
        (0usize..=30).prop_map(FrameOp::Send),
        Just(FrameOp::Recv),
        (0usize..=28).prop_map(FrameOp::GrantDrop),
        Just(FrameOp::ReadNoRelease),
    ]
}

/// An independent byte-accounting model of the frame ring.
struct FrameModel {
    cap: u32,
    head: u32,
    tail: u32,
    frames: VecDeque<(Vec<u8>, u32)>,
}

impl FrameModel {
    fn fits(&self, len: usize) -> Result<(u32, u32), Error> {
        let max = self.cap / 2 - 4;
        if len > max as usize {
            return Err(Error::FrameTooLarge { len: len as u32, max });
        }
        let need = 4 + (len as u32).div_ceil(4) * 4;
        let pos = self.head % self.cap;
        let skip = if self.cap - pos >= need { 0 } else { self.cap - pos };
        if self.cap - self.head.wrapping_sub(self.tail) < skip + need {
            return Err(Error::Full);
        }
        Ok((skip, need))
    }
}

proptest! {
    #[test]
    fn frames_match_model(start in start_index(), ops in proptest::collection::vec(frame_op(), 0..200)) {
        let buf = Buf::new_boxed();
        let region = Region::init_with_start_index(&*buf, &LAYOUT, start).unwrap();
        let mut tx = region.frame_producer(FRAMES).unwrap();
        let mut rx = region.frame_consumer(FRAMES).unwrap();
        let s = start & !3;
        let mut m = FrameModel { cap: 64, head: s, tail: s, frames: VecDeque::new() };
        let mut counter = 0u8;
        for op in ops {
            match op {
                FrameOp::Send(len) => {
                    let frame: Vec<u8> = (0..len).map(|_| { counter = counter.wrapping_add(1); counter }).collect();
                    let expect = m.fits(len);
                    let got = tx.send(&frame);
                    match expect {
                        Ok((skip, need)) => {
                            prop_assert_eq!(got, Ok(()));
                            m.head = m.head.wrapping_add(skip + need);
                            m.frames.push_back((frame, skip + need));
                        }
                        Err(e) => prop_assert_eq!(got, Err(e)),
                    }
                }
                FrameOp::GrantDrop(len) => {
                    let expect = m.fits(len).map(|_| ());
                    prop_assert_eq!(tx.grant(len).map(|_| ()), expect);
                }
                FrameOp::Recv => {
                    let mut out = [0u8; 64];
                    let got = rx.recv(&mut out).unwrap();
                    match m.frames.pop_front() {
                        Some((f, adv)) => {
                            prop_assert_eq!(got, Some(f.len()));
                            prop_assert_eq!(&out[..f.len()], &f[..]);
                            m.tail = m.tail.wrapping_add(adv);
                        }
                        None => prop_assert_eq!(got, None),
                    }
                }
                FrameOp::ReadNoRelease => {
                    let got = rx.read().unwrap().map(|g| g.to_vec());
                    prop_assert_eq!(got, m.frames.front().map(|f| f.0.clone()));
                }
            }
        }
    }

    #[test]
    fn mailbox_returns_last_written_or_busy(ops in proptest::collection::vec(proptest::option::of(any::<[u32; 3]>()), 0..100), stuck in any::<bool>()) {
        let buf = Buf::new_boxed();
        let region = Region::init(&*buf, &LAYOUT).unwrap();
        let mut w = region.mailbox_writer(MB).unwrap();
        let r = region.mailbox_reader(MB).unwrap();
        let mut last = None;
        for op in ops {
            match op {
                Some(v) => { w.write(&v); last = Some(v); }
                None => prop_assert_eq!(r.read(), Ok(last)),
            }
        }
        if stuck && last.is_some() {
            // A writer interrupted mid-update: the reader reports Busy, never a torn value.
            // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
            let seq = unsafe { buf.as_ptr().add(LAYOUT.channels()[2].offset as usize).cast::<u32>() };
            // SAFETY: test-only access to an aligned word inside the live buffer; no other thread runs.
            unsafe { seq.write(seq.read() | 1) };
            prop_assert_eq!(r.read(), Err(Error::Busy));
        }
    }
}
