//! Sweeps over many networks: the phase diagram over γ (log) × P/N, its cross-section
//! at one γ, the capacity curve, and pinned cells (SPEC Lab 1, "Figures to reproduce").
//!
//! Every cell is an independent network (its patterns are the first P of the seed's
//! pattern stream, its probes depend only on the pattern index), so cells can run in
//! any order, on several threads natively or split into shards across Web Workers in
//! the browser, and the results are identical. One pattern Gram (of the largest P)
//! serves every cell: a cell's kernel is `exp(−γ(2N − 2G))` on its leading block.

use super::kernel::{kernel_from_gram, leading_block, pattern_gram, prefix, random_patterns};
use super::network::{Inspection, Network, Setup, Summary, inspect, summarize, train_network};
use super::recall;
use super::spectra::{self, LogLogFit};
use super::train::Precision;
use crate::compute::{Compute, Mat};
use crate::labs::classic::model::{Hebbian, Mode};
use crate::labs::{Progress, RunError};
use crate::rng::seeded;
use serde::Serialize;
use serde_json::Value as Json;

/// The γ × P/N grid of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    pub n: usize,
    /// Log-spaced from `gamma_min` to `gamma_max`.
    pub gammas: Vec<f64>,
    /// Evenly spaced loads P/N.
    pub loads: Vec<f64>,
    /// `P = max(1, round(load·N))` for every load.
    pub patterns: Vec<usize>,
}

/// `count` values from `lo` to `hi` (inclusive), evenly spaced in `log10` when `log`.
pub fn spaced(lo: f64, hi: f64, count: usize, log: bool) -> Vec<f64> {
    if count <= 1 {
        return vec![lo];
    }
    let (a, b) = if log { (lo.log10(), hi.log10()) } else { (lo, hi) };
    (0..count)
        .map(|k| {
            let t = if k + 1 == count { b } else { a + (b - a) * k as f64 / (count - 1) as f64 };
            if log { 10f64.powf(t) } else { t }
        })
        .collect()
}

/// The P of load `load` at N = `n`: `max(1, round(load·N))` (sweeps, capacity curve, limits).
pub fn patterns_at(load: f64, n: usize) -> usize {
    ((load * n as f64).round() as usize).max(1)
}

impl Grid {
    pub fn new(n: usize, gammas: Vec<f64>, loads: Vec<f64>) -> Self {
        let patterns = loads.iter().map(|&l| patterns_at(l, n)).collect();
        Self { n, gammas, loads, patterns }
    }

    pub fn cells(&self) -> usize {
        self.gammas.len() * self.loads.len()
    }

    /// `(i_gamma, i_load)` of cell `index` (row-major: loads vary fastest).
    pub fn coords(&self, index: usize) -> (usize, usize) {
        (index / self.loads.len().max(1), index % self.loads.len().max(1))
    }

    pub fn max_p(&self) -> usize {
        self.patterns.iter().copied().max().unwrap_or(1)
    }
}

/// The cells of shard `shard` of `shards`: cells sorted by cost (P², largest first, ties by
/// index) are dealt out in snake order (0,1,…,n−1,n−1,…,0,0,1,…) so the shards get
/// nearly equal work. Each shard processes its cells in that order.
pub fn shard_cells(costs: &[f64], shard: usize, shards: usize) -> Vec<usize> {
    let shards = shards.max(1);
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .enumerate()
        .filter(|(k, _)| {
            let (round, pos) = (k / shards, k % shards);
            let owner = if round % 2 == 0 { pos } else { shards - 1 - pos };
            owner == shard
        })
        .map(|(_, c)| c)
        .collect()
}

/// Refinement level of cell `index`: 0 on a coarse sub-grid of about 6 × 6 cells spread
/// over the whole grid, 1 on the sub-grid of half that spacing, 2 elsewhere.
pub fn preview_level(grid: &Grid, index: usize) -> u8 {
    let (ig, il) = grid.coords(index);
    let side = grid.gammas.len().max(grid.loads.len());
    let coarse = ((side as f64 / 6.0).round() as usize).max(1);
    let half = (coarse / 2).max(1);
    if ig % coarse == 0 && il % coarse == 0 {
        0
    } else if ig % half == 0 && il % half == 0 {
        1
    } else {
        2
    }
}

