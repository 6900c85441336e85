//! The khopfield lab's GPU path on whatever adapter wgpu finds (lavapipe in CI): the L1
//! distance kernel against the f64 reference on odd shapes, and the lab's three
//! similarities (cross-Gram, −squared Euclidean from it, −L1) through a GPU `Compute`
//! against the CPU ones. No adapter is a failure unless `HOPFIELD_ALLOW_NO_GPU=1`.
//!
//! Tolerances: a sum of `n` non-negative f32 terms is within `n·2⁻²⁴` relative of the exact
//! sum; for the lengths used here (≤ 784) we allow 1e-5 relative (as the Gram tests do) plus
//! 1e-6 absolute. −squared Euclidean subtracts norms from a Gram entry: 1e-5 of the norms.
#![cfg(not(target_arch = "wasm32"))]

use hopfield_playground::compute::{Compute, Mat, l1};
use hopfield_playground::labs::khopfield::model::{Occlude, Sim, Source, similarities_batch};
use hopfield_playground::rng::{normal, seeded};

mod common;

fn random(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
    let mut rng = seeded(seed, 21);
    Mat { rows, cols, data: (0..rows * cols).map(|_| normal(&mut rng)).collect() }
}

#[test]
fn l1_distances_should_match_reference() {
    let Some(g) = common::gpu("khopfield GPU tests") else { return };
    for &(m, p, n) in &[(1, 1, 1), (1, 9, 3), (9, 1, 17), (63, 65, 16), (64, 64, 64), (65, 130, 33), (129, 70, 300), (5, 200, 784)] {
        let (x, y) = (random(m, n, (m * 31 + n) as u64), random(p, n, (p * 17 + n) as u64));
        let want = l1::l1_distances(&x, &y);
        let got = pollster::block_on(g.l1_distances(&x.to_f32(), &y.to_f32())).expect("l1 on the GPU");
        assert_eq!((got.rows, got.cols), (m, p));
        for i in 0..m {
            for j in 0..p {
                let (a, b) = (f64::from(got.at(i, j)), want.at(i, j));
                assert!((a - b).abs() <= 1e-5 * b + 1e-6, "{m}×{p}×{n} ({i},{j}): gpu {a} vs reference {b}");
            }
        }
    }
}

#[test]
fn lab_similarities_on_the_gpu_equal_the_cpu_ones() {
    let Some(g) = common::gpu("khopfield GPU tests") else { return };
    let gpu = Compute::with_gpu(g);
    let cpu = Compute::cpu("reference");
    for scale in [1.0, 255.0] {
        let src = Source::new("mnist", 0, scale).expect("MNIST is embedded natively");
        let mut rng = seeded(4, 1);
        let store = src.draw(&mut rng, 301);
        let mut probes = Vec::new();
        for i in 0..37 {
            probes.extend(src.corrupt(store.row(i * 7), Occlude::Top, 0.1, &[], &mut rng).iter().map(|&v| v as f32));
        }
        let probes = Mat { rows: 37, cols: store.n, data: probes };
        let mem = store.to_f32();
        let norm = |m: &Mat<f32>, i: usize| m.row(i).iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>();
        for sim in [Sim::Dot, Sim::NegSqeuclid, Sim::NegManhattan] {
            let got = pollster::block_on(similarities_batch(&gpu, sim, &mem, &probes));
            let want = pollster::block_on(similarities_batch(&cpu, sim, &mem, &probes));
            assert!(gpu.fallbacks().is_empty(), "{:?}", gpu.fallbacks());
            for b in 0..probes.rows {
                for mu in 0..mem.rows {
                    let (a, w) = (f64::from(got.at(b, mu)), f64::from(want.at(b, mu)));
                    let tol = match sim {
                        Sim::NegSqeuclid => 1e-5 * (norm(&probes, b) + norm(&mem, mu)) + 1e-6,
                        _ => 1e-5 * w.abs() + 1e-6,
                    };
                    assert!((a - w).abs() <= tol, "{sim:?} scale {scale} ({b},{mu}): gpu {a} vs cpu {w}");
                }
            }
        }
    }
}
