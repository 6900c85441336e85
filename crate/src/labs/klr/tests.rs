//! Lab-level tests: the parts, the JSON fields, the refusals, and that a sweep cell and
//! the single-network view agree.

use super::params::PARAMS;
use super::*;
use crate::api::from_query;
use crate::api::run_query_cpu;
use crate::labs::NoProgress;
use serde_json::Value as Json;

fn run_json(q: &str, parts: &[&str]) -> Json {
    run_query_cpu(&format!("lab=klr&{q}"), parts, &mut NoProgress).expect("runs").to_json_value()
}

fn cpu() -> Compute {
    Compute::cpu("test")
}

fn arr(v: &Json) -> &Vec<Json> {
    v.as_array().expect("an array")
}

#[test]
fn default_network_reports_every_documented_field() {
    let j = run_json("p=60", &["network"]);
    for key in [
        "gamma",
        "patterns",
        "alpha",
        "sharpness",
        "force_direct_sq",
        "force_indirect_sq",
        "rho",
        "force_ratio",
        "stable_rank",
        "alpha_singular_values",
        "lambda_max",
        "kernel_eigenvalues",
        "recall",
        "recall_test",
        "training",
    ] {
        assert!(!j[key].is_null(), "{key} missing");
    }
    assert_eq!(arr(&j["patterns"]).len(), 60);
    assert_eq!(arr(&j["patterns"][0]).len(), 100);
    assert_eq!(arr(&j["alpha"]).len(), 60);
    for key in ["sharpness", "force_direct_sq", "force_indirect_sq", "rho"] {
        assert_eq!(arr(&j[key]).len(), 60, "{key}");
    }
    assert_eq!(j["training"]["status"], "budget");
    assert_eq!(arr(&j["training"]["loss"]).len(), 301);
    assert_eq!(j["numbers"], true);
    assert!(j["training"]["curvature_start"].as_f64().expect("c") < 20.0);
}

/// Low load, moderate γ: every stored pattern is a fixed point and every probe with
/// 20% of its bits flipped returns to its pattern.
#[test]
fn low_load_networks_recall_every_stored_pattern() {
    let j = run_json("n=100&p=20&gamma=0.02&tests=20&flip=0.2", &["network"]);
    assert_eq!(j["recall_test"]["success_rate"], 1.0);
    assert_eq!(j["recall"]["recalled"], true);
    let n = 100;
    let xi: Vec<Vec<f64>> = arr(&j["patterns"])
        .iter()
        .map(|r| arr(r).iter().map(|v| v.as_f64().expect("±1")).collect())
        .collect();
    let alpha: Vec<Vec<f64>> =
        arr(&j["alpha"]).iter().map(|r| arr(r).iter().map(|v| v.as_f64().expect("α")).collect()).collect();
    let xi_m = crate::compute::Mat { rows: 20, cols: n, data: xi.concat() };
    let alpha_m = crate::compute::Mat { rows: 20, cols: n, data: alpha.concat() };
    let r = ready(recall::recall_batch(&cpu(), &xi_m, &alpha_m, 0.02, &xi_m, 5)).expect("CPU");
    assert!(r.converged.iter().all(|&c| c));
    assert_eq!(r.states, xi_m, "stored patterns are fixed points");
    assert!(r.steps.iter().all(|&s| s == 1));
}

/// Where the protocol's gradient descent diverges (small γ) the run says so and returns
/// no numbers, keeping the last good α.
#[test]
fn divergence_is_reported_instead_of_numbers() {
    let j = run_json("n=100&p=100&gamma=0.001", &["network"]);
    assert_eq!(j["training"]["status"], "diverged");
    assert_eq!(j["training"]["why"], "loss_rose");
    assert!(j["training"]["message"].as_str().expect("msg").contains("diverged at epoch"));
    assert_eq!(j["numbers"], false);
    for key in ["sharpness", "rho", "alpha_singular_values", "recall", "recall_test"] {
        assert!(j[key].is_null(), "{key} should be null");
    }
    assert!(j["stable_rank"].is_null() && j["lambda_max"].is_null());
    assert!(arr(&j["alpha"]).iter().flat_map(arr).all(|v| v.as_f64().is_some_and(f64::is_finite)));
    assert!(j["training"]["curvature_start"].as_f64().expect("c") > 20.0);
    // continue: the budget is run out and the numbers are flagged.
    let c = run_json("n=100&p=100&gamma=0.001&diverge=continue", &["network"]);
    assert_eq!(c["training"]["status"], "diverged");
    assert_eq!(c["numbers"], true);
    assert_eq!(c["training"]["epochs_run"], 300);
    assert!(c["at_target"]["sharpness"].as_f64().is_some());
}

