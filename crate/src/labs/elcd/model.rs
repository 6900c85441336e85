//! The two vector fields of the lab and their training losses.
//!
//! **ELCD** (dissertation eq. 4.10–4.11): in latent coordinates `z = φ(x)`,
//! `ż = A(z, z*)(z − z*)`, `A = −P_sᵀP_s + P_a − P_aᵀ − αI`, with `P_s`, `P_a` two-layer
//! tanh networks of `(z, z*)` whose `d²` outputs are read row-major as `d × d` matrices.
//! Without the diffeomorphism `φ` is the identity. With it, `φ` is a stack of affine
//! coupling layers (Sec. 4.3.5): layer `ℓ` keeps the conditioning half `C` of the
//! coordinates and maps the free half `F` to `y_F = x_F ⊙ e^{s(x_C)} + t(x_C)`, with `s`, `t`
//! from one two-layer network; the halves alternate. The model's velocity in data space
//! is `ẋ = Dφ(x)⁻¹ ż`, applied layer by layer with each layer's closed-form inverse.
//!
//! **Baseline**: an unconstrained field `ẋ = g(x)`, a tanh network with two hidden layers.
//!
//! Both are trained on the mean squared error `(1/(B·d)) Σ_b ‖ẋ_model(x_b) − ẋ_b‖²` over a
//! batch of demonstration states `x_b` and velocities `ẋ_b`; the gradients are written by
//! hand and checked against finite differences in the tests.

// Index loops over small matrices read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use super::nets::{Net2, Net3};
use crate::rng::Rng;

/// Coupling layers of the diffeomorphism.
pub const COUPLINGS: usize = 4;

/// A model trained on demonstrations: parameters in one flat vector.
pub trait Model {
    fn n_params(&self) -> usize;
    /// Dimension of the state.
    fn dim(&self) -> usize;
    /// Fresh parameters.
    fn init(&self, rng: &mut Rng) -> Vec<f64>;
    /// Mean squared velocity error over the samples `idx` of `xs`, `vs` (`n × d`,
    /// row-major), and its gradient, which is written into `grad` (overwritten).
    fn loss_grad(&self, p: &[f64], xs: &[f64], vs: &[f64], idx: &[usize], grad: &mut [f64]) -> f64;
    /// The velocity `ẋ` at `x` (data space).
    fn velocity(&self, p: &[f64], x: &[f64]) -> Vec<f64>;
}

/// One affine coupling layer: `y_C = x_C`, `y_F = x_F ⊙ e^{s(x_C)} + t(x_C)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Coupling {
    pub cond: Vec<usize>,
    pub free: Vec<usize>,
    /// Input `|C|`, output `2|F|`: `s` first, then `t`.
    pub net: Net2,
}

/// Extended-linearized contracting dynamics with an optional coupling-layer diffeomorphism.
#[derive(Debug, Clone, PartialEq)]
pub struct Elcd {
    pub d: usize,
    pub hidden: usize,
    /// The contraction rate α > 0.
    pub alpha: f64,
    /// The equilibrium in data space (the demonstrations' common end point).
    pub x_star: Vec<f64>,
    pub ps: Net2,
    pub pa: Net2,
    /// Empty without the diffeomorphism.
    pub couplings: Vec<Coupling>,
    n_params: usize,
}

/// Per-layer values of one forward pass through the coupling layers.
#[derive(Debug, Clone)]
struct LayerCache {
    /// The layer's input (d).
    z: Vec<f64>,
    h: Vec<f64>,
    /// `[s; t]`.
    o: Vec<f64>,
    /// `∂[s; t]/∂x_C` (`2|F| × |C|`).
    jac: Vec<f64>,
    /// `e^{s}`.
    es: Vec<f64>,
    /// The conditioning inputs `x_C`.
    a: Vec<f64>,
}

