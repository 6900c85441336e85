//! The points the lab clusters: a seeded Gaussian mixture, points drawn by hand, a
//! sample of an image's colours; the shipped sample image; and the parsers for a
//! visitor's own data (CSV points, PNG or RGBA images), tested natively.

// Index loops over parallel buffers read like the formulas.
#![allow(clippy::needless_range_loop)]

use crate::compute::Mat;
use crate::rng::{Rng, choose_distinct, normal};

/// The sample image (`crate/scripts/make_sample_image.py`): scikit-image's `coffee.png`
/// (CC0, photograph by Rachel Michetti, courtesy of Pikolo Espresso Bar), box-averaged
/// from 600×400 to 96×64, 8-bit RGB PNG.
static SAMPLE_PNG: &[u8] = include_bytes!("../../../assets/coffee96x64.png");

/// Credit line of the sample image.
pub const SAMPLE_CREDIT: &str = "coffee.png from scikit-image 0.26.0 (CC0, photograph by Rachel Michetti, courtesy of Pikolo Espresso Bar), box-averaged to 96×64";

/// Largest image clustered whole (pixels); larger ones are box-averaged down to fit.
pub const MAX_IMAGE_PIXELS: usize = 128 * 128;
/// Most points a CSV file may hold.
pub const MAX_CSV_POINTS: usize = 100_000;
/// Most coordinates per CSV point.
pub const MAX_CSV_DIM: usize = 64;

pub use crate::data::image::RgbImage;

/// A visitor's PNG as this lab clusters it: decoded, and box-averaged down to
/// [`MAX_IMAGE_PIXELS`] when larger (the notice says so).
pub fn read_png(bytes: &[u8]) -> Result<(RgbImage, Option<String>), String> {
    Ok(RgbImage::from_png(bytes)?.fit(MAX_IMAGE_PIXELS))
}

/// The shipped sample image (96×64).
pub fn sample_image() -> RgbImage {
    match read_png(SAMPLE_PNG) {
        Ok((img, _)) => img,
        // The asset is checked by a test; an unreadable one gives a grey image, not a panic.
        Err(_) => RgbImage { width: 96, height: 64, rgb: vec![128; 96 * 64 * 3] },
    }
}

/// Points from CSV text: one point per line, coordinates separated by commas (or
/// semicolons, tabs, spaces); a first line that is not numeric is a header. Every point
/// must have the same number of finite coordinates.
pub fn points_from_csv(text: &str) -> Result<Mat<f64>, String> {
    // A byte-order mark (spreadsheets write one) would make the first point look like a header.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> =
            line.split([',', ';', '\t', ' ']).map(str::trim).filter(|c| !c.is_empty()).collect();
        let parsed: Result<Vec<f64>, _> = cells.iter().map(|c| c.parse::<f64>()).collect();
        let values = match parsed {
            Ok(v) => v,
            Err(_) if rows.is_empty() && n == first_data_line(text) => continue, // a header
            Err(_) => return Err(format!("line {}: {line:?} is not a list of numbers", n + 1)),
        };
        if let Some(bad) = values.iter().position(|x| !x.is_finite()) {
            return Err(format!(
                "line {}: coordinate {} is {} (NaN or infinite)",
                n + 1,
                bad + 1,
                cells[bad]
            ));
        }
        if values.len() > MAX_CSV_DIM {
            return Err(format!("line {}: {} coordinates; at most {MAX_CSV_DIM}", n + 1, values.len()));
        }
        if let Some(first) = rows.first()
            && first.len() != values.len()
        {
            return Err(format!(
                "line {}: {} coordinates, but the first point has {}",
                n + 1,
                values.len(),
                first.len()
            ));
        }
        if rows.len() >= MAX_CSV_POINTS {
            return Err(format!("more than {MAX_CSV_POINTS} points"));
        }
        rows.push(values);
    }
    let d = rows.first().map_or(0, Vec::len);
    if rows.is_empty() || d == 0 {
        return Err("no points found (one point per line, coordinates separated by commas)".into());
    }
    Ok(Mat { rows: rows.len(), cols: d, data: rows.concat() })
}

fn first_data_line(text: &str) -> usize {
    text.lines().position(|l| !l.trim().is_empty() && !l.trim().starts_with('#')).unwrap_or(0)
}

/// `m` points in `d` dimensions from `blobs` Gaussian blobs: blob means drawn from
/// `N(0, 2² I)`, each point a uniformly chosen blob's mean plus `N(0, 0.5² I)`.
pub fn mixture(rng: &mut Rng, m: usize, d: usize, blobs: usize) -> Mat<f64> {
    let blobs = blobs.max(1);
    let means: Vec<f64> = (0..blobs * d).map(|_| 2.0 * normal(rng)).collect();
    let mut data = Vec::with_capacity(m * d);
    for _ in 0..m {
        let b = crate::rng::index(rng, blobs);
        for t in 0..d {
            data.push(means[b * d + t] + 0.5 * normal(rng));
        }
    }
    Mat { rows: m, cols: d, data }
}

