// Tiled matrix products on row-major f32 matrices.
//
//   C[m×n] = alpha · op(A)·op(B) + beta · C
//
// op(A) = A (m×k) or Aᵀ (A stored k×m) when trans_a = 1;
// op(B) = B (k×n) or Bᵀ (B stored n×k) when trans_b = 1 (rows of A against rows of B: Gram).
// With `sym = 1` (a Gram matrix, C symmetric) only tiles on or below the diagonal are
// computed, and each result is written to (i, j) and (j, i).
//
// PAIR_OP selects the inner accumulation: a·b (products) or (a−b)² (squared distances,
// trans_b = 1: D[i][j] = Σ_t (A[i][t] − B[j][t])²; alpha scales, beta must be 0).
//
// Each workgroup computes a 64×64 tile of C with 16×16 threads, each thread a 4×4
// register block (rows 4·ty + r, columns 4·tx + c). K advances in slabs of 16 staged in
// workgroup memory as vec4s, so per k a thread reads one vec4 of A and one of B (16
// consecutive threads read 256 consecutive bytes: no bank conflicts) for 16 FMAs, and
// accumulates in four vec4 registers. Global loads are coalesced (consecutive threads read
// consecutive words of a row). Every global load and store is bounds-guarded, so any
// shape works.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    lda: u32,
    ldb: u32,
    ldc: u32,
    trans_a: u32,
    trans_b: u32,
    sym: u32,
    alpha: f32,
    beta: f32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;

const TM: u32 = 64u;
const TN: u32 = 64u;
const TK: u32 = 16u;

var<workgroup> As: array<vec4<f32>, 256>; // element (kk, i) at [kk * TM/4 + i/4][i % 4]
var<workgroup> Bs: array<vec4<f32>, 256>; // element (kk, j) at [kk * TN/4 + j/4][j % 4]

fn load_a(row: u32, kk: u32) -> f32 {
    if (row >= P.m || kk >= P.k) { return 0.0; }
    if (P.trans_a == 1u) { return A[kk * P.lda + row]; }
    return A[row * P.lda + kk];
}

fn load_b(kk: u32, col: u32) -> f32 {
    if (col >= P.n || kk >= P.k) { return 0.0; }
    if (P.trans_b == 1u) { return B[col * P.ldb + kk]; }
    return B[kk * P.ldb + col];
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let row0 = wid.y * TM;
    let col0 = wid.x * TN;
    // Symmetric output: tiles entirely above the diagonal are mirrored from below.
    if (P.sym == 1u && col0 > row0 + TM - 1u) { return; }
    let tx = lid.x;
    let ty = lid.y;
    let lin = ty * 16u + tx;
    var acc: array<vec4<f32>, 4>; // zero-initialised

    for (var k0 = 0u; k0 < P.k; k0 += TK) {
        for (var t = 0u; t < 4u; t++) {
            let e = lin + t * 256u;
            // A tile: 64 rows × 16 k; consecutive threads walk k (contiguous when not transposed).
            var i = e / TK;
            var kk = e % TK;
            if (P.trans_a == 1u) { kk = e / TM; i = e % TM; }
            As[kk * (TM / 4u) + i / 4u][i % 4u] = load_a(row0 + i, k0 + kk);
            // B tile: 16 k × 64 columns.
            var j = e % TN;
            var kb = e / TN;
            if (P.trans_b == 1u) { j = e / TK; kb = e % TK; }
            Bs[kb * (TN / 4u) + j / 4u][j % 4u] = load_b(k0 + kb, col0 + j);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            let a = As[kk * (TM / 4u) + ty];
            let b = Bs[kk * (TN / 4u) + tx];
            for (var r = 0u; r < 4u; r++) {
                PAIR_OP
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
            if (P.sym == 1u && j > i) { continue; }
            var v = P.alpha * acc[r][c];
            if (P.beta != 0.0) { v = v + P.beta * C[i * P.ldc + j]; }
            C[i * P.ldc + j] = v;
            if (P.sym == 1u && j < i) { C[j * P.ldc + i] = v; }
        }
    }
}
