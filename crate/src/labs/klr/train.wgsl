// One epoch's bookkeeping of kernel logistic regression by gradient descent, for all
// neurons at once (the loop of train.rs `train_gd_cpu`, which this mirrors; gpu.rs records it):
//
//   given H = K·α_t (computed just before by the matrix kernel):
//   y = Ξ⊙H,  L_t = Σ softplus(−y) + (λ/2)·Σ α⊙H
//   decide: non-finite → diverged; L_t > L_0 → diverged (stop or continue);
//           relative change ≤ tol → converged; t = epochs → budget
//   still running: prev ← α, Z ← −Ξ⊙σ(−y) + λ·α, t ← t + 1
//   stopped:       Z ← 0 (so the following α ← α − η·K·Z leaves α as it is)
//
// One workgroup of 256 threads walks the P×N entries (a tree reduction for L), so the
// whole training is recorded in one command buffer and read back once.

struct Params {
    len: u32,       // P·N
    epochs: u32,
    stop_on_rise: u32,
    _pad: u32,
    lambda: f32,
    tol: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<storage, read> Xi: array<f32>;
@group(0) @binding(1) var<storage, read> H: array<f32>;
@group(0) @binding(2) var<storage, read> Alpha: array<f32>;
@group(0) @binding(3) var<storage, read_write> Prev: array<f32>;
@group(0) @binding(4) var<storage, read_write> Z: array<f32>;
@group(0) @binding(5) var<storage, read_write> Loss: array<f32>;
// [0] done, [1] t, [2] status (1 converged, 2 budget, 3 diverged: loss rose,
// 4 diverged: non-finite), [3] first divergence epoch (0: none), [4] loss rises,
// [5] epochs run, [6] 1 when the result is Prev (the α before a failing epoch)
@group(0) @binding(6) var<storage, read_write> St: array<u32>;
@group(0) @binding(7) var<uniform> P: Params;

var<workgroup> part: array<f32, 256>;
var<workgroup> bad: atomic<u32>;
var<workgroup> wg_flag: u32;

fn softplus(z: f32) -> f32 { return max(z, 0.0) + log(1.0 + exp(-abs(z))); }

@compute @workgroup_size(256)
fn epoch(@builtin(local_invocation_id) lid: vec3<u32>) {
    if (lid.x == 0u) { wg_flag = St[0]; atomicStore(&bad, 0u); }
    if (workgroupUniformLoad(&wg_flag) != 0u) { return; }

    var acc = 0.0;
    var nonfinite = 0u;
    for (var i = lid.x; i < P.len; i += 256u) {
        let h = H[i];
        // NaN fails every comparison; ±inf exceeds the largest finite f32.
        if (!(abs(h) <= 3.4e38)) { nonfinite = 1u; }
        let y = Xi[i] * h;
        acc += softplus(-y) + 0.5 * P.lambda * Alpha[i] * h;
    }
    part[lid.x] = acc;
    if (nonfinite != 0u) { atomicOr(&bad, 1u); }
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (lid.x < s) { part[lid.x] += part[lid.x + s]; }
        workgroupBarrier();
    }

    if (lid.x == 0u) {
        let t = St[1];
        let l = part[0];
        Loss[t] = l;
        var done = 0u;
        if (atomicLoad(&bad) != 0u || !(abs(l) <= 3.4e38)) {
            if (St[3] == 0u) { St[3] = t; St[2] = 4u; } else { St[2] = 3u; }
            St[6] = select(0u, 1u, t > 0u);
            St[5] = select(0u, t - 1u, t > 0u);
            done = 1u;
        } else {
            if (t >= 1u) {
                let before = Loss[t - 1u];
                if (l > before) { St[4] = St[4] + 1u; }
                if (l > Loss[0] && St[3] == 0u) {
                    St[3] = t;
                    if (P.stop_on_rise == 1u) {
                        St[2] = 3u; St[6] = 1u; St[5] = t - 1u; done = 1u;
                    }
                }
                if (done == 0u && P.tol > 0.0 && St[3] == 0u && abs(before - l) <= P.tol * abs(before)) {
                    St[2] = 1u; St[5] = t; done = 1u;
                }
            }
            if (done == 0u && t >= P.epochs) {
                St[2] = select(2u, 3u, St[3] != 0u); St[5] = t; done = 1u;
            }
        }
        if (done == 0u) { St[1] = t + 1u; }
        St[0] = done;
        wg_flag = done;
    }
    let stopped = workgroupUniformLoad(&wg_flag);
    for (var i = lid.x; i < P.len; i += 256u) {
        if (stopped != 0u) {
            Z[i] = 0.0;
        } else {
            let x = Xi[i];
            let y = x * H[i];
            Prev[i] = Alpha[i];
            Z[i] = -x / (1.0 + exp(y)) + P.lambda * Alpha[i];
        }
    }
}
