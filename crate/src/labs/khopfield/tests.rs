//! The lab end to end: parameters, the parts' JSON, determinism, presets and figures.

use super::*;
use crate::api::{from_query, run_query_cpu};
use crate::labs::{NoProgress, View};
use serde_json::Value as Json;

fn params(q: &str) -> Params {
    from_query(&format!("lab=khopfield&{q}")).state().expect("khopfield").params
}

#[test]
fn limits_are_clamped_with_notices() {
    let parsed =
        from_query("lab=khopfield&data=digits8&p=5000&k=10&probe=9999&cap_trials=50&cap_probes=1000");
    let p = parsed.state().expect("state").params;
    assert_eq!(p.int("p"), 1797);
    assert_eq!(p.int("probe"), 1796);
    assert_eq!(p.int("cap_probes"), 100);
    assert!(parsed.notices.iter().any(|n| n.key == "p"), "{:?}", parsed.notices);
    assert!(parsed.notices.iter().all(|n| n.key != "cap_pmax"), "the default is capped silently");
    let p = params("data=random&n=4096&p=10000&k=10");
    assert_eq!(p.int("p"), 1953, "P × N ≤ 8,000,000");
    let p = params("p=3&k=8");
    assert_eq!(p.int("k"), 2, "k below P");
    let p = params("data=digits8&paint=1,63,64,700");
    assert_eq!(p.list("paint"), &[1, 63]);
    let p = params("rk_p=10&rk_probes=2000");
    assert_eq!(p.int("rk_probes"), 10);
}

#[test]
fn retrieve_reports_every_documented_field() {
    let r = retrieve(&params("data=digits8&p=60&k=3&probe=5&steps=3")).expect("runs");
    assert_eq!((r.n, r.width, r.height, r.p, r.k), (64, 8, 8, 60, 3));
    assert_eq!(r.similarities.len(), 60);
    assert_eq!(r.ssm.len(), 3);
    assert!(r.ssm.iter().all(|row| row.len() == 60));
    assert_eq!(r.ksoftmax.len(), 60);
    assert!(r.ksoftmax.iter().all(|row| row.len() == 3));
    assert_eq!((r.outputs.len(), r.errors.len(), r.retrieved.len(), r.lambda_star.len()), (3, 3, 3, 3));
    assert_eq!(r.mchn.states.len(), 4);
    assert_eq!(r.columns.len(), 3);
    assert!(r.shown.contains(&5) && r.shown.len() == r.memories.len());
    // λ* increases with k (Proposition 3.5.2's proof).
    assert!(r.lambda_star.windows(2).all(|w| w[1] > w[0]), "{:?}", r.lambda_star);
    for (i, row) in r.ssm.iter().enumerate() {
        assert!((row.iter().sum::<f64>() - (i + 1) as f64).abs() <= ssm::TOL);
    }
}

#[test]
fn an_unoccluded_probe_retrieves_itself_first() {
    for sim in ["dot", "neg_sqeuclid", "neg_manhattan"] {
        let r = retrieve(&params(&format!(
            "data=digits8&p=100&k=3&probe=17&occlude=none&beta=50&similarity={sim}"
        )))
        .expect("runs");
        if sim != "dot" {
            assert_eq!(r.retrieved[0], 17, "{sim}");
            assert_eq!(r.nearest[0], 17, "{sim}");
            assert!(r.errors[0] < 1e-6 && r.success, "{sim}: {:?}", r.errors);
        }
        // At large β the columns pick the nearest memories in order.
        assert_eq!(r.retrieved, r.nearest, "{sim}");
    }
}

#[test]
fn energy_is_quadrature_and_closed_form_alike_and_falls_for_the_mchn() {
    let r = retrieve(&params("data=digits8&p=40&k=3&probe=2&similarity=dot&beta=0.02&steps=5&occlude=top"))
        .expect("runs");
    assert!(r.energy_note.contains("quadrature"), "{}", r.energy_note);
    for t in std::iter::once(&r.mchn).chain(&r.columns) {
        for (e, q) in t.energy.iter().zip(&t.energy_quadrature) {
            let (e, q) = (e.expect("closed"), q.expect("quadrature"));
            assert!((e - q).abs() <= 1e-6 * (1.0 + e.abs()), "{}: {e} vs {q}", t.rule);
        }
    }
    assert_eq!(r.mchn.decreasing, Some(true));
    assert_eq!(r.columns[0].decreasing, Some(true));
    let m = retrieve(&params("data=digits8&p=40&k=2&similarity=neg_manhattan")).expect("runs");
    assert!(m.mchn.energy.iter().all(Option::is_none) && m.mchn.decreasing.is_none());
}

