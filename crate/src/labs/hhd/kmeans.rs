//! k-means for Table 1: Lloyd's algorithm as scikit-learn runs it (`algorithm="lloyd"`,
//! `max_iter = 300`, `tol = 1e-4` scaled by the mean feature variance, stop on unchanged
//! labels or a small total squared centre shift, empty clusters re-seeded with the points
//! farthest from their centres, a final relabelling), and its initialisations: random
//! rows, greedy k-means++ (2 + ⌊ln k⌋ local trials, as scikit-learn), and given centres
//! (PCA components, HHD prototypes). The random draws are our own seeded ones, so the
//! random and k-means++ runs are not scikit-learn's runs, only the same procedure.

use crate::compute::Mat;
use crate::rng::{self, Rng};

/// A k-means result.
#[derive(Debug, Clone)]
pub struct KMeans {
    pub labels: Vec<usize>,
    pub centres: Mat<f64>,
    pub inertia: f64,
    pub iterations: usize,
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn nearest(x: &[f64], c: &Mat<f64>) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for j in 0..c.rows {
        let d = sq_dist(x, c.row(j));
        if d < best.1 {
            best = (j, d);
        }
    }
    best
}

/// Lloyd iterations from `init` (`k × M`) on the rows of `x`.
pub fn lloyd(x: &Mat<f64>, init: &Mat<f64>, max_iter: usize, tol: f64) -> KMeans {
    let (n, m, k) = (x.rows, x.cols, init.rows);
    // scikit-learn: tol · mean of the per-feature variances.
    let mut var_sum = 0.0;
    for j in 0..m {
        let mean = (0..n).map(|r| x.at(r, j)).sum::<f64>() / n.max(1) as f64;
        var_sum += (0..n).map(|r| (x.at(r, j) - mean).powi(2)).sum::<f64>() / n.max(1) as f64;
    }
    let tol = tol * var_sum / m.max(1) as f64;
    let mut centres = init.clone();
    let mut labels = vec![usize::MAX; n];
    let mut strict = false;
    let mut iterations = 0;
    for _ in 0..max_iter {
        iterations += 1;
        let old_labels = labels.clone();
        let mut dist = vec![0.0; n];
        for r in 0..n {
            let (j, d) = nearest(x.row(r), &centres);
            labels[r] = j;
            dist[r] = d;
        }
        let mut sums = Mat::zeros(k, m);
        let mut counts = vec![0.0f64; k];
        for r in 0..n {
            counts[labels[r]] += 1.0;
            for (s, &v) in sums.row_mut(labels[r]).iter_mut().zip(x.row(r)) {
                *s += v;
            }
        }
        let empty: Vec<usize> = (0..k).filter(|&j| counts[j] == 0.0).collect();
        if !empty.is_empty() {
            // Re-seed each empty cluster with one of the points farthest from their centres.
            let mut far: Vec<usize> = (0..n).collect();
            far.sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
            for (&j, &r) in empty.iter().zip(&far) {
                let old = labels[r];
                for (s, &v) in sums.row_mut(old).iter_mut().zip(x.row(r)) {
                    *s -= v;
                }
                counts[old] -= 1.0;
                sums.row_mut(j).copy_from_slice(x.row(r));
                counts[j] = 1.0;
            }
        }
        let mut shift = 0.0;
        for (j, &cnt) in counts.iter().enumerate() {
            if cnt > 0.0 {
                let c: Vec<f64> = sums.row(j).iter().map(|s| s / cnt).collect();
                shift += sq_dist(&c, centres.row(j));
                centres.row_mut(j).copy_from_slice(&c);
            }
        }
        if labels == old_labels {
            strict = true;
            break;
        }
        if shift <= tol {
            break;
        }
    }
    if !strict {
        for (r, l) in labels.iter_mut().enumerate() {
            *l = nearest(x.row(r), &centres).0;
        }
    }
    let inertia = (0..n).map(|r| sq_dist(x.row(r), centres.row(labels[r]))).sum();
    KMeans { labels, centres, inertia, iterations }
}

/// `k` distinct random rows as centres.
pub fn random_init(x: &Mat<f64>, k: usize, rng: &mut Rng) -> Mat<f64> {
    let idx = rng::choose_distinct(rng, x.rows, k);
    rows(x, &idx)
}

fn rows(x: &Mat<f64>, idx: &[usize]) -> Mat<f64> {
    let mut c = Mat::zeros(idx.len(), x.cols);
    for (j, &i) in idx.iter().enumerate() {
        c.row_mut(j).copy_from_slice(x.row(i));
    }
    c
}

/// Greedy k-means++ (Arthur & Vassilvitskii 2007; scikit-learn's variant): the first centre
/// uniformly, each next one the best of `2 + ⌊ln k⌋` candidates drawn with probability
/// ∝ D² (squared distance to the nearest centre chosen so far).
pub fn kmeans_pp(x: &Mat<f64>, k: usize, rng: &mut Rng) -> Mat<f64> {
    kmeans_pp_from(x, &Mat::zeros(0, x.cols), k, rng)
}

