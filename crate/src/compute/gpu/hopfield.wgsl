// One synchronous step of many Hopfield states at once, with per-state convergence
// and 2-cycle detection. The field H = S·Wᵀ (or the kernel field) is computed by the
// matrix kernels before this runs; here each workgroup owns one state row:
//
//   s_new = sign(h)  (sign(0) = +1)
//   unchanged (s_new == s)          → status 1 (fixed point), state kept
//   s_new == previous state (≠ s)   → state updated, status 2 (2-cycle)
//   otherwise                       → previous ← s, s ← s_new
//
// Rows whose status is already non-zero are left alone, so a whole run of steps can
// be recorded in one command buffer and read back once. steps[row] counts the
// evaluations of a running row (the one that confirms a fixed point included).

struct Params {
    rows: u32,
    cols: u32,
    groups_x: u32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read> H: array<f32>;
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> Sprev: array<f32>;
@group(0) @binding(3) var<storage, read_write> St: array<u32>; // [2r] status, [2r+1] steps
@group(0) @binding(4) var<uniform> P: Params;

var<workgroup> wg_status: u32;
var<workgroup> diff_cur: atomic<u32>;
var<workgroup> diff_prev: atomic<u32>;

fn sgn(h: f32) -> f32 { return select(-1.0, 1.0, h >= 0.0); }

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let row = wid.x + wid.y * P.groups_x;
    if (row >= P.rows) { return; }
    if (lid.x == 0u) {
        wg_status = St[2u * row];
        atomicStore(&diff_cur, 0u);
        atomicStore(&diff_prev, 0u);
    }
    let status = workgroupUniformLoad(&wg_status);
    if (status != 0u) { return; }
    let base = row * P.cols;
    var dc = 0u;
    var dp = 0u;
    for (var i = lid.x; i < P.cols; i += 256u) {
        let s = sgn(H[base + i]);
        if (s != S[base + i]) { dc = 1u; }
        if (s != Sprev[base + i]) { dp = 1u; }
    }
    if (dc != 0u) { atomicOr(&diff_cur, 1u); }
    if (dp != 0u) { atomicOr(&diff_prev, 1u); }
    workgroupBarrier();
    let changed = atomicLoad(&diff_cur) != 0u;
    let cycle = atomicLoad(&diff_prev) == 0u;
    if (changed) {
        for (var i = lid.x; i < P.cols; i += 256u) {
            Sprev[base + i] = S[base + i];
            S[base + i] = sgn(H[base + i]);
        }
    }
    if (lid.x == 0u) {
        St[2u * row + 1u] = St[2u * row + 1u] + 1u;
        if (!changed) {
            St[2u * row] = 1u;
        } else if (cycle) {
            St[2u * row] = 2u;
        }
    }
}
