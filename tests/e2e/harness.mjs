// Shared setup for the browser tests: a static server for dist/ on 127.0.0.1 and
// headless Debian Chromium driven by playwright-core.
import { createServer } from 'node:http';
import { readFile, mkdtemp } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..', '..');
/** The `hopfield` CLI the page is compared with: the one `cargo test` builds (tests/run.sh runs
 * that first), or HOPFIELD_CLI (e.g. target/release/hopfield). Both give the same numbers. */
export const CLI_PATH = process.env.HOPFIELD_CLI || join(ROOT, 'target', 'debug', 'hopfield');
/** The built site (HP_DIST: another copy of it, e.g. a long bench's snapshot while dist/ is rebuilt). */
const DIST = process.env.HP_DIST ? resolve(process.env.HP_DIST) : join(ROOT, 'dist');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json' };

/**
 * Serve dist/ on 127.0.0.1 (a free port). `extra` maps URL prefixes to other folders
 * (the benchmark serves TensorFlow.js from node_modules this way). `down(true)` makes the
 * server drop every connection unanswered (a network that is off) until `down(false)`.
 */
export async function serve({ extra = {} } = {}) {
  let isDown = false;
  const server = createServer(async (req, res) => {
    if (isDown) { req.socket.destroy(); return; }
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const prefix = Object.keys(extra).find((p) => path.startsWith(p));
    const root = prefix ? extra[prefix] : DIST;
    const rel = prefix ? path.slice(prefix.length) : path;
    const file = join(root, rel === '' || rel.endsWith('/') ? join(rel, 'index.html') : rel);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404); res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, base: `http://127.0.0.1:${server.address().port}/`, down: (on) => { isDown = on; if (on) server.closeIdleConnections(); } };
}

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A fresh browser context; `webgpu` adds --enable-unsafe-webgpu (SwiftShader adapter). */
export async function browser({ webgpu = false } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'hp-e2e-'));
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: webgpu ? [...ARGS, '--enable-unsafe-webgpu'] : ARGS,
    viewport: { width: 1400, height: 1000 },
  });
}

/**
 * Open `path` and collect console errors, page errors and every request URL.
 * Resolves once the app marked itself ready.
 */
export async function open(context, base, path) {
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(base + path);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  return { page, errors, requests };
}

/**
 * Count canvas pixels that differ from the top-left pixel (an empty canvas has none). The
 * canvas's picture is read as an image, so that a canvas painted by a worker (transferred
 * with `transferControlToOffscreen`, whose context the page cannot get) is read the same way.
 */
export async function inkedPixels(page, selector) {
  return page.$eval(selector, async (c) => {
    const shot = await createImageBitmap(c);
    const copy = new OffscreenCanvas(shot.width, shot.height);
    const ctx = copy.getContext('2d');
    ctx.drawImage(shot, 0, 0);
    shot.close();
    const { data } = ctx.getImageData(0, 0, copy.width, copy.height);
    let n = 0;
    for (let i = 4; i < data.length; i += 4) {
      if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2] || data[i + 3] !== data[3]) n++;
    }
    return n;
  });
}

/**
 * Resolves once every part of lab `id` has run and its figures show it (the page sets
 * `data-ran<Part>` then). `opts`: waitForFunction's (timeout, polling).
 */
export async function allPartsRan(page, id, opts = {}) {
  const parts = JSON.parse(await page.evaluate(() => window.hp.labs())).find((l) => l.id === id).parts.map((p) => p.name);
  await page.waitForFunction((ps) => ps.every((p) => document.body.dataset[`ran${p[0].toUpperCase()}${p.slice(1)}`] !== undefined), parts, opts);
}

/**
 * The bounding box of `selector` once the layout around it has settled (the same box in two
 * reads 100 ms apart; at most 5 s): figure panels above it can still be taking their heights
 * (their first pictures, their controls) after the part a test waited for has run.
 */
export async function settledBox(page, selector) {
  let last = null;
  for (let i = 0; i < 50; i++) {
    const box = await (await page.$(selector)).boundingBox();
    if (last && box && ['x', 'y', 'width', 'height'].every((k) => box[k] === last[k])) return box;
    last = box;
    await page.waitForTimeout(100);
  }
  return last;
}

/** Click pixel (row, col) of the classic probe (the first grid of the recall figure). */
export async function clickProbePixel(page, row, col) {
  const box = await settledBox(page, '[data-figure="recall"] canvas');
  const hit = await page.$eval('[data-figure="recall"] canvas', (c) => c.scene.hits.find((h) => h.t === 'cells'));
  await page.mouse.click(box.x + hit.x + (col + 0.5) * (hit.w / hit.cols), box.y + hit.y + (row + 0.5) * (hit.h / hit.rows));
}

const downloads = new WeakMap(); // page -> downloads started
/**
 * Click `selector` and resolve with the download it starts. Headless Chromium drops a page's
 * downloads beyond about ten in quick succession (its limit on automatic downloads), so after
 * eight on one page each waits 1.1 s first.
 */
export async function clickDownload(page, selector) {
  const n = downloads.get(page) ?? 0;
  downloads.set(page, n + 1);
  if (n >= 8) await page.waitForTimeout(1100);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return dl;
}

/**
 * Assert that two SVG texts are equal apart from numbers, and that every number that differs
 * is within `rel`·max(|u|, |v|) + `abs` (a coordinate printed to 4 significant digits from
 * values that differ in their last bits); at most `maxShare` of the numbers may differ.
 * Returns how many differ.
 */
export function sameSvg(a, b, what, { rel = 1e-3, abs = 1e-9, maxShare = 1 } = {}) {
  if (a === b) return 0;
  const split = (s) => s.split(/(-?\d+(?:\.\d+)?(?:e-?\d+)?)/);
  const [x, y] = [split(a), split(b)];
  assert.equal(x.length, y.length, `${what}: the SVGs differ in structure`);
  let diffs = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] === y[i]) continue;
    assert.ok(i % 2 === 1, `${what}: text differs: ${x[i].slice(0, 80)} vs ${y[i].slice(0, 80)}`);
    const [u, v] = [Number(x[i]), Number(y[i])];
    assert.ok(Math.abs(u - v) <= rel * Math.max(Math.abs(u), Math.abs(v)) + abs, `${what}: ${u} vs ${v}`);
    diffs++;
  }
  const numbers = (x.length - 1) / 2;
  assert.ok(diffs <= maxShare * numbers, `${what}: ${diffs} of ${numbers} numbers differ`);
  return diffs;
}
