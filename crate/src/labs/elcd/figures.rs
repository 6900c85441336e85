//! The ELCD lab's figures: the learned field with rollouts against the demonstrations
//! (where curves are drawn), ELCD against the MLP (Figure 4.2), the loss curves (live while
//! training), the largest eigenvalue of sym(A) over the window, distances against the
//! bound, and the DTWD table.

use super::super::{FigureDef, View, field, num, nums};
use super::data::{self, Demos};
use crate::params::Params;
use crate::plot::figure::{
    Axis, Body, Cmap, Figure, LegendPos, Mark, Panel, PlaneClick, Plot, Shape, Style, Table,
};
use crate::plot::scene::{Color, PALETTE};
use crate::plot::streamlines::{StreamOptions, streamlines};
use crate::plot::ticks::number;
use serde_json::Value as Json;

const GREEN: Color = PALETTE[2];
const PURPLE: Color = PALETTE[4];
const BLACK: Color = PALETTE[7];
const STREAM: Color = Color::rgb(178, 186, 196);

pub const FIGURES: &[FigureDef] = &[
    FigureDef {
        name: "field",
        title: "Learned vector field and rollouts",
        parts: &["elcd"],
        ui: &[],
        build: field_figure,
    },
    FigureDef {
        name: "compare",
        title: "ELCD vs an unconstrained MLP",
        parts: &["elcd", "mlp"],
        ui: &[],
        build: compare,
    },
    FigureDef { name: "loss", title: "Training loss", parts: &["elcd", "mlp"], ui: &[], build: loss },
    FigureDef {
        name: "contraction",
        title: "Largest eigenvalue of sym(A) over the window",
        parts: &["elcd", "mlp"],
        ui: &[],
        build: contraction,
    },
    FigureDef {
        name: "bound",
        title: "Distance to the equilibrium against the bound",
        parts: &["elcd", "mlp"],
        ui: &[],
        build: bound,
    },
    FigureDef {
        name: "dtwd",
        title: "DTWD per demonstration",
        parts: &["elcd", "mlp"],
        ui: &[],
        build: dtwd,
    },
];

/// How long a training takes, for empty states.
fn eta(p: &Params) -> String {
    let steps = p.usize("steps");
    let per = if p.flag("diffeo") { 0.3 } else { 0.06 };
    let secs = steps as f64 * per / 1000.0 * 3.0;
    format!("{steps} steps take about {} s in the page", number((secs * 10.0).ceil() / 10.0))
}

fn training_message(v: &View, part: &str, what: &str) -> String {
    match v.progress(part) {
        Some((d, t)) if t > 0 => {
            format!("Training {part}: step {d} of {t}… {what} appears when it finishes.")
        }
        _ => format!("{what} appears here once the models are trained ({}).", eta(&v.params)),
    }
}

/// The demonstrations as the finished part printed them, or computed from the link while
/// nothing has finished (the data are cheap; the drawing plot must be there before training).
struct DemoView {
    trajs: Vec<Vec<[f64; 2]>>,
    x_star: [f64; 2],
    window: [f64; 4],
    labels: [String; 2],
    equal: bool,
}

