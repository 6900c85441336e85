//! The CPU backend: dense kernels on `matrixmultiply`'s blocked GEMM (AVX/FMA
//! natively, SIMD128 in the browser), in f32 and f64. Gram matrices exploit
//! symmetry: only the blocks on and below the diagonal are multiplied.

use super::mat::Mat;
use super::{BatchRecall, RowStatus, SoftKMeans};

macro_rules! gemm_impl {
    ($name:ident, $t:ty, $kernel:path) => {
        /// Row-major `C ← alpha·A·B + beta·C` for `A: m×k` (row stride `lda`), `C: m×n`
        /// (row stride `ldc`) and `B: k×n` given as `(data, row stride, column stride)`, so a
        /// transposed operand is read in place.
        #[allow(clippy::too_many_arguments)]
        fn $name(
            m: usize,
            k: usize,
            n: usize,
            alpha: $t,
            a: &[$t],
            lda: usize,
            (b, rsb, csb): (&[$t], usize, usize),
            beta: $t,
            c: &mut [$t],
            ldc: usize,
        ) {
            if m == 0 || n == 0 {
                return;
            }
            let b_len = if k == 0 { 0 } else { (k - 1) * rsb + (n - 1) * csb + 1 };
            assert!(a.len() >= (m - 1) * lda + k && b.len() >= b_len && c.len() >= (m - 1) * ldc + n);
            // matrixmultiply takes raw pointers; the assert above keeps every access in bounds.
            #[allow(unsafe_code)]
            unsafe {
                $kernel(
                    m,
                    k,
                    n,
                    alpha,
                    a.as_ptr(),
                    lda as isize,
                    1,
                    b.as_ptr(),
                    rsb as isize,
                    csb as isize,
                    beta,
                    c.as_mut_ptr(),
                    ldc as isize,
                    1,
                );
            }
        }
    };
}

gemm_impl!(gemm_f64, f64, matrixmultiply::dgemm);
gemm_impl!(gemm_f32, f32, matrixmultiply::sgemm);

/// `A·B` (f64).
pub fn matmul(a: &Mat<f64>, b: &Mat<f64>) -> Mat<f64> {
    assert_eq!(a.cols, b.rows, "matmul shapes");
    let mut c = Mat::zeros(a.rows, b.cols);
    gemm_f64(a.rows, a.cols, b.cols, 1.0, &a.data, a.cols, (&b.data, b.cols, 1), 0.0, &mut c.data, b.cols);
    c
}

/// `A·B` (f32).
pub fn matmul_f32(a: &Mat<f32>, b: &Mat<f32>) -> Mat<f32> {
    assert_eq!(a.cols, b.rows, "matmul shapes");
    let mut c = Mat::zeros(a.rows, b.cols);
    gemm_f32(a.rows, a.cols, b.cols, 1.0, &a.data, a.cols, (&b.data, b.cols, 1), 0.0, &mut c.data, b.cols);
    c
}

/// Side of the diagonal blocks of the symmetric Gram product: small enough that the
/// skipped upper triangle is most of the upper half, large enough for GEMM efficiency.
const GRAM_BLOCK: usize = 128;

