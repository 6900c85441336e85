//! Appendix C: a ReLU memory `ẏ = W ReLU(y) − y + b` with spectral radius
//! `ρ(W) = 1 − ε` has exactly one fixed point, and every trajectory converges to it
//! with `‖y(t) − y*‖ ≤ e^{−εt} ‖y(0) − y*‖`.
//!
//! W is a GOE matrix rescaled to `‖W‖₂ = ρ(W) = 1 − ε` (symmetric, so the two agree),
//! b ~ N(0, I), starts ~ N(0, 9 I). y* comes from the Banach iteration
//! `y ← W ReLU(y) + b` (a contraction with constant 1 − ε), polished by Newton steps.

use super::integrate::{Limits, Method, Stop, integrate};
use super::lagrangian::Lagrangian;
use super::matrices::{gaussian, goe, symmetric_norm};
use super::system::{Dynamics, System, SystemError, Work, mat_vec};
use crate::labs::Progress;
use crate::rng::{for_trial, seeded};
use serde::Serialize;

/// One trajectory, thinned to at most [`MAX_POINTS`] stored states.
#[derive(Debug, Clone, Serialize)]
pub struct Path {
    pub start: Vec<f64>,
    pub t: Vec<f64>,
    /// `‖y(t) − y*‖`.
    pub distance: Vec<f64>,
    /// The first two coordinates (the plane the page draws).
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub stop: Stop,
    /// The largest `‖y(t) − y*‖ / (e^{−εt} ‖y(0) − y*‖)` over the accepted steps where the
    /// bound is above the integration accuracy `1e-6·(1 + ‖y*‖)` (≤ 1 when the bound holds).
    pub bound_ratio: f64,
}

/// Stored states per trajectory, at most.
pub const MAX_POINTS: usize = 200;

/// The experiment.
#[derive(Debug, Clone, Serialize)]
pub struct AppendixC {
    pub n: usize,
    pub eps: f64,
    /// `ρ(W) = ‖W‖₂` after rescaling.
    pub rho: f64,
    pub integrator: String,
    pub t_end: f64,
    /// The unique fixed point and its residual.
    pub fixed_point: Vec<f64>,
    pub residual: f64,
    /// Banach iterations used.
    pub banach_iterations: usize,
    pub paths: Vec<Path>,
    /// The largest final distance to y* over all trajectories.
    pub max_final_distance: f64,
    /// Trajectories whose distance ever exceeded the bound by more than 1e-6 relative.
    pub bound_violations: usize,
}

