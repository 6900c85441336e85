//! The hhd lab's figures.
use super::super::FigureDef;
pub const FIGURES: &[FigureDef] = &[];
