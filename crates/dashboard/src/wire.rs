//! The dashboard's wire format (documented in `examples/motor-position/dashboard/README.md`).
//!
//! * **Binary** messages (server → page): an 8-byte header, then `count` records of
//!   `record_size` bytes each, copied unchanged from the shared region (little-endian
//!   `#[repr(C)]` structs):
//!
//!   | offset | size | field |
//!   |---|---|---|
//!   | 0 | 1 | kind: [`KIND_TELEMETRY`] or [`KIND_STATS`] |
//!   | 1 | 1 | format version: [`VERSION`] |
//!   | 2 | 2 | `count`, u16 LE (telemetry: 1..=[`MAX_SAMPLES_PER_MESSAGE`]; stats: 1) |
//!   | 4 | 2 | `record_size`, u16 LE (40 for [`TelemetrySample`], 120 for [`TaskStats`]) |
//!   | 6 | 2 | reserved, zero |
//!
//! * **Text** messages: JSON objects, [`ServerText`] (server → page) and [`Command`]
//!   (page → server).

use motor_position_control::protocol::{Setpoint, TelemetrySample};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use splitcore_exec::TaskStats;

#[cfg(target_endian = "big")]
compile_error!(
    "the wire format forwards little-endian structs unchanged; big-endian hosts are not supported"
);

/// Header bytes before the records.
pub const HEADER_LEN: usize = 8;
/// Binary format version (byte 1).
pub const VERSION: u8 = 1;
/// Kind byte: `count` [`TelemetrySample`]s.
pub const KIND_TELEMETRY: u8 = 1;
/// Kind byte: one [`TaskStats`].
pub const KIND_STATS: u8 = 2;
/// Most samples in one telemetry message (larger batches are split).
pub const MAX_SAMPLES_PER_MESSAGE: usize = 256;
/// Longest text message accepted from the page, in bytes.
pub const MAX_COMMAND_LEN: usize = 1024;
/// Largest position target accepted from the page, radians (either sign).
pub const MAX_POSITION_RAD: f64 = 1000.0;
/// Largest speed limit accepted from the page, rad/s (it must also be above zero).
pub const MAX_VELOCITY_LIMIT_RAD_S: f64 = 1000.0;

const STATS_SIZE: usize = core::mem::size_of::<TaskStats>();

/// Encodes up to [`MAX_SAMPLES_PER_MESSAGE`] samples into one telemetry message.
///
/// ```
/// use motor_position_control::protocol::TelemetrySample;
/// use splitcore_dashboard::wire::{decode, encode_samples, Decoded};
///
/// let samples = [TelemetrySample { seq: 7, position_rad: 1.5, ..Default::default() }];
/// let bytes = encode_samples(&samples)?;
/// assert_eq!(bytes.len(), 8 + 40);
/// assert_eq!(decode(&bytes)?, Decoded::Telemetry(samples.to_vec()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_samples(samples: &[TelemetrySample]) -> Result<Vec<u8>, EncodeError> {
    if samples.is_empty() {
        return Err(EncodeError::NoSamples);
    }
    if samples.len() > MAX_SAMPLES_PER_MESSAGE {
        return Err(EncodeError::TooManySamples { count: samples.len() });
    }
    Ok(telemetry_message(samples))
}

/// One telemetry message; `samples` holds 1..=[`MAX_SAMPLES_PER_MESSAGE`] samples.
fn telemetry_message(samples: &[TelemetrySample]) -> Vec<u8> {
    let mut out = header(KIND_TELEMETRY, samples.len() as u16, TelemetrySample::SIZE as u16);
    out.extend_from_slice(bytemuck::cast_slice(samples));
    out
}

/// Encodes any number of samples as consecutive telemetry messages of at most
/// [`MAX_SAMPLES_PER_MESSAGE`] samples each (none for an empty slice).
///
/// ```
/// use motor_position_control::protocol::TelemetrySample;
/// use splitcore_dashboard::wire::encode_sample_messages;
///
/// let samples = vec![TelemetrySample::default(); 300];
/// let sizes: Vec<usize> = encode_sample_messages(&samples).iter().map(Vec::len).collect();
/// assert_eq!(sizes, [8 + 256 * 40, 8 + 44 * 40]);
/// ```
pub fn encode_sample_messages(samples: &[TelemetrySample]) -> Vec<Vec<u8>> {
    samples.chunks(MAX_SAMPLES_PER_MESSAGE).map(telemetry_message).collect()
}