/// Values of one evaluation of the latent field.
#[derive(Debug, Clone)]
struct LatentCache {
    inp: Vec<f64>,
    hs: Vec<f64>,
    os: Vec<f64>,
    ha: Vec<f64>,
    oa: Vec<f64>,
    a: Vec<f64>,
    e: Vec<f64>,
    /// Scratch of the backward pass: ∂L/∂A, ∂L/∂Ps, ∂L/∂Pa, ∂L/∂(z, z*).
    ga: Vec<f64>,
    gps: Vec<f64>,
    gpa: Vec<f64>,
    ginp: Vec<f64>,
}

impl Elcd {
    /// The model for `d`-dimensional states (`d ≥ 2` for the diffeomorphism).
    pub fn new(d: usize, hidden: usize, alpha: f64, x_star: Vec<f64>, diffeo: bool) -> Self {
        let ps = Net2 { inp: 2 * d, hid: hidden, out: d * d, off: 0 };
        let pa = Net2 { inp: 2 * d, hid: hidden, out: d * d, off: ps.len() };
        let mut off = pa.off + pa.len();
        let mut couplings = Vec::new();
        if diffeo && d >= 2 {
            let half = d / 2;
            for l in 0..COUPLINGS {
                let (first, second): (Vec<usize>, Vec<usize>) = ((0..half).collect(), (half..d).collect());
                let (cond, free) = if l % 2 == 0 { (first, second) } else { (second, first) };
                let net = Net2 { inp: cond.len(), hid: hidden, out: 2 * free.len(), off };
                off += net.len();
                couplings.push(Coupling { cond, free, net });
            }
        }
        Self { d, hidden, alpha, x_star, ps, pa, couplings, n_params: off }
    }

    fn new_layer_cache(&self, c: &Coupling) -> LayerCache {
        LayerCache {
            z: vec![0.0; self.d],
            h: vec![0.0; self.hidden],
            o: vec![0.0; 2 * c.free.len()],
            jac: vec![0.0; 2 * c.free.len() * c.cond.len()],
            es: vec![0.0; c.free.len()],
            a: vec![0.0; c.cond.len()],
        }
    }

    fn new_latent_cache(&self) -> LatentCache {
        let d = self.d;
        LatentCache {
            inp: vec![0.0; 2 * d],
            hs: vec![0.0; self.hidden],
            os: vec![0.0; d * d],
            ha: vec![0.0; self.hidden],
            oa: vec![0.0; d * d],
            a: vec![0.0; d * d],
            e: vec![0.0; d],
            ga: vec![0.0; d * d],
            gps: vec![0.0; d * d],
            gpa: vec![0.0; d * d],
            ginp: vec![0.0; 2 * d],
        }
    }

    /// One coupling layer forward: `z ← layer(z)`, filling the cache (input, net values, Jacobian).
    fn layer_forward(&self, p: &[f64], c: &Coupling, z: &mut [f64], cache: &mut LayerCache, jac: bool) {
        cache.z.copy_from_slice(z);
        for (k, &i) in c.cond.iter().enumerate() {
            cache.a[k] = z[i];
        }
        c.net.forward(p, &cache.a, &mut cache.h, &mut cache.o);
        if jac {
            c.net.jacobian(p, &cache.h, &mut cache.jac);
        }
        let nf = c.free.len();
        for (i, &fi) in c.free.iter().enumerate() {
            let es = libm::exp(cache.o[i]);
            cache.es[i] = es;
            z[fi] = z[fi] * es + cache.o[nf + i];
        }
    }

    /// `z = φ(x)`.
    pub fn encode(&self, p: &[f64], x: &[f64]) -> Vec<f64> {
        let mut z = x.to_vec();
        for c in &self.couplings {
            let mut cache = self.new_layer_cache(c);
            self.layer_forward(p, c, &mut z, &mut cache, false);
        }
        z
    }

    /// `x = φ⁻¹(z)` (each layer inverted in closed form, last layer first).
    pub fn decode(&self, p: &[f64], z: &[f64]) -> Vec<f64> {
        let mut x = z.to_vec();
        for c in self.couplings.iter().rev() {
            let a: Vec<f64> = c.cond.iter().map(|&i| x[i]).collect();
            let mut h = vec![0.0; self.hidden];
            let mut o = vec![0.0; 2 * c.free.len()];
            c.net.forward(p, &a, &mut h, &mut o);
            let nf = c.free.len();
            for (i, &fi) in c.free.iter().enumerate() {
                x[fi] = (x[fi] - o[nf + i]) * libm::exp(-o[i]);
            }
        }
        x
    }

