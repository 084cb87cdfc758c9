//! **Stand-in for testing the page, to be replaced by the host twin** (issue 9): serves the
//! dashboard and feeds it from a made-up loop in real time — a first-order position
//! follower with a speed limit, 1 kHz telemetry, synthetic loop statistics and status. None
//! of it is the example's control code or plant model; it exists so the browser test and a
//! person at a browser can exercise the page before the twin is merged.
//!
//! ```sh
//! cargo run -p splitcore-dashboard --example fake_loop -- --addr 127.0.0.1:8080
//! cargo run -p splitcore-dashboard --example fake_loop -- --addr 127.0.0.1:0 --url-file /tmp/url --seconds 60
//! cargo run -p splitcore-dashboard --example fake_loop -- --crash-after 3   # a made-up crash, then a restart
//! ```
//!
//! `--crash-after S` plays a core-1 crash S seconds in: status `crashed`, a crash report
//! (invented, marked as such), no telemetry for a second, then a restart (sample counter and
//! time from zero, `restarts` 1), so the page's crash and restart handling can be tested.

use std::time::{Duration, Instant};

use motor_position_control::protocol::TelemetrySample;
use splitcore_dashboard::{Command, Config, Core1State, Dashboard, Status};
use splitcore_exec::{Period, Release, TaskStats};

struct Args {
    addr: String,
    url_file: Option<String>,
    seconds: Option<f64>,
    crash_after: Option<f64>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { addr: "127.0.0.1:8080".into(), url_file: None, seconds: None, crash_after: None };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => args.addr = value("--addr")?,
            "--url-file" => args.url_file = Some(value("--url-file")?),
            "--seconds" => {
                let v = value("--seconds")?;
                let s: f64 = v.parse().map_err(|_| format!("--seconds: `{v}` is not a number"))?;
                if s.is_nan() || s <= 0.0 {
                    return Err(format!("--seconds must be above 0, got {s}"));
                }
                args.seconds = Some(s);
            }
            "--crash-after" => {
                let v = value("--crash-after")?;
                let s: f64 = v.parse().map_err(|_| format!("--crash-after: `{v}` is not a number"))?;
                if s.is_nan() || s <= 0.0 {
                    return Err(format!("--crash-after must be above 0, got {s}"));
                }
                args.crash_after = Some(s);
            }
            "-h" | "--help" => {
                return Err(
                    "usage: fake_loop [--addr HOST:PORT] [--url-file PATH] [--seconds S] [--crash-after S]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(args)
}

/// The made-up plant and loop.
struct FakeLoop {
    seq: u32,
    time_us: u32,
    enabled: bool,
    target: f32,
    limit: f32,
    position: f32,
    velocity: f32,
    current: f32,
    noise: u32,
}

impl FakeLoop {
    fn noise(&mut self) -> f32 {
        // xorshift32: deterministic measurement noise, ±0.5.
        self.noise ^= self.noise << 13;
        self.noise ^= self.noise >> 17;
        self.noise ^= self.noise << 5;
        (self.noise as f32 / u32::MAX as f32) - 0.5
    }

    /// One millisecond.
    fn step(&mut self) -> TelemetrySample {
        let dt = 0.001f32;
        let (velocity_ref, current_ref) = if self.enabled {
            let v_ref = (8.0 * (self.target - self.position)).clamp(-self.limit, self.limit);
            (v_ref, (0.4 * (v_ref - self.velocity) + 0.02 * v_ref).clamp(-3.0, 3.0))
        } else {
            (0.0, 0.0)
        };
        // Velocity follows its reference with a 30 ms lag; the current is what that takes.
        let accel = if self.enabled { (velocity_ref - self.velocity) / 0.03 } else { -self.velocity / 0.3 };
        self.velocity += accel * dt;
        self.position += self.velocity * dt;
        self.current += (current_ref - self.current) * 0.2;
        let current = self.current + 0.01 * self.noise();
        let duty =
            if self.enabled { (0.08 * self.velocity + 0.5 * current).clamp(-1.0, 1.0) / 2.0 } else { 0.0 };
        let mut flags = 0;
        if self.enabled {
            flags |= TelemetrySample::FLAG_ENABLED;
            if (self.target - self.position).abs() < 0.01 {
                flags |= TelemetrySample::FLAG_SETTLED;
            }
        }
        self.seq = self.seq.wrapping_add(1);
        self.time_us = self.time_us.wrapping_add(1000);
        TelemetrySample {
            seq: self.seq,
            time_us: self.time_us,
            setpoint_rad: if self.enabled { self.target } else { self.position },
            position_rad: self.position + 0.0005 * self.noise(),
            velocity_rad_s: self.velocity,
            velocity_ref_rad_s: velocity_ref,
            current_a: current,
            current_ref_a: current_ref,
            duty,
            flags,
        }
    }
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fake_loop: {e}");
            std::process::exit(2);
        }
    };
    let config = Config { source: "fake-loop (stand-in for the twin)".into(), ..Config::default() };
    let dashboard = match Dashboard::start_with(args.addr.as_str(), config) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("fake_loop: cannot serve on {}: {e}", args.addr);
            std::process::exit(1);
        }
    };
    println!("fake_loop: dashboard on {}", dashboard.url());
    if let Some(path) = &args.url_file {
        if let Err(e) = std::fs::write(path, dashboard.url()) {
            eprintln!("fake_loop: cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
    let period = match Period::from_hz_at(20_000, 240_000_000) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("fake_loop: {e:?}");
            std::process::exit(1);
        }
    };
    let mut stats = TaskStats::new(&period);
    let mut sim = FakeLoop {
        seq: 0,
        time_us: 0,
        enabled: true,
        target: 0.0,
        limit: 20.0,
        position: 0.0,
        velocity: 0.0,
        current: 0.0,
        noise: 0x1234_5678,
    };
    let commands = dashboard.commands();
    dashboard.publish_log(
        "fake_loop: a stand-in loop for testing the page (not the twin, not the example's control code)",
    );
    let start = Instant::now();
    let mut next = start;
    let mut done_ms = 0u64;
    let mut tick = 0u64;
    let mut heartbeat = 0u32;
    let mut restarts = 0u32;
    // While "crashed": when core 1 comes back.
    let mut down_until: Option<Instant> = None;
    loop {
        if args.seconds.is_some_and(|s| start.elapsed().as_secs_f64() >= s) {
            break;
        }
        for command in commands.try_iter() {
            match command {
                Command::Position { position_rad, velocity_limit_rad_s } => {
                    sim.enabled = true;
                    sim.target = position_rad;
                    sim.limit = velocity_limit_rad_s;
                    dashboard.publish_log(&format!(
                        "setpoint: {position_rad:.3} rad at <= {velocity_limit_rad_s} rad/s"
                    ));
                }
                Command::Disable => {
                    sim.enabled = false;
                    dashboard.publish_log("setpoint: disabled");
                }
            }
        }
        if restarts == 0
            && down_until.is_none()
            && args.crash_after.is_some_and(|s| start.elapsed().as_secs_f64() >= s)
        {
            crash(&dashboard, heartbeat, start);
            down_until = Some(Instant::now() + Duration::from_secs(1));
        }
        if let Some(until) = down_until {
            if Instant::now() < until {
                done_ms = start.elapsed().as_millis() as u64;
                sleep_until(&mut next);
                continue;
            }
            // Core 1 "restarts": counters and time from zero, the plant where it was.
            down_until = None;
            restarts += 1;
            sim.seq = 0;
            sim.time_us = 0;
            stats = TaskStats::new(&period);
            dashboard.publish_log("fake_loop: core 1 restarted (simulated)");
        }
        // Catch up with real time in 1 ms steps, published every 20 ms.
        let due_ms = start.elapsed().as_millis() as u64;
        let batch: Vec<TelemetrySample> = (done_ms..due_ms).map(|_| sim.step()).collect();
        done_ms = due_ms;
        if !batch.is_empty() {
            dashboard.publish_samples(&batch);
        }
        // 20 control periods per sample: made-up execution times around 9 us, jitter mostly small.
        for _ in 0..batch.len() * 20 {
            let n = sim.noise() + 0.5;
            let lateness = if n > 0.999 { 3000 } else { (n * n * 90.0) as u32 };
            let exec = 2000 + (n * 400.0) as u32;
            stats.record(&Release { lateness, ..Release::default() }, exec);
        }
        tick += 1;
        if tick.is_multiple_of(5) {
            dashboard.publish_stats(&stats);
        }
        if tick.is_multiple_of(25) {
            heartbeat = heartbeat.wrapping_add(25);
            dashboard.publish_status(&Status {
                core1: Core1State::Running,
                heartbeat,
                stack_high_water_bytes: 2304,
                restarts,
                uptime_ms: start.elapsed().as_millis() as u64,
                detail: "fake loop: first-order follower, not the twin".into(),
            });
        }
        sleep_until(&mut next);
    }
    println!("fake_loop: done, {:?}", dashboard.counters());
}

