//! One KLR Hopfield network from end to end: patterns → kernel → training → the numbers
//! the lab reports (forces, spectra, recall). A sweep cell, a capacity point and the
//! single-network view all go through [`train_network`] and [`summarize`], so clicking a
//! heatmap cell reproduces that cell's numbers exactly.

use super::geometry::{self, ForceStats, PatternGeometry};
use super::recall::{self, RecallTest};
use super::spectra;
use super::train::{self, DivergeWhy, GdConfig, OnDiverge, Status, Trained};
use crate::compute::{Compute, Mat};
use crate::labs::RunError;
use serde::Serialize;

/// Which learner sets α.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Learner {
    /// Kernel logistic regression by gradient descent (the author's protocol).
    Gd,
    /// Kernel ridge regression `α = (K + λI)⁻¹ Ξ`.
    Krr,
}

/// Everything that defines one network and its tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setup {
    pub n: usize,
    pub p: usize,
    pub gamma: f64,
    pub learner: Learner,
    pub gd: GdConfig,
    /// Fraction of bits flipped in the recall probes.
    pub flip: f64,
    /// Cap on synchronous recall steps.
    pub steps: usize,
    /// Probes in the recall test (patterns `0..min(tests, P)`).
    pub tests: usize,
    /// The stored pattern where M and ρ are reported (clamped below P).
    pub target: usize,
    pub seed: u64,
    /// 0 for the network the page shows; ≥ 1 for the extra networks of the capacity curve.
    pub trial: u64,
}

/// A trained network.
#[derive(Debug, Clone)]
pub struct Network {
    /// Patterns `P × N` (±1).
    pub xi: Mat<f64>,
    /// Kernel matrix `P × P`.
    pub k: Mat<f64>,
    pub trained: Trained,
    /// `λ_max(K)`.
    pub kernel_lambda_max: f64,
    /// `λ_max(K)²/4 + λ·λ_max(K)`: the loss curvature at α = 0 (and its maximum anywhere).
    pub curvature_start: f64,
}

impl Network {
    /// Whether the lab reports numbers for this network: not when gradient descent
    /// diverged and stopped (or produced non-finite values).
    pub fn has_numbers(&self, setup: &Setup) -> bool {
        match self.trained.status {
            Status::Diverged { why: DivergeWhy::LossRose, .. } => {
                setup.gd.on_diverge == OnDiverge::Continue && self.trained.epochs_run == setup.gd.epochs
            }
            Status::Diverged { .. } => false,
            _ => true,
        }
    }

    /// The stored pattern where the "at pattern" numbers are taken.
    pub fn target(&self, setup: &Setup) -> usize {
        setup.target.min(self.xi.rows.saturating_sub(1))
    }
}

/// An estimate of the multiply–adds of one network of a sweep cell or a capacity trial:
/// the kernel and the training (`P²·N` per epoch; kernel ridge: a Cholesky
/// factorisation), `λ_max(K)`, the forces at every pattern, the spectral summary (two
/// `N × N` Grams and their eigenvalues) and the recall test (two `P·N` products per probe
/// and step). An upper estimate: training may stop early, probes may settle early.
pub fn work(s: &Setup) -> f64 {
    let (p, n) = (s.p as f64, s.n as f64);
    let train = match s.learner {
        Learner::Gd => p * p * n * (s.gd.epochs as f64 + 2.0),
        Learner::Krr => p * p * p / 3.0 + 2.0 * p * p * n,
    };
    let probes = s.tests.min(s.p) as f64;
    train
        + 100.0 * p * p
        + 3.0 * p * p * n
        + 2.0 * n * n * p
        + 20.0 * n * n * n
        + 2.0 * probes * s.steps as f64 * p * n
}

