//! The GPU backend: WGSL compute shaders run through wgpu — WebGPU in the browser,
//! Vulkan (lavapipe in CI), Metal or DX12 natively. f32 throughout (WGSL has no f64).
//!
//! One [`Gpu`] holds the device, the queue and every pipeline, built once and reused
//! (the particle-advection pipelines of [`advect`] are built per field source on first use).
//! Each operation uploads its inputs, records all of its dispatches (an iterated
//! method records many steps per submission) and reads back once per submission.
//! Errors (validation, out of memory, a lost device, a buffer over the adapter's
//! limits) come back as [`GpuError`]; [`super::Compute`] then runs the CPU path.
//!
//! Every buffer an operation makes is destroyed once it is no longer needed ([`Owned`]):
//! the buffers it holds when it returns, and each dispatch's uniforms once the submission
//! that used them has been read back ([`Enc`]). wgpu's WebGPU backend does not destroy a
//! buffer when it is dropped (its memory would wait for the worker's garbage collector, which
//! many small calls, such as the hhd lab's recalls, outrun); natively this only frees sooner.

pub mod advect;
pub mod l1;
pub mod record;

use super::{BatchRecall, Mat, RowStatus, SoftKMeans};
use bytemuck::{Pod, Zeroable};
use std::sync::{Arc, Mutex};

/// Why the GPU could not do something.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GpuError {
    #[error("no GPU adapter is available ({0})")]
    NoAdapter(String),
    #[error("the GPU refused to open a device: {0}")]
    Device(String),
    #[error("{what} needs {bytes} bytes of GPU memory, over this adapter's limit of {limit} bytes")]
    TooLarge { what: &'static str, bytes: u64, limit: u64 },
    #[error("the GPU device was lost: {0}")]
    Lost(String),
    #[error("GPU error: {0}")]
    Failed(String),
}

/// A buffer destroyed when it is dropped (see the module's notes). Its owner must keep it
/// until the commands that use it have been submitted and read back.
pub(crate) struct Owned(wgpu::Buffer);

impl std::ops::Deref for Owned {
    type Target = wgpu::Buffer;
    fn deref(&self) -> &wgpu::Buffer {
        &self.0
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        self.0.destroy();
    }
}

/// A command encoder and the buffers that only its commands use (each dispatch's uniforms):
/// they live until the submission has been read back ([`Gpu::submit_and_read`]), then are
/// destroyed.
pub(crate) struct Enc {
    enc: wgpu::CommandEncoder,
    keep: Vec<Owned>,
}

impl std::ops::Deref for Enc {
    type Target = wgpu::CommandEncoder;
    fn deref(&self) -> &wgpu::CommandEncoder {
        &self.enc
    }
}

impl std::ops::DerefMut for Enc {
    fn deref_mut(&mut self) -> &mut wgpu::CommandEncoder {
        &mut self.enc
    }
}

/// Uniforms of `gemm.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GemmParams {
    m: u32,
    n: u32,
    k: u32,
    lda: u32,
    ldb: u32,
    ldc: u32,
    trans_a: u32,
    trans_b: u32,
    sym: u32,
    alpha: f32,
    beta: f32,
    _pad: u32,
}

/// Uniforms of `elementwise.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ElemParams {
    len: u32,
    rows: u32,
    cols: u32,
    stride: u32,
    a: f32,
    b: f32,
    c: f32,
    count: u32,
}

/// Uniforms of `hopfield.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct StepParams {
    rows: u32,
    cols: u32,
    groups_x: u32,
    _pad: u32,
}

/// Uniforms of `softkmeans.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct SkmParams {
    m: u32,
    k: u32,
    d: u32,
    groups_x: u32,
    inv_tau: f32,
    eps: f32,
    _pad0: u32,
    _pad1: u32,
}

/// How a matrix operand is stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    /// As is (row-major).
    N,
    /// Transposed (the buffer holds the transpose, row-major).
    T,
}

/// Steps (or iterations) recorded per submission before reading back the status.
const CHUNK: usize = 8;

