//! The KLR lab's parameter table, the consistency rules between its keys, the limits its
//! parts enforce and the work they do (see `labs::Limit`).

use super::network::{self, Learner, Setup};
use super::spectra::KERNEL_EIGENVALUES_MAX_P;
use super::sweep::{self, CapacityConfig, Grid, capacity_loads, patterns_at, shard_cells, spaced};
use super::train::{GdConfig, OnDiverge, Precision};
use crate::labs::{Limit, fit_limits};
use crate::params::{Kind, Notice, ParamSpec, Params, Value};

/// Largest number of stored patterns the CPU path accepts (the `P × P` kernel is 128 MiB in f64).
pub const MAX_P: usize = 4096;
/// Largest `P × N` (entries of α; each such matrix is 16 MiB in f64).
pub const MAX_PN: usize = 1 << 21;

/// Most epochs of gradient descent.
pub const MAX_EPOCHS: i64 = 20_000;
/// Most probes of a recall test.
pub const MAX_TESTS: i64 = 1000;
/// Most synchronous recall steps.
pub const MAX_STEPS: i64 = 500;
/// Most rows (γ values) and columns (loads) of a sweep.
pub const MAX_GRID: i64 = 64;

/// The largest P the CPU path holds at N = `n`: `min(MAX_P, MAX_PN / N)`.
pub fn pattern_limit(n: usize) -> usize {
    MAX_P.min(MAX_PN / n.max(1))
}

fn pattern_why(n: usize) -> String {
    format!(
        "at most {MAX_P} patterns, and P·N at most {MAX_PN} entries of α: P ≤ {} at N = {n}",
        pattern_limit(n)
    )
}

/// The work of the largest single network the table allows (P = `MAX_P` at the N where
/// P·N = `MAX_PN`, every budget at its maximum), as one trial of a capacity point (with
/// its Hebbian baseline): the most a sweep, a cross-section or the capacity curve may do,
/// so that one cell or one trial of one point always fits.
pub fn max_work() -> f64 {
    let largest = Setup {
        n: MAX_PN / MAX_P,
        learner: Learner::Gd,
        gd: GdConfig { epochs: MAX_EPOCHS as usize, ..GdConfig::default() },
        tests: MAX_TESTS as usize,
        steps: MAX_STEPS as usize,
        ..SETUP_SHAPE
    };
    sweep::trial_work(&largest, MAX_P)
}

const SETUP_SHAPE: Setup = Setup {
    n: 1,
    p: 1,
    gamma: 1.0,
    learner: Learner::Gd,
    gd: GdConfig {
        lambda: 0.01,
        lr: 0.1,
        epochs: 1,
        tol: 0.0,
        on_diverge: OnDiverge::Stop,
        precision: Precision::F64,
    },
    flip: 0.0,
    steps: 1,
    tests: 1,
    target: 0,
    seed: 0,
    trial: 0,
};

