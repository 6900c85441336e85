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
        }
    }
}
