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
