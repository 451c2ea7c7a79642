//! Retort: chemical text mining with large language models, from paragraph to checked record.

pub mod batch;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod dataset;
pub mod eval;
pub mod extraction;
pub mod format;
pub mod ground;
pub mod llm;
pub mod metrics;
pub mod task;
pub mod tui;
