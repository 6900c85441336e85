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

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        key: "data",
        label: "Patterns",
        help: "random: i.i.d. ±1 patterns of N neurons; digits: the mean 8×8 image of digits 0…P−1 thresholded at 8/16 (N = 64); samples: P random 8×8 digit images thresholded at 8/16.",
        group: "Patterns",
        kind: Kind::Choice { options: &["random", "digits", "samples"] },
        default: Value::Choice("random"),
    },
    ParamSpec {
        key: "n",
        label: "Neurons N",
        help: "Number of neurons for random patterns (digit data always has N = 64).",
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

/// Digit data has 64 neurons and at most 10 class means.
pub fn effective_n(p: &Params) -> usize {
    if p.choice("data") == "random" { p.usize("n") } else { 64 }
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
