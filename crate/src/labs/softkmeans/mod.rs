//! Lab 5 — soft k-means and implicit differentiation (IDKM): Jaffe, "Dynamical Systems
//! and Neural Networks: From Implicit Models to Memory Retrieval", PhD dissertation,
//! UC Santa Barbara, 2024, Chapter 2 (SPEC Lab 5).
//!
//! [`model`] holds the f64 math (the update map, its reverse-mode product, the unrolled,
//! implicit and Jacobian-free gradients, finite differences, hard k-means), [`data`] the
//! points and the sample image with the parsers for a visitor's files, [`quantize`] the
//! network-quantisation demo. This file holds the parts of the result; the clustering
//! shown (the `cluster` and `image` parts) runs on the compute engine
//! ([`Compute::soft_kmeans`]: the GPU when there is one, else the CPU), the gradients on
//! the CPU in f64.

// Index loops over several parallel buffers read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

pub mod data;
mod figures;
pub mod model;
mod params;
pub mod quantize;

pub use self::params::{FD_BUDGET, MAX_M, MAX_TAPE_BYTES, fd_max_m};

use self::data::RgbImage;
use self::params::{PARAMS, check, effective_m};
use super::{Cell, LabDef, LabFuture, Output, Part, Preset, Progress, RunError, Runner, Table};
use crate::compute::{Compute, Mat};
use crate::params::Params;
use crate::rng::seeded;
use serde::Serialize;
use serde_json::{Value as Json, json};

/// The registry entry.
pub const LAB: LabDef = LabDef {
    id: "softkmeans",
    title: "Soft k-means and implicit differentiation",
    summary: "Soft k-means as an attention fixed point, with unrolled, implicit and Jacobian-free gradients checked against finite differences.",
    source: "Jaffe, PhD dissertation (UC Santa Barbara, 2024), Chapter 2",
    sources: &[&super::cite::JAFFE_2024],
    params: PARAMS,
    runner: Some(Runner {
        parts: &[
            Part { name: "cluster", keys: POINT_KEYS },
            Part { name: "gradients", keys: POINT_KEYS },
            Part { name: "scaling", keys: POINT_KEYS },
            Part { name: "image", keys: &["data", "ik", "itau", "eps", "iters"] },
            Part {
                name: "quantize",
                keys: &["quantize", "qset", "qk", "qd", "qepochs", "qtau", "qiters", "qlr", "eps"],
            },
        ],
        check,
        run,
        gpu: true,
        limits: super::no_limits,
        cost: params::cost,
        import: Some(import_file),
        presets: PRESETS,
        figures: figures::FIGURES,
        shards: None,
    }),
    about: ABOUT,
};

const POINT_KEYS: &[&str] = &["data", "m", "d", "blobs", "pts", "k", "tau", "eps", "iters"];

const PRESETS: &[Preset] = &[
    Preset {
        name: "blobs",
        label: "Three blobs",
        query: "data=mixture&m=40&d=2&blobs=3&k=3&tau=0.5",
        reproduces: "",
        note: "Forty points, three centres: watch them settle, and compare the three gradients with finite differences.",
    },
    Preset {
        name: "hard",
        label: "τ → 0: hard k-means",
        query: "data=mixture&m=60&d=2&blobs=4&k=4&tau=0.0001",
        reproduces: "",
        note: "At a tiny temperature every point belongs to one centre and the update is Lloyd's k-means; the gradients through the assignments vanish.",
    },
    Preset {
        name: "hot",
        label: "Hot: centres merge",
        query: "data=mixture&m=40&d=2&blobs=3&k=3&tau=3&iters=1000",
        reproduces: "",
        note: "Above a critical temperature every centre collapses onto the mean of the points: one cluster, where all three gradients agree (compare τ = 0.5).",
    },
    Preset {
        name: "draw",
        label: "Draw your own points",
        query: "data=drawn&k=2&tau=0.3",
        reproduces: "",
        note: "An empty plane: click to add points, and the clustering and gradients follow.",
    },
    Preset {
        name: "memory",
        label: "Memory against iterations",
        query: "data=mixture&m=200&d=1&blobs=4&k=4&tau=0.3&iters=300",
        reproduces: "Section 2.3.3 of Jaffe (2024): DKM's memory grows with the iterations, IDKM's does not",
        note: "The backward-pass memory of unrolled differentiation grows linearly with the iterations; the implicit gradient's stays flat.",
    },
    Preset {
        name: "colours",
        label: "Colour quantisation",
        query: "data=image&m=60&d=3&k=6&tau=0.05&ik=8&itau=0.01",
        reproduces: "",
        note: "The sample photograph's colours clustered into 8, from a soft blend (large τ) to a hard palette (τ → 0).",
    },
    Preset {
        name: "table-2-1",
        label: "Tables 2.1–2.2 (toy scale)",
        query: "quantize=1&qset=tables&qepochs=3&qtau=0.0005&qiters=30",
        reproduces: "Tables 2.1–2.2 of Jaffe (2024), shape only: a 2,410-parameter MLP on 8×8 digits, not the pretrained CNN on MNIST",
        note: "DKM, IDKM and IDKM-JFB quantising a small network for five (k, d): accuracy, counted backward work and memory.",
    },
];

