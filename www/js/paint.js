// The canvas player: paints a scene (a figure laid out by the wasm core: rectangles, paths,
// circles, text, images, clips) and turns pointer input on its click regions into actions.
// It knows primitives, never a lab.

export const FONT_FAMILY = '"Figure Sans", "DejaVu Sans", sans-serif';

/** The figure font, loaded once (the core measured every label with it). In a worker (the
 * figures' worker paints the paper pages' thumbnails) the font is loaded by `loadWorkerFont`. */
export const fontReady = (typeof document !== 'undefined' ? document.fonts?.load(`11px ${FONT_FAMILY}`) ?? Promise.resolve() : Promise.resolve()).catch(() => {});

/** In a worker: add the figure font (`url`: the font file) to the worker's fonts, once. */
let workerFont = null;
export function loadWorkerFont(url) {
  if (!workerFont) {
    workerFont = (async () => {
      if (typeof FontFace === 'undefined' || !self.fonts) return;
      const face = new FontFace('Figure Sans', `url("${url}")`);
      self.fonts.add(await face.load());
    })().catch(() => {});
  }
  return workerFont;
}

function stroke(ctx, s) {
  ctx.strokeStyle = s.color;
  ctx.lineWidth = s.width;
  ctx.setLineDash(s.dash || []);
}

function item(ctx, it) {
  switch (it.t) {
    case 'rect':
      if (it.fill) { ctx.fillStyle = it.fill; ctx.fillRect(it.x, it.y, it.w, it.h); }
      if (it.stroke) { stroke(ctx, it.stroke); ctx.strokeRect(it.x, it.y, it.w, it.h); }
      break;
    case 'path': {
      ctx.beginPath();
      let pen = false;
      const p = it.pts;
      for (let i = 0; i + 1 < p.length; i += 2) {
        if (!Number.isFinite(p[i]) || !Number.isFinite(p[i + 1])) { pen = false; continue; }
        if (pen) ctx.lineTo(p[i], p[i + 1]); else { ctx.moveTo(p[i], p[i + 1]); pen = true; }
      }
      if (it.closed) ctx.closePath();
      if (it.fill) { ctx.fillStyle = it.fill; ctx.fill(); }
      if (it.stroke) { stroke(ctx, it.stroke); ctx.lineJoin = 'round'; ctx.stroke(); }
      break;
    }
    case 'circle':
      ctx.beginPath();
      ctx.arc(it.x, it.y, it.r, 0, 2 * Math.PI);
      if (it.fill) { ctx.fillStyle = it.fill; ctx.fill(); }
      if (it.stroke) { stroke(ctx, it.stroke); ctx.stroke(); }
      break;
    case 'text':
      ctx.font = `${it.size}px ${FONT_FAMILY}`;
      ctx.fillStyle = it.color;
      ctx.textAlign = it.anchor === 'middle' ? 'center' : it.anchor === 'end' ? 'right' : 'left';
      ctx.textBaseline = 'alphabetic';
      if (it.angle) {
        ctx.save(); ctx.translate(it.x, it.y); ctx.rotate((it.angle * Math.PI) / 180);
        ctx.fillText(it.text, 0, 0); ctx.restore();
      } else ctx.fillText(it.text, it.x, it.y);
      break;
    case 'image': {
      const off = scratch(it.cols, it.rows);
      const px = it.rgba instanceof Uint8Array ? it.rgba : Uint8Array.from(it.rgba);
      off.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(px.buffer, px.byteOffset, px.byteLength), it.cols, it.rows), 0, 0);
      ctx.imageSmoothingEnabled = !!it.smooth;
      ctx.drawImage(off, it.x, it.y, it.w, it.h);
      break;
    }
    case 'clip':
      ctx.save(); ctx.beginPath(); ctx.rect(it.x, it.y, it.w, it.h); ctx.clip();
      break;
    case 'unclip':
      ctx.restore();
      break;
    default:
  }
}

// One scratch canvas for image items (a canvas per image costs more than its pixels).
let scratchCanvas = null;
function scratch(w, h) {
  if (!scratchCanvas) scratchCanvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
  // Exactly the image's size: a smoothed image samples no stale pixels beside it.
  if (scratchCanvas.width !== w || scratchCanvas.height !== h) { scratchCanvas.width = w; scratchCanvas.height = h; }
  return scratchCanvas;
}

