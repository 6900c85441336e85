//! The source papers and what of each the labs reproduce: the presets that `hopfield
//! reproduce PAPER` runs, and the reduced sizes of its `--quick` smoke run.

use super::cite::{self, Citation};

/// Which presets of a lab a paper's reproduction runs.
#[derive(Debug, Clone, Copy)]
pub enum Select {
    /// The presets whose `reproduces` is not empty.
    Reproducing,
    /// Every preset (a paper of which no figure is reproducible: what the lab shows instead).
    All,
    /// These presets, in this order.
    Named(&'static [&'static str]),
}

/// One lab's share of a paper.
#[derive(Debug)]
pub struct PaperLab {
    pub lab: &'static str,
    pub select: Select,
    /// Keys added after each preset's for `--quick` (later keys win): smaller sizes, fewer
    /// trials, so that every figure is written in seconds. Not the paper's numbers.
    pub quick: &'static str,
}

/// A source paper.
#[derive(Debug)]
pub struct Paper {
    /// Its id on the command line (`hopfield reproduce ID`).
    pub id: &'static str,
    pub citation: &'static Citation,
    pub labs: &'static [PaperLab],
    /// What the reproduction is and is not (empty: the presets' own notes say it).
    pub note: &'static str,
}

const CLASSIC_QUICK: &str = "cap_n=40&cap_points=3&cap_trials=2";
const KLR_QUICK: &str = "n=30&epochs=20&tests=3&sw_gn=3&sw_ln=3&cap_points=2&cap_max=2";
const HHD_QUICK: &str = "samples=120&sub_count=3&t1_subsets=2&t1_size=40&t1_ninit=1&d_max=3";
const DENSE_QUICK: &str = "grid=24&particles=0&nd_n=8&p3_n=20&p3_trials=3&p3_points=3&c_starts=3&e7_starts=2";
const HETERO_QUICK: &str = "n=120&trials=1&sweep_n=30&map_alphas=3&map_taus=2&t_max=2";
const SOFTKMEANS_QUICK: &str = "m=20&iters=20&ik=2&qepochs=1&qiters=5";
const KHOPFIELD_QUICK: &str = "p=100&cap_trials=1&cap_probes=5&cap_pmax=100&rk_p=50&rk_probes=10&rk_points=2";
const ELCD_QUICK: &str = "steps=30&starts=2&grid=8&batch=20";

/// Every source paper, in the labs' order.
pub static PAPERS: &[Paper] = &[
    Paper {
        id: "hopfield1982",
        citation: &cite::HOPFIELD_1982,
        labs: &[PaperLab {
            lab: "classic",
            select: Select::Named(&["recall", "overload", "sync-cycle", "capacity-ags"]),
            quick: CLASSIC_QUICK,
        }],
        note: "Hopfield's model (Hebbian storage, asynchronous recall, the energy that never rises) and \
               its capacity; the capacity curve's 0.138 line is Amit, Gutfreund & Sompolinsky (1985), \
               beside Hopfield's own estimate of about 0.15 N.",
    },
    Paper {
        id: "tamamori",
        citation: &cite::TAMAMORI,
        labs: &[PaperLab { lab: "klr", select: Select::Reproducing, quick: KLR_QUICK }],
        note: "The author's protocol with diverge=continue, so that the figures appear where training \
               diverged (marked).",
    },
    Paper {
        id: "sargolzaei-rueda",
        citation: &cite::SARGOLZAEI_RUEDA_2025,
        labs: &[PaperLab { lab: "hhd", select: Select::Reproducing, quick: HHD_QUICK }],
        note: "Tables 1 and 2 differ from the paper's numbers (the lab's README section says where and why).",
    },
    Paper {
        id: "fanaskov-oseledets",
        citation: &cite::FANASKOV_OSELEDETS,
        labs: &[PaperLab {
            lab: "dense",
            select: Select::Named(&[
                "figure-1",
                "example-2",
                "example-3",
                "example-4",
                "e3-rises",
                "gradient-flow",
                "example-5-1",
                "appc-n50",
            ]),
            quick: DENSE_QUICK,
        }],
        note: "e3-rises shows that E3 is not a Lyapunov function of (9) with R = I − WΛ as printed; \
               gradient-flow shows the transposed R for which it is.",
    },
    Paper {
        id: "tomoto-teramae",
        citation: &cite::TOMOTO_TERAMAE_2025,
        labs: &[PaperLab { lab: "hetero", select: Select::All, quick: HETERO_QUICK }],
        note: "Only a lay summary of this paper is available here: none of its figures is reproduced. \
               The lab shows instead the elliptic law of the ensemble (Akemann, Byun & Kang, \
               arXiv:2004.07626) and the non-monotonic stability the summary describes.",
    },
    Paper {
        id: "jaffe",
        citation: &cite::JAFFE_2024,
        labs: &[
            PaperLab { lab: "softkmeans", select: Select::Reproducing, quick: SOFTKMEANS_QUICK },
            PaperLab { lab: "khopfield", select: Select::Reproducing, quick: KHOPFIELD_QUICK },
            PaperLab { lab: "elcd", select: Select::Reproducing, quick: ELCD_QUICK },
        ],
        note: "Chapters 2 (soft k-means), 3 (k-nearest memories) and 4 (contracting dynamics); \
               Tables 2.1–2.2 in shape only (a small MLP on 8×8 digits, not the pretrained CNN).",
    },
];

