// Elementwise and per-row kernels. Every entry point takes a flat index
// `i = gid.x + gid.y * stride` (2-D dispatch for arrays longer than 65535 × 256)
// and guards it against the length.

struct Params {
    len: u32,       // number of elements (or rows for per-row kernels)
    rows: u32,
    cols: u32,
    stride: u32,    // threads per dispatch row: num_workgroups.x * 256
    a: f32,         // kernel-specific scalars
    b: f32,
    c: f32,
    count: u32,     // kernel-specific count (e.g. number of gammas)
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read_write> Z: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;

fn flat(gid: vec3<u32>) -> u32 { return gid.x + gid.y * P.stride; }

// RBF kernel matrices for many gammas from one cross-Gram G (rows × cols):
// X = [G (rows·cols) | nx (rows) | ny (cols)], Y = gammas (count),
// Z[g·rows·cols + i·cols + j] = exp(−γ_g · max(nx_i + ny_j − 2 G_ij, 0)).
@compute @workgroup_size(256)
fn rbf(@builtin(global_invocation_id) gid: vec3<u32>) {
    let idx = flat(gid);
    if (idx >= P.len) { return; }
    let plane = P.rows * P.cols;
    let g = idx / plane;
    let e = idx % plane;
    let i = e / P.cols;
    let j = e % P.cols;
    let d2 = max(X[plane + i] + X[plane + P.rows + j] - 2.0 * X[e], 0.0);
    Z[idx] = exp(-Y[g] * d2);
}

// Z ← exp(a · (X − b)) elementwise: the RBF kernel of ±1 patterns from their Gram
// (K = exp(2γ(G − N)) with a = 2γ, b = N).
@compute @workgroup_size(256)
fn exp_affine(@builtin(global_invocation_id) gid: vec3<u32>) {
    let idx = flat(gid);
    if (idx >= P.len) { return; }
    Z[idx] = exp(P.a * (X[idx] - P.b));
}

// Z ← sqrt(max(X, 0)) (distances from squared distances).
@compute @workgroup_size(256)
fn sqrt_clamped(@builtin(global_invocation_id) gid: vec3<u32>) {
    let idx = flat(gid);
    if (idx >= P.len) { return; }
    Z[idx] = sqrt(max(X[idx], 0.0));
}
