//! The dissertation's two retrieval experiments: reconstruction success against the number
//! of stored memories (Figure 3.2) and Recall@k against Gaussian noise (Figure 3.7). The
//! similarities of all probes against all memories go through the compute layer (GPU when
//! verified); ksoftmax, softmax and the reconstructions are f64 on the CPU.

use super::model::{Occlude, Sim, Source, combine_rows, similarities_batch, sse};
use super::ssm::{argmax, ksoftmax, softmax, top_indices};
use crate::compute::{Compute, Mat};
use crate::labs::{Progress, RunError};
use crate::rng::{self, for_trial};
use serde::Serialize;

/// Success: some output has a sum of squared errors below this (Sec. 3.3).
pub const THRESHOLD: f64 = 50.0;

/// Probes whose weights are combined at once.
const CHUNK: usize = 32;

/// The memory counts of Figure 3.2.
pub const CAP_COUNTS: [usize; 7] = [100, 200, 500, 1000, 2000, 5000, 10_000];

/// Sweep cells of the experiments (the RNG streams of their trials).
const CELL_RECALL_MEMORIES: u64 = 900;
const CELL_RECALL_NOISE: u64 = 901;

/// Figure 3.2's settings.
#[derive(Debug, Clone, Copy)]
pub struct CapConfig {
    pub pmax: usize,
    pub trials: usize,
    pub probes: usize,
    pub kmax: usize,
    pub beta: f64,
    pub sim: Sim,
    pub occlude: Occlude,
    pub noise: f64,
    pub seed: u64,
}

/// One point of one curve of Figure 3.2.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CapRow {
    /// Stored memories P.
    pub memories: usize,
    /// `"k=1"` … `"k=K"` (the k-Hopfield layer with k outputs) or `"mchn"`.
    pub model: String,
    /// k (null for the MCHN).
    pub k: Option<usize>,
    /// Mean success rate over the trials.
    pub success: f64,
    /// Standard deviation of the trials' success rates (n − 1 denominator; 0 for one trial).
    pub std: f64,
    pub trials: usize,
    /// Probes per trial.
    pub probes: usize,
}

