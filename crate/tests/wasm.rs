//! Tests that run inside headless Chromium (wasm32): the seeded RNG gives the same
//! numbers as natively, and the core's browser entry points behave.
#![cfg(target_arch = "wasm32")]

use hopfield_playground::api::{self, from_query};
use hopfield_playground::{compute::Compute, labs::NoProgress, rng};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The same golden values as the native unit test `rng::tests::digest_matches_golden_values`.
#[wasm_bindgen_test]
fn rng_digest_matches_the_native_golden_values() {
    let d = rng::portability_digest(42);
    let sum: f64 = d.iter().sum();
    let sq: f64 = d.iter().map(|x| x * x).sum();
    assert_eq!((sum, sq, [d[70], d[75], d[80], d[284]]), rng::GOLDEN_42);
}

#[wasm_bindgen_test]
fn query_parsing_survives_hostile_input() {
    for q in [
        "lab=classic&n=%FF%FE",
        "lab=classic&flips=1,2,3,-4,99999999999999999999",
        "lab=%00",
        "&&&==&",
        "lab=classic&p=1e308&flip=inf",
    ] {
        let parsed = from_query(q);
        if let Some(s) = parsed.state() {
            assert!(from_query(&s.to_query()).notices.is_empty(), "{q}");
        }
    }
}

/// A classic run in wasm reproduces a value computed natively (integer-exact energies).
#[wasm_bindgen_test]
async fn classic_run_is_exact_in_wasm() {
    let r = api::run_query(
        "lab=classic&seed=1&n=16&p=2&flip=0&cap_n=20&cap_points=2&cap_trials=2",
        &[],
        &mut NoProgress,
        &Compute::cpu("test"),
    )
    .await
    .expect("runs");
    let json = r.to_json_value();
    // Two stored patterns probed without noise: E = −(N² + m² − P·N)/(2N) with m = ξ¹·ξ²,
    // a multiple of 1/(2N) = 1/32, exactly representable.
    let e = json["frames"][0]["energy"].as_f64().expect("energy");
    assert_eq!(e * 32.0, (e * 32.0).round());
    assert_eq!(json["recalled"], serde_json::json!(true));
}

/// The dense lab's trajectory uses `libm` for every transcendental function, so WebAssembly
/// reproduces the native numbers to the bit (values printed by the native CLI for this query).
#[wasm_bindgen_test]
async fn dense_trajectory_matches_native_bits() {
    let r = api::run_query(
        "lab=dense&lagrangian=sleaky&w12=0.7&w21=-0.4&x0=1.3&y0=-2.1",
        &["trajectory"],
        &mut NoProgress,
        &Compute::cpu("test"),
    )
    .await
    .expect("runs");
    let t = &r.to_json_value()["trajectory"];
    let last = |k: &str| t[k].as_array().and_then(|a| a.last()).and_then(|v| v.as_f64());
    assert_eq!(t["stats"]["steps"], 201);
    assert_eq!(last("x"), Some(1.2902395423054136));
    assert_eq!(last("y"), Some(0.5794752335345572));
    assert_eq!(t["energies"][0]["values"][201].as_f64(), Some(-0.6785137222034242));
}

/// The particle flow advances and renders in WebAssembly; a stiff system stops particles.
#[wasm_bindgen_test]
fn dense_flow_advances_and_stops_bad_particles() {
    use hopfield_playground::web::dense::DenseFlow;
    let mut flow = DenseFlow::new("lab=dense&particles=500", 60, 60);
    let before = flow.positions();
    let mut rgba = vec![0u8; 60 * 60 * 4];
    let live = flow.frame(1.0 / 60.0, &mut rgba);
    assert_eq!(live, 500);
    assert_ne!(before, flow.positions());
    assert!(rgba.chunks(4).any(|p| p[3] == 255));
    flow.configure("lab=dense&particles=500&lagrangian=tanh&w11=-400&w12=0&w21=0&w22=-400&b1=0&b2=0");
    for _ in 0..3 {
        flow.frame(1.0 / 60.0, &mut rgba);
    }
    let status: serde_json::Value = serde_json::from_str(&flow.status()).expect("json");
    assert!(status["stopped_unstable"].as_u64().unwrap_or(0) > 0, "{status}");
}

