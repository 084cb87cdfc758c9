//! The checker on generated fixtures: relocatable Xtensa objects written with `object`.

mod common;

use common::*;
use splitcore_check::stack::Unbounded;
use splitcore_check::{check_bytes, Annotations, Config, InputError, Report};

const ENTRY: &str = "splitcore_core1_entry";

fn run(members: &[(&str, Vec<u8>)], config: &Config) -> Result<Report, InputError> {
    check_bytes(&archive(members), "fixture.a", None, config)
}

fn cfg() -> Config {
    Config::new("fixture.a")
}

/// entry(32) -> work(48) -> leaf(64); work also calls leaf through a literal.
fn clean_members() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("rt.o", xtensa_object(&[func(ENTRY, 32, vec![Op::Call8("work")])], &[])),
        (
            "app.o",
            xtensa_object(
                &[
                    func("work", 48, vec![Op::Call8("leaf"), Op::CallX8("leaf"), Op::Load("BUF")]),
                    func("leaf", 64, vec![]),
                    func("unused", 4000, vec![Op::Call8("xQueueSend")]),
                ],
                &[("BUF", 100)],
            ),
        ),
    ]
}

#[test]
fn clean_archive() {
    let r = run(&clean_members(), &cfg()).unwrap();
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert_eq!(r.exit_code(), 0);
    assert!(r.flash.is_empty());
    let main = &r.stack.main[0];
    assert_eq!(main.bytes, Some(32 + 48 + 64));
    let names: Vec<&str> = main.path.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, [ENTRY, "work", "leaf"]);
    // No vectors in the fixture: async part is 0, spill 16.
    assert_eq!(r.stack.total, Some(32 + 48 + 64 + 16));
    // Footprint: the unused function (and its flash call) is not reachable.
    assert_eq!(r.footprint.dram, 100);
    assert!(r.footprint.iram > 0 && r.footprint.iram < 100);
    assert!(!r.footprint.top.iter().any(|c| c.name == "unused"));
    let text = splitcore_check::render(&r, false);
    assert!(text.contains("clean: no violations"), "{text}");
    assert!(!text.contains("\x1b["));
}

#[test]
fn flash_call_names_the_chain() {
    let members = vec![
        ("rt.o", xtensa_object(&[func(ENTRY, 32, vec![Op::Call8("work")])], &[])),
        (
            "app.o",
            xtensa_object(
                &[
                    func("work", 48, vec![Op::Call8("send")]),
                    func("send", 32, vec![Op::CallX8("xQueueSend")]),
                ],
                &[],
            ),
        ),
    ];
    let r = run(&members, &cfg()).unwrap();
    assert_eq!(r.exit_code(), 1);
    assert_eq!(r.flash.len(), 1);
    assert_eq!(r.flash[0].symbol, "xQueueSend");
    assert_eq!(r.flash[0].chain, [ENTRY, "work", "send", "xQueueSend"]);
    assert!(r.flash[0].hint.contains("FreeRTOS"));
    let text = splitcore_check::render(&r, false);
    assert!(text.contains("splitcore_core1_entry -> work -> send -> xQueueSend"), "{text}");
    // Allow-listing it (as if the IDF build put it in IRAM) clears the violation.
    let mut c = cfg();
    c.allow.push("xQueueSend".into());
    let r = run(&members, &c).unwrap();
    assert_eq!(r.exit_code(), 0, "{:?}", r.violations);
    assert_eq!(r.externals_ok[0].how, "allowed");
}

#[test]
fn shortest_chain_is_reported() {
    // entry -> a -> b -> c -> malloc, and entry -> d -> malloc: the chain through d is shorter.
    let members = vec![(
        "app.o",
        xtensa_object(
            &[
                func(ENTRY, 32, vec![Op::Call8("a"), Op::Call8("d")]),
                func("a", 32, vec![Op::Call8("b")]),
                func("b", 32, vec![Op::Call8("c")]),
                func("c", 32, vec![Op::Call8("malloc")]),
                func("d", 32, vec![Op::Call8("malloc")]),
            ],
            &[],
        ),
    )];
    let r = run(&members, &cfg()).unwrap();
    assert_eq!(r.flash[0].chain, [ENTRY, "d", "malloc"]);
    assert!(r.flash[0].hint.contains("heap"));
}

