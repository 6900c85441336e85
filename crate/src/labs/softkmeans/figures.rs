//! The soft-k-means lab's figures: the point cloud with centre trajectories, the
//! assignment heatmap, gradient agreement with finite differences, error/memory/work
//! against the iteration count, the quantised image, and the quantisation table.

use super::super::{FigureDef, View, field, num, nums};
use crate::plot::figure::{
    Axis, Body, CellClick, Cmap, Control, Figure, ImageItem, Images, LegendPos, Mark, Panel, Pixels,
    PlaneClick, Plot, Shape, Style, Table,
};
use crate::plot::scene::{Color, PALETTE};
use crate::plot::ticks::number;
use serde_json::Value as Json;

pub const FIGURES: &[FigureDef] = &[
    FigureDef {
        name: "clusters",
        title: "Soft k-means: points and centres",
        parts: &["cluster"],
        ui: &["frame"],
        build: clusters,
    },
    FigureDef {
        name: "assignments",
        title: "Soft assignments A (points × centres)",
        parts: &["cluster"],
        ui: &[],
        build: assignments,
    },
    FigureDef {
        name: "gradients",
        title: "Gradients of L = ΣC* against finite differences",
        parts: &["gradients"],
        ui: &[],
        build: gradients,
    },
    FigureDef {
        name: "scaling",
        title: "Error, memory and work against iterations",
        parts: &["scaling"],
        ui: &[],
        build: scaling,
    },
    FigureDef { name: "image", title: "Colour quantisation", parts: &["image"], ui: &[], build: image },
    FigureDef {
        name: "quantize",
        title: "Quantising a small network (Tables 2.1–2.2, toy scale)",
        parts: &["quantize"],
        ui: &[],
        build: quantize_table,
    },
];

