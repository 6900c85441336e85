//! Training the dual weights `α ∈ R^{P×N}` (SPEC Lab 1, "Training"): kernel logistic
//! regression by full-batch gradient descent (the author's protocol) and kernel ridge
//! regression in closed form; the curvature that decides whether the descent is stable.
//!
//! Loss, for all neurons at once (column `i` of `α` belongs to neuron `i`):
//! `L(α) = Σ_{ν,i} softplus(−ξ^ν_i H_νi) + (λ/2) Σ_{ν,i} α_νi H_νi`, `H = K α`,
//! with `softplus(z) = ln(1 + e^z)`; the gradient is `∇L = K (R + λ α)` with
//! `R = −Ξ ⊙ σ(−Ξ ⊙ H)` (equivalently targets `(ξ + 1)/2` with binary cross-entropy).

use crate::compute::{Compute, Mat, cpu};
use serde::Serialize;

/// What gradient descent does when it detects divergence (the loss rising above its
/// starting value). Non-finite values always stop it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDiverge {
    /// Stop and keep the last α before the failing epoch; the lab reports no numbers.
    Stop,
    /// Run out the epoch budget (as a protocol without the test would) and flag the result.
    Continue,
}

/// The arithmetic of the two matrix products of every epoch, `K·α` and `K·Z`
/// (everything else — α, the loss, the stop rules, and all that follows training — is f64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// `K` and the `P × N` operand rounded to f32, products accumulated in f32 (the SIMD
    /// f32 GEMM kernel reaches up to ~8× the f64 one in WebAssembly, ~2× natively; the GPU
    /// trains in f32 too), results added to the f64 α.
    F32,
    /// Products in f64: the reference.
    F64,
}

impl Precision {
    /// The unit roundoff of the products.
    pub fn unit_roundoff(self) -> f64 {
        match self {
            Precision::F32 => f64::from(f32::EPSILON) / 2.0,
            Precision::F64 => f64::EPSILON / 2.0,
        }
    }
}

/// Gradient-descent settings (author's protocol: λ = 0.01, η = 0.1, 300 epochs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GdConfig {
    /// Ridge strength λ of `(λ/2) αᵀKα`.
    pub lambda: f64,
    /// Step size η.
    pub lr: f64,
    /// Budget: the number of updates.
    pub epochs: usize,
    /// Stop when `|L_{t−1} − L_t| ≤ tol·|L_{t−1}|` (0 disables the test).
    pub tol: f64,
    pub on_diverge: OnDiverge,
    /// The arithmetic of the epoch's products (the lab's default is f32; this default, f64,
    /// is the reference the tests of the math use).
    pub precision: Precision,
}

impl Default for GdConfig {
    fn default() -> Self {
        Self {
            lambda: 0.01,
            lr: 0.1,
            epochs: 300,
            tol: 1e-6,
            on_diverge: OnDiverge::Stop,
            precision: Precision::F64,
        }
    }
}

/// Why a training was declared divergent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DivergeWhy {
    /// The loss rose above its value at α = 0 (`P·N·ln 2`): the step overshoots.
    LossRose,
    /// A loss or field value became NaN or infinite.
    NonFinite,
}

/// How a training ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// The relative loss change fell under the tolerance at `epoch`.
    Converged { epoch: usize },
    /// The epoch budget ran out.
    #[serde(rename = "budget")]
    BudgetExhausted,
    /// Divergence detected at `epoch` (the first time, in `continue` mode).
    Diverged { epoch: usize, why: DivergeWhy },
    /// Kernel ridge regression: solved, no iterations.
    ClosedForm,
}

impl Status {
    pub fn diverged(&self) -> bool {
        matches!(self, Status::Diverged { .. })
    }

    /// A sentence for the visitor.
    pub fn message(&self, on: OnDiverge, epochs_run: usize) -> String {
        match *self {
            Status::Converged { epoch } => {
                format!("converged at epoch {epoch} (relative loss change under tol)")
            }
            Status::BudgetExhausted => format!("ran the full budget of {epochs_run} epochs"),
            Status::ClosedForm => "kernel ridge regression: α = (K + λI)⁻¹ Ξ, no iterations".into(),
            Status::Diverged { epoch, why } => {
                let what = match why {
                    DivergeWhy::LossRose => "the loss rose above its starting value P·N·ln 2",
                    DivergeWhy::NonFinite => "a loss or field value became NaN or infinite",
                };
                match (on, why) {
                    (_, DivergeWhy::NonFinite) | (OnDiverge::Stop, _) => format!(
                        "gradient descent diverged at epoch {epoch}: {what}; stopped, keeping the α of epoch {}",
                        epoch.saturating_sub(1)
                    ),
                    (OnDiverge::Continue, DivergeWhy::LossRose) => format!(
                        "gradient descent diverged at epoch {epoch}: {what}; continued to epoch {epochs_run} as asked (diverge=continue) — the numbers describe an unstable training"
                    ),
                }
            }
        }
    }
}

/// The result of a training.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The dual weights `α` (`P × N`) kept at the end (the last finite / last good ones).
    pub alpha: Mat<f64>,
    /// `H = K α` for that `α`: the fields at the stored patterns.
    pub h: Mat<f64>,
    /// The loss of every `α_t` evaluated, `t = 0, 1, …` (including a failing one).
    pub loss: Vec<f64>,
    /// Updates applied to the returned `α`.
    pub epochs_run: usize,
    pub status: Status,
    /// Epochs at which the loss rose (GD with a step under 2/curvature never has any).
    pub loss_rises: usize,
}

/// `ln(1 + e^z)` without overflow.
#[inline]
pub fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// Loss and gradient at `α` (for tests and checks; the training loop fuses these).
pub fn loss_and_gradient(k: &Mat<f64>, xi: &Mat<f64>, alpha: &Mat<f64>, lambda: f64) -> (f64, Mat<f64>) {
    let h = cpu::matmul(k, alpha);
    let mut z = Mat::zeros(alpha.rows, alpha.cols);
    let mut loss = 0.0;
    for idx in 0..h.data.len() {
        let (x, hv, a) = (xi.data[idx], h.data[idx], alpha.data[idx]);
        let y = x * hv;
        loss += softplus(-y) + 0.5 * lambda * a * hv;
        let s = 1.0 / (1.0 + y.exp());
        z.data[idx] = -x * s + lambda * a;
    }
    (loss, cpu::matmul(k, &z))
}

/// Factors of `Π(1 + e_k)` multiplied before one logarithm: each factor is in `[1, 2]`,
/// so a block of 512 stays below 2^512 (no overflow) and loses at most ~1e-13 relative.
const LOG_BLOCK: usize = 512;

/// Independent accumulators of the fused pass (sums and products over `LANES` interleaved
/// entries, so that the loop vectorises: SIMD128 in WebAssembly, AVX natively).
const LANES: usize = 4;

