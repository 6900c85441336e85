//! The dense lab's figures: the phase portrait over two energies (with the live particle
//! layer), the Lyapunov monitor, the fixed points, the dead-neuron analysis, Proposition 3
//! (growing trial by trial), Appendix C and Example 7. Built only from the [`View`], so
//! the page and `hopfield run … --figure NAME` draw the same figure.

use super::super::{FigureDef, View, field, num, nums};
use crate::plot::figure::{
    Axis, Body, Cmap, Control, DataTable, Figure, LegendPos, Mark, Panel, Pixels, PlaneClick, Plot, Readout,
    Shape, Style, Table,
};
use crate::plot::scene::{Color, PALETTE, WHITE};
use crate::plot::ticks::{self, number};
use serde_json::Value as Json;

const BLUE: Color = PALETTE[0];
const RED: Color = Color::rgb(214, 39, 40);
const GREEN: Color = Color::rgb(44, 160, 44);
const GREY: Color = Color::rgb(120, 120, 120);
/// The trajectory and its start (readable over viridis).
const ORANGE: Color = Color::rgb(255, 127, 14);
/// Zeros of R that are not steady states.
const AMBER: Color = Color::rgb(240, 162, 2);
const DARK: Color = Color::rgb(17, 17, 17);

/// The live layer drawn over the left map (`www/js/live/particles.js`).
pub const PARTICLES: &str = "particles";

pub const FIGURES: &[FigureDef] = &[
    FigureDef {
        name: "portrait",
        title: "Phase portrait over two energies",
        parts: &["landscape", "fixed_points", "trajectory"],
        ui: &[],
        build: portrait,
    },
    FigureDef {
        name: "monitor",
        title: "Lyapunov monitor: the energies along the trajectory",
        parts: &["trajectory"],
        ui: &[],
        build: monitor,
    },
    FigureDef {
        name: "fixed",
        title: "Fixed points (Levenberg–Marquardt on f and on F from a 15 × 15 lattice) and their Jacobian eigenvalues",
        parts: &["fixed_points"],
        ui: &[],
        build: fixed,
    },
    FigureDef {
        name: "dead",
        title: "Dead neurons at a steady state in N dimensions (Sec. 3.2, Prop. 4)",
        parts: &["dead"],
        ui: &[],
        build: dead,
    },
    FigureDef {
        name: "prop3",
        title: "Proposition 3: ‖W⊥‖₂ / ‖W‖₂ for GOE W against √(1 − k/N)",
        parts: &["prop3"],
        ui: &[],
        build: prop3,
    },
    FigureDef {
        name: "appc",
        title: "Appendix C: ρ(W) = 1 − ε, one fixed point",
        parts: &["appc"],
        ui: &[],
        build: appc,
    },
    FigureDef {
        name: "ex7",
        title: "Example 7: layered smooth-leaky-ReLU memory, non-symmetric W",
        parts: &["ex7"],
        ui: &[],
        build: ex7,
    },
];

fn text(j: &Json, path: &str) -> String {
    field(j, path).as_str().unwrap_or("").to_string()
}

fn count(j: &Json, path: &str) -> usize {
    let x = num(field(j, path));
    if x.is_finite() && x >= 0.0 { x as usize } else { 0 }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A complex number as text (`a ± bi`, or `a` when real).
fn complex(c: &Json) -> String {
    let (re, im) = (num(field(c, "re")), num(field(c, "im")));
    if im.abs() < 1e-14 {
        number(re)
    } else {
        format!("{} {} {}i", number(re), if im < 0.0 { "−" } else { "+" }, number(im.abs()))
    }
}

/// Curves `(x, y)` as one series, broken by a NaN between them.
fn joined<'a>(curves: impl Iterator<Item = (Vec<f64>, Vec<f64>)> + 'a) -> (Vec<f64>, Vec<f64>) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (x, y) in curves {
        if !xs.is_empty() {
            xs.push(f64::NAN);
            ys.push(f64::NAN);
        }
        xs.extend(x);
        ys.extend(y);
    }
    (xs, ys)
}

/// The guarantee of an energy as one phrase.
fn guarantee(g: &Json) -> String {
    let reason = text(g, "reason");
    if field(g, "proven") == &Json::Bool(true) {
        format!("✓ proven: {reason}")
    } else {
        format!("✗ not proven: {reason}")
    }
}

// ---------------------------------------------------------------------------
// Phase portrait

/// The short name of an energy (colour bars, monitor axes).
fn short(energy: &str) -> String {
    if energy == "kh" { "E (KH)".into() } else { energy.to_uppercase() }
}

/// Colour-bar ticks of a map coloured by √E over `[√lo, √hi]`, labelled in E: round
/// values of E (1-2-5 steps, finer towards 0 where √ stretches), about evenly spread in √E.
fn sqrt_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let (elo, ehi) = (lo * lo, hi * hi);
    let mut cands: Vec<f64> = Vec::new();
    for div in [1.0, 4.0, 16.0, 64.0] {
        if ehi / div > elo {
            cands.extend(ticks::linear(elo, ehi / div, 8).into_iter().map(|(v, _)| v));
        }
    }
    cands.retain(|v| v.is_finite() && *v >= elo && *v <= ehi);
    cands.sort_by(|a, b| b.total_cmp(a));
    cands.dedup();
    let gap = (hi - lo) / 5.5;
    let mut picked: Vec<f64> = Vec::new();
    for v in cands {
        if picked.iter().all(|p| (p.sqrt() - v.sqrt()).abs() >= gap) {
            picked.push(v);
        }
    }
    picked.reverse();
    let labels = ticks::format_all(&picked);
    picked.iter().map(|e| e.sqrt()).zip(labels).collect()
}

