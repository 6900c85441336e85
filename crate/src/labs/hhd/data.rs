//! The lab's data: digit images (MNIST, 8×8 digits), the synthetic spiked-covariance
//! generator with its known planted signals, a visitor's CSV file, and the preprocessing
//! (drop constant features, centre, scale to unit variance).
//!
//! Samples are the rows of [`Dataset::x`] (`N × M`); the paper's data matrix is its
//! transpose `A = xᵀ` (`M × N`, samples as columns).

use super::params::{MAX_FEATURES, MAX_SAMPLES, classes};
use crate::compute::Mat;
use crate::data;
use crate::labs::RunError;
use crate::params::Params;
use crate::rng::{self, Rng, seeded};

/// RNG stream of the data draws (sample choice, synthetic noise).
pub const STREAM_DATA: u64 = 1;

/// A data set: samples as rows, with what is known about them.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// `N × M` raw values (pixels 0..255 / 0..16, synthetic draws, CSV numbers).
    pub x: Mat<f64>,
    /// Class of each sample, when known (digits; a CSV `label` column).
    pub labels: Option<Vec<i64>>,
    /// Index of each sample in its source (MNIST / 8×8 digit index, CSV data row).
    pub source: Vec<usize>,
    /// Pixels per image row; 0 when the features are not an image.
    pub width: usize,
    /// The value of a white pixel (255 MNIST, 16 for 8×8 digits), or 1.
    pub scale: f64,
    /// Synthetic data: the planted unit signals `u_l` (`r × M`) and their strengths θ_l.
    pub planted: Option<(Mat<f64>, Vec<f64>)>,
}

impl Dataset {
    pub fn samples(&self) -> usize {
        self.x.rows
    }

    pub fn features(&self) -> usize {
        self.x.cols
    }

    /// The rows `idx` as a new data set.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        let mut x = Mat::zeros(idx.len(), self.x.cols);
        for (r, &i) in idx.iter().enumerate() {
            x.row_mut(r).copy_from_slice(self.x.row(i));
        }
        Dataset {
            x,
            labels: self.labels.as_ref().map(|l| idx.iter().map(|&i| l[i]).collect()),
            source: idx.iter().map(|&i| self.source[i]).collect(),
            width: self.width,
            scale: self.scale,
            planted: self.planted.clone(),
        }
    }
}

/// `count` samples spread evenly over `classes` (remainder to the first classes), drawn
/// without replacement from each class, in class order.
fn draw_by_class(by_class: &[Vec<usize>], classes: &[u8], count: usize, rng: &mut Rng) -> Vec<usize> {
    let k = classes.len().max(1);
    let mut out = Vec::with_capacity(count);
    for (j, &c) in classes.iter().enumerate() {
        let want = count / k + usize::from(j < count % k);
        let pool = &by_class[usize::from(c)];
        let picks = rng::choose_distinct(rng, pool.len(), want);
        let mut chosen: Vec<usize> = picks.into_iter().map(|i| pool[i]).collect();
        chosen.sort_unstable();
        out.extend(chosen);
    }
    out
}

/// Indices of every digit of `classes` in the data set `which` (`mnist` or `digits8`), by class.
pub fn digit_pool(which: &str, classes: &[u8]) -> Result<Vec<Vec<usize>>, RunError> {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); 10];
    if which == "mnist" {
        let m = data::mnist()?;
        for c in 0..10u8 {
            by_class[usize::from(c)] = m.class_indices(c);
        }
    } else {
        for (i, d) in data::digits().iter().enumerate() {
            by_class[usize::from(d.label.min(9))].push(i);
        }
    }
    for (c, v) in by_class.iter_mut().enumerate() {
        if !classes.contains(&(c as u8)) {
            v.clear();
        }
    }
    Ok(by_class)
}

