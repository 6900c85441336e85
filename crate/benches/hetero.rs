//! Eigenvalue benchmark of the hetero lab (not a test): `cargo bench --bench hetero` draws
//! the lab's `J = Y Xᵀ` (Gaussian pairs, τ = 0.5, α = 1, seed 42) at N = 1000 and 2000,
//! writes each J to `$HETERO_BENCH_DIR/j_N.f64` (raw little-endian f64, row-major) for the
//! NumPy side of `crate/benches/hetero.sh`, and prints one JSON line per measurement:
//! faer (the lab's solver) and nalgebra's Schur, both single-threaded.
//!
//! `cargo bench --bench hetero -- quick` runs N = 1000 only.

use hopfield_playground::compute::{Compute, Mat};
use hopfield_playground::labs::hetero::ensemble::{
    Entries, coupling, draw, eigenvalues, eigenvalues_nalgebra,
};
use hopfield_playground::rng::seeded;
use std::io::Write;
use std::time::Instant;

/// Median seconds of `reps` runs of `f`.
fn median(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut ts: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    ts.sort_by(f64::total_cmp);
    ts[ts.len() / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let dir =
        std::env::var("HETERO_BENCH_DIR").unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    let sizes: &[usize] = if quick { &[1000] } else { &[1000, 2000] };
    for &n in sizes {
        let pairs = draw(n, n, 0.5, Entries::Gauss, &mut seeded(42, 1));
        let j: Mat<f64> = pollster::block_on(coupling(&Compute::cpu("bench"), &pairs)).to_f64();
        let path = format!("{dir}/j_{n}.f64");
        let bytes: Vec<u8> = j.data.iter().flat_map(|x| x.to_le_bytes()).collect();
        if let Err(e) = std::fs::File::create(&path).and_then(|mut f| f.write_all(&bytes)) {
            eprintln!("cannot write {path}: {e}");
        }
        let mut rightmost = 0.0;
        let faer = median(3, || {
            let ev = eigenvalues(&j).unwrap_or_default();
            rightmost = ev.iter().map(|z| z.0).fold(f64::NEG_INFINITY, f64::max);
        });
        println!("{{\"impl\":\"faer\",\"n\":{n},\"seconds\":{faer:.4},\"rightmost\":{rightmost:.6}}}");
        let reps = if n > 1000 { 1 } else { 3 };
        let nalg = median(reps, || {
            let ev = eigenvalues_nalgebra(&j).unwrap_or_default();
            rightmost = ev.iter().map(|z| z.0).fold(f64::NEG_INFINITY, f64::max);
        });
        println!("{{\"impl\":\"nalgebra\",\"n\":{n},\"seconds\":{nalg:.4},\"rightmost\":{rightmost:.6}}}");
    }
}
