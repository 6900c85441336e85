//! The browser face: the only module that touches `wasm_bindgen`. Every function
//! takes and returns plain data (JSON text, numbers, byte buffers); the page
//! (`www/js`) does the drawing.

pub mod bench;
pub mod dense;
pub mod lab;

use crate::api;
use crate::api::from_query;
use crate::compute::{
    Compute, Mat, check,
    gpu::{Gpu, GpuError},
};
use crate::labs::{LABS, Progress};
use crate::params::{Params, format_value};
use crate::plot::{self, Colormap};
use serde::Serialize;
use serde_json::{Value as Json, json};
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The registry as JSON: every lab with its parameter table (common keys first) and parts.
#[wasm_bindgen]
pub fn labs() -> String {
    let list: Vec<Json> = LABS
        .iter()
        .map(|lab| {
            let params = Params::defaults(lab.params);
            json!({
                "id": lab.id,
                "title": lab.title,
                "summary": lab.summary,
                "source": lab.source,
                "about": lab.about,
                "built": lab.runner.is_some(),
                "parts": lab.runner.as_ref().map(|r| r.parts),
                "params": params.specs(),
                "presets": lab.presets(),
                "figures": lab.figures(),
                "shards": lab.runner.as_ref().and_then(|r| r.shards.as_ref()).map(|s| s.parts),
                "import": lab.runner.as_ref().is_some_and(|r| r.import.is_some()),
                "gpu": lab.runner.as_ref().is_some_and(|r| r.gpu),
                "quick": crate::labs::papers::quick_keys(lab.id),
                "sources": lab.sources.iter().map(|c| json!({
                    "text": c.text(), "bibtex": c.bibtex(), "note": c.note, "arxiv": c.arxiv,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json::Array(list).to_string()
}

/// The source papers for their pages (`?paper=ID`): `[{id, title, short, citation, arxiv,
/// bibtex, note, labs, jobs}]`, `jobs` being what `hopfield reproduce ID --quick` runs (the
/// thumbnails), each with the link of its preset at full size.
#[wasm_bindgen]
pub fn papers() -> String {
    use crate::labs::papers::{PAPERS, jobs};
    let list: Vec<Json> = PAPERS
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "title": p.citation.title,
                "short": p.citation.short(),
                "citation": p.citation.text(),
                "arxiv": p.citation.arxiv,
                "bibtex": p.citation.bibtex(),
                "note": p.note,
                "labs": p.labs.iter().map(|l| l.lab).collect::<Vec<_>>(),
                "jobs": jobs(p, true).unwrap_or_default(),
            })
        })
        .collect();
    Json::Array(list).to_string()
}

/// Our numbers beside the paper's for preset `preset` of `lab`, from its results (the JSON
/// text of its parts, merged): the JSON of [`crate::labs::papers::compared`], or `null`.
#[wasm_bindgen]
pub fn paper_compared(lab: &str, preset: &str, json: &str) -> String {
    let Ok(Json::Object(map)) = serde_json::from_str::<Json>(json) else { return "null".into() };
    crate::labs::papers::compared(lab, preset, &map).unwrap_or(Json::Null).to_string()
}

/// The lab's cost estimate of `query`, summed over its parts (the units of
/// `LabRunner::cost`: comparable within a lab, e.g. to find its heaviest preset); 0 for a
/// landing page or an unbuilt lab.
#[wasm_bindgen]
pub fn estimate_cost(query: &str) -> f64 {
    let Some(state) = from_query(query).state() else { return 0.0 };
    let Some(runner) = state.lab.runner.as_ref() else { return 0.0 };
    runner.parts.iter().map(|p| (runner.cost)(&state.params, p.name)).sum()
}

/// The playground's own BibTeX entry (the Cite box adds the link that pins the numbers).
#[wasm_bindgen]
pub fn playground_bibtex() -> String {
    crate::labs::cite::PLAYGROUND.bibtex()
}

/// Parse a query: `{lab, query, values, notices}` with `lab`/`query` null for the landing page.
#[wasm_bindgen]
pub fn parse_query(query: &str) -> String {
    let parsed = from_query(query);
    let state = parsed.state();
    let values: serde_json::Map<String, Json> = state
        .as_ref()
        .map(|s| {
            s.params
                .pairs()
                .map(|(k, _)| (k.to_string(), serde_json::to_value(s.params.get(k)).unwrap_or(Json::Null)))
                .collect()
        })
        .unwrap_or_default();
    let text: serde_json::Map<String, Json> = state
        .as_ref()
        .map(|s| {
            s.params
                .specs()
                .iter()
                .map(|sp| (sp.key.to_string(), Json::from(format_value(s.params.get(sp.key)))))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "lab": parsed.lab.map(|l| l.id),
        "query": state.as_ref().map(|s| s.to_query()),
        "values": values,
        "text": text,
        "notices": parsed.notices,
    })
    .to_string()
}

/// Forwards progress to a JS callback `(done, total, partialJsonOrUndefined)`,
/// at most once per 0.5% of the work.
struct JsProgress {
    callback: Option<js_sys::Function>,
    last: i64,
}

impl Progress for JsProgress {
    fn step(&mut self, done: usize, total: usize) {
        let Some(cb) = &self.callback else { return };
        let permille = (done as f64 * 200.0 / total.max(1) as f64) as i64;
        if permille != self.last || done == total {
            self.last = permille;
            let _ = cb.call2(&JsValue::NULL, &JsValue::from(done as f64), &JsValue::from(total as f64));
        }
    }

    fn partial(&mut self, piece: &Json) {
        if let Some(cb) = &self.callback {
            let _ =
                cb.call3(&JsValue::NULL, &JsValue::NULL, &JsValue::NULL, &JsValue::from(piece.to_string()));
        }
    }
}

/// What this thread knows of the browser's GPU.
#[derive(Clone)]
struct Opened {
    /// The adapter, when the browser offers one (and the page did not rule it out).
    gpu: Option<Arc<Gpu>>,
    /// Why there is no GPU.
    reason: String,
    /// The self-check's verdict, once run (or learnt from the page).
    verdict: Option<Result<(), String>>,
    checks: Vec<check::CheckItem>,
}

thread_local! {
    /// This thread's GPU, opened on first use (a GPU device is expensive to open).
    static OPENED: RefCell<Option<Opened>> = const { RefCell::new(None) };
}

/// What the page already knows of the GPU (another worker ran the self-check): `verified`,
/// `software` (verified, a software renderer), `cpu:REASON` (no usable GPU), or nothing.
fn hint_verdict(hint: Option<&str>) -> (Option<Result<(), String>>, Option<String>) {
    match hint {
        Some("verified") | Some("software") => (Some(Ok(())), None),
        Some(h) if h.starts_with("cpu:") => (None, Some(h[4..].to_string())),
        _ => (None, None),
    }
}

/// Open this thread's GPU (once). `hint` is what the page knows (see [`hint_verdict`]).
#[allow(clippy::arc_with_non_send_sync)] // one thread in the browser
async fn opened(hint: Option<&str>) -> Opened {
    if let Some(o) = OPENED.with(|o| o.borrow().clone()) {
        return o;
    }
    let (verdict, ruled_out) = hint_verdict(hint);
    let o = match ruled_out {
        Some(reason) => Opened { gpu: None, reason, verdict: None, checks: Vec::new() },
        None => match Gpu::new().await {
            Ok(gpu) => {
                Opened { gpu: Some(Arc::new(gpu)), reason: String::new(), verdict, checks: Vec::new() }
            }
            Err(GpuError::NoAdapter(_)) => Opened {
                gpu: None,
                reason: "no WebGPU: this browser offers no adapter".into(),
                verdict: None,
                checks: Vec::new(),
            },
            Err(e) => {
                Opened { gpu: None, reason: format!("no WebGPU: {e}"), verdict: None, checks: Vec::new() }
            }
        },
    };
    OPENED.with(|c| *c.borrow_mut() = Some(o.clone()));
    o
}

/// The backend for a run: the GPU when there is one, it passed (or passes now) the self-check
/// against the CPU, and it is a hardware adapter — or a software one with `force`
/// (`backend=gpu`); else the CPU, with the reason.
async fn shared_compute(hint: Option<&str>, force: bool) -> (Compute, Vec<check::CheckItem>) {
    let mut o = opened(hint).await;
    let Some(gpu) = o.gpu.clone() else {
        return (Compute::cpu(o.reason.clone()), Vec::new());
    };
    // A lost device (a driver reset, an uncaptured error) stays lost: this worker's runs go
    // to the CPU, and each says so (the page shows it once and stops sending runs to the GPU).
    if let Some(why) = gpu.lost() {
        let compute = Compute::cpu(format!("the GPU device was lost ({why})"));
        compute.fell_back("this run", &GpuError::Lost(why));
        return (compute, o.checks.clone());
    }
    if gpu.is_software() && !force {
        let why = format!(
            "the WebGPU adapter {} is a software renderer, slower than this CPU path (backend=gpu uses it anyway)",
            gpu.name()
        );
        return (Compute::cpu(why), o.checks.clone());
    }
    if o.verdict.is_none() {
        let checks = check::self_check(&gpu).await;
        let failed: Vec<&str> = checks.iter().filter(|c| !c.ok).map(|c| c.kernel).collect();
        o.verdict = Some(if failed.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the WebGPU adapter {} failed the self-check of {}",
                gpu.describe(),
                failed.join(", ")
            ))
        });
        o.checks = checks;
        OPENED.with(|c| *c.borrow_mut() = Some(o.clone()));
    }
    match &o.verdict {
        Some(Err(why)) => (Compute::cpu(why.clone()), o.checks.clone()),
        _ => (Compute::with_gpu(gpu), o.checks.clone()),
    }
}

