//! Training: Adam on minibatches of demonstration samples (dissertation Sec. 4.5:
//! batch 100, learning rate 1e-3).
//!
//! Each epoch visits the samples in a fresh seeded random order, `batch` at a time (the
//! last batch of an epoch may be smaller; a batch at least as large as the data is the
//! full data). The recorded loss of a step is the minibatch loss before that step's update.
//! Training stops early, keeping the last finite parameters, if a loss or gradient stops
//! being finite.

use super::model::Model;
use crate::rng::{Rng, shuffle};

/// Adam's constants (PyTorch's defaults).
pub const BETA1: f64 = 0.9;
pub const BETA2: f64 = 0.999;
pub const EPS: f64 = 1e-8;

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    pub steps: usize,
    pub batch: usize,
    pub lr: f64,
}

/// The outcome of a training.
#[derive(Debug, Clone)]
pub struct Trained {
    pub params: Vec<f64>,
    /// The minibatch loss of every step taken.
    pub loss: Vec<f64>,
    /// `Some(step)` when a non-finite loss or gradient stopped the training at that step.
    pub stopped_at: Option<usize>,
}

/// Adam's state for a flat parameter vector.
#[derive(Debug, Clone)]
pub struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    /// β₁ᵗ and β₂ᵗ, kept by multiplication (no `powi`, whose rounding may differ between targets).
    b1t: f64,
    b2t: f64,
    pub lr: f64,
}

impl Adam {
    pub fn new(n: usize, lr: f64) -> Self {
        Self { m: vec![0.0; n], v: vec![0.0; n], b1t: 1.0, b2t: 1.0, lr }
    }

    /// One update of `p` with gradient `g`.
    pub fn step(&mut self, p: &mut [f64], g: &[f64]) {
        self.b1t *= BETA1;
        self.b2t *= BETA2;
        let c1 = 1.0 / (1.0 - self.b1t);
        let c2 = 1.0 / (1.0 - self.b2t);
        for i in 0..p.len() {
            self.m[i] = BETA1 * self.m[i] + (1.0 - BETA1) * g[i];
            self.v[i] = BETA2 * self.v[i] + (1.0 - BETA2) * g[i] * g[i];
            let mh = self.m[i] * c1;
            let vh = self.v[i] * c2;
            p[i] -= self.lr * mh / (vh.sqrt() + EPS);
        }
    }
}

/// Seeded minibatches over `n` samples.
#[derive(Debug, Clone)]
pub struct Batches {
    order: Vec<usize>,
    pos: usize,
    batch: usize,
    rng: Rng,
}

impl Batches {
    pub fn new(n: usize, batch: usize, rng: Rng) -> Self {
        Self { order: (0..n).collect(), pos: n, batch: batch.max(1), rng }
    }

    /// The sample indices of the next step.
    pub fn next_batch(&mut self) -> &[usize] {
        let n = self.order.len();
        if self.pos >= n {
            shuffle(&mut self.rng, &mut self.order);
            self.pos = 0;
        }
        let end = (self.pos + self.batch).min(n);
        let range = self.pos..end;
        self.pos = end;
        &self.order[range]
    }
}

/// Train `model` from `p0` on samples `xs`, `vs` (`n × d`); `on_step(step, loss)` is called
/// after every step (progress and streaming).
pub fn train(
    model: &dyn Model,
    p0: Vec<f64>,
    xs: &[f64],
    vs: &[f64],
    cfg: &TrainConfig,
    rng: Rng,
    on_step: &mut dyn FnMut(usize, f64),
) -> Trained {
    let d = model.dim();
    let n = xs.len().checked_div(d).unwrap_or(0);
    let mut p = p0;
    let mut grad = vec![0.0; p.len()];
    let mut adam = Adam::new(p.len(), cfg.lr);
    let mut batches = Batches::new(n, cfg.batch, rng);
    let mut loss = Vec::with_capacity(cfg.steps);
    let mut stopped_at = None;
    if n == 0 {
        return Trained { params: p, loss, stopped_at };
    }
    for step in 0..cfg.steps {
        let idx = batches.next_batch().to_vec();
        let l = model.loss_grad(&p, xs, vs, &idx, &mut grad);
        if !l.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            stopped_at = Some(step);
            break;
        }
        let before = p.clone();
        adam.step(&mut p, &grad);
        if p.iter().any(|v| !v.is_finite()) {
            p = before;
            stopped_at = Some(step);
            break;
        }
        loss.push(l);
        on_step(step, l);
    }
    Trained { params: p, loss, stopped_at }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn batches_cover_every_sample_once_per_epoch() {
        let mut b = Batches::new(10, 4, seeded(1, 1));
        let mut seen: Vec<usize> = Vec::new();
        let sizes: Vec<usize> = (0..3).map(|_| b.next_batch().len()).collect();
        assert_eq!(sizes, [4, 4, 2]);
        let mut b = Batches::new(10, 4, seeded(1, 1));
        for _ in 0..3 {
            seen.extend_from_slice(b.next_batch());
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn adam_first_step_moves_each_parameter_by_lr() {
        // With bias correction the first step is lr·g/(|g| + ε) ≈ lr·sign(g).
        let mut a = Adam::new(3, 0.01);
        let mut p = vec![1.0, 2.0, 3.0];
        a.step(&mut p, &[0.5, -2.0, 0.0]);
        assert!((p[0] - 0.99).abs() < 1e-9 && (p[1] - 2.01).abs() < 1e-9 && p[2] == 3.0, "{p:?}");
    }
}
