//! A quick self-check of every GPU kernel against the CPU reference, on small random
//! inputs with the tolerances of `tests/gpu_kernels.rs`. The page runs it once when it
//! opens a GPU and uses the GPU only if every kernel passes; the browser tests run it
//! on Chromium's WebGPU adapter.

use super::gpu::advect::{AdvectParams, code};
use super::gpu::{Gpu, GpuError, Slot};
use super::{Mat, cpu};
use crate::rng::{normal, seeded, spins};
use serde::Serialize;

/// The kernels [`self_check`] compares, one item each (the browser tests check that every
/// one of them ran and passed).
pub const KERNELS: &[&str] = &[
    "gram",
    "matmul",
    "rbf_from_gram",
    "hopfield_sync",
    "kernel_hopfield_sync",
    "soft_kmeans",
    "l1_distances",
    "recorded_loop",
    "advect_particles",
];

/// One kernel's comparison.
#[derive(Debug, Clone, Serialize)]
pub struct CheckItem {
    pub kernel: &'static str,
    pub shape: String,
    /// Largest |gpu − reference| divided by its tolerance (≤ 1 passes).
    pub worst_ratio: f64,
    pub ok: bool,
    /// The GPU error, when the kernel did not run at all.
    pub error: Option<String>,
}

fn random(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
    let mut rng = seeded(seed, 11);
    Mat { rows, cols, data: (0..rows * cols).map(|_| normal(&mut rng)).collect() }
}

/// max over entries of |got − want| / tol(i, j).
fn worst(got: &Mat<f32>, want: &Mat<f64>, tol: impl Fn(usize, usize) -> f64) -> f64 {
    if (got.rows, got.cols) != (want.rows, want.cols) {
        return f64::INFINITY;
    }
    let mut w = 0.0f64;
    for i in 0..want.rows {
        for j in 0..want.cols {
            let r = (f64::from(got.at(i, j)) - want.at(i, j)).abs() / tol(i, j);
            w = if r.is_nan() { f64::INFINITY } else { w.max(r) };
        }
    }
    w
}

fn item(kernel: &'static str, shape: String, result: Result<f64, GpuError>) -> CheckItem {
    match result {
        Ok(r) => CheckItem { kernel, shape, worst_ratio: r, ok: r <= 1.0, error: None },
        Err(e) => {
            CheckItem { kernel, shape, worst_ratio: f64::INFINITY, ok: false, error: Some(e.to_string()) }
        }
    }
}

fn abs_dot(a: &Mat<f64>, b: &Mat<f64>, i: usize, j: usize) -> f64 {
    (0..a.cols).map(|t| (a.at(i, t) * b.at(j, t)).abs()).sum()
}

