// Sharing in a real browser: short links that round-trip (and old long links that still
// load with the same numbers), embeds an author shapes (figures and controls) shown at two
// widths in a host page on 127.0.0.1, and the Cite box's BibTeX.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, browser, open } from './harness.mjs';

let srv, ctx, hostDir;
before(async () => {
  hostDir = await mkdtemp(join(tmpdir(), 'hp-host-'));
  srv = await serve({ extra: { '/host/': hostDir } });
  ctx = await browser();
});
after(async () => { await ctx?.close(); srv?.server.close(); });

test('links carry only what differs from the defaults; long links still load with the same numbers', async () => {
  const { page, errors } = await open(ctx, srv.base, '');
  const labs = JSON.parse(await page.evaluate(() => window.hp.labs())).filter((l) => l.built);
  for (const lab of labs) {
    const parsed = JSON.parse(await page.evaluate((q) => window.hp.parse_query(q), `v=1&lab=${lab.id}`));
    assert.equal(parsed.query, `v=1&lab=${lab.id}`, `${lab.id}: the default link names no parameter`);
    // The old long form: every key written out.
    const long = `v=1&lab=${lab.id}&${Object.entries(parsed.text).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
    const again = JSON.parse(await page.evaluate((q) => window.hp.parse_query(q), long));
    assert.deepEqual(again.notices, [], `${lab.id}: the long link loads cleanly`);
    assert.equal(again.query, parsed.query, `${lab.id}: the long link means the short one`);
    assert.ok(again.query.length < long.length);
  }
  // Same numbers: a long classic link computes exactly what its short form does.
  const short = 'v=1&lab=classic&n=64&p=5&cap_trials=2&cap_points=2';
  const s = JSON.parse(await page.evaluate((q) => window.hp.parse_query(q), short));
  const long = `v=1&lab=classic&${Object.entries(s.text).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
  const [a, b] = await page.evaluate(([x, y]) => Promise.all([window.hp.run(x, '', undefined), window.hp.run(y, '', undefined)]), [short, long]);
  assert.equal(a, b);
  assert.deepEqual(errors, []);
  await page.close();
});

for (const width of [800, 390]) {
  test(`an embed with one figure and one control, in a host page ${width} px wide`, async () => {
    const src = `${srv.base}?v=1&lab=classic&embed=1&panels=capacity&controls=flip&cap_trials=3&cap_points=4`;
    await writeFile(join(hostDir, 'index.html'), `<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1">
      <body style="margin:0"><article style="max-width:800px;margin:0 auto"><p>A blog post.</p>
      <iframe id="f" src="${src}" style="width:100%;max-width:100%;height:640px;border:0" title="embed"></iframe>
      <script>addEventListener('message',function(e){var f=document.getElementById('f');if(f&&e.source===f.contentWindow&&e.data&&e.data.hopfieldHeight)f.style.height=e.data.hopfieldHeight+'px'})</script>
      </article></body>`);
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${srv.base}host/index.html`);
    const frame = await (await page.waitForSelector('#f')).contentFrame();
    await frame.waitForSelector('body[data-ready="1"]');
    await frame.waitForFunction(() => document.body.dataset.ranCapacity !== undefined, null, { timeout: 60000 });
    const shown = await frame.$$eval('[data-figure]', (fs) => fs.filter((f) => !f.hidden).map((f) => f.dataset.figure));
    assert.deepEqual(shown, ['capacity']);
    assert.equal(await frame.isVisible('header#top'), false, 'no header');
    assert.deepEqual(await frame.$$eval('#controls .control[data-key]', (cs) => cs.map((c) => c.dataset.key)), ['flip']);
    assert.equal(await frame.isVisible('#embed-open'), true, 'a link back to the playground');
    // The frame takes its content's height: no inner scrollbar.
    await page.waitForTimeout(500);
    const { inner, outer } = await page.evaluate(() => {
      const f = document.getElementById('f');
      return { inner: f.contentDocument.documentElement.scrollHeight, outer: f.clientHeight };
    });
    assert.ok(inner <= outer + 1, `content ${inner} px in a frame of ${outer} px`);
    // The figure fits the width.
    const fig = await frame.$eval('[data-figure="capacity"] canvas', (c) => c.getBoundingClientRect().width);
    assert.ok(fig <= width, `figure ${fig} px in ${width} px`);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('the Embed dialog previews and copies the shaped snippet; the Cite box gives BibTeX', async () => {
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write']);
  const { page, errors } = await open(ctx, srv.base, '?v=1&lab=classic&cap_trials=3');
  await page.click('#show-embed');
  await page.check('#embed-controls input[value="flip"]');
  await page.waitForFunction(() => /controls=flip/.test(document.querySelector('#embed-snippet').value));
  const snippet = await page.$eval('#embed-snippet', (t) => t.value);
  assert.match(snippet, /embed=1/);
  assert.match(snippet, /panels=recall/);
  assert.match(snippet, /width:100%/);
  // Copy puts the snippet on show into the clipboard. The preview reports its height as its
  // figures arrive, which rewrites the snippet's height: compare with the snippet of the
  // moment, and copy again if it changed in between.
  let copied = null;
  for (let i = 0; i < 5 && !copied?.same; i++) {
    await page.click('#embed-copy');
    copied = await page.evaluate(async () => {
      const clip = await navigator.clipboard.readText();
      return { clip, same: clip === document.querySelector('#embed-snippet').value };
    });
  }
  assert.ok(copied.same, 'the clipboard holds the snippet on show');
  assert.match(copied.clip, /controls=flip/);
  await page.click('#embed-close');
  await page.click('#show-cite');
  const bib = await page.$eval('#cite-bibtex', (t) => t.value);
  assert.match(bib, /@article\{hopfield1982,/);
  assert.match(bib, /@article\{amit1985,/);
  assert.match(bib, /url = \{http:\/\/127\.0\.0\.1/);
  assert.match(await page.textContent('#cite-sources'), /Hopfield, “Neural networks and physical systems/);
  assert.deepEqual(errors, []);
  await page.close();
});
