//! Step-response metrics, their bounds, and the report files (SVG plot, text, JSON).

use std::fmt::{self, Write as _};
use std::path::Path;

use motor_position_control::protocol::TelemetrySample;
use serde::Serialize;
use splitcore_exec::TaskStats;

use crate::runner::RunSummary;

/// The response to one setpoint change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepMetrics {
    /// When the new setpoint took effect, s.
    pub start_s: f64,
    /// Measured position when it did, rad.
    pub from_rad: f64,
    /// The new setpoint, rad.
    pub to_rad: f64,
    /// 10 % → 90 % of the step, s (`None`: never reached 90 %).
    pub rise_time_s: Option<f64>,
    /// Largest excursion beyond the target, % of the step.
    pub overshoot_pct: f64,
    /// From the step until the position last entered the ±2 % band (at least ±2 encoder
    /// counts) for good, s (`None`: not within the band at the end of the window).
    pub settling_time_s: Option<f64>,
    /// Mean |target − position| over the last 100 ms of the window, rad.
    pub steady_state_error_rad: f64,
    /// Length of the window (until the next setpoint, until control stopped, or the end), s.
    pub window_s: f64,
    /// Control stopped (a fault, a restart) before the next setpoint: settling and
    /// steady-state error are not judged.
    pub interrupted: bool,
}

/// Loop timing from core 1's published statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoopTiming {
    /// Rate, Hz.
    pub rate_hz: u32,
    /// Releases.
    pub releases: u32,
    /// Periods whose execution took longer than the period.
    pub overruns: u32,
    /// Releases skipped.
    pub missed_releases: u32,
    /// Execution time min/mean/max, µs.
    pub exec_us: [f64; 3],
    /// Release jitter p50/p99/max, µs.
    pub jitter_us: [f64; 3],
}

impl LoopTiming {
    /// From the executive's statistics.
    pub fn from_stats(s: &TaskStats) -> Self {
        let us = |ticks: u64| s.ticks_to_ns(ticks) as f64 / 1000.0;
        let exec_min = if s.releases == 0 { 0 } else { s.exec_min };
        LoopTiming {
            rate_hz: s.rate_hz,
            releases: s.releases,
            overruns: s.overruns,
            missed_releases: s.missed_releases,
            exec_us: [us(exec_min as u64), us(s.exec_mean() as u64), us(s.exec_max as u64)],
            jitter_us: [
                us(s.jitter_quantile(500).unwrap_or(0) as u64),
                us(s.jitter_quantile(990).unwrap_or(0) as u64),
                us(s.jitter_max as u64),
            ],
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// One entry per setpoint change of at least [`MIN_STEP_RAD`] seen in the telemetry.
    pub steps: Vec<StepMetrics>,
    /// Loop timing of the last boot (`None`: no statistics were published).
    pub timing: Option<LoopTiming>,
    /// Telemetry samples received.
    pub telemetry_received: u64,
    /// Samples lost (sequence gaps).
    pub telemetry_gaps: u64,
    /// Core-1 boots.
    pub boots: u32,
    /// Restarts by core 0.
    pub restarts: u32,
    /// Crash reports.
    pub crash_reports: u32,
    /// Errors core 0 reported.
    pub errors: u32,
    /// Virtual duration, s.
    pub duration_s: f64,
}

/// What counts as a well-behaved closed loop (the example's tuning meets these with margin;
/// `motor-position-twin run` exits non-zero when one is violated).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bounds {
    /// Largest 10–90 % rise time, s.
    pub rise_time_s: f64,
    /// Largest overshoot, %.
    pub overshoot_pct: f64,
    /// Largest settling time (±2 % band), s.
    pub settling_time_s: f64,
    /// Largest steady-state error, rad (about 3 encoder counts).
    pub steady_state_error_rad: f64,
    /// Largest number of overruns.
    pub overruns: u32,
}

impl Bounds {
    /// The bounds for the example's step scenario (π rad at up to 40 rad/s: the speed limit
    /// alone makes the rise about 63 ms; the −π/2 step, 4.7 rad, about 94 ms). Measured:
    /// rise 62 / 93 ms, overshoot 0 / 0.03 %, settling 82 / 120 ms, no steady-state error.
    pub const EXAMPLE: Bounds = Bounds {
        rise_time_s: 0.12,
        overshoot_pct: 2.0,
        settling_time_s: 0.25,
        steady_state_error_rad: 0.005,
        overruns: 0,
    };
}

impl Metrics {
    /// Measures `samples` (in order) and the run's totals.
    ///
    /// ```
    /// use motor_position_twin::{run, Bounds, Metrics, TwinConfig};
    /// let record = run(TwinConfig::step_response(600), |_| {})?;
    /// let m = Metrics::measure(&record.samples, &record.summary, 4096);
    /// assert_eq!(m.steps.len(), 1);
    /// assert!(m.violations(&Bounds::EXAMPLE).is_empty(), "{m}");
    /// # Ok::<(), motor_position_twin::TwinError>(())
    /// ```
    pub fn measure(samples: &[TelemetrySample], summary: &RunSummary, counts_per_rev: u32) -> Metrics {
        Metrics {
            steps: steps(samples, counts_per_rev),
            timing: summary.last_stats.as_ref().map(LoopTiming::from_stats),
            telemetry_received: summary.telemetry_received,
            telemetry_gaps: summary.telemetry_gaps,
            boots: summary.boots,
            restarts: summary.restarts,
            crash_reports: summary.crash_reports,
            errors: summary.errors,
            duration_s: summary.end_us as f64 / 1e6,
        }
    }