/// Run every kernel once on `gpu` and compare with the CPU.
pub async fn self_check(gpu: &Gpu) -> Vec<CheckItem> {
    let mut out = Vec::new();
    let x = random(67, 45, 1);
    let gram = async {
        let got = gpu.cross_gram(&x.to_f32(), None).await?;
        Ok(worst(&got, &cpu::gram(&x), |i, j| 1e-5 * abs_dot(&x, &x, i, j) + 1e-6))
    };
    out.push(item("gram", "67×45".into(), gram.await));

    let a = random(17, 40, 2);
    let b = random(40, 23, 3);
    let bt = b.transpose();
    let mm = async {
        let got = gpu.matmul(&a.to_f32(), &b.to_f32()).await?;
        Ok(worst(&got, &cpu::matmul(&a, &b), |i, j| 1e-5 * abs_dot(&a, &bt, i, j) + 1e-6))
    };
    out.push(item("matmul", "17×40·40×23".into(), mm.await));

    let y = random(15, 45, 4);
    let rbf = async {
        let g = cpu::cross_gram(&x, &y);
        let (nx, ny) = (cpu::sq_norms(&x), cpu::sq_norms(&y));
        let gammas = [0.002, 0.02];
        let want = cpu::rbf_from_gram(&g, &nx, &ny, &gammas);
        let f32s = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
        let got = gpu.rbf_from_gram(&g.to_f32(), &f32s(&nx), &f32s(&ny), &f32s(&gammas)).await?;
        let mut w = 0.0f64;
        for ((k, r), gamma) in got.iter().zip(&want).zip(gammas) {
            w = w.max(worst(k, r, |i, j| r.at(i, j) * (1e-5 + gamma * 1e-6 * (nx[i] + ny[j])) + 1e-7));
        }
        Ok(w)
    };
    out.push(item("rbf_from_gram", "67×15, 2 γ".into(), rbf.await));

    // L1 distances of X's rows against Y's: a sum of |x − y| (all terms positive), so
    // relative 1e-5 of the distance, as for the products.
    let l1 = async {
        let got = gpu.l1_distances(&x.to_f32(), &y.to_f32()).await?;
        let want = super::l1::l1_distances(&x, &y);
        Ok(worst(&got, &want, |i, j| 1e-5 * want.at(i, j) + 1e-6))
    };
    out.push(item("l1_distances", "67×45 against 15×45".into(), l1.await));

    let (n, p, rows) = (48, 6, 9);
    let mut rng = seeded(5, 12);
    let pats: Vec<Vec<i8>> = (0..p).map(|_| spins(&mut rng, n)).collect();
    let mut w = Mat::zeros(n, n);
    for pat in &pats {
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    w.data[i * n + j] += f64::from(pat[i] * pat[j]);
                }
            }
        }
    }
    let s0 = Mat { rows, cols: n, data: (0..rows).flat_map(|_| spins(&mut rng, n)).map(f64::from).collect() };
    let hop = async {
        let got = gpu.hopfield_sync(&w.to_f32(), &s0.to_f32(), 20).await?;
        let want = cpu::hopfield_sync(&w, &s0, 20);
        let same = got.states == want.states && got.steps == want.steps && got.status == want.status;
        Ok(if same { 0.0 } else { f64::INFINITY })
    };
    out.push(item("hopfield_sync", format!("N={n}, {rows} states"), hop.await));

    let xi = Mat { rows: p, cols: n, data: pats.iter().flatten().map(|&v| f64::from(v)).collect() };
    let mut probes = Mat::zeros(rows, n);
    for r in 0..rows {
        probes.row_mut(r).copy_from_slice(xi.row(r % p));
        probes.data[r * n + r] *= -1.0;
    }
    let khop = async {
        let got = gpu.kernel_hopfield_sync(&xi.to_f32(), &xi.to_f32(), 0.02, &probes.to_f32(), 20).await?;
        let want = cpu::kernel_hopfield_sync(&xi, &xi, 0.02, &probes, 20, &mut |_| {});
        Ok(if got.states == want.states && got.status == want.status { 0.0 } else { f64::INFINITY })
    };
    out.push(item("kernel_hopfield_sync", format!("N={n}, P={p}"), khop.await));

    let pts = Mat {
        rows: 90,
        cols: 2,
        data: (0..180).map(|e| normal(&mut rng) * 0.2 + ((e / 2) % 3) as f64 * 1.5).collect(),
    };
    let c0 = Mat { rows: 3, cols: 2, data: pts.data[..6].to_vec() };
    let skm = async {
        let got = gpu.soft_kmeans(&pts.to_f32(), &c0.to_f32(), 0.3, 1e-4, 100).await?;
        let want = cpu::soft_kmeans(&pts, &c0, 0.3, 1e-4, 100);
        Ok(worst(&got.centres, &want.centres.to_f64(), |_, _| 1e-3))
    };
    out.push(item("soft_kmeans", "90 points, k=3".into(), skm.await));

    // A recorded program (the API labs run whole training loops with): 25 steps of
    // x ← tanh(A·x + b) — a product, then a kernel built from source — in one submission.
    let (dim, cols) = (24, 5);
    let a_mat = random(dim, dim, 6);
    let a_mat = Mat { rows: dim, cols: dim, data: a_mat.data.iter().map(|v| v * 0.3).collect() };
    let x0 = random(dim, cols, 7);
    let b_vec = random(dim, cols, 8);
    let looped = async {
        let got = recorded_loop(gpu, &a_mat.to_f32(), &x0.to_f32(), &b_vec.to_f32(), 25).await?;
        let mut x = x0.clone();
        for _ in 0..25 {
            let y = cpu::matmul(&a_mat, &x);
            x = Mat {
                rows: dim,
                cols,
                data: y.data.iter().zip(&b_vec.data).map(|(y, b)| (y + b).tanh()).collect(),
            };
        }
        Ok(worst(&got, &x, |_, _| 1e-4))
    };
    out.push(item("recorded_loop", format!("{dim}×{dim}, 25 steps"), looped.await));

    let adv = async {
        let start: Vec<f32> =
            (0..100).flat_map(|k| [(k % 10) as f32 * 0.4 - 1.8, (k / 10) as f32 * 0.4 - 1.7]).collect();
        let (got, status) = gpu
            .advect_particles(
                LINEAR_FIELD,
                &LINEAR_A.map(|v| v as f32),
                &start,
                &[code::MOVING; 100],
                &LINEAR_RUN,
            )
            .await?;
        let want = linear_rk4(&start, LINEAR_RUN.dt.into(), LINEAR_RUN.steps as usize);
        let mut w: f64 = if status.iter().all(|&s| s == code::MOVING) { 0.0 } else { f64::INFINITY };
        for (g, r) in got.iter().zip(&want) {
            let ratio = (f64::from(*g) - r).abs() / (1e-5 * (1.0 + r.abs()));
            w = if ratio.is_nan() { f64::INFINITY } else { w.max(ratio) };
        }
        Ok(w)
    };
    out.push(item("advect_particles", "100 particles, 20 RK4 steps".into(), adv.await));
    out
}

