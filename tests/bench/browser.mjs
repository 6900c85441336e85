// Browser half of the kernel benchmark: our wasm CPU path and WebGPU path in headless
// Chromium, and TensorFlow.js's wasm backend (XNNPACK) on the same product in the same
// browser. Prints one JSON line per measurement (see run.sh). Not a test.
//   node tests/bench/browser.mjs [quick]
import { join } from 'node:path';
import { serve, browser, open, ROOT } from '../e2e/harness.mjs';

const quick = process.argv.includes('quick');
const SIZES = quick ? [[100, 100], [1000, 784]] : [[100, 100], [1000, 784], [2000, 2000], [4000, 4000]];
const srv = await serve({ extra: { '/tfjs/': join(ROOT, 'tests', 'node_modules', '@tensorflow') } });

function emit(kernel, impl, [p, n], seconds) {
  const gflops = (2 * p * p * n) / seconds / 1e9;
  console.log(JSON.stringify({ kernel, impl, shape: `${p}x${n}`, seconds, gflops: Number(gflops.toFixed(2)) }));
}

// Median seconds of `body` (an expression awaited in the page) within a time budget.
async function timeInPage(page, body, budgetMs) {
  return page.evaluate(async ({ body, budgetMs }) => {
    const fn = new Function(`return (async () => { ${body} })();`);
    const t0 = performance.now();
    await fn();
    const first = Math.max(performance.now() - t0, 0.1);
    // performance.now() is coarsened to 0.1 ms here: batch calls into samples of ≥ 20 ms.
    const inner = Math.max(1, Math.ceil(20 / first));
    const reps = Math.max(1, Math.min(25, Math.floor(budgetMs / (first * inner))));
    const ts = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      for (let j = 0; j < inner; j++) await fn();
      ts.push((performance.now() - t) / inner);
    }
    ts.sort((a, b) => a - b);
    return ts[Math.floor(ts.length / 2)] / 1000;
  }, { body, budgetMs });
}

// Our wasm CPU path (one core: the page's main thread) and TensorFlow.js wasm.
{
  const ctx = await browser({ webgpu: false });
  const { page } = await open(ctx, srv.base, '');
  await page.addScriptTag({ url: `${srv.base}tfjs/tfjs-core/dist/tf-core.min.js` });
  await page.addScriptTag({ url: `${srv.base}tfjs/tfjs-backend-wasm/dist/tf-backend-wasm.min.js` });
  const tfBackend = await page.evaluate(async (base) => {
    tf.wasm.setWasmPaths(`${base}tfjs/tfjs-backend-wasm/dist/`);
    await tf.setBackend('wasm');
    await tf.ready();
    return `${tf.getBackend()} simd=${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')} threads=${await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')}`;
  }, srv.base);
  console.error(`TensorFlow.js backend: ${tfBackend}`);
  for (const [p, n] of SIZES) {
    const budget = p >= 4000 ? 4000 : 1500;
    emit('gram', 'wasm-cpu', [p, n], await timeInPage(page, `await window.hp.bench_gram(${p}, ${n}, 1, 'cpu')`, budget));
    await page.evaluate(([p, n]) => { window.__x = tf.randomNormal([p, n]); window.__xt = tf.transpose(window.__x); }, [p, n]);
    // Both spellings of X·Xᵀ; the faster one is TensorFlow.js's figure.
    const nt = await timeInPage(page, `tf.tidy(() => tf.matMul(window.__x, window.__x, false, true)).dataSync();`, budget);
    const nn = await timeInPage(page, `tf.tidy(() => tf.matMul(window.__x, window.__xt)).dataSync();`, budget);
    emit('gram', 'tfjs-wasm', [p, n], Math.min(nt, nn));
    await page.evaluate(() => { window.__x.dispose(); window.__xt.dispose(); });
  }
  await ctx.close();
}

// Our WebGPU path (SwiftShader here: a CPU implementation of WebGPU). Upload, compute and
// readback are included, as a page pays them.
{
  const ctx = await browser({ webgpu: true });
  const { page } = await open(ctx, srv.base, '');
  const status = JSON.parse(await page.evaluate(() => window.hp.compute_status()));
  console.error(`WebGPU: ${status.description}`);
  if (status.gpu) {
    for (const [p, n] of SIZES) {
      const t = await timeInPage(page, `await window.hp.bench_gram(${p}, ${n}, 1, 'gpu')`, 3000);
      emit('gram', 'webgpu', [p, n], t);
      if (t > 20) break; // larger sizes would take minutes on a software adapter
    }
  }
  await ctx.close();
}
srv.server.close();
