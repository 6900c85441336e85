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
//!
//! Limits: every size or work limit a part enforces is a [`Limit`] listed by the lab's
//! `limits(&Params)` (in its `params.rs`, beside the table), computed by the same
//! functions the part sizes its work with. [`run`] refuses a part whose limit fails, and
//! the lab's `check` calls [`fit_limits`] so that a link never gets there: it is clamped up
//! front with a notice naming the limit. The lab's `cost(&Params, part)` estimates the
//! work of a part from the same functions (`crate/tests/limits.rs` runs every parameter
//! of every lab at its extremes, and runs the parts whose cost is small).

pub mod cite;
pub mod classic;
pub mod dense;
pub mod elcd;
pub mod hetero;
pub mod hhd;
pub mod khopfield;
pub mod klr;
pub mod papers;
pub mod softkmeans;
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
    /// The papers the lab implements (first: the main source), for its Cite box.
    pub sources: &'static [&'static cite::Citation],
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
    /// after parsing; every change is reported. It fits the [`Limit`]s of `limits` with
    /// [`fit_limits`] (before the rules that depend on the keys it may clamp).
    pub check: fn(&mut Params, &mut Vec<Notice>),
    /// Every limit the parts enforce, at these parameters ([`no_limits`] when there are none).
    pub limits: fn(&Params) -> Vec<Limit>,
    /// An estimate of the work of one part at these parameters (multiply–adds and the
    /// like; for one shard when the part is sharded), from the functions the part itself
    /// sizes its work, progress or shards with. Tests run the cheap ones.
    pub cost: fn(&Params, &str) -> f64,
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
    /// Turn a visitor's file (CSV, image…) into link parameters (`None`: the lab takes no files).
    /// Read in the page, never uploaded; the CLI reads the same file with `--data FILE`.
    pub import: Option<ImportFn>,
}

/// Read a file (its name and bytes) for a lab, given the current parameters: what it sets, or
/// a message saying what is wrong with the file.
pub type ImportFn = fn(&Params, &str, &[u8]) -> Result<Import, String>;

/// What a visitor's file does: keys to set (small data travels in the link itself), and
/// whether the file must stay at hand as the lab's data (large data: the page passes it to
/// every compute worker, [`crate::data::user_file`]; a shared link says it needs the file).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Import {
    pub set: Vec<(String, String)>,
    pub keep_file: bool,
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
pub static LABS: &[LabDef] =
    &[classic::LAB, klr::LAB, hhd::LAB, dense::LAB, hetero::LAB, softkmeans::LAB, khopfield::LAB, elcd::LAB];

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
    #[error("{what} is too large: {} exceeds the limit of {} ({why})", count(*size), count(*limit))]
    TooLarge { what: &'static str, size: u64, limit: u64, why: String },
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
    if let Some(l) = (runner.limits)(&params.untracked()).into_iter().find(|l| !l.ok() && l.applies_to(parts))
    {
        return Err(l.error());
    }
    (runner.run)(params, parts, progress, compute).await
}

/// A limit a part enforces, evaluated at some parameters: `size` may not exceed `limit`.
///
/// A lab lists its limits in one function `limits(&Params) -> Vec<Limit>` that computes
/// each `size` with the same functions the part sizes its arrays or its work with, and
/// each `limit` from the same constants; [`run`] refuses a part whose limit fails, and
/// the lab's `check` calls [`fit_limits`], which clamps the first of `keys` (then the
/// next, when even its extreme does not do) as little as possible until the limit holds.
/// List first the key the limit depends on last: `cap_max` for `round(cap_max·N) ≤
/// limit`, not `n`, which every part reads. `size` must not decrease when a key moves
/// away from its clamp direction (monotone), and each key's extreme must be allowed or
/// a later key must fix the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// What is limited, with its formula: "the capacity curve's largest P = round(cap_max·N)".
    pub what: &'static str,
    pub size: u64,
    pub limit: u64,
    /// Where the limit comes from (constants, the N it depends on).
    pub why: String,
    /// The keys `check` moves to satisfy it, in order.
    pub keys: &'static [&'static str],
    /// The parts that refuse to run past it.
    pub parts: &'static [&'static str],
}

impl Limit {
    pub fn ok(&self) -> bool {
        self.size <= self.limit
    }

    /// Whether any of `parts` enforces it.
    pub fn applies_to(&self, parts: &[&str]) -> bool {
        self.parts.iter().any(|p| parts.contains(p))
    }

    /// The refusal of a part.
    pub fn error(&self) -> RunError {
        RunError::TooLarge { what: self.what, size: self.size, limit: self.limit, why: self.why.clone() }
    }
}

/// The `limits` of a lab whose parts enforce none.
pub fn no_limits(_: &Params) -> Vec<Limit> {
    Vec::new()
}

/// A count for a message: digits up to a million, then 3 significant digits (`2.15e14`).
pub fn count(x: u64) -> String {
    if x <= 1_000_000 {
        x.to_string()
    } else {
        let s = format!("{:.2e}", x as f64);
        s.replace(".00e", "e").replace("0e", "e")
    }
}