    /// The equilibrium in latent space, `z* = φ(x*)`.
    pub fn z_star(&self, p: &[f64]) -> Vec<f64> {
        self.encode(p, &self.x_star)
    }

    fn latent_forward(&self, p: &[f64], z: &[f64], zs: &[f64], c: &mut LatentCache, zd: &mut [f64]) {
        let d = self.d;
        c.inp[..d].copy_from_slice(z);
        c.inp[d..].copy_from_slice(zs);
        self.ps.forward(p, &c.inp, &mut c.hs, &mut c.os);
        self.pa.forward(p, &c.inp, &mut c.ha, &mut c.oa);
        for i in 0..d {
            for j in 0..d {
                let mut s = 0.0;
                for k in 0..d {
                    s += c.os[k * d + i] * c.os[k * d + j];
                }
                c.a[i * d + j] =
                    -s + c.oa[i * d + j] - c.oa[j * d + i] - if i == j { self.alpha } else { 0.0 };
            }
            c.e[i] = z[i] - zs[i];
        }
        for i in 0..d {
            let mut s = 0.0;
            for j in 0..d {
                s += c.a[i * d + j] * c.e[j];
            }
            zd[i] = s;
        }
    }

    /// Backpropagate `gzd = ∂L/∂ż` through `ż = A(z, z*)(z − z*)`: parameters into `grad`,
    /// `∂L/∂z` into `gz`, `∂L/∂z*` into `gzs` (all added).
    #[allow(clippy::too_many_arguments)]
    fn latent_backward(
        &self,
        p: &[f64],
        c: &mut LatentCache,
        gzd: &[f64],
        grad: &mut [f64],
        gz: &mut [f64],
        gzs: &mut [f64],
        tmp: &mut [f64],
    ) {
        let d = self.d;
        let LatentCache { inp, hs, os, ha, a, e, ga, gps, gpa, ginp, .. } = c;
        for i in 0..d {
            for j in 0..d {
                ga[i * d + j] = gzd[i] * e[j];
            }
        }
        // ∂L/∂e = Aᵀ gzd.
        for j in 0..d {
            let mut s = 0.0;
            for i in 0..d {
                s += a[i * d + j] * gzd[i];
            }
            gz[j] += s;
            gzs[j] -= s;
        }
        // A = −PsᵀPs + Pa − Paᵀ − αI: ∂Ps = −Ps (G + Gᵀ), ∂Pa = G − Gᵀ.
        for k in 0..d {
            for j in 0..d {
                let mut s = 0.0;
                for i in 0..d {
                    s += os[k * d + i] * (ga[i * d + j] + ga[j * d + i]);
                }
                gps[k * d + j] = -s;
                gpa[k * d + j] = ga[k * d + j] - ga[j * d + k];
            }
        }
        ginp.fill(0.0);
        self.ps.backward(p, inp, hs, gps, None, grad, ginp, tmp);
        self.pa.backward(p, inp, ha, gpa, None, grad, ginp, tmp);
        for i in 0..d {
            gz[i] += ginp[i];
            gzs[i] += ginp[d + i];
        }
    }

    /// `A(z, z*)` (`d × d`, row-major).
    pub fn a_matrix(&self, p: &[f64], z: &[f64], zs: &[f64]) -> Vec<f64> {
        let mut c = self.new_latent_cache();
        let mut zd = vec![0.0; self.d];
        self.latent_forward(p, z, zs, &mut c, &mut zd);
        c.a
    }

    /// The latent field `ż = A(z, z*)(z − z*)`.
    pub fn latent_velocity(&self, p: &[f64], z: &[f64], zs: &[f64]) -> Vec<f64> {
        let mut c = self.new_latent_cache();
        let mut zd = vec![0.0; self.d];
        self.latent_forward(p, z, zs, &mut c, &mut zd);
        zd
    }

