//! The khopfield lab's figures: the probe (paintable) and the k outputs or the MCHN iterates,
//! the stored memories (click to probe), ssm and ksoftmax as bar charts over the memories,
//! the MCHN's metastable mixtures, the energy along the iterated updates, and Figures 3.2
//! and 3.7 of the dissertation.

use super::super::{FigureDef, View, field, num, nums};
use crate::plot::figure::{
    Axis, Body, CellClick, Cmap, Control, Figure, ImageItem, Images, LegendPos, Mark, Panel, Pixels, Plot,
    Style,
};
use crate::plot::scene::{Action, Color, PALETTE};
use crate::plot::ticks::number;
use serde_json::Value as Json;

const BLUE: Color = PALETTE[0];
const RED: Color = PALETTE[1];
const GREEN: Color = PALETTE[2];
const PURPLE: Color = PALETTE[4];
const GREY: Color = PALETTE[6];

/// Bars shown in the ssm and ksoftmax charts (the most similar memories).
const BARS: usize = 40;

pub const FIGURES: &[FigureDef] = &[
    FigureDef {
        name: "retrieve",
        title: "Probe and retrieval",
        parts: &["retrieve"],
        ui: &[],
        build: retrieve,
    },
    FigureDef { name: "memories", title: "Stored memories", parts: &["retrieve"], ui: &[], build: memories },
    FigureDef {
        name: "ssm",
        title: "Sum-softmax ssm(βx; i)",
        parts: &["retrieve"],
        ui: &[],
        build: ssm_bars,
    },
    FigureDef {
        name: "ksoftmax",
        title: "ksoftmax columns",
        parts: &["retrieve"],
        ui: &[],
        build: ksoftmax_bars,
    },
    FigureDef {
        name: "mchn",
        title: "Iterated MCHN: metastable mixtures",
        parts: &["retrieve"],
        ui: &[],
        build: mchn,
    },
    FigureDef {
        name: "energy",
        title: "Energy along the iterated updates",
        parts: &["retrieve"],
        ui: &[],
        build: energy,
    },
    FigureDef {
        name: "fig32",
        title: "Figure 3.2: reconstruction success vs stored memories",
        parts: &["fig32"],
        ui: &[],
        build: fig32,
    },
    FigureDef {
        name: "fig37",
        title: "Figure 3.7: Recall@k vs noise",
        parts: &["fig37"],
        ui: &[],
        build: fig37,
    },
];

fn waiting(name: &str, title: &str, what: &str) -> Figure {
    Figure::empty(
        name,
        title,
        format!("{what} appear here once the probe is retrieved (about a second; longer for P = 10,000)."),
    )
}

/// Image geometry and pixel scale of a finished `retrieve`.
struct Geo {
    width: usize,
    height: usize,
    scale: f64,
}

fn geo(v: &View) -> Geo {
    Geo {
        width: (num(v.get("width")) as usize).max(1),
        height: (num(v.get("height")) as usize).max(1),
        scale: Some(num(v.get("pixels"))).filter(|s| s.is_finite() && *s > 0.0).unwrap_or(1.0),
    }
}

fn pixels(values: &[f64], g: &Geo) -> Pixels {
    let mut vals = values.to_vec();
    vals.resize(g.width * g.height, f64::NAN);
    Pixels { rows: g.height, cols: g.width, values: vals, cmap: Cmap::Gray, domain: [0.0, g.scale] }
}

/// An image as a plot with no axes, one data unit per pixel (cells clickable when asked).
fn image_plot(px: Pixels, click: CellClick, outline: Vec<usize>, height: f64) -> Plot {
    let (rows, cols) = (px.rows, px.cols);
    let extent = [0.0, cols as f64, 0.0, rows as f64];
    let mut p = Plot::new(
        Axis::new("").no_ticks().domain(0.0, cols as f64),
        Axis::new("").no_ticks().domain(0.0, rows as f64),
    )
    .mark(Mark::Heatmap { pixels: px, extent, click, smooth: false });
    if !outline.is_empty() {
        p = p.mark(Mark::Outline { rows, cols, extent, cells: outline, color: PURPLE });
    }
    p.equal = true;
    p.height = height;
    p
}

