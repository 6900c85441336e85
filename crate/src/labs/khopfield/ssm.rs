//! Sum-softmax, ksoftmax and softmax (Jaffe, dissertation, Sec. 3.2, 3.5, 3.6), their
//! potentials, and the dual variable λ* of the sum-softmax.
//!
//! `ssm(x; k) = σ(x + λ*)` with λ* the root of `g(λ) = Σ_i σ(x_i + λ) − k` (eqs. 3.10–3.11),
//! `ksoftmax_1 = ssm(x; 1)`, `ksoftmax_i = ssm(x; i) − ssm(x; i−1)` (Definition 3.2.2).
//!
//! **The λ* solver** ([`solve`]) brackets the root, then runs a safeguarded Newton iteration
//! (a Newton step is taken only when it lands inside the bracket and shrinks |g| fast
//! enough, otherwise the bracket is bisected). It stops when `|g(λ)| ≤` [`TOL`]` / 2` on the
//! entries it iterates over, or when the bracket has shrunk to adjacent doubles. The
//! bracket, from the sorted values `x_[1] ≥ x_[2] ≥ …` and `d = x_[k] − x_[k+1]`, is
//! `λ + x_[k] ∈ [−ln(n−k), min(d + ln k, 800)]`: at the left end every entry from the k-th
//! down is at most `σ(−ln(n−k)) = 1/(n−k+1)`, so `g ≤ 0`; at the right end the top k+1
//! entries are at least `k/(k+1)` (or, past 800, the top k are exactly 1 in f64), so
//! `g ≥ 0`. Entries that stay more than 40 below the bracket (`σ < e^−40 ≈ 4·10⁻¹⁸`) are
//! left out of the iteration; together they move `g` by less than `n·4.3·10⁻¹⁸`
//! (< 4.3·10⁻¹¹ for n ≤ 10⁷), so the full residual stays below [`TOL`]. NaN entries count
//! as −∞ (least similar) and infinities are clamped to ±f64::MAX; no input gives NaN.
//!
//! **ksoftmax** ([`ksoftmax`]) uses `σ(b) − σ(a) = σ(b)·σ(−a)·(1 − e^{−(b−a)})` with
//! `b − a = λ*_i − λ*_{i−1} ≥ 0`, a product of non-negative factors: the columns are
//! non-negative by construction (Proposition 3.5.2's corollary) and free of cancellation.
//!
//! **Potentials** (Proposition 3.6.1): `V_k(z) = ∫₀¹ zᵀ ssm(tz; k) dt`. By Danskin's theorem
//! `ssm(·; k)` is the gradient of `Φ_k(z) = max_{y∈[0,1]ⁿ, 1ᵀy=k} zᵀy + H_b(y) =
//! Σ_i softplus(z_i + λ*) − kλ*`, so `V_k(z) = Φ_k(z) − Φ_k(0)`: [`phi`] is that closed form,
//! [`quadrature`] the integral itself (adaptive Gauss–Kronrod), and the tests check that
//! they agree. For softmax, `V(z) = lse(z) − ln n`.

use serde::Serialize;

/// The solver's target: `|Σ_i ssm(x; k)_i − k| ≤ TOL` (unless the bracket reaches adjacent
/// doubles first, which the [`Solve`] record shows).
pub const TOL: f64 = 1e-9;
/// Iteration cap of the solver (bisection alone needs about 60 from the widest bracket).
pub const MAX_ITER: usize = 200;
/// Entries more than this far below the bracket are left out of the iterations.
const PRUNE: f64 = 40.0;
/// Past this, σ of a non-negative argument is exactly 1 in f64 (e^−745 underflows).
const SATURATE: f64 = 800.0;

/// How one λ* was found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Solve {
    /// The k of `ssm(x; k)`.
    pub k: usize,
    /// λ* (JSON null when infinite: k = 0 gives −∞, k ≥ n gives +∞).
    pub lambda: f64,
    /// Function evaluations (each one pass over the entries iterated on).
    pub iterations: usize,
    /// Of those, how many followed a Newton step and how many a bisection.
    pub newton: usize,
    pub bisections: usize,
    /// `|Σ_i σ(x_i + λ*) − k|` over every entry (filled by [`ssm`] and [`ksoftmax`]).
    pub residual: f64,
    /// Entries the iteration ran over (the others are below the window).
    pub window: usize,
    /// The residual reached [`TOL`].
    pub converged: bool,
}

