//! Patterns and the RBF kernel `K(x, y) = exp(−γ‖x − y‖²)` (SPEC Lab 1, "Model").
//!
//! For ±1 vectors `‖ξ^μ − ξ^ν‖² = 2N − 2 ξ^μ·ξ^ν`, so one integer pattern Gram
//! `G = Ξ Ξᵀ` gives the kernel matrix for every γ: `K_μν = exp(−γ (2N − 2 G_μν))`.
//! The squared distances are exact integers (as f64), so the same γ always gives
//! the same `K` bits, whichever code path (training, recall, a sweep cell) asks.

use crate::compute::{Mat, cpu};
use crate::rng::{self, Rng, for_trial, seeded, stream};

/// The RNG of the stored patterns of trial `trial`: trial 0 is the network the page
/// shows (and every sweep cell), trials ≥ 1 are the extra networks of the capacity curve.
pub fn pattern_rng(seed: u64, trial: u64) -> Rng {
    if trial == 0 { seeded(seed, stream::PATTERNS) } else { for_trial(seed, 0, trial) }
}

/// The RNG of the noise of the probe made from pattern `mu` in trial `trial`. Probes
/// depend only on (seed, trial, μ): the same probe of pattern μ is used at every γ and P.
pub fn probe_rng(seed: u64, trial: u64, mu: u64) -> Rng {
    for_trial(seed, 1 + trial, mu)
}

/// `p` i.i.d. uniform ±1 patterns of `n` neurons (`P × N`, entries ±1.0). Rows are
/// drawn in order, so the first `p` patterns of a larger draw are the same patterns.
pub fn random_patterns(seed: u64, trial: u64, n: usize, p: usize) -> Mat<f64> {
    let mut rng = pattern_rng(seed, trial);
    let mut xi = Mat::zeros(p, n);
    for mu in 0..p {
        for (x, s) in xi.row_mut(mu).iter_mut().zip(rng::spins(&mut rng, n)) {
            *x = f64::from(s);
        }
    }
    xi
}

/// The first `p` rows of `xi`.
pub fn prefix(xi: &Mat<f64>, p: usize) -> Mat<f64> {
    let p = p.min(xi.rows);
    Mat { rows: p, cols: xi.cols, data: xi.data[..p * xi.cols].to_vec() }
}

/// The leading `p × p` block of a square matrix.
pub fn leading_block(g: &Mat<f64>, p: usize) -> Mat<f64> {
    let p = p.min(g.rows);
    let mut out = Mat::zeros(p, p);
    for i in 0..p {
        out.row_mut(i).copy_from_slice(&g.row(i)[..p]);
    }
    out
}

/// The pattern Gram `G = Ξ Ξᵀ` (exact integers).
pub fn pattern_gram(xi: &Mat<f64>) -> Mat<f64> {
    cpu::gram(xi)
}

/// `K_μν = exp(−γ (2N − 2 G_μν))` from the pattern Gram of ±1 patterns of length `n`.
pub fn kernel_from_gram(g: &Mat<f64>, n: usize, gamma: f64) -> Mat<f64> {
    let norms = vec![n as f64; g.rows];
    let mut ks = cpu::rbf_from_gram(g, &norms, &norms, &[gamma]);
    ks.pop().unwrap_or_else(|| Mat::zeros(g.rows, g.cols))
}

/// The kernel between states (rows of `s`, `B × N`) and the patterns (`P × N`): `B × P`.
pub fn cross_kernel(s: &Mat<f64>, xi: &Mat<f64>, gamma: f64) -> Mat<f64> {
    let g = cpu::matmul_nt(s, xi);
    let mut ks = cpu::rbf_from_gram(&g, &cpu::sq_norms(s), &cpu::sq_norms(xi), &[gamma]);
    ks.pop().unwrap_or_else(|| Mat::zeros(s.rows, xi.rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_nested_and_balanced() {
        let big = random_patterns(42, 0, 100, 50);
        let small = random_patterns(42, 0, 100, 20);
        assert_eq!(prefix(&big, 20), small);
        assert!(big.data.iter().all(|&x| x == 1.0 || x == -1.0));
        assert_ne!(random_patterns(42, 1, 100, 20), small, "trials draw other patterns");
    }

    #[test]
    fn kernel_matches_the_definition() {
        let xi = random_patterns(3, 0, 30, 12);
        let gamma = 0.037;
        let k = kernel_from_gram(&pattern_gram(&xi), 30, gamma);
        for a in 0..12 {
            assert_eq!(k.at(a, a), 1.0);
            for b in 0..12 {
                let d2: f64 = xi.row(a).iter().zip(xi.row(b)).map(|(x, y)| (x - y) * (x - y)).sum();
                assert_eq!(k.at(a, b), (-gamma * d2).exp(), "exact integer distances");
            }
        }
        // A stored pattern as a recall state sees exactly its row of K.
        let row = cross_kernel(&prefix(&xi, 3), &xi, gamma);
        for a in 0..3 {
            assert_eq!(row.row(a), k.row(a));
        }
        assert_eq!(leading_block(&k, 5), kernel_from_gram(&pattern_gram(&prefix(&xi, 5)), 30, gamma));
    }
}
