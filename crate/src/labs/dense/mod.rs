//! Lab 3 — dense associative memory, energies and dead neurons (Fanaskov & Oseledets,
//! "Associative memory and dead neurons"; SPEC.md, Lab 3).
//!
//! The math lives in the sub-modules, one per topic:
//! [`lagrangian`] (L, g, Λ), [`system`] (the dynamics (1), (9), (5) and the energies
//! (2), (10), E1–E3), [`integrate`] (RK4, Dormand–Prince), [`lyapunov`] (which pairs are
//! proven, the increase monitor), [`fixed`] (planar fixed points and stability),
//! [`landscape`] (energy maps, level sets, flat regions), [`trajectory`] (one path with
//! its energies), [`particles`] (batched advection), [`dead`] (Section 3.2 and
//! Proposition 4), [`prop3`] (Proposition 3), [`appc`] (Appendix C), [`ex7`] (Example 7),
//! [`matrices`] (GOE, norms, eigenvalues).
//!
//! This file holds the parameter table, the consistency rules and the parts of the result.

// Index loops over several parallel vectors read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

pub mod appc;
pub mod dead;
pub mod ex7;
mod figures;
pub mod fixed;
pub mod integrate;
pub mod lagrangian;
pub mod landscape;
pub mod lyapunov;
pub mod matrices;
pub mod params;
pub mod particles;
pub mod prop3;
pub mod system;
pub mod trajectory;

pub use self::params::{MAX_ENTRY, MAX_RK4_STEPS, MAX_VIEW};

use self::integrate::{Limits, Method};
use self::lagrangian::Lagrangian;
use self::landscape::LandscapeOptions;
use self::params::{FIXED_POINT_LATTICE, PARAMS, TRAJECTORY_POINTS, check, cost, limits};
use self::system::{Dynamics, Energy, System, SystemError};
use super::{Cell, LabDef, LabFuture, Output, Part, Preset, Progress, RunError, Runner, Table};
use crate::compute::Compute;
use crate::params::Params;
use crate::rng::seeded;
use serde::Serialize;
use serde_json::json;

/// The registry entry.
pub const LAB: LabDef = LabDef {
    id: "dense",
    title: "Dense associative memory and dead neurons",
    summary: "ODE flows of dense associative memories over their energy landscapes, flat regions, the modified dynamics and dead-neuron stability.",
    source: "Fanaskov & Oseledets, Associative memory and dead neurons (seeds/associative-memory-dead-neurons)",
    params: PARAMS,
    runner: Some(Runner {
        parts: &[
            Part {
                name: "fixed_points",
                keys: &[
                    "lagrangian",
                    "w11",
                    "w12",
                    "w21",
                    "w22",
                    "b1",
                    "b2",
                    "dynamics",
                    "r",
                    "xmin",
                    "xmax",
                    "ymin",
                    "ymax",
                    "dead_tol",
                ],
            },
            Part {
                name: "landscape",
                keys: &[
                    "lagrangian",
                    "w11",
                    "w12",
                    "w21",
                    "w22",
                    "b1",
                    "b2",
                    "dynamics",
                    "r",
                    "energy",
                    "energy2",
                    "xmin",
                    "xmax",
                    "ymin",
                    "ymax",
                    "grid",
                    "streamlines",
                    "flat_tol",
                    "dead_tol",
                ],
            },
            Part {
                name: "trajectory",
                keys: &[
                    "lagrangian",
                    "w11",
                    "w12",
                    "w21",
                    "w22",
                    "b1",
                    "b2",
                    "dynamics",
                    "r",
                    "energy",
                    "x0",
                    "y0",
                    "integrator",
                    "dt",
                    "tol",
                    "t_end",
                ],
            },
            Part {
                name: "dead",
                keys: &[
                    "nd_system",
                    "nd_n",
                    "nd_scale",
                    "nd_bias",
                    "dead_tol",
                    "lagrangian",
                    "w11",
                    "w12",
                    "w21",
                    "w22",
                    "b1",
                    "b2",
                    "x0",
                    "y0",
                    "integrator",
                    "dt",
                    "tol",
                    "t_end",
                ],
            },
            Part { name: "prop3", keys: &["p3_n", "p3_trials", "p3_points"] },
            Part { name: "appc", keys: &["c_n", "eps", "c_starts", "c_t", "integrator", "dt", "tol"] },
            Part {
                name: "ex7",
                keys: &["e7_layers", "e7_width", "e7_starts", "e7_t", "integrator", "dt", "tol"],
            },
        ],
        check,
        limits,
        cost,
        run,
        // Small planar and N ≤ a few hundred dense problems: the parts run on the CPU. The
        // particle animation is not a part: `web::dense` advects it on the page, on the GPU
        // once the page has verified WebGPU (`particles::advect_gpu`).
        gpu: false,
        presets: PRESETS,
        figures: figures::FIGURES,
        shards: None,
        import: None,
    }),
    about: ABOUT,
    sources: &[&super::cite::FANASKOV_OSELEDETS],
};