/// The recorded program's kernel: `x ← tanh(y + b)` elementwise.
const TANH_STEP: &str = "
@group(0) @binding(0) var<storage, read> Y: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> X: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x < arrayLength(&X)) { X[id.x] = tanh(Y[id.x] + B[id.x]); }
}";

/// `steps` times `x ← tanh(A·x + b)` as one recorded program (two buffers ping-pong
/// through a product and a kernel from source), read back once.
async fn recorded_loop(
    gpu: &Gpu,
    a: &Mat<f32>,
    x0: &Mat<f32>,
    b: &Mat<f32>,
    steps: usize,
) -> Result<Mat<f32>, GpuError> {
    let kernel = gpu.kernel(TANH_STEP, "main", &[Slot::Read, Slot::Read, Slot::ReadWrite]).await?;
    let (ba, bb, x) = (gpu.buffer("A", &a.data)?, gpu.buffer("b", &b.data)?, gpu.buffer("x", &x0.data)?);
    let y = gpu.zeroed("y", x0.data.len())?;
    let bound = gpu.bind_kernel(&kernel, &[&y, &bb, &x]);
    let mut rec = gpu.record()?;
    for _ in 0..steps {
        rec.gemm(&y, (&ba, false), (&x, false), (a.rows, x0.cols, a.cols), 1.0, 0.0);
        rec.dispatch(&bound, ((x0.data.len() as u32).div_ceil(64), 1, 1));
    }
    let words = rec.read(&[(&x, x0.data.len())]).await?;
    let data = words.first().map(|w| w.iter().map(|&v| f32::from_bits(v)).collect()).unwrap_or_default();
    Ok(Mat { rows: x0.rows, cols: x0.cols, data })
}

/// The particle check's field `ẋ = A x`, `A` in `fp` (row-major).
pub const LINEAR_FIELD: &str = "fn field(x: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(fp[0] * x.x + fp[1] * x.y, fp[2] * x.x + fp[3] * x.y);
}";

/// `A` of [`LINEAR_FIELD`] in the self-check: a damped rotation (no particle stops).
pub const LINEAR_A: [f64; 4] = [-0.3, 1.2, -0.9, -0.2];

const LINEAR_RUN: AdvectParams =
    AdvectParams { dt: 0.05, steps: 20, max_jump: 10.0, far: 1e6, stiff_limit: 2.78 };

/// `steps` RK4 steps of size `h` of `ẋ = A x` ([`LINEAR_A`]) in f64 from each particle of
/// `start` (`[x0, y0, x1, y1, …]`): the reference of the particle kernel's check.
pub fn linear_rk4(start: &[f32], h: f64, steps: usize) -> Vec<f64> {
    let a = LINEAR_A;
    let f = |x: [f64; 2]| [a[0] * x[0] + a[1] * x[1], a[2] * x[0] + a[3] * x[1]];
    let mut out = Vec::with_capacity(start.len());
    for p in start.chunks_exact(2) {
        let mut x = [f64::from(p[0]), f64::from(p[1])];
        for _ in 0..steps {
            let k1 = f(x);
            let k2 = f([x[0] + 0.5 * h * k1[0], x[1] + 0.5 * h * k1[1]]);
            let k3 = f([x[0] + 0.5 * h * k2[0], x[1] + 0.5 * h * k2[1]]);
            let k4 = f([x[0] + h * k3[0], x[1] + h * k3[1]]);
            for c in 0..2 {
                x[c] += h / 6.0 * (k1[c] + 2.0 * k2[c] + 2.0 * k3[c] + k4[c]);
            }
        }
        out.extend(x);
    }
    out
}
