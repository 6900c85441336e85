// The dense lab's particles on the GPU path: with --enable-unsafe-webgpu (Chromium's
// SwiftShader adapter) the page verifies WebGPU, then advects the particles there; a
// lost device sends them back to the CPU with a visible message; backend=cpu keeps them
// on the CPU. (Without WebGPU, dense.test.mjs checks the CPU path; the kernel's numbers
// are tested natively and in the wasm tests.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, open } from './harness.mjs';

let srv, ctx;
before(async () => { srv = await serve(); ctx = await browser({ webgpu: true }); });
after(async () => { await ctx?.close(); srv?.server.close(); });

const SMALL = 'p3_n=20&p3_trials=2&p3_points=2&c_starts=2&e7_starts=1&nd_n=6&grid=41';
const path = (page) => page.$eval('.flow-status', (e) => e.dataset.path);
const grab = (page) => page.$eval('canvas[data-particles]', (c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 3)));

/** Wait until the particles run on the GPU, then until `frames` more updates were drawn. */
async function onGpu(page, frames = 30) {
  await page.waitForFunction(() => document.querySelector('.flow-status')?.dataset.path === 'gpu', null, { timeout: 60000 });
  const n = await page.evaluate(() => window.__denseStats.updates.length);
  await page.waitForFunction((k) => window.__denseStats.updates.length > k, n + frames, { timeout: 30000 });
}

test('with WebGPU the particles run on the GPU and move', async () => {
  const { page, errors } = await open(ctx, srv.base, `?v=1&lab=dense&${SMALL}&particles=5000&backend=gpu`);
  await page.waitForFunction(() => document.querySelector('#backend-status').dataset.backend === 'webgpu', null, { timeout: 60000 });
  await onGpu(page);
  assert.match(await page.textContent('.flow-status'), /5,000 advected by RK4 \(sub-steps ≤ 0\.02\) on the GPU \(.*WebGPU.*swiftshader.*, RK4 in f32 per particle\)\. None stopped/);
  const a = await grab(page);
  await page.waitForTimeout(300);
  const b = await grab(page);
  assert.ok(a.some((v) => v > 0), 'particles are drawn');
  assert.ok(a.some((v, i) => v !== b[i]), 'particles move');
  // The particles themselves advance on the GPU path.
  const p0 = await page.evaluate(() => Array.from(window.__denseFlow.positions().slice(0, 400)));
  await page.waitForTimeout(300);
  const p1 = await page.evaluate(() => Array.from(window.__denseFlow.positions().slice(0, 400)));
  assert.ok(p0.some((v, i) => v !== p1[i]), 'positions change');
  assert.ok(p1.every(Number.isFinite));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a stiff system stops the particles on the GPU path too, and the page says so', async () => {
  // The preset "Stiff: huge W": h·L ≈ 400/60 near the axes, jumps past half the view elsewhere.
  const q = `?v=1&lab=dense&${SMALL}&particles=3000&lagrangian=tanh&w11=-400&w12=0&w21=0&w22=-400&b1=0&b2=0&x0=0.05&y0=2&t_end=5&integrator=rk4&dt=0.01&backend=gpu`;
  const { page, errors } = await open(ctx, srv.base, q);
  await onGpu(page, 10);
  await page.waitForFunction(() => Number(document.querySelector('.flow-status')?.dataset.stopped) > 0, null, { timeout: 30000 });
  assert.equal(await path(page), 'gpu');
  assert.match(await page.textContent('.flow-status'), /on the GPU .* stopped .*unstable step/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a lost GPU device sends the particles back to the CPU with a visible message', async () => {
  const { page, errors } = await open(ctx, srv.base, `?v=1&lab=dense&${SMALL}&particles=2000&backend=gpu`);
  await onGpu(page, 10);
  assert.equal(await page.evaluate(() => window.__denseFlow.debug_lose_gpu()), true);
  await page.waitForFunction(() => document.querySelector('.flow-status')?.dataset.gpuError === '1', null, { timeout: 30000 });
  assert.equal(await path(page), 'cpu');
  assert.match(await page.textContent('.flow-status'), /on the CPU \(WebAssembly, RK4 in f64 per particle\) — the GPU path stopped \(.+\); the particles continue on the CPU\./);
  // And they do.
  const p0 = await page.evaluate(() => Array.from(window.__denseFlow.positions().slice(0, 400)));
  await page.waitForTimeout(300);
  const p1 = await page.evaluate(() => Array.from(window.__denseFlow.positions().slice(0, 400)));
  assert.ok(p0.some((v, i) => v !== p1[i]), 'positions change on the CPU');
  assert.deepEqual(errors, []);
  await page.close();
});

test('backend=cpu keeps the particles on the CPU even with WebGPU', async () => {
  const { page, errors } = await open(ctx, srv.base, `?v=1&lab=dense&${SMALL}&particles=2000&backend=cpu`);
  await page.waitForFunction(() => /backend=cpu/.test(document.querySelector('#backend-status').textContent), null, { timeout: 60000 });
  await page.waitForFunction(() => /backend=cpu in the link/.test(document.querySelector('.flow-status')?.textContent ?? ''), null, { timeout: 30000 });
  await page.waitForTimeout(1000);
  assert.equal(await path(page), 'cpu');
  assert.deepEqual(errors, []);
  await page.close();
});
