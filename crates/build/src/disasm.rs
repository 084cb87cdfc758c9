//! Disassembly of chosen functions with `llvm-objdump-22 --mcpu=esp32`.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::toolchain::LlvmTools;

/// One disassembled function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionListing {
    /// Symbol name.
    pub name: String,
    /// Instructions, one per entry, as `mnemonic operands` (addresses and bytes stripped).
    pub instructions: Vec<String>,
}

/// Disassembles `symbols` from an archive, object or linked ELF. Every symbol must be found.
pub fn disassemble(tools: &LlvmTools, file: &Path, symbols: &[&str]) -> Result<Vec<FunctionListing>> {
    let output = Command::new(&tools.objdump)
        .args(["-d", "--mcpu=esp32", "--no-show-raw-insn"])
        .arg(format!("--disassemble-symbols={}", symbols.join(",")))
        .arg(file)
        .output()
        .with_context(|| format!("running {}", tools.objdump.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed on {}: {}",
            tools.objdump.display(),
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let listings = parse_objdump(&String::from_utf8_lossy(&output.stdout));
    let mut ordered = Vec::with_capacity(symbols.len());
    for symbol in symbols {
        let found = listings
            .iter()
            .find(|l| l.name == *symbol)
            .with_context(|| format!("symbol `{symbol}` not found in {}", file.display()))?;
        ordered.push(found.clone());
    }
    Ok(ordered)
}

/// Parses `llvm-objdump -d --no-show-raw-insn` output into functions.
pub fn parse_objdump(text: &str) -> Vec<FunctionListing> {
    let mut listings: Vec<FunctionListing> = Vec::new();
    let mut current: Option<FunctionListing> = None;
    for line in text.lines() {
        if let Some(name) = symbol_header(line) {
            listings.extend(current.take());
            current = Some(FunctionListing { name: name.to_owned(), instructions: Vec::new() });
            continue;
        }
        if line.trim().is_empty() {
            listings.extend(current.take());
            continue;
        }
        if let Some(listing) = current.as_mut() {
            if let Some((_, insn)) = line.split_once(':') {
                let insn = insn.split_whitespace().collect::<Vec<_>>().join(" ");
                if !insn.is_empty() && !insn.starts_with("...") {
                    listing.instructions.push(insn);
                }
            }
        }
    }
    listings.extend(current);
    listings
}

fn symbol_header(line: &str) -> Option<&str> {
    // "00000000 <ring_push>:"
    let (address, rest) = line.split_once(' ')?;
    if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    rest.strip_prefix('<')?.strip_suffix(">:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objdump_output_is_split_into_functions() {
        let text = "\nlibx.a(x.o):\tfile format elf32-xtensa\n\nDisassembly of section .text.f:\n\n00000000 <f>:\n       0: \tentry\ta1, 32\n       3: \tmemw\n       6: \tretw.n\n\n00000010 <g>:\n      10: \tretw.n\n";
        let parsed = parse_objdump(text);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].name, "f");
        assert_eq!(parsed[0].instructions, vec!["entry a1, 32", "memw", "retw.n"]);
        assert_eq!(parsed[1].instructions, vec!["retw.n"]);
    }
}