#[test]
fn low_beta_mchn_settles_in_a_mixture() {
    let r = retrieve(&params("data=digits8&p=50&k=2&similarity=dot&beta=0.001&steps=10&occlude=none"))
        .expect("runs");
    let last = *r.mchn.effective.last().expect("steps");
    assert!(last > 3.0, "1/Σw² = {last}");
    let r =
        retrieve(&params("data=digits8&p=50&k=2&similarity=dot&beta=5&steps=10&occlude=none")).expect("runs");
    assert!(*r.mchn.effective.last().expect("steps") < 1.01);
}

#[test]
fn painting_changes_the_probe_and_nothing_else() {
    let a = retrieve(&params("data=digits8&p=30&occlude=none")).expect("runs");
    let b = retrieve(&params("data=digits8&p=30&occlude=none&paint=0,9")).expect("runs");
    assert_eq!(a.target, b.target);
    for i in 0..64 {
        if i == 0 || i == 9 {
            assert_eq!(b.probe[i], 1.0 - a.probe[i]);
        } else {
            assert_eq!(a.probe[i], b.probe[i]);
        }
    }
}

#[test]
fn the_same_query_gives_identical_json_and_every_part_runs() {
    let q = "lab=khopfield&data=digits8&p=40&k=2&steps=2&cap_pmax=200&cap_trials=2&cap_probes=5&rk_p=30&rk_probes=10&rk_points=3";
    let a = run_query_cpu(q, &[], &mut NoProgress).expect("runs");
    let b = run_query_cpu(q, &[], &mut NoProgress).expect("runs");
    assert_eq!(a.to_json(), b.to_json());
    let v = a.to_json_value();
    assert_eq!(v["fig32"].as_array().map(Vec::len), Some(2 * 3));
    assert_eq!(v["fig37"].as_array().map(Vec::len), Some(3 * 2));
    let names: Vec<&str> = a.output.tables.iter().map(|t| t.name).collect();
    assert_eq!(names, ["scores", "outputs", "trajectory", "fig32", "fig37"]);
    assert!(!a.to_json().contains("NaN"));
}

#[test]
fn every_preset_parses_without_notices() {
    for pr in PRESETS {
        let parsed = from_query(&format!("lab=khopfield&{}", pr.query));
        assert!(parsed.notices.is_empty(), "{}: {:?}", pr.name, parsed.notices);
    }
}

fn figure_texts(f: &crate::plot::figure::Figure) -> String {
    serde_json::to_string(f).unwrap_or_default()
}

#[test]
fn figures_have_empty_states_and_show_no_nan() {
    let p = params(
        "data=digits8&p=40&k=2&steps=2&cap_pmax=200&cap_trials=2&cap_probes=5&rk_p=30&rk_probes=10&rk_points=3",
    );
    for f in figures::FIGURES {
        let fig = (f.build)(&View::new(p.clone()));
        assert!(
            matches!(fig.panels[0].body, crate::plot::figure::Body::Empty { .. }),
            "{} has no empty state",
            f.name
        );
    }
    let report = run_query_cpu(
        "lab=khopfield&data=digits8&p=40&k=2&steps=2&cap_pmax=200&cap_trials=2&cap_probes=5&rk_p=30&rk_probes=10&rk_points=3",
        &[],
        &mut NoProgress,
    )
    .expect("runs");
    for update in ["khop", "mchn"] {
        let mut view = report.view();
        view.params.set("update", crate::params::Value::Choice(update));
        for f in figures::FIGURES {
            let fig = (f.build)(&view);
            let text = figure_texts(&fig);
            assert!(!text.contains("NaN"), "{}: NaN in {text}", f.name);
            assert!(
                !matches!(fig.panels[0].body, crate::plot::figure::Body::Empty { .. }) || f.name == "energy",
                "{}",
                f.name
            );
            for line in &fig.caption {
                assert!(!line.contains("NaN"), "{}: {line}", f.name);
            }
            let _ = crate::plot::layout::layout(&fig, 900.0);
        }
    }
}

#[test]
fn the_probe_is_paintable_and_memories_are_clickable() {
    let report = run_query_cpu("lab=khopfield&data=digits8&p=20&k=2&steps=1", &["retrieve"], &mut NoProgress)
        .expect("runs");
    let fig = (figures::FIGURES[0].build)(&report.view());
    let j: Json = serde_json::to_value(&fig).unwrap_or(Json::Null);
    let text = j.to_string();
    assert!(text.contains(r#""t":"toggle","key":"paint","count":64"#), "{text}");
    let mem = serde_json::to_string(&(figures::FIGURES[1].build)(&report.view())).unwrap_or_default();
    assert!(mem.contains(r#""key""#) || mem.contains(r#""probe""#), "memories are clickable");
}
