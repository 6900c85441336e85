//! The CPU backend: dense kernels on `matrixmultiply`'s blocked GEMM (AVX/FMA
//! natively, SIMD128 in the browser), in f32 and f64. Gram matrices exploit
//! symmetry: only the blocks on and below the diagonal are multiplied. The f32 Gram of
//! few rows has its own kernel natively on x86-64 ([`small_gram`]).

#[cfg(target_arch = "x86_64")]
#[path = "small_gram.rs"]
mod small_gram;

#[path = "sgemm4x8.rs"]
pub mod sgemm4x8;

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
gemm_impl!(gemm_f32_mm, f32, matrixmultiply::sgemm);

/// Whether an f32 product of this size runs on [`sgemm4x8`]: in the browser, from
/// `m·k·n = 2^15` on.
fn on_tiles(m: usize, k: usize, n: usize) -> bool {
    cfg!(all(target_arch = "wasm32", target_feature = "simd128")) && m * k * n >= 1 << 15
}

/// The f32 GEMM (the signature of [`gemm_f64`]): in the browser, products with a row-major
/// `B` of some size run on [`sgemm4x8`] (faster there than `matrixmultiply`'s SIMD128
/// kernel, see its module), everything else on `matrixmultiply`.
#[allow(clippy::too_many_arguments)]
fn gemm_f32(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    (b, rsb, csb): (&[f32], usize, usize),
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    if csb == 1 && on_tiles(m, k, n) {
        sgemm4x8::sgemm((m, k, n), alpha, (a, lda), (b, rsb), beta, (c, ldc));
    } else {
        gemm_f32_mm(m, k, n, alpha, a, lda, (b, rsb, csb), beta, c, ldc);
    }
}

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
    // available_parallelism reads cgroup files on Linux (~25 µs): ask once.
    #[cfg(not(target_arch = "wasm32"))]
    {
        static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
    }
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
gram_impl!(gram_f32_gemm, f32, gemm_f32);

