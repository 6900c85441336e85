// L1 (Manhattan) distances between the rows of two row-major f32 matrices:
//
//   D[i][j] = Σ_t |X[i][t] − Y[j][t]|,   X: m×k, Y: n×k, D: m×n.
//
// Tiled like gemm.wgsl: each workgroup computes a 64×64 tile of D with 16×16 threads,
// each thread a 4×4 register block (rows 4·ty + r, columns 4·tx + c). The inner
// dimension advances in slabs of 16 staged in workgroup memory as vec4s; per step a
// thread reads one vec4 of X rows and one of Y rows and accumulates 16 |a − b|. Loads
// past the ends read 0 (|0 − 0| adds nothing); stores are bounds-guarded, so any shape works.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read_write> D: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;

const T: u32 = 64u;
const TK: u32 = 16u;

var<workgroup> Xs: array<vec4<f32>, 256>; // element (kk, i) at [kk * T/4 + i/4][i % 4]
var<workgroup> Ys: array<vec4<f32>, 256>;

fn load_x(row: u32, kk: u32) -> f32 {
    if (row >= P.m || kk >= P.k) { return 0.0; }
    return X[row * P.k + kk];
}

fn load_y(row: u32, kk: u32) -> f32 {
    if (row >= P.n || kk >= P.k) { return 0.0; }
    return Y[row * P.k + kk];
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let row0 = wid.y * T;
    let col0 = wid.x * T;
    let tx = lid.x;
    let ty = lid.y;
    let lin = ty * 16u + tx;
    var acc: array<vec4<f32>, 4>; // zero-initialised

    for (var k0 = 0u; k0 < P.k; k0 += TK) {
        for (var t = 0u; t < 4u; t++) {
            // 64 rows × 16 k per tile; consecutive threads walk k (contiguous in memory).
            let e = lin + t * 256u;
            let i = e / TK;
            let kk = e % TK;
            Xs[kk * (T / 4u) + i / 4u][i % 4u] = load_x(row0 + i, k0 + kk);
            Ys[kk * (T / 4u) + i / 4u][i % 4u] = load_y(col0 + i, k0 + kk);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            let a = Xs[kk * (T / 4u) + ty];
            let b = Ys[kk * (T / 4u) + tx];
            for (var r = 0u; r < 4u; r++) {
                acc[r] += abs(a[r] - b);
            }
        }
        workgroupBarrier();
    }

    for (var r = 0u; r < 4u; r++) {
        let i = row0 + 4u * ty + r;
        if (i >= P.m) { continue; }
        for (var c = 0u; c < 4u; c++) {
            let j = col0 + 4u * tx + c;
            if (j >= P.n) { continue; }
            D[i * P.n + j] = acc[r][c];
        }
    }
}
