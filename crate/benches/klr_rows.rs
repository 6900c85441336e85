//! Where the KLR lab's 30 × 30 sweep (the author's grid, `lab=klr&sweep=1`) spends its time,
//! one γ row at a time on one thread: building the kernel, training (the two products per
//! epoch and the fused loss pass), the forces and recall test, the summary. Prints a table
//! (seconds per row, the 30 cells' epochs and statuses: b budget, c converged, d diverged).
//!
//!   cargo bench --bench klr_rows [-- f64] [-- continue] [-- ROWS]   (ROWS: e.g. 14,15,18)
//!
//! Not a comparison with a reference: `crate/benches/klr_sweep.sh` times the whole sweep
//! against NumPy; this says which rows cost what.
use hopfield_playground::compute::Compute;
use hopfield_playground::labs::klr::kernel::{
    kernel_from_gram, leading_block, pattern_gram, prefix, random_patterns,
};
use hopfield_playground::labs::klr::network::{Learner, Setup, inspect, summarize, train_network};
use hopfield_playground::labs::klr::sweep::{patterns_at, spaced};
use hopfield_playground::labs::klr::train::{GdConfig, OnDiverge, Precision};
use std::time::Instant;

/// Poll a CPU future once (CPU work finishes on its first poll).
fn ready<F: std::future::Future>(f: F) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let precision = if args.iter().any(|a| a == "f64") { Precision::F64 } else { Precision::F32 };
    let on_diverge = if args.iter().any(|a| a == "continue") { OnDiverge::Continue } else { OnDiverge::Stop };
    let rows: Vec<usize> = args
        .iter()
        .find_map(|a| a.split(',').map(|x| x.parse().ok()).collect::<Option<Vec<usize>>>())
        .unwrap_or_else(|| (0..30).collect());
    let n = 100;
    let gammas = spaced(1e-4, 10.0, 30, true);
    let loads = spaced(0.1, 6.0, 30, false);
    let xi_all = random_patterns(42, 0, n, patterns_at(6.0, n));
    let gram = pattern_gram(&xi_all);
    let compute = Compute::cpu("bench");
    println!(
        "products in {precision:?}, on divergence {on_diverge:?}; seconds per row of 30 cells, one thread"
    );
    println!("| row | γ | kernel | training | forces + recall | summary | epochs | statuses |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---|");
    let mut total = [0.0f64; 4];
    for ig in rows.into_iter().filter(|&i| i < gammas.len()) {
        let gamma = gammas[ig];
        let (mut t, mut epochs, mut statuses) = ([0.0f64; 4], 0usize, String::new());
        for &load in &loads {
            let p = patterns_at(load, n);
            let setup = Setup {
                n,
                p,
                gamma,
                learner: Learner::Gd,
                gd: GdConfig { lambda: 0.01, lr: 0.1, epochs: 300, tol: 1e-6, on_diverge, precision },
                flip: 0.2,
                steps: 30,
                tests: 10,
                target: 0,
                seed: 42,
                trial: 0,
            };
            let t0 = Instant::now();
            let xi = prefix(&xi_all, p);
            let k = kernel_from_gram(&leading_block(&gram, p), n, gamma);
            let t1 = Instant::now();
            let Some(Ok(net)) = ready(train_network(&compute, &setup, xi, k, &mut |_, _| {})) else {
                eprintln!("cell γ={gamma} P={p}: training failed");
                continue;
            };
            let t2 = Instant::now();
            let Some(insp) = ready(inspect(&compute, &net, &setup)) else { continue };
            let t3 = Instant::now();
            let s = summarize(&net, &setup, &insp);
            let t4 = Instant::now();
            for (acc, d) in t.iter_mut().zip([t1 - t0, t2 - t1, t3 - t2, t4 - t3]) {
                *acc += d.as_secs_f64();
            }
            epochs += s.epochs_run;
            statuses.push(s.status.chars().next().unwrap_or('?'));
        }
        println!(
            "| {ig} | {gamma:.3e} | {:.3} | {:.3} | {:.3} | {:.3} | {epochs} | {statuses} |",
            t[0], t[1], t[2], t[3]
        );
        for (acc, v) in total.iter_mut().zip(t) {
            *acc += v;
        }
    }
    println!("| all | | {:.2} | {:.2} | {:.2} | {:.2} | | |", total[0], total[1], total[2], total[3]);
}