fn demo_view(v: &View) -> Option<DemoView> {
    let d = &v.data;
    if let Some(demos) = d.get("demos").and_then(Json::as_array) {
        let w = nums(v.get("window"));
        let xs = nums(v.get("x_star"));
        if w.len() == 4 && xs.len() == 2 {
            let trajs = demos
                .iter()
                .map(|t| {
                    field(t, "x")
                        .as_array()
                        .map(|pts| {
                            pts.iter()
                                .map(|p| {
                                    let q = nums(p);
                                    [
                                        q.first().copied().unwrap_or(f64::NAN),
                                        q.get(1).copied().unwrap_or(f64::NAN),
                                    ]
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect();
            let labels = v.get("labels");
            let lab = |i: usize| field(labels, &i.to_string()).as_str().unwrap_or("").to_string();
            return Some(DemoView {
                trajs,
                x_star: [xs[0], xs[1]],
                window: [w[0], w[1], w[2], w[3]],
                labels: [lab(0), lab(1)],
                equal: v.get("equal") == &Json::Bool(true),
            });
        }
    }
    let demos: Demos = match v.params.choice("demo") {
        "linear" => data::linear(),
        "rosenbrock" => data::rosenbrock(),
        "pendulum" => data::pendulum(),
        "drawn" => {
            let s = v.params.floats("draw");
            data::drawn(s).or_else(|_| data::drawn(&data::default_stroke())).ok()?
        }
        other => data::lasa(other.strip_prefix("lasa_")?).ok()?,
    };
    Some(DemoView {
        trajs: demos.trajs.iter().map(|t| t.x.chunks_exact(2).map(|c| [c[0], c[1]]).collect()).collect(),
        x_star: [demos.x_star[0], demos.x_star[1]],
        window: demos.window,
        labels: demos.labels.map(String::from),
        equal: demos.equal,
    })
}

/// A phase-plane plot over the window with the demonstrations and x*.
fn plane(dv: &DemoView, height: f64) -> Plot {
    let w = dv.window;
    let mut p = Plot::new(
        Axis::new(dv.labels[0].clone()).domain(w[0], w[1]),
        Axis::new(dv.labels[1].clone()).domain(w[2], w[3]),
    )
    .height(height)
    .legend(LegendPos::Below);
    p.equal = dv.equal;
    p
}

fn with_demos(mut p: Plot, dv: &DemoView) -> Plot {
    for (i, t) in dv.trajs.iter().enumerate() {
        p = p.series(
            if i == 0 { "demonstrations" } else { "" },
            t.iter().map(|q| q[0]).collect(),
            t.iter().map(|q| q[1]).collect(),
            Style::line(7).width(2.2),
        );
    }
    p.mark(Mark::Markers {
        x: vec![dv.x_star[0]],
        y: vec![dv.x_star[1]],
        shape: Shape::Cross,
        size: 6.0,
        color: BLACK,
        label: "x*".into(),
    })
}

/// Bilinear interpolation of a field sampled at cell centres (row 0 at the top).
fn sampler(f: &Json) -> Option<impl Fn(f64, f64) -> (f64, f64)> {
    let n = num(field(f, "n"));
    let w = nums(field(f, "window"));
    let u = nums(field(f, "u"));
    let vv = nums(field(f, "v"));
    if n.is_nan() || n < 2.0 || w.len() != 4 {
        return None;
    }
    let n = n as usize;
    if u.len() != n * n || vv.len() != n * n {
        return None;
    }
    Some(move |x: f64, y: f64| {
        let fx = ((x - w[0]) / (w[1] - w[0]) * n as f64 - 0.5).clamp(0.0, (n - 1) as f64);
        let fy = ((w[3] - y) / (w[3] - w[2]) * n as f64 - 0.5).clamp(0.0, (n - 1) as f64);
        let (c0, r0) = (fx.floor() as usize, fy.floor() as usize);
        let (c1, r1) = ((c0 + 1).min(n - 1), (r0 + 1).min(n - 1));
        let (a, b) = (fx - c0 as f64, fy - r0 as f64);
        let at = |g: &[f64], r: usize, c: usize| g[r * n + c];
        let lerp = |g: &[f64]| {
            (1.0 - b) * ((1.0 - a) * at(g, r0, c0) + a * at(g, r0, c1))
                + b * ((1.0 - a) * at(g, r1, c0) + a * at(g, r1, c1))
        };
        (lerp(&u), lerp(&vv))
    })
}

/// Streamlines of a field (from its JSON grid) with an arrowhead at the middle of each.
fn with_streamlines(mut p: Plot, f: &Json, window: [f64; 4]) -> Plot {
    let Some(s) = sampler(f) else { return p };
    let mut fun = |x: f64, y: f64| s(x, y);
    let opts = StreamOptions { extent: window, seeds: 14, separation: 0.045, step: 0.006, max_points: 400 };
    let lines = streamlines(&mut fun, &opts);
    let (wx, wy) = (window[1] - window[0], window[3] - window[2]);
    let mut heads = Vec::new();
    for l in &lines {
        let n = l.len() / 2;
        p = p.series(
            "",
            l.iter().step_by(2).copied().collect(),
            l.iter().skip(1).step_by(2).copied().collect(),
            Style::line(6).color(STREAM).width(1.0),
        );
        if n >= 16 {
            let m = n / 2;
            let (x0, y0, x1, y1) = (l[2 * m - 2], l[2 * m - 1], l[2 * m], l[2 * m + 1]);
            // Direction in units of the window, so heads look alike on both axes.
            let (dx, dy) = ((x1 - x0) / wx, (y1 - y0) / wy);
            let len = libm::hypot(dx, dy);
            if len > 0.0 {
                let (ux, uy) = (dx / len * 0.018, dy / len * 0.018);
                for sgn in [1.0, -1.0] {
                    let (bx, by) = (-ux + sgn * 0.6 * uy, -uy - sgn * 0.6 * ux);
                    heads.push([x1, y1, x1 + bx * wx, y1 + by * wy]);
                }
            }
        }
    }
    if !heads.is_empty() {
        p = p.mark(Mark::Segments { segs: heads, color: STREAM, width: 1.2 });
    }
    p
}

/// Rollout paths of `kind` (`demo` or `random`) from a rollouts array.
fn with_rollouts(mut p: Plot, rollouts: &Json, kind: &str, label: &str, style: Style) -> Plot {
    let mut first = true;
    for r in rollouts.as_array().map(Vec::as_slice).unwrap_or(&[]) {
        if field(r, "kind").as_str() != Some(kind) {
            continue;
        }
        let pts = field(r, "x").as_array().cloned().unwrap_or_default();
        let xs: Vec<f64> = pts.iter().map(|q| num(field(q, "0"))).collect();
        let ys: Vec<f64> = pts.iter().map(|q| num(field(q, "1"))).collect();
        p = p.series(if first { label } else { "" }, xs, ys, style.clone());
        first = false;
    }
    p
}

fn with_starts(p: Plot, rollouts: &Json) -> Plot {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for r in rollouts.as_array().map(Vec::as_slice).unwrap_or(&[]) {
        if field(r, "kind").as_str() == Some("random") {
            xs.push(num(field(r, "x.0.0")));
            ys.push(num(field(r, "x.0.1")));
        }
    }
    if xs.is_empty() {
        return p;
    }
    p.mark(Mark::Markers {
        x: xs,
        y: ys,
        shape: Shape::Dot,
        size: 3.0,
        color: PURPLE,
        label: "random starts".into(),
    })
}

fn with_equilibria(p: Plot, eq: &Json, label: &str) -> Plot {
    let pts = eq.as_array().cloned().unwrap_or_default();
    if pts.is_empty() {
        return p;
    }
    p.mark(Mark::Markers {
        x: pts.iter().map(|q| num(field(q, "0"))).collect(),
        y: pts.iter().map(|q| num(field(q, "1"))).collect(),
        shape: Shape::Circle,
        size: 6.0,
        color: GREEN,
        label: label.into(),
    })
}

fn field_figure(v: &View) -> Figure {
    let title = "Learned vector field and rollouts";
    let drawn = v.params.choice("demo") == "drawn";
    let Some(dv) = demo_view(v) else {
        return Figure::empty("field", title, "The demonstrations could not be built from this link.");
    };
    let mut plot = with_demos(plane(&dv, 320.0), &dv);
    if drawn {
        plot.click = Some(PlaneClick::Stroke { key: "draw".into() });
    }
    if !v.has("elcd") {
        let mut fig = Figure::new("field", title).plot("", plot).caption(training_message(
            v,
            "elcd",
            "The learned field",
        ));
        if drawn {
            fig = fig.caption("Drag on the plot to draw a demonstration; it ends (x*) where you release.");
        }
        return fig;
    }
    let latent = v.get("diffeo") == &Json::Bool(true);
    plot = with_streamlines(plot, v.get("field"), dv.window);
    // The demonstrations on top of the field lines, the rollouts on top of both.
    plot.marks.rotate_left(dv.trajs.len() + 1);
    plot =
        with_rollouts(plot, v.get("rollouts"), "demo", "ELCD rollouts", Style::line(1).width(1.8).dashed());
    let dt = nums(v.get("dtwd"));
    let mut fig = Figure::new("field", title).plot("", plot).caption(format!(
        "ELCD after {} steps (final loss {}): rollouts from each demonstration's start, DTWD {} on average.{}",
        num(v.get("steps_run")),
        number(num(v.get("final_loss"))),
        number(super::mean(&dt)),
        if latent { " The field is learned in latent coordinates z = φ(x) and drawn in data space." } else { "" }
    ));
    if let Some(note) = v.get("note").as_str() {
        fig = fig.caption(note.to_string());
    }
    if let Some(s) = v.get("stopped_at").as_u64() {
        fig = fig.caption(format!("Training stopped at step {s}: a loss or gradient was not finite."));
    }
    if drawn {
        fig = fig.caption("Drag on the plot to draw a new demonstration (it ends where you release).");
    }
    fig
}

fn compare(v: &View) -> Figure {
    let title = "ELCD vs an unconstrained MLP";
    if !v.has("elcd") || !v.has("mlp") {
        return Figure::empty(
            "compare",
            title,
            training_message(v, if v.has("elcd") { "mlp" } else { "elcd" }, "The comparison"),
        );
    }
    let mlp = v.get("mlp");
    if mlp.is_null() {
        return Figure::empty(
            "compare",
            title,
            "Set baseline=1 (MLP baseline) to train an unconstrained field beside ELCD.",
        );
    }
    let Some(dv) = demo_view(v) else {
        return Figure::empty("compare", title, "The demonstrations could not be built from this link.");
    };
    let panel = |f: &Json, rollouts: &Json, eq: &Json, color: usize, name: &str| {
        let mut p = with_streamlines(plane(&dv, 280.0), f, dv.window);
        p = with_demos(p, &dv);
        p = with_rollouts(p, rollouts, "random", "from random starts", Style::line(4).width(1.2));
        p = with_starts(p, rollouts);
        p = with_rollouts(
            p,
            rollouts,
            "demo",
            &format!("{name} from the demonstrations' starts"),
            Style::line(color).width(1.8),
        );
        with_equilibria(p, eq, "equilibria found")
    };
    let e = panel(v.get("field"), v.get("rollouts"), v.get("equilibria"), 1, "ELCD");
    let m = panel(field(mlp, "field"), field(mlp, "rollouts"), field(mlp, "equilibria"), 0, "MLP");
    let n_eq = |j: &Json| j.as_array().map_or(0, Vec::len);
    let total = |j: &Json| j.as_array().map_or(0, Vec::len);
    Figure::new("compare", title)
        .columns(2)
        .plot("ELCD (contracting by construction)", e)
        .plot("MLP (unconstrained)", m)
        .caption(format!(
            "Rollouts that do not end near x* (within 5% of the window's diagonal): ELCD {} of {}, MLP {} of {} ({} left every range). Equilibria found in the window (Newton from an 8×8 grid): ELCD {}, MLP {}.",
            num(v.get("missed")),
            total(v.get("rollouts")),
            num(field(mlp, "missed")),
            total(field(mlp, "rollouts")),
            num(field(mlp, "diverged")),
            n_eq(v.get("equilibria")),
            n_eq(field(mlp, "equilibria")),
        ))
        .caption(format!(
            "DTWD on average: ELCD {}, MLP {}. ELCD has one equilibrium, x*, whatever its weights; the MLP fits the data but nothing holds it elsewhere (Figure 4.2 makes the point against NCDS).",
            number(num(v.get("dtwd_mean"))),
            number(num(field(mlp, "dtwd_mean")))
        ))
}

/// A loss curve from the finished field, or from streamed chunks while training.
fn loss_series(v: &View, part: &str, finished: &Json) -> Vec<f64> {
    if v.has(part) {
        return nums(finished);
    }
    let mut out: Vec<f64> = Vec::new();
    for piece in v.pieces(part) {
        let c = field(piece, "loss_chunk");
        let from = num(field(c, "from"));
        if from.is_nan() || from < 0.0 {
            continue;
        }
        let from = from as usize;
        let vals = nums(field(c, "loss"));
        if out.len() < from {
            out.resize(from, f64::NAN);
        }
        out.truncate(from);
        out.extend(vals);
    }
    out
}

fn loss(v: &View) -> Figure {
    let title = "Training loss";
    let e = loss_series(v, "elcd", v.get("loss"));
    let m = loss_series(v, "mlp", field(v.get("mlp"), "loss"));
    if e.is_empty() && m.is_empty() {
        return Figure::empty("loss", title, training_message(v, "elcd", "The loss curve"));
    }
    let steps = v.params.usize("steps").max(1) as f64;
    let x = |n: usize| (1..=n).map(|i| i as f64).collect::<Vec<f64>>();
    let mut p = Plot::new(
        Axis::new("training step").domain(0.0, steps),
        Axis::new("mean squared velocity error").log(),
    )
    .height(220.0);
    if !e.is_empty() {
        p = p.series("ELCD", x(e.len()), e.clone(), Style::line(1));
    }
    if !m.is_empty() {
        p = p.series("MLP", x(m.len()), m.clone(), Style::line(0));
    }
    let last = |s: &[f64]| s.iter().rev().copied().find(|v| v.is_finite()).unwrap_or(f64::NAN);
    let running = !v.has("elcd") || (v.params.flag("baseline") && !v.has("mlp"));
    Figure::new("loss", title).plot("", p).caption(format!(
        "Minibatch loss per Adam step (batch {}, lr {}){}: last ELCD {}{}.",
        v.params.usize("batch"),
        number(v.params.float("lr")),
        if running { ", streaming while training" } else { "" },
        number(last(&e)),
        if m.is_empty() { String::new() } else { format!(", last MLP {}", number(last(&m))) }
    ))
}

/// A heatmap of grid values with a symmetric diverging colour scale (negative blue).
fn heat(g: &Json, dv: &DemoView, label: &str) -> Option<(Plot, f64)> {
    let n = num(field(g, "n"));
    let vals = nums(field(g, "values"));
    if n.is_nan() || n < 1.0 || vals.len() != (n as usize) * (n as usize) {
        return None;
    }
    let n = n as usize;
    let a = vals.iter().filter(|x| x.is_finite()).fold(0.0f64, |m, x| m.max(x.abs())).max(1e-12);
    let max = vals.iter().copied().filter(|x| x.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    let w = dv.window;
    let mut p = plane(dv, 260.0)
        .mark(Mark::Heatmap {
            pixels: crate::plot::figure::Pixels {
                rows: n,
                cols: n,
                values: vals,
                cmap: Cmap::Diverging,
                domain: [-a, a],
            },
            extent: w,
            click: Default::default(),
            smooth: false,
        })
        .colorbar(Cmap::Diverging, [-a, a], label);
    p.x.grid = false;
    p.y.grid = false;
    Some((with_demos(p, dv), max))
}

fn contraction(v: &View) -> Figure {
    let title = "Largest eigenvalue of sym(A) over the window";
    if !v.has("elcd") {
        return Figure::empty("contraction", title, training_message(v, "elcd", "The eigenvalue map"));
    }
    let Some(dv) = demo_view(v) else {
        return Figure::empty("contraction", title, "The demonstrations could not be built from this link.");
    };
    let alpha = num(v.get("alpha"));
    let latent = v.get("diffeo") == &Json::Bool(true);
    let Some((p, max)) = heat(v.get("grid_sym_eig"), &dv, "λmax(sym A)") else {
        return Figure::empty("contraction", title, "No eigenvalue grid in the result.");
    };
    let mut fig = Figure::new("contraction", title).plot(
        if latent { "ELCD: λmax of sym A(φ(x), z*) at each x" } else { "ELCD: λmax of sym A(x, x*)" },
        p,
    );
    let mlp = v.get("mlp");
    let mut cols = 1;
    if v.has("mlp")
        && !mlp.is_null()
        && let Some((q, mmax)) = heat(field(mlp, "grid_jac_sym_eig"), &dv, "λmax(sym Dg)")
    {
        fig = fig.plot("MLP: λmax of sym Dg(x) (no A exists)", q);
        fig = fig.caption(format!(
            "The MLP has no A; the largest eigenvalue of its Jacobian's symmetric part reaches {} (red where positive: there the field pulls nearby points apart in the Euclidean metric).",
            number(mmax)
        ));
        cols = 2;
    }

    let ok = max <= -alpha + 1e-9 * alpha.abs().max(1.0);
    fig.columns(cols).caption(format!(
        "Over the {0}×{0} grid the largest eigenvalue of sym(A) = −PₛᵀPₛ − αI is {1} {2} −α = {3}{4}.",
        num(field(v.get("grid_sym_eig"), "n")),
        number(max),
        if ok { "≤" } else { ">" },
        number(-alpha),
        if latent { " (A acts in latent space: the guarantee is for z = φ(x))" } else { "" }
    ))
}

/// Distances (log scale) of every rollout with its bound.
fn distance_plot(rollouts: &Json, latent: bool, color: usize) -> Plot {
    let mut p = Plot::new(
        Axis::new("time t"),
        Axis::new(if latent { "‖z(t) − z*‖ (latent)" } else { "‖x(t) − x*‖" }).log(),
    )
    .height(240.0)
    .legend(LegendPos::Below);
    let mut first = [true, true];
    for r in rollouts.as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let t = nums(field(r, "t"));
        let random = field(r, "kind").as_str() == Some("random");
        let style = if random { Style::line(color).width(1.1) } else { Style::line(color).width(2.0) };
        p = p.series(if first[0] { "distance" } else { "" }, t.clone(), nums(field(r, "distance")), style);
        first[0] = false;
        p = p.series(
            if first[1] { "bound e^(−αt)·distance(0)" } else { "" },
            t,
            nums(field(r, "bound")),
            Style::line(6).width(1.0).dashed(),
        );
        first[1] = false;
    }
    p
}

fn bound(v: &View) -> Figure {
    let title = "Distance to the equilibrium against the bound";
    if !v.has("elcd") {
        return Figure::empty("bound", title, training_message(v, "elcd", "The rollouts against the bound"));
    }
    let latent = v.get("diffeo") == &Json::Bool(true);
    let alpha = num(v.get("alpha"));
    let mut fig = Figure::new("bound", title).plot("ELCD", distance_plot(v.get("rollouts"), latent, 1));
    let mut panels = 1;
    let mlp = v.get("mlp");
    if v.has("mlp") && !mlp.is_null() {
        fig = fig.plot(
            "MLP (no guarantee; the same curve for reference)",
            distance_plot(field(mlp, "rollouts"), false, 0),
        );
        panels += 1;
        fig = fig.caption(format!(
            "MLP: largest distance/bound ratio {}; {} rollouts left every range.",
            number(num(field(mlp, "bound_max_ratio"))),
            num(field(mlp, "diverged"))
        ));
    }
    if latent {
        // The rollouts in the coordinates where the guarantee holds.
        let mut p = Plot::new(Axis::new("z₁"), Axis::new("z₂")).height(240.0).legend(LegendPos::Below);
        let mut first = true;
        for r in v.get("rollouts").as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let z = field(r, "z").as_array().cloned().unwrap_or_default();
            let random = field(r, "kind").as_str() == Some("random");
            p = p.series(
                if first { "ELCD rollouts in latent space" } else { "" },
                z.iter().map(|q| num(field(q, "0"))).collect(),
                z.iter().map(|q| num(field(q, "1"))).collect(),
                if random { Style::line(4).width(1.1) } else { Style::line(1).width(1.8) },
            );
            first = false;
        }
        let zs = nums(v.get("z_star"));
        if zs.len() == 2 {
            p = p.mark(Mark::Markers {
                x: vec![zs[0]],
                y: vec![zs[1]],
                shape: Shape::Cross,
                size: 6.0,
                color: BLACK,
                label: "z* = φ(x*)".into(),
            });
        }
        fig = fig.plot("Latent space z = φ(x), where the guarantee holds", p);
        panels += 1;
    }
    let cols = panels.min(2);
    let holds = v.get("bound_holds") == &Json::Bool(true);
    fig.columns(cols).caption(format!(
        "Every ELCD rollout (thick: from the demonstrations' starts; thin: random starts) against ‖{0}(0) − {0}*‖·e^(−αt), α = {1}: largest ratio {2} — the bound {3}{4}.",
        if latent { "z" } else { "x" },
        number(alpha),
        number(num(v.get("bound_max_ratio"))),
        if holds { "holds" } else { "is exceeded (beyond RK4's error?)" },
        if latent { "; with the diffeomorphism it holds in latent space, as shown" } else { "" }
    ))
}

fn dtwd(v: &View) -> Figure {
    let title = "DTWD per demonstration";
    if !v.has("elcd") {
        return Figure::empty("dtwd", title, training_message(v, "elcd", "The DTWD table"));
    }
    let e = nums(v.get("dtwd"));
    let mlp = v.get("mlp");
    let m = if v.has("mlp") && !mlp.is_null() { Some(nums(field(mlp, "dtwd"))) } else { None };
    let demos = v.get("demos").as_array().cloned().unwrap_or_default();
    let mut columns =
        vec!["demonstration".to_string(), "samples".into(), "duration".into(), "DTWD ELCD".into()];
    if m.is_some() {
        columns.push("DTWD MLP".into());
    }
    let mut rows = Vec::new();
    for (i, d) in e.iter().enumerate() {
        let t = nums(field(demos.get(i).unwrap_or(&Json::Null), "t"));
        let dur = match (t.first(), t.last()) {
            (Some(a), Some(b)) => b - a,
            _ => f64::NAN,
        };
        let mut row = vec![format!("{}", i + 1), t.len().to_string(), number(dur), number(*d)];
        if let Some(m) = &m {
            row.push(number(m.get(i).copied().unwrap_or(f64::NAN)));
        }
        rows.push(row);
    }
    let mut mean_row = vec!["mean".to_string(), String::new(), String::new(), number(super::mean(&e))];
    if let Some(m) = &m {
        mean_row.push(number(super::mean(m)));
    }
    rows.push(mean_row);
    let last = rows.len() - 1;
    Figure::new("dtwd", title)
        .panel(Panel { title: String::new(), body: Body::Table(Table { columns, rows, highlight: vec![last] }) })
        .caption("DTWD (Sec. 4.5.1) between each demonstration and the rollout from its start over the demonstration's times, in the data's units (LASA: standardised).")
}