#[derive(serde::Serialize)]
struct StatusOut<'a> {
    #[serde(flatten)]
    status: crate::compute::ComputeStatus,
    checks: &'a [check::CheckItem],
}

fn status_value(compute: &Compute, checks: &[check::CheckItem]) -> JsValue {
    let out = StatusOut { status: compute.status(), checks };
    out.serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .unwrap_or(JsValue::NULL)
}

/// The kernels the GPU self-check compares (see [`check::KERNELS`]).
#[wasm_bindgen]
pub fn check_kernels() -> Vec<String> {
    check::KERNELS.iter().map(|k| k.to_string()).collect()
}

/// The backend this thread would use, as an object `{backend: "gpu"|"cpu", adapter,
/// software, description, reason, fallbacks, checks}`; opens the GPU on first call and runs
/// the self-check unless the adapter is a software renderer (`force`: check and use it anyway,
/// as `backend=gpu` does). `software` is also true when a software adapter was passed over.
#[wasm_bindgen]
pub async fn compute_status(force: Option<bool>) -> JsValue {
    let (compute, checks) = shared_compute(None, force.unwrap_or(false)).await;
    let mut status = compute.status();
    if let Some(g) = opened(None).await.gpu {
        status.software = g.is_software();
        status.adapter = Some(g.name().to_string());
    }
    let out = StatusOut { status, checks: &checks };
    out.serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .unwrap_or(JsValue::NULL)
}

