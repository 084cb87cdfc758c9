//! The IDF app's bridge (C, `examples/motor-position/idf/main/bridge.c`) against the Rust
//! side of every format: C initialises the region from its own spec table and Rust attaches
//! with protocol.rs's `LAYOUT` (so every descriptor and the checksum agree); Rust plays core 1
//! (telemetry frames, loop stats) and the page (decoding the C-built messages with the
//! dashboard's decoder, parsing the C-built JSON); page commands are parsed by both
//! implementations and must give the same result.

use std::ffi::{c_char, CStr, CString};

use motor_position_control::protocol::{Setpoint, TelemetrySample, LAYOUT, LOOP_STATS, SETPOINT, TELEMETRY};
use proptest::prelude::*;
use splitcore_dashboard::wire::{decode, Decoded};
use splitcore_dashboard::{parse_command, Command, ServerText};
use splitcore_exec::{Period, Release, TaskStats};
use splitcore_ipc::{Region, RegionBuf};
use splitcore_motor_idf_test::*;

type Buf = RegionBuf<{ LAYOUT.size() }>;

fn bridge(buf: &Buf) -> Box<MotorBridge> {
    // SAFETY: MotorBridge is plain data (handles are arrays of u64); all-zero is a valid
    // "closed" value, and motor_bridge_init overwrites it.
    let mut b: Box<MotorBridge> = Box::new(unsafe { std::mem::zeroed() });
    // SAFETY: `b` is writable; `buf` is LAYOUT.size() bytes, aligned, and outlives `b` in
    // every test.
    let st = unsafe { motor_bridge_init(&mut *b, buf.as_ptr(), LAYOUT.size() as u32, 0) };
    assert_eq!(st, 0, "motor_bridge_init");
    b
}

fn sample(i: u32) -> TelemetrySample {
    TelemetrySample {
        seq: i,
        time_us: i.wrapping_mul(1000),
        setpoint_rad: 1.0,
        position_rad: i as f32 * 0.001,
        velocity_rad_s: -(i as f32),
        velocity_ref_rad_s: f32::from_bits(0x7fc0_0001), // a NaN payload must survive too
        current_a: 0.5,
        current_ref_a: 0.25,
        duty: -0.125,
        flags: i & 0xf,
    }
}

fn pack_telemetry(b: &mut MotorBridge, cap: usize, max: u32) -> Vec<u8> {
    let mut out = vec![0u8; cap];
    // SAFETY: `out` is writable for `cap` bytes.
    let n = unsafe { motor_pack_telemetry(b, out.as_mut_ptr(), cap, max) };
    assert!(n >= 0, "motor_pack_telemetry: {n}");
    out.truncate(n as usize);
    out
}

#[test]
fn c_layout_matches_protocol_rs() {
    let (mut size, mut align) = (0u32, 0u32);
    // SAFETY: both pointers are writable.
    assert_eq!(unsafe { motor_region_size(&mut size, &mut align) }, 0);
    assert_eq!((size as usize, align as usize), (LAYOUT.size(), LAYOUT.align()));
    let buf = Buf::new_boxed();
    let _b = bridge(&buf);
    let region = Region::attach(&*buf, &LAYOUT).expect("Rust attaches to the C-initialised region");
    // Core 1's ends are free; core 0's are claimed by the bridge.
    region.mailbox_reader(SETPOINT).expect("setpoint reader");
    region.frame_producer(TELEMETRY).expect("telemetry producer");
    region.mailbox_writer(LOOP_STATS).expect("stats writer");
    assert!(region.frame_consumer(TELEMETRY).is_err(), "the bridge holds the consumer end");
    // A second init without force refuses to clobber a live region.
    // SAFETY: as in `bridge`.
    let mut again: MotorBridge = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let st = unsafe { motor_bridge_init(&mut again, buf.as_ptr(), LAYOUT.size() as u32, 0) };
    assert!(st < 0, "second init without force: {st}");
}

