//! Worst-case stack depth over the call graph.
//!
//! A *unit* is code entered at a symbol (or at the target of a same-section `CALLn` without
//! relocation, as in hand-written assembly). Each unit is decoded by recursive traversal from its
//! start (so literal words between functions are never decoded), with a forward data-flow
//! analysis of which literal each address register may hold: `CALLX aR` is resolved to the
//! functions whose addresses the `L32R` literals that can reach it carry (`R_XTENSA_32`), and is
//! unresolved otherwise.
//!
//! Frame model (windowed ABI): a unit's frame is the `ENTRY a1, N` at its start (`N` already
//! includes the extra save area for its own `call8`/`call12` callees, LLVM sizes it), so a path
//! costs the sum of its frames. The only spill bytes outside every frame are the 16 below the
//! deepest SP (where the deepest frame's caller's a0..a3 go on a window overflow); they are
//! added once to the total.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::annotations::Annotations;
use crate::model::{Model, Target, R_XTENSA_32, R_XTENSA_SLOT0_OP};
use crate::xtensa::{decode, Kind};

/// A unit: (section node, offset of its first instruction).
pub type UnitKey = (u32, u64);

/// Where a unit's code goes next.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Callee {
    /// Code in the archive.
    Unit(UnitKey),
    /// A symbol outside the archive.
    External(u32),
    /// A constant address (e.g. a ROM function by address).
    Absolute(u64),
    /// Bounded by an annotation (`indirect caller -> BYTES`).
    Bytes(u64),
}

/// Why a unit cannot be bounded by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `CALLX`/`JX` whose target is not a literal with a relocation.
    Indirect {
        /// Section offset of the instruction.
        site: u64,
        /// `JX` (true) or `CALLX` (false).
        jump: bool,
    },
    /// An instruction the decoder does not know, or control flow leaving the section.
    Undecodable {
        /// Section offset.
        site: u64,
    },
    /// `MOVSP` or another write of `a1` in compiled code (dynamic allocation).
    DynamicStack {
        /// Section offset.
        site: u64,
    },
}

/// A decoded unit.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Display name (mangled).
    pub name: String,
    /// Frame bytes from `ENTRY` (or the built-in value for entry-less assembly).
    pub frame: u64,
    /// Whether the unit starts with `ENTRY`.
    pub has_entry: bool,
    /// Calls and tail jumps.
    pub callees: BTreeSet<Callee>,
    /// What could not be resolved.
    pub problems: Vec<Problem>,
    /// Whether a `RET`/`RETW` is reachable (false: the unit never returns, like `park`).
    pub returns: bool,
}

/// Data-flow state: which literal targets each register, and each word of the function's own
/// stack frame (`[a1 + offset]`, where LLVM spills registers), may hold. Missing = unknown.
#[derive(Clone, Default)]
struct Regs {
    regs: [Option<Vec<Target>>; 16],
    slots: std::collections::BTreeMap<u32, Vec<Target>>,
}

impl std::ops::Index<usize> for Regs {
    type Output = Option<Vec<Target>>;
    fn index(&self, i: usize) -> &Self::Output {
        &self.regs[i]
    }
}

impl std::ops::IndexMut<usize> for Regs {
    fn index_mut(&mut self, i: usize) -> &mut Self::Output {
        &mut self.regs[i]
    }
}

fn empty_regs() -> Regs {
    Regs::default()
}

fn join(into: &mut Regs, from: &Regs) -> bool {
    let mut changed = false;
    let before = into.slots.len();
    into.slots.retain(|k, _| from.slots.contains_key(k));
    changed |= into.slots.len() != before;
    for (k, set) in into.slots.iter_mut() {
        for t in &from.slots[k] {
            if !set.contains(t) {
                set.push(*t);
                changed = true;
            }
        }
    }
    for (a, b) in into.regs.iter_mut().zip(from.regs.iter()) {
        match (a.as_mut(), b) {
            (None, _) => {}
            (Some(_), None) => {
                *a = None;
                changed = true;
            }
            (Some(set), Some(other)) => {
                for t in other {
                    if !set.contains(t) {
                        set.push(*t);
                        changed = true;
                    }
                }
            }
        }
    }
    changed
}

