// The app shell: routing by URL query, controls generated from each lab's parameter
// table, notices, share/embed/CLI links, and runs dispatched to compute workers.
// The models, the parameter rules and the plot numbers all live in the wasm core.

import { Compute } from './compute.js';
import * as charts from './charts.js';
import { renderers } from './labs/index.js';

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
charts.setBindings(hp);
const LABS = JSON.parse(hp.labs());
const compute = new Compute(hp);

// ---------------------------------------------------------------------------
// Notices

function showNotices(notices, { append = false } = {}) {
  const box = $('#notices');
  if (!append) box.replaceChildren();
  for (const n of notices) {
    box.append(el('div', { class: 'notice' }, n.message));
  }
  if (box.children.length) {
    box.append(el('button', { class: 'dismiss', title: 'Dismiss', onclick: () => { box.replaceChildren(); box.hidden = true; } }, '×'));
  }
  box.hidden = box.children.length === 0;
}

function showError(where, message) {
  where.replaceChildren(el('div', { class: 'error' }, message));
}

// ---------------------------------------------------------------------------
// State: the current lab and the canonical text of every parameter.

let current = null; // { lab, text: {key: string}, query, view, lastPartKeys: {part: signature} }

function labDef(id) { return LABS.find((l) => l.id === id); }

function buildQuery(lab, text) {
  const parts = [`v=1`, `lab=${lab}`];
  for (const [k, v] of Object.entries(text)) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.join('&');
}

function parse(query) { return JSON.parse(hp.parse_query(query)); }

/** Load whatever the address bar says. */
function load() {
  const parsed = parse(location.search);
  showNotices(parsed.notices);
  if (!parsed.lab) { renderLanding(); return; }
  if (parsed.query !== location.search.replace(/^\?/, '')) history.replaceState(null, '', `?${parsed.query}`);
  renderLab(parsed);
}

/** Navigate to a lab (a new history entry, so back/forward move between labs). */
function openLab(id) {
  history.pushState(null, '', id ? `?v=1&lab=${id}` : location.pathname);
  load();
}

window.addEventListener('popstate', load);
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-nav]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  openLab(a.dataset.nav === 'home' ? null : a.dataset.nav);
});

// ---------------------------------------------------------------------------
// Landing page

function renderLanding() {
  for (const name of ['recall', 'capacity', ...compute.lanes.keys()]) compute.cancel(name, 'left the lab');
  current = null;
  document.body.classList.remove('embed');
  document.title = 'hopfield-playground';
  $('#lab-title').textContent = '';
  $('#share').hidden = true;
  const cards = LABS.map((lab) =>
    el('article', { class: `card${lab.built ? '' : ' planned'}`, 'data-lab': lab.id },
      el('h2', {}, lab.built ? el('a', { href: `?v=1&lab=${lab.id}`, 'data-nav': lab.id }, lab.title) : lab.title),
      el('p', {}, lab.summary),
      el('p', { class: 'source' }, lab.source),
      lab.built ? el('a', { class: 'open', href: `?v=1&lab=${lab.id}`, 'data-nav': lab.id }, 'Open the lab →')
        : el('p', { class: 'status' }, 'Not built yet — this lab is planned and has no content so far.')));
  $('#app').replaceChildren(
    el('section', { class: 'intro' },
      el('h1', {}, 'Associative memory, in your browser'),
      el('p', {}, 'Run, see and share the research models of modern associative memory. Every view is a link: the address holds every parameter and the seed, so a shared link, an embedded frame, or the ',
        el('code', {}, 'hopfield'), ' command-line tool reproduces the same numbers.')),
    el('section', { class: 'cards' }, cards));
}

// ---------------------------------------------------------------------------
// Controls generated from the parameter table

