// Soft k-means (Jaffe, Algorithm 1) pieces that are not matrix products:
// the row softmax of −D/τ and the centre normalisation with the convergence test.
// The squared distances D² (m×k) and the weighted sums Aᵀ[W | 1] (k×(d+1)) come
// from the tiled matrix kernel.

struct Params {
    m: u32,          // points
    k: u32,          // centres
    d: u32,          // dimensions
    groups_x: u32,
    inv_tau: f32,
    eps: f32,
    _pad0: u32,
    _pad1: u32,
}

// softmax: X = D² (m×k), Z = A (m×k). normalise: X = Aᵀ[W|1] (k×(d+1)), Z = C (k×d).
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Z: array<f32>;
// [0] done flag, [1] iterations, [2] bits of the last ‖C⁺ − C‖ (f32)
@group(0) @binding(2) var<storage, read_write> St: array<u32>;
@group(0) @binding(3) var<uniform> P: Params;

// A_ij = softmax_j(−‖w_i − c_j‖ / τ) (Euclidean distance, not squared: eq. 2.5).
@compute @workgroup_size(256)
fn softmax(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * P.groups_x * 256u;
    if (i >= P.m) { return; }
    let base = i * P.k;
    var best = -3.4e38;
    for (var j = 0u; j < P.k; j++) { best = max(best, -sqrt(max(X[base + j], 0.0)) * P.inv_tau); }
    var total = 0.0;
    for (var j = 0u; j < P.k; j++) {
        let e = exp(-sqrt(max(X[base + j], 0.0)) * P.inv_tau - best);
        Z[base + j] = e;
        total += e;
    }
    for (var j = 0u; j < P.k; j++) { Z[base + j] = Z[base + j] / total; }
}

var<workgroup> partial: array<f32, 256>;
var<workgroup> wg_done: u32;

// C⁺ = diag(Aᵀ1)⁻¹ AᵀW (a centre with no mass keeps its place); stop once ‖C⁺ − C‖_F < ε. One workgroup does it all (k·d is small).
// After convergence C is frozen, so extra iterations recorded in the same command
// buffer change nothing.
@compute @workgroup_size(256)
fn normalise(@builtin(local_invocation_id) lid: vec3<u32>) {
    if (lid.x == 0u) { wg_done = St[0]; }
    let done = workgroupUniformLoad(&wg_done);
    if (done != 0u) { return; }
    var acc = 0.0;
    let n = P.k * P.d;
    for (var e = lid.x; e < n; e += 256u) {
        let j = e / P.d;
        let t = e % P.d;
        let mass = X[j * (P.d + 1u) + P.d];
        var c = Z[e];
        if (mass > 0.0) { c = X[j * (P.d + 1u) + t] / mass; }
        let diff = c - Z[e];
        acc += diff * diff;
    }
    partial[lid.x] = acc;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (lid.x < s) { partial[lid.x] += partial[lid.x + s]; }
        workgroupBarrier();
    }
    let norm = sqrt(partial[0]);
    for (var e = lid.x; e < n; e += 256u) {
        let j = e / P.d;
        let t = e % P.d;
        let mass = X[j * (P.d + 1u) + P.d];
        if (mass > 0.0) { Z[e] = X[j * (P.d + 1u) + t] / mass; }
    }
    if (lid.x == 0u) {
        St[1] = St[1] + 1u;
        St[2] = bitcast<u32>(norm);
        if (norm < P.eps) { St[0] = 1u; }
    }
}
