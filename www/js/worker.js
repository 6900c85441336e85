// A compute worker: loads its own instance of the wasm core and runs one query at a time.
import init, * as hp from '../hopfield-playground.js';

const ready = init();

self.onmessage = async (e) => {
  const { id, query, parts } = e.data;
  try {
    await ready;
    const progress = (done, total, partial) =>
      self.postMessage({ id, progress: true, done, total, partial });
    const json = await hp.run(query, parts, progress);
    self.postMessage({ id, ok: json });
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message ? err.message : err) });
  }
};
