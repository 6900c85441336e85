//! The `hopfield` command line: run any playground experiment headless from its
//! share link's query string (native builds only).

use crate::api::{self, ApiError};
use crate::labs::{LABS, NoProgress};
use crate::params::{Kind, Params, format_value};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::process::ExitCode;

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
        hopfield labs\n  \
        hopfield params classic"
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
        /// Output format: the whole result as JSON, or one table as CSV.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// With --format csv: which table (default: the lab's first; `hopfield params LAB` lists them).
        #[arg(long)]
        table: Option<String>,
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
    /// Show a lab's parameters: key, range, default and meaning.
    Params {
        /// A lab id (see `hopfield labs`).
        lab: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Csv,
}

/// Parse the process arguments and run.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { query, format, table, parts, pretty, gpu } => {
            run(&query, format, table.as_deref(), &parts, pretty, gpu)
        }
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

fn run(
    query: &str,
    format: Format,
    table: Option<&str>,
    parts: &[String],
    pretty: bool,
    gpu: bool,
) -> ExitCode {
    // Accept a whole URL too: keep what follows the first '?'.
    let query = query.split_once('?').map_or(query, |(_, q)| q);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let compute = if gpu {
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
    let report = match pollster::block_on(api::run_query(query, &parts, &mut NoProgress, &compute)) {
        Ok(r) => r,
        Err(e) => {
            for n in crate::params::from_query(query).notices {
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
    let text = match format {
        Format::Json if pretty => {
            serde_json::to_string_pretty(&report.to_json_value()).map_err(|e| e.to_string())
        }
        Format::Json => Ok(report.to_json()),
        Format::Csv => report.to_csv(table).map_err(|e: ApiError| e.to_string()),
    };
    match text {
        Ok(t) => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth a panic.
            let _ = out
                .write_all(t.as_bytes())
                .and_then(|()| if t.ends_with('\n') { Ok(()) } else { out.write_all(b"\n") });
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
