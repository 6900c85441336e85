// Share, embed, cite, CLI and download: the header's buttons. The link is always the whole
// state; the Embed dialog shapes an <iframe> (which figures and controls a reader sees, kept
// in the link) with a live preview; the Cite box gives the link, its parameters and BibTeX.

import { textOf } from './compute.js';

const $ = (sel) => document.querySelector(sel);

export function initShare({ hp, el, current }) {
  function shareBox(text, copied) {
    $('#share-text').textContent = text;
    $('#share-state').textContent = copied ? 'Copied to the clipboard.' : '';
    $('#share-box').hidden = false;
  }
  async function copy(text) {
    try { await navigator.clipboard.writeText(text); shareBox(text, true); } catch { shareBox(text, false); }
  }
  $('#share-close').addEventListener('click', () => { $('#share-box').hidden = true; });
  $('#copy-link').addEventListener('click', () => copy(location.href));

  // ---- Embed
  const box = $('#embed-box');
  const frame = $('#embed-preview');
  let height = 640;
  function embedUrl() {
    const cur = current();
    const url = new URL(location.href);
    url.searchParams.set('embed', '1');
    const figs = [...box.querySelectorAll('[name=panel]:checked')].map((c) => c.value);
    const ctrls = [...box.querySelectorAll('[name=control]:checked')].map((c) => c.value);
    if (figs.length && figs.length < (cur.def.figures?.length ?? 0)) url.searchParams.set('panels', figs.join(',')); else url.searchParams.delete('panels');
    if (ctrls.length) url.searchParams.set('controls', ctrls.join(',')); else url.searchParams.delete('controls');
    return url.href;
  }
  function snippet() {
    const cur = current();
    const id = `hopfield-${cur.lab}-${Math.abs(hashCode(embedUrl())) % 100000}`;
    const src = embedUrl().replace(/"/g, '&quot;');
    const frameTag = `<iframe id="${id}" src="${src}" style="width:100%;max-width:100%;height:${height}px;border:0" loading="lazy" title="hopfield-playground: ${cur.def.title}"></iframe>`;
    // Optional: let the frame size itself to its content (pages that allow a script).
    const resize = `<script>addEventListener('message',function(e){var f=document.getElementById('${id}');if(f&&e.source===f.contentWindow&&e.data&&e.data.hopfieldHeight)f.style.height=e.data.hopfieldHeight+'px'})</script>`;
    return box.querySelector('[name=autosize]').checked ? `${frameTag}\n${resize}` : frameTag;
  }
  function refresh() {
    frame.src = embedUrl();
    $('#embed-snippet').value = snippet();
  }
  window.addEventListener('message', (e) => {
    if (e.source === frame.contentWindow && e.data?.hopfieldHeight) {
      height = Math.ceil(e.data.hopfieldHeight);
      frame.style.height = `${height}px`;
      $('#embed-snippet').value = snippet();
    }
  });
  $('#show-embed').addEventListener('click', () => {
    const cur = current();
    if (!cur) return;
    const figs = cur.def.figures || [];
    const params = cur.def.params.filter((p) => p.group !== 'hidden');
    $('#embed-panels').replaceChildren(...figs.map((f, i) => el('label', {}, el('input', { type: 'checkbox', name: 'panel', value: f.name, checked: i === 0 }), f.title)));
    $('#embed-controls').replaceChildren(...params.map((p) => el('label', { title: p.help }, el('input', { type: 'checkbox', name: 'control', value: p.key }), p.label)));
    box.hidden = false;
    refresh();
  });
  box.addEventListener('change', refresh);
  $('#embed-copy').addEventListener('click', async () => {
    try { await navigator.clipboard.writeText($('#embed-snippet').value); $('#embed-state').textContent = 'Copied to the clipboard.'; } catch { $('#embed-snippet').select(); }
  });
  $('#embed-close').addEventListener('click', () => { box.hidden = true; frame.src = 'about:blank'; });

  // ---- CLI
  $('#show-cli').addEventListener('click', () => {
    const cur = current();
    if (!cur) return;
    const q = cur.query;
    const fig = cur.def.figures?.[0]?.name;
    shareBox([
      '# Build the tool once (Rust from rustup.rs): clone the playground, then',
      '#   cargo build --release   →  target/release/hopfield',
      `hopfield run '${q}' --format json > result.json`,
      fig ? `hopfield run '${q}' --format svg --figure ${fig} > ${fig}.svg` : '',
      `hopfield figures ${cur.lab}    # every figure; --format png --out F.png for a raster`,
    ].filter(Boolean).join('\n'), false);
  });

  // ---- Cite
  $('#show-cite').addEventListener('click', () => {
    const cur = current();
    if (!cur) return;
    const lab = cur.def;
    const link = location.href;
    $('#cite-sources').replaceChildren(...lab.sources.map((c) => el('p', { class: 'citation' }, c.text,
      c.note ? el('span', { class: 'hint' }, ` (${c.note})`) : null)),
    el('p', {}, 'This view: ', el('code', {}, link)));
    const own = hp.playground_bibtex().replace(/\n}$/, `,\n  url = {${link}},\n  note = {parameters: ${cur.query}}\n}`);
    $('#cite-bibtex').value = [...lab.sources.map((c) => c.bibtex), own].join('\n\n');
    $('#cite-box').hidden = false;
  });
  $('#cite-close').addEventListener('click', () => { $('#cite-box').hidden = true; });
  $('#cite-copy').addEventListener('click', async () => {
    try { await navigator.clipboard.writeText($('#cite-bibtex').value); $('#cite-copy').textContent = 'Copied'; } catch { $('#cite-bibtex').select(); }
    setTimeout(() => { $('#cite-copy').textContent = 'Copy BibTeX'; }, 1500);
  });

  // ---- JSON: the results already on the page, with the fields of `hopfield run QUERY --format json`.
  $('#download-json').addEventListener('click', () => {
    const cur = current();
    if (!cur) return;
    let text;
    if (cur.contract) text = cur.view.resultJson();
    else {
      const merged = {};
      for (const part of cur.def.parts) if (cur.results[part]) Object.assign(merged, JSON.parse(textOf(cur.results[part])));
      text = JSON.stringify(merged);
    }
    const a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'application/json' })), download: `hopfield-${cur.lab}.json` });
    document.body.append(a); a.click(); a.remove();
  });

  // ---- Inside an embed: tell the host page how tall the content is.
  if (window.parent !== window) {
    const post = () => window.parent.postMessage({ hopfieldHeight: document.documentElement.scrollHeight }, '*');
    new ResizeObserver(post).observe(document.body);
  }
}

function hashCode(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}
