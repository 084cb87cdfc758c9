//! The archive as one linked-together graph: every member's sections become nodes, every
//! relocation becomes an edge to the section (and offset) its symbol resolves to, with symbols
//! resolved across members the way a static link does.

use std::collections::HashMap;

use object::elf;
use object::read::archive::ArchiveFile;
use object::{
    Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget, SectionKind, SymbolKind,
    SymbolSection,
};

use crate::InputError;

/// `R_XTENSA_32`: a 32-bit absolute address (literals, data pointers).
pub const R_XTENSA_32: u32 = 1;
/// `R_XTENSA_SLOT0_OP`: the operand of an instruction (call, jump, L32R).
pub const R_XTENSA_SLOT0_OP: u32 = 20;

/// Where a relocation (or symbol) points after resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// Into a section of the archive.
    Section {
        /// Node index.
        node: u32,
        /// Byte offset in that section (symbol value + addend).
        offset: u64,
    },
    /// A symbol that no member defines.
    External(u32),
    /// An absolute value (`SHN_ABS` symbol).
    Absolute(u64),
}

/// Memory class of a section once it is mapped `noflash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemClass {
    /// Code and literal pools: IRAM.
    Text,
    /// Read-only data: DRAM.
    Rodata,
    /// Initialised data: DRAM.
    Data,
    /// Zero-initialised data: DRAM (no image bytes).
    Bss,
    /// An allocated section whose name the `noflash` scheme does not map.
    Unmapped,
    /// Not loaded (debug info, notes, ...).
    None,
}

impl MemClass {
    fn classify(name: &str, kind: SectionKind, alloc: bool) -> MemClass {
        let starts = |p: &str| name == p || name.starts_with(&format!("{p}."));
        if !alloc {
            return MemClass::None;
        }
        if starts(".text") || starts(".literal") || starts(".iram1") || starts(".iram0") {
            MemClass::Text
        } else if starts(".rodata") || starts(".srodata") {
            MemClass::Rodata
        } else if starts(".data") || starts(".dram1") || starts(".sdata") || starts(".dram0") {
            MemClass::Data
        } else if starts(".bss")
            || starts(".sbss")
            || starts(".noinit")
            || kind == SectionKind::UninitializedData
        {
            MemClass::Bss
        } else {
            // `.init_array`, custom `.flash.*` sections, ...: the `noflash` scheme leaves them
            // to the default (flash) placement.
            MemClass::Unmapped
        }
    }

    /// IRAM (true) or DRAM (false); `None` for sections that take no memory.
    pub fn is_iram(self) -> Option<bool> {
        match self {
            MemClass::Text => Some(true),
            MemClass::Rodata | MemClass::Data | MemClass::Bss => Some(false),
            MemClass::Unmapped | MemClass::None => None,
        }
    }
}

/// One relocation, resolved.
#[derive(Debug, Clone, Copy)]
pub struct Reloc {
    /// Offset in the section.
    pub offset: u64,
    /// ELF `r_type`.
    pub r_type: u32,
    /// Resolved target (`None`: a relocation without symbol).
    pub target: Option<Target>,
}

/// A symbol defined in a section.
#[derive(Debug, Clone)]
pub struct DefSym {
    /// Name (mangled).
    pub name: String,
    /// Offset in the section.
    pub value: u64,
    /// `st_size`.
    pub size: u64,
    /// `STT_FUNC`.
    pub func: bool,
    /// `STT_OBJECT`.
    pub object: bool,
    /// Global or weak binding.
    pub global: bool,
}

/// One section of one member.
#[derive(Debug, Clone)]
pub struct Node {
    /// Index of the member in [`Model::members`].
    pub member: u32,
    /// Section name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// `SHF_EXECINSTR`.
    pub exec: bool,
    /// Memory class.
    pub class: MemClass,
    /// Section contents (only kept for executable sections and literal pools).
    pub data: Vec<u8>,
    /// Relocations sorted by offset.
    pub relocs: Vec<Reloc>,
    /// Symbols defined here, sorted by value.
    pub syms: Vec<DefSym>,
}

