//! The `hopfield` command line: run any playground experiment headless from its
//! share link's query string (native builds only).

use crate::api::{self, ApiError};
use crate::labs::{LABS, NoProgress};
use crate::params::{Kind, Params, format_value};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::process::ExitCode;

mod reproduce;

#[derive(Parser)]
#[command(
    name = "hopfield",
    version,
    about = "Run hopfield-playground experiments headless: the same core, the same numbers as the page.",
    long_about = "Run hopfield-playground experiments headless.\n\n\
        Give it the query string of a share link (everything after '?'); it runs the same \
        experiment with the same core and seed as the page and prints the result. Values the \
        page would clamp or replace are clamped or replaced the same way, with the same notice \
        on stderr.\n\n\
        Examples:\n  \
        hopfield run 'v=1&lab=classic&n=100&p=10&flip=0.15&seed=42'\n  \
        hopfield run 'lab=classic&cap_trials=50' --part capacity --format csv --table capacity\n  \
        hopfield run 'lab=classic&preset=capacity-ags' --format svg --figure capacity --out capacity.svg\n  \
        hopfield labs\n  \
        hopfield params classic\n  \
        hopfield presets classic\n  \
        hopfield figures classic\n  \
        hopfield reproduce --list\n  \
        hopfield reproduce tamamori --out figures/tamamori"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the experiment a query string describes and print its result on stdout.
    Run {
        /// The query string of a share link, e.g. 'v=1&lab=classic&seed=42' (a leading '?' or a whole URL is fine).
        query: String,
        /// Output format: the whole result as JSON, or one table as CSV; with --figure (or
        /// --format svg|png) a figure as SVG, PNG, its data as CSV or its description as JSON.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// With --format csv: which table (default: the lab's first; `hopfield params LAB` lists them).
        #[arg(long)]
        table: Option<String>,
        /// A figure of the lab (`hopfield figures LAB` lists them; default with svg/png: the
        /// main figure). Only the parts the figure needs are computed.
        #[arg(long)]
        figure: Option<String>,
        /// Write to this file instead of stdout (PNG always needs it).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Your own data for the lab (e.g. a CSV of patterns): read as the page reads a file you
        /// load; the keys it sets are added to the query (and printed to stderr).
        #[arg(long)]
        data: Option<std::path::PathBuf>,
        /// Compute only these parts of the result (repeatable; default: all).
        #[arg(long = "part")]
        parts: Vec<String>,
        /// Indent the JSON.
        #[arg(long)]
        pretty: bool,
        /// Run the GPU parts of a lab (KLR training and recall, …) on the GPU through wgpu
        /// (Vulkan/Metal/DX12; `WGPU_ADAPTER_NAME` picks an adapter). Fails if there is none.
        /// Without it everything runs on the CPU.
        #[arg(long)]
        gpu: bool,
    },
    /// List the labs.
    Labs,
    /// List a lab's presets: name, a tab, the query it runs (use it as `preset=NAME`).
    Presets {
        /// A lab id (see `hopfield labs`).
        lab: String,
    },
    /// List a lab's figures: name, a tab, title (use it as `--figure NAME`).
    Figures {
        /// A lab id (see `hopfield labs`).
        lab: String,
    },
    /// Reproduce a source paper: run every preset of it and write each figure as SVG, PNG
    /// and CSV into DIR, with manifest.json (`--list`: the papers, an id and a tab and the
    /// citation per line).
    Reproduce {
        /// A paper id (see `hopfield reproduce --list`).
        #[arg(required_unless_present = "list")]
        paper: Option<String>,
        /// The folder to write into (created if missing).
        #[arg(long, required_unless_present = "list")]
        out: Option<std::path::PathBuf>,
        /// List the papers instead.
        #[arg(long)]
        list: bool,
        /// Reduced sizes and trials (a smoke test: every figure, not the paper's numbers).
        #[arg(long)]
        quick: bool,
    },
    /// Show a lab's parameters: key, range, default and meaning.
    Params {
        /// A lab id (see `hopfield labs`).
        lab: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Json,
    Csv,
    Svg,
    Png,
}