/// Sleeps to the next 20 ms boundary (or resynchronises when late).
fn sleep_until(next: &mut Instant) {
    *next += Duration::from_millis(20);
    let now = Instant::now();
    if *next > now {
        std::thread::sleep(*next - now);
    } else {
        *next = now;
    }
}

/// A made-up core-1 crash: status, an invented report in ESP-IDF's format, a log line.
fn crash(dashboard: &Dashboard, heartbeat: u32, start: Instant) {
    dashboard.publish_status(&Status {
        core1: Core1State::Crashed,
        heartbeat,
        stack_high_water_bytes: 2304,
        restarts: 0,
        uptime_ms: start.elapsed().as_millis() as u64,
        detail: "fake loop: simulated crash".into(),
    });
    dashboard.publish_crash(
        "fake_loop: SIMULATED crash report (made up for testing the page)\n\
         Guru Meditation Error: Core  1 panic'ed (LoadProhibited). Exception was unhandled.\n\
         PC      : 0x42001a2c  PS      : 0x00060a30  A0      : 0x82001b10  A1      : 0x3fc9e0f0\n\
         EXCVADDR: 0x00000000\n\
         \n\
         Backtrace: 0x42001a29:0x3fc9e0f0 0x42001b0d:0x3fc9e110 0x40378f21:0x3fc9e130",
    );
    dashboard.publish_log("fake_loop: core 1 crashed (simulated); restarting in 1 s");
}