impl Node {
    /// The relocation at exactly `offset` with type `r_type`.
    pub fn reloc_at(&self, offset: u64, r_type: u32) -> Option<&Reloc> {
        let start = self.relocs.partition_point(|r| r.offset < offset);
        self.relocs[start..].iter().take_while(|r| r.offset == offset).find(|r| r.r_type == r_type)
    }

    /// The best name for the code or data at `offset` exactly (if a symbol is there).
    pub fn symbol_at(&self, offset: u64) -> Option<&DefSym> {
        let start = self.syms.partition_point(|s| s.value < offset);
        self.syms[start..]
            .iter()
            .take_while(|s| s.value == offset)
            .max_by_key(|s| (s.func, s.global, !s.object, std::cmp::Reverse(s.name.len())))
    }

    /// The symbol whose range contains `offset` (the last one at or before it).
    pub fn containing_symbol(&self, offset: u64) -> Option<&DefSym> {
        let end = self.syms.partition_point(|s| s.value <= offset);
        let last = self.syms[..end].last()?;
        self.symbol_at(last.value)
    }

    /// Whether this is a literal pool (`.literal*`), reached only through its users.
    pub fn is_literal(&self) -> bool {
        self.name == ".literal" || self.name.starts_with(".literal.")
    }
}

/// One archive member.
#[derive(Debug, Clone)]
pub struct Member {
    /// Member file name.
    pub name: String,
    /// Crate name derived from the member name (`core-1234.core.abcd-cgu.0.rcgu.o` → `core`).
    pub krate: String,
}

/// A global definition.
#[derive(Debug, Clone, Copy)]
struct GlobalDef {
    target: Target,
    weak: bool,
}

/// The whole archive.
#[derive(Debug, Default)]
pub struct Model {
    /// Members (object files only).
    pub members: Vec<Member>,
    /// All sections of all members.
    pub nodes: Vec<Node>,
    /// Names of symbols no member defines.
    pub externals: Vec<String>,
    external_ids: HashMap<String, u32>,
    globals: HashMap<String, GlobalDef>,
    /// Local definitions by name (first one wins), for roots and annotations naming local symbols.
    locals: HashMap<String, Target>,
    /// Notes collected while loading (skipped members, duplicate definitions).
    pub notes: Vec<String>,
}

struct RawReloc {
    node: u32,
    offset: u64,
    r_type: u32,
    sym: Option<usize>,
    addend: i64,
}

struct RawSym {
    name: String,
    def: Option<Target>,
    global: bool,
    weak: bool,
    local_def: bool,
}

/// Crate name from a member name: `splitcore_rt-7be7….splitcore_rt.b4cf…-cgu.0.rcgu.o` → `splitcore_rt`.
pub fn crate_of_member(name: &str) -> String {
    if let Some((krate, _)) = name.split_once('-') {
        if name.ends_with(".o") && !krate.is_empty() {
            return krate.to_string();
        }
    }
    name.to_string()
}

