// Frame-rate benchmark of the dense lab's particle flow in headless Chromium (run by hand,
// not part of tests/run.sh): `node tests/bench/dense-fps.mjs [seconds] [particles...]`
// after `trunk build --release`. For each configuration it opens the lab, waits until
// every worker part has finished (so the two cores are not shared with them), then
// records for `seconds`:
//   - the interval between animation frames (the page's frame rate),
//   - the main-thread work of each frame (one wasm call, plus putImageData when it drew),
//   - the interval between particle updates (frames that moved the particles: every
//     frame on the CPU path; on the GPU path only frames whose readback had arrived),
// and prints their median and 95th percentile. Two paths: the CPU path (WebGPU off, so
// WebAssembly advects the particles) and the GPU path (--enable-unsafe-webgpu: Chromium's
// SwiftShader adapter, a software WebGPU; the script waits until the page says the
// particles run on the GPU, and says so if they never do).
import { loadavg, cpus } from 'node:os';
import { serve, browser, open } from '../e2e/harness.mjs';

const seconds = Number(process.argv[2] || 10);
const counts = process.argv.slice(3).map(Number);
const SMALL = 'p3_n=20&p3_trials=2&c_starts=2&e7_starts=1&nd_n=6';
const configs = (counts.length ? counts : [20000]).flatMap((n) => [
  { name: `ReLU, (1), ${n} particles`, q: `?v=1&lab=dense&particles=${n}&${SMALL}` },
  { name: `smooth leaky ReLU, (9) transposed, ${n} particles`, q: `?v=1&lab=dense&particles=${n}&lagrangian=sleaky&dynamics=mod_t&energy=e3&energy2=kh&${SMALL}` },
]);

const q = (a, p) => { const b = [...a].sort((x, y) => x - y); return b.length ? b[Math.min(b.length - 1, Math.floor(p * b.length))] : NaN; };
const ms = (v) => v.toFixed(2);
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
    if (webgpu) {
      await page.waitForFunction(() => document.querySelector('.flow-status')?.dataset.path === 'gpu', null, { timeout: 30000 })
        .catch(() => console.log('  the particles did not reach the GPU path within 30 s'));
    }
    await page.waitForTimeout(1000);
    await page.evaluate(() => window.__denseStats.reset());
    await page.waitForTimeout(seconds * 1000);
    const s = await page.evaluate(() => ({
      work: [...window.__denseStats.work], interval: [...window.__denseStats.interval], updates: [...window.__denseStats.updates],
      path: document.querySelector('.flow-status').dataset.path, status: document.querySelector('.flow-status').textContent,
    }));
    const upd = s.updates.slice(1).map((t, i) => t - s.updates[i]);
    const fps = 1000 / q(s.interval, 0.5);
    console.log(`${webgpu ? 'WebGPU on ' : 'WebGPU off'} | adapter: ${adapter} | ${c.name} | particles on the ${s.path.toUpperCase()}: ` +
      `${s.interval.length} frames in ${seconds} s; frame interval median ${ms(q(s.interval, 0.5))} ms, p95 ${ms(q(s.interval, 0.95))} ms (${fps.toFixed(1)} fps); ` +
      `work per frame median ${ms(q(s.work, 0.5))} ms, p95 ${ms(q(s.work, 0.95))} ms; ` +
      `${s.updates.length} particle updates (${(s.updates.length / seconds).toFixed(1)}/s), update interval median ${ms(q(upd, 0.5))} ms, p95 ${ms(q(upd, 0.95))} ms`);
    if (/GPU error/.test(s.status)) console.log(`  ${s.status}`);
    if (errors.length) console.log('  console errors:', errors);
    await page.close();
  }
  await ctx.close();
}
srv.server.close();
console.log(`load average after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