function controlFor(spec, value, onCommit) {
  const id = `p-${spec.key}`;
  const k = spec.kind;
  let input;
  const wrap = el('div', { class: 'control', 'data-key': spec.key, title: spec.help });
  const label = el('label', { for: id }, spec.label, el('span', { class: 'key' }, spec.key));
  if (k.type === 'choice') {
    input = el('select', { id, name: spec.key }, k.options.map((o) => el('option', { value: o }, o)));
    input.value = value;
    input.addEventListener('change', () => onCommit(spec.key, input.value));
    wrap.append(label, input);
  } else if (k.type === 'bool') {
    input = el('input', { id, name: spec.key, type: 'checkbox' });
    input.checked = value === '1';
    input.addEventListener('change', () => onCommit(spec.key, input.checked ? '1' : '0'));
    wrap.append(el('label', { class: 'check' }, input, spec.label, el('span', { class: 'key' }, spec.key)));
  } else if (k.type === 'int' || k.type === 'float') {
    const num = el('input', { id, name: spec.key, type: 'text', inputmode: 'decimal', value, size: 7 });
    num.addEventListener('change', () => onCommit(spec.key, num.value));
    num.addEventListener('keydown', (e) => { if (e.key === 'Enter') num.blur(); });
    const sliderOk = k.type === 'float' || (k.max - k.min) <= 4096;
    wrap.append(label);
    const row = el('div', { class: 'row' });
    if (sliderOk) {
      const log = k.type === 'float' && k.log && k.min > 0;
      const toS = (v) => (log ? Math.log10(v) : Number(v));
      const fromS = (s) => (log ? 10 ** s : s);
      const range = el('input', {
        type: 'range', 'aria-label': spec.label,
        min: toS(k.min), max: toS(k.max),
        step: k.type === 'int' ? 1 : (toS(k.max) - toS(k.min)) / 1000,
      });
      range.value = toS(Number(value));
      range.addEventListener('input', () => {
        const v = fromS(Number(range.value));
        num.value = k.type === 'int' ? String(Math.round(v)) : String(Number(v.toPrecision(4)));
      });
      range.addEventListener('change', () => onCommit(spec.key, num.value));
      num.addEventListener('change', () => { range.value = toS(Number(num.value)); });
      row.append(range);
    }
    row.append(num);
    wrap.append(row);
    input = num;
  } else {
    input = el('input', { id, name: spec.key, type: 'text', value, placeholder: 'comma-separated' });
    input.addEventListener('change', () => onCommit(spec.key, input.value));
    wrap.append(label, input);
  }
  return wrap;
}

function renderControls(lab, text, container) {
  const groups = new Map();
  for (const spec of lab.params) {
    if (spec.key === 'embed' || spec.group === 'hidden') continue;
    if (!groups.has(spec.group)) groups.set(spec.group, []);
    groups.get(spec.group).push(spec);
  }
  const order = [...groups.keys()].filter((g) => g !== 'Run').concat(groups.has('Run') ? ['Run'] : []);
  container.replaceChildren(...order.map((g) =>
    el('fieldset', {}, el('legend', {}, g), groups.get(g).map((spec) => controlFor(spec, text[spec.key], setParam)))));
}

// ---------------------------------------------------------------------------
// A lab view

function renderLab(parsed) {
  const lab = labDef(parsed.lab);
  const sameLab = current && current.lab === lab.id;
  if (!sameLab) for (const name of [...compute.lanes.keys()]) compute.cancel(name, 'left the lab');
  document.title = `${lab.title} — hopfield-playground`;
  $('#lab-title').textContent = lab.title;
  $('#share').hidden = false;
  document.body.classList.toggle('embed', parsed.text.embed === '1');

  if (!lab.built) {
    for (const name of [...compute.lanes.keys()]) compute.cancel(name, 'left the lab');
    current = null;
    $('#share').hidden = true;
    $('#app').replaceChildren(el('section', { class: 'panel planned-lab', 'data-lab': lab.id },
      el('h1', {}, lab.title), el('p', {}, lab.summary), el('p', { class: 'source' }, `Source: ${lab.source}`),
      el('p', { class: 'status' }, 'Not built yet: this lab is planned and has no content so far.'),
      el('p', {}, el('a', { href: './', 'data-nav': 'home' }, '← All labs'))));
    return;
  }
  if (!sameLab) {
    const controls = el('aside', { id: 'controls' });
    const runs = el('div', { id: 'runs' });
    const body = el('div', { id: 'lab-body' });
    const embedLink = el('a', { id: 'embed-open', target: '_blank', rel: 'noopener' }, 'Open in hopfield-playground ↗');
    $('#app').replaceChildren(el('div', { class: 'lab', 'data-lab': lab.id }, controls, el('section', { id: 'lab-main' }, embedLink, runs, body)));
    const renderer = renderers[lab.id];
    const ctx = {
      hp, charts, el, set: setParam, setMany: setParams, get: (k) => current.text[k], rerun: (part) => runPart(part),
      // The page's verified backend: 'webgpu', 'cpu' (no verified WebGPU, or backend=cpu), '' before the probe ends.
      backend: verifiedBackend,
    };
    current = { lab: lab.id, def: lab, text: parsed.text, query: parsed.query, lastPartKeys: {}, results: {} };
    current.view = renderer ? renderer.mount(body, ctx) : null;
    if (!renderer) body.append(el('p', {}, 'This lab has no view yet.'));
  }
  current.text = parsed.text;
  current.query = parsed.query;
  $('#embed-open').href = `?${buildQuery(lab.id, { ...parsed.text, embed: '0' })}`;
  renderControls(lab, parsed.text, $('#controls'));
  current.view?.params?.(parsed.query);
  showCompute();
  runChangedParts();
}

