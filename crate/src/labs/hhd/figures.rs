//! The hhd lab's figures: the spectrum against Marchenko–Pastur, the spiked eigenvectors,
//! the distinct converged states, Figure 1 (spikes vs states), the HHD tree (click a node),
//! the selected node, the leaf prototypes, and Tables 1 and 2 beside the paper's numbers.

use super::super::{FigureDef, View, field, num, nums};
use super::spectrum::mp_density;
use super::table1::PAPER;
use super::{MAX_SHOWN, PAPER_TABLE2};
use crate::plot::figure::{
    Axis, Body, Cmap, Control, DataTable, Figure, ImageItem, Images, LegendPos, Mark, Panel, Pixels, Plot,
    Shape, Style, Table,
};
use crate::plot::scene::{Action, Color, PALETTE};
use crate::plot::ticks::number;
use serde_json::Value as Json;

const GREY: Color = Color::rgb(150, 150, 150);
const RED: Color = PALETTE[1];
const GREEN: Color = PALETTE[2];

pub const FIGURES: &[FigureDef] = &[
    FigureDef {
        name: "spectrum",
        title: "Spectrum of the scaled covariance Q",
        parts: &["spectrum"],
        ui: &[],
        build: spectrum,
    },
    FigureDef { name: "spikes", title: "Spiked eigenvectors", parts: &["spectrum"], ui: &[], build: spikes },
    FigureDef {
        name: "states",
        title: "Distinct converged Hopfield states",
        parts: &["spectrum", "states"],
        ui: &[],
        build: states,
    },
    FigureDef {
        name: "fig1",
        title: "Spikes vs distinct states over subsets (Figure 1)",
        parts: &["subsets"],
        ui: &[],
        build: fig1,
    },
    FigureDef {
        name: "tree",
        title: "Hierarchical Hopfield Decomposition",
        parts: &["hhd"],
        ui: &["node"],
        build: tree,
    },
    FigureDef { name: "node", title: "Selected node", parts: &["hhd"], ui: &["node"], build: node },
    FigureDef {
        name: "prototypes",
        title: "Leaf prototypes",
        parts: &["hhd"],
        ui: &["node"],
        build: prototypes,
    },
    FigureDef {
        name: "table2",
        title: "Table 2: entropy removal",
        parts: &["table2"],
        ui: &[],
        build: table2,
    },
    FigureDef {
        name: "table1",
        title: "Table 1: k-means initialisations",
        parts: &["table1"],
        ui: &[],
        build: table1,
    },
];

fn waiting(v: &View, name: &str, title: &str, part: &str, what: &str, time: &str) -> Figure {
    let msg = match v.progress(part) {
        Some((d, t)) if t > 0 => format!("{what}: computing, {d} of {t} done…"),
        _ => format!("{what} appears here once it is computed ({time})."),
    };
    Figure::empty(name, title, msg)
}

/// Display side of the data: image width (or a near-square grid) and rows.
fn grid(v: &View, len: usize) -> (usize, usize) {
    let w = num(v.get("width"));
    let width =
        if w.is_finite() && w >= 1.0 { w as usize } else { ((len as f64).sqrt().ceil() as usize).max(1) };
    (width, len.div_ceil(width.max(1)))
}

/// A signed vector as a diverging image with a symmetric domain (padding cells grey).
fn signed_image(v: &View, x: &[f64]) -> Pixels {
    let (cols, rows) = grid(v, x.len());
    let a = x.iter().fold(0.0f64, |m, y| if y.is_finite() { m.max(y.abs()) } else { m }).max(1e-12);
    let mut values = x.to_vec();
    values.resize(rows * cols, f64::NAN);
    Pixels { rows, cols, values, cmap: Cmap::Diverging, domain: [-a, a] }
}

/// A ±1 state as a black-and-white image (0: a dropped feature, drawn empty).
fn state_image(v: &View, s: &[f64]) -> Pixels {
    let (cols, rows) = grid(v, s.len());
    let mut values: Vec<f64> = s.iter().map(|&x| if x == 0.0 { f64::NAN } else { x }).collect();
    values.resize(rows * cols, f64::NAN);
    Pixels { rows, cols, values, cmap: Cmap::Spins, domain: [-1.0, 1.0] }
}

/// A sample image: ink dark on light.
fn sample_image(v: &View, px: &[f64]) -> Pixels {
    let (cols, rows) = grid(v, px.len());
    let white = num(v.get("pixel_max"));
    let white = if white.is_finite() && white > 0.0 { white } else { 1.0 };
    let mut values: Vec<f64> = px.iter().map(|&p| white - p).collect();
    values.resize(rows * cols, f64::NAN);
    Pixels { rows, cols, values, cmap: Cmap::Gray, domain: [0.0, white] }
}

