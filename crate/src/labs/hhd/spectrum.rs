//! The scaled sample covariance `Q = √(N/M) · AAᵀ/N` (Algorithm 1, line 5), its
//! eigenvalues and spiked eigenvectors, the bulk edges `γ± = √(M/N) + √(N/M) ± 2` (eq. 6),
//! the scaled Marchenko–Pastur density, and the BBP predictions for planted spikes.
//!
//! Eigen-decompositions run on the CPU in f64 (nalgebra), on the smaller side: when
//! `N < M` the `N × N` Gram matrix `AᵀA/N` has the same non-zero eigenvalues, and its
//! eigenvectors `w` give those of `Q` as `A w / ‖A w‖`; the other `M − N` eigenvalues are 0.

use crate::compute::{Mat, cpu};
use nalgebra::DMatrix;

/// The bulk edges `(γ−, γ+)` for `m` features and `n` samples.
pub fn edges(m: usize, n: usize) -> (f64, f64) {
    let r = (m as f64 / n.max(1) as f64).sqrt();
    (r + 1.0 / r - 2.0, r + 1.0 / r + 2.0)
}

/// The scaled Marchenko–Pastur density at `x` for ratio `y = M/N`: the law of the
/// eigenvalues of `Q` for pure unit-variance noise (its continuous part integrates to
/// `min(1, 1/y)`; when `y > 1` a mass `1 − 1/y` sits at 0).
pub fn mp_density(x: f64, y: f64) -> f64 {
    let s = y.sqrt();
    let (a, b) = ((1.0 - s).powi(2), (1.0 + s).powi(2));
    let t = s * x;
    if t <= a || t >= b || t <= 0.0 {
        return 0.0;
    }
    s * ((b - t) * (t - a)).sqrt() / (2.0 * std::f64::consts::PI * y * t)
}

/// Eigen-pairs of `Q` for one data matrix.
#[derive(Debug, Clone)]
pub struct Spectrum {
    /// All `M` eigenvalues of `Q`, descending.
    pub values: Vec<f64>,
    /// Unit eigenvectors (length M) of the leading eigenvalues asked for, each oriented so
    /// that the samples project on it positively on average (ties: largest entry positive).
    pub vectors: Vec<Vec<f64>>,
    pub edge_lower: f64,
    pub edge_upper: f64,
    /// Eigenvalues above `γ+`.
    pub spikes: usize,
}

fn dmatrix(m: &Mat<f64>) -> DMatrix<f64> {
    DMatrix::from_row_slice(m.rows, m.cols, &m.data)
}

/// The spectrum of `Q` for samples `a` (`N × M`, rows), with the unit eigenvectors of the
/// leading `want(spikes)` eigenvalues (a function of the spike count, so that one
/// decomposition serves both). `None` when the eigen-solver does not converge or the
/// data are not finite.
pub fn spectrum(a: &Mat<f64>, want: impl Fn(usize) -> usize) -> Option<Spectrum> {
    let (n, m) = (a.rows, a.cols);
    if n == 0 || m == 0 || a.data.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let (edge_lower, edge_upper) = edges(m, n);
    let scale = (n as f64 / m as f64).sqrt() / n as f64;
    let gram_side = n < m;
    let mut g = if gram_side {
        cpu::gram_threads(a, threads())
    } else {
        cpu::gram_threads(&a.transpose(), threads())
    };
    for v in &mut g.data {
        *v *= scale;
    }
    let side = g.rows;
    // A first pass for the eigenvalues (cheap); vectors only when asked for.
    let mut values = cpu::sym_eigenvalues(&g)?;
    let spikes = values.iter().filter(|&&v| v > edge_upper).count();
    let k = want(spikes).min(side);
    let mut vectors = Vec::new();
    if k > 0 {
        // Few vectors: subspace iteration; many (their eigenvalues crowd the edge, where it
        // converges slowly): the full decomposition.
        let fast = if k <= 8 { top_vectors(&g, k, values.first().copied().unwrap_or(0.0)) } else { None };
        let top = match fast {
            Some(v) => v,
            None => {
                // Subspace iteration too slow (clustered eigenvalues): the full decomposition.
                let eig = nalgebra::linalg::SymmetricEigen::try_new(dmatrix(&g), 1e-14, 100_000)?;
                let mut order: Vec<usize> = (0..side).collect();
                order.sort_by(|&i, &j| eig.eigenvalues[j].total_cmp(&eig.eigenvalues[i]));
                order.iter().take(k).map(|&c| eig.eigenvectors.column(c).iter().copied().collect()).collect()
            }
        };
        for w in top {
            let mut v = if gram_side {
                // A w: a combination of the samples (rows of `a`).
                let mut v = vec![0.0; m];
                for (r, &wr) in w.iter().enumerate() {
                    for (x, &ar) in v.iter_mut().zip(a.row(r)) {
                        *x += wr * ar;
                    }
                }
                v
            } else {
                w
            };
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm > 0.0 {
                for x in &mut v {
                    *x /= norm;
                }
            }
            orient(&mut v, a);
            vectors.push(v);
        }
    }
    values.resize(m, 0.0);
    // The M − N structural zeros (and rounding around them) are exactly 0 on the Gram side.
    for v in &mut values {
        if *v < 0.0 {
            *v = 0.0;
        }
    }
    Some(Spectrum { values, vectors, edge_lower, edge_upper, spikes })
}

