//! Encoder/decoder round trips and command validation, Rust side.

use motor_position_control::protocol::{Setpoint, TelemetrySample};
use proptest::prelude::*;
use splitcore_dashboard::wire::{
    decode, encode_sample_messages, encode_samples, encode_stats, DecodeError, Decoded, EncodeError,
    MAX_COMMAND_LEN, MAX_SAMPLES_PER_MESSAGE,
};
use splitcore_dashboard::{parse_command, Command, CommandError};
use splitcore_exec::TaskStats;

fn sample_strategy() -> impl Strategy<Value = TelemetrySample> {
    (any::<[u32; 2]>(), any::<[u32; 7]>(), any::<u32>()).prop_map(|(a, f, flags)| TelemetrySample {
        seq: a[0],
        time_us: a[1],
        // Any bit pattern, NaNs included: the bytes must survive unchanged.
        setpoint_rad: f32::from_bits(f[0]),
        position_rad: f32::from_bits(f[1]),
        velocity_rad_s: f32::from_bits(f[2]),
        velocity_ref_rad_s: f32::from_bits(f[3]),
        current_a: f32::from_bits(f[4]),
        current_ref_a: f32::from_bits(f[5]),
        duty: f32::from_bits(f[6]),
        flags,
    })
}

fn bits(s: &[TelemetrySample]) -> Vec<u8> {
    bytemuck::cast_slice(s).to_vec()
}

proptest! {
    #[test]
    fn telemetry_round_trips(samples in proptest::collection::vec(sample_strategy(), 1..600)) {
        let messages = encode_sample_messages(&samples);
        prop_assert_eq!(messages.len(), samples.len().div_ceil(MAX_SAMPLES_PER_MESSAGE));
        let mut back = Vec::new();
        for m in &messages {
            // The records are the structs' bytes, unchanged, after the 8-byte header.
            match decode(m) {
                Ok(Decoded::Telemetry(s)) => back.extend(s),
                other => return Err(TestCaseError::fail(format!("{other:?}"))),
            }
        }
        prop_assert_eq!(bits(&back), bits(&samples));
        let body: Vec<u8> = messages.iter().flat_map(|m| m[8..].to_vec()).collect();
        prop_assert_eq!(body, bits(&samples));
    }

    #[test]
    fn stats_round_trip(words in any::<[u32; 30]>()) {
        let stats: TaskStats = bytemuck::cast(words);
        prop_assert_eq!(decode(&encode_stats(&stats)), Ok(Decoded::Stats(stats)));
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn parse_never_panics(text in ".{0,200}") {
        let _ = parse_command(&text);
    }
}

#[test]
fn encoder_limits() {
    assert_eq!(encode_samples(&[]), Err(EncodeError::NoSamples));
    let many = vec![TelemetrySample::default(); MAX_SAMPLES_PER_MESSAGE + 1];
    assert_eq!(encode_samples(&many), Err(EncodeError::TooManySamples { count: 257 }));
    assert!(encode_samples(&many[..MAX_SAMPLES_PER_MESSAGE]).is_ok());
    assert!(encode_sample_messages(&[]).is_empty());
}

#[test]
fn header_is_checked_field_by_field() {
    let good = encode_samples(&[TelemetrySample::default()]).expect("one sample");
    assert_eq!(&good[..8], &[1, 1, 1, 0, 40, 0, 0, 0]);
    let mut bad = good.clone();
    bad[1] = 9;
    assert_eq!(decode(&bad), Err(DecodeError::UnsupportedVersion(9)));
    let mut bad = good.clone();
    bad[4] = 44;
    assert_eq!(decode(&bad), Err(DecodeError::RecordSize { kind: 1, found: 44, expected: 40 }));
    assert_eq!(decode(&good[..47]), Err(DecodeError::Length { expected: 48, found: 47 }));
    assert_eq!(
        DecodeError::RecordSize { kind: 1, found: 44, expected: 40 }.to_string(),
        "kind 1: record size 44, expected 40"
    );
}

#[test]
fn commands_are_validated() {
    let ok = parse_command(r#"{"cmd":"position","position_rad":-3.5,"velocity_limit_rad_s":1000}"#);
    assert_eq!(ok, Ok(Command::Position { position_rad: -3.5, velocity_limit_rad_s: 1000.0 }));
    assert_eq!(ok.map(|c| c.to_setpoint(9)), Ok(Setpoint::position(9, -3.5, 1000.0)));
    let cases: &[(&str, CommandError)] = &[
        ("", CommandError::Json("EOF while parsing a value at line 1 column 0".into())),
        ("null", CommandError::NotAnObject),
        ("{}", CommandError::MissingField("cmd")),
        (r#"{"cmd":7}"#, CommandError::WrongType { field: "cmd", expected: "a string" }),
        (r#"{"cmd":"disable","now":true}"#, CommandError::UnknownField("now".into())),
        (
            r#"{"cmd":"position","position_rad":1,"velocity_limit_rad_s":2,"kp":3}"#,
            CommandError::UnknownField("kp".into()),
        ),
        (
            r#"{"cmd":"position","position_rad":1,"velocity_limit_rad_s":-2}"#,
            CommandError::OutOfRange { field: "velocity_limit_rad_s", value: -2.0 },
        ),
        (
            r#"{"cmd":"position","position_rad":1,"velocity_limit_rad_s":1000.5}"#,
            CommandError::OutOfRange { field: "velocity_limit_rad_s", value: 1000.5 },
        ),
        (
            r#"{"cmd":"position","position_rad":-1001,"velocity_limit_rad_s":2}"#,
            CommandError::OutOfRange { field: "position_rad", value: -1001.0 },
        ),
        (r#"{"cmd":"position","velocity_limit_rad_s":2}"#, CommandError::MissingField("position_rad")),
    ];
    for (text, want) in cases {
        assert_eq!(&parse_command(text).unwrap_err(), want, "{text}");
    }
    let long = format!(r#"{{"cmd":"disable","x":"{}"}}"#, "a".repeat(MAX_COMMAND_LEN));
    assert_eq!(parse_command(&long), Err(CommandError::TooLong { len: long.len() }));
    let e = parse_command(r#"{"cmd":"position","position_rad":1e999,"velocity_limit_rad_s":2}"#).unwrap_err();
    assert_eq!(e.code(), "json", "{e}");
    let unknown = parse_command(&format!(r#"{{"cmd":"{}"}}"#, "z".repeat(100))).unwrap_err();
    assert_eq!(unknown, CommandError::UnknownCommand("z".repeat(40)));
}
