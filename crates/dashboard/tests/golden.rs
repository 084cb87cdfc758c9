//! Golden messages shared with the page's JavaScript decoder: built here from the real
//! `TelemetrySample` / `TaskStats` structs and written to
//! `examples/motor-position/dashboard/tests/golden/`, where `node --test` decodes them with
//! `decode.mjs` and compares with `expected.json`. This test fails when the committed files
//! differ from what the structs produce now; `SPLITCORE_BLESS=1` rewrites them.

use std::path::PathBuf;

use motor_position_control::protocol::TelemetrySample;
use serde_json::{json, Value};
use splitcore_dashboard::wire::{self, decode, Decoded};
use splitcore_exec::{Period, Release, TaskStats};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/motor-position/dashboard/tests/golden")
}

fn samples() -> Vec<TelemetrySample> {
    let edge = [0.1f32, -std::f32::consts::PI, -0.0, f32::MAX, f32::MIN_POSITIVE, 1e-45, -1.0, 123_456.79];
    (0..5u32)
        .map(|i| TelemetrySample {
            seq: if i == 4 { u32::MAX } else { 1000 + i },
            time_us: 4_294_967_000u32.wrapping_add(i * 1000), // wraps inside the batch
            setpoint_rad: edge[i as usize % edge.len()],
            position_rad: edge[(i as usize + 1) % edge.len()],
            velocity_rad_s: edge[(i as usize + 2) % edge.len()],
            velocity_ref_rad_s: edge[(i as usize + 3) % edge.len()],
            current_a: edge[(i as usize + 4) % edge.len()],
            current_ref_a: edge[(i as usize + 5) % edge.len()],
            duty: edge[(i as usize + 6) % edge.len()],
            flags: [0, 1, 0b1001, 0b0110, u32::MAX][i as usize],
        })
        .collect()
}

fn stats() -> TaskStats {
    let mut stats = TaskStats::new(&Period::from_hz_at(20_000, 240_000_000).expect("valid rate"));
    for (i, lateness) in [0u32, 1, 2, 3, 100, 5000, 20_000, u32::MAX].into_iter().enumerate() {
        let release = Release { lateness, missed_periods: u32::from(i == 6), ..Release::default() };
        stats.record(&release, 1500 + 700 * i as u32);
    }
    // A long run: a sum beyond 2^53 (the page must keep it exact) with a mean that fits u32.
    stats.releases = 3_000_000;
    stats.exec_sum = (1u64 << 53) + 12_345;
    stats
}

fn num(v: f32) -> Value {
    json!(v as f64)
}

fn sample_json(s: &TelemetrySample) -> Value {
    json!({
        "seq": s.seq, "time_us": s.time_us,
        "setpoint_rad": num(s.setpoint_rad), "position_rad": num(s.position_rad),
        "velocity_rad_s": num(s.velocity_rad_s), "velocity_ref_rad_s": num(s.velocity_ref_rad_s),
        "current_a": num(s.current_a), "current_ref_a": num(s.current_ref_a),
        "duty": num(s.duty), "flags": s.flags,
    })
}

fn stats_json(s: &TaskStats) -> Value {
    json!({
        "rate_hz": s.rate_hz, "period_ticks": s.period_ticks, "ticks_per_second": s.ticks_per_second,
        "releases": s.releases, "overruns": s.overruns, "missed_releases": s.missed_releases,
        "rearms": s.rearms, "exec_min": s.exec_min, "exec_max": s.exec_max, "exec_last": s.exec_last,
        "jitter_max": s.jitter_max, "reserved": s.reserved,
        "exec_sum": s.exec_sum.to_string(), "jitter_hist": s.jitter_hist.to_vec(),
        "exec_mean": s.exec_mean(),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Malformed messages and the error code both decoders must give.
fn invalid_cases(telemetry: &[u8], stats: &[u8]) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let with = |base: &[u8], at: usize, v: u8| {
        let mut b = base.to_vec();
        b[at] = v;
        b
    };
    vec![
        ("empty", vec![], "too_short"),
        ("header cut", telemetry[..7].to_vec(), "too_short"),
        ("kind 0", with(telemetry, 0, 0), "unknown_kind"),
        ("kind 3", with(telemetry, 0, 3), "unknown_kind"),
        ("version 2", with(telemetry, 1, 2), "bad_version"),
        ("telemetry record size 44", with(telemetry, 4, 44), "bad_record_size"),
        ("stats record size 40", with(stats, 4, 40), "bad_record_size"),
        ("reserved set", with(telemetry, 7, 1), "reserved_not_zero"),
        ("telemetry count 0", [with(telemetry, 2, 0)[..8].to_vec()].concat(), "bad_count"),
        (
            "telemetry count 257",
            {
                let mut b = with(telemetry, 2, 1);
                b[3] = 1;
                b
            },
            "bad_count",
        ),
        ("stats count 2", with(stats, 2, 2), "bad_count"),
        ("one byte missing", telemetry[..telemetry.len() - 1].to_vec(), "bad_length"),
        ("one byte extra", [telemetry, &[0]].concat(), "bad_length"),
        ("count says 4, 5 sent", with(telemetry, 2, 4), "bad_length"),
    ]
}

#[test]
fn golden_files_match_the_structs() {
    let samples = samples();
    let stats = stats();
    let telemetry = wire::encode_samples(&samples).expect("5 samples fit");
    let stats_bytes = wire::encode_stats(&stats);

    // Round trip here first.
    assert_eq!(decode(&telemetry), Ok(Decoded::Telemetry(samples.clone())));
    assert_eq!(decode(&stats_bytes), Ok(Decoded::Stats(stats)));

    let invalid = invalid_cases(&telemetry, &stats_bytes);
    for (name, bytes, code) in &invalid {
        let got = decode(bytes).expect_err(name);
        assert_eq!(got.code(), *code, "{name}: {got}");
    }

    let expected = json!({
        "_comment": "Written by crates/dashboard/tests/golden.rs from the Rust structs (SPLITCORE_BLESS=1 rewrites); read by decode.test.mjs.",
        "telemetry": { "file": "telemetry.bin", "samples": samples.iter().map(sample_json).collect::<Vec<_>>() },
        "stats": { "file": "stats.bin", "stats": stats_json(&stats) },
        "invalid": invalid.iter().map(|(name, bytes, code)| json!({"name": name, "hex": hex(bytes), "code": code})).collect::<Vec<_>>(),
    });
    let expected_text = serde_json::to_string_pretty(&expected).expect("serialisable") + "\n";

    let dir = golden_dir();
    let files: [(&str, &[u8]); 3] = [
        ("telemetry.bin", &telemetry),
        ("stats.bin", &stats_bytes),
        ("expected.json", expected_text.as_bytes()),
    ];
    if std::env::var_os("SPLITCORE_BLESS").is_some() {
        std::fs::create_dir_all(&dir).expect("create golden dir");
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).expect("write golden file");
        }
        return;
    }
    for (name, bytes) in files {
        let path = dir.join(name);
        let committed = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with SPLITCORE_BLESS=1 to create it)", path.display()));
        assert!(
            committed == bytes,
            "{} differs from what the structs produce now; rerun with SPLITCORE_BLESS=1 and commit",
            path.display()
        );
    }
}