/// Decodes units on demand and caches them.
pub struct Graph<'m> {
    model: &'m Model,
    units: HashMap<UnitKey, Unit>,
    in_progress: HashSet<UnitKey>,
    /// Per node: offsets referenced by `R_XTENSA_32` from non-code sections (jump tables).
    jump_tables: HashMap<u32, Vec<u64>>,
    asm_frames: HashMap<String, u64>,
}

impl<'m> Graph<'m> {
    /// A graph over `model`; `asm_frames` gives the stack use of entry-less assembly units.
    pub fn new(model: &'m Model, asm_frames: &[(String, u64)]) -> Self {
        let mut jump_tables: HashMap<u32, Vec<u64>> = HashMap::new();
        for node in &model.nodes {
            if node.exec || node.is_literal() {
                continue;
            }
            for r in &node.relocs {
                if let (R_XTENSA_32, Some(Target::Section { node: t, offset })) = (r.r_type, r.target) {
                    if model.nodes[t as usize].exec {
                        jump_tables.entry(t).or_default().push(offset);
                    }
                }
            }
        }
        Graph {
            model,
            units: HashMap::new(),
            in_progress: HashSet::new(),
            jump_tables,
            asm_frames: asm_frames.iter().cloned().collect(),
        }
    }

    /// Number of units decoded so far.
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// The unit's name for display.
    pub fn unit_name(&self, key: UnitKey) -> String {
        let node = &self.model.nodes[key.0 as usize];
        match node.symbol_at(key.1) {
            Some(s) => s.name.clone(),
            None => match node.containing_symbol(key.1) {
                Some(s) => format!("{}+{:#x}", s.name, key.1 - s.value),
                None => format!("{}+{:#x}", node.name, key.1),
            },
        }
    }

    /// Decodes (once) and returns a unit.
    pub fn unit(&mut self, key: UnitKey) -> &Unit {
        if !self.units.contains_key(&key) {
            self.in_progress.insert(key);
            let unit = self.analyze(key);
            self.in_progress.remove(&key);
            self.units.insert(key, unit);
        }
        &self.units[&key]
    }

    /// Whether a call to `callee` may return (units being analysed, i.e. recursion, and
    /// anything outside the archive are assumed to return).
    fn may_return(&mut self, callee: &Callee) -> bool {
        match callee {
            Callee::Unit(k) if self.in_progress.contains(k) => true,
            Callee::Unit(k) => self.unit(*k).returns,
            _ => true,
        }
    }

    fn literal_value(&self, node: u32, pc: u64, encoded: i64) -> Option<Vec<Target>> {
        let n = &self.model.nodes[node as usize];
        let (lnode, loff) = match n.reloc_at(pc, R_XTENSA_SLOT0_OP) {
            Some(r) => match r.target? {
                Target::Section { node, offset } => (node, offset),
                _ => return None,
            },
            None => (node, u64::try_from(encoded).ok()?),
        };
        let ln = &self.model.nodes[lnode as usize];
        if let Some(r) = ln.reloc_at(loff, R_XTENSA_32) {
            return r.target.map(|t| vec![t]);
        }
        let at = usize::try_from(loff).ok()?;
        let word = ln.data.get(at..at + 4)?;
        Some(vec![Target::Absolute(u32::from_le_bytes([word[0], word[1], word[2], word[3]]) as u64)])
    }

    fn callee_of(&self, t: Target) -> Option<Callee> {
        match t {
            Target::Section { node, offset } if self.model.nodes[node as usize].exec => {
                Some(Callee::Unit((node, offset)))
            }
            Target::Section { .. } => None,
            Target::External(e) => Some(Callee::External(e)),
            Target::Absolute(v) => Some(Callee::Absolute(v)),
        }
    }

