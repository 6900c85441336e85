//! Hebbian recall from every sample at once: `W = AAᵀ/N − I_M` (Algorithm 1, line 14),
//! `S(0) = sign(Aᵀ)` (line 16), `S ← sign(W S)` until every sample's state is fixed (lines
//! 17–20), then the samples are grouped by their final state (lines 22–25).
//!
//! Synchronous updates of all samples run as one batch on [`Compute::hopfield_sync`] (the
//! GPU in f32 when the page verified one, the CPU in f64 otherwise), which stops each row at
//! a fixed point, at a 2-cycle, or at the step cap. Algorithm 1 loops until no state changes,
//! which never happens when a state 2-cycles; here such a sample is reported as cycling and
//! grouped by its cycle (the pair of states, identified by the lexicographically smaller
//! one), and a sample still changing at the cap is grouped by its last state; neither counts
//! as converged. Asynchronous updates (one neuron at a time, a fresh random order each
//! sweep) run on the CPU.

use crate::compute::{Compute, Mat, RowStatus, cpu};
use crate::rng::{self, Rng};
use std::collections::BTreeMap;

/// Update rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Sync,
    Async,
}

/// How a group's samples ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// A fixed point `s = sign(W s)`.
    Fixed,
    /// A 2-cycle (synchronous updates only).
    Cycle,
    /// Still changing at the step cap.
    Capped,
}

/// The samples that ended in one state.
#[derive(Debug, Clone)]
pub struct Group {
    /// The state (±1 per kept feature); for a cycle, the smaller of its two states.
    pub state: Vec<i8>,
    /// Indices (rows of the data passed in) of the samples, ascending.
    pub members: Vec<usize>,
    pub end: End,
}

/// All samples' final states, grouped.
#[derive(Debug, Clone)]
pub struct Settled {
    /// Largest group first (ties: smallest first member first).
    pub groups: Vec<Group>,
    /// Samples that reached a fixed point, 2-cycled, or hit the cap.
    pub fixed: usize,
    pub cycles: usize,
    pub capped: usize,
    /// The most steps (sweeps) any sample took.
    pub max_steps: u32,
}

impl Settled {
    /// Distinct fixed points.
    pub fn distinct_fixed(&self) -> usize {
        self.groups.iter().filter(|g| g.end == End::Fixed).count()
    }
}

/// The Hebbian coupling `W = AAᵀ/N − I_M` of samples `a` (`N × M`, rows), in f64.
pub fn coupling(a: &Mat<f64>) -> Mat<f64> {
    let n = a.rows.max(1) as f64;
    let mut w = cpu::gram_threads(&a.transpose(), super::spectrum::threads());
    for v in &mut w.data {
        *v /= n;
    }
    for i in 0..w.rows {
        w.data[i * w.cols + i] -= 1.0;
    }
    w
}

/// `sign(x)` with `sign(0) = +1`.
fn sgn(x: f64) -> f64 {
    if x >= 0.0 { 1.0 } else { -1.0 }
}

/// Settle every sample of `a` (`N × M`) under `W = AAᵀ/N − I`, at most `steps` steps
/// (sweeps), and group the samples by final state. `rng` orders asynchronous updates.
pub async fn settle(compute: &Compute, a: &Mat<f64>, mode: Mode, steps: usize, rng: &mut Rng) -> Settled {
    // Both paths use the coupling rounded to f32, as the GPU receives it.
    let w32 = coupling(a).to_f32();
    let w = w32.to_f64();
    let mut s0 = a.clone();
    for v in &mut s0.data {
        *v = sgn(*v);
    }
    let (states, ends, step_counts) = match mode {
        Mode::Sync => {
            let r = compute.hopfield_sync(&w32, &s0.to_f32(), steps).await;
            let ends = r
                .status
                .iter()
                .map(|s| match s {
                    RowStatus::Fixed => End::Fixed,
                    RowStatus::Cycle => End::Cycle,
                    RowStatus::Running => End::Capped,
                })
                .collect::<Vec<_>>();
            (r.states.to_f64(), ends, r.steps)
        }
        Mode::Async => settle_async(&w, &s0, steps, rng),
    };
    let m = a.cols;
    // The other state of each cycle, sign(W s), for all cycling samples in one product.
    let cycling: Vec<usize> = (0..ends.len()).filter(|&r| ends[r] == End::Cycle).collect();
    let mut partner = Mat::zeros(cycling.len(), m);
    for (k, &r) in cycling.iter().enumerate() {
        partner.row_mut(k).copy_from_slice(states.row(r));
    }
    let partner = cpu::matmul(&partner, &w);
    let mut map: BTreeMap<(End, Vec<i8>), Vec<usize>> = BTreeMap::new();
    for (r, &end) in ends.iter().enumerate() {
        let s: Vec<i8> = states.row(r).iter().map(|&v| if v > 0.0 { 1 } else { -1 }).collect();
        let key = if end == End::Cycle {
            let k = cycling.binary_search(&r).unwrap_or(0);
            let other: Vec<i8> = partner.row(k).iter().map(|&h| if h >= 0.0 { 1 } else { -1 }).collect();
            if other < s { other } else { s }
        } else {
            s
        };
        map.entry((end, key)).or_default().push(r);
    }
    let mut groups: Vec<Group> =
        map.into_iter().map(|((end, state), members)| Group { state, members, end }).collect();
    groups.sort_by(|x, y| y.members.len().cmp(&x.members.len()).then(x.members[0].cmp(&y.members[0])));
    let count = |e: End| ends.iter().filter(|&&x| x == e).count();
    Settled {
        groups,
        fixed: count(End::Fixed),
        cycles: count(End::Cycle),
        capped: count(End::Capped),
        max_steps: step_counts.iter().copied().max().unwrap_or(0),
    }
}

