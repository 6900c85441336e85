//! The animated phase portrait: many particles advected by the planar flow at once.
//!
//! [`advect`] is the batched step — a plain function over a flat `f32` buffer
//! `[x0, y0, x1, y1, …]`: classical RK4 in f64 per particle on the CPU (WebAssembly in
//! the page). [`advect_gpu`] is the same operation on the GPU: the field of
//! `particles.wgsl` (this folder) integrated in f32 by the compute layer's generic RK4
//! particle kernel ([`Gpu::advect_particles`]), with the same stop rules and status codes.
//! A particle whose step turns non-finite (NaN from a Lagrangian, overflow from a huge
//! W), is outside RK4's stability region on two consecutive steps (`h·L > 2.78` with the
//! local Lipschitz estimate of [`integrate::stiffness`]: a stiff system; one such step is
//! tolerated, as crossing the jump of a discontinuous field looks the same) or jumps
//! implausibly far (blow-up) is *stopped*: it keeps its last position and status, and the
//! others go on.
//!
//! [`Flow`] adds the life cycle: seeded uniform spawning over the view, respawning of
//! particles that leave the view or reach their age limit (ages are staggered so the
//! picture never pulses). [`Flow::step`] advects on the CPU; [`Flow::plan`] and
//! [`Flow::accept`] let the caller advect elsewhere (the GPU) in between.

use super::integrate::{self, RK4_STABLE};
use super::lagrangian::Lagrangian;
use super::system::{Dynamics, RChoice, System, Work};
use crate::compute::gpu::advect::{AdvectParams, code};
use crate::compute::gpu::{Gpu, GpuError};
use crate::rng::{Rng, seeded, uniform};

/// Particle status: moving.
pub const LIVE: u8 = 0;
/// Stopped: the state or the velocity became NaN or infinite.
pub const STOPPED_NONFINITE: u8 = 1;
/// Stopped: the step was outside RK4's stability region (stiff system) or moved farther than allowed (blow-up).
pub const STOPPED_UNSTABLE: u8 = 2;

/// Moving, but its last step looked unstable (a second one in a row stops it).
pub const SUSPECT: u8 = 3;

// The GPU kernel reports the same codes.
const _: () = assert!(
    LIVE as u32 == code::MOVING
        && STOPPED_NONFINITE as u32 == code::NONFINITE
        && STOPPED_UNSTABLE as u32 == code::UNSTABLE
        && SUSPECT as u32 == code::SUSPECT
);

/// True for a particle that still moves.
pub fn moving(status: u8) -> bool {
    status == LIVE || status == SUSPECT
}

/// The RNG stream of particle spawning.
pub const PARTICLE_STREAM: u64 = 50;

/// Particles stopped by one call of [`advect`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stopped {
    pub nonfinite: usize,
    pub unstable: usize,
}