/// NaN → −f64::MAX (least similar), ±∞ → ±f64::MAX.
fn clean(v: f64) -> f64 {
    if v.is_nan() { f64::MIN } else { v.clamp(f64::MIN, f64::MAX) }
}

/// `(σ(u), σ(−u))` from one exponential, exact at ±∞.
#[inline]
pub fn sigmoid_pair(u: f64) -> (f64, f64) {
    let e = libm::exp(-u.abs());
    let (big, small) = (1.0 / (1.0 + e), e / (1.0 + e));
    if u >= 0.0 { (big, small) } else { (small, big) }
}

/// The logistic function.
#[inline]
pub fn sigmoid(u: f64) -> f64 {
    sigmoid_pair(u).0
}

/// `ln(1 + e^u)` without overflow.
pub fn softplus(u: f64) -> f64 {
    if u == f64::INFINITY {
        return u;
    }
    u.max(0.0) + libm::log1p(libm::exp(-u.abs()))
}

/// The `m` largest entries of `x` (cleaned), in descending order (`m ≤ x.len()`).
pub fn top_values(x: &[f64], m: usize) -> Vec<f64> {
    let mut v: Vec<f64> = x.iter().map(|&a| clean(a)).collect();
    let m = m.min(v.len());
    if m == 0 {
        return Vec::new();
    }
    if m < v.len() {
        v.select_nth_unstable_by(m - 1, |a, b| b.total_cmp(a));
        v.truncate(m);
    }
    v.sort_unstable_by(|a, b| b.total_cmp(a));
    v
}

/// The indices of the `m` largest entries, largest first (ties: lower index first).
pub fn top_indices(x: &[f64], m: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    let cmp = |a: &usize, b: &usize| clean(x[*b]).total_cmp(&clean(x[*a])).then(a.cmp(b));
    let m = m.min(idx.len());
    if m == 0 {
        return Vec::new();
    }
    if m < idx.len() {
        idx.select_nth_unstable_by(m - 1, cmp);
        idx.truncate(m);
    }
    idx.sort_unstable_by(cmp);
    idx
}

/// The index of the largest entry (the first of ties); 0 for an empty slice.
pub fn argmax(x: &[f64]) -> usize {
    (0..x.len()).fold(0, |b, i| if clean(x[i]) > clean(x[b]) { i } else { b })
}

/// λ* in the frame shifted by `s = x_[k]`: the root λ' of `Σ σ(x_i − s + λ') = k`.
struct Shifted {
    shift: f64,
    lambda: f64,
    solve: Solve,
}

/// `g(λ) = Σσ(z+λ) − k` and `g'(λ)`.
fn eval(z: &[f64], k: f64, lam: f64) -> (f64, f64) {
    let (mut g, mut dg) = (0.0, 0.0);
    for &zi in z {
        let (s, c) = sigmoid_pair(zi + lam);
        g += s;
        dg += s * c;
    }
    (g - k, dg)
}

/// Solve for `k` (1 ≤ k < n) given the k-th and (k+1)-th largest values.
fn solve_shifted(x: &[f64], k: usize, xk: f64, xk1: f64) -> Shifted {
    let n = x.len();
    let d = xk - xk1; // ≥ 0, may be +∞
    let mut lo = -((n - k) as f64).ln();
    let mut hi = (d + (k as f64).ln()).min(SATURATE);
    let cut = -(hi + PRUNE);
    let z: Vec<f64> = x.iter().map(|&v| clean(v) - xk).filter(|&v| v > cut).collect();
    let kf = k as f64;
    let mut lam = (0.5 * d).clamp(lo, hi);
    let (mut iterations, mut newton, mut bisections) = (0, 0, 0);
    let mut dx_old = hi - lo;
    let mut dx = dx_old;
    let mut converged = false;
    while iterations < MAX_ITER {
        let (g, dg) = eval(&z, kf, lam);
        iterations += 1;
        if g.abs() <= 0.5 * TOL {
            converged = true;
            break;
        }
        if g < 0.0 {
            lo = lam;
        } else {
            hi = lam;
        }
        if hi <= lo || lo.next_up() >= hi {
            break;
        }
        // rtsafe (Numerical Recipes): Newton when it stays inside the bracket and |g| falls
        // at least as fast as bisection would make it; bisect otherwise.
        let step = g / dg;
        let cand = lam - step;
        let ok = dg > 0.0 && cand > lo && cand < hi && (2.0 * g).abs() <= (dx_old * dg).abs();
        dx_old = dx;
        if ok {
            dx = step;
            lam = cand;
            newton += 1;
        } else {
            dx = 0.5 * (hi - lo);
            lam = lo + dx;
            bisections += 1;
        }
    }
    Shifted {
        shift: xk,
        lambda: lam,
        solve: Solve {
            k,
            lambda: lam - xk,
            iterations,
            newton,
            bisections,
            residual: f64::NAN,
            window: z.len(),
            converged,
        },
    }
}