/// Encodes one loop-statistics message.
///
/// ```
/// use splitcore_dashboard::wire::{decode, encode_stats, Decoded};
/// use splitcore_exec::{Period, TaskStats};
///
/// let stats = TaskStats::new(&Period::from_hz_at(20_000, 240_000_000)?);
/// let bytes = encode_stats(&stats);
/// assert_eq!((bytes[0], bytes.len()), (2, 8 + 120));
/// assert_eq!(decode(&bytes)?, Decoded::Stats(stats));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_stats(stats: &TaskStats) -> Vec<u8> {
    let mut out = header(KIND_STATS, 1, STATS_SIZE as u16);
    out.extend_from_slice(bytemuck::bytes_of(stats));
    out
}

fn header(kind: u8, count: u16, record_size: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + count as usize * record_size as usize);
    out.push(kind);
    out.push(VERSION);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&record_size.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// A decoded binary message.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// Telemetry samples, oldest first.
    Telemetry(Vec<TelemetrySample>),
    /// The control task's loop statistics.
    Stats(TaskStats),
}

/// Decodes a binary message, checking every header field and the length.
///
/// ```
/// use splitcore_dashboard::wire::{decode, DecodeError};
///
/// assert_eq!(decode(&[1, 1, 0]), Err(DecodeError::TooShort { len: 3 }));
/// assert_eq!(decode(&[9, 1, 1, 0, 40, 0, 0, 0]), Err(DecodeError::UnknownKind(9)));
/// ```
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::TooShort { len: bytes.len() });
    }
    let kind = bytes[0];
    let version = bytes[1];
    let count = u16::from_le_bytes([bytes[2], bytes[3]]);
    let record_size = u16::from_le_bytes([bytes[4], bytes[5]]);
    let reserved = u16::from_le_bytes([bytes[6], bytes[7]]);
    let expected_size = match kind {
        KIND_TELEMETRY => TelemetrySample::SIZE,
        KIND_STATS => STATS_SIZE,
        other => return Err(DecodeError::UnknownKind(other)),
    };
    if version != VERSION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    if record_size as usize != expected_size {
        return Err(DecodeError::RecordSize { kind, found: record_size, expected: expected_size as u16 });
    }
    if reserved != 0 {
        return Err(DecodeError::ReservedNotZero(reserved));
    }
    let count_ok = match kind {
        KIND_TELEMETRY => (1..=MAX_SAMPLES_PER_MESSAGE).contains(&(count as usize)),
        _ => count == 1,
    };
    if !count_ok {
        return Err(DecodeError::Count { kind, count });
    }
    let expected_len = HEADER_LEN + count as usize * expected_size;
    if bytes.len() != expected_len {
        return Err(DecodeError::Length { expected: expected_len, found: bytes.len() });
    }
    let body = &bytes[HEADER_LEN..];
    Ok(match kind {
        KIND_TELEMETRY => Decoded::Telemetry(
            body.chunks_exact(TelemetrySample::SIZE).map(bytemuck::pod_read_unaligned).collect(),
        ),
        _ => Decoded::Stats(bytemuck::pod_read_unaligned(body)),
    })
}

