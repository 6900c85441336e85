//! The L1 (Manhattan) distance kernel `D[i][j] = Σ_t |x_it − y_jt|` between the rows of
//! `X` (`m × n`) and the rows of `Y` (`p × n`): a distance kernel, not a Gram product, so it
//! has its own CPU path here and its own shader (`gpu/l1.wgsl`).
//!
//! The f32 CPU path works on blocks of 4 rows of X against 2 rows of Y with 8-lane
//! accumulators (which the compiler turns into SIMD: SSE/AVX natively, SIMD128 in the
//! browser), over panels of Y small enough to stay in cache, on all cores natively.

use super::{Compute, Mat};

/// `D = [Σ_t |x_it − y_jt|]` in f64 (the reference).
pub fn l1_distances(x: &Mat<f64>, y: &Mat<f64>) -> Mat<f64> {
    assert_eq!(x.cols, y.cols, "l1_distances shapes");
    let mut d = Mat::zeros(x.rows, y.rows);
    for i in 0..x.rows {
        for j in 0..y.rows {
            d.data[i * y.rows + j] = x.row(i).iter().zip(y.row(j)).map(|(a, b)| (a - b).abs()).sum();
        }
    }
    d
}

/// Lanes of the accumulators.
const L: usize = 8;
/// Rows of Y per cache panel (64 rows of MNIST, 200 KB, fit in L2).
const PANEL: usize = 64;

/// `[Σ_t |a_t − b_t|]` for 4 rows `a` against 2 rows `b` (each `chunks` lanes-blocks long
/// plus a tail), as a 4×2 block.
#[inline(always)]
fn block(a: [&[f32]; 4], b: [&[f32]; 2]) -> [[f32; 2]; 4] {
    let n = b[0].len();
    let full = n / L * L;
    let (a0, a1, a2, a3) =
        (a[0].as_chunks::<L>().0, a[1].as_chunks::<L>().0, a[2].as_chunks::<L>().0, a[3].as_chunks::<L>().0);
    let (b0, b1) = (b[0].as_chunks::<L>().0, b[1].as_chunks::<L>().0);
    let mut acc = [[[0.0f32; L]; 2]; 4];
    for (((((x0, x1), x2), x3), y0), y1) in a0.iter().zip(a1).zip(a2).zip(a3).zip(b0).zip(b1) {
        for l in 0..L {
            acc[0][0][l] += (x0[l] - y0[l]).abs();
            acc[0][1][l] += (x0[l] - y1[l]).abs();
            acc[1][0][l] += (x1[l] - y0[l]).abs();
            acc[1][1][l] += (x1[l] - y1[l]).abs();
            acc[2][0][l] += (x2[l] - y0[l]).abs();
            acc[2][1][l] += (x2[l] - y1[l]).abs();
            acc[3][0][l] += (x3[l] - y0[l]).abs();
            acc[3][1][l] += (x3[l] - y1[l]).abs();
        }
    }
    let mut out = [[0.0f32; 2]; 4];
    for r in 0..4 {
        for c in 0..2 {
            let mut s = acc[r][c].iter().sum::<f32>();
            for t in full..n {
                s += (a[r][t] - b[c][t]).abs();
            }
            out[r][c] = s;
        }
    }
    out
}

/// Distances of the X rows `rows` against every row of Y, into `out` (`rows.len() × p`).
fn rows_into(x: &Mat<f32>, y: &Mat<f32>, rows: std::ops::Range<usize>, out: &mut [f32]) {
    let (n, p) = (x.cols, y.rows);
    let r0 = rows.start;
    let m = rows.len();
    let xrow = |i: usize| &x.data[(r0 + i).min(x.rows - 1) * n..][..n];
    let yrow = |j: usize| &y.data[j.min(p - 1) * n..][..n];
    for j0 in (0..p).step_by(PANEL) {
        let j1 = (j0 + PANEL).min(p);
        for i in (0..m).step_by(4) {
            let xs = [xrow(i), xrow(i + 1), xrow(i + 2), xrow(i + 3)];
            for j in (j0..j1).step_by(2) {
                let d = block(xs, [yrow(j), yrow(j + 1)]);
                // Rows past m and columns past j1 were computed on repeated rows: not stored.
                for (r, dr) in d.iter().enumerate().take(m - i.min(m)) {
                    for (c, &v) in dr.iter().enumerate().take(j1 - j) {
                        out[(i + r) * p + j + c] = v;
                    }
                }
            }
        }
    }
}

