//! Lab 7 — learning contracting dynamics (ELCD; Jaffe, dissertation, Chapter 4; SPEC.md, Lab 7).
//!
//! The math lives in the sub-modules: [`nets`] (tanh networks with hand-written
//! backpropagation, including the terms of their input Jacobians), [`model`] (ELCD with
//! its optional coupling-layer diffeomorphism, and the MLP baseline, with their losses and
//! gradients), [`train`] (Adam on seeded minibatches), [`data`] (the demonstrations),
//! [`analysis`] (rollouts, DTWD, eigenvalues of sym(A), equilibria).
//!
//! This file holds the registry entry, the two parts of the result (`elcd` and `mlp`),
//! their JSON fields and CSV tables.

pub mod analysis;
pub mod data;
mod figures;
pub mod model;
pub mod nets;
mod params;
pub mod train;

pub use self::params::{DEMOS, MAX_STEPS};

use self::analysis::{Flow, Rollout, dtwd, equilibria, grid_points, rollout, sym_max_eig};
use self::data::Demos;
use self::model::{Elcd, Mlp, Model};
use self::params::{PARAMS, check};
use self::train::{TrainConfig, Trained, train};
use super::{Cell, LabDef, LabFuture, Output, Part, Preset, Progress, RunError, Runner, Table};
use crate::compute::Compute;
use crate::params::Params;
use crate::rng::{seeded, uniform};
use serde::Serialize;
use serde_json::json;

/// The lab's random streams (of the link's seed).
pub mod stream {
    /// ELCD's initial parameters.
    pub const INIT_ELCD: u64 = 71;
    /// The baseline's initial parameters.
    pub const INIT_MLP: u64 = 72;
    /// The minibatch order (shared: both models see the same batches).
    pub const BATCHES: u64 = 73;
    /// The random rollout starts (shared by both models).
    pub const STARTS: u64 = 74;
}

/// Points of a random start's rollout.
const RANDOM_POINTS: usize = 150;
/// Newton seeds per axis when looking for equilibria.
const EQ_SEEDS: usize = 8;
/// A rollout `reached` x* when it ends within this fraction of the window's diagonal.
pub const REACHED: f64 = 0.05;

/// The registry entry.
pub const LAB: LabDef = LabDef {
    id: "elcd",
    title: "Learning contracting dynamics",
    summary: "Vector fields that are contracting by construction, trained on demonstrations in the browser, against an unconstrained network.",
    source: "Jaffe, PhD dissertation (UC Santa Barbara, 2024), Chapter 4",
    sources: &[&super::cite::JAFFE_2024],
    params: PARAMS,
    runner: Some(Runner {
        parts: &[
            Part {
                name: "elcd",
                keys: &[
                    "demo", "draw", "alpha", "hidden", "diffeo", "lr", "batch", "steps", "horizon", "starts",
                    "grid",
                ],
            },
            Part {
                name: "mlp",
                keys: &[
                    "demo", "draw", "alpha", "hidden", "baseline", "lr", "batch", "steps", "horizon",
                    "starts", "grid",
                ],
            },
        ],
        check,
        run,
        gpu: false,
        presets: PRESETS,
        figures: figures::FIGURES,
        shards: None,
        limits: super::no_limits,
        cost: params::cost,
        import: None,
    }),
    about: ABOUT,
};

