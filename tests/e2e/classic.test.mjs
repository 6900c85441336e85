// The Classic Hopfield lab in a real browser: its figures come from Rust (the lab
// contract), so this checks wiring and what a person sees, and that every figure the page
// offers as SVG is the document the CLI writes for the same link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serve, browser, open, inkedPixels, clickProbePixel, settledBox, ROOT, clickDownload, CLI_PATH } from './harness.mjs';

let srv, ctx;
before(async () => { srv = await serve(); ctx = await browser(); });
after(async () => { await ctx?.close(); srv?.server.close(); });
const cli = CLI_PATH;
const ran = (page, part) => page.waitForFunction((p) => document.body.dataset[`ran${p[0].toUpperCase()}${p.slice(1)}`] !== undefined, part, { timeout: 60000 });

test('classic lab recalls a corrupted pattern and draws every figure', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=classic&seed=42&n=100&p=8&flip=0.2');
  await ran(page, 'recall');
  await ran(page, 'capacity');
  assert.match(await page.textContent('[data-figure="recall"] .caption'), /recalled pattern 0 exactly/);
  const figures = execFileSync(cli, ['figures', 'classic'], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
  assert.deepEqual(await page.$$eval('[data-figure]', (fs) => fs.map((f) => f.dataset.figure)), figures);
  await page.waitForTimeout(300);
  for (const f of figures) assert.ok((await inkedPixels(page, `[data-figure="${f}"] canvas`)) > 200, `${f} is drawn`);
  // Play the animation from the probe to the end.
  await page.click('[data-figure="recall"] .player [data-role="reset"]');
  assert.equal(await page.$eval('[data-figure="recall"] .player input', (e) => e.value), '0');
  await page.click('[data-figure="recall"] .player [data-role="play"]');
  await page.waitForFunction(() => { const s = document.querySelector('[data-figure="recall"] .player input'); return s.value === s.max; }, null, { timeout: 20000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('N = 400 and N = 1024 recall and draw (the weights are N² values)', async () => {
  for (const n of [400, 1024]) {
    const { page, errors } = await open(ctx, srv.base, `?v=1&lab=classic&n=${n}&seed=1&cap_trials=1&cap_points=2`);
    await ran(page, 'recall');
    await page.waitForTimeout(300);
    assert.doesNotMatch(await page.textContent('#app'), /failed|could not be drawn/);
    for (const f of ['recall', 'overlaps', 'energy', 'weights']) assert.ok((await inkedPixels(page, `[data-figure="${f}"] canvas`)) > 200, `${f} at N = ${n}`);
    assert.deepEqual(errors, [], `N = ${n}`);
    await page.close();
  }
});

test('dragging over the probe paints pixels into flips=; clicking a stored pattern probes it', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=classic&n=100&flip=0');
  await ran(page, 'recall');
  const hit = await page.$eval('[data-figure="recall"] canvas', (c) => c.scene.hits.find((h) => h.t === 'cells'));
  const box = await (await page.$('[data-figure="recall"] canvas')).boundingBox();
  const at = (r, c) => [box.x + hit.x + (c + 0.5) * (hit.w / hit.cols), box.y + hit.y + (r + 0.5) * (hit.h / hit.rows)];
  await page.mouse.move(...at(0, 0));
  await page.mouse.down();
  await page.mouse.move(...at(0, 1), { steps: 3 });
  await page.mouse.move(...at(0, 2), { steps: 3 });
  await page.mouse.up();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('flips') === '0,1,2');
  await clickProbePixel(page, 0, 1);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('flips') === '0,2');
  // The stored patterns: click the third one.
  const area = await page.$eval('[data-figure="patterns"] canvas', (c) => c.scene.hits[2]);
  const pbox = await (await page.$('[data-figure="patterns"] canvas')).boundingBox();
  await page.mouse.click(pbox.x + area.x + area.w / 2, pbox.y + area.y + area.w / 2);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('target') === '2');
  assert.deepEqual(errors, []);
  await page.close();
});

