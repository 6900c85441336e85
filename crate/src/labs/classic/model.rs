//! The classic Hopfield network: Hebbian storage, synchronous and asynchronous
//! recall, overlaps and energy.
//!
//! `W = (1/N) Σ_μ ξ^μ ξ^μᵀ` with zero diagonal, `E(s) = −½ sᵀ W s`, `sign(0) = +1`.
//! Everything is kept in integers scaled by `N`: `N·W_ij = Σ_μ ξ^μ_i ξ^μ_j` and
//! `N·h_i = Σ_μ ξ^μ_i (ξ^μ·s) − P s_i`, so fields, overlaps and energies are exact
//! and the same bits on every platform (the page and the CLI agree exactly).

use crate::rng::{self, Rng};
use serde::Serialize;

/// Update schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One neuron at a time, in a fresh random order every sweep. The energy never increases.
    Async,
    /// All neurons at once: `s ← sign(W s)`. May fall into a 2-cycle.
    Sync,
}

/// `P` stored ±1 patterns of `N` neurons with Hebbian couplings.
#[derive(Debug, Clone)]
pub struct Hebbian {
    n: usize,
    /// Row-major `P × N`.
    xi: Vec<i8>,
}

/// One recorded state of a recall run.
#[derive(Debug, Clone, Serialize)]
pub struct Frame {
    /// Sweeps (async) or synchronous steps done before this state.
    pub step: usize,
    pub state: Vec<i8>,
    /// `E = −½ sᵀWs`.
    pub energy: f64,
    /// `m_μ = ξ^μ·s / N` for every stored pattern.
    pub overlaps: Vec<f64>,
    /// Neurons that changed in the step that led here.
    pub changed: usize,
}

/// The outcome of one recall.
#[derive(Debug, Clone, Serialize)]
pub struct Recall {
    /// The probe and the state after every step (only when recording).
    pub frames: Vec<Frame>,
    /// Asynchronous mode: the energy after every single-neuron update (only when recording).
    pub energy_updates: Vec<f64>,
    pub final_state: Vec<i8>,
    /// A fixed point was reached.
    pub converged: bool,
    /// 2 when synchronous updates fell into a 2-cycle, else 0.
    pub cycle_length: usize,
    /// Steps (sweeps or synchronous updates) done.
    pub steps: usize,
}

#[inline]
fn sign(h: i64) -> i8 {
    if h >= 0 { 1 } else { -1 }
}

impl Hebbian {
    /// Store `patterns` (each of length `n`, entries ±1).
    pub fn new(n: usize, patterns: &[Vec<i8>]) -> Self {
        let mut xi = Vec::with_capacity(patterns.len() * n);
        for p in patterns {
            debug_assert_eq!(p.len(), n);
            xi.extend_from_slice(p);
        }
        Self { n, xi }
    }

    pub fn n(&self) -> usize {
        self.n
    }

    pub fn p(&self) -> usize {
        self.xi.len() / self.n.max(1)
    }

    /// Pattern `mu`.
    pub fn pattern(&self, mu: usize) -> &[i8] {
        &self.xi[mu * self.n..(mu + 1) * self.n]
    }

    /// `N·W` (row-major `N × N`): `Σ_μ ξ^μ_i ξ^μ_j`, zero diagonal.
    pub fn weights_times_n(&self) -> Vec<i32> {
        let n = self.n;
        let mut w = vec![0i32; n * n];
        for mu in 0..self.p() {
            let x = self.pattern(mu);
            for i in 0..n {
                let xi = i32::from(x[i]);
                let row = &mut w[i * n..(i + 1) * n];
                for (wij, &xj) in row.iter_mut().zip(x) {
                    *wij += xi * i32::from(xj);
                }
            }
        }
        for i in 0..n {
            w[i * n + i] = 0;
        }
        w
    }

    /// `W = (1/N) Σ_μ ξ^μ ξ^μᵀ` with zero diagonal (row-major `N × N`).
    pub fn weights(&self) -> Vec<f64> {
        let n = self.n as f64;
        self.weights_times_n().into_iter().map(|k| f64::from(k) / n).collect()
    }

    /// `ξ^μ · s` for every pattern.
    pub fn overlaps_times_n(&self, s: &[i8]) -> Vec<i64> {
        (0..self.p())
            .map(|mu| self.pattern(mu).iter().zip(s).map(|(&a, &b)| i64::from(a) * i64::from(b)).sum())
            .collect()
    }

    /// `m_μ = ξ^μ·s / N`.
    pub fn overlaps(&self, s: &[i8]) -> Vec<f64> {
        let n = self.n as f64;
        self.overlaps_times_n(s).into_iter().map(|m| m as f64 / n).collect()
    }