const PRESETS: &[Preset] = &[
    Preset {
        name: "linear",
        label: "Linear system, no transform",
        query: "demo=linear&diffeo=0&alpha=0.1&steps=3000&baseline=0",
        reproduces: "Figure 4.1(a) of Jaffe (2024)",
        note: "ẋ = [[−1,4],[0,−1]]x overshoots: ‖x(t)‖ first grows, which the bound forbids, so ELCD pulls the rollouts to x* sooner than the data.",
    },
    Preset {
        name: "linear-diffeo",
        label: "Linear system, learned transform",
        query: "demo=linear&diffeo=1&alpha=0.1&steps=3000&baseline=0",
        reproduces: "Figure 4.1(b) of Jaffe (2024)",
        note: "Learned jointly with the field, the coupling layers find coordinates where the data contract: the rollouts follow the overshoot.",
    },
    Preset {
        name: "figure-4-2",
        label: "ELCD vs an unconstrained MLP",
        query: "demo=lasa_worm&diffeo=1&alpha=0.1&steps=1500&baseline=1&starts=12",
        reproduces: "Figure 4.2 of Jaffe (2024) (with an MLP in place of NCDS)",
        note: "Both fit the demonstrations; the MLP runs past x* and circles a spurious equilibrium, while every ELCD rollout reaches x* inside its bound.",
    },
    Preset {
        name: "rosenbrock",
        label: "Rosenbrock gradient flow",
        query: "demo=rosenbrock&diffeo=1&alpha=0.1&steps=4000",
        reproduces: "the Rosenbrock data of Sec. 4.5.2 (2-D)",
        note: "A stiff, curved flow into (1, 1), contracting only in a Riemannian metric: the transform does the work.",
    },
    Preset {
        name: "pendulum",
        label: "Damped pendulum",
        query: "demo=pendulum&diffeo=0&alpha=0.05&steps=4000",
        reproduces: "the pendulum data of Sec. 4.5.2 (one link)",
        note: "Even without a transform ELCD spirals: the skew part Pₐ − Pₐᵀ lets A rotate, which a symmetric A (a gradient flow) cannot. With diffeo=1 the fit tightens (DTWD about 0.01 instead of 0.2).",
    },
    Preset {
        name: "lasa-jshape",
        label: "LASA: J shape",
        query: "demo=lasa_jshape&diffeo=1&alpha=0.1&steps=4000",
        reproduces: "Figure 4.3 of Jaffe (2024) (one shape)",
        note: "A handwriting shape: ELCD with the transform follows the three demonstrations and still contracts everywhere.",
    },
    Preset {
        name: "drawn",
        label: "Draw your own",
        query: "demo=drawn&diffeo=1&alpha=0.1&steps=2000",
        reproduces: "",
        note: "Drag on the field plot to draw a demonstration ending where you release; ELCD learns a field that contracts to that end point.",
    },
];

const ABOUT: &str = r#"<p><b>Model.</b> Extended-linearized contracting dynamics (ELCD) write the vector field as
<math><mover><mi>x</mi><mo>˙</mo></mover><mo>=</mo><mi>A</mi><mo>(</mo><mi>x</mi><mo>,</mo><msup><mi>x</mi><mo>*</mo></msup><mo>)</mo><mo>(</mo><mi>x</mi><mo>−</mo><msup><mi>x</mi><mo>*</mo></msup><mo>)</mo></math>
with
<math><mi>A</mi><mo>=</mo><mo>−</mo><msubsup><mi>P</mi><mi>s</mi><mi>T</mi></msubsup><msub><mi>P</mi><mi>s</mi></msub><mo>+</mo><msub><mi>P</mi><mi>a</mi></msub><mo>−</mo><msubsup><mi>P</mi><mi>a</mi><mi>T</mi></msubsup><mo>−</mo><mi>α</mi><mi>I</mi></math>
(eq. 4.10–4.11), where P<sub>s</sub>, P<sub>a</sub> are two-layer tanh networks of (x, x*) with <code>hidden</code> units
whose d² outputs form d×d matrices. The symmetric part of A is −P<sub>s</sub><sup>T</sup>P<sub>s</sub> − αI ≼ −αI, so every
trajectory obeys ‖x(t) − x*‖ ≤ e<sup>−αt</sup>‖x(0) − x*‖ (Theorem 4.3.2), at every step of training. x* is the
demonstrations' common end point.</p>
<p><b>Diffeomorphism.</b> With <code>diffeo=1</code> the field lives in latent coordinates z = φ(x) of the same dimension:
ż = A(z, z*)(z − z*), z* = φ(x*), and the velocity in data space is Dφ(x)<sup>−1</sup>ż. φ is four affine coupling layers
(y<sub>F</sub> = x<sub>F</sub> e<sup>s(x<sub>C</sub>)</sup> + t(x<sub>C</sub>), halves alternating; s, t from a two-layer network), learned
jointly with the field and started at the identity. The guarantees then hold <i>in latent space</i>: the eigenvalue map is
of A(φ(x), z*) and the bound plots measure ‖z(t) − z*‖.</p>
<p><b>Training.</b> Adam (learning rate <code>lr</code>, batch <code>batch</code>) on the mean squared error between the model's
velocity and the demonstrated velocity at the demonstration states; the gradients are written by hand and checked
against finite differences for every parameter. The MLP baseline (two tanh hidden layers, no constraint) trains on the
same batches. Rollouts use RK4 (in latent space for ELCD with φ); DTWD is the normalised distance of Sec. 4.5.1,
(1/t₁)Σ<sub>i</sub>min<sub>j</sub>‖x<sub>i</sub> − x̄<sub>j</sub>‖ + (1/t₂)Σ<sub>j</sub>min<sub>i</sub>‖x̄<sub>j</sub> − x<sub>i</sub>‖, between each
demonstration and the rollout from its start over the demonstration's times.</p>
<p><b>Departures from the source.</b> The dissertation's φ uses rational-quadratic spline coupling layers with linear and
permutation layers; here it is affine coupling layers (also diffeomorphisms, simpler to differentiate by hand). Figure 4.2
compares ELCD with NCDS; here the comparison is an unconstrained MLP, which shows the same failure (rollouts that diverge
or stop at spurious equilibria) more plainly. The pendulum is a single damped link (2-D) so it can be drawn; LASA shapes are
standardised with one scale for both axes so they keep their proportions; the Rosenbrock flow is solved in closed form
(ψ̇ = −2ψ). A drawn curve is timed so the pen slows towards its end (speed ∝ remaining length + 2%).</p>
<p>Same link, same numbers: every random draw (initial weights, batch order, random starts) comes from the link's seed,
and the page and the <code>hopfield</code> CLI compute bit-identical results.</p>"#;

