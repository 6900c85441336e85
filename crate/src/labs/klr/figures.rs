//! The KLR lab's figures: one trained network (training, patterns, recall, forces,
//! spectra), the capacity curve, the γ × P/N phase diagram (cells streaming in as they
//! finish), Proposition 1's scatter, the cross-section at one γ and pinned spectra.
//!
//! Every figure is built from the [`View`] alone: the finished parts' JSON fields (as
//! `hopfield run … --format json` prints them) or, while a part runs, the pieces it has
//! streamed (`loss_chunk`, `sweep_cell`, `section_cell`, `capacity_point`). Grids come from
//! the parameters through the functions the parts use, so a streamed cell lands where the
//! finished sweep puts it.

use super::params::{capacity_config, section_grid, sweep_grid};
use super::sweep::{Grid, fit_records};
use crate::labs::{FigureDef, View, field, num, nums};
use crate::params::Params;
use crate::plot::figure::{
    Axis, Body, Button, CellClick, Cmap, Control, DataTable, Figure, ImageItem, Images, LegendPos, Mark,
    Panel, Pixels, Plot, Shape, Style, Table,
};
use crate::plot::scene::{Action, Color, PALETTE, TEXT, WHITE};
use crate::plot::ticks::number;
use serde_json::Value as Json;

const BLUE: Color = PALETTE[0];
const RED: Color = PALETTE[1];
const ORANGE: Color = PALETTE[3];
const GREY: Color = PALETTE[6];

pub const FIGURES: &[FigureDef] = &[
    FigureDef { name: "training", title: "Training", parts: &["network"], ui: &[], build: training },
    FigureDef { name: "patterns", title: "Stored patterns", parts: &["network"], ui: &[], build: patterns },
    FigureDef {
        name: "recall",
        title: "Recall from a corrupted probe",
        parts: &["network"],
        ui: &["frame"],
        build: recall,
    },
    FigureDef {
        name: "forces",
        title: "Forces at the stored patterns",
        parts: &["network"],
        ui: &[],
        build: forces,
    },
    FigureDef { name: "spectra", title: "Spectra", parts: &["network"], ui: &[], build: spectra },
    FigureDef {
        name: "capacity",
        title: "Capacity: recall success vs load P/N",
        parts: &["capacity"],
        ui: &[],
        build: capacity,
    },
    FigureDef {
        name: "phase",
        title: "Phase diagram over γ × P/N",
        parts: &["sweep"],
        ui: &[],
        build: phase,
    },
    FigureDef {
        name: "prop1",
        title: "Proposition 1: M against λ_max(αᵀKα)",
        parts: &["sweep"],
        ui: &[],
        build: prop1,
    },
    FigureDef {
        name: "section",
        title: "Cross-section: forces against P/N at one γ",
        parts: &["section"],
        ui: &[],
        build: section,
    },
    FigureDef {
        name: "pins",
        title: "Pinned cells: normalised singular values of α",
        parts: &["pins"],
        ui: &[],
        build: pins,
    },
];

/// A number for a caption (4 significant digits, `—` for a missing one).
fn fmt(v: f64) -> String {
    number(v)
}

/// `v` with 3 decimals (overlaps, slopes), `—` when missing.
fn fixed3(v: f64) -> String {
    if v.is_finite() { format!("{v:.3}").replace('-', "−") } else { "—".into() }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A field of a JSON record as a number (NaN when null or absent).
fn at(j: &Json, key: &str) -> f64 {
    num(field(j, key))
}

/// What the network figures show before the network is trained.
fn waiting(v: &View, name: &str, title: &str, what: &str) -> Figure {
    let msg = match v.progress("network") {
        Some((d, t)) if t > 0 => {
            let epochs = v.params.usize("epochs");
            format!("{what} appears here once the network is trained: epoch {} of {epochs}…", d.min(epochs))
        }
        _ => format!(
            "{what} appears here once the network is trained (about a second at the defaults; P²·N per epoch)."
        ),
    };
    Figure::empty(name, title, msg)
}

fn text_panel(lines: Vec<String>) -> Panel {
    Panel { title: String::new(), body: Body::Text { lines } }
}

// ------------------------------------------------------------------------- network

/// The loss streamed so far (`loss_chunk` pieces: `{from, loss}`).
fn streamed_loss(v: &View) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for p in v.pieces("network") {
        let c = field(p, "loss_chunk");
        if c.is_null() {
            continue;
        }
        let from = at(c, "from").max(0.0) as usize;
        out.truncate(from);
        out.extend(nums(field(c, "loss")));
    }
    out
}

fn loss_plot(loss: &[f64], color: Color, label: String) -> Plot {
    let x: Vec<f64> = (0..loss.len()).map(|i| i as f64).collect();
    let mut plot = Plot::new(Axis::new("epoch"), Axis::new("loss (log)").log())
        .series(label, x, loss.to_vec(), Style::line(0).color(color))
        .height(200.0);
    if let Some(&l0) = loss.first() {
        plot = plot.hline(l0, "start: P·N·ln 2", GREY);
    }
    plot
}

fn training(v: &View) -> Figure {
    let title = "Training";
    if !v.has("network") || v.progress("network").is_some() {
        let live = streamed_loss(v);
        if live.len() >= 2 {
            let epochs = v.params.usize("epochs");
            return Figure::new("training", title)
                .plot("", loss_plot(&live, GREY, "loss (training…)".into()))
                .caption(format!("Training: epoch {} of at most {epochs}…", live.len() - 1));
        }
        if !v.has("network") {
            return waiting(v, "training", title, "The training loss");
        }
    }
    let t = v.get("training");
    let status = field(t, "status").as_str().unwrap_or("");
    let loss = nums(field(t, "loss"));
    let (start, limit) = (at(t, "curvature_start"), at(t, "curvature_limit"));
    let stable = start < limit;
    let learner =
        if v.get("learner").as_str() == Some("krr") { "Kernel ridge regression" } else { "Gradient descent" };
    let mut fig = Figure::new("training", title);
    fig = if loss.len() >= 2 {
        let color = if status == "diverged" { RED } else { BLUE };
        fig.plot(
            "",
            loss_plot(
                &loss,
                color,
                format!("loss ({})", plural(at(t, "loss_rises") as usize, "rise", "rises")),
            ),
        )
    } else {
        fig.panel(text_panel(vec![format!(
            "No iterations: the loss of the closed-form α is {}.",
            fmt(loss.first().copied().unwrap_or(f64::NAN))
        )]))
    };
    fig =
        fig.caption(format!("{learner}: {}.", field(t, "message").as_str().unwrap_or(""))).caption(format!(
            "Curvature at α = 0: {} {} 2/η = {} ({}); at the end: {}. λ_max(K) = {}.",
            fmt(start),
            if stable { "<" } else { ">" },
            fmt(limit),
            if stable { "no overshoot possible" } else { "steps can overshoot" },
            fmt(at(t, "curvature_end")),
            fmt(at(t, "kernel_lambda_max")),
        ));
    if v.get("numbers") == &Json::Bool(false) {
        fig = fig.caption(
            "No numbers are reported for a diverged training (set diverge=continue to see them, flagged).",
        );
    }
    fig
}

