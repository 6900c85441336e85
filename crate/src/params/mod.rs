//! The parameter schema: one table per lab is the single source of truth for the
//! page's controls, the URL query, the defaults, the ranges and the CLI.
//!
//! A query string (`v=1&lab=classic&n=100&seed=42…`) is split into pairs here
//! ([`split_query`]); `api::from_query` resolves the lab and fills its [`Params`], which
//! never fails: unknown keys are ignored with a notice, unparsable or non-finite values
//! fall back to the default, out-of-range values are clamped, and every change is
//! reported as a [`Notice`]. This layer knows no lab: tables are passed in.

pub mod bits;
pub mod spec;

use serde::Serialize;

/// Queries longer than this are cut before parsing (a hostile URL cannot make the parser slow).
pub const MAX_QUERY_LEN: usize = 65_536;

/// Split a query string (with or without a leading `?` or `#`) into decoded `key=value`
/// pairs, in order; a query over [`MAX_QUERY_LEN`] is cut, with a notice. Never panics.
pub fn split_query(query: &str) -> (Vec<(String, String)>, Vec<Notice>) {
    let mut notices = Vec::new();
    let mut q = query.trim();
    q = q.strip_prefix('?').or_else(|| q.strip_prefix('#')).unwrap_or(q);
    if q.len() > MAX_QUERY_LEN {
        let mut cut = MAX_QUERY_LEN;
        while !q.is_char_boundary(cut) {
            cut -= 1;
        }
        q = &q[..cut];
        notices.push(Notice::new(
            "",
            format!("the query is longer than {MAX_QUERY_LEN} characters; the rest was ignored"),
        ));
    }
    let pairs = form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    (pairs, notices)
}

/// The query schema version this build reads and writes (`v=`).
pub const SCHEMA_VERSION: u32 = 1;

/// What values a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Kind {
    /// An integer in `min..=max`.
    Int { min: i64, max: i64 },
    /// A finite float in `min..=max`; `log` asks the page for a logarithmic slider.
    Float { min: f64, max: f64, log: bool },
    /// One of a fixed list of names.
    Choice { options: &'static [&'static str] },
    /// `true`/`false` (`1`/`0` are accepted too).
    Bool,
    /// A comma-separated list of distinct integers in `min..=max`, at most `max_len` long.
    IntList { min: i64, max: i64, max_len: usize },
    /// A `.`-separated list of URL-safe tokens (`[A-Za-z0-9_-]`, at most `max_chars` each),
    /// at most `max_count` of them (patterns painted in the page: see [`bits`]).
    Tokens { max_count: usize, max_chars: usize },
    /// A comma-separated list of distinct names (`[a-z0-9_-]`, at most 32 characters each),
    /// at most `max_len` long (figure names, parameter keys).
    Names { max_len: usize },
    /// A comma-separated list of finite numbers in `min..=max`, at most `max_len` long
    /// (points drawn with the mouse: `x0,y0,x1,y1,…`; written with 4 significant digits).
    FloatList { min: f64, max: f64, max_len: usize },
}

/// A parameter value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Float(f64),
    Choice(&'static str),
    Bool(bool),
    IntList(Vec<i64>),
    FloatList(Vec<f64>),
    Names(Vec<String>),
    Tokens(Vec<String>),
}

/// One row of a lab's parameter table.
#[derive(Debug, Clone, Serialize)]
pub struct ParamSpec {
    /// The URL / CLI key.
    pub key: &'static str,
    /// The control's label on the page.
    pub label: &'static str,
    /// One sentence for the tooltip and the CLI help.
    pub help: &'static str,
    /// Which control group of the page it belongs to.
    pub group: &'static str,
    pub kind: Kind,
    pub default: Value,
}

