//! An f32 GEMM for the browser: `C ← α·A·B + β·C` with row-major `A` and `B`, a 4 × 8
//! register tile of SIMD128 accumulators, `B` packed in panels of 8 columns and `A` in
//! panels of 4 rows, blocked by [`KC`] along the inner dimension.
//!
//! Why not `matrixmultiply`'s SIMD128 kernel: its 8 × 8 tile keeps 16 accumulators and
//! splats `A` with lane shuffles. In the browser each k-step then spills registers (x86-64
//! has 16 vector registers) and queues 16 shuffles on one port. Here each k-step loads two
//! vectors of `B` and four scalars of `A` broadcast straight from memory
//! (`v128.load32_splat`), then does 8 multiplies and 8 adds into 8 accumulators, which fits
//! the registers. Measured in headless Chromium by the `gemm_f32` bench workload (README).
//!
//! The arithmetic is plain f32 multiply-then-add, summed over `k` in order for every entry,
//! as in the reference loop the tests compare against. The packing and tiling code is
//! shared by every target; the four vector operations below are SIMD128 in WebAssembly and
//! arrays of four lanes elsewhere (so the native tests check the same tiling).

/// Inner-dimension block: an `A` panel (4 × KC) and a `B` panel (KC × 8) take 30 KiB, the
/// size of an L1 data cache (the `A` panel stays there; `B` panels stream from L2). One block
/// holds every product of the KLR sweep (P ≤ 600): each entry of `C` is then written once
/// per product. Against 256-deep blocks, 600 × 600 · 600 × 100 products took 0.92–0.94× the
/// time in Chromium (paired rounds, README).
const KC: usize = 640;
const NR: usize = 8;
/// Rows per register tile of [`sgemm`] and of [`PackedA`]'s panels.
const MR4: usize = 4;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::{f32x4, f32x4_extract_lane, f32x4_splat, v128};
    pub type V = v128;
    #[inline(always)]
    pub fn zero() -> V {
        f32x4_splat(0.0)
    }
    #[inline(always)]
    pub fn splat(x: f32) -> V {
        f32x4_splat(x)
    }
    #[inline(always)]
    pub fn from4(a: f32, b: f32, c: f32, d: f32) -> V {
        f32x4(a, b, c, d)
    }
    /// `a·b + c`: a multiply then an add; in the relaxed-SIMD build of this file
    /// (`kernels/relaxed-gemm`), one fused multiply-add where the machine has one.
    #[inline(always)]
    pub fn mul_add(a: V, b: V, c: V) -> V {
        #[cfg(target_feature = "relaxed-simd")]
        return core::arch::wasm32::f32x4_relaxed_madd(a, b, c);
        #[cfg(not(target_feature = "relaxed-simd"))]
        core::arch::wasm32::f32x4_add(core::arch::wasm32::f32x4_mul(a, b), c)
    }
    #[inline(always)]
    pub fn to_array(v: V) -> [f32; 4] {
        [
            f32x4_extract_lane::<0>(v),
            f32x4_extract_lane::<1>(v),
            f32x4_extract_lane::<2>(v),
            f32x4_extract_lane::<3>(v),
        ]
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    pub type V = [f32; 4];
    #[inline(always)]
    pub fn zero() -> V {
        [0.0; 4]
    }
    #[inline(always)]
    pub fn splat(x: f32) -> V {
        [x; 4]
    }
    #[inline(always)]
    pub fn from4(a: f32, b: f32, c: f32, d: f32) -> V {
        [a, b, c, d]
    }
    #[inline(always)]
    pub fn mul_add(a: V, b: V, c: V) -> V {
        std::array::from_fn(|l| a[l] * b[l] + c[l])
    }
    #[inline(always)]
    pub fn to_array(v: V) -> [f32; 4] {
        v
    }
}

use lanes::V;

