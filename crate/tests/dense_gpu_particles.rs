//! The dense lab's GPU particle kernel (`labs/dense/particles.wgsl` integrated by
//! `compute/gpu/advect.wgsl`, f32) against the CPU's `particles::advect` (RK4 in f64),
//! for every (dynamics, R, Lagrangian) combination, on whatever adapter wgpu finds
//! (lavapipe in CI). No adapter is a failure unless `HOPFIELD_ALLOW_NO_GPU=1`.
//!
//! Tolerance: after `S` RK4 steps of size `h` from the same f32 start, every coordinate
//! of a particle that is moving on both paths agrees to
//! `|gpu − cpu| ≤ 1e-5 · (1 + max|x|)`, `x` the particle's CPU position (measured worst
//! ratios are printed; they stay below 0.1 on lavapipe).
//! Statuses must be identical, except for particles whose CPU trajectory comes within a
//! relative 1e-3 of a decision threshold (`h·L` against 2.78, a step against `max_jump`)
//! or, for fields that jump across the ReLU kink (Λ enters F), within 1e-4 of the kink at
//! any RK4 stage: there f32 rounding may legitimately decide the other way. The tests
//! place their particles on lattices offset from the kinks and count those exclusions
//! (at most 2% of the particles).
#![cfg(not(target_arch = "wasm32"))]

use hopfield_playground::compute::gpu::Gpu;
use hopfield_playground::labs::dense::integrate::{RK4_STABLE, stiffness};
use hopfield_playground::labs::dense::lagrangian::Lagrangian;
use hopfield_playground::labs::dense::particles::{
    FIELD_WGSL, LIVE, STOPPED_NONFINITE, STOPPED_UNSTABLE, SUSPECT, advect, advect_gpu, moving,
};
use hopfield_playground::labs::dense::system::{Dynamics, RChoice, System, Work};
mod common;

fn gpu() -> Option<std::sync::Arc<Gpu>> {
    common::gpu("GPU particle tests")
}

/// A `k × k` lattice over `[lo, hi]²`, shifted off the axes (no coordinate is 0).
fn lattice(k: usize, lo: f32, hi: f32) -> Vec<f32> {
    let step = (hi - lo) / k as f32;
    (0..k * k)
        .flat_map(|i| [lo + (0.37 + (i % k) as f32) * step, lo + (0.61 + (i / k) as f32) * step])
        .collect()
}

/// True when the field of `sys` jumps across the ReLU kink (Λ multiplies the residual).
fn discontinuous(sys: &System) -> bool {
    sys.lag == Lagrangian::Relu
        && matches!(sys.dynamics, Dynamics::Mod | Dynamics::ModT | Dynamics::U(RChoice::IWtL))
}

/// Replays the CPU's steps for one particle in f64 and reports whether f32 rounding could
/// change a decision: a stiffness estimate or a jump within a relative 1e-3 of its limit,
/// or (for discontinuous fields) an RK4 stage within 1e-4 of the ReLU kink.
fn borderline(sys: &System, start: [f32; 2], status: u8, h: f64, steps: usize, max_jump: f64) -> bool {
    if !moving(status) {
        return false;
    }
    let mut work = Work::new(2);
    let mut f = |x: [f64; 2]| {
        let mut o = [0.0; 2];
        sys.rhs(&x, &mut o, &mut work);
        o
    };
    let near_kink = |x: [f64; 2]| discontinuous(sys) && sys.pre_activation(&x).iter().any(|v| v.abs() < 1e-4);
    let mut x = [f64::from(start[0]), f64::from(start[1])];
    let mut suspect = status == SUSPECT;
    for _ in 0..steps {
        let k1 = f(x);
        let s2 = [x[0] + 0.5 * h * k1[0], x[1] + 0.5 * h * k1[1]];
        let k2 = f(s2);
        let s3 = [x[0] + 0.5 * h * k2[0], x[1] + 0.5 * h * k2[1]];
        let k3 = f(s3);
        let s4 = [x[0] + h * k3[0], x[1] + h * k3[1]];
        let k4 = f(s4);
        if [x, s2, s3, s4].into_iter().any(near_kink) {
            return true;
        }
        let dx = h / 6.0 * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0]);
        let dy = h / 6.0 * (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1]);
        let next = [x[0] + dx, x[1] + dy];
        if !(next[0].is_finite() && next[1].is_finite()) {
            return false;
        }
        let hl = stiffness(&k1, &k2);
        let jump = dx.hypot(dy);
        if (hl / RK4_STABLE - 1.0).abs() < 1e-3 || (jump / max_jump - 1.0).abs() < 1e-3 {
            return true;
        }
        let stiff = hl > RK4_STABLE;
        if (stiff && suspect) || jump > max_jump {
            return false; // stopped on both paths from here on
        }
        suspect = stiff;
        x = next;
    }
    false
}