/// Greedy k-means++ that keeps the centres `given` and adds `k − given.rows` more.
pub fn kmeans_pp_from(x: &Mat<f64>, given: &Mat<f64>, k: usize, rng: &mut Rng) -> Mat<f64> {
    let n = x.rows;
    let mut centres: Vec<Vec<f64>> = (0..given.rows).map(|j| given.row(j).to_vec()).collect();
    if n == 0 {
        return Mat::zeros(0, x.cols);
    }
    if centres.is_empty() && k > 0 {
        centres.push(x.row(rng::index(rng, n)).to_vec());
    }
    let mut closest: Vec<f64> =
        (0..n).map(|r| centres.iter().map(|c| sq_dist(x.row(r), c)).fold(f64::INFINITY, f64::min)).collect();
    let trials = 2 + (k.max(1) as f64).ln() as usize;
    while centres.len() < k {
        let pot: f64 = closest.iter().sum();
        let mut cum = Vec::with_capacity(n);
        let mut acc = 0.0;
        for &d in &closest {
            acc += d;
            cum.push(acc);
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let v = rng::uniform(rng) * pot;
            let cand = cum.partition_point(|&c| c < v).min(n - 1);
            let d: Vec<f64> = (0..n).map(|r| closest[r].min(sq_dist(x.row(r), x.row(cand)))).collect();
            let p: f64 = d.iter().sum();
            if best.as_ref().is_none_or(|b| p < b.0) {
                best = Some((p, cand, d));
            }
        }
        let Some((_, cand, d)) = best else { break };
        closest = d;
        centres.push(x.row(cand).to_vec());
    }
    let mut out = Mat::zeros(centres.len(), x.cols);
    for (j, c) in centres.iter().enumerate() {
        out.row_mut(j).copy_from_slice(c);
    }
    out
}

/// The best (lowest inertia) of `runs` k-means runs from `init(rng)`.
pub fn best_of(
    x: &Mat<f64>,
    runs: usize,
    mut init: impl FnMut(&mut Rng) -> Mat<f64>,
    rng: &mut Rng,
) -> KMeans {
    let mut best: Option<KMeans> = None;
    for _ in 0..runs.max(1) {
        let c = init(rng);
        let r = lloyd(x, &c, 300, 1e-4);
        if best.as_ref().is_none_or(|b| r.inertia < b.inertia) {
            best = Some(r);
        }
    }
    best.unwrap_or_else(|| lloyd(x, &init(rng), 300, 1e-4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    const FIXTURE: &str = include_str!("fixtures/sklearn.json");

    fn mat(v: &serde_json::Value) -> Mat<f64> {
        let rows: Vec<Vec<f64>> = v
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| {
                        r.as_array()
                            .map(|x| x.iter().filter_map(|y| y.as_f64()).collect())
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let cols = rows.first().map_or(0, Vec::len);
        Mat { rows: rows.len(), cols, data: rows.concat() }
    }

    #[test]
    fn lloyd_matches_scikit_learn_from_given_centres() {
        let f: serde_json::Value = serde_json::from_str(FIXTURE).expect("fixture parses");
        let cases = f["kmeans"].as_array().expect("cases");
        assert!(!cases.is_empty());
        for (i, c) in cases.iter().enumerate() {
            let (x, init) = (mat(&c["x"]), mat(&c["init"]));
            let r = lloyd(&x, &init, 300, 1e-4);
            let want: Vec<usize> = c["labels"]
                .as_array()
                .expect("labels")
                .iter()
                .filter_map(|v| v.as_u64())
                .map(|v| v as usize)
                .collect();
            assert_eq!(r.labels, want, "case {i}: labels");
            let inertia = c["inertia"].as_f64().expect("inertia");
            assert!(
                (r.inertia - inertia).abs() < 1e-9 * inertia.max(1.0),
                "case {i}: {} vs {inertia}",
                r.inertia
            );
            let centres = mat(&c["centres"]);
            assert!(r.centres.max_abs_diff(&centres) < 1e-9, "case {i}: centres");
        }
    }

    #[test]
    fn kmeans_pp_spreads_the_centres() {
        // Three tight, far-apart blobs: k-means++ puts one centre in each (D² sampling makes a
        // second centre in the same blob vanishingly unlikely); random rows often do not.
        let mut rng = seeded(9, 1);
        let mut x = Mat::zeros(300, 2);
        for r in 0..300 {
            let c = (r % 3) as f64 * 100.0;
            x.data[2 * r] = c + rng::normal(&mut rng) * 0.1;
            x.data[2 * r + 1] = rng::normal(&mut rng) * 0.1;
        }
        for t in 0..20 {
            let c = kmeans_pp(&x, 3, &mut seeded(t, 2));
            let mut blobs: Vec<i64> = (0..3).map(|j| (c.at(j, 0) / 100.0).round() as i64).collect();
            blobs.sort_unstable();
            assert_eq!(blobs, vec![0, 1, 2], "seed {t}: {:?}", c.data);
        }
    }

    #[test]
    fn empty_clusters_are_reseeded() {
        // Two centres far from all data: one cluster would be empty.
        let x = Mat { rows: 4, cols: 1, data: vec![0.0, 0.1, 10.0, 10.1] };
        let init = Mat { rows: 2, cols: 1, data: vec![-100.0, -99.0] };
        let r = lloyd(&x, &init, 300, 1e-4);
        let mut l = r.labels.clone();
        l.dedup();
        assert_eq!(l.len(), 2, "{:?}", r.labels);
        assert!(r.inertia < 0.02, "{}", r.inertia);
    }
}
