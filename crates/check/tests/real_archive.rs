//! The checker on the real ESP32-S3 build of the firmware workspace (`cargo xtask build -p
//! asm-probes`). Skipped, with a note, when the archive has not been built.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use splitcore_check::stack::Unbounded;
use splitcore_check::{check, entry_frames, render, Annotations, Config};

fn archive() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../firmware/target/xtensa-esp32s3-none-elf/release/libasm_probes.a");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("note: {} is absent (run `cargo xtask build -p asm-probes`): test skipped", p.display());
        None
    }
}

#[test]
fn real_archive_report() {
    let Some(path) = archive() else { return };
    let report = check(&Config::new(&path)).expect("the real archive loads");
    println!("{}", render(&report, false));
    // The runtime's roots are all there.
    assert!(report.roots.iter().all(|r| r.found), "{:?}", report.roots);
    assert!(report.reachable_functions > 20);
    // Flash: the only symbol outside the archive that is neither ROM nor in the archive is
    // core 0's panic hook, which the panic handler calls only when `core_id() != 1` (core-0
    // code); memcpy/memset/__udivdi3 resolve inside compiler_builtins.
    let flash: Vec<&str> = report.flash.iter().map(|f| f.symbol.as_str()).collect();
    assert_eq!(flash, ["splitcore_core0_panic"], "{:#?}", report.flash);
    assert!(report.flash[0].chain.iter().any(|h| h.contains("rust_begin_unwind")));
    // Stack: every unbounded item is explained (recursion through the panic/formatting
    // machinery, `dyn` calls in core::fmt, the interrupt handler table, ...), named by function.
    for r in &report.stack.unbounded {
        match r {
            Unbounded::Recursion { cycle } => assert!(cycle.len() >= 2 && cycle.first() == cycle.last()),
            Unbounded::IndirectCall { function, .. } => assert!(!function.is_empty()),
            other => panic!("unexpected unbounded item on the real archive: {other:?}"),
        }
    }
    // The level-1 interrupt path is bounded up to the handler table.
    assert!(report.stack.unbounded.iter().any(
        |r| matches!(r, Unbounded::IndirectCall { function, .. } if function == "splitcore_rt_interrupt")
    ));
    // The window vectors need no stack.
    assert_eq!(
        report.stack.asynchronous.iter().find(|b| b.root == "_splitcore_vector_window").unwrap().bytes,
        Some(0)
    );
    assert!(report.elapsed_ms < 1000.0, "{} ms", report.elapsed_ms);
}

#[test]
fn real_archive_with_annotations_is_bounded() {
    let Some(path) = archive() else { return };
    let mut config = Config::new(&path);
    config.allow.push("splitcore_core0_panic".into());
    config.annotations = Annotations::parse(include_str!("../data/asm-probes.annotations")).unwrap();
    let report = check(&config).unwrap();
    println!("{}", render(&report, false));
    assert!(report.stack.unbounded.is_empty(), "{:#?}", report.stack.unbounded);
    let total = report.stack.total.expect("bounded");
    assert!(total > 128 + 112 && total <= 16384, "{total}");
    assert_eq!(report.exit_code(), 0, "{:#?}", report.violations);
}

/// The ENTRY decoding agrees with llvm-objdump-22 on every function of the real archive.
#[test]
fn entry_frames_match_llvm_objdump() {
    let Some(path) = archive() else { return };
    let out = match Command::new("llvm-objdump-22").args(["-d", "--mcpu=esp32"]).arg(&path).output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => {
            eprintln!("note: llvm-objdump-22 not available: test skipped");
            return;
        }
    };
    // `In archive …(member):` / `00000000 <sym>:` / first instruction line.
    let mut objdump: HashMap<(String, String), Option<u64>> = HashMap::new();
    let mut member = String::new();
    let mut lines = out.lines().peekable();
    while let Some(line) = lines.next() {
        if line.ends_with("file format elf32-xtensa") {
            // `<archive>(<member>):\tfile format elf32-xtensa`
            member = line
                .rsplit_once("):")
                .and_then(|(a, _)| a.rsplit_once('('))
                .map(|(_, m)| m.to_string())
                .unwrap_or_default();
        } else if line.ends_with(">:") && line.contains(" <") {
            let sym = line.split_once(" <").unwrap().1.trim_end_matches(">:").to_string();
            let first = lines.peek().copied().unwrap_or("");
            let frame = first.split_once("\tentry\ta1, ").and_then(|(_, n)| n.trim().parse::<u64>().ok());
            objdump.entry((member.clone(), sym)).or_insert(frame);
        }
    }
    let ours = entry_frames(&std::fs::read(&path).unwrap(), "asm_probes").unwrap();
    let (mut matched, mut with_entry) = (0, 0);
    for (member, sym, frame) in &ours {
        if let Some(theirs) = objdump.get(&(member.clone(), sym.clone())) {
            assert_eq!(frame, theirs, "{member}: {sym}");
            matched += 1;
            with_entry += usize::from(frame.is_some());
        }
    }
    println!("ENTRY frames: {matched} functions compared with llvm-objdump-22, {with_entry} with ENTRY");
    assert!(matched > 1000 && with_entry > 1000, "{matched} / {with_entry}");
}
