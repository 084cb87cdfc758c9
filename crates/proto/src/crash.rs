//! The crash record core 1 leaves in shared memory, and its decoding and IDF-style printing.
//!
//! The record is written by the core-1 runtime's exception vectors (registers, in assembly, at
//! the offsets in [`offsets`]) and its Rust crash path (backtrace, panic message); core 0 and the
//! host tool decode it with [`CrashRecord::decode`], which never trusts a length field.

use core::fmt;

use crate::exccause::ExcCause;

/// `"CRSH"`: the record holds a complete crash.
pub const CRASH_MAGIC: u32 = 0x4853_5243;
/// Backtrace frames kept.
pub const BACKTRACE_DEPTH: usize = 16;
/// Bytes of panic message kept (longer messages are cut and flagged).
pub const MESSAGE_CAPACITY: usize = 128;
/// Bytes of panic file name kept (the end of the path is kept).
pub const FILE_CAPACITY: usize = 64;

/// Why core 1 stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Reason {
    /// A CPU exception (EXCCAUSE is valid).
    Exception = 1,
    /// A Rust panic (message and location are valid).
    Panic = 2,
    /// A debug exception: `break` instruction or watchpoint (DEBUGCAUSE is valid).
    Debug = 3,
    /// A double exception (an exception while PS.EXCM was set).
    DoubleException = 4,
    /// The stack canary at the bottom of core 1's stack was overwritten.
    StackOverflow = 5,
    /// An interrupt at a level the runtime does not handle (4, 5, NMI).
    UnexpectedInterrupt = 6,
}

impl Reason {
    /// Decodes a raw value.
    pub const fn from_raw(raw: u32) -> Option<Self> {
        Some(match raw {
            1 => Reason::Exception,
            2 => Reason::Panic,
            3 => Reason::Debug,
            4 => Reason::DoubleException,
            5 => Reason::StackOverflow,
            6 => Reason::UnexpectedInterrupt,
            _ => return None,
        })
    }
}

/// Byte offsets of the fields the assembly vectors write. Checked against the struct below at
/// compile time; the runtime's `.S` file uses the same numbers.
pub mod offsets {
    /// `magic`
    pub const MAGIC: usize = 0;
    /// `seq`
    pub const SEQ: usize = 4;
    /// `reason`
    pub const REASON: usize = 8;
    /// `exccause`
    pub const EXCCAUSE: usize = 12;
    /// `pc`
    pub const PC: usize = 16;
    /// `excvaddr`
    pub const EXCVADDR: usize = 20;
    /// `ps`
    pub const PS: usize = 24;
    /// `sar`
    pub const SAR: usize = 28;
    /// `windowbase`
    pub const WINDOWBASE: usize = 32;
    /// `windowstart`
    pub const WINDOWSTART: usize = 36;
    /// `debugcause`
    pub const DEBUGCAUSE: usize = 40;
    /// `a[0]`; `a[n]` is at `A + 4 * n`
    pub const A: usize = 44;
    /// `backtrace_len`
    pub const BACKTRACE_LEN: usize = 108;
    /// Size of the whole record.
    pub const SIZE: usize = 448;
}