fn work_why(what: &str) -> String {
    format!(
        "{what} may do as much work as the largest single network: P = {MAX_P}, N = {}, {MAX_EPOCHS} epochs",
        MAX_PN / MAX_P
    )
}

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        key: "n",
        label: "Neurons N",
        help: "Neurons per network (pattern length); also the N of the capacity curve and the sweeps.",
        group: "Network",
        kind: Kind::Int { min: 4, max: 2048 },
        default: Value::Int(100),
    },
    ParamSpec {
        key: "p",
        label: "Stored patterns P",
        help: "Random ±1 patterns stored in the network shown (load P/N). The patterns are the first P of the seed's stream. At most 4096, and P·N at most 2²¹ (P ≤ 1024 at N = 2048): larger values are clamped.",
        group: "Network",
        kind: Kind::Int { min: 1, max: MAX_P as i64 },
        default: Value::Int(200),
    },
    ParamSpec {
        key: "gamma",
        label: "Kernel width γ",
        help: "RBF kernel K(x,y) = exp(−γ‖x−y‖²), no 1/N: with N = 100, γ = 0.001 is global, γ > 0.05 local.",
        group: "Network",
        kind: Kind::Float { min: 1e-6, max: 1e3, log: true },
        default: Value::Float(0.02),
    },
    ParamSpec {
        key: "learner",
        label: "Learner",
        help: "gd: kernel logistic regression by full-batch gradient descent from α = 0 (the author's protocol); krr: kernel ridge regression α = (K + λI)⁻¹Ξ.",
        group: "Training",
        kind: Kind::Choice { options: &["gd", "krr"] },
        default: Value::Choice("gd"),
    },
    ParamSpec {
        key: "lambda",
        label: "Ridge λ",
        help: "Regularisation (λ/2)·αᵀKα per neuron (krr: the ridge added to K).",
        group: "Training",
        kind: Kind::Float { min: 1e-6, max: 10.0, log: true },
        default: Value::Float(0.01),
    },
    ParamSpec {
        key: "lr",
        label: "Step size η",
        help: "Gradient-descent step. Stable when the curvature λ_max(K)²/4 + λ·λ_max(K) is below 2/η.",
        group: "Training",
        kind: Kind::Float { min: 1e-4, max: 10.0, log: true },
        default: Value::Float(0.1),
    },
    ParamSpec {
        key: "epochs",
        label: "Epochs",
        help: "Budget of full-batch gradient steps.",
        group: "Training",
        kind: Kind::Int { min: 1, max: MAX_EPOCHS },
        default: Value::Int(300),
    },
    ParamSpec {
        key: "tol",
        label: "Tolerance",
        help: "Stop when the loss changes by less than this fraction in one epoch (0: always run the budget).",
        group: "Training",
        kind: Kind::Float { min: 0.0, max: 0.01, log: false },
        default: Value::Float(1e-6),
    },
    ParamSpec {
        key: "diverge",
        label: "On divergence",
        help: "When the loss rises above its starting value: stop (report no numbers) or continue the budget (numbers flagged as diverged). NaN/∞ always stops.",
        group: "Training",
        kind: Kind::Choice { options: &["stop", "continue"] },
        default: Value::Choice("stop"),
    },
    ParamSpec {
        key: "precision",
        label: "Products in",
        help: "Arithmetic of the two matrix products of every epoch, K·α and K·Z: f32 (a 6×6 sweep 3× faster in the browser, the 30×30 one 1.4× natively; α, the loss, the stop rules and everything after training stay f64; statuses agree with f64 except where the curvature is within about 1% of the 2/η limit, numbers within about 1e-6 relative, small remainders such as ‖F_i‖² to ~1e-5: all 900 statuses and epochs of the author's 30×30 sweep identical) or f64 (the reference; always on the CPU).",
        group: "Training",
        kind: Kind::Choice { options: &["f32", "f64"] },
        default: Value::Choice("f32"),
    },
    ParamSpec {
        key: "target",
        label: "Pattern μ",
        help: "The stored pattern where the network view shows M, ρ and the forces, and the one the animated probe starts from (sweeps always use pattern 0).",
        group: "Recall",
        kind: Kind::Int { min: 0, max: MAX_P as i64 - 1 },
        default: Value::Int(0),
    },
    ParamSpec {
        key: "flip",
        label: "Bits flipped f",
        help: "Fraction of a probe's bits flipped at random (author's protocol: 0.2).",
        group: "Recall",
        kind: Kind::Float { min: 0.0, max: 0.5, log: false },
        default: Value::Float(0.2),
    },
    ParamSpec {
        key: "steps",
        label: "Max steps",
        help: "Cap on synchronous updates (author's protocol: 30).",
        group: "Recall",
        kind: Kind::Int { min: 1, max: MAX_STEPS },
        default: Value::Int(30),
    },
    ParamSpec {
        key: "tests",
        label: "Test probes",
        help: "Probes per network in the recall test: patterns 0…tests−1 (author's protocol: up to 10).",
        group: "Recall",
        kind: Kind::Int { min: 1, max: MAX_TESTS },
        default: Value::Int(10),
    },
    ParamSpec {
        key: "cap_max",
        label: "Max load P/N",
        help: "Right end of the capacity curve (the paper reports storage beyond P/N = 4). Clamped so that its P = cap_max·N stays within the limit of P (see Stored patterns).",
        group: "Capacity",
        kind: Kind::Float { min: 0.05, max: 40.0, log: false },
        default: Value::Float(4.0),
    },
    ParamSpec {
        key: "cap_points",
        label: "Load points",
        help: "Loads on the capacity curve.",
        group: "Capacity",
        kind: Kind::Int { min: 1, max: 40 },
        default: Value::Int(8),
    },
    ParamSpec {
        key: "cap_trials",
        label: "Networks per load",
        help: "Independent pattern sets per load (each tested with the test probes). The curve may do as much work as the largest single network; beyond that, fewer trials (then fewer points) are computed.",
        group: "Capacity",
        kind: Kind::Int { min: 1, max: 20 },
        default: Value::Int(1),
    },
    ParamSpec {
        key: "sweep",
        label: "Compute the phase diagram",
        help: "Run the γ × P/N sweep (the author's 30×30 grid takes minutes in a browser).",
        group: "Phase diagram",
        kind: Kind::Bool,
        default: Value::Bool(false),
    },
    ParamSpec {
        key: "sw_gmin",
        label: "γ from",
        help: "Smallest γ of the sweep (log-spaced).",
        group: "Phase diagram",
        kind: Kind::Float { min: 1e-6, max: 1e3, log: true },
        default: Value::Float(1e-4),
    },
    ParamSpec {
        key: "sw_gmax",
        label: "γ to",
        help: "Largest γ of the sweep.",
        group: "Phase diagram",
        kind: Kind::Float { min: 1e-6, max: 1e3, log: true },
        default: Value::Float(10.0),
    },
    ParamSpec {
        key: "sw_gn",
        label: "γ values",
        help: "Rows of the sweep. A sweep may do as much work as the largest single network; beyond that, fewer rows (then fewer columns) are computed.",
        group: "Phase diagram",
        kind: Kind::Int { min: 1, max: MAX_GRID },
        default: Value::Int(30),
    },
    ParamSpec {
        key: "sw_lmin",
        label: "P/N from",
        help: "Smallest load of the sweep and the cross-section (its P = load·N stays within the limit of P).",
        group: "Phase diagram",
        kind: Kind::Float { min: 0.01, max: 40.0, log: false },
        default: Value::Float(0.1),
    },
    ParamSpec {
        key: "sw_lmax",
        label: "P/N to",
        help: "Largest load of the sweep and the cross-section (its P = load·N stays within the limit of P).",
        group: "Phase diagram",
        kind: Kind::Float { min: 0.01, max: 40.0, log: false },
        default: Value::Float(6.0),
    },
    ParamSpec {
        key: "sw_ln",
        label: "P/N values",
        help: "Columns of the sweep (points of the cross-section).",
        group: "Phase diagram",
        kind: Kind::Int { min: 1, max: MAX_GRID },
        default: Value::Int(30),
    },
    ParamSpec {
        key: "section",
        label: "Compute the cross-section",
        help: "Forces against P/N at one γ (Figure 3).",
        group: "Phase diagram",
        kind: Kind::Bool,
        default: Value::Bool(false),
    },
    ParamSpec {
        key: "sec_gamma",
        label: "Cross-section γ",
        help: "The γ of the cross-section (the paper: 0.001).",
        group: "Phase diagram",
        kind: Kind::Float { min: 1e-6, max: 1e3, log: true },
        default: Value::Float(0.001),
    },
    ParamSpec {
        key: "pins",
        label: "Pinned cells",
        help: "Sweep cells (index = row·columns + column) whose networks are inspected side by side (Figure 5).",
        group: "Phase diagram",
        kind: Kind::IntList { min: 0, max: MAX_GRID * MAX_GRID - 1, max_len: 6 },
        default: Value::IntList(Vec::new()),
    },
    ParamSpec {
        key: "cell",
        label: "Inspected cell",
        help: "The sweep cell (index = row·columns + column) whose network the single-network view shows: a click on the phase diagram sets it, and its P and γ with it, so the link names the cell instead of carrying its γ to 17 digits. −1: none (P and γ as set). Changing P or γ leaves the cell.",
        group: "Phase diagram",
        kind: Kind::Int { min: -1, max: MAX_GRID * MAX_GRID - 1 },
        default: Value::Int(-1),
    },
    ParamSpec {
        key: "show",
        label: "Heatmap",
        help: "The quantity on the phase diagram (view only; nothing is recomputed).",
        group: "View",
        kind: Kind::Choice {
            options: &["log10_m", "rho", "ratio", "stable_rank", "lambda_max", "recall", "curvature"],
        },
        default: Value::Choice("log10_m"),
    },
    ParamSpec {
        key: "stat",
        label: "Per cell",
        help: "pattern: the value at pattern μ (as the paper); median: the median over all stored patterns.",
        group: "View",
        kind: Kind::Choice { options: &["pattern", "median"] },
        default: Value::Choice("pattern"),
    },
    ParamSpec {
        key: "shard",
        label: "Shard",
        help: "Compute only shard `shard` of `shards` of the sweep, cross-section and capacity cells (the page splits them across workers).",
        group: "hidden",
        kind: Kind::Int { min: 0, max: 63 },
        default: Value::Int(0),
    },
    ParamSpec {
        key: "shards",
        label: "Shards",
        help: "Number of shards the cells are split into.",
        group: "hidden",
        kind: Kind::Int { min: 1, max: 64 },
        default: Value::Int(1),
    },
];

