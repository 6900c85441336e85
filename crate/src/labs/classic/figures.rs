//! The classic lab's figures: stored patterns, the probe and the state during recall,
//! overlaps, energy, the weight matrix and the capacity curve.

use super::super::{FigureDef, View, field, num, nums};
use crate::params::Params;
use crate::params::bits;
use crate::plot::figure::{
    Axis, Body, Button, CellClick, Cmap, Control, Figure, ImageItem, Images, Mark, Panel, Pixels, Plot, Style,
};
use crate::plot::scene::{Action, Color, PALETTE};
use crate::plot::ticks::number;
use serde_json::Value as Json;

const ORANGE: Color = PALETTE[3];
const PURPLE: Color = PALETTE[4];
const RED: Color = PALETTE[1];

pub const FIGURES: &[FigureDef] = &[
    FigureDef { name: "recall", title: "Recall", parts: &["recall"], ui: &["frame"], build: recall },
    FigureDef { name: "patterns", title: "Stored patterns", parts: &["recall"], ui: &[], build: patterns },
    FigureDef { name: "paint", title: "Paint your own patterns", parts: &[], ui: &[], build: paint },
    FigureDef {
        name: "overlaps",
        title: "Overlap with each stored pattern",
        parts: &["recall"],
        ui: &["frame"],
        build: overlaps,
    },
    FigureDef {
        name: "energy",
        title: "Energy E = −½ sᵀWs",
        parts: &["recall"],
        ui: &["frame"],
        build: energy,
    },
    FigureDef { name: "weights", title: "Weights W", parts: &["recall"], ui: &[], build: weights },
    FigureDef {
        name: "capacity",
        title: "Capacity: recall success vs load P/N",
        parts: &["capacity"],
        ui: &[],
        build: capacity,
    },
];

fn waiting(name: &str, title: &str, what: &str) -> Figure {
    Figure::empty(name, title, format!("{what} appears here once the recall is computed (under a second)."))
}

/// A ±1 vector as a `rows × width` grid (cells past N left empty).
fn spins(v: &[f64], width: usize) -> Pixels {
    Pixels::wrap(v, width, Cmap::Spins, [-1.0, 1.0])
}

fn frame_index(v: &View, frames: usize) -> usize {
    let last = frames.saturating_sub(1);
    (v.ui("frame", last as f64).max(0.0) as usize).min(last)
}

fn indices(j: &Json) -> Vec<usize> {
    nums(j).into_iter().filter(|x| x.is_finite() && *x >= 0.0).map(|x| x as usize).collect()
}

fn clicked(p: &Params) -> Vec<usize> {
    p.list("flips").iter().filter_map(|&i| usize::try_from(i).ok()).collect()
}

fn recall(v: &View) -> Figure {
    if !v.has("recall") {
        return waiting("recall", "Recall", "The probe and the recall");
    }
    let d = &v.data;
    let r = |k: &str| d.get(k).unwrap_or(&Json::Null);
    let width = num(r("width")) as usize;
    let n = num(r("n")) as usize;
    let target = num(r("target")) as usize;
    let frames = r("frames").as_array().map_or(0, Vec::len);
    let f = frame_index(v, frames);
    let frame = field(r("frames"), &f.to_string());
    let state = nums(field(frame, "state"));
    let pattern = nums(field(r("patterns"), &target.to_string()));
    let wrong: Vec<usize> =
        state.iter().zip(&pattern).enumerate().filter(|(_, (a, b))| a != b).map(|(i, _)| i).collect();
    let probe = Plot::pixels(
        spins(&nums(r("probe")), width),
        CellClick::Toggle { key: "flips".into(), count: n },
        vec![(indices(r("flipped")), ORANGE), (clicked(&v.params), PURPLE)],
        200.0,
    );
    let st = Plot::pixels(spins(&state, width), CellClick::None, vec![(wrong, RED)], 200.0);
    let async_mode = r("mode").as_str() == Some("async");
    let unit = if async_mode { "sweep" } else { "step" };
    let step = num(field(frame, "step"));
    let changed = num(field(frame, "changed"));
    let outcome = if r("recalled") == &Json::Bool(true) {
        format!("recalled pattern {target} exactly")
    } else if num(r("cycle_length")) == 2.0 {
        "fell into a 2-cycle".to_string()
    } else if r("converged") == &Json::Bool(true) {
        format!(
            "settled on a state with overlap m = {} (best match: pattern {}, m = {})",
            number(num(r("final_overlap"))),
            num(r("best_match")),
            number(num(r("best_overlap")))
        )
    } else {
        format!("did not settle within {} {unit}s", num(r("steps")))
    };
    Figure::new("recall", "Recall")
        .columns(2)
        .panel(probe.panel("Probe — click or drag over pixels to flip them"))
        .panel(st.panel(format!(
            "State after {step} {unit}{} — {changed} changed",
            if step == 1.0 { "" } else { "s" }
        )))
        .control(Control::Player { key: "frame".into(), frames, label: unit.into() })
        .caption(format!(
            "{} recall {outcome} after {} {unit}s.",
            if async_mode { "Asynchronous" } else { "Synchronous" },
            num(r("steps"))
        ))
        .caption(format!(
            "Probe: {} random flips (orange) + clicked pixels (purple). State: red outlines differ from pattern {target}.",
            indices(r("flipped")).len()
        ))
}