/** Set up `canvas` for `scene` at `scale` × devicePixelRatio (size, transform, background). */
function begin(canvas, scene, { scale = 1, css = true, clear = false } = {}) {
  const dpr = (globalThis.devicePixelRatio || 1) * scale;
  canvas.width = Math.max(1, Math.ceil(scene.width * dpr));
  canvas.height = Math.max(1, Math.ceil(scene.height * dpr));
  if (css) { canvas.style.width = `${scene.width}px`; canvas.style.height = `${scene.height}px`; }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  if ('fontKerning' in ctx) ctx.fontKerning = 'none';
  ctx.fillStyle = '#fff';
  if (clear) ctx.clearRect(0, 0, scene.width, scene.height); else ctx.fillRect(0, 0, scene.width, scene.height);
  return ctx;
}

/** Paint `scene` on `canvas` at `scale` × devicePixelRatio, at once; the canvas takes the
 * scene's CSS size (on white, or transparent with `clear`). */
export function paint(canvas, scene, opts = {}) {
  jobs.get(canvas)?.cancel();
  jobs.delete(canvas);
  const ctx = begin(canvas, scene, opts);
  for (const it of scene.items) item(ctx, it);
  canvas.scene = scene;
}

// Painting in slices: the painting in progress per canvas (a newer one cancels it).
const jobs = new WeakMap();
/** The longest a slice of painting holds the page (ms). */
const SLICE_MS = 12;
/** Yield to the page's other work (input, layout) between slices. */
const later = (f) => setTimeout(f, 0);

/**
 * Paint `scene` on `canvas` as `paint` does, in slices of about SLICE_MS (so that a large figure
 * never holds the page): into a canvas of its own, shown on `canvas` in one copy when complete
 * (until then `canvas` keeps its old picture). Resolves once shown, or once the newer painting
 * of the same canvas that replaced it is shown.
 */
export function paintSliced(canvas, scene, opts = {}) {
  const prev = jobs.get(canvas);
  const done = new Promise((resolve) => {
    let cancelled = false;
    // Replaced by a newer painting: resolve as that one does.
    const job = { cancel: (newer) => { cancelled = true; resolve(newer ?? true); } };
    jobs.set(canvas, job);
    const back = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    const ctx = begin(back, scene, { ...opts, css: false });
    const items = scene.items;
    let i = 0;
    const step = () => {
      if (cancelled) return;
      const t0 = performance.now();
      while (i < items.length) {
        item(ctx, items[i++]);
        // Check the clock every few items (a path of many points counts as more).
        if ((i & 7) === 0 && performance.now() - t0 > SLICE_MS) break;
      }
      if (i < items.length) { later(step); return; }
      jobs.delete(canvas);
      const out = begin(canvas, scene, opts);
      out.setTransform(1, 0, 0, 1, 0, 0);
      if (opts.clear) out.clearRect(0, 0, canvas.width, canvas.height);
      out.drawImage(back, 0, 0);
      canvas.scene = scene;
      resolve(true);
    };
    later(step);
  });
  prev?.cancel(done);
  return done;
}

/** The scene as a PNG blob at its size × `scale`, painted on an OffscreenCanvas (also in a
 * worker: the paper pages' thumbnails). */
export async function pngBlob(scene, scale = 1) {
  const c = new OffscreenCanvas(1, 1);
  paint(c, scene, { scale: scale / (globalThis.devicePixelRatio || 1), css: false });
  return c.convertToBlob({ type: 'image/png' });
}

/** The scene as a PNG data URL at twice its size, at once (a download keeps the click's gesture). */
export function pngDataUrl(scene) {
  const c = document.createElement('canvas');
  const dpr = window.devicePixelRatio || 1;
  paint(c, scene, { scale: 2 / dpr, css: false });
  return c.toDataURL('image/png');
}

function inside(h, x, y) { return x >= h.x && x <= h.x + h.w && y >= h.y && y <= h.y + h.h; }

function hitAt(scene, x, y) {
  const hits = scene?.hits || [];
  for (let i = hits.length - 1; i >= 0; i--) if (hits[i].t !== 'readout' && inside(hits[i], x, y)) return hits[i];
  return null;
}

const num = (v) => (Number.isFinite(v) ? String(Number(v.toPrecision(4))) : '—');

/** What a readout region says at (x, y): the point, and each layer at the nearest grid point. */
function readout(scene, x, y) {
  const r = (scene?.hits || []).find((h) => h.t === 'readout' && inside(h, x, y));
  if (!r) return '';
  const [l, rt, t, b] = r.grid;
  const c = Math.round(((x - l) / (rt - l)) * (r.cols - 1));
  const k = Math.round(((y - t) / (b - t)) * (r.rows - 1));
  const at = `(${dataAt(r.xmap, x)}, ${dataAt(r.ymap, y)})`;
  if (c < 0 || k < 0 || c >= r.cols || k >= r.rows) return at;
  return `${at}: ${r.names.map((n, j) => `${n} = ${num(r.values[j][k * r.cols + c])}`).join(', ')}`;
}