#[test]
fn kernel_ridge_is_a_second_learner() {
    let j = run_json("n=64&p=40&gamma=0.05&learner=krr", &["network"]);
    assert_eq!(j["training"]["status"], "closed_form");
    assert_eq!(j["recall_test"]["success_rate"], 1.0);
    assert_eq!(arr(&j["training"]["loss"]).len(), 1);
}

/// Parameters as a link would give them without `check` (to reach the parts' refusals).
fn unchecked(q: &str) -> Params {
    let mut p = Params::defaults(PARAMS);
    for (k, v) in crate::params::split_query(q).0 {
        p.set_raw(&k, &v);
    }
    p
}

fn run_unchecked(q: &str, part: &str) -> Result<Output, RunError> {
    let lab = crate::labs::find("klr").expect("klr");
    let cpu = Compute::cpu("test");
    pollster::block_on(crate::labs::run(lab, &unchecked(q), &[part], &mut NoProgress, &cpu))
}

/// `labs::run` refuses a part past a limit, naming it; a link never gets there because
/// `check` clamps it to the same limits (below).
#[test]
fn sizes_beyond_the_limits_are_refused_with_the_limit() {
    let err = run_unchecked("n=2048&p=2000", "network").expect_err("too large");
    assert!(
        err.to_string().contains("the network's P is too large: 2000 exceeds the limit of 1024"),
        "{err}"
    );
    assert!(err.to_string().contains(&format!("P·N at most {MAX_PN}")), "{err}");
    let err = run_unchecked("n=2048", "capacity").expect_err("too large");
    assert!(
        err.to_string().contains("round(cap_max·N) is too large: 8192 exceeds the limit of 1024"),
        "{err}"
    );
    let err = run_unchecked("sweep=1&n=2048&sw_lmax=40", "sweep").expect_err("too large");
    assert!(err.to_string().contains("sweep's largest P"), "{err}");
    let err = run_unchecked("sweep=1&epochs=20000", "sweep").expect_err("too much work");
    assert!(err.to_string().contains("the sweep's work is too large"), "{err}");
    // The same links, read as links, are clamped and refused nothing.
    for q in ["n=2048&p=2000", "n=2048", "sweep=1&n=2048&sw_lmax=40", "sweep=1&epochs=20000"] {
        let parsed = from_query(&format!("lab=klr&{q}"));
        let p = parsed.state().expect("klr").params;
        assert!(limits(&p).iter().all(|l| l.ok()), "{q}: {:?}", limits(&p));
        assert!(!parsed.notices.is_empty(), "{q}");
    }
}

/// The smallest N where the default capacity curve (cap_max = 4) passes the pattern limit
/// `min(4096, 2²¹/N)`: 4·725 = 2900 > 2892. The capacity part used to fail with "exceeds
/// the limit"; the link now lowers `cap_max` (the key the limit depends on last, not N)
/// and says so, naming the limit.
#[test]
fn klr_n_725_lowers_cap_max_to_the_pattern_limit() {
    let ok = from_query("lab=klr&n=724").state().expect("klr").params;
    assert_eq!(ok.float("cap_max"), 4.0, "4·724 = 2896 fits");
    let parsed = from_query("lab=klr&n=725");
    let p = parsed.state().expect("klr").params;
    assert_eq!(p.int("n"), 725);
    assert_eq!(p.float("cap_max"), 3.98);
    assert!(sweep::patterns_at(3.98, 725) <= pattern_limit(725));
    let notice = parsed.notices.iter().find(|n| n.key == "cap_max").expect("a notice on cap_max");
    assert!(
        notice.message.contains("round(cap_max·N) would be 2900, beyond its limit of 2892")
            && notice.message.contains("cap_max=4 lowered to 3.98"),
        "{}",
        notice.message
    );
    assert!(limits(&p).iter().all(|l| l.ok()));
}

