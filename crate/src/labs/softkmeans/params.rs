//! The soft-k-means lab's parameter table and the rules between its keys.

use crate::params::spec::{float, int};
use crate::params::{Kind, Notice, ParamSpec, Params, Value};

/// Most points clustered in the 2-D/feature-space view (the page draws every one, and the
/// attention heatmap has one row per point).
pub const MAX_M: i64 = 1000;
/// Most points drawn by hand.
pub const MAX_DRAWN: usize = 200;
/// Finite differences solve `2·m·d` perturbed fixed points of `≈ m·k·(2d + 3)` multiply–adds
/// per update: `m²·k·d·(2d + 3)` is held under this, about two seconds of CPU in a browser.
pub const FD_BUDGET: f64 = 2.5e7;
/// Most bytes the unrolled (DKM) gradient may keep: `iters` is clamped so that its tape
/// of `iters` updates of `8·(2mk + 2kd + k)` bytes fits.
pub const MAX_TAPE_BYTES: usize = 64 << 20;
/// Largest `d` (IDKM's `M` is `kd × kd` and each of its iterations costs `(kd)³`).
pub const MAX_D: i64 = 4;

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        key: "data",
        label: "Points",
        help: "mixture: m points from a seeded Gaussian mixture (plus any clicked points when d = 2); drawn: only the points you click into the plot; image: m random pixels of the sample image as RGB points (d = 3); file: the same from your own image (Load data…: PNG, JPEG, …; read on this machine, never uploaded), which the colour quantisation then uses too.",
        group: "Points",
        kind: Kind::Choice { options: &["mixture", "drawn", "image", "file"] },
        default: Value::Choice("mixture"),
    },
    int(
        "m",
        "Points m",
        "Points of the mixture or pixels sampled from the image (at most 1000; fewer when k·d is large, so that the finite differences stay within about two seconds).",
        "Points",
        2,
        MAX_M,
        40,
    ),
    int(
        "d",
        "Dimension d",
        "Coordinates per point of the mixture (drawn points have 2, image colours 3; at most 4: IDKM's M is kd × kd).",
        "Points",
        1,
        MAX_D,
        2,
    ),
    int(
        "blobs",
        "Mixture blobs",
        "Gaussian blobs of the mixture: means from N(0, 2²I), points spread by 0.5.",
        "Points",
        1,
        16,
        3,
    ),
    ParamSpec {
        key: "pts",
        label: "Clicked points",
        help: "Points added by clicking in the cluster plot (x0,y0,x1,y1,…; at most 200 points in −10…10).",
        group: "Points",
        kind: Kind::FloatList { min: -10.0, max: 10.0, max_len: 2 * MAX_DRAWN },
        default: Value::FloatList(Vec::new()),
    },
    int("k", "Centres k", "Cluster centres (at most the number of points).", "Clustering", 1, 16, 3),
    float(
        "tau",
        "Temperature τ",
        "Softmax temperature of A = rowsoftmax(−D/τ) (must be positive; small τ is hard k-means).",
        "Clustering",
        1e-4,
        100.0,
        true,
        0.5,
    ),
    float(
        "eps",
        "Tolerance ε",
        "Stop when ‖C⁺ − C‖ < ε (Algorithm 1).",
        "Clustering",
        1e-14,
        0.1,
        true,
        1e-9,
    ),
    int(
        "iters",
        "Max iterations",
        "Cap on centre updates (the scaling view runs 1 … this many).",
        "Clustering",
        1,
        1000,
        200,
    ),
    int(
        "ik",
        "Image colours k",
        "Palette size of the colour quantisation of the sample image.",
        "Image",
        2,
        32,
        8,
    ),
    float(
        "itau",
        "Image τ",
        "Temperature of the image's soft k-means (colour distances are 0…√3).",
        "Image",
        1e-4,
        1.0,
        true,
        0.01,
    ),
    ParamSpec {
        key: "quantize",
        label: "Train the quantised MLP",
        help: "Run the network-quantisation demo (a few seconds; the five-row table about half a minute).",
        group: "Quantisation",
        kind: Kind::Bool,
        default: Value::Bool(false),
    },
    ParamSpec {
        key: "qset",
        label: "Configurations",
        help: "one: the k and d below; tables: the five (k, d) of the source's Tables 2.1–2.2.",
        group: "Quantisation",
        kind: Kind::Choice { options: &["one", "tables"] },
        default: Value::Choice("one"),
    },
    int("qk", "Codewords k", "Codewords per layer.", "Quantisation", 2, 16, 4),
    int(
        "qd",
        "Sub-vector d",
        "Consecutive weights quantised together (product quantisation).",
        "Quantisation",
        1,
        2,
        1,
    ),
    int("qepochs", "Epochs", "Quantisation-aware training epochs for each method.", "Quantisation", 1, 20, 3),
    float(
        "qtau",
        "Temperature τ",
        "Temperature of the weights' soft k-means (the source: 5·10⁻⁴).",
        "Quantisation",
        1e-4,
        1.0,
        true,
        5e-4,
    ),
    int(
        "qiters",
        "Clustering iterations",
        "Cap on soft-k-means updates per training step (the source: 30).",
        "Quantisation",
        1,
        100,
        30,
    ),
    float(
        "qlr",
        "Step size",
        "Plain SGD step of the quantisation-aware training (the source: 10⁻⁴ over 100 epochs).",
        "Quantisation",
        1e-5,
        1.0,
        true,
        0.05,
    ),
];