/// Everything both parts need from the link.
struct Setup {
    demos: Demos,
    /// Demo name.
    demo: &'static str,
    /// The built-in curve was used (nothing drawn, or the drawing was unusable).
    drawn_default: bool,
    note: Option<String>,
    xs: Vec<f64>,
    vs: Vec<f64>,
    cfg: TrainConfig,
    alpha: f64,
    hidden: usize,
    seed: u64,
    horizon: f64,
    starts: usize,
    grid: usize,
}

fn setup(p: &Params) -> Result<Setup, RunError> {
    let demo = p.choice("demo");
    let mut note = None;
    let mut drawn_default = false;
    let demos = match demo {
        "linear" => data::linear(),
        "rosenbrock" => data::rosenbrock(),
        "pendulum" => data::pendulum(),
        "drawn" => {
            let stroke = p.floats("draw");
            if stroke.is_empty() {
                drawn_default = true;
                note = Some(
                    "Nothing drawn yet: showing a built-in spiral. Drag on the field plot to draw your own."
                        .into(),
                );
                data::drawn(&data::default_stroke()).map_err(RunError::Invalid)?
            } else {
                match data::drawn(stroke) {
                    Ok(d) => d,
                    Err(why) => {
                        drawn_default = true;
                        note = Some(format!("{why}: showing the built-in spiral instead."));
                        data::drawn(&data::default_stroke()).map_err(RunError::Invalid)?
                    }
                }
            }
        }
        other => match other.strip_prefix("lasa_") {
            Some(shape) => data::lasa(shape).map_err(RunError::Invalid)?,
            None => return Err(RunError::Invalid(format!("unknown demonstration set {other:?}"))),
        },
    };
    let (xs, vs) = demos.samples();
    Ok(Setup {
        demos,
        demo,
        drawn_default,
        note,
        xs,
        vs,
        cfg: TrainConfig { steps: p.usize("steps"), batch: p.usize("batch"), lr: p.float("lr") },
        alpha: p.float("alpha"),
        hidden: p.usize("hidden"),
        seed: p.seed(),
        horizon: p.float("horizon"),
        starts: p.usize("starts"),
        grid: p.usize("grid"),
    })
}

/// The demonstrations as JSON-friendly rows.
#[derive(Serialize)]
struct DemoOut {
    t: Vec<f64>,
    x: Vec<[f64; 2]>,
    v: Vec<[f64; 2]>,
}

/// The fields both parts print about the data.
#[derive(Serialize)]
struct DataOut<'a> {
    demo: &'a str,
    source: &'a str,
    d: usize,
    x_star: &'a [f64],
    window: [f64; 4],
    labels: [&'a str; 2],
    equal: bool,
    demos: Vec<DemoOut>,
    samples: usize,
    drawn_default: bool,
    note: &'a Option<String>,
}