/// `e^{−a}` for `a ≥ 0`, branch-free so that loops over it vectorise (the library `exp` is
/// a scalar call, and in WebAssembly a software one: it was half of a training's time).
/// Cody–Waite reduction `−a = k·ln 2 + r`, `|r| ≤ ln 2 / 2`, Taylor series of `e^r` to
/// `r¹²` (truncation ≤ 2.4e-16 relative), scaling by `2^k` through the exponent bits.
/// Relative error ≤ 5e-16 (tested against `f64::exp`); `a > 708` (where `e^{−a}` is below
/// the smallest normal f64) and `+∞` give 0, NaN gives NaN (the callers also test
/// their inputs for finiteness separately).
#[inline(always)]
pub fn exp_neg(a: f64) -> f64 {
    /// 1.5·2^52: adding it rounds to an integer held in the low bits of the mantissa.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const C: [f64; 13] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
    ];
    // Compare-and-select rather than `f64::min` (whose NaN rules keep it from vectorising in
    // WebAssembly: 3× slower there).
    let big = a > 708.0;
    let x = if big { -708.0 } else { -a };
    let t = x * std::f64::consts::LOG2_E + SHIFT;
    let k = t - SHIFT; // round(x·log2 e) ∈ [−1022, 0]
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // `q(r) = Σ_{j≥2} C_j·r^{j−2}` by Estrin's scheme (short dependency chains: Horner's
    // twelve dependent steps made this loop latency-bound, 1.45× the time in Chromium),
    // then `e^r ≈ 1 + (r + r²·q)`, where `r² ≤ 0.12` damps the rounding of `q`.
    let (r2, r4) = (r * r, r * r * (r * r));
    let q25 = (C[2] + C[3] * r) + (C[4] + C[5] * r) * r2;
    let q69 = (C[6] + C[7] * r) + (C[8] + C[9] * r) * r2;
    let q1012 = (C[10] + C[11] * r) + C[12] * r2;
    let q = (q25 + q69 * r4) + q1012 * (r4 * r4);
    let p = 1.0 + (r + r2 * q);
    // 2^k from its exponent field: k + 1023 ∈ [1, 1023].
    let kb = (t.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    let scale = f64::from_bits(((kb + 1023) as u64) << 52);
    let v = p * scale;
    if big { 0.0 } else { v }
}

/// One entry of `Z = −ξ·σ(−y) + λα`, with `σ(−y) = (y ≥ 0 ? e : 1)/(1 + e)` from
/// `e = e^{−|y|}`: the one formula of [`loss_and_z`] and [`weighted_loss_and_z`] (whose
/// trainings agree bit for bit).
#[inline(always)]
fn z_entry(x: f64, y: f64, e: f64, lambda: f64, a: f64) -> f64 {
    let num = if y >= 0.0 { e } else { 1.0 };
    -x * (num / (1.0 + e)) + lambda * a
}

/// One fused pass over the `P × N` entries: the loss of `α` (with `H = Kα`) and
/// `Z = R + λα` into `z`. Returns `(loss, all fields finite)`.
/// `Σ ln(1 + e^{−|y|})` is taken as the logarithm of blocked products (one `ln` per
/// [`LOG_BLOCK`] entries instead of one per entry). One loop over the entries in groups of
/// [`LANES`] (independent accumulators, so that it vectorises: SIMD128 in WebAssembly, AVX
/// natively) reads `ξ`, `H`, `α` once and writes `Z`: 0.6× the time of three loops (with
/// `e^{−|y|}` stored in between) in Chromium.
fn loss_and_z(xi: &[f64], h: &[f64], alpha: &[f64], lambda: f64, z: &mut [f64]) -> (f64, bool) {
    let (mut data, mut reg_total, mut check) = (0.0f64, 0.0f64, 0.0f64);
    let blocks = xi.chunks(LOG_BLOCK).zip(h.chunks(LOG_BLOCK)).zip(alpha.chunks(LOG_BLOCK));
    for (((xs, hs), als), zs) in blocks.zip(z.chunks_mut(LOG_BLOCK)) {
        // Per lane: Π(1 + e), Σ 2·max(−y, 0) = Σ(|y| − y) (exactly twice the hinge's terms),
        // Σ α·h, and Σ h·0 (0, or NaN for a non-finite field).
        let (mut prod, mut twice_hinge, mut reg, mut nan) =
            ([1.0f64; LANES], [0.0f64; LANES], [0.0f64; LANES], [0.0f64; LANES]);
        let mut entry = |l: usize, x: f64, hv: f64, a: f64, zv: &mut f64| {
            let y = x * hv;
            let e = exp_neg(y.abs());
            twice_hinge[l] += y.abs() - y;
            prod[l] *= 1.0 + e;
            reg[l] += a * hv;
            nan[l] += hv * 0.0;
            *zv = z_entry(x, y, e, lambda, a);
        };
        let full = xs.len() / LANES * LANES;
        let groups = xs.chunks_exact(LANES).zip(hs.chunks_exact(LANES)).zip(als.chunks_exact(LANES));
        for (((x, hv), a), zv) in groups.zip(zs.chunks_exact_mut(LANES)) {
            for l in 0..LANES {
                entry(l, x[l], hv[l], a[l], &mut zv[l]);
            }
        }
        let tail = xs[full..].iter().zip(&hs[full..]).zip(&als[full..]);
        for (((&x, &hv), &a), zv) in tail.zip(&mut zs[full..]) {
            entry(0, x, hv, a, zv);
        }
        data += 0.5 * twice_hinge.iter().sum::<f64>() + prod.iter().product::<f64>().ln();
        reg_total += reg.iter().sum::<f64>();
        check += nan.iter().sum::<f64>();
    }
    (data + 0.5 * lambda * reg_total, check == 0.0)
}

/// The products `K·X` of the training loop, in the configured precision, skipping the
/// entries of `K` that cannot change a product at that precision.
///
/// Dropping entries: with `u` the unit roundoff of the products and `d` the smallest
/// diagonal entry, every row drops its smallest off-diagonal entries while their sum stays
/// at most `u·d`, so `(K·X)_ij` changes by at most `u·d·max_k |X_kj|`, the size of the
/// rounding error of the product itself. At large γ the off-diagonal entries underflow
/// (`exp(−4γ·Hamming)`): all of them go ([`Products::Diagonal`]); a little below, most of
/// them go ([`Kernel::Sparse`]); at small γ none do.
enum Products<'a> {
    /// Every row drops all its off-diagonal entries: `O(P·N)` per product instead of `O(P²·N)`.
    Diagonal(Vec<f64>),
    F64(Kernel<&'a Mat<f64>, f64>),
    /// `K` in f32 (dense: packed once for all the training's products) and scratch for the
    /// f32 operand and result.
    F32 {
        k: Kernel<cpu::PackedF32, f32>,
        x: Mat<f32>,
        out: Mat<f32>,
    },
}

/// `K` as a product needs it: dense (`D`), or the entries each row keeps (see [`Products`]).
enum Kernel<D, T> {
    Dense(D),
    Sparse(Sparse<T>),
}

/// A sparse matrix by rows: row `i` holds `(cols[e], vals[e])` for `e ∈ starts[i]..starts[i+1]`.
struct Sparse<T> {
    starts: Vec<usize>,
    cols: Vec<usize>,
    vals: Vec<T>,
}

/// The sparse form pays off (its row-by-row products are slower per entry than a GEMM's)
/// when at most this fraction of the entries is kept.
pub(super) const SPARSE_FILL: f64 = 0.2;

impl<T: Copy + Default + std::ops::Mul<Output = T> + std::ops::AddAssign> Sparse<T> {
    /// `out ← S·x` for `x: cols × n` (row-major slices).
    fn mul(&self, x: &[T], n: usize, out: &mut [T]) {
        for (i, orow) in out.chunks_mut(n).enumerate() {
            orow.fill(T::default());
            for e in self.starts[i]..self.starts[i + 1] {
                let (j, v) = (self.cols[e], self.vals[e]);
                orow.iter_mut().zip(&x[j * n..(j + 1) * n]).for_each(|(o, &xv)| *o += v * xv);
            }
        }
    }
}

