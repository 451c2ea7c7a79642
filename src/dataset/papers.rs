//! The papers' data files as examples of a task: the paragraph and its gold answer written in
//! the task's canonical text (what a fine-tuned model is trained to produce).

use super::table::{self, CsvRow, InputError};
use crate::format::json_style::{self, JsonStyle};
use crate::metrics::doping::{self, DopingSchema};
use crate::metrics::fields::NMR_FIELDS;
use crate::task::{MetricSet, Task};
use serde_json::{Map, Value as Json};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct SourceExample {
    pub id: String,
    /// 1-based line of the file the example starts on.
    pub line: usize,
    pub input: String,
    /// The gold answer in the task's canonical text; `None` for unannotated paragraphs.
    pub gold: Option<String>,
    /// Reaction-role data: the gold BIO labels as stored.
    pub labels: Option<Vec<String>>,
    /// NERRE doping: the annotated sentence as stored (for the entity graph).
    pub record: Option<Json>,
}

impl SourceExample {
    fn new(id: String, line: usize, input: String, gold: Option<String>) -> SourceExample {
        SourceExample {
            id,
            line,
            input,
            gold,
            labels: None,
            record: None,
        }
    }
}

/// Rows that could be read, and the problems with the rest (each naming file and line).
pub type Read = (Vec<SourceExample>, Vec<InputError>);

const DOPING_QUESTION: &str = "\n\nExtract doping information from this sentence.\n\n###\n";
const NERRE_PROMPT_END: &str = "\n\n###\n\n";

/// The shapes a file of examples comes in (which one a file has is `input::kind_of`'s to say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExampleFile {
    /// The Chem. Sci. paper's CSV (and the notebooks' CSV with `Actual Text`).
    Csv,
    /// The NERRE doping files: abstracts with their sentences and entity graphs.
    DopingJson,
    /// `{"id", "text", "answer"}` lines: gold for any task.
    Answers,
    /// The NERRE prompt/completion training lines.
    PromptCompletion,
}

/// Reads the examples of `task` from `path`, a file of the shape `file`.
pub fn read_examples(path: &Path, file: ExampleFile, task: &Task) -> Result<Read, InputError> {
    let doping = matches!(
        task.metrics,
        MetricSet::DopingEnglish | MetricSet::DopingEnglishExtra | MetricSet::DopingJson
    );
    match file {
        ExampleFile::Csv => read_csv_examples(path, task),
        ExampleFile::DopingJson if doping => read_doping_json(path, DopingSchema::for_metrics(task.metrics)),
        ExampleFile::DopingJson => Err(InputError::new(
            path,
            0,
            format!(
                "a JSON document holds examples only for the doping tasks, not {}; expected the papers' CSV or JSONL",
                task.name
            ),
        )),
        ExampleFile::Answers => read_answers(path, task),
        ExampleFile::PromptCompletion => read_prompt_completion(path, task),
    }
}

/// Gold for any task: `{"id", "text", "answer"}` lines, the answer in the task's own format (a
/// string) or, for JSON tasks, as JSON; it is checked to parse and kept in canonical form.
fn read_answers(path: &Path, task: &Task) -> Result<Read, InputError> {
    let (rows, mut problems) = table::read_jsonl(path)?;
    let mut examples = Vec::new();
    for (line, row) in rows {
        let Some(text) = row.get("text").and_then(Json::as_str) else {
            problems.push(InputError::new(path, line, "expected a \"text\" string"));
            continue;
        };
        let answer = match row.get("answer") {
            Some(Json::String(s)) => s.clone(),
            Some(value) if !value.is_null() => value.to_string(),
            _ => {
                problems.push(InputError::new(path, line, "expected an \"answer\""));
                continue;
            }
        };
        let answer = match task.parse(&answer) {
            Ok(extraction) => task.render(&extraction),
            Err(e) => {
                problems.push(InputError::new(path, line, format!("the answer does not parse: {e}")));
                continue;
            }
        };
        let id = match row.get("id") {
            Some(Json::String(s)) => s.clone(),
            Some(Json::Number(n)) => n.to_string(),
            _ => line.to_string(),
        };
        examples.push(SourceExample::new(id, line, text.to_string(), Some(answer)));
    }
    Ok((examples, problems))
}

