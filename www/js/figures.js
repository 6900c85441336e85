// The page's two copies of an open lab's view (the wasm core's LabView): the one on the main
// thread answers at once what a click needs (costs, painted patterns, and the downloads,
// which must start within the click), the one in the figures' worker (view-worker.js) reads
// the results and lays out the figures for painting. The results reach the main thread's
// copy only when a download or a data table asks for them (`sync`), so a large result is read
// on the main thread only then. Without Web Workers (or when the worker fails) the main
// thread's copy does everything.

import { RunResult, textOf } from './compute.js';

/** Changes of results and progress, replayed on the main thread's copy when it needs them. */
const DATA_OPS = new Set(['set_result', 'merge_shards', 'add_piece', 'set_progress', 'restart', 'stop']);

/** A LabView argument as the main thread's copy takes it: a result's text (a list for shards). */
const here = (a) => (Array.isArray(a) ? a.map(textOf) : textOf(a));

/**
 * A LabView argument as it goes to the figures' worker: a result as its UTF-8 bytes, whose
 * buffer joins `moved` (transferred, not copied; view-worker.js decodes them).
 */
function outbound(a, moved) {
  if (Array.isArray(a)) return a.map((x) => outbound(x, moved));
  if (!(a instanceof RunResult)) return a;
  const utf8 = a.handoff();
  moved.push(utf8.buffer);
  return { utf8 };
}

export class Figures {
  /**
   * `lv`: the main thread's LabView of `query`. `lost(names)`: called when the worker fails
   * with the figures whose canvases it held (see `adopt`); the page gives them new canvases.
   */
  constructor(lv, query, lost = () => {}) {
    this.lv = lv;
    this.lost = lost;
    this.adopted = new Set(); // figure names whose canvas the worker paints
    this.pending = []; // [op, args] not yet applied to lv
    this.waiting = new Map(); // id -> {resolve, reject}
    this.nextId = 1;
    this.worker = null;
    try {
      if (typeof Worker === 'undefined') return;
      this.worker = new Worker(new URL('./view-worker.js', import.meta.url), { type: 'module' });
    } catch {
      this.worker = null;
      return;
    }
    this.worker.onmessage = (e) => {
      if (e.data.fatal !== undefined) { this.fail(); return; }
      const w = this.waiting.get(e.data.id);
      if (!w) return;
      this.waiting.delete(e.data.id);
      if (e.data.error !== undefined) w.reject(new Error(e.data.error)); else w.resolve(e.data.fig ?? e.data.ok);
    };
    this.worker.onerror = (e) => { e.preventDefault?.(); this.fail(); };
    this.worker.postMessage({ op: 'open', query });
  }

  /** The worker failed: the main thread's copy takes over (what was asked of the worker is redone here). */
  fail() {
    if (!this.worker) return;
    this.worker.terminate();
    this.worker = null;
    this.sync();
    // The canvases the worker painted went with it: the page replaces them before the
    // figures asked for meanwhile are laid out and painted here.
    const lost = [...this.adopted];
    this.adopted.clear();
    if (lost.length) this.lost(lost);
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) {
      try { w.resolve(w.here()); } catch (err) { w.reject(err); }
    }
  }

  ask(msg, here, moved = []) {
    const id = this.nextId++;
    const answer = new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, here });
      this.worker.postMessage({ ...msg, id }, moved);
    });
    // Callers that do not wait for the answer leave no unhandled rejection behind.
    answer.catch(() => {});
    return answer;
  }

  /**
   * Apply LabView method `op` to both copies; for the changes of results, the main thread's
   * copy later (see `sync`). Resolves once the copy that lays out the figures took it (rejects
   * with its error: an unreadable result).
   */
  call(op, ...args) {
    if (this.destroyed) return Promise.resolve();
    if (!this.worker) {
      try { return Promise.resolve(this.lv[op](...args.map(here))); } catch (err) {
        const failed = Promise.reject(err);
        failed.catch(() => {});
        return failed;
      }
    }
    if (DATA_OPS.has(op)) {
      // A part's result replaces what it brought before (its earlier result, pieces, progress:
      // see View::set_result), so only the latest is kept for the main thread's copy.
      if (op === 'set_result' || op === 'merge_shards') this.pending = this.pending.filter(([, a]) => a[0] !== args[0]);
      const last = this.pending[this.pending.length - 1];
      // Only the latest progress of a part matters.
      if (op === 'set_progress' && last?.[0] === op && last[1][0] === args[0]) this.pending.pop();
      this.pending.push([op, args]);
    } else {
      this.lv[op](...args.map(here));
    }
    const moved = [];
    return this.ask({ op, args: args.map((a) => outbound(a, moved)) }, () => undefined, moved);
  }

  /**
   * Hand the painting of figure `name`'s `canvas` to the worker (an OffscreenCanvas
   * transferred to it), so that its pictures are painted and composited off the page's thread;
   * returns whether it did (not without the worker or `transferControlToOffscreen`). The
   * page then shows the figure with `show`, not `render`.
   */
  adopt(name, canvas) {
    if (!this.worker || this.destroyed || typeof canvas.transferControlToOffscreen !== 'function') return false;
    try {
      const off = canvas.transferControlToOffscreen();
      this.worker.postMessage({ op: 'canvas', name, canvas: off }, [off]);
    } catch {
      return false;
    }
    this.adopted.add(name);
    return true;
  }

  /** Whether figure `name`'s canvas is painted by the worker (see `adopt`). */
  paints(name) { return this.adopted.has(name); }

  /**
   * Figure `name` laid out at `width` px and painted by the worker on its canvas (at the
   * page's device pixel ratio): resolves to the figure (as `render`) once painted. For a
   * canvas not adopted, the same as `render` (laid out only). If the worker fails meanwhile,
   * resolves to the figure laid out here (not painted: the page paints it on the canvas that
   * replaced the lost one). `paints(name)` after it says which.
   */
  show(name, width) {
    if (this.destroyed) return Promise.reject(new Error('the lab was closed'));
    if (!this.worker || !this.adopted.has(name)) return this.render(name, width);
    return this.ask({ op: 'show', name, width, dpr: globalThis.devicePixelRatio || 1 }, () => this.lv.render(name, width));
  }

  /** Figure `name` laid out at `width` px (see LabView.render). */
  render(name, width) {
    if (this.destroyed) return Promise.reject(new Error('the lab was closed'));
    if (!this.worker) {
      try { return Promise.resolve(this.lv.render(name, width)); } catch (err) { return Promise.reject(err); }
    }
    return this.ask({ op: 'render', name, width }, () => this.lv.render(name, width));
  }

  /** Bring the main thread's copy up to date (before a download or a data table reads it). */
  sync() {
    if (this.destroyed) return this.lv;
    const ops = this.pending;
    this.pending = [];
    for (const [op, args] of ops) {
      // An unreadable result was reported when the worker took it.
      try { this.lv[op](...args.map(here)); } catch { /* reported already */ }
    }
    return this.lv;
  }

  destroy() {
    this.destroyed = true;
    this.worker?.terminate();
    this.worker = null;
    this.pending = [];
    this.waiting.clear();
    this.adopted.clear();
  }
}
