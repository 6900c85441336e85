// A compute worker: loads its own instance of the wasm core, opens the compute backend
// (WebGPU when the browser offers an adapter that passes the self-check, else the CPU)
// and runs one query at a time. Data assets (MNIST) are fetched the first time a run
// asks for one, handed to the core, and the run starts again.
import init, * as hp from '../hopfield-playground.js';
import { installRelaxedGemm } from './relaxed-gemm.js';

// The core, then (where the browser has relaxed SIMD) its fused-multiply-add GEMM.
const ready = init().then(async (w) => {
  // The size of this worker's wasm memory (the responsiveness and memory benchmark reads it).
  self.hpWasmBytes = () => w.memory.buffer.byteLength + (self.hpRelaxedGemm?.bytes() ?? 0);
  self.hpRelaxed = await installRelaxedGemm(hp, new URL('../assets/relaxed-gemm.wasm', import.meta.url));
  return w;
});
let userFileVersion = 0;

async function fetchAsset(name) {
  const file = hp.asset_file(name);
  if (!file) throw new Error(`unknown data asset ${name}`);
  const res = await fetch(new URL(`../assets/${file}`, import.meta.url));
  if (!res.ok) throw new Error(`could not load the data file ${file} (HTTP ${res.status})`);
  hp.provide_asset(name, new Uint8Array(await res.arrayBuffer()));
}

self.onmessage = async (e) => {
  const { id, query, parts, status, force, gpu, userFile, loseGpu } = e.data;
  try {
    await ready;
    if (userFile && userFile.version !== userFileVersion) {
      hp.provide_user_file(userFile.name, userFile.bytes);
      userFileVersion = userFile.version;
    }
    if (status) {
      self.postMessage({ id, ok: await hp.compute_status(!!force) });
      return;
    }
    // The browser tests' simulated device loss (hpDebug.loseGpu() in the page).
    if (loseGpu) await hp.debug_lose_gpu(gpu || undefined);
    const progress = (done, total, partial) =>
      self.postMessage({ id, progress: true, done, total, partial });
    let json;
    for (let attempt = 0; ; attempt++) {
      try {
        json = await hp.run(query, parts, progress, gpu || undefined);
        break;
      } catch (err) {
        const missing = /^missing asset: (\w+)$/.exec(String(err?.message ?? err));
        if (!missing || attempt >= 2) throw err;
        await fetchAsset(missing[1]);
      }
    }
    // The result goes as UTF-8 bytes in two copies, both transferred (moved, not copied): the
    // page keeps one (downloads, data tables) and hands the other on to the figures' worker, so a
    // large result (hhd's is about 10 MB) costs the page's thread no copy of its text.
    const utf8 = new TextEncoder().encode(json);
    const spare = utf8.slice();
    self.postMessage({ id, ok: { utf8, spare }, compute: hp.compute_used() }, [utf8.buffer, spare.buffer]);
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message ? err.message : err) });
  }
};