/// One energy map: the heatmap (grid points at the edges of the view, so cells reach half
/// a cell past them), its flat regions washed white, its level sets, and its colour bar.
fn energy_plot(m: &Json, g: usize, ext: [f64; 4], axes: (&str, &str)) -> Plot {
    let [x0, x1, y0, y1] = ext;
    let sqrt = text(m, "color_scale") == "sqrt";
    let tf = |v: f64| if sqrt { v.max(0.0).sqrt() } else { v };
    let values: Vec<f64> = nums(field(m, "values")).into_iter().map(tf).collect();
    let (mut lo, mut hi) = (tf(num(field(m, "lo"))), tf(num(field(m, "hi"))));
    if !(lo.is_finite() && hi.is_finite()) {
        let fin = values.iter().copied().filter(|v| v.is_finite());
        lo = fin.clone().fold(f64::INFINITY, f64::min);
        hi = fin.fold(f64::NEG_INFINITY, f64::max);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    }
    if hi <= lo {
        (lo, hi) = (lo - 0.5, lo + 0.5);
    }
    let (dx, dy) = ((x1 - x0) / (g - 1) as f64, (y1 - y0) / (g - 1) as f64);
    let extent = [x0 - dx / 2.0, x1 + dx / 2.0, y0 - dy / 2.0, y1 + dy / 2.0];
    let px = |values: Vec<f64>, cmap: Cmap| Pixels { rows: g, cols: g, values, cmap, domain: [lo, hi] };
    let flat: Vec<f64> = nums(field(m, "flat"));
    let segs: Vec<[f64; 4]> = field(m, "contours")
        .as_array()
        .map(|levels| {
            levels
                .iter()
                .flat_map(|l| nums(l).chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]).collect::<Vec<_>>())
                .collect()
        })
        .unwrap_or_default();
    let energy = text(m, "energy");
    let mut plot = Plot::new(Axis::new(axes.0).domain(x0, x1), Axis::new(axes.1).domain(y0, y1))
        .mark(Mark::Heatmap {
            pixels: px(values, Cmap::Viridis),
            extent,
            click: Default::default(),
            smooth: false,
        })
        .mark(Mark::Heatmap {
            pixels: px(flat, Cmap::Wash),
            extent,
            click: Default::default(),
            smooth: false,
        })
        .mark(Mark::Segments { segs, color: Color::rgb(0, 0, 0).alpha(0.42), width: 0.8 })
        .height(340.0);
    plot.x.grid = false;
    plot.y.grid = false;
    if sqrt {
        plot = plot
            .colorbar(Cmap::Viridis, [lo, hi], format!("{} (colour ∝ √{})", short(&energy), short(&energy)))
            .colorbar_ticks(sqrt_ticks(lo, hi));
    } else {
        plot = plot.colorbar(Cmap::Viridis, [lo, hi], short(&energy));
    }
    // Phase planes keep their shape unless the view is very elongated.
    let ratio = (y1 - y0) / (x1 - x0);
    plot.equal = (1.0 / 3.0..=3.0).contains(&ratio);
    plot
}

/// Fixed points by kind: stable ●, unstable ○, marginal ◐, zeros of R only ■.
fn fixed_marks(points: &[Json]) -> Vec<Mark> {
    let kinds =
        [("stable", Shape::Disc, WHITE), ("unstable", Shape::Circle, DARK), ("marginal", Shape::Half, WHITE)];
    let mut out = Vec::new();
    let pick = |f: &dyn Fn(&Json) -> bool| -> (Vec<f64>, Vec<f64>) {
        points.iter().filter(|p| f(p)).map(|p| (num(field(p, "x.0")), num(field(p, "x.1")))).unzip()
    };
    for (stab, shape, color) in kinds {
        let (x, y) = pick(&|p| field(p, "steady") == &Json::Bool(true) && text(p, "stability") == stab);
        if !x.is_empty() {
            out.push(Mark::Markers { x, y, shape, size: 5.5, color, label: stab.into() });
        }
    }
    let (x, y) = pick(&|p| field(p, "steady") != &Json::Bool(true));
    if !x.is_empty() {
        out.push(Mark::Markers {
            x,
            y,
            shape: Shape::Block,
            size: 5.0,
            color: AMBER,
            label: "zero of R only (not a steady state)".into(),
        });
    }
    out
}

/// W and b as numbers dragged sideways above the maps.
fn drag_wb() -> Control {
    Control::Drag {
        template: "W = [{w11} {w12} ; {w21} {w22}]    b = ({b1}, {b2})".into(),
        hint: "drag a number sideways (particles follow live; the maps update on release)".into(),
    }
}