fn infinite(k: usize, n: usize) -> Shifted {
    let lambda = if k == 0 { f64::NEG_INFINITY } else { f64::INFINITY };
    Shifted {
        shift: 0.0,
        lambda,
        solve: Solve {
            k,
            lambda,
            iterations: 0,
            newton: 0,
            bisections: 0,
            residual: k.saturating_sub(n) as f64,
            window: 0,
            converged: k <= n,
        },
    }
}

/// λ* for every `k` in `1..=kmax`, from one partial sort.
fn solve_all(x: &[f64], kmax: usize) -> Vec<Shifted> {
    let n = x.len();
    let top = top_values(x, (kmax + 1).min(n));
    (1..=kmax)
        .map(|k| if k >= n { infinite(k, n) } else { solve_shifted(x, k, top[k - 1], top[k]) })
        .collect()
}

/// Find λ* of `ssm(x; k)` (see the module notes for the bracket and the tolerance). The
/// residual field is left NaN: only [`ssm`] and [`ksoftmax`] evaluate every entry.
pub fn solve(x: &[f64], k: usize) -> Solve {
    if k == 0 || k >= x.len() {
        return infinite(k, x.len()).solve;
    }
    let top = top_values(x, k + 1);
    solve_shifted(x, k, top[k - 1], top[k]).solve
}

/// `u_i = x_i + λ*` in the shifted frame (exact at the infinite λ* of k = 0 and k = n).
fn arg(s: &Shifted, xi: f64) -> f64 {
    if s.lambda.is_infinite() { s.lambda } else { (clean(xi) - s.shift) + s.lambda }
}

/// `ssm(x; k) = σ(x + λ*)` (eq. 3.10) and how λ* was found, with the residual over all entries.
pub fn ssm(x: &[f64], k: usize) -> (Vec<f64>, Solve) {
    let s = if k == 0 || k >= x.len() {
        infinite(k, x.len())
    } else {
        let top = top_values(x, k + 1);
        solve_shifted(x, k, top[k - 1], top[k])
    };
    let y: Vec<f64> = x.iter().map(|&xi| sigmoid(arg(&s, xi))).collect();
    let mut solve = s.solve;
    solve.residual = (y.iter().sum::<f64>() - k.min(x.len()) as f64).abs();
    (y, solve)
}

/// The result of [`ksoftmax`].
#[derive(Debug, Clone)]
pub struct KSoftmax {
    /// `kmax` columns of `n` entries: column `i−1` is ksoftmax_i(x).
    pub columns: Vec<Vec<f64>>,
    /// How each λ*_i was found (residuals over every entry).
    pub solves: Vec<Solve>,
}

