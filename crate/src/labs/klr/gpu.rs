//! Gradient-descent training on the GPU: the loop of [`super::train::train_gd`] in f32,
//! every epoch recorded into one command buffer and read back once, on the compute
//! layer's recording API ([`crate::compute::gpu::record`]). The model — the epoch's
//! bookkeeping in `train.wgsl` and the order of the products — lives here, in the lab.

use crate::compute::Mat;
use crate::compute::gpu::{Gpu, GpuError, Slot};
use bytemuck::{Pod, Zeroable};

/// One epoch's bookkeeping (loss, stop rules, `Z`), see the header of `train.wgsl`.
const SOURCE: &str = include_str!("train.wgsl");

/// Uniforms of `train.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    len: u32,
    epochs: u32,
    stop_on_rise: u32,
    _pad: u32,
    lambda: f32,
    tol: f32,
    _pad1: f32,
    _pad2: f32,
}

/// The outcome of [`train_gd`], in the terms of `train.rs`.
#[derive(Debug, Clone)]
pub struct GpuTrained {
    /// The α kept: after `epochs_run` updates (the one before a failing epoch when stopped).
    pub alpha: Mat<f32>,
    /// `L_0 … L_t` for every α evaluated.
    pub loss: Vec<f32>,
    /// 1 converged, 2 budget exhausted, 3 diverged (loss rose), 4 diverged (non-finite).
    pub status: u32,
    /// The epoch of the first divergence (0: none).
    pub diverge_epoch: usize,
    pub epochs_run: usize,
    /// Epochs whose loss exceeded the previous one.
    pub loss_rises: usize,
    /// The epoch at which the run stopped (the last evaluated).
    pub last_epoch: usize,
}

/// Kernel logistic regression by full-batch gradient descent from α = 0, all neurons at
/// once: per epoch `H = K·α`, the bookkeeping kernel, `α ← α − η·K·Z` (`Z = 0` once
/// stopped, so the remaining recorded epochs leave α as it is). `k`: `P × P`, `xi`: `P × N` (±1).
#[allow(clippy::too_many_arguments)]
pub async fn train_gd(
    gpu: &Gpu,
    k: &Mat<f32>,
    xi: &Mat<f32>,
    lambda: f32,
    lr: f32,
    epochs: usize,
    tol: f32,
    stop_on_rise: bool,
) -> Result<GpuTrained, GpuError> {
    let (p, n) = (xi.rows, xi.cols);
    if (k.rows, k.cols) != (p, p) {
        return Err(GpuError::Failed(format!("KLR training: K is {}×{}, expected {p}×{p}", k.rows, k.cols)));
    }
    let len = p * n;
    let kernel = gpu
        .kernel(
            SOURCE,
            "epoch",
            &[
                Slot::Read,
                Slot::Read,
                Slot::Read,
                Slot::ReadWrite,
                Slot::ReadWrite,
                Slot::ReadWrite,
                Slot::ReadWrite,
                Slot::Uniform,
            ],
        )
        .await?;
    let bk = gpu.buffer("the kernel matrix", &k.data)?;
    let bxi = gpu.buffer("the patterns", &xi.data)?;
    let alpha = gpu.zeroed("alpha", len)?;
    let prev = gpu.zeroed("the previous alpha", len)?;
    let h = gpu.zeroed("the fields", len)?;
    let z = gpu.zeroed("the gradient factor", len)?;
    let loss = gpu.zeroed("the losses", epochs + 1)?;
    let st = gpu.buffer_u32("the status", &[0; 7])?;
    let u = gpu.uniforms(&Params {
        len: len as u32,
        epochs: epochs as u32,
        stop_on_rise: u32::from(stop_on_rise),
        _pad: 0,
        lambda,
        tol,
        _pad1: 0.0,
        _pad2: 0.0,
    });
    let bound = gpu.bind_kernel(&kernel, &[&bxi, &h, &alpha, &prev, &z, &loss, &st, &u]);
    let mut rec = gpu.record()?;
    for _ in 0..=epochs {
        rec.gemm(&h, (&bk, false), (&alpha, false), (p, n, p), 1.0, 0.0);
        rec.dispatch(&bound, (1, 1, 1));
        rec.gemm(&alpha, (&bk, false), (&z, false), (p, n, p), -lr, 1.0);
    }
    let words = rec.read(&[(&st, 7), (&loss, epochs + 1), (&alpha, len), (&prev, len)]).await?;
    let status = &words[0];
    let last_epoch = status[1] as usize;
    let all_loss: Vec<f32> = words[1].iter().map(|&w| f32::from_bits(w)).collect();
    let kept = if status[6] == 1 { &words[3] } else { &words[2] };
    Ok(GpuTrained {
        alpha: Mat { rows: p, cols: n, data: kept.iter().map(|&w| f32::from_bits(w)).collect() },
        loss: all_loss[..=last_epoch.min(epochs)].to_vec(),
        status: status[2],
        diverge_epoch: status[3] as usize,
        epochs_run: status[5] as usize,
        loss_rises: status[4] as usize,
        last_epoch,
    })
}