    fn analyze(&mut self, key: UnitKey) -> Unit {
        let (node_id, start) = key;
        let model = self.model;
        let node = &model.nodes[node_id as usize];
        let name = self.unit_name(key);
        let mut unit = Unit {
            name,
            frame: 0,
            has_entry: false,
            callees: BTreeSet::new(),
            problems: Vec::new(),
            returns: false,
        };
        let mut states: HashMap<u64, Regs> = HashMap::new();
        let mut work = vec![start];
        states.insert(start, empty_regs());
        let mut problem_sites = HashSet::new();
        let push = |states: &mut HashMap<u64, Regs>, work: &mut Vec<u64>, pc: u64, regs: &Regs| match states
            .get_mut(&pc)
        {
            None => {
                states.insert(pc, regs.clone());
                work.push(pc);
            }
            Some(existing) => {
                if join(existing, regs) {
                    work.push(pc);
                }
            }
        };
        while let Some(pc) = work.pop() {
            let regs_in = states[&pc].clone();
            let in_range = |t: i64| t >= 0 && (t as u64) < node.data.len() as u64;
            let insn = usize::try_from(pc).ok().and_then(|p| node.data.get(p..)).and_then(|b| decode(b, pc));
            let Some(insn) = insn else {
                if problem_sites.insert(pc) {
                    unit.problems.push(Problem::Undecodable { site: pc });
                }
                continue;
            };
            let next = pc + insn.len as u64;
            let mut regs = regs_in;
            let mut loaded = None;
            if let Some(m) = insn.mem {
                if m.base == 1 {
                    let slot = m.offset & !3;
                    if m.load {
                        loaded =
                            Some((m.reg, if m.width == 4 { regs.slots.get(&slot).cloned() } else { None }));
                    } else if m.width == 4 && m.offset % 4 == 0 {
                        match regs[m.reg as usize].clone() {
                            Some(v) => {
                                regs.slots.insert(slot, v);
                            }
                            None => {
                                regs.slots.remove(&slot);
                            }
                        }
                    } else {
                        regs.slots.remove(&slot);
                    }
                }
            }
            for r in 0..16 {
                if insn.writes & (1 << r) != 0 {
                    regs[r] = None;
                }
            }
            if let Some((reg, value)) = loaded {
                regs[reg as usize] = value;
            }
            let mut fallthrough = true;
            match insn.kind {
                Kind::Plain => {}
                Kind::Entry { frame } => {
                    if pc == start {
                        unit.frame = frame as u64;
                        unit.has_entry = true;
                    }
                }
                Kind::StackWrite => {
                    if unit.has_entry && problem_sites.insert(pc) {
                        unit.problems.push(Problem::DynamicStack { site: pc });
                    }
                }
                Kind::L32r { reg, literal } => {
                    regs[reg as usize] = self.literal_value(node_id, pc, literal);
                }
                Kind::Call { inc, target } => {
                    let callee = match node.reloc_at(pc, R_XTENSA_SLOT0_OP) {
                        Some(r) => r.target.and_then(|t| self.callee_of(t)),
                        None if in_range(target) => Some(Callee::Unit((node_id, target as u64))),
                        None => None,
                    };
                    match callee {
                        Some(c) => {
                            fallthrough = self.may_return(&c);
                            unit.callees.insert(c);
                        }
                        None => {
                            if problem_sites.insert(pc) {
                                unit.problems.push(Problem::Undecodable { site: pc });
                            }
                        }
                    }
                    clobber(&mut regs, inc);
                }
                Kind::CallX { inc, reg } => {
                    let resolved: Option<Vec<Callee>> = regs[reg as usize]
                        .as_ref()
                        .and_then(|ts| ts.iter().map(|&t| self.callee_of(t)).collect());
                    match resolved {
                        Some(cs) if !cs.is_empty() => {
                            fallthrough = cs.iter().any(|c| self.may_return(c));
                            unit.callees.extend(cs);
                        }
                        _ => {
                            if problem_sites.insert(pc) {
                                unit.problems.push(Problem::Indirect { site: pc, jump: false });
                            }
                        }
                    }
                    clobber(&mut regs, inc);
                }
                Kind::Jump { target } => {
                    fallthrough = false;
                    match node.reloc_at(pc, R_XTENSA_SLOT0_OP).map(|r| r.target) {
                        Some(Some(Target::Section { node: n, offset })) if n == node_id => {
                            push(&mut states, &mut work, offset, &regs);
                        }
                        Some(Some(t)) => match self.callee_of(t) {
                            Some(c) => {
                                unit.returns |= self.may_return(&c);
                                unit.callees.insert(c);
                            }
                            None => {
                                if problem_sites.insert(pc) {
                                    unit.problems.push(Problem::Undecodable { site: pc });
                                }
                            }
                        },
                        _ if in_range(target) => push(&mut states, &mut work, target as u64, &regs),
                        _ => {
                            if problem_sites.insert(pc) {
                                unit.problems.push(Problem::Undecodable { site: pc });
                            }
                        }
                    }
                }
                Kind::JumpX { reg } => {
                    fallthrough = false;
                    let direct: Option<Vec<Callee>> = regs[reg as usize]
                        .as_ref()
                        .and_then(|ts| ts.iter().map(|&t| self.callee_of(t)).collect());
                    match (direct, self.jump_tables.get(&node_id)) {
                        (Some(cs), _) if !cs.is_empty() => {
                            unit.returns |= cs.iter().any(|c| self.may_return(c));
                            unit.callees.extend(cs);
                        }
                        (_, Some(targets)) => {
                            let unknown = empty_regs();
                            for &t in targets {
                                push(&mut states, &mut work, t, &unknown);
                            }
                        }
                        _ => {
                            if problem_sites.insert(pc) {
                                unit.problems.push(Problem::Indirect { site: pc, jump: true });
                            }
                        }
                    }
                }
                Kind::Branch { target } => {
                    if in_range(target) {
                        push(&mut states, &mut work, target as u64, &regs);
                    } else if problem_sites.insert(pc) {
                        unit.problems.push(Problem::Undecodable { site: pc });
                    }
                }
                Kind::Loop { end } => {
                    // The body may be entered again from its end with any register state.
                    fallthrough = false;
                    push(&mut states, &mut work, next, &empty_regs());
                    if in_range(end) {
                        push(&mut states, &mut work, end as u64, &empty_regs());
                    }
                }
                Kind::Return => {
                    fallthrough = false;
                    unit.returns = true;
                }
                Kind::Stop => fallthrough = false,
            }
            if fallthrough {
                if next >= node.data.len() as u64 {
                    // Control flow runs off the end of the section.
                    let after_call = matches!(insn.kind, Kind::Call { .. } | Kind::CallX { .. });
                    if !after_call && problem_sites.insert(pc) {
                        unit.problems.push(Problem::Undecodable { site: pc });
                    }
                } else {
                    push(&mut states, &mut work, next, &regs);
                }
            }
        }
        if !unit.has_entry {
            if let Some(&f) = self.asm_frames.get(&unit.name) {
                unit.frame = f;
            }
        }
        unit.problems.sort_by_key(|p| match p {
            Problem::Indirect { site, .. }
            | Problem::Undecodable { site }
            | Problem::DynamicStack { site } => *site,
        });
        unit
    }
}

