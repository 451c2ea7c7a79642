//! Scoring paired predictions with the task's measures, into the tables the papers print.

use super::inputs::Scored;
use super::report::{Report, Table};
use crate::metrics::doping::{self, DopingGraph, DopingPair, DopingSchema};
use crate::metrics::fields::{self, NMR_FIELDS};
use crate::metrics::nerre::{self, NerreSample};
use crate::metrics::roles::{self, RoleSentence};
use crate::metrics::{action, compound, generic};
use crate::task::{MetricSet, Task};

const PRF: [&str; 3] = ["precision", "recall", "f1"];

/// Scores one prediction file (or, for NERRE JSON tasks, all folds at once).
pub fn score(
    task: &Task,
    folds: &[Vec<Scored>],
    scoring: super::Scoring,
    report: &mut Report,
) -> Result<(), super::EvalError> {
    let all: Vec<&Scored> = folds.iter().flatten().collect();
    let lowercase = scoring.lowercase;
    match task.metrics {
        _ if scoring.generic => generic_report(task, &all, report),
        MetricSet::Generic => generic_report(task, &all, report),
        MetricSet::Compound => compound_report(&all, report),
        MetricSet::Roles => roles_report(&all, report),
        MetricSet::MofSynthesis => {
            let pairs = text_pairs(&all);
            field_report("MOF fields", &fields::score_mof(&pairs), "reactions", report);
        }
        MetricSet::Nmr => nmr_report(&all, report),
        MetricSet::Action => action_report(&all, report),
        MetricSet::DopingEnglish | MetricSet::DopingEnglishExtra | MetricSet::DopingJson => {
            doping_report(&all, DopingSchema::for_metrics(task.metrics), lowercase, report)
        }
        MetricSet::NerreGeneral => nerre_report(folds, nerre::GENERAL, report)?,
        MetricSet::NerreMof => nerre_report(folds, nerre::MOF, report)?,
    }
    Ok(())
}

fn gold_text(s: &Scored) -> String {
    s.gold.gold.clone().unwrap_or_default()
}

/// (gold, prediction) texts; a missing prediction is the empty string.
fn text_pairs(items: &[&Scored]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|s| (gold_text(s), s.prediction.clone().unwrap_or_default()))
        .collect()
}

/// Any task's measures from its answers' shape (see `metrics::generic`).
fn generic_report(task: &Task, items: &[&Scored], report: &mut Report) {
    let mut unparsable = 0;
    let pairs: Vec<_> = items
        .iter()
        .map(|s| {
            let gold = task.parse(&gold_text(s)).unwrap_or_default();
            let pred = match s.prediction.as_deref().map(|p| task.parse(p)) {
                Some(Ok(extraction)) => extraction,
                Some(Err(_)) | None => {
                    unparsable += 1;
                    Default::default()
                }
            };
            (gold, pred)
        })
        .collect();
    let order: Vec<String> = task.fields.iter().map(|f| f.name.clone()).collect();
    let s = generic::score(&pairs, &order);
    let mut fields = Table::new(
        "fields (micro over paragraphs)",
        &["precision", "recall", "f1", "f1 normalised", "similarity"],
    );
    let row = |f: &generic::FieldScore| {
        [
            f.exact.precision(),
            f.exact.recall(),
            f.exact.f1(),
            f.normalized.f1(),
            f.similarity(),
        ]
    };
    for (name, score) in &s.fields {
        fields.row(name, &row(score));
    }
    fields.row("all fields", &row(&s.all));
    report.tables.push(fields);
    let mut records = Table::new("records", &PRF);
    records.row("records", &[s.records.precision(), s.records.recall(), s.records.f1()]);
    report.tables.push(records);
    let mut paragraphs = Table::new("paragraphs", &["value"]);
    paragraphs.row("exact match", &[s.exact_match()]);
    report.tables.push(paragraphs);
    report.counts.push(("paragraphs".into(), s.paragraphs));
    report.counts.push(("predictions that do not parse".into(), unparsable));
}

fn compound_report(items: &[&Scored], report: &mut Report) {
    let s = compound::score(&text_pairs(items));
    let mut table = Table::new(
        "entities (macro over paragraphs)",
        &["precision", "recall", "f1", "jaccard"],
    );
    table.row(
        "compound",
        &[
            s.map(|s| s.precision),
            s.map(|s| s.recall),
            s.map(|s| s.f1),
            s.map(|s| s.jaccard),
        ],
    );
    report.tables.push(table);
    report.counts.push(("paragraphs".into(), items.len()));
}

fn roles_report(items: &[&Scored], report: &mut Report) {
    let sentences: Vec<RoleSentence> = items
        .iter()
        .filter_map(|s| {
            let labels = s.gold.labels.clone()?;
            Some(RoleSentence {
                input: &s.gold.input,
                gold_labels: labels,
                prediction: s.prediction.as_deref(),
            })
        })
        .collect();
    let missing_labels = items.len() - sentences.len();
    if missing_labels > 0 {
        report
            .skipped
            .push(format!("{missing_labels} sentence(s) without gold BIO labels"));
    }
    let (raw, aligned) = roles::score(&sentences);
    let mut table = Table::new("tags (seqeval, micro)", &PRF);
    table.row("as generated", &[raw.precision, raw.recall, raw.f1]);
    table.row("re-aligned to input", &[aligned.precision, aligned.recall, aligned.f1]);
    report.tables.push(table);
    report.counts.extend([
        ("sentences".into(), raw.total),
        ("kept as generated".into(), raw.kept),
        ("kept re-aligned".into(), aligned.kept),
    ]);
}

