//! The hetero lab's parameter table and the limits its parts enforce up front.

use super::theory::Law;
use crate::params::{Kind, Notice, ParamSpec, Params, Value};

/// Largest network of the spectrum and dynamics parts: the eigenvalues of a 2000×2000
/// non-symmetric matrix take ~8 s natively and several times that in the browser.
pub const MAX_N: i64 = 2000;
/// Largest load P/N (P ≤ 8000 pairs at N = 2000: keys and values take 128 MB as f32).
pub const MAX_ALPHA: f64 = 4.0;
/// Largest network of the stability curve and the map.
pub const MAX_SWEEP_N: i64 = 1000;
/// Budget of the stability curve and the map together: Σ over their eigenvalue problems of
/// `sweep_n³` (≈ 1 ns each natively with faer, so ≈ 50 s; several times that in a browser).
pub const SWEEP_WORK: f64 = 5e10;
/// Budget of the dynamics: integration steps × N² (≈ 1.6·10⁹: about 10 s natively).
pub const DYN_WORK: f64 = 1.6e9;
/// Largest RK4 step of the dynamics.
pub const MAX_DT: f64 = 0.1;

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        key: "n",
        label: "Neurons N",
        help: "Dimension of keys and values (J is N×N) for the spectrum and the dynamics; at most 2000 (the eigenvalues of N = 2000 take ~8 s natively, longer in a browser).",
        group: "Ensemble",
        kind: Kind::Int { min: 10, max: MAX_N },
        default: Value::Int(1000),
    },
    ParamSpec {
        key: "alpha",
        label: "Load α = P/N",
        help: "Stored pairs per neuron; P = round(αN) ≥ 1 and the reported alpha is P/N. At most 4.",
        group: "Ensemble",
        kind: Kind::Float { min: 0.01, max: MAX_ALPHA, log: false },
        default: Value::Float(0.5),
    },
    ParamSpec {
        key: "tau",
        label: "Correlation τ",
        help: "Correlation between each key entry and its value entry: τ = 1 is Marchenko–Pastur (J = XXᵀ), τ = 0 independent keys and values, τ = −1 anti-correlated.",
        group: "Ensemble",
        kind: Kind::Float { min: -1.0, max: 1.0, log: false },
        default: Value::Float(0.5),
    },
    ParamSpec {
        key: "entries",
        label: "Entries",
        help: "gauss: Gaussian pairs of variance 1/N; binary: ±1/√N keys, each value bit flipped from its key with probability (1 − τ)/2.",
        group: "Ensemble",
        kind: Kind::Choice { options: &["gauss", "binary"] },
        default: Value::Choice("gauss"),
    },
    ParamSpec {
        key: "scaling",
        label: "Scaling",
        help: "raw: J = Y Xᵀ; sqrt_alpha: J/√α (variance-preserving: the ellipse's width no longer grows with α).",
        group: "Ensemble",
        kind: Kind::Choice { options: &["raw", "sqrt_alpha"] },
        default: Value::Choice("raw"),
    },
    ParamSpec {
        key: "g",
        label: "Gain g",
        help: "Gain of the dynamics ẋ = −x + J tanh(g x); the state 0 is stable iff g · max Re λ(J) < 1.",
        group: "Stability",
        kind: Kind::Float { min: 0.01, max: 20.0, log: true },
        default: Value::Float(1.0),
    },
    ParamSpec {
        key: "trials",
        label: "Trials",
        help: "Independent matrices per point of the stability curve and per cell of the map (error bars: ±1 standard deviation).",
        group: "Stability",
        kind: Kind::Int { min: 1, max: 50 },
        default: Value::Int(3),
    },
    ParamSpec {
        key: "sweep_n",
        label: "Sweep N",
        help: "Neurons of the matrices of the stability curve and the map (at most 1000; their total work is capped at Σ sweep_n³ = 5·10¹⁰, about 50 s natively).",
        group: "Stability",
        kind: Kind::Int { min: 20, max: MAX_SWEEP_N },
        default: Value::Int(200),
    },
    ParamSpec {
        key: "alpha_max",
        label: "Largest α",
        help: "The stability curve and the map cover loads α in (0, alpha_max], at cell centres.",
        group: "Stability",
        kind: Kind::Float { min: 0.2, max: MAX_ALPHA, log: false },
        default: Value::Float(3.0),
    },
    ParamSpec {
        key: "map_alphas",
        label: "Loads in the sweep",
        help: "Number of loads α of the stability curve and of the map (α = alpha_max·(k + ½)/map_alphas).",
        group: "Stability",
        kind: Kind::Int { min: 2, max: 60 },
        default: Value::Int(12),
    },
    ParamSpec {
        key: "map_taus",
        label: "Correlations in the map",
        help: "Number of correlations τ of the map, evenly from −1 to 1.",
        group: "Stability",
        kind: Kind::Int { min: 2, max: 41 },
        default: Value::Int(9),
    },
    ParamSpec {
        key: "t_max",
        label: "Simulated time",
        help: "Length of the simulation of ẋ = −x + J tanh(g x) (RK4; capped so that steps × N² ≤ 1.6·10⁹).",
        group: "Dynamics",
        kind: Kind::Float { min: 0.5, max: 100.0, log: false },
        default: Value::Float(20.0),
    },
];