/// Points the `cluster`, `gradients` and `scaling` parts use.
pub fn effective_m(p: &Params) -> usize {
    let clicked = p.floats("pts").len() / 2;
    match p.choice("data") {
        "drawn" => clicked,
        "image" | "file" => p.usize("m"),
        _ => p.usize("m") + if p.int("d") == 2 { clicked } else { 0 },
    }
}

/// Largest m the finite differences allow for `k` and `d`.
pub fn fd_max_m(k: usize, d: usize) -> usize {
    let per = (k * d * (2 * d + 3)) as f64;
    ((FD_BUDGET / per).sqrt().floor() as usize).clamp(2, MAX_M as usize)
}

pub fn check(p: &mut Params, notices: &mut Vec<Notice>) {
    let data = p.choice("data");
    let want_d = match data {
        "drawn" => Some(2),
        "image" | "file" => Some(3),
        _ => None,
    };
    if let Some(d) = want_d
        && p.int("d") != d
    {
        notices.push(Notice::new("d", format!("{data} points have d = {d}; d={} ignored", p.int("d"))));
        p.set("d", Value::Int(d));
    }
    let pts = p.floats("pts").to_vec();
    if pts.len() % 2 == 1 {
        notices.push(Notice::new("pts", "clicked points come in x,y pairs; the last odd number was dropped"));
        p.set("pts", Value::FloatList(pts[..pts.len() - 1].to_vec()));
    }
    let (k, d) = (p.usize("k"), p.usize("d"));
    let limit = fd_max_m(k, d);
    let clicked = effective_m(p).saturating_sub(if data == "drawn" { 0 } else { p.usize("m") });
    if data != "drawn" && p.usize("m") + clicked > limit {
        let m = limit.saturating_sub(clicked).max(2);
        notices.push(Notice::new(
            "m",
            format!(
                "m={} (+{clicked} clicked) with k={k}, d={d} exceeds the {limit} points the finite differences allow (m²·k·d·(2d+3) ≤ {FD_BUDGET:e}); using m={m}",
                p.int("m")
            ),
        ));
        p.set("m", Value::Int(m as i64));
    }
    let m = effective_m(p);
    if m >= 1 && k > m {
        notices.push(Notice::new(
            "k",
            format!("k={k} centres need at least k points, and there are {m}; using k={m}"),
        ));
        p.set("k", Value::Int(m as i64));
    }
    let k = p.usize("k");
    let per_step = 8 * (2 * m * k + 2 * k * d + k);
    let max_iters = (MAX_TAPE_BYTES / per_step.max(1)).max(1);
    if p.usize("iters") > max_iters {
        notices.push(Notice::new(
            "iters",
            format!(
                "iters={} would make the unrolled gradient keep {} MiB (m={m}, k={k}, d={d}); the limit is {} MiB, so iters={max_iters}",
                p.int("iters"),
                (p.usize("iters") * per_step) >> 20,
                MAX_TAPE_BYTES >> 20
            ),
        ));
        p.set("iters", Value::Int(max_iters as i64));
    }
}

