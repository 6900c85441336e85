//! Lagrange functions `L(y)`, their gradients (the activations `g = ∇L`) and their
//! Hessians `Λ(y) = ∇²L(y)` (Section 2 of the source; Example 7 for the smooth leaky ReLU).
//!
//! Every transcendental function comes from `libm`, so the native build and the
//! WebAssembly build compute the same bits. The forms are the numerically stable ones
//! (softplus, log-sum-exp, log cosh through `log1p`), so finite inputs never give NaN;
//! only overflow at enormous inputs (|y| ≳ 1e154 for ReLU) gives non-finite values,
//! which the integrators detect.

use serde::Serialize;

/// `3/8`, the scale inside the error function of the smooth leaky ReLU.
const SLR_A: f64 = 0.375;
/// `1/√π`.
const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// The Lagrange functions of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lagrangian {
    /// `Σ ½ ReLU(y_i)²`, `g = ReLU`, `Λ = diag(H(y_i))` with `H(0) = 0` (Example 2).
    Relu,
    /// `Σ log(1 + e^{y_i})`, `g = σ`, `Λ = diag(σ(1 − σ))` (Example 3).
    Sigmoid,
    /// `log Σ e^{y_i}`, `g = softmax`, `Λ = diag(p) − p pᵀ` (Example 4).
    Softmax,
    /// `Σ log cosh y_i`, `g = tanh`, `Λ = diag(sech² y_i)`.
    Tanh,
    /// Smooth leaky ReLU of Example 7: `g(u) = u(5 + 3 erf(3u/8))/8`, `L = ∫₀^u g`.
    SmoothLeaky,
    /// `½‖y‖²`, `g = y`, `Λ = I` (no dead neurons: the control case).
    Identity,
}