fn find_lab(lab: &str) -> Result<&'static crate::labs::LabDef, ExitCode> {
    crate::labs::find(lab).ok_or_else(|| {
        eprintln!("error: no lab called {lab:?} (labs: {})", api::lab_ids());
        ExitCode::FAILURE
    })
}

/// Parse the process arguments and run.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { query, format, table, figure, out, data, parts, pretty, gpu } => {
            let query = match data {
                None => query,
                Some(path) => {
                    let q = query.split_once('?').map_or(query.as_str(), |(_, q)| q).to_string();
                    let name = path.file_name().map_or("data".into(), |n| n.to_string_lossy().into_owned());
                    let imported = std::fs::read(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))
                        .and_then(|b| api::import_file(&q, &name, &b).map(|(q, keep)| (q, keep, b)));
                    match imported {
                        Ok((q, keep, bytes)) => {
                            if keep {
                                crate::data::set_user_file(&name, bytes);
                            }
                            eprintln!("notice: --data {}: running {q}", path.display());
                            q
                        }
                        Err(e) => {
                            eprintln!("error: {e}");
                            return ExitCode::FAILURE;
                        }
                    }
                }
            };
            let opts = RunOpts { format, table, figure, out, pretty, gpu };
            run(&query, &opts, &parts)
        }
        Command::Presets { lab } => match find_lab(&lab) {
            Err(code) => code,
            Ok(def) => {
                for p in def.presets() {
                    println!("{}\t{}", p.name, p.query);
                }
                ExitCode::SUCCESS
            }
        },
        Command::Figures { lab } => match find_lab(&lab) {
            Err(code) => code,
            Ok(def) => {
                for f in def.figures() {
                    println!("{}\t{}", f.name, f.title);
                }
                ExitCode::SUCCESS
            }
        },
        Command::Reproduce { paper, out, list, quick } => match (list, paper, out) {
            (true, _, _) => reproduce::list(),
            (false, Some(paper), Some(out)) => reproduce::reproduce(&paper, &out, quick),
            _ => {
                eprintln!("error: give a paper and --out DIR, or --list");
                ExitCode::FAILURE
            }
        },
        Command::Labs => {
            for lab in LABS {
                let status = if lab.runner.is_some() { "" } else { "  (not built yet)" };
                println!("{:<11} {}{status}\n            {}", lab.id, lab.title, lab.summary);
            }
            ExitCode::SUCCESS
        }
        Command::Params { lab } => match crate::labs::find(&lab) {
            None => {
                eprintln!("error: no lab called {lab:?} (labs: {})", api::lab_ids());
                ExitCode::FAILURE
            }
            Some(def) => {
                let params = Params::defaults(def.params);
                for spec in params.specs() {
                    let range = match spec.kind {
                        Kind::Int { min, max } => format!("integer {min}..{max}"),
                        Kind::Float { min, max, .. } => format!("number {min}..{max}"),
                        Kind::Choice { options } => options.join("|"),
                        Kind::Bool => "0|1".into(),
                        Kind::IntList { min, max, .. } => format!("list of integers {min}..{max}"),
                        Kind::FloatList { min, max, .. } => format!("list of numbers {min}..{max}"),
                        Kind::Names { .. } => "list of names".into(),
                        Kind::Tokens { .. } => "patterns: letters or _bits, '.'-separated".into(),
                    };
                    println!(
                        "{:<11} {:<28} default {:<8} {}",
                        spec.key,
                        range,
                        format_value(&spec.default),
                        spec.help
                    );
                }
                if let Some(r) = &def.runner {
                    println!("\nparts: {}", r.parts.iter().map(|p| p.name).collect::<Vec<_>>().join(", "));
                }
                ExitCode::SUCCESS
            }
        },
    }
}

