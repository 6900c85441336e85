//! Lab 3 — dense associative memory, energies and dead neurons.
pub mod appc;
pub mod dead;
pub mod ex7;
pub mod fixed;
pub mod integrate;
pub mod lagrangian;
pub mod landscape;
pub mod lyapunov;
pub mod matrices;
pub mod particles;
pub mod prop3;
pub mod system;
pub mod trajectory;
