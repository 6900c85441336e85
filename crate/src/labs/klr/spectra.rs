//! Spectra (SPEC Lab 1, "Spectra"; paper Sec. 5): singular values of α and its Stable
//! Rank `Σσ_i²/σ_1²`, eigenvalues of the Gram matrix K, and the effective Gram
//! `αᵀKα` (`N × N`, positive semi-definite; its non-zero eigenvalues are those of
//! `K^{1/2} α αᵀ K^{1/2}`) whose largest eigenvalue `λ_max` Proposition 1 links to M.

use crate::compute::{Mat, cpu};
use serde::Serialize;

/// Above this many patterns the full eigenvalue list of K is skipped (only `λ_max(K)`
/// is computed): the dense eigensolver is `O(P³)`.
pub const KERNEL_EIGENVALUES_MAX_P: usize = 1500;

/// `‖α‖_F² = Σσ_i²`.
pub fn frobenius_sq(alpha: &Mat<f64>) -> f64 {
    alpha.data.iter().map(|x| x * x).sum()
}

/// Stable Rank `‖α‖_F² / σ_1²` (NaN for α = 0).
pub fn stable_rank(frob_sq: f64, sigma1: f64) -> f64 {
    if sigma1 > 0.0 { frob_sq / (sigma1 * sigma1) } else { f64::NAN }
}

/// `αᵀKα = αᵀH` (`N × N`) from the trained fields `H = Kα`, symmetrised.
pub fn effective_gram(alpha: &Mat<f64>, h: &Mat<f64>) -> Mat<f64> {
    let mut g = cpu::matmul_tn(alpha, h);
    let n = g.rows;
    for i in 0..n {
        for j in i + 1..n {
            let v = 0.5 * (g.data[i * n + j] + g.data[j * n + i]);
            g.data[i * n + j] = v;
            g.data[j * n + i] = v;
        }
    }
    g
}

/// Singular values of α from the eigenvalues of its smaller Gram (`αᵀα` or `ααᵀ`),
/// `σ_k = sqrt(max(0, e_k))`: cheap (one product and a `min(P,N)²` eigenproblem) and
/// accurate for `σ_k/σ_1` above about 1e-7; smaller ones are rounding noise. Used for
/// the sweep cells; the single-network view uses a true SVD ([`cpu::singular_values`]).
pub fn singular_values_by_gram(alpha: &Mat<f64>) -> Option<Vec<f64>> {
    let g =
        if alpha.rows >= alpha.cols { cpu::matmul_tn(alpha, alpha) } else { cpu::matmul_nt(alpha, alpha) };
    Some(cpu::sym_eigenvalues(&g)?.into_iter().map(|e| e.max(0.0).sqrt()).collect())
}

/// The spectral numbers of one trained network.
#[derive(Debug, Clone, Serialize)]
pub struct Spectra {
    /// Singular values of α, descending.
    pub alpha_singular_values: Vec<f64>,
    /// `Σσ²/σ_1²`.
    pub stable_rank: f64,
    /// Eigenvalues of αᵀKα, descending.
    pub effective_eigenvalues: Vec<f64>,
    /// `λ_max(αᵀKα)`.
    pub lambda_max: f64,
    /// Eigenvalues of K, descending (`None` above [`KERNEL_EIGENVALUES_MAX_P`] patterns).
    pub kernel_eigenvalues: Option<Vec<f64>>,
}

/// Everything for the single-network view (true SVD of α, full eigenvalues of K).
/// `None` when a decomposition fails (non-finite input).
pub fn full(alpha: &Mat<f64>, h: &Mat<f64>, k: &Mat<f64>) -> Option<Spectra> {
    let sv = cpu::singular_values(alpha)?;
    let eff = cpu::sym_eigenvalues(&effective_gram(alpha, h))?;
    let kernel_eigenvalues = if k.rows <= KERNEL_EIGENVALUES_MAX_P { cpu::sym_eigenvalues(k) } else { None };
    Some(Spectra {
        stable_rank: stable_rank(frobenius_sq(alpha), sv.first().copied().unwrap_or(0.0)),
        alpha_singular_values: sv,
        lambda_max: eff.first().copied().unwrap_or(0.0).max(0.0),
        effective_eigenvalues: eff,
        kernel_eigenvalues,
    })
}