/// Advance every moving particle (see [`moving`]) of the planar `sys` by `steps` RK4
/// steps of size `dt`. A step that yields a non-finite state stops the particle with
/// [`STOPPED_NONFINITE`]; a second consecutive step with `h·L >` [`RK4_STABLE`] (the first
/// marks it [`SUSPECT`]), or a step that moves it farther than `max_jump` (or past
/// `1e6·max_jump` from the origin), stops it with [`STOPPED_UNSTABLE`].
pub fn advect(
    sys: &System,
    positions: &mut [f32],
    status: &mut [u8],
    dt: f64,
    steps: usize,
    max_jump: f64,
) -> Stopped {
    let mut work = Work::new(2);
    let mut stopped = Stopped::default();
    let f = |x: [f64; 2], work: &mut Work| {
        let mut o = [0.0; 2];
        sys.rhs(&x, &mut o, work);
        o
    };
    for (p, st) in positions.chunks_exact_mut(2).zip(status.iter_mut()) {
        if !moving(*st) {
            continue;
        }
        let mut x = [f64::from(p[0]), f64::from(p[1])];
        for _ in 0..steps {
            let k1 = f(x, &mut work);
            let k2 = f([x[0] + 0.5 * dt * k1[0], x[1] + 0.5 * dt * k1[1]], &mut work);
            let k3 = f([x[0] + 0.5 * dt * k2[0], x[1] + 0.5 * dt * k2[1]], &mut work);
            let k4 = f([x[0] + dt * k3[0], x[1] + dt * k3[1]], &mut work);
            let dx = dt / 6.0 * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0]);
            let dy = dt / 6.0 * (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1]);
            let next = [x[0] + dx, x[1] + dy];
            if !(next[0].is_finite() && next[1].is_finite()) {
                *st = STOPPED_NONFINITE;
                stopped.nonfinite += 1;
                break;
            }
            let stiff = integrate::stiffness(&k1, &k2) > RK4_STABLE;
            if (stiff && *st == SUSPECT)
                || dx.hypot(dy) > max_jump
                || next[0].abs().max(next[1].abs()) > 1e6 * max_jump
            {
                *st = STOPPED_UNSTABLE;
                stopped.unstable += 1;
                break;
            }
            *st = if stiff { SUSPECT } else { LIVE };
            x = next;
        }
        p[0] = x[0] as f32;
        p[1] = x[1] as f32;
    }
    stopped
}

/// The planar field `F(x)` of every (dynamics, R, Lagrangian) as WGSL, for the GPU
/// particle kernel (`compute/gpu/advect.wgsl` integrates it). It expects the constants
/// `DYNAMICS` and `LAG` in front of it ([`field_source`]) and reads [`field_params`].
pub const FIELD_WGSL: &str = include_str!("particles.wgsl");

/// The WGSL field of `sys`: [`FIELD_WGSL`] specialised to its dynamics and Lagrangian.
pub fn field_source(sys: &System) -> String {
    let dynamics = match sys.dynamics {
        Dynamics::Kh => 0,
        Dynamics::Mod => 1,
        Dynamics::ModT => 2,
        Dynamics::U(RChoice::W) => 3,
        Dynamics::U(RChoice::Polar) => 4,
        Dynamics::U(RChoice::IWtL) => 5,
        Dynamics::U(RChoice::I) => 6,
    };
    let lag = match sys.lag {
        Lagrangian::Relu => 0,
        Lagrangian::Sigmoid => 1,
        Lagrangian::Softmax => 2,
        Lagrangian::Tanh => 3,
        Lagrangian::SmoothLeaky => 4,
        Lagrangian::Identity => 5,
    };
    format!("const DYNAMICS: u32 = {dynamics}u;\nconst LAG: u32 = {lag}u;\n{FIELD_WGSL}")
}

/// The parameters of [`field_source`] for the planar `sys`: W, b and the polar factor
/// (layout in `particles.wgsl`).
pub fn field_params(sys: &System) -> Vec<f32> {
    let mut p = vec![0.0f32; 10];
    for (dst, src) in p[0..4].iter_mut().zip(&sys.w) {
        *dst = *src as f32;
    }
    for (dst, src) in p[4..6].iter_mut().zip(&sys.b) {
        *dst = *src as f32;
    }
    for (dst, src) in p[6..10].iter_mut().zip(sys.polar()) {
        *dst = *src as f32;
    }
    p
}

