//! The live twin behind the dashboard, seen by a WebSocket client as the page sees it:
//! telemetry (40-byte samples) at about 1 kHz, statistics and status; a setpoint from the page
//! reaches the core-1 control code and the position follows; a core-1 panic shows up as a
//! crash report, a `crashed` status and a restart.

use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use motor_position_control::protocol::TelemetrySample;
use motor_position_twin::serve::{LiveTwin, ServeError, ServeOptions};
use motor_position_twin::{Fault, RunSummary};
use splitcore_dashboard::wire::{decode, Decoded};
use tungstenite::{Message, WebSocket};

struct Served {
    url: String,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Result<RunSummary, motor_position_twin::serve::ServeError>>,
}

fn serve(options: ServeOptions) -> Served {
    let live = LiveTwin::start(&options).unwrap();
    let url = live.url();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = std::thread::spawn(move || live.run(&flag, |_| {}));
    Served { url, stop, thread }
}

impl Served {
    fn finish(self) -> RunSummary {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap().expect("the twin finished its run")
    }
}

fn connect(url: &str) -> WebSocket<TcpStream> {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (ws, _) = tungstenite::client(format!("ws://{host}/ws"), stream).unwrap();
    ws
}

/// What the page received so far.
#[derive(Default)]
struct Seen {
    samples: Vec<TelemetrySample>,
    stats: usize,
    texts: Vec<serde_json::Value>,
}

impl Seen {
    /// Reads messages until `done` holds or `timeout` passes; returns whether it held.
    fn until(
        &mut self,
        ws: &mut WebSocket<TcpStream>,
        timeout: Duration,
        done: impl Fn(&Seen) -> bool,
    ) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if done(self) {
                return true;
            }
            match ws.read().unwrap() {
                Message::Binary(bytes) => match decode(&bytes).unwrap() {
                    Decoded::Telemetry(s) => self.samples.extend(s),
                    Decoded::Stats(_) => self.stats += 1,
                },
                Message::Text(text) => self.texts.push(serde_json::from_str(text.as_str()).unwrap()),
                _ => {}
            }
        }
        done(self)
    }

    fn last(&self) -> TelemetrySample {
        *self.samples.last().expect("telemetry")
    }

    fn texts_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a serde_json::Value> + 'a {
        self.texts.iter().filter(move |t| t["type"] == kind)
    }
}

#[test]
fn a_page_sees_the_twin_and_its_setpoint_reaches_core_1() {
    let served = serve(ServeOptions { addr: "127.0.0.1:0".into(), ..ServeOptions::default() });
    let mut ws = connect(&served.url);
    let mut seen = Seen::default();
    // Hello first, then the twin's own telemetry, statistics and status.
    assert!(seen.until(&mut ws, Duration::from_secs(10), |s| s.samples.len() >= 500
        && s.stats > 0
        && s.texts_of("status").any(|t| t["core1"] == "running")));
    assert_eq!(seen.texts[0]["type"], "hello");
    assert_eq!(seen.texts[0]["source"], "twin");
    let seqs: Vec<u32> = seen.samples.iter().map(|s| s.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "consecutive samples, none lost");
    let span_us = seen.last().time_us - seen.samples[0].time_us;
    assert_eq!(span_us as usize, (seen.samples.len() - 1) * 1000, "1 kHz telemetry in core-1 time");
    assert!(seen.last().position_rad.abs() < 0.05, "holding 0 rad: {:?}", seen.last());

    ws.send(Message::text(r#"{"cmd":"position","position_rad":1.5,"velocity_limit_rad_s":20}"#)).unwrap();
    assert!(
        seen.until(&mut ws, Duration::from_secs(5), |s| s.last().setpoint_rad == 1.5),
        "the setpoint reached core 1: {:?}",
        seen.last()
    );
    assert!(seen.texts_of("command").count() == 1, "the command was echoed");
    assert!(
        seen.until(&mut ws, Duration::from_secs(5), |s| (s.last().position_rad - 1.5).abs() < 0.01),
        "the position follows: {:?}",
        seen.last()
    );
    assert!(seen
        .texts_of("log")
        .any(|t| t["line"].as_str().unwrap().contains("core 0: setpoint #2: 1.500 rad")));
    ws.send(Message::text(r#"{"cmd":"disable"}"#)).unwrap();
    assert!(
        seen.until(&mut ws, Duration::from_secs(5), |s| s.last().flags & TelemetrySample::FLAG_ENABLED == 0)
    );
    let summary = served.finish();
    assert_eq!((summary.boots, summary.restarts, summary.telemetry_gaps), (1, 0, 0), "{summary:?}");
}

#[test]
fn a_core1_panic_after_the_page_connected_shows_the_report_and_the_restart() {
    let served = serve(ServeOptions {
        addr: "127.0.0.1:0".into(),
        speed: 2.0,
        faults: vec![(Fault::Core1Panic, 500)],
        ..ServeOptions::default()
    });
    let mut ws = connect(&served.url);
    let mut seen = Seen::default();
    assert!(seen.until(&mut ws, Duration::from_secs(10), |s| s.texts_of("crash").count() == 1));
    let report = seen.texts_of("crash").next().unwrap()["report"].as_str().unwrap().to_string();
    assert!(report.starts_with("Guru Meditation Error: Core  1 panic'ed (Rust panic)"), "{report}");
    assert!(report.contains("injected fault: control step panicked"), "{report}");
    assert!(report.contains("\nBacktrace:"), "{report}");
    assert!(seen
        .until(&mut ws, Duration::from_secs(5), |s| s.texts_of("status").any(|t| t["core1"] == "crashed")));
    // Down for the back-off (1 s virtual), then running again with a restart counted.
    assert!(seen.until(&mut ws, Duration::from_secs(5), |s| s
        .texts_of("status")
        .any(|t| t["core1"] == "running" && t["restarts"] == 1)));
    let before = seen.samples.len();
    assert!(seen.until(&mut ws, Duration::from_secs(5), |s| s.samples.len() > before + 200));
    assert!(seen.last().seq < 2000, "the new boot numbers its samples from 0: {:?}", seen.last());
    let summary = served.finish();
    assert_eq!((summary.boots, summary.restarts, summary.crash_reports), (2, 1, 1), "{summary:?}");
}

#[test]
fn bad_options_are_named() {
    let refuse = |o: ServeOptions| match LiveTwin::start(&o) {
        Err(ServeError::Options(why)) => why,
        other => panic!("accepted: {other:?}"),
    };
    assert!(refuse(ServeOptions { speed: f64::NAN, ..ServeOptions::default() }).starts_with("speed NaN"));
    assert!(refuse(ServeOptions { speed: 1000.0, ..ServeOptions::default() }).starts_with("speed 1000"));
    assert!(refuse(ServeOptions { seconds: Some(0.0), ..ServeOptions::default() }).starts_with("seconds 0"));
    let bad_addr =
        LiveTwin::start(&ServeOptions { addr: "not-an-address".into(), ..ServeOptions::default() });
    match bad_addr {
        Err(e @ ServeError::Bind { .. }) => {
            assert!(e.to_string().starts_with("cannot serve the dashboard on not-an-address"))
        }
        other => panic!("{other:?}"),
    }
}
