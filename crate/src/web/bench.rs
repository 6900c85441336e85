//! The page's benchmark hook: runs one workload of [`crate::benchwork`] (the code the native
//! benches time) on this page's wasm CPU path or its WebGPU adapter and returns its timings as
//! JSON. Only the benchmark scripts (`tests/bench/workloads-browser.mjs`) call it; the page
//! never does.

use super::shared_compute;
use crate::benchwork::{self, median, middle};
use crate::compute::{Compute, cpu};
use crate::labs::khopfield::model::Sim;
use serde_json::{Value as Json, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Seconds from `performance.now()` (window or worker), or from `Date.now()` without it.
fn now_s() -> f64 {
    let global = js_sys::global();
    let perf = js_sys::Reflect::get(&global, &JsValue::from_str("performance")).ok();
    let ms = perf
        .and_then(|p| {
            let f = js_sys::Reflect::get(&p, &JsValue::from_str("now"))
                .ok()?
                .dyn_into::<js_sys::Function>()
                .ok()?;
            f.call0(&p).ok()?.as_f64()
        })
        .unwrap_or_else(js_sys::Date::now);
    ms / 1000.0
}

/// `cpu`, or `gpu`: the browser's adapter, used even when it is a software renderer, after
/// the same self-check as the page's (an error when there is none or it fails).
async fn backend(name: &str) -> Result<Compute, JsError> {
    match name {
        "cpu" => Ok(Compute::cpu("benchmark")),
        "gpu" => {
            let (c, _) = shared_compute(None, true).await;
            if c.uses_gpu() { Ok(c) } else { Err(JsError::new(&c.describe())) }
        }
        other => Err(JsError::new(&format!("backend must be cpu or gpu, not {other}"))),
    }
}

fn arg(args: &Json, key: &str, default: u64, max: u64) -> Result<usize, JsError> {
    let v = args.get(key).map_or(Some(default), Json::as_u64);
    match v {
        Some(v) if (1..=max).contains(&v) => Ok(v as usize),
        _ => Err(JsError::new(&format!("{key} must be an integer in 1..={max}"))),
    }
}

/// Run the workload `name` with the JSON object `args` on `backend` (`cpu` or `gpu`):
/// - `khopfield`: `{memories, probes, similarity: "dot"|"neg_manhattan"}` → the seconds of
///   the similarities, ksoftmax and outputs, their total, the sum of all outputs and the
///   retrieved memories (MNIST must have been handed over with `provide_asset` first);
/// - `softkmeans`: `{m, d, k, extra, reps}` → seconds per soft-k-means update,
///   `(t(1 + extra) − t(1)) / extra`, median of `reps` (CPU f64 one thread, GPU f32);
/// - `elcd`: `{model: "elcd"|"elcd_diffeo"|"mlp", steps, reps}` → seconds for `steps`
///   training steps (batch 100) on the LASA Worm demonstrations, best of `reps`;
/// - `gemm_f32`: `{m, k, n, reps, kernel}` → seconds of one f32 `C = A·B` (median), its
///   GFLOP/s, the kernel it ran on (`packed`: `simd128` or `relaxed_simd`) and its largest
///   error as a fraction of the f32 bound;
/// - `klr_train`: `{p, gamma, precision: "f32"|"f64", reps}` → seconds of one KLR training of
///   the author's protocol at N = 100 (median), as a sweep cell trains.
#[wasm_bindgen]
pub async fn bench_workload(name: String, args: String, backend_name: String) -> Result<String, JsError> {
    let args: Json = serde_json::from_str(&args).map_err(|e| JsError::new(&format!("args: {e}")))?;
    let out = match name.as_str() {
        "khopfield" => {
            let c = backend(&backend_name).await?;
            let p = arg(&args, "memories", 10_000, 10_000)?;
            let b = arg(&args, "probes", 1000, 10_000)?;
            let sim = match args.get("similarity").and_then(Json::as_str).unwrap_or("dot") {
                "dot" => Sim::Dot,
                "neg_manhattan" => Sim::NegManhattan,
                s => return Err(JsError::new(&format!("similarity must be dot or neg_manhattan, not {s}"))),
            };
            let r = benchwork::khopfield::setup(p, b).map_err(|e| JsError::new(&e))?;
            let t = benchwork::khopfield::retrieve(&c, sim, &r, &now_s).await;
            json!({
                "sims_s": t.sims_s, "ksoftmax_s": t.ksoftmax_s, "outputs_s": t.outputs_s,
                "total_s": t.total_s(), "output_sum": t.output_sum, "retrieved": t.retrieved,
                "backend": c.describe(),
            })
        }
        "softkmeans" => {
            let c = backend(&backend_name).await?;
            let m = arg(&args, "m", 1_000_000, 4_000_000)?;
            let d = arg(&args, "d", 1, 16)?;
            let k = arg(&args, "k", 16, 256)?;
            let extra = arg(&args, "extra", 4, 100)?;
            let reps = arg(&args, "reps", 3, 20)?;
            let w = benchwork::softkmeans::points(m, d, 7);
            let c0 = benchwork::softkmeans::start(&w, k);
            let tau = 0.5;
            let mut times = Vec::new();
            if c.uses_gpu() {
                let (wf, cf) = (w.to_f32(), c0.to_f32());
                for iters in [1, 1 + extra] {
                    let mut ts = Vec::new();
                    for _ in 0..reps {
                        let t0 = now_s();
                        drop(c.soft_kmeans(&wf, &cf, tau as f32, 0.0, iters).await);
                        ts.push(now_s() - t0);
                    }
                    times.push(middle(ts));
                }
            } else {
                for iters in [1, 1 + extra] {
                    times.push(median(reps, || {
                        let t0 = now_s();
                        drop(cpu::soft_kmeans_threads(&w, &c0, tau, 0.0, iters, 1));
                        now_s() - t0
                    }));
                }
            }
            json!({ "seconds": (times[1] - times[0]) / extra as f64, "backend": c.describe() })
        }
        "elcd" => {
            if backend_name != "cpu" {
                return Err(JsError::new("the ELCD lab trains on the CPU only"));
            }
            let steps = arg(&args, "steps", 2000, 100_000)?;
            let reps = arg(&args, "reps", 3, 20)?;
            let demos = crate::labs::elcd::data::lasa("worm").map_err(|e| JsError::new(&e))?;
            let (xs, vs) = demos.samples();
            let which = args.get("model").and_then(Json::as_str).unwrap_or("elcd");
            let model = benchwork::elcd::model(which, &demos.x_star)
                .ok_or_else(|| JsError::new(&format!("no benchmark model {which}")))?;
            let s = benchwork::elcd::time_steps(model.as_ref(), &xs, &vs, steps, reps, &now_s);
            json!({ "seconds": s, "steps": steps, "params": model.n_params() })
        }
        "gemm_f32" => {
            let (m, k, n) =
                (arg(&args, "m", 600, 4096)?, arg(&args, "k", 600, 4096)?, arg(&args, "n", 100, 4096)?);
            let reps = arg(&args, "reps", 5, 100)?;
            let a = benchwork::klr::matrix(m, k, 3).to_f32();
            let b = benchwork::klr::matrix(k, n, 4).to_f32();
            if m * k + k * n + m * n > 1 << 24 {
                return Err(JsError::new("gemm_f32: at most 2^24 entries in A, B and C together"));
            }
            let mut c = crate::compute::Mat::<f32>::zeros(m, n);
            // `kernel`: the product the lab uses (default), or one implementation.
            let kernel = args.get("kernel").and_then(Json::as_str).unwrap_or("default").to_string();
            type Tiles =
                fn((usize, usize, usize), f32, (&[f32], usize), (&[f32], usize), f32, (&mut [f32], usize));
            let tiles: Option<Tiles> = match kernel.as_str() {
                "tile4x8" => Some(cpu::sgemm4x8::sgemm_tiles::<4>),
                "tile5x8" => Some(cpu::sgemm4x8::sgemm_tiles::<5>),
                "tile6x8" => Some(cpu::sgemm4x8::sgemm_tiles::<6>),
                _ => None,
            };
            // `packed`: `A` packed once, outside the timing (as the KLR training packs `K`).
            let packed = (kernel == "packed").then(|| cpu::PackedF32::new(a.clone(), n));
            let product = |c: &mut crate::compute::Mat<f32>| match (tiles, kernel.as_str()) {
                (Some(t), _) => t((m, k, n), 1.0, (&a.data, k), (&b.data, n), 0.0, (&mut c.data, n)),
                (None, "matrixmultiply") => cpu::sgemm_matrixmultiply(1.0, &a, &b, 0.0, c),
                (None, "packed") if let Some(p) = &packed => cpu::gemm_packed_f32(1.0, p, &b, 0.0, c),
                _ => cpu::gemm_acc_f32(1.0, &a, &b, 0.0, c),
            };
            let s = median(reps, || {
                let t0 = now_s();
                product(&mut c);
                now_s() - t0
            });
            let used = match (&packed, tiles) {
                (Some(p), _) => p.kernel().to_string(),
                (None, Some(_)) => "simd128".to_string(),
                (None, None) => kernel.clone(),
            };
            json!({ "seconds": s, "gflops": 2.0 * (m * k * n) as f64 / s / 1e9, "kernel_used": used,
                "error_over_bound": cpu::f32_product_error_over_bound(&a, &b, &c) })
        }
        "klr_train" => {
            let p = arg(&args, "p", 600, 1000)?;
            let reps = arg(&args, "reps", 1, 20)?;
            let gamma = args.get("gamma").and_then(Json::as_f64).unwrap_or(0.05);
            let f64_products = args.get("precision").and_then(Json::as_str) == Some("f64");
            let s = median(reps, || benchwork::klr::train_seconds(p, gamma, f64_products, &now_s));
            json!({ "seconds": s })
        }
        other => {
            return Err(JsError::new(&format!(
                "no workload {other} (khopfield, softkmeans, elcd, gemm_f32, klr_train)"
            )));
        }
    };
    Ok(out.to_string())
}
