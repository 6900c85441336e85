//! Small tanh networks over a flat parameter vector, with hand-written backpropagation.
//!
//! Every network of the lab lives at an offset in one `Vec<f64>` of parameters, so one
//! Adam state covers the whole model and finite-difference checks can walk every entry.
//! [`Net2`] (input → tanh hidden → linear output) is the shape of P_s, P_a and the
//! coupling networks (SPEC Lab 7: "two layers, hidden width 16"); it also gives its input
//! Jacobian and backpropagates a loss that depends on that Jacobian (the coupling layers'
//! velocities need it). [`Net3`] (two tanh hidden layers) is the unconstrained baseline.
//!
//! All transcendental functions come from `libm`, so native and wasm agree to the bit.

/// `tanh` from one portable implementation.
#[inline]
pub fn tanh(x: f64) -> f64 {
    libm::tanh(x)
}

/// Xavier-uniform weights (bound `√(6 / (fan_in + fan_out))`) and biases 0.01, as the
/// reference implementation of ELCD initialises its linear layers.
fn xavier(p: &mut [f64], fan_in: usize, fan_out: usize, rng: &mut crate::rng::Rng) {
    let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
    for w in p {
        *w = a * (2.0 * crate::rng::uniform(rng) - 1.0);
    }
}

/// A two-layer network `o = W₂ tanh(W₁ x + b₁) + b₂` stored at `off` in a flat parameter
/// vector as W₁ (`hid × inp`, row-major), b₁ (`hid`), W₂ (`out × hid`), b₂ (`out`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net2 {
    pub inp: usize,
    pub hid: usize,
    pub out: usize,
    pub off: usize,
}

