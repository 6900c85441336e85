//! The khopfield lab's GPU path on whatever adapter wgpu finds (lavapipe in CI): the L1
//! distance kernel against the f64 reference on odd shapes, and the lab's three
//! similarities (cross-Gram, −squared Euclidean from it, −L1) through a GPU `Compute`
//! against the CPU ones. No adapter is a failure unless `HOPFIELD_ALLOW_NO_GPU=1`.
//!
//! Tolerances: a sum of `n` non-negative f32 terms is within `n·2⁻²⁴` relative of the exact
//! sum; for the lengths used here (≤ 784) we allow 1e-5 relative (as the Gram tests do) plus
//! 1e-6 absolute; a dot product of noisy (signed) vectors: 1e-5 of Σ|x_t y_t|. −squared
//! Euclidean subtracts norms from a Gram entry: 1e-5 of the norms.
#![cfg(not(target_arch = "wasm32"))]

use hopfield_playground::compute::{Compute, Mat, l1};
use hopfield_playground::labs::NoProgress;
use hopfield_playground::labs::khopfield::experiments::{CapConfig, RecallConfig, capacity, recall_at_k};
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
    for &(m, p, n) in &[
        (1, 1, 1),
        (1, 9, 3),
        (9, 1, 17),
        (63, 65, 16),
        (64, 64, 64),
        (65, 130, 33),
        (129, 70, 300),
        (5, 200, 784),
    ] {
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
            probes.extend(
                src.corrupt(store.row(i * 7), Occlude::Top, 0.1, &[], &mut rng).iter().map(|&v| v as f32),
            );
        }
        let probes = Mat { rows: 37, cols: store.n, data: probes };
        let mem = store.to_f32();
        let norm =
            |m: &Mat<f32>, i: usize| m.row(i).iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>();
        // Σ_t |q_t ξ_t|: the scale of a dot product whose terms cancel (noisy probes).
        let abs_dot = |a: &Mat<f32>, i: usize, b: &Mat<f32>, j: usize| {
            a.row(i).iter().zip(b.row(j)).map(|(&x, &y)| (f64::from(x) * f64::from(y)).abs()).sum::<f64>()
        };
        for sim in [Sim::Dot, Sim::NegSqeuclid, Sim::NegManhattan] {
            let got = pollster::block_on(similarities_batch(&gpu, sim, &mem, &probes));
            let want = pollster::block_on(similarities_batch(&cpu, sim, &mem, &probes));
            assert!(gpu.fallbacks().is_empty(), "{:?}", gpu.fallbacks());
            for b in 0..probes.rows {
                for mu in 0..mem.rows {
                    let (a, w) = (f64::from(got.at(b, mu)), f64::from(want.at(b, mu)));
                    let tol = match sim {
                        Sim::Dot => 1e-5 * abs_dot(&probes, b, &mem, mu) + 1e-6,
                        Sim::NegSqeuclid => 1e-5 * (norm(&probes, b) + norm(&mem, mu)) + 1e-6,
                        Sim::NegManhattan => 1e-5 * w.abs() + 1e-6,
                    };
                    assert!((a - w).abs() <= tol, "{sim:?} scale {scale} ({b},{mu}): gpu {a} vs cpu {w}");
                }
            }
        }
    }
}

#[test]
fn figures_3_2_and_3_7_on_the_gpu_match_the_cpu() {
    // The same experiments with the similarities (and dense output products) on the GPU: f32
    // rounding may flip a borderline probe, so rates agree to within one probe in 30.
    let Some(g) = common::gpu("khopfield GPU tests") else { return };
    let gpu = Compute::with_gpu(g);
    let cpu = Compute::cpu("reference");
    let src = Source::new("digits8", 0, 16.0).expect("digits");
    for sim in [Sim::Dot, Sim::NegSqeuclid, Sim::NegManhattan] {
        let beta = if sim == Sim::Dot { 0.05 } else { 0.3 };
        let rc = RecallConfig { p: 80, probes: 30, noise_max: 0.4, points: 3, kmax: 3, beta, sim, seed: 5 };
        let a = pollster::block_on(recall_at_k(&src, &rc, &gpu, &mut NoProgress)).expect("gpu");
        let b = pollster::block_on(recall_at_k(&src, &rc, &cpu, &mut NoProgress)).expect("cpu");
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert!((x.recall - y.recall).abs() <= 1.0 / 30.0 + 1e-12, "{sim:?}: {x:?} vs {y:?}");
        }
        let cc = CapConfig {
            pmax: 200,
            trials: 2,
            probes: 30,
            kmax: 3,
            beta,
            sim,
            occlude: Occlude::Top,
            noise: 0.0,
            seed: 6,
        };
        let a = pollster::block_on(capacity(&src, &cc, &gpu, &mut NoProgress)).expect("gpu");
        let b = pollster::block_on(capacity(&src, &cc, &cpu, &mut NoProgress)).expect("cpu");
        for (x, y) in a.iter().zip(&b) {
            assert!((x.success - y.success).abs() <= 1.0 / 30.0 + 1e-12, "{sim:?}: {x:?} vs {y:?}");
        }
    }
    assert!(gpu.fallbacks().is_empty(), "{:?}", gpu.fallbacks());
}
