//! The answers a batch service gives back: its output and error files, one JSON line per
//! request (`custom_id`, `response` with `status_code` and `body`, or `error`), gathered per
//! paragraph id over every batch of a run. An answer beats a failure, and a later batch's
//! answer (a retry) beats an earlier one's, so collecting again changes nothing.

use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

/// What came back for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The completion's body, as the online API would have answered it.
    Reply(Json),
    /// The request failed; the service's message.
    Failed(String),
}

/// An answer and the batch (its index in the run) it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub answer: Answer,
    pub batch: usize,
}

/// Answers by paragraph id, and the lines that were not answers.
#[derive(Debug, Default)]
pub struct Answers {
    pub by_id: HashMap<String, Answered>,
    /// `file:line: why`, at most [`MAX_BAD_LINES`] kept.
    pub bad_lines: Vec<String>,
    pub bad_line_count: usize,
}

pub const MAX_BAD_LINES: usize = 20;

#[derive(Deserialize)]
struct Line {
    custom_id: String,
    #[serde(default)]
    response: Option<Response>,
    #[serde(default)]
    error: Option<Json>,
}

#[derive(Deserialize)]
struct Response {
    status_code: u16,
    #[serde(default)]
    body: Json,
}

impl Answers {
    /// Reads one output or error file of batch `batch`.
    pub fn read(&mut self, path: &Path, batch: usize) -> std::io::Result<()> {
        let file = std::fs::File::open(path)?;
        for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Line>(&line) {
                Ok(line) => self.add(line, batch),
                Err(e) => {
                    self.bad_line_count += 1;
                    if self.bad_lines.len() < MAX_BAD_LINES {
                        self.bad_lines.push(format!("{}:{}: {e}", path.display(), number + 1));
                    }
                }
            }
        }
        Ok(())
    }

    fn add(&mut self, line: Line, batch: usize) {
        let answer = answer_of(line.response, line.error);
        // Kept whole: it is the key the request went with (what is printed is cleaned by stdout).
        let id = line.custom_id;
        let keep = match self.by_id.get(&id) {
            None => true,
            Some(old) => matches!(answer, Answer::Reply(_)) || matches!(old.answer, Answer::Failed(_)),
        };
        if keep {
            self.by_id.insert(id, Answered { answer, batch });
        }
    }

    /// Whether `id` has a reply (not only a failure).
    pub fn answered(&self, id: &str) -> bool {
        self.by_id.get(id).is_some_and(|a| matches!(a.answer, Answer::Reply(_)))
    }
}

fn answer_of(response: Option<Response>, error: Option<Json>) -> Answer {
    if let Some(error) = error.filter(|e| !e.is_null()) {
        return Answer::Failed(message(&error));
    }
    match response {
        Some(r) if r.status_code == 200 => Answer::Reply(r.body),
        Some(r) => {
            // OpenAI nests the error under `error`; vLLM's run_batch writes it as the body.
            let detail = message(r.body.get("error").unwrap_or(&r.body));
            Answer::Failed(format!(
                "the service answered {}{}",
                r.status_code,
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {detail}")
                }
            ))
        }
        None => Answer::Failed("the batch service gave neither a response nor an error".into()),
    }
}

/// `code: message` of an error object, on one line.
fn message(error: &Json) -> String {
    let text = |key: &str| error.get(key).and_then(Json::as_str).unwrap_or("");
    let joined = match (text("code"), text("message")) {
        ("", "") if error.is_null() => String::new(),
        ("", "") => error.to_string(),
        ("", m) => m.to_string(),
        (c, "") => c.to_string(),
        (c, m) => format!("{c}: {m}"),
    };
    crate::foreign::one_line(&joined, 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(lines: &[&str], batch: usize, answers: &mut Answers) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, lines.join("\n")).unwrap();
        answers.read(&path, batch).unwrap();
    }

    #[test]
    fn a_reply_beats_a_failure_whichever_comes_first() {
        let mut answers = Answers::default();
        read(
            &[
                r#"{"id":"r1","custom_id":"a","response":null,"error":{"code":"batch_expired","message":"not run in time"}}"#,
                r#"{"id":"r2","custom_id":"b","response":{"status_code":200,"body":{"choices":[]}},"error":null}"#,
                r#"{"id":"r3","custom_id":"c","response":{"status_code":429,"body":{"error":{"message":"slow down"}}},"error":null}"#,
                "not json",
            ],
            0,
            &mut answers,
        );
        assert_eq!(
            answers.by_id["a"].answer,
            Answer::Failed("batch_expired: not run in time".into())
        );
        assert_eq!(
            answers.by_id["c"].answer,
            Answer::Failed("the service answered 429: slow down".into())
        );
        assert!(answers.answered("b"));
        assert_eq!(answers.bad_line_count, 1);
        assert!(
            answers.bad_lines[0].ends_with(":4: expected ident at line 1 column 2"),
            "{:?}",
            answers.bad_lines
        );
        read(
            &[
                r#"{"custom_id":"a","response":{"status_code":200,"body":{"n":1}}}"#,
                r#"{"custom_id":"b","error":{"message":"late failure"}}"#,
            ],
            1,
            &mut answers,
        );
        assert_eq!(
            answers.by_id["a"],
            Answered {
                answer: Answer::Reply(serde_json::json!({"n": 1})),
                batch: 1
            }
        );
        assert!(answers.answered("b"), "a later failure does not undo an answer");
        assert_eq!(answers.by_id["b"].batch, 0);
    }
}