/// Our numbers beside the paper's, where the paper prints numbers for what a preset reproduces
/// (the `compared` field of `hopfield reproduce`'s manifest; the paper page shows `summary`).
/// `None` where the paper shows a figure only, or the output lacks the numbers.
pub fn compared(
    lab: &str,
    preset: &str,
    out: &serde_json::Map<String, serde_json::Value>,
) -> Option<serde_json::Value> {
    use crate::plot::ticks::number;
    use serde_json::json;
    match (lab, preset) {
        ("classic", "capacity-ags") => {
            let c = out.get("capacity")?;
            let load: Vec<f64> = c.get("load")?.as_array()?.iter().filter_map(|v| v.as_f64()).collect();
            let near: Vec<f64> = c.get("near")?.as_array()?.iter().filter_map(|v| v.as_f64()).collect();
            // The load where near recall (m ≥ 0.9) first drops below one half, interpolated.
            let k = near.iter().position(|&f| f < 0.5)?;
            let ours = if k == 0 {
                load[0]
            } else {
                let (l0, l1, f0, f1) = (load[k - 1], load[k], near[k - 1], near[k]);
                l0 + (l1 - l0) * (f0 - 0.5) / (f0 - f1)
            };
            Some(json!({
                "quantity": "load P/N where near recall (m ≥ 0.9) drops below 1/2",
                "ours": ours,
                "paper": 0.138,
                "paper_source": "Amit, Gutfreund & Sompolinsky (1985); Hopfield (1982) estimates about 0.15",
                "summary": format!("near recall drops below 1/2 at P/N ≈ {} here; the theory's 0.138 (Hopfield: about 0.15)", number(ours)),
            }))
        }
        ("hhd", "table1") => {
            let rows = out.get("table1")?.as_array()?;
            let line: Vec<String> = rows
                .iter()
                .filter_map(|r| {
                    Some(format!(
                        "{} {} (paper {})",
                        r.get("init")?.as_str()?,
                        number(r.get("v_measure_mean")?.as_f64()?),
                        number(r.get("paper_v_measure_mean")?.as_f64()?)
                    ))
                })
                .collect();
            Some(json!({
                "quantity": "Table 1: mean V-measure, ARI and AMI per initialisation (ours and the paper's columns)",
                "rows": rows,
                "summary": format!("V-measure: {}", line.join(", ")),
            }))
        }
        ("hhd", "table2") => Some(json!({
            "quantity": "Table 2: tree metrics without and with entropy removal",
            "ours": out.get("table2")?,
            "paper": out.get("table2_paper")?,
            "summary": "the tree metrics beside the paper's (the paper's data set for Table 2 is not named)",
        })),
        _ => None,
    }
}

/// A lab's reduced sizes for quick runs (the `--quick` keys of the first paper it reproduces).
pub fn quick_keys(lab: &str) -> Option<&'static str> {
    PAPERS.iter().flat_map(|p| p.labs.iter()).find(|l| l.lab == lab).map(|l| l.quick)
}

/// The paper called `id` (case-insensitive).
pub fn find(id: &str) -> Option<&'static Paper> {
    PAPERS.iter().find(|p| p.id.eq_ignore_ascii_case(id))
}

/// The presets of `lab` that `select` picks (unknown names are left out; the tests check
/// that there are none).
pub fn presets(lab: &'static super::LabDef, select: Select) -> Vec<&'static super::Preset> {
    match select {
        Select::Reproducing => lab.presets().iter().filter(|p| !p.reproduces.is_empty()).collect(),
        Select::All => lab.presets().iter().collect(),
        Select::Named(names) => names.iter().filter_map(|n| lab.preset(n)).collect(),
    }
}

/// One preset of a paper's reproduction: what `hopfield reproduce` runs and the paper's page
/// computes (its thumbnails), from the same list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Job {
    pub lab: &'static str,
    pub preset: &'static str,
    pub label: &'static str,
    pub reproduces: &'static str,
    pub note: &'static str,
    /// The link of the preset at full size.
    pub link: String,
    /// The query that runs (the link, plus the lab's quick keys with `quick`).
    pub query: String,
    /// The parts the preset switches on, in the lab's order.
    pub parts: Vec<&'static str>,
    /// The figures drawn from those parts alone.
    pub figures: Vec<&'static str>,
}

