// The Kernel (KLR) Hopfield lab in a real browser: what a visitor sees and clicks, the
// sweep split across workers (cells streaming in, cancel), and the page computing the same
// numbers as the CLI. The math itself is tested natively (cargo test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serve, browser, open, inkedPixels, ROOT } from './harness.mjs';

let srv, ctx;
before(async () => { srv = await serve(); ctx = await browser(); });
after(async () => { await ctx?.close(); srv?.server.close(); });

const CLI = join(ROOT, 'target', 'release', 'hopfield');
const cli = (args) => execFileSync(CLI, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

function onlyLocal(requests) {
  const outside = requests.filter((u) => !u.startsWith('http://127.0.0.1:') && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(outside, [], 'the page made requests outside 127.0.0.1');
}

// The page (wasm) and the CLI (native) may differ in the last bits: exp/ln come from
// different libm builds and the GEMM kernels block and fuse differently (measured: ~1e-14
// relative). Numbers are compared with this relative tolerance — relative to the largest
// entry for a list of numbers (a spectrum's near-zero eigenvalues are rounding noise of the
// size ε·λ_max) — plus 1e-12 absolute; everything else exactly.
const REL = 1e-7;
function close(a, b, path = '', scale = 0) {
  if (typeof a === 'number' && typeof b === 'number') {
    const tol = REL * Math.max(Math.abs(a), Math.abs(b), scale) + 1e-12;
    assert.ok(Math.abs(a - b) <= tol, `${path}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${path}: lengths`);
    const numbers = a.every((x) => typeof x === 'number');
    const s = numbers ? Math.max(0, ...a.map(Math.abs)) : 0;
    a.forEach((x, i) => close(x, b[i], `${path}[${i}]`, s));
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    assert.deepEqual(Object.keys(a), Object.keys(b), `${path}: keys`);
    for (const k of Object.keys(a)) close(a[k], b[k], `${path}.${k}`);
  } else {
    assert.equal(a, b, path);
  }
}

const SMALL = 'n=40&sw_gmin=0.001&sw_gmax=1&sw_gn=6&sw_ln=5&sw_lmin=0.25&sw_lmax=2&epochs=60&cap_max=0.5&cap_points=2';

test('klr lab trains a network, animates recall and draws every panel', async () => {
  const { page, errors, requests } = await open(ctx, srv.base, '?v=1&lab=klr&p=60&cap_max=1&cap_points=3');
  await page.waitForSelector('.klr-status[data-status]', { timeout: 60000 });
  assert.equal(await page.$eval('.klr-status', (e) => e.dataset.status), 'budget');
  assert.equal(await page.$eval('.klr-recall', (e) => e.dataset.recalled), 'true');
  assert.equal(await page.$eval('.klr-recall', (e) => e.dataset.success), '1');
  await page.waitForFunction(() => document.body.dataset.ranCapacity !== undefined, null, { timeout: 120000 });
  for (const chart of ['loss', 'overlap', 'rho-patterns', 'singular-values', 'kernel-eigenvalues', 'capacity']) {
    assert.ok((await inkedPixels(page, `canvas[data-chart="${chart}"]`)) > 200, `${chart} is drawn`);
  }
  assert.ok((await inkedPixels(page, '.recall-pair canvas')) > 50);
  assert.match(await page.textContent('.klr-table'), /at pattern μ = 0/);
  // The phase diagram waits for a click: nothing heavy runs on page load.
  assert.equal(await page.isVisible('.klr-run-sweep'), true);
  // Play the recall from the probe to the end.
  await page.click('[data-panel="recall"] .player button:nth-child(3)');
  assert.equal(await page.$eval('[data-panel="recall"] .player input', (e) => e.value), '0');
  await page.click('[data-panel="recall"] .player button:nth-child(1)');
  await page.waitForFunction(() => { const s = document.querySelector('[data-panel="recall"] .player input'); return s.value === s.max; }, null, { timeout: 20000 });
  // Clicking a stored pattern makes it the target.
  await page.click('.pattern-list figure:nth-child(4)');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('target') === '3');
  await page.waitForFunction(() => document.querySelector('.klr-table')?.textContent.includes('μ = 3'), null, { timeout: 60000 });
  assert.deepEqual(errors, []);
  onlyLocal(requests);
  await page.close();
});

test('the sweep streams cells from two workers; a click inspects a cell, shift-click pins it', async () => {
  const { page, errors } = await open(ctx, srv.base, `?v=1&lab=klr&p=20&${SMALL}&sweep=1`);
  await page.waitForFunction(() => document.body.dataset.ranSweep !== undefined, null, { timeout: 180000 });
  assert.equal(await page.$eval('.klr-phase-info', (e) => e.dataset.cells), '30');
  // Every cell was shown as it finished, before the sweep as a whole was done.
  assert.equal(await page.evaluate(() => window.klrView.streamed.sweep), 30);
  const sweep = await page.evaluate(() => window.klrView.results.sweep.sweep);
  assert.equal(sweep.cells.length, 30);
  assert.deepEqual(sweep.cells.map((c) => c.index), [...Array(30).keys()]);
  assert.ok(sweep.cells.some((c) => c.status === 'diverged') && sweep.cells.some((c) => c.status !== 'diverged'));
  assert.ok((await inkedPixels(page, 'canvas[data-chart="phase"]')) > 2000);
  // Every heatmap quantity draws.
  for (const q of ['rho', 'stable_rank', 'lambda_max', 'recall', 'curvature', 'ratio']) {
    await page.selectOption('.klr-phase-controls select:first-of-type', q);
    await page.waitForFunction((q) => new URL(location.href).searchParams.get('show') === q, q);
  }
  // Click the top-right cell (largest γ, largest load): the network view computes it.
  const phase = page.locator('canvas[data-chart="phase"]');
  const box = await phase.boundingBox();
  const topRight = { x: box.width - 64 - 8, y: 10 + 8 }; // inside the plot margins of gridHeatmap
  const target = sweep.cells.find((c) => c.i_gamma === 5 && c.i_load === 4);
  await phase.click({ position: topRight });
  await page.waitForFunction((p) => new URL(location.href).searchParams.get('p') === String(p), target.p);
  assert.equal(Number(new URL(page.url()).searchParams.get('gamma')), target.gamma);
  await page.waitForFunction(() => window.klrView.results.network?.p !== 20, null, { timeout: 60000 });
  const net = await page.evaluate(() => window.klrView.results.network);
  const { index, i_gamma, i_load, gamma, load, p, ...cell } = target;
  close(net.summary, cell, 'clicked cell');
  // Shift-click pins it; the pins part draws its spectrum.
  await phase.click({ position: topRight, modifiers: ['Shift'] });
  await page.waitForFunction((i) => new URL(location.href).searchParams.get('pins') === String(i), target.index);
  await page.waitForFunction(() => window.klrView.results.pins?.pins?.length === 1, null, { timeout: 60000 });
  assert.ok((await inkedPixels(page, 'canvas[data-chart="pins"]')) > 200);
  assert.ok((await inkedPixels(page, 'canvas[data-chart="prop1"]')) > 200);
  assert.deepEqual(errors, []);
  await page.close();
});

test('cancel stops a running sweep at once', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=klr&p=20&cap_max=0.5&cap_points=2&sweep=1');
  await page.waitForSelector('#runs .run[data-part="sweep"] button.cancel', { timeout: 30000 });
  await page.waitForFunction(() => Number(document.querySelector('.klr-phase-info')?.dataset.cells || 0) > 0, null, { timeout: 120000 });
  await page.click('#runs .run[data-part="sweep"] button.cancel');
  await page.waitForSelector('#runs .run[data-part="sweep"] .cancelled');
  const n = await page.$eval('.klr-phase-info', (e) => Number(e.dataset.cells));
  assert.ok(n > 0 && n < 900, `${n} cells before cancel`);
  await page.waitForTimeout(3000);
  assert.equal(await page.$eval('.klr-phase-info', (e) => Number(e.dataset.cells)), n, 'no cell arrives after cancel');
  // The page stays responsive: a control still works.
  await page.fill('#p-p', '25');
  await page.press('#p-p', 'Enter');
  await page.waitForFunction(() => window.klrView.results.network?.p === 25, null, { timeout: 60000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('presets set the author\'s protocol; bad input is reported', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=klr&p=20&cap_max=0.5&cap_points=2');
  await page.waitForSelector('.klr-status[data-status]', { timeout: 60000 });
  await page.click('button[data-preset="Figure 3"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('section') === '1');
  const url = new URL(page.url()).searchParams;
  for (const [k, v] of Object.entries({ n: '100', seed: '42', sec_gamma: '0.001', lr: '0.1', lambda: '0.01', epochs: '300', diverge: 'continue', sw_ln: '30', sw_lmax: '6' })) {
    assert.equal(url.get(k), v, k);
  }
  await page.waitForSelector('#runs .run[data-part="section"]', { timeout: 30000 });
  await page.click('#runs .run[data-part="section"] button.cancel');
  await page.close();

  const bad = await open(ctx, srv.base, '?v=1&lab=klr&p=99999&gamma=-1&learner=zzz&n=2048');
  const notices = await bad.page.$$eval('#notices .notice', (ns) => ns.map((x) => x.textContent));
  for (const key of ['p=', 'gamma=', 'learner=']) assert.ok(notices.some((t) => t.includes(key)), `a notice mentions ${key}: ${notices.join(' | ')}`);
  await bad.page.waitForSelector('#runs .run[data-part="network"] .error', { timeout: 30000 });
  assert.match(await bad.page.textContent('#runs .run[data-part="network"]'), /exceeds the limit of 4096/);
  assert.deepEqual(errors, []);
  assert.deepEqual(bad.errors, []);
  await bad.page.close();
});

test('the CLI reproduces the page\'s numbers, network and sweep (within the stated tolerance)', async () => {
  const q = `v=1&lab=klr&seed=7&p=30&gamma=0.03&target=2&${SMALL}&sweep=1`;
  const { page } = await open(ctx, srv.base, `?${q}`);
  // The network, computed by the wasm core on the main thread, against the CLI's JSON.
  const fromPage = JSON.parse(await page.evaluate((query) => window.hp.run(query, 'network', undefined), q));
  const fromCli = JSON.parse(cli(['run', q, '--part', 'network', '--format', 'json']));
  close(fromPage, fromCli, 'network');
  // The sweep as the page computed it (two workers, merged) against the CLI's CSV rows.
  await page.waitForFunction(() => document.body.dataset.ranSweep !== undefined, null, { timeout: 180000 });
  const cells = await page.evaluate(() => window.klrView.results.sweep.sweep.cells);
  const csv = cli(['run', q, '--format', 'csv']).trimEnd().split('\n');
  const header = csv[0].split(',');
  assert.equal(csv.length - 1, cells.length, 'one CSV row per cell');
  csv.slice(1).forEach((line, i) => {
    const row = line.split(',');
    header.forEach((key, j) => {
      const v = cells[i][key];
      const text = row[j];
      if (v === null) assert.equal(text, '', `${key} of cell ${i}`);
      else if (typeof v === 'number') close(v, Number(text), `${key} of cell ${i}`);
      else assert.equal(String(v), text, `${key} of cell ${i}`);
    });
  });
  const fitCli = JSON.parse(cli(['run', q, '--part', 'sweep'])).sweep.fit;
  const fitPage = await page.evaluate(() => window.klrView.results.sweep.sweep.fit);
  close(fitPage, fitCli, 'fit');
  await page.close();
});

test('with WebGPU the network trains and recalls on the GPU, close to the CLI\'s CPU numbers', async () => {
  const gctx = await browser({ webgpu: true });
  try {
    const q = 'v=1&lab=klr&n=40&p=24&gamma=0.03&epochs=150&tests=12&flip=0.2';
    const { page, errors } = await open(gctx, srv.base, `?${q}`);
    // The worker path, as the page runs it once WebGPU is verified.
    const g = JSON.parse(await page.evaluate((query) => window.hp.run(query, 'network', undefined, 'verified'), q));
    const c = JSON.parse(cli(['run', q, '--part', 'network']));
    assert.equal(g.backend, 'gpu');
    assert.equal(c.backend, 'cpu');
    assert.equal(g.training.status, c.training.status);
    // f32 training on the GPU: derived numbers within 1e-3 relative of the f64 CPU.
    for (const key of ['sharpness', 'rho', 'force_direct_sq']) {
      g[key].forEach((x, i) => assert.ok(Math.abs(x - c[key][i]) <= 1e-3 * Math.max(Math.abs(x), Math.abs(c[key][i])) + 1e-9, `${key}[${i}] ${x} vs ${c[key][i]}`));
    }
    assert.ok(Math.abs(g.stable_rank - c.stable_rank) <= 1e-3 * c.stable_rank);
    assert.deepEqual(g.recall_test.success, c.recall_test.success);
    // The page itself shows the network once the GPU verdict is in.
    await page.waitForFunction(() => document.querySelector('#backend-status').dataset.backend === 'webgpu', null, { timeout: 60000 });
    assert.deepEqual(errors, []);
  } finally {
    await gctx.close();
  }
});
