// The planar vector field F(x) of the dense lab (system.rs, lagrangian.rs) in f32, for the
// GPU particle kernel: compute/gpu/advect.wgsl integrates it (this file is appended to
// that one, which declares `fp`). particles.rs (`field_source`) puts two constants in
// front of it, so that each (dynamics, Lagrangian) compiles to straight-line code (a
// software adapter such as SwiftShader runs every case of a runtime switch):
//   DYNAMICS: 0 kh (1), 1 mod (9), 2 mod_t (9, R transposed),
//             u-form (5) with 3 R = W, 4 R = O, 5 R = I − WᵀΛ, 6 R = I
//   LAG:      0 ReLU, 1 sigmoid, 2 softmax, 3 tanh, 4 smooth leaky ReLU, 5 identity
// The parameters (particles.rs, `field_params`):
//   fp[0..4]  W row-major (w11, w12, w21, w22)
//   fp[4..6]  b
//   fp[6..10] the polar factor O of W, row-major (u-form with R = O; zeros otherwise)
// The forms are the numerically stable ones of lagrangian.rs (no overflow at large |y|).

const SLR_A: f32 = 0.375;
const FRAC_1_SQRT_PI: f32 = 0.5641895835;

// M v and Mᵀ v for M = (m11, m12, m21, m22) row-major.
fn mv(m: vec4<f32>, v: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(m.x * v.x + m.y * v.y, m.z * v.x + m.w * v.y);
}

fn mtv(m: vec4<f32>, v: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(m.x * v.x + m.z * v.y, m.y * v.x + m.w * v.y);
}

// erf by Abramowitz & Stegun 7.1.26: |error| ≤ 1.5e-7 in exact arithmetic; with f32
// rounding the tests measure ≤ 3e-7 against libm's erf (WGSL has no erf).
fn erf1(x: f32) -> f32 {
    let a = abs(x);
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
    let y = 1.0 - poly * exp(-a * a);
    return select(y, -y, x < 0.0);
}

fn sigmoid1(v: f32) -> f32 {
    if v >= 0.0 {
        return 1.0 / (1.0 + exp(-v));
    }
    let e = exp(v);
    return e / (1.0 + e);
}

// g(y) = ∇L(y).
fn act(y: vec2<f32>) -> vec2<f32> {
    switch LAG {
        case 0u: {
            return max(y, vec2<f32>(0.0));
        }
        case 1u: {
            return vec2<f32>(sigmoid1(y.x), sigmoid1(y.y));
        }
        case 2u: {
            let e = exp(y - max(y.x, y.y));
            return e / (e.x + e.y);
        }
        case 3u: {
            // tanh saturates to ±1 in f32 beyond 9; clamping keeps exp(2|y|) inside a
            // builtin tanh from overflowing to inf/inf.
            return tanh(clamp(y, vec2<f32>(-15.0), vec2<f32>(15.0)));
        }
        case 4u: {
            return y * (5.0 + 3.0 * vec2<f32>(erf1(SLR_A * y.x), erf1(SLR_A * y.y))) / 8.0;
        }
        default: {
            return y;
        }
    }
}

// Λ(y) v given g = g(y).
fn hess_mul(y: vec2<f32>, g: vec2<f32>, v: vec2<f32>) -> vec2<f32> {
    switch LAG {
        case 0u: {
            return select(vec2<f32>(0.0), vec2<f32>(1.0), y > vec2<f32>(0.0)) * v;
        }
        case 1u: {
            // σ(1 − σ) = e^{−|y|}/(1 + e^{−|y|})², accurate where σ saturates.
            let e = exp(-abs(y));
            return e / ((1.0 + e) * (1.0 + e)) * v;
        }
        case 2u: {
            return g * (v - dot(g, v));
        }
        case 3u: {
            // sech² y = 4e^{−2|y|}/(1 + e^{−2|y|})².
            let e = exp(-2.0 * abs(y));
            return 4.0 * e / ((1.0 + e) * (1.0 + e)) * v;
        }
        case 4u: {
            let z = SLR_A * y;
            let erfs = vec2<f32>(erf1(z.x), erf1(z.y));
            return ((5.0 + 3.0 * erfs) / 8.0 + 9.0 * y * exp(-z * z) * FRAC_1_SQRT_PI / 32.0) * v;
        }
        default: {
            return v;
        }
    }
}

fn field(x: vec2<f32>) -> vec2<f32> {
    let w = vec4<f32>(fp[0], fp[1], fp[2], fp[3]);
    let b = vec2<f32>(fp[4], fp[5]);
    if DYNAMICS <= 2u {
        // y-form: f = W g(y) − y + b.
        let g = act(x);
        let f = mv(w, g) + (b - x);
        if DYNAMICS == 0u {
            return f;
        }
        if DYNAMICS == 1u {
            return f - mv(w, hess_mul(x, g, f));
        }
        return f - hess_mul(x, g, mtv(w, f));
    }
    // u-form: h = g(Wu + b) − u.
    let y = mv(w, x) + b;
    let g = act(y);
    let h = g - x;
    switch DYNAMICS {
        case 3u: {
            return mv(w, h);
        }
        case 4u: {
            return mv(vec4<f32>(fp[6], fp[7], fp[8], fp[9]), h);
        }
        case 5u: {
            return h - mtv(w, hess_mul(y, g, h));
        }
        default: {
            return h;
        }
    }
}