/// Clamp `p` until every limit of `limits` holds: for each failing limit, move its keys in
/// order (see [`Limit`]), each as little as possible, with a notice naming the limit.
pub fn fit_limits(p: &mut Params, limits: fn(&Params) -> Vec<Limit>, notices: &mut Vec<Notice>) {
    let names: Vec<&'static str> = limits(p).iter().map(|l| l.what).collect();
    for what in names {
        let find = |q: &Params| limits(q).into_iter().find(|l| l.what == what);
        let Some(first) = find(p).filter(|l| !l.ok()) else { continue };
        let holds = |q: &Params| find(q).is_none_or(|l| l.ok());
        let (mut moves, mut moved) = (Vec::new(), None);
        for &key in first.keys {
            let old = crate::params::format_value(p.get(key));
            let Some(raised) = fit_key(p, key, &holds) else { continue };
            let new = crate::params::format_value(p.get(key));
            if new != old {
                moved.get_or_insert(key);
                moves.push(format!("{key}={old} {} to {new}", if raised { "raised" } else { "lowered" }));
            }
            if holds(p) {
                break;
            }
        }
        notices.push(Notice::new(
            moved.or(first.keys.first().copied()).unwrap_or(""),
            format!(
                "{} would be {}, beyond its limit of {} ({}); {}",
                first.what,
                count(first.size),
                count(first.limit),
                first.why,
                if moves.is_empty() { "nothing could be clamped".to_string() } else { moves.join(", ") }
            ),
        ));
    }
}

/// Move `key` as little as possible towards the end of its range where `holds` is true
/// (or to its lower end when neither end helps). `Some(true)` when it was raised.
fn fit_key(p: &mut Params, key: &str, holds: &dyn Fn(&Params) -> bool) -> Option<bool> {
    use crate::params::{Kind, Value};
    let spec = p.spec(key)?;
    let at = |v: Value| {
        let mut q = p.clone();
        q.set(key, v);
        holds(&q)
    };
    // Bisect between the current value (the limit fails there) and the end where it holds.
    match (spec.kind, p.get(key).clone()) {
        (Kind::Int { min, max }, Value::Int(cur)) => {
            let (mut good, raise) = if at(Value::Int(min)) {
                (min, false)
            } else if at(Value::Int(max)) {
                (max, true)
            } else {
                p.set(key, Value::Int(min));
                return Some(false);
            };
            let mut bad = cur;
            while (good - bad).abs() > 1 {
                let mid = bad + (good - bad) / 2;
                if at(Value::Int(mid)) { good = mid } else { bad = mid }
            }
            p.set(key, Value::Int(good));
            Some(raise)
        }
        (Kind::Float { min, max, .. }, Value::Float(cur)) => {
            let (mut good, raise) = if at(Value::Float(min)) {
                (min, false)
            } else if at(Value::Float(max)) {
                (max, true)
            } else {
                p.set(key, Value::Float(min));
                return Some(false);
            };
            let mut bad = cur;
            for _ in 0..200 {
                let mid = 0.5 * (good + bad);
                if mid == good || mid == bad {
                    break;
                }
                if at(Value::Float(mid)) { good = mid } else { bad = mid }
            }
            // The shortest number within 1% of the boundary that still holds (0.5, not 0.50024).
            let nice = (1..=17)
                .map(|digits| round_sig(good, digits, raise))
                .find(|&v| {
                    (v - good).abs() <= 0.01 * good.abs() && (min..=max).contains(&v) && at(Value::Float(v))
                })
                .unwrap_or(good);
            p.set(key, Value::Float(nice));
            Some(raise)
        }
        _ => None,
    }
}

/// `x` rounded to `digits` significant digits, up or down.
fn round_sig(x: f64, digits: i32, up: bool) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let e = x.abs().log10().floor() as i32;
    let s = digits - 1 - e;
    let r = |v: f64| if up { v.ceil() } else { v.floor() };
    if s >= 0 {
        let f = 10f64.powi(s);
        r(x * f) / f
    } else {
        let f = 10f64.powi(-s);
        r(x / f) * f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::from_query;
    use crate::params::Value;

    #[test]
    fn round_sig_rounds_in_the_asked_direction() {
        assert_eq!(round_sig(0.500244, 1, false), 0.5);
        assert_eq!(round_sig(0.001005, 3, true), 0.00101);
        assert_eq!(round_sig(1234.0, 2, false), 1200.0);
        assert_eq!(round_sig(1234.0, 2, true), 1300.0);
        assert_eq!(round_sig(3.98965, 3, false), 3.98);
    }

    #[test]
    fn counts_are_short() {
        assert_eq!(count(8192), "8192");
        assert_eq!(count(10_000_000), "1e7");
        assert_eq!(count(15_000_000), "1.5e7");
        assert_eq!(count(215_000_000_000_000), "2.15e14");
    }

    /// A limit that its first key cannot satisfy alone (one row of 64 loads of P ≈ 3000–4000
    /// at 20 000 epochs is still too much work) moves the next key, as little as possible.
    #[test]
    fn fit_limits_moves_the_next_key_when_the_first_cannot_do() {
        let parsed = from_query("lab=klr&n=100&sweep=1&epochs=20000&sw_gn=64&sw_ln=64&sw_lmin=30&sw_lmax=40");
        let p = parsed.state().expect("klr").params;
        let runner = find("klr").and_then(|l| l.runner.as_ref()).expect("klr runs");
        let ln = p.int("sw_ln");
        assert_eq!(p.int("sw_gn"), 1);
        assert!((2..64).contains(&ln), "{ln}");
        assert!((runner.limits)(&p).iter().all(Limit::ok));
        let mut more = p.clone();
        more.set("sw_ln", Value::Int(ln + 1));
        let work = |q: &Params| (runner.limits)(q).into_iter().find(|l| l.what == "the sweep's work");
        assert!(work(&more).is_some_and(|l| !l.ok()), "sw_ln = {ln} is the largest that fits");
        let n = parsed.notices.iter().find(|n| n.key == "sw_gn").expect("a notice");
        assert!(
            n.message.contains(&format!("sw_gn=64 lowered to 1, sw_ln=64 lowered to {ln}")),
            "{}",
            n.message
        );
        assert!(n.message.starts_with("the sweep's work would be "), "{}", n.message);
    }
}
