//! The lab's properties: the constraint on A, the exponential bound along rollouts, fitting
//! the linear example, determinism, streaming, figures and presets.

use super::analysis::{Flow, rollout, sym_max_eig};
use super::model::{Elcd, Model};
use super::*;
use crate::api::from_query;
use crate::labs::{NoProgress, View};
use crate::plot::figure::Body;
use crate::rng::normal;
use proptest::prelude::*;
use serde_json::Value as Json;

fn params(q: &str) -> Params {
    from_query(&format!("lab=elcd&{q}")).state().expect("elcd").params
}

fn run_json(q: &str, parts: &[&str]) -> serde_json::Map<String, Json> {
    run_cpu(&params(q), parts, &mut NoProgress).expect("runs").json
}

/// Parameters with every entry moved by `scale`·N(0, 1) (coupling layers included).
fn random_params(m: &dyn Model, seed: u64, scale: f64) -> Vec<f64> {
    let mut rng = seeded(seed, 5);
    let mut p = m.init(&mut rng);
    for v in &mut p {
        *v += scale * normal(&mut rng);
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// sym(A) = −PₛᵀPₛ − αI ≼ −αI for any parameters and inputs (eq. 4.11).
    #[test]
    fn sym_part_of_a_is_at_most_minus_alpha(
        d in 2usize..=4,
        hidden in 2usize..=8,
        alpha in 0.001f64..10.0,
        scale in 0.1f64..4.0,
        seed in 0u64..1_000_000,
        zscale in 0.1f64..10.0,
    ) {
        let m = Elcd::new(d, hidden, alpha, vec![0.0; d], false);
        let p = random_params(&m, seed, scale);
        let mut rng = seeded(seed, 6);
        let z: Vec<f64> = (0..d).map(|_| zscale * normal(&mut rng)).collect();
        let zs: Vec<f64> = (0..d).map(|_| zscale * normal(&mut rng)).collect();
        let a = m.a_matrix(&p, &z, &zs);
        let norm = a.iter().map(|v| v * v).sum::<f64>().sqrt();
        let lam = sym_max_eig(&a, d);
        prop_assert!(lam <= -alpha + 1e-12 * (1.0 + norm), "λmax = {lam}, −α = {}", -alpha);
        // And for every direction: vᵀAv ≤ −α‖v‖².
        let v: Vec<f64> = (0..d).map(|_| normal(&mut rng)).collect();
        let vav: f64 = (0..d).map(|i| (0..d).map(|j| v[i] * a[i * d + j] * v[j]).sum::<f64>()).sum();
        let vv: f64 = v.iter().map(|x| x * x).sum();
        prop_assert!(vav <= -alpha * vv + 1e-12 * (1.0 + norm) * vv);
    }

    /// ‖z(t) − z*‖ ≤ e^{−αt}‖z(0) − z*‖ along RK4 rollouts of untrained random models,
    /// with and without the diffeomorphism (Theorem 4.3.2).
    #[test]
    fn rollouts_obey_the_exponential_bound(
        alpha in 0.01f64..2.0,
        scale in 0.1f64..1.0,
        seed in 0u64..1_000_000,
        diffeo in any::<bool>(),
    ) {
        let m = Elcd::new(2, 8, alpha, vec![0.5, -0.5], diffeo);
        let p = random_params(&m, seed, scale);
        let zs = m.z_star(&p);
        let rhs = |z: &[f64]| m.latent_velocity(&p, z, &zs);
        // The bound is about z: stay in latent space (a random φ⁻¹ may overflow on the way back).
        let id = |z: &[f64]| z.to_vec();
        let enc = |x: &[f64]| m.encode(&p, x);
        let flow = Flow { rhs: &rhs, to_data: &id, from_data: &enc, u_star: zs.clone(), latent: diffeo, alpha, h_max: 0.002 };
        let times: Vec<f64> = (0..60).map(|k| 0.1 * k as f64).collect();
        let mut rng = seeded(seed, 7);
        prop_assume!(zs.iter().all(|v| v.abs() < 1e4));
        for i in 0..3 {
            let x0 = [2.0 * normal(&mut rng), 2.0 * normal(&mut rng)];
            prop_assume!(enc(&x0).iter().all(|v| v.abs() < 1e4));
            let r = rollout(&flow, &x0, &times, "random", i);
            prop_assert!(r.diverged_at.is_none());
            prop_assert!(r.max_ratio <= 1.0 + 1e-9, "distance/bound reached {}", r.max_ratio);
        }
    }
}

#[test]
fn without_the_transform_the_linear_example_cannot_be_fitted() {
    // The bound keeps every rollout within ‖x(0)‖ = 2 of x* = 0, while the demonstrations
    // swing out to ‖x‖ ≈ 3: each demonstration point beyond radius 2 is at least ‖x̄‖ − 2
    // from the rollout, which puts a floor under the DTWD whatever the training does.
    let out = run_json("demo=linear&diffeo=0&steps=300&baseline=0&starts=0&grid=6", &["elcd"]);
    let demos = data::linear();
    for (i, t) in demos.trajs.iter().enumerate() {
        let floor: f64 =
            t.x.chunks(2).map(|p| (p[0].hypot(p[1]) - 2.0).max(0.0)).sum::<f64>() / t.len() as f64;
        let got = out["dtwd"][i].as_f64().expect("dtwd");
        assert!(floor > 0.15, "{floor}");
        assert!(got >= floor, "demo {i}: DTWD {got} below the floor {floor}");
    }
}

/// The documented fit: with the learned transform, 3000 Adam steps (batch 100, lr 1e-3,
/// seed 42) bring the linear example's DTWD under 0.03 (measured: 0.018 and 0.014), while
/// the floor above keeps the model without transform over 0.16 (measured: 0.46).
#[test]
fn training_on_the_linear_example_with_the_transform_fits_it() {
    let out = run_json("demo=linear&diffeo=1&steps=3000&baseline=0&starts=0&grid=6", &["elcd"]);
    let dtwd = nums_of(&out["dtwd"]);
    assert_eq!(dtwd.len(), 2);
    for d in &dtwd {
        assert!(*d < 0.03, "DTWD {dtwd:?}");
    }
    let loss = nums_of(&out["loss"]);
    assert_eq!(loss.len(), 3000);
    assert!(loss[2999] < 0.001 * loss[0], "{} → {}", loss[0], loss[2999]);
    assert_eq!(out["bound_holds"], Json::Bool(true));
    // One equilibrium, at x*.
    let eq = out["equilibria"].as_array().expect("equilibria");
    assert_eq!(eq.len(), 1);
    assert!(nums_of(&eq[0]).iter().all(|v| v.abs() < 1e-6));
    assert!(out["max_sym_eig"].as_f64().expect("max") <= -0.1);
}

fn nums_of(j: &Json) -> Vec<f64> {
    j.as_array().map(|a| a.iter().filter_map(Json::as_f64).collect()).unwrap_or_default()
}

#[test]
fn same_link_gives_identical_results() {
    let q = "demo=pendulum&diffeo=1&steps=60&starts=2&grid=6&seed=3";
    let a = run_cpu(&params(q), &["elcd", "mlp"], &mut NoProgress).expect("runs");
    let b = run_cpu(&params(q), &["elcd", "mlp"], &mut NoProgress).expect("runs");
    assert_eq!(serde_json::to_string(&a.json).ok(), serde_json::to_string(&b.json).ok());
    let c = run_json("demo=pendulum&diffeo=1&steps=60&starts=2&grid=6&seed=4", &["elcd"]);
    assert_ne!(a.json["loss"], c["loss"], "another seed, other initial weights");
}

struct Collect(Vec<Json>, usize);

impl Progress for Collect {
    fn step(&mut self, done: usize, _total: usize) {
        self.1 = self.1.max(done);
    }
    fn partial(&mut self, piece: &Json) {
        self.0.push(piece.clone());
    }
}

#[test]
fn streamed_loss_chunks_rebuild_the_loss_curve() {
    let mut c = Collect(Vec::new(), 0);
    let out =
        run_cpu(&params("demo=linear&steps=123&starts=0&grid=4"), &["elcd", "mlp"], &mut c).expect("runs");
    for (model, want) in [("elcd", &out.json["loss"]), ("mlp", &out.json["mlp"]["loss"])] {
        let mut got: Vec<f64> = Vec::new();
        for piece in &c.0 {
            let ch = &piece["loss_chunk"];
            if ch["model"] == model {
                assert_eq!(ch["from"].as_u64(), Some(got.len() as u64));
                got.extend(nums_of(&ch["loss"]));
            }
        }
        assert_eq!(got, nums_of(want), "{model}");
    }
    assert_eq!(c.1, 124);
    // The figure draws the same curve from the pieces while training.
    let mut v = View::new(params("demo=linear&steps=123"));
    v.pieces
        .insert("elcd".into(), c.0.iter().filter(|p| p["loss_chunk"]["model"] == "elcd").cloned().collect());
    let fig = (figures::FIGURES[2].build)(&v);
    assert_eq!(fig.name, "loss");
    let Body::Plot(plot) = &fig.panels[0].body else { panic!("a plot") };
    let crate::plot::figure::Mark::Series { y, .. } = &plot.marks[0] else { panic!("a series") };
    assert_eq!(y, &nums_of(&out.json["loss"]));
}

#[test]
fn the_mlp_part_is_null_without_the_baseline_and_uses_the_same_batches() {
    let out = run_json("demo=linear&steps=20&baseline=0&starts=0&grid=4", &["mlp"]);
    assert_eq!(out["mlp"], Json::Null);
    let out = run_json("demo=linear&steps=20&starts=3&grid=4", &["elcd", "mlp"]);
    let m = &out["mlp"];
    assert_eq!(nums_of(&m["loss"]).len(), 20);
    assert_eq!(nums_of(&m["dtwd"]).len(), 2);
    assert_eq!(m["rollouts"].as_array().map(Vec::len), Some(5));
}

#[test]
fn a_drawn_curve_is_the_demonstration_and_ends_at_x_star() {
    let out = run_json("demo=drawn&draw=-2,-2,0,-1,1,1,1.5,2&steps=10&baseline=0&starts=0&grid=4", &["elcd"]);
    assert_eq!(out["x_star"], serde_json::json!([1.5, 2.0]));
    assert_eq!(out["drawn_default"], Json::Bool(false));
    let empty = run_json("demo=drawn&steps=10&baseline=0&starts=0&grid=4", &["elcd"]);
    assert_eq!(empty["drawn_default"], Json::Bool(true));
    assert!(empty["note"].as_str().is_some_and(|n| n.contains("built-in")));
    // An odd count loses its last number, with a notice; the fixed link has none.
    let parsed = from_query("lab=elcd&draw=1,2,3");
    assert_eq!(parsed.notices.len(), 1);
    let s = parsed.state().expect("elcd");
    assert_eq!(s.params.floats("draw"), &[1.0, 2.0]);
    assert!(from_query(&s.to_query()).notices.is_empty());
}

#[test]
fn every_demo_runs_and_every_preset_parses() {
    for demo in DEMOS {
        let out = run_json(&format!("demo={demo}&steps=5&baseline=0&starts=1&grid=4"), &["elcd"]);
        assert!(nums_of(&out["dtwd"]).iter().all(|d| d.is_finite()), "{demo}");
        assert_eq!(out["bound_holds"], Json::Bool(true), "{demo}");
    }
    for p in LAB.presets() {
        let parsed = from_query(&format!("lab=elcd&{}", p.query));
        assert!(parsed.notices.is_empty(), "{}: {:?}", p.name, parsed.notices);
    }
    assert!(data::lasa_names().iter().all(|n| DEMOS.contains(&format!("lasa_{n}").as_str())));
}

#[test]
fn figures_have_empty_states_and_no_nan_text() {
    let empty = View::new(params("demo=lasa_sine"));
    for f in LAB.figures() {
        let fig = (f.build)(&empty);
        assert_eq!(fig.name, f.name);
        if f.name != "field" {
            assert!(matches!(fig.panels[0].body, Body::Empty { .. }), "{}", f.name);
        }
    }
    let q = "demo=linear&diffeo=1&steps=30&starts=3&grid=8";
    let out = run_cpu(&params(q), &["elcd", "mlp"], &mut NoProgress).expect("runs");
    let v = View::finished(params(q), out.json, &["elcd", "mlp"]);
    for f in LAB.figures() {
        let fig = (f.build)(&v);
        assert!(!matches!(fig.panels[0].body, Body::Empty { .. }), "{}", f.name);
        for c in &fig.caption {
            assert!(!c.contains("NaN") && !c.contains("∞"), "{}: {c}", f.name);
        }
        let scene = crate::plot::layout::layout(&fig, 700.0);
        assert!(scene.height > 0.0);
    }
    let compare = (figures::FIGURES[1].build)(&v);
    assert_eq!(compare.panels.len(), 2);
}
