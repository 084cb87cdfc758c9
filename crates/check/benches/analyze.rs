//! Times the whole check on the largest firmware archive found (not a timed test: it prints).
//! `cargo bench -p splitcore-check` (or `splitcore check --bench-iterations N <archive>`).

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../firmware/target/standalone/xtensa-esp32s3-none-elf/release");
    let largest = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "a"))
        .max_by_key(|p| p.metadata().map(|m| m.len()).unwrap_or(0));
    let Some(archive) = largest else {
        println!("no archive in {} (cargo xtask build): nothing to time", dir.display());
        return;
    };
    let size = archive.metadata().map(|m| m.len()).unwrap_or(0);
    let config = splitcore_check::Config::new(&archive);
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let report = splitcore_check::check(&config).expect("archive loads");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(report);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{} ({:.1} MB): 20 runs, min {:.2} ms, median {:.2} ms, max {:.2} ms",
        archive.display(),
        size as f64 / 1e6,
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
