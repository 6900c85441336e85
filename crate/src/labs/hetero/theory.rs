//! The established limit law of `J = Y Xᵀ` with correlated keys and values, and what this
//! lab derives from it (marginals, the stability condition and where it switches).
//!
//! Ensemble (SPEC Lab 4): `X, Y ∈ R^{N×P}`, entry pairs `(X_iμ, Y_iμ)` i.i.d. with variance
//! `1/N` and correlation `τ`, load `α = P/N`. Established (Akemann, Byun & Kang,
//! arXiv:2004.07626, complex case; the real case matches in simulation, see the tests): as
//! `N → ∞` the eigenvalues of `J` fill the ellipse centred at `τ(1+α)` with real semi-axis
//! `√α(1+τ²)` and imaginary semi-axis `√α(1−τ²)`, with density
//! `ρ(z) = 1 / (π(1−τ²) √(4|z|² + (1−τ²)²(α−1)²))` inside (total mass `min(α,1)`), plus a
//! point mass `1−α` at 0 when `α < 1`. `τ = ±1` is ±Marchenko–Pastur on
//! `[(1−√α)², (1+√α)²]`.
//!
//! Derived here (not in the source): the real-axis marginal (the density integrated over the
//! imaginary direction in closed form), the radial marginal (the density times the length of
//! the circle `|z| = r` inside the ellipse), and the stability statements that follow from
//! the right edge. The scaling `J/√α` multiplies every eigenvalue by `s = 1/√α`.

use serde::Serialize;
use std::f64::consts::PI;

/// `1 − τ²` below this counts as `|τ| = 1` (the Marchenko–Pastur line).
const LINE: f64 = 1e-12;

/// The limit law for load `alpha`, correlation `tau` and eigenvalue scale `scale`
/// (1 for `J`, `1/√α` for `J/√α`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Law {
    pub alpha: f64,
    pub tau: f64,
    pub scale: f64,
}

/// The theory fields of the `spectrum` part.
#[derive(Debug, Clone, Serialize)]
pub struct TheoryOut {
    /// Centre of the ellipse, `s·τ(1+α)`.
    pub center: f64,
    /// Real semi-axis `s·√α(1+τ²)`.
    pub semi_real: f64,
    /// Imaginary semi-axis `s·√α(1−τ²)`.
    pub semi_imag: f64,
    /// Largest real part: the ellipse's right edge, or 0 when `α < 1` and the edge lies left
    /// of the point mass at 0.
    pub rightmost: f64,
    /// Fraction of eigenvalues at 0: `max(0, 1−α)`.
    pub zero_mass: f64,
    /// Mass of the ellipse: `min(α, 1)`.
    pub mass: f64,
    /// Mean eigenvalue `s·ατ` (`tr J / N` in expectation).
    pub mean: f64,
    /// The ellipse's left edge.
    pub left: f64,
}

impl Law {
    /// The law of `J` (`scaling = false`) or of `J/√α` (`scaling = true`).
    pub fn new(alpha: f64, tau: f64, sqrt_alpha: bool) -> Self {
        let scale = if sqrt_alpha && alpha > 0.0 { 1.0 / alpha.sqrt() } else { 1.0 };
        Self { alpha, tau: tau.clamp(-1.0, 1.0), scale }
    }

    fn one_minus_tau2(&self) -> f64 {
        (1.0 - self.tau * self.tau).max(0.0)
    }

    /// Centre of the ellipse.
    pub fn center(&self) -> f64 {
        self.scale * self.tau * (1.0 + self.alpha)
    }

    /// Real semi-axis.
    pub fn semi_real(&self) -> f64 {
        self.scale * self.alpha.sqrt() * (1.0 + self.tau * self.tau)
    }

    /// Imaginary semi-axis.
    pub fn semi_imag(&self) -> f64 {
        self.scale * self.alpha.sqrt() * self.one_minus_tau2()
    }

    /// Mass of the continuous part, `min(α, 1)`.
    pub fn mass(&self) -> f64 {
        self.alpha.min(1.0)
    }

    /// The point mass at 0, `max(0, 1 − α)`.
    pub fn zero_mass(&self) -> f64 {
        (1.0 - self.alpha).max(0.0)
    }

    /// Mean eigenvalue `s·ατ`.
    pub fn mean(&self) -> f64 {
        self.scale * self.alpha * self.tau
    }

    /// The ellipse's right edge.
    pub fn right_edge(&self) -> f64 {
        self.center() + self.semi_real()
    }