/// Open this thread's GPU (as a run with `hint` would) and destroy its device, as a driver
/// reset would: the browser tests of the fallback to the CPU. Returns false when there is
/// no GPU to lose.
#[wasm_bindgen]
pub async fn debug_lose_gpu(hint: Option<String>) -> bool {
    match opened(hint.as_deref()).await.gpu {
        Some(g) => {
            g.destroy();
            true
        }
        None => false,
    }
}

thread_local! {
    /// The backend of this thread's last run (for the status line).
    static USED: RefCell<Option<(Compute, Vec<check::CheckItem>)>> = const { RefCell::new(None) };
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = hpRelaxedGemm, js_name = pack)]
    fn relaxed_pack(a: &[f32], m: usize, k: usize) -> Result<u32, JsValue>;
    #[wasm_bindgen(catch, js_namespace = hpRelaxedGemm, js_name = gemm)]
    fn relaxed_gemm(
        id: u32,
        b: &[f32],
        c: &mut [f32],
        n: usize,
        alpha: f32,
        beta: f32,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = hpRelaxedGemm, js_name = release)]
    fn relaxed_release(id: u32) -> Result<(), JsValue>;
}

/// The relaxed-SIMD GEMM module as the page's loader (www/js/relaxed-gemm.js) exposes it:
/// `hpRelaxedGemm`, which copies the operands between the two modules' memories.
struct RelaxedGemm;

impl crate::compute::relaxed::Module for RelaxedGemm {
    fn pack(&self, a: &[f32], m: usize, k: usize) -> Result<u32, String> {
        relaxed_pack(a, m, k).map_err(|e| format!("{e:?}"))
    }
    fn gemm(&self, id: u32, b: &[f32], c: &mut [f32], n: usize, alpha: f32, beta: f32) -> Result<(), String> {
        relaxed_gemm(id, b, c, n, alpha, beta).map_err(|e| format!("{e:?}"))
    }
    fn release(&self, id: u32) {
        // A module that failed has nothing left to release.
        let _ = relaxed_release(id);
    }
}

/// Let this thread's f32 products use the relaxed-SIMD GEMM module (`on`: the page's loader
/// has put `hpRelaxedGemm` in place) or not.
#[wasm_bindgen]
pub fn use_relaxed_gemm(on: bool) {
    let module: Option<std::rc::Rc<dyn crate::compute::relaxed::Module>> =
        on.then(|| std::rc::Rc::new(RelaxedGemm) as _);
    crate::compute::relaxed::install(module);
}

/// The backend this thread's last run used, if any: the same object as [`compute_status`],
/// or `undefined`.
#[wasm_bindgen]
pub fn compute_used() -> JsValue {
    USED.with(|c| {
        c.borrow().as_ref().map_or(JsValue::UNDEFINED, |(compute, checks)| status_value(compute, checks))
    })
}

