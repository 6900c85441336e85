// The dense associative memory lab in a real browser: what a visitor sees and the
// wiring (URL, presets, clicks, drags, workers, the particle layer). Its figures come from
// Rust (the lab contract); the math is tested natively. Every figure the page offers as SVG
// is the document the CLI writes for the same link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serve, browser, open, inkedPixels, ROOT, clickDownload, CLI_PATH } from './harness.mjs';

let srv, ctx;
before(async () => { srv = await serve(); ctx = await browser(); });
after(async () => { await ctx?.close(); srv?.server.close(); });

// Small N-dimensional parts so the workers finish quickly on a 2-core machine.
const SMALL = 'p3_n=40&p3_trials=6&p3_points=4&c_starts=6&e7_starts=3&nd_n=12&grid=61';
// The value of a key in the page's state (links leave default values out).
const param = (page, k) => page.evaluate((key) => JSON.parse(window.hp.parse_query(location.search)).text[key], k);
const cli = CLI_PATH;

const PARTS = ['Fixed_points', 'Landscape', 'Trajectory', 'Dead', 'Prop3', 'Appc', 'Ex7'];
const canvas = (f) => `[data-figure="${f}"] canvas.figure`;
/** The text a figure's scene draws, joined with spaces (wrapped lines join back up). */
const drawn = (page, f) => page.$eval(canvas(f), (c) => (c.scene?.items || []).filter((i) => i.t === 'text').map((i) => i.text).join(' '));
const caption = (page, f) => page.textContent(`[data-figure="${f}"] .caption`);

/** Every part has been shown once and the portrait carries its particle layer. */
async function ready(page) {
  await page.waitForFunction(() => document.querySelector('[data-figure="portrait"] canvas.figure')?.scene?.live?.length > 0, null, { timeout: 60000 });
  await page.waitForFunction((parts) => parts.every((p) => document.body.dataset[`ran${p}`] !== undefined), PARTS, { timeout: 90000 });
  await page.waitForTimeout(400);
}

