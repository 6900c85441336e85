//! Soft k-means as a fixed point and three gradients of its solution, in f64
//! (Jaffe 2024, Chapter 2; SPEC Lab 5).
//!
//! Points `W` (`m × d`, row `i` is `w_i`), centres `C` (`k × d`), temperature `τ > 0`.
//! One update is the map of eq. (2.12):
//!
//! - distances `D_ij = ‖w_i − c_j‖` (Euclidean, not squared, eq. 2.5),
//! - attention `A = rowsoftmax(−D/τ)` (eq. 2.8),
//! - masses `s_j = Σ_i A_ij` and `F(C, W)_j = C⁺_j = Σ_i A_ij w_i / s_j` (eq. 2.10).
//!
//! A centre whose mass underflows (below [`EMPTY_MASS`]) is *empty*: it keeps its place,
//! so it does not depend on the points and its gradient is zero (the compute layer's
//! kernels do the same).
//!
//! The gradient of a scalar loss of the converged centres `C*` with respect to the points
//! is computed three ways, each by reverse mode through [`vjp`]:
//!
//! - [`unrolled`] (DKM): backpropagation through every stored update (a tape of
//!   [`Step`]s, so memory grows with the iterations);
//! - [`implicit`] (IDKM): `dC*/dW = M ∂F/∂W` with `M = (I − ∂F/∂C)⁻¹` (eq. 2.17–2.18),
//!   `M` found by the damped iteration `M ← a(J M + I) + (1 − a)M`, `a = 0.25`, halved
//!   and restarted on divergence (eq. 2.21–2.22); memory independent of the iterations;
//! - [`jfb`] (IDKM-JFB): `M = I` (eq. 2.24).
//!
//! [`finite_differences`] is the independent reference: central differences of the
//! fixed point, each perturbed problem solved to near machine precision.
//!
//! Memory ("bytes held for the backward pass") is counted from the buffers each method
//! actually keeps ([`Step::bytes`], `J`, `M`); the points and the output, which every
//! method holds, are not counted. Work is counted in multiply–adds from the loop sizes
//! ([`step_work`], [`vjp_work`]): deterministic, unlike wall time.

// Index loops over several parallel buffers read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use crate::compute::Mat;
use serde::Serialize;

/// A centre whose mass `Σ_i A_ij` is below this is empty (it keeps its place).
pub const EMPTY_MASS: f64 = 1e-250;
/// The damping IDKM starts with (Jaffe, Section 2.4.2).
pub const DAMPING: f64 = 0.25;
/// Convergence of the `M` iteration: `‖M⁺ − M‖_F ≤ M_TOL · ‖M‖_F`.
pub const M_TOL: f64 = 1e-14;
/// Most `M` iterations per attempt (each costs `(kd)³` multiply–adds).
pub const M_MAX_ITERS: usize = 5000;
/// Most halvings of the damping before IDKM gives up.
pub const M_MAX_RESTARTS: usize = 30;
/// The tight solves of the finite differences stop at `‖C⁺ − C‖_F ≤ FD_TOL · (1 + ‖C‖_F)`.
pub const FD_TOL: f64 = 1e-14;
/// … or after this many updates from the unperturbed fixed point.
pub const FD_MAX_ITERS: usize = 1000;

/// Multiply–adds of one update [`step`] (distances, softmax, weighted sums).
pub fn step_work(m: usize, k: usize, d: usize) -> u64 {
    (m * k * (2 * d + 3) + k * d) as u64
}

/// Multiply–adds of one reverse-mode product [`vjp`] through an update.
pub fn vjp_work(m: usize, k: usize, d: usize) -> u64 {
    (m * k * (5 * d + 4) + 2 * k * d) as u64
}

/// One evaluation of `F(C, W)` and everything its backward pass reads.
#[derive(Debug, Clone)]
pub struct Step {
    /// The centres `C` it started from (`k × d`).
    pub c: Vec<f64>,
    /// `D` (`m × k`).
    pub dist: Vec<f64>,
    /// `A = rowsoftmax(−D/τ)` (`m × k`).
    pub attn: Vec<f64>,
    /// `s = Aᵀ1` (`k`).
    pub mass: Vec<f64>,
    /// `C⁺ = F(C, W)` (`k × d`).
    pub next: Vec<f64>,
}

impl Step {
    /// Bytes of the buffers kept (f64).
    pub fn bytes(&self) -> usize {
        8 * (self.c.len() + self.dist.len() + self.attn.len() + self.mass.len() + self.next.len())
    }

    /// `‖C⁺ − C‖_F`.
    pub fn change(&self) -> f64 {
        self.next.iter().zip(&self.c).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()
    }

    /// Whether centre `j` is empty.
    pub fn empty(&self, j: usize) -> bool {
        !self.mass[j].is_finite() || self.mass[j] < EMPTY_MASS
    }
}

