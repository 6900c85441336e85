//! Fixed points of a planar system, found numerically, with their stability.
//!
//! From every point of a lattice over the view (enlarged by 20% on each side), two
//! Levenberg–Marquardt searches: one for `f(x) = 0` (the steady states, analytic
//! Jacobian), one for `F(x) = R(x) f(x) = 0` (finite-difference Jacobian; also finds the
//! zeros of R that are not steady states). Converged points are merged when closer than
//! `1e-6·(1 + |x|)`.
//! At a steady state (`f(x) = 0`, the residual of the memory) the Jacobian is exact,
//! `J = R(x) · ∂f/∂x`; at a zero of `F` that is not a steady state (R singular: a
//! "false memory" of Example 5.1) it is a central finite difference. A point is
//! *stable* when every eigenvalue of J has real part below `−1e-7·max(1, |λ|max)`,
//! *unstable* when one is above `+1e-7·max(1, |λ|max)`, and *marginal* otherwise.

use super::system::{Energy, System, Work};
use serde::Serialize;

/// A complex number.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Complex {
    pub re: f64,
    pub im: f64,
}

/// Stability from the Jacobian's eigenvalues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stability {
    Stable,
    Unstable,
    Marginal,
}

/// Classify eigenvalues (see the module docs for the thresholds).
pub fn classify(eigs: &[Complex]) -> Stability {
    let big = eigs.iter().fold(1.0f64, |a, e| a.max(e.re.hypot(e.im)));
    let tol = 1e-7 * big;
    let max_re = eigs.iter().fold(f64::NEG_INFINITY, |a, e| a.max(e.re));
    if max_re < -tol {
        Stability::Stable
    } else if max_re > tol {
        Stability::Unstable
    } else {
        Stability::Marginal
    }
}

/// Eigenvalues of the 2 × 2 matrix `[[a, b], [c, d]]`, the larger real part first.
pub fn eig2(m: &[f64]) -> [Complex; 2] {
    let (a, b, c, d) = (m[0], m[1], m[2], m[3]);
    let half_tr = 0.5 * (a + d);
    let det = a * d - b * c;
    let disc = half_tr * half_tr - det;
    if disc >= 0.0 {
        let s = disc.sqrt();
        [Complex { re: half_tr + s, im: 0.0 }, Complex { re: half_tr - s, im: 0.0 }]
    } else {
        let s = (-disc).sqrt();
        [Complex { re: half_tr, im: s }, Complex { re: half_tr, im: -s }]
    }
}

/// Eigenvalues of the symmetric 2 × 2 matrix `[[a, b], [b, d]]`, ascending.
pub fn sym_eig2(a: f64, b: f64, d: f64) -> [f64; 2] {
    let m = 0.5 * (a + d);
    let r = (0.5 * (a - d)).hypot(b);
    [m - r, m + r]
}

/// A fixed point of the planar system.
#[derive(Debug, Clone, Serialize)]
pub struct FixedPoint {
    /// The state (y, or u for the u-form).
    pub x: [f64; 2],
    /// The pre-activation `y` (equal to `x` on the y-form, `Wu + b` on the u-form).
    pub y: [f64; 2],
    /// Eigenvalues of the Jacobian of F, the larger real part first.
    pub eigenvalues: [Complex; 2],
    pub stability: Stability,
    /// `‖f(x)‖`: zero at a steady state of the memory; non-zero where only R(x) vanishes.
    pub residual: f64,
    /// True when `x` is a steady state of the memory (`f(x) ≈ 0`), false for a zero of R only.
    pub steady: bool,
    /// Dead neurons at the point: `dim null Λ(y)` (eigenvalues of Λ below `dead_tol·max(1, λmax)`).
    pub dead: usize,
    /// The energies defined on the state space, at the point (name → value).
    pub energies: serde_json::Map<String, serde_json::Value>,
}

/// The result of a fixed-point search.
#[derive(Debug, Clone, Serialize)]
pub struct FixedPoints {
    pub points: Vec<FixedPoint>,
    /// True when more than [`MAX_POINTS`] distinct points were found (e.g. a continuum
    /// of fixed points): only the first are listed.
    pub truncated: bool,
    /// Searches started (two per lattice point), and how many converged.
    pub starts: usize,
    pub converged: usize,
}

/// At most this many fixed points are listed.
pub const MAX_POINTS: usize = 40;

fn norm_inf(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |a, x| a.max(x.abs()))
}

