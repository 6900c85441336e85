// Browser columns of the lab benchmarks: the same workloads as the native benches, run by the
// page's wasm core in headless Chromium (one core; the CPU path, or with `gpu` the WebGPU
// adapter — SwiftShader here — after the page's self-check). Prints one JSON line per
// measurement, in the shape the lab's bench script merges into its table. Not a test.
// Needs `trunk build --release` first (dist/).
//
//   node tests/bench/workloads-browser.mjs khopfield [quick] [gpu]   # crate/benches/khopfield.sh
//   node tests/bench/workloads-browser.mjs softkmeans [quick] [gpu]  # crate/benches/softkmeans.sh
//   node tests/bench/workloads-browser.mjs elcd [quick]              # crate/benches/elcd.sh
//   node tests/bench/workloads-browser.mjs hhd [gpu]                 # crate/benches/hhd.py
//   node tests/bench/workloads-browser.mjs klr [quick]               # the KLR sweep's product and cells
//
// khopfield, softkmeans and elcd call `hp.bench_workload` (crate/src/web/bench.rs), which runs
// `hopfield_playground::benchwork` — the code the native benches time. hhd times the lab's own
// parts through `hp.run`, as the native column times `hopfield run … --part`.
import { serve, browser, open } from '../e2e/harness.mjs';

const [what, ...flags] = process.argv.slice(2);
const quick = flags.includes('quick');
const gpu = flags.includes('gpu');
const backends = gpu ? ['cpu', 'gpu'] : ['cpu'];
const label = (b) => (b === 'gpu' ? 'browser-webgpu' : 'browser-cpu');

