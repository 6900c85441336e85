//! Table 1 of the source: k-means on random subsets of digits with four initialisations,
//! scored by V-measure, ARI and AMI against the digit labels.
//!
//! Protocol (ours; the source gives only the subset count and size): each subset draws
//! `size` digits uniformly without replacement from all digits of the chosen classes,
//! standardises them (drop constant pixels, centre, unit variance — scikit-learn's
//! `scale`), and runs k-means (k = number of classes) four ways, as scikit-learn's
//! "k-means on handwritten digits" demo does for the first three:
//! - `k-means++`: greedy k-means++, best inertia of `ninit` runs;
//! - `random`: k random digits as centres, best of `ninit` runs;
//! - `PCA-based`: the top-k principal components (unit vectors, largest entry positive,
//!   as scikit-learn's `svd_flip`) as the initial centres, one run;
//! - `HHD-based`: HHD (Algorithm 1, the lab's C_min, D_max, δ, removal, update rule) on the
//!   subset; the prototypes (leading eigenvector, oriented towards its samples) of the k
//!   largest leaves as the initial centres, one run; with fewer than k leaves the rest are
//!   added by greedy k-means++ from the prototypes.

use super::data::{Dataset, digit_rows, prepare};
use super::kmeans::{KMeans, best_of, kmeans_pp, kmeans_pp_from, lloyd, random_init};
use super::metrics::{ami, ari, v_measure};
use super::spectrum::spectrum;
use super::tree::{Config, decompose};
use crate::compute::{Compute, Mat};
use crate::labs::RunError;
use crate::rng::{self, seeded};
use serde::Serialize;

/// The initialisations, in the source's row order.
pub const INITS: [&str; 4] = ["k-means++", "random", "PCA-based", "HHD-based"];

/// The source's Table 1: (init, V-measure mean, std, ARI mean, std, AMI mean, std).
pub const PAPER: [(&str, [f64; 6]); 4] = [
    ("k-means++", [0.518, 0.028, 0.232, 0.046, 0.368, 0.035]),
    ("random", [0.514, 0.041, 0.219, 0.049, 0.354, 0.051]),
    ("PCA-based", [0.523, 0.035, 0.249, 0.043, 0.368, 0.046]),
    ("HHD-based", [0.539, 0.034, 0.259, 0.055, 0.386, 0.044]),
];

/// RNG streams: subset `t` uses `STREAM + t`.
pub const STREAM: u64 = 1 << 40;

/// Settings of the protocol.
#[derive(Debug, Clone, Copy)]
pub struct Protocol {
    pub subsets: usize,
    pub size: usize,
    pub ninit: usize,
    pub hhd: Config,
}

/// One initialisation on one subset.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub subset: usize,
    pub init: &'static str,
    pub v_measure: f64,
    pub ari: f64,
    pub ami: f64,
    pub inertia: f64,
    pub iterations: usize,
    /// HHD-based: leaves of the subset's tree (before taking the k largest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaves: Option<usize>,
}

/// One row of the table: mean and population standard deviation over the subsets.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub init: &'static str,
    pub v_measure_mean: f64,
    pub v_measure_std: f64,
    pub ari_mean: f64,
    pub ari_std: f64,
    pub ami_mean: f64,
    pub ami_std: f64,
    pub paper_v_measure_mean: f64,
    pub paper_v_measure_std: f64,
    pub paper_ari_mean: f64,
    pub paper_ari_std: f64,
    pub paper_ami_mean: f64,
    pub paper_ami_std: f64,
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt())
}

/// The table from the runs.
pub fn rows(runs: &[Run]) -> Vec<Row> {
    PAPER
        .iter()
        .map(|(init, p)| {
            let of = |f: fn(&Run) -> f64| -> (f64, f64) {
                mean_std(&runs.iter().filter(|r| r.init == *init).map(f).collect::<Vec<_>>())
            };
            let (v, a, m) = (of(|r| r.v_measure), of(|r| r.ari), of(|r| r.ami));
            Row {
                init,
                v_measure_mean: v.0,
                v_measure_std: v.1,
                ari_mean: a.0,
                ari_std: a.1,
                ami_mean: m.0,
                ami_std: m.1,
                paper_v_measure_mean: p[0],
                paper_v_measure_std: p[1],
                paper_ari_mean: p[2],
                paper_ari_std: p[3],
                paper_ami_mean: p[4],
                paper_ami_std: p[5],
            }
        })
        .collect()
}

/// The top `k` principal components of the (centred) rows of `x`, largest entry positive.
pub fn pca_components(x: &Mat<f64>, k: usize) -> Option<Mat<f64>> {
    let mut c = x.clone();
    for j in 0..x.cols {
        let mean = (0..x.rows).map(|r| x.at(r, j)).sum::<f64>() / x.rows.max(1) as f64;
        for r in 0..x.rows {
            c.data[r * x.cols + j] -= mean;
        }
    }
    let sp = spectrum(&c, |_| k)?;
    let mut out = Mat::zeros(sp.vectors.len(), x.cols);
    for (j, v) in sp.vectors.iter().enumerate() {
        let big = v.iter().copied().fold(0.0f64, |b, y| if y.abs() > b.abs() { y } else { b });
        let s = if big < 0.0 { -1.0 } else { 1.0 };
        for (o, &y) in out.row_mut(j).iter_mut().zip(v) {
            *o = s * y;
        }
    }
    Some(out)
}

