//! The geometry of the landscape (SPEC Lab 1, "Geometry"; paper Sec. 3.2):
//! `V(x) = −Σ_k x_k h_k(x)`, `∇V = F_d + F_i` with the direct force `F_d = −h(x)`
//! and the indirect force `[F_i]_j = −Σ_k x_k ∂h_k/∂x_j`, which for the RBF kernel is
//! `F_i = 2γ Σ_μ K(x, ξ^μ) (xᵀα_μ) (x − ξ^μ)` (α_μ = row μ of α).
//!
//! `F_i` is always computed from this closed form in f64, never as `∇V − F_d`: where
//! `‖F_i‖ ≪ ‖F_d‖` (large γ) that difference is rounding noise. At a stored pattern
//! the term `μ = ν` vanishes exactly and every other term only has the components
//! where `ξ^μ` and `ξ^ν` disagree, so the batched form sums positive masks and never
//! subtracts large equal numbers.

use crate::compute::{Mat, cpu};
use serde::Serialize;

/// The two forces at one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Forces {
    /// `F_d = −h(x)` (length N).
    pub direct: Vec<f64>,
    /// `F_i` (length N).
    pub indirect: Vec<f64>,
}

/// Scalar summaries of the forces at one point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ForceStats {
    /// Pinnacle Sharpness `M = ‖F_d + F_i‖² = ‖∇V‖²`.
    pub sharpness: f64,
    /// `‖F_d‖²`.
    pub force_direct_sq: f64,
    /// `‖F_i‖²`.
    pub force_indirect_sq: f64,
    /// Force interference `ρ = cos(F_d, F_i)` (NaN → null when either force is exactly 0).
    pub rho: f64,
    /// `‖F_i‖ / ‖F_d‖`: how much `F_i` matters next to `F_d` (an angle of a negligible force is not an interaction).
    pub force_ratio: f64,
}

impl Forces {
    pub fn stats(&self) -> ForceStats {
        stats(&self.direct, &self.indirect)
    }
}

fn stats(fd: &[f64], fi: &[f64]) -> ForceStats {
    let (mut dd, mut ii, mut di, mut m) = (0.0, 0.0, 0.0, 0.0);
    for (d, i) in fd.iter().zip(fi) {
        dd += d * d;
        ii += i * i;
        di += d * i;
        m += (d + i) * (d + i);
    }
    let rho = if dd > 0.0 && ii > 0.0 { di / (dd.sqrt() * ii.sqrt()) } else { f64::NAN };
    let force_ratio = if dd > 0.0 { (ii / dd).sqrt() } else { f64::NAN };
    ForceStats { sharpness: m, force_direct_sq: dd, force_indirect_sq: ii, rho, force_ratio }
}

/// The field `h(x) = αᵀ k(x)` and both forces at an arbitrary point `x ∈ R^N`, straight
/// from the definitions (`O(P·N)`, distances summed term by term).
pub fn forces_at(x: &[f64], xi: &Mat<f64>, alpha: &Mat<f64>, gamma: f64) -> Forces {
    let n = xi.cols;
    let mut h = vec![0.0; n];
    let mut fi = vec![0.0; n];
    for mu in 0..xi.rows {
        let pat = xi.row(mu);
        let d2: f64 = x.iter().zip(pat).map(|(a, b)| (a - b) * (a - b)).sum();
        let kmu = (-gamma * d2).exp();
        let a = alpha.row(mu);
        let c: f64 = a.iter().zip(x).map(|(p, q)| p * q).sum();
        let w = 2.0 * gamma * kmu * c;
        for j in 0..n {
            h[j] += a[j] * kmu;
            fi[j] += w * (x[j] - pat[j]);
        }
    }
    Forces { direct: h.into_iter().map(|v| -v).collect(), indirect: fi }
}

/// `V(x) = −Σ_k x_k h_k(x)` (for finite-difference checks).
pub fn potential(x: &[f64], xi: &Mat<f64>, alpha: &Mat<f64>, gamma: f64) -> f64 {
    let f = forces_at(x, xi, alpha, gamma);
    x.iter().zip(&f.direct).map(|(a, d)| a * d).sum()
}

