//! Data: the papers' files, saved examples and fine-tuning exports.

pub mod export;
pub mod papers;
pub mod store;
pub mod table;
