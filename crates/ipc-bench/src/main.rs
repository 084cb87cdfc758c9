//! `splitcore-ipc-bench`: splitcore-ipc against rtrb, ringbuf, heapless, crossbeam,
//! std's `sync_channel` and bbqueue, in one process, printing Markdown tables.
//!
//! ```text
//! splitcore-ipc-bench [--quick] [--reps N] [--no-callgrind]
//! splitcore-ipc-bench callgrind <impl|baseline> <pairs>   # workload for valgrind
//! ```

use std::collections::BTreeMap;
use std::process::Command;

use splitcore_ipc_bench::{
    callgrind_total, callgrind_workload, median, msg_throughput, percentile, push_pop_ns, rotated,
    round_trips, throughput, with_msg_queue, with_queue, ITEM_IMPLS, MSG_IMPLS,
};

struct Config {
    reps: usize,
    items: u64,
    round_trips: usize,
    pairs: u64,
    msgs: u64,
    callgrind: bool,
    quick: bool,
}

/// Per-impl samples of one measurement.
type Samples = BTreeMap<&'static str, Vec<f64>>;

fn usage() -> ! {
    eprintln!(
        "usage: splitcore-ipc-bench [--quick] [--reps N] [--no-callgrind]\n       \
         splitcore-ipc-bench callgrind <impl|baseline> <pairs>"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("callgrind") {
        let (Some(name), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse().ok())) else { usage() };
        callgrind_workload(name, n);
        return;
    }
    let mut cfg = Config {
        reps: 5,
        items: 20_000_000,
        round_trips: 200_000,
        pairs: 20_000_000,
        msgs: 4_000_000,
        callgrind: true,
        quick: false,
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
                    callgrind: false,
                    quick: true,
                }
            }
            "--reps" => {
                cfg.reps =
                    it.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0).unwrap_or_else(|| usage())
            }
            "--no-callgrind" => cfg.callgrind = false,
            "--callgrind" => cfg.callgrind = true,
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
        for name in rotated(&ITEM_IMPLS, rep) {
            let v = with_queue!(name, throughput(cfg.items));
            tput.entry(name).or_default().push(v);
        }
        for name in rotated(&ITEM_IMPLS, rep) {
            let mut s = with_queue!(name, round_trips(cfg.round_trips));
            rtt_med.entry(name).or_default().push(median(&mut s));
            rtt_p99.entry(name).or_default().push(percentile(&mut s, 99.0));
        }
        for name in rotated(&ITEM_IMPLS, rep) {
            let v = with_queue!(name, push_pop_ns(cfg.pairs));
            pp.entry(name).or_default().push(v);
        }
        for name in rotated(&MSG_IMPLS, rep) {
            let v = with_msg_queue!(name, msg_throughput(cfg.msgs));
            msg.entry(name).or_default().push(v);
        }
    }

    // 1. Throughput.
    println!("## 1. Two-thread throughput ({} u64 items per run, Mitems/s, higher is better)\n", cfg.items);
    let best_competitor = higher_median(&mut tput, &["rtrb", "ringbuf"]);
    println!("| queue | median | best | median ÷ splitcore |");
    println!("|---|---:|---:|---:|");
    let sc = med(&mut tput, "splitcore");
    for name in ITEM_IMPLS {
        let (m, b) = (med(&mut tput, name), best_max(&tput, name));
        println!("| {name} | {:.1} | {:.1} | {:.2} |", m / 1e6, b / 1e6, m / sc);
    }
    println!(
        "\nsplitcore ÷ best of rtrb/ringbuf ({}): **{:.2}×** (goal ≥ 1.20)\n",
        best_competitor.0,
        sc / best_competitor.1
    );

    // 2. Latency.
    println!(
        "## 2. Round-trip latency (ping-pong over two queues, {} round trips per run after warm-up, ns, \
         lower is better; includes one `Instant::now()` pair)\n",
        cfg.round_trips
    );
    println!("| queue | median of medians | best median | median p99 | best p99 | median ÷ splitcore |");
    println!("|---|---:|---:|---:|---:|---:|");
    let sc = med(&mut rtt_med, "splitcore");
    for name in ITEM_IMPLS {
        let m = med(&mut rtt_med, name);
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} |",
            m,
            best_min(&rtt_med, name),
            med(&mut rtt_p99, name),
            best_min(&rtt_p99, name),
            m / sc
        );
    }
    let rt = med(&mut rtt_med, "rtrb");
    println!("\nsplitcore ÷ rtrb median round trip: **{:.2}×** (goal ≤ 1.00)\n", sc / rt);

    // 3. Single thread.
    println!("## 3. Single-thread push+pop ({} pairs per run, ns per pair, lower is better)\n", cfg.pairs);
    println!("| queue | median | best | median ÷ splitcore |");
    println!("|---|---:|---:|---:|");
    let sc = med(&mut pp, "splitcore");
    for name in ITEM_IMPLS {
        let m = med(&mut pp, name);
        println!("| {name} | {:.2} | {:.2} | {:.2} |", m, best_min(&pp, name), m / sc);
    }
    println!();

    // 4. Messages.
    println!(
        "## 4. 64-byte message throughput ({} messages per run, {} KiB rings, GB/s of payload, higher is better)\n",
        cfg.msgs,
        splitcore_ipc_bench::queues::MSG_RING / 1024
    );
    println!("| queue | median | best | median ÷ splitcore frames |");
    println!("|---|---:|---:|---:|");
    let sc = med(&mut msg, "splitcore frames");
    for name in MSG_IMPLS {
        let m = med(&mut msg, name);
        println!("| {name} | {:.2} | {:.2} | {:.2} |", m / 1e9, best_max(&msg, name) / 1e9, m / sc);
    }
    let bbq = med(&mut msg, "bbqueue framed");
    let rtrb = med(&mut msg, "rtrb [u8; 64]");
    println!(
        "\nsplitcore frames ÷ bbqueue: **{:.2}×** (goal ≥ 10); rtrb `[u8; 64]` ÷ splitcore frames: **{:.2}×** \
         (goal ≤ 1.5)\n",
        sc / bbq,
        rtrb / sc
    );

    // 5. Callgrind.
    if cfg.callgrind {
        callgrind_table();
    } else {
        println!("## 5. Instructions per push+pop (callgrind): skipped\n");
    }
}

