//! Lab 7 — learning contracting dynamics (ELCD).
pub mod analysis;
pub mod data;
pub mod model;
pub mod nets;
pub mod train;