fn patterns(v: &View) -> Figure {
    if !v.has("recall") {
        return waiting("patterns", "Stored patterns", "The stored patterns");
    }
    let pats = v.get("patterns").as_array().cloned().unwrap_or_default();
    let width = num(v.get("width")) as usize;
    let target = num(v.get("target")) as usize;
    let n = num(v.get("n"));
    let shown = pats.len().min(60);
    let items = pats
        .iter()
        .take(shown)
        .enumerate()
        .map(|(mu, p)| ImageItem {
            pixels: spins(&nums(p), width),
            caption: mu.to_string(),
            action: Some(Action::Set { values: vec![("target".into(), mu.to_string())] }),
            outline: (mu == target).then_some(RED),
            title: format!("pattern {mu} — click to probe it"),
        })
        .collect();
    Figure::new("patterns", "Stored patterns")
        .panel(Panel { title: String::new(), body: Body::Images(Images { items, size: 48.0 }) })
        .caption(format!(
            "{} patterns of N = {n}{}; load P/N = {}. Click one to probe it.",
            pats.len(),
            if shown < pats.len() { format!(" (first {shown} shown)") } else { String::new() },
            number(pats.len() as f64 / n)
        ))
}

fn overlaps(v: &View) -> Figure {
    if !v.has("recall") {
        return waiting("overlaps", "Overlap with each stored pattern", "The overlaps");
    }
    let frames = v.get("frames").as_array().map_or(0, Vec::len);
    let f = frame_index(v, frames);
    let m = nums(field(v.get("frames"), &format!("{f}.overlaps")));
    let target = num(v.get("target")) as usize;
    let x: Vec<f64> = (0..m.len()).map(|i| i as f64).collect();
    let colors = (0..m.len()).map(|i| if i == target { RED } else { PALETTE[0] }).collect();
    let plot = Plot::new(
        Axis::new(format!("stored pattern μ (red: target {target})")).domain(-0.5, m.len() as f64 - 0.5),
        Axis::new("overlap m").domain(-1.0, 1.0),
    )
    .mark(Mark::Bars { x, y: m, width: 1.0, base: 0.0, color: PALETTE[0], colors, label: String::new() })
    .height(150.0);
    Figure::new("overlaps", "Overlap with each stored pattern").plot("", plot)
}

fn energy(v: &View) -> Figure {
    if !v.has("recall") {
        return waiting("energy", "Energy E = −½ sᵀWs", "The energy");
    }
    let n = num(v.get("n"));
    let async_mode = v.get("mode").as_str() == Some("async");
    let frames = v.get("frames").as_array().cloned().unwrap_or_default();
    let f = frame_index(v, frames.len());
    let mut plot =
        Plot::new(Axis::new(if async_mode { "sweeps" } else { "synchronous steps" }), Axis::new("E"));
    let updates = nums(v.get("energy_updates"));
    if !updates.is_empty() {
        let x = (0..updates.len()).map(|i| (i + 1) as f64 / n).collect();
        plot = plot.series("after each update", x, updates, Style::line(0));
    }
    let fx: Vec<f64> = frames.iter().map(|q| num(field(q, "step"))).collect();
    let fy: Vec<f64> = frames.iter().map(|q| num(field(q, "energy"))).collect();
    let style = if async_mode { Style::points(1) } else { Style::line(1).with_markers() };
    let cursor = fx.get(f).copied().unwrap_or(0.0);
    plot = plot.series(if async_mode { "end of sweep" } else { "each step" }, fx, fy, style).vline(
        cursor,
        "",
        Color::rgb(90, 90, 90),
    );
    Figure::new("energy", "Energy E = −½ sᵀWs").plot("", plot)
}

fn weights(v: &View) -> Figure {
    if !v.has("recall") {
        return waiting("weights", "Weights W", "The weight matrix");
    }
    let rows = v.get("weights").as_array().cloned().unwrap_or_default();
    let n = rows.len();
    let mut values = Vec::with_capacity(n * n);
    for r in &rows {
        values.extend(nums(r));
    }
    // A symmetric colour domain from the largest |W_ij| (a fold, not a spread of N² arguments).
    let a = values.iter().fold(0.0f64, |m, x| if x.is_finite() { m.max(x.abs()) } else { m }).max(1e-12);
    let size = n as f64;
    let mut plot = Plot::new(Axis::new("j").domain(0.0, size), Axis::new("i").domain(0.0, size))
        .mark(Mark::Heatmap {
            pixels: Pixels { rows: n, cols: n, values, cmap: Cmap::Diverging, domain: [-a, a] },
            extent: [0.0, size, 0.0, size],
            click: CellClick::None,
            smooth: false,
        })
        .colorbar(Cmap::Diverging, [-a, a], "W(i, j)")
        .height(280.0);
    plot.equal = true;
    plot.x.grid = false;
    plot.y.grid = false;
    // Row i = 0 at the top, like a matrix.
    plot.y = plot.y.ticks(vec![(size, "0".into()), (0.0, format!("{}", n.saturating_sub(1)))]);
    Figure::new("weights", "Weights W")
        .plot("", plot)
        .caption(format!("W = (1/N) Σ ξξᵀ with zero diagonal, N = {n}; colours from −{0} to {0}.", number(a)))
}

