//! C (gcc, against the committed header) and Rust on the two ends of the same channels.
//!
//! `cargo test -p splitcore-ipc-ffi-test --release` moves 10 million frames in each
//! direction and 10 million ring items; debug builds default to 1 million. Override with
//! `SPLITCORE_FFI_MESSAGES=N`.
//!
//! The C file includes `splitcore_ipc.h`, so a successful build of this crate also means
//! the header's `_Static_assert` layout checks hold under gcc (`tests/header_compiles.rs`
//! checks it again, standalone and with `-pedantic`).

use std::sync::{Mutex, MutexGuard};

use splitcore_ipc::{Error, Region};
use splitcore_ipc_ffi_test::*;

/// The heavy tests each keep both cores busy; run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn messages() -> u64 {
    match std::env::var("SPLITCORE_FFI_MESSAGES") {
        Ok(v) => v.parse().expect("SPLITCORE_FFI_MESSAGES: a number"),
        Err(_) if cfg!(debug_assertions) => 1_000_000,
        Err(_) => 10_000_000,
    }
}

const SEED: u64 = 0x005E_ED0F_C0DE;

#[test]
fn c_and_rust_compute_the_same_layout() {
    let (mut size, mut align) = (0u32, 0u32);
    // SAFETY: both pointers are writable.
    let s = unsafe { c_layout_size(&mut size, &mut align) };
    assert_eq!(s, 0, "{}", status_str(s));
    assert_eq!(size as usize, LAYOUT.size());
    assert_eq!(align as usize, LAYOUT.align());
}

#[test]
fn c_checks_the_documented_status_codes() {
    let mem = SharedMem::new(LAYOUT.size() + 256);
    let mut res = CResult::default();
    // SAFETY: `mem` is zeroed, aligned and `len` bytes long; `res` is writable.
    unsafe { c_error_checks(mem.as_ptr(), mem.len_u32(), &mut res) };
    res.assert_ok("c_error_checks");
    assert_eq!(res.done, 1);
    // The C code re-initialised the region with `force`: Rust attaches to it.
    Region::attach(mem.region_mem(), &LAYOUT).expect("attach after the C checks");
}

/// C initialises the region from its own spec table; Rust attaches with its const layout
/// (so the two agree on every descriptor and the checksum); a C thread produces frames of
/// 1..=200 bytes, a Rust thread consumes and checks them.
#[test]
fn frames_c_producer_rust_consumer() {
    let _serial = serial();
    let n = messages();
    let mem = SharedMem::for_layout();
    // SAFETY: `mem` is zeroed and sized and aligned for the layout.
    let s = unsafe { c_region_init(mem.as_ptr(), mem.len_u32()) };
    assert_eq!(s, 0, "c_region_init: {}", status_str(s));
    let region = Region::attach(mem.region_mem(), &LAYOUT).expect("Rust attaches to the C region");
    let mut rx = region.frame_consumer(C2R).unwrap();
    let start = std::time::Instant::now();
    let (c, rust_sum) = std::thread::scope(|s| {
        let producer = s.spawn(|| {
            let mut res = CResult::default();
            // SAFETY: `mem` outlives the scope; `res` is writable.
            unsafe { c_frame_producer(mem.as_ptr(), mem.len_u32(), C2R.index(), n, SEED, &mut res) };
            res
        });
        let mut sum = 0u64;
        let mut seq = 0u64;
        while seq < n {
            match rx.read() {
                Ok(Some(frame)) => {
                    let h = check_frame(SEED, seq, &frame).unwrap_or_else(|e| panic!("{e}"));
                    sum = sum.wrapping_add(u64::from(h));
                    frame.release();
                    seq += 1;
                }
                Ok(None) => {
                    if producer.is_finished() && rx.pending_bytes() == 0 {
                        panic!("the C producer stopped after {seq} frames: {:?}", producer.join());
                    }
                    std::thread::yield_now();
                }
                Err(e) => panic!("frame {seq}: {e}"),
            }
        }
        (producer.join().unwrap(), sum)
    });
    c.assert_ok("c_frame_producer");
    assert_eq!(c.done, n);
    assert_eq!(c.checksum, rust_sum, "checksums of sent and received frames differ");
    // Nothing extra: no duplicated frame after the last one.
    assert!(rx.read().unwrap().is_none(), "a frame beyond the last one");
    assert_eq!(rx.pending_bytes(), 0);
    eprintln!("C -> Rust: {n} frames in {:?}", start.elapsed());
}

