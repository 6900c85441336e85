//! ODE integrators for `ẋ = F(x)`: fixed-step classical Runge–Kutta (RK4) and the
//! adaptive Dormand–Prince 5(4) pair (Hairer, Nørsett & Wanner, *Solving ODEs I*,
//! II.5: FSAL, local extrapolation, error norm `√(mean((err_i / sc_i)²))` with
//! `sc_i = tol + tol · max(|x_i|, |x̃_i|)`, step factor `0.9 · err^{−1/5}` in `[0.2, 10]`).
//!
//! Both stop early, and say why, when the state turns non-finite (NaN from a
//! Lagrangian, overflow from a huge W), grows past a bound, needs steps below
//! `1e-12·max(1, |t|)` or more steps than allowed (stiff systems). RK4 also stops when
//! its fixed step is outside its stability region: the local Lipschitz estimate
//! `L ≈ ‖k₂ − k₁‖ / (½h‖k₁‖)` gives `h·L >` [`RK4_STABLE`] on two consecutive steps (a
//! stiff system, where an explicit step follows numerical artefacts instead of the
//! flow; a single large estimate is what crossing a jump of a discontinuous field —
//! the ReLU kink under (9) — looks like, so one is tolerated). Powers come from `libm`
//! so the step sizes are the same bits natively and in WebAssembly.

use serde::Serialize;

/// Which integrator runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// Classical RK4 with step `dt` (the last step is shortened to land on `t_end`).
    Rk4 { dt: f64 },
    /// Dormand–Prince 5(4) with relative and absolute tolerance `tol`.
    Dopri { tol: f64 },
}

impl Method {
    /// A one-line description for the page ("RK4, dt = 0.01").
    pub fn describe(&self) -> String {
        match self {
            Method::Rk4 { dt } => format!("RK4, fixed step dt = {dt}"),
            Method::Dopri { tol } => format!("Dormand–Prince 5(4), adaptive, tolerance {tol:e}"),
        }
    }
}

/// Why an integration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// Reached `t_end`.
    Finished,
    /// The right-hand side or the state became NaN or infinite.
    NonFinite,
    /// A component exceeded the blow-up bound.
    BlowUp,
    /// The adaptive step fell below `1e-12·max(1, |t|)` (stiff or singular).
    StepTooSmall,
    /// The step budget ran out (a stiff system needs tiny steps).
    MaxSteps,
    /// The fixed RK4 step is unstable here (`h·L >` [`RK4_STABLE`] twice in a row: a stiff system).
    UnstableStep,
}

/// The length of RK4's stability interval on the negative real axis (≈ 2.785).
pub const RK4_STABLE: f64 = 2.78;

impl Stop {
    /// A sentence for the page.
    pub fn explain(self) -> &'static str {
        match self {
            Stop::Finished => "reached the end time",
            Stop::NonFinite => "stopped: the state or the vector field became NaN/infinite",
            Stop::BlowUp => "stopped: the state grew past the blow-up bound (diverging or unstable step)",
            Stop::StepTooSmall => "stopped: the adaptive step became too small (stiff or singular system)",
            Stop::MaxSteps => {
                "stopped: the step budget ran out (a stiff system needs tiny steps: try a larger tolerance)"
            }
            Stop::UnstableStep => {
                "stopped: the fixed RK4 step is unstable here (h·L > 2.78, a stiff system): use Dormand–Prince or a smaller dt"
            }
        }
    }
}

/// Safety limits of one integration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// At most this many accepted steps.
    pub max_steps: usize,
    /// Stop when any |x_i| exceeds this.
    pub blowup: f64,
    /// Largest adaptive step.
    pub h_max: f64,
}

/// The default step budget of one integration.
pub const MAX_STEPS: usize = 200_000;

impl Default for Limits {
    fn default() -> Self {
        Self { max_steps: MAX_STEPS, blowup: 1e12, h_max: f64::INFINITY }
    }
}