/// The law of the current spectrum parameters.
pub fn law(p: &Params) -> Law {
    let n = p.usize("n");
    let pc = super::ensemble::pattern_count(n, p.float("alpha"));
    Law::new(pc as f64 / n as f64, p.float("tau"), p.choice("scaling") == "sqrt_alpha")
}

/// The RK4 step of the dynamics: small enough for the largest eigenvalue modulus of
/// `−I + gJ` the theory allows (with a 25% margin for finite N), at most [`MAX_DT`].
pub fn dynamics_step(p: &Params) -> f64 {
    let rho = law(p).max_modulus() * 1.25;
    (1.0 / (1.0 + p.float("g") * rho)).min(MAX_DT)
}

/// Eigenvalue problems of the stability curve and the map together, and their size.
fn sweep_work(p: &Params) -> f64 {
    let (a, t, tr, n) = (p.int("map_alphas"), p.int("map_taus"), p.int("trials"), p.int("sweep_n"));
    ((a + a * t) * tr) as f64 * (n as f64).powi(3)
}

pub fn check(p: &mut Params, notices: &mut Vec<Notice>) {
    if sweep_work(p) > SWEEP_WORK {
        let per_trial = sweep_work(p) / p.int("trials") as f64;
        let trials = ((SWEEP_WORK / per_trial).floor() as i64).max(1);
        if trials < p.int("trials") {
            notices.push(Notice::new(
                "trials",
                format!(
                    "trials={} exceeds the sweep budget (Σ sweep_n³ ≤ 5·10¹⁰); using {trials}",
                    p.int("trials")
                ),
            ));
            p.set("trials", Value::Int(trials));
        }
        if sweep_work(p) > SWEEP_WORK {
            let cells = (p.int("map_alphas") * (1 + p.int("map_taus"))) as f64;
            let n = ((SWEEP_WORK / cells).cbrt().floor() as i64).max(20);
            notices.push(Notice::new(
                "sweep_n",
                format!(
                    "sweep_n={} exceeds the sweep budget with one trial per cell; using {n}",
                    p.int("sweep_n")
                ),
            ));
            p.set("sweep_n", Value::Int(n));
        }
    }
    let n = p.int("n") as f64;
    let max_t = (DYN_WORK / (n * n)).floor() * dynamics_step(p);
    if p.float("t_max") > max_t {
        let t = (max_t * 10.0).floor() / 10.0;
        notices.push(Notice::new(
            "t_max",
            format!(
                "t_max={} needs more than steps × N² = 1.6·10⁹ at N = {n} and step {:.3}; using {t}",
                p.float("t_max"),
                dynamics_step(p)
            ),
        ));
        p.set("t_max", Value::Float(t.max(0.5)));
    }
}

/// An estimate of the operations of `part` (the limits test runs the parts estimated small):
/// a non-symmetric eigenvalue problem of size N costs about 25·N³ (Hessenberg reduction and
/// QR steps), the coupling J = Σ η ξᵀ about 2·N²·P; the stability curve solves
/// `map_alphas × trials` problems of size `sweep_n`, the map `map_taus` times as many; the
/// dynamics take `t_max / step` RK4 steps of four N² products.
pub fn cost(p: &Params, part: &str) -> f64 {
    let n = p.usize("n") as f64;
    let pc = super::ensemble::pattern_count(p.usize("n"), p.float("alpha")) as f64;
    let (a, t, tr, sn) = (
        p.int("map_alphas") as f64,
        p.int("map_taus") as f64,
        p.int("trials") as f64,
        p.int("sweep_n") as f64,
    );
    let problem = |m: f64| 25.0 * m.powi(3) + 2.0 * m * m * m * p.float("alpha_max");
    match part {
        "spectrum" => 25.0 * n.powi(3) + 2.0 * n * n * pc,
        "stability" => a * tr * problem(sn),
        "map" => a * t * tr * problem(sn),
        "dynamics" => {
            2.0 * n * n * pc + (p.float("t_max") / dynamics_step(p)).ceil() * 8.0 * n * n + 25.0 * n.powi(3)
        }
        _ => 0.0,
    }
}
