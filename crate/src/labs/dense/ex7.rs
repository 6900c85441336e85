//! Example 7: a layered (hierarchical) memory with the smooth leaky ReLU
//! `g(u) = u(5 + 3 erf(3u/8))/8`, non-symmetric feedforward and feedback blocks, and
//! `u̇ = (I − WᵀΛ(Wu + b)) (g(Wu + b) − u)`, along which `E3 = ½‖g(Wu + b) − u‖²` never
//! increases (the source calls it E2 there; it is Proposition 5's E3 with S = I).
//!
//! W has the block structure of Example 1 (`W_{i,i±1}` only) with independent blocks,
//! each an m × m Gaussian matrix divided by twice its spectral norm, so that
//! `‖W‖₂ ≤ max‖W_{i,i+1}‖ + max‖W_{i,i−1}‖ = 1`; b ~ N(0, I); starts ~ N(0, 4I).
//! The same starts are also run with `R = I`, which has no guarantee, for comparison.

use super::integrate::{Limits, Method, integrate};
use super::lagrangian::Lagrangian;
use super::lyapunov::{Guarantee, Monitor, guarantee};
use super::matrices::{dmat, gaussian, general_norm, spectral_norm};
use super::system::{Dynamics, Energy, RChoice, System, SystemError, Work};
use crate::labs::Progress;
use crate::rng::{for_trial, seeded};
use serde::Serialize;

/// Stored points per energy curve, at most about this many.
pub const MAX_POINTS: usize = 200;

/// One start under one R.
#[derive(Debug, Clone, Serialize)]
pub struct Curve {
    pub t: Vec<f64>,
    pub energy: Vec<f64>,
    pub increase_count: usize,
    pub largest_increase: f64,
    pub final_energy: f64,
}

/// All starts under one R.
#[derive(Debug, Clone, Serialize)]
pub struct RunSet {
    pub r: &'static str,
    pub formula: &'static str,
    pub guarantee: Guarantee,
    pub curves: Vec<Curve>,
    pub total_increases: usize,
    /// Distinct end states (closer than 1e-4 counts as one) among the runs that settled (E3 < 1e-12).
    pub memories: usize,
}

/// The experiment.
#[derive(Debug, Clone, Serialize)]
pub struct Example7 {
    pub layers: usize,
    pub width: usize,
    pub n: usize,
    /// `‖W‖₂` (at most 1 by construction).
    pub w_norm: f64,
    /// `‖W − Wᵀ‖_F / ‖W‖_F` (0 for a symmetric W).
    pub asymmetry: f64,
    pub integrator: String,
    pub t_end: f64,
    /// The range of `g′ = Λ_ii` met along all trajectories.
    pub lambda_min: f64,
    pub lambda_max: f64,
    /// `R = I − WᵀΛ` (Example 7), then `R = I`.
    pub runs: Vec<RunSet>,
}

/// The layered W (row-major n × n) of `layers` blocks of `width` neurons.
pub fn layered_w(layers: usize, width: usize, seed: u64) -> Vec<f64> {
    let n = layers * width;
    let mut w = vec![0.0; n * n];
    let mut rng = seeded(seed, 70);
    for i in 0..layers.saturating_sub(1) {
        for (r0, c0) in [(i, i + 1), (i + 1, i)] {
            let block = gaussian(&mut rng, width * width, 1.0);
            let norm = general_norm(width, width, &block).max(f64::MIN_POSITIVE);
            for a in 0..width {
                for b in 0..width {
                    w[(r0 * width + a) * n + c0 * width + b] = block[a * width + b] / (2.0 * norm);
                }
            }
        }
    }
    w
}

