//! The compute layer: the few heavy kernels the labs need — Gram and kernel matrices,
//! L1 distances, matrix products, batched Hopfield updates, soft-k-means — behind one small
//! interface, [`Compute`], with two implementations: the CPU ([`cpu`], always there;
//! f32 and f64) and the GPU ([`gpu`], wgpu + WGSL, f32) when an adapter is available.
//!
//! The layer knows shapes and numbers, never models. A lab receives a `Compute` and
//! asks it for kernels. Whether they run on the GPU is decided by the face (page or
//! CLI) that built the `Compute`; when a GPU operation fails (a lost device, a buffer
//! over the adapter's limits, a validation error) the same operation runs on the CPU
//! and the reason is kept in [`Compute::fallbacks`] for the page to show.
//!
//! Tolerances of the GPU path against the f64 CPU reference are stated with each test
//! in `tests/gpu_kernels.rs`.

pub mod check;
pub mod cpu;
pub mod gpu;
pub mod l1;
mod mat;
pub mod relaxed;

pub use mat::Mat;

use serde::Serialize;
use std::sync::{Arc, Mutex};

/// How one row of a batched recall ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Still changing when the step cap was reached.
    Running,
    /// Reached a fixed point.
    Fixed,
    /// Fell into a 2-cycle.
    Cycle,
}

impl RowStatus {
    /// The GPU's status code (0 running, 1 fixed, 2 cycle).
    pub fn from_code(code: u32) -> Self {
        match code {
            1 => Self::Fixed,
            2 => Self::Cycle,
            _ => Self::Running,
        }
    }
}

/// The result of a batched synchronous recall.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRecall {
    /// Final states, one row per probe.
    pub states: Mat<f32>,
    /// Steps evaluated per row (the step that confirms a fixed point included).
    pub steps: Vec<u32>,
    pub status: Vec<RowStatus>,
}

/// The result of soft k-means.
#[derive(Debug, Clone, Serialize)]
pub struct SoftKMeans {
    /// Final centres (`k × d`).
    pub centres: Mat<f32>,
    /// Attention `A = rowsoftmax(−D/τ)` of the points to the final centres (`m × k`).
    pub attention: Mat<f32>,
    /// Centre updates done.
    pub iterations: usize,
    /// `‖C⁺ − C‖_F < ε` was reached.
    pub converged: bool,
    /// `‖C⁺ − C‖_F` of the last update.
    pub last_change: f64,
}

/// Where the kernels run, as data for the page's status line (no prose to parse).
#[derive(Debug, Clone, Serialize)]
pub struct ComputeStatus {
    /// `"gpu"` or `"cpu"`.
    pub backend: &'static str,
    /// The adapter's name, when the GPU is used.
    pub adapter: Option<String>,
    /// The adapter is a software renderer on the CPU.
    pub software: bool,
    /// One line: the adapter and backend, or why the CPU is used.
    pub description: String,
    /// Why the CPU is used (no adapter, a failed self-check, `backend=cpu`, …).
    pub reason: Option<String>,
    /// GPU operations that failed and ran on the CPU.
    pub fallbacks: Vec<String>,
}

/// Where the kernels of a run execute.
#[derive(Debug, Clone, Default)]
pub struct Compute {
    gpu: Option<Arc<gpu::Gpu>>,
    /// Why the GPU is not used (no adapter, `backend=cpu`, …); `None` when it is.
    cpu_reason: Option<String>,
    /// GPU operations that failed and ran on the CPU instead.
    fallbacks: Arc<Mutex<Vec<String>>>,
}

impl Compute {
    /// The CPU only, with the reason shown to the visitor.
    pub fn cpu(reason: impl Into<String>) -> Self {
        Self { gpu: None, cpu_reason: Some(reason.into()), fallbacks: Arc::default() }
    }

    /// Kernels on `gpu`.
    pub fn with_gpu(gpu: Arc<gpu::Gpu>) -> Self {
        Self { gpu: Some(gpu), cpu_reason: None, fallbacks: Arc::default() }
    }

    /// Try to open the default GPU; on failure, the CPU with the reason.
    // In the browser wgpu's handles are not Send; the Arc is only ever used on one thread there.
    #[cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]
    pub async fn detect() -> Self {
        match gpu::Gpu::new().await {
            Ok(g) => Self::with_gpu(Arc::new(g)),
            Err(e) => Self::cpu(e.to_string()),
        }
    }

    /// A one-line description for the status line.
    pub fn describe(&self) -> String {
        match (&self.gpu, &self.cpu_reason) {
            (Some(g), _) => format!("GPU: {}", g.describe()),
            (None, Some(r)) => format!("CPU ({r})"),
            (None, None) => "CPU".into(),
        }
    }

    /// The status as data.
    pub fn status(&self) -> ComputeStatus {
        ComputeStatus {
            backend: if self.gpu.is_some() { "gpu" } else { "cpu" },
            adapter: self.gpu.as_ref().map(|g| g.name().to_string()),
            software: self.gpu.as_ref().is_some_and(|g| g.is_software()),
            description: self.describe(),
            reason: self.cpu_reason.clone(),
            fallbacks: self.fallbacks(),
        }
    }

