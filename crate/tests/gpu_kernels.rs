//! Every WGSL kernel against the f64 CPU reference, on whatever adapter wgpu finds
//! (lavapipe in CI: `tests/setup.sh` installs it). No adapter is a failure, not a pass:
//! set `HOPFIELD_ALLOW_NO_GPU=1` to skip on purpose, and the skip is printed.
//!
//! Tolerances (stated per test): products compare with |gpu − ref| ≤ 1e-5·Σ_t|x_t y_t| +
//! 1e-6, the worst-case f32 accumulation bound for the lengths used; exponentials add
//! a relative 1e-5; ±1 dynamics with integer weights are exact; RK4 particle advection
//! agrees with f64 RK4 to 1e-5·(1 + |x|) per coordinate (the dense lab's own field is
//! tested in `dense_gpu_particles.rs`); a recorded program (products and a kernel from
//! source, many steps in one submission) agrees to 1e-4 (the KLR lab's own recorded training
//! is tested in `klr_gpu.rs`).
#![cfg(not(target_arch = "wasm32"))]

use hopfield_playground::compute::check::{LINEAR_A, LINEAR_FIELD, linear_rk4};
use hopfield_playground::compute::gpu::advect::{AdvectParams, code};
use hopfield_playground::compute::{Compute, Mat, RowStatus, cpu, gpu::Gpu};
use hopfield_playground::rng::{normal, seeded, spins};
use std::sync::Arc;

mod common;

fn gpu() -> Option<Arc<Gpu>> {
    common::gpu("GPU kernel tests")
}

fn random(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
    let mut rng = seeded(seed, 9);
    Mat { rows, cols, data: (0..rows * cols).map(|_| normal(&mut rng)).collect() }
}

/// Assert `got ≈ want` entrywise with `tol(i, j)`.
fn close(got: &Mat<f32>, want: &Mat<f64>, tol: impl Fn(usize, usize) -> f64, what: &str) {
    assert_eq!((got.rows, got.cols), (want.rows, want.cols), "{what}: shape");
    for i in 0..want.rows {
        for j in 0..want.cols {
            let (g, w) = (f64::from(got.at(i, j)), want.at(i, j));
            assert!((g - w).abs() <= tol(i, j), "{what}: ({i},{j}) gpu {g} vs reference {w}");
        }
    }
}

/// Σ_t |a_it · b_tj|: the scale of an entry of A·B.
fn abs_product(a: &Mat<f64>, b: &Mat<f64>, i: usize, j: usize) -> f64 {
    (0..a.cols).map(|t| (a.at(i, t) * b.at(t, j)).abs()).sum()
}

const SHAPES: &[(usize, usize)] =
    &[(1, 1), (1, 9), (9, 1), (3, 5), (63, 17), (64, 64), (65, 130), (200, 33), (129, 300)];

#[test]
fn gram_should_match_reference() {
    let Some(g) = gpu() else { return };
    for &(p, n) in SHAPES {
        let x = random(p, n, (p * 7919 + n) as u64);
        let xt = x.transpose();
        let want = cpu::gram(&x);
        let got = pollster::block_on(g.cross_gram(&x.to_f32(), None)).expect("gram");
        close(&got, &want, |i, j| 1e-5 * abs_product(&x, &xt, i, j) + 1e-6, &format!("gram {p}x{n}"));
    }
}

#[test]
fn cross_gram_and_matmul_should_match_reference() {
    let Some(g) = gpu() else { return };
    for &(m, k) in SHAPES {
        let n = (m * 3 + k) % 70 + 1;
        let a = random(m, k, 1 + m as u64);
        let b = random(k, n, 2 + k as u64);
        let want = cpu::matmul(&a, &b);
        let got = pollster::block_on(g.matmul(&a.to_f32(), &b.to_f32())).expect("matmul");
        close(&got, &want, |i, j| 1e-5 * abs_product(&a, &b, i, j) + 1e-6, &format!("matmul {m}x{k}x{n}"));
        let y = b.transpose(); // n × k
        let want = cpu::cross_gram(&a, &y);
        let got = pollster::block_on(g.cross_gram(&a.to_f32(), Some(&y.to_f32()))).expect("cross_gram");
        close(
            &got,
            &want,
            |i, j| 1e-5 * abs_product(&a, &b, i, j) + 1e-6,
            &format!("cross_gram {m}x{k}x{n}"),
        );
    }
}

