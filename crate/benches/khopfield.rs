//! Benchmark of the khopfield lab's batched retrieval (not a test): 1,000 probes (every 10th
//! MNIST digit, top half occluded) against all 10,000 stored MNIST digits, pixels in [0, 1],
//! β = 3, k = 5, f32 similarities; for the dot and the −Manhattan similarity. Three stages,
//! as the lab's Figure 3.2 part runs them: the similarities through `Compute` (CPU, and
//! the GPU when wgpu finds an adapter), ksoftmax with k = 5 for every probe (f64), and the
//! outputs `Ξ ksoftmax_i` with the retrieved memories `argmax ksoftmax_i`.
//!
//! Prints one JSON line per run; `crate/benches/khopfield.sh` runs it beside the NumPy
//! reference (`khopfield_numpy.py`) and prints the table. Arguments: `quick` (100 probes
//! against 2,000 digits), `nogpu`, `dump=DIR` (write the retrieved indices for the
//! cross-check with NumPy).

use hopfield_playground::compute::{Compute, Mat, gpu::Gpu};
use hopfield_playground::data;
use hopfield_playground::labs::khopfield::model::{Sim, combine_rows, similarities_batch};
use hopfield_playground::labs::khopfield::ssm::{argmax, ksoftmax};
use std::sync::Arc;
use std::time::Instant;

const BETA: f64 = 3.0;
const K: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let nogpu = args.iter().any(|a| a == "nogpu");
    let dump = args.iter().find_map(|a| a.strip_prefix("dump=")).map(String::from);
    let (p, b) = if quick { (2000, 100) } else { (10_000, 1000) };
    let m = data::mnist().expect("MNIST is embedded natively");
    let n = data::MNIST_PIXELS;
    let mut mem = Mat::<f32>::zeros(p, n);
    for i in 0..p {
        for (d, &v) in mem.row_mut(i).iter_mut().zip(m.pixels(i)) {
            *d = f32::from(v) / 255.0;
        }
    }
    let mut probes = Mat::<f32>::zeros(b, n);
    for j in 0..b {
        let src = mem.row(j * (p / b)).to_vec();
        let row = probes.row_mut(j);
        row.copy_from_slice(&src);
        row[..n / 2].fill(0.0); // top 14 rows occluded
    }
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
    for sim in [Sim::Dot, Sim::NegManhattan] {
        let name = if sim == Sim::Dot { "dot" } else { "neg_manhattan" };
        for (label, c) in &backends {
            let t0 = Instant::now();
            let sims = pollster::block_on(similarities_batch(c, sim, &mem, &probes));
            let t_sims = t0.elapsed().as_secs_f64();
            // ksoftmax and the outputs, in chunks of 32 probes as the lab's Figure 3.2 part does.
            let (mut t_ks, mut t_out) = (0.0, 0.0);
            let mut retrieved = Vec::with_capacity(b * K);
            let mut out_sum = 0.0;
            for j0 in (0..b).step_by(32) {
                let t1 = Instant::now();
                let mut weights = Vec::new();
                for j in j0..(j0 + 32).min(b) {
                    let z: Vec<f64> = sims.row(j).iter().map(|&s| BETA * f64::from(s)).collect();
                    weights.extend(ksoftmax(&z, K).columns);
                }
                t_ks += t1.elapsed().as_secs_f64();
                let t2 = Instant::now();
                let outs = pollster::block_on(combine_rows(c, &mem, &weights));
                for (w, o) in weights.iter().zip(&outs) {
                    out_sum += o.iter().sum::<f64>();
                    retrieved.push(argmax(w));
                }
                t_out += t2.elapsed().as_secs_f64();
            }
            println!(
                "{{\"impl\":\"{label}\",\"threads\":\"{threads}\",\"similarity\":\"{name}\",\"probes\":{b},\"memories\":{p},\"sims_s\":{t_sims:.4},\"ksoftmax_s\":{t_ks:.4},\"outputs_s\":{t_out:.4},\"total_s\":{:.4},\"output_sum\":{out_sum:.6}}}",
                t_sims + t_ks + t_out
            );
            if let Some(dir) = &dump {
                let text: Vec<String> = retrieved.iter().map(usize::to_string).collect();
                let path = format!("{dir}/retrieved_{label}_{name}.txt");
                if let Err(e) = std::fs::write(&path, text.join("\n")) {
                    eprintln!("could not write {path}: {e}");
                }
            }
        }
    }
}
