// The paper pages (`?paper=ID`): a source paper's citation and, for each preset that
// reproduces one of its figures or tables, thumbnails of our version computed live in the
// compute workers at the reduced sizes of `hopfield reproduce --quick`, how long that took
// here, the link to the preset at full size, and what matches the paper and what does not
// (the preset's and the paper's notes). The list comes from the core (`hp.papers()`: the
// table `crate/src/labs/papers.rs` that `hopfield reproduce` runs too); nothing here
// computes a model.

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

  for (const { job, thumbs, time } of cards) {
    if (!alive()) return;
    time.textContent = 'Computing at reduced sizes…';
    const t0 = performance.now();
    let view = null;
    try {
      view = new hp.LabView(job.query);
      const merged = {};
      for (const part of job.parts) {
        const text = await compute.run('paper', job.query, part, {});
        if (!alive()) return;
        view.set_result(part, text);
        Object.assign(merged, JSON.parse(text));
      }
      const seconds = (performance.now() - t0) / 1000;
      for (const fig of thumbs.querySelectorAll('figure.thumb')) {
        const svg = view.svg(fig.dataset.figure);
        const title = /<title>([^<]*)<\/title>/.exec(svg)?.[1] ?? fig.dataset.figure;
        fig.replaceChildren(
          el('img', { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, alt: `${title} (reduced sizes)` }),
          el('figcaption', {}, title));
      }
      const compared = JSON.parse(hp.paper_compared(job.lab, job.preset, JSON.stringify(merged)));
      time.textContent = `Computed here in ${seconds.toFixed(1)} s at reduced sizes (${job.parts.join(', ')}).`
        + (compared?.summary ? ` Beside the paper, at these sizes: ${compared.summary}.` : '');
      time.dataset.seconds = seconds.toFixed(3);
    } catch (err) {
      if (!alive()) return;
      time.textContent = err.cancelled ? 'Stopped.' : `Could not compute this preset here: ${err.message}`;
      time.classList.add('error');
    } finally {
      view?.free?.();
    }
  }
  if (alive()) root.querySelector('.paper').dataset.done = '1';
}