    /// The ellipse's left edge.
    pub fn left_edge(&self) -> f64 {
        self.center() - self.semi_real()
    }

    /// The largest real part of the spectrum: the right edge, or 0 when `α < 1` and the
    /// point mass at 0 lies right of the ellipse.
    pub fn rightmost(&self) -> f64 {
        let edge = self.right_edge();
        if self.alpha < 1.0 { edge.max(0.0) } else { edge }
    }

    /// Whether `x + iy` lies inside the (closed) ellipse.
    pub fn inside(&self, x: f64, y: f64) -> bool {
        let (a, b) = (self.semi_real(), self.semi_imag());
        if a <= 0.0 {
            return false;
        }
        let u = (x - self.center()) / a;
        if b <= 0.0 {
            return y == 0.0 && u.abs() <= 1.0;
        }
        u * u + (y / b) * (y / b) <= 1.0
    }

    /// Unscaled `K = (1−τ²)|α−1|`, the density's constant.
    fn k(&self) -> f64 {
        self.one_minus_tau2() * (self.alpha - 1.0).abs()
    }

    /// The density `ρ(z)` of the continuous part at `z = x + iy` (0 outside the ellipse;
    /// 0 for `|τ| = 1`, where the law lives on the real line: see [`Law::real_marginal`]).
    pub fn density(&self, x: f64, y: f64) -> f64 {
        let t = self.one_minus_tau2();
        if t < LINE || !self.inside(x, y) {
            return 0.0;
        }
        let s = self.scale;
        let (x, y) = (x / s, y / s);
        let r2 = x * x + y * y;
        let k = self.k();
        1.0 / (PI * t * (4.0 * r2 + k * k).sqrt()) / (s * s)
    }

    /// The Marchenko–Pastur edges `(1∓√α)²` of the unscaled `τ = 1` law.
    pub fn mp_edges(alpha: f64) -> (f64, f64) {
        let r = alpha.sqrt();
        ((1.0 - r).powi(2), (1.0 + r).powi(2))
    }

    /// Density of the real parts of the continuous part (integrates to `min(α, 1)`):
    /// `asinh(2Y(x)/√(4x²+K²)) / (π(1−τ²))` with `Y(x)` the ellipse's half-height at `x`
    /// (derived here by integrating ρ over y); Marchenko–Pastur `√((x−λ₋)(λ₊−x))/(2πx)`
    /// for `τ = 1` (mirrored for `τ = −1`). Infinite only at `x = 0` when `α = 1`.
    pub fn real_marginal(&self, x: f64) -> f64 {
        let s = self.scale;
        let x = x / s;
        let t = self.one_minus_tau2();
        if t < LINE {
            let x = if self.tau < 0.0 { -x } else { x };
            let (lo, hi) = Self::mp_edges(self.alpha);
            if x <= lo || x >= hi || x <= 0.0 {
                return 0.0;
            }
            return ((x - lo) * (hi - x)).sqrt() / (2.0 * PI * x) / s;
        }
        let (c, a, b) = (self.tau * (1.0 + self.alpha), self.alpha.sqrt() * (1.0 + self.tau * self.tau), {
            self.alpha.sqrt() * t
        });
        let u = (x - c) / a;
        if u.abs() >= 1.0 {
            return 0.0;
        }
        let half = b * (1.0 - u * u).sqrt();
        let k = self.k();
        let d = (4.0 * x * x + k * k).sqrt();
        if d == 0.0 {
            return f64::INFINITY;
        }
        (2.0 * half / d).asinh() / (PI * t) / s
    }