    /// Every violated bound, described (empty: within bounds).
    pub fn violations(&self, b: &Bounds) -> Vec<String> {
        let mut v = Vec::new();
        if self.steps.is_empty() {
            v.push("no setpoint step in the telemetry".to_string());
        }
        for (i, s) in self.steps.iter().enumerate() {
            let step =
                format!("step {} ({:.3} -> {:.3} rad at {:.3} s)", i + 1, s.from_rad, s.to_rad, s.start_s);
            match s.rise_time_s {
                Some(t) if t <= b.rise_time_s => {}
                Some(t) => v.push(format!("{step}: rise time {t:.4} s > {} s", b.rise_time_s)),
                None if s.interrupted => {}
                None => v.push(format!("{step}: never reached 90 % of the step")),
            }
            if s.overshoot_pct > b.overshoot_pct {
                v.push(format!("{step}: overshoot {:.2} % > {} %", s.overshoot_pct, b.overshoot_pct));
            }
            if s.interrupted {
                continue;
            }
            match s.settling_time_s {
                Some(t) if t <= b.settling_time_s => {}
                Some(t) => v.push(format!("{step}: settling time {t:.4} s > {} s", b.settling_time_s)),
                None => v.push(format!("{step}: not settled at the end of its window")),
            }
            if s.steady_state_error_rad > b.steady_state_error_rad {
                v.push(format!(
                    "{step}: steady-state error {:.5} rad > {} rad",
                    s.steady_state_error_rad, b.steady_state_error_rad
                ));
            }
        }
        match &self.timing {
            Some(t) if t.overruns > b.overruns => v.push(format!("{} overruns > {}", t.overruns, b.overruns)),
            Some(_) => {}
            None => v.push("no loop statistics were published".to_string()),
        }
        v
    }
}

/// Smaller setpoint changes (e.g. re-acquiring the position after a restart) are not measured
/// as steps.
pub const MIN_STEP_RAD: f64 = 0.05;

fn steps(samples: &[TelemetrySample], counts_per_rev: u32) -> Vec<StepMetrics> {
    let t = |s: &TelemetrySample| s.time_us as f64 / 1e6;
    let enabled = |s: &TelemetrySample| s.flags & TelemetrySample::FLAG_ENABLED != 0;
    // Window starts: the first enabled sample and every change of the setpoint.
    let mut starts: Vec<usize> = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        if !enabled(s) {
            continue;
        }
        let changed = match starts.last() {
            None => true,
            Some(&j) => {
                let prev: &TelemetrySample = &samples[i - 1];
                !enabled(prev)
                    || prev.setpoint_rad != s.setpoint_rad
                    || samples[j].setpoint_rad != s.setpoint_rad
            }
        };
        if changed {
            starts.push(i);
        }
    }
    let count = core::f64::consts::TAU / counts_per_rev.max(1) as f64;
    let mut out = Vec::new();
    for (k, &i0) in starts.iter().enumerate() {
        // The window: until the next setpoint, or until control stops (bridge off, core 1
        // crashed or restarting), whichever comes first.
        let next = starts.get(k + 1).copied().unwrap_or(samples.len());
        let end = samples[i0..next].iter().position(|s| !enabled(s)).map_or(next, |j| i0 + j);
        let w = &samples[i0..end];
        let (from, to) = (w[0].position_rad as f64, w[0].setpoint_rad as f64);
        let delta = to - from;
        if delta.abs() < MIN_STEP_RAD || w.len() < 2 {
            continue;
        }
        let dir = delta.signum();
        let progress = |s: &TelemetrySample| (s.position_rad as f64 - from) / delta;
        let t10 = w.iter().find(|s| progress(s) >= 0.1).map(t);
        let t90 = w.iter().find(|s| progress(s) >= 0.9).map(t);
        let rise_time_s = t10.zip(t90).map(|(a, b)| b - a);
        let overshoot = w.iter().map(|s| (s.position_rad as f64 - to) * dir).fold(0.0, f64::max);
        let band = (0.02 * delta.abs()).max(2.0 * count);
        let outside = |s: &TelemetrySample| (s.position_rad as f64 - to).abs() > band;
        let settling_time_s = match w.iter().rposition(outside) {
            None => Some(0.0),
            Some(last) if last + 1 < w.len() => Some(t(&w[last + 1]) - t(&w[0])),
            Some(_) => None,
        };
        let t_end = t(&w[w.len() - 1]);
        let tail: Vec<f64> =
            w.iter().filter(|s| t(s) >= t_end - 0.1).map(|s| (to - s.position_rad as f64).abs()).collect();
        out.push(StepMetrics {
            start_s: t(&w[0]),
            from_rad: from,
            to_rad: to,
            rise_time_s,
            overshoot_pct: 100.0 * overshoot / delta.abs(),
            settling_time_s,
            steady_state_error_rad: tail.iter().sum::<f64>() / tail.len().max(1) as f64,
            window_s: t_end - t(&w[0]),
            interrupted: end < next,
        });
    }
    out
}