fn data_out(s: &Setup) -> DataOut<'_> {
    let pairs = |v: &[f64]| v.chunks_exact(2).map(|c| [c[0], c[1]]).collect();
    DataOut {
        demo: s.demo,
        source: &s.demos.source,
        d: s.demos.d,
        x_star: &s.demos.x_star,
        window: s.demos.window,
        labels: s.demos.labels,
        equal: s.demos.equal,
        demos: s
            .demos
            .trajs
            .iter()
            .map(|t| DemoOut { t: t.t.clone(), x: pairs(&t.x), v: pairs(&t.v) })
            .collect(),
        samples: s.xs.len() / 2,
        drawn_default: s.drawn_default,
        note: &s.note,
    }
}

/// Values on the `n × n` grid over `window` (row 0 at the top, row-major).
#[derive(Serialize, Clone)]
pub struct GridOut {
    pub n: usize,
    pub window: [f64; 4],
    pub values: Vec<f64>,
}

/// The model's velocity on the grid.
#[derive(Serialize, Clone)]
pub struct FieldOut {
    pub n: usize,
    pub window: [f64; 4],
    pub u: Vec<f64>,
    pub v: Vec<f64>,
}

/// What both models report after training.
struct Analysis {
    rollouts: Vec<Rollout>,
    dtwd: Vec<f64>,
    field: FieldOut,
    eig: GridOut,
    equilibria: Vec<[f64; 2]>,
    h_max: f64,
}

/// Stream the loss as `{"loss_chunk": {"model", "from", "loss"}}` pieces (about 50 per run)
/// and report progress, while `model` trains.
fn train_streaming(
    model: &dyn Model,
    name: &str,
    s: &Setup,
    init_stream: u64,
    progress: &mut dyn Progress,
) -> Trained {
    let p0 = model.init(&mut seeded(s.seed, init_stream));
    let steps = s.cfg.steps;
    let total = steps + 1;
    let stride = (steps / 50).max(1);
    let mut chunk: Vec<f64> = Vec::new();
    let mut from = 0usize;
    progress.step(0, total);
    let trained = train(model, p0, &s.xs, &s.vs, &s.cfg, seeded(s.seed, stream::BATCHES), &mut |t, l| {
        chunk.push(l);
        if chunk.len() >= stride || t + 1 == steps {
            progress.partial(&json!({ "loss_chunk": { "model": name, "from": from, "loss": chunk } }));
            from = t + 1;
            chunk.clear();
        }
        if (t + 1) % stride == 0 {
            progress.step(t + 1, total);
        }
    });
    if !chunk.is_empty() {
        progress.partial(&json!({ "loss_chunk": { "model": name, "from": from, "loss": chunk } }));
    }
    trained
}

/// The full-data loss of trained parameters.
fn full_loss(model: &dyn Model, p: &[f64], s: &Setup) -> f64 {
    let idx: Vec<usize> = (0..s.xs.len() / 2).collect();
    let mut g = vec![0.0; p.len()];
    model.loss_grad(p, &s.xs, &s.vs, &idx, &mut g)
}

/// The random starts, uniform in the window.
fn random_starts(s: &Setup) -> Vec<[f64; 2]> {
    let w = s.demos.window;
    let mut rng = seeded(s.seed, stream::STARTS);
    (0..s.starts)
        .map(|_| {
            let a = uniform(&mut rng);
            let b = uniform(&mut rng);
            [w[0] + a * (w[1] - w[0]), w[2] + b * (w[3] - w[2])]
        })
        .collect()
}