/// An estimate of the operations of `part` (the limits test runs the parts estimated small):
/// one soft-k-means update costs about 10·m·k·d; the finite differences redo the clustering
/// twice per coordinate; the scaling view reruns it for about 30 iteration counts; the image
/// quantises 96×64 colours at 7 temperatures; quantisation-aware training passes the 1,797
/// digits through the 2,410-weight network per epoch, three methods (five settings for `tables`).
pub fn cost(p: &Params, part: &str) -> f64 {
    let (m, k, d, iters) =
        (effective_m(p) as f64, p.usize("k") as f64, p.usize("d") as f64, p.usize("iters") as f64);
    let update = 10.0 * m * k * d;
    match part {
        "cluster" => iters * update,
        "gradients" => (2.0 * m * d + 3.0) * iters * update + iters * m * k * d * 4.0,
        "scaling" => 30.0 * (iters * update + (k * d).powi(3)),
        "image" => 7.0 * p.usize("iters") as f64 * 10.0 * 6144.0 * p.usize("ik") as f64 * 3.0,
        "quantize" if p.flag("quantize") => {
            let settings = if p.choice("qset") == "tables" { 5.0 } else { 1.0 };
            let (qk, qd, qiters) = (p.usize("qk") as f64, p.usize("qd") as f64, p.usize("qiters") as f64);
            settings
                * p.usize("qepochs") as f64
                * 3.0
                * (1797.0 * 2410.0 * 6.0 + 60.0 * qiters * 2410.0 * qk * qd * 10.0)
        }
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use crate::api::from_query;

    fn parse(q: &str) -> (crate::params::Params, Vec<String>) {
        let parsed = from_query(&format!("lab=softkmeans&{q}"));
        let notes = parsed.notices.iter().map(|n| n.message.clone()).collect();
        (parsed.state().expect("softkmeans").params, notes)
    }

    #[test]
    fn k_above_m_is_clamped_with_a_notice() {
        let (p, notes) = parse("data=drawn&pts=0,0,1,1,2,2&k=5");
        assert_eq!(p.int("k"), 3);
        assert!(notes.iter().any(|n| n.contains("at least k points")), "{notes:?}");
    }

    #[test]
    fn non_positive_temperature_is_refused_with_a_notice() {
        for bad in ["0", "-1", "nan"] {
            let (p, notes) = parse(&format!("tau={bad}"));
            assert!(p.float("tau") > 0.0);
            assert!(!notes.is_empty(), "tau={bad}");
        }
    }

    #[test]
    fn finite_difference_budget_clamps_m_last() {
        let (p, notes) = parse("m=1000&k=16&d=4");
        assert_eq!(p.int("m") as usize, super::fd_max_m(16, 4));
        assert!(notes.iter().any(|n| n.contains("finite differences")), "{notes:?}");
        let (p, notes) = parse("m=40&k=3&d=2");
        assert_eq!(p.int("m"), 40);
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn image_and_drawn_data_fix_the_dimension() {
        assert_eq!(parse("data=image&d=2").0.int("d"), 3);
        assert_eq!(parse("data=drawn&d=1").0.int("d"), 2);
        let (p, notes) = parse("data=drawn&pts=1,2,3");
        assert_eq!(p.floats("pts"), &[1.0, 2.0]);
        assert!(notes.iter().any(|n| n.contains("pairs")));
    }
}