/// The record in shared memory (`#[repr(C)]`, 448 bytes, all fields little-endian `u32` or
/// bytes, so the same bytes decode on the host).
#[derive(Clone, Copy)]
#[repr(C)]
pub struct CrashRecord {
    /// [`CRASH_MAGIC`] once the record is complete (written last).
    pub magic: u32,
    /// Number of crashes recorded since power-on (the record holds the latest).
    pub seq: u32,
    /// A [`Reason`] value.
    pub reason: u32,
    /// EXCCAUSE at the fault.
    pub exccause: u32,
    /// PC of the faulting instruction (EPC1, EPC6 for debug exceptions, DEPC for double), or of
    /// the interrupted one for an unexpected interrupt (EPC4, EPC5 or EPC7).
    pub pc: u32,
    /// EXCVADDR: the faulting data address, for load/store causes.
    pub excvaddr: u32,
    /// PS at the fault.
    pub ps: u32,
    /// SAR at the fault.
    pub sar: u32,
    /// WINDOWBASE at the fault.
    pub windowbase: u32,
    /// WINDOWSTART at the fault.
    pub windowstart: u32,
    /// DEBUGCAUSE (debug exceptions).
    pub debugcause: u32,
    /// a0..a15 of the faulting frame.
    pub a: [u32; 16],
    /// Frames in `backtrace`.
    pub backtrace_len: u32,
    /// `(pc, sp)` per frame, innermost first.
    pub backtrace: [[u32; 2]; BACKTRACE_DEPTH],
    /// Bytes used in `message`; bit 31 set when the message was cut.
    pub message_len: u32,
    /// Panic message (UTF-8).
    pub message: [u8; MESSAGE_CAPACITY],
    /// Bytes used in `file`.
    pub file_len: u32,
    /// Panic location: file (the end of the path when longer).
    pub file: [u8; FILE_CAPACITY],
    /// Panic location: line.
    pub line: u32,
    /// FNV-1a over every byte before this field, written with `magic`.
    pub checksum: u32,
}

const _: () = {
    use core::mem::{offset_of, size_of};
    assert!(offset_of!(CrashRecord, seq) == offsets::SEQ);
    assert!(offset_of!(CrashRecord, reason) == offsets::REASON);
    assert!(offset_of!(CrashRecord, exccause) == offsets::EXCCAUSE);
    assert!(offset_of!(CrashRecord, pc) == offsets::PC);
    assert!(offset_of!(CrashRecord, excvaddr) == offsets::EXCVADDR);
    assert!(offset_of!(CrashRecord, ps) == offsets::PS);
    assert!(offset_of!(CrashRecord, sar) == offsets::SAR);
    assert!(offset_of!(CrashRecord, windowbase) == offsets::WINDOWBASE);
    assert!(offset_of!(CrashRecord, windowstart) == offsets::WINDOWSTART);
    assert!(offset_of!(CrashRecord, debugcause) == offsets::DEBUGCAUSE);
    assert!(offset_of!(CrashRecord, a) == offsets::A);
    assert!(offset_of!(CrashRecord, backtrace_len) == offsets::BACKTRACE_LEN);
    assert!(size_of::<CrashRecord>() == offsets::SIZE);
};

/// FNV-1a, 32-bit.
pub const fn fnv1a(bytes: &[u8]) -> u32 {
    let mut hash = 0x811c_9dc5u32;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u32;
        hash = hash.wrapping_mul(0x0100_0193);
        i += 1;
    }
    hash
}

/// Why a record did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than a record.
    TooShort {
        /// Bytes given.
        len: usize,
        /// Bytes needed.
        needed: usize,
    },
    /// No crash recorded (magic is not [`CRASH_MAGIC`]).
    Empty {
        /// The magic found.
        magic: u32,
    },
    /// The checksum does not match: the record is torn or corrupt.
    Checksum {
        /// Stored.
        stored: u32,
        /// Computed.
        computed: u32,
    },
    /// A field is out of range.
    Field {
        /// Field name.
        field: &'static str,
        /// Value found.
        value: u32,
        /// Largest valid value.
        max: u32,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooShort { len, needed } => {
                write!(f, "crash record too short: {len} bytes, need {needed}")
            }
            DecodeError::Empty { magic } => write!(f, "no crash recorded (magic 0x{magic:08x})"),
            DecodeError::Checksum { stored, computed } => {
                write!(f, "crash record checksum mismatch: stored 0x{stored:08x}, computed 0x{computed:08x}")
            }
            DecodeError::Field { field, value, max } => {
                write!(f, "crash record field `{field}` is {value}, at most {max} is valid")
            }
        }
    }
}

fn word(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes([bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]])
}