/// Rust initialises; C attaches through the C ABI; a Rust thread produces frames, a C
/// thread consumes and checks them.
#[test]
fn frames_rust_producer_c_consumer() {
    let _serial = serial();
    let n = messages();
    let mem = SharedMem::for_layout();
    let region = Region::init(mem.region_mem(), &LAYOUT).unwrap();
    let mut tx = region.frame_producer(R2C).unwrap();
    let start = std::time::Instant::now();
    let (c, rust_sum) = std::thread::scope(|s| {
        let consumer = s.spawn(|| {
            let mut res = CResult::default();
            // SAFETY: `mem` outlives the scope; `res` is writable.
            unsafe { c_frame_consumer(mem.as_ptr(), mem.len_u32(), R2C.index(), n, SEED, &mut res) };
            res
        });
        let mut sum = 0u64;
        let mut seq = 0u64;
        while seq < n {
            let len = frame_len(SEED, seq) as usize;
            match tx.grant(len) {
                Ok(mut g) => {
                    fill_frame(SEED, seq, &mut g);
                    sum = sum.wrapping_add(u64::from(frame_digest(&g)));
                    g.commit(len);
                    seq += 1;
                }
                Err(Error::Full) => {
                    if consumer.is_finished() {
                        panic!("the C consumer stopped after {seq} frames: {:?}", consumer.join());
                    }
                    std::thread::yield_now();
                }
                Err(e) => panic!("frame {seq}: {e}"),
            }
        }
        (consumer.join().unwrap(), sum)
    });
    c.assert_ok("c_frame_consumer");
    assert_eq!(c.done, n);
    assert_eq!(c.checksum, rust_sum, "checksums of sent and received frames differ");
    // The C consumer released everything it read, and nothing is left over.
    let peer = Region::attach(mem.region_mem(), &LAYOUT).unwrap();
    let mut rx = peer.frame_consumer(R2C).unwrap();
    assert!(rx.read().unwrap().is_none(), "frames left in the ring");
    assert_eq!(tx.free_bytes(), 1 << 16);
    eprintln!("Rust -> C: {n} frames in {:?}", start.elapsed());
}

/// A C thread pushes `Sample`s (a 24-byte POD struct) on a typed ring; Rust pops them with
/// the typed API, in single pops and batches.
#[test]
fn typed_ring_c_producer_rust_consumer() {
    let _serial = serial();
    let n = messages();
    let mem = SharedMem::for_layout();
    let region = Region::init(mem.region_mem(), &LAYOUT).unwrap();
    let mut rx = region.ring_consumer(SAMPLES).unwrap();
    let start = std::time::Instant::now();
    let (c, rust_sum) = std::thread::scope(|s| {
        let producer = s.spawn(|| {
            let mut res = CResult::default();
            // SAFETY: `mem` outlives the scope; `res` is writable.
            unsafe { c_sample_producer(mem.as_ptr(), mem.len_u32(), n, SEED, &mut res) };
            res
        });
        let mut sum = 0u64;
        let mut seq = 0u64;
        let mut batch = [Sample::default(); 64];
        while seq < n {
            let got = if seq.is_multiple_of(3) {
                match rx.pop().unwrap() {
                    Some(v) => {
                        batch[0] = v;
                        1
                    }
                    None => 0,
                }
            } else {
                rx.pop_into(&mut batch).unwrap()
            };
            for v in &batch[..got] {
                assert_eq!(*v, make_sample(SEED, seq), "sample {seq}");
                sum = sum.wrapping_add(u64::from(v.check));
                seq += 1;
            }
            if got == 0 {
                if producer.is_finished() && rx.is_empty() {
                    panic!("the C producer stopped after {seq} samples: {:?}", producer.join());
                }
                std::thread::yield_now();
            }
        }
        (producer.join().unwrap(), sum)
    });
    c.assert_ok("c_sample_producer");
    assert_eq!(c.done, n);
    assert_eq!(c.checksum, rust_sum);
    assert_eq!(rx.pop().unwrap(), None, "a sample beyond the last one");
    eprintln!("C -> Rust: {n} samples in {:?}", start.elapsed());
}

/// A C thread writes the mailbox as fast as it can; Rust never sees a torn or older value.
#[test]
fn mailbox_c_writer_rust_reader() {
    let _serial = serial();
    const N: u32 = 1_000_000;
    let mem = SharedMem::for_layout();
    let region = Region::init(mem.region_mem(), &LAYOUT).unwrap();
    let r = region.mailbox_reader(MAILBOX).unwrap();
    let c = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut res = CResult::default();
            // SAFETY: `mem` outlives the scope; `res` is writable.
            unsafe { c_mailbox_writer(mem.as_ptr(), mem.len_u32(), N, &mut res) };
            res
        });
        let (mut last, mut ok) = (0u32, 0u32);
        loop {
            let finished = writer.is_finished();
            match r.read() {
                Ok(Some([a, b, c, d])) => {
                    assert_eq!([b, c, d], [a ^ 0xA5A5_A5A5, a.wrapping_mul(3), !a], "torn read");
                    assert!(a >= last, "went backwards: {a} < {last}");
                    last = a;
                    ok += 1;
                }
                Ok(None) | Err(Error::Busy) => {}
                Err(e) => panic!("{e}"),
            }
            if finished {
                break;
            }
        }
        assert!(ok > 0);
        writer.join().unwrap()
    });
    c.assert_ok("c_mailbox_writer");
    assert_eq!(c.done, u64::from(N));
    assert_eq!(r.read().unwrap(), Some([N, N ^ 0xA5A5_A5A5, N.wrapping_mul(3), !N]));
}
