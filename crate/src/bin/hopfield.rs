//! `hopfield`: run any playground experiment headless from its share link's query string.
//! See `hopfield --help` and the README.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    hopfield_playground::cli::main()
}

// The CLI is native only; the wasm build of this crate is the page's library.
#[cfg(target_arch = "wasm32")]
fn main() {}
