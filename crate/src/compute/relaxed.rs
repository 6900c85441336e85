//! Products on a GEMM in another wasm module: in the browser, the relaxed-SIMD f32 GEMM
//! (`kernels/relaxed-gemm`, the same [`sgemm4x8`] source compiled with fused multiply-adds),
//! which browsers without relaxed SIMD cannot load, so it is not part of the main wasm. The
//! web layer installs it ([`install`]) once the page's loader has it in place
//! (www/js/relaxed-gemm.js); until then, and where it never comes, the products stay on the
//! baseline kernel. Should a call into the module fail, this thread
//! stops using it and the product runs on the baseline kernel instead.

use super::cpu::sgemm4x8::{self, PackedA};
use super::mat::Mat;
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

/// A GEMM in another module, with `A` packed there once for many products.
pub trait Module {
    /// Copy row-major `a` (`m × k`) in and pack it; its id for [`Module::gemm`].
    fn pack(&self, a: &[f32], m: usize, k: usize) -> Result<u32, String>;
    /// `C ← alpha·A·B + beta·C` with packed `A` number `id`, row-major `b` (`k × n`) and `c`
    /// (`m × n`); `c` is left as it was when this fails.
    fn gemm(&self, id: u32, b: &[f32], c: &mut [f32], n: usize, alpha: f32, beta: f32) -> Result<(), String>;
    /// Forget packed `A` number `id`.
    fn release(&self, id: u32);
}

thread_local! {
    static MODULE: RefCell<Option<Rc<dyn Module>>> = const { RefCell::new(None) };
}

/// Use `module` for this thread's packed products from now on (`None`: the baseline kernel).
pub fn install(module: Option<Rc<dyn Module>>) {
    MODULE.with_borrow_mut(|m| *m = module);
}

/// An `m × k` matrix packed in the module (released when dropped), with the matrix kept here
/// for the baseline kernel should the module fail.
pub struct Packed {
    module: Rc<dyn Module>,
    id: u32,
    a: Mat<f32>,
    fallback: OnceCell<PackedA>,
}

impl Packed {
    /// Pack `a` in the installed module; `a` back if there is none or it fails.
    pub fn new(a: Mat<f32>) -> Result<Self, Mat<f32>> {
        let Some(module) = MODULE.with_borrow(Clone::clone) else { return Err(a) };
        match module.pack(&a.data, a.rows, a.cols) {
            Ok(id) => Ok(Packed { module, id, a, fallback: OnceCell::new() }),
            Err(_) => {
                install(None);
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
        if self.fallback.get().is_none() && self.module.gemm(self.id, b, c, n, alpha, beta).is_ok() {
            return;
        }
        // The module failed (now or earlier): the baseline kernel for this matrix, and for
        // this thread's later products.
        install(None);
        let packed = self.fallback.get_or_init(|| PackedA::new(m, k, (&self.a.data, k)));
        sgemm4x8::sgemm_packed(alpha, packed, (b, n), n, beta, (c, n));
    }
}

impl Drop for Packed {
    fn drop(&mut self) {
        self.module.release(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// The baseline kernel behind the [`Module`] interface, failing from the `fail_at`-th
    /// product on (0: never), and counting releases.
    struct Local {
        packed: RefCell<Vec<PackedA>>,
        calls: Cell<usize>,
        fail_at: usize,
        released: Cell<usize>,
    }

    impl Module for Local {
        fn pack(&self, a: &[f32], m: usize, k: usize) -> Result<u32, String> {
            self.packed.borrow_mut().push(PackedA::new(m, k, (a, k)));
            Ok(self.packed.borrow().len() as u32 - 1)
        }
        fn gemm(
            &self,
            id: u32,
            b: &[f32],
            c: &mut [f32],
            n: usize,
            alpha: f32,
            beta: f32,
        ) -> Result<(), String> {
            self.calls.set(self.calls.get() + 1);
            if self.fail_at > 0 && self.calls.get() >= self.fail_at {
                return Err("lost".into());
            }
            sgemm4x8::sgemm_packed(alpha, &self.packed.borrow()[id as usize], (b, n), n, beta, (c, n));
            Ok(())
        }
        fn release(&self, _id: u32) {
            self.released.set(self.released.get() + 1);
        }
    }

    #[test]
    fn a_failing_module_hands_over_to_the_baseline_kernel() {
        let (m, k, n) = (13, 70, 9);
        let a = Mat { rows: m, cols: k, data: (0..m * k).map(|i| (i % 17) as f32 / 7.0 - 1.0).collect() };
        let b: Vec<f32> = (0..k * n).map(|i| (i % 11) as f32 / 5.0 - 1.0).collect();
        let mut want = vec![0.5f32; m * n];
        sgemm4x8::sgemm((m, k, n), 1.5, (&a.data, k), (&b, n), -1.0, (&mut want, n));
        for fail_at in [0, 1, 2] {
            let module = Rc::new(Local {
                packed: RefCell::default(),
                calls: Cell::new(0),
                fail_at,
                released: Cell::new(0),
            });
            install(Some(module.clone()));
            let p = Packed::new(a.clone()).unwrap_or_else(|_| panic!("packs"));
            for round in 0..3 {
                let mut c = vec![0.5f32; m * n];
                p.gemm(1.5, &b, n, -1.0, &mut c);
                assert_eq!(c, want, "fail_at {fail_at}, product {round}");
            }
            // After a failure the thread uses the baseline kernel, and the failed module is
            // not called again.
            assert_eq!(MODULE.with_borrow(Option::is_some), fail_at == 0);
            assert_eq!(module.calls.get(), if fail_at == 0 { 3 } else { fail_at });
            drop(p);
            assert_eq!(module.released.get(), 1);
        }
        install(None);
        assert!(Packed::new(a).is_err(), "no module installed");
    }
}