/// The dense lab's GPU particle kernel on the browser's WebGPU adapter (SwiftShader here:
/// webdriver.json enables it) against the CPU path, for every dynamics and Lagrangian:
/// three frames of the page's plan. Positions of particles moving on both paths agree to
/// 1e-5·(1 + |x|) (the native tolerance, `tests/dense_gpu_particles.rs`); statuses may
/// differ only where f32 rounding decides a borderline step (at most 2% here).
#[wasm_bindgen_test]
async fn dense_gpu_particles_match_the_cpu_on_the_browser_adapter() {
    use hopfield_playground::compute::gpu::Gpu;
    use hopfield_playground::labs::dense::lagrangian::Lagrangian;
    use hopfield_playground::labs::dense::particles::{LIVE, advect, advect_gpu, moving};
    use hopfield_playground::labs::dense::system::{Dynamics, System};
    let gpu = Gpu::new().await.expect("a WebGPU adapter (webdriver.json passes --enable-unsafe-webgpu)");
    let k = 12;
    let start: Vec<f32> = (0..k * k)
        .flat_map(|i| [-3.0 + (0.37 + (i % k) as f32) * 0.5, -3.0 + (0.61 + (i / k) as f32) * 0.5])
        .collect();
    for lag in Lagrangian::ALL {
        for dynamics in Dynamics::ALL {
            let sys =
                System::new(2, vec![0.8, -1.3, 0.9, 0.4], vec![0.2, -0.4], lag, dynamics).expect("valid");
            let (mut pc, mut sc) = (start.clone(), vec![LIVE; k * k]);
            let (mut pg, mut sg) = (start.clone(), vec![LIVE; k * k]);
            for _ in 0..3 {
                advect(&sys, &mut pc, &mut sc, 1.0 / 60.0, 1, 3.0);
                advect_gpu(&gpu, &sys, &mut pg, &mut sg, 1.0 / 60.0, 1, 3.0).await.expect("gpu advect");
            }
            let differ = sc.iter().zip(&sg).filter(|(a, b)| a != b).count();
            assert!(differ * 50 <= k * k, "{lag:?} {dynamics:?}: {differ} statuses differ");
            for i in (0..k * k).filter(|&i| sc[i] == sg[i] && moving(sc[i])) {
                let scale = 1.0 + pc[2 * i].abs().max(pc[2 * i + 1].abs());
                for c in 0..2 {
                    let (a, b) = (pc[2 * i + c], pg[2 * i + c]);
                    assert!(
                        (a - b).abs() <= 1e-5 * scale,
                        "{lag:?} {dynamics:?} particle {i}: cpu {a} gpu {b}"
                    );
                }
            }
        }
    }
}

/// A small KLR network trains, reports its forces and recalls in wasm; the loss starts at
/// P·N·ln 2 and the numbers agree with the native run to the tolerance the browser
/// test states (1e-7 relative): values computed natively for this query.
#[wasm_bindgen_test]
async fn klr_network_runs_in_wasm() {
    let r = api::run_query(
        "lab=klr&n=30&p=12&gamma=0.05&epochs=50&tests=12&cap_points=1",
        &["network"],
        &mut NoProgress,
        &Compute::cpu("test"),
    )
    .await
    .expect("runs");
    let json = r.to_json_value();
    assert_eq!(json["training"]["status"], "budget");
    let l0 = json["training"]["loss"][0].as_f64().expect("loss");
    assert!((l0 - 360.0 * 2f64.ln()).abs() < 1e-12 * l0, "{l0}");
    assert_eq!(json["recall_test"]["success_rate"], 1.0);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-7 * a.abs().max(b.abs());
    let m = json["at_target"]["sharpness"].as_f64().expect("M");
    let sr = json["stable_rank"].as_f64().expect("stable rank");
    assert!(close(m, KLR_NATIVE.0), "M = {m}");
    assert!(close(sr, KLR_NATIVE.1), "stable rank = {sr}");
}

/// `(M at pattern 0, stable rank)` of `klr_network_runs_in_wasm`'s query, computed natively.
const KLR_NATIVE: (f64, f64) = (64.50009236402383, 5.341007526323798);

/// The browser's f32 GEMM (`sgemm4x8`, SIMD128 lanes here) against `matrixmultiply` and
/// an f64 reference, at shapes across its 4 × 8 tile and its 640-deep blocks: both within
/// the f32 bound `(k + 3)·u·Σ|a_ik·b_kj|` of the exact product; with `A` packed once, the
/// same bits.
#[wasm_bindgen_test]
fn the_simd128_f32_gemm_matches_the_reference_products() {
    use hopfield_playground::compute::{Mat, cpu};
    for &(m, k, n) in &[(1, 1, 1), (5, 9, 9), (13, 257, 17), (33, 600, 100), (64, 300, 100), (9, 1283, 20)] {
        let val = |i: usize, s: u64| {
            ((i as u64).wrapping_mul(2_654_435_761).wrapping_add(s) % 1000) as f32 / 250.0 - 2.0
        };
        let a = Mat { rows: m, cols: k, data: (0..m * k).map(|i| val(i, 1)).collect() };
        let b = Mat { rows: k, cols: n, data: (0..k * n).map(|i| val(i, 2)).collect() };
        let mut ours = Mat::<f32>::zeros(m, n);
        cpu::sgemm4x8::sgemm((m, k, n), 1.0, (&a.data, k), (&b.data, n), 0.0, (&mut ours.data, n));
        // `A` packed once (as a KLR training packs `K`): the same bits as the product that
        // packs per call, at every size (whichever kernel the size picks).
        let mut packed = Mat::<f32>::zeros(m, n);
        cpu::gemm_packed_f32(1.0, &cpu::PackedF32::new(a.clone(), n), &b, 0.0, &mut packed);
        let mut per_call = Mat::<f32>::zeros(m, n);
        cpu::gemm_acc_f32(1.0, &a, &b, 0.0, &mut per_call);
        assert!(
            per_call.data.iter().zip(&packed.data).all(|(x, y)| x.to_bits() == y.to_bits()),
            "{m}x{k}x{n}"
        );
        let mut mm = Mat::<f32>::zeros(m, n);
        cpu::sgemm_matrixmultiply(1.0, &a, &b, 0.0, &mut mm);
        for (name, c) in [("sgemm4x8", &ours), ("matrixmultiply", &mm)] {
            let worst = cpu::f32_product_error_over_bound(&a, &b, c);
            assert!(worst <= 1.0, "{name} {m}x{k}x{n}: error {worst} of the bound");
        }
    }
}
