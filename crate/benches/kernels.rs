//! Kernel benchmarks (not tests): `cargo bench --bench kernels` prints one JSON line per
//! measurement — native CPU (f32, all cores and one core) and native GPU (whatever adapter
//! wgpu finds; lavapipe here) — for `tests/bench/run.sh`, which adds NumPy, wasm,
//! WebGPU and TensorFlow.js columns from the same run and prints the tables.
//!
//! `cargo bench --bench kernels -- quick` runs the two smallest sizes only.

use hopfield_playground::compute::{Compute, Mat, cpu, gpu::Gpu};
use hopfield_playground::rng::{normal, seeded, spins};
use std::sync::Arc;
use std::time::Instant;

/// Median seconds of `f` over enough repetitions to fill ~`budget` seconds (at least 3).
fn time(budget: f64, mut f: impl FnMut()) -> f64 {
    let t0 = Instant::now();
    f();
    let first = t0.elapsed().as_secs_f64();
    let reps = ((budget / first.max(1e-6)) as usize).clamp(3, 50);
    let mut ts: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    ts.sort_by(f64::total_cmp);
    ts[ts.len() / 2]
}

fn emit(kernel: &str, impl_: &str, shape: &str, secs: f64, flops: f64) {
    println!(
        "{{\"kernel\":\"{kernel}\",\"impl\":\"{impl_}\",\"shape\":\"{shape}\",\"seconds\":{secs:e},\"gflops\":{:.2}}}",
        flops / secs / 1e9
    );
}

fn random_f32(rows: usize, cols: usize) -> Mat<f32> {
    let mut rng = seeded(1, 1);
    Mat { rows, cols, data: (0..rows * cols).map(|_| normal(&mut rng) as f32).collect() }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let sizes: &[(usize, usize)] = if quick {
        &[(100, 100), (1000, 784)]
    } else {
        &[(100, 100), (1000, 784), (2000, 2000), (4000, 4000)]
    };
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
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    for &(p, n) in sizes {
        let x = random_f32(p, n);
        let flops = 2.0 * (p * p * n) as f64;
        let shape = format!("{p}x{n}");
        let budget = if p >= 4000 { 2.0 } else { 0.5 };
        emit(
            "gram",
            &format!("native-cpu-{threads}t"),
            &shape,
            time(budget, || drop(cpu::gram_f32(&x))),
            flops,
        );
        emit("gram", "native-cpu-1t", &shape, time(budget, || drop(cpu::gram_f32_threads(&x, 1))), flops);
        if let Some(g) = &gpu {
            // lavapipe is slow at 4000²; one repetition is enough to show it.
            if p <= 2000 || !g.describe().contains("llvmpipe") {
                let c = Compute::with_gpu(Arc::clone(g));
                emit(
                    "gram",
                    "native-gpu",
                    &shape,
                    time(budget, || drop(pollster::block_on(c.gram(&x)))),
                    flops,
                );
            }
        }
    }
    // Batched Hopfield recall: N neurons, P = 0.1 N patterns, B = N probes, 10 steps.
    for &n in if quick { &[256usize][..] } else { &[256usize, 1024][..] } {
        let mut rng = seeded(2, 1);
        let p = n / 10;
        let pats: Vec<Vec<i8>> = (0..p).map(|_| spins(&mut rng, n)).collect();
        let mut w = Mat::<f32>::zeros(n, n);
        for pat in &pats {
            for i in 0..n {
                for j in 0..n {
                    if i != j {
                        w.data[i * n + j] += f32::from(pat[i] * pat[j]);
                    }
                }
            }
        }
        let s0 =
            Mat { rows: n, cols: n, data: (0..n).flat_map(|_| spins(&mut rng, n)).map(f32::from).collect() };
        let shape = format!("N={n},B={n}");
        let steps = 10;
        let flops = 2.0 * (n * n * n * steps) as f64;
        let cpu_c = Compute::cpu("bench");
        emit(
            "hopfield_sync",
            "native-cpu",
            &shape,
            time(0.5, || drop(pollster::block_on(cpu_c.hopfield_sync(&w, &s0, steps)))),
            flops,
        );
        if let Some(g) = &gpu {
            let c = Compute::with_gpu(Arc::clone(g));
            emit(
                "hopfield_sync",
                "native-gpu",
                &shape,
                time(0.5, || drop(pollster::block_on(c.hopfield_sync(&w, &s0, steps)))),
                flops,
            );
        }
    }
}
