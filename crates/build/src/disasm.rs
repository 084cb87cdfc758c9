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
    /// The address of each instruction (as objdump prints it: section-relative in archives).
    pub addresses: Vec<u64>,
}

impl FunctionListing {
    /// The fewest instructions executed from the first instruction to a return (`ret*`/`rfe`),
    /// following both sides of every conditional branch and the targets of `j`; `None` when no
    /// return is reachable (e.g. the entry trampoline). This may be an early exit (ring full,
    /// grant refused): see [`shortest_publishing_path`](Self::shortest_publishing_path).
    pub fn shortest_path_to_return(&self) -> Option<usize> {
        self.shortest_path_to(is_return)
    }

    /// The fewest instructions executed from the first instruction to a return on a path that
    /// makes a Release store (`memw` directly followed by `s32i`, how LLVM lowers
    /// `store(Release)` for the ESP32-S3): for a push, pop or commit, the path that moves an
    /// item and publishes it. `None` if the function has no such store.
    pub fn shortest_publishing_path(&self) -> Option<usize> {
        (1..self.instructions.len())
            .filter(|&i| self.mnemonic(i - 1) == "memw" && self.mnemonic(i) == "s32i")
            .filter_map(|store| {
                let to_store = self.distances_from(0, |j| j == store)?;
                let to_return = self.distances_from(store, |j| is_return(self.mnemonic(j)))?;
                // The store is counted at the end of the first part and the start of the second.
                Some(to_store + to_return - 1)
            })
            .min()
    }

    /// The fewest instructions executed from the first instruction up to and including the
    /// first one whose mnemonic satisfies `stop` (following branches as
    /// [`shortest_path_to_return`](Self::shortest_path_to_return) does); `None` if none is
    /// reachable.
    pub fn shortest_path_to(&self, stop: impl Fn(&str) -> bool) -> Option<usize> {
        self.distances_from(0, |j| stop(self.mnemonic(j)))
    }

    fn mnemonic(&self, i: usize) -> &str {
        self.instructions[i].split_whitespace().next().unwrap_or("")
    }

    /// Breadth-first search from instruction `start` to the nearest instruction `stop`
    /// accepts; the number of instructions on that path, both ends included.
    fn distances_from(&self, start: usize, stop: impl Fn(usize) -> bool) -> Option<usize> {
        let n = self.instructions.len();
        let mut dist = vec![usize::MAX; n];
        let mut queue = std::collections::VecDeque::new();
        if start < n {
            dist[start] = 1;
            queue.push_back(start);
        }
        while let Some(i) = queue.pop_front() {
            let insn = &self.instructions[i];
            let mnemonic = self.mnemonic(i);
            if stop(i) {
                return Some(dist[i]);
            }
            let target = insn
                .rsplit(", ")
                .next()
                .and_then(|op| op.split_whitespace().last())
                .and_then(|op| op.strip_prefix("0x"))
                .and_then(|hex| u64::from_str_radix(hex, 16).ok())
                .and_then(|addr| self.addresses.iter().position(|&a| a == addr));
            let is_branch = mnemonic.starts_with('b') && mnemonic != "break";
            let mut next = Vec::new();
            match mnemonic {
                "j" => next.extend(target),
                "jx" | "ill" | "break" => {}
                _ if is_branch => {
                    next.extend(target);
                    next.push(i + 1);
                }
                _ => next.push(i + 1),
            }
            for j in next {
                if j < n && dist[j] == usize::MAX {
                    dist[j] = dist[i] + 1;
                    queue.push_back(j);
                }
            }
        }
        None
    }
}

fn is_return(mnemonic: &str) -> bool {
    mnemonic.starts_with("ret") || mnemonic == "rfe" || mnemonic == "rfi"
}

