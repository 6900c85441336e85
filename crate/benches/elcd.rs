//! ELCD training benchmark (not a test): training steps per second at batch 100, natively
//! and in a NumPy implementation of the same model and step with hand-written gradients
//! (`crate/benches/elcd_numpy.py`), in the same run. Prints a Markdown table.
//!
//! `cargo bench --bench elcd` (or `-- quick` for fewer steps). Before timing, the NumPy
//! script is handed the same initial parameters and first batch and must reproduce this
//! crate's loss and gradient (the largest difference is printed), so both time the same
//! computation. The timed loop is `hopfield_playground::benchwork::elcd::time_steps`, which the
//! page's benchmark hook runs too (`tests/bench/workloads-browser.mjs`, the browser column).

use hopfield_playground::benchwork::elcd::{HIDDEN, model, time_steps};
use hopfield_playground::labs::elcd::data;
use hopfield_playground::labs::elcd::model::Model;
use hopfield_playground::labs::elcd::train::Batches;
use hopfield_playground::rng::seeded;
use std::io::Write;
use std::process::Command;
use std::time::Instant;

struct Case {
    name: &'static str,
    /// The model's name in `benchwork::elcd::model` (and the browser column).
    key: &'static str,
    model: Box<dyn Model>,
    kind: &'static str,
    diffeo: bool,
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let steps = if quick { 300 } else { 2000 };
    let demos = data::lasa("worm").expect("the LASA asset ships with the crate");
    let (xs, vs) = demos.samples();
    let hidden = HIDDEN;
    let made = |name: &str| model(name, &demos.x_star).expect("a benchmark model");
    let cases = [
        Case {
            name: "ELCD, no diffeomorphism",
            key: "elcd",
            model: made("elcd"),
            kind: "elcd",
            diffeo: false,
        },
        Case {
            name: "ELCD, 4 coupling layers",
            key: "elcd_diffeo",
            model: made("elcd_diffeo"),
            kind: "elcd",
            diffeo: true,
        },
        Case { name: "MLP baseline", key: "mlp", model: made("mlp"), kind: "mlp", diffeo: false },
    ];
    let origin = Instant::now();
    let now = || origin.elapsed().as_secs_f64();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/elcd_numpy.py");
    let machine = format!(
        "{} cores, {}, load {}",
        std::thread::available_parallelism().map_or(1, usize::from),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l
                .split(':')
                .nth(1)
                .unwrap_or("")
                .trim()
                .to_string()))
            .unwrap_or_default(),
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    );
    let date = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let numpy_version = Command::new("python3")
        .args(["-c", "import numpy; print(numpy.__version__)"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let browser = browser_steps_per_second(quick);
    println!(
        "ELCD training benchmark, {date}; {machine}; LASA Worm (300 samples), batch 100, hidden 16, {steps} steps, best of 3."
    );
    println!();
    println!(
        "| model | params | native steps/s | NumPy {numpy_version} steps/s | browser (wasm) steps/s | native ÷ NumPy (steps/s) | browser ÷ NumPy (steps/s) | native time ÷ NumPy | max |Δgrad| |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for c in &cases {
        let m = c.model.as_ref();
        // The check: same parameters, same first batch, same loss and gradient.
        let p0 = m.init(&mut seeded(1, 71));
        let idx = Batches::new(xs.len() / 2, 100, seeded(1, 73)).next_batch().to_vec();
        let mut g = vec![0.0; p0.len()];
        let loss = m.loss_grad(&p0, &xs, &vs, &idx, &mut g);
        let spec = serde_json::json!({
            "kind": c.kind, "diffeo": c.diffeo, "hidden": hidden, "alpha": 0.1, "x_star": demos.x_star,
            "xs": xs, "vs": vs, "params": p0, "idx": idx, "loss": loss, "grad": g, "steps": steps,
        });
        let path = std::env::temp_dir().join(format!("elcd_bench_{}_{}.json", c.kind, c.diffeo));
        let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(spec.to_string().as_bytes()));
        let native = time_steps(m, &xs, &vs, steps, 3, &now);
        let native_sps = steps as f64 / native;
        let (numpy_sps, diff) = match written {
            Ok(()) => match Command::new("python3").arg(script).arg(&path).output() {
                Ok(o) if o.status.success() => {
                    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
                    (
                        v["steps_per_second"].as_f64().unwrap_or(f64::NAN),
                        v["max_grad_diff"].as_f64().unwrap_or(f64::NAN),
                    )
                }
                Ok(o) => {
                    eprintln!("NumPy script failed: {}", String::from_utf8_lossy(&o.stderr));
                    (f64::NAN, f64::NAN)
                }
                Err(e) => {
                    eprintln!("python3 did not run: {e}");
                    (f64::NAN, f64::NAN)
                }
            },
            Err(e) => {
                eprintln!("could not write {}: {e}", path.display());
                (f64::NAN, f64::NAN)
            }
        };
        let browser_sps = browser.iter().find(|(k, _)| k == c.key).map_or(f64::NAN, |(_, v)| *v);
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {:.2}× | {:.2}× | {:.2}× | {:.1e} |",
            c.name,
            m.n_params(),
            native_sps,
            numpy_sps,
            browser_sps,
            native_sps / numpy_sps,
            browser_sps / numpy_sps,
            numpy_sps / native_sps,
            diff
        );
    }
}

/// Steps per second of each model in headless Chromium (the page's wasm, one core), from
/// `tests/bench/workloads-browser.mjs`; empty without `dist/` (`trunk build --release`),
/// without node, or with `NOBROWSER` set.
fn browser_steps_per_second(quick: bool) -> Vec<(String, f64)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    if std::env::var_os("NOBROWSER").is_some() || !std::path::Path::new(root).join("dist/index.html").exists()
    {
        eprintln!("no dist/ (trunk build --release) or NOBROWSER set: no browser column");
        return Vec::new();
    }
    let mut cmd = Command::new("node");
    cmd.current_dir(root).args(["tests/bench/workloads-browser.mjs", "elcd"]);
    if quick {
        cmd.arg("quick");
    }
    match cmd.output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| Some((v["model"].as_str()?.to_string(), v["steps_per_second"].as_f64()?)))
            .collect(),
        Ok(o) => {
            eprintln!("the browser benchmark failed: {}", String::from_utf8_lossy(&o.stderr));
            Vec::new()
        }
        Err(e) => {
            eprintln!("node did not run: {e}");
            Vec::new()
        }
    }
}
