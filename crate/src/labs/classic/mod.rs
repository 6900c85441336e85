//! Lab 0 — the classic Hopfield network (Hopfield 1982; Amit, Gutfreund & Sompolinsky 1985).
//!
//! Parameters (URL / CLI keys), the consistency rules between them, and the two
//! parts of the result: `recall` (one network, one probe, the step-by-step recall)
//! and `capacity` (success rate against the load P/N).

pub mod capacity;
mod figures;
pub mod model;
mod params;

pub use self::params::{MAX_N, MAX_P};

use self::capacity::capacity_curve;
use self::model::{Hebbian, Mode, Recall, corrupt};
use self::params::{PARAMS, capacity_config, check, cost, effective_n, grid_width, mode};
use super::{Cell, LabDef, LabFuture, Output, Part, Preset, Progress, RunError, Runner, Table, no_limits};
use crate::compute::Compute;
use crate::data;
use crate::params::Params;
use crate::rng::{self, seeded, stream};
use serde::Serialize;

/// The registry entry.
pub const LAB: LabDef = LabDef {
    id: "classic",
    title: "Classic Hopfield network",
    summary: "Hebbian storage of ±1 patterns or digits, step-by-step recall from a corrupted probe, the energy, and the ≈0.14 N capacity limit.",
    source: "Hopfield (1982); Amit, Gutfreund & Sompolinsky (1985) — the baseline every source compares against",
    params: PARAMS,
    runner: Some(Runner {
        parts: &[
            Part {
                name: "recall",
                keys: &["data", "pats", "n", "p", "target", "flip", "flips", "mode", "steps"],
            },
            Part {
                name: "capacity",
                keys: &["cap_n", "cap_max", "cap_points", "cap_trials", "flip", "mode", "steps"],
            },
        ],
        check,
        limits: no_limits,
        cost,
        run,
        gpu: false,
        presets: PRESETS,
        figures: figures::FIGURES,
        shards: None,
        import: Some(import_file),
    }),
    about: ABOUT,
    sources: &[&super::cite::HOPFIELD_1982, &super::cite::AMIT_1985],
};

/// A visitor's file: a PNG image (the page turns other image formats into PNG first) or a CSV
/// of patterns (see [`import_csv`]).
fn import_file(p: &Params, name: &str, bytes: &[u8]) -> Result<super::Import, String> {
    if bytes.starts_with(b"\x89PNG") { import_image(p, name, bytes) } else { import_csv(p, name, bytes) }
}

/// Side of the square grid an image becomes: the current N's when it is a square of random or
/// painted patterns, else 10 (N = 100).
fn image_side(p: &Params) -> usize {
    let n = p.usize("n");
    let side = (n as f64).sqrt().round() as usize;
    if matches!(p.choice("data"), "random" | "painted") && side * side == n && side >= 2 { side } else { 10 }
}

/// A PNG image becomes one painted pattern: box-averaged to the grid (√N × √N, stretched to
/// a square) and thresholded at its mean luminance, darker pixels +1 (ink on paper). Added to
/// the painted patterns already in the link when their N matches, else the first of new ones.
fn import_image(p: &Params, name: &str, bytes: &[u8]) -> Result<super::Import, String> {
    let img = crate::data::image::RgbImage::from_png(bytes).map_err(|e| format!("{name}: {e}"))?;
    let side = image_side(p);
    let lum = img.box_resize(side, side).luminance();
    let mean = lum.iter().sum::<f64>() / lum.len() as f64;
    let bits: Vec<bool> = lum.iter().map(|&v| v < mean).collect();
    if bits.iter().all(|&b| b) || bits.iter().all(|&b| !b) {
        return Err(format!("{name}: at {side}×{side} the image has one shade only; nothing to store"));
    }
    let mut pats: Vec<String> = if p.choice("data") == "painted" && p.usize("n") == side * side {
        p.tokens("pats").to_vec()
    } else {
        Vec::new()
    };
    if pats.len() >= params::MAX_PAINTED {
        return Err(format!(
            "{name}: the link already holds {} patterns, the most it carries",
            params::MAX_PAINTED
        ));
    }
    pats.push(crate::params::bits::encode(&bits));
    Ok(super::Import {
        set: vec![
            ("data".into(), "painted".into()),
            ("n".into(), (side * side).to_string()),
            ("pats".into(), pats.join(".")),
            ("target".into(), (pats.len() - 1).to_string()),
        ],
        keep_file: false,
    })
}

