// Browser half of the hetero eigenvalue benchmark: the lab's `spectrum` part (draw the
// pairs, J = Y Xᵀ, its N eigenvalues by faer, the JSON) on the page's wasm CPU path in
// headless Chromium, one core, at N = 1000 and 2000 (α = 1, τ = 0.5, seed 42: the matrices
// of crate/benches/hetero.sh). Prints one JSON line per size, as the native CLI column of
// that script does. Not a test. Needs `trunk build --release` first.
//   node tests/bench/hetero-browser.mjs [quick]
import { serve, browser, open } from '../e2e/harness.mjs';

const sizes = process.argv.includes('quick') ? [1000] : [1000, 2000];
const srv = await serve();
const ctx = await browser({ webgpu: false });
try {
  const { page } = await open(ctx, srv.base, '');
  for (const n of sizes) {
    const q = `v=1&lab=hetero&n=${n}&alpha=1&tau=0.5&seed=42`;
    const ts = await page.evaluate(async (query) => {
      const out = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        const r = JSON.parse(await window.hp.run(query, 'spectrum', undefined, 'cpu:benchmark'));
        out.push({ seconds: (performance.now() - t) / 1000, rightmost: r.rightmost });
      }
      return out;
    }, q);
    ts.sort((a, b) => a.seconds - b.seconds);
    const mid = ts[1];
    console.log(JSON.stringify({ impl: 'browser', n, seconds: Number(mid.seconds.toFixed(4)), rightmost: mid.rightmost }));
  }
} finally {
  await ctx.close();
  srv.server.close();
}
