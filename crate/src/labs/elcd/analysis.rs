//! What is computed from a trained field: rollouts (RK4), the DTWD of Sec. 4.5.1, the
//! largest eigenvalue of sym(A) over a grid, the field on a grid, and the equilibria
//! inside the window.

// Index loops over small matrices read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use serde::Serialize;

/// A rollout: `x(t)` in data space and its distance to the equilibrium against the
/// bound `e^{−αt}‖x(0) − x*‖`. With the diffeomorphism the distance and bound are
/// measured in latent space (`‖z(t) − z*‖`), where ELCD's guarantee holds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rollout {
    /// `demo` (from a demonstration's start) or `random` (from a random start).
    pub kind: &'static str,
    /// Which demonstration or random start.
    pub index: usize,
    pub t: Vec<f64>,
    /// States in data space, one `[x₁, x₂]` per time.
    pub x: Vec<Vec<f64>>,
    /// Latent states `z(t) = φ(x(t))` (only with the diffeomorphism).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z: Option<Vec<Vec<f64>>>,
    pub distance: Vec<f64>,
    pub bound: Vec<f64>,
    /// Time at which the state left every reasonable range (‖x‖ > 10⁶ or not finite);
    /// the arrays end there.
    pub diverged_at: Option<f64>,
    /// `max_t distance/bound` (≤ 1 when the bound holds).
    pub max_ratio: f64,
    /// Whether it ends within 5% of the window's diagonal of x* (in data space).
    pub reached: bool,
}

/// How a field is rolled out: its right-hand side in the integration coordinates `u`,
/// the map back to data space, and the equilibrium in `u`.
pub struct Flow<'a> {
    pub rhs: &'a dyn Fn(&[f64]) -> Vec<f64>,
    /// Integration coordinates → data space (identity without a diffeomorphism).
    pub to_data: &'a dyn Fn(&[f64]) -> Vec<f64>,
    /// Data space → integration coordinates.
    pub from_data: &'a dyn Fn(&[f64]) -> Vec<f64>,
    pub u_star: Vec<f64>,
    /// Whether `u` is a latent space (report `z`).
    pub latent: bool,
    /// The rate of the reference bound.
    pub alpha: f64,
    /// Largest RK4 step.
    pub h_max: f64,
}

