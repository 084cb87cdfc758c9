//! splitcore-ipc between two emulated Xtensa cores: for every channel kind one core produces
//! and the other consumes, with checksummed payloads; zero lost, duplicated, reordered or torn.
//! Under `-icount` on one core, the ring's push + pop is measured in guest instructions.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};

use splitcore_ipc::{
    ChannelId, Error, Events, Frames, Layout, LayoutBuilder, Mailbox, PushError, Region, RegionBuf, Ring,
};
use splitcore_target_test::{
    board, check, check_eq, println, target_test_main, Failure, TestCase, TestResult,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct State {
    value: u32,
    inverted: u32,
    tripled: u32,
    seq: u32,
}

const LAYOUT: Layout = LayoutBuilder::new()
    .ring::<u32>("numbers", 64)
    .frames("frames", 2048)
    .mailbox::<State>("state")
    .events("events")
    .ring::<u32>("acks", 16)
    .ring::<u32>("bench", 64)
    .build();
const NUMBERS: ChannelId<Ring<u32>> = LAYOUT.ring_id("numbers");
const FRAMES: ChannelId<Frames> = LAYOUT.frames_id("frames");
const STATE: ChannelId<Mailbox<State>> = LAYOUT.mailbox_id("state");
const EVENTS: ChannelId<Events> = LAYOUT.events_id("events");
const ACKS: ChannelId<Ring<u32>> = LAYOUT.ring_id("acks");
const BENCH: ChannelId<Ring<u32>> = LAYOUT.ring_id("bench");

static SHARED: RegionBuf<{ LAYOUT.size() }> = RegionBuf::new();

fn fail(e: Error, what: &str) -> Failure {
    Failure::new(file!(), line!(), format_args!("{what}: {e}"))
}

fn region() -> Result<Region<'static>, Failure> {
    Region::attach(&SHARED, &LAYOUT).map_err(|e| fail(e, "attach"))
}

fn mix(x: u32) -> u32 {
    let x = x.wrapping_mul(0x9e37_79b1) ^ 0x5bd1_e995;
    x ^ (x >> 15)
}

fn init_region() -> TestResult {
    Region::init(&SHARED, &LAYOUT).map_err(|e| fail(e, "init"))?;
    Ok(())
}

// ---- typed ring ---------------------------------------------------------------------------------

const RING_ITEMS: u32 = 100_000;
static RING_SUM: AtomicU32 = AtomicU32::new(0);

fn ring_producer_core0() -> TestResult {
    let region = region()?;
    let mut tx = region.ring_producer(NUMBERS).map_err(|e| fail(e, "producer"))?;
    let mut sum = 0u32;
    let mut i = 0;
    while i < RING_ITEMS {
        match tx.push(mix(i)) {
            Ok(()) => {
                sum = sum.wrapping_add(mix(i));
                i += 1;
            }
            Err(PushError::Full(_)) => core::hint::spin_loop(),
            Err(PushError::Corrupt(_, e)) => return Err(fail(e, "push")),
        }
    }
    RING_SUM.store(sum, Ordering::Release);
    Ok(())
}

fn ring_consumer_core1() -> TestResult {
    let region = region()?;
    let mut rx = region.ring_consumer(NUMBERS).map_err(|e| fail(e, "consumer"))?;
    let mut expected = 0u32;
    while expected < RING_ITEMS {
        if let Some(v) = rx.pop().map_err(|e| fail(e, "pop"))? {
            check_eq!(v, mix(expected));
            expected += 1;
        }
    }
    check!(rx.pop().map_err(|e| fail(e, "pop"))?.is_none(), "an item arrived that was never pushed");
    Ok(())
}

// ---- frames -------------------------------------------------------------------------------------

const FRAME_COUNT: u32 = 20_000;

fn frame_len(seq: u32) -> usize {
    4 + (mix(seq) % 197) as usize
}