    /// Angle (in `[0, 2π]`) of the circle `|z| = r` that lies inside the ellipse.
    pub fn arc_inside(&self, r: f64) -> f64 {
        let (c, a, b) = (self.center(), self.semi_real(), self.semi_imag());
        if r <= 0.0 || a <= 0.0 || b <= 0.0 {
            return 0.0;
        }
        // z = r e^{iθ}, u = cos θ: q(u) = A u² + B u + C ≤ 0 inside.
        let qa = r * r * (1.0 / (a * a) - 1.0 / (b * b));
        let qb = -2.0 * r * c / (a * a);
        let qc = c * c / (a * a) + r * r / (b * b) - 1.0;
        // The set of u ∈ [−1, 1] with q(u) ≤ 0, as intervals.
        let mut intervals: Vec<(f64, f64)> = Vec::new();
        if qa.abs() <= 1e-12 * (qb.abs() + qc.abs() + 1.0) {
            // A circle centred on the real axis (τ = 0): linear in u.
            if qb == 0.0 {
                if qc <= 0.0 {
                    intervals.push((-1.0, 1.0));
                }
            } else {
                let root = -qc / qb;
                if qb > 0.0 {
                    intervals.push((-1.0, root.min(1.0)));
                } else {
                    intervals.push((root.max(-1.0), 1.0));
                }
            }
        } else {
            // qa < 0 (a ≥ b): q ≤ 0 outside the roots.
            let disc = qb * qb - 4.0 * qa * qc;
            if disc <= 0.0 {
                intervals.push((-1.0, 1.0));
            } else {
                let sq = disc.sqrt();
                let (r1, r2) = ((-qb + sq) / (2.0 * qa), (-qb - sq) / (2.0 * qa));
                let (lo, hi) = (r1.min(r2), r1.max(r2));
                intervals.push((-1.0, lo.min(1.0)));
                intervals.push((hi.max(-1.0), 1.0));
            }
        }
        let mut angle = 0.0;
        for (l, h) in intervals {
            if h > l {
                angle += l.clamp(-1.0, 1.0).acos() - h.clamp(-1.0, 1.0).acos();
            }
        }
        2.0 * angle
    }

    /// Density of the moduli `|λ|` of the continuous part (integrates to `min(α, 1)`):
    /// `r · ρ(r) · (angle of |z| = r inside the ellipse)`, derived here; for `|τ| = 1` the
    /// real marginal folded onto `r ≥ 0`.
    pub fn radial_marginal(&self, r: f64) -> f64 {
        if r <= 0.0 {
            return 0.0;
        }
        let t = self.one_minus_tau2();
        if t < LINE {
            return self.real_marginal(r) + self.real_marginal(-r);
        }
        let s = self.scale;
        let (ru, k) = (r / s, self.k());
        let rho = 1.0 / (PI * t * (4.0 * ru * ru + k * k).sqrt()) / (s * s);
        r * rho * self.arc_inside(r)
    }

    /// Largest modulus in the support (the point mass included).
    pub fn max_modulus(&self) -> f64 {
        self.center().abs() + self.semi_real()
    }

    /// The fields printed under `theory`.
    pub fn out(&self) -> TheoryOut {
        TheoryOut {
            center: self.center(),
            semi_real: self.semi_real(),
            semi_imag: self.semi_imag(),
            rightmost: self.rightmost(),
            zero_mass: self.zero_mass(),
            mass: self.mass(),
            mean: self.mean(),
            left: self.left_edge(),
        }
    }

    /// The ellipse's boundary as `points + 1` points (closed).
    pub fn boundary(&self, points: usize) -> (Vec<f64>, Vec<f64>) {
        let (c, a, b) = (self.center(), self.semi_real(), self.semi_imag());
        (0..=points)
            .map(|k| {
                let th = 2.0 * PI * k as f64 / points as f64;
                (c + a * th.cos(), b * th.sin())
            })
            .unzip()
    }
}

/// Cumulative mass of `f` on `[0, x]` by the trapezoid rule on `steps` intervals
/// (for radial CDFs; `f` must be finite on `(0, x]`).
pub fn integrate(f: impl Fn(f64) -> f64, lo: f64, hi: f64, steps: usize) -> f64 {
    let h = (hi - lo) / steps as f64;
    let mut sum = 0.0;
    for k in 0..=steps {
        let x = lo + h * k as f64;
        let v = f(x);
        let v = if v.is_finite() { v } else { 0.0 };
        sum += if k == 0 || k == steps { 0.5 * v } else { v };
    }
    sum * h
}

/// The rightmost eigenvalue the theory predicts at load `alpha` for correlation `tau`.
pub fn rightmost(alpha: f64, tau: f64, sqrt_alpha: bool) -> f64 {
    Law::new(alpha, tau, sqrt_alpha).rightmost()
}

/// Stability of `ẋ = −x + g J x` (and of the fixed point 0 of `ẋ = −x + J tanh(g x)`):
/// `g · max Re λ < 1`.
pub fn stable(g: f64, rightmost: f64) -> bool {
    g * rightmost < 1.0
}