/// [`work`] as the CPU will do it, for progress, time left and balancing shards (limits
/// use the upper estimate, [`work`]). Three things set a cell's cost apart from its
/// budget, each predicted from `N`, `P`, γ and the training settings alone, for random ±1
/// patterns (the actual kernel decides; a wrong guess only skews progress):
/// - the products keep only the entries of `K` that can change them ([`expected_kept`]):
///   none at large γ (one entry per class is trained: the epochs cost nothing), a few per
///   row a little below (a sparse product), all at small γ;
/// - every epoch that is not trained per class also costs a pass over the entries
///   ([`PASS_UNITS`] each);
/// - gradient descent that stops on a rising loss stops within a few epochs where the
///   step is well past the curvature limit, `η·(λ_K²/4 + λ·λ_K) > 2` with
///   `λ_K ≈ 1 + (P − 1)·E[K_μν]` (the kernel's mean entry makes it nearly rank one plus
///   the identity); taken as stopping after 2 epochs above 1.25 times the limit. On the
///   author's grid such cells stopped within 6 epochs (one of 384 within 34), and the four
///   cells between 1 and 1.25 times the limit ran their budget.
pub fn expected_work(s: &Setup) -> f64 {
    let full = work(s);
    if s.learner != Learner::Gd {
        return full;
    }
    let (p, n, epochs) = (s.p as f64, s.n as f64, s.gd.epochs as f64);
    let kept = expected_kept(s.n, s.p, s.gamma, s.gd.precision.unit_roundoff());
    // One epoch's products in units of a dense product (a sparse product is taken as
    // `1/SPARSE_FILL` times slower per entry: where the products switch forms, both cost
    // the same), and its pass over the P·N entries (the loss, `Z`, the f32 conversions);
    // neither when one entry per class is trained.
    let (per_epoch, pass) = if kept == 0.0 {
        (0.0, 0.0)
    } else if 1.0 + kept <= train::SPARSE_FILL * p {
        ((1.0 + kept) / (train::SPARSE_FILL * p), PASS_UNITS * p * n)
    } else {
        (1.0, PASS_UNITS * p * n)
    };
    let lambda_k = 1.0 + (p - 1.0) * rbf_mean_entry(s.n, s.gamma);
    let stops_early = s.gd.on_diverge == OnDiverge::Stop
        && s.gd.lr * train::curvature_start(lambda_k, s.gd.lambda) > 1.25 * 2.0;
    let run = if stops_early { epochs.min(2.0) } else { epochs };
    full - p * p * n * (epochs - run * per_epoch) + run * pass
}

/// The fused loss pass and the f32 conversions of one epoch, per entry, in [`work`]'s
/// units (`P²·N` per epoch for its two products): measured in headless Chromium, 15 ns per
/// entry and epoch (13 ns the pass, 2 ns the conversions) against 2.3 ms for one
/// 600 × 600 × 100 f32 product with the relaxed-SIMD GEMM, i.e. about 235 multiply-adds
/// of the product, 117 units.
const PASS_UNITS: f64 = 120.0;

/// `E[e^{−4γ·H}]` for the Hamming distance `H ~ Binomial(N, 1/2)` of two random ±1
/// patterns: the mean off-diagonal entry of their RBF kernel, `((1 + e^{−4γ})/2)^N`.
fn rbf_mean_entry(n: usize, gamma: f64) -> f64 {
    ((1.0 + (-4.0 * gamma).exp()) / 2.0).powf(n as f64)
}

/// The off-diagonal entries a row of the RBF kernel of `P` random ±1 patterns is expected
/// to keep in the training's products (see `train::Products`): a row drops its smallest
/// entries while their sum stays within `u` (the diagonal is 1). The entries are
/// `e^{−4γ·H}` with `(P − 1)·C(N, H)/2^N` of them at each Hamming distance `H`; the walk
/// drops them from the largest `H` down.
pub(super) fn expected_kept(n: usize, p: usize, gamma: f64, u: f64) -> f64 {
    let others = p.saturating_sub(1) as f64;
    // ln(C(N, H)/2^N), from H = N down: C(N, H − 1) = C(N, H)·H/(N − H + 1).
    let mut ln_pmf = -(n as f64) * std::f64::consts::LN_2;
    let (mut sum, mut dropped) = (0.0, 0.0);
    for h in (0..=n).rev() {
        let (count, v) = (others * ln_pmf.exp(), (-4.0 * gamma * h as f64).exp());
        if sum + count * v > u {
            // Part of this distance's entries still fit (v > 0 here).
            return (others - dropped - (u - sum) / v).max(0.0);
        }
        sum += count * v;
        dropped += count;
        if h > 0 {
            ln_pmf += (h as f64 / (n - h + 1) as f64).ln();
        }
    }
    // Every entry fits: a diagonal K.
    0.0
}