impl ParamSpec {
    /// Validate a raw query value: `Ok(value)` when it is valid as written, `Err` with the
    /// replacement and why when it had to be clamped or replaced.
    pub fn parse(&self, raw: &str) -> Result<Value, Rejected> {
        let raw = raw.trim();
        // Unreadable text falls back to the default.
        let fallback =
            |why: String| Err(Rejected { value: self.default.clone(), message: why, unreadable: true });
        match self.kind {
            Kind::Int { min, max } => {
                let Ok(x) = raw.parse::<f64>() else {
                    return fallback(format!(
                        "{}={raw:?} is not a number; using the default {}",
                        self.key,
                        show(&self.default)
                    ));
                };
                if !x.is_finite() {
                    return fallback(format!(
                        "{}={raw} is not finite; using the default {}",
                        self.key,
                        show(&self.default)
                    ));
                }
                let r = x.round();
                if r < min as f64 || r > max as f64 {
                    let c = r.clamp(min as f64, max as f64) as i64;
                    return Err(Rejected {
                        value: Value::Int(c),
                        message: format!("{}={raw} is outside {min}..{max}; clamped to {c}", self.key),
                        unreadable: false,
                    });
                }
                if r != x || raw.parse::<i64>().is_err() {
                    return Err(Rejected {
                        value: Value::Int(r as i64),
                        message: format!("{}={raw} is not an integer; using {}", self.key, r as i64),
                        unreadable: false,
                    });
                }
                Ok(Value::Int(r as i64))
            }
            Kind::Float { min, max, .. } => {
                let Ok(x) = raw.parse::<f64>() else {
                    return fallback(format!(
                        "{}={raw:?} is not a number; using the default {}",
                        self.key,
                        show(&self.default)
                    ));
                };
                if !x.is_finite() {
                    return fallback(format!(
                        "{}={raw} is not finite; using the default {}",
                        self.key,
                        show(&self.default)
                    ));
                }
                if x < min || x > max {
                    let c = x.clamp(min, max);
                    return Err(Rejected {
                        value: Value::Float(c),
                        message: format!("{}={raw} is outside {min}..{max}; clamped to {c}", self.key),
                        unreadable: false,
                    });
                }
                // -0.0 and 0.0 print differently; keep one spelling so the query round-trips.
                Ok(Value::Float(if x == 0.0 { 0.0 } else { x }))
            }
            Kind::Choice { options } => match options.iter().find(|o| o.eq_ignore_ascii_case(raw)) {
                Some(o) => Ok(Value::Choice(o)),
                None => fallback(format!(
                    "{}={raw:?} is not one of {}; using the default {}",
                    self.key,
                    options.join(", "),
                    show(&self.default)
                )),
            },
            Kind::Bool => match raw.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(Value::Bool(true)),
                "0" | "false" | "no" | "off" => Ok(Value::Bool(false)),
                _ => fallback(format!(
                    "{}={raw:?} is not true or false; using the default {}",
                    self.key,
                    show(&self.default)
                )),
            },
            Kind::Tokens { max_count, max_chars } => {
                let mut out: Vec<String> = Vec::new();
                let mut problems = Vec::new();
                for part in raw.split('.').map(str::trim).filter(|p| !p.is_empty()) {
                    let ok = part.len() <= max_chars
                        && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if !ok {
                        problems.push(format!("a token of {} characters is not valid", part.chars().count()));
                    } else if out.len() >= max_count {
                        problems.push(format!("more than {max_count} entries"));
                        break;
                    } else {
                        out.push(part.to_string());
                    }
                }
                if problems.is_empty() {
                    Ok(Value::Tokens(out))
                } else {
                    let kept = out.len();
                    problems.truncate(3);
                    Err(Rejected {
                        value: Value::Tokens(out),
                        message: format!(
                            "{}: dropped {}; kept {kept} entries",
                            self.key,
                            problems.join(", ")
                        ),
                        unreadable: false,
                    })
                }
            }
            Kind::Names { max_len } => {
                let mut out: Vec<String> = Vec::new();
                let mut problems = Vec::new();
                for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let ok = part.len() <= 32
                        && part
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
                    if !ok {
                        problems
                            .push(format!("{:?} is not a name", part.chars().take(32).collect::<String>()));
                    } else if out.iter().any(|o| o == part) {
                        problems.push(format!("duplicate {part}"));
                    } else if out.len() >= max_len {
                        problems.push(format!("more than {max_len} entries"));
                        break;
                    } else {
                        out.push(part.to_string());
                    }
                }
                if problems.is_empty() {
                    Ok(Value::Names(out))
                } else {
                    let kept = out.len();
                    problems.truncate(3);
                    Err(Rejected {
                        value: Value::Names(out),
                        message: format!(
                            "{}: dropped {}; kept {kept} entries",
                            self.key,
                            problems.join(", ")
                        ),
                        unreadable: false,
                    })
                }
            }
            Kind::FloatList { min, max, max_len } => {
                let mut out: Vec<f64> = Vec::new();
                let mut problems = Vec::new();
                for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    if out.len() >= max_len {
                        problems.push(format!("more than {max_len} entries"));
                        break;
                    }
                    match part.parse::<f64>() {
                        Ok(x) if x.is_finite() => {
                            // Drawn points carry 4 significant digits; keep the link short and canonical.
                            let r = crate::plot::scene::round_sig(x.clamp(min, max), 4);
                            if r != x {
                                problems.push(format!("{part} rounded or clamped to {r}"));
                            }
                            out.push(if r == 0.0 { 0.0 } else { r });
                        }
                        _ => problems.push(format!("{part:?} not a finite number")),
                    }
                }
                if problems.is_empty() {
                    Ok(Value::FloatList(out))
                } else {
                    let kept = out.len();
                    problems.truncate(3);
                    Err(Rejected {
                        value: Value::FloatList(out),
                        message: format!("{}: {}; kept {kept} entries", self.key, problems.join(", ")),
                        unreadable: false,
                    })
                }
            }
            Kind::IntList { min, max, max_len } => {
                let mut out: Vec<i64> = Vec::new();
                let mut problems = Vec::new();
                for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match part.parse::<i64>() {
                        Ok(x) if (min..=max).contains(&x) => {
                            if !out.contains(&x) {
                                out.push(x);
                            } else {
                                problems.push(format!("duplicate {x}"));
                            }
                        }
                        Ok(x) => problems.push(format!("{x} outside {min}..{max}")),
                        Err(_) => problems.push(format!("{part:?} not an integer")),
                    }
                    if out.len() > max_len {
                        out.truncate(max_len);
                        problems.push(format!("more than {max_len} entries"));
                        break;
                    }
                }
                if problems.is_empty() {
                    Ok(Value::IntList(out))
                } else {
                    let kept = out.len();
                    Err(Rejected {
                        value: Value::IntList(out),
                        message: format!(
                            "{}: dropped {}; kept {kept} entries",
                            self.key,
                            problems.join(", ")
                        ),
                        unreadable: false,
                    })
                }
            }
        }
    }

    /// Clamp a value produced in code (not from a URL) into range; returns the value unchanged when valid.
    pub fn clamp(&self, v: Value) -> Value {
        match self.parse(&format_value(&v)) {
            Ok(v) | Err(Rejected { value: v, .. }) => v,
        }
    }
}