const PRESETS: &[Preset] = &[
    Preset {
        name: "figure-1",
        label: "Figure 1: ReLU, KH vs E3",
        query: "lagrangian=relu&w11=0&w12=-2&w21=-2&w22=0&b1=1&b2=1&dynamics=kh&energy=kh&energy2=e3&xmin=-3&xmax=3&ymin=-3&ymax=3&x0=-1.5&y0=2&t_end=20&integrator=dopri",
        reproduces: "Figure 1 of Fanaskov & Oseledets",
        note: "Two memories, flat KH energy where a neuron is dead; E3 beside it.",
    },
    Preset {
        name: "example-2",
        label: "Ex. 2: ReLU",
        query: "lagrangian=relu&w11=0.2&w12=-0.4&w21=-0.4&w22=0.2&b1=-1&b2=0.5&dynamics=kh&energy=kh&energy2=e3&xmin=-3&xmax=3&ymin=-3&ymax=3&x0=2&y0=-2&t_end=20&integrator=dopri",
        reproduces: "Example 2 of Fanaskov & Oseledets",
        note: "A memory with a dead neuron: the KH energy is constant along y₁ ≤ 0.",
    },
    Preset {
        name: "example-3",
        label: "Ex. 3: sigmoid",
        query: "lagrangian=sigmoid&w11=0&w12=30&w21=30&w22=0&b1=-5&b2=-5&dynamics=kh&energy=kh&energy2=e3&xmin=-15&xmax=40&ymin=-15&ymax=40&x0=5&y0=30&t_end=20&integrator=dopri",
        reproduces: "Example 3 of Fanaskov & Oseledets",
        note: "Saturated sigmoid neurons: flat energy for y ≫ 1.",
    },
    Preset {
        name: "example-4",
        label: "Ex. 4: softmax",
        query: "lagrangian=softmax&w11=3&w12=0&w21=0&w22=3&b1=0&b2=0&dynamics=kh&energy=kh&energy2=e3&xmin=-2&xmax=5&ymin=-2&ymax=5&x0=-1&y0=4&t_end=20&integrator=dopri",
        reproduces: "Example 4 of Fanaskov & Oseledets",
        note: "Softmax: the KH energy is constant along (1, 1) everywhere.",
    },
    Preset {
        name: "e3-rises",
        label: "(9) as printed: E3 rises",
        query: "lagrangian=relu&w11=0&w12=-2&w21=-2&w22=0&b1=1&b2=1&dynamics=mod&energy=e3&energy2=kh&xmin=-3&xmax=3&ymin=-3&ymax=3&x0=0.8&y0=-0.4&t_end=5&integrator=dopri",
        reproduces: "",
        note: "R = I − WΛ: the monitor flags increases of E3.",
    },
    Preset {
        name: "gradient-flow",
        label: "(9) transposed: gradient flow",
        query: "lagrangian=relu&w11=0&w12=-2&w21=-2&w22=0&b1=1&b2=1&dynamics=mod_t&energy=e3&energy2=kh&xmin=-3&xmax=3&ymin=-3&ymax=3&x0=0.8&y0=-0.4&t_end=5&integrator=dopri",
        reproduces: "",
        note: "R = I − ΛWᵀ: E3 never increases.",
    },
    Preset {
        name: "example-5-1",
        label: "u-form, R = W",
        query: "lagrangian=tanh&w11=1.5&w12=-1&w21=-1&w22=1.5&b1=0.3&b2=-0.2&dynamics=u&r=w&energy=e2&energy2=e3&xmin=-2&xmax=2&ymin=-2&ymax=2&x0=-1.5&y0=1.5&t_end=20&integrator=dopri",
        reproduces: "Example 5.1 of Fanaskov & Oseledets",
        note: "Example 5.1: E2 is a Lyapunov function of (5) with R = W.",
    },
    Preset {
        name: "non-symmetric",
        label: "Non-symmetric W",
        query: "lagrangian=tanh&w11=0&w12=3&w21=-3&w22=0&b1=1&b2=0.5&dynamics=kh&energy=kh&energy2=e3&xmin=-4&xmax=4&ymin=-4&ymax=4&x0=2&y0=2&t_end=20&integrator=dopri",
        reproduces: "",
        note: "W ≠ Wᵀ: the KH energy rises along (1).",
    },
    Preset {
        name: "stiff",
        label: "Stiff: huge W",
        query: "lagrangian=tanh&w11=-400&w12=0&w21=0&w22=-400&b1=0&b2=0&dynamics=kh&energy=kh&energy2=e3&xmin=-3&xmax=3&ymin=-3&ymax=3&x0=0.05&y0=2&t_end=5&integrator=rk4&dt=0.01",
        reproduces: "",
        note: "W = −400 I with tanh: explicit steps are unstable near the axes; particles and RK4 stop there.",
    },
    Preset {
        name: "appc-n50",
        label: "App. C in N = 50",
        query: "c_n=50&eps=0.05&c_starts=40&c_t=100",
        reproduces: "Appendix C of Fanaskov & Oseledets",
        note: "A 50-neuron ReLU memory with ρ(W) = 0.95: every trajectory meets the one fixed point inside the e^(−εt) bound.",
    },
];

