// The figures' worker: a copy of the page's LabView (the wasm core's view of an open lab) that
// takes in the results and builds and lays out the figures off the main thread, so that a
// large result never holds the page while it is read or laid out. Messages are handled in
// the order they come (see figures.js). The paper pages (papers.js) use it too: it lays out
// and paints their thumbnails (PNG) and compares their results with the paper.
import init, * as hp from '../hopfield-playground.js';
import { pngBlob, paint, loadWorkerFont } from './paint.js';

const ready = init();
// The size of this worker's wasm memory (the responsiveness and memory benchmark reads it).
ready.then((w) => { self.hpWasmBytes = () => w.memory.buffer.byteLength; });
let lv = null;
let queue = Promise.resolve();
/** The page's figure canvases whose painting the page handed over (figure name -> OffscreenCanvas). */
const canvases = new Map();
const fontUrl = new URL('../assets/fonts/figure-sans.ttf', import.meta.url).href;
/** The LabView methods the page forwards (state changes; `render` answers with a figure). */
const OPS = new Set(['set_query', 'set_result', 'merge_shards', 'add_piece', 'set_progress', 'restart', 'stop', 'set_ui']);

/** A paper page's thumbnail: figure `name` laid out at `width` and painted here, as a PNG. */
async function thumb(m) {
  await loadWorkerFont(fontUrl);
  const fig = lv.render(m.name, m.width);
  const png = await pngBlob(fig.scene, m.scale || 1);
  return { png, title: fig.title, width: fig.scene.width, height: fig.scene.height };
}

/** A result the page passed on as UTF-8 bytes (see figures.js), back to its JSON text. */
const decoder = new TextDecoder();
const unpack = (a) => (Array.isArray(a) ? a.map(unpack) : a?.utf8 instanceof Uint8Array ? decoder.decode(a.utf8) : a);

async function handle(m) {
  try {
    if (m.op === 'compared') {
      // A paper page's comparison with the paper: the results of every part, merged.
      const merged = {};
      for (const text of m.texts) Object.assign(merged, JSON.parse(text));
      self.postMessage({ id: m.id, ok: hp.paper_compared(m.lab, m.preset, JSON.stringify(merged)) });
      return;
    }
    if (m.op === 'canvas') {
      // A figure's canvas, transferred: its pictures are painted here, and the browser's
      // compositor takes them from this thread, never from the page's.
      canvases.set(m.name, m.canvas);
      return;
    }
    if (m.op === 'open') {
      lv?.free();
      lv = new hp.LabView(m.query);
      if (m.id !== undefined) self.postMessage({ id: m.id, ok: true });
      return;
    }
    if (!lv) throw new Error('no lab is open');
    if (m.op === 'thumb') {
      self.postMessage({ id: m.id, ok: await thumb(m) });
      return;
    }
    if (m.op === 'render' || m.op === 'show') {
      // `show` also paints, on the figure's canvas (handed over by the page).
      const canvas = m.op === 'show' ? canvases.get(m.name) : null;
      if (m.op === 'show' && !canvas) throw new Error(`figure ${m.name} has no canvas here`);
      if (canvas) await loadWorkerFont(fontUrl);
      const fig = lv.render(m.name, m.width);
      // Painted in one task (the picture is shown when the task ends, never half of it), at
      // the page's device pixel ratio; the page gives the canvas the scene's CSS size.
      if (canvas) paint(canvas, fig.scene, { scale: m.dpr || 1, css: false });
      // Image pixels travel without a copy.
      const moved = [];
      for (const it of fig.scene.items) if (it.t === 'image' && it.rgba?.buffer) moved.push(it.rgba.buffer);
      self.postMessage({ id: m.id, fig }, moved.filter((b, i) => moved.indexOf(b) === i));
      return;
    }
    if (!OPS.has(m.op)) throw new Error(`unknown operation ${m.op}`);
    lv[m.op](...m.args.map(unpack));
    if (m.id !== undefined) self.postMessage({ id: m.id, ok: true });
  } catch (err) {
    if (m.id !== undefined) self.postMessage({ id: m.id, error: String(err?.message ?? err) });
  }
}

self.onmessage = (e) => {
  // A worker that could not load the core says so once: the page then lays out on its own thread.
  queue = queue.then(() => ready).then(() => handle(e.data), (err) => { self.postMessage({ fatal: String(err?.message ?? err) }); });
};
