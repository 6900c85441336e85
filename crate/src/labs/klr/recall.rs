//! Recall (SPEC Lab 1, "Recall"): synchronous updates `s ← sign(h(s))`,
//! `h(s) = αᵀ k(s)`, `k(s)_μ = K(s, ξ^μ)`, `sign(0) = +1`, for a batch of probes at once.

use super::kernel::probe_rng;
use crate::compute::{Compute, Mat, RowStatus, cpu};
use crate::labs::classic::model::corrupt;
use serde::Serialize;

/// The outcome of [`recall_batch`] for `B` probes.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRecall {
    /// Final states (`B × N`, ±1).
    pub states: Mat<f64>,
    /// Synchronous updates computed for each probe (including the one that confirmed a fixed point).
    pub steps: Vec<usize>,
    /// The probe reached a fixed point (an update changed nothing).
    pub converged: Vec<bool>,
    /// The probe fell into a 2-cycle (the new state equals the one two updates back).
    pub cycled: Vec<bool>,
}

/// Batched synchronous recall from every row of `probes` (`B × N`, ±1) with patterns
/// `xi` (`P × N`) and dual weights `alpha` (`P × N`): the compute layer's kernel-Hopfield
/// recall (`s ← sign(K(s, Ξ)·α)`, `sign(0) = +1`; a probe stops at a fixed point — an
/// update that changes nothing — or a 2-cycle, or after `max_steps` updates). On the GPU
/// when `compute` has one (f32, every step on the GPU, status read back every 8 steps; a
/// sign can differ from f64 only where a field is within f32 rounding of 0), else in f64
/// on the CPU; a GPU failure is recorded and the CPU recalls instead.
pub async fn recall_batch(
    compute: &Compute,
    xi: &Mat<f64>,
    alpha: &Mat<f64>,
    gamma: f64,
    probes: &Mat<f64>,
    max_steps: usize,
) -> BatchRecall {
    if let Some(g) = compute.gpu() {
        match g
            .kernel_hopfield_sync(&xi.to_f32(), &alpha.to_f32(), gamma as f32, &probes.to_f32(), max_steps)
            .await
        {
            Ok(r) => return batch_of(r),
            Err(e) => compute.fell_back("kernel_hopfield_sync", &e),
        }
    }
    batch_of(cpu::kernel_hopfield_sync(xi, alpha, gamma, probes, max_steps, &mut |_| {}))
}

fn batch_of(r: crate::compute::BatchRecall) -> BatchRecall {
    BatchRecall {
        states: r.states.to_f64(),
        steps: r.steps.iter().map(|&s| s as usize).collect(),
        converged: r.status.iter().map(|&s| s == RowStatus::Fixed).collect(),
        cycled: r.status.iter().map(|&s| s == RowStatus::Cycle).collect(),
    }
}

/// One recorded state of an animated recall.
#[derive(Debug, Clone, Serialize)]
pub struct Frame {
    /// Synchronous updates done before this state.
    pub step: usize,
    pub state: Vec<i8>,
    /// Overlap `m = sᵀξ/N` with the target pattern.
    pub overlap: f64,
    /// Neurons that changed in the update that led here.
    pub changed: usize,
}

/// An animated recall of one probe: the loop of [`recall_batch`], with every state kept.
#[derive(Debug, Clone, Serialize)]
pub struct Trajectory {
    pub frames: Vec<Frame>,
    pub final_state: Vec<i8>,
    pub converged: bool,
    pub cycled: bool,
    pub steps: usize,
    /// Overlap of the final state with every stored pattern.
    pub final_overlaps: Vec<f64>,
    /// Overlap of the final state with the target.
    pub final_overlap: f64,
    /// The stored pattern with the largest |overlap| at the end, and that overlap.
    pub best_match: usize,
    pub best_overlap: f64,
    /// Success: a fixed point equal to the target pattern.
    pub recalled: bool,
}

fn to_i8(s: &[f64]) -> Vec<i8> {
    s.iter().map(|&v| if v >= 0.0 { 1 } else { -1 }).collect()
}

