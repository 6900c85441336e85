//! The khopfield lab's parameter table and the consistency rules between its keys.

use crate::params::{Kind, Notice, ParamSpec, Params, Value};

/// Largest number of stored memories (MNIST ships 10,000 digits).
pub const MAX_P: i64 = 10_000;
/// Largest `P × N` (stored values): 64 MB in f64, what a browser tab holds comfortably.
pub const MAX_PN: i64 = 8_000_000;
/// Largest `k`.
pub const MAX_K: i64 = 10;
/// Largest random-pattern dimension.
pub const MAX_N: i64 = 4096;
/// Figure 3.2: trials × probes per point (its cost is about that × ΣP × N operations).
pub const MAX_CAP_WORK: i64 = 5_000;
/// Figure 3.7: probes × memories per noise level.
pub const MAX_RK_WORK: i64 = 2_000_000;
/// 8×8 digits available.
pub const DIGITS8: i64 = 1797;

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        key: "data",
        label: "Memories",
        help: "mnist: 28×28 MNIST digits (10,000 ship with the site); digits8: scikit-learn's 1,797 8×8 digits; random: binary images of N pixels (each pixel 0 or full scale with probability ½).",
        group: "Memories",
        kind: Kind::Choice { options: &["mnist", "digits8", "random"] },
        default: Value::Choice("mnist"),
    },
    ParamSpec {
        key: "n",
        label: "Pixels N (random)",
        help: "Dimension of random patterns (MNIST has 784, digits8 64). P × N is limited to 8,000,000.",
        group: "Memories",
        kind: Kind::Int { min: 4, max: MAX_N },
        default: Value::Int(64),
    },
    ParamSpec {
        key: "p",
        label: "Stored memories P",
        help: "How many memories are stored (drawn at random from the data set; digits8 has 1,797; P × N ≤ 8,000,000).",
        group: "Memories",
        kind: Kind::Int { min: 2, max: MAX_P },
        default: Value::Int(100),
    },
    ParamSpec {
        key: "pixels",
        label: "Pixel scale",
        help: "1: pixels in [0, 1]; 255: pixels in 0…255. The success threshold (sum of squares < 50) and β act on this scale; Figure 3.2 needs 255.",
        group: "Memories",
        kind: Kind::Choice { options: &["1", "255"] },
        default: Value::Choice("1"),
    },
    ParamSpec {
        key: "similarity",
        label: "Similarity",
        help: "dot: ξ·x; neg_sqeuclid: −‖ξ − x‖²; neg_manhattan: −Σ|ξ − x| (the dissertation's experiments).",
        group: "Retrieval",
        kind: Kind::Choice { options: &["dot", "neg_sqeuclid", "neg_manhattan"] },
        default: Value::Choice("neg_manhattan"),
    },
    ParamSpec {
        key: "beta",
        label: "Inverse temperature β",
        help: "Scales the similarities before softmax / ksoftmax (the dissertation: 3).",
        group: "Retrieval",
        kind: Kind::Float { min: 1e-4, max: 1e4, log: true },
        default: Value::Float(3.0),
    },
    ParamSpec {
        key: "k",
        label: "Outputs k",
        help: "Columns of ksoftmax: the k-Hopfield layer returns k memories (at most 10, below P). Figures 3.2 and 3.7 draw k = 1…k.",
        group: "Retrieval",
        kind: Kind::Int { min: 1, max: MAX_K },
        default: Value::Int(5),
    },
    ParamSpec {
        key: "probe",
        label: "Probe memory",
        help: "Index of the stored memory the probe is made from (click a memory to probe it).",
        group: "Probe",
        kind: Kind::Int { min: 0, max: MAX_P - 1 },
        default: Value::Int(0),
    },
    ParamSpec {
        key: "occlude",
        label: "Occlusion",
        help: "The half of the probe image set to 0 (the dissertation occludes the top half).",
        group: "Probe",
        kind: Kind::Choice { options: &["none", "top", "bottom", "left", "right"] },
        default: Value::Choice("top"),
    },
    ParamSpec {
        key: "noise",
        label: "Noise σ",
        help: "Standard deviation of Gaussian noise added to every probe pixel, in units of the pixel scale (also used by Figure 3.2's probes).",
        group: "Probe",
        kind: Kind::Float { min: 0.0, max: 3.0, log: false },
        default: Value::Float(0.0),
    },
    ParamSpec {
        key: "paint",
        label: "Painted pixels",
        help: "Probe pixels flipped by hand (v → scale − v) after occlusion and noise: click or drag on the probe.",
        group: "Probe",
        kind: Kind::IntList { min: 0, max: MAX_N - 1, max_len: 1024 },
        default: Value::IntList(Vec::new()),
    },
    ParamSpec {
        key: "steps",
        label: "Iterations",
        help: "Updates of the iterated MCHN and of each iterated k-Hopfield column (the energy plot); the k-Hopfield layer itself is one update.",
        group: "Retrieval",
        kind: Kind::Int { min: 1, max: 50 },
        default: Value::Int(8),
    },
    ParamSpec {
        key: "update",
        label: "Main view",
        help: "khop: the k outputs of the k-Hopfield layer side by side; mchn: the iterated MCHN update (view only: both are computed).",
        group: "View",
        kind: Kind::Choice { options: &["khop", "mchn"] },
        default: Value::Choice("khop"),
    },
    ParamSpec {
        key: "cap_trials",
        label: "Trials",
        help: "Figure 3.2: independent memory sets per point (the dissertation: 10); trials × probes ≤ 5,000.",
        group: "Figure 3.2",
        kind: Kind::Int { min: 1, max: 50 },
        default: Value::Int(10),
    },
    ParamSpec {
        key: "cap_probes",
        label: "Probes per trial",
        help: "Figure 3.2: stored memories probed (occluded as above) per trial.",
        group: "Figure 3.2",
        kind: Kind::Int { min: 1, max: 1000 },
        default: Value::Int(50),
    },
    ParamSpec {
        key: "cap_pmax",
        label: "Largest P",
        help: "Figure 3.2: the memory counts are 100, 200, 500, 1000, … up to this (the dissertation: 10,000), and at most the data set's size and P × N ≤ 8,000,000.",
        group: "Figure 3.2",
        kind: Kind::Int { min: 100, max: MAX_P },
        default: Value::Int(10_000),
    },
    ParamSpec {
        key: "rk_p",
        label: "Memories",
        help: "Figure 3.7: stored memories (the dissertation: 1000).",
        group: "Figure 3.7",
        kind: Kind::Int { min: 10, max: MAX_P },
        default: Value::Int(1000),
    },
    ParamSpec {
        key: "rk_probes",
        label: "Probes",
        help: "Figure 3.7: stored memories probed with noise at each noise level (the dissertation: all of them); probes × memories ≤ 2,000,000.",
        group: "Figure 3.7",
        kind: Kind::Int { min: 1, max: 2000 },
        default: Value::Int(1000),
    },
    ParamSpec {
        key: "rk_noise",
        label: "Largest noise σ",
        help: "Figure 3.7: noise standard deviations from 0 to this, in units of the pixel scale.",
        group: "Figure 3.7",
        kind: Kind::Float { min: 0.01, max: 3.0, log: false },
        default: Value::Float(1.0),
    },
    ParamSpec {
        key: "rk_points",
        label: "Noise levels",
        help: "Figure 3.7: evenly spaced noise levels.",
        group: "Figure 3.7",
        kind: Kind::Int { min: 2, max: 21 },
        default: Value::Int(11),
    },
];