/// What one comparison found.
#[derive(Debug, Default)]
struct Report {
    particles: usize,
    excluded: usize,
    stopped_cpu: usize,
    stopped_gpu: usize,
    worst_ratio: f64,
}

/// `calls` calls of `steps` RK4 steps of size `h`; a step longer than `max_jump` stops.
#[derive(Debug, Clone, Copy)]
struct Plan {
    h: f64,
    steps: usize,
    calls: usize,
    max_jump: f64,
}

/// Run `plan` on both paths from the same start and compare.
fn compare(g: &Gpu, sys: &System, start: &[f32], plan: Plan, what: &str) -> Report {
    let Plan { h, steps, calls, max_jump } = plan;
    let n = start.len() / 2;
    let (mut pc, mut sc) = (start.to_vec(), vec![LIVE; n]);
    let (mut pg, mut sg) = (start.to_vec(), vec![LIVE; n]);
    let mut excluded = vec![false; n];
    for _ in 0..calls {
        for i in 0..n {
            excluded[i] |= borderline(sys, [pc[2 * i], pc[2 * i + 1]], sc[i], h, steps, max_jump);
        }
        advect(sys, &mut pc, &mut sc, h, steps, max_jump);
        pollster::block_on(advect_gpu(g, sys, &mut pg, &mut sg, h, steps, max_jump)).expect("gpu advect");
    }
    let mut r = Report { particles: n, ..Report::default() };
    for i in 0..n {
        r.stopped_cpu += usize::from(!moving(sc[i]));
        r.stopped_gpu += usize::from(!moving(sg[i]));
        if excluded[i] {
            r.excluded += 1;
            continue;
        }
        assert_eq!(
            sc[i],
            sg[i],
            "{what}: particle {i} from ({}, {}): status cpu {} gpu {}",
            start[2 * i],
            start[2 * i + 1],
            sc[i],
            sg[i]
        );
        let scale = 1.0 + f64::from(pc[2 * i].abs().max(pc[2 * i + 1].abs()));
        for c in 0..2 {
            let (a, b) = (f64::from(pc[2 * i + c]), f64::from(pg[2 * i + c]));
            let ratio = (a - b).abs() / (1e-5 * scale);
            assert!(
                ratio <= 1.0,
                "{what}: particle {i} from ({}, {}): cpu ({}, {}) gpu ({}, {}), status {}",
                start[2 * i],
                start[2 * i + 1],
                pc[2 * i],
                pc[2 * i + 1],
                pg[2 * i],
                pg[2 * i + 1],
                sc[i]
            );
            r.worst_ratio = r.worst_ratio.max(ratio);
        }
    }
    r
}

