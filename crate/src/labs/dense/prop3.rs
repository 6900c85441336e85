//! Proposition 3 as a Monte-Carlo experiment: for a GOE matrix W (N × N) and k dead
//! neurons, `E‖W⊥‖₂ / E‖W‖₂ → √(1 − k/N)` for large N.
//!
//! Dead ReLU neurons are coordinate directions, so `W⊥` is the principal submatrix of W
//! on the N − k living neurons. Each trial draws one W and one random order of the
//! neurons; the first k of that order die, for every k of the grid
//! `k/N ∈ {0, 0.9/(points−1), …, 0.9}` (rounded to whole neurons), so the submatrices
//! are nested. The ratio of the Monte-Carlo means is reported with its standard error
//! (delta method with the sample covariance of the paired norms), beside the limit
//! `√(1 − k/N)` and the finite-N estimate of the source's Appendix E (Chiani 2014):
//! `E λ_max(N) ≈ √(2(N − ½ − (N − ½)^{−1/3}/10)) + μ_TW/√2 · N^{−1/6}`, μ_TW = −1.2065
//! (the mean of the Tracy–Widom β = 1 law; the source rounds it to −1.2).

use super::matrices::{goe, principal, symmetric_norm};
use crate::labs::Progress;
use crate::rng::{for_trial, shuffle};
use serde::Serialize;

/// The mean of the Tracy–Widom (β = 1) distribution.
pub const MU_TW1: f64 = -1.2065;

/// The largest k/N of the grid.
pub const MAX_FRACTION: f64 = 0.9;

/// The curve.
#[derive(Debug, Clone, Serialize)]
pub struct Prop3 {
    pub n: usize,
    pub trials: usize,
    /// Trials finished (less than `trials` in a partial result).
    pub done: usize,
    pub k: Vec<usize>,
    pub k_over_n: Vec<f64>,
    /// `mean ‖W⊥‖₂ / mean ‖W‖₂`.
    pub ratio: Vec<f64>,
    /// Standard error of the ratio.
    pub stderr: Vec<f64>,
    /// Mean of the per-trial ratios (for comparison).
    pub mean_of_ratios: Vec<f64>,
    /// `mean ‖W⊥‖₂`.
    pub mean_norm: Vec<f64>,
    /// `√(1 − k/N)`.
    pub limit: Vec<f64>,
    /// `λ̄(N − k) / λ̄(N)` with Chiani's finite-N mean of the largest eigenvalue.
    pub finite_n: Vec<f64>,
}

/// Chiani's finite-N mean of the largest GOE eigenvalue (source eqs. 11–12).
pub fn chiani_mean(n: f64) -> f64 {
    if n < 1.0 {
        return 0.0;
    }
    let m = n - 0.5;
    (2.0 * (m - 0.1 * libm::pow(m, -1.0 / 3.0))).sqrt()
        + MU_TW1 * std::f64::consts::FRAC_1_SQRT_2 * libm::pow(n, -1.0 / 6.0)
}

/// The dead counts of the grid.
pub fn grid(n: usize, points: usize) -> Vec<usize> {
    let points = points.max(2);
    let mut ks: Vec<usize> = (0..points)
        .map(|j| ((MAX_FRACTION * j as f64 / (points - 1) as f64) * n as f64).round() as usize)
        .map(|k| k.min(n.saturating_sub(1)))
        .collect();
    ks.dedup();
    ks
}

fn summarise(n: usize, trials: usize, ks: &[usize], norms: &[Vec<f64>]) -> Prop3 {
    let done = norms.first().map_or(0, Vec::len);
    let t = done as f64;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / t.max(1.0);
    let base = &norms[0];
    let mb = mean(base);
    let mut out = Prop3 {
        n,
        trials,
        done,
        k: ks.to_vec(),
        k_over_n: ks.iter().map(|&k| k as f64 / n as f64).collect(),
        ratio: Vec::new(),
        stderr: Vec::new(),
        mean_of_ratios: Vec::new(),
        mean_norm: Vec::new(),
        limit: ks.iter().map(|&k| (1.0 - k as f64 / n as f64).sqrt()).collect(),
        finite_n: ks.iter().map(|&k| chiani_mean((n - k) as f64) / chiani_mean(n as f64)).collect(),
    };
    for v in norms {
        let ma = mean(v);
        let r = ma / mb;
        // Delta method: var(ā/b̄) ≈ r² (var a/ā² + var b/b̄² − 2 cov/(ā b̄)) / T.
        let se = if done >= 2 {
            let (mut va, mut vb, mut cab) = (0.0, 0.0, 0.0);
            for (a, b) in v.iter().zip(base) {
                va += (a - ma) * (a - ma);
                vb += (b - mb) * (b - mb);
                cab += (a - ma) * (b - mb);
            }
            let d = t - 1.0;
            let (va, vb, cab) = (va / d, vb / d, cab / d);
            let rel = (va / (ma * ma) + vb / (mb * mb) - 2.0 * cab / (ma * mb)).max(0.0) / t;
            r * rel.sqrt()
        } else {
            f64::NAN
        };
        out.ratio.push(r);
        out.stderr.push(se);
        out.mean_of_ratios.push(v.iter().zip(base).map(|(a, b)| a / b).sum::<f64>() / t.max(1.0));
        out.mean_norm.push(ma);
    }
    out
}