/// Asynchronous updates of each row of `s0`: sweeps over the neurons in a fresh random
/// order, `s_i ← sign(h_i)` with the field `h = W s` kept up to date; a row is fixed after
/// a sweep that changes nothing.
pub fn settle_async(
    w: &Mat<f64>,
    s0: &Mat<f64>,
    steps: usize,
    rng: &mut Rng,
) -> (Mat<f64>, Vec<End>, Vec<u32>) {
    let m = w.rows;
    let mut s = s0.clone();
    let mut h = cpu::matmul(s0, &w.transpose());
    let mut ends = vec![End::Capped; s0.rows];
    let mut counts = vec![0u32; s0.rows];
    let mut order: Vec<usize> = (0..m).collect();
    for r in 0..s0.rows {
        let (sr, hr) = (&mut s.data[r * m..(r + 1) * m], &mut h.data[r * m..(r + 1) * m]);
        for _ in 0..steps {
            counts[r] += 1;
            rng::shuffle(rng, &mut order);
            let mut changed = false;
            for &i in &order {
                let new = sgn(hr[i]);
                if new != sr[i] {
                    let d = new - sr[i];
                    for (hj, &wji) in hr.iter_mut().zip(w.row(i)) {
                        *hj += d * wji;
                    }
                    sr[i] = new;
                    changed = true;
                }
            }
            if !changed {
                ends[r] = End::Fixed;
                break;
            }
        }
    }
    (s, ends, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    fn data() -> Mat<f64> {
        // Two noisy prototypes in 12 dimensions, 5 samples each.
        let mut rng = seeded(4, 1);
        let p = [
            [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0],
            [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0],
        ];
        let mut a = Mat::zeros(10, 12);
        for r in 0..10 {
            for (c, &v) in p[r % 2].iter().enumerate() {
                a.data[r * 12 + c] = v + 0.3 * rng::normal(&mut rng);
            }
        }
        a
    }

    #[test]
    fn coupling_is_hebb_minus_identity() {
        let a = data();
        let w = coupling(&a);
        for i in 0..12 {
            for j in 0..12 {
                let hebb: f64 = (0..10).map(|r| a.at(r, i) * a.at(r, j)).sum::<f64>() / 10.0;
                let want = hebb - if i == j { 1.0 } else { 0.0 };
                assert!((w.at(i, j) - want).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn sync_groups_are_fixed_points_of_the_rule() {
        let a = data();
        let s = pollster::block_on(settle(&Compute::cpu("test"), &a, Mode::Sync, 50, &mut seeded(1, 3)));
        let w = coupling(&a).to_f32().to_f64();
        assert_eq!(s.groups.iter().map(|g| g.members.len()).sum::<usize>(), 10);
        for g in s.groups.iter().filter(|g| g.end == End::Fixed) {
            for i in 0..12 {
                let h: f64 = (0..12).map(|j| w.at(i, j) * f64::from(g.state[j])).sum();
                assert_eq!(if h >= 0.0 { 1 } else { -1 }, g.state[i], "not a fixed point");
            }
        }
        // The two prototypes are recalled as two distinct states (or their mixtures), never one.
        assert!(s.distinct_fixed() >= 2, "{:?}", s.groups.len());
    }

    #[test]
    fn async_ends_in_fixed_points_that_sync_also_keeps() {
        let a = data();
        let s = pollster::block_on(settle(&Compute::cpu("test"), &a, Mode::Async, 50, &mut seeded(1, 3)));
        assert_eq!(s.fixed, 10, "asynchronous updates of a symmetric W with zero-ish diagonal settle");
        let w = coupling(&a).to_f32().to_f64();
        for g in &s.groups {
            for i in 0..12 {
                let h: f64 = (0..12).map(|j| w.at(i, j) * f64::from(g.state[j])).sum();
                assert_eq!(if h >= 0.0 { 1 } else { -1 }, g.state[i]);
            }
        }
    }

    #[test]
    fn a_two_cycle_is_reported_and_grouped_by_its_pair() {
        // Tiny samples make W = AAᵀ/N − I ≈ −I, which flips every sign each step: each sample
        // 2-cycles between s and −s, and the samples (+,+) and (−,−) share one cycle.
        let a = Mat { rows: 3, cols: 2, data: vec![0.01, 0.02, -0.01, -0.02, 0.01, -0.02] };
        let s = pollster::block_on(settle(&Compute::cpu("test"), &a, Mode::Sync, 10, &mut seeded(1, 3)));
        assert_eq!((s.fixed, s.cycles, s.capped), (0, 3, 0));
        assert_eq!(s.groups.len(), 2);
        assert_eq!(s.groups[0].members, vec![0, 1]);
        assert_eq!(s.groups[0].state, vec![-1, -1]);
        assert_eq!(s.groups[1].state, vec![-1, 1]);
        assert!(s.groups.iter().all(|g| g.end == End::Cycle));
    }
}
