//! `splitcore check`: proves that core-1 code never touches flash and never overflows its stack.
//!
//! Input is the core-1 static archive (relocatable Xtensa ELF objects, as `cargo xtask build`
//! produces it) and optionally the final firmware ELF. From the roots (the runtime's entry
//! trampoline, vector table and interrupt dispatcher, plus `--root`s) the checker follows
//! relocations section by section, resolving symbols across members like a static link, and:
//!
//! * **flash**: every symbol the reachable code needs from outside the archive must be in the
//!   ESP32-S3 ROM (ESP-IDF's ROM linker scripts) or on the allow-list of IRAM-resident symbols;
//!   with `--elf`, every reachable symbol must be linked into IRAM/DRAM/RTC-fast RAM or ROM;
//! * **stack**: the worst-case depth from the roots (see [`stack`]) must fit the core-1 stack;
//! * **footprint**: IRAM and DRAM bytes of the reachable sections, per crate and function.
//!
//! See the crate README for what each finding means and how to fix it.
#![warn(missing_docs)]

pub mod annotations;
pub mod elf;
pub mod model;
mod render;
pub mod rom;
pub mod stack;
pub mod xtensa;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

pub use annotations::Annotations;
use model::{MemClass, Model, Target};
pub use render::render;
use stack::{demangle, Bounds, Graph, RootBound, Unbounded, UnitKey};

/// The runtime's default core-1 stack (`SPLITCORE_STACK_SIZE`).
pub const DEFAULT_STACK_SIZE: u64 = 16384;

/// The synchronous entry point: the trampoline core 0 hands to the ROM.
pub const ENTRY_ROOT: &str = "splitcore_core1_entry";
/// The vector table: every symbol in its section is an asynchronous entry point.
pub const VECTORS_ROOT: &str = "_splitcore_vectors";
/// The level-1 interrupt dispatcher.
pub const INTERRUPT_ROOT: &str = "splitcore_rt_interrupt";

/// Stack use of the runtime's entry-less assembly (`firmware/runtime/asm/core1.S`), which the
/// `ENTRY` decoding cannot see:
/// * `splitcore_core1_entry` sets `a1 = top - 32` (the root frame's caller-SP slot);
/// * `_splitcore_levelN_interrupt` (N = 1, 2, 3) saves the interrupted registers in
///   `[sp - 128, sp - 40)` below the interrupted SP before `call4 _splitcore_irq_frameN`, whose
///   `entry a1, 128` frame is exactly `[sp - 128, sp)`: the save area lies inside that frame, so
///   the entry code itself adds no bytes to the path through it.
pub const RUNTIME_ASM_FRAMES: &[(&str, u64)] = &[
    ("splitcore_core1_entry", 32),
    ("_splitcore_level1_interrupt", 0),
    ("_splitcore_level2_interrupt", 0),
    ("_splitcore_level3_interrupt", 0),
];

/// The runtime's interrupt entries, one per dispatched level: a level-n interrupt can preempt
/// the handler of any lower level, so their worst cases add up (level 1 + 2 + 3 on top of the
/// deepest entry path). The vectors reach them by `j`; those edges are not counted again in the
/// vectors' own bounds, which then cover what can come on top of the deepest handler once (an
/// exception's crash path, the window vectors).
pub const NESTED_INTERRUPT_ENTRIES: &[&str] =
    &["_splitcore_level1_interrupt", "_splitcore_level2_interrupt", "_splitcore_level3_interrupt"];

/// Bytes below the deepest stack pointer that a window overflow writes (base save area).
pub const SPILL_BYTES: u64 = 16;

/// Everything the check needs.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The core-1 archive.
    pub archive: PathBuf,
    /// Optional final firmware ELF.
    pub elf: Option<PathBuf>,
    /// Extra synchronous roots.
    pub roots: Vec<String>,
    /// Symbols allowed outside the archive (IRAM-resident in the IDF build).
    pub allow: Vec<String>,
    /// Stack annotations.
    pub annotations: Annotations,
    /// Core-1 stack size; `None` = [`DEFAULT_STACK_SIZE`].
    pub stack_size: Option<u64>,
    /// IRAM budget in bytes.
    pub iram_budget: Option<u64>,
    /// DRAM budget in bytes.
    pub dram_budget: Option<u64>,
}

