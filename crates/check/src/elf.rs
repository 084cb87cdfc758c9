//! The final-ELF check: where the linker really put every reachable symbol.

use std::collections::HashMap;

use object::{Object, ObjectSymbol, SymbolSection};

use crate::model::{check_elf_header, Model};
use crate::stack::demangle;
use crate::{ElfReport, InputError, PlacementViolation};

/// ESP32-S3 memory regions (TRM "System and Memory"; IDF `soc/esp32s3/include/soc/soc.h`).
pub const REGIONS: &[(u64, u64, &str, bool)] = &[
    (0x4037_0000, 0x403e_0000, "IRAM", true),
    (0x3fc8_8000, 0x3fd0_0000, "DRAM", true),
    (0x600f_e000, 0x6010_0000, "RTC fast memory", true),
    (0x4000_0000, 0x4006_0000, "ROM", true),
    (0x3ff0_0000, 0x3ff2_0000, "ROM (data)", true),
    (0x4200_0000, 0x4400_0000, "flash-mapped IROM", false),
    (0x3c00_0000, 0x3e00_0000, "flash-mapped DROM", false),
];

/// The region of `address` and whether core 1 may use it during a flash operation.
pub fn region(address: u64) -> (&'static str, bool) {
    REGIONS
        .iter()
        .find(|(lo, hi, _, _)| (*lo..*hi).contains(&address))
        .map(|&(_, _, name, ok)| (name, ok))
        .unwrap_or(("no internal-RAM region", false))
}

/// Checks that every reachable symbol (defined in a reachable section, or an external the
/// reachable code needs) is linked in internal RAM or ROM.
pub fn check_placement(
    path: &str,
    bytes: &[u8],
    model: &Model,
    reachable_nodes: &[bool],
    reachable_exts: &[bool],
    chain: &dyn Fn(u32, &str) -> Vec<String>,
) -> Result<ElfReport, InputError> {
    check_elf_header(bytes, path, object::elf::ET_EXEC)?;
    let file = object::File::parse(bytes).map_err(|e| InputError::new(path, format!("corrupt ELF: {e}")))?;
    let mut addresses: HashMap<&str, Vec<u64>> = HashMap::new();
    for sym in file.symbols() {
        if !matches!(sym.section(), SymbolSection::Section(_) | SymbolSection::Absolute) {
            continue;
        }
        if let Ok(name) = sym.name() {
            if !name.is_empty() {
                addresses.entry(name).or_default().push(sym.address());
            }
        }
    }
    let mut report = ElfReport { file: path.to_string(), checked: 0, missing: 0, violations: Vec::new() };
    let check = |name: &str, node: Option<u32>, report: &mut ElfReport| match addresses.get(name) {
        None => report.missing += 1,
        Some(addrs) => {
            report.checked += 1;
            for &a in addrs {
                let (region, ok) = region(a);
                if !ok {
                    report.violations.push(PlacementViolation {
                        symbol: demangle(name),
                        address: a,
                        region,
                        chain: match node {
                            Some(n) => chain(n, name),
                            None => vec![demangle(name)],
                        },
                    });
                }
            }
        }
    };
    for (i, node) in model.nodes.iter().enumerate() {
        if !reachable_nodes[i] || node.class.is_iram().is_none() || node.size == 0 {
            continue;
        }
        let mut seen = std::collections::HashSet::new();
        for s in &node.syms {
            if seen.insert(s.name.as_str()) {
                check(&s.name, Some(i as u32), &mut report);
            }
        }
    }
    for (e, name) in model.externals.iter().enumerate() {
        if reachable_exts[e] {
            check(name, None, &mut report);
        }
    }
    report.violations.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    Ok(report)
}