fn clobber(regs: &mut Regs, inc: u8) {
    let from = if inc == 0 { 0 } else { inc as usize };
    for r in regs.regs.iter_mut().skip(from) {
        *r = None;
    }
}

/// Why a bound is infinite.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Unbounded {
    /// A call-graph cycle (function names, demangled, in call order; the first repeats the last).
    Recursion {
        /// The cycle.
        cycle: Vec<String>,
    },
    /// An indirect call or jump that could not be resolved.
    IndirectCall {
        /// The function containing it.
        function: String,
        /// Offset of the instruction in the function.
        offset: u64,
        /// `jx` rather than `callx`.
        jump: bool,
    },
    /// Undecodable code or control flow leaving the section.
    Undecodable {
        /// The function.
        function: String,
        /// Offset in the function.
        offset: u64,
    },
    /// A dynamic stack adjustment (`alloca`).
    DynamicStack {
        /// The function.
        function: String,
        /// Offset in the function.
        offset: u64,
    },
}

/// An external callee whose stack use was assumed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Assumption {
    /// The callee.
    pub callee: String,
    /// Bytes used for it (an annotation, or 0).
    pub bytes: u64,
    /// Whether the value came from an annotation.
    pub annotated: bool,
}

#[derive(Clone)]
enum Memo {
    Done(u64, Option<Callee>),
    Unbounded(BTreeSet<usize>),
}