/// The loads in `(0, alpha_max]` where the theory's stability switches, for gain `g`
/// (found on a fine grid and refined by bisection; the point mass counts for `α < 1`).
pub fn switches(tau: f64, g: f64, sqrt_alpha: bool, alpha_max: f64) -> Vec<f64> {
    let f = |a: f64| g * rightmost(a, tau, sqrt_alpha) - 1.0;
    let grid = 4000;
    let lo = alpha_max * 1e-4;
    let at = |k: usize| lo + (alpha_max - lo) * k as f64 / grid as f64;
    let mut out = Vec::new();
    let mut prev = f(at(0));
    for k in 1..=grid {
        let cur = f(at(k));
        if (prev < 0.0) != (cur < 0.0) {
            let (mut a, mut b) = (at(k - 1), at(k));
            for _ in 0..60 {
                let m = 0.5 * (a + b);
                if (f(m) < 0.0) == (prev < 0.0) {
                    a = m;
                } else {
                    b = m;
                }
            }
            out.push(0.5 * (a + b));
        }
        prev = cur;
    }
    out
}

/// Whether the theory is stable at `alpha` although it is unstable at some smaller load:
/// stability that comes back with more patterns (the non-monotonic regions of the map).
pub fn nonmonotonic_at(alpha: f64, tau: f64, g: f64, sqrt_alpha: bool, alpha_max: f64) -> bool {
    let here = stable(g, rightmost(alpha, tau, sqrt_alpha));
    let sw = switches(tau, g, sqrt_alpha, alpha_max);
    let below = sw.iter().filter(|&&a| a < alpha).count();
    // A stable load after any switch below it: re-entrant stability.
    here && below > 0
}

