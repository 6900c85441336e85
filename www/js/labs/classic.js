// Classic Hopfield lab view: stored patterns, the probe (click to toggle pixels),
// the recall animated step by step, overlaps, energy, W, and the capacity curve.

const ABOUT = `
<h3>About this lab</h3>
<p><b>Storage.</b> P patterns ξ<sup>μ</sup> ∈ {−1,+1}<sup>N</sup> are stored with the Hebb rule
W = (1/N) Σ<sub>μ</sub> ξ<sup>μ</sup>ξ<sup>μ</sup><sup>T</sup>, zero diagonal. <b>Recall</b> starts from a probe
(pattern <code>target</code> with a fraction <code>flip</code> of its bits flipped, plus any pixels you click) and
updates s<sub>i</sub> ← sign(Σ<sub>j</sub> W<sub>ij</sub> s<sub>j</sub>) with sign(0) = +1: <i>async</i> updates one neuron
at a time in a fresh random order each sweep, <i>sync</i> updates all at once.</p>
<p><b>Energy</b> E = −½ sᵀWs never increases under asynchronous updates; synchronous updates can
fall into a 2-cycle, which is reported, not hidden. <b>Overlap</b> m<sub>μ</sub> = ξ<sup>μ</sup>·s / N.</p>
<p><b>Capacity</b> depends on the criterion: exact recall (final m = 1) fails near
P = N / (2 ln N); near recall (m ≥ 0.9) fails near the Amit–Gutfreund–Sompolinsky load P/N ≈ 0.138.
Each point is <code>cap_trials</code> fresh random networks of <code>cap_n</code> neurons, probing pattern 0 with the
same noise and update rule as above.</p>
<p><b>Digits</b>: scikit-learn's 8×8 digits (UCI, Alpaydin 1998), thresholded at 8/16. Digit images are
strongly correlated, so they interfere far below 0.138 N — try P = 3 and P = 10.</p>
<p>All numbers are exact (integer arithmetic scaled by N), so this page and the <code>hopfield</code> CLI print
identical values for the same link. This lab always runs on the CPU (in a Web Worker), whatever the
compute backend: exactness matters more here than speed.</p>`;

