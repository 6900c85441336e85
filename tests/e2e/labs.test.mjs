// Every built lab whose figures are described in Rust, from the registry (a new lab needs no
// edit here): its default link runs every part and draws every figure with no console error;
// each preset loads; its main figure's SVG download is the document the CLI writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serve, browser, open, inkedPixels, allPartsRan, ROOT, clickDownload, sameSvg, CLI_PATH } from './harness.mjs';

const cli = CLI_PATH;
const run = (args) => execFileSync(cli, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
const LABS = run(['labs']).split('\n').filter((l) => /^\S/.test(l) && !l.includes('(not built yet)')).map((l) => l.split(/\s+/)[0])
  .filter((id) => run(['figures', id]).trim() !== '');
// Labs whose default link takes long to compute get a smaller one here (keys in their tables).
const QUICK = { klr: 'cap_trials=1&cap_points=3', classic: 'cap_trials=3&cap_points=4' };

// Labs whose numbers differ between the wasm and the native build in the last bits, so that
// a coordinate printed to 4 significant digits may differ in its last digit.
const NEAR = { hetero: "faer's eigenvalues differ in the last bits between wasm and native" };

let srv, ctx;
before(async () => { srv = await serve(); ctx = await browser(); });
after(async () => { await ctx?.close(); srv?.server.close(); });

for (const id of LABS) {
  test(`${id}: the default link draws every figure; presets load; the main figure's SVG is the CLI's`, async () => {
    const figures = run(['figures', id]).split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
    const q = `v=1&lab=${id}${QUICK[id] ? `&${QUICK[id]}` : ''}`;
    const { page, errors } = await open(ctx, srv.base, `?${q}`);
    await allPartsRan(page, id, { timeout: 240000 });
    await page.waitForTimeout(400);
    assert.deepEqual(await page.$$eval('[data-figure]', (fs) => fs.map((f) => f.dataset.figure)), figures);
    for (const f of figures) {
      assert.ok((await inkedPixels(page, `[data-figure="${f}"] canvas`)) > 100, `${id}/${f} is drawn`);
      assert.equal(await page.isVisible(`[data-figure="${f}"] .panel-error`), false, `${id}/${f} has no error`);
    }
    // The figures' text (the About text may name NaN: how the models treat it).
    const text = (await page.$$eval('#lab-body [data-figure]', (fs) => fs.map((f) => f.textContent))).join(' ');
    assert.doesNotMatch(text, /\bNaN\b|undefined/, `${id}: no NaN or undefined in the text`);
    // The main figure as SVG, from the page and from the CLI.
    const dl = await clickDownload(page, `[data-figure="${figures[0]}"] .dl[data-format="svg"]`);
    const chunks = [];
    for await (const c of await dl.createReadStream()) chunks.push(c);
    const svg = Buffer.concat(chunks).toString('utf8');
    const cliSvg = run(['run', q, '--format', 'svg', '--figure', figures[0]]).trimEnd();
    if (NEAR[id]) sameSvg(svg, cliSvg, `${id}: the page's SVG of ${figures[0]} is the CLI's (${NEAR[id]})`, { rel: 1.01e-3, abs: 0.011, maxShare: 0.1 });
    else assert.equal(svg, cliSvg, `${id}: the page's SVG of ${figures[0]} is the CLI's`);
    // Every preset button loads its link without a console error.
    const presets = await page.$$eval('.presets button[data-preset]', (bs) => bs.map((b) => b.dataset.preset));
    for (const p of presets) {
      await page.click(`.presets button[data-preset="${p}"]`);
      await page.waitForFunction(() => !/[?&]preset=/.test(location.search));
      await page.waitForTimeout(200);
    }
    assert.deepEqual(errors, [], `${id}: no console errors`);
    await page.close();
  });
}