    /// `w = J⁻¹ u` for the Jacobian `J` of one coupling layer at its cached input.
    fn inverse_jvp(c: &Coupling, cache: &LayerCache, u: &[f64], w: &mut [f64]) {
        let nc = c.cond.len();
        let nf = c.free.len();
        for &ci in &c.cond {
            w[ci] = u[ci];
        }
        for (i, &fi) in c.free.iter().enumerate() {
            let ce = cache.z[fi] * cache.es[i];
            let mut r = u[fi];
            for (k, &ck) in c.cond.iter().enumerate() {
                let m = ce * cache.jac[i * nc + k] + cache.jac[(nf + i) * nc + k];
                r -= m * u[ck];
            }
            w[fi] = r / cache.es[i];
        }
    }

    /// The data-space velocity `Dφ(x)⁻¹ A(φ(x), z*)(φ(x) − z*)`, given `z* = φ(x*)`.
    pub fn velocity_with(&self, p: &[f64], x: &[f64], zs: &[f64]) -> Vec<f64> {
        let mut z = x.to_vec();
        let mut caches: Vec<LayerCache> = self.couplings.iter().map(|c| self.new_layer_cache(c)).collect();
        for (c, cache) in self.couplings.iter().zip(caches.iter_mut()) {
            self.layer_forward(p, c, &mut z, cache, true);
        }
        let mut w = self.latent_velocity(p, &z, zs);
        let mut next = vec![0.0; self.d];
        for (c, cache) in self.couplings.iter().zip(&caches).rev() {
            Self::inverse_jvp(c, cache, &w, &mut next);
            std::mem::swap(&mut w, &mut next);
        }
        w
    }
}

impl Model for Elcd {
    fn n_params(&self) -> usize {
        self.n_params
    }

    fn dim(&self) -> usize {
        self.d
    }

    fn init(&self, rng: &mut Rng) -> Vec<f64> {
        let mut p = vec![0.0; self.n_params];
        self.ps.init(&mut p, rng, false);
        self.pa.init(&mut p, rng, false);
        for c in &self.couplings {
            // φ starts as the identity.
            c.net.init(&mut p, rng, true);
        }
        p
    }

    fn velocity(&self, p: &[f64], x: &[f64]) -> Vec<f64> {
        let zs = self.z_star(p);
        self.velocity_with(p, x, &zs)
    }

