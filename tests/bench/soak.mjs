// Memory soak (issue "Hardening": repeated runs must not grow the page's memory without
// bound; a measurement with no pass mark, not a CI test). For every built lab (or the LABs
// named), its heaviest preset (the largest `hp.estimate_cost` of its presets) is opened in
// headless Chromium on the CPU path and run RUNS times ("New seed" reruns every part). After
// each run: the main thread's JS heap after a forced garbage collection (CDP
// HeapProfiler.collectGarbage + Runtime.getHeapUsage), the DOM node count, and the wasm memory
// of every worker (the compute workers and the figures' worker; wasm memory never shrinks, so
// it shows the high-water mark). A preset whose first run is not done within PROBE_S, or takes
// longer than SLOW_S, is soaked at the lab's quick sizes instead (`hopfield reproduce --quick`),
// and the table says so.
//
// Needs `trunk build --release` first (dist/). Prints a Markdown table (JSON lines on stderr, with
// each worker's wasm memory in `wasmEach`). Shares its setup with responsive.mjs (common.mjs).
//
//   node tests/bench/soak.mjs [LAB ...]   env: RUNS (10), PROBE_S (60), SLOW_S (30), RUN_LIMIT_S (300)
import { knob, key, MB, start, heaviest, heapAfterGc, workersWasm } from './common.mjs';

const only = process.argv.slice(2);
const RUNS = knob('RUNS', 10);
const PROBE_S = knob('PROBE_S', 60);
const SLOW_S = knob('SLOW_S', 30);
const RUN_LIMIT_S = knob('RUN_LIMIT_S', 300);

const { srv, ctx, index, labs, agent, close } = await start(only);

async function waitParts(page, lab, limitS) {
  const keys = lab.parts.map((p) => key(p.name));
  const t0 = Date.now();
  try {
    await page.waitForFunction((ks) => ks.every((k) => document.body.dataset[k] !== undefined), keys, { timeout: limitS * 1000, polling: 250 });
  } catch {
    return { done: false, secs: (Date.now() - t0) / 1000 };
  }
  await page.waitForTimeout(500); // the last figure's drawing
  return { done: true, secs: (Date.now() - t0) / 1000 };
}

async function memory(page, cdp) {
  const heap = await heapAfterGc(cdp);
  const nodes = await page.evaluate(() => document.getElementsByTagName('*').length);
  const wasm = await workersWasm(page);
  return { heap, nodes, wasm: wasm.reduce((a, b) => a + b, 0), workers: wasm.length, wasmEach: wasm };
}

/** Least-squares slope of `ys` per step (MB per run). */
function slope(ys) {
  const n = ys.length;
  if (n < 2) return NaN;
  const mx = (n - 1) / 2, my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  ys.forEach((y, i) => { sxy += (i - mx) * (y - my); sxx += (i - mx) ** 2; });
  return sxy / sxx;
}

const rows = [];
for (const lab of labs) {
  const best = await heaviest(index, lab);
  const { preset } = best;
  let { query } = best;

  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const cdp = await ctx.newCDPSession(page);
  await page.goto(`${srv.base}?${query}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  let first = await waitParts(page, lab, PROBE_S);
  let sizes = 'preset';
  if ((!first.done || first.secs > SLOW_S) && lab.quick) {
    sizes = 'quick';
    query = `${query}&${lab.quick}`;
    await page.goto(`${srv.base}?${query}`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
    first = await waitParts(page, lab, RUN_LIMIT_S);
  }
  const runs = [];
  if (first.done) runs.push({ secs: first.secs, ...(await memory(page, cdp)) });
  for (let r = 1; first.done && r < RUNS; r++) {
    await page.evaluate((ks) => { for (const k of ks) delete document.body.dataset[k]; }, lab.parts.map((p) => key(p.name)));
    await page.click('button.new-seed');
    const again = await waitParts(page, lab, RUN_LIMIT_S);
    if (!again.done) break;
    runs.push({ secs: again.secs, ...(await memory(page, cdp)) });
  }
  const row = { lab: lab.id, preset, sizes, query, runs, errors };
  console.error(JSON.stringify(row));
  rows.push(row);
  await page.close();
}
await close();

const list = (xs) => xs.map(MB).join(', ');
const half = (xs) => xs.slice(Math.floor(xs.length / 2));
console.log(`\nMemory soak, headless ${agent}, CPU path, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, RUNS=${RUNS}`);
console.log('(after each run, after a forced GC; growth: least-squares slope over the second half of the runs)\n');
console.log('| lab | preset (sizes) | runs | seconds per run (median) | main JS heap per run (MB) | heap growth, 2nd half (MB/run) | DOM nodes (first → last) | workers\' wasm memory per run (MB) | wasm growth, 2nd half (MB/run) |');
console.log('|---|---|---:|---:|---|---:|---|---|---:|');
for (const r of rows) {
  const n = r.runs.length;
  const secs = r.runs.map((x) => x.secs).sort((a, b) => a - b);
  const med = n ? secs[Math.floor(n / 2)].toFixed(1) : '—';
  const heap = r.runs.map((x) => x.heap), wasm = r.runs.map((x) => x.wasm);
  const hs = slope(half(heap).map((b) => b / 2 ** 20)), ws = slope(half(wasm).map((b) => b / 2 ** 20));
  const nodes = n ? `${r.runs[0].nodes} → ${r.runs[n - 1].nodes}` : '—';
  console.log(`| ${r.lab} | ${r.preset} (${r.sizes === 'quick' ? 'quick sizes' : 'full'}) | ${n} | ${med} | ${list(heap)} | ${hs.toFixed(2)} | ${nodes} | ${list(wasm)} | ${ws.toFixed(2)} |${r.errors.length ? ` errors: ${r.errors.join('; ')}` : ''}`);
}