fn capacity(v: &View) -> Figure {
    if !v.has("capacity") {
        let msg = match v.progress("capacity") {
            Some((d, t)) => format!("Computing the capacity curve: {d} of {t} networks…"),
            None => "The capacity curve (success rate against P/N, both criteria) appears here once it is computed.".into(),
        };
        return Figure::empty("capacity", "Capacity: recall success vs load P/N", msg);
    }
    let c = v.get("capacity");
    let load = nums(field(c, "load"));
    let xmax = load.iter().copied().fold(0.0, f64::max) * 1.02;
    let n = num(field(c, "n"));
    let exact_ref = num(field(c, "ref_exact_load"));
    let near_ref = num(field(c, "ref_near_load"));
    let plot = Plot::new(
        Axis::new(format!(
            "load P/N (N = {n}, {}% flipped, {})",
            (num(field(c, "flip")) * 100.0).round(),
            field(c, "mode").as_str().unwrap_or("")
        ))
        .domain(0.0, xmax),
        Axis::new("success rate").domain(0.0, 1.05),
    )
    .series("exact recall (m = 1)", load.clone(), nums(field(c, "exact")), Style::line(0).with_markers())
    .series("near recall (m ≥ 0.9)", load.clone(), nums(field(c, "near")), Style::line(1).with_markers())
    .series("mean final overlap", load, nums(field(c, "mean_overlap")), Style::line(6).dashed())
    .vline(exact_ref, format!("1/(2 ln N) = {:.3}", exact_ref), PALETTE[0])
    .vline(near_ref, format!("{near_ref} (AGS)"), PALETTE[1])
    .height(240.0);
    Figure::new("capacity", "Capacity: recall success vs load P/N").plot("", plot).caption(format!(
        "{} trials per load. Reference lines: exact recall fails near P = N/(2 ln N); near recall near P/N ≈ 0.138.",
        num(field(c, "trials"))
    ))
}

/// The pattern editor: the probed painted pattern as a grid to draw on, buttons to add a
/// blank pattern or delete this one, and a field to type letters (each becomes a pattern).
/// Built from the link alone, so a stroke shows at once.
fn paint(v: &View) -> Figure {
    let title = "Paint your own patterns";
    let p = &v.params;
    if p.choice("data") != "painted" {
        return Figure::empty(
            "paint",
            title,
            "Draw patterns with the mouse, type letters, or load a CSV of ±1 rows: choose painted patterns.",
        )
        .control(Control::Buttons {
            buttons: vec![Button {
                label: "Paint my own patterns".into(),
                title: "Switch to patterns you draw (starting from the letters H, O, P)".into(),
                action: Action::Set { values: vec![("data".into(), "painted".into())] },
            }],
        });
    }
    let (n, cols) = (p.usize("n"), super::params::grid_width(p));
    let tokens = p.tokens("pats").to_vec();
    let target = p.usize("target").min(tokens.len().saturating_sub(1));
    let Some(pattern) = tokens.get(target).and_then(|t| bits::decode(t, n, cols)) else {
        return Figure::empty(
            "paint",
            title,
            "No painted pattern fits N: type letters or add a blank pattern.",
        );
    };
    let values: Vec<f64> = pattern.iter().map(|&b| if b { 1.0 } else { -1.0 }).collect();
    let grid = Plot::pixels(
        spins(&values, cols),
        CellClick::Paint { key: "pats".into(), token: target, count: n },
        vec![],
        220.0,
    );
    let mut with_blank = tokens.clone();
    with_blank.push(bits::encode(&vec![false; n]));
    let mut without = tokens.clone();
    without.remove(target);
    let mut buttons = vec![Button {
        label: "+ Blank pattern".into(),
        title: "Add an empty pattern to draw on".into(),
        action: Action::Set {
            values: vec![
                ("pats".into(), with_blank.join(".")),
                ("target".into(), (with_blank.len() - 1).to_string()),
            ],
        },
    }];
    if !without.is_empty() {
        buttons.push(Button {
            label: format!("Delete pattern {target}"),
            title: "Remove this pattern from the stored ones".into(),
            action: Action::Set {
                values: vec![
                    ("pats".into(), without.join(".")),
                    ("target".into(), target.saturating_sub(1).to_string()),
                ],
            },
        });
    }
    Figure::new("paint", title)
        .panel(grid.panel(format!("Pattern {target} of {} — drag to draw; a stroke that starts on ink erases", tokens.len())))
        .control(Control::Buttons { buttons })
        .control(Control::Append { key: "pats".into(), label: "Type letters".into(), allowed: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".into() })
        .caption(format!(
            "{} painted pattern(s) of N = {n} in the link (pats=). Click a stored pattern to edit and probe it.",
            tokens.len()
        ))
}