impl Net2 {
    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.hid * self.inp + self.hid + self.out * self.hid + self.out
    }

    /// Never true for a network with a hidden layer.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn w1(&self) -> usize {
        self.off
    }
    fn b1(&self) -> usize {
        self.off + self.hid * self.inp
    }
    fn w2(&self) -> usize {
        self.b1() + self.hid
    }
    fn b2(&self) -> usize {
        self.w2() + self.out * self.hid
    }

    /// Xavier-uniform weights and biases 0.01; with `zero_out`, the output layer starts at
    /// zero (a coupling layer then starts as the identity map).
    pub fn init(&self, p: &mut [f64], rng: &mut crate::rng::Rng, zero_out: bool) {
        let (w1, b1, w2, b2) = (self.w1(), self.b1(), self.w2(), self.b2());
        xavier(&mut p[w1..b1], self.inp, self.hid, rng);
        p[b1..w2].fill(0.01);
        if zero_out {
            p[w2..b2 + self.out].fill(0.0);
        } else {
            xavier(&mut p[w2..b2], self.hid, self.out, rng);
            p[b2..b2 + self.out].fill(0.01);
        }
    }

    /// Forward pass: the hidden activations `h = tanh(W₁x + b₁)` and the output `o`.
    pub fn forward(&self, p: &[f64], x: &[f64], h: &mut [f64], o: &mut [f64]) {
        let (inp, hid, out) = (self.inp, self.hid, self.out);
        let w1 = &p[self.w1()..self.b1()];
        let b1 = &p[self.b1()..self.w2()];
        for j in 0..hid {
            let row = &w1[j * inp..(j + 1) * inp];
            let mut a = b1[j];
            for k in 0..inp {
                a += row[k] * x[k];
            }
            h[j] = tanh(a);
        }
        let w2 = &p[self.w2()..self.b2()];
        let b2 = &p[self.b2()..self.b2() + out];
        for o_i in 0..out {
            let row = &w2[o_i * hid..(o_i + 1) * hid];
            let mut a = b2[o_i];
            for j in 0..hid {
                a += row[j] * h[j];
            }
            o[o_i] = a;
        }
    }

    /// The input Jacobian `∂o/∂x = W₂ diag(1 − h²) W₁` (`out × inp`, row-major) at the
    /// hidden activations `h` of a forward pass.
    pub fn jacobian(&self, p: &[f64], h: &[f64], jac: &mut [f64]) {
        let (inp, hid, out) = (self.inp, self.hid, self.out);
        let w1 = &p[self.w1()..self.b1()];
        let w2 = &p[self.w2()..self.b2()];
        jac[..out * inp].fill(0.0);
        for j in 0..hid {
            let s = 1.0 - h[j] * h[j];
            for o_i in 0..out {
                let c = w2[o_i * hid + j] * s;
                if c != 0.0 {
                    for k in 0..inp {
                        jac[o_i * inp + k] += c * w1[j * inp + k];
                    }
                }
            }
        }
    }

    /// Backpropagation. `go` is `∂L/∂o`; `gd`, when given, is `∂L/∂(∂o/∂x)` (`out × inp`)
    /// for a loss that also depends on the input Jacobian. Adds `∂L/∂θ` into `grad` (same
    /// layout as the parameters) and `∂L/∂x` into `gx`. `tmp` needs `hid · (inp + 2)` entries.
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        p: &[f64],
        x: &[f64],
        h: &[f64],
        go: &[f64],
        gd: Option<&[f64]>,
        grad: &mut [f64],
        gx: &mut [f64],
        tmp: &mut [f64],
    ) {
        let (inp, hid, out) = (self.inp, self.hid, self.out);
        let (ow1, ob1, ow2, ob2) = (self.w1(), self.b1(), self.w2(), self.b2());
        let (gpre, rest) = tmp.split_at_mut(hid);
        let (gs, m) = rest.split_at_mut(hid);
        // ∂L/∂h from the output, and the output layer's parameters.
        for j in 0..hid {
            gpre[j] = 0.0;
            gs[j] = 0.0;
        }
        for o_i in 0..out {
            let g = go[o_i];
            grad[ob2 + o_i] += g;
            if g != 0.0 {
                for j in 0..hid {
                    grad[ow2 + o_i * hid + j] += g * h[j];
                    gpre[j] += p[ow2 + o_i * hid + j] * g;
                }
            }
        }
        if let Some(gd) = gd {
            // Jac = W₂ diag(σ') W₁ with σ' = 1 − h²; M = W₂ᵀ gd (hid × inp).
            for j in 0..hid {
                for k in 0..inp {
                    let mut acc = 0.0;
                    for o_i in 0..out {
                        acc += p[ow2 + o_i * hid + j] * gd[o_i * inp + k];
                    }
                    m[j * inp + k] = acc;
                }
            }
            for j in 0..hid {
                let sp = 1.0 - h[j] * h[j];
                let mut acc = 0.0;
                for k in 0..inp {
                    let w = p[ow1 + j * inp + k];
                    grad[ow1 + j * inp + k] += sp * m[j * inp + k];
                    acc += m[j * inp + k] * w;
                }
                gs[j] = acc;
                // ∂L/∂W₂[o, j] += Σ_k gd[o, k] σ'_j W₁[j, k]
                for o_i in 0..out {
                    let mut a2 = 0.0;
                    for k in 0..inp {
                        a2 += gd[o_i * inp + k] * p[ow1 + j * inp + k];
                    }
                    grad[ow2 + o_i * hid + j] += sp * a2;
                }
            }
        }
        // Through tanh: ∂h/∂pre = σ', ∂σ'/∂pre = −2 h σ'.
        for j in 0..hid {
            let sp = 1.0 - h[j] * h[j];
            gpre[j] = gpre[j] * sp - 2.0 * h[j] * sp * gs[j];
        }
        for j in 0..hid {
            let g = gpre[j];
            grad[ob1 + j] += g;
            if g != 0.0 {
                for k in 0..inp {
                    grad[ow1 + j * inp + k] += g * x[k];
                    gx[k] += p[ow1 + j * inp + k] * g;
                }
            }
        }
    }
}

/// A three-layer network `o = W₃ tanh(W₂ tanh(W₁ x + b₁) + b₂) + b₃` (two hidden layers of
/// width `hid`), laid out like [`Net2`] layer after layer: the unconstrained baseline field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net3 {
    pub inp: usize,
    pub hid: usize,
    pub out: usize,
    pub off: usize,
}

impl Net3 {
    /// Number of parameters.
    pub fn len(&self) -> usize {
        let (i, h, o) = (self.inp, self.hid, self.out);
        h * i + h + h * h + h + o * h + o
    }