const srv = await serve();
const ctx = await browser({ webgpu: gpu });
const emit = (row) => console.log(JSON.stringify(row));
try {
  // A page with its own wasm instance, MNIST handed over as the page's worker does the first
  // time a run asks for it. (A wasm instance opens its GPU once: the first run's backend
  // sticks, so the lab runs of each backend get a fresh page.)
  const fresh = async () => {
    const { page: pg } = await open(ctx, srv.base, '');
    await pg.evaluate(async () => {
      const res = await fetch(`assets/${window.hp.asset_file('mnist')}`);
      window.hp.provide_asset('mnist', new Uint8Array(await res.arrayBuffer()));
    });
    return pg;
  };
  const page = await fresh();
  const agent = await page.evaluate(() => navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent);
  console.error(`browser: headless ${agent}`);
  const workload = (name, args, backend) =>
    page.evaluate(async ([n, a, b]) => JSON.parse(await window.hp.bench_workload(n, JSON.stringify(a), b)), [name, args, backend]);

  if (what === 'khopfield') {
    const [memories, probes] = quick ? [2000, 100] : [10000, 1000];
    for (const similarity of ['dot', 'neg_manhattan']) {
      for (const b of backends) {
        const r = await workload('khopfield', { memories, probes, similarity }, b);
        console.error(`${label(b)} ${similarity}: ${r.backend}`);
        emit({
          impl: label(b), similarity, probes, memories, sims_s: r.sims_s, ksoftmax_s: r.ksoftmax_s,
          outputs_s: r.outputs_s, total_s: r.total_s, output_sum: r.output_sum, retrieved: r.retrieved,
        });
      }
    }
  } else if (what === 'softkmeans') {
    const m = quick ? 100000 : 1000000;
    for (const d of [1, 3]) {
      for (const b of backends) {
        // SwiftShader runs the m-long weighted sums on few threads: m = 10⁵ and one repetition,
        // as the native bench does on lavapipe.
        const soft = b === 'gpu';
        const mm = soft ? Math.min(m, 100000) : m;
        const r = await workload('softkmeans', { m: mm, d, k: 16, extra: soft ? 1 : 4, reps: soft ? 1 : 3 }, b);
        console.error(`${label(b)} d=${d}: ${r.backend}`);
        emit({ bench: 'iteration', impl: b === 'gpu' ? 'browser-webgpu-f32' : 'browser-cpu-f64-1t', m: mm, k: 16, d, seconds: r.seconds });
      }
    }
  } else if (what === 'elcd') {
    const steps = quick ? 300 : 2000;
    for (const model of ['elcd', 'elcd_diffeo', 'mlp']) {
      const r = await workload('elcd', { model, steps, reps: 3 }, 'cpu');
      emit({ impl: 'browser-cpu', model, steps, seconds: r.seconds, steps_per_second: steps / r.seconds });
    }
  } else if (what === 'hhd') {
    // The queries of crate/benches/hhd.py.
    const cases = [
      ['hhd', 'v=1&lab=hhd&seed=42&data=mnist&classes=&samples=1000&c_min=10&d_max=50&delta=0.1&removal=on&mode=sync&steps=100'],
      ['table1', 'v=1&lab=hhd&seed=42&data=mnist&classes=&t1_subsets=25&t1_size=150&t1_ninit=4&c_min=1&d_max=50&delta=0.1&removal=on'],
    ];
    for (const b of backends) {
      let pg = await fresh();
      for (const [part, query] of cases) {
        const q = b === 'gpu' ? `${query}&backend=gpu` : query;
        const out = await pg.evaluate(async ([qq, p, hint]) => {
          const ts = [];
          let r;
          for (let i = 0; i < 2; i++) {
            const t = performance.now();
            r = JSON.parse(await window.hp.run(qq, p, undefined, hint));
            ts.push((performance.now() - t) / 1000);
          }
          return { seconds: Math.min(...ts), metrics: r.hhd_metrics ?? null, backend: window.hp.compute_used()?.description ?? '' };
        }, [q, part, b === 'gpu' ? undefined : 'cpu:benchmark']).catch((err) => ({ error: String(err.message || err).split('\n')[0] }));
        if (out.error) {
          // A crashed tab (seen with backend=gpu on SwiftShader) is reported, and the next
          // case gets a fresh page.
          console.error(`${label(b)} ${part}: failed: ${out.error}`);
          emit({ impl: label(b), part, error: out.error });
          await pg.close().catch(() => {});
          pg = await fresh();
          continue;
        }
        console.error(`${label(b)} ${part}: ${out.backend}`);
        emit({ impl: label(b), part, seconds: out.seconds, metrics: out.metrics });
      }
      await pg.close();
    }
  } else if (what === 'klr') {
    // The KLR sweep's inner work on one core: the f32 product of an epoch (K·α at P = 600,
    // N = 100; and a large square one) and whole trainings of single sweep cells.
    const reps = quick ? 3 : 9;
    // `packed`: K packed once for all the products, as a training does (`default` repacks it);
    // `packed` on the baseline SIMD128 kernel and on the relaxed-SIMD module (fused
    // multiply-adds) where the browser has it, alternating in rounds.
    const relaxed = await page.evaluate(() => window.hpRelaxedReady);
    const use = (on) => page.evaluate((o) => window.hp.use_relaxed_gemm(o), on);
    const kernels = [['default', false], ['packed', false], ...(relaxed ? [['packed', true]] : [])];
    for (const [m, k, n] of [[600, 600, 100], [1000, 1000, 1000]]) {
      for (let round = 0; round < (quick ? 1 : 3); round++) {
        for (const [kernel, fma] of kernels) {
          await use(fma);
          const r = await workload('gemm_f32', { m, k, n, reps: m === 600 ? 5 * reps : reps, kernel }, 'cpu');
          emit({ impl: 'browser-cpu', workload: 'gemm_f32', kernel, kernel_used: r.kernel_used, round, m, k, n, seconds: r.seconds, gflops: r.gflops, error_over_bound: r.error_over_bound });
        }
      }
    }
    const cells = quick ? [[600, 0.0574]] : [[600, 0.0259], [600, 0.0574], [600, 0.1269], [600, 10], [300, 0.0574]];
    for (const [p, gamma] of cells) {
      for (const [precision, fma] of [['f32', false], ...(relaxed ? [['f32', true]] : []), ['f64', false]]) {
        await use(fma);
        const r = await workload('klr_train', { p, gamma, precision, reps: 1 }, 'cpu');
        emit({ impl: 'browser-cpu', workload: 'klr_train', p, gamma, precision, relaxed_simd: fma, seconds: r.seconds });
      }
    }
    await use(relaxed);
  } else {
    throw new Error(`usage: workloads-browser.mjs khopfield|softkmeans|elcd|hhd|klr [quick] [gpu]`);
  }
} finally {
  await ctx.close();
  srv.server.close();
}
