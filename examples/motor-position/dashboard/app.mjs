// The dashboard page: one WebSocket to `/ws` on the serving host (the twin or the ESP-IDF
// app), binary telemetry/stats decoded by decode.mjs, JSON for the rest (README.md).

import {
  decodeMessage, execMean, ticksToUs, jitterBinRange, wrappingDelta,
  FLAG_ENABLED, FLAG_CURRENT_LIMIT, FLAG_ADC_FAULT, FLAG_SETTLED, JITTER_BINS,
} from './decode.mjs';
import { TimePlot, drawBars } from './plot.mjs';

const WINDOW_S = 10;
const RATE = 1000;
const MAX_LOG_LINES = 500;

const $ = (id) => document.getElementById(id);

const plots = {
  position: new TimePlot($('plot-position'), {
    title: 'Position', unit: 'rad', windowS: WINDOW_S, rate: RATE, minSpan: 0.1,
    lines: [{ label: 'position', color: '#3b7dd8' }, { label: 'setpoint', color: '#c9372c', dash: [6, 4] }],
  }),
  velocity: new TimePlot($('plot-velocity'), {
    title: 'Velocity', unit: 'rad/s', windowS: WINDOW_S, rate: RATE, minSpan: 0.5,
    lines: [{ label: 'velocity', color: '#2f9e5b' }, { label: 'reference', color: '#8a93a0', dash: [4, 3] }],
  }),
  current: new TimePlot($('plot-current'), {
    title: 'Current', unit: 'A', windowS: WINDOW_S, rate: RATE, minSpan: 0.05,
    lines: [{ label: 'current', color: '#d08b1c' }, { label: 'reference', color: '#8a93a0', dash: [4, 3] }],
  }),
  duty: new TimePlot($('plot-duty'), {
    title: 'Duty', unit: '-1..1', windowS: WINDOW_S, rate: RATE, minSpan: 0.05,
    lines: [{ label: 'duty', color: '#7a4fd0' }],
  }),
};

// State, also exposed as window.dashboard for tests and the console.
const state = {
  connected: false,
  samples: 0,
  lost: 0,
  decodeErrors: 0,
  lastSample: null,
  lastStats: null,
  status: null,
  lastError: null,
  rate: 0,
  frames: 0,
};
globalThis.dashboard = state;

let lastSeq = null;
let lastTimeUs = null;
let timeS = 0;
/** A pause in `time_us` longer than this (50 samples at 1 kHz) is drawn as a gap. */
const TELEMETRY_GAP_US = 50_000;
let rateWindow = { t: performance.now(), n: 0 };
let statsDirty = false;

function fmt(v, unit, digits = 3) {
  return Number.isFinite(v) ? `${v.toFixed(digits)} ${unit}` : '–';
}

function onSamples(samples) {
  for (const s of samples) {
    if (lastSeq !== null) {
      const gap = (s.seq - lastSeq) >>> 0;
      if (gap > 1 && gap < 0x10000000) state.lost += gap - 1;
    }
    if (lastTimeUs !== null) {
      const dt = wrappingDelta(lastTimeUs, s.time_us);
      if (dt < 0 || dt > 5_000_000) {
        // Core 1 restarted (time went backwards) or a long pause: start the plots afresh.
        Object.values(plots).forEach((p) => p.clear());
        timeS = 0;
      } else {
        if (dt > TELEMETRY_GAP_US) {
          // No telemetry for a while (core 1 crashed or was held, then restarted with its
          // clock running on): break the lines there instead of joining across the gap.
          Object.values(plots).forEach((p) => p.push(timeS, p.opts.lines.map(() => NaN)));
        }
        timeS += dt / 1e6;
      }
    }
    lastSeq = s.seq;
    lastTimeUs = s.time_us;
    plots.position.push(timeS, [s.position_rad, s.setpoint_rad]);
    plots.velocity.push(timeS, [s.velocity_rad_s, s.velocity_ref_rad_s]);
    plots.current.push(timeS, [s.current_a, s.current_ref_a]);
    plots.duty.push(timeS, [s.duty]);
    state.lastSample = s;
  }
  state.samples += samples.length;
  rateWindow.n += samples.length;
}

function flagText(f) {
  const names = [];
  if (f & FLAG_ENABLED) names.push('enabled');
  if (f & FLAG_CURRENT_LIMIT) names.push('I-limit');
  if (f & FLAG_ADC_FAULT) names.push('ADC fault');
  if (f & FLAG_SETTLED) names.push('settled');
  return names.length ? names.join(', ') : 'disabled';
}

function renderValues() {
  const s = state.lastSample;
  if (s) {
    $('v-position').textContent = fmt(s.position_rad, 'rad');
    $('v-setpoint').textContent = fmt(s.setpoint_rad, 'rad');
    $('v-velocity').textContent = fmt(s.velocity_rad_s, 'rad/s', 2);
    $('v-current').textContent = fmt(s.current_a, 'A');
    $('v-duty').textContent = fmt(s.duty, '', 3);
    $('v-flags').textContent = flagText(s.flags);
  }
  $('v-samples').textContent = String(state.samples);
  $('v-lost').textContent = String(state.lost);
  const now = performance.now();
  if (now - rateWindow.t >= 1000) {
    state.rate = (rateWindow.n * 1000) / (now - rateWindow.t);
    rateWindow = { t: now, n: 0 };
    $('v-rate').textContent = `${state.rate.toFixed(0)} /s`;
  }
  document.body.dataset.samples = String(state.samples);
}

