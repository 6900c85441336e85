// The generic lab view: one panel per figure the lab declares in Rust. The wasm core builds
// and lays out each figure (LabView.render); this file only places panels, paints scenes,
// routes clicks to the link, and offers each figure as SVG, PNG, CSV and JSON. A figure
// may hold live regions (Mark::Live { kind }): the module of that kind draws them on its
// own canvas above the plot, in its own loop, fed from Rust.

import { paintSliced, attach, pngDataUrl, fontReady } from './paint.js';
import particles from './live/particles.js';
import { parseCsv } from './csv.js';
import { Figures } from './figures.js';

/** Live layers by kind: `create({wrap, bar, hp, el, backend, query})` returns
 * `{place(region), hide(), query(q), preview(q), destroy()}`. */
const LIVE = { particles };

function download(name, data, type) {
  // Synchronously, within the click that asked for it: a download started later (after a
  // promise) counts as automatic, and browsers throttle those.
  const url = type === 'url' ? data : URL.createObjectURL(data instanceof Blob ? data : new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a); a.click(); a.remove();
  if (type !== 'url') setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function mountLab(root, lab, query, ctx) {
  const { hp, el } = ctx;
  const lv = new hp.LabView(query);
  // Results are read and figures laid out in a worker; `lv` (after figs.sync()) serves downloads.
  // The figures' canvases are painted by that worker where the browser allows (see
  // Figures.adopt); if the worker fails, `lost` gives those figures new canvases painted here.
  const figs = new Figures(lv, query, (names) => {
    for (const name of names) {
      const p = panels.get(name);
      if (!p || destroyed) continue;
      const fresh = figureCanvas(p.def, p.readout);
      fresh.setAttribute('aria-label', p.canvas.getAttribute('aria-label') || p.def.title);
      p.canvas.replaceWith(fresh);
      p.canvas = fresh;
      schedule(name);
    }
  });
  const panels = new Map(); // figure name -> {def, section, canvas, readout, caption, controls, error, sig}
  const timers = new Map();
  let players = new Map(); // ui key -> interval
  let destroyed = false;
  let current = query;
  const drags = new Map(); // parameter key -> show(value text) of its dragged number

  // A visitor's own file: read here, turned into link keys by the core, never uploaded.
  // Images other than PNG (JPEG, GIF, WebP, …) are decoded by the browser and handed to the
  // core as PNG, the one image format it reads.
  const file = el('input', { type: 'file', accept: '.csv,.txt,text/csv,image/*', hidden: true, 'aria-label': 'Load your own data' });
  const asPng = async (f) => {
    const bitmap = await createImageBitmap(f).catch(() => { throw new Error('this browser could not decode the image'); });
    // Never more pixels than the core reads (4096²): a huge photo is scaled down here.
    const scale = Math.min(1, Math.sqrt((4096 * 4096) / (bitmap.width * bitmap.height)));
    const w = Math.max(1, Math.floor(bitmap.width * scale)), h = Math.max(1, Math.floor(bitmap.height * scale));
    const canvas = new OffscreenCanvas(w, h);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, w, h);
    bitmap.close();
    return new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  };
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    try {
      let bytes = new Uint8Array(await f.arrayBuffer());
      const png = bytes.length > 4 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
      if (!png && f.type.startsWith('image/')) bytes = await asPng(f);
      const r = hp.import_file(ctx.query(), f.name, bytes);
      if (r.keep) ctx.setUserFile(f.name, bytes);
      ctx.setQuery(r.query);
      if (r.keep) ctx.notify(`${f.name} stays on this machine: a link to this view needs the file too.`);
    } catch (err) { ctx.notify(`${f.name}: ${err.message}`); }
    file.value = '';
  });
  const loader = lab.import ? [file, el('button', { class: 'load-data', title: 'Use your own data: a CSV file or an image, read on this machine, never uploaded', onclick: () => file.click() }, 'Load data…')] : [];
  const presets = lab.presets?.length || lab.import
    ? el('div', { class: 'presets', role: 'group', 'aria-label': 'Presets' }, el('span', { class: 'label' }, 'Presets:'),
      (lab.presets || []).map((p) => el('button', {
        'data-preset': p.name,
        title: [p.note, p.reproduces ? `Reproduces ${p.reproduces}.` : ''].filter(Boolean).join(' '),
        onclick: () => ctx.applyPreset(p.name),
      }, p.label)), loader)
    : null;
  const grid = el('div', { class: 'figures' });
  /** A figure's canvas, its pointer input routed to the lab and its readout to `readout`. */
  function figureCanvas(def, readout) {
    const canvas = el('canvas', { class: 'figure', role: 'img', 'aria-label': def.title });
    attach(canvas, act, (text) => { readout.textContent = text; });
    return canvas;
  }
  for (const def of lab.figures) {
    const readout = el('div', { class: 'readout hint', 'aria-live': 'off' });
    const canvas = figureCanvas(def, readout);
    const section = el('section', { class: 'panel figure-panel', 'data-figure': def.name },
      el('header', {}, el('h3', {}, def.title),
        el('span', { class: 'downloads' },
          ['svg', 'png', 'csv', 'json'].map((f) => el('button', {
            class: 'dl', title: `Download this figure as ${f.toUpperCase()}`, 'data-format': f,
            onclick: () => exportFigure(def.name, f),
          }, f.toUpperCase())))),
      el('div', { class: 'panel-error', hidden: true }),
      el('div', { class: 'figure-controls' }),
      el('div', { class: 'live-bar' }),
      el('div', { class: 'figure-wrap' }, canvas),
      readout,
      el('div', { class: 'caption' }),
      // The figure's text alternative: its data (the CSV export) as a table, built when opened.
      el('details', { class: 'data-table' }, el('summary', {}, 'Data table')));
    const details = section.querySelector('details.data-table');
    details.addEventListener('toggle', () => { if (details.open) fillTable(def.name); });
    // Painted by the figures' worker where the browser allows (pointer input stays here).
    figs.adopt(def.name, canvas);
    panels.set(def.name, {
      def, section, canvas, readout,
      caption: section.querySelector('.caption'),
      controls: section.querySelector('.figure-controls'),
      error: section.querySelector('.panel-error'),
      bar: section.querySelector('.live-bar'),
      live: new Map(), // kind -> live layer
      sig: '',
    });
    grid.append(section);
  }
  // The About panel (below the figures; the longest text of the page) is built by `more()`,
  // which the page's start calls in a later task of its own.
  let about = null;
  let aboutNear = null; // the observer that fills the About panel when it is scrolled near
  root.replaceChildren(...[presets, grid].filter(Boolean));

  const TABLE_ROWS = 500;
  /** Fill figure `name`'s open data table from its CSV (the first TABLE_ROWS rows). */
  function fillTable(name) {
    const p = panels.get(name);
    const details = p?.section.querySelector('details.data-table');
    if (!details?.open) return;
    let rows;
    try { rows = parseCsv(figs.sync().csv(name)); } catch (err) {
      details.replaceChildren(details.querySelector('summary'), el('p', { class: 'hint' }, `No data yet (${err.message}).`));
      return;
    }
    const [head = [], ...body] = rows;
    const shown = body.slice(0, TABLE_ROWS);
    const table = el('table', {},
      el('caption', {}, `${p.def.title}: ${body.length} row${body.length === 1 ? '' : 's'}${body.length > shown.length ? `, the first ${shown.length} shown (the CSV download has all)` : ''}`),
      el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, shown.map((r) => el('tr', {}, r.map((v) => el('td', {}, v))))));
    details.replaceChildren(details.querySelector('summary'), el('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': `${p.def.title} data` }, table));
  }

  function exportFigure(name, format) {
    const base = `hopfield-${lab.id}-${name}`;
    try {
      figs.sync();
      if (format === 'svg') download(`${base}.svg`, lv.svg(name), 'image/svg+xml');
      else if (format === 'csv') download(`${base}.csv`, lv.csv(name), 'text/csv');
      else if (format === 'json') download(`${base}.json`, lv.figure_json(name), 'application/json');
      else if (format === 'png') download(`${base}.png`, pngDataUrl(lv.render(name, 720).scene), 'url');
    } catch (err) { ctx.notify(`Export failed: ${err.message}`); }
  }

  function act(a) {
    const list = (k) => (ctx.get(k) || '').split(',').filter((s) => s !== '');
    if (a.t === 'set') ctx.setMany(Object.fromEntries(a.values), { deliberate: true });
    else if (a.t === 'toggle' || a.t === 'toggles') {
      const cur = list(a.key).map(Number);
      for (const i of a.t === 'toggle' ? [a.index] : a.indices) {
        const k = cur.indexOf(i);
        if (k >= 0) cur.splice(k, 1); else cur.push(i);
      }
      ctx.setMany({ [a.key]: cur.join(',') });
    } else if (a.t === 'ui') setUi(a.key, a.value);
    else if (a.t === 'append') ctx.setMany({ [a.key]: [...list(a.key), a.x, a.y].join(',') });
    else if (a.t === 'stroke') ctx.setMany({ [a.key]: a.pts.join(',') });
    else if (a.t === 'paints' || a.t === 'paint') {
      try {
        ctx.setMany({ [a.key]: lv.paint(a.key, a.token, a.n, a.cols, Uint32Array.from(a.indices ?? [a.index])) });
      } catch (err) { ctx.notify(err.message); }
    }
  }

  function setUi(key, value) {
    figs.call('set_ui', key, value);
    renderWhere((d) => d.ui.includes(key));
  }

  function controlsFor(p, fig) {
    const sig = JSON.stringify(fig.controls.map((c) => (c.t === 'player' ? [c.t, c.key, c.frames] : c)));
    if (sig === p.sig) return;
    p.sig = sig;
    // What a visitor has typed into an append box (and its focus) survives the rebuild (a
    // drawn pattern, say, adds buttons while letters are being typed).
    const typed = new Map([...p.controls.querySelectorAll('.append input')].map((i) => [i.dataset.append, { value: i.value, focused: document.activeElement === i }]));
    const kids = [];
    for (const c of fig.controls) {
      if (c.t === 'player') kids.push(player(c));
      else if (c.t === 'params') kids.push(el('div', { class: 'inline-params' }, c.keys.map((k) => ctx.controlFor(k)).filter(Boolean)));
      else if (c.t === 'buttons') kids.push(el('div', { class: 'buttons' }, c.buttons.map((b) => el('button', { title: b.title, onclick: () => act(b.action) }, b.label))));
      else if (c.t === 'append') {
        // Each typed character becomes one token of the list (e.g. letters drawn into patterns).
        const input = el('input', { type: 'text', size: 12, 'aria-label': c.label, placeholder: c.label, 'data-append': c.key });
        const was = typed.get(c.key);
        if (was) input.value = was.value;
        const add = () => {
          const chars = [...input.value.toUpperCase()].filter((ch) => c.allowed.includes(ch));
          if (!chars.length) return;
          const cur = (ctx.get(c.key) || '').split('.').filter(Boolean);
          ctx.setMany({ [c.key]: [...cur, ...chars].join('.') }, { deliberate: true });
          input.value = '';
        };
        input.addEventListener('keydown', (e) => { if (e.key === 'Enter') add(); });
        kids.push(el('div', { class: 'append' }, input, el('button', { onclick: add }, 'Add')));
      }
      else if (c.t === 'drag') kids.push(dragNumbers(c));
    }
    p.controls.replaceChildren(...kids);
    for (const i of p.controls.querySelectorAll('.append input')) if (typed.get(i.dataset.append)?.focused) i.focus();
  }

  function player(c) {
    const last = Math.max(0, c.frames - 1);
    const slider = el('input', { type: 'range', min: 0, max: last, value: last, 'aria-label': c.label });
    const play = el('button', { 'data-role': 'play' }, '▶ Play');
    const stop = () => { clearInterval(players.get(c.key)); players.delete(c.key); play.textContent = '▶ Play'; };
    const go = (f) => { slider.value = String(f); setUi(c.key, f); };
    play.addEventListener('click', () => {
      if (players.has(c.key)) { stop(); return; }
      let f = Number(slider.value) >= last ? 0 : Number(slider.value);
      go(f);
      play.textContent = '❚❚ Pause';
      players.set(c.key, setInterval(() => { if (f >= last) { stop(); return; } go(++f); }, 450));
    });
    slider.addEventListener('input', () => { stop(); go(Number(slider.value)); });
    return el('div', { class: 'player' }, play,
      el('button', { 'data-role': 'step', onclick: () => { stop(); go(Math.min(last, Number(slider.value) + 1)); } }, 'Step'),
      el('button', { 'data-role': 'reset', onclick: () => { stop(); go(0); } }, '⟲ Reset'),
      slider, el('span', { class: 'hint' }, c.label));
  }

  // Numbers dragged sideways: live layers follow at once, the link changes on release.
  function dragNumbers(c) {
    const parts = c.template.split(/\{(\w+)\}/).map((s, i) => (i % 2 ? scrub(s) : s));
    return el('div', { class: 'drag-numbers' }, el('span', {}, parts), el('span', { class: 'hint' }, c.hint));
  }

  function scrub(key) {
    const s = el('span', { class: 'scrub', 'data-key': key, tabindex: 0, role: 'slider', 'aria-label': key, title: `drag sideways to change ${key}; release to apply (or the arrow keys)` });
    const show = (v) => { s.dataset.value = String(v); s.textContent = String(v); s.setAttribute('aria-valuenow', String(v)); };
    drags.set(key, show);
    show(ctx.get(key));
    let drag = null;
    s.addEventListener('pointerdown', (e) => {
      s.setPointerCapture(e.pointerId);
      const v0 = Number(s.dataset.value);
      drag = { x: e.clientX, v0, step: 0.01 * Math.max(1, Math.abs(v0)), moved: false };
    });
    s.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const v = Math.round((drag.v0 + (e.clientX - drag.x) * drag.step) * 1000) / 1000;
      drag.moved = true;
      show(v);
      const q = new URLSearchParams(current);
      q.set(key, String(v));
      for (const p of panels.values()) for (const l of p.live.values()) l.preview(q.toString());
    });
    const end = () => { if (drag?.moved) ctx.setMany({ [key]: s.dataset.value }); drag = null; };
    s.addEventListener('pointerup', end);
    s.addEventListener('pointercancel', end);
    // The keys of a slider: up or right raises the value, down or left lowers it.
    const KEYS = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1 };
    s.addEventListener('keydown', (e) => {
      if (!KEYS[e.key]) return;
      e.preventDefault();
      const v = Number(s.dataset.value);
      ctx.setMany({ [key]: String(Math.round((v + KEYS[e.key] * 0.1 * Math.max(1, Math.abs(v))) * 1000) / 1000) });
    });
    return s;
  }

  // Live regions of a painted scene: each kind's layer goes over its region (in the wrap's pixels).
  function placeLive(p, scene) {
    p.liveScene = scene;
    // A layer made now (its wasm state built) is placed in a task of its own, after this one.
    let made = false;
    for (const r of scene.live || []) {
      const mod = LIVE[r.kind];
      if (!mod || p.live.has(r.kind)) continue;
      p.live.set(r.kind, mod.create({ wrap: p.section.querySelector('.figure-wrap'), bar: p.bar, hp: ctx.hp, el: ctx.el, backend: ctx.backend, query: current }));
      made = true;
    }
    if (made) {
      setTimeout(() => { if (!destroyed && p.liveScene === scene) placeLive(p, scene); }, 0);
      return;
    }
    const seen = new Set();
    for (const r of scene.live || []) {
      if (!LIVE[r.kind]) continue;
      seen.add(r.kind);
      p.live.get(r.kind).place({ ...r, x: r.x + p.canvas.offsetLeft, y: r.y + p.canvas.offsetTop });
    }
    for (const [kind, l] of p.live) if (!seen.has(kind)) l.hide();
    // What the plot draws after a live region goes on a transparent canvas above the live layers.
    const above = (scene.live || []).filter((r) => LIVE[r.kind]).flatMap((r) => r.above || []);
    if (above.length && !p.above) {
      p.above = el('canvas', { class: 'live-above' });
      p.section.querySelector('.figure-wrap').append(p.above);
    }
    if (p.above) {
      Object.assign(p.above.style, { left: `${p.canvas.offsetLeft}px`, top: `${p.canvas.offsetTop}px` });
      paintSliced(p.above, { width: scene.width, height: scene.height, items: above }, { clear: true });
    }
  }

  /**
   * Lay out figure `name` (in the figures' worker) and paint it (in slices); resolves once it
   * is shown. One layout per figure at a time: asked again meanwhile, it lays out once more
   * when the one in flight is shown (and resolves after that).
   */
  function render(name) {
    const p = panels.get(name);
    if (!p || destroyed) return Promise.resolve();
    if (p.inflight) { p.again = true; return p.inflight; }
    p.inflight = (async () => {
      do { p.again = false; await renderOnce(name, p); } while (p.again && !destroyed);
    })().finally(() => { p.inflight = null; });
    return p.inflight;
  }

  async function renderOnce(name, p) {
    const width = Math.max(200, p.section.querySelector('.figure-wrap').clientWidth || 600);
    const ticket = (p.ticket = (p.ticket || 0) + 1);
    let fig;
    let painted;
    try {
      // Laid out, and painted by the figures' worker where it holds the canvas. If it does not
      // (or failed meanwhile), the figure is painted below, here. A painted canvas takes the
      // scene's CSS size in the task that hears of the picture.
      fig = await figs.show(name, width);
      painted = figs.paints(name);
      if (painted && !destroyed) Object.assign(p.canvas.style, { width: `${fig.scene.width}px`, height: `${fig.scene.height}px` });
    } catch (err) {
      if (destroyed || ticket !== p.ticket) return;
      p.error.textContent = `This figure could not be drawn: ${err.message}`;
      p.error.hidden = false;
      return;
    }
    // Reading the figure (its message) was a task; what follows (live layers, captions,
    // controls, the data table, the first slice of painting) is another.
    await new Promise((resolve) => setTimeout(resolve, 0));
    // A newer layout of this figure was asked for meanwhile: it paints instead.
    if (destroyed || ticket !== p.ticket) return;
    // The canvas's `scene` (its click regions and readouts) is the new one once the figure's
    // controls above it are in place, as when the page paints it (paintSliced sets it).
    const shown = (painted ? Promise.resolve() : paintSliced(p.canvas, fig.scene)).then(() => {
      if (painted) p.canvas.scene = fig.scene;
      // A figure wider than its panel scrolls inside it: keyboard users can focus and scroll it.
      const wrap = p.section.querySelector('.figure-wrap');
      if (wrap.scrollWidth > wrap.clientWidth + 1 || wrap.scrollHeight > wrap.clientHeight + 1) {
        wrap.tabIndex = 0;
        wrap.setAttribute('role', 'region');
        wrap.setAttribute('aria-label', `${fig.title} (scrolls)`);
      } else {
        wrap.removeAttribute('tabindex');
        wrap.removeAttribute('role');
        wrap.removeAttribute('aria-label');
      }
    });
    p.section.classList.toggle('has-readout', (fig.scene.hits || []).some((h) => h.t === 'readout'));
    placeLive(p, fig.scene);
    p.section.classList.toggle('wide', fig.wide || fig.scene.width > 640 || (lab.figures[0]?.name === name));
    p.canvas.setAttribute('aria-label', [fig.title, ...fig.caption].join('. '));
    p.caption.replaceChildren(...fig.caption.map((c) => el('p', {}, c)));
    controlsFor(p, fig);
    fillTable(name);
    await shown;
  }

  function renderWhere(pred) {
    for (const [name, p] of panels) if (pred(p.def)) schedule(name);
  }

  function schedule(name, delay = 0) {
    if (timers.has(name)) return;
    timers.set(name, setTimeout(() => requestAnimationFrame(() => { timers.delete(name); render(name); }), delay));
  }

  const resize = new ResizeObserver(() => { for (const name of panels.keys()) schedule(name, 50); });
  resize.observe(grid);
  fontReady.then(() => { for (const name of panels.keys()) schedule(name); });

  const ofPart = (part) => (d) => d.parts.includes(part);
  const pieces = new Map(); // part -> pieces received since it started (data-pieces on its figures)
  return {
    lv,
    params(q) {
      current = q;
      figs.call('set_query', q);
      for (const [key, show] of drags) show(ctx.get(key));
      for (const p of panels.values()) for (const l of p.live.values()) l.query(q);
      renderWhere(() => true);
    },
    started(part) {
      figs.call('restart', part);
      pieces.set(part, 0);
      for (const p of panels.values()) if (p.def.parts.includes(part)) { p.error.hidden = true; p.section.classList.add('busy'); }
    },
    progress(part, done, total) { figs.call('set_progress', part, done, total); renderWhere(ofPart(part)); },
    piece(part, text) {
      figs.call('add_piece', part, text).catch(() => {});
      pieces.set(part, (pieces.get(part) || 0) + 1);
      for (const [n, p] of panels) {
        if (!p.def.parts.includes(part)) continue;
        p.section.dataset.pieces = String(pieces.get(part));
        schedule(n, 250);
      }
    },
    /** Whether `part` has work at the current parameters (the lab's cost estimate). */
    hasWork(part) { return lv.cost(part) > 0; },
    /** A part's result: resolves once its figures show it. */
    result(part, text) { return figs.call('set_result', part, text).then(() => finished(part)); },
    shardResults(part, texts) { return figs.call('merge_shards', part, texts).then(() => finished(part)); },
    failed(part, message, retry) {
      // Its progress ends (figures stop saying "computing…"); what it streamed stays.
      figs.call('stop', part);
      renderWhere(ofPart(part));
      for (const p of panels.values()) {
        if (!p.def.parts.includes(part)) continue;
        p.section.classList.remove('busy');
        p.error.replaceChildren(el('span', {}, message), ' ', el('button', { onclick: retry }, 'Run again'));
        p.error.hidden = false;
      }
    },
    resultJson() { return figs.sync().result_json(); },
    /** Embedded (`embed=1`): only the `panels` named (all when empty); no presets, no About. */
    embed(on, names) {
      for (const [name, p] of panels) p.section.hidden = on && names.length > 0 && !names.includes(name);
      if (presets) presets.hidden = on;
      if (about) about.hidden = on;
      if (on) for (const name of panels.keys()) schedule(name, 30);
    },
    figureNames() { return lab.figures.map((f) => f.name); },
    /**
     * Add the About panel (once). Its text (formulas in MathML, whose first layout alone takes
     * 50–60 ms) is added when the panel comes within 200 px of the viewport, so that this
     * layout is not part of the page's first frames (the panel sits below the figures).
     */
    more() {
      if (about || !lab.about || destroyed) return;
      about = el('section', { class: 'panel about' }, el('h3', {}, 'About this lab'));
      about.hidden = document.body.classList.contains('embed');
      root.append(about);
      const fill = () => {
        aboutNear?.disconnect();
        aboutNear = null;
        if (!destroyed) about.insertAdjacentHTML('beforeend', lab.about);
      };
      if (typeof IntersectionObserver !== 'function') return fill();
      aboutNear = new IntersectionObserver((seen) => { if (seen.some((e) => e.isIntersecting)) fill(); }, { rootMargin: '200px 0px' });
      aboutNear.observe(about);
    },
    destroy() {
      destroyed = true;
      resize.disconnect();
      aboutNear?.disconnect();
      for (const t of players.values()) clearInterval(t);
      for (const p of panels.values()) for (const l of p.live.values()) l.destroy();
      figs.destroy();
      lv.free();
    },
  };

  function finished(part) {
      for (const [key, t] of players) { clearInterval(t); players.delete(key); }
      for (const d of lab.figures) if (d.parts.includes(part)) for (const k of d.ui) figs.call('set_ui', k, NaN);
      for (const p of panels.values()) if (p.def.parts.includes(part)) p.section.classList.remove('busy');
      // Draw the finished figures now (a streamed piece's later redraw would otherwise hold
      // them back), each in a task of its own; resolves once they are shown, so that when the
      // page marks a part as run its figures show the result.
      const shown = [];
      for (const [name, p] of panels) {
        if (!p.def.parts.includes(part)) continue;
        clearTimeout(timers.get(name));
        timers.delete(name);
        shown.push(new Promise((ok) => setTimeout(() => ok(render(name)), 0)));
      }
      return Promise.all(shown);
  }
}
