// The page's decoder against golden messages the Rust test (crates/dashboard/tests/golden.rs)
// writes from the real structs: the same bytes must give the same values, and the same
// malformed messages the same error codes, on both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

import {
  decodeMessage, DecodeError, execMean, jitterBinRange, ticksToUs, wrappingDelta,
} from '../decode.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const golden = join(here, 'golden');
const expected = JSON.parse(readFileSync(join(golden, 'expected.json'), 'utf8'));

function bytes(name) {
  const b = readFileSync(join(golden, name));
  // A fresh ArrayBuffer, like a WebSocket's binaryType = 'arraybuffer'.
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

test('telemetry golden message decodes to the Rust values', () => {
  const m = decodeMessage(bytes(expected.telemetry.file));
  assert.equal(m.kind, 'telemetry');
  assert.equal(m.samples.length, expected.telemetry.samples.length);
  assert.deepStrictEqual(m.samples, expected.telemetry.samples);
});

test('a typed array view at an offset decodes the same', () => {
  const raw = new Uint8Array(bytes(expected.telemetry.file));
  const padded = new Uint8Array(raw.length + 3);
  padded.set(raw, 3);
  const m = decodeMessage(padded.subarray(3));
  assert.deepStrictEqual(m.samples, expected.telemetry.samples);
});

test('stats golden message decodes to the Rust values', () => {
  const m = decodeMessage(bytes(expected.stats.file));
  assert.equal(m.kind, 'stats');
  const want = expected.stats.stats;
  const got = m.stats;
  assert.equal(typeof got.exec_sum, 'bigint');
  assert.equal(got.exec_sum.toString(), want.exec_sum);
  assert.equal(execMean(got), want.exec_mean);
  for (const [k, v] of Object.entries(want)) {
    if (k === 'exec_sum' || k === 'exec_mean') continue;
    assert.deepStrictEqual(got[k], v, k);
  }
});

test('malformed messages give the same error codes as the Rust decoder', () => {
  assert.ok(expected.invalid.length >= 10);
  for (const c of expected.invalid) {
    const buf = new Uint8Array(c.hex.length / 2);
    for (let i = 0; i < buf.length; i++) buf[i] = parseInt(c.hex.slice(2 * i, 2 * i + 2), 16);
    assert.throws(() => decodeMessage(buf.buffer), (e) => {
      assert.ok(e instanceof DecodeError, `${c.name}: ${e}`);
      assert.equal(e.code, c.code, `${c.name}: ${e.message}`);
      return true;
    });
  }
});

test('non-binary input is a TypeError, not a crash', () => {
  assert.throws(() => decodeMessage('text'), TypeError);
});

test('helpers: bin ranges, tick conversion, wrapping time', () => {
  assert.deepStrictEqual([0, 1, 2, 14, 15].map(jitterBinRange), [[0, 1], [1, 2], [2, 4], [8192, 16384], [16384, 4294967295]]);
  assert.equal(ticksToUs({ ticks_per_second: 240_000_000 }, 2400), 10);
  assert.equal(wrappingDelta(4294967000, 704), 1000);
  assert.equal(wrappingDelta(1000, 0), -1000);
  assert.equal(execMean({ releases: 0, exec_sum: 5n }), 0);
});
