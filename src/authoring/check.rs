//! Everything wrong with a task file (and, given one, its examples), each problem with its line
//! and column: TOML that does not read, a schema that is not JSON or does not compile, a
//! template without its placeholders, fields the schema does not describe, and examples whose
//! answer does not parse, does not re-render identically or breaks the schema.

use crate::task::Task;
use serde_json::Value as Json;
use std::path::Path;

/// One problem, at a line and column of a file (1-based; 0 when the whole file is meant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Problem {
    fn new(file: &str, line: usize, column: usize, message: String) -> Problem {
        Problem {
            file: file.to_string(),
            line,
            column,
            message,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

/// (line, column) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Checks a task file; returns the task when it loads, and every problem found.
pub fn task_file(path: &Path) -> (Option<Task>, Vec<Problem>) {
    let file = path.display().to_string();
    let at = |text: &str, offset: usize, message: String| {
        let (line, column) = position(text, offset);
        Problem::new(&file, line, column, message)
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return (None, vec![Problem::new(&file, 0, 0, format!("cannot read: {e}"))]),
    };
    let task: Task = match toml::from_str(&text) {
        Ok(task) => task,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            return (None, vec![at(&text, offset, e.message().to_string())]);
        }
    };
    let document: toml_edit::Document<&str> = match toml_edit::Document::parse(text.as_str()) {
        Ok(d) => d,
        Err(e) => return (None, vec![at(&text, 0, e.to_string())]),
    };
    let span_of = |keys: &[&str]| -> usize {
        let mut item = document.as_item();
        for key in keys {
            match item.get(key) {
                Some(next) => item = next,
                None => return 0,
            }
        }
        item.span().map_or(0, |s| s.start)
    };
    let mut problems = Vec::new();
    if task.fields.is_empty() {
        problems.push(at(&text, 0, "a task needs at least one [[field]]".into()));
    }
    for (keys, template, needed) in [
        (&["prompt", "instruction"][..], &task.prompt.instruction, &[][..]),
        (
            &["prompt", "example"][..],
            &task.prompt.example,
            &["{input}", "{output}"][..],
        ),
        (&["prompt", "query"][..], &task.prompt.query, &["{input}"][..]),
        (
            &["prompt", "fine_tuned", "user"][..],
            &task.prompt.fine_tuned.user,
            &["{input}"][..],
        ),
    ] {
        if template.trim().is_empty() {
            problems.push(at(&text, span_of(keys), format!("{} is empty", keys.join("."))));
        }
        for placeholder in needed {
            if !template.contains(placeholder) {
                problems.push(at(
                    &text,
                    span_of(keys),
                    format!("{} has no {placeholder} placeholder", keys.join(".")),
                ));
            }
        }
    }
    if let Some(schema) = &task.schema {
        problems.extend(schema_problems(&text, span_of(&["schema"]), schema, &task, &at));
    }
    (Some(task), problems)
}

/// The schema's JSON (its errors placed in the file), its compilation, and the fields it lacks.
fn schema_problems(
    text: &str,
    value_start: usize,
    schema: &str,
    task: &Task,
    at: &dyn Fn(&str, usize, String) -> Problem,
) -> Vec<Problem> {
    // A multi-line string's content starts after its quotes and the newline that follows them.
    let content_start = text[value_start..]
        .find(schema.lines().next().unwrap_or_default())
        .map_or(value_start, |i| value_start + i);
    let value: Json = match serde_json::from_str(schema) {
        Ok(value) => value,
        Err(e) => {
            let offset = schema
                .split_inclusive('\n')
                .take(e.line().saturating_sub(1))
                .map(str::len)
                .sum::<usize>()
                + e.column().saturating_sub(1);
            return vec![at(text, content_start + offset, format!("the schema is not JSON: {e}"))];
        }
    };
    let mut problems = Vec::new();
    if let Err(e) = jsonschema::validator_for(&value) {
        problems.push(at(text, content_start, format!("the schema does not compile: {e}")));
    }
    let properties = value
        .pointer("/items/properties")
        .or_else(|| value.pointer("/properties"))
        .and_then(Json::as_object);
    if let Some(properties) = properties {
        for field in &task.fields {
            if !properties.contains_key(&field.name) {
                problems.push(at(
                    text,
                    content_start,
                    format!("the schema has no property for field {:?}", field.name),
                ));
            }
        }
    }
    problems
}

/// Checks examples (`{"id", "text", "answer"}` JSONL) against `task`: each answer parses,
/// re-renders to the same text, and matches the schema.
pub fn examples(task: &Task, path: &Path) -> Vec<Problem> {
    let file = path.display().to_string();
    let problem = |line: usize, column: usize, message: String| Problem::new(&file, line, column, message);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return vec![problem(0, 0, format!("cannot read: {e}"))],
    };
    let validator = task
        .schema
        .as_deref()
        .and_then(|s| serde_json::from_str::<Json>(s).ok())
        .and_then(|s| jsonschema::validator_for(&s).ok());
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let row: Json = match serde_json::from_str(line) {
            Ok(row) => row,
            Err(e) => {
                problems.push(problem(number, e.column(), format!("not a JSON line: {e}")));
                continue;
            }
        };
        let answer = match row.get("answer") {
            Some(Json::String(s)) => s.clone(),
            Some(value) if !value.is_null() => value.to_string(),
            _ => {
                problems.push(problem(number, 1, "no \"answer\"".into()));
                continue;
            }
        };
        if row.get("text").and_then(Json::as_str).is_none() {
            problems.push(problem(number, 1, "no \"text\" string".into()));
        }
        let column = line.find("\"answer\"").map_or(1, |i| i + 1);
        match task.parse(&answer) {
            Err(e) => problems.push(problem(
                number,
                column,
                format!(
                    "the answer does not parse (its line {}, column {}): {}",
                    e.line, e.column, e.message
                ),
            )),
            Ok(extraction) => {
                let rendered = task.render(&extraction);
                let as_written = row.get("answer").is_some_and(Json::is_string);
                if as_written && rendered != answer {
                    problems.push(problem(
                        number,
                        column,
                        format!("the answer does not re-render identically: written {answer:?}, rendered {rendered:?}"),
                    ));
                }
                if let (Some(validator), Ok(json)) = (&validator, serde_json::from_str::<Json>(&rendered)) {
                    for error in validator.iter_errors(&json).take(3) {
                        problems.push(problem(
                            number,
                            column,
                            format!("the answer breaks the schema: {error}"),
                        ));
                    }
                }
            }
        }
    }
    problems
}
