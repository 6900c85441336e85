//! The classic lab's parameter table, the consistency rules between its keys and the
//! work of its parts. Its parts enforce no limit beyond the table's ranges: recall holds
//! `P × N` patterns and the `N × N` weights (8 MiB at N = 1024), the capacity curve one
//! network at a time.

use super::capacity::{self, CapacityConfig};
use super::model::{self, Mode};
use crate::params::{Kind, Notice, ParamSpec, Params, Value};

/// Largest network of the recall view.
pub const MAX_N: i64 = 1024;
/// Largest number of stored patterns.
pub const MAX_P: i64 = 512;
/// Largest number of painted patterns (they travel in the link: 32 × 172 characters at N = 1024).
pub const MAX_PAINTED: usize = 32;
/// The patterns a visitor starts painting from.
pub const STARTER: &str = "H.O.P";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        key: "data",
        label: "Patterns",
        help: "random: i.i.d. ±1 patterns of N neurons; digits: the mean 8×8 image of digits 0…P−1 thresholded at 8/16 (N = 64); samples: P random 8×8 digit images thresholded at 8/16; painted: the patterns in pats (draw them, type letters, or load a CSV).",
        group: "Patterns",
        kind: Kind::Choice { options: &["random", "digits", "samples", "painted"] },
        default: Value::Choice("random"),
    },
    ParamSpec {
        key: "pats",
        label: "Painted patterns",
        help: "With data=painted: the stored patterns, '.'-separated, each a letter A–Z or 0–9 (drawn into the grid) or _ and its N bits in base64url (what painting writes). At most 32 patterns.",
        group: "Patterns",
        kind: Kind::Tokens { max_count: MAX_PAINTED, max_chars: 1 + (MAX_N as usize).div_ceil(6) },
        default: Value::Tokens(Vec::new()),
    },
    ParamSpec {
        key: "n",
        label: "Neurons N",
        help: "Number of neurons for random and painted patterns (digit data always has N = 64).",
        group: "Patterns",
        kind: Kind::Int { min: 4, max: MAX_N },
        default: Value::Int(100),
    },
    ParamSpec {
        key: "p",
        label: "Stored patterns P",
        help: "How many patterns are stored (digits: at most 10).",
        group: "Patterns",
        kind: Kind::Int { min: 1, max: MAX_P },
        default: Value::Int(10),
    },
    ParamSpec {
        key: "target",
        label: "Probe pattern",
        help: "Index of the stored pattern the probe is made from.",
        group: "Probe",
        kind: Kind::Int { min: 0, max: MAX_P - 1 },
        default: Value::Int(0),
    },
    ParamSpec {
        key: "flip",
        label: "Bits flipped",
        help: "Fraction of the probe's bits flipped at random.",
        group: "Probe",
        kind: Kind::Float { min: 0.0, max: 0.5, log: false },
        default: Value::Float(0.15),
    },
    ParamSpec {
        key: "flips",
        label: "Clicked pixels",
        help: "Neurons toggled by hand after the random flips (click the probe to edit).",
        group: "Probe",
        kind: Kind::IntList { min: 0, max: MAX_N - 1, max_len: MAX_N as usize },
        default: Value::IntList(Vec::new()),
    },
    ParamSpec {
        key: "mode",
        label: "Updates",
        help: "async: one neuron at a time in random order (energy never rises); sync: all at once (may 2-cycle).",
        group: "Recall",
        kind: Kind::Choice { options: &["async", "sync"] },
        default: Value::Choice("async"),
    },
    ParamSpec {
        key: "steps",
        label: "Max steps",
        help: "Cap on sweeps (async) or synchronous updates.",
        group: "Recall",
        kind: Kind::Int { min: 1, max: 500 },
        default: Value::Int(30),
    },
    ParamSpec {
        key: "cap_n",
        label: "Capacity N",
        help: "Neurons of the random networks of the capacity curve.",
        group: "Capacity",
        kind: Kind::Int { min: 20, max: 1000 },
        default: Value::Int(200),
    },
    ParamSpec {
        key: "cap_max",
        label: "Max load P/N",
        help: "Right end of the capacity curve's load axis.",
        group: "Capacity",
        kind: Kind::Float { min: 0.02, max: 1.0, log: false },
        default: Value::Float(0.24),
    },
    ParamSpec {
        key: "cap_points",
        label: "Load points",
        help: "Number of loads on the capacity curve.",
        group: "Capacity",
        kind: Kind::Int { min: 2, max: 60 },
        default: Value::Int(12),
    },
    ParamSpec {
        key: "cap_trials",
        label: "Trials per load",
        help: "Independent networks and probes per load.",
        group: "Capacity",
        kind: Kind::Int { min: 1, max: 500 },
        default: Value::Int(20),
    },
];

