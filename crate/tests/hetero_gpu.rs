//! The hetero lab's GPU path: `J = Y Xᵀ` through the compute engine on the GPU against an
//! f64 CPU reference, and the `spectrum` part on the GPU against the CPU, on whatever
//! adapter wgpu finds (lavapipe in CI; no adapter is a failure unless
//! `HOPFIELD_ALLOW_NO_GPU=1`).
//!
//! Tolerances: each entry of the f32 J (GPU and CPU) is within 1e-5·Σ_μ|η_iμ ξ_jμ| + 1e-6 of
//! the f64 sum (the worst-case f32 accumulation bound `gpu_kernels.rs` uses for the
//! cross-Gram); eigenvalues of the f32 J move by ~1e-6, compared at 1e-4.
#![cfg(not(target_arch = "wasm32"))]

use hopfield_playground::api::run_query;
use hopfield_playground::compute::Compute;
use hopfield_playground::labs::NoProgress;
use hopfield_playground::labs::hetero::ensemble::{Entries, coupling, coupling_reference, draw};
use hopfield_playground::rng::seeded;
use serde_json::Value;

mod common;

fn gpu_compute() -> Option<Compute> {
    common::gpu("hetero GPU tests").map(Compute::with_gpu)
}

#[test]
fn gpu_coupling_equals_the_cpu_coupling() {
    let Some(gpu) = gpu_compute() else { return };
    // Odd shapes (not multiples of the GEMM tiles), both entry kinds, α below and above 1.
    for (n, p, tau, entries) in
        [(173, 61, 0.5, Entries::Gauss), (130, 301, -0.7, Entries::Gauss), (97, 150, 0.3, Entries::Binary)]
    {
        let pairs = draw(n, p, tau, entries, &mut seeded(3, 1));
        let want = coupling_reference(&pairs);
        let got = pollster::block_on(coupling(&gpu, &pairs));
        assert!(gpu.fallbacks().is_empty(), "GPU fell back: {:?}", gpu.fallbacks());
        let cpu = pollster::block_on(coupling(&Compute::cpu("test"), &pairs));
        assert_eq!((got.rows, got.cols), (n, n));
        let mut worst: f64 = 0.0;
        for i in 0..n {
            for j in 0..n {
                let abs: f64 = (0..p)
                    .map(|m| (f64::from(pairs.values.at(i, m)) * f64::from(pairs.keys.at(j, m))).abs())
                    .sum();
                let tol = 1e-5 * abs + 1e-6;
                let (g, c, w) = (f64::from(got.at(i, j)), f64::from(cpu.at(i, j)), want.at(i, j));
                worst = worst.max((g - w).abs() / tol);
                assert!((g - w).abs() <= tol, "N={n} P={p} ({i},{j}): gpu {g} f64 {w}");
                assert!((c - w).abs() <= tol, "N={n} P={p} ({i},{j}): cpu {c} f64 {w}");
            }
        }
        eprintln!("N={n} P={p} {entries:?}: worst GPU error {worst:.3} of the tolerance");
    }
}

fn run(q: &str, compute: &Compute) -> Value {
    pollster::block_on(run_query(q, &["spectrum"], &mut NoProgress, compute)).expect("runs").to_json_value()
}

#[test]
fn gpu_spectrum_matches_the_cpu_spectrum() {
    let Some(gpu) = gpu_compute() else { return };
    let q = "v=1&lab=hetero&n=150&alpha=1.4&tau=0.4";
    let (c, g) = (run(q, &Compute::cpu("test")), run(q, &gpu));
    assert!(gpu.fallbacks().is_empty(), "GPU fell back: {:?}", gpu.fallbacks());
    assert_eq!((c["backend"].as_str(), g["backend"].as_str()), (Some("cpu"), Some("gpu")));
    for key in ["rightmost", "mean"] {
        let (a, b) = (c[key].as_f64().unwrap_or(f64::NAN), g[key].as_f64().unwrap_or(f64::NAN));
        assert!((a - b).abs() < 1e-4, "{key}: cpu {a} gpu {b}");
    }
    let re = |v: &Value| -> Vec<f64> {
        v["eigenvalues"]["re"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let (a, b) = (re(&c), re(&g));
    assert_eq!(a.len(), 150);
    // Sorted real parts: a perturbation of size δ moves each sorted value by at most ~δ.
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-4, "cpu {x} gpu {y}");
    }
}
