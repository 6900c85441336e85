//! The soft-k-means lab's clustering on the GPU (the compute engine's f32 kernels) against
//! its CPU path (f64 arithmetic, f32 output), through the same query, on whatever adapter
//! wgpu finds (lavapipe in CI; no adapter is a failure unless `HOPFIELD_ALLOW_NO_GPU=1`).
//!
//! Tolerances: one update in f32 against f64 differs by ~1e-7 relative, and the lab's
//! clustering stops at max(ε, 1e-5·(1 + σ)), so the stopping update may differ by one or two
//! (the compute engine's own test allows 2). Every centre of every shared trajectory step
//! and the final centres must agree within 1e-3 of the data scale, attention entries within
//! 1e-3, and the most likely centre of every point must be the same; the image part's
//! quantised pixels within 2 levels of 255 for at least 99% of the channels. The gradients
//! are f64 CPU code either way and must be byte-identical.
#![cfg(not(target_arch = "wasm32"))]

use hopfield_playground::api::run_query;
use hopfield_playground::compute::Compute;
use hopfield_playground::labs::NoProgress;
use serde_json::Value;

mod common;

fn run(query: &str, parts: &[&str], compute: &Compute) -> Value {
    let r = pollster::block_on(run_query(query, parts, &mut NoProgress, compute)).expect("runs");
    assert!(compute.fallbacks().is_empty(), "GPU fell back: {:?}", compute.fallbacks());
    r.to_json_value()
}

fn flat(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(flat).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap_or(f64::NAN)],
        _ => vec![f64::NAN],
    }
}

fn close_all(a: &Value, b: &Value, tol: f64, what: &str) {
    let (x, y) = (flat(a), flat(b));
    assert_eq!(x.len(), y.len(), "{what}: lengths");
    for (i, (p, q)) in x.iter().zip(&y).enumerate() {
        assert!((p - q).abs() <= tol, "{what}[{i}]: cpu {p} gpu {q}");
    }
}

#[test]
fn gpu_clustering_matches_the_cpu() {
    let Some(gpu) = common::gpu("soft k-means GPU tests").map(Compute::with_gpu) else { return };
    for q in [
        "v=1&lab=softkmeans&m=120&d=2&blobs=3&k=3&tau=0.3&iters=30",
        "v=1&lab=softkmeans&m=60&d=3&blobs=4&k=5&tau=0.05&iters=30&seed=7",
        "v=1&lab=softkmeans&data=image&m=80&k=4&tau=0.05&iters=30",
    ] {
        let cpu = run(q, &["cluster", "gradients"], &Compute::cpu("test"));
        let g = run(q, &["cluster", "gradients"], &gpu);
        assert_eq!((cpu["backend"].as_str(), g["backend"].as_str()), (Some("cpu"), Some("gpu")));
        let (tc, tg) = (cpu["trajectory"].as_array().expect("cpu"), g["trajectory"].as_array().expect("gpu"));
        assert!(tc.len().abs_diff(tg.len()) <= 2, "{q}: {} vs {} steps", tc.len(), tg.len());
        for (t, (a, b)) in tc.iter().zip(tg).enumerate() {
            close_all(a, b, 1e-3, &format!("{q}: centres at update {t}"));
        }
        close_all(&cpu["centres"], &g["centres"], 1e-3, &format!("{q}: final centres"));
        close_all(&cpu["attention"], &g["attention"], 1e-3, &format!("{q}: attention"));
        assert_eq!(cpu["labels"], g["labels"], "{q}: most likely centres");
        // The gradients never touch the GPU.
        for key in ["grad_unrolled", "grad_implicit", "grad_jfb", "grad_fd", "err_implicit"] {
            assert_eq!(cpu[key], g[key], "{q}: {key}");
        }
    }
}

#[test]
fn gpu_image_quantisation_matches_the_cpu() {
    let Some(gpu) = common::gpu("soft k-means GPU tests").map(Compute::with_gpu) else { return };
    let q = "v=1&lab=softkmeans&ik=4&itau=0.01&iters=12";
    let cpu = run(q, &["image"], &Compute::cpu("test"));
    let g = run(q, &["image"], &gpu);
    let (ci, gi) = (&cpu["image"]["current"], &g["image"]["current"]);
    close_all(&ci["centres"], &gi["centres"], 2e-3, "image centres");
    for key in ["soft", "hard"] {
        let (a, b) = (flat(&ci[key]), flat(&gi[key]));
        assert_eq!(a.len(), 96 * 64 * 3);
        let near = a.iter().zip(&b).filter(|(x, y)| (*x - *y).abs() <= 2.0).count();
        assert!(
            near as f64 >= 0.99 * a.len() as f64,
            "{key}: {near} of {} channels within 2 levels",
            a.len()
        );
    }
}