#[test]
fn telemetry_frames_are_forwarded_unchanged() {
    let buf = Buf::new_boxed();
    let mut b = bridge(&buf);
    let region = Region::attach(&*buf, &LAYOUT).expect("attach");
    let mut frames = region.frame_producer(TELEMETRY).expect("producer");
    assert_eq!(pack_telemetry(&mut b, 8 + 40 * 256, 256), Vec::<u8>::new(), "nothing waiting");
    let mut sent = Vec::new();
    let mut got = Vec::new();
    let mut next = 0u32;
    for round in 0..40 {
        // Core 1 fills the ring (about 90 frames fit), with one bad frame now and then.
        while frames.send(bytemuck::bytes_of(&sample(next))).is_ok() {
            sent.push(sample(next));
            next += 1;
            if next.is_multiple_of(37) {
                frames.send(&[0u8; 12]).expect("room for the short frame");
            }
        }
        // Core 0 drains it in messages of at most 64 samples.
        loop {
            let m = pack_telemetry(&mut b, 8 + 40 * 64, if round % 2 == 0 { 64 } else { 1000 });
            if m.is_empty() {
                break;
            }
            match decode(&m) {
                Ok(Decoded::Telemetry(s)) => {
                    assert!(s.len() <= 64);
                    got.extend(s);
                }
                other => panic!("C message does not decode: {other:?}"),
            }
        }
    }
    assert!(sent.len() > 3000);
    assert_eq!(bytemuck::cast_slice::<_, u8>(&got), bytemuck::cast_slice::<_, u8>(&sent));
    assert_eq!(b.forwarded as usize, sent.len());
    assert_eq!(b.bad_frames, next / 37);
    // A buffer too small for one sample is an argument error, not a partial message.
    let mut small = [0u8; 47];
    // SAFETY: `small` is writable for its length.
    let st = unsafe { motor_pack_telemetry(&mut *b, small.as_mut_ptr(), small.len(), 10) };
    assert!(st < 0);
}

#[test]
fn loop_stats_are_forwarded_unchanged() {
    let buf = Buf::new_boxed();
    let mut b = bridge(&buf);
    let region = Region::attach(&*buf, &LAYOUT).expect("attach");
    let mut writer = region.mailbox_writer(LOOP_STATS).expect("writer");
    let mut out = [0u8; 128];
    // SAFETY: `out` is writable for 128 bytes.
    assert_eq!(unsafe { motor_pack_stats(&mut *b, out.as_mut_ptr(), out.len()) }, 0, "nothing published yet");
    let mut stats = TaskStats::new(&Period::from_hz_at(20_000, 240_000_000).expect("rate"));
    stats.record(&Release { lateness: 40, ..Release::default() }, 2222);
    writer.write(&stats);
    // SAFETY: as above.
    let n = unsafe { motor_pack_stats(&mut *b, out.as_mut_ptr(), out.len()) };
    assert_eq!(n, 128);
    assert_eq!(decode(&out), Ok(Decoded::Stats(stats)));
    // SAFETY: as above; too small a buffer.
    assert!(unsafe { motor_pack_stats(&mut *b, out.as_mut_ptr(), 127) } < 0);
}

fn c_parse(text: &str) -> Result<MotorCommand, (String, String)> {
    let mut cmd = MotorCommand::default();
    let mut err = [0 as c_char; 200];
    // SAFETY: `text` is valid for its length; `cmd` and `err` are writable.
    let r = unsafe {
        motor_parse_command(text.as_ptr().cast(), text.len(), &mut cmd, err.as_mut_ptr(), err.len())
    };
    if r == 0 {
        return Ok(cmd);
    }
    // SAFETY: the C functions return/write NUL-terminated strings.
    let code = unsafe { CStr::from_ptr(motor_command_error_code(r)) }.to_string_lossy().into_owned();
    // SAFETY: as above.
    let message = unsafe { CStr::from_ptr(err.as_ptr()) }.to_string_lossy().into_owned();
    Err((code, message))
}

/// The C and Rust parsers agree on `text`: same command, or the same error code.
fn same_verdict(text: &str) -> Result<(), String> {
    let rust = parse_command(text);
    let c = c_parse(text);
    match (&rust, &c) {
        (Ok(Command::Disable), Ok(cmd)) if cmd.mode == 0 => Ok(()),
        (Ok(Command::Position { position_rad, velocity_limit_rad_s }), Ok(cmd))
            if cmd.mode == 1
                && cmd.position_rad.to_bits() == position_rad.to_bits()
                && cmd.velocity_limit_rad_s.to_bits() == velocity_limit_rad_s.to_bits() =>
        {
            Ok(())
        }
        (Err(e), Err((code, message))) if e.code() == code && !message.is_empty() => Ok(()),
        _ => Err(format!("{text:?}: Rust {rust:?}, C {c:?}")),
    }
}