/// The presets `paper`'s reproduction runs, in order; `quick` adds each lab's reduced sizes.
pub fn jobs(paper: &Paper, quick: bool) -> Result<Vec<Job>, String> {
    let mut v = Vec::new();
    for pl in paper.labs {
        let lab = super::find(pl.lab).ok_or_else(|| format!("{}: no lab {}", paper.id, pl.lab))?;
        let runner = lab.runner.as_ref().ok_or_else(|| format!("{}: {} is not built", paper.id, lab.id))?;
        for preset in presets(lab, pl.select) {
            let link = format!("v=1&lab={}&preset={}", lab.id, preset.name);
            let query = if quick { format!("{link}&{}", pl.quick) } else { link.clone() };
            let state = crate::api::from_query(&query).state().ok_or_else(|| format!("{query}: no lab"))?;
            let parts: Vec<&'static str> = runner
                .parts
                .iter()
                .map(|p| p.name)
                .filter(|p| (runner.cost)(&state.params, p) > 0.0)
                .collect();
            let figures = lab
                .figures()
                .iter()
                .filter(|f| !f.parts.is_empty() && f.parts.iter().all(|p| parts.contains(p)))
                .map(|f| f.name)
                .collect();
            v.push(Job {
                lab: lab.id,
                preset: preset.name,
                label: preset.label,
                reproduces: preset.reproduces,
                note: preset.note,
                link,
                query,
                parts,
                figures,
            });
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_paper_names_built_labs_and_existing_presets() {
        for paper in PAPERS {
            for pl in paper.labs {
                let lab =
                    super::super::find(pl.lab).unwrap_or_else(|| panic!("{}: no lab {}", paper.id, pl.lab));
                assert!(lab.runner.is_some(), "{}: {} is not built", paper.id, pl.lab);
                let picked = presets(lab, pl.select);
                assert!(!picked.is_empty(), "{}: no presets of {}", paper.id, pl.lab);
                if let Select::Named(names) = pl.select {
                    assert_eq!(picked.len(), names.len(), "{}: a preset of {} is missing", paper.id, pl.lab);
                }
                // The quick keys are keys of the lab, and parse without notices.
                let q = format!("lab={}&{}", pl.lab, pl.quick);
                let parsed = crate::api::from_query(&q);
                assert!(parsed.notices.is_empty(), "{}: {q}: {:?}", paper.id, parsed.notices);
            }
            // Every preset switches on a part and draws a figure, at full and quick sizes.
            for quick in [false, true] {
                let jobs = jobs(paper, quick).expect("jobs");
                assert!(!jobs.is_empty(), "{}", paper.id);
                for j in &jobs {
                    assert!(
                        !j.parts.is_empty() && !j.figures.is_empty(),
                        "{}: {} {}",
                        paper.id,
                        j.lab,
                        j.preset
                    );
                    assert!(j.query.starts_with(&j.link));
                }
            }
        }
        assert!(find("tamamori").is_some() && find("nope").is_none());
    }

    #[test]
    fn compared_interpolates_the_capacity_crossing_and_passes_tables_through() {
        let out = serde_json::json!({ "capacity": { "load": [0.05, 0.1, 0.15, 0.2], "near": [1.0, 0.9, 0.3, 0.0] } });
        let c = compared("classic", "capacity-ags", out.as_object().expect("object")).expect("numbers");
        // Between 0.1 (0.9) and 0.15 (0.3): 0.1 + 0.05 · 0.4 / 0.6.
        assert!((c["ours"].as_f64().expect("ours") - (0.1 + 0.05 * 0.4 / 0.6)).abs() < 1e-12);
        assert_eq!(c["paper"], 0.138);
        // Never below one half: no crossing, no numbers (rather than a made-up one).
        let flat = serde_json::json!({ "capacity": { "load": [0.05, 0.1], "near": [1.0, 0.9] } });
        assert!(compared("classic", "capacity-ags", flat.as_object().expect("object")).is_none());
        let t1 = serde_json::json!({ "table1": [{ "init": "hhd", "v_measure_mean": 0.5, "paper_v_measure_mean": 0.6 }] });
        let c = compared("hhd", "table1", t1.as_object().expect("object")).expect("table");
        assert!(c["summary"].as_str().expect("text").contains("hhd 0.5 (paper 0.6)"), "{c}");
        assert!(compared("klr", "fig1", t1.as_object().expect("object")).is_none());
    }
}