/// Disassembles `symbols` from an archive, object or linked ELF. Every symbol must be found.
pub fn disassemble(tools: &LlvmTools, file: &Path, symbols: &[&str]) -> Result<Vec<FunctionListing>> {
    let output = Command::new(&tools.objdump)
        .args(["-d", "--mcpu=esp32"])
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

/// Parses `llvm-objdump -d` output (with or without the raw bytes) into functions.
pub fn parse_objdump(text: &str) -> Vec<FunctionListing> {
    let mut listings: Vec<FunctionListing> = Vec::new();
    let mut current: Option<FunctionListing> = None;
    for line in text.lines() {
        if let Some(name) = symbol_header(line) {
            listings.extend(current.take());
            current = Some(FunctionListing {
                name: name.to_owned(),
                instructions: Vec::new(),
                addresses: Vec::new(),
            });
            continue;
        }
        if line.trim().is_empty() {
            listings.extend(current.take());
            continue;
        }
        if let Some(listing) = current.as_mut() {
            if let Some((address, rest)) = line.split_once(':') {
                // "     14d: 32 d1 ff     \taddmi\ta3, a1, 0": the bytes (if shown), a tab, the text.
                let (raw, insn) = rest.split_once('\t').unwrap_or(("", rest));
                let insn = with_addmi_immediate(insn.split_whitespace().collect::<Vec<_>>().join(" "), raw);
                let address = u64::from_str_radix(address.trim(), 16);
                if let (false, false, Ok(address)) = (insn.is_empty(), insn.starts_with("..."), address) {
                    listing.instructions.push(insn);
                    listing.addresses.push(address);
                }
            }
        }
    }
    listings.extend(current);
    listings
}

/// LLVM 22's Xtensa printer shows every `addmi` immediate as 0 (`addmi a3, a1, -256` is printed
/// `addmi a3, a1, 0`), so the value is taken from the encoding: the third byte, signed, times
/// 256. Other instructions, and `addmi` without its bytes, are returned as printed.
fn with_addmi_immediate(insn: String, raw: &str) -> String {
    let bytes: Option<Vec<u8>> = raw.split_whitespace().map(|b| u8::from_str_radix(b, 16).ok()).collect();
    match (insn.strip_prefix("addmi ").and_then(|ops| ops.rsplit_once(", ")), bytes.as_deref()) {
        (Some((registers, _)), Some(&[_, _, imm8])) => {
            format!("addmi {registers}, {}", i32::from(imm8 as i8) * 256)
        }
        _ => insn,
    }
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
        assert_eq!(parsed[0].addresses, vec![0, 3, 6]);
    }

    #[test]
    fn addmi_immediates_come_from_the_encoding() {
        let text = "00000000 <f>:\n     14d: 32 d1 ff     \taddmi\ta3, a1, 0\n     150: 52 d5 04     \taddmi\ta5, a5, 0\n     153: 4b 33        \taddi.n\ta3, a3, 4\n     155: 1d f0        \tretw.n\n";
        let parsed = parse_objdump(text);
        assert_eq!(
            parsed[0].instructions,
            ["addmi a3, a1, -256", "addmi a5, a5, 1024", "addi.n a3, a3, 4", "retw.n"]
        );
        assert_eq!(parsed[0].addresses, [0x14d, 0x150, 0x153, 0x155]);
        // Without the bytes the printed text is kept.
        assert_eq!(
            parse_objdump("00000000 <f>:\n       0: \taddmi\ta3, a1, 0\n")[0].instructions,
            ["addmi a3, a1, 0"]
        );
    }

    #[test]
    fn the_shortest_path_follows_taken_branches() {
        let text = "00000000 <push>:\n       0: \tentry\ta1, 32\n       3: \tbgeu\ta8, a10, 0xc\n       6: \tl32i\ta8, a2, 0\n       9: \tj\t0xc\n       c: \tmemw\n       f: \tretw.n\n";
        let parsed = parse_objdump(text);
        assert_eq!(parsed[0].shortest_path_to_return(), Some(4)); // entry, bgeu (taken), memw, retw.n
        let no_return = "00000000 <spin>:\n       0: \tj\t0x0\n";
        assert_eq!(parse_objdump(no_return)[0].shortest_path_to_return(), None);
        assert_eq!(parsed[0].shortest_path_to(|m| m == "memw"), Some(3));
        assert_eq!(parsed[0].shortest_path_to(|m| m == "call4"), None);
        assert_eq!(parsed[0].shortest_publishing_path(), None, "no Release store");
    }

    #[test]
    fn the_publishing_path_skips_the_early_exit() {
        // entry; bnez a8 -> 0x9 (slot write, publish); the fall-through returns early (full).
        let text = "00000000 <push>:\n       0: \tentry\ta1, 32\n       3: \tbnez\ta8, 0x9\n       6: \tretw.n\n       9: \ts32i\ta3, a8, 0\n       c: \tmemw\n       f: \ts32i\ta9, a10, 0\n      12: \tretw.n\n";
        let parsed = parse_objdump(text);
        // entry, bnez, retw.n
        assert_eq!(parsed[0].shortest_path_to_return(), Some(3));
        // entry, bnez (taken), s32i (slot), memw, s32i (index), retw.n
        assert_eq!(parsed[0].shortest_publishing_path(), Some(6));
    }
}