const ABOUT: &str = r#"<p><b>Soft k-means</b> (Algorithm 1 of the source). Points w<sub>i</sub> ∈ ℝ<sup>d</sup> (i = 1…m), k centres C, temperature τ &gt; 0.
Distances <math><msub><mi>D</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>=</mo><mo>‖</mo><msub><mi>w</mi><mi>i</mi></msub><mo>−</mo><msub><mi>c</mi><mi>j</mi></msub><mo>‖</mo></math>
(Euclidean, not squared, eq. 2.5), attention <math><mi>A</mi><mo>=</mo><mi>rowsoftmax</mi><mo>(</mo><mo>−</mo><mi>D</mi><mo>/</mo><mi>τ</mi><mo>)</mo></math>,
update <math><msup><mi>C</mi><mo>+</mo></msup><mo>=</mo><mi>F</mi><mo>(</mo><mi>C</mi><mo>,</mo><mi>W</mi><mo>)</mo><mo>=</mo><mi>diag</mi><mo>(</mo><msup><mi>A</mi><mi>T</mi></msup><mn>1</mn><msup><mo>)</mo><mrow><mo>−</mo><mn>1</mn></mrow></msup><msup><mi>A</mi><mi>T</mi></msup><mi>W</mi></math>,
repeated until ‖C<sup>+</sup> − C‖ &lt; ε. The result C* is a fixed point C* = F(C*, W). As τ → 0 the attention becomes one-hot and the
update is hard (Lloyd's) k-means; as τ grows the centres merge.</p>
<p><b>Three gradients</b> of the loss L = Σ<sub>j,t</sub> C*<sub>jt</sub> (the sum of every coordinate of every converged centre) with respect to the points:
<i>unrolled</i> (DKM) backpropagates through every stored update, so its memory grows with the iterations;
<i>implicit</i> (IDKM) uses the fixed point only: <math><mfrac><mrow><mi>d</mi><msup><mi>C</mi><mo>*</mo></msup></mrow><mrow><mi>d</mi><mi>W</mi></mrow></mfrac><mo>=</mo><mi>M</mi><mfrac><mrow><mo>∂</mo><mi>F</mi></mrow><mrow><mo>∂</mo><mi>W</mi></mrow></mfrac></math>
with <math><mi>M</mi><mo>=</mo><msup><mrow><mo>(</mo><mi>I</mi><mo>−</mo><mo>∂</mo><mi>F</mi><mo>/</mo><mo>∂</mo><mi>C</mi><mo>)</mo></mrow><mrow><mo>−</mo><mn>1</mn></mrow></msup></math>
(eq. 2.17–2.18), found as the source does by iterating <math><mi>M</mi><mo>←</mo><mi>a</mi><mo>(</mo><mi>J</mi><mi>M</mi><mo>+</mo><mi>I</mi><mo>)</mo><mo>+</mo><mo>(</mo><mn>1</mn><mo>−</mo><mi>a</mi><mo>)</mo><mi>M</mi></math>
with a = 0.25, halved and restarted whenever the iteration diverges (eq. 2.22); <i>Jacobian-free</i> (JFB) takes M = I (eq. 2.24).
All three are checked against <i>finite differences</i>: central differences of L, each perturbed fixed point solved to
‖C<sup>+</sup> − C‖ ≤ 10<sup>−14</sup>(1 + ‖C‖), starting from the unperturbed C*, with step h = 10<sup>−4</sup>·min(τ, σ) (σ: the points' RMS spread).</p>
<p><b>Memory</b> is the bytes each method keeps for its backward pass, counted from its buffers (f64): per stored update the
distances and attention (2·m·k), the centres before and after (2·k·d) and the masses (k); IDKM keeps one such update at C* plus
J, M and the next M (3·(kd)²). <b>Work</b> is counted in multiply–adds from the loop sizes, not timed, so a link gives the same numbers
everywhere; measured times are in the benchmark table of the README.</p>
<p><b>Choices made here.</b> Initial centres are k distinct points, each moved by a tiny seeded offset (1% of σ) so no centre
starts exactly on a point (where ‖w − c‖ has no derivative); they are treated as constants. A centre whose mass underflows is
<i>empty</i>: it keeps its place, does not depend on the points and is left out of IDKM's system. The clustering you see (centres,
trajectory, attention, the image) runs on the compute engine in f32 — on the GPU when there is one — and stops at
max(ε, 10<sup>−5</sup>·(1 + σ)), the f32 resolution; the gradients redo the clustering on the CPU in f64 to the ε you set.
The image is scikit-image's <i>coffee</i> (CC0, photograph by Rachel Michetti), averaged to 96×64.</p>
<p><b>Quantisation demo.</b> The source quantises a pretrained two-layer CNN on MNIST (2,158 parameters) and ResNet-18 on CIFAR-10
with τ = 5·10<sup>−4</sup>, SGD at 10<sup>−4</sup> for 100 epochs and at most 30 clustering iterations. Here, at toy scale so it
trains in the page, a 64–32–10 ReLU network (2,410 parameters) is first trained on 1,347 of the 8×8 digits, then each weight matrix
is cut into sub-vectors of d weights, quantised to k codewords by soft k-means inside every training step (warm-started from the
previous step's codebook), and trained on for a few epochs with each gradient; the table reports the test accuracy of the hard-quantised
network on the 450 held-out digits, the counted backward work and the peak memory, in the shape of Tables 2.1–2.2. The source's
table is garbled in our copy: its rows are read as (k, d) = (8,1), (4,1), (2,1), (2,2), (4,2).</p>"#;

/// Run entry point.
/// A visitor's file: a PNG image (the page turns other image formats into PNG first) becomes
/// `data=file`, clustered as RGB points and quantised, and stays on the visitor's machine; a
/// CSV of points (`x,y` rows) becomes drawn points in the link.
fn import_file(_p: &Params, name: &str, bytes: &[u8]) -> Result<super::Import, String> {
    if bytes.starts_with(b"\x89PNG") {
        data::read_png(bytes).map_err(|e| format!("{name}: {e}"))?;
        return Ok(super::Import {
            set: vec![("data".into(), "file".into()), ("d".into(), "3".into())],
            keep_file: true,
        });
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| format!("{name}: neither a CSV of points nor a PNG, JPEG or other image"))?;
    let pts = data::points_from_csv(text).map_err(|e| format!("{name}: {e}"))?;
    if pts.cols != 2 {
        return Err(format!(
            "{name}: points need two coordinates (x,y) per row to be drawn; this file has {}",
            pts.cols
        ));
    }
    if pts.rows > params::MAX_DRAWN {
        return Err(format!("{name}: {} points; at most {} travel in a link", pts.rows, params::MAX_DRAWN));
    }
    if pts.data.iter().any(|v| v.abs() > 10.0) {
        return Err(format!("{name}: drawn points lie in −10…10; rescale the file"));
    }
    let flat: Vec<String> =
        pts.data.iter().map(|v| format!("{}", crate::plot::scene::round_sig(*v, 4) + 0.0)).collect();
    Ok(super::Import {
        set: vec![("data".into(), "drawn".into()), ("d".into(), "2".into()), ("pts".into(), flat.join(","))],
        keep_file: false,
    })
}

fn run<'a>(
    p: &'a Params,
    parts: &'a [&'a str],
    progress: &'a mut dyn Progress,
    compute: &'a Compute,
) -> LabFuture<'a> {
    Box::pin(run_parts(p, parts, progress, compute))
}