test('the phase portrait shows two energy maps, moving particles, fixed points and the monitor', async () => {
  const { page, errors } = await open(ctx, srv.base, `?v=1&lab=dense&${SMALL}&particles=5000`);
  await ready(page);
  for (const f of ['portrait', 'monitor']) assert.ok((await inkedPixels(page, canvas(f))) > 1000, `${f} is drawn`);
  // Two maps (each with a colour bar) and two monitored energies.
  const clips = (f) => page.$eval(canvas(f), (c) => c.scene.items.filter((i) => i.t === 'clip').length);
  assert.equal(await clips('portrait'), 2);
  assert.equal(await clips('monitor'), 2);
  assert.match(await drawn(page, 'portrait'), /E \(KH\) .*E3 \(colour ∝ √E3\)/);
  // The particle layer is animated: frames keep coming and pixels change between them.
  await page.waitForFunction(() => window.__denseStats.work.length > 20, null, { timeout: 20000 });
  const grab = () => page.$eval('canvas[data-particles]', (c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 3).slice(0, 200000)));
  const a = await grab();
  await page.waitForTimeout(300);
  const b = await grab();
  assert.ok(a.some((v) => v > 0), 'particles are drawn');
  assert.ok(a.some((v, i) => v !== b[i]), 'particles move');
  // This browser has no WebGPU: once the page's check says so, the particles stay on the CPU and the status says why.
  await page.waitForFunction(() => /no verified WebGPU/.test(document.querySelector('.flow-status')?.textContent ?? ''), null, { timeout: 30000 });
  assert.equal(await page.$eval('.flow-status', (e) => e.dataset.path), 'cpu');
  assert.match(await page.textContent('.flow-status'), /5,000 advected by RK4 .* on the CPU \(WebAssembly, RK4 in f64 per particle\) — not on the GPU: the page has no verified WebGPU .*\. None stopped/);
  // Default system: two memories and a saddle.
  const stab = await page.$eval(canvas('fixed'), (c) => c.scene.items.filter((i) => i.t === 'text' && /^(stable|unstable|marginal)\b/.test(i.text)).map((i) => i.text));
  assert.deepEqual(stab, ['stable', 'unstable', 'stable']);
  // KH energy along (1) with a symmetric W: proven, and never increases.
  assert.match(await drawn(page, 'monitor'), /E \(KH\), chosen — never increases here/);
  assert.match(await caption(page, 'monitor'), /E \(KH\): Krotov–Hopfield energy \(2\): ✓ proven/);
  assert.match(await caption(page, 'monitor'), /Dormand–Prince 5\(4\), adaptive, tolerance 1e-8 .* reached the end time/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('clicking a map starts the trajectory there; presets set several keys at once', async () => {
  const { page, errors } = await open(ctx, srv.base, `?v=1&lab=dense&${SMALL}&particles=1000`);
  await ready(page);
  // The right map's plot area (the second clickable plane of the portrait).
  const plane = await page.$eval(canvas('portrait'), (c) => c.scene.hits.filter((h) => h.t === 'plane')[1]);
  const box = await (await page.$(canvas('portrait'))).boundingBox();
  await page.mouse.click(box.x + plane.x + plane.w * 0.75, box.y + plane.y + plane.h * 0.3);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('x0') !== '-1.5');
  assert.ok(Number(await param(page, 'x0')) > 0 && Number(await param(page, 'y0')) > 0, page.url());
  await page.waitForFunction((x) => document.querySelector('[data-figure="monitor"] .caption').textContent.includes(`(${x},`), await param(page, 'x0'), { timeout: 30000 });
  // The printed form of (9): E3 is not a Lyapunov function, and the monitor flags its rise.
  await page.click('button[data-preset="e3-rises"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('dynamics') === 'mod');
  assert.equal(await param(page, 'energy'), 'e3');
  assert.equal(await param(page, 'x0'), '0.8');
  const e3 = (re) => page.waitForFunction((src) => new RegExp(src).test((document.querySelector('[data-figure="monitor"] canvas.figure')?.scene?.items || []).filter((i) => i.t === 'text').map((i) => i.text).join(' ')), re.source, { timeout: 30000 });
  await e3(/E3, chosen — [1-9]\d* increases? \(largest /);
  assert.match(await caption(page, 'monitor'), /E3 rose [1-9]\d* times?: E3 = [^:]*: ✗ not proven/);
  // The transposed R: the gradient flow of E3 never lets it rise.
  await page.click('button[data-preset="gradient-flow"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('dynamics') === 'mod_t');
  await e3(/E3, chosen — never increases here/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('dragging an entry of W changes the URL on release; the maps follow', async () => {
  const { page, errors } = await open(ctx, srv.base, `?v=1&lab=dense&${SMALL}&particles=1000`);
  await ready(page);
  const s = await (await page.$('.scrub[data-key="w12"]')).boundingBox();
  await page.mouse.move(s.x + s.width / 2, s.y + s.height / 2);
  await page.mouse.down();
  await page.mouse.move(s.x + s.width / 2 + 60, s.y + s.height / 2, { steps: 6 });
  await page.mouse.up();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('w12') !== '-2');
  const w12 = Number(await param(page, 'w12'));
  assert.ok(w12 > -2 && w12 < 0, `w12 = ${w12}`);
  assert.equal(await page.$eval('#p-w12', (e) => e.value), String(w12));
  await page.waitForFunction((v) => document.querySelector('[data-figure="fixed"] .caption').textContent.length > 0 && new URL(location.href).searchParams.get('w12') === v, String(w12));
  // The maps follow: the portrait is drawn again for the new W (its caption names the system).
  await page.waitForFunction(() => document.body.dataset.ranLandscape !== undefined);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a stiff system stops the particles and the RK4 trajectory, and the page says so', async () => {
  const q = `?v=1&lab=dense&${SMALL}&particles=3000&lagrangian=tanh&w11=-400&w12=0&w21=0&w22=-400&b1=0&b2=0&x0=0.05&y0=2&t_end=5&integrator=rk4&dt=0.01`;
  const { page, errors } = await open(ctx, srv.base, q);
  await ready(page);
  await page.waitForFunction(() => Number(document.querySelector('.flow-status')?.dataset.stopped) > 0, null, { timeout: 20000 });
  assert.match(await page.textContent('.flow-status'), /stopped .*unstable step/);
  assert.match(await caption(page, 'monitor'), /stopped: the fixed RK4 step is unstable here/);
  assert.match(await caption(page, 'monitor'), /use Dormand–Prince or a smaller dt/);
  // Restart respawns them.
  await page.click('button:has-text("Restart particles")');
  assert.ok((await inkedPixels(page, canvas('portrait'))) > 1000);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the N-dimensional parts render: dead neurons, Proposition 3 with progress, Appendix C, Example 7', async () => {
  const { page, errors } = await open(ctx, srv.base, `?v=1&lab=dense&${SMALL}&p3_trials=30&particles=0`);
  // Proposition 3 reports partial curves while it runs.
  await page.waitForFunction(() => Number(/^(\d+) of 30 /.exec(document.querySelector('[data-figure="prop3"] .caption')?.textContent)?.[1]) > 0, null, { timeout: 60000 });
  for (const part of ['Dead', 'Prop3', 'Appc', 'Ex7']) {
    await page.waitForFunction((p) => document.body.dataset[`ran${p}`] !== undefined, part, { timeout: 90000 });
  }
  await page.waitForTimeout(400);
  assert.match(await caption(page, 'prop3'), /^30 of 30 /);
  assert.match(await drawn(page, 'prop3'), /Monte Carlo \(30 of 30 trials\)/);
  const dead = await drawn(page, 'dead');
  assert.ok(Number(/k = dim null Λ = (\d+) dead/.exec(dead)?.[1]) > 0, `ReLU neurons die: ${dead}`);
  assert.match(dead, /S = W⊥Λ⊥ − I .*: stable/);
  assert.match(await caption(page, 'appc'), /; 0 trajectories break the e\^\(−εt\) bound/);
  assert.match(await caption(page, 'ex7'), /R = I − WᵀΛ: 0 increases of E3/);
  for (const f of ['dead', 'prop3', 'appc', 'ex7']) assert.ok((await inkedPixels(page, canvas(f))) > 500, `${f} is drawn`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('garbage in a dense URL gives notices and a working lab', async () => {
  const { page, errors } = await open(ctx, srv.base, `?v=1&lab=dense&${SMALL}&particles=500&w11=abc&dynamics=zzz&energy=e1&xmin=5&xmax=1&integrator=rk4&dt=0.0001&t_end=1000`);
  const notices = await page.$$eval('#notices .notice', (ns) => ns.map((n) => n.textContent));
  for (const key of ['w11=', 'dynamics=', 'energy=e1', 'xmin=5', 'dt=']) {
    assert.ok(notices.some((t) => t.includes(key)), `a notice mentions ${key}: ${notices.join(' | ')}`);
  }
  await ready(page);
  assert.equal(await param(page, 'xmin'), '1');
  assert.equal(await param(page, 'xmax'), '5');
  assert.equal(await param(page, 'energy'), 'kh');
  assert.deepEqual(errors, []);
  await page.close();
});

/** Equal up to a relative 1e-9 in every number (nalgebra's solvers may differ in the last bits between builds). */
function close(a, b, path = '') {
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)), `${path}: ${a} vs ${b}`);
  } else if (Array.isArray(a)) {
    assert.ok(Array.isArray(b) && a.length === b.length, `${path}: length`);
    a.forEach((v, i) => close(v, b[i], `${path}[${i}]`));
  } else if (a && typeof a === 'object') {
    assert.deepEqual(Object.keys(a), Object.keys(b), `${path}: keys`);
    for (const k of Object.keys(a)) close(a[k], b[k], `${path}.${k}`);
  } else {
    assert.equal(a, b, path);
  }
}

test('the CLI prints what the page computes for the same query', async () => {
  const { page } = await open(ctx, srv.base, '?v=1&lab=dense&particles=0&grid=16&p3_n=10&p3_trials=2&p3_points=2&c_starts=2&e7_starts=2&nd_n=6');
  const cli = CLI_PATH;
  for (const q of [
    'v=1&lab=dense&seed=3&grid=24&streamlines=1&p3_n=30&p3_trials=4&p3_points=3&c_n=5&c_starts=3&e7_starts=2&nd_n=10',
    'v=1&lab=dense&lagrangian=sleaky&dynamics=u&r=polar&energy=e2&energy2=e1&w12=0.7&w21=0.7&integrator=rk4&grid=20&p3_n=12&p3_trials=2&c_starts=2&e7_starts=1&nd_system=plane',
    'lab=dense&lagrangian=softmax&w11=3&w22=3&w12=0&w21=0&b1=0&b2=0&dynamics=mod_t&energy=e3&grid=20&p3_n=12&p3_trials=2&c_starts=2&e7_starts=1&nd_n=8',
  ]) {
    const fromCli = JSON.parse(execFileSync(cli, ['run', q, '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 }));
    const fromPage = JSON.parse(await page.evaluate((query) => window.hp.run(query, '', undefined), q));
    close(fromPage, fromCli);
  }
  await page.close();
});

test('each figure downloads as the SVG (and CSV) the CLI writes; the page lists the CLI\'s figures and presets', async () => {
  const q = 'v=1&lab=dense&seed=5&grid=24&streamlines=1&particles=300&p3_n=12&p3_trials=3&p3_points=3&c_starts=3&e7_starts=2&nd_n=8';
  const { page, errors } = await open(ctx, srv.base, `?${q}`);
  await ready(page);
  const figures = execFileSync(cli, ['figures', 'dense'], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
  assert.deepEqual(await page.$$eval('[data-figure]', (fs) => fs.map((f) => f.dataset.figure)), figures);
  const presets = execFileSync(cli, ['presets', 'dense'], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
  assert.deepEqual(await page.$$eval('button[data-preset]', (bs) => bs.map((b) => b.dataset.preset)), presets);
  for (const f of figures) {
    const dl = await clickDownload(page, `[data-figure="${f}"] .dl[data-format="svg"]`);
    const svg = await text(dl);
    const fromCli = execFileSync(cli, ['run', q, '--format', 'svg', '--figure', f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 }).trimEnd();
    assert.equal(svg, fromCli, `figure ${f}: the page's SVG is the CLI's`);
    const csv = await clickDownload(page, `[data-figure="${f}"] .dl[data-format="csv"]`);
    assert.equal(await text(csv), execFileSync(cli, ['run', q, '--format', 'csv', '--figure', f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 }), `figure ${f}: CSV`);
  }
  const png = await clickDownload(page, '[data-figure="portrait"] .dl[data-format="png"]');
  assert.deepEqual([...(await buffer(png)).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  const js = await clickDownload(page, '[data-figure="prop3"] .dl[data-format="json"]');
  assert.equal(JSON.parse(await text(js)).name, 'prop3');
  assert.deepEqual(errors, []);
  await page.close();
});

test('before anything is computed a figure says what will appear, never empty axes', async () => {
  // A long Appendix C run: its figure waits with a message meanwhile.
  const { page, errors } = await open(ctx, srv.base, `?v=1&lab=dense&${SMALL}&c_n=300&c_starts=200&c_t=2000&particles=0`);
  await page.waitForFunction(() => document.querySelector('[data-figure="appc"] canvas.figure')?.scene, null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ranAppc), undefined);
  assert.match(await drawn(page, 'appc'), /appears here once they are integrated/);
  assert.equal(await page.$eval(canvas('appc'), (c) => c.scene.items.filter((i) => i.t === 'clip').length), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

async function buffer(download) {
  const chunks = [];
  for await (const c of await download.createReadStream()) chunks.push(c);
  return Buffer.concat(chunks);
}
async function text(download) { return (await buffer(download)).toString('utf8'); }
