// Every lab that uses the GPU (from the registry: a new one needs no edit here), at its quick
// sizes with backend=gpu:
// - with WebGPU (SwiftShader here), its first result comes from the GPU; then the device is
//   lost (hpDebug.loseGpu(): each worker destroys its device before its next run, as a
//   driver reset would) and a new seed reruns every part: the page says the device was lost,
//   continues on the CPU, draws every figure, and keeps every other parameter;
// - without WebGPU (no adapter at all), backend=gpu runs on the CPU and the page says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, open, inkedPixels } from './harness.mjs';

let srv, gpuCtx, plainCtx;
srv = await serve();
plainCtx = await browser();
const LABS = await (async () => {
  const { page } = await open(plainCtx, srv.base, '');
  const labs = JSON.parse(await page.evaluate(() => window.hp.labs())).filter((l) => l.built && l.gpu);
  await page.close();
  return labs;
})();
before(async () => { gpuCtx = await browser({ webgpu: true }); });
after(async () => { await gpuCtx?.close(); await plainCtx?.close(); srv?.server.close(); });

const key = (p) => `ran${p[0].toUpperCase()}${p.slice(1)}`;
const link = (lab) => `v=1&lab=${lab.id}${lab.quick ? `&${lab.quick}` : ''}&backend=gpu`;

/** Wait until every part has run (again, after `forget`), then check every figure is drawn. */
async function allDrawn(page, lab, what) {
  const keys = lab.parts.map((p) => key(p.name));
  await page.waitForFunction((ks) => ks.every((k) => document.body.dataset[k] !== undefined), keys, { timeout: 300000 });
  await page.waitForTimeout(300);
  for (const f of await page.$$eval('[data-figure]', (fs) => fs.map((x) => x.dataset.figure))) {
    assert.equal(await page.isVisible(`[data-figure="${f}"] .panel-error`), false, `${lab.id}/${f} ${what}: no error`);
    assert.ok((await inkedPixels(page, `[data-figure="${f}"] canvas`)) > 100, `${lab.id}/${f} ${what}: drawn`);
  }
}
const forget = (page, lab) => page.evaluate((ks) => { for (const k of ks) delete document.body.dataset[k]; }, lab.parts.map((p) => key(p.name)));
const params = (url) => Object.fromEntries([...new URL(url).searchParams].filter(([k]) => k !== 'seed'));

test('the registry names the labs that use the GPU', () => {
  assert.ok(LABS.length >= 4, `GPU labs: ${LABS.map((l) => l.id).join(', ')}`);
});

for (const lab of LABS) {
  test(`${lab.id}: a lost GPU device: the page continues on the CPU with a notice and keeps its state`, async () => {
    const { page, errors } = await open(gpuCtx, srv.base, `?${link(lab)}`);
    await page.waitForFunction(() => document.querySelector('#backend-status').dataset.backend === 'webgpu', null, { timeout: 120000 });
    // A first part has come back from the GPU (the rest, slow on SwiftShader, are replaced below).
    await page.waitForFunction(() => Object.keys(document.body.dataset).some((k) => k.startsWith('ran')), null, { timeout: 300000 });
    const state = params(page.url());

    await forget(page, lab);
    await page.evaluate(() => window.hpDebug.loseGpu());
    await page.click('button.new-seed');
    await allDrawn(page, lab, 'after the device was lost');
    assert.match(await page.textContent('#notices'), /GPU device was lost/, `${lab.id}: a notice says the device was lost`);
    // The status line follows the runs' reports (a GPU probe may answer after the loss).
    await page.waitForFunction(() => /^Compute: CPU .*the GPU device was lost/.test(document.querySelector('#backend-status').textContent), null, { timeout: 30000 })
      .catch(() => {});
    assert.match(await page.textContent('#backend-status'), /^Compute: CPU .*the GPU device was lost/, `${lab.id}: the status line says the runs are on the CPU`);
    assert.deepEqual(params(page.url()), state, `${lab.id}: every parameter but the seed is kept`);

    // Later runs stay on the CPU, and the loss is not announced again.
    await forget(page, lab);
    await page.click('button.new-seed');
    await allDrawn(page, lab, 'on the CPU');
    assert.doesNotMatch((await page.textContent('#notices')) || '', /GPU device was lost/, `${lab.id}: no repeated notice`);
    assert.match(await page.textContent('#backend-status'), /^Compute: CPU .*the GPU device was lost/);
    assert.deepEqual(errors, [], `${lab.id}: no console error`);
    await page.close();
  });

  test(`${lab.id}: no WebGPU adapter: backend=gpu runs on the CPU and the page says why`, async () => {
    const { page, errors } = await open(plainCtx, srv.base, `?${link(lab)}`);
    await allDrawn(page, lab, 'without WebGPU');
    await page.waitForFunction(() => /^Compute: CPU/.test(document.querySelector('#backend-status').textContent), null, { timeout: 60000 });
    assert.match(await page.textContent('#backend-status'), /no WebGPU|no adapter|not available/i);
    assert.deepEqual(errors, [], `${lab.id}: no console error`);
    await page.close();
  });
}
