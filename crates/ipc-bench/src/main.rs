//! `splitcore-ipc-bench`: splitcore-ipc against rtrb, ringbuf, heapless, crossbeam,
//! std's `sync_channel` and bbqueue, in one process, printing Markdown tables.
//!
//! ```text
//! splitcore-ipc-bench [--quick] [--reps N] [--no-callgrind] [--only 1,4,...]
//! splitcore-ipc-bench callgrind <impl|baseline> <pairs>       # workload for valgrind
//! splitcore-ipc-bench callgrind-msg <impl|baseline> <msgs>    # 64-byte messages, one thread
//! ```

use std::collections::BTreeMap;
use std::process::Command;

use splitcore_ipc_bench::{
    callgrind_msg_workload, callgrind_total, callgrind_workload, median, msg_throughput, percentile,
    push_pop_ns, rotated, round_trips, throughput, with_msg_queue, with_queue, ITEM_IMPLS, MSG_IMPLS,
};

struct Config {
    reps: usize,
    items: u64,
    round_trips: usize,
    pairs: u64,
    msgs: u64,
    quick: bool,
    /// Sections 1..=6 to run (5 and 6 run valgrind).
    sections: [bool; 6],
}

/// Per-impl samples of one measurement.
type Samples = BTreeMap<&'static str, Vec<f64>>;

fn usage() -> ! {
    eprintln!(
        "usage: splitcore-ipc-bench [--quick] [--reps N] [--no-callgrind] [--only 1,4,...]\n       \
         splitcore-ipc-bench callgrind <impl|baseline> <pairs>\n       \
         splitcore-ipc-bench callgrind-msg <impl|baseline> <msgs>"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(mode @ ("callgrind" | "callgrind-msg")) = args.first().map(String::as_str) {
        let (Some(name), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse().ok())) else { usage() };
        if mode == "callgrind" {
            callgrind_workload(name, n);
        } else {
            callgrind_msg_workload(name, n);
        }
        return;
    }
    let mut cfg = Config {
        reps: 5,
        items: 20_000_000,
        round_trips: 200_000,
        pairs: 20_000_000,
        msgs: 4_000_000,
        quick: false,
        sections: [true; 6],
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => {
                cfg = Config {
                    reps: 2,
                    items: 200_000,
                    round_trips: 5_000,
                    pairs: 200_000,
                    msgs: 100_000,
                    quick: true,
                    sections: cfg.sections,
                };
                (cfg.sections[4], cfg.sections[5]) = (false, false);
            }
            "--reps" => {
                cfg.reps =
                    it.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0).unwrap_or_else(|| usage())
            }
            "--no-callgrind" => (cfg.sections[4], cfg.sections[5]) = (false, false),
            "--callgrind" => (cfg.sections[4], cfg.sections[5]) = (true, true),
            "--only" => {
                let list = it.next().unwrap_or_else(|| usage());
                cfg.sections = [false; 6];
                for n in list.split(',') {
                    match n.trim().parse::<usize>() {
                        Ok(n @ 1..=6) => cfg.sections[n - 1] = true,
                        _ => usage(),
                    }
                }
            }
            _ => usage(),
        }
    }
    run(&cfg);
}

