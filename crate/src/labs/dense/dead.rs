//! Dead-neuron analysis at a steady state in N dimensions (Section 3.2, Proposition 4).
//!
//! 1. Integrate the Krotov–Hopfield system (1) from a start to `t_end`, then polish the
//!    end point with Newton steps on `f(y) = W g(y) − y + b` (Jacobian `WΛ − I`).
//! 2. At the state y: the eigen-decomposition of `Λ(y)`; eigenvalues at most
//!    `dead_tol · max(1, λmax)` span the dead directions V (k = dim null Λ), the others V⊥.
//! 3. `W⊥ = V⊥ᵀWV⊥`, `Λ⊥ = V⊥ᵀΛV⊥`, the stability matrix `S = W⊥Λ⊥ − I` and its
//!    eigenvalues (stable when all real parts are negative), beside the full Jacobian
//!    `WΛ − I` and the energy's Hessian on the range of Λ, `V⊥ᵀ(Λ − ΛWΛ)V⊥` (Prop. 4.2:
//!    positive definite predicts stability).
//! 4. Proposition 4.3: minimise the KH energy (2) directly, by its gradient flow
//!    `ẏ = −∇E`, to ỹ; the energy cannot see the dead directions, so ỹ is generally not a
//!    steady state. With `P_d` the projector on null Λ(ỹ) and `P_a = I − P_d`, the steady
//!    state is recovered as `y = P_a ỹ + P_d (W g(ỹ) + b)`. The source prints
//!    `ỹ + P_d(W g(ỹ) + b)`, which agrees only when `P_d ỹ = 0`; both are reported with
//!    their residuals. Two starts: (a) a point of the flat region through the steady
//!    state, `y + 2·Σ ±v` over the dead directions v (moving away from the origin), where
//!    the energy equals E(y) and the recovery must return y; (b) the start of the
//!    dynamics, where the flow may stall on the edge of a flat region at a point that is
//!    not a minimum (its recovery then is no steady state — shown, not hidden).

use super::fixed::{Complex, Stability, classify};
use super::integrate::{Limits, Method, Stats, integrate};
use super::matrices::{dmat, eigenvalues, spectral_norm};
use super::system::{Energy, System, Work, mat_vec};
use nalgebra::DMatrix;
use serde::Serialize;

/// The result of the analysis.
#[derive(Debug, Clone, Serialize)]
pub struct DeadAnalysis {
    pub n: usize,
    /// `‖W‖₂`.
    pub w_norm: f64,
    pub start: Vec<f64>,
    pub integrator: String,
    pub stats: Stats,
    pub stop_reason: &'static str,
    /// Newton steps taken after the integration.
    pub newton_steps: usize,
    /// The state analysed.
    pub state: Vec<f64>,
    /// `‖f(state)‖`.
    pub residual: f64,
    /// True when the residual is below `1e-8·(1 + ‖y‖∞)`: the state is a steady state.
    pub converged: bool,
    /// Eigenvalues of Λ at the state, ascending.
    pub lambda_eigenvalues: Vec<f64>,
    pub dead_tol: f64,
    /// `k = dim null Λ`.
    pub k: usize,
    /// The dead directions (columns of V, as rows), listed when `k·N ≤ 4096`.
    pub dead_directions: Vec<Vec<f64>>,
    /// Indices of dead neurons when V consists of coordinate axes (separable Lagrangians).
    pub dead_neurons: Vec<usize>,
    /// `‖W⊥‖₂`, and its ratio to `‖W‖₂` beside Proposition 3's `√(1 − k/N)`.
    pub w_perp_norm: f64,
    pub norm_ratio: f64,
    pub sqrt_one_minus_k_over_n: f64,
    /// Eigenvalues of `S = W⊥Λ⊥ − I`, largest real part first.
    pub s_eigenvalues: Vec<Complex>,
    pub s_stability: Stability,
    /// Eigenvalues of the full Jacobian `WΛ − I` (includes −1 for every dead direction).
    pub jacobian_eigenvalues: Vec<Complex>,
    pub jacobian_stability: Stability,
    /// Eigenvalues of `V⊥ᵀ(Λ − ΛWΛ)V⊥` (symmetrised), ascending.
    pub energy_hessian_range: Vec<f64>,
    /// All of them positive: the energy predicts stability on the range of Λ.
    pub energy_predicts_stable: bool,
    /// Proposition 4.3 from a point of the flat region through the state.
    pub prop43_flat: Prop43,
    /// Proposition 4.3 from the start of the dynamics.
    pub prop43_start: Prop43,
}