export default {
  mount(root, { charts, el, set, get }) {
    const box = (title, ...kids) => el('section', { class: 'panel' }, el('h3', {}, title), ...kids);
    const patterns = el('div', { class: 'pattern-list' });
    const probeCanvas = el('canvas', { class: 'grid clickable', 'aria-label': 'probe (click to toggle pixels)' });
    const stateCanvas = el('canvas', { class: 'grid', 'aria-label': 'network state' });
    const frameSlider = el('input', { type: 'range', min: 0, max: 0, value: 0, 'aria-label': 'step' });
    const playBtn = el('button', {}, '▶ Play');
    const stepBtn = el('button', {}, 'Step');
    const resetBtn = el('button', {}, '⟲ Reset');
    const stats = el('p', { class: 'stats' });
    const overlaps = el('canvas', { class: 'chart' });
    const energy = el('canvas', { class: 'chart' });
    const weights = el('canvas', { class: 'heat' });
    const capacity = el('canvas', { class: 'chart', 'data-chart': 'capacity' });
    const capStats = el('p', { class: 'stats' });
    const patternNote = el('p', { class: 'hint' });

    root.append(
      el('div', { class: 'panels' },
        box('Stored patterns', patterns, patternNote),
        box('Recall',
          el('div', { class: 'recall-pair' },
            el('figure', {}, probeCanvas, el('figcaption', {}, 'Probe — click pixels to flip them')),
            el('figure', {}, stateCanvas, el('figcaption', { class: 'state-caption' }, 'State'))),
          el('div', { class: 'player' }, playBtn, stepBtn, resetBtn, frameSlider), stats),
        box('Overlap with each stored pattern', overlaps),
        box('Energy E = −½ sᵀWs', energy),
        box('Weights W', weights),
        box('Capacity: recall success vs load P/N', capacity, capStats)),
      el('section', { class: 'panel about' }));
    root.querySelector('.about').innerHTML = ABOUT;

    let r = null; // recall result
    let frame = 0;
    let timer = null;

    const stop = () => { if (timer) { clearInterval(timer); timer = null; playBtn.textContent = '▶ Play'; } };
    const drawFrame = () => {
      if (!r) return;
      const f = r.frames[frame];
      const marks = new Map();
      f.state.forEach((v, i) => { if (v !== r.patterns[r.target][i]) marks.set(i, '#e4572e'); });
      charts.patternGrid(stateCanvas, f.state, r.width, { marks });
      root.querySelector('.state-caption').textContent =
        `State after ${f.step} ${r.mode === 'async' ? 'sweep' : 'step'}${f.step === 1 ? '' : 's'} — ${f.changed} changed; red: differs from pattern ${r.target}`;
      charts.barChart(overlaps, f.overlaps, { highlight: r.target, xlabel: `stored pattern μ (red: target ${r.target})`, ylabel: 'm' });
      const n = r.n;
      const series = [];
      if (r.energy_updates.length) {
        series.push({ x: r.energy_updates.map((_, i) => (i + 1) / n), y: r.energy_updates, label: 'after each update', color: '#1f77b4' });
      }
      series.push({ x: r.frames.map((q) => q.step), y: r.frames.map((q) => q.energy), label: r.mode === 'async' ? 'end of sweep' : 'each step', color: '#d62728', points: true, pointsOnly: r.mode === 'async' });
      charts.lineChart(energy, { series, xlabel: r.mode === 'async' ? 'sweeps' : 'synchronous steps', ylabel: 'E', cursor: f.step });
      frameSlider.value = frame;
    };

    playBtn.addEventListener('click', () => {
      if (timer) { stop(); return; }
      if (!r) return;
      if (frame >= r.frames.length - 1) frame = 0;
      playBtn.textContent = '❚❚ Pause';
      drawFrame();
      timer = setInterval(() => {
        if (frame >= r.frames.length - 1) { stop(); return; }
        frame++; drawFrame();
      }, 450);
    });
    stepBtn.addEventListener('click', () => { stop(); if (r && frame < r.frames.length - 1) { frame++; drawFrame(); } });
    resetBtn.addEventListener('click', () => { stop(); frame = 0; drawFrame(); });
    frameSlider.addEventListener('input', () => { stop(); frame = Number(frameSlider.value); drawFrame(); });

    probeCanvas.addEventListener('click', (ev) => {
      if (!r) return;
      const i = probeCanvas._hit?.(ev) ?? -1;
      if (i < 0) return;
      const list = (get('flips') || '').split(',').filter((s) => s !== '').map(Number);
      const k = list.indexOf(i);
      if (k >= 0) list.splice(k, 1); else list.push(i);
      set('flips', list.join(','));
    });

    const showRecall = (res) => {
      stop();
      r = res;
      frame = r.frames.length - 1;
      const shown = Math.min(r.p, 60);
      patterns.replaceChildren(...r.patterns.slice(0, shown).map((pat, mu) => {
        const c = el('canvas', { class: `grid mini${mu === r.target ? ' target' : ''}`, title: `pattern ${mu} — click to probe it` });
        const fig = el('figure', { class: 'clickable' }, c, el('figcaption', {}, String(mu)));
        fig.addEventListener('click', () => set('target', mu));
        requestAnimationFrame(() => charts.patternGrid(c, pat, r.width, { cell: Math.max(2, Math.floor(64 / r.width)) }));
        return fig;
      }));
      patternNote.textContent = `${r.p} patterns of N = ${r.n}${shown < r.p ? ` (first ${shown} shown)` : ''}; load P/N = ${(r.p / r.n).toFixed(3)}. Click one to probe it.`;
      const marks = new Map();
      r.flipped.forEach((i) => marks.set(i, '#f0a202'));
      (get('flips') || '').split(',').filter((s) => s !== '').forEach((i) => marks.set(Number(i), '#7b2cbf'));
      probeCanvas._hit = charts.patternGrid(probeCanvas, r.probe, r.width, { marks });
      frameSlider.max = r.frames.length - 1;
      const outcome = r.recalled ? `recalled pattern ${r.target} exactly`
        : r.cycle_length === 2 ? 'fell into a 2-cycle'
        : r.converged ? `settled on a state with overlap m = ${r.final_overlap.toFixed(3)} (best match: pattern ${r.best_match}, m = ${r.best_overlap.toFixed(3)})`
        : `did not settle within ${r.steps} steps`;
      stats.textContent = `${r.mode === 'async' ? 'Asynchronous' : 'Synchronous'} recall ${outcome} after ${r.steps} ${r.mode === 'async' ? 'sweeps' : 'steps'}. ` +
        `Probe: ${r.flipped.length} random flips (orange) + clicked pixels (purple).`;
      stats.dataset.recalled = String(r.recalled);
      const flat = r.weights.flat();
      const a = Math.max(1e-12, ...flat.map(Math.abs));
      charts.heatmap(weights, flat, r.n, r.n, { lo: -a, hi: a, cmap: 'diverging', size: Math.min(300, weights.clientWidth || 300) });
      drawFrame();
    };

    const showCapacity = (c) => {
      charts.lineChart(capacity, {
        height: 260,
        series: [
          { x: c.load, y: c.exact, label: 'exact recall (m = 1)', color: '#1f77b4', points: true },
          { x: c.load, y: c.near, label: 'near recall (m ≥ 0.9)', color: '#d62728', points: true },
          { x: c.load, y: c.mean_overlap, label: 'mean final overlap', color: '#999', dash: [3, 3] },
        ],
        xlim: [0, Math.max(...c.load) * 1.02], ylim: [0, 1.05], legend: 'bottom-left',
        xlabel: `load P/N (N = ${c.n}, ${Math.round(c.flip * 100)}% flipped, ${c.mode})`, ylabel: 'success rate',
        vlines: [
          { x: c.ref_exact_load, label: `1/(2 ln N) = ${c.ref_exact_load.toFixed(3)}`, color: '#1f77b4' },
          { x: c.ref_near_load, label: '0.138 (AGS)', color: '#d62728', row: 1 },
        ],
      });
      capStats.textContent = `${c.trials} trials per load. Reference lines: exact recall fails near P = N/(2 ln N); near recall near P/N ≈ 0.138.`;
    };

    return {
      show(part, result) {
        if (part === 'recall') showRecall(result);
        if (part === 'capacity') showCapacity(result.capacity);
      },
      busy(part, on) { root.querySelector(part === 'recall' ? '.recall-pair' : '[data-chart="capacity"]')?.classList.toggle('busy', on); },
    };
  },
};