/// A compact number for image captions: 3 significant digits, "0" below 10⁻³.
fn short(v: f64) -> String {
    if v.is_finite() && v.abs() < 1e-3 { "0".into() } else { number(crate::plot::scene::round_sig(v, 3)) }
}

fn indices(j: &Json) -> Vec<usize> {
    nums(j).into_iter().filter(|x| x.is_finite() && *x >= 0.0).map(|x| x as usize).collect()
}

fn rows(j: &Json) -> Vec<Vec<f64>> {
    j.as_array().map(|a| a.iter().map(nums).collect()).unwrap_or_default()
}

fn label_of(v: &View, mu: usize) -> String {
    let l = num(field(v.get("labels"), &mu.to_string()));
    if l.is_finite() && l >= 0.0 { format!(" (a {l})") } else { String::new() }
}

fn occlusion_text(v: &View) -> String {
    match v.get("occlude").as_str() {
        Some("none") | None => "not occluded".into(),
        Some(side) => format!("{side} half occluded"),
    }
}

fn retrieve(v: &View) -> Figure {
    let title = "Probe and retrieval";
    if !v.has("retrieve") {
        return waiting("retrieve", title, "The probe and the retrieved memories");
    }
    let g = geo(v);
    let n = num(v.get("n")) as usize;
    let probe_index = num(v.get("probe_index")) as usize;
    let probe_img = image_plot(
        pixels(&nums(v.get("probe")), &g),
        CellClick::Toggle { key: "paint".into(), count: n },
        indices(v.get("painted")),
        220.0,
    );
    let threshold = num(v.get("threshold"));
    let mchn_view = v.params.choice("update") == "mchn";
    let mut items = vec![ImageItem {
        pixels: pixels(&nums(v.get("target")), &g),
        caption: format!("memory #{probe_index}"),
        action: None,
        outline: Some(RED),
        title: format!(
            "the stored memory #{probe_index}{} the probe was made from",
            label_of(v, probe_index)
        ),
    }];
    let panel_title = if mchn_view {
        let m = v.get("mchn");
        let states = rows(field(m, "states"));
        let eff = nums(field(m, "effective"));
        items.extend(states.iter().enumerate().skip(1).map(|(t, s)| {
            let e = eff.get(t - 1).copied().unwrap_or(f64::NAN);
            ImageItem {
                pixels: pixels(s, &g),
                caption: format!("t={t} · {}", short(e)),
                action: None,
                outline: None,
                title: format!(
                    "after {t} MCHN updates; the weights spread over 1/Σw² = {} memories",
                    number(e)
                ),
            }
        }));
        "Memory, then MCHN iterates: t · 1/Σw²".to_string()
    } else {
        let outs = rows(v.get("outputs"));
        let errs = nums(v.get("errors"));
        let ret = indices(v.get("retrieved"));
        items.extend(outs.iter().enumerate().map(|(i, o)| {
            let e = errs.get(i).copied().unwrap_or(f64::NAN);
            let r = ret.get(i).copied().unwrap_or(0);
            ImageItem {
                pixels: pixels(o, &g),
                caption: format!("#{r} · {}", short(e)),
                action: Some(Action::Set { values: vec![("probe".into(), r.to_string())] }),
                outline: (e < threshold).then_some(GREEN),
                title: format!(
                    "output {}: argmax #{r}{}; sum of squared errors {} — click to probe #{r}",
                    i + 1,
                    label_of(v, r),
                    number(e)
                ),
            }
        }));
        "Memory, then outputs 1…k: argmax · squared error".to_string()
    };
    let errs = nums(v.get("errors"));
    let best = errs.iter().copied().fold(f64::INFINITY, f64::min);
    let outcome = if v.get("success") == &Json::Bool(true) {
        format!("success: the best output's squared error {} is below {}", number(best), number(threshold))
    } else {
        format!("no output within {} (best squared error {})", number(threshold), number(best))
    };
    Figure::new("retrieve", title)
        .columns(2)
        .panel(probe_img.panel("Probe — click or drag to paint"))
        .panel(Panel { title: panel_title, body: Body::Images(Images { items, size: 76.0 }) })
        .control(Control::Params {
            keys: ["update", "k", "beta", "similarity", "occlude", "noise"].map(String::from).to_vec(),
        })
        .caption(format!(
            "P = {} memories, {}, β = {}, probe #{probe_index} {}{}; green outlines: squared error < {}.",
            number(num(v.get("p"))),
            v.get("similarity").as_str().unwrap_or(""),
            number(num(v.get("beta"))),
            occlusion_text(v),
            if num(v.get("noise")) > 0.0 {
                format!(", noise σ = {}", number(num(v.get("noise"))))
            } else {
                String::new()
            },
            number(threshold),
        ))
        .caption(format!("k-Hopfield layer: {outcome}. Painted pixels (purple) flip v → scale − v."))
}

