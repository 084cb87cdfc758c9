// The plot's pure helpers: tick steps, autoscale and the ring of samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { niceStep, autoscale, Series, formatTick, decimatePath } from '../plot.mjs';

test('niceStep picks 1/2/2.5/5 x 10^n', () => {
  assert.equal(niceStep(10, 5), 2);
  assert.equal(niceStep(1, 4), 0.25);
  assert.equal(niceStep(0.03, 3), 0.01);
  assert.equal(niceStep(700, 5), 200);
  assert.equal(niceStep(0, 5), 1);
  assert.equal(niceStep(NaN, 5), 1);
});

test('autoscale pads and never returns an empty range', () => {
  assert.deepStrictEqual(autoscale(0, 10), [-0.8, 10.8]);
  const [lo, hi] = autoscale(3, 3);
  assert.ok(lo < 3 && hi > 3);
  assert.deepStrictEqual(autoscale(Infinity, -Infinity), [-1, 1]);
  // A minimum span keeps noise around a constant small on the plot.
  assert.deepStrictEqual(autoscale(1.9999, 2.0001, 0.1), [1.95, 2.05]);
  assert.deepStrictEqual(autoscale(0, 10, 0.1), [-0.8, 10.8]);
});

test('Series keeps the newest rows, oldest first', () => {
  const s = new Series(3, 2);
  for (let i = 0; i < 5; i++) s.push(i, [i * 10, -i]);
  const seen = [];
  s.forEach((t, i) => seen.push([t, s.v[i * 2], s.v[i * 2 + 1]]));
  assert.deepStrictEqual(seen, [[2, 20, -2], [3, 30, -3], [4, 40, -4]]);
  assert.equal(s.last(), 4);
  s.clear();
  assert.ok(Number.isNaN(s.last()));
});

test('formatTick uses the step to choose decimals', () => {
  assert.equal(formatTick(2, 1), '2');
  assert.equal(formatTick(0.5, 0.5), '0.5');
  assert.equal(formatTick(-0.0001, 0.01), '0.00');
  assert.equal(formatTick(0.25, 0.25), '0.25');
});

test('decimatePath keeps each pixel column\'s extremes and few points', () => {
  // 10 000 points over 100 px with a spike: at most 4 points per column, spike kept.
  const xs = [], ys = [];
  for (let i = 0; i < 10000; i++) {
    xs.push(i / 100);
    ys.push(i === 5050 ? -500 : Math.sin(i / 300) * 50);
  }
  const runs = decimatePath(xs, ys, 1);
  assert.equal(runs.length, 1);
  const pts = runs[0];
  assert.ok(pts.length <= 4 * 101, `${pts.length} points`);
  assert.ok(pts.some(([x, y]) => x === 51 && y === -500), 'the spike survives');
  // Per column, the extremes of the input are the extremes of the output.
  const cols = new Map();
  xs.forEach((x, i) => {
    const c = Math.round(x);
    const [lo, hi] = cols.get(c) || [Infinity, -Infinity];
    cols.set(c, [Math.min(lo, ys[i]), Math.max(hi, ys[i])]);
  });
  for (const [c, [lo, hi]] of cols) {
    const here = pts.filter(([x]) => x === c).map(([, y]) => y);
    assert.equal(Math.min(...here), lo, `column ${c}`);
    assert.equal(Math.max(...here), hi, `column ${c}`);
  }
});

test('decimatePath breaks the line at NaN and keeps sparse data unchanged', () => {
  const runs = decimatePath([0, 1, 2, 3, 4], [5, 6, NaN, 7, 8], 1);
  assert.deepStrictEqual(runs, [[[0, 5], [1, 6]], [[3, 7], [4, 8]]]);
  // High-DPI: columns are device pixels, so two points half a CSS pixel apart stay apart.
  assert.deepStrictEqual(decimatePath([0, 0.5], [1, 2], 2), [[[0, 1], [0.5, 2]]]);
  assert.deepStrictEqual(decimatePath([], [], 1), []);
});