/// The largest capacity point the table allows (P = 4096 at N = 512, every budget at its
/// maximum) is exactly the work limit: one trial of it fits, the rest is lowered.
#[test]
fn klr_largest_capacity_point_fits_its_work_limit() {
    let parsed =
        from_query("lab=klr&n=512&cap_max=8&epochs=20000&tests=1000&steps=500&cap_points=40&cap_trials=20");
    let p = parsed.state().expect("klr").params;
    assert_eq!((p.int("cap_trials"), p.int("cap_points"), p.float("cap_max")), (1, 1, 8.0));
    assert!(limits(&p).iter().all(|l| l.ok()), "{:?}", limits(&p));
    let n = parsed.notices.iter().find(|n| n.key == "cap_trials").expect("a notice");
    assert!(n.message.contains("cap_trials=20 lowered to 1, cap_points=40 lowered to 1"), "{}", n.message);
}

/// The link of issue 9: clamped with notices, then every part runs (the capacity curve
/// at P ≤ 1024 for N = 2048) instead of failing with "8192 exceeds the limit of 4096".
#[test]
fn klr_issue_link_n_999999_p_minus_3_gamma_abc_refuses_no_part() {
    let parsed = from_query("v=1&lab=klr&n=999999&p=-3&gamma=abc");
    let p = parsed.state().expect("klr").params;
    assert_eq!((p.int("n"), p.int("p"), p.float("gamma")), (2048, 1, 0.02));
    assert_eq!(p.float("cap_max"), 0.5);
    let keys: Vec<&str> = parsed.notices.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(keys, ["n", "p", "gamma", "cap_max"]);
    assert!(limits(&p).iter().all(|l| l.ok()), "{:?}", limits(&p));
    // The network part is small here; the capacity part's refusal is what failed before.
    let lab = crate::labs::find("klr").expect("klr");
    let cpu = Compute::cpu("test");
    pollster::block_on(crate::labs::run(lab, &p, &["network"], &mut NoProgress, &cpu)).expect("network runs");
    let mut small = p.clone();
    small.set("cap_points", crate::params::Value::Int(1));
    small.set("epochs", crate::params::Value::Int(1));
    small.set("tests", crate::params::Value::Int(1));
    small.set("cap_max", crate::params::Value::Float(0.1));
    pollster::block_on(crate::labs::run(lab, &small, &["capacity"], &mut NoProgress, &cpu))
        .expect("capacity runs");
}

/// Without pins the pins part used to draw the patterns and the Gram of the sweep's
/// largest P anyway (here 81 920 × 81 920, 54 GB: the process died); now it builds nothing.
#[test]
fn klr_pins_part_without_pins_at_n_2048_sw_lmax_40_builds_nothing() {
    assert_eq!(params::cost(&unchecked("n=2048&sw_lmax=40"), "pins"), 0.0);
    let j = run_json("n=2048&sw_lmax=40", &["pins"]);
    assert_eq!(j["pins"], Json::Array(Vec::new()));
}

/// The capacity curve draws each trial's patterns per point (memory of one network per
/// thread, not one Gram of the largest P per trial): the numbers are those of the
/// patterns' prefixes, as before.
#[test]
fn capacity_trials_are_the_prefixes_of_one_draw() {
    let j = run_json("n=40&gamma=0.05&cap_max=1&cap_points=2&cap_trials=2&epochs=30", &["capacity"]);
    let pts = arr(&j["capacity"]["points"]);
    let base =
        params::capacity_base(&from_query("lab=klr&n=40&gamma=0.05&epochs=30").state().expect("klr").params);
    for (i, pt) in pts.iter().enumerate() {
        let p = pt["p"].as_u64().expect("P") as usize;
        let (mut ok, mut probes) = (0usize, 0usize);
        for t in 0..2u64 {
            let big = sweep::Shared::new(base.seed, t, 40, 40);
            let setup = network::Setup { p, trial: t, ..base };
            let net = ready(big.network(&cpu(), &setup)).expect("CPU").expect("trains");
            let tp = recall::test_probes(&net.xi, setup.seed, t, setup.tests, setup.flip);
            if net.has_numbers(&setup) {
                let r = ready(recall::recall_batch(
                    &cpu(),
                    &net.xi,
                    &net.trained.alpha,
                    setup.gamma,
                    &tp,
                    setup.steps,
                ))
                .expect("CPU");
                let s = recall::summarize(&net.xi, &r, setup.flip, setup.steps);
                ok += s.success.iter().filter(|&&x| x).count();
                probes += s.tests;
            }
        }
        assert_eq!(pt["success"].as_f64(), Some(ok as f64 / probes as f64), "point {i}");
    }
}