/// Worker threads for the covariance products natively (`HOPFIELD_THREADS` overrides the
/// number of cores); one in the browser.
pub fn threads() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::env::var("HOPFIELD_THREADS")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|&t| t > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
    #[cfg(target_arch = "wasm32")]
    {
        1
    }
}

/// Orthonormalise the rows of `z` in place (modified Gram–Schmidt, twice); rows that
/// vanish are replaced by zeros.
fn orthonormalise(z: &mut Mat<f64>) {
    let n = z.cols;
    for i in 0..z.rows {
        for _ in 0..2 {
            for j in 0..i {
                let d: f64 = (0..n).map(|t| z.data[i * n + t] * z.data[j * n + t]).sum();
                for t in 0..n {
                    z.data[i * n + t] -= d * z.data[j * n + t];
                }
            }
        }
        let norm = z.row(i).iter().map(|x| x * x).sum::<f64>().sqrt();
        for x in z.row_mut(i) {
            *x = if norm > 0.0 { *x / norm } else { 0.0 };
        }
    }
}

/// The unit eigenvectors of the `k` largest eigenvalues of the symmetric positive
/// semi-definite `g`, by block subspace iteration with Rayleigh–Ritz (block `k + 10`, a
/// fixed pseudo-random start, so the result is deterministic), until each residual
/// `‖g v − θ v‖` is below `1e-10·λ1`; `None` when 400 iterations do not get there.
/// One `block × side × side` product per iteration instead of a full decomposition.
pub fn top_vectors(g: &Mat<f64>, k: usize, lambda1: f64) -> Option<Vec<Vec<f64>>> {
    let n = g.rows;
    let b = (k + 10).min(n);
    if k == 0 || n == 0 {
        return Some(Vec::new());
    }
    let tol = 1e-10 * lambda1.abs().max(1e-300);
    let mut rng = crate::rng::seeded(0x5eed, 77);
    let mut z = Mat { rows: b, cols: n, data: (0..b * n).map(|_| crate::rng::normal(&mut rng)).collect() };
    // Rows are vectors: Z ← Z·G (G symmetric) is G applied to each.
    z = cpu::matmul(&z, g);
    for _ in 0..200 {
        orthonormalise(&mut z);
        let gq = cpu::matmul(&z, g);
        let t = cpu::matmul_nt(&z, &gq);
        let eig = nalgebra::linalg::SymmetricEigen::try_new(dmatrix(&t), 1e-14, 10_000)?;
        let mut order: Vec<usize> = (0..b).collect();
        order.sort_by(|&i, &j| eig.eigenvalues[j].total_cmp(&eig.eigenvalues[i]));
        let mut v: Mat<f64> = Mat::zeros(b, n);
        let mut gv: Mat<f64> = Mat::zeros(b, n);
        for (r, &c) in order.iter().enumerate() {
            for i in 0..b {
                let y = eig.eigenvectors[(i, c)];
                if y != 0.0 {
                    for t in 0..n {
                        v.data[r * n + t] += y * z.data[i * n + t];
                        gv.data[r * n + t] += y * gq.data[i * n + t];
                    }
                }
            }
        }
        let converged = order.iter().take(k).enumerate().all(|(r, &c)| {
            let theta = eig.eigenvalues[c];
            let res: f64 =
                (0..n).map(|t| (gv.data[r * n + t] - theta * v.data[r * n + t]).powi(2)).sum::<f64>().sqrt();
            res <= tol
        });
        if converged {
            return Some((0..k).map(|r| v.row(r).to_vec()).collect());
        }
        z = gv;
    }
    None
}

/// Flip `v` so the mean projection of the samples on it is positive (an eigenvector's sign
/// is arbitrary; this one points towards the data); when that is ~0, make the largest
/// entry positive.
pub fn orient(v: &mut [f64], a: &Mat<f64>) {
    let (mut s, mut total) = (0.0, 0.0);
    for r in 0..a.rows {
        let p: f64 = a.row(r).iter().zip(v.iter()).map(|(x, y)| x * y).sum();
        s += p;
        total += p.abs();
    }
    let flip = if s.abs() > 1e-9 * total.max(1e-300) {
        s < 0.0
    } else {
        let big = v.iter().copied().fold(0.0f64, |b, x| if x.abs() > b.abs() { x } else { b });
        big < 0.0
    };
    if flip {
        for x in v.iter_mut() {
            *x = -*x;
        }
    }
}