fn read_csv_examples(path: &Path, task: &Task) -> Result<Read, InputError> {
    let (csv, bad_rows) = table::read_csv(path)?;
    let notebook = csv.has("Actual Text");
    let (input_col, gold_col) = match task.metrics {
        _ if notebook => ("Paragraph", "Actual Text"),
        MetricSet::Compound => ("Paragraph", "Compound"),
        MetricSet::Roles => ("input", "output"),
        MetricSet::MofSynthesis => ("Paragraph", "MOFInfo"),
        MetricSet::Action => ("Paragraph", "Action"),
        MetricSet::Nmr => ("Paragraph", "IUPAC"),
        MetricSet::Generic => ("text", "answer"),
        _ => {
            return Err(InputError::new(
                path,
                1,
                format!("task {} is not read from CSV", task.name),
            ));
        }
    };
    csv.require(path, &[input_col])?;
    let nmr_columns = task.metrics == MetricSet::Nmr && !notebook;
    if nmr_columns {
        csv.require(path, &NMR_FIELDS)?;
    } else {
        csv.require(path, &[gold_col])?;
    }
    let mut examples = Vec::new();
    let mut problems = bad_rows;
    for row in &csv.rows {
        let id = row
            .get("documentId")
            .or(row.get("file_name"))
            .map_or_else(|| (row.index + 1).to_string(), String::from);
        let input = row.get(input_col).unwrap_or_default().to_string();
        let gold = if nmr_columns {
            nmr_answer(row)
        } else {
            row.get(gold_col).unwrap_or_default().to_string()
        };
        let mut example = SourceExample::new(id, row.line, input, Some(gold));
        if let Some(labels) = row.get("bio_label").or(row.get("BIO Label")) {
            match crate::metrics::roles::parse_label_list(labels) {
                Some(labels) => example.labels = Some(labels),
                None => {
                    problems.push(InputError::new(
                        path,
                        row.line,
                        "BIO labels are not a list like ['O', 'B-Prod']",
                    ));
                    continue;
                }
            }
        }
        examples.push(example);
    }
    Ok((examples, problems))
}

/// The fine-tuned NMR answer written from the data's columns (compact JSON, key order fixed).
pub fn nmr_answer(row: &CsvRow) -> String {
    let map: Map<String, Json> = NMR_FIELDS
        .iter()
        .map(|f| (f.to_string(), Json::String(row.get(f).unwrap_or_default().to_string())))
        .collect();
    json_style::write(&Json::Object(map), JsonStyle::Compact, false)
}

/// The abstracts of a NERRE doping file (a JSON list).
pub fn doping_abstracts(path: &Path) -> Result<Vec<Json>, InputError> {
    match table::read_json(path)? {
        Json::Array(abstracts) => Ok(abstracts),
        _ => Err(InputError::new(path, 1, "expected a JSON list of abstracts")),
    }
}

/// An abstract's DOI, or its position in the file when it has none.
pub fn abstract_doi(abstract_: &Json, index: usize) -> String {
    abstract_
        .get("doi")
        .and_then(Json::as_str)
        .map_or_else(|| index.to_string(), String::from)
}

/// The id of a doping sentence, `DOI#sentence`: gold and predictions join on it.
pub fn doping_sentence_id(doi: &str, sentence: usize) -> String {
    format!("{doi}#{sentence}")
}

/// NERRE doping abstracts (`test.json`, `train.json`, decoded predictions, `raw_data.json`):
/// one example per relevant sentence, id `DOI#sentence`; unannotated abstracts as paragraphs.
fn read_doping_json(path: &Path, schema: DopingSchema) -> Result<Read, InputError> {
    let mut examples = Vec::new();
    for (i, abstract_) in doping_abstracts(path)?.iter().enumerate() {
        let doi = abstract_doi(abstract_, i);
        let Some(Json::Array(sentences)) = abstract_.get("doping_sentences") else {
            let title = abstract_.get("title").and_then(Json::as_str).unwrap_or_default();
            let text = abstract_
                .get("abstract")
                .or(abstract_.get("text"))
                .and_then(Json::as_str)
                .unwrap_or_default();
            examples.push(SourceExample::new(
                doi,
                0,
                format!("{title}\n{text}").trim().to_string(),
                None,
            ));
            continue;
        };
        for (j, sentence) in sentences.iter().enumerate() {
            if sentence.get("relevant").and_then(Json::as_bool) != Some(true) {
                continue;
            }
            let input = sentence
                .get("sentence_text")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string();
            let gold = sentence.get("basemats").map(|_| {
                let completion = doping::gold_completion(sentence, schema);
                completion.strip_prefix(' ').unwrap_or(&completion).to_string()
            });
            let mut example = SourceExample::new(doping_sentence_id(&doi, j), 0, input, gold);
            example.record = Some(sentence.clone());
            examples.push(example);
        }
    }
    Ok((examples, Vec::new()))
}

/// Prompt/completion JSONL (NERRE training files, folds, annotations, `run_*.jsonl`).
fn read_prompt_completion(path: &Path, task: &Task) -> Result<Read, InputError> {
    let (rows, mut problems) = table::read_jsonl(path)?;
    let template = &task.prompt.fine_tuned;
    let mut examples = Vec::new();
    for (line, row) in rows {
        let (Some(prompt), Some(completion)) = (
            row.get("prompt").and_then(Json::as_str),
            row.get("completion").and_then(Json::as_str),
        ) else {
            problems.push(InputError::new(
                path,
                line,
                "expected an object with \"prompt\" and \"completion\" strings",
            ));
            continue;
        };
        let input = prompt
            .strip_suffix(DOPING_QUESTION)
            .or(prompt.strip_suffix(NERRE_PROMPT_END))
            .unwrap_or(prompt);
        let gold = completion
            .strip_prefix(template.answer_prefix.as_str())
            .unwrap_or(completion);
        let gold = gold.strip_suffix(template.answer_suffix.as_str()).unwrap_or(gold);
        let id = row
            .get("id")
            .and_then(Json::as_str)
            .map_or_else(|| line.to_string(), String::from);
        examples.push(SourceExample::new(id, line, input.to_string(), Some(gold.to_string())));
    }
    Ok((examples, problems))
}
