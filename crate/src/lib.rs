//! hopfield-playground: models of modern associative memory, computed the same way
//! in the browser (WebAssembly) and in the `hopfield` command-line tool.
//!
//! Layers (arrows point one way: faces → models → compute):
//! - [`params`]: the parameter schema and the URL query (one table per lab).
//! - [`labs`]: one folder per lab with its math; [`labs::LABS`] is the registry.
//! - [`plot`]: colormaps, heatmap pixels, axis ticks — plot data in plain Rust.
//! - [`data`]: data sets shipped inside the binary.
//! - [`compute`]: the kernels (CPU, and GPU through wgpu when available).
//! - [`rng`]: the portable seeded RNG every model draws from.
//! - [`api`]: query → run → JSON/CSV, the one path both faces use.
//! - `benchwork`: the benchmarks' workloads, shared by the native benches and the page's
//!   benchmark hook (not used by any lab).
//! - `web` (wasm32 only): the few functions the page calls; `cli` (native only): the `hopfield` tool.

pub mod api;
#[doc(hidden)]
pub mod benchwork;
pub mod compute;
pub mod data;
pub mod labs;
pub mod params;
pub mod plot;
pub mod rng;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(target_arch = "wasm32")]
pub mod web;
