//! The KLR lab's GPU path (training with every epoch on the GPU, batched recall) against
//! its f64 CPU path, through the same query, on whatever adapter wgpu finds (lavapipe in
//! CI; no adapter is a failure unless `HOPFIELD_ALLOW_NO_GPU=1`).
//!
//! Tolerances: the GPU trains in f32, so α differs from the f64 α by ~1e-6 relative after
//! 300 epochs; every number derived from it (M, ρ, stable rank, λ_max) is compared with a
//! relative tolerance of 1e-3, statuses and recall outcomes must be identical except in
//! cells whose curvature sits within 10% of the divergence limit 2/η (where f32 and f64
//! may cross the "loss above L_0" line at different epochs; none do in this grid).
#![cfg(not(target_arch = "wasm32"))]

use hopfield_playground::api::run_query;
use hopfield_playground::compute::{Compute, Mat, cpu};
use hopfield_playground::labs::{NoProgress, klr};
use hopfield_playground::rng::{seeded, spins};
use serde_json::Value;

mod common;

fn gpu_compute() -> Option<Compute> {
    common::gpu("KLR GPU tests").map(Compute::with_gpu)
}

fn run(query: &str, parts: &[&str], compute: &Compute) -> Value {
    let r = pollster::block_on(run_query(query, parts, &mut NoProgress, compute)).expect("runs");
    assert!(compute.fallbacks().is_empty(), "GPU fell back: {:?}", compute.fallbacks());
    r.to_json_value()
}

fn close(a: &Value, b: &Value, rel: f64, what: &str) {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => {
            assert!((x - y).abs() <= rel * x.abs().max(y.abs()) + 1e-9, "{what}: cpu {x} gpu {y}")
        }
        _ => assert_eq!(a, b, "{what}"),
    }
}

#[test]
fn gpu_training_and_recall_match_the_cpu() {
    let Some(gpu) = gpu_compute() else { return };
    let q = "v=1&lab=klr&n=64&p=40&gamma=0.03&epochs=300&tests=20&flip=0.2";
    let cpu = run(q, &["network"], &Compute::cpu("test"));
    let g = run(q, &["network"], &gpu);
    assert_eq!(cpu["backend"], "cpu");
    assert_eq!(g["backend"], "gpu");
    assert_eq!(cpu["training"]["status"], g["training"]["status"]);
    for key in ["sharpness", "force_direct_sq", "force_indirect_sq", "rho"] {
        let (a, b) = (cpu[key].as_array().expect(key), g[key].as_array().expect(key));
        assert_eq!(a.len(), 40);
        for (x, y) in a.iter().zip(b) {
            close(x, y, 1e-3, key);
        }
    }
    close(&cpu["stable_rank"], &g["stable_rank"], 1e-3, "stable rank");
    close(&cpu["lambda_max"], &g["lambda_max"], 1e-3, "lambda_max");
    assert_eq!(cpu["recall_test"]["success"], g["recall_test"]["success"], "recall outcomes");
    assert_eq!(cpu["recall_test"]["steps"], g["recall_test"]["steps"], "recall steps");
}

#[test]
fn gpu_sweep_gives_the_cpu_heatmap() {
    let Some(gpu) = gpu_compute() else { return };
    // 4 γ × 4 loads at N = 40, with converging, budget-limited and diverging cells.
    let q = "v=1&lab=klr&n=40&sweep=1&sw_gmin=0.002&sw_gmax=0.5&sw_gn=4&sw_lmin=0.2&sw_lmax=2&sw_ln=4&tests=10&epochs=200";
    let cpu = run(q, &["sweep"], &Compute::cpu("test"));
    let g = run(q, &["sweep"], &gpu);
    let (a, b) =
        (cpu["sweep"]["cells"].as_array().expect("cells"), g["sweep"]["cells"].as_array().expect("cells"));
    assert_eq!(a.len(), 16);
    let mut statuses = std::collections::BTreeSet::new();
    for (x, y) in a.iter().zip(b) {
        let curvature = x["curvature_start"].as_f64().unwrap_or(0.0) * 0.1 / 2.0;
        assert!(!(0.9..1.1).contains(&curvature), "cell {} is borderline; change the grid", x["index"]);
        assert_eq!(x["status"], y["status"], "status of cell {}", x["index"]);
        statuses.insert(x["status"].as_str().unwrap_or("").to_string());
        for key in ["log10_sharpness", "rho", "stable_rank", "lambda_max", "force_ratio"] {
            close(&x[key], &y[key], 1e-3, &format!("{key} of cell {}", x["index"]));
        }
        assert_eq!(x["recall_success"], y["recall_success"], "recall of cell {}", x["index"]);
    }
    assert!(statuses.contains("diverged") && statuses.len() >= 2, "{statuses:?}");
}