/// Computes bounds over a [`Graph`].
pub struct Bounds<'g, 'm> {
    graph: &'g mut Graph<'m>,
    ann: &'g Annotations,
    memo: HashMap<UnitKey, Memo>,
    on_stack: Vec<UnitKey>,
    /// All distinct reasons found.
    pub reasons: Vec<Unbounded>,
    reason_ids: HashMap<Unbounded, usize>,
    /// External callees met, with the bytes assumed.
    pub assumptions: BTreeSet<Assumption>,
    /// Units whose cost is accounted separately: calls and jumps into them count 0.
    cut: HashSet<UnitKey>,
}

/// A root's bound.
#[derive(Debug, Clone)]
pub enum RootBound {
    /// Worst case in bytes, with the deepest path (`(function, frame)` pairs).
    Finite(u64, Vec<(String, u64)>),
    /// Indices into [`Bounds::reasons`].
    Unbounded(Vec<usize>),
}

impl<'g, 'm> Bounds<'g, 'm> {
    /// Starts a bound computation.
    pub fn new(graph: &'g mut Graph<'m>, ann: &'g Annotations) -> Self {
        Bounds {
            graph,
            ann,
            memo: HashMap::new(),
            on_stack: Vec::new(),
            reasons: Vec::new(),
            reason_ids: HashMap::new(),
            assumptions: BTreeSet::new(),
            cut: HashSet::new(),
        }
    }

    /// Excludes `keys` from every path that reaches them (their bounds are added separately, as
    /// for nested interrupt levels); a bound computed from one of them as root still includes it.
    pub fn cut(&mut self, keys: impl IntoIterator<Item = UnitKey>) {
        self.cut.extend(keys);
    }

    fn reason(&mut self, r: Unbounded) -> usize {
        if let Some(&id) = self.reason_ids.get(&r) {
            return id;
        }
        let id = self.reasons.len();
        self.reasons.push(r.clone());
        self.reason_ids.insert(r, id);
        id
    }

    /// The worst-case depth from `key`.
    pub fn root(&mut self, key: UnitKey) -> RootBound {
        match self.visit(key) {
            Memo::Done(bytes, _) => RootBound::Finite(bytes, self.path(key)),
            Memo::Unbounded(ids) => RootBound::Unbounded(ids.into_iter().collect()),
        }
    }