/// All columns `ksoftmax_1..=kmax(x)` (Definition 3.2.2), `kmax ≥ 1`.
///
/// One exponential per entry (and per column inside the window): outside the window of
/// the last column, `ssm(x; i)_μ = e^{x_μ + λ*_i}` to within a relative 4·10⁻¹⁸, so the
/// columns there are `e^{x_μ + λ*_kmax}` times a per-column constant.
pub fn ksoftmax(x: &[f64], kmax: usize) -> KSoftmax {
    let n = x.len();
    let kmax = kmax.max(1);
    let sol = solve_all(x, kmax);
    // δ_i = λ*_i − λ*_{i−1} ≥ 0 (computed in the shifted frames to keep its digits).
    let delta: Vec<f64> = (1..kmax)
        .map(|i| {
            let (a, b) = (&sol[i - 1], &sol[i]);
            if b.lambda.is_infinite() {
                f64::INFINITY
            } else {
                ((b.lambda - a.lambda) + (a.shift - b.shift)).max(0.0)
            }
        })
        .collect();
    // 1 − e^{−δ}: the factor of column i+1 (exact 1 for δ = ∞).
    let gap: Vec<f64> = delta.iter().map(|&d| -libm::expm1(-d)).collect();
    let last = &sol[kmax - 1];
    // Outside the window: ksoftmax_i = e^{u_kmax} · c_i, c_i = e^{λ*_i − λ*_kmax}(1 − e^{−δ_i}).
    let mut c = vec![0.0; kmax];
    let mut tail = 0.0f64; // λ*_i − λ*_kmax, built from the δs (≤ 0)
    for i in (0..kmax).rev() {
        let e = libm::exp(tail);
        c[i] = if i == 0 { e } else { e * gap[i - 1] };
        if i > 0 {
            tail -= delta[i - 1];
        }
    }
    let mut columns = vec![vec![0.0; n]; kmax];
    let mut sums = vec![0.0; kmax];
    for (mu, &xi) in x.iter().enumerate() {
        let uk = arg(last, xi);
        if uk < -PRUNE && last.lambda.is_finite() {
            if uk < -745.2 {
                continue; // every column is exactly 0 in f64
            }
            let e = libm::exp(uk);
            for i in 0..kmax {
                let v = e * c[i];
                columns[i][mu] = v;
                sums[i] += v;
            }
        } else {
            // Each column's argument in its own shifted frame (a chain a + δ would lose the
            // digits of a huge a); the factors of the product are each accurate.
            let (s, mut sc) = sigmoid_pair(arg(&sol[0], xi));
            columns[0][mu] = s;
            sums[0] += s;
            for i in 1..kmax {
                let (sb, sbc) = sigmoid_pair(arg(&sol[i], xi));
                let v = sb * sc * gap[i - 1];
                columns[i][mu] = v;
                sums[i] += v;
                sc = sbc;
            }
        }
    }
    let mut solves: Vec<Solve> = sol.iter().map(|s| s.solve).collect();
    let mut cum = 0.0;
    for (i, sv) in solves.iter_mut().enumerate() {
        cum += sums[i];
        sv.residual = (cum - (i + 1).min(n) as f64).abs();
    }
    KSoftmax { columns, solves }
}

/// The single column `ksoftmax_i(x)` (`i ≥ 1`), solving only for λ*_i and λ*_{i−1}.
pub fn ksoftmax_column(x: &[f64], i: usize) -> Vec<f64> {
    let n = x.len();
    let i = i.max(1);
    let top = top_values(x, (i + 1).min(n));
    let get = |k: usize| if k >= n { infinite(k, n) } else { solve_shifted(x, k, top[k - 1], top[k]) };
    let b = get(i);
    if i == 1 {
        return x.iter().map(|&xi| sigmoid(arg(&b, xi))).collect();
    }
    let a = get(i - 1);
    let delta = if b.lambda.is_infinite() {
        f64::INFINITY
    } else {
        ((b.lambda - a.lambda) + (a.shift - b.shift)).max(0.0)
    };
    let gap = -libm::expm1(-delta);
    x.iter().map(|&xi| sigmoid(arg(&b, xi)) * sigmoid_pair(arg(&a, xi)).1 * gap).collect()
}

/// `softmax(x)` (max-shifted; NaN entries count as −∞).
pub fn softmax(x: &[f64]) -> Vec<f64> {
    let m = x.iter().fold(f64::MIN, |m, &v| m.max(clean(v)));
    let e: Vec<f64> = x.iter().map(|&v| libm::exp(clean(v) - m)).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

/// `ln Σ e^{x_i}` (max-shifted).
pub fn logsumexp(x: &[f64]) -> f64 {
    let m = x.iter().fold(f64::MIN, |m, &v| m.max(clean(v)));
    m + libm::log(x.iter().map(|&v| libm::exp(clean(v) - m)).sum::<f64>())
}

/// The Jacobian of `ssm(·; k)` at `x` (eq. 3.16): `J = diag(a) − a aᵀ / Σa`,
/// `a_i = σ'(x_i + λ*)` — symmetric, a Laplacian (Proposition 3.6.1).
pub fn ssm_jacobian(x: &[f64], k: usize) -> Vec<Vec<f64>> {
    let n = x.len();
    if k == 0 || k >= n {
        return vec![vec![0.0; n]; n];
    }
    let top = top_values(x, k + 1);
    let s = solve_shifted(x, k, top[k - 1], top[k]);
    let a: Vec<f64> = x
        .iter()
        .map(|&xi| {
            let (p, q) = sigmoid_pair(arg(&s, xi));
            p * q
        })
        .collect();
    let sa: f64 = a.iter().sum();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let off = if sa > 0.0 { a[i] * a[j] / sa } else { 0.0 };
                    if i == j { a[i] - off } else { -off }
                })
                .collect()
        })
        .collect()
}