/// A ±1 vector as a grid `width` wide.
fn spins(v: &[f64], width: usize) -> Pixels {
    Pixels::wrap(v, width, Cmap::Spins, [-1.0, 1.0])
}

fn indices(j: &Json) -> Vec<usize> {
    nums(j).into_iter().filter(|x| x.is_finite() && *x >= 0.0).map(|x| x as usize).collect()
}

fn patterns(v: &View) -> Figure {
    let title = "Stored patterns";
    if !v.has("network") {
        return waiting(v, "patterns", title, "The stored patterns");
    }
    let pats = v.get("patterns").as_array().cloned().unwrap_or_default();
    let width = num(v.get("width")) as usize;
    let target = num(v.get("target")) as usize;
    let shown = pats.len().min(48);
    let items = pats
        .iter()
        .take(shown)
        .enumerate()
        .map(|(mu, p)| ImageItem {
            pixels: spins(&nums(p), width),
            caption: mu.to_string(),
            action: Some(Action::Set { values: vec![("target".into(), mu.to_string())] }),
            outline: (mu == target).then_some(RED),
            title: format!("pattern {mu} — click: show M, ρ and recall at this pattern"),
        })
        .collect();
    Figure::new("patterns", title)
        .panel(Panel { title: String::new(), body: Body::Images(Images { items, size: 40.0 }) })
        .caption(format!(
            "{} patterns of N = {} (load P/N = {}){}. Click one to inspect it.",
            pats.len(),
            num(v.get("n")),
            fmt(num(v.get("load"))),
            if shown < pats.len() { format!("; first {shown} shown") } else { String::new() }
        ))
}

fn recall(v: &View) -> Figure {
    let title = "Recall from a corrupted probe";
    if !v.has("network") {
        return waiting(v, "recall", title, "The probe and its recall");
    }
    let width = num(v.get("width")) as usize;
    let target = num(v.get("target")) as usize;
    let probe = grid_plot(&nums(v.get("probe")), width, vec![(indices(v.get("flipped")), ORANGE)]);
    let flipped = indices(v.get("flipped")).len();
    let r = v.get("recall");
    let mut fig =
        Figure::new("recall", title).columns(2).wide().panel(probe.panel("Probe (orange: flipped bits)"));
    if r.is_null() {
        return fig
            .caption(format!("Probe: pattern {target} with {flipped} bits flipped."))
            .caption("No recall: the training diverged and stopped.");
    }
    let frames = r.get("frames").and_then(Json::as_array).cloned().unwrap_or_default();
    let last = frames.len().saturating_sub(1);
    let f = (v.ui("frame", last as f64).max(0.0) as usize).min(last);
    let frame = frames.get(f).cloned().unwrap_or(Json::Null);
    let state = nums(field(&frame, "state"));
    let goal = nums(field(v.get("patterns"), &target.to_string()));
    let wrong: Vec<usize> =
        state.iter().zip(&goal).enumerate().filter(|(_, (a, b))| a != b).map(|(i, _)| i).collect();
    let step = at(&frame, "step");
    let st = grid_plot(&state, width, vec![(wrong, RED)]);
    fig = fig.panel(st.panel(format!(
        "State after {} — {} changed, m = {}",
        plural(step as usize, "step", "steps"),
        at(&frame, "changed"),
        fixed3(at(&frame, "overlap"))
    )));
    let steps: Vec<f64> = frames.iter().map(|q| at(q, "step")).collect();
    let m: Vec<f64> = frames.iter().map(|q| at(q, "overlap")).collect();
    let lo = m.iter().copied().filter(|x| x.is_finite()).fold(0.0, f64::min);
    let overlap = Plot::new(Axis::new("synchronous step"), Axis::new("m").domain(lo, 1.05))
        .series(format!("overlap with pattern {target}"), steps, m, Style::line(0).with_markers())
        .vline(step, "", GREY)
        .height(150.0);
    fig = fig.panel(overlap.panel(""));
    let n_steps = at(r, "steps") as usize;
    let outcome = if r.get("recalled") == Some(&Json::Bool(true)) {
        format!("recalled pattern {target} exactly")
    } else if r.get("cycled") == Some(&Json::Bool(true)) {
        "fell into a 2-cycle".to_string()
    } else if r.get("converged") == Some(&Json::Bool(true)) {
        format!(
            "settled on a state with m = {} (best match: pattern {}, m = {})",
            fixed3(at(r, "final_overlap")),
            at(r, "best_match"),
            fixed3(at(r, "best_overlap"))
        )
    } else {
        format!("did not settle within {}", plural(n_steps, "step", "steps"))
    };
    let tt = v.get("recall_test");
    let ok =
        field(tt, "success").as_array().map_or(0, |s| s.iter().filter(|x| x == &&Json::Bool(true)).count());
    fig.control(Control::Player { key: "frame".into(), frames: frames.len(), label: "step".into() })
        .caption(format!(
            "Probe: pattern {target} with {flipped} bits flipped; synchronous recall {outcome} after {}. Red outlines: differs from pattern {target}.",
            plural(n_steps, "step", "steps")
        ))
        .caption(format!(
            "Recall test: {ok} of {} probes ({}% flipped, ≤ {} steps) end exactly on their pattern; mean overlap {}.",
            at(tt, "tests"),
            (at(tt, "flip") * 100.0).round(),
            at(tt, "max_steps"),
            fixed3(at(tt, "mean_overlap"))
        ))
}

/// A ±1 state as a grid with outlined cells.
fn grid_plot(values: &[f64], width: usize, outlines: Vec<(Vec<usize>, Color)>) -> Plot {
    Plot::pixels(spins(values, width), CellClick::None, outlines, 180.0)
}