    /// `N·h_i` from the pattern overlaps `M_μ = ξ^μ·s`: `Σ_μ ξ^μ_i M_μ − P s_i`.
    fn field_times_n(&self, m: &[i64], s_i: i8, i: usize) -> i64 {
        let mut h = 0i64;
        for (mu, &m_mu) in m.iter().enumerate() {
            h += i64::from(self.xi[mu * self.n + i]) * m_mu;
        }
        h - self.p() as i64 * i64::from(s_i)
    }

    /// `E = −½ sᵀWs = −(Σ_μ (ξ^μ·s)² − P·N) / (2N)` (the zero diagonal removes `P·N`).
    pub fn energy(&self, s: &[i8]) -> f64 {
        self.energy_from_overlaps(&self.overlaps_times_n(s))
    }

    fn energy_from_overlaps(&self, m: &[i64]) -> f64 {
        let sq: i64 = m.iter().map(|x| x * x).sum();
        -((sq - (self.p() * self.n) as i64) as f64) / (2.0 * self.n as f64)
    }

    /// Iterate from `probe` until a fixed point (or a 2-cycle in synchronous mode)
    /// or `max_steps` steps. `rng` draws the asynchronous update orders. With
    /// `record`, every step's state, energy and overlaps are kept.
    pub fn recall(&self, probe: &[i8], mode: Mode, max_steps: usize, rng: &mut Rng, record: bool) -> Recall {
        let n = self.n;
        let mut s = probe.to_vec();
        let mut m = self.overlaps_times_n(&s);
        let mut frames = Vec::new();
        let mut energy_updates = Vec::new();
        let frame = |step: usize, s: &[i8], m: &[i64], changed: usize| Frame {
            step,
            state: s.to_vec(),
            energy: self.energy_from_overlaps(m),
            overlaps: m.iter().map(|&x| x as f64 / n as f64).collect(),
            changed,
        };
        if record {
            frames.push(frame(0, &s, &m, 0));
        }
        let (mut converged, mut cycle_length, mut steps) = (false, 0, 0);
        match mode {
            Mode::Async => {
                let mut order: Vec<usize> = (0..n).collect();
                while steps < max_steps {
                    rng::shuffle(rng, &mut order);
                    let mut changed = 0;
                    for &i in &order {
                        let new = sign(self.field_times_n(&m, s[i], i));
                        if new != s[i] {
                            s[i] = new;
                            changed += 1;
                            for (mu, m_mu) in m.iter_mut().enumerate() {
                                *m_mu += 2 * i64::from(new) * i64::from(self.xi[mu * n + i]);
                            }
                        }
                        if record {
                            energy_updates.push(self.energy_from_overlaps(&m));
                        }
                    }
                    steps += 1;
                    if record {
                        frames.push(frame(steps, &s, &m, changed));
                    }
                    if changed == 0 {
                        converged = true;
                        break;
                    }
                }
            }
            Mode::Sync => {
                let mut before: Option<Vec<i8>> = None;
                while steps < max_steps {
                    let next: Vec<i8> = (0..n).map(|i| sign(self.field_times_n(&m, s[i], i))).collect();
                    let changed = next.iter().zip(&s).filter(|(a, b)| a != b).count();
                    steps += 1;
                    let previous = std::mem::replace(&mut s, next);
                    m = self.overlaps_times_n(&s);
                    if record {
                        frames.push(frame(steps, &s, &m, changed));
                    }
                    if changed == 0 {
                        converged = true;
                        break;
                    }
                    if before.as_deref() == Some(s.as_slice()) {
                        cycle_length = 2;
                        break;
                    }
                    before = Some(previous);
                }
            }
        }
        Recall { frames, energy_updates, final_state: s, converged, cycle_length, steps }
    }
}

/// An estimate of the operations of [`Hebbian::recall`] for `max_steps` steps: each step
/// computes every neuron's field from the `P` overlaps and updates them (`2·P·N`);
/// recording adds the energy after every update (`P·N`) and the frames.
pub fn recall_work(n: usize, p: usize, max_steps: usize, record: bool) -> f64 {
    let per_step = if record { 3 * p * n + n + p } else { 2 * p * n };
    (p * n) as f64 + max_steps as f64 * per_step as f64
}