/// Colour of centre `j` of `k`: the colour-blind-safe palette up to 6, evenly spaced hues beyond.
fn centre_color(j: usize, k: usize) -> Color {
    if k <= 6 {
        return PALETTE[j % 6];
    }
    let h = j as f64 / k as f64 * 6.0;
    let (s, l) = (0.7, 0.45);
    let c = (1.0 - (2.0 * l - 1.0f64).abs()) * s;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as usize {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let to = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    Color::rgb(to(r), to(g), to(b))
}

/// The colour of a point: its attention-weighted blend of the centre colours.
fn blend(weights: &[f64], k: usize) -> Color {
    let mut acc = [0.0f64; 3];
    let total: f64 = weights.iter().filter(|w| w.is_finite()).sum();
    for (j, &w) in weights.iter().enumerate() {
        if w.is_finite() && total > 0.0 {
            let c = centre_color(j, k).0;
            for t in 0..3 {
                acc[t] += w / total * f64::from(c[t]);
            }
        }
    }
    if total > 0.0 { Color::rgb(acc[0] as u8, acc[1] as u8, acc[2] as u8) } else { PALETTE[6] }
}

fn matrix(j: &Json) -> Vec<Vec<f64>> {
    j.as_array().map(|rows| rows.iter().map(nums).collect()).unwrap_or_default()
}

/// The y coordinate of point `i` in a 1-D view: a deterministic spread in [0, 1].
fn jitter(i: usize) -> f64 {
    (i as f64 * 0.618_033_988_749_895).fract()
}

fn clusters(v: &View) -> Figure {
    const TITLE: &str = "Soft k-means: points and centres";
    if !v.has("cluster") {
        return Figure::empty(
            "clusters",
            TITLE,
            "The points, coloured by their soft assignment, and the centres' paths appear here (well under a second).",
        );
    }
    let d = num(v.get("d")) as usize;
    let source = v.get("source").as_str().unwrap_or("");
    let from_image = source == "image" || source == "file";
    let clickable = d == 2 && !from_image;
    let click = clickable.then(|| PlaneClick::Append { key: "pts".into() });
    let points = matrix(v.get("points"));
    if let Some(msg) = v.get("waiting").as_str() {
        let mut plot =
            Plot::new(Axis::new("x").domain(-5.0, 5.0), Axis::new("y").domain(-5.0, 5.0)).height(320.0);
        plot.equal = true;
        plot.click = click;
        return Figure::new("clusters", TITLE).plot("", plot).caption(msg);
    }
    let traj: Vec<Vec<Vec<f64>>> =
        v.get("trajectory").as_array().map(|f| f.iter().map(matrix).collect()).unwrap_or_default();
    let frames = traj.len();
    let f = (v.ui("frame", frames.saturating_sub(1) as f64).max(0.0) as usize).min(frames.saturating_sub(1));
    let attention = matrix(v.get("attention"));
    let k = num(v.get("k")) as usize;
    let coord = |p: &[f64], i: usize| -> (f64, f64) {
        let x = p.first().copied().unwrap_or(f64::NAN);
        let y = if d >= 2 { p.get(1).copied().unwrap_or(f64::NAN) } else { jitter(i) };
        (x, y)
    };
    let (px, py): (Vec<f64>, Vec<f64>) = points.iter().enumerate().map(|(i, p)| coord(p, i)).unzip();
    let colors = attention.iter().map(|a| blend(a, k)).collect();
    let (xl, yl) = match (source, d) {
        ("image" | "file", _) => ("red", "green"),
        (_, 1) => ("x", "(spread for visibility)"),
        _ => ("x₁", "x₂"),
    };
    let mut plot = Plot::new(Axis::new(xl), Axis::new(yl))
        .mark(Mark::Scatter { x: px, y: py, colors, shape: Shape::Dot, size: 3.2 })
        .height(320.0)
        .legend(LegendPos::None);
    if d >= 2 {
        plot.equal = true;
    }
    if source == "drawn" {
        plot.x = plot.x.domain(-5.0, 5.0);
        plot.y = plot.y.domain(-5.0, 5.0);
        let reach = points.iter().flatten().fold(5.0f64, |a, b| a.max(b.abs() * 1.1));
        plot.x = Axis::new(xl).domain(-reach, reach);
        plot.y = Axis::new(yl).domain(-reach, reach);
    }
    plot.click = click;
    let centre_y = |j: usize| if d >= 2 { None } else { Some(0.5 + 0.02 * j as f64) };
    for j in 0..k {
        let path: Vec<(f64, f64)> = traj
            .iter()
            .take(f + 1)
            .filter_map(|c| c.get(j))
            .map(|c| (c[0], centre_y(j).unwrap_or_else(|| c.get(1).copied().unwrap_or(f64::NAN))))
            .collect();
        let color = centre_color(j, k);
        let (x, y): (Vec<f64>, Vec<f64>) = path.iter().copied().unzip();
        if let (Some(&(x0, y0)), Some(&(x1, y1))) = (path.first(), path.last()) {
            plot = plot
                .series(String::new(), x, y, Style::line(0).color(color.alpha(0.8)).width(1.4))
                .mark(Mark::Markers {
                    x: vec![x0],
                    y: vec![y0],
                    shape: Shape::Circle,
                    size: 4.0,
                    color,
                    label: String::new(),
                })
                .mark(Mark::Markers {
                    x: vec![x1],
                    y: vec![y1],
                    shape: Shape::Cross,
                    size: 6.0,
                    color: Color::rgb(20, 20, 20),
                    label: String::new(),
                });
        }
    }
    let iterations = num(v.get("iterations"));
    let converged = v.get("converged").as_bool() == Some(true);
    let mut fig = Figure::new("clusters", TITLE)
        .plot("", plot)
        .control(Control::Player { key: "frame".into(), frames, label: "update".into() })
        .caption(format!(
            "{} points, k = {k}, τ = {}: {} after {iterations} update{} (‖C⁺ − C‖ < {}). Colours blend the centres' colours by A; ○ start, lines the paths, × the centres after {f} updates.",
            points.len(),
            number(num(v.get("tau"))),
            if converged { "converged" } else { "not converged" },
            if iterations == 1.0 { "" } else { "s" },
            number(num(v.get("cluster_eps"))),
        ))
        .caption(format!(
            "Hard k-means from the same start gives the same most-likely centre for {}% of the points.",
            number((num(v.get("hard_agreement")) * 100.0).round())
        ));
    if clickable {
        fig = fig.caption("Click in the plot to add a point.");
    } else if from_image {
        let which = if source == "file" { "your image" } else { "the sample image" };
        fig = fig.caption(format!("Pixels of {which} as RGB points; red and green shown."));
    } else if d > 2 {
        fig = fig.caption(format!("The first two of d = {d} coordinates are shown."));
    }
    for n in v.get("cluster_notes").as_array().into_iter().flatten() {
        if let Some(s) = n.as_str() {
            fig = fig.caption(s.to_string());
        }
    }
    fig
}

fn assignments(v: &View) -> Figure {
    const TITLE: &str = "Soft assignments A (points × centres)";
    if !v.has("cluster") || v.get("waiting").is_string() {
        return Figure::empty(
            "assignments",
            TITLE,
            "The attention matrix A = rowsoftmax(−D/τ) appears here once there are points.",
        );
    }
    let a = matrix(v.get("attention"));
    let k = num(v.get("k")) as usize;
    let labels = nums(v.get("labels"));
    let mut order: Vec<usize> = (0..a.len()).collect();
    // Group points by their most likely centre, most certain first.
    order.sort_by(|&i, &j| {
        let (li, lj) = (labels.get(i).copied().unwrap_or(0.0), labels.get(j).copied().unwrap_or(0.0));
        li.total_cmp(&lj).then_with(|| {
            let ai = a[i].get(li as usize).copied().unwrap_or(0.0);
            let aj = a[j].get(lj as usize).copied().unwrap_or(0.0);
            aj.total_cmp(&ai)
        })
    });
    let m = order.len();
    let values: Vec<f64> = order
        .iter()
        .flat_map(|&i| (0..k).map(|j| a[i].get(j).copied().unwrap_or(f64::NAN)).collect::<Vec<_>>())
        .collect();
    let ticks: Vec<(f64, String)> = (0..k).map(|j| (j as f64 + 0.5, format!("{j}"))).collect();
    let mut plot = Plot::new(
        Axis::new("centre j").domain(0.0, k as f64).ticks(ticks),
        Axis::new("points, grouped by most likely centre").domain(0.0, m as f64).no_ticks(),
    )
    .mark(Mark::Heatmap {
        pixels: Pixels { rows: m, cols: k, values, cmap: Cmap::Viridis, domain: [0.0, 1.0] },
        extent: [0.0, k as f64, 0.0, m as f64],
        click: CellClick::None,
        smooth: false,
    })
    .colorbar(Cmap::Viridis, [0.0, 1.0], "A(i, j)")
    .height(260.0);
    plot.x.grid = false;
    let masses = nums(v.get("masses"));
    Figure::new("assignments", TITLE).plot("", plot).caption(format!(
        "Each row sums to 1. Masses Σᵢ Aᵢⱼ: {}.",
        masses.iter().map(|x| number((x * 100.0).round() / 100.0)).collect::<Vec<_>>().join(", ")
    ))
}

const METHODS: [(&str, &str, usize); 3] = [
    ("unrolled", "unrolled (DKM)", 0),
    ("implicit", "implicit (IDKM)", 1),
    ("jfb", "Jacobian-free (JFB)", 2),
];

fn err_text(x: f64) -> String {
    if x.is_finite() { format!("{:.1e}", x) } else { "—".into() }
}

fn bytes_text(b: f64) -> String {
    if !b.is_finite() {
        "—".into()
    } else if b >= 1048576.0 {
        format!("{} MiB", number((b / 1048576.0 * 10.0).round() / 10.0))
    } else if b >= 1024.0 {
        format!("{} KiB", number((b / 1024.0 * 10.0).round() / 10.0))
    } else {
        format!("{b} B")
    }
}

fn gradients(v: &View) -> Figure {
    const TITLE: &str = "Gradients of L = ΣC* against finite differences";
    if !v.has("gradients") || v.get("waiting").is_string() {
        let msg = match v.progress("gradients") {
            Some((dn, t)) => format!("Finite differences: {dn} of {t} points…"),
            None => "The three gradients against central finite differences appear here (finite differences solve 2·m·d fixed points: about a second).".into(),
        };
        return Figure::empty("gradients", TITLE, msg);
    }
    let fd = matrix(v.get("grad_fd"));
    let mut dev = Plot::new(Axis::new("point i"), Axis::new("‖g(i) − g_FD(i)‖ (log)").log()).height(260.0);
    let mut rows = Vec::new();
    let mut ex = Vec::new();
    let mut ey = Vec::new();
    let mut bar_colors = Vec::new();
    for (key, label, c) in METHODS {
        let g = matrix(v.get(&format!("grad_{key}")));
        let e = num(v.get(&format!("err_{key}")));
        if !g.is_empty() {
            let (x, y): (Vec<f64>, Vec<f64>) = g
                .iter()
                .zip(&fd)
                .enumerate()
                .map(|(i, (a, b))| {
                    let dist = a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f64>().sqrt();
                    (i as f64, if dist > 0.0 { dist } else { f64::NAN })
                })
                .unzip();
            dev = dev.series(label, x, y, Style::points(c));
        }
        if e.is_finite() {
            ex.push(c as f64);
            ey.push(e.max(1e-17));
            bar_colors.push(PALETTE[c]);
        }
        let w = num(field(v.get("work"), key));
        rows.push(vec![
            label.to_string(),
            err_text(e),
            bytes_text(num(field(v.get("memory"), key))),
            if w.is_finite() { format!("{w}") } else { "—".into() },
        ]);
    }
    let ticks = METHODS.iter().map(|(_, _, c)| (*c as f64, ["DKM", "IDKM", "JFB"][*c].to_string())).collect();
    let bars = Plot::new(
        Axis::new("").domain(-0.6, 2.6).ticks(ticks),
        Axis::new("relative error vs FD").log().domain(1e-16, 10.0),
    )
    .mark(Mark::Bars {
        x: ex,
        y: ey,
        width: 0.6,
        base: 1e-17,
        color: PALETTE[0],
        colors: bar_colors,
        label: String::new(),
    })
    .height(260.0);
    let mut fig = Figure::new("gradients", TITLE)
        .columns(2)
        .plot("distance to the finite-difference gradient, per point", dev)
        .plot("‖g − g_FD‖ / ‖g_FD‖", bars)
        .panel(Panel {
            title: String::new(),
            body: Body::Table(Table {
                columns: vec![
                    "method".into(),
                    "relative error".into(),
                    "memory held".into(),
                    "backward multiply–adds".into(),
                ],
                rows,
                highlight: vec![],
            }),
        });
    let fp = v.get("fixed_point");
    fig = fig.caption(format!(
        "L = {} after {} f64 updates (‖F(C*) − C*‖ = {}); finite-difference step h = {}.",
        number(num(v.get("loss"))),
        num(field(fp, "iterations")),
        err_text(num(field(fp, "residual"))),
        err_text(num(v.get("fd_step")))
    ));
    let imp = v.get("implicit");
    fig = fig.caption(format!(
        "IDKM: M = (I − ∂F/∂C)⁻¹ ({0}×{0}) by the damped iteration, a = {1}, {2} iterations{3}.",
        num(field(imp, "size")),
        number(num(field(imp, "damping"))),
        num(field(imp, "total_iterations")),
        if field(imp, "converged").as_bool() == Some(true) { "" } else { ", not converged" }
    ));
    for n in v.get("gradient_notes").as_array().into_iter().flatten() {
        if let Some(s) = n.as_str() {
            fig = fig.caption(s.to_string());
        }
    }
    fig
}

fn scaling(v: &View) -> Figure {
    const TITLE: &str = "Error, memory and work against iterations";
    if !v.has("scaling") || v.get("waiting").is_string() {
        let msg = match v.progress("scaling") {
            Some((dn, t)) => format!("Iteration counts done: {dn} of {t}…"),
            None => "Each method's error, memory and work after 1, 2, 3, 5, … updates appear here (about a second).".into(),
        };
        return Figure::empty("scaling", TITLE, msg);
    }
    let rows = field(v.get("scaling"), "rows").as_array().cloned().unwrap_or_default();
    let t: Vec<f64> = rows.iter().map(|r| num(field(r, "iterations"))).collect();
    let col = |key: &str| -> Vec<f64> { rows.iter().map(|r| num(field(r, key))).collect() };
    let mut err =
        Plot::new(Axis::new("updates T").log(), Axis::new("relative error vs FD").log()).height(220.0);
    let mut mem =
        Plot::new(Axis::new("updates T").log(), Axis::new("bytes held for the backward pass").log())
            .height(220.0);
    let mut work =
        Plot::new(Axis::new("updates T").log(), Axis::new("backward multiply–adds").log()).height(220.0);
    for (key, label, c) in METHODS {
        let style = Style::line(c).with_markers();
        let e: Vec<f64> =
            col(&format!("err_{key}")).into_iter().map(|x| if x > 0.0 { x } else { f64::NAN }).collect();
        err = err.series(label, t.clone(), e, style.clone());
        mem = mem.series(label, t.clone(), col(&format!("bytes_{key}")), style.clone());
        work = work.series(label, t.clone(), col(&format!("work_{key}")), style);
    }
    let fp = num(field(v.get("scaling"), "fixed_point_iterations"));
    if fp.is_finite() {
        err = err.vline(fp, format!("ε reached at T = {fp}"), PALETTE[6]);
    }
    Figure::new("scaling", TITLE)
        .columns(3)
        .plot("error", err)
        .plot("memory", mem)
        .plot("work", work)
        .caption("Every method after exactly T updates from the same start, against finite differences of the exact fixed point.")
        .caption("DKM stores every update, so its memory grows with T; IDKM and JFB keep one update at C* (IDKM also J and M), whatever T.")
        .caption("Work is counted in multiply–adds from the loop sizes; measured times are in the benchmark table of the README.")
}

/// An 8-bit RGB list as pixels.
fn rgb_pixels(bytes: &[f64], w: usize, h: usize) -> Pixels {
    let values = (0..w * h)
        .map(|i| match bytes.get(3 * i..3 * i + 3) {
            Some(p) if p.iter().all(|x| x.is_finite()) => Cmap::pack(p[0] as u8, p[1] as u8, p[2] as u8),
            _ => f64::NAN,
        })
        .collect();
    Pixels { rows: h, cols: w, values, cmap: Cmap::Rgb, domain: [0.0, 1.0] }
}

fn palette_pixels(centres: &Json) -> Pixels {
    let c = matrix(centres);
    let values = c
        .iter()
        .map(|p| {
            let b = |x: f64| (x * 255.0).round().clamp(0.0, 255.0) as u8;
            Cmap::pack(b(p[0]), b(p[1]), b(p[2]))
        })
        .collect();
    Pixels { rows: 1, cols: c.len().max(1), values, cmap: Cmap::Rgb, domain: [0.0, 1.0] }
}

fn image(v: &View) -> Figure {
    const TITLE: &str = "Colour quantisation";
    if !v.has("image") {
        return Figure::empty(
            "image",
            TITLE,
            "The sample photograph (or your image, with data=file) quantised to k colours, from soft (large τ) to hard (τ → 0), appears here (about a second).",
        );
    }
    let im = v.get("image");
    let (w, h) = (num(field(im, "width")) as usize, num(field(im, "height")) as usize);
    let cur = field(im, "current");
    let item = |px: Pixels, caption: String| ImageItem {
        pixels: px,
        caption,
        action: None,
        outline: None,
        title: String::new(),
    };
    let top = vec![
        item(rgb_pixels(&nums(field(im, "original")), w, h), "original".into()),
        item(
            rgb_pixels(&nums(field(cur, "soft")), w, h),
            format!("soft, τ = {}", number(num(field(cur, "tau")))),
        ),
        item(rgb_pixels(&nums(field(cur, "hard")), w, h), "nearest centre".into()),
        item(palette_pixels(field(cur, "centres")), "centres".into()),
    ];
    let ladder: Vec<ImageItem> = field(im, "levels")
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            item(rgb_pixels(&nums(field(l, "soft")), w, h), format!("τ = {}", number(num(field(l, "tau")))))
        })
        .collect();
    Figure::new("image", TITLE)
        .panel(Panel {
            title: format!("k = {} colours", num(field(im, "k"))),
            body: Body::Images(Images { items: top, size: 192.0 }),
        })
        .panel(Panel {
            title: "soft quantisation r(w) = Σ A(w, c) c as τ → 0".into(),
            body: Body::Images(Images { items: ladder, size: 144.0 }),
        })
        .caption(format!(
            "Mean squared error per channel at τ = {}: soft {}, nearest centre {}.",
            number(num(field(cur, "tau"))),
            err_text(num(field(cur, "mse_soft"))),
            err_text(num(field(cur, "mse_hard")))
        ))
        .caption(format!("Image: {}.", field(im, "credit").as_str().unwrap_or("")))
}