/// The 4 × 8 tile `Σ_t a[t]ᵀ·b[t]` over a packed `A` panel (`kc × 4`, k-major) and a
/// packed `B` panel (`kc × 8`).
#[inline(always)]
fn tile<const MR: usize>(ap: &[f32], bp: &[f32]) -> [[V; 2]; MR] {
    let mut acc = [[lanes::zero(); 2]; MR];
    let (a4s, _) = ap.as_chunks::<MR>();
    let (b8s, _) = bp.as_chunks::<NR>();
    for (a4, b8) in a4s.iter().zip(b8s) {
        let b0 = lanes::from4(b8[0], b8[1], b8[2], b8[3]);
        let b1 = lanes::from4(b8[4], b8[5], b8[6], b8[7]);
        for (row, &a) in acc.iter_mut().zip(a4) {
            let av = lanes::splat(a);
            row[0] = lanes::mul_add(av, b0, row[0]);
            row[1] = lanes::mul_add(av, b1, row[1]);
        }
    }
    acc
}

/// Row-major `C ← alpha·A·B + beta·C` for `A: m×k` (row stride `lda`), `B: k×n` (row
/// stride `ldb`) and `C: m×n` (row stride `ldc`). `beta = 0` overwrites `C` (NaN in `C`
/// does not survive), as BLAS does.
pub fn sgemm(
    mkn: (usize, usize, usize),
    alpha: f32,
    a: (&[f32], usize),
    b: (&[f32], usize),
    beta: f32,
    c: (&mut [f32], usize),
) {
    sgemm_tiles::<MR4>(mkn, alpha, a, b, beta, c);
}

/// [`sgemm`] with `MR` rows per register tile (benches compare tile heights).
pub fn sgemm_tiles<const MR: usize>(
    mkn: (usize, usize, usize),
    alpha: f32,
    a: (&[f32], usize),
    b: (&[f32], usize),
    beta: f32,
    c: (&mut [f32], usize),
) {
    let (m, k, _) = mkn;
    assert!(m == 0 || mkn.2 == 0 || a.0.len() >= (m - 1) * a.1 + k, "sgemm shapes");
    check_bc(mkn, b, &c);
    // Each `A` panel is packed just before its tiles use it (it stays in the L1 cache).
    let mut panels = OnTheFly::<MR> { a, m, buf: vec![0.0f32; KC.min(k) * MR] };
    run::<MR>(mkn, alpha, b, beta, c, &mut panels);
}

/// Where [`run`] gets the packed `A` panel of rows `i0..i0+MR`, columns `k0..k0+kc`.
trait APanels {
    fn panel(&mut self, k0: usize, kc: usize, i0: usize) -> &[f32];
}

/// Packs each panel when asked, into one buffer.
struct OnTheFly<'a, const MR: usize> {
    a: (&'a [f32], usize),
    m: usize,
    buf: Vec<f32>,
}

impl<const MR: usize> APanels for OnTheFly<'_, MR> {
    fn panel(&mut self, k0: usize, kc: usize, i0: usize) -> &[f32] {
        let dst = &mut self.buf[..kc * MR];
        pack_panel::<MR>(self.a, (k0, kc), (i0, MR.min(self.m - i0)), dst);
        dst
    }
}

impl APanels for &PackedA {
    fn panel(&mut self, k0: usize, kc: usize, i0: usize) -> &[f32] {
        let mpad = self.m.div_ceil(MR4) * MR4;
        &self.data[k0 * mpad + i0 * kc..][..kc * MR4]
    }
}

/// `A` (`m × k`) packed once for many products [`sgemm_packed`] (the packing [`sgemm`]
/// repeats on every call): for each [`KC`] block of columns, its 4-row panels, each
/// `kc × 4` k-major with zero rows past `m`.
pub struct PackedA {
    m: usize,
    k: usize,
    data: Vec<f32>,
}

impl PackedA {
    /// Pack row-major `a` (`m × k`, row stride `lda`).
    pub fn new(m: usize, k: usize, (a, lda): (&[f32], usize)) -> Self {
        assert!(m == 0 || a.len() >= (m - 1) * lda + k, "PackedA shape");
        let mpad = m.div_ceil(MR4) * MR4;
        let mut data = vec![0.0f32; mpad * k];
        for k0 in (0..k).step_by(KC) {
            let kc = KC.min(k - k0);
            for i0 in (0..m).step_by(MR4) {
                let at = k0 * mpad + i0 * kc;
                pack_panel::<MR4>((a, lda), (k0, kc), (i0, MR4.min(m - i0)), &mut data[at..at + kc * MR4]);
            }
        }
        PackedA { m, k, data }
    }

    pub fn rows(&self) -> usize {
        self.m
    }

    pub fn cols(&self) -> usize {
        self.k
    }
}