impl Lagrangian {
    /// The URL names, in the order of the parameter table.
    pub const NAMES: &'static [&'static str] = &["relu", "sigmoid", "softmax", "tanh", "sleaky", "identity"];

    /// Every Lagrangian, in the order of [`Lagrangian::NAMES`].
    pub const ALL: [Self; 6] =
        [Self::Relu, Self::Sigmoid, Self::Softmax, Self::Tanh, Self::SmoothLeaky, Self::Identity];

    /// Parse a URL name (unknown names give ReLU; the parameter table only lets known ones through).
    pub fn from_name(name: &str) -> Self {
        match name {
            "sigmoid" => Self::Sigmoid,
            "softmax" => Self::Softmax,
            "tanh" => Self::Tanh,
            "sleaky" => Self::SmoothLeaky,
            "identity" => Self::Identity,
            _ => Self::Relu,
        }
    }

    /// The URL name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Relu => "relu",
            Self::Sigmoid => "sigmoid",
            Self::Softmax => "softmax",
            Self::Tanh => "tanh",
            Self::SmoothLeaky => "sleaky",
            Self::Identity => "identity",
        }
    }

    /// True when `Λ` is diagonal (every Lagrangian but softmax is a sum over neurons).
    pub fn is_separable(self) -> bool {
        self != Self::Softmax
    }

    /// `L(y)`.
    pub fn value(self, y: &[f64]) -> f64 {
        match self {
            Self::Softmax => log_sum_exp(y),
            _ => y.iter().map(|&v| self.value1(v)).sum(),
        }
    }

    /// The one-neuron Lagrangian of a separable `L` (softmax has none; it returns 0).
    pub fn value1(self, v: f64) -> f64 {
        match self {
            Self::Relu => {
                let r = v.max(0.0);
                0.5 * r * r
            }
            Self::Sigmoid => softplus(v),
            Self::Tanh => {
                let a = v.abs();
                a + libm::log1p(libm::exp(-2.0 * a)) - core::f64::consts::LN_2
            }
            Self::SmoothLeaky => {
                // ∫₀^u s(5 + 3 erf(a s))/8 ds with a = 3/8 (integrated by parts).
                let a = SLR_A;
                let e = libm::erf(a * v);
                5.0 * v * v / 16.0
                    + 0.375
                        * ((0.5 * v * v - 0.25 / (a * a)) * e
                            + v * libm::exp(-a * a * v * v) * FRAC_1_SQRT_PI / (2.0 * a))
            }
            Self::Identity => 0.5 * v * v,
            Self::Softmax => 0.0,
        }
    }

    /// `g_i = ∂L/∂y_i` of a separable `L`.
    pub fn act1(self, v: f64) -> f64 {
        match self {
            Self::Relu => v.max(0.0),
            Self::Sigmoid => sigmoid(v),
            Self::Tanh => libm::tanh(v),
            Self::SmoothLeaky => v * (5.0 + 3.0 * libm::erf(SLR_A * v)) / 8.0,
            Self::Identity => v,
            Self::Softmax => 0.0,
        }
    }

    /// `Λ_ii = ∂²L/∂y_i²` of a separable `L`.
    pub fn hess1(self, v: f64) -> f64 {
        match self {
            Self::Relu => {
                if v > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Self::Sigmoid => {
                // σ(1 − σ) = e^{−|v|}/(1 + e^{−|v|})², accurate where σ is saturated.
                let e = libm::exp(-v.abs());
                e / ((1.0 + e) * (1.0 + e))
            }
            Self::Tanh => {
                // sech² v = 4e^{−2|v|}/(1 + e^{−2|v|})², accurate where tanh is saturated.
                let e = libm::exp(-2.0 * v.abs());
                4.0 * e / ((1.0 + e) * (1.0 + e))
            }
            Self::SmoothLeaky => {
                let a = SLR_A;
                (5.0 + 3.0 * libm::erf(a * v)) / 8.0
                    + 9.0 * v * libm::exp(-a * a * v * v) * FRAC_1_SQRT_PI / 32.0
            }
            Self::Identity => 1.0,
            Self::Softmax => 0.0,
        }
    }

    /// `Λ_ii` given the activation `g = g(v)` already computed: the smooth leaky ReLU reuses
    /// `(5 + 3 erf(3v/8))/8 = g/v` (one `erf` fewer per neuron); the others call [`Self::hess1`].
    pub fn hess1_with(self, v: f64, g: f64) -> f64 {
        match self {
            Self::SmoothLeaky if v != 0.0 => {
                let a = SLR_A;
                g / v + 9.0 * v * libm::exp(-a * a * v * v) * FRAC_1_SQRT_PI / 32.0
            }
            _ => self.hess1(v),
        }
    }

    /// `g(y)` into `out`.
    pub fn activation(self, y: &[f64], out: &mut [f64]) {
        match self {
            Self::Softmax => softmax(y, out),
            _ => {
                for (o, &v) in out.iter_mut().zip(y) {
                    *o = self.act1(v);
                }
            }
        }
    }

    /// `Λ(y) v` into `out`, given `g = g(y)` already computed (softmax uses it).
    pub fn hess_mul(self, y: &[f64], g: &[f64], v: &[f64], out: &mut [f64]) {
        match self {
            Self::Softmax => {
                let pv: f64 = g.iter().zip(v).map(|(p, x)| p * x).sum();
                for i in 0..out.len() {
                    out[i] = g[i] * (v[i] - pv);
                }
            }
            _ => {
                for i in 0..out.len() {
                    out[i] = self.hess1_with(y[i], g[i]) * v[i];
                }
            }
        }
    }

    /// The dense Hessian `Λ(y)` (row-major `n × n`), given `g = g(y)`.
    pub fn hessian(self, y: &[f64], g: &[f64]) -> Vec<f64> {
        let n = y.len();
        let mut h = vec![0.0; n * n];
        match self {
            Self::Softmax => {
                for i in 0..n {
                    for j in 0..n {
                        h[i * n + j] = if i == j { g[i] } else { 0.0 } - g[i] * g[j];
                    }
                }
            }
            _ => {
                for i in 0..n {
                    h[i * n + i] = self.hess1(y[i]);
                }
            }
        }
        h
    }
}

/// `log(1 + e^v)` without overflow or cancellation.
pub fn softplus(v: f64) -> f64 {
    v.max(0.0) + libm::log1p(libm::exp(-v.abs()))
}