/// Largest workgroup count per dispatch dimension (WebGPU's minimum limit).
const MAX_GROUPS: u32 = 65_535;

/// A GPU device with the playground's pipelines.
pub struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    max_binding: u64,
    lost: Arc<Mutex<Option<String>>>,
    gemm_dot: wgpu::ComputePipeline,
    gemm_sqdist: wgpu::ComputePipeline,
    gemm_layout: wgpu::BindGroupLayout,
    rbf: wgpu::ComputePipeline,
    exp_affine: wgpu::ComputePipeline,
    elem_layout: wgpu::BindGroupLayout,
    step: wgpu::ComputePipeline,
    step_layout: wgpu::BindGroupLayout,
    skm_softmax: wgpu::ComputePipeline,
    skm_normalise: wgpu::ComputePipeline,
    skm_layout: wgpu::BindGroupLayout,
    /// Particle-advection pipelines, built per field source on first use.
    advect: advect::Cache,
    /// Kernels of recorded programs ([`record`]), built per source on first use.
    custom: record::Cache,
    /// The L1 distance pipeline, built on first use.
    l1: l1::Cache,
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gpu({})", self.describe())
    }
}

/// How a kernel binds a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A read-only storage buffer.
    Read,
    /// A read-write storage buffer.
    ReadWrite,
    /// A uniform buffer.
    Uniform,
}

fn layout(device: &wgpu::Device, label: &str, slots: &[Slot]) -> wgpu::BindGroupLayout {
    let entries: Vec<wgpu::BindGroupLayoutEntry> = slots
        .iter()
        .enumerate()
        .map(|(i, s)| wgpu::BindGroupLayoutEntry {
            binding: i as u32,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: match s {
                Slot::Uniform => wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                Slot::Read | Slot::ReadWrite => wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only: matches!(s, Slot::Read) },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
            },
            count: None,
        })
        .collect();
    device
        .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(label), entries: &entries })
}

fn pipeline(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    source: &str,
    entry: &str,
    label: &str,
) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(layout)],
        immediate_size: 0,
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: Some(&pl),
        module: &module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// Workgroup grid for `total` groups: `(x, y)` with `x ≤ 65535`.
fn grid(total: usize) -> (u32, u32) {
    let total = total.max(1) as u64;
    let x = total.min(u64::from(MAX_GROUPS));
    (x as u32, total.div_ceil(x) as u32)
}