/// Central finite-difference Jacobian of F at x (2 × 2, row-major).
pub fn fd_jacobian(sys: &System, x: [f64; 2], work: &mut Work) -> [f64; 4] {
    let mut j = [0.0; 4];
    for k in 0..2 {
        let h = 1e-6 * x[k].abs().max(1.0);
        let (mut p, mut m) = (x, x);
        p[k] += h;
        m[k] -= h;
        let (mut fp, mut fm) = ([0.0; 2], [0.0; 2]);
        sys.rhs(&p, &mut fp, work);
        sys.rhs(&m, &mut fm, work);
        for i in 0..2 {
            j[i * 2 + k] = (fp[i] - fm[i]) / (2.0 * h);
        }
    }
    j
}

/// The number of eigenvalues of the symmetric 2 × 2 `Λ` below `tol · max(1, λmax)`.
pub fn dead_count2(lam: &[f64], tol: f64) -> usize {
    let [lo, hi] = sym_eig2(lam[0], 0.5 * (lam[1] + lam[2]), lam[3]);
    let t = tol * hi.max(1.0);
    usize::from(lo <= t) + usize::from(hi <= t)
}

/// Which map a search drives to zero.
#[derive(Clone, Copy)]
enum Target {
    /// The residual f (steady states), with its analytic Jacobian.
    Residual,
    /// The right-hand side F = R f, with a finite-difference Jacobian (also finds zeros of R).
    Flow,
}

fn eval(sys: &System, target: Target, x: [f64; 2], work: &mut Work) -> [f64; 2] {
    let mut o = [0.0; 2];
    match target {
        Target::Residual => sys.residual(&x, &mut o, work),
        Target::Flow => sys.rhs(&x, &mut o, work),
    }
    o
}

/// Levenberg–Marquardt on `target(x) = 0` (plain Newton steps when the Jacobian is well
/// conditioned; still converging onto a curve of zeros when it is singular, as for R = W
/// of rank one).
fn solve(sys: &System, target: Target, x0: [f64; 2], tol: f64, work: &mut Work) -> Option<[f64; 2]> {
    let mut x = x0;
    let mut f = eval(sys, target, x, work);
    let mut nf = norm_inf(&f);
    let done = |nf: f64, x: &[f64; 2]| nf <= tol * (1.0 + norm_inf(x));
    let mut mu_rel = 1e-12;
    for _ in 0..100 {
        if !nf.is_finite() {
            return None;
        }
        if done(nf, &x) {
            return Some(x);
        }
        let j: [f64; 4] = match target {
            Target::Residual => {
                let v = sys.residual_jacobian(&x);
                [v[0], v[1], v[2], v[3]]
            }
            Target::Flow => fd_jacobian(sys, x, work),
        };
        // Normal equations (JᵀJ + μI) dx = −Jᵀf.
        let a = [j[0] * j[0] + j[2] * j[2], j[0] * j[1] + j[2] * j[3], j[1] * j[1] + j[3] * j[3]];
        let g = [j[0] * f[0] + j[2] * f[1], j[1] * f[0] + j[3] * f[1]];
        let scale = (a[0] + a[2]).max(f64::MIN_POSITIVE);
        let mut accepted = false;
        for _ in 0..30 {
            let mu = mu_rel * scale;
            let (p, q, r) = (a[0] + mu, a[1], a[2] + mu);
            let det = p * r - q * q;
            if !(det.is_finite() && det > 0.0) {
                mu_rel *= 10.0;
                continue;
            }
            let dx = [-(r * g[0] - q * g[1]) / det, -(-q * g[0] + p * g[1]) / det];
            let xn = [x[0] + dx[0], x[1] + dx[1]];
            let fnew = eval(sys, target, xn, work);
            let nn = norm_inf(&fnew);
            if nn.is_finite() && nn < nf {
                x = xn;
                f = fnew;
                nf = nn;
                mu_rel = (mu_rel * 0.1).max(1e-15);
                accepted = true;
                break;
            }
            mu_rel *= 10.0;
        }
        if !accepted {
            break;
        }
    }
    done(nf, &x).then_some(x)
}

