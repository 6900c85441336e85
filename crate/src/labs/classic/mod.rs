//! Lab 0 — the classic Hopfield network (Hopfield 1982; Amit, Gutfreund & Sompolinsky 1985).
//!
//! Parameters (URL / CLI keys), the consistency rules between them, and the two
//! parts of the result: `recall` (one network, one probe, the step-by-step recall)
//! and `capacity` (success rate against the load P/N).

pub mod capacity;
pub mod model;

use self::capacity::{CapacityConfig, capacity_curve};
use self::model::{Hebbian, Mode, Recall, corrupt};
use super::{Cell, LabDef, LabFuture, Output, Part, Progress, RunError, Runner, Table};
use crate::compute::Compute;
use crate::data;
use crate::params::{Kind, Notice, ParamSpec, Params, Value};
use crate::rng::{self, seeded, stream};
use serde::Serialize;

/// Largest network of the recall view.
pub const MAX_N: i64 = 1024;
/// Largest number of stored patterns.
pub const MAX_P: i64 = 512;

const PARAMS: &[ParamSpec] = &[
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

/// The registry entry.
pub const LAB: LabDef = LabDef {
    id: "classic",
    title: "Classic Hopfield network",
    summary: "Hebbian storage of ±1 patterns or digits, step-by-step recall from a corrupted probe, the energy, and the ≈0.14 N capacity limit.",
    source: "Hopfield (1982); Amit, Gutfreund & Sompolinsky (1985) — the baseline every source compares against",
    params: PARAMS,
    runner: Some(Runner {
        parts: &[
            Part { name: "recall", keys: &["data", "n", "p", "target", "flip", "flips", "mode", "steps"] },
            Part {
                name: "capacity",
                keys: &["cap_n", "cap_max", "cap_points", "cap_trials", "flip", "mode", "steps"],
            },
        ],
        check,
        run,
        gpu: false,
    }),
};

/// Digit data has 64 neurons and at most 10 class means.
fn effective_n(p: &Params) -> usize {
    if p.choice("data") == "random" { p.usize("n") } else { 64 }
}

fn check(p: &mut Params, notices: &mut Vec<Notice>) {
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

/// The stored patterns (`P × N`, ±1) and the display width of one pattern.
fn patterns(p: &Params) -> (Vec<Vec<i8>>, usize) {
    let count = p.usize("p");
    let threshold = |v: f64| if v >= 8.0 { 1i8 } else { -1 };
    match p.choice("data") {
        "digits" => {
            let means = data::digit_class_means();
            (means.iter().take(count).map(|img| img.iter().map(|&v| threshold(v)).collect()).collect(), 8)
        }
        "samples" => {
            let all = data::digits();
            let mut rng = seeded(p.seed(), stream::PATTERNS);
            let picks = rng::choose_distinct(&mut rng, all.len(), count);
            (
                picks
                    .iter()
                    .map(|&i| all[i].pixels.iter().map(|&v| threshold(f64::from(v))).collect())
                    .collect(),
                8,
            )
        }
        _ => {
            let n = p.usize("n");
            let mut rng = seeded(p.seed(), stream::PATTERNS);
            let pats = (0..count).map(|_| rng::spins(&mut rng, n)).collect();
            (pats, (n as f64).sqrt().ceil() as usize)
        }
    }
}

fn mode(p: &Params) -> Mode {
    if p.choice("mode") == "sync" { Mode::Sync } else { Mode::Async }
}

/// The `recall` part's JSON fields.
#[derive(Serialize)]
struct RecallOut<'a> {
    n: usize,
    p: usize,
    /// Pixels per row when a pattern is drawn as an image.
    width: usize,
    data: &'static str,
    patterns: &'a [Vec<i8>],
    /// `W`, `N` rows of `N`.
    weights: Vec<&'a [f64]>,
    target: usize,
    probe: &'a [i8],
    /// Indices flipped by the random noise (before the clicked pixels).
    flipped: &'a [usize],
    mode: Mode,
    #[serde(flatten)]
    recall: &'a Recall,
    /// Overlap of the final state with the target pattern.
    final_overlap: f64,
    /// The stored pattern with the largest |overlap| at the end, and that overlap.
    best_match: usize,
    best_overlap: f64,
    /// The final state equals the target pattern.
    recalled: bool,
}

fn run<'a>(
    p: &'a Params,
    parts: &'a [&'a str],
    progress: &'a mut dyn Progress,
    _compute: &'a Compute,
) -> LabFuture<'a> {
    // Integer-exact and small: always on the CPU.
    Box::pin(async move { run_cpu(p, parts, progress) })
}