impl CrashRecord {
    /// An empty record.
    pub const fn empty() -> Self {
        CrashRecord {
            magic: 0,
            seq: 0,
            reason: 0,
            exccause: 0,
            pc: 0,
            excvaddr: 0,
            ps: 0,
            sar: 0,
            windowbase: 0,
            windowstart: 0,
            debugcause: 0,
            a: [0; 16],
            backtrace_len: 0,
            backtrace: [[0; 2]; BACKTRACE_DEPTH],
            message_len: 0,
            message: [0; MESSAGE_CAPACITY],
            file_len: 0,
            file: [0; FILE_CAPACITY],
            line: 0,
            checksum: 0,
        }
    }

    /// The record's bytes (little-endian targets: the in-memory layout is the wire format).
    pub fn as_bytes(&self) -> &[u8; offsets::SIZE] {
        // SAFETY: CrashRecord is repr(C), 448 bytes (asserted), made of u32 and u8 fields with no
        // padding (every field is 4-byte sized or a byte array of a multiple of 4), so every
        // byte is initialised.
        unsafe { &*(self as *const Self as *const [u8; offsets::SIZE]) }
    }

    /// Sets the panic message, cutting it at [`MESSAGE_CAPACITY`] on a character boundary.
    pub fn set_message(&mut self, message: &str) {
        let (kept, cut) = cut_str(message, MESSAGE_CAPACITY);
        self.message = [0; MESSAGE_CAPACITY];
        self.message[..kept.len()].copy_from_slice(kept.as_bytes());
        self.message_len = kept.len() as u32 | if cut { 1 << 31 } else { 0 };
    }

    /// Sets the panic location, keeping the end of a long path.
    pub fn set_location(&mut self, file: &str, line: u32) {
        let mut start = file.len().saturating_sub(FILE_CAPACITY);
        while !file.is_char_boundary(start) {
            start += 1;
        }
        let kept = &file[start..];
        self.file = [0; FILE_CAPACITY];
        self.file[..kept.len()].copy_from_slice(kept.as_bytes());
        self.file_len = kept.len() as u32;
        self.line = line;
    }

    /// Marks the record complete: computes the checksum and sets the magic.
    pub fn seal(&mut self) {
        self.magic = CRASH_MAGIC;
        self.checksum = fnv1a(&self.as_bytes()[..offsets::SIZE - 4]);
    }

    /// Decodes and validates a record from untrusted bytes.
    pub fn decode(bytes: &[u8]) -> Result<Crash, DecodeError> {
        if bytes.len() < offsets::SIZE {
            return Err(DecodeError::TooShort { len: bytes.len(), needed: offsets::SIZE });
        }
        let bytes = &bytes[..offsets::SIZE];
        let magic = word(bytes, offsets::MAGIC);
        if magic != CRASH_MAGIC {
            return Err(DecodeError::Empty { magic });
        }
        let stored = word(bytes, offsets::SIZE - 4);
        let computed = fnv1a(&bytes[..offsets::SIZE - 4]);
        if stored != computed {
            return Err(DecodeError::Checksum { stored, computed });
        }
        let mut record = CrashRecord::empty();
        // SAFETY: `record` is a repr(C) struct of plain integers and byte arrays, every bit
        // pattern is valid, and exactly SIZE bytes are copied into it.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), &mut record as *mut _ as *mut u8, offsets::SIZE)
        };
        let reason = Reason::from_raw(record.reason).ok_or(DecodeError::Field {
            field: "reason",
            value: record.reason,
            max: Reason::UnexpectedInterrupt as u32,
        })?;
        let check = |field, value: u32, max: usize| {
            if value as usize > max {
                Err(DecodeError::Field { field, value, max: max as u32 })
            } else {
                Ok(value as usize)
            }
        };
        check("backtrace_len", record.backtrace_len, BACKTRACE_DEPTH)?;
        check("message_len", record.message_len & !(1 << 31), MESSAGE_CAPACITY)?;
        check("file_len", record.file_len, FILE_CAPACITY)?;
        Ok(Crash { reason, record })
    }
}

