//! What a figure is built from: the parameters, the JSON fields of the parts finished so
//! far, the pieces a running part has streamed (sweep cells, training steps), its progress,
//! and view state that is not in the link (an animation frame). The page keeps one per lab
//! view and updates it as results arrive; the CLI fills it from one run.

use crate::params::Params;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// The inputs of a lab's figure builders.
#[derive(Debug, Clone)]
pub struct View {
    pub params: Params,
    /// The fields of every finished part (as `hopfield run … --format json` prints them).
    pub data: Map<String, Json>,
    /// Parts whose results are in `data`, with the fields each brought (in its order).
    pub finished: Vec<String>,
    pub fields: BTreeMap<String, Vec<String>>,
    /// Pieces streamed by running parts, in arrival order.
    pub pieces: BTreeMap<String, Vec<Json>>,
    /// `(done, total)` of running parts.
    pub progress: BTreeMap<String, (usize, usize)>,
    /// View state (not in the link).
    pub ui: BTreeMap<String, f64>,
}

impl View {
    pub fn new(params: Params) -> Self {
        Self {
            params,
            data: Map::new(),
            finished: Vec::new(),
            fields: BTreeMap::new(),
            pieces: BTreeMap::new(),
            progress: BTreeMap::new(),
            ui: BTreeMap::new(),
        }
    }

    /// A view of a finished run (the CLI's).
    pub fn finished(params: Params, data: Map<String, Json>, parts: &[&str]) -> Self {
        let mut v = Self::new(params);
        v.data = data;
        v.finished = parts.iter().map(|p| p.to_string()).collect();
        v
    }

    /// Whether `part` has finished.
    pub fn has(&self, part: &str) -> bool {
        self.finished.iter().any(|p| p == part)
    }

    /// A field of the finished results (`Json::Null` when absent).
    pub fn get(&self, key: &str) -> &Json {
        self.data.get(key).unwrap_or(&Json::Null)
    }

    /// A view-state value, or `default`.
    pub fn ui(&self, key: &str, default: f64) -> f64 {
        self.ui.get(key).copied().filter(|v| v.is_finite()).unwrap_or(default)
    }

    /// Pieces streamed so far by `part`.
    pub fn pieces(&self, part: &str) -> &[Json] {
        self.pieces.get(part).map_or(&[], Vec::as_slice)
    }

    /// Progress of a running `part`.
    pub fn progress(&self, part: &str) -> Option<(usize, usize)> {
        self.progress.get(part).copied()
    }

    /// Take in the result of `part` (the object `hopfield run` prints for it): its fields
    /// replace the old ones (a field of its earlier result that it lacks is gone too, unless
    /// another part brought it), so a view's state depends only on each part's latest result;
    /// streamed pieces and progress of the part are dropped.
    pub fn set_result(&mut self, part: &str, result: Map<String, Json>) {
        if let Some(old) = self.fields.remove(part) {
            for k in old {
                if !self.fields.values().any(|ks| ks.contains(&k)) {
                    self.data.remove(&k);
                }
            }
        }
        let mut keys = Vec::new();
        for (k, v) in result {
            if k != "lab" && k != "query" && k != "notices" {
                keys.push(k.clone());
                self.data.insert(k, v);
            }
        }
        self.fields.insert(part.to_string(), keys);
        if !self.has(part) {
            self.finished.push(part.to_string());
        }
        self.pieces.remove(part);
        self.progress.remove(part);
    }

    /// `part` starts again: forget its streamed pieces (its old fields stay on show).
    pub fn restart(&mut self, part: &str) {
        self.pieces.remove(part);
        self.progress.remove(part);
    }
}

/// A path of object keys and array indices into JSON (`Json::Null` when absent).
pub fn field<'a>(j: &'a Json, path: &str) -> &'a Json {
    let mut cur = j;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        cur = match seg.parse::<usize>() {
            Ok(i) => cur.get(i),
            Err(_) => cur.get(seg),
        }
        .unwrap_or(&Json::Null);
    }
    cur
}

/// A JSON number as f64 (NaN for null or anything else).
pub fn num(j: &Json) -> f64 {
    j.as_f64().unwrap_or(f64::NAN)
}

/// A JSON array of numbers as f64s (NaN where an entry is not a number; empty if not an array).
pub fn nums(j: &Json) -> Vec<f64> {
    j.as_array().map(|a| a.iter().map(num).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_and_numbers_are_read_safely() {
        let j = json!({"a": {"b": [1.5, null, "x"]}});
        assert_eq!(field(&j, "a.b.0"), &json!(1.5));
        assert_eq!(field(&j, "a.c.9"), &Json::Null);
        let v = nums(field(&j, "a.b"));
        assert_eq!(v[0], 1.5);
        assert!(v[1].is_nan() && v[2].is_nan());
        assert!(nums(&json!(3)).is_empty());
    }

    #[test]
    fn a_result_replaces_the_parts_earlier_fields() {
        let obj = |j: Json| match j {
            Json::Object(m) => m,
            _ => Map::new(),
        };
        let params = crate::api::from_query("lab=classic").state().expect("classic").params;
        let mut v = View::new(params);
        v.set_result("a", obj(json!({"x": 1, "shared": 1, "old": 1})));
        v.set_result("b", obj(json!({"shared": 2, "y": 2})));
        v.pieces.insert("a".into(), vec![json!(1)]);
        v.set_result("a", obj(json!({"x": 3})));
        assert_eq!(v.get("x"), &json!(3));
        // Gone with the part's earlier result; kept where another part brought it.
        assert_eq!(v.get("old"), &Json::Null);
        assert_eq!(v.get("shared"), &json!(2));
        assert_eq!(v.get("y"), &json!(2));
        assert!(v.pieces("a").is_empty());
        assert_eq!(v.fields["a"], vec!["x".to_string()]);
    }
}
