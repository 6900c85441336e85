//! The workloads of the benchmarks, shared by the native benches (`crate/benches/`) and the
//! page's benchmark hook (`hp.bench_workload`, driven by `tests/bench/workloads-browser.mjs`),
//! so that the browser columns of the README's tables time the very computation the native
//! columns time. Each workload takes a clock (seconds, any origin: `Instant` natively,
//! `performance.now()` in the page) and times its own stages, outside its setup.
//!
//! Not a model and not part of any lab's run: only benchmarks call this.

use crate::compute::{Compute, Mat};
use crate::rng::{normal, seeded};

/// The median of `reps` results of `f` (seconds).
pub fn median(reps: usize, mut f: impl FnMut() -> f64) -> f64 {
    middle((0..reps.max(1)).map(|_| f()).collect())
}

/// The median of some timings (NaN for none).
pub fn middle(mut ts: Vec<f64>) -> f64 {
    ts.sort_by(f64::total_cmp);
    ts.get(ts.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Retrieval of occluded MNIST digits (lab `khopfield`, Figure 3.2's batched path).
pub mod khopfield {
    use super::{Compute, Mat};
    use crate::data;
    use crate::labs::khopfield::model::{Sim, combine_rows, similarities_batch};
    use crate::labs::khopfield::ssm::{argmax, ksoftmax};

    /// Inverse temperature and number of memories combined (k of ksoftmax).
    pub const BETA: f64 = 3.0;
    pub const K: usize = 5;

    /// The stored digits and the probes.
    pub struct Retrieval {
        pub memories: Mat<f32>,
        pub probes: Mat<f32>,
    }

    /// The first `p` MNIST digits as memories (pixels in [0, 1]) and `b` probes: every
    /// (p / b)-th memory with its top half (14 rows) occluded.
    pub fn setup(p: usize, b: usize) -> Result<Retrieval, String> {
        let m = data::mnist().map_err(|e| e.to_string())?;
        let n = data::MNIST_PIXELS;
        if p == 0 || b == 0 || b > p || p > m.len() {
            return Err(format!("need 0 < probes ≤ memories ≤ {} (got {b} and {p})", m.len()));
        }
        let mut memories = Mat::<f32>::zeros(p, n);
        for i in 0..p {
            for (d, &v) in memories.row_mut(i).iter_mut().zip(m.pixels(i)) {
                *d = f32::from(v) / 255.0;
            }
        }
        let mut probes = Mat::<f32>::zeros(b, n);
        for j in 0..b {
            let src = memories.row(j * (p / b)).to_vec();
            let row = probes.row_mut(j);
            row.copy_from_slice(&src);
            row[..n / 2].fill(0.0);
        }
        Ok(Retrieval { memories, probes })
    }

    /// Seconds per stage, the sum of all outputs and the retrieved memory of each probe.
    pub struct Times {
        pub sims_s: f64,
        pub ksoftmax_s: f64,
        pub outputs_s: f64,
        pub output_sum: f64,
        pub retrieved: Vec<usize>,
    }

    impl Times {
        pub fn total_s(&self) -> f64 {
            self.sims_s + self.ksoftmax_s + self.outputs_s
        }
    }

    /// The similarities of every probe to every memory through `compute`, then ksoftmax
    /// (k = [`K`], f64) and the outputs `Ξᵀ ksoftmax` in chunks of 32 probes, as the lab does.
    pub async fn retrieve(compute: &Compute, sim: Sim, r: &Retrieval, now: &dyn Fn() -> f64) -> Times {
        let b = r.probes.rows;
        let t0 = now();
        let sims = similarities_batch(compute, sim, &r.memories, &r.probes).await;
        let sims_s = now() - t0;
        let (mut ksoftmax_s, mut outputs_s, mut output_sum) = (0.0, 0.0, 0.0);
        let mut retrieved = Vec::with_capacity(b);
        for j0 in (0..b).step_by(32) {
            let t1 = now();
            let mut weights = Vec::new();
            for j in j0..(j0 + 32).min(b) {
                let z: Vec<f64> = sims.row(j).iter().map(|&s| BETA * f64::from(s)).collect();
                weights.extend(ksoftmax(&z, K).columns);
            }
            ksoftmax_s += now() - t1;
            let t2 = now();
            let outs = combine_rows(compute, &r.memories, &weights).await;
            for (w, o) in weights.iter().zip(&outs) {
                output_sum += o.iter().sum::<f64>();
                retrieved.push(argmax(w));
            }
            outputs_s += now() - t2;
        }
        Times { sims_s, ksoftmax_s, outputs_s, output_sum, retrieved }
    }
}

/// Soft k-means updates (lab `softkmeans`'s engine).
pub mod softkmeans {
    use super::{Mat, normal, seeded};

    /// `m` points in `d` dimensions around 16 well-spread means (the shape of
    /// `softkmeans_numpy.py`'s data, not its draws).
    pub fn points(m: usize, d: usize, seed: u64) -> Mat<f64> {
        let mut rng = seeded(seed, 1);
        let means: Vec<f64> = (0..16 * d).map(|_| 2.0 * normal(&mut rng)).collect();
        let data = (0..m * d).map(|e| means[((e / d) % 16) * d + e % d] + 0.5 * normal(&mut rng)).collect();
        Mat { rows: m, cols: d, data }
    }

    /// The starting centres: the first `k` points, shifted by 0.01.
    pub fn start(w: &Mat<f64>, k: usize) -> Mat<f64> {
        let d = w.cols;
        Mat { rows: k, cols: d, data: w.data[..k * d].iter().map(|x| x + 0.01).collect() }
    }
}

/// Training steps of the ELCD lab's models (Adam, batch 100).
pub mod elcd {
    use crate::labs::elcd::model::{Elcd, Mlp, Model};
    use crate::labs::elcd::train::{Adam, Batches};
    use crate::rng::seeded;

    pub const HIDDEN: usize = 16;

    /// The benchmark's models by name: `elcd` (no diffeomorphism), `elcd_diffeo` (4 coupling
    /// layers) and `mlp` (the unconstrained baseline), on the equilibrium `x_star`.
    pub fn model(name: &str, x_star: &[f64]) -> Option<Box<dyn Model>> {
        match name {
            "elcd" => Some(Box::new(Elcd::new(2, HIDDEN, 0.1, x_star.to_vec(), false))),
            "elcd_diffeo" => Some(Box::new(Elcd::new(2, HIDDEN, 0.1, x_star.to_vec(), true))),
            "mlp" => Some(Box::new(Mlp::new(2, HIDDEN))),
            _ => None,
        }
    }

    /// Seconds for `steps` training steps from the seeded initial parameters, best of `reps`.
    pub fn time_steps(
        model: &dyn Model,
        xs: &[f64],
        vs: &[f64],
        steps: usize,
        reps: usize,
        now: &dyn Fn() -> f64,
    ) -> f64 {
        let mut best = f64::INFINITY;
        for _ in 0..reps.max(1) {
            let mut p = model.init(&mut seeded(1, 71));
            let mut grad = vec![0.0; p.len()];
            let mut adam = Adam::new(p.len(), 1e-3);
            let mut batches = Batches::new(xs.len() / model.dim(), 100, seeded(1, 73));
            let t0 = now();
            for _ in 0..steps {
                let idx = batches.next_batch().to_vec();
                model.loss_grad(&p, xs, vs, &idx, &mut grad);
                adam.step(&mut p, &grad);
            }
            best = best.min(now() - t0);
            std::hint::black_box(&p);
        }
        best
    }
}

/// The KLR lab's training (the work of a sweep cell) and its matrix product.
pub mod klr {
    use super::{Mat, normal, seeded};
    use crate::labs::klr::kernel::{kernel_from_gram, pattern_gram, random_patterns};
    use crate::labs::klr::train::{GdConfig, OnDiverge, Precision, train_gd};

    /// An `r × c` matrix of standard normal entries.
    pub fn matrix(r: usize, c: usize, seed: u64) -> Mat<f64> {
        let mut rng = seeded(seed, 0);
        Mat { rows: r, cols: c, data: (0..r * c).map(|_| normal(&mut rng)).collect() }
    }

    /// Seconds of one training of the author's protocol (N = 100, η = 0.1, λ = 0.01, 300
    /// epochs, tol 1e-6, stop on divergence) of `p` patterns at `gamma` on the CPU, as a
    /// sweep cell of seed 42 trains (the kernel is built outside the timing).
    pub fn train_seconds(p: usize, gamma: f64, f64_products: bool, now_s: &dyn Fn() -> f64) -> f64 {
        let n = 100;
        let xi = random_patterns(42, 0, n, p);
        let k = kernel_from_gram(&pattern_gram(&xi), n, gamma);
        let cfg = GdConfig {
            lambda: 0.01,
            lr: 0.1,
            epochs: 300,
            tol: 1e-6,
            on_diverge: OnDiverge::Stop,
            precision: if f64_products { Precision::F64 } else { Precision::F32 },
        };
        let cpu = crate::compute::Compute::cpu("benchmark");
        let t0 = now_s();
        let trained = crate::labs::klr::ready(train_gd(&cpu, &k, &xi, &cfg, &mut |_, _| {}));
        let s = now_s() - t0;
        drop(trained);
        s
    }
}
