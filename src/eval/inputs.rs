//! Reading prediction files and pairing each prediction with its gold answer.
//!
//! Prediction files come as the papers left them (the Chem. Sci. notebooks' CSV with
//! `Actual Text`/`Generated Text`, NERRE doping decoded JSON, NERRE `run_*.jsonl`) or as Retort's
//! own JSONL (`id` plus `raw`, `output` or `prediction`). Files that carry their gold need no
//! `--gold`; the others are joined with the gold file by id.

use crate::dataset::papers::{SourceExample, abstract_doi, doping_abstracts, doping_sentence_id, nmr_answer};
use crate::dataset::table::{self, InputError};
use crate::input::{InputKind, read_examples};
use crate::llm::run_line::RunLine;
use crate::metrics::fields::NMR_FIELDS;
use crate::task::{MetricSet, Task};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::Path;

/// One prediction with what it is scored against.
#[derive(Debug, Clone)]
pub struct Scored {
    pub id: String,
    pub gold: SourceExample,
    /// The model's text; `None` when the file has no answer for it.
    pub prediction: Option<String>,
    /// NERRE doping decoded files: the decoded graph as recorded.
    pub decoded: Option<Json>,
    /// The model's reply before the answer was cut out of it (Retort's `raw`), when known.
    pub raw: Option<String>,
}

impl Scored {
    /// A pair of canonical texts, with what the measures need derived from the gold text (the
    /// BIO labels of role tags).
    pub fn from_answers(task: &Task, pair: &super::AnswerPair) -> Scored {
        let labels = (task.metrics == MetricSet::Roles).then(|| crate::metrics::roles::bio_labels(&pair.gold));
        Scored {
            id: pair.id.clone(),
            gold: SourceExample {
                id: pair.id.clone(),
                line: 0,
                input: pair.paragraph.clone(),
                gold: Some(pair.gold.clone()),
                labels,
                record: None,
            },
            prediction: Some(pair.prediction.clone()),
            decoded: None,
            raw: None,
        }
    }
}

/// A prediction as read, before joining.
struct Prediction {
    /// `None` for files without ids (the notebooks' CSVs): joined with the gold by position.
    id: Option<String>,
    index: usize,
    line: usize,
    text: Option<String>,
    decoded: Option<Json>,
    raw: Option<String>,
    /// The gold the file carries, if any.
    gold: Option<SourceExample>,
    /// Files that hold every sentence (NERRE decoded) are scored on the gold's sentences only.
    unmatched_is_fine: bool,
}

/// What one prediction file gave: the pairs, the rows skipped, and, when no pair was made, why.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scored: Vec<Scored>,
    pub skipped: Vec<String>,
    pub nothing_scored: Option<String>,
}

/// Pairs and the rows that were skipped. With `strict`, the first problem is the error.
pub fn load(task: &Task, gold: Option<&Path>, pred: &Path, strict: bool) -> Result<Loaded, InputError> {
    let (predictions, mut problems) = read_predictions(pred, task)?;
    let gold_examples = match gold {
        Some(path) => {
            let (examples, bad) = read_examples(path, task)?;
            problems.extend(bad);
            Some(examples)
        }
        None => None,
    };
    let by_id: HashMap<&str, &SourceExample> = gold_examples.iter().flatten().map(|e| (e.id.as_str(), e)).collect();
    let by_position = |i: usize| gold_examples.as_ref().and_then(|g| g.get(i));
    let prediction_ids: Vec<String> = predictions.iter().filter_map(|p| p.id.clone()).collect();
    let prediction_count = predictions.len();
    let mut scored = Vec::with_capacity(predictions.len());
    for p in predictions {
        let gold = match (p.gold, gold_examples.is_some()) {
            (_, true) => match &p.id {
                Some(id) => by_id.get(id.as_str()).copied(),
                None => by_position(p.index),
            }
            .cloned(),
            (Some(own), false) => Some(own),
            (None, false) => {
                return Err(InputError::new(
                    pred,
                    p.line,
                    "this file carries no gold answers: pass the gold file with --gold",
                ));
            }
        };
        match gold {
            Some(gold) => {
                let id = p.id.unwrap_or_else(|| gold.id.clone());
                scored.push(Scored {
                    id,
                    gold,
                    prediction: p.text,
                    decoded: p.decoded,
                    raw: p.raw,
                });
            }
            None if p.unmatched_is_fine => {}
            None => {
                let what = match p.id {
                    Some(id) => format!("id {id:?} is not in the gold file"),
                    None => format!("row {} has no gold row", p.index + 1),
                };
                problems.push(InputError::new(pred, p.line, what));
            }
        }
    }
    if strict && let Some(first) = problems.first() {
        return Err(first.clone());
    }
    let nothing_scored = scored.is_empty().then(|| {
        let gold_ids: Vec<&str> = gold_examples.iter().flatten().map(|e| e.id.as_str()).collect();
        why_nothing_scored(pred, prediction_count, &prediction_ids, gold.map(|g| (g, gold_ids)))
    });
    Ok(Loaded {
        scored,
        skipped: problems.iter().map(ToString::to_string).collect(),
        nothing_scored,
    })
}