/// The logistic function, stable for both signs.
pub fn sigmoid(v: f64) -> f64 {
    if v >= 0.0 {
        1.0 / (1.0 + libm::exp(-v))
    } else {
        let e = libm::exp(v);
        e / (1.0 + e)
    }
}

/// `log Σ e^{y_i}` shifted by the maximum.
pub fn log_sum_exp(y: &[f64]) -> f64 {
    let m = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + libm::log(y.iter().map(|&v| libm::exp(v - m)).sum::<f64>())
}

/// Softmax of `y` into `out`, shifted by the maximum.
pub fn softmax(y: &[f64], out: &mut [f64]) {
    let m = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for (o, &v) in out.iter_mut().zip(y) {
        *o = libm::exp(v - m);
        s += *o;
    }
    for o in out.iter_mut() {
        *o /= s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points away from the ReLU kink.
    const POINTS: [[f64; 3]; 4] = [[0.3, -1.2, 2.5], [-0.7, 0.9, -2.2], [1.9, 0.4, -0.35], [-3.1, -0.6, 4.2]];

    #[test]
    fn activation_is_the_gradient_of_the_lagrangian() {
        for lag in Lagrangian::ALL {
            for y in POINTS {
                let mut g = [0.0; 3];
                lag.activation(&y, &mut g);
                for i in 0..3 {
                    let h = 1e-6;
                    let (mut p, mut m) = (y, y);
                    p[i] += h;
                    m[i] -= h;
                    let fd = (lag.value(&p) - lag.value(&m)) / (2.0 * h);
                    assert!((fd - g[i]).abs() < 1e-7, "{lag:?} {y:?} i={i}: fd {fd} vs g {}", g[i]);
                }
            }
        }
    }

    #[test]
    fn hessian_is_the_jacobian_of_the_activation() {
        for lag in Lagrangian::ALL {
            for y in POINTS {
                let mut g = [0.0; 3];
                lag.activation(&y, &mut g);
                let hess = lag.hessian(&y, &g);
                for j in 0..3 {
                    let h = 1e-6;
                    let (mut p, mut m) = (y, y);
                    p[j] += h;
                    m[j] -= h;
                    let (mut gp, mut gm) = ([0.0; 3], [0.0; 3]);
                    lag.activation(&p, &mut gp);
                    lag.activation(&m, &mut gm);
                    for i in 0..3 {
                        let fd = (gp[i] - gm[i]) / (2.0 * h);
                        assert!((fd - hess[i * 3 + j]).abs() < 1e-7, "{lag:?} {y:?} ({i},{j})");
                    }
                }
                // hess_mul agrees with the dense Hessian.
                let v = [0.5, -1.5, 2.0];
                let mut hv = [0.0; 3];
                lag.hess_mul(&y, &g, &v, &mut hv);
                for i in 0..3 {
                    let dense: f64 = (0..3).map(|j| hess[i * 3 + j] * v[j]).sum();
                    assert!((dense - hv[i]).abs() < 1e-14);
                }
            }
        }
    }

    #[test]
    fn extreme_inputs_stay_finite() {
        for lag in Lagrangian::ALL {
            for y in [[700.0, -700.0, 0.0], [-1e6, 1e6, 3.0], [1e100, -1e100, 0.0]] {
                let mut g = [0.0; 3];
                lag.activation(&y, &mut g);
                assert!(g.iter().all(|v| v.is_finite()), "{lag:?} {y:?} {g:?}");
                let hess = lag.hessian(&y, &g);
                assert!(hess.iter().all(|v| v.is_finite()), "{lag:?} {y:?}");
                if lag != Lagrangian::Relu && lag != Lagrangian::Identity {
                    assert!(lag.value(&y).is_finite(), "{lag:?} {y:?}");
                }
            }
        }
    }

    #[test]
    fn smooth_leaky_relu_derivative_stays_positive() {
        // The bounds quoted in the lab's text: g′ ∈ (0.15, 1.10).
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for k in -4000..=4000 {
            let d = Lagrangian::SmoothLeaky.hess1(k as f64 * 0.005);
            lo = lo.min(d);
            hi = hi.max(d);
        }
        assert!(lo > 0.15 && lo < 0.16 && hi > 1.09 && hi < 1.10, "{lo} {hi}");
    }
}
