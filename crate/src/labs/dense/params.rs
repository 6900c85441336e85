//! The dense lab's parameter table, the consistency rules between its keys, the limits its
//! parts enforce and the work they do (see `labs::Limit`).

use super::integrate::{MAX_STEPS, Method, rk4_steps};
use super::lagrangian::Lagrangian;
use super::system::{Dynamics, Energy, RChoice};
use super::{dynamics, method, prop3};
use crate::labs::{Limit, fit_limits};
use crate::params::spec::{choice, float, int};
use crate::params::{Kind, Notice, ParamSpec, Params, Value};

/// Largest |entry| of W and b, of the start point and of the view.
pub const MAX_ENTRY: f64 = 1000.0;
/// Largest |coordinate| of the view window.
pub const MAX_VIEW: f64 = 10_000.0;
/// Most steps of a fixed-step (RK4) run; `dt` is raised to respect it.
pub const MAX_RK4_STEPS: f64 = 100_000.0;

const SYS: &str = "System";
const DYN: &str = "Dynamics";
const TRAJ: &str = "Trajectory";
const VIEW: &str = "View";
const DEAD: &str = "Dead neurons";
const P3: &str = "Proposition 3";
const APPC: &str = "Appendix C";
const EX7: &str = "Example 7";

pub const PARAMS: &[ParamSpec] = &[
    choice(
        "lagrangian",
        "Lagrangian L",
        "relu: Σ½ReLU(y)²; sigmoid: Σlog(1+eʸ); softmax: log Σeʸ; tanh: Σlog cosh y; sleaky: smooth leaky ReLU of Example 7; identity: ½‖y‖².",
        SYS,
        Lagrangian::NAMES,
        "relu",
    ),
    float(
        "w11",
        "W₁₁",
        "Weight matrix W of the 2-D system, row 1 column 1 (drag the numbers above the plot, or type).",
        SYS,
        -MAX_ENTRY,
        MAX_ENTRY,
        false,
        0.0,
    ),
    float("w12", "W₁₂", "Weight matrix W, row 1 column 2.", SYS, -MAX_ENTRY, MAX_ENTRY, false, -2.0),
    float(
        "w21",
        "W₂₁",
        "Weight matrix W, row 2 column 1 (W ≠ Wᵀ is allowed: only some energies are then Lyapunov functions).",
        SYS,
        -MAX_ENTRY,
        MAX_ENTRY,
        false,
        -2.0,
    ),
    float("w22", "W₂₂", "Weight matrix W, row 2 column 2.", SYS, -MAX_ENTRY, MAX_ENTRY, false, 0.0),
    float("b1", "b₁", "Bias b, first entry.", SYS, -MAX_ENTRY, MAX_ENTRY, false, 1.0),
    float("b2", "b₂", "Bias b, second entry.", SYS, -MAX_ENTRY, MAX_ENTRY, false, 1.0),
    choice(
        "dynamics",
        "Dynamics",
        "kh: (1) ẏ = Wg(y) − y + b; mod: (9) with R = I − WΛ as printed; mod_t: (9) with R = I − ΛWᵀ, the gradient flow of E3; u: the u-form (5) u̇ = R(g(Wu+b) − u) with R from `r`.",
        DYN,
        Dynamics::NAMES,
        "kh",
    ),
    choice(
        "r",
        "R of the u-form",
        "w: R = W (Example 5.1); polar: R = O with W = OP (Example 5.2); i_wtl: R = I − WᵀΛ (Examples 6–7); i: R = I (no guarantee).",
        DYN,
        RChoice::NAMES,
        "i_wtl",
    ),
    choice(
        "energy",
        "Energy (left map, monitor)",
        "kh: Krotov–Hopfield energy (2); e3: ½‖residual‖² ((10) on the y-form, Prop. 5 on the u-form); e1, e2: Proposition 5 (u-form only).",
        DYN,
        Energy::NAMES,
        "kh",
    ),
    choice(
        "energy2",
        "Energy (right map)",
        "The energy drawn beside the first, as in Figure 1.",
        DYN,
        Energy::NAMES,
        "e3",
    ),
    float(
        "x0",
        "Start x₀",
        "First coordinate of the trajectory's start (click the plot to set both).",
        TRAJ,
        -MAX_ENTRY,
        MAX_ENTRY,
        false,
        -1.5,
    ),
    float(
        "y0",
        "Start y₀",
        "Second coordinate of the trajectory's start.",
        TRAJ,
        -MAX_ENTRY,
        MAX_ENTRY,
        false,
        2.0,
    ),
    choice(
        "integrator",
        "Integrator",
        "dopri: adaptive Dormand–Prince 5(4) with tolerance `tol`; rk4: classical Runge–Kutta with fixed step `dt`. Used by every trajectory of the lab.",
        TRAJ,
        &["dopri", "rk4"],
        "dopri",
    ),
    float(
        "dt",
        "RK4 step dt",
        "Fixed step of RK4 (raised so that a trajectory takes at most 100 000 steps, and the other runs at most 200 000).",
        TRAJ,
        1e-4,
        1.0,
        true,
        0.01,
    ),
    float(
        "tol",
        "Tolerance",
        "Relative and absolute tolerance of Dormand–Prince.",
        TRAJ,
        1e-12,
        1e-2,
        true,
        1e-8,
    ),
    float("t_end", "End time", "Length of every trajectory in model time.", TRAJ, 0.1, 1000.0, true, 20.0),
    float("xmin", "View x min", "Left edge of the phase portrait.", VIEW, -MAX_VIEW, MAX_VIEW, false, -3.0),
    float("xmax", "View x max", "Right edge of the phase portrait.", VIEW, -MAX_VIEW, MAX_VIEW, false, 3.0),
    float("ymin", "View y min", "Bottom edge of the phase portrait.", VIEW, -MAX_VIEW, MAX_VIEW, false, -3.0),
    float("ymax", "View y max", "Top edge of the phase portrait.", VIEW, -MAX_VIEW, MAX_VIEW, false, 3.0),
    int(
        "grid",
        "Grid points",
        "Energy grid points per axis (heatmaps, level sets, flat regions).",
        VIEW,
        16,
        300,
        121,
    ),
    int(
        "particles",
        "Particles",
        "Particles of the animated flow (advected in the page only; 0 turns the animation off).",
        VIEW,
        0,
        100_000,
        20_000,
    ),
    float("speed", "Speed", "Model time per second of animation.", VIEW, 0.01, 100.0, true, 1.0),
    ParamSpec {
        key: "streamlines",
        label: "Streamlines",
        help: "Draw evenly spaced streamlines of the flow.",
        group: VIEW,
        kind: Kind::Bool,
        default: Value::Bool(false),
    },
    float(
        "flat_tol",
        "Flat tolerance",
        "A point is shaded flat when ‖∇E‖ ≤ flat_tol·‖F‖ (the energy does not see the motion).",
        VIEW,
        1e-6,
        0.5,
        true,
        0.02,
    ),
    choice(
        "nd_system",
        "System",
        "goe: random symmetric W (GOE, scaled to ‖W‖₂ ≈ nd_scale), b ~ N(0, nd_bias²), random start; plane: the 2-D system above from (x₀, y₀).",
        DEAD,
        &["goe", "plane"],
        "goe",
    ),
    int("nd_n", "Neurons N", "Size of the random system.", DEAD, 2, 200, 40),
    float("nd_scale", "‖W‖₂ about", "Scale of the random W (W = s·GOE/√(2N)).", DEAD, 0.0, 20.0, false, 1.5),
    float("nd_bias", "Bias spread", "Standard deviation of the random b.", DEAD, 0.0, 10.0, false, 0.5),
    float(
        "dead_tol",
        "Dead tolerance",
        "An eigenvalue of Λ counts as zero (a dead direction) when ≤ dead_tol·max(1, λmax).",
        DEAD,
        1e-15,
        1e-2,
        true,
        1e-9,
    ),
    int("p3_n", "N", "Size of the GOE matrices.", P3, 4, 1000, 200),
    int("p3_trials", "Trials", "Independent GOE matrices.", P3, 1, 2000, 40),
    int("p3_points", "Points", "Values of k/N from 0 to 0.9.", P3, 2, 40, 10),
    int(
        "c_n",
        "Neurons N",
        "Size of the ReLU memory (the plot shows the first two coordinates).",
        APPC,
        1,
        300,
        2,
    ),
    float("eps", "ε", "Spectral radius ρ(W) = 1 − ε.", APPC, 0.001, 0.99, true, 0.1),
    int("c_starts", "Trajectories", "Random starts.", APPC, 1, 200, 40),
    float("c_t", "End time", "Length of each trajectory.", APPC, 1.0, 2000.0, true, 40.0),
    int("e7_layers", "Layers", "Number of layers of the hierarchical memory.", EX7, 2, 8, 3),
    int("e7_width", "Width", "Neurons per layer.", EX7, 1, 32, 4),
    int("e7_starts", "Trajectories", "Random starts.", EX7, 1, 64, 8),
    float("e7_t", "End time", "Length of each trajectory.", EX7, 1.0, 1000.0, true, 40.0),
];

