//! The relaxed-SIMD f32 GEMM (`kernels/relaxed-gemm`, the same `sgemm4x8` source compiled with
//! fused multiply-adds) as the browser's workers load it: a wasm module of its own, reached
//! through the JavaScript object `hpRelaxedGemm` (www/js/relaxed-gemm.js), which copies the
//! operands between the two modules' memories. [`set_available`] is called once that object
//! is in place; until then (and in browsers without relaxed SIMD) [`available`] is false and
//! the products stay on the baseline SIMD128 kernel. Should a call into the module fail, this
//! thread stops using it and the product is done on the baseline kernel instead.

use super::cpu::sgemm4x8::{self, PackedA};
use super::mat::Mat;
use std::cell::OnceCell;
use std::sync::atomic::{AtomicBool, Ordering};
use wasm_bindgen::prelude::*;

static AVAILABLE: AtomicBool = AtomicBool::new(false);

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = hpRelaxedGemm, js_name = pack)]
    fn js_pack(a: &[f32], m: usize, k: usize) -> Result<u32, JsValue>;
    #[wasm_bindgen(catch, js_namespace = hpRelaxedGemm, js_name = gemm)]
    fn js_gemm(id: u32, b: &[f32], c: &mut [f32], n: usize, alpha: f32, beta: f32) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = hpRelaxedGemm, js_name = release)]
    fn js_release(id: u32) -> Result<(), JsValue>;
}

/// Whether this thread's products may use the relaxed kernel.
pub fn available() -> bool {
    AVAILABLE.load(Ordering::Relaxed)
}

/// Switch the relaxed kernel on (the page's loader, once `hpRelaxedGemm` is in place) or off.
pub fn set_available(on: bool) {
    AVAILABLE.store(on, Ordering::Relaxed);
}

/// An `m × k` matrix packed in the relaxed module (released when dropped), with the matrix
/// kept here for the baseline kernel should the module fail.
pub struct Packed {
    id: Option<u32>,
    a: Mat<f32>,
    fallback: OnceCell<PackedA>,
}

impl Packed {
    /// Copy `a` into the relaxed module and pack it there; `a` back if the module fails.
    pub fn new(a: Mat<f32>) -> Result<Self, Mat<f32>> {
        match js_pack(&a.data, a.rows, a.cols) {
            Ok(id) => Ok(Packed { id: Some(id), a, fallback: OnceCell::new() }),
            Err(_) => {
                set_available(false);
                Err(a)
            }
        }
    }

    pub fn rows(&self) -> usize {
        self.a.rows
    }

    pub fn cols(&self) -> usize {
        self.a.cols
    }

    /// `C ← alpha·A·B + beta·C` for row-major `b` (`k × n`) and `c` (`m × n`).
    pub fn gemm(&self, alpha: f32, b: &[f32], n: usize, beta: f32, c: &mut [f32]) {
        let (m, k) = (self.a.rows, self.a.cols);
        assert!(b.len() == k * n && c.len() == m * n, "relaxed::Packed::gemm shapes");
        if AVAILABLE.load(Ordering::Relaxed)
            && let Some(id) = self.id
            && js_gemm(id, b, c, n, alpha, beta).is_ok()
        {
            return;
        }
        // The module failed (this call or an earlier one; `C` is as it was: the module writes
        // it only after its product): the baseline kernel from now on.
        set_available(false);
        let packed = self.fallback.get_or_init(|| PackedA::new(m, k, (&self.a.data, k)));
        sgemm4x8::sgemm_packed(alpha, packed, (b, n), n, beta, (c, n));
    }
}

impl Drop for Packed {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            // A module that failed has nothing left to release.
            let _ = js_release(id);
        }
    }
}
