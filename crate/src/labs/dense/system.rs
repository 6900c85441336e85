//! The dynamical systems and their energies, in any dimension N.
//!
//! State `x` is `y` for the Krotov–Hopfield system (1) and the modified system (9),
//! and `u` for the u-form (5), where the pre-activation is `y = W u + b`.
//!
//! | dynamics | right-hand side `F(x)` | source |
//! |---|---|---|
//! | `kh` | `f = W g(y) − y + b` | (1) |
//! | `mod` | `(I − WΛ) f` | (9) with R as printed |
//! | `mod_t` | `(I − ΛWᵀ) f` (= `−∇E3`: the gradient flow of (10)) | (9), transposed R |
//! | `u` | `R h`, `h = g(Wu + b) − u`, R ∈ {W, O (polar factor of W), I − WᵀΛ, I} | (5), Examples 5–7 |
//!
//! Energies: `kh` (2) and `e3` (10) on the y-form; `e1`, `e2`, `e3` of Proposition 5
//! (with S = I) on the u-form. Every gradient is analytic (tested against finite
//! differences) and valid for non-symmetric W (`W_s = (W + Wᵀ)/2` appears where the
//! paper, assuming symmetry, writes W).

use super::lagrangian::Lagrangian;
use serde::Serialize;

/// The R of the u-form (5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RChoice {
    /// `R = W` (Example 5.1; E2 is a Lyapunov function for symmetric W).
    W,
    /// `R = O`, `W = O P` the polar decomposition (Example 5.2; E2 for symmetric W).
    Polar,
    /// `R = I − Wᵀ Λ(Wu + b)` (Examples 6.1 and 7; E3 for any W).
    IWtL,
    /// `R = I` (no guarantee; the baseline for counter-examples).
    I,
}

impl RChoice {
    /// URL names in table order.
    pub const NAMES: &'static [&'static str] = &["w", "polar", "i_wtl", "i"];

    pub fn from_name(s: &str) -> Self {
        match s {
            "w" => Self::W,
            "polar" => Self::Polar,
            "i" => Self::I,
            _ => Self::IWtL,
        }
    }
}

/// Which system is integrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dynamics {
    /// (1): `ẏ = W g(y) − y + b`.
    Kh,
    /// (9) as printed: `ẏ = (I − WΛ(y)) (W g(y) − y + b)`.
    Mod,
    /// (9) with the transposed `R = I − Λ(y) Wᵀ`: the gradient flow of E3 (10).
    ModT,
    /// (5): `u̇ = R(u) (g(Wu + b) − u)`.
    U(RChoice),
}

impl Dynamics {
    /// URL names of the `dynamics` key in table order (`u` takes its R from the `r` key).
    pub const NAMES: &'static [&'static str] = &["kh", "mod", "mod_t", "u"];

    /// Every dynamics, each u-form R choice separately.
    pub const ALL: [Self; 7] = [
        Self::Kh,
        Self::Mod,
        Self::ModT,
        Self::U(RChoice::W),
        Self::U(RChoice::Polar),
        Self::U(RChoice::IWtL),
        Self::U(RChoice::I),
    ];

    pub fn from_names(dynamics: &str, r: &str) -> Self {
        match dynamics {
            "mod" => Self::Mod,
            "mod_t" => Self::ModT,
            "u" => Self::U(RChoice::from_name(r)),
            _ => Self::Kh,
        }
    }

    /// True for the u-form, whose state is `u` (pre-activation `Wu + b`).
    pub fn is_u(self) -> bool {
        matches!(self, Self::U(_))
    }

    /// A formula for the page and the JSON.
    pub fn formula(self) -> &'static str {
        match self {
            Self::Kh => "ẏ = W g(y) − y + b   (1)",
            Self::Mod => "ẏ = (I − WΛ(y)) (W g(y) − y + b)   (9), R as printed",
            Self::ModT => "ẏ = (I − Λ(y)Wᵀ) (W g(y) − y + b)   (9) with R transposed = −∇E3",
            Self::U(RChoice::W) => "u̇ = W (g(Wu + b) − u)   (5), R = W",
            Self::U(RChoice::Polar) => "u̇ = O (g(Wu + b) − u)   (5), R = O, W = OP",
            Self::U(RChoice::IWtL) => "u̇ = (I − WᵀΛ(Wu + b)) (g(Wu + b) − u)   (5), R = I − WᵀΛ",
            Self::U(RChoice::I) => "u̇ = g(Wu + b) − u   (5), R = I",
        }
    }
}