/// Row `i` of the attention: softmax of `−dist/τ`, written into `out` (max-shifted).
fn softmax_row(dist: &[f64], tau: f64, out: &mut [f64]) {
    let best = dist.iter().copied().fold(f64::INFINITY, f64::min);
    let mut total = 0.0;
    for (o, &dj) in out.iter_mut().zip(dist) {
        *o = libm::exp(-(dj - best) / tau);
        total += *o;
    }
    for o in out.iter_mut() {
        *o /= total;
    }
}

/// Distances `‖w_i − c_j‖` of one point to every centre.
fn distances(wi: &[f64], c: &[f64], k: usize, out: &mut [f64]) {
    let d = wi.len();
    for j in 0..k {
        let cj = &c[j * d..(j + 1) * d];
        out[j] = wi.iter().zip(cj).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
    }
}

/// One update `C⁺ = F(C, W)` (eq. 2.12) with its intermediate buffers.
pub fn step(w: &Mat<f64>, c: &[f64], k: usize, tau: f64) -> Step {
    let (m, d) = (w.rows, w.cols);
    let mut dist = vec![0.0; m * k];
    let mut attn = vec![0.0; m * k];
    let mut mass = vec![0.0; k];
    let mut num = vec![0.0; k * d];
    for i in 0..m {
        let wi = w.row(i);
        let (di, ai) = (&mut dist[i * k..(i + 1) * k], &mut attn[i * k..(i + 1) * k]);
        distances(wi, c, k, di);
        softmax_row(di, tau, ai);
        for j in 0..k {
            mass[j] += ai[j];
            for t in 0..d {
                num[j * d + t] += ai[j] * wi[t];
            }
        }
    }
    let mut next = c.to_vec();
    for j in 0..k {
        if mass[j] >= EMPTY_MASS {
            for t in 0..d {
                next[j * d + t] = num[j * d + t] / mass[j];
            }
        }
    }
    Step { c: c.to_vec(), dist, attn, mass, next }
}

/// The soft assignments `A` of points `w` to centres `c` (`m × k`).
pub fn assign(w: &Mat<f64>, c: &[f64], k: usize, tau: f64) -> Vec<f64> {
    let mut dist = vec![0.0; k];
    let mut attn = vec![0.0; w.rows * k];
    for i in 0..w.rows {
        distances(w.row(i), c, k, &mut dist);
        softmax_row(&dist, tau, &mut attn[i * k..(i + 1) * k]);
    }
    attn
}

/// Algorithm 1 of the source, run from `c0`.
#[derive(Debug, Clone)]
pub struct Solve {
    /// The returned centres `C*` (`k × d`): the last `C⁺`.
    pub centres: Vec<f64>,
    /// Updates done.
    pub iterations: usize,
    /// `‖C⁺ − C‖_F < ε` was reached.
    pub converged: bool,
    /// `‖C⁺ − C‖_F` of the last update.
    pub last_change: f64,
    /// Every update, in order (only when asked for: the unrolled gradient's tape).
    pub tape: Vec<Step>,
}

/// Soft k-means from `c0` until `‖C⁺ − C‖_F < eps` or `max_iter` updates (`eps = 0`:
/// exactly `max_iter` unless an update changes nothing); `keep` keeps every [`Step`].
pub fn solve(w: &Mat<f64>, c0: &[f64], k: usize, tau: f64, eps: f64, max_iter: usize, keep: bool) -> Solve {
    let mut c = c0.to_vec();
    let mut tape = Vec::new();
    let (mut iterations, mut converged, mut last_change) = (0, false, f64::NAN);
    while iterations < max_iter {
        let s = step(w, &c, k, tau);
        last_change = s.change();
        c.clone_from(&s.next);
        iterations += 1;
        if keep {
            tape.push(s);
        }
        if last_change < eps || last_change == 0.0 {
            converged = last_change < eps;
            break;
        }
    }
    Solve { centres: c, iterations, converged, last_change, tape }
}

/// Reverse mode through the softmax and the distances: given `Ā = ∂L/∂A` (`m × k`) at a
/// step, add `∂L/∂W` to `w_bar` and `∂L/∂C` to `c_bar`.
#[allow(clippy::too_many_arguments)]
fn attention_backward(
    w: &Mat<f64>,
    c: &[f64],
    dist: &[f64],
    attn: &[f64],
    a_bar: &[f64],
    k: usize,
    tau: f64,
    mut w_bar: Option<&mut [f64]>,
    c_bar: &mut [f64],
) {
    let d = w.cols;
    for i in 0..w.rows {
        let wi = w.row(i);
        let (ai, abi, di) =
            (&attn[i * k..(i + 1) * k], &a_bar[i * k..(i + 1) * k], &dist[i * k..(i + 1) * k]);
        let avg: f64 = ai.iter().zip(abi).map(|(a, b)| a * b).sum();
        for j in 0..k {
            // z = −D/τ, A = softmax(z): z̄ = A ⊙ (Ā − ⟨A, Ā⟩); D̄ = −z̄/τ; ∂‖e‖/∂e = e/‖e‖ (0 at e = 0).
            let z_bar = ai[j] * (abi[j] - avg);
            if di[j] > 0.0 && z_bar != 0.0 {
                let g = -z_bar / tau / di[j];
                for t in 0..d {
                    let e = g * (wi[t] - c[j * d + t]);
                    if let Some(wb) = w_bar.as_deref_mut() {
                        wb[i * d + t] += e;
                    }
                    c_bar[j * d + t] -= e;
                }
            }
        }
    }
}

