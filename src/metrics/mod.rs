//! The papers' measures, exactly as their evaluation code computes them (quirks included), so
//! that published tables reproduce. See `../shared/research/metrics.md` for each definition.
//! `generic` scores any task from the shape of its answers (user tasks).

pub mod action;
pub mod compound;
pub mod doping;
pub mod fields;
pub mod generic;
pub mod nerre;
pub mod pandas_cell;
pub mod roles;
pub mod single;
pub mod text;