/// A CSV of patterns, one per row, values ±1 or 0/1 (any positive number is +1): stored as
/// painted patterns, with N the number of columns.
fn import_csv(_p: &Params, name: &str, bytes: &[u8]) -> Result<super::Import, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{name} is not a text (CSV) file"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows: Vec<Vec<bool>> = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let mut row = Vec::new();
        for cell in line.split([',', ';', '\t', ' ']).map(str::trim).filter(|c| !c.is_empty()) {
            let v: f64 =
                cell.parse().map_err(|_| format!("{name}, line {}: {cell:?} is not a number", i + 1))?;
            if !v.is_finite() {
                return Err(format!("{name}, line {}: {cell} is not finite", i + 1));
            }
            row.push(v > 0.0);
        }
        rows.push(row);
    }
    let n = rows.first().map_or(0, Vec::len);
    if rows.is_empty() || n == 0 {
        return Err(format!("{name} has no numbers: expected one pattern per row"));
    }
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != n) {
        return Err(format!("{name}: row {} has {} values, the first has {n}", i + 1, r.len()));
    }
    if !(4..=MAX_N as usize).contains(&n) {
        return Err(format!("{name}: patterns of {n} values; this lab takes 4 to {MAX_N}"));
    }
    if rows.len() > params::MAX_PAINTED {
        return Err(format!(
            "{name}: {} patterns; at most {} travel in a link",
            rows.len(),
            params::MAX_PAINTED
        ));
    }
    let pats: Vec<String> = rows.iter().map(|r| crate::params::bits::encode(r)).collect();
    Ok(super::Import {
        set: vec![
            ("data".into(), "painted".into()),
            ("n".into(), n.to_string()),
            ("pats".into(), pats.join(".")),
            ("target".into(), "0".into()),
        ],
        keep_file: false,
    })
}

const PRESETS: &[Preset] = &[
    Preset {
        name: "recall",
        label: "Recall at P/N = 0.1",
        query: "data=random&n=100&p=10&flip=0.15&mode=async",
        reproduces: "",
        note: "Ten random patterns in 100 neurons: a probe with 15% of its bits flipped falls back to its pattern.",
    },
    Preset {
        name: "overload",
        label: "Overloaded (P/N = 0.25)",
        query: "data=random&n=100&p=25&flip=0.1&mode=async",
        reproduces: "",
        note: "Past the 0.138 N limit the probe settles in a spurious state near, not at, its pattern.",
    },
    Preset {
        name: "sync-cycle",
        label: "Synchronous 2-cycle",
        query: "data=random&n=100&p=14&flip=0.3&mode=sync&seed=3",
        reproduces: "",
        note: "Synchronous updates can oscillate between two states forever; asynchronous ones cannot.",
    },
    Preset {
        name: "digits",
        label: "Three digits",
        query: "data=digits&p=3&target=1&flip=0.1",
        reproduces: "",
        note: "The mean 8×8 images of 0, 1 and 2: correlated patterns, still recalled at P = 3.",
    },
    Preset {
        name: "digits-10",
        label: "Ten digits interfere",
        query: "data=digits&p=10&target=3&flip=0.05",
        reproduces: "",
        note: "All ten mean digits: they are so correlated that even a nearly clean probe drifts to a mixture.",
    },
    Preset {
        name: "letters",
        label: "Letters H, O, P",
        query: "data=painted&pats=H.O.P&n=100&target=0&flip=0.15",
        reproduces: "",
        note: "Three letters drawn into 10×10 grids: paint over them, type more letters, and watch recall.",
    },
    Preset {
        name: "capacity-ags",
        label: "Capacity, 100 trials",
        query: "cap_n=200&cap_max=0.24&cap_points=12&cap_trials=100&flip=0.1&mode=async",
        reproduces: "Amit, Gutfreund & Sompolinsky (1985): near recall up to P/N ≈ 0.138",
        note: "Success against load for N = 200 with both criteria: exact recall fails first, near N/(2 ln N).",
    },
];