/// Compute `reps` Gram products `X·Xᵀ` of a random `p × n` f32 matrix on `backend`
/// (`cpu` or `gpu`; GPU: upload, compute and readback each time) and return the sum of
/// the last one's entries. The benchmark script times the call.
#[wasm_bindgen]
pub async fn bench_gram(p: usize, n: usize, reps: usize, backend: String) -> Result<f64, JsError> {
    if p.saturating_mul(p.max(n)) > 64 << 20 {
        return Err(JsError::new("bench_gram: at most 64M entries"));
    }
    thread_local! {
        static INPUT: RefCell<Option<Mat<f32>>> = const { RefCell::new(None) };
    }
    // Draw the input once per shape, outside what the benchmark times.
    let x = INPUT.with(|slot| {
        let mut slot = slot.borrow_mut();
        match slot.as_ref() {
            Some(x) if (x.rows, x.cols) == (p, n) => x.clone(),
            _ => {
                let mut rng = crate::rng::seeded(1, 1);
                let data = (0..p * n).map(|_| crate::rng::normal(&mut rng) as f32).collect();
                let x = Mat { rows: p, cols: n, data };
                *slot = Some(x.clone());
                x
            }
        }
    });
    let compute = if backend == "gpu" {
        let (c, _) = shared_compute(None, true).await;
        if !c.uses_gpu() {
            return Err(JsError::new(&c.describe()));
        }
        c
    } else {
        Compute::cpu("benchmark")
    };
    let mut sum = 0.0;
    for _ in 0..reps {
        sum = compute.gram(&x).await.data.iter().map(|&v| f64::from(v)).sum();
    }
    Ok(sum)
}

/// Run the experiment of `query` (only the comma-separated `parts`, or all when empty)
/// and return the same JSON text as `hopfield run QUERY --format json`.
///
/// `gpu` is what the page already knows of the GPU: `"verified"` (another worker's
/// self-check passed), `"software"` (passed, but a software renderer: used only with
/// `backend=gpu`), `"cpu:REASON"` (use the CPU), or empty (open and check it here).
/// Labs that never use the GPU do not open it.
#[wasm_bindgen]
pub async fn run(
    query: String,
    parts: String,
    progress: Option<js_sys::Function>,
    gpu: Option<String>,
) -> Result<String, JsError> {
    let parts: Vec<&str> = parts.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    let mut p = JsProgress { callback: progress, last: -1 };
    let state = from_query(&query).state();
    let lab_gpu = state.as_ref().is_some_and(|s| s.lab.runner.as_ref().is_some_and(|r| r.gpu));
    let backend = state.as_ref().map_or("auto", |s| s.params.choice("backend"));
    let (compute, checks) = if lab_gpu && backend != "cpu" {
        shared_compute(gpu.as_deref(), backend == "gpu").await
    } else if lab_gpu {
        (Compute::cpu("backend=cpu"), Vec::new())
    } else {
        (Compute::cpu("this lab runs on the CPU"), Vec::new())
    };
    USED.with(|u| *u.borrow_mut() = Some((compute.clone(), checks)));
    let report = api::run_query(&query, &parts, &mut p, &compute).await;
    report.map(|r| r.to_json()).map_err(|e| JsError::new(&e.to_string()))
}

/// One CSV table of the run (the CLI's `--format csv --table NAME`; empty: the first).
#[wasm_bindgen]
pub async fn run_csv(query: String, table: String) -> Result<String, JsError> {
    let compute = Compute::cpu("WebAssembly");
    let mut p = JsProgress { callback: None, last: -1 };
    let report = api::run_query(&query, &[], &mut p, &compute).await;
    let report = report.map_err(|e| JsError::new(&e.to_string()))?;
    let table = if table.is_empty() { None } else { Some(table.as_str()) };
    report.to_csv(table).map_err(|e| JsError::new(&e.to_string()))
}

/// RGBA pixels of a heatmap (see [`plot::heatmap_rgba`]); `cmap` is viridis, diverging or gray.
#[wasm_bindgen]
pub fn heatmap_rgba(values: &[f64], lo: f64, hi: f64, cmap: &str) -> Vec<u8> {
    plot::heatmap_rgba(values, lo, hi, Colormap::from_name(cmap))
}

/// Nice axis ticks over `[lo, hi]`.
#[wasm_bindgen]
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    plot::nice_ticks(lo, hi, target)
}

/// The RNG portability digest (see [`crate::rng::portability_digest`]).
#[wasm_bindgen]
pub fn rng_digest(seed: u32) -> Vec<f64> {
    crate::rng::portability_digest(u64::from(seed))
}