fn quantize_table(v: &View) -> Figure {
    const TITLE: &str = "Quantising a small network (Tables 2.1–2.2, toy scale)";
    let q = v.get("quantize");
    if !v.has("quantize") || q.is_null() {
        let msg = match v.progress("quantize") {
            Some((dn, t)) => format!("Training: step {dn} of {t}…"),
            None => "Turn on “Train the quantised MLP” to train a small network on the 8×8 digits with quantised weights by DKM, IDKM and IDKM-JFB (a few seconds; the five-row table about half a minute).".into(),
        };
        return Figure::empty("quantize", TITLE, msg).control(Control::Params {
            keys: ["quantize", "qset", "qk", "qd", "qepochs"].map(String::from).to_vec(),
        });
    }
    let mut acc = Vec::new();
    let mut cost = Vec::new();
    for r in field(q, "rows").as_array().into_iter().flatten() {
        let m = |i: usize, key: &str| num(field(r, &format!("methods.{i}.{key}")));
        let pct = |x: f64| format!("{:.1}%", x * 100.0);
        acc.push(vec![
            number(num(field(r, "k"))),
            number(num(field(r, "d"))),
            number((num(field(r, "bits_per_weight")) * 100.0).round() / 100.0),
            pct(num(field(r, "ptq_accuracy"))),
            pct(m(0, "accuracy")),
            pct(m(1, "accuracy")),
            pct(m(2, "accuracy")),
        ]);
        cost.push(vec![
            number(num(field(r, "k"))),
            number(num(field(r, "d"))),
            format!("{:.2e}", m(0, "backward_work")),
            format!("{:.2e}", m(1, "backward_work")),
            format!("{:.2e}", m(2, "backward_work")),
            bytes_text(m(0, "peak_bytes")),
            bytes_text(m(1, "peak_bytes")),
            bytes_text(m(2, "peak_bytes")),
        ]);
    }
    let s = |x: &[&str]| x.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    Figure::new("quantize", TITLE)
        .panel(Panel {
            title: "test accuracy of the hard-quantised network (cf. Table 2.1)".into(),
            body: Body::Table(Table {
                columns: s(&["k", "d", "bits/weight", "no retraining", "DKM", "IDKM", "IDKM-JFB"]),
                rows: acc,
                highlight: vec![],
            }),
        })
        .panel(Panel {
            title: "cost of the clustering's backward passes (cf. Table 2.2, counted instead of timed)".into(),
            body: Body::Table(Table {
                columns: s(&["k", "d", "DKM work", "IDKM work", "JFB work", "DKM memory", "IDKM memory", "JFB memory"]),
                rows: cost,
                highlight: vec![],
            }),
        })
        .caption(format!(
            "A 64–{}–10 network ({} parameters) pretrained to {:.1}% on {} digits; {} epochs of quantisation-aware SGD (step {}) per method, τ = {}, at most {} clustering updates per step; accuracy on {} held-out digits.",
            num(field(q, "hidden")),
            num(field(q, "parameters")),
            num(field(q, "pretrained_accuracy")) * 100.0,
            num(field(q, "train")),
            num(field(q, "epochs")),
            number(num(field(q, "lr"))),
            number(num(field(q, "tau"))),
            num(field(q, "iters")),
            num(field(q, "test"))
        ))
        .caption("The source quantised a pretrained CNN on MNIST (2,158 parameters) and ResNet-18 on CIFAR-10, with measured training times; this toy keeps its shape, not its numbers.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::run_query_cpu;
    use crate::labs::NoProgress;
    use crate::plot::layout::layout;

    fn view(q: &str, parts: &[&str]) -> View {
        run_query_cpu(&format!("lab=softkmeans&{q}"), parts, &mut NoProgress).expect("runs").view()
    }

    #[test]
    fn every_figure_has_an_empty_state_and_no_nan_text() {
        let empty = View::new(crate::params::Params::defaults(super::super::PARAMS));
        for f in FIGURES {
            let fig = (f.build)(&empty);
            assert!(matches!(fig.panels[0].body, Body::Empty { .. }), "{}", f.name);
        }
        let v = view("m=20&iters=30", &["cluster", "gradients", "scaling", "image"]);
        for f in FIGURES {
            let fig = (f.build)(&v);
            let scene = layout(&fig, 900.0);
            let text = serde_json::to_string(&scene).expect("json") + &fig.caption.join(" ");
            assert!(!text.contains("NaN"), "{}: NaN in text", f.name);
        }
    }

    #[test]
    fn clusters_figure_is_clickable_for_2d_points() {
        let v = view("data=drawn&pts=0,0,1,1,2,0", &["cluster"]);
        let fig = clusters(&v);
        let Body::Plot(p) = &fig.panels[0].body else { panic!("a plot") };
        assert_eq!(p.click, Some(PlaneClick::Append { key: "pts".into() }));
        let v = view("data=drawn", &["cluster"]);
        let Body::Plot(p) = &clusters(&v).panels[0].body else { panic!("a plot") };
        assert!(p.click.is_some(), "an empty drawn plane still takes clicks");
    }

    #[test]
    fn blended_colours_follow_the_attention() {
        assert_eq!(blend(&[1.0, 0.0, 0.0], 3), PALETTE[0]);
        assert_eq!(blend(&[0.0, 1.0], 2), PALETTE[1]);
        let mid = blend(&[0.5, 0.5], 2);
        assert!(mid != PALETTE[0] && mid != PALETTE[1]);
        let distinct: std::collections::BTreeSet<[u8; 4]> = (0..16).map(|j| centre_color(j, 16).0).collect();
        assert_eq!(distinct.len(), 16);
    }
}