/// The BBP prediction for one population spike.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Prediction {
    /// Population eigenvalue `1 + t` of `Σ = I + Σ θ_l u_l u_lᵀ` (t > 0 its excess).
    pub population: f64,
    /// Predicted eigenvalue of `Q`: `(1+t)(1 + y/t)/√y` above the threshold `t > √y`
    /// (`y = M/N`); `γ+` (no spike) below it.
    pub eigenvalue: f64,
    /// Predicted `|cos|` between the sample and the population eigenvector:
    /// `√((1 − y/t²)/(1 + y/t))` above the threshold, 0 below.
    pub cosine: f64,
    /// Above the BBP threshold.
    pub detectable: bool,
    /// The population eigenvector (unit, length M).
    #[serde(skip)]
    pub vector: Vec<f64>,
}

/// Predictions for planted signals `u` (`r × M`) with strengths `theta` and `n` samples.
pub fn bbp(u: &Mat<f64>, theta: &[f64], n: usize) -> Vec<Prediction> {
    let (r, m) = (u.rows, u.cols);
    if r == 0 {
        return Vec::new();
    }
    let y = m as f64 / n.max(1) as f64;
    // Σ − I = U D Uᵀ (U = [u_l] as columns): its non-zero eigenvalues are those of
    // D^½ UᵀU D^½ (r × r) with eigenvectors U D^½ g / ‖·‖.
    let mut k = DMatrix::<f64>::zeros(r, r);
    for i in 0..r {
        for j in 0..r {
            let c: f64 = u.row(i).iter().zip(u.row(j)).map(|(a, b)| a * b).sum();
            k[(i, j)] = theta[i].max(0.0).sqrt() * c * theta[j].max(0.0).sqrt();
        }
    }
    let eig = nalgebra::linalg::SymmetricEigen::new(k);
    let mut order: Vec<usize> = (0..r).collect();
    order.sort_by(|&i, &j| eig.eigenvalues[j].total_cmp(&eig.eigenvalues[i]));
    let (_, hi) = edges(m, n);
    order
        .into_iter()
        .map(|c| {
            let t = eig.eigenvalues[c].max(0.0);
            let mut w = vec![0.0; m];
            for (l, &th) in theta.iter().enumerate().take(r) {
                let coef = th.max(0.0).sqrt() * eig.eigenvectors[(l, c)];
                for (x, &ul) in w.iter_mut().zip(u.row(l)) {
                    *x += coef * ul;
                }
            }
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-300);
            for x in &mut w {
                *x /= norm;
            }
            let detectable = t > y.sqrt();
            Prediction {
                population: 1.0 + t,
                eigenvalue: if detectable { (1.0 + t) * (1.0 + y / t) / y.sqrt() } else { hi },
                cosine: if detectable { ((1.0 - y / (t * t)) / (1.0 + y / t)).sqrt() } else { 0.0 },
                detectable,
                vector: w,
            }
        })
        .collect()
}