fn run(cfg: &Config) {
    let cores = core_affinity::get_core_ids().map_or(0, |v| v.len());
    println!("# splitcore-ipc-bench\n");
    println!(
        "{} repetition(s), each running every implementation once in rotated order; {} cores \
         visible (threads pinned to cores 0 and 1){}; queues of {} slots.\n",
        cfg.reps,
        cores,
        if cfg.quick { "; --quick (smoke run, numbers not meaningful)" } else { "" },
        splitcore_ipc_bench::queues::CAP,
    );

    let mut tput = Samples::new();
    let mut rtt_med = Samples::new();
    let mut rtt_p99 = Samples::new();
    let mut pp = Samples::new();
    let mut msg = Samples::new();
    for rep in 0..cfg.reps {
        eprintln!("rep {}/{}", rep + 1, cfg.reps);
        for name in rotated(&ITEM_IMPLS, rep).into_iter().filter(|_| cfg.sections[0]) {
            let v = with_queue!(name, throughput(cfg.items));
            tput.entry(name).or_default().push(v);
        }
        for name in rotated(&ITEM_IMPLS, rep).into_iter().filter(|_| cfg.sections[1]) {
            let mut s = with_queue!(name, round_trips(cfg.round_trips));
            rtt_med.entry(name).or_default().push(median(&mut s));
            rtt_p99.entry(name).or_default().push(percentile(&mut s, 99.0));
        }
        for name in rotated(&ITEM_IMPLS, rep).into_iter().filter(|_| cfg.sections[2]) {
            let v = with_queue!(name, push_pop_ns(cfg.pairs));
            pp.entry(name).or_default().push(v);
        }
        for name in rotated(&MSG_IMPLS, rep).into_iter().filter(|_| cfg.sections[3]) {
            let v = with_msg_queue!(name, msg_throughput(cfg.msgs));
            msg.entry(name).or_default().push(v);
        }
    }

    if cfg.sections[0] {
        throughput_table(&tput, cfg);
    }
    if cfg.sections[1] {
        latency_table(&rtt_med, &rtt_p99, cfg);
    }
    if cfg.sections[2] {
        push_pop_table(&pp, cfg);
    }
    if cfg.sections[3] {
        message_table(&msg, cfg);
    }
    if cfg.sections[4] {
        callgrind_table();
    }
    if cfg.sections[5] {
        callgrind_msg_table();
    }
}

fn throughput_table(tput: &Samples, cfg: &Config) {
    println!("## 1. Two-thread throughput ({} u64 items per run, Mitems/s, higher is better)\n", cfg.items);
    let best_competitor = higher_median(tput, &["rtrb", "ringbuf"]);
    println!("| queue | median | best | median ÷ splitcore |");
    println!("|---|---:|---:|---:|");
    let sc = med(tput, "splitcore");
    for name in ITEM_IMPLS {
        let (m, b) = (med(tput, name), best_max(tput, name));
        println!("| {name} | {:.1} | {:.1} | {:.2} |", m / 1e6, b / 1e6, m / sc);
    }
    println!(
        "\nsplitcore ÷ best of rtrb/ringbuf ({}): **{:.2}×** (goal ≥ 1.20); paired within each repetition, \
         ÷ the better of the two: {}\n",
        best_competitor.0,
        sc / best_competitor.1,
        paired_text(paired(tput, "splitcore", &["rtrb", "ringbuf"], true))
    );
}

fn latency_table(rtt_med: &Samples, rtt_p99: &Samples, cfg: &Config) {
    println!(
        "## 2. Round-trip latency (ping-pong over two queues, {} round trips per run after warm-up, ns, \
         lower is better; includes one `Instant::now()` pair)\n",
        cfg.round_trips
    );
    println!("| queue | median of medians | best median | median p99 | best p99 | median ÷ splitcore |");
    println!("|---|---:|---:|---:|---:|---:|");
    let sc = med(rtt_med, "splitcore");
    for name in ITEM_IMPLS {
        let m = med(rtt_med, name);
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} |",
            m,
            best_min(rtt_med, name),
            med(rtt_p99, name),
            best_min(rtt_p99, name),
            m / sc
        );
    }
    let rt = med(rtt_med, "rtrb");
    println!(
        "\nsplitcore ÷ rtrb median round trip: **{:.2}×** (goal ≤ 1.00); paired within each repetition: {}\n",
        sc / rt,
        paired_text(paired(rtt_med, "splitcore", &["rtrb"], false))
    );
}

