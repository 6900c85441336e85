//! The browser face: the only module that touches `wasm_bindgen`. Every function
//! takes and returns plain data (JSON text, numbers, byte buffers); the page
//! (`www/js`) does the drawing.

pub mod dense;

use crate::api;
use crate::compute::Compute;
use crate::labs::{LABS, Progress};
use crate::params::{Params, format_value, from_query};
use crate::plot::{self, Colormap};
use serde_json::{Value as Json, json};
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
                "built": lab.runner.is_some(),
                "parts": lab.runner.as_ref().map(|r| r.parts),
                "params": params.specs(),
            })
        })
        .collect();
    Json::Array(list).to_string()
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

/// Run the experiment of `query` (only the comma-separated `parts`, or all when empty)
/// and return the same JSON text as `hopfield run QUERY --format json`.
#[wasm_bindgen]
pub async fn run(
    query: String,
    parts: String,
    progress: Option<js_sys::Function>,
) -> Result<String, JsError> {
    let parts: Vec<&str> = parts.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    let mut p = JsProgress { callback: progress, last: -1 };
    let compute = Compute::cpu("WebAssembly");
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