fn forces(v: &View) -> Figure {
    let title = "Forces at the stored patterns";
    if !v.has("network") {
        return waiting(v, "forces", title, "M, ρ and the forces at every stored pattern");
    }
    let target = num(v.get("target")) as usize;
    let row = |name: String, s: &Json| -> Vec<String> {
        std::iter::once(name)
            .chain(
                ["sharpness", "force_direct_sq", "force_indirect_sq", "rho", "force_ratio"]
                    .iter()
                    .map(|k| fmt(at(s, k))),
            )
            .collect()
    };
    let table = Table {
        columns: ["", "M = ‖∇V‖²", "‖F_d‖²", "‖F_i‖²", "ρ", "‖F_i‖/‖F_d‖"].map(String::from).to_vec(),
        rows: vec![
            row(format!("at pattern μ = {target}"), v.get("at_target")),
            row("median over patterns".into(), v.get("pattern_median")),
            row("mean over patterns".into(), v.get("pattern_mean")),
        ],
        highlight: vec![0],
    };
    let mut fig =
        Figure::new("forces", title).panel(Panel { title: String::new(), body: Body::Table(table) });
    let rho = nums(v.get("rho"));
    if v.get("numbers") == &Json::Bool(false) || rho.is_empty() {
        return fig.caption(
            "No numbers: the training diverged and stopped (set diverge=continue to see them, flagged).",
        );
    }
    let x: Vec<f64> = (0..rho.len()).map(|i| i as f64).collect();
    let colors = (0..rho.len()).map(|i| if i == target { RED } else { BLUE }).collect();
    let bars = Plot::new(
        Axis::new(format!("ρ at every stored pattern μ (red: μ = {target})"))
            .domain(-0.5, rho.len() as f64 - 0.5),
        Axis::new("ρ").domain(-1.0, 1.0),
    )
    .mark(Mark::Bars { x, y: rho, width: 1.0, base: 0.0, color: BLUE, colors, label: String::new() })
    .height(140.0);
    fig = fig.plot("", bars);
    let at_t = v.get("at_target");
    let (ratio, r) = (at(at_t, "force_ratio"), at(at_t, "rho"));
    if ratio < 1e-3 {
        fig = fig.caption(format!(
            "Here ‖F_i‖ is {} of ‖F_d‖: ρ is the angle of a negligible force, not an interaction.",
            fmt(ratio)
        ));
    } else if r < -0.5 {
        fig = fig.caption("F_i opposes F_d (force antagonism): M ≈ (‖F_d‖ − ‖F_i‖)².");
    }
    fig
}

fn spectra(v: &View) -> Figure {
    let title = "Spectra";
    if !v.has("network") {
        return waiting(v, "spectra", title, "The singular values of α and the eigenvalues of K");
    }
    let t = v.get("training");
    let sv = nums(v.get("alpha_singular_values"));
    let ke = nums(v.get("kernel_eigenvalues"));
    let mut fig = Figure::new("spectra", title).columns(2);
    if let Some(&s1) = sv.first() {
        let s1 = if s1 > 0.0 { s1 } else { 1.0 };
        let x: Vec<f64> = (1..=sv.len()).map(|k| k as f64).collect();
        let y: Vec<f64> = sv.iter().map(|s| s / s1).collect();
        fig = fig.plot(
            "Singular values of α",
            Plot::new(Axis::new("k"), Axis::new("σ_k / σ_1 (log)").log())
                .series("σ_k/σ_1 of α", x, y, Style::line(1).with_markers())
                .height(190.0),
        );
    } else {
        fig = fig.panel(text_panel(vec!["No singular values: the training diverged and stopped.".into()]));
    }
    if !ke.is_empty() {
        let x: Vec<f64> = (1..=ke.len()).map(|k| k as f64).collect();
        let edge = (8.0 / at(t, "lr")).sqrt();
        fig = fig.plot(
            "Eigenvalues of K",
            Plot::new(Axis::new("k"), Axis::new("λ_k(K) (log)").log())
                .series("eigenvalues of K", x, ke.clone(), Style::line(0))
                .hline(edge, "curvature = 2/η", RED)
                .height(190.0),
        );
    } else {
        fig = fig.panel(text_panel(vec!["The full spectrum of K is skipped above P = 1500.".into()]));
    }
    fig.caption(format!(
        "Stable rank of α: {}; λ_max(αᵀKα) = {}; λ_max(K) = {}.",
        fmt(num(v.get("stable_rank"))),
        fmt(num(v.get("lambda_max"))),
        fmt(at(t, "kernel_lambda_max"))
    ))
    .caption(if ke.is_empty() {
        String::new()
    } else {
        format!(
            "Red line: λ_max(K) = √(8/η) = {}, where the curvature at α = 0 reaches 2/η as λ → 0.",
            fmt((8.0 / at(t, "lr")).sqrt())
        )
    })
}

// ------------------------------------------------------------------------- capacity

fn capacity(v: &View) -> Figure {
    let title = "Capacity: recall success vs load P/N";
    let total = capacity_config(&v.params).loads.len();
    let streamed: Vec<Json> = v
        .pieces("capacity")
        .iter()
        .map(|p| field(p, "capacity_point").clone())
        .filter(|p| !p.is_null())
        .collect();
    // The points a run has streamed, else the finished curve.
    let (mut points, meta): (Vec<Json>, Json) = if !streamed.is_empty() || !v.has("capacity") {
        (streamed, Json::Null)
    } else {
        let c = v.get("capacity").clone();
        (field(&c, "points").as_array().cloned().unwrap_or_default(), c)
    };
    points.sort_by(|a, b| at(a, "index").total_cmp(&at(b, "index")));
    if points.is_empty() {
        let msg = if v.progress("capacity").is_some() {
            format!(
                "Computing the capacity curve: {total} loads, each a fresh KLR network and its Hebbian twin; the points appear as they finish…"
            )
        } else {
            format!(
                "The capacity curve (KLR against the classic Hebbian network, exact recall against P/N, {total} loads) appears here once it is computed (seconds at the defaults)."
            )
        };
        return Figure::empty("capacity", title, msg);
    }
    let load: Vec<f64> = points.iter().map(|q| at(q, "load")).collect();
    let col = |k: &str| points.iter().map(|q| at(q, k)).collect::<Vec<f64>>();
    let xmax = load.iter().copied().fold(0.138, f64::max) * 1.05;
    let plot =
        Plot::new(Axis::new("load P/N").domain(0.0, xmax), Axis::new("success rate").domain(0.0, 1.05))
            .series("KLR: exact recall", load.clone(), col("success"), Style::line(1).with_markers())
            .series(
                "Hebbian: exact recall",
                load.clone(),
                col("hebbian_success"),
                Style::line(0).with_markers(),
            )
            .series("KLR: mean overlap", load.clone(), col("mean_overlap"), Style::line(6).dashed())
            .series("KLR: trainings diverged", load, col("diverged"), Style::line(3).dashed())
            .vline(0.138, "Hebbian 0.138 N", BLUE)
            .legend(LegendPos::Below)
            .height(240.0);
    let mut fig = Figure::new("capacity", title).plot("", plot);
    if meta.is_null() {
        fig = fig.caption(format!(
            "{} of {total} loads so far{}",
            points.len(),
            if v.progress("capacity").is_some() { "…" } else { " (the run stopped before the end)." }
        ));
    } else {
        fig = fig.caption(format!(
            "N = {}, γ = {}, {}% flipped, {} probes × {} network(s) per load, ≤ {} steps.",
            at(&meta, "n"),
            fmt(at(&meta, "gamma")),
            (at(&meta, "flip") * 100.0).round(),
            at(&meta, "tests"),
            at(&meta, "trials"),
            at(&meta, "max_steps")
        ));
    }
    fig.caption("Success = a fixed point equal to the probed pattern. A load where every training diverged (diverge=stop) has no KLR point.")
}

// ------------------------------------------------------------------------- sweeps

