// Canvas drawing. The numbers (ticks, heatmap pixels) come from the wasm core;
// this file only puts them on screen.

let hp = null;
export function setBindings(bindings) { hp = bindings; }

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Size the canvas's backing store to its CSS box × devicePixelRatio; returns a context in CSS pixels. */
export function prepare(canvas, cssHeight) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(10, canvas.clientWidth || canvas.parentElement?.clientWidth || 300);
  const h = cssHeight ?? Math.max(10, canvas.clientHeight || 200);
  canvas.style.height = `${h}px`;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

export function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

function extent(arrays, pad = 0) {
  let lo = Infinity, hi = -Infinity;
  for (const a of arrays) for (const v of a) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) { lo -= 0.5; hi += 0.5; }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/**
 * A line chart with axes, ticks, labels, legend, reference lines and a cursor.
 * opts: {series: [{x, y, color, label, dash, points, width}], xlabel, ylabel,
 *        xlim: [lo, hi], ylim: [lo, hi], vlines: [{x, label, color}], cursor: x, title}
 */
export function lineChart(canvas, opts) {
  // Log axes: plot log10 of the values (non-positive values are dropped) with decade ticks.
  if (opts.xlog || opts.ylog) {
    const lg = (on) => (v) => (on ? (v > 0 ? Math.log10(v) : NaN) : v);
    const lx = lg(opts.xlog), ly = lg(opts.ylog);
    const lim = (l, f) => (l ? l.map(f) : undefined);
    return lineChart(canvas, {
      ...opts, xlog: false, ylog: false, logAxes: { x: !!opts.xlog, y: !!opts.ylog },
      series: (opts.series || []).map((s) => ({ ...s, x: s.x.map(lx), y: s.y.map(ly) })),
      xlim: lim(opts.xlim, lx), ylim: lim(opts.ylim, ly),
      vlines: (opts.vlines || []).map((v) => ({ ...v, x: lx(v.x) })),
      hlines: (opts.hlines || []).map((v) => ({ ...v, y: ly(v.y) })),
      cursor: opts.cursor === undefined || opts.cursor === null ? opts.cursor : lx(opts.cursor),
    });
  }
  const logAxes = opts.logAxes || { x: false, y: false };
  const { ctx, w, h } = prepare(canvas, opts.height ?? 220);
  const m = { l: 56, r: 12, t: 14, b: 40 };
  const series = (opts.series || []).filter((s) => s.x.length > 0);
  const [x0, x1] = opts.xlim ?? extent(series.map((s) => s.x));
  const [y0, y1] = opts.ylim ?? extent(series.map((s) => s.y), 0.05);
  const ticks = (lo, hi, target, log) => {
    if (!log) return Array.from(hp.nice_ticks(lo, hi, target), (t) => [t, fmt(t)]);
    // Decades when the range spans several, else nice ticks of the exponent.
    const step = Math.max(1, Math.ceil((hi - lo) / target));
    const out = [];
    if (hi - lo >= 2) for (let k = Math.ceil(lo); k <= hi; k += step) out.push([k, fmt(10 ** k)]);
    else for (const t of hp.nice_ticks(lo, hi, target)) out.push([t, fmt(Number((10 ** t).toPrecision(3)))]);
    return out;
  };
  const X = (v) => m.l + ((v - x0) / (x1 - x0 || 1)) * (w - m.l - m.r);
  const Y = (v) => h - m.b - ((v - y0) / (y1 - y0 || 1)) * (h - m.t - m.b);
  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = '#ccc';
  ctx.fillStyle = '#444';
  ctx.lineWidth = 1;
  // grid + ticks
  ctx.textAlign = 'center'; ctx.textBaseline = 'top';
  for (const [t, label] of ticks(x0, x1, Math.max(2, Math.floor((w - m.l) / 80)), logAxes.x)) {
    const x = X(t);
    ctx.strokeStyle = '#eee'; ctx.beginPath(); ctx.moveTo(x, m.t); ctx.lineTo(x, h - m.b); ctx.stroke();
    ctx.fillText(label, x, h - m.b + 4);
  }
  ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
  for (const [t, label] of ticks(y0, y1, Math.max(2, Math.floor((h - m.t - m.b) / 40)), logAxes.y)) {
    const y = Y(t);
    ctx.strokeStyle = '#eee'; ctx.beginPath(); ctx.moveTo(m.l, y); ctx.lineTo(w - m.r, y); ctx.stroke();
    ctx.fillText(label, m.l - 5, y);
  }
  ctx.strokeStyle = '#888';
  ctx.strokeRect(m.l, m.t, w - m.l - m.r, h - m.t - m.b);
  // axis labels
  ctx.fillStyle = '#222'; ctx.textAlign = 'center'; ctx.textBaseline = 'bottom';
  if (opts.xlabel) ctx.fillText(opts.xlabel, m.l + (w - m.l - m.r) / 2, h - 2);
  if (opts.ylabel) {
    ctx.save(); ctx.translate(12, m.t + (h - m.t - m.b) / 2); ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle'; ctx.fillText(opts.ylabel, 0, 0); ctx.restore();
  }
  ctx.save();
  ctx.beginPath(); ctx.rect(m.l, m.t, w - m.l - m.r, h - m.t - m.b); ctx.clip();
  for (const v of opts.hlines || []) {
    if (!Number.isFinite(v.y)) continue;
    ctx.strokeStyle = v.color || '#999'; ctx.setLineDash([5, 4]); ctx.lineWidth = 1.2;
    ctx.beginPath(); ctx.moveTo(m.l, Y(v.y)); ctx.lineTo(w - m.r, Y(v.y)); ctx.stroke();
    ctx.setLineDash([]);
    if (v.label) { ctx.fillStyle = v.color || '#666'; ctx.textAlign = 'left'; ctx.textBaseline = 'bottom'; ctx.fillText(v.label, m.l + 4, Y(v.y) - 2); }
  }
  for (const v of opts.vlines || []) {
    ctx.strokeStyle = v.color || '#999'; ctx.setLineDash([5, 4]); ctx.lineWidth = 1.2;
    ctx.beginPath(); ctx.moveTo(X(v.x), m.t); ctx.lineTo(X(v.x), h - m.b); ctx.stroke();
    ctx.setLineDash([]);
    if (v.label) { ctx.fillStyle = v.color || '#666'; ctx.textAlign = 'left'; ctx.textBaseline = 'top'; ctx.fillText(v.label, X(v.x) + 3, m.t + 2 + (v.row || 0) * 13); }
  }
  series.forEach((s, k) => {
    const color = s.color || COLORS[k % COLORS.length];
    ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = s.width || 1.8;
    ctx.setLineDash(s.dash || []);
    if (!s.pointsOnly) {
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < s.x.length; i++) {
        if (!Number.isFinite(s.y[i])) { pen = false; continue; }
        const px = X(s.x[i]), py = Y(s.y[i]);
        if (pen) ctx.lineTo(px, py); else { ctx.moveTo(px, py); pen = true; }
      }
      ctx.stroke();
    }
    ctx.setLineDash([]);
    if (s.points) for (let i = 0; i < s.x.length; i++) if (Number.isFinite(s.y[i])) { ctx.beginPath(); ctx.arc(X(s.x[i]), Y(s.y[i]), 2.6, 0, 7); ctx.fill(); }
  });
  if (opts.cursor !== undefined && opts.cursor !== null) {
    ctx.strokeStyle = 'rgba(0,0,0,0.55)'; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(X(opts.cursor), m.t); ctx.lineTo(X(opts.cursor), h - m.b); ctx.stroke();
  }
  ctx.restore();
  // legend
  const labelled = series.filter((s) => s.label);
  ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
  const lw = Math.max(0, ...labelled.map((s) => ctx.measureText(s.label).width)) + 22;
  const bottom = opts.legend === 'bottom-left';
  const left = bottom || opts.legend === 'top-left';
  let ly = bottom ? h - m.b - 10 - 15 * (labelled.length - 1) : m.t + 10;
  const lx = left ? m.l + 8 : w - m.r - 8 - lw;
  for (const s of labelled) {
    const color = s.color || COLORS[series.indexOf(s) % COLORS.length];
    ctx.fillStyle = 'rgba(255,255,255,0.85)'; ctx.fillRect(lx - 4, ly - 7, lw + 8, 14);
    ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.setLineDash(s.dash || []);
    ctx.beginPath(); ctx.moveTo(lx, ly); ctx.lineTo(lx + 16, ly); ctx.stroke(); ctx.setLineDash([]);
    ctx.fillStyle = '#222'; ctx.fillText(s.label, lx + 20, ly);
    ly += 15;
  }
  return { X, Y, m, w, h };
}

