//! Shared by the GPU test files: one GPU per test binary, and what happens without one.

use hopfield_playground::compute::gpu::Gpu;
use std::sync::{Arc, OnceLock};

/// The default adapter (lavapipe in CI), opened once per test binary. No adapter fails
/// the test loudly, unless `HOPFIELD_ALLOW_NO_GPU=1` asks to skip — which is printed.
pub fn gpu(what: &str) -> Option<Arc<Gpu>> {
    static GPU: OnceLock<Option<Arc<Gpu>>> = OnceLock::new();
    GPU.get_or_init(|| match pollster::block_on(Gpu::new()) {
        Ok(g) => {
            eprintln!("{what} run on: {}", g.describe());
            Some(Arc::new(g))
        }
        Err(e) => {
            if std::env::var("HOPFIELD_ALLOW_NO_GPU").as_deref() == Ok("1") {
                eprintln!("\n*** SKIPPING {what}: {e} (HOPFIELD_ALLOW_NO_GPU=1) ***\n");
                None
            } else {
                panic!(
                    "no GPU adapter: {e}. Install lavapipe (mesa-vulkan-drivers) — tests/setup.sh does — \
                     or set HOPFIELD_ALLOW_NO_GPU=1 to skip these tests on purpose"
                );
            }
        }
    })
    .clone()
}
