// The paper pages (`?paper=ID`): a source paper's citation and, for each preset that
// reproduces one of its figures or tables, thumbnails of our version computed live in the
// compute workers at the reduced sizes of `hopfield reproduce --quick`, how long that took
// here, the link to the preset at full size, and what matches the paper and what does not
// (the preset's and the paper's notes). The list comes from the core (`hp.papers()`: the
// table `crate/src/labs/papers.rs` that `hopfield reproduce` runs too); nothing here
// computes a model.

import { textOf } from './compute.js';

/** Every source paper: `{id, citation, title, arxiv, bibtex, note, labs, jobs}`. */
export function paperList(hp) {
  try { return JSON.parse(hp.papers()); } catch { return []; }
}

/** The papers a lab reproduces, as links for the lab page. */
export function paperLinks(el, papers, labId) {
  const mine = papers.filter((p) => p.labs.includes(labId));
  if (!mine.length) return null;
  return el('p', { class: 'paper-links' }, 'Reproduces: ',
    mine.flatMap((p, i) => [i ? ' · ' : '', el('a', { href: `?paper=${p.id}`, 'data-paper': p.id }, p.title)]));
}

/**
 * Draw paper `id` into `root` and compute its thumbnails one preset after another on the
 * worker lane `paper` (cancelled by leaving the page). `alive()` tells whether the page is
 * still shown.
 */
export async function renderPaper({ hp, el, compute, root, id, papers, alive }) {
  const paper = papers.find((p) => p.id === id);
  if (!paper) {
    root.replaceChildren(el('section', { class: 'panel paper' },
      el('h1', {}, 'No such paper'),
      el('p', {}, `There is no paper called “${id}”. The papers: `,
        papers.flatMap((p, i) => [i ? ', ' : '', el('a', { href: `?paper=${p.id}` }, p.id)])),
      el('p', {}, el('a', { href: './', 'data-nav': 'home' }, '← All labs'))));
    return;
  }
  document.title = `${paper.title} — hopfield-playground`;
  const cards = paper.jobs.map((job) => {
    const thumbs = el('div', { class: 'thumbs' },
      job.figures.map((f) => el('figure', { class: 'thumb', 'data-figure': f },
        el('div', { class: 'thumb-wait' }, 'waiting…'))));
    const time = el('p', { class: 'time' }, 'Queued: computed here at reduced sizes once the presets above have finished.');
    const card = el('article', { class: 'panel paper-job', 'data-lab': job.lab, 'data-preset': job.preset },
      el('h3', {}, job.reproduces ? `${job.reproduces}: ${job.label}` : `${job.label} (what the lab shows)`),
      job.note ? el('p', {}, job.note) : null,
      thumbs, time,
      el('p', {}, el('a', { class: 'open', href: `?${job.link}` }, `Open at full size in the ${job.lab} lab →`),
        ' ', el('code', {}, `?${job.link}`)));
    return { job, card, thumbs, time };
  });
  root.replaceChildren(el('section', { class: 'paper' },
    el('p', {}, el('a', { href: './', 'data-nav': 'home' }, '← All labs')),
    el('h1', {}, paper.title),
    el('p', { class: 'citation' }, paper.citation,
      paper.arxiv ? [' ', el('a', { href: `https://arxiv.org/abs/${paper.arxiv}`, rel: 'noopener' }, `arXiv:${paper.arxiv}`)] : null),
    paper.note ? el('p', { class: 'paper-note' }, paper.note) : null,
    el('p', {}, 'Each preset below runs here at reduced sizes (the thumbnails); its link opens it at the paper’s sizes. ',
      'Every figure at full size, as SVG, PNG and CSV with a manifest: ',
      el('code', {}, `hopfield reproduce ${paper.id} --out DIR`), '.'),
    el('details', { class: 'bibtex' }, el('summary', {}, 'BibTeX'), el('pre', {}, paper.bibtex)),
    cards.map((c) => c.card)));

  // The results are read, the figures laid out and painted (PNG) and compared with the paper
  // in the figures' worker, so that no thumbnail holds the page; without it, here.
  const maker = thumbMaker(hp);
  try {
    for (const { job, thumbs, time } of cards) {
      if (!alive()) return;
      time.textContent = 'Computing at reduced sizes…';
      const t0 = performance.now();
      try {
        const texts = [];
        await maker.open(job.query);
        for (const part of job.parts) {
          // Reduced sizes: small results, read here as text.
          const text = textOf(await compute.run('paper', job.query, part, {}));
          if (!alive()) return;
          texts.push(text);
          await maker.setResult(part, text);
        }
        const seconds = (performance.now() - t0) / 1000;
        for (const fig of thumbs.querySelectorAll('figure.thumb')) {
          const t = await maker.thumb(fig.dataset.figure);
          if (!alive()) return;
          // A painted thumbnail's blob URL is let go once the image has read it.
          const free = t.png ? () => URL.revokeObjectURL(t.src) : undefined;
          fig.replaceChildren(
            el('img', { src: t.src, width: String(Math.round(t.width)), height: String(Math.round(t.height)), alt: `${t.title} (reduced sizes)`, onload: free, onerror: free }),
            el('figcaption', {}, t.title));
        }
        const compared = JSON.parse(await maker.compared(job.lab, job.preset, texts));
        if (!alive()) return;
        time.textContent = `Computed here in ${seconds.toFixed(1)} s at reduced sizes (${job.parts.join(', ')}).`
          + (compared?.summary ? ` Beside the paper, at these sizes: ${compared.summary}.` : '');
        time.dataset.seconds = seconds.toFixed(3);
      } catch (err) {
        if (!alive()) return;
        time.textContent = err.cancelled ? 'Stopped.' : `Could not compute this preset here: ${err.message}`;
        time.classList.add('error');
      }
    }
  } finally {
    maker.close();
  }
  if (alive()) root.querySelector('.paper').dataset.done = '1';
}

