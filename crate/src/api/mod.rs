//! The one path from a query string to a result, shared by the page (through
//! `web`) and the `hopfield` CLI: parse → run → JSON / CSV.

mod query;

pub use query::{DEFAULT_CHANGES, DefaultChange, ParsedQuery, State, from_query, from_query_with};

use crate::compute::Compute;
use crate::labs::{self, FigureDef, LabDef, Output, Progress, RunError, View};
use crate::params::Notice;
use crate::plot::figure::Figure;
use crate::plot::layout::layout;
use crate::plot::scene::Scene;
use serde_json::{Map, Value as Json};

/// Why a query produced no result.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the query names no known lab (use lab=one of: {0})")]
    NoLab(String),
    #[error("unknown figure {0:?} (this lab has: {1})")]
    UnknownFigure(String, String),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("unknown table {0:?} (this result has: {1})")]
    UnknownTable(String, String),
}

/// A finished run: the validated state, what was changed to get it, the parts computed
/// and the output.
#[derive(Debug)]
pub struct Report {
    pub state: State,
    pub notices: Vec<Notice>,
    pub parts: Vec<&'static str>,
    pub output: Output,
}

/// Read a visitor's file for the query's lab: the query with the keys the file sets appended
/// (later keys win) and whether the file must stay at hand as the lab's data, or why the
/// file cannot be used.
pub fn import_file(query: &str, name: &str, bytes: &[u8]) -> Result<(String, bool), String> {
    let state = from_query(query).state().ok_or_else(|| "the query names no lab".to_string())?;
    let import = state
        .lab
        .runner
        .as_ref()
        .and_then(|r| r.import)
        .ok_or_else(|| format!("the {} lab takes no data files", state.lab.id))?;
    let imported = import(&state.params, name, bytes)?;
    let mut q = state.to_query();
    for (k, v) in imported.set {
        q.push('&');
        q.push_str(&form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>());
        q.push('=');
        q.push_str(&form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>());
    }
    Ok((from_query(&q).state().map_or(q, |s| s.to_query()), imported.keep_file))
}

/// The figure definition `name` of `lab` (`None`: its main figure, the first).
pub fn figure_def(lab: &'static LabDef, name: Option<&str>) -> Result<&'static FigureDef, ApiError> {
    let all = || lab.figures().iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
    match name {
        None => lab.figures().first().ok_or_else(|| ApiError::UnknownFigure(String::new(), all())),
        Some(n) => lab.figure(n).ok_or_else(|| ApiError::UnknownFigure(n.to_string(), all())),
    }
}

/// Build figure `def` from a view, and lay it out at `width` px.
pub fn render(def: &FigureDef, view: &View, width: f64) -> (Figure, Scene) {
    let fig = (def.build)(view);
    let scene = layout(&fig, width);
    (fig, scene)
}

/// Run what figure `name` of the query's lab needs (only its parts) and build it.
pub async fn run_figure(
    query: &str,
    name: Option<&str>,
    progress: &mut dyn Progress,
    compute: &Compute,
) -> Result<(Report, Figure), ApiError> {
    let parsed = from_query(query);
    let Some(state) = parsed.state() else {
        return Err(ApiError::NoLab(lab_ids()));
    };
    let def = figure_def(state.lab, name)?;
    if def.parts.is_empty() {
        // Built from the link alone: nothing to run.
        let report = Report { state, notices: parsed.notices, parts: Vec::new(), output: Output::default() };
        let fig = (def.build)(&report.view());
        return Ok((report, fig));
    }
    let report = run_query(query, def.parts, progress, compute).await?;
    let view = report.view();
    let fig = (def.build)(&view);
    Ok((report, fig))
}

/// Every lab id, comma-separated.
pub fn lab_ids() -> String {
    labs::LABS.iter().map(|l| l.id).collect::<Vec<_>>().join(", ")
}

/// Parse `query` and run its lab (the listed `parts`, or all of them) on `compute`
/// (or on the CPU when the query says `backend=cpu`).
pub async fn run_query(
    query: &str,
    parts: &[&str],
    progress: &mut dyn Progress,
    compute: &Compute,
) -> Result<Report, ApiError> {
    let parsed = from_query(query);
    let Some(state) = parsed.state() else {
        return Err(ApiError::NoLab(lab_ids()));
    };
    let forced;
    let compute = if state.params.choice("backend") == "cpu" && compute.uses_gpu() {
        forced = Compute::cpu("backend=cpu in the query");
        &forced
    } else {
        compute
    };
    let all: Vec<&'static str> =
        state.lab.runner.as_ref().map(|r| r.parts.iter().map(|p| p.name).collect()).unwrap_or_default();
    let ran: Vec<&'static str> =
        if parts.is_empty() { all } else { all.into_iter().filter(|p| parts.contains(p)).collect() };
    let output = labs::run(state.lab, &state.params, parts, progress, compute).await?;
    Ok(Report { state, notices: parsed.notices, parts: ran, output })
}

/// [`run_query`] on the CPU, blocking until done (native tools and tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn run_query_cpu(query: &str, parts: &[&str], progress: &mut dyn Progress) -> Result<Report, ApiError> {
    pollster::block_on(run_query(query, parts, progress, &Compute::cpu("CPU requested")))
}

