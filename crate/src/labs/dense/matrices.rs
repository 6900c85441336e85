//! Random matrices and the linear algebra of the N-dimensional analyses.
//!
//! GOE convention of the source's Appendix E (Chiani 2014): symmetric, diagonal
//! entries N(0, 1), off-diagonal N(0, ½), so the largest eigenvalue is about √(2N).
//! Spectral norms of symmetric matrices come from a Householder tridiagonalisation
//! (nalgebra) and Sturm-sequence bisection for the two extreme eigenvalues, which
//! needs no eigenvectors and cannot fail to converge.

use super::fixed::Complex;
use crate::rng::{Rng, normal};
use nalgebra::DMatrix;

/// An `n × n` GOE matrix (row-major), drawn row by row over the upper triangle.
pub fn goe(rng: &mut Rng, n: usize) -> Vec<f64> {
    let mut w = vec![0.0; n * n];
    let off = std::f64::consts::FRAC_1_SQRT_2;
    for i in 0..n {
        for j in i..n {
            let v = normal(rng) * if i == j { 1.0 } else { off };
            w[i * n + j] = v;
            w[j * n + i] = v;
        }
    }
    w
}

/// `n` independent N(0, σ²) draws.
pub fn gaussian(rng: &mut Rng, n: usize, sigma: f64) -> Vec<f64> {
    (0..n).map(|_| sigma * normal(rng)).collect()
}

/// Row-major slice → nalgebra matrix.
pub fn dmat(n: usize, m: usize, data: &[f64]) -> DMatrix<f64> {
    DMatrix::from_row_slice(n, m, data)
}

/// Number of eigenvalues below `x` of the symmetric tridiagonal matrix (diagonal `d`,
/// off-diagonal `e`), by the Sturm sequence of the LDLᵀ pivots.
fn sturm_count(d: &[f64], e: &[f64], x: f64) -> usize {
    let mut count = 0;
    let mut q = 1.0f64;
    let tiny = f64::MIN_POSITIVE;
    for i in 0..d.len() {
        let e2 = if i == 0 { 0.0 } else { e[i - 1] * e[i - 1] };
        q = d[i] - x - if i == 0 { 0.0 } else { e2 / q };
        if q == 0.0 {
            q = -tiny;
        }
        if q < 0.0 {
            count += 1;
        }
    }
    count
}

/// The smallest and largest eigenvalues of a symmetric tridiagonal matrix, by bisection
/// to a relative accuracy of about 1e-15 of the Gershgorin bound.
pub fn tridiagonal_extremes(d: &[f64], e: &[f64]) -> (f64, f64) {
    let n = d.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let mut g = 0.0f64;
    for i in 0..n {
        let left = if i > 0 { e[i - 1].abs() } else { 0.0 };
        let right = if i + 1 < n { e[i].abs() } else { 0.0 };
        g = g.max(d[i].abs() + left + right);
    }
    let g = g.max(f64::MIN_POSITIVE);
    let bisect = |target: usize| {
        // The smallest x with count(x) ≥ target, i.e. the target-th eigenvalue (1-based).
        let (mut lo, mut hi) = (-g * 1.01 - 1e-300, g * 1.01 + 1e-300);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi || hi - lo <= 2e-16 * g {
                break;
            }
            if sturm_count(d, e, mid) >= target {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        0.5 * (lo + hi)
    };
    (bisect(1), bisect(n))
}

/// Extreme eigenvalues of a symmetric matrix (row-major `n × n`; only the lower triangle is read).
pub fn symmetric_extremes(n: usize, m: &[f64]) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let tri = nalgebra::SymmetricTridiagonal::new(dmat(n, n, m));
    let (d, e) = tri.unpack_tridiagonal();
    tridiagonal_extremes(d.as_slice(), e.as_slice())
}

/// `‖M‖₂` of a symmetric matrix: the largest |eigenvalue|.
pub fn symmetric_norm(n: usize, m: &[f64]) -> f64 {
    let (lo, hi) = symmetric_extremes(n, m);
    lo.abs().max(hi.abs())
}