fn frame_byte(seq: u32, i: usize) -> u8 {
    (mix(seq.wrapping_add(i as u32)) >> 8) as u8
}

fn frames_producer_core0() -> TestResult {
    let region = region()?;
    let mut tx = region.frame_producer(FRAMES).map_err(|e| fail(e, "frame producer"))?;
    let mut seq = 0;
    while seq < FRAME_COUNT {
        let len = frame_len(seq);
        match tx.grant(len) {
            Ok(mut grant) => {
                grant[..4].copy_from_slice(&seq.to_le_bytes());
                for (i, b) in grant[4..].iter_mut().enumerate() {
                    *b = frame_byte(seq, i);
                }
                grant.commit(len);
                seq += 1;
            }
            Err(Error::Full) => core::hint::spin_loop(),
            Err(e) => return Err(fail(e, "grant")),
        }
    }
    // A frame larger than the ring can ever hold is an error, never truncated.
    let too_big = tx.max_frame_len() + 1;
    check!(
        matches!(tx.grant(too_big), Err(Error::FrameTooLarge { .. })),
        "grant of {} bytes should be FrameTooLarge",
        too_big
    );
    Ok(())
}

fn frames_consumer_core1() -> TestResult {
    let region = region()?;
    let mut rx = region.frame_consumer(FRAMES).map_err(|e| fail(e, "frame consumer"))?;
    let mut seq = 0u32;
    while seq < FRAME_COUNT {
        let Some(frame) = rx.read().map_err(|e| fail(e, "read"))? else { continue };
        check_eq!(frame.len(), frame_len(seq));
        check_eq!(u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]), seq);
        for (i, b) in frame[4..].iter().enumerate() {
            if *b != frame_byte(seq, i) {
                return Err(Failure::new(file!(), line!(), format_args!("frame {seq} byte {i} corrupt")));
            }
        }
        frame.release();
        seq += 1;
    }
    Ok(())
}

// ---- mailbox ------------------------------------------------------------------------------------

const MAILBOX_WRITES: u32 = 100_000;
static WRITER_DONE: AtomicU32 = AtomicU32::new(0);

fn mailbox_writer_core1() -> TestResult {
    WRITER_DONE.store(0, Ordering::Relaxed);
    let region = region()?;
    let mut writer = region.mailbox_writer(STATE).map_err(|e| fail(e, "writer"))?;
    for seq in 1..=MAILBOX_WRITES {
        let value = mix(seq);
        writer.write(&State { value, inverted: !value, tripled: value.wrapping_mul(3), seq });
    }
    WRITER_DONE.store(1, Ordering::Release);
    Ok(())
}

fn mailbox_reader_core0() -> TestResult {
    let region = region()?;
    let reader = region.mailbox_reader(STATE).map_err(|e| fail(e, "reader"))?;
    let (mut reads, mut busy, mut last_seq) = (0u32, 0u32, 0u32);
    loop {
        let done = WRITER_DONE.load(Ordering::Acquire) != 0;
        match reader.read() {
            Ok(Some(s)) => {
                check!(
                    s.inverted == !s.value && s.tripled == s.value.wrapping_mul(3) && s.value == mix(s.seq),
                    "torn value {:?}",
                    s
                );
                check!(s.seq >= last_seq, "sequence went backwards: {} after {}", s.seq, last_seq);
                last_seq = s.seq;
                reads += 1;
            }
            Ok(None) => {}
            Err(Error::Busy) => busy += 1,
            Err(e) => return Err(fail(e, "read")),
        }
        if done {
            break;
        }
    }
    let last = reader.read().map_err(|e| fail(e, "final read"))?;
    check_eq!(last.map(|s| s.seq), Some(MAILBOX_WRITES));
    println!("    mailbox: {} consistent reads, {} busy, last seq {}", reads, busy, last_seq);
    Ok(())
}

// ---- events -------------------------------------------------------------------------------------

const EVENT_ROUNDS: u32 = 3_000;