test('each figure downloads as the SVG the CLI writes, and as CSV, JSON and PNG', async () => {
  const q = 'v=1&lab=classic&seed=9&n=49&p=4&flip=0.2&cap_n=30&cap_points=3&cap_trials=2';
  const { page, errors } = await open(ctx, srv.base, `?${q}`);
  await ran(page, 'recall');
  await ran(page, 'capacity');
  const figures = await page.$$eval('[data-figure]', (fs) => fs.map((f) => f.dataset.figure));
  for (const f of figures) {
    const dl = await clickDownload(page, `[data-figure="${f}"] .dl[data-format="svg"]`);
    const svg = await text(dl);
    const fromCli = execFileSync(cli, ['run', q, '--format', 'svg', '--figure', f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
    assert.equal(svg, fromCli, `figure ${f}: the page's SVG is the CLI's`);
    const csv = await clickDownload(page, `[data-figure="${f}"] .dl[data-format="csv"]`);
    const csvText = await text(csv);
    assert.equal(csvText, execFileSync(cli, ['run', q, '--format', 'csv', '--figure', f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const js = await clickDownload(page, `[data-figure="${f}"] .dl[data-format="json"]`);
    assert.equal(JSON.parse(await text(js)).name, f);
    const png = await clickDownload(page, `[data-figure="${f}"] .dl[data-format="png"]`);
    const bytes = await buffer(png);
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], `figure ${f}: a PNG`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

async function buffer(download) {
  const chunks = [];
  for await (const c of await download.createReadStream()) chunks.push(c);
  return Buffer.concat(chunks);
}
async function text(download) { return (await buffer(download)).toString('utf8'); }

test('painted patterns: draw on one, type letters, and they are stored and recalled', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=classic&data=painted&pats=X.O.T&n=100&flip=0.1');
  await ran(page, 'recall');
  assert.match(await page.textContent('[data-figure="recall"] .caption'), /recalled pattern 0 exactly/);
  // Drag across the top row of the editor: the letter becomes painted bits. (The editor has no
  // part: it is drawn at once, and the panels above it may still be moving it down.)
  await page.waitForFunction(() => document.querySelector('[data-figure="paint"] canvas')?.scene, null, { timeout: 30000 });
  const box = await settledBox(page, '[data-figure="paint"] canvas');
  const hit = await page.$eval('[data-figure="paint"] canvas', (c) => c.scene.hits.find((h) => h.t === 'cells'));
  const at = (r, c) => [box.x + hit.x + (c + 0.5) * (hit.w / hit.cols), box.y + hit.y + (r + 0.5) * (hit.h / hit.rows)];
  // The drawn pattern gives the editor new buttons, so its controls are rebuilt; letters typed
  // meanwhile (here, in the task that sees the new link) stay in the box, and so does its focus.
  await page.evaluate(() => {
    window.__rebuilds = 0;
    new MutationObserver(() => { window.__rebuilds++; }).observe(document.querySelector('[data-figure="paint"] .figure-controls'), { childList: true });
  });
  await page.mouse.move(...at(0, 0));
  await page.mouse.down();
  for (let c = 1; c < 6; c++) await page.mouse.move(...at(0, c), { steps: 2 });
  const typed = page.evaluate(() => new Promise((ok) => {
    const poll = () => {
      if (!(new URL(location.href).searchParams.get('pats') || '').startsWith('_')) { setTimeout(poll, 0); return; }
      const input = document.querySelector('[data-figure="paint"] .append input');
      input.focus();
      input.value = 'xy';
      ok(window.__rebuilds);
    };
    poll();
  }));
  await page.mouse.up();
  const rebuildsBefore = await typed;
  await page.waitForFunction((n) => window.__rebuilds > n, rebuildsBefore, { timeout: 30000 });
  assert.deepEqual(await page.$eval('[data-figure="paint"] .append input', (i) => [i.value, document.activeElement === i]), ['xy', true]);
  // Add the two typed letters: two more stored patterns.
  await page.click('[data-figure="paint"] .append button');
  await page.waitForFunction(() => /\.X\.Y$/.test(new URL(location.href).searchParams.get('pats') || ''));
  await page.waitForFunction(() => document.querySelector('[data-figure="patterns"] .caption')?.textContent.startsWith('5 patterns'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a CSV of patterns loads as painted patterns (read locally)', async () => {
  const { page, errors, requests } = await open(ctx, srv.base, '?v=1&lab=classic');
  await ran(page, 'recall');
  const before = requests.length;
  await page.setInputFiles('.presets input[type=file]', { name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from('1,1,-1,-1,1,-1,1,1,-1\n-1,1,-1,1,-1,1,-1,1,1\n') });
  await page.waitForFunction(() => new URL(location.href).searchParams.get('data') === 'painted');
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('n'), '9');
  assert.equal(url.searchParams.get('pats').split('.').length, 2);
  await page.waitForFunction(() => document.querySelector('[data-figure="patterns"] .caption')?.textContent.startsWith('2 patterns'));
  assert.ok(requests.slice(before).every((u) => u.startsWith('http://127.0.0.1:') || u.startsWith('blob:')), 'nothing left the machine');
  // A bad file gets a clear message and changes nothing.
  await page.setInputFiles('.presets input[type=file]', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('1,2\n3\n') });
  await page.waitForFunction(() => /bad\.csv/.test(document.querySelector('#notices')?.textContent || ''));
  assert.equal(new URL(page.url()).searchParams.get('n'), '9');
  assert.deepEqual(errors, []);
  await page.close();
});