#[test]
fn gpu_particles_match_the_cpu_for_every_dynamics_and_lagrangian() {
    let Some(gpu) = gpu() else { return };
    let g = &*gpu;
    // Figure 1's symmetric W, and a non-symmetric, non-singular one.
    let systems: [(&str, [f64; 4], [f64; 2]); 2] = [
        ("figure 1", [0.0, -2.0, -2.0, 0.0], [1.0, 1.0]),
        ("non-symmetric", [0.8, -1.3, 0.9, 0.4], [0.2, -0.4]),
    ];
    let start = lattice(24, -3.0, 3.0);
    let mut worst: f64 = 0.0;
    let mut excluded = 0;
    for (name, w, b) in systems {
        for lag in Lagrangian::ALL {
            for dynamics in Dynamics::ALL {
                let sys = System::new(2, w.to_vec(), b.to_vec(), lag, dynamics).expect("valid system");
                let what = format!("{name}, {lag:?}, {dynamics:?}");
                // Three frames of the page's default plan: 1/60 in model time, one sub-step,
                // max jump half the view; then four frames of five smaller sub-steps.
                let r1 = compare(
                    g,
                    &sys,
                    &start,
                    Plan { h: 1.0 / 60.0, steps: 1, calls: 3, max_jump: 3.0 },
                    &what,
                );
                let r2 =
                    compare(g, &sys, &start, Plan { h: 0.004, steps: 5, calls: 4, max_jump: 3.0 }, &what);
                for r in [&r1, &r2] {
                    assert!(r.excluded * 50 <= r.particles, "{what}: {r:?}");
                    worst = worst.max(r.worst_ratio);
                    excluded += r.excluded;
                }
            }
        }
    }
    eprintln!(
        "worst |gpu − cpu| / (1e-5·(1 + |x|)) = {worst:.3}; {excluded} borderline particle runs excluded"
    );
}

#[test]
fn a_stiff_system_stops_particles_on_both_paths() {
    let Some(gpu) = gpu() else { return };
    let g = &*gpu;
    let start = lattice(30, -3.0, 3.0);
    // The page's preset "Stiff: huge W": W = −400 I with tanh. Near the axes h·L ≈ 400 h;
    // away from them the field is ≈ ∓400 and a frame's step jumps past half the view.
    let huge = System::new(2, vec![-400.0, 0.0, 0.0, -400.0], vec![0.0, 0.0], Lagrangian::Tanh, Dynamics::Kh)
        .expect("valid");
    let r =
        compare(g, &huge, &start, Plan { h: 1.0 / 60.0, steps: 1, calls: 3, max_jump: 3.0 }, "W = -400 I");
    eprintln!("W = −400 I: {r:?}");
    assert!(r.stopped_cpu * 10 >= r.particles * 9 && r.stopped_gpu * 10 >= r.particles * 9, "{r:?}");
    // W₁₁ = −60 with tanh: h·L ≈ 0.05·(60 sech² y₁ + 1) exceeds 2.78 near y₁ = 0, and the
    // flow (≈ ∓60 further out) brings every particle there; after two frames of one step
    // some have taken two stiff steps (stopped), most one (marked, still moving).
    let band = System::new(2, vec![-60.0, 0.0, 0.0, 0.5], vec![0.0, 0.1], Lagrangian::Tanh, Dynamics::Kh)
        .expect("valid");
    let r = compare(g, &band, &start, Plan { h: 0.05, steps: 1, calls: 2, max_jump: 10.0 }, "W11 = -60");
    eprintln!("W₁₁ = −60: {r:?}");
    assert!(r.stopped_cpu > r.particles / 10 && r.stopped_cpu < r.particles * 9 / 10, "{r:?}");
    // One stiff step only marks a particle; a second stops it: the same on both paths.
    let mut pos = vec![0.05f32, 1.0];
    let (mut sc, mut sg) = (vec![LIVE], vec![LIVE]);
    let mut pg = pos.clone();
    advect(&band, &mut pos, &mut sc, 0.05, 1, 10.0);
    pollster::block_on(advect_gpu(g, &band, &mut pg, &mut sg, 0.05, 1, 10.0)).expect("gpu");
    assert_eq!((sc[0], sg[0]), (SUSPECT, SUSPECT));
    advect(&band, &mut pos, &mut sc, 0.05, 1, 10.0);
    pollster::block_on(advect_gpu(g, &band, &mut pg, &mut sg, 0.05, 1, 10.0)).expect("gpu");
    assert_eq!((sc[0], sg[0]), (STOPPED_UNSTABLE, STOPPED_UNSTABLE));
}