/// Reverse-mode product through one update: given `ḡ = ∂L/∂C⁺` (`k × d`), add
/// `(∂F/∂W)ᵀ ḡ` to `w_bar` (when given) and return `(∂F/∂C)ᵀ ḡ`.
pub fn vjp(w: &Mat<f64>, s: &Step, g: &[f64], tau: f64, mut w_bar: Option<&mut [f64]>) -> Vec<f64> {
    let (m, d, k) = (w.rows, w.cols, s.mass.len());
    let mut c_bar = vec![0.0; k * d];
    // C⁺_j = N_j / s_j: N̄_j = ḡ_j / s_j, s̄_j = −ḡ_j·C⁺_j / s_j, so Ā_ij = ḡ_j·(w_i − C⁺_j) / s_j
    // and W gets Σ_j A_ij N̄_j directly. An empty centre passes ḡ_j to its own C_j.
    let mut n_bar = vec![0.0; k * d];
    let mut beta = vec![0.0; k];
    for j in 0..k {
        if s.empty(j) {
            for t in 0..d {
                c_bar[j * d + t] += g[j * d + t];
            }
        } else {
            for t in 0..d {
                n_bar[j * d + t] = g[j * d + t] / s.mass[j];
                beta[j] += n_bar[j * d + t] * s.next[j * d + t];
            }
        }
    }
    let mut a_bar = vec![0.0; m * k];
    for i in 0..m {
        let wi = w.row(i);
        for j in 0..k {
            if !s.empty(j) {
                let nb = &n_bar[j * d..(j + 1) * d];
                a_bar[i * k + j] = wi.iter().zip(nb).map(|(a, b)| a * b).sum::<f64>() - beta[j];
                if let Some(wb) = w_bar.as_deref_mut() {
                    let a = s.attn[i * k + j];
                    for t in 0..d {
                        wb[i * d + t] += a * nb[t];
                    }
                }
            }
        }
    }
    attention_backward(w, &s.c, &s.dist, &s.attn, &a_bar, k, tau, w_bar, &mut c_bar);
    c_bar
}

/// The soft quantiser `r_τ(W, C) = A(W, C) C` (eq. 2.4, 2.7) at step `s` (its input
/// centres `s.c`): one row of `d` per point.
pub fn soft_quantize(s: &Step, d: usize) -> Vec<f64> {
    let k = s.mass.len();
    let m = s.attn.len() / k.max(1);
    let mut r = vec![0.0; m * d];
    for i in 0..m {
        for j in 0..k {
            let a = s.attn[i * k + j];
            for t in 0..d {
                r[i * d + t] += a * s.c[j * d + t];
            }
        }
    }
    r
}

/// Reverse mode through [`soft_quantize`]: given `r̄` (`m × d`), returns `(∂L/∂W, ∂L/∂C)`.
pub fn soft_quantize_vjp(w: &Mat<f64>, s: &Step, r_bar: &[f64], tau: f64) -> (Vec<f64>, Vec<f64>) {
    let (m, d, k) = (w.rows, w.cols, s.mass.len());
    let mut c_bar = vec![0.0; k * d];
    let mut a_bar = vec![0.0; m * k];
    for i in 0..m {
        let rb = &r_bar[i * d..(i + 1) * d];
        for j in 0..k {
            let cj = &s.c[j * d..(j + 1) * d];
            a_bar[i * k + j] = rb.iter().zip(cj).map(|(a, b)| a * b).sum();
            let a = s.attn[i * k + j];
            for t in 0..d {
                c_bar[j * d + t] += a * rb[t];
            }
        }
    }
    let mut w_bar = vec![0.0; m * d];
    attention_backward(w, &s.c, &s.dist, &s.attn, &a_bar, k, tau, Some(&mut w_bar), &mut c_bar);
    (w_bar, c_bar)
}

/// A gradient `∂L/∂W` (`m × d`) with what computing it cost.
#[derive(Debug, Clone, Serialize)]
pub struct Gradient {
    pub grad: Vec<f64>,
    /// Bytes held for the backward pass.
    pub bytes: usize,
    /// Multiply–adds of the backward pass.
    pub work: u64,
}