function cellIndex(h, x, y) {
  const c = Math.min(h.cols - 1, Math.floor(((x - h.x) / h.w) * h.cols));
  const r = Math.min(h.rows - 1, Math.floor(((y - h.y) / h.h) * h.rows));
  return r * h.cols + c;
}

function round(v, digits) { return Number(v.toPrecision(Math.max(1, digits || 4))); }

function dataAt(map, p) {
  const t = map.lo + ((p - map.p0) / (map.p1 - map.p0)) * (map.hi - map.lo);
  return round(map.log ? 10 ** t : t, map.digits);
}

/**
 * Route pointer input on `canvas` (whose `scene` property is the painted scene) to
 * `onAction(action)`: {t:'set', values}, {t:'toggle', key, index}, {t:'toggles', key, indices},
 * {t:'ui', key, value}, {t:'append', key, x, y}, {t:'stroke', key, pts},
 * {t:'paints', key, token, n, cols, indices}; and what a readout region says under the
 * pointer to `onHover(text)` ('' elsewhere).
 */
export function attach(canvas, onAction, onHover = () => {}) {
  let drag = null;
  const pos = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  canvas.addEventListener('pointerleave', () => onHover(''));
  canvas.addEventListener('pointermove', (e) => {
    const [x, y] = pos(e);
    onHover(readout(canvas.scene, x, y));
    const h = hitAt(canvas.scene, x, y);
    canvas.style.cursor = h ? (h.t === 'plane' ? 'crosshair' : 'pointer') : '';
    canvas.title = (h?.t === 'cells' ? h.titles?.[cellIndex(h, x, y)] : h?.title) || '';
    if (!drag) return;
    if (drag.kind === 'paint' && drag.hit && inside(drag.hit, x, y)) {
      const i = cellIndex(drag.hit, x, y);
      const a = drag.hit.actions[i];
      if (a && a.t === drag.first.t && !drag.cells.has(i)) drag.cells.add(i);
    } else if (drag.kind === 'stroke') {
      const last = drag.px[drag.px.length - 1];
      if (!last || Math.hypot(x - last[0], y - last[1]) >= 4) drag.px.push([x, y]);
    } else if (drag.kind === 'set' && drag.hit.mode.drag && performance.now() - drag.sent > 120) {
      drag.sent = performance.now();
      emitSet(drag.hit, x, y);
    }
  });
  const emitSet = (h, x, y) => onAction({ t: 'set', values: [[h.mode.x_key, String(dataAt(h.xmap, x))], [h.mode.y_key, String(dataAt(h.ymap, y))]] });
  canvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    const [x, y] = pos(e);
    const h = hitAt(canvas.scene, x, y);
    if (!h) return;
    if (h.t === 'cells') {
      const i = cellIndex(h, x, y);
      const a = (e.shiftKey && h.shift?.length ? h.shift : h.actions)[i];
      if (h.paint && a && (a.t === 'toggle' || a.t === 'paint')) {
        drag = { kind: 'paint', hit: h, cells: new Set([i]), first: a };
        canvas.setPointerCapture?.(e.pointerId);
      } else if (a) onAction(a);
    } else if (h.t === 'area') onAction(h.action);
    else if (h.t === 'plane') {
      const m = h.mode;
      if (m.t === 'append') onAction({ t: 'append', key: m.key, x: dataAt(h.xmap, x), y: dataAt(h.ymap, y) });
      else if (m.t === 'stroke') { drag = { kind: 'stroke', hit: h, px: [[x, y]] }; canvas.setPointerCapture?.(e.pointerId); }
      else { drag = { kind: 'set', hit: h, sent: performance.now() }; canvas.setPointerCapture?.(e.pointerId); emitSet(h, x, y); }
    }
    e.preventDefault();
  });
  const end = (e) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (d.kind === 'paint') {
      const a = d.first;
      if (a.t === 'paint') onAction({ t: 'paints', key: a.key, token: a.token, n: a.n, cols: a.cols, indices: [...d.cells] });
      else onAction({ t: 'toggles', key: a.key, indices: [...d.cells] });
    }
    else if (d.kind === 'stroke') {
      const h = d.hit;
      const pts = [];
      for (const [x, y] of d.px) pts.push(dataAt(h.xmap, x), dataAt(h.ymap, y));
      if (pts.length >= 4) onAction({ t: 'stroke', key: h.mode.key, pts });
    } else if (d.kind === 'set' && e.type === 'pointerup' && d.hit.mode.drag) {
      const [x, y] = pos(e);
      emitSet(d.hit, x, y);
    }
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
}