/// The cells of a sweep-like part (`sweep` or `section`) on show: those streamed by a
/// running (or stopped) run, or the finished result's. With the grid they sit on, the
/// curvature limit, and whether they are complete.
struct Cells {
    grid: Grid,
    cells: Vec<Json>,
    limit: f64,
    /// The finished result (its `fit` is the one reported).
    result: Option<Json>,
    running: bool,
}

fn cells_of(v: &View, part: &str, grid: fn(&Params) -> Grid) -> Option<Cells> {
    let key = format!("{part}_cell");
    let mut cells: Vec<Json> =
        v.pieces(part).iter().map(|p| field(p, &key).clone()).filter(|c| !c.is_null()).collect();
    if !cells.is_empty() {
        // A run under way (or stopped): what it has streamed, on the grid of the parameters.
        cells.sort_by(|a, b| at(a, "index").total_cmp(&at(b, "index")));
        return Some(Cells {
            grid: grid(&v.params),
            cells,
            limit: 2.0 / v.params.float("lr"),
            result: None,
            running: v.progress(part).is_some(),
        });
    }
    let r = v.get(part);
    if !v.has(part) || r.is_null() {
        return None;
    }
    let g = Grid::new(at(r, "n") as usize, nums(field(r, "gammas")), nums(field(r, "loads")));
    Some(Cells {
        grid: g,
        cells: field(r, "cells").as_array().cloned().unwrap_or_default(),
        limit: at(r, "curvature_limit"),
        result: Some(r.clone()),
        running: false,
    })
}

impl Cells {
    fn count_line(&self, what: &str) -> String {
        let total = self.grid.cells();
        let state = if self.result.is_some() {
            ""
        } else if self.running {
            " so far…"
        } else {
            " (the run stopped before the end)"
        };
        format!("{} of {total} {what}{state}", self.cells.len())
    }

    fn diverged(&self) -> usize {
        self.cells.iter().filter(|c| is_diverged(c)).count()
    }
}

fn is_diverged(c: &Json) -> bool {
    c.get("status").and_then(Json::as_str) == Some("diverged")
}

/// A heatmap quantity.
struct Quantity {
    label: &'static str,
    cmap: Cmap,
    /// A fixed colour domain.
    fixed: Option<[f64; 2]>,
    /// A domain symmetric about 0.
    symmetric: bool,
    /// Whether `stat=median` changes it.
    median: bool,
    value: fn(&Json, bool, f64) -> f64,
}

fn log10(v: f64) -> f64 {
    if v > 0.0 { v.log10() } else { f64::NAN }
}

fn pick(c: &Json, key: &str, median: bool) -> f64 {
    if median { at(c, &format!("{key}_median")) } else { at(c, key) }
}

fn quantity(show: &str) -> Quantity {
    let q = |label, value: fn(&Json, bool, f64) -> f64| Quantity {
        label,
        cmap: Cmap::Viridis,
        fixed: None,
        symmetric: false,
        median: false,
        value,
    };
    match show {
        "rho" => Quantity {
            cmap: Cmap::Diverging,
            fixed: Some([-1.0, 1.0]),
            median: true,
            ..q("ρ = cos(F_d, F_i)", |c, m, _| pick(c, "rho", m))
        },
        "ratio" => Quantity {
            median: true,
            ..q("log₁₀ ‖F_i‖/‖F_d‖", |c, m, _| log10(pick(c, "force_ratio", m)))
        },
        "stable_rank" => q("stable rank of α", |c, _, _| at(c, "stable_rank")),
        "lambda_max" => q("log₁₀ λ_max(α^T K α)", |c, _, _| log10(at(c, "lambda_max"))),
        "recall" => {
            Quantity { fixed: Some([0.0, 1.0]), ..q("recall success", |c, _, _| at(c, "recall_success")) }
        }
        "curvature" => Quantity {
            cmap: Cmap::Diverging,
            symmetric: true,
            ..q("log₁₀ curvature·η/2", |c, _, limit| log10(at(c, "curvature_start") / limit))
        },
        _ => Quantity { median: true, ..q("log₁₀ M", |c, m, _| log10(pick(c, "sharpness", m))) },
    }
}

/// The data rectangle of a grid: cells centred on the loads (linear) and the γ values
/// (evenly spaced in log10), `[x0, x1, y0, y1]`.
fn grid_extent(g: &Grid) -> [f64; 4] {
    let edges = |v: &[f64]| -> [f64; 2] {
        match v {
            [] => [0.0, 1.0],
            [only] => [only - 0.5 * only.abs().max(0.1), only + 0.5 * only.abs().max(0.1)],
            [first, .., last] => {
                let d = (last - first) / (v.len() - 1) as f64;
                [first - d / 2.0, last + d / 2.0]
            }
        }
    };
    let [x0, x1] = edges(&g.loads);
    let lg: Vec<f64> = g.gammas.iter().map(|x| x.log10()).collect();
    let [y0, y1] = if lg.len() == 1 { [lg[0] - 0.5, lg[0] + 0.5] } else { edges(&lg) };
    [x0, x1, 10f64.powf(y0), 10f64.powf(y1)]
}

/// The edges between cells: the load between columns `il` and `il + 1` and the γ between
/// rows (geometric means), and the outer edges.
fn cell_edges(g: &Grid) -> (Vec<f64>, Vec<f64>) {
    let [x0, x1, y0, y1] = grid_extent(g);
    let mut xs = vec![x0];
    xs.extend(g.loads.windows(2).map(|w| (w[0] + w[1]) / 2.0));
    xs.push(x1);
    let mut ys = vec![y0];
    ys.extend(g.gammas.windows(2).map(|w| (w[0] * w[1]).sqrt()));
    ys.push(y1);
    (xs, ys)
}

/// The pixel of sweep cell `index` (row 0 at the top = the largest γ).
fn pixel(g: &Grid, index: usize) -> usize {
    let (ig, il) = g.coords(index);
    (g.gammas.len() - 1 - ig) * g.loads.len() + il
}

