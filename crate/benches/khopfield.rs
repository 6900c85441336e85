//! Benchmark of the khopfield lab's batched retrieval (not a test): 1,000 probes (every 10th
//! MNIST digit, top half occluded) against all 10,000 stored MNIST digits, pixels in [0, 1],
//! β = 3, k = 5, f32 similarities; for the dot and the −Manhattan similarity. Three stages,
//! as the lab's Figure 3.2 part runs them: the similarities through `Compute` (CPU, and
//! the GPU when wgpu finds an adapter), ksoftmax with k = 5 for every probe (f64), and the
//! outputs `Ξ ksoftmax_i` with the retrieved memories `argmax ksoftmax_i`.
//!
//! The workload is `hopfield_playground::benchwork::khopfield`, which the page's benchmark
//! hook runs too (`tests/bench/workloads-browser.mjs`, the browser columns).
//!
//! Prints one JSON line per run; `crate/benches/khopfield.sh` runs it beside the NumPy
//! reference (`khopfield_numpy.py`) and prints the table. Arguments: `quick` (100 probes
//! against 2,000 digits), `nogpu`, `dump=DIR` (write the retrieved indices for the
//! cross-check with NumPy).

use hopfield_playground::benchwork::khopfield::{retrieve, setup};
use hopfield_playground::compute::{Compute, gpu::Gpu};
use hopfield_playground::labs::khopfield::model::Sim;
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let nogpu = args.iter().any(|a| a == "nogpu");
    let dump = args.iter().find_map(|a| a.strip_prefix("dump=")).map(String::from);
    let (p, b) = if quick { (2000, 100) } else { (10_000, 1000) };
    let r = setup(p, b).expect("MNIST is embedded natively");
    let mut backends = vec![("native-cpu", Compute::cpu("bench"))];
    if !nogpu {
        match pollster::block_on(Gpu::new()) {
            Ok(g) => {
                eprintln!("GPU: {}", g.describe());
                backends.push(("native-gpu", Compute::with_gpu(Arc::new(g))));
            }
            Err(e) => eprintln!("no GPU: {e}"),
        }
    }
    let threads = std::env::var("HOPFIELD_THREADS").unwrap_or_else(|_| "all".into());
    let origin = Instant::now();
    let now = || origin.elapsed().as_secs_f64();
    for sim in [Sim::Dot, Sim::NegManhattan] {
        let name = if sim == Sim::Dot { "dot" } else { "neg_manhattan" };
        for (label, c) in &backends {
            let t = pollster::block_on(retrieve(c, sim, &r, &now));
            println!(
                "{{\"impl\":\"{label}\",\"threads\":\"{threads}\",\"similarity\":\"{name}\",\"probes\":{b},\"memories\":{p},\"sims_s\":{:.4},\"ksoftmax_s\":{:.4},\"outputs_s\":{:.4},\"total_s\":{:.4},\"output_sum\":{:.6}}}",
                t.sims_s,
                t.ksoftmax_s,
                t.outputs_s,
                t.total_s(),
                t.output_sum
            );
            if let Some(dir) = &dump {
                let text: Vec<String> = t.retrieved.iter().map(usize::to_string).collect();
                let path = format!("{dir}/retrieved_{label}_{name}.txt");
                if let Err(e) = std::fs::write(&path, text.join("\n")) {
                    eprintln!("could not write {path}: {e}");
                }
            }
        }
    }
}