/// Proposition 4.3: the steady state recovered from a minimum of the energy.
#[derive(Debug, Clone, Serialize)]
pub struct Prop43 {
    /// Where the energy's gradient flow started.
    pub from: Vec<f64>,
    /// The end of the energy's gradient flow.
    pub energy_minimum: Vec<f64>,
    pub gradient_norm: f64,
    pub stats: Stats,
    pub stop_reason: &'static str,
    /// `‖f(ỹ)‖`: the energy minimum is generally not a steady state.
    pub residual_at_minimum: f64,
    /// `dim null Λ(ỹ)`.
    pub k_at_minimum: usize,
    /// `P_a ỹ + P_d (W g(ỹ) + b)`.
    pub recovered: Vec<f64>,
    pub recovered_residual: f64,
    /// `ỹ + P_d (W g(ỹ) + b)`, as printed in the source.
    pub printed: Vec<f64>,
    pub printed_residual: f64,
    /// `‖recovered − state‖` (0 when both flows reach the same memory).
    pub distance_to_state: f64,
    /// KH energy at ỹ and at the recovered state (equal up to rounding: the dead
    /// directions are flat, Proposition 1).
    pub energy_at_minimum: f64,
    pub energy_at_recovered: f64,
}

/// Why the analysis could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeadError {
    #[error("the eigen-decomposition of Λ did not converge")]
    Eigen,
    #[error("the eigenvalues of S or of the Jacobian did not converge")]
    Schur,
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn residual(sys: &System, y: &[f64], work: &mut Work) -> f64 {
    let mut r = vec![0.0; sys.n];
    sys.residual(y, &mut r, work);
    norm(&r)
}

/// Newton polish of a steady state of (1); returns the steps taken.
fn polish(sys: &System, y: &mut [f64], work: &mut Work) -> usize {
    let n = sys.n;
    let mut r = vec![0.0; n];
    sys.residual(y, &mut r, work);
    let mut nr = norm(&r);
    let mut steps = 0;
    for _ in 0..30 {
        if !nr.is_finite() || nr <= 1e-14 * (1.0 + norm(y)) {
            break;
        }
        let j = dmat(n, n, &sys.residual_jacobian(y));
        let Some(dx) = j.lu().solve(&nalgebra::DVector::from_column_slice(&r)) else { break };
        let trial: Vec<f64> = (0..n).map(|i| y[i] - dx[i]).collect();
        let mut rt = vec![0.0; n];
        sys.residual(&trial, &mut rt, work);
        let nt = norm(&rt);
        if nt.partial_cmp(&nr) != Some(std::cmp::Ordering::Less) {
            break;
        }
        y.copy_from_slice(&trial);
        r = rt;
        nr = nt;
        steps += 1;
    }
    steps
}

/// Eigen-decomposition of the symmetric Λ: (ascending eigenvalues, their unit eigenvectors).
fn lambda_eigen(lam: &[f64], n: usize) -> Result<(Vec<f64>, Vec<Vec<f64>>), DeadError> {
    let eig = nalgebra::SymmetricEigen::try_new(dmat(n, n, lam), 1e-15, 100_000).ok_or(DeadError::Eigen)?;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[a].total_cmp(&eig.eigenvalues[b]));
    let values = order.iter().map(|&i| eig.eigenvalues[i]).collect();
    let vectors = order.iter().map(|&i| eig.eigenvectors.column(i).iter().copied().collect()).collect();
    Ok((values, vectors))
}

fn dead_split(values: &[f64], tol: f64) -> usize {
    let top = values.last().copied().unwrap_or(0.0).max(1.0);
    values.iter().filter(|&&v| v <= tol * top).count()
}

