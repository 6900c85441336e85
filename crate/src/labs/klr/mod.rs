//! Lab 1 — Kernel (KLR) Hopfield networks and spectral concentration
//! (SPEC Lab 1; source `seeds/kernel-hopfield-spectral-concentration.txt`).
//!
//! The math lives in the topic modules: [`kernel`] (patterns, RBF kernel), [`train`]
//! (gradient descent and kernel ridge, curvature), [`recall`] (batched synchronous
//! recall), [`geometry`] (forces, Pinnacle Sharpness), [`spectra`] (singular values,
//! stable rank, λ_max), [`network`] (one network end to end) and [`sweep`] (phase
//! diagram, cross-section, capacity, pinned cells). This file holds the parameter table,
//! the consistency rules and the parts of the result.
//!
//! Figures, presets and the About text: [`figures`] (built from the parts' JSON fields,
//! so the page and the CLI draw the same), the paper's Figures 1–5 as [`PRESETS`].
//!
//! GPU path: gradient-descent training ([`train::train_gd`], recorded by [`gpu`]) and the
//! batched recall ([`recall::recall_batch`]) run on the GPU when the `Compute` has one;
//! their doc comments give the exact loops.

mod figures;
pub mod geometry;
pub mod gpu;
pub mod kernel;
pub mod network;
pub mod params;
pub mod recall;
pub mod spectra;
pub mod sweep;
pub mod train;

pub use self::params::{MAX_P, MAX_PN, pattern_limit};

use self::network::{Learner, NO_STATS, inspect, summarize, train_network};
use self::params::{
    PARAMS, capacity_base, capacity_config, check, cost, limits, section_grid, setup, sweep_base, sweep_grid,
};
use self::train::{OnDiverge, Precision};
use super::{Cell, LabDef, LabFuture, Output, Part, Preset, Progress, RunError, Runner, Shards, Table};
use crate::compute::Compute;
use crate::params::Params;
use serde::Serialize;
use serde_json::Value as Json;

/// The registry entry.
pub const LAB: LabDef = LabDef {
    id: "klr",
    title: "Kernel Hopfield networks and spectral concentration",
    summary: "Kernel logistic regression Hopfield networks: phase diagrams of Pinnacle Sharpness, force antagonism and the stable rank of the dual weights.",
    source: "Tamamori, Self-organization and spectral mechanism of attractor landscapes in high-capacity kernel Hopfield networks (seeds/kernel-hopfield-spectral-concentration)",
    params: PARAMS,
    runner: Some(Runner {
        parts: &[
            Part {
                name: "network",
                keys: &[
                    "n",
                    "p",
                    "gamma",
                    "learner",
                    "lambda",
                    "lr",
                    "epochs",
                    "tol",
                    "diverge",
                    "precision",
                    "target",
                    "flip",
                    "steps",
                    "tests",
                ],
            },
            Part {
                name: "capacity",
                keys: &[
                    "n",
                    "gamma",
                    "learner",
                    "lambda",
                    "lr",
                    "epochs",
                    "tol",
                    "diverge",
                    "precision",
                    "flip",
                    "steps",
                    "tests",
                    "cap_max",
                    "cap_points",
                    "cap_trials",
                    "shard",
                    "shards",
                ],
            },
            Part {
                name: "sweep",
                keys: &[
                    "sweep",
                    "n",
                    "sw_gmin",
                    "sw_gmax",
                    "sw_gn",
                    "sw_lmin",
                    "sw_lmax",
                    "sw_ln",
                    "learner",
                    "lambda",
                    "lr",
                    "epochs",
                    "tol",
                    "diverge",
                    "precision",
                    "flip",
                    "steps",
                    "tests",
                    "shard",
                    "shards",
                ],
            },
            Part {
                name: "section",
                keys: &[
                    "section",
                    "sec_gamma",
                    "n",
                    "sw_lmin",
                    "sw_lmax",
                    "sw_ln",
                    "learner",
                    "lambda",
                    "lr",
                    "epochs",
                    "tol",
                    "diverge",
                    "precision",
                    "flip",
                    "steps",
                    "tests",
                    "shard",
                    "shards",
                ],
            },
            Part {
                name: "pins",
                keys: &[
                    "pins",
                    "n",
                    "sw_gmin",
                    "sw_gmax",
                    "sw_gn",
                    "sw_lmin",
                    "sw_lmax",
                    "sw_ln",
                    "learner",
                    "lambda",
                    "lr",
                    "epochs",
                    "tol",
                    "diverge",
                    "precision",
                    "flip",
                    "steps",
                    "tests",
                ],
            },
        ],
        check,
        limits,
        cost,
        run,
        gpu: true,
        presets: PRESETS,
        figures: figures::FIGURES,
        shards: Some(Shards { parts: &["capacity", "sweep", "section"], merge }),
        import: None,
    }),
    about: include_str!("about.html"),
    sources: &[&super::cite::TAMAMORI, &super::cite::TAMAMORI_2025],
};