/// `cells` (a shard's) in the order that shows the whole figure first and then refines it:
/// the coarse sub-grid, then the finer one, each cheapest first, then the rest most expensive
/// first (so that threads finish together). Which shard owns a cell does not change.
pub fn preview_order(mut cells: Vec<usize>, costs: &[f64], grid: &Grid) -> Vec<usize> {
    cells.sort_by(|&a, &b| {
        let (la, lb) = (preview_level(grid, a), preview_level(grid, b));
        let by_cost = if la < 2 { costs[a].total_cmp(&costs[b]) } else { costs[b].total_cmp(&costs[a]) };
        la.cmp(&lb).then(by_cost).then(a.cmp(&b))
    });
    cells
}

/// Progress of a run of cells in cost units, and each finished cell as a partial result
/// `{key: json}`.
struct Reports {
    total: f64,
    done: f64,
    scale: f64,
}

impl Reports {
    fn start(total: f64, progress: &mut dyn Progress) -> Self {
        let r = Self { total, done: 0.0, scale: 1e6 / total.max(1e-300) };
        progress.step(0, r.units(total));
        r
    }

    fn units(&self, x: f64) -> usize {
        (x * self.scale).round() as usize
    }

    fn finished(&mut self, cost: f64, key: &str, json: Json, progress: &mut dyn Progress) {
        self.done += cost;
        progress.partial(&serde_json::json!({ key: json }));
        progress.step(self.units(self.done), self.units(self.total));
    }
}

