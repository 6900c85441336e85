//! Lab-level tests: parameters, parts, JSON fields, determinism, bad input.

use super::*;
use crate::api::{from_query, run_query_cpu};
use crate::labs::NoProgress;

fn params(q: &str) -> Params {
    from_query(&format!("lab=hhd&{q}")).state().expect("hhd").params
}

#[test]
fn samples_are_clamped_to_what_the_classes_hold() {
    let parsed = from_query("lab=hhd&data=digits8&classes=8&samples=500");
    let p = parsed.state().expect("hhd").params;
    assert_eq!(p.int("samples"), 174);
    assert!(parsed.notices.iter().any(|n| n.key == "samples"));
}

#[test]
fn default_spectrum_states_and_tree_have_the_documented_fields() {
    let r = run_query_cpu(
        "lab=hhd&data=digits8&classes=0,4,6&samples=150",
        &["spectrum", "states", "hhd"],
        &mut NoProgress,
    )
    .expect("runs");
    let j = r.to_json_value();
    for k in [
        "eigenvalues",
        "edge_lower",
        "edge_upper",
        "spike_count",
        "spike_vectors",
        "states",
        "tree",
        "leaves",
        "hhd_metrics",
        "images",
    ] {
        assert!(!j[k].is_null(), "missing {k}");
    }
    let eig = j["eigenvalues"].as_array().expect("eigenvalues");
    assert!(eig.windows(2).all(|w| w[0].as_f64() >= w[1].as_f64()), "descending");
    let spikes = j["spike_count"].as_u64().expect("count") as usize;
    assert_eq!(j["spike_vectors"].as_array().map(Vec::len), Some(spikes.min(MAX_SHOWN)));
    for v in j["spike_vectors"].as_array().expect("vectors") {
        let norm: f64 = v.as_array().expect("vector").iter().map(|x| x.as_f64().unwrap_or(0.0).powi(2)).sum();
        assert!((norm - 1.0).abs() < 1e-3, "unit (4 digits): {norm}");
    }
    let states = j["states"].as_array().expect("states");
    let total: u64 = states.iter().map(|s| s["size"].as_u64().unwrap_or(0)).sum();
    assert_eq!(total, 150, "every sample in one state");
    let root = &j["tree"][0];
    assert_eq!(root["parent"], Json::Null);
    assert_eq!(root["spike_count"].as_u64(), Some(spikes as u64));
}

#[test]
fn same_query_same_json() {
    let q = "lab=hhd&data=synthetic&n=60&samples=200&rank=3&strength=5&sub_count=3";
    let a = run_query_cpu(q, &[], &mut NoProgress).expect("runs").to_json();
    let b = run_query_cpu(q, &[], &mut NoProgress).expect("runs").to_json();
    assert_eq!(a, b);
}

#[test]
fn synthetic_reports_planted_signals_and_theory() {
    let r = run_query_cpu("lab=hhd&preset=bbp", &["spectrum"], &mut NoProgress).expect("runs");
    let j = r.to_json_value();
    assert_eq!(j["spike_count"].as_u64(), Some(3));
    assert_eq!(j["planted"].as_array().map(Vec::len), Some(3));
    for (k, row) in j["overlaps"].as_array().expect("overlaps").iter().enumerate() {
        let c = row[k].as_f64().expect("cos");
        let want = j["theory"][k]["cosine"].as_f64().expect("theory");
        assert!((c - want).abs() < 0.05, "spike {k}: {c} vs {want}");
    }
}

#[test]
fn csv_without_a_file_is_a_clear_error() {
    // No test in this binary provides a CSV before this one reads; the message names the fix.
    let p = params("data=csv");
    if data::load(&p).is_ok() {
        return; // another test provided one
    }
    let e = run_query_cpu("lab=hhd&data=csv", &["spectrum"], &mut NoProgress).expect_err("no file");
    assert!(e.to_string().contains("Load data"), "{e}");
}

#[test]
fn provided_csv_runs_every_data_part() {
    let mut text = String::from("f1,f2,f3,f4,label\n");
    let mut rng = seeded(5, 1);
    for i in 0..60 {
        let c = i % 2;
        let v: Vec<String> = (0..4)
            .map(|j| format!("{}", if (j < 2) == (c == 0) { 2.0 } else { 0.0 } + rng::normal(&mut rng) * 0.3))
            .collect();
        text.push_str(&format!("{},{c}\n", v.join(",")));
    }
    assert_eq!(provide_csv(&text), Ok((60, 4)));
    let r = run_query_cpu(
        "lab=hhd&data=csv&samples=60&sub_count=2",
        &["spectrum", "states", "hhd", "subsets"],
        &mut NoProgress,
    )
    .expect("runs");
    let j = r.to_json_value();
    assert_eq!(j["n_samples"].as_u64(), Some(60));
    assert!(j["images"].is_null(), "4 features are not an image");
}

#[test]
fn table1_and_table2_print_as_csv() {
    let q =
        "lab=hhd&data=digits8&classes=0,1,2&samples=90&t1_subsets=2&t1_size=60&t1_ninit=1&c_min=3&d_max=10";
    let r = run_query_cpu(q, &["table1", "table2"], &mut NoProgress).expect("runs");
    let t1 = r.to_csv(Some("table1")).expect("table1");
    assert!(t1.starts_with("init,v_measure_mean,v_measure_std,ari_mean"));
    assert_eq!(t1.lines().count(), 5);
    assert!(t1.contains("HHD-based,"));
    let t2 = r.to_csv(Some("table2")).expect("table2");
    assert_eq!(t2.lines().count(), 5, "{t2}");
    let j = r.to_json_value();
    for row in j["table1"].as_array().expect("rows") {
        for k in ["v_measure_mean", "v_measure_std", "ari_mean", "ari_std", "ami_mean", "ami_std"] {
            let v = row[k].as_f64().expect("number");
            assert!(v.is_finite() && (-1.0..=1.0).contains(&v), "{k} = {v}");
        }
    }
}

#[test]
fn table1_on_synthetic_data_says_why_not() {
    let r = run_query_cpu("lab=hhd&data=synthetic", &["table1"], &mut NoProgress).expect("runs");
    assert!(r.to_json_value()["table1_message"].as_str().is_some_and(|m| m.contains("digit labels")));
}

#[test]
fn rank_above_features_is_refused() {
    let e = run_query_cpu("lab=hhd&data=synthetic&n=3&rank=5", &["spectrum"], &mut NoProgress)
        .expect_err("too many");
    assert!(e.to_string().contains("rank=5"), "{e}");
}

#[test]
fn every_preset_parses_without_notices() {
    for pr in PRESETS {
        let parsed = from_query(&format!("lab=hhd&preset={}", pr.name));
        assert!(parsed.notices.is_empty(), "{}: {:?}", pr.name, parsed.notices);
    }
}

#[test]
fn every_figure_has_an_empty_state() {
    let v = crate::labs::View::new(params(""));
    for f in figures::FIGURES {
        let fig = (f.build)(&v);
        assert!(!fig.panels.is_empty(), "{}", f.name);
    }
}