#[test]
fn rom_calls_are_allowed() {
    let members = vec![(
        "app.o",
        xtensa_object(
            &[func(
                ENTRY,
                32,
                vec![Op::CallX8("ets_printf"), Op::Call8("memcpy"), Op::Call8("esp_rom_crc32_le")],
            )],
            &[],
        ),
    )];
    let r = run(&members, &cfg()).unwrap();
    assert_eq!(r.exit_code(), 0, "{:?}", r.violations);
    let rom: Vec<&str> =
        r.externals_ok.iter().filter(|e| e.how == "rom").map(|e| e.symbol.as_str()).collect();
    assert_eq!(rom, ["esp_rom_crc32_le", "ets_printf", "memcpy"]);
    assert!(r.externals_ok.iter().any(|e| e.detail.contains("via crc32_le")));
    // ROM functions' stack use is unknown: listed as assumed 0.
    assert!(r.stack.assumptions.iter().any(|a| a.callee == "ets_printf" && !a.annotated));
}

#[test]
fn recursion_is_unbounded_until_annotated() {
    let members = vec![(
        "app.o",
        xtensa_object(
            &[
                func(ENTRY, 32, vec![Op::Call8("walk")]),
                func("walk", 64, vec![Op::Call8("step")]),
                func("step", 32, vec![Op::Call8("walk")]),
            ],
            &[],
        ),
    )];
    let r = run(&members, &cfg()).unwrap();
    assert_eq!(r.exit_code(), 1);
    assert_eq!(r.stack.total, None);
    assert_eq!(
        r.stack.unbounded,
        [Unbounded::Recursion { cycle: vec!["walk".into(), "step".into(), "walk".into()] }]
    );
    let text = splitcore_check::render(&r, false);
    assert!(text.contains("recursion: walk -> step -> walk"), "{text}");

    let mut c = cfg();
    c.annotations = Annotations::parse("walk 640 # at most 10 levels\n").unwrap();
    let r = run(&members, &c).unwrap();
    assert_eq!(r.exit_code(), 0, "{:?}", r.violations);
    assert_eq!(r.stack.main[0].bytes, Some(32 + 640));
}

#[test]
fn indirect_call_is_unbounded_until_annotated() {
    let members = vec![(
        "app.o",
        xtensa_object(
            &[
                func(ENTRY, 32, vec![Op::Call8("dispatch")]),
                func("dispatch", 48, vec![Op::CallX8Unknown]),
                func("handler", 96, vec![]),
            ],
            &[],
        ),
    )];
    let r = run(&members, &cfg()).unwrap();
    assert_eq!(r.exit_code(), 1);
    // entry a1,48 (3 bytes) then l32i (3 bytes): the callx8 is at +6.
    assert_eq!(
        r.stack.unbounded,
        [Unbounded::IndirectCall { function: "dispatch".into(), offset: 6, jump: false }]
    );

    let mut c = cfg();
    c.annotations = Annotations::parse("indirect dispatch -> handler\n").unwrap();
    let r = run(&members, &c).unwrap();
    assert_eq!(r.exit_code(), 0, "{:?}", r.violations);
    assert_eq!(r.stack.main[0].bytes, Some(32 + 48 + 96));

    let mut c = cfg();
    c.annotations = Annotations::parse("indirect dispatch -> 200\n").unwrap();
    let r = run(&members, &c).unwrap();
    assert_eq!(r.stack.main[0].bytes, Some(32 + 48 + 200));
}

#[test]
fn oversized_frame_exceeds_the_stack() {
    let members = vec![(
        "app.o",
        xtensa_object(&[func(ENTRY, 32, vec![Op::Call8("big")]), func("big", 32760, vec![])], &[]),
    )];
    let r = run(&members, &cfg()).unwrap();
    assert_eq!(r.exit_code(), 1);
    assert_eq!(r.stack.main[0].bytes, Some(32 + 32760));
    assert!(r.violations.iter().any(|v| v.contains("exceeds the 16384-byte")), "{:?}", r.violations);
    // A big enough stack passes.
    let mut c = cfg();
    c.stack_size = Some(65536);
    assert_eq!(run(&members, &c).unwrap().exit_code(), 0);
}

