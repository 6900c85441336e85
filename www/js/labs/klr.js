// Kernel (KLR) Hopfield lab view: one trained network (loss, recall, forces, spectra),
// the capacity curve, the γ × P/N phase diagram (cells stream in from two workers),
// its γ = 0.001 cross-section, Proposition 1's scatter and pinned spectra (Figure 5).
// Every number comes from the wasm core; this file only arranges and draws them.

const ABOUT = `
<h3>About this lab</h3>
<p><b>Model</b> (SPEC Lab 1; Tamamori, <i>Self-organization and spectral mechanism of attractor landscapes in
high-capacity kernel Hopfield networks</i>). P random patterns ξ<sup>μ</sup> ∈ {−1,+1}<sup>N</sup>, RBF kernel
K(x,y) = exp(−γ‖x−y‖²) (no 1/N), dual weights α ∈ R<sup>P×N</sup>, field h(s) = αᵀk(s) and synchronous recall
s ← sign(h(s)) with sign(0) = +1.</p>
<p><b>Training.</b> <i>gd</i>: kernel logistic regression, all neurons at once, by full-batch gradient descent from α = 0
on L = Σ softplus(−ξ⊙Kα) + (λ/2)Σ αᵀKα (the author's protocol: η = 0.1, λ = 0.01, at most 300 epochs; it stops
early when the loss changes by less than <code>tol</code>). <i>krr</i>: kernel ridge regression α = (K + λI)⁻¹Ξ.</p>
<p><b>Divergence.</b> At small γ the Gram matrix is nearly rank one and the loss curvature at α = 0,
λ<sub>max</sub>(K)²/4 + λ·λ<sub>max</sub>(K) (its largest value anywhere, since σ(1−σ) ≤ ¼), exceeds 2/η: the steps overshoot.
A loss above its starting value P·N·ln 2 is reported as divergence; with <code>diverge=stop</code> the run keeps the last good α
and reports no numbers, with <code>diverge=continue</code> it runs out the budget (as a protocol without the test would) and
the numbers are flagged. On every heatmap ✕ marks diverged cells, a dot marks cells whose loss rose at some epoch, and the
red line is where the curvature crosses 2/η. The Figure presets use <code>diverge=continue</code> so that the paper's pictures
appear — with the marks that tell a ridge of sharp attractors from a ridge of unstable training.</p>
<p><b>Geometry</b> (paper Sec. 3.2). V(x) = −Σ<sub>k</sub> x<sub>k</sub>h<sub>k</sub>(x), ∇V = F<sub>d</sub> + F<sub>i</sub>, F<sub>d</sub> = −h(x),
F<sub>i</sub> = 2γ Σ<sub>μ</sub> K(x,ξ<sup>μ</sup>)(xᵀα<sub>μ</sub>)(x − ξ<sup>μ</sup>), computed in closed form in f64 (never as ∇V − F<sub>d</sub>,
which is rounding noise where ‖F<sub>i</sub>‖ ≪ ‖F<sub>d</sub>‖). Pinnacle Sharpness M = ‖∇V‖² and ρ = cos(F<sub>d</sub>, F<sub>i</sub>) at pattern
μ = <code>target</code> in the network view, at pattern 0 in the sweeps (the paper: one random stored pattern), and their median over all patterns. ‖F<sub>i</sub>‖/‖F<sub>d</sub>‖ is shown beside ρ:
an angle of a negligible force is not an interaction (ρ cells are faded where the ratio is below 10⁻³).</p>
<p><b>Spectra</b> (Sec. 5). Singular values of α and its Stable Rank Σσ²/σ₁²; eigenvalues of K; for a non-square α the
effective Gram is αᵀKα (N×N), whose largest eigenvalue λ<sub>max</sub> Proposition 1 says M is proportional to — the scatter
tests it with a log-log fit over the sweep's non-diverged cells.</p>
<p><b>Recall test</b> (author's protocol): probes from patterns 0…9 with 20% of their bits flipped, at most 30 synchronous
steps, success = a fixed point equal to the stored pattern. The capacity curve compares with the classic Hebbian network on
the same probes and its 0.138 N line.</p>
<p><b>Claims to test, not targets.</b> The paper reports ρ ≈ 0 at large γ and ρ → −1 as γ decreases (Fig. 2), ‖F<sub>d</sub>‖² growing
faster than ‖F<sub>i</sub>‖² with P/N at γ = 0.001 (Fig. 3), a ridge of high M and minimal stable rank (Figs. 1, 4). Here the
definitions are implemented exactly; with this protocol the small-γ part of the diagram, including γ = 0.001 for all but
the lowest loads, is in the unstable-training region, which the marks show.</p>
<p>Clicking a heatmap cell inspects that network in the panels above (same patterns, same numbers); shift-click pins it for
the spectra comparison. The page computes in WebAssembly (f64) in Web Workers, the sweep split across two of them; the
<code>hopfield</code> CLI prints the same numbers to within the last bits (exp/ln and GEMM blocking differ).</p>`;