/// [`sgemm`] with `A` packed beforehand: the same arithmetic in the same order, so the same
/// result to the bit.
pub fn sgemm_packed(
    alpha: f32,
    a: &PackedA,
    (b, ldb): (&[f32], usize),
    n: usize,
    beta: f32,
    c: (&mut [f32], usize),
) {
    let mkn = (a.m, a.k, n);
    check_bc(mkn, (b, ldb), &c);
    run::<MR4>(mkn, alpha, (b, ldb), beta, c, &mut &*a);
}

/// `B` (`k × n`) and `C` (`m × n`) hold the entries their strides address.
fn check_bc((m, k, n): (usize, usize, usize), (b, ldb): (&[f32], usize), (c, ldc): &(&mut [f32], usize)) {
    if m == 0 || n == 0 {
        return;
    }
    assert!((k == 0 || b.len() >= (k - 1) * ldb + n) && c.len() >= (m - 1) * ldc + n, "sgemm shapes");
}

/// `A[i0..i0+h, k0..k0+kc]` k-major into `dst` (`kc × MR`), zero rows past `h`.
#[inline]
fn pack_panel<const MR: usize>(
    (a, lda): (&[f32], usize),
    (k0, kc): (usize, usize),
    (i0, h): (usize, usize),
    dst: &mut [f32],
) {
    for (t, d4) in dst[..kc * MR].chunks_exact_mut(MR).enumerate() {
        for (r, d) in d4.iter_mut().enumerate() {
            *d = if r < h { a[(i0 + r) * lda + k0 + t] } else { 0.0 };
        }
    }
}

