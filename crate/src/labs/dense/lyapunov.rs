//! Which (dynamics, energy) pairs the source proves to be Lyapunov pairs, and the
//! monitor that flags any increase of an energy along a computed trajectory.
//!
//! Proven (`Ė ≤ 0` for every state):
//! - (1) with the KH energy (2), W symmetric, Λ ⪰ 0 (every Lagrangian here): `Ė = −fᵀΛf`.
//! - (9) with `R = I − ΛWᵀ` and E3 (10), any W: the gradient flow, `Ė = −‖(I − ΛWᵀ)f‖²`.
//! - (5) with `R = W` and E2, W symmetric (Example 5.1): `Ė = −‖W h‖²`.
//! - (5) with `R = O` (polar factor) and E2, W symmetric (Example 5.2): `Ė = −hᵀPh`.
//! - (5) with `R = I − WᵀΛ` and E3, any W (Examples 6.1, 7): the gradient flow.
//! - (5) with `R = I` and E2, W symmetric positive semi-definite: `Ė = −hᵀWh`.
//!
//! Not proven, and shown to fail by counter-examples in the tests: (9) with R as
//! printed (`I − WΛ`), where `Ė3 = −fᵀ(I − WΛ)²f` is not sign-definite; (1) with the
//! KH energy for a non-symmetric W.

use super::system::{Dynamics, Energy, RChoice, System};
use serde::Serialize;

/// Whether the source guarantees `Ė ≤ 0`, and why (or why not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guarantee {
    pub proven: bool,
    pub reason: String,
}

fn is_symmetric(s: &System) -> bool {
    let n = s.n;
    (0..n).all(|i| (0..n).all(|j| s.w[i * n + j] == s.w[j * n + i]))
}

fn is_psd(s: &System) -> bool {
    let m = nalgebra::DMatrix::from_row_slice(s.n, s.n, &s.w);
    nalgebra::SymmetricEigen::try_new(m, 1e-14, 10_000)
        .is_some_and(|e| e.eigenvalues.iter().all(|&l| l >= -1e-12))
}

/// The source's guarantee for `energy` along the dynamics of `s`.
pub fn guarantee(s: &System, energy: Energy) -> Guarantee {
    let sym = is_symmetric(s);
    let yes = |r: &str| Guarantee { proven: true, reason: r.to_string() };
    let no = |r: &str| Guarantee { proven: false, reason: r.to_string() };
    match (s.dynamics, energy) {
        (Dynamics::Kh, Energy::Kh) if sym => yes("(1) with (2): Ė = −fᵀΛf ≤ 0 (W symmetric, Λ ⪰ 0)"),
        (Dynamics::Kh, Energy::Kh) => no("(1) with (2) needs a symmetric W; this W is not"),
        (Dynamics::ModT, Energy::E3) => {
            yes("(9) with R = I − ΛWᵀ is the gradient flow of E3: Ė3 = −‖Rf‖² ≤ 0")
        }
        (Dynamics::Mod, Energy::E3) => no(
            "(9) with R = I − WΛ as printed: Ė3 = −fᵀ(I − WΛ)²f, not sign-definite (the transposed R is the gradient flow)",
        ),
        (Dynamics::U(RChoice::W), Energy::E2) if sym => yes("Example 5.1: R = W gives Ė2 = −‖Wh‖² ≤ 0"),
        (Dynamics::U(RChoice::Polar), Energy::E2) if sym => yes("Example 5.2: R = O gives Ė2 = −hᵀPh ≤ 0"),
        (Dynamics::U(RChoice::W | RChoice::Polar), Energy::E2) => {
            no("Examples 5.1–5.2 need a symmetric W; this W is not")
        }
        (Dynamics::U(RChoice::IWtL), Energy::E3) => {
            yes("Examples 6.1/7: R = I − WᵀΛ is the gradient flow of E3, for any W")
        }
        (Dynamics::U(RChoice::I), Energy::E2) if sym && is_psd(s) => yes("R = I with W ⪰ 0: Ė2 = −hᵀWh ≤ 0"),
        (_, e) if !e.fits(s.dynamics) => {
            no("this energy is not defined on the state space of these dynamics")
        }
        _ => no("the source proves no decrease for this combination"),
    }
}

/// An increase of the monitored energy between two consecutive recorded states.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Increase {
    /// Index of the later state.
    pub step: usize,
    pub t: f64,
    /// `E(step) − E(step − 1) > 0`.
    pub delta: f64,
    /// `E(step)`, the energy after the increase.
    pub energy: f64,
}