#[test]
fn rbf_for_many_gammas_should_match_reference() {
    let Some(g) = gpu() else { return };
    let x = random(37, 20, 3);
    let y = random(50, 20, 4);
    let gammas = [1e-3, 0.01, 0.1];
    let gram = cpu::cross_gram(&x, &y);
    let (nx, ny) = (cpu::sq_norms(&x), cpu::sq_norms(&y));
    let want = cpu::rbf_from_gram(&gram, &nx, &ny, &gammas);
    let f32s = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
    let got = pollster::block_on(g.rbf_from_gram(&gram.to_f32(), &f32s(&nx), &f32s(&ny), &f32s(&gammas)))
        .expect("rbf");
    assert_eq!(got.len(), 3);
    for ((k, w), gamma) in got.iter().zip(&want).zip(gammas) {
        // exp(−γ d²): the f32 error of d² (≈ 1e-6 · (‖x‖² + ‖y‖²)) times γ, relative to K.
        close(
            k,
            w,
            |i, j| w.at(i, j) * (1e-5 + gamma * 1e-6 * (nx[i] + ny[j])) + 1e-7,
            &format!("rbf γ={gamma}"),
        );
    }
}

fn hebbian_counts(patterns: &[Vec<i8>]) -> Mat<f64> {
    let n = patterns[0].len();
    let mut w = Mat::zeros(n, n);
    for p in patterns {
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    w.data[i * n + j] += f64::from(p[i]) * f64::from(p[j]);
                }
            }
        }
    }
    w
}

#[test]
fn batched_hopfield_steps_are_exact_with_integer_weights() {
    let Some(g) = gpu() else { return };
    for (n, p, b) in [(100, 8, 37), (50, 12, 300), (257, 40, 5), (1, 1, 1)] {
        let mut rng = seeded(n as u64, 1);
        let pats: Vec<Vec<i8>> = (0..p).map(|_| spins(&mut rng, n)).collect();
        let w = hebbian_counts(&pats);
        let s0 =
            Mat { rows: b, cols: n, data: (0..b).flat_map(|_| spins(&mut rng, n)).map(f64::from).collect() };
        let want = cpu::hopfield_sync(&w, &s0, 40);
        let got = pollster::block_on(g.hopfield_sync(&w.to_f32(), &s0.to_f32(), 40)).expect("hopfield");
        assert_eq!(got.states, want.states, "states N={n} P={p} B={b}");
        assert_eq!(got.steps, want.steps, "steps");
        assert_eq!(got.status, want.status, "status");
        if n == 50 {
            // P/N = 0.24 from random probes: spurious fixed points and 2-cycles both occur.
            assert!(
                got.status.contains(&RowStatus::Fixed) && got.status.contains(&RowStatus::Cycle),
                "{:?}",
                got.status
            );
        }
    }
}

#[test]
fn kernel_hopfield_steps_match_reference() {
    let Some(g) = gpu() else { return };
    let (n, p, b) = (64, 20, 40);
    let mut rng = seeded(5, 1);
    let xi = Mat { rows: p, cols: n, data: (0..p).flat_map(|_| spins(&mut rng, n)).map(f64::from).collect() };
    // α = Ξ: each pattern pulls towards itself; probes are patterns with 8 of 64 bits flipped,
    // so the fields stay far from zero and f32 rounding cannot flip a sign.
    let mut s0 = Mat::zeros(b, n);
    for r in 0..b {
        s0.row_mut(r).copy_from_slice(xi.row(r % p));
        for t in 0..8 {
            s0.data[r * n + (r * 7 + t * 5) % n] *= -1.0;
        }
    }
    for gamma in [0.005, 0.05] {
        let want = cpu::kernel_hopfield_sync(&xi, &xi, gamma, &s0, 30, &mut |_| {});
        let got = pollster::block_on(g.kernel_hopfield_sync(
            &xi.to_f32(),
            &xi.to_f32(),
            gamma as f32,
            &s0.to_f32(),
            30,
        ))
        .expect("kernel hopfield");
        assert_eq!(got.states, want.states, "γ={gamma}");
        assert_eq!(got.steps, want.steps);
        assert_eq!(got.status, want.status);
    }
}