/// Why a prediction file gave no pair to score, naming a few ids of each side.
fn why_nothing_scored(
    pred: &Path,
    predictions: usize,
    pred_ids: &[String],
    gold: Option<(&Path, Vec<&str>)>,
) -> String {
    let few = |ids: &mut dyn ExactSizeIterator<Item = &str>| {
        let more = if ids.len() > 4 { ", …" } else { "" };
        let ids: Vec<&str> = ids.take(4).collect();
        if ids.is_empty() {
            "no id".to_string()
        } else {
            ids.join(", ") + more
        }
    };
    match gold {
        _ if predictions == 0 => format!("{} has no prediction that could be read", pred.display()),
        Some((path, ids)) if ids.is_empty() => format!("{} has no gold example that could be read", path.display()),
        Some((path, ids)) => format!(
            "no id in common: {} has {} ({} in all), {} has {} ({} in all)",
            path.display(),
            few(&mut ids.iter().copied()),
            ids.len(),
            pred.display(),
            few(&mut pred_ids.iter().map(String::as_str)),
            predictions
        ),
        None => format!("no prediction of {} has a gold answer", pred.display()),
    }
}

fn read_predictions(path: &Path, task: &Task) -> Result<(Vec<Prediction>, Vec<InputError>), InputError> {
    match crate::input::kind_of(path)? {
        InputKind::Csv => read_notebook_csv(path, task),
        InputKind::Json => read_doping_decoded(path),
        InputKind::Lines(_) => read_jsonl_predictions(path, task),
        kind @ (InputKind::Text | InputKind::Directory | InputKind::Paper(_) | InputKind::Unsupported(_)) => {
            Err(InputError::new(
                path,
                0,
                format!(
                    "this is {}; predictions must be CSV, JSON or JSON lines",
                    kind.describe()
                ),
            ))
        }
    }
}

/// The notebooks' shape: gold in `Actual Text`, output in `Generated Text` (an empty cell is a
/// missing answer); NMR may give the output as one column per field instead.
fn read_notebook_csv(path: &Path, task: &Task) -> Result<(Vec<Prediction>, Vec<InputError>), InputError> {
    let (csv, bad_rows) = table::read_csv(path)?;
    let per_field = task.metrics == MetricSet::Nmr && NMR_FIELDS.iter().all(|f| csv.has(f));
    if !per_field {
        csv.require(path, &["Generated Text"])?;
    }
    let carries_gold = csv.has("Actual Text");
    // With its gold, the file's bad rows come back from reading the examples.
    let (gold_examples, problems) = if carries_gold {
        read_examples(path, task)?
    } else {
        (Vec::new(), bad_rows)
    };
    let mut out = Vec::with_capacity(csv.rows.len());
    for row in &csv.rows {
        let index = row.index;
        let text = if per_field {
            Some(nmr_answer(row))
        } else {
            row.get("Generated Text").filter(|t| !t.is_empty()).map(String::from)
        };
        let gold = gold_examples.iter().find(|e| e.line == row.line).cloned();
        let id = row.get("documentId").or(row.get("file_name")).map(String::from);
        out.push(Prediction {
            id,
            index,
            line: row.line,
            text,
            decoded: None,
            raw: None,
            gold,
            unmatched_is_fine: false,
        });
    }
    Ok((out, problems))
}