impl fmt::Display for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "motor-position twin: {:.3} s of virtual time", self.duration_s)?;
        for (i, s) in self.steps.iter().enumerate() {
            let opt = |v: Option<f64>| v.map_or("never".to_string(), |t| format!("{:.1} ms", t * 1e3));
            writeln!(
                f,
                "step {}: {:+.4} -> {:+.4} rad at {:.3} s: rise {}, overshoot {:.2} %, settling {}, steady-state error {:.2} mrad{}",
                i + 1,
                s.from_rad,
                s.to_rad,
                s.start_s,
                opt(s.rise_time_s),
                s.overshoot_pct,
                opt(s.settling_time_s),
                s.steady_state_error_rad * 1e3,
                if s.interrupted {
                    format!(" (control stopped after {:.3} s: not judged)", s.window_s)
                } else {
                    String::new()
                }
            )?;
        }
        if let Some(t) = &self.timing {
            writeln!(
                f,
                "control loop: {} Hz, {} releases, exec min/mean/max {:.3}/{:.3}/{:.3} us, jitter p50/p99/max {:.3}/{:.3}/{:.3} us, {} overruns, {} missed releases",
                t.rate_hz,
                t.releases,
                t.exec_us[0],
                t.exec_us[1],
                t.exec_us[2],
                t.jitter_us[0],
                t.jitter_us[1],
                t.jitter_us[2],
                t.overruns,
                t.missed_releases
            )?;
        }
        writeln!(
            f,
            "telemetry: {} samples, {} lost; core 1: {} boots, {} restarts, {} crash reports; {} errors",
            self.telemetry_received,
            self.telemetry_gaps,
            self.boots,
            self.restarts,
            self.crash_reports,
            self.errors
        )
    }
}

