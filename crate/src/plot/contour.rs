//! Level sets of a scalar field sampled on a grid (marching squares), contour levels
//! and robust colour ranges.

/// Where a grid lies in the plane: column 0 at `x_left`, column `cols − 1` at `x_right`,
/// row 0 at `y_top`, row `rows − 1` at `y_bottom` (image order: row 0 is drawn on top).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridFrame {
    pub rows: usize,
    pub cols: usize,
    pub x_left: f64,
    pub x_right: f64,
    pub y_top: f64,
    pub y_bottom: f64,
}

impl GridFrame {
    /// The plane point of grid position (row, col), fractional positions allowed.
    pub fn point(&self, row: f64, col: f64) -> (f64, f64) {
        let fx = if self.cols > 1 { col / (self.cols - 1) as f64 } else { 0.0 };
        let fy = if self.rows > 1 { row / (self.rows - 1) as f64 } else { 0.0 };
        (self.x_left + fx * (self.x_right - self.x_left), self.y_top + fy * (self.y_bottom - self.y_top))
    }
}

/// The segments of the level set `values = level` as a flat list `[x1, y1, x2, y2, …]`
/// in plane coordinates. `values` is row-major `rows × cols`; cells with a non-finite
/// corner are skipped; saddle cells are split by the value at the cell centre.
pub fn contour_segments(values: &[f64], frame: &GridFrame, level: f64) -> Vec<f64> {
    let (rows, cols) = (frame.rows, frame.cols);
    let mut out = Vec::new();
    if rows < 2 || cols < 2 || values.len() < rows * cols {
        return out;
    }
    for r in 0..rows - 1 {
        for c in 0..cols - 1 {
            // Corners counter-clockwise in image order: top-left, top-right, bottom-right, bottom-left.
            let v = [
                values[r * cols + c],
                values[r * cols + c + 1],
                values[(r + 1) * cols + c + 1],
                values[(r + 1) * cols + c],
            ];
            if v.iter().any(|x| !x.is_finite()) {
                continue;
            }
            let pos: [(f64, f64); 4] = [
                (r as f64, c as f64),
                (r as f64, c as f64 + 1.0),
                (r as f64 + 1.0, c as f64 + 1.0),
                (r as f64 + 1.0, c as f64),
            ];
            let case = v.iter().enumerate().fold(0u8, |acc, (i, &x)| acc | (u8::from(x > level) << i));
            if case == 0 || case == 15 {
                continue;
            }
            // The crossing on edge e (between corner e and corner e+1).
            let cross = |e: usize| -> (f64, f64) {
                let (a, b) = (e, (e + 1) % 4);
                let t = (level - v[a]) / (v[b] - v[a]);
                let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.5 };
                let row = pos[a].0 + t * (pos[b].0 - pos[a].0);
                let col = pos[a].1 + t * (pos[b].1 - pos[a].1);
                frame.point(row, col)
            };
            // Edges with a sign change, in order.
            let edges: Vec<usize> =
                (0..4).filter(|&e| ((case >> e) & 1) != ((case >> ((e + 1) % 4)) & 1)).collect();
            let pairs: Vec<(usize, usize)> = if edges.len() == 4 {
                // Saddle: connect according to the centre value.
                let centre = 0.25 * (v[0] + v[1] + v[2] + v[3]);
                let centre_above = centre > level;
                let corner0_above = v[0] > level;
                if centre_above == corner0_above { vec![(0, 1), (2, 3)] } else { vec![(3, 0), (1, 2)] }
            } else {
                vec![(edges[0], edges[1])]
            };
            for (e1, e2) in pairs {
                let (a, b) = (cross(e1), cross(e2));
                out.extend_from_slice(&[a.0, a.1, b.0, b.1]);
            }
        }
    }
    out
}

/// The `q`-quantile (0 ≤ q ≤ 1) of the finite values, by sorting a copy (nearest rank).
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let k = ((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
    Some(v[k])
}

/// A colour range that ignores outliers: the 2nd and 98th percentiles of the finite
/// values, widened to `[m − ½, m + ½]` when they coincide (a flat field), `[0, 1]` when
/// there are no finite values.
pub fn robust_range(values: &[f64]) -> (f64, f64) {
    match (quantile(values, 0.02), quantile(values, 0.98)) {
        (Some(lo), Some(hi)) if hi > lo => (lo, hi),
        (Some(m), _) => (m - 0.5, m + 0.5),
        _ => (0.0, 1.0),
    }
}

/// `count` contour levels strictly inside `(lo, hi)`: evenly spaced, or (`quadratic`)
/// at `lo + (hi − lo)(k/(count+1))²`, which puts the level sets of a non-negative
/// quadratic energy such as `½‖f‖²` at evenly spaced `‖f‖`.
pub fn levels(lo: f64, hi: f64, count: usize, quadratic: bool) -> Vec<f64> {
    (1..=count)
        .map(|k| {
            let t = k as f64 / (count + 1) as f64;
            lo + (hi - lo) * if quadratic { t * t } else { t }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> GridFrame {
        GridFrame { rows: n, cols: n, x_left: -1.0, x_right: 1.0, y_top: 1.0, y_bottom: -1.0 }
    }

    #[test]
    fn circle_contour_lies_on_the_circle() {
        let n = 41;
        let f = frame(n);
        let mut values = vec![0.0; n * n];
        for r in 0..n {
            for c in 0..n {
                let (x, y) = f.point(r as f64, c as f64);
                values[r * n + c] = x * x + y * y;
            }
        }
        let seg = contour_segments(&values, &f, 0.25);
        assert!(seg.len() > 40 * 4 / 2, "{} numbers", seg.len());
        for p in seg.chunks(2) {
            let rad = (p[0] * p[0] + p[1] * p[1]).sqrt();
            assert!((rad - 0.5).abs() < 0.01, "{rad}");
        }
        // Total length ≈ π.
        let len: f64 = seg.chunks(4).map(|s| (s[2] - s[0]).hypot(s[3] - s[1])).sum();
        assert!((len - std::f64::consts::PI).abs() < 0.02, "{len}");
    }

    #[test]
    fn flat_and_broken_fields_give_no_contours() {
        let f = frame(5);
        assert!(contour_segments(&[1.0; 25], &f, 0.5).is_empty());
        let mut v = vec![0.0; 25];
        v[12] = f64::NAN;
        assert!(contour_segments(&v, &f, 0.5).is_empty());
        assert!(contour_segments(&[], &f, 0.5).is_empty());
    }

    #[test]
    fn robust_range_ignores_outliers_and_flat_fields() {
        let mut v: Vec<f64> = (0..100).map(f64::from).collect();
        v.push(1e9);
        v.push(f64::NAN);
        let (lo, hi) = robust_range(&v);
        assert!(lo <= 3.0 && hi < 100.0 && hi > 95.0, "{lo} {hi}");
        assert_eq!(robust_range(&[2.0; 10]), (1.5, 2.5));
        assert_eq!(robust_range(&[f64::NAN]), (0.0, 1.0));
        assert_eq!(levels(0.0, 1.0, 3, false), vec![0.25, 0.5, 0.75]);
        assert_eq!(levels(0.0, 16.0, 3, true), vec![1.0, 4.0, 9.0]);
    }
}
