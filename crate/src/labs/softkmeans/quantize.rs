//! The end-to-end demo of Section 2.5 at toy scale: a small MLP on the 8×8 digits whose
//! weight matrices are quantised to `k` codewords of `d` weights by soft k-means inside
//! the training loop (Algorithm 2 of the source), trained with each of the three
//! gradients of the clustering: DKM (unrolled), IDKM (implicit) and IDKM-JFB.
//!
//! The network is `64 → 32 (ReLU) → 10` (2,410 parameters; the dissertation's
//! convolutional network has 2,158 and is pretrained on MNIST, ours on the 8×8 digits).
//! Each weight matrix, flattened row-major, is cut into `m = n/d` sub-vectors of `d`
//! consecutive weights (product quantisation, Section 2.3); biases stay in full
//! precision. The loss of a training step is the cross-entropy of the network whose
//! weights are the soft-quantised `r_τ(W, C*(W))` (eq. 2.11); its gradient reaches `W`
//! directly through `r_τ` and through `C*(W)` by the chosen method. Each step's soft
//! k-means starts from the previous step's codebook (as DKM does). Accuracy is that of
//! the *hard*-quantised network (every sub-vector replaced by its nearest codeword: at
//! most `k` distinct weight vectors per layer) on held-out digits.

// Index loops over several parallel buffers read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use super::data;
use super::model::{self, Step};
use crate::compute::Mat;
use crate::rng::{Rng, normal, seeded, shuffle};
use serde::Serialize;

/// Hidden units.
pub const HIDDEN: usize = 32;
const INPUT: usize = 64;
const CLASSES: usize = 10;
/// Parameters of the network.
pub const PARAMS: usize = HIDDEN * INPUT + HIDDEN + CLASSES * HIDDEN + CLASSES;
/// Digits held out for testing (the rest train).
pub const TEST: usize = 450;
/// Mini-batch size (pretraining and quantisation-aware training).
pub const BATCH: usize = 32;
/// Full-precision pretraining: epochs and step size of plain SGD.
pub const PRE_EPOCHS: usize = 25;
pub const PRE_LR: f64 = 0.1;
/// The `(k, d)` rows of the source's Tables 2.1–2.2, as read from our copy of the text.
pub const TABLE_ROWS: [(usize, usize); 5] = [(8, 1), (4, 1), (2, 1), (2, 2), (4, 2)];

/// The three ways to differentiate the clustering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Dkm,
    Idkm,
    Jfb,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Dkm, Method::Idkm, Method::Jfb];
}

/// Settings of the quantisation-aware training.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub k: usize,
    pub d: usize,
    pub tau: f64,
    pub eps: f64,
    /// Cap on soft-k-means updates per training step (the source: 30).
    pub iters: usize,
    pub epochs: usize,
    pub lr: f64,
    pub seed: u64,
}

/// The network's parameters.
#[derive(Debug, Clone)]
pub struct Mlp {
    /// `HIDDEN × 64`.
    pub w1: Vec<f64>,
    pub b1: Vec<f64>,
    /// `10 × HIDDEN`.
    pub w2: Vec<f64>,
    pub b2: Vec<f64>,
}

/// Gradients of the mean cross-entropy over a batch, shaped like [`Mlp`].
#[derive(Debug, Clone)]
pub struct Grads {
    pub w1: Vec<f64>,
    pub b1: Vec<f64>,
    pub w2: Vec<f64>,
    pub b2: Vec<f64>,
}

impl Mlp {
    /// He-initialised weights, zero biases.
    pub fn new(rng: &mut Rng) -> Self {
        let s1 = (2.0 / INPUT as f64).sqrt();
        let s2 = (2.0 / HIDDEN as f64).sqrt();
        Self {
            w1: (0..HIDDEN * INPUT).map(|_| s1 * normal(rng)).collect(),
            b1: vec![0.0; HIDDEN],
            w2: (0..CLASSES * HIDDEN).map(|_| s2 * normal(rng)).collect(),
            b2: vec![0.0; CLASSES],
        }
    }

    fn logits(&self, x: &[f64], h: &mut [f64], z: &mut [f64]) {
        for r in 0..HIDDEN {
            let row = &self.w1[r * INPUT..(r + 1) * INPUT];
            h[r] = (self.b1[r] + row.iter().zip(x).map(|(a, b)| a * b).sum::<f64>()).max(0.0);
        }
        for c in 0..CLASSES {
            let row = &self.w2[c * HIDDEN..(c + 1) * HIDDEN];
            z[c] = self.b2[c] + row.iter().zip(h.iter()).map(|(a, b)| a * b).sum::<f64>();
        }
    }

