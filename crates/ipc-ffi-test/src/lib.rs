//! Cross-language tests for `splitcore-ipc`: `c/interop.c`, compiled by `build.rs` with the
//! host's `gcc` against the committed header `crates/ipc/include/splitcore_ipc.h`, talks to
//! Rust code through the same shared memory. This library holds the Rust mirror of the C
//! definitions (layout, message pattern, `Sample`, `CResult`) and the C entry points; the
//! tests are in `tests/cross_language.rs`.
//!
//! Run the full-size test (10 million messages per direction) with
//! `cargo test -p splitcore-ipc-ffi-test --release`; debug builds move fewer messages unless
//! `SPLITCORE_FFI_MESSAGES` says otherwise.

use core::ffi::c_void;
use core::ptr::NonNull;

use splitcore_ipc::{ChannelId, Frames, Layout, LayoutBuilder, Mailbox, RegionMem, Ring, REGION_ALIGN};

// The C code calls `splitcore_*`; naming the module keeps the dependency (and so the
// definitions of those symbols) in every link that includes this crate.
pub use splitcore_ipc::ffi;

/// Largest frame the pattern generates (`MAX_FRAME` in C).
pub const MAX_FRAME: u32 = 200;
/// `MISMATCH` in C: a data check failed (not a status code).
pub const MISMATCH: i32 = -1000;

/// The typed-ring element (`Sample` in C).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Sample {
    /// Sequence number.
    pub seq: u64,
    /// `splitmix64(seed ^ seq)` truncated.
    pub value: u32,
    /// `seq * 7` truncated.
    pub tag: u16,
    /// `seq >> 3` truncated.
    pub flags: u8,
    /// `0xA5`.
    pub reserved: u8,
    /// FNV-1a of the 16 bytes above.
    pub check: u32,
    /// `!check`.
    pub check_inv: u32,
}

const _: () = assert!(size_of::<Sample>() == 24 && align_of::<Sample>() == 8);

/// The test layout; `SPECS` in C declares the same channels.
pub const LAYOUT: Layout = LayoutBuilder::new()
    .frames("c2r", 1 << 16)
    .frames("r2c", 1 << 16)
    .ring::<Sample>("samples", 1024)
    .mailbox::<[u32; 4]>("mailbox")
    .events("events")
    .frames("small", 64)
    .ring::<u32>("tiny", 4)
    .build();
/// C producer, Rust consumer.
pub const C2R: ChannelId<Frames> = LAYOUT.frames_id("c2r");
/// Rust producer, C consumer.
pub const R2C: ChannelId<Frames> = LAYOUT.frames_id("r2c");
/// C pushes, Rust pops.
pub const SAMPLES: ChannelId<Ring<Sample>> = LAYOUT.ring_id("samples");
/// C writes, Rust reads.
pub const MAILBOX: ChannelId<Mailbox<[u32; 4]>> = LAYOUT.mailbox_id("mailbox");

/// Outcome of a C test function (`CResult` in C).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CResult {
    /// 0, a failing `SPLITCORE_STATUS_*` or [`MISMATCH`].
    pub status: i32,
    /// Line of `interop.c` of the failed check, 0 on success.
    pub line: i32,
    /// Messages completed.
    pub done: u64,
    /// Sum of the per-message checksums.
    pub checksum: u64,
}

impl CResult {
    /// Panics with the C failure, if any.
    #[track_caller]
    pub fn assert_ok(&self, what: &str) {
        assert!(
            self.status == 0 && self.line == 0,
            "{what}: C check failed at interop.c:{} with status {} ({}) after {} messages",
            self.line,
            self.status,
            status_str(self.status),
            self.done
        );
    }
}

