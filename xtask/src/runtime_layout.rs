//! Checks the core-1 runtime's placement in the ESP32-S3 build: the trampoline, vectors and
//! handlers must be in `.iram1.*` sections (so ESP-IDF's linker-script generator puts them in
//! IRAM, reachable while the flash cache is off), the vector table 1 KiB aligned, and each
//! vector at its offset from VECBASE (FACTS.md §10, IDF core-isa.h `*_VECOFS`).

use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use object::read::archive::ArchiveFile;
use object::{Object, ObjectSection, ObjectSymbol, SectionKind};

/// `(symbol, offset from VECBASE)`.
const VECTORS: &[(&str, u64)] = &[
    ("_splitcore_vector_window", 0x000),
    ("_splitcore_vector_level2", 0x180),
    ("_splitcore_vector_level3", 0x1c0),
    ("_splitcore_vector_level4", 0x200),
    ("_splitcore_vector_level5", 0x240),
    ("_splitcore_vector_debug", 0x280),
    ("_splitcore_vector_nmi", 0x2c0),
    ("_splitcore_vector_kernel", 0x300),
    ("_splitcore_vector_user", 0x340),
    ("_splitcore_vector_double", 0x3c0),
];

/// Code that must run from IRAM.
const IRAM_CODE: &[&str] = &[
    "splitcore_core1_entry",
    "_splitcore_crash",
    "_splitcore_level1_interrupt",
    "_splitcore_level2_interrupt",
    "_splitcore_level3_interrupt",
    "splitcore_park",
    "splitcore_raise_panic",
];

/// Checks the archive that contains the runtime's assembly object.
pub fn check(archive: &Path) -> Result<()> {
    let bytes = std::fs::read(archive).with_context(|| format!("reading {}", archive.display()))?;
    let archive_file = ArchiveFile::parse(&*bytes)?;
    for member in archive_file.members() {
        let member = member?;
        let data = member.data(&*bytes)?;
        let Ok(file) = object::File::parse(data) else {
            continue;
        };
        if file.symbol_by_name("_splitcore_vectors").is_some() {
            return check_object(&file, &String::from_utf8_lossy(member.name()));
        }
    }
    bail!("no member of {} defines _splitcore_vectors", archive.display())
}

fn check_object(file: &object::File<'_>, member: &str) -> Result<()> {
    let table = file.symbol_by_name("_splitcore_vectors").expect("found above");
    let table_section =
        file.section_by_index(table.section_index().context("vector table has no section")?)?;
    let name = table_section.name()?;
    ensure!(name.starts_with(".iram1"), "{member}: the vector table is in `{name}`, not an .iram1 section");
    ensure!(
        table_section.align() >= 1024,
        "{member}: `{name}` is aligned to {}, VECBASE needs 1024",
        table_section.align()
    );
    ensure!(
        table_section.size() == 0x400,
        "{member}: the vector table is {:#x} bytes, expected 0x400",
        table_section.size()
    );
    for (symbol, offset) in VECTORS {
        let found = file.symbol_by_name(symbol).with_context(|| format!("{member}: `{symbol}` missing"))?;
        ensure!(
            found.section_index() == table.section_index(),
            "{member}: `{symbol}` is outside the vector table"
        );
        let at = found.address() - table.address();
        ensure!(at == *offset, "{member}: `{symbol}` at VECBASE+{at:#x}, expected +{offset:#x}");
    }
    for symbol in IRAM_CODE {
        let found = file.symbol_by_name(symbol).with_context(|| format!("{member}: `{symbol}` missing"))?;
        let section = file.section_by_index(found.section_index().context("no section")?)?;
        let name = section.name()?;
        ensure!(name.starts_with(".iram1"), "{member}: `{symbol}` is in `{name}`, not an .iram1 section");
    }
    for section in file.sections().filter(|s| s.kind() == SectionKind::Text && s.size() > 0) {
        let name = section.name()?;
        ensure!(name.starts_with(".iram1"), "{member}: code section `{name}` would not be placed in IRAM");
    }
    println!(
        "runtime layout: {member}: vector table in {name} (1 KiB aligned), {} vectors at their offsets, \
         trampoline and handlers in .iram1",
        VECTORS.len()
    );
    Ok(())
}