/// Assert `got ≈ want` entrywise with `tol(i, j)`.
fn close_mat(got: &Mat<f32>, want: &Mat<f64>, tol: impl Fn(usize, usize) -> f64, what: &str) {
    assert_eq!((got.rows, got.cols), (want.rows, want.cols), "{what}: shape");
    for i in 0..want.rows {
        for j in 0..want.cols {
            let (g, w) = (f64::from(got.at(i, j)), want.at(i, j));
            assert!((g - w).abs() <= tol(i, j), "{what}: ({i},{j}) gpu {g} vs reference {w}");
        }
    }
}

/// The documented loop of `labs/klr/train.rs` (`train_gd_cpu`), written out in f64:
/// returns (α kept, losses, status code as in `GpuTrained`, epochs run).
fn klr_gd_reference(
    k: &Mat<f64>,
    xi: &Mat<f64>,
    lambda: f64,
    lr: f64,
    epochs: usize,
    tol: f64,
) -> (Mat<f64>, Vec<f64>, u32, usize) {
    let softplus = |z: f64| z.max(0.0) + (-z.abs()).exp().ln_1p();
    let mut alpha = Mat::zeros(xi.rows, xi.cols);
    let mut prev = alpha.clone();
    let mut loss: Vec<f64> = Vec::new();
    let mut t = 0usize;
    loop {
        let h = cpu::matmul(k, &alpha);
        let mut l = 0.0;
        let mut z = Mat::zeros(xi.rows, xi.cols);
        for i in 0..h.data.len() {
            let (x, hv, a) = (xi.data[i], h.data[i], alpha.data[i]);
            l += softplus(-x * hv) + 0.5 * lambda * a * hv;
            z.data[i] = -x / (1.0 + (x * hv).exp()) + lambda * a;
        }
        loss.push(l);
        if !l.is_finite() {
            return (if t > 0 { prev } else { alpha }, loss, 4, t.saturating_sub(1));
        }
        if t >= 1 {
            if l > loss[0] {
                return (prev, loss, 3, t - 1);
            }
            if (loss[t - 1] - l).abs() <= tol * loss[t - 1].abs() {
                return (alpha, loss, 1, t);
            }
        }
        if t >= epochs {
            return (alpha, loss, 2, t);
        }
        prev = alpha.clone();
        let step = cpu::matmul(k, &z);
        for (a, g) in alpha.data.iter_mut().zip(&step.data) {
            *a -= lr * g;
        }
        t += 1;
    }
}

#[test]
fn klr_gradient_descent_on_the_gpu_matches_the_documented_loop() {
    let Some(g) = common::gpu("KLR GPU tests") else { return };
    let (p, n) = (30, 20);
    let mut rng = seeded(3, 3);
    let xi = Mat { rows: p, cols: n, data: (0..p).flat_map(|_| spins(&mut rng, n)).map(f64::from).collect() };
    for (gamma, tol, want_status) in [(0.05, 1e-6, None), (0.05, 0.0, Some(2)), (0.001, 1e-6, Some(3))] {
        // K_μν = exp(−γ‖ξ^μ − ξ^ν‖²) = exp(2γ(ξ^μ·ξ^ν − N)).
        let mut k = cpu::gram(&xi);
        for v in &mut k.data {
            *v = (2.0 * gamma * (*v - n as f64)).exp();
        }
        let (alpha, loss, status, run) = klr_gd_reference(&k, &xi, 0.01, 0.1, 300, tol);
        let got = pollster::block_on(klr::gpu::train_gd(
            &g,
            &k.to_f32(),
            &xi.to_f32(),
            0.01,
            0.1,
            300,
            tol as f32,
            true,
        ))
        .expect("klr");
        if let Some(s) = want_status {
            assert_eq!(status, s, "reference status at γ={gamma}");
        }
        assert_eq!(got.status, status, "status at γ={gamma}");
        if status == 1 {
            // f32 losses cross the relative tolerance a few epochs apart from f64.
            assert!(got.epochs_run.abs_diff(run) <= 25, "epochs {} vs {run}", got.epochs_run);
        } else {
            assert_eq!(got.epochs_run, run, "epochs at γ={gamma}");
        }
        let scale = alpha.data.iter().fold(0.0f64, |m, a| m.max(a.abs())).max(1e-3);
        // α after up to 300 f32 updates: within 1% of its largest entry.
        close_mat(&got.alpha, &alpha, |_, _| 1e-2 * scale, &format!("alpha γ={gamma}"));
        for (t, (a, b)) in got.loss.iter().zip(&loss).enumerate() {
            assert!((f64::from(*a) - b).abs() <= 1e-4 * b.abs() + 1e-3, "loss[{t}] {a} vs {b}");
        }
    }
}