/// NERRE decoded doping files: sentences in the gold file's order, each with `llm_completion`
/// and the decoded `entity_graph_raw`.
fn read_doping_decoded(path: &Path) -> Result<(Vec<Prediction>, Vec<InputError>), InputError> {
    let mut out = Vec::new();
    for (i, abstract_) in doping_abstracts(path)?.iter().enumerate() {
        let doi = abstract_doi(abstract_, i);
        let sentences = abstract_
            .get("doping_sentences")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        for (j, sentence) in sentences.iter().enumerate() {
            let text = sentence.get("llm_completion").and_then(Json::as_str).map(String::from);
            let decoded = sentence.get("entity_graph_raw").cloned();
            out.push(Prediction {
                id: Some(doping_sentence_id(&doi, j)),
                index: out.len(),
                line: 0,
                raw: text.clone(),
                text,
                decoded,
                gold: None,
                unmatched_is_fine: true,
            });
        }
    }
    Ok((out, Vec::new()))
}

/// Retort's prediction JSONL, or NERRE `run_*.jsonl` (gold in `completion`, output in
/// `llm_completion`).
fn read_jsonl_predictions(path: &Path, task: &Task) -> Result<(Vec<Prediction>, Vec<InputError>), InputError> {
    let (rows, mut problems) = table::read_jsonl(path)?;
    let carries_gold = rows
        .first()
        .is_some_and(|(_, r)| r.get("completion").is_some() && r.get("llm_completion").is_some());
    let own_gold = if carries_gold {
        read_examples(path, task)?.0
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(rows.len());
    for (index, (line, row)) in rows.into_iter().enumerate() {
        let (text, raw) = prediction_text(&row);
        let id = match row.get("id") {
            Some(Json::String(s)) => s.clone(),
            Some(Json::Number(n)) => n.to_string(),
            _ if carries_gold => line.to_string(),
            _ => {
                problems.push(InputError::new(
                    path,
                    line,
                    "expected an \"id\" (string) on every prediction line",
                ));
                continue;
            }
        };
        if text.is_none() && row.get("error").is_none() {
            problems.push(InputError::new(
                path,
                line,
                "expected the model's text in \"raw\", \"output\" or \"prediction\"",
            ));
            continue;
        }
        let gold = own_gold.iter().find(|e| e.line == line).cloned();
        out.push(Prediction {
            id: Some(id),
            index,
            line,
            text,
            decoded: None,
            raw,
            gold,
            unmatched_is_fine: false,
        });
    }
    Ok((out, problems))
}

/// (the answer scored, the model's whole reply) of a prediction line: a `retort extract` line
/// (its `answer` and `raw`), a NERRE run line (`llm_completion`), or a plain prediction line
/// (`answer`, `raw`, `output` or `prediction`).
fn prediction_text(row: &Json) -> (Option<String>, Option<String>) {
    if RunLine::is_one(row)
        && let Ok(line) = serde_json::from_value::<RunLine>(row.clone())
    {
        return (Some(line.answer), Some(line.raw));
    }
    let text_of = |key: &str| row.get(key).and_then(Json::as_str).map(String::from);
    if let Some(completion) = text_of("llm_completion") {
        return (Some(completion.clone()), Some(completion));
    }
    let text = ["answer", "raw", "output", "prediction"]
        .iter()
        .find_map(|k| text_of(k));
    (text, text_of("raw"))
}
