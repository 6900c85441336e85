//! The lab against the established law at N ≥ 1000 (seeded), the stability formula against
//! simulation, the dynamics against the spectrum, and the parameter limits.
//!
//! Finite-size tolerances (measured at seed 42 with N = 1000; see the README section):
//! every tolerance below is about twice the deviation measured.

use super::theory::{Law, integrate};
use crate::api::{from_query, run_query_cpu};
use crate::labs::NoProgress;
use serde_json::Value;

fn run(q: &str, parts: &[&str]) -> Value {
    run_query_cpu(&format!("lab=hetero&{q}"), parts, &mut NoProgress).expect("runs").to_json_value()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().map(|a| a.iter().map(f).collect()).unwrap_or_default()
}

/// Kolmogorov distance between the moduli (all N, the zero eigenvalues included) and the
/// theory's CDF `zero_mass + ∫₀ʳ radial marginal`.
fn radial_ks(moduli: &mut [f64], law: &Law) -> f64 {
    moduli.sort_by(f64::total_cmp);
    let n = moduli.len() as f64;
    let rmax = law.max_modulus();
    // The CDF on a fine grid, then interpolated.
    let steps = 4000;
    let mut cdf = vec![law.zero_mass(); steps + 1];
    let h = rmax / steps as f64;
    for k in 1..=steps {
        cdf[k] = cdf[k - 1] + integrate(|r| law.radial_marginal(r), (k - 1) as f64 * h, k as f64 * h, 8);
    }
    let at = |r: f64| {
        if r >= rmax {
            return cdf[steps];
        }
        let x = r / h;
        let k = x.floor() as usize;
        cdf[k] + (x - k as f64) * (cdf[k + 1] - cdf[k])
    };
    let mut worst: f64 = 0.0;
    for (i, &r) in moduli.iter().enumerate() {
        let th = at(r);
        // Before and after the jump at r_i; the point mass at 0 (whose members sit at ~10⁻⁷,
        // not exactly at 0) is compared just after it, at the first modulus beyond.
        if r > 1e-3 {
            worst = worst.max((th - i as f64 / n).abs()).max((th - (i + 1) as f64 / n).abs());
        }
    }
    worst
}

struct Measured {
    outside: f64,
    max_radius: f64,
    edge_error: f64,
    ks: f64,
    mean_error: f64,
}

fn measure(q: &str) -> (Value, Measured) {
    let out = run(q, &["spectrum"]);
    let law = Law::new(f(&out["alpha"]), f(&out["tau"]), out["scaling"] == "sqrt_alpha");
    let re = floats(&out["eigenvalues"]["re"]);
    let im = floats(&out["eigenvalues"]["im"]);
    assert_eq!(re.len(), out["n"].as_u64().unwrap_or(0) as usize);
    let mut moduli: Vec<f64> = re.iter().zip(&im).map(|(a, b)| a.hypot(*b)).collect();
    // The mean eigenvalue is tr J / N: it must equal the sum of the printed eigenvalues.
    let mean = re.iter().sum::<f64>() / re.len() as f64;
    assert!((mean - f(&out["mean"])).abs() < 1e-5, "{mean} vs {}", out["mean"]);
    let m = Measured {
        outside: f(&out["outside"]),
        max_radius: f(&out["max_radius"]),
        edge_error: f(&out["rightmost"]) - law.rightmost(),
        ks: radial_ks(&mut moduli, &law),
        mean_error: mean - law.mean(),
    };
    eprintln!(
        "{q}: outside {:.4} max radius {:.4} edge error {:+.4} KS {:.4} mean error {:+.5} zeros {} of {}",
        m.outside, m.max_radius, m.edge_error, m.ks, m.mean_error, out["zero_count"], out["zero_expected"]
    );
    (out, m)
}

#[test]
fn spectrum_fills_the_ellipse_with_the_theory_radial_mass_at_n1000() {
    for q in [
        "n=1000&alpha=0.5&tau=0.5",
        "n=1000&alpha=2&tau=-0.5",
        "n=1000&alpha=1&tau=0",
        "n=1000&alpha=2&tau=0.5&entries=binary",
        "n=1000&alpha=0.3&tau=0.8&scaling=sqrt_alpha",
    ] {
        let (out, m) = measure(q);
        assert_eq!(out["zero_count"], out["zero_expected"], "{q}: point mass at 0");
        assert!(m.outside < 0.04, "{q}: {} outside", m.outside);
        assert!(m.max_radius < 1.08, "{q}: max radius {}", m.max_radius);
        let a = f(&out["theory"]["semi_real"]);
        assert!(m.edge_error.abs() < 0.06 * a, "{q}: rightmost off by {} (semi-axis {a})", m.edge_error);
        assert!(m.ks < 0.03, "{q}: radial KS {}", m.ks);
        assert!(m.mean_error.abs() < 0.005, "{q}: mean off by {}", m.mean_error);
    }
}

