//! Recorded GPU programs: a caller that runs a whole iterated method on the GPU (every
//! step recorded into one command buffer, one readback at the end) owns its loop and its
//! own WGSL kernels, and uses only this small API — buffers, kernels built from the
//! caller's source (cached), matrix products, dispatches, one readback. The compute layer
//! knows buffers, shapes and kernels, never the model (the KLR lab's training loop lives in
//! `labs/klr/gpu.rs` with its shader beside it).
//!
//! ```text
//! let k = gpu.kernel(SOURCE, "main", &[Slot::Read, Slot::ReadWrite, Slot::Uniform]).await?;
//! let (a, b, u) = (gpu.buffer("A", &data)?, gpu.zeroed("B", n)?, gpu.uniforms(&params));
//! let bound = gpu.bind_kernel(&k, &[&a, &b, &u]);
//! let mut rec = gpu.record()?;
//! for _ in 0..steps { rec.gemm(&b, (&a, false), (&a, true), (m, m, n), 1.0, 0.0); rec.dispatch(&bound, (1, 1, 1)); }
//! let words = rec.read(&[(&b, n)]).await?;
//! ```
//!
//! A [`Buffer`] is destroyed when it is dropped (wgpu's WebGPU backend would otherwise leave
//! it to the garbage collector): keep every buffer a recording uses until its `read` returns.

use super::{Enc, Gpu, GpuError, Op, Owned, Slot, layout, pipeline};
use bytemuck::Pod;
use std::sync::Mutex;

/// A storage buffer of `len` 4-byte words (f32 or u32) on the GPU, destroyed when dropped.
pub struct Buffer {
    buffer: Owned,
    len: usize,
}

impl Buffer {
    /// Its length in 4-byte words.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A compute kernel built from the caller's WGSL source: one entry point and the kinds of
/// its bindings `@binding(0…)` of `@group(0)`, in order.
#[derive(Clone)]
pub struct Kernel {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

/// Buffers bound to a kernel's bindings, ready to be dispatched any number of times.
pub struct Bound {
    pipeline: wgpu::ComputePipeline,
    group: wgpu::BindGroup,
}

/// Kernels kept compiled, by source and entry point.
#[derive(Default)]
pub(super) struct Cache {
    kernels: Mutex<Vec<(String, Kernel)>>,
}

/// Kernels kept compiled at most (a page uses a few).
const MAX_CACHED: usize = 16;

/// Commands recorded for one submission.
pub struct Recording<'g> {
    gpu: &'g Gpu,
    enc: Enc,
}

impl Gpu {
    /// The kernel `entry` of `source` with bindings `slots` (built on first use, then cached).
    pub async fn kernel(&self, source: &str, entry: &str, slots: &[Slot]) -> Result<Kernel, GpuError> {
        self.check_lost()?;
        let key = format!("{entry}\n{slots:?}\n{source}");
        let cached = self
            .custom
            .kernels
            .lock()
            .ok()
            .and_then(|k| k.iter().find(|(s, _)| *s == key).map(|(_, k)| k.clone()));
        if let Some(k) = cached {
            return Ok(k);
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let bgl = layout(&self.device, entry, slots);
        let built = pipeline(&self.device, &bgl, source, entry, entry);
        if let Some(e) = scope.pop().await {
            return Err(GpuError::Failed(format!("building the kernel {entry} failed: {e}")));
        }
        let kernel = Kernel { layout: bgl, pipeline: built };
        if let Ok(mut k) = self.custom.kernels.lock() {
            if k.len() >= MAX_CACHED {
                k.remove(0);
            }
            k.push((key, kernel.clone()));
        }
        Ok(kernel)
    }

    /// A storage buffer holding `data` (`what` names it in a size error).
    pub fn buffer(&self, what: &'static str, data: &[f32]) -> Result<Buffer, GpuError> {
        self.check_size(what, data.len())?;
        Ok(Buffer { buffer: self.upload_f32(what, data), len: data.len() })
    }

    /// A storage buffer holding the words `data`.
    pub fn buffer_u32(&self, what: &'static str, data: &[u32]) -> Result<Buffer, GpuError> {
        self.check_size(what, data.len())?;
        Ok(Buffer { buffer: self.upload_u32(what, data), len: data.len() })
    }

    /// A storage buffer of `len` zero words.
    pub fn zeroed(&self, what: &'static str, len: usize) -> Result<Buffer, GpuError> {
        self.check_size(what, len)?;
        Ok(Buffer { buffer: self.zeros(what, len), len })
    }

    /// A uniform buffer holding `value` (a `#[repr(C)]` struct laid out as the shader's).
    pub fn uniforms<T: Pod>(&self, value: &T) -> Buffer {
        Buffer { buffer: self.uniform(value), len: std::mem::size_of::<T>().div_ceil(4) }
    }

    /// Bind `buffers` to `kernel`'s bindings, in order.
    pub fn bind_kernel(&self, kernel: &Kernel, buffers: &[&Buffer]) -> Bound {
        let raw: Vec<&wgpu::Buffer> = buffers.iter().map(|b| &*b.buffer).collect();
        Bound { pipeline: kernel.pipeline.clone(), group: self.bind(&kernel.layout, &raw) }
    }

    /// Start recording commands.
    pub fn record(&self) -> Result<Recording<'_>, GpuError> {
        self.check_lost()?;
        Ok(Recording { gpu: self, enc: self.encoder() })
    }
}

impl Recording<'_> {
    /// Record `c ← alpha·op(a)·op(b) + beta·c`, `c` being `m × n` and the inner dimension
    /// `k`; `(a, true)` uses the transpose of `a` (stored `k × m`), likewise for `b`.
    pub fn gemm(
        &mut self,
        c: &Buffer,
        (a, ta): (&Buffer, bool),
        (b, tb): (&Buffer, bool),
        (m, n, k): (usize, usize, usize),
        alpha: f32,
        beta: f32,
    ) {
        let op = |t: bool| if t { Op::T } else { Op::N };
        let (lda, ldb) = (if ta { m } else { k }, if tb { k } else { n });
        self.gpu.record_gemm(
            &mut self.enc,
            (&a.buffer, op(ta), lda),
            (&b.buffer, op(tb), ldb),
            &c.buffer,
            (m, n, k),
            alpha,
            beta,
            false,
            false,
        );
    }

    /// Record one dispatch of a bound kernel over `groups` workgroups.
    pub fn dispatch(&mut self, bound: &Bound, (x, y, z): (u32, u32, u32)) {
        let mut pass = self.enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("kernel"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&bound.pipeline);
        pass.set_bind_group(0, &bound.group, &[]);
        pass.dispatch_workgroups(x, y, z);
    }

    /// Submit everything recorded and read back the first `words` words of each buffer
    /// (one mapping for all of them).
    pub async fn read(self, buffers: &[(&Buffer, usize)]) -> Result<Vec<Vec<u32>>, GpuError> {
        let srcs: Vec<(&wgpu::Buffer, u64)> =
            buffers.iter().map(|(b, w)| (&*b.buffer, (*w).min(b.len) as u64 * 4)).collect();
        let parts = self.gpu.submit_and_read_many(self.enc, &srcs).await?;
        Ok(parts.iter().map(|p| bytemuck::pod_collect_to_vec(p)).collect())
    }
}
