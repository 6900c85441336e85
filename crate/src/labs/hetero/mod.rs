//! Lab 4 — correlated random matrices and hetero-associative stability (SPEC Lab 4; the
//! paper's claim from Tomoto & Teramae, arXiv:2505.11948, known here only from a summary).
//!
//! Parts: `spectrum` (the eigenvalues of one `J = Y Xᵀ` against the elliptic law),
//! `stability` (the rightmost eigenvalue against the load, over trials), `map` (stability
//! over (α, τ) for a gain g) and `dynamics` (`ẋ = −x + J tanh(g x)` next to its
//! linearisation).

pub mod dynamics;
pub mod ensemble;
mod figures;
mod params;
pub mod theory;

pub use self::params::{MAX_ALPHA, MAX_N, MAX_SWEEP_N};

use self::ensemble::{Entries, coupling, draw, eigenvalues, pattern_count};
use self::params::{PARAMS, check, dynamics_step, law};
use self::theory::{Law, TheoryOut};
use super::{Cell, LabDef, LabFuture, Output, Part, Preset, Progress, RunError, Runner, Table};
use crate::compute::{Compute, Mat};
use crate::params::Params;
use crate::rng::{self, for_trial, seeded, stream};
use serde::Serialize;

/// The registry entry.
pub const LAB: LabDef = LabDef {
    id: "hetero",
    title: "Correlated random matrices and hetero-associative stability",
    summary: "Eigenvalues of J = Σ η ξᵀ with correlated keys and values against the elliptic law (Marchenko–Pastur at τ = 1), and where the network's stability turns non-monotonic in the number of patterns.",
    source: "Akemann, Byun & Kang, arXiv:2004.07626 (the law); Tomoto & Teramae, arXiv:2505.11948 (the claim, known from a lay summary)",
    params: PARAMS,
    runner: Some(Runner {
        parts: &[
            Part { name: "spectrum", keys: &["n", "alpha", "tau", "entries", "scaling"] },
            Part {
                name: "stability",
                keys: &["tau", "entries", "scaling", "g", "trials", "sweep_n", "alpha_max", "map_alphas"],
            },
            Part {
                name: "map",
                keys: &[
                    "entries",
                    "scaling",
                    "g",
                    "trials",
                    "sweep_n",
                    "alpha_max",
                    "map_alphas",
                    "map_taus",
                ],
            },
            Part { name: "dynamics", keys: &["n", "alpha", "tau", "entries", "scaling", "g", "t_max"] },
        ],
        check,
        limits: super::no_limits,
        cost: params::cost,
        run,
        gpu: true,
        presets: PRESETS,
        figures: figures::FIGURES,
        shards: None,
        import: None,
    }),
    about: ABOUT,
    sources: &[&super::cite::AKEMANN_BYUN_KANG, &super::cite::TOMOTO_TERAMAE_2025],
};