/// The author's protocol (N = 100, seed 42, η = 0.1, λ = 0.01, 300 epochs, probes with 20%
/// of their bits flipped, 30 steps, a 30 × 30 grid over γ ∈ [10⁻⁴, 10] × P/N ∈ [0.1, 6]),
/// with `diverge=continue` so that the paper's pictures appear, marked where training diverged.
macro_rules! author {
    ($rest:literal) => {
        concat!(
            "n=100&seed=42&learner=gd&lambda=0.01&lr=0.1&epochs=300&tol=0.000001&diverge=continue",
            "&flip=0.2&steps=30&tests=10&target=0&sw_gmin=0.0001&sw_gmax=10&sw_gn=30&sw_lmin=0.1&sw_lmax=6&sw_ln=30",
            $rest
        )
    };
}

/// The paper's figures. Figure 5's three cells on the 30 × 30 grid (index = row·30 +
/// column): global and low load (γ ≈ 1.1·10⁻³, P/N = 0.1), at high load next to the
/// curvature limit where the paper places its ridge (γ ≈ 0.026, P/N ≈ 4.98), and local
/// (γ ≈ 0.92, P/N ≈ 3.15).
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "fig1",
        label: "Figure 1: log₁₀ M",
        query: author!("&sweep=1&show=log10_m&stat=pattern"),
        reproduces: "Figure 1 of Tamamori (Pinnacle Sharpness over γ × P/N)",
        note: "The author's 30 × 30 phase diagram of log₁₀ M; it trains 900 networks (minutes in a browser).",
    },
    Preset {
        name: "fig2",
        label: "Figure 2: ρ",
        query: author!("&sweep=1&show=rho&stat=pattern"),
        reproduces: "Figure 2 of Tamamori (force interference ρ = cos(F_d, F_i))",
        note: "The same sweep coloured by ρ: antagonistic forces (ρ → −1) at small γ.",
    },
    Preset {
        name: "fig3",
        label: "Figure 3: forces at γ = 0.001",
        query: author!("&section=1&sec_gamma=0.001"),
        reproduces: "Figure 3 of Tamamori (‖F_d‖², ‖F_i‖² and M against P/N at γ = 0.001)",
        note: "The cross-section at γ = 0.001: 30 networks, most of them in the unstable-training region.",
    },
    Preset {
        name: "fig4",
        label: "Figure 4: stable rank",
        query: author!("&sweep=1&show=stable_rank&stat=pattern"),
        reproduces: "Figure 4 of Tamamori (stable rank of α over γ × P/N)",
        note: "The sweep coloured by the stable rank of the dual weights α.",
    },
    Preset {
        name: "fig5",
        label: "Figure 5: spectra at three cells",
        query: author!("&sweep=1&show=log10_m&stat=pattern&pins=180,444,705"),
        reproduces: "Figure 5 of Tamamori (normalised singular values of α at three regimes)",
        note: "The sweep with three cells pinned: global and low load, the ridge, and local.",
    },
];