#[test]
fn tau_one_reproduces_the_marchenko_pastur_edges() {
    for alpha in [0.5, 2.0] {
        let out = run(&format!("n=1000&alpha={alpha}&tau=1"), &["spectrum"]);
        let re = floats(&out["eigenvalues"]["re"]);
        let im = floats(&out["eigenvalues"]["im"]);
        assert!(im.iter().all(|y| y.abs() < 1e-5), "J = XXᵀ has real eigenvalues");
        let nonzero: Vec<f64> = re.iter().copied().filter(|x| x.abs() > 1e-4).collect();
        let (lo, hi) = Law::mp_edges(f(&out["alpha"]));
        let (min, max) =
            nonzero.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        eprintln!("MP α={alpha}: edges {min:.4} {max:.4} vs {lo:.4} {hi:.4}, nonzero {}", nonzero.len());
        assert!(
            (min - lo).abs() < 0.03 && (max - hi).abs() < 0.015 * hi,
            "α={alpha}: [{min}, {max}] vs [{lo}, {hi}]"
        );
        assert_eq!(nonzero.len(), 1000.min(f(&out["p"]) as usize));
    }
}

#[test]
fn rightmost_formula_agrees_with_simulation() {
    // τ = −0.5: the right edge rises, then falls below 1/g = 0.25 again.
    let out = run("sweep_n=400&tau=-0.5&g=4&alpha_max=3.2&map_alphas=6&trials=2", &["stability"]);
    let s = &out["stability"];
    let (mean, theory) = (floats(&s["mean"]), floats(&s["theory"]));
    assert_eq!(mean.len(), 6);
    for (i, (m, t)) in mean.iter().zip(&theory).enumerate() {
        eprintln!("α = {}: rightmost {m:.4} theory {t:.4}", s["alpha"][i]);
        assert!((m - t).abs() < 0.05, "α = {}: {m} vs {t}", s["alpha"][i]);
    }
    let sw = floats(&s["switches"]);
    assert!(sw.len() == 2 && (sw[0] - 1.0).abs() < 1e-6 && (sw[1] - 2.25).abs() < 1e-6, "{sw:?}");
    // Far from the switches the simulation gives the theory's verdict.
    assert_eq!(s["stable"][0], Value::Bool(true));
    assert_eq!(s["stable"][5], Value::Bool(true));
    assert_eq!(s["theory_stable"][2], Value::Bool(false));
}

#[test]
fn map_marks_the_stable_again_cells() {
    let out = run("sweep_n=100&g=4&alpha_max=3.2&map_alphas=6&map_taus=5&trials=1", &["map"]);
    let cells = out["map"].as_array().expect("map");
    assert_eq!(cells.len(), 30);
    let marked: Vec<(f64, f64)> = cells
        .iter()
        .filter(|c| c["nonmonotonic"] == Value::Bool(true))
        .map(|c| (f(&c["alpha"]), f(&c["tau"])))
        .collect();
    // Only the τ = −0.5 row is stable again, at the loads above 2.25.
    assert_eq!(marked, vec![(2.4, -0.5), (2.93, -0.5)]);
    for c in cells {
        for k in ["alpha", "tau", "rightmost", "theory_rightmost", "stable"] {
            assert!(!c[k].is_null(), "{k}");
        }
    }
    assert!(!out["map_grid"]["boundary"].as_array().expect("boundary").is_empty());
}