fn memories(v: &View) -> Figure {
    let title = "Stored memories";
    if !v.has("retrieve") {
        return waiting("memories", title, "The stored memories");
    }
    let g = geo(v);
    let shown = indices(v.get("shown"));
    let imgs = rows(v.get("memories"));
    let probe = num(v.get("probe_index")) as usize;
    let ret = indices(v.get("retrieved"));
    let items = shown
        .iter()
        .zip(&imgs)
        .map(|(&mu, px)| ImageItem {
            pixels: pixels(px, &g),
            caption: mu.to_string(),
            action: Some(Action::Set { values: vec![("probe".into(), mu.to_string())] }),
            outline: if mu == probe {
                Some(RED)
            } else if ret.contains(&mu) {
                Some(BLUE)
            } else {
                None
            },
            title: format!("memory #{mu}{} — click to probe it", label_of(v, mu)),
        })
        .collect();
    let p = number(num(v.get("p")));
    Figure::new("memories", title)
        .panel(Panel { title: String::new(), body: Body::Images(Images { items, size: 44.0 }) })
        .caption(format!(
            "{} of the P = {p} stored memories (the first ones, the probe's in red and the retrieved ones in blue). Click one to probe it.",
            shown.len()
        ))
}

/// Memories ranked by similarity (most similar first): enough to show every weight above
/// 10⁻³ of the last ssm row and three more, between 10 and `BARS`.
fn ranked(v: &View) -> Vec<usize> {
    let sims = nums(v.get("similarities"));
    let mut idx: Vec<usize> = (0..sims.len()).collect();
    idx.sort_by(|&a, &b| sims[b].total_cmp(&sims[a]).then(a.cmp(&b)));
    let last = rows(v.get("ssm")).pop().unwrap_or_default();
    let reach = idx.iter().rposition(|&mu| last.get(mu).is_some_and(|&w| w >= 1e-3)).map_or(0, |r| r + 1);
    idx.truncate((reach + 3).clamp(10, BARS));
    idx
}

fn bar_plot(values: Vec<f64>, colors: Vec<Color>, ylabel: &str, xlabel: String) -> Plot {
    let x: Vec<f64> = (1..=values.len()).map(|i| i as f64).collect();
    Plot::new(Axis::new(xlabel).domain(0.5, values.len() as f64 + 0.5), Axis::new(ylabel).domain(0.0, 1.0))
        .mark(Mark::Bars { x, y: values, width: 0.8, base: 0.0, color: BLUE, colors, label: String::new() })
        .height(130.0)
}

/// `λ* = …, n iterations` for a panel title.
fn solver_text(v: &View, i: usize) -> String {
    let s = field(v.get("solver"), &i.to_string());
    let it = num(field(s, "iterations"));
    format!(
        "λ* = {}, {} iteration{}",
        number(num(field(s, "lambda"))),
        number(it),
        if it == 1.0 { "" } else { "s" }
    )
}

