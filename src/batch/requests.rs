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
use std::path::Path;

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
    /// Its name inside the run's directory.
    pub file: String,
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
    /// Input tokens, when a tokenizer counted them.
    pub prompt_tokens: Option<usize>,
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

/// Counts the tokens of one message's text in the model's tokenizer.
pub type TokenCounter<'a> = &'a dyn Fn(&str) -> usize;

/// Tokens each message carries around its text (role and separators), as OpenAI counts them.
const TOKENS_PER_MESSAGE: usize = 3;

/// The request files for `paragraphs` in `dir` (`requests-001.jsonl`, …), and the paragraphs
/// asked about (`paragraphs.jsonl`, for grounding the answers), each whole on disk before it is
/// named. A paragraph whose id came before is left out (ids are the answers' keys).
pub fn write(
    dir: &Path,
    request: (&Task, &ModelProfile, &Pool),
    paragraphs: impl Iterator<Item = Paragraph>,
    limits: Limits,
    counter: Option<TokenCounter<'_>>,
) -> Result<Written, RequestFileError> {
    let (task, profile, pool) = request;
    std::fs::create_dir_all(dir).map_err(crate::config::io_at("creating", dir))?;
    let mut written = Written {
        prompt_tokens: counter.map(|_| 0),
        ..Written::default()
    };
    let mut seen = HashSet::new();
    let mut parts = PartWriter::new(dir, "requests", limits);
    let mut asked = crate::atomic::AtomicFile::create(&dir.join(super::run_dir::PARAGRAPHS))?;
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
        written.prompt_chars += prompt_texts(&body).iter().map(|t| t.chars().count()).sum::<usize>();
        if let (Some(count), Some(tokens)) = (counter, written.prompt_tokens.as_mut()) {
            *tokens += prompt_texts(&body)
                .iter()
                .map(|t| TOKENS_PER_MESSAGE + count(t))
                .sum::<usize>();
        }
        let line = serde_json::to_vec(&RequestLine::new(&paragraph.id, body)).expect("JSON values serialize");
        parts.push(&paragraph.id, line)?;
        writeln!(asked, "{}", paragraph_line(&paragraph))?;
    }
    written.parts = parts.finish()?;
    asked.commit()?;
    Ok(written)
}

/// The request lines of `files` (in `dir`) whose `custom_id` is in `ids`, copied byte for byte
/// into new parts named `prefix-001.jsonl`, ….
pub fn copy_requests(
    dir: &Path,
    files: &[String],
    ids: &HashSet<String>,
    prefix: &str,
    limits: Limits,
) -> Result<Vec<Part>, RequestFileError> {
    let mut parts = PartWriter::new(dir, prefix, limits);
    for file in files {
        let path = dir.join(file);
        let reader =
            std::io::BufReader::new(std::fs::File::open(&path).map_err(crate::config::io_at("reading", &path))?);
        for line in std::io::BufRead::lines(reader) {
            let line = line.map_err(crate::config::io_at("reading", &path))?;
            let Ok(request) = serde_json::from_str::<RequestLine>(&line) else {
                continue;
            };
            if ids.contains(&request.custom_id) {
                parts.push(&request.custom_id, line.into_bytes())?;
            }
        }
    }
    parts.finish()
}

/// A paragraph as an input line (`{"id", "text"}` and its place in a paper).
fn paragraph_line(paragraph: &Paragraph) -> serde_json::Value {
    let mut line = serde_json::json!({"id": paragraph.id, "text": paragraph.text});
    if let Some(serde_json::Value::Object(place)) = paragraph.place.as_ref().and_then(|p| serde_json::to_value(p).ok())
    {
        line.as_object_mut().expect("an object").extend(place);
    }
    line
}

/// Request files of one name, each cut when the next line would pass a limit.
struct PartWriter<'a> {
    dir: &'a Path,
    prefix: &'a str,
    limits: Limits,
    open: Option<(crate::atomic::AtomicFile, Part)>,
    done: Vec<Part>,
}

impl<'a> PartWriter<'a> {
    fn new(dir: &'a Path, prefix: &'a str, limits: Limits) -> PartWriter<'a> {
        PartWriter {
            dir,
            prefix,
            limits,
            open: None,
            done: Vec::new(),
        }
    }

    fn push(&mut self, id: &str, mut line: Vec<u8>) -> Result<(), RequestFileError> {
        line.push(b'\n');
        let bytes = line.len() as u64;
        if bytes > self.limits.bytes {
            return Err(RequestFileError::TooLarge {
                id: id.to_string(),
                bytes,
                limit: self.limits.bytes,
            });
        }
        let full = self
            .open
            .as_ref()
            .is_some_and(|(_, p)| p.requests >= self.limits.requests || p.bytes + bytes > self.limits.bytes);
        if full && let Some((file, part)) = self.open.take() {
            file.commit()?;
            self.done.push(part);
        }
        if self.open.is_none() {
            let name = format!("{}-{:03}.jsonl", self.prefix, self.done.len() + 1);
            let file = crate::atomic::AtomicFile::create(&self.dir.join(&name))?;
            let part = Part {
                file: name,
                requests: 0,
                bytes: 0,
            };
            self.open = Some((file, part));
        }
        let (file, part) = self.open.as_mut().expect("a part is open");
        file.write_all(&line)?;
        part.requests += 1;
        part.bytes += bytes;
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<Part>, RequestFileError> {
        if let Some((file, part)) = self.open.take() {
            file.commit()?;
            self.done.push(part);
        }
        Ok(self.done)
    }
}

/// The prompt texts a body carries (its messages' contents, or its prompt).
fn prompt_texts(body: &serde_json::Value) -> Vec<&str> {
    match body.get("messages").and_then(|m| m.as_array()) {
        Some(messages) => messages.iter().filter_map(|m| m["content"].as_str()).collect(),
        None => body["prompt"].as_str().into_iter().collect(),
    }
}