/// `Φ_k(z) = max_{y ∈ [0,1]ⁿ, 1ᵀy = k} zᵀy + H_b(y) = Σ softplus(z_i + λ*) − kλ*`, whose
/// gradient is `ssm(z; k)`; `Φ_0 = 0`, `Φ_n = Σ z_i`. Evaluated in the frame shifted by
/// `z_[k]`, so that huge `z` keep their digits.
pub fn phi(z: &[f64], k: usize) -> f64 {
    let n = z.len();
    if k == 0 {
        return 0.0;
    }
    if k >= n {
        return z.iter().map(|&v| clean(v)).sum();
    }
    let top = top_values(z, k + 1);
    let s = solve_shifted(z, k, top[k - 1], top[k]);
    let kf = k as f64;
    let mut acc = -kf * s.lambda;
    for &zi in z {
        acc += softplus((clean(zi) - s.shift) + s.lambda);
    }
    kf * s.shift + acc
}

/// `V_k(z) = Φ_k(z) − Φ_k(0)` in closed form (= `∫₀¹ zᵀ ssm(tz; k) dt`).
pub fn potential_ssm(z: &[f64], k: usize) -> f64 {
    phi(z, k) - phi(&vec![0.0; z.len()], k)
}

/// The potential of `ksoftmax_i`: `V_i − V_{i−1}` (closed form).
pub fn potential_ksoftmax(z: &[f64], i: usize) -> f64 {
    potential_ssm(z, i) - if i > 1 { potential_ssm(z, i - 1) } else { 0.0 }
}

/// The potential of softmax: `lse(z) − ln n` (closed form).
pub fn potential_softmax(z: &[f64]) -> f64 {
    logsumexp(z) - (z.len() as f64).ln()
}

/// Gauss–Kronrod 15-point nodes on [−1, 1] (QUADPACK's qk15), the non-negative half
/// (digits as published).
#[allow(clippy::excessive_precision)]
const XGK: [f64; 8] = [
    0.991455371120812639206854697526329,
    0.949107912342758524526189684047851,
    0.864864423359769072789712788640926,
    0.741531185599394439863864773280788,
    0.586087235467691130294144845693013,
    0.405845151377397166906606412076961,
    0.207784955007898467600689403773245,
    0.0,
];
#[allow(clippy::excessive_precision)]
const WGK: [f64; 8] = [
    0.022935322010529224963732008058970,
    0.063092092629978553290700663189204,
    0.104790010322250183839876322541518,
    0.140653259715525918745189590510238,
    0.169004726639267902826583426598550,
    0.190350578064785409913256402421014,
    0.204432940075298892414161999234649,
    0.209482141084727828012999174891714,
];
/// Gauss 7-point weights of the nodes XGK[1], XGK[3], XGK[5], XGK[7].
#[allow(clippy::excessive_precision)]
const WG: [f64; 4] = [
    0.129484966168869693270611432679082,
    0.279705391489276667901467771423780,
    0.381830050505118944950369775488975,
    0.417959183673469387755102040816327,
];

/// One G7–K15 panel on `[a, b]`: (Kronrod estimate, |Kronrod − Gauss|).
fn gk15(f: &mut dyn FnMut(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let (c, h) = (0.5 * (a + b), 0.5 * (b - a));
    let fc = f(c);
    let (mut k, mut g) = (WGK[7] * fc, WG[3] * fc);
    for j in 0..7 {
        let (f1, f2) = (f(c - h * XGK[j]), f(c + h * XGK[j]));
        k += WGK[j] * (f1 + f2);
        if j % 2 == 1 {
            g += WG[j / 2] * (f1 + f2);
        }
    }
    (k * h, ((k - g) * h).abs())
}

/// The outcome of [`quadrature`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quadrature {
    pub value: f64,
    /// The sum of the panels' |Kronrod − Gauss| (a conservative error estimate).
    pub error: f64,
    /// Integrand evaluations.
    pub evaluations: usize,
}