impl Config {
    /// A configuration for `archive` with defaults.
    pub fn new(archive: impl Into<PathBuf>) -> Self {
        Config { archive: archive.into(), ..Config::default() }
    }

    /// Reads an allow-list file: one symbol per line, `#` comments.
    pub fn add_allow_file(&mut self, path: &Path) -> Result<(), InputError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::new(&path.display().to_string(), e.to_string()))?;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if !line.is_empty() {
                self.allow.push(line.to_string());
            }
        }
        Ok(())
    }

    /// Reads an annotation file (see [`annotations`]).
    pub fn add_annotation_file(&mut self, path: &Path) -> Result<(), InputError> {
        let where_ = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| InputError::new(&where_, e.to_string()))?;
        let parsed = Annotations::parse(&text).map_err(|e| InputError::new(&where_, e))?;
        self.annotations = parsed;
        Ok(())
    }
}

/// Bad input: unreadable, corrupt, truncated or wrong-architecture files (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file (and archive member) concerned.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl InputError {
    /// A new error.
    pub fn new(file: &str, message: String) -> Self {
        InputError { file: file.to_string(), message }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for InputError {}

/// A root and whether it was found.
#[derive(Debug, Clone, Serialize)]
pub struct Root {
    /// Symbol.
    pub name: String,
    /// `entry` (synchronous) or `async` (vectors, interrupts).
    pub kind: &'static str,
    /// Defined in the archive.
    pub found: bool,
}

/// A symbol outside the archive that reachable code needs and that is neither ROM nor allowed.
#[derive(Debug, Clone, Serialize)]
pub struct FlashViolation {
    /// The symbol.
    pub symbol: String,
    /// Shortest reference chain, root first, demangled.
    pub chain: Vec<String>,
    /// What it probably is.
    pub hint: String,
}

/// An external symbol that is fine.
#[derive(Debug, Clone, Serialize)]
pub struct ExternalOk {
    /// The symbol.
    pub symbol: String,
    /// `rom` or `allowed`.
    pub how: &'static str,
    /// ROM address and linker file, or "allow-list".
    pub detail: String,
}

/// A reachable allocated section that the `noflash` mapping would not place in RAM.
#[derive(Debug, Clone, Serialize)]
pub struct UnmappedSection {
    /// Section name.
    pub section: String,
    /// Archive member.
    pub member: String,
    /// Reference chain.
    pub chain: Vec<String>,
}

/// A reachable symbol linked outside internal RAM/ROM (ELF check).
#[derive(Debug, Clone, Serialize)]
pub struct PlacementViolation {
    /// The symbol (demangled).
    pub symbol: String,
    /// Its address in the ELF.
    pub address: u64,
    /// Region name.
    pub region: &'static str,
    /// Reference chain.
    pub chain: Vec<String>,
}

/// The ELF check's result.
#[derive(Debug, Clone, Serialize)]
pub struct ElfReport {
    /// The ELF file.
    pub file: String,
    /// Reachable symbols found in the ELF and checked.
    pub checked: usize,
    /// Reachable symbols not in the ELF's symbol table (inlined, garbage-collected or renamed).
    pub missing: usize,
    /// Symbols in flash or outside every known region.
    pub violations: Vec<PlacementViolation>,
}

/// One root's stack bound.
#[derive(Debug, Clone, Serialize)]
pub struct StackBound {
    /// The root (or vector) symbol.
    pub root: String,
    /// Bytes, if bounded.
    pub bytes: Option<u64>,
    /// Deepest path: `(function, frame bytes)`.
    pub path: Vec<(String, u64)>,
    /// Indices into [`StackReport::unbounded`].
    pub unbounded: Vec<usize>,
}

/// Stack results.
#[derive(Debug, Clone, Serialize)]
pub struct StackReport {
    /// Configured stack size.
    pub stack_size: u64,
    /// Synchronous roots.
    pub main: Vec<StackBound>,
    /// Asynchronous entry points (vectors, interrupt dispatcher); the worst one is added once.
    pub asynchronous: Vec<StackBound>,
    /// The interrupt entries of the levels that nest ([`NESTED_INTERRUPT_ENTRIES`]); all of
    /// them are added.
    pub nested: Vec<StackBound>,
    /// Spill bytes added once.
    pub spill: u64,
    /// Worst main + every nested level + worst async + spill, if everything is bounded.
    pub total: Option<u64>,
    /// Reasons some bound is infinite.
    pub unbounded: Vec<Unbounded>,
    /// External callees whose stack use is assumed (0 unless annotated).
    pub assumptions: Vec<stack::Assumption>,
}

/// Bytes of one contributor.
#[derive(Debug, Clone, Serialize)]
pub struct Contributor {
    /// Function, object or crate name.
    pub name: String,
    /// Crate.
    pub krate: String,
    /// IRAM bytes.
    pub iram: u64,
    /// DRAM bytes.
    pub dram: u64,
}

/// Footprint of the reachable set.
#[derive(Debug, Clone, Serialize)]
pub struct Footprint {
    /// IRAM bytes (code + literals).
    pub iram: u64,
    /// DRAM bytes (rodata + data + bss).
    pub dram: u64,
    /// Budgets.
    pub iram_budget: Option<u64>,
    /// Budgets.
    pub dram_budget: Option<u64>,
    /// All of the archive's allocated sections (before any reachability), for comparison.
    pub archive_iram: u64,
    /// All of the archive's DRAM sections.
    pub archive_dram: u64,
    /// Per crate, largest first.
    pub by_crate: Vec<Contributor>,
    /// Largest functions/objects.
    pub top: Vec<Contributor>,
}

/// The check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Input archive.
    pub archive: String,
    /// Object members analysed.
    pub members: usize,
    /// Sections in the archive.
    pub sections: usize,
    /// Sections reachable from the roots.
    pub reachable_sections: usize,
    /// Reachable functions (units with code).
    pub reachable_functions: usize,
    /// Roots.
    pub roots: Vec<Root>,
    /// Flash calls/references.
    pub flash: Vec<FlashViolation>,
    /// Externals that are fine.
    pub externals_ok: Vec<ExternalOk>,
    /// Reachable sections the `noflash` mapping does not cover.
    pub unmapped: Vec<UnmappedSection>,
    /// ELF placement check.
    pub elf: Option<ElfReport>,
    /// Stack bounds.
    pub stack: StackReport,
    /// Footprint.
    pub footprint: Footprint,
    /// One line per violation (empty: clean).
    pub violations: Vec<String>,
    /// Loader notes.
    pub notes: Vec<String>,
    /// Analysis time in milliseconds.
    pub elapsed_ms: f64,
}

