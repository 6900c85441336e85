// Times the browser CPU path of the KLR sweep: the page's own code (js/compute.js, one
// Web Worker per shard, the wasm core in each) on the built site in headless Chromium.
// Usage (from the repo root, after `trunk build --release`):
//   node crate/benches/klr_browser.mjs 'v=1&lab=klr&sweep=1' [shards]
// Prints {"seconds": …, "cells": …, "shards": …, "shard_seconds": [each shard's finish]} as
// one JSON line; with CELLS_OUT=FILE it also writes every cell (index order) to FILE as JSON.
import { serve, browser, open } from '../../tests/e2e/harness.mjs';

const query = process.argv[2] || 'v=1&lab=klr&sweep=1';
const shards = Number(process.argv[3] || 2);
const srv = await serve();
const ctx = await browser();
try {
  const { page } = await open(ctx, srv.base, '');
  const out = await page.evaluate(async ({ query, shards }) => {
    const { Compute, textOf } = await import('./js/compute.js');
    const compute = new Compute(window.hp);
    const t0 = performance.now();
    // The page's runShards, with each shard's finishing time kept (how even the split is).
    const finished = new Array(shards).fill(0);
    const results = await Promise.all(Array.from({ length: shards }, (_, i) =>
      compute.run(`bench#${i}`, `${query}&shard=${i}&shards=${shards}`, 'sweep', {}).then((r) => {
        finished[i] = Math.round((performance.now() - t0) / 100) / 10;
        return r;
      })));
    const seconds = (performance.now() - t0) / 1000;
    // Each shard's result is the run's JSON (bytes from a worker, text without workers).
    const all = results.flatMap((r) => JSON.parse(textOf(r)).sweep.cells);
    all.sort((a, b) => a.index - b.index);
    return { seconds, cells: all.length, shards, shard_seconds: finished, cores: navigator.hardwareConcurrency, all };
  }, { query, shards });
  const { all, ...summary } = out;
  // CELLS_OUT=file.json keeps every cell (to compare with the CLI's).
  if (process.env.CELLS_OUT) (await import('node:fs')).writeFileSync(process.env.CELLS_OUT, JSON.stringify(all));
  console.log(JSON.stringify(summary));
} finally {
  await ctx.close();
  srv.server.close();
}