impl Model {
    /// Loads a static archive, or a single relocatable object, from `bytes`; `path` names it in errors.
    pub fn load(bytes: &[u8], path: &str) -> Result<Model, InputError> {
        let mut model = Model::default();
        let mut raw_relocs = Vec::new();
        let mut raw_syms: Vec<Vec<RawSym>> = Vec::new();
        if bytes.starts_with(b"!<arch>\n") || bytes.starts_with(b"!<thin>\n") {
            let archive = ArchiveFile::parse(bytes)
                .map_err(|e| InputError::new(path, format!("corrupt archive: {e}")))?;
            for member in archive.members() {
                let member = member
                    .map_err(|e| InputError::new(path, format!("corrupt archive member table: {e}")))?;
                let name = String::from_utf8_lossy(member.name()).into_owned();
                let data = member
                    .data(bytes)
                    .map_err(|e| InputError::new(path, format!("member {name}: truncated ({e})")))?;
                if !data.starts_with(&elf::ELFMAG) {
                    model.notes.push(format!("member {name}: not an ELF object, skipped"));
                    continue;
                }
                let where_ = format!("{path}({name})");
                model.load_object(data, &name, &where_, &mut raw_relocs, &mut raw_syms)?;
            }
            if model.members.is_empty() {
                return Err(InputError::new(path, "the archive contains no ELF objects".into()));
            }
        } else if bytes.starts_with(&elf::ELFMAG) {
            let name = path.rsplit('/').next().unwrap_or(path).to_string();
            model.load_object(bytes, &name, path, &mut raw_relocs, &mut raw_syms)?;
        } else {
            return Err(InputError::new(
                path,
                "not a static archive (no `!<arch>` magic) and not an ELF object".into(),
            ));
        }
        model.resolve(raw_relocs, raw_syms);
        Ok(model)
    }

    fn load_object(
        &mut self,
        data: &[u8],
        name: &str,
        where_: &str,
        raw_relocs: &mut Vec<RawReloc>,
        raw_syms: &mut Vec<Vec<RawSym>>,
    ) -> Result<(), InputError> {
        check_elf_header(data, where_, elf::ET_REL)?;
        let file = object::read::elf::ElfFile32::<object::Endianness>::parse(data)
            .map_err(|e| InputError::new(where_, format!("corrupt ELF: {e}")))?;
        let member = self.members.len() as u32;
        self.members.push(Member { name: name.to_string(), krate: crate_of_member(name) });
        let base = self.nodes.len() as u32;
        // Section index → node; index 0 (SHT_NULL) and non-content sections map to none.
        let mut node_of: HashMap<usize, u32> = HashMap::new();
        for section in file.sections() {
            let sname =
                section.name().map_err(|e| InputError::new(where_, format!("corrupt section name: {e}")))?;
            let (flags, kind) = match section.flags() {
                object::SectionFlags::Elf { sh_flags } => (sh_flags, section.kind()),
                _ => (0, section.kind()),
            };
            let alloc = flags & u64::from(elf::SHF_ALLOC) != 0;
            let exec = flags & u64::from(elf::SHF_EXECINSTR) != 0;
            if !alloc && kind != SectionKind::Text {
                continue;
            }
            let class = MemClass::classify(sname, kind, alloc);
            let keep_data = exec || sname.starts_with(".literal") || sname.starts_with(".rodata");
            let contents = if keep_data && kind != SectionKind::UninitializedData {
                section
                    .data()
                    .map_err(|e| InputError::new(where_, format!("section {sname}: truncated ({e})")))?
                    .to_vec()
            } else {
                Vec::new()
            };
            let id = self.nodes.len() as u32;
            node_of.insert(section.index().0, id);
            self.nodes.push(Node {
                member,
                name: sname.to_string(),
                size: section.size(),
                exec,
                class,
                data: contents,
                relocs: Vec::new(),
                syms: Vec::new(),
            });
        }
        let obj_idx = raw_syms.len();
        let mut syms = Vec::new();
        // Symbol table indices are dense in ELF: keep a vector indexed by symbol index.
        let mut by_index: Vec<Option<usize>> = Vec::new();
        for symbol in file.symbols() {
            let idx = symbol.index().0;
            if by_index.len() <= idx {
                by_index.resize(idx + 1, None);
            }
            let sname =
                symbol.name().map_err(|e| InputError::new(where_, format!("corrupt symbol name: {e}")))?;
            let def = match symbol.section() {
                SymbolSection::Section(si) => {
                    node_of.get(&si.0).map(|&node| Target::Section { node, offset: symbol.address() })
                }
                SymbolSection::Absolute => Some(Target::Absolute(symbol.address())),
                _ => None,
            };
            let is_section = symbol.kind() == SymbolKind::Section;
            let name = if is_section {
                match symbol.section_index().and_then(|si| node_of.get(&si.0)) {
                    Some(&n) => self.nodes[n as usize].name.clone(),
                    None => String::new(),
                }
            } else {
                sname.to_string()
            };
            if let Some(Target::Section { node, offset }) = def {
                if !is_section && !name.is_empty() && symbol.kind() != SymbolKind::File {
                    self.nodes[node as usize].syms.push(DefSym {
                        name: name.clone(),
                        value: offset,
                        size: symbol.size(),
                        func: symbol.kind() == SymbolKind::Text,
                        object: symbol.kind() == SymbolKind::Data,
                        global: symbol.is_global(),
                    });
                }
            }
            by_index[idx] = Some(syms.len());
            syms.push(RawSym {
                name,
                def,
                global: symbol.is_global() && !is_section,
                weak: symbol.is_weak(),
                local_def: !symbol.is_global() || is_section,
            });
        }
        for node in base..self.nodes.len() as u32 {
            self.nodes[node as usize].syms.sort_by_key(|s| s.value);
        }
        for section in file.sections() {
            let Some(&node) = node_of.get(&section.index().0) else { continue };
            for (offset, reloc) in section.relocations() {
                let r_type = match reloc.flags() {
                    RelocationFlags::Elf { r_type } => r_type,
                    _ => 0,
                };
                let sym = match reloc.target() {
                    RelocationTarget::Symbol(si) => {
                        Some(by_index.get(si.0).copied().flatten().ok_or_else(|| {
                            InputError::new(
                                where_,
                                format!(
                                    "relocation in {} names symbol {} which does not exist",
                                    self.nodes[node as usize].name, si.0
                                ),
                            )
                        })?)
                    }
                    _ => None,
                };
                raw_relocs.push(RawReloc {
                    node,
                    offset,
                    r_type,
                    sym: sym.map(|s| s + (obj_idx << 32)),
                    addend: reloc.addend(),
                });
            }
        }
        raw_syms.push(syms);
        Ok(())
    }