    /// True when kernels are sent to the GPU.
    pub fn uses_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    /// The GPU, if kernels run there.
    pub fn gpu(&self) -> Option<&gpu::Gpu> {
        self.gpu.as_deref()
    }

    /// Operations that failed on the GPU and ran on the CPU, with the reasons.
    pub fn fallbacks(&self) -> Vec<String> {
        self.fallbacks.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// Record a notice for the page about where a lab runs an operation (shown with the
    /// fallbacks, worded as given), e.g. one that runs on the CPU by design.
    pub fn note(&self, text: &str) {
        if let Ok(mut f) = self.fallbacks.lock() {
            f.push(text.to_string());
        }
    }

    /// Record that GPU operation `op` failed with `e` and ran on the CPU instead (for labs
    /// that call [`gpu::Gpu`] directly, e.g. fused training loops).
    pub fn fell_back(&self, op: &str, e: &gpu::GpuError) {
        if let Ok(mut f) = self.fallbacks.lock() {
            f.push(format!("{op}: {e}; computed on the CPU instead"));
        }
    }

    /// `A·B`.
    pub async fn matmul(&self, a: &Mat<f32>, b: &Mat<f32>) -> Mat<f32> {
        if let Some(g) = self.gpu() {
            match g.matmul(a, b).await {
                Ok(c) => return c,
                Err(e) => self.fell_back("matmul", &e),
            }
        }
        cpu::matmul_f32(a, b)
    }

    /// The Gram matrix `X·Xᵀ` (rows are patterns).
    pub async fn gram(&self, x: &Mat<f32>) -> Mat<f32> {
        if let Some(g) = self.gpu() {
            match g.cross_gram(x, None).await {
                Ok(c) => return c,
                Err(e) => self.fell_back("gram", &e),
            }
        }
        cpu::gram_f32(x)
    }

    /// The cross-Gram `X·Yᵀ`.
    pub async fn cross_gram(&self, x: &Mat<f32>, y: &Mat<f32>) -> Mat<f32> {
        if let Some(g) = self.gpu() {
            match g.cross_gram(x, Some(y)).await {
                Ok(c) => return c,
                Err(e) => self.fell_back("cross_gram", &e),
            }
        }
        cpu::matmul_f32(x, &y.transpose())
    }

    /// RBF kernel matrices `exp(−γ‖x_i − y_j‖²)` for every γ, from one cross-Gram.
    pub async fn rbf_from_gram(&self, g: &Mat<f32>, nx: &[f32], ny: &[f32], gammas: &[f32]) -> Vec<Mat<f32>> {
        if let Some(gpu) = self.gpu() {
            match gpu.rbf_from_gram(g, nx, ny, gammas).await {
                Ok(k) => return k,
                Err(e) => self.fell_back("rbf_from_gram", &e),
            }
        }
        let to64 = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
        let gam = to64(gammas);
        cpu::rbf_from_gram(&g.to_f64(), &to64(nx), &to64(ny), &gam).iter().map(Mat::to_f32).collect()
    }

    /// Synchronous Hopfield recall `s ← sign(W s)` of every row of `s0` (`B × N`, ±1),
    /// until each row is fixed, 2-cycles, or `max_steps`.
    pub async fn hopfield_sync(&self, w: &Mat<f32>, s0: &Mat<f32>, max_steps: usize) -> BatchRecall {
        if let Some(g) = self.gpu() {
            match g.hopfield_sync(w, s0, max_steps).await {
                Ok(r) => return r,
                Err(e) => self.fell_back("hopfield_sync", &e),
            }
        }
        cpu::hopfield_sync(&w.to_f64(), &s0.to_f64(), max_steps)
    }

    /// Synchronous kernel-Hopfield recall `s ← sign(Σ_μ α_μ K(s, ξ^μ))`, RBF kernel with `γ`.
    pub async fn kernel_hopfield_sync(
        &self,
        xi: &Mat<f32>,
        alpha: &Mat<f32>,
        gamma: f32,
        s0: &Mat<f32>,
        max_steps: usize,
    ) -> BatchRecall {
        if let Some(g) = self.gpu() {
            match g.kernel_hopfield_sync(xi, alpha, gamma, s0, max_steps).await {
                Ok(r) => return r,
                Err(e) => self.fell_back("kernel_hopfield_sync", &e),
            }
        }
        cpu::kernel_hopfield_sync(
            &xi.to_f64(),
            &alpha.to_f64(),
            f64::from(gamma),
            &s0.to_f64(),
            max_steps,
            &mut |_| {},
        )
    }

    /// Soft k-means of points `w` (`m × d`) from centres `c0` (`k × d`) at temperature `tau`.
    pub async fn soft_kmeans(
        &self,
        w: &Mat<f32>,
        c0: &Mat<f32>,
        tau: f32,
        eps: f32,
        max_iter: usize,
    ) -> SoftKMeans {
        if let Some(g) = self.gpu() {
            match g.soft_kmeans(w, c0, tau, eps, max_iter).await {
                Ok(r) => return r,
                Err(e) => self.fell_back("soft_kmeans", &e),
            }
        }
        cpu::soft_kmeans(&w.to_f64(), &c0.to_f64(), f64::from(tau), f64::from(eps), max_iter)
    }
}