#[test]
fn overflow_and_nan_stop_particles_on_both_paths() {
    let Some(gpu) = gpu() else { return };
    let g = &*gpu;
    // W = 1e30: f32 overflows inside the first step (non-finite); f64 sees a step far
    // longer than max_jump (unstable). Both stop every particle and keep its start.
    let sys = System::new(2, vec![1e30, 0.0, 0.0, 1e30], vec![0.0, 0.0], Lagrangian::Identity, Dynamics::Kh)
        .expect("valid");
    let start = lattice(8, -2.0, 2.0);
    let (mut pc, mut sc) = (start.clone(), vec![LIVE; 64]);
    let (mut pg, mut sg) = (start.clone(), vec![LIVE; 64]);
    let cpu = advect(&sys, &mut pc, &mut sc, 0.01, 3, 3.0);
    let gpu = pollster::block_on(advect_gpu(g, &sys, &mut pg, &mut sg, 0.01, 3, 3.0)).expect("gpu");
    assert_eq!(cpu.unstable + cpu.nonfinite, 64);
    assert_eq!(gpu.unstable + gpu.nonfinite, 64);
    assert!(sg.iter().all(|&s| s == STOPPED_NONFINITE), "{sg:?}");
    assert_eq!((pc.clone(), pg.clone()), (start.clone(), start));
    // A NaN position stops at once; the other particle is unaffected; stopped ones stay put.
    let fig1 = System::new(2, vec![0.0, -2.0, -2.0, 0.0], vec![1.0, 1.0], Lagrangian::Relu, Dynamics::Kh)
        .expect("valid");
    let mut pg = vec![f32::NAN, 0.0, 0.5, 0.5, 1.0, 1.0];
    let mut sg = vec![LIVE, LIVE, STOPPED_UNSTABLE];
    let s = pollster::block_on(advect_gpu(g, &fig1, &mut pg, &mut sg, 0.01, 3, 10.0)).expect("gpu");
    assert_eq!((s.nonfinite, s.unstable), (1, 0));
    assert_eq!(sg, vec![STOPPED_NONFINITE, LIVE, STOPPED_UNSTABLE]);
    assert!(pg[2] != 0.5 && pg[4..] == [1.0, 1.0], "{pg:?}");
}

#[test]
fn wgsl_erf_is_within_its_stated_error() {
    let Some(gpu) = gpu() else { return };
    let g = &*gpu;
    // A field that reads out erf: F(x) = (0, erf(x₁)) is constant along a step, so one RK4
    // step of size 1 from (x₁, 0) lands on (x₁, erf(x₁)) up to the rounding of the RK4 sum.
    let source = format!(
        "const DYNAMICS: u32 = 0u;\nconst LAG: u32 = 4u;\n{}\nfn field(x: vec2<f32>) -> vec2<f32> {{ return vec2<f32>(0.0, erf1(x.x)); }}",
        FIELD_WGSL.replace("fn field(", "fn dense_field(")
    );
    let xs: Vec<f32> = (0..=4000).map(|k| -8.0 + k as f32 * 0.004).collect();
    let pos: Vec<f32> = xs.iter().flat_map(|&x| [x, 0.0]).collect();
    let params = hopfield_playground::compute::gpu::advect::AdvectParams {
        dt: 1.0,
        steps: 1,
        max_jump: 1e9,
        far: 1e30,
        stiff_limit: 1e30,
    };
    let (out, st) =
        pollster::block_on(g.advect_particles(&source, &[0.0], &pos, &vec![0; xs.len()], &params))
            .expect("gpu");
    assert!(st.iter().all(|&s| s == 0));
    let worst = xs
        .iter()
        .enumerate()
        .map(|(i, &x)| (f64::from(out[2 * i + 1]) - libm::erf(f64::from(x))).abs())
        .fold(0.0, f64::max);
    eprintln!("WGSL erf: worst |error| {worst:.2e} over [−8, 8] (A&S 7.1.26: 1.5e-7 in exact arithmetic)");
    // The rest is f32: 1 − poly·e^{−x²} cancels near |x| ≈ 0.2 and the GPU's exp is a few
    // ulps off; the readout adds the rounding of the RK4 sum.
    assert!(worst <= 6e-7, "{worst}");
}