/// Why a raw value was not taken as written, and what was used instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub value: Value,
    pub message: String,
    /// The text could not be read at all (the value is the default).
    pub unreadable: bool,
}

/// The canonical text of a value, as written in a query.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        // Rust's `{}` for f64 is the shortest text that parses back to the same number.
        Value::Float(x) => format!("{x}"),
        Value::Choice(c) => (*c).to_string(),
        Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        Value::IntList(xs) => xs.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
        Value::FloatList(xs) => xs.iter().map(|x| format!("{x}")).collect::<Vec<_>>().join(","),
        Value::Names(xs) => xs.join(","),
        Value::Tokens(xs) => xs.join("."),
    }
}

fn show(v: &Value) -> String {
    let s = format_value(v);
    if s.is_empty() { "(none)".into() } else { s }
}

/// Something the parser (or a lab's own consistency check) changed, shown to the visitor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    /// The key concerned (empty for the query as a whole).
    pub key: String,
    pub message: String,
    /// The value could not be read at all and fell back to the default (the page then keeps
    /// the previous value of a control instead).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unreadable: bool,
}

impl Notice {
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        Self { key: key.to_string(), message: message.into(), unreadable: false }
    }
}

/// Parameters shared by every lab, listed before the lab's own.
pub const COMMON: &[ParamSpec] = &[
    ParamSpec {
        key: "seed",
        label: "Seed",
        help: "Seed of every random draw; the same seed gives the same numbers everywhere.",
        group: "Run",
        kind: Kind::Int { min: 0, max: 4_294_967_295 },
        default: Value::Int(42),
    },
    ParamSpec {
        key: "backend",
        label: "Compute",
        help: "auto uses WebGPU when the browser offers a hardware adapter that passes the self-check (a software renderer such as SwiftShader is slower than the CPU path, so auto skips it); cpu forces the CPU path; gpu uses any adapter that passes the self-check.",
        group: "Run",
        kind: Kind::Choice { options: &["auto", "cpu", "gpu"] },
        default: Value::Choice("auto"),
    },
    ParamSpec {
        key: "embed",
        label: "Embed view",
        help: "1 hides the header and the controls (for an <iframe>); the numbers do not change.",
        group: "hidden",
        kind: Kind::Bool,
        default: Value::Bool(false),
    },
    ParamSpec {
        key: "panels",
        label: "Embedded figures",
        help: "With embed=1: the figures shown, by name (empty: all).",
        group: "hidden",
        kind: Kind::Names { max_len: 32 },
        default: Value::Names(Vec::new()),
    },
    ParamSpec {
        key: "controls",
        label: "Embedded controls",
        help: "With embed=1: the parameter controls shown to the reader, by key (empty: none).",
        group: "hidden",
        kind: Kind::Names { max_len: 64 },
        default: Value::Names(Vec::new()),
    },
];