/// `X·Xᵀ` (f32) for `X: p×n` on `threads` threads. Up to one [`GRAM_BLOCK`] of rows
/// (where the GEMM path multiplies the whole square on one thread) natively on x86-64
/// with AVX2/FMA, the small-matrix kernel: measured on this project's 2-core machine
/// (Xeon), one core, 100×100 in 21 µs against 31 µs by the GEMM path, 128×784 in 197 µs
/// against 260–320 µs; from 200 rows on the two are level, so the GEMM path (and its
/// threads) takes over. Elsewhere the blocked GEMM path.
pub fn gram_f32_threads(x: &Mat<f32>, threads: usize) -> Mat<f32> {
    #[cfg(target_arch = "x86_64")]
    if x.rows <= GRAM_BLOCK {
        let mut g = Mat::<f32>::zeros(x.rows, x.rows);
        if small_gram::gram_f32(&x.data, x.rows, x.cols, &mut g.data) {
            return g;
        }
    }
    gram_f32_gemm(x, threads)
}

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
/// The field is computed for the rows still running only; `observe` sees every state
/// after each step.
fn iterate_rows(
    s0: &Mat<f64>,
    max_steps: usize,
    field: impl Fn(&Mat<f64>) -> Mat<f64>,
    observe: &mut dyn FnMut(&Mat<f64>),
) -> BatchRecall {
    let (rows, cols) = (s0.rows, s0.cols);
    let mut s = s0.clone();
    let mut prev: Mat<f64> = Mat::zeros(rows, cols);
    let mut status = vec![RowStatus::Running; rows];
    let mut steps = vec![0u32; rows];
    for _ in 0..max_steps {
        let active: Vec<usize> = (0..rows).filter(|&r| status[r] == RowStatus::Running).collect();
        if active.is_empty() {
            break;
        }
        let h = if active.len() == rows {
            field(&s)
        } else {
            let mut batch = Mat::zeros(active.len(), cols);
            for (k, &r) in active.iter().enumerate() {
                batch.row_mut(k).copy_from_slice(s.row(r));
            }
            field(&batch)
        };
        for (k, &r) in active.iter().enumerate() {
            steps[r] += 1;
            let new: Vec<f64> = h.row(k).iter().map(|&x| sgn(x)).collect();
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
        observe(&s);
    }
    BatchRecall { states: s.to_f32(), steps, status }
}

/// Synchronous Hopfield recall of the rows of `s0`: `s ← sign(W s)` (`H = S·Wᵀ`), with
/// [`iterate_rows`]' bookkeeping. The fields are computed once by GEMM and then updated as
/// states change: a row whose entry `j` flips adds `(s_new − s_old)_j · W[:, j]` to its field,
/// so a step costs `O(flips · N)` instead of `O(N²)` (exact for integer weights; otherwise
/// within f64 rounding of the direct product).
pub fn hopfield_sync(w: &Mat<f64>, s0: &Mat<f64>, max_steps: usize) -> BatchRecall {
    assert_eq!((w.rows, w.cols), (s0.cols, s0.cols), "hopfield_sync shapes");
    let (rows, n) = (s0.rows, s0.cols);
    // Row j of Wᵀ is column j of W.
    let wt = w.transpose();
    let mut h = matmul(s0, &wt);
    let mut s = s0.clone();
    let mut status = vec![RowStatus::Running; rows];
    let mut steps = vec![0u32; rows];
    let mut prev = vec![0.0; n];
    let mut new = vec![0.0; n];
    // Rows are independent: settle one row at a time (same result as stepping all together).
    for r in 0..rows {
        prev.iter_mut().for_each(|x| *x = 0.0);
        let (sr, hr) = (&mut s.data[r * n..(r + 1) * n], &mut h.data[r * n..(r + 1) * n]);
        for _ in 0..max_steps {
            steps[r] += 1;
            for (x, &f) in new.iter_mut().zip(hr.iter()) {
                *x = sgn(f);
            }
            if new.as_slice() == &sr[..] {
                status[r] = RowStatus::Fixed;
                break;
            }
            let cycle = new == prev;
            for j in 0..n {
                let d = new[j] - sr[j];
                if d != 0.0 {
                    for (f, &wj) in hr.iter_mut().zip(wt.row(j)) {
                        *f += d * wj;
                    }
                }
            }
            prev.copy_from_slice(sr);
            sr.copy_from_slice(&new);
            if cycle {
                status[r] = RowStatus::Cycle;
                break;
            }
        }
    }
    BatchRecall { states: s.to_f32(), steps, status }
}

/// Synchronous kernel-Hopfield recall of ±1 rows: `h = Σ_μ α_μ exp(−2γ(N − s·ξ^μ))`
/// (the RBF kernel `exp(−γ‖s − ξ‖²)` with `‖s − ξ‖² = 2(N − s·ξ)`, exact for ±1 vectors),
/// `s ← sign(h)` with `sign(0) = +1`; `observe` sees every state after each step (an
/// animation keeps them).
pub fn kernel_hopfield_sync(
    xi: &Mat<f64>,
    alpha: &Mat<f64>,
    gamma: f64,
    s0: &Mat<f64>,
    max_steps: usize,
    observe: &mut dyn FnMut(&Mat<f64>),
) -> BatchRecall {
    let n = s0.cols as f64;
    iterate_rows(
        s0,
        max_steps,
        |s| {
            let mut k = cross_gram(s, xi);
            for v in &mut k.data {
                *v = (2.0 * gamma * (*v - n)).exp();
            }
            matmul(&k, alpha)
        },
        observe,
    )
}

/// `A_ij = softmax_j(−‖w_i − c_j‖/τ)` (Euclidean distances, eq. 2.5 of Jaffe).
pub fn soft_assign(w: &Mat<f64>, c: &Mat<f64>, tau: f64) -> Mat<f64> {
    let k = c.rows;
    let mut a = Mat::zeros(w.rows, k);
    let mut logits = vec![0.0; k];
    for i in 0..w.rows {
        for (j, l) in logits.iter_mut().enumerate() {
            *l = -w.row(i).iter().zip(c.row(j)).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt() / tau;
        }
        let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let row = &mut a.data[i * k..(i + 1) * k];
        let mut total = 0.0;
        for (o, l) in row.iter_mut().zip(&logits) {
            *o = (l - top).exp();
            total += *o;
        }
        for o in row.iter_mut() {
            *o /= total;
        }
    }
    a
}

/// Points per chunk of the soft-k-means update: each chunk's weighted sums are added in
/// chunk order, so the result does not depend on how many threads computed the chunks.
const SKM_CHUNK: usize = 4096;

/// `(Σ_i A_ij w_i, Σ_i A_ij)` over the points of `w` (`rows × d`, row-major), in one pass
/// without storing A: per point the distances to every centre, the max-shifted softmax of
/// `−D/τ`, and the accumulation.
fn skm_sums(w: &[f64], d: usize, c: &[f64], k: usize, tau: f64) -> (Vec<f64>, Vec<f64>) {
    let mut num = vec![0.0; k * d];
    let mut mass = vec![0.0; k];
    let mut e = vec![0.0; k];
    for wi in w.chunks_exact(d) {
        let mut best = f64::INFINITY;
        for (j, ej) in e.iter_mut().enumerate() {
            let cj = &c[j * d..(j + 1) * d];
            let dist = wi.iter().zip(cj).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
            *ej = dist;
            best = best.min(dist);
        }
        let mut total = 0.0;
        for ej in e.iter_mut() {
            *ej = ((best - *ej) / tau).exp();
            total += *ej;
        }
        let inv = 1.0 / total;
        for (j, ej) in e.iter().enumerate() {
            let a = ej * inv;
            mass[j] += a;
            for (n, x) in num[j * d..(j + 1) * d].iter_mut().zip(wi) {
                *n += a * x;
            }
        }
    }
    (num, mass)
}

/// Soft k-means (Jaffe, Algorithm 1): `C⁺ = diag(Aᵀ1)⁻¹AᵀW` until `‖C⁺ − C‖_F < ε` or
/// `max_iter` updates; a centre with no mass keeps its place. The attention returned is
/// that of the final centres. Each update is one fused pass over the points (A is never
/// stored), in chunks of 4096 points spread over the cores natively.
pub fn soft_kmeans(w: &Mat<f64>, c0: &Mat<f64>, tau: f64, eps: f64, max_iter: usize) -> SoftKMeans {
    soft_kmeans_threads(w, c0, tau, eps, max_iter, default_threads())
}

/// [`soft_kmeans`] on at most `threads` threads (the result is the same for any count).
pub fn soft_kmeans_threads(
    w: &Mat<f64>,
    c0: &Mat<f64>,
    tau: f64,
    eps: f64,
    max_iter: usize,
    threads: usize,
) -> SoftKMeans {
    let (d, k) = (w.cols, c0.rows);
    let mut c = c0.clone();
    let (mut iterations, mut converged, mut last_change) = (0, false, f64::NAN);
    let chunks: Vec<&[f64]> = if d == 0 { Vec::new() } else { w.data.chunks(SKM_CHUNK * d).collect() };
    // No threads in the browser's wasm (the page parallelises across Web Workers instead).
    #[cfg(target_arch = "wasm32")]
    let threads = {
        let _ = threads;
        1
    };
    let threads = threads.min(chunks.len()).max(1);
    while iterations < max_iter {
        let parts: Vec<(Vec<f64>, Vec<f64>)> = if threads <= 1 {
            chunks.iter().map(|x| skm_sums(x, d, &c.data, k, tau)).collect()
        } else {
            let per = chunks.len().div_ceil(threads);
            std::thread::scope(|scope| {
                let handles: Vec<_> = chunks
                    .chunks(per)
                    .map(|group| {
                        let cd = &c.data;
                        scope.spawn(move || {
                            group.iter().map(|x| skm_sums(x, d, cd, k, tau)).collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
            })
        };
        let mut num = vec![0.0; k * d];
        let mut mass = vec![0.0; k];
        for (pn, pm) in &parts {
            num.iter_mut().zip(pn).for_each(|(a, b)| *a += b);
            mass.iter_mut().zip(pm).for_each(|(a, b)| *a += b);
        }
        let mut next = c.clone();
        for j in 0..k {
            if mass[j] > 0.0 {
                for t in 0..d {
                    next.data[j * d + t] = num[j * d + t] / mass[j];
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
    fn soft_kmeans_is_the_same_on_any_number_of_threads() {
        let w = random(3 * SKM_CHUNK + 17, 3, 21);
        let c0 = Mat { rows: 5, cols: 3, data: w.data[..15].to_vec() };
        let one = soft_kmeans_threads(&w, &c0, 0.7, 0.0, 4, 1);
        let three = soft_kmeans_threads(&w, &c0, 0.7, 0.0, 4, 3);
        assert_eq!(one.centres, three.centres);
        assert_eq!(one.last_change, three.last_change);
        // One update against the written-out weighted mean of eq. (2.9).
        let a = soft_assign(&w, &c0, 0.7);
        let step = soft_kmeans_threads(&w, &c0, 0.7, 0.0, 1, 2);
        for j in 0..5 {
            let mass: f64 = (0..w.rows).map(|i| a.at(i, j)).sum();
            for t in 0..3 {
                let want = (0..w.rows).map(|i| a.at(i, j) * w.at(i, t)).sum::<f64>() / mass;
                assert!((f64::from(step.centres.at(j, t)) - want).abs() < 1e-5);
            }
        }
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

    /// The small-matrix Gram at odd shapes (every remainder of the 4×3 tiles and of
    /// the 8 lanes) against an f64 reference of the same f32 inputs, within the standard
    /// bound for any order of summation: `|ĝ − g| ≤ γ_n·Σ_k |x_ik·x_jk|`, `γ_n = nu/(1 − nu)`, `u = 2⁻²⁴`
    /// (plus 1e-30 for the all-zero case), and the result exactly symmetric.
    #[test]
    fn small_gram_matches_f64_reference_at_odd_shapes() {
        #[cfg(target_arch = "x86_64")]
        if pulp::x86::V3::try_new().is_none() {
            eprintln!("no AVX2/FMA here: gram_f32 takes the GEMM path; the small kernel is not tested");
        }
        let shapes = [(1, 1), (1, 17), (2, 3), (3, 16), (4, 15), (5, 33), (7, 100), (16, 1), (17, 31)];
        let more = [(31, 47), (64, 64), (100, 100), (101, 129), (127, 5), (128, 784), (129, 63), (200, 200)];
        for (p, n) in shapes.into_iter().chain(more).chain([(255, 17), (256, 32), (257, 19)]) {
            let x32 = random(p, n, (p * 7919 + n) as u64).to_f32();
            let x = x32.to_f64();
            let want = naive(&x, &x.transpose());
            let mut results = vec![gram_f32_threads(&x32, 1), gram_f32_threads(&x32, 2)];
            #[cfg(target_arch = "x86_64")]
            {
                let mut g = Mat::<f32>::zeros(p, p);
                if small_gram::gram_f32(&x32.data, p, n, &mut g.data) {
                    results.push(g);
                }
            }
            for i in 0..p {
                for j in 0..p {
                    let abs: f64 = (0..n).map(|k| (x.at(i, k) * x.at(j, k)).abs()).sum();
                    let nu = n as f64 * f64::powi(2.0, -24);
                    let bound = nu / (1.0 - nu) * abs + 1e-30;
                    for g in &results {
                        let err = (f64::from(g.at(i, j)) - want.at(i, j)).abs();
                        assert!(err <= bound, "({p},{n}) [{i},{j}]: error {err:e} > {bound:e}");
                        assert_eq!(g.at(i, j).to_bits(), g.at(j, i).to_bits(), "({p},{n}) symmetry");
                    }
                }
            }
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

// ---------------------------------------------------------------------------
// General products with strides, and small dense linear algebra (symmetric
// eigenvalues, singular values, Cholesky solves, power iteration). Shapes and
// numbers only; the labs decide what the matrices mean.

/// `C ← alpha·op(A)·op(B) + beta·C` with explicit row/column strides for every operand
/// (a transposed operand is the same buffer with its strides swapped).
#[allow(clippy::too_many_arguments)]
fn gemm_strided_f64(
    (m, k, n): (usize, usize, usize),
    alpha: f64,
    (a, rsa, csa): (&[f64], usize, usize),
    (b, rsb, csb): (&[f64], usize, usize),
    beta: f64,
    (c, rsc, csc): (&mut [f64], usize, usize),
) {
    if m == 0 || n == 0 {
        return;
    }
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| {
        if rows == 0 || cols == 0 { 0 } else { (rows - 1) * rs + (cols - 1) * cs + 1 }
    };
    assert!(
        a.len() >= last(m, k, rsa, csa) && b.len() >= last(k, n, rsb, csb) && c.len() >= last(m, n, rsc, csc)
    );
    // matrixmultiply takes raw pointers; the assert above keeps every access in bounds.
    #[allow(unsafe_code)]
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            beta,
            c.as_mut_ptr(),
            rsc as isize,
            csc as isize,
        );
    }
}

/// `C ← alpha·A·B + beta·C` (f64, row-major, shapes `m×k`, `k×n`, `m×n`): the in-place
/// update form of [`matmul`] (e.g. a gradient step `X ← X − η·K·G` in one call).
pub fn gemm_acc(alpha: f64, a: &Mat<f64>, b: &Mat<f64>, beta: f64, c: &mut Mat<f64>) {
    assert!(a.cols == b.rows && c.rows == a.rows && c.cols == b.cols, "gemm_acc shapes");
    gemm_strided_f64(
        (a.rows, a.cols, b.cols),
        alpha,
        (&a.data, a.cols, 1),
        (&b.data, b.cols, 1),
        beta,
        (&mut c.data, c.cols, 1),
    );
}

/// `C ← alpha·A·B + beta·C` in f32 (row-major, shapes `m×k`, `k×n`, `m×n`).
pub fn gemm_acc_f32(alpha: f32, a: &Mat<f32>, b: &Mat<f32>, beta: f32, c: &mut Mat<f32>) {
    assert!(a.cols == b.rows && c.rows == a.rows && c.cols == b.cols, "gemm_acc_f32 shapes");
    gemm_f32(a.rows, a.cols, b.cols, alpha, &a.data, a.cols, (&b.data, b.cols, 1), beta, &mut c.data, c.cols);
}

/// An f32 matrix `A` made ready once for many products `A·B` ([`gemm_packed_f32`]): in the
/// browser, packed into [`sgemm4x8`]'s panels (which [`gemm_acc_f32`] repacks on every call),
/// in the relaxed-SIMD module when the page loaded it ([`super::relaxed`]: the same tiling with
/// fused multiply-adds), else in this module; natively as it is (`matrixmultiply` packs inside
/// each product).
pub enum PackedF32 {
    Tiles(sgemm4x8::PackedA),
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    Relaxed(super::relaxed::Packed),
    Plain(Mat<f32>),
}

impl PackedF32 {
    /// `a` for products with `B` of `n` columns (the size decides the kernel, as in
    /// [`gemm_acc_f32`]).
    pub fn new(a: Mat<f32>, n: usize) -> Self {
        if !on_tiles(a.rows, a.cols, n) {
            return PackedF32::Plain(a);
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        let a = match super::relaxed::Packed::new(a) {
            Ok(p) => return PackedF32::Relaxed(p),
            Err(a) => a,
        };
        PackedF32::Tiles(sgemm4x8::PackedA::new(a.rows, a.cols, (&a.data, a.cols)))
    }

    /// `(rows, cols)` of `A`.
    fn shape(&self) -> (usize, usize) {
        match self {
            PackedF32::Tiles(p) => (p.rows(), p.cols()),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            PackedF32::Relaxed(p) => (p.rows(), p.cols()),
            PackedF32::Plain(a) => (a.rows, a.cols),
        }
    }

    /// Which kernel its products run on: `simd128`, `relaxed_simd` (fused multiply-adds) or
    /// `plain` (`gemm_acc_f32`'s choice: `matrixmultiply`, or small sizes).
    pub fn kernel(&self) -> &'static str {
        match self {
            PackedF32::Tiles(_) => "simd128",
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            PackedF32::Relaxed(_) => "relaxed_simd",
            PackedF32::Plain(_) => "plain",
        }
    }
}

/// `C ← alpha·A·B + beta·C` (f32) with `A` made ready by [`PackedF32::new`]: the same numbers
/// as [`gemm_acc_f32`] on the same matrices, except on the relaxed kernel (fused
/// multiply-adds: each entry within the same f32 rounding bound of the exact product).
pub fn gemm_packed_f32(alpha: f32, a: &PackedF32, b: &Mat<f32>, beta: f32, c: &mut Mat<f32>) {
    let (m, k) = a.shape();
    assert!(k == b.rows && c.rows == m && c.cols == b.cols, "gemm_packed_f32 shapes");
    match a {
        PackedF32::Tiles(p) => {
            sgemm4x8::sgemm_packed(alpha, p, (&b.data, b.cols), b.cols, beta, (&mut c.data, c.cols))
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        PackedF32::Relaxed(p) => p.gemm(alpha, &b.data, b.cols, beta, &mut c.data),
        PackedF32::Plain(a) => gemm_acc_f32(alpha, a, b, beta, c),
    }
}

/// How far an f32 product `c ≈ a·b` is from the exact one: the largest `|c_ij − (a·b)_ij|` as a
/// fraction of the f32 bound `(k + 3)·u·Σ_t |a_it·b_tj|` (plus 1e-30), with the exact product
/// in f64. At most 1 for a correct f32 GEMM (the browser tests and the `gemm_f32` bench).
pub fn f32_product_error_over_bound(a: &Mat<f32>, b: &Mat<f32>, c: &Mat<f32>) -> f64 {
    assert!(a.cols == b.rows && c.rows == a.rows && c.cols == b.cols, "f32_product_error_over_bound shapes");
    let u = f64::from(f32::EPSILON) / 2.0;
    let mut worst = 0.0f64;
    for i in 0..a.rows {
        for j in 0..b.cols {
            let terms = (0..a.cols).map(|t| f64::from(a.at(i, t)) * f64::from(b.at(t, j)));
            let (exact, mag) = terms.fold((0.0, 0.0), |(s, g), x| (s + x, g + x.abs()));
            let bound = (a.cols as f64 + 3.0) * u * mag + 1e-30;
            worst = worst.max((f64::from(c.at(i, j)) - exact).abs() / bound);
        }
    }
    worst
}

/// `C ← alpha·A·B + beta·C` (f32) on `matrixmultiply` always (benches compare it with
/// [`sgemm4x8`]).
pub fn sgemm_matrixmultiply(alpha: f32, a: &Mat<f32>, b: &Mat<f32>, beta: f32, c: &mut Mat<f32>) {
    assert!(a.cols == b.rows && c.rows == a.rows && c.cols == b.cols, "sgemm shapes");
    gemm_f32_mm(
        a.rows,
        a.cols,
        b.cols,
        alpha,
        &a.data,
        a.cols,
        (&b.data, b.cols, 1),
        beta,
        &mut c.data,
        c.cols,
    );
}

/// `Aᵀ·B` for `A: k×m`, `B: k×n` (f64) without forming the transpose.
pub fn matmul_tn(a: &Mat<f64>, b: &Mat<f64>) -> Mat<f64> {
    assert_eq!(a.rows, b.rows, "matmul_tn shapes");
    let mut c = Mat::zeros(a.cols, b.cols);
    gemm_strided_f64(
        (a.cols, a.rows, b.cols),
        1.0,
        (&a.data, 1, a.cols),
        (&b.data, b.cols, 1),
        0.0,
        (&mut c.data, b.cols, 1),
    );
    c
}

/// `A·Bᵀ` for `A: m×k`, `B: n×k` (f64) without forming the transpose.
pub fn matmul_nt(a: &Mat<f64>, b: &Mat<f64>) -> Mat<f64> {
    assert_eq!(a.cols, b.cols, "matmul_nt shapes");
    let mut c = Mat::zeros(a.rows, b.rows);
    gemm_strided_f64(
        (a.rows, a.cols, b.rows),
        1.0,
        (&a.data, a.cols, 1),
        (&b.data, 1, b.cols),
        0.0,
        (&mut c.data, b.rows, 1),
    );
    c
}

fn to_dmatrix(m: &Mat<f64>) -> nalgebra::DMatrix<f64> {
    nalgebra::DMatrix::from_row_slice(m.rows, m.cols, &m.data)
}

/// Eigenvalues of a symmetric tridiagonal matrix (diagonal `d`, off-diagonal `e` with
/// `e[i]` coupling `i` and `i+1`), by the implicit QL method with Wilkinson-type shifts
/// (the EISPACK `tql1` iteration). An off-diagonal entry counts as zero below
/// `ε·max_i(|d_i| + |e_i|)` (absolute, as EISPACK's running norm), so clusters of
/// eigenvalues near 0 (rank-deficient matrices) converge; their accuracy is `ε‖T‖`.
/// `None` when an eigenvalue needs more than 60 iterations.
pub fn tridiagonal_eigenvalues(mut d: Vec<f64>, off: &[f64]) -> Option<Vec<f64>> {
    let n = d.len();
    let mut e = vec![0.0; n];
    for (i, &x) in off.iter().enumerate().take(n.saturating_sub(1)) {
        e[i] = x;
    }
    let norm = d.iter().zip(&e).fold(0.0f64, |a, (x, y)| a.max(x.abs() + y.abs()));
    let small = f64::EPSILON * norm;
    for l in 0..n {
        let mut iter = 0;
        loop {
            let mut m = l;
            while m + 1 < n {
                if e[m].abs() <= small {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iter += 1;
            if iter > 60 {
                return None;
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = g.hypot(1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0f64, 1.0f64, 0.0f64);
            let mut i = m;
            let mut underflow = false;
            while i > l {
                i -= 1;
                let f = s * e[i];
                let b = c * e[i];
                r = f.hypot(g);
                e[i + 1] = r;
                if r == 0.0 {
                    // Recover from underflow: the matrix splits here.
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    underflow = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
            }
            if underflow {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    Some(d)
}

/// Eigenvalues of the symmetric matrix `m` (only its lower triangle is read), sorted in
/// descending order: Householder tridiagonalisation (nalgebra) then implicit QL.
/// `None` for a non-square or non-finite input or when the iteration does not converge.
pub fn sym_eigenvalues(m: &Mat<f64>) -> Option<Vec<f64>> {
    if m.rows != m.cols || m.data.iter().any(|x| !x.is_finite()) {
        return None;
    }
    if m.rows == 0 {
        return Some(Vec::new());
    }
    let scale = m.data.iter().fold(0.0f64, |a, x| a.max(x.abs()));
    if scale == 0.0 {
        return Some(vec![0.0; m.rows]);
    }
    // Symmetrise from the lower triangle and scale to unit size (nalgebra does the same).
    let mut a = to_dmatrix(m);
    for i in 0..m.rows {
        for j in i + 1..m.rows {
            a[(i, j)] = a[(j, i)];
        }
    }
    a /= scale;
    let (d, e) = nalgebra::linalg::SymmetricTridiagonal::new(a).unpack_tridiagonal();
    let mut vals = tridiagonal_eigenvalues(d.as_slice().to_vec(), e.as_slice())?;
    for v in &mut vals {
        *v *= scale;
    }
    vals.sort_by(|a, b| b.total_cmp(a));
    Some(vals)
}

/// Singular values of `m` (any shape), sorted in descending order (nalgebra's SVD, no
/// singular vectors). `None` for an empty or non-finite input or when it does not converge.
pub fn singular_values(m: &Mat<f64>) -> Option<Vec<f64>> {
    if m.rows == 0 || m.cols == 0 || m.data.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let svd = nalgebra::linalg::SVD::try_new(to_dmatrix(m), false, false, f64::EPSILON * 5.0, 10_000)?;
    let mut s: Vec<f64> = svd.singular_values.iter().copied().collect();
    s.sort_by(|a, b| b.total_cmp(a));
    Some(s)
}

/// Solve `A·X = B` for a symmetric positive-definite `A` (`n×n`) and `B` (`n×k`) by
/// Cholesky. `None` when `A` is not numerically positive definite (or not finite).
pub fn cholesky_solve(a: &Mat<f64>, b: &Mat<f64>) -> Option<Mat<f64>> {
    if a.rows != a.cols || b.rows != a.rows || a.data.iter().chain(&b.data).any(|x| !x.is_finite()) {
        return None;
    }
    let chol = nalgebra::linalg::Cholesky::new(to_dmatrix(a))?;
    let x = chol.solve(&to_dmatrix(b));
    if x.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut out = Mat::zeros(b.rows, b.cols);
    for i in 0..b.rows {
        for j in 0..b.cols {
            out.data[i * b.cols + j] = x[(i, j)];
        }
    }
    Some(out)
}

/// The largest eigenvalue of a symmetric positive semi-definite `m` by power iteration
/// from the all-ones vector (deterministic): stops when the Rayleigh quotient changes by
/// less than `tol` (relative) or after `max_iter` products. Returns 0 for an empty or zero
/// matrix and NaN for a non-finite one.
pub fn psd_lambda_max(m: &Mat<f64>, max_iter: usize, tol: f64) -> f64 {
    let n = m.rows;
    if n == 0 || m.cols != n {
        return 0.0;
    }
    if m.data.iter().any(|x| !x.is_finite()) {
        return f64::NAN;
    }
    let mut v = vec![1.0 / (n as f64).sqrt(); n];
    let mut w = vec![0.0; n];
    let mut lambda = 0.0f64;
    for _ in 0..max_iter.max(1) {
        for (i, wi) in w.iter_mut().enumerate() {
            *wi = m.row(i).iter().zip(&v).map(|(a, b)| a * b).sum();
        }
        let rq: f64 = w.iter().zip(&v).map(|(a, b)| a * b).sum();
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            return 0.0;
        }
        for (vi, wi) in v.iter_mut().zip(&w) {
            *vi = wi / norm;
        }
        let done = (rq - lambda).abs() <= tol * rq.abs();
        lambda = rq;
        if done {
            break;
        }
    }
    lambda
}

#[cfg(test)]
mod linalg_tests {
    use super::*;
    use crate::rng::{normal, seeded};

    fn random(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
        let mut rng = seeded(seed, 7);
        Mat { rows, cols, data: (0..rows * cols).map(|_| normal(&mut rng)).collect() }
    }

    fn symmetric(n: usize, seed: u64) -> Mat<f64> {
        let a = random(n, n, seed);
        let mut s = Mat::zeros(n, n);
        for i in 0..n {
            for j in 0..n {
                s.data[i * n + j] = a.at(i, j) + a.at(j, i);
            }
        }
        s
    }

    #[test]
    fn strided_products_match_plain_ones() {
        let a = random(17, 9, 1);
        let b = random(17, 5, 2);
        assert!(matmul_tn(&a, &b).max_abs_diff(&matmul(&a.transpose(), &b)) < 1e-12);
        let c = random(6, 9, 3);
        assert!(matmul_nt(&a, &c).max_abs_diff(&matmul(&a, &c.transpose())) < 1e-12);
        let k = random(9, 4, 4);
        let mut acc = random(17, 4, 5);
        let want = {
            let ak = matmul(&a, &k);
            Mat {
                rows: 17,
                cols: 4,
                data: acc.data.iter().zip(&ak.data).map(|(x, y)| 0.5 * x - 2.0 * y).collect(),
            }
        };
        gemm_acc(-2.0, &a, &k, 0.5, &mut acc);
        assert!(acc.max_abs_diff(&want) < 1e-12);
    }

    #[test]
    fn sym_eigenvalues_match_nalgebra_and_the_trace() {
        for (n, seed) in [(1, 1), (2, 2), (5, 3), (40, 4), (120, 5)] {
            let s = symmetric(n, seed);
            let got = sym_eigenvalues(&s).expect("converges");
            let mut want: Vec<f64> =
                nalgebra::SymmetricEigen::new(to_dmatrix(&s)).eigenvalues.iter().copied().collect();
            want.sort_by(|a, b| b.total_cmp(a));
            let scale = want.iter().fold(1.0f64, |a, x| a.max(x.abs()));
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-10 * scale, "n={n}: {g} vs {w}");
            }
            let trace: f64 = (0..n).map(|i| s.at(i, i)).sum();
            assert!((got.iter().sum::<f64>() - trace).abs() < 1e-9 * scale * n as f64);
            assert!(got.windows(2).all(|w| w[0] >= w[1]), "sorted descending");
        }
        assert_eq!(sym_eigenvalues(&Mat::zeros(3, 3)), Some(vec![0.0; 3]));
        // Rank-deficient PSD matrices (a cluster of zero eigenvalues) converge too.
        for (n, r, seed) in [(100, 10, 31), (60, 1, 32), (80, 40, 33)] {
            let x = random(n, r, seed);
            let g = matmul_nt(&x, &x);
            let e = sym_eigenvalues(&g).expect("rank-deficient converges");
            let top = e[0];
            assert!(e[r..].iter().all(|v| v.abs() < 1e-12 * top), "n={n} r={r}");
            let want = sym_eigenvalues(&matmul_tn(&x, &x)).expect("small side");
            for (a, b) in e.iter().zip(&want) {
                assert!((a - b).abs() < 1e-10 * top);
            }
        }
        let mut bad = symmetric(3, 9);
        bad.data[4] = f64::NAN;
        assert_eq!(sym_eigenvalues(&bad), None);
    }

    #[test]
    fn singular_values_square_to_gram_eigenvalues() {
        for (r, c) in [(30, 7), (7, 30), (12, 12)] {
            let a = random(r, c, (r * c) as u64);
            let s = singular_values(&a).expect("svd");
            assert_eq!(s.len(), r.min(c));
            let g = if r >= c { matmul_tn(&a, &a) } else { matmul_nt(&a, &a) };
            let e = sym_eigenvalues(&g).expect("eig");
            for (si, ei) in s.iter().zip(&e) {
                assert!((si * si - ei).abs() < 1e-9 * e[0], "{si}² vs {ei}");
            }
        }
        assert_eq!(singular_values(&Mat::zeros(0, 3)), None);
    }

    #[test]
    fn cholesky_solve_solves_and_refuses_indefinite() {
        let a = random(20, 8, 11);
        let mut spd = matmul_tn(&a, &a);
        for i in 0..8 {
            spd.data[i * 8 + i] += 0.1;
        }
        let b = random(8, 3, 12);
        let x = cholesky_solve(&spd, &b).expect("spd");
        assert!(matmul(&spd, &x).max_abs_diff(&b) < 1e-10);
        let indefinite = symmetric(6, 13);
        assert!(cholesky_solve(&indefinite, &random(6, 1, 14)).is_none());
    }

    #[test]
    fn power_iteration_finds_the_top_eigenvalue_of_psd_matrices() {
        let a = random(50, 12, 21);
        let g = matmul_nt(&a, &a);
        let top = sym_eigenvalues(&g).expect("eig")[0];
        let got = psd_lambda_max(&g, 5000, 1e-14);
        assert!((got - top).abs() < 1e-8 * top, "{got} vs {top}");
        assert_eq!(psd_lambda_max(&Mat::zeros(4, 4), 10, 1e-12), 0.0);
    }
}

/// `Σ a_i b_i` with eight independent partial sums (vectorises; the summation order is fixed).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]) + tail
}

/// The Perron root (largest eigenvalue) of a symmetric matrix with non-negative entries,
/// by power iteration from the all-ones vector. Every iterate `v > 0` brackets it by the
/// Collatz–Wielandt bounds `min_i (Mv)_i/v_i ≤ λ_max ≤ max_i (Mv)_i/v_i`; the iteration
/// stops when the bracket is narrower than `tol` (relative) or after `max_iter` products
/// and returns the Rayleigh quotient `vᵀMv/vᵀv` (inside the bracket) with the bracket.
/// NaN for non-finite input, 0 for an empty or zero matrix.
pub fn perron_root(m: &Mat<f64>, tol: f64, max_iter: usize) -> (f64, f64, f64) {
    let n = m.rows;
    if n == 0 || m.cols != n {
        return (0.0, 0.0, 0.0);
    }
    if m.data.iter().any(|x| !x.is_finite() || *x < 0.0) {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mut v = vec![1.0; n];
    let mut w = vec![0.0; n];
    let (mut lo, mut hi, mut rq) = (0.0f64, f64::INFINITY, 0.0);
    for _ in 0..max_iter.max(1) {
        for (i, wi) in w.iter_mut().enumerate() {
            *wi = dot(m.row(i), &v);
        }
        rq = dot(&w, &v) / dot(&v, &v);
        let (mut l, mut h) = (f64::INFINITY, 0.0f64);
        let positive = v.iter().all(|&x| x > 0.0);
        if positive {
            for (wi, vi) in w.iter().zip(&v) {
                let r = wi / vi;
                l = l.min(r);
                h = h.max(r);
            }
            lo = lo.max(l);
            hi = hi.min(h);
        }
        let norm = dot(&w, &w).sqrt();
        if norm == 0.0 {
            return (0.0, 0.0, 0.0);
        }
        for (vi, wi) in v.iter_mut().zip(&w) {
            *vi = wi / norm;
        }
        if hi - lo <= tol * lo {
            break;
        }
    }
    (rq.clamp(lo.min(hi), hi.max(lo)), lo, hi)
}

#[cfg(test)]
mod perron_tests {
    use super::*;

    #[test]
    fn perron_root_brackets_the_top_eigenvalue() {
        let n = 40;
        let mut m = Mat::zeros(n, n);
        for i in 0..n {
            for j in 0..n {
                m.data[i * n + j] = (-0.05 * ((i as f64) - (j as f64)).powi(2)).exp();
            }
        }
        let top = sym_eigenvalues(&m).expect("eig")[0];
        let (l, lo, hi) = perron_root(&m, 1e-12, 10_000);
        assert!(lo <= top * (1.0 + 1e-12) && top <= hi * (1.0 + 1e-12), "{lo} {top} {hi}");
        assert!((l - top).abs() < 1e-9 * top);
        // The identity stops at once.
        let mut id = Mat::zeros(5, 5);
        for i in 0..5 {
            id.data[i * 6] = 1.0;
        }
        assert_eq!(perron_root(&id, 1e-12, 3), (1.0, 1.0, 1.0));
        let a: Vec<f64> = (0..37).map(|i| i as f64 * 0.5).collect();
        assert_eq!(dot(&a, &a), a.iter().map(|x| x * x).sum::<f64>());
    }
}
