//! The lab registry and the lab contract. Each lab is one folder with its math, its
//! parameter table, its `run`, its presets and its figures; adding a lab is a new folder
//! plus one line in [`LABS`].
//!
//! The contract, in short: [`LabDef`] names the lab and its parameter table; its
//! [`Runner`] lists the parts of its result (each with the keys it reads), computes them
//! ([`RunFn`]), lists its [`Preset`]s (runnable as `preset=NAME` in a link or the CLI) and
//! its [`FigureDef`]s. A figure is built from a [`View`] (the parameters, the fields of the
//! finished parts, the pieces of running ones, view state) into a [`Figure`] description;
//! `plot::layout` lays it out and the page paints it, or the CLI writes it as SVG/PNG/CSV.

pub mod classic;
pub mod dense;
pub mod khopfield;
pub mod klr;
mod view;

pub use view::{View, field, num, nums};

use crate::compute::Compute;
use crate::params::{Notice, ParamSpec, Params};
use crate::plot::figure::Figure;
use serde::Serialize;
use serde_json::Value as Json;
use std::future::Future;
use std::pin::Pin;

/// What a lab's `run` returns: a future, so that GPU kernels can await their results
/// (the browser cannot block on the GPU). CPU-only labs return an already-finished one.
pub type LabFuture<'a> = Pin<Box<dyn Future<Output = Result<Output, RunError>> + 'a>>;

/// The signature of a lab's run function: parameters, the parts to compute, progress, compute backend.
pub type RunFn = for<'a> fn(&'a Params, &'a [&'a str], &'a mut dyn Progress, &'a Compute) -> LabFuture<'a>;

/// What a visitor sees about a lab, and how to run it.
#[derive(Debug)]
pub struct LabDef {
    /// The URL id (`lab=`).
    pub id: &'static str,
    pub title: &'static str,
    /// One sentence for the landing page.
    pub summary: &'static str,
    /// The source paper.
    pub source: &'static str,
    /// The lab's own parameters (the common ones — seed, backend — come first automatically).
    pub params: &'static [ParamSpec],
    /// `None` while the lab is not built yet: the landing page says so.
    pub runner: Option<Runner>,
    /// The lab's "About" text (HTML: paragraphs, `<b>`, `<i>`, `<code>`, `<sub>`, `<sup>`, MathML).
    pub about: &'static str,
}

impl LabDef {
    /// The lab's presets (none while it is not built).
    pub fn presets(&self) -> &'static [Preset] {
        self.runner.as_ref().map_or(&[], |r| r.presets)
    }

    /// The preset called `name` (case-insensitive).
    pub fn preset(&self, name: &str) -> Option<&'static Preset> {
        self.presets().iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The lab's figures (none while it is not built).
    pub fn figures(&self) -> &'static [FigureDef] {
        self.runner.as_ref().map_or(&[], |r| r.figures)
    }

    /// The figure called `name`.
    pub fn figure(&self, name: &str) -> Option<&'static FigureDef> {
        self.figures().iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }
}

/// A named setting of a lab: a paper's figure or table, or a telling case.
#[derive(Debug, Serialize)]
pub struct Preset {
    /// Its id in links and on the command line (`preset=NAME`).
    pub name: &'static str,
    /// The button's text.
    pub label: &'static str,
    /// The keys it sets, as a query (`n=100&seed=42&…`); keys it leaves out keep their defaults.
    pub query: &'static str,
    /// The source paper's figure or table it reproduces (empty: none).
    pub reproduces: &'static str,
    /// One sentence: what a visitor will see.
    pub note: &'static str,
}

/// One figure of a lab: a panel box on the page and a file from the CLI.
#[derive(Debug, Serialize)]
pub struct FigureDef {
    /// Its id (`--figure NAME`).
    pub name: &'static str,
    pub title: &'static str,
    /// The parts whose results it draws (the CLI computes only these for it).
    pub parts: &'static [&'static str],
    /// The view-state keys it reads (the page redraws it when one changes).
    pub ui: &'static [&'static str],
    /// Build the description from what is known so far.
    #[serde(skip)]
    pub build: fn(&View) -> Figure,
}

/// A lab's executable half.
#[derive(Debug)]
pub struct Runner {
    /// Parts of the result that can be computed separately (the page reruns only the
    /// parts whose keys changed); each lists the parameter keys it reads.
    pub parts: &'static [Part],
    /// Consistency rules across parameters (e.g. a pattern index below P), applied
    /// after parsing; every change is reported.
    pub check: fn(&mut Params, &mut Vec<Notice>),
    /// Compute the selected parts.
    pub run: RunFn,
    /// Whether `run` can use the GPU; the page opens a GPU device only for such labs.
    pub gpu: bool,
    /// Presets, in the order the page shows them.
    pub presets: &'static [Preset],
    /// Figures, in page order; the first is the lab's main figure.
    pub figures: &'static [FigureDef],
    /// Parts that the page may split into shards (`shard=i&shards=n`, one Web Worker each),
    /// and how to merge the shards' results into the part's result.
    pub shards: Option<Shards>,
}

/// How a part is split across workers and merged back.
#[derive(Debug)]
pub struct Shards {
    pub parts: &'static [&'static str],
    /// Merge the results of every shard of `part` (in shard order) into one result.
    pub merge: fn(part: &str, shards: Vec<Json>) -> Result<Json, RunError>,
}

