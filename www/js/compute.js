// Runs experiments off the main thread: one Web Worker per "lane" (a part of a
// lab's result), each holding its own instance of the wasm core. A new run on a
// lane replaces the one in flight; cancelling terminates the worker, which stops
// the computation at once, and the next run starts a fresh one.

/** A fallback report of a lost GPU device (the Rust side's GpuError::Lost wording). */
export const LOST_GPU = /GPU device was lost/;

/**
 * A run's result (JSON) as the compute worker sent it: UTF-8 bytes, moved between threads
 * without a copy. The page reads the text only when it asks for it (a download, a data table);
 * `handoff` gives the bytes to pass on to another worker (transfer their buffer).
 */
export class RunResult {
  constructor(utf8, spare) {
    this.utf8 = utf8;
    this.spare = spare;
  }

  /** The JSON text (decoded on each call; not kept, so that the page holds only the bytes). */
  text() { return new TextDecoder().decode(this.utf8); }

  /** Bytes of the result that the caller may transfer: the spare copy once, then copies. */
  handoff() {
    const bytes = this.spare ?? this.utf8.slice();
    this.spare = null;
    return bytes;
  }
}

/** The JSON text of a run's result (a RunResult or, without workers, a string). */
export const textOf = (r) => (r instanceof RunResult ? r.text() : r);

export class Compute {
  constructor(hp) {
    this.hp = hp;            // main-thread bindings: the fallback when workers fail
    this.lanes = new Map();  // name -> {worker, pending}
    this.nextId = 1;
    this.workersOk = typeof Worker !== 'undefined';
    // What the page knows of the GPU (the status worker's verdict; null until it answers).
    this.gpuStatus = null;
    // The visitor's data file (never uploaded): handed to every worker with its runs.
    this.userFile = null;
  }

  _lane(name) {
    let lane = this.lanes.get(name);
    if (!lane) {
      const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
      lane = { worker, pending: null };
      worker.onmessage = (e) => this._message(lane, e.data);
      worker.onerror = (e) => {
        e.preventDefault?.();
        this._fail(lane, new Error(`the compute worker failed: ${e.message || 'could not start'}`));
      };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  _message(lane, msg) {
    const p = lane.pending;
    if (!p || msg.id !== p.id) return;
    if (msg.progress) {
      if (msg.partial !== undefined && msg.partial !== null) p.onPartial?.(msg.partial);
      else p.onProgress?.(msg.done, msg.total);
      return;
    }
    lane.pending = null;
    if (msg.compute) {
      // A lost GPU device: the later runs, in every worker, go to the CPU.
      // (Also before the GPU probe has answered: backend=gpu runs do not wait for it.)
      if ((msg.compute.fallbacks || []).some((f) => LOST_GPU.test(f))) {
        this.gpuStatus = { ...(this.gpuStatus || {}), backend: 'cpu', lost: true, reason: 'the GPU device was lost, so runs continue on the CPU' };
      }
      this.onCompute?.(msg.compute, 'run');
    }
    if (msg.error !== undefined) {
      // A panic leaves a wasm instance unusable: start the next run in a fresh worker.
      lane.worker.terminate();
      for (const [k, v] of this.lanes) if (v === lane) this.lanes.delete(k);
      p.reject(new Error(msg.error));
    }
    else p.resolve(msg.ok?.utf8 instanceof Uint8Array ? new RunResult(msg.ok.utf8, msg.ok.spare) : msg.ok);
  }

  _fail(lane, err) {
    const p = lane.pending;
    lane.pending = null;
    lane.worker.terminate();
    for (const [k, v] of this.lanes) if (v === lane) this.lanes.delete(k);
    p?.reject(err);
  }

  /**
   * Run `query` (only `parts`, comma-separated; '' for all) on lane `name`; resolves with the
   * JSON result: a RunResult from a worker, a string when run on this thread (`textOf` reads both).
   */
  run(name, query, parts, { onProgress, onPartial } = {}) {
    this.cancel(name, 'replaced by a newer run');
    if (!this.workersOk) return this._runHere(query, parts);
    let lane;
    try {
      lane = this._lane(name);
    } catch (err) {
      this.workersOk = false;
      return this._runHere(query, parts);
    }
    const id = this.nextId++;
    const backend = new URLSearchParams(query).get('backend') || 'auto';
    return new Promise((resolve, reject) => {
      lane.pending = { id, resolve, reject, onProgress, onPartial };
      lane.worker.postMessage({ id, query, parts, gpu: this.gpuHint(backend), userFile: this.userFile, loseGpu: !!this.debugLoseGpu });
    });
  }

  /** Keep the visitor's data file for the runs that read it. */
  setUserFile(name, bytes) { this.userFile = { name, bytes, version: (this.userFile?.version ?? 0) + 1 }; }

  /**
   * What a run with `backend` is told of the GPU: '' (open and self-check it in the worker),
   * 'verified', or 'cpu:REASON'. Until the status worker answers, auto runs go to the CPU at
   * once (first results never wait for the GPU self-check); later runs use its verdict.
   */
  gpuHint(backend) {
    const st = this.gpuStatus;
    if (!st) return backend === 'gpu' ? '' : 'cpu:the GPU self-check is still running; later runs use the GPU once it passes';
    if (st.lost) return `cpu:${st.reason}`;
    if (st.backend === 'gpu') return 'verified';
    if (st.software && backend === 'gpu') return '';
    return `cpu:${st.reason || 'no GPU'}`;
  }

  /** Ask a worker which backend it uses: {backend, adapter, software, description, reason, checks, fallbacks}. */
  status(force = false) {
    if (!this.workersOk) return Promise.resolve({ backend: 'cpu', software: false, description: 'CPU', reason: 'WebAssembly on the main thread: no Web Workers', checks: [], fallbacks: [] });
    const lane = this._lane('status');
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      lane.pending = {
        id,
        resolve: (v) => {
          this.close('status');
          // A probe that ends after a run saw the device lost does not bring the GPU back.
          if (!this.gpuStatus?.lost) this.gpuStatus = v;
          resolve(this.gpuStatus);
        },
        reject: (e) => { this.close('status'); reject(e); },
      };
      lane.worker.postMessage({ id, status: true, force });
    });
  }

