// Responsiveness and memory (issue "Hardening"; not a test: a measurement with no pass mark).
// For every built lab, its heaviest preset (the largest `hp.estimate_cost` of its presets) is
// opened in headless Chromium with the CPU path (the default here: no WebGPU flag), and:
// - the main thread's long tasks (PerformanceObserver 'longtask', every task over 50 ms) from
//   navigation until every part has run and drawn: the longest, and how many exceed 100 ms
//   (the page is watched through the DevTools protocol only, so that no test-driver script
//   runs in it until then);
// - memory over repeated runs ("New seed", which reruns every part): the main thread's JS heap
//   after a forced garbage collection (CDP HeapProfiler.collectGarbage + Runtime.getHeapUsage)
//   and the sum of the compute workers' wasm memories, after each run. A preset whose first
//   run takes longer than REPEAT_LIMIT_S is repeated at the lab's quick sizes instead (said so).
// Needs `trunk build --release` first (dist/). Prints a Markdown table (and JSON lines to stderr).
//
//   node tests/bench/responsive.mjs [LAB ...]      env: RUNS (default 4), RUN_LIMIT_S (900),
//                                                   REPEAT_LIMIT_S (90)
import { knob, key, MB, start, heaviest, heapAfterGc, workersWasm } from './common.mjs';

const only = process.argv.slice(2);
const RUNS = knob('RUNS', 4);
const RUN_LIMIT_S = knob('RUN_LIMIT_S', 900);
const REPEAT_LIMIT_S = knob('REPEAT_LIMIT_S', 90);

const { srv, ctx, index, labs, agent, close } = await start(only);

/**
 * Poll `expression` in the page every 250 ms through the DevTools protocol until it is true (or
 * `limitS` passes). Not Playwright's waitForFunction/waitForSelector: those first inject the
 * driver's script into the page, a main-thread task of 50–190 ms under load that the long-task
 * observer counted as the page's own.
 */
async function until(cdp, expression, limitS) {
  const t0 = Date.now();
  while ((Date.now() - t0) / 1000 < limitS) {
    const { result } = await cdp.send('Runtime.evaluate', { expression, returnByValue: true }).catch(() => ({ result: {} }));
    if (result.value === true) return true;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  return false;
}

async function waitParts(cdp, lab, limitS) {
  const keys = lab.parts.map((p) => key(p.name));
  const t0 = Date.now();
  const done = await until(cdp, `${JSON.stringify(keys)}.every((k) => document.body.dataset[k] !== undefined)`, limitS);
  if (!done) return { done: false, secs: (Date.now() - t0) / 1000 };
  await new Promise((ok) => setTimeout(ok, 500)); // the last figure's drawing
  return { done: true, secs: (Date.now() - t0) / 1000 };
}
const ready = (cdp) => until(cdp, `document.body.dataset.ready === '1'`, 60);

async function memory(page, cdp) {
  const heap = await heapAfterGc(cdp);
  const wasm = (await workersWasm(page)).reduce((a, b) => a + b, 0);
  return { heap, wasm };
}

const rows = [];
for (const lab of labs) {
  const { preset, query, cost } = await heaviest(index, lab);

  const page = await ctx.newPage();
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push([e.duration, e.startTime]); })
      .observe({ type: 'longtask', buffered: true });
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const cdp = await ctx.newCDPSession(page);
  await page.goto(`${srv.base}?${query}`);
  await ready(cdp);
  const first = await waitParts(cdp, lab, RUN_LIMIT_S);
  const timed = (await cdp.send('Runtime.evaluate', { expression: 'window.__long.slice()', returnByValue: true })).result.value;
  const long = timed.map(([d]) => d);
  // When each task over 100 ms began (ms after navigation), to find it in a trace.
  const at = timed.filter(([d]) => d > 100).map(([d, t]) => `${d.toFixed(0)} ms at ${t.toFixed(0)}`);
  const mem = [await memory(page, cdp)];
  // Repeated runs: the same preset, or the quick sizes when one run is long.
  let repeatedAt = 'preset';
  if (first.done && first.secs > REPEAT_LIMIT_S && lab.quick) {
    repeatedAt = 'quick sizes';
    await page.goto(`${srv.base}?${query}&${lab.quick}`);
    await ready(cdp);
    await waitParts(cdp, lab, RUN_LIMIT_S);
    mem.length = 0;
    mem.push(await memory(page, cdp));
  }
  if (first.done) {
    for (let r = 1; r < RUNS; r++) {
      await page.evaluate((ks) => { for (const k of ks) delete document.body.dataset[k]; }, lab.parts.map((p) => key(p.name)));
      await page.click('button.new-seed');
      const again = await waitParts(cdp, lab, RUN_LIMIT_S);
      if (!again.done) break;
      mem.push(await memory(page, cdp));
    }
  }
  const row = {
    lab: lab.id, preset, cost, secs: first.secs, done: first.done,
    longest: long.length ? Math.max(...long) : 0, over100: long.filter((d) => d > 100).length, tasks: long.length, at,
    repeatedAt, heap: mem.map((m) => m.heap), wasm: mem.map((m) => m.wasm), errors,
  };
  console.error(JSON.stringify(row));
  rows.push(row);
  await page.close();
}
await close();

console.log(`\nResponsiveness and memory, headless ${agent}, CPU path, ${new Date().toISOString().slice(0, 10)}`);
console.log('(long tasks from navigation until every part has run and drawn; memory after each run, after a forced GC)\n');
console.log('| lab | heaviest preset | first run | longest main-thread task | tasks > 100 ms | main JS heap per run (MB) | workers\' wasm memory per run (MB) |');
console.log('|---|---|---:|---:|---:|---|---|');
for (const r of rows) {
  const run = r.done ? `${r.secs.toFixed(0)} s` : `not done in ${r.secs.toFixed(0)} s`;
  const rep = r.repeatedAt === 'preset' ? '' : ' (repeats at quick sizes)';
  console.log(`| ${r.lab} | ${r.preset} | ${run} | ${r.longest.toFixed(0)} ms | ${r.over100} | ${r.heap.map(MB).join(' → ')}${rep} | ${r.wasm.map(MB).join(' → ')} |`);
}