/// Every limit the parts enforce (`labs::run` refuses a part past one; `check` clamps
/// links to them up front).
pub fn limits(p: &Params) -> Vec<Limit> {
    let n = p.usize("n");
    let lim = pattern_limit(n) as u64;
    let base = sweep_base(p);
    let cap = capacity_config(p);
    let mut out = vec![
        Limit {
            what: "the network's P",
            size: p.usize("p") as u64,
            limit: lim,
            why: pattern_why(n),
            keys: &["p"],
            parts: &["network"],
        },
        Limit {
            what: "the capacity curve's largest P = round(cap_max·N)",
            size: cap.max_p(n) as u64,
            limit: lim,
            why: pattern_why(n),
            keys: &["cap_max"],
            parts: &["capacity"],
        },
    ];
    let (sweep_on, section_on) = (p.flag("sweep"), p.flag("section"));
    if sweep_on || section_on || !p.list("pins").is_empty() {
        let grid_parts: &'static [&'static str] = &["sweep", "section", "pins"];
        out.push(Limit {
            what: "the sweep's largest P = round(sw_lmax·N)",
            size: patterns_at(p.float("sw_lmax"), n) as u64,
            limit: lim,
            why: pattern_why(n),
            keys: &["sw_lmax"],
            parts: grid_parts,
        });
        out.push(Limit {
            what: "the P of the sweep's smallest load, round(sw_lmin·N)",
            size: patterns_at(p.float("sw_lmin"), n) as u64,
            limit: lim,
            why: pattern_why(n),
            keys: &["sw_lmin"],
            parts: grid_parts,
        });
    }
    let max = max_work() as u64;
    out.push(Limit {
        what: "the capacity curve's work",
        size: sweep::capacity_costs(&capacity_base(p), &cap).iter().sum::<f64>() as u64,
        limit: max,
        why: work_why("the curve"),
        keys: &["cap_trials", "cap_points"],
        parts: &["capacity"],
    });
    if sweep_on {
        out.push(Limit {
            what: "the sweep's work",
            size: sweep::cell_costs(&base, &sweep_grid(p)).iter().sum::<f64>() as u64,
            limit: max,
            why: work_why("a sweep"),
            keys: &["sw_gn", "sw_ln"],
            parts: &["sweep"],
        });
    }
    if section_on {
        out.push(Limit {
            what: "the cross-section's work",
            size: sweep::cell_costs(&base, &section_grid(p)).iter().sum::<f64>() as u64,
            limit: max,
            why: work_why("a cross-section"),
            keys: &["sw_ln"],
            parts: &["section"],
        });
    }
    out
}