fn field_report(title: &str, scores: &fields::FieldScores, unit: &str, report: &mut Report) {
    let mut table = Table::new(title, &["levenshtein", "exact"]);
    for (name, lev, exact) in &scores.fields {
        table.row(name, &[*lev, *exact]);
    }
    table.row("mean", &[scores.mean_levenshtein, scores.mean_exact]);
    report.tables.push(table);
    report.counts.push((unit.into(), scores.rows));
}

fn nmr_report(items: &[&Scored], report: &mut Report) {
    let mut gold: fields::Columns = vec![Vec::new(); NMR_FIELDS.len()];
    let mut pred: fields::Columns = vec![Vec::new(); NMR_FIELDS.len()];
    for s in items {
        let g = fields::nmr_cells(&gold_text(s));
        let p = fields::nmr_cells(s.prediction.as_deref().unwrap_or_default());
        for i in 0..NMR_FIELDS.len() {
            gold[i].push(g[i].clone());
            pred[i].push(p[i].clone());
        }
    }
    field_report(
        "NMR fields",
        &fields::score_columns(&NMR_FIELDS, &gold, &pred),
        "records",
        report,
    );
}

fn action_report(items: &[&Scored], report: &mut Report) {
    let s = action::score(&text_pairs(items));
    let value = |measure: fn(&action::ActionScores) -> f64| [s.as_ref().map(measure)];
    let mut table = Table::new("action sequences", &["value"]);
    table
        .row("modified BLEU", &value(|s| s.modified_bleu))
        .row("BLEU-2", &value(|s| s.bleu2))
        .row("original BLEU", &value(|s| s.original_bleu))
        .row("Levenshtein similarity", &value(|s| s.levenshtein))
        .row("100% accuracy", &value(|s| s.exact))
        .row("90% accuracy", &value(|s| s.partial_90))
        .row("75% accuracy", &value(|s| s.partial_75));
    report.tables.push(table);
    report.counts.push(("sequences".into(), items.len()));
}

fn doping_report(items: &[&Scored], schema: DopingSchema, lowercase: bool, report: &mut Report) {
    let mut pairs = Vec::with_capacity(items.len());
    for s in items {
        let Some(record) = &s.gold.record else {
            report
                .skipped
                .push(format!("{}: gold sentence without annotation", s.id));
            continue;
        };
        let lowered;
        let record = if lowercase {
            lowered = doping::lowercase_entities(record);
            &lowered
        } else {
            record
        };
        let raw = s.raw.clone().or_else(|| s.prediction.clone()).unwrap_or_default();
        let pred = match (&s.decoded, schema) {
            (Some(decoded), _) => DopingGraph::from_json(decoded),
            (None, DopingSchema::Json) => serde_json::from_str(&raw)
                .map(|v| DopingGraph::from_json(&v))
                .unwrap_or_default(),
            (None, _) => doping::decode_english(&raw),
        };
        pairs.push(DopingPair {
            gold: DopingGraph::from_json(record),
            gold_completion: doping::gold_completion(record, schema),
            pred,
            pred_completion: raw,
        });
    }
    let s = doping::score(&pairs, schema);
    let mut table = Table::new("entities (word level, micro)", &PRF);
    for (name, prf) in &s.categories {
        table.row(name, &prf_cells(prf));
    }
    table.row("link triplets", &prf_cells(&s.triplets));
    report.tables.push(table);
    report.tables.push(sequences_table(s.exact, s.jaro_winkler, s.parsable));
    report.counts.push(("sentences".into(), s.sequences));
}

/// Precision, recall and F1, or three missing cells.
fn prf_cells(prf: &Option<doping::Prf>) -> [Option<f64>; 3] {
    [prf.map(|p| p.precision), prf.map(|p| p.recall), prf.map(|p| p.f1)]
}

/// The whole-sequence measures both NERRE scorers print.
fn sequences_table(exact: Option<f64>, jaro_winkler: Option<f64>, parsable: Option<f64>) -> Table {
    let mut table = Table::new("sequences", &["value"]);
    table
        .row("exact match", &[exact])
        .row("Jaro-Winkler similarity", &[jaro_winkler])
        .row("parsable", &[parsable]);
    table
}

fn nerre_report(
    folds: &[Vec<Scored>],
    schema: nerre::NerreSchema,
    report: &mut Report,
) -> Result<(), nerre::GoldNotJson> {
    let samples: Vec<Vec<NerreSample>> = folds
        .iter()
        .map(|fold| {
            fold.iter()
                .map(|s| NerreSample {
                    prompt: s.gold.input.clone(),
                    completion: gold_text(s),
                    llm_completion: s.prediction.clone().unwrap_or_default(),
                })
                .collect()
        })
        .collect();
    let s = nerre::score_folds(&samples, schema)?;
    let mut entities = Table::new("entities (word level, mean over folds)", &PRF);
    for (name, prf) in &s.entities {
        entities.row(name, &prf_cells(prf));
    }
    report.tables.push(entities);
    let mut links = Table::new("links (mean over folds with links)", &PRF);
    for (name, prf) in &s.links {
        links.row(name, &prf_cells(prf));
    }
    report.tables.push(links);
    report.tables.push(sequences_table(s.exact, s.jaro_winkler, s.parsable));
    report
        .counts
        .extend([("folds".into(), s.folds), ("abstracts".into(), s.samples)]);
    Ok(())
}