/// Digit data has 64 neurons and at most 10 class means; random and painted data have `n`.
pub fn effective_n(p: &Params) -> usize {
    if matches!(p.choice("data"), "random" | "painted") { p.usize("n") } else { 64 }
}

/// The width of the grid a pattern of `n` neurons is drawn in.
pub fn grid_width(p: &Params) -> usize {
    match p.choice("data") {
        "digits" | "samples" => 8,
        _ => (p.usize("n") as f64).sqrt().ceil() as usize,
    }
}

pub fn mode(p: &Params) -> Mode {
    if p.choice("mode") == "sync" { Mode::Sync } else { Mode::Async }
}

pub fn capacity_config(p: &Params) -> CapacityConfig {
    CapacityConfig {
        n: p.usize("cap_n"),
        max_load: p.float("cap_max"),
        points: p.usize("cap_points"),
        trials: p.usize("cap_trials"),
        flip: p.float("flip"),
        mode: mode(p),
        max_steps: p.usize("steps"),
        seed: p.seed(),
    }
}

/// An estimate of the operations of `part`: the recall part builds the weights
/// (`P·N²`), records one recall and writes the weights, the frames and the energy trace
/// as JSON (about 100 operations a number); the capacity curve is what its progress
/// counts ([`capacity::work`]).
pub fn cost(p: &Params, part: &str) -> f64 {
    match part {
        "recall" => {
            let (n, count, steps) = (effective_n(p), p.usize("p"), p.usize("steps"));
            let numbers = n * n + (steps + 1) * (2 * n + count);
            (count * n * n) as f64 + model::recall_work(n, count, steps, true) + 100.0 * numbers as f64
        }
        "capacity" => capacity::work(&capacity_config(p)),
        _ => 0.0,
    }
}

pub fn check(p: &mut Params, notices: &mut Vec<Notice>) {
    if p.choice("data") == "painted" {
        let (n, cols) = (p.usize("n"), grid_width(p));
        let tokens = p.tokens("pats").to_vec();
        let (ok, bad): (Vec<String>, Vec<String>) =
            tokens.into_iter().partition(|t| crate::params::bits::decode(t, n, cols).is_some());
        if !bad.is_empty() {
            notices.push(Notice::new(
                "pats",
                format!("{} painted pattern(s) do not fit N = {n} (a letter A–Z/0–9, or _ and {} base64url characters); dropped", bad.len(), n.div_ceil(6)),
            ));
        }
        let ok = if ok.is_empty() {
            notices.push(Notice::new("pats", format!("no painted patterns yet: starting from {STARTER}")));
            STARTER.split('.').map(str::to_string).collect()
        } else {
            ok
        };
        // P is the number of painted patterns.
        p.set("p", Value::Int(ok.len() as i64));
        p.set("pats", Value::Tokens(ok));
    }
    if p.choice("data") == "digits" && p.int("p") > 10 {
        notices.push(Notice::new("p", format!("digits has 10 classes; p={} clamped to 10", p.int("p"))));
        p.set("p", Value::Int(10));
    }
    if p.int("target") >= p.int("p") {
        let t = p.int("p") - 1;
        notices.push(Notice::new(
            "target",
            format!("target={} is not below p={}; using {t}", p.int("target"), p.int("p")),
        ));
        p.set("target", Value::Int(t));
    }
    let n = effective_n(p) as i64;
    let flips = p.list("flips").to_vec();
    if flips.iter().any(|&i| i >= n) {
        let kept: Vec<i64> = flips.into_iter().filter(|&i| i < n).collect();
        notices.push(Notice::new("flips", format!("clicked pixels beyond N={n} dropped")));
        p.set("flips", Value::IntList(kept));
    }
}
