// Dense associative memory lab view: the phase portrait with animated particles over two
// energy landscapes (Figure 1), fixed points, the Lyapunov monitor, the dead-neuron
// analysis, Proposition 3, Appendix C and Example 7. Every number comes from the wasm
// core: the parts run in workers (hp.run), the particles on the main thread (hp.DenseFlow).

const ABOUT = `
<h3>About this lab</h3>
<p><b>Systems.</b> The Krotov–Hopfield memory (1) <code>ẏ = W g(y) − y + b</code> with <code>g = ∇L</code> and
Hessian <code>Λ = ∇²L</code>; the modified system (9) <code>ẏ = R(y)(W g(y) − y + b)</code>; the u-form (5)
<code>u̇ = R(u)(g(Wu + b) − u)</code> with R = W (Example 5.1), the polar factor O of W = OP (Example 5.2),
I − WᵀΛ(Wu + b) (Examples 6–7) or I (no guarantee). Lagrangians: ReLU, sigmoid, softmax, tanh, the smooth leaky ReLU
<code>g(u) = u(5 + 3 erf(3u/8))/8</code> of Example 7, and the identity.</p>
<p><b>Energies.</b> KH (2) <code>E = (y − b)ᵀg − L − ½gᵀWg</code>; E3 (10) <code>½‖Wg(y) − y + b‖²</code>; on the u-form E1, E2 and
<code>E3 = ½‖u − g(Wu + b)‖²</code> of Proposition 5. The status of every (dynamics, energy) pair — proven non-increasing or not — is
printed beside its monitor; increases larger than rounding (10⁻¹⁰ relative) are counted over every accepted step and marked red.</p>
<p><b>Where this lab departs from the printed text, and why.</b> (i) With R = I − WΛ as printed, E3 is <i>not</i> a Lyapunov function of (9):
<code>Ė3 = −fᵀ(I − WΛ)²f</code> takes both signs (the default system at (0.8, −0.4) gives Ė3 = +0.08; preset “(9) as printed”).
The transposed R = I − ΛWᵀ makes (9) the gradient flow of E3 (<code>dynamics=mod_t</code>); both are offered.
(ii) Proposition 4.3 prints <code>ỹ + P_d(Wg(ỹ) + b)</code>; the steady state is <code>P_a ỹ + P_d(Wg(ỹ) + b)</code> — both are computed,
with their residuals. (iii) Example 7 calls its energy E2; it is Proposition 5's E3 with S = I. Its note that Λ is not positive
definite does not hold for this g: g′ stays in [0.153, 1.097].</p>
<p><b>What to look for.</b> Flat regions (white wash): ‖∇E‖ ≤ flat_tol·‖F‖ while the flow moves — the KH energy cannot see the dead
directions (Proposition 1), E3 can. The modified dynamics keep the steady states of (1) but not their stability: for the default
system, the saddle of (1) at (1/3, 1/3) attracts under (9), since J = −R² there.</p>
<p><b>Dead neurons in N dimensions</b> (Section 3.2): at the steady state of (1), k = dim null Λ (eigenvalues ≤ dead_tol·max(1, λmax)),
<code>S = W⊥Λ⊥ − I</code> on the living directions, the full Jacobian WΛ − I, and the energy's Hessian on the range of Λ.
<b>Proposition 3</b>: ‖W⊥‖₂/‖W‖₂ for GOE W (diagonal N(0, 1), off-diagonal N(0, ½)) with k random neurons dead (W⊥ = principal
submatrix), ratio of Monte-Carlo means ± 2 standard errors against √(1 − k/N) and Chiani's finite-N mean of λ_max (μ_TW = −1.2065);
at small N − k the measured norm, max(|λ_min|, λ_max), sits slightly above that λ_max estimate.
<b>Appendix C</b>: ReLU memory with ρ(W) = 1 − ε: one fixed point, every trajectory within e^{−εt}‖y(0) − y*‖ of it.
<b>Example 7</b>: layered memory, non-symmetric blocks scaled to norm ½, ‖W‖₂ ≤ 1.</p>
<p><b>Numerics.</b> Trajectories use the integrator chosen (RK4 with step dt, or adaptive Dormand–Prince 5(4) with relative and absolute
tolerance tol); runs stop, and say so, on NaN/overflow, blow-up, vanishing steps or exhausted step budgets. The particles run RK4 with sub-steps ≤ 0.02:
on the GPU (WebGPU, f32, one compute dispatch for all particles per update, read back asynchronously) once the page's self-check has
verified WebGPU and the link does not say <code>backend=cpu</code>; otherwise on the CPU (WebAssembly, f64). The two agree within
10⁻⁵·(1 + |x|) per coordinate over a few frames (tested; f32 rounding, and erf by Abramowitz–Stegun 7.1.26: error ≤ 1.5·10⁻⁷ in exact
arithmetic). A particle whose step is
non-finite, unstable twice in a row (h·L &gt; 2.78) or implausibly long stops (red) and the rest keep going; a GPU error sends the
particles back to the CPU, and the status line says so. All transcendental functions of the CPU path come from <code>libm</code>, so the
page and the <code>hopfield</code> CLI agree; nalgebra's eigen-solvers may differ in the last bits between the two builds.</p>`;

