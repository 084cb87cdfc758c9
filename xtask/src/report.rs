//! `cargo xtask asm-report`: instruction counts and listings of chosen functions of the
//! ESP32-S3 build, written to `reports/machine-code.md`; `--check` fails when that file is stale.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};
use splitcore_build::cargo::BuildOutput;
use splitcore_build::disasm::{disassemble, FunctionListing};
use splitcore_build::toolchain::LlvmTools;

/// A function to report: which archive (firmware package) and symbol, and what it is.
pub struct Entry {
    /// Firmware package whose staticlib holds the symbol.
    pub package: &'static str,
    /// Symbol name (unmangled: report functions are `#[no_mangle]`).
    pub symbol: &'static str,
    /// What the function is, for the table.
    pub what: &'static str,
}

/// The functions in the report.
pub const ENTRIES: &[Entry] = &[
    Entry { package: "asm-probes", symbol: "probe_load_acquire", what: "AtomicU32::load(Acquire)" },
    Entry { package: "asm-probes", symbol: "probe_store_release", what: "AtomicU32::store(Release)" },
    Entry {
        package: "asm-probes",
        symbol: "probe_fetch_add",
        what: "AtomicU32::fetch_add(AcqRel): S32C1I loop",
    },
    Entry { package: "asm-probes", symbol: "probe_u64_div", what: "u64 division (compiler_builtins call)" },
    Entry {
        package: "asm-probes",
        symbol: "probe_f32_muladd",
        what: "f32 a*b+c with the hardware FPU (+fp)",
    },
    Entry { package: "asm-probes", symbol: "probe_ring_push", what: "splitcore-ipc typed ring push (u32)" },
    Entry { package: "asm-probes", symbol: "probe_ring_pop", what: "splitcore-ipc typed ring pop (u32)" },
    Entry {
        package: "asm-probes",
        symbol: "probe_frame_grant_commit",
        what: "splitcore-ipc frame grant + commit",
    },
    Entry {
        package: "asm-probes",
        symbol: "probe_mailbox_write",
        what: "splitcore-ipc mailbox (seqlock) write, 16 bytes",
    },
    Entry {
        package: "asm-probes",
        symbol: "probe_mailbox_read",
        what: "splitcore-ipc mailbox (seqlock) read, 16 bytes",
    },
    Entry {
        package: "asm-probes",
        symbol: "probe_gpio_set_high",
        what: "splitcore-hal-esp32s3 GPIO set_high (GPIO_OUT_W1TS store)",
    },
    Entry {
        package: "asm-probes",
        symbol: "probe_mcpwm_set_duty",
        what: "splitcore-hal-esp32s3 MCPWM duty update (compare-A shadow)",
    },
    Entry {
        package: "asm-probes",
        symbol: "probe_pcnt_count",
        what: "splitcore-hal-esp32s3 PCNT read + 16->32-bit extension",
    },
    Entry {
        package: "asm-probes",
        symbol: "probe_systimer_now",
        what: "splitcore-hal-esp32s3 SYSTIMER now (update/valid handshake)",
    },
    Entry {
        package: "asm-probes",
        symbol: "splitcore_core1_entry",
        what: "core-1 entry trampoline (runtime, asm)",
    },
    Entry {
        package: "asm-probes",
        symbol: "_splitcore_vector_user",
        what: "user exception vector (runtime, asm)",
    },
    Entry {
        package: "asm-probes",
        symbol: "_splitcore_crash",
        what: "exception entry path: crash capture (runtime, asm)",
    },
    Entry {
        package: "asm-probes",
        symbol: "_splitcore_level1_interrupt",
        what: "level-1 interrupt entry and exit (runtime, asm)",
    },
    Entry {
        package: "asm-probes",
        symbol: "_splitcore_vector_level2",
        what: "level-2 vector (runtime, asm)",
    },
    Entry {
        package: "asm-probes",
        symbol: "_splitcore_level2_interrupt",
        what: "level-2 interrupt entry and exit (runtime, asm)",
    },
    Entry {
        package: "asm-probes",
        symbol: "_splitcore_vector_level3",
        what: "level-3 vector (runtime, asm)",
    },
    Entry {
        package: "asm-probes",
        symbol: "_splitcore_level3_interrupt",
        what: "level-3 interrupt entry and exit (runtime, asm)",
    },
    Entry {
        package: "asm-probes",
        symbol: "_splitcore_irq_frame1",
        what: "level-1 frame function: lowers INTLEVEL to 1, calls the dispatcher (runtime, asm)",
    },
    Entry {
        package: "asm-probes",
        symbol: "_splitcore_irq_frame2",
        what: "level-2 frame function: lowers INTLEVEL to 2, calls the dispatcher (runtime, asm)",
    },
    Entry {
        package: "asm-probes",
        symbol: "_splitcore_irq_frame3",
        what: "level-3 frame function: calls the dispatcher (runtime, asm)",
    },
    Entry {
        package: "asm-probes",
        symbol: "splitcore_rt_interrupt",
        what: "the Rust dispatcher shared by levels 1..3 (handler table)",
    },
];

/// Per dispatched level: its vector, its entry code and its frame function.
const INTERRUPT_LEVELS: [(u32, &str, &str, &str); 3] = [
    (1, "_splitcore_vector_user", "_splitcore_level1_interrupt", "_splitcore_irq_frame1"),
    (2, "_splitcore_vector_level2", "_splitcore_level2_interrupt", "_splitcore_irq_frame2"),
    (3, "_splitcore_vector_level3", "_splitcore_level3_interrupt", "_splitcore_irq_frame3"),
];

