//! External clustering scores, as scikit-learn defines them (natural logarithms):
//! V-measure (Rosenberg & Hirschberg 2007, β = 1), the adjusted Rand index (Hubert & Arabie,
//! via the pair-confusion matrix) and the adjusted mutual information with the arithmetic-
//! mean normaliser (Vinh, Epps & Bailey 2010). Tested against scikit-learn's values.

use std::collections::BTreeMap;

/// The contingency table of two labelings: row sums `a` (true classes), column sums `b`
/// (clusters) and the non-zero cells `n_ij`.
struct Contingency {
    n: f64,
    a: Vec<f64>,
    b: Vec<f64>,
    cells: Vec<(usize, usize, f64)>,
}

fn contingency(truth: &[i64], pred: &[i64]) -> Contingency {
    let index = |xs: &[i64]| {
        let mut m = BTreeMap::new();
        for &x in xs {
            let k = m.len();
            m.entry(x).or_insert(k);
        }
        m
    };
    let (ti, pi) = (index(truth), index(pred));
    let mut cells: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    let (mut a, mut b) = (vec![0.0; ti.len()], vec![0.0; pi.len()]);
    for (t, p) in truth.iter().zip(pred) {
        let (i, j) = (ti[t], pi[p]);
        *cells.entry((i, j)).or_default() += 1.0;
        a[i] += 1.0;
        b[j] += 1.0;
    }
    Contingency {
        n: truth.len().min(pred.len()) as f64,
        a,
        b,
        cells: cells.into_iter().map(|((i, j), v)| (i, j, v)).collect(),
    }
}

fn entropy(counts: &[f64], n: f64) -> f64 {
    counts.iter().filter(|&&c| c > 0.0).map(|&c| -(c / n) * (c / n).ln()).sum()
}

fn mutual_info(c: &Contingency) -> f64 {
    let n = c.n;
    let mi: f64 =
        c.cells.iter().map(|&(i, j, nij)| (nij / n) * ((nij * n).ln() - (c.a[i] * c.b[j]).ln())).sum();
    mi.max(0.0)
}

/// V-measure, the harmonic mean of homogeneity and completeness (β = 1).
pub fn v_measure(truth: &[i64], pred: &[i64]) -> f64 {
    if truth.is_empty() {
        return 1.0;
    }
    let c = contingency(truth, pred);
    let (hc, hk) = (entropy(&c.a, c.n), entropy(&c.b, c.n));
    let mi = mutual_info(&c);
    let h = if hc > 0.0 { mi / hc } else { 1.0 };
    let k = if hk > 0.0 { mi / hk } else { 1.0 };
    if h + k == 0.0 { 0.0 } else { 2.0 * h * k / (h + k) }
}

/// Adjusted Rand index.
pub fn ari(truth: &[i64], pred: &[i64]) -> f64 {
    let c = contingency(truth, pred);
    let n = c.n;
    // Pair-confusion matrix (scikit-learn's pair_confusion_matrix, counts of ordered pairs).
    let sum_sq: f64 = c.cells.iter().map(|&(_, _, v)| v * v).sum();
    let sa: f64 = c.a.iter().map(|v| v * v).sum();
    let sb: f64 = c.b.iter().map(|v| v * v).sum();
    let tp = sum_sq - n;
    let fp = sb - sum_sq;
    let fnn = sa - sum_sq;
    let tn = n * n - fp - fnn - sum_sq;
    if fnn == 0.0 && fp == 0.0 {
        return 1.0;
    }
    2.0 * (tp * tn - fnn * fp) / ((tp + fnn) * (fnn + tn) + (tp + fp) * (fp + tn))
}

fn lgamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// The expected mutual information of two labelings with these marginals under the
/// permutation model (scikit-learn's `expected_mutual_information`).
fn expected_mutual_info(c: &Contingency) -> f64 {
    if c.a.len() == 1 || c.b.len() == 1 {
        return 0.0;
    }
    let n = c.n;
    let top = c.a.iter().chain(&c.b).copied().fold(0.0f64, f64::max) as usize;
    let gln_n = lgamma(n + 1.0);
    let mut emi = 0.0;
    for &ai in &c.a {
        for &bj in &c.b {
            let start = (ai - n + bj).max(1.0) as usize;
            let end = ai.min(bj) as usize;
            let fixed =
                lgamma(ai + 1.0) + lgamma(bj + 1.0) + lgamma(n - ai + 1.0) + lgamma(n - bj + 1.0) - gln_n;
            for nij in start..=end.min(top) {
                let v = nij as f64;
                let term1 = v / n;
                let term2 = (n * v).ln() - ai.ln() - bj.ln();
                let gln = fixed
                    - lgamma(v + 1.0)
                    - lgamma(ai - v + 1.0)
                    - lgamma(bj - v + 1.0)
                    - lgamma(n - ai - bj + v + 1.0);
                emi += term1 * term2 * gln.exp();
            }
        }
    }
    emi
}

/// Adjusted mutual information, arithmetic-mean normalisation.
pub fn ami(truth: &[i64], pred: &[i64]) -> f64 {
    let c = contingency(truth, pred);
    if (c.a.len() == 1 && c.b.len() == 1) || (c.a.is_empty() && c.b.is_empty()) {
        return 1.0;
    }
    let mi = mutual_info(&c);
    let emi = expected_mutual_info(&c);
    let (hu, hv) = (entropy(&c.a, c.n), entropy(&c.b, c.n));
    let normalizer = (hu + hv) / 2.0;
    let mut denom = normalizer - emi;
    let eps = f64::EPSILON;
    denom = if denom < 0.0 { denom.min(-eps) } else { denom.max(eps) };
    (mi - emi) / denom
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Label pairs and scikit-learn's scores (`crate/scripts/hhd_sklearn_fixtures.py`).
    const FIXTURE: &str = include_str!("fixtures/sklearn.json");

    #[test]
    fn scores_match_scikit_learn() {
        let f: serde_json::Value = serde_json::from_str(FIXTURE).expect("fixture parses");
        let cases = f["metrics"].as_array().expect("cases");
        assert!(cases.len() >= 10);
        let ints = |v: &serde_json::Value| -> Vec<i64> {
            v.as_array().map(|a| a.iter().filter_map(|x| x.as_i64()).collect()).unwrap_or_default()
        };
        for (k, c) in cases.iter().enumerate() {
            let (t, p) = (ints(&c["truth"]), ints(&c["pred"]));
            for (name, got) in [("v_measure", v_measure(&t, &p)), ("ari", ari(&t, &p)), ("ami", ami(&t, &p))]
            {
                let want = c[name].as_f64().expect("number");
                assert!((got - want).abs() < 1e-10, "case {k} {name}: {got} vs scikit-learn {want}");
            }
        }
    }

    #[test]
    fn identical_labelings_score_one_up_to_renaming() {
        let t = [0, 0, 1, 1, 2, 2, 2];
        let p = [5, 5, 3, 3, 9, 9, 9];
        assert!((v_measure(&t, &p) - 1.0).abs() < 1e-12);
        assert!((ari(&t, &p) - 1.0).abs() < 1e-12);
        assert!((ami(&t, &p) - 1.0).abs() < 1e-12);
    }
}
