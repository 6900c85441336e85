// Batched RK4 advection of planar particles (see advect.rs): one invocation per particle,
// `steps` classical RK4 steps of size `dt` of the vector field `field(x)` that the
// caller's WGSL source defines (appended below this file; it may read its parameters
// from `fp`). The stop rules of the CPU implementation, in f32:
//
//   the new state is not finite                               → status 1, stop
//   h·L > stiff on this step and on the one before (the first
//   marks status 3), a step longer than max_jump, or a
//   coordinate past far                                       → status 2, stop
//
// with h·L = 2‖k₂ − k₁‖/‖k₁‖ (0 where k₁ = 0). A stopped particle keeps the position from
// before its failing step; particles with status 1 or 2 are left alone.

struct Advect {
    count: u32,
    steps: u32,
    groups_x: u32,
    _pad: u32,
    dt: f32,
    max_jump: f32,
    far: f32,
    stiff: f32,
}

@group(0) @binding(0) var<storage, read_write> pos: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> status: array<u32>;
@group(0) @binding(2) var<storage, read> fp: array<f32>;
@group(0) @binding(3) var<uniform> adv: Advect;

// WGSL lets a compiler assume that arithmetic never meets NaN or infinity, so `v != v`
// may be folded away: test the exponent bits instead.
fn finite2(v: vec2<f32>) -> bool {
    let e = bitcast<vec2<u32>>(v) & vec2<u32>(0x7f800000u);
    return all(e != vec2<u32>(0x7f800000u));
}

// ‖v‖ without overflow or underflow of the squares.
fn norm2(v: vec2<f32>) -> f32 {
    let m = max(abs(v.x), abs(v.y));
    if !(m > 0.0) {
        return 0.0;
    }
    return m * length(v / m);
}

@compute @workgroup_size(64)
fn advect(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.y * adv.groups_x * 64u + gid.x;
    if i >= adv.count {
        return;
    }
    var st = status[i];
    if st != 0u && st != 3u {
        return;
    }
    var x = pos[i];
    let h = adv.dt;
    for (var s = 0u; s < adv.steps; s++) {
        let k1 = field(x);
        let k2 = field(x + 0.5 * h * k1);
        let k3 = field(x + 0.5 * h * k2);
        let k4 = field(x + h * k3);
        let dx = h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        let next = x + dx;
        if !finite2(next) {
            st = 1u;
            break;
        }
        let n1 = norm2(k1);
        var hl = 0.0;
        if n1 > 0.0 {
            hl = 2.0 * norm2(k2 - k1) / n1;
        }
        let stiff = hl > adv.stiff;
        if (stiff && st == 3u) || norm2(dx) > adv.max_jump || max(abs(next.x), abs(next.y)) > adv.far {
            st = 2u;
            break;
        }
        st = select(0u, 3u, stiff);
        x = next;
    }
    pos[i] = x;
    status[i] = st;
}

// ---- the caller's field follows ----