/// Evaluate `eval(cell)` for every cell of `order`, on `threads` threads natively (one
/// in the browser), reporting progress in cost units and each finished cell through
/// `Progress::partial` (wrapped as `{key: json}`). Returns the results in `order`'s order.
pub fn run_cells<T: Send>(
    order: &[usize],
    cost: &(dyn Fn(usize) -> f64 + Sync),
    eval: &(dyn Fn(usize) -> Result<T, RunError> + Sync),
    to_json: &dyn Fn(usize, &T) -> Json,
    key: &str,
    threads: usize,
    progress: &mut dyn Progress,
) -> Result<Vec<T>, RunError> {
    let mut reports = Reports::start(order.iter().map(|&c| cost(c)).sum(), progress);
    let mut report = |c: usize, r: &T, progress: &mut dyn Progress| {
        reports.finished(cost(c), key, to_json(c, r), progress);
    };
    #[cfg(not(target_arch = "wasm32"))]
    if threads > 1 && order.len() > 1 {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::mpsc;
        let next = AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel::<(usize, Result<T, RunError>)>();
        let mut slots: Vec<Option<T>> = (0..order.len()).map(|_| None).collect();
        let mut failure = None;
        std::thread::scope(|scope| {
            for _ in 0..threads.min(order.len()) {
                let tx = tx.clone();
                let next = &next;
                scope.spawn(move || {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= order.len() {
                            break;
                        }
                        let r = eval(order[k]);
                        let stop = r.is_err();
                        if tx.send((k, r)).is_err() || stop {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            for (k, r) in rx {
                match r {
                    Ok(v) => {
                        report(order[k], &v, progress);
                        slots[k] = Some(v);
                    }
                    Err(e) => {
                        // Let the other threads run out of work quickly.
                        next.store(order.len(), Ordering::Relaxed);
                        failure.get_or_insert(e);
                    }
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        return slots
            .into_iter()
            .map(|s| s.ok_or_else(|| RunError::Invalid("a sweep cell was lost".into())))
            .collect();
    }
    let _ = threads;
    let mut out = Vec::with_capacity(order.len());
    for &c in order {
        let v = eval(c)?;
        report(c, &v, progress);
        out.push(v);
    }
    Ok(out)
}

/// One cell of a sweep or cross-section.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub index: usize,
    pub i_gamma: usize,
    pub i_load: usize,
    pub gamma: f64,
    pub load: f64,
    pub p: usize,
    #[serde(flatten)]
    pub summary: Summary,
}

/// What every network of a sweep shares (everything of [`Setup`] but γ and P).
pub type Base = Setup;

/// The patterns of the largest P and their Gram, shared by every cell.
pub struct Shared {
    pub xi: Mat<f64>,
    pub gram: Mat<f64>,
}

impl Shared {
    pub fn new(seed: u64, trial: u64, n: usize, max_p: usize) -> Self {
        let xi = random_patterns(seed, trial, n, max_p);
        let gram = pattern_gram(&xi);
        Self { xi, gram }
    }

    /// The first `p` patterns and their kernel matrix at `gamma`.
    fn patterns_and_kernel(&self, setup: &Setup) -> (Mat<f64>, Mat<f64>) {
        let xi = prefix(&self.xi, setup.p);
        let k = kernel_from_gram(&leading_block(&self.gram, setup.p), setup.n, setup.gamma);
        (xi, k)
    }

    /// The network of the first `p` patterns at `gamma` (trained on the GPU when `compute` has one).
    pub async fn network(&self, compute: &Compute, setup: &Setup) -> Result<Network, RunError> {
        let (xi, k) = self.patterns_and_kernel(setup);
        train_network(compute, setup, xi, k, &mut |_, _| {}).await
    }
}

/// Evaluate one cell: train, inspect, summarise (training and the recall test on the GPU
/// when `compute` has one).
pub async fn eval_cell(
    compute: &Compute,
    shared: &Shared,
    base: &Base,
    grid: &Grid,
    index: usize,
) -> Result<Cell, RunError> {
    let setup = cell_setup(base, grid, index);
    let net = shared.network(compute, &setup).await?;
    let insp = inspect(compute, &net, &setup).await;
    Ok(cell_of(grid, index, &setup, &net, &insp))
}

/// A future of the CPU path, which finishes on its first poll (see [`super::ready`]):
/// cells on CPU threads, capacity trials.
fn on_cpu<T>(f: impl std::future::Future<Output = Result<T, RunError>>) -> Result<T, RunError> {
    super::ready(f).unwrap_or_else(|| Err(RunError::Invalid("a CPU computation had to wait".into())))
}

/// The compute of work that always runs on the CPU (natively on several threads).
fn cpu() -> Compute {
    Compute::cpu("CPU threads")
}

/// The network of cell `index`.
pub fn cell_setup(base: &Base, grid: &Grid, index: usize) -> Setup {
    let (ig, il) = grid.coords(index);
    Setup { gamma: grid.gammas[ig], p: grid.patterns[il], ..*base }
}

fn cell_of(grid: &Grid, index: usize, setup: &Setup, net: &Network, insp: &Inspection) -> Cell {
    let (ig, il) = grid.coords(index);
    Cell {
        index,
        i_gamma: ig,
        i_load: il,
        gamma: setup.gamma,
        load: grid.loads[il],
        p: setup.p,
        summary: summarize(net, setup, insp),
    }
}

/// A sweep's (or one shard's) result.
#[derive(Debug, Clone, Serialize)]
pub struct SweepOut {
    pub n: usize,
    pub gammas: Vec<f64>,
    pub loads: Vec<f64>,
    pub patterns: Vec<usize>,
    pub shard: usize,
    pub shards: usize,
    /// `2/η`: where `curvature_start` makes gradient descent overshoot.
    pub curvature_limit: f64,
    /// The cells of this shard, by index.
    pub cells: Vec<Cell>,
    /// Proposition 1: `log10 M` against `log10 λ_max` over this shard's cells with numbers
    /// that did not diverge (M at the target pattern).
    pub fit: Option<LogLogFit>,
}

/// Run the cells of `grid` that belong to `shard` of `shards`: with a GPU one after
/// another (the GPU is the parallel part), else on `threads` CPU threads (one in the
/// browser). Each finished cell is streamed as `{key: cell}`.
#[allow(clippy::too_many_arguments)]
pub async fn sweep(
    compute: &Compute,
    base: &Base,
    grid: &Grid,
    shard: usize,
    shards: usize,
    threads: usize,
    key: &str,
    progress: &mut dyn Progress,
) -> Result<SweepOut, RunError> {
    let shared = Shared::new(base.seed, 0, base.n, grid.max_p());
    // The work the CPU is expected to do orders the cells and measures progress (a GPU
    // trains every cell in full).
    let on_gpu = compute.uses_gpu() && base.gd.precision == Precision::F32;
    let costs: Vec<f64> = if on_gpu {
        cell_costs(base, grid)
    } else {
        (0..grid.cells()).map(|c| super::network::expected_work(&cell_setup(base, grid, c))).collect()
    };
    let cost = |c: usize| costs[c];
    let order = preview_order(shard_cells(&costs, shard, shards), &costs, grid);
    let to_json = |_: usize, cell: &Cell| serde_json::to_value(cell).unwrap_or(Json::Null);
    // An f64 training runs on the CPU (see `train::train_gd`): then the cells run on CPU threads.
    let cells = if on_gpu {
        let mut reports = Reports::start(order.iter().map(|&c| cost(c)).sum(), progress);
        let mut cells = Vec::with_capacity(order.len());
        for &c in &order {
            let cell = eval_cell(compute, &shared, base, grid, c).await?;
            reports.finished(cost(c), key, to_json(c, &cell), progress);
            cells.push(cell);
        }
        cells
    } else {
        let eval = |c: usize| on_cpu(eval_cell(&cpu(), &shared, base, grid, c));
        run_cells(&order, &cost, &eval, &to_json, key, threads, progress)?
    };
    Ok(finish_sweep(base, grid, shard, shards, cells))
}

/// The work of a cell ([`network::work`] of its network).
fn cell_cost(base: &Base, grid: &Grid, c: usize) -> f64 {
    super::network::work(&cell_setup(base, grid, c))
}

/// The work of every cell of `grid`, by index: what the sweep's work limit is checked with
/// (an upper estimate; on the CPU a sweep balances shards and reports progress with
/// [`network::expected_work`](super::network::expected_work)).
pub fn cell_costs(base: &Base, grid: &Grid) -> Vec<f64> {
    (0..grid.cells()).map(|c| cell_cost(base, grid, c)).collect()
}

fn finish_sweep(base: &Base, grid: &Grid, shard: usize, shards: usize, mut cells: Vec<Cell>) -> SweepOut {
    cells.sort_by_key(|c| c.index);
    let fit = fit_cells(&cells);
    SweepOut {
        n: grid.n,
        gammas: grid.gammas.clone(),
        loads: grid.loads.clone(),
        patterns: grid.patterns.clone(),
        shard,
        shards,
        curvature_limit: 2.0 / base.gd.lr,
        cells,
        fit,
    }
}

/// The Proposition 1 fit over cells that have numbers and did not diverge.
pub fn fit_cells(cells: &[Cell]) -> Option<LogLogFit> {
    fit_points(cells.iter().map(|c| (c.summary.status, c.summary.lambda_max, c.summary.sharpness)))
}

/// [`fit_cells`] over cells as JSON records (merged shards, cells streamed to a figure):
/// the same numbers for the same cells.
pub fn fit_records(cells: &[Json]) -> Option<LogLogFit> {
    let num = |c: &Json, k: &str| c.get(k).and_then(Json::as_f64).unwrap_or(f64::NAN);
    fit_points(cells.iter().map(|c| {
        (c.get("status").and_then(Json::as_str).unwrap_or(""), num(c, "lambda_max"), num(c, "sharpness"))
    }))
}

/// Least squares of `log10 M` on `log10 λ_max` over `(status, λ_max, M)` not diverged.
fn fit_points<'a>(cells: impl Iterator<Item = (&'a str, f64, f64)>) -> Option<LogLogFit> {
    let (x, y): (Vec<f64>, Vec<f64>) = cells.filter(|c| c.0 != "diverged").map(|c| (c.1, c.2)).unzip();
    spectra::loglog_fit(&x, &y)
}

/// One point of the capacity curve.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityPoint {
    pub index: usize,
    pub load: f64,
    pub p: usize,
    /// KLR: fraction of probes that converged exactly to their pattern, over the trials
    /// that have numbers (null when every trial diverged and stopped).
    pub success: f64,
    pub mean_overlap: f64,
    /// Fraction of the trials whose training diverged.
    pub diverged: f64,
    /// The classic Hebbian network (W = ΞᵀΞ/N, zero diagonal, synchronous) on the same probes.
    pub hebbian_success: f64,
}

/// The capacity curve's settings.
#[derive(Debug, Clone)]
pub struct CapacityConfig {
    pub loads: Vec<f64>,
    pub trials: usize,
}

impl CapacityConfig {
    /// The largest P of the curve at N = `n`.
    pub fn max_p(&self, n: usize) -> usize {
        self.loads.iter().map(|&l| patterns_at(l, n)).max().unwrap_or(1)
    }
}

/// The work of one trial of a capacity point with `p` patterns: the network and its
/// Hebbian baseline (one `P·N` field per probe and step).
pub fn trial_work(base: &Base, p: usize) -> f64 {
    let hebbian = base.tests.min(p) as f64 * base.steps as f64 * (p * base.n) as f64;
    super::network::work(&Setup { p, ..*base }) + hebbian
}

/// The work of every point of the curve: its trials.
pub fn capacity_costs(base: &Base, cfg: &CapacityConfig) -> Vec<f64> {
    cfg.loads.iter().map(|&l| cfg.trials.max(1) as f64 * trial_work(base, patterns_at(l, base.n))).collect()
}

/// `loads = max_load·k/points`, `k = 1..=points`, with distinct `P = round(load·N) ≥ 1`.
pub fn capacity_loads(n: usize, max_load: f64, points: usize) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    let mut last = 0usize;
    for k in 1..=points {
        let load = max_load * k as f64 / points as f64;
        let p = patterns_at(load, n);
        if p != last {
            out.push(load);
            last = p;
        }
    }
    out
}

/// One point: `trials` networks of P patterns. Each trial's patterns (and their Gram) are
/// drawn here, for this point's P only, so that memory stays that of one network per
/// thread whatever the number of trials (the first P patterns of a trial are the same at
/// every load).
fn capacity_point(base: &Base, trials: usize, load: f64, index: usize) -> Result<CapacityPoint, RunError> {
    let p = patterns_at(load, base.n);
    let (mut ok, mut probes, mut overlap, mut diverged, mut heb_ok) = (0usize, 0usize, 0.0, 0usize, 0usize);
    for t in 0..trials {
        let setup = Setup { p, trial: t as u64, ..*base };
        let net = on_cpu(Shared::new(base.seed, t as u64, base.n, p).network(&cpu(), &setup))?;
        if net.trained.status.diverged() {
            diverged += 1;
        }
        let tp = recall::test_probes(&net.xi, setup.seed, setup.trial, setup.tests, setup.flip);
        // Hebbian baseline on the same probes (integer-exact synchronous recall).
        let pats: Vec<Vec<i8>> =
            (0..p).map(|mu| net.xi.row(mu).iter().map(|&v| if v > 0.0 { 1 } else { -1 }).collect()).collect();
        let heb = Hebbian::new(base.n, &pats);
        for (mu, pat) in pats.iter().enumerate().take(tp.rows) {
            let probe: Vec<i8> = tp.row(mu).iter().map(|&v| if v > 0.0 { 1 } else { -1 }).collect();
            // Synchronous mode draws nothing from the RNG.
            let r = heb.recall(&probe, Mode::Sync, setup.steps, &mut seeded(0, 0), false);
            heb_ok += usize::from(r.converged && r.final_state == *pat);
        }
        if net.has_numbers(&setup) {
            let r = super::ready(recall::recall_batch(
                &cpu(),
                &net.xi,
                &net.trained.alpha,
                setup.gamma,
                &tp,
                setup.steps,
            ))
            .ok_or_else(|| RunError::Invalid("a CPU computation had to wait".into()))?;
            let s = recall::summarize(&net.xi, &r, setup.flip, setup.steps);
            ok += s.success.iter().filter(|&&x| x).count();
            overlap += s.overlap.iter().sum::<f64>();
            probes += s.tests;
        }
    }
    let tested = (trials * base.tests.min(p)).max(1) as f64;
    Ok(CapacityPoint {
        index,
        load,
        p,
        success: if probes > 0 { ok as f64 / probes as f64 } else { f64::NAN },
        mean_overlap: if probes > 0 { overlap / probes as f64 } else { f64::NAN },
        diverged: diverged as f64 / trials.max(1) as f64,
        hebbian_success: heb_ok as f64 / tested,
    })
}

/// The capacity curve (or one shard of its points).
#[derive(Debug, Clone, Serialize)]
pub struct CapacityOut {
    pub n: usize,
    pub gamma: f64,
    pub flip: f64,
    pub tests: usize,
    pub trials: usize,
    pub max_steps: usize,
    pub shard: usize,
    pub shards: usize,
    pub points: Vec<CapacityPoint>,
    /// The classical Hebbian capacity 0.138 N (Amit, Gutfreund & Sompolinsky).
    pub hebbian_load: f64,
}

pub fn capacity(
    base: &Base,
    cfg: &CapacityConfig,
    shard: usize,
    shards: usize,
    threads: usize,
    progress: &mut dyn Progress,
) -> Result<CapacityOut, RunError> {
    let costs = capacity_costs(base, cfg);
    let order = shard_cells(&costs, shard, shards);
    let cost = |i: usize| costs[i];
    let eval = |i: usize| capacity_point(base, cfg.trials.max(1), cfg.loads[i], i);
    let to_json = |_: usize, pt: &CapacityPoint| serde_json::to_value(pt).unwrap_or(Json::Null);
    let mut points = run_cells(&order, &cost, &eval, &to_json, "capacity_point", threads, progress)?;
    points.sort_by_key(|p| p.index);
    Ok(CapacityOut {
        n: base.n,
        gamma: base.gamma,
        flip: base.flip,
        tests: base.tests,
        trials: cfg.trials.max(1),
        max_steps: base.steps,
        shard,
        shards,
        points,
        hebbian_load: 0.138,
    })
}

/// A pinned cell inspected in full (Figure 5: normalised singular-value spectra).
#[derive(Debug, Clone, Serialize)]
pub struct Pin {
    pub index: usize,
    pub i_gamma: usize,
    pub i_load: usize,
    pub gamma: f64,
    pub load: f64,
    pub p: usize,
    /// Singular values of α (true SVD), descending; null without numbers.
    pub alpha_singular_values: Option<Vec<f64>>,
    #[serde(flatten)]
    pub summary: Summary,
}

/// The pinned cells of `grid`, one after another (trained on the GPU when `compute` has one).
pub async fn pins(
    compute: &Compute,
    base: &Base,
    grid: &Grid,
    indices: &[usize],
    progress: &mut dyn Progress,
) -> Result<Vec<Pin>, RunError> {
    // The patterns (and their Gram) of the largest pinned P only: none without pins.
    let Some(max_p) = indices.iter().map(|&i| grid.patterns[grid.coords(i).1]).max() else {
        return Ok(Vec::new());
    };
    let shared = Shared::new(base.seed, 0, base.n, max_p);
    let mut out = Vec::new();
    for (k, &index) in indices.iter().enumerate() {
        let (ig, il) = grid.coords(index);
        let setup = Setup { gamma: grid.gammas[ig], p: grid.patterns[il], ..*base };
        let net = shared.network(compute, &setup).await?;
        let insp = inspect(compute, &net, &setup).await;
        let sv = if insp.geometry.is_some() {
            crate::compute::cpu::singular_values(&net.trained.alpha)
        } else {
            None
        };
        out.push(Pin {
            index,
            i_gamma: ig,
            i_load: il,
            gamma: setup.gamma,
            load: grid.loads[il],
            p: setup.p,
            alpha_singular_values: sv,
            summary: summarize(&net, &setup, &insp),
        });
        progress.step(k + 1, indices.len());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::train::GdConfig;
    use super::*;
    use crate::labs::NoProgress;

    fn base(n: usize) -> Base {
        Setup {
            n,
            p: 1,
            gamma: 0.02,
            learner: super::super::network::Learner::Gd,
            gd: GdConfig { epochs: 40, ..GdConfig::default() },
            flip: 0.2,
            steps: 30,
            tests: 5,
            target: 0,
            seed: 42,
            trial: 0,
        }
    }

    #[test]
    fn grids_hit_their_ends() {
        let g = spaced(1e-4, 10.0, 30, true);
        assert_eq!((g[0], g[29], g.len()), (1e-4_f64, 10.0, 30));
        assert!(g.windows(2).all(|w| w[1] > w[0]));
        let l = spaced(0.1, 6.0, 30, false);
        assert_eq!((l[0], l[29]), (0.1, 6.0));
        let grid = Grid::new(100, g, l);
        assert_eq!(grid.patterns[0], 10);
        assert_eq!(grid.patterns[29], 600);
        assert_eq!(grid.coords(31), (1, 1));
    }

    #[test]
    fn shards_partition_the_cells_with_balanced_cost() {
        let costs: Vec<f64> = (0..900).map(|i| ((i % 30) as f64 + 1.0).powi(2)).collect();
        let a = shard_cells(&costs, 0, 2);
        let b = shard_cells(&costs, 1, 2);
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..900).collect::<Vec<_>>());
        let (ca, cb): (f64, f64) = (a.iter().map(|&i| costs[i]).sum(), b.iter().map(|&i| costs[i]).sum());
        assert!((ca - cb).abs() / (ca + cb) < 0.01, "{ca} vs {cb}");
        assert_eq!(shard_cells(&costs, 0, 1).len(), 900);
    }

    #[test]
    fn the_preview_order_covers_the_grid_coarsely_first() {
        let grid = Grid::new(100, spaced(0.001, 1.0, 30, true), spaced(0.2, 6.0, 30, false));
        let costs: Vec<f64> = (0..900).map(|i| grid.patterns[grid.coords(i).1] as f64).collect();
        let order = preview_order((0..900).collect(), &costs, &grid);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..900).collect::<Vec<_>>(), "a permutation");
        // The first 36 cells are a 6 × 6 sub-grid spanning both axes (every 5th row and column).
        let first: Vec<(usize, usize)> = order[..36].iter().map(|&c| grid.coords(c)).collect();
        assert!(first.iter().all(|&(g, l)| g % 5 == 0 && l % 5 == 0));
        assert_eq!(first.iter().map(|c| c.1).max(), Some(25));
        assert_eq!(first.iter().map(|c| c.0).max(), Some(25));
        // Cheapest first within the coarse pass; the last pass starts with the most expensive.
        assert!(order[..36].windows(2).all(|w| costs[w[0]] <= costs[w[1]]));
        let last = order.iter().position(|&c| preview_level(&grid, c) == 2).expect("a last pass");
        assert_eq!(costs[order[last]], 600.0);
        // The levels never go back.
        assert!(order.windows(2).all(|w| preview_level(&grid, w[0]) <= preview_level(&grid, w[1])));
    }

    /// Threads, shards and order never change a cell: the union of the shards equals
    /// the whole sweep, bit for bit, and so does a single-threaded run.
    #[test]
    fn shards_and_threads_give_identical_cells() {
        let grid = Grid::new(30, spaced(0.003, 0.3, 3, true), spaced(0.2, 1.5, 3, false));
        let b = base(30);
        let run = |shard, shards, threads| {
            on_cpu(sweep(&cpu(), &b, &grid, shard, shards, threads, "c", &mut NoProgress)).expect("runs")
        };
        let whole = run(0, 1, 2);
        let single = run(0, 1, 1);
        let j = |c: &Vec<Cell>| serde_json::to_string(c).expect("json");
        assert_eq!(j(&whole.cells), j(&single.cells));
        let s0 = run(0, 2, 1);
        let s1 = run(1, 2, 2);
        let mut merged: Vec<Cell> = s0.cells.into_iter().chain(s1.cells).collect();
        merged.sort_by_key(|c| c.index);
        assert_eq!(j(&merged), j(&whole.cells));
        assert_eq!(whole.cells.len(), 9);
    }

    #[test]
    fn capacity_loads_are_distinct() {
        assert_eq!(capacity_loads(10, 0.3, 6).len(), 3);
        assert_eq!(capacity_loads(100, 4.0, 8), vec![0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]);
    }
}