/// The sweep's spectral numbers: `(stable rank, λ_max(αᵀKα))`, from Gram eigenvalues.
pub fn summary(alpha: &Mat<f64>, h: &Mat<f64>) -> Option<(f64, f64)> {
    let sv = singular_values_by_gram(alpha)?;
    let eff = cpu::sym_eigenvalues(&effective_gram(alpha, h))?;
    Some((
        stable_rank(frobenius_sq(alpha), sv.first().copied().unwrap_or(0.0)),
        eff.first().copied().unwrap_or(0.0).max(0.0),
    ))
}

/// A least-squares line through `(log10 x, log10 y)` over the pairs where both are
/// positive and finite: Proposition 1 (`M ∝ λ_max`) predicts slope 1.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LogLogFit {
    pub slope: f64,
    pub intercept: f64,
    /// Pearson correlation of the logs.
    pub correlation: f64,
    /// Pairs used.
    pub count: usize,
}

pub fn loglog_fit(x: &[f64], y: &[f64]) -> Option<LogLogFit> {
    let pts: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite() && **a > 0.0 && **b > 0.0)
        .map(|(a, b)| (a.log10(), b.log10()))
        .collect();
    let n = pts.len();
    if n < 2 {
        return None;
    }
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n as f64;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n as f64;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (a, b) in &pts {
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
        sxy += (a - mx) * (b - my);
    }
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let correlation = if syy > 0.0 { sxy / (sxx.sqrt() * syy.sqrt()) } else { f64::NAN };
    Some(LogLogFit { slope, intercept: my - slope * mx, correlation, count: n })
}

#[cfg(test)]
mod tests {
    use super::super::kernel::{kernel_from_gram, pattern_gram, random_patterns};
    use super::super::train::{GdConfig, train_cpu};
    use super::*;

    #[test]
    fn gram_and_svd_paths_agree() {
        for (n, p) in [(30, 60), (40, 12)] {
            let xi = random_patterns(4, 0, n, p);
            let k = kernel_from_gram(&pattern_gram(&xi), n, 0.1);
            let t = train_cpu(&k, &xi, &GdConfig { epochs: 40, ..GdConfig::default() });
            assert!(!t.status.diverged());
            let s = full(&t.alpha, &t.h, &k).expect("spectra");
            let (sr, lm) = summary(&t.alpha, &t.h).expect("summary");
            assert!((sr - s.stable_rank).abs() < 1e-9 * sr);
            assert!((lm - s.lambda_max).abs() < 1e-9 * lm);
            let by_gram = singular_values_by_gram(&t.alpha).expect("gram");
            assert_eq!(by_gram.len(), n.min(p));
            assert!((by_gram[0] - s.alpha_singular_values[0]).abs() < 1e-10 * by_gram[0]);
            assert!(s.stable_rank >= 1.0 && s.stable_rank <= n.min(p) as f64);
            let ke = s.kernel_eigenvalues.expect("small P");
            assert!(ke.iter().all(|&e| e > -1e-10), "K is PSD");
            assert!((ke.iter().sum::<f64>() - p as f64).abs() < 1e-8, "trace K = P");
            assert!(s.effective_eigenvalues.iter().all(|&e| e > -1e-8 * s.lambda_max));
        }
    }

    #[test]
    fn loglog_fit_recovers_a_power_law() {
        let x: Vec<f64> = (1..20).map(|i| i as f64).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 * v * v).collect();
        let f = loglog_fit(&x, &y).expect("fit");
        assert!((f.slope - 2.0).abs() < 1e-12 && (f.correlation - 1.0).abs() < 1e-12);
        assert!((f.intercept - 3f64.log10()).abs() < 1e-12);
        assert!(loglog_fit(&[1.0, f64::NAN], &[1.0, 2.0]).is_none());
    }
}