/// `‖B‖₂` of a general `rows × cols` matrix (row-major) as `√λmax(BᵀB)`, with the Gram
/// matrix formed by plain loops: the same bits natively and in WebAssembly (nalgebra's
/// products use FMA kernels natively, its SVD `hypot`), which matters when the norm
/// scales a matrix that is then integrated with adaptive steps.
pub fn general_norm(rows: usize, cols: usize, b: &[f64]) -> f64 {
    let mut g = vec![0.0; cols * cols];
    for i in 0..cols {
        for j in 0..=i {
            let s: f64 = (0..rows).map(|r| b[r * cols + i] * b[r * cols + j]).sum();
            g[i * cols + j] = s;
            g[j * cols + i] = s;
        }
    }
    symmetric_extremes(cols, &g).1.max(0.0).sqrt()
}

/// The principal submatrix on the index set `keep` (row-major).
pub fn principal(n: usize, m: &[f64], keep: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(keep.len() * keep.len());
    for &i in keep {
        for &j in keep {
            out.push(m[i * n + j]);
        }
    }
    out
}

/// Eigenvalues of a general square matrix (real Schur form), sorted by real part,
/// largest first; `None` when the iteration does not converge.
pub fn eigenvalues(m: &DMatrix<f64>) -> Option<Vec<Complex>> {
    if m.nrows() == 0 {
        return Some(Vec::new());
    }
    if !m.iter().all(|v| v.is_finite()) {
        return None;
    }
    let schur = nalgebra::Schur::try_new(m.clone(), 1e-14, 100_000)?;
    let mut out: Vec<Complex> =
        schur.complex_eigenvalues().iter().map(|c| Complex { re: c.re, im: c.im }).collect();
    out.sort_by(|a, b| b.re.total_cmp(&a.re).then(b.im.total_cmp(&a.im)));
    Some(out)
}

/// The largest singular value of a general matrix; `None` when the SVD does not converge.
pub fn spectral_norm(m: &DMatrix<f64>) -> Option<f64> {
    if m.is_empty() {
        return Some(0.0);
    }
    let svd = nalgebra::SVD::try_new(m.clone(), false, false, 1e-14, 100_000)?;
    Some(svd.singular_values.iter().fold(0.0f64, |a, &s| a.max(s)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn bisection_matches_a_full_eigendecomposition() {
        let mut rng = seeded(5, 1);
        for n in [1, 2, 7, 40] {
            let w = goe(&mut rng, n);
            let (lo, hi) = symmetric_extremes(n, &w);
            let eig = nalgebra::SymmetricEigen::new(dmat(n, n, &w)).eigenvalues;
            let emin = eig.iter().copied().fold(f64::INFINITY, f64::min);
            let emax = eig.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert!((lo - emin).abs() < 1e-12 * (1.0 + emin.abs()), "n={n}: {lo} vs {emin}");
            assert!((hi - emax).abs() < 1e-12 * (1.0 + emax.abs()), "n={n}: {hi} vs {emax}");
        }
    }

    #[test]
    fn goe_largest_eigenvalue_is_near_sqrt_2n() {
        let mut rng = seeded(9, 1);
        let n = 300;
        let hi = symmetric_extremes(n, &goe(&mut rng, n)).1;
        assert!((hi / (2.0 * n as f64).sqrt() - 1.0).abs() < 0.05, "{hi}");
    }

    #[test]
    fn eigenvalues_of_a_rotation_are_complex() {
        let m = dmat(2, 2, &[0.0, -2.0, 2.0, 0.0]);
        let e = eigenvalues(&m).expect("converges");
        assert!(e.iter().all(|c| c.re.abs() < 1e-14 && (c.im.abs() - 2.0).abs() < 1e-14));
        assert!((spectral_norm(&m).expect("svd") - 2.0).abs() < 1e-14);
        let b = [1.0, 2.0, 0.5, -3.0, 0.25, 4.0];
        let svd = spectral_norm(&dmat(2, 3, &b)).expect("svd");
        assert!((general_norm(2, 3, &b) - svd).abs() < 1e-12 * svd);
        assert!(eigenvalues(&dmat(1, 1, &[f64::NAN])).is_none());
    }
}