    fn loss_grad(&self, p: &[f64], xs: &[f64], vs: &[f64], idx: &[usize], grad: &mut [f64]) -> f64 {
        let d = self.d;
        let nl = self.couplings.len();
        grad.fill(0.0);
        if idx.is_empty() {
            return 0.0;
        }
        let scale = 1.0 / (idx.len() * d) as f64;
        let tmp_len = self.hidden * (2 * d + 2);
        let mut tmp = vec![0.0; tmp_len];
        // z* = φ(x*), once per batch; its gradient is collected over the batch.
        let mut zs = self.x_star.clone();
        let mut star: Vec<LayerCache> = self.couplings.iter().map(|c| self.new_layer_cache(c)).collect();
        for (c, cache) in self.couplings.iter().zip(star.iter_mut()) {
            self.layer_forward(p, c, &mut zs, cache, false);
        }
        let mut gzs = vec![0.0; d];
        let mut caches: Vec<LayerCache> = self.couplings.iter().map(|c| self.new_layer_cache(c)).collect();
        let mut lat = self.new_latent_cache();
        // w[ℓ] = J_ℓ⁻¹ w[ℓ+1], w[nl] = ż, w[0] = ẋ.
        let mut w = vec![vec![0.0; d]; nl + 1];
        // Per layer: ∂L/∂x_F (free inputs), ∂L/∂[s; t] and ∂L/∂(∂[s; t]/∂x_C) from the velocity map.
        let mut st_gb: Vec<Vec<f64>> = self.couplings.iter().map(|c| vec![0.0; c.free.len()]).collect();
        let mut st_go: Vec<Vec<f64>> = self.couplings.iter().map(|c| vec![0.0; 2 * c.free.len()]).collect();
        let mut st_gd: Vec<Vec<f64>> =
            self.couplings.iter().map(|c| vec![0.0; 2 * c.free.len() * c.cond.len()]).collect();
        let mut gw = vec![0.0; d];
        let mut gz = vec![0.0; d];
        let mut gu = vec![0.0; d];
        let mut z = vec![0.0; d];
        let mut go: Vec<Vec<f64>> = self.couplings.iter().map(|c| vec![0.0; 2 * c.free.len()]).collect();
        let mut ga: Vec<Vec<f64>> = self.couplings.iter().map(|c| vec![0.0; c.cond.len()]).collect();
        let mut loss = 0.0;
        for &b in idx {
            let x = &xs[b * d..(b + 1) * d];
            let v = &vs[b * d..(b + 1) * d];
            // Forward.
            z.copy_from_slice(x);
            for (c, cache) in self.couplings.iter().zip(caches.iter_mut()) {
                self.layer_forward(p, c, &mut z, cache, true);
            }
            self.latent_forward(p, &z, &zs, &mut lat, &mut w[nl]);
            for l in (0..nl).rev() {
                let (lo, hi) = w.split_at_mut(l + 1);
                Self::inverse_jvp(&self.couplings[l], &caches[l], &hi[0], &mut lo[l]);
            }
            for i in 0..d {
                let r = w[0][i] - v[i];
                loss += r * r;
                gw[i] = 2.0 * r * scale;
            }
            // Backward through the velocity map ẋ = J₀⁻¹ J₁⁻¹ … ż.
            for l in 0..nl {
                let c = &self.couplings[l];
                let cache = &caches[l];
                let (nc, nf) = (c.cond.len(), c.free.len());
                let u = &w[l + 1];
                let wl = &w[l];
                st_go[l].fill(0.0);
                for &ci in &c.cond {
                    gu[ci] = gw[ci];
                }
                for (i, &fi) in c.free.iter().enumerate() {
                    let es = cache.es[i];
                    let bval = cache.z[fi];
                    let ce = bval * es;
                    let gr = gw[fi] / es;
                    let mut gs = -gw[fi] * wl[fi];
                    gu[fi] = gr;
                    let mut gc = 0.0;
                    for (k, &ck) in c.cond.iter().enumerate() {
                        let ds = cache.jac[i * nc + k];
                        let dt = cache.jac[(nf + i) * nc + k];
                        gu[ck] -= (ce * ds + dt) * gr;
                        let gm = -gr * u[ck];
                        st_gd[l][(nf + i) * nc + k] = gm;
                        st_gd[l][i * nc + k] = ce * gm;
                        gc += gm * ds;
                    }
                    st_gb[l][i] = gc * es;
                    gs += gc * bval * es;
                    st_go[l][i] = gs;
                }
                gw.copy_from_slice(&gu);
            }
            // Backward through ż = A(z, z*)(z − z*).
            gz.fill(0.0);
            self.latent_backward(p, &mut lat, &gw, grad, &mut gz, &mut gzs, &mut tmp);
            // Backward through z = φ(x).
            for l in (0..nl).rev() {
                let c = &self.couplings[l];
                let cache = &caches[l];
                let nf = c.free.len();
                let (go, ga, gb) = (&mut go[l], &mut ga[l], &mut st_gb[l]);
                go.copy_from_slice(&st_go[l]);
                for (k, &ci) in c.cond.iter().enumerate() {
                    ga[k] = gz[ci];
                }
                for (i, &fi) in c.free.iter().enumerate() {
                    let gy = gz[fi];
                    gb[i] += gy * cache.es[i];
                    go[i] += gy * cache.z[fi] * cache.es[i];
                    go[nf + i] += gy;
                }
                c.net.backward(p, &cache.a, &cache.h, go, Some(&st_gd[l]), grad, ga, &mut tmp);
                for (k, &ci) in c.cond.iter().enumerate() {
                    gz[ci] = ga[k];
                }
                for (i, &fi) in c.free.iter().enumerate() {
                    gz[fi] = gb[i];
                }
            }
        }
        // Backward through z* = φ(x*).
        for l in (0..nl).rev() {
            let c = &self.couplings[l];
            let cache = &star[l];
            let nf = c.free.len();
            let mut go = vec![0.0; 2 * nf];
            let mut ga: Vec<f64> = c.cond.iter().map(|&ci| gzs[ci]).collect();
            let mut gb = vec![0.0; nf];
            for (i, &fi) in c.free.iter().enumerate() {
                let gy = gzs[fi];
                gb[i] = gy * cache.es[i];
                go[i] = gy * cache.z[fi] * cache.es[i];
                go[nf + i] = gy;
            }
            c.net.backward(p, &cache.a, &cache.h, &go, None, grad, &mut ga, &mut tmp);
            for (k, &ci) in c.cond.iter().enumerate() {
                gzs[ci] = ga[k];
            }
            for (i, &fi) in c.free.iter().enumerate() {
                gzs[fi] = gb[i];
            }
        }
        loss * scale
    }
}