/// Run the experiment.
#[allow(clippy::too_many_arguments)]
pub fn run(
    layers: usize,
    width: usize,
    starts: usize,
    t_end: f64,
    method: Method,
    seed: u64,
    progress: &mut dyn Progress,
) -> Result<Example7, SystemError> {
    let n = layers * width;
    let w = layered_w(layers, width, seed);
    let b = gaussian(&mut seeded(seed, 71), n, 1.0);
    let wm = dmat(n, n, &w);
    let w_norm = spectral_norm(&wm).unwrap_or(f64::NAN);
    let fro = wm.norm();
    let asymmetry = if fro > 0.0 { (&wm - wm.transpose()).norm() / fro } else { 0.0 };
    let starts_x: Vec<Vec<f64>> =
        (0..starts).map(|s| gaussian(&mut for_trial(seed, 7, s as u64), n, 2.0)).collect();
    let (mut lmin, mut lmax) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut runs = Vec::new();
    for (ri, r) in [RChoice::IWtL, RChoice::I].into_iter().enumerate() {
        let sys = System::new(n, w.clone(), b.clone(), Lagrangian::SmoothLeaky, Dynamics::U(r))?;
        let mut curves = Vec::with_capacity(starts);
        let mut ends: Vec<Vec<f64>> = Vec::new();
        for (s, x0) in starts_x.iter().enumerate() {
            let mut work = Work::new(n);
            let mut ework = Work::new(n);
            let mut monitor = Monitor::default();
            let (mut t, mut e) = (Vec::new(), Vec::new());
            let mut stride = 1usize;
            let mut step = 0usize;
            let mut last = None;
            let mut end = x0.clone();
            integrate(
                &mut |x, o| sys.rhs(x, o, &mut work),
                x0,
                t_end,
                method,
                &Limits::default(),
                &mut |ti, x| {
                    let en = sys.energy(Energy::E3, x, &mut ework);
                    monitor.push(ti, en);
                    for v in sys.pre_activation(x) {
                        let d = Lagrangian::SmoothLeaky.hess1(v);
                        lmin = lmin.min(d);
                        lmax = lmax.max(d);
                    }
                    if step.is_multiple_of(stride) {
                        t.push(ti);
                        e.push(en);
                        if t.len() >= 2 * MAX_POINTS {
                            t = t.iter().step_by(2).copied().collect();
                            e = e.iter().step_by(2).copied().collect();
                            stride *= 2;
                        }
                        last = None;
                    } else {
                        last = Some((ti, en));
                    }
                    end.copy_from_slice(x);
                    step += 1;
                },
            );
            if let Some((ti, en)) = last {
                t.push(ti);
                e.push(en);
            }
            let final_energy = e.last().copied().unwrap_or(f64::NAN);
            if final_energy < 1e-12
                && !ends.iter().any(|q| q.iter().zip(&end).all(|(a, c)| (a - c).abs() < 1e-4))
            {
                ends.push(end);
            }
            curves.push(Curve {
                t,
                energy: e,
                increase_count: monitor.count(),
                largest_increase: monitor.largest,
                final_energy,
            });
            progress.step(ri * starts + s + 1, 2 * starts);
        }
        runs.push(RunSet {
            r: if r == RChoice::IWtL { "i_wtl" } else { "i" },
            formula: Dynamics::U(r).formula(),
            guarantee: guarantee(&sys, Energy::E3),
            total_increases: curves.iter().map(|c| c.increase_count).sum(),
            curves,
            memories: ends.len(),
        });
    }
    Ok(Example7 {
        layers,
        width,
        n,
        w_norm,
        asymmetry,
        integrator: method.describe(),
        t_end,
        lambda_min: lmin,
        lambda_max: lmax,
        runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::NoProgress;

    #[test]
    fn layered_memory_energy_never_increases_with_the_example_7_r() {
        let ex = run(3, 4, 6, 60.0, Method::Dopri { tol: 1e-10 }, 2, &mut NoProgress).expect("runs");
        assert_eq!(ex.n, 12);
        assert!(ex.w_norm <= 1.0 + 1e-12, "{}", ex.w_norm);
        assert!(ex.asymmetry > 0.5, "non-symmetric blocks: {}", ex.asymmetry);
        let main = &ex.runs[0];
        assert!(main.guarantee.proven);
        assert_eq!(main.total_increases, 0);
        assert!(main.curves.iter().all(|c| c.final_energy < 1e-12), "settles");
        assert!(main.memories >= 1);
        assert!(!ex.runs[1].guarantee.proven);
        assert!(ex.lambda_min > 0.15 && ex.lambda_max < 1.1);
        // The blocks outside the tridiagonal band are zero.
        let w = layered_w(3, 4, 2);
        assert!((0..4).all(|a| (8..12).all(|b| w[a * 12 + b] == 0.0 && w[b * 12 + a] == 0.0)));
    }
}
