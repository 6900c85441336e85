// Paper pages and a visitor's own images, in a real browser: `?paper=ID` lists the paper's
// reproduced figures with thumbnails computed here (the presets of `hopfield reproduce
// --quick`), the landing page and the labs link to the pages; an image loaded with "Load
// data…" (a JPEG, turned into a PNG by the page) becomes a stored pattern in the classic lab
// and the clustered, quantised image in the softkmeans lab.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, open } from './harness.mjs';

let srv, ctx;
before(async () => { srv = await serve(); ctx = await browser(); });
after(async () => { await ctx?.close(); srv?.server.close(); });

test('a paper page computes a thumbnail of every reproduced figure and links each preset', async () => {
  const { page, errors } = await open(ctx, srv.base, '');
  // The landing page lists every paper; a click opens its page.
  const papers = JSON.parse(await page.evaluate(() => window.hp.papers()));
  assert.ok(papers.length >= 6);
  assert.equal(await page.locator('.papers-list a[href^="?paper="]').count(), papers.length);
  await page.click('.papers-list a[href="?paper=hopfield1982"]');
  await page.waitForSelector('.paper h1');
  assert.equal(new URL(page.url()).searchParams.get('paper'), 'hopfield1982');
  const paper = papers.find((p) => p.id === 'hopfield1982');
  assert.match(await page.textContent('.paper h1'), /Neural networks and physical systems/);
  await page.waitForSelector('.paper[data-done="1"]', { timeout: 180000 });
  const expected = paper.jobs.reduce((n, j) => n + j.figures.length, 0);
  assert.ok(expected >= 4);
  const imgs = await page.$$eval('.paper-job .thumb img', (xs) => xs.map((i) => ({ w: i.naturalWidth, alt: i.alt })));
  assert.equal(imgs.length, expected, 'one thumbnail per figure of every preset');
  assert.ok(imgs.every((i) => i.w > 100), JSON.stringify(imgs));
  const times = await page.$$eval('.paper-job .time', (xs) => xs.map((x) => x.dataset.seconds));
  assert.ok(times.every((t) => Number(t) > 0), `every preset says how long it took: ${times}`);
  // Each preset links to itself at full size; the link opens the lab with the preset's values.
  const links = await page.$$eval('.paper-job a.open', (xs) => xs.map((a) => a.getAttribute('href')));
  assert.deepEqual(links, paper.jobs.map((j) => `?${j.link}`));
  // A lab names the papers it reproduces.
  await page.goto(`${srv.base}?v=1&lab=classic`);
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal(await page.getAttribute('.paper-links a', 'href'), '?paper=hopfield1982');
  // An unknown paper says so and lists the real ones.
  await page.goto(`${srv.base}?paper=nope`);
  await page.waitForSelector('.paper h1');
  assert.match(await page.textContent('.paper'), /no paper called “nope”/);
  assert.deepEqual(errors, []);
  await page.close();
});

/** A JPEG of a dark plus on white (or a colour gradient), drawn by the browser. */
async function jpeg(page, kind) {
  const bytes = await page.evaluate(async (k) => {
    const c = new OffscreenCanvas(60, 40);
    const g = c.getContext('2d');
    if (k === 'plus') {
      g.fillStyle = '#fff'; g.fillRect(0, 0, 60, 40);
      g.fillStyle = '#000'; g.fillRect(26, 0, 8, 40); g.fillRect(0, 16, 60, 8);
    } else {
      for (let x = 0; x < 60; x++) { g.fillStyle = `rgb(${x * 4},${255 - x * 4},${(x * 9) % 256})`; g.fillRect(x, 0, 1, 40); }
    }
    return [...new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.95 })).arrayBuffer())];
  }, kind);
  return Buffer.from(bytes);
}

test('an image loaded with "Load data…" becomes a stored pattern (classic) and the clustered image (softkmeans)', async () => {
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=classic&data=painted&pats=H.O&n=100&target=0');
  await page.setInputFiles('input[type=file]', { name: 'plus.jpg', mimeType: 'image/jpeg', buffer: await jpeg(page, 'plus') });
  await page.waitForFunction(() => new URLSearchParams(location.search).get('pats')?.split('.').length === 3);
  const text = JSON.parse(await page.evaluate(() => window.hp.parse_query(location.search))).text;
  assert.equal(text.target, '2', 'the new pattern is the one recalled');
  assert.equal(text.p, '3');
  // Softkmeans: the image stays on this machine (data=file) and is what the lab clusters.
  await page.goto(`${srv.base}?v=1&lab=softkmeans`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.setInputFiles('input[type=file]', { name: 'ramp.jpg', mimeType: 'image/jpeg', buffer: await jpeg(page, 'ramp') });
  await page.waitForFunction(() => new URLSearchParams(location.search).get('data') === 'file');
  await page.waitForFunction(() => /your image ramp\.jpg \(60×40/.test(document.querySelector('[data-figure="image"] .caption')?.textContent || ''), null, { timeout: 60000 });
  assert.match(await page.textContent('#notices'), /stays on this machine/);
  assert.deepEqual(errors, []);
  await page.close();
});