/// DKM: backpropagation through every update of `tape`, with `g = ∂L/∂C_T`.
pub fn unrolled(w: &Mat<f64>, tape: &[Step], g: &[f64], tau: f64) -> Gradient {
    let (m, d) = (w.rows, w.cols);
    let k = g.len() / d.max(1);
    let mut w_bar = vec![0.0; m * d];
    let mut g = g.to_vec();
    for s in tape.iter().rev() {
        g = vjp(w, s, &g, tau, Some(&mut w_bar));
    }
    Gradient {
        grad: w_bar,
        bytes: tape.iter().map(Step::bytes).sum(),
        work: tape.len() as u64 * vjp_work(m, k, d),
    }
}

/// JFB: `M = I`, i.e. one reverse-mode product through `F` at `C*` (eq. 2.24).
pub fn jfb(w: &Mat<f64>, centres: &[f64], g: &[f64], tau: f64) -> Gradient {
    let (m, d) = (w.rows, w.cols);
    let k = centres.len() / d.max(1);
    let s = step(w, centres, k, tau);
    let mut w_bar = vec![0.0; m * d];
    vjp(w, &s, g, tau, Some(&mut w_bar));
    Gradient { grad: w_bar, bytes: s.bytes(), work: step_work(m, k, d) + vjp_work(m, k, d) }
}

/// How IDKM's solve for `M` went.
#[derive(Debug, Clone, Serialize)]
pub struct MSolve {
    /// The damping `a` that converged (or the last tried).
    pub damping: f64,
    /// Times `a` was halved after a divergence.
    pub restarts: usize,
    /// Iterations of the last attempt.
    pub iterations: usize,
    /// Iterations over all attempts.
    pub total_iterations: usize,
    /// `‖M⁺ − M‖_F ≤ M_TOL ‖M‖_F` was reached.
    pub converged: bool,
    /// `‖M⁺ − M‖_F / ‖M‖_F` at the end.
    pub residual: f64,
    /// Size of the system: `d` times the non-empty centres.
    pub size: usize,
    /// Centres left out as empty (their gradient is zero).
    pub empty: Vec<usize>,
}

/// IDKM's result: the gradient (`None` when the `M` iteration never settled) and its solve.
#[derive(Debug, Clone, Serialize)]
pub struct Implicit {
    pub gradient: Option<Gradient>,
    pub solve: MSolve,
    /// `J = ∂F/∂C` at `C*` over the non-empty centres (`size × size`, row-major).
    #[serde(skip)]
    pub jacobian: Vec<f64>,
    /// The `M` it ended with (`size × size`).
    #[serde(skip)]
    pub m: Vec<f64>,
}