/// A separately computable part of a lab's result.
#[derive(Debug, Serialize)]
pub struct Part {
    pub name: &'static str,
    /// The parameter keys this part depends on (the seed and backend always count).
    pub keys: &'static [&'static str],
}

/// Every lab of the playground, in landing-page order.
pub static LABS: &[LabDef] = &[
    classic::LAB,
    klr::LAB,
    planned(
        "hhd",
        "Hebbian networks as spiked covariance",
        "The Hebbian coupling as a spiked sample covariance, Marchenko–Pastur edges, and the Hierarchical Hopfield Decomposition of digits.",
        "Hierarchical Hopfield Decomposition (seeds/hierarchical-hopfield-decomposition)",
    ),
    dense::LAB,
    planned(
        "hetero",
        "Correlated random matrices and hetero-associative stability",
        "Eigenvalues of J = Σ η ξᵀ with correlated keys and values, the elliptic law, and where the linear dynamics turn unstable.",
        "Tomoto & Teramae, arXiv:2505.11948 (seeds/hetero-associative-spectral-density)",
    ),
    planned(
        "softkmeans",
        "Soft k-means and implicit differentiation",
        "Soft k-means as an attention fixed point, with unrolled, implicit and Jacobian-free gradients checked against finite differences.",
        "Jaffe, dissertation, Chapter 2 (seeds/jaffe-dissertation-dynamical-systems-memory)",
    ),
    khopfield::LAB,
    planned(
        "elcd",
        "Learning contracting dynamics",
        "Vector fields that are contracting by construction, trained on demonstrations in the browser, against an unconstrained network.",
        "Jaffe, dissertation, Chapter 4 (seeds/jaffe-dissertation-dynamical-systems-memory)",
    ),
];

const fn planned(
    id: &'static str,
    title: &'static str,
    summary: &'static str,
    source: &'static str,
) -> LabDef {
    LabDef { id, title, summary, source, params: &[], runner: None, about: "" }
}

/// The lab with URL id `id` (case-insensitive).
pub fn find(id: &str) -> Option<&'static LabDef> {
    LABS.iter().find(|l| l.id.eq_ignore_ascii_case(id))
}

/// Receives progress from long runs. The page forwards it to the progress bar
/// (and cancels by stopping the worker); the CLI ignores it.
pub trait Progress {
    /// `done` of `total` units of work are finished.
    fn step(&mut self, done: usize, total: usize);
    /// A finished piece of the result that can be shown before the whole run ends
    /// (e.g. one cell of a sweep).
    fn partial(&mut self, _piece: &Json) {}
}

/// A [`Progress`] that discards everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn step(&mut self, _: usize, _: usize) {}
}

/// Why a run produced no result.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the lab {0:?} is not built yet")]
    NotBuilt(&'static str),
    #[error("unknown part {0:?} (this lab has: {1})")]
    UnknownPart(String, String),
    #[error("{what} is too large: {size} exceeds the limit of {limit}")]
    TooLarge { what: &'static str, size: usize, limit: usize },
    #[error("{0}")]
    Invalid(String),
    #[error("the computation diverged: {0}")]
    Diverged(String),
    /// A data asset the page fetches lazily is not loaded yet (the page fetches it and reruns).
    #[error("missing asset: {0}")]
    MissingAsset(&'static str),
}

impl From<crate::data::AssetMissing> for RunError {
    fn from(e: crate::data::AssetMissing) -> Self {
        RunError::MissingAsset(e.name)
    }
}

/// A lab's result: a JSON object (the fields documented in the README) and
/// named tables for CSV output.
#[derive(Debug, Default)]
pub struct Output {
    pub json: serde_json::Map<String, Json>,
    pub tables: Vec<Table>,
}

impl Output {
    /// Add the fields of a serialisable struct (which must serialise as an object).
    pub fn merge(&mut self, fields: impl Serialize) {
        if let Ok(Json::Object(map)) = serde_json::to_value(fields) {
            self.json.extend(map);
        }
    }
}

/// A table for `--format csv`: one header row, then one row per record.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// One CSV cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Num(f64),
    Text(String),
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        Cell::Num(x)
    }
}

impl From<usize> for Cell {
    fn from(x: usize) -> Self {
        Cell::Num(x as f64)
    }
}

impl Table {
    /// RFC 4180 text: header, rows, `\n` line ends; numbers in shortest round-trip form,
    /// non-finite numbers as `NaN`/`inf`/`-inf`.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        out.push_str(&self.columns.iter().map(|c| csv_text(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Cell::Num(x) => format!("{x}"),
                    Cell::Text(t) => csv_text(t),
                })
                .collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

fn csv_text(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// Run `lab` on `params`, computing `parts` (empty: all of them).
pub async fn run(
    lab: &'static LabDef,
    params: &Params,
    parts: &[&str],
    progress: &mut dyn Progress,
    compute: &Compute,
) -> Result<Output, RunError> {
    let Some(runner) = &lab.runner else {
        return Err(RunError::NotBuilt(lab.id));
    };
    for p in parts {
        if !runner.parts.iter().any(|d| d.name == *p) {
            let names: Vec<&str> = runner.parts.iter().map(|d| d.name).collect();
            return Err(RunError::UnknownPart((*p).to_string(), names.join(", ")));
        }
    }
    let all: Vec<&str> = runner.parts.iter().map(|d| d.name).collect();
    let parts = if parts.is_empty() { &all } else { parts };
    (runner.run)(params, parts, progress, compute).await
}