/// The JSON object of a result: `lab`, the canonical `query`, the `notices`, then `fields`
/// (what `hopfield run … --format json` prints, and what the page's JSON button saves).
pub fn result_json<'a>(
    state: &State,
    notices: &[Notice],
    fields: impl Iterator<Item = (&'a String, &'a Json)>,
) -> Json {
    let mut m = Map::new();
    m.insert("lab".into(), Json::from(state.lab.id));
    m.insert("query".into(), Json::from(state.to_query()));
    m.insert("notices".into(), serde_json::to_value(notices).unwrap_or(Json::Null));
    for (k, v) in fields {
        m.insert(k.clone(), v.clone());
    }
    Json::Object(m)
}

impl Report {
    /// The figure view of this finished run (no view state: every figure shows its default).
    pub fn view(&self) -> View {
        View::finished(self.state.params.clone(), self.output.json.clone(), &self.parts)
    }

    /// The JSON object: `lab`, the canonical `query`, the `notices`, then the lab's fields.
    pub fn to_json_value(&self) -> Json {
        result_json(&self.state, &self.notices, self.output.json.iter())
    }

    /// Compact JSON text (byte-identical for the same query).
    pub fn to_json(&self) -> String {
        self.to_json_value().to_string()
    }

    /// One table as CSV: `table`, or the first the lab produced.
    pub fn to_csv(&self, table: Option<&str>) -> Result<String, ApiError> {
        let names = || self.output.tables.iter().map(|t| t.name).collect::<Vec<_>>().join(", ");
        let found = match table {
            None => self.output.tables.first(),
            Some(name) => self.output.tables.iter().find(|t| t.name == name),
        };
        match found {
            Some(t) => Ok(t.to_csv()),
            None => Err(ApiError::UnknownTable(table.unwrap_or("").to_string(), names())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::NoProgress;

    #[test]
    fn same_query_gives_identical_json() {
        let q = "lab=classic&n=64&p=6&flip=0.2&seed=7&cap_n=40&cap_trials=3&cap_points=3";
        let a = run_query_cpu(q, &[], &mut NoProgress).expect("runs").to_json();
        let b = run_query_cpu(q, &[], &mut NoProgress).expect("runs").to_json();
        assert_eq!(a, b);
        assert!(a.starts_with(r#"{"lab":"classic","query":"v=1&lab=classic&seed=7&"#), "{}", &a[..80]);
    }

    #[test]
    fn unknown_lab_is_an_error() {
        assert!(matches!(run_query_cpu("lab=zzz", &[], &mut NoProgress), Err(ApiError::NoLab(_))));
        assert!(matches!(run_query_cpu("", &[], &mut NoProgress), Err(ApiError::NoLab(_))));
        // A lab that is still planned (if any is left) says so.
        if let Some(planned) = labs::LABS.iter().find(|l| l.runner.is_none()) {
            assert!(matches!(
                run_query_cpu(&format!("lab={}", planned.id), &[], &mut NoProgress),
                Err(ApiError::Run(RunError::NotBuilt(id))) if id == planned.id
            ));
        }
    }

    #[test]
    fn csv_tables_are_selectable() {
        let r = run_query_cpu("lab=classic&cap_trials=2&cap_points=2&cap_n=30", &[], &mut NoProgress)
            .expect("runs");
        assert!(r.to_csv(None).expect("first").starts_with("step,energy,overlap_target"));
        let cap = r.to_csv(Some("capacity")).expect("capacity");
        assert_eq!(cap.lines().count(), 3);
        assert!(r.to_csv(Some("nope")).is_err());
    }
}