/// The energies of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Energy {
    /// (2): `(y − b)ᵀg − L(y) − ½ gᵀWg` (y-form).
    Kh,
    /// (10) on the y-form `½‖W g(y) − y + b‖²`; Proposition 5's `½‖u − g(Wu + b)‖²` on the u-form.
    E3,
    /// Proposition 5: `uᵀW g − L(Wu + b) − ½ gᵀWg` (u-form).
    E1,
    /// Proposition 5: `½ uᵀWu − L(Wu + b)` (u-form).
    E2,
}

impl Energy {
    /// URL names in table order.
    pub const NAMES: &'static [&'static str] = &["kh", "e3", "e1", "e2"];

    pub fn from_name(s: &str) -> Self {
        match s {
            "e3" => Self::E3,
            "e1" => Self::E1,
            "e2" => Self::E2,
            _ => Self::Kh,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Kh => "kh",
            Self::E3 => "e3",
            Self::E1 => "e1",
            Self::E2 => "e2",
        }
    }

    /// True when the energy is defined on the state space of `dynamics`.
    pub fn fits(self, dynamics: Dynamics) -> bool {
        match self {
            Self::E3 => true,
            Self::Kh => !dynamics.is_u(),
            Self::E1 | Self::E2 => dynamics.is_u(),
        }
    }

    /// The energies defined on the state space of `dynamics`.
    pub fn available(dynamics: Dynamics) -> &'static [Energy] {
        if dynamics.is_u() { &[Self::E1, Self::E2, Self::E3] } else { &[Self::Kh, Self::E3] }
    }

    /// A label for charts.
    pub fn label(self, dynamics: Dynamics) -> &'static str {
        match (self, dynamics.is_u()) {
            (Self::Kh, _) => "Krotov–Hopfield energy (2)",
            (Self::E3, false) => "E3 = ½‖Wg(y) − y + b‖²  (10)",
            (Self::E3, true) => "E3 = ½‖u − g(Wu + b)‖²  (Prop. 5)",
            (Self::E1, _) => "E1 (Prop. 5)",
            (Self::E2, _) => "E2 = ½uᵀWu − L(Wu + b)  (Prop. 5)",
        }
    }
}

/// Why a system could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SystemError {
    #[error("W must be {0}×{0} and b of length {0}")]
    Shape(usize),
    #[error("W or b is not finite")]
    NotFinite,
    #[error("the polar decomposition of W did not converge")]
    Polar,
}

/// A system `(W, b, L, dynamics)` in N dimensions. `W` is row-major `n × n`.
#[derive(Debug, Clone)]
pub struct System {
    pub n: usize,
    pub w: Vec<f64>,
    pub b: Vec<f64>,
    pub lag: Lagrangian,
    pub dynamics: Dynamics,
    /// `(W + Wᵀ)/2`.
    ws: Vec<f64>,
    /// The polar factor `O` of `W = O P` (only for `R = O`).
    polar: Vec<f64>,
}

/// Scratch buffers for evaluating a [`System`] without allocating.
#[derive(Debug, Clone)]
pub struct Work {
    y: Vec<f64>,
    g: Vec<f64>,
    r: Vec<f64>,
    t1: Vec<f64>,
    t2: Vec<f64>,
}

impl Work {
    pub fn new(n: usize) -> Self {
        Self { y: vec![0.0; n], g: vec![0.0; n], r: vec![0.0; n], t1: vec![0.0; n], t2: vec![0.0; n] }
    }
}