/// Why a batch could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// A telemetry message needs at least one sample.
    NoSamples,
    /// More than [`MAX_SAMPLES_PER_MESSAGE`] samples (use [`encode_sample_messages`]).
    TooManySamples {
        /// Samples given.
        count: usize,
    },
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::NoSamples => write!(f, "a telemetry message needs at least one sample"),
            EncodeError::TooManySamples { count } => {
                write!(f, "{count} samples in one message (at most {MAX_SAMPLES_PER_MESSAGE})")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// Why a binary message was rejected. [`DecodeError::code`] names it; the page's decoder
/// (`decode.mjs`) uses the same codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the header.
    TooShort {
        /// Bytes received.
        len: usize,
    },
    /// Kind byte not [`KIND_TELEMETRY`] or [`KIND_STATS`].
    UnknownKind(u8),
    /// Version byte not [`VERSION`].
    UnsupportedVersion(u8),
    /// The record size does not match this build's struct (the two sides disagree on the
    /// protocol).
    RecordSize {
        /// Kind byte.
        kind: u8,
        /// Size in the header.
        found: u16,
        /// Size of the struct here.
        expected: u16,
    },
    /// The reserved header bytes are not zero.
    ReservedNotZero(u16),
    /// Telemetry with 0 or more than [`MAX_SAMPLES_PER_MESSAGE`] samples, or stats with a
    /// count other than 1.
    Count {
        /// Kind byte.
        kind: u8,
        /// Count in the header.
        count: u16,
    },
    /// The message length does not match `8 + count * record_size`.
    Length {
        /// Length the header announces.
        expected: usize,
        /// Length received.
        found: usize,
    },
}