/// Newton starts per axis of the fixed-point search.
pub const FIXED_POINT_LATTICE: usize = 15;
/// Most stored states of the trajectory part.
pub const TRAJECTORY_POINTS: usize = 2000;

/// The step budgets the parts run their integrations with: with RK4 a link is clamped up
/// front (`dt` raised) so that it never runs out of steps. Dormand–Prince adapts its
/// steps; when it runs out, the run stops and says so.
pub fn limits(p: &Params) -> Vec<Limit> {
    if p.choice("integrator") != "rk4" {
        return Vec::new();
    }
    let dt = p.float("dt");
    let steps = |what, key: &str, budget: usize, parts| Limit {
        what,
        size: rk4_steps(p.float(key), dt) as u64,
        limit: budget as u64,
        why: format!("the step budget of RK4 runs to {key} = {}", p.float(key)),
        keys: &["dt"],
        parts,
    };
    vec![
        steps(
            "the RK4 steps of the trajectory, ceil(t_end/dt)",
            "t_end",
            MAX_RK4_STEPS as usize,
            &["trajectory"],
        ),
        steps("the RK4 steps of the dead-neuron run, ceil(t_end/dt)", "t_end", MAX_STEPS, &["dead"]),
        steps("the RK4 steps of an Appendix C trajectory, ceil(c_t/dt)", "c_t", MAX_STEPS, &["appc"]),
        steps("the RK4 steps of an Example 7 trajectory, ceil(e7_t/dt)", "e7_t", MAX_STEPS, &["ex7"]),
    ]
}