struct RunOpts {
    format: Format,
    table: Option<String>,
    figure: Option<String>,
    out: Option<std::path::PathBuf>,
    pretty: bool,
    gpu: bool,
}

/// Rasterise an SVG written by [`crate::plot::svg`] to PNG at twice its size, with the
/// figure font (a fresh machine needs no system fonts).
pub(crate) fn svg_to_png(svg: &str) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    let mut opt = usvg::Options::default();
    opt.fontdb_mut().load_font_data(crate::plot::text::FONT.to_vec());
    opt.font_family = "DejaVu Sans".into();
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| format!("the SVG did not parse: {e}"))?;
    let size = tree.size().to_int_size();
    let scale = 2.0;
    let mut pixmap = tiny_skia::Pixmap::new(size.width() * 2, size.height() * 2)
        .ok_or_else(|| "the figure is too large to rasterise".to_string())?;
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| format!("PNG encoding failed: {e}"))
}

fn run(query: &str, o: &RunOpts, parts: &[String]) -> ExitCode {
    // Accept a whole URL too: keep what follows the first '?'.
    let query = query.split_once('?').map_or(query, |(_, q)| q);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let compute = if o.gpu {
        match pollster::block_on(crate::compute::gpu::Gpu::new()) {
            Ok(g) => {
                eprintln!("GPU: {}", g.describe());
                crate::compute::Compute::with_gpu(std::sync::Arc::new(g))
            }
            Err(e) => {
                eprintln!("error: --gpu: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        crate::compute::Compute::cpu("native")
    };
    let figure_mode = o.figure.is_some() || matches!(o.format, Format::Svg | Format::Png);
    if o.format == Format::Png && o.out.is_none() {
        eprintln!("error: --format png needs --out FILE");
        return ExitCode::FAILURE;
    }
    let result = if figure_mode {
        pollster::block_on(api::run_figure(query, o.figure.as_deref(), &mut NoProgress, &compute))
            .map(|(r, f)| (r, Some(f)))
    } else {
        pollster::block_on(api::run_query(query, &parts, &mut NoProgress, &compute)).map(|r| (r, None))
    };
    let (report, figure) = match result {
        Ok(r) => r,
        Err(e) => {
            for n in crate::api::from_query(query).notices {
                eprintln!("notice: {}", n.message);
            }
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for f in compute.fallbacks() {
        eprintln!("notice: {f}");
    }
    for n in &report.notices {
        eprintln!("notice: {}", n.message);
    }
    let bytes: Result<Vec<u8>, String> = match (&figure, o.format) {
        (Some(fig), Format::Svg | Format::Png) => {
            let svg = crate::plot::svg::figure_svg(fig);
            if o.format == Format::Png { svg_to_png(&svg) } else { Ok(svg.into_bytes()) }
        }
        (Some(fig), Format::Csv) => Ok(fig.table().to_csv().into_bytes()),
        (Some(fig), Format::Json) => {
            serde_json::to_string(fig).map(String::into_bytes).map_err(|e| e.to_string())
        }
        (None, Format::Json) if o.pretty => serde_json::to_string_pretty(&report.to_json_value())
            .map(String::into_bytes)
            .map_err(|e| e.to_string()),
        (None, Format::Json) => Ok(report.to_json().into_bytes()),
        (None, _) => {
            report.to_csv(o.table.as_deref()).map(String::into_bytes).map_err(|e: ApiError| e.to_string())
        }
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &o.out {
        return match std::fs::write(path, &bytes) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                ExitCode::FAILURE
            }
        };
    }
    let mut out = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) is not an error worth a panic.
    let _ = out
        .write_all(&bytes)
        .and_then(|()| if bytes.ends_with(b"\n") { Ok(()) } else { out.write_all(b"\n") });
    ExitCode::SUCCESS
}