/// An estimate of the work of `part` (multiply–adds; this shard's cells only), from the
/// cell costs that the part balances its shards and reports its progress with.
pub fn cost(p: &Params, part: &str) -> f64 {
    let base = sweep_base(p);
    let (shard, shards) = (p.usize("shard"), p.usize("shards"));
    let of_shard =
        |costs: Vec<f64>| shard_cells(&costs, shard, shards).iter().map(|&c| costs[c]).sum::<f64>();
    match part {
        "network" => {
            let s = setup(p);
            let (pp, n) = (s.p as f64, s.n as f64);
            network::work(&s)
                + 100.0 * pp * pp * n
                + if s.p <= KERNEL_EIGENVALUES_MAX_P { 10.0 * pp * pp * pp } else { 0.0 }
                + 10.0 * pp.min(n) * pp.min(n) * pp.max(n)
                + 2.0 * s.steps as f64 * pp * n
        }
        "capacity" => of_shard(sweep::capacity_costs(&capacity_base(p), &capacity_config(p))),
        "sweep" if p.flag("sweep") => of_shard(sweep::cell_costs(&base, &sweep_grid(p))),
        "section" if p.flag("section") => of_shard(sweep::cell_costs(&base, &section_grid(p))),
        "pins" => {
            let grid = sweep_grid(p);
            pins(p).iter().fold(0.0, |sum, &i| sum + network::work(&sweep::cell_setup(&base, &grid, i)))
        }
        _ => 0.0,
    }
}