const SMALL_SWEEP: &str =
    "n=40&sweep=1&sw_gmin=0.001&sw_gmax=1&sw_gn=4&sw_lmin=0.25&sw_lmax=2&sw_ln=3&epochs=60";

/// Clicking a heatmap cell sets γ and P: the network view then computes exactly that cell.
#[test]
fn a_sweep_cell_equals_the_network_it_names() {
    let j = run_json(SMALL_SWEEP, &["sweep"]);
    let cells = arr(&j["sweep"]["cells"]);
    assert_eq!(cells.len(), 12);
    for c in [&cells[4], &cells[10]] {
        let gamma = c["gamma"].as_f64().expect("γ");
        let p = c["p"].as_u64().expect("P");
        let net = run_json(&format!("{SMALL_SWEEP}&gamma={gamma}&p={p}"), &["network"]);
        let mut cell = c.as_object().expect("obj").clone();
        for k in ["index", "i_gamma", "i_load", "gamma", "load", "p"] {
            cell.remove(k);
        }
        assert_eq!(Json::Object(cell), net["summary"], "cell {}", c["index"]);
    }
    // Cells are ordered by index; the statuses include divergence at small γ.
    assert!(cells.iter().enumerate().all(|(i, c)| c["index"] == i));
}

#[test]
fn sweep_csv_has_one_row_per_cell_and_comes_first() {
    let r = run_query_cpu(&format!("lab=klr&{SMALL_SWEEP}"), &[], &mut NoProgress).expect("runs");
    let csv = r.to_csv(None).expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 13);
    assert!(lines[0].starts_with("index,i_gamma,i_load,gamma,load,p,status,"), "{}", lines[0]);
    let off = run_query_cpu("lab=klr&n=40&p=10", &["sweep"], &mut NoProgress).expect("runs");
    assert_eq!(off.to_json_value()["sweep"], Json::Null);
}

#[test]
fn same_query_gives_identical_json() {
    let q = format!("lab=klr&{SMALL_SWEEP}&p=30&section=1&pins=1,5&cap_points=3&cap_trials=2");
    let a = run_query_cpu(&q, &[], &mut NoProgress).expect("runs").to_json();
    let b = run_query_cpu(&q, &[], &mut NoProgress).expect("runs").to_json();
    assert_eq!(a, b);
}

#[test]
fn capacity_compares_with_hebbian_recall() {
    let j = run_json("n=60&gamma=0.05&cap_max=1&cap_points=4", &["capacity"]);
    let pts = arr(&j["capacity"]["points"]);
    assert_eq!(pts.len(), 4);
    // At γ = 0.05 the kernel network stores far beyond the Hebbian limit.
    assert_eq!(pts[3]["success"], 1.0);
    assert_eq!(pts[3]["hebbian_success"], 0.0);
    assert_eq!(j["capacity"]["hebbian_load"], 0.138);
}

#[test]
fn cross_section_and_pins() {
    let j =
        run_json(&format!("{SMALL_SWEEP}&sweep=0&section=1&sec_gamma=0.02&pins=0,11"), &["section", "pins"]);
    let cells = arr(&j["section"]["cells"]);
    assert_eq!(cells.len(), 3);
    assert!(cells.iter().all(|c| c["gamma"] == 0.02));
    let pins = arr(&j["pins"]);
    assert_eq!(pins.len(), 2);
    assert_eq!(pins[1]["index"], 11);
}

#[test]
fn consistency_rules_fix_and_report() {
    let parsed =
        from_query("lab=klr&p=5&target=9&sw_gmin=1&sw_gmax=0.01&shard=3&shards=2&sw_gn=2&sw_ln=2&pins=1,7");
    let p = parsed.state().expect("klr").params;
    assert_eq!(p.int("target"), 4);
    assert_eq!((p.float("sw_gmin"), p.float("sw_gmax")), (0.01, 1.0));
    assert_eq!(p.int("shard"), 1);
    assert_eq!(p.list("pins"), &[1]);
    let keys: Vec<&str> = parsed.notices.iter().map(|n| n.key.as_str()).collect();
    for k in ["target", "sw_gmin", "shard", "pins"] {
        assert!(keys.contains(&k), "{k}: {keys:?}");
    }
}