/// Train on patterns `xi` with kernel `k` (`on_epoch(t, L_t)` reports each evaluated
/// epoch): gradient descent on the GPU when `compute` has one (see [`train::train_gd`]),
/// kernel ridge regression on the CPU.
pub async fn train_network(
    compute: &Compute,
    setup: &Setup,
    xi: Mat<f64>,
    k: Mat<f64>,
    on_epoch: &mut dyn FnMut(usize, f64),
) -> Result<Network, RunError> {
    let trained = match setup.learner {
        Learner::Gd => train::train_gd(compute, &k, &xi, &setup.gd, on_epoch).await,
        Learner::Krr => train_krr(setup, &k, &xi)?,
    };
    Ok(network_from(setup, xi, k, trained))
}

fn train_krr(setup: &Setup, k: &Mat<f64>, xi: &Mat<f64>) -> Result<Trained, RunError> {
    train::train_krr(k, xi, setup.gd.lambda).ok_or_else(|| {
        RunError::Invalid(format!(
            "kernel ridge regression: K + λI is not numerically positive definite at γ = {}, λ = {} (raise λ)",
            setup.gamma, setup.gd.lambda
        ))
    })
}

/// The network around a trained α: `λ_max(K)` and the curvature bound.
fn network_from(setup: &Setup, xi: Mat<f64>, k: Mat<f64>, trained: Trained) -> Network {
    let kernel_lambda_max = train::kernel_lambda_max(&k);
    let curvature_start = train::curvature_start(kernel_lambda_max, setup.gd.lambda);
    Network { xi, k, trained, kernel_lambda_max, curvature_start }
}

/// The numbers of one network that a sweep cell keeps (flat, one CSV row). Numbers
/// are NaN (JSON null, empty in CSV) when the network has none (see [`Network::has_numbers`]).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `converged`, `budget`, `diverged` or `closed_form`.
    pub status: &'static str,
    /// Epoch where divergence was detected (null if none).
    pub diverged_epoch: Option<usize>,
    pub diverged_why: Option<DivergeWhy>,
    pub epochs_run: usize,
    pub loss_rises: usize,
    /// The loss of the kept α.
    pub final_loss: f64,
    pub kernel_lambda_max: f64,
    pub curvature_start: f64,
    /// `curvature_start < 2/η`: gradient descent cannot overshoot.
    pub curvature_ok: bool,
    /// At the target pattern (pattern 0 in sweeps).
    pub sharpness: f64,
    pub log10_sharpness: f64,
    pub force_direct_sq: f64,
    pub force_indirect_sq: f64,
    pub rho: f64,
    pub force_ratio: f64,
    /// Medians over all stored patterns.
    pub sharpness_median: f64,
    pub force_direct_sq_median: f64,
    pub force_indirect_sq_median: f64,
    pub rho_median: f64,
    pub force_ratio_median: f64,
    /// Means over all stored patterns.
    pub sharpness_mean: f64,
    pub rho_mean: f64,
    pub stable_rank: f64,
    /// `λ_max(αᵀKα)`.
    pub lambda_max: f64,
    /// Recall test: success rate, mean final overlap, mean steps.
    pub recall_success: f64,
    pub recall_overlap: f64,
    pub recall_steps: f64,
}

pub fn status_name(s: &Status) -> &'static str {
    match s {
        Status::Converged { .. } => "converged",
        Status::BudgetExhausted => "budget",
        Status::Diverged { .. } => "diverged",
        Status::ClosedForm => "closed_form",
    }
}