/// The points, starting centres and settings shared by `cluster`, `gradients` and `scaling`.
pub struct Problem {
    pub w: Mat<f64>,
    pub c0: Vec<f64>,
    pub k: usize,
    pub tau: f64,
    pub eps: f64,
    pub iters: usize,
    pub source: &'static str,
}

impl Problem {
    /// The problem a link describes; `None` while there are no points (nothing drawn yet).
    pub fn from_params(p: &Params) -> Result<Option<Self>, RunError> {
        let (d, k) = (p.usize("d"), p.usize("k"));
        let mut rng = seeded(p.seed(), 1);
        let source = p.choice("data");
        let w = match source {
            "drawn" => data::drawn(p.floats("pts")),
            "image" | "file" => data::image_sample(&mut rng, &chosen_image(p)?.image, p.usize("m")),
            _ => {
                let mut w = data::mixture(&mut rng, p.usize("m"), d, p.usize("blobs"));
                if d == 2 {
                    w.data.extend_from_slice(&data::drawn(p.floats("pts")).data);
                    w.rows = w.data.len() / 2;
                }
                w
            }
        };
        debug_assert_eq!(w.rows, effective_m(p));
        if w.rows == 0 {
            return Ok(None);
        }
        Self::new(w, k, p.float("tau"), p.float("eps"), p.usize("iters"), p.seed(), source).map(Some)
    }

    /// Validate and pick the initial centres (seeded).
    pub fn new(
        w: Mat<f64>,
        k: usize,
        tau: f64,
        eps: f64,
        iters: usize,
        seed: u64,
        source: &'static str,
    ) -> Result<Self, RunError> {
        if let Some(e) = w.data.iter().position(|x| !x.is_finite()) {
            return Err(RunError::Invalid(format!(
                "point {} has a coordinate that is NaN or infinite; remove it and run again",
                e / w.cols.max(1)
            )));
        }
        if !tau.is_finite() || tau <= 0.0 {
            return Err(RunError::Invalid(format!(
                "the temperature τ must be positive and finite, not {tau}"
            )));
        }
        if k == 0 || k > w.rows {
            return Err(RunError::Invalid(format!(
                "k = {k} centres need between 1 and m = {} points",
                w.rows
            )));
        }
        let c0 = data::initial_centres(&mut seeded(seed, 2), &w, k);
        Ok(Self { w, c0, k, tau, eps, iters: iters.max(1), source })
    }

    fn d(&self) -> usize {
        self.w.cols
    }

    /// The finite-difference step: `10⁻⁴ · min(τ, σ)`.
    pub fn fd_step(&self) -> f64 {
        let s = data::spread(&self.w);
        1e-4 * if s > 0.0 { self.tau.min(s) } else { self.tau }
    }
}

fn rows(x: &[f64], cols: usize) -> Vec<Vec<f64>> {
    x.chunks(cols.max(1)).map(<[f64]>::to_vec).collect()
}

fn rows32(x: &[f32], cols: usize) -> Vec<Vec<f32>> {
    x.chunks(cols.max(1)).map(<[f32]>::to_vec).collect()
}

/// The f32 resolution the compute engine's clustering stops at (with ε when larger).
fn f32_eps(eps: f64, spread: f64) -> f64 {
    eps.max(1e-5 * (1.0 + spread))
}