/// The solver's record of every column, for a caption.
fn solver_caption(v: &View) -> String {
    let all = v.get("solver").as_array().cloned().unwrap_or_default();
    let parts: Vec<String> = all
        .iter()
        .map(|s| {
            format!(
                "k={}: {} Newton + {} bisection steps, |Σ − k| = {}",
                number(num(field(s, "k"))),
                number(num(field(s, "newton"))),
                number(num(field(s, "bisections"))),
                number(num(field(s, "residual")))
            )
        })
        .collect();
    format!("λ* solver (bracket, then safeguarded Newton, to |Σ ssm − k| ≤ 10⁻⁹): {}.", parts.join("; "))
}

fn ssm_bars(v: &View) -> Figure {
    let title = "Sum-softmax ssm(βx; i)";
    if !v.has("retrieve") {
        return waiting("ssm", title, "Bar charts of ssm(βx; i) over the memories");
    }
    let order = ranked(v);
    let ssm = rows(v.get("ssm"));
    let nearest = indices(v.get("nearest"));
    let mut fig = Figure::new("ssm", title).columns(2);
    for (i, row) in ssm.iter().enumerate() {
        let values: Vec<f64> = order.iter().map(|&mu| row.get(mu).copied().unwrap_or(f64::NAN)).collect();
        let colors = order
            .iter()
            .map(|mu| if nearest[..(i + 1).min(nearest.len())].contains(mu) { BLUE } else { GREY })
            .collect();
        fig = fig.plot(
            format!("ssm(βx; {}): {}", i + 1, solver_text(v, i)),
            bar_plot(values, colors, "ssm", "memory rank by similarity".into()),
        );
    }
    let rest = ssm.last().map_or(0.0, |row| {
        row.iter().enumerate().filter(|(mu, _)| !order.contains(mu)).map(|(_, w)| w).sum::<f64>()
    });
    fig.caption(format!(
        "The {} memories most similar to the probe, most similar first (ranks 1–5: {}); blue: the top i. Row i sums to i; the memories not shown carry {} of row k.",
        order.len(),
        order.iter().take(5).map(|m| format!("#{m}")).collect::<Vec<_>>().join(", "),
        number(rest)
    ))
    .caption(solver_caption(v))
}

fn ksoftmax_bars(v: &View) -> Figure {
    let title = "ksoftmax columns";
    if !v.has("retrieve") {
        return waiting("ksoftmax", title, "Bar charts of the ksoftmax columns over the memories");
    }
    let order = ranked(v);
    let ks = rows(v.get("ksoftmax"));
    let ret = indices(v.get("retrieved"));
    let k = num(v.get("k")) as usize;
    let mut fig = Figure::new("ksoftmax", title).columns(2);
    for i in 0..k {
        let values: Vec<f64> =
            order.iter().map(|&mu| ks.get(mu).and_then(|r| r.get(i)).copied().unwrap_or(f64::NAN)).collect();
        let r = ret.get(i).copied().unwrap_or(usize::MAX);
        let colors = order.iter().map(|&mu| if mu == r { RED } else { BLUE }).collect();
        let w = ks.get(r).and_then(|row| row.get(i)).copied().unwrap_or(f64::NAN);
        fig = fig.plot(
            format!("ksoftmax_{}: argmax #{r}, weight {}", i + 1, short(w)),
            bar_plot(values, colors, "weight", "memory rank by similarity".into()),
        );
    }
    let fig = fig.caption(solver_caption(v));
    fig.caption(format!(
        "Column i = ssm(βx; i) − ssm(βx; i−1): non-negative, sums to 1; red: its argmax (eq. 3.8). The {} most similar memories shown.",
        order.len()
    ))
}

