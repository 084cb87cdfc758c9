//! Benchmarks of splitcore-ipc against other SPSC queues; see `src/main.rs` for the
//! command line and `crates/ipc/README.md` for results.
//!
//! Every benchmark function is generic over a queue wrapper from [`queues`] and verifies
//! that every item arrives, in order, so the tests of this crate exercise the same code
//! the binary times.

pub mod queues;

use std::hint::{black_box, spin_loop};
use std::sync::Barrier;
use std::time::{Duration, Instant};

pub use queues::{MsgQueue, Queue};
use queues::{MsgRx, MsgTx, Rx, Tx, MSG_LEN, MSG_TAIL, MSG_TEMPLATE};

/// The `u64` queues, in table order (splitcore first).
pub const ITEM_IMPLS: [&str; 6] =
    ["splitcore", "rtrb", "ringbuf", "heapless::spsc", "crossbeam ArrayQueue", "std sync_channel"];

/// The 64-byte message queues, in table order.
pub const MSG_IMPLS: [&str; 4] =
    ["splitcore frames", "bbqueue framed", "rtrb [u8; 64]", "splitcore ring [u8; 64]"];

/// Calls `$f::<Q>($args)` for the `u64` queue named `$name`.
#[macro_export]
macro_rules! with_queue {
    ($name:expr, $f:ident ( $($arg:expr),* )) => {{
        use $crate::queues::*;
        match $name {
            "splitcore" => $f::<Splitcore>($($arg),*),
            "rtrb" => $f::<Rtrb>($($arg),*),
            "ringbuf" => $f::<Ringbuf>($($arg),*),
            "heapless::spsc" => $f::<Heapless>($($arg),*),
            "crossbeam ArrayQueue" => $f::<Crossbeam>($($arg),*),
            "std sync_channel" => $f::<StdSync>($($arg),*),
            other => panic!("unknown queue {other:?}"),
        }
    }};
}

/// Calls `$f::<Q>($args)` for the message queue named `$name`.
#[macro_export]
macro_rules! with_msg_queue {
    ($name:expr, $f:ident ( $($arg:expr),* )) => {{
        use $crate::queues::*;
        match $name {
            "splitcore frames" => $f::<SplitcoreFrames>($($arg),*),
            "bbqueue framed" => $f::<BbqueueFrames>($($arg),*),
            "rtrb [u8; 64]" => $f::<RtrbMsg>($($arg),*),
            "splitcore ring [u8; 64]" => $f::<SplitcoreMsgRing>($($arg),*),
            other => panic!("unknown message queue {other:?}"),
        }
    }};
}

/// Pins the current thread to the `index`-th core (modulo the core count); `false` if the
/// platform does not support it.
pub fn pin(index: usize) -> bool {
    match core_affinity::get_core_ids() {
        Some(ids) if !ids.is_empty() => core_affinity::set_for_current(ids[index % ids.len()]),
        _ => false,
    }
}

#[cold]
#[inline(never)]
fn out_of_order(got: u64, want: u64) -> ! {
    panic!("item out of order: got {got}, expected {want}")
}

/// Runs `producer` pinned to core 0 and `consumer` pinned to core 1, released together by
/// a barrier; returns the consumer's result and the time from release to its end.
fn two_threads<P, C, R>(producer: P, consumer: C) -> (R, Duration)
where
    P: FnOnce() + Send,
    C: FnOnce() -> R + Send,
    R: Send,
{
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        let b = &barrier;
        let p = s.spawn(move || {
            pin(0);
            b.wait();
            producer();
        });
        let c = s.spawn(move || {
            pin(1);
            b.wait();
            let t0 = Instant::now();
            let r = consumer();
            (r, t0.elapsed())
        });
        p.join().expect("producer panicked");
        c.join().expect("consumer panicked")
    })
}

/// Two-thread throughput: `n` `u64` items from a producer on core 0 to a consumer on
/// core 1. Returns items per second. Panics if an item is lost or reordered.
pub fn throughput<Q: Queue>(n: u64) -> f64 {
    let (mut tx, mut rx) = Q::pair();
    let ((), t) = two_threads(
        move || {
            for i in 0..n {
                while !tx.push(i) {
                    spin_loop();
                }
            }
        },
        move || {
            let mut want = 0;
            while want < n {
                match rx.pop() {
                    Some(v) => {
                        if v != want {
                            out_of_order(v, want);
                        }
                        want += 1;
                    }
                    None => spin_loop(),
                }
            }
        },
    );
    n as f64 / t.as_secs_f64()
}

