// The compute backend in a real browser: WebGPU (Chromium's SwiftShader adapter with
// --enable-unsafe-webgpu) verified against the CPU, and the CPU fallback without it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, open } from './harness.mjs';

const srv = await serve();
after(() => srv.server.close());

test('with WebGPU: every kernel matches the CPU and the page says WebGPU', async () => {
  const ctx = await browser({ webgpu: true });
  try {
    // auto passes over a software adapter (SwiftShader here) and says why.
    const { page: auto } = await open(ctx, srv.base, '?v=1&lab=klr');
    await auto.waitForFunction(() => /software renderer/.test(document.querySelector('#backend-status').textContent), null, { timeout: 60000 });
    assert.equal(await auto.$eval('#backend-status', (e) => e.dataset.backend), 'cpu');
    await auto.close();
    // backend=gpu uses it once every kernel passes.
    const { page, errors } = await open(ctx, srv.base, '?v=1&lab=classic&backend=gpu');
    const status = await page.evaluate(() => window.hp.compute_status(true));
    assert.equal(status.backend, 'gpu', `no WebGPU adapter: ${status.description}`);
    assert.equal(status.software, true, 'SwiftShader is a software adapter');
    const kernels = await page.evaluate(() => window.hp.check_kernels());
    assert.deepEqual([...new Set(status.checks.map((c) => c.kernel))].sort(), [...kernels].sort(), 'the self-check covers every kernel');
    for (const c of status.checks) assert.ok(c.ok, `${c.kernel} ${c.shape}: worst error/tolerance ${c.worst_ratio} ${c.error ?? ''}`);
    await page.waitForFunction(() => document.querySelector('#backend-status').dataset.backend === 'webgpu', null, { timeout: 30000 });
    assert.match(await page.textContent('#backend-status'), /WebGPU/);
    await page.waitForFunction(() => document.body.dataset.ranRecall !== undefined, null, { timeout: 30000 });
    // A Gram on the GPU through the page's bindings.
    const sum = await page.evaluate(() => window.hp.bench_gram(70, 33, 1, 'gpu'));
    const cpuSum = await page.evaluate(() => window.hp.bench_gram(70, 33, 1, 'cpu'));
    assert.ok(Math.abs(sum - cpuSum) <= 1e-4 * Math.abs(cpuSum) + 1e-2, `${sum} vs ${cpuSum}`);
    assert.deepEqual(errors, []);
    // backend=cpu forces the CPU even with an adapter.
    const { page: forced } = await open(ctx, srv.base, '?v=1&lab=classic&backend=cpu');
    await forced.waitForFunction(() => /backend=cpu/.test(document.querySelector('#backend-status').textContent), null, { timeout: 30000 });
    assert.equal(await forced.$eval('#backend-status', (e) => e.dataset.backend), 'cpu');
  } finally {
    await ctx.close();
  }
});

test('without WebGPU: the CPU path runs and the page says why', async () => {
  const ctx = await browser({ webgpu: false });
  try {
    const { page, errors } = await open(ctx, srv.base, '?v=1&lab=classic');
    const status = await page.evaluate(() => window.hp.compute_status());
    assert.equal(status.backend, 'cpu');
    assert.match(status.reason, /no WebGPU/);
    // The first run's line ("this lab runs on the CPU") may come before the GPU probe answers:
    // wait for the probe's reason.
    await page.waitForFunction(() => /^Compute: CPU[^]*no WebGPU/.test(document.querySelector('#backend-status').textContent), null, { timeout: 30000 });
    await page.waitForFunction(() => document.body.dataset.ranRecall !== undefined, null, { timeout: 30000 });
    assert.match(await page.textContent('[data-figure="recall"] .caption'), /recalled pattern 0 exactly/);
    await assert.rejects(page.evaluate(() => window.hp.bench_gram(10, 10, 1, 'gpu')), /no WebGPU/);
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
  }
});