/// The page runs the cells of a sweep, a cross-section or the capacity curve as shards in
/// several workers; merging them (with the fit recomputed over every cell) gives exactly
/// the JSON of one unsharded run.
#[test]
fn merged_shards_equal_one_run() {
    let grid = "n=30&epochs=30&tests=5&sw_gmin=0.001&sw_gmax=1&sw_gn=3&sw_lmin=0.2&sw_lmax=1.5&sw_ln=4";
    for (part, q) in [
        ("sweep", format!("{grid}&sweep=1")),
        ("section", format!("{grid}&section=1&sec_gamma=0.01")),
        ("capacity", "n=30&epochs=30&tests=5&cap_max=1&cap_points=3".to_string()),
        ("sweep", grid.to_string()),
    ] {
        let whole = run_json(&q, &[part]);
        let shards: Vec<Json> =
            (0..3).map(|i| run_json(&format!("{q}&shard={i}&shards=3"), &[part])).collect();
        let merged = merge(part, shards).expect("merges");
        assert_eq!(merged[part], whole[part], "{part} of {q}");
    }
    assert!(merge("network", vec![Json::Null]).is_err());
}

/// The presets run the paper's settings: the author's protocol, and Figure 5's pins at the
/// three regimes its comment names.
#[test]
fn presets_reproduce_the_papers_figures() {
    for preset in PRESETS {
        let parsed = from_query(&format!("lab=klr&preset={}", preset.name));
        assert!(parsed.notices.is_empty(), "{}: {:?}", preset.name, parsed.notices);
        let p = parsed.state().expect("klr").params;
        assert_eq!(
            (p.int("n"), p.seed(), p.int("sw_gn"), p.int("sw_ln")),
            (100, 42, 30, 30),
            "{}",
            preset.name
        );
        assert_eq!(p.choice("diverge"), "continue");
        assert!(preset.reproduces.starts_with("Figure "), "{}", preset.name);
    }
    let p = from_query("lab=klr&preset=fig5").state().expect("klr").params;
    let grid = params::sweep_grid(&p);
    let cells: Vec<(f64, f64)> = params::pins(&p)
        .iter()
        .map(|&i| {
            let (ig, il) = grid.coords(i);
            (grid.gammas[ig], grid.loads[il])
        })
        .collect();
    let near = |a: f64, b: f64, rel: f64| (a - b).abs() <= rel * b;
    assert_eq!(cells.len(), 3);
    assert!(near(cells[0].0, 1.1e-3, 0.05) && near(cells[0].1, 0.1, 1e-9), "{cells:?}");
    assert!(near(cells[1].0, 0.026, 0.05) && near(cells[1].1, 4.98, 0.01), "{cells:?}");
    assert!(near(cells[2].0, 0.92, 0.05) && near(cells[2].1, 3.15, 0.01), "{cells:?}");
}

