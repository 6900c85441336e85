// The app shell and the Classic Hopfield lab in a real browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serve, browser, open, clickProbePixel, ROOT, clickDownload, CLI_PATH } from './harness.mjs';

let srv, ctx;
before(async () => { srv = await serve(); ctx = await browser(); });
after(async () => { await ctx?.close(); srv?.server.close(); });

// The registry, as the CLI prints it: the tests follow it (a new lab needs no edit here).
const cli = CLI_PATH;
const REGISTRY = execFileSync(cli, ['labs'], { encoding: 'utf8' }).split('\n').filter((l) => /^\S/.test(l))
  .map((l) => ({ id: l.split(/\s+/)[0], built: !l.includes('(not built yet)') }));
const LAB_IDS = REGISTRY.map((l) => l.id);
const BUILT = REGISTRY.filter((l) => l.built).map((l) => l.id);

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

test('garbage in the URL shows a notice and a working lab', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=9&lab=classic&n=banana&p=1e9&flip=NaN&mode=%3Cscript%3E&seed=-5&flips=1,x,99999&zzz=1');
  const notices = await page.$$eval('#notices .notice', (ns) => ns.map((n) => n.textContent));
  for (const key of ['v=9', 'n=', 'p=', 'flip=', 'mode=', 'seed=', 'flips', 'zzz']) {
    assert.ok(notices.some((t) => t.includes(key)), `a notice mentions ${key}: ${notices.join(' | ')}`);
  }
  assert.equal(await page.isVisible('#notices'), true);
  await page.waitForFunction(() => document.body.dataset.ranRecall !== undefined, null, { timeout: 30000 });
  const url = new URL(page.url());
  // Defaults are left out of the link.
  assert.equal(url.searchParams.get('n'), null);
  assert.equal(url.searchParams.get('p'), '512');
  assert.equal(url.searchParams.get('mode'), null);
  assert.equal(url.searchParams.get('seed'), '0');
  assert.equal(url.searchParams.get('flips'), '1');
  assert.equal(url.searchParams.get('zzz'), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('controls update the URL in place; the URL restores the state; back/forward move between labs', async () => {
  const { page, errors } = await open(ctx, srv.base, '');
  await page.click('.card[data-lab="classic"] a.open');
  await page.waitForFunction(() => document.body.dataset.ranRecall !== undefined, null, { timeout: 30000 });
  await page.evaluate(() => { window.__noReload = true; });
  await page.selectOption('#p-mode', 'sync');
  await page.fill('#p-p', '6');
  await page.press('#p-p', 'Enter');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('p') === '6');
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('mode'), 'sync');
  assert.equal(url.searchParams.get('v'), '1');
  assert.equal(await page.evaluate(() => window.__noReload), true, 'no reload');
  // Click the probe's top-left pixel: it lands in flips=.
  await clickProbePixel(page, 0, 0);
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
  await page.waitForFunction(() => document.querySelector('[data-figure="recall"] .caption')?.textContent.includes('Synchronous'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a committed change keeps keyboard focus where the person put it', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=classic');
  await page.waitForFunction(() => document.body.dataset.ranRecall !== undefined, null, { timeout: 30000 });
  // Two arrow keys on the N slider change N twice; focus stays on the slider.
  const slider = '.control[data-key="n"] input[type=range]';
  await page.focus(slider);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('n') === '101');
  assert.equal(await page.evaluate((s) => document.activeElement === document.querySelector(s), slider), true, 'focus stays on the slider');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('n') === '102');
  // Leaving a text field with Tab commits it and moves focus on, not to <body>.
  await page.fill('#p-p', '7');
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('p') === '7');
  assert.notEqual(await page.evaluate(() => document.activeElement.tagName), 'BODY');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an unreadable value keeps the previous one, with a notice', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=classic&n=81');
  await page.fill('#p-n', 'abc');
  await page.press('#p-n', 'Enter');
  await page.waitForSelector('#notices .notice');
  assert.match(await page.textContent('#notices'), /kept n=81/);
  assert.equal(await page.$eval('#p-n', (e) => e.value), '81');
  assert.equal(new URL(page.url()).searchParams.get('n'), '81');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the Embed snippet is responsive and copied; the JSON button saves the results on the page', async () => {
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write']);
  const q = 'v=1&lab=classic&seed=5&n=64&p=5&cap_n=40&cap_points=3&cap_trials=3';
  const { page, errors } = await open(ctx, srv.base, `?${q}`);
  await page.waitForFunction(() => document.body.dataset.ranRecall !== undefined && document.body.dataset.ranCapacity !== undefined, null, { timeout: 60000 });
  await page.click('#show-embed');
  await page.click('#embed-copy');
  const snippet = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(snippet, /^<iframe /);
  assert.match(snippet, /width:100%/);
  assert.doesNotMatch(snippet, /width="900"/);
  assert.match(await page.textContent('#embed-state'), /Copied/);
  await page.click('#embed-close');
  // JSON: no recomputation (nothing runs), the fields of the CLI's output.
  const download = await clickDownload(page, '#download-json');
  assert.equal(await page.$('#runs .run'), null, 'the JSON button started no run');
  const saved = JSON.parse(await streamText(await download.createReadStream()));
  const fromCli = JSON.parse(execFileSync(cli, ['run', q, '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  assert.deepEqual(saved, fromCli);
  assert.deepEqual(errors, []);
  await page.close();
});

test('presets come from the registry; preset=NAME in a link runs it', async () => {
  for (const id of BUILT) {
    const presets = execFileSync(cli, ['presets', id], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.split('\t'));
    if (!presets.length) continue;
    const { page, errors } = await open(ctx, srv.base, `?v=1&lab=${id}&preset=${presets[0][0]}`);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('preset'), null, 'the link shows the preset\'s keys');
    const text = JSON.parse(await page.evaluate(() => window.hp.parse_query(location.search))).text;
    for (const [k, v] of new URLSearchParams(presets[0][1])) assert.equal(text[k], v, `${id} preset ${presets[0][0]}: ${k}`);
    const buttons = await page.$$eval('.presets button[data-preset]', (bs) => bs.map((b) => b.dataset.preset));
    assert.deepEqual(buttons, presets.map((p) => p[0]));
    assert.deepEqual(errors, []);
    await page.close();
  }
});

async function streamText(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}