/// The force statistics of a network without numbers (all NaN → null).
pub const NO_STATS: ForceStats = ForceStats {
    sharpness: f64::NAN,
    force_direct_sq: f64::NAN,
    force_indirect_sq: f64::NAN,
    rho: f64::NAN,
    force_ratio: f64::NAN,
};

/// The per-pattern geometry, the spectral summary and the recall test of `net`
/// (`None`s when it has no numbers).
pub struct Inspection {
    pub geometry: Option<PatternGeometry>,
    pub recall: Option<RecallTest>,
}

/// Forces at every stored pattern and the recall test (on the GPU when `compute` has one).
pub async fn inspect(compute: &Compute, net: &Network, setup: &Setup) -> Inspection {
    match recall_probes(net, setup) {
        None => Inspection { geometry: None, recall: None },
        Some(probes) => {
            let t = &net.trained;
            let r = recall::recall_batch(compute, &net.xi, &t.alpha, setup.gamma, &probes, setup.steps).await;
            inspection(net, setup, &r)
        }
    }
}

/// The recall test's probes, when the network has numbers.
fn recall_probes(net: &Network, setup: &Setup) -> Option<Mat<f64>> {
    net.has_numbers(setup)
        .then(|| recall::test_probes(&net.xi, setup.seed, setup.trial, setup.tests, setup.flip))
}

fn inspection(net: &Network, setup: &Setup, r: &recall::BatchRecall) -> Inspection {
    let t = &net.trained;
    let geometry = geometry::pattern_geometry(&net.xi, &t.alpha, &t.h, &net.k, setup.gamma);
    Inspection {
        geometry: Some(geometry),
        recall: Some(recall::summarize(&net.xi, r, setup.flip, setup.steps)),
    }
}

/// The flat summary of `net` (computing the spectral summary on the way).
pub fn summarize(net: &Network, setup: &Setup, insp: &Inspection) -> Summary {
    let t = &net.trained;
    let (at, med, mean) = match &insp.geometry {
        Some(g) => (g.at(net.target(setup)), g.median(), g.mean()),
        None => (NO_STATS, NO_STATS, NO_STATS),
    };
    let (stable_rank, lambda_max) = if insp.geometry.is_some() {
        spectra::summary(&t.alpha, &t.h).unwrap_or((f64::NAN, f64::NAN))
    } else {
        (f64::NAN, f64::NAN)
    };
    let (diverged_epoch, diverged_why) = match t.status {
        Status::Diverged { epoch, why } => (Some(epoch), Some(why)),
        _ => (None, None),
    };
    let rt = insp.recall.as_ref();
    Summary {
        status: status_name(&t.status),
        diverged_epoch,
        diverged_why,
        epochs_run: t.epochs_run,
        loss_rises: t.loss_rises,
        final_loss: t.loss.get(t.epochs_run).copied().unwrap_or(f64::NAN),
        kernel_lambda_max: net.kernel_lambda_max,
        curvature_start: net.curvature_start,
        curvature_ok: net.curvature_start < 2.0 / setup.gd.lr,
        sharpness: at.sharpness,
        log10_sharpness: at.sharpness.log10(),
        force_direct_sq: at.force_direct_sq,
        force_indirect_sq: at.force_indirect_sq,
        rho: at.rho,
        force_ratio: at.force_ratio,
        sharpness_median: med.sharpness,
        force_direct_sq_median: med.force_direct_sq,
        force_indirect_sq_median: med.force_indirect_sq,
        rho_median: med.rho,
        force_ratio_median: med.force_ratio,
        sharpness_mean: mean.sharpness,
        rho_mean: mean.rho,
        stable_rank,
        lambda_max,
        recall_success: rt.map_or(f64::NAN, |r| r.success_rate),
        recall_overlap: rt.map_or(f64::NAN, |r| r.mean_overlap),
        recall_steps: rt.map_or(f64::NAN, |r| r.mean_steps),
    }
}
