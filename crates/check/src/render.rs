//! The human-readable report.

use std::fmt::Write;

use crate::stack::Unbounded;
use crate::Report;

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bad(&self, s: &str) -> String {
        self.paint("1;31", s)
    }
    fn good(&self, s: &str) -> String {
        self.paint("1;32", s)
    }
    fn warn(&self, s: &str) -> String {
        self.paint("1;33", s)
    }
    fn head(&self, s: &str) -> String {
        self.paint("1", s)
    }
}

/// One line for an unbounded reason.
pub fn describe_unbounded(r: &Unbounded) -> String {
    match r {
        Unbounded::Recursion { cycle } => format!("recursion: {}", cycle.join(" -> ")),
        Unbounded::IndirectCall { function, offset, jump } => format!(
            "unresolved indirect {} in {function} at +{offset:#x} (annotate `indirect <caller> -> <callee|bytes>`)",
            if *jump { "jump (jx)" } else { "call (callx)" }
        ),
        Unbounded::Undecodable { function, offset } => {
            format!("code not decodable or leaving its section in {function} at +{offset:#x}")
        }
        Unbounded::DynamicStack { function, offset } => format!("dynamic stack allocation in {function} at +{offset:#x}"),
    }
}

fn kib(bytes: u64) -> String {
    format!("{bytes} B ({:.1} KiB)", bytes as f64 / 1024.0)
}

