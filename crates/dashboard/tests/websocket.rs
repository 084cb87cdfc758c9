//! The server end to end over real sockets: page files over HTTP, a tungstenite WebSocket
//! client receiving what is published and sending commands, bad input from the page, several
//! pages, a page that never reads, and shutdown.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use motor_position_control::protocol::TelemetrySample;
use splitcore_dashboard::wire::{decode, Decoded};
use splitcore_dashboard::{Command, Config, Core1State, Dashboard, ServerText, Status};
use splitcore_exec::{Period, Release, TaskStats};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Client = WebSocket<MaybeTlsStream<TcpStream>>;

fn connect(addr: SocketAddr) -> Client {
    let (mut ws, response) = tungstenite::connect(format!("ws://{addr}/ws")).expect("websocket connects");
    assert_eq!(response.status(), 101);
    if let MaybeTlsStream::Plain(s) = ws.get_mut() {
        s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    }
    ws
}

/// Next data message (skips pings), or panics after the read timeout.
fn next(ws: &mut Client) -> Message {
    loop {
        match ws.read().expect("message within 5 s") {
            m @ (Message::Text(_) | Message::Binary(_)) => return m,
            _ => continue,
        }
    }
}

fn next_text(ws: &mut Client) -> ServerText {
    loop {
        if let Message::Text(t) = next(ws) {
            return serde_json::from_str(t.as_str()).expect("server JSON parses");
        }
    }
}

/// Reads until `pred` holds for a text message, returning it.
fn wait_text(ws: &mut Client, pred: impl Fn(&ServerText) -> bool) -> ServerText {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let m = next_text(ws);
        if pred(&m) {
            return m;
        }
    }
    panic!("expected message did not arrive");
}

fn samples(first: u32, n: u32) -> Vec<TelemetrySample> {
    (first..first + n)
        .map(|i| TelemetrySample {
            seq: i,
            time_us: i * 1000,
            position_rad: i as f32 * 0.01,
            flags: TelemetrySample::FLAG_ENABLED,
            ..Default::default()
        })
        .collect()
}

fn http(addr: SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    s.write_all(request.as_bytes()).expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("response");
    out
}