/// Relative size below which a rise counts as rounding noise.
pub const NOISE: f64 = 1e-10;

/// Watches an energy along a trajectory, one state at a time, and keeps every increase
/// larger than rounding noise: `ΔE > NOISE · (|E_prev| + S)`, where `S` is the largest |E|
/// seen so far (so that noise around a zero minimum is ignored).
#[derive(Debug, Clone, Default)]
pub struct Monitor {
    prev: Option<f64>,
    scale: f64,
    count: usize,
    /// The first increases (at most [`Monitor::KEEP`]).
    pub first: Vec<Increase>,
    /// The largest increase seen.
    pub largest: f64,
    /// Index of the next state.
    step: usize,
}

impl Monitor {
    /// How many increases are kept in detail.
    pub const KEEP: usize = 200;

    /// Record the energy `e` of the next state, at time `t`.
    pub fn push(&mut self, t: f64, e: f64) {
        if e.is_finite() {
            self.scale = self.scale.max(e.abs());
            if let Some(p) = self.prev {
                let d = e - p;
                if d > NOISE * (p.abs() + self.scale) {
                    self.count += 1;
                    self.largest = self.largest.max(d);
                    if self.first.len() < Self::KEEP {
                        self.first.push(Increase { step: self.step, t, delta: d, energy: e });
                    }
                }
            }
            self.prev = Some(e);
        }
        self.step += 1;
    }

    /// How many increases were seen.
    pub fn count(&self) -> usize {
        self.count
    }
}

/// Every increase of `energy` along the states at times `t` (see [`Monitor`]).
pub fn increases(t: &[f64], energy: &[f64]) -> Vec<Increase> {
    let mut m = Monitor::default();
    for (&ti, &e) in t.iter().zip(energy) {
        m.push(ti, e);
    }
    m.first
}

#[cfg(test)]
mod tests {
    use super::super::integrate::{Limits, Method, integrate};
    use super::super::lagrangian::Lagrangian;
    use super::super::system::Work;
    use super::*;
    use crate::rng::{normal, seeded};

