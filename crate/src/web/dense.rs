//! The live layer of the dense lab's phase portrait (`Mark::Live { kind: "particles" }`,
//! painted by `www/js/live/particles.js`): one call per frame advects every particle and
//! renders the trails into the layer's RGBA buffer (`plot::particles`); the page puts that
//! buffer on its canvas with one `putImageData`. The status sentence comes from here too.
//!
//! Two paths advect. The CPU path (`labs::dense::particles::advect`, RK4 in f64, in
//! WebAssembly) runs inside the call. The GPU path (`advect_gpu`, RK4 in f32, WebGPU)
//! starts once the page has verified WebGPU ([`DenseFlow::use_gpu`]): a call submits the
//! advection of the model time gathered since the last submission and returns at once;
//! a later call picks up the readback, ages and respawns the particles, draws them and
//! submits the next. While a readback is in flight a call draws nothing (the canvas keeps
//! the last picture), so a slow GPU lowers the rate of particle updates, never the frame
//! rate. Any GPU error, or a readback that does not arrive within [`GPU_TIMEOUT_MS`],
//! sends the particles back to the CPU path for good, and the status says why.

use crate::api::from_query;
use crate::compute::gpu::{Gpu, GpuError};
use crate::labs::dense;
use crate::labs::dense::particles::{Flow, advect_gpu, moving};
use crate::params::Params;
use crate::plot::particles::{Raster, fade, stamp};
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Frames a particle lives before it respawns (staggered).
const LIFETIME: u32 = 240;
/// Largest RK4 sub-step in model time.
const H_MAX: f64 = 0.02;
/// Trail decay per frame (alpha × 225/256).
const KEEP: u8 = 225;
/// Longest wall time per frame that advances the flow (slower frames slow the motion down).
const MAX_FRAME_S: f64 = 0.02;
/// GPU path: most frames of model time one submission gathers while a readback is in flight.
const MAX_OWED_FRAMES: f64 = 4.0;
/// GPU path: a readback slower than this (ms) counts as a failure; the CPU path takes over.
pub const GPU_TIMEOUT_MS: f64 = 5000.0;

/// Where the particles are advected.
enum Path {
    /// The CPU, with the reason the GPU is not used.
    Cpu(String),
    /// The GPU device is being opened on this thread (the CPU advects meanwhile).
    Opening,
    /// WebGPU.
    Gpu(Rc<Gpu>),
    /// The GPU failed (the message says how); the CPU took over for good.
    Failed(String),
}

type JobResult = Result<(Vec<f32>, Vec<u8>), GpuError>;

/// One GPU advection in flight.
struct Job {
    /// `DenseFlow::generation` at submission: a replaced population drops the result.
    generation: u64,
    /// `DenseFlow::system_epoch` at submission: a new system revives stopped particles.
    system_epoch: u64,
    /// When it was submitted (ms since the Unix epoch).
    since: f64,
    result: Rc<RefCell<Option<JobResult>>>,
}