/// Describe the fixed point at `x`: Jacobian eigenvalues, stability, residual, dead neurons, energies.
pub fn describe(sys: &System, x: [f64; 2], dead_tol: f64, work: &mut Work) -> FixedPoint {
    let mut r = [0.0; 2];
    sys.residual(&x, &mut r, work);
    let residual = r[0].hypot(r[1]);
    let y = sys.pre_activation(&x);
    let scale = 1.0 + norm_inf(&x) + norm_inf(&sys.b) + norm_inf(&sys.w);
    let steady = residual <= 1e-8 * scale;
    let jac: Vec<f64> = if steady {
        let rm = sys.r_matrix(&x);
        let jf = sys.residual_jacobian(&x);
        (0..4).map(|k| (0..2).map(|m| rm[(k / 2) * 2 + m] * jf[m * 2 + k % 2]).sum()).collect()
    } else {
        fd_jacobian(sys, x, work).to_vec()
    };
    let eigenvalues = eig2(&jac);
    let mut energies = serde_json::Map::new();
    for &e in Energy::available(sys.dynamics) {
        energies.insert(e.name().into(), serde_json::json!(sys.energy(e, &x, work)));
    }
    FixedPoint {
        x,
        y: [y[0], y[1]],
        eigenvalues,
        stability: classify(&eigenvalues),
        residual,
        steady,
        dead: dead_count2(&sys.hessian_at(&x), dead_tol),
        energies,
    }
}

/// Find the fixed points of the planar `sys` around `extent = [x_min, x_max, y_min, y_max]`
/// from a `lattice × lattice` grid of Newton starts.
pub fn find(sys: &System, extent: [f64; 4], lattice: usize, dead_tol: f64) -> FixedPoints {
    let mut work = Work::new(2);
    let [x0, x1, y0, y1] = extent;
    let (mx, my) = (0.2 * (x1 - x0), 0.2 * (y1 - y0));
    let (bx0, bx1, by0, by1) = (x0 - mx, x1 + mx, y0 - my, y1 + my);
    let tol = 1e-12 * (1.0 + norm_inf(&sys.b) + norm_inf(&sys.w));
    let mut found: Vec<[f64; 2]> = Vec::new();
    let mut truncated = false;
    let mut converged = 0;
    let n = lattice.max(2);
    for j in 0..n {
        for i in 0..n {
            let start = [
                bx0 + (i as f64 + 0.5) / n as f64 * (bx1 - bx0),
                by0 + (j as f64 + 0.5) / n as f64 * (by1 - by0),
            ];
            // Steady states first (zeros of f), then any other zero of F = R f.
            for target in [Target::Residual, Target::Flow] {
                let Some(p) = solve(sys, target, start, tol, &mut work) else { continue };
                converged += 1;
                if !(bx0..=bx1).contains(&p[0]) || !(by0..=by1).contains(&p[1]) {
                    continue;
                }
                let near = |q: &[f64; 2]| (q[0] - p[0]).hypot(q[1] - p[1]) < 1e-6 * (1.0 + p[0].hypot(p[1]));
                if found.iter().any(near) {
                    continue;
                }
                if found.len() == MAX_POINTS {
                    truncated = true;
                    continue;
                }
                found.push(p);
            }
        }
    }
    // A stable order: by x, then y.
    found.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let points = found.into_iter().map(|p| describe(sys, p, dead_tol, &mut work)).collect();
    FixedPoints { points, truncated, starts: 2 * n * n, converged }
}

#[cfg(test)]
mod tests {
    use super::super::lagrangian::Lagrangian;
    use super::super::system::{Dynamics, RChoice};
    use super::*;

    fn figure1(d: Dynamics) -> System {
        System::new(2, vec![0.0, -2.0, -2.0, 0.0], vec![1.0, 1.0], Lagrangian::Relu, d).expect("valid")
    }

    #[test]
    fn relu_mutual_inhibition_has_two_memories_and_a_saddle() {
        let fp = find(&figure1(Dynamics::Kh), [-3.0, 3.0, -3.0, 3.0], 15, 1e-9);
        let xs: Vec<[f64; 2]> = fp.points.iter().map(|p| p.x).collect();
        assert_eq!(fp.points.len(), 3, "{xs:?}");
        let at = |x: f64, y: f64| {
            fp.points.iter().find(|p| (p.x[0] - x).abs() < 1e-9 && (p.x[1] - y).abs() < 1e-9).expect("found")
        };
        let (a, b, s) = (at(-1.0, 1.0), at(1.0, -1.0), at(1.0 / 3.0, 1.0 / 3.0));
        assert_eq!(
            (a.stability, b.stability, s.stability),
            (Stability::Stable, Stability::Stable, Stability::Unstable)
        );
        assert_eq!((a.dead, b.dead, s.dead), (1, 1, 0));
        // Saddle: eigenvalues of W − I are 1 and −3.
        assert!((s.eigenvalues[0].re - 1.0).abs() < 1e-12 && (s.eigenvalues[1].re + 3.0).abs() < 1e-12);
        assert!(a.steady && b.steady && s.steady);
    }