impl<'a> Products<'a> {
    fn new(k: &'a Mat<f64>, n: usize, precision: Precision) -> Self {
        let p = k.rows;
        let diag: Vec<f64> = (0..p).map(|i| k.at(i, i)).collect();
        let min_diag = diag.iter().copied().fold(f64::INFINITY, f64::min);
        let budget = precision.unit_roundoff() * min_diag;
        // The entries each row keeps (the diagonal first), while the sparse form can pay off.
        let mut kept: Option<Sparse<f64>> =
            (p > 1 && min_diag > 0.0).then(|| Sparse { starts: vec![0], cols: Vec::new(), vals: Vec::new() });
        let limit = (SPARSE_FILL * (p * p) as f64) as usize;
        let mut off: Vec<(f64, usize)> = Vec::with_capacity(p);
        for (i, &di) in diag.iter().enumerate() {
            let Some(s) = kept.as_mut() else { break };
            s.cols.push(i);
            s.vals.push(di);
            // Only entries up to the budget can go. When those sum to at most the budget
            // they all go (no sort: the diagonal case, and the dense one where none is that
            // small); else the smallest of them, in order, while the sum stays within it.
            off.clear();
            off.extend(
                k.row(i)
                    .iter()
                    .enumerate()
                    .filter(|&(j, v)| j != i && v.abs() <= budget)
                    .map(|(j, v)| (v.abs(), j)),
            );
            if off.iter().map(|&(v, _)| v).sum::<f64>() > budget {
                off.sort_by(|a, b| a.0.total_cmp(&b.0));
                let mut sum = 0.0;
                let first_kept = off.iter().position(|&(v, _)| {
                    sum += v;
                    sum > budget
                });
                off.truncate(first_kept.unwrap_or(off.len()));
            }
            let mut dropped: Vec<usize> = off.iter().map(|&(_, j)| j).collect();
            dropped.sort_unstable();
            let mut next = dropped.iter().peekable();
            for (j, &v) in k.row(i).iter().enumerate() {
                if next.next_if_eq(&&j).is_none() && j != i {
                    s.cols.push(j);
                    s.vals.push(v);
                }
            }
            s.starts.push(s.cols.len());
            if s.cols.len() > limit {
                kept = None;
            }
        }
        let kernel = match kept {
            Some(s) if s.cols.len() == p => return Products::Diagonal(diag),
            Some(s) => Kernel::Sparse(s),
            None => Kernel::Dense(k),
        };
        match precision {
            Precision::F64 => Products::F64(kernel),
            Precision::F32 => Products::F32 {
                k: match kernel {
                    Kernel::Dense(k) => Kernel::Dense(cpu::PackedF32::new(k.to_f32(), n)),
                    Kernel::Sparse(s) => Kernel::Sparse(Sparse {
                        starts: s.starts,
                        cols: s.cols,
                        vals: s.vals.iter().map(|&v| v as f32).collect(),
                    }),
                },
                x: Mat::zeros(p, n),
                out: Mat::zeros(p, n),
            },
        }
    }

    /// `out ← K·x`.
    fn apply(&mut self, x: &Mat<f64>, out: &mut Mat<f64>) {
        match self {
            Products::Diagonal(d) => {
                for ((orow, xrow), di) in out.data.chunks_mut(x.cols).zip(x.data.chunks(x.cols)).zip(d.iter())
                {
                    orow.iter_mut().zip(xrow).for_each(|(o, v)| *o = di * v);
                }
            }
            Products::F64(Kernel::Dense(k)) => cpu::gemm_acc(1.0, k, x, 0.0, out),
            Products::F64(Kernel::Sparse(s)) => s.mul(&x.data, x.cols, &mut out.data),
            Products::F32 { .. } => {
                let prod = self.f32_product(x);
                out.data.iter_mut().zip(prod).for_each(|(o, &v)| *o = f64::from(v));
            }
        }
    }

    /// `acc ← acc + a·K·x` (`scratch`: room for a product, used by the sparse f64 form).
    fn apply_add(&mut self, a: f64, x: &Mat<f64>, acc: &mut Mat<f64>, scratch: &mut Mat<f64>) {
        match self {
            Products::Diagonal(d) => {
                for ((arow, xrow), di) in acc.data.chunks_mut(x.cols).zip(x.data.chunks(x.cols)).zip(d.iter())
                {
                    arow.iter_mut().zip(xrow).for_each(|(o, v)| *o += a * di * v);
                }
            }
            Products::F64(Kernel::Dense(k)) => cpu::gemm_acc(a, k, x, 1.0, acc),
            Products::F64(Kernel::Sparse(s)) => {
                s.mul(&x.data, x.cols, &mut scratch.data);
                acc.data.iter_mut().zip(&scratch.data).for_each(|(o, &v)| *o += a * v);
            }
            Products::F32 { .. } => {
                let prod = self.f32_product(x);
                acc.data.iter_mut().zip(prod).for_each(|(o, &v)| *o += a * f64::from(v));
            }
        }
    }

    /// `K·x` with `K` and `x` in f32 (only for [`Products::F32`]).
    fn f32_product(&mut self, src: &Mat<f64>) -> &[f32] {
        match self {
            Products::F32 { k, x, out } => {
                x.data.iter_mut().zip(&src.data).for_each(|(d, &v)| *d = v as f32);
                match k {
                    Kernel::Dense(k) => cpu::gemm_packed_f32(1.0, k, x, 0.0, out),
                    Kernel::Sparse(s) => s.mul(&x.data, x.cols, &mut out.data),
                }
                &out.data
            }
            _ => &[],
        }
    }
}

/// Kernel logistic regression by full-batch gradient descent, all neurons at once, on the
/// CPU, with the epoch's products in `cfg.precision` (see [`Products`]).
///
/// Inputs: the kernel matrix `k` (`P × P`, symmetric), the patterns `xi` (`P × N`,
/// ±1), the settings. The exact loop (a GPU implementation must follow it):
///
/// ```text
/// α ← 0 (P×N); L_0 = P·N·ln 2; rises ← 0
/// for t = 0, 1, 2, …
///     H ← K·α                                   (t = 0: H = 0, no product)
///     y ← Ξ⊙H
///     L_t ← Σ softplus(−y) + (λ/2)·Σ α⊙H
///     if L_t or any H is not finite      → Diverged{t, NonFinite}: return α_{t−1} (0 at t = 0)
///     if t ≥ 1 and L_t > L_0             → first time: Diverged{t, LossRose};
///                                          on_diverge = Stop: return α_{t−1}
///     if t ≥ 1 and L_t > L_{t−1}         → rises += 1
///     if t ≥ 1 and tol > 0 and |L_{t−1} − L_t| ≤ tol·|L_{t−1}|
///                                        → Converged{t} (unless already Diverged): return α_t
///     if t = epochs                      → BudgetExhausted (or the Diverged status): return α_t
///     Z ← −Ξ⊙σ(−y) + λ·α                   (σ(−y) = 1/(1 + e^{y}))
///     α ← α − η·K·Z
/// ```
///
/// `loss` holds `L_0 … L_t` for every α evaluated (with a failing `L_t`);
/// `epochs_run` is the number of updates in the returned `α`; `h = K·α` for it, in f64
/// whatever the precision of the products (so everything after training is f64).
/// `on_epoch(t, L_t)` is called after each evaluated epoch (progress, a live loss curve).
fn train_gd_cpu(
    k: &Mat<f64>,
    xi: &Mat<f64>,
    cfg: &GdConfig,
    on_epoch: &mut dyn FnMut(usize, f64),
) -> Trained {
    let (p, n) = (xi.rows, xi.cols);
    assert!(k.rows == p && k.cols == p, "train_gd shapes");
    let mut products = Products::new(k, n, cfg.precision);
    // The fields of the returned α in f64 (what the products gave, when they were f64).
    let exact_h = |alpha: &Mat<f64>| cpu::matmul(k, alpha);
    if let Products::Diagonal(d) = &products
        && let Some(classes) = Classes::of(d, xi)
    {
        // Every entry follows its class's trajectory: train the classes, spread α back.
        let mut small = Products::Diagonal(classes.diag.clone());
        let run = gd_loop(&mut small, &classes.xi, cfg, on_epoch, &mut |xs, h, a, lambda, z| {
            weighted_loss_and_z(xs, h, a, lambda, &classes.weight, z)
        });
        let alpha = classes.spread(&run.alpha, p, n);
        return Trained {
            h: exact_h(&alpha),
            alpha,
            loss: run.loss,
            epochs_run: run.epochs_run,
            status: run.status,
            loss_rises: run.loss_rises,
        };
    }
    let run = gd_loop(&mut products, xi, cfg, on_epoch, &mut loss_and_z);
    let h = match run.h {
        Some(h) if matches!(products, Products::F64(Kernel::Dense(_))) => h,
        _ => exact_h(&run.alpha),
    };
    Trained {
        alpha: run.alpha,
        h,
        loss: run.loss,
        epochs_run: run.epochs_run,
        status: run.status,
        loss_rises: run.loss_rises,
    }
}

