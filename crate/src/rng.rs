//! Portable seeded randomness.
//!
//! Every experiment draws from ChaCha8 seeded from the URL's `seed=`; independent
//! parts of an experiment (the patterns, the probe, each trial of a sweep) use
//! separate ChaCha streams of the same seed, so that they stay reproducible when
//! one part changes and can run in any order or in parallel.
//!
//! Only draws whose results do not depend on the platform's word size are used
//! (`u64` ranges, never `usize` ranges), so the same seed gives the same numbers
//! natively and in 32-bit WebAssembly (tested in `tests/wasm.rs` against the
//! same golden values as the native unit test below).

use rand::{Rng as _, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator every model uses.
pub type Rng = ChaCha8Rng;

/// Named ChaCha streams, so that parts of one experiment never share draws.
pub mod stream {
    /// Stored patterns (or synthetic data).
    pub const PATTERNS: u64 = 1;
    /// Probe corruption.
    pub const PROBE: u64 = 2;
    /// Asynchronous update orders.
    pub const ORDER: u64 = 3;
    /// Sweeps and capacity curves: trial `t` of cell `c` uses `SWEEP + c * 2^20 + t`.
    pub const SWEEP: u64 = 1 << 32;
}

/// A generator for `seed` on one named stream.
pub fn seeded(seed: u64, stream: u64) -> Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A generator for trial `trial` of sweep cell `cell`.
pub fn for_trial(seed: u64, cell: u64, trial: u64) -> Rng {
    seeded(seed, stream::SWEEP + (cell << 20) + trial)
}

/// A uniformly random index in `0..n` (`n > 0`), identical on 32- and 64-bit targets.
pub fn index(rng: &mut Rng, n: usize) -> usize {
    debug_assert!(n > 0);
    rng.random_range(0..n as u64) as usize
}

/// `n` independent uniform ±1 spins.
pub fn spins(rng: &mut Rng, n: usize) -> Vec<i8> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let bits = rng.next_u64();
        for b in 0..64.min(n - out.len()) {
            out.push(if (bits >> b) & 1 == 1 { 1 } else { -1 });
        }
    }
    out
}

/// A uniform f64 in `[0, 1)`.
pub fn uniform(rng: &mut Rng) -> f64 {
    rng.random::<f64>()
}

/// A standard normal draw (rand_distr's ziggurat).
pub fn normal(rng: &mut Rng) -> f64 {
    rng.sample(rand_distr::StandardNormal)
}

/// Fisher–Yates shuffle with portable index draws.
pub fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = index(rng, i + 1);
        items.swap(i, j);
    }
}

/// `k` distinct indices from `0..n`, in the order drawn (partial Fisher–Yates).
pub fn choose_distinct(rng: &mut Rng, n: usize, k: usize) -> Vec<usize> {
    let k = k.min(n);
    let mut all: Vec<usize> = (0..n).collect();
    for i in 0..k {
        let j = i + index(rng, n - i);
        all.swap(i, j);
    }
    all.truncate(k);
    all
}

/// A digest of the first draws of each kind for `seed`: the golden values that the
/// native and the wasm test both compare against.
pub fn portability_digest(seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed, stream::PATTERNS);
    let mut out: Vec<f64> = spins(&mut rng, 70).iter().map(|&s| f64::from(s)).collect();
    out.extend((0..5).map(|_| index(&mut rng, 1_000_003) as f64));
    out.extend((0..5).map(|_| uniform(&mut rng)));
    out.extend((0..200).map(|_| normal(&mut rng)));
    let mut perm: Vec<usize> = (0..10).collect();
    shuffle(&mut rng, &mut perm);
    out.extend(perm.iter().map(|&i| i as f64));
    out
}

/// Golden summary of `portability_digest(42)`: (sum of the values, sum of squares,
/// a few exact entries). Computed natively once; the wasm build must agree exactly.
pub const GOLDEN_42: (f64, f64, [f64; 4]) =
    (2295179.4664707556, 1567915555433.8196, [482416.0, 0.053163919904910206, 1.1234613913446756, 8.0]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a: Vec<f64> = (0..8).map(|_| uniform(&mut seeded(7, 1))).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]), "same seed and stream repeat");
        let mut r1 = seeded(7, 1);
        let mut r2 = seeded(7, 2);
        assert_ne!(uniform(&mut r1), uniform(&mut r2));
    }

    #[test]
    fn spins_are_balanced() {
        let s = spins(&mut seeded(1, 1), 100_000);
        let sum: i64 = s.iter().map(|&x| i64::from(x)).sum();
        assert!(sum.abs() < 1500, "sum {sum}");
        assert!(s.iter().all(|&x| x == 1 || x == -1));
    }

    #[test]
    fn choose_distinct_gives_distinct_indices() {
        let mut v = choose_distinct(&mut seeded(3, 2), 50, 20);
        assert_eq!(v.len(), 20);
        v.sort_unstable();
        v.dedup();
        assert_eq!(v.len(), 20);
        assert!(v.iter().all(|&i| i < 50));
        assert_eq!(choose_distinct(&mut seeded(3, 2), 5, 9).len(), 5);
    }

    #[test]
    fn normal_draws_have_unit_variance() {
        let mut rng = seeded(11, 1);
        let xs: Vec<f64> = (0..50_000).map(|_| normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.02 && (var - 1.0).abs() < 0.03, "{mean} {var}");
    }

    #[test]
    fn digest_matches_golden_values() {
        let d = portability_digest(42);
        let sum: f64 = d.iter().sum();
        let sq: f64 = d.iter().map(|x| x * x).sum();
        assert_eq!((sum, sq, [d[70], d[75], d[80], d[284]]), GOLDEN_42);
    }
}
