//! The page's side of the lab contract: one [`LabView`] per open lab holds the parameters,
//! the results of finished parts, the pieces of running ones and the view state, and hands
//! the page laid-out figures ([`crate::plot::scene::Scene`]) to paint, plus their SVG, CSV
//! and JSON for downloads. The page never computes a figure itself.

use crate::api::{self, State, from_query};
use crate::labs::{FigureDef, LabDef, View};
use crate::params::Notice;
use crate::plot::layout::EXPORT_WIDTH;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use wasm_bindgen::prelude::*;

/// A lab open in the page.
#[wasm_bindgen]
pub struct LabView {
    lab: &'static LabDef,
    state: State,
    notices: Vec<Notice>,
    view: View,
}

#[derive(Serialize)]
struct Rendered<'a> {
    name: &'a str,
    title: &'a str,
    wide: bool,
    caption: &'a [String],
    controls: &'a [crate::plot::figure::Control],
    scene: &'a crate::plot::scene::Scene,
}

fn err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

impl LabView {
    fn def(&self, name: &str) -> Result<&'static FigureDef, JsError> {
        api::figure_def(self.lab, Some(name)).map_err(err)
    }
}

#[wasm_bindgen]
impl LabView {
    /// Open the lab of `query` (an error for the landing page or an unbuilt lab).
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str) -> Result<LabView, JsError> {
        let parsed = from_query(query);
        let state = parsed.state().ok_or_else(|| err("the query names no lab"))?;
        let lab = state.lab;
        let view = View::new(state.params.clone());
        Ok(LabView { lab, state, notices: parsed.notices, view })
    }

    /// New parameters (results already shown stay until their parts rerun).
    pub fn set_query(&mut self, query: &str) -> Result<(), JsError> {
        let parsed = from_query(query);
        let state = parsed.state().ok_or_else(|| err("the query names no lab"))?;
        if state.lab.id != self.lab.id {
            return Err(err("the query names another lab"));
        }
        self.view.params = state.params.clone();
        self.state = state;
        self.notices = parsed.notices;
        Ok(())
    }

    /// The result of `part` arrived: the JSON text a worker returned.
    pub fn set_result(&mut self, part: &str, json: &str) -> Result<(), JsError> {
        let Json::Object(map) = serde_json::from_str::<Json>(json).map_err(err)? else {
            return Err(err("a result must be a JSON object"));
        };
        self.view.set_result(part, map);
        Ok(())
    }

    /// The results of the shards of `part` (JSON texts, in shard order): merge and take them in.
    pub fn merge_shards(&mut self, part: &str, shards: js_sys::Array) -> Result<(), JsError> {
        let shards_def = self
            .lab
            .runner
            .as_ref()
            .and_then(|r| r.shards.as_ref())
            .ok_or_else(|| err("this lab has no shards"))?;
        let mut parsed = Vec::new();
        for s in shards.iter() {
            let text = s.as_string().ok_or_else(|| err("a shard result must be text"))?;
            parsed.push(serde_json::from_str::<Json>(&text).map_err(err)?);
        }
        let merged = (shards_def.merge)(part, parsed).map_err(err)?;
        let Json::Object(map) = merged else {
            return Err(err("a merged result must be a JSON object"));
        };
        self.view.set_result(part, map);
        Ok(())
    }

    /// A piece streamed by running `part` (JSON text).
    pub fn add_piece(&mut self, part: &str, json: &str) -> Result<(), JsError> {
        let piece = serde_json::from_str::<Json>(json).map_err(err)?;
        self.view.pieces.entry(part.to_string()).or_default().push(piece);
        Ok(())
    }

    /// Progress of running `part`.
    pub fn set_progress(&mut self, part: &str, done: f64, total: f64) {
        self.view.progress.insert(part.to_string(), (done.max(0.0) as usize, total.max(0.0) as usize));
    }

    /// `part` starts again (its pieces and progress are dropped; its old results stay on show).
    pub fn restart(&mut self, part: &str) {
        self.view.restart(part);
    }

    /// `part` stopped without a result (it failed or was cancelled): its progress ends; the
    /// pieces it streamed stay on show.
    pub fn stop(&mut self, part: &str) {
        self.view.progress.remove(part);
    }

    /// The lab's estimate of the work of `part` at the current parameters (0: nothing to
    /// compute, e.g. a sweep that is switched off; the page then runs it unsharded).
    pub fn cost(&self, part: &str) -> f64 {
        self.lab.runner.as_ref().map_or(0.0, |r| (r.cost)(&self.view.params, part))
    }

    /// Set a view-state value (`NaN` removes it).
    pub fn set_ui(&mut self, key: &str, value: f64) {
        if value.is_finite() {
            self.view.ui.insert(key.to_string(), value);
        } else {
            self.view.ui.remove(key);
        }
    }

    /// Paint `cells` of token `token` of the pattern list `key` (`n` cells in a grid `cols`
    /// wide): the new text of `key` (see `params::bits::paint`).
    pub fn paint(
        &self,
        key: &str,
        token: usize,
        n: usize,
        cols: usize,
        cells: Vec<u32>,
    ) -> Result<String, JsError> {
        let spec = self.view.params.spec(key).ok_or_else(|| err(format!("no parameter {key}")))?;
        let text = crate::params::format_value(self.view.params.get(spec.key));
        let cells: Vec<usize> = cells.into_iter().map(|c| c as usize).collect();
        crate::params::bits::paint(&text, token, n, cols, &cells)
            .ok_or_else(|| err("that pattern cannot be painted"))
    }

    /// Whether `part` has a finished result.
    pub fn has(&self, part: &str) -> bool {
        self.view.has(part)
    }

    /// Build figure `name` and lay it out at `width` px: `{name, title, caption, controls, scene}`.
    pub fn render(&self, name: &str, width: f64) -> Result<JsValue, JsError> {
        let def = self.def(name)?;
        let (fig, scene) = api::render(def, &self.view, width);
        let out = Rendered {
            name: def.name,
            title: &fig.title,
            wide: fig.wide,
            caption: &fig.caption,
            controls: &fig.controls,
            scene: &scene,
        };
        out.serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true)).map_err(err)
    }

    /// Figure `name` as an SVG document (at the export width, as `hopfield run … --format svg`).
    pub fn svg(&self, name: &str) -> Result<String, JsError> {
        let def = self.def(name)?;
        let (fig, scene) = api::render(def, &self.view, EXPORT_WIDTH);
        Ok(crate::plot::svg::to_svg(&scene, &fig.title))
    }

    /// Figure `name`'s data as CSV.
    pub fn csv(&self, name: &str) -> Result<String, JsError> {
        let def = self.def(name)?;
        Ok((def.build)(&self.view).table().to_csv())
    }

    /// Figure `name`'s description as JSON.
    pub fn figure_json(&self, name: &str) -> Result<String, JsError> {
        let def = self.def(name)?;
        serde_json::to_string(&(def.build)(&self.view)).map_err(err)
    }

    /// The results on the page as `hopfield run QUERY --format json` prints them (the fields
    /// of the finished parts, in the lab's part order).
    pub fn result_json(&self) -> String {
        let order: Vec<&str> =
            self.lab.runner.as_ref().map(|r| r.parts.iter().map(|p| p.name).collect()).unwrap_or_default();
        let mut fields: Map<String, Json> = Map::new();
        for part in order {
            for k in self.view.fields.get(part).map_or(&[][..], Vec::as_slice) {
                if let Some(v) = self.view.data.get(k) {
                    fields.insert(k.clone(), v.clone());
                }
            }
        }
        api::result_json(&self.state, &self.notices, fields.iter()).to_string()
    }
}