#[test]
fn soft_kmeans_should_match_reference() {
    let Some(g) = gpu() else { return };
    // Three blobs in 2-D and a 3-D cloud, k centres started at the first points.
    for (m, d, k, tau) in [(300, 2, 3, 0.3), (517, 3, 8, 0.05), (5, 1, 1, 1.0)] {
        let mut rng = seeded(m as u64, 2);
        let w = Mat {
            rows: m,
            cols: d,
            data: (0..m * d).map(|e| normal(&mut rng) * 0.3 + ((e / d) % 3) as f64 * 2.0).collect(),
        };
        let c0 = Mat { rows: k, cols: d, data: w.data[..k * d].to_vec() };
        let want = cpu::soft_kmeans(&w, &c0, tau, 1e-4, 200);
        let got = pollster::block_on(g.soft_kmeans(&w.to_f32(), &c0.to_f32(), tau as f32, 1e-4, 200))
            .expect("soft k-means");
        // Centres within 1e-3 of the data scale; the stopping iteration may differ by the
        // step where ‖C⁺ − C‖ crosses ε in f32 versus f64.
        close(&got.centres, &want.centres.to_f64(), |_, _| 1e-3, &format!("centres m={m} k={k}"));
        close(&got.attention, &want.attention.to_f64(), |_, _| 1e-3, "attention");
        assert_eq!(got.converged, want.converged);
        assert!(got.iterations.abs_diff(want.iterations) <= 2, "{} vs {}", got.iterations, want.iterations);
    }
}

#[test]
fn over_the_limit_falls_back_to_the_cpu_with_a_reason() {
    let Some(_) = gpu() else { return };
    let small = pollster::block_on(Gpu::new()).expect("gpu").with_buffer_limit(4096);
    let x = random(40, 30, 8).to_f32(); // 1,200 floats in, 1,600 out: over 4 KiB
    let err = pollster::block_on(small.cross_gram(&x, None)).expect_err("over the limit");
    assert!(err.to_string().contains("limit of 4096 bytes"), "{err}");
    let compute = Compute::with_gpu(Arc::new(small));
    let got = pollster::block_on(compute.gram(&x));
    let want = cpu::gram(&x.to_f64());
    close(&got, &want, |_, _| 1e-3, "fallback gram");
    let f = compute.fallbacks();
    assert_eq!(f.len(), 1);
    assert!(f[0].contains("computed on the CPU instead"), "{f:?}");
}

#[test]
fn a_lost_device_falls_back_to_the_cpu() {
    let Some(_) = gpu() else { return };
    let g = pollster::block_on(Gpu::new()).expect("gpu");
    g.destroy();
    let compute = Compute::with_gpu(Arc::new(g));
    let a = random(10, 10, 1).to_f32();
    let got = pollster::block_on(compute.matmul(&a, &a));
    close(&got, &cpu::matmul(&a.to_f64(), &a.to_f64()), |_, _| 1e-4, "after loss");
    assert!(!compute.fallbacks().is_empty(), "the loss is reported");
}

#[test]
fn the_page_self_check_passes_on_this_adapter() {
    let Some(g) = gpu() else { return };
    let items = pollster::block_on(hopfield_playground::compute::check::self_check(&g));
    assert_eq!(items.len(), 9);
    for c in items {
        assert!(c.ok, "{} {}: worst error/tolerance {} {:?}", c.kernel, c.shape, c.worst_ratio, c.error);
    }
}

/// One RK4 run of the particle kernel with the linear field of the self-check.
fn linear_run(g: &Gpu, start: &[f32], status: &[u32], run: &AdvectParams) -> (Vec<f32>, Vec<u32>) {
    pollster::block_on(g.advect_particles(LINEAR_FIELD, &LINEAR_A.map(|v| v as f32), start, status, run))
        .expect("advect")
}

#[test]
fn particle_advection_should_match_reference() {
    let Some(g) = gpu() else { return };
    let run = AdvectParams { dt: 0.02, steps: 50, max_jump: 10.0, far: 1e6, stiff_limit: 2.78 };
    // Counts around the workgroup size of 64.
    for n in [1, 63, 64, 65, 1000] {
        let mut rng = seeded(n as u64, 3);
        let start: Vec<f32> = (0..2 * n).map(|_| (normal(&mut rng) * 2.0) as f32).collect();
        let (got, status) = linear_run(&g, &start, &vec![code::MOVING; n], &run);
        assert!(status.iter().all(|&s| s == code::MOVING), "n={n}: {status:?}");
        let want = linear_rk4(&start, f64::from(run.dt), run.steps as usize);
        for (k, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!((f64::from(*a) - b).abs() <= 1e-5 * (1.0 + b.abs()), "n={n}, coordinate {k}: {a} vs {b}");
        }
    }
    assert_eq!(linear_run(&g, &[], &[], &run), (vec![], vec![]));
}

