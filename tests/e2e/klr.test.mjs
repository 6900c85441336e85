// The Kernel (KLR) Hopfield lab in a real browser. Its figures come from Rust (the lab
// contract), so this checks what a visitor sees and clicks, the sweep split across workers
// (cells streaming in, cancel), the page computing the same numbers as the CLI, and every
// figure's downloads against the CLI's. The math itself is tested natively (cargo test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serve, browser, open, inkedPixels, settledBox, ROOT, clickDownload, sameSvg, CLI_PATH } from './harness.mjs';

let srv, ctx;
before(async () => { srv = await serve(); ctx = await browser(); });
after(async () => { await ctx?.close(); srv?.server.close(); });

const CLI = CLI_PATH;
const cli = (args) => execFileSync(CLI, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const ran = (page, part, timeout = 60000) => page.waitForFunction((p) => document.body.dataset[`ran${p[0].toUpperCase()}${p.slice(1)}`] !== undefined, part, { timeout });
const caption = (page, fig) => page.textContent(`[data-figure="${fig}"] .caption`);
/** The texts a figure's scene draws (table cells, labels). */
const sceneText = (page, fig) => page.$eval(`[data-figure="${fig}"] canvas`, (c) => c.scene.items.filter((i) => i.t === 'text').map((i) => i.text).join(' | '));

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
// The lab's default trains with f32 products (precision=f32): wasm's SIMD128 f32 GEMM and the
// native AVX one round differently, so page and CLI agree to the f32 products' rounding
// (measured ≤ 6e-7 relative on the author's 30 × 30 sweep, every status the same; 1.4e-5 on
// this test's small sweep, for ‖F_i‖², a small remainder of the total force).
// Plus 1e-5 absolute: ρ near 0 (a correlation) differs by ~3e-6 there.
const REL_F32 = 1e-4;
const ABS = { [REL]: 1e-12, [REL_F32]: 1e-5 };
function close(a, b, path = '', scale = 0, rel = REL) {
  if (typeof a === 'number' && typeof b === 'number') {
    const tol = rel * Math.max(Math.abs(a), Math.abs(b), scale) + (ABS[rel] ?? 1e-12);
    assert.ok(Math.abs(a - b) <= tol, `${path}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${path}: lengths`);
    const numbers = a.every((x) => typeof x === 'number');
    const s = numbers ? Math.max(0, ...a.map(Math.abs)) : 0;
    a.forEach((x, i) => close(x, b[i], `${path}[${i}]`, s, rel));
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    assert.deepEqual(Object.keys(a), Object.keys(b), `${path}: keys`);
    for (const k of Object.keys(a)) close(a[k], b[k], `${path}.${k}`, 0, rel);
  } else {
    assert.equal(a, b, path);
  }
}

async function buffer(download) {
  const chunks = [];
  for await (const c of await download.createReadStream()) chunks.push(c);
  return Buffer.concat(chunks);
}
async function text(download) { return (await buffer(download)).toString('utf8'); }
/** The results on the page, as the JSON button saves them (the fields of `hopfield run … --format json`). */
async function pageJson(page) {
  const dl = await clickDownload(page, '#download-json');
  return JSON.parse(await text(dl));
}

/** Click cell (row, col) of the heatmap of figure `fig` (row 0 at the top); `shift` for shift-click. */
async function clickCell(page, fig, row, col, shift = false) {
  // Mouse coordinates are the viewport's: bring the figure into view first.
  await page.$eval(`[data-figure="${fig}"] canvas`, (c) => c.scrollIntoView({ block: 'center' }));
  // (The panels above it take their real heights as they come into view.)
  const box = await settledBox(page, `[data-figure="${fig}"] canvas`);
  const hit = await page.$eval(`[data-figure="${fig}"] canvas`, (c) => c.scene.hits.find((h) => h.t === 'cells'));
  const at = [box.x + hit.x + (col + 0.5) * (hit.w / hit.cols), box.y + hit.y + (row + 0.5) * (hit.h / hit.rows)];
  if (shift) await page.keyboard.down('Shift');
  await page.mouse.click(...at);
  if (shift) await page.keyboard.up('Shift');
  return hit;
}

const SMALL = 'n=40&sw_gmin=0.001&sw_gmax=1&sw_gn=6&sw_ln=5&sw_lmin=0.25&sw_lmax=2&epochs=60&cap_max=0.5&cap_points=2';

test('klr lab trains a network, animates recall and draws every figure', async () => {
  const { page, errors, requests } = await open(ctx, srv.base, '?v=1&lab=klr&p=60&cap_max=1&cap_points=3');
  await ran(page, 'network');
  // The figures are the registry's, in its order.
  const figures = cli(['figures', 'klr']).split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
  assert.deepEqual(await page.$$eval('[data-figure]', (fs) => fs.map((f) => f.dataset.figure)), figures);
  assert.match(await caption(page, 'training'), /Gradient descent: ran the full budget of 300 epochs/);
  assert.match(await caption(page, 'recall'), /synchronous recall recalled pattern 0 exactly/);
  assert.match(await caption(page, 'recall'), /Recall test: 10 of 10 probes/);
  await ran(page, 'capacity', 120000);
  await page.waitForTimeout(400);
  for (const f of ['training', 'patterns', 'recall', 'forces', 'spectra', 'capacity']) {
    assert.ok((await inkedPixels(page, `[data-figure="${f}"] canvas`)) > 200, `${f} is drawn`);
  }
  assert.match(await sceneText(page, 'forces'), /at pattern μ = 0/);
  assert.match(await sceneText(page, 'capacity'), /Hebbian 0\.138 N/);
  // The phase diagram waits for a click: nothing heavy runs on page load.
  assert.equal(await page.isVisible('[data-figure="phase"] .figure-controls button:has-text("Compute the phase diagram")'), true);
  assert.equal(await page.$eval('[data-figure="phase"] canvas', (c) => c.scene.hits.some((h) => h.t === 'cells')), false);
  assert.match(await sceneText(page, 'phase'), /phase diagram/);
  // Play the recall from the probe to the end.
  await page.click('[data-figure="recall"] .player [data-role="reset"]');
  assert.equal(await page.$eval('[data-figure="recall"] .player input', (e) => e.value), '0');
  await page.click('[data-figure="recall"] .player [data-role="play"]');
  await page.waitForFunction(() => { const s = document.querySelector('[data-figure="recall"] .player input'); return s.value === s.max; }, null, { timeout: 20000 });
  // Clicking a stored pattern makes it the target.
  const area = await page.$eval('[data-figure="patterns"] canvas', (c) => c.scene.hits[3]);
  const pbox = await (await page.$('[data-figure="patterns"] canvas')).boundingBox();
  await page.mouse.click(pbox.x + area.x + area.w / 2, pbox.y + area.y + area.w / 2);
  await page.waitForFunction(() => JSON.parse(window.hp.parse_query(location.search)).text['target'] === '3');
  await page.waitForFunction(() => document.querySelector('[data-figure="forces"] canvas')?.scene?.items.some((i) => i.t === 'text' && i.text === 'at pattern μ = 3'), null, { timeout: 60000 });
  assert.deepEqual(errors, []);
  onlyLocal(requests);
  await page.close();
});

test('the sweep streams cells from several workers; a click inspects a cell, shift-click pins it', async () => {
  const { page, errors } = await open(ctx, srv.base, `?v=1&lab=klr&p=20&${SMALL}&sweep=1`);
  await ran(page, 'sweep', 180000);
  await page.waitForFunction(() => /^30 of 30 cells/.test(document.querySelector('[data-figure="phase"] .caption')?.textContent || ''));
  // Every cell was shown as it finished, before the sweep as a whole was done.
  assert.equal(await page.$eval('[data-figure="phase"]', (e) => e.dataset.pieces), '30');
  const { sweep } = await pageJson(page);
  assert.equal(sweep.cells.length, 30);
  assert.deepEqual(sweep.cells.map((c) => c.index), [...Array(30).keys()]);
  assert.ok(sweep.cells.some((c) => c.status === 'diverged') && sweep.cells.some((c) => c.status !== 'diverged'));
  assert.ok((await inkedPixels(page, '[data-figure="phase"] canvas')) > 2000);
  // Every heatmap quantity draws (the show/stat controls sit in the figure).
  for (const q of ['rho', 'stable_rank', 'lambda_max', 'recall', 'curvature', 'ratio']) {
    await page.selectOption('[data-figure="phase"] .figure-controls select[name="show"]', q);
    await page.waitForFunction((q) => JSON.parse(window.hp.parse_query(location.search)).text['show'] === q, q);
    assert.ok((await inkedPixels(page, '[data-figure="phase"] canvas')) > 2000, q);
  }
  await page.selectOption('[data-figure="phase"] .figure-controls select[name="stat"]', 'median');
  await page.waitForFunction(() => JSON.parse(window.hp.parse_query(location.search)).text['stat'] === 'median');
  // Click the top-right cell (largest γ, largest load): the network view computes it.
  const target = sweep.cells.find((c) => c.i_gamma === 5 && c.i_load === 4);
  const hit = await clickCell(page, 'phase', 0, 4);
  assert.equal(hit.rows, 6);
  assert.equal(hit.cols, 5);
  await page.waitForFunction((p) => JSON.parse(window.hp.parse_query(location.search)).text['p'] === String(p), target.p);
  // The link names the cell, not its 17-digit γ; the page reads the cell's exact γ from it.
  const url = new URL(page.url()).searchParams;
  assert.equal(url.get('cell'), String(target.index));
  assert.equal(url.get('gamma'), null);
  assert.equal(Number(JSON.parse(await page.evaluate(() => window.hp.parse_query(location.search))).text.gamma), target.gamma);
  await page.waitForFunction((p) => (document.querySelector('[data-figure="patterns"] .caption')?.textContent || '').startsWith(`${p} patterns`), target.p, { timeout: 60000 });
  const net = await pageJson(page);
  const { index, i_gamma, i_load, gamma, load, p, ...cell } = target;
  close(net.summary, cell, 'clicked cell');
  // Shift-click pins it; the pins part draws its spectrum.
  await clickCell(page, 'phase', 0, 4, true);
  await page.waitForFunction((i) => JSON.parse(window.hp.parse_query(location.search)).text['pins'] === String(i), target.index);
  await page.waitForFunction(() => /^1 pinned cell;/.test(document.querySelector('[data-figure="pins"] .caption')?.textContent || ''), null, { timeout: 60000 });
  assert.ok((await inkedPixels(page, '[data-figure="pins"] canvas')) > 200);
  assert.ok((await inkedPixels(page, '[data-figure="prop1"] canvas')) > 200);
  assert.match(await caption(page, 'prop1'), /Log-log fit over \d+ non-diverged cells/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('cancel stops a running sweep at once; stopped parts end their progress with a message', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=klr&p=20&cap_max=0.5&cap_points=2&sweep=1');
  await page.waitForSelector('#runs .run[data-part="sweep"] button.cancel', { timeout: 30000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-figure="phase"]')?.dataset.pieces || 0) > 0, null, { timeout: 120000 });
  await page.click('#runs .run[data-part="sweep"] button.cancel');
  await page.waitForSelector('#runs .run[data-part="sweep"] .cancelled');
  const cells = async () => Number((/^(\d+) of 900 cells/.exec(await caption(page, 'phase')) || [])[1]);
  await page.waitForFunction(() => /stopped before the end/.test(document.querySelector('[data-figure="phase"] .caption')?.textContent || ''));
  const n = await cells();
  assert.ok(n > 0 && n < 900, `${n} cells before cancel`);
  assert.match(await page.textContent('[data-figure="phase"] .panel-error'), /sweep: cancelled/);
  const pieces = await page.$eval('[data-figure="phase"]', (e) => e.dataset.pieces);
  await page.waitForTimeout(3000);
  assert.equal(await cells(), n, 'no cell arrives after cancel');
  assert.equal(await page.$eval('[data-figure="phase"]', (e) => e.dataset.pieces), pieces);
  // The page stays responsive: a control still works.
  await page.fill('#p-p', '25');
  await page.press('#p-p', 'Enter');
  await page.waitForFunction(() => (document.querySelector('[data-figure="patterns"] .caption')?.textContent || '').startsWith('25 patterns'), null, { timeout: 60000 });
  // A stopped network run: every figure of the part says so instead of "epoch … of …" forever.
  await page.fill('#p-p', '150');
  await page.press('#p-p', 'Enter');
  await page.fill('#p-epochs', '20000');
  await page.press('#p-epochs', 'Enter');
  await page.waitForSelector('#runs .run[data-part="network"] button.cancel', { timeout: 30000 });
  await page.click('#runs .run[data-part="network"] button.cancel');
  for (const f of ['training', 'patterns', 'recall', 'forces', 'spectra']) {
    await page.waitForFunction((f) => /network: cancelled/.test(document.querySelector(`[data-figure="${f}"] .panel-error`)?.textContent || ''), f);
    assert.equal(await page.$eval(`[data-figure="${f}"]`, (e) => e.classList.contains('busy')), false, f);
  }
  assert.doesNotMatch(await caption(page, 'training'), /Training: epoch \d+ of/);
  for (const f of ['patterns', 'recall', 'forces', 'spectra']) assert.doesNotMatch(await sceneText(page, f), /epoch \d+ of/, f);
  assert.deepEqual(errors, []);
  await page.close();
});

test('presets set the author\'s protocol; bad input is clamped with notices', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=klr&p=20&cap_max=0.5&cap_points=2');
  await ran(page, 'network');
  const presets = cli(['presets', 'klr']).split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
  assert.deepEqual(await page.$$eval('.presets button[data-preset]', (bs) => bs.map((b) => b.dataset.preset)), presets);
  await page.click('button[data-preset="fig3"]');
  await page.waitForFunction(() => JSON.parse(window.hp.parse_query(location.search)).text['section'] === '1');
  const text = await page.evaluate(() => JSON.parse(window.hp.parse_query(location.search)).text);
  const url = { get: (k) => text[k] };
  for (const [k, v] of Object.entries({ n: '100', seed: '42', sec_gamma: '0.001', lr: '0.1', lambda: '0.01', epochs: '300', diverge: 'continue', sw_ln: '30', sw_lmax: '6' })) {
    assert.equal(url.get(k), v, k);
  }
  await page.waitForSelector('#runs .run[data-part="section"]', { timeout: 30000 });
  await page.click('#runs .run[data-part="section"] button.cancel');
  await page.close();

  // Past the limits: clamped up front with notices naming the limit; no part fails.
  const bad = await open(ctx, srv.base, '?v=1&lab=klr&p=99999&gamma=-1&learner=zzz&n=2048');
  const notices = await bad.page.$$eval('#notices .notice', (ns) => ns.map((x) => x.textContent));
  for (const key of ['p=', 'gamma=', 'learner=']) assert.ok(notices.some((t) => t.includes(key)), `a notice mentions ${key}: ${notices.join(' | ')}`);
  assert.ok(notices.some((t) => /beyond its limit of 1024/.test(t)), `the P limit is named: ${notices.join(' | ')}`);
  await bad.page.waitForSelector('#runs .run[data-part="network"] button.cancel', { timeout: 30000 });
  assert.equal(await bad.page.$('#runs .run .error'), null);
  await bad.page.click('#runs .run[data-part="network"] button.cancel');
  assert.deepEqual(errors, []);
  assert.deepEqual(bad.errors, []);
  await bad.page.close();
});

for (const [precision, rel] of [['f64', REL], ['f32', REL_F32]]) {
  test(`the CLI reproduces the page's numbers, network and sweep, with ${precision} products (within the stated tolerance)`, async () => {
    const q = `v=1&lab=klr&seed=7&p=30&gamma=0.03&target=2&${SMALL}&sweep=1${precision === 'f64' ? '&precision=f64' : ''}`;
    const { page } = await open(ctx, srv.base, `?${q}`);
    // The network, computed by the wasm core on the main thread, against the CLI's JSON.
    const fromPage = JSON.parse(await page.evaluate((query) => window.hp.run(query, 'network', undefined), q));
    const fromCli = JSON.parse(cli(['run', q, '--part', 'network', '--format', 'json']));
    assert.equal(fromPage.training.precision, precision);
    close(fromPage, fromCli, 'network', 0, rel);
    // The sweep as the page computed it (several workers, merged in Rust) against the CLI's CSV rows.
    await ran(page, 'sweep', 180000);
    const { sweep } = await pageJson(page);
    const cells = sweep.cells;
    const csv = cli(['run', q, '--format', 'csv']).trimEnd().split('\n');
    const header = csv[0].split(',');
    assert.equal(csv.length - 1, cells.length, 'one CSV row per cell');
    csv.slice(1).forEach((line, i) => {
      const row = line.split(',');
      header.forEach((key, j) => {
        const v = cells[i][key];
        const t = row[j];
        if (v === null) assert.equal(t, '', `${key} of cell ${i}`);
        else if (typeof v === 'number') close(v, Number(t), `${key} of cell ${i}`, 0, rel);
        else assert.equal(String(v), t, `${key} of cell ${i}`);
      });
    });
    // The Proposition 1 fit: computed once in Rust, over the merged shards.
    const fitCli = JSON.parse(cli(['run', q, '--part', 'sweep'])).sweep.fit;
    close(sweep.fit, fitCli, 'fit', 0, rel);
    await page.close();
  });
}

// SVG numbers are rounded to 4 significant digits, so the page's document and the CLI's are
// the same text unless a number sits on a rounding boundary and the last bits of wasm and
// native differ. Then they may differ in that last digit: numbers are compared within
// 1e-3 relative (one unit in the 4th digit), everything else exactly.
test('each figure downloads as the SVG the CLI writes, and as CSV, JSON and PNG', async () => {
  // f64 products: the page and the CLI agree to the last bits (see REL).
  const q = `v=1&lab=klr&seed=3&p=24&gamma=0.05&${SMALL}&sweep=1&section=1&sec_gamma=0.01&pins=7,20&cap_points=2&precision=f64`;
  const { page, errors } = await open(ctx, srv.base, `?${q}`);
  for (const part of ['network', 'capacity', 'sweep', 'section', 'pins']) await ran(page, part, 180000);
  await page.waitForTimeout(500);
  const figures = await page.$$eval('[data-figure]', (fs) => fs.map((f) => f.dataset.figure));
  assert.equal(figures.length, 10);
  const report = [];
  for (const f of figures) {
    const dl = await clickDownload(page, `[data-figure="${f}"] .dl[data-format="svg"]`);
    const svg = await text(dl);
    const fromCli = cli(['run', q, '--format', 'svg', '--figure', f]).trimEnd();
    assert.match(svg, /^<svg/);
    report.push(`${f}: ${sameSvg(svg, fromCli, `figure ${f}`)} numbers differ in the last digit`);
    const csv = await clickDownload(page, `[data-figure="${f}"] .dl[data-format="csv"]`);
    const rows = (await text(csv)).trimEnd().split('\n');
    const cliRows = cli(['run', q, '--format', 'csv', '--figure', f]).trimEnd().split('\n');
    assert.equal(rows.length, cliRows.length, `figure ${f}: CSV rows`);
    assert.equal(rows[0], cliRows[0], `figure ${f}: CSV header`);
    rows.forEach((r, i) => r.split(',').forEach((c, j) => {
      const d = cliRows[i].split(',')[j];
      if (c !== d) close(Number(c), Number(d), `figure ${f} CSV row ${i} column ${j}`);
    }));
    const js = await clickDownload(page, `[data-figure="${f}"] .dl[data-format="json"]`);
    assert.equal(JSON.parse(await text(js)).name, f);
    const png = await clickDownload(page, `[data-figure="${f}"] .dl[data-format="png"]`);
    const bytes = await buffer(png);
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], `figure ${f}: a PNG`);
  }
  console.log(report.join('\n'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('with WebGPU the network trains and recalls on the GPU, close to the CLI\'s CPU numbers', async () => {
  const gctx = await browser({ webgpu: true });
  try {
    // backend=gpu: the adapter here is a software renderer, which auto passes over.
    const q = 'v=1&lab=klr&n=40&p=24&gamma=0.03&epochs=150&tests=12&flip=0.2&backend=gpu';
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