/// The blocked product, with the packed `A` panels from `a_panels`.
fn run<const MR: usize>(
    (m, k, n): (usize, usize, usize),
    alpha: f32,
    (b, ldb): (&[f32], usize),
    beta: f32,
    (c, ldc): (&mut [f32], usize),
    a_panels: &mut impl APanels,
) {
    if m == 0 || n == 0 {
        return;
    }
    for row in c.chunks_mut(ldc).take(m) {
        for x in &mut row[..n] {
            *x = if beta == 0.0 { 0.0 } else { beta * *x };
        }
    }
    if k == 0 || alpha == 0.0 {
        return;
    }
    let panels = n.div_ceil(NR);
    let mut bpack = vec![0.0f32; KC.min(k) * panels * NR];
    for k0 in (0..k).step_by(KC) {
        let kc = KC.min(k - k0);
        // B[k0..k0+kc, :] as `panels` blocks of kc × 8, zero-padded past column n.
        let bpack = &mut bpack[..kc * panels * NR];
        for (jp, panel) in bpack.chunks_exact_mut(kc * NR).enumerate() {
            let (j0, w) = (jp * NR, NR.min(n - jp * NR));
            for (t, dst) in panel.chunks_exact_mut(NR).enumerate() {
                let src = &b[(k0 + t) * ldb + j0..][..w];
                dst[..w].copy_from_slice(src);
                dst[w..].fill(0.0);
            }
        }
        for i0 in (0..m).step_by(MR) {
            let h = MR.min(m - i0);
            let apack = a_panels.panel(k0, kc, i0);
            for (jp, panel) in bpack.chunks_exact(kc * NR).enumerate() {
                let acc = tile::<MR>(apack, panel);
                let (j0, w) = (jp * NR, NR.min(n - jp * NR));
                for (r, row) in acc.iter().enumerate().take(h) {
                    let (lo, hi) = (lanes::to_array(row[0]), lanes::to_array(row[1]));
                    let out = &mut c[(i0 + r) * ldc + j0..][..w];
                    for (x, v) in out.iter_mut().zip(lo.iter().chain(&hi)) {
                        *x += alpha * v;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `alpha·A·B + beta·C` in f64 (the reference) and the bound on an f32 result:
    /// `(k + 2)·u·Σ|terms|` for each entry.
    type Gemm = fn((usize, usize, usize), f32, (&[f32], usize), (&[f32], usize), f32, (&mut [f32], usize));

    fn check(gemm: Gemm, m: usize, k: usize, n: usize, alpha: f32, beta: f32, pad: usize) {
        let (lda, ldb, ldc) = (k + pad, n + pad, n + 2 * pad);
        let val = |i: usize, s: u64| {
            (((i as u64).wrapping_mul(2_654_435_761).wrapping_add(s) % 1000) as f32 - 500.0) / 250.0
        };
        let a: Vec<f32> = (0..m * lda).map(|i| val(i, 1)).collect();
        let b: Vec<f32> = (0..k * ldb).map(|i| val(i, 2)).collect();
        let c0: Vec<f32> = (0..m * ldc).map(|i| val(i, 3)).collect();
        let mut c = c0.clone();
        gemm((m, k, n), alpha, (&a, lda), (&b, ldb), beta, (&mut c, ldc));
        let u = f64::from(f32::EPSILON) / 2.0;
        for i in 0..m {
            for j in 0..ldc {
                let got = f64::from(c[i * ldc + j]);
                if j >= n {
                    assert_eq!(got, f64::from(c0[i * ldc + j]), "({i},{j}) outside C touched");
                    continue;
                }
                let terms = (0..k).map(|t| f64::from(a[i * lda + t]) * f64::from(b[t * ldb + j]));
                let (exact, mag) = terms.fold((0.0, 0.0), |(s, g), x| (s + x, g + x.abs()));
                let want = f64::from(alpha) * exact + f64::from(beta) * f64::from(c0[i * ldc + j]);
                let bound = (k as f64 + 3.0)
                    * u
                    * (f64::from(alpha.abs()) * mag
                        + f64::from(beta.abs()) * f64::from(c0[i * ldc + j].abs()))
                    + 1e-30;
                assert!((got - want).abs() <= bound, "{m}x{k}x{n} ({i},{j}): {got} vs {want}");
            }
        }
    }

    #[test]
    fn matches_the_f64_product_within_f32_rounding_at_every_edge() {
        // Sizes below, at and across the 4 × 8 tile and the KC block, with and without padding.
        for &(m, k, n) in &[
            (1, 1, 1),
            (3, 5, 7),
            (4, 8, 8),
            (5, 9, 9),
            (13, 257, 17),
            (33, 600, 100),
            (8, 1283, 24),
            (5, 641, 9),
        ] {
            for &(alpha, beta, pad) in &[(1.0, 0.0, 0), (-0.7, 1.0, 3), (2.0, -0.5, 1)] {
                for gemm in [sgemm as Gemm, sgemm_tiles::<5>, sgemm_tiles::<6>] {
                    check(gemm, m, k, n, alpha, beta, pad);
                }
            }
        }
    }

    #[test]
    fn packing_a_once_gives_the_same_bits() {
        for &(m, k, n) in &[(1, 1, 1), (3, 5, 7), (13, 257, 17), (33, 600, 100), (8, 1283, 24), (5, 641, 9)] {
            let val = |i: usize, s: u64| {
                (((i as u64).wrapping_mul(2_654_435_761).wrapping_add(s) % 997) as f32 - 498.0) / 99.0
            };
            let (lda, ldc) = (k + 2, n + 1);
            let a: Vec<f32> = (0..m * lda).map(|i| val(i, 5)).collect();
            let b: Vec<f32> = (0..k * n).map(|i| val(i, 6)).collect();
            let c0: Vec<f32> = (0..m * ldc).map(|i| val(i, 7)).collect();
            let packed = PackedA::new(m, k, (&a, lda));
            for &(alpha, beta) in &[(1.0, 0.0), (-0.7, 1.0)] {
                let (mut want, mut got) = (c0.clone(), c0.clone());
                sgemm((m, k, n), alpha, (&a, lda), (&b, n), beta, (&mut want, ldc));
                sgemm_packed(alpha, &packed, (&b, n), n, beta, (&mut got, ldc));
                assert!(want.iter().zip(&got).all(|(x, y)| x.to_bits() == y.to_bits()), "{m}x{k}x{n}");
            }
        }
    }

    #[test]
    fn degenerate_shapes_scale_c_only() {
        let mut c = vec![1.0f32, 2.0, f32::NAN, 4.0];
        sgemm((2, 0, 2), 1.0, (&[], 0), (&[], 2), 0.5, (&mut c, 2));
        assert_eq!(&c[..2], &[0.5, 1.0]);
        assert!(c[2].is_nan());
        sgemm((2, 0, 2), 1.0, (&[], 0), (&[], 2), 0.0, (&mut c, 2));
        assert_eq!(c, vec![0.0; 4], "beta = 0 overwrites, NaN included");
    }
}
