//! The papers' measures, exactly as their evaluation code computes them (quirks included), so
//! that published tables reproduce. See `../shared/research/metrics.md` for each definition.
//! `generic` scores any task from the shape of its answers (user tasks).

pub mod action;
pub mod align;
pub mod compound;
pub mod doping;
pub mod fields;
pub mod generic;
pub mod nerre;
pub mod pandas_cell;
pub mod roles;
pub mod single;
pub mod text;

/// `part / whole`, or no value when there is nothing to divide by: a measure over nothing (no
/// paragraph scored, no value on either side) is no score, shown as "—" and written as null.
pub fn share(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| part / whole)
}

/// The mean, or no value for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    share(values.iter().sum(), values.len() as f64)
}