/// Rollouts, DTWD, field, eigenvalue map and equilibria of a trained field.
/// `vel` is the data-space velocity; `eig(x)` the value mapped on the grid.
fn analyse(
    flow: &mut Flow,
    s: &Setup,
    vel: &dyn Fn(&[f64]) -> Vec<f64>,
    eig: &dyn Fn(&[f64]) -> f64,
) -> Analysis {
    let w = s.demos.window;
    let n = s.grid;
    let pts = grid_points(w, n);
    let mut field = FieldOut { n, window: w, u: Vec::with_capacity(n * n), v: Vec::with_capacity(n * n) };
    let mut values = Vec::with_capacity(n * n);
    for p in &pts {
        let f = vel(p);
        field.u.push(f[0]);
        field.v.push(f[1]);
        values.push(eig(p));
    }
    // The RK4 step: a quarter of the inverse of the largest Jacobian norm of the rhs seen on
    // the grid and at the data (central differences), capped at 0.02 and at 10⁵ steps.
    let t_end = s.horizon * s.demos.duration().max(1e-3);
    let mut rho = 0.0f64;
    let mut probe = |x: &[f64]| {
        let u = (flow.from_data)(x);
        let scale = 1e-6 * (1.0 + u.iter().map(|v| v.abs()).fold(0.0, f64::max));
        let mut fro = 0.0;
        for k in 0..u.len() {
            let (mut a, mut b) = (u.clone(), u.clone());
            a[k] += scale;
            b[k] -= scale;
            let (fa, fb) = ((flow.rhs)(&a), (flow.rhs)(&b));
            for i in 0..u.len() {
                let j = (fa[i] - fb[i]) / (2.0 * scale);
                fro += j * j;
            }
        }
        if fro.is_finite() {
            rho = rho.max(fro.sqrt());
        }
    };
    for p in &pts {
        probe(p);
    }
    for x in s.xs.chunks_exact(2) {
        probe(x);
    }
    flow.h_max = (0.25 / rho.max(1e-12)).min(0.02).max(t_end / 1e5);
    let mut rollouts = Vec::new();
    let mut dtwds = Vec::new();
    for (i, tr) in s.demos.trajs.iter().enumerate() {
        let mut times = tr.t.clone();
        let dt = tr.duration() / (tr.len().max(2) - 1) as f64;
        let mut t = times.last().copied().unwrap_or(0.0);
        while dt > 0.0 && t + dt <= t_end + 1e-12 {
            t += dt;
            times.push(t);
        }
        let r = rollout(flow, &tr.x[..2], &times, "demo", i);
        let demo_x: Vec<Vec<f64>> = tr.x.chunks_exact(2).map(|c| c.to_vec()).collect();
        let upto = tr.len().min(r.x.len());
        dtwds.push(dtwd(&r.x[..upto], &demo_x));
        rollouts.push(r);
    }
    let times: Vec<f64> = (0..RANDOM_POINTS).map(|k| t_end * k as f64 / (RANDOM_POINTS - 1) as f64).collect();
    for (i, x0) in random_starts(s).iter().enumerate() {
        rollouts.push(rollout(flow, x0, &times, "random", i));
    }
    let near = REACHED * libm::hypot(w[1] - w[0], w[3] - w[2]);
    for r in &mut rollouts {
        r.reached = r.diverged_at.is_none()
            && r.x.last().is_some_and(|x| {
                x.iter().zip(&s.demos.x_star).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt() <= near
            });
    }
    let equilibria = equilibria(vel, w, EQ_SEEDS);
    Analysis {
        rollouts,
        dtwd: dtwds,
        field,
        eig: GridOut { n, window: w, values },
        equilibria,
        h_max: flow.h_max,
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
}

fn max_ratio(r: &[Rollout]) -> f64 {
    r.iter().map(|r| r.max_ratio).fold(0.0, f64::max)
}

/// The `elcd` part's JSON fields (documented in the README).
#[derive(Serialize)]
struct ElcdOut<'a> {
    alpha: f64,
    hidden: usize,
    diffeo: bool,
    coupling_layers: usize,
    n_params: usize,
    steps: usize,
    steps_run: usize,
    stopped_at: Option<usize>,
    loss: &'a [f64],
    final_loss: f64,
    dtwd: &'a [f64],
    dtwd_mean: f64,
    z_star: Vec<f64>,
    max_sym_eig: f64,
    grid_sym_eig: &'a GridOut,
    field: &'a FieldOut,
    rollouts: &'a [Rollout],
    bound_max_ratio: f64,
    bound_holds: bool,
    missed: usize,
    equilibria: &'a [[f64; 2]],
    rk4_step: f64,
}