/// A lab's values, in the order of its table (`COMMON` first, then the lab's own).
#[derive(Debug, Clone)]
pub struct Params {
    specs: Vec<&'static ParamSpec>,
    values: Vec<Value>,
    /// When set, every key read through [`Params::get`] is recorded (the test that a part
    /// reads only the keys it declares).
    reads: Option<std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<&'static str>>>>,
    /// Keys whose values another key determines (klr's `cell` sets `p` and `gamma`): they are
    /// read and shown like any other, but links leave them out.
    derived: Vec<&'static str>,
}

impl PartialEq for Params {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values && self.specs.iter().map(|s| s.key).eq(other.specs.iter().map(|s| s.key))
    }
}

impl Params {
    /// The defaults of a table.
    pub fn defaults(own: &'static [ParamSpec]) -> Self {
        let specs: Vec<&'static ParamSpec> = COMMON.iter().chain(own.iter()).collect();
        let values = specs.iter().map(|s| s.default.clone()).collect();
        Self { specs, values, reads: None, derived: Vec::new() }
    }

    /// Start recording the keys read from now on (clones share the record).
    pub fn track_reads(&mut self) {
        self.reads = Some(std::sync::Arc::default());
    }

    /// A copy that records no reads (for checks that look at every part's keys, such as the
    /// limits, which do not make a part depend on them).
    pub fn untracked(&self) -> Params {
        Params { reads: None, ..self.clone() }
    }

