// Trunk post-build hook (Trunk.toml [[hooks]]), run with node in the staging folder's parent.
// 1. The page must hold no inline script: its Content-Security-Policy (index.html) allows
//    only scripts from the site itself, so an inline one (e.g. a Trunk loader) would not run.
// 2. The service worker (sw.js) gets the build id (a hash of every built file) and the list
//    of files to cache, so that a new build is a new cache and replaces the old one.
// 3. Before that list is made: the relaxed-SIMD GEMM module is built into assets/.
import { readFile, writeFile, readdir, mkdir, copyFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { join, relative, sep } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) { console.error('post-build: TRUNK_STAGING_DIR is not set (run by trunk build)'); process.exit(1); }
const fail = (msg) => { console.error(`post-build: ${msg}`); process.exit(1); };

const html = await readFile(join(dir, 'index.html'), 'utf8');
const csp = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html);
if (!csp) fail('index.html has no Content-Security-Policy <meta>');
if (/'unsafe-(eval|inline)'/.test(csp[1].replace(/style-src-attr[^;]*/, ''))) fail(`the CSP allows unsafe code: ${csp[1]}`);
for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (!/\bsrc\s*=/.test(m[1]) || m[2].trim() !== '') fail(`index.html has an inline script, which its CSP blocks: ${m[0].slice(0, 120)}`);
}
if (/\son[a-z]+\s*=/i.test(html.replace(/<script[\s\S]*?<\/script>/gi, ''))) fail('index.html has an inline event handler, which its CSP blocks');

// 3. The relaxed-SIMD GEMM (kernels/relaxed-gemm), a wasm module of its own built with
//    `+simd128,+relaxed-simd` (the main wasm stays baseline), into assets/ (js/relaxed-gemm.js).
{
  const root = fileURLToPath(new URL('..', import.meta.url));
  const target = join(root, 'target', 'relaxed-gemm');
  try {
    execFileSync('cargo', ['build', '--release', '--locked', '--target', 'wasm32-unknown-unknown', '--target-dir', target], {
      cwd: join(root, 'kernels', 'relaxed-gemm'),
      env: { ...process.env, RUSTFLAGS: '-C target-feature=+simd128,+relaxed-simd' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch (err) { fail(`building kernels/relaxed-gemm failed: ${err.message}`); }
  await mkdir(join(dir, 'assets'), { recursive: true });
  await copyFile(join(target, 'wasm32-unknown-unknown', 'release', 'relaxed_gemm.wasm'), join(dir, 'assets', 'relaxed-gemm.wasm'));
}

async function files(d) {
  const out = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...await files(p));
    else if (e.isFile()) out.push(relative(dir, p).split(sep).join('/'));
  }
  return out;
}
const list = (await files(dir)).filter((f) => f !== 'sw.js').sort();
const hash = createHash('sha256');
for (const f of list) hash.update(f).update('\0').update(await readFile(join(dir, f))).update('\0');
const build = hash.digest('hex').slice(0, 16);

const swPath = join(dir, 'sw.js');
let sw = await readFile(swPath, 'utf8');
const before = sw;
sw = sw.replace(/^const BUILD = .*;$/m, `const BUILD = ${JSON.stringify(build)};`)
  .replace(/^const FILES = .*;$/m, `const FILES = ${JSON.stringify(list)};`);
if (sw === before || !sw.includes(build)) fail('sw.js has no `const BUILD = …;` and `const FILES = …;` lines to fill in');
await writeFile(swPath, sw);
console.log(`post-build: no inline script; sw.js caches ${list.length} files as build ${build}`);