/// Run `trials` trials for N = `n`; reports progress after every trial, and the curve
/// so far as a partial result every `partial_every` trials (0: never).
pub fn run(
    n: usize,
    trials: usize,
    points: usize,
    seed: u64,
    partial_every: usize,
    progress: &mut dyn Progress,
) -> Prop3 {
    let ks = grid(n, points);
    let mut norms: Vec<Vec<f64>> = ks.iter().map(|_| Vec::with_capacity(trials)).collect();
    for t in 0..trials {
        let mut rng = for_trial(seed, 3, t as u64);
        let w = goe(&mut rng, n);
        let mut order: Vec<usize> = (0..n).collect();
        shuffle(&mut rng, &mut order);
        for (j, &k) in ks.iter().enumerate() {
            let mut alive: Vec<usize> = order[k..].to_vec();
            alive.sort_unstable();
            let sub = principal(n, &w, &alive);
            norms[j].push(symmetric_norm(alive.len(), &sub));
        }
        progress.step(t + 1, trials);
        if partial_every > 0
            && (t + 1).is_multiple_of(partial_every)
            && t + 1 < trials
            && let Ok(piece) = serde_json::to_value(summarise(n, trials, &ks, &norms))
        {
            progress.partial(&piece);
        }
    }
    summarise(n, trials, &ks, &norms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::NoProgress;

    #[test]
    fn ratio_is_within_monte_carlo_error_of_the_limit_for_large_n() {
        let n = 400;
        let r = run(n, 24, 5, 7, 0, &mut NoProgress);
        assert_eq!(r.k, vec![0, 90, 180, 270, 360]);
        assert_eq!(r.ratio[0], 1.0);
        for j in 1..r.k.len() {
            // Within 4 standard errors of Chiani's finite-N prediction…
            let gap = (r.ratio[j] - r.finite_n[j]).abs();
            assert!(
                gap < 4.0 * r.stderr[j] + 0.004,
                "k/N={}: {} vs {} ± {}",
                r.k_over_n[j],
                r.ratio[j],
                r.finite_n[j],
                r.stderr[j]
            );
            // …and of √(1 − k/N) up to the O(N^{−2/3}) Tracy–Widom correction, which grows as N − k shrinks.
            let finite_size = (r.finite_n[j] - r.limit[j]).abs();
            let gap = (r.ratio[j] - r.limit[j]).abs();
            assert!(
                gap < 4.0 * r.stderr[j] + finite_size + 0.004,
                "k/N={}: {} vs {}",
                r.k_over_n[j],
                r.ratio[j],
                r.limit[j]
            );
            assert!(r.stderr[j] > 0.0 && r.stderr[j] < 0.01);
        }
        // For k/N ≤ 1/2 the limit itself is within 1%.
        assert!((r.ratio[2] - r.limit[2]).abs() < 0.01, "{} vs {}", r.ratio[2], r.limit[2]);
    }

    #[test]
    fn chiani_mean_approaches_sqrt_2n() {
        for n in [100.0, 10_000.0, 1e6] {
            let rel = chiani_mean(n) / (2.0f64 * n).sqrt() - 1.0;
            assert!(rel < 0.0 && rel > -0.05, "{n}: {rel}");
        }
    }

    #[test]
    fn partial_results_are_reported() {
        struct Catch(Vec<serde_json::Value>, usize);
        impl Progress for Catch {
            fn step(&mut self, done: usize, _: usize) {
                self.1 = done;
            }
            fn partial(&mut self, piece: &serde_json::Value) {
                self.0.push(piece.clone());
            }
        }
        let mut c = Catch(Vec::new(), 0);
        let r = run(30, 6, 4, 1, 2, &mut c);
        assert_eq!((c.0.len(), c.1, r.done), (2, 6, 6));
        assert_eq!(c.0[0]["done"], 2);
        let again = run(30, 6, 4, 1, 0, &mut NoProgress);
        assert_eq!(again.ratio, r.ratio, "seeded");
    }
}