fn events_sender_core0() -> TestResult {
    let region = region()?;
    let sender = region.event_sender(EVENTS).map_err(|e| fail(e, "sender"))?;
    let mut acks = region.ring_consumer(ACKS).map_err(|e| fail(e, "acks"))?;
    for round in 0..EVENT_ROUNDS {
        let mask = 1u32 << (round % 32) | 1 << ((round * 7 + 3) % 32);
        sender.raise(mask);
        let ack = loop {
            if let Some(ack) = acks.pop().map_err(|e| fail(e, "ack"))? {
                break ack;
            }
        };
        check_eq!(ack, mask);
    }
    Ok(())
}

fn events_receiver_core1() -> TestResult {
    let region = region()?;
    let receiver = region.event_receiver(EVENTS).map_err(|e| fail(e, "receiver"))?;
    let mut acks = region.ring_producer(ACKS).map_err(|e| fail(e, "acks"))?;
    let mut rounds = 0;
    while rounds < EVENT_ROUNDS {
        let bits = receiver.take();
        if bits != 0 {
            while acks.push(bits).is_err() {}
            rounds += 1;
        }
    }
    Ok(())
}

// ---- instruction counts under -icount -----------------------------------------------------------

#[inline(never)]
fn push_pop_pairs(region: &Region<'static>, pairs: u32) -> Result<u32, Failure> {
    let mut tx = region.ring_producer(BENCH).map_err(|e| fail(e, "bench producer"))?;
    let mut rx = region.ring_consumer(BENCH).map_err(|e| fail(e, "bench consumer"))?;
    // Batches of 32: each side refreshes its copy of the other's index once per batch, so
    // the figure is the fast path plus that refresh amortised over 32 items (the pattern of a
    // producer and consumer that do not hand over every single item).
    let mut sum = 0u32;
    let start = board::ccount();
    for batch in 0..pairs / 32 {
        for i in 0..32 {
            let _ = tx.push(batch * 32 + i);
        }
        for _ in 0..32 {
            if let Ok(Some(v)) = rx.pop() {
                sum = sum.wrapping_add(v);
            }
        }
    }
    let cycles = board::ccount().wrapping_sub(start);
    core::hint::black_box(sum);
    Ok(cycles)
}

/// With `-icount shift=0` CCOUNT advances once per 25 guest instructions, exactly repeatably:
/// the difference between 35200 and 3200 pairs gives instructions per push + pop (loop included).
fn icount_push_pop() -> TestResult {
    if !board::config().icount {
        return Err(Failure::skip("needs -icount (cargo xtask qemu qemu-ipc --cpus 1 --icount)"));
    }
    let region = region()?;
    let short = push_pop_pairs(&region, 3_200)?;
    let long = push_pop_pairs(&region, 35_200)?;
    // Hundredths of an instruction per pair: 25 instructions per tick over 32 000 pairs.
    let centi = (long - short) as u64 * 25 * 100 / 32_000;
    println!(
        "icount: ring push+pop = {}.{:02} guest instructions per pair (u32, batches of 32, loop included)",
        centi / 100,
        centi % 100
    );
    check!(centi > 0 && centi < 200 * 100, "implausible {} instructions per pair", centi / 100);
    Ok(())
}

target_test_main!(
    TestCase::core0("region init (owner side)", init_region),
    TestCase::dual(
        "typed ring: 100k checksummed u32, core 0 -> core 1",
        ring_producer_core0,
        ring_consumer_core1
    ),
    TestCase::dual(
        "frames: 20k variable-length frames, core 0 -> core 1",
        frames_producer_core0,
        frames_consumer_core1
    ),
    TestCase::dual(
        "mailbox: 100k writes on core 1, never torn on core 0",
        mailbox_reader_core0,
        mailbox_writer_core1
    ),
    TestCase::dual("events: 3000 rounds of flags, none lost", events_sender_core0, events_receiver_core1),
    TestCase::core0("ring push+pop in guest instructions (-icount)", icount_push_pop),
);