function renderStats() {
  const s = state.lastStats;
  if (!s || !statsDirty) return;
  statsDirty = false;
  const us = (ticks) => `${ticksToUs(s, ticks).toFixed(2)} µs`;
  $('t-rate').textContent = `${s.rate_hz} Hz`;
  $('t-releases').textContent = String(s.releases);
  $('t-min').textContent = s.releases ? us(s.exec_min) : '–';
  $('t-mean').textContent = s.releases ? us(execMean(s)) : '–';
  $('t-max').textContent = s.releases ? us(s.exec_max) : '–';
  $('t-overruns').textContent = String(s.overruns);
  $('t-missed').textContent = `${s.missed_releases} (${s.rearms} re-arms)`;
  $('t-jitter').textContent = us(s.jitter_max);
  const bars = [];
  for (let i = 0; i < JITTER_BINS; i++) {
    const [lo] = jitterBinRange(i);
    const loUs = ticksToUs(s, lo);
    bars.push({ label: loUs >= 1 ? `${loUs.toFixed(0)}µ` : `${(loUs * 1000).toFixed(0)}n`, value: s.jitter_hist[i] });
  }
  drawBars($('plot-jitter'), 'Release jitter histogram', bars);
}

function renderStatus() {
  const st = state.status;
  if (!st) return;
  const badge = $('core1');
  badge.textContent = `core 1: ${st.core1}`;
  badge.className = `badge ${st.core1 === 'running' ? 'ok' : st.core1 === 'crashed' || st.core1 === 'incompatible' ? 'bad' : 'warn'}`;
  $('s-state').textContent = st.core1;
  $('s-heartbeat').textContent = String(st.heartbeat);
  $('s-stack').textContent = `${st.stack_high_water_bytes} B`;
  $('s-restarts').textContent = String(st.restarts);
  $('s-uptime').textContent = `${(st.uptime_ms / 1000).toFixed(1)} s`;
  $('s-detail').textContent = st.detail || '';
}

function appendLog(line) {
  const log = $('log');
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(`${line}\n`);
  while (log.childNodes.length > MAX_LOG_LINES) log.removeChild(log.firstChild);
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function onText(text) {
  let m;
  try {
    m = JSON.parse(text);
  } catch (e) {
    appendLog(`[page] unreadable message from the server: ${e.message}`);
    return;
  }
  switch (m.type) {
    case 'hello':
      $('source').textContent = `served by ${m.source} · format v${m.protocol} · ${m.telemetry_hz} Hz`;
      break;
    case 'status':
      state.status = m;
      renderStatus();
      break;
    case 'log':
      appendLog(m.line);
      break;
    case 'crash':
      $('crash-card').hidden = false;
      $('crash').textContent = m.report;
      appendLog('[page] core 1 crashed: see the crash report');
      break;
    case 'command': {
      const c = m.command;
      $('command-state').textContent = c.cmd === 'position'
        ? `last command: move to ${c.position_rad.toFixed(3)} rad at ≤ ${c.velocity_limit_rad_s} rad/s`
        : 'last command: disable';
      break;
    }
    case 'error':
      state.lastError = m;
      $('command-state').textContent = `rejected (${m.code}): ${m.message}`;
      break;
    case 'dropped':
      appendLog(`[page] the server dropped ${m.messages} messages for this page (it read too slowly)`);
      break;
    default:
      appendLog(`[page] unknown message type ${JSON.stringify(m.type)}`);
  }
}

let ws = null;

function setConn(text, cls) {
  const c = $('conn');
  c.textContent = text;
  c.className = `badge ${cls}`;
  c.dataset.state = cls;
}

function connect() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => {
    state.connected = true;
    setConn('connected', 'ok');
  };
  ws.onclose = () => {
    state.connected = false;
    setConn('disconnected, retrying…', 'bad');
    setTimeout(connect, 1000);
  };
  ws.onmessage = (ev) => {
    if (typeof ev.data === 'string') {
      onText(ev.data);
      return;
    }
    try {
      const m = decodeMessage(ev.data);
      if (m.kind === 'telemetry') onSamples(m.samples);
      else {
        state.lastStats = m.stats;
        statsDirty = true;
      }
    } catch (e) {
      state.decodeErrors++;
      if (state.decodeErrors <= 5) appendLog(`[page] bad binary message: ${e.code || ''} ${e.message}`);
    }
  };
}

function send(obj) {
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    $('command-state').textContent = 'not connected';
    return false;
  }
  ws.send(JSON.stringify(obj));
  return true;
}
// For tests and the console: dashboard.send({ cmd: 'disable' }).
state.send = send;

function sendPosition() {
  const target = Number($('target').value);
  const vlimit = Number($('vlimit').value);
  send({ cmd: 'position', position_rad: target, velocity_limit_rad_s: vlimit });
}

$('setpoint-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sendPosition();
});
$('disable').addEventListener('click', () => send({ cmd: 'disable' }));
$('target-slider').addEventListener('change', (ev) => {
  $('target').value = ev.target.value;
  sendPosition();
});
$('target').addEventListener('input', (ev) => { $('target-slider').value = ev.target.value; });
for (const b of document.querySelectorAll('.quick button')) {
  b.addEventListener('click', () => {
    $('target').value = b.dataset.target;
    $('target-slider').value = b.dataset.target;
    sendPosition();
  });
}

function frame() {
  for (const p of Object.values(plots)) p.draw();
  renderValues();
  renderStats();
  state.frames++;
  requestAnimationFrame(frame);
}

connect();
requestAnimationFrame(frame);
