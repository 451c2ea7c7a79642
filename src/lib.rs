//! Retort: chemical text mining with large language models, from paragraph to checked record.
//!
//! A paragraph goes source → prompt ([`llm::prompt`]) → run ([`llm::run`]) → parse
//! ([`format`](mod@format), by the [`task`]'s format) → ground ([`ground`]) → view ([`tui`]), store
//! ([`dataset::store`]) or eval ([`eval`] over [`metrics`]). Layers, lowest first; imports point
//! down only (`tests/it/fast/layers.rs`): `extraction`, `clock`, `config`, `side`, `foreign` → `format`, `ground`, `lock`, `atomic`, `net`, `stdout` → `task` →
//! `metrics` → `dataset` → `llm` → `eval`, `batch`, `setup`, `authoring` → `review`, `curve` → `cli` → the drivers `commands` and `tui`.
//! ARCHITECTURE.md has the full map and recipes.

// Standard output goes through `stdout` (`outln!`): `println!` panics when the reader has gone.
#![deny(clippy::print_stdout)]
// Standard error goes through `errln!`, which takes control characters out of strings from outside.
#![deny(clippy::print_stderr)]

pub mod atomic;
pub mod authoring;
pub mod batch;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod curve;
pub mod dataset;
pub mod eval;
pub mod extraction;
pub mod foreign;
pub mod format;
pub mod ground;
pub mod host;
pub mod input;
pub mod llm;
pub mod lock;
pub mod metrics;
pub mod net;
pub mod place;
pub mod review;
pub mod service;
pub mod setup;
pub mod side;
pub mod stdout;
pub mod task;
pub mod train;
pub mod tui;
