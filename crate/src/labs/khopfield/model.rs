//! Memories, probes, similarities, and the two retrieval rules: the MCHN update
//! `x⁺ = Ξ softmax(β sim(Ξ, x))` (eq. 3.1) and the k-Hopfield layer
//! `X = Ξ ksoftmax(β sim(Ξ, x₀))` (eqs. 3.4–3.5), with their energies (Sec. 3.6).
//!
//! Memories are the rows of a `P × N` matrix (the dissertation's Ξ has them as columns).

use super::ssm::{self, Map, Quadrature};
use crate::compute::{Compute, Mat};
use crate::data;
use crate::labs::RunError;
use crate::rng::{self, Rng};
use serde::Serialize;

/// The similarity `sim(ξ, x)` (Sec. 3.2, eq. 3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sim {
    Dot,
    NegSqeuclid,
    NegManhattan,
}

impl Sim {
    pub fn from_key(s: &str) -> Self {
        match s {
            "dot" => Self::Dot,
            "neg_sqeuclid" => Self::NegSqeuclid,
            _ => Self::NegManhattan,
        }
    }

    /// `sim(ξ, x)` in f64.
    pub fn eval(self, xi: &[f64], x: &[f64]) -> f64 {
        match self {
            Self::Dot => xi.iter().zip(x).map(|(a, b)| a * b).sum(),
            Self::NegSqeuclid => -xi.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum::<f64>(),
            Self::NegManhattan => -xi.iter().zip(x).map(|(a, b)| (a - b).abs()).sum::<f64>(),
        }
    }
}

/// What is occluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Occlude {
    None,
    Top,
    Bottom,
    Left,
    Right,
}

impl Occlude {
    pub fn from_key(s: &str) -> Self {
        match s {
            "top" => Self::Top,
            "bottom" => Self::Bottom,
            "left" => Self::Left,
            "right" => Self::Right,
            _ => Self::None,
        }
    }
}

/// Where memories come from.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Mnist(data::Mnist),
    Digits8,
    Random,
}

/// A data set on a pixel scale.
#[derive(Debug, Clone)]
pub struct Source {
    pub kind: Kind,
    /// Pixels per memory.
    pub n: usize,
    /// Image width and height (`width · height ≥ n`; random patterns fill a near-square).
    pub width: usize,
    pub height: usize,
    /// The largest pixel value (1 or 255).
    pub scale: f64,
    digits: Vec<data::Digit>,
}

/// Stored memories: `P × N` row-major, with where each came from.
#[derive(Debug, Clone)]
pub struct Store {
    pub p: usize,
    pub n: usize,
    pub x: Vec<f64>,
    /// The data set index of each memory (random patterns: 0, 1, …).
    pub ids: Vec<usize>,
    /// The digit class of each memory (random patterns: −1).
    pub labels: Vec<i64>,
}

impl Store {
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.n..(i + 1) * self.n]
    }

    /// The memories as an f32 matrix (the compute layer's precision).
    pub fn to_f32(&self) -> Mat<f32> {
        Mat { rows: self.p, cols: self.n, data: self.x.iter().map(|&v| v as f32).collect() }
    }
}

impl Source {
    /// `data` = mnist | digits8 | random (with `n` pixels), on the scale `scale`.
    pub fn new(data_key: &str, n: usize, scale: f64) -> Result<Self, RunError> {
        let (kind, n, width, digits) = match data_key {
            "mnist" => (Kind::Mnist(data::mnist()?), data::MNIST_PIXELS, data::MNIST_SIDE, Vec::new()),
            "digits8" => (Kind::Digits8, 64, 8, data::digits()),
            _ => {
                let w = (n as f64).sqrt().ceil() as usize;
                (Kind::Random, n, w.max(1), Vec::new())
            }
        };
        Ok(Self { kind, n, width, height: n.div_ceil(width), scale, digits })
    }

    /// Never true: every data set has items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Items available (random patterns: unbounded).
    pub fn len(&self) -> usize {
        match self.kind {
            Kind::Mnist(m) => m.len(),
            Kind::Digits8 => self.digits.len(),
            Kind::Random => usize::MAX,
        }
    }