/// The memory counts up to `pmax` (and `pmax` itself when it is not one of them).
pub fn cap_counts(pmax: usize) -> Vec<usize> {
    let mut v: Vec<usize> = CAP_COUNTS.iter().copied().filter(|&c| c <= pmax).collect();
    if v.last() != Some(&pmax) {
        v.push(pmax);
    }
    v
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let s =
        if v.len() > 1 { (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
    (m, s)
}

/// Figure 3.2: for each memory count and trial, store that many random memories, probe
/// `probes` of them (corrupted), do one k-Hopfield update (k = kmax; the first k columns are
/// those of the layer with k outputs) and one MCHN update, and count successes.
pub async fn capacity(
    src: &Source,
    cfg: &CapConfig,
    compute: &Compute,
    progress: &mut dyn Progress,
) -> Result<Vec<CapRow>, RunError> {
    let counts = cap_counts(cfg.pmax.min(src.len()));
    let total = counts.len() * cfg.trials;
    let mut rows = Vec::new();
    for (c, &pm) in counts.iter().enumerate() {
        // rates[model][trial], models k = 1..kmax then the MCHN.
        let mut rates = vec![Vec::with_capacity(cfg.trials); cfg.kmax + 1];
        let mut probes_used = 0;
        for t in 0..cfg.trials {
            let mut rng = for_trial(cfg.seed, c as u64, t as u64);
            let store = src.draw(&mut rng, pm);
            let targets = rng::choose_distinct(&mut rng, store.p, cfg.probes.min(store.p));
            probes_used = targets.len();
            let mut probes = Vec::with_capacity(targets.len() * store.n);
            for &i in &targets {
                let x = src.corrupt(store.row(i), cfg.occlude, cfg.noise, &[], &mut rng);
                probes.extend(x.iter().map(|&v| v as f32));
            }
            let probes = Mat { rows: targets.len(), cols: store.n, data: probes };
            let mem = store.to_f32();
            let sims = similarities_batch(compute, cfg.sim, &mem, &probes).await;
            let mut wins = vec![0usize; cfg.kmax + 1];
            // Probes in chunks, so that the weights (chunk × (k+1) × P, f64) stay small.
            for chunk in (0..targets.len()).collect::<Vec<_>>().chunks(CHUNK) {
                let mut weights = Vec::with_capacity(chunk.len() * (cfg.kmax + 1));
                for &b in chunk {
                    let z: Vec<f64> = sims.row(b).iter().map(|&s| cfg.beta * f64::from(s)).collect();
                    weights.extend(ksoftmax(&z, cfg.kmax).columns);
                    weights.push(softmax(&z));
                }
                let outs = combine_rows(compute, &mem, &weights).await;
                for (c, &b) in chunk.iter().enumerate() {
                    let target = store.row(targets[b]);
                    let o = &outs[c * (cfg.kmax + 1)..(c + 1) * (cfg.kmax + 1)];
                    let mut best = f64::INFINITY;
                    for (j, out) in o[..cfg.kmax].iter().enumerate() {
                        best = best.min(sse(out, target));
                        if best < THRESHOLD {
                            wins[j] += 1;
                        }
                    }
                    if sse(&o[cfg.kmax], target) < THRESHOLD {
                        wins[cfg.kmax] += 1;
                    }
                }
            }
            for (r, w) in rates.iter_mut().zip(&wins) {
                r.push(*w as f64 / targets.len().max(1) as f64);
            }
            progress.step(c * cfg.trials + t + 1, total);
        }
        let mut point = Vec::new();
        for (m, r) in rates.iter().enumerate() {
            let (mean, std) = mean_std(r);
            let is_mchn = m == cfg.kmax;
            point.push(CapRow {
                memories: pm,
                model: if is_mchn { "mchn".into() } else { format!("k={}", m + 1) },
                k: (!is_mchn).then_some(m + 1),
                success: mean,
                std,
                trials: cfg.trials,
                probes: probes_used,
            });
        }
        progress.partial(&serde_json::json!({ "fig32_rows": point }));
        rows.extend(point);
    }
    Ok(rows)
}

/// Figure 3.7's settings.
#[derive(Debug, Clone, Copy)]
pub struct RecallConfig {
    pub p: usize,
    pub probes: usize,
    pub noise_max: f64,
    pub points: usize,
    pub kmax: usize,
    pub beta: f64,
    pub sim: Sim,
    pub seed: u64,
}

/// One point of one curve of Figure 3.7.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecallRow {
    /// Noise standard deviation, in units of the pixel scale.
    pub noise: f64,
    pub k: usize,
    /// Recall@k: the fraction of the k retrieved memories that are among the k memories
    /// most similar to the clean probe, averaged over probes.
    pub recall: f64,
    /// Its standard error over the probes.
    pub sem: f64,
    pub probes: usize,
}

/// The noise levels `0, σ_max/(m−1), …, σ_max`.
pub fn noise_levels(noise_max: f64, points: usize) -> Vec<f64> {
    let m = points.max(2);
    (0..m).map(|j| noise_max * j as f64 / (m - 1) as f64).collect()
}

/// Figure 3.7: `p` memories; each probe is a stored memory plus Gaussian noise; the i-th
/// retrieved memory is `argmax ksoftmax_i(β sim)` (eq. 3.8); relevant are the k memories most
/// similar to the clean probe (ties: lower index first).
pub async fn recall_at_k(
    src: &Source,
    cfg: &RecallConfig,
    compute: &Compute,
    progress: &mut dyn Progress,
) -> Result<Vec<RecallRow>, RunError> {
    let mut rng = for_trial(cfg.seed, CELL_RECALL_MEMORIES, 0);
    let store = src.draw(&mut rng, cfg.p.min(src.len()));
    let targets = rng::choose_distinct(&mut rng, store.p, cfg.probes.min(store.p));
    let mem = store.to_f32();
    let mut clean = Mat::<f32>::zeros(targets.len(), store.n);
    for (b, &i) in targets.iter().enumerate() {
        clean.row_mut(b).copy_from_slice(mem.row(i));
    }
    let clean_sims = similarities_batch(compute, cfg.sim, &mem, &clean).await;
    let relevant: Vec<Vec<usize>> = (0..targets.len())
        .map(|b| top_indices(&clean_sims.row(b).iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), cfg.kmax))
        .collect();
    let levels = noise_levels(cfg.noise_max, cfg.points);
    let mut rows = Vec::new();
    for (j, &sigma) in levels.iter().enumerate() {
        let mut rng = for_trial(cfg.seed, CELL_RECALL_NOISE, j as u64);
        let sd = (sigma * src.scale) as f32;
        let mut noisy = clean.clone();
        if sd > 0.0 {
            for v in &mut noisy.data {
                *v += sd * rng::normal(&mut rng) as f32;
            }
        }
        let sims = similarities_batch(compute, cfg.sim, &mem, &noisy).await;
        // hits[k−1][b]: recall@k of probe b.
        let mut hits = vec![vec![0.0; targets.len()]; cfg.kmax];
        for b in 0..targets.len() {
            let z: Vec<f64> = sims.row(b).iter().map(|&s| cfg.beta * f64::from(s)).collect();
            let ks = ksoftmax(&z, cfg.kmax);
            let retrieved: Vec<usize> = ks.columns.iter().map(|c| argmax(c)).collect();
            for k in 1..=cfg.kmax {
                let mut got: Vec<usize> = retrieved[..k].to_vec();
                got.sort_unstable();
                got.dedup();
                let found =
                    got.iter().filter(|r| relevant[b][..k.min(relevant[b].len())].contains(r)).count();
                hits[k - 1][b] = found as f64 / k as f64;
            }
        }
        let mut point = Vec::new();
        for (k, h) in hits.iter().enumerate() {
            let (mean, std) = mean_std(h);
            point.push(RecallRow {
                noise: sigma,
                k: k + 1,
                recall: mean,
                sem: std / (h.len().max(1) as f64).sqrt(),
                probes: targets.len(),
            });
        }
        progress.partial(&serde_json::json!({ "fig37_rows": point }));
        rows.extend(point);
        progress.step(j + 1, levels.len());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::NoProgress;

    #[test]
    fn memory_counts_follow_the_figure() {
        assert_eq!(cap_counts(10_000), CAP_COUNTS.to_vec());
        assert_eq!(cap_counts(1797), vec![100, 200, 500, 1000, 1797]);
        assert_eq!(cap_counts(100), vec![100]);
        assert_eq!(noise_levels(1.0, 3), vec![0.0, 0.5, 1.0]);
    }

    #[test]
    fn clean_distinct_probes_are_recalled_perfectly() {
        // Without noise the probe is a stored memory; with a distance similarity it is its own
        // nearest memory, and at large β ksoftmax's columns pick the k nearest in order.
        let src = Source::new("digits8", 0, 16.0).expect("digits");
        let cfg = RecallConfig {
            p: 60,
            probes: 20,
            noise_max: 0.5,
            points: 2,
            kmax: 3,
            beta: 50.0,
            sim: Sim::NegSqeuclid,
            seed: 3,
        };
        let rows = pollster::block_on(recall_at_k(&src, &cfg, &Compute::cpu("test"), &mut NoProgress))
            .expect("runs");
        assert_eq!(rows.len(), 6);
        for r in rows.iter().filter(|r| r.noise == 0.0) {
            assert_eq!(r.recall, 1.0, "{r:?}");
        }
    }

    #[test]
    fn unoccluded_probes_always_succeed_and_rates_are_fractions() {
        let src = Source::new("digits8", 0, 16.0).expect("digits");
        let cfg = CapConfig {
            pmax: 200,
            trials: 2,
            probes: 10,
            kmax: 2,
            beta: 3.0,
            sim: Sim::NegManhattan,
            occlude: Occlude::None,
            noise: 0.0,
            seed: 1,
        };
        let rows =
            pollster::block_on(capacity(&src, &cfg, &Compute::cpu("test"), &mut NoProgress)).expect("runs");
        assert_eq!(rows.len(), 2 * 3);
        for r in &rows {
            assert!((0.0..=1.0).contains(&r.success) && r.std >= 0.0, "{r:?}");
        }
        // An unoccluded, noiseless probe is a stored memory: its own column 1 (and the MCHN)
        // return it.
        assert!(rows.iter().all(|r| r.success == 1.0), "{rows:?}");
    }
}