/// Threads natively (all cores; `HOPFIELD_THREADS` overrides); one in the browser.
fn threads() -> usize {
    #[cfg(target_arch = "wasm32")]
    return 1;
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::env::var("HOPFIELD_THREADS")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|&t| t > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
    }
}

/// `D = [Σ_t |x_it − y_jt|]` in f32 on `threads` threads (rows of X split evenly).
pub fn l1_distances_f32_threads(x: &Mat<f32>, y: &Mat<f32>, threads: usize) -> Mat<f32> {
    assert_eq!(x.cols, y.cols, "l1_distances shapes");
    let (m, p) = (x.rows, y.rows);
    let mut d = Mat::<f32>::zeros(m, p);
    if m == 0 || p == 0 {
        return d;
    }
    if x.cols == 0 {
        return d;
    }
    let threads = threads.clamp(1, m.div_ceil(4));
    if threads == 1 || m * p * x.cols < 1 << 20 {
        rows_into(x, y, 0..m, &mut d.data);
        return d;
    }
    // Row ranges in multiples of 4 so every block is full except the last.
    let per = m.div_ceil(threads).div_ceil(4) * 4;
    std::thread::scope(|scope| {
        let mut rest: &mut [f32] = &mut d.data;
        let mut start = 0;
        while start < m {
            let end = (start + per).min(m);
            let (mine, tail) = rest.split_at_mut((end - start) * p);
            rest = tail;
            scope.spawn(move || rows_into(x, y, start..end, mine));
            start = end;
        }
    });
    d
}

/// `D = [Σ_t |x_it − y_jt|]` in f32, on all cores natively.
pub fn l1_distances_f32(x: &Mat<f32>, y: &Mat<f32>) -> Mat<f32> {
    l1_distances_f32_threads(x, y, threads())
}

impl Compute {
    /// L1 distances `Σ_t |x_it − y_jt|` between the rows of `x` (`m × n`) and of `y` (`p × n`): `m × p`.
    pub async fn l1_distances(&self, x: &Mat<f32>, y: &Mat<f32>) -> Mat<f32> {
        if let Some(g) = self.gpu() {
            match g.l1_distances(x, y).await {
                Ok(d) => return d,
                Err(e) => self.fell_back("l1_distances", &e),
            }
        }
        l1_distances_f32(x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{normal, seeded};

    fn random(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
        let mut r = seeded(seed, 3);
        Mat { rows, cols, data: (0..rows * cols).map(|_| normal(&mut r)).collect() }
    }

    #[test]
    fn blocked_f32_kernel_matches_the_reference_on_odd_shapes() {
        for &(m, p, n) in
            &[(1, 1, 1), (1, 3, 7), (5, 1, 9), (7, 9, 17), (13, 130, 33), (65, 67, 8), (9, 200, 100)]
        {
            let (x, y) = (random(m, n, m as u64), random(p, n, 100 + p as u64));
            let want = l1_distances(&x, &y);
            for t in [1, 2, 3] {
                let got = l1_distances_f32_threads(&x.to_f32(), &y.to_f32(), t);
                assert_eq!((got.rows, got.cols), (m, p));
                for (g, w) in got.data.iter().zip(&want.data) {
                    assert!(
                        (f64::from(*g) - w).abs() <= 1e-5 * w + 1e-6,
                        "{m}×{p}×{n}, {t} threads: {g} vs {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn large_inputs_take_the_threaded_path() {
        let (x, y) = (random(37, 300, 1), random(150, 300, 2));
        let one = l1_distances_f32_threads(&x.to_f32(), &y.to_f32(), 1);
        let two = l1_distances_f32_threads(&x.to_f32(), &y.to_f32(), 2);
        assert_eq!(one, two);
        assert_eq!(l1_distances_f32(&Mat::zeros(0, 300), &y.to_f32()).rows, 0);
    }
}