/// `|cos|` between two vectors.
pub fn abs_cos(a: &[f64], b: &[f64]) -> f64 {
    let d: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 { 0.0 } else { (d / (na * nb)).abs() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::hhd::data::{Synthetic, synthetic};
    use crate::rng::seeded;

    #[test]
    fn mp_density_integrates_to_the_continuous_mass() {
        for y in [0.25, 1.0, 3.0] {
            let (lo, hi) = edges((y * 1000.0) as usize, 1000);
            let steps = 200_000;
            let h = (hi - lo) / steps as f64;
            let mass: f64 = (0..steps).map(|i| mp_density(lo + (i as f64 + 0.5) * h, y) * h).sum();
            let want = if y > 1.0 { 1.0 / y } else { 1.0 };
            assert!((mass - want).abs() < 2e-3, "y={y}: {mass} vs {want}");
        }
    }

    #[test]
    fn gram_side_and_covariance_side_agree() {
        // N < M uses the N × N Gram matrix; compare with the M × M covariance directly.
        let d = synthetic(
            &Synthetic { n: 40, samples: 25, rank: 2, strength: 6.0, spread: 0.5, rho: 0.0 },
            &mut seeded(5, 1),
        )
        .expect("fits");
        let s = spectrum(&d.x, |r| r).expect("converges");
        let mut c = cpu::gram(&d.x.transpose());
        let scale = (25.0f64 / 40.0).sqrt() / 25.0;
        for v in &mut c.data {
            *v *= scale;
        }
        let direct = cpu::sym_eigenvalues(&c).expect("converges");
        for (a, b) in s.values.iter().zip(&direct) {
            assert!((a - b).abs() < 1e-9 * (1.0 + b.abs()), "{a} vs {b}");
        }
        // Each returned vector is an eigenvector of the M × M matrix.
        for (v, &lam) in s.vectors.iter().zip(&s.values) {
            let cv: Vec<f64> = (0..40).map(|i| c.row(i).iter().zip(v).map(|(a, b)| a * b).sum()).collect();
            let err = cv.iter().zip(v).map(|(a, b)| (a - lam * b).abs()).fold(0.0, f64::max);
            assert!(err < 1e-9 * lam.max(1.0), "residual {err}");
        }
        assert_eq!(s.values.len(), 40);
        assert!(s.values[25..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn strong_planted_spikes_are_found_and_aligned() {
        // θ = 8, 6, 4 against the BBP threshold √(M/N) = √(200/1000) ≈ 0.45.
        let syn = Synthetic { n: 200, samples: 1000, rank: 3, strength: 8.0, spread: 0.5, rho: 0.0 };
        let d = synthetic(&syn, &mut seeded(11, 1)).expect("fits");
        let s = spectrum(&d.x, |r| r).expect("converges");
        assert_eq!(s.spikes, 3, "top eigenvalues {:?}, γ+ = {}", &s.values[..5], s.edge_upper);
        let (u, theta) = d.planted.expect("planted");
        let pred = bbp(&u, &theta, syn.samples);
        for (j, v) in s.vectors.iter().enumerate() {
            // ρ = 0: the population eigenvectors are the planted signals themselves.
            let c = abs_cos(v, u.row(j));
            assert!((c - pred[j].cosine).abs() < 0.03, "spike {j}: |cos| {c} vs theory {}", pred[j].cosine);
            let rel = (s.values[j] - pred[j].eigenvalue).abs() / pred[j].eigenvalue;
            assert!(rel < 0.08, "spike {j}: λ {} vs theory {}", s.values[j], pred[j].eigenvalue);
        }
    }

    #[test]
    fn subspace_iteration_finds_the_leading_eigenvectors() {
        let d = synthetic(
            &Synthetic { n: 80, samples: 300, rank: 4, strength: 9.0, spread: 0.6, rho: 0.2 },
            &mut seeded(8, 1),
        )
        .expect("fits");
        let g = cpu::gram(&d.x.transpose());
        let full = nalgebra::linalg::SymmetricEigen::new(dmatrix(&g));
        let mut order: Vec<usize> = (0..80).collect();
        order.sort_by(|&i, &j| full.eigenvalues[j].total_cmp(&full.eigenvalues[i]));
        let top = top_vectors(&g, 5, full.eigenvalues[order[0]]).expect("converges");
        for (r, v) in top.iter().enumerate() {
            let w: Vec<f64> = full.eigenvectors.column(order[r]).iter().copied().collect();
            assert!((abs_cos(v, &w) - 1.0).abs() < 1e-8, "vector {r}: |cos| {}", abs_cos(v, &w));
        }
    }

    #[test]
    fn pure_noise_tops_out_at_the_upper_edge() {
        let syn = Synthetic { n: 300, samples: 1200, rank: 0, strength: 0.0, spread: 0.0, rho: 0.0 };
        let d = synthetic(&syn, &mut seeded(12, 1)).expect("fits");
        let s = spectrum(&d.x, |_| 0).expect("converges");
        // Tracy–Widom fluctuations of the top eigenvalue are O(N^(-2/3)); allow 3%.
        assert!(
            (s.values[0] - s.edge_upper).abs() < 0.03 * s.edge_upper,
            "{} vs {}",
            s.values[0],
            s.edge_upper
        );
        let bottom = s.values[299];
        assert!((bottom - s.edge_lower).abs() < 0.1, "{bottom} vs {}", s.edge_lower);
    }

    #[test]
    fn below_threshold_signal_makes_no_spike() {
        // θ = 0.2 < √(M/N) = 0.5: invisible in the spectrum.
        let syn = Synthetic { n: 250, samples: 1000, rank: 1, strength: 0.2, spread: 0.0, rho: 0.0 };
        let d = synthetic(&syn, &mut seeded(13, 1)).expect("fits");
        let s = spectrum(&d.x, |_| 0).expect("converges");
        let (u, theta) = d.planted.expect("planted");
        assert!(!bbp(&u, &theta, 1000)[0].detectable);
        // The top eigenvalue stays at the noise edge γ+ = 4.5, not at the naive (1+θ)(1+y/θ)/√y = 5.4.
        assert!(
            (s.values[0] - s.edge_upper).abs() < 0.03 * s.edge_upper,
            "{} vs {}",
            s.values[0],
            s.edge_upper
        );
    }
}
