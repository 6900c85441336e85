//! Lab 3 — dense associative memory, energies and dead neurons.
pub mod integrate;
pub mod lagrangian;
pub mod lyapunov;
pub mod system;