#[test]
fn c_and_rust_parse_page_commands_alike() {
    let corpus = [
        r#"{"cmd":"position","position_rad":1.5,"velocity_limit_rad_s":20}"#,
        r#" { "velocity_limit_rad_s" : 1e3 , "cmd" : "position" , "position_rad" : -1000 } "#,
        r#"{"cmd":"position","position_rad":0.1,"velocity_limit_rad_s":3.3333333333}"#,
        r#"{"cmd":"disable"}"#,
        r#"{"cmd":"dis\u0061ble"}"#,
        "",
        "   ",
        "{",
        "{not json",
        "[1,2]",
        "null",
        "\"position\"",
        "{}",
        r#"{"cmd":7}"#,
        r#"{"cmd":null}"#,
        r#"{"cmd":"spin"}"#,
        r#"{"cmd":"disable","now":true}"#,
        r#"{"cmd":"disable","position_rad":1}"#,
        r#"{"cmd":"position","position_rad":1,"velocity_limit_rad_s":2,"kp":3}"#,
        r#"{"cmd":"position","position_rad":1}"#,
        r#"{"cmd":"position","velocity_limit_rad_s":2}"#,
        r#"{"cmd":"position","position_rad":"1","velocity_limit_rad_s":3}"#,
        r#"{"cmd":"position","position_rad":1,"velocity_limit_rad_s":[3]}"#,
        r#"{"cmd":"position","position_rad":5000,"velocity_limit_rad_s":3}"#,
        r#"{"cmd":"position","position_rad":1,"velocity_limit_rad_s":0}"#,
        r#"{"cmd":"position","position_rad":1,"velocity_limit_rad_s":-0.0}"#,
        r#"{"cmd":"position","position_rad":1,"velocity_limit_rad_s":1000.0001}"#,
        r#"{"cmd":"position","position_rad":1e999,"velocity_limit_rad_s":2}"#,
        r#"{"cmd":"position","position_rad":01,"velocity_limit_rad_s":2}"#,
        r#"{"cmd":"position","position_rad":1.,"velocity_limit_rad_s":2}"#,
        r#"{"cmd":"position","position_rad":+1,"velocity_limit_rad_s":2}"#,
        r#"{"cmd":"disable",}"#,
        r#"{"cmd":"disable"} x"#,
        r#"{"cmd":"disable"}{"#,
        "{\"cmd\":\"dis\nable\"}",
        r#"{"cmd":"\ud800"}"#,
        r#"{"cmd":"\ud83d\ude00"}"#,
        r#"{"x":{"y":[1,{"z":null}],"w":true},"cmd":"disable"}"#,
        r#"{"cmd":"disable","cmd":"position","position_rad":2,"velocity_limit_rad_s":2}"#,
    ];
    let failures: Vec<String> = corpus.iter().filter_map(|t| same_verdict(t).err()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let long = format!(r#"{{"cmd":"disable","x":"{}"}}"#, "a".repeat(1100));
    same_verdict(&long).expect("too long on both sides");
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (-2000.0f64..2000.0).prop_map(|v| format!("{v}")),
        (-2000i32..2000).prop_map(|v| v.to_string()),
        (-9.0f64..9.0, -5i32..5).prop_map(|(m, e)| format!("{m:.3}e{e}")),
        Just("\"3\"".to_string()),
        Just("true".to_string()),
    ]
}

proptest! {
    #[test]
    fn c_and_rust_agree_on_generated_commands(
        cmd in prop_oneof![Just("position"), Just("disable"), Just("stop")],
        pos in proptest::option::of(number()),
        vel in proptest::option::of(number()),
        extra in proptest::option::of("[a-z]{1,6}"),
        space in "[ \t\n]{0,2}",
    ) {
        let mut fields = vec![format!("\"cmd\":{space}\"{cmd}\"")];
        if let Some(p) = pos { fields.push(format!("\"position_rad\":{p}")); }
        if let Some(v) = vel { fields.push(format!("\"velocity_limit_rad_s\"{space}:{v}")); }
        if let Some(e) = extra { fields.push(format!("\"{e}\":1")); }
        let text = format!("{{{space}{}}}", fields.join(&format!(",{space}")));
        prop_assert_eq!(same_verdict(&text), Ok(()));
    }

    #[test]
    fn c_parser_survives_any_input(text in ".{0,300}") {
        prop_assert_eq!(same_verdict(&text), Ok(()));
    }
}

#[test]
fn commands_reach_the_setpoint_mailbox() {
    let buf = Buf::new_boxed();
    let mut b = bridge(&buf);
    let region = Region::attach(&*buf, &LAYOUT).expect("attach");
    let reader = region.mailbox_reader(SETPOINT).expect("reader");
    let cmd = c_parse(r#"{"cmd":"position","position_rad":2.5,"velocity_limit_rad_s":10}"#).expect("valid");
    // SAFETY: `b` and `cmd` are valid.
    assert_eq!(unsafe { motor_apply_command(&mut *b, &cmd) }, 0);
    assert_eq!(reader.read().expect("read"), Some(Setpoint::position(1, 2.5, 10.0)));
    let off = c_parse(r#"{"cmd":"disable"}"#).expect("valid");
    // SAFETY: as above.
    assert_eq!(unsafe { motor_apply_command(&mut *b, &off) }, 0);
    assert_eq!(reader.read().expect("read"), Some(Setpoint::disabled(2)));
}

fn json(f: impl FnOnce(*mut c_char, usize) -> usize, cap: usize) -> Option<String> {
    let mut out = vec![0 as c_char; cap];
    let n = f(out.as_mut_ptr(), cap);
    if n == 0 {
        return None;
    }
    // SAFETY: the C functions NUL-terminate within `cap`.
    let s = unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().expect("UTF-8").to_string();
    assert_eq!(s.len(), n);
    Some(s)
}

fn server_text(s: &str) -> ServerText {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("C JSON {s:?} does not parse: {e}"))
}

#[test]
fn c_json_messages_parse_as_the_page_expects() {
    let source = CString::new("esp-idf").expect("no NUL");
    // SAFETY: valid buffers and strings.
    let hello = json(|o, c| unsafe { motor_json_hello(o, c, source.as_ptr(), 1000) }, 256).expect("fits");
    assert_eq!(
        server_text(&hello),
        ServerText::Hello { protocol: 1, source: "esp-idf".into(), telemetry_hz: 1000 }
    );

    let detail = CString::new("wifi \"lab\"\tap").expect("no NUL");
    // SAFETY: `motor_core1_state_name` returns a static string.
    let running = unsafe { motor_core1_state_name(2) };
    // SAFETY: valid buffers and strings.
    let status =
        json(|o, c| unsafe { motor_json_status(o, c, running, 7, 2048, 1, 1 << 40, detail.as_ptr()) }, 512)
            .expect("fits");
    let ServerText::Status(st) = server_text(&status) else { panic!("status expected") };
    assert_eq!(
        (st.core1, st.heartbeat, st.stack_high_water_bytes, st.restarts, st.uptime_ms, st.detail.as_str()),
        (splitcore_dashboard::Core1State::Running, 7, 2048, 1, 1 << 40, "wifi \"lab\"\tap")
    );

    for uptime in [0u64, 9, 10, u64::MAX] {
        // SAFETY: valid buffers and strings.
        let s =
            json(|o, c| unsafe { motor_json_status(o, c, running, 0, 0, 0, uptime, detail.as_ptr()) }, 512)
                .expect("fits");
        let ServerText::Status(st) = server_text(&s) else { panic!("status expected") };
        assert_eq!(st.uptime_ms, uptime, "{s}");
    }

    // Log text with quotes, backslashes, control characters, UTF-8 and invalid bytes.
    let raw: &[u8] = b"a \"q\" \\ \x01\x1f\n caf\xc3\xa9 \xf0\x9f\x98\x80 bad:\xff\xc3 end";
    let kind = CString::new("log").expect("no NUL");
    let field = CString::new("line").expect("no NUL");
    let text = |cap| {
        // SAFETY: valid buffers; `raw` is valid for its length.
        json(
            |o, c| unsafe {
                motor_json_text(o, c, kind.as_ptr(), field.as_ptr(), raw.as_ptr().cast(), raw.len())
            },
            cap,
        )
    };
    let full = text(512).expect("fits");
    assert_eq!(
        server_text(&full),
        ServerText::Log { line: "a \"q\" \\ \u{1}\u{1f}\n café 😀 bad:\u{fffd}\u{fffd} end".into() }
    );
    // Cut to fit: still valid JSON, a prefix of the line.
    for cap in 26..60 {
        if let Some(cut) = text(cap) {
            let ServerText::Log { line } = server_text(&cut) else { panic!("log expected") };
            assert!(
                full.len() > cut.len()
                    && "a \"q\" \\ \u{1}\u{1f}\n café".starts_with(&line[..line.len().min(10)])
            );
        }
    }
    assert_eq!(text(10), None, "no room for any valid message");

    let code = CString::new("out_of_range").expect("no NUL");
    let message = CString::new("position_rad 5000 outside ±1000").expect("no NUL");
    // SAFETY: valid buffers and strings.
    let error =
        json(|o, c| unsafe { motor_json_error(o, c, code.as_ptr(), message.as_ptr()) }, 256).expect("fits");
    assert_eq!(
        server_text(&error),
        ServerText::Error { code: "out_of_range".into(), message: "position_rad 5000 outside ±1000".into() }
    );

    for text in
        [r#"{"cmd":"position","position_rad":0.1,"velocity_limit_rad_s":12.5}"#, r#"{"cmd":"disable"}"#]
    {
        let cmd = c_parse(text).expect("valid");
        // SAFETY: valid buffer and command.
        let echo = json(|o, c| unsafe { motor_json_command(o, c, &cmd) }, 256).expect("fits");
        let want = ServerText::Command { command: parse_command(text).expect("valid").into() };
        assert_eq!(server_text(&echo), want, "{echo}");
    }
}