fn ordered_ranges(p: &mut Params, notices: &mut Vec<Notice>) {
    for (lo, hi) in [("sw_gmin", "sw_gmax"), ("sw_lmin", "sw_lmax")] {
        let (a, b) = (p.float(lo), p.float(hi));
        if a > b {
            notices.push(Notice::new(lo, format!("{lo}={a} is above {hi}={b}; swapped")));
            p.set(lo, Value::Float(b));
            p.set(hi, Value::Float(a));
        }
    }
}

pub fn check(p: &mut Params, notices: &mut Vec<Notice>) {
    ordered_ranges(p, notices);
    // Before the rules that read the keys it may lower (p, sw_gn, sw_ln).
    fit_limits(p, limits, notices);
    // sw_lmin and sw_lmax are lowered separately to the same limit: keep them ordered.
    ordered_ranges(p, notices);
    inspected_cell(p, notices);
    if p.int("target") >= p.int("p") {
        let t = p.int("p") - 1;
        notices.push(Notice::new(
            "target",
            format!("target={} is not below p={}; using {t}", p.int("target"), p.int("p")),
        ));
        p.set("target", Value::Int(t));
    }
    if p.int("shard") >= p.int("shards") {
        let s = p.int("shards") - 1;
        notices.push(Notice::new(
            "shard",
            format!("shard={} is not below shards={}; using {s}", p.int("shard"), p.int("shards")),
        ));
        p.set("shard", Value::Int(s));
    }
    let cells = p.int("sw_gn") * p.int("sw_ln");
    let pins = p.list("pins").to_vec();
    if pins.iter().any(|&i| i >= cells) {
        notices
            .push(Notice::new("pins", format!("pinned cells beyond the {cells} cells of the sweep dropped")));
        p.set("pins", Value::IntList(pins.into_iter().filter(|&i| i < cells).collect()));
    }
}