/// Draws position/setpoint and current/duty against time into an SVG file.
pub fn plot_svg(path: &Path, samples: &[TelemetrySample], title: &str) -> Result<(), String> {
    use plotters::prelude::*;
    let err = |e: &dyn fmt::Display| format!("plotting {}: {e}", path.display());
    if samples.is_empty() {
        return Err(format!("plotting {}: no telemetry samples", path.display()));
    }
    let root = SVGBackend::new(path, (1100, 760)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, bottom) = root.split_vertically(440);
    let t0 = samples[0].time_us as f64 / 1e6;
    let t1 = samples[samples.len() - 1].time_us as f64 / 1e6;
    let t = |s: &TelemetrySample| s.time_us as f64 / 1e6;
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for s in samples {
        for v in [s.position_rad as f64, s.setpoint_rad as f64] {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let pad = ((hi - lo) * 0.08).max(0.1);
    let mut chart = ChartBuilder::on(&top)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(t0..t1.max(t0 + 1e-3), (lo - pad)..(hi + pad))
        .map_err(|e| err(&e))?;
    chart.configure_mesh().x_desc("time (s)").y_desc("position (rad)").draw().map_err(|e| err(&e))?;
    chart
        .draw_series(LineSeries::new(samples.iter().map(|s| (t(s), s.setpoint_rad as f64)), &BLACK))
        .map_err(|e| err(&e))?
        .label("setpoint")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK));
    chart
        .draw_series(LineSeries::new(samples.iter().map(|s| (t(s), s.position_rad as f64)), &BLUE))
        .map_err(|e| err(&e))?
        .label("position (encoder)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| err(&e))?;

    let amax = samples
        .iter()
        .flat_map(|s| [s.current_a.abs(), s.current_ref_a.abs(), s.duty.abs()])
        .filter(|v| v.is_finite())
        .fold(1.0f32, f32::max) as f64;
    let mut chart = ChartBuilder::on(&bottom)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(t0..t1.max(t0 + 1e-3), (-amax * 1.1)..(amax * 1.1))
        .map_err(|e| err(&e))?;
    chart.configure_mesh().x_desc("time (s)").y_desc("current (A), duty").draw().map_err(|e| err(&e))?;
    type Field = fn(&TelemetrySample) -> f32;
    let series: [(&str, RGBColor, Field); 3] = [
        ("current (ADC)", RED, |s| s.current_a),
        ("current reference", MAGENTA, |s| s.current_ref_a),
        ("duty", GREEN, |s| s.duty),
    ];
    for (name, color, get) in series {
        chart
            .draw_series(LineSeries::new(samples.iter().map(|s| (t(s), get(s) as f64)), &color))
            .map_err(|e| err(&e))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// Writes `metrics.txt`, `metrics.json` and `step-response.svg` into `dir` (created if
/// missing); returns the paths written.
pub fn write_reports(
    dir: &Path,
    samples: &[TelemetrySample],
    metrics: &Metrics,
    bounds: &Bounds,
) -> Result<Vec<std::path::PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let svg = dir.join("step-response.svg");
    plot_svg(&svg, samples, "motor-position twin: step response")?;
    let violations = metrics.violations(bounds);
    let mut text = metrics.to_string();
    if violations.is_empty() {
        let _ = writeln!(text, "within bounds: {bounds:?}");
    } else {
        for v in &violations {
            let _ = writeln!(text, "OUT OF BOUNDS: {v}");
        }
    }
    let txt = dir.join("metrics.txt");
    std::fs::write(&txt, &text).map_err(|e| format!("writing {}: {e}", txt.display()))?;
    #[derive(Serialize)]
    struct Json<'a> {
        metrics: &'a Metrics,
        bounds: &'a Bounds,
        violations: &'a [String],
        pass: bool,
    }
    let json = serde_json::to_string_pretty(&Json {
        metrics,
        bounds,
        violations: &violations,
        pass: violations.is_empty(),
    })
    .map_err(|e| format!("encoding metrics: {e}"))?;
    let js = dir.join("metrics.json");
    std::fs::write(&js, json).map_err(|e| format!("writing {}: {e}", js.display()))?;
    Ok(vec![svg, txt, js])
}