fn overlap(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / a.len().max(1) as f64
}

/// Recall from `probe` on the CPU (the loop of [`recall_batch`]), keeping every state for
/// the animation.
pub fn trajectory(
    xi: &Mat<f64>,
    alpha: &Mat<f64>,
    gamma: f64,
    probe: &[f64],
    target: usize,
    max_steps: usize,
) -> Trajectory {
    let n = xi.cols;
    let goal = xi.row(target).to_vec();
    let s0 = Mat { rows: 1, cols: n, data: probe.to_vec() };
    let mut frames = vec![Frame { step: 0, state: to_i8(probe), overlap: overlap(probe, &goal), changed: 0 }];
    let mut last = probe.to_vec();
    let r = cpu::kernel_hopfield_sync(xi, alpha, gamma, &s0, max_steps, &mut |s| {
        let changed = s.data.iter().zip(&last).filter(|(a, b)| a != b).count();
        frames.push(Frame {
            step: frames.len(),
            state: to_i8(&s.data),
            overlap: overlap(&s.data, &goal),
            changed,
        });
        last.copy_from_slice(&s.data);
    });
    let s: Vec<f64> = r.states.data.iter().map(|&v| f64::from(v)).collect();
    let (converged, cycled) = (r.status[0] == RowStatus::Fixed, r.status[0] == RowStatus::Cycle);
    let final_overlaps: Vec<f64> = (0..xi.rows).map(|mu| overlap(&s, xi.row(mu))).collect();
    let best_match = (0..final_overlaps.len())
        .fold(0, |b, i| if final_overlaps[i].abs() > final_overlaps[b].abs() { i } else { b });
    Trajectory {
        frames,
        final_state: to_i8(&s),
        converged,
        cycled,
        steps: r.steps[0] as usize,
        final_overlap: overlap(&s, &goal),
        best_overlap: final_overlaps.get(best_match).copied().unwrap_or(0.0),
        best_match,
        final_overlaps,
        recalled: converged && s == goal,
    }
}

/// The probe made from pattern `mu` of trial `trial`: `round(f·N)` distinct bits flipped
/// (drawn from [`probe_rng`]). Returns the probe (±1.0) and the flipped indices.
pub fn probe_for(xi: &Mat<f64>, seed: u64, trial: u64, mu: usize, flip: f64) -> (Vec<f64>, Vec<usize>) {
    let pat: Vec<i8> = to_i8(xi.row(mu));
    let (probe, flipped) = corrupt(&pat, flip, &[], &mut probe_rng(seed, trial, mu as u64));
    (probe.into_iter().map(f64::from).collect(), flipped)
}

/// The recall test of the author's protocol: probes from patterns `0..min(tests, P)`.
#[derive(Debug, Clone, Serialize)]
pub struct RecallTest {
    /// Probes tested.
    pub tests: usize,
    pub flip: f64,
    pub max_steps: usize,
    /// Fraction of probes that converged exactly to their stored pattern.
    pub success_rate: f64,
    /// Mean final overlap with the probed pattern.
    pub mean_overlap: f64,
    /// Mean number of synchronous updates.
    pub mean_steps: f64,
    /// Per probe: success, final overlap, steps, converged, cycled.
    pub success: Vec<bool>,
    pub overlap: Vec<f64>,
    pub steps: Vec<usize>,
    pub converged: Vec<bool>,
    pub cycled: Vec<bool>,
}

/// The probes of the recall test (`B × N`).
pub fn test_probes(xi: &Mat<f64>, seed: u64, trial: u64, tests: usize, flip: f64) -> Mat<f64> {
    let b = tests.min(xi.rows);
    let mut probes = Mat::zeros(b, xi.cols);
    for mu in 0..b {
        probes.row_mut(mu).copy_from_slice(&probe_for(xi, seed, trial, mu, flip).0);
    }
    probes
}