/// `cell=I` sets P and γ to sweep cell I's (derived keys: the link carries only the cell). P or
/// γ that differ from the cell's were changed after the click: they win and the cell is left.
/// A link that names a cell and leaves P and γ at their defaults is the cell's.
fn inspected_cell(p: &mut Params, notices: &mut Vec<Notice>) {
    let Ok(cell) = usize::try_from(p.int("cell")) else { return };
    let g = sweep_grid(p);
    if cell >= g.cells() {
        notices.push(Notice::new(
            "cell",
            format!("cell={cell} is beyond the {} cells of the sweep; P and γ are used as set", g.cells()),
        ));
        p.set("cell", Value::Int(-1));
        return;
    }
    let (ig, il) = g.coords(cell);
    let (gamma, patterns) = (g.gammas[ig], g.patterns[il]);
    let is_default =
        |p: &Params, key: &str| p.specs().iter().any(|s| s.key == key && &s.default == p.get(key));
    let same = p.usize("p") == patterns && (p.float("gamma") - gamma).abs() <= 1e-6 * gamma.abs();
    if same || (is_default(p, "p") && is_default(p, "gamma")) {
        // The cell's P may exceed what the network view holds at this N, or the range of `p` (a
        // sweep's loads reach further): then the cell is not inspected, rather than refused
        // when it runs or shown with another P (found by fuzzing).
        let mut trial = p.untracked();
        trial.set("p", Value::Int(patterns as i64));
        trial.set("gamma", Value::Float(gamma));
        let why = if trial.usize("p") != patterns || trial.float("gamma") != gamma {
            Some("outside the ranges of P and γ".to_string())
        } else {
            limits(&trial).into_iter().find(|l| !l.ok()).map(|l| {
                format!("{} would be {}, beyond its limit of {} ({})", l.what, l.size, l.limit, l.why)
            })
        };
        if let Some(why) = why {
            notices.push(Notice::new(
                "cell",
                format!("cell={cell} has P = {patterns}, γ = {gamma}: {why}; P and γ are used as set"),
            ));
            p.set("cell", Value::Int(-1));
            return;
        }
        p.set_derived("p", Value::Int(patterns as i64));
        p.set_derived("gamma", Value::Float(gamma));
    } else {
        p.set("cell", Value::Int(-1));
    }
}

/// The network of the query (the single-network view).
pub fn setup(p: &Params) -> Setup {
    setup_with(p, p.usize("p"), p.float("gamma"), p.usize("target"))
}

/// The network of the query with `patterns` patterns and the recall target `target` given
/// (so that the parts that set them per network do not read the keys).
fn setup_with(p: &Params, patterns: usize, gamma: f64, target: usize) -> Setup {
    Setup {
        n: p.usize("n"),
        p: patterns,
        gamma,
        learner: if p.choice("learner") == "krr" { Learner::Krr } else { Learner::Gd },
        gd: GdConfig {
            lambda: p.float("lambda"),
            lr: p.float("lr"),
            epochs: p.usize("epochs"),
            tol: p.float("tol"),
            on_diverge: if p.choice("diverge") == "continue" { OnDiverge::Continue } else { OnDiverge::Stop },
            precision: if p.choice("precision") == "f64" { Precision::F64 } else { Precision::F32 },
        },
        flip: p.float("flip"),
        steps: p.usize("steps"),
        tests: p.usize("tests"),
        target,
        seed: p.seed(),
        trial: 0,
    }
}

/// What every network of the sweeps, the cross-section, the pins and the capacity curve shares.
pub fn sweep_base(p: &Params) -> Setup {
    // P and γ are set per network (each cell and pin has its own; see `capacity_base`).
    setup_with(p, 0, f64::NAN, super::SWEEP_TARGET)
}

/// What the networks of the capacity curve share: the sweep's, at the query's γ.
pub fn capacity_base(p: &Params) -> Setup {
    Setup { gamma: p.float("gamma"), ..sweep_base(p) }
}

pub fn capacity_config(p: &Params) -> CapacityConfig {
    CapacityConfig {
        loads: capacity_loads(p.usize("n"), p.float("cap_max"), p.usize("cap_points")),
        trials: p.usize("cap_trials"),
    }
}

fn loads(p: &Params) -> Vec<f64> {
    spaced(p.float("sw_lmin"), p.float("sw_lmax"), p.usize("sw_ln"), false)
}

/// The γ × P/N grid of the sweep (and of the pins).
pub fn sweep_grid(p: &Params) -> Grid {
    Grid::new(p.usize("n"), spaced(p.float("sw_gmin"), p.float("sw_gmax"), p.usize("sw_gn"), true), loads(p))
}

/// The cross-section: the sweep's loads at one γ.
pub fn section_grid(p: &Params) -> Grid {
    Grid::new(p.usize("n"), vec![p.float("sec_gamma")], loads(p))
}

/// The pinned cells (valid indices of the sweep grid).
pub fn pins(p: &Params) -> Vec<usize> {
    let cells = sweep_grid(p).cells();
    p.list("pins").iter().filter_map(|&i| usize::try_from(i).ok()).filter(|&i| i < cells).collect()
}
