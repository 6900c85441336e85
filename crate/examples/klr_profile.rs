//! Where a sweep cell spends its time (not a test): `cargo run --release --example klr_profile`.
use hopfield_playground::labs::klr::{geometry, kernel, network, recall, spectra, train};
use std::time::Instant;

fn main() {
    let (n, p) = (100, 600);
    {
        use hopfield_playground::compute::{Mat, cpu};
        let xi = kernel::random_patterns(42, 0, n, p);
        let k = kernel::kernel_from_gram(&kernel::pattern_gram(&xi), n, 0.05);
        let mut a = Mat::zeros(p, n);
        let z = xi.clone();
        let t = Instant::now();
        for _ in 0..300 {
            let h = cpu::matmul(&k, &a);
            cpu::gemm_acc(-1e-3, &k, &z, 1.0, &mut a);
            std::hint::black_box(&h);
        }
        println!("600 GEMMs alone: {:?}", t.elapsed());
        let t = Instant::now();
        let mut s = 0.0;
        for _ in 0..300 {
            for &y in &a.data {
                let e = (-f64::abs(y)).exp();
                s += e.ln_1p() + e / (1.0 + e);
            }
        }
        println!("300 elementwise passes: {:?} {s}", t.elapsed());
    }
    for gamma in [0.003, 0.02, 0.1, 3.0] {
        let t0 = Instant::now();
        let xi = kernel::random_patterns(42, 0, n, p);
        let k = kernel::kernel_from_gram(&kernel::pattern_gram(&xi), n, gamma);
        let t_k = t0.elapsed();
        let t1 = Instant::now();
        let lk = train::kernel_lambda_max(&k);
        let t_pow = t1.elapsed();
        let t2 = Instant::now();
        let cfg = train::GdConfig { on_diverge: train::OnDiverge::Continue, ..Default::default() };
        let t = train::train_gd(&k, &xi, &cfg);
        let t_train = t2.elapsed();
        let t3 = Instant::now();
        let g = geometry::pattern_geometry(&xi, &t.alpha, &t.h, &k, gamma);
        let t_geo = t3.elapsed();
        let t4 = Instant::now();
        let s = spectra::summary(&t.alpha, &t.h);
        let t_spec = t4.elapsed();
        let t5 = Instant::now();
        let probes = recall::test_probes(&xi, 42, 0, 10, 0.2);
        let r = recall::recall_batch(&xi, &t.alpha, gamma, &probes, 30);
        let t_rec = t5.elapsed();
        println!(
            "γ={gamma}: kernel {t_k:?} power {t_pow:?} (λ={lk:.3}) train {t_train:?} ({:?}) geometry {t_geo:?} spectra {t_spec:?} recall {t_rec:?} steps {:?} M0={:.3e} {:?}",
            t.status,
            r.steps,
            g.sharpness[0],
            s.map(|x| x.0)
        );
        let _ = network::Learner::Gd;
    }
}

#[allow(dead_code)]
fn gemm_only() {}