/// Read a visitor's file (never uploaded) for the lab of `query`: `{query, keep}` — the new
/// query, with the keys the file sets, and whether the page must keep the file and hand it to
/// the compute workers ([`provide_user_file`]); an error says what is wrong with the file.
#[wasm_bindgen]
pub fn import_file(query: &str, name: &str, bytes: &[u8]) -> Result<JsValue, JsError> {
    let (query, keep) = api::import_file(query, name, bytes).map_err(|e| JsError::new(&e))?;
    let out = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&out, &"query".into(), &query.into());
    let _ = js_sys::Reflect::set(&out, &"keep".into(), &keep.into());
    Ok(out.into())
}

/// Hand this instance the visitor's data file (a worker, before a run that reads it).
#[wasm_bindgen]
pub fn provide_user_file(name: &str, bytes: Vec<u8>) {
    crate::data::set_user_file(name, bytes);
}

/// A fresh random seed (for the page's "New seed" button; it then goes into the link).
#[wasm_bindgen]
pub fn fresh_seed() -> f64 {
    let mut b = [0u8; 4];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)),
        // Without a system source, the clock is as good as a person's choice.
        Err(_) => (js_sys::Date::now() % 4_294_967_296.0).floor(),
    }
}

/// Hand a fetched data asset (e.g. `mnist`) to this instance: checked, then kept.
#[wasm_bindgen]
pub fn provide_asset(name: &str, bytes: Vec<u8>) -> Result<(), JsError> {
    crate::data::provide(name, bytes).map_err(|e| JsError::new(&e))
}

/// The file (under `assets/` on the site) of a fetchable data asset, or `undefined`.
#[wasm_bindgen]
pub fn asset_file(name: &str) -> Option<String> {
    crate::data::asset_file(name).map(str::to_string)
}
