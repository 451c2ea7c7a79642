//! The papers' measures, exactly as their evaluation code computes them (quirks included), so
//! that published tables reproduce. See `../shared/research/metrics.md` for each definition.

pub mod action;
pub mod compound;
pub mod doping;
pub mod fields;
pub mod nerre;
pub mod pandas_cell;
pub mod roles;
pub mod single;
pub mod text;