/// The output of a future that needs no waiting: the CPU path of an async entry point
/// (`Compute::cpu`) finishes on its first poll, so native threads (sweep cells, capacity
/// trials) run it here. `None` when it would wait (a GPU path, never given to it).
pub(crate) fn ready<F: std::future::Future>(f: F) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

/// Merge the results of the shards of `part` (each the JSON a shard's run printed): the
/// cells (or capacity points) of every shard by index, and for a sweep or cross-section
/// the Proposition 1 fit over all of them — the same JSON as one unsharded run.
fn merge(part: &str, shards: Vec<Json>) -> Result<Json, RunError> {
    let list = match part {
        "capacity" => "points",
        "sweep" | "section" => "cells",
        _ => return Err(RunError::Invalid(format!("the part {part:?} has no shards"))),
    };
    let mut all = shards.into_iter();
    let Some(mut first) = all.next() else {
        return Err(RunError::Invalid(format!("no shards of {part} to merge")));
    };
    let Some(Json::Object(head)) = first.get_mut(part) else {
        // Not computed (sweep=0, section=0): every shard says null.
        return Ok(first);
    };
    let mut items = match head.get_mut(list).map(Json::take) {
        Some(Json::Array(v)) => v,
        _ => return Err(RunError::Invalid(format!("a shard of {part} has no {list}"))),
    };
    for other in all {
        match other.get(part).and_then(|o| o.get(list)) {
            Some(Json::Array(v)) => items.extend(v.iter().cloned()),
            _ => return Err(RunError::Invalid(format!("a shard of {part} has no {list}"))),
        }
    }
    items.sort_by_key(|c| c.get("index").and_then(Json::as_u64).unwrap_or(u64::MAX));
    if list == "cells" {
        let fit = sweep::fit_records(&items);
        head.insert("fit".into(), serde_json::to_value(fit).unwrap_or(Json::Null));
    }
    head.insert(list.into(), Json::Array(items));
    head.insert("shard".into(), Json::from(0));
    head.insert("shards".into(), Json::from(1));
    Ok(first)
}

/// Worker threads for the cells natively (`HOPFIELD_THREADS` overrides); one in the browser.
fn threads() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::env::var("HOPFIELD_THREADS")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|&t| t > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
    #[cfg(target_arch = "wasm32")]
    {
        1
    }
}

fn run<'a>(
    p: &'a Params,
    parts: &'a [&'a str],
    progress: &'a mut dyn Progress,
    compute: &'a Compute,
) -> LabFuture<'a> {
    // Training and recall tests of the network, the sweep, the cross-section and the pins
    // run on the GPU when `compute` has one (train::train_gd, recall::recall_batch);
    // everything else, and all of it without a GPU, is the CPU's f64 code.
    Box::pin(run_parts(p, parts, progress, compute))
}

/// Rows of a JSON array of flat objects as a CSV table (columns: the first record's keys;
/// null → empty, booleans and strings as text).
fn records_table(name: &'static str, records: &[Json]) -> Table {
    let columns: Vec<String> = match records.first() {
        Some(Json::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let rows = records
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| match r.get(c) {
                    Some(Json::Number(x)) => Cell::Num(x.as_f64().unwrap_or(f64::NAN)),
                    Some(Json::String(s)) => Cell::Text(s.clone()),
                    Some(Json::Bool(b)) => Cell::Text(b.to_string()),
                    _ => Cell::Text(String::new()),
                })
                .collect()
        })
        .collect();
    Table { name, columns, rows }
}

fn to_records<T: Serialize>(items: &[T]) -> Vec<Json> {
    items.iter().map(|x| serde_json::to_value(x).unwrap_or(Json::Null)).collect()
}