const ABOUT: &str = r#"<p><b>Systems.</b> The Krotov–Hopfield memory (1) <math><mover><mi>y</mi><mo>˙</mo></mover><mo>=</mo><mi>W</mi><mi>g</mi><mo>(</mo><mi>y</mi><mo>)</mo><mo>−</mo><mi>y</mi><mo>+</mo><mi>b</mi></math> with <code>g = ∇L</code> and
Hessian <code>Λ = ∇²L</code>; the modified system (9) <math><mover><mi>y</mi><mo>˙</mo></mover><mo>=</mo><mi>R</mi><mo>(</mo><mi>y</mi><mo>)</mo><mo>(</mo><mi>W</mi><mi>g</mi><mo>(</mo><mi>y</mi><mo>)</mo><mo>−</mo><mi>y</mi><mo>+</mo><mi>b</mi><mo>)</mo></math>; the u-form (5)
<math><mover><mi>u</mi><mo>˙</mo></mover><mo>=</mo><mi>R</mi><mo>(</mo><mi>u</mi><mo>)</mo><mo>(</mo><mi>g</mi><mo>(</mo><mi>W</mi><mi>u</mi><mo>+</mo><mi>b</mi><mo>)</mo><mo>−</mo><mi>u</mi><mo>)</mo></math> with R = W (Example 5.1), the polar factor O of W = OP (Example 5.2),
I − WᵀΛ(Wu + b) (Examples 6–7) or I (no guarantee). Lagrangians: ReLU, sigmoid, softmax, tanh, the smooth leaky ReLU
<code>g(u) = u(5 + 3 erf(3u/8))/8</code> of Example 7, and the identity.</p>
<p><b>Energies.</b> KH (2) <math><mi>E</mi><mo>=</mo><msup><mrow><mo>(</mo><mi>y</mi><mo>−</mo><mi>b</mi><mo>)</mo></mrow><mi>T</mi></msup><mi>g</mi><mo>−</mo><mi>L</mi><mo>−</mo><mfrac><mn>1</mn><mn>2</mn></mfrac><msup><mi>g</mi><mi>T</mi></msup><mi>W</mi><mi>g</mi></math>; E3 (10) <math><msub><mi>E</mi><mn>3</mn></msub><mo>=</mo><mfrac><mn>1</mn><mn>2</mn></mfrac><msup><mrow><mo>‖</mo><mi>W</mi><mi>g</mi><mo>(</mo><mi>y</mi><mo>)</mo><mo>−</mo><mi>y</mi><mo>+</mo><mi>b</mi><mo>‖</mo></mrow><mn>2</mn></msup></math>; on the u-form E1, E2 and
<code>E3 = ½‖u − g(Wu + b)‖²</code> of Proposition 5. The status of every (dynamics, energy) pair — proven non-increasing or not — is
printed beside its monitor; increases larger than rounding (10⁻¹⁰ relative) are counted over every accepted step and marked red.</p>
<p><b>Where this lab departs from the printed text, and why.</b> (i) With R = I − WΛ as printed, E3 is <i>not</i> a Lyapunov function of (9):
<code>Ė3 = −fᵀ(I − WΛ)²f</code> takes both signs (the default system at (0.8, −0.4) gives Ė3 = +0.08; preset “(9) as printed”).
The transposed R = I − ΛWᵀ makes (9) the gradient flow of E3 (<code>dynamics=mod_t</code>); both are offered.
(ii) Proposition 4.3 prints <code>ỹ + P_d(Wg(ỹ) + b)</code>; the steady state is <code>P_a ỹ + P_d(Wg(ỹ) + b)</code> — both are computed,
with their residuals. (iii) Example 7 calls its energy E2; it is Proposition 5's E3 with S = I. Its note that Λ is not positive
definite does not hold for this g: g′ stays in [0.153, 1.097].</p>
<p><b>What to look for.</b> Flat regions (white wash): ‖∇E‖ ≤ flat_tol·‖F‖ while the flow moves — the KH energy cannot see the dead
directions (Proposition 1), E3 can. The modified dynamics keep the steady states of (1) but not their stability: for the default
system, the saddle of (1) at (1/3, 1/3) attracts under (9), since J = −R² there.</p>
<p><b>Dead neurons in N dimensions</b> (Section 3.2): at the steady state of (1), k = dim null Λ (eigenvalues ≤ dead_tol·max(1, λmax)),
<code>S = W⊥Λ⊥ − I</code> on the living directions, the full Jacobian WΛ − I, and the energy's Hessian on the range of Λ.
<b>Proposition 3</b>: ‖W⊥‖₂/‖W‖₂ for GOE W (diagonal N(0, 1), off-diagonal N(0, ½)) with k random neurons dead (W⊥ = principal
submatrix), ratio of Monte-Carlo means ± 2 standard errors against √(1 − k/N) and Chiani's finite-N mean of λ_max (μ_TW = −1.2065);
at small N − k the measured norm, max(|λ_min|, λ_max), sits slightly above that λ_max estimate.
<b>Appendix C</b>: ReLU memory with ρ(W) = 1 − ε: one fixed point, every trajectory within e^{−εt}‖y(0) − y*‖ of it.
<b>Example 7</b>: layered memory, non-symmetric blocks scaled to norm ½, ‖W‖₂ ≤ 1.</p>
<p><b>Numerics.</b> Trajectories use the integrator chosen (RK4 with step dt, or adaptive Dormand–Prince 5(4) with relative and absolute
tolerance tol); runs stop, and say so, on NaN/overflow, blow-up, vanishing steps or exhausted step budgets. The particles run RK4 with sub-steps ≤ 0.02:
on the GPU (WebGPU, f32, one compute dispatch for all particles per update, read back asynchronously) once the page's self-check has
verified WebGPU and the link does not say <code>backend=cpu</code>; otherwise on the CPU (WebAssembly, f64). The two agree within
10⁻⁵·(1 + |x|) per coordinate over a few frames (tested; f32 rounding, and erf by Abramowitz–Stegun 7.1.26: error ≤ 1.5·10⁻⁷ in exact
arithmetic). A particle whose step is
non-finite, unstable twice in a row (h·L &gt; 2.78) or implausibly long stops (red) and the rest keep going; a GPU error sends the
particles back to the CPU, and the status line says so. All transcendental functions of the CPU path come from <code>libm</code>, so the
page and the <code>hopfield</code> CLI agree; nalgebra's eigen-solvers may differ in the last bits between the two builds.</p>"#;

