//! Correlated keys and values, the coupling `J = Y Xᵀ` (on the compute engine) and the
//! eigenvalues of the non-symmetric `J` (on the CPU).

use crate::compute::{Compute, Mat};
use crate::rng::{self, Rng};

/// How key/value entries are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entries {
    /// Gaussian pairs: `ξ = z₁/√N`, `η = (τ z₁ + √(1−τ²) z₂)/√N`.
    Gauss,
    /// ±1/√N keys; each value is its key with the sign flipped with probability `(1 − τ)/2`
    /// (so `E[ξη] = τ/N`).
    Binary,
}

impl Entries {
    pub fn from_name(name: &str) -> Self {
        if name == "binary" { Self::Binary } else { Self::Gauss }
    }
}

/// Keys `X` and values `Y`, both `N × P` (row `i` = neuron, column `μ` = pattern), f32.
#[derive(Debug, Clone)]
pub struct Pairs {
    pub keys: Mat<f32>,
    pub values: Mat<f32>,
}

/// The number of stored pairs for `n` neurons at load `alpha`: `max(1, round(α N))`.
pub fn pattern_count(n: usize, alpha: f64) -> usize {
    ((alpha * n as f64).round() as usize).max(1)
}

/// Draw `p` key/value pairs of dimension `n` with correlation `tau` (entries in row-major
/// order, one pair of draws per entry, so the same seed gives the same matrices everywhere).
pub fn draw(n: usize, p: usize, tau: f64, entries: Entries, rng: &mut Rng) -> Pairs {
    let tau = tau.clamp(-1.0, 1.0);
    let sd = 1.0 / (n as f64).sqrt();
    let rest = (1.0 - tau * tau).max(0.0).sqrt();
    let flip = (1.0 - tau) / 2.0;
    let mut keys = Vec::with_capacity(n * p);
    let mut values = Vec::with_capacity(n * p);
    match entries {
        Entries::Gauss => {
            for _ in 0..n * p {
                let (z1, z2) = (rng::normal(rng), rng::normal(rng));
                keys.push((z1 * sd) as f32);
                values.push(((tau * z1 + rest * z2) * sd) as f32);
            }
        }
        Entries::Binary => {
            let spins = rng::spins(rng, n * p);
            for s in spins {
                let k = f64::from(s) * sd;
                let v = if rng::uniform(rng) < flip { -k } else { k };
                keys.push(k as f32);
                values.push(v as f32);
            }
        }
    }
    Pairs { keys: Mat { rows: n, cols: p, data: keys }, values: Mat { rows: n, cols: p, data: values } }
}

/// `J = Y Xᵀ = Σ_μ η^μ ξ^μᵀ` (`N × N`), through the compute engine (GPU when it is used).
pub async fn coupling(compute: &Compute, pairs: &Pairs) -> Mat<f32> {
    compute.cross_gram(&pairs.values, &pairs.keys).await
}

/// The same product in f64 on the CPU, row by row (the reference of the GPU test).
pub fn coupling_reference(pairs: &Pairs) -> Mat<f64> {
    let (n, p) = (pairs.keys.rows, pairs.keys.cols);
    let mut j = Mat::<f64>::zeros(n, n);
    for a in 0..n {
        let y = pairs.values.row(a);
        for b in 0..n {
            let x = pairs.keys.row(b);
            j.data[a * n + b] = (0..p).map(|m| f64::from(y[m]) * f64::from(x[m])).sum();
        }
    }
    j
}

/// Eigenvalues `(re, im)` of a square matrix, sorted by real part then imaginary part.
///
/// faer's real Schur form (blocked Hessenberg reduction, multishift QR with aggressive early
/// deflation); errors on non-finite entries or when the QR iteration does not converge.
pub fn eigenvalues(m: &Mat<f64>) -> Result<Vec<(f64, f64)>, String> {
    if m.rows != m.cols {
        return Err(format!("eigenvalues of a {}×{} matrix", m.rows, m.cols));
    }
    if m.data.iter().any(|x| !x.is_finite()) {
        return Err("the matrix has non-finite entries".into());
    }
    let n = m.rows;
    if n == 0 {
        return Ok(Vec::new());
    }
    let a = faer::Mat::<f64>::from_fn(n, n, |i, k| m.data[i * n + k]);
    let ev = a.eigenvalues().map_err(|e| format!("the eigenvalue iteration failed: {e:?}"))?;
    let mut out: Vec<(f64, f64)> = ev.iter().map(|z| (z.re, z.im)).collect();
    sort(&mut out);
    Ok(out)
}

/// The same with nalgebra's Schur decomposition (the bench's comparison and an independent
/// check in the tests).
pub fn eigenvalues_nalgebra(m: &Mat<f64>) -> Option<Vec<(f64, f64)>> {
    let a = nalgebra::DMatrix::from_row_slice(m.rows, m.cols, &m.data);
    let schur = nalgebra::linalg::Schur::try_new(a, f64::EPSILON, 0)?;
    let mut out: Vec<(f64, f64)> = schur.complex_eigenvalues().iter().map(|z| (z.re, z.im)).collect();
    sort(&mut out);
    Some(out)
}

