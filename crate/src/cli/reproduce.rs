//! `hopfield reproduce PAPER --out DIR`: run every preset of a source paper natively and
//! write each of its figures as SVG, PNG and CSV, with a `manifest.json`.

use crate::api::{self, from_query};
use crate::labs::NoProgress;
use crate::labs::papers::{self, PAPERS, Paper};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// `hopfield reproduce --list`: one paper a line, its id, a tab, its citation.
pub fn list() -> ExitCode {
    for p in PAPERS {
        println!("{}\t{}", p.id, p.citation.text());
    }
    ExitCode::SUCCESS
}

/// Run paper `id` into `out` (created if missing).
pub fn reproduce(id: &str, out: &Path, quick: bool) -> ExitCode {
    let Some(paper) = papers::find(id) else {
        eprintln!(
            "error: no paper called {id:?} (papers: {})",
            PAPERS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
        );
        return ExitCode::FAILURE;
    };
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("error: cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    match run_paper(paper, out, quick) {
        Ok(n) => {
            eprintln!("{}: {n} figures written to {}", paper.id, out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn run_paper(paper: &Paper, out: &Path, quick: bool) -> Result<usize, String> {
    let compute = crate::compute::Compute::cpu("native");
    let jobs = papers::jobs(paper, quick)?;
    let mut figures = Vec::new();
    let total = Instant::now();
    for (i, job) in jobs.iter().enumerate() {
        let (lab_id, query) = (job.lab, &job.query);
        eprintln!("[{}/{}] {lab_id} {} …", i + 1, jobs.len(), job.preset);
        let parsed = from_query(query);
        let state = parsed.state().ok_or_else(|| format!("{query}: no lab"))?;
        let active = &job.parts;
        let defs: Vec<_> = job.figures.iter().filter_map(|name| state.lab.figure(name)).collect();
        let t0 = Instant::now();
        let report = pollster::block_on(api::run_query(query, active, &mut NoProgress, &compute))
            .map_err(|e| format!("{lab_id} {}: {e}", job.preset))?;
        let seconds = t0.elapsed().as_secs_f64();
        let view = report.view();
        let canonical = report.state.to_query();
        let written = defs.len();
        for def in defs {
            let fig = (def.build)(&view);
            let svg = crate::plot::svg::figure_svg(&fig);
            let stem = format!("{lab_id}-{}-{}", job.preset, def.name);
            let mut files = Vec::new();
            let svg_name = format!("{stem}.svg");
            write(&out.join(&svg_name), svg.as_bytes())?;
            files.push(svg_name);
            let png_name = format!("{stem}.png");
            write(&out.join(&png_name), &super::svg_to_png(&svg)?)?;
            files.push(png_name);
            let table = fig.table();
            if !table.rows.is_empty() {
                let csv_name = format!("{stem}.csv");
                write(&out.join(&csv_name), table.to_csv().as_bytes())?;
                files.push(csv_name);
            }
            figures.push(json!({
                "name": def.name,
                "title": fig.title,
                "lab": lab_id,
                "preset": job.preset,
                "reproduces": job.reproduces,
                "query": canonical,
                "files": files,
                // The preset's compute time (shared by its figures), not the drawing.
                "seconds": (seconds * 1000.0).round() / 1000.0,
                // Our numbers beside the paper's, where it prints numbers (else null).
                "compared": papers::compared(lab_id, job.preset, &report.output.json),
            }));
        }
        eprintln!("      {written} figures, computed in {seconds:.1} s");
    }
    let manifest = json!({
        "paper": paper.id,
        "citation": paper.citation.text(),
        "bibtex": paper.citation.bibtex(),
        "note": paper.note,
        "quick": quick,
        "seconds": (total.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        "figures": figures,
    });
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    write(&out.join("manifest.json"), text.as_bytes())?;
    Ok(figures.len())
}