fn run_cpu(p: &Params, parts: &[&str], progress: &mut dyn Progress) -> Result<Output, RunError> {
    let mut out = Output::default();
    if parts.contains(&"recall") {
        let (pats, width) = patterns(p);
        let n = effective_n(p);
        let net = Hebbian::new(n, &pats);
        let target = p.usize("target").min(pats.len().saturating_sub(1));
        let extra: Vec<usize> = p.list("flips").iter().filter_map(|&i| usize::try_from(i).ok()).collect();
        let (probe, flipped) =
            corrupt(&pats[target], p.float("flip"), &extra, &mut seeded(p.seed(), stream::PROBE));
        let recall =
            net.recall(&probe, mode(p), p.usize("steps"), &mut seeded(p.seed(), stream::ORDER), true);
        let overlaps = net.overlaps(&recall.final_state);
        let best_match =
            (0..overlaps.len()).fold(0, |b, i| if overlaps[i].abs() > overlaps[b].abs() { i } else { b });
        let best_overlap = overlaps[best_match];
        let w = net.weights();
        let mut table = Table {
            name: "trajectory",
            columns: ["step", "energy", "overlap_target", "best_overlap", "changed"]
                .map(String::from)
                .to_vec(),
            rows: Vec::new(),
        };
        for f in &recall.frames {
            let best = f.overlaps.iter().fold(0.0f64, |a, &m| if m.abs() > a.abs() { m } else { a });
            table.rows.push(vec![
                f.step.into(),
                f.energy.into(),
                f.overlaps[target].into(),
                best.into(),
                f.changed.into(),
            ]);
        }
        out.merge(RecallOut {
            n,
            p: pats.len(),
            width,
            data: p.choice("data"),
            patterns: &pats,
            weights: w.chunks(n).collect(),
            target,
            probe: &probe,
            flipped: &flipped,
            mode: mode(p),
            recall: &recall,
            final_overlap: overlaps[target],
            best_match,
            best_overlap,
            recalled: recall.final_state == pats[target],
        });
        out.tables.push(table);
    }
    if parts.contains(&"capacity") {
        let cfg = CapacityConfig {
            n: p.usize("cap_n"),
            max_load: p.float("cap_max"),
            points: p.usize("cap_points"),
            trials: p.usize("cap_trials"),
            flip: p.float("flip"),
            mode: mode(p),
            max_steps: p.usize("steps"),
            seed: p.seed(),
        };
        let curve = capacity_curve(&cfg, progress);
        let mut table = Table {
            name: "capacity",
            columns: ["load", "patterns", "exact", "near", "mean_overlap"].map(String::from).to_vec(),
            rows: Vec::new(),
        };
        for i in 0..curve.load.len() {
            let row: Vec<Cell> = vec![
                curve.load[i].into(),
                curve.patterns[i].into(),
                curve.exact[i].into(),
                curve.near[i].into(),
                curve.mean_overlap[i].into(),
            ];
            table.rows.push(row);
        }
        out.merge(serde_json::json!({ "capacity": curve }));
        out.tables.push(table);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::NoProgress;
    use crate::params::from_query;

    fn params(q: &str) -> Params {
        from_query(&format!("lab=classic&{q}")).state().expect("classic").params
    }

    #[test]
    fn digits_clamp_p_and_target() {
        let parsed = from_query("lab=classic&data=digits&p=30&target=20");
        let p = parsed.state().expect("classic").params;
        assert_eq!((p.int("p"), p.int("target")), (10, 9));
        assert_eq!(parsed.notices.len(), 2);
    }

    #[test]
    fn digit_patterns_are_64_pixel_images() {
        let (pats, width) = patterns(&params("data=digits&p=10"));
        assert_eq!((pats.len(), width), (10, 8));
        assert!(pats.iter().all(|x| x.len() == 64));
        // The mean "1" is a narrow vertical stroke: far fewer lit pixels than the mean "0".
        let lit = |x: &Vec<i8>| x.iter().filter(|&&v| v == 1).count();
        assert!(lit(&pats[1]) < lit(&pats[0]), "{} vs {}", lit(&pats[1]), lit(&pats[0]));
    }

    #[test]
    fn default_run_recalls_the_probe() {
        let out = run_cpu(&params(""), &["recall"], &mut NoProgress).expect("runs");
        assert_eq!(out.json["recalled"], serde_json::json!(true));
        assert_eq!(out.json["flipped"].as_array().map(Vec::len), Some(15));
    }

    #[test]
    fn clicked_pixels_toggle_the_probe() {
        let a = run_cpu(&params("flip=0"), &["recall"], &mut NoProgress).expect("runs");
        let b = run_cpu(&params("flip=0&flips=3,5"), &["recall"], &mut NoProgress).expect("runs");
        let (pa, pb) = (&a.json["probe"], &b.json["probe"]);
        for i in 0..100 {
            if i == 3 || i == 5 {
                assert_eq!(pa[i].as_i64(), pb[i].as_i64().map(|x| -x));
            } else {
                assert_eq!(pa[i], pb[i]);
            }
        }
    }
}
