//! Lab 3 — dense associative memory, energies and dead neurons.
pub mod fixed;
pub mod integrate;
pub mod lagrangian;
pub mod landscape;
pub mod lyapunov;
pub mod system;
pub mod trajectory;