/// What [`gd_loop`] ends with: `h` is the loop's last `K·α` when it belongs to the
/// returned `α` (`None` when a failing epoch's `α` was undone).
struct LoopOut {
    alpha: Mat<f64>,
    h: Option<Mat<f64>>,
    loss: Vec<f64>,
    epochs_run: usize,
    status: Status,
    loss_rises: usize,
}

/// The fused pass of an epoch: `(ξ, H, α, λ, Z) ↦ (loss, all fields finite)`, filling `Z`.
type Pass<'a> = dyn FnMut(&[f64], &[f64], &[f64], f64, &mut [f64]) -> (f64, bool) + 'a;

/// The loop documented at [`train_gd_cpu`], on `xi` with `products` and the fused `pass`.
fn gd_loop(
    products: &mut Products<'_>,
    xi: &Mat<f64>,
    cfg: &GdConfig,
    on_epoch: &mut dyn FnMut(usize, f64),
    pass: &mut Pass<'_>,
) -> LoopOut {
    let (p, n) = (xi.rows, xi.cols);
    let mut alpha = Mat::zeros(p, n);
    let mut prev = Mat::zeros(p, n);
    let mut h = Mat::zeros(p, n);
    let mut z = Mat::zeros(p, n);
    let mut loss: Vec<f64> = Vec::with_capacity(cfg.epochs + 1);
    let mut rises = 0usize;
    let mut diverged: Option<(usize, DivergeWhy)> = None;
    let mut t = 0usize;
    let status = loop {
        if t > 0 {
            products.apply(&alpha, &mut h);
        }
        let (l, finite) = pass(&xi.data, &h.data, &alpha.data, cfg.lambda, &mut z.data);
        loss.push(l);
        on_epoch(t, l);
        if !finite || !l.is_finite() {
            // Keep the last finite α (the one before this epoch's update).
            if t > 0 {
                alpha = prev;
            }
            let first = diverged.unwrap_or((t, DivergeWhy::NonFinite));
            return LoopOut {
                alpha,
                h: None,
                loss,
                epochs_run: t.saturating_sub(1),
                status: Status::Diverged { epoch: first.0, why: first.1 },
                loss_rises: rises,
            };
        }
        if t > 0 {
            if l > loss[0] && diverged.is_none() {
                diverged = Some((t, DivergeWhy::LossRose));
                if cfg.on_diverge == OnDiverge::Stop {
                    let loss_rises = rises + usize::from(l > loss[t - 1]);
                    return LoopOut {
                        alpha: prev,
                        h: None,
                        loss,
                        epochs_run: t - 1,
                        status: Status::Diverged { epoch: t, why: DivergeWhy::LossRose },
                        loss_rises,
                    };
                }
            }
            if l > loss[t - 1] {
                rises += 1;
            }
            if cfg.tol > 0.0 && diverged.is_none() && (loss[t - 1] - l).abs() <= cfg.tol * loss[t - 1].abs() {
                break Status::Converged { epoch: t };
            }
        }
        if t >= cfg.epochs {
            break match diverged {
                Some((epoch, why)) => Status::Diverged { epoch, why },
                None => Status::BudgetExhausted,
            };
        }
        prev.data.copy_from_slice(&alpha.data);
        products.apply_add(-cfg.lr, &z, &mut alpha, &mut h);
        t += 1;
    };
    // `apply_add` may use `h` as scratch: it is `K·α` only in the dense f64 form.
    LoopOut { alpha, h: Some(h), loss, epochs_run: t, status, loss_rises: rises }
}

/// The entries of a training with a diagonal `K` grouped by what their trajectories depend
/// on. With `K = diag(d)` the loss separates into one term per entry `(ν, i)` and gradient
/// descent moves each `α_νi` on its own, from 0, by a rule that involves only `d_ν`, `ξ_νi`,
/// λ and η: entries with equal `(d_ν, ξ_νi)` take the same values at every epoch, bit for
/// bit. So one representative per class is trained, with the class's size as its weight in
/// the loss. At large γ the RBF kernel is numerically `I` and ±1 patterns make two classes:
/// an epoch costs O(1) instead of O(P·N). The returned `α` and `h` are those of the full
/// loop to the bit; the loss is the same sum in another order (≤ 1e-13 relative).
struct Classes {
    /// `d` and `ξ` of each class (the class's representative, `C × 1`), and its size.
    diag: Vec<f64>,
    xi: Mat<f64>,
    weight: Vec<f64>,
    /// The class of every entry of the `P × N` problem.
    of_entry: Vec<usize>,
}

impl Classes {
    /// The classes when they pay off (at most a quarter as many as entries), else `None`.
    fn of(d: &[f64], xi: &Mat<f64>) -> Option<Self> {
        let limit = xi.data.len() / 4;
        let mut index: std::collections::HashMap<(u64, u64), usize> = std::collections::HashMap::new();
        let (mut diag, mut xs, mut weight) = (Vec::new(), Vec::new(), Vec::new());
        let mut of_entry = Vec::with_capacity(xi.data.len());
        for (row, &dv) in xi.data.chunks(xi.cols.max(1)).zip(d) {
            for &x in row {
                let c = *index.entry((dv.to_bits(), x.to_bits())).or_insert_with(|| {
                    diag.push(dv);
                    xs.push(x);
                    weight.push(0.0);
                    diag.len() - 1
                });
                weight[c] += 1.0;
                of_entry.push(c);
            }
            if diag.len() > limit {
                return None;
            }
        }
        let c = diag.len();
        (c > 0).then_some(Classes { diag, xi: Mat { rows: c, cols: 1, data: xs }, weight, of_entry })
    }

    /// The `P × N` matrix whose entries are their classes' values in `per_class` (`C × 1`).
    fn spread(&self, per_class: &Mat<f64>, p: usize, n: usize) -> Mat<f64> {
        Mat { rows: p, cols: n, data: self.of_entry.iter().map(|&c| per_class.data[c]).collect() }
    }
}

/// [`loss_and_z`] for entries standing for `weight` entries each: `Z` by the same formula
/// (so the same bits), the loss as the weighted sum of the same terms.
fn weighted_loss_and_z(
    xi: &[f64],
    h: &[f64],
    alpha: &[f64],
    lambda: f64,
    weight: &[f64],
    z: &mut [f64],
) -> (f64, bool) {
    let (mut data, mut reg, mut check) = (0.0f64, 0.0f64, 0.0f64);
    for ((((zv, &x), &hv), &a), &w) in z.iter_mut().zip(xi).zip(h).zip(alpha).zip(weight) {
        let y = x * hv;
        let e = exp_neg(y.abs());
        data += w * ((if y < 0.0 { -y } else { 0.0 }) + e.ln_1p());
        reg += w * a * hv;
        check += hv * 0.0;
        *zv = z_entry(x, y, e, lambda, a);
    }
    (data + 0.5 * lambda * reg, check == 0.0)
}