    /// Item `i` on the pixel scale, and its label (data sets only).
    fn item(&self, i: usize) -> (Vec<f64>, i64) {
        match self.kind {
            Kind::Mnist(m) => {
                let f = self.scale / 255.0;
                (m.pixels(i).iter().map(|&v| f64::from(v) * f).collect(), i64::from(m.label(i)))
            }
            _ => {
                let d = &self.digits[i];
                let f = self.scale / 16.0;
                (d.pixels.iter().map(|&v| f64::from(v) * f).collect(), i64::from(d.label))
            }
        }
    }

    /// `p` memories: distinct items drawn at random, or random binary patterns.
    pub fn draw(&self, rng: &mut Rng, p: usize) -> Store {
        let mut x = Vec::with_capacity(p * self.n);
        let (ids, labels) = match self.kind {
            Kind::Random => {
                for _ in 0..p {
                    x.extend(rng::spins(rng, self.n).iter().map(|&s| if s > 0 { self.scale } else { 0.0 }));
                }
                ((0..p).collect(), vec![-1; p])
            }
            _ => {
                let ids = rng::choose_distinct(rng, self.len(), p);
                let mut labels = Vec::with_capacity(p);
                for &i in &ids {
                    let (v, l) = self.item(i);
                    x.extend(v);
                    labels.push(l);
                }
                (ids, labels)
            }
        };
        Store { p: ids.len(), n: self.n, x, ids, labels }
    }

    /// Whether pixel `i` is hidden by `occ`.
    pub fn occluded(&self, occ: Occlude, i: usize) -> bool {
        let (r, c) = (i / self.width, i % self.width);
        match occ {
            Occlude::None => false,
            Occlude::Top => 2 * r < self.height,
            Occlude::Bottom => 2 * r >= self.height,
            Occlude::Left => 2 * c < self.width,
            Occlude::Right => 2 * c >= self.width,
        }
    }

    /// A probe from `clean`: Gaussian noise of standard deviation `noise · scale` on every
    /// pixel, then the occluded half set to 0, then the `paint`ed pixels flipped (`v → scale − v`).
    pub fn corrupt(
        &self,
        clean: &[f64],
        occ: Occlude,
        noise: f64,
        paint: &[usize],
        rng: &mut Rng,
    ) -> Vec<f64> {
        let sd = noise * self.scale;
        let mut x: Vec<f64> =
            clean.iter().map(|&v| if sd > 0.0 { v + sd * rng::normal(rng) } else { v }).collect();
        for (i, v) in x.iter_mut().enumerate() {
            if self.occluded(occ, i) {
                *v = 0.0;
            }
        }
        for &i in paint {
            if let Some(v) = x.get_mut(i) {
                *v = self.scale - *v;
            }
        }
        x
    }
}

/// `sim(ξ_μ, x)` for every memory (f64).
pub fn similarities(sim: Sim, store: &Store, x: &[f64]) -> Vec<f64> {
    (0..store.p).map(|mu| sim.eval(store.row(mu), x)).collect()
}

/// Similarities of every probe (rows of `probes`, `B × N`) against every memory (`P × N`)
/// through the compute layer: `B × P`, f32. dot = the cross-Gram; −squared Euclidean from the
/// cross-Gram and the squared norms; −Manhattan = minus the L1 distance kernel.
pub async fn similarities_batch(
    compute: &Compute,
    sim: Sim,
    memories: &Mat<f32>,
    probes: &Mat<f32>,
) -> Mat<f32> {
    match sim {
        Sim::Dot => compute.cross_gram(probes, memories).await,
        Sim::NegSqeuclid => {
            let mut g = compute.cross_gram(probes, memories).await;
            let norms = |m: &Mat<f32>| -> Vec<f32> {
                (0..m.rows).map(|i| m.row(i).iter().map(|&v| v * v).sum()).collect()
            };
            let (nq, nm) = (norms(probes), norms(memories));
            for (b, &q) in nq.iter().enumerate().take(g.rows) {
                for (v, &m) in g.row_mut(b).iter_mut().zip(&nm) {
                    *v = -(q + m - 2.0 * *v).max(0.0);
                }
            }
            g
        }
        Sim::NegManhattan => {
            let mut d = compute.l1_distances(probes, memories).await;
            for v in &mut d.data {
                *v = -*v;
            }
            d
        }
    }
}

