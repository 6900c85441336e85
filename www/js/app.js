// The app shell: routing by URL query, controls generated from each lab's parameter
// table (built once per lab and updated in place), notices, share/embed/CLI links, and
// runs dispatched to compute workers. The models, the parameter rules, the figures and
// their layout all live in the wasm core; labs declare them in Rust (see labview.js).

import { Compute, LOST_GPU } from './compute.js';
import { mountLab } from './labview.js';
import { initShare } from './share.js';
import { paperList, paperLinks, renderPaper } from './papers.js';
import { warmFonts } from './fonts.js';

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c.nodeType ? c : String(c));
  return e;
}

async function bindings() {
  if (window.wasmBindings) return window.wasmBindings;
  return new Promise((resolve) =>
    window.addEventListener('TrunkApplicationStarted', () => resolve(window.wasmBindings), { once: true }));
}

const hp = await bindings();
// Every text style's fonts, asked for while the machine is idle (see fonts.js): once the core
// is compiled, before any worker starts, in tasks of their own.
await warmFonts();
const LABS = JSON.parse(hp.labs());
// The page's start is split into tasks (here, and in renderLab), none long.
await new Promise((resolve) => setTimeout(resolve, 0));
const compute = new Compute(hp);
const PAPERS = paperList(hp);
let paperToken = null; // the paper page on show (its thumbnails stop when it changes)

// ---------------------------------------------------------------------------
// Notices

function showNotices(notices, { append = false } = {}) {
  const box = $('#notices');
  if (!append) box.replaceChildren();
  box.querySelector('.dismiss')?.remove();
  for (const n of notices) box.append(el('div', { class: 'notice' }, n.message));
  if (box.querySelector('.notice')) {
    box.append(el('button', { class: 'dismiss', title: 'Dismiss', 'aria-label': 'Dismiss', onclick: () => { box.replaceChildren(); box.hidden = true; } }, '×'));
  }
  box.hidden = !box.querySelector('.notice');
}
const notify = (message) => showNotices([{ message }], { append: true });

// ---------------------------------------------------------------------------
// State: the current lab and the canonical text of every parameter.

let current = null; // { lab, def, text, query, view, contract, controls: Map, lastPartKeys, results }

function labDef(id) { return LABS.find((l) => l.id === id); }

function buildQuery(lab, text) {
  const parts = [`v=1`, `lab=${lab}`];
  for (const [k, v] of Object.entries(text)) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.join('&');
}

function parse(query) { return JSON.parse(hp.parse_query(query)); }

/**
 * Yield to the browser (input, other tasks, and a frame when the page is visible: what was
 * built so far is styled, laid out and painted in a task of its own) before going on.
 */
function nextFrame() {
  return new Promise((resolve) => {
    let done = false;
    const go = () => { if (!done) { done = true; setTimeout(resolve, 0); } };
    if (document.visibilityState === 'visible') requestAnimationFrame(go);
    setTimeout(go, document.visibilityState === 'visible' ? 200 : 0); // no frames come in a hidden tab
  });
}

/** Load whatever the address bar says (`staged`: the page's start, see renderLab). */
function load({ staged = false } = {}) {
  const paperId = new URLSearchParams(location.search).get('paper');
  if (paperId !== null) { renderPaperPage(paperId); return; }
  const parsed = parse(location.search);
  showNotices(parsed.notices);
  if (!parsed.lab) { renderLanding(); return; }
  if (parsed.query !== location.search.replace(/^\?/, '')) history.replaceState(null, '', `?${parsed.query}`);
  return renderLab(parsed, { staged });
}

/** Navigate to a lab (a new history entry, so back/forward move between labs). */
function openLab(id) {
  history.pushState(null, '', id ? `?v=1&lab=${id}` : location.pathname);
  load();
}

window.addEventListener('popstate', load);
document.addEventListener('click', (e) => {
  if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  const paper = e.target.closest('a[href^="?paper="]');
  if (paper) {
    e.preventDefault();
    history.pushState(null, '', paper.getAttribute('href'));
    load();
    return;
  }
  const a = e.target.closest('a[data-nav]');
  if (!a) return;
  e.preventDefault();
  openLab(a.dataset.nav === 'home' ? null : a.dataset.nav);
});

function leaveLab() {
  paperToken = null;
  for (const name of [...compute.lanes.keys()]) compute.cancel(name, 'left the lab');
  current?.view?.destroy?.();
  current = null;
}