/// The dynamics named by the query.
pub fn dynamics(p: &Params) -> Dynamics {
    Dynamics::from_names(p.choice("dynamics"), p.choice("r"))
}

/// The 2-D system of the query.
pub fn plane_system(p: &Params) -> Result<System, SystemError> {
    plane_system_with(p, dynamics(p))
}

fn plane_system_with(p: &Params, d: Dynamics) -> Result<System, SystemError> {
    let w = vec![p.float("w11"), p.float("w12"), p.float("w21"), p.float("w22")];
    let b = vec![p.float("b1"), p.float("b2")];
    System::new(2, w, b, Lagrangian::from_name(p.choice("lagrangian")), d)
}

/// The view `[x_min, x_max, y_min, y_max]`.
pub fn extent(p: &Params) -> [f64; 4] {
    [p.float("xmin"), p.float("xmax"), p.float("ymin"), p.float("ymax")]
}

/// The integrator of the query.
pub fn method(p: &Params) -> Method {
    if p.choice("integrator") == "rk4" {
        Method::Rk4 { dt: p.float("dt") }
    } else {
        Method::Dopri { tol: p.float("tol") }
    }
}

fn invalid(e: impl std::fmt::Display) -> RunError {
    RunError::Invalid(e.to_string())
}

/// The `system` JSON block of the planar parts.
fn system_json(p: &Params, s: &System) -> serde_json::Value {
    json!({
        "n": 2,
        "w": [[s.w[0], s.w[1]], [s.w[2], s.w[3]]],
        "b": s.b,
        "lagrangian": s.lag,
        "dynamics": p.choice("dynamics"),
        "r": if s.dynamics.is_u() { Some(p.choice("r")) } else { None },
        "formula": s.dynamics.formula(),
        "state": if s.dynamics.is_u() { "u" } else { "y" },
        "symmetric": s.w[1] == s.w[2],
    })
}