const ABOUT: &str = r#"<p><b>Storage.</b> P patterns ξ<sup>μ</sup> ∈ {−1,+1}<sup>N</sup> are stored with the Hebb rule
<math><mi>W</mi><mo>=</mo><mfrac><mn>1</mn><mi>N</mi></mfrac><munder><mo>∑</mo><mi>μ</mi></munder><msup><mi>ξ</mi><mi>μ</mi></msup><msup><mi>ξ</mi><mrow><mi>μ</mi><mi>T</mi></mrow></msup></math>,
zero diagonal. <b>Recall</b> starts from a probe (pattern <code>target</code> with a fraction <code>flip</code> of its bits
flipped, plus any pixels you click) and updates
<math><msub><mi>s</mi><mi>i</mi></msub><mo>←</mo><mi>sign</mi><mo>(</mo><munder><mo>∑</mo><mi>j</mi></munder><msub><mi>W</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><msub><mi>s</mi><mi>j</mi></msub><mo>)</mo></math>
with sign(0) = +1: <i>async</i> updates one neuron at a time in a fresh random order each sweep, <i>sync</i> updates all at once.</p>
<p><b>Energy</b> <math><mi>E</mi><mo>=</mo><mo>−</mo><mfrac><mn>1</mn><mn>2</mn></mfrac><msup><mi>s</mi><mi>T</mi></msup><mi>W</mi><mi>s</mi></math>
never increases under asynchronous updates; synchronous updates can fall into a 2-cycle, which is reported, not hidden.
<b>Overlap</b> m<sub>μ</sub> = ξ<sup>μ</sup>·s / N.</p>
<p><b>Capacity</b> depends on the criterion: exact recall (final m = 1) fails near P = N / (2 ln N); near recall
(m ≥ 0.9) fails near the Amit–Gutfreund–Sompolinsky load P/N ≈ 0.138. Each point is <code>cap_trials</code> fresh random
networks of <code>cap_n</code> neurons, probing pattern 0 with the same noise and update rule as above.</p>
<p><b>Digits</b>: scikit-learn's 8×8 digits (UCI, Alpaydin 1998), thresholded at 8/16. Digit images are strongly
correlated, so they interfere far below 0.138 N — try P = 3 and P = 10.</p>
<p>All numbers are exact (integer arithmetic scaled by N), so this page and the <code>hopfield</code> CLI print identical
values for the same link. This lab always runs on the CPU (in a Web Worker), whatever the compute backend: exactness
matters more here than speed.</p>"#;

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
        "painted" => {
            let (n, cols) = (p.usize("n"), grid_width(p));
            let pats = p
                .tokens("pats")
                .iter()
                .filter_map(|t| crate::params::bits::decode(t, n, cols))
                .map(|bits| bits.into_iter().map(|b| if b { 1i8 } else { -1 }).collect())
                .collect();
            (pats, cols)
        }
        _ => {
            let n = p.usize("n");
            let mut rng = seeded(p.seed(), stream::PATTERNS);
            let pats = (0..count).map(|_| rng::spins(&mut rng, n)).collect();
            (pats, grid_width(p))
        }
    }
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
        let curve = capacity_curve(&capacity_config(p), progress);
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
    use crate::api::from_query;
    use crate::labs::NoProgress;

    fn params(q: &str) -> Params {
        from_query(&format!("lab=classic&{q}")).state().expect("classic").params
    }

    #[test]
    fn a_csv_of_patterns_becomes_painted_patterns() {
        let csv = b"1,-1,1,-1,1,1\n0,0,1,1,0,1\n";
        let set = import_csv(&params(""), "p.csv", csv).expect("imports").set;
        let q: String = set.iter().map(|(k, v)| format!("&{k}={v}")).collect();
        let p = params(&q);
        assert_eq!((p.choice("data"), p.int("n"), p.int("p")), ("painted", 6, 2));
        let (pats, _) = patterns(&p);
        assert_eq!(pats[0], vec![1, -1, 1, -1, 1, 1]);
        assert_eq!(pats[1], vec![-1, -1, 1, 1, -1, 1]);
    }

    /// A `w × h` gray PNG, black where `ink(x, y)`, white elsewhere.
    fn gray_png(w: u32, h: u32, ink: impl Fn(u32, u32) -> bool) -> Vec<u8> {
        let data: Vec<u8> = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| if ink(x, y) { 0 } else { 255 })
            .collect();
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Grayscale);
            let mut wr = enc.write_header().expect("header");
            wr.write_image_data(&data).expect("data");
        }
        out
    }

    #[test]
    fn an_image_becomes_a_painted_pattern_on_the_grid() {
        // A 40×40 picture of a plus: columns and rows 16..24 black. At 10×10 each cell
        // averages 4×4 pixels, so cells 4 and 5 of each axis are ink.
        let plus = gray_png(40, 40, |x, y| (16..24).contains(&x) || (16..24).contains(&y));
        let set = import_file(&params("n=100"), "plus.png", &plus).expect("imports").set;
        let q: String = set.iter().map(|(k, v)| format!("&{k}={v}")).collect();
        let p = params(&q);
        assert_eq!((p.choice("data"), p.int("n"), p.int("p"), p.int("target")), ("painted", 100, 1, 0));
        let (pats, _) = patterns(&p);
        for r in 0..10 {
            for c in 0..10 {
                let ink = (4..6).contains(&r) || (4..6).contains(&c);
                assert_eq!(pats[0][r * 10 + c], if ink { 1 } else { -1 }, "cell {r},{c}");
            }
        }
        // A second image is added to the painted patterns of the same N; the target follows.
        let bar = gray_png(20, 20, |x, _| x < 5);
        let set = import_file(&p, "bar.png", &bar).expect("imports").set;
        let q: String = set.iter().map(|(k, v)| format!("&{k}={v}")).collect();
        let p2 = params(&q);
        assert_eq!((p2.int("p"), p2.int("target")), (2, 1));
        let (pats2, _) = patterns(&p2);
        assert_eq!(pats2[0], pats[0]);
        assert!((0..10).all(|r| pats2[1][r * 10] == 1 && pats2[1][r * 10 + 9] == -1));
        // A 256-neuron view takes images at 16×16.
        let set = import_file(&params("n=256"), "plus.png", &plus).expect("imports").set;
        assert!(set.contains(&("n".to_string(), "256".to_string())));
    }

    #[test]
    fn a_flat_or_broken_image_is_refused_with_a_reason() {
        let p = params("");
        let flat = gray_png(8, 8, |_, _| false);
        assert!(import_file(&p, "white.png", &flat).is_err_and(|e| e.contains("one shade")));
        let mut broken = gray_png(8, 8, |x, _| x < 3);
        broken.truncate(30);
        assert!(import_file(&p, "cut.png", &broken).is_err_and(|e| e.starts_with("cut.png: ")));
    }

    #[test]
    fn a_bad_csv_says_what_is_wrong() {
        let p = params("");
        assert!(import_csv(&p, "x.csv", b"1,2,3,4\n1,2\n").is_err_and(|e| e.contains("row 2 has 2 values")));
        assert!(import_csv(&p, "x.csv", b"1,abc,3,4\n").is_err_and(|e| e.contains("not a number")));
        assert!(
            import_csv(&p, "x.csv", b"1,nan,3,4\n")
                .is_err_and(|e| e.contains("not finite") || e.contains("not a number"))
        );
        assert!(import_csv(&p, "x.csv", b"1,1\n").is_err_and(|e| e.contains("4 to")));
        assert!(import_csv(&p, "x.csv", &[0xff, 0xfe]).is_err_and(|e| e.contains("not a text")));
    }

    #[test]
    fn painted_letters_are_stored_and_recalled() {
        let out =
            run_cpu(&params("data=painted&pats=H.O.P&n=100&target=1&flip=0.1"), &["recall"], &mut NoProgress)
                .expect("runs");
        assert_eq!(out.json["p"], serde_json::json!(3));
        assert_eq!(out.json["recalled"], serde_json::json!(true));
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
