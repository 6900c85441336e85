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
use hopfield_playground::compute::Compute;
use hopfield_playground::labs::NoProgress;
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