// ---------------------------------------------------------------------------
// Paper pages (papers.js)

function renderPaperPage(id) {
  leaveLab();
  document.body.classList.remove('embed');
  $('#lab-title').textContent = '';
  $('#share').hidden = true;
  const token = {};
  paperToken = token;
  renderPaper({ hp, el, compute, root: $('#app'), id, papers: PAPERS, alive: () => paperToken === token });
}

// ---------------------------------------------------------------------------
// Landing page

function renderLanding() {
  leaveLab();
  document.body.classList.remove('embed');
  document.title = 'hopfield-playground';
  $('#lab-title').textContent = '';
  $('#share').hidden = true;
  const cards = LABS.map((lab) =>
    el('article', { class: `card${lab.built ? '' : ' planned'}`, 'data-lab': lab.id },
      el('h2', {}, lab.built ? el('a', { href: `?v=1&lab=${lab.id}`, 'data-nav': lab.id }, lab.title) : lab.title),
      el('p', {}, lab.summary),
      el('p', { class: 'source' }, lab.sources?.length ? lab.sources[0].text : lab.source),
      lab.built ? el('a', { class: 'open', href: `?v=1&lab=${lab.id}`, 'data-nav': lab.id }, 'Open the lab →')
        : el('p', { class: 'status' }, 'Not built yet — this lab is planned and has no content so far.')));
  $('#app').replaceChildren(
    el('section', { class: 'intro' },
      el('h1', {}, 'Associative memory, in your browser'),
      el('p', {}, 'Run, see and share the research models of modern associative memory. Every view is a link: the address holds every parameter and the seed, so a shared link, an embedded frame, or the ',
        el('code', {}, 'hopfield'), ' command-line tool reproduces the same numbers.')),
    el('section', { class: 'cards' }, cards),
    el('section', { class: 'papers-list' },
      el('h2', {}, 'Reproduce the papers'),
      el('p', {}, 'A page per source paper: each figure and table a lab reproduces, computed here, with the link to it at full size.'),
      el('ul', {}, PAPERS.map((p) => el('li', {}, el('a', { href: `?paper=${p.id}` }, p.title), ` — ${p.short}`)))));
}

// ---------------------------------------------------------------------------
// Controls generated from the parameter table. Built once per lab; a committed change
// updates their values in place, so keyboard focus stays where the person put it.

function controlFor(spec, value, onCommit) {
  const id = `p-${spec.key}`;
  const k = spec.kind;
  const wrap = el('div', { class: 'control', 'data-key': spec.key, title: spec.help });
  const label = el('label', { for: id }, spec.label, el('span', { class: 'key' }, spec.key));
  let setValue;
  if (k.type === 'choice') {
    const input = el('select', { id, name: spec.key }, k.options.map((o) => el('option', { value: o }, o)));
    input.addEventListener('change', () => onCommit(spec.key, input.value));
    wrap.append(label, input);
    setValue = (v) => { input.value = v; };
  } else if (k.type === 'bool') {
    const input = el('input', { id, name: spec.key, type: 'checkbox' });
    input.addEventListener('change', () => onCommit(spec.key, input.checked ? '1' : '0'));
    wrap.append(el('label', { class: 'check' }, input, spec.label, el('span', { class: 'key' }, spec.key)));
    setValue = (v) => { input.checked = v === '1'; };
  } else if (k.type === 'int' || k.type === 'float') {
    const num = el('input', { id, name: spec.key, type: 'text', inputmode: 'decimal', size: 7 });
    num.addEventListener('change', () => onCommit(spec.key, num.value));
    num.addEventListener('keydown', (e) => { if (e.key === 'Enter') num.dispatchEvent(new Event('change')); });
    wrap.append(label);
    const row = el('div', { class: 'row' });
    let range = null;
    const log = k.type === 'float' && k.log && k.min > 0;
    const toS = (v) => (log ? Math.log10(v) : Number(v));
    const fromS = (s) => (log ? 10 ** s : s);
    if (k.type === 'float' || (k.max - k.min) <= 4096) {
      range = el('input', {
        type: 'range', 'aria-label': spec.label,
        min: toS(k.min), max: toS(k.max),
        step: k.type === 'int' ? 1 : (toS(k.max) - toS(k.min)) / 1000,
      });
      range.addEventListener('input', () => {
        const v = fromS(Number(range.value));
        num.value = k.type === 'int' ? String(Math.round(v)) : String(Number(v.toPrecision(4)));
      });
      range.addEventListener('change', () => onCommit(spec.key, num.value));
      row.append(range);
    }
    row.append(num);
    wrap.append(row);
    setValue = (v) => { num.value = v; if (range && Number.isFinite(toS(Number(v)))) range.value = toS(Number(v)); };
  } else {
    const input = el('input', { id, name: spec.key, type: 'text', placeholder: 'comma-separated' });
    input.addEventListener('change', () => onCommit(spec.key, input.value));
    wrap.append(label, input);
    setValue = (v) => { input.value = v; };
  }
  setValue(value);
  return { wrap, setValue };
}