fn med(s: &mut Samples, name: &str) -> f64 {
    s.get_mut(name).map_or(f64::NAN, |v| median(v))
}

fn best_max(s: &Samples, name: &str) -> f64 {
    s.get(name).map_or(f64::NAN, |v| v.iter().copied().fold(f64::MIN, f64::max))
}

fn best_min(s: &Samples, name: &str) -> f64 {
    s.get(name).map_or(f64::NAN, |v| v.iter().copied().fold(f64::MAX, f64::min))
}

/// The name and median of whichever of `names` has the higher median.
fn higher_median<'a>(s: &mut Samples, names: &[&'a str]) -> (&'a str, f64) {
    names.iter().map(|&n| (n, med(s, n))).fold(("", f64::MIN), |a, b| if b.1 > a.1 { b } else { a })
}

/// Instructions executed by `callgrind <name> <n>` under valgrind.
fn callgrind_ir(name: &str, n: u64) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::env::temp_dir().join(format!("splitcore-ipc-bench.{}.{n}.callgrind", std::process::id()));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&exe)
        .args(["callgrind", name, &n.to_string()])
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
    let per_pair = |name: &str| -> Result<f64, String> {
        eprintln!("callgrind {name}");
        let (a, b) = (callgrind_ir(name, N1)?, callgrind_ir(name, N2)?);
        Ok((b as f64 - a as f64) / (N2 - N1) as f64)
    };
    println!(
        "## 5. Instructions per push+pop (callgrind; runs of {N1} and {N2} pairs after 1000 warm-up pairs, \
         difference ÷ {}; deterministic)\n",
        N2 - N1
    );
    let base = match per_pair("baseline") {
        Ok(b) => b,
        Err(e) => {
            println!("callgrind unavailable: {e}\n");
            return;
        }
    };
    println!("| queue | instructions per pair | minus loop overhead ({base:.2}) | ÷ splitcore |");
    println!("|---|---:|---:|---:|");
    let mut sc = f64::NAN;
    for name in ITEM_IMPLS {
        match per_pair(name) {
            Ok(v) => {
                if name == "splitcore" {
                    sc = v;
                }
                println!("| {name} | {v:.2} | {:.2} | {:.2} |", v - base, v / sc);
            }
            Err(e) => println!("| {name} | error: {e} | | |"),
        }
    }
    println!("\nsplitcore: **{sc:.2}** instructions per push+pop including the loop (goal ≤ 22)\n");
}
