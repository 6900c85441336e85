// The app shell and the Classic Hopfield lab in a real browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serve, browser, open, inkedPixels, ROOT } from './harness.mjs';

let srv, ctx;
before(async () => { srv = await serve(); ctx = await browser(); });
after(async () => { await ctx?.close(); srv?.server.close(); });

const LAB_IDS = ['classic', 'klr', 'hhd', 'dense', 'hetero', 'softkmeans', 'khopfield', 'elcd'];
const BUILT = ['classic', 'klr', 'dense'];

function onlyLocal(requests) {
  const outside = requests.filter((u) => !u.startsWith('http://127.0.0.1:') && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(outside, [], 'the page made requests outside 127.0.0.1');
}

test('landing page lists every lab with no console errors', async () => {
  const { page, errors, requests } = await open(ctx, srv.base, '');
  const ids = await page.$$eval('.card', (cs) => cs.map((c) => c.dataset.lab));
  assert.deepEqual(ids, LAB_IDS);
  const planned = await page.$$eval('.card.planned .status', (s) => s.map((x) => x.textContent));
  assert.equal(planned.length, LAB_IDS.length - BUILT.length);
  assert.ok(planned.every((t) => t.includes('Not built yet')));
  assert.deepEqual(errors, []);
  onlyLocal(requests);
  await page.close();
});

test('every lab route renders', async () => {
  for (const id of LAB_IDS) {
    const { page, errors } = await open(ctx, srv.base, `?v=1&lab=${id}`);
    const shown = await page.$eval('#app [data-lab]', (e) => e.dataset.lab);
    assert.equal(shown, id);
    const title = await page.$eval('h1, #lab-title', (e) => e.textContent);
    assert.ok(title.length > 3, `lab ${id} shows its title`);
    if (!BUILT.includes(id)) assert.match(await page.textContent('#app'), /Not built yet/);
    assert.deepEqual(errors, [], `console errors on lab ${id}`);
    await page.close();
  }
});

test('classic lab recalls a corrupted pattern and draws every canvas', async () => {
  const { page, errors, requests } = await open(ctx, srv.base, '?v=1&lab=classic&seed=42&n=100&p=8&flip=0.2');
  await page.waitForSelector('.stats[data-recalled]');
  assert.equal(await page.$eval('.stats[data-recalled]', (e) => e.dataset.recalled), 'true');
  await page.waitForFunction(() => document.body.dataset.ranCapacity !== undefined, null, { timeout: 60000 });
  for (const sel of ['.recall-pair canvas:nth-of-type(1)', 'canvas.heat', 'canvas[data-chart="capacity"]', '.pattern-list canvas']) {
    assert.ok((await inkedPixels(page, sel)) > 50, `${sel} is drawn`);
  }
  for (const c of await page.$$('canvas.chart')) {
    const n = await c.evaluate((el) => { const d = el.getContext('2d').getImageData(0, 0, el.width, el.height).data; let k = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) k++; return k; });
    assert.ok(n > 100, 'every chart has ink');
  }
  // Play the animation from the probe to the end.
  await page.click('.player button:nth-child(3)'); // reset to the probe
  assert.equal(await page.$eval('.player input', (e) => e.value), '0');
  await page.click('.player button:nth-child(1)');
  await page.waitForFunction(() => { const s = document.querySelector('.player input'); return s.value === s.max; }, null, { timeout: 20000 });
  assert.deepEqual(errors, []);
  onlyLocal(requests);
  await page.close();
});