/// The name the C ABI gives a status code.
pub fn status_str(status: i32) -> String {
    let p = ffi::splitcore_status_str(status);
    // SAFETY: `splitcore_status_str` returns a static NUL-terminated string.
    unsafe { core::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

// The C side (`c/interop.c`).
extern "C" {
    /// `splitcore_layout_size` of the C spec table.
    pub fn c_layout_size(size: *mut u32, align: *mut u32) -> i32;
    /// `splitcore_region_init` with the C spec table (`force = 0`).
    pub fn c_region_init(mem: *mut c_void, len: u32) -> i32;
    /// Produces `count` pattern frames on `channel`.
    pub fn c_frame_producer(
        mem: *mut c_void,
        len: u32,
        channel: u32,
        count: u64,
        seed: u64,
        res: *mut CResult,
    );
    /// Consumes and checks `count` pattern frames on `channel`.
    pub fn c_frame_consumer(
        mem: *mut c_void,
        len: u32,
        channel: u32,
        count: u64,
        seed: u64,
        res: *mut CResult,
    );
    /// Pushes `count` samples on the `samples` ring.
    pub fn c_sample_producer(mem: *mut c_void, len: u32, count: u64, seed: u64, res: *mut CResult);
    /// Writes `{n, n ^ 0xA5A5A5A5, n * 3, !n}` for `n` in `1..=count` to the mailbox.
    pub fn c_mailbox_writer(mem: *mut c_void, len: u32, count: u32, res: *mut CResult);
    /// Single-threaded checks of the documented status codes on zeroed memory.
    pub fn c_error_checks(mem: *mut c_void, len: u32, res: *mut CResult);
}

/// SplitMix64 (the pattern's mixer).
pub const fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Length of frame `seq`: `1..=MAX_FRAME`.
pub fn frame_len(seed: u64, seq: u64) -> u32 {
    1 + (splitmix64(seed ^ seq.wrapping_mul(0xD1B5_4A32_D192_ED03)) % u64::from(MAX_FRAME)) as u32
}

/// Payload of frame `seq` (`buf.len()` bytes): pseudo-random bytes; frames of 16 bytes or
/// more start with `seq: u64`, `len: u32` and the FNV-1a hash of the bytes after the first
/// 16, little-endian.
pub fn fill_frame(seed: u64, seq: u64, buf: &mut [u8]) {
    let base = splitmix64(seed.wrapping_add(seq));
    for (i, chunk) in buf.chunks_mut(8).enumerate() {
        let w = splitmix64(base.wrapping_add(8 * i as u64)).to_le_bytes();
        chunk.copy_from_slice(&w[..chunk.len()]);
    }
    let len = buf.len();
    if len >= 16 {
        let hash = splitcore_ipc::fnv1a(splitcore_ipc::FNV_OFFSET, &buf[16..]);
        buf[..8].copy_from_slice(&seq.to_le_bytes());
        buf[8..12].copy_from_slice(&(len as u32).to_le_bytes());
        buf[12..16].copy_from_slice(&hash.to_le_bytes());
    }
}

/// Per-frame digest for the run checksums: FNV-1a of the first 16 bytes at most (which
/// hold the hash of the rest).
pub fn frame_digest(frame: &[u8]) -> u32 {
    splitcore_ipc::fnv1a(splitcore_ipc::FNV_OFFSET, &frame[..frame.len().min(16)])
}

/// Checks received frame `seq`; returns its [`frame_digest`].
pub fn check_frame(seed: u64, seq: u64, frame: &[u8]) -> Result<u32, String> {
    let want = frame_len(seed, seq) as usize;
    if frame.len() != want {
        return Err(format!("frame {seq}: length {}, want {want}", frame.len()));
    }
    if frame.len() >= 16 {
        let u64_at = |o: usize| u64::from_le_bytes(frame[o..o + 8].try_into().unwrap());
        let u32_at = |o: usize| u32::from_le_bytes(frame[o..o + 4].try_into().unwrap());
        if u64_at(0) != seq {
            return Err(format!("frame {seq}: embedded sequence number {}", u64_at(0)));
        }
        if u32_at(8) as usize != frame.len() {
            return Err(format!("frame {seq}: embedded length {}", u32_at(8)));
        }
        if u32_at(12) != splitcore_ipc::fnv1a(splitcore_ipc::FNV_OFFSET, &frame[16..]) {
            return Err(format!("frame {seq}: embedded hash does not match"));
        }
    }
    let mut expect = [0u8; MAX_FRAME as usize];
    fill_frame(seed, seq, &mut expect[..want]);
    if frame != &expect[..want] {
        return Err(format!("frame {seq}: payload differs: {frame:02x?}"));
    }
    Ok(frame_digest(frame))
}

/// Sample `seq` as the C producer builds it.
pub fn make_sample(seed: u64, seq: u64) -> Sample {
    let mut s = Sample {
        seq,
        value: splitmix64(seed ^ seq) as u32,
        tag: seq.wrapping_mul(7) as u16,
        flags: (seq >> 3) as u8,
        reserved: 0xA5,
        check: 0,
        check_inv: 0,
    };
    s.check = splitcore_ipc::fnv1a(splitcore_ipc::FNV_OFFSET, &bytemuck::bytes_of(&s)[..16]);
    s.check_inv = !s.check;
    s
}

/// Zeroed heap memory aligned to [`REGION_ALIGN`], shared by Rust and C.
#[derive(Debug)]
pub struct SharedMem {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the memory is only accessed through regions (atomics and protocol-ordered
// accesses) and the C code, which follows the same protocol.
unsafe impl Send for SharedMem {}
// SAFETY: as above; `SharedMem` itself hands out only raw pointers and `RegionMem`s.
unsafe impl Sync for SharedMem {}

impl SharedMem {
    fn layout(len: usize) -> std::alloc::Layout {
        std::alloc::Layout::from_size_align(len.max(1), REGION_ALIGN as usize).expect("layout")
    }

    /// `len` zeroed bytes.
    pub fn new(len: usize) -> Self {
        let layout = Self::layout(len);
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(p).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        Self { ptr, len }
    }

    /// Memory for [`LAYOUT`].
    pub fn for_layout() -> Self {
        Self::new(LAYOUT.size())
    }

    /// Start address (for the C functions).
    pub fn as_ptr(&self) -> *mut c_void {
        self.ptr.as_ptr().cast()
    }

    /// Length as the C ABI takes it.
    pub fn len_u32(&self) -> u32 {
        u32::try_from(self.len).expect("length fits in u32")
    }

    /// The memory for `Region::init`/`attach`.
    pub fn region_mem(&self) -> RegionMem<'_> {
        // SAFETY: the allocation is valid for reads and writes for as long as `self` is
        // borrowed, and is only accessed through regions and the C code, which follows
        // the splitcore protocol.
        unsafe { RegionMem::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for SharedMem {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), Self::layout(self.len)) }
    }
}