/// The digits `idx` of the data set `which` (`mnist` or `digits8`).
pub fn digit_rows(which: &str, idx: &[usize]) -> Result<Dataset, RunError> {
    if which == "mnist" {
        let m = data::mnist()?;
        let mut x = Mat::zeros(idx.len(), data::MNIST_PIXELS);
        for (r, &i) in idx.iter().enumerate() {
            for (v, &p) in x.row_mut(r).iter_mut().zip(m.pixels(i)) {
                *v = f64::from(p);
            }
        }
        let labels = idx.iter().map(|&i| i64::from(m.label(i))).collect();
        return Ok(Dataset {
            x,
            labels: Some(labels),
            source: idx.to_vec(),
            width: data::MNIST_SIDE,
            scale: 255.0,
            planted: None,
        });
    }
    let all = data::digits();
    let mut x = Mat::zeros(idx.len(), 64);
    for (r, &i) in idx.iter().enumerate() {
        for (v, &p) in x.row_mut(r).iter_mut().zip(&all[i].pixels) {
            *v = f64::from(p);
        }
    }
    let labels = idx.iter().map(|&i| i64::from(all[i].label)).collect();
    Ok(Dataset { x, labels: Some(labels), source: idx.to_vec(), width: 8, scale: 16.0, planted: None })
}

/// Digit data (`mnist` or `digits8`): `count` samples of `classes`.
pub fn digits(which: &str, classes: &[u8], count: usize, rng: &mut Rng) -> Result<Dataset, RunError> {
    let by_class = digit_pool(which, classes)?;
    let idx = draw_by_class(&by_class, classes, count, rng);
    digit_rows(which, &idx)
}

/// Settings of the synthetic spiked-covariance generator.
#[derive(Debug, Clone, Copy)]
pub struct Synthetic {
    /// Features (neurons) M.
    pub n: usize,
    /// Samples N.
    pub samples: usize,
    /// Planted rank r.
    pub rank: usize,
    /// Strength θ of the strongest signal.
    pub strength: f64,
    /// Signal l has θ_l = θ·(1 − spread·l/(r−1)).
    pub spread: f64,
    /// Cosine between every two planted signals, in [0, 1).
    pub rho: f64,
}

impl Synthetic {
    /// The strengths θ_l, strongest first.
    pub fn strengths(&self) -> Vec<f64> {
        let r = self.rank;
        (0..r)
            .map(|l| {
                let t = if r > 1 { l as f64 / (r - 1) as f64 } else { 0.0 };
                self.strength * (1.0 - self.spread * t)
            })
            .collect()
    }
}

