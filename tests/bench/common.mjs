// What the page benchmarks share (responsive.mjs, soak.mjs): the served site and headless
// Chromium (CPU path: no WebGPU flag), the built labs, the browser's version line, each lab's
// heaviest preset, and the memory readings. Not a test.
import { serve, browser, open } from '../e2e/harness.mjs';

/** A numeric environment knob: `name`, or `fallback` when unset or empty. */
export const knob = (name, fallback) => Number(process.env[name] || fallback);

/** The page's data attribute that says part `p` has run and drawn (`document.body.dataset[key(p)]`). */
export const key = (p) => `ran${p[0].toUpperCase()}${p.slice(1)}`;

/** Bytes as MB with one decimal. */
export const MB = (b) => (b / 2 ** 20).toFixed(1);

/**
 * Serve dist/ (or HP_DIST), start headless Chromium and open the landing page. Resolves with
 * `{srv, ctx, index, labs, agent, close}`: the built labs (those named in `only`, if any) and
 * the browser's version (e.g. `Chrome/156.0.…`).
 */
export async function start(only = []) {
  const srv = await serve();
  const ctx = await browser();
  const { page: index } = await open(ctx, srv.base, '');
  const labs = JSON.parse(await index.evaluate(() => window.hp.labs())).filter((l) => l.built && (!only.length || only.includes(l.id)));
  const agent = await index.evaluate(() => navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent);
  const close = async () => { await ctx.close(); srv.server.close(); };
  return { srv, ctx, index, labs, agent, close };
}

/** `lab`'s heaviest preset (the largest `hp.estimate_cost` of its presets): `{preset, query, cost}`. */
export async function heaviest(index, lab) {
  const presets = lab.presets || [];
  const queries = presets.map((p) => `v=1&lab=${lab.id}&preset=${p.name}`);
  const costs = await index.evaluate((qs) => qs.map((q) => window.hp.estimate_cost(q)), queries);
  let best = -1;
  costs.forEach((c, i) => { if (best < 0 || c > costs[best]) best = i; });
  return best >= 0
    ? { preset: presets[best].name, query: queries[best], cost: costs[best] }
    : { preset: '(default)', query: `v=1&lab=${lab.id}`, cost: 0 };
}

/** The main thread's JS heap (bytes) after a forced garbage collection. */
export async function heapAfterGc(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

/**
 * The wasm memory (bytes) of each of `page`'s workers (compute workers and the figures'
 * worker). A worker still inside a long run answers only when it ends: it gets 2 s (then NaN).
 */
export async function workersWasm(page) {
  const ask = (w) => Promise.race([w.evaluate(() => (self.hpWasmBytes ? self.hpWasmBytes() : 0)), new Promise((ok) => setTimeout(() => ok(NaN), 2000))]).catch(() => 0);
  const out = [];
  for (const w of page.workers()) out.push(await ask(w));
  return out;
}
