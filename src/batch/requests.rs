//! The request files of a batch service (OpenAI's Batch API, Azure's, vLLM's `run_batch`): one
//! JSON line per paragraph, `custom_id` the paragraph's id and `body` exactly what `retort
//! extract` sends for it (prompt, worked examples, schema or grammar, sampling, token limit),
//! split into parts at the service's limits of requests and bytes per file.

use crate::input::Paragraph;
use crate::llm::prompt::Pool;
use crate::llm::run::{BatchRequestError, batch_body};
use crate::llm::{ModelProfile, RunRequest};
use crate::task::Task;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How much one request file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub requests: usize,
    pub bytes: u64,
}

impl Limits {
    /// OpenAI's Batch API: 50,000 requests and 200 MB per input file.
    pub const OPENAI: Limits = Limits {
        requests: 50_000,
        bytes: 200 * 1000 * 1000,
    };
}

/// One line of a request file, as the Batch API reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestLine {
    pub custom_id: String,
    pub method: String,
    pub url: String,
    pub body: serde_json::Value,
}

impl RequestLine {
    /// The request for one paragraph: the endpoint follows the body (chat or completion).
    pub fn new(custom_id: &str, body: serde_json::Value) -> RequestLine {
        let url = if body.get("messages").is_some() {
            "/v1/chat/completions"
        } else {
            "/v1/completions"
        };
        RequestLine {
            custom_id: custom_id.to_string(),
            method: "POST".into(),
            url: url.into(),
            body,
        }
    }
}

/// One request file written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub path: PathBuf,
    pub requests: usize,
    pub bytes: u64,
}

/// What was written, and what was left out with why.
#[derive(Debug, Default)]
pub struct Written {
    pub parts: Vec<Part>,
    /// (paragraph id, why it has no request).
    pub left_out: Vec<(String, String)>,
    /// Characters of prompt text sent, for an estimate of input tokens where no tokenizer is at hand.
    pub prompt_chars: usize,
}

impl Written {
    pub fn requests(&self) -> usize {
        self.parts.iter().map(|p| p.requests).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RequestFileError {
    #[error(transparent)]
    Request(#[from] BatchRequestError),
    #[error("one request for paragraph {id} is {bytes} bytes, over the file limit of {limit}")]
    TooLarge { id: String, bytes: u64, limit: u64 },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The request files for `paragraphs` in `dir` (`requests-001.jsonl`, …), each whole on disk
/// before it is named. A paragraph whose id came before is left out (ids are the answers' keys).
pub fn write(
    dir: &Path,
    request: (&Task, &ModelProfile, &Pool),
    paragraphs: impl Iterator<Item = Paragraph>,
    limits: Limits,
) -> Result<Written, RequestFileError> {
    let (task, profile, pool) = request;
    std::fs::create_dir_all(dir).map_err(crate::config::io_at("creating", dir))?;
    let mut written = Written::default();
    let mut seen = HashSet::new();
    let mut part: Option<(crate::atomic::AtomicFile, Part)> = None;
    for paragraph in paragraphs {
        if !seen.insert(paragraph.id.clone()) {
            written.left_out.push((paragraph.id, "the same id came before".into()));
            continue;
        }
        let run = RunRequest {
            pool,
            ..RunRequest::new(task, profile, &paragraph.text)
        };
        let body = batch_body(&run)?;
        written.prompt_chars += prompt_chars(&body);
        let mut line = serde_json::to_vec(&RequestLine::new(&paragraph.id, body)).expect("JSON values serialize");
        line.push(b'\n');
        let bytes = line.len() as u64;
        if bytes > limits.bytes {
            return Err(RequestFileError::TooLarge {
                id: paragraph.id,
                bytes,
                limit: limits.bytes,
            });
        }
        let full = part
            .as_ref()
            .is_some_and(|(_, p)| p.requests >= limits.requests || p.bytes + bytes > limits.bytes);
        if full && let Some(done) = part.take() {
            written.parts.push(commit(done)?);
        }
        if part.is_none() {
            let path = dir.join(format!("requests-{:03}.jsonl", written.parts.len() + 1));
            let file = crate::atomic::AtomicFile::create(&path)?;
            part = Some((
                file,
                Part {
                    path,
                    requests: 0,
                    bytes: 0,
                },
            ));
        }
        let (file, counts) = part.as_mut().expect("a part is open");
        file.write_all(&line)
            .map_err(crate::config::io_at("writing", &counts.path))?;
        counts.requests += 1;
        counts.bytes += bytes;
    }
    if let Some(done) = part.take() {
        written.parts.push(commit(done)?);
    }
    Ok(written)
}

fn commit((file, part): (crate::atomic::AtomicFile, Part)) -> std::io::Result<Part> {
    file.commit()?;
    Ok(part)
}

/// The characters of the prompt a body carries (its messages' contents, or its prompt).
fn prompt_chars(body: &serde_json::Value) -> usize {
    let text = |v: &serde_json::Value| v.as_str().map_or(0, |s| s.chars().count());
    match body.get("messages").and_then(|m| m.as_array()) {
        Some(messages) => messages.iter().map(|m| text(&m["content"])).sum(),
        None => text(&body["prompt"]),
    }
}