const AUTHOR = {
  n: 100, seed: 42, learner: 'gd', lambda: 0.01, lr: 0.1, epochs: 300, tol: 0.000001, diverge: 'continue',
  flip: 0.2, steps: 30, tests: 10, target: 0, sw_gmin: 0.0001, sw_gmax: 10, sw_gn: 30, sw_lmin: 0.1, sw_lmax: 6, sw_ln: 30,
};
// Figure 5's three cells on the author's 30×30 grid (index = row·30 + column): global and low
// load (γ ≈ 1.1e-3, P/N = 0.1), at high load next to the curvature limit, where the paper places
// its ridge (γ ≈ 0.026, P/N ≈ 4.98), and local (γ ≈ 0.92, P/N ≈ 3.15).
const FIG5_PINS = '180,444,705';
const PRESETS = [
  ['Figure 1', 'log10 M over γ × P/N', { ...AUTHOR, sweep: 1, show: 'log10_m', stat: 'pattern' }],
  ['Figure 2', 'force interference ρ', { ...AUTHOR, sweep: 1, show: 'rho', stat: 'pattern' }],
  ['Figure 3', 'forces at γ = 0.001', { ...AUTHOR, section: 1, sec_gamma: 0.001 }],
  ['Figure 4', 'stable rank of α', { ...AUTHOR, sweep: 1, show: 'stable_rank', stat: 'pattern' }],
  ['Figure 5', 'spectra at three cells', { ...AUTHOR, sweep: 1, show: 'log10_m', stat: 'pattern', pins: FIG5_PINS }],
];

const log10 = (v) => (v > 0 ? Math.log10(v) : NaN);
const num = (v) => (v === null || v === undefined ? NaN : v);

// The heatmap quantities: value(cell, median) and how to colour it.
const QUANT = {
  log10_m: { label: 'log10 M', value: (c, med) => log10(med ? c.sharpness_median : c.sharpness) },
  rho: { label: 'ρ = cos(F_d, F_i)', cmap: 'diverging', fixed: [-1, 1], value: (c, med) => num(med ? c.rho_median : c.rho) },
  ratio: { label: 'log10 ‖F_i‖/‖F_d‖', value: (c, med) => log10(med ? c.force_ratio_median : c.force_ratio) },
  stable_rank: { label: 'stable rank of α', value: (c) => num(c.stable_rank) },
  lambda_max: { label: 'log10 λ_max(αᵀKα)', value: (c) => log10(c.lambda_max) },
  recall: { label: 'recall success', fixed: [0, 1], value: (c) => num(c.recall_success) },
  curvature: { label: 'log10 curvature·η/2', cmap: 'diverging', symmetric: true, value: (c, _m, limit) => log10(c.curvature_start / limit) },
};

function fmt(v, digits = 4) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(Math.max(1, digits - 2)).replace('e+', 'e');
  return String(Number(v.toPrecision(digits)));
}

/** Least squares of log10 y on log10 x over cells that did not diverge (the same rule as the CLI's `fit`). */
export function fitCells(cells) {
  const pts = cells.filter((c) => c.status !== 'diverged' && c.lambda_max > 0 && c.sharpness > 0
    && Number.isFinite(c.lambda_max) && Number.isFinite(c.sharpness)).map((c) => [Math.log10(c.lambda_max), Math.log10(c.sharpness)]);
  const n = pts.length;
  if (n < 2) return null;
  const mx = pts.reduce((s, p) => s + p[0], 0) / n, my = pts.reduce((s, p) => s + p[1], 0) / n;
  let sxx = 0, syy = 0, sxy = 0;
  for (const [a, b] of pts) { sxx += (a - mx) ** 2; syy += (b - my) ** 2; sxy += (a - mx) * (b - my); }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, correlation: syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN, count: n };
}