/// Run the analysis for the KH system `sys` (dynamics (1)) from `start`.
pub fn analyse(
    sys: &System,
    start: &[f64],
    t_end: f64,
    method: Method,
    dead_tol: f64,
) -> Result<DeadAnalysis, DeadError> {
    let n = sys.n;
    let mut work = Work::new(n);
    let limits = Limits::default();
    let mut y = start.to_vec();
    let stats =
        integrate(&mut |x, o| sys.rhs(x, o, &mut work), start, t_end, method, &limits, &mut |_, x| {
            y.copy_from_slice(x)
        });
    let newton_steps = polish(sys, &mut y, &mut work);
    let res = residual(sys, &y, &mut work);
    let converged = res <= 1e-8 * (1.0 + y.iter().fold(0.0f64, |a, v| a.max(v.abs())));

    let lam = sys.hessian_at(&y);
    let (lvals, lvecs) = lambda_eigen(&lam, n)?;
    let k = dead_split(&lvals, dead_tol);
    let v_dead = &lvecs[..k];
    let v_alive = &lvecs[k..];
    let m = n - k;
    // V⊥ as an n × m matrix.
    let vp = DMatrix::from_fn(n, m, |i, j| v_alive[j][i]);
    let w = dmat(n, n, &sys.w);
    let l = dmat(n, n, &lam);
    let w_perp = vp.transpose() * &w * &vp;
    let l_perp = vp.transpose() * &l * &vp;
    let s = &w_perp * &l_perp - DMatrix::identity(m, m);
    let s_eigenvalues = eigenvalues(&s).ok_or(DeadError::Schur)?;
    let jac = &w * &l - DMatrix::identity(n, n);
    let jacobian_eigenvalues = eigenvalues(&jac).ok_or(DeadError::Schur)?;
    let h = vp.transpose() * (&l - &l * &w * &l) * &vp;
    let h = (&h + h.transpose()) * 0.5;
    let mut energy_hessian_range: Vec<f64> = if m == 0 {
        Vec::new()
    } else {
        nalgebra::SymmetricEigen::try_new(h, 1e-15, 100_000)
            .ok_or(DeadError::Eigen)?
            .eigenvalues
            .iter()
            .copied()
            .collect()
    };
    energy_hessian_range.sort_by(f64::total_cmp);
    let scale = lvals.last().copied().unwrap_or(1.0).abs().max(1.0);
    let energy_predicts_stable = energy_hessian_range.iter().all(|&e| e > 1e-12 * scale);
    let w_norm = spectral_norm(&w).ok_or(DeadError::Schur)?;
    let w_perp_norm = spectral_norm(&w_perp).ok_or(DeadError::Schur)?;
    let dead_neurons: Vec<usize> = if sys.lag.is_separable() {
        v_dead.iter().filter_map(|v| v.iter().position(|&c| c.abs() > 0.5)).collect()
    } else {
        Vec::new()
    };
    let dead_directions = if k * n <= 4096 { v_dead.to_vec() } else { Vec::new() };

    // A point of the flat region through y: shift along every dead direction, away from the origin.
    let mut flat_start = y.clone();
    for v in v_dead {
        let side = if v.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>() < 0.0 { -1.0 } else { 1.0 };
        for i in 0..n {
            flat_start[i] += 2.0 * side * v[i];
        }
    }
    let prop43_flat = prop43(sys, &flat_start, t_end, method, dead_tol, &y, &mut work)?;
    let prop43_start = prop43(sys, start, t_end, method, dead_tol, &y, &mut work)?;
    Ok(DeadAnalysis {
        n,
        w_norm,
        start: start.to_vec(),
        integrator: method.describe(),
        stats,
        stop_reason: stats.stop.explain(),
        newton_steps,
        state: y,
        residual: res,
        converged,
        lambda_eigenvalues: lvals,
        dead_tol,
        k,
        dead_directions,
        dead_neurons,
        w_perp_norm,
        norm_ratio: if w_norm > 0.0 { w_perp_norm / w_norm } else { f64::NAN },
        sqrt_one_minus_k_over_n: (1.0 - k as f64 / n as f64).sqrt(),
        s_stability: classify(&s_eigenvalues),
        s_eigenvalues,
        jacobian_stability: classify(&jacobian_eigenvalues),
        jacobian_eigenvalues,
        energy_hessian_range,
        energy_predicts_stable,
        prop43_flat,
        prop43_start,
    })
}

fn prop43(
    sys: &System,
    start: &[f64],
    t_end: f64,
    method: Method,
    dead_tol: f64,
    state: &[f64],
    work: &mut Work,
) -> Result<Prop43, DeadError> {
    let n = sys.n;
    let mut gwork = Work::new(n);
    let mut ymin = start.to_vec();
    // Gradient flow of the KH energy: ẏ = −∇E(y).
    let stats = integrate(
        &mut |x, o| {
            sys.energy_grad(Energy::Kh, x, o, &mut gwork);
            o.iter_mut().for_each(|v| *v = -*v);
        },
        start,
        t_end,
        method,
        &Limits::default(),
        &mut |_, x| ymin.copy_from_slice(x),
    );
    let mut grad = vec![0.0; n];
    sys.energy_grad(Energy::Kh, &ymin, &mut grad, work);
    let lam = sys.hessian_at(&ymin);
    let (lvals, lvecs) = lambda_eigen(&lam, n)?;
    let k = dead_split(&lvals, dead_tol);
    // P_d = V Vᵀ.
    let mut pd = vec![0.0; n * n];
    for v in &lvecs[..k] {
        for i in 0..n {
            for j in 0..n {
                pd[i * n + j] += v[i] * v[j];
            }
        }
    }
    let mut g = vec![0.0; n];
    sys.lag.activation(&ymin, &mut g);
    let mut wg = vec![0.0; n];
    mat_vec(&sys.w, &g, &mut wg);
    let target: Vec<f64> = (0..n).map(|i| wg[i] + sys.b[i]).collect();
    let mut pd_target = vec![0.0; n];
    mat_vec(&pd, &target, &mut pd_target);
    let mut pd_y = vec![0.0; n];
    mat_vec(&pd, &ymin, &mut pd_y);
    let recovered: Vec<f64> = (0..n).map(|i| ymin[i] - pd_y[i] + pd_target[i]).collect();
    let printed: Vec<f64> = (0..n).map(|i| ymin[i] + pd_target[i]).collect();
    let dist = norm(&recovered.iter().zip(state).map(|(a, b)| a - b).collect::<Vec<_>>());
    Ok(Prop43 {
        from: start.to_vec(),
        gradient_norm: norm(&grad),
        stats,
        stop_reason: stats.stop.explain(),
        residual_at_minimum: residual(sys, &ymin, work),
        k_at_minimum: k,
        recovered_residual: residual(sys, &recovered, work),
        printed_residual: residual(sys, &printed, work),
        distance_to_state: dist,
        energy_at_minimum: sys.energy(Energy::Kh, &ymin, work),
        energy_at_recovered: sys.energy(Energy::Kh, &recovered, work),
        energy_minimum: ymin,
        recovered,
        printed,
    })
}

