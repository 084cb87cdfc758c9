// Decoder of the dashboard's binary WebSocket messages (format in README.md). The Rust side
// (crates/dashboard/src/wire.rs) uses the same checks and error codes; tests/decode.test.mjs
// checks this file against golden bytes the Rust test writes from the real structs.

export const HEADER_LEN = 8;
export const VERSION = 1;
export const KIND_TELEMETRY = 1;
export const KIND_STATS = 2;
export const SAMPLE_SIZE = 40;
export const STATS_SIZE = 120;
export const MAX_SAMPLES_PER_MESSAGE = 256;
export const JITTER_BINS = 16;

export const FLAG_ENABLED = 1 << 0;
export const FLAG_CURRENT_LIMIT = 1 << 1;
export const FLAG_ADC_FAULT = 1 << 2;
export const FLAG_SETTLED = 1 << 3;

/** A rejected message; `code` is one of the Rust `DecodeError::code()` names. */
export class DecodeError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'DecodeError';
    this.code = code;
  }
}

function sample(view, o) {
  return {
    seq: view.getUint32(o, true),
    time_us: view.getUint32(o + 4, true),
    setpoint_rad: view.getFloat32(o + 8, true),
    position_rad: view.getFloat32(o + 12, true),
    velocity_rad_s: view.getFloat32(o + 16, true),
    velocity_ref_rad_s: view.getFloat32(o + 20, true),
    current_a: view.getFloat32(o + 24, true),
    current_ref_a: view.getFloat32(o + 28, true),
    duty: view.getFloat32(o + 32, true),
    flags: view.getUint32(o + 36, true),
  };
}

const STATS_U32_FIELDS = [
  'rate_hz', 'period_ticks', 'ticks_per_second', 'releases', 'overruns', 'missed_releases',
  'rearms', 'exec_min', 'exec_max', 'exec_last', 'jitter_max', 'reserved',
];

function stats(view, o) {
  const s = {};
  STATS_U32_FIELDS.forEach((name, i) => { s[name] = view.getUint32(o + 4 * i, true); });
  s.exec_sum = view.getBigUint64(o + 48, true); // BigInt: may exceed 2^53
  s.jitter_hist = [];
  for (let i = 0; i < JITTER_BINS; i++) s.jitter_hist.push(view.getUint32(o + 56 + 4 * i, true));
  return s;
}

/**
 * Decodes one binary message (ArrayBuffer, or a typed array / DataView over one).
 * Returns `{ kind: 'telemetry', samples: [...] }` or `{ kind: 'stats', stats: {...} }`;
 * throws DecodeError.
 */
export function decodeMessage(data) {
  let view;
  if (data instanceof ArrayBuffer) view = new DataView(data);
  else if (ArrayBuffer.isView(data)) view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  else throw new TypeError('decodeMessage needs an ArrayBuffer or a typed array');
  const len = view.byteLength;
  if (len < HEADER_LEN) throw new DecodeError('too_short', `message of ${len} bytes is shorter than the 8-byte header`);
  const kind = view.getUint8(0);
  const version = view.getUint8(1);
  const count = view.getUint16(2, true);
  const recordSize = view.getUint16(4, true);
  const reserved = view.getUint16(6, true);
  let expectedSize;
  if (kind === KIND_TELEMETRY) expectedSize = SAMPLE_SIZE;
  else if (kind === KIND_STATS) expectedSize = STATS_SIZE;
  else throw new DecodeError('unknown_kind', `unknown message kind ${kind}`);
  if (version !== VERSION) throw new DecodeError('bad_version', `format version ${version}, expected ${VERSION}`);
  if (recordSize !== expectedSize) {
    throw new DecodeError('bad_record_size', `kind ${kind}: record size ${recordSize}, expected ${expectedSize}`);
  }
  if (reserved !== 0) throw new DecodeError('reserved_not_zero', `reserved header bytes are ${reserved}, expected 0`);
  const countOk = kind === KIND_TELEMETRY ? count >= 1 && count <= MAX_SAMPLES_PER_MESSAGE : count === 1;
  if (!countOk) throw new DecodeError('bad_count', `kind ${kind}: record count ${count} out of range`);
  const expectedLen = HEADER_LEN + count * expectedSize;
  if (len !== expectedLen) throw new DecodeError('bad_length', `message is ${len} bytes, the header announces ${expectedLen}`);
  if (kind === KIND_TELEMETRY) {
    const samples = new Array(count);
    for (let i = 0; i < count; i++) samples[i] = sample(view, HEADER_LEN + i * SAMPLE_SIZE);
    return { kind: 'telemetry', samples };
  }
  return { kind: 'stats', stats: stats(view, HEADER_LEN) };
}

/** Mean execution time in ticks (0 before the first release), like TaskStats::exec_mean. */
export function execMean(s) {
  if (s.releases === 0) return 0;
  return Number(s.exec_sum / BigInt(s.releases));
}

/** Ticks of the task's time base to microseconds. */
export function ticksToUs(s, ticks) {
  return s.ticks_per_second ? (ticks * 1e6) / s.ticks_per_second : 0;
}

/** The tick range [lo, hi) of jitter histogram bin `bin` (see splitcore_exec::jitter_bin_range). */
export function jitterBinRange(bin) {
  if (bin === 0) return [0, 1];
  if (bin >= JITTER_BINS - 1) return [2 ** (JITTER_BINS - 2), 2 ** 32 - 1];
  return [2 ** (bin - 1), 2 ** bin];
}

/** Difference b - a of two wrapping u32 counters (e.g. time_us), as a signed number. */
export function wrappingDelta(a, b) {
  return ((b - a) | 0);
}