fn phase(v: &View) -> Figure {
    let title = "Phase diagram over γ × P/N";
    let name = "phase";
    let controls = Control::Params { keys: vec!["show".into(), "stat".into()] };
    let Some(cs) = cells_of(v, "sweep", sweep_grid) else {
        let grid = sweep_grid(&v.params);
        if v.params.flag("sweep") {
            return Figure::empty(
                name,
                title,
                format!("Computing the phase diagram: {} networks, one per cell; the cells appear here as they finish.", grid.cells()),
            )
            .control(controls);
        }
        return Figure::empty(
            name,
            title,
            format!(
                "The phase diagram is not computed yet: every cell trains one network ({} × {} cells here). The author's 30 × 30 grid (N = 100, 300 epochs) takes minutes in a browser; the cells appear as they finish and Cancel stops it.",
                grid.gammas.len(),
                grid.loads.len()
            ),
        )
        .control(Control::Buttons {
            buttons: vec![Button {
                label: "Compute the phase diagram".into(),
                title: "Set sweep=1: train one network per cell".into(),
                action: Action::Set { values: vec![("sweep".into(), "1".into())] },
            }],
        })
        .control(controls);
    };
    let g = &cs.grid;
    let (rows, cols) = (g.gammas.len(), g.loads.len());
    let show = v.params.choice("show");
    let median = v.params.choice("stat") == "median";
    let q = quantity(show);
    let mut values = vec![f64::NAN; rows * cols];
    let mut actions = vec![None; rows * cols];
    let mut shift = vec![None; rows * cols];
    let mut titles = vec![String::new(); rows * cols];
    let (mut crosses, mut dots, mut faded) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()), Vec::new());
    let mut ok: Vec<Option<bool>> = vec![None; g.cells()];
    let mut selected = None;
    let (sel_p, sel_g) = (v.params.usize("p"), v.params.float("gamma"));
    for c in &cs.cells {
        let index = at(c, "index") as usize;
        if index >= g.cells() {
            continue;
        }
        let px = pixel(g, index);
        values[px] = (q.value)(c, median && q.median, cs.limit);
        let (gamma, load, p) = (at(c, "gamma"), at(c, "load"), at(c, "p") as usize);
        // The link names the cell; P and γ (exact, so that the network is the cell's) follow
        // from it and stay out of the link.
        actions[px] = Some(Action::Set {
            values: vec![
                ("cell".into(), index.to_string()),
                ("gamma".into(), format!("{gamma}")),
                ("p".into(), p.to_string()),
            ],
        });
        shift[px] = Some(Action::Toggle { key: "pins".into(), index: index as i64 });
        let status = c.get("status").and_then(Json::as_str).unwrap_or("");
        titles[px] = format!(
            "γ = {}, P/N = {} (P = {p}): {status}{}; M = {}, ρ = {}, ‖F_i‖/‖F_d‖ = {}, stable rank {}, λ_max = {}, recall {}, curvature {} — click: inspect, shift-click: pin",
            fmt(gamma),
            fmt(load),
            match field(c, "diverged_epoch").as_u64() {
                Some(e) => format!(" at epoch {e}"),
                None => String::new(),
            },
            fmt(at(c, "sharpness")),
            fmt(at(c, "rho")),
            fmt(at(c, "force_ratio")),
            fmt(at(c, "stable_rank")),
            fmt(at(c, "lambda_max")),
            fmt(at(c, "recall_success")),
            fmt(at(c, "curvature_start")),
        );
        if is_diverged(c) {
            crosses.0.push(load);
            crosses.1.push(gamma);
        } else if at(c, "loss_rises") > 0.0 {
            dots.0.push(load);
            dots.1.push(gamma);
        }
        if show == "rho" && pick(c, "force_ratio", median) < 1e-3 {
            faded.push(px);
        }
        ok[index] = c.get("curvature_ok").and_then(Json::as_bool);
        if p == sel_p && (gamma - sel_g).abs() <= 1e-12 * sel_g.abs() {
            selected = Some(px);
        }
    }
    let finite = values.iter().copied().filter(|x| x.is_finite());
    let (mut lo, mut hi) = match q.fixed {
        Some([a, b]) => (a, b),
        None => finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x))),
    };
    if hi.partial_cmp(&lo).is_none_or(|o| o == std::cmp::Ordering::Less) {
        (lo, hi) = (0.0, 1.0);
    }
    if q.symmetric {
        let a = lo.abs().max(hi.abs()).max(1e-9);
        (lo, hi) = (-a, a);
    }
    if hi == lo {
        (lo, hi) = (lo - 0.5, hi + 0.5);
    }
    let extent = grid_extent(g);
    let label = format!("{}{}", q.label, if median && q.median { " (median)" } else { "" });
    let mut plot = Plot::new(
        Axis::new(format!("load P/N (N = {})", g.n)).domain(extent[0], extent[1]),
        Axis::new("γ (log scale)").log().domain(extent[2], extent[3]),
    )
    .mark(Mark::Heatmap {
        pixels: Pixels { rows, cols, values, cmap: q.cmap, domain: [lo, hi] },
        extent,
        click: CellClick::Actions { actions, shift, titles },
        smooth: false,
    })
    .colorbar(q.cmap, [lo, hi], label)
    .legend(LegendPos::None)
    .height(380.0);
    plot.x.grid = false;
    plot.y.grid = false;
    if !faded.is_empty() {
        plot = plot.mark(Mark::Fill { rows, cols, extent, cells: faded, color: WHITE.alpha(0.7) });
    }
    if !crosses.0.is_empty() {
        plot = plot.mark(Mark::Markers {
            x: crosses.0,
            y: crosses.1,
            shape: Shape::Cross,
            size: 3.5,
            color: Color::rgb(25, 25, 25),
            label: String::new(),
        });
    }
    if !dots.0.is_empty() {
        plot = plot.mark(Mark::Markers {
            x: dots.0,
            y: dots.1,
            shape: Shape::Dot,
            size: 2.6,
            color: Color::rgb(25, 25, 25),
            label: String::new(),
        });
    }
    // The curvature limit: edges between cells on either side of curvature = 2/η.
    let (xs, ys) = cell_edges(g);
    let mut segs = Vec::new();
    for ig in 0..rows {
        for il in 0..cols {
            let here = ok[ig * cols + il];
            if il + 1 < cols
                && here.is_some()
                && ok[ig * cols + il + 1].is_some()
                && here != ok[ig * cols + il + 1]
            {
                segs.push([xs[il + 1], ys[ig], xs[il + 1], ys[ig + 1]]);
            }
            if ig + 1 < rows
                && here.is_some()
                && ok[(ig + 1) * cols + il].is_some()
                && here != ok[(ig + 1) * cols + il]
            {
                segs.push([xs[il], ys[ig + 1], xs[il + 1], ys[ig + 1]]);
            }
        }
    }
    if !segs.is_empty() {
        plot = plot.mark(Mark::Segments { segs, color: Color::rgb(220, 20, 40), width: 2.0 });
    }
    for (k, &pin) in super::params::pins(&v.params).iter().enumerate() {
        if pin < g.cells() {
            plot = plot.mark(Mark::Outline {
                rows,
                cols,
                extent,
                cells: vec![pixel(g, pin)],
                color: PALETTE[k % PALETTE.len()],
            });
        }
    }
    if let Some(px) = selected {
        plot = plot.mark(Mark::Outline { rows, cols, extent, cells: vec![px], color: TEXT });
    }
    let mut fig = Figure::new(name, title).wide().plot("", plot).control(controls);
    fig.data = Some(records(&cs.cells));
    fig = fig.caption(format!(
        "{} · {} diverged (✕) · • loss rose · red line: curvature = 2/η = {}. Click a cell: inspect it above (black outline); shift-click: pin it (coloured outlines, Figure 5).",
        cs.count_line("cells"),
        cs.diverged(),
        fmt(cs.limit)
    ));
    if show == "rho" {
        fig = fig.caption("Faded: ‖F_i‖/‖F_d‖ < 10⁻³ (an angle of a negligible force).");
    }
    fig.caption("Grey: no number (diverged and stopped, or not computed yet).")
}

