//! The crate's only door to atomics and to the shared payload bytes.
//!
//! Normal builds re-export `core::sync::atomic` and turn the payload-tracking hooks into
//! nothing. Under `cfg(loom)` the same names come from [loom], so the loom tests in
//! `tests/loom.rs` explore every interleaving of the real channel code.
//!
//! The region is caller-provided raw memory, and loom's atomics are objects that cannot be
//! laid over raw memory. Under loom, [`atomic_u32`] therefore looks the address up in a
//! per-execution side table and hands out one loom atomic per shared word (all accesses go
//! through this function, so the raw bytes are never read directly as atomics). Payload
//! accesses are reported to one loom `UnsafeCell` per slot address ([`track_read`] /
//! [`track_write`]), which is how loom detects a payload read that is not ordered after the
//! write that produced it. These hooks play the role of the usual `UnsafeCell` wrapper with
//! loom's `with`/`with_mut` API: the payload is caller-provided raw memory, so there is no
//! cell object to wrap, only addresses to report.

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicU32, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, Ordering};

/// The atomic view of the shared 32-bit word at `p`.
///
/// # Safety
/// `p` is 4-byte aligned, valid for reads and writes for `'a`, and every concurrent access
/// to that word (by either side) is atomic.
#[cfg(not(loom))]
#[inline(always)]
pub(crate) unsafe fn atomic_u32<'a>(p: *mut u32) -> &'a AtomicU32 {
    // SAFETY: forwarded from the caller: aligned, valid for 'a, only accessed atomically.
    unsafe { AtomicU32::from_ptr(p) }
}

/// Records a payload write at `p` (loom only; nothing in normal builds).
#[cfg(not(loom))]
#[inline(always)]
pub(crate) fn track_write(_p: *const u8) {}

/// Records a payload read at `p` (loom only; nothing in normal builds).
#[cfg(not(loom))]
#[inline(always)]
pub(crate) fn track_read(_p: *const u8) {}

#[cfg(loom)]
mod loom_tables {
    extern crate std;
    use std::boxed::Box;
    use std::collections::HashMap;
    use std::sync::Mutex;

    use loom::cell::UnsafeCell;
    use loom::sync::atomic::AtomicU32;

    // A std mutex (not loom's) on purpose: the table must not add happens-before edges.
    loom::lazy_static! {
        static ref ATOMICS: Mutex<HashMap<usize, &'static AtomicU32>> = Mutex::new(HashMap::new());
        static ref CELLS: Mutex<HashMap<usize, &'static UnsafeCell<()>>> = Mutex::new(HashMap::new());
    }

    pub(crate) fn atomic(p: *mut u32) -> &'static AtomicU32 {
        let mut map = ATOMICS.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(p as usize).or_insert_with(|| {
            // SAFETY: the caller of `atomic_u32` guarantees `p` is valid and aligned; under
            // loom the raw word is only read here, to seed the model's value.
            let init = unsafe { p.read() };
            Box::leak(Box::new(AtomicU32::new(init)))
        })
    }

    pub(crate) fn cell(p: *const u8) -> &'static UnsafeCell<()> {
        let mut map = CELLS.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(p as usize).or_insert_with(|| Box::leak(Box::new(UnsafeCell::new(()))))
    }
}

/// Loom version of [`atomic_u32`]: one model atomic per shared word.
///
/// # Safety
/// As in the normal build.
#[cfg(loom)]
pub(crate) unsafe fn atomic_u32<'a>(p: *mut u32) -> &'a AtomicU32 {
    loom_tables::atomic(p)
}

#[cfg(loom)]
pub(crate) fn track_write(p: *const u8) {
    loom_tables::cell(p).with_mut(|_| ());
}

#[cfg(loom)]
pub(crate) fn track_read(p: *const u8) {
    loom_tables::cell(p).with(|_| ());
}