/// Pixels of one memory for the data choice.
pub fn dim(p: &Params) -> i64 {
    match p.choice("data") {
        "mnist" => crate::data::MNIST_PIXELS as i64,
        "digits8" => 64,
        _ => p.int("n"),
    }
}

/// The most memories the data choice allows (its size and `P × N ≤ MAX_PN`).
pub fn max_memories(p: &Params) -> i64 {
    let size = match p.choice("data") {
        "mnist" => crate::data::MNIST_COUNT as i64,
        "digits8" => DIGITS8,
        _ => MAX_P,
    };
    size.min(MAX_PN / dim(p)).min(MAX_P)
}

fn clamp_int(p: &mut Params, notices: &mut Vec<Notice>, key: &str, max: i64, why: &str) {
    if p.int(key) > max {
        notices.push(Notice::new(key, format!("{key}={} is above {max} ({why}); using {max}", p.int(key))));
        p.set(key, Value::Int(max));
    }
}

pub fn check(p: &mut Params, notices: &mut Vec<Notice>) {
    let n = dim(p);
    let most = max_memories(p);
    let data = p.choice("data");
    let why = format!("the most {data} memories with N = {n}");
    clamp_int(p, notices, "p", most, &why);
    clamp_int(p, notices, "rk_p", most, &why);
    clamp_int(p, notices, "k", p.int("p") - 1, "k must be below P");
    clamp_int(p, notices, "probe", p.int("p") - 1, "the probe is a stored memory");
    let paint = p.list("paint").to_vec();
    if paint.iter().any(|&i| i >= n) {
        notices.push(Notice::new("paint", format!("painted pixels beyond N = {n} dropped")));
        p.set("paint", Value::IntList(paint.into_iter().filter(|&i| i < n).collect()));
    }
    let trials = p.int("cap_trials");
    clamp_int(p, notices, "cap_probes", (MAX_CAP_WORK / trials).max(1), "trials × probes ≤ 5,000");
    let rk_p = p.int("rk_p");
    clamp_int(p, notices, "rk_probes", rk_p, "probes are stored memories");
    clamp_int(p, notices, "rk_probes", (MAX_RK_WORK / rk_p).max(1), "probes × memories ≤ 2,000,000");
}