#[test]
fn weak_definition_loses_to_strong() {
    let weak = Func { name: "helper", frame: Some(1024), body: vec![], weak: true };
    let members = vec![
        ("a.o", xtensa_object(&[func(ENTRY, 32, vec![Op::Call8("helper")]), weak], &[])),
        ("b.o", xtensa_object(&[func("helper", 48, vec![])], &[])),
    ];
    let r = run(&members, &cfg()).unwrap();
    assert_eq!(r.stack.main[0].bytes, Some(32 + 48));
}

#[test]
fn footprint_budgets() {
    let mut c = cfg();
    c.iram_budget = Some(10);
    c.dram_budget = Some(50);
    let r = run(&clean_members(), &c).unwrap();
    assert_eq!(r.exit_code(), 1);
    assert_eq!(r.violations.iter().filter(|v| v.starts_with("footprint:")).count(), 2, "{:?}", r.violations);
}

#[test]
fn extra_roots() {
    let mut c = cfg();
    c.roots.push("unused".into());
    let r = run(&clean_members(), &c).unwrap();
    assert_eq!(r.flash[0].chain, ["unused", "xQueueSend"]);
    c.roots = vec!["missing_root".into()];
    let e = run(&clean_members(), &c).unwrap_err();
    assert!(e.message.contains("missing_root"), "{e}");
}

#[test]
fn truncated_and_corrupt_inputs_are_clear_errors() {
    let good = archive(&clean_members());
    // Truncated in the middle of a member.
    let e = check_bytes(&good[..good.len() / 2], "cut.a", None, &cfg()).unwrap_err();
    assert_eq!(e.file.split('(').next().unwrap(), "cut.a");
    assert!(e.message.contains("truncated") || e.message.contains("corrupt"), "{e}");
    // A member whose ELF header is cut short.
    let obj = xtensa_object(&[func(ENTRY, 32, vec![])], &[]);
    let e = check_bytes(&archive(&[("short.o", obj[..40].to_vec())]), "x.a", None, &cfg()).unwrap_err();
    assert!(e.file.contains("short.o") && e.message.contains("truncated"), "{e}");
    // A member with a valid header whose section table points past the end.
    let e = check_bytes(&archive(&[("bad.o", obj[..200].to_vec())]), "x.a", None, &cfg()).unwrap_err();
    assert!(e.file.contains("bad.o"), "{e}");
    // Not an archive at all.
    let e = check_bytes(b"hello world", "notes.txt", None, &cfg()).unwrap_err();
    assert!(e.message.contains("not a static archive"), "{e}");
    // Garbage after the magic never panics.
    for cut in (8..good.len()).step_by(97) {
        let mut bytes = good.clone();
        for b in bytes[cut..].iter_mut().step_by(7) {
            *b ^= 0x5a;
        }
        let _ = check_bytes(&bytes, "fuzz.a", None, &cfg());
    }
}

#[test]
fn wrong_architecture_is_a_clear_error() {
    let e = check_bytes(&archive(&[("x86.o", x86_object())]), "host.a", None, &cfg()).unwrap_err();
    assert!(e.file.contains("x86.o"), "{e}");
    assert!(e.message.contains("wrong architecture") && e.message.contains("x86-64"), "{e}");
    let e = check_bytes(&x86_object(), "host.o", None, &cfg()).unwrap_err();
    assert!(e.message.contains("wrong architecture"), "{e}");
}