const PRESETS = [
  { label: 'Figure 1: ReLU, KH vs E3', title: 'Two memories, flat KH energy where a neuron is dead; E3 beside it',
    values: { lagrangian: 'relu', w11: 0, w12: -2, w21: -2, w22: 0, b1: 1, b2: 1, dynamics: 'kh', energy: 'kh', energy2: 'e3', xmin: -3, xmax: 3, ymin: -3, ymax: 3, x0: -1.5, y0: 2, t_end: 20, integrator: 'dopri' } },
  { label: 'Ex. 2: ReLU', title: 'A memory with a dead neuron: the KH energy is constant along y₁ ≤ 0',
    values: { lagrangian: 'relu', w11: 0.2, w12: -0.4, w21: -0.4, w22: 0.2, b1: -1, b2: 0.5, dynamics: 'kh', energy: 'kh', energy2: 'e3', xmin: -3, xmax: 3, ymin: -3, ymax: 3, x0: 2, y0: -2, t_end: 20, integrator: 'dopri' } },
  { label: 'Ex. 3: sigmoid', title: 'Saturated sigmoid neurons: flat energy for y ≫ 1',
    values: { lagrangian: 'sigmoid', w11: 0, w12: 30, w21: 30, w22: 0, b1: -5, b2: -5, dynamics: 'kh', energy: 'kh', energy2: 'e3', xmin: -15, xmax: 40, ymin: -15, ymax: 40, x0: 5, y0: 30, t_end: 20, integrator: 'dopri' } },
  { label: 'Ex. 4: softmax', title: 'Softmax: the KH energy is constant along (1, 1) everywhere',
    values: { lagrangian: 'softmax', w11: 3, w12: 0, w21: 0, w22: 3, b1: 0, b2: 0, dynamics: 'kh', energy: 'kh', energy2: 'e3', xmin: -2, xmax: 5, ymin: -2, ymax: 5, x0: -1, y0: 4, t_end: 20, integrator: 'dopri' } },
  { label: '(9) as printed: E3 rises', title: 'R = I − WΛ: the monitor flags increases of E3',
    values: { lagrangian: 'relu', w11: 0, w12: -2, w21: -2, w22: 0, b1: 1, b2: 1, dynamics: 'mod', energy: 'e3', energy2: 'kh', xmin: -3, xmax: 3, ymin: -3, ymax: 3, x0: 0.8, y0: -0.4, t_end: 5, integrator: 'dopri' } },
  { label: '(9) transposed: gradient flow', title: 'R = I − ΛWᵀ: E3 never increases',
    values: { lagrangian: 'relu', w11: 0, w12: -2, w21: -2, w22: 0, b1: 1, b2: 1, dynamics: 'mod_t', energy: 'e3', energy2: 'kh', xmin: -3, xmax: 3, ymin: -3, ymax: 3, x0: 0.8, y0: -0.4, t_end: 5, integrator: 'dopri' } },
  { label: 'u-form, R = W', title: 'Example 5.1: E2 is a Lyapunov function of (5) with R = W',
    values: { lagrangian: 'tanh', w11: 1.5, w12: -1, w21: -1, w22: 1.5, b1: 0.3, b2: -0.2, dynamics: 'u', r: 'w', energy: 'e2', energy2: 'e3', xmin: -2, xmax: 2, ymin: -2, ymax: 2, x0: -1.5, y0: 1.5, t_end: 20, integrator: 'dopri' } },
  { label: 'Non-symmetric W', title: 'W ≠ Wᵀ: the KH energy rises along (1)',
    values: { lagrangian: 'tanh', w11: 0, w12: 3, w21: -3, w22: 0, b1: 1, b2: 0.5, dynamics: 'kh', energy: 'kh', energy2: 'e3', xmin: -4, xmax: 4, ymin: -4, ymax: 4, x0: 2, y0: 2, t_end: 20, integrator: 'dopri' } },
  { label: 'Stiff: huge W', title: 'W = −400 I with tanh: explicit steps are unstable near the axes; particles and RK4 stop there',
    values: { lagrangian: 'tanh', w11: -400, w12: 0, w21: 0, w22: -400, b1: 0, b2: 0, dynamics: 'kh', energy: 'kh', energy2: 'e3', xmin: -3, xmax: 3, ymin: -3, ymax: 3, x0: 0.05, y0: 2, t_end: 5, integrator: 'rk4', dt: 0.01 } },
];

const STAB = { stable: 'filled', unstable: 'hollow', marginal: 'half' };
const fmtc = (c, f) => (Math.abs(c.im) < 1e-14 ? f(c.re) : `${f(c.re)} ${c.im < 0 ? '−' : '+'} ${f(Math.abs(c.im))}i`);