/// The steps RK4 takes to `t_end` with step `dt` (the last one may be shorter).
pub fn rk4_steps(t_end: f64, dt: f64) -> usize {
    let dt = if dt > 0.0 { dt } else { 1e-2 };
    (t_end / dt).ceil().max(0.0) as usize
}

/// What an integration did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    /// Accepted steps.
    pub steps: usize,
    /// Rejected adaptive steps.
    pub rejected: usize,
    /// Right-hand-side evaluations.
    pub evals: usize,
    pub stop: Stop,
    /// The time reached.
    pub t: f64,
}

/// A right-hand side `F(x)` written into its second argument.
pub type Rhs<'a> = dyn FnMut(&[f64], &mut [f64]) + 'a;

/// Integrate `ẋ = F(x)` from `x0` over `[0, t_end]`. `observe(t, x)` sees the start and
/// every accepted state; the state that triggered a stop is not observed.
pub fn integrate(
    f: &mut Rhs<'_>,
    x0: &[f64],
    t_end: f64,
    method: Method,
    limits: &Limits,
    observe: &mut dyn FnMut(f64, &[f64]),
) -> Stats {
    observe(0.0, x0);
    match method {
        Method::Rk4 { dt } => rk4(f, x0, t_end, dt, limits, observe),
        Method::Dopri { tol } => dopri(f, x0, t_end, tol, limits, observe),
    }
}

fn check(x: &[f64], blowup: f64) -> Option<Stop> {
    if x.iter().any(|v| !v.is_finite()) {
        Some(Stop::NonFinite)
    } else if x.iter().any(|v| v.abs() > blowup) {
        Some(Stop::BlowUp)
    } else {
        None
    }
}

/// `h·L` with the local Lipschitz estimate `L = ‖k₂ − k₁‖ / (½h‖k₁‖)` from the first two
/// RK4 stages (`k₂ = F(x + ½h k₁)`), i.e. `2‖k₂ − k₁‖ / ‖k₁‖` (h enters through k₂);
/// 0 where the field vanishes.
pub fn stiffness(k1: &[f64], k2: &[f64]) -> f64 {
    let n1 = k1.iter().map(|v| v * v).sum::<f64>().sqrt();
    let d = k1.iter().zip(k2).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
    if n1 > 0.0 { 2.0 * d / n1 } else { 0.0 }
}

