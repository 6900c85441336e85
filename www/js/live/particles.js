// The live particle layer of the dense lab's phase portrait (Mark::Live { kind: 'particles' }):
// a transparent canvas over the plot area of the left map. The wasm DenseFlow advects every
// particle (on the CPU, or on WebGPU once the page verified it, falling back to the CPU on
// any GPU error) and renders the fading trails into this canvas's pixels, one call per
// frame; the status sentence comes from Rust too. Nothing here computes the flow.

export default {
  create({ wrap, bar, hp, el, backend, query }) {
    const canvas = el('canvas', { class: 'live-particles', 'data-particles': '1', hidden: true });
    wrap.append(canvas);
    const play = el('button', { 'data-role': 'particles-play' }, '❚❚ Pause');
    const restart = el('button', { title: 'Respawn every particle (stopped ones included)' }, '⟲ Restart particles');
    const status = el('p', { class: 'stats flow-status', role: 'status' });
    const tools = el('div', { class: 'player' }, play, restart);
    bar.append(tools, status);

    let flow = new hp.DenseFlow(query, 1, 1);
    let image = null;
    let playing = true;
    let raf = 0;
    let lastT = 0;
    let frames = 0;
    // Frame statistics for the benchmark (tests/bench/dense-fps.mjs): work per frame, frame
    // intervals and the times of the frames that moved the particles (on the GPU path a frame
    // whose readback is still in flight draws nothing), in ms.
    const stats = { work: [], interval: [], updates: [], reset() { this.work.length = 0; this.interval.length = 0; this.updates.length = 0; } };
    window.__denseStats = stats;
    // The browser tests reach the flow here (e.g. to simulate a lost GPU device).
    Object.defineProperty(window, '__denseFlow', { configurable: true, get: () => flow });

    // wgpu does not see the adapter's vendor and architecture in the browser: hand them over for the status.
    navigator.gpu?.requestAdapter().then((a) => {
      const i = a?.info;
      if (i && flow) flow.set_adapter(i.vendor || '', i.architecture || '');
    }).catch(() => {});

    const show = () => {
      if (!flow) return;
      // The particles move to the GPU once the page's self-check has verified WebGPU (DenseFlow ignores repeats).
      const verdict = backend();
      if (verdict === 'webgpu') flow.use_gpu();
      else if (verdict === 'cpu') flow.no_gpu();
      const s = JSON.parse(flow.status());
      status.textContent = s.text;
      status.dataset.live = String(s.live);
      status.dataset.stopped = String(s.stopped);
      status.dataset.path = s.path;
      status.dataset.gpuError = s.gpu_error ? '1' : '';
      status.classList.toggle('error', s.gpu_error);
    };

    const clear = () => {
      if (!image) return;
      image.data.fill(0);
      canvas.getContext('2d').putImageData(image, 0, 0);
    };

    const destroy = () => {
      cancelAnimationFrame(raf);
      raf = 0;
      canvas.remove();
      tools.remove();
      status.remove();
      flow?.free();
      flow = null;
    };

    // One wasm call per frame advects every particle and renders the trails.
    const tick = (now) => {
      raf = 0;
      if (!flow) return;
      if (!canvas.isConnected) { destroy(); return; }
      const dt = lastT ? (now - lastT) / 1000 : 0;
      if (lastT) stats.interval.push(now - lastT);
      lastT = now;
      if (playing && image && !canvas.hidden) {
        const t0 = performance.now();
        flow.frame(dt, new Uint8Array(image.data.buffer));
        if (flow.drawn()) {
          canvas.getContext('2d').putImageData(image, 0, 0);
          stats.updates.push(now);
        }
        stats.work.push(performance.now() - t0);
        if (stats.work.length > 20000) { stats.work.splice(0, 10000); stats.interval.splice(0, 10000); stats.updates.splice(0, 10000); }
      }
      if (++frames % 30 === 0) show();
      raf = requestAnimationFrame(tick);
    };
    const start = () => { if (!raf && flow) { lastT = 0; raf = requestAnimationFrame(tick); } };

    play.addEventListener('click', () => { playing = !playing; play.textContent = playing ? '❚❚ Pause' : '▶ Play'; });
    restart.addEventListener('click', () => { flow?.reset(); if (image) image.data.fill(0); show(); });
    show();

    return {
      place(r) {
        if (!flow) return;
        const w = Math.max(1, Math.round(r.w));
        const h = Math.max(1, Math.round(r.h));
        Object.assign(canvas.style, { left: `${r.x}px`, top: `${r.y}px`, width: `${r.w}px`, height: `${r.h}px` });
        canvas.hidden = false;
        if (!image || canvas.width !== w || canvas.height !== h) {
          canvas.width = w;
          canvas.height = h;
          image = new ImageData(w, h);
          flow.resize(w, h);
        }
        start();
      },
      hide() { canvas.hidden = true; },
      query(q) {
        if (!flow) return;
        flow.configure(q);
        clear();
        show();
      },
      // A tentative link while a number is dragged: the particles follow the new system at once.
      preview(q) { flow?.configure(q); },
      destroy,
    };
  },
};
