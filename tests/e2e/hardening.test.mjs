// Hardening (issue 18), the page's side: the strict Content-Security-Policy of index.html holds
// on every route with no violation; axe-core finds no serious or critical accessibility
// violation; after one visit the site works with the network off (service worker), and a new
// build replaces the cached one; every figure's data table (its text alternative) opens; the
// figures' and the About text's fonts were asked for at the page's start; Tab reaches every
// control with a visible focus ring; at phone size (390×844) each lab's first figure starts in
// the first screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, cp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serve, browser, open, inkedPixels, allPartsRan, ROOT } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
// Labs whose default link takes long get a smaller one here (keys in their tables).
const QUICK = { klr: 'cap_trials=1&cap_points=3', classic: 'cap_trials=3&cap_points=4' };
const route = (id) => `?v=1&lab=${id}${QUICK[id] ? `&${QUICK[id]}` : ''}`;

// Every violation of the page's policy, as the document reports it (the listener is added by
// the test driver, which the policy does not govern).
function watchCsp(ctx) {
  return ctx.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`));
  });
}
const violations = (page) => page.evaluate(() => window.__csp);
/** Resolves once the first part of the lab has run (its figures drawn). */
const firstResult = (page) => page.waitForFunction(() => Object.keys(document.body.dataset).some((k) => k.startsWith('ran')), null, { timeout: 120000 });

/** axe-core's serious and critical violations on the page as it is, one line each. */
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.join(', ')}`);
}

/**
 * (In the page.) The text styles (font, size, weight, style) and characters of the figure
 * panels and the About text that the font specimen of www/js/fonts.js does not have.
 */
async function fontsMissing() {
  const { SPECIMENS, GLYPHS, specimen } = await import('./js/fonts.js');
  const style = (e) => { const s = getComputedStyle(e); return `${s.fontFamily} ${s.fontSize} ${s.fontWeight} ${s.fontStyle}`; };
  const withText = (root) => [...root.querySelectorAll('*')].filter((e) => !['INPUT', 'SELECT', 'OPTION', 'TEXTAREA'].includes(e.tagName) &&
    e.getClientRects().length && [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()));
  const styles = new Set();
  const chars = new Set(GLYPHS);
  for (const html of SPECIMENS) {
    const box = specimen(html);
    document.body.append(box);
    for (const e of withText(box)) styles.add(style(e));
    for (const c of box.textContent) chars.add(c);
    box.remove();
  }
  const missing = new Set();
  for (const root of document.querySelectorAll('.figure-panel, section.about')) {
    for (const e of withText(root)) {
      if (!styles.has(style(e))) missing.add(`style ${style(e)} (${e.tagName.toLowerCase()}.${e.className}: "${e.textContent.trim().slice(0, 30)}")`);
      for (const c of e.textContent) if (c > '\u007f' && !chars.has(c)) missing.add(`character ${c} (U+${c.codePointAt(0).toString(16)})`);
    }
  }
  return [...missing];
}

let srv, ctx, LABS;
before(async () => {
  srv = await serve();
  ctx = await browser();
  await watchCsp(ctx);
  const { page } = await open(ctx, srv.base, '');
  LABS = JSON.parse(await page.evaluate(() => window.hp.labs())).filter((l) => l.built).map((l) => l.id);
  await page.close();
});
after(async () => { await ctx?.close(); srv?.server.close(); });

test('the CSP of index.html is strict, and in force: inline script, eval and inline style are refused', async () => {
  const { page, errors } = await open(ctx, srv.base, '');
  const csp = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.content);
  const dir = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([k, ...v]) => [k, v]));
  assert.deepEqual(dir['default-src'], ["'self'"]);
  assert.deepEqual(dir['script-src'], ["'self'", "'wasm-unsafe-eval'"], 'scripts only from the site; WebAssembly may compile');
  assert.deepEqual(dir['style-src'], ["'self'"], 'no inline style');
  assert.deepEqual(dir['connect-src'], ["'self'"]);
  assert.deepEqual(dir['worker-src'], ["'self'"]);
  assert.deepEqual(dir['img-src'], ["'self'", 'data:', 'blob:']);
  assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'|\*/);
  assert.equal(await page.$$eval('script:not([src])', (s) => s.length), 0, 'no inline script in the page');
  assert.deepEqual(await violations(page), [], 'the landing page loads with no violation');
  // The policy is in force: what it forbids does not run, and is reported.
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.head.append(s);
    setTimeout('window.__evalRan = true', 0); // a string is eval'd
    document.body.setAttribute('style', 'outline: 3px solid red');
  });
  await page.waitForFunction(() => window.__csp.length >= 3);
  assert.equal(await page.evaluate(() => window.__inlineRan), undefined, 'the inline script did not run');
  assert.equal(await page.evaluate(() => window.__evalRan), undefined, 'the string timer did not run');
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.body).outlineStyle), 'solid', 'the inline style did not apply');
  const seen = (await violations(page)).join('\n');
  for (const d of ['script-src-elem', 'script-src', 'style-src-attr']) assert.match(seen, new RegExp(`^${d} `, 'm'), `a ${d} violation was reported`);
  assert.ok(errors.some((e) => /Content Security Policy/.test(e)), 'the console names the policy');
  await page.close();
});