fn classes_text(j: &Json) -> String {
    j.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| Some(format!("{}×{}", p.get(0)?.as_i64()?, p.get(1)?.as_u64()?)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

fn spectrum(v: &View) -> Figure {
    const T: &str = "Spectrum of the scaled covariance Q";
    if !v.has("spectrum") {
        return waiting(
            v,
            "spectrum",
            T,
            "spectrum",
            "The eigenvalue histogram with the Marchenko–Pastur law",
            "a second or two",
        );
    }
    let eig = nums(v.get("eigenvalues"));
    let (lo, hi) = (num(v.get("edge_lower")), num(v.get("edge_upper")));
    let (m, n) = (num(v.get("m")), num(v.get("n_samples")));
    let y = m / n;
    let spikes = num(v.get("spike_count"));
    let zeros = eig.iter().filter(|&&x| x <= 1e-9 * eig.first().copied().unwrap_or(1.0).max(1e-300)).count();
    // Histogram of the non-zero eigenvalues up to a little past γ+ (spikes beyond are counted).
    let xmax = (hi * 1.5).max(lo + 1.0);
    let bins = 40usize;
    let w = xmax / bins as f64;
    let mut counts = vec![0.0; bins];
    let mut beyond = 0usize;
    for &e in eig.iter().filter(|&&e| e > 1e-9 * eig.first().copied().unwrap_or(1.0).max(1e-300)) {
        if e >= xmax {
            beyond += 1;
        } else {
            counts[((e / w) as usize).min(bins - 1)] += 1.0;
        }
    }
    let total = eig.len().max(1) as f64;
    let dens: Vec<f64> = counts.iter().map(|c| c / (total * w)).collect();
    let xs: Vec<f64> = (0..bins).map(|i| (i as f64 + 0.5) * w).collect();
    let grid_x: Vec<f64> = (0..=400).map(|i| lo.max(0.0) + (hi - lo.max(0.0)) * i as f64 / 400.0).collect();
    let grid_y: Vec<f64> = grid_x.iter().map(|&x| mp_density(x, y)).collect();
    let hist =
        Plot::new(Axis::new("eigenvalue of Q").domain(0.0, xmax), Axis::new("density (per eigenvalue)"))
            .mark(Mark::Bars {
                x: xs,
                y: dens,
                width: w,
                base: 0.0,
                color: PALETTE[0].alpha(0.6),
                colors: Vec::new(),
                label: "eigenvalues".into(),
            })
            .series("Marchenko–Pastur (scaled)", grid_x, grid_y, Style::line(1).width(2.0))
            .vline(lo, format!("γ− = {}", number(lo)), GREY)
            .vline(hi, format!("γ+ = {}", number(hi)), RED)
            .height(220.0);
    // Rank plot of the leading eigenvalues, log scale, spikes in red.
    let top = eig.len().min(60);
    let rx: Vec<f64> = (1..=top).map(|i| i as f64).collect();
    let ry: Vec<f64> = eig.iter().take(top).copied().collect();
    let is_spike: Vec<bool> = ry.iter().map(|&e| e > hi).collect();
    let (sx, sy): (Vec<f64>, Vec<f64>) =
        rx.iter().zip(&ry).zip(&is_spike).filter(|(_, s)| **s).map(|((a, b), _)| (*a, *b)).unzip();
    let (bx, by): (Vec<f64>, Vec<f64>) =
        rx.iter().zip(&ry).zip(&is_spike).filter(|(_, s)| !**s).map(|((a, b), _)| (*a, *b)).unzip();
    let mut rank = Plot::new(Axis::new("rank"), Axis::new("eigenvalue of Q").log())
        .mark(Mark::Markers {
            x: sx,
            y: sy,
            shape: Shape::Dot,
            size: 3.2,
            color: RED,
            label: "spikes".into(),
        })
        .mark(Mark::Markers {
            x: bx,
            y: by,
            shape: Shape::Circle,
            size: 2.8,
            color: PALETTE[0],
            label: "bulk".into(),
        })
        .hline(hi, "γ+", RED)
        .height(220.0);
    let theory = v.get("theory").as_array().cloned().unwrap_or_default();
    if !theory.is_empty() {
        let tx: Vec<f64> = (1..=theory.len()).map(|i| i as f64).collect();
        let ty: Vec<f64> = theory.iter().map(|t| num(field(t, "eigenvalue"))).collect();
        rank = rank.mark(Mark::Markers {
            x: tx,
            y: ty,
            shape: Shape::Cross,
            size: 4.5,
            color: GREEN,
            label: "BBP prediction".into(),
        });
    }
    let mut fig = Figure::new("spectrum", T)
        .columns(2)
        .plot("Histogram of the bulk", hist)
        .plot(format!("The {top} largest eigenvalues"), rank)
        .caption(format!(
            "{spikes} spike{} (eigenvalues above γ+) — M = {m} features, N = {n} samples, M/N = {}.",
            if spikes == 1.0 { "" } else { "s" },
            number(y)
        ))
        .caption(format!(
            "Histogram: the non-zero eigenvalues below {}; {beyond} above it{}.",
            number(xmax),
            if zeros > 0 {
                format!(", and {zeros} exact zeros (M > N: Q has rank N) not drawn")
            } else {
                String::new()
            }
        ));
    if !theory.is_empty() {
        fig = fig.caption(format!(
            "Synthetic data: BBP threshold θ > √(M/N) = {}; green crosses are the predicted spike locations.",
            number(num(v.get("bbp_threshold")))
        ));
    }
    fig
}

fn spikes(v: &View) -> Figure {
    const T: &str = "Spiked eigenvectors";
    if !v.has("spectrum") {
        return waiting(v, "spikes", T, "spectrum", "The spiked eigenvectors as images", "a second or two");
    }
    let vecs = v.get("spike_vectors").as_array().cloned().unwrap_or_default();
    if vecs.is_empty() {
        return Figure::new("spikes", T).panel(Panel {
            title: String::new(),
            body: Body::Text {
                lines: vec!["No eigenvalue lies above γ+: the spectrum has no spike.".into()],
            },
        });
    }
    let eig = nums(v.get("eigenvalues"));
    let overlaps = v.get("overlaps").as_array().cloned();
    let items = vecs
        .iter()
        .enumerate()
        .map(|(k, vec)| {
            let mut cap = number(eig.get(k).copied().unwrap_or(f64::NAN));
            if let Some(o) = &overlaps {
                let row = nums(&o[k]);
                let (best, c) =
                    row.iter().enumerate().fold((0, 0.0), |b, (i, &c)| if c > b.1 { (i, c) } else { b });
                cap = format!("u{} {}", best + 1, number(c));
            }
            ImageItem {
                pixels: signed_image(v, &nums(vec)),
                caption: cap,
                action: None,
                outline: None,
                title: format!("eigenvector {}", k + 1),
            }
        })
        .collect();
    let mut fig = Figure::new("spikes", T)
        .panel(Panel { title: String::new(), body: Body::Images(Images { items, size: 64.0 }) });
    let spikes = num(v.get("spike_count"));
    if spikes > MAX_SHOWN as f64 {
        fig = fig.caption(format!("The first {MAX_SHOWN} of {spikes} spikes."));
    }
    fig = fig.caption("Unit eigenvectors of Q in order, captioned with their eigenvalue (synthetic data: the planted signal u_l it is closest to, and |cos|); blue negative, red positive, each turned so the samples project on it positively on average.");
    if let Some(o) = overlaps {
        // Synthetic: the planted signals, the |cos| matrix and the theory.
        let planted = v.get("planted").as_array().cloned().unwrap_or_default();
        let items = planted
            .iter()
            .enumerate()
            .map(|(l, u)| ImageItem {
                pixels: signed_image(v, &nums(u)),
                caption: format!(
                    "u{}: θ = {}",
                    l + 1,
                    number(num(field(v.get("strengths"), &l.to_string())))
                ),
                action: None,
                outline: None,
                title: format!("planted signal {}", l + 1),
            })
            .collect();
        fig = fig.panel(Panel {
            title: "Planted signals".into(),
            body: Body::Images(Images { items, size: 64.0 }),
        });
        let theory = v.get("theory").as_array().cloned().unwrap_or_default();
        let pop = nums(v.get("population_overlaps"));
        let mut rows = Vec::new();
        for (k, row) in o.iter().enumerate() {
            let t = theory.get(k);
            rows.push(vec![
                format!("{}", k + 1),
                number(eig.get(k).copied().unwrap_or(f64::NAN)),
                t.map_or("—".into(), |t| number(num(field(t, "eigenvalue")))),
                pop.get(k).map_or("—".into(), |&c| number(c)),
                t.map_or("—".into(), |t| number(num(field(t, "cosine")))),
                nums(row).iter().map(|&c| number(c)).collect::<Vec<_>>().join("  "),
            ]);
        }
        fig = fig.panel(Panel {
            title: "Measured vs BBP theory".into(),
            body: Body::Table(Table {
                columns: ["spike", "λ", "λ theory", "|cos| pop.", "|cos| theory", "|cos| with u1, u2, …"]
                    .map(String::from)
                    .to_vec(),
                rows,
                highlight: Vec::new(),
            }),
        });
        fig = fig.caption("|cos| pop.: with the population eigenvector of the same rank (the planted signals themselves when ρ = 0 and the strengths differ).");
    }
    fig
}

fn states(v: &View) -> Figure {
    const T: &str = "Distinct converged Hopfield states";
    if !v.has("states") {
        return waiting(
            v,
            "states",
            T,
            "states",
            "The distinct states Hebbian recall ends in, from every sample",
            "a few seconds",
        );
    }
    let sts = v.get("states").as_array().cloned().unwrap_or_default();
    let items: Vec<ImageItem> = sts
        .iter()
        .filter(|s| s["state"].is_array())
        .map(|s| {
            let end = s["end"].as_str().unwrap_or("");
            let cls = classes_text(&s["classes"]);
            ImageItem {
                pixels: state_image(v, &nums(&s["state"])),
                caption: format!(
                    "{}{}",
                    num(&s["size"]),
                    if cls.is_empty() { String::new() } else { format!(": {cls}") }
                ),
                action: None,
                outline: match end {
                    "cycle" => Some(PALETTE[3]),
                    "capped" => Some(RED),
                    _ => None,
                },
                title: format!(
                    "{} samples ({end}){}",
                    num(&s["size"]),
                    if cls.is_empty() { String::new() } else { format!(", classes {cls}") }
                ),
            }
        })
        .collect();
    let shown = items.len();
    let mut fig = Figure::new("states", T)
        .panel(Panel { title: String::new(), body: Body::Images(Images { items, size: 72.0 }) });
    let distinct = num(v.get("distinct_states"));
    let fixed = num(v.get("distinct_fixed"));
    let spikes = num(v.get("spike_count"));
    fig = fig.caption(format!(
        "{distinct} distinct final state{} ({fixed} fixed point{}){}; each image is a state, captioned with its sample count and classes (class×count).",
        if distinct == 1.0 { "" } else { "s" },
        if fixed == 1.0 { "" } else { "s" },
        if shown < sts.len() { format!(", the {shown} largest shown") } else { String::new() }
    ));
    if spikes.is_finite() {
        let verdict = if fixed < spikes {
            "fewer fixed points than spikes: some signals merged into one memory"
        } else if fixed > spikes {
            "more fixed points than spikes: spurious states"
        } else {
            "as many fixed points as spikes"
        };
        fig = fig.caption(format!("Spikes: {spikes} — {verdict}."));
    }
    fig.caption(format!(
        "{} samples converged, {} 2-cycled (orange outline), {} hit the step cap (red outline); at most {} steps.",
        num(v.get("converged_samples")),
        num(v.get("cycling_samples")),
        num(v.get("capped_samples")),
        num(v.get("max_steps"))
    ))
}

fn fig1(v: &View) -> Figure {
    const T: &str = "Spikes vs distinct states over subsets (Figure 1)";
    if !v.has("subsets") {
        return waiting(
            v,
            "fig1",
            T,
            "subsets",
            "Spike counts against distinct converged states over random subsets",
            "seconds to a minute",
        );
    }
    let rows = v.get("fig1").as_array().cloned().unwrap_or_default();
    let x: Vec<f64> = rows.iter().map(|r| num(&r["spike_count"])).collect();
    let yf: Vec<f64> = rows.iter().map(|r| num(&r["distinct_fixed"])).collect();
    let ya: Vec<f64> = rows.iter().map(|r| num(&r["distinct_states"])).collect();
    let top = x.iter().chain(&ya).copied().filter(|v| v.is_finite()).fold(1.0f64, f64::max) + 1.0;
    let below = x.iter().zip(&yf).filter(|(a, b)| b < a).count();
    let plot = Plot::new(
        Axis::new("spikes (eigenvalues of Q above γ+)").domain(0.0, top),
        Axis::new("distinct converged states").domain(0.0, top),
    )
    .series("states = spikes", vec![0.0, top], vec![0.0, top], Style::line(6).dashed())
    .mark(Mark::Markers {
        x: x.clone(),
        y: ya,
        shape: Shape::Circle,
        size: 3.5,
        color: PALETTE[5],
        label: "all final states".into(),
    })
    .mark(Mark::Markers {
        x,
        y: yf,
        shape: Shape::Dot,
        size: 3.5,
        color: PALETTE[0],
        label: "fixed points".into(),
    })
    .legend(LegendPos::Below)
    .height(260.0);
    let mut data = DataTable {
        columns: ["subset", "classes", "rank", "samples", "spike_count", "distinct_states", "distinct_fixed"]
            .map(String::from)
            .to_vec(),
        rows: Vec::new(),
    };
    for r in &rows {
        data.rows.push(vec![
            num(&r["subset"]).to_string(),
            r["classes"]
                .as_array()
                .map(|a| a.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
            r["rank"].as_u64().map(|x| x.to_string()).unwrap_or_default(),
            num(&r["samples"]).to_string(),
            num(&r["spike_count"]).to_string(),
            num(&r["distinct_states"]).to_string(),
            num(&r["distinct_fixed"]).to_string(),
        ]);
    }
    let mut fig = Figure::new("fig1", T).plot("", plot).caption(format!(
        "{} subsets; {below} lie below the diagonal (fewer fixed points than spikes: merged signals).",
        rows.len()
    ));
    fig.data = Some(data);
    fig
}

/// Tree node positions: leaves at consecutive x in depth-first order, a parent over the
/// mean of its children; y = −depth.
fn positions(nodes: &[Json]) -> Vec<(f64, f64)> {
    let n = nodes.len();
    let mut pos = vec![(f64::NAN, f64::NAN); n];
    let mut next = 0.0;
    // Ids are depth-first, so children come after their parent: fill leaves in id order,
    // then parents from the last id back.
    for (i, nd) in nodes.iter().enumerate() {
        let kids = nd["children"].as_array().map_or(0, Vec::len);
        pos[i].1 = -num(&nd["depth"]);
        if kids == 0 {
            pos[i].0 = next;
            next += 1.0;
        }
    }
    for i in (0..n).rev() {
        let kids: Vec<usize> = nodes[i]["children"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c.as_u64()).map(|c| c as usize).filter(|&c| c < n).collect())
            .unwrap_or_default();
        if !kids.is_empty() {
            let xs: Vec<f64> = kids.iter().map(|&c| pos[c].0).filter(|x| x.is_finite()).collect();
            pos[i].0 = if xs.is_empty() { 0.0 } else { xs.iter().sum::<f64>() / xs.len() as f64 };
        }
    }
    pos
}

fn selected(v: &View, count: usize) -> usize {
    (v.ui("node", 0.0).max(0.0) as usize).min(count.saturating_sub(1))
}

fn spike_color(r: f64, leaf: bool) -> Color {
    let c = if r <= 0.0 {
        GREY
    } else if r <= 1.0 {
        GREEN
    } else if leaf {
        RED
    } else {
        PALETTE[0]
    };
    if leaf { c } else { c.alpha(0.85) }
}

fn tree(v: &View) -> Figure {
    const T: &str = "Hierarchical Hopfield Decomposition";
    if !v.has("hhd") {
        return waiting(
            v,
            "tree",
            T,
            "hhd",
            "The decomposition tree (click a node to see its prototype and samples)",
            "seconds; up to a minute for thousands of samples",
        );
    }
    let nodes = v.get("tree").as_array().cloned().unwrap_or_default();
    let pos = positions(&nodes);
    let sel = selected(v, nodes.len());
    let max_size = nodes.iter().map(|n| num(&n["size"])).filter(|s| s.is_finite()).fold(1.0f64, f64::max);
    let mut segs = Vec::new();
    for (i, nd) in nodes.iter().enumerate() {
        if let Some(p) = nd["parent"].as_u64().map(|p| p as usize).filter(|&p| p < nodes.len()) {
            segs.push([pos[p].0, pos[p].1, pos[i].0, pos[i].1]);
        }
    }
    let radius: Vec<f64> =
        nodes.iter().map(|n| 2.5 + 9.0 * (num(&n["size"]).max(0.0) / max_size).sqrt()).collect();
    let colors: Vec<Color> =
        nodes.iter().map(|n| spike_color(num(&n["spike_count"]), n["leaf"] == Json::Bool(true))).collect();
    let actions =
        (0..nodes.len()).map(|i| Some(Action::Ui { key: "node".into(), value: i as f64 })).collect();
    let titles = nodes
        .iter()
        .map(|n| {
            format!(
                "node {}: depth {}, {} samples, {} spike(s){}",
                num(&n["id"]),
                num(&n["depth"]),
                num(&n["size"]),
                num(&n["spike_count"]),
                if n["leaf"] == Json::Bool(true) {
                    format!(", leaf ({})", n["reason"].as_str().unwrap_or(""))
                } else {
                    String::new()
                }
            )
        })
        .collect();
    let depth = nodes.iter().map(|n| num(&n["depth"])).filter(|d| d.is_finite()).fold(0.0f64, f64::max);
    let width = pos.iter().map(|p| p.0).filter(|x| x.is_finite()).fold(0.0f64, f64::max);
    let ticks: Vec<(f64, String)> = (0..=depth as usize)
        .step_by(((depth / 8.0).ceil() as usize).max(1))
        .map(|d| (-(d as f64), d.to_string()))
        .collect();
    let plot = Plot::new(
        Axis::new("leaves in depth-first order").no_ticks().domain(-0.7, width + 0.7),
        Axis::new("depth").ticks(ticks).domain(-depth - 0.6, 0.6),
    )
    .mark(Mark::Segments { segs, color: Color::rgb(170, 175, 185), width: 1.2 })
    .mark(Mark::Points {
        x: pos.iter().map(|p| p.0).collect(),
        y: pos.iter().map(|p| p.1).collect(),
        radius,
        colors,
        actions,
        titles,
        selected: vec![sel],
    })
    .legend(LegendPos::None)
    .height((120.0 + 22.0 * depth).clamp(200.0, 520.0));
    let m = v.get("hhd_metrics");
    let mut fig = Figure::new("tree", T)
        .plot("", plot)
        .caption(format!(
            "{} nodes, {} leaves, mean leaf depth {}, mean spikes per leaf {}, {} samples removed by entropy (removal {}). Node area ∝ samples; colour: green one spike, red a leaf with several, blue a split node, grey none. Click a node.",
            num(field(m, "nodes")),
            num(field(m, "leaves")),
            number(num(field(m, "mean_depth"))),
            number(num(field(m, "mean_spikes"))),
            num(field(m, "removed")),
            v.get("removal").as_str().unwrap_or("")
        ))
        .control(Control::Params { keys: ["c_min", "d_max", "delta", "removal"].map(String::from).to_vec() });
    if v.get("hhd_truncated") == &Json::Bool(true) {
        fig = fig.caption("The tree reached its node limit: some nodes that could split are leaves.");
    }
    fig
}

fn node(v: &View) -> Figure {
    const T: &str = "Selected node";
    if !v.has("hhd") {
        return waiting(
            v,
            "node",
            T,
            "hhd",
            "The prototype and samples of the node you click in the tree",
            "with the tree",
        );
    }
    let nodes = v.get("tree").as_array().cloned().unwrap_or_default();
    if nodes.is_empty() {
        return Figure::empty("node", T, "The tree is empty.");
    }
    let nd = &nodes[selected(v, nodes.len())];
    let mut fig = Figure::new("node", format!("{T}: node {}", num(&nd["id"]))).columns(2);
    let proto = nums(&nd["prototype"]);
    let mut lines = vec![
        format!(
            "Depth {}, {} samples, {} spike(s) (γ+ = {}, λ1 = {}).",
            num(&nd["depth"]),
            num(&nd["size"]),
            num(&nd["spike_count"]),
            number(num(&nd["edge_upper"])),
            number(num(&nd["top_eigenvalue"]))
        ),
        if nd["leaf"] == Json::Bool(true) {
            format!("Leaf: {}.", nd["reason"].as_str().unwrap_or(""))
        } else {
            format!(
                "Split into {} states ({} children; {} samples in states below C_min).",
                num(&nd["states"]),
                nd["children"].as_array().map_or(0, Vec::len),
                num(&nd["dropped"])
            )
        },
    ];
    if num(&nd["removed_count"]) > 0.0 {
        lines.push(format!(
            "Entropy removal: {} samples in {} rounds.",
            num(&nd["removed_count"]),
            num(&nd["rounds"])
        ));
    }
    let cls = classes_text(&nd["classes"]);
    if !cls.is_empty() {
        lines.push(format!("Classes (class×count): {cls}."));
    }
    if !proto.is_empty() {
        fig = fig.panel(Panel {
            title: "Prototype (leading eigenvector)".into(),
            body: Body::Images(Images {
                items: vec![ImageItem {
                    pixels: signed_image(v, &proto),
                    caption: String::new(),
                    action: None,
                    outline: None,
                    title: "prototype".into(),
                }],
                size: 140.0,
            }),
        });
    }
    fig = fig.panel(Panel { title: String::new(), body: Body::Text { lines } });
    let images = v.get("images").as_array().cloned().unwrap_or_default();
    let members: Vec<usize> =
        nums(&nd["members"]).into_iter().filter(|x| x.is_finite() && *x >= 0.0).map(|x| x as usize).collect();
    let labels = nums(v.get("labels"));
    // Up to 32 samples spread evenly over the members (they are in class order).
    let with_image: Vec<usize> = members.iter().copied().filter(|&i| i < images.len()).collect();
    let stride = with_image.len().div_ceil(32).max(1);
    let items: Vec<ImageItem> = with_image
        .iter()
        .step_by(stride)
        .map(|&i| ImageItem {
            pixels: sample_image(v, &nums(&images[i])),
            caption: labels.get(i).filter(|l| l.is_finite()).map_or(String::new(), |l| format!("{l}")),
            action: None,
            outline: None,
            title: format!("sample {i}"),
        })
        .collect();
    if !items.is_empty() {
        let n = items.len();
        fig = fig.panel(Panel {
            title: format!("Samples ({n} of {})", members.len()),
            body: Body::Images(Images { items, size: 36.0 }),
        });
    }
    fig
}

fn prototypes(v: &View) -> Figure {
    const T: &str = "Leaf prototypes";
    if !v.has("hhd") {
        return waiting(
            v,
            "prototypes",
            T,
            "hhd",
            "The leaf prototypes (leading eigenvector of each leaf)",
            "with the tree",
        );
    }
    let nodes = v.get("tree").as_array().cloned().unwrap_or_default();
    let sel = selected(v, nodes.len());
    let items: Vec<ImageItem> = nodes
        .iter()
        .filter(|n| n["leaf"] == Json::Bool(true) && n["prototype"].is_array())
        .take(200)
        .map(|n| {
            let id = num(&n["id"]) as usize;
            ImageItem {
                pixels: signed_image(v, &nums(&n["prototype"])),
                caption: format!("d{} n{} r{}", num(&n["depth"]), num(&n["size"]), num(&n["spike_count"])),
                action: Some(Action::Ui { key: "node".into(), value: id as f64 }),
                outline: (id == sel).then_some(Color::rgb(34, 34, 34)),
                title: format!(
                    "leaf {id}: depth {}, {} samples, {} spike(s) — click to select",
                    num(&n["depth"]),
                    num(&n["size"]),
                    num(&n["spike_count"])
                ),
            }
        })
        .collect();
    if items.is_empty() {
        return Figure::empty("prototypes", T, "No leaf holds samples.");
    }
    Figure::new("prototypes", T)
        .panel(Panel { title: String::new(), body: Body::Images(Images { items, size: 56.0 }) })
        .caption("Each leaf's leading eigenvector (d depth, n samples, r spikes), in depth-first order; click one to select its node.")
}

fn fmt3(x: f64) -> String {
    if x.is_finite() { format!("{x:.3}") } else { "—".into() }
}

fn table2(v: &View) -> Figure {
    const T: &str = "Table 2: entropy removal";
    if !v.has("table2") {
        return waiting(
            v,
            "table2",
            T,
            "table2",
            "The tree metrics without and with entropy removal, beside the paper's",
            "two decompositions",
        );
    }
    let ours = v.get("table2").as_array().cloned().unwrap_or_default();
    let mut rows = Vec::new();
    let mut highlight = Vec::new();
    for (setting, paper) in PAPER_TABLE2 {
        if let Some(o) = ours.iter().find(|r| r["removal"].as_str() == Some(setting)) {
            highlight.push(rows.len());
            rows.push(vec![
                format!("ours, removal {setting}"),
                number(num(&o["leaves"])),
                fmt_2(num(&o["mean_depth"])),
                fmt_2(num(&o["mean_spikes"])),
                number(num(&o["multi_spike_leaves"])),
                fmt_2(num(&o["mean_leaf_size"])),
            ]);
        }
        rows.push(vec![
            format!("paper, removal {setting}"),
            number(paper[0]),
            fmt_2(paper[1]),
            fmt_2(paper[2]),
            number(paper[3]),
            fmt_2(paper[4]),
        ]);
    }
    Figure::new("table2", T)
        .panel(Panel {
            title: String::new(),
            body: Body::Table(Table {
                columns: ["", "#leaves", "avg. depth", "avg. spikes", "#multi-spike leaves", "avg. leaf size"].map(String::from).to_vec(),
                rows,
                highlight,
            }),
        })
        .caption("Our rows (highlighted) come from this link's data and settings; the paper's data set for Table 2 is not named in the source.")
}

fn fmt_2(x: f64) -> String {
    if x.is_finite() { format!("{x:.2}") } else { "—".into() }
}

fn table1(v: &View) -> Figure {
    const T: &str = "Table 1: k-means initialisations";
    if !v.has("table1") {
        return waiting(
            v,
            "table1",
            T,
            "table1",
            "V-measure, ARI and AMI of k-means from four initialisations over random subsets",
            "seconds to a minute",
        );
    }
    if let Some(msg) = v.get("table1_message").as_str() {
        return Figure::empty("table1", T, msg);
    }
    let rows_j = v.get("table1").as_array().cloned().unwrap_or_default();
    let pm = |m: f64, s: f64| format!("{} ± {}", fmt3(m), fmt3(s));
    let mut rows = Vec::new();
    for (init, p) in PAPER {
        let o = rows_j.iter().find(|r| r["init"].as_str() == Some(init));
        let g = |k: &str| o.map_or(f64::NAN, |r| num(&r[k]));
        rows.push(vec![
            init.to_string(),
            pm(g("v_measure_mean"), g("v_measure_std")),
            pm(p[0], p[1]),
            pm(g("ari_mean"), g("ari_std")),
            pm(p[2], p[3]),
            pm(g("ami_mean"), g("ami_std")),
            pm(p[4], p[5]),
        ]);
    }
    let best = rows_j
        .iter()
        .enumerate()
        .fold((0usize, f64::NEG_INFINITY), |b, (i, r)| {
            if num(&r["v_measure_mean"]) > b.1 { (i, num(&r["v_measure_mean"])) } else { b }
        })
        .0;
    let runs = v.get("table1_runs").as_array().map_or(0, Vec::len) / 4;
    Figure::new("table1", T)
        .panel(Panel {
            title: String::new(),
            body: Body::Table(Table {
                columns: ["init", "V-measure", "paper", "ARI", "paper", "AMI", "paper"].map(String::from).to_vec(),
                rows,
                highlight: vec![best],
            }),
        })
        .caption(format!(
            "Mean ± standard deviation over {runs} random subsets, k = {} clusters; highlighted: our best V-measure. The paper's columns are copied from its Table 1.",
            num(v.get("table1_k"))
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::run_query_cpu;
    use crate::labs::NoProgress;
    use crate::plot::layout::layout;
    use crate::plot::scene::Hit;

    fn view(q: &str, parts: &[&str]) -> View {
        run_query_cpu(q, parts, &mut NoProgress).expect("runs").view()
    }

    #[test]
    fn tree_nodes_are_clickable_and_select_the_node_figure() {
        let mut v = view("lab=hhd&data=digits8&classes=0,4,6&samples=150&c_min=5", &["hhd"]);
        let count = v.get("tree").as_array().map_or(0, Vec::len);
        assert!(count > 1, "a tree with a split");
        let scene = layout(&tree(&v), 720.0);
        let ui: Vec<f64> = scene
            .hits
            .iter()
            .filter_map(|h| match h {
                Hit::Area { action: Action::Ui { key, value }, .. } if key == "node" => Some(*value),
                _ => None,
            })
            .collect();
        assert_eq!(ui.len(), count, "one click target per node");
        v.ui.insert("node".into(), (count - 1) as f64);
        let f = node(&v);
        assert!(f.title.ends_with(&format!("node {}", count - 1)), "{}", f.title);
    }

    #[test]
    fn tree_positions_put_parents_over_their_children() {
        let nodes: Vec<Json> = serde_json::from_str(
            r#"[{"depth":0,"children":[1,2]},{"depth":1,"children":[]},{"depth":1,"children":[3,4]},{"depth":2,"children":[]},{"depth":2,"children":[]}]"#,
        )
        .expect("json");
        let p = positions(&nodes);
        assert_eq!(p[1], (0.0, -1.0));
        assert_eq!(p[3].0, 1.0);
        assert_eq!(p[4].0, 2.0);
        assert_eq!(p[2].0, 1.5);
        assert_eq!(p[0].0, 0.75);
    }

    #[test]
    fn figures_show_no_nan_text() {
        let v = view(
            "lab=hhd&data=synthetic&n=64&samples=200&rank=2&strength=5&sub_count=3&prep=none",
            &["spectrum", "states", "hhd", "subsets"],
        );
        for f in FIGURES.iter().filter(|f| f.parts.iter().all(|p| v.has(p))) {
            let fig = (f.build)(&v);
            for c in &fig.caption {
                assert!(!c.contains("NaN"), "{}: {c}", f.name);
            }
            let s = crate::plot::svg::to_svg(&layout(&fig, 720.0), &fig.title);
            assert!(!s.contains("NaN"), "{} draws NaN", f.name);
        }
    }
}
