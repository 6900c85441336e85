//! The Gram product `X·Xᵀ` of a matrix with few rows (f32, x86-64 with AVX2/FMA), in safe
//! Rust through `pulp`'s runtime-dispatched SIMD: register tiles of 4 × 3 dot products of
//! rows of X (12 accumulators of 8 lanes, no packing), only the tiles on and below the
//! diagonal, each dot product written to both of its places in the result (no separate
//! mirroring pass). `matrixmultiply`'s GEMM packs both operands and multiplies the whole
//! square when P fits in one diagonal block; on 100×100 this kernel takes about two thirds
//! of its time.
//!
//! AVX2, not AVX-512: pulp's AVX-512 level (its `x86-v4` feature) would also switch
//! faer's kernels (the hetero lab's eigenvalues) to AVX-512 and turn on bytemuck's
//! `avx512_simd` for the whole dependency tree; measured here, an AVX-512 version of this
//! kernel (4 × 4 tiles of 16 lanes) took 17 µs on 100×100 against this one's ~20 µs.

use pulp::x86::V3;
use pulp::{Simd, f32x8};

/// Rows of the left (`MR`) and of the right (`NR`) operand of one register tile: 12
/// accumulators and 3 loaded vectors of the 16 AVX registers.
const MR: usize = 4;
const NR: usize = 3;

/// `G ← X·Xᵀ` for `X: p×n` (row-major, `x.len() ≥ p·n`) into `g` (`p×p`, row-major).
/// Returns `false`, leaving `g` untouched, when the CPU has no AVX2/FMA (the caller then
/// takes the general path).
pub(super) fn gram_f32(x: &[f32], p: usize, n: usize, g: &mut [f32]) -> bool {
    assert!(x.len() >= p * n && g.len() >= p * p, "small_gram shapes");
    let Some(simd) = V3::try_new() else { return false };
    if p > 0 {
        simd.vectorize(|| lower(simd, x, p, n, g));
    }
    true
}

#[inline(always)]
fn lower(simd: V3, x: &[f32], p: usize, n: usize, g: &mut [f32]) {
    // Rows past the end repeat the last row: the edge tiles compute a few dot products
    // that are then not written.
    let row = |i: usize| {
        let i = i.min(p - 1);
        &x[i * n..i * n + n]
    };
    for i0 in (0..p).step_by(MR) {
        let a: [&[f32]; MR] = core::array::from_fn(|r| row(i0 + r));
        for j0 in (0..(i0 + MR).min(p)).step_by(NR) {
            let b: [&[f32]; NR] = core::array::from_fn(|c| row(j0 + c));
            let t = tile(simd, &a, &b);
            if j0 + NR <= i0 && i0 + MR <= p {
                // Wholly below the diagonal: a row of four above it per column.
                for (c, tc) in t.iter().enumerate() {
                    let j = j0 + c;
                    g[j * p + i0..][..MR].copy_from_slice(tc);
                    for (r, &v) in tc.iter().enumerate() {
                        g[(i0 + r) * p + j] = v;
                    }
                }
                continue;
            }
            for (c, tc) in t.iter().enumerate() {
                let j = j0 + c;
                for (r, &v) in tc.iter().enumerate() {
                    let i = i0 + r;
                    if j <= i && i < p {
                        g[i * p + j] = v;
                        g[j * p + i] = v;
                    }
                }
            }
        }
    }
}

/// The 12 dot products `a[r]·b[c]`, as `[c][r]`.
#[inline(always)]
fn tile(simd: V3, a: &[&[f32]; MR], b: &[&[f32]; NR]) -> [[f32; MR]; NR] {
    let len = V3::as_simd_f32s(a[0]).0.len();
    let ah: [&[f32x8]; MR] = core::array::from_fn(|r| &V3::as_simd_f32s(a[r]).0[..len]);
    let bh: [&[f32x8]; NR] = core::array::from_fn(|c| &V3::as_simd_f32s(b[c]).0[..len]);
    let mut acc = [[simd.splat_f32s(0.0); MR]; NR];
    for k in 0..len {
        let bv: [f32x8; NR] = core::array::from_fn(|c| bh[c][k]);
        for r in 0..MR {
            let av = ah[r][k];
            for c in 0..NR {
                acc[c][r] = simd.mul_add_f32s(av, bv[c], acc[c][r]);
            }
        }
    }
    // The last n mod 8 columns: masked loads, zero beyond the row.
    if !V3::as_simd_f32s(a[0]).1.is_empty() {
        let bv: [f32x8; NR] = core::array::from_fn(|c| simd.partial_load_f32s(V3::as_simd_f32s(b[c]).1));
        for r in 0..MR {
            let av = simd.partial_load_f32s(V3::as_simd_f32s(a[r]).1);
            for c in 0..NR {
                acc[c][r] = simd.mul_add_f32s(av, bv[c], acc[c][r]);
            }
        }
    }
    // Four accumulators to their four sums: three horizontal adds, then the two halves.
    acc.map(|[a0, a1, a2, a3]| {
        let h01 = simd.avx._mm256_hadd_ps(pulp::cast(a0), pulp::cast(a1));
        let h23 = simd.avx._mm256_hadd_ps(pulp::cast(a2), pulp::cast(a3));
        let h = simd.avx._mm256_hadd_ps(h01, h23);
        pulp::cast(
            simd.sse._mm_add_ps(simd.avx._mm256_castps256_ps128(h), simd.avx._mm256_extractf128_ps::<1>(h)),
        )
    })
}
