//! Forwarding core 1's log lines: drain the frame ring into a sink, one `&str` per line, and
//! report changes of the control block's `log_dropped` counter.
//!
//! Frames come from the other core and are not trusted: invalid UTF-8 is replaced (U+FFFD)
//! and lines longer than [`LINE_CAPACITY`] bytes are cut and end with `…`. A corrupt ring
//! ([`splitcore_ipc::Error::PeerCorrupt`]) stops forwarding until the next start, which
//! re-initialises the region.

use core::fmt::Write;

use splitcore_ipc::{Error, FrameConsumer};

/// Longest line handed to the sink, in bytes (the runtime's lines are at most 160).
pub const LINE_CAPACITY: usize = 240;

/// What one [`LogForwarder::drain`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Drained {
    /// Lines handed to the sink (not counting the dropped-lines notice).
    pub lines: u32,
    /// Lines core 1 dropped since the last drain (ring full); reported to the sink as
    /// `"[N lines dropped]"` when non-zero.
    pub newly_dropped: u32,
}

/// The consumer end of the log ring plus the last dropped count seen.
pub struct LogForwarder<'a> {
    consumer: FrameConsumer<'a>,
    last_dropped: u32,
    broken: Option<Error>,
}

/// A line being assembled (fixed capacity, cut on a char boundary).
pub struct LineBuf {
    bytes: [u8; LINE_CAPACITY + 4],
    len: usize,
    cut: bool,
}

impl Default for LineBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl LineBuf {
    /// Empty.
    pub const fn new() -> Self {
        LineBuf { bytes: [0; LINE_CAPACITY + 4], len: 0, cut: false }
    }

    /// Empties the buffer.
    pub fn clear(&mut self) {
        self.len = 0;
        self.cut = false;
    }

    /// Appends bytes as text, replacing invalid UTF-8 with U+FFFD.
    pub fn push_lossy(&mut self, bytes: &[u8]) {
        for chunk in bytes.utf8_chunks() {
            let _ = self.write_str(chunk.valid());
            if !chunk.invalid().is_empty() {
                let _ = self.write_str("\u{FFFD}");
            }
        }
    }

    /// The text, with `…` when something was cut.
    pub fn as_str(&mut self) -> &str {
        if self.cut {
            let mark = "…".as_bytes();
            self.bytes[self.len..self.len + mark.len()].copy_from_slice(mark);
            self.len += mark.len();
            self.cut = false;
        }
        // Only whole `&str`s (cut on char boundaries) and the mark were copied in.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl Write for LineBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = LINE_CAPACITY - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        if take < s.len() {
            self.cut = true;
        }
        Ok(())
    }
}

impl<'a> LogForwarder<'a> {
    /// A forwarder on `consumer`; `dropped` is the control block's current `log_dropped`.
    pub fn new(consumer: FrameConsumer<'a>, dropped: u32) -> Self {
        LogForwarder { consumer, last_dropped: dropped, broken: None }
    }

    /// The error that stopped forwarding, if any.
    pub fn broken(&self) -> Option<Error> {
        self.broken
    }

    /// Hands up to `max_lines` lines to `sink`, then a `"[N lines dropped]"` notice if the
    /// dropped counter (`dropped_now`, the control block's `log_dropped`) moved.
    pub fn drain(
        &mut self,
        dropped_now: u32,
        max_lines: u32,
        sink: &mut dyn FnMut(&str),
    ) -> Result<Drained, Error> {
        if let Some(e) = self.broken {
            return Err(e);
        }
        let mut out = Drained::default();
        let mut line = LineBuf::new();
        while out.lines < max_lines {
            let frame = match self.consumer.read() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => {
                    self.broken = Some(e);
                    return Err(e);
                }
            };
            line.clear();
            line.push_lossy(&frame);
            frame.release();
            sink(line.as_str());
            out.lines += 1;
        }
        out.newly_dropped = dropped_now.wrapping_sub(self.last_dropped);
        self.last_dropped = dropped_now;
        if out.newly_dropped != 0 {
            line.clear();
            let _ = write!(line, "[{} lines dropped]", out.newly_dropped);
            sink(line.as_str());
        }
        Ok(out)
    }
}