/** Painted thumbnails' width (px, the figures' export width) and their pixels per px. */
const THUMB_WIDTH = 720;
const THUMB_SCALE = 1;

/**
 * The paper page's thumbnails: one lab view at a time (`open`), fed the results of its parts,
 * laid out and painted as PNG images in the figures' worker (view-worker.js). Without Web
 * Workers (or when the worker cannot load the core) the main thread does it, as SVG images.
 */
function thumbMaker(hp) {
  let worker = null;
  const waiting = new Map();
  let nextId = 1;
  let here = null; // the main thread's LabView, when there is no worker
  let query = '';
  const results = [];
  try {
    if (typeof Worker !== 'undefined' && typeof OffscreenCanvas !== 'undefined') {
      worker = new Worker(new URL('./view-worker.js', import.meta.url), { type: 'module' });
      worker.onmessage = (e) => {
        if (e.data.fatal !== undefined) { fail(); return; }
        const w = waiting.get(e.data.id);
        if (!w) return;
        waiting.delete(e.data.id);
        if (e.data.error !== undefined) w.reject(new Error(e.data.error)); else w.resolve(e.data.ok);
      };
      worker.onerror = (e) => { e.preventDefault?.(); fail(); };
    }
  } catch { worker = null; }

  // The worker failed: what was asked of it is redone here.
  function fail() {
    worker?.terminate();
    worker = null;
    const asked = [...waiting.values()];
    waiting.clear();
    for (const w of asked) {
      try { w.resolve(w.local()); } catch (err) { w.reject(err); }
    }
  }
  function ask(msg, local) {
    if (!worker) {
      try { return Promise.resolve(local()); } catch (err) { return Promise.reject(err); }
    }
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject, local });
      worker.postMessage({ ...msg, id });
    });
  }
  // The main thread's copy, brought up to the results given so far.
  function view() {
    if (!here) {
      here = new hp.LabView(query);
      for (const [part, text] of results) here.set_result(part, text);
    }
    return here;
  }
  return {
    open(q) {
      query = q;
      results.length = 0;
      here?.free?.();
      here = null;
      return ask({ op: 'open', query: q }, () => undefined);
    },
    setResult(part, text) {
      results.push([part, text]);
      return ask({ op: 'set_result', args: [part, text] }, () => { if (here) here.set_result(part, text); });
    },
    async thumb(name) {
      const local = () => {
        const svg = view().svg(name);
        const title = /<title>([^<]*)<\/title>/.exec(svg)?.[1] ?? name;
        const size = /<svg[^>]*width="([\d.]+)"[^>]*height="([\d.]+)"/.exec(svg);
        return { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, title, width: Number(size?.[1] ?? THUMB_WIDTH), height: Number(size?.[2] ?? 0) };
      };
      const t = await ask({ op: 'thumb', name, width: THUMB_WIDTH, scale: THUMB_SCALE }, local);
      if (t.png) t.src = URL.createObjectURL(t.png);
      return t;
    },
    compared(lab, preset, texts) {
      return ask({ op: 'compared', lab, preset, texts }, () => {
        const merged = {};
        for (const text of texts) Object.assign(merged, JSON.parse(text));
        return hp.paper_compared(lab, preset, JSON.stringify(merged));
      });
    },
    /** Stop the worker (the images shown stay). */
    close() {
      worker?.terminate();
      worker = null;
      here?.free?.();
      here = null;
    },
  };
}