#[derive(Serialize)]
struct TrainingOut<'a> {
    #[serde(flatten)]
    status: &'a train::Status,
    message: String,
    epochs_run: usize,
    loss: &'a [f64],
    loss_rises: usize,
    lambda: f64,
    lr: f64,
    epochs: usize,
    tol: f64,
    diverge: OnDiverge,
    /// The arithmetic of the epoch's products (`f32` or `f64`).
    precision: Precision,
    kernel_lambda_max: f64,
    /// The curvature at α = 0: `λ_max(K)²/4 + λ·λ_max(K)` (its maximum anywhere).
    curvature_start: f64,
    /// The curvature at the trained α (block power iteration, a lower estimate); null without numbers.
    curvature_end: f64,
    /// `2/η`.
    curvature_limit: f64,
}

#[derive(Serialize)]
struct NetworkOut<'a> {
    n: usize,
    p: usize,
    load: f64,
    gamma: f64,
    learner: Learner,
    /// Pixels per row when a pattern is drawn as an image.
    width: usize,
    /// `P` rows of `N` values ±1.
    patterns: Vec<Vec<i8>>,
    /// `α`, `P` rows of `N`.
    alpha: Vec<&'a [f64]>,
    training: TrainingOut<'a>,
    /// False when the training diverged and stopped: the numbers below are null.
    numbers: bool,
    sharpness: Option<&'a [f64]>,
    force_direct_sq: Option<&'a [f64]>,
    force_indirect_sq: Option<&'a [f64]>,
    rho: Option<&'a [f64]>,
    force_ratio: Option<&'a [f64]>,
    target: usize,
    at_target: geometry::ForceStats,
    pattern_mean: geometry::ForceStats,
    pattern_median: geometry::ForceStats,
    stable_rank: f64,
    alpha_singular_values: Option<&'a [f64]>,
    effective_eigenvalues: Option<&'a [f64]>,
    lambda_max: f64,
    kernel_eigenvalues: Option<Vec<f64>>,
    probe: Vec<i8>,
    flipped: Vec<usize>,
    recall: Option<recall::Trajectory>,
    recall_test: Option<&'a recall::RecallTest>,
    /// The same flat record as a sweep cell.
    summary: &'a network::Summary,
}

