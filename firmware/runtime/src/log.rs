//! Logging from core 1: `splitcore_rt::println!` formats one line straight into a grant of the
//! log frame ring, which core 0 drains and forwards to the ESP-IDF console. It never blocks and
//! never masks interrupts: when the ring is full (or the logger is in use by an interrupt
//! handler that preempted a log call), the line is dropped and counted in the control block's
//! `log_dropped`. Lines longer than [`MAX_LINE`] bytes are cut and end with `…`.
//!
//! The ring lives in [`SPLITCORE_LOG_REGION`]; core 0 initialises it (owner) before each boot
//! of core 1 and keeps the consumer end; the runtime attaches at boot and claims the producer.

use core::cell::UnsafeCell;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU32, Ordering};

use splitcore_ipc::{ChannelId, FrameProducer, Frames, Layout, LayoutBuilder, Region, RegionBuf};

use crate::control;

/// The log region's layout: one frame ring.
pub const LOG_LAYOUT: Layout = LayoutBuilder::new().frames("log", 4096).build();
/// The log channel.
pub const LOG: ChannelId<Frames> = LOG_LAYOUT.frames_id("log");
/// Longest line kept, in bytes (longer lines are cut and marked).
pub const MAX_LINE: usize = 160;

/// The shared log region (internal DRAM). Core 0 finds it by this symbol.
#[no_mangle]
pub static SPLITCORE_LOG_REGION: RegionBuf<{ LOG_LAYOUT.size() }> = RegionBuf::new();

struct Logger(UnsafeCell<Option<FrameProducer<'static>>>);

// SAFETY: the producer is touched only by core 1, and only by the caller that won `BUSY`
// (0 -> 1 swap), so never by two contexts at once (an interrupt handler that preempts a log
// call finds BUSY set and drops its line).
unsafe impl Sync for Logger {}

static LOGGER: Logger = Logger(UnsafeCell::new(None));
static BUSY: AtomicU32 = AtomicU32::new(0);

fn with_logger(f: impl FnOnce(&mut Option<FrameProducer<'static>>)) -> bool {
    if BUSY.swap(1, Ordering::Acquire) != 0 {
        return false;
    }
    // SAFETY: BUSY is ours (see `Logger`).
    f(unsafe { &mut *LOGGER.0.get() });
    BUSY.store(0, Ordering::Release);
    true
}

/// Attaches to the log region (at boot). Without a region prepared by core 0, logging drops
/// every line (counted).
pub(crate) fn attach() {
    with_logger(|logger| {
        *logger = Region::attach(&SPLITCORE_LOG_REGION, &LOG_LAYOUT)
            .and_then(|region| region.frame_producer(LOG))
            .ok();
    });
}

fn dropped() {
    control().log_dropped.fetch_add(1, Ordering::Relaxed);
}

/// Writes into a byte slice, cutting (and remembering it) at the end.
struct SliceWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
    cut: bool,
}

impl Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.buf[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        if take < s.len() {
            self.cut = true;
        }
        Ok(())
    }
}

/// Logs one line (what `println!` expands to).
pub fn write_line(args: fmt::Arguments<'_>) {
    let logged = with_logger(|logger| {
        let Some(producer) = logger.as_mut() else {
            dropped();
            return;
        };
        let Ok(mut grant) = producer.grant(MAX_LINE) else {
            dropped();
            return;
        };
        let mut w = SliceWriter { buf: &mut grant[..MAX_LINE - 3], len: 0, cut: false };
        let _ = w.write_fmt(args);
        let (mut len, cut) = (w.len, w.cut);
        if cut {
            grant[len..len + 3].copy_from_slice("…".as_bytes());
            len += 3;
        }
        grant.commit(len);
    });
    if !logged {
        dropped();
    }
}

/// Logs a formatted line from core 1 (no newline needed; one frame per line).
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::log::write_line(format_args!($($arg)*))
    };
}