    /// The predicted class of `x`.
    pub fn predict(&self, x: &[f64]) -> usize {
        let (mut h, mut z) = ([0.0; HIDDEN], [0.0; CLASSES]);
        self.logits(x, &mut h, &mut z);
        (0..CLASSES).fold(0, |b, c| if z[c] > z[b] { c } else { b })
    }

    /// Fraction of `set` classified correctly.
    pub fn accuracy(&self, set: &[(Vec<f64>, usize)]) -> f64 {
        set.iter().filter(|(x, y)| self.predict(x) == *y).count() as f64 / set.len().max(1) as f64
    }

    /// Mean cross-entropy over `batch` and its gradient.
    pub fn loss_grad(&self, batch: &[&(Vec<f64>, usize)]) -> (f64, Grads) {
        let mut g = Grads {
            w1: vec![0.0; self.w1.len()],
            b1: vec![0.0; HIDDEN],
            w2: vec![0.0; self.w2.len()],
            b2: vec![0.0; CLASSES],
        };
        let scale = 1.0 / batch.len().max(1) as f64;
        let mut loss = 0.0;
        let (mut h, mut z) = ([0.0; HIDDEN], [0.0; CLASSES]);
        for (x, y) in batch {
            self.logits(x, &mut h, &mut z);
            let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = z.iter().map(|v| libm::exp(v - top)).sum();
            loss += scale * (libm::log(total) + top - z[*y]);
            let mut dz = [0.0; CLASSES];
            for c in 0..CLASSES {
                dz[c] = scale * (libm::exp(z[c] - top) / total - if c == *y { 1.0 } else { 0.0 });
            }
            let mut dh = [0.0; HIDDEN];
            for c in 0..CLASSES {
                g.b2[c] += dz[c];
                for r in 0..HIDDEN {
                    g.w2[c * HIDDEN + r] += dz[c] * h[r];
                    dh[r] += dz[c] * self.w2[c * HIDDEN + r];
                }
            }
            for r in 0..HIDDEN {
                if h[r] > 0.0 {
                    g.b1[r] += dh[r];
                    for t in 0..INPUT {
                        g.w1[r * INPUT + t] += dh[r] * x[t];
                    }
                }
            }
        }
        (loss, g)
    }
}

/// One digit: pixels / 16 and its label.
pub type Sample = (Vec<f64>, usize);

/// The 8×8 digits as `(pixels / 16, label)`, split by a seeded shuffle into
/// (training, test) with [`TEST`] held out.
pub fn digit_split(seed: u64) -> (Vec<Sample>, Vec<Sample>) {
    let mut all: Vec<(Vec<f64>, usize)> = crate::data::digits()
        .iter()
        .map(|d| (d.pixels.iter().map(|&p| f64::from(p) / 16.0).collect(), usize::from(d.label)))
        .collect();
    shuffle(&mut seeded(seed, 21), &mut all);
    let test = all.split_off(all.len().saturating_sub(TEST));
    (all, test)
}

/// Plain mini-batch SGD in full precision: the pretrained network.
pub fn pretrain(train: &[(Vec<f64>, usize)], seed: u64) -> Mlp {
    let mut net = Mlp::new(&mut seeded(seed, 22));
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut rng = seeded(seed, 23);
    for _ in 0..PRE_EPOCHS {
        shuffle(&mut rng, &mut order);
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&(Vec<f64>, usize)> = chunk.iter().map(|&i| &train[i]).collect();
            let (_, g) = net.loss_grad(&batch);
            sgd(&mut net.w1, &g.w1, PRE_LR);
            sgd(&mut net.b1, &g.b1, PRE_LR);
            sgd(&mut net.w2, &g.w2, PRE_LR);
            sgd(&mut net.b2, &g.b2, PRE_LR);
        }
    }
    net
}

fn sgd(p: &mut [f64], g: &[f64], lr: f64) {
    for (a, b) in p.iter_mut().zip(g) {
        *a -= lr * b;
    }
}

/// A weight matrix as `n/d` sub-vectors of `d` consecutive weights.
fn subvectors(w: &[f64], d: usize) -> Mat<f64> {
    Mat { rows: w.len() / d, cols: d, data: w.to_vec() }
}