    #[test]
    fn the_modified_dynamics_keep_the_steady_states_but_not_their_stability() {
        // Same zeros; with R = I − WΛ (or its transpose) J = −R², so the saddle of (1) attracts.
        for d in [Dynamics::Mod, Dynamics::ModT] {
            let fp = find(&figure1(d), [-3.0, 3.0, -3.0, 3.0], 15, 1e-9);
            let steady: Vec<&FixedPoint> = fp.points.iter().filter(|p| p.steady).collect();
            assert_eq!(steady.len(), 3, "{d:?}");
            assert!(steady.iter().all(|p| p.stability == Stability::Stable), "{d:?}");
        }
    }

    #[test]
    fn u_form_fixed_points_map_to_the_y_form_ones() {
        // y* = W u* + b and u* = g(y*).
        let fp = find(&figure1(Dynamics::U(RChoice::IWtL)), [-3.0, 3.0, -3.0, 3.0], 15, 1e-9);
        let mut ys: Vec<[f64; 2]> = fp.points.iter().filter(|p| p.steady).map(|p| p.y).collect();
        ys.sort_by(|a, b| a[0].total_cmp(&b[0]));
        assert_eq!(ys.len(), 3, "{ys:?}");
        let expect = [[-1.0, 1.0], [1.0 / 3.0, 1.0 / 3.0], [1.0, -1.0]];
        for (y, e) in ys.iter().zip(expect) {
            assert!((y[0] - e[0]).abs() < 1e-9 && (y[1] - e[1]).abs() < 1e-9, "{y:?}");
        }
    }

    #[test]
    fn a_singular_w_gives_false_memories_marked_as_such() {
        // R = W of rank one: W h = 0 along h ∥ (1, −1), so F has zeros that are not steady states.
        let s = System::new(
            2,
            vec![1.0, 1.0, 1.0, 1.0],
            vec![0.2, -0.1],
            Lagrangian::Tanh,
            Dynamics::U(RChoice::W),
        )
        .expect("valid");
        let fp = find(&s, [-2.0, 2.0, -2.0, 2.0], 15, 1e-9);
        assert!(fp.points.iter().any(|p| !p.steady), "zeros of R are found");
        assert!(fp.points.iter().filter(|p| !p.steady).all(|p| p.residual > 1e-6));
        // The genuine steady states u* = g(Wu* + b) are among them, and marked steady; with R
        // singular their Jacobian R·∂h/∂u has a zero eigenvalue.
        let steady: Vec<&FixedPoint> = fp.points.iter().filter(|p| p.steady).collect();
        assert!(!steady.is_empty());
        assert!(steady.iter().all(|p| p.eigenvalues.iter().any(|e| e.re.abs() < 1e-9 && e.im == 0.0)));
    }

    #[test]
    fn eigenvalues_of_two_by_two_matrices() {
        let e = eig2(&[0.0, -1.0, 1.0, 0.0]);
        assert_eq!((e[0].re, e[0].im.abs()), (0.0, 1.0));
        assert_eq!(classify(&e), Stability::Marginal);
        let e = eig2(&[-1.0, 0.0, 0.0, -2.0]);
        assert_eq!((e[0].re, e[1].re), (-1.0, -2.0));
        assert_eq!(sym_eig2(2.0, 0.0, 1.0), [1.0, 2.0]);
        assert_eq!(dead_count2(&[1.0, 0.0, 0.0, 0.0], 1e-9), 1);
    }

    #[test]
    fn a_continuum_of_fixed_points_is_truncated() {
        // Identity Lagrangian with W = I: every point is fixed for b = 0.
        let s = System::new(2, vec![1.0, 0.0, 0.0, 1.0], vec![0.0, 0.0], Lagrangian::Identity, Dynamics::Kh)
            .expect("valid");
        let fp = find(&s, [-1.0, 1.0, -1.0, 1.0], 10, 1e-9);
        assert!(fp.truncated && fp.points.len() == MAX_POINTS);
        assert!(fp.points.iter().all(|p| p.stability == Stability::Marginal));
    }
}
