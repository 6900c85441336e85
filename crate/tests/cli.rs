//! The `hopfield` binary as a user runs it.
#![cfg(not(target_arch = "wasm32"))]

use std::process::{Command, Output};

fn hopfield(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hopfield")).args(args).output().expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const Q: &str = "v=1&lab=classic&seed=5&n=49&p=5&flip=0.2&cap_n=30&cap_points=3&cap_trials=4";

#[test]
fn help_documents_the_run_command() {
    let out = hopfield(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(help.contains("run") && help.contains("labs") && help.contains("params"), "{help}");
    let run_help = text(&hopfield(&["run", "--help"]).stdout);
    assert!(run_help.contains("--format") && run_help.contains("--table") && run_help.contains("--part"));
}

#[test]
fn same_query_twice_is_byte_identical() {
    let a = hopfield(&["run", Q]);
    let b = hopfield(&["run", Q]);
    assert!(a.status.success(), "{}", text(&a.stderr));
    assert_eq!(a.stdout, b.stdout);
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).expect("valid JSON");
    assert_eq!(v["lab"], "classic");
    assert_eq!(v["patterns"].as_array().map(Vec::len), Some(5));
    assert_eq!(v["capacity"]["patterns"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_whole_url_works_like_its_query() {
    let a = hopfield(&["run", Q]);
    let b = hopfield(&["run", &format!("http://127.0.0.1:8080/?{Q}")]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn clamped_values_are_reported_on_stderr() {
    let out = hopfield(&[
        "run",
        "lab=classic&n=99999&flip=abc&cap_n=20&cap_points=2&cap_trials=1",
        "--part",
        "recall",
    ]);
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("notice: n=99999 is outside 4..1024; clamped to 1024"), "{err}");
    assert!(err.contains("notice: flip=\"abc\" is not a number"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["n"], 1024);
    assert!(v.get("capacity").is_none(), "only the requested part");
}

#[test]
fn unknown_lab_or_format_fails_clearly() {
    for q in ["lab=nope", "n=5", ""] {
        let out = hopfield(&["run", q]);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("names no known lab"), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty());
    }
    let out = hopfield(&["run", Q, "--format", "xml"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("invalid value 'xml'"));
    // A lab that is still planned (if any is left) says so.
    if let Some(planned) = hopfield_playground::labs::LABS.iter().find(|l| l.runner.is_none()) {
        let out = hopfield(&["run", &format!("lab={}", planned.id)]);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("not built yet"));
    }
    let out = hopfield(&["run", Q, "--part", "nonsense"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown part"));
}

#[test]
fn csv_prints_one_row_per_record() {
    let out = hopfield(&["run", Q, "--format", "csv", "--table", "capacity"]);
    assert!(out.status.success());
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "load,patterns,exact,near,mean_overlap");
    assert_eq!(lines.len(), 4);
    let out = hopfield(&["run", Q, "--format", "csv"]);
    assert!(text(&out.stdout).starts_with("step,energy,overlap_target,best_overlap,changed\n0,"));
    let out = hopfield(&["run", Q, "--format", "csv", "--table", "zzz"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown table"));
}

#[test]
fn params_lists_every_key() {
    let out = hopfield(&["params", "classic"]);
    let t = text(&out.stdout);
    for key in [
        "seed",
        "backend",
        "data",
        "n",
        "p",
        "target",
        "flip",
        "flips",
        "mode",
        "steps",
        "cap_n",
        "cap_max",
        "cap_points",
        "cap_trials",
    ] {
        assert!(t.lines().any(|l| l.starts_with(&format!("{key} "))), "{key} missing:\n{t}");
    }
    assert!(!hopfield(&["params", "zzz"]).status.success());
}

const DENSE: &str = "v=1&lab=dense&seed=9&grid=30&p3_n=30&p3_trials=4&c_starts=4&e7_starts=2&nd_n=10";

#[test]
fn dense_lab_prints_fixed_points_and_the_trajectory_reproducibly() {
    let a = hopfield(&["run", DENSE]);
    let b = hopfield(&["run", DENSE]);
    assert!(a.status.success(), "{}", text(&a.stderr));
    assert_eq!(a.stdout, b.stdout);
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).expect("valid JSON");
    assert_eq!(v["lab"], "dense");
    let points = v["fixed_points"]["points"].as_array().expect("points");
    assert_eq!(points.len(), 3);
    assert!(points.iter().all(|p| p["eigenvalues"].as_array().map(Vec::len) == Some(2)));
    let t = &v["trajectory"];
    assert_eq!(t["x"].as_array().map(Vec::len), t["t"].as_array().map(Vec::len));
    assert_eq!(t["energies"][0]["energy"], "kh");
    for key in ["landscape", "dead_neurons", "prop3", "appendix_c", "example7"] {
        assert!(v.get(key).is_some(), "{key}");
    }
}

#[test]
fn dense_csv_tables_are_selectable() {
    for (table, header) in [
        ("trajectory", "t,x,y,energy_kh,energy_e3"),
        ("fixed_points", "x,y,stability,re1,im1,re2,im2,residual,steady,dead"),
        ("prop3", "k,k_over_n,ratio,stderr,limit,finite_n,mean_of_ratios"),
        ("appendix_c", "start,t,distance,bound"),
        ("example7", "r,start,t,energy"),
        ("spectrum", "matrix,re,im"),
        ("landscape", "x,y,energy_a,energy_b,flat_a,flat_b,dead"),
    ] {
        let out = hopfield(&["run", DENSE, "--format", "csv", "--table", table]);
        assert!(out.status.success(), "{table}: {}", text(&out.stderr));
        assert!(text(&out.stdout).starts_with(&format!("{header}\n")), "{table}");
    }
}

const KLR: &str = "v=1&lab=klr&n=40&p=30&sweep=1&sw_gmin=0.001&sw_gmax=1&sw_gn=3&sw_ln=4&sw_lmax=2&epochs=50&cap_max=0.5&cap_points=2";

#[test]
fn klr_prints_the_documented_fields_and_one_csv_row_per_sweep_cell() {
    let out = hopfield(&["run", KLR, "--part", "network"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    for key in ["gamma", "patterns", "alpha", "sharpness", "force_direct_sq", "force_indirect_sq", "rho"] {
        assert!(!v[key].is_null(), "{key}");
    }
    assert_eq!(v["sharpness"].as_array().map(Vec::len), Some(30));
    for key in ["stable_rank", "alpha_singular_values", "lambda_max", "recall", "recall_test"] {
        assert!(!v[key].is_null(), "{key}");
    }
    let csv = text(&hopfield(&["run", KLR, "--format", "csv"]).stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 12, "header + one row per cell:\n{csv}");
    assert!(lines[0].starts_with("index,i_gamma,i_load,gamma,load,p,status,"));
    // A shard prints its own cells; the shards together are the whole sweep.
    let mut rows: Vec<String> = Vec::new();
    for shard in 0..2 {
        let q = format!("{KLR}&shard={shard}&shards=2");
        let part = text(&hopfield(&["run", &q, "--format", "csv", "--table", "sweep"]).stdout);
        rows.extend(part.lines().skip(1).map(String::from));
    }
    rows.sort_by_key(|r| r.split(',').next().and_then(|i| i.parse::<usize>().ok()));
    assert_eq!(rows, lines[1..].iter().map(|s| s.to_string()).collect::<Vec<_>>());
}

#[test]
fn klr_clamps_what_it_cannot_hold_and_says_why() {
    // The pins part (none pinned) is instant; the notices are the link's.
    let out = hopfield(&["run", "lab=klr&n=2048&p=6000", "--part", "pins"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("p=6000 is outside 1..4096; clamped to 4096"), "{err}");
    assert!(err.contains("the network's P would be 4096, beyond its limit of 1024"), "{err}");
    assert!(err.contains("p=4096 lowered to 1024"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(v["query"].as_str().expect("query").contains("&n=2048&p=1024&"), "{}", v["query"]);
    let params = text(&hopfield(&["params", "klr"]).stdout);
    for key in
        ["n", "p", "gamma", "lambda", "lr", "epochs", "flip", "seed", "learner", "diverge", "sweep", "pins"]
    {
        assert!(params.lines().any(|l| l.starts_with(&format!("{key} "))), "{key} missing:\n{params}");
    }
}

const ELCD: &str = "v=1&lab=elcd&demo=linear&diffeo=1&steps=300&starts=2&grid=8";

#[test]
fn elcd_trains_and_reports_the_dtwd_for_the_page_query() {
    let a = hopfield(&["run", ELCD]);
    let b = hopfield(&["run", ELCD]);
    assert!(a.status.success(), "{}", text(&a.stderr));
    assert_eq!(a.stdout, b.stdout, "same query, same training");
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).expect("JSON");
    assert_eq!(v["lab"], "elcd");
    let dtwd = v["dtwd"].as_array().expect("dtwd per demonstration");
    assert_eq!(dtwd.len(), 2);
    assert!(dtwd.iter().all(|d| d.as_f64().is_some_and(|d| d.is_finite() && d > 0.0)));
    assert_eq!(v["loss"].as_array().map(Vec::len), Some(300));
    assert!(v["max_sym_eig"].as_f64().is_some_and(|m| m <= -0.1));
    assert_eq!(v["grid_sym_eig"]["values"].as_array().map(Vec::len), Some(64));
    let r = &v["rollouts"][0];
    for key in ["t", "x", "distance", "bound"] {
        assert!(r[key].as_array().is_some_and(|a| !a.is_empty()), "{key}");
    }
    assert_eq!(v["mlp"]["dtwd"].as_array().map(Vec::len), Some(2));
    let csv = text(&hopfield(&["run", ELCD, "--format", "csv", "--table", "dtwd"]).stdout);
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with("demo,dtwd\n0,"));
    let svg = hopfield(&["run", ELCD, "--format", "svg", "--figure", "compare"]);
    assert!(svg.status.success() && text(&svg.stdout).starts_with("<svg"), "{}", text(&svg.stderr));
}