/// The `cluster` part: the clustering on the compute engine, one update at a time (for
/// the trajectory), its soft assignments, and hard k-means from the same start.
async fn cluster(pr: &Problem, compute: &Compute, out: &mut Output) {
    let (k, d) = (pr.k, pr.d());
    let wf = pr.w.to_f32();
    let eps = f32_eps(pr.eps, data::spread(&pr.w));
    let mut c = Mat { rows: k, cols: d, data: pr.c0.iter().map(|&x| x as f32).collect() };
    let mut trajectory = vec![rows32(&c.data, d)];
    let mut last = None;
    for _ in 0..pr.iters {
        let r = compute.soft_kmeans(&wf, &c, pr.tau as f32, eps as f32, 1).await;
        c = r.centres.clone();
        trajectory.push(rows32(&c.data, d));
        let stop = r.converged || r.last_change == 0.0;
        last = Some(r);
        if stop {
            break;
        }
    }
    let (attention, converged, last_change) = match &last {
        Some(r) => (r.attention.clone(), r.converged, r.last_change),
        None => (Mat::zeros(pr.w.rows, k), false, f64::NAN),
    };
    let labels: Vec<usize> = (0..pr.w.rows)
        .map(|i| (0..k).fold(0, |b, j| if attention.at(i, j) > attention.at(i, b) { j } else { b }))
        .collect();
    let masses: Vec<f64> =
        (0..k).map(|j| (0..pr.w.rows).map(|i| f64::from(attention.at(i, j))).sum()).collect();
    let empty: Vec<usize> = (0..k).filter(|&j| masses[j].is_nan() || masses[j] <= 0.0).collect();
    // Hard k-means from the same start, to convergence of its labels (at most `iters` rounds).
    let (mut hard, mut hard_labels, mut hard_iters) = (pr.c0.clone(), vec![usize::MAX; pr.w.rows], 0);
    while hard_iters < pr.iters {
        let (c, l) = model::lloyd(&pr.w, &hard, k, 1);
        hard_iters += 1;
        let same = l == hard_labels;
        hard = c;
        hard_labels = l;
        if same {
            break;
        }
    }
    let agreement = labels.iter().zip(&hard_labels).filter(|(a, b)| a == b).count() as f64 / pr.w.rows as f64;
    let mut notes = Vec::new();
    for &j in &empty {
        notes.push(format!(
            "centre {j} has no mass (an empty cluster): it keeps its place and its gradient is zero"
        ));
    }
    if !converged {
        notes.push(format!(
            "the clustering did not reach ‖C⁺ − C‖ < {} within {} updates",
            crate::plot::ticks::number(eps),
            pr.iters
        ));
    }
    let iterations = trajectory.len() - 1;
    let mut table = Table {
        name: "trajectory",
        columns: ["iteration", "centre"]
            .iter()
            .map(|s| s.to_string())
            .chain((0..d).map(|t| format!("x{t}")))
            .collect(),
        rows: Vec::new(),
    };
    for (t, cs) in trajectory.iter().enumerate() {
        for (j, cj) in cs.iter().enumerate() {
            let mut row: Vec<Cell> = vec![t.into(), j.into()];
            row.extend(cj.iter().map(|&x| Cell::Num(f64::from(x))));
            table.rows.push(row);
        }
    }
    out.tables.push(table);
    out.merge(json!({
        "source": pr.source,
        "m": pr.w.rows,
        "d": d,
        "k": k,
        "tau": pr.tau,
        "eps": pr.eps,
        "points": rows(&pr.w.data, d),
        "initial_centres": rows(&pr.c0, d),
        "centres": rows32(&c.data, d),
        "trajectory": trajectory,
        "attention": rows32(&attention.data, k),
        "labels": labels,
        "masses": masses,
        "empty_clusters": empty,
        "iterations": iterations,
        "converged": converged,
        "last_change": last_change,
        "cluster_eps": eps,
        "hard_centres": rows(&hard, d),
        "hard_labels": hard_labels,
        "hard_iterations": hard_iters,
        "hard_agreement": agreement,
        "cluster_notes": notes,
    }));
}

/// Memory and work of one method, for the JSON.
#[derive(Serialize)]
struct Costs {
    unrolled: usize,
    implicit: Option<usize>,
    jfb: usize,
}

#[derive(Serialize)]
struct Works {
    unrolled: u64,
    implicit: Option<u64>,
    jfb: u64,
}

/// The f64 fixed point and the exact reference gradient that `gradients` and `scaling` share.
struct Reference {
    run: model::Solve,
    fd: Vec<f64>,
    fd_converged: bool,
    h: f64,
}

fn reference(pr: &Problem, progress: &mut dyn Progress) -> Reference {
    let run = model::solve(&pr.w, &pr.c0, pr.k, pr.tau, pr.eps, pr.iters, true);
    // The exact fixed point near the one found, then central differences around it.
    let (star, _) = model::tight(&pr.w, &run.centres, pr.k, pr.tau);
    let h = pr.fd_step();
    let (fd, fd_converged) = model::finite_differences(&pr.w, &star, pr.tau, h, |i, m| progress.step(i, m));
    Reference { run, fd, fd_converged, h }
}

fn err(a: &[f64], fd: &[f64]) -> Option<f64> {
    model::relative_error(a, fd)
}