/// Flip `round(fraction·N)` distinct random bits of `pattern`, then toggle the
/// listed `extra` indices (the pixels a visitor clicked). Returns the probe and
/// the indices flipped by the noise.
pub fn corrupt(pattern: &[i8], fraction: f64, extra: &[usize], rng: &mut Rng) -> (Vec<i8>, Vec<usize>) {
    let n = pattern.len();
    let k = ((fraction.clamp(0.0, 1.0) * n as f64).round() as usize).min(n);
    let flipped = rng::choose_distinct(rng, n, k);
    let mut probe = pattern.to_vec();
    for &i in flipped.iter().chain(extra.iter().filter(|&&i| i < n)) {
        probe[i] = -probe[i];
    }
    (probe, flipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{seeded, spins, stream};
    use proptest::prelude::*;

    fn random_net(n: usize, p: usize, seed: u64) -> Hebbian {
        let mut rng = seeded(seed, stream::PATTERNS);
        let pats: Vec<Vec<i8>> = (0..p).map(|_| spins(&mut rng, n)).collect();
        Hebbian::new(n, &pats)
    }

    /// `−½ sᵀWs` straight from the weight matrix, in f64.
    fn energy_by_definition(net: &Hebbian, s: &[i8]) -> f64 {
        let w = net.weights();
        let n = net.n();
        let mut e = 0.0;
        for i in 0..n {
            for j in 0..n {
                e += f64::from(s[i]) * w[i * n + j] * f64::from(s[j]);
            }
        }
        -0.5 * e
    }

    #[test]
    fn hebbian_weights_are_symmetric_with_zero_diagonal() {
        let net = random_net(37, 5, 1);
        let w = net.weights();
        for i in 0..37 {
            assert_eq!(w[i * 37 + i], 0.0);
            for j in 0..37 {
                assert_eq!(w[i * 37 + j], w[j * 37 + i]);
            }
        }
    }

    #[test]
    fn weights_match_the_outer_product_sum_by_hand() {
        // Two patterns of three neurons: W = (1/3)(ξ¹ξ¹ᵀ + ξ²ξ²ᵀ) − diag.
        let net = Hebbian::new(3, &[vec![1, -1, 1], vec![1, 1, -1]]);
        let w = net.weights();
        let third = 1.0 / 3.0;
        let expected = [0.0, 0.0, 0.0, 0.0, 0.0, -2.0 * third, 0.0, -2.0 * third, 0.0];
        for (a, b) in w.iter().zip(expected) {
            assert!((a - b).abs() < 1e-15, "{w:?}");
        }
    }

    #[test]
    fn energy_closed_form_matches_the_definition() {
        let net = random_net(50, 7, 2);
        let mut rng = seeded(9, 9);
        for _ in 0..20 {
            let s = spins(&mut rng, 50);
            let (a, b) = (net.energy(&s), energy_by_definition(&net, &s));
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn field_from_overlaps_matches_w_times_s() {
        let net = random_net(40, 6, 3);
        let s = spins(&mut seeded(4, 4), 40);
        let w = net.weights_times_n();
        let m = net.overlaps_times_n(&s);
        for i in 0..40 {
            let direct: i64 = (0..40).map(|j| i64::from(w[i * 40 + j]) * i64::from(s[j])).sum();
            assert_eq!(net.field_times_n(&m, s[i], i), direct);
        }
    }

    #[test]
    fn stored_patterns_are_fixed_points_at_low_load() {
        let net = random_net(200, 10, 5);
        for mu in 0..10 {
            for mode in [Mode::Async, Mode::Sync] {
                let r = net.recall(net.pattern(mu), mode, 10, &mut seeded(1, 3), false);
                assert!(r.converged && r.steps == 1, "pattern {mu} {mode:?}");
                assert_eq!(r.final_state, net.pattern(mu));
            }
        }
    }

    #[test]
    fn corrupted_patterns_are_recalled_at_low_load() {
        let net = random_net(200, 10, 6);
        let mut rng = seeded(6, stream::PROBE);
        for mu in 0..10 {
            let (probe, flipped) = corrupt(net.pattern(mu), 0.15, &[], &mut rng);
            assert_eq!(flipped.len(), 30);
            let r = net.recall(&probe, Mode::Async, 30, &mut rng, false);
            assert_eq!(r.final_state, net.pattern(mu));
        }
    }

    #[test]
    fn synchronous_updates_show_a_two_cycle() {
        // Two neurons, one anti-correlated pattern pair: W = [[0,-1],[-1,0]] (N=2, P=2 identical
        // patterns (1,-1)). From (1,1), h = (-1,-1)·… flips both, then back: a 2-cycle.
        let net = Hebbian::new(2, &[vec![1, -1], vec![1, -1]]);
        let r = net.recall(&[1, 1], Mode::Sync, 10, &mut seeded(0, 0), true);
        assert_eq!(r.cycle_length, 2);
        assert!(!r.converged);
        assert_eq!(r.frames[1].state, vec![-1, -1]);
        assert_eq!(r.frames[2].state, vec![1, 1]);
        // Asynchronous updates of the same network settle instead.
        let r = net.recall(&[1, 1], Mode::Async, 10, &mut seeded(0, 0), true);
        assert!(r.converged);
    }

    proptest! {
        #[test]
        fn energy_never_increases_under_asynchronous_updates(seed in 0u64..10_000, n in 8usize..60, p in 1usize..20) {
            let net = random_net(n, p, seed);
            let probe = spins(&mut seeded(seed, 77), n);
            let r = net.recall(&probe, Mode::Async, 50, &mut seeded(seed, 78), true);
            let mut last = net.energy(&probe);
            for &e in &r.energy_updates {
                prop_assert!(e <= last + 1e-12, "energy rose from {last} to {e}");
                last = e;
            }
            prop_assert!(r.converged, "asynchronous updates always reach a fixed point");
        }
    }
}