    /// A random symmetric (or general) W of norm about `scale`, and a random b.
    fn random(n: usize, scale: f64, symmetric: bool, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = seeded(seed, 99);
        let mut w = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                if !symmetric || j >= i {
                    w[i * n + j] = scale * normal(&mut rng) / (n as f64).sqrt();
                    if symmetric {
                        w[j * n + i] = w[i * n + j];
                    }
                }
            }
        }
        let b = (0..n).map(|_| normal(&mut rng)).collect();
        (w, b)
    }

    fn proven_cases() -> Vec<(Dynamics, Energy, bool)> {
        // (dynamics, energy, needs a symmetric W)
        vec![
            (Dynamics::Kh, Energy::Kh, true),
            (Dynamics::ModT, Energy::E3, false),
            (Dynamics::U(RChoice::W), Energy::E2, true),
            (Dynamics::U(RChoice::Polar), Energy::E2, true),
            (Dynamics::U(RChoice::IWtL), Energy::E3, false),
        ]
    }

    #[test]
    fn proven_pairs_never_increase_the_energy_pointwise() {
        for (dynamics, energy, sym) in proven_cases() {
            for lag in Lagrangian::ALL {
                for seed in 0..4 {
                    let n = 2 + seed as usize;
                    let (w, b) = random(n, 2.0, sym, seed);
                    let s = System::new(n, w, b, lag, dynamics).expect("valid");
                    assert!(guarantee(&s, energy).proven, "{dynamics:?} {energy:?}");
                    let mut rng = seeded(seed, 7);
                    let mut work = Work::new(n);
                    for _ in 0..200 {
                        let x: Vec<f64> = (0..n).map(|_| 3.0 * normal(&mut rng)).collect();
                        let rate = s.energy_rate(energy, &x, &mut work);
                        let mut f = vec![0.0; n];
                        s.rhs(&x, &mut f, &mut work);
                        let scale = f.iter().map(|v| v * v).sum::<f64>() + 1e-300;
                        assert!(
                            rate <= 1e-10 * scale,
                            "{dynamics:?} {energy:?} {lag:?} x={x:?}: Ė = {rate} > 0"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn proven_pairs_never_increase_the_energy_along_trajectories() {
        for (dynamics, energy, sym) in proven_cases() {
            for lag in Lagrangian::ALL {
                for method in [Method::Dopri { tol: 1e-10 }, Method::Rk4 { dt: 0.005 }] {
                    let (w, b) = random(3, 1.8, sym, 11);
                    let s = System::new(3, w, b, lag, dynamics).expect("valid");
                    let mut work = Work::new(3);
                    let mut w2 = Work::new(3);
                    let (mut ts, mut es) = (Vec::new(), Vec::new());
                    let stats = integrate(
                        &mut |x, o| s.rhs(x, o, &mut work),
                        &[1.3, -2.1, 0.7],
                        8.0,
                        method,
                        &Limits::default(),
                        &mut |t, x| {
                            ts.push(t);
                            es.push(s.energy(energy, x, &mut w2));
                        },
                    );
                    assert!(stats.steps > 5);
                    let up = increases(&ts, &es);
                    assert!(up.is_empty(), "{dynamics:?} {energy:?} {lag:?} {method:?}: {up:?}");
                }
            }
        }
    }

    /// The default system of the lab (Figure 1 setting): ReLU, W = [[0, −2], [−2, 0]], b = (1, 1).
    fn figure1(dynamics: Dynamics) -> System {
        System::new(2, vec![0.0, -2.0, -2.0, 0.0], vec![1.0, 1.0], Lagrangian::Relu, dynamics).expect("valid")
    }

    #[test]
    fn counter_example_printed_r_lets_e3_increase() {
        let s = figure1(Dynamics::Mod);
        assert!(!guarantee(&s, Energy::E3).proven);
        let mut work = Work::new(2);
        // In the quadrant y1 > 0 > y2 (neuron 2 dead), (I − WΛ)² has the symmetric part
        // [[1, 2], [2, 1]], so Ė3 = −fᵀ(I − WΛ)²f > 0 where f ∥ (1, −1): here f = (0.2, −0.2).
        let x = [0.8, -0.4];
        let rate = s.energy_rate(Energy::E3, &x, &mut work);
        assert!((rate - 0.08).abs() < 1e-12, "Ė3 = {rate}");
        // …and the computed trajectory from there shows the increase (what the monitor flags).
        let mut w2 = Work::new(2);
        let (mut ts, mut es) = (Vec::new(), Vec::new());
        integrate(
            &mut |x, o| s.rhs(x, o, &mut work),
            &x,
            2.0,
            Method::Dopri { tol: 1e-10 },
            &Limits::default(),
            &mut |t, x| {
                ts.push(t);
                es.push(s.energy(Energy::E3, x, &mut w2));
            },
        );
        assert!(!increases(&ts, &es).is_empty(), "{es:?}");
        // The transposed R never lets it rise from the same point.
        let s = figure1(Dynamics::ModT);
        assert!(s.energy_rate(Energy::E3, &x, &mut work) <= 0.0);
    }

    #[test]
    fn counter_example_kh_energy_rises_for_a_non_symmetric_w() {
        let s = System::new(2, vec![0.0, 3.0, -3.0, 0.0], vec![1.0, 0.5], Lagrangian::Tanh, Dynamics::Kh)
            .expect("valid");
        assert!(!guarantee(&s, Energy::Kh).proven);
        let mut work = Work::new(2);
        let mut worst = f64::NEG_INFINITY;
        for i in -20..=20 {
            for j in -20..=20 {
                let x = [i as f64 * 0.2, j as f64 * 0.2];
                worst = worst.max(s.energy_rate(Energy::Kh, &x, &mut work));
            }
        }
        assert!(worst > 0.1, "max Ė = {worst}");
    }

    #[test]
    fn guarantee_follows_the_symmetry_of_w() {
        let s = figure1(Dynamics::Kh);
        assert!(guarantee(&s, Energy::Kh).proven);
        assert!(!guarantee(&s, Energy::E3).proven);
        let u = figure1(Dynamics::U(RChoice::I));
        assert!(!guarantee(&u, Energy::E2).proven, "W = [[0,−2],[−2,0]] is indefinite");
        let psd = System::new(
            2,
            vec![2.0, 1.0, 1.0, 2.0],
            vec![0.0, 0.0],
            Lagrangian::Tanh,
            Dynamics::U(RChoice::I),
        )
        .expect("valid");
        assert!(guarantee(&psd, Energy::E2).proven);
    }
}