/// The unconstrained baseline `ẋ = g(x)` (two tanh hidden layers of width `hidden`).
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    pub d: usize,
    pub net: Net3,
}

impl Mlp {
    pub fn new(d: usize, hidden: usize) -> Self {
        Self { d, net: Net3 { inp: d, hid: hidden, out: d, off: 0 } }
    }

    /// The Jacobian `Dg(x)` (`d × d`).
    pub fn jacobian(&self, p: &[f64], x: &[f64]) -> Vec<f64> {
        let h = self.net.hid;
        let (mut h1, mut h2, mut o) = (vec![0.0; h], vec![0.0; h], vec![0.0; self.d]);
        self.net.forward(p, x, &mut h1, &mut h2, &mut o);
        let mut j = vec![0.0; self.d * self.d];
        self.net.jacobian(p, &h1, &h2, &mut j);
        j
    }
}

impl Model for Mlp {
    fn n_params(&self) -> usize {
        self.net.len()
    }

    fn dim(&self) -> usize {
        self.d
    }

    fn init(&self, rng: &mut Rng) -> Vec<f64> {
        let mut p = vec![0.0; self.net.len()];
        self.net.init(&mut p, rng);
        p
    }

    fn velocity(&self, p: &[f64], x: &[f64]) -> Vec<f64> {
        let h = self.net.hid;
        let (mut h1, mut h2, mut o) = (vec![0.0; h], vec![0.0; h], vec![0.0; self.d]);
        self.net.forward(p, x, &mut h1, &mut h2, &mut o);
        o
    }

