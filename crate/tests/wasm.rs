//! Tests that run inside headless Chromium (wasm32): the seeded RNG gives the same
//! numbers as natively, and the core's browser entry points behave.
#![cfg(target_arch = "wasm32")]

use hopfield_playground::{api, compute::Compute, labs::NoProgress, params::from_query, rng};
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