    fn path(&mut self, mut key: UnitKey) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        loop {
            if !seen.insert(key) {
                break;
            }
            let unit = self.graph.unit(key);
            let (name, frame) = (unit.name.clone(), unit.frame);
            match self.memo.get(&key) {
                Some(Memo::Done(total, next)) => {
                    if self.ann.depth(&name).is_some() {
                        out.push((format!("{} (annotated)", demangle(&name)), *total));
                        break;
                    }
                    out.push((name, frame));
                    match next {
                        Some(Callee::Unit(k)) => key = *k,
                        Some(Callee::External(e)) => {
                            let ext = self.graph.model.externals[*e as usize].clone();
                            let bytes = self.ann.depth(&ext).unwrap_or(0);
                            out.push((ext, bytes));
                            break;
                        }
                        Some(Callee::Bytes(b)) => {
                            out.push(("(annotated indirect callee)".into(), *b));
                            break;
                        }
                        _ => break,
                    }
                }
                _ => break,
            }
        }
        out
    }

    fn visit(&mut self, key: UnitKey) -> Memo {
        if let Some(m) = self.memo.get(&key) {
            return m.clone();
        }
        let unit = self.graph.unit(key).clone();
        if let Some(bytes) = self.ann.depth(&unit.name) {
            let m = Memo::Done(bytes, None);
            self.memo.insert(key, m.clone());
            return m;
        }
        if let Some(pos) = self.on_stack.iter().position(|&k| k == key) {
            let mut cycle: Vec<String> =
                self.on_stack[pos..].iter().map(|&k| demangle(&self.graph.unit_name(k))).collect();
            cycle.push(demangle(&unit.name));
            let id = self.reason(Unbounded::Recursion { cycle });
            return Memo::Unbounded([id].into());
        }
        self.on_stack.push(key);
        let mut bad = BTreeSet::new();
        let mut callees: Vec<Callee> = unit.callees.iter().cloned().collect();
        let annotated_indirect = self.ann.indirect(&unit.name);
        for p in &unit.problems {
            let function = demangle(&unit.name);
            let r = match *p {
                Problem::Indirect { site, jump } => {
                    if !annotated_indirect.is_empty() {
                        continue;
                    }
                    Unbounded::IndirectCall { function, offset: site - key.1, jump }
                }
                Problem::Undecodable { site } => Unbounded::Undecodable { function, offset: site - key.1 },
                Problem::DynamicStack { site } => Unbounded::DynamicStack { function, offset: site - key.1 },
            };
            bad.insert(self.reason(r));
        }
        for target in annotated_indirect {
            match target.parse::<u64>() {
                Ok(bytes) => callees.push(Callee::Bytes(bytes)),
                Err(_) => match self.graph.model.lookup(&target) {
                    Some(t) => {
                        if let Some(c) = self.graph.callee_of(t) {
                            callees.push(c);
                        }
                    }
                    None => {
                        let r = Unbounded::Undecodable {
                            function: format!("annotation target {target} (not in the archive)"),
                            offset: 0,
                        };
                        bad.insert(self.reason(r));
                    }
                },
            }
        }
        let mut best = 0u64;
        let mut best_callee = None;
        for c in callees {
            let depth = match &c {
                Callee::Unit(k) if self.cut.contains(k) => continue,
                Callee::Unit(k) => match self.visit(*k) {
                    Memo::Done(d, _) => d,
                    Memo::Unbounded(ids) => {
                        bad.extend(ids);
                        continue;
                    }
                },
                Callee::External(e) => {
                    let name = self.graph.model.externals[*e as usize].clone();
                    let ann = self.ann.depth(&name);
                    self.assumptions.insert(Assumption {
                        callee: name,
                        bytes: ann.unwrap_or(0),
                        annotated: ann.is_some(),
                    });
                    ann.unwrap_or(0)
                }
                Callee::Absolute(a) => {
                    let name = format!("{a:#010x}");
                    let ann = self.ann.depth(&name);
                    self.assumptions.insert(Assumption {
                        callee: name,
                        bytes: ann.unwrap_or(0),
                        annotated: ann.is_some(),
                    });
                    ann.unwrap_or(0)
                }
                Callee::Bytes(b) => *b,
            };
            if best_callee.is_none() || depth > best {
                best = depth;
                best_callee = Some(c.clone());
            }
        }
        self.on_stack.pop();
        let m =
            if bad.is_empty() { Memo::Done(unit.frame + best, best_callee) } else { Memo::Unbounded(bad) };
        self.memo.insert(key, m.clone());
        m
    }
}

/// Demangles a Rust symbol without its hash; other names are returned as they are.
pub fn demangle(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}