/// Both forces at every stored pattern (rows of the returned `P × N` matrices), from
/// the trained fields `h = Kα` and the kernel matrix `k`:
/// `F_d^ν = −H_ν` and, with `W = K ⊙ (Ξαᵀ)` (diagonal set to 0),
/// `[F_i^ν]_j = 4γ ξ^ν_j Σ_{μ: ξ^μ_j ≠ ξ^ν_j} W_νμ`. The disagreeing `μ` are those with
/// `(1 − ξ^ν_j ξ^μ_j)/2 = 1`, so `F_i = 2γ (Ξ ⊙ (W·1) − W·Ξ)` (with `(ξ^ν_j)² = 1`): two
/// `P²N` products (`Ξαᵀ` and `W·Ξ`) instead of one per sign of `ξ^μ_j`.
pub fn forces_at_patterns(
    xi: &Mat<f64>,
    alpha: &Mat<f64>,
    h: &Mat<f64>,
    k: &Mat<f64>,
    gamma: f64,
) -> (Mat<f64>, Mat<f64>) {
    let (p, n) = (xi.rows, xi.cols);
    let mut w = cpu::matmul_nt(xi, alpha); // C_νμ = ξ^ν · α_μ
    for nu in 0..p {
        for mu in 0..p {
            w.data[nu * p + mu] = if nu == mu { 0.0 } else { w.data[nu * p + mu] * k.data[nu * p + mu] };
        }
    }
    let row_sums: Vec<f64> = w.data.chunks(p).map(|r| r.iter().sum()).collect();
    let wx = cpu::matmul(&w, xi);
    let mut fi = Mat::zeros(p, n);
    for (nu, ((frow, xrow), wrow)) in
        fi.data.chunks_mut(n).zip(xi.data.chunks(n)).zip(wx.data.chunks(n)).enumerate()
    {
        for ((f, &x), &v) in frow.iter_mut().zip(xrow).zip(wrow) {
            *f = 2.0 * gamma * (x * row_sums[nu] - v);
        }
    }
    let fd = Mat { rows: p, cols: n, data: h.data.iter().map(|v| -v).collect() };
    (fd, fi)
}

/// The force statistics at every stored pattern.
#[derive(Debug, Clone, Serialize)]
pub struct PatternGeometry {
    pub sharpness: Vec<f64>,
    pub force_direct_sq: Vec<f64>,
    pub force_indirect_sq: Vec<f64>,
    pub rho: Vec<f64>,
    pub force_ratio: Vec<f64>,
}

impl PatternGeometry {
    pub fn at(&self, mu: usize) -> ForceStats {
        ForceStats {
            sharpness: self.sharpness[mu],
            force_direct_sq: self.force_direct_sq[mu],
            force_indirect_sq: self.force_indirect_sq[mu],
            rho: self.rho[mu],
            force_ratio: self.force_ratio[mu],
        }
    }

    /// Mean over the patterns (NaN entries, e.g. an undefined ρ, are skipped).
    pub fn mean(&self) -> ForceStats {
        self.reduce(mean)
    }

    /// Median over the patterns (NaN entries skipped).
    pub fn median(&self) -> ForceStats {
        self.reduce(median)
    }

    fn reduce(&self, f: fn(&[f64]) -> f64) -> ForceStats {
        ForceStats {
            sharpness: f(&self.sharpness),
            force_direct_sq: f(&self.force_direct_sq),
            force_indirect_sq: f(&self.force_indirect_sq),
            rho: f(&self.rho),
            force_ratio: f(&self.force_ratio),
        }
    }
}

/// Mean of the finite entries (NaN when there are none).
pub fn mean(xs: &[f64]) -> f64 {
    let (s, c) = xs.iter().filter(|x| x.is_finite()).fold((0.0, 0usize), |(s, c), x| (s + x, c + 1));
    if c == 0 { f64::NAN } else { s / c as f64 }
}

/// Median of the finite entries (the mean of the middle two for an even count; NaN when none).
pub fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { 0.5 * (v[m - 1] + v[m]) }
}

/// Statistics at every stored pattern.
pub fn pattern_geometry(
    xi: &Mat<f64>,
    alpha: &Mat<f64>,
    h: &Mat<f64>,
    k: &Mat<f64>,
    gamma: f64,
) -> PatternGeometry {
    let (fd, fi) = forces_at_patterns(xi, alpha, h, k, gamma);
    let mut g = PatternGeometry {
        sharpness: Vec::with_capacity(xi.rows),
        force_direct_sq: Vec::with_capacity(xi.rows),
        force_indirect_sq: Vec::with_capacity(xi.rows),
        rho: Vec::with_capacity(xi.rows),
        force_ratio: Vec::with_capacity(xi.rows),
    };
    for nu in 0..xi.rows {
        let s = stats(fd.row(nu), fi.row(nu));
        g.sharpness.push(s.sharpness);
        g.force_direct_sq.push(s.force_direct_sq);
        g.force_indirect_sq.push(s.force_indirect_sq);
        g.rho.push(s.rho);
        g.force_ratio.push(s.force_ratio);
    }
    g
}

#[cfg(test)]
mod tests {
    use super::super::kernel::{kernel_from_gram, pattern_gram, random_patterns};
    use super::super::train::{GdConfig, Status, curvature_start, kernel_lambda_max, train_cpu};
    use super::*;
    use crate::rng::{normal, seeded};

    fn trained(n: usize, p: usize, gamma: f64) -> (Mat<f64>, Mat<f64>, Mat<f64>, Mat<f64>) {
        let xi = random_patterns(11, 0, n, p);
        let k = kernel_from_gram(&pattern_gram(&xi), n, gamma);
        // A stable step (below 2/curvature), so that α is trained at every γ.
        let lr = 0.1f64.min(1.5 / curvature_start(kernel_lambda_max(&k), 0.01));
        let t = train_cpu(&k, &xi, &GdConfig { epochs: 60, lr, ..GdConfig::default() });
        assert_eq!(t.status, Status::BudgetExhausted);
        (xi, k, t.alpha, t.h)
    }