/// Instructions executed from a level's vector to the dispatcher's `callx8`: the vector up to its
/// `j`, the entry code up to its `call4`, the frame function up to its `callx8` (shortest paths).
fn interrupt_entry_table(listings: &[(&Entry, FunctionListing)]) -> Result<String> {
    let find = |symbol: &str| -> Result<&FunctionListing> {
        match listings.iter().find(|(e, _)| e.symbol == symbol) {
            Some((_, l)) => Ok(l),
            None => bail!("`{symbol}` is not in the report"),
        }
    };
    let upto = |symbol: &str, mnemonic: &str| -> Result<usize> {
        match find(symbol)?.shortest_path_to(|m| m == mnemonic) {
            Some(n) => Ok(n),
            None => bail!("no `{mnemonic}` reachable in `{symbol}`"),
        }
    };
    let mut out = String::new();
    writeln!(
        out,
        "\nInterrupt entry, from the vector to the Rust dispatcher's call (instructions on the path, \
         from the listings below; the dispatcher then tests the pending bits and calls the handler \
         through the table):\n"
    )?;
    writeln!(out, "| level | vector (to `j`) | entry (to `call4`) | frame function (to `callx8`) | total |")?;
    writeln!(out, "|---:|---:|---:|---:|---:|")?;
    for (level, vector, entry, frame) in INTERRUPT_LEVELS {
        let (v, e, f) = (upto(vector, "j")?, upto(entry, "call4")?, upto(frame, "callx8")?);
        writeln!(out, "| {level} | {v} | {e} | {f} | {} |", v + e + f)?;
    }
    Ok(out)
}

/// The packages the report needs built for the ESP32-S3 target.
pub fn packages() -> Vec<&'static str> {
    let mut packages: Vec<&str> = ENTRIES.iter().map(|e| e.package).collect();
    packages.sort_unstable();
    packages.dedup();
    packages
}

/// Renders the report from a build of [`packages`].
pub fn render(build: &BuildOutput, rustc_version: &str, executed: &[String]) -> Result<String> {
    let tools = LlvmTools::discover()?;
    let mut listings: Vec<(&Entry, FunctionListing)> = Vec::new();
    for package in packages() {
        let entries: Vec<&Entry> = ENTRIES.iter().filter(|e| e.package == package).collect();
        let symbols: Vec<&str> = entries.iter().map(|e| e.symbol).collect();
        let found = disassemble(&tools, build.archive(package)?, &symbols)?;
        listings.extend(entries.into_iter().zip(found));
    }
    let mut out = String::new();
    writeln!(out, "# Machine-code report (ESP32-S3 build)\n")?;
    writeln!(
        out,
        "Generated by `cargo xtask asm-report` from the `xtensa-esp32s3-none-elf` build \
         ({rustc_version}, `opt-level = \"s\"`, disassembled with `llvm-objdump-22 --mcpu=esp32`). \
         CI runs `cargo xtask asm-report --check` and fails when this file is stale.\n"
    )?;
    writeln!(
        out,
        "`all` counts every instruction of the function (all paths). `shortest` counts the \
         fewest instructions executed from the first instruction to any return, following both \
         sides of each branch: a lower bound per call, which may be an early exit (ring full, \
         divisor zero, grant refused) rather than the success path. The `probe_*` wrappers' \
         own `entry`, return-value move and `retw.n` are included; they disappear when the call \
         is inlined. `publishing` counts the fewest instructions to a return on a path that \
         makes a Release store (`memw` then `s32i`): for a push, pop or commit, the path that \
         moves an item and publishes its index. The executed cost of a push + pop is measured \
         below.\n"
    )?;
    writeln!(out, "| function | all | shortest | publishing | what |\n|---|---:|---:|---:|---|")?;
    let count = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_else(|| "—".to_owned());
    for (entry, listing) in &listings {
        writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            entry.symbol,
            listing.instructions.len(),
            count(listing.shortest_path_to_return()),
            count(listing.shortest_publishing_path()),
            entry.what
        )?;
    }
    out.push_str(&interrupt_entry_table(&listings)?);
    writeln!(
        out,
        "\nExecuted on one emulated core under `qemu-system-xtensa -icount shift=0` (QEMU's \
         de233_fpu core, code built for `xtensa-qemu-de233.json`; CCOUNT advances once per 25 \
         guest instructions, so the figures are exactly repeatable):\n"
    )?;
    for line in executed {
        writeln!(out, "- {line}")?;
    }
    for (entry, listing) in &listings {
        writeln!(out, "\n## `{}`\n\n{}\n\n```asm", entry.symbol, entry.what)?;
        for insn in &listing.instructions {
            writeln!(out, "{insn}")?;
        }
        writeln!(out, "```")?;
    }
    Ok(out)
}

/// Writes the report, or with `check` compares it with the committed file.
pub fn write_or_check(path: &Path, report: &str, check: bool) -> Result<()> {
    if check {
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        if committed != report {
            let first_difference = committed
                .lines()
                .zip(report.lines())
                .position(|(a, b)| a != b)
                .map(|i| format!("first difference at line {}", i + 1))
                .unwrap_or_else(|| "lengths differ".to_owned());
            bail!(
                "{} is stale ({first_difference}): run `cargo xtask asm-report` and commit the result",
                path.display()
            );
        }
        println!("asm-report: {} is up to date", path.display());
    } else {
        std::fs::create_dir_all(path.parent().expect("report path has a parent"))?;
        std::fs::write(path, report)?;
        println!("asm-report: wrote {}", path.display());
    }
    print!("{}", report.split("\n## ").next().unwrap_or(""));
    Ok(())
}
