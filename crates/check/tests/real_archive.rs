//! The checker on the real ESP32-S3 build of the firmware workspace (`cargo xtask build -p
//! asm-probes`). Skipped, with a note, when the archive has not been built.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use splitcore_check::stack::Unbounded;
use splitcore_check::{
    check, entry_frames, render, Annotations, Config, Report, NESTED_INTERRUPT_ENTRIES, SPILL_BYTES,
};

/// The ESP32-S3 release archive of firmware crate `lib` (`libasm_probes.a`, ...), built on its
/// own into `firmware/target/standalone` by xtask's check step. Absent unless that ran;
/// `cargo xtask test` builds it first and sets
/// `SPLITCORE_REAL_ARCHIVES=required`, which turns an absent archive into a failure.
fn built_archive(lib: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../firmware/target/standalone/xtensa-esp32s3-none-elf/release")
        .join(format!("lib{lib}.a"));
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var("SPLITCORE_REAL_ARCHIVES").as_deref() != Ok("required"),
        "{} is absent although SPLITCORE_REAL_ARCHIVES=required",
        p.display()
    );
    eprintln!(
        "note: {} is absent (the check step of `cargo xtask test` builds it): test skipped",
        p.display()
    );
    None
}

fn archive() -> Option<PathBuf> {
    built_archive("asm_probes")
}

/// Fails unless the repository file `rel` (a README) contains `figure`: the figures the
/// READMEs quote come from this checker and must follow the code.
fn quoted_in(rel: &str, figure: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        text.contains(figure),
        "{rel} does not say \"{figure}\" (the checker's current figure): update it"
    );
}

/// `n` bytes as the checker's text report prints KiB (one decimal).
fn kib(n: u64) -> String {
    format!("{:.1} KiB", n as f64 / 1024.0)
}