fn cut_str(s: &str, max: usize) -> (&str, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (&s[..end], true)
}

/// A decoded, validated crash.
#[derive(Clone, Copy)]
pub struct Crash {
    /// Why core 1 stopped.
    pub reason: Reason,
    /// The validated record (its length fields are within bounds).
    pub record: CrashRecord,
}

impl Crash {
    /// The panic message (empty for CPU exceptions) and whether it was cut.
    pub fn message(&self) -> (&str, bool) {
        let len = (self.record.message_len & !(1 << 31)) as usize;
        let text = core::str::from_utf8(&self.record.message[..len]).unwrap_or("<invalid UTF-8>");
        (text, self.record.message_len & (1 << 31) != 0)
    }

    /// The panic location's file.
    pub fn file(&self) -> &str {
        core::str::from_utf8(&self.record.file[..self.record.file_len as usize]).unwrap_or("<invalid UTF-8>")
    }

    /// The backtrace as `(pc, sp)` pairs, innermost first.
    pub fn backtrace(&self) -> &[[u32; 2]] {
        &self.record.backtrace[..self.record.backtrace_len as usize]
    }

    /// ESP-IDF's name for the panic, as in "Core 1 panic'ed (LoadProhibited)".
    pub fn title(&self) -> &'static str {
        match self.reason {
            Reason::Exception => ExcCause(self.record.exccause).name(),
            Reason::Panic => "Rust panic",
            Reason::Debug => "Debug exception",
            Reason::DoubleException => "Double exception",
            Reason::StackOverflow => "Stack canary watchpoint triggered",
            Reason::UnexpectedInterrupt => "Unhandled interrupt",
        }
    }
}

impl fmt::Display for Crash {
    /// Prints the crash the way ESP-IDF prints its own panics, including the
    /// `Backtrace: 0xPC:0xSP ...` line that `idf.py monitor` and `esp-idf-panic-decoder`
    /// symbolise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.record;
        writeln!(f, "Guru Meditation Error: Core  1 panic'ed ({}). Exception was unhandled.", self.title())?;
        if self.reason == Reason::Panic {
            let (message, cut) = self.message();
            writeln!(f, "panicked at {}:{}: {}{}", self.file(), r.line, message, if cut { "…" } else { "" })?;
        }
        writeln!(f)?;
        writeln!(f, "Core  1 register dump:")?;
        let mut named: [(&str, u32); 24] = [("", 0); 24];
        named[0] = ("PC", r.pc);
        named[1] = ("PS", r.ps);
        for (i, value) in r.a.iter().enumerate() {
            named[2 + i] = (A_NAMES[i], *value);
        }
        named[18] = ("SAR", r.sar);
        named[19] = ("EXCCAUSE", r.exccause);
        named[20] = ("EXCVADDR", r.excvaddr);
        named[21] = ("WINDOWBASE", r.windowbase);
        named[22] = ("WINDOWSTART", r.windowstart);
        named[23] = ("DEBUGCAUSE", r.debugcause);
        for row in named.chunks(4) {
            for (i, (name, value)) in row.iter().enumerate() {
                if i > 0 {
                    f.write_str("  ")?;
                }
                write!(f, "{name:<8}: 0x{value:08x}")?;
            }
            writeln!(f)?;
        }
        writeln!(f)?;
        f.write_str("Backtrace:")?;
        for [pc, sp] in self.backtrace() {
            write!(f, " 0x{pc:08x}:0x{sp:08x}")?;
        }
        writeln!(f)
    }
}

