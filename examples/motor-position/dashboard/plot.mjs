// A small rolling-window time plot on a <canvas>: several series sharing one time axis, the
// last `windowS` seconds shown, the y axis autoscaled to the visible data with "nice" ticks.

const NICE = [1, 2, 2.5, 5, 10];

/** Tick step near `span / target` rounded to 1, 2, 2.5 or 5 times a power of ten. */
export function niceStep(span, target = 5) {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const n of NICE) if (n * pow >= raw) return n * pow;
  return 10 * pow;
}

/**
 * The y range to show for data in [min, max]: padded, never empty, and at least `minSpan`
 * wide (centred on the data), so that noise around a constant does not fill the plot.
 */
export function autoscale(min, max, minSpan = 0) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [-1, 1];
  if (max - min < minSpan) {
    const mid = (min + max) / 2;
    return [mid - minSpan / 2, mid + minSpan / 2];
  }
  if (max - min < 1e-9) {
    const pad = Math.max(Math.abs(max) * 0.1, 0.1);
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.08;
  return [min - pad, max + pad];
}

/** Fixed-capacity ring of (t, v...) rows. */
export class Series {
  constructor(capacity, width) {
    this.capacity = capacity;
    this.width = width;
    this.t = new Float64Array(capacity);
    this.v = new Float32Array(capacity * width);
    this.start = 0;
    this.length = 0;
  }

  push(t, values) {
    const i = (this.start + this.length) % this.capacity;
    this.t[i] = t;
    for (let k = 0; k < this.width; k++) this.v[i * this.width + k] = values[k];
    if (this.length < this.capacity) this.length++;
    else this.start = (this.start + 1) % this.capacity;
  }

  clear() {
    this.start = 0;
    this.length = 0;
  }

  /** Calls f(t, index) for each row, oldest first. */
  forEach(f) {
    for (let n = 0; n < this.length; n++) f(this.t[(this.start + n) % this.capacity], (this.start + n) % this.capacity);
  }

  last() {
    return this.length ? this.t[(this.start + this.length - 1) % this.capacity] : NaN;
  }
}

export class TimePlot {
  /**
   * @param canvas  the <canvas>
   * @param opts    { title, unit, windowS, rate, minSpan?, lines: [{ label, color, dash? }] }
   */
  constructor(canvas, opts) {
    this.canvas = canvas;
    this.opts = opts;
    this.data = new Series(Math.ceil(opts.windowS * opts.rate * 1.25) + 16, opts.lines.length);
    this.dirty = true;
  }

  push(tS, values) {
    this.data.push(tS, values);
    this.dirty = true;
  }

  clear() {
    this.data.clear();
    this.dirty = true;
  }