/// The `gradients` part.
fn gradients(pr: &Problem, r: &Reference, out: &mut Output) {
    let (k, d) = (pr.k, pr.d());
    let g = vec![1.0; k * d];
    let un = model::unrolled(&pr.w, &r.run.tape, &g, pr.tau);
    let imp = model::implicit(&pr.w, &r.run.centres, &g, pr.tau);
    let jf = model::jfb(&pr.w, &r.run.centres, &g, pr.tau);
    let residual = model::step(&pr.w, &r.run.centres, k, pr.tau).change();
    let mut notes = Vec::new();
    if !imp.solve.converged {
        notes.push(format!(
            "IDKM's iteration for M did not converge (a = {}, {} restarts): I − ∂F/∂C is singular or nearly so",
            imp.solve.damping, imp.solve.restarts
        ));
    }
    if !r.fd_converged {
        notes.push(format!(
            "some perturbed fixed points did not reach the finite-difference tolerance within {} updates",
            model::FD_MAX_ITERS
        ));
    }
    let fd_norm = r.fd.iter().map(|x| x * x).sum::<f64>().sqrt();
    if fd_norm == 0.0 {
        notes.push(
            "the finite-difference gradient is zero (hard assignments): relative errors are undefined".into(),
        );
    }
    for &j in &imp.solve.empty {
        notes.push(format!("centre {j} is empty: it keeps its place and is left out of IDKM's system"));
    }
    let gi = imp.gradient.as_ref();
    let mut table = Table {
        name: "gradients",
        columns: ["point", "coord", "unrolled", "implicit", "jfb", "fd"].map(String::from).to_vec(),
        rows: Vec::new(),
    };
    for e in 0..pr.w.rows * d {
        table.rows.push(vec![
            (e / d).into(),
            (e % d).into(),
            un.grad[e].into(),
            gi.map_or(Cell::Text(String::new()), |g| Cell::Num(g.grad[e])),
            jf.grad[e].into(),
            r.fd[e].into(),
        ]);
    }
    out.tables.push(table);
    out.merge(json!({
        "tau": pr.tau,
        "eps": pr.eps,
        "loss": r.run.centres.iter().sum::<f64>(),
        "fixed_point": {
            "centres": rows(&r.run.centres, d),
            "iterations": r.run.iterations,
            "converged": r.run.converged,
            "last_change": r.run.last_change,
            "residual": residual,
        },
        "grad_unrolled": rows(&un.grad, d),
        "grad_implicit": gi.map(|g| rows(&g.grad, d)),
        "grad_jfb": rows(&jf.grad, d),
        "grad_fd": rows(&r.fd, d),
        "err_unrolled": err(&un.grad, &r.fd),
        "err_implicit": gi.and_then(|g| err(&g.grad, &r.fd)),
        "err_jfb": err(&jf.grad, &r.fd),
        "fd_step": r.h,
        "fd_scheme": "central",
        "fd_converged": r.fd_converged,
        "implicit": imp.solve,
        "memory": Costs { unrolled: un.bytes, implicit: gi.map(|g| g.bytes), jfb: jf.bytes },
        "work": Works { unrolled: un.work, implicit: gi.map(|g| g.work), jfb: jf.work },
        "gradient_notes": notes,
    }));
}

/// Iteration counts of the scaling view: roughly ×1.5 steps up to `max`, and `max` itself.
fn ladder(max: usize) -> Vec<usize> {
    let mut out = vec![];
    let mut t = 1.0f64;
    while (t.round() as usize) < max {
        let v = t.round() as usize;
        if out.last() != Some(&v) {
            out.push(v);
        }
        t *= 1.5;
    }
    out.push(max);
    out
}

