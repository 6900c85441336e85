//! The compute layer: the few heavy kernels the labs need (Gram and kernel matrices,
//! matrix products, batched Hopfield updates, soft-k-means distances, …) behind one
//! small interface with two implementations: the CPU ([`cpu`], always there) and the
//! GPU (wgpu: WebGPU in the browser, Vulkan/Metal/DX natively) when an adapter is
//! available.
//!
//! The layer knows shapes and numbers, never models. A lab receives a [`Compute`]
//! and asks it for kernels; whether they run on the GPU is decided once, by the face
//! (page or CLI) that built the `Compute`, and reported by [`Compute::describe`].

pub mod cpu;
mod mat;

pub use mat::Mat;

/// Where the kernels of a run execute.
#[derive(Debug, Clone, Default)]
pub struct Compute {
    /// Why the GPU is not used (no adapter, forced CPU, device lost, …); `None` when it is.
    cpu_reason: Option<String>,
}

impl Compute {
    /// The CPU only, with the reason shown to the visitor.
    pub fn cpu(reason: impl Into<String>) -> Self {
        Self { cpu_reason: Some(reason.into()) }
    }

    /// A one-line description for the status line and the JSON output.
    pub fn describe(&self) -> String {
        match &self.cpu_reason {
            Some(r) => format!("CPU ({r})"),
            None => "GPU".into(),
        }
    }

    /// True when kernels run on the GPU.
    pub fn uses_gpu(&self) -> bool {
        self.cpu_reason.is_none()
    }
}