const A_NAMES: [&str; 16] =
    ["A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10", "A11", "A12", "A13", "A14", "A15"];

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    fn panic_record() -> CrashRecord {
        let mut r = CrashRecord::empty();
        r.seq = 1;
        r.reason = Reason::Panic as u32;
        r.pc = 0x4037_0123;
        r.a[1] = 0x3fc9_0000;
        r.backtrace_len = 2;
        r.backtrace[0] = [0x4037_0123, 0x3fc9_0000];
        r.backtrace[1] = [0x4037_0456, 0x3fc9_0020];
        r.set_message("setpoint out of range: 5000 > 4096");
        r.set_location("src/control.rs", 42);
        r.seal();
        r
    }

    #[test]
    fn a_sealed_record_round_trips() {
        let record = panic_record();
        let crash = CrashRecord::decode(record.as_bytes()).expect("decodes");
        assert_eq!(crash.reason, Reason::Panic);
        assert_eq!(crash.message(), ("setpoint out of range: 5000 > 4096", false));
        assert_eq!(crash.file(), "src/control.rs");
        assert_eq!(crash.record.line, 42);
        assert_eq!(crash.backtrace(), &[[0x4037_0123, 0x3fc9_0000], [0x4037_0456, 0x3fc9_0020]]);
    }

    #[test]
    fn printing_follows_idf_panic_output() {
        let text = CrashRecord::decode(panic_record().as_bytes()).unwrap().to_string();
        assert!(text
            .starts_with("Guru Meditation Error: Core  1 panic'ed (Rust panic). Exception was unhandled.\n"));
        assert!(text.contains("panicked at src/control.rs:42: setpoint out of range: 5000 > 4096\n"));
        assert!(text.contains(
            "PC      : 0x40370123  PS      : 0x00000000  A0      : 0x00000000  A1      : 0x3fc90000\n"
        ));
        assert!(text.ends_with("Backtrace: 0x40370123:0x3fc90000 0x40370456:0x3fc90020\n"));
    }

    #[test]
    fn exceptions_are_titled_by_cause() {
        let mut r = CrashRecord::empty();
        r.reason = Reason::Exception as u32;
        r.exccause = 28;
        r.seal();
        let crash = CrashRecord::decode(r.as_bytes()).unwrap();
        assert_eq!(crash.title(), "LoadProhibited");
    }

    #[test]
    fn corrupt_records_are_rejected_with_the_reason() {
        let record = panic_record();
        let bytes = record.as_bytes();
        assert_eq!(
            CrashRecord::decode(&bytes[..100]).err(),
            Some(DecodeError::TooShort { len: 100, needed: 448 })
        );
        let mut torn = *bytes;
        torn[offsets::PC] ^= 1;
        assert!(matches!(CrashRecord::decode(&torn), Err(DecodeError::Checksum { .. })));
        assert_eq!(
            CrashRecord::decode(CrashRecord::empty().as_bytes()).err(),
            Some(DecodeError::Empty { magic: 0 })
        );
        let mut long = panic_record();
        long.backtrace_len = 17;
        long.seal();
        assert_eq!(
            CrashRecord::decode(long.as_bytes()).err(),
            Some(DecodeError::Field { field: "backtrace_len", value: 17, max: 16 })
        );
        let mut bad_reason = panic_record();
        bad_reason.reason = 99;
        bad_reason.seal();
        assert!(matches!(
            CrashRecord::decode(bad_reason.as_bytes()).err(),
            Some(DecodeError::Field { field: "reason", value: 99, .. })
        ));
    }

    #[test]
    fn long_messages_and_paths_are_cut_on_char_boundaries() {
        let mut r = CrashRecord::empty();
        let long: std::string::String = "é".repeat(100); // 200 bytes
        r.set_message(&long);
        r.set_location(&"ü".repeat(40), 7); // 80 bytes: the end is kept
        r.reason = Reason::Panic as u32;
        r.seal();
        let crash = CrashRecord::decode(r.as_bytes()).unwrap();
        let (message, cut) = crash.message();
        assert!(cut);
        assert_eq!(message.len(), 128);
        assert_eq!(crash.file().len(), 64);
        assert!(crash.file().chars().all(|c| c == 'ü'));
    }
}