/// The product of two independent Ginibre matrices (`τ = 0`, `α = 1`): density
/// `1/(2π|z|)` on the unit disk.
pub fn product_ginibre_density(r: f64) -> f64 {
    if r > 0.0 && r <= 1.0 { 1.0 / (2.0 * PI * r) } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ∫∫ ρ over a fine grid of the ellipse's bounding box (an independent 2-D quadrature).
    fn mass_2d(law: &Law, m: usize) -> f64 {
        let (c, a, b) = (law.center(), law.semi_real(), law.semi_imag());
        let (hx, hy) = (2.0 * a / m as f64, 2.0 * b / m as f64);
        let mut sum = 0.0;
        for i in 0..m {
            for j in 0..m {
                let x = c - a + (i as f64 + 0.5) * hx;
                let y = -b + (j as f64 + 0.5) * hy;
                sum += law.density(x, y);
            }
        }
        sum * hx * hy
    }

    const CASES: &[(f64, f64, bool)] = &[
        (2.0, 0.5, false),
        (0.5, 0.5, false),
        (0.5, 0.0, false),
        (3.0, -0.5, false),
        (0.3, 0.8, false),
        (1.5, -0.3, true),
        (0.4, 0.6, true),
    ];

    #[test]
    fn density_has_mass_min_alpha_one() {
        for &(al, t, sq) in CASES {
            let law = Law::new(al, t, sq);
            let m = mass_2d(&law, 800);
            assert!((m - al.min(1.0)).abs() < 3e-3, "α={al} τ={t}: {m}");
        }
    }

    #[test]
    fn real_marginal_is_the_density_integrated_over_y() {
        for &(al, t, sq) in CASES {
            let law = Law::new(al, t, sq);
            let (c, a, b) = (law.center(), law.semi_real(), law.semi_imag());
            for u in [-0.8, -0.3, 0.1, 0.55, 0.9] {
                let x = c + u * a;
                let steps = 20_000;
                let h = 2.0 * b / steps as f64;
                let num: f64 = (0..steps).map(|k| law.density(x, -b + (k as f64 + 0.5) * h)).sum::<f64>() * h;
                let closed = law.real_marginal(x);
                assert!(
                    (num - closed).abs() < 1e-3 * closed.max(1.0),
                    "α={al} τ={t} x={x}: {num} vs {closed}"
                );
            }
            let total = integrate(|x| law.real_marginal(x), c - a, c + a, 200_000);
            assert!((total - al.min(1.0)).abs() < 5e-3, "α={al} τ={t}: real marginal mass {total}");
        }
    }

    #[test]
    fn radial_marginal_matches_angular_quadrature_and_has_the_mass() {
        for &(al, t, sq) in CASES {
            let law = Law::new(al, t, sq);
            let rmax = law.max_modulus();
            for f in [0.1, 0.35, 0.6, 0.85] {
                let r = f * rmax;
                let steps = 100_000;
                let num: f64 = (0..steps)
                    .map(|k| {
                        let th = 2.0 * PI * (k as f64 + 0.5) / steps as f64;
                        law.density(r * th.cos(), r * th.sin())
                    })
                    .sum::<f64>()
                    * 2.0
                    * PI
                    / steps as f64
                    * r;
                let closed = law.radial_marginal(r);
                assert!(
                    (num - closed).abs() < 2e-3 * closed.max(1.0),
                    "α={al} τ={t} r={r}: {num} vs {closed}"
                );
            }
            let total = integrate(|r| law.radial_marginal(r), 0.0, rmax, 100_000);
            assert!((total - al.min(1.0)).abs() < 3e-3, "α={al} τ={t}: radial mass {total}");
        }
    }

    #[test]
    fn tau_one_is_marchenko_pastur() {
        for al in [0.3, 1.0, 2.5] {
            let law = Law::new(al, 1.0, false);
            let (lo, hi) = Law::mp_edges(al);
            assert!((law.left_edge() - lo).abs() < 1e-12 && (law.right_edge() - hi).abs() < 1e-12);
            assert_eq!(law.semi_imag(), 0.0);
            let total = integrate(|x| law.real_marginal(x), lo, hi, 200_000);
            assert!((total - al.min(1.0)).abs() < 3e-3, "MP mass {total}");
            // The elliptic real marginal converges to MP as τ → 1.
            let near = Law::new(al, 0.9999, false);
            let x = 1.0 + al;
            assert!((near.real_marginal(x) - law.real_marginal(x)).abs() < 1e-3);
            // τ = −1 mirrors it.
            assert_eq!(Law::new(al, -1.0, false).real_marginal(-x), law.real_marginal(x));
        }
    }

    #[test]
    fn product_ginibre_has_uniform_moduli() {
        let law = Law::new(1.0, 0.0, false);
        assert_eq!((law.center(), law.semi_real(), law.semi_imag()), (0.0, 1.0, 1.0));
        for r in [0.05, 0.3, 0.77, 0.99] {
            assert!((law.radial_marginal(r) - 1.0).abs() < 1e-12);
            assert!((law.density(r, 0.0) - product_ginibre_density(r)).abs() < 1e-12);
        }
        assert_eq!(law.radial_marginal(1.01), 0.0);
    }

    #[test]
    fn spec_example_is_stable_unstable_stable() {
        // τ = −0.5, g = 4: switches at α = 1 and α = 2.25 (g·edge = 1 ⇔ s ∈ {1, 1.5}, s = √α).
        let sw = switches(-0.5, 4.0, false, 4.0);
        assert_eq!(sw.len(), 2, "{sw:?}");
        assert!((sw[0] - 1.0).abs() < 1e-6 && (sw[1] - 2.25).abs() < 1e-6, "{sw:?}");
        assert!(stable(4.0, rightmost(0.5, -0.5, false)));
        assert!(!stable(4.0, rightmost(1.5, -0.5, false)));
        assert!(stable(4.0, rightmost(3.0, -0.5, false)));
        assert!(nonmonotonic_at(3.0, -0.5, 4.0, false, 4.0));
        assert!(!nonmonotonic_at(0.5, -0.5, 4.0, false, 4.0));
        // τ > 0 raw: monotone.
        assert!(switches(0.5, 1.0, false, 4.0).len() <= 1);
    }

    #[test]
    fn sqrt_alpha_scaling_puts_the_smallest_right_edge_at_one() {
        for tau in [0.2, 0.5, 0.9] {
            let e = |a: f64| Law::new(a, tau, true).right_edge();
            for a in [0.3, 0.8, 0.95, 1.05, 1.5, 3.0] {
                assert!(e(a) > e(1.0), "τ={tau} α={a}");
            }
        }
        // Unstable → stable → unstable for τ = 0.5, g = 0.42.
        let sw = switches(0.5, 0.42, true, 4.0);
        assert_eq!(sw.len(), 2, "{sw:?}");
        assert!(sw[0] < 1.0 && sw[1] > 1.0);
    }

    #[test]
    fn rightmost_is_the_point_mass_when_the_ellipse_lies_left_of_zero() {
        // α < 1 with the whole ellipse left of 0: the zero eigenvalues are the rightmost.
        let law = Law::new(0.1, -0.5, false);
        assert!(law.right_edge() < -0.1, "{}", law.right_edge());
        assert_eq!(law.rightmost(), 0.0);
        // α ≥ 1 has no point mass: the rightmost eigenvalue can be negative.
        let law = Law::new(2.0, -0.9, false);
        assert!(law.right_edge() < 0.0);
        assert_eq!(law.rightmost(), law.right_edge());
    }
}