/// Roll `flow` out from `x0` (data space) and record at `times` (increasing, from 0).
/// RK4 with steps of at most `flow.h_max`, landing exactly on every recorded time.
pub fn rollout(flow: &Flow, x0: &[f64], times: &[f64], kind: &'static str, index: usize) -> Rollout {
    let mut u = (flow.from_data)(x0);
    let d = u.len();
    let dist = |u: &[f64]| u.iter().zip(&flow.u_star).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
    let d0 = dist(&u);
    let mut out = Rollout {
        kind,
        index,
        t: Vec::new(),
        x: Vec::new(),
        z: flow.latent.then(Vec::new),
        distance: Vec::new(),
        bound: Vec::new(),
        diverged_at: None,
        max_ratio: 0.0,
        reached: false,
    };
    let mut t = times.first().copied().unwrap_or(0.0);
    let mut tmp = vec![0.0; d];
    for &tk in times {
        let span = tk - t;
        if span > 0.0 {
            let steps = (span / flow.h_max).ceil().max(1.0) as usize;
            let h = span / steps as f64;
            for _ in 0..steps {
                let k1 = (flow.rhs)(&u);
                for i in 0..d {
                    tmp[i] = u[i] + 0.5 * h * k1[i];
                }
                let k2 = (flow.rhs)(&tmp);
                for i in 0..d {
                    tmp[i] = u[i] + 0.5 * h * k2[i];
                }
                let k3 = (flow.rhs)(&tmp);
                for i in 0..d {
                    tmp[i] = u[i] + h * k3[i];
                }
                let k4 = (flow.rhs)(&tmp);
                for i in 0..d {
                    u[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
                }
                if u.iter().any(|v| !v.is_finite() || v.abs() > 1e6) {
                    break;
                }
            }
            t = tk;
        }
        if u.iter().any(|v| !v.is_finite() || v.abs() > 1e6) {
            out.diverged_at = Some(tk);
            break;
        }
        let x = (flow.to_data)(&u);
        if x.iter().any(|v| !v.is_finite() || v.abs() > 1e6) {
            out.diverged_at = Some(tk);
            break;
        }
        let dk = dist(&u);
        let bk = libm::exp(-flow.alpha * tk) * d0;
        out.t.push(tk);
        out.x.push(x);
        if let Some(z) = &mut out.z {
            z.push(u.clone());
        }
        out.distance.push(dk);
        out.bound.push(bk);
        if bk > 0.0 {
            out.max_ratio = out.max_ratio.max(dk / bk);
        }
    }
    out
}

/// The normalized dynamic-time-warping distance of Sec. 4.5.1 (Euclidean `d`):
/// `(1/t₁) Σ_i min_j d(x_i, x̄_j) + (1/t₂) Σ_j min_i d(x̄_j, x_i)`. NaN if either is empty.
pub fn dtwd(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    let dist = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
    let side = |p: &[Vec<f64>], q: &[Vec<f64>]| {
        p.iter().map(|x| q.iter().map(|y| dist(x, y)).fold(f64::INFINITY, f64::min)).sum::<f64>()
            / p.len() as f64
    };
    side(a, b) + side(b, a)
}

/// The largest eigenvalue of the symmetric part `(M + Mᵀ)/2` of a `d × d` matrix.
pub fn sym_max_eig(m: &[f64], d: usize) -> f64 {
    if d == 2 {
        let (a, b, c) = (m[0], 0.5 * (m[1] + m[2]), m[3]);
        return 0.5 * (a + c) + (0.25 * (a - c) * (a - c) + b * b).sqrt();
    }
    let s = nalgebra::DMatrix::from_fn(d, d, |i, j| 0.5 * (m[i * d + j] + m[j * d + i]));
    nalgebra::SymmetricEigen::new(s).eigenvalues.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// Cell centres of an `n × n` grid over `window`, row 0 at the top (largest y), as
/// `(x, y)` pairs in row-major order.
pub fn grid_points(window: [f64; 4], n: usize) -> Vec<[f64; 2]> {
    let mut pts = Vec::with_capacity(n * n);
    for r in 0..n {
        let y = window[3] - (r as f64 + 0.5) / n as f64 * (window[3] - window[2]);
        for c in 0..n {
            let x = window[0] + (c as f64 + 0.5) / n as f64 * (window[1] - window[0]);
            pts.push([x, y]);
        }
    }
    pts
}

/// Equilibria of a planar field inside `window`: Newton's method (finite-difference
/// Jacobian, step halving) from the centres of a `seeds × seeds` grid; a point counts when
/// `‖f‖` falls below `1e-9` of the field's typical size; points closer than 1e-3 of the
/// window are merged. Sorted by x, then y.
pub fn equilibria(f: &dyn Fn(&[f64]) -> Vec<f64>, window: [f64; 4], seeds: usize) -> Vec<[f64; 2]> {
    let w = (window[1] - window[0]).max(window[3] - window[2]);
    let typical = grid_points(window, 6)
        .iter()
        .map(|p| {
            let v = f(p);
            libm::hypot(v[0], v[1])
        })
        .filter(|m| m.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-12);
    let norm = |v: &[f64]| libm::hypot(v[0], v[1]);
    let mut found: Vec<[f64; 2]> = Vec::new();
    for s in grid_points(window, seeds) {
        let mut x = s;
        let mut fx = f(&x);
        for _ in 0..60 {
            if norm(&fx).is_nan() || norm(&fx) <= 1e-9 * typical {
                break;
            }
            let hstep = 1e-6 * w;
            let mut j = [[0.0; 2]; 2];
            for k in 0..2 {
                let mut a = x;
                let mut b = x;
                a[k] += hstep;
                b[k] -= hstep;
                let (fa, fb) = (f(&a), f(&b));
                for i in 0..2 {
                    j[i][k] = (fa[i] - fb[i]) / (2.0 * hstep);
                }
            }
            let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
            if det.is_nan() || det.abs() <= 1e-300 {
                break;
            }
            let dx = [(j[1][1] * fx[0] - j[0][1] * fx[1]) / det, (-j[1][0] * fx[0] + j[0][0] * fx[1]) / det];
            let mut lam = 1.0;
            let mut improved = false;
            for _ in 0..20 {
                let y = [x[0] - lam * dx[0], x[1] - lam * dx[1]];
                let fy = f(&y);
                if norm(&fy) < norm(&fx) {
                    x = y;
                    fx = fy;
                    improved = true;
                    break;
                }
                lam *= 0.5;
            }
            if !improved {
                break;
            }
        }
        let inside = x[0] >= window[0] && x[0] <= window[1] && x[1] >= window[2] && x[1] <= window[3];
        if inside
            && norm(&fx) <= 1e-9 * typical
            && !found.iter().any(|q| libm::hypot(q[0] - x[0], q[1] - x[1]) < 1e-3 * w)
        {
            found.push(x);
        }
    }
    found.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtwd_is_zero_for_equal_curves_and_symmetric() {
        let a = vec![vec![0.0, 0.0], vec![1.0, 0.0], vec![2.0, 0.0]];
        let b = vec![vec![0.0, 1.0], vec![2.0, 1.0]];
        assert_eq!(dtwd(&a, &a), 0.0);
        assert_eq!(dtwd(&a, &b), dtwd(&b, &a));
        // a→b: distances 1, √2, 1; b→a: 1, 1.
        let want = (2.0 + 2f64.sqrt()) / 3.0 + 1.0;
        assert!((dtwd(&a, &b) - want).abs() < 1e-12);
        assert!(dtwd(&[], &b).is_nan());
    }

    #[test]
    fn sym_max_eig_matches_nalgebra() {
        let m = [0.3, -1.2, 2.0, -0.7];
        let s = nalgebra::Matrix2::new(0.3, 0.4, 0.4, -0.7);
        let want: f64 = s.symmetric_eigenvalues().max();
        assert!((sym_max_eig(&m, 2) - want).abs() < 1e-12);
        let m3 = [1.0, 2.0, 0.0, 0.0, -1.0, 0.5, 0.3, 0.0, 0.2];
        let lam = sym_max_eig(&m3, 3);
        assert!(lam.is_finite() && lam > 0.2);
    }

    #[test]
    fn rk4_rollout_of_a_linear_contraction_matches_the_exponential() {
        let rhs = |u: &[f64]| vec![-0.5 * u[0], -0.5 * u[1]];
        let id = |u: &[f64]| u.to_vec();
        let flow = Flow {
            rhs: &rhs,
            to_data: &id,
            from_data: &id,
            u_star: vec![0.0, 0.0],
            latent: false,
            alpha: 0.5,
            h_max: 0.05,
        };
        let times: Vec<f64> = (0..20).map(|k| k as f64 * 0.25).collect();
        let r = rollout(&flow, &[2.0, 0.0], &times, "demo", 0);
        for k in 0..20 {
            assert!((r.distance[k] - r.bound[k]).abs() < 1e-7, "{} {}", r.distance[k], r.bound[k]);
        }
        assert!((r.max_ratio - 1.0).abs() < 1e-6 && r.diverged_at.is_none());
        // A field that blows up stops the arrays where it leaves the range.
        let grow = |u: &[f64]| vec![u[0] * u[0], 0.0];
        let flow = Flow { rhs: &grow, ..flow };
        let r = rollout(&flow, &[1.0, 0.0], &[0.0, 0.5, 1.5, 3.0], "random", 1);
        assert_eq!(r.t, vec![0.0, 0.5]);
        assert_eq!(r.diverged_at, Some(1.5));
    }

    #[test]
    fn newton_finds_every_equilibrium_of_a_known_field() {
        // ẋ = x − x³, ẏ = −y: equilibria at x ∈ {−1, 0, 1}, y = 0.
        let f = |p: &[f64]| vec![p[0] - p[0].powi(3), -p[1]];
        let eq = equilibria(&f, [-2.0, 2.0, -1.0, 1.0], 8);
        assert_eq!(eq.len(), 3, "{eq:?}");
        for (e, want) in eq.iter().zip([-1.0, 0.0, 1.0]) {
            assert!((e[0] - want).abs() < 1e-6 && e[1].abs() < 1e-6);
        }
    }
}