/// [`advect`] on the GPU: the same RK4 steps and stop rules in f32 (one dispatch for all
/// particles and steps, one readback). Positions agree with the f64 CPU path to the
/// tolerance stated in `tests/dense_gpu_particles.rs`; a particle whose f32 state
/// overflows (|F| ≳ 1e38) stops as non-finite where f64 may still see a long jump.
pub async fn advect_gpu(
    gpu: &Gpu,
    sys: &System,
    positions: &mut [f32],
    status: &mut [u8],
    dt: f64,
    steps: usize,
    max_jump: f64,
) -> Result<Stopped, GpuError> {
    if sys.n != 2 {
        return Err(GpuError::Failed(format!("particles need a planar system, not N = {}", sys.n)));
    }
    let n = status.len().min(positions.len() / 2);
    let before: Vec<u32> = status[..n].iter().map(|&s| u32::from(s)).collect();
    let params = AdvectParams {
        dt: dt as f32,
        steps: u32::try_from(steps).unwrap_or(u32::MAX),
        max_jump: max_jump as f32,
        far: (1e6 * max_jump) as f32,
        stiff_limit: RK4_STABLE as f32,
    };
    let (pos, after) = gpu
        .advect_particles(&field_source(sys), &field_params(sys), &positions[..2 * n], &before, &params)
        .await?;
    let mut stopped = Stopped::default();
    for (i, (&b, &a)) in before.iter().zip(&after).enumerate() {
        let a = match a {
            code::MOVING => LIVE,
            code::NONFINITE => STOPPED_NONFINITE,
            code::SUSPECT => SUSPECT,
            _ => STOPPED_UNSTABLE,
        };
        if moving(b as u8) && !moving(a) {
            if a == STOPPED_NONFINITE {
                stopped.nonfinite += 1;
            } else {
                stopped.unstable += 1;
            }
        }
        status[i] = a;
    }
    positions[..2 * n].copy_from_slice(&pos);
    Ok(stopped)
}

/// The integration of one frame of a [`Flow`]: `steps` RK4 steps of size `h`; a step
/// longer than `max_jump` stops a particle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub h: f64,
    pub steps: usize,
    pub max_jump: f64,
}

/// A population of particles over a view of the plane.
#[derive(Debug, Clone)]
pub struct Flow {
    sys: System,
    extent: [f64; 4],
    positions: Vec<f32>,
    status: Vec<u8>,
    age: Vec<u32>,
    lifetime: u32,
    rng: Rng,
}

impl Flow {
    /// `count` particles spawned uniformly over `extent = [x_min, x_max, y_min, y_max]`
    /// from the particle stream of `seed`, with staggered ages below `lifetime` frames.
    pub fn new(sys: System, extent: [f64; 4], count: usize, seed: u64, lifetime: u32) -> Self {
        let mut flow = Self {
            sys,
            extent,
            positions: Vec::new(),
            status: Vec::new(),
            age: Vec::new(),
            lifetime: lifetime.max(2),
            rng: seeded(seed, PARTICLE_STREAM),
        };
        flow.set_count(count);
        flow
    }

    fn spawn(&mut self, i: usize) {
        let [x0, x1, y0, y1] = self.extent;
        self.positions[2 * i] = (x0 + uniform(&mut self.rng) * (x1 - x0)) as f32;
        self.positions[2 * i + 1] = (y0 + uniform(&mut self.rng) * (y1 - y0)) as f32;
        self.status[i] = LIVE;
        self.age[i] = 0;
    }

    /// Grow or shrink the population (new particles spawn with staggered ages).
    pub fn set_count(&mut self, count: usize) {
        let old = self.status.len();
        self.positions.resize(2 * count, 0.0);
        self.status.resize(count, LIVE);
        self.age.resize(count, 0);
        for i in old..count {
            self.spawn(i);
            self.age[i] = (uniform(&mut self.rng) * f64::from(self.lifetime)) as u32;
        }
    }

    /// Change the system (particles keep their places; stopped ones start again).
    pub fn set_system(&mut self, sys: System) {
        self.sys = sys;
        self.revive();
    }

    /// Let every stopped particle move again.
    pub fn revive(&mut self) {
        self.status.iter_mut().for_each(|s| *s = LIVE);
    }

    /// Change the view; particles outside it respawn at the next step.
    pub fn set_extent(&mut self, extent: [f64; 4]) {
        self.extent = extent;
    }

    /// Respawn every particle.
    pub fn reset(&mut self) {
        for i in 0..self.status.len() {
            self.spawn(i);
            self.age[i] = (uniform(&mut self.rng) * f64::from(self.lifetime)) as u32;
        }
    }