test('garbage in the URL shows a notice and a working lab', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=9&lab=classic&n=banana&p=1e9&flip=NaN&mode=%3Cscript%3E&seed=-5&flips=1,x,99999&zzz=1');
  const notices = await page.$$eval('#notices .notice', (ns) => ns.map((n) => n.textContent));
  for (const key of ['v=9', 'n=', 'p=', 'flip=', 'mode=', 'seed=', 'flips', 'zzz']) {
    assert.ok(notices.some((t) => t.includes(key)), `a notice mentions ${key}: ${notices.join(' | ')}`);
  }
  assert.equal(await page.isVisible('#notices'), true);
  await page.waitForSelector('.stats[data-recalled]');
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('n'), '100');
  assert.equal(url.searchParams.get('p'), '512');
  assert.equal(url.searchParams.get('mode'), 'async');
  assert.equal(url.searchParams.get('seed'), '0');
  assert.equal(url.searchParams.get('flips'), '1');
  assert.equal(url.searchParams.get('zzz'), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('controls update the URL in place; the URL restores the state; back/forward move between labs', async () => {
  const { page, errors } = await open(ctx, srv.base, '');
  await page.click('.card[data-lab="classic"] a.open');
  await page.waitForSelector('.stats[data-recalled]');
  await page.evaluate(() => { window.__noReload = true; });
  await page.selectOption('#p-mode', 'sync');
  await page.fill('#p-p', '6');
  await page.press('#p-p', 'Enter');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('p') === '6');
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('mode'), 'sync');
  assert.equal(url.searchParams.get('v'), '1');
  assert.equal(await page.evaluate(() => window.__noReload), true, 'no reload');
  // Click a probe pixel: it lands in flips=.
  const box = await (await page.$('.recall-pair canvas')).boundingBox();
  await page.mouse.click(box.x + 3, box.y + 3);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('flips') === '0');
  // Reload the URL in a new page: every control shows the same values.
  const { page: again } = await open(ctx, srv.base, `?${new URL(page.url()).search.slice(1)}`);
  assert.equal(await again.$eval('#p-mode', (e) => e.value), 'sync');
  assert.equal(await again.$eval('#p-p', (e) => e.value), '6');
  assert.equal(await again.$eval('#p-flips', (e) => e.value), '0');
  assert.equal(again.url(), page.url());
  await again.close();
  // Back to the landing page, forward to the lab.
  await page.goBack();
  await page.waitForSelector('.cards');
  await page.goForward();
  await page.waitForSelector('.lab[data-lab="classic"]');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the CLI prints exactly what the page computes for the same query', async () => {
  const { page } = await open(ctx, srv.base, '?v=1&lab=classic');
  const cli = join(ROOT, 'target', 'release', 'hopfield');
  for (const q of [
    'v=1&lab=classic&seed=7&n=81&p=9&flip=0.25&mode=async&cap_n=60&cap_points=4&cap_trials=5',
    'v=1&lab=classic&seed=3&data=digits&p=4&flip=0.1&mode=sync&flips=1,2,3&cap_n=40&cap_points=3&cap_trials=3',
    'lab=classic&n=oops&seed=11&data=samples&p=5&cap_n=30&cap_points=2&cap_trials=2',
  ]) {
    const fromCli = execFileSync(cli, ['run', q, '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
    const fromPage = await page.evaluate((query) => window.hp.run(query, '', undefined), q);
    assert.equal(fromPage, fromCli, `page and CLI differ for ${q}`);
  }
  await page.close();
});

test('a long run shows progress, can be cancelled, and the page stays responsive', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=classic&cap_n=1000&cap_points=60&cap_trials=500&cap_max=0.5');
  await page.waitForSelector('#runs .run[data-part="capacity"] progress', { timeout: 20000 });
  await page.waitForFunction(() => Number(document.querySelector('#runs .run[data-part="capacity"] progress').value) > 0, null, { timeout: 30000 });
  // The main thread answers while the worker computes.
  const t0 = Date.now();
  await page.evaluate(() => 1 + 1);
  assert.ok(Date.now() - t0 < 1000, 'the page is responsive during the run');
  await page.click('#runs .run[data-part="capacity"] button.cancel');
  await page.waitForSelector('#runs .run[data-part="capacity"] .cancelled');
  assert.match(await page.textContent('#runs .run[data-part="capacity"]'), /cancelled/);
  // The recall part still works after the cancel: change a recall key.
  await page.selectOption('#p-mode', 'sync');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('mode') === 'sync');
  await page.waitForFunction(() => document.querySelector('.state-caption')?.textContent.includes('step'));
  assert.deepEqual(errors, []);
  await page.close();
});