/// Summarise a batched recall of [`test_probes`].
pub fn summarize(xi: &Mat<f64>, r: &BatchRecall, flip: f64, max_steps: usize) -> RecallTest {
    let b = r.states.rows;
    let overlap: Vec<f64> = (0..b).map(|mu| self::overlap(r.states.row(mu), xi.row(mu))).collect();
    let success: Vec<bool> = (0..b).map(|mu| r.converged[mu] && r.states.row(mu) == xi.row(mu)).collect();
    let count = b.max(1) as f64;
    RecallTest {
        tests: b,
        flip,
        max_steps,
        success_rate: success.iter().filter(|&&s| s).count() as f64 / count,
        mean_overlap: overlap.iter().sum::<f64>() / count,
        mean_steps: r.steps.iter().sum::<usize>() as f64 / count,
        success,
        overlap,
        steps: r.steps.clone(),
        converged: r.converged.clone(),
        cycled: r.cycled.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::kernel::random_patterns;
    use super::*;

    #[test]
    fn a_two_cycle_is_reported() {
        // Patterns ξ and −ξ with α rows −ξ and +ξ: h(ξ) ∝ −ξ and h(−ξ) ∝ ξ.
        let n = 8;
        let x = random_patterns(1, 0, n, 1);
        let mut xi = Mat::zeros(2, n);
        xi.row_mut(0).copy_from_slice(x.row(0));
        for j in 0..n {
            xi.data[n + j] = -x.data[j];
        }
        let mut alpha = xi.clone();
        for v in &mut alpha.data {
            *v = -*v;
        }
        let r = cpu_recall(&xi, &alpha, 0.1, &prefix1(&xi), 30);
        assert_eq!((r.converged[0], r.cycled[0], r.steps[0]), (false, true, 2));
        assert_eq!(r.states.row(0), xi.row(0), "back where it started");
        let t = trajectory(&xi, &alpha, 0.1, xi.row(0), 0, 30);
        assert!(t.cycled && !t.converged && t.steps == 2 && !t.recalled);
    }

    fn cpu_recall(
        xi: &Mat<f64>,
        alpha: &Mat<f64>,
        gamma: f64,
        probes: &Mat<f64>,
        steps: usize,
    ) -> BatchRecall {
        crate::labs::klr::ready(recall_batch(&Compute::cpu("test"), xi, alpha, gamma, probes, steps))
            .expect("CPU")
    }

    fn prefix1(xi: &Mat<f64>) -> Mat<f64> {
        Mat { rows: 1, cols: xi.cols, data: xi.row(0).to_vec() }
    }

    #[test]
    fn batch_and_trajectory_agree() {
        // A Hebbian-like α (α = Ξ/P) is enough to exercise the dynamics.
        let xi = random_patterns(2, 0, 40, 6);
        let alpha = Mat { rows: 6, cols: 40, data: xi.data.iter().map(|v| v / 6.0).collect() };
        let probes = test_probes(&xi, 9, 0, 6, 0.3);
        let r = cpu_recall(&xi, &alpha, 0.01, &probes, 30);
        for mu in 0..6 {
            let t = trajectory(&xi, &alpha, 0.01, probes.row(mu), mu, 30);
            assert_eq!(t.steps, r.steps[mu]);
            assert_eq!(t.converged, r.converged[mu]);
            assert_eq!(t.final_state, to_i8(r.states.row(mu)));
        }
        let s = summarize(&xi, &r, 0.3, 30);
        assert_eq!(s.tests, 6);
        assert!((0.0..=1.0).contains(&s.success_rate));
    }

    #[test]
    fn probes_flip_the_requested_fraction_and_repeat() {
        let xi = random_patterns(3, 0, 100, 4);
        let (p1, f1) = probe_for(&xi, 5, 0, 2, 0.2);
        let (p2, _) = probe_for(&xi, 5, 0, 2, 0.2);
        assert_eq!(p1, p2);
        assert_eq!(f1.len(), 20);
        assert_eq!(p1.iter().zip(xi.row(2)).filter(|(a, b)| a != b).count(), 20);
    }
}