fn num(x: f64) -> Cell {
    Cell::Num(x)
}

fn run<'a>(
    p: &'a Params,
    parts: &'a [&'a str],
    progress: &'a mut dyn Progress,
    _compute: &'a Compute,
) -> LabFuture<'a> {
    // Everything here runs on the CPU; the particle animation of the page calls
    // `particles::advect` or `particles::advect_gpu` directly (see `web::dense`).
    Box::pin(async move { run_cpu(p, parts, progress) })
}

#[derive(Serialize)]
struct TrajectoryOut<'a> {
    start: [f64; 2],
    /// First and second state coordinates at the stored states.
    x: Vec<f64>,
    y: Vec<f64>,
    #[serde(flatten)]
    rec: &'a trajectory::Recording,
}

fn run_cpu(p: &Params, parts: &[&str], progress: &mut dyn Progress) -> Result<Output, RunError> {
    let mut out = Output::default();
    // Read where used: a part that does not use it must not depend on it.
    let dead_tol = || p.float("dead_tol");
    if parts.contains(&"fixed_points") {
        let s = plane_system(p).map_err(invalid)?;
        let fp = fixed::find(&s, extent(p), FIXED_POINT_LATTICE, dead_tol());
        let mut table = Table {
            name: "fixed_points",
            columns: ["x", "y", "stability", "re1", "im1", "re2", "im2", "residual", "steady", "dead"]
                .map(String::from)
                .to_vec(),
            rows: Vec::new(),
        };
        for q in &fp.points {
            let e = q.eigenvalues;
            let stab = serde_json::to_value(q.stability).ok().and_then(|v| v.as_str().map(String::from));
            table.rows.push(vec![
                num(q.x[0]),
                num(q.x[1]),
                Cell::Text(stab.unwrap_or_default()),
                num(e[0].re),
                num(e[0].im),
                num(e[1].re),
                num(e[1].im),
                num(q.residual),
                Cell::Text(q.steady.to_string()),
                q.dead.into(),
            ]);
        }
        out.merge(json!({ "system": system_json(p, &s), "fixed_points": fp }));
        out.tables.push(table);
    }
    if parts.contains(&"landscape") {
        let s = plane_system(p).map_err(invalid)?;
        let opts = LandscapeOptions {
            extent: extent(p),
            grid: p.usize("grid"),
            flat_tol: p.float("flat_tol"),
            dead_tol: dead_tol(),
            streamlines: p.flag("streamlines"),
            levels: 14,
        };
        let l = landscape::landscape(
            &s,
            Energy::from_name(p.choice("energy")),
            Energy::from_name(p.choice("energy2")),
            &opts,
        );
        let g = l.grid;
        let frame = crate::plot::contour::GridFrame {
            rows: g,
            cols: g,
            x_left: opts.extent[0],
            x_right: opts.extent[1],
            y_top: opts.extent[3],
            y_bottom: opts.extent[2],
        };
        let mut table = Table {
            name: "landscape",
            columns: ["x", "y", "energy_a", "energy_b", "flat_a", "flat_b", "dead"]
                .map(String::from)
                .to_vec(),
            rows: Vec::with_capacity(g * g),
        };
        for r in 0..g {
            for c in 0..g {
                let k = r * g + c;
                let (x, y) = frame.point(r as f64, c as f64);
                table.rows.push(vec![
                    num(x),
                    num(y),
                    num(l.a.values[k]),
                    num(l.b.values[k]),
                    usize::from(l.a.flat[k]).into(),
                    usize::from(l.b.flat[k]).into(),
                    usize::from(l.dead[k]).into(),
                ]);
            }
        }
        out.merge(json!({ "system": system_json(p, &s), "landscape": l }));
        out.tables.push(table);
    }
    if parts.contains(&"trajectory") {
        let s = plane_system(p).map_err(invalid)?;
        let start = [p.float("x0"), p.float("y0")];
        let t_end = p.float("t_end");
        let limits = Limits { max_steps: MAX_RK4_STEPS as usize, blowup: 1e12, h_max: t_end / 200.0 };
        let rec = trajectory::record(
            &s,
            Energy::from_name(p.choice("energy")),
            &start,
            t_end,
            method(p),
            &limits,
            TRAJECTORY_POINTS,
        );
        let mut columns = vec!["t".to_string(), "x".into(), "y".into()];
        columns.extend(rec.energies.iter().map(|e| format!("energy_{}", e.energy.name())));
        let mut table = Table { name: "trajectory", columns, rows: Vec::new() };
        for (k, st) in rec.states.iter().enumerate() {
            let mut row = vec![num(rec.t[k]), num(st[0]), num(st[1])];
            row.extend(rec.energies.iter().map(|e| num(e.values[k])));
            table.rows.push(row);
        }
        let x = rec.states.iter().map(|v| v[0]).collect();
        let y = rec.states.iter().map(|v| v[1]).collect();
        out.merge(json!({
            "system": system_json(p, &s),
            "trajectory": TrajectoryOut { start, x, y, rec: &rec },
        }));
        out.tables.push(table);
    }
    if parts.contains(&"dead") {
        let (s, start) = if p.choice("nd_system") == "plane" {
            (plane_system_with(p, Dynamics::Kh).map_err(invalid)?, vec![p.float("x0"), p.float("y0")])
        } else {
            let n = p.usize("nd_n");
            let mut rng = seeded(p.seed(), 30);
            let scale = p.float("nd_scale") / (2.0 * n as f64).sqrt();
            let w: Vec<f64> = matrices::goe(&mut rng, n).iter().map(|v| v * scale).collect();
            let b = matrices::gaussian(&mut rng, n, p.float("nd_bias"));
            let start = matrices::gaussian(&mut seeded(p.seed(), 31), n, 1.0);
            (
                System::new(n, w, b, Lagrangian::from_name(p.choice("lagrangian")), Dynamics::Kh)
                    .map_err(invalid)?,
                start,
            )
        };
        let a = dead::analyse(&s, &start, p.float("t_end"), method(p), dead_tol()).map_err(invalid)?;
        let mut table = Table {
            name: "spectrum",
            columns: ["matrix", "re", "im"].map(String::from).to_vec(),
            rows: Vec::new(),
        };
        for (name, eigs) in [("S", &a.s_eigenvalues), ("jacobian", &a.jacobian_eigenvalues)] {
            for e in eigs {
                table.rows.push(vec![Cell::Text(name.into()), num(e.re), num(e.im)]);
            }
        }
        for &l in &a.lambda_eigenvalues {
            table.rows.push(vec![Cell::Text("lambda".into()), num(l), num(0.0)]);
        }
        for &l in &a.energy_hessian_range {
            table.rows.push(vec![Cell::Text("energy_hessian_range".into()), num(l), num(0.0)]);
        }
        out.merge(json!({
            "dead_neurons": {
                "system": p.choice("nd_system"),
                "lagrangian": s.lag,
                "w": if s.n <= 12 { Some(s.w.chunks(s.n).collect::<Vec<_>>()) } else { None },
                "b": s.b,
                "analysis": a,
            }
        }));
        out.tables.push(table);
    }
    if parts.contains(&"prop3") {
        let r =
            prop3::run(p.usize("p3_n"), p.usize("p3_trials"), p.usize("p3_points"), p.seed(), 1, progress);
        let mut table = Table {
            name: "prop3",
            columns: ["k", "k_over_n", "ratio", "stderr", "limit", "finite_n", "mean_of_ratios"]
                .map(String::from)
                .to_vec(),
            rows: Vec::new(),
        };
        for j in 0..r.k.len() {
            table.rows.push(vec![
                r.k[j].into(),
                num(r.k_over_n[j]),
                num(r.ratio[j]),
                num(r.stderr[j]),
                num(r.limit[j]),
                num(r.finite_n[j]),
                num(r.mean_of_ratios[j]),
            ]);
        }
        out.merge(json!({ "prop3": r }));
        out.tables.push(table);
    }
    if parts.contains(&"appc") {
        let c = appc::run(
            p.usize("c_n"),
            p.float("eps"),
            p.usize("c_starts"),
            p.float("c_t"),
            method(p),
            p.seed(),
            progress,
        )
        .map_err(invalid)?;
        let mut table = Table {
            name: "appendix_c",
            columns: ["start", "t", "distance", "bound"].map(String::from).to_vec(),
            rows: Vec::new(),
        };
        for (i, path) in c.paths.iter().enumerate() {
            let d0 = path.distance.first().copied().unwrap_or(0.0);
            for (k, &t) in path.t.iter().enumerate() {
                table.rows.push(vec![
                    i.into(),
                    num(t),
                    num(path.distance[k]),
                    num(d0 * libm::exp(-c.eps * t)),
                ]);
            }
        }
        out.merge(json!({ "appendix_c": c }));
        out.tables.push(table);
    }
    if parts.contains(&"ex7") {
        let e = ex7::run(
            p.usize("e7_layers"),
            p.usize("e7_width"),
            p.usize("e7_starts"),
            p.float("e7_t"),
            method(p),
            p.seed(),
            progress,
        )
        .map_err(invalid)?;
        let mut table = Table {
            name: "example7",
            columns: ["r", "start", "t", "energy"].map(String::from).to_vec(),
            rows: Vec::new(),
        };
        for set in &e.runs {
            for (i, c) in set.curves.iter().enumerate() {
                for (k, &t) in c.t.iter().enumerate() {
                    table.rows.push(vec![Cell::Text(set.r.into()), i.into(), num(t), num(c.energy[k])]);
                }
            }
        }
        out.merge(json!({ "example7": e }));
        out.tables.push(table);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::from_query;
    use crate::labs::NoProgress;

    fn params(q: &str) -> Params {
        from_query(&format!("lab=dense&{q}")).state().expect("dense").params
    }

    #[test]
    fn every_part_runs_with_small_settings() {
        let p = params("grid=24&p3_n=20&p3_trials=3&c_starts=3&e7_starts=2&nd_n=8&streamlines=1");
        let out = run_cpu(
            &p,
            &["fixed_points", "landscape", "trajectory", "dead", "prop3", "appc", "ex7"],
            &mut NoProgress,
        )
        .expect("runs");
        for key in [
            "system",
            "fixed_points",
            "landscape",
            "trajectory",
            "dead_neurons",
            "prop3",
            "appendix_c",
            "example7",
        ] {
            assert!(out.json.contains_key(key), "{key}");
        }
        let names: Vec<&str> = out.tables.iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            ["fixed_points", "landscape", "trajectory", "spectrum", "prop3", "appendix_c", "example7"]
        );
        assert_eq!(out.json["fixed_points"]["points"].as_array().map(Vec::len), Some(3));
        assert_eq!(out.json["landscape"]["a"]["values"].as_array().map(Vec::len), Some(24 * 24));
    }

    #[test]
    fn energies_are_fitted_to_the_dynamics() {
        let parsed = from_query("lab=dense&dynamics=u&energy=kh&energy2=e3");
        let p = parsed.state().expect("dense").params;
        assert_eq!(p.choice("energy"), "e1");
        assert_eq!(parsed.notices.len(), 1);
        let parsed = from_query("lab=dense&dynamics=kh&energy=e2&energy2=e1");
        let p = parsed.state().expect("dense").params;
        assert_eq!((p.choice("energy"), p.choice("energy2")), ("kh", "kh"));
    }

    #[test]
    fn views_and_steps_are_made_consistent() {
        let parsed = from_query("lab=dense&xmin=2&xmax=-1&ymin=4&ymax=4&integrator=rk4&dt=0.0001&t_end=1000");
        let p = parsed.state().expect("dense").params;
        assert_eq!(extent(&p), [-1.0, 2.0, 4.0, 5.0]);
        assert!((p.float("t_end") / p.float("dt")).ceil() <= MAX_RK4_STEPS);
        assert_eq!(parsed.notices.len(), 3);
        let again = from_query(&parsed.state().expect("dense").to_query());
        assert!(again.notices.is_empty(), "{:?}", again.notices);
    }

    /// RK4 runs of Appendix C (and Example 7, and the dead-neuron run) have a budget of
    /// 200 000 steps; only the trajectory's ceil(t_end/dt) was checked, so with c_t = 201
    /// and dt = 0.001 the Appendix C paths ran out of steps at t = 200 and stopped. Now `dt`
    /// is raised up front, with a notice naming the limit, and they reach c_t.
    #[test]
    fn dense_rk4_c_t_201_dt_0_001_raises_dt_instead_of_running_out_of_steps() {
        let parsed = from_query("lab=dense&integrator=rk4&dt=0.001&c_t=201&c_n=2&c_starts=1");
        let p = parsed.state().expect("dense").params;
        assert!(integrate::rk4_steps(201.0, p.float("dt")) <= integrate::MAX_STEPS);
        // The shortest number within 1% above the boundary 201/200 000 = 0.001005.
        assert_eq!(p.float("dt"), 0.00101);
        assert_eq!(parsed.notices.len(), 1);
        assert!(
            parsed.notices[0].message.contains("ceil(c_t/dt) would be 201000, beyond its limit of 200000"),
            "{}",
            parsed.notices[0].message
        );
        let out = run_cpu(&p, &["appc"], &mut NoProgress).expect("runs");
        assert_eq!(out.json["appendix_c"]["paths"][0]["stop"], "finished");
        // Dormand–Prince does not read dt: nothing to clamp.
        assert!(from_query("lab=dense&dt=0.0001&c_t=2000").notices.is_empty());
    }

    #[test]
    fn bad_input_stops_the_trajectory_and_says_so() {
        // A huge stiff W with a coarse RK4 step: the run stops, its points stay finite.
        let p = params("lagrangian=identity&w11=-1000&w12=0&w21=0&w22=-1000&integrator=rk4&dt=0.01");
        let out = run_cpu(&p, &["trajectory"], &mut NoProgress).expect("runs");
        let t = &out.json["trajectory"];
        assert_ne!(t["stats"]["stop"], "finished");
        assert!(t["stop_reason"].as_str().is_some_and(|s| s.starts_with("stopped")));
        // The adaptive integrator copes with the same system.
        let p = params("lagrangian=identity&w11=-1000&w12=0&w21=0&w22=-1000&integrator=dopri&t_end=2");
        let out = run_cpu(&p, &["trajectory"], &mut NoProgress).expect("runs");
        assert_eq!(out.json["trajectory"]["stats"]["stop"], "finished");
    }
}