fn mchn(v: &View) -> Figure {
    let title = "Iterated MCHN: metastable mixtures";
    if !v.has("retrieve") {
        return waiting("mchn", title, "The MCHN iterates");
    }
    let g = geo(v);
    let m = v.get("mchn");
    let states = rows(field(m, "states"));
    let eff = nums(field(m, "effective"));
    let top = field(m, "top");
    let items = states
        .iter()
        .enumerate()
        .map(|(t, s)| ImageItem {
            pixels: pixels(s, &g),
            caption: if t == 0 {
                "probe".into()
            } else {
                format!("t={t} · {}", short(eff.get(t - 1).copied().unwrap_or(f64::NAN)))
            },
            action: None,
            outline: None,
            title: if t == 0 {
                "the probe".into()
            } else {
                format!("state after {t} updates; 1/Σw² = {}", number(eff[t - 1]))
            },
        })
        .collect();
    let steps: Vec<f64> = (1..=eff.len()).map(|t| t as f64).collect();
    let mut wplot = Plot::new(
        Axis::new("update t").domain(0.5, eff.len() as f64 + 0.5),
        Axis::new("softmax weight").domain(0.0, 1.02),
    )
    .height(200.0)
    .legend(LegendPos::Below);
    for (r, name) in ["largest", "second", "third"].iter().enumerate() {
        let w: Vec<f64> = (0..eff.len()).map(|t| num(field(top, &format!("{t}.{r}.1")))).collect();
        wplot = wplot.series(
            format!("{name} weight"),
            steps.clone(),
            w,
            Style::line([1, 3, 5][r]).with_markers(),
        );
    }
    let last = eff.last().copied().unwrap_or(f64::NAN);
    let ret = indices(field(m, "retrieved"));
    let tops: Vec<String> = (0..3)
        .filter_map(|r| {
            let t = eff.len().checked_sub(1)?;
            let mu = num(field(top, &format!("{t}.{r}.0")));
            let w = num(field(top, &format!("{t}.{r}.1")));
            mu.is_finite().then(|| format!("#{}{} ({})", mu as usize, label_of(v, mu as usize), short(w)))
        })
        .collect();
    let verdict = if last < 1.05 {
        format!(
            "it settles on memory #{}{}",
            ret.last().copied().unwrap_or(0),
            label_of(v, ret.last().copied().unwrap_or(0))
        )
    } else {
        format!(
            "its weights stay spread over 1/Σw² ≈ {} memories — a metastable mixture; largest: {}",
            short(last),
            tops.join(", ")
        )
    };
    Figure::new("mchn", title)
        .columns(2)
        .panel(Panel {
            title: "States x_t: t · 1/Σw² (how many memories the weights mix)".into(),
            body: Body::Images(Images { items, size: 64.0 }),
        })
        .plot("The three largest softmax weights", wplot)
        .caption(format!(
            "x ← Ξ softmax(β sim(Ξ, x)) from the probe, β = {}: {verdict}.",
            number(num(v.get("beta")))
        ))
}