/// Orthonormal rows: Gram–Schmidt (twice, for stability) of `k` Gaussian vectors in `R^n`.
fn orthonormal(k: usize, n: usize, rng: &mut Rng) -> Mat<f64> {
    let mut q = Mat::zeros(k, n);
    for i in 0..k {
        let mut v: Vec<f64> = (0..n).map(|_| rng::normal(rng)).collect();
        for _ in 0..2 {
            for j in 0..i {
                let d: f64 = v.iter().zip(q.row(j)).map(|(a, b)| a * b).sum();
                for (a, b) in v.iter_mut().zip(q.row(j)) {
                    *a -= d * b;
                }
            }
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt().max(1e-300);
        for (a, b) in q.row_mut(i).iter_mut().zip(&v) {
            *a = b / norm;
        }
    }
    q
}

/// The spiked covariance model (eqs. 4–5 of the source): `a = z + Σ_l √θ_l y_l u_l` with
/// `z ~ N(0, I_M)`, `y_l ~ N(0, 1)`, unit signals with `⟨u_l, u_m⟩ = ρ` built as
/// `u_l = √(1−ρ) e_l + √ρ c` from orthonormal `e_1…e_r, c`. Population covariance
/// `Σ = I + Σ_l θ_l u_l u_lᵀ`. Needs `rank + 1 ≤ n` when ρ > 0 (else `rank ≤ n`).
pub fn synthetic(s: &Synthetic, rng: &mut Rng) -> Result<Dataset, RunError> {
    let r = s.rank;
    let extra = usize::from(s.rho > 0.0 && r > 1);
    if r + extra > s.n {
        return Err(RunError::Invalid(format!(
            "rank={r} planted signals{} need more than n={} features",
            if extra == 1 { " with ρ > 0" } else { "" },
            s.n
        )));
    }
    let basis = orthonormal(r + extra, s.n, rng);
    let mut u = Mat::zeros(r, s.n);
    for l in 0..r {
        for i in 0..s.n {
            u.data[l * s.n + i] = if extra == 1 {
                (1.0 - s.rho).sqrt() * basis.at(l, i) + s.rho.sqrt() * basis.at(r, i)
            } else {
                basis.at(l, i)
            };
        }
    }
    let theta = s.strengths();
    let mut x = Mat::zeros(s.samples, s.n);
    for k in 0..s.samples {
        let row = x.row_mut(k);
        for v in row.iter_mut() {
            *v = rng::normal(rng);
        }
        for (l, &th) in theta.iter().enumerate() {
            let y = rng::normal(rng) * th.sqrt();
            for (v, &ul) in row.iter_mut().zip(u.row(l)) {
                *v += y * ul;
            }
        }
    }
    Ok(Dataset {
        x,
        labels: None,
        source: (0..s.samples).collect(),
        width: 0,
        scale: 1.0,
        planted: Some((u, theta)),
    })
}

/// Parse a CSV of samples as rows: numbers separated by commas (or semicolons or tabs),
/// an optional header line (any non-numeric field), and an optional column named `label`
/// or `class` holding integer classes. Every row must have as many fields as the first;
/// NaN, infinities and empty cells are refused with their row and column; at most
/// 4,000 samples and 1,024 features, at least 2 of each.
pub fn from_csv(text: &str) -> Result<Dataset, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<(usize, &str)> =
        text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty()).collect();
    let Some(&(_, first)) = lines.first() else {
        return Err("the file is empty: expected samples as rows of numbers separated by commas".into());
    };
    let sep = if first.contains(',') {
        ','
    } else if first.contains(';') {
        ';'
    } else if first.contains('\t') {
        '\t'
    } else {
        ','
    };
    let split =
        |l: &str| -> Vec<String> { l.split(sep).map(|f| f.trim().trim_matches('"').to_string()).collect() };
    let head = split(first);
    let header = head.iter().any(|f| f.parse::<f64>().is_err());
    let label_col = if header {
        head.iter().position(|f| f.eq_ignore_ascii_case("label") || f.eq_ignore_ascii_case("class"))
    } else {
        None
    };
    let cols = head.len();
    let features = cols - usize::from(label_col.is_some());
    let rows = &lines[usize::from(header)..];
    if rows.len() > MAX_SAMPLES as usize {
        return Err(format!(
            "the file has {} samples (rows); this lab holds at most {MAX_SAMPLES} (the batched recall keeps three samples × features matrices in memory)",
            rows.len()
        ));
    }
    if features > MAX_FEATURES {
        return Err(format!(
            "the file has {features} features (columns); this lab holds at most {MAX_FEATURES}"
        ));
    }
    if rows.len() < 2 || features < 2 {
        return Err(format!(
            "the file has {} samples and {features} features; at least 2 of each are needed (samples as rows)",
            rows.len()
        ));
    }
    let mut x = Mat::zeros(rows.len(), features);
    let mut labels = Vec::with_capacity(rows.len());
    for (r, &(line_no, line)) in rows.iter().enumerate() {
        let fields = split(line);
        if fields.len() != cols {
            return Err(format!("line {line_no} has {} values, but the first line has {cols}", fields.len()));
        }
        let mut k = 0;
        for (c, f) in fields.iter().enumerate() {
            let v = f.parse::<f64>().map_err(|_| {
                if f.is_empty() {
                    format!("line {line_no}, column {}: empty cell (missing values are not supported)", c + 1)
                } else {
                    format!("line {line_no}, column {}: {:?} is not a number", c + 1, truncate(f, 20))
                }
            })?;
            if !v.is_finite() {
                return Err(format!(
                    "line {line_no}, column {}: {f} is not a finite number (remove or impute missing values)",
                    c + 1
                ));
            }
            if Some(c) == label_col {
                if v.fract() != 0.0 || v.abs() > 1e9 {
                    return Err(format!("line {line_no}: the label {f} is not an integer class"));
                }
                labels.push(v as i64);
            } else {
                x.data[r * features + k] = v;
                k += 1;
            }
        }
    }
    let side = (features as f64).sqrt().round() as usize;
    Ok(Dataset {
        x,
        labels: label_col.map(|_| labels),
        source: (0..rows.len()).collect(),
        width: if side * side == features && side >= 4 { side } else { 0 },
        scale: 1.0,
        planted: None,
    })
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Keep a CSV for `data=csv` (replacing any earlier one) as the visitor's file; returns its
/// shape, or why it cannot be used.
pub fn provide_csv(text: &str) -> Result<(usize, usize), String> {
    let d = from_csv(text)?;
    crate::data::set_user_file("data.csv", text.as_bytes().to_vec());
    Ok((d.samples(), d.features()))
}