impl DecodeError {
    /// A stable short name, shared with the JavaScript decoder.
    ///
    /// ```
    /// use splitcore_dashboard::wire::DecodeError;
    /// assert_eq!(DecodeError::UnknownKind(3).code(), "unknown_kind");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::TooShort { .. } => "too_short",
            DecodeError::UnknownKind(_) => "unknown_kind",
            DecodeError::UnsupportedVersion(_) => "bad_version",
            DecodeError::RecordSize { .. } => "bad_record_size",
            DecodeError::ReservedNotZero(_) => "reserved_not_zero",
            DecodeError::Count { .. } => "bad_count",
            DecodeError::Length { .. } => "bad_length",
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooShort { len } => {
                write!(f, "message of {len} bytes is shorter than the 8-byte header")
            }
            DecodeError::UnknownKind(kind) => write!(f, "unknown message kind {kind}"),
            DecodeError::UnsupportedVersion(v) => write!(f, "format version {v}, expected {VERSION}"),
            DecodeError::RecordSize { kind, found, expected } => {
                write!(f, "kind {kind}: record size {found}, expected {expected}")
            }
            DecodeError::ReservedNotZero(v) => write!(f, "reserved header bytes are {v:#06x}, expected 0"),
            DecodeError::Count { kind, count } => write!(f, "kind {kind}: record count {count} out of range"),
            DecodeError::Length { expected, found } => {
                write!(f, "message is {found} bytes, the header announces {expected}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// A command from the page.
///
/// JSON: `{"cmd":"position","position_rad":1.57,"velocity_limit_rad_s":20}` or
/// `{"cmd":"disable"}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// Move to `position_rad` at no more than `velocity_limit_rad_s` (enables the bridge).
    Position {
        /// Target, radians.
        position_rad: f32,
        /// Speed limit, rad/s (> 0).
        velocity_limit_rad_s: f32,
    },
    /// Turn the bridge off.
    Disable,
}

impl Command {
    /// The mailbox record for this command; `seq` is core 0's change counter.
    ///
    /// ```
    /// use motor_position_control::protocol::Setpoint;
    /// use splitcore_dashboard::Command;
    ///
    /// let cmd = Command::Position { position_rad: 2.0, velocity_limit_rad_s: 10.0 };
    /// assert_eq!(cmd.to_setpoint(4), Setpoint::position(4, 2.0, 10.0));
    /// assert_eq!(Command::Disable.to_setpoint(5), Setpoint::disabled(5));
    /// ```
    pub fn to_setpoint(&self, seq: u32) -> Setpoint {
        match *self {
            Command::Position { position_rad, velocity_limit_rad_s } => {
                Setpoint::position(seq, position_rad, velocity_limit_rad_s)
            }
            Command::Disable => Setpoint::disabled(seq),
        }
    }
}

/// Parses and validates a command from the page.
///
/// ```
/// use splitcore_dashboard::{parse_command, Command, CommandError};
///
/// assert_eq!(parse_command(r#"{"cmd":"disable"}"#), Ok(Command::Disable));
/// assert_eq!(
///     parse_command(r#"{"cmd":"position","position_rad":1,"velocity_limit_rad_s":0}"#),
///     Err(CommandError::OutOfRange { field: "velocity_limit_rad_s", value: 0.0 })
/// );
/// ```
pub fn parse_command(text: &str) -> Result<Command, CommandError> {
    if text.len() > MAX_COMMAND_LEN {
        return Err(CommandError::TooLong { len: text.len() });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| CommandError::Json(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(CommandError::NotAnObject);
    };
    let cmd = match map.get("cmd") {
        None => return Err(CommandError::MissingField("cmd")),
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(CommandError::WrongType { field: "cmd", expected: "a string" }),
    };
    match cmd {
        "position" => {
            only_fields(&map, &["cmd", "position_rad", "velocity_limit_rad_s"])?;
            let position = number(&map, "position_rad")?;
            let limit = number(&map, "velocity_limit_rad_s")?;
            if position.abs() > MAX_POSITION_RAD {
                return Err(CommandError::OutOfRange { field: "position_rad", value: position });
            }
            if !(limit > 0.0 && limit <= MAX_VELOCITY_LIMIT_RAD_S) {
                return Err(CommandError::OutOfRange { field: "velocity_limit_rad_s", value: limit });
            }
            Ok(Command::Position { position_rad: position as f32, velocity_limit_rad_s: limit as f32 })
        }
        "disable" => {
            only_fields(&map, &["cmd"])?;
            Ok(Command::Disable)
        }
        other => Err(CommandError::UnknownCommand(other.chars().take(40).collect())),
    }
}

fn only_fields(map: &Map<String, Value>, allowed: &[&str]) -> Result<(), CommandError> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => Err(CommandError::UnknownField(extra.chars().take(40).collect())),
        None => Ok(()),
    }
}

fn number(map: &Map<String, Value>, field: &'static str) -> Result<f64, CommandError> {
    match map.get(field) {
        None => Err(CommandError::MissingField(field)),
        Some(v) => v.as_f64().ok_or(CommandError::WrongType { field, expected: "a number" }),
    }
}

/// Why a message from the page was rejected. The server answers with an `error` message
/// carrying [`CommandError::code`] and the text, and logs it.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandError {
    /// Longer than [`MAX_COMMAND_LEN`] bytes.
    TooLong {
        /// Bytes received.
        len: usize,
    },
    /// The page sent a binary message (commands are JSON text).
    Binary {
        /// Bytes received.
        len: usize,
    },
    /// Not valid JSON (serde_json's description).
    Json(String),
    /// Valid JSON but not an object.
    NotAnObject,
    /// A required field is missing.
    MissingField(&'static str),
    /// A field has the wrong JSON type.
    WrongType {
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// `cmd` names no known command (cut to 40 characters).
    UnknownCommand(String),
    /// A field this command does not take (cut to 40 characters).
    UnknownField(String),
    /// A number outside its range ([`MAX_POSITION_RAD`], [`MAX_VELOCITY_LIMIT_RAD_S`]).
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value received.
        value: f64,
    },
    /// The application is not taking commands fast enough; this one was not queued.
    QueueFull,
}

impl CommandError {
    /// A stable short name for the page.
    ///
    /// ```
    /// use splitcore_dashboard::CommandError;
    /// assert_eq!(CommandError::NotAnObject.code(), "not_an_object");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::TooLong { .. } => "too_long",
            CommandError::Binary { .. } => "binary",
            CommandError::Json(_) => "json",
            CommandError::NotAnObject => "not_an_object",
            CommandError::MissingField(_) => "missing_field",
            CommandError::WrongType { .. } => "wrong_type",
            CommandError::UnknownCommand(_) => "unknown_command",
            CommandError::UnknownField(_) => "unknown_field",
            CommandError::OutOfRange { .. } => "out_of_range",
            CommandError::QueueFull => "queue_full",
        }
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandError::TooLong { len } => write!(f, "message of {len} bytes (at most {MAX_COMMAND_LEN})"),
            CommandError::Binary { len } => {
                write!(f, "binary message of {len} bytes (commands are JSON text)")
            }
            CommandError::Json(e) => write!(f, "not JSON: {e}"),
            CommandError::NotAnObject => write!(f, "a command must be a JSON object"),
            CommandError::MissingField(field) => write!(f, "missing field `{field}`"),
            CommandError::WrongType { field, expected } => write!(f, "field `{field}` must be {expected}"),
            CommandError::UnknownCommand(cmd) => {
                write!(f, "unknown command `{cmd}` (expected `position` or `disable`)")
            }
            CommandError::UnknownField(field) => write!(f, "unknown field `{field}`"),
            CommandError::OutOfRange { field: "position_rad", value } => {
                write!(f, "position_rad {value} outside ±{MAX_POSITION_RAD}")
            }
            CommandError::OutOfRange { field, value } => {
                write!(f, "{field} {value} outside (0, {MAX_VELOCITY_LIMIT_RAD_S}]")
            }
            CommandError::QueueFull => {
                write!(f, "command queue full; the application is not taking commands")
            }
        }
    }
}