fn wait_until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn serves_the_page_files() {
    let d = Dashboard::start("127.0.0.1:0").expect("start");
    let index = http(d.local_addr(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(index.starts_with("HTTP/1.1 200 OK\r\n"), "{index}");
    assert!(index.contains("Content-Type: text/html"));
    assert!(index.contains("<script type=\"module\" src=\"app.mjs\">"));
    for file in ["app.mjs", "decode.mjs", "plot.mjs", "style.css"] {
        let r = http(d.local_addr(), &format!("GET /{file} HTTP/1.1\r\n\r\n"));
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{file}: {r}");
    }
    let head = http(d.local_addr(), "HEAD /decode.mjs HTTP/1.1\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"), "{head}");
    assert!(http(d.local_addr(), "GET /../Cargo.toml HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
    assert!(http(d.local_addr(), "POST / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
    let bad = http(d.local_addr(), "garbage\r\n\r\n");
    assert!(bad.starts_with("HTTP/1.1 400") && bad.contains("METHOD PATH VERSION"), "{bad}");
    let no_upgrade = http(d.local_addr(), "GET /ws HTTP/1.1\r\n\r\n");
    assert!(no_upgrade.starts_with("HTTP/1.1 400") && no_upgrade.contains("Upgrade: websocket missing"));
}

#[test]
fn page_receives_everything_published_and_sends_commands() {
    let config = Config { source: "test".into(), ..Config::default() };
    let d = Dashboard::start_with("127.0.0.1:0", config).expect("start");
    let mut ws = connect(d.local_addr());
    assert_eq!(
        next_text(&mut ws),
        ServerText::Hello { protocol: 1, source: "test".into(), telemetry_hz: 1000 }
    );
    wait_until("client registered", || d.counters().clients == 1);

    // 300 samples: two messages (256 + 44), bytes decoded back to the same structs.
    let sent = samples(1, 300);
    d.publish_samples(&sent);
    let mut got = Vec::new();
    while got.len() < sent.len() {
        let Message::Binary(b) = next(&mut ws) else { panic!("binary expected") };
        let Ok(Decoded::Telemetry(s)) = decode(&b) else { panic!("telemetry expected") };
        got.extend(s);
    }
    assert_eq!(got, sent);

    let mut stats = TaskStats::new(&Period::from_hz_at(20_000, 240_000_000).expect("rate"));
    stats.record(&Release { lateness: 7, ..Release::default() }, 2100);
    d.publish_stats(&stats);
    let Message::Binary(b) = next(&mut ws) else { panic!("binary expected") };
    assert_eq!(decode(&b), Ok(Decoded::Stats(stats)));

    let status = Status {
        core1: Core1State::Running,
        heartbeat: 42,
        stack_high_water_bytes: 2048,
        restarts: 1,
        uptime_ms: 1234,
        detail: "twin".into(),
    };
    d.publish_status(&status);
    assert_eq!(next_text(&mut ws), ServerText::Status(status));
    d.publish_log("core 1 up\n");
    assert_eq!(next_text(&mut ws), ServerText::Log { line: "core 1 up".into() });
    d.publish_crash("Guru Meditation Error: Core 1 panic'ed\nBacktrace: 0x1:0x2");
    assert_eq!(
        next_text(&mut ws),
        ServerText::Crash { report: "Guru Meditation Error: Core 1 panic'ed\nBacktrace: 0x1:0x2".into() }
    );

    // A setpoint from the page reaches the application and is echoed to the pages.
    let commands = d.commands();
    ws.send(Message::text(r#"{"cmd":"position","position_rad":1.5,"velocity_limit_rad_s":12}"#))
        .expect("send");
    let cmd = commands.recv_timeout(Duration::from_secs(5)).expect("command arrives");
    assert_eq!(cmd, Command::Position { position_rad: 1.5, velocity_limit_rad_s: 12.0 });
    let echo = wait_text(&mut ws, |m| matches!(m, ServerText::Command { .. }));
    assert_eq!(
        serde_json::to_value(&echo).expect("json")["command"],
        serde_json::json!({"cmd":"position","position_rad":1.5,"velocity_limit_rad_s":12.0})
    );
    ws.send(Message::text(r#"{"cmd":"disable"}"#)).expect("send");
    assert_eq!(commands.recv_timeout(Duration::from_secs(5)), Ok(Command::Disable));
    assert_eq!(d.counters().commands, 2);
    assert_eq!(d.counters().samples_published, 300);
}

#[test]
fn bad_messages_from_the_page_are_rejected_with_a_specific_error_and_logged() {
    let d = Dashboard::start("127.0.0.1:0").expect("start");
    let mut ws = connect(d.local_addr());
    let _hello = next_text(&mut ws);
    let cases: [(Message, &str, &str); 7] = [
        (Message::text("{not json"), "json", "not JSON"),
        (Message::text("[1,2]"), "not_an_object", "JSON object"),
        (Message::text(r#"{"cmd":"spin"}"#), "unknown_command", "`spin`"),
        (Message::text(r#"{"cmd":"position","position_rad":1}"#), "missing_field", "velocity_limit_rad_s"),
        (
            Message::text(r#"{"cmd":"position","position_rad":"1","velocity_limit_rad_s":3}"#),
            "wrong_type",
            "position_rad",
        ),
        (
            Message::text(r#"{"cmd":"position","position_rad":5000,"velocity_limit_rad_s":3}"#),
            "out_of_range",
            "5000",
        ),
        (Message::binary(vec![1, 2, 3]), "binary", "binary message of 3 bytes"),
    ];
    for (i, (message, code, text)) in cases.into_iter().enumerate() {
        ws.send(message).expect("send");
        let ServerText::Error { code: got_code, message } =
            wait_text(&mut ws, |m| matches!(m, ServerText::Error { .. }))
        else {
            unreachable!()
        };
        assert_eq!(got_code, code, "{message}");
        assert!(message.contains(text), "{code}: {message}");
        let ServerText::Log { line } = wait_text(&mut ws, |m| matches!(m, ServerText::Log { .. })) else {
            unreachable!()
        };
        assert!(line.starts_with("dashboard: rejected a message from 127.0.0.1:"), "{line}");
        assert!(line.ends_with(&format!("({code})")), "{line}");
        assert_eq!(d.counters().rejected_messages, i as u64 + 1);
    }
    assert!(d.commands().try_recv().is_err(), "no bad message became a command");
    // The connection still works.
    ws.send(Message::text(r#"{"cmd":"disable"}"#)).expect("send");
    assert_eq!(d.commands().recv_timeout(Duration::from_secs(5)), Ok(Command::Disable));

    // A message beyond the WebSocket size limit closes that connection, nothing else.
    ws.send(Message::text("x".repeat(100_000))).expect("send");
    let closed = (0..100).any(|_| ws.read().is_err());
    assert!(closed, "the oversized message closes the connection");
    wait_until("client gone", || d.counters().clients == 0);
    let mut again = connect(d.local_addr());
    assert!(matches!(next_text(&mut again), ServerText::Hello { .. }));
}

#[test]
fn several_pages_and_a_late_one_gets_the_snapshot() {
    let d = Dashboard::start("127.0.0.1:0").expect("start");
    let mut a = connect(d.local_addr());
    let mut b = connect(d.local_addr());
    wait_until("two clients", || d.counters().clients == 2);
    d.publish_samples(&samples(10, 3));
    for ws in [&mut a, &mut b] {
        let _hello = next_text(ws);
        let Message::Binary(bytes) = next(ws) else { panic!("binary expected") };
        assert_eq!(decode(&bytes), Ok(Decoded::Telemetry(samples(10, 3))));
    }
    let status = Status {
        core1: Core1State::Crashed,
        heartbeat: 1,
        stack_high_water_bytes: 0,
        restarts: 0,
        uptime_ms: 0,
        detail: String::new(),
    };
    d.publish_status(&status);
    d.publish_log("line 1");
    d.publish_log("line 2");
    d.publish_crash("report");
    let mut late = connect(d.local_addr());
    assert!(matches!(next_text(&mut late), ServerText::Hello { .. }));
    assert_eq!(next_text(&mut late), ServerText::Status(status));
    assert_eq!(next_text(&mut late), ServerText::Crash { report: "report".into() });
    assert_eq!(next_text(&mut late), ServerText::Log { line: "line 1".into() });
    assert_eq!(next_text(&mut late), ServerText::Log { line: "line 2".into() });
}

#[test]
fn a_page_that_never_reads_does_not_block_the_publisher() {
    let config = Config { queue_capacity: 16, ..Config::default() };
    let d = Dashboard::start_with("127.0.0.1:0", config).expect("start");
    let _stuck = connect(d.local_addr()); // never read
    let mut live = connect(d.local_addr());
    wait_until("two clients", || d.counters().clients == 2);
    let batch = samples(0, 256); // 10 KiB per message
    let start = Instant::now();
    for _ in 0..3000 {
        d.publish_samples(&batch); // 30 MB in all: far beyond socket buffers and queues
    }
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(3), "publishing took {elapsed:?}");
    let last = samples(99_999, 1);
    d.publish_samples(&last);
    assert!(d.counters().dropped_messages > 0, "{:?}", d.counters());
    // The page that reads still gets the newest sample.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "live page never saw the last sample");
        if let Message::Binary(b) = next(&mut live) {
            if decode(&b) == Ok(Decoded::Telemetry(last.clone())) {
                break;
            }
        }
    }
}

#[test]
fn refuses_pages_beyond_the_limit_and_stops_cleanly() {
    let config = Config { max_clients: 1, ..Config::default() };
    let d = Dashboard::start_with("127.0.0.1:0", config).expect("start");
    let addr = d.local_addr();
    let mut first = connect(addr);
    wait_until("one client", || d.counters().clients == 1);
    match tungstenite::connect(format!("ws://{addr}/ws")) {
        Err(tungstenite::Error::Http(r)) => assert_eq!(r.status(), 503),
        other => panic!("second page accepted: {:?}", other.map(|(_, r)| r.status())),
    }
    let _hello = next_text(&mut first);
    drop(d);
    // The page sees the close, and the port is free again.
    let closed = (0..10).any(|_| first.read().is_err() || matches!(first.read(), Ok(Message::Close(_))));
    assert!(closed);
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

#[test]
fn start_rejects_bad_config_and_busy_ports() {
    let e =
        Dashboard::start_with("127.0.0.1:0", Config { queue_capacity: 0, ..Config::default() }).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    let d = Dashboard::start("127.0.0.1:0").expect("start");
    let e = Dashboard::start(d.local_addr()).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse);
}