#[cfg(test)]
mod tests {
    use super::super::lagrangian::Lagrangian;
    use super::super::matrices::{gaussian, goe};
    use super::super::system::Dynamics;
    use super::*;
    use crate::rng::seeded;

    fn goe_system(n: usize, scale: f64, lag: Lagrangian, seed: u64) -> (System, Vec<f64>) {
        let mut rng = seeded(seed, 1);
        let w: Vec<f64> = goe(&mut rng, n).iter().map(|v| v * scale / (2.0 * n as f64).sqrt()).collect();
        let b = gaussian(&mut rng, n, 0.5);
        let start = gaussian(&mut rng, n, 1.0);
        (System::new(n, w, b, lag, Dynamics::Kh).expect("valid"), start)
    }

    #[test]
    fn relu_steady_state_has_dead_neurons_and_a_stable_s() {
        let (s, start) = goe_system(30, 0.8, Lagrangian::Relu, 3);
        let a = analyse(&s, &start, 40.0, Method::Dopri { tol: 1e-10 }, 1e-9).expect("runs");
        assert!(a.converged, "residual {}", a.residual);
        // Dead ReLU neurons are the negative coordinates; S lives on the others.
        let negative: Vec<usize> = (0..30).filter(|&i| a.state[i] < 0.0).collect();
        let mut dead = a.dead_neurons.clone();
        dead.sort_unstable();
        assert_eq!(dead, negative);
        assert_eq!(a.k, negative.len());
        assert_eq!(a.s_eigenvalues.len(), 30 - a.k);
        assert_eq!(a.s_stability, Stability::Stable);
        assert!(a.energy_predicts_stable);
        // Cauchy interlacing: ‖W⊥‖ ≤ ‖W‖.
        assert!(a.w_perp_norm <= a.w_norm + 1e-12);
        // The full Jacobian has −1 once per dead direction.
        let minus_one =
            a.jacobian_eigenvalues.iter().filter(|c| (c.re + 1.0).abs() < 1e-9 && c.im == 0.0).count();
        assert!(minus_one >= a.k);
    }

    #[test]
    fn proposition_4_3_recovers_the_steady_state_from_the_energy_minimum() {
        for lag in [Lagrangian::Relu, Lagrangian::Softmax, Lagrangian::Sigmoid] {
            // Sigmoid neurons die only in saturation: a strong W drives them there.
            let scale = if lag == Lagrangian::Sigmoid { 60.0 } else { 0.7 };
            let (s, start) = goe_system(12, scale, lag, 5);
            let a = analyse(&s, &start, 200.0, Method::Dopri { tol: 1e-11 }, 1e-9).expect("runs");
            assert!(a.converged && a.k >= 1, "{lag:?}: k = {}", a.k);
            let p = &a.prop43_flat;
            assert!(p.k_at_minimum >= 1, "{lag:?}");
            assert!(p.residual_at_minimum > 1.0, "{lag:?}: the energy minimum is not a steady state");
            assert!((p.energy_at_minimum - p.energy_at_recovered).abs() < 1e-8, "{lag:?}: flat direction");
            assert!(p.recovered_residual < 1e-8, "{lag:?}: {}", p.recovered_residual);
            assert!(p.distance_to_state < 1e-8, "{lag:?}: {}", p.distance_to_state);
            assert!(p.printed_residual > 1.0, "{lag:?}: the printed formula misses P_a");
        }
    }
}