/// Kernel logistic regression by full-batch gradient descent (the loop documented at
/// [`train_gd_cpu`]): with every epoch on the GPU when `compute` has one ([`super::gpu::train_gd`]:
/// the same loop in f32, one command buffer, one readback), else on the CPU in f64. The
/// GPU's α comes back in f32 and `h = K·α` is recomputed in f64, so everything after
/// training (forces, spectra) is the CPU's f64 code either way. `on_epoch(t, L_t)` sees
/// every evaluated epoch (on the GPU, after it is done). A GPU failure is recorded in
/// `compute.fallbacks()` and the CPU trains instead.
pub async fn train_gd(
    compute: &Compute,
    k: &Mat<f64>,
    xi: &Mat<f64>,
    cfg: &GdConfig,
    on_epoch: &mut dyn FnMut(usize, f64),
) -> Trained {
    // The GPU computes in f32: an f64 training runs on the CPU.
    let Some(gpu) = compute.gpu().filter(|_| cfg.precision == Precision::F32) else {
        return train_gd_cpu(k, xi, cfg, on_epoch);
    };
    let stop = cfg.on_diverge == OnDiverge::Stop;
    let (k32, xi32) = (k.to_f32(), xi.to_f32());
    let run = super::gpu::train_gd(
        gpu,
        &k32,
        &xi32,
        cfg.lambda as f32,
        cfg.lr as f32,
        cfg.epochs,
        cfg.tol as f32,
        stop,
    );
    let r = match run.await {
        Ok(r) => r,
        Err(e) => {
            compute.fell_back("KLR training", &e);
            return train_gd_cpu(k, xi, cfg, on_epoch);
        }
    };
    let loss: Vec<f64> = r.loss.iter().map(|&l| f64::from(l)).collect();
    for (t, &l) in loss.iter().enumerate() {
        on_epoch(t, l);
    }
    let status = match r.status {
        1 => Status::Converged { epoch: r.epochs_run },
        3 => Status::Diverged { epoch: r.diverge_epoch, why: DivergeWhy::LossRose },
        4 => Status::Diverged { epoch: r.diverge_epoch, why: DivergeWhy::NonFinite },
        _ => Status::BudgetExhausted,
    };
    let alpha = r.alpha.to_f64();
    let h = cpu::matmul(k, &alpha);
    Trained { alpha, h, loss, epochs_run: r.epochs_run, status, loss_rises: r.loss_rises }
}

/// The CPU loop without progress reports (tests of the math).
#[cfg(test)]
pub(super) fn train_cpu(k: &Mat<f64>, xi: &Mat<f64>, cfg: &GdConfig) -> Trained {
    train_gd_cpu(k, xi, cfg, &mut |_, _| {})
}

/// The loss of `α` (with `H = Kα`), for reporting a closed-form solution on the same scale.
pub fn loss_of(xi: &Mat<f64>, h: &Mat<f64>, alpha: &Mat<f64>, lambda: f64) -> f64 {
    let mut z = vec![0.0; h.data.len()];
    loss_and_z(&xi.data, &h.data, &alpha.data, lambda, &mut z).0
}

/// Kernel ridge regression `α = (K + λI)⁻¹ Ξ` (the author's later papers). `None` when
/// `K + λI` is not numerically positive definite.
pub fn train_krr(k: &Mat<f64>, xi: &Mat<f64>, lambda: f64) -> Option<Trained> {
    let p = k.rows;
    let mut a = k.clone();
    for i in 0..p {
        a.data[i * p + i] += lambda;
    }
    let alpha = cpu::cholesky_solve(&a, xi)?;
    let h = cpu::matmul(k, &alpha);
    let l = loss_of(xi, &h, &alpha, lambda);
    Some(Trained { alpha, h, loss: vec![l], epochs_run: 0, status: Status::ClosedForm, loss_rises: 0 })
}

/// `λ_max(K)`: K has non-negative entries, so power iteration from the all-ones vector
/// brackets its top eigenvalue (Collatz–Wielandt). Stops at a relative bracket of 1e-6 or
/// after 100 products and returns the Rayleigh quotient: near the stability limit
/// (λ_max(K) ≈ √(8/η)) the spectral gap is wide and it converges in a few steps; far from
/// it (large γ, K ≈ I) the top eigenvalues are nearly degenerate but all within ~1e-5 of 1.
pub fn kernel_lambda_max(k: &Mat<f64>) -> f64 {
    cpu::perron_root(k, 1e-6, 100).0
}

/// The curvature of the loss at α = 0, where `D = diag(σ(1−σ)) = I/4` for every neuron:
/// `λ_max(K D K + λK) = λ_K²/4 + λ·λ_K` with `λ_K = λ_max(K)`. Since `σ(1−σ) ≤ 1/4`
/// everywhere, it is also the largest curvature anywhere: gradient descent never
/// increases the loss when `η < 2 / curvature_start`.
pub fn curvature_start(lambda_k: f64, lambda: f64) -> f64 {
    lambda_k * lambda_k / 4.0 + lambda * lambda_k
}

