// Loads the dashboard from a running server in headless Chromium (Debian's `chromium`,
// driven by playwright-core), checks that the plots update, moves the setpoint and waits for
// the position to follow, and saves a screenshot.
//
//   node browser-check.mjs --url http://127.0.0.1:PORT/ --screenshot out.png [--chromium /usr/bin/chromium]
//                          [--scenario follow|crash]
//
// Scenario `follow` (default): plots update, the setpoint moves the position, a bad command is
// rejected. Scenario `crash`: against a twin that panics core 1 a few seconds after the page
// connected (`motor-position-twin serve --fault panic@MS`), the crash report and the
// `crashed` state appear, the supervisor restarts core 1, then telemetry resumes.
//
// `cargo xtask dashboard-test` starts the twin for each scenario and runs this.
//
// The screenshot path may also come from DASHBOARD_SCREENSHOT, the browser from CHROMIUM.
// Exits 0 and prints "N passed, 0 failed" when every check passed, 1 otherwise.
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

function parseArgs(argv) {
  const args = {
    url: null,
    screenshot: process.env.DASHBOARD_SCREENSHOT || null,
    chromium: process.env.CHROMIUM || '/usr/bin/chromium',
    target: 2.5,
    scenario: 'follow',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--url') args.url = value();
    else if (a === '--screenshot') args.screenshot = value();
    else if (a === '--chromium') args.chromium = value();
    else if (a === '--target') args.target = Number(value());
    else if (a === '--scenario') args.scenario = value();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.url) throw new Error('--url is required (the running dashboard server)');
  if (!args.screenshot) throw new Error('--screenshot PATH (or DASHBOARD_SCREENSHOT) is required');
  if (!existsSync(args.chromium)) {
    throw new Error(`no browser at ${args.chromium}: apt-get install -y chromium (or pass --chromium)`);
  }
  if (!Number.isFinite(args.target) || Math.abs(args.target) < 0.5) throw new Error('--target must be a number with |target| >= 0.5');
  if (!['follow', 'crash'].includes(args.scenario)) throw new Error(`--scenario must be follow or crash, not ${args.scenario}`);
  return args;
}

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok   ${name}${detail ? ` (${detail})` : ''}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? ` (${detail})` : ''}`);
  }
  return ok;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(page, fn, arg, timeoutMs) {
  try {
    await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 50 });
    return true;
  } catch {
    return false;
  }
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`browser-test: ${e.message}`);
    process.exit(2);
  }
  const browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const pageErrors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console error: ${m.text()}`);
    });
    const response = await page.goto(args.url, { waitUntil: 'load', timeout: 15000 });
    check('page loads', response && response.ok(), `HTTP ${response && response.status()}`);

    check('WebSocket connects', await waitFor(page, () => document.getElementById('conn').dataset.state === 'ok', null, 10000));
    check('telemetry arrives', await waitFor(page, () => globalThis.dashboard && globalThis.dashboard.samples > 100, null, 10000));
    check('served by the twin', await waitFor(page, () => document.getElementById('source').textContent.startsWith('served by twin'), null, 5000),
      await page.evaluate(() => document.getElementById('source').textContent));
    if (args.scenario === 'crash') await crashScenario(page);
    else await followScenario(page, args);

    const path = resolve(args.screenshot);
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path, fullPage: true });
    check('screenshot saved', existsSync(path), path);
    check('no page errors', pageErrors.length === 0, pageErrors.join('; '));
  } finally {
    await browser.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

async function crashScenario(page) {
  const text = (id) => page.evaluate((i) => document.getElementById(i).textContent, id);
  const position = () => page.evaluate(() => globalThis.dashboard.lastSample.position_rad);
  // Move first, so the plots show the motion, the crash and the restart.
  const target = 1.5;
  await page.fill('#target', String(target));
  await page.fill('#vlimit', '5');
  await page.click('#send');
  check('position follows before the crash', await waitFor(page,
    (t) => Math.abs(globalThis.dashboard.lastSample.position_rad - t) < 0.02, target, 5000), `position ${(await position()).toFixed(3)} rad`);
  // The twin's report: ESP-IDF's format, the panic message and location of the injected fault
  // in the control step (a host thread has no Xtensa backtrace: the line is there, empty).
  check('crash report shown', await waitFor(page, () => !document.getElementById('crash-card').hidden
    && document.getElementById('crash').textContent.includes('\nBacktrace:'), null, 20000));
  const report = await text('crash');
  check('the report is core 1\'s panic, ESP-IDF style', report.startsWith("Guru Meditation Error: Core  1 panic'ed (Rust panic)")
    && report.includes('injected fault: control step panicked'), report.split('\n').slice(0, 2).join(' / '));
  // The supervisor waits 1 s before restarting core 1, so the state is visible.
  check('core-1 state crashed', await waitFor(page, () => document.getElementById('core1').textContent === 'core 1: crashed', null, 5000),
    await text('core1'));
  check('crash logged', await waitFor(page, () => document.getElementById('log').textContent.includes('core 0: core 1 crashed'), null, 5000));
  check('the supervisor\'s restart logged', await waitFor(page,
    () => document.getElementById('log').textContent.includes('supervisor: Crashed: restarting core 1 (attempt 1)'), null, 10000));
  check('core 1 running again after the restart', await waitFor(page,
    () => document.getElementById('core1').textContent === 'core 1: running' && document.getElementById('s-restarts').textContent === '1',
    null, 10000), `${await text('core1')}, restarts ${await text('s-restarts')}`);
  const n0 = await page.evaluate(() => globalThis.dashboard.samples);
  check('telemetry resumes', await waitFor(page, (n) => globalThis.dashboard.samples > n + 300, n0, 5000));
  const seq = await page.evaluate(() => globalThis.dashboard.lastSample.seq);
  check('samples count from zero after the restart', seq < 5000, `seq ${seq}`);
  const lost = await page.evaluate(() => globalThis.dashboard.lost);
  check('the restart is not counted as lost samples', lost === 0, `${lost}`);
  check('the crash report stays visible', await page.evaluate(() => !document.getElementById('crash-card').hidden));
  // Core 1 restarts with the last setpoint from the mailbox and holds it.
  check('the restarted core 1 holds the setpoint', await waitFor(page,
    (t) => globalThis.dashboard.lastSample.setpoint_rad === t && Math.abs(globalThis.dashboard.lastSample.position_rad - t) < 0.02, target, 5000),
    `position ${(await position()).toFixed(3)} rad`);
  await sleep(1000); // some time after the restart on the plots
}

async function followScenario(page, args) {
  {

    const shot = () => page.evaluate(() => document.getElementById('plot-position').toDataURL());
    const n0 = await page.evaluate(() => globalThis.dashboard.samples);
    const img0 = await shot();
    await sleep(1000);
    const n1 = await page.evaluate(() => globalThis.dashboard.samples);
    const img1 = await shot();
    check('sample counter grows at about 1 kHz', n1 - n0 >= 500 && n1 - n0 <= 2000, `${n1 - n0} samples in 1 s`);
    check('position plot redraws', img0 !== img1);
    // The count on the page is refreshed with the next drawn frame, not with each message.
    const caughtUp = await waitFor(page, (n) => Number(document.body.dataset.samples) >= n, n1, 2000);
    const shown = await page.evaluate(() => Number(document.body.dataset.samples));
    check('the page shows the sample count', caughtUp, `shown ${shown}, counted ${n1}`);

    check('loop statistics shown', await waitFor(page, () => /^\d+$/.test(document.getElementById('t-releases').textContent)
      && Number(document.getElementById('t-releases').textContent) > 0, null, 5000));
    check('core-1 status shown', await waitFor(page, () => document.getElementById('core1').textContent === 'core 1: running', null, 5000));

    const before = await page.evaluate(() => globalThis.dashboard.lastSample.position_rad);
    check('position starts away from the new target', Math.abs(before - args.target) > 0.4, `position ${before.toFixed(3)} rad`);
    await page.fill('#target', String(args.target));
    await page.fill('#vlimit', '10');
    await page.click('#send');
    check('command acknowledged', await waitFor(page, () => document.getElementById('command-state').textContent.startsWith('last command: move to'), null, 5000),
      await page.evaluate(() => document.getElementById('command-state').textContent));
    check('setpoint in the telemetry follows', await waitFor(page, (t) => Math.abs(globalThis.dashboard.lastSample.setpoint_rad - t) < 1e-6, args.target, 5000));
    const t0 = Date.now();
    const followed = await waitFor(page, (t) => Math.abs(globalThis.dashboard.lastSample.position_rad - t) < 0.02, args.target, 10000);
    const after = await page.evaluate(() => globalThis.dashboard.lastSample.position_rad);
    check('position follows the setpoint', followed, `position ${after.toFixed(3)} rad after ${Date.now() - t0} ms`);
    const lost = await page.evaluate(() => globalThis.dashboard.lost);
    check('no telemetry lost', lost === 0, `${lost} samples lost`);
    const decodeErrors = await page.evaluate(() => globalThis.dashboard.decodeErrors);
    check('no decode errors', decodeErrors === 0, `${decodeErrors}`);

    // A bad command is answered with a specific error, shown on the page, and logged.
    await page.evaluate(() => globalThis.dashboard.send({ cmd: 'spin' }));
    check('bad command rejected with its error code', await waitFor(page,
      () => document.getElementById('command-state').textContent.startsWith('rejected (unknown_command)'), null, 5000),
      await page.evaluate(() => document.getElementById('command-state').textContent));
    check('rejection logged on the page', await waitFor(page,
      () => document.getElementById('log').textContent.includes('rejected a message'), null, 5000));
    const stillThere = await page.evaluate(() => globalThis.dashboard.lastSample.position_rad);
    check('a rejected command changes nothing', Math.abs(stillThere - args.target) < 0.02, `position ${stillThere.toFixed(3)} rad`);

    await sleep(1500); // let the step response fill part of the window
  }
}

main().catch((e) => {
  console.error(`browser-test: ${e.stack || e}`);
  process.exit(1);
});