/**
 * The controls of `lab` (only `only`'s keys when given: an embed that shows a few). All are
 * made at once; their groups go into the page at once, or with `staged` a few at a time,
 * one step per frame (each step's layout a task of its own): `attached` resolves once
 * all are in.
 */
function buildControls(lab, text, only, { staged = false } = {}) {
  const controls = new Map();
  const groups = new Map();
  for (const spec of lab.params) {
    if (spec.group === 'hidden' || (only && !only.includes(spec.key))) continue;
    controls.set(spec.key, controlFor(spec, text[spec.key], setParam));
    if (!groups.has(spec.group)) groups.set(spec.group, []);
    groups.get(spec.group).push(spec.key);
  }
  const order = [...groups.keys()].filter((g) => g !== 'Run').concat(groups.has('Run') ? ['Run'] : []);
  const seedRow = el('div', { class: 'control' },
    el('button', { class: 'new-seed', title: 'Draw a fresh random seed (it goes into the link)', onclick: () => setParam('seed', String(hp.fresh_seed())) }, 'New seed'));
  const sets = order.map((g) =>
    el('fieldset', {}, el('legend', {}, g), groups.get(g).map((key) => controls.get(key).wrap), g === 'Run' ? seedRow : null));
  const box = $('#controls');
  if (!staged) {
    box.replaceChildren(...sets);
    return { controls, attached: Promise.resolve() };
  }
  const STEP = 12; // controls per step
  const attached = (async () => {
    for (let i = 0; i < sets.length;) {
      let n = 0;
      const step = [];
      while (i < sets.length && (step.length === 0 || n + groups.get(order[i]).length <= STEP)) {
        n += groups.get(order[i]).length;
        step.push(sets[i++]);
      }
      if (!box.isConnected) return;
      box.append(...step);
      if (i < sets.length) await nextFrame();
    }
  })();
  return { controls, attached };
}

// ---------------------------------------------------------------------------
// A lab view

/**
 * Show the lab `parsed` names with its values. At the page's start (`staged`) a new lab is
 * built in steps, each a task of its own with a frame between them, so that no step holds the
 * main thread long: the controls; the figure panels (and the lab's view in the core); the
 * runs (starting the compute workers); the About panel. It returns a promise that resolves
 * once every step is done (values committed meanwhile are applied by the later steps).
 * Otherwise (a click, a link within the page) it is built at once.
 */