/// The archives' bytes (panic locations in `.rodata`) must not depend on where the repository
/// is checked out: Xtensa builds trim paths (`-Ztrim-paths`; crates outside the firmware
/// workspace appear as `name-version/`). Without that, the DRAM footprint the READMEs quote
/// differed between this machine and CI.
#[test]
fn archives_name_no_path_of_this_checkout() {
    let checkout =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the checkout");
    let checkout = checkout.to_str().expect("a UTF-8 checkout path");
    for lib in ["asm_probes", "motor_position_firmware"] {
        let Some(path) = built_archive(lib) else { continue };
        let bytes = std::fs::read(&path).expect("the archive reads");
        let contains = |needle: &[u8]| bytes.windows(needle.len()).filter(|w| *w == needle).count();
        let named = contains(checkout.as_bytes());
        assert_eq!(named, 0, "{} names the checkout {checkout} {named} times", path.display());
        assert!(
            contains(b"splitcore-ipc-0.1.0/src/") > 0,
            "{}: no trimmed source path at all (did the panic locations go?)",
            path.display()
        );
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

/// The probes' archive checked as CI checks it: core 0's panic hook allowed, the annotations
/// in `data/asm-probes.annotations`. `None` when the archive is absent.
fn annotated_probe_report() -> Option<Report> {
    let mut config = Config::new(archive()?);
    config.allow.push("splitcore_core0_panic".into());
    config.annotations = Annotations::parse(include_str!("../data/asm-probes.annotations")).unwrap();
    Some(check(&config).unwrap())
}

#[test]
fn real_archive_with_annotations_is_bounded() {
    let Some(report) = annotated_probe_report() else { return };
    println!("{}", render(&report, false));
    assert!(report.stack.unbounded.is_empty(), "{:#?}", report.stack.unbounded);
    let total = report.stack.total.expect("bounded");
    assert!(total > 128 + 112 && total <= 16384, "{total}");
    assert_eq!(report.exit_code(), 0, "{:#?}", report.violations);
    quoted_in("README.md", &format!("stack bound {total} of 16384 bytes"));
}

/// Interrupt levels 1..3 nest: each level's entry is bounded on its own (entry-less save code,
/// the frame function's 128 bytes, the dispatcher, the annotated handler table), the vectors do
/// not count those paths again, and the total adds all three levels on top of the deepest entry
/// path plus the worst remaining asynchronous path (the crash path).
#[test]
fn nested_interrupt_levels_add_up() {
    let Some(report) = annotated_probe_report() else { return };
    let s = &report.stack;
    let names: Vec<&str> = s.nested.iter().map(|b| b.root.as_str()).collect();
    assert_eq!(names, NESTED_INTERRUPT_ENTRIES);
    for b in &s.nested {
        let bytes = b.bytes.expect("bounded");
        assert_eq!(b.path[0], (b.root.clone(), 0), "{:?}", b.path);
        let frame = b.root.replace("_splitcore_level", "_splitcore_irq_frame").replace("_interrupt", "");
        assert_eq!(b.path[1], (frame, 128), "{:?}", b.path);
        assert!(b.path.iter().any(|(f, _)| f == "splitcore_rt_interrupt"), "{:?}", b.path);
        // No panic path in the dispatcher (an index bounds check would add the 2048-byte
        // annotated panic machinery to every level).
        assert!((128 + 32..512).contains(&bytes), "{}: {bytes} {:?}", b.root, b.path);
    }
    let vector = |name: &str| s.asynchronous.iter().find(|b| b.root == name).unwrap().bytes;
    assert_eq!(vector("_splitcore_vector_level2"), Some(0));
    assert_eq!(vector("_splitcore_vector_level3"), Some(0));
    assert!(!s.asynchronous.iter().any(|b| b.root == "splitcore_rt_interrupt"));
    let main = s.main.iter().filter_map(|b| b.bytes).max().unwrap();
    let nested: u64 = s.nested.iter().filter_map(|b| b.bytes).sum();
    let worst_async = s.asynchronous.iter().filter_map(|b| b.bytes).max().unwrap();
    assert_eq!(s.total, Some(main + nested + worst_async + SPILL_BYTES));
    println!("entry {main} + levels {nested} + async {worst_async} + spill = {:?}", s.total);
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

/// `firmware/check-bad`: a FreeRTOS call, recursion and a 20 000-byte frame, each named.
#[test]
fn deliberately_bad_example_is_rejected_with_each_finding() {
    let Some(path) = built_archive("check_bad") else { return };
    let report = check(&Config::new(&path)).expect("the archive loads");
    println!("{}", render(&report, false));
    assert_eq!(report.exit_code(), 1);
    // 1. The FreeRTOS call, with the chain from the entry.
    let flash = report.flash.iter().find(|f| f.symbol == "vTaskDelay").expect("vTaskDelay reported");
    assert_eq!(flash.chain.first().map(String::as_str), Some("splitcore_core1_entry"), "{:?}", flash.chain);
    // (`main` is inlined into the `entry!` wrapper.)
    assert!(flash.chain.iter().any(|f| f == "splitcore_user_main"), "{:?}", flash.chain);
    assert!(report.violations.iter().any(|v| v.contains("vTaskDelay")), "{:?}", report.violations);
    // 2. The recursion, named as a cycle.
    assert!(
        report.stack.unbounded.iter().any(|u| matches!(u, Unbounded::Recursion { cycle }
            if cycle.iter().all(|f| f.contains("check_bad::fibonacci")))),
        "{:?}",
        report.stack.unbounded
    );
    assert_eq!(report.stack.total, None);

    // 3. Once the recursion is bounded by an annotation, the 20 000-byte frame alone breaks the
    // 16 KiB stack, and the worst path runs through it.
    let mut config = Config::new(&path);
    config.stack_size = Some(16 * 1024);
    // The runtime's own annotations (panic path, empty handler table) plus the recursion's.
    let runtime = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/asm-probes.annotations"),
    )
    .unwrap();
    config.annotations = Annotations::parse(&format!("{runtime}\ncheck_bad::fibonacci 1024\n")).unwrap();
    let report = check(&config).unwrap();
    let total = report.stack.total.expect("bounded with the annotation");
    assert!(total > 20_000, "{total}");
    let worst = report.stack.main.iter().max_by_key(|b| b.bytes).unwrap();
    assert!(worst.path.iter().any(|(f, _)| f.contains("check_bad::moving_average")), "{:?}", worst.path);
    assert!(
        report.violations.iter().any(|v| v.contains("stack") && v.contains("16384")),
        "{:?}",
        report.violations
    );
}

/// `examples/motor-position/firmware`, the archive the example's ESP-IDF app links: the f32
/// control code (built with `+fp`: FP spills `ssi fN, a1, off` are no stack adjustments), the
/// app's region symbol, the runtime's CCOMPARE0 handler behind the interrupt table.
#[test]
fn motor_position_firmware_is_clean_with_its_allow_list_and_annotations() {
    let Some(path) = built_archive("motor_position_firmware") else { return };
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");

    // Without the allow-list: exactly the two outside symbols, each with its chain.
    let mut config = Config::new(&path);
    config.annotations = Annotations::parse(
        &std::fs::read_to_string(data.join("motor-position-firmware.annotations")).unwrap(),
    )
    .unwrap();
    let report = check(&config).unwrap();
    let mut flash: Vec<&str> = report.flash.iter().map(|f| f.symbol.as_str()).collect();
    flash.sort_unstable();
    assert_eq!(flash, ["motor_position_region", "splitcore_core0_panic"], "{:#?}", report.flash);
    let region = report.flash.iter().find(|f| f.symbol == "motor_position_region").unwrap();
    assert!(region.chain.iter().any(|f| f == "splitcore_user_main"), "{:?}", region.chain);
    // The stack is bounded all the same: no FP instruction taken for a stack write.
    assert!(report.stack.unbounded.is_empty(), "{:#?}", report.stack.unbounded);

    // With it: clean, the program reachable, the timer handler counted in the level-1
    // interrupt path.
    config.add_allow_file(&data.join("motor-position-firmware.allow")).unwrap();
    let report = check(&config).unwrap();
    println!("{}", render(&report, false));
    assert_eq!(report.exit_code(), 0, "{:#?}", report.violations);
    let main = &report.stack.main[0];
    assert_eq!(main.root, "splitcore_core1_entry");
    assert!(main.path.iter().any(|(f, _)| f == "splitcore_user_main"), "{:?}", main.path);
    let irq = report.stack.nested.iter().find(|b| b.root == "_splitcore_level1_interrupt").unwrap();
    assert!(irq.path.iter().any(|(f, _)| f == "splitcore_rt::timer::on_timer0"), "{:?}", irq.path);
    let total = report.stack.total.expect("bounded");
    assert!(total < 16384, "{total}");
    assert!(report.footprint.by_crate.iter().any(|c| c.name == "motor_position_control"));
    let (iram, dram) = (kib(report.footprint.iram), kib(report.footprint.dram));
    quoted_in(
        "README.md",
        &format!("stack bound {total} of 16384 bytes, {iram} IRAM / {dram} DRAM reachable"),
    );
    quoted_in("examples/motor-position/README.md", &format!("stack bound {total} of 16384 bytes"));
    let entry = main.bytes.expect("bounded");
    let firmware_readme = "examples/motor-position/firmware/README.md";
    quoted_in(firmware_readme, &format!("stack {entry} B from the entry"));
    quoted_in(firmware_readme, &format!("= {total} B of 16 KiB; reachable code {iram} (IRAM)"));
    quoted_in(firmware_readme, &format!("{dram} (DRAM"));
}