/// The `scaling` part: every method after exactly T updates, for T on a ladder up to `iters`.
fn scaling(pr: &Problem, r: &Reference, progress: &mut dyn Progress, out: &mut Output) {
    let (k, d) = (pr.k, pr.d());
    let g = vec![1.0; k * d];
    let ts = ladder(pr.iters);
    let mut rec: Vec<Json> = Vec::new();
    let mut table = Table {
        name: "scaling",
        columns: [
            "iterations",
            "err_unrolled",
            "err_implicit",
            "err_jfb",
            "bytes_unrolled",
            "bytes_implicit",
            "bytes_jfb",
            "work_unrolled",
            "work_implicit",
            "work_jfb",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for (n, &t) in ts.iter().enumerate() {
        progress.step(n, ts.len());
        let run = model::solve(&pr.w, &pr.c0, k, pr.tau, 0.0, t, true);
        let un = model::unrolled(&pr.w, &run.tape, &g, pr.tau);
        let imp = model::implicit(&pr.w, &run.centres, &g, pr.tau);
        let jf = model::jfb(&pr.w, &run.centres, &g, pr.tau);
        let gi = imp.gradient.as_ref();
        let e = (err(&un.grad, &r.fd), gi.and_then(|g| err(&g.grad, &r.fd)), err(&jf.grad, &r.fd));
        let opt = |x: Option<f64>| x.map_or(Cell::Text(String::new()), Cell::Num);
        table.rows.push(vec![
            run.iterations.into(),
            opt(e.0),
            opt(e.1),
            opt(e.2),
            un.bytes.into(),
            opt(gi.map(|g| g.bytes as f64)),
            jf.bytes.into(),
            Cell::Num(un.work as f64),
            opt(gi.map(|g| g.work as f64)),
            Cell::Num(jf.work as f64),
        ]);
        rec.push(json!({
            "iterations": run.iterations,
            "err_unrolled": e.0,
            "err_implicit": e.1,
            "err_jfb": e.2,
            "bytes_unrolled": un.bytes,
            "bytes_implicit": gi.map(|g| g.bytes),
            "bytes_jfb": jf.bytes,
            "work_unrolled": un.work,
            "work_implicit": gi.map(|g| g.work),
            "work_jfb": jf.work,
            "m_converged": imp.solve.converged,
        }));
        if run.iterations < t {
            break; // an update changed nothing: later T are the same.
        }
    }
    out.tables.push(table);
    out.merge(json!({ "scaling": {
        "rows": rec,
        "fixed_point_iterations": r.run.iterations,
        "fd_step": r.h,
    }}));
}

/// Soft quantisation `Σ_j A_ij c_j` and hard `c_{argmin}` of every pixel, as 8-bit RGB.
fn quantised(w: &Mat<f64>, centres: &Mat<f32>, attention: &Mat<f32>) -> (Vec<u8>, Vec<u8>, f64, f64) {
    let k = centres.rows;
    let byte = |v: f64| (v * 255.0).round().clamp(0.0, 255.0) as u8;
    let c64 = centres.to_f64();
    let labels = model::nearest(w, &c64.data, k);
    let (mut soft, mut hard) = (Vec::with_capacity(w.data.len()), Vec::with_capacity(w.data.len()));
    let (mut se_soft, mut se_hard) = (0.0, 0.0);
    for i in 0..w.rows {
        for t in 0..3 {
            let s: f64 = (0..k).map(|j| f64::from(attention.at(i, j)) * c64.at(j, t)).sum();
            let h = c64.at(labels[i], t);
            se_soft += (s - w.at(i, t)).powi(2);
            se_hard += (h - w.at(i, t)).powi(2);
            soft.push(byte(s));
            hard.push(byte(h));
        }
    }
    let n = (w.rows * 3).max(1) as f64;
    (soft, hard, se_soft / n, se_hard / n)
}

/// The image a link clusters: the visitor's (`data=file`) or the shipped sample.
pub struct ChosenImage {
    pub image: RgbImage,
    /// Where it comes from (the figure's credit line).
    pub credit: String,
}

/// The visitor's image for `data=file` (handed to each worker by the page, read from `--data`
/// by the CLI), else the sample image.
pub fn chosen_image(p: &Params) -> Result<ChosenImage, RunError> {
    image_of(p, crate::data::user_file())
}

fn image_of(p: &Params, file: Option<crate::data::UserFile>) -> Result<ChosenImage, RunError> {
    if p.choice("data") != "file" {
        return Ok(ChosenImage { image: data::sample_image(), credit: data::SAMPLE_CREDIT.into() });
    }
    let file = file.ok_or_else(|| {
        RunError::Invalid(
            "data=file: this link uses an image that stays on the machine that loaded it; load one here with \"Load data…\" (PNG, JPEG, …), or choose another data set".into(),
        )
    })?;
    let (image, note) =
        data::read_png(&file.bytes).map_err(|e| RunError::Invalid(format!("{}: {e}", file.name)))?;
    let mut credit =
        format!("your image {} ({}×{}, read on this machine)", file.name, image.width, image.height);
    if let Some(n) = note {
        credit = format!("{credit}; {n}");
    }
    Ok(ChosenImage { image, credit })
}

/// Temperatures of the image strip, hot to cold.
pub const IMAGE_TAUS: [f64; 6] = [0.3, 0.1, 0.03, 0.01, 0.003, 0.001];

/// The `image` part: colour quantisation of the chosen image at the chosen τ and along
/// [`IMAGE_TAUS`].
async fn image(
    p: &Params,
    chosen: &ChosenImage,
    compute: &Compute,
    progress: &mut dyn Progress,
    out: &mut Output,
) {
    let img = &chosen.image;
    let w = img.points();
    let k = p.usize("ik").min(w.rows);
    let c0 = data::initial_centres(&mut seeded(p.seed(), 3), &w, k);
    let c0f = Mat { rows: k, cols: 3, data: c0.iter().map(|&x| x as f32).collect() };
    let wf = w.to_f32();
    let eps = f32_eps(p.float("eps"), data::spread(&w));
    let iters = p.usize("iters");
    let level = |r: &crate::compute::SoftKMeans, tau: f64, with_hard: bool| {
        let (soft, hard, mse_soft, mse_hard) = quantised(&w, &r.centres, &r.attention);
        let mut j = json!({
            "tau": tau,
            "centres": rows32(&r.centres.data, 3),
            "soft": soft,
            "iterations": r.iterations,
            "converged": r.converged,
            "mse_soft": mse_soft,
            "mse_hard": mse_hard,
        });
        if with_hard {
            j["hard"] = json!(hard);
        }
        j
    };
    let mut levels = Vec::new();
    let total = IMAGE_TAUS.len() + 1;
    for (n, &tau) in IMAGE_TAUS.iter().enumerate() {
        progress.step(n, total);
        let r = compute.soft_kmeans(&wf, &c0f, tau as f32, eps as f32, iters).await;
        levels.push(level(&r, tau, false));
    }
    progress.step(total - 1, total);
    let tau = p.float("itau");
    let r = compute.soft_kmeans(&wf, &c0f, tau as f32, eps as f32, iters).await;
    let current = level(&r, tau, true);
    out.merge(json!({ "image": {
        "width": img.width,
        "height": img.height,
        "credit": chosen.credit,
        "original": img.rgb,
        "k": k,
        "eps": eps,
        "levels": levels,
        "current": current,
    }}));
}

/// The `quantize` part.
fn quantize_part(p: &Params, progress: &mut dyn Progress, out: &mut Output) {
    if !p.flag("quantize") {
        out.merge(json!({ "quantize": null }));
        return;
    }
    let seed = p.seed();
    let (train, test) = quantize::digit_split(seed);
    let net = quantize::pretrain(&train, seed);
    let pretrained = net.accuracy(&test);
    let base = quantize::Config {
        k: p.usize("qk"),
        d: p.usize("qd"),
        tau: p.float("qtau"),
        eps: p.float("eps"),
        iters: p.usize("qiters"),
        epochs: p.usize("qepochs"),
        lr: p.float("qlr"),
        seed,
    };
    let configs: Vec<(usize, usize)> =
        if p.choice("qset") == "tables" { quantize::TABLE_ROWS.to_vec() } else { vec![(base.k, base.d)] };
    let total = configs.len() * 3 * quantize::steps_per_method(train.len(), base.epochs);
    let mut done = 0;
    let mut rows_out = Vec::new();
    let mut table = Table {
        name: "quantize",
        columns: [
            "k",
            "d",
            "bits_per_weight",
            "ptq_accuracy",
            "dkm_accuracy",
            "idkm_accuracy",
            "jfb_accuracy",
            "dkm_work",
            "idkm_work",
            "jfb_work",
            "dkm_bytes",
            "idkm_bytes",
            "jfb_bytes",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for (k, d) in configs {
        let cfg = quantize::Config { k, d, ..base };
        let row = quantize::row(&net, &train, &test, &cfg, || {
            done += 1;
            if done % 8 == 0 {
                progress.step(done, total);
            }
        });
        let mut cells: Vec<Cell> =
            vec![k.into(), d.into(), row.bits_per_weight.into(), row.ptq_accuracy.into()];
        cells.extend(row.methods.iter().map(|m| Cell::Num(m.accuracy)));
        cells.extend(row.methods.iter().map(|m| Cell::Num(m.backward_work as f64)));
        cells.extend(row.methods.iter().map(|m| Cell::Num(m.peak_bytes as f64)));
        table.rows.push(cells);
        rows_out.push(row);
    }
    out.tables.push(table);
    out.merge(json!({ "quantize": {
        "hidden": quantize::HIDDEN,
        "parameters": quantize::PARAMS,
        "train": train.len(),
        "test": test.len(),
        "pretrained_accuracy": pretrained,
        "pretrain_epochs": quantize::PRE_EPOCHS,
        "epochs": base.epochs,
        "tau": base.tau,
        "iters": base.iters,
        "lr": base.lr,
        "batch": quantize::BATCH,
        "rows": rows_out,
    }}));
}

async fn run_parts(
    p: &Params,
    parts: &[&str],
    progress: &mut dyn Progress,
    compute: &Compute,
) -> Result<Output, RunError> {
    let mut out = Output::default();
    out.merge(json!({ "backend": if compute.uses_gpu() { "gpu" } else { "cpu" } }));
    let has = |x: &str| parts.contains(&x);
    if has("cluster") || has("gradients") || has("scaling") {
        match Problem::from_params(p)? {
            None => out.merge(json!({
                "source": p.choice("data"),
                "m": 0,
                "d": p.usize("d"),
                "points": [],
                "waiting": "Click in the plot to add points (two or more).",
            })),
            Some(pr) => {
                if has("cluster") {
                    cluster(&pr, compute, &mut out).await;
                }
                if has("gradients") || has("scaling") {
                    let r = reference(&pr, progress);
                    if has("gradients") {
                        gradients(&pr, &r, &mut out);
                    }
                    if has("scaling") {
                        scaling(&pr, &r, progress, &mut out);
                    }
                }
            }
        }
    }
    if has("image") {
        image(p, &chosen_image(p)?, compute, progress, &mut out).await;
    }
    if has("quantize") {
        quantize_part(p, progress, &mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::run_query_cpu;
    use crate::labs::NoProgress;

    #[test]
    fn a_visitors_image_is_clustered_and_quantised_and_stays_local() {
        // A 2×1 PNG: one red pixel, one blue.
        let mut png = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut png, 2, 1);
            enc.set_color(png::ColorType::Rgb);
            let mut wr = enc.write_header().expect("header");
            wr.write_image_data(&[255, 0, 0, 0, 0, 255]).expect("data");
        }
        let state = crate::api::from_query("lab=softkmeans").state().expect("softkmeans");
        let imported = import_file(&state.params, "two.png", &png).expect("a PNG imports");
        assert!(imported.keep_file, "the image stays on the machine: the link cannot carry it");
        assert!(imported.set.contains(&("data".into(), "file".into())));
        let p = crate::api::from_query("lab=softkmeans&data=file&m=2&k=2").state().expect("valid").params;
        assert_eq!(p.int("d"), 3);
        // Without the file, a clear message (a shared link whose image stayed behind).
        let err = image_of(&p, None).err().expect("no file, no image");
        assert!(format!("{err}").contains("Load data"), "{err}");
        let file = crate::data::UserFile { name: "two.png".into(), bytes: std::sync::Arc::new(png) };
        let chosen = image_of(&p, Some(file)).expect("decodes");
        assert_eq!((chosen.image.width, chosen.image.height), (2, 1));
        assert_eq!(chosen.image.rgb, vec![255, 0, 0, 0, 0, 255]);
        assert!(chosen.credit.contains("two.png"));
        // Sample image otherwise.
        let sample = image_of(&crate::api::from_query("lab=softkmeans").state().expect("ok").params, None);
        assert_eq!(sample.expect("sample").image.width, 96);
        // Neither an image nor a CSV.
        assert!(
            import_file(&state.params, "x.bin", &[0xff, 0xd8, 0xff, 0x00])
                .is_err_and(|e| e.contains("neither"))
        );
    }

    fn json_of(q: &str, parts: &[&str]) -> serde_json::Map<String, Json> {
        run_query_cpu(&format!("lab=softkmeans&{q}"), parts, &mut NoProgress).expect("runs").output.json
    }

    #[test]
    fn default_run_reports_all_fields_and_gradients_agree() {
        let j = json_of("", &["cluster", "gradients"]);
        for key in [
            "points",
            "initial_centres",
            "centres",
            "iterations",
            "tau",
            "eps",
            "grad_unrolled",
            "grad_implicit",
            "grad_jfb",
            "grad_fd",
            "err_unrolled",
            "err_implicit",
            "err_jfb",
            "loss",
            "fd_step",
        ] {
            assert!(j.contains_key(key), "missing {key}");
        }
        assert_eq!(j["points"].as_array().map(Vec::len), Some(40));
        assert_eq!(j["grad_fd"].as_array().map(Vec::len), Some(40));
        let e = |k: &str| j[k].as_f64().expect(k);
        assert!(e("err_implicit") < 1e-5, "{}", e("err_implicit"));
        assert!(e("err_unrolled") < 1e-5, "{}", e("err_unrolled"));
        assert!(e("err_jfb") > e("err_implicit"));
        assert!(j["converged"].as_bool().expect("bool"));
    }

    #[test]
    fn same_query_gives_byte_identical_json() {
        let q = "lab=softkmeans&m=30&k=3&parts=all";
        let a = run_query_cpu(q, &[], &mut NoProgress).expect("a").to_json();
        let b = run_query_cpu(q, &[], &mut NoProgress).expect("b").to_json();
        assert_eq!(a, b);
    }

    #[test]
    fn drawn_points_with_none_drawn_wait_for_clicks() {
        let j = json_of("data=drawn", &["cluster", "gradients", "scaling"]);
        assert!(j["waiting"].as_str().is_some());
        assert_eq!(j["points"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn drawn_points_are_clustered() {
        let j = json_of("data=drawn&pts=0,0,0.2,0.1,3,3,3.1,2.9&k=2&tau=0.2", &["cluster", "gradients"]);
        assert_eq!(j["m"], json!(4));
        assert!(j["err_implicit"].as_f64().expect("number") < 1e-5);
    }

    #[test]
    fn nan_points_get_a_clear_message() {
        let w = Mat { rows: 3, cols: 2, data: vec![0.0, 1.0, f64::NAN, 2.0, 3.0, 4.0] };
        let e = Problem::new(w, 2, 0.5, 1e-9, 50, 1, "csv").err().expect("refused");
        assert!(e.to_string().contains("point 1"), "{e}");
        let w = Mat { rows: 2, cols: 1, data: vec![0.0, 1.0] };
        assert!(Problem::new(w.clone(), 3, 0.5, 1e-9, 50, 1, "csv").is_err());
        assert!(
            Problem::new(w, 1, 0.0, 1e-9, 50, 1, "csv").err().expect("τ").to_string().contains("positive")
        );
    }

    #[test]
    fn tiny_temperature_agrees_with_hard_k_means() {
        let j = json_of("preset=hard", &["cluster"]);
        assert_eq!(j["hard_agreement"].as_f64(), Some(1.0));
        let c = &j["centres"];
        let h = &j["hard_centres"];
        for (a, b) in c.as_array().expect("rows").iter().zip(h.as_array().expect("rows")) {
            for (x, y) in a.as_array().expect("row").iter().zip(b.as_array().expect("row")) {
                assert!((x.as_f64().expect("x") - y.as_f64().expect("y")).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn scaling_memory_grows_for_unrolled_only() {
        let j = json_of("m=30&k=3&iters=40", &["scaling"]);
        let rows = j["scaling"]["rows"].as_array().expect("rows");
        let first = &rows[0];
        let last = rows.last().expect("rows");
        let b = |r: &Json, k: &str| r[k].as_f64().expect(k);
        assert!(b(last, "bytes_unrolled") > 10.0 * b(first, "bytes_unrolled"));
        assert_eq!(b(last, "bytes_implicit"), b(first, "bytes_implicit"));
        // Converged: IDKM beats JFB, and DKM approaches IDKM.
        assert!(b(last, "err_implicit") < 1e-5 && b(last, "err_unrolled") < 1e-4);
    }

    #[test]
    fn image_part_quantises_the_sample() {
        let j = json_of("ik=4&itau=0.001&iters=50", &["image"]);
        let im = &j["image"];
        assert_eq!(im["width"], json!(96));
        assert_eq!(im["levels"].as_array().map(Vec::len), Some(IMAGE_TAUS.len()));
        let hard = im["current"]["hard"].as_array().expect("hard");
        assert_eq!(hard.len(), 96 * 64 * 3);
        let mut colours: Vec<&[Json]> = hard.chunks(3).collect();
        colours.sort_by_key(|c| format!("{c:?}"));
        colours.dedup();
        assert!(colours.len() <= 4);
        // At τ = 0.001 soft and hard quantisation nearly agree.
        let (ms, mh) =
            (im["current"]["mse_soft"].as_f64().expect("s"), im["current"]["mse_hard"].as_f64().expect("h"));
        assert!((ms - mh).abs() < 1e-3, "{ms} vs {mh}");
    }

    #[test]
    fn quantize_is_off_by_default() {
        let j = json_of("", &["quantize"]);
        assert_eq!(j["quantize"], Json::Null);
    }

    #[test]
    fn ladder_reaches_the_cap() {
        assert_eq!(ladder(1), vec![1]);
        assert_eq!(ladder(10), vec![1, 2, 3, 5, 8, 10]);
        assert_eq!(*ladder(200).last().expect("nonempty"), 200);
    }
}
