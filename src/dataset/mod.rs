//! Data: the papers' files, saved examples and fine-tuning exports.

pub mod papers;
pub mod table;