    /// Never true for a network with a hidden layer.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn offs(&self) -> [usize; 6] {
        let (i, h, o) = (self.inp, self.hid, self.out);
        let w1 = self.off;
        let b1 = w1 + h * i;
        let w2 = b1 + h;
        let b2 = w2 + h * h;
        let w3 = b2 + h;
        let b3 = w3 + o * h;
        [w1, b1, w2, b2, w3, b3]
    }

    pub fn init(&self, p: &mut [f64], rng: &mut crate::rng::Rng) {
        let [w1, b1, w2, b2, w3, b3] = self.offs();
        xavier(&mut p[w1..b1], self.inp, self.hid, rng);
        p[b1..w2].fill(0.01);
        xavier(&mut p[w2..b2], self.hid, self.hid, rng);
        p[b2..w3].fill(0.01);
        xavier(&mut p[w3..b3], self.hid, self.out, rng);
        p[b3..b3 + self.out].fill(0.01);
    }

    /// Forward pass; `h1`, `h2` receive the hidden activations.
    pub fn forward(&self, p: &[f64], x: &[f64], h1: &mut [f64], h2: &mut [f64], o: &mut [f64]) {
        let [w1, b1, w2, b2, w3, b3] = self.offs();
        let (i, h, out) = (self.inp, self.hid, self.out);
        dense_tanh(&p[w1..b1], &p[b1..w2], x, i, h, h1);
        dense_tanh(&p[w2..b2], &p[b2..w3], h1, h, h, h2);
        for r in 0..out {
            let mut a = p[b3 + r];
            for j in 0..h {
                a += p[w3 + r * h + j] * h2[j];
            }
            o[r] = a;
        }
    }

    /// The input Jacobian `W₃ diag(σ₂') W₂ diag(σ₁') W₁` (`out × inp`).
    pub fn jacobian(&self, p: &[f64], h1: &[f64], h2: &[f64], jac: &mut [f64]) {
        let [w1, _, w2, _, w3, _] = self.offs();
        let (i, h, out) = (self.inp, self.hid, self.out);
        // T = diag(σ₂') W₂ diag(σ₁') W₁ (h × i), then W₃ T.
        let mut t1 = vec![0.0; h * i];
        for j in 0..h {
            let s = 1.0 - h1[j] * h1[j];
            for k in 0..i {
                t1[j * i + k] = s * p[w1 + j * i + k];
            }
        }
        let mut t2 = vec![0.0; h * i];
        for r in 0..h {
            let s = 1.0 - h2[r] * h2[r];
            for k in 0..i {
                let mut a = 0.0;
                for j in 0..h {
                    a += p[w2 + r * h + j] * t1[j * i + k];
                }
                t2[r * i + k] = s * a;
            }
        }
        for r in 0..out {
            for k in 0..i {
                let mut a = 0.0;
                for j in 0..h {
                    a += p[w3 + r * h + j] * t2[j * i + k];
                }
                jac[r * i + k] = a;
            }
        }
    }

    /// Backpropagation of `go = ∂L/∂o` into `grad`; `tmp` needs `2·hid` entries.
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        p: &[f64],
        x: &[f64],
        h1: &[f64],
        h2: &[f64],
        go: &[f64],
        grad: &mut [f64],
        tmp: &mut [f64],
    ) {
        let [w1, b1, w2, b2, w3, b3] = self.offs();
        let (i, h, out) = (self.inp, self.hid, self.out);
        let (g2, g1) = tmp.split_at_mut(h);
        g2[..h].fill(0.0);
        for r in 0..out {
            let g = go[r];
            grad[b3 + r] += g;
            for j in 0..h {
                grad[w3 + r * h + j] += g * h2[j];
                g2[j] += p[w3 + r * h + j] * g;
            }
        }
        for j in 0..h {
            g2[j] *= 1.0 - h2[j] * h2[j];
        }
        g1[..h].fill(0.0);
        for r in 0..h {
            let g = g2[r];
            grad[b2 + r] += g;
            for j in 0..h {
                grad[w2 + r * h + j] += g * h1[j];
                g1[j] += p[w2 + r * h + j] * g;
            }
        }
        for j in 0..h {
            let g = g1[j] * (1.0 - h1[j] * h1[j]);
            grad[b1 + j] += g;
            for k in 0..i {
                grad[w1 + j * i + k] += g * x[k];
            }
        }
    }
}

