//! ELCD training benchmark (not a test): training steps per second at batch 100, natively
//! and in a NumPy implementation of the same model and step with hand-written gradients
//! (`crate/benches/elcd_numpy.py`), in the same run. Prints a Markdown table.
//!
//! `cargo bench --bench elcd` (or `-- quick` for fewer steps). Before timing, the NumPy
//! script is handed the same initial parameters and first batch and must reproduce this
//! crate's loss and gradient (the largest difference is printed), so both time the same
//! computation.

use hopfield_playground::labs::elcd::data;
use hopfield_playground::labs::elcd::model::{Elcd, Mlp, Model};
use hopfield_playground::labs::elcd::train::{Adam, Batches};
use hopfield_playground::rng::seeded;
use std::io::Write;
use std::process::Command;
use std::time::Instant;

struct Case {
    name: &'static str,
    model: Box<dyn Model>,
    kind: &'static str,
    diffeo: bool,
}

/// Seconds for `steps` training steps (Adam, batch 100), best of `reps`.
fn time_steps(model: &dyn Model, xs: &[f64], vs: &[f64], steps: usize, reps: usize) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let mut p = model.init(&mut seeded(1, 71));
        let mut grad = vec![0.0; p.len()];
        let mut adam = Adam::new(p.len(), 1e-3);
        let mut batches = Batches::new(xs.len() / model.dim(), 100, seeded(1, 73));
        let t0 = Instant::now();
        for _ in 0..steps {
            let idx = batches.next_batch().to_vec();
            model.loss_grad(&p, xs, vs, &idx, &mut grad);
            adam.step(&mut p, &grad);
        }
        best = best.min(t0.elapsed().as_secs_f64());
        std::hint::black_box(&p);
    }
    best
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let steps = if quick { 300 } else { 2000 };
    let demos = data::lasa("worm").expect("the LASA asset ships with the crate");
    let (xs, vs) = demos.samples();
    let hidden = 16;
    let cases = [
        Case {
            name: "ELCD, no diffeomorphism",
            model: Box::new(Elcd::new(2, hidden, 0.1, demos.x_star.clone(), false)),
            kind: "elcd",
            diffeo: false,
        },
        Case {
            name: "ELCD, 4 coupling layers",
            model: Box::new(Elcd::new(2, hidden, 0.1, demos.x_star.clone(), true)),
            kind: "elcd",
            diffeo: true,
        },
        Case { name: "MLP baseline", model: Box::new(Mlp::new(2, hidden)), kind: "mlp", diffeo: false },
    ];
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
    println!(
        "ELCD training benchmark, {date}; {machine}; LASA Worm (300 samples), batch 100, hidden 16, {steps} steps, best of 3."
    );
    println!();
    println!(
        "| model | params | native steps/s | NumPy {numpy_version} steps/s | native ÷ NumPy (steps/s) | time ÷ NumPy | max |Δgrad| |"
    );
    println!("|---|---|---|---|---|---|---|");
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
        let native = time_steps(m, &xs, &vs, steps, 3);
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
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.2}× | {:.2}× | {:.1e} |",
            c.name,
            m.n_params(),
            native_sps,
            numpy_sps,
            native_sps / numpy_sps,
            numpy_sps / native_sps,
            diff
        );
    }
}