/// Run the experiment.
#[allow(clippy::too_many_arguments)]
pub fn run(
    n: usize,
    eps: f64,
    starts: usize,
    t_end: f64,
    method: Method,
    seed: u64,
    progress: &mut dyn Progress,
) -> Result<AppendixC, SystemError> {
    let mut rng = seeded(seed, 40);
    let g = goe(&mut rng, n);
    let norm = symmetric_norm(n, &g).max(f64::MIN_POSITIVE);
    let rho = 1.0 - eps;
    let w: Vec<f64> = g.iter().map(|v| v * rho / norm).collect();
    let b = gaussian(&mut rng, n, 1.0);
    let rho = symmetric_norm(n, &w);
    let sys = System::new(n, w, b, Lagrangian::Relu, Dynamics::Kh)?;
    let mut work = Work::new(n);
    // Banach iteration y ← W ReLU(y) + b.
    let mut y = sys.b.clone();
    let mut g = vec![0.0; n];
    let mut next = vec![0.0; n];
    let mut iters = 0;
    for _ in 0..5000 {
        iters += 1;
        sys.lag.activation(&y, &mut g);
        mat_vec(&sys.w, &g, &mut next);
        let mut d = 0.0f64;
        for i in 0..n {
            next[i] += sys.b[i];
            d = d.max((next[i] - y[i]).abs());
        }
        std::mem::swap(&mut y, &mut next);
        if d <= 1e-15 * (1.0 + y.iter().fold(0.0f64, |a, v| a.max(v.abs()))) {
            break;
        }
    }
    newton(&sys, &mut y, &mut work);
    let mut r = vec![0.0; n];
    sys.residual(&y, &mut r, &mut work);
    let residual = r.iter().map(|v| v * v).sum::<f64>().sqrt();
    let dist = |x: &[f64]| x.iter().zip(&y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();

    // Below this the computed distance is integration error, not dynamics.
    let floor = 1e-6 * (1.0 + y.iter().map(|v| v * v).sum::<f64>().sqrt());
    let mut paths = Vec::with_capacity(starts);
    for s in 0..starts {
        let mut srng = for_trial(seed, 4, s as u64);
        let start = gaussian(&mut srng, n, 3.0);
        let d0 = dist(&start).max(f64::MIN_POSITIVE);
        let (mut t, mut dd, mut xs, mut ys) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut stride = 1usize;
        let mut step = 0usize;
        let mut worst = 0.0f64;
        let mut last = None;
        let stats = integrate(
            &mut |x, o| sys.rhs(x, o, &mut work),
            &start,
            t_end,
            method,
            &Limits::default(),
            &mut |ti, x| {
                let d = dist(x);
                let bound = d0 * libm::exp(-eps * ti);
                if bound > floor {
                    worst = worst.max(d / bound);
                }
                if step.is_multiple_of(stride) {
                    t.push(ti);
                    dd.push(d);
                    xs.push(x[0]);
                    ys.push(if n > 1 { x[1] } else { 0.0 });
                    if t.len() >= 2 * MAX_POINTS {
                        for v in [&mut t, &mut dd, &mut xs, &mut ys] {
                            *v = v.iter().step_by(2).copied().collect();
                        }
                        stride *= 2;
                    }
                    last = None;
                } else {
                    last = Some((ti, d, x[0], if n > 1 { x[1] } else { 0.0 }));
                }
                step += 1;
            },
        );
        if let Some((ti, d, a, c)) = last {
            t.push(ti);
            dd.push(d);
            xs.push(a);
            ys.push(c);
        }
        paths.push(Path { start, t, distance: dd, x: xs, y: ys, stop: stats.stop, bound_ratio: worst });
        progress.step(s + 1, starts);
    }
    let max_final_distance =
        paths.iter().map(|p| p.distance.last().copied().unwrap_or(f64::NAN)).fold(0.0f64, f64::max);
    let bound_violations = paths.iter().filter(|p| p.bound_ratio > 1.0 + 1e-6).count();
    Ok(AppendixC {
        n,
        eps,
        rho,
        integrator: method.describe(),
        t_end,
        fixed_point: y,
        residual,
        banach_iterations: iters,
        paths,
        max_final_distance,
        bound_violations,
    })
}

fn newton(sys: &System, y: &mut [f64], work: &mut Work) {
    let n = sys.n;
    let mut r = vec![0.0; n];
    for _ in 0..20 {
        sys.residual(y, &mut r, work);
        let nr = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        if nr <= 1e-14 * (1.0 + y.iter().map(|v| v * v).sum::<f64>().sqrt()) {
            return;
        }
        let j = nalgebra::DMatrix::from_row_slice(n, n, &sys.residual_jacobian(y));
        let Some(dx) = j.lu().solve(&nalgebra::DVector::from_column_slice(&r)) else { return };
        let trial: Vec<f64> = (0..n).map(|i| y[i] - dx[i]).collect();
        let mut rt = vec![0.0; n];
        sys.residual(&trial, &mut rt, work);
        let nt = rt.iter().map(|v| v * v).sum::<f64>().sqrt();
        // Stop unless the residual strictly fell (NaN included).
        if nt.partial_cmp(&nr) != Some(std::cmp::Ordering::Less) {
            return;
        }
        y.copy_from_slice(&trial);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::NoProgress;

    #[test]
    fn every_trajectory_meets_the_single_fixed_point_within_the_bound() {
        for (n, eps) in [(2, 0.1), (20, 0.05)] {
            let c = run(n, eps, 12, 400.0, Method::Dopri { tol: 1e-10 }, 3, &mut NoProgress).expect("runs");
            assert!((c.rho - (1.0 - eps)).abs() < 1e-12);
            assert!(c.residual < 1e-12, "{}", c.residual);
            assert_eq!(c.paths.len(), 12);
            assert!(c.paths.iter().all(|p| p.stop == Stop::Finished));
            assert!(c.max_final_distance < 1e-6, "n={n}: {}", c.max_final_distance);
            assert_eq!(c.bound_violations, 0, "the e^(−εt) bound holds");
            assert!(c.paths.iter().all(|p| p.t.len() <= 2 * MAX_POINTS + 1));
        }
    }
}