#[test]
fn linear_dynamics_grow_at_the_rate_of_the_rightmost_eigenvalue() {
    // Small N: the eigenvalues next to the rightmost are far enough behind it that its mode
    // dominates the linear trajectory before it reaches the 10⁶ cap (t ≈ 90).
    let q = "n=100&alpha=1.5&tau=0.3&g=0.6&t_max=100";
    let out = run(q, &["spectrum", "dynamics"]);
    let d = &out["dynamics"];
    let rate = f(&d["trajectories"]["linear_rate"]);
    let want = 0.6 * f(&out["rightmost"]) - 1.0;
    eprintln!("linear rate {rate:.4} vs g·rightmost − 1 = {want:.4} (theory {})", d["theory_rate"]);
    assert!((rate - want).abs() < 0.02, "{rate} vs {want}");
    // g · R ≈ 0.6 · 2.3 > 1: unstable, and the nonlinear activity grows away from 0.
    assert_eq!(d["theory_stable"], Value::Bool(false));
    assert!(floats(&d["trajectories"]["growth"]).iter().all(|g| *g > 10.0));
    // A small gain: stable, activity decays.
    let out = run("n=300&alpha=1.5&tau=0.3&g=0.2&t_max=20", &["dynamics"]);
    assert_eq!(out["dynamics"]["theory_stable"], Value::Bool(true));
    assert!(floats(&out["dynamics"]["trajectories"]["growth"]).iter().all(|g| *g < 0.1));
}

#[test]
fn same_query_gives_identical_json() {
    let q = "n=120&alpha=0.7&tau=-0.2&sweep_n=40&map_alphas=3&map_taus=3&trials=2&t_max=2";
    let a = run_query_cpu(&format!("lab=hetero&{q}"), &[], &mut NoProgress).expect("runs").to_json();
    let b = run_query_cpu(&format!("lab=hetero&{q}"), &[], &mut NoProgress).expect("runs").to_json();
    assert_eq!(a, b);
    for key in ["\"eigenvalues\"", "\"theory\"", "\"stability\"", "\"map\"", "\"dynamics\""] {
        assert!(a.contains(key), "{key}");
    }
}

#[test]
fn work_limits_clamp_trials_then_sweep_n_then_t_max() {
    let parsed = from_query("lab=hetero&sweep_n=1000&map_alphas=60&map_taus=41&trials=50");
    let p = parsed.state().expect("hetero").params;
    assert_eq!(p.int("trials"), 1);
    assert!(p.int("sweep_n") < 1000);
    let work = (60 * 42) as f64 * (p.int("sweep_n") as f64).powi(3);
    assert!(work <= super::params::SWEEP_WORK, "{work}");
    let parsed = from_query("lab=hetero&n=2000&alpha=4&tau=1&g=20&t_max=100");
    let p = parsed.state().expect("hetero").params;
    let steps = (p.float("t_max") / super::params::dynamics_step(&p)).ceil();
    assert!(p.float("t_max") < 100.0 && steps * 4e6 <= super::params::DYN_WORK * 1.001, "{steps}");
    assert!(parsed.notices.iter().any(|n| n.key == "t_max"));
    // The defaults need no clamping.
    assert!(from_query("lab=hetero").notices.is_empty());
}

#[test]
fn every_preset_is_a_valid_query_and_every_figure_has_an_empty_state() {
    let lab = super::LAB;
    for p in lab.presets() {
        let parsed = from_query(&format!("lab=hetero&preset={}", p.name));
        assert!(parsed.notices.is_empty(), "{}: {:?}", p.name, parsed.notices);
    }
    let view = crate::labs::View::new(from_query("lab=hetero").state().expect("hetero").params);
    for fig in lab.figures() {
        let built = (fig.build)(&view);
        assert!(
            matches!(built.panels.first().map(|p| &p.body), Some(crate::plot::figure::Body::Empty { .. })),
            "{}",
            fig.name
        );
    }
}

#[test]
fn figures_draw_the_numbers_of_a_small_run() {
    let q = "lab=hetero&n=60&alpha=0.5&tau=0.4&sweep_n=30&map_alphas=3&map_taus=3&trials=2&t_max=2";
    let r = run_query_cpu(q, &[], &mut NoProgress).expect("runs");
    let view = r.view();
    for fig in super::LAB.figures() {
        let built = (fig.build)(&view);
        let text = serde_json::to_string(&built).expect("serialises");
        assert!(!text.contains("NaN"), "{}", fig.name);
        assert!(
            !matches!(built.panels[0].body, crate::plot::figure::Body::Empty { .. }),
            "{} is empty",
            fig.name
        );
        for c in &built.caption {
            assert!(!c.contains("NaN") && !c.contains("inf"), "{}: {c}", fig.name);
        }
        let scene = crate::plot::layout::layout(&built, 640.0);
        assert!(!scene.items.is_empty());
    }
}