/// `out = M x` for row-major square `M`.
pub fn mat_vec(m: &[f64], x: &[f64], out: &mut [f64]) {
    let n = x.len();
    for (i, o) in out.iter_mut().enumerate() {
        *o = m[i * n..(i + 1) * n].iter().zip(x).map(|(a, b)| a * b).sum();
    }
}

/// `out = Mᵀ x` for row-major square `M`.
pub fn mat_t_vec(m: &[f64], x: &[f64], out: &mut [f64]) {
    let n = x.len();
    out.iter_mut().for_each(|o| *o = 0.0);
    for (i, &xi) in x.iter().enumerate() {
        for (o, a) in out.iter_mut().zip(&m[i * n..(i + 1) * n]) {
            *o += a * xi;
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The polar factor `O = U Vᵀ` of `W = U Σ Vᵀ` (row-major). For singular W the factor
/// is not unique; this is the one the SVD gives.
pub fn polar_factor(n: usize, w: &[f64]) -> Option<Vec<f64>> {
    let m = nalgebra::DMatrix::from_row_slice(n, n, w);
    let svd = nalgebra::SVD::try_new(m, true, true, 1e-14, 10_000)?;
    let (u, vt) = (svd.u?, svd.v_t?);
    let o = u * vt;
    Some((0..n * n).map(|k| o[(k / n, k % n)]).collect())
}

impl System {
    /// A validated system. Fails on shape mismatch, non-finite entries, or (for `R = O`)
    /// an SVD that does not converge.
    pub fn new(
        n: usize,
        w: Vec<f64>,
        b: Vec<f64>,
        lag: Lagrangian,
        dynamics: Dynamics,
    ) -> Result<Self, SystemError> {
        if w.len() != n * n || b.len() != n || n == 0 {
            return Err(SystemError::Shape(n));
        }
        if !w.iter().chain(&b).all(|v| v.is_finite()) {
            return Err(SystemError::NotFinite);
        }
        let ws = (0..n * n).map(|k| 0.5 * (w[k] + w[(k % n) * n + k / n])).collect();
        let polar = if dynamics == Dynamics::U(RChoice::Polar) {
            polar_factor(n, &w).ok_or(SystemError::Polar)?
        } else {
            Vec::new()
        };
        Ok(Self { n, w, b, lag, dynamics, ws, polar })
    }

    /// The polar factor `O` of `W = O P` (row-major) for `R = O`; empty for other dynamics.
    pub fn polar(&self) -> &[f64] {
        &self.polar
    }

    /// The same W, b and L with other dynamics.
    pub fn with_dynamics(&self, dynamics: Dynamics) -> Result<Self, SystemError> {
        Self::new(self.n, self.w.clone(), self.b.clone(), self.lag, dynamics)
    }

    /// The pre-activation `y` at state `x` into `work.y` (`x` itself on the y-form, `Wx + b` on the u-form),
    /// and `g(y)` into `work.g`.
    fn prepare(&self, x: &[f64], work: &mut Work) {
        if self.dynamics.is_u() {
            mat_vec(&self.w, x, &mut work.y);
            for (y, b) in work.y.iter_mut().zip(&self.b) {
                *y += b;
            }
        } else {
            work.y.copy_from_slice(x);
        }
        self.lag.activation(&work.y, &mut work.g);
    }

    /// The pre-activation at `x` (`y = x` or `Wx + b`).
    pub fn pre_activation(&self, x: &[f64]) -> Vec<f64> {
        let mut work = Work::new(self.n);
        self.prepare(x, &mut work);
        work.y
    }

    /// Residual into `work.r` after `prepare`: `f = W g − y + b` (y-form), `h = g − u` (u-form).
    fn residual_prepared(&self, x: &[f64], work: &mut Work) {
        if self.dynamics.is_u() {
            for i in 0..self.n {
                work.r[i] = work.g[i] - x[i];
            }
        } else {
            mat_vec(&self.w, &work.g, &mut work.r);
            for i in 0..self.n {
                work.r[i] += self.b[i] - x[i];
            }
        }
    }

    /// The residual whose zeros are the steady states: `f(y) = W g(y) − y + b` on the
    /// y-form, `h(u) = g(Wu + b) − u` on the u-form.
    pub fn residual(&self, x: &[f64], out: &mut [f64], work: &mut Work) {
        self.prepare(x, work);
        self.residual_prepared(x, work);
        out.copy_from_slice(&work.r);
    }

    /// The right-hand side `F(x)` of the chosen dynamics.
    pub fn rhs(&self, x: &[f64], out: &mut [f64], work: &mut Work) {
        self.prepare(x, work);
        self.residual_prepared(x, work);
        let n = self.n;
        match self.dynamics {
            Dynamics::Kh | Dynamics::U(RChoice::I) => out.copy_from_slice(&work.r),
            Dynamics::Mod => {
                // f − W (Λ f)
                self.lag.hess_mul(&work.y, &work.g, &work.r, &mut work.t1);
                mat_vec(&self.w, &work.t1, &mut work.t2);
                for i in 0..n {
                    out[i] = work.r[i] - work.t2[i];
                }
            }
            Dynamics::ModT => {
                // f − Λ (Wᵀ f)
                mat_t_vec(&self.w, &work.r, &mut work.t1);
                self.lag.hess_mul(&work.y, &work.g, &work.t1, &mut work.t2);
                for i in 0..n {
                    out[i] = work.r[i] - work.t2[i];
                }
            }
            Dynamics::U(RChoice::W) => mat_vec(&self.w, &work.r, out),
            Dynamics::U(RChoice::Polar) => mat_vec(&self.polar, &work.r, out),
            Dynamics::U(RChoice::IWtL) => {
                // h − Wᵀ (Λ h)
                self.lag.hess_mul(&work.y, &work.g, &work.r, &mut work.t1);
                mat_t_vec(&self.w, &work.t1, &mut work.t2);
                for i in 0..n {
                    out[i] = work.r[i] - work.t2[i];
                }
            }
        }
    }

    /// The energy `kind` at state `x` (NaN when `kind` does not fit the dynamics' state space).
    pub fn energy(&self, kind: Energy, x: &[f64], work: &mut Work) -> f64 {
        if !kind.fits(self.dynamics) {
            return f64::NAN;
        }
        self.prepare(x, work);
        match kind {
            Energy::Kh => {
                mat_vec(&self.w, &work.g, &mut work.t1);
                let mut e = -self.lag.value(&work.y) - 0.5 * dot(&work.g, &work.t1);
                for i in 0..self.n {
                    e += (x[i] - self.b[i]) * work.g[i];
                }
                e
            }
            Energy::E3 => {
                self.residual_prepared(x, work);
                0.5 * dot(&work.r, &work.r)
            }
            Energy::E1 => {
                mat_vec(&self.w, &work.g, &mut work.t1);
                dot(x, &work.t1) - self.lag.value(&work.y) - 0.5 * dot(&work.g, &work.t1)
            }
            Energy::E2 => {
                mat_vec(&self.w, x, &mut work.t1);
                0.5 * dot(x, &work.t1) - self.lag.value(&work.y)
            }
        }
    }

    /// `∇E(x)` into `out` (zeros when `kind` does not fit).
    pub fn energy_grad(&self, kind: Energy, x: &[f64], out: &mut [f64], work: &mut Work) {
        let n = self.n;
        if !kind.fits(self.dynamics) {
            out.iter_mut().for_each(|o| *o = 0.0);
            return;
        }
        self.prepare(x, work);
        match kind {
            Energy::Kh => {
                // Λ (y − b − W_s g)
                mat_vec(&self.ws, &work.g, &mut work.t1);
                for i in 0..n {
                    work.t1[i] = x[i] - self.b[i] - work.t1[i];
                }
                self.lag.hess_mul(&work.y, &work.g, &work.t1, out);
            }
            Energy::E3 => {
                self.residual_prepared(x, work);
                if self.dynamics.is_u() {
                    // d − WᵀΛd with d = u − g = −h
                    for i in 0..n {
                        work.t1[i] = -work.r[i];
                    }
                    self.lag.hess_mul(&work.y, &work.g, &work.t1, &mut work.t2);
                    mat_t_vec(&self.w, &work.t2, out);
                    for i in 0..n {
                        out[i] = work.t1[i] - out[i];
                    }
                } else {
                    // ΛWᵀf − f
                    mat_t_vec(&self.w, &work.r, &mut work.t1);
                    self.lag.hess_mul(&work.y, &work.g, &work.t1, out);
                    for i in 0..n {
                        out[i] -= work.r[i];
                    }
                }
            }
            Energy::E1 => {
                // W g − Wᵀ g + WᵀΛ(Wᵀu − W_s g)
                mat_t_vec(&self.w, x, &mut work.t1);
                mat_vec(&self.ws, &work.g, &mut work.t2);
                for i in 0..n {
                    work.t1[i] -= work.t2[i];
                }
                self.lag.hess_mul(&work.y, &work.g, &work.t1, &mut work.t2);
                mat_t_vec(&self.w, &work.t2, out);
                mat_vec(&self.w, &work.g, &mut work.t1);
                mat_t_vec(&self.w, &work.g, &mut work.t2);
                for i in 0..n {
                    out[i] += work.t1[i] - work.t2[i];
                }
            }
            Energy::E2 => {
                // W_s u − Wᵀ g
                mat_vec(&self.ws, x, out);
                mat_t_vec(&self.w, &work.g, &mut work.t1);
                for i in 0..n {
                    out[i] -= work.t1[i];
                }
            }
        }
    }

    /// `Ė = ∇E · F` at `x`: the instantaneous rate of change of energy `kind` along the flow.
    pub fn energy_rate(&self, kind: Energy, x: &[f64], work: &mut Work) -> f64 {
        let mut grad = vec![0.0; self.n];
        let mut f = vec![0.0; self.n];
        self.energy_grad(kind, x, &mut grad, work);
        self.rhs(x, &mut f, work);
        dot(&grad, &f)
    }

    /// The Jacobian of the residual at `x` (row-major): `WΛ − I` (y-form) or `ΛW − I` (u-form).
    /// At a steady state the Jacobian of `F` is `R` times this (the `∂R` term multiplies the zero residual).
    pub fn residual_jacobian(&self, x: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut work = Work::new(n);
        self.prepare(x, &mut work);
        let lam = self.lag.hessian(&work.y, &work.g);
        let mut j = vec![0.0; n * n];
        for i in 0..n {
            for k in 0..n {
                let mut s = 0.0;
                for m in 0..n {
                    s += if self.dynamics.is_u() {
                        lam[i * n + m] * self.w[m * n + k]
                    } else {
                        self.w[i * n + m] * lam[m * n + k]
                    };
                }
                j[i * n + k] = s - if i == k { 1.0 } else { 0.0 };
            }
        }
        j
    }

    /// The matrix `R(x)` of the dynamics (row-major): `F(x) = R(x) · residual(x)`.
    pub fn r_matrix(&self, x: &[f64]) -> Vec<f64> {
        let n = self.n;
        let lam = self.hessian_at(x);
        let eye = |i: usize, j: usize| if i == j { 1.0 } else { 0.0 };
        let prod = |a: &dyn Fn(usize, usize) -> f64, b: &dyn Fn(usize, usize) -> f64| -> Vec<f64> {
            (0..n * n).map(|k| (0..n).map(|m| a(k / n, m) * b(m, k % n)).sum()).collect()
        };
        let w = |i: usize, j: usize| self.w[i * n + j];
        let wt = |i: usize, j: usize| self.w[j * n + i];
        let l = |i: usize, j: usize| lam[i * n + j];
        let minus_from_identity = |m: Vec<f64>| (0..n * n).map(|k| eye(k / n, k % n) - m[k]).collect();
        match self.dynamics {
            Dynamics::Kh | Dynamics::U(RChoice::I) => (0..n * n).map(|k| eye(k / n, k % n)).collect(),
            Dynamics::Mod => minus_from_identity(prod(&w, &l)),
            Dynamics::ModT => minus_from_identity(prod(&l, &wt)),
            Dynamics::U(RChoice::W) => self.w.clone(),
            Dynamics::U(RChoice::Polar) => self.polar.clone(),
            Dynamics::U(RChoice::IWtL) => minus_from_identity(prod(&wt, &l)),
        }
    }

    /// `Λ` at the pre-activation of state `x` (row-major).
    pub fn hessian_at(&self, x: &[f64]) -> Vec<f64> {
        let mut work = Work::new(self.n);
        self.prepare(x, &mut work);
        self.lag.hessian(&work.y, &work.g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn systems() -> Vec<System> {
        let w_sym = vec![0.3, -1.1, 0.7, -1.1, 0.2, 0.5, 0.7, 0.5, -0.4];
        let w_gen = vec![0.3, -1.4, 0.7, 0.9, 0.2, 0.5, -0.6, 0.1, -0.4];
        let b = vec![0.4, -0.3, 0.8];
        let mut out = Vec::new();
        for lag in Lagrangian::ALL {
            for w in [&w_sym, &w_gen] {
                for dynamics in Dynamics::ALL {
                    out.push(System::new(3, w.clone(), b.clone(), lag, dynamics).expect("valid"));
                }
            }
        }
        out
    }

    #[test]
    fn energy_gradients_match_finite_differences() {
        let points = [[0.35, -0.8, 1.3], [-1.2, 0.45, 0.6], [1.7, 1.1, -0.9]];
        for s in systems() {
            let mut work = Work::new(3);
            for &kind in Energy::available(s.dynamics) {
                for x in points {
                    // Skip points next to a ReLU kink, where the gradient jumps.
                    let y = s.pre_activation(&x);
                    if s.lag == Lagrangian::Relu && y.iter().any(|v| v.abs() < 1e-3) {
                        continue;
                    }
                    let mut grad = [0.0; 3];
                    s.energy_grad(kind, &x, &mut grad, &mut work);
                    for i in 0..3 {
                        let h = 1e-6;
                        let (mut p, mut m) = (x, x);
                        p[i] += h;
                        m[i] -= h;
                        let fd = (s.energy(kind, &p, &mut work) - s.energy(kind, &m, &mut work)) / (2.0 * h);
                        assert!(
                            (fd - grad[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                            "{:?} {:?} {kind:?} x={x:?} i={i}: fd {fd} vs {}",
                            s.lag,
                            s.dynamics,
                            grad[i]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn residual_jacobian_matches_finite_differences() {
        for s in systems() {
            let x = [0.35, -0.8, 1.3];
            let j = s.residual_jacobian(&x);
            let mut work = Work::new(3);
            for k in 0..3 {
                let h = 1e-6;
                let (mut p, mut m) = (x, x);
                p[k] += h;
                m[k] -= h;
                let (mut fp, mut fm) = ([0.0; 3], [0.0; 3]);
                s.residual(&p, &mut fp, &mut work);
                s.residual(&m, &mut fm, &mut work);
                for i in 0..3 {
                    let fd = (fp[i] - fm[i]) / (2.0 * h);
                    assert!((fd - j[i * 3 + k]).abs() < 1e-6, "{:?} {:?}", s.lag, s.dynamics);
                }
            }
        }
    }

    /// Examples 2–4 and Proposition 1: along a dead direction the KH energy (2) does not
    /// change, while E3 (10) does.
    #[test]
    fn kh_energy_is_constant_along_dead_directions_and_e3_is_not() {
        let w = vec![0.3, -0.8, -0.8, 0.5];
        let b = vec![0.4, -0.2];
        let mut work = Work::new(2);
        // (Lagrangian, a point with a dead neuron, the dead direction, the admissible shifts)
        type Case = (Lagrangian, [f64; 2], [f64; 2], [f64; 4]);
        let cases: [Case; 3] = [
            // Example 2: ReLU, neuron 2 dead at y₂ ≤ 0; shift y₂ further down.
            (Lagrangian::Relu, [0.7, -0.3], [0.0, -1.0], [0.5, 1.0, 3.0, 10.0]),
            // Example 3: sigmoid saturated at y₂ = 40 (σ′ ≈ 4e-18); shift y₂ up.
            (Lagrangian::Sigmoid, [0.7, 40.0], [0.0, 1.0], [0.5, 1.0, 3.0, 10.0]),
            // Example 4: softmax, invariant along (1, 1) in both directions.
            (Lagrangian::Softmax, [0.7, -0.3], [1.0, 1.0], [-5.0, -1.0, 2.0, 7.0]),
        ];
        for (lag, y, v, shifts) in cases {
            let s = System::new(2, w.clone(), b.clone(), lag, Dynamics::Kh).expect("valid");
            let e0 = s.energy(Energy::Kh, &y, &mut work);
            let e3 = s.energy(Energy::E3, &y, &mut work);
            for c in shifts {
                let z = [y[0] + c * v[0], y[1] + c * v[1]];
                let e = s.energy(Energy::Kh, &z, &mut work);
                assert!((e - e0).abs() <= 1e-12 * (1.0 + e0.abs()), "{lag:?} shift {c}: {e} vs {e0}");
                let e3z = s.energy(Energy::E3, &z, &mut work);
                assert!((e3z - e3).abs() > 1e-3, "{lag:?} shift {c}: E3 should change ({e3z} vs {e3})");
            }
            // The dead direction is a null direction of Λ.
            let lam = s.hessian_at(&y);
            let lv = [lam[0] * v[0] + lam[1] * v[1], lam[2] * v[0] + lam[3] * v[1]];
            assert!(lv[0].abs() < 1e-15 && lv[1].abs() < 1e-15, "{lag:?}: Λv = {lv:?}");
        }
    }

    #[test]
    fn rhs_is_r_times_the_residual() {
        for s in systems() {
            let x = [0.35, -0.8, 1.3];
            let mut work = Work::new(3);
            let (mut f, mut r) = ([0.0; 3], [0.0; 3]);
            s.rhs(&x, &mut f, &mut work);
            s.residual(&x, &mut r, &mut work);
            let rm = s.r_matrix(&x);
            let mut rr = [0.0; 3];
            mat_vec(&rm, &r, &mut rr);
            for i in 0..3 {
                assert!((rr[i] - f[i]).abs() < 1e-12, "{:?} {:?}", s.lag, s.dynamics);
            }
        }
    }

    #[test]
    fn polar_factor_is_orthogonal_and_gives_a_psd_factor() {
        let w = [0.3, -1.1, 0.7, -1.1, 0.2, 0.5, 0.7, 0.5, -0.4];
        let o = polar_factor(3, &w).expect("svd");
        let om = nalgebra::DMatrix::from_row_slice(3, 3, &o);
        let wm = nalgebra::DMatrix::from_row_slice(3, 3, &w);
        let id = om.transpose() * &om;
        assert!((id - nalgebra::DMatrix::identity(3, 3)).norm() < 1e-12);
        let p = om.transpose() * wm;
        assert!((&p - p.transpose()).norm() < 1e-12, "P symmetric");
        let eig = nalgebra::SymmetricEigen::new(p);
        assert!(eig.eigenvalues.iter().all(|&l| l > -1e-12), "P ⪰ 0");
    }

    #[test]
    fn bad_systems_are_rejected() {
        let d = Dynamics::Kh;
        assert_eq!(
            System::new(2, vec![0.0; 3], vec![0.0; 2], Lagrangian::Relu, d).err(),
            Some(SystemError::Shape(2))
        );
        assert_eq!(
            System::new(1, vec![f64::NAN], vec![0.0], Lagrangian::Relu, d).err(),
            Some(SystemError::NotFinite)
        );
    }
}