fn sort(v: &mut [(f64, f64)]) {
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn pairs_have_variance_one_over_n_and_correlation_tau() {
        for entries in [Entries::Gauss, Entries::Binary] {
            for tau in [-0.6, 0.0, 0.8] {
                let (n, p) = (100, 400);
                let pr = draw(n, p, tau, entries, &mut seeded(5, 1));
                let m = (n * p) as f64;
                let vx: f64 = pr.keys.data.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / m;
                let vy: f64 = pr.values.data.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / m;
                let c: f64 = pr
                    .keys
                    .data
                    .iter()
                    .zip(&pr.values.data)
                    .map(|(&x, &y)| f64::from(x) * f64::from(y))
                    .sum::<f64>()
                    / m;
                let nf = n as f64;
                // 40,000 entries: standard errors ≈ 0.7%·(1/N) on the variances, ≈ 0.005/N on c.
                assert!(
                    (vx * nf - 1.0).abs() < 0.03 && (vy * nf - 1.0).abs() < 0.03,
                    "{entries:?} {vx} {vy}"
                );
                assert!((c * nf - tau).abs() < 0.03, "{entries:?} τ={tau}: {}", c * nf);
            }
        }
    }

    #[test]
    fn tau_one_gives_equal_keys_and_values() {
        for entries in [Entries::Gauss, Entries::Binary] {
            let pr = draw(20, 30, 1.0, entries, &mut seeded(1, 1));
            assert_eq!(pr.keys, pr.values);
            let pr = draw(20, 30, -1.0, entries, &mut seeded(1, 1));
            assert!(pr.keys.data.iter().zip(&pr.values.data).all(|(a, b)| *a == -*b));
        }
    }

    #[test]
    fn cpu_coupling_is_the_sum_of_outer_products() {
        let pr = draw(7, 5, 0.3, Entries::Gauss, &mut seeded(2, 1));
        let j = pollster::block_on(coupling(&Compute::cpu("test"), &pr)).to_f64();
        let r = coupling_reference(&pr);
        assert!(j.max_abs_diff(&r) < 1e-6, "{}", j.max_abs_diff(&r));
        // Entry (1, 2) by hand: Σ_μ η_1μ ξ_2μ.
        let by_hand: f64 = (0..5).map(|m| f64::from(pr.values.at(1, m)) * f64::from(pr.keys.at(2, m))).sum();
        assert!((r.at(1, 2) - by_hand).abs() < 1e-12);
    }

    #[test]
    fn faer_and_nalgebra_agree_on_a_nonsymmetric_matrix() {
        let n = 60;
        let mut rng = seeded(9, 1);
        let m = Mat { rows: n, cols: n, data: (0..n * n).map(|_| rng::normal(&mut rng)).collect() };
        let a = eigenvalues(&m).expect("faer");
        let b = eigenvalues_nalgebra(&m).expect("nalgebra");
        assert_eq!(a.len(), n);
        for (x, y) in a.iter().zip(&b) {
            assert!((x.0 - y.0).abs() < 1e-8 && (x.1 - y.1).abs() < 1e-8, "{x:?} vs {y:?}");
        }
        // The eigenvalues sum to the trace; conjugate pairs keep the imaginary sum at 0.
        let tr: f64 = (0..n).map(|i| m.at(i, i)).sum();
        assert!((a.iter().map(|z| z.0).sum::<f64>() - tr).abs() < 1e-9);
        assert!(a.iter().map(|z| z.1).sum::<f64>().abs() < 1e-9);
    }

    #[test]
    fn eigenvalues_of_a_rotation_and_a_triangle_by_hand() {
        // [[0, −2], [2, 0]]: ±2i.  Upper triangular: its diagonal.
        let rot = Mat { rows: 2, cols: 2, data: vec![0.0, -2.0, 2.0, 0.0] };
        let e = eigenvalues(&rot).expect("rotation");
        assert!((e[0].0).abs() < 1e-12 && (e[0].1 + 2.0).abs() < 1e-12 && (e[1].1 - 2.0).abs() < 1e-12);
        let tri = Mat { rows: 3, cols: 3, data: vec![3.0, 1.0, 4.0, 0.0, -1.0, 5.0, 0.0, 0.0, 2.0] };
        let e = eigenvalues(&tri).expect("triangle");
        let re: Vec<f64> = e.iter().map(|z| z.0).collect();
        assert!(re.iter().zip([-1.0, 2.0, 3.0]).all(|(a, b)| (a - b).abs() < 1e-12), "{re:?}");
        assert!(eigenvalues(&Mat { rows: 1, cols: 1, data: vec![f64::NAN] }).is_err());
    }
}