/// Weights below this are left out of `Ξ w` (their total contribution is below `P·10⁻³⁰·max|ξ|`).
pub const NEGLIGIBLE: f64 = 1e-30;

/// `Ξ w = Σ_μ w_μ ξ_μ` (f64), skipping negligible weights.
pub fn combine(store: &Store, w: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; store.n];
    for (mu, &wm) in w.iter().enumerate() {
        if wm.abs() > NEGLIGIBLE {
            for (o, &v) in out.iter_mut().zip(store.row(mu)) {
                *o += wm * v;
            }
        }
    }
    out
}

/// `Ξ w` for f32 memories, accumulated in f64.
pub fn combine_f32(mem: &Mat<f32>, w: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; mem.cols];
    for (mu, &wm) in w.iter().enumerate() {
        if wm.abs() > NEGLIGIBLE {
            for (o, &v) in out.iter_mut().zip(mem.row(mu)) {
                *o += wm * f64::from(v);
            }
        }
    }
    out
}

/// `W Ξ`: the combinations `Σ_μ w_μ ξ_μ` for many weight rows `w` (each of length P) —
/// accumulated per weight when at most 1/32 of the weights exceed [`NEGLIGIBLE`] (sharp β),
/// otherwise one matrix product through the compute layer (f32, GPU when verified) over the
/// memories that carry a weight above [`NEGLIGIBLE`] in some row.
pub async fn combine_rows(compute: &Compute, mem: &Mat<f32>, w: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let p = mem.rows;
    let nnz: usize = w.iter().map(|r| r.iter().filter(|v| v.abs() > NEGLIGIBLE).count()).sum();
    if nnz * 32 <= w.len() * p {
        return w.iter().map(|r| combine_f32(mem, r)).collect();
    }
    let keep: Vec<usize> =
        (0..p).filter(|&mu| w.iter().any(|r| r.get(mu).is_some_and(|v| v.abs() > NEGLIGIBLE))).collect();
    let wm = Mat {
        rows: w.len(),
        cols: keep.len(),
        data: w.iter().flat_map(|r| keep.iter().map(|&mu| r[mu] as f32)).collect(),
    };
    let out = if keep.len() == p {
        compute.matmul(&wm, mem).await
    } else {
        let mut sub = Mat::<f32>::zeros(keep.len(), mem.cols);
        for (i, &mu) in keep.iter().enumerate() {
            sub.row_mut(i).copy_from_slice(mem.row(mu));
        }
        compute.matmul(&wm, &sub).await
    };
    (0..out.rows).map(|i| out.row(i).iter().map(|&v| f64::from(v)).collect()).collect()
}

/// Sum of squared differences.
pub fn sse(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The map an iteration applies to `β·sim`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The MCHN: softmax.
    Mchn,
    /// Column i of the k-Hopfield layer: ksoftmax_i.
    Column(usize),
}

/// `x⁺ = Ξ g(β sim(Ξ, x))`, and the weights `g(…)`.
pub fn step(store: &Store, sim: Sim, beta: f64, rule: Rule, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let z: Vec<f64> = similarities(sim, store, x).iter().map(|s| beta * s).collect();
    let w = match rule {
        Rule::Mchn => ssm::softmax(&z),
        Rule::Column(i) => ssm::ksoftmax_column(&z, i),
    };
    (combine(store, &w), w)
}

/// The energy of an iterated rule at `x` (Sec. 3.6 in SPEC's consistent form):
/// `E(x) = ½‖x‖² − (1/c) V(z)`, `V(z) = ∫₀¹ zᵀ g(tz) dt`, with `z = βΞᵀx`, `c = β` for the dot
/// similarity and `z = β(2Ξᵀx − ‖ξ‖²)`, `c = 2β` for −squared Euclidean (the `−β‖x‖²` of
/// `β·sim` shifts every entry equally, which softmax and ksoftmax ignore). Its gradient is
/// `x − Ξ g(β sim(Ξ, x))`: the update is a unit gradient step. −Manhattan has no such energy
/// (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Energy {
    /// By quadrature over t (null when not evaluated: over the lab's budget).
    pub quadrature: Option<f64>,
    /// The quadrature's error estimate.
    pub error: Option<f64>,
    /// The closed form: `Φ_i(z) − Φ_i(0) − (Φ_{i−1}(z) − Φ_{i−1}(0))`, or `lse(z) − ln P`.
    pub closed: f64,
}

