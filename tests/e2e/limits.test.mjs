// Every numeric parameter of every built lab at its minimum and at its maximum (one at a time,
// from the default link) loads in the page: clamped with notices where needed, each part
// either finishes or shows its progress, no part fails, no console error. The native test
// crate/tests/limits.rs checks the same links' limits and runs their cheap parts; this checks
// the page's wiring. Links are visited in one page (history navigation, no reloads).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, open } from './harness.mjs';

let srv, ctx;
before(async () => { srv = await serve(); ctx = await browser(); });
after(async () => { await ctx?.close(); srv?.server.close(); });

test('every numeric parameter at its minimum and maximum loads with notices or progress, never an error', async () => {
  const { page, errors } = await open(ctx, srv.base, '');
  const labs = JSON.parse(await page.evaluate(() => window.hp.labs())).filter((l) => l.built);
  let visited = 0;
  for (const lab of labs) {
    let prev = null; // the key changed by the previous link of this lab (it returns to its default now)
    const numeric = lab.params.filter((p) => (p.kind.type === 'int' || p.kind.type === 'float') && p.group !== 'hidden');
    await page.evaluate((id) => { history.pushState(null, '', `?v=1&lab=${id}`); window.dispatchEvent(new PopStateEvent('popstate')); }, lab.id);
    for (const spec of numeric) {
      for (const value of [spec.kind.min, spec.kind.max]) {
        const link = `?v=1&lab=${lab.id}&${spec.key}=${value}`;
        await page.evaluate((q) => {
          for (const k of Object.keys(document.body.dataset)) if (k.startsWith('ran')) delete document.body.dataset[k];
          history.pushState(null, '', q);
          window.dispatchEvent(new PopStateEvent('popstate'));
        }, link);
        // The parts that rerun: those reading this key or the previous link's key.
        const common = ['seed', 'backend'];
        const parts = lab.parts.filter((p) => [spec.key, prev].some((k) => k && (p.keys.includes(k) || common.includes(k)))).map((p) => p.name);
        prev = spec.key;
        const settled = await page.waitForFunction((ps) => ps.every((p) => document.body.dataset[`ran${p[0].toUpperCase()}${p.slice(1)}`] !== undefined
          || document.querySelector(`#runs .run[data-part="${p}"]`)), parts, { timeout: 8000 }).then(() => true, () => false);
        assert.ok(settled, `${link}: every part finishes or shows progress within 8 s`);
        const failed = await page.$$eval('#runs .run .error, .panel-error:not([hidden])', (es) => es.map((e) => e.textContent));
        assert.deepEqual(failed, [], `${link}: no part fails`);
        assert.deepEqual(errors, [], `${link}: no console error`);
        visited++;
      }
    }
  }
  assert.ok(visited > 20, `visited ${visited} links`);
  await page.close();
});