/// Right-hand-side evaluations of one integration to `t_end` at most: RK4 takes its
/// steps of 4 evaluations, Dormand–Prince at most its step budget of about 7.
fn evaluations(p: &Params, t_end: f64, budget: usize) -> f64 {
    match method(p) {
        Method::Rk4 { dt } => 4.0 * rk4_steps(t_end, dt).min(budget) as f64,
        Method::Dopri { .. } => 7.0 * budget as f64,
    }
}

/// Operations of one evaluation of an N-dimensional system (a matrix–vector product and
/// the activations).
fn evaluation(n: usize) -> f64 {
    (n * n + 20 * n) as f64
}

/// An estimate of the operations of `part`: for integrations, an upper estimate from the
/// step budgets they run with (adaptive runs usually take far fewer steps).
pub fn cost(p: &Params, part: &str) -> f64 {
    let t_end = p.float("t_end");
    match part {
        "fixed_points" => (FIXED_POINT_LATTICE * FIXED_POINT_LATTICE) as f64 * 30.0 * 100.0,
        "landscape" => {
            let g = p.usize("grid") as f64;
            g * g * 200.0 + if p.flag("streamlines") { 2e6 } else { 0.0 }
        }
        "trajectory" => evaluations(p, t_end, MAX_RK4_STEPS as usize) * (evaluation(2) + 50.0),
        "dead" => {
            let n = if p.choice("nd_system") == "plane" { 2 } else { p.usize("nd_n") };
            // The run and the gradient flow of Proposition 4, then a few N³ decompositions.
            2.0 * evaluations(p, t_end, MAX_STEPS) * evaluation(n) + 50.0 * (n * n * n) as f64
        }
        "prop3" => {
            let n = p.usize("p3_n");
            let per_trial: f64 =
                prop3::grid(n, p.usize("p3_points")).iter().map(|&k| 10.0 * ((n - k) as f64).powi(3)).sum();
            p.usize("p3_trials") as f64 * per_trial
        }
        "appc" => {
            let n = p.usize("c_n");
            5000.0 * evaluation(n)
                + p.usize("c_starts") as f64 * evaluations(p, p.float("c_t"), MAX_STEPS) * evaluation(n)
        }
        "ex7" => {
            let n = p.usize("e7_layers") * p.usize("e7_width");
            // Two choices of R, and the monitored energy at every step.
            4.0 * p.usize("e7_starts") as f64 * evaluations(p, p.float("e7_t"), MAX_STEPS) * evaluation(n)
        }
        _ => 0.0,
    }
}

fn fix_interval(p: &mut Params, lo: &str, hi: &str, notices: &mut Vec<Notice>) {
    let (a, b) = (p.float(lo), p.float(hi));
    if a < b {
        return;
    }
    if a > b {
        p.set(lo, Value::Float(b));
        p.set(hi, Value::Float(a));
        notices.push(Notice::new(lo, format!("{lo}={a} is above {hi}={b}; swapped")));
    } else if b + 1.0 <= MAX_VIEW {
        p.set(hi, Value::Float(b + 1.0));
        notices
            .push(Notice::new(hi, format!("{lo} = {hi} = {a} gives an empty view; {hi} set to {}", b + 1.0)));
    } else {
        p.set(lo, Value::Float(a - 1.0));
        notices
            .push(Notice::new(lo, format!("{lo} = {hi} = {a} gives an empty view; {lo} set to {}", a - 1.0)));
    }
}

fn fit_energy(p: &mut Params, key: &str, notices: &mut Vec<Notice>) {
    let d = dynamics(p);
    let e = Energy::from_name(p.choice(key));
    if !e.fits(d) {
        let repl = if d.is_u() { Energy::E1 } else { Energy::Kh };
        notices.push(Notice::new(
            key,
            format!(
                "{key}={} is not defined on the state space of dynamics={}; using {}",
                e.name(),
                p.choice("dynamics"),
                repl.name()
            ),
        ));
        p.set(key, Value::Choice(repl.name()));
    }
}

pub fn check(p: &mut Params, notices: &mut Vec<Notice>) {
    fix_interval(p, "xmin", "xmax", notices);
    fix_interval(p, "ymin", "ymax", notices);
    fit_energy(p, "energy", notices);
    fit_energy(p, "energy2", notices);
    fit_limits(p, limits, notices);
}