  draw() {
    if (!this.dirty) return;
    this.dirty = false;
    const c = this.canvas;
    const dpr = globalThis.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const W = c.clientWidth;
    const H = c.clientHeight;
    g.clearRect(0, 0, W, H);
    const { lines, windowS, title, unit } = this.opts;
    const left = 52, right = 8, top = 20, bottom = 18;
    const pw = W - left - right, ph = H - top - bottom;

    const tEnd = this.data.last();
    const tStart = tEnd - windowS;
    let min = Infinity, max = -Infinity;
    const width = this.data.width;
    this.data.forEach((t, i) => {
      if (t < tStart) return;
      for (let k = 0; k < width; k++) {
        const v = this.data.v[i * width + k];
        if (Number.isFinite(v)) {
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
    });
    const [y0, y1] = autoscale(min, max, this.opts.minSpan || 0);
    const sx = (t) => left + ((t - tStart) / windowS) * pw;
    const sy = (v) => top + (1 - (v - y0) / (y1 - y0)) * ph;

    // Frame, grid and labels.
    g.font = '11px system-ui, sans-serif';
    g.strokeStyle = '#d0d4da';
    g.fillStyle = '#5b6470';
    g.lineWidth = 1;
    g.strokeRect(left + 0.5, top + 0.5, pw, ph);
    const step = niceStep(y1 - y0, Math.max(2, Math.floor(ph / 40)));
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (let v = Math.ceil(y0 / step) * step; v <= y1; v += step) {
      const y = Math.round(sy(v)) + 0.5;
      g.beginPath();
      g.moveTo(left, y);
      g.lineTo(left + pw, y);
      g.stroke();
      g.fillText(formatTick(v, step), left - 4, y);
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    if (Number.isFinite(tEnd)) {
      const tStep = niceStep(windowS, 5);
      for (let t = Math.ceil(tStart / tStep) * tStep; t <= tEnd; t += tStep) {
        g.fillText(`${formatTick(t, tStep)} s`, sx(t), top + ph + 3);
      }
    }
    g.textAlign = 'left';
    g.fillStyle = '#1d2430';
    g.font = 'bold 12px system-ui, sans-serif';
    g.fillText(`${title} [${unit}]`, left, 3);
    let lx = left + g.measureText(`${title} [${unit}]`).width + 14;
    g.font = '11px system-ui, sans-serif';
    for (const line of lines) {
      g.fillStyle = line.color;
      g.fillRect(lx, 8, 12, 3);
      g.fillStyle = '#1d2430';
      g.fillText(line.label, lx + 16, 3);
      lx += 24 + g.measureText(line.label).width;
    }

    // Data.
    g.save();
    g.beginPath();
    g.rect(left, top, pw, ph);
    g.clip();
    g.lineWidth = 1.5;
    lines.forEach((line, k) => {
      g.strokeStyle = line.color;
      g.setLineDash(line.dash || []);
      const xs = [];
      const ys = [];
      this.data.forEach((t, i) => {
        if (t < tStart) return;
        const v = this.data.v[i * width + k];
        xs.push(sx(t));
        ys.push(Number.isFinite(v) ? sy(v) : NaN);
      });
      g.beginPath();
      for (const run of decimatePath(xs, ys, dpr)) {
        run.forEach(([x, y], n) => (n === 0 ? g.moveTo(x, y) : g.lineTo(x, y)));
      }
      g.stroke();
    });
    g.restore();
  }
}

/**
 * Reduces a polyline in screen coordinates (x ascending; NaN y breaks the line) to at most
 * four points per device pixel column — first, lowest, highest, last — so a 10 s window of
 * 1 kHz data costs the canvas a few thousand segments and keeps every spike. Returns the runs
 * (arrays of [x, y]) to draw as separate polylines.
 */
export function decimatePath(xs, ys, dpr = 1) {
  const runs = [];
  let run = null;
  let col = null;
  let first = 0, lo = 0, hi = 0, last = 0, cx = 0;
  const flush = () => {
    if (col === null) return;
    run.push([cx, first]);
    if (lo !== first) run.push([cx, lo]);
    if (hi !== lo) run.push([cx, hi]);
    if (last !== hi) run.push([cx, last]);
    col = null;
  };
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) {
      flush();
      run = null;
      continue;
    }
    const c = Math.round(xs[i] * dpr);
    if (c !== col) {
      flush();
      if (run === null) {
        run = [];
        runs.push(run);
      }
      col = c;
      cx = c / dpr;
      first = lo = hi = last = y;
    } else {
      if (y < lo) lo = y;
      if (y > hi) hi = y;
      last = y;
    }
  }
  flush();
  return runs;
}

export function formatTick(v, step) {
  let decimals = 0;
  while (decimals < 6 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-9) decimals++;
  const s = v.toFixed(decimals);
  return Number(s) === 0 ? s.replace('-', '') : s;
}

/** A bar chart (the jitter histogram): `bars` = [{ label, value }], log-scaled heights. */
export function drawBars(canvas, title, bars) {
  const dpr = globalThis.devicePixelRatio || 1;
  const W = canvas.clientWidth, H = canvas.clientHeight;
  if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
  }
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  const left = 8, right = 8, top = 34, bottom = 30;
  const pw = W - left - right, ph = H - top - bottom;
  g.font = 'bold 12px system-ui, sans-serif';
  g.fillStyle = '#1d2430';
  g.textAlign = 'left';
  g.textBaseline = 'top';
  g.fillText(title, left, 3);
  const maxLog = Math.max(1, ...bars.map((b) => Math.log10(1 + b.value)));
  const bw = pw / Math.max(1, bars.length);
  g.font = '10px system-ui, sans-serif';
  bars.forEach((b, i) => {
    const hgt = (Math.log10(1 + b.value) / maxLog) * ph;
    g.fillStyle = b.value ? '#3b7dd8' : '#e3e7ec';
    g.fillRect(left + i * bw + 1, top + ph - Math.max(hgt, 1), bw - 2, Math.max(hgt, 1));
    g.fillStyle = '#5b6470';
    g.textAlign = 'center';
    if (i % 2 === 0) g.fillText(b.label, left + i * bw + bw / 2, top + ph + 3);
    if (b.value) g.fillText(String(b.value), left + i * bw + bw / 2, top + ph - Math.max(hgt, 1) - 12);
  });
  g.fillStyle = '#5b6470';
  g.textAlign = 'left';
  g.fillText('release lateness (bin lower bound), count on a log scale', left, top + ph + 16);
}
