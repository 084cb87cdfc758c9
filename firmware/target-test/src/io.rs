//! Formatting without allocation: a fixed line buffer and a buffered semihosting stdout.

use core::fmt;

use crate::board;

/// A fixed-capacity text buffer; text beyond the capacity is cut and marked with `…`.
pub struct LineBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
    truncated: bool,
}

impl<const N: usize> LineBuf<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        LineBuf { bytes: [0; N], len: 0, truncated: false }
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        match core::str::from_utf8(&self.bytes[..self.len]) {
            Ok(s) => s,
            // A cut in the middle of a character: drop the partial character.
            Err(e) => core::str::from_utf8(&self.bytes[..e.valid_up_to()]).unwrap_or(""),
        }
    }

    /// Whether text was cut off.
    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

impl<const N: usize> Default for LineBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for LineBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = N - self.len;
        let take = s.len().min(room);
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        if take < s.len() {
            self.truncated = true;
        }
        Ok(())
    }
}

impl<const N: usize> fmt::Display for LineBuf<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// Semihosting stdout with a 256-byte buffer, flushed when full and on drop.
pub struct Stdout {
    buf: [u8; 256],
    len: usize,
}

impl Stdout {
    /// A new, empty writer.
    pub const fn new() -> Self {
        Stdout { buf: [0; 256], len: 0 }
    }

    fn flush(&mut self) {
        board::write_stdout(&self.buf[..self.len]);
        self.len = 0;
    }
}

impl Default for Stdout {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Write for Stdout {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for chunk in s.as_bytes().chunks(self.buf.len()) {
            if self.len + chunk.len() > self.buf.len() {
                self.flush();
            }
            self.buf[self.len..self.len + chunk.len()].copy_from_slice(chunk);
            self.len += chunk.len();
        }
        Ok(())
    }
}

impl Drop for Stdout {
    fn drop(&mut self) {
        self.flush();
    }
}
