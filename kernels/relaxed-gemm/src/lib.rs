//! The f32 GEMM of the browser's CPU path (`crate/src/compute/sgemm4x8.rs`, the same file),
//! compiled with relaxed SIMD: each k-step's `a·b + c` is one `f32x4.relaxed_madd`, a fused
//! multiply-add on machines that have one. In Chromium that took 0.73–0.80× the time of the
//! baseline SIMD128 kernel (paired rounds, 600 × 600 · 600 × 100, README).
//!
//! The module has its own memory. The main wasm (through `hpRelaxedGemm` in
//! www/js/relaxed-gemm.js) copies `A` in once per training and packs it here ([`pack`]),
//! then per product copies `B` (and `C` when `beta ≠ 0`) in and `C` out ([`operands`],
//! [`gemm`]): two copies of `P × N` floats against a product of `P² × N` multiply-adds.
//! Misuse (an unknown id, sizes that do not fit) traps: the caller's run fails with an error.

#![cfg(target_arch = "wasm32")]

#[path = "../../../crate/src/compute/sgemm4x8.rs"]
#[allow(dead_code)]
mod sgemm4x8;

use sgemm4x8::PackedA;
use std::cell::RefCell;

#[derive(Default)]
struct State {
    /// Room for a row-major `A` before [`pack`].
    scratch: Vec<f32>,
    /// Packed `A`s by id (`None`: released).
    packed: Vec<Option<PackedA>>,
    /// `B` then `C` of the next [`gemm`].
    operands: Vec<f32>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
}

/// Room for `len` floats (a row-major `A`, filled by the caller before [`pack`]).
#[unsafe(no_mangle)]
pub extern "C" fn scratch(len: usize) -> *mut f32 {
    STATE.with_borrow_mut(|s| {
        s.scratch.clear();
        s.scratch.resize(len, 0.0);
        s.scratch.as_mut_ptr()
    })
}

/// Pack the `m × k` row-major `A` in the scratch room; returns its id for [`gemm`].
#[unsafe(no_mangle)]
pub extern "C" fn pack(m: usize, k: usize) -> u32 {
    STATE.with_borrow_mut(|s| {
        let a = PackedA::new(m, k, (&s.scratch[..m * k], k));
        s.scratch = Vec::new();
        let id = match s.packed.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                s.packed.push(None);
                s.packed.len() - 1
            }
        };
        s.packed[id] = Some(a);
        id as u32
    })
}

/// Forget packed `A` number `id`.
#[unsafe(no_mangle)]
pub extern "C" fn release(id: u32) {
    STATE.with_borrow_mut(|s| {
        if let Some(slot) = s.packed.get_mut(id as usize) {
            *slot = None;
        }
    });
}

/// Room for `B` (`b_len` floats) followed by `C` (`c_len`): the operands of the next [`gemm`].
#[unsafe(no_mangle)]
pub extern "C" fn operands(b_len: usize, c_len: usize) -> *mut f32 {
    STATE.with_borrow_mut(|s| {
        s.operands.resize(b_len + c_len, 0.0);
        s.operands.as_mut_ptr()
    })
}

/// `C ← alpha·A·B + beta·C` with packed `A` number `id` (`m × k`), `B` (`k × n`) and `C`
/// (`m × n`) row-major in the operands' room.
#[unsafe(no_mangle)]
pub extern "C" fn gemm(id: u32, n: usize, alpha: f32, beta: f32) {
    STATE.with_borrow_mut(|s| {
        let State { packed, operands, .. } = s;
        let a = packed[id as usize].as_ref().expect("a packed A");
        let (b, c) = operands.split_at_mut(a.cols() * n);
        sgemm4x8::sgemm_packed(alpha, a, (b, n), n, beta, (&mut c[..a.rows() * n], n));
    });
}