fn dense_tanh(w: &[f64], b: &[f64], x: &[f64], inp: usize, out: usize, y: &mut [f64]) {
    for r in 0..out {
        let row = &w[r * inp..(r + 1) * inp];
        let mut a = b[r];
        for k in 0..inp {
            a += row[k] * x[k];
        }
        y[r] = tanh(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{normal, seeded};

    fn random(n: usize, seed: u64) -> Vec<f64> {
        let mut r = seeded(seed, 9);
        (0..n).map(|_| 0.7 * normal(&mut r)).collect()
    }

    /// L = Σ go·o + Σ gd·Jac, a loss linear in the output and its Jacobian: its gradient
    /// must match central finite differences for every parameter and input.
    #[test]
    fn net2_gradients_with_jacobian_terms_match_finite_differences() {
        let net = Net2 { inp: 3, hid: 5, out: 4, off: 2 };
        let p = random(net.len() + 2, 1);
        let x = random(3, 2);
        let go = random(4, 3);
        let gd = random(12, 4);
        let loss = |p: &[f64], x: &[f64]| {
            let (mut h, mut o, mut j) = (vec![0.0; 5], vec![0.0; 4], vec![0.0; 12]);
            net.forward(p, x, &mut h, &mut o);
            net.jacobian(p, &h, &mut j);
            o.iter().zip(&go).map(|(a, b)| a * b).sum::<f64>()
                + j.iter().zip(&gd).map(|(a, b)| a * b).sum::<f64>()
        };
        let (mut h, mut o) = (vec![0.0; 5], vec![0.0; 4]);
        net.forward(&p, &x, &mut h, &mut o);
        let mut grad = vec![0.0; p.len()];
        let mut gx = vec![0.0; 3];
        let mut tmp = vec![0.0; 5 * 5];
        net.backward(&p, &x, &h, &go, Some(&gd), &mut grad, &mut gx, &mut tmp);
        let eps = 1e-6;
        for i in 0..p.len() {
            let (mut a, mut b) = (p.clone(), p.clone());
            a[i] += eps;
            b[i] -= eps;
            let fd = (loss(&a, &x) - loss(&b, &x)) / (2.0 * eps);
            assert!((fd - grad[i]).abs() < 1e-7 * (1.0 + fd.abs()), "param {i}: {fd} vs {}", grad[i]);
        }
        for k in 0..3 {
            let (mut a, mut b) = (x.clone(), x.clone());
            a[k] += eps;
            b[k] -= eps;
            let fd = (loss(&p, &a) - loss(&p, &b)) / (2.0 * eps);
            assert!((fd - gx[k]).abs() < 1e-7 * (1.0 + fd.abs()), "input {k}: {fd} vs {}", gx[k]);
        }
    }

    #[test]
    fn net2_jacobian_matches_finite_differences() {
        let net = Net2 { inp: 2, hid: 6, out: 3, off: 0 };
        let p = random(net.len(), 5);
        let x = random(2, 6);
        let (mut h, mut o, mut j) = (vec![0.0; 6], vec![0.0; 3], vec![0.0; 6]);
        net.forward(&p, &x, &mut h, &mut o);
        net.jacobian(&p, &h, &mut j);
        for k in 0..2 {
            let (mut a, mut b) = (x.clone(), x.clone());
            a[k] += 1e-6;
            b[k] -= 1e-6;
            let (mut oa, mut ob) = (vec![0.0; 3], vec![0.0; 3]);
            net.forward(&p, &a, &mut h, &mut oa);
            net.forward(&p, &b, &mut h, &mut ob);
            for r in 0..3 {
                let fd = (oa[r] - ob[r]) / 2e-6;
                assert!((fd - j[r * 2 + k]).abs() < 1e-8, "{fd} vs {}", j[r * 2 + k]);
            }
        }
    }

    #[test]
    fn net3_gradients_and_jacobian_match_finite_differences() {
        let net = Net3 { inp: 2, hid: 4, out: 2, off: 1 };
        let p = random(net.len() + 1, 7);
        let x = random(2, 8);
        let go = random(2, 9);
        let out = |p: &[f64], x: &[f64]| {
            let (mut h1, mut h2, mut o) = (vec![0.0; 4], vec![0.0; 4], vec![0.0; 2]);
            net.forward(p, x, &mut h1, &mut h2, &mut o);
            o
        };
        let (mut h1, mut h2, mut o) = (vec![0.0; 4], vec![0.0; 4], vec![0.0; 2]);
        net.forward(&p, &x, &mut h1, &mut h2, &mut o);
        let mut grad = vec![0.0; p.len()];
        net.backward(&p, &x, &h1, &h2, &go, &mut grad, &mut [0.0; 8]);
        for i in 0..p.len() {
            let (mut a, mut b) = (p.clone(), p.clone());
            a[i] += 1e-6;
            b[i] -= 1e-6;
            let la: f64 = out(&a, &x).iter().zip(&go).map(|(u, v)| u * v).sum();
            let lb: f64 = out(&b, &x).iter().zip(&go).map(|(u, v)| u * v).sum();
            let fd = (la - lb) / 2e-6;
            assert!((fd - grad[i]).abs() < 1e-7 * (1.0 + fd.abs()), "param {i}");
        }
        let mut jac = vec![0.0; 4];
        net.jacobian(&p, &h1, &h2, &mut jac);
        for k in 0..2 {
            let (mut a, mut b) = (x.clone(), x.clone());
            a[k] += 1e-6;
            b[k] -= 1e-6;
            let (oa, ob) = (out(&p, &a), out(&p, &b));
            for r in 0..2 {
                assert!(((oa[r] - ob[r]) / 2e-6 - jac[r * 2 + k]).abs() < 1e-8);
            }
        }
    }
}