/// `∫₀¹ f(t) dt` by adaptive Gauss–Kronrod (G7/K15): the panel with the largest error
/// estimate is halved until the total estimate is at most `tol` or `max_panels` panels exist.
pub fn quadrature(f: &mut dyn FnMut(f64) -> f64, tol: f64, max_panels: usize) -> Quadrature {
    let mut panels = vec![{
        let (v, e) = gk15(f, 0.0, 1.0);
        (0.0, 1.0, v, e)
    }];
    let mut evaluations = 15;
    loop {
        let err: f64 = panels.iter().map(|p| p.3).sum();
        if err <= tol || panels.len() >= max_panels || !err.is_finite() {
            break;
        }
        let worst = (0..panels.len()).fold(0, |b, i| if panels[i].3 > panels[b].3 { i } else { b });
        let (a, b, _, _) = panels.swap_remove(worst);
        let m = 0.5 * (a + b);
        let (v1, e1) = gk15(f, a, m);
        let (v2, e2) = gk15(f, m, b);
        evaluations += 30;
        panels.push((a, m, v1, e1));
        panels.push((m, b, v2, e2));
    }
    panels.sort_by(|p, q| p.0.total_cmp(&q.0));
    Quadrature {
        value: panels.iter().map(|p| p.2).sum(),
        error: panels.iter().map(|p| p.3).sum(),
        evaluations,
    }
}

/// Which map's potential [`potential_by_quadrature`] integrates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Map {
    /// softmax
    Softmax,
    /// ksoftmax_i
    KSoftmax(usize),
}