fn energy(v: &View) -> Figure {
    let title = "Energy along the iterated updates";
    if !v.has("retrieve") {
        return waiting("energy", title, "The energies along the iterated updates");
    }
    let note = v.get("energy_note").as_str().unwrap_or("").to_string();
    let m = v.get("mchn");
    if field(m, "energy.0").is_null() {
        return Figure::empty("energy", title, format!("No energy for this similarity: {note}."));
    }
    let mut trajs = vec![m.clone()];
    trajs.extend(v.get("columns").as_array().cloned().unwrap_or_default());
    let mut plot =
        Plot::new(Axis::new("update t"), Axis::new("E(x_t)")).height(220.0).legend(LegendPos::Below);
    let mut gap = Plot::new(Axis::new("update t"), Axis::new("E(x_t) − E(x_last)").log())
        .height(220.0)
        .legend(LegendPos::None);
    let mut lines = Vec::new();
    for (c, t) in trajs.iter().enumerate() {
        let rule = field(t, "rule").as_str().unwrap_or("").to_string();
        let e = nums(field(t, "energy"));
        let q = nums(field(t, "energy_quadrature"));
        let x: Vec<f64> = (0..e.len()).map(|s| s as f64).collect();
        let name = if rule == "mchn" {
            "MCHN (softmax)".to_string()
        } else {
            format!("column {}", rule.trim_start_matches("k="))
        };
        let last = e.last().copied().unwrap_or(f64::NAN);
        let above: Vec<f64> = e.iter().map(|&a| if a - last > 0.0 { a - last } else { f64::NAN }).collect();
        gap = gap.series(name.clone(), x.clone(), above, Style::line(c).with_markers());
        plot = plot.series(name.clone(), x.clone(), e, Style::line(c));
        if q.iter().any(|v| v.is_finite()) {
            plot = plot.mark(Mark::Markers {
                x,
                y: q,
                shape: crate::plot::figure::Shape::Circle,
                size: 4.0,
                color: PALETTE[c % PALETTE.len()],
                label: String::new(),
            });
        }
        let dec = match field(t, "decreasing") {
            Json::Bool(true) => "never rises",
            Json::Bool(false) => "rises somewhere",
            _ => "—",
        };
        lines.push(format!("{name}: {dec}"));
    }
    Figure::new("energy", title)
        .columns(2)
        .plot("E(x_t): lines closed form, circles quadrature", plot)
        .plot("Distance to the last energy (log): falls when E falls", gap)
        .caption(format!(
            "E_i(x) = ½‖x‖² − (1/β) V_i(βΞᵀx), V_i(z) = ∫₀¹ zᵀ ksoftmax_i(tz) dt (softmax for the MCHN); {note}."
        ))
        .caption(format!("{}. The MCHN and column 1 cannot rise (a concave–convex step); columns ≥ 2 have no such guarantee.", lines.join("; ")))
}

/// The rows of a part: its finished field, or the pieces streamed so far.
fn part_rows(v: &View, part: &str, field_name: &str, piece: &str) -> Vec<Json> {
    if v.has(part) {
        return v.get(field_name).as_array().cloned().unwrap_or_default();
    }
    v.pieces(part)
        .iter()
        .flat_map(|p| p.get(piece).and_then(Json::as_array).cloned().unwrap_or_default())
        .collect()
}

fn fig32(v: &View) -> Figure {
    let title = "Figure 3.2: reconstruction success vs stored memories";
    let rows = part_rows(v, "fig32", "fig32", "fig32_rows");
    if rows.is_empty() {
        let msg = match v.progress("fig32") {
            Some((d, t)) => format!("Storing and probing memory sets: {d} of {t} trials…"),
            None => "Success rate against the number of stored memories (100 to 10,000) for k = 1…k and the MCHN, ±1 std over trials, appears here once computed (seconds natively, longer in the browser).".into(),
        };
        return Figure::empty("fig32", title, msg);
    }
    let mut models: Vec<String> = Vec::new();
    for r in &rows {
        let m = field(r, "model").as_str().unwrap_or("").to_string();
        if !models.contains(&m) {
            models.push(m);
        }
    }
    let mut plot =
        Plot::new(Axis::new("stored memories P").log(), Axis::new("success rate").domain(0.0, 1.02))
            .height(260.0)
            .legend(LegendPos::Below);
    // The MCHN first, as a wide grey line under the k curves (k = 1 usually lies on it).
    models.sort_by_key(|m| m != "mchn");
    for (c, m) in models.iter().enumerate() {
        let pts: Vec<&Json> = rows.iter().filter(|r| field(r, "model").as_str() == Some(m)).collect();
        let x: Vec<f64> = pts.iter().map(|r| num(field(r, "memories"))).collect();
        let y: Vec<f64> = pts.iter().map(|r| num(field(r, "success"))).collect();
        let s: Vec<f64> = pts.iter().map(|r| num(field(r, "std"))).collect();
        let (color, style) = if m == "mchn" {
            (GREY, Style::line(6).width(5.0).color(GREY.alpha(0.6)))
        } else {
            let c = c.saturating_sub(1) % 6;
            (PALETTE[c], Style::line(c).with_markers())
        };
        let lo = y.iter().zip(&s).map(|(a, b)| (a - b).max(0.0)).collect();
        let hi = y.iter().zip(&s).map(|(a, b)| (a + b).min(1.0)).collect();
        plot = plot.mark(Mark::Band { x: x.clone(), lo, hi, color: color.alpha(0.1), label: String::new() });
        plot = plot.series(if m == "mchn" { "MCHN".to_string() } else { m.clone() }, x, y, style);
    }
    let st = v.get("fig32_settings");
    let mut fig = Figure::new("fig32", title).plot("", plot);
    if st.is_object() {
        fig = fig.caption(format!(
            "{} trials × {} probes per point; pixels 0–{}, {} occluded, β = {}, {}; success: some output with squared error < {}. Bands: ±1 std over trials.",
            number(num(field(st, "trials"))),
            number(num(field(st, "probes"))),
            number(num(field(st, "pixels"))),
            field(st, "occlude").as_str().unwrap_or(""),
            number(num(field(st, "beta"))),
            field(st, "similarity").as_str().unwrap_or(""),
            number(num(field(st, "threshold"))),
        ));
    } else if let Some((d, t)) = v.progress("fig32") {
        fig = fig.caption(format!("Computing: {d} of {t} trials done."));
    }
    fig
}

