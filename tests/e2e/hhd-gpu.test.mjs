// The hhd lab's Table 1 with backend=gpu (issue "Hardening"): a full Table 1 on SwiftShader's
// WebGPU once crashed the tab (many small GPU recalls per subset, whose buffers the browser
// then freed only on a worker's garbage collection; the GPU backend now destroys each buffer
// after its last use). In the browser, Table 1 runs on the CPU by design when the GPU is in
// use, with a notice saying so; the other parts stay on the GPU. Small sizes (digits8,
// two subsets of 40) keep the test short.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, open, inkedPixels } from './harness.mjs';

let srv, ctx;
before(async () => { srv = await serve(); ctx = await browser({ webgpu: true }); });
after(async () => { await ctx?.close(); srv?.server.close(); });

const LINK = 'v=1&lab=hhd&data=digits8&classes=&samples=120&sub_count=3&t1_subsets=2&t1_size=40&t1_ninit=1&d_max=3&backend=gpu';
const params = (url) => Object.fromEntries([...new URL(url).searchParams]);

test('hhd Table 1 with backend=gpu runs on the CPU with a notice; the page survives and keeps its state', async () => {
  const { page, errors } = await open(ctx, srv.base, `?${LINK}`);
  let crashed = false;
  page.on('crash', () => { crashed = true; });
  const state = params(page.url());
  await page.waitForFunction(() => document.querySelector('#backend-status').dataset.backend === 'webgpu', null, { timeout: 120000 });
  await page.waitForFunction(() => document.body.dataset.ranTable1 !== undefined, null, { timeout: 300000 });
  assert.equal(crashed, false);
  const notices = await page.textContent('#notices');
  assert.match(notices, /hhd Table 1 runs on the CPU by design when the GPU is in use/, 'a notice says Table 1 runs on the CPU');
  assert.doesNotMatch(notices, /hhd Table 1: GPU error/, 'no GPU error is claimed');
  assert.equal(await page.isVisible('[data-figure="table1"] .panel-error'), false);
  assert.ok((await inkedPixels(page, '[data-figure="table1"] canvas')) > 100, 'Table 1 is drawn');
  // The other parts still run on the GPU: the status line keeps the verified WebGPU adapter.
  assert.match(await page.textContent('#backend-status'), /^Compute: WebGPU/);
  assert.deepEqual(params(page.url()), state, 'every parameter is kept');
  assert.deepEqual(errors, []);
  await page.close();
});
