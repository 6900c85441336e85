// A compute worker: loads its own instance of the wasm core, opens the compute backend
// (WebGPU when the browser offers an adapter that passes the self-check, else the CPU)
// and runs one query at a time.
import init, * as hp from '../hopfield-playground.js';

const ready = init();

self.onmessage = async (e) => {
  const { id, query, parts, status, gpu } = e.data;
  try {
    await ready;
    if (status) {
      self.postMessage({ id, ok: await hp.compute_status() });
      return;
    }
    const progress = (done, total, partial) =>
      self.postMessage({ id, progress: true, done, total, partial });
    const json = await hp.run(query, parts, progress, gpu || undefined);
    self.postMessage({ id, ok: json, compute: hp.compute_used() });
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message ? err.message : err) });
  }
};
