//! Soft-k-means benchmark (not a test): `cargo bench --bench softkmeans` prints one JSON line
//! per measurement; `crate/benches/softkmeans.sh` runs it with the NumPy reference
//! (`softkmeans_numpy.py`) in the same run and prints the tables of the README.
//!
//! 1. Time per soft-k-means update at m = 10⁶ points, k = 16, d = 1 and d = 3: the compute
//!    engine's CPU path (f64) and its GPU path (f32, whatever adapter wgpu finds; lavapipe
//!    here), each `(t(1 + n updates) − t(1 update)) / n` so the final attention pass cancels.
//! 2. Bytes held for the backward pass and wall time of the DKM, IDKM and JFB gradients at
//!    5, 30 and 100 updates, m = 10⁴, k = 16, d = 1 and 3 (the lab's f64 code).
//! 3. Wall time of one epoch of quantisation-aware training per method (the lab's demo,
//!    k = 4, d = 1), the counterpart of the source's Table 2.2.
//!
//! `cargo bench --bench softkmeans -- quick` uses m = 10⁵ in part 1. The data and starting
//! centres of part 1 come from `hopfield_playground::benchwork::softkmeans`, as in the page's
//! benchmark hook (`tests/bench/workloads-browser.mjs`, the browser columns).

use hopfield_playground::benchwork::median;
use hopfield_playground::benchwork::softkmeans::{points, start};
use hopfield_playground::compute::{Compute, cpu, gpu::Gpu};
use hopfield_playground::labs::softkmeans::{model, quantize};
use std::sync::Arc;
use std::time::Instant;

fn secs(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let m = if quick { 100_000 } else { 1_000_000 };
    let k = 16;
    let tau = 0.5;
    let gpu = match pollster::block_on(Gpu::new()) {
        Ok(g) => {
            eprintln!("GPU: {}", g.describe());
            Some(Arc::new(g))
        }
        Err(e) => {
            eprintln!("no GPU: {e}");
            None
        }
    };
    for d in [1, 3] {
        let w = points(m, d, 7);
        let c0 = start(&w, k);
        let n = 4;
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        for th in [1, threads] {
            let t1 = median(3, || secs(|| drop(cpu::soft_kmeans_threads(&w, &c0, tau, 0.0, 1, th))));
            let tn = median(3, || secs(|| drop(cpu::soft_kmeans_threads(&w, &c0, tau, 0.0, 1 + n, th))));
            println!(
                "{{\"bench\":\"iteration\",\"impl\":\"native-cpu-f64-{th}t\",\"m\":{m},\"k\":{k},\"d\":{d},\"seconds\":{:e}}}",
                (tn - t1) / n as f64
            );
            if threads == 1 {
                break;
            }
        }
        if let Some(g) = &gpu {
            // lavapipe runs the weighted sums Aᵀ[W | 1] (inner dimension m) on few threads:
            // seconds per update at m = 10⁵, so one repetition of one extra update there.
            let soft = g.describe().contains("llvmpipe");
            if soft && m > 100_000 {
                eprintln!("GPU: skipped at m = {m} on a software adapter (run with `quick` for m = 10⁵)");
            } else {
                let c = Compute::with_gpu(Arc::clone(g));
                let (wf, cf) = (w.to_f32(), c0.to_f32());
                let run = |iters: usize| pollster::block_on(c.soft_kmeans(&wf, &cf, tau as f32, 0.0, iters));
                let (reps, extra) = if soft { (1, 1) } else { (3, n) };
                let t1 = median(reps, || secs(|| drop(run(1))));
                let tn = median(reps, || secs(|| drop(run(1 + extra))));
                println!(
                    "{{\"bench\":\"iteration\",\"impl\":\"native-gpu-f32\",\"m\":{m},\"k\":{k},\"d\":{d},\"seconds\":{:e}}}",
                    (tn - t1) / extra as f64
                );
            }
        }
    }
    // Memory and time of the three gradients.
    for d in [1, 3] {
        let w = points(10_000, d, 8);
        let c0: Vec<f64> = w.data[..k * d].iter().map(|x| x + 0.01).collect();
        let g = vec![1.0; k * d];
        for t in [5, 30, 100] {
            let run = model::solve(&w, &c0, k, tau, 0.0, t, true);
            let mut un = None;
            let tu = secs(|| un = Some(model::unrolled(&w, &run.tape, &g, tau)));
            let mut imp = None;
            let ti = secs(|| imp = Some(model::implicit(&w, &run.centres, &g, tau)));
            let mut jf = None;
            let tj = secs(|| jf = Some(model::jfb(&w, &run.centres, &g, tau)));
            let (un, imp, jf) = (un.expect("ran"), imp.expect("ran"), jf.expect("ran"));
            let ib = imp.gradient.as_ref().map_or(0, |x| x.bytes);
            println!(
                "{{\"bench\":\"gradient\",\"m\":10000,\"k\":{k},\"d\":{d},\"iterations\":{},\"bytes_unrolled\":{},\"bytes_implicit\":{ib},\"bytes_jfb\":{},\"seconds_unrolled\":{tu:e},\"seconds_implicit\":{ti:e},\"seconds_jfb\":{tj:e},\"m_iterations\":{}}}",
                run.iterations, un.bytes, jf.bytes, imp.solve.total_iterations
            );
        }
    }
    // One epoch of the quantisation demo per method.
    let (train, test) = quantize::digit_split(42);
    let net = quantize::pretrain(&train, 42);
    let cfg = quantize::Config { k: 4, d: 1, tau: 5e-4, eps: 1e-9, iters: 30, epochs: 1, lr: 0.05, seed: 42 };
    for method in quantize::Method::ALL {
        let mut r = None;
        let t = secs(|| r = Some(quantize::train(&net, &train, &test, &cfg, method, || {})));
        let r = r.expect("ran");
        println!(
            "{{\"bench\":\"quantize\",\"method\":\"{:?}\",\"k\":4,\"d\":1,\"epochs\":1,\"seconds\":{t:e},\"accuracy\":{},\"peak_bytes\":{}}}",
            method, r.accuracy, r.peak_bytes
        );
    }
}