const PRESETS: &[Preset] = &[
    Preset {
        name: "marchenko-pastur",
        label: "Marchenko–Pastur (τ = 1)",
        query: "tau=1&alpha=0.5",
        reproduces: "Marchenko–Pastur law: the τ = 1 limit of the ensemble",
        note: "Keys equal values: J = XXᵀ is symmetric, its eigenvalues are real on [(1−√α)², (1+√α)²], and half of them sit at 0.",
    },
    Preset {
        name: "elliptic",
        label: "Elliptic regime (τ = 0.5, α = 2)",
        query: "tau=0.5&alpha=2",
        reproduces: "Akemann, Byun & Kang (arXiv:2004.07626): the ellipse and its density",
        note: "More pairs than neurons: no zero eigenvalues; the spectrum fills an ellipse centred at τ(1+α) = 1.5, denser towards 0.",
    },
    Preset {
        name: "product-ginibre",
        label: "Product Ginibre (τ = 0, α = 1)",
        query: "tau=0&alpha=1",
        reproduces: "Product of two independent Ginibre matrices: density 1/(2π|z|) on the unit disk",
        note: "Independent keys and values at P = N: the moduli |λ| are uniform on [0, 1], the density diverges like 1/|z| at 0.",
    },
    Preset {
        name: "nonmonotonic",
        label: "Non-monotonic stability (τ = −0.5, g = 4)",
        query: "tau=-0.5&g=4&alpha=1.6&alpha_max=3&map_alphas=12&sweep_n=300&trials=4&t_max=60",
        reproduces: "SPEC Lab 4's example of the paper's claim (Tomoto & Teramae): stable, unstable, stable again as P grows",
        note: "Anti-correlated pairs at gain 4: the theory is stable for α < 1, unstable for 1 < α < 2.25 and stable again above; at α = 1.6 the activity slowly grows.",
    },
    Preset {
        name: "sqrt-alpha",
        label: "J/√α: smallest right edge at α = 1",
        query: "scaling=sqrt_alpha&tau=0.5&g=0.42&alpha=1",
        reproduces: "SPEC Lab 4: with the variance-preserving scaling the right edge is smallest at α = 1",
        note: "Scaled by 1/√α the right edge is τ(√α + 1/√α) + 1 + τ²: at g = 0.42 the network is unstable for few and for many patterns and stable near P = N.",
    },
    Preset {
        name: "binary",
        label: "±1 entries (universality)",
        query: "entries=binary&tau=0.5&alpha=2",
        reproduces: "",
        note: "Binary keys with values flipped at rate (1 − τ)/2 give the same ellipse as Gaussian pairs.",
    },
    Preset {
        name: "elliptic-limit",
        label: "Many patterns: the elliptic law",
        query: "scaling=sqrt_alpha&tau=0.7&alpha=4",
        reproduces: "α → ∞ after centring and scaling by √α: the elliptic law with correlation τ²",
        note: "At large load J/√α − τ(√α + 1/√α) approaches the elliptic law with semi-axes 1 ± τ².",
    },
];

