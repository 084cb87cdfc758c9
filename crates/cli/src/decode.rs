//! `splitcore decode`: a core-1 crash record (the bytes of `SPLITCORE_CONTROL`'s crash field,
//! as hex) printed the way ESP-IDF prints a panic, plus the backtrace resolved to function names
//! with the firmware ELF.

use std::fmt::Write as _;

use anyhow::{bail, Context, Result};
use object::{Object, ObjectSymbol, SymbolKind};
use splitcore_proto::crash::{Crash, CrashRecord};

/// Parses hex digits (whitespace ignored) into bytes.
pub fn parse_hex(text: &str) -> Result<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        bail!("the hex text has an odd number of digits ({})", digits.len());
    }
    digits
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            let s = std::str::from_utf8(pair).unwrap_or("??");
            u8::from_str_radix(s, 16).with_context(|| format!("`{s}` at byte {i} is not hex"))
        })
        .collect()
}

/// Function symbols of a linked ELF, sorted by address.
pub struct Symbols {
    functions: Vec<(u64, u64, String)>,
}

impl Symbols {
    /// Reads the function symbols of `elf`.
    pub fn from_elf(elf: &[u8]) -> Result<Self> {
        let file = object::File::parse(elf).context("the firmware ELF does not parse")?;
        let mut functions: Vec<(u64, u64, String)> = file
            .symbols()
            .filter(|s| s.kind() == SymbolKind::Text && s.address() != 0)
            .filter_map(|s| {
                let name = s.name().ok()?;
                Some((s.address(), s.size(), format!("{:#}", rustc_demangle::demangle(name))))
            })
            .collect();
        functions.sort_by_key(|f| f.0);
        Ok(Symbols { functions })
    }

    /// The function containing `address`, and the offset into it.
    pub fn lookup(&self, address: u64) -> Option<(&str, u64)> {
        let i = self.functions.partition_point(|f| f.0 <= address).checked_sub(1)?;
        let (start, size, name) = &self.functions[i];
        let offset = address - start;
        (*size == 0 || offset < *size).then_some((name.as_str(), offset))
    }
}

/// The IDF-style report followed by the symbolised backtrace.
pub fn render(crash: &Crash, symbols: Option<&Symbols>) -> String {
    let mut out = crash.to_string();
    if let Some(symbols) = symbols {
        out.push_str("\nBacktrace, symbolised:\n");
        for (i, [pc, sp]) in crash.backtrace().iter().enumerate() {
            // Frames after the first hold return addresses, which point past the call (at the
            // very end of the caller when the callee never returns): look up the byte before.
            let probe = if i == 0 { u64::from(*pc) } else { u64::from(*pc).saturating_sub(1) };
            let at = match symbols.lookup(probe) {
                Some((name, offset)) => format!("{name}+0x{offset:x}"),
                None => "??".to_owned(),
            };
            let _ = writeln!(out, "  #{i:<2} 0x{pc:08x} in {at} (sp 0x{sp:08x})");
        }
    }
    out
}

/// Decodes a record from hex text.
pub fn decode_hex(text: &str) -> Result<Crash> {
    let bytes = parse_hex(text)?;
    CrashRecord::decode(&bytes).map_err(|e| anyhow::anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitcore_proto::crash::Reason;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn a_record_round_trips_through_hex() {
        let mut r = CrashRecord::empty();
        r.reason = Reason::Panic as u32;
        r.set_message("setpoint out of range");
        r.set_location("src/control.rs", 7);
        r.backtrace_len = 1;
        r.backtrace[0] = [0x4037_0010, 0x3fc9_0000];
        r.seal();
        let crash = decode_hex(&hex(r.as_bytes())).unwrap();
        assert_eq!(crash.message().0, "setpoint out of range");
        let text =
            render(&crash, Some(&Symbols { functions: vec![(0x4037_0000, 0x40, "control::step".into())] }));
        assert!(text.contains("#0  0x40370010 in control::step+0x10 (sp 0x3fc90000)"), "{text}");
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        assert!(parse_hex("abc").unwrap_err().to_string().contains("odd number"));
        assert!(parse_hex("zz").unwrap_err().to_string().contains("`zz` at byte 0"));
        assert!(decode_hex("00").err().map(|e| e.to_string()).unwrap_or_default().contains("too short"));
        assert!(Symbols::from_elf(b"not an elf").is_err());
    }

    #[test]
    fn addresses_outside_every_function_are_unknown() {
        let s = Symbols { functions: vec![(0x100, 0x10, "f".into())] };
        assert_eq!(s.lookup(0x105), Some(("f", 5)));
        assert_eq!(s.lookup(0x110), None);
        assert_eq!(s.lookup(0x50), None);
    }
}