    /// The keys read since [`Params::track_reads`].
    pub fn keys_read(&self) -> Vec<&'static str> {
        self.reads
            .as_ref()
            .and_then(|r| r.lock().ok().map(|s| s.iter().copied().collect()))
            .unwrap_or_default()
    }

    pub fn specs(&self) -> &[&'static ParamSpec] {
        &self.specs
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.key == key)
    }

    /// The spec of `key`, if the table has it.
    pub fn spec(&self, key: &str) -> Option<&'static ParamSpec> {
        self.position(key).map(|i| self.specs[i])
    }

    /// The value of `key`. Keys are compile-time constants of the lab's own table;
    /// asking for one that is not there is a programming error caught by the tests
    /// that run every lab with its defaults.
    pub fn get(&self, key: &str) -> &Value {
        match self.position(key) {
            Some(i) => {
                if let Some(r) = &self.reads
                    && let Ok(mut set) = r.lock()
                {
                    set.insert(self.specs[i].key);
                }
                &self.values[i]
            }
            None => panic!("parameter {key:?} is not in this lab's table"),
        }
    }

    pub fn int(&self, key: &str) -> i64 {
        match self.get(key) {
            Value::Int(i) => *i,
            other => panic!("parameter {key:?} is not an integer: {other:?}"),
        }
    }

    /// A non-negative integer as a count or size.
    pub fn usize(&self, key: &str) -> usize {
        usize::try_from(self.int(key).max(0)).unwrap_or(usize::MAX)
    }

    pub fn float(&self, key: &str) -> f64 {
        match self.get(key) {
            Value::Float(x) => *x,
            other => panic!("parameter {key:?} is not a float: {other:?}"),
        }
    }

    pub fn choice(&self, key: &str) -> &'static str {
        match self.get(key) {
            Value::Choice(c) => c,
            other => panic!("parameter {key:?} is not a choice: {other:?}"),
        }
    }

    pub fn flag(&self, key: &str) -> bool {
        match self.get(key) {
            Value::Bool(b) => *b,
            other => panic!("parameter {key:?} is not a flag: {other:?}"),
        }
    }

    pub fn list(&self, key: &str) -> &[i64] {
        match self.get(key) {
            Value::IntList(xs) => xs,
            other => panic!("parameter {key:?} is not a list: {other:?}"),
        }
    }

    pub fn tokens(&self, key: &str) -> &[String] {
        match self.get(key) {
            Value::Tokens(xs) => xs,
            other => panic!("parameter {key:?} is not a list of tokens: {other:?}"),
        }
    }

    pub fn names(&self, key: &str) -> &[String] {
        match self.get(key) {
            Value::Names(xs) => xs,
            other => panic!("parameter {key:?} is not a list of names: {other:?}"),
        }
    }

    pub fn floats(&self, key: &str) -> &[f64] {
        match self.get(key) {
            Value::FloatList(xs) => xs,
            other => panic!("parameter {key:?} is not a list of numbers: {other:?}"),
        }
    }

    pub fn seed(&self) -> u64 {
        self.int("seed") as u64
    }

    /// Set `key` from code (a lab's consistency fix); the value is clamped into range.
    pub fn set(&mut self, key: &str, v: Value) {
        if let Some(i) = self.position(key) {
            self.values[i] = self.specs[i].clamp(v);
            self.derived.retain(|&k| k != key);
        }
    }

    /// Set `key` to a value another key determines: read as usual, left out of links (the
    /// link carries the key that determines it).
    pub fn set_derived(&mut self, key: &str, v: Value) {
        if let Some(i) = self.position(key) {
            self.values[i] = self.specs[i].clamp(v);
            let k = self.specs[i].key;
            if !self.derived.contains(&k) {
                self.derived.push(k);
            }
        }
    }

    /// Whether `key` was set by [`Params::set_derived`] (and not since by [`Params::set`]).
    pub fn is_derived(&self, key: &str) -> bool {
        self.derived.contains(&key)
    }

    /// Set `key` from query text, returning the notice when the text was not valid as written.
    pub fn set_raw(&mut self, key: &str, raw: &str) -> Option<Notice> {
        let i = self.position(key)?;
        match self.specs[i].parse(raw) {
            Ok(v) => {
                self.values[i] = v;
                None
            }
            Err(r) => {
                self.values[i] = r.value;
                Some(Notice { key: key.to_string(), message: r.message, unreadable: r.unreadable })
            }
        }
    }

    /// `key=value` pairs of every parameter, in table order.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, String)> + '_ {
        self.specs.iter().zip(&self.values).map(|(s, v)| (s.key, format_value(v)))
    }
}