fn score(subset: usize, init: &'static str, truth: &[i64], r: &KMeans, leaves: Option<usize>) -> Run {
    let pred: Vec<i64> = r.labels.iter().map(|&l| l as i64).collect();
    Run {
        subset,
        init,
        v_measure: v_measure(truth, &pred),
        ari: ari(truth, &pred),
        ami: ami(truth, &pred),
        inertia: r.inertia,
        iterations: r.iterations,
        leaves,
    }
}

/// Run the protocol on digits of the data set `which` from `pool` (indices by class);
/// `progress(done, total)` after each subset.
pub async fn run(
    compute: &Compute,
    which: &str,
    pool: &[Vec<usize>],
    cfg: &Protocol,
    seed: u64,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<Run>, RunError> {
    let all: Vec<usize> = pool.iter().flatten().copied().collect();
    let k = pool.iter().filter(|c| !c.is_empty()).count();
    if all.len() < cfg.size || k == 0 {
        return Err(RunError::Invalid(format!(
            "Table 1 needs {} digits of the chosen classes; there are {}",
            cfg.size,
            all.len()
        )));
    }
    let mut runs = Vec::with_capacity(4 * cfg.subsets);
    for t in 0..cfg.subsets {
        let mut rng = seeded(seed, STREAM + t as u64);
        let mut idx: Vec<usize> =
            rng::choose_distinct(&mut rng, all.len(), cfg.size).iter().map(|&i| all[i]).collect();
        idx.sort_unstable();
        let d: Dataset = digit_rows(which, &idx)?;
        let truth = d.labels.clone().unwrap_or_default();
        let prep = prepare(&d, true);
        let x = &prep.a;
        let kk = k.min(x.rows);
        let pp = best_of(x, cfg.ninit, |r| kmeans_pp(x, kk, r), &mut rng);
        runs.push(score(t, INITS[0], &truth, &pp, None));
        let rnd = best_of(x, cfg.ninit, |r| random_init(x, kk, r), &mut rng);
        runs.push(score(t, INITS[1], &truth, &rnd, None));
        let pca = pca_components(x, kk)
            .ok_or_else(|| RunError::Invalid("the PCA of a Table 1 subset did not converge".into()))?;
        let pca = if pca.rows < kk { kmeans_pp_from(x, &pca, kk, &mut rng) } else { pca };
        runs.push(score(t, INITS[2], &truth, &lloyd(x, &pca, 300, 1e-4), None));
        let tree = decompose(compute, &prep, &cfg.hhd, &mut rng, &mut |_, _| {}).await;
        let mut leaves: Vec<_> = tree.leaves().filter(|n| !n.prototype.is_empty()).collect();
        leaves.sort_by(|a, b| b.size.cmp(&a.size).then(a.id.cmp(&b.id)));
        let mut protos = Mat::zeros(leaves.len().min(kk), x.cols);
        for (j, n) in leaves.iter().take(kk).enumerate() {
            protos.row_mut(j).copy_from_slice(&n.prototype);
        }
        let init = if protos.rows < kk { kmeans_pp_from(x, &protos, kk, &mut rng) } else { protos };
        runs.push(score(t, INITS[3], &truth, &lloyd(x, &init, 300, 1e-4), Some(leaves.len())));
        progress(t + 1, cfg.subsets);
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pca_components_are_orthonormal_and_capture_variance() {
        let mut rng = seeded(3, 1);
        let mut x = Mat::zeros(200, 5);
        for r in 0..200 {
            let t = rng::normal(&mut rng) * 3.0;
            for j in 0..5 {
                x.data[r * 5 + j] = t * [1.0, 1.0, 0.0, 0.0, 0.0][j] + 0.1 * rng::normal(&mut rng);
            }
        }
        let c = pca_components(&x, 2).expect("converges");
        let d: f64 = c.row(0).iter().zip(c.row(1)).map(|(a, b)| a * b).sum();
        assert!(d.abs() < 1e-10);
        // The first component is (1, 1, 0, 0, 0)/√2, largest entry positive.
        assert!(
            (c.at(0, 0) - 0.5f64.sqrt()).abs() < 0.01 && (c.at(0, 1) - 0.5f64.sqrt()).abs() < 0.01,
            "{:?}",
            c.row(0)
        );
    }

    #[test]
    fn rows_average_over_subsets() {
        let mk = |v: f64| Run {
            subset: 0,
            init: "random",
            v_measure: v,
            ari: 0.0,
            ami: 0.0,
            inertia: 0.0,
            iterations: 1,
            leaves: None,
        };
        let r = rows(&[mk(0.2), mk(0.4)]);
        let random = r.iter().find(|x| x.init == "random").expect("row");
        assert!((random.v_measure_mean - 0.3).abs() < 1e-12 && (random.v_measure_std - 0.1).abs() < 1e-12);
        assert_eq!(random.paper_v_measure_mean, 0.514);
    }
}