/// Replace every sub-vector by its nearest codeword.
fn hard_quantize(w: &[f64], c: &[f64], k: usize, d: usize) -> Vec<f64> {
    let pts = subvectors(w, d);
    let labels = model::nearest(&pts, c, k);
    labels.iter().flat_map(|&j| c[j * d..(j + 1) * d].to_vec()).collect()
}

/// The network with both weight matrices hard-quantised to codebooks `c1`, `c2`.
fn hard_network(net: &Mlp, c1: &[f64], c2: &[f64], cfg: &Config) -> Mlp {
    Mlp {
        w1: hard_quantize(&net.w1, c1, cfg.k, cfg.d),
        b1: net.b1.clone(),
        w2: hard_quantize(&net.w2, c2, cfg.k, cfg.d),
        b2: net.b2.clone(),
    }
}

/// The outcome of one method's training.
#[derive(Debug, Clone, Serialize)]
pub struct MethodResult {
    pub method: Method,
    /// Test accuracy of the hard-quantised network after training.
    pub accuracy: f64,
    /// Training steps.
    pub steps: usize,
    /// Soft-k-means updates over all steps and both layers.
    pub clustering_updates: usize,
    /// Multiply–adds of the clustering's backward passes, all steps (counted).
    pub backward_work: u64,
    /// Largest memory held for the clustering's backward pass in one step, both layers (bytes).
    pub peak_bytes: usize,
    /// Steps whose IDKM solve for `M` did not converge (always 0 for DKM and JFB).
    pub m_unconverged: usize,
    /// Mean training loss of the last epoch.
    pub final_loss: f64,
}

/// One `(k, d)` row of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub k: usize,
    pub d: usize,
    /// Bits per weight of the quantised layers: `log2(k)/d`.
    pub bits_per_weight: f64,
    /// Post-training quantisation (soft k-means on the pretrained weights, no retraining).
    pub ptq_accuracy: f64,
    pub methods: Vec<MethodResult>,
}

/// The starting codebook of a layer: soft k-means (to convergence or `iters`) of the
/// pretrained weights from seeded initial centres.
fn initial_codebook(w: &[f64], cfg: &Config, layer: u64) -> Vec<f64> {
    let pts = subvectors(w, cfg.d);
    let c0 = data::initial_centres(&mut seeded(cfg.seed, 30 + layer), &pts, cfg.k);
    model::solve(&pts, &c0, cfg.k, cfg.tau, cfg.eps, cfg.iters.max(1), false).centres
}

/// What one layer's clustering contributes to a step.
struct LayerStep {
    quantized: Vec<f64>,
    at_star: Step,
    solve: model::Solve,
}

fn cluster_layer(w: &[f64], c0: &[f64], cfg: &Config, keep: bool) -> LayerStep {
    let pts = subvectors(w, cfg.d);
    let solve = model::solve(&pts, c0, cfg.k, cfg.tau, cfg.eps, cfg.iters, keep);
    let at_star = model::step(&pts, &solve.centres, cfg.k, cfg.tau);
    LayerStep { quantized: model::soft_quantize(&at_star, cfg.d), at_star, solve }
}

/// `∂L/∂W` of one layer from `∂L/∂Ŵ` (`r̄`), through `r_τ` and through `C*(W)` by `method`.
fn layer_backward(
    w: &[f64],
    ls: &LayerStep,
    r_bar: &[f64],
    cfg: &Config,
    method: Method,
) -> (Vec<f64>, u64, usize, bool) {
    let pts = subvectors(w, cfg.d);
    let (mut w_bar, c_bar) = model::soft_quantize_vjp(&pts, &ls.at_star, r_bar, cfg.tau);
    let (g, ok) = match method {
        Method::Dkm => (model::unrolled(&pts, &ls.solve.tape, &c_bar, cfg.tau), true),
        Method::Jfb => (model::jfb(&pts, &ls.solve.centres, &c_bar, cfg.tau), true),
        Method::Idkm => {
            let imp = model::implicit(&pts, &ls.solve.centres, &c_bar, cfg.tau);
            let ok = imp.solve.converged;
            match imp.gradient {
                Some(g) => (g, ok),
                // M never settled: fall back to M = I for this step (counted as unconverged).
                None => (model::jfb(&pts, &ls.solve.centres, &c_bar, cfg.tau), false),
            }
        }
    };
    for (a, b) in w_bar.iter_mut().zip(&g.grad) {
        *a += b;
    }
    (w_bar, g.work, g.bytes, ok)
}