#[test]
fn a_link_names_an_inspected_sweep_cell_instead_of_its_gamma() {
    let base = "sweep=1&sw_gn=5&sw_ln=4&sw_gmin=0.001&sw_gmax=1&sw_lmin=0.5&sw_lmax=2&n=50";
    let grid = params::sweep_grid(&from_query(&format!("lab=klr&{base}")).state().expect("klr").params);
    let (ig, il) = grid.coords(13);
    let (gamma, patterns) = (grid.gammas[ig], grid.patterns[il]);
    assert!(format!("{gamma}").len() > 10, "the point: γ = {gamma} is long");
    // What a click sends: the cell and its exact P and γ. The link keeps only the cell.
    let clicked = format!("lab=klr&{base}&cell=13&gamma={gamma}&p={patterns}");
    let s = from_query(&clicked).state().expect("klr");
    assert_eq!((s.params.float("gamma"), s.params.usize("p")), (gamma, patterns));
    let link = s.to_query();
    assert!(link.contains("cell=13") && !link.contains("gamma=") && !link.contains("&p="), "{link}");
    // The short link reads back to the same network, and again to the same link.
    let again = from_query(&link).state().expect("klr");
    assert_eq!((again.params.float("gamma"), again.params.usize("p")), (gamma, patterns));
    assert_eq!(again.to_query(), link);
    // Another control changed later (the page sends every value back): the cell stays.
    let mut text: Vec<String> = again.params.pairs().map(|(k, v)| format!("{k}={v}")).collect();
    text.retain(|kv| !kv.starts_with("seed="));
    let resent = from_query(&format!("lab=klr&{}&seed=7", text.join("&"))).state().expect("klr");
    assert!(resent.to_query().contains("cell=13"), "{}", resent.to_query());
    // γ changed after the click: γ wins, the cell is left, and the link says γ.
    let moved = from_query(&format!("{link}&gamma=0.5")).state().expect("klr");
    assert_eq!((moved.params.int("cell"), moved.params.float("gamma")), (-1, 0.5));
    assert!(moved.to_query().contains("gamma=0.5"));
    // A cell outside the grid is refused with a notice.
    let parsed = from_query(&format!("lab=klr&{base}&cell=999"));
    assert!(parsed.notices.iter().any(|n| n.key == "cell"));
    // A cell whose P the network view cannot hold at this N (P·N > 2²¹) is not inspected:
    // the network would be refused when it runs (found by fuzzing).
    let parsed = from_query("lab=klr&n=592&sw_lmin=6&sw_lmax=40&cell=0");
    let s = parsed.state().expect("klr");
    assert_eq!((s.params.int("cell"), s.params.usize("p")), (-1, 200));
    assert!(
        parsed.notices.iter().any(|n| n.key == "cell" && n.message.contains("P = 3552")),
        "{:?}",
        parsed.notices
    );
    assert!((s.lab.runner.as_ref().expect("built").limits)(&s.params).iter().all(crate::labs::Limit::ok));
    // Nor one whose P is beyond the range of p (4120 > 4096 at N = 103): it was shown with P = 4096.
    let parsed = from_query("lab=klr&n=103&sw_lmax=40&cell=269");
    let s = parsed.state().expect("klr");
    assert_eq!(s.params.int("cell"), -1);
    assert!(
        parsed.notices.iter().any(|n| n.key == "cell" && n.message.contains("ranges")),
        "{:?}",
        parsed.notices
    );
    assert_eq!(parsed.state().expect("klr").params.int("cell"), -1);
}

/// The progress estimate of a sweep cell knows which cells cost their budget: on the
/// author's grid (N = 100, P = 600, f32 products, η = 0.1) the dense rows (γ = 0.026 to
/// 0.085) all of it and their passes over the entries; γ = 0.127 (sparse products, a few
/// entries per row) and the rows from γ = 0.19 up (`K` numerically diagonal, one entry per
/// class) a small fraction; the small-γ rows (far past the curvature limit) a few epochs
/// when the loss stops them, all of it when the budget is run out anyway.
#[test]
fn expected_work_follows_the_products_and_early_divergence() {
    let base = params::capacity_base(&from_query("lab=klr&n=100").state().expect("klr").params);
    let at = |gamma: f64| network::Setup { p: 600, gamma, ..base };
    // The products' part of `work` in full, plus the passes over the entries.
    let dense = |s: &network::Setup| (1.0..1.3).contains(&(network::expected_work(s) / network::work(s)));
    for gamma in [0.0259, 0.0853] {
        assert!(dense(&at(gamma)), "γ = {gamma}");
    }
    let s = at(0.1269);
    let ratio = network::expected_work(&s) / network::work(&s);
    assert!((0.1..0.5).contains(&ratio), "γ = 0.1269: {ratio}");
    for gamma in [0.1887, 1.0, 10.0] {
        let s = at(gamma);
        assert!(network::expected_work(&s) < 0.05 * network::work(&s), "γ = {gamma}");
    }
    for gamma in [1e-4, 0.001, 0.0117] {
        let s = at(gamma);
        assert!(network::expected_work(&s) < 0.05 * network::work(&s), "γ = {gamma}");
        let mut gd = s.gd;
        gd.on_diverge = OnDiverge::Continue;
        let s = network::Setup { gd, ..s };
        assert!(dense(&s), "γ = {gamma}, continue");
    }
}
