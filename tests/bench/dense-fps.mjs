// Frame-rate benchmark of the dense lab's particle flow in headless Chromium (run by hand,
// not part of tests/run.sh): `node tests/bench/dense-fps.mjs [seconds] [particles...]`
// after `trunk build --release`. For each configuration it opens the lab, waits until
// every worker part has finished (so the two cores are not shared), then records for
// `seconds` the interval between animation frames and the work done in each frame (one
// wasm call that advects every particle and renders the trails, plus putImageData), and
// prints their median and 95th percentile. Runs once with WebGPU off and once with
// --enable-unsafe-webgpu (SwiftShader adapter); the particles use the CPU path in both.
import { loadavg, cpus } from 'node:os';
import { serve, browser, open } from '../e2e/harness.mjs';

const seconds = Number(process.argv[2] || 10);
const counts = process.argv.slice(3).map(Number);
const SMALL = 'p3_n=20&p3_trials=2&c_starts=2&e7_starts=1&nd_n=6';
const configs = (counts.length ? counts : [20000]).flatMap((n) => [
  { name: `ReLU, (1), ${n} particles`, q: `?v=1&lab=dense&particles=${n}&${SMALL}` },
  { name: `smooth leaky ReLU, (9) transposed, ${n} particles`, q: `?v=1&lab=dense&particles=${n}&lagrangian=sleaky&dynamics=mod_t&energy=e3&energy2=kh&${SMALL}` },
]);

const q = (a, p) => { const b = [...a].sort((x, y) => x - y); return b[Math.min(b.length - 1, Math.floor(p * b.length))]; };
const srv = await serve();
// Other processes share the cores: say how busy the machine was.
console.log(`${cpus().length} cores; load average before: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
for (const webgpu of [false, true]) {
  const ctx = await browser({ webgpu });
  for (const c of configs) {
    const { page, errors } = await open(ctx, srv.base, c.q);
    await page.waitForFunction(() => ['Fixed_points', 'Landscape', 'Trajectory', 'Dead', 'Prop3', 'Appc', 'Ex7'].every((p) => document.body.dataset[`ran${p}`] !== undefined), null, { timeout: 120000 });
    const adapter = await page.evaluate(async () => {
      if (!navigator.gpu) return 'none (navigator.gpu missing)';
      const a = await navigator.gpu.requestAdapter();
      if (!a) return 'none';
      const info = a.info || {};
      return `${info.vendor || '?'} ${info.architecture || ''}`.trim();
    });
    await page.waitForTimeout(1000);
    await page.evaluate(() => window.__denseStats.reset());
    await page.waitForTimeout(seconds * 1000);
    const s = await page.evaluate(() => ({ work: [...window.__denseStats.work], interval: [...window.__denseStats.interval], status: document.querySelector('.flow-status').textContent }));
    const fps = 1000 / q(s.interval, 0.5);
    console.log(`${webgpu ? 'WebGPU on ' : 'WebGPU off'} | adapter: ${adapter} | ${c.name}: ${s.interval.length} frames in ${seconds} s; ` +
      `frame interval median ${q(s.interval, 0.5).toFixed(2)} ms, p95 ${q(s.interval, 0.95).toFixed(2)} ms (${fps.toFixed(1)} fps); ` +
      `work per frame median ${q(s.work, 0.5).toFixed(2)} ms, p95 ${q(s.work, 0.95).toFixed(2)} ms`);
    if (errors.length) console.log('  console errors:', errors);
    await page.close();
  }
  await ctx.close();
}
srv.server.close();
console.log(`load average after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