/// Train the pretrained `net` with quantised weights by `method`; `progress(step)` after each step.
pub fn train(
    net: &Mlp,
    train: &[(Vec<f64>, usize)],
    test: &[(Vec<f64>, usize)],
    cfg: &Config,
    method: Method,
    mut progress: impl FnMut(),
) -> MethodResult {
    let mut net = net.clone();
    let mut c1 = initial_codebook(&net.w1, cfg, 1);
    let mut c2 = initial_codebook(&net.w2, cfg, 2);
    let mut order: Vec<usize> = (0..train.len()).collect();
    // The same batches for every method.
    let mut rng = seeded(cfg.seed, 24);
    let (mut steps, mut updates, mut work, mut peak, mut unconverged) = (0, 0, 0u64, 0, 0);
    let mut final_loss = 0.0;
    for _ in 0..cfg.epochs {
        shuffle(&mut rng, &mut order);
        let (mut total, mut batches) = (0.0, 0);
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&(Vec<f64>, usize)> = chunk.iter().map(|&i| &train[i]).collect();
            let keep = method == Method::Dkm;
            let l1 = cluster_layer(&net.w1, &c1, cfg, keep);
            let l2 = cluster_layer(&net.w2, &c2, cfg, keep);
            updates += l1.solve.iterations + l2.solve.iterations;
            let qnet = Mlp {
                w1: l1.quantized.clone(),
                b1: net.b1.clone(),
                w2: l2.quantized.clone(),
                b2: net.b2.clone(),
            };
            let (loss, g) = qnet.loss_grad(&batch);
            total += loss;
            batches += 1;
            let (g1, work1, bytes1, ok1) = layer_backward(&net.w1, &l1, &g.w1, cfg, method);
            let (g2, work2, bytes2, ok2) = layer_backward(&net.w2, &l2, &g.w2, cfg, method);
            work += work1 + work2;
            peak = peak.max(bytes1 + bytes2);
            unconverged += usize::from(!ok1) + usize::from(!ok2);
            sgd(&mut net.w1, &g1, cfg.lr);
            sgd(&mut net.w2, &g2, cfg.lr);
            sgd(&mut net.b1, &g.b1, cfg.lr);
            sgd(&mut net.b2, &g.b2, cfg.lr);
            c1 = l1.solve.centres;
            c2 = l2.solve.centres;
            steps += 1;
            progress();
        }
        final_loss = total / f64::from(batches.max(1));
    }
    // The codebook of the final weights, then hard quantisation.
    let c1 =
        model::solve(&subvectors(&net.w1, cfg.d), &c1, cfg.k, cfg.tau, cfg.eps, cfg.iters, false).centres;
    let c2 =
        model::solve(&subvectors(&net.w2, cfg.d), &c2, cfg.k, cfg.tau, cfg.eps, cfg.iters, false).centres;
    MethodResult {
        method,
        accuracy: hard_network(&net, &c1, &c2, cfg).accuracy(test),
        steps,
        clustering_updates: updates,
        backward_work: work,
        peak_bytes: peak,
        m_unconverged: if method == Method::Idkm { unconverged } else { 0 },
        final_loss,
    }
}

/// Steps of one method's training.
pub fn steps_per_method(train_len: usize, epochs: usize) -> usize {
    train_len.div_ceil(BATCH) * epochs
}