/// The `mlp` part's fields (under `mlp`; `null` with `baseline=0`).
#[derive(Serialize)]
struct MlpOut<'a> {
    hidden: usize,
    n_params: usize,
    steps: usize,
    steps_run: usize,
    stopped_at: Option<usize>,
    loss: &'a [f64],
    final_loss: f64,
    dtwd: &'a [f64],
    dtwd_mean: f64,
    max_jac_sym_eig: f64,
    grid_jac_sym_eig: &'a GridOut,
    field: &'a FieldOut,
    rollouts: &'a [Rollout],
    bound_max_ratio: f64,
    diverged: usize,
    missed: usize,
    equilibria: &'a [[f64; 2]],
    rk4_step: f64,
}

/// Tolerance of `bound_holds` for the RK4 error of the rollouts.
pub const BOUND_TOL: f64 = 1e-6;

fn run_elcd(p: &Params, s: &Setup, progress: &mut dyn Progress, out: &mut Output) {
    let diffeo = p.flag("diffeo");
    let model = Elcd::new(s.demos.d, s.hidden, s.alpha, s.demos.x_star.clone(), diffeo);
    let trained = train_streaming(&model, "elcd", s, stream::INIT_ELCD, progress);
    let par = &trained.params;
    let zs = model.z_star(par);
    let rhs = |z: &[f64]| model.latent_velocity(par, z, &zs);
    let dec = |z: &[f64]| model.decode(par, z);
    let enc = |x: &[f64]| model.encode(par, x);
    let mut flow = Flow {
        rhs: &rhs,
        to_data: &dec,
        from_data: &enc,
        u_star: zs.clone(),
        latent: diffeo,
        alpha: s.alpha,
        h_max: 0.02,
    };
    let vel = |x: &[f64]| model.velocity_with(par, x, &zs);
    let eig = |x: &[f64]| sym_max_eig(&model.a_matrix(par, &model.encode(par, x), &zs), model.d);
    let a = analyse(&mut flow, s, &vel, &eig);
    let ratio = max_ratio(&a.rollouts);
    out.merge(data_out(s));
    out.merge(ElcdOut {
        alpha: s.alpha,
        hidden: s.hidden,
        diffeo,
        coupling_layers: model.couplings.len(),
        n_params: model.n_params(),
        steps: s.cfg.steps,
        steps_run: trained.loss.len(),
        stopped_at: trained.stopped_at,
        loss: &trained.loss,
        final_loss: full_loss(&model, par, s),
        dtwd: &a.dtwd,
        dtwd_mean: mean(&a.dtwd),
        z_star: zs.clone(),
        max_sym_eig: a.eig.values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        grid_sym_eig: &a.eig,
        field: &a.field,
        rollouts: &a.rollouts,
        bound_max_ratio: ratio,
        bound_holds: ratio <= 1.0 + BOUND_TOL,
        missed: a.rollouts.iter().filter(|r| !r.reached).count(),
        equilibria: &a.equilibria,
        rk4_step: a.h_max,
    });
    out.tables.extend(tables("", &trained.loss, &a, "sym_eig", s));
    progress.step(s.cfg.steps + 1, s.cfg.steps + 1);
}

fn run_mlp(p: &Params, s: &Setup, progress: &mut dyn Progress, out: &mut Output) {
    out.merge(data_out(s));
    if !p.flag("baseline") {
        out.merge(json!({ "mlp": null }));
        return;
    }
    let model = Mlp::new(s.demos.d, s.hidden);
    let trained = train_streaming(&model, "mlp", s, stream::INIT_MLP, progress);
    let par = &trained.params;
    let rhs = |x: &[f64]| model.velocity(par, x);
    let id = |x: &[f64]| x.to_vec();
    let mut flow = Flow {
        rhs: &rhs,
        to_data: &id,
        from_data: &id,
        u_star: s.demos.x_star.clone(),
        latent: false,
        alpha: s.alpha,
        h_max: 0.02,
    };
    let eig = |x: &[f64]| sym_max_eig(&model.jacobian(par, x), model.d);
    let a = analyse(&mut flow, s, &rhs, &eig);
    let m = MlpOut {
        hidden: s.hidden,
        n_params: model.n_params(),
        steps: s.cfg.steps,
        steps_run: trained.loss.len(),
        stopped_at: trained.stopped_at,
        loss: &trained.loss,
        final_loss: full_loss(&model, par, s),
        dtwd: &a.dtwd,
        dtwd_mean: mean(&a.dtwd),
        max_jac_sym_eig: a.eig.values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        grid_jac_sym_eig: &a.eig,
        field: &a.field,
        rollouts: &a.rollouts,
        bound_max_ratio: max_ratio(&a.rollouts),
        diverged: a.rollouts.iter().filter(|r| r.diverged_at.is_some()).count(),
        missed: a.rollouts.iter().filter(|r| !r.reached).count(),
        equilibria: &a.equilibria,
        rk4_step: a.h_max,
    };
    out.merge(json!({ "mlp": m }));
    out.tables.extend(tables("mlp_", &trained.loss, &a, "jac_sym_eig", s));
    progress.step(s.cfg.steps + 1, s.cfg.steps + 1);
}

