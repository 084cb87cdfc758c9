//! Criterion versions of the single-thread measurements: push+pop of one `u64`, and one
//! 64-byte message sent and received, for every implementation.

use criterion::{criterion_group, criterion_main, Criterion};
use splitcore_ipc_bench::queues::{Msg, MsgQueue, MsgRx, MsgTx, Queue, Rx, Tx, MSG_LEN, MSG_TAIL};
use splitcore_ipc_bench::{with_msg_queue, with_queue, ITEM_IMPLS, MSG_IMPLS};
use std::hint::black_box;

fn push_pop<Q: Queue>(c: &mut Criterion) {
    let (mut tx, mut rx) = Q::pair();
    let mut i = 0u64;
    c.bench_function(&format!("push+pop u64/{}", Q::NAME), |b| {
        b.iter(|| {
            assert!(tx.push(black_box(i)));
            assert_eq!(rx.pop(), Some(i));
            i += 1;
        })
    });
}

fn send_recv<Q: MsgQueue>(c: &mut Criterion) {
    let (mut tx, mut rx) = Q::pair();
    let mut msg: Msg = [0; MSG_LEN];
    msg[MSG_LEN - 1] = MSG_TAIL;
    let mut i = 0u64;
    c.bench_function(&format!("send+recv 64 B/{}", Q::NAME), |b| {
        b.iter(|| {
            msg[..8].copy_from_slice(&i.to_le_bytes());
            assert!(tx.send(black_box(&msg)));
            assert_eq!(rx.recv(), Some(i));
            i += 1;
        })
    });
}

fn benches(c: &mut Criterion) {
    for name in ITEM_IMPLS {
        with_queue!(name, push_pop(c));
    }
    for name in MSG_IMPLS {
        with_msg_queue!(name, send_recv(c));
    }
}

criterion_group!(all, benches);
criterion_main!(all);