async fn run_network(
    p: &Params,
    progress: &mut dyn Progress,
    out: &mut Output,
    compute: &Compute,
) -> Result<(), RunError> {
    // The sizes were checked against `params::limits` (labs::run refuses a part past one).
    let s = setup(p);
    let xi = kernel::random_patterns(s.seed, 0, s.n, s.p);
    let k = kernel::kernel_from_gram(&kernel::pattern_gram(&xi), s.n, s.gamma);
    let extra = 3;
    let total = s.gd.epochs + extra;
    // The loss streams to the page in about 50 chunks while it trains: {"loss_chunk": {from, loss}}.
    let stride = (s.gd.epochs / 50).max(1);
    let mut chunk: Vec<f64> = Vec::new();
    let mut from = 0usize;
    let net = train_network(compute, &s, xi, k, &mut |t, l| {
        chunk.push(l);
        if chunk.len() >= stride {
            progress.partial(&serde_json::json!({ "loss_chunk": { "from": from, "loss": chunk } }));
            from = t + 1;
            chunk.clear();
        }
        progress.step(t, total);
    })
    .await?;
    progress.step(s.gd.epochs + 1, total);
    let insp = inspect(compute, &net, &s).await;
    let summary = summarize(&net, &s, &insp);
    let numbers = net.has_numbers(&s);
    let t = &net.trained;
    let spectra = if numbers { spectra::full(&t.alpha, &t.h, &net.k) } else { None };
    let kernel_eigenvalues = match &spectra {
        Some(sp) => sp.kernel_eigenvalues.clone(),
        None if net.k.rows <= spectra::KERNEL_EIGENVALUES_MAX_P => {
            crate::compute::cpu::sym_eigenvalues(&net.k)
        }
        None => None,
    };
    let curvature_end = if numbers { train::curvature_at(&net.k, &t.h, s.gd.lambda, 50) } else { f64::NAN };
    progress.step(s.gd.epochs + 2, total);
    let target = net.target(&s);
    let (probe, flipped) = recall::probe_for(&net.xi, s.seed, 0, target, s.flip);
    let trajectory = if numbers {
        Some(recall::trajectory(&net.xi, &t.alpha, s.gamma, &probe, target, s.steps))
    } else {
        None
    };
    let g = insp.geometry.as_ref();
    let n_out = NetworkOut {
        n: s.n,
        p: s.p,
        load: s.p as f64 / s.n as f64,
        gamma: s.gamma,
        learner: s.learner,
        width: (s.n as f64).sqrt().ceil() as usize,
        patterns: (0..s.p)
            .map(|mu| net.xi.row(mu).iter().map(|&v| if v > 0.0 { 1 } else { -1 }).collect())
            .collect(),
        alpha: t.alpha.data.chunks(s.n).collect(),
        training: TrainingOut {
            status: &t.status,
            message: t.status.message(s.gd.on_diverge, t.epochs_run),
            epochs_run: t.epochs_run,
            loss: &t.loss,
            loss_rises: t.loss_rises,
            lambda: s.gd.lambda,
            lr: s.gd.lr,
            epochs: s.gd.epochs,
            tol: s.gd.tol,
            diverge: s.gd.on_diverge,
            precision: s.gd.precision,
            kernel_lambda_max: net.kernel_lambda_max,
            curvature_start: net.curvature_start,
            curvature_end,
            curvature_limit: 2.0 / s.gd.lr,
        },
        numbers,
        sharpness: g.map(|g| g.sharpness.as_slice()),
        force_direct_sq: g.map(|g| g.force_direct_sq.as_slice()),
        force_indirect_sq: g.map(|g| g.force_indirect_sq.as_slice()),
        rho: g.map(|g| g.rho.as_slice()),
        force_ratio: g.map(|g| g.force_ratio.as_slice()),
        target,
        at_target: g.map_or(NO_STATS, |g| g.at(target)),
        pattern_mean: g.map_or(NO_STATS, |g| g.mean()),
        pattern_median: g.map_or(NO_STATS, |g| g.median()),
        stable_rank: spectra.as_ref().map_or(f64::NAN, |x| x.stable_rank),
        alpha_singular_values: spectra.as_ref().map(|x| x.alpha_singular_values.as_slice()),
        effective_eigenvalues: spectra.as_ref().map(|x| x.effective_eigenvalues.as_slice()),
        lambda_max: spectra.as_ref().map_or(f64::NAN, |x| x.lambda_max),
        kernel_eigenvalues,
        probe: probe.iter().map(|&v| if v > 0.0 { 1 } else { -1 }).collect(),
        flipped,
        recall: trajectory,
        recall_test: insp.recall.as_ref(),
        summary: &summary,
    };
    out.merge(&n_out);

    let mut loss = Table { name: "loss", columns: vec!["epoch".into(), "loss".into()], rows: Vec::new() };
    for (e, l) in t.loss.iter().enumerate() {
        loss.rows.push(vec![e.into(), (*l).into()]);
    }
    let mut pats = Table {
        name: "patterns",
        columns: ["mu", "sharpness", "force_direct_sq", "force_indirect_sq", "rho", "force_ratio"]
            .map(String::from)
            .to_vec(),
        rows: Vec::new(),
    };
    if let Some(g) = g {
        for mu in 0..s.p {
            let a = g.at(mu);
            pats.rows.push(vec![
                mu.into(),
                a.sharpness.into(),
                a.force_direct_sq.into(),
                a.force_indirect_sq.into(),
                a.rho.into(),
                a.force_ratio.into(),
            ]);
        }
    }
    let mut spec = Table {
        name: "spectrum",
        columns: ["k", "alpha_singular_value", "normalized", "effective_eigenvalue"]
            .map(String::from)
            .to_vec(),
        rows: Vec::new(),
    };
    if let Some(sp) = &spectra {
        let s1 = sp.alpha_singular_values.first().copied().unwrap_or(1.0);
        for (i, sv) in sp.alpha_singular_values.iter().enumerate() {
            let eff = sp.effective_eigenvalues.get(i).copied().unwrap_or(f64::NAN);
            spec.rows.push(vec![(i + 1).into(), (*sv).into(), (sv / s1).into(), eff.into()]);
        }
    }
    let mut traj = Table {
        name: "trajectory",
        columns: ["step", "overlap", "changed"].map(String::from).to_vec(),
        rows: Vec::new(),
    };
    if let Some(tr) = &n_out.recall {
        for f in &tr.frames {
            traj.rows.push(vec![f.step.into(), f.overlap.into(), f.changed.into()]);
        }
    }
    out.tables.extend([loss, pats, spec, traj]);
    progress.step(total, total);
    Ok(())
}