/// JSON records as a data table (columns: the first record's keys).
fn records(cells: &[Json]) -> DataTable {
    let columns: Vec<String> = match cells.first() {
        Some(Json::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let rows = cells
        .iter()
        .map(|c| {
            columns
                .iter()
                .map(|k| match c.get(k) {
                    Some(Json::Number(x)) => format!("{}", x.as_f64().unwrap_or(f64::NAN)),
                    Some(Json::String(s)) => s.clone(),
                    Some(Json::Bool(b)) => b.to_string(),
                    _ => String::new(),
                })
                .collect()
        })
        .collect();
    DataTable { columns, rows }
}

fn prop1(v: &View) -> Figure {
    let title = "Proposition 1: M against λ_max(αᵀKα)";
    let need = "M at pattern 0 against λ_max(α^T K α) for every cell of the phase diagram, with a log-log fit over the cells that did not diverge (Proposition 1 predicts slope 1)";
    let Some(cs) = cells_of(v, "sweep", sweep_grid) else {
        let tail = if v.params.flag("sweep") {
            "appears here as the sweep's cells arrive."
        } else {
            "needs the phase diagram (Compute the phase diagram, below)."
        };
        return Figure::empty("prop1", title, format!("{need} {tail}"));
    };
    let usable = |c: &&Json| at(c, "lambda_max") > 0.0 && at(c, "sharpness") > 0.0;
    let ok: Vec<&Json> = cs.cells.iter().filter(|c| !is_diverged(c)).filter(usable).collect();
    let bad: Vec<&Json> = cs.cells.iter().filter(|c| is_diverged(c)).filter(usable).collect();
    if ok.is_empty() && bad.is_empty() {
        return Figure::empty(
            "prop1",
            title,
            format!("{need}: no cell with numbers yet ({}).", cs.count_line("cells")),
        );
    }
    // The fit: the finished sweep's (computed once, by the run or the merge of its shards),
    // or over the cells so far, marked partial.
    let (fit, partial) = match &cs.result {
        Some(r) => (serde_json::from_value::<FitJson>(field(r, "fit").clone()).ok(), false),
        None => (
            fit_records(&cs.cells).map(|f| FitJson {
                slope: f.slope,
                intercept: f.intercept,
                correlation: f.correlation,
                count: f.count,
            }),
            true,
        ),
    };
    let xy = |cs: &[&Json]| -> (Vec<f64>, Vec<f64>) {
        (cs.iter().map(|c| at(c, "lambda_max")).collect(), cs.iter().map(|c| at(c, "sharpness")).collect())
    };
    let (bx, by) = xy(&bad);
    let (ox, oy) = xy(&ok);
    let mut plot =
        Plot::new(Axis::new("λ_max(α^T K α) (log)").log(), Axis::new("M at pattern 0 (log)").log())
            .legend(LegendPos::Below)
            .height(240.0);
    if !bx.is_empty() {
        plot = plot.mark(Mark::Markers {
            x: bx,
            y: by,
            shape: Shape::Dot,
            size: 2.6,
            color: RED,
            label: "diverged (not fitted)".into(),
        });
    }
    if !ox.is_empty() {
        let (x0, x1) = ox.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        plot = plot.mark(Mark::Markers {
            x: ox,
            y: oy,
            shape: Shape::Dot,
            size: 2.6,
            color: BLUE,
            label: "cells (converged / budget)".into(),
        });
        if let Some(f) = &fit {
            let line = |x: f64| 10f64.powf(f.intercept + f.slope * x.log10());
            plot = plot.series(
                format!("{}fit: slope {}", if partial { "partial " } else { "" }, fixed3(f.slope)),
                vec![x0, x1],
                vec![line(x0), line(x1)],
                Style::line(7).dashed(),
            );
        }
    }
    let mut fig = Figure::new("prop1", title).plot("", plot);
    fig = fig.caption(match &fit {
        Some(f) => format!(
            "Log-log fit over {} non-diverged cells: slope {} (Proposition 1 predicts 1), correlation {}.",
            f.count,
            fixed3(f.slope),
            fixed3(f.correlation)
        ),
        None => "No fit: it needs at least two non-diverged cells with numbers.".into(),
    });
    if partial {
        fig =
            fig.caption(format!("Partial: {}; the fit is refined as cells arrive.", cs.count_line("cells")));
    }
    fig
}

/// The `fit` field of a sweep.
#[derive(serde::Deserialize)]
struct FitJson {
    slope: f64,
    intercept: f64,
    correlation: f64,
    count: usize,
}

fn section(v: &View) -> Figure {
    let title = "Cross-section: forces against P/N at one γ";
    let Some(cs) = cells_of(v, "section", section_grid) else {
        let grid = section_grid(&v.params);
        if v.params.flag("section") {
            return Figure::empty(
                "section",
                title,
                format!(
                    "Computing the cross-section at γ = {}: {} networks, one per load; they appear here as they finish.",
                    fmt(grid.gammas[0]),
                    grid.cells()
                ),
            );
        }
        return Figure::empty(
            "section",
            title,
            "Not computed: ‖F_d‖², ‖F_i‖² and M against P/N at one γ, one network per load of the phase diagram. The button runs it at the paper's γ = 0.001 (Figure 3).",
        )
        .control(Control::Buttons {
            buttons: vec![Button {
                label: "γ = 0.001 cross-section (Figure 3)".into(),
                title: "Set section=1 and sec_gamma=0.001".into(),
                action: Action::Set { values: vec![("section".into(), "1".into()), ("sec_gamma".into(), "0.001".into())] },
            }],
        });
    };
    let median = v.params.choice("stat") == "median";
    let x: Vec<f64> = cs.cells.iter().map(|c| at(c, "load")).collect();
    let col = |k: &str| cs.cells.iter().map(|c| pick(c, k, median)).collect::<Vec<f64>>();
    // Both plots span the grid's loads, whatever has numbers so far.
    let [x0, x1, _, _] = grid_extent(&cs.grid);
    let loads = || Axis::new("load P/N").domain(x0, x1);
    let (fd, fi, m) = (col("force_direct_sq"), col("force_indirect_sq"), col("sharpness"));
    let positive = |v: &[f64]| v.iter().any(|x| x.is_finite() && *x > 0.0);
    let gamma = cs.grid.gammas.first().copied().unwrap_or(f64::NAN);
    let mut fig = Figure::new("section", title);
    if cs.cells.is_empty() {
        return Figure::empty(
            "section",
            title,
            format!("Computing the cross-section at γ = {}: {}.", fmt(gamma), cs.count_line("loads")),
        );
    }
    if positive(&fd) || positive(&fi) || positive(&m) {
        let forces = Plot::new(
            loads(),
            Axis::new(if median { "median over patterns (log)" } else { "at pattern 0 (log)" }).log(),
        )
        .series("‖F_d‖²", x.clone(), fd, Style::line(0).with_markers())
        .series("‖F_i‖²", x.clone(), fi, Style::line(2).with_markers())
        .series("M = ‖∇V‖²", x.clone(), m, Style::line(1).with_markers())
        .legend(LegendPos::Below)
        .height(220.0);
        // Capped at 1.05, missing values (no numbers) left out.
        let ratio: Vec<f64> =
            col("force_ratio").into_iter().map(|r| if r > 1.05 { 1.05 } else { r }).collect();
        let rho = Plot::new(loads(), Axis::new("ρ").domain(-1.05, 1.05))
            .series("ρ", x.clone(), col("rho"), Style::line(4).with_markers())
            .series("‖F_i‖/‖F_d‖ (capped at 1)", x, ratio, Style::line(6).dashed())
            .hline(0.0, "", GREY)
            .legend(LegendPos::Below)
            .height(150.0);
        fig = fig.plot("", forces).plot("", rho);
    } else {
        fig = fig.panel(text_panel(vec![
            "Training diverged at every load computed so far and stopped (diverge=stop): no numbers to draw."
                .into(),
            "Set diverge=continue to see the numbers of the unstable trainings, flagged.".into(),
        ]));
    }
    let div: Vec<f64> = cs.cells.iter().filter(|c| is_diverged(c)).map(|c| at(c, "load")).collect();
    let stop = v.params.choice("diverge") == "stop";
    fig.caption(format!(
        "γ = {}, {}. {}",
        fmt(gamma),
        cs.count_line("loads"),
        if div.is_empty() {
            "No training diverged.".to_string()
        } else {
            format!(
                "Training diverged at {} of them (P/N ≥ {}){}.",
                div.len(),
                fmt(div.iter().copied().fold(f64::INFINITY, f64::min)),
                if stop {
                    ": no numbers there (diverge=stop)"
                } else {
                    ": their numbers describe an unstable training"
                }
            )
        }
    ))
}

fn pins(v: &View) -> Figure {
    let title = "Pinned cells: normalised singular values of α";
    let wanted = super::params::pins(&v.params);
    let list = if v.has("pins") { v.get("pins").as_array().cloned().unwrap_or_default() } else { Vec::new() };
    if list.is_empty() {
        let msg = match v.progress("pins") {
            Some((d, t)) => format!("Computing the pinned cells: {d} of {t} networks…"),
            None if wanted.is_empty() => "Shift-click cells of the phase diagram to pin them (the Figure 5 preset pins three): the normalised singular values of α of each appear here, in the colours of their outlines.".into(),
            None => format!(
                "The spectra of {} appear here once they are computed.",
                plural(wanted.len(), "pinned cell", "pinned cells")
            ),
        };
        return Figure::empty("pins", title, msg);
    }
    let mut plot =
        Plot::new(Axis::new("k"), Axis::new("σ_k / σ_1 (log)").log()).legend(LegendPos::Below).height(240.0);
    let mut drawn = 0;
    for (k, p) in list.iter().enumerate() {
        let sv = nums(field(p, "alpha_singular_values"));
        let Some(&s1) = sv.first() else { continue };
        let s1 = if s1 > 0.0 { s1 } else { 1.0 };
        drawn += 1;
        plot = plot.series(
            format!(
                "γ = {}, P/N = {}: SR {}{}",
                fmt(at(p, "gamma")),
                fmt(at(p, "load")),
                fmt(at(p, "stable_rank")),
                if is_diverged(p) { " (diverged)" } else { "" }
            ),
            (1..=sv.len()).map(|i| i as f64).collect(),
            sv.iter().map(|s| s / s1).collect(),
            Style::line(k).color(PALETTE[k % PALETTE.len()]),
        );
    }
    let mut fig = Figure::new("pins", title);
    fig = if drawn > 0 {
        fig.plot("", plot)
    } else {
        fig.panel(text_panel(vec!["No pinned cell has numbers (each training diverged and stopped).".into()]))
    };
    fig = fig.caption(format!(
        "{}; colours match the outlines on the phase diagram.",
        plural(list.len(), "pinned cell", "pinned cells")
    ));
    if drawn < list.len() {
        fig = fig.caption("Cells without numbers (diverged and stopped) are not drawn.");
    }
    fig
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{from_query, run_query_cpu};
    use crate::labs::NoProgress;
    use crate::plot::layout::layout;
    use crate::plot::scene::{Hit, Item};

    fn view(q: &str, parts: &[&str]) -> View {
        run_query_cpu(&format!("lab=klr&{q}"), parts, &mut NoProgress).expect("runs").view()
    }

    fn texts(f: &Figure, width: f64) -> Vec<String> {
        layout(f, width)
            .items
            .into_iter()
            .filter_map(|i| if let Item::Text { text, .. } = i { Some(text) } else { None })
            .collect()
    }

    const SMALL: &str = "n=30&p=12&gamma=0.05&epochs=40&tests=6&sw_gmin=0.001&sw_gmax=1&sw_gn=3&sw_lmin=0.2&sw_lmax=1.5&sw_ln=4";

    #[test]
    fn every_figure_has_an_empty_state_without_axes() {
        let v = View::new(from_query("lab=klr").state().expect("klr").params);
        for def in FIGURES {
            let f = (def.build)(&v);
            assert!(
                f.panels.iter().all(|p| matches!(p.body, Body::Empty { .. })),
                "{} draws something before any part ran",
                def.name
            );
            let s = layout(&f, 600.0);
            assert!(!s.items.iter().any(|i| matches!(i, Item::Clip { .. })), "{}: empty axes", def.name);
        }
    }

    #[test]
    fn network_figures_show_the_networks_numbers() {
        let v = view(SMALL, &["network"]);
        let f = (FIGURES[3].build)(&v);
        // The forces table shows the JSON's numbers at the target, 4 significant digits.
        let Body::Table(t) = &f.panels[0].body else { panic!("a table") };
        assert_eq!(t.rows[0][0], "at pattern μ = 0");
        assert_eq!(t.rows[0][1], number(num(field(v.get("at_target"), "sharpness"))));
        assert_eq!(t.rows[1][4], number(num(field(v.get("pattern_median"), "rho"))));
        // The ρ bars are the lab's ρ at every pattern.
        let Body::Plot(p) = &f.panels[1].body else { panic!("a plot") };
        let Mark::Bars { y, .. } = &p.marks[0] else { panic!("bars") };
        assert_eq!(y, &nums(v.get("rho")));
        // The recall animation's last frame is the recall's final state.
        let r = recall(&v);
        assert!(r.caption[0].contains("synchronous recall"), "{:?}", r.caption);
        let frames = field(v.get("recall"), "frames").as_array().map_or(0, Vec::len);
        assert!(matches!(&r.controls[0], Control::Player { frames: n, .. } if *n == frames));
        // Training: the loss curve is the JSON's loss.
        let t = training(&v);
        let Body::Plot(p) = &t.panels[0].body else { panic!("a plot") };
        let Mark::Series { y, .. } = &p.marks[0] else { panic!("a series") };
        assert_eq!(y, &nums(field(v.get("training"), "loss")));
        assert!(
            t.caption[0].starts_with("Gradient descent: ran the full budget of 40 epochs"),
            "{:?}",
            t.caption
        );
    }

    #[test]
    fn phase_cells_sit_where_the_sweep_puts_them_and_click_to_their_network() {
        let v = view(&format!("{SMALL}&sweep=1&pins=1"), &["sweep"]);
        let f = phase(&v);
        let s = layout(&f, 700.0);
        let cells = v.get("sweep").get("cells").and_then(Json::as_array).cloned().unwrap_or_default();
        assert_eq!(cells.len(), 12);
        let hit = s
            .hits
            .iter()
            .find_map(|h| {
                if let Hit::Cells { rows, cols, actions, shift, titles, .. } = h {
                    Some((rows, cols, actions, shift, titles))
                } else {
                    None
                }
            })
            .expect("cells");
        assert_eq!((*hit.0, *hit.1), (3, 4));
        // The top-right pixel is the largest γ and the largest load: cell (2, 3) = index 11.
        let c = &cells[11];
        assert_eq!((at(c, "i_gamma"), at(c, "i_load")), (2.0, 3.0));
        let Some(Action::Set { values }) = &hit.2[3] else { panic!("an action") };
        assert_eq!(values[0], ("cell".to_string(), "11".to_string()));
        assert_eq!(values[1], ("gamma".to_string(), format!("{}", at(c, "gamma"))));
        assert_eq!(values[2], ("p".to_string(), format!("{}", at(c, "p"))));
        assert_eq!(format!("{}", at(c, "gamma")).parse::<f64>().ok(), Some(at(c, "gamma")), "exact");
        assert!(matches!(&hit.3[3], Some(Action::Toggle { key, index: 11 }) if key == "pins"));
        assert!(hit.4[3].contains("P = "), "{}", hit.4[3]);
        // The heatmap's values are log10 M of the cells, and the colour bar's label fits.
        let Body::Plot(p) = &f.panels[0].body else { panic!() };
        let Mark::Heatmap { pixels, .. } = &p.marks[0] else { panic!() };
        assert_eq!(pixels.values[3].to_bits(), log10(at(c, "sharpness")).to_bits());
        assert!(f.caption[0].starts_with("12 of 12 cells"), "{}", f.caption[0]);
        for t in texts(&f, 700.0) {
            assert!(!t.ends_with('…'), "clipped label {t}");
        }
    }

    #[test]
    fn streamed_cells_draw_before_the_sweep_ends_with_a_partial_fit() {
        let full = view(&format!("{SMALL}&sweep=1"), &["sweep"]);
        let cells = full.get("sweep").get("cells").and_then(Json::as_array).cloned().unwrap_or_default();
        let mut v = View::new(full.params.clone());
        v.progress.insert("sweep".into(), (1, 10));
        for c in cells.iter().take(7) {
            v.pieces.entry("sweep".into()).or_default().push(serde_json::json!({ "sweep_cell": c }));
        }
        let f = phase(&v);
        assert!(f.caption[0].starts_with("7 of 12 cells so far"), "{}", f.caption[0]);
        let p = prop1(&v);
        assert!(p.caption.iter().any(|c| c.starts_with("Partial: 7 of 12 cells")), "{:?}", p.caption);
        // A finished sweep reports the fit of the run, the same as over its cells.
        let done = prop1(&full);
        let fit = super::super::sweep::fit_records(&cells).expect("a fit");
        assert!(done.caption[0].contains(&format!("slope {}", fixed3(fit.slope))), "{:?}", done.caption);
        assert!(!done.caption.iter().any(|c| c.starts_with("Partial")));
        // Stopped (cancelled) runs keep their cells and say so.
        v.progress.clear();
        assert!(phase(&v).caption[0].contains("stopped before the end"));
    }

    /// Every text drawn into every figure (what the SVG and PNG carry) has glyphs in the
    /// shipped figure font.
    #[test]
    fn every_drawn_character_is_in_the_figure_font() {
        let v = view(
            &format!(
                "{SMALL}&sweep=1&section=1&sec_gamma=0.05&pins=0,5&cap_max=0.5&cap_points=2&show=lambda_max"
            ),
            &[],
        );
        let empty = View::new(from_query("lab=klr&sweep=1&section=1").state().expect("klr").params);
        for def in FIGURES {
            for view in [&v, &empty] {
                for t in texts(&(def.build)(view), 700.0) {
                    let missing: String = t.chars().filter(|&c| !crate::plot::text::has_glyph(c)).collect();
                    assert!(missing.is_empty(), "{}: {missing:?} in {t:?}", def.name);
                }
            }
        }
        for q in ["rho", "ratio", "stable_rank", "recall", "curvature"] {
            assert!(quantity(q).label.chars().all(crate::plot::text::has_glyph), "{q}");
        }
    }

    #[test]
    fn capacity_has_its_hebbian_line_labelled_outside_the_plot() {
        let v = view("n=30&cap_max=0.5&cap_points=2&epochs=30&tests=5", &["capacity"]);
        let f = capacity(&v);
        let s = layout(&f, 600.0);
        let top = s
            .items
            .iter()
            .find_map(|i| if let Item::Clip { y, .. } = i { Some(*y) } else { None })
            .expect("a plot");
        let label = s.items.iter().find_map(|i| match i {
            Item::Text { y, text, .. } if text == "Hebbian 0.138 N" => Some(*y),
            _ => None,
        });
        assert!(label.is_some_and(|y| y < top), "the label sits above the frame");
    }

    #[test]
    fn section_and_pins_draw_and_empty_states_offer_their_buttons() {
        let v = view(&format!("{SMALL}&section=1&sec_gamma=0.05&pins=0,5"), &["section", "pins"]);
        let s = section(&v);
        assert_eq!(s.panels.len(), 2);
        let Body::Plot(rho) = &s.panels[1].body else { panic!() };
        let ticks = texts(&Figure::new("x", "").plot("", (**rho).clone()), 500.0);
        assert!(["−1", "0", "1"].iter().all(|t| ticks.iter().any(|x| x == t)), "{ticks:?}");
        let p = pins(&v);
        let Body::Plot(pl) = &p.panels[0].body else { panic!() };
        assert_eq!(pl.marks.len(), 2);
        let off = View::new(from_query("lab=klr").state().expect("klr").params);
        assert!(matches!(phase(&off).controls.first(), Some(Control::Buttons { .. })));
        assert!(matches!(section(&off).controls.first(), Some(Control::Buttons { .. })));
    }
}
