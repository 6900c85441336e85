//! The one path from a query string to a result, shared by the page (through
//! `web`) and the `hopfield` CLI: parse → run → JSON / CSV.

use crate::compute::Compute;
use crate::labs::{self, Output, Progress, RunError};
use crate::params::{Notice, State, from_query};
use serde_json::{Map, Value as Json};

/// Why a query produced no result.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the query names no known lab (use lab=one of: {0})")]
    NoLab(String),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("unknown table {0:?} (this result has: {1})")]
    UnknownTable(String, String),
}

/// A finished run: the validated state, what was changed to get it, and the output.
#[derive(Debug)]
pub struct Report {
    pub state: State,
    pub notices: Vec<Notice>,
    pub output: Output,
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
    let output = labs::run(state.lab, &state.params, parts, progress, compute).await?;
    Ok(Report { state, notices: parsed.notices, output })
}

/// [`run_query`] on the CPU, blocking until done (native tools and tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn run_query_cpu(query: &str, parts: &[&str], progress: &mut dyn Progress) -> Result<Report, ApiError> {
    pollster::block_on(run_query(query, parts, progress, &Compute::cpu("CPU requested")))
}

impl Report {
    /// The JSON object: `lab`, the canonical `query`, the `notices`, then the lab's fields.
    pub fn to_json_value(&self) -> Json {
        let mut m = Map::new();
        m.insert("lab".into(), Json::from(self.state.lab.id));
        m.insert("query".into(), Json::from(self.state.to_query()));
        m.insert("notices".into(), serde_json::to_value(&self.notices).unwrap_or(Json::Null));
        for (k, v) in &self.output.json {
            m.insert(k.clone(), v.clone());
        }
        Json::Object(m)
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
        assert!(matches!(
            run_query_cpu("lab=elcd", &[], &mut NoProgress),
            Err(ApiError::Run(RunError::NotBuilt("elcd")))
        ));
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