/// Particles over the planar flow of a `lab=dense` query.
#[wasm_bindgen]
pub struct DenseFlow {
    flow: Option<Flow>,
    raster: Raster,
    speed: f64,
    seed: u64,
    error: String,
    path: Rc<RefCell<Path>>,
    /// `backend=cpu` in the query.
    forced_cpu: bool,
    job: Option<Job>,
    /// GPU path: model time gathered since the last submission.
    owed: f64,
    /// Bumped whenever the population is replaced (new seed or count, restart).
    generation: u64,
    /// Bumped whenever the system changes.
    system_epoch: u64,
    /// Whether the last [`DenseFlow::frame`] changed the buffer, and what it returned.
    drawn: bool,
    live: u32,
    /// Frames that advanced and drew the particles.
    updates: u64,
    /// The adapter's vendor and architecture as the page sees them (`[google swiftshader]`).
    adapter: String,
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
            path: Rc::new(RefCell::new(Path::Cpu("waiting for the page's WebGPU self-check".into()))),
            forced_cpu: false,
            job: None,
            owed: 0.0,
            generation: 0,
            system_epoch: 0,
            drawn: false,
            live: 0,
            updates: 0,
            adapter: String::new(),
        };
        f.configure(query);
        f
    }

    /// Read the system, view, particle count, speed and backend from `query` (particles
    /// keep their places when only the system changed, e.g. while W is dragged). Returns an
    /// error message, or "".
    pub fn configure(&mut self, query: &str) -> String {
        let p = match params(query) {
            Ok(p) => p,
            Err(e) => {
                self.error = e.clone();
                return e;
            }
        };
        self.speed = p.float("speed");
        self.forced_cpu = p.choice("backend") == "cpu";
        if self.forced_cpu {
            let mut path = self.path.borrow_mut();
            if !matches!(*path, Path::Failed(_)) {
                *path = Path::Cpu("backend=cpu in the link".into());
            }
        } else if matches!(&*self.path.borrow(), Path::Cpu(why) if why.starts_with("backend=cpu")) {
            *self.path.borrow_mut() = Path::Cpu("waiting for the page's WebGPU self-check".into());
        }
        let extent = dense::extent(&p);
        self.raster.extent = extent;
        let count = p.usize("particles");
        match dense::plane_system(&p) {
            Ok(sys) => {
                self.error.clear();
                self.system_epoch += 1;
                match &mut self.flow {
                    Some(f) if self.seed == p.seed() => {
                        f.set_system(sys);
                        f.set_extent(extent);
                        if f.status().len() != count {
                            f.set_count(count);
                            self.generation += 1;
                        }
                    }
                    _ => {
                        self.seed = p.seed();
                        self.flow = Some(Flow::new(sys, extent, count, p.seed(), LIFETIME));
                        self.generation += 1;
                    }
                }
            }
            Err(e) => self.error = e.to_string(),
        }
        self.error.clone()
    }

    /// Resize the render buffer (the page clears its canvas).
    pub fn resize(&mut self, width: u32, height: u32) {
        self.raster.width = width.max(1) as usize;
        self.raster.height = height.max(1) as usize;
    }

    /// Advect on the GPU from now on: the page calls this once its self-check has
    /// verified WebGPU (calling again does nothing). Ignored with `backend=cpu` and after
    /// a GPU failure. The device opens asynchronously; the CPU advects until it is ready.
    pub fn use_gpu(&mut self) {
        if self.forced_cpu || !matches!(*self.path.borrow(), Path::Cpu(_)) {
            return;
        }
        *self.path.borrow_mut() = Path::Opening;
        let path = Rc::clone(&self.path);
        wasm_bindgen_futures::spawn_local(async move {
            let opened = Gpu::new().await;
            let mut slot = path.borrow_mut();
            // backend=cpu may have arrived meanwhile.
            if matches!(*slot, Path::Opening) {
                *slot = match opened {
                    Ok(g) => Path::Gpu(Rc::new(g)),
                    Err(e) => Path::Failed(format!(
                        "WebGPU could not be opened on the page ({e}); the particles continue on the CPU"
                    )),
                };
            }
        });
    }

    /// The page has no verified WebGPU: say so while the particles stay on the CPU.
    /// Changes nothing once the GPU is opening, running or failed, or with `backend=cpu`.
    pub fn no_gpu(&mut self) {
        let mut path = self.path.borrow_mut();
        if !self.forced_cpu && matches!(*path, Path::Cpu(_)) {
            *path = Path::Cpu("the page has no verified WebGPU (see the status line at the bottom)".into());
        }
    }

    /// The adapter's vendor and architecture as the page's `navigator.gpu` reports them
    /// (wgpu does not see them in the browser), shown in the status.
    pub fn set_adapter(&mut self, vendor: &str, architecture: &str) {
        let parts: Vec<&str> = [vendor, architecture].into_iter().filter(|s| !s.is_empty()).collect();
        self.adapter = if parts.is_empty() { String::new() } else { format!(" [{}]", parts.join(" ")) };
    }

    /// Advance by `seconds` of wall time (capped at 1/50 s, so that slow frames slow the
    /// motion down instead of adding sub-steps) and render into `rgba`
    /// (`width × height × 4` bytes, trails kept from the previous frame). Returns the
    /// number of moving particles drawn. On the GPU path a call whose readback has not
    /// arrived yet leaves `rgba` untouched ([`DenseFlow::drawn`] is then false).
    pub fn frame(&mut self, seconds: f64, rgba: &mut [u8]) -> u32 {
        if self.flow.is_none() {
            self.drawn = false;
            return 0;
        }
        let dt = self.speed * seconds.clamp(0.0, MAX_FRAME_S);
        let gpu = match &*self.path.borrow() {
            Path::Gpu(g) => Some(Rc::clone(g)),
            _ => None,
        };
        let Some(gpu) = gpu else {
            self.job = None;
            if let Some(f) = &mut self.flow {
                f.step(dt, H_MAX);
            }
            return self.draw(rgba);
        };
        self.owed = (self.owed + dt).min(MAX_OWED_FRAMES * self.speed * MAX_FRAME_S);
        // The first GPU frame draws what the CPU left; later ones draw each readback.
        let mut advanced = self.job.is_none();
        if let Some(job) = self.job.take() {
            let done = job.result.borrow_mut().take();
            match done {
                None if js_sys::Date::now() - job.since > GPU_TIMEOUT_MS => {
                    let why = format!("no answer from the GPU within {} s", GPU_TIMEOUT_MS / 1000.0);
                    return self.fall_back(&why, rgba);
                }
                None => {
                    self.job = Some(job);
                    self.drawn = false;
                    return self.live;
                }
                Some(Err(e)) => return self.fall_back(&e.to_string(), rgba),
                Some(Ok((pos, st))) => {
                    if let Some(f) = &mut self.flow
                        && job.generation == self.generation
                        && f.accept(&pos, &st)
                    {
                        if job.system_epoch != self.system_epoch {
                            f.revive();
                        }
                        advanced = true;
                    }
                }
            }
        }
        self.submit(&gpu);
        if advanced {
            self.draw(rgba)
        } else {
            self.drawn = false;
            self.live
        }
    }

    /// Whether the last [`DenseFlow::frame`] changed the buffer (the page skips
    /// `putImageData` otherwise).
    pub fn drawn(&self) -> bool {
        self.drawn
    }

    /// `{particles, live, stopped, stopped_nonfinite, stopped_unstable, path, gpu_error,
    /// updates, error, text}` as JSON: `path` is `cpu`, `opening` or `gpu`; `gpu_error`
    /// whether the GPU path failed; `updates` counts the frames that advanced the particles;
    /// `text` is the status sentence the page shows.
    pub fn status(&self) -> String {
        let (live, nonfinite, unstable) = self.flow.as_ref().map_or((0, 0, 0), Flow::counts);
        let cpu = "CPU (WebAssembly, RK4 in f64 per particle)";
        let (path, place, failed) = match &*self.path.borrow() {
            Path::Cpu(why) => ("cpu", format!("on the {cpu} — not on the GPU: {why}"), false),
            Path::Opening => {
                ("opening", format!("on the {cpu} — not on the GPU: opening WebGPU on the page"), false)
            }
            Path::Gpu(g) => (
                "gpu",
                format!("on the GPU ({}{}, RK4 in f32 per particle)", g.describe(), self.adapter),
                false,
            ),
            Path::Failed(e) => ("cpu", format!("on the {cpu} — {e}"), true),
        };
        let total = live + nonfinite + unstable;
        let stopped = nonfinite + unstable;
        let text = if !self.error.is_empty() {
            format!("Particles: {}", self.error)
        } else if total == 0 {
            "Particles: none (particles=0 turns the animation off).".to_string()
        } else if stopped == 0 {
            format!(
                "Particles: {} advected by RK4 (sub-steps ≤ {H_MAX}) {place}. None stopped.",
                grouped(total)
            )
        } else {
            format!(
                "Particles: {} advected by RK4 (sub-steps ≤ {H_MAX}) {place}. {stopped} stopped ({nonfinite} NaN/overflow, {unstable} with an unstable step: stiff system or blow-up){}. A lower speed shrinks the step (each frame advances speed/60 in model time); Restart respawns them.",
                grouped(total),
                if live > 0 { format!("; the other {} keep running", grouped(live)) } else { String::new() }
            )
        };
        json!({
            "particles": total,
            "live": live,
            "stopped": stopped,
            "stopped_nonfinite": nonfinite,
            "stopped_unstable": unstable,
            "path": path,
            "gpu_error": failed,
            "updates": self.updates,
            "error": self.error,
            "text": text,
        })
        .to_string()
    }

    /// Respawn every particle.
    pub fn reset(&mut self) {
        if let Some(f) = &mut self.flow {
            f.reset();
            self.generation += 1;
        }
    }

    /// Destroy the particles' GPU device, as a driver reset would (the browser tests of
    /// the fallback to the CPU). Returns false when the GPU path is not running.
    pub fn debug_lose_gpu(&self) -> bool {
        match &*self.path.borrow() {
            Path::Gpu(g) => {
                g.destroy();
                true
            }
            _ => false,
        }
    }

    /// The particle positions `[x0, y0, x1, y1, …]` (tests and debugging).
    pub fn positions(&self) -> Vec<f32> {
        self.flow.as_ref().map(|f| f.positions().to_vec()).unwrap_or_default()
    }
}