fn portrait(v: &View) -> Figure {
    let (name, title) = ("portrait", "Phase portrait over two energies");
    if !v.has("landscape") {
        return Figure::empty(
            name,
            title,
            "The two energy maps — level sets, flat regions, fixed points, the trajectory and the moving particles — appear here once the landscape is computed (about a second).",
        )
        .control(drag_wb());
    }
    let l = v.get("landscape");
    let g = count(l, "grid");
    let e = nums(field(l, "extent"));
    if g < 2 || e.len() != 4 || e.iter().any(|x| !x.is_finite()) || e[1] <= e[0] || e[3] <= e[2] {
        return Figure::empty(
            name,
            title,
            "The landscape arrived without a usable grid; change a parameter to compute it again.",
        )
        .control(drag_wb());
    }
    let ext = [e[0], e[1], e[2], e[3]];
    let system = v.get("system");
    let axes = if text(system, "state") == "u" { ("u₁", "u₂") } else { ("y₁", "y₂") };
    let streams = field(l, "streamlines").as_array().cloned().unwrap_or_default();
    let (sx, sy) = joined(streams.iter().map(|s| {
        let d = nums(s);
        (d.iter().step_by(2).copied().collect(), d.iter().skip(1).step_by(2).copied().collect())
    }));
    let traj = v.has("trajectory").then(|| v.get("trajectory"));
    let points = if v.has("fixed_points") {
        field(v.get("fixed_points"), "points").as_array().cloned().unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut fig = Figure::new(name, title).columns(2).control(drag_wb());
    // Hovering either map reads both energies and the dead-neuron count at the nearest grid point.
    let readout: Vec<(String, Vec<f64>)> = ["a", "b"]
        .iter()
        .map(|k| (short(&text(field(l, k), "energy")), nums(field(field(l, k), "values"))))
        .chain(std::iter::once(("dead neurons k".to_string(), nums(field(l, "dead")))))
        .collect();
    for (i, key) in ["a", "b"].into_iter().enumerate() {
        let m = field(l, key);
        let mut plot = energy_plot(m, g, ext, axes);
        if !sx.is_empty() {
            plot =
                plot.series("", sx.clone(), sy.clone(), Style::line(0).color(WHITE.alpha(0.55)).width(0.8));
        }
        // The particles move over the map; the trajectory and the fixed points stay on top.
        if i == 0 {
            plot = plot.mark(Mark::Live { kind: PARTICLES.into() });
        }
        if let Some(t) = traj {
            plot = plot
                .series(
                    "trajectory",
                    nums(field(t, "x")),
                    nums(field(t, "y")),
                    Style::line(0).color(ORANGE).width(2.2),
                )
                .mark(Mark::Markers {
                    x: vec![num(field(t, "start.0"))],
                    y: vec![num(field(t, "start.1"))],
                    shape: Shape::Dot,
                    size: 4.0,
                    color: ORANGE,
                    label: "start (click a map to move it)".into(),
                });
        }
        for mk in fixed_marks(&points) {
            plot = plot.mark(mk);
        }
        if i == 0 {
            plot = plot.legend(LegendPos::None);
        } else {
            plot = plot.legend(LegendPos::Below);
        }
        plot.click = Some(PlaneClick::Set { x_key: "x0".into(), y_key: "y0".into(), drag: false, digits: 4 });
        plot.readout = Some(Readout { rows: g, cols: g, extent: ext, layers: readout.clone() });
        let label = text(m, "label");
        fig = fig.plot(if i == 0 { format!("{label} · particles") } else { label }, plot);
    }
    fig = fig.caption(format!(
        "{}{}.",
        text(system, "formula"),
        if field(system, "symmetric") == &Json::Bool(true) { ", W symmetric" } else { ", W not symmetric" }
    ));
    for (side, key) in [("Left", "a"), ("Right", "b")] {
        let m = field(l, key);
        fig = fig.caption(format!(
            "{side}: {} — {}; flat on {}% of the view.",
            text(m, "label"),
            if field(m, "guarantee.proven") == &Json::Bool(true) {
                "non-increasing along these dynamics (proven)"
            } else {
                "no guarantee along these dynamics"
            },
            number(100.0 * num(field(m, "flat_fraction")))
        ));
    }
    fig = fig.caption(
        "Markers: ● stable, ○ unstable, ◐ marginal, ■ zero of R only (not a steady state); white wash: flat (‖∇E‖ ≤ flat_tol·‖F‖); orange: the trajectory (click a map to move its start); particles: white moving, red stopped.",
    );
    fig.data = Some(landscape_table(l, g, ext));
    fig
}

/// The maps as a table: one row per grid point.
fn landscape_table(l: &Json, g: usize, [x0, x1, y0, y1]: [f64; 4]) -> DataTable {
    let (a, b) = (field(l, "a"), field(l, "b"));
    let cols = [
        nums(field(a, "values")),
        nums(field(b, "values")),
        nums(field(a, "flat")),
        nums(field(b, "flat")),
        nums(field(l, "dead")),
    ];
    let cell = |v: f64| if v.is_finite() { format!("{v}") } else { String::new() };
    let mut rows = Vec::with_capacity(g * g);
    for r in 0..g {
        for c in 0..g {
            let k = r * g + c;
            let x = x0 + c as f64 / (g - 1) as f64 * (x1 - x0);
            let y = y1 - r as f64 / (g - 1) as f64 * (y1 - y0);
            let mut row = vec![cell(x), cell(y)];
            row.extend(cols.iter().map(|col| cell(col.get(k).copied().unwrap_or(f64::NAN))));
            rows.push(row);
        }
    }
    let name = |m: &Json| format!("energy_{}", text(m, "energy"));
    DataTable {
        columns: vec![
            "x".into(),
            "y".into(),
            name(a),
            name(b),
            "flat_a".into(),
            "flat_b".into(),
            "dead".into(),
        ],
        rows,
    }
}

// ---------------------------------------------------------------------------
// Lyapunov monitor

fn monitor(v: &View) -> Figure {
    let (name, title) = ("monitor", "Lyapunov monitor: the energies along the trajectory");
    if !v.has("trajectory") {
        return Figure::empty(
            name,
            title,
            "Every energy along the trajectory, with any increase marked, appears here once the trajectory is computed (under a second).",
        );
    }
    let tr = v.get("trajectory");
    let t = nums(field(tr, "t"));
    let stats = field(tr, "stats");
    let dopri = text(tr, "method.method") == "dopri";
    let mut fig = Figure::new(name, title).columns(2).caption(format!(
        "Trajectory from ({}, {}): {} — {} steps{}, {} evaluations; {} at t = {}; ‖f‖ at the end = {}.",
        number(num(field(tr, "start.0"))),
        number(num(field(tr, "start.1"))),
        text(tr, "integrator"),
        count(stats, "steps"),
        if dopri { format!(" ({} rejected)", count(stats, "rejected")) } else { String::new() },
        count(stats, "evals"),
        text(tr, "stop_reason"),
        number(num(field(stats, "t"))),
        number(num(field(tr, "final_residual")))
    ));
    let energies = field(tr, "energies").as_array().cloned().unwrap_or_default();
    for (i, e) in energies.iter().enumerate() {
        let n = count(e, "increase_count");
        let inc = field(e, "increases").as_array().cloned().unwrap_or_default();
        let label = text(e, "label");
        let energy = text(e, "energy");
        let chosen = if i == 0 { ", chosen" } else { "" };
        let head = if n > 0 {
            format!(
                "{}{chosen} — {} (largest {})",
                short(&energy),
                plural(n, "increase", "increases"),
                number(num(field(e, "largest_increase")))
            )
        } else {
            format!("{}{chosen} — never increases here", short(&energy))
        };
        let mut plot = Plot::new(Axis::new("t"), Axis::new(short(&energy)))
            .series(short(&energy), t.clone(), nums(field(e, "values")), Style::line(0))
            .height(170.0);
        if !inc.is_empty() {
            plot = plot.mark(Mark::Markers {
                x: inc.iter().map(|q| num(field(q, "t"))).collect(),
                y: inc.iter().map(|q| num(field(q, "energy"))).collect(),
                shape: Shape::Dot,
                size: 3.0,
                color: RED,
                label: "increase".into(),
            });
        }
        fig = fig.plot(head, plot).caption(format!(
            "{}{}: {label}: {}",
            short(&energy),
            if n > 0 { format!(" rose {}", plural(n, "time", "times")) } else { String::new() },
            guarantee(field(e, "guarantee"))
        ));
    }
    fig
}

// ---------------------------------------------------------------------------
// Fixed points

fn fixed(v: &View) -> Figure {
    let (name, title) = ("fixed", FIGURES[2].title);
    if !v.has("fixed_points") {
        return Figure::empty(
            name,
            title,
            "The fixed points in the view, their Jacobian eigenvalues and stability appear here once they are found (under a second).",
        );
    }
    let fp = v.get("fixed_points");
    let points = field(fp, "points").as_array().cloned().unwrap_or_default();
    // One column per energy defined on the state space (the same at every point).
    let names: Vec<String> = points
        .first()
        .and_then(|p| field(p, "energies").as_object())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let rows = points
        .iter()
        .map(|p| {
            let stab = text(p, "stability");
            let eig = field(p, "eigenvalues")
                .as_array()
                .map(|e| e.iter().map(complex).collect::<Vec<_>>().join(", "));
            let mut row = vec![
                format!("({}, {})", number(num(field(p, "x.0"))), number(num(field(p, "x.1")))),
                eig.unwrap_or_default(),
                if field(p, "steady") == &Json::Bool(true) {
                    stab
                } else {
                    format!("{stab} (zero of R, ‖f‖ = {})", number(num(field(p, "residual"))))
                },
                count(p, "dead").to_string(),
            ];
            row.extend(names.iter().map(|k| number(num(field(field(p, "energies"), k)))));
            row
        })
        .collect();
    let mut columns: Vec<String> =
        ["state", "eigenvalues of J", "stability", "dead k"].map(String::from).to_vec();
    columns.extend(names.iter().map(|k| short(k)));
    let table = Table { columns, rows, highlight: Vec::new() };
    let n = points.len();
    Figure::new(name, title).panel(Panel { title: String::new(), body: Body::Table(table) }).caption(format!(
        "{}. {} found in the view ± 20% ({} of {} searches converged){}.",
        text(v.get("system"), "formula"),
        plural(n, "fixed point", "fixed points"),
        count(fp, "converged"),
        count(fp, "starts"),
        if field(fp, "truncated") == &Json::Bool(true) {
            "; more exist (a continuum?) — only the first 40 are listed"
        } else {
            ""
        }
    ))
}

// ---------------------------------------------------------------------------
// Dead neurons

fn dead(v: &View) -> Figure {
    let (name, title) = ("dead", FIGURES[3].title);
    if !v.has("dead") {
        return Figure::empty(
            name,
            title,
            "The dead neurons at a steady state (k, S and its eigenvalues, the energy's Hessian, Proposition 4.3) appear here once the N-dimensional run ends (about a second).",
        );
    }
    let d = v.get("dead_neurons");
    let a = field(d, "analysis");
    let n = count(a, "n");
    let k = count(a, "k");
    let goe = text(d, "system") == "goe";
    let re = |path: &str| -> Vec<f64> {
        field(a, path).as_array().map(|e| e.iter().map(|c| num(field(c, "re"))).collect()).unwrap_or_default()
    };
    let im = |path: &str| -> Vec<f64> {
        field(a, path).as_array().map(|e| e.iter().map(|c| num(field(c, "im"))).collect()).unwrap_or_default()
    };
    let max_re = |path: &str| re(path).into_iter().fold(f64::NAN, f64::max);
    let all_dead = nums(field(a, "dead_neurons"));
    let listed = if all_dead.is_empty() {
        String::new()
    } else {
        let shown: Vec<String> = all_dead.iter().take(30).map(|x| number(*x)).collect();
        format!(" (neurons {}{})", shown.join(", "), if all_dead.len() > 30 { ", …" } else { "" })
    };
    let lines = vec![
        format!(
            "{} ({}), ‖W‖₂ = {}; (1) integrated from {} with {}: {}; {} Newton steps; ‖f‖ = {} — {}.",
            if goe { format!("Random GOE system, N = {n}") } else { "The 2-D system above".to_string() },
            text(d, "lagrangian"),
            number(num(field(a, "w_norm"))),
            if goe {
                "a random start".to_string()
            } else {
                format!(
                    "the start ({}, {})",
                    number(num(field(a, "start.0"))),
                    number(num(field(a, "start.1")))
                )
            },
            text(a, "integrator"),
            text(a, "stop_reason"),
            count(a, "newton_steps"),
            number(num(field(a, "residual"))),
            if field(a, "converged") == &Json::Bool(true) {
                "a steady state"
            } else {
                "NOT a steady state (the analysis below is at the end point)"
            }
        ),
        format!(
            "k = dim null Λ = {k} dead of {n}{listed}; ‖W⊥‖₂ = {}, ratio {} (√(1 − k/N) = {}).",
            number(num(field(a, "w_perp_norm"))),
            number(num(field(a, "norm_ratio"))),
            number(num(field(a, "sqrt_one_minus_k_over_n")))
        ),
        format!(
            "S = W⊥Λ⊥ − I ({0} × {0}): {1}, max Re λ = {2}. Full Jacobian WΛ − I: {3}, max Re λ = {4}. Energy Hessian on the range of Λ: {5}.",
            n.saturating_sub(k),
            text(a, "s_stability"),
            number(max_re("s_eigenvalues")),
            text(a, "jacobian_stability"),
            number(max_re("jacobian_eigenvalues")),
            if field(a, "energy_predicts_stable") == &Json::Bool(true) {
                "positive definite — predicts stability"
            } else {
                "not positive definite"
            }
        ),
    ];
    let spectrum = Plot::new(Axis::new("Re λ"), Axis::new("Im λ"))
        .mark(Mark::Markers {
            x: re("jacobian_eigenvalues"),
            y: im("jacobian_eigenvalues"),
            shape: Shape::Dot,
            size: 3.5,
            color: Color::rgb(153, 153, 153),
            label: "WΛ − I".into(),
        })
        .mark(Mark::Markers {
            x: re("s_eigenvalues"),
            y: im("s_eigenvalues"),
            shape: Shape::Dot,
            size: 3.0,
            color: RED,
            label: "S = W⊥Λ⊥ − I".into(),
        })
        .vline(0.0, "Re λ = 0", Color::rgb(51, 51, 51))
        .height(220.0);
    let row = |from: &str, p: &Json| {
        vec![
            from.to_string(),
            number(num(field(p, "gradient_norm"))),
            number(num(field(p, "residual_at_minimum"))),
            number(num(field(p, "recovered_residual"))),
            number(num(field(p, "printed_residual"))),
            format!(
                "{} / {}",
                number(num(field(p, "energy_at_minimum"))),
                number(num(field(p, "energy_at_recovered")))
            ),
            number(num(field(p, "distance_to_state"))),
        ]
    };
    let table = Table {
        columns: [
            "from",
            "‖∇E(ỹ)‖",
            "‖f(ỹ)‖",
            "‖f‖ recovered",
            "‖f‖ printed",
            "E(ỹ) / E(recovered)",
            "‖recovered − y*‖",
        ]
        .map(String::from)
        .to_vec(),
        rows: vec![
            row("flat region through y*", field(a, "prop43_flat")),
            row("start of (1)", field(a, "prop43_start")),
        ],
        highlight: Vec::new(),
    };
    Figure::new(name, title)
        .panel(Panel { title: String::new(), body: Body::Text { lines } })
        .plot("Eigenvalues at the steady state", spectrum)
        .panel(Panel { title: "Proposition 4.3: recovering the steady state from an energy minimum".into(), body: Body::Table(table) })
        .caption("Proposition 4.3: minimise the KH energy by its gradient flow to ỹ, then recover y = P_a ỹ + P_d(Wg(ỹ) + b) (and the printed ỹ + P_d(Wg(ỹ) + b)). Residuals are ‖f‖ = ‖Wg − y + b‖.")
}

// ---------------------------------------------------------------------------
// Proposition 3

fn prop3(v: &View) -> Figure {
    let (name, title) = ("prop3", FIGURES[4].title);
    let piece;
    let p = if v.has("prop3") {
        v.get("prop3")
    } else if let Some(last) = v.pieces("prop3").last() {
        piece = last.clone();
        &piece
    } else {
        let msg = match v.progress("prop3") {
            Some((d, t)) => {
                format!("Drawing GOE matrices: {d} of {t} trials done; the curve appears after the first.")
            }
            None => format!(
                "The ratio ‖W⊥‖₂/‖W‖₂ against k/N, with its ±2 standard-error band, grows here trial by trial ({} GOE matrices of N = {}).",
                v.params.usize("p3_trials"),
                v.params.usize("p3_n")
            ),
        };
        return Figure::empty(name, title, msg);
    };
    let x = nums(field(p, "k_over_n"));
    let ratio = nums(field(p, "ratio"));
    let se: Vec<f64> =
        nums(field(p, "stderr")).into_iter().map(|s| if s.is_finite() { s } else { 0.0 }).collect();
    let limit = nums(field(p, "limit"));
    let lo: Vec<f64> = ratio.iter().zip(&se).map(|(r, s)| r - 2.0 * s).collect();
    let hi: Vec<f64> = ratio.iter().zip(&se).map(|(r, s)| r + 2.0 * s).collect();
    let (done, trials, n) = (count(p, "done"), count(p, "trials"), count(p, "n"));
    let plot = Plot::new(Axis::new(format!("k/N (N = {n})")), Axis::new("‖W⊥‖₂ / ‖W‖₂").domain(0.0, 1.05))
        .mark(Mark::Band { x: x.clone(), lo, hi, color: BLUE, label: "± 2 standard errors".into() })
        .series("√(1 − k/N)", x.clone(), limit.clone(), Style::line(0).color(RED))
        .series(
            "finite-N (Chiani)",
            x.clone(),
            nums(field(p, "finite_n")),
            Style::line(0).color(GREEN).dashed(),
        )
        .series(format!("Monte Carlo ({done} of {trials} trials)"), x, ratio.clone(), Style::points(0))
        .height(260.0);
    let worst = ratio
        .iter()
        .zip(&limit)
        .zip(&se)
        .filter(|(_, s)| **s > 0.0)
        .map(|((r, l), s)| (r - l).abs() / s)
        .fold(0.0, f64::max);
    Figure::new(name, title).plot("", plot).caption(format!(
        "{done} of {trials} GOE matrices of N = {n}; k random neurons dead, W⊥ the principal submatrix on the others. Largest gap to √(1 − k/N): {} standard errors.",
        number(worst)
    ))
}

// ---------------------------------------------------------------------------
// Appendix C

fn appc(v: &View) -> Figure {
    let (name, title) = ("appc", FIGURES[5].title);
    if !v.has("appc") {
        return Figure::empty(
            name,
            title,
            "Every trajectory of the ReLU memory with ρ(W) = 1 − ε meeting its one fixed point inside the e^(−εt) bound appears here once they are integrated (a few seconds).",
        );
    }
    let c = v.get("appendix_c");
    let paths = field(c, "paths").as_array().cloned().unwrap_or_default();
    let n = count(c, "n");
    let eps = num(field(c, "eps"));
    let (px, py) = joined(paths.iter().map(|p| (nums(field(p, "x")), nums(field(p, "y")))));
    let fx = num(field(c, "fixed_point.0"));
    let fy = if n > 1 { num(field(c, "fixed_point.1")) } else { 0.0 };
    let plane = Plot::new(Axis::new("y₁"), Axis::new(if n > 1 { "y₂" } else { "—" }))
        .series("", px, py, Style::line(0).color(BLUE.alpha(0.55)).width(1.0))
        .mark(Mark::Markers {
            x: vec![fx],
            y: vec![fy],
            shape: Shape::Dot,
            size: 4.0,
            color: RED,
            label: "y*".into(),
        })
        .height(240.0);
    let (dx, dy) = joined(paths.iter().map(|p| (nums(field(p, "t")), nums(field(p, "distance")))));
    let mut dist = Plot::new(Axis::new("t"), Axis::new("‖y(t) − y*‖").log())
        .series("", dx, dy, Style::line(0).color(BLUE.alpha(0.5)).width(1.0))
        .height(240.0);
    // The bound from the farthest start: e^{−εt}·max‖y(0) − y*‖.
    let d0 = |p: &Json| num(field(p, "distance.0"));
    if let Some(far) = paths.iter().filter(|p| d0(p).is_finite()).max_by(|a, b| d0(a).total_cmp(&d0(b))) {
        let t = nums(field(far, "t"));
        let bound = t.iter().map(|&t| d0(far) * libm::exp(-eps * t)).collect();
        dist = dist.series("e^(−εt)·max‖y(0) − y*‖", t, bound, Style::line(0).color(RED).dashed());
    }
    Figure::new(name, title).columns(2).plot("The first two coordinates", plane).plot("Distance to y*", dist).caption(format!(
        "N = {n}, ρ(W) = {}, {} ({}) to t = {}: the farthest ends {} from y* (Banach iteration, ‖f(y*)‖ = {}); {} the e^(−εt) bound.",
        number(num(field(c, "rho"))),
        plural(paths.len(), "trajectory", "trajectories"),
        text(c, "integrator"),
        number(num(field(c, "t_end"))),
        number(num(field(c, "max_final_distance"))),
        number(num(field(c, "residual"))),
        match count(c, "bound_violations") {
            1 => "1 trajectory breaks".to_string(),
            k => format!("{k} trajectories break"),
        }
    ))
}

// ---------------------------------------------------------------------------
// Example 7

fn r_name(r: &str) -> &'static str {
    if r == "i_wtl" { "R = I − WᵀΛ" } else { "R = I" }
}