fn frob(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Solve `M = J M + I` by `M ← a(J M + I) + (1 − a)M` from `M = I`, halving `a` and
/// starting over whenever the iteration diverges (non-finite, or its step grew a
/// million-fold).
pub fn solve_m(j: &[f64], n: usize) -> (Vec<f64>, MSolve) {
    let eye = |i: usize| if i.is_multiple_of(n + 1) { 1.0 } else { 0.0 };
    let mut a = DAMPING;
    let (mut restarts, mut total) = (0, 0);
    loop {
        let mut m: Vec<f64> = (0..n * n).map(eye).collect();
        let mut next = vec![0.0; n * n];
        let (mut first, mut residual, mut diverged, mut iterations) = (f64::NAN, f64::INFINITY, false, 0);
        while iterations < M_MAX_ITERS {
            // next = a (J M + I) + (1 − a) M, row by row (i, l, c order: contiguous rows).
            for r in 0..n {
                let row = &mut next[r * n..(r + 1) * n];
                for (c, x) in row.iter_mut().enumerate() {
                    *x = (1.0 - a) * m[r * n + c] + a * eye(r * n + c);
                }
                for l in 0..n {
                    let jl = a * j[r * n + l];
                    if jl != 0.0 {
                        for c in 0..n {
                            row[c] += jl * m[l * n + c];
                        }
                    }
                }
            }
            iterations += 1;
            let stepn = next.iter().zip(&m).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
            std::mem::swap(&mut m, &mut next);
            let norm = frob(&m);
            if first.is_nan() {
                first = stepn;
            }
            if !stepn.is_finite() || !norm.is_finite() || stepn > 1e6 * first.max(1e-300) {
                diverged = true;
                break;
            }
            residual = stepn / norm.max(1e-300);
            if residual <= M_TOL {
                break;
            }
        }
        total += iterations;
        if diverged && restarts < M_MAX_RESTARTS {
            a /= 2.0;
            restarts += 1;
            continue;
        }
        let converged = !diverged && residual <= M_TOL;
        let info = MSolve {
            damping: a,
            restarts,
            iterations,
            total_iterations: total,
            converged,
            residual: if diverged { f64::INFINITY } else { residual },
            size: n,
            empty: Vec::new(),
        };
        return (m, info);
    }
}

/// IDKM: the implicit gradient at `centres` (`C*`), upstream `g = ∂L/∂C*`.
pub fn implicit(w: &Mat<f64>, centres: &[f64], g: &[f64], tau: f64) -> Implicit {
    let (m, d) = (w.rows, w.cols);
    let k = centres.len() / d.max(1);
    let s = step(w, centres, k, tau);
    let active: Vec<usize> = (0..k).filter(|&j| !s.empty(j)).collect();
    let empty: Vec<usize> = (0..k).filter(|&j| s.empty(j)).collect();
    let n = active.len() * d;
    // Row r of J = ∂F_r/∂C is (∂F/∂C)ᵀ e_r: one reverse-mode product per row.
    let mut jac = vec![0.0; n * n];
    let mut e = vec![0.0; k * d];
    for (ra, &j) in active.iter().enumerate() {
        for t in 0..d {
            e.iter_mut().for_each(|x| *x = 0.0);
            e[j * d + t] = 1.0;
            let row = vjp(w, &s, &e, tau, None);
            for (ca, &l) in active.iter().enumerate() {
                for u in 0..d {
                    jac[(ra * d + t) * n + ca * d + u] = row[l * d + u];
                }
            }
        }
    }
    let (mm, mut info) = solve_m(&jac, n);
    info.empty = empty;
    let work = step_work(m, k, d)
        + (n as u64 + 1) * vjp_work(m, k, d)
        + info.total_iterations as u64 * ((n * n * n + 2 * n * n) as u64);
    // Peak: the step at C*, J, M and the next M.
    let bytes = s.bytes() + 8 * 3 * n * n;
    let gradient = (info.residual.is_finite() && !mm.iter().any(|x| !x.is_finite())).then(|| {
        // u = Mᵀ g over the active centres; dL/dW = (∂F/∂W)ᵀ u.
        let mut u = vec![0.0; k * d];
        for (ca, &l) in active.iter().enumerate() {
            for t in 0..d {
                let col = ca * d + t;
                u[l * d + t] = active
                    .iter()
                    .enumerate()
                    .flat_map(|(ra, &j)| (0..d).map(move |v| (ra * d + v, j * d + v)))
                    .map(|(r, gi)| mm[r * n + col] * g[gi])
                    .sum();
            }
        }
        let mut w_bar = vec![0.0; m * d];
        vjp(w, &s, &u, tau, Some(&mut w_bar));
        Gradient { grad: w_bar, bytes, work }
    });
    Implicit { gradient, solve: info, jacobian: jac, m: mm }
}

/// Central finite differences of `L = Σ C*` with respect to every coordinate of every
/// point: each perturbed fixed point is solved from `centres` (the unperturbed `C*`) to
/// `FD_TOL`. Returns the gradient and whether every solve reached the tolerance.
pub fn finite_differences(
    w: &Mat<f64>,
    centres: &[f64],
    tau: f64,
    h: f64,
    mut progress: impl FnMut(usize, usize),
) -> (Vec<f64>, bool) {
    let (m, d) = (w.rows, w.cols);
    let k = centres.len() / d.max(1);
    let mut grad = vec![0.0; m * d];
    let mut all_converged = true;
    let mut wp = w.clone();
    let mut loss = |wp: &Mat<f64>| {
        let (c, ok) = tight(wp, centres, k, tau);
        all_converged &= ok;
        c.iter().sum::<f64>()
    };
    for e in 0..m * d {
        let x = w.data[e];
        wp.data[e] = x + h;
        let up = loss(&wp);
        wp.data[e] = x - h;
        let down = loss(&wp);
        wp.data[e] = x;
        grad[e] = (up - down) / (2.0 * h);
        if e % d.max(1) == 0 {
            progress(e / d.max(1), m);
        }
    }
    (grad, all_converged)
}

/// Iterate `F` from `c0` to `FD_TOL` (at most `FD_MAX_ITERS` updates).
pub fn tight(w: &Mat<f64>, c0: &[f64], k: usize, tau: f64) -> (Vec<f64>, bool) {
    let mut c = c0.to_vec();
    for _ in 0..FD_MAX_ITERS {
        let s = step(w, &c, k, tau);
        let ch = s.change();
        c = s.next;
        if ch <= FD_TOL * (1.0 + frob(&c)) {
            return (c, true);
        }
    }
    (c, false)
}

/// `‖a − b‖_F / ‖b‖_F` (`None` when `‖b‖ = 0` or a value is not finite).
pub fn relative_error(a: &[f64], b: &[f64]) -> Option<f64> {
    let nb = frob(b);
    let diff = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
    (nb > 0.0 && diff.is_finite()).then_some(diff / nb)
}

/// Hard k-means (Lloyd): assign each point to its nearest centre (lowest index on a
/// tie), move each centre to the mean of its points (an empty one stays); `iters` rounds.
/// Returns the centres and the assignments of the last round.
pub fn lloyd(w: &Mat<f64>, c0: &[f64], k: usize, iters: usize) -> (Vec<f64>, Vec<usize>) {
    let d = w.cols;
    let mut c = c0.to_vec();
    let mut labels = vec![0; w.rows];
    let mut dist = vec![0.0; k];
    for _ in 0..iters {
        let mut sum = vec![0.0; k * d];
        let mut count = vec![0usize; k];
        for i in 0..w.rows {
            distances(w.row(i), &c, k, &mut dist);
            let j = (0..k).fold(0, |b, j| if dist[j] < dist[b] { j } else { b });
            labels[i] = j;
            count[j] += 1;
            for t in 0..d {
                sum[j * d + t] += w.at(i, t);
            }
        }
        for j in 0..k {
            if count[j] > 0 {
                for t in 0..d {
                    c[j * d + t] = sum[j * d + t] / count[j] as f64;
                }
            }
        }
    }
    (c, labels)
}

/// The nearest centre of each point (lowest index on a tie).
pub fn nearest(w: &Mat<f64>, c: &[f64], k: usize) -> Vec<usize> {
    let mut dist = vec![0.0; k];
    (0..w.rows)
        .map(|i| {
            distances(w.row(i), c, k, &mut dist);
            (0..k).fold(0, |b, j| if dist[j] < dist[b] { j } else { b })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{normal, seeded};

    /// `blobs` Gaussian blobs of `m` points in `d` dimensions (centres 3 apart on average).
    fn blobs(m: usize, d: usize, blobs: usize, spread: f64, seed: u64) -> Mat<f64> {
        let mut rng = seeded(seed, 9);
        let means: Vec<f64> = (0..blobs * d).map(|_| 2.0 * normal(&mut rng)).collect();
        let mut data = Vec::with_capacity(m * d);
        for i in 0..m {
            let b = i % blobs;
            for t in 0..d {
                data.push(means[b * d + t] + spread * normal(&mut rng));
            }
        }
        Mat { rows: m, cols: d, data }
    }

    fn init(w: &Mat<f64>, k: usize) -> Vec<f64> {
        // Points 0..k, nudged so that no centre sits exactly on a point.
        (0..k * w.cols).map(|e| w.data[e] + 0.01 * ((e % 7) as f64 - 3.0)).collect()
    }

    fn sum_loss(w: &Mat<f64>, c0: &[f64], k: usize, tau: f64) -> f64 {
        tight(w, &tight(w, c0, k, tau).0, k, tau).0.iter().sum()
    }

    #[test]
    fn fixed_point_satisfies_c_equals_f_of_c() {
        let w = blobs(60, 2, 3, 0.5, 1);
        let c0 = init(&w, 3);
        let s = solve(&w, &c0, 3, 0.5, 1e-12, 1000, false);
        assert!(s.converged, "{} updates, change {}", s.iterations, s.last_change);
        let again = step(&w, &s.centres, 3, 0.5);
        let residual = again.change();
        assert!(residual < 1e-11, "‖F(C*) − C*‖ = {residual}");
        // The weighted-mean form of eq. (2.9), written out independently.
        let a = assign(&w, &s.centres, 3, 0.5);
        for j in 0..3 {
            for t in 0..2 {
                let num: f64 = (0..60).map(|i| a[i * 3 + j] * w.at(i, t)).sum();
                let den: f64 = (0..60).map(|i| a[i * 3 + j]).sum();
                assert!((num / den - s.centres[j * 2 + t]).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn f64_solve_matches_the_compute_layer() {
        let w = blobs(50, 3, 4, 0.4, 2);
        let c0 = init(&w, 4);
        let ours = solve(&w, &c0, 4, 0.3, 1e-9, 200, false);
        let c0m = Mat { rows: 4, cols: 3, data: c0.clone() };
        let theirs = crate::compute::cpu::soft_kmeans(&w, &c0m, 0.3, 1e-9, 200);
        assert_eq!(ours.iterations, theirs.iterations);
        for (a, b) in ours.centres.iter().zip(&theirs.centres.data) {
            assert!((a - f64::from(*b)).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn vjp_matches_finite_differences_of_one_update() {
        let w = blobs(17, 2, 3, 0.6, 3);
        let (k, tau) = (3, 0.4);
        let c = init(&w, k);
        let g: Vec<f64> = (0..k * 2).map(|e| 1.0 + 0.3 * e as f64).collect();
        let f = |w: &Mat<f64>, c: &[f64]| -> f64 {
            step(w, c, k, tau).next.iter().zip(&g).map(|(a, b)| a * b).sum()
        };
        let s = step(&w, &c, k, tau);
        let mut wb = vec![0.0; w.data.len()];
        let cb = vjp(&w, &s, &g, tau, Some(&mut wb));
        let h = 1e-6;
        for e in 0..w.data.len() {
            let (mut p, mut q) = (w.clone(), w.clone());
            p.data[e] += h;
            q.data[e] -= h;
            let fd = (f(&p, &c) - f(&q, &c)) / (2.0 * h);
            assert!((fd - wb[e]).abs() < 1e-7 * (1.0 + fd.abs()), "w[{e}]: {} vs {fd}", wb[e]);
        }
        for e in 0..c.len() {
            let (mut p, mut q) = (c.clone(), c.clone());
            p[e] += h;
            q[e] -= h;
            let fd = (f(&w, &p) - f(&w, &q)) / (2.0 * h);
            assert!((fd - cb[e]).abs() < 1e-7 * (1.0 + fd.abs()), "c[{e}]: {} vs {fd}", cb[e]);
        }
    }

    #[test]
    fn implicit_gradient_matches_finite_differences_and_unrolled_at_convergence() {
        for (m, d, k, tau, seed) in [(40, 2, 3, 0.5, 4), (30, 1, 4, 0.2, 5), (25, 3, 2, 1.0, 6)] {
            let w = blobs(m, d, k, 0.5, seed);
            let c0 = init(&w, k);
            let run = solve(&w, &c0, k, tau, 1e-13, 5000, true);
            assert!(run.converged);
            let g = vec![1.0; k * d];
            let imp = implicit(&w, &run.centres, &g, tau);
            assert!(imp.solve.converged, "{:?}", imp.solve);
            let gi = imp.gradient.expect("converged").grad;
            let h = 1e-4 * tau.min(1.0);
            let (fd, ok) = finite_differences(&w, &run.centres, tau, h, |_, _| {});
            assert!(ok);
            let err = relative_error(&gi, &fd).expect("nonzero");
            assert!(err < 1e-5, "IDKM vs FD: {err:e} (m={m}, d={d}, k={k}, τ={tau})");
            let un = unrolled(&w, &run.tape, &g, tau).grad;
            let err_u = relative_error(&un, &gi).expect("nonzero");
            assert!(err_u < 1e-6, "DKM vs IDKM at convergence: {err_u:e} after {} updates", run.iterations);
            // JFB is an approximation: its error is there and reported, not zero.
            let jf = jfb(&w, &run.centres, &g, tau).grad;
            let err_j = relative_error(&jf, &fd).expect("nonzero");
            assert!(err_j > 1e-4, "JFB unexpectedly exact: {err_j:e}");
        }
    }

    #[test]
    fn soft_quantizer_vjp_matches_finite_differences() {
        let w = blobs(11, 2, 3, 0.5, 13);
        let (k, tau) = (3, 0.3);
        let c = init(&w, k);
        let rb: Vec<f64> = (0..22).map(|e| ((e * 7) % 5) as f64 - 2.0).collect();
        let f = |w: &Mat<f64>, c: &[f64]| -> f64 {
            soft_quantize(&step(w, c, k, tau), 2).iter().zip(&rb).map(|(a, b)| a * b).sum()
        };
        let (wb, cb) = soft_quantize_vjp(&w, &step(&w, &c, k, tau), &rb, tau);
        let h = 1e-6;
        for e in 0..22 {
            let (mut p, mut q) = (w.clone(), w.clone());
            p.data[e] += h;
            q.data[e] -= h;
            let fd = (f(&p, &c) - f(&q, &c)) / (2.0 * h);
            assert!((fd - wb[e]).abs() < 1e-7 * (1.0 + fd.abs()), "w[{e}]: {} vs {fd}", wb[e]);
        }
        for e in 0..6 {
            let (mut p, mut q) = (c.clone(), c.clone());
            p[e] += h;
            q[e] -= h;
            let fd = (f(&w, &p) - f(&w, &q)) / (2.0 * h);
            assert!((fd - cb[e]).abs() < 1e-7 * (1.0 + fd.abs()), "c[{e}]: {} vs {fd}", cb[e]);
        }
    }

    #[test]
    fn finite_differences_agree_with_a_cold_start() {
        // Warm-started perturbed solves find the same fixed point as solving from C0.
        let w = blobs(12, 2, 2, 0.5, 7);
        let c0 = init(&w, 2);
        let cstar = tight(&w, &c0, 2, 0.5).0;
        let (fd, _) = finite_differences(&w, &cstar, 0.5, 1e-5, |_, _| {});
        let h = 1e-5;
        for e in [0, 5, 23] {
            let (mut p, mut q) = (w.clone(), w.clone());
            p.data[e] += h;
            q.data[e] -= h;
            let cold = (sum_loss(&p, &c0, 2, 0.5) - sum_loss(&q, &c0, 2, 0.5)) / (2.0 * h);
            assert!((cold - fd[e]).abs() < 1e-7, "{cold} vs {}", fd[e]);
        }
    }

    #[test]
    fn damped_m_iteration_equals_the_matrix_inverse() {
        let w = blobs(40, 2, 3, 0.6, 8);
        let c = tight(&w, &init(&w, 3), 3, 0.7).0;
        let imp = implicit(&w, &c, &[1.0; 6], 0.7);
        let n = imp.solve.size;
        let j = nalgebra::DMatrix::from_row_slice(n, n, &imp.jacobian);
        let inv = (nalgebra::DMatrix::identity(n, n) - j).try_inverse().expect("I − J invertible");
        let got = nalgebra::DMatrix::from_row_slice(n, n, &imp.m);
        assert!((got - &inv).abs().max() < 1e-10 * inv.abs().max());
    }

    #[test]
    fn damping_is_halved_when_the_iteration_diverges() {
        // Mode λ of J contracts iff |1 − a(1 − λ)| < 1. λ = −9: a = 0.25 gives −1.5
        // (diverges), a = 0.125 gives −0.25 (converges). M* = diag(1/10, 1/(1 − 0.5)).
        let j = [-9.0, 0.0, 0.0, 0.5];
        let (m, info) = solve_m(&j, 2);
        assert!(info.restarts >= 1 && info.converged, "{info:?}");
        assert!((m[0] - 0.1).abs() < 1e-12 && (m[3] - 2.0).abs() < 1e-12, "{m:?}");
    }

    #[test]
    fn m_iteration_reports_failure_when_i_minus_j_is_singular() {
        let (_, info) = solve_m(&[1.0], 1);
        assert!(!info.converged, "{info:?}");
    }

    #[test]
    fn small_temperature_matches_hard_k_means() {
        let w = blobs(90, 2, 3, 0.3, 10);
        let c0 = init(&w, 3);
        for iters in [1, 2, 5, 20] {
            let soft = solve(&w, &c0, 3, 1e-4, 0.0, iters, false);
            let (hard, labels) = lloyd(&w, &c0, 3, iters);
            for (a, b) in soft.centres.iter().zip(&hard) {
                assert!((a - b).abs() < 1e-9, "after {iters}: {a} vs {b}");
            }
            // The soft assignments' argmax are the hard ones (of the centres before the last update).
            let prev = if iters == 1 { c0.clone() } else { lloyd(&w, &c0, 3, iters - 1).0 };
            let a = assign(&w, &prev, 3, 1e-4);
            for i in 0..90 {
                let arg = (0..3).fold(0, |b, j| if a[i * 3 + j] > a[i * 3 + b] { j } else { b });
                assert_eq!(arg, labels[i], "point {i}");
            }
        }
    }

    #[test]
    fn empty_centre_keeps_its_place_and_gets_zero_gradient() {
        // Centre 2 is so far away at τ = 0.01 that its mass underflows.
        let w = blobs(20, 2, 2, 0.3, 11);
        let mut c0 = init(&w, 3);
        c0[4] = 500.0;
        c0[5] = 500.0;
        let run = solve(&w, &c0, 3, 0.01, 1e-12, 500, true);
        assert_eq!(&run.centres[4..6], &[500.0, 500.0]);
        let g = vec![1.0; 6];
        let imp = implicit(&w, &run.centres, &g, 0.01);
        assert_eq!(imp.solve.empty, vec![2]);
        let gi = imp.gradient.expect("solved").grad;
        let un = unrolled(&w, &run.tape, &g, 0.01).grad;
        assert!(gi.iter().chain(&un).all(|x| x.is_finite()));
        let (fd, _) = finite_differences(&w, &run.centres, 0.01, 1e-6, |_, _| {});
        assert!(relative_error(&gi, &fd).expect("nonzero") < 1e-5);
    }

    #[test]
    fn memory_of_the_unrolled_gradient_grows_with_iterations_and_implicit_does_not() {
        let w = blobs(30, 2, 3, 0.5, 12);
        let c0 = init(&w, 3);
        let g = vec![1.0; 6];
        let mem = |t: usize| {
            let run = solve(&w, &c0, 3, 0.5, 0.0, t, true);
            let imp = implicit(&w, &run.centres, &g, 0.5).gradient.expect("ok").bytes;
            (unrolled(&w, &run.tape, &g, 0.5).bytes, imp)
        };
        let (u5, i5) = mem(5);
        let (u30, i30) = mem(30);
        // Per update: C and C⁺ (2·k·d), D and A (2·m·k), masses (k), in f64.
        assert_eq!(u5, 5 * 8 * (2 * 6 + 2 * 30 * 3 + 3));
        assert_eq!(u30, 6 * u5);
        assert_eq!(i5, i30);
        assert_eq!(i5, 8 * (2 * 6 + 2 * 30 * 3 + 3) + 8 * 3 * 36);
    }
}