/// Round-trip latency: a pinger on core 0 pushes onto one queue and spins until an echo
/// thread on core 1 pushes the item back on a second queue. Returns `n` round-trip times
/// in nanoseconds (each includes one `Instant::now()` pair), after `n / 10 + 1` warm-up
/// round trips.
pub fn round_trips<Q: Queue>(n: usize) -> Vec<f64> {
    let warm = n / 10 + 1;
    let total = (warm + n) as u64;
    let (mut ping_tx, mut ping_rx) = Q::pair();
    let (mut pong_tx, mut pong_rx) = Q::pair();
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        let b = &barrier;
        let echo = s.spawn(move || {
            pin(1);
            b.wait();
            for want in 0..total {
                let v = loop {
                    if let Some(v) = ping_rx.pop() {
                        break v;
                    }
                    spin_loop();
                };
                if v != want {
                    out_of_order(v, want);
                }
                while !pong_tx.push(v) {
                    spin_loop();
                }
            }
        });
        let pinger = s.spawn(move || {
            pin(0);
            b.wait();
            let mut samples = Vec::with_capacity(n);
            for i in 0..total {
                let t0 = Instant::now();
                while !ping_tx.push(i) {
                    spin_loop();
                }
                let v = loop {
                    if let Some(v) = pong_rx.pop() {
                        break v;
                    }
                    spin_loop();
                };
                let dt = t0.elapsed();
                if v != i {
                    out_of_order(v, i);
                }
                if i >= warm as u64 {
                    samples.push(dt.as_nanos() as f64);
                }
            }
            samples
        });
        echo.join().expect("echo panicked");
        pinger.join().expect("pinger panicked")
    })
}

/// Single-thread cost: `n` push+pop pairs on one thread (after a warm-up). Returns
/// nanoseconds per pair.
pub fn push_pop_ns<Q: Queue>(n: u64) -> f64 {
    let (mut tx, mut rx) = Q::pair();
    push_pop_loop(&mut tx, &mut rx, 1000);
    let t0 = Instant::now();
    push_pop_loop(&mut tx, &mut rx, n);
    t0.elapsed().as_nanos() as f64 / n as f64
}

/// `n` push+pop pairs of `u64`s on `tx`/`rx` (one thread). Panics on a lost item.
#[inline(never)]
pub fn push_pop_loop<T: Tx, R: Rx>(tx: &mut T, rx: &mut R, n: u64) {
    for i in 0..n {
        let pushed = tx.push(black_box(i));
        let got = rx.pop();
        if !pushed || got != Some(i) {
            out_of_order(got.unwrap_or(u64::MAX), i);
        }
    }
}

/// The same loop as [`push_pop_loop`] without a queue, to measure the loop's own cost.
#[inline(never)]
pub fn baseline_loop(n: u64) {
    for i in 0..n {
        let v = black_box(i);
        if v != i {
            out_of_order(v, i);
        }
    }
}

/// The workload of the callgrind mode: `1000` warm-up pairs, then `n` measured pairs.
/// `"baseline"` runs [`baseline_loop`] instead.
pub fn callgrind_workload(name: &str, n: u64) {
    fn run<Q: Queue>(n: u64) {
        let (mut tx, mut rx) = Q::pair();
        push_pop_loop(&mut tx, &mut rx, 1000);
        push_pop_loop(&mut tx, &mut rx, n);
    }
    if name == "baseline" {
        baseline_loop(1000);
        baseline_loop(n);
    } else {
        with_queue!(name, run(n));
    }
}

/// `n` send+receive pairs of 64-byte messages on one thread, sequence numbers from `first`.
/// Panics on a lost or damaged message.
#[inline(never)]
pub fn send_recv_loop<T: MsgTx, R: MsgRx>(tx: &mut T, rx: &mut R, first: u64, n: u64) {
    let mut msg = MSG_TEMPLATE;
    for i in first..first + n {
        msg[..8].copy_from_slice(&i.to_le_bytes());
        let sent = tx.send(black_box(&msg));
        let got = rx.recv();
        if !sent || got != Some(i) {
            out_of_order(got.unwrap_or(u64::MAX), i);
        }
    }
}