/// Initial centres by k-means++ seeding (the first a uniformly drawn point, each next one
/// a point drawn with probability proportional to its squared distance to the nearest
/// centre so far), each then moved by `N(0, (0.01·σ)² I)` with `σ` the points' RMS
/// distance from their mean, so that no centre starts exactly on a point (the distance
/// `‖w − c‖` has no derivative at 0). They do not depend on the points afterwards: the
/// gradients treat them as constants. Needs `1 ≤ k ≤ m`; coincident points may repeat.
pub fn initial_centres(rng: &mut Rng, w: &Mat<f64>, k: usize) -> Vec<f64> {
    let (m, d) = (w.rows, w.cols);
    let sigma = spread(w).max(1e-6);
    if m == 0 {
        return vec![0.0; k * d];
    }
    let dist2 = |i: usize, j: usize| (0..d).map(|t| (w.at(i, t) - w.at(j, t)).powi(2)).sum::<f64>();
    let mut picks = vec![crate::rng::index(rng, m)];
    let mut near: Vec<f64> = (0..m).map(|i| dist2(i, picks[0])).collect();
    while picks.len() < k {
        let total: f64 = near.iter().sum();
        let next = if total > 0.0 {
            let target = crate::rng::uniform(rng) * total;
            let mut acc = 0.0;
            (0..m)
                .find(|&i| {
                    acc += near[i];
                    acc > target && near[i] > 0.0
                })
                .unwrap_or(m - 1)
        } else {
            crate::rng::index(rng, m)
        };
        picks.push(next);
        for i in 0..m {
            near[i] = near[i].min(dist2(i, next));
        }
    }
    let mut c = Vec::with_capacity(k * d);
    for &i in &picks {
        for t in 0..d {
            c.push(w.at(i, t) + 0.01 * sigma * normal(rng));
        }
    }
    c
}

/// RMS distance of the points from their mean.
pub fn spread(w: &Mat<f64>) -> f64 {
    if w.rows == 0 {
        return 0.0;
    }
    let d = w.cols;
    let mut mean = vec![0.0; d];
    for i in 0..w.rows {
        for t in 0..d {
            mean[t] += w.at(i, t) / w.rows as f64;
        }
    }
    let ss: f64 = (0..w.rows).map(|i| (0..d).map(|t| (w.at(i, t) - mean[t]).powi(2)).sum::<f64>()).sum();
    (ss / w.rows as f64).sqrt()
}

/// `m` distinct pixels of `img` as points in `[0, 1]³`.
pub fn image_sample(rng: &mut Rng, img: &RgbImage, m: usize) -> Mat<f64> {
    let all = img.points();
    let picks = choose_distinct(rng, all.rows, m);
    Mat { rows: picks.len(), cols: 3, data: picks.iter().flat_map(|&i| all.row(i).to_vec()).collect() }
}

/// Drawn points `x0,y0,x1,y1,…` as a `n × 2` matrix (a trailing odd number is dropped).
pub fn drawn(list: &[f64]) -> Mat<f64> {
    let n = list.len() / 2;
    Mat { rows: n, cols: 2, data: list[..2 * n].to_vec() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn sample_image_decodes_to_96_by_64() {
        let (img, note) = read_png(SAMPLE_PNG).expect("the shipped asset decodes");
        assert_eq!((img.width, img.height, img.rgb.len()), (96, 64, 96 * 64 * 3));
        assert!(note.is_none());
        // A photograph, not a flat fallback: many distinct colours.
        let mut colours: Vec<&[u8]> = img.rgb.chunks(3).collect();
        colours.sort();
        colours.dedup();
        assert!(colours.len() > 1000, "{} colours", colours.len());
    }

    #[test]
    fn csv_points_parse_with_a_header_and_refuse_bad_rows() {
        let m = points_from_csv("x,y\n1,2\n3.5, -4\n\n# note\n5;6\n").expect("parses");
        assert_eq!((m.rows, m.cols), (3, 2));
        assert_eq!(m.data, vec![1.0, 2.0, 3.5, -4.0, 5.0, 6.0]);
        assert!(points_from_csv("1,2\n3,NaN\n").expect_err("refused").contains("NaN or infinite"));
        assert!(points_from_csv("1,2\n3\n").expect_err("refused").contains("first point has 2"));
        assert!(points_from_csv("1,2\nfoo,3\n").expect_err("refused").contains("line 2"));
        assert!(points_from_csv("\n\n").expect_err("refused").contains("no points"));
        assert!(points_from_csv("a,b\n").expect_err("refused").contains("no points"));
        // A byte-order mark is not a header: the first point is kept (found by fuzzing).
        assert_eq!(points_from_csv("\u{feff}1,2\r\n3,4\r\n").expect("parses").rows, 2);
    }

    #[test]
    fn initial_centres_are_near_but_not_on_points() {
        let mut rng = seeded(1, 1);
        let w = mixture(&mut rng, 50, 2, 3);
        let c = initial_centres(&mut rng, &w, 4);
        assert_eq!(c.len(), 8);
        let s = spread(&w);
        for j in 0..4 {
            let nearest = (0..50)
                .map(|i| ((w.at(i, 0) - c[2 * j]).powi(2) + (w.at(i, 1) - c[2 * j + 1]).powi(2)).sqrt())
                .fold(f64::INFINITY, f64::min);
            assert!(nearest > 0.0 && nearest < 0.1 * s, "{nearest}");
        }
    }
}