/// The argument `z` and the divisor `c` of the energy, or `None` for −Manhattan.
pub fn energy_argument(store: &Store, sim: Sim, beta: f64, x: &[f64]) -> Option<(Vec<f64>, f64)> {
    match sim {
        Sim::Dot => Some(((0..store.p).map(|mu| beta * Sim::Dot.eval(store.row(mu), x)).collect(), beta)),
        Sim::NegSqeuclid => Some((
            (0..store.p)
                .map(|mu| {
                    let xi = store.row(mu);
                    beta * (2.0 * Sim::Dot.eval(xi, x) - Sim::Dot.eval(xi, xi))
                })
                .collect(),
            2.0 * beta,
        )),
        Sim::NegManhattan => None,
    }
}

/// `E(x)` of `rule` (see [`Energy`]); the quadrature only when `quadrature` is true.
pub fn energy(store: &Store, sim: Sim, beta: f64, rule: Rule, x: &[f64], quadrature: bool) -> Option<Energy> {
    let (z, c) = energy_argument(store, sim, beta, x)?;
    let half = 0.5 * x.iter().map(|v| v * v).sum::<f64>();
    let (map, closed) = match rule {
        Rule::Mchn => (Map::Softmax, ssm::potential_softmax(&z)),
        Rule::Column(i) => (Map::KSoftmax(i), ssm::potential_ksoftmax(&z, i)),
    };
    let q: Option<Quadrature> = quadrature.then(|| ssm::potential_by_quadrature(&z, map));
    Some(Energy {
        quadrature: q.map(|q| half - q.value / c),
        error: q.map(|q| q.error / c),
        closed: half - closed / c,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    fn store(p: usize, n: usize, seed: u64) -> Store {
        let src = Source::new("random", n, 1.0).expect("random");
        let mut s = src.draw(&mut seeded(seed, 1), p);
        // Grey levels, not only 0/1: a generic set of memories.
        let mut r = seeded(seed, 2);
        for v in &mut s.x {
            *v = 0.5 * *v + 0.3 * rng::uniform(&mut r);
        }
        s
    }

    #[test]
    fn the_update_is_a_unit_gradient_step_on_the_energy() {
        // ∇E(x) = x − Ξ g(β sim(Ξ, x)), checked by central differences of the closed-form
        // energy (its agreement with the quadrature is tested in ssm.rs and below).
        let s = store(12, 9, 3);
        let mut r = seeded(4, 1);
        let x: Vec<f64> = (0..9).map(|_| rng::uniform(&mut r)).collect();
        for sim in [Sim::Dot, Sim::NegSqeuclid] {
            for rule in [Rule::Mchn, Rule::Column(1), Rule::Column(2), Rule::Column(4)] {
                let beta = 2.5;
                let (next, _) = step(&s, sim, beta, rule, &x);
                let h = 1e-5;
                for i in 0..x.len() {
                    let (mut xp, mut xm) = (x.clone(), x.clone());
                    xp[i] += h;
                    xm[i] -= h;
                    let e = |y: &[f64]| energy(&s, sim, beta, rule, y, false).expect("defined").closed;
                    let fd = (e(&xp) - e(&xm)) / (2.0 * h);
                    let grad = x[i] - next[i];
                    assert!((fd - grad).abs() < 1e-6, "{sim:?} {rule:?} i={i}: {fd} vs {grad}");
                }
            }
        }
        assert!(energy(&s, Sim::NegManhattan, 1.0, Rule::Mchn, &x, false).is_none());
    }

    #[test]
    fn quadrature_energy_matches_the_closed_form() {
        let s = store(30, 16, 5);
        let x = s.row(3).to_vec();
        for sim in [Sim::Dot, Sim::NegSqeuclid] {
            for rule in [Rule::Mchn, Rule::Column(1), Rule::Column(3)] {
                let e = energy(&s, sim, 4.0, rule, &x, true).expect("defined");
                let q = e.quadrature.expect("evaluated");
                assert!(
                    (q - e.closed).abs() < 1e-7 * (1.0 + e.closed.abs()),
                    "{sim:?} {rule:?}: {q} vs {}",
                    e.closed
                );
            }
        }
    }

    #[test]
    fn mchn_and_first_column_never_raise_the_energy() {
        // E = ½‖x‖² − (convex), and the update is the concave–convex step: E never rises
        // (for softmax and ssm(·;1); columns i ≥ 2 have no such guarantee).
        for seed in 0..5 {
            let s = store(40, 25, seed);
            for sim in [Sim::Dot, Sim::NegSqeuclid] {
                for rule in [Rule::Mchn, Rule::Column(1)] {
                    let mut x = s.row(0).iter().map(|v| 0.5 * v).collect::<Vec<_>>();
                    let mut e0 = energy(&s, sim, 0.7, rule, &x, false).expect("e").closed;
                    for _ in 0..10 {
                        x = step(&s, sim, 0.7, rule, &x).0;
                        let e1 = energy(&s, sim, 0.7, rule, &x, false).expect("e").closed;
                        assert!(
                            e1 <= e0 + 1e-9 * (1.0 + e0.abs()),
                            "seed {seed} {sim:?} {rule:?}: {e0} → {e1}"
                        );
                        e0 = e1;
                    }
                }
            }
        }
    }

    #[test]
    fn occlusion_hides_the_requested_half() {
        let src = Source::new("digits8", 0, 16.0).expect("digits");
        let clean = vec![1.0; 64];
        let x = src.corrupt(&clean, Occlude::Top, 0.0, &[], &mut seeded(1, 1));
        assert_eq!(x.iter().filter(|&&v| v == 0.0).count(), 32);
        assert!(x[..32].iter().all(|&v| v == 0.0) && x[32..].iter().all(|&v| v == 1.0));
        let x = src.corrupt(&clean, Occlude::Left, 0.0, &[0, 5], &mut seeded(1, 1));
        // Pixel 0 is occluded then painted (0 → 16); pixel 5 is visible (1 → 15).
        assert_eq!((x[0], x[5], x[1]), (16.0, 15.0, 0.0));
    }

    #[test]
    fn combined_rows_match_the_direct_sums_on_every_path() {
        let s = store(50, 12, 11);
        let mem = s.to_f32();
        let c = Compute::cpu("test");
        let mut r = seeded(12, 1);
        // Dense weights (the full product), weights on a few memories shared by the rows
        // (the product over those), and very sparse weights (accumulation).
        let dense: Vec<Vec<f64>> = (0..4).map(|_| (0..50).map(|_| rng::uniform(&mut r)).collect()).collect();
        let few: Vec<Vec<f64>> = (0..4)
            .map(|_| (0..50).map(|mu| if mu % 5 == 0 { rng::uniform(&mut r) } else { 1e-40 }).collect())
            .collect();
        let sparse: Vec<Vec<f64>> =
            (0..40).map(|i| (0..50).map(|mu| if mu == i { 1.0 } else { 0.0 }).collect()).collect();
        for w in [dense, few, sparse] {
            let got = pollster::block_on(combine_rows(&c, &mem, &w));
            for (g, row) in got.iter().zip(&w) {
                let want = combine(&s, row);
                for (a, b) in g.iter().zip(&want) {
                    assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn batched_similarities_match_the_f64_definitions() {
        let s = store(23, 17, 8);
        let probes = store(5, 17, 9);
        let c = Compute::cpu("test");
        for sim in [Sim::Dot, Sim::NegSqeuclid, Sim::NegManhattan] {
            let got = pollster::block_on(similarities_batch(&c, sim, &s.to_f32(), &probes.to_f32()));
            for b in 0..5 {
                let want = similarities(sim, &s, probes.row(b));
                for (mu, w) in want.iter().enumerate() {
                    let g = f64::from(got.at(b, mu));
                    assert!((g - w).abs() <= 1e-5 * (1.0 + w.abs()), "{sim:?} ({b},{mu}): {g} vs {w}");
                }
            }
        }
    }
}