/// `V(z) = ∫₀¹ zᵀ g(tz) dt` for `g` = softmax or ksoftmax_i, by [`quadrature`] to an
/// absolute tolerance of `1e-9·(1 + i·max|z|)`.
pub fn potential_by_quadrature(z: &[f64], map: Map) -> Quadrature {
    let zmax = z.iter().fold(0.0f64, |m, &v| m.max(clean(v).abs()));
    let i = match map {
        Map::Softmax => 1,
        Map::KSoftmax(i) => i.max(1),
    };
    let tol = 1e-9 * (1.0 + i as f64 * zmax);
    let mut tz = vec![0.0; z.len()];
    let mut f = |t: f64| {
        for (a, &b) in tz.iter_mut().zip(z) {
            *a = t * clean(b);
        }
        let g = match map {
            Map::Softmax => softmax(&tz),
            Map::KSoftmax(i) => ksoftmax_column(&tz, i),
        };
        z.iter().zip(&g).map(|(&a, &b)| clean(a) * b).sum::<f64>()
    };
    quadrature(&mut f, tol, 400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{normal, seeded, uniform};

    fn random(n: usize, scale: f64, seed: u64) -> Vec<f64> {
        let mut r = seeded(seed, 77);
        (0..n).map(|_| scale * normal(&mut r)).collect()
    }

    fn topk(x: &[f64], k: usize) -> Vec<f64> {
        let idx = top_indices(x, k);
        (0..x.len()).map(|i| if idx.contains(&i) { 1.0 } else { 0.0 }).collect()
    }

    #[test]
    fn ssm_sums_to_k_and_lies_in_the_unit_interval() {
        for (seed, n, scale) in [(1, 10, 1.0), (2, 200, 5.0), (3, 5000, 50.0), (4, 3, 0.1)] {
            let x = random(n, scale, seed);
            for k in 1..n.min(12) {
                let (y, s) = ssm(&x, k);
                assert!(s.converged && s.residual <= TOL, "n={n} k={k}: {s:?}");
                assert!((y.iter().sum::<f64>() - k as f64).abs() <= TOL);
                assert!(y.iter().all(|&v| (0.0..=1.0).contains(&v)), "n={n} k={k}");
            }
        }
    }

    #[test]
    fn ssm_is_monotone_in_k() {
        // Proposition 3.5.2: ssm(x; k) ≥ ssm(x; j) elementwise for k ≥ j.
        for seed in 0..20 {
            let x = random(60, 3.0, seed);
            let rows: Vec<Vec<f64>> = (1..10).map(|k| ssm(&x, k).0).collect();
            for w in rows.windows(2) {
                assert!(w[1].iter().zip(&w[0]).all(|(b, a)| b >= a), "seed {seed}");
            }
        }
    }

    #[test]
    fn ssm_tends_to_top_k_as_beta_grows() {
        // Proposition 3.5.1: ssm(βx; k) → topk(x) when x_[k] > x_[k+1].
        let x = random(50, 1.0, 9);
        for k in [1, 3, 7] {
            let target = topk(&x, k);
            let mut last = f64::INFINITY;
            for beta in [1.0, 10.0, 100.0, 1e3, 1e4, 1e6] {
                let bx: Vec<f64> = x.iter().map(|v| beta * v).collect();
                let (y, _) = ssm(&bx, k);
                let err = y.iter().zip(&target).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
                assert!(err <= last + 1e-12, "k={k} β={beta}: {err} after {last}");
                last = err;
            }
            assert!(last < 1e-12, "k={k}: {last}");
        }
    }

    #[test]
    fn ksoftmax_columns_are_non_negative_and_sum_to_ssm() {
        for seed in 0..30 {
            let scale = [0.01, 1.0, 30.0, 1e4][seed as usize % 4];
            let x = random(300, scale, seed);
            let ks = ksoftmax(&x, 8);
            for (i, col) in ks.columns.iter().enumerate() {
                assert!(col.iter().all(|&v| v >= 0.0), "seed {seed} column {i}");
                // Column sums: ssm(x;i) sums to i, so each column sums to 1.
                assert!((col.iter().sum::<f64>() - 1.0).abs() < 1e-8, "seed {seed} column {i}");
            }
            // Cumulative columns reproduce ssm(x; i) from the direct formula.
            let mut cum = vec![0.0; x.len()];
            for (i, col) in ks.columns.iter().enumerate() {
                for (c, v) in cum.iter_mut().zip(col) {
                    *c += v;
                }
                let (direct, _) = ssm(&x, i + 1);
                let diff = cum.iter().zip(&direct).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
                assert!(diff < 1e-12, "seed {seed} k={}: {diff}", i + 1);
                assert!(ks.solves[i].residual <= TOL, "{:?}", ks.solves[i]);
            }
        }
    }

    #[test]
    fn ksoftmax_column_matches_the_batched_columns() {
        let x = random(120, 4.0, 5);
        let ks = ksoftmax(&x, 6);
        for i in 1..=6 {
            let c = ksoftmax_column(&x, i);
            let d = c.iter().zip(&ks.columns[i - 1]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(d < 1e-13, "column {i}: {d}");
        }
    }

    #[test]
    fn jacobian_is_a_symmetric_laplacian_matching_finite_differences() {
        // Proposition 3.6.1 and eq. (3.16).
        for (seed, k) in [(1, 1), (2, 3), (3, 5)] {
            let x = random(12, 1.5, seed);
            let j = ssm_jacobian(&x, k);
            let n = x.len();
            for (a, row) in j.iter().enumerate() {
                assert!(row[a] >= 0.0);
                let sum: f64 = row.iter().sum();
                assert!(sum.abs() < 1e-14, "row sum {sum}");
                for (b, &v) in row.iter().enumerate() {
                    assert_eq!(v, j[b][a]);
                    if a != b {
                        assert!(v <= 0.0);
                    }
                }
            }
            // Central differences of the solver's ssm, column by column (h large enough that the
            // solver's residual, ≲ 10⁻¹¹, stays below the difference's resolution).
            let h = 1e-4;
            let mut worst = 0.0f64;
            for b in 0..n {
                let mut xp = x.clone();
                let mut xm = x.clone();
                xp[b] += h;
                xm[b] -= h;
                let (yp, sp) = ssm(&xp, k);
                let (ym, sm) = ssm(&xm, k);
                assert!(sp.residual < 1e-10 && sm.residual < 1e-10, "{sp:?} {sm:?}");
                for a in 0..n {
                    worst = worst.max(((yp[a] - ym[a]) / (2.0 * h) - j[a][b]).abs());
                }
            }
            assert!(worst < 1e-6, "k={k}: {worst}");
        }
    }

    #[test]
    fn solver_converges_from_hostile_inputs() {
        let mut cases: Vec<(Vec<f64>, usize)> = vec![
            (vec![0.0; 10], 3),                                         // all tied
            (vec![5.0; 10_000], 7),                                     // many ties
            (vec![1.0, 1.0, 1.0, 0.0, 0.0], 2),                         // tie across the cut
            (vec![f64::MAX, f64::MIN, 0.0], 1),                         // extreme magnitudes
            (vec![f64::MAX, f64::MAX, f64::MIN], 1),                    // tied at the top
            (vec![f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1.0], 2), // non-finite
            (vec![f64::NAN; 4], 1),                                     // all NaN
            (vec![1e308, -1e308, 1e308, -1e308], 2),                    // huge |x|
            (vec![1e-300, 2e-300, 0.0], 1),                             // tiny gaps
            (vec![0.0, 1e-16, 2e-16, 3e-16], 2),                        // gaps below an ulp of 1
            (vec![1e15, 1e15 + 1.0, 1e15 + 2.0, 1e15 + 3.0], 2),        // big offset, small gaps
            (vec![3.0, -1.0], 1),                                       // n = 2
        ];
        for beta in [1e3, 1e10, 1e100, 1e300] {
            cases.push((random(500, 1.0, 4).iter().map(|v| v * beta).collect(), 5)); // huge β
        }
        let mut r = seeded(8, 1);
        cases.push(((0..100_000).map(|_| (uniform(&mut r) * 4.0).floor()).collect(), 9)); // ties, n = 10⁵
        for (x, k) in &cases {
            let (y, s) = ssm(x, *k);
            assert!(y.iter().all(|v| v.is_finite()), "{x:?}");
            assert!(s.lambda.is_finite(), "λ* {s:?}");
            assert!(s.iterations <= MAX_ITER);
            assert!(s.converged && s.residual <= TOL, "k={k} n={}: {s:?}", x.len());
            let ks = ksoftmax(x, *k);
            assert!(ks.columns.iter().flatten().all(|v| v.is_finite() && *v >= 0.0));
            assert!(ks.solves.iter().all(|s| s.residual <= TOL), "{:?}", ks.solves);
        }
        // k = 0 and k = n are the limits, reported as infinite λ*.
        let (y, s) = ssm(&[1.0, 2.0], 2);
        assert_eq!((y, s.lambda), (vec![1.0, 1.0], f64::INFINITY));
        let (y, s) = ssm(&[1.0, 2.0], 0);
        assert_eq!((y, s.lambda), (vec![0.0, 0.0], f64::NEG_INFINITY));
    }

    #[test]
    fn ties_split_the_mass_evenly() {
        // Within the solver's tolerance: Σ ssm = 3 to 10⁻⁹, so each of the 8 to 10⁻⁹/8.
        let (y, s) = ssm(&[2.0; 8], 3);
        assert!(y.iter().all(|v| (v - 3.0 / 8.0).abs() < TOL / 8.0), "{y:?}");
        assert!((s.lambda + 2.0 - (3.0f64 / 5.0).ln()).abs() < 1e-8);
    }

    #[test]
    fn potential_by_quadrature_equals_the_closed_form() {
        for (seed, scale) in [(1, 0.5), (2, 5.0), (3, 60.0)] {
            let z = random(40, scale, seed);
            let q = potential_by_quadrature(&z, Map::Softmax);
            let c = potential_softmax(&z);
            assert!((q.value - c).abs() < 1e-8 * (1.0 + c.abs()), "softmax {scale}: {} vs {c}", q.value);
            for i in 1..=4 {
                let q = potential_by_quadrature(&z, Map::KSoftmax(i));
                let c = potential_ksoftmax(&z, i);
                assert!(
                    (q.value - c).abs() < 1e-7 * (1.0 + c.abs()),
                    "ksoftmax_{i} {scale}: {} vs {c} ({q:?})",
                    q.value
                );
            }
        }
    }

    #[test]
    fn phi_gradient_is_ssm() {
        // Danskin: ∇Φ_k = ssm(·; k), by central differences.
        let z = random(15, 2.0, 12);
        for k in [1, 4] {
            let (y, _) = ssm(&z, k);
            for i in 0..z.len() {
                let h = 1e-5;
                let (mut zp, mut zm) = (z.clone(), z.clone());
                zp[i] += h;
                zm[i] -= h;
                let fd = (phi(&zp, k) - phi(&zm, k)) / (2.0 * h);
                assert!((fd - y[i]).abs() < 1e-7, "k={k} i={i}: {fd} vs {}", y[i]);
            }
        }
    }

    #[test]
    fn softmax_and_helpers_survive_extremes() {
        let s = softmax(&[f64::MAX, 0.0, f64::NAN]);
        assert_eq!(s, vec![1.0, 0.0, 0.0]);
        assert!(logsumexp(&[1e308, 1e308]).is_finite());
        assert_eq!(top_indices(&[1.0, 3.0, 3.0, 2.0], 3), vec![1, 2, 3]);
        assert_eq!(argmax(&[f64::NAN, 2.0, 2.0]), 1);
        assert_eq!(softplus(1000.0), 1000.0);
    }
}