/// The curvature at the trained α: `max_i λ_max(K D_i K + λK)` over neurons `i`, with
/// `D_i = diag(σ(H_·i)(1 − σ(H_·i)))`, by block power iteration (all neurons as the
/// columns of one `P × N` matrix; two products per iteration).
pub fn curvature_at(k: &Mat<f64>, h: &Mat<f64>, lambda: f64, iterations: usize) -> f64 {
    let (p, n) = (h.rows, h.cols);
    if p == 0 || n == 0 {
        return 0.0;
    }
    let d: Vec<f64> = h
        .data
        .iter()
        .map(|&x| {
            let s = 1.0 / (1.0 + (-x).exp());
            s * (1.0 - s)
        })
        .collect();
    let mut v = Mat { rows: p, cols: n, data: vec![1.0 / (p as f64).sqrt(); p * n] };
    let mut rq = vec![0.0; n];
    for _ in 0..iterations.max(1) {
        let kv = cpu::matmul(k, &v);
        let mut w = Mat::zeros(p, n);
        for (((wi, di), kvi), vi) in w.data.iter_mut().zip(&d).zip(&kv.data).zip(&v.data) {
            *wi = di * kvi + lambda * vi;
        }
        let u = cpu::matmul(k, &w);
        let mut norms = vec![0.0; n];
        rq.iter_mut().for_each(|r| *r = 0.0);
        for (urow, vrow) in u.data.chunks(n).zip(v.data.chunks(n)) {
            for (((r, nm), uu), vv) in rq.iter_mut().zip(norms.iter_mut()).zip(urow).zip(vrow) {
                *r += uu * vv;
                *nm += uu * uu;
            }
        }
        for nm in &mut norms {
            *nm = nm.sqrt();
        }
        for (vrow, urow) in v.data.chunks_mut(n).zip(u.data.chunks(n)) {
            for ((vv, uu), nc) in vrow.iter_mut().zip(urow).zip(&norms) {
                *vv = if *nc > 0.0 { uu / nc } else { 0.0 };
            }
        }
    }
    rq.into_iter().fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::super::kernel::{kernel_from_gram, pattern_gram, random_patterns};
    use super::*;

    fn setup(n: usize, p: usize, gamma: f64, seed: u64) -> (Mat<f64>, Mat<f64>) {
        let xi = random_patterns(seed, 0, n, p);
        let k = kernel_from_gram(&pattern_gram(&xi), n, gamma);
        (k, xi)
    }

    /// The sweep's work model (`network::expected_kept`) against what `Products` keeps
    /// for random patterns at the author's largest P: the same form (diagonal, sparse or
    /// dense) and, where sparse, the mean entries kept per row within a factor of 2.
    #[test]
    fn the_work_model_predicts_which_entries_the_products_keep() {
        let (n, p) = (100, 600);
        let u = Precision::F32.unit_roundoff();
        for (gamma, seed) in [(0.0259, 1), (0.0853, 2), (0.1269, 3), (0.1887, 4), (10.0, 5)] {
            let (k, _) = setup(n, p, gamma, seed);
            let model = super::super::network::expected_kept(n, p, gamma, u);
            match Products::new(&k, n, Precision::F32) {
                Products::Diagonal(_) => assert_eq!(model, 0.0, "γ = {gamma}"),
                Products::F32 { k: Kernel::Sparse(s), .. } => {
                    let mean = s.cols.len() as f64 / p as f64 - 1.0;
                    assert!(1.0 + model <= SPARSE_FILL * p as f64, "γ = {gamma}: {model}");
                    assert!((0.5..=2.0).contains(&(model / mean)), "γ = {gamma}: {model} against {mean}");
                }
                Products::F32 { k: Kernel::Dense(_), .. } => {
                    assert!(1.0 + model > SPARSE_FILL * p as f64, "γ = {gamma}: {model}");
                }
                Products::F64(_) => panic!("f32 products were asked for"),
            }
        }
    }

    #[test]
    fn exp_neg_matches_the_library_exp() {
        let mut worst = 0.0f64;
        let mut a = 0.0;
        while a < 708.0 {
            for x in [a, a * 1.000_123_7 + 1e-9] {
                let (ours, lib) = (exp_neg(x), (-x).exp());
                worst = worst.max((ours - lib).abs() / lib);
            }
            a = a * 1.001 + 1e-4;
        }
        assert!(worst <= 5e-16, "worst relative error {worst:e}");
        assert_eq!(exp_neg(0.0), 1.0);
        assert_eq!((exp_neg(708.5), exp_neg(1e300), exp_neg(f64::INFINITY)), (0.0, 0.0, 0.0));
        assert!(exp_neg(f64::NAN).is_nan());
    }

    #[test]
    fn the_fused_pass_matches_its_definition() {
        let n = 1037; // not a multiple of the lanes or the log block
        let xi: Vec<f64> = (0..n).map(|i| if i % 3 == 0 { -1.0 } else { 1.0 }).collect();
        let h: Vec<f64> = (0..n).map(|i| ((i * 7919 % 1000) as f64 - 500.0) * 0.05).collect();
        let alpha: Vec<f64> = (0..n).map(|i| ((i * 31 % 17) as f64 - 8.0) * 0.1).collect();
        let mut z = vec![0.0; n];
        let (l, finite) = loss_and_z(&xi, &h, &alpha, 0.03, &mut z);
        assert!(finite);
        let mut want = 0.0;
        for i in 0..n {
            let y = xi[i] * h[i];
            want += softplus(-y) + 0.015 * alpha[i] * h[i];
            let zi = -xi[i] / (1.0 + y.exp()) + 0.03 * alpha[i];
            assert!((z[i] - zi).abs() <= 1e-15 * (1.0 + zi.abs()), "{i}: {} vs {zi}", z[i]);
        }
        assert!((l - want).abs() <= 1e-13 * want.abs(), "{l} vs {want}");
        let mut bad = h.clone();
        bad[1000] = f64::INFINITY;
        assert!(!loss_and_z(&xi, &bad, &alpha, 0.03, &mut z).1);
        bad[1000] = f64::NAN;
        assert!(!loss_and_z(&xi, &bad, &alpha, 0.03, &mut z).1);
    }

    #[test]
    fn gradient_matches_finite_differences_of_the_loss() {
        let (k, xi) = setup(12, 7, 0.05, 1);
        let mut alpha = Mat::zeros(7, 12);
        for (i, a) in alpha.data.iter_mut().enumerate() {
            *a = ((i * 37 % 11) as f64 - 5.0) * 0.1;
        }
        let (_, g) = loss_and_gradient(&k, &xi, &alpha, 0.03);
        for idx in [0, 5, 17, 40, 83] {
            let eps = 1e-6;
            let mut ap = alpha.clone();
            ap.data[idx] += eps;
            let mut am = alpha.clone();
            am.data[idx] -= eps;
            let fd = (loss_and_gradient(&k, &xi, &ap, 0.03).0 - loss_and_gradient(&k, &xi, &am, 0.03).0)
                / (2.0 * eps);
            assert!((fd - g.data[idx]).abs() < 1e-6 * g.data[idx].abs().max(1.0), "{fd} vs {}", g.data[idx]);
        }
    }

    #[test]
    fn the_loss_starts_at_pn_ln2_and_matches_its_definition() {
        let (k, xi) = setup(20, 10, 0.02, 2);
        let t = train_cpu(&k, &xi, &GdConfig { epochs: 25, ..GdConfig::default() });
        assert!((t.loss[0] - 200.0 * 2f64.ln()).abs() < 1e-10);
        assert_eq!(t.loss.len(), 26);
        let (l, _) = loss_and_gradient(&k, &xi, &t.alpha, 0.01);
        assert!((l - t.loss[25]).abs() < 1e-9 * l);
        assert!(t.h.max_abs_diff(&cpu::matmul(&k, &t.alpha)) < 1e-12);
        assert_eq!(t.status, Status::BudgetExhausted);
        assert_eq!(t.epochs_run, 25);
    }

    /// At convergence the optimality condition K(R + λα) = 0 holds (K is positive
    /// definite, so λα = Ξ⊙σ(−Ξ⊙Kα)): the gradient vanishes.
    #[test]
    fn at_convergence_the_gradient_vanishes() {
        let (k, xi) = setup(16, 8, 0.1, 3);
        let cfg = GdConfig { lambda: 0.1, lr: 1.0, epochs: 20_000, tol: 1e-15, ..GdConfig::default() };
        let bound = curvature_start(kernel_lambda_max(&k), cfg.lambda);
        assert!(cfg.lr < 2.0 / bound, "stable step");
        let t = train_cpu(&k, &xi, &cfg);
        let (_, g) = loss_and_gradient(&k, &xi, &t.alpha, cfg.lambda);
        let (_, g0) = loss_and_gradient(&k, &xi, &Mat::zeros(8, 16), cfg.lambda);
        let norm = |m: &Mat<f64>| m.data.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!(norm(&g) < 1e-7 * norm(&g0), "‖∇L‖ = {} (start {})", norm(&g), norm(&g0));
        assert_eq!(t.loss_rises, 0);
    }

    /// Below the curvature bound the descent lemma holds: the loss never rises.
    #[test]
    fn below_the_curvature_bound_the_loss_never_rises() {
        for (n, p, gamma) in [(50, 30, 0.02), (40, 80, 0.05), (30, 10, 0.005)] {
            let (k, xi) = setup(n, p, gamma, 4);
            let bound = curvature_start(kernel_lambda_max(&k), 0.01);
            let cfg = GdConfig { lr: 1.9 / bound, epochs: 200, tol: 0.0, ..GdConfig::default() };
            let t = train_cpu(&k, &xi, &cfg);
            assert_eq!(t.loss_rises, 0, "({n},{p},{gamma})");
            assert!(t.loss.windows(2).all(|w| w[1] <= w[0] * (1.0 + 1e-12)));
            assert!(curvature_at(&k, &t.h, 0.01, 200) <= bound * (1.0 + 1e-9));
        }
    }

    #[test]
    fn curvature_at_zero_fields_is_the_start_bound() {
        let (k, _) = setup(20, 15, 0.01, 5);
        let lk = kernel_lambda_max(&k);
        let at = curvature_at(&k, &Mat::zeros(15, 20), 0.01, 500);
        assert!((at - curvature_start(lk, 0.01)).abs() < 1e-9 * at, "{at}");
        let top = cpu::sym_eigenvalues(&k).expect("eig")[0];
        assert!((lk - top).abs() < 1e-9 * top);
    }

    /// Small γ: the Gram matrix is nearly rank one, the curvature exceeds 2/η and the
    /// protocol's descent overshoots; the run says so and keeps the last good α.
    #[test]
    fn divergence_is_detected_and_the_last_good_alpha_kept() {
        let (k, xi) = setup(100, 100, 0.001, 42);
        let cfg = GdConfig::default();
        assert!(curvature_start(kernel_lambda_max(&k), 0.01) > 2.0 / cfg.lr);
        let t = train_cpu(&k, &xi, &cfg);
        let Status::Diverged { epoch, why } = t.status else { panic!("{:?}", t.status) };
        assert_eq!(why, DivergeWhy::LossRose);
        assert!((1..=3).contains(&epoch), "epoch {epoch}");
        assert_eq!(t.loss.len(), epoch + 1);
        assert!(t.loss[epoch] > t.loss[0]);
        assert_eq!(t.epochs_run, epoch - 1);
        // The kept α is the one of epoch − 1, reproduced by running exactly that many epochs.
        let again = train_cpu(&k, &xi, &GdConfig { epochs: epoch - 1, ..cfg });
        assert_eq!(again.alpha, t.alpha);
        // diverge=continue runs out the budget and flags it.
        let cont = train_cpu(&k, &xi, &GdConfig { on_diverge: OnDiverge::Continue, ..cfg });
        assert_eq!(cont.status, Status::Diverged { epoch, why });
        assert_eq!(cont.epochs_run, 300);
        assert!(cont.alpha.data.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn non_finite_values_stop_even_in_continue_mode() {
        let (k, xi) = setup(20, 20, 0.0001, 6);
        // ηλ·λ_max(K) > 2: the ridge term itself grows geometrically until it overflows.
        let cfg = GdConfig {
            lambda: 10.0,
            lr: 10.0,
            epochs: 5000,
            tol: 0.0,
            on_diverge: OnDiverge::Continue,
            ..GdConfig::default()
        };
        let t = train_cpu(&k, &xi, &cfg);
        assert!(matches!(t.status, Status::Diverged { .. }));
        assert!(t.epochs_run < 5000);
        assert!(!t.loss.last().expect("loss").is_finite());
        assert!(t.alpha.data.iter().all(|x| x.is_finite()), "the last finite α is kept");
        assert!(t.h.data.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn krr_solves_its_definition() {
        let (k, xi) = setup(30, 40, 0.02, 7);
        let t = train_krr(&k, &xi, 0.01).expect("positive definite");
        let mut a = k.clone();
        for i in 0..40 {
            a.data[i * 40 + i] += 0.01;
        }
        assert!(cpu::matmul(&a, &t.alpha).max_abs_diff(&xi) < 1e-9);
        assert_eq!(t.status, Status::ClosedForm);
    }

    #[test]
    fn converged_status_when_the_loss_stops_moving() {
        let (k, xi) = setup(20, 10, 0.1, 8);
        let t = train_cpu(&k, &xi, &GdConfig { lr: 1.0, epochs: 100_000, tol: 1e-9, ..GdConfig::default() });
        let Status::Converged { epoch } = t.status else { panic!("{:?}", t.status) };
        assert_eq!(t.epochs_run, epoch);
        assert_eq!(t.loss.len(), epoch + 1);
    }

    /// The epoch's products written out in f64 (the reference loop of `train_gd_cpu`'s
    /// documentation, with plain `matmul`s).
    fn reference_training(k: &Mat<f64>, xi: &Mat<f64>, cfg: &GdConfig) -> (Vec<f64>, Mat<f64>) {
        let mut alpha = Mat::zeros(xi.rows, xi.cols);
        let mut loss: Vec<f64> = Vec::new();
        for t in 0..=cfg.epochs {
            let h = cpu::matmul(k, &alpha);
            let mut z = vec![0.0; h.data.len()];
            let l = loss_and_z(&xi.data, &h.data, &alpha.data, cfg.lambda, &mut z).0;
            if t > 0 && cfg.tol > 0.0 && (loss[t - 1] - l).abs() <= cfg.tol * loss[t - 1].abs() {
                loss.push(l);
                break;
            }
            loss.push(l);
            if t == cfg.epochs {
                break;
            }
            let g = cpu::matmul(k, &Mat { rows: xi.rows, cols: xi.cols, data: z });
            alpha.data.iter_mut().zip(&g.data).for_each(|(a, gv)| *a -= cfg.lr * gv);
        }
        (loss, alpha)
    }

    fn rel(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
        a.max_abs_diff(b) / b.data.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-300)
    }

    #[test]
    fn a_numerically_diagonal_kernel_skips_the_off_diagonal_part_within_roundoff() {
        // γ = 10 at N = 40: off-diagonal entries ≤ e^{−10·4·(Hamming ≥ 6)} ≪ 1e-100.
        let (k, xi) = setup(40, 30, 10.0, 11);
        for precision in [Precision::F64, Precision::F32] {
            let mut prod = Products::new(&k, 40, precision);
            assert!(matches!(prod, Products::Diagonal(_)), "{precision:?}");
            let mut out = Mat::zeros(30, 40);
            prod.apply(&xi, &mut out);
            assert!(cpu::matmul(&k, &xi).max_abs_diff(&out) <= f64::EPSILON);
        }
        // Training through the shortcut is the reference loop to rounding.
        let cfg = GdConfig { epochs: 200, ..GdConfig::default() };
        let t = train_cpu(&k, &xi, &cfg);
        let (loss, alpha) = reference_training(&k, &xi, &cfg);
        assert_eq!(t.loss.len(), loss.len());
        assert!(rel(&t.alpha, &alpha) < 1e-13, "{}", rel(&t.alpha, &alpha));
        assert!(t.h.max_abs_diff(&cpu::matmul(&k, &t.alpha)) == 0.0, "h is K·α in f64");
        // At γ = 0.02 the off-diagonal part counts: no shortcut.
        let (k2, _) = setup(40, 30, 0.02, 11);
        assert!(!matches!(Products::new(&k2, 40, Precision::F32), Products::Diagonal(_)));
        assert!(!matches!(Products::new(&k2, 40, Precision::F64), Products::Diagonal(_)));
    }

    #[test]
    fn a_diagonal_kernel_trains_one_entry_per_class_bit_for_bit() {
        // K = I (γ = 10) with ±1 patterns: two classes. The full per-entry loop over the same
        // diagonal products is the reference: α to the bit, the loss to its summation order.
        let (k, xi) = setup(40, 30, 10.0, 21);
        let d: Vec<f64> = (0..30).map(|i| k.at(i, i)).collect();
        let classes = Classes::of(&d, &xi).expect("classes");
        assert_eq!(classes.diag.len(), 2);
        assert_eq!(classes.weight.iter().sum::<f64>(), (30 * 40) as f64);
        // A budget run, a converging one, one that diverges (η far above 2/curvature) in
        // both modes, and one driven to non-finite fields.
        for (lr, tol, on_diverge, lambda) in [
            (0.1, 0.0, OnDiverge::Stop, 0.01),
            (0.5, 1e-6, OnDiverge::Stop, 0.01),
            (9.0, 0.0, OnDiverge::Stop, 0.01),
            (9.0, 0.0, OnDiverge::Continue, 0.01),
            (1e300, 0.0, OnDiverge::Continue, 1e10),
        ] {
            let cfg = GdConfig { lr, tol, on_diverge, lambda, epochs: 150, ..GdConfig::default() };
            let t = train_cpu(&k, &xi, &cfg);
            let mut full = Products::Diagonal(d.clone());
            let r = gd_loop(&mut full, &xi, &cfg, &mut |_, _| {}, &mut loss_and_z);
            let what = format!("η={lr} tol={tol} {on_diverge:?}: {:?} vs {:?}", t.status, r.status);
            assert_eq!((t.status, t.epochs_run), (r.status, r.epochs_run), "{what}");
            // Rises of the loss beyond its summation's rounding are the same; at a plateau
            // the per-entry sum also "rises" by rounding noise, the class sum cannot.
            let rises = |l: &[f64]| {
                l.windows(2).filter(|w| w[1].is_finite() && w[1] > w[0] + 1e-12 * w[0].abs()).count()
            };
            assert_eq!(rises(&t.loss), rises(&r.loss), "{what}");
            assert!(t.loss_rises <= r.loss_rises && rises(&t.loss) <= t.loss_rises, "{what}");
            assert!(
                t.alpha.data.iter().zip(&r.alpha.data).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{what}"
            );
            assert_eq!(t.loss.len(), r.loss.len(), "{what}");
            for (a, b) in t.loss.iter().zip(&r.loss) {
                let same = a == b || (a - b).abs() <= 1e-13 * b.abs() || !(a.is_finite() || b.is_finite());
                assert!(same, "{what}: loss {a} vs {b}");
            }
            assert!(t.h.max_abs_diff(&cpu::matmul(&k, &t.alpha)) == 0.0, "h is K·α in f64");
        }
        // Distinct diagonal entries and ξ values make more classes; too many, none.
        let xi3 = Mat { rows: 4, cols: 8, data: (0..32).map(|i| [1.0, -1.0, 0.5][i % 3]).collect() };
        let c3 = Classes::of(&[1.0, 1.0, 2.0, 2.0], &xi3).expect("6 classes of 32 entries");
        assert_eq!(c3.diag.len(), 6);
        assert_eq!(c3.spread(&c3.xi, 4, 8).data, xi3.data, "spreading the representatives gives ξ back");
        let xi_real = Mat { rows: 4, cols: 8, data: (0..32).map(|i| i as f64 * 0.1).collect() };
        assert!(Classes::of(&[1.0; 4], &xi_real).is_none());
    }

    #[test]
    fn a_sparse_kernel_drops_only_entries_below_the_products_rounding() {
        // N = 40, P = 160: γ from where every entry counts to where K is diagonal.
        let (n, p) = (40, 160);
        let x = Mat {
            rows: p,
            cols: n,
            data: (0..p * n).map(|i| ((i * 37 % 101) as f64 - 50.0) / 7.0).collect(),
        };
        let mut sparse_seen = [0usize; 2];
        for (ig, gamma) in [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1.2].into_iter().enumerate() {
            let (k, xi) = setup(n, p, gamma, 14 + ig as u64);
            let exact = cpu::matmul(&k, &x);
            let min_diag = (0..p).map(|i| k.at(i, i)).fold(f64::INFINITY, f64::min);
            for (ip, precision) in [Precision::F64, Precision::F32].into_iter().enumerate() {
                let mut prod = Products::new(&k, n, precision);
                let kept = match &prod {
                    Products::F64(Kernel::Sparse(s)) => Some((s.starts.clone(), s.cols.clone())),
                    Products::F32 { k: Kernel::Sparse(s), .. } => Some((s.starts.clone(), s.cols.clone())),
                    _ => None,
                };
                let Some((starts, cols)) = kept else { continue };
                sparse_seen[ip] += 1;
                let nnz = cols.len();
                assert!(nnz > p && nnz as f64 <= SPARSE_FILL * (p * p) as f64, "{nnz} at γ={gamma}");
                let u = precision.unit_roundoff();
                // Every row keeps its diagonal, and what it drops sums to at most u·min diag.
                for i in 0..p {
                    let row = &cols[starts[i]..starts[i + 1]];
                    assert!(row.contains(&i));
                    let dropped: f64 = (0..p).filter(|j| !row.contains(j)).map(|j| k.at(i, j).abs()).sum();
                    assert!(dropped <= u * min_diag, "row {i} drops {dropped:e} at γ={gamma}");
                }
                // So the product is the exact one within the dropped part and the two
                // products' rounding (the classical bound P·u·Σ|K||x| for each).
                let mut out = Mat::zeros(p, n);
                prod.apply(&x, &mut out);
                for j in 0..n {
                    let xmax = (0..p).map(|r| x.at(r, j).abs()).fold(0.0, f64::max);
                    for i in 0..p {
                        let scale: f64 = (0..p).map(|r| (k.at(i, r) * x.at(r, j)).abs()).sum();
                        let err = (out.at(i, j) - exact.at(i, j)).abs();
                        let bound = u * min_diag * xmax + 2.0 * p as f64 * u * scale;
                        assert!(err <= bound, "γ={gamma} {precision:?}: {err:e} > {bound:e} at ({i},{j})");
                    }
                }
                // Training through it: f64 follows the dense reference loop to rounding, f32
                // agrees with f64 within its own.
                let cfg = GdConfig { epochs: 80, tol: 0.0, precision, ..GdConfig::default() };
                let t = train_cpu(&k, &xi, &cfg);
                let (loss, alpha) = reference_training(&k, &xi, &cfg);
                let tol = if precision == Precision::F64 { 1e-12 } else { 1e-5 };
                assert!(rel(&t.alpha, &alpha) < tol, "γ={gamma} {precision:?}: {:e}", rel(&t.alpha, &alpha));
                assert!(t.loss.iter().zip(&loss).all(|(a, b)| (a - b).abs() <= tol * b.abs()));
                assert!(t.h.max_abs_diff(&cpu::matmul(&k, &t.alpha)) == 0.0, "h is K·α in f64");
            }
        }
        assert!(sparse_seen[0] > 0 && sparse_seen[1] > 0, "no sparse case: {sparse_seen:?}");
    }

    #[test]
    fn f64_products_follow_the_reference_loop() {
        let (k, xi) = setup(30, 45, 0.08, 12);
        let cfg = GdConfig { epochs: 120, tol: 0.0, ..GdConfig::default() };
        let t = train_cpu(&k, &xi, &cfg);
        let (loss, alpha) = reference_training(&k, &xi, &cfg);
        assert_eq!(t.status, Status::BudgetExhausted);
        assert!(rel(&t.alpha, &alpha) < 1e-12);
        for (a, b) in t.loss.iter().zip(&loss) {
            assert!((a - b).abs() <= 1e-12 * b.abs());
        }
    }

    /// f32 products against f64 ones: the same statuses and epochs for converging, budget
    /// and diverging trainings away from the curvature limit, α and the loss within the f32
    /// products' rounding (measured ≤ 1e-6 relative on the author's 30 × 30 sweep).
    #[test]
    fn f32_products_agree_with_f64_within_their_rounding() {
        // (N, P, γ, η): converged, budget (tol 0), diverged (curvature far above 2/η).
        for (n, p, gamma, lr, tol) in [
            (50, 80, 0.02, 0.1, 1e-6),
            (40, 120, 0.01, 0.1, 0.0),
            (30, 60, 0.002, 0.1, 1e-6),
            (60, 150, 0.05, 1.0, 1e-6),
        ] {
            let (k, xi) = setup(n, p, gamma, 13);
            let base = GdConfig { lr, tol, epochs: 300, ..GdConfig::default() };
            let a = train_cpu(&k, &xi, &base);
            let b = train_cpu(&k, &xi, &GdConfig { precision: Precision::F32, ..base });
            assert_eq!(a.status, b.status, "N={n} P={p} γ={gamma}");
            assert_eq!((a.epochs_run, a.loss_rises), (b.epochs_run, b.loss_rises));
            let ra = rel(&b.alpha, &a.alpha);
            assert!(ra < 1e-5, "α: {ra:e} at N={n} P={p} γ={gamma}");
            for (x, y) in a.loss.iter().zip(&b.loss) {
                assert!((x - y).abs() <= 1e-6 * x.abs(), "loss {x} vs {y}");
            }
            assert!(b.h.max_abs_diff(&cpu::matmul(&k, &b.alpha)) == 0.0, "h is K·α in f64");
        }
    }
}