fn fig37(v: &View) -> Figure {
    let title = "Figure 3.7: Recall@k vs noise";
    let rows = part_rows(v, "fig37", "fig37", "fig37_rows");
    if rows.is_empty() {
        let msg = match v.progress("fig37") {
            Some((d, t)) => format!("Probing with noise: {d} of {t} noise levels…"),
            None => "Recall@k against the Gaussian noise on the probes (1000 stored memories by default) appears here once computed (a few seconds natively).".into(),
        };
        return Figure::empty("fig37", title, msg);
    }
    let kmax = rows.iter().map(|r| num(field(r, "k")) as usize).max().unwrap_or(1);
    let mut plot = Plot::new(Axis::new("noise σ (× pixel scale)"), Axis::new("Recall@k").domain(0.0, 1.02))
        .height(260.0)
        .legend(LegendPos::Below);
    for k in 1..=kmax {
        let pts: Vec<&Json> = rows.iter().filter(|r| num(field(r, "k")) as usize == k).collect();
        let x: Vec<f64> = pts.iter().map(|r| num(field(r, "noise"))).collect();
        let y: Vec<f64> = pts.iter().map(|r| num(field(r, "recall"))).collect();
        let e: Vec<f64> = pts.iter().map(|r| num(field(r, "sem"))).collect();
        let color = PALETTE[(k - 1) % 6];
        plot = plot.mark(Mark::Errors {
            x: x.clone(),
            lo: y.iter().zip(&e).map(|(a, b)| a - b).collect(),
            hi: y.iter().zip(&e).map(|(a, b)| a + b).collect(),
            color,
        });
        plot = plot.series(format!("k = {k}"), x, y, Style::line((k - 1) % 6).with_markers());
    }
    let st = v.get("fig37_settings");
    let mut fig = Figure::new("fig37", title).plot("", plot);
    if st.is_object() {
        fig = fig.caption(format!(
            "{} stored memories, {} noisy probes per level, pixels 0–{}, β = {}, {}; retrieved = argmax of each ksoftmax column (eq. 3.8), relevant = the k most similar to the clean probe. Error bars: ±1 standard error.",
            number(num(field(st, "memories"))),
            number(num(field(st, "probes"))),
            number(num(field(st, "pixels"))),
            number(num(field(st, "beta"))),
            field(st, "similarity").as_str().unwrap_or(""),
        ));
    }
    fig
}