export default {
  mount(root, { hp, charts, el, set, setMany, get, backend }) {
    const f = charts.fmt;
    const box = (title, attrs, ...kids) => el('section', { class: 'panel', ...attrs }, el('h3', {}, title), ...kids);
    const presets = el('div', { class: 'dense-presets', style: 'display:flex;flex-wrap:wrap;gap:.4rem;margin-bottom:.6rem' },
      el('span', { class: 'hint', style: 'align-self:center' }, 'Presets:'),
      PRESETS.map((p) => el('button', { title: p.title, 'data-preset': p.label, onclick: () => setMany(p.values) }, p.label)));

    // W and b, draggable numbers.
    const KEYS = ['w11', 'w12', 'w21', 'w22', 'b1', 'b2'];
    const scrub = {};
    const num = (k) => {
      const s = el('span', { class: 'scrub', 'data-key': k, tabindex: 0, title: `drag sideways to change ${k}; release to apply`,
        style: 'display:inline-block;min-width:3.2em;text-align:right;padding:0 .25em;border-bottom:1px dashed #888;cursor:ew-resize;font-family:ui-monospace,monospace;user-select:none;touch-action:none' });
      scrub[k] = s;
      return s;
    };
    const editor = el('div', { class: 'wb-editor', style: 'font-size:.9rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap' },
      el('span', {}, 'W = [', num('w11'), num('w12'), ' ; ', num('w21'), num('w22'), ']'),
      el('span', {}, 'b = (', num('b1'), ',', num('b2'), ')'),
      el('span', { class: 'hint' }, 'drag a number sideways (particles follow live; the maps update on release)'));

    const planeA = el('canvas', { class: 'plane clickable', 'data-plane': 'a', 'aria-label': 'phase portrait over energy A (click to start a trajectory)' });
    const particles = el('canvas', { class: 'particles', 'data-particles': '1', style: 'position:absolute;pointer-events:none;left:0;top:0' });
    const overlayA = el('canvas', { class: 'overlay', style: 'position:absolute;pointer-events:none;left:0;top:0' });
    const planeB = el('canvas', { class: 'plane clickable', 'data-plane': 'b', 'aria-label': 'energy B (click to start a trajectory)' });
    const titleA = el('span', {}, 'Energy A');
    const titleB = el('span', {}, 'Energy B');
    const playBtn = el('button', {}, '❚❚ Pause');
    const resetBtn = el('button', { title: 'Respawn every particle (stopped ones included)' }, '⟲ Restart particles');
    const readout = el('span', { class: 'hint readout' });
    const flowStatus = el('p', { class: 'stats flow-status' });
    const trajStatus = el('p', { class: 'stats traj-status' });
    const legend = el('p', { class: 'hint' }, 'Markers: ● stable, ○ unstable, ◐ marginal, ■ zero of R only (not a steady state); white wash: flat (‖∇E‖ ≤ flat_tol·‖F‖); orange: the trajectory (click a map to move its start); red particles: stopped.');
    const wrapA = el('div', { class: 'plane-wrap', style: 'position:relative;display:inline-block' }, planeA, particles, overlayA);
    const pair = el('div', { class: 'dense-pair', style: 'display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1rem' },
      box('', { 'data-panel': 'a' }, wrapA),
      box('', { 'data-panel': 'b' }, planeB));
    pair.children[0].querySelector('h3').append(titleA);
    pair.children[1].querySelector('h3').append(titleB);

    const monitor = el('div', { class: 'monitor' });
    const fpTable = el('div', { class: 'fp-table', style: 'overflow:auto' });
    const deadText = el('div', { class: 'stats dead-text' });
    const deadChart = el('canvas', { class: 'chart', 'data-chart': 'dead' });
    const deadTable = el('div', { style: 'overflow:auto' });
    const p3Chart = el('canvas', { class: 'chart', 'data-chart': 'prop3' });
    const p3Text = el('p', { class: 'stats' });
    const cPlane = el('canvas', { class: 'chart', 'data-chart': 'appc-plane' });
    const cDist = el('canvas', { class: 'chart', 'data-chart': 'appc-dist' });
    const cText = el('p', { class: 'stats' });
    const e7Chart = el('canvas', { class: 'chart', 'data-chart': 'ex7' });
    const e7Text = el('p', { class: 'stats' });

    root.append(
      presets,
      el('section', { class: 'panel', style: 'margin-bottom:1rem' }, editor,
        el('div', { class: 'player' }, playBtn, resetBtn, readout), flowStatus, trajStatus, legend),
      pair,
      el('div', { class: 'panels', style: 'margin-top:1rem' },
        box('Lyapunov monitor: the energies along the trajectory', { 'data-panel': 'monitor' }, monitor),
        box('Fixed points (Levenberg–Marquardt on f and on F from a 15 × 15 lattice) and their Jacobian eigenvalues', { 'data-panel': 'fixed' }, fpTable),
        box('Dead neurons at a steady state in N dimensions (Sec. 3.2, Prop. 4)', { 'data-panel': 'dead' }, deadText, deadChart, deadTable),
        box('Proposition 3: ‖W⊥‖₂ / ‖W‖₂ for GOE W against √(1 − k/N)', { 'data-panel': 'prop3' }, p3Chart, p3Text),
        box('Appendix C: ρ(W) = 1 − ε, one fixed point', { 'data-panel': 'appc' }, cPlane, cDist, cText),
        box('Example 7: layered smooth-leaky-ReLU memory, non-symmetric W', { 'data-panel': 'ex7' }, e7Chart, e7Text)),
      el('section', { class: 'panel about' }));
    root.querySelector('.about').innerHTML = ABOUT;

    const res = {};
    let query = null;
    let geomA = null;
    let geomB = null;
    let flow = null;
    let image = null;
    let playing = true;
    let raf = 0;
    let lastT = 0;
    let frames = 0;
    // Frame statistics for the benchmark (tests/bench/dense-fps.mjs): work per frame, frame intervals and
    // the times of the frames that moved the particles (on the GPU path a frame whose readback is still in
    // flight draws nothing), in ms.
    const stats = { work: [], interval: [], updates: [], reset() { this.work.length = 0; this.interval.length = 0; this.updates.length = 0; } };
    window.__denseStats = stats;
    // The browser tests reach the particle flow here (e.g. to simulate a lost GPU device).
    Object.defineProperty(window, '__denseFlow', { configurable: true, get: () => flow });

    const planeSize = () => {
      const w = pair.clientWidth || 900;
      const cols = w >= 640 ? 2 : 1;
      return Math.max(280, Math.min(520, Math.floor((w - (cols - 1) * 16) / cols) - 32));
    };

    const drawPlanes = () => {
      const L = res.landscape?.landscape;
      const sys = (res.landscape || res.fixed_points || res.trajectory)?.system;
      if (!L || !sys) return;
      const size = planeSize();
      const markers = (res.fixed_points?.fixed_points?.points || []).map((p) => ({
        x: p.x[0], y: p.x[1], kind: p.steady ? STAB[p.stability] : 'square', color: p.steady ? '#fff' : '#f0a202' }));
      const tr = res.trajectory?.trajectory;
      const path = tr ? [{ data: tr.x.flatMap((x, i) => [x, tr.y[i]]), color: '#ff7f0e', width: 2.2 }] : [];
      const startMark = tr ? [{ x: tr.start[0], y: tr.start[1], kind: 'dot', color: '#ff7f0e', size: 4 }] : [];
      const streams = (L.streamlines || []).map((d) => ({ data: d, color: 'rgba(255,255,255,0.55)', width: 0.8 }));
      const axis = sys.state === 'u' ? ['u₁', 'u₂'] : ['y₁', 'y₂'];
      const one = (canvas, m, top) => charts.planeMap(canvas, {
        size, extent: L.extent, xlabel: axis[0], ylabel: axis[1],
        image: { values: m.values, rows: L.grid, cols: L.grid, lo: m.lo, hi: m.hi, cmap: 'viridis', transform: m.color_scale === 'sqrt' ? (v) => Math.sqrt(Math.max(0, v)) : undefined },
        mask: { values: m.flat, rows: L.grid, cols: L.grid, rgba: [255, 255, 255, 120] },
        segments: m.contours.map((d) => ({ data: d, color: 'rgba(0,0,0,0.42)', width: 0.8 })),
        polylines: [...streams, ...(top ? path : [])], markers: top ? [...markers, ...startMark] : [],
      });
      // A: map below, particles in the middle, trajectory and fixed points on top.
      geomA = one(planeA, L.a, false);
      charts.planeMap(overlayA, { size, extent: L.extent, bare: true, polylines: path, markers: [...markers, ...startMark] });
      geomB = one(planeB, L.b, true);
      const tag = (m) => `${m.label} — ${m.guarantee.proven ? 'non-increasing (proven)' : 'no guarantee'}; flat: ${(100 * m.flat_fraction).toFixed(1)}% of the view`;
      titleA.textContent = `${tag(L.a)} · particles`;
      titleB.textContent = tag(L.b);
      planeA.dataset.ready = '1';
      planeB.dataset.ready = '1';
      placeParticles();
    };

    const placeParticles = () => {
      if (!geomA) return;
      const { l, t, w, h } = geomA.rect;
      const pw = Math.max(1, Math.round(w)), ph = Math.max(1, Math.round(h));
      particles.style.left = `${l}px`; particles.style.top = `${t}px`;
      particles.style.width = `${w}px`; particles.style.height = `${h}px`;
      if (particles.width !== pw || particles.height !== ph || !image) {
        particles.width = pw; particles.height = ph;
        image = new ImageData(pw, ph);
        flow?.resize(pw, ph);
      }
    };

    // The particles move to the GPU once the page's self-check has verified WebGPU and the link does not
    // force the CPU (`backend()` says which); DenseFlow ignores repeats.
    let adapter = '';
    navigator.gpu?.requestAdapter().then((a) => {
      const i = a?.info;
      if (i && (i.vendor || i.architecture)) adapter = ` [${[i.vendor, i.architecture].filter(Boolean).join(' ')}]`;
    }).catch(() => {});
    const followBackend = () => {
      const verdict = backend();
      if (verdict === 'webgpu') flow.use_gpu();
      else if (verdict === 'cpu') flow.no_gpu('the page has no verified WebGPU (see the status line at the bottom)');
    };

    const showStatus = () => {
      if (!flow) return;
      followBackend();
      const s = JSON.parse(flow.status());
      const stopped = s.stopped_nonfinite + s.stopped_unstable;
      flowStatus.dataset.live = String(s.live);
      flowStatus.dataset.stopped = String(stopped);
      flowStatus.dataset.path = s.path;
      flowStatus.dataset.gpuError = s.gpu_error ? '1' : '';
      flowStatus.classList.toggle('error', Boolean(s.gpu_error));
      const where = s.path === 'gpu' ? `on the ${s.backend.replace(/\), RK4/, `)${adapter}, RK4`)}`
        : `on the ${s.backend} — ${s.gpu_error || `not on the GPU: ${s.gpu_note}`}`;
      flowStatus.textContent = s.error ? `Particles: ${s.error}`
        : `Particles: ${s.particles.toLocaleString('en')} advected by RK4 (sub-steps ≤ 0.02) ${where}.` +
          (stopped ? ` ${stopped} stopped (${s.stopped_nonfinite} NaN/overflow, ${s.stopped_unstable} with an unstable step: stiff system or blow-up)` +
            `${s.live ? `; the other ${s.live.toLocaleString('en')} keep running` : ''}. A lower speed shrinks the step (each frame advances speed/60 in model time); Restart respawns them.` : ' None stopped.');
    };

    // The animation: one wasm call per frame advects every particle and renders the trails.
    const tick = (now) => {
      raf = 0;
      if (!root.isConnected) { flow?.free?.(); flow = null; window.removeEventListener('resize', onResize); return; }
      const dt = lastT ? (now - lastT) / 1000 : 0;
      if (lastT) stats.interval.push(now - lastT);
      lastT = now;
      if (playing && flow && image && Number(get('particles')) > 0) {
        const t0 = performance.now();
        flow.frame(dt, new Uint8Array(image.data.buffer));
        if (flow.drawn()) {
          particles.getContext('2d').putImageData(image, 0, 0);
          stats.updates.push(now);
        }
        stats.work.push(performance.now() - t0);
        if (stats.work.length > 20000) { stats.work.splice(0, 10000); stats.interval.splice(0, 10000); stats.updates.splice(0, 10000); }
      }
      if (++frames % 30 === 0) showStatus();
      raf = requestAnimationFrame(tick);
    };
    const startLoop = () => { if (!raf) { lastT = 0; raf = requestAnimationFrame(tick); } };

    playBtn.addEventListener('click', () => { playing = !playing; playBtn.textContent = playing ? '❚❚ Pause' : '▶ Play'; });
    resetBtn.addEventListener('click', () => { flow?.reset(); if (image) image.data.fill(0); showStatus(); });

    // Click a map: the trajectory starts there. Hover: read the maps.
    for (const [canvas, which] of [[planeA, 'a'], [planeB, 'b']]) {
      canvas.addEventListener('click', (ev) => {
        const g = which === 'a' ? geomA : geomB;
        if (!g) return;
        const r = canvas.getBoundingClientRect();
        const [x, y] = g.fromPixel(ev.clientX - r.left, ev.clientY - r.top);
        setMany({ x0: Number(x.toPrecision(4)), y0: Number(y.toPrecision(4)) });
      });
      canvas.addEventListener('mousemove', (ev) => {
        const g = which === 'a' ? geomA : geomB;
        const L = res.landscape?.landscape;
        if (!g || !L) return;
        const r = canvas.getBoundingClientRect();
        const [x, y] = g.fromPixel(ev.clientX - r.left, ev.clientY - r.top);
        const [x0, x1, y0, y1] = L.extent;
        const c = Math.round(((x - x0) / (x1 - x0)) * (L.grid - 1)), rr = Math.round(((y1 - y) / (y1 - y0)) * (L.grid - 1));
        if (c < 0 || rr < 0 || c >= L.grid || rr >= L.grid) { readout.textContent = ''; return; }
        const k = rr * L.grid + c;
        readout.textContent = `(${f(x)}, ${f(y)}): ${L.a.energy} = ${f(L.a.values[k])}, ${L.b.energy} = ${f(L.b.values[k])}, dead neurons k = ${L.dead[k]}${L.a.flat[k] ? `, ${L.a.energy} flat` : ''}${L.b.flat[k] ? `, ${L.b.energy} flat` : ''}`;
      });
    }

    // Dragging W and b.
    const current = () => Object.fromEntries(KEYS.map((k) => [k, Number(scrub[k].dataset.value)]));
    for (const k of KEYS) {
      const s = scrub[k];
      let drag = null;
      s.addEventListener('pointerdown', (ev) => {
        s.setPointerCapture(ev.pointerId);
        const v0 = Number(s.dataset.value);
        drag = { x: ev.clientX, v0, step: 0.01 * Math.max(1, Math.abs(v0)), moved: false };
      });
      s.addEventListener('pointermove', (ev) => {
        if (!drag) return;
        const v = Math.round((drag.v0 + (ev.clientX - drag.x) * drag.step) * 1000) / 1000;
        drag.moved = true;
        s.dataset.value = String(v);
        s.textContent = f(v);
        const c = current();
        flow?.set_weights(c.w11, c.w12, c.w21, c.w22, c.b1, c.b2);
      });
      const end = () => {
        if (drag?.moved) set(k, s.dataset.value);
        drag = null;
      };
      s.addEventListener('pointerup', end);
      s.addEventListener('pointercancel', end);
      s.addEventListener('keydown', (ev) => {
        if (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown') return;
        ev.preventDefault();
        const v = Number(s.dataset.value);
        set(k, String(Math.round((v + (ev.key === 'ArrowUp' ? 1 : -1) * 0.1 * Math.max(1, Math.abs(v))) * 1000) / 1000));
      });
    }

    const showMonitor = (r) => {
      const tr = r.trajectory;
      trajStatus.textContent = `Trajectory from (${f(tr.start[0])}, ${f(tr.start[1])}): ${tr.integrator} — ${tr.stats.steps} steps` +
        `${tr.method.method === 'dopri' ? ` (${tr.stats.rejected} rejected)` : ''}, ${tr.stats.evals} evaluations; ${tr.stop_reason} at t = ${f(tr.stats.t)}; ‖f‖ at the end = ${f(tr.final_residual)}.`;
      trajStatus.dataset.stop = tr.stats.stop;
      monitor.replaceChildren(...tr.energies.map((e, i) => {
        const c = el('canvas', { class: 'chart', 'data-chart': `energy-${e.energy}` });
        const flag = e.increase_count
          ? el('span', { class: 'error', 'data-increases': String(e.increase_count) }, ` ⚠ ${e.increase_count} increase${e.increase_count === 1 ? '' : 's'} (largest ${f(e.largest_increase)})`)
          : el('span', { 'data-increases': '0' }, ' never increases here');
        const head = el('p', { class: 'stats' }, el('b', {}, i === 0 ? `${e.label} (chosen)` : e.label), flag,
          el('br'), `${e.guarantee.proven ? '✓ proven: ' : '✗ not proven: '}${e.guarantee.reason}`);
        requestAnimationFrame(() => charts.lineChart(c, {
          height: 170, xlabel: 't', ylabel: e.energy,
          series: [
            { x: tr.t, y: e.values, color: '#1f77b4', label: e.energy },
            ...(e.increases.length ? [{ x: e.increases.map((q) => q.t), y: e.increases.map((q) => q.energy), color: '#d62728', points: true, pointsOnly: true, label: 'increase' }] : []),
          ],
        }));
        return el('div', { 'data-energy': e.energy }, head, c);
      }));
    };

    const showFixed = (r) => {
      const fp = r.fixed_points;
      const rows = fp.points.map((p) => el('tr', { 'data-stability': p.stability },
        el('td', {}, `(${f(p.x[0])}, ${f(p.x[1])})`),
        el('td', {}, p.eigenvalues.map((c) => fmtc(c, f)).join(', ')),
        el('td', {}, p.steady ? p.stability : `${p.stability} (zero of R, ‖f‖ = ${f(p.residual)})`),
        el('td', {}, String(p.dead)),
        el('td', {}, Object.entries(p.energies).map(([k, v]) => `${k} = ${f(v)}`).join(', '))));
      fpTable.replaceChildren(
        el('p', { class: 'stats' }, `${r.system.formula}. ${fp.points.length} fixed point${fp.points.length === 1 ? '' : 's'} found in the view ± 20% (${fp.converged} of ${fp.starts} searches converged)${fp.truncated ? '; more exist (a continuum?) — only the first 40 are listed' : ''}.`),
        el('table', { class: 'fp', style: 'font-size:.82rem;border-collapse:collapse;width:100%' },
          el('thead', {}, el('tr', {}, ['state', 'eigenvalues of J', 'stability', 'dead k', 'energies'].map((h) => el('th', { style: 'text-align:left;border-bottom:1px solid #ccc' }, h)))),
          el('tbody', {}, rows)));
    };

    const showDead = (r) => {
      const d = r.dead_neurons;
      const a = d.analysis;
      const maxRe = (e) => (e.length ? Math.max(...e.map((c) => c.re)) : NaN);
      deadText.replaceChildren(
        el('p', {}, `${d.system === 'goe' ? `Random GOE system, N = ${a.n}` : 'The 2-D system above'} (${d.lagrangian}), ‖W‖₂ = ${f(a.w_norm)}; (1) integrated from a ${d.system === 'goe' ? 'random start' : `start (${f(a.start[0])}, ${f(a.start[1])})`} with ${a.integrator}: ${a.stop_reason}; ${a.newton_steps} Newton steps; ‖f‖ = ${f(a.residual)} — ${a.converged ? 'a steady state' : 'NOT a steady state (the analysis below is at the end point)'}.`),
        el('p', { 'data-k': String(a.k) }, `k = dim null Λ = ${a.k} dead of ${a.n}${a.dead_neurons.length ? ` (neurons ${a.dead_neurons.slice(0, 30).join(', ')}${a.dead_neurons.length > 30 ? ', …' : ''})` : ''}; ‖W⊥‖₂ = ${f(a.w_perp_norm)}, ratio ${f(a.norm_ratio)} (√(1 − k/N) = ${f(a.sqrt_one_minus_k_over_n)}).`),
        el('p', {}, `S = W⊥Λ⊥ − I (${a.n - a.k} × ${a.n - a.k}): ${a.s_stability}, max Re λ = ${f(maxRe(a.s_eigenvalues))}. Full Jacobian WΛ − I: ${a.jacobian_stability}, max Re λ = ${f(maxRe(a.jacobian_eigenvalues))}. Energy Hessian on the range of Λ: ${a.energy_predicts_stable ? 'positive definite — predicts stability' : 'not positive definite'}.`));
      requestAnimationFrame(() => charts.lineChart(deadChart, {
        height: 220, xlabel: 'Re λ', ylabel: 'Im λ',
        series: [
          { x: a.jacobian_eigenvalues.map((c) => c.re), y: a.jacobian_eigenvalues.map((c) => c.im), color: '#999', points: true, pointsOnly: true, label: 'WΛ − I' },
          { x: a.s_eigenvalues.map((c) => c.re), y: a.s_eigenvalues.map((c) => c.im), color: '#d62728', points: true, pointsOnly: true, label: 'S = W⊥Λ⊥ − I' },
        ],
        vlines: [{ x: 0, label: 'Re λ = 0', color: '#333' }],
      }));
      const row = (name, p) => el('tr', {}, el('td', {}, name), el('td', {}, f(p.gradient_norm)), el('td', {}, f(p.residual_at_minimum)),
        el('td', { 'data-recovered': String(p.recovered_residual) }, f(p.recovered_residual)), el('td', {}, f(p.printed_residual)),
        el('td', {}, `${f(p.energy_at_minimum)} / ${f(p.energy_at_recovered)}`), el('td', {}, f(p.distance_to_state)));
      deadTable.replaceChildren(
        el('p', { class: 'stats' }, 'Proposition 4.3: minimise the KH energy by its gradient flow to ỹ, then recover y = P_a ỹ + P_d(Wg(ỹ) + b) (and the printed ỹ + P_d(Wg(ỹ) + b)). Residuals are ‖f‖ = ‖Wg − y + b‖.'),
        el('table', { class: 'p43', style: 'font-size:.8rem;border-collapse:collapse;width:100%' },
          el('thead', {}, el('tr', {}, ['from', '‖∇E(ỹ)‖', '‖f(ỹ)‖', '‖f‖ recovered', '‖f‖ printed', 'E(ỹ) / E(recovered)', '‖recovered − y*‖'].map((h) => el('th', { style: 'text-align:left;border-bottom:1px solid #ccc' }, h)))),
          el('tbody', {}, row('flat region through y*', a.prop43_flat), row('start of (1)', a.prop43_start))));
    };

    const showProp3 = (p) => {
      const lo = p.ratio.map((v, i) => v - 2 * (p.stderr[i] || 0));
      const hi = p.ratio.map((v, i) => v + 2 * (p.stderr[i] || 0));
      charts.lineChart(p3Chart, {
        height: 260, xlabel: `k/N (N = ${p.n})`, ylabel: '‖W⊥‖₂ / ‖W‖₂', ylim: [0, 1.05], legend: 'bottom-left',
        series: [
          { x: p.k_over_n, y: p.limit, color: '#d62728', label: '√(1 − k/N)' },
          { x: p.k_over_n, y: p.finite_n, color: '#2ca02c', dash: [5, 4], label: 'finite-N (Chiani)' },
          { x: p.k_over_n, y: hi, color: '#9ecae1', dash: [2, 3], width: 1 },
          { x: p.k_over_n, y: lo, color: '#9ecae1', dash: [2, 3], width: 1 },
          { x: p.k_over_n, y: p.ratio, color: '#1f77b4', points: true, label: `Monte Carlo ± 2 s.e. (${p.done} of ${p.trials} trials)` },
        ],
      });
      p3Chart.dataset.done = String(p.done);
      const worst = Math.max(...p.ratio.map((v, i) => (p.stderr[i] > 0 ? Math.abs(v - p.limit[i]) / p.stderr[i] : 0)));
      p3Text.textContent = `${p.done} GOE matrices of N = ${p.n}; k random neurons dead, W⊥ the principal submatrix on the others. Largest gap to √(1 − k/N): ${f(worst)} standard errors.`;
    };

    const showAppC = (c) => {
      const series = c.paths.map((p) => ({ x: p.x, y: p.y, color: 'rgba(31,119,180,0.55)', width: 1 }));
      series.push({ x: [c.fixed_point[0]], y: [c.n > 1 ? c.fixed_point[1] : 0], color: '#d62728', points: true, pointsOnly: true, label: 'y*' });
      charts.lineChart(cPlane, { height: 240, series, xlabel: 'y₁', ylabel: c.n > 1 ? 'y₂' : '—' });
      const lg = (v) => (v > 0 ? Math.log10(v) : NaN);
      const d = c.paths.map((p) => ({ x: p.t, y: p.distance.map(lg), color: 'rgba(31,119,180,0.5)', width: 1 }));
      const far = c.paths.reduce((a, p) => (p.distance[0] > a.distance[0] ? p : a), c.paths[0]);
      if (far) d.push({ x: far.t, y: far.t.map((t) => lg(far.distance[0] * Math.exp(-c.eps * t))), color: '#d62728', dash: [5, 4], label: 'e^(−εt)·max‖y(0) − y*‖' });
      charts.lineChart(cDist, { height: 200, series: d, xlabel: 't', ylabel: 'log₁₀ ‖y(t) − y*‖' });
      cText.dataset.violations = String(c.bound_violations);
      cText.textContent = `N = ${c.n}, ρ(W) = ${f(c.rho)}, ${c.paths.length} trajectories (${c.integrator}) to t = ${f(c.t_end)}: the farthest ends ${f(c.max_final_distance)} from y* (Banach iteration, ‖f(y*)‖ = ${f(c.residual)}); ${c.bound_violations} trajectories break the e^(−εt) bound.`;
    };

    const showEx7 = (e) => {
      const lg = (v) => (v > 0 ? Math.log10(v) : NaN);
      const series = [];
      e.runs.forEach((set, k) => set.curves.forEach((c, i) => series.push({
        x: c.t, y: c.energy.map(lg), color: k === 0 ? 'rgba(31,119,180,0.8)' : 'rgba(120,120,120,0.7)', dash: k === 0 ? [] : [4, 3], width: 1.2,
        label: i === 0 ? (k === 0 ? 'R = I − WᵀΛ (Example 7)' : 'R = I (no guarantee)') : undefined })));
      charts.lineChart(e7Chart, { height: 240, series, xlabel: 't', ylabel: 'log₁₀ E3' });
      e7Text.dataset.increases = String(e.runs[0].total_increases);
      e7Text.textContent = `${e.layers} layers × ${e.width} neurons, ‖W‖₂ = ${f(e.w_norm)}, ‖W − Wᵀ‖/‖W‖ = ${f(e.asymmetry)}; g′ met along the runs: [${f(e.lambda_min)}, ${f(e.lambda_max)}]. ` +
        e.runs.map((s) => `${s.r === 'i_wtl' ? 'R = I − WᵀΛ' : 'R = I'}: ${s.total_increases} increases of E3 over ${s.curves.length} runs, ${s.memories} distinct memor${s.memories === 1 ? 'y' : 'ies'} reached (${s.guarantee.proven ? 'proven' : 'not proven'})`).join('; ') + '.';
    };

    const syncEditor = () => {
      for (const k of KEYS) {
        const v = Number(get(k));
        scrub[k].dataset.value = String(v);
        scrub[k].textContent = f(v);
      }
    };

    const onResize = () => drawPlanes();
    window.addEventListener('resize', onResize);

    return {
      params(q) {
        query = q;
        syncEditor();
        if (!flow) {
          flow = new hp.DenseFlow(q, 1, 1);
          placeParticles();
        } else {
          flow.configure(q);
        }
        if (image) {
          image.data.fill(0);
          particles.getContext('2d').putImageData(image, 0, 0);
        }
        showStatus();
        startLoop();
      },
      show(part, r) {
        res[part] = r;
        if (part === 'fixed_points') { showFixed(r); drawPlanes(); }
        if (part === 'landscape') drawPlanes();
        if (part === 'trajectory') { showMonitor(r); drawPlanes(); }
        if (part === 'dead') showDead(r);
        if (part === 'prop3') showProp3(r.prop3);
        if (part === 'appc') showAppC(r.appendix_c);
        if (part === 'ex7') showEx7(r.example7);
      },
      partial(part, piece) { if (part === 'prop3') showProp3(piece); },
      busy(part, on) {
        const target = { fixed_points: '[data-panel="fixed"]', landscape: '.dense-pair', trajectory: '[data-panel="monitor"]', dead: '[data-panel="dead"]', prop3: '[data-panel="prop3"]', appc: '[data-panel="appc"]', ex7: '[data-panel="ex7"]' }[part];
        root.querySelector(target)?.classList.toggle('busy', on);
      },
      get query() { return query; },
    };
  },
};
