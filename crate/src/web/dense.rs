//! The dense lab's per-frame bindings: the animated phase portrait. One call per frame
//! advects every particle (`labs::dense::particles::advect`, on the CPU in WebAssembly)
//! and renders the trails into the page's RGBA buffer (`plot::particles`); the page
//! puts that buffer on its canvas with one `putImageData`.

use crate::labs::dense::particles::{Flow, STOPPED_NONFINITE, STOPPED_UNSTABLE, moving};
use crate::labs::dense::{self, system::System};
use crate::params::{Params, from_query};
use crate::plot::particles::{Raster, fade, stamp};
use serde_json::json;
use wasm_bindgen::prelude::*;

/// Frames a particle lives before it respawns (staggered).
const LIFETIME: u32 = 240;
/// Largest RK4 sub-step in model time.
const H_MAX: f64 = 0.02;
/// Trail decay per frame (alpha × 225/256).
const KEEP: u8 = 225;

/// Particles over the planar flow of a `lab=dense` query.
#[wasm_bindgen]
pub struct DenseFlow {
    flow: Option<Flow>,
    raster: Raster,
    speed: f64,
    seed: u64,
    error: String,
}

fn params(query: &str) -> Result<Params, String> {
    let parsed = from_query(query);
    match parsed.state() {
        Some(s) if s.lab.id == "dense" => Ok(s.params),
        _ => Err("not a lab=dense query".into()),
    }
}

#[wasm_bindgen]
impl DenseFlow {
    /// A flow for `query`, drawn into a `width × height` buffer.
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str, width: u32, height: u32) -> DenseFlow {
        let mut f = DenseFlow {
            flow: None,
            raster: Raster {
                width: width.max(1) as usize,
                height: height.max(1) as usize,
                extent: [-1.0, 1.0, -1.0, 1.0],
            },
            speed: 1.0,
            seed: 0,
            error: String::new(),
        };
        f.configure(query);
        f
    }

    /// Read the system, view, particle count and speed from `query` (particles keep
    /// their places when only the system changed). Returns an error message, or "".
    pub fn configure(&mut self, query: &str) -> String {
        let p = match params(query) {
            Ok(p) => p,
            Err(e) => {
                self.error = e.clone();
                return e;
            }
        };
        self.speed = p.float("speed");
        let extent = dense::extent(&p);
        self.raster.extent = extent;
        let count = p.usize("particles");
        match dense::plane_system(&p) {
            Ok(sys) => {
                self.error.clear();
                match &mut self.flow {
                    Some(f) if self.seed == p.seed() => {
                        f.set_system(sys);
                        f.set_extent(extent);
                        f.set_count(count);
                    }
                    _ => {
                        self.seed = p.seed();
                        self.flow = Some(Flow::new(sys, extent, count, p.seed(), LIFETIME));
                    }
                }
            }
            Err(e) => self.error = e.to_string(),
        }
        self.error.clone()
    }

    /// Live edit of W and b while a number is dragged (the URL is updated on release).
    #[allow(clippy::too_many_arguments)]
    pub fn set_weights(&mut self, w11: f64, w12: f64, w21: f64, w22: f64, b1: f64, b2: f64) -> String {
        let Some(f) = &mut self.flow else { return "no flow".into() };
        let old = f.system();
        match System::new(2, vec![w11, w12, w21, w22], vec![b1, b2], old.lag, old.dynamics) {
            Ok(s) => {
                f.set_system(s);
                String::new()
            }
            Err(e) => e.to_string(),
        }
    }

    /// Resize the render buffer (the page clears its canvas).
    pub fn resize(&mut self, width: u32, height: u32) {
        self.raster.width = width.max(1) as usize;
        self.raster.height = height.max(1) as usize;
    }

    /// Advance by `seconds` of wall time (capped at 1/50 s, so that slow frames slow the
    /// motion down instead of adding sub-steps) and render into `rgba`
    /// (`width × height × 4` bytes, trails kept from the previous frame). Returns the
    /// number of moving particles.
    pub fn frame(&mut self, seconds: f64, rgba: &mut [u8]) -> u32 {
        let Some(f) = &mut self.flow else { return 0 };
        let dt = self.speed * seconds.clamp(0.0, 0.02);
        f.step(dt, H_MAX);
        fade(rgba, KEEP);
        let status = f.status();
        let live = stamp(rgba, &self.raster, f.positions(), [255, 255, 255], |i| moving(status[i]));
        stamp(rgba, &self.raster, f.positions(), [230, 40, 40], |i| !moving(status[i]));
        live as u32
    }

    /// `{particles, live, stopped_nonfinite, stopped_unstable, backend, error}` as JSON.
    pub fn status(&self) -> String {
        let (live, nonfinite, unstable) = self.flow.as_ref().map_or((0, 0, 0), Flow::counts);
        json!({
            "particles": live + nonfinite + unstable,
            "live": live,
            "stopped_nonfinite": nonfinite,
            "stopped_unstable": unstable,
            "codes": { "nonfinite": STOPPED_NONFINITE, "unstable": STOPPED_UNSTABLE },
            "backend": "CPU (WebAssembly, RK4 in f64 per particle)",
            "error": self.error,
        })
        .to_string()
    }

    /// Respawn every particle.
    pub fn reset(&mut self) {
        if let Some(f) = &mut self.flow {
            f.reset();
        }
    }

    /// The particle positions `[x0, y0, x1, y1, …]` (tests and debugging).
    pub fn positions(&self) -> Vec<f32> {
        self.flow.as_ref().map(|f| f.positions().to_vec()).unwrap_or_default()
    }
}
