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

test('the relaxed-SIMD GEMM: loaded by the page and its workers, within the f32 bound, and optional', async () => {
  const ctx = await browser({ webgpu: false });
  const Q = '?v=1&lab=klr&seed=3&n=40&p=90&gamma=0.03&epochs=40&tests=6&cap_points=1&sweep=0';
  try {
    const { page, errors } = await open(ctx, srv.base, Q);
    assert.equal(await page.evaluate(() => window.hpRelaxedReady), true, 'this Chromium has relaxed SIMD');
    // The products on either kernel, against the exact product: within (k + 3)·u·Σ|a·b|.
    // 61·700·37 is over the tiled kernels' size threshold (2^15 multiply-adds), 40·33·17 under it.
    for (const on of [true, false]) {
      await page.evaluate((o) => window.hp.use_relaxed_gemm(o), on);
      for (const [m, k, n] of [[61, 700, 37], [9, 1283, 20], [40, 33, 17]]) {
        const r = JSON.parse(await page.evaluate((a) => window.hp.bench_workload('gemm_f32', JSON.stringify(a), 'cpu'), { m, k, n, reps: 1, kernel: 'packed' }));
        assert.equal(r.kernel_used, m * k * n < 1 << 15 ? 'plain' : on ? 'relaxed_simd' : 'simd128', `${m}x${k}x${n}`);
        assert.ok(r.error_over_bound <= 1, `${m}x${k}x${n} relaxed=${on}: error ${r.error_over_bound} of the bound`);
      }
    }
    // A training on each kernel (K is 90 × 90, N = 40: tiled): the same statuses and numbers
    // within the f32 products' rounding.
    const run = (on) => page.evaluate(async ([o, q]) => { window.hp.use_relaxed_gemm(o); return JSON.parse(await window.hp.run(q, 'network', undefined)); }, [on, Q.slice(1)]);
    const [fused, plain] = [await run(true), await run(false)];
    assert.equal(fused.training.status, plain.training.status);
    assert.equal(fused.training.epochs_run, plain.training.epochs_run);
    const m = [fused.at_target.sharpness, plain.at_target.sharpness];
    assert.ok(Math.abs(m[0] - m[1]) <= 1e-4 * Math.abs(m[1]), `M ${m[0]} vs ${m[1]}`);
    // Each compute worker loaded its own.
    await page.waitForFunction(() => document.body.dataset.ranNetwork !== undefined, null, { timeout: 60000 });
    const inWorkers = await Promise.all(page.workers().map((w) => w.evaluate(() => self.hpRelaxed).catch(() => undefined)));
    assert.ok(inWorkers.includes(true), `workers: ${JSON.stringify(inWorkers)}`);
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
  }
  // Without the module (a browser without relaxed SIMD, or the file missing): the baseline kernel.
  const bare = await browser({ webgpu: false });
  try {
    await bare.route('**/relaxed-gemm.wasm', (r) => r.fulfill({ status: 404, body: '' }));
    const { page } = await open(bare, srv.base, Q);
    assert.equal(await page.evaluate(() => window.hpRelaxedReady), false);
    const r = JSON.parse(await page.evaluate(() => window.hp.bench_workload('gemm_f32', JSON.stringify({ m: 61, k: 700, n: 37, reps: 1, kernel: 'packed' }), 'cpu')));
    assert.equal(r.kernel_used, 'simd128');
    await page.waitForFunction(() => document.body.dataset.ranNetwork !== undefined, null, { timeout: 60000 });
    const inWorkers = await Promise.all(page.workers().map((w) => w.evaluate(() => self.hpRelaxed).catch(() => undefined)));
    assert.ok(!inWorkers.includes(true), `workers: ${JSON.stringify(inWorkers)}`);
  } finally {
    await bare.close();
  }
});