function renderLab(parsed, { staged = false } = {}) {
  const lab = labDef(parsed.lab);
  const sameLab = current && current.lab === lab.id;
  if (!sameLab) leaveLab();
  document.title = `${lab.title} — hopfield-playground`;
  $('#lab-title').textContent = lab.title;
  $('#share').hidden = false;
  const embed = parsed.text.embed === '1';
  document.body.classList.toggle('embed', embed);
  document.body.classList.toggle('embed-controls', embed && !!parsed.text.controls);

  if (!lab.built) {
    $('#share').hidden = true;
    $('#app').replaceChildren(el('section', { class: 'panel planned-lab', 'data-lab': lab.id },
      el('h1', {}, lab.title), el('p', {}, lab.summary), el('p', { class: 'source' }, `Source: ${lab.source}`),
      el('p', { class: 'status' }, 'Not built yet: this lab is planned and has no content so far.'),
      el('p', {}, el('a', { href: './', 'data-nav': 'home' }, '← All labs'))));
    return;
  }
  if (!sameLab) {
    const controls = el('aside', { id: 'controls', 'aria-label': 'Parameters' });
    const runs = el('div', { id: 'runs' });
    const body = el('div', { id: 'lab-body' });
    const embedLink = el('a', { id: 'embed-open', target: '_blank', rel: 'noopener' }, 'Open in hopfield-playground ↗');
    $('#app').replaceChildren(el('div', { class: 'lab', 'data-lab': lab.id }, controls,
      el('section', { id: 'lab-main' }, embedLink, paperLinks(el, PAPERS, lab.id), runs, body)));
    current = { lab: lab.id, def: lab, text: parsed.text, query: parsed.query, lastPartKeys: {}, results: {} };
    const built = buildControls(lab, parsed.text, embed && parsed.text.controls ? parsed.text.controls.split(',') : null, { staged });
    current.controls = built.controls;
    current.contract = lab.figures?.length > 0;
    const mine = current;
    const mount = () => {
      if (mine.contract) mine.view = mountLab(body, lab, mine.query, ctx);
      else body.append(el('p', {}, 'This lab has no figures yet.'));
    };
    const ctx = {
      hp, el, set: setParam, setMany: setParams, get: (k) => current.text[k], rerun: (part) => runPart(part),
      notify, applyPreset,
      query: () => current.query,
      setUserFile: (name, bytes) => compute.setUserFile(name, bytes),
      setQuery: (q) => { const parsed = parse(q); showNotices(parsed.notices); history.pushState(null, '', `?${parsed.query}`); renderLab(parsed); },
      controlFor: (key) => current.controls.get(key)?.wrap,
      // The page's verified backend: 'webgpu', 'cpu' (no verified WebGPU, or backend=cpu), '' before the probe ends.
      backend: verifiedBackend,
    };
    if (staged) {
      mine.mounting = true;
      $('#embed-open').href = `?${buildQuery(lab.id, { ...parsed.text, embed: '0' })}`;
      showCompute();
      return (async () => {
        await built.attached;
        await nextFrame();
        if (current !== mine) return;
        mount(); // with the values committed meanwhile (mine.query)
        mine.mounting = false;
        showLab(lab, { runs: false });
        await nextFrame();
        if (current !== mine) return;
        // Each part's run starts in a task of its own (a compute worker is made and sent its query).
        if (!(await runChangedParts({ staged: true, alive: () => current === mine }))) return;
        await nextFrame();
        if (current !== mine) return;
        mine.view?.more?.();
      })();
    }
    mount();
    mine.view?.more?.();
  } else {
    for (const [key, c] of current.controls) c.setValue(parsed.text[key]);
  }
  current.text = parsed.text;
  current.query = parsed.query;
  showLab(lab);
  return Promise.resolve();
}

/** Bring the current lab's view, link and runs up to its values (`runs`: start changed parts). */
function showLab(lab, { runs = true } = {}) {
  const { text, query } = current;
  $('#embed-open').href = `?${buildQuery(lab.id, { ...text, embed: '0' })}`;
  // Still being built at the page's start: the later steps apply these values.
  if (current.mounting) { showCompute(); return; }
  current.view?.params?.(query);
  current.view?.embed?.(text.embed === '1', text.panels ? text.panels.split(',') : []);
  showCompute();
  if (runs) runChangedParts();
}

/** Commit a new value for `key` (from a control or a click in a chart). */
function setParam(key, value) { setParams({ [key]: value }); }

/** Commit several values in one URL update (presets, a point picked in a plot). */
function setParams(values, { deliberate = false } = {}) {
  if (!current) return;
  const text = { ...current.text };
  for (const [k, v] of Object.entries(values)) text[k] = String(v);
  const parsed = parse(buildQuery(current.lab, text));
  // Text that cannot be read at all ("abc" in a number field) keeps the previous value.
  const unreadable = parsed.notices.filter((n) => n.unreadable && n.key in values);
  if (unreadable.length) {
    for (const n of unreadable) current.controls.get(n.key)?.setValue(current.text[n.key]);
    showNotices(unreadable.map((n) => ({ message: `${n.message.replace(/; using the default.*$/, '')}; kept ${n.key}=${current.text[n.key]}` })));
    return;
  }
  showNotices(parsed.notices);
  if (parsed.query === current.query) { for (const [key, c] of current.controls) c.setValue(parsed.text[key]); return; }
  if (deliberate) history.pushState(null, '', `?${parsed.query}`);
  else history.replaceState(null, '', `?${parsed.query}`);
  renderLab(parsed);
}