/// One table row: post-training quantisation and the three methods.
pub fn row(
    net: &Mlp,
    train_set: &[(Vec<f64>, usize)],
    test: &[(Vec<f64>, usize)],
    cfg: &Config,
    mut progress: impl FnMut(),
) -> Row {
    let c1 = initial_codebook(&net.w1, cfg, 1);
    let c2 = initial_codebook(&net.w2, cfg, 2);
    let ptq_accuracy = hard_network(net, &c1, &c2, cfg).accuracy(test);
    let methods = Method::ALL.iter().map(|&m| train(net, train_set, test, cfg, m, &mut progress)).collect();
    Row { k: cfg.k, d: cfg.d, bits_per_weight: (cfg.k as f64).log2() / cfg.d as f64, ptq_accuracy, methods }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_set() -> Vec<(Vec<f64>, usize)> {
        digit_split(1).0.into_iter().take(40).collect()
    }

    #[test]
    fn network_has_the_stated_parameter_count() {
        let net = Mlp::new(&mut seeded(1, 1));
        assert_eq!(net.w1.len() + net.b1.len() + net.w2.len() + net.b2.len(), PARAMS);
        assert_eq!(PARAMS, 2410);
    }

    #[test]
    fn mlp_gradient_matches_finite_differences() {
        let set = tiny_set();
        let batch: Vec<&(Vec<f64>, usize)> = set.iter().take(5).collect();
        let net = Mlp::new(&mut seeded(2, 1));
        let (_, g) = net.loss_grad(&batch);
        let h = 1e-6;
        for e in [0, 77, 1500, 2047] {
            let (mut p, mut q) = (net.clone(), net.clone());
            p.w1[e] += h;
            q.w1[e] -= h;
            let fd = (p.loss_grad(&batch).0 - q.loss_grad(&batch).0) / (2.0 * h);
            assert!((fd - g.w1[e]).abs() < 1e-7, "w1[{e}]: {} vs {fd}", g.w1[e]);
        }
        for e in [0, 100, 319] {
            let (mut p, mut q) = (net.clone(), net.clone());
            p.w2[e] += h;
            q.w2[e] -= h;
            let fd = (p.loss_grad(&batch).0 - q.loss_grad(&batch).0) / (2.0 * h);
            assert!((fd - g.w2[e]).abs() < 1e-7, "w2[{e}]: {} vs {fd}", g.w2[e]);
        }
    }

    #[test]
    fn quantized_layer_gradient_through_the_fixed_point_matches_finite_differences() {
        // L(W) = ⟨R, r_τ(W, C*(W))⟩ for a 24-weight layer, d = 2, k = 3: the chain IDKM
        // uses in training, against central differences of the tightly solved fixed point.
        let mut rng = seeded(3, 1);
        let w: Vec<f64> = (0..24).map(|_| 0.3 * normal(&mut rng)).collect();
        let rr: Vec<f64> = (0..24).map(|_| normal(&mut rng)).collect();
        let cfg = Config { k: 3, d: 2, tau: 0.05, eps: 1e-14, iters: 5000, epochs: 1, lr: 0.0, seed: 3 };
        let c0 = data::initial_centres(&mut seeded(3, 2), &subvectors(&w, 2), 3);
        let loss = |w: &[f64], start: &[f64]| -> f64 {
            let pts = subvectors(w, 2);
            let c = model::tight(&pts, start, 3, cfg.tau).0;
            model::soft_quantize(&model::step(&pts, &c, 3, cfg.tau), 2)
                .iter()
                .zip(&rr)
                .map(|(a, b)| a * b)
                .sum()
        };
        let ls = cluster_layer(&w, &c0, &cfg, true);
        let h = 1e-6;
        for method in Method::ALL {
            let (g, _, _, ok) = layer_backward(&w, &ls, &rr, &cfg, method);
            assert!(ok);
            let mut worst: f64 = 0.0;
            for e in 0..24 {
                let (mut p, mut q) = (w.clone(), w.clone());
                p[e] += h;
                q[e] -= h;
                let fd = (loss(&p, &ls.solve.centres) - loss(&q, &ls.solve.centres)) / (2.0 * h);
                worst = worst.max((fd - g[e]).abs() / (1.0 + fd.abs()));
            }
            match method {
                Method::Jfb => assert!(worst > 1e-6, "JFB unexpectedly exact"),
                _ => assert!(worst < 1e-6, "{method:?}: {worst:e}"),
            }
        }
    }

    #[test]
    fn one_epoch_of_each_method_runs_and_reports_memory() {
        let (train_set, test) = digit_split(4);
        let train_set: Vec<_> = train_set.into_iter().take(64).collect();
        let net = Mlp::new(&mut seeded(4, 1));
        let cfg = Config { k: 4, d: 1, tau: 0.01, eps: 1e-6, iters: 10, epochs: 1, lr: 0.05, seed: 4 };
        let mut ticks = 0;
        let r = row(&net, &train_set, &test[..50], &cfg, || ticks += 1);
        assert_eq!(ticks, 3 * steps_per_method(64, 1));
        assert_eq!(r.methods.len(), 3);
        let by = |m: Method| r.methods.iter().find(|x| x.method == m).expect("present");
        // IDKM and JFB hold one step at C* (plus J and M for IDKM); DKM a tape of updates.
        assert!(by(Method::Jfb).peak_bytes < by(Method::Idkm).peak_bytes);
        assert!(by(Method::Jfb).backward_work < by(Method::Idkm).backward_work);
        for m in &r.methods {
            assert!((0.0..=1.0).contains(&m.accuracy) && m.final_loss.is_finite());
        }
    }
}
