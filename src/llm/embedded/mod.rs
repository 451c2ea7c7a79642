//! The embedded engine: a GGUF model run inside the Retort process through llama.cpp
//! (`llama-cpp-2`), behind the same call interface as the HTTP engine. The model is loaded once
//! and kept; inference runs on its own thread, never on the async reactor or the render path.
//! Without the `embedded` cargo feature this module only says so.

use super::client::Reply;
use super::error::LlmError;
use super::prompt::Prompt;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// One generation request for the embedded engine.
#[derive(Debug, Clone)]
pub struct EmbeddedCall {
    pub path: PathBuf,
    pub threads: u32,
    pub context: u32,
    pub gpu_layers: u32,
    pub prompt: Prompt,
    pub stop: Vec<String>,
    pub max_tokens: u32,
    pub temperature: f64,
    /// GBNF grammar that constrains decoding (from the task's JSON Schema).
    pub grammar: Option<String>,
    /// Sequences the engine should decode together (a batch's concurrency; 1 for one run).
    pub slots: u32,
    /// Start after the longest prefix of the prompt a sequence already holds in the cache.
    pub prompt_cache: bool,
    /// The LoRA adapters applied to the model, with their scales.
    pub lora: Vec<(PathBuf, f32)>,
    /// Verbatim values may only be copied from the paragraph (strict grounding).
    pub copy: Option<crate::llm::grounding::CopyRule>,
}

/// Checks that `path` looks like a loadable GGUF before llama.cpp sees it, so that each problem
/// gets its own message naming the file and what to do.
pub fn check_file(path: &Path) -> Result<(), LlmError> {
    use crate::llm::error::ModelFileProblem;
    let problem = |problem| LlmError::ModelFile {
        path: path.display().to_string(),
        problem,
    };
    let metadata = std::fs::metadata(path).map_err(|_| problem(ModelFileProblem::Missing))?;
    if metadata.is_dir() {
        return Err(problem(ModelFileProblem::Directory));
    }
    let mut magic = [0u8; 8];
    let mut file = std::fs::File::open(path).map_err(|_| problem(ModelFileProblem::Unreadable))?;
    let read = std::io::Read::read(&mut file, &mut magic).unwrap_or(0);
    if read < 8 || &magic[..4] != b"GGUF" {
        return Err(problem(ModelFileProblem::NotGguf));
    }
    Ok(())
}

#[cfg(feature = "embedded")]
mod adapters;
#[cfg(feature = "embedded")]
pub mod backends;
#[cfg(feature = "embedded")]
pub mod cpu;
#[cfg(feature = "embedded")]
mod engine;
#[cfg(feature = "embedded")]
pub mod gpu;
#[cfg(feature = "embedded")]
mod prefix;
#[cfg(feature = "embedded")]
mod scheduler;
#[cfg(feature = "embedded")]
mod tokens;

/// One training example as token ids of the model: the prompt as a run sends it, and the
/// answer with the end-of-turn token (the only tokens trained on).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrainingTokens {
    pub prompt: Vec<i32>,
    pub completion: Vec<i32>,
}

/// Each (prompt, answer) of `rows` tokenized by the model at `path` as the engine tokenizes a
/// run's prompt (its chat template, llama.cpp's tokenizer), the answer ended by the token that
/// ends a turn.
pub fn training_tokens(path: &Path, rows: &[(Prompt, String)]) -> Result<Vec<TrainingTokens>, LlmError> {
    check_file(path)?;
    #[cfg(feature = "embedded")]
    {
        tokens::training_tokens(path, rows)
    }
    #[cfg(not(feature = "embedded"))]
    {
        let _ = rows;
        Err(LlmError::NoEmbeddedEngine)
    }
}

/// A prompt's token ids as a run of the model at `path` sends them.
pub fn prompt_tokens(path: &Path, prompt: &Prompt) -> Result<Vec<i32>, LlmError> {
    check_file(path)?;
    #[cfg(feature = "embedded")]
    {
        tokens::prompt_tokens(path, prompt)
    }
    #[cfg(not(feature = "embedded"))]
    {
        let _ = prompt;
        Err(LlmError::NoEmbeddedEngine)
    }
}

/// Why the embedded engine cannot run here: the backend's reason, or a build without it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[cfg(feature = "embedded")]
    #[error(transparent)]
    Backend(#[from] backends::BackendError),
    #[error("this build of retort has no embedded engine (built without the `embedded` feature)")]
    NotBuilt,
}

/// Loads llama.cpp's backend modules (once) and says which CPU variant runs and what this CPU
/// has; an error names the directories searched. HTTP engines never need this.
pub fn backend_summary() -> Result<String, Unavailable> {
    #[cfg(feature = "embedded")]
    {
        Ok(backends::ensure_loaded()?.summary())
    }
    #[cfg(not(feature = "embedded"))]
    {
        Err(Unavailable::NotBuilt)
    }
}

/// The backend summary if the engine has loaded its modules in this process, without loading them.
pub fn loaded_backend() -> Option<String> {
    #[cfg(feature = "embedded")]
    {
        backends::loaded().map(|report| report.summary())
    }
    #[cfg(not(feature = "embedded"))]
    {
        None
    }
}

/// The in-process engine as a value: its inference thread, started by the first call, owns the
/// models it loads and their contexts, and stops when the last clone is dropped. Clones share
/// the thread.
#[derive(Clone, Default)]
pub struct EmbeddedEngine {
    #[cfg(feature = "embedded")]
    worker: std::sync::Arc<std::sync::OnceLock<engine::Worker>>,
}

impl EmbeddedEngine {
    /// Runs the call on the inference thread; pieces stream to `pieces`; cancelling stops
    /// within one token.
    pub async fn call(
        &self,
        call: EmbeddedCall,
        pieces: Option<UnboundedSender<String>>,
        cancel: CancellationToken,
    ) -> Result<Reply, LlmError> {
        check_file(&call.path)?;
        #[cfg(feature = "embedded")]
        {
            let worker = self.worker.get_or_init(engine::start);
            engine::submit(worker, call, pieces, cancel).await
        }
        #[cfg(not(feature = "embedded"))]
        {
            let _ = (pieces, cancel);
            Err(LlmError::NoEmbeddedEngine)
        }
    }
}

/// Converts a JSON Schema to a llama.cpp grammar (GBNF), when the engine is built in.
pub fn schema_grammar(schema: &str) -> Option<String> {
    #[cfg(feature = "embedded")]
    {
        llama_cpp_2::json_schema_to_grammar(schema).ok()
    }
    #[cfg(not(feature = "embedded"))]
    {
        let _ = schema;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_are_not_gguf_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = check_file(&dir.path().join("none.gguf")).unwrap_err().to_string();
        assert!(
            missing.contains("none.gguf") && missing.contains("fetch-default"),
            "{missing}"
        );
        let text = dir.path().join("model.gguf");
        std::fs::write(&text, "this is not a model").unwrap();
        let wrong = check_file(&text).unwrap_err().to_string();
        assert!(wrong.contains("not a GGUF"), "{wrong}");
        assert!(check_file(dir.path()).is_err());
    }
}