fn push_pop_table(pp: &Samples, cfg: &Config) {
    println!("## 3. Single-thread push+pop ({} pairs per run, ns per pair, lower is better)\n", cfg.pairs);
    println!("| queue | median | best | median ÷ splitcore |");
    println!("|---|---:|---:|---:|");
    let sc = med(pp, "splitcore");
    for name in ITEM_IMPLS {
        let m = med(pp, name);
        println!("| {name} | {:.2} | {:.2} | {:.2} |", m, best_min(pp, name), m / sc);
    }
    println!();
}

fn message_table(msg: &Samples, cfg: &Config) {
    println!(
        "## 4. 64-byte message throughput ({} messages per run, {} KiB rings, GB/s of payload, higher is better)\n",
        cfg.msgs,
        splitcore_ipc_bench::queues::MSG_RING / 1024
    );
    println!("| queue | median | best | median ÷ splitcore frames |");
    println!("|---|---:|---:|---:|");
    let sc = med(msg, "splitcore frames");
    for name in MSG_IMPLS {
        let m = med(msg, name);
        println!("| {name} | {:.2} | {:.2} | {:.2} |", m / 1e9, best_max(msg, name) / 1e9, m / sc);
    }
    let bbq = med(msg, "bbqueue framed");
    let rtrb = med(msg, "rtrb [u8; 64]");
    println!(
        "\nsplitcore frames ÷ bbqueue: **{:.2}×** (goal ≥ 10), paired within each repetition {}; \
         rtrb `[u8; 64]` ÷ splitcore frames: **{:.2}×** (goal ≤ 1.5), paired {}\n",
        sc / bbq,
        paired_text(paired(msg, "splitcore frames", &["bbqueue framed"], true)),
        rtrb / sc,
        paired_text(paired(msg, "rtrb [u8; 64]", &["splitcore frames"], true))
    );
}

fn med(s: &Samples, name: &str) -> f64 {
    s.get(name).map_or(f64::NAN, |v| median(&mut v.clone()))
}

/// Ratios taken within each repetition (`num`'s sample ÷ the better of `dens`' samples of
/// the same repetition, `higher_is_better` deciding "better"): the implementations of one
/// repetition run back to back, so a pairwise ratio is less exposed to the machine's load
/// changing between repetitions. Returns the median, lowest and highest ratio.
fn paired(s: &Samples, num: &str, dens: &[&str], higher_is_better: bool) -> (f64, f64, f64) {
    let Some(n) = s.get(num) else { return (f64::NAN, f64::NAN, f64::NAN) };
    let mut ratios: Vec<f64> = (0..n.len())
        .map(|rep| {
            let den = dens
                .iter()
                .filter_map(|d| s.get(*d).and_then(|v| v.get(rep)).copied())
                .reduce(|a, b| if (b > a) == higher_is_better { b } else { a })
                .unwrap_or(f64::NAN);
            n[rep] / den
        })
        .collect();
    let lo = ratios.iter().copied().fold(f64::MAX, f64::min);
    let hi = ratios.iter().copied().fold(f64::MIN, f64::max);
    (median(&mut ratios), lo, hi)
}

/// `median× (per repetition lo–hi×)`.
fn paired_text((m, lo, hi): (f64, f64, f64)) -> String {
    format!("{m:.2}× (per repetition {lo:.2}–{hi:.2}×)")
}

fn best_max(s: &Samples, name: &str) -> f64 {
    s.get(name).map_or(f64::NAN, |v| v.iter().copied().fold(f64::MIN, f64::max))
}

fn best_min(s: &Samples, name: &str) -> f64 {
    s.get(name).map_or(f64::NAN, |v| v.iter().copied().fold(f64::MAX, f64::min))
}

/// The name and median of whichever of `names` has the higher median.
fn higher_median<'a>(s: &Samples, names: &[&'a str]) -> (&'a str, f64) {
    names.iter().map(|&n| (n, med(s, n))).fold(("", f64::MIN), |a, b| if b.1 > a.1 { b } else { a })
}