const ABOUT: &str = r#"<p><b>The ensemble.</b> P pairs of keys ξ<sup>μ</sup> and values η<sup>μ</sup> in R<sup>N</sup>; each entry pair (ξ<sup>μ</sup><sub>i</sub>, η<sup>μ</sup><sub>i</sub>) is Gaussian with variance 1/N and correlation τ (or ±1/√N keys whose values flip sign with probability (1 − τ)/2). The hetero-associative coupling — the same matrix as linear attention — is
<math><mi>J</mi><mo>=</mo><munder><mo>∑</mo><mi>μ</mi></munder><msup><mi>η</mi><mi>μ</mi></msup><msup><mi>ξ</mi><mrow><mi>μ</mi><mi>T</mi></mrow></msup><mo>=</mo><mi>Y</mi><msup><mi>X</mi><mi>T</mi></msup></math>,
load α = P/N; <code>scaling=sqrt_alpha</code> uses J/√α. J is computed on the compute engine (the GPU when it is used), its eigenvalues on the CPU (faer's real Schur form).</p>
<p><b>Established theory</b> (Akemann, Byun &amp; Kang, arXiv:2004.07626, proved for complex entries; the real and ±1 entries here match it in simulation — see the tests): the eigenvalues fill the ellipse centred at τ(1+α) with real semi-axis √α(1+τ²) and imaginary semi-axis √α(1−τ²), with density
<math><mi>ρ</mi><mo>(</mo><mi>z</mi><mo>)</mo><mo>=</mo><mfrac><mn>1</mn><mrow><mi>π</mi><mo>(</mo><mn>1</mn><mo>−</mo><msup><mi>τ</mi><mn>2</mn></msup><mo>)</mo><msqrt><mn>4</mn><mo>|</mo><mi>z</mi><msup><mo>|</mo><mn>2</mn></msup><mo>+</mo><mo>(</mo><mn>1</mn><mo>−</mo><msup><mi>τ</mi><mn>2</mn></msup><msup><mo>)</mo><mn>2</mn></msup><mo>(</mo><mi>α</mi><mo>−</mo><mn>1</mn><msup><mo>)</mo><mn>2</mn></msup></msqrt></mrow></mfrac></math>
inside (total mass min(α, 1)) and a point mass 1 − α at 0 when α &lt; 1 (J has rank P). τ = 1 is the Marchenko–Pastur law on [(1−√α)², (1+√α)²]; τ = 0, α = 1 is the product of two Ginibre matrices, density 1/(2π|z|) on the unit disk; for α → ∞, after centring and dividing by √α, the elliptic law with correlation τ².</p>
<p><b>Derived here</b> (not in the sources): the real-axis marginal asinh(2Y(x)/√(4x² + K²))/(π(1−τ²)), with Y(x) the ellipse's half-height and K = (1−τ²)|α−1|, which tends to Marchenko–Pastur as τ → 1; the radial marginal (the density times the arc of |z| = r inside the ellipse); and stability. The linear network ẋ = −x + gJx, and the fixed point 0 of the simulated ẋ = −x + J tanh(gx), are stable iff g·max Re λ(J) &lt; 1, and the theory's max Re λ is the right edge τ(1+α) + √α(1+τ²), or 0 when α &lt; 1 and the whole ellipse lies left of the zero eigenvalues. For τ &lt; 0 the centre moves left as α grows while the width grows like √α, so stability can switch twice: with τ = −0.5 and g = 4 it is stable for α &lt; 1, unstable for 1 &lt; α &lt; 2.25 and stable again above (preset <i>nonmonotonic</i>). With J/√α the right edge is τ(√α + 1/√α) + 1 + τ², smallest at α = 1 for τ &gt; 0, so a gain just above 1/(1+τ)² leaves a window of stability around P = N (preset <i>sqrt-alpha</i>). The map marks cells that are stable although a smaller load of the same τ is not.</p>
<p><b>The paper's claim</b> (Tomoto &amp; Teramae, "Spectral density of correlated random matrices and nonmonotonic stability in hetero-associative memory networks", arXiv:2505.11948, 2025 — known here only from a lay summary): a spectral density that unifies the Marchenko–Pastur and elliptic laws, and stability of hetero-associative memory that is non-monotonic in the number of stored patterns. The paper's exact scaling, dynamics and the loads where its stability turns are not available here, so the numbers on this page are the established law and the consequences derived above, not the paper's figures.</p>
<p><b>Finite size.</b> The right edge converges slowly: at N = 1000 the rightmost eigenvalue sits within a few hundredths of the edge, and about 1% of the eigenvalues lie just outside the ellipse (measured tolerances are in the lab's README section). Eigenvalues are printed to 7 significant digits (J is computed in f32); the page and the CLI agree to that precision, not to the bit.</p>"#;

/// Significant digits kept in printed eigenvalues (J is f32).
fn sig7(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.6e}").parse().unwrap_or(x)
}

/// Eigenvalues with modulus below this (relative to the spectrum's scale) are the point
/// mass at 0: f32 rounding of a rank-P matrix moves them to ~10⁻⁷.
const ZERO_TOL: f64 = 1e-4;

fn sqrt_alpha(p: &Params) -> bool {
    p.choice("scaling") == "sqrt_alpha"
}

fn entries(p: &Params) -> Entries {
    Entries::from_name(p.choice("entries"))
}

/// The eigenvalues of one coupling matrix, scaled (`scale` = 1 or 1/√α).
async fn spectrum_of(
    n: usize,
    pc: usize,
    tau: f64,
    entries: Entries,
    scale: f64,
    rng: &mut rng::Rng,
    compute: &Compute,
) -> Result<(Vec<(f64, f64)>, Mat<f32>), RunError> {
    let pairs = draw(n, pc, tau, entries, rng);
    let j = coupling(compute, &pairs).await;
    let ev = eigenvalues(&j.to_f64()).map_err(RunError::Diverged)?;
    Ok((ev.into_iter().map(|(a, b)| (a * scale, b * scale)).collect(), j))
}

fn max_re(ev: &[(f64, f64)]) -> f64 {
    ev.iter().map(|z| z.0).fold(f64::NEG_INFINITY, f64::max)
}

#[derive(Serialize)]
struct Eigs {
    re: Vec<f64>,
    im: Vec<f64>,
}

/// The `spectrum` part's JSON fields.
#[derive(Serialize)]
struct SpectrumOut {
    n: usize,
    p: usize,
    /// The load P/N actually used.
    alpha: f64,
    tau: f64,
    entries: &'static str,
    scaling: &'static str,
    /// Where J was computed (`gpu` or `cpu`).
    backend: &'static str,
    /// All N eigenvalues (sorted by real part, then imaginary part).
    eigenvalues: Eigs,
    theory: TheoryOut,
    /// Largest real part.
    rightmost: f64,
    /// Mean eigenvalue (`tr J / N`).
    mean: f64,
    /// Eigenvalues within 10⁻⁴ of 0 (relative), and how many the point mass predicts (N − P).
    zero_count: usize,
    zero_expected: usize,
    /// Fraction of the other eigenvalues outside the ellipse, and the largest
    /// ellipse-normalised radius √(u² + v²) among them (1 on the boundary).
    outside: f64,
    max_radius: f64,
}

/// The ellipse-normalised radius of `x + iy` (1 on the boundary).
fn ellipse_radius(law: &Law, x: f64, y: f64) -> f64 {
    let a = law.semi_real().max(1e-12);
    let b = law.semi_imag().max(1e-6 * (1.0 + a));
    ((x - law.center()) / a).hypot(y / b)
}

async fn spectrum(p: &Params, progress: &mut dyn Progress, compute: &Compute) -> Result<Output, RunError> {
    let n = p.usize("n");
    let pc = pattern_count(n, p.float("alpha"));
    let law = law(p);
    progress.step(0, 3);
    let mut rng = seeded(p.seed(), stream::PATTERNS);
    let (ev, _) = spectrum_of(n, pc, law.tau, entries(p), law.scale, &mut rng, compute).await?;
    progress.step(3, 3);
    let scale = law.max_modulus().max(1.0);
    let is_zero = |z: &(f64, f64)| z.0.hypot(z.1) < ZERO_TOL * scale;
    let zero_count = ev.iter().filter(|z| is_zero(z)).count();
    let rest: Vec<f64> = ev.iter().filter(|z| !is_zero(z)).map(|z| ellipse_radius(&law, z.0, z.1)).collect();
    let outside = rest.iter().filter(|&&r| r > 1.0).count() as f64 / rest.len().max(1) as f64;
    let max_radius = rest.iter().copied().fold(0.0, f64::max);
    let mean = ev.iter().map(|z| z.0).sum::<f64>() / n as f64;
    let mut table = Table {
        name: "eigenvalues",
        columns: ["re", "im", "modulus"].map(String::from).to_vec(),
        rows: Vec::with_capacity(n),
    };
    for z in &ev {
        table.rows.push(vec![Cell::Num(sig7(z.0)), Cell::Num(sig7(z.1)), Cell::Num(sig7(z.0.hypot(z.1)))]);
    }
    let mut out = Output::default();
    out.merge(SpectrumOut {
        n,
        p: pc,
        alpha: law.alpha,
        tau: law.tau,
        entries: p.choice("entries"),
        scaling: p.choice("scaling"),
        backend: if compute.uses_gpu() { "gpu" } else { "cpu" },
        eigenvalues: Eigs {
            re: ev.iter().map(|z| sig7(z.0)).collect(),
            im: ev.iter().map(|z| sig7(z.1)).collect(),
        },
        theory: law.out(),
        rightmost: sig7(max_re(&ev)),
        mean: sig7(mean),
        zero_count,
        zero_expected: n.saturating_sub(pc),
        outside,
        max_radius: sig7(max_radius),
    });
    out.tables.push(table);
    Ok(out)
}

/// The loads of the stability curve and the map: cell centres of `(0, alpha_max]`.
pub fn sweep_alphas(p: &Params) -> Vec<f64> {
    let m = p.usize("map_alphas");
    (0..m).map(|k| p.float("alpha_max") * (k as f64 + 0.5) / m as f64).collect()
}

/// The correlations of the map: evenly from −1 to 1.
pub fn sweep_taus(p: &Params) -> Vec<f64> {
    let m = p.usize("map_taus").max(2);
    (0..m).map(|k| -1.0 + 2.0 * k as f64 / (m - 1) as f64).collect()
}

/// Mean and standard deviation over trials of the rightmost eigenvalue at (α, τ).
#[allow(clippy::too_many_arguments)]
async fn rightmost_over_trials(
    p: &Params,
    alpha: f64,
    tau: f64,
    cell: u64,
    compute: &Compute,
    done: &mut usize,
    total: usize,
    progress: &mut dyn Progress,
) -> Result<(usize, f64, f64), RunError> {
    let n = p.usize("sweep_n");
    let pc = pattern_count(n, alpha);
    let scale = Law::new(pc as f64 / n as f64, tau, sqrt_alpha(p)).scale;
    let trials = p.usize("trials");
    let mut xs = Vec::with_capacity(trials);
    for t in 0..trials {
        let mut rng = for_trial(p.seed(), cell, t as u64);
        let (ev, _) = spectrum_of(n, pc, tau, entries(p), scale, &mut rng, compute).await?;
        xs.push(max_re(&ev));
        *done += 1;
        progress.step(*done, total);
    }
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    let sd = if xs.len() > 1 {
        (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
    } else {
        0.0
    };
    Ok((pc, m, sd))
}

/// The `stability` part's JSON (`stability`).
#[derive(Serialize)]
struct StabilityOut {
    tau: f64,
    g: f64,
    /// Neurons of every matrix.
    n: usize,
    trials: usize,
    scaling: &'static str,
    /// Loads P/N used (P = round(α·sweep_n)) and pattern counts.
    alpha: Vec<f64>,
    p: Vec<usize>,
    /// Rightmost eigenvalue: mean and standard deviation over trials, and the theory.
    mean: Vec<f64>,
    sd: Vec<f64>,
    theory: Vec<f64>,
    /// `g · mean < 1`, and the theory's verdict.
    stable: Vec<bool>,
    theory_stable: Vec<bool>,
    /// The stability threshold 1/g on the rightmost eigenvalue.
    threshold: f64,
    /// Loads where the theory's stability switches.
    switches: Vec<f64>,
    /// The theory on a fine grid of loads.
    curve: Curve,
}

#[derive(Serialize)]
struct Curve {
    alpha: Vec<f64>,
    rightmost: Vec<f64>,
}

async fn stability(p: &Params, progress: &mut dyn Progress, compute: &Compute) -> Result<Output, RunError> {
    let (tau, g, sq) = (p.float("tau"), p.float("g"), sqrt_alpha(p));
    let n = p.usize("sweep_n");
    let alphas = sweep_alphas(p);
    let total = alphas.len() * p.usize("trials");
    let mut done = 0;
    progress.step(0, total);
    let mut s = StabilityOut {
        tau,
        g,
        n,
        trials: p.usize("trials"),
        scaling: p.choice("scaling"),
        alpha: Vec::new(),
        p: Vec::new(),
        mean: Vec::new(),
        sd: Vec::new(),
        theory: Vec::new(),
        stable: Vec::new(),
        theory_stable: Vec::new(),
        threshold: 1.0 / g,
        switches: theory::switches(tau, g, sq, p.float("alpha_max")),
        curve: Curve { alpha: Vec::new(), rightmost: Vec::new() },
    };
    for (k, &a) in alphas.iter().enumerate() {
        let (pc, m, sd) =
            rightmost_over_trials(p, a, tau, k as u64, compute, &mut done, total, progress).await?;
        let al = pc as f64 / n as f64;
        let th = theory::rightmost(al, tau, sq);
        s.alpha.push(al);
        s.p.push(pc);
        s.mean.push(m);
        s.sd.push(sd);
        s.theory.push(th);
        s.stable.push(theory::stable(g, m));
        s.theory_stable.push(theory::stable(g, th));
    }
    let amax = p.float("alpha_max");
    for k in 1..=300 {
        let a = amax * k as f64 / 300.0;
        s.curve.alpha.push(a);
        s.curve.rightmost.push(theory::rightmost(a, tau, sq));
    }
    let mut table = Table {
        name: "stability",
        columns: ["alpha", "p", "mean", "sd", "theory", "stable", "theory_stable"].map(String::from).to_vec(),
        rows: Vec::new(),
    };
    for i in 0..s.alpha.len() {
        table.rows.push(vec![
            s.alpha[i].into(),
            s.p[i].into(),
            s.mean[i].into(),
            s.sd[i].into(),
            s.theory[i].into(),
            Cell::Num(f64::from(u8::from(s.stable[i]))),
            Cell::Num(f64::from(u8::from(s.theory_stable[i]))),
        ]);
    }
    let mut out = Output::default();
    out.merge(serde_json::json!({ "stability": s }));
    out.tables.push(table);
    Ok(out)
}

/// One cell of the `map`.
#[derive(Serialize, Clone)]
struct MapCell {
    alpha: f64,
    tau: f64,
    p: usize,
    /// Mean over trials of the rightmost eigenvalue, and its standard deviation.
    rightmost: f64,
    sd: f64,
    theory_rightmost: f64,
    /// `g · rightmost < 1` (simulation) and the theory's verdict.
    stable: bool,
    theory_stable: bool,
    /// The theory is stable here although it is unstable at a smaller load of this τ.
    nonmonotonic: bool,
}

/// The map's axes and the theory's stability boundary (`map_grid`).
#[derive(Serialize)]
struct MapGrid {
    alphas: Vec<f64>,
    taus: Vec<f64>,
    g: f64,
    n: usize,
    trials: usize,
    scaling: &'static str,
    alpha_max: f64,
    /// Points `[α, τ]` where the theory's stability switches, on a fine τ grid.
    boundary: Vec<[f64; 2]>,
}

/// Cells of the map use trial streams from here on (the stability curve uses 0..map_alphas).
const MAP_CELLS: u64 = 1 << 16;

async fn map(p: &Params, progress: &mut dyn Progress, compute: &Compute) -> Result<Output, RunError> {
    let (g, sq, amax) = (p.float("g"), sqrt_alpha(p), p.float("alpha_max"));
    let n = p.usize("sweep_n");
    let (alphas, taus) = (sweep_alphas(p), sweep_taus(p));
    let total = alphas.len() * taus.len() * p.usize("trials");
    let mut done = 0;
    progress.step(0, total);
    let mut cells = Vec::new();
    for (j, &tau) in taus.iter().enumerate() {
        for (k, &a) in alphas.iter().enumerate() {
            let cell = MAP_CELLS + (j * alphas.len() + k) as u64;
            let (pc, m, sd) =
                rightmost_over_trials(p, a, tau, cell, compute, &mut done, total, progress).await?;
            let al = pc as f64 / n as f64;
            let th = theory::rightmost(al, tau, sq);
            let c = MapCell {
                alpha: al,
                tau,
                p: pc,
                rightmost: m,
                sd,
                theory_rightmost: th,
                stable: theory::stable(g, m),
                theory_stable: theory::stable(g, th),
                nonmonotonic: theory::nonmonotonic_at(al, tau, g, sq, amax),
            };
            if let Ok(piece) = serde_json::to_value(&c) {
                progress.partial(&piece);
            }
            cells.push(c);
        }
    }
    let mut boundary = Vec::new();
    for k in 0..=200 {
        let tau = -1.0 + 2.0 * k as f64 / 200.0;
        for a in theory::switches(tau, g, sq, amax) {
            boundary.push([a, tau]);
        }
    }
    let mut table = Table {
        name: "map",
        columns: [
            "alpha",
            "tau",
            "p",
            "rightmost",
            "sd",
            "theory_rightmost",
            "stable",
            "theory_stable",
            "nonmonotonic",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    let b = |x: bool| Cell::Num(f64::from(u8::from(x)));
    for c in &cells {
        table.rows.push(vec![
            c.alpha.into(),
            c.tau.into(),
            c.p.into(),
            c.rightmost.into(),
            c.sd.into(),
            c.theory_rightmost.into(),
            b(c.stable),
            b(c.theory_stable),
            b(c.nonmonotonic),
        ]);
    }
    let grid = MapGrid {
        alphas,
        taus,
        g,
        n,
        trials: p.usize("trials"),
        scaling: p.choice("scaling"),
        alpha_max: amax,
        boundary,
    };
    let mut out = Output::default();
    out.merge(serde_json::json!({ "map": cells, "map_grid": grid }));
    out.tables.push(table);
    Ok(out)
}

/// Nonlinear trajectories simulated.
const STARTS: usize = 3;
/// RMS of the random starts.
const START_RMS: f64 = 1e-3;

async fn dynamics(p: &Params, progress: &mut dyn Progress, compute: &Compute) -> Result<Output, RunError> {
    let n = p.usize("n");
    let pc = pattern_count(n, p.float("alpha"));
    let law = law(p);
    let g = p.float("g");
    let pairs = draw(n, pc, law.tau, entries(p), &mut seeded(p.seed(), stream::PATTERNS));
    let mut j = coupling(compute, &pairs).await.to_f64();
    for v in &mut j.data {
        *v *= law.scale;
    }
    let mut rng = seeded(p.seed(), stream::PROBE);
    let x0 = Mat {
        rows: n,
        cols: STARTS,
        data: (0..n * STARTS).map(|_| START_RMS * rng::normal(&mut rng)).collect(),
    };
    let tr =
        dynamics::simulate(&j, g, &x0, p.float("t_max"), dynamics_step(p), 200, |d, t| progress.step(d, t));
    let th = law.rightmost();
    let mut table = Table { name: "dynamics", columns: vec!["t".into()], rows: Vec::new() };
    for k in 0..STARTS {
        table.columns.push(format!("nonlinear_{k}"));
    }
    table.columns.push("linear".into());
    for (i, &t) in tr.t.iter().enumerate() {
        let mut row = vec![Cell::Num(t)];
        row.extend(tr.nonlinear.iter().map(|v| Cell::Num(v[i])));
        row.push(Cell::Num(tr.linear[i].unwrap_or(f64::NAN)));
        table.rows.push(row);
    }
    let mut out = Output::default();
    out.merge(serde_json::json!({ "dynamics": {
        "g": g,
        "n": n,
        "alpha": law.alpha,
        "tau": law.tau,
        "theory_rightmost": th,
        "theory_rate": g * th - 1.0,
        "theory_stable": theory::stable(g, th),
        "trajectories": tr,
    }}));
    out.tables.push(table);
    Ok(out)
}

fn run<'a>(
    p: &'a Params,
    parts: &'a [&'a str],
    progress: &'a mut dyn Progress,
    compute: &'a Compute,
) -> LabFuture<'a> {
    Box::pin(async move {
        let mut out = Output::default();
        let mut add = |o: Output| {
            out.json.extend(o.json);
            out.tables.extend(o.tables);
        };
        if parts.contains(&"spectrum") {
            add(spectrum(p, progress, compute).await?);
        }
        if parts.contains(&"stability") {
            add(stability(p, progress, compute).await?);
        }
        if parts.contains(&"map") {
            add(map(p, progress, compute).await?);
        }
        if parts.contains(&"dynamics") {
            add(dynamics(p, progress, compute).await?);
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests;