/// The stored pattern where sweeps, cross-sections, pins and the capacity curve take their
/// "at pattern" numbers: pattern 0, a random stored pattern (the paper: "a randomly chosen
/// stored pattern"). Fixed, so that choosing another pattern in the network view does not
/// recompute a sweep.
pub const SWEEP_TARGET: usize = 0;

async fn run_parts(
    p: &Params,
    parts: &[&str],
    progress: &mut dyn Progress,
    compute: &Compute,
) -> Result<Output, RunError> {
    let mut out = Output::default();
    out.merge(serde_json::json!({ "backend": if compute.uses_gpu() { "gpu" } else { "cpu" } }));
    let base = sweep_base(p);
    let (shard, shards) = (p.usize("shard"), p.usize("shards"));
    let mut first: Vec<Table> = Vec::new();
    if parts.contains(&"network") {
        run_network(p, progress, &mut out, compute).await?;
    }
    if parts.contains(&"capacity") {
        let c = sweep::capacity(&capacity_base(p), &capacity_config(p), shard, shards, threads(), progress)?;
        out.tables.push(records_table("capacity", &to_records(&c.points)));
        out.merge(serde_json::json!({ "capacity": c }));
    }
    if parts.contains(&"sweep") {
        if p.flag("sweep") {
            let grid = sweep_grid(p);
            let s =
                sweep::sweep(compute, &base, &grid, shard, shards, threads(), "sweep_cell", progress).await?;
            first.push(records_table("sweep", &to_records(&s.cells)));
            out.merge(serde_json::json!({ "sweep": s }));
        } else {
            first.push(records_table("sweep", &[]));
            out.merge(serde_json::json!({ "sweep": null }));
        }
    }
    if parts.contains(&"section") {
        if p.flag("section") {
            let grid = section_grid(p);
            let s = sweep::sweep(compute, &base, &grid, shard, shards, threads(), "section_cell", progress)
                .await?;
            first.push(records_table("section", &to_records(&s.cells)));
            out.merge(serde_json::json!({ "section": s }));
        } else {
            first.push(records_table("section", &[]));
            out.merge(serde_json::json!({ "section": null }));
        }
    }
    if parts.contains(&"pins") {
        let pins = sweep::pins(compute, &base, &sweep_grid(p), &params::pins(p), progress).await?;
        out.tables.push(records_table(
            "pins",
            &pins
                .iter()
                .map(|x| {
                    let mut v = serde_json::to_value(x).unwrap_or(Json::Null);
                    if let Json::Object(m) = &mut v {
                        m.remove("alpha_singular_values");
                    }
                    v
                })
                .collect::<Vec<_>>(),
        ));
        out.merge(serde_json::json!({ "pins": pins }));
    }
    // A sweep (or cross-section) query's CSV is its cells: those tables come first when
    // computed, and last (header only) when not.
    let (computed, empty): (Vec<Table>, Vec<Table>) = first.into_iter().partition(|t| !t.rows.is_empty());
    let rest = std::mem::take(&mut out.tables);
    out.tables = computed.into_iter().chain(rest).chain(empty).collect();
    Ok(out)
}

#[cfg(test)]
mod tests;