/// The CSV tables of one model: `{prefix}loss`, `{prefix}dtwd`, `{prefix}rollouts`, `{prefix}grid`.
fn tables(prefix: &str, loss: &[f64], a: &Analysis, eig_name: &str, s: &Setup) -> Vec<Table> {
    let name = |n: &str| -> &'static str {
        match (prefix.is_empty(), n) {
            (true, "loss") => "loss",
            (true, "dtwd") => "dtwd",
            (true, "rollouts") => "rollouts",
            (true, _) => "grid",
            (false, "loss") => "mlp_loss",
            (false, "dtwd") => "mlp_dtwd",
            (false, "rollouts") => "mlp_rollouts",
            (false, _) => "mlp_grid",
        }
    };
    let cols = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut lt = Table { name: name("loss"), columns: cols(&["step", "loss"]), rows: Vec::new() };
    for (i, l) in loss.iter().enumerate() {
        lt.rows.push(vec![i.into(), (*l).into()]);
    }
    let mut dt = Table { name: name("dtwd"), columns: cols(&["demo", "dtwd"]), rows: Vec::new() };
    for (i, v) in a.dtwd.iter().enumerate() {
        dt.rows.push(vec![i.into(), (*v).into()]);
    }
    let mut rt = Table {
        name: name("rollouts"),
        columns: cols(&["kind", "index", "t", "x1", "x2", "distance", "bound"]),
        rows: Vec::new(),
    };
    for r in &a.rollouts {
        for k in 0..r.t.len() {
            rt.rows.push(vec![
                Cell::Text(r.kind.into()),
                r.index.into(),
                r.t[k].into(),
                r.x[k][0].into(),
                r.x[k][1].into(),
                r.distance[k].into(),
                r.bound[k].into(),
            ]);
        }
    }
    let mut gt =
        Table { name: name("grid"), columns: cols(&["x1", "x2", eig_name, "u", "v"]), rows: Vec::new() };
    for (i, p) in grid_points(s.demos.window, a.eig.n).iter().enumerate() {
        gt.rows.push(vec![
            p[0].into(),
            p[1].into(),
            a.eig.values[i].into(),
            a.field.u[i].into(),
            a.field.v[i].into(),
        ]);
    }
    vec![lt, dt, rt, gt]
}

fn run<'a>(
    p: &'a Params,
    parts: &'a [&'a str],
    progress: &'a mut dyn Progress,
    _c: &'a Compute,
) -> LabFuture<'a> {
    // Small networks, sequential minibatch steps: the CPU path (a Web Worker in the page).
    Box::pin(async move { run_cpu(p, parts, progress) })
}

fn run_cpu(p: &Params, parts: &[&str], progress: &mut dyn Progress) -> Result<Output, RunError> {
    let s = setup(p)?;
    let mut out = Output::default();
    if parts.contains(&"elcd") {
        run_elcd(p, &s, progress, &mut out);
    }
    if parts.contains(&"mlp") {
        run_mlp(p, &s, progress, &mut out);
    }
    let mut demos = Table {
        name: "demos",
        columns: ["demo", "t", "x1", "x2", "v1", "v2"].map(String::from).to_vec(),
        rows: Vec::new(),
    };
    for (i, t) in s.demos.trajs.iter().enumerate() {
        for k in 0..t.len() {
            demos.rows.push(vec![
                i.into(),
                t.t[k].into(),
                t.x[2 * k].into(),
                t.x[2 * k + 1].into(),
                t.v[2 * k].into(),
                t.v[2 * k + 1].into(),
            ]);
        }
    }
    out.tables.push(demos);
    Ok(out)
}

#[cfg(test)]
mod tests;