/** Run a preset of the current lab: its keys over the defaults (compute and embed settings kept). */
function applyPreset(name) {
  const keep = ['backend', 'embed'].filter((k) => current.text[k] !== undefined).map((k) => `&${k}=${encodeURIComponent(current.text[k])}`).join('');
  const parsed = parse(`v=1&lab=${current.lab}&preset=${encodeURIComponent(name)}${keep}`);
  showNotices(parsed.notices);
  history.pushState(null, '', `?${parsed.query}`);
  renderLab(parsed);
}

function partSignature(part) {
  const keys = ['seed', 'backend', ...part.keys];
  return keys.map((k) => `${k}=${current.text[k]}`).join('&');
}

/**
 * Start the run of every part whose keys changed since its last run. With `staged` (the page's
 * start), one part per task: resolves to whether the page still shows the lab (`alive()`).
 */
function runChangedParts({ staged = false, alive = () => true } = {}) {
  const starts = [];
  for (const part of current.def.parts || []) {
    starts.push(() => {
      const sig = partSignature(part);
      if (current.lastPartKeys[part.name] === sig) return false;
      current.lastPartKeys[part.name] = sig;
      runPart(part.name);
      return true;
    });
  }
  if (!staged) { for (const start of starts) start(); return Promise.resolve(true); }
  return (async () => {
    for (const start of starts) {
      if (!alive()) return false;
      if (start()) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return alive();
  })();
}

function runPart(name) {
  if (!current) return;
  const { query, lab, view, contract } = current;
  const runs = $('#runs');
  runs.querySelector(`[data-part="${name}"]`)?.remove();
  const bar = el('progress', { max: 1, value: 0 });
  const count = el('span', { class: 'count' });
  const status = el('div', { class: 'run', 'data-part': name },
    el('span', {}, `Computing ${name}… `), bar, count,
    el('button', { class: 'cancel', onclick: () => compute.cancel(name) }, 'Cancel'));
  // Only show the bar for runs that take a moment.
  const showTimer = setTimeout(() => runs.append(status), 150);
  const started = performance.now();
  view?.started(name);
  const callbacks = {
    onProgress: (done, total) => {
      bar.max = total; bar.value = done;
      // Progress in the part's own units (cells, trials, or estimated work), and the time
      // left extrapolated from the rate so far once there is a rate to speak of.
      const secs = (performance.now() - started) / 1000;
      const left = done > 0 && done < total && secs > 3 ? (secs * (total - done)) / done : null;
      count.textContent = `${Math.floor((100 * done) / Math.max(total, 1))}%`
        + (left === null ? '' : ` · about ${left < 90 ? `${Math.ceil(left)} s` : `${Math.round(left / 60)} min`} left`);
      view?.progress(name, done, total);
    },
    onPartial: (piece) => view?.piece(name, piece),
  };
  // A part may be split into shards (one worker each) and merged.
  // A shardable part with work to do (a switched-off sweep runs unsharded).
  const shardable = contract && (current.def.shards || []).includes(name) && view.hasWork(name);
  const shards = shardable ? Math.min(4, Math.max(1, navigator.hardwareConcurrency || 1)) : 1;
  const job = shards > 1
    ? compute.runShards(name, query, name, shards, callbacks).then((texts) => ({ shards: texts }))
    : compute.run(name, query, name, callbacks);
  job.then((result) => {
    clearTimeout(showTimer); status.remove();
    if (!current || current.lab !== lab) return;
    current.results[name] = result;
    const ms = String(Math.round(performance.now() - started));
    const shown = result?.shards ? view?.shardResults(name, result.shards) : view?.result(name, result);
    // The part is marked as run once its figures show the result (they paint in slices).
    return Promise.resolve(shown).then(() => { document.body.dataset[`ran${name[0].toUpperCase()}${name.slice(1)}`] = ms; });
  }).catch((err) => {
    clearTimeout(showTimer);
    if (!current || current.lab !== lab) { status.remove(); return; }
    if (err.cancelled && err.message === 'replaced by a newer run') { status.remove(); return; }
    current.lastPartKeys[name] = undefined;
    const retry = () => { current.lastPartKeys[name] = partSignature(current.def.parts.find((p) => p.name === name)); runPart(name); };
    const message = err.cancelled ? `${name}: cancelled.` : `${name} failed: ${err.message}`;
    view?.failed(name, message, retry);
    status.replaceChildren(el('span', { class: err.cancelled ? 'cancelled' : 'error' }, `${message} `), el('button', { onclick: retry }, 'Run again'));
    if (!status.isConnected) runs.append(status);
  });
}

// ---------------------------------------------------------------------------
// Share, embed, cite, CLI, download (share.js)

initShare({ hp, el, current: () => current });

// The status line: which backend the workers use (the first status opens it).
let computeStatus = null;
let adapterDetail = '';
// wgpu does not see the adapter's vendor and architecture in the browser; ask for them for display.
navigator.gpu?.requestAdapter().then((a) => {
  const i = a?.info;
  if (i && (i.vendor || i.architecture)) { adapterDetail = ` [${[i.vendor, i.architecture].filter(Boolean).join(' ')}]`; showCompute(); }
}).catch(() => {});
const seenFallbacks = new Set();
let lostAnnounced = false;
/** The backend the page runs on: 'webgpu' (verified, not forced off), 'cpu', or '' before the probe ends. */
function verifiedBackend() {
  if (!computeStatus) return '';
  return current?.text?.backend !== 'cpu' && computeStatus.backend === 'gpu' ? 'webgpu' : 'cpu';
}
function showCompute(st, source) {
  // A run's own status (e.g. "this lab runs on the CPU") says less about the device than the
  // probe's verdict: once that is in, runs only add their fallbacks.
  const fromRun = source === 'run' && computeStatus && !computeStatus.fromRun;
  if (st && !fromRun) computeStatus = source === 'run' ? { ...st, fromRun: true } : st;
  const fallbacks = st?.fallbacks || [];
  if (compute.gpuStatus?.lost && !computeStatus?.lost) computeStatus = { ...compute.gpuStatus };
  st = computeStatus;
  const line = $('#backend-status');
  if (!st) { line.textContent = 'Compute: starting…'; return; }
  if (current?.text?.backend === 'cpu') {
    line.textContent = 'Compute: CPU — WebAssembly (SIMD) in Web Workers (backend=cpu in the link)';
  } else if (st.backend === 'gpu') {
    line.textContent = `Compute: WebGPU — ${st.adapter}${adapterDetail} (self-check passed)` +
      (st.software ? '. This adapter is a software renderer, slower than the CPU path (backend=gpu in the link).' : '');
  } else {
    line.textContent = `Compute: CPU — WebAssembly (SIMD) in Web Workers; ${st.reason || 'no GPU'}`;
  }
  line.dataset.backend = verifiedBackend();
  // A lost device is announced once, whichever worker (and wording) reports it.
  const fresh = [];
  for (const f of [...(st.fallbacks || []), ...fallbacks]) {
    if (seenFallbacks.has(f)) continue;
    seenFallbacks.add(f);
    if (LOST_GPU.test(f)) {
      if (lostAnnounced) continue;
      lostAnnounced = true;
    }
    fresh.push(f);
  }
  if (fresh.length) showNotices(fresh.map((message) => ({ message })), { append: true });
}
compute.onCompute = showCompute;
// Probe the GPU (open it and self-check every kernel) once, just after the first view is
// up, so that it does not compete with the first runs; later runs reuse the verdict.
// Runs meanwhile go to the CPU at once (backend=gpu waits for its own check in its worker).
setTimeout(() => compute.status(new URLSearchParams(location.search).get('backend') === 'gpu').then(showCompute).catch((err) => {
  $('#backend-status').textContent = `Compute: CPU — the compute worker failed to start (${err.message})`;
}), 300);
window.hp = hp; // for the console and the end-to-end tests
// The browser tests' simulated GPU loss: every later run first destroys its worker's device.
window.hpDebug = { loseGpu() { compute.debugLoseGpu = true; } };
// The page's start, in steps of their own (see renderLab); the first waits for the parser's
// end, which lays out whatever the page holds by then in its own task.
await new Promise((resolve) => setTimeout(resolve, 0));
await load({ staged: true });
document.body.dataset.ready = '1';

// Offline: the service worker (sw.js) caches the built files once the page has loaded, so
// later visits work with the network off. Where it cannot register (a file:// page, an
// insecure origin), the page works as before, online only.
function registerServiceWorker() {
  navigator.serviceWorker.register('sw.js').then(() => { document.body.dataset.sw = '1'; }).catch(() => { document.body.dataset.sw = '0'; });
}
if ('serviceWorker' in navigator && window.isSecureContext) {
  if (document.readyState === 'complete') registerServiceWorker();
  else window.addEventListener('load', registerServiceWorker, { once: true });
}