impl Report {
    /// Process exit code: 0 clean, 1 violations.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.violations.is_empty())
    }

    /// JSON for tools.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// Runs the check on files.
pub fn check(config: &Config) -> Result<Report, InputError> {
    let path = config.archive.display().to_string();
    let bytes =
        std::fs::read(&config.archive).map_err(|e| InputError::new(&path, format!("cannot read: {e}")))?;
    let elf = match &config.elf {
        Some(p) => {
            let b = std::fs::read(p)
                .map_err(|e| InputError::new(&p.display().to_string(), format!("cannot read: {e}")))?;
            Some((p.display().to_string(), b))
        }
        None => None,
    };
    check_bytes(&bytes, &path, elf.as_ref().map(|(p, b)| (p.as_str(), b.as_slice())), config)
}

struct Reach {
    /// Per node: reached from (src node, reloc offset), or root.
    parent: Vec<Option<Parent>>,
    /// Per external.
    ext_parent: Vec<Option<Parent>>,
}

#[derive(Clone, Copy)]
enum Parent {
    Root(usize),
    Edge(u32, u64),
}

/// Runs the check on bytes already read (`elf`: path and bytes of the firmware ELF).
pub fn check_bytes(
    bytes: &[u8],
    path: &str,
    elf: Option<(&str, &[u8])>,
    config: &Config,
) -> Result<Report, InputError> {
    let start = Instant::now();
    let model = Model::load(bytes, path)?;

    // Roots.
    let mut roots = vec![Root { name: ENTRY_ROOT.into(), kind: "entry", found: false }];
    for r in &config.roots {
        roots.push(Root { name: r.clone(), kind: "entry", found: false });
    }
    roots.push(Root { name: VECTORS_ROOT.into(), kind: "async", found: false });
    roots.push(Root { name: INTERRUPT_ROOT.into(), kind: "async", found: false });
    let mut root_targets = Vec::new();
    for (i, r) in roots.iter_mut().enumerate() {
        if let Some(Target::Section { node, offset }) = model.lookup(&r.name) {
            r.found = true;
            root_targets.push((i, node, offset));
        }
    }
    for r in roots.iter().filter(|r| !r.found) {
        if config.roots.contains(&r.name) {
            return Err(InputError::new(
                path,
                format!("root `{}` (--root) is not defined in the archive", r.name),
            ));
        }
    }
    if root_targets.is_empty() {
        return Err(InputError::new(
            path,
            format!("none of the roots ({ENTRY_ROOT}, {VECTORS_ROOT}, {INTERRUPT_ROOT}) is defined: not a core-1 archive? (name roots with --root)"),
        ));
    }

    // Reachability (BFS: the first parent is on a shortest chain).
    let mut reach =
        Reach { parent: vec![None; model.nodes.len()], ext_parent: vec![None; model.externals.len()] };
    let mut queue = VecDeque::new();
    for &(i, node, _) in &root_targets {
        if reach.parent[node as usize].is_none() {
            reach.parent[node as usize] = Some(Parent::Root(i));
            queue.push_back(node);
        }
    }
    // Literal pools are followed word by word: only the literals an instruction loads count
    // (LLVM sometimes leaves unused literals in a pool, e.g. for a call it optimised away).
    let mut literal_words: HashSet<(u32, u64)> = HashSet::new();
    let mut word_queue: VecDeque<(u32, u64)> = VecDeque::new();
    loop {
        let (n, relocs): (u32, &[model::Reloc]) = if let Some(n) = queue.pop_front() {
            let node = &model.nodes[n as usize];
            if node.is_literal() {
                continue;
            }
            (n, &node.relocs)
        } else if let Some((n, off)) = word_queue.pop_front() {
            let node = &model.nodes[n as usize];
            let lo = node.relocs.partition_point(|r| r.offset < off);
            let hi = node.relocs.partition_point(|r| r.offset < off + 4);
            (n, &node.relocs[lo..hi])
        } else {
            break;
        };
        for r in relocs {
            match r.target {
                Some(Target::Section { node, offset }) => {
                    if reach.parent[node as usize].is_none() {
                        reach.parent[node as usize] = Some(Parent::Edge(n, r.offset));
                        queue.push_back(node);
                    }
                    if model.nodes[node as usize].is_literal() && literal_words.insert((node, offset & !3)) {
                        word_queue.push_back((node, offset & !3));
                    }
                }
                Some(Target::External(e)) if reach.ext_parent[e as usize].is_none() => {
                    reach.ext_parent[e as usize] = Some(Parent::Edge(n, r.offset));
                }
                _ => {}
            }
        }
    }
    let chain = |mut p: Parent, last: String| -> Vec<String> {
        let mut hops = Vec::new();
        loop {
            match p {
                Parent::Root(i) => {
                    hops.push(roots[i].name.clone());
                    break;
                }
                Parent::Edge(src, off) => {
                    let node = &model.nodes[src as usize];
                    if let Some(s) = node.containing_symbol(off) {
                        hops.push(s.name.clone());
                    }
                    match reach.parent[src as usize] {
                        Some(pp) => p = pp,
                        None => break,
                    }
                }
            }
        }
        hops.reverse();
        hops.push(last);
        let mut out: Vec<String> = Vec::new();
        for h in hops {
            let d = demangle(&h);
            if out.last() != Some(&d) {
                out.push(d);
            }
        }
        out
    };

    // Externals.
    let allow: HashSet<&str> = config.allow.iter().map(String::as_str).collect();
    let mut flash = Vec::new();
    let mut externals_ok = Vec::new();
    for (e, name) in model.externals.iter().enumerate() {
        let Some(p) = reach.ext_parent[e] else { continue };
        if allow.contains(name.as_str()) {
            externals_ok.push(ExternalOk {
                symbol: name.clone(),
                how: "allowed",
                detail: "allow-list".into(),
            });
        } else if let Some(rom) = rom::lookup(name) {
            let via =
                if rom.via.is_empty() { String::new() } else { format!(" via {}", rom.via.join(" -> ")) };
            externals_ok.push(ExternalOk {
                symbol: name.clone(),
                how: "rom",
                detail: format!("{:#010x}{via} ({})", rom.address, rom.file),
            });
        } else {
            flash.push(FlashViolation {
                symbol: name.clone(),
                chain: chain(p, name.clone()),
                hint: hint(name).into(),
            });
        }
    }
    flash.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    externals_ok.sort_by(|a, b| a.symbol.cmp(&b.symbol));

    // Unmapped sections and footprint.
    let mut unmapped = Vec::new();
    let (mut iram, mut dram, mut archive_iram, mut archive_dram) = (0, 0, 0, 0);
    let mut by_crate: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut by_owner: HashMap<String, Contributor> = HashMap::new();
    let mut reachable_sections = 0;
    for (i, node) in model.nodes.iter().enumerate() {
        let is_iram = node.class.is_iram();
        match is_iram {
            Some(true) => archive_iram += node.size,
            Some(false) => archive_dram += node.size,
            None => {}
        }
        let Some(p) = reach.parent[i] else { continue };
        reachable_sections += 1;
        let krate = model.members[node.member as usize].krate.clone();
        if node.class == MemClass::Unmapped && node.size > 0 {
            unmapped.push(UnmappedSection {
                section: node.name.clone(),
                member: model.members[node.member as usize].name.clone(),
                chain: chain(p, node.name.clone()),
            });
        }
        let Some(is_iram) = is_iram else { continue };
        let (ir, dr) = if is_iram { (node.size, 0) } else { (0, node.size) };
        iram += ir;
        dram += dr;
        let c = by_crate.entry(krate.clone()).or_default();
        c.0 += ir;
        c.1 += dr;
        // Literal pools count for the function that references them.
        let mut owner_node = i;
        let mut guard = 0;
        while model.nodes[owner_node].is_literal() && guard < 4 {
            match reach.parent[owner_node] {
                Some(Parent::Edge(src, _)) => owner_node = src as usize,
                _ => break,
            }
            guard += 1;
        }
        let on = &model.nodes[owner_node];
        let owner = on
            .symbol_at(0)
            .or_else(|| on.syms.first())
            .map(|s| demangle(&s.name))
            .unwrap_or_else(|| on.name.clone());
        let entry =
            by_owner.entry(owner.clone()).or_insert(Contributor { name: owner, krate, iram: 0, dram: 0 });
        entry.iram += ir;
        entry.dram += dr;
    }
    let mut by_crate: Vec<Contributor> = by_crate
        .into_iter()
        .map(|(k, (i, d))| Contributor { name: k.clone(), krate: k, iram: i, dram: d })
        .collect();
    by_crate.sort_by_key(|c| std::cmp::Reverse(c.iram + c.dram));
    let mut top: Vec<Contributor> = by_owner.into_values().collect();
    top.sort_by(|a, b| (b.iram + b.dram).cmp(&(a.iram + a.dram)).then(a.name.cmp(&b.name)));
    top.truncate(15);
    let footprint = Footprint {
        iram,
        dram,
        iram_budget: config.iram_budget,
        dram_budget: config.dram_budget,
        archive_iram,
        archive_dram,
        by_crate,
        top,
    };

    // Stack.
    let asm_frames: Vec<(String, u64)> =
        RUNTIME_ASM_FRAMES.iter().map(|(n, b)| (n.to_string(), *b)).collect();
    let mut graph = Graph::new(&model, &asm_frames);
    let mut main_keys: Vec<(String, UnitKey)> = Vec::new();
    let mut async_keys: Vec<(String, UnitKey)> = Vec::new();
    for &(i, node, offset) in &root_targets {
        let r = &roots[i];
        if r.name == VECTORS_ROOT {
            // The hardware enters the table at every vector: each symbol in its section.
            let mut offsets: BTreeSet<u64> =
                model.nodes[node as usize].syms.iter().map(|s| s.value).collect();
            offsets.insert(offset);
            for o in offsets {
                async_keys.push((graph.unit_name((node, o)), (node, o)));
            }
        } else if r.kind == "async" {
            async_keys.push((r.name.clone(), (node, offset)));
        } else {
            main_keys.push((r.name.clone(), (node, offset)));
        }
    }
    let mut nested_keys: Vec<(String, UnitKey)> = Vec::new();
    for name in NESTED_INTERRUPT_ENTRIES {
        if let Some(Target::Section { node, offset }) = model.lookup(name) {
            nested_keys.push((name.to_string(), (node, offset)));
        }
    }
    if !nested_keys.is_empty() {
        // The dispatcher is reached through the level entries: counted there.
        async_keys.retain(|(name, _)| name != INTERRUPT_ROOT);
    }
    let stack_size = config.stack_size.unwrap_or(DEFAULT_STACK_SIZE);
    let (main, asynchronous, nested, reasons, assumptions, functions) = {
        let mut bounds = Bounds::new(&mut graph, &config.annotations);
        bounds.cut(nested_keys.iter().map(|(_, k)| *k));
        let eval = |keys: &[(String, UnitKey)], bounds: &mut Bounds| -> Vec<StackBound> {
            keys.iter()
                .map(|(name, key)| match bounds.root(*key) {
                    RootBound::Finite(bytes, path) => StackBound {
                        root: demangle(name),
                        bytes: Some(bytes),
                        path: path.into_iter().map(|(n, b)| (demangle(&n), b)).collect(),
                        unbounded: vec![],
                    },
                    RootBound::Unbounded(ids) => {
                        StackBound { root: demangle(name), bytes: None, path: vec![], unbounded: ids }
                    }
                })
                .collect()
        };
        let main = eval(&main_keys, &mut bounds);
        let asynchronous = eval(&async_keys, &mut bounds);
        let nested = eval(&nested_keys, &mut bounds);
        let reasons = bounds.reasons.clone();
        let assumptions: Vec<_> = bounds.assumptions.iter().cloned().collect();
        drop(bounds);
        (main, asynchronous, nested, reasons, assumptions, graph.unit_count())
    };
    let worst = |v: &[StackBound]| -> Option<u64> {
        v.iter().map(|b| b.bytes).try_fold(0u64, |acc, b| b.map(|b| acc.max(b)))
    };
    let sum = |v: &[StackBound]| -> Option<u64> {
        v.iter().map(|b| b.bytes).try_fold(0u64, |acc, b| b.map(|b| acc + b))
    };
    let total = match (worst(&main), sum(&nested), worst(&asynchronous)) {
        (Some(m), Some(n), Some(a)) => Some(m + n + a + SPILL_BYTES),
        _ => None,
    };
    let stack = StackReport {
        stack_size,
        main,
        asynchronous,
        nested,
        spill: SPILL_BYTES,
        total,
        unbounded: reasons,
        assumptions,
    };

    // ELF placement.
    let elf_report = match elf {
        Some((elf_path, elf_bytes)) => {
            let nodes: Vec<bool> = reach.parent.iter().map(Option::is_some).collect();
            let exts: Vec<bool> = reach.ext_parent.iter().map(Option::is_some).collect();
            let chain_of = |node: u32, name: &str| match reach.parent[node as usize] {
                Some(p) => chain(p, name.to_string()),
                None => vec![demangle(name)],
            };
            Some(elf::check_placement(elf_path, elf_bytes, &model, &nodes, &exts, &chain_of)?)
        }
        None => None,
    };

    // Verdict.
    let mut violations = Vec::new();
    for f in &flash {
        violations.push(format!(
            "flash: {} is outside the archive, not in ROM and not allowed ({})",
            demangle(&f.symbol),
            f.chain.join(" -> ")
        ));
    }
    for u in &unmapped {
        violations.push(format!(
            "placement: section {} ({}) is not mapped to RAM by `noflash`",
            u.section, u.member
        ));
    }
    if let Some(e) = &elf_report {
        for v in &e.violations {
            violations.push(format!("placement: {} at {:#010x} is in {}", v.symbol, v.address, v.region));
        }
    }
    match stack.total {
        Some(t) if t > stack_size => {
            violations.push(format!("stack: worst case {t} bytes exceeds the {stack_size}-byte core-1 stack"))
        }
        Some(_) => {}
        None => {
            for r in &stack.unbounded {
                violations.push(format!("stack: unbounded: {}", render::describe_unbounded(r)));
            }
        }
    }
    if let Some(b) = config.iram_budget {
        if footprint.iram > b {
            violations.push(format!("footprint: IRAM {} bytes exceeds the budget of {b}", footprint.iram));
        }
    }
    if let Some(b) = config.dram_budget {
        if footprint.dram > b {
            violations.push(format!("footprint: DRAM {} bytes exceeds the budget of {b}", footprint.dram));
        }
    }

    Ok(Report {
        archive: path.to_string(),
        members: model.members.len(),
        sections: model.nodes.len(),
        reachable_sections,
        reachable_functions: functions,
        roots,
        flash,
        externals_ok,
        unmapped,
        elf: elf_report,
        stack,
        footprint,
        violations,
        notes: model.notes.clone(),
        elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
    })
}