#[test]
fn particle_stop_rules_hold_on_the_gpu() {
    let Some(g) = gpu() else { return };
    // ẋ = −1000 x with h = 0.01: h·L = 10, outside RK4's stability interval. One step marks
    // the particle (status 3), the second stops it (2) where the first step left it.
    let stiff = "fn field(x: vec2<f32>) -> vec2<f32> { return -1000.0 * x; }";
    let one = AdvectParams { dt: 0.01, steps: 1, max_jump: 1e9, far: 1e30, stiff_limit: 2.78 };
    let run = |src: &str, pos: &[f32], st: &[u32], p: &AdvectParams| {
        pollster::block_on(g.advect_particles(src, &[], pos, st, p)).expect("advect")
    };
    let (p1, s1) = run(stiff, &[1.0, 0.5], &[code::MOVING], &one);
    assert_eq!(s1, vec![code::SUSPECT]);
    assert!(p1[0].abs() > 1.0, "the unstable step overshoots: {p1:?}");
    let (p2, s2) = run(stiff, &p1, &s1, &one);
    assert_eq!((s2, p2.clone()), (vec![code::UNSTABLE], p1.clone()));
    // Within the stability interval (h·L = 2.5) it keeps moving.
    let (_, s) = run(stiff, &[1.0, 0.5], &[code::MOVING], &AdvectParams { dt: 0.0025, steps: 10, ..one });
    assert_eq!(s, vec![code::MOVING]);
    // A coordinate past `far` (the third step of 0.2 from 99.5), a NaN, a long jump;
    // stopped particles are left alone and keep the position from before the failing step.
    let drift = "fn field(x: vec2<f32>) -> vec2<f32> { return vec2<f32>(fp[0], 0.0); }";
    let p = AdvectParams { dt: 0.1, steps: 3, max_jump: 1.0, far: 100.0, stiff_limit: 2.78 };
    let pos = [0.0, 0.0, 99.5, 0.0, f32::NAN, 0.0, 5.0, 5.0];
    let st = [code::MOVING, code::MOVING, code::MOVING, code::NONFINITE];
    let (out, s) = pollster::block_on(g.advect_particles(drift, &[2.0], &pos, &st, &p)).expect("advect");
    assert_eq!(s, vec![code::MOVING, code::UNSTABLE, code::NONFINITE, code::NONFINITE]);
    assert!((out[0] - 0.6).abs() < 1e-6 && (out[2] - 99.9).abs() < 1e-4 && out[6..] == [5.0, 5.0], "{out:?}");
    let (_, s) =
        pollster::block_on(g.advect_particles(drift, &[20.0], &pos[..2], &st[..1], &p)).expect("advect");
    assert_eq!(s, vec![code::UNSTABLE], "a step of 2 is longer than max_jump = 1");
}

#[test]
fn a_bad_field_source_or_shape_is_an_error_not_a_panic() {
    let Some(g) = gpu() else { return };
    let p = AdvectParams { dt: 0.1, steps: 1, max_jump: 1.0, far: 100.0, stiff_limit: 2.78 };
    let err = pollster::block_on(g.advect_particles(
        "fn field(x: vec2<f32>) -> f32 { return 1; }",
        &[],
        &[0.0, 0.0],
        &[0],
        &p,
    ))
    .expect_err("invalid WGSL");
    assert!(err.to_string().contains("advection shader"), "{err}");
    let err = pollster::block_on(g.advect_particles(LINEAR_FIELD, &[0.0; 4], &[0.0; 3], &[0, 0], &p))
        .expect_err("shape");
    assert!(err.to_string().contains("3 coordinates for 2 particles"), "{err}");
    // The device still works afterwards.
    let (_, s) = linear_run(&g, &[1.0, 1.0], &[code::MOVING], &p);
    assert_eq!(s, vec![code::MOVING]);
}
