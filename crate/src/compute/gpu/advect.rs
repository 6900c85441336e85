//! Batched RK4 advection of planar particles for any vector field given as WGSL source.
//!
//! The compute layer owns the integrator (classical RK4, one invocation per particle,
//! all steps of a call in one dispatch, one readback) and its stop rules; the caller owns
//! the field: a WGSL function `fn field(x: vec2<f32>) -> vec2<f32>` that may read its
//! parameters from `fp: array<f32>` (see `advect.wgsl`). The pipeline of each field
//! source is built on first use and cached on the [`Gpu`].

use super::{Gpu, GpuError, Slot, grid, layout, pipeline};
use bytemuck::{Pod, Zeroable};
use std::sync::Mutex;

/// Particle status codes of [`Gpu::advect_particles`].
pub mod code {
    /// Moving.
    pub const MOVING: u32 = 0;
    /// Stopped: the new state was NaN or infinite (f32 overflow included).
    pub const NONFINITE: u32 = 1;
    /// Stopped: unstable on two consecutive steps, a jump over `max_jump`, or past `far`.
    pub const UNSTABLE: u32 = 2;
    /// Moving, but the last step exceeded the stiffness limit (a second one stops it).
    pub const SUSPECT: u32 = 3;
}

/// The integration settings of one [`Gpu::advect_particles`] call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdvectParams {
    /// RK4 step size.
    pub dt: f32,
    /// Steps per particle.
    pub steps: u32,
    /// A step longer than this stops the particle ([`code::UNSTABLE`]).
    pub max_jump: f32,
    /// A coordinate beyond ±`far` stops the particle ([`code::UNSTABLE`]).
    pub far: f32,
    /// The stiffness limit on `h·L = 2‖k₂ − k₁‖/‖k₁‖` (RK4's stability interval, ≈ 2.78).
    pub stiff_limit: f32,
}

/// Uniforms of `advect.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Uniforms {
    count: u32,
    steps: u32,
    groups_x: u32,
    _pad: u32,
    dt: f32,
    max_jump: f32,
    far: f32,
    stiff: f32,
}

/// Field sources kept compiled (a page switches among a few at most).
const MAX_CACHED: usize = 8;

/// The compiled advection pipelines, one per field source.
#[derive(Default)]
pub(super) struct Cache {
    layout: Mutex<Option<wgpu::BindGroupLayout>>,
    pipelines: Mutex<Vec<(String, wgpu::ComputePipeline)>>,
}

impl Gpu {
    /// The bind-group layout and pipeline for `field_source` (built and cached on first use).
    async fn advect_pipeline(
        &self,
        field_source: &str,
    ) -> Result<(wgpu::BindGroupLayout, wgpu::ComputePipeline), GpuError> {
        let bgl = {
            let mut slot = self.advect.layout.lock().map_err(|_| GpuError::Failed("poisoned lock".into()))?;
            slot.get_or_insert_with(|| {
                layout(&self.device, "advect", &[Slot::ReadWrite, Slot::ReadWrite, Slot::Read, Slot::Uniform])
            })
            .clone()
        };
        let cached = self
            .advect
            .pipelines
            .lock()
            .ok()
            .and_then(|p| p.iter().find(|(src, _)| src == field_source).map(|(_, p)| p.clone()));
        if let Some(p) = cached {
            return Ok((bgl, p));
        }
        let source = format!("{}\n{}", include_str!("advect.wgsl"), field_source);
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let built = pipeline(&self.device, &bgl, &source, "advect", "advect");
        if let Some(e) = scope.pop().await {
            return Err(GpuError::Failed(format!("building the advection shader failed: {e}")));
        }
        if let Ok(mut p) = self.advect.pipelines.lock() {
            if p.len() >= MAX_CACHED {
                p.remove(0);
            }
            p.push((field_source.to_string(), built.clone()));
        }
        Ok((bgl, built))
    }

    /// Advance every moving particle (status [`code::MOVING`] or [`code::SUSPECT`]) of
    /// `positions = [x0, y0, x1, y1, …]` by `params.steps` RK4 steps of the field defined
    /// by `field_source` (with parameters `field_params`), applying the stop rules of
    /// `advect.wgsl`. Returns the new positions and statuses (one upload, one dispatch,
    /// one readback). f32 throughout.
    pub async fn advect_particles(
        &self,
        field_source: &str,
        field_params: &[f32],
        positions: &[f32],
        status: &[u32],
        params: &AdvectParams,
    ) -> Result<(Vec<f32>, Vec<u32>), GpuError> {
        self.check_lost()?;
        let n = status.len();
        if positions.len() != 2 * n {
            return Err(GpuError::Failed(format!(
                "advect_particles: {} coordinates for {n} particles",
                positions.len()
            )));
        }
        if n == 0 {
            return Ok((Vec::new(), Vec::new()));
        }
        self.check_size("the particles", 2 * n)?;
        self.check_size("the field parameters", field_params.len())?;
        let (bgl, pipe) = self.advect_pipeline(field_source).await?;
        let pos = self.upload_f32("positions", positions);
        let st = self.upload_u32("status", status);
        let fp = self.upload_f32("field", if field_params.is_empty() { &[0.0] } else { field_params });
        let (gx, gy) = grid(n.div_ceil(64));
        let u = self.uniform(&Uniforms {
            count: n as u32,
            steps: params.steps,
            groups_x: gx,
            _pad: 0,
            dt: params.dt,
            max_jump: params.max_jump,
            far: params.far,
            stiff: params.stiff_limit,
        });
        let bg = self.bind(&bgl, &[&pos, &st, &fp, &u]);
        let mut enc = self.encoder();
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("advect"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipe);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        let parts = self.submit_and_read_many(enc, &[(&pos, (8 * n) as u64), (&st, (4 * n) as u64)]).await?;
        Ok((bytemuck::pod_collect_to_vec(&parts[0]), bytemuck::pod_collect_to_vec(&parts[1])))
    }
}