/// The visitor's CSV, parsed (the page hands the file to each worker; the CLI takes `--data`).
fn provided_csv() -> Result<Dataset, RunError> {
    let file = crate::data::user_file().ok_or_else(|| {
        RunError::Invalid(
            "data=csv: this link uses a CSV file that stays on the machine that loaded it; load one here with \"Load data…\" (samples as rows, numbers separated by commas), or choose another data set".into(),
        )
    })?;
    let text = std::str::from_utf8(&file.bytes)
        .map_err(|_| RunError::Invalid(format!("{} is not a text (CSV) file", file.name)))?;
    from_csv(text).map_err(|e| RunError::Invalid(format!("{}: {e}", file.name)))
}

/// The data set a link describes (before preprocessing).
pub fn load(p: &Params) -> Result<Dataset, RunError> {
    let mut rng = seeded(p.seed(), STREAM_DATA);
    let count = p.usize("samples");
    match p.choice("data") {
        "synthetic" => synthetic(&synthetic_settings(p), &mut rng),
        "csv" => {
            let d = provided_csv()?;
            if d.samples() <= count {
                return Ok(d);
            }
            let mut idx = rng::choose_distinct(&mut rng, d.samples(), count);
            idx.sort_unstable();
            Ok(d.subset(&idx))
        }
        which => digits(which, &classes(p), count, &mut rng),
    }
}

/// The generator settings of a link.
pub fn synthetic_settings(p: &Params) -> Synthetic {
    Synthetic {
        n: p.usize("n"),
        samples: p.usize("samples"),
        rank: p.usize("rank"),
        strength: p.float("strength"),
        spread: p.float("spread"),
        rho: p.float("rho"),
    }
}

/// Data after preprocessing, with the map back to the original features.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// `N × M'` (rows = samples), M' = kept features.
    pub a: Mat<f64>,
    /// Original index of each kept feature.
    pub kept: Vec<usize>,
    /// Number of original features.
    pub full: usize,
}

impl Prepared {
    /// A vector over the kept features spread back over all features (`fill` elsewhere).
    pub fn to_full(&self, v: &[f64], fill: f64) -> Vec<f64> {
        let mut out = vec![fill; self.full];
        for (&k, &x) in self.kept.iter().zip(v) {
            out[k] = x;
        }
        out
    }

    /// The rows `idx` (samples of a node).
    pub fn rows(&self, idx: &[usize]) -> Mat<f64> {
        let m = self.a.cols;
        let mut out = Mat::zeros(idx.len(), m);
        for (r, &i) in idx.iter().enumerate() {
            out.row_mut(r).copy_from_slice(self.a.row(i));
        }
        out
    }
}