/// The same loop as [`send_recv_loop`] without a queue (the message is built and checked).
#[inline(never)]
pub fn msg_baseline_loop(first: u64, n: u64) {
    let mut msg = MSG_TEMPLATE;
    for i in first..first + n {
        msg[..8].copy_from_slice(&i.to_le_bytes());
        let got = black_box(&msg);
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&got[..8]);
        if u64::from_le_bytes(seq) != i || got[MSG_LEN - 1] != MSG_TAIL {
            out_of_order(u64::from_le_bytes(seq), i);
        }
    }
}

/// The workload of the `callgrind-msg` mode: `1000` warm-up messages, then `n` measured
/// ones, sent and received on one thread. `"baseline"` runs [`msg_baseline_loop`].
pub fn callgrind_msg_workload(name: &str, n: u64) {
    fn run<Q: MsgQueue>(n: u64) {
        let (mut tx, mut rx) = Q::pair();
        send_recv_loop(&mut tx, &mut rx, 0, 1000);
        send_recv_loop(&mut tx, &mut rx, 1000, n);
    }
    if name == "baseline" {
        msg_baseline_loop(0, 1000);
        msg_baseline_loop(1000, n);
    } else {
        with_msg_queue!(name, run(n));
    }
}

/// Two-thread message throughput: `n` 64-byte messages (sequence number in the first 8
/// bytes, [`MSG_TAIL`] in the last) from core 0 to core 1. Returns bytes of payload per
/// second. Panics if a message is lost, reordered or damaged.
pub fn msg_throughput<Q: MsgQueue>(n: u64) -> f64 {
    let (mut tx, mut rx) = Q::pair();
    let ((), t) = two_threads(
        move || {
            let mut msg = MSG_TEMPLATE;
            for i in 0..n {
                msg[..8].copy_from_slice(&i.to_le_bytes());
                while !tx.send(&msg) {
                    spin_loop();
                }
            }
        },
        move || {
            let mut want = 0;
            while want < n {
                match rx.recv() {
                    Some(v) => {
                        if v != want {
                            out_of_order(v, want);
                        }
                        want += 1;
                    }
                    None => spin_loop(),
                }
            }
        },
    );
    (n * MSG_LEN as u64) as f64 / t.as_secs_f64()
}

/// Median of `v` (sorted in place; empty → NaN).
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// The `p`-th percentile (0..=100, nearest rank) of `v` (sorted in place).
pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// `names` rotated left by `rep` (so each repetition starts with a different impl).
pub fn rotated<'a>(names: &[&'a str], rep: usize) -> Vec<&'a str> {
    let mut v = names.to_vec();
    if !v.is_empty() {
        let k = rep % v.len();
        v.rotate_left(k);
    }
    v
}

/// Parses the total instruction count (`Ir`) from a callgrind output file.
pub fn callgrind_total(out: &str) -> Option<u64> {
    out.lines()
        .find_map(|l| l.strip_prefix("totals:").or_else(|| l.strip_prefix("summary:")))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_queue_moves_items_in_order() {
        for name in ITEM_IMPLS {
            let r = with_queue!(name, throughput(50_000));
            assert!(r > 0.0, "{name}");
            let mut rt = with_queue!(name, round_trips(200));
            assert_eq!(rt.len(), 200, "{name}");
            assert!(median(&mut rt) > 0.0);
            assert!(with_queue!(name, push_pop_ns(10_000)) > 0.0, "{name}");
            callgrind_workload(name, 100);
        }
        callgrind_workload("baseline", 100);
    }

    #[test]
    fn every_message_queue_moves_messages_in_order() {
        for name in MSG_IMPLS {
            assert!(with_msg_queue!(name, msg_throughput(20_000)) > 0.0, "{name}");
            callgrind_msg_workload(name, 1000);
        }
        callgrind_msg_workload("baseline", 1000);
    }

    #[test]
    fn stats() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 99.0), 99.0);
        assert_eq!(percentile(&mut v, 50.0), 50.0);
        assert_eq!(rotated(&["a", "b", "c"], 4), ["b", "c", "a"]);
        assert_eq!(callgrind_total("events: Ir\nsummary: 1234\ntotals: 1234\n"), Some(1234));
        assert_eq!(callgrind_total("nothing"), None);
    }
}