    fn resolve(&mut self, raw_relocs: Vec<RawReloc>, raw_syms: Vec<Vec<RawSym>>) {
        for syms in &raw_syms {
            for s in syms {
                let Some(target) = s.def else { continue };
                if s.name.is_empty() {
                    continue;
                }
                if !s.global {
                    if s.local_def {
                        self.locals.entry(s.name.clone()).or_insert(target);
                    }
                    continue;
                }
                match self.globals.get(&s.name) {
                    None => {
                        self.globals.insert(s.name.clone(), GlobalDef { target, weak: s.weak });
                    }
                    Some(existing) if existing.weak && !s.weak => {
                        self.globals.insert(s.name.clone(), GlobalDef { target, weak: false });
                    }
                    Some(existing) if !existing.weak && !s.weak && existing.target != target => {
                        self.notes.push(format!(
                            "{} is defined more than once (the first definition is used)",
                            s.name
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        for raw in raw_relocs {
            let target = raw.sym.and_then(|packed| {
                let sym = &raw_syms[packed >> 32][packed & 0xffff_ffff];
                let base = if sym.global {
                    match self.globals.get(&sym.name) {
                        Some(def) => Some(def.target),
                        None => sym.def,
                    }
                } else {
                    sym.def
                };
                match base {
                    Some(Target::Section { node, offset }) => {
                        Some(Target::Section { node, offset: offset.wrapping_add(raw.addend as u64) })
                    }
                    Some(Target::Absolute(v)) => Some(Target::Absolute(v.wrapping_add(raw.addend as u64))),
                    Some(t @ Target::External(_)) => Some(t),
                    None if sym.name.is_empty() => None,
                    None => Some(Target::External(self.external_id(&sym.name))),
                }
            });
            self.nodes[raw.node as usize].relocs.push(Reloc {
                offset: raw.offset,
                r_type: raw.r_type,
                target,
            });
        }
        for node in &mut self.nodes {
            node.relocs.sort_by_key(|r| r.offset);
        }
    }

    fn external_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.external_ids.get(name) {
            return id;
        }
        let id = self.externals.len() as u32;
        self.externals.push(name.to_string());
        self.external_ids.insert(name.to_string(), id);
        id
    }

    /// Looks a symbol up by name: global definitions first, then local ones; then, if `name`
    /// is no symbol, by demangled name without the hash (as the report prints it and the
    /// annotations may give it), preferring globals (ties: the smallest mangled name).
    pub fn lookup(&self, name: &str) -> Option<Target> {
        if let Some(t) = self.globals.get(name).map(|d| d.target).or_else(|| self.locals.get(name).copied()) {
            return Some(t);
        }
        let by_demangled = |names: &mut dyn Iterator<Item = (&String, Target)>| {
            names
                .filter(|(n, _)| crate::stack::demangle(n) == name)
                .min_by(|a, b| a.0.cmp(b.0))
                .map(|(_, t)| t)
        };
        by_demangled(&mut self.globals.iter().map(|(n, d)| (n, d.target)))
            .or_else(|| by_demangled(&mut self.locals.iter().map(|(n, t)| (n, *t))))
    }

    /// All defined global names (for the ELF check).
    pub fn target_name(&self, target: Target) -> String {
        match target {
            Target::Section { node, offset } => {
                let n = &self.nodes[node as usize];
                match n.symbol_at(offset) {
                    Some(s) => s.name.clone(),
                    None if offset == 0 => n.name.clone(),
                    None => format!("{}+{:#x}", n.name, offset),
                }
            }
            Target::External(e) => self.externals[e as usize].clone(),
            Target::Absolute(v) => format!("{v:#010x}"),
        }
    }
}

/// Checks the ELF identification and header fields that matter, so that wrong inputs get a
/// precise message rather than a parser error.
pub fn check_elf_header(data: &[u8], where_: &str, want_type: u16) -> Result<(), InputError> {
    if data.len() < 52 {
        return Err(InputError::new(
            where_,
            format!("truncated ELF: {} bytes, an ELF32 header alone is 52", data.len()),
        ));
    }
    if !data.starts_with(&elf::ELFMAG) {
        return Err(InputError::new(where_, "not an ELF file".into()));
    }
    let class = data[4];
    let little = data[5] == elf::ELFDATA2LSB;
    let rd16 = |o: usize| {
        if little {
            u16::from_le_bytes([data[o], data[o + 1]])
        } else {
            u16::from_be_bytes([data[o], data[o + 1]])
        }
    };
    let machine = rd16(18);
    let arch = machine_name(machine);
    if class != elf::ELFCLASS32 || machine != elf::EM_XTENSA {
        let bits = if class == elf::ELFCLASS64 { "64-bit" } else { "32-bit" };
        return Err(InputError::new(
            where_,
            format!("wrong architecture: {bits} {arch} (e_machine {machine}); expected 32-bit Xtensa (e_machine 94) for the ESP32-S3"),
        ));
    }
    if !little {
        return Err(InputError::new(
            where_,
            "big-endian Xtensa object; the ESP32-S3 is little-endian".into(),
        ));
    }
    let e_type = rd16(16);
    if e_type != want_type {
        let what = |t: u16| match t {
            elf::ET_REL => "a relocatable object (ET_REL)",
            elf::ET_EXEC => "an executable (ET_EXEC)",
            elf::ET_DYN => "a shared object (ET_DYN)",
            _ => "an unknown ELF type",
        };
        return Err(InputError::new(where_, format!("is {}, expected {}", what(e_type), what(want_type))));
    }
    Ok(())
}

fn machine_name(machine: u16) -> &'static str {
    match machine {
        elf::EM_X86_64 => "x86-64",
        elf::EM_386 => "x86",
        elf::EM_AARCH64 => "AArch64",
        elf::EM_ARM => "ARM",
        elf::EM_RISCV => "RISC-V",
        elf::EM_XTENSA => "Xtensa",
        _ => "non-Xtensa",
    }
}
