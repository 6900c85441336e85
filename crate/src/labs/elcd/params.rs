//! The ELCD lab's parameter table and the rules between its keys.

use super::data::DRAW_BOX;
use crate::params::{Kind, Notice, ParamSpec, Params, Value};

/// Most training steps per model. At about 0.05 ms (no diffeomorphism) to 0.3 ms (with it)
/// per step of batch 100 natively, and a few times that in the page, 20,000 steps stay
/// within seconds to a minute.
pub const MAX_STEPS: i64 = 20_000;
/// Largest batch (the data sets have 100–400 samples; a larger batch is the full data).
pub const MAX_BATCH: i64 = 1000;
/// Widest hidden layer.
pub const MAX_HIDDEN: i64 = 64;
/// Most numbers in a drawn curve (`x0,y0,x1,y1,…`: 500 points).
pub const MAX_DRAW: usize = 1000;
/// Largest grid side of the eigenvalue map and the field.
pub const MAX_GRID: i64 = 64;
/// Most random starts.
pub const MAX_STARTS: i64 = 32;

/// The demonstration sets (`lasa_*`: the shipped LASA shapes).
pub const DEMOS: &[&str] = &[
    "linear",
    "rosenbrock",
    "pendulum",
    "lasa_angle",
    "lasa_cshape",
    "lasa_gshape",
    "lasa_jshape",
    "lasa_leaf",
    "lasa_nshape",
    "lasa_sine",
    "lasa_worm",
    "drawn",
];

const DATA: &str = "Demonstrations";
const MODEL: &str = "Model";
const TRAIN: &str = "Training";
const VIEW: &str = "View";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        key: "demo",
        label: "Demonstrations",
        help: "linear: ẋ = [[−1,4],[0,−1]]x from (0,±2) (Sec. 4.3.4); rosenbrock: the Riemannian gradient flow (4.24); pendulum: a damped pendulum (θ, θ̇); lasa_*: LASA handwriting shapes (3 demonstrations each); drawn: the curve you draw on the field plot.",
        group: DATA,
        kind: Kind::Choice { options: DEMOS },
        default: Value::Choice("linear"),
    },
    ParamSpec {
        key: "draw",
        label: "Drawn curve",
        help: "The drawn demonstration as x0,y0,x1,y1,… in [−3, 3]² (at most 500 points; draw on the field plot with demo=drawn; empty: a built-in spiral).",
        group: DATA,
        kind: Kind::FloatList { min: -DRAW_BOX, max: DRAW_BOX, max_len: MAX_DRAW },
        default: Value::FloatList(Vec::new()),
    },
    ParamSpec {
        key: "alpha",
        label: "Contraction rate α",
        help: "A = −PₛᵀPₛ + Pₐ − Pₐᵀ − αI: every trajectory obeys ‖x(t) − x*‖ ≤ e^{−αt}‖x(0) − x*‖ (in latent space with the diffeomorphism).",
        group: MODEL,
        kind: Kind::Float { min: 0.001, max: 10.0, log: true },
        default: Value::Float(0.1),
    },
    ParamSpec {
        key: "hidden",
        label: "Hidden width",
        help: "Width of the hidden layer of Pₛ, Pₐ and the coupling networks, and of both hidden layers of the MLP baseline (the dissertation: 16; at most 64).",
        group: MODEL,
        kind: Kind::Int { min: 2, max: MAX_HIDDEN },
        default: Value::Int(16),
    },
    ParamSpec {
        key: "diffeo",
        label: "Diffeomorphism",
        help: "Learn z = φ(x) with 4 affine coupling layers jointly with the field; the guarantees then hold for z.",
        group: MODEL,
        kind: Kind::Bool,
        default: Value::Bool(false),
    },
    ParamSpec {
        key: "baseline",
        label: "MLP baseline",
        help: "Also train an unconstrained MLP field ẋ = g(x) (two tanh layers) on the same data and batches.",
        group: MODEL,
        kind: Kind::Bool,
        default: Value::Bool(true),
    },
    ParamSpec {
        key: "lr",
        label: "Learning rate",
        help: "Adam's step size (the dissertation: 1e-3).",
        group: TRAIN,
        kind: Kind::Float { min: 1e-5, max: 0.1, log: true },
        default: Value::Float(1e-3),
    },
    ParamSpec {
        key: "batch",
        label: "Batch size",
        help: "Samples per step (the dissertation: 100); at most 1000, and a batch at least as large as the data is the full data.",
        group: TRAIN,
        kind: Kind::Int { min: 1, max: MAX_BATCH },
        default: Value::Int(100),
    },
    ParamSpec {
        key: "steps",
        label: "Training steps",
        help: "Adam steps per model (at most 20,000). A paused run records the steps it took here, so its link reproduces it.",
        group: TRAIN,
        kind: Kind::Int { min: 0, max: MAX_STEPS },
        default: Value::Int(3000),
    },
    ParamSpec {
        key: "horizon",
        label: "Rollout horizon",
        help: "Length of the rollouts, as a multiple of the longest demonstration's duration.",
        group: VIEW,
        kind: Kind::Float { min: 1.0, max: 5.0, log: false },
        default: Value::Float(1.5),
    },
    ParamSpec {
        key: "starts",
        label: "Random starts",
        help: "Rollouts from random points of the window, checked against the bound (at most 32).",
        group: VIEW,
        kind: Kind::Int { min: 0, max: MAX_STARTS },
        default: Value::Int(8),
    },
    ParamSpec {
        key: "grid",
        label: "Grid",
        help: "Side of the grid on which the largest eigenvalue of sym(A) and the field are evaluated (at most 64).",
        group: VIEW,
        kind: Kind::Int { min: 4, max: MAX_GRID },
        default: Value::Int(24),
    },
];

/// A drawn curve needs whole points: an odd count loses its last number.
pub fn check(p: &mut Params, notices: &mut Vec<Notice>) {
    let draw = p.floats("draw").to_vec();
    if draw.len() % 2 == 1 {
        notices.push(Notice::new(
            "draw",
            format!("draw has an odd count of numbers ({}); the last one was dropped", draw.len()),
        ));
        p.set("draw", Value::FloatList(draw[..draw.len() - 1].to_vec()));
    }
}

/// An estimate of the operations of `part` (for the limits test and the page's progress):
/// training is steps × batch × (forward + backward ≈ 3 passes) through the two matrix
/// networks (2d inputs → hidden → d² outputs each, d = 2), times 3 with the coupling
/// layers; then the field over the grid, the rollouts (RK4, 4 evaluations a step) and the
/// contraction map (an eigenvalue per grid point).
pub fn cost(p: &Params, part: &str) -> f64 {
    let (steps, batch, h) = (p.usize("steps") as f64, p.usize("batch") as f64, p.usize("hidden") as f64);
    let grid = p.usize("grid") as f64;
    let starts = p.usize("starts") as f64;
    let evals = grid * grid + (starts + 8.0) * p.float("horizon") * 100.0 * 4.0;
    match part {
        "elcd" => {
            let per_sample = 2.0 * 3.0 * 2.0 * (4.0 * h + 4.0 * h) * if p.flag("diffeo") { 3.0 } else { 1.0 };
            steps * batch * per_sample + evals * per_sample / 3.0
        }
        "mlp" if p.flag("baseline") => {
            let per_sample = 3.0 * 2.0 * (4.0 * h + h * h + 2.0 * h);
            steps * batch * per_sample + evals * per_sample / 3.0
        }
        _ => 0.0,
    }
}