    fn rel(a: &[f64], b: &[f64]) -> f64 {
        let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
        let den: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
        num / den
    }

    /// Central differences of `f` at `x` (step `eps`), one coordinate at a time.
    fn fd_gradient(x: &[f64], eps: f64, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
        (0..x.len())
            .map(|j| {
                let mut xp = x.to_vec();
                xp[j] += eps;
                let mut xm = x.to_vec();
                xm[j] -= eps;
                (f(&xp) - f(&xm)) / (2.0 * eps)
            })
            .collect()
    }

    /// F_d + F_i is the gradient of V, and F_i alone is the gradient of
    /// `y ↦ −Σ_k x_k h_k(y)` at `y = x` (x held fixed), at random points and at stored
    /// patterns, for global, intermediate and local kernels.
    #[test]
    fn forces_match_finite_difference_gradients() {
        for (gamma, p) in [(0.001, 30), (0.02, 40), (0.3, 25)] {
            let n = 24;
            let (xi, _k, alpha, _h) = trained(n, p, gamma);
            let mut rng = seeded(5, 9);
            let random_x: Vec<f64> = (0..n).map(|_| normal(&mut rng)).collect();
            for x in [random_x, xi.row(0).to_vec(), xi.row(7).to_vec()] {
                let f = forces_at(&x, &xi, &alpha, gamma);
                let grad: Vec<f64> = f.direct.iter().zip(&f.indirect).map(|(a, b)| a + b).collect();
                let fd_v = fd_gradient(&x, 1e-5, |y| potential(y, &xi, &alpha, gamma));
                assert!(rel(&grad, &fd_v) < 1e-6, "∇V at γ={gamma}: {}", rel(&grad, &fd_v));
                // F_i alone, where it is not negligible next to F_d (a central difference of
                // V cannot resolve a force 10⁶ times smaller than the one beside it).
                if f.stats().force_ratio > 1e-3 {
                    let fixed = x.clone();
                    let fd_i = fd_gradient(&x, 1e-5, |y| {
                        let d = forces_at(y, &xi, &alpha, gamma).direct;
                        fixed.iter().zip(&d).map(|(a, b)| a * b).sum()
                    });
                    assert!(rel(&f.indirect, &fd_i) < 1e-6, "F_i at γ={gamma}: {}", rel(&f.indirect, &fd_i));
                }
            }
        }
    }

    #[test]
    fn batched_forces_equal_the_pointwise_ones() {
        for gamma in [0.001, 0.03, 1.0] {
            let (xi, k, alpha, h) = trained(20, 15, gamma);
            let (fd, fi) = forces_at_patterns(&xi, &alpha, &h, &k, gamma);
            for nu in [0, 6, 14] {
                let f = forces_at(xi.row(nu), &xi, &alpha, gamma);
                assert!(rel(fd.row(nu), &f.direct) < 1e-12);
                if f.indirect.iter().any(|v| *v != 0.0) {
                    assert!(rel(fi.row(nu), &f.indirect) < 1e-10, "γ={gamma}");
                }
            }
        }
    }

    /// At large γ the indirect force is tiny but real: the closed form keeps its digits
    /// (the difference ∇V − F_d would be pure rounding noise).
    #[test]
    fn tiny_indirect_forces_keep_their_precision() {
        let gamma = 1.0;
        let (xi, k, alpha, h) = trained(20, 12, gamma);
        let (_, fi) = forces_at_patterns(&xi, &alpha, &h, &k, gamma);
        let g = pattern_geometry(&xi, &alpha, &h, &k, gamma);
        assert!(g.force_ratio[0] < 1e-6 && g.force_ratio[0] > 0.0, "ratio {}", g.force_ratio[0]);
        let f = forces_at(xi.row(0), &xi, &alpha, gamma);
        assert!(rel(fi.row(0), &f.indirect) < 1e-10);
        assert!(g.rho[0].abs() <= 1.0);
    }

    #[test]
    fn statistics_are_consistent() {
        let (xi, k, alpha, h) = trained(30, 20, 0.01);
        let g = pattern_geometry(&xi, &alpha, &h, &k, 0.01);
        for mu in 0..20 {
            let s = g.at(mu);
            let expand = s.force_direct_sq
                + s.force_indirect_sq
                + 2.0 * s.rho * (s.force_direct_sq * s.force_indirect_sq).sqrt();
            assert!((s.sharpness - expand).abs() < 1e-9 * s.sharpness.max(1e-300));
            assert!((-1.0..=1.0).contains(&s.rho));
        }
        assert_eq!(median(&[3.0, 1.0, f64::NAN, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0]), 2.5);
        assert!(mean(&[f64::NAN]).is_nan());
    }
}