    pub fn system(&self) -> &System {
        &self.sys
    }

    pub fn extent(&self) -> [f64; 4] {
        self.extent
    }

    pub fn positions(&self) -> &[f32] {
        &self.positions
    }

    pub fn status(&self) -> &[u8] {
        &self.status
    }

    /// (live, stopped non-finite, stopped unstable) particles now.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for &s in &self.status {
            match s {
                LIVE | SUSPECT => c.0 += 1,
                STOPPED_NONFINITE => c.1 += 1,
                _ => c.2 += 1,
            }
        }
        c
    }

    /// How [`Flow::step`] integrates model time `dt`: RK4 sub-steps of at most `h_max`
    /// (at most 64; none when `dt ≤ 0`), jumps longer than half the view stop a particle.
    pub fn plan(&self, dt: f64, h_max: f64) -> Plan {
        let [x0, x1, y0, y1] = self.extent;
        let span = (x1 - x0).max(y1 - y0);
        let steps = if dt > 0.0 && h_max > 0.0 { ((dt / h_max).ceil() as usize).clamp(1, 64) } else { 0 };
        Plan { h: if steps > 0 { dt / steps as f64 } else { 0.0 }, steps, max_jump: 0.5 * span }
    }

    /// Advance the flow by model time `dt` on the CPU ([`advect`] with [`Flow::plan`]),
    /// then respawn live particles that left the view or reached their age limit.
    pub fn step(&mut self, dt: f64, h_max: f64) -> Stopped {
        let plan = self.plan(dt, h_max);
        let stopped = if plan.steps > 0 {
            advect(&self.sys, &mut self.positions, &mut self.status, plan.h, plan.steps, plan.max_jump)
        } else {
            Stopped::default()
        };
        self.age_and_respawn();
        stopped
    }

    /// Take positions and statuses advanced elsewhere (the GPU, from this flow's
    /// [`Flow::positions`] and [`Flow::status`] by a [`Flow::plan`]), then age and respawn
    /// as [`Flow::step`] does. Returns false, changing nothing, when the sizes do not
    /// match the population.
    pub fn accept(&mut self, positions: &[f32], status: &[u8]) -> bool {
        if positions.len() != self.positions.len() || status.len() != self.status.len() {
            return false;
        }
        self.positions.copy_from_slice(positions);
        self.status.copy_from_slice(status);
        self.age_and_respawn();
        true
    }

    fn age_and_respawn(&mut self) {
        let [x0, x1, y0, y1] = self.extent;
        for i in 0..self.status.len() {
            if !moving(self.status[i]) {
                continue;
            }
            self.age[i] += 1;
            let (x, y) = (f64::from(self.positions[2 * i]), f64::from(self.positions[2 * i + 1]));
            if self.age[i] >= self.lifetime || x < x0 || x > x1 || y < y0 || y > y1 {
                self.spawn(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lagrangian::Lagrangian;
    use super::super::system::Dynamics;
    use super::*;

    fn figure1() -> System {
        System::new(2, vec![0.0, -2.0, -2.0, 0.0], vec![1.0, 1.0], Lagrangian::Relu, Dynamics::Kh)
            .expect("valid")
    }

    #[test]
    fn advect_matches_the_rk4_integrator() {
        use super::super::integrate::{Limits, Method, integrate};
        let s = figure1();
        let mut pos = [0.7f32, 2.1, -1.3, 0.4];
        let mut st = [LIVE; 2];
        advect(&s, &mut pos, &mut st, 0.01, 100, 10.0);
        for (k, start) in [[0.7f32, 2.1], [-1.3, 0.4]].iter().enumerate() {
            let mut end = [0.0; 2];
            let mut work = Work::new(2);
            integrate(
                &mut |x, o| s.rhs(x, o, &mut work),
                &[f64::from(start[0]), f64::from(start[1])],
                1.0,
                Method::Rk4 { dt: 0.01 },
                &Limits::default(),
                &mut |_, x| end.copy_from_slice(x),
            );
            assert!((f64::from(pos[2 * k]) - end[0]).abs() < 1e-6);
            assert!((f64::from(pos[2 * k + 1]) - end[1]).abs() < 1e-6);
        }
    }

    #[test]
    fn bad_particles_stop_and_the_rest_keep_running() {
        // A stiff system: only particles far from the fixed point take unstable steps.
        let s = System::new(2, vec![-800.0, 0.0, 0.0, 0.0], vec![0.0, 0.0], Lagrangian::Tanh, Dynamics::Kh)
            .expect("valid");
        let mut pos = vec![0.0f32, 1.0, 0.01, 1.0, -0.01, -2.0];
        let mut st = vec![LIVE; 3];
        let stopped = advect(&s, &mut pos, &mut st, 0.02, 5, 1.0);
        assert_eq!(stopped.unstable + stopped.nonfinite, 2, "{st:?}");
        assert_eq!(st[0], LIVE, "the particle on y1 = 0 is unaffected");
        // A single large estimate (a jump of a discontinuous field) only marks a particle.
        let mut st = vec![LIVE; 3];
        let mut pos = vec![0.0f32, 1.0, 0.01, 1.0, -0.01, -2.0];
        advect(&s, &mut pos, &mut st, 0.02, 1, 1.0);
        assert_eq!(st, vec![LIVE, SUSPECT, SUSPECT]);
        assert!(pos.iter().all(|v| v.is_finite()));
        // NaN positions stop at once.
        let mut pos = vec![f32::NAN, 0.0, 0.5, 0.5];
        let mut st = vec![LIVE; 2];
        let stopped = advect(&figure1(), &mut pos, &mut st, 0.01, 3, 10.0);
        assert_eq!((stopped.nonfinite, st[1]), (1, LIVE));
    }

    #[test]
    fn advecting_elsewhere_and_accepting_is_the_same_as_a_step() {
        let mut a = Flow::new(figure1(), [-3.0, 3.0, -3.0, 3.0], 300, 7, 20);
        let mut b = a.clone();
        for _ in 0..50 {
            a.step(1.0 / 60.0, 0.02);
            let plan = b.plan(1.0 / 60.0, 0.02);
            assert_eq!((plan.steps, plan.max_jump), (1, 3.0));
            let (mut pos, mut st) = (b.positions().to_vec(), b.status().to_vec());
            advect(b.system(), &mut pos, &mut st, plan.h, plan.steps, plan.max_jump);
            assert!(b.accept(&pos, &st));
        }
        assert_eq!(a.positions(), b.positions());
        assert!(!b.accept(&[0.0; 2], &[LIVE]), "a result for another population is refused");
        assert_eq!(b.plan(0.0, 0.02).steps, 0);
        assert_eq!(b.plan(10.0, 0.02).steps, 64);
    }

    #[test]
    fn flow_is_seeded_and_keeps_particles_in_view() {
        let mut a = Flow::new(figure1(), [-3.0, 3.0, -3.0, 3.0], 500, 42, 600);
        let b = Flow::new(figure1(), [-3.0, 3.0, -3.0, 3.0], 500, 42, 600);
        assert_eq!(a.positions(), b.positions());
        for _ in 0..200 {
            a.step(1.0 / 60.0, 0.02);
        }
        assert!(a.positions().chunks(2).all(|p| p[0].abs() <= 3.0 && p[1].abs() <= 3.0));
        assert_eq!(a.counts(), (500, 0, 0));
        // Many particles sit near the two memories (−1, 1) and (1, −1).
        let near = a
            .positions()
            .chunks(2)
            .filter(|p| ((p[0] + 1.0).hypot(p[1] - 1.0) < 0.1) || ((p[0] - 1.0).hypot(p[1] + 1.0) < 0.1))
            .count();
        assert!(near > 50, "{near}");
        a.set_count(10);
        assert_eq!(a.positions().len(), 20);
    }
}