/** Commit a new value for `key` (from a control or a click in a chart). */
function setParam(key, value) { setParams({ [key]: value }); }

/** Commit several values in one URL update (presets, a point picked in a plot). */
function setParams(values) {
  if (!current) return;
  const text = { ...current.text };
  for (const [k, v] of Object.entries(values)) text[k] = String(v);
  const parsed = parse(buildQuery(current.lab, text));
  showNotices(parsed.notices);
  history.replaceState(null, '', `?${parsed.query}`);
  renderLab(parsed);
}

function partSignature(part) {
  const keys = ['seed', 'backend', ...part.keys];
  return keys.map((k) => `${k}=${current.text[k]}`).join('&');
}

function runChangedParts() {
  for (const part of current.def.parts || []) {
    const sig = partSignature(part);
    if (current.lastPartKeys[part.name] !== sig) {
      current.lastPartKeys[part.name] = sig;
      runPart(part.name);
    }
  }
}

function runPart(name) {
  if (!current) return;
  const query = current.query;
  const lab = current.lab;
  const runs = $('#runs');
  runs.querySelector(`[data-part="${name}"]`)?.remove();
  const bar = el('progress', { max: 1, value: 0 });
  const status = el('div', { class: 'run', 'data-part': name },
    el('span', {}, `Computing ${name}… `), bar,
    el('button', { class: 'cancel', onclick: () => compute.cancel(name) }, 'Cancel'));
  // Only show the bar for runs that take a moment.
  const showTimer = setTimeout(() => runs.append(status), 150);
  const started = performance.now();
  current.view?.busy?.(name, true);
  const callbacks = {
    onProgress: (done, total) => { bar.max = total; bar.value = done; },
    onPartial: (piece) => current?.view?.partial?.(name, piece),
  };
  // A view may split a part into shards (one worker each) and merge their results.
  const view = current.view;
  const shards = view?.shards?.(name) ?? 1;
  const job = shards > 1
    ? compute.runShards(name, query, name, shards, callbacks).then((results) => view.merge(name, results))
    : compute.run(name, query, name, callbacks);
  job.then((result) => {
    clearTimeout(showTimer); status.remove();
    if (!current || current.lab !== lab) return;
    current.results[name] = result;
    current.view?.busy?.(name, false);
    current.view?.show(name, result);
    document.body.dataset[`ran${name[0].toUpperCase()}${name.slice(1)}`] = String(Math.round(performance.now() - started));
  }).catch((err) => {
    clearTimeout(showTimer);
    if (!current || current.lab !== lab) { status.remove(); return; }
    current.view?.busy?.(name, false);
    if (err.cancelled && err.message === 'replaced by a newer run') { status.remove(); return; }
    current.lastPartKeys[name] = undefined;
    status.replaceChildren(
      el('span', { class: err.cancelled ? 'cancelled' : 'error' }, err.cancelled ? `${name}: cancelled. ` : `${name} failed: ${err.message} `),
      el('button', { onclick: () => { current.lastPartKeys[name] = partSignature(current.def.parts.find((p) => p.name === name)); runPart(name); } }, 'Run again'));
    if (!status.isConnected) runs.append(status);
  });
}