export default {
  mount(root, { charts, el, set, setMany, get }) {
    const box = (title, attrs, ...kids) => el('section', { class: 'panel', ...attrs }, el('h3', {}, title), ...kids);
    const canvas = (name, cls = 'chart') => el('canvas', { class: cls, 'data-chart': name });

    // --- presets
    const presets = el('div', { class: 'klr-presets' }, el('span', {}, 'Author protocol (N = 100, seed 42, 30×30): '),
      PRESETS.map(([name, what, values]) => el('button', { 'data-preset': name, title: what, onclick: () => setMany(values) }, name)),
      el('span', { class: 'hint' }, ' Presets run the paper\'s settings with diverge=continue; the sweep takes minutes.'));

    // --- network
    const status = el('p', { class: 'klr-status stats' });
    const lossCanvas = canvas('loss');
    const patternList = el('div', { class: 'pattern-list' });
    const patternNote = el('p', { class: 'hint' });
    // --- recall
    const probeCanvas = el('canvas', { class: 'grid' });
    const stateCanvas = el('canvas', { class: 'grid' });
    const stateCaption = el('figcaption', {}, 'State');
    const slider = el('input', { type: 'range', min: 0, max: 0, value: 0, 'aria-label': 'step' });
    const play = el('button', {}, '▶ Play');
    const stepBtn = el('button', {}, 'Step');
    const reset = el('button', {}, '⟲ Reset');
    const recallStats = el('p', { class: 'stats klr-recall' });
    const overlapCanvas = canvas('overlap');
    // --- forces
    const forceTable = el('table', { class: 'klr-table' });
    const forceNote = el('p', { class: 'hint' });
    const rhoCanvas = canvas('rho-patterns');
    // --- spectra
    const svCanvas = canvas('singular-values');
    const keCanvas = canvas('kernel-eigenvalues');
    const specStats = el('p', { class: 'stats' });
    // --- capacity
    const capCanvas = canvas('capacity');
    const capStats = el('p', { class: 'stats' });
    // --- phase diagram
    const phaseCanvas = canvas('phase', 'chart clickable');
    const phaseInfo = el('p', { class: 'stats klr-phase-info' });
    const phaseHover = el('p', { class: 'hint klr-hover' }, ' ');
    const quantSel = el('select', { 'aria-label': 'heatmap quantity' }, Object.entries(QUANT).map(([k, q]) => el('option', { value: k }, q.label)));
    const statSel = el('select', { 'aria-label': 'per cell' }, el('option', { value: 'pattern' }, 'at pattern 0'), el('option', { value: 'median' }, 'median over patterns'));
    quantSel.addEventListener('change', () => set('show', quantSel.value));
    statSel.addEventListener('change', () => set('stat', statSel.value));
    const runSweep = el('button', { class: 'klr-run-sweep', onclick: () => set('sweep', '1') }, 'Compute the phase diagram');
    const phaseEmpty = el('div', { class: 'klr-empty' },
      el('p', {}, 'The phase diagram is not computed yet: every cell trains one network. The author\'s 30×30 grid (N = 100, 300 epochs) takes minutes in a browser; the cells appear as they finish and Cancel stops it.'),
      runSweep);
    const scatterCanvas = canvas('prop1');
    const scatterStats = el('p', { class: 'stats' });
    // --- cross-section, pins
    const sectionCanvas = canvas('section');
    const sectionRhoCanvas = canvas('section-rho');
    const sectionStats = el('p', { class: 'stats' });
    const sectionBtn = el('button', { class: 'klr-section', onclick: () => setMany({ section: 1, sec_gamma: 0.001 }) }, 'γ = 0.001 cross-section (Figure 3)');
    const pinsCanvas = canvas('pins');
    const pinsStats = el('p', { class: 'stats' });

    root.append(
      presets,
      el('div', { class: 'panels' },
        box('Training', { 'data-panel': 'training' }, status, lossCanvas, patternList, patternNote),
        box('Recall from a corrupted probe', { 'data-panel': 'recall' },
          el('div', { class: 'recall-pair' },
            el('figure', {}, probeCanvas, el('figcaption', {}, 'Probe (orange: flipped bits)')),
            el('figure', {}, stateCanvas, stateCaption)),
          el('div', { class: 'player' }, play, stepBtn, reset, slider), recallStats, overlapCanvas),
        box('Forces at the stored patterns', { 'data-panel': 'forces' }, forceTable, forceNote, rhoCanvas),
        box('Spectra', { 'data-panel': 'spectra' }, svCanvas, keCanvas, specStats),
        box('Capacity: recall success vs load P/N', { 'data-panel': 'capacity' }, capCanvas, capStats)),
      el('section', { class: 'panel klr-phase', 'data-panel': 'phase' },
        el('h3', {}, 'Phase diagram over γ × P/N'),
        el('div', { class: 'klr-phase-controls' }, el('label', {}, 'Heatmap ', quantSel), el('label', {}, ' Per cell ', statSel),
          el('span', { class: 'hint' }, ' ✕ diverged · • loss rose · red line: curvature = 2/η · click: inspect · shift-click: pin')),
        phaseEmpty, phaseCanvas, phaseHover, phaseInfo),
      el('div', { class: 'panels' },
        box('Proposition 1: M against λ_max(αᵀKα)', { 'data-panel': 'prop1' }, scatterCanvas, scatterStats),
        box('Cross-section: forces against P/N at one γ', { 'data-panel': 'section' }, sectionBtn, sectionCanvas, sectionRhoCanvas, sectionStats),
        box('Pinned cells: normalised singular values of α', { 'data-panel': 'pins' }, pinsCanvas, pinsStats)),
      el('section', { class: 'panel about' }));
    root.querySelector('.about').innerHTML = ABOUT;

    const results = {}; // the last result of every part (merged), for the console and the tests
    const streamed = { sweep: 0, section: 0, capacity: 0 }; // pieces that arrived before their part finished
    window.klrView = { results, streamed };
    let net = null;
    let frame = 0;
    let timer = null;
    const sweepCells = new Map();
    let sweepGrid = null;
    let sweepLimit = 20;
    const sectionCells = new Map();
    let sectionGrid = null;
    const capPoints = new Map();
    let capMeta = null;
    let drawQueued = false;

    // ---------------------------------------------------------------- network
    const stop = () => { if (timer) { clearInterval(timer); timer = null; play.textContent = '▶ Play'; } };
    const drawFrame = () => {
      if (!net || !net.recall) return;
      const r = net.recall;
      const f = r.frames[frame];
      const goal = net.patterns[net.target];
      const marks = new Map();
      f.state.forEach((v, i) => { if (v !== goal[i]) marks.set(i, '#e4572e'); });
      charts.patternGrid(stateCanvas, f.state, net.width, { marks });
      stateCaption.textContent = `State after ${f.step} step${f.step === 1 ? '' : 's'} — ${f.changed} changed, m = ${f.overlap.toFixed(3)}; red: differs from pattern ${net.target}`;
      charts.lineChart(overlapCanvas, {
        height: 170, series: [{ x: r.frames.map((q) => q.step), y: r.frames.map((q) => q.overlap), color: '#1f77b4', points: true, label: `overlap with pattern ${net.target}` }],
        ylim: [Math.min(0, ...r.frames.map((q) => q.overlap)), 1.05], xlabel: 'synchronous step', ylabel: 'm', cursor: f.step, legend: 'bottom-left',
      });
      slider.value = frame;
    };
    play.addEventListener('click', () => {
      if (timer) { stop(); return; }
      if (!net?.recall) return;
      if (frame >= net.recall.frames.length - 1) frame = 0;
      play.textContent = '❚❚ Pause';
      drawFrame();
      timer = setInterval(() => { if (frame >= net.recall.frames.length - 1) { stop(); return; } frame++; drawFrame(); }, 500);
    });
    stepBtn.addEventListener('click', () => { stop(); if (net?.recall && frame < net.recall.frames.length - 1) { frame++; drawFrame(); } });
    reset.addEventListener('click', () => { stop(); frame = 0; drawFrame(); });
    slider.addEventListener('input', () => { stop(); frame = Number(slider.value); drawFrame(); });

    const showNetwork = (r) => {
      stop();
      net = r;
      const t = r.training;
      const stable = t.curvature_start < t.curvature_limit;
      status.dataset.status = t.status;
      status.dataset.numbers = String(r.numbers);
      status.replaceChildren(
        el('b', { class: t.status === 'diverged' ? 'error' : '' }, r.learner === 'krr' ? 'Kernel ridge regression: ' : 'Gradient descent: '),
        `${t.message}. `,
        `Curvature at α = 0: ${fmt(t.curvature_start)} ${stable ? '<' : '>'} 2/η = ${fmt(t.curvature_limit)} (${stable ? 'no overshoot possible' : 'steps can overshoot'}); `,
        `at the end: ${fmt(t.curvature_end)}. λ_max(K) = ${fmt(t.kernel_lambda_max)}. `,
        r.numbers ? '' : el('b', { class: 'error' }, 'No numbers are reported for a diverged training (set diverge=continue to see them, flagged).'));
      const epochs = t.loss.map((_, i) => i);
      charts.lineChart(lossCanvas, {
        height: 200, ylog: true, series: [{ x: epochs, y: t.loss, color: t.status === 'diverged' ? '#d62728' : '#1f77b4', label: `loss (${t.loss_rises} rises)` }],
        hlines: [{ y: t.loss[0], label: 'start: P·N·ln 2', color: '#999' }], xlabel: 'epoch', ylabel: 'loss (log)',
      });
      const shown = Math.min(r.p, 48);
      patternList.replaceChildren(...r.patterns.slice(0, shown).map((pat, mu) => {
        const c = el('canvas', { class: `grid mini${mu === r.target ? ' target' : ''}`, title: `pattern ${mu} — click: show M, ρ and recall at this pattern` });
        const fig = el('figure', { class: 'clickable' }, c, el('figcaption', {}, String(mu)));
        fig.addEventListener('click', () => set('target', mu));
        requestAnimationFrame(() => charts.patternGrid(c, pat, r.width, { cell: Math.max(2, Math.floor(40 / r.width)) }));
        return fig;
      }));
      patternNote.textContent = `${r.p} patterns of N = ${r.n} (load P/N = ${fmt(r.load)})${shown < r.p ? `; first ${shown} shown` : ''}. Click one to inspect it.`;
      // Recall
      const pm = new Map(r.flipped.map((i) => [i, '#f0a202']));
      charts.patternGrid(probeCanvas, r.probe, r.width, { marks: pm });
      if (r.recall) {
        frame = r.recall.frames.length - 1;
        slider.max = frame;
        const rc = r.recall;
        const outcome = rc.recalled ? `recalled pattern ${r.target} exactly`
          : rc.cycled ? 'fell into a 2-cycle'
          : rc.converged ? `settled on a state with m = ${rc.final_overlap.toFixed(3)} (best match: pattern ${rc.best_match}, m = ${rc.best_overlap.toFixed(3)})`
          : `did not settle within ${rc.steps} steps`;
        const tt = r.recall_test;
        recallStats.textContent = `Probe: pattern ${r.target} with ${r.flipped.length} bits flipped; synchronous recall ${outcome} after ${rc.steps} step${rc.steps === 1 ? '' : 's'}. `
          + `Recall test: ${tt.success.filter(Boolean).length} of ${tt.tests} probes (${Math.round(tt.flip * 100)}% flipped, ≤ ${tt.max_steps} steps) end exactly on their pattern; mean overlap ${tt.mean_overlap.toFixed(3)}.`;
        recallStats.dataset.recalled = String(rc.recalled);
        recallStats.dataset.success = String(tt.success_rate);
        drawFrame();
      } else {
        recallStats.textContent = 'No recall: the training diverged and stopped.';
        recallStats.dataset.recalled = 'none';
        charts.patternGrid(stateCanvas, r.probe, r.width, {});
        charts.lineChart(overlapCanvas, { height: 170, series: [] });
      }
      // Forces
      const rows = [['at pattern μ = ' + r.target, r.at_target], ['median over patterns', r.pattern_median], ['mean over patterns', r.pattern_mean]];
      forceTable.replaceChildren(
        el('tr', {}, ['', 'M = ‖∇V‖²', '‖F_d‖²', '‖F_i‖²', 'ρ', '‖F_i‖/‖F_d‖'].map((h) => el('th', {}, h))),
        ...rows.map(([name, s]) => el('tr', {}, el('td', {}, name), [s.sharpness, s.force_direct_sq, s.force_indirect_sq, s.rho, s.force_ratio].map((v) => el('td', {}, fmt(v))))));
      forceNote.textContent = !r.numbers ? ''
        : r.at_target.force_ratio < 1e-3 ? `Here ‖F_i‖ is ${fmt(r.at_target.force_ratio)} of ‖F_d‖: ρ is the angle of a negligible force, not an interaction.`
        : r.at_target.rho < -0.5 ? 'F_i opposes F_d (force antagonism): M ≈ (‖F_d‖ − ‖F_i‖)².' : '';
      if (r.rho) charts.barChart(rhoCanvas, r.rho.map(num), { highlight: r.target, xlabel: `ρ at every stored pattern (red: μ = ${r.target})`, ylabel: 'ρ', height: 140 });
      else charts.barChart(rhoCanvas, [], { height: 140 });
      // Spectra
      if (r.alpha_singular_values) {
        const s1 = r.alpha_singular_values[0] || 1;
        charts.lineChart(svCanvas, {
          height: 190, ylog: true, series: [{ x: r.alpha_singular_values.map((_, i) => i + 1), y: r.alpha_singular_values.map((v) => v / s1), color: '#d62728', points: true, label: 'σ_k/σ_1 of α' }],
          xlabel: 'k', ylabel: 'σ_k / σ_1',
        });
      } else charts.lineChart(svCanvas, { height: 190, series: [] });
      if (r.kernel_eigenvalues) {
        charts.lineChart(keCanvas, {
          height: 190, ylog: true, series: [{ x: r.kernel_eigenvalues.map((_, i) => i + 1), y: r.kernel_eigenvalues, color: '#1f77b4', label: 'eigenvalues of K' }],
          hlines: [{ y: Math.sqrt(8 / t.lr), label: 'λ_max(K) where the curvature reaches 2/η (λ → 0)', color: '#d62728' }],
          xlabel: 'k', ylabel: 'λ_k(K)',
        });
      } else charts.lineChart(keCanvas, { height: 190, series: [] });
      specStats.textContent = `Stable rank of α: ${fmt(r.stable_rank)}; λ_max(αᵀKα) = ${fmt(r.lambda_max)}; λ_max(K) = ${fmt(t.kernel_lambda_max)}`
        + (r.kernel_eigenvalues ? '.' : ' (the full spectrum of K is skipped above P = 1500).');
      drawPhase();
    };

    // The loss curve while a network trains (streamed in chunks from the worker).
    const liveLoss = [];
    let lossQueued = false;
    const drawLiveLoss = () => {
      lossQueued = false;
      if (!liveLoss.length) return;
      charts.lineChart(lossCanvas, {
        height: 200, ylog: true, series: [{ x: liveLoss.map((_, i) => i), y: liveLoss.slice(), color: '#999', label: 'loss (training…)' }],
        hlines: [{ y: liveLoss[0], label: 'start: P·N·ln 2', color: '#999' }], xlabel: 'epoch', ylabel: 'loss (log)',
      });
    };

    // ---------------------------------------------------------------- capacity
    const drawCapacity = () => {
      const pts = [...capPoints.values()].sort((a, b) => a.index - b.index);
      if (!pts.length) { charts.lineChart(capCanvas, { height: 240, series: [] }); return; }
      const load = pts.map((q) => q.load);
      charts.lineChart(capCanvas, {
        height: 240,
        series: [
          { x: load, y: pts.map((q) => num(q.success)), label: 'KLR: exact recall', color: '#d62728', points: true },
          { x: load, y: pts.map((q) => q.hebbian_success), label: 'Hebbian: exact recall', color: '#1f77b4', points: true },
          { x: load, y: pts.map((q) => num(q.mean_overlap)), label: 'KLR: mean overlap', color: '#999', dash: [3, 3] },
          { x: load, y: pts.map((q) => q.diverged), label: 'KLR: trainings diverged', color: '#ff7f0e', dash: [2, 2] },
        ],
        xlim: [0, Math.max(...load) * 1.02], ylim: [0, 1.05], legend: 'bottom-left',
        vlines: [{ x: 0.138, label: 'Hebbian 0.138 N', color: '#1f77b4' }],
        xlabel: 'load P/N', ylabel: 'success rate',
      });
      if (capMeta) capStats.textContent = `N = ${capMeta.n}, γ = ${fmt(capMeta.gamma)}, ${Math.round(capMeta.flip * 100)}% flipped, ${capMeta.tests} probes × ${capMeta.trials} network(s) per load, ≤ ${capMeta.max_steps} steps. `
        + 'Success = a fixed point equal to the probed pattern. A load where every training diverged (diverge=stop) has no KLR point.';
    };

    // ---------------------------------------------------------------- phase diagram
    const selectedCell = () => {
      if (!sweepGrid) return -1;
      const g = Number(get('gamma')), p = Number(get('p'));
      for (const c of sweepCells.values()) if (c.p === p && Math.abs(c.gamma - g) <= 1e-12 * g) return c.index;
      return -1;
    };
    const pins = () => (get('pins') || '').split(',').filter((s) => s !== '').map(Number);

    function drawPhase() {
      drawQueued = false;
      const on = get('sweep') === '1';
      phaseEmpty.hidden = on;
      phaseCanvas.hidden = !on || !sweepGrid;
      if (!on || !sweepGrid) { phaseInfo.textContent = ''; drawScatter(); return; }
      const rows = sweepGrid.gammas.length, cols = sweepGrid.loads.length;
      const q = QUANT[get('show')] || QUANT.log10_m;
      const med = get('stat') === 'median';
      quantSel.value = get('show'); statSel.value = get('stat');
      const values = new Float64Array(rows * cols).fill(NaN);
      const marks = new Map(), faded = new Set(), edges = new Array(rows * cols).fill(null);
      for (const c of sweepCells.values()) {
        values[c.index] = q.value(c, med, sweepLimit);
        if (c.status === 'diverged') marks.set(c.index, 'x');
        else if (c.loss_rises > 0) marks.set(c.index, 'dot');
        if (get('show') === 'rho' && (med ? c.force_ratio_median : c.force_ratio) < 1e-3) faded.add(c.index);
        edges[c.index] = c.curvature_ok;
      }
      let [lo, hi] = q.fixed || [Infinity, -Infinity];
      if (!q.fixed) for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      if (!(hi >= lo)) { lo = 0; hi = 1; }
      if (q.symmetric) { const a = Math.max(Math.abs(lo), Math.abs(hi), 1e-9); lo = -a; hi = a; }
      if (hi === lo) { lo -= 0.5; hi += 0.5; }
      const every = (n) => Math.max(1, Math.ceil(n / 7));
      const xt = [], yt = [];
      for (let c = 0; c < cols; c += every(cols)) xt.push([c, fmt(sweepGrid.loads[c], 2)]);
      for (let r = 0; r < rows; r += every(rows)) yt.push([r, fmt(sweepGrid.gammas[r], 2)]);
      phaseCanvas._pick = charts.gridHeatmap(phaseCanvas, values, rows, cols, {
        lo, hi, cmap: q.cmap || 'viridis', xlabel: `load P/N (N = ${sweepGrid.n})`, ylabel: 'γ (log scale)', xticks: xt, yticks: yt,
        marks, faded, edges, selected: selectedCell(), pins: pins(), colorbar: q.label + (med ? ' (median)' : ''), height: 380,
      });
      phaseCanvas.dataset.cells = String(sweepCells.size);
      const div = [...sweepCells.values()].filter((c) => c.status === 'diverged').length;
      phaseInfo.textContent = `${sweepCells.size} of ${rows * cols} cells · ${div} diverged (✕) · curvature limit 2/η = ${fmt(sweepLimit)} (red line). `
        + (get('show') === 'rho' ? 'Faded: ‖F_i‖/‖F_d‖ < 10⁻³ (an angle of a negligible force). ' : '')
        + 'Grey: no number (diverged and stopped, or not computed yet).';
      phaseInfo.dataset.cells = String(sweepCells.size);
      drawScatter();
    }
    const queueDraw = () => { if (!drawQueued) { drawQueued = true; requestAnimationFrame(drawPhase); } };

    const cellAt = (ev) => { const i = phaseCanvas._pick ? phaseCanvas._pick(ev) : -1; return i >= 0 ? sweepCells.get(i) : undefined; };
    phaseCanvas.addEventListener('click', (ev) => {
      const c = cellAt(ev);
      if (!c) return;
      if (ev.shiftKey) {
        const list = pins();
        const k = list.indexOf(c.index);
        if (k >= 0) list.splice(k, 1); else list.push(c.index);
        set('pins', list.slice(-6).join(','));
      } else setMany({ gamma: c.gamma, p: c.p });
    });
    phaseCanvas.addEventListener('mousemove', (ev) => {
      const c = cellAt(ev);
      if (!c) { phaseHover.textContent = ' '; return; }
      phaseHover.textContent = `γ = ${fmt(c.gamma)}, P/N = ${fmt(c.load)} (P = ${c.p}): ${c.status}${c.diverged_epoch ? ` at epoch ${c.diverged_epoch}` : ''}; `
        + `M = ${fmt(c.sharpness)}, ρ = ${fmt(c.rho)}, ‖F_i‖/‖F_d‖ = ${fmt(c.force_ratio)}, stable rank ${fmt(c.stable_rank)}, λ_max = ${fmt(c.lambda_max)}, `
        + `recall ${fmt(c.recall_success)}, curvature ${fmt(c.curvature_start)}`;
    });

    function drawScatter() {
      const cells = [...sweepCells.values()];
      const ok = cells.filter((c) => c.status !== 'diverged' && c.lambda_max > 0 && c.sharpness > 0);
      const bad = cells.filter((c) => c.status === 'diverged' && c.lambda_max > 0 && c.sharpness > 0);
      const fit = fitCells(cells);
      const series = [
        { x: bad.map((c) => c.lambda_max), y: bad.map((c) => c.sharpness), color: '#d62728', points: true, pointsOnly: true, label: 'diverged (not fitted)' },
        { x: ok.map((c) => c.lambda_max), y: ok.map((c) => c.sharpness), color: '#1f77b4', points: true, pointsOnly: true, label: 'cells (converged / budget)' },
      ];
      if (fit) {
        const xs = ok.map((c) => c.lambda_max);
        const x0 = Math.min(...xs), x1 = Math.max(...xs);
        series.push({ x: [x0, x1], y: [x0, x1].map((x) => 10 ** (fit.intercept + fit.slope * Math.log10(x))), color: '#222', dash: [4, 3], label: `fit: slope ${fit.slope.toFixed(3)}` });
      }
      charts.lineChart(scatterCanvas, { height: 240, xlog: true, ylog: true, series: series.filter((s) => s.x.length), xlabel: 'λ_max(αᵀKα)', ylabel: 'M at pattern 0', legend: 'top-left' });
      scatterStats.textContent = fit
        ? `Log-log fit over ${fit.count} non-diverged cells: slope ${fit.slope.toFixed(3)} (Proposition 1 predicts 1), correlation ${fit.correlation.toFixed(3)}.`
        : 'Needs the phase diagram (at least two non-diverged cells).';
      scatterStats.dataset.slope = fit ? String(fit.slope) : '';
    }

    // ---------------------------------------------------------------- cross-section
    function drawSection() {
      const on = get('section') === '1';
      sectionBtn.hidden = on;
      const cells = [...sectionCells.values()].sort((a, b) => a.index - b.index);
      if (!on || !cells.length) {
        charts.lineChart(sectionCanvas, { height: 220, series: [] });
        charts.lineChart(sectionRhoCanvas, { height: 150, series: [] });
        sectionStats.textContent = on ? 'Computing…' : 'Not computed: the button runs it (the paper\'s Figure 3 uses γ = 0.001).';
        return;
      }
      const med = get('stat') === 'median';
      const x = cells.map((c) => c.load);
      const pick = (k) => cells.map((c) => num(med ? c[`${k}_median`] : c[k]));
      charts.lineChart(sectionCanvas, {
        height: 220, ylog: true, legend: 'top-left',
        series: [
          { x, y: pick('force_direct_sq'), label: '‖F_d‖²', color: '#1f77b4', points: true },
          { x, y: pick('force_indirect_sq'), label: '‖F_i‖²', color: '#2ca02c', points: true },
          { x, y: pick('sharpness'), label: 'M = ‖∇V‖²', color: '#d62728', points: true },
        ],
        xlabel: 'load P/N', ylabel: med ? 'median over patterns (log)' : 'at pattern 0 (log)',
      });
      charts.lineChart(sectionRhoCanvas, {
        height: 150, ylim: [-1.05, 1.05], legend: 'bottom-left',
        series: [{ x, y: pick('rho'), label: 'ρ', color: '#9467bd', points: true }, { x, y: pick('force_ratio').map((v) => Math.min(v, 1.05)), label: '‖F_i‖/‖F_d‖ (capped at 1)', color: '#8c564b', dash: [3, 3] }],
        xlabel: 'load P/N', ylabel: 'ρ',
      });
      const div = cells.filter((c) => c.status === 'diverged');
      sectionStats.textContent = `γ = ${fmt(sectionGrid?.gammas?.[0] ?? cells[0].gamma)}, ${cells.length} loads. `
        + (div.length ? `Training diverged at ${div.length} of them (P/N ≥ ${fmt(Math.min(...div.map((c) => c.load)))})${get('diverge') === 'stop' ? ': no numbers there (diverge=stop)' : ': their numbers describe an unstable training'}.` : 'No training diverged.');
      sectionStats.dataset.cells = String(cells.length);
    }

    // ---------------------------------------------------------------- pins
    function drawPins(list) {
      // Colours follow the order of `pins`, as the outlines on the heatmap do.
      const withSv = (list || []).map((p, k) => [p, k]).filter(([p]) => p.alpha_singular_values);
      charts.lineChart(pinsCanvas, {
        height: 240, ylog: true, legend: 'bottom-left',
        series: withSv.map(([p, k]) => ({
          x: p.alpha_singular_values.map((_, i) => i + 1), y: p.alpha_singular_values.map((v) => v / p.alpha_singular_values[0]),
          color: charts.COLORS[k % charts.COLORS.length], label: `γ = ${fmt(p.gamma, 2)}, P/N = ${fmt(p.load, 3)}: SR ${fmt(p.stable_rank, 3)}${p.status === 'diverged' ? ' (diverged)' : ''}`,
        })),
        xlabel: 'k', ylabel: 'σ_k / σ_1',
      });
      pinsStats.textContent = (list || []).length
        ? `${list.length} pinned cell(s); colours match the outlines on the heatmap.` + ((list || []).some((p) => !p.alpha_singular_values) ? ' Cells without numbers (diverged and stopped) are not drawn.' : '')
        : 'Shift-click heatmap cells to pin them (the Figure 5 preset pins three).';
    }

    // ---------------------------------------------------------------- parts
    const mergeCells = (a, b) => a.concat(b).sort((x, y) => x.index - y.index);
    return {
      shards(part) {
        const heavy = part === 'capacity' || (part === 'sweep' && get('sweep') === '1') || (part === 'section' && get('section') === '1');
        return heavy ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2)) : 1;
      },
      merge(part, rs) {
        const first = rs[0];
        const key = part === 'capacity' ? 'capacity' : part;
        if (!first[key]) return first;
        const field = part === 'capacity' ? 'points' : 'cells';
        const all = rs.map((r) => r[key][field]).reduce(mergeCells, []);
        const merged = { ...first[key], shard: 0, shards: 1, [field]: all };
        if (part !== 'capacity') merged.fit = fitCells(all);
        return { ...first, [key]: merged };
      },
      busy(part, on) {
        const panel = { network: '[data-panel="training"]', capacity: '[data-panel="capacity"]', sweep: '[data-panel="phase"]', section: '[data-panel="section"]', pins: '[data-panel="pins"]' }[part];
        root.querySelector(panel)?.classList.toggle('busy', on && part !== 'sweep' && part !== 'section');
        if (on && part in streamed) streamed[part] = 0;
        if (on && part === 'sweep') { sweepCells.clear(); sweepGrid = null; queueDraw(); }
        if (on && part === 'section') { sectionCells.clear(); drawSection(); }
        if (on && part === 'capacity') { capPoints.clear(); }
      },
      partial(part, piece) {
        if (piece.loss_chunk) {
          const { from, loss } = piece.loss_chunk;
          if (from === 0) liveLoss.length = 0;
          liveLoss.push(...loss);
          if (!lossQueued) { lossQueued = true; requestAnimationFrame(drawLiveLoss); }
        }
        if (piece.sweep_grid) { sweepGrid = piece.sweep_grid; queueDraw(); }
        if (piece.sweep_cell) { streamed.sweep++; sweepCells.set(piece.sweep_cell.index, piece.sweep_cell); queueDraw(); }
        if (piece.section_grid) sectionGrid = piece.section_grid;
        if (piece.section_cell) { streamed.section++; sectionCells.set(piece.section_cell.index, piece.section_cell); drawSection(); }
        if (piece.capacity_point) { streamed.capacity++; capPoints.set(piece.capacity_point.index, piece.capacity_point); drawCapacity(); }
      },
      show(part, result) {
        results[part] = result;
        if (part === 'network') showNetwork(result);
        if (part === 'capacity') {
          capMeta = result.capacity;
          capPoints.clear();
          for (const p of result.capacity.points) capPoints.set(p.index, p);
          drawCapacity();
        }
        if (part === 'sweep') {
          sweepCells.clear();
          const s = result.sweep;
          if (s) {
            sweepGrid = { n: s.n, gammas: s.gammas, loads: s.loads };
            sweepLimit = s.curvature_limit;
            for (const c of s.cells) sweepCells.set(c.index, c);
          } else sweepGrid = null;
          drawPhase();
        }
        if (part === 'section') {
          sectionCells.clear();
          if (result.section) for (const c of result.section.cells) sectionCells.set(c.index, c);
          drawSection();
        }
        if (part === 'pins') drawPins(result.pins);
      },
      params() { queueDraw(); drawSection(); },
    };
  },
};