/// Threads for the CPU Gram: all cores natively (tests and the CLI), one in wasm
/// (the page parallelises across Web Workers instead).
fn default_threads() -> usize {
    #[cfg(target_arch = "wasm32")]
    return 1;
    #[cfg(not(target_arch = "wasm32"))]
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Split the block rows `0..blocks` of a lower block triangle into `parts` contiguous
/// ranges of about equal work (block row `b` costs `b + 1` blocks).
fn balanced_ranges(blocks: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let total: usize = (1..=blocks).sum();
    let mut out = Vec::new();
    let (mut start, mut acc) = (0, 0);
    for b in 0..blocks {
        acc += b + 1;
        if acc * parts >= total * (out.len() + 1) && out.len() + 1 < parts {
            out.push(start..b + 1);
            start = b + 1;
        }
    }
    out.push(start..blocks);
    out.retain(|r| !r.is_empty());
    out
}

macro_rules! gram_impl {
    ($name:ident, $t:ty, $gemm:ident) => {
        /// `X·Xᵀ` for `X: p×n` (rows are patterns) on `threads` threads: the blocks on and
        /// below the diagonal by GEMM (Xᵀ is read through strides, not copied), then mirrored.
        pub fn $name(x: &Mat<$t>, threads: usize) -> Mat<$t> {
            let (p, n) = (x.rows, x.cols);
            let mut g = Mat::<$t>::zeros(p, p);
            let blocks = p.div_ceil(GRAM_BLOCK);
            // Rows i0..i0+bi against columns 0..i0+bi: every block on or below the diagonal.
            let run = |rows: &mut [$t], b0: usize, b1: usize| {
                for b in b0..b1 {
                    let i0 = b * GRAM_BLOCK;
                    let bi = GRAM_BLOCK.min(p - i0);
                    let out = &mut rows[(i0 - b0 * GRAM_BLOCK) * p..];
                    $gemm(bi, n, i0 + bi, 1.0, &x.data[i0 * n..], n, (&x.data, 1, n), 0.0, out, p);
                }
            };
            let ranges = balanced_ranges(blocks, threads.max(1));
            if ranges.len() <= 1 || p * p * n < 1 << 22 {
                run(&mut g.data, 0, blocks);
            } else {
                std::thread::scope(|scope| {
                    let mut rest: &mut [$t] = &mut g.data;
                    for r in &ranges {
                        let rows = (GRAM_BLOCK * r.end).min(p) - GRAM_BLOCK * r.start;
                        let (mine, tail) = rest.split_at_mut(rows * p);
                        rest = tail;
                        let run = &run;
                        let (b0, b1) = (r.start, r.end);
                        scope.spawn(move || run(mine, b0, b1));
                    }
                });
            }
            for i in 0..p {
                for j in i + 1..p {
                    g.data[i * p + j] = g.data[j * p + i];
                }
            }
            g
        }
    };
}

gram_impl!(gram_threads, f64, gemm_f64);
gram_impl!(gram_f32_threads, f32, gemm_f32);

/// `X·Xᵀ` (f64), on all cores natively.
pub fn gram(x: &Mat<f64>) -> Mat<f64> {
    gram_threads(x, default_threads())
}

/// `X·Xᵀ` (f32), on all cores natively.
pub fn gram_f32(x: &Mat<f32>) -> Mat<f32> {
    gram_f32_threads(x, default_threads())
}

/// `X·Yᵀ` for `X: p×n`, `Y: q×n` (f64).
pub fn cross_gram(x: &Mat<f64>, y: &Mat<f64>) -> Mat<f64> {
    assert_eq!(x.cols, y.cols, "cross_gram shapes");
    matmul(x, &y.transpose())
}

/// Squared row norms `‖x_i‖²`.
pub fn sq_norms(x: &Mat<f64>) -> Vec<f64> {
    (0..x.rows).map(|i| x.row(i).iter().map(|v| v * v).sum()).collect()
}

/// RBF kernel matrices `exp(−γ‖x_i − y_j‖²)` for every `γ` in `gammas`, from one cross-Gram
/// `G = X·Yᵀ` and the squared norms: `‖x−y‖² = ‖x‖² + ‖y‖² − 2 x·y` (clamped at 0).
pub fn rbf_from_gram(g: &Mat<f64>, nx: &[f64], ny: &[f64], gammas: &[f64]) -> Vec<Mat<f64>> {
    gammas
        .iter()
        .map(|&gamma| {
            let mut k = Mat::zeros(g.rows, g.cols);
            for (i, &xi) in nx.iter().enumerate().take(g.rows) {
                for (j, &yj) in ny.iter().enumerate().take(g.cols) {
                    let d2 = (xi + yj - 2.0 * g.at(i, j)).max(0.0);
                    k.data[i * g.cols + j] = (-gamma * d2).exp();
                }
            }
            k
        })
        .collect()
}

/// `sign(h)` with `sign(0) = +1`.
fn sgn(h: f64) -> f64 {
    if h >= 0.0 { 1.0 } else { -1.0 }
}

/// Iterate `field` (rows of H from rows of S) and a synchronous sign step on every row,
/// with the GPU kernel's bookkeeping: a row stops when unchanged (fixed point) or when
/// the new state equals the one two steps back (2-cycle); `steps` counts evaluations.
fn iterate_rows(s0: &Mat<f64>, max_steps: usize, field: impl Fn(&Mat<f64>) -> Mat<f64>) -> BatchRecall {
    let (rows, cols) = (s0.rows, s0.cols);
    let mut s = s0.clone();
    let mut prev: Mat<f64> = Mat::zeros(rows, cols);
    let mut status = vec![RowStatus::Running; rows];
    let mut steps = vec![0u32; rows];
    for _ in 0..max_steps {
        if status.iter().all(|&st| st != RowStatus::Running) {
            break;
        }
        let h = field(&s);
        for r in 0..rows {
            if status[r] != RowStatus::Running {
                continue;
            }
            steps[r] += 1;
            let new: Vec<f64> = h.row(r).iter().map(|&x| sgn(x)).collect();
            if new.as_slice() == s.row(r) {
                status[r] = RowStatus::Fixed;
                continue;
            }
            let cycle = new.as_slice() == prev.row(r);
            let old = s.row(r).to_vec();
            prev.row_mut(r).copy_from_slice(&old);
            s.row_mut(r).copy_from_slice(&new);
            if cycle {
                status[r] = RowStatus::Cycle;
            }
        }
    }
    BatchRecall { states: s.to_f32(), steps, status }
}

/// Synchronous Hopfield recall of the rows of `s0`: `s ← sign(W s)` (`H = S·Wᵀ`).
pub fn hopfield_sync(w: &Mat<f64>, s0: &Mat<f64>, max_steps: usize) -> BatchRecall {
    let wt = w.transpose();
    iterate_rows(s0, max_steps, |s| matmul(s, &wt))
}

/// Synchronous kernel-Hopfield recall of ±1 rows: `h = Σ_μ α_μ exp(−2γ(N − s·ξ^μ))`.
pub fn kernel_hopfield_sync(
    xi: &Mat<f64>,
    alpha: &Mat<f64>,
    gamma: f64,
    s0: &Mat<f64>,
    max_steps: usize,
) -> BatchRecall {
    let n = s0.cols as f64;
    iterate_rows(s0, max_steps, |s| {
        let mut k = cross_gram(s, xi);
        for v in &mut k.data {
            *v = (2.0 * gamma * (*v - n)).exp();
        }
        matmul(&k, alpha)
    })
}

/// `A_ij = softmax_j(−‖w_i − c_j‖/τ)` (Euclidean distances, eq. 2.5 of Jaffe).
pub fn soft_assign(w: &Mat<f64>, c: &Mat<f64>, tau: f64) -> Mat<f64> {
    let mut a = Mat::zeros(w.rows, c.rows);
    for i in 0..w.rows {
        let logits: Vec<f64> = (0..c.rows)
            .map(|j| -w.row(i).iter().zip(c.row(j)).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt() / tau)
            .collect();
        let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = logits.iter().map(|l| (l - top).exp()).collect();
        let total: f64 = e.iter().sum();
        for (j, v) in e.iter().enumerate() {
            a.data[i * c.rows + j] = v / total;
        }
    }
    a
}

/// Soft k-means (Jaffe, Algorithm 1): `C⁺ = diag(Aᵀ1)⁻¹AᵀW` until `‖C⁺ − C‖_F < ε` or
/// `max_iter` updates; a centre with no mass keeps its place. The attention returned is
/// that of the final centres.
pub fn soft_kmeans(w: &Mat<f64>, c0: &Mat<f64>, tau: f64, eps: f64, max_iter: usize) -> SoftKMeans {
    let mut c = c0.clone();
    let (mut iterations, mut converged, mut last_change) = (0, false, f64::NAN);
    while iterations < max_iter {
        let a = soft_assign(w, &c, tau);
        let num = matmul(&a.transpose(), w);
        let mut next = c.clone();
        for j in 0..c.rows {
            let mass: f64 = (0..w.rows).map(|i| a.at(i, j)).sum();
            if mass > 0.0 {
                for t in 0..c.cols {
                    next.data[j * c.cols + t] = num.at(j, t) / mass;
                }
            }
        }
        last_change = next.data.iter().zip(&c.data).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
        c = next;
        iterations += 1;
        if last_change < eps {
            converged = true;
            break;
        }
    }
    let attention = soft_assign(w, &c, tau);
    SoftKMeans { centres: c.to_f32(), attention: attention.to_f32(), iterations, converged, last_change }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{normal, seeded};

    fn random(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
        let mut rng = seeded(seed, 1);
        Mat { rows, cols, data: (0..rows * cols).map(|_| normal(&mut rng)).collect() }
    }

    fn naive(a: &Mat<f64>, b: &Mat<f64>) -> Mat<f64> {
        let mut c = Mat::zeros(a.rows, b.cols);
        for i in 0..a.rows {
            for j in 0..b.cols {
                c.data[i * b.cols + j] = (0..a.cols).map(|k| a.at(i, k) * b.at(k, j)).sum();
            }
        }
        c
    }

    #[test]
    fn gram_should_match_reference_for_odd_shapes() {
        for (p, n) in [(1, 1), (1, 7), (7, 1), (3, 5), (257, 3), (300, 33), (513, 20)] {
            let x = random(p, n, (p * 1000 + n) as u64);
            let want = naive(&x, &x.transpose());
            let got = gram(&x);
            assert!(got.max_abs_diff(&want) < 1e-10 * n as f64, "({p},{n})");
            let got32 = gram_f32(&x.to_f32()).to_f64();
            assert!(got32.max_abs_diff(&want) < 1e-4 * n as f64, "f32 ({p},{n})");
        }
    }

    #[test]
    fn matmul_and_cross_gram_match_reference() {
        let a = random(13, 29, 1);
        let b = random(29, 7, 2);
        assert!(matmul(&a, &b).max_abs_diff(&naive(&a, &b)) < 1e-12);
        let y = random(11, 29, 3);
        assert!(cross_gram(&a, &y).max_abs_diff(&naive(&a, &y.transpose())) < 1e-12);
    }

    #[test]
    fn rbf_from_gram_matches_direct_distances() {
        let x = random(9, 6, 4);
        let y = random(5, 6, 5);
        let ks = rbf_from_gram(&cross_gram(&x, &y), &sq_norms(&x), &sq_norms(&y), &[0.01, 0.5]);
        for (k, gamma) in ks.iter().zip([0.01, 0.5]) {
            for i in 0..9 {
                for j in 0..5 {
                    let d2: f64 = (0..6).map(|t| (x.at(i, t) - y.at(j, t)).powi(2)).sum();
                    assert!((k.at(i, j) - (-gamma * d2).exp()).abs() < 1e-12);
                }
            }
        }
    }
}