  /** Terminate lane `name`'s worker (nothing in flight is expected). */
  close(name) {
    const lane = this.lanes.get(name);
    if (!lane) return;
    lane.worker.terminate();
    this.lanes.delete(name);
  }

  // Without workers: run on the main thread (the page pauses while it runs).
  async _runHere(query, parts) {
    await window.hpRelaxedReady; // this thread's relaxed-SIMD GEMM, where the browser has it
    return this.hp.run(query, parts, undefined, 'cpu:Web Workers are not available');
  }

  /**
   * Run `query` split into `n` shards, shard i on lane `name#i` with `&shard=i&shards=n`
   * appended (later keys win); resolves with the n results (see `run`) in shard order. Progress is
   * summed over the shards; partial pieces are forwarded as they come.
   */
  runShards(name, query, parts, n, { onProgress, onPartial } = {}) {
    this.cancel(name, 'replaced by a newer run');
    this.generation = this.generation || {};
    const gen = (this.generation[name] = (this.generation[name] || 0) + 1);
    const done = new Array(n).fill(0), total = new Array(n).fill(0);
    const sum = (a) => a.reduce((x, y) => x + y, 0);
    const jobs = [];
    for (let i = 0; i < n; i++) {
      jobs.push(this.run(`${name}#${i}`, `${query}&shard=${i}&shards=${n}`, parts, {
        onProgress: (d, t) => { done[i] = d; total[i] = t; if (total.every((x) => x > 0)) onProgress?.(sum(done), sum(total)); },
        onPartial,
      }));
    }
    // One shard failing (or being cancelled) stops the others, unless a newer run took over.
    return Promise.all(jobs).catch((err) => {
      if (this.generation[name] === gen) this.cancel(name, err.message);
      throw err;
    });
  }

  /** Stop the run on lane `name` and its shard lanes `name#i` (if any); their promises reject with a Cancelled error. */
  cancel(name, why = 'cancelled') {
    let any = false;
    for (const key of [...this.lanes.keys()]) {
      if (key !== name && !key.startsWith(`${name}#`)) continue;
      const lane = this.lanes.get(key);
      if (!lane.pending) continue;
      const p = lane.pending;
      lane.pending = null;
      lane.worker.terminate();
      this.lanes.delete(key);
      const err = new Error(why);
      err.cancelled = true;
      p.reject(err);
      any = true;
    }
    return any;
  }
}