impl DenseFlow {
    /// Fade the trails and stamp every particle (white moving, red stopped).
    fn draw(&mut self, rgba: &mut [u8]) -> u32 {
        let Some(f) = &self.flow else { return 0 };
        fade(rgba, KEEP);
        let status = f.status();
        let live = stamp(rgba, &self.raster, f.positions(), [255, 255, 255], |i| moving(status[i]));
        stamp(rgba, &self.raster, f.positions(), [230, 40, 40], |i| !moving(status[i]));
        self.drawn = true;
        self.live = live as u32;
        self.updates += 1;
        self.live
    }

    /// Submit the advection of the model time owed (nothing when none is owed).
    fn submit(&mut self, gpu: &Rc<Gpu>) {
        let Some(f) = &self.flow else { return };
        let plan = f.plan(self.owed, H_MAX);
        if plan.steps == 0 || f.status().is_empty() {
            return;
        }
        self.owed = 0.0;
        let result = Rc::new(RefCell::new(None));
        let out = Rc::clone(&result);
        let (gpu, sys) = (Rc::clone(gpu), f.system().clone());
        let (mut pos, mut st) = (f.positions().to_vec(), f.status().to_vec());
        wasm_bindgen_futures::spawn_local(async move {
            let r = advect_gpu(&gpu, &sys, &mut pos, &mut st, plan.h, plan.steps, plan.max_jump).await;
            *out.borrow_mut() = Some(r.map(|_| (pos, st)));
        });
        self.job = Some(Job {
            generation: self.generation,
            system_epoch: self.system_epoch,
            since: js_sys::Date::now(),
            result,
        });
    }

    /// Leave the GPU path for good after `why`, and advance this frame on the CPU.
    fn fall_back(&mut self, why: &str, rgba: &mut [u8]) -> u32 {
        *self.path.borrow_mut() =
            Path::Failed(format!("the GPU path stopped ({why}); the particles continue on the CPU"));
        self.job = None;
        let dt = std::mem::take(&mut self.owed);
        if let Some(f) = &mut self.flow {
            f.step(dt, H_MAX);
        }
        self.draw(rgba)
    }
}

/// A count with thousands separators (`20,000`).
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