/// Instructions executed by `<mode> <name> <n>` (`mode`: `callgrind` or `callgrind-msg`)
/// under valgrind.
fn callgrind_ir(mode: &str, name: &str, n: u64) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::env::temp_dir().join(format!("splitcore-ipc-bench.{}.{n}.callgrind", std::process::id()));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&exe)
        .args([mode, name, &n.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("valgrind: {e}"))?;
    if !status.success() {
        return Err(format!("valgrind exited with {status}"));
    }
    let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&out);
    callgrind_total(&text).ok_or_else(|| "no totals in callgrind output".into())
}

fn callgrind_table() {
    const N1: u64 = 100_000;
    const N2: u64 = 300_000;
    println!(
        "## 5. Instructions per push+pop (callgrind; runs of {N1} and {N2} pairs after 1000 warm-up pairs, \
         difference ÷ {}; deterministic)\n",
        N2 - N1
    );
    let Some(counts) = instruction_rows("callgrind", N1, N2, "pair", &ITEM_IMPLS, "splitcore") else {
        return;
    };
    let sc = counts.get("splitcore").copied().unwrap_or(f64::NAN);
    println!("\nsplitcore: **{sc:.2}** instructions per push+pop including the loop (goal ≤ 22)\n");
}

fn callgrind_msg_table() {
    const N1: u64 = 50_000;
    const N2: u64 = 150_000;
    println!(
        "## 6. Instructions per 64-byte message (callgrind; send then receive on one thread, runs of {N1} \
         and {N2} messages after 1000 warm-up ones, difference ÷ {}; deterministic)\n",
        N2 - N1
    );
    let Some(counts) = instruction_rows("callgrind-msg", N1, N2, "message", &MSG_IMPLS, "splitcore frames")
    else {
        return;
    };
    let get = |n: &str| counts.get(n).copied().unwrap_or(f64::NAN);
    println!(
        "\nbbqueue ÷ splitcore frames: **{:.2}×** instructions per message; splitcore frames ÷ rtrb `[u8; 64]`: \
         **{:.2}×**\n",
        get("bbqueue framed") / get("splitcore frames"),
        get("splitcore frames") / get("rtrb [u8; 64]")
    );
}

/// Prints the table of instructions per `unit` of `<mode> <name>` for each of `names` (the
/// `baseline` workload's count subtracted in a column, ratios to `reference`, which comes
/// first in `names`) and returns the counts; `None`, after saying so, if valgrind cannot run.
fn instruction_rows<'a>(
    mode: &str,
    n1: u64,
    n2: u64,
    unit: &str,
    names: &[&'a str],
    reference: &str,
) -> Option<BTreeMap<&'a str, f64>> {
    let base = match per_op(mode, "baseline", n1, n2) {
        Ok(b) => b,
        Err(e) => {
            println!("callgrind unavailable: {e}\n");
            return None;
        }
    };
    println!("| queue | instructions per {unit} | minus loop overhead ({base:.2}) | ÷ {reference} |");
    println!("|---|---:|---:|---:|");
    let mut counts = BTreeMap::new();
    for &name in names {
        match per_op(mode, name, n1, n2) {
            Ok(v) => {
                counts.insert(name, v);
                let r = counts.get(reference).copied().unwrap_or(f64::NAN);
                println!("| {name} | {v:.2} | {:.2} | {:.2} |", v - base, v / r);
            }
            Err(e) => println!("| {name} | error: {e} | | |"),
        }
    }
    Some(counts)
}

/// Instructions per operation of `<mode> <name>`: the difference between runs of `n1` and
/// `n2` operations, divided by `n2 - n1` (set-up and warm-up cancel out).
fn per_op(mode: &str, name: &str, n1: u64, n2: u64) -> Result<f64, String> {
    eprintln!("{mode} {name}");
    let (a, b) = (callgrind_ir(mode, name, n1)?, callgrind_ir(mode, name, n2)?);
    Ok((b as f64 - a as f64) / (n2 - n1) as f64)
}