/// Renders the report as text; `colour` adds ANSI colours (use only on a terminal).
pub fn render(report: &Report, colour: bool) -> String {
    let st = Style { on: colour };
    let mut o = String::new();
    let _ = writeln!(o, "{}", st.head(&format!("splitcore check: {}", report.archive)));
    let _ = writeln!(
        o,
        "  {} members, {} sections; reachable: {} sections, {} functions",
        report.members, report.sections, report.reachable_sections, report.reachable_functions
    );
    let roots: Vec<String> =
        report
            .roots
            .iter()
            .map(|r| {
                if r.found {
                    format!("{} ({})", r.name, r.kind)
                } else {
                    format!("{} (not defined)", r.name)
                }
            })
            .collect();
    let _ = writeln!(o, "  roots: {}", roots.join(", "));
    for n in &report.notes {
        let _ = writeln!(o, "  note: {n}");
    }

    // Flash.
    let _ = writeln!(o, "\n{}", st.head("Flash safety"));
    if report.flash.is_empty() && report.unmapped.is_empty() {
        let _ = writeln!(
            o,
            "  {} no reachable symbol outside the archive except ROM/allowed ones",
            st.good("ok")
        );
    }
    for f in &report.flash {
        let _ =
            writeln!(o, "  {} {}", st.bad("error: flash call/reference:"), crate::stack::demangle(&f.symbol));
        let _ = writeln!(o, "    chain: {}", f.chain.join(" -> "));
        let _ = writeln!(o, "    hint:  {}", f.hint);
    }
    for u in &report.unmapped {
        let _ = writeln!(
            o,
            "  {} section {} in {} is not placed in RAM by `noflash`",
            st.bad("error:"),
            u.section,
            u.member
        );
        let _ = writeln!(o, "    chain: {}", u.chain.join(" -> "));
    }
    if !report.externals_ok.is_empty() {
        let _ =
            writeln!(o, "  external symbols resolved outside the archive ({}):", report.externals_ok.len());
        for e in &report.externals_ok {
            let _ = writeln!(o, "    {:<28} {:<8} {}", e.symbol, e.how, e.detail);
        }
    }
    if let Some(e) = &report.elf {
        let _ = writeln!(
            o,
            "  ELF {}: {} reachable symbols checked, {} not in its symbol table",
            e.file, e.checked, e.missing
        );
        if e.violations.is_empty() {
            let _ = writeln!(o, "  {} all of them in IRAM/DRAM/RTC-fast RAM or ROM", st.good("ok"));
        }
        for v in &e.violations {
            let _ =
                writeln!(o, "  {} {} at {:#010x} is in {}", st.bad("error:"), v.symbol, v.address, v.region);
            let _ = writeln!(o, "    chain: {}", v.chain.join(" -> "));
        }
    }

    // Stack.
    let s = &report.stack;
    let _ = writeln!(o, "\n{}", st.head("Stack"));
    for (title, bounds) in [("entry", &s.main), ("async", &s.asynchronous), ("nested", &s.nested)] {
        for b in bounds {
            match b.bytes {
                Some(bytes) => {
                    let _ = writeln!(o, "  {title:<8} {:<34} {bytes:>6} B", b.root);
                }
                None => {
                    let _ = writeln!(o, "  {title:<8} {:<34} {}", b.root, st.bad("unbounded"));
                }
            }
        }
    }
    let deepest =
        |v: &[crate::StackBound]| v.iter().filter(|b| b.bytes.is_some()).max_by_key(|b| b.bytes).cloned();
    if let Some(b) = deepest(&s.main) {
        let _ = writeln!(o, "  deepest entry path ({} B):", b.bytes.unwrap_or(0));
        for (f, bytes) in &b.path {
            let _ = writeln!(o, "    {bytes:>6}  {f}");
        }
    }
    for (label, bounds) in [("deepest async path", &s.asynchronous), ("deepest interrupt level", &s.nested)] {
        if let Some(b) = deepest(bounds) {
            let _ = writeln!(o, "  {label} ({} B, from {}):", b.bytes.unwrap_or(0), b.root);
            for (f, bytes) in &b.path {
                let _ = writeln!(o, "    {bytes:>6}  {f}");
            }
        }
    }
    for r in &s.unbounded {
        let _ = writeln!(o, "  {} {}", st.bad("unbounded:"), describe_unbounded(r));
    }
    let unknown: Vec<&crate::stack::Assumption> = s.assumptions.iter().filter(|a| !a.annotated).collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown.iter().map(|a| a.callee.as_str()).collect();
        let _ = writeln!(
            o,
            "  {} stack use of external callees counted as 0 (annotate `NAME BYTES`): {}",
            st.warn("assumed:"),
            names.join(", ")
        );
    }
    match s.total {
        Some(t) => {
            let verdict = if t <= s.stack_size { st.good("ok") } else { st.bad("error: over budget") };
            let _ = writeln!(
                o,
                "  worst case: entry + nested interrupt levels 1..3 + async + {} B spill = {} of {} B stack: {verdict}",
                s.spill,
                kib(t),
                s.stack_size
            );
        }
        None => {
            let _ =
                writeln!(o, "  worst case: {} ({} reason(s) above)", st.bad("unbounded"), s.unbounded.len());
        }
    }

    // Footprint.
    let f = &report.footprint;
    let _ = writeln!(o, "\n{}", st.head("Footprint (reachable sections, before alignment padding)"));
    let budget = |v: u64, b: Option<u64>| match b {
        Some(b) if v > b => format!(" of {b} budget: {}", st.bad("over")),
        Some(b) => format!(" of {b} budget: {}", st.good("ok")),
        None => String::new(),
    };
    let _ = writeln!(
        o,
        "  IRAM {}{}   (whole archive: {} B)",
        kib(f.iram),
        budget(f.iram, f.iram_budget),
        f.archive_iram
    );
    let _ = writeln!(
        o,
        "  DRAM {}{}   (whole archive: {} B)",
        kib(f.dram),
        budget(f.dram, f.dram_budget),
        f.archive_dram
    );
    let _ = writeln!(o, "  {:>8} {:>8}  crate", "IRAM", "DRAM");
    for c in &f.by_crate {
        let _ = writeln!(o, "  {:>8} {:>8}  {}", c.iram, c.dram, c.name);
    }
    let _ = writeln!(o, "  top contributors:");
    for c in f.top.iter().take(10) {
        let _ = writeln!(o, "  {:>8} {:>8}  {} [{}]", c.iram, c.dram, c.name, c.krate);
    }

    // Verdict.
    let _ = writeln!(o);
    if report.violations.is_empty() {
        let _ = writeln!(o, "{} ({:.1} ms)", st.good("clean: no violations"), report.elapsed_ms);
    } else {
        let _ = writeln!(
            o,
            "{} ({:.1} ms)",
            st.bad(&format!("{} violation(s)", report.violations.len())),
            report.elapsed_ms
        );
        for v in &report.violations {
            let _ = writeln!(o, "  - {v}");
        }
    }
    o
}