fn hint(name: &str) -> &'static str {
    let starts = |p: &[&str]| p.iter().any(|p| name.starts_with(p));
    if starts(&[
        "xQueue",
        "xTask",
        "vTask",
        "xSemaphore",
        "vQueue",
        "uxQueue",
        "uxTask",
        "pvTask",
        "xEventGroup",
        "xTimer",
        "vPort",
        "xPort",
        "pxPort",
        "ulTask",
        "xStream",
        "xMessage",
    ]) {
        "FreeRTOS: core 1 runs no RTOS; use splitcore-ipc rings/mailboxes to talk to core 0"
    } else if starts(&[
        "malloc",
        "free",
        "calloc",
        "realloc",
        "heap_caps_",
        "multi_heap_",
        "__rust_alloc",
        "__rust_dealloc",
        "__rg_",
    ]) {
        "heap: IDF's heap takes locks and lives in flash; core-1 code must not allocate"
    } else if starts(&[
        "esp_log",
        "printf",
        "puts",
        "fprintf",
        "sprintf",
        "snprintf",
        "vprintf",
        "putchar",
        "_printf",
        "_vfprintf",
        "__sprint",
    ]) {
        "logging/newlib stdio in flash: use the splitcore log ring (or ROM ets_printf)"
    } else if starts(&[
        "gpio_",
        "uart_",
        "spi_",
        "i2c_",
        "ledc_",
        "timer_",
        "gptimer_",
        "rmt_",
        "adc_",
        "esp_timer",
        "esp_intr",
    ]) {
        "IDF driver in flash: access the peripheral registers directly (PAC) from core 1"
    } else if starts(&["esp_", "spi_flash", "nvs_"]) {
        "ESP-IDF function (flash unless placed in IRAM): move the call to core 0"
    } else {
        "defined outside the archive: move it into the archive, replace it, or allow-list it if the IDF build places it in IRAM"
    }
}

/// The `ENTRY` frame of every function symbol in an archive: `(member, symbol, frame)`, `None`
/// when the function does not start with `ENTRY` (for cross-checking against a disassembler).
pub fn entry_frames(bytes: &[u8], path: &str) -> Result<Vec<(String, String, Option<u64>)>, InputError> {
    let model = Model::load(bytes, path)?;
    let mut out = Vec::new();
    for node in model.nodes.iter().filter(|n| n.exec) {
        for s in node.syms.iter().filter(|s| s.func) {
            let frame = usize::try_from(s.value)
                .ok()
                .and_then(|v| node.data.get(v..))
                .and_then(|b| xtensa::decode(b, s.value))
                .and_then(|i| match i.kind {
                    xtensa::Kind::Entry { frame } => Some(frame as u64),
                    _ => None,
                });
            out.push((model.members[node.member as usize].name.clone(), s.name.clone(), frame));
        }
    }
    Ok(out)
}