test('the landing page: no serious or critical accessibility violation (axe-core)', async () => {
  const { page, errors } = await open(ctx, srv.base, '');
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('every lab runs under the CSP with no violation and no console error; axe finds no serious or critical violation', async () => {
  assert.ok(LABS.length >= 1);
  for (const id of LABS) {
    const { page, errors } = await open(ctx, srv.base, route(id));
    await firstResult(page);
    const first = await page.$eval('[data-figure]', (f) => f.dataset.figure);
    await page.waitForFunction((f) => !document.querySelector(`[data-figure="${f}"]`).classList.contains('busy'), first, { timeout: 120000 });
    assert.ok((await inkedPixels(page, `[data-figure="${first}"] canvas`)) > 100, `${id}: the first figure is drawn`);
    // Its text alternative: the data table (the CSV export) opens under it.
    await page.click(`[data-figure="${first}"] details.data-table summary`);
    await page.waitForSelector(`[data-figure="${first}"] details.data-table tbody td`, { timeout: 120000 }).catch(() => {});
    const cells = await page.$$eval(`[data-figure="${first}"] details.data-table tbody tr:first-child td`, (tds) => tds.map((t) => t.textContent));
    assert.ok(cells.length > 0 && cells.some((c) => c !== ''), `${id}: the first figure's data table has rows`);
    // The About panel's text comes when the panel is scrolled near (its MathML's first layout
    // is kept out of the page's first frames): scrolled to, it fills, and axe checks it too.
    // Scrolled to again while it has not filled, as a reader keeps scrolling: the figure panels
    // above it take their real heights as they come into view, which can push it back down.
    await page.waitForFunction(() => {
      const about = document.querySelector('section.about');
      if (about.children.length > 1) return true;
      about.scrollIntoView();
      return false;
    }, null, { timeout: 10000, polling: 250 });
    // The fonts of the figures' and the About panel's text were asked for at the page's start
    // (www/js/fonts.js): each of their text styles is one of the font specimen's, and each
    // character is in its glyphs.
    assert.deepEqual(await page.evaluate(fontsMissing), [], `${id}: text styles or characters the font specimen lacks`);
    assert.deepEqual(await violations(page), [], `${id}: no CSP violation`);
    assert.deepEqual(await axe(page), [], `${id}: no serious or critical axe violation`);
    assert.deepEqual(errors, [], `${id}: no console error`);
    await page.close();
  }
});

test('offline: after one visit a lab loads and runs with the network off; a new build replaces the cached one', async () => {
  // A copy of dist/, so that the test can publish a "new build" (its own sw.js) on the same origin.
  const site = await mkdtemp(join(tmpdir(), 'hp-site-'));
  await cp(join(ROOT, 'dist'), site, { recursive: true });
  const local = await serve({ extra: { '/': site } });
  const octx = await browser();
  try {
    const { page, errors } = await open(octx, local.base, route('classic'));
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const sw = await readFile(join(site, 'sw.js'), 'utf8');
    const build = /^const BUILD = "([0-9a-f]{16})";$/m.exec(sw)?.[1];
    assert.ok(build, 'the build wrote its id into sw.js');
    assert.deepEqual(await page.evaluate(() => caches.keys()), [`hopfield-playground-${build}`]);
    const cached = await page.evaluate(async () => (await (await caches.open((await caches.keys())[0])).keys()).map((r) => new URL(r.url).pathname));
    assert.ok(cached.some((p) => p.endsWith('.wasm')), 'the wasm core is cached on the first visit');
    assert.ok(!cached.some((p) => p.endsWith('mnist10k.bin')), 'MNIST (7.9 MB) is not precached: it is cached when a lab first fetches it');
    await firstResult(page);

    // The network goes off: the browser is offline and the server answers nothing.
    local.down(true);
    await octx.setOffline(true);
    const before = await page.evaluate(() => navigator.onLine);
    assert.equal(before, false);
    for (const id of ['classic', LABS.find((l) => l !== 'classic') ?? 'classic']) {
      await page.goto(local.base + route(id));
      await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
      await firstResult(page);
      const first = await page.$eval('[data-figure]', (f) => f.dataset.figure);
      await page.waitForFunction((f) => !document.querySelector(`[data-figure="${f}"]`).classList.contains('busy'), first, { timeout: 120000 });
      assert.ok((await inkedPixels(page, `[data-figure="${first}"] canvas`)) > 100, `${id} offline: the first figure is drawn`);
      assert.equal(await page.isVisible(`[data-figure="${first}"] .panel-error`), false, `${id} offline: no error`);
    }
    assert.deepEqual(errors, [], 'offline: no console error');

    // Back online, a new build (its sw.js differs): its cache replaces the old one.
    await octx.setOffline(false);
    local.down(false);
    await writeFile(join(site, 'sw.js'), sw.replace(/^const BUILD = .*$/m, 'const BUILD = "0123456789abcdef";'));
    await page.goto(local.base + route('classic'));
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
    let keys;
    for (let i = 0; i < 240; i++) {
      keys = await page.evaluate(() => caches.keys());
      if (keys.join() === 'hopfield-playground-0123456789abcdef') break;
      await page.waitForTimeout(250);
    }
    assert.deepEqual(keys, ['hopfield-playground-0123456789abcdef'], 'the new build\'s cache replaced the old one');
  } finally {
    await octx.close();
    local.server.close();
  }
});

test('phone (390×844): each lab\'s first figure starts in the first screen; the page is no wider than the screen', async () => {
  const shots = await mkdtemp(join(tmpdir(), 'hp-phone-'));
  const page = await ctx.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  for (const id of LABS) {
    await page.goto(srv.base + route(id));
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    await firstResult(page);
    const box = await (await page.$('[data-figure] canvas')).boundingBox();
    await page.screenshot({ path: join(shots, `${id}.png`) });
    assert.ok(box.y < 844, `${id}: the first figure's canvas starts ${Math.round(box.y)} px down, inside the first screen (${shots}/${id}.png)`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), `${id}: the page does not scroll sideways`);
  }
  await page.close();
});

// The figures' worker paints the figures' canvases (transferred to it), so that their pictures
// are painted and composited off the page's thread; the page keeps their pointer input.
const workerPainted = (page, f) => page.$eval(`[data-figure="${f}"] canvas.figure`, (c) => {
  try { c.getContext('2d'); return false; } catch { return true; }
});
test('keyboard: Tab reaches every control of each lab, each shows its focus ring, and a figure\'s number scrubs with the arrow keys', async () => {
  for (const id of LABS) {
    const { page, errors } = await open(ctx, srv.base, route(id));
    await allPartsRan(page, id, { timeout: 180000, polling: 250 });
    // Every control on the page that a person can reach: shown, enabled, in the tab order
    // (one radio button per group: the arrow keys move within it). Numbered in the page.
    const controls = await page.evaluate(() => {
      const radios = new Set();
      const out = [];
      for (const e of document.querySelectorAll('button, input, select, textarea, summary, a[href], [tabindex]')) {
        if (e.tabIndex < 0 || e.disabled || !e.getClientRects().length || e.closest('[hidden], [inert]') || getComputedStyle(e).visibility === 'hidden') continue;
        if (e.type === 'radio') { if (radios.has(e.name)) continue; radios.add(e.name); }
        e.dataset.kbd = String(out.length);
        out.push(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${String(e.className).split(' ')[0]} "${(e.getAttribute('aria-label') || e.textContent || e.name || '').trim().slice(0, 24)}"`);
      }
      return out;
    });
    assert.ok(controls.length > 10, `${id}: the page has controls`);
    const reached = new Set();
    const noRing = new Set();
    // Tab from the top through the page and some steps past its end (the About text adds links
    // as it is reached).
    for (let i = 0; i < controls.length + 40; i++) {
      await page.keyboard.press('Tab');
      const at = await page.evaluate(() => {
        const e = document.activeElement;
        if (!e || e === document.body) return null;
        const s = getComputedStyle(e);
        const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1) || s.boxShadow !== 'none';
        return { n: e.dataset.kbd ?? null, ring, what: `${e.tagName.toLowerCase()}.${String(e.className).split(' ')[0]} "${(e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 24)}"` };
      });
      if (!at) continue;
      if (at.n !== null) reached.add(Number(at.n));
      if (!at.ring) noRing.add(at.what);
    }
    assert.deepEqual(controls.filter((_, i) => !reached.has(i)), [], `${id}: controls that Tab does not reach`);
    assert.deepEqual([...noRing], [], `${id}: focused by the keyboard with no visible focus ring`);
    // A number in a figure's formula (a scrub) is a slider: the arrow keys change its value.
    const scrub = await page.$('.scrub');
    if (scrub) {
      const key = await scrub.getAttribute('data-key');
      const before = Number(await scrub.getAttribute('data-value'));
      const value = () => page.evaluate((k) => Number(new URLSearchParams(location.search).get(k)), key);
      await scrub.focus();
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction(([k, v]) => Number(new URLSearchParams(location.search).get(k)) > v, [key, before], { timeout: 10000 });
      const raised = await value();
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction(([k, v]) => Number(new URLSearchParams(location.search).get(k)) < v, [key, raised], { timeout: 10000 });
      assert.ok(await value() < raised, `${id}: ArrowLeft lowers ${key}`);
    }
    assert.deepEqual(errors, [], `${id}: no console error`);
    await page.close();
  }
});

test('the figures\' worker paints the figures; if it fails, the page paints them itself and keeps its state', async () => {
  const Q = '?v=1&lab=classic&seed=7&n=64&p=5&flip=0.15&cap_trials=2&cap_points=3';
  const figures = (page) => page.$$eval('[data-figure]', (fs) => fs.map((f) => f.dataset.figure));
  const bothRan = (page) => page.waitForFunction(() => document.body.dataset.ranRecall !== undefined && document.body.dataset.ranCapacity !== undefined, null, { timeout: 60000 });
  {
    const { page, errors } = await open(ctx, srv.base, Q);
    await bothRan(page);
    for (const f of await figures(page)) {
      assert.ok(await workerPainted(page, f), `${f}: painted by the worker`);
      assert.ok((await inkedPixels(page, `[data-figure="${f}"] canvas`)) > 200, `${f} is drawn`);
      // The page knows what was drawn (its click regions and readouts).
      assert.ok(await page.$eval(`[data-figure="${f}"] canvas`, (c) => c.scene?.items.length > 0), `${f}: the page holds its scene`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  }
  // The worker's script cannot load: it fails after the canvases were handed to it. The page
  // gives those figures new canvases and lays out and paints them on its own thread.
  const bare = await browser();
  try {
    await bare.route('**/view-worker.js', (r) => r.fulfill({ status: 404, body: '' }));
    const { page, errors } = await open(bare, srv.base, Q);
    await bothRan(page);
    assert.doesNotMatch(await page.textContent('#app'), /could not be drawn/);
    for (const f of await figures(page)) {
      assert.equal(await workerPainted(page, f), false, `${f}: painted by the page`);
      assert.ok((await inkedPixels(page, `[data-figure="${f}"] canvas`)) > 200, `${f} is drawn`);
    }
    // The query is kept, and a change still redraws (here, on the page's thread).
    assert.match(page.url(), /n=64/);
    await page.$eval('[data-figure="recall"] canvas', (c) => { window.__before = c.scene; });
    await page.fill('#p-flip', '0.3');
    await page.press('#p-flip', 'Enter');
    await page.waitForFunction(() => /flip=0\.3/.test(location.search), null, { timeout: 10000 });
    await page.waitForFunction(() => {
      const c = document.querySelector('[data-figure="recall"] canvas');
      return c.scene && c.scene !== window.__before && !c.closest('[data-figure]').classList.contains('busy');
    }, null, { timeout: 60000 });
    assert.ok((await inkedPixels(page, '[data-figure="recall"] canvas')) > 200);
    // Only the missing script's own load is reported.
    assert.deepEqual(errors.filter((e) => !/404|Failed to load resource/.test(e)), []);
  } finally {
    await bare.close();
  }
});