fn ex7(v: &View) -> Figure {
    let (name, title) = ("ex7", FIGURES[6].title);
    if !v.has("ex7") {
        return Figure::empty(
            name,
            title,
            "E3 along every run of the layered memory, for R = I − WᵀΛ and for R = I, appears here once they are integrated (a few seconds).",
        );
    }
    let e = v.get("example7");
    let runs = field(e, "runs").as_array().cloned().unwrap_or_default();
    let mut plot = Plot::new(Axis::new("t"), Axis::new("E3").log()).height(240.0);
    for (k, set) in runs.iter().enumerate() {
        let curves = field(set, "curves").as_array().cloned().unwrap_or_default();
        let (x, y) = joined(curves.iter().map(|c| (nums(field(c, "t")), nums(field(c, "energy")))));
        let label =
            if text(set, "r") == "i_wtl" { "R = I − W⊤Λ (Example 7)" } else { "R = I (no guarantee)" };
        let style = if k == 0 {
            Style::line(0).color(BLUE.alpha(0.8)).width(1.2)
        } else {
            Style::line(0).color(GREY.alpha(0.7)).width(1.2).dashed()
        };
        plot = plot.series(label, x, y, style);
    }
    let sets: Vec<String> = runs
        .iter()
        .map(|s| {
            let m = count(s, "memories");
            format!(
                "{}: {} of E3 over {} runs, {} distinct memor{} reached ({})",
                r_name(&text(s, "r")),
                plural(count(s, "total_increases"), "increase", "increases"),
                field(s, "curves").as_array().map_or(0, Vec::len),
                m,
                if m == 1 { "y" } else { "ies" },
                if field(s, "guarantee.proven") == &Json::Bool(true) { "proven" } else { "not proven" }
            )
        })
        .collect();
    Figure::new(name, title).plot("", plot).caption(format!(
        "{} layers × {} neurons, ‖W‖₂ = {}, ‖W − Wᵀ‖/‖W‖ = {}; g′ met along the runs: [{}, {}]. {}.",
        count(e, "layers"),
        count(e, "width"),
        number(num(field(e, "w_norm"))),
        number(num(field(e, "asymmetry"))),
        number(num(field(e, "lambda_min"))),
        number(num(field(e, "lambda_max"))),
        sets.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{from_query, run_query_cpu};
    use crate::labs::NoProgress;
    use crate::plot::figure::Body;
    use crate::plot::layout::layout;
    use crate::plot::scene::{Hit, Item};
    use crate::plot::svg::to_svg;

    const SMALL: &str = "grid=24&streamlines=1&p3_n=12&p3_trials=3&p3_points=3&c_starts=3&e7_starts=2&nd_n=8";

    fn run(q: &str) -> View {
        run_query_cpu(&format!("v=1&lab=dense&{q}"), &[], &mut NoProgress).expect("runs").view()
    }

    fn texts(f: &Figure) -> Vec<String> {
        layout(f, 720.0)
            .items
            .into_iter()
            .filter_map(|i| if let Item::Text { text, .. } = i { Some(text) } else { None })
            .collect()
    }

    fn plot(f: &Figure, i: usize) -> &Plot {
        match &f.panels[i].body {
            Body::Plot(p) => p,
            other => panic!("panel {i} is not a plot: {other:?}"),
        }
    }

    fn series<'a>(p: &'a Plot, label: &str) -> (&'a [f64], &'a [f64]) {
        p.marks
            .iter()
            .find_map(|m| match m {
                Mark::Series { x, y, label: l, .. } if l.starts_with(label) => {
                    Some((x.as_slice(), y.as_slice()))
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no series {label:?}"))
    }

    #[test]
    fn every_figure_has_an_empty_state_without_axes() {
        let p = from_query("lab=dense").state().expect("dense").params;
        let v = View::new(p);
        for d in FIGURES {
            let f = (d.build)(&v);
            assert!(matches!(f.panels[..], [Panel { body: Body::Empty { .. }, .. }]), "{}", d.name);
            let s = layout(&f, 400.0);
            assert!(!s.items.iter().any(|i| matches!(i, Item::Clip { .. })), "{}: empty axes", d.name);
            assert!(texts(&f).iter().any(|t| t.contains("appear") || t.contains("grows")), "{}", d.name);
        }
    }

    #[test]
    fn every_figure_of_a_finished_run_draws_without_nan_text() {
        let v = run(SMALL);
        for d in FIGURES {
            let f = (d.build)(&v);
            assert!(!matches!(f.panels[..], [Panel { body: Body::Empty { .. }, .. }]), "{} is empty", d.name);
            for t in texts(&f).iter().chain(&f.caption) {
                assert!(!t.contains("NaN") && !t.contains("inf"), "{}: {t}", d.name);
            }
            let svg = to_svg(&layout(&f, 720.0), &f.title);
            assert!(!svg.contains("NaN"), "{}", d.name);
            assert!(!f.table().rows.is_empty(), "{}: no data", d.name);
        }
    }

    /// Figure 1's system: two stable memories and a saddle, a colour bar per map, the
    /// particles over the left map only, and a click on either map sets the start.
    #[test]
    fn the_portrait_marks_fixed_points_by_stability_and_declares_its_live_layer_and_clicks() {
        let f = portrait(&run("grid=24"));
        assert_eq!(f.panels.len(), 2);
        for i in 0..2 {
            let p = plot(&f, i);
            assert!(p.colorbar.is_some(), "panel {i} has a colour bar");
            let shapes: Vec<(Shape, usize)> = p
                .marks
                .iter()
                .filter_map(|m| {
                    if let Mark::Markers { shape, x, .. } = m { Some((*shape, x.len())) } else { None }
                })
                .collect();
            // Two stable points, one saddle, and the trajectory's start.
            assert_eq!(shapes, [(Shape::Dot, 1), (Shape::Disc, 2), (Shape::Circle, 1)], "panel {i}");
            let live = p.marks.iter().filter(|m| matches!(m, Mark::Live { .. })).count();
            assert_eq!(live, usize::from(i == 0), "panel {i}");
            assert_eq!(
                p.click,
                Some(PlaneClick::Set { x_key: "x0".into(), y_key: "y0".into(), drag: false, digits: 4 })
            );
        }
        let s = layout(&f, 720.0);
        assert_eq!(s.live.len(), 1);
        assert_eq!(s.live[0].kind, PARTICLES);
        assert_eq!(s.live[0].domain, [-3.0, 3.0, -3.0, 3.0]);
        // The trajectory and the fixed points are painted again above the particles.
        let circles = s.live[0].above.iter().filter(|i| matches!(i, Item::Circle { .. })).count();
        assert_eq!(circles, 1 + 2 + 1, "start, two stable points, one saddle");
        assert_eq!(s.hits.iter().filter(|h| matches!(h, Hit::Plane { .. })).count(), 2);
        // Hovering reads both energies and the dead count at the grid point under the pointer.
        let Some(Hit::Readout { names, values, rows, .. }) =
            s.hits.iter().find(|h| matches!(h, Hit::Readout { .. }))
        else {
            panic!("no readout")
        };
        assert_eq!(names, &["E (KH)", "E3", "dead neurons k"]);
        assert_eq!((*rows, values[2].len()), (24, 24 * 24));
        assert!(matches!(&f.controls[..], [Control::Drag { template, .. }] if template.contains("{w12}")));
        // The data: one row per grid point, the energies as the landscape part computed them.
        let t = f.table();
        assert_eq!(t.rows.len(), 24 * 24);
        assert_eq!(t.columns[2], "energy_kh");
    }

    /// The right map colours E3 by √E3; its colour bar is labelled in E3 at √ positions.
    #[test]
    fn sqrt_colour_bars_label_round_energies_at_their_square_roots() {
        let t = sqrt_ticks(0.05f64.sqrt(), 39.4f64.sqrt());
        assert!(t.len() >= 3, "{t:?}");
        let gap = (39.4f64.sqrt() - 0.05f64.sqrt()) / 5.5;
        for w in t.windows(2) {
            assert!(w[1].0 - w[0].0 >= gap - 1e-12, "{t:?}");
        }
        for (pos, label) in &t {
            let e: f64 = label.replace('−', "-").parse().expect("a number");
            assert!((pos * pos - e).abs() <= 1e-9 * e.max(1.0), "{pos} {label}");
            assert!(*pos >= 0.05f64.sqrt() && *pos <= 39.4f64.sqrt());
        }
        let f = portrait(&run("grid=24"));
        let cb = plot(&f, 1).colorbar.as_ref().expect("a colour bar");
        assert!(matches!(&cb.ticks, crate::plot::figure::Ticks::Labels { ticks } if !ticks.is_empty()));
    }

    /// The printed (9) lets E3 rise: its monitor panel says how often, marks the
    /// increases at the energies where they happened, and the caption says it is not proven.
    #[test]
    fn the_monitor_marks_every_listed_increase() {
        let v = run("preset=e3-rises");
        let tr = v.get("trajectory");
        let e3 = &tr["energies"][0];
        assert_eq!(e3["energy"], "e3");
        let n = e3["increase_count"].as_u64().expect("a count") as usize;
        assert!(n > 0);
        let f = monitor(&v);
        assert!(
            f.panels[0].title.starts_with(&format!("E3, chosen — {n} increase")),
            "{}",
            f.panels[0].title
        );
        let marked = plot(&f, 0)
            .marks
            .iter()
            .find_map(
                |m| if let Mark::Markers { x, y, .. } = m { Some((x.clone(), y.clone())) } else { None },
            )
            .expect("increases marked");
        let listed = e3["increases"].as_array().expect("a list");
        assert_eq!(marked.0.len(), listed.len());
        assert_eq!(marked.1[0], listed[0]["energy"].as_f64().unwrap_or(f64::NAN));
        assert!(f.caption.iter().any(|c| c.contains("✗ not proven")));
        assert!(f.caption[0].contains("reached the end time"), "{}", f.caption[0]);
    }

    #[test]
    fn the_fixed_point_table_lists_stability_in_order() {
        let f = fixed(&run("grid=16"));
        let Body::Table(t) = &f.panels[0].body else { panic!("a table") };
        let stab: Vec<&str> = t.rows.iter().map(|r| r[2].as_str()).collect();
        assert_eq!(stab, ["stable", "unstable", "stable"]);
        assert!(f.caption[0].contains("3 fixed points found"), "{}", f.caption[0]);
    }

    /// The band is the Monte-Carlo ratio ± 2 standard errors, point by point, and a
    /// running part draws from its latest streamed piece.
    #[test]
    fn prop3_band_is_two_standard_errors_and_grows_from_pieces() {
        let v = run("p3_n=16&p3_trials=4&p3_points=4");
        let p = v.get("prop3");
        let f = prop3(&v);
        let pl = plot(&f, 0);
        let (lo, hi) = pl
            .marks
            .iter()
            .find_map(
                |m| if let Mark::Band { lo, hi, .. } = m { Some((lo.clone(), hi.clone())) } else { None },
            )
            .expect("a band");
        let (r, se) = (nums(&p["ratio"]), nums(&p["stderr"]));
        for j in 0..r.len() {
            assert_eq!(lo[j], r[j] - 2.0 * se[j]);
            assert_eq!(hi[j], r[j] + 2.0 * se[j]);
        }
        assert_eq!(series(pl, "√(1 − k/N)").1, nums(&p["limit"]).as_slice());
        // Half-way: only a streamed piece.
        let mut running = View::new(v.params.clone());
        let mut piece = p.clone();
        piece["done"] = Json::from(2);
        running.pieces.insert("prop3".into(), vec![piece]);
        let f = prop3(&running);
        assert!(f.caption[0].starts_with("2 of 4 "), "{}", f.caption[0]);
        running.pieces.clear();
        running.progress.insert("prop3".into(), (0, 4));
        assert!(texts(&prop3(&running)).join(" ").contains("0 of 4 trials"));
    }

    /// The bound curve starts at the farthest start's distance and decays like e^{−εt}.
    #[test]
    fn appendix_c_bound_decays_at_rate_eps_from_the_farthest_start() {
        let v = run("c_n=3&c_starts=4&eps=0.2&c_t=10");
        let c = v.get("appendix_c");
        let far = c["paths"]
            .as_array()
            .expect("paths")
            .iter()
            .map(|p| p["distance"][0].as_f64().unwrap_or(f64::NAN))
            .fold(f64::NEG_INFINITY, f64::max);
        let f = appc(&v);
        let (t, b) = series(plot(&f, 1), "e^(−εt)");
        assert_eq!(b[0], far);
        for k in 1..t.len() {
            let want = (-0.2 * (t[k] - t[0])).exp();
            assert!((b[k] / b[0] - want).abs() <= 1e-12, "{k}: {} vs {want}", b[k] / b[0]);
        }
        assert_eq!(plot(&f, 1).y.scale, crate::plot::figure::Scale::Log);
        assert!(f.caption[0].contains("0 trajectories break"), "{}", f.caption[0]);
    }

    #[test]
    fn example7_draws_both_choices_of_r_on_a_log_axis() {
        let f = ex7(&run("e7_starts=2&e7_t=10"));
        let p = plot(&f, 0);
        assert_eq!(p.y.scale, crate::plot::figure::Scale::Log);
        let labels: Vec<&str> = p
            .marks
            .iter()
            .filter_map(|m| if let Mark::Series { label, .. } = m { Some(label.as_str()) } else { None })
            .collect();
        assert_eq!(labels, ["R = I − W⊤Λ (Example 7)", "R = I (no guarantee)"]);
        assert!(f.caption[0].contains("R = I − WᵀΛ: 0 increases of E3"), "{}", f.caption[0]);
    }

    #[test]
    fn dead_neuron_figure_states_k_and_the_stability_of_s() {
        let f = dead(&run("nd_n=10"));
        let Body::Text { lines } = &f.panels[0].body else { panic!("text first") };
        assert!(lines[1].starts_with("k = dim null Λ = "), "{}", lines[1]);
        assert!(lines[2].contains("S = W⊥Λ⊥ − I ("), "{}", lines[2]);
        let Body::Table(t) = &f.panels[2].body else { panic!("a table last") };
        assert_eq!(t.rows.len(), 2);
    }

    /// Every preset is a clean link (no notices) whose planar parts run.
    #[test]
    fn presets_are_clean_links_that_run() {
        for p in super::super::PRESETS {
            let parsed = from_query(&format!("lab=dense&preset={}", p.name));
            assert!(parsed.notices.is_empty(), "{}: {:?}", p.name, parsed.notices);
            let q = format!("lab=dense&preset={}&grid=16", p.name);
            let r = run_query_cpu(&q, &["fixed_points", "trajectory"], &mut NoProgress).expect("runs");
            assert!(r.output.json.contains_key("trajectory"), "{}", p.name);
        }
    }
}