/// One classical RK4 step of size `h` from `x` into `out`; `k` holds 4 stage buffers and a
/// temp. Returns the [`stiffness`] estimate `h·L` of the step.
pub fn rk4_step(f: &mut Rhs<'_>, x: &[f64], h: f64, out: &mut [f64], k: &mut [Vec<f64>; 5]) -> f64 {
    let n = x.len();
    let [k1, k2, k3, k4, tmp] = k;
    f(x, k1);
    for i in 0..n {
        tmp[i] = x[i] + 0.5 * h * k1[i];
    }
    f(tmp, k2);
    for i in 0..n {
        tmp[i] = x[i] + 0.5 * h * k2[i];
    }
    f(tmp, k3);
    for i in 0..n {
        tmp[i] = x[i] + h * k3[i];
    }
    f(tmp, k4);
    for i in 0..n {
        out[i] = x[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
    stiffness(k1, k2)
}

fn rk4(
    f: &mut Rhs<'_>,
    x0: &[f64],
    t_end: f64,
    dt: f64,
    limits: &Limits,
    observe: &mut dyn FnMut(f64, &[f64]),
) -> Stats {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut next = vec![0.0; n];
    let mut k: [Vec<f64>; 5] = std::array::from_fn(|_| vec![0.0; n]);
    let mut stats = Stats { steps: 0, rejected: 0, evals: 0, stop: Stop::Finished, t: 0.0 };
    if let Some(stop) = check(&x, limits.blowup) {
        stats.stop = stop;
        return stats;
    }
    let total = rk4_steps(t_end, dt);
    let dt = if dt > 0.0 { dt } else { 1e-2 };
    let mut strikes = 0;
    for s in 0..total {
        if s >= limits.max_steps {
            stats.stop = Stop::MaxSteps;
            return stats;
        }
        let t0 = s as f64 * dt;
        let h = dt.min(t_end - t0);
        let hl = rk4_step(f, &x, h, &mut next, &mut k);
        stats.evals += 4;
        if hl > RK4_STABLE && next.iter().all(|v| v.is_finite()) {
            strikes += 1;
            if strikes >= 2 {
                stats.stop = Stop::UnstableStep;
                return stats;
            }
        } else {
            strikes = 0;
        }
        if let Some(stop) = check(&next, limits.blowup) {
            stats.stop = stop;
            return stats;
        }
        std::mem::swap(&mut x, &mut next);
        stats.steps += 1;
        stats.t = if s + 1 == total { t_end } else { (s + 1) as f64 * dt };
        observe(stats.t, &x);
    }
    stats
}

// Dormand–Prince 5(4) tableau (the systems are autonomous, so the nodes c_i are not needed).
const A: [[f64; 6]; 7] = [
    [0.0; 6],
    [0.2, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0, 0.0, 0.0],
    [9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0, 0.0],
    [35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0],
];
/// Fifth-order weights minus fourth-order weights (the error estimate).
const E: [f64; 7] =
    [71.0 / 57600.0, 0.0, -71.0 / 16695.0, 71.0 / 1920.0, -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0];

fn rms_norm(v: &[f64], sc: &[f64]) -> f64 {
    let n = v.len().max(1) as f64;
    (v.iter().zip(sc).map(|(a, s)| (a / s) * (a / s)).sum::<f64>() / n).sqrt()
}

fn dopri(
    f: &mut Rhs<'_>,
    x0: &[f64],
    t_end: f64,
    tol: f64,
    limits: &Limits,
    observe: &mut dyn FnMut(f64, &[f64]),
) -> Stats {
    let n = x0.len();
    let tol = if tol > 0.0 { tol } else { 1e-6 };
    let mut stats = Stats { steps: 0, rejected: 0, evals: 0, stop: Stop::Finished, t: 0.0 };
    if let Some(stop) = check(x0, limits.blowup) {
        stats.stop = stop;
        return stats;
    }
    if t_end <= 0.0 {
        return stats;
    }
    let mut x = x0.to_vec();
    let mut k: Vec<Vec<f64>> = (0..7).map(|_| vec![0.0; n]).collect();
    let mut tmp = vec![0.0; n];
    let mut xn = vec![0.0; n];
    let mut err = vec![0.0; n];
    let mut sc = vec![0.0; n];
    f(&x, &mut k[0]);
    stats.evals += 1;
    if let Some(stop) = check(&k[0], f64::INFINITY) {
        stats.stop = stop;
        return stats;
    }

    // Initial step (Hairer's heuristic).
    for i in 0..n {
        sc[i] = tol + tol * x[i].abs();
    }
    let d0 = rms_norm(&x, &sc);
    let d1 = rms_norm(&k[0], &sc);
    let h0 = if d0 < 1e-5 || d1 < 1e-5 { 1e-6 } else { 0.01 * d0 / d1 };
    for i in 0..n {
        tmp[i] = x[i] + h0 * k[0][i];
    }
    f(&tmp, &mut k[1]);
    stats.evals += 1;
    for i in 0..n {
        err[i] = k[1][i] - k[0][i];
    }
    let d2 = rms_norm(&err, &sc) / h0;
    let h1 = if d1.max(d2) <= 1e-15 { (h0 * 1e-3).max(1e-6) } else { libm::pow(0.01 / d1.max(d2), 0.2) };
    let mut h = (100.0 * h0).min(h1).min(limits.h_max).min(t_end);
    if !h.is_finite() || h <= 0.0 {
        h = 1e-6;
    }

    let mut t = 0.0;
    let mut last_rejected = false;
    while t < t_end {
        if stats.steps >= limits.max_steps {
            stats.stop = Stop::MaxSteps;
            return stats;
        }
        if h < 1e-12 * t.abs().max(1.0) {
            stats.stop = Stop::StepTooSmall;
            return stats;
        }
        let last = t + h >= t_end;
        if last {
            h = t_end - t;
        }
        for s in 1..7 {
            for i in 0..n {
                let mut acc = 0.0;
                for (j, kj) in k.iter().enumerate().take(s) {
                    acc += A[s][j] * kj[i];
                }
                tmp[i] = x[i] + h * acc;
            }
            f(&tmp, &mut k[s]);
        }
        stats.evals += 6;
        // tmp now holds the 5th-order solution (stage 7 is evaluated at it: FSAL).
        xn.copy_from_slice(&tmp);
        for i in 0..n {
            let mut e = 0.0;
            for (s, ks) in k.iter().enumerate() {
                e += E[s] * ks[i];
            }
            err[i] = h * e;
            sc[i] = tol + tol * x[i].abs().max(xn[i].abs());
        }
        let en = rms_norm(&err, &sc);
        if !en.is_finite() || xn.iter().any(|v| !v.is_finite()) || k[6].iter().any(|v| !v.is_finite()) {
            // Retry smaller first: a NaN can come from an overly long step into a bad region.
            if h > 1e-9 * t.abs().max(1.0) {
                h *= 0.1;
                stats.rejected += 1;
                last_rejected = true;
                continue;
            }
            stats.stop = Stop::NonFinite;
            return stats;
        }
        if en <= 1.0 {
            t = if last { t_end } else { t + h };
            std::mem::swap(&mut x, &mut xn);
            k.swap(0, 6);
            stats.steps += 1;
            stats.t = t;
            if let Some(stop) = check(&x, limits.blowup) {
                stats.stop = stop;
                return stats;
            }
            observe(t, &x);
            let mut fac = 0.9 * libm::pow(en.max(1e-10), -0.2);
            fac = fac.clamp(0.2, 10.0);
            if last_rejected {
                fac = fac.min(1.0);
            }
            last_rejected = false;
            h = (h * fac).min(limits.h_max);
        } else {
            stats.rejected += 1;
            last_rejected = true;
            h *= (0.9 * libm::pow(en, -0.2)).max(0.2);
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(method: Method, f: &mut Rhs<'_>, x0: &[f64], t_end: f64) -> (Vec<f64>, Stats) {
        let mut last = x0.to_vec();
        let stats = integrate(f, x0, t_end, method, &Limits::default(), &mut |_, x| last = x.to_vec());
        (last, stats)
    }

    #[test]
    fn rk4_and_dopri_agree_on_a_smooth_problem_to_their_tolerances() {
        // A damped nonlinear pendulum-like system; no closed form, so compare the two
        // against each other and against a very tight Dormand–Prince reference.
        let mut f = |x: &[f64], o: &mut [f64]| {
            o[0] = x[1];
            o[1] = -libm::sin(x[0]) - 0.3 * x[1] + 0.2 * libm::tanh(x[0] * x[1]);
        };
        let x0 = [2.0, 0.5];
        let (reference, s) = run(Method::Dopri { tol: 1e-13 }, &mut f, &x0, 10.0);
        assert_eq!(s.stop, Stop::Finished);
        for (dt, bound) in [(0.1, 1e-4), (0.05, 1e-5), (0.01, 1e-8)] {
            let (x, s) = run(Method::Rk4 { dt }, &mut f, &x0, 10.0);
            assert_eq!(s.stop, Stop::Finished);
            let e = (x[0] - reference[0]).abs().max((x[1] - reference[1]).abs());
            assert!(e < bound, "RK4 dt={dt}: error {e}");
        }
        for (tol, bound) in [(1e-4, 1e-2), (1e-6, 1e-4), (1e-9, 1e-7)] {
            let (x, s) = run(Method::Dopri { tol }, &mut f, &x0, 10.0);
            assert_eq!(s.stop, Stop::Finished);
            let e = (x[0] - reference[0]).abs().max((x[1] - reference[1]).abs());
            assert!(e < bound, "Dopri tol={tol}: error {e}");
        }
    }

    #[test]
    fn rk4_has_fourth_order_convergence_and_dopri_matches_the_exact_solution() {
        // ẋ = A x with A = [[-0.5, 2], [-2, -0.5]]: x(t) = e^{-t/2} R(2t) x0 (rotation by −2t).
        let mut f = |x: &[f64], o: &mut [f64]| {
            o[0] = -0.5 * x[0] + 2.0 * x[1];
            o[1] = -2.0 * x[0] - 0.5 * x[1];
        };
        let t = 3.0;
        let (c, s) = (libm::cos(2.0 * t), libm::sin(2.0 * t));
        let d = libm::exp(-0.5 * t);
        let exact = [d * (c * 1.0 + s * 0.0), d * (-s * 1.0 + c * 0.0)];
        let err = |x: &[f64]| (x[0] - exact[0]).hypot(x[1] - exact[1]);
        let (a, _) = run(Method::Rk4 { dt: 0.02 }, &mut f, &[1.0, 0.0], t);
        let (b, _) = run(Method::Rk4 { dt: 0.01 }, &mut f, &[1.0, 0.0], t);
        let ratio = err(&a) / err(&b);
        assert!((12.0..20.0).contains(&ratio), "halving dt divides the error by {ratio}");
        let (x, _) = run(Method::Dopri { tol: 1e-10 }, &mut f, &[1.0, 0.0], t);
        assert!(err(&x) < 1e-8, "{}", err(&x));
    }

    #[test]
    fn nan_and_blow_up_stop_the_integration() {
        let mut nan = |x: &[f64], o: &mut [f64]| o[0] = if x[0] > 1.0 { f64::NAN } else { 1.0 };
        let (_, s) = run(Method::Rk4 { dt: 0.1 }, &mut nan, &[0.0], 5.0);
        assert_eq!(s.stop, Stop::NonFinite);
        assert!(s.t > 0.8 && s.t < 1.1, "{}", s.t);
        let (_, s) = run(Method::Dopri { tol: 1e-6 }, &mut nan, &[0.0], 5.0);
        assert_eq!(s.stop, Stop::NonFinite);
        // Explicit RK4 on a stiff linear problem with too large a step: h·L = 10 > 2.78.
        let mut stiff = |x: &[f64], o: &mut [f64]| o[0] = -1000.0 * x[0];
        let (x, s) = run(Method::Rk4 { dt: 0.01 }, &mut stiff, &[1.0], 50.0);
        assert_eq!((s.stop, s.steps), (Stop::UnstableStep, 1));
        assert!(x[0].abs() > 1.0, "the one unstable step taken overshoots: {x:?}");
        // Within the stability interval it runs: h·L = 2.5.
        let (_, s) = run(Method::Rk4 { dt: 0.0025 }, &mut stiff, &[1.0], 0.1);
        assert_eq!(s.stop, Stop::Finished);
        // The adaptive method survives it, with many steps.
        let (x, s) = run(Method::Dopri { tol: 1e-6 }, &mut stiff, &[1.0], 1.0);
        assert_eq!(s.stop, Stop::Finished);
        assert!(x[0].abs() < 1e-5 && s.steps > 100, "{x:?} {s:?}");
        // A budget of steps is a stop reason too.
        let limits = Limits { max_steps: 10, ..Limits::default() };
        let s = integrate(&mut stiff, &[1.0], 1.0, Method::Dopri { tol: 1e-6 }, &limits, &mut |_, _| {});
        assert_eq!(s.stop, Stop::MaxSteps);
    }

    #[test]
    fn rk4_lands_on_the_end_time() {
        let mut f = |_: &[f64], o: &mut [f64]| o[0] = 1.0;
        let mut times = Vec::new();
        integrate(&mut f, &[0.0], 1.05, Method::Rk4 { dt: 0.1 }, &Limits::default(), &mut |t, _| {
            times.push(t)
        });
        assert_eq!(times.len(), 12);
        assert_eq!(times.last().copied(), Some(1.05));
    }
}