#[test]
fn json_output_parses() {
    let r = run(&clean_members(), &cfg()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(v["stack"]["main"][0]["bytes"], 32 + 48 + 64);
    assert_eq!(v["violations"].as_array().unwrap().len(), 0);
}

fn run_with_elf(elf: &[u8]) -> Result<Report, InputError> {
    check_bytes(&archive(&clean_members()), "fixture.a", Some(("firmware.elf", elf)), &cfg())
}

const IRAM: u64 = 0x4037_8000;
const DRAM: u64 = 0x3fc9_0000;

#[test]
fn linked_elf_all_in_internal_ram_is_clean() {
    let elf = linked_elf(&[(ENTRY, IRAM), ("work", IRAM + 0x40), ("leaf", IRAM + 0x80), ("BUF", DRAM)]);
    let r = run_with_elf(&elf).unwrap();
    let e = r.elf.as_ref().expect("an ELF report");
    assert!(e.violations.is_empty(), "{:?}", e.violations);
    assert_eq!((e.checked, e.missing), (4, 0));
    assert_eq!(r.exit_code(), 0, "{:?}", r.violations);
}

#[test]
fn linked_elf_flash_placement_names_symbol_region_and_chain() {
    // `leaf` landed in flash-mapped IROM (a linker fragment that missed it), `BUF` in DROM.
    let elf =
        linked_elf(&[(ENTRY, IRAM), ("work", IRAM + 0x40), ("leaf", 0x4200_1234), ("BUF", 0x3c01_0000)]);
    let r = run_with_elf(&elf).unwrap();
    let e = r.elf.as_ref().unwrap();
    let mut found: Vec<(&str, u64, &str)> =
        e.violations.iter().map(|v| (v.symbol.as_str(), v.address, v.region)).collect();
    found.sort();
    assert_eq!(
        found,
        [("BUF", 0x3c01_0000, "flash-mapped DROM"), ("leaf", 0x4200_1234, "flash-mapped IROM")]
    );
    let leaf = e.violations.iter().find(|v| v.symbol == "leaf").unwrap();
    assert_eq!(leaf.chain.first().map(String::as_str), Some(ENTRY), "{:?}", leaf.chain);
    assert_eq!(leaf.chain.last().map(String::as_str), Some("leaf"), "{:?}", leaf.chain);
    assert_eq!(r.exit_code(), 1);
    let text = splitcore_check::render(&r, false);
    assert!(text.contains("0x42001234"), "{text}");
}

#[test]
fn linked_elf_symbols_not_in_the_elf_are_counted_not_flagged() {
    // The linker garbage-collected or inlined `leaf`: nothing to place, nothing to flag.
    let elf = linked_elf(&[(ENTRY, IRAM), ("work", IRAM + 0x40), ("BUF", DRAM)]);
    let e = run_with_elf(&elf).unwrap().elf.unwrap();
    assert_eq!((e.checked, e.missing, e.violations.len()), (3, 1, 0));
}

#[test]
fn linked_elf_must_be_an_executable() {
    // A relocatable object passed as the firmware ELF is a clear error naming the file.
    let relocatable = xtensa_object(&[func(ENTRY, 32, vec![])], &[]);
    let err = run_with_elf(&relocatable).unwrap_err();
    assert_eq!(err.file, "firmware.elf");
    assert!(!err.message.is_empty());
}

#[test]
fn indirect_call_target_may_be_named_demangled() {
    // A Rust function as the report prints it: `demo::handler` (hash dropped).
    let handler = "_ZN4demo7handler17h0123456789abcdefE";
    let members = vec![(
        "app.o",
        xtensa_object(
            &[
                func(ENTRY, 32, vec![Op::Call8("dispatch")]),
                func("dispatch", 48, vec![Op::CallX8Unknown]),
                func(handler, 96, vec![]),
            ],
            &[],
        ),
    )];
    let mut c = cfg();
    c.annotations = Annotations::parse("indirect dispatch -> demo::handler\n").unwrap();
    let r = run(&members, &c).unwrap();
    assert_eq!(r.exit_code(), 0, "{:?}", r.violations);
    assert_eq!(r.stack.main[0].bytes, Some(32 + 48 + 96));
    // A name that matches nothing stays an error.
    c.annotations = Annotations::parse("indirect dispatch -> demo::other\n").unwrap();
    assert_eq!(run(&members, &c).unwrap().exit_code(), 1);
}