impl Gpu {
    /// Open the default adapter (natively: `WGPU_ADAPTER_NAME` may pick one) and build
    /// every pipeline.
    pub async fn new() -> Result<Self, GpuError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = wgpu::util::initialize_adapter_from_env_or_default(&instance, None)
            .await
            .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        Self::from_adapter(adapter).await
    }

    /// Open a device on `adapter` with its full limits and build every pipeline.
    pub async fn from_adapter(adapter: wgpu::Adapter) -> Result<Self, GpuError> {
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("hopfield-playground"),
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::Device(e.to_string()))?;
        let lost = Arc::new(Mutex::new(None));
        let flag = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut l) = flag.lock() {
                *l = Some(format!("{reason:?}: {message}"));
            }
        });
        // An error outside any error scope would panic in wgpu's default handler; record it
        // instead and stop using this device (every later operation reports it).
        let flag = Arc::clone(&lost);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut l) = flag.lock() {
                l.get_or_insert_with(|| format!("uncaptured GPU error: {e}"));
            }
        }));
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let gemm_src = include_str!("gemm.wgsl");
        let gemm_layout = layout(&device, "gemm", &[Slot::Read, Slot::Read, Slot::ReadWrite, Slot::Uniform]);
        let gemm_dot = pipeline(
            &device,
            &gemm_layout,
            &gemm_src.replace("PAIR_OP", "acc[r] += a[r] * b;"),
            "main",
            "gemm",
        );
        let gemm_sqdist = pipeline(
            &device,
            &gemm_layout,
            &gemm_src.replace("PAIR_OP", "let dd = a[r] - b; acc[r] += dd * dd;"),
            "main",
            "sqdist",
        );
        let elem_src = include_str!("elementwise.wgsl");
        let elem_layout =
            layout(&device, "elementwise", &[Slot::Read, Slot::Read, Slot::ReadWrite, Slot::Uniform]);
        let rbf = pipeline(&device, &elem_layout, elem_src, "rbf", "rbf");
        let exp_affine = pipeline(&device, &elem_layout, elem_src, "exp_affine", "exp_affine");
        let step_layout = layout(
            &device,
            "hopfield",
            &[Slot::Read, Slot::ReadWrite, Slot::ReadWrite, Slot::ReadWrite, Slot::Uniform],
        );
        let step = pipeline(&device, &step_layout, include_str!("hopfield.wgsl"), "main", "hopfield");
        let skm_src = include_str!("softkmeans.wgsl");
        let skm_layout =
            layout(&device, "softkmeans", &[Slot::Read, Slot::ReadWrite, Slot::ReadWrite, Slot::Uniform]);
        let skm_softmax = pipeline(&device, &skm_layout, skm_src, "softmax", "softmax");
        let skm_normalise = pipeline(&device, &skm_layout, skm_src, "normalise", "normalise");
        if let Some(e) = scope.pop().await {
            return Err(GpuError::Failed(format!("building the shaders failed: {e}")));
        }
        let max_binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        Ok(Self {
            device,
            queue,
            info,
            max_binding,
            lost,
            gemm_dot,
            gemm_sqdist,
            gemm_layout,
            rbf,
            exp_affine,
            elem_layout,
            step,
            step_layout,
            skm_softmax,
            skm_normalise,
            skm_layout,
            advect: advect::Cache::default(),
            custom: record::Cache::default(),
            l1: l1::Cache::default(),
        })
    }

    /// Adapter name and backend, e.g. `llvmpipe (LLVM 15.0.7, 256 bits) (Vulkan)`.
    pub fn describe(&self) -> String {
        let name = if self.info.name.is_empty() { "unnamed adapter" } else { &self.info.name };
        let kind = match self.info.device_type {
            wgpu::DeviceType::Cpu => "software, on the CPU",
            wgpu::DeviceType::DiscreteGpu => "discrete GPU",
            wgpu::DeviceType::IntegratedGpu => "integrated GPU",
            wgpu::DeviceType::VirtualGpu => "virtual GPU",
            wgpu::DeviceType::Other => "GPU",
        };
        let api = match self.info.backend {
            wgpu::Backend::BrowserWebGpu => "WebGPU".to_string(),
            other => format!("{other:?}"),
        };
        format!("{name} ({api}, {kind})")
    }

    /// Whether the adapter is a software renderer running on the CPU (SwiftShader, llvmpipe,
    /// lavapipe, WARP…): it runs our kernels, but slower than the CPU path.
    pub fn is_software(&self) -> bool {
        let name = self.info.name.to_ascii_lowercase();
        self.info.device_type == wgpu::DeviceType::Cpu
            || ["swiftshader", "llvmpipe", "lavapipe", "softpipe", "warp", "microsoft basic render"]
                .iter()
                .any(|s| name.contains(s))
    }

    /// The adapter's name ("unnamed adapter" when it gives none).
    pub fn name(&self) -> &str {
        if self.info.name.is_empty() { "unnamed adapter" } else { &self.info.name }
    }

    /// Cap the buffer size this `Gpu` accepts (to honour a user's memory budget, and to test
    /// the over-the-limit path on adapters with large limits).
    pub fn with_buffer_limit(mut self, bytes: u64) -> Self {
        self.max_binding = self.max_binding.min(bytes);
        self
    }

    /// Destroy the device, as a driver reset would (tests of the lost-device path). The
    /// device counts as lost at once (the browser reports the loss a moment later).
    pub fn destroy(&self) {
        if let Ok(mut l) = self.lost.lock() {
            l.get_or_insert_with(|| "the device was destroyed".into());
        }
        self.device.destroy();
    }

    /// Why the device is lost (or unusable after an uncaptured error), if it is.
    pub fn lost(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|l| l.clone())
    }

    /// The adapter's details.
    pub fn info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// The largest storage buffer this device binds, in bytes.
    pub fn max_buffer_bytes(&self) -> u64 {
        self.max_binding
    }

    fn check_lost(&self) -> Result<(), GpuError> {
        match self.lost() {
            Some(why) => Err(GpuError::Lost(why)),
            None => Ok(()),
        }
    }

    fn check_size(&self, what: &'static str, floats: usize) -> Result<(), GpuError> {
        let bytes = (floats as u64).saturating_mul(4);
        if bytes > self.max_binding {
            return Err(GpuError::TooLarge { what, bytes, limit: self.max_binding });
        }
        Ok(())
    }

    /// A storage buffer holding `bytes` (uploaded with `write_buffer`, which reports a
    /// lost device as an error instead of panicking like a mapped-at-creation buffer).
    fn upload(&self, label: &str, bytes: &[u8], usage: wgpu::BufferUsages) -> Owned {
        let size = (bytes.len().max(4) as u64).next_multiple_of(4);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: usage | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        if !bytes.is_empty() {
            self.queue.write_buffer(&buffer, 0, bytes);
        }
        Owned(buffer)
    }

    fn upload_f32(&self, label: &str, data: &[f32]) -> Owned {
        self.upload(
            label,
            bytemuck::cast_slice(data),
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        )
    }

    fn upload_u32(&self, label: &str, data: &[u32]) -> Owned {
        self.upload(
            label,
            bytemuck::cast_slice(data),
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        )
    }

    fn zeros(&self, label: &str, floats: usize) -> Owned {
        Owned(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (floats.max(1) * 4) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }))
    }

    fn uniform<T: Pod>(&self, value: &T) -> Owned {
        self.upload("params", bytemuck::bytes_of(value), wgpu::BufferUsages::UNIFORM)
    }

    fn bind(&self, layout: &wgpu::BindGroupLayout, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout, entries: &entries })
    }

    /// Record `C = alpha·op(A)·op(B) + beta·C` (`m×n`, inner dimension `k`).
    #[allow(clippy::too_many_arguments)]
    fn record_gemm(
        &self,
        enc: &mut Enc,
        (a, ta, lda): (&wgpu::Buffer, Op, usize),
        (b, tb, ldb): (&wgpu::Buffer, Op, usize),
        c: &wgpu::Buffer,
        (m, n, k): (usize, usize, usize),
        alpha: f32,
        beta: f32,
        sym: bool,
        sqdist: bool,
    ) {
        let params = GemmParams {
            m: m as u32,
            n: n as u32,
            k: k as u32,
            lda: lda as u32,
            ldb: ldb as u32,
            ldc: n as u32,
            trans_a: u32::from(ta == Op::T),
            trans_b: u32::from(tb == Op::T),
            sym: u32::from(sym),
            alpha,
            beta,
            _pad: 0,
        };
        let u = self.uniform(&params);
        let bg = self.bind(&self.gemm_layout, &[a, b, c, &u]);
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("gemm"),
                timestamp_writes: None,
            });
            pass.set_pipeline(if sqdist { &self.gemm_sqdist } else { &self.gemm_dot });
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(n.div_ceil(64).max(1) as u32, m.div_ceil(64).max(1) as u32, 1);
        }
        enc.keep.push(u);
    }

    fn record_elementwise(
        &self,
        enc: &mut Enc,
        pipeline: &wgpu::ComputePipeline,
        buffers: [&wgpu::Buffer; 3],
        mut params: ElemParams,
    ) {
        let (gx, gy) = grid((params.len as usize).div_ceil(256));
        params.stride = gx * 256;
        let u = self.uniform(&params);
        let bg = self.bind(&self.elem_layout, &[buffers[0], buffers[1], buffers[2], &u]);
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("elementwise"),
                timestamp_writes: None,
            });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        enc.keep.push(u);
    }

    fn encoder(&self) -> Enc {
        Enc {
            enc: self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("ops") }),
            keep: Vec::new(),
        }
    }

    /// Submit `enc`, then copy `bytes` of `src` back to the CPU. The buffers `enc` keeps are
    /// destroyed when this returns (read back or failed).
    async fn submit_and_read(&self, enc: Enc, src: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>, GpuError> {
        self.check_lost()?;
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let staging = Owned(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: bytes.max(4),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }));
        let Enc { mut enc, keep } = enc;
        enc.copy_buffer_to_buffer(src, 0, &staging, 0, bytes.max(4));
        self.queue.submit([enc.finish()]);
        // Held (not used) until the readback ends: the submitted commands read them.
        let _keep = keep;
        if let Some(e) = validation.pop().await {
            return Err(GpuError::Failed(e.to_string()));
        }
        if let Some(e) = oom.pop().await {
            return Err(GpuError::Failed(format!("out of GPU memory: {e}")));
        }
        let (tx, rx) = futures_channel::oneshot::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Failed(e.to_string()))?;
        rx.await
            .map_err(|_| GpuError::Lost("the readback was dropped".into()))?
            .map_err(|e| GpuError::Failed(format!("reading back failed: {e}")))?;
        self.check_lost()?;
        let out = {
            let view = staging.slice(..).get_mapped_range().map_err(|e| GpuError::Failed(e.to_string()))?;
            view[..bytes as usize].to_vec()
        };
        staging.unmap();
        Ok(out)
    }

    /// Submit `enc`, then copy several buffers back in one mapping: `(buffer, bytes)` each.
    async fn submit_and_read_many(
        &self,
        enc: Enc,
        srcs: &[(&wgpu::Buffer, u64)],
    ) -> Result<Vec<Vec<u8>>, GpuError> {
        let padded = |b: u64| b.next_multiple_of(4).max(4);
        let total: u64 = srcs.iter().map(|(_, b)| padded(*b)).sum();
        let joined = self.zeros("joined", (total / 4) as usize);
        let mut enc = enc;
        let mut offset = 0;
        for (buf, bytes) in srcs {
            enc.copy_buffer_to_buffer(buf, 0, &joined, offset, padded(*bytes));
            offset += padded(*bytes);
        }
        let all = self.submit_and_read(enc, &joined, total).await?;
        let mut out = Vec::new();
        let mut at = 0usize;
        for (_, bytes) in srcs {
            out.push(all[at..at + *bytes as usize].to_vec());
            at += padded(*bytes) as usize;
        }
        Ok(out)
    }

    async fn read_f32(&self, enc: Enc, src: &wgpu::Buffer, len: usize) -> Result<Vec<f32>, GpuError> {
        let bytes = self.submit_and_read(enc, src, (len * 4) as u64).await?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    async fn read_u32(&self, enc: Enc, src: &wgpu::Buffer, len: usize) -> Result<Vec<u32>, GpuError> {
        let bytes = self.submit_and_read(enc, src, (len * 4) as u64).await?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// `A·B`.
    pub async fn matmul(&self, a: &Mat<f32>, b: &Mat<f32>) -> Result<Mat<f32>, GpuError> {
        self.check_lost()?;
        if a.cols != b.rows {
            return Err(GpuError::Failed(format!(
                "matmul shapes {}×{} · {}×{}",
                a.rows, a.cols, b.rows, b.cols
            )));
        }
        for (what, n) in [("A", a.data.len()), ("B", b.data.len()), ("the product", a.rows * b.cols)] {
            self.check_size(what, n)?;
        }
        let (ba, bb, bc) =
            (self.upload_f32("A", &a.data), self.upload_f32("B", &b.data), self.zeros("C", a.rows * b.cols));
        let mut enc = self.encoder();
        self.record_gemm(
            &mut enc,
            (&ba, Op::N, a.cols),
            (&bb, Op::N, b.cols),
            &bc,
            (a.rows, b.cols, a.cols),
            1.0,
            0.0,
            false,
            false,
        );
        let data = self.read_f32(enc, &bc, a.rows * b.cols).await?;
        Ok(Mat { rows: a.rows, cols: b.cols, data })
    }

    /// `X·Yᵀ` (rows against rows); with `y = None`, the symmetric Gram `X·Xᵀ`.
    pub async fn cross_gram(&self, x: &Mat<f32>, y: Option<&Mat<f32>>) -> Result<Mat<f32>, GpuError> {
        self.check_lost()?;
        let yy = y.unwrap_or(x);
        if x.cols != yy.cols {
            return Err(GpuError::Failed("cross_gram: different row lengths".into()));
        }
        self.check_size("X", x.data.len())?;
        self.check_size("the Gram matrix", x.rows * yy.rows)?;
        let bx = self.upload_f32("X", &x.data);
        let by_own = match y {
            Some(y) => {
                self.check_size("Y", y.data.len())?;
                Some(self.upload_f32("Y", &y.data))
            }
            None => None,
        };
        let by: &wgpu::Buffer = by_own.as_deref().unwrap_or(&bx);
        let bc = self.zeros("G", x.rows * yy.rows);
        let mut enc = self.encoder();
        self.record_gemm(
            &mut enc,
            (&bx, Op::N, x.cols),
            (by, Op::T, yy.cols),
            &bc,
            (x.rows, yy.rows, x.cols),
            1.0,
            0.0,
            y.is_none(),
            false,
        );
        let data = self.read_f32(enc, &bc, x.rows * yy.rows).await?;
        Ok(Mat { rows: x.rows, cols: yy.rows, data })
    }

    /// `exp(−γ‖x_i − y_j‖²)` for every γ from one cross-Gram `G` (`rows × cols`) and the
    /// squared row norms: one buffer, one dispatch, one readback for all γ.
    pub async fn rbf_from_gram(
        &self,
        g: &Mat<f32>,
        nx: &[f32],
        ny: &[f32],
        gammas: &[f32],
    ) -> Result<Vec<Mat<f32>>, GpuError> {
        self.check_lost()?;
        let plane = g.rows * g.cols;
        self.check_size("the kernel matrices", plane * gammas.len())?;
        let mut packed = Vec::with_capacity(plane + nx.len() + ny.len());
        packed.extend_from_slice(&g.data);
        packed.extend_from_slice(nx);
        packed.extend_from_slice(ny);
        let (bx, by, bz) = (
            self.upload_f32("G", &packed),
            self.upload_f32("gammas", gammas),
            self.zeros("K", plane * gammas.len()),
        );
        let mut enc = self.encoder();
        let len = plane * gammas.len();
        let params = ElemParams {
            len: len as u32,
            rows: g.rows as u32,
            cols: g.cols as u32,
            stride: 0,
            a: 0.0,
            b: 0.0,
            c: 0.0,
            count: gammas.len() as u32,
        };
        self.record_elementwise(&mut enc, &self.rbf, [&bx, &by, &bz], params);
        let data = self.read_f32(enc, &bz, len).await?;
        Ok(data
            .chunks(plane.max(1))
            .take(gammas.len())
            .map(|c| Mat { rows: g.rows, cols: g.cols, data: c.to_vec() })
            .collect())
    }

    /// Record one synchronous sign step over the rows of `s` given the field `h`.
    fn record_step(&self, enc: &mut Enc, bufs: [&wgpu::Buffer; 4], rows: usize, cols: usize) {
        let (gx, gy) = grid(rows);
        let u = self.uniform(&StepParams { rows: rows as u32, cols: cols as u32, groups_x: gx, _pad: 0 });
        let bg = self.bind(&self.step_layout, &[bufs[0], bufs[1], bufs[2], bufs[3], &u]);
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("step"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.step);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        enc.keep.push(u);
    }

    /// Iterate `record_field` + a sign step in chunks until every row stopped or `max_steps`.
    async fn iterate_rows(
        &self,
        s0: &Mat<f32>,
        max_steps: usize,
        h_len: usize,
        record_field: &dyn Fn(&mut Enc, &wgpu::Buffer, &wgpu::Buffer),
    ) -> Result<BatchRecall, GpuError> {
        let (rows, cols) = (s0.rows, s0.cols);
        self.check_size("the states", rows * cols)?;
        self.check_size("the fields", h_len)?;
        let s = self.upload_f32("S", &s0.data);
        let prev = self.zeros("Sprev", rows * cols);
        let h = self.zeros("H", h_len.max(rows * cols));
        let st = self.upload_u32("status", &vec![0u32; 2 * rows]);
        let mut done = 0;
        let mut status = vec![0u32; 2 * rows];
        while done < max_steps {
            let n = CHUNK.min(max_steps - done);
            let mut enc = self.encoder();
            for _ in 0..n {
                record_field(&mut enc, &s, &h);
                self.record_step(&mut enc, [&h, &s, &prev, &st], rows, cols);
            }
            done += n;
            status = self.read_u32(enc, &st, 2 * rows).await?;
            if status.chunks(2).all(|p| p[0] != 0) {
                break;
            }
        }
        let data = self.read_f32(self.encoder(), &s, rows * cols).await?;
        Ok(BatchRecall {
            states: Mat { rows, cols, data },
            steps: status.chunks(2).map(|p| p[1]).collect(),
            status: status.chunks(2).map(|p| RowStatus::from_code(p[0])).collect(),
        })
    }

    /// Synchronous Hopfield recall of every row of `s0` (`B × N`, ±1): `s ← sign(W s)`.
    pub async fn hopfield_sync(
        &self,
        w: &Mat<f32>,
        s0: &Mat<f32>,
        max_steps: usize,
    ) -> Result<BatchRecall, GpuError> {
        self.check_lost()?;
        self.check_size("W", w.data.len())?;
        let bw = self.upload_f32("W", &w.data);
        let (rows, n) = (s0.rows, s0.cols);
        let field = |enc: &mut Enc, s: &wgpu::Buffer, h: &wgpu::Buffer| {
            // H = S·Wᵀ (B × N).
            self.record_gemm(
                enc,
                (s, Op::N, n),
                (&bw, Op::T, n),
                h,
                (rows, w.rows, n),
                1.0,
                0.0,
                false,
                false,
            );
        };
        self.iterate_rows(s0, max_steps, rows * n, &field).await
    }

    /// Synchronous kernel-Hopfield recall: `s ← sign(Σ_μ α_μ· exp(−γ‖s − ξ^μ‖²))` for ±1
    /// states, with `‖s − ξ‖² = 2(N − s·ξ)`. `xi`, `alpha`: `P × N`; `s0`: `B × N`.
    pub async fn kernel_hopfield_sync(
        &self,
        xi: &Mat<f32>,
        alpha: &Mat<f32>,
        gamma: f32,
        s0: &Mat<f32>,
        max_steps: usize,
    ) -> Result<BatchRecall, GpuError> {
        self.check_lost()?;
        let (rows, n, p) = (s0.rows, s0.cols, xi.rows);
        for (what, len) in
            [("the patterns", xi.data.len()), ("alpha", alpha.data.len()), ("the kernel block", rows * p)]
        {
            self.check_size(what, len)?;
        }
        let (bxi, balpha) = (self.upload_f32("Xi", &xi.data), self.upload_f32("alpha", &alpha.data));
        let (g, kb) = (self.zeros("G", rows * p), self.zeros("K", rows * p));
        let dummy = self.zeros("unused", 1);
        let field = |enc: &mut Enc, s: &wgpu::Buffer, h: &wgpu::Buffer| {
            // G = S·Ξᵀ, K = exp(2γ(G − N)), H = K·α.
            self.record_gemm(enc, (s, Op::N, n), (&bxi, Op::T, n), &g, (rows, p, n), 1.0, 0.0, false, false);
            let params = ElemParams {
                len: (rows * p) as u32,
                rows: rows as u32,
                cols: p as u32,
                stride: 0,
                a: 2.0 * gamma,
                b: n as f32,
                c: 0.0,
                count: 0,
            };
            self.record_elementwise(enc, &self.exp_affine, [&g, &dummy, &kb], params);
            self.record_gemm(
                enc,
                (&kb, Op::N, p),
                (&balpha, Op::N, n),
                h,
                (rows, n, p),
                1.0,
                0.0,
                false,
                false,
            );
        };
        self.iterate_rows(s0, max_steps, rows * n, &field).await
    }

    /// Soft k-means (Jaffe, Algorithm 1): points `w` (`m × d`), initial centres `c0` (`k × d`).
    pub async fn soft_kmeans(
        &self,
        w: &Mat<f32>,
        c0: &Mat<f32>,
        tau: f32,
        eps: f32,
        max_iter: usize,
    ) -> Result<SoftKMeans, GpuError> {
        self.check_lost()?;
        let (m, d, k) = (w.rows, w.cols, c0.rows);
        for (what, len) in [("the points", m * (d + 1)), ("the distances", m * k)] {
            self.check_size(what, len)?;
        }
        let mut w1 = Vec::with_capacity(m * (d + 1));
        for i in 0..m {
            w1.extend_from_slice(w.row(i));
            w1.push(1.0);
        }
        let (bw, bw1, bc) =
            (self.upload_f32("W", &w.data), self.upload_f32("W1", &w1), self.upload_f32("C", &c0.data));
        let (d2, a, num) = (self.zeros("D2", m * k), self.zeros("A", m * k), self.zeros("num", k * (d + 1)));
        let st = self.upload_u32("status", &[0, 0, 0]);
        let (gx, gy) = grid(m.div_ceil(256));
        let params = SkmParams {
            m: m as u32,
            k: k as u32,
            d: d as u32,
            groups_x: gx,
            inv_tau: 1.0 / tau,
            eps,
            _pad0: 0,
            _pad1: 0,
        };
        let u = self.uniform(&params);
        let bg_softmax = self.bind(&self.skm_layout, &[&d2, &a, &st, &u]);
        let bg_norm = self.bind(&self.skm_layout, &[&num, &bc, &st, &u]);
        let attention = |enc: &mut Enc| {
            self.record_gemm(enc, (&bw, Op::N, d), (&bc, Op::T, d), &d2, (m, k, d), 1.0, 0.0, false, true);
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("softmax"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.skm_softmax);
            pass.set_bind_group(0, &bg_softmax, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        };
        let mut done = 0;
        let mut status = vec![0u32; 3];
        while done < max_iter {
            let n = (2 * CHUNK).min(max_iter - done);
            let mut enc = self.encoder();
            for _ in 0..n {
                attention(&mut enc);
                // num = Aᵀ·[W | 1]  (k × (d+1)).
                self.record_gemm(
                    &mut enc,
                    (&a, Op::T, k),
                    (&bw1, Op::N, d + 1),
                    &num,
                    (k, d + 1, m),
                    1.0,
                    0.0,
                    false,
                    false,
                );
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("normalise"),
                    timestamp_writes: None,
                });
                pass.set_pipeline(&self.skm_normalise);
                pass.set_bind_group(0, &bg_norm, &[]);
                pass.dispatch_workgroups(1, 1, 1);
            }
            done += n;
            status = self.read_u32(enc, &st, 3).await?;
            if status[0] != 0 {
                break;
            }
        }
        let mut enc = self.encoder();
        attention(&mut enc);
        let attn = self.read_f32(enc, &a, m * k).await?;
        let centres = self.read_f32(self.encoder(), &bc, k * d).await?;
        Ok(SoftKMeans {
            centres: Mat { rows: k, cols: d, data: centres },
            attention: Mat { rows: m, cols: k, data: attn },
            iterations: status[1] as usize,
            converged: status[0] != 0,
            last_change: f64::from(f32::from_bits(status[2])),
        })
    }
}