/// `standard`: drop features that are constant over the samples, centre each feature and
/// scale it to unit variance (population variance, 1/N, so the Hebbian `W = AAᵀ/N − I` has
/// a zero diagonal); `none`: raw values divided by the white level (pixels in [0, 1]),
/// every feature kept.
pub fn prepare(d: &Dataset, standard: bool) -> Prepared {
    let (n, m) = (d.x.rows, d.x.cols);
    if !standard {
        let mut a = d.x.clone();
        for v in &mut a.data {
            *v /= d.scale;
        }
        return Prepared { a, kept: (0..m).collect(), full: m };
    }
    let mut mean = vec![0.0; m];
    for r in 0..n {
        for (s, &v) in mean.iter_mut().zip(d.x.row(r)) {
            *s += v;
        }
    }
    for s in &mut mean {
        *s /= n.max(1) as f64;
    }
    let mut var = vec![0.0; m];
    for r in 0..n {
        for ((s, &v), &mu) in var.iter_mut().zip(d.x.row(r)).zip(&mean) {
            *s += (v - mu) * (v - mu);
        }
    }
    let scale = d.x.data.iter().fold(0.0f64, |a, v| a.max(v.abs())).max(1e-300);
    let kept: Vec<usize> = (0..m).filter(|&j| (var[j] / n.max(1) as f64).sqrt() > 1e-12 * scale).collect();
    let mut a = Mat::zeros(n, kept.len());
    for r in 0..n {
        for (k, &j) in kept.iter().enumerate() {
            let sd = (var[j] / n as f64).sqrt();
            a.data[r * kept.len() + k] = (d.x.at(r, j) - mean[j]) / sd;
        }
    }
    Prepared { a, kept, full: m }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_reads_header_labels_and_separators() {
        let d = from_csv("a,b,label\n1,2,0\n3,4.5,1\n-1,0,1\n").expect("valid");
        assert_eq!((d.samples(), d.features()), (3, 2));
        assert_eq!(d.x.data, vec![1.0, 2.0, 3.0, 4.5, -1.0, 0.0]);
        assert_eq!(d.labels, Some(vec![0, 1, 1]));
        let d = from_csv("1;2;3\n4;5;6\n").expect("semicolons");
        assert_eq!((d.samples(), d.features(), d.labels.is_none()), (2, 3, true));
        let d = from_csv("1\t2\n3\t4\n").expect("tabs");
        assert_eq!(d.x.data, vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn csv_errors_name_the_problem() {
        let e = |t: &str| from_csv(t).expect_err("refused");
        assert!(e("").contains("empty"));
        assert!(e("1,2,3\n4,5\n").contains("line 2 has 2 values"), "{}", e("1,2,3\n4,5\n"));
        assert!(e("1,2\nNaN,3\n").contains("not a finite number"));
        assert!(e("1,2\n3,inf\n").contains("not a finite number"));
        assert!(e("1,2\n3,abc\n").contains("\"abc\" is not a number"));
        assert!(e("1,2\n3,\n").contains("empty cell"));
        assert!(e("1,2\n").contains("at least 2"));
        let many: String = (0..=MAX_SAMPLES).map(|i| format!("{i},1\n")).collect();
        assert!(e(&many).contains("at most 4000"), "{}", e(&many));
        let wide = (0..=MAX_FEATURES).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        assert!(e(&format!("{wide}\n{wide}\n")).contains("at most 1024"));
        assert!(e("x,y,label\n1,2,0.5\n2,3,1\n").contains("not an integer class"));
    }

    #[test]
    fn standardising_gives_zero_mean_unit_variance_and_drops_constants() {
        let d = from_csv("1,5,2\n3,5,4\n8,5,1\n").expect("valid");
        let p = prepare(&d, true);
        assert_eq!(p.kept, vec![0, 2]);
        for j in 0..2 {
            let col: Vec<f64> = (0..3).map(|r| p.a.at(r, j)).collect();
            let mean = col.iter().sum::<f64>() / 3.0;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0;
            assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12, "{mean} {var}");
        }
        assert_eq!(p.to_full(&[1.0, 2.0], 0.0), vec![1.0, 0.0, 2.0]);
    }

    #[test]
    fn planted_signals_are_unit_with_the_asked_correlation() {
        let s = Synthetic { n: 50, samples: 10, rank: 4, strength: 3.0, spread: 0.5, rho: 0.3 };
        let d = synthetic(&s, &mut seeded(1, 1)).expect("fits");
        let (u, theta) = d.planted.expect("planted");
        assert_eq!(theta, vec![3.0, 2.5, 2.0, 1.5]);
        for i in 0..4 {
            for j in 0..4 {
                let c: f64 = u.row(i).iter().zip(u.row(j)).map(|(a, b)| a * b).sum();
                let want = if i == j { 1.0 } else { 0.3 };
                assert!((c - want).abs() < 1e-12, "⟨u{i},u{j}⟩ = {c}");
            }
        }
    }

    #[test]
    fn synthetic_covariance_matches_the_population() {
        // Σ = I + θ u uᵀ: the sample variance along u is ≈ 1 + θ, across it ≈ 1.
        let s = Synthetic { n: 20, samples: 20_000, rank: 1, strength: 3.0, spread: 0.0, rho: 0.0 };
        let d = synthetic(&s, &mut seeded(2, 1)).expect("fits");
        let (u, _) = d.planted.expect("planted");
        let along: f64 = (0..s.samples)
            .map(|r| d.x.row(r).iter().zip(u.row(0)).map(|(a, b)| a * b).sum::<f64>().powi(2))
            .sum::<f64>()
            / s.samples as f64;
        assert!((along - 4.0).abs() < 0.15, "{along}");
    }

    #[test]
    fn digits_spread_evenly_over_classes() {
        let d = digits("digits8", &[1, 7], 11, &mut seeded(3, 1)).expect("shipped");
        let l = d.labels.expect("labels");
        assert_eq!(l.iter().filter(|&&c| c == 1).count(), 6);
        assert_eq!(l.iter().filter(|&&c| c == 7).count(), 5);
        let m = digits("mnist", &[0, 4, 6, 8], 280, &mut seeded(3, 1)).expect("embedded");
        assert_eq!((m.samples(), m.features(), m.width), (280, 784, 28));
    }
}
