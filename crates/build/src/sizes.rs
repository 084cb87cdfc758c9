//! Per-section sizes of an Xtensa static archive.
//!
//! On core 1 everything lives in internal RAM (the archive is mapped `noflash`), so the code and
//! read-only data of the archive cost IRAM/DRAM. These are the sizes of the archive's input
//! sections before the final link's `--gc-sections`: an upper bound of what the link keeps.

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result};
use object::read::archive::ArchiveFile;
use object::{Object, ObjectSection, SectionKind};

/// Bytes per memory class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SectionSizes {
    /// Code, including literal pools (`.text*`, `.literal*`, `.iram1*`).
    pub text: u64,
    /// Read-only data (`.rodata*`).
    pub rodata: u64,
    /// Initialised data (`.data*`, `.dram1*`).
    pub data: u64,
    /// Zero-initialised data (`.bss*`, `COMMON`).
    pub bss: u64,
}

impl SectionSizes {
    fn add(&mut self, other: SectionSizes) {
        self.text += other.text;
        self.rodata += other.rodata;
        self.data += other.data;
        self.bss += other.bss;
    }

    /// Total bytes of internal RAM.
    pub fn total(&self) -> u64 {
        self.text + self.rodata + self.data + self.bss
    }

    fn classify(&mut self, name: &str, kind: SectionKind, size: u64) {
        let starts = |p: &str| name == p || name.starts_with(&format!("{p}."));
        if starts(".text") || starts(".literal") || starts(".iram1") {
            self.text += size;
        } else if starts(".rodata") || starts(".srodata") {
            self.rodata += size;
        } else if starts(".data") || starts(".dram1") || starts(".sdata") {
            self.data += size;
        } else if starts(".bss") || starts(".sbss") || starts(".noinit") || kind == SectionKind::Common {
            self.bss += size;
        }
    }
}

/// The sizes of one archive, per member and in total.
#[derive(Debug, Clone, Default)]
pub struct ArchiveSizes {
    /// `(member name, sizes)`, in archive order.
    pub members: Vec<(String, SectionSizes)>,
    /// Sum over all members.
    pub total: SectionSizes,
}

/// Reads an archive (or a single relocatable object) and sums its section sizes.
pub fn archive_sizes(path: &Path) -> Result<ArchiveSizes> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut result = ArchiveSizes::default();
    match ArchiveFile::parse(&*bytes) {
        Ok(archive) => {
            for member in archive.members() {
                let member = member?;
                let name = String::from_utf8_lossy(member.name()).into_owned();
                let data = member.data(&*bytes)?;
                if let Ok(sizes) = object_sizes(data) {
                    result.total.add(sizes);
                    result.members.push((name, sizes));
                }
            }
        }
        Err(_) => {
            let sizes = object_sizes(&bytes)
                .with_context(|| format!("{} is neither an archive nor an object", path.display()))?;
            result.total = sizes;
            result.members.push((path.display().to_string(), sizes));
        }
    }
    Ok(result)
}

fn object_sizes(data: &[u8]) -> Result<SectionSizes> {
    let file = object::File::parse(data)?;
    let mut sizes = SectionSizes::default();
    for section in file.sections() {
        let name = section.name().unwrap_or_default();
        sizes.classify(name, section.kind(), section.size());
    }
    for symbol in object::Object::symbols(&file) {
        if object::ObjectSymbol::is_common(&symbol) {
            sizes.bss += object::ObjectSymbol::size(&symbol);
        }
    }
    Ok(sizes)
}

impl fmt::Display for ArchiveSizes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:>10} {:>10} {:>10} {:>10}  member", "text", "rodata", "data", "bss")?;
        let mut members: Vec<_> = self.members.iter().filter(|(_, s)| s.total() > 0).collect();
        members.sort_by_key(|(_, s)| std::cmp::Reverse(s.total()));
        for (name, s) in members {
            writeln!(f, "{:>10} {:>10} {:>10} {:>10}  {name}", s.text, s.rodata, s.data, s.bss)?;
        }
        let t = &self.total;
        write!(
            f,
            "{:>10} {:>10} {:>10} {:>10}  total (before --gc-sections)",
            t.text, t.rodata, t.data, t.bss
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_names_map_to_memory_classes() {
        let mut s = SectionSizes::default();
        s.classify(".text.ring_push", SectionKind::Text, 20);
        s.classify(".literal.lp3", SectionKind::Text, 8);
        s.classify(".rodata.str", SectionKind::ReadOnlyData, 5);
        s.classify(".data", SectionKind::Data, 4);
        s.classify(".bss.RING", SectionKind::UninitializedData, 64);
        s.classify(".debug_info", SectionKind::Debug, 1000);
        s.classify(".textual", SectionKind::Text, 1000);
        assert_eq!(s, SectionSizes { text: 28, rodata: 5, data: 4, bss: 64 });
        assert_eq!(s.total(), 101);
    }
}
