//! The L1 (Manhattan) distance kernel on the GPU (`l1.wgsl`); the CPU path and the
//! [`crate::compute::Compute`] entry point are in `compute/l1.rs`. The pipeline is built on
//! first use and kept on the [`Gpu`].

use super::{Gpu, GpuError, Slot, layout, pipeline};
use crate::compute::Mat;
use bytemuck::{Pod, Zeroable};
use std::sync::Mutex;

/// Uniforms of `l1.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    m: u32,
    n: u32,
    k: u32,
    _pad: u32,
}

/// The compiled pipeline, built on first use.
#[derive(Default)]
pub(super) struct Cache {
    built: Mutex<Option<(wgpu::BindGroupLayout, wgpu::ComputePipeline)>>,
}

impl Gpu {
    async fn l1_pipeline(&self) -> Result<(wgpu::BindGroupLayout, wgpu::ComputePipeline), GpuError> {
        if let Some(p) = self.l1.built.lock().ok().and_then(|b| b.clone()) {
            return Ok(p);
        }
        let bgl = layout(&self.device, "l1", &[Slot::Read, Slot::Read, Slot::ReadWrite, Slot::Uniform]);
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let built = pipeline(&self.device, &bgl, include_str!("l1.wgsl"), "main", "l1");
        if let Some(e) = scope.pop().await {
            return Err(GpuError::Failed(format!("building the L1 distance shader failed: {e}")));
        }
        if let Ok(mut b) = self.l1.built.lock() {
            *b = Some((bgl.clone(), built.clone()));
        }
        Ok((bgl, built))
    }

    /// `D[i][j] = Σ_t |x_it − y_jt|` between the rows of `x` (`m × k`) and `y` (`n × k`):
    /// one upload, one dispatch, one readback.
    pub async fn l1_distances(&self, x: &Mat<f32>, y: &Mat<f32>) -> Result<Mat<f32>, GpuError> {
        self.check_lost()?;
        if x.cols != y.cols {
            return Err(GpuError::Failed(format!(
                "l1_distances shapes {}×{} against {}×{}",
                x.rows, x.cols, y.rows, y.cols
            )));
        }
        let (m, n) = (x.rows, y.rows);
        if m == 0 || n == 0 {
            return Ok(Mat::zeros(m, n));
        }
        if m.div_ceil(64) > 65_535 || n.div_ceil(64) > 65_535 {
            return Err(GpuError::Failed(format!(
                "l1_distances: {m}×{n} needs more workgroups than a dispatch allows"
            )));
        }
        for (what, len) in [("X", x.data.len()), ("Y", y.data.len()), ("the distances", m * n)] {
            self.check_size(what, len)?;
        }
        let (bgl, pipe) = self.l1_pipeline().await?;
        let (bx, by, bd) =
            (self.upload_f32("X", &x.data), self.upload_f32("Y", &y.data), self.zeros("D", m * n));
        let u = self.uniform(&Params { m: m as u32, n: n as u32, k: x.cols as u32, _pad: 0 });
        let bg = self.bind(&bgl, &[&bx, &by, &bd, &u]);
        let mut enc = self.encoder();
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("l1"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipe);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(n.div_ceil(64) as u32, m.div_ceil(64) as u32, 1);
        }
        let data = self.read_f32(enc, &bd, m * n).await?;
        Ok(Mat { rows: m, cols: n, data })
    }
}
