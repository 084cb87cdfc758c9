//! Generates small relocatable Xtensa ELF objects and `ar` archives for the tests.
#![allow(dead_code)]

use object::write::{Object, Relocation, Symbol, SymbolId, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind,
    SymbolScope,
};
use splitcore_check::model::{R_XTENSA_32, R_XTENSA_SLOT0_OP};
use splitcore_check::xtensa::encode_entry;

/// One instruction (or group) of a fixture function.
#[derive(Clone, Debug)]
pub enum Op {
    /// `call8 sym` (relocation against `sym`).
    Call8(&'static str),
    /// `l32r a8, <literal = &sym>; callx8 a8`.
    CallX8(&'static str),
    /// `l32i a8, a2, 0; callx8 a8`: a call through a pointer loaded from memory.
    CallX8Unknown,
    /// `l32r a9, <literal = &sym>`: a data reference.
    Load(&'static str),
}

/// A function: name, `entry` frame (None: no ENTRY), body.
#[derive(Clone, Debug)]
pub struct Func {
    pub name: &'static str,
    pub frame: Option<u32>,
    pub body: Vec<Op>,
    pub weak: bool,
}

pub fn func(name: &'static str, frame: u32, body: Vec<Op>) -> Func {
    Func { name, frame: Some(frame), body, weak: false }
}

/// Builds one relocatable Xtensa object with one `.text.<name>` and one `.literal.<name>` per
/// function, plus `data` objects (name, size) in `.bss.<name>`.
pub fn xtensa_object(funcs: &[Func], data: &[(&'static str, u64)]) -> Vec<u8> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Xtensa, Endianness::Little);
    let mut symbols: std::collections::HashMap<&'static str, SymbolId> = Default::default();
    let mut sym = |obj: &mut Object, name: &'static str| -> SymbolId {
        *symbols.entry(name).or_insert_with(|| {
            obj.add_symbol(Symbol {
                name: name.as_bytes().to_vec(),
                value: 0,
                size: 0,
                kind: SymbolKind::Unknown,
                scope: SymbolScope::Unknown,
                weak: false,
                section: SymbolSection::Undefined,
                flags: SymbolFlags::None,
            })
        })
    };
    for &(name, size) in data {
        let sec =
            obj.add_section(vec![], format!(".bss.{name}").into_bytes(), SectionKind::UninitializedData);
        obj.append_section_bss(sec, size, 4);
        let id = sym(&mut obj, name);
        let s = obj.symbol_mut(id);
        s.kind = SymbolKind::Data;
        s.scope = SymbolScope::Linkage;
        s.section = SymbolSection::Section(sec);
        s.size = size;
    }
    for f in funcs {
        let text = obj.add_section(vec![], format!(".text.{}", f.name).into_bytes(), SectionKind::Text);
        let lit = obj.add_section(vec![], format!(".literal.{}", f.name).into_bytes(), SectionKind::Text);
        let lit_sym = obj.section_symbol(lit);
        let mut code = Vec::new();
        let mut literals: Vec<u8> = Vec::new();
        let mut relocs: Vec<(u64, &str, Option<i64>)> = Vec::new();
        let mut lit_relocs = Vec::new();
        if let Some(frame) = f.frame {
            code.extend_from_slice(&encode_entry(frame));
        }
        let mut literal = |code: &mut Vec<u8>,
                           reg: u8,
                           target: &'static str,
                           relocs: &mut Vec<(u64, &'static str, Option<i64>)>| {
            let off = literals.len() as i64;
            literals.extend_from_slice(&[0; 4]);
            lit_relocs.push((off as u64, target));
            relocs.push((code.len() as u64, "", Some(off)));
            code.extend_from_slice(&[0x01 | (reg << 4), 0xff, 0xff]);
        };
        for op in &f.body {
            match op {
                Op::Call8(target) => {
                    relocs.push((code.len() as u64, *target, None));
                    code.extend_from_slice(&[0x25, 0x00, 0x00]);
                }
                Op::CallX8(target) => {
                    literal(&mut code, 8, target, &mut relocs);
                    code.extend_from_slice(&[0xe0, 0x08, 0x00]);
                }
                Op::CallX8Unknown => {
                    code.extend_from_slice(&[0x82, 0x22, 0x00]); // l32i a8, a2, 0
                    code.extend_from_slice(&[0xe0, 0x08, 0x00]); // callx8 a8
                }
                Op::Load(target) => literal(&mut code, 9, target, &mut relocs),
            }
        }
        code.extend_from_slice(&[0x1d, 0xf0]); // retw.n
        obj.append_section_data(text, &code, 4);
        if !literals.is_empty() {
            obj.append_section_data(lit, &literals, 4);
        }
        let id = sym(&mut obj, f.name);
        {
            let s = obj.symbol_mut(id);
            s.kind = SymbolKind::Text;
            s.scope = SymbolScope::Linkage;
            s.weak = f.weak;
            s.section = SymbolSection::Section(text);
            s.size = code.len() as u64;
        }
        for (offset, target, lit_off) in relocs {
            let (symbol, addend) = match lit_off {
                Some(o) => (lit_sym, o),
                None => (sym(&mut obj, target), 0),
            };
            obj.add_relocation(
                text,
                Relocation {
                    offset,
                    symbol,
                    addend,
                    flags: RelocationFlags::Elf { r_type: R_XTENSA_SLOT0_OP },
                },
            )
            .unwrap();
        }
        for (offset, target) in lit_relocs {
            let symbol = sym(&mut obj, target);
            obj.add_relocation(
                lit,
                Relocation { offset, symbol, addend: 0, flags: RelocationFlags::Elf { r_type: R_XTENSA_32 } },
            )
            .unwrap();
        }
    }
    obj.write().unwrap()
}

/// An x86-64 relocatable object.
pub fn x86_object() -> Vec<u8> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let text = obj.section_id(object::write::StandardSection::Text);
    obj.append_section_data(text, &[0xc3], 1);
    obj.write().unwrap()
}

/// A GNU `ar` archive of `(name, bytes)` members (names up to 15 bytes).
pub fn archive(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"!<arch>\n".to_vec();
    for (name, data) in members {
        assert!(name.len() < 16);
        let header =
            format!("{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n", format!("{name}/"), 0, 0, 0, 644, data.len());
        assert_eq!(header.len(), 60);
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(b'\n');
        }
    }
    out
}

/// Writes bytes to a temporary file and returns it.
pub fn temp_file(bytes: &[u8], suffix: &str) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    std::fs::write(f.path(), bytes).unwrap();
    f
}

/// A linked-firmware stand-in: an Xtensa ELF of type `ET_EXEC` whose symbol table places each
/// `(name, address)` absolutely, as the final IDF link would.
pub fn linked_elf(placements: &[(&'static str, u64)]) -> Vec<u8> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Xtensa, Endianness::Little);
    for &(name, address) in placements {
        obj.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value: address,
            size: 4,
            kind: SymbolKind::Text,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Absolute,
            flags: SymbolFlags::None,
        });
    }
    let mut bytes = obj.write().unwrap();
    // `object` writes relocatable files; e_type (offset 16, little-endian) says executable.
    bytes[16..18].copy_from_slice(&object::elf::ET_EXEC.to_le_bytes());
    bytes
}