// ---------------------------------------------------------------------------
// Share, embed, CLI, download

function shareBox(text) {
  $('#share-text').textContent = text;
  $('#share-box').hidden = false;
}
$('#share-close').addEventListener('click', () => { $('#share-box').hidden = true; });
$('#copy-link').addEventListener('click', async () => {
  const url = location.href;
  try { await navigator.clipboard.writeText(url); shareBox(`Copied: ${url}`); } catch { shareBox(url); }
});
$('#show-embed').addEventListener('click', () => {
  const url = new URL(location.href);
  url.searchParams.set('embed', '1');
  shareBox(`<iframe src="${url.href.replace(/"/g, '&quot;')}" width="900" height="640" style="border:0" loading="lazy" title="hopfield-playground"></iframe>`);
});
$('#show-cli').addEventListener('click', () => {
  shareBox(`hopfield run '${current ? current.query : ''}' --format json`);
});
$('#download-json').addEventListener('click', async () => {
  if (!current) return;
  const result = await compute.run('download', current.query, '');
  const blob = new Blob([JSON.stringify(result)], { type: 'application/json' });
  const a = el('a', { href: URL.createObjectURL(blob), download: `hopfield-${current.lab}.json` });
  document.body.append(a); a.click(); a.remove();
});

// The status line: which backend the workers use (the first status opens it).
let computeStatus = null;
let adapterDetail = '';
// wgpu does not see the adapter's vendor and architecture in the browser; ask for them for display.
navigator.gpu?.requestAdapter().then((a) => {
  const i = a?.info;
  if (i && (i.vendor || i.architecture)) { adapterDetail = ` [${[i.vendor, i.architecture].filter(Boolean).join(' ')}]`; showCompute(); }
}).catch(() => {});
const seenFallbacks = new Set();
/** The backend the page runs on: 'webgpu' (verified, not forced off), 'cpu', or '' before the probe ends. */
function verifiedBackend() {
  if (!computeStatus) return '';
  return current?.text?.backend !== 'cpu' && computeStatus.gpu ? 'webgpu' : 'cpu';
}
function showCompute(st) {
  if (st) computeStatus = st;
  st = computeStatus;
  const line = $('#backend-status');
  if (!st) { line.textContent = 'Compute: starting…'; return; }
  const forcedCpu = current?.text?.backend === 'cpu';
  if (forcedCpu) {
    line.textContent = 'Compute: CPU — WebAssembly (SIMD) in Web Workers (backend=cpu in the link)';
  } else if (st.gpu) {
    line.textContent = `Compute: WebGPU — ${st.description.replace(/^GPU: /, '')}${adapterDetail} (self-check passed)` +
      // A software adapter (SwiftShader, lavapipe) is far slower than the wasm CPU path.
      (/software, on the CPU/.test(st.description) ? '. This adapter is a software renderer: choosing Compute → cpu is usually faster.' : '');
  } else {
    line.textContent = `Compute: CPU — WebAssembly (SIMD) in Web Workers; ${st.description.replace(/^CPU \((.*)\)$/, '$1')}`;
  }
  line.dataset.backend = verifiedBackend();
  const fresh = (st.fallbacks || []).filter((f) => !seenFallbacks.has(f));
  fresh.forEach((f) => seenFallbacks.add(f));
  if (fresh.length) showNotices(fresh.map((message) => ({ message })), { append: true });
}
compute.onCompute = showCompute;
// Probe the GPU (open it and self-check every kernel) once, just after the first view is
// up, so that it does not compete with the first runs; later runs reuse the verdict.
setTimeout(() => compute.status().then(showCompute).catch((err) => {
  $('#backend-status').textContent = `Compute: CPU — the compute worker failed to start (${err.message})`;
}), 300);
window.hp = hp; // for the console and the end-to-end tests
load();
document.body.dataset.ready = '1';
