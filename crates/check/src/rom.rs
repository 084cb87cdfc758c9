//! ESP32-S3 ROM symbols (data/esp32s3-rom-symbols.tsv: ESP-IDF 102122904ade,
//! components/esp_rom/esp32s3/ld/*.ld).

use std::collections::HashMap;
use std::sync::OnceLock;

const TSV: &str = include_str!("../data/esp32s3-rom-symbols.tsv");

struct Entry {
    value: &'static str,
    file: &'static str,
}

fn table() -> &'static HashMap<&'static str, Entry> {
    static TABLE: OnceLock<HashMap<&'static str, Entry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        for line in TSV.lines() {
            if line.starts_with('#') || line.starts_with("symbol\t") || line.trim().is_empty() {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(name), Some(value), file) = (cols.next(), cols.next(), cols.next()) else { continue };
            map.entry(name).or_insert(Entry { value, file: file.unwrap_or("") });
        }
        map
    })
}

/// A symbol that resolves to the ROM.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RomSymbol {
    /// ROM address.
    pub address: u64,
    /// The alias chain followed (`esp_rom_crc32_le` → `crc32_le`), empty when direct.
    pub via: Vec<String>,
    /// The IDF linker file that provides it (linked only with the matching sdkconfig).
    pub file: String,
}

/// Resolves `name` through the ROM table, following aliases.
pub fn lookup(name: &str) -> Option<RomSymbol> {
    let table = table();
    let mut current = name;
    let mut via = Vec::new();
    for _ in 0..8 {
        let entry = table.get(current)?;
        if let Some(hex) = entry.value.strip_prefix("0x") {
            let address = u64::from_str_radix(hex, 16).ok()?;
            return Some(RomSymbol { address, via, file: entry.file.to_string() });
        }
        via.push(entry.value.to_string());
        current = entry.value;
    }
    None
}

/// Whether `address` is in the ESP32-S3 ROM (instruction or data view).
pub fn is_rom_address(address: u64) -> bool {
    (0x4000_0000..0x4006_0000).contains(&address) || (0x3ff0_0000..0x3ff2_0000).contains(&address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_and_alias() {
        assert_eq!(lookup("ets_printf").unwrap().address, 0x4000_05d0);
        assert_eq!(lookup("memcpy").unwrap().file, "esp32s3.rom.libc.ld");
        let alias = lookup("esp_rom_crc32_le").unwrap();
        assert_eq!(alias.via, vec!["crc32_le".to_string()]);
        assert!(is_rom_address(alias.address));
        assert!(lookup("xQueueSend").is_none());
    }
}