impl std::error::Error for CommandError {}

/// Core 1's state as the page shows it (the `SPLITCORE_CORE1_*` values of `splitcore.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Core1State {
    /// Not started or held.
    Off,
    /// Released, handshake pending.
    Booting,
    /// The control code runs.
    Running,
    /// A stop was requested.
    Stopping,
    /// The control code returned after a stop request.
    Stopped,
    /// Core 1 crashed (a `crash` message carries the report).
    Crashed,
    /// Protocol version mismatch at the handshake.
    Incompatible,
}

/// Core-1 status for the page (`{"type":"status",...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Core 1's state.
    pub core1: Core1State,
    /// Core 1's heartbeat counter.
    pub heartbeat: u32,
    /// Deepest stack use core 1 published, bytes.
    pub stack_high_water_bytes: u32,
    /// Core-1 restarts done by core 0's supervisor.
    pub restarts: u32,
    /// Core 0's uptime, milliseconds.
    pub uptime_ms: u64,
    /// Free text (e.g. which simulation runs).
    pub detail: String,
}

/// JSON text messages from the server to the page.
///
/// ```
/// use splitcore_dashboard::ServerText;
/// let text = ServerText::Log { line: "core 1 up".into() }.to_json();
/// assert_eq!(text, r#"{"type":"log","line":"core 1 up"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerText {
    /// First message on every connection.
    Hello {
        /// Binary format version ([`VERSION`]).
        protocol: u8,
        /// Who serves the page (`"twin"`, `"esp-idf"`, …).
        source: String,
        /// Telemetry rate, samples per second.
        telemetry_hz: u32,
    },
    /// Core-1 status.
    Status(Status),
    /// One line of core 1's (or the server's) log.
    Log {
        /// The line, without a newline.
        line: String,
    },
    /// A crash report, ESP-IDF style, lines separated by `\n`.
    Crash {
        /// The report.
        report: String,
    },
    /// A command from a page was accepted (sent to every page).
    Command {
        /// The command.
        command: CommandEcho,
    },
    /// The page's last message was rejected (sent to that page only).
    Error {
        /// [`CommandError::code`].
        code: String,
        /// What was wrong.
        message: String,
    },
    /// Messages this page did not get because it read too slowly (total since it connected).
    Dropped {
        /// Count of messages dropped for this page.
        messages: u64,
    },
}

/// [`Command`] as echoed to the pages. A separate type because [`ServerText`] can be
/// deserialised (by clients and tests) while a [`Command`] only comes from [`parse_command`],
/// which enforces its ranges.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum CommandEcho {
    /// See [`Command::Position`].
    Position {
        /// Target, radians.
        position_rad: f32,
        /// Speed limit, rad/s.
        velocity_limit_rad_s: f32,
    },
    /// See [`Command::Disable`].
    Disable,
}

impl From<Command> for CommandEcho {
    fn from(c: Command) -> Self {
        match c {
            Command::Position { position_rad, velocity_limit_rad_s } => {
                CommandEcho::Position { position_rad, velocity_limit_rad_s }
            }
            Command::Disable => CommandEcho::Disable,
        }
    }
}

impl ServerText {
    /// The JSON text.
    pub fn to_json(&self) -> String {
        // Serialising these plain structs cannot fail (string keys, finite or null floats).
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!(r#"{{"type":"log","line":"encode error: {e}"}}"#))
    }
}
