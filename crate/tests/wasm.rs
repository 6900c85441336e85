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