/// The limits the parts enforce: the stored memories `P × N` (retrieval) and `rk_p × N`
/// (Figure 3.7) at most [`MAX_PN`]; `check` keeps both by clamping `p` and `rk_p` to
/// [`max_memories`], so a link never reaches them.
pub fn limits(p: &Params) -> Vec<super::super::Limit> {
    let n = dim(p).max(1) as u64;
    let why = format!("N = {n} pixels per memory, P × N ≤ {MAX_PN}");
    vec![
        super::super::Limit {
            what: "the stored memories P × N",
            size: p.int("p").max(0) as u64 * n,
            limit: MAX_PN as u64,
            why: why.clone(),
            keys: &["p"],
            parts: &["retrieve"],
        },
        super::super::Limit {
            what: "Figure 3.7's memories rk_p × N",
            size: p.int("rk_p").max(0) as u64 * n,
            limit: MAX_PN as u64,
            why,
            keys: &["rk_p"],
            parts: &["fig37"],
        },
    ]
}

/// An estimate of the operations of `part` (the limits test runs the parts estimated small):
/// one retrieval step compares the probe with every memory (about 4·P·N); Figure 3.2 stores
/// each memory count of [`super::experiments::cap_counts`] `cap_trials` times and retrieves
/// `cap_probes` probes; Figure 3.7 retrieves `rk_probes` probes at `rk_points` noise levels.
pub fn cost(p: &Params, part: &str) -> f64 {
    let n = dim(p) as f64;
    match part {
        "retrieve" => 4.0 * p.int("p") as f64 * n * (p.int("steps").max(1) as f64 + 2.0),
        "fig32" => {
            let most = max_memories(p).min(p.int("cap_pmax")).max(1) as usize;
            let mems: f64 = super::experiments::cap_counts(most).iter().map(|&c| c as f64).sum();
            4.0 * p.int("cap_trials") as f64 * p.int("cap_probes") as f64 * mems * n
        }
        "fig37" => 4.0 * (p.int("rk_points") * p.int("rk_probes") * p.int("rk_p")) as f64 * n,
        _ => 0.0,
    }
}
