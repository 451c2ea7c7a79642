//! The model layer: profiles, prompts in each mode, OpenAI-compatible engines with streaming,
//! structured-output dialects and client-side validation, and the Run record.

pub mod adapter;
pub mod batch_answer;
pub mod client;
pub mod dialect;
pub mod download;
pub mod embedded;
pub mod engines;
pub mod error;
pub mod fetch;
pub mod finish;
pub mod grounding;
pub mod logprobs;
pub mod models_file;
pub mod outcome;
pub mod profile;
pub mod prompt;
pub mod repetition;
pub mod run;
pub mod run_line;
pub mod served;
pub mod shipped;
pub mod similar;

pub use client::HttpEngine;
pub use engines::Engines;
pub use outcome::Outcome;
pub use profile::{ModelProfile, Profiles};
pub use run::{Run, RunRequest, execute, from_reply};