/**
 * A field over a rectangle of the plane, with axes in data coordinates: a heatmap image,
 * an optional 0/1 mask drawn as a translucent wash, line segments (level sets),
 * polylines (trajectories, streamlines) and point markers (fixed points).
 * opts: {extent: [xmin, xmax, ymin, ymax], size,
 *        image: {values, rows, cols, lo, hi, cmap, transform}  (row 0 = top, i.e. y = ymax),
 *        mask: {values, rows, cols, rgba: [r, g, b, a]},
 *        segments: [{data: [x1, y1, x2, y2, …], color, width}],
 *        polylines: [{data: [x0, y0, x1, y1, …], color, width, dash}],
 *        markers: [{x, y, kind: 'filled'|'hollow'|'half'|'square'|'dot', color, size}],
 *        xlabel, ylabel, bare}
 * `bare` draws only the data layers (no frame, ticks or labels): for an overlay canvas
 * stacked on another planeMap of the same size and extent.
 * Returns {X, Y, fromPixel(px, py) -> [x, y], rect: {l, t, w, h}} in CSS pixels.
 */
export function planeMap(canvas, opts) {
  const size = opts.size ?? Math.min(canvas.clientWidth || 420, 520);
  const m = { l: 44, r: 10, t: 8, b: 34 };
  canvas.style.width = `${size}px`;
  const { ctx, w, h } = prepare(canvas, size);
  const [x0, x1, y0, y1] = opts.extent;
  const pw = w - m.l - m.r, ph = h - m.t - m.b;
  const X = (v) => m.l + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v) => m.t + ((y1 - v) / (y1 - y0)) * ph;
  const grid = (g, rgba) => {
    const off = document.createElement('canvas');
    off.width = g.cols; off.height = g.rows;
    off.getContext('2d').putImageData(new ImageData(rgba, g.cols, g.rows), 0, 0);
    // Grid points sit on the edges of the window: stretch by half a cell on each side.
    const cw = pw / (g.cols - 1), ch = ph / (g.rows - 1);
    ctx.drawImage(off, m.l - cw / 2, m.t - ch / 2, pw + cw, ph + ch);
  };
  ctx.save();
  ctx.beginPath(); ctx.rect(m.l, m.t, pw, ph); ctx.clip();
  ctx.imageSmoothingEnabled = false;
  if (opts.image) {
    const im = opts.image;
    const tf = im.transform || ((v) => v);
    const vals = Float64Array.from(im.values, (v) => (v === null ? NaN : tf(v)));
    const rgba = hp.heatmap_rgba(vals, tf(im.lo), tf(im.hi), im.cmap || 'viridis');
    grid(im, new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength));
  }
  if (opts.mask) {
    const mk = opts.mask;
    const rgba = new Uint8ClampedArray(mk.rows * mk.cols * 4);
    const [r, g, b, a] = mk.rgba || [255, 255, 255, 110];
    for (let i = 0; i < mk.values.length; i++) if (mk.values[i]) { rgba[4 * i] = r; rgba[4 * i + 1] = g; rgba[4 * i + 2] = b; rgba[4 * i + 3] = a; }
    grid(mk, rgba);
  }
  ctx.imageSmoothingEnabled = true;
  for (const s of opts.segments || []) {
    ctx.strokeStyle = s.color || 'rgba(0,0,0,0.45)'; ctx.lineWidth = s.width || 0.8;
    ctx.beginPath();
    const d = s.data;
    for (let i = 0; i + 3 < d.length; i += 4) { ctx.moveTo(X(d[i]), Y(d[i + 1])); ctx.lineTo(X(d[i + 2]), Y(d[i + 3])); }
    ctx.stroke();
  }
  for (const p of opts.polylines || []) {
    const d = p.data;
    if (d.length < 4) continue;
    ctx.strokeStyle = p.color || '#000'; ctx.lineWidth = p.width || 1.5; ctx.setLineDash(p.dash || []);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i + 1 < d.length; i += 2) {
      if (!Number.isFinite(d[i]) || !Number.isFinite(d[i + 1])) { pen = false; continue; }
      if (pen) ctx.lineTo(X(d[i]), Y(d[i + 1])); else { ctx.moveTo(X(d[i]), Y(d[i + 1])); pen = true; }
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const k of opts.markers || []) {
    const px = X(k.x), py = Y(k.y), r = k.size || 6;
    ctx.lineWidth = 2; ctx.strokeStyle = '#111'; ctx.fillStyle = k.color || '#fff';
    ctx.beginPath();
    if (k.kind === 'square') ctx.rect(px - r, py - r, 2 * r, 2 * r); else ctx.arc(px, py, r, 0, 2 * Math.PI);
    if (k.kind === 'filled' || k.kind === 'square' || k.kind === 'dot') ctx.fill();
    if (k.kind === 'half') { ctx.save(); ctx.clip(); ctx.fillRect(px - r, py, 2 * r, r); ctx.restore(); }
    if (k.kind !== 'dot') ctx.stroke();
  }
  ctx.restore();
  const fromPixel = (px, py) => [x0 + ((px - m.l) / pw) * (x1 - x0), y1 - ((py - m.t) / ph) * (y1 - y0)];
  if (opts.bare) return { X, Y, fromPixel, rect: { l: m.l, t: m.t, w: pw, h: ph } };
  ctx.strokeStyle = '#888'; ctx.lineWidth = 1;
  ctx.strokeRect(m.l, m.t, pw, ph);
  ctx.font = '11px system-ui, sans-serif'; ctx.fillStyle = '#444';
  ctx.textAlign = 'center'; ctx.textBaseline = 'top';
  for (const t of hp.nice_ticks(x0, x1, Math.max(2, Math.floor(pw / 70)))) ctx.fillText(fmt(t), X(t), h - m.b + 4);
  ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
  for (const t of hp.nice_ticks(y0, y1, Math.max(2, Math.floor(ph / 50)))) ctx.fillText(fmt(t), m.l - 4, Y(t));
  ctx.fillStyle = '#222'; ctx.textAlign = 'center'; ctx.textBaseline = 'bottom';
  if (opts.xlabel) ctx.fillText(opts.xlabel, m.l + pw / 2, h - 2);
  if (opts.ylabel) { ctx.save(); ctx.translate(11, m.t + ph / 2); ctx.rotate(-Math.PI / 2); ctx.textBaseline = 'middle'; ctx.fillText(opts.ylabel, 0, 0); ctx.restore(); }
  return { X, Y, fromPixel, rect: { l: m.l, t: m.t, w: pw, h: ph } };
}