    fn loss_grad(&self, p: &[f64], xs: &[f64], vs: &[f64], idx: &[usize], grad: &mut [f64]) -> f64 {
        let d = self.d;
        let h = self.net.hid;
        grad.fill(0.0);
        if idx.is_empty() {
            return 0.0;
        }
        let scale = 1.0 / (idx.len() * d) as f64;
        let (mut h1, mut h2, mut o, mut go) = (vec![0.0; h], vec![0.0; h], vec![0.0; d], vec![0.0; d]);
        let mut tmp = vec![0.0; 2 * h];
        let mut loss = 0.0;
        for &b in idx {
            let x = &xs[b * d..(b + 1) * d];
            self.net.forward(p, x, &mut h1, &mut h2, &mut o);
            for i in 0..d {
                let r = o[i] - vs[b * d + i];
                loss += r * r;
                go[i] = 2.0 * r * scale;
            }
            self.net.backward(p, x, &h1, &h2, &go, grad, &mut tmp);
        }
        loss * scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{normal, seeded};

    fn randn(n: usize, seed: u64, s: f64) -> Vec<f64> {
        let mut r = seeded(seed, 17);
        (0..n).map(|_| s * normal(&mut r)).collect()
    }

    /// Every entry of the gradient against a central difference of the loss.
    fn check_gradient(model: &dyn Model, p: &[f64], xs: &[f64], vs: &[f64], idx: &[usize]) {
        let mut grad = vec![0.0; p.len()];
        model.loss_grad(p, xs, vs, idx, &mut grad);
        let mut scratch = vec![0.0; p.len()];
        let mut worst = 0.0f64;
        for i in 0..p.len() {
            let h = 1e-6 * (1.0 + p[i].abs());
            let (mut a, mut b) = (p.to_vec(), p.to_vec());
            a[i] += h;
            b[i] -= h;
            let fd = (model.loss_grad(&a, xs, vs, idx, &mut scratch)
                - model.loss_grad(&b, xs, vs, idx, &mut scratch))
                / (2.0 * h);
            let err = (fd - grad[i]).abs() / (1e-6 + fd.abs().max(grad[i].abs()));
            worst = worst.max(err.min((fd - grad[i]).abs() * 1e4));
            assert!(
                (fd - grad[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
                "parameter {i} of {}: finite difference {fd}, backprop {}",
                p.len(),
                grad[i]
            );
        }
        assert!(worst.is_finite());
    }

    fn perturbed(model: &dyn Model, seed: u64) -> Vec<f64> {
        // Random, non-zero coupling weights too (the identity start would hide their terms).
        let mut p = model.init(&mut seeded(seed, 3));
        for (v, e) in p.iter_mut().zip(randn(model.n_params(), seed + 1, 0.3)) {
            *v += e;
        }
        p
    }

    #[test]
    fn elcd_gradient_matches_finite_differences_without_diffeomorphism() {
        for d in [2, 3] {
            let m = Elcd::new(d, 5, 0.3, randn(d, 4, 0.5), false);
            let p = perturbed(&m, 10 + d as u64);
            let xs = randn(7 * d, 5, 1.0);
            let vs = randn(7 * d, 6, 1.0);
            check_gradient(&m, &p, &xs, &vs, &[0, 3, 4, 6, 3]);
        }
    }

    #[test]
    fn elcd_gradient_matches_finite_differences_with_diffeomorphism() {
        for d in [2, 3] {
            let m = Elcd::new(d, 4, 0.2, randn(d, 7, 0.5), true);
            assert_eq!(m.couplings.len(), COUPLINGS);
            let p = perturbed(&m, 20 + d as u64);
            let xs = randn(6 * d, 8, 1.0);
            let vs = randn(6 * d, 9, 1.0);
            check_gradient(&m, &p, &xs, &vs, &[0, 1, 2, 5]);
        }
    }

    #[test]
    fn mlp_gradient_matches_finite_differences() {
        let m = Mlp::new(2, 6);
        let p = perturbed(&m, 30);
        let xs = randn(10, 11, 1.0);
        let vs = randn(10, 12, 1.0);
        check_gradient(&m, &p, &xs, &vs, &[0, 1, 2, 3, 4]);
    }

    #[test]
    fn decode_inverts_encode_and_velocity_is_the_pulled_back_latent_field() {
        let m = Elcd::new(2, 6, 0.1, vec![0.3, -0.2], true);
        let p = perturbed(&m, 40);
        let x = [0.7, -1.1];
        let z = m.encode(&p, &x);
        let back = m.decode(&p, &z);
        assert!((back[0] - x[0]).abs() < 1e-12 && (back[1] - x[1]).abs() < 1e-12, "{back:?}");
        // Dφ(x) ẋ must equal ż: check with a finite-difference Jacobian of φ.
        let zs = m.z_star(&p);
        let xd = m.velocity_with(&p, &x, &zs);
        let zd = m.latent_velocity(&p, &z, &zs);
        let h = 1e-6;
        let (xa, xb) = ([x[0] + h * xd[0], x[1] + h * xd[1]], [x[0] - h * xd[0], x[1] - h * xd[1]]);
        let (za, zb) = (m.encode(&p, &xa), m.encode(&p, &xb));
        for i in 0..2 {
            let jv = (za[i] - zb[i]) / (2.0 * h);
            assert!((jv - zd[i]).abs() < 1e-6 * (1.0 + zd[i].abs()), "{jv} vs {}", zd[i]);
        }
        // The data-space field vanishes at x*.
        let v = m.velocity(&p, &[0.3, -0.2]);
        assert!(v[0].abs() < 1e-12 && v[1].abs() < 1e-12, "{v:?}");
    }
}
