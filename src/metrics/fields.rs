//! Per-field Levenshtein similarity and exact match (Paragraph2MOFInfo, Paragraph2NMR), with the
//! notebooks' CSV typing of cells (see `pandas_cell`).

use super::pandas_cell::{Cell, type_column};
use super::text::levenshtein_similarity;
use super::{mean, share};
use serde_json::Value as Json;

pub const MOF_FIELDS: [&str; 11] = [
    "compound name",
    "metal source",
    "metal amount",
    "linker",
    "linker amount",
    "modulator",
    "modulator amount or volume",
    "solvent",
    "solvent volume",
    "reaction temperature",
    "reaction time",
];

pub const NMR_FIELDS: [&str; 7] = [
    "IUPAC",
    "1H NMR text",
    "1H NMR conditions",
    "1H NMR data",
    "13C NMR text",
    "13C NMR conditions",
    "13C NMR data",
];

/// Reaction slots the MOF notebook reads from each answer.
const MOF_SLOTS: usize = 8;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldScores {
    /// (field, Levenshtein similarity, exact match) in the task's field order; no values when no
    /// row was scored.
    pub fields: Vec<(String, Option<f64>, Option<f64>)>,
    pub mean_levenshtein: Option<f64>,
    pub mean_exact: Option<f64>,
    /// Rows (reactions or records) scored.
    pub rows: usize,
}

/// A table of raw cells: one column per field.
pub type Columns = Vec<Vec<Option<String>>>;

/// Scores typed columns of equal length, field by field.
pub fn score_columns(names: &[&str], gold: &Columns, pred: &Columns) -> FieldScores {
    let mut fields = Vec::with_capacity(names.len());
    let mut rows = 0;
    for (i, name) in names.iter().enumerate() {
        let g = type_column(&gold[i]);
        let p = type_column(&pred[i]);
        fields.push(score_typed(name, &g, &p));
        rows = g.len();
    }
    finish(fields, rows)
}

fn score_typed(name: &str, gold: &[Cell], pred: &[Cell]) -> (String, Option<f64>, Option<f64>) {
    let n = gold.len().min(pred.len());
    let mut lev = 0.0;
    let mut exact = 0.0;
    for (g, p) in gold.iter().zip(pred) {
        lev += levenshtein_similarity(&g.to_python_str(), &p.to_python_str());
        exact += f64::from(u8::from(g.python_eq(p)));
    }
    (name.to_string(), share(lev, n as f64), share(exact, n as f64))
}

fn finish(fields: Vec<(String, Option<f64>, Option<f64>)>, rows: usize) -> FieldScores {
    let present = |values: Vec<Option<f64>>| values.into_iter().flatten().collect::<Vec<f64>>();
    let mean_levenshtein = mean(&present(fields.iter().map(|f| f.1).collect()));
    let mean_exact = mean(&present(fields.iter().map(|f| f.2).collect()));
    FieldScores {
        fields,
        mean_levenshtein,
        mean_exact,
        rows,
    }
}

/// Paragraph2MOFInfo: the i-th reaction of each answer is compared with the i-th gold reaction
/// (no matching), for slots 1–8; gold slots with every field empty are dropped.
pub fn score_mof(pairs: &[(String, String)]) -> FieldScores {
    let mut gold_rows: Vec<Vec<Cell>> = Vec::new();
    let mut pred_rows: Vec<Vec<Cell>> = Vec::new();
    for slot in 0..MOF_SLOTS {
        let gold_raw: Vec<Vec<Option<String>>> = pairs.iter().map(|(g, _)| mof_slot(g, slot)).collect();
        let pred_raw: Vec<Vec<Option<String>>> = pairs
            .iter()
            .map(|(_, p)| mof_slot(&p.replace('\n', ""), slot))
            .collect();
        let gold_typed = type_table(&gold_raw);
        let pred_typed = type_table(&pred_raw);
        for (row, g) in gold_typed.into_iter().enumerate() {
            if g.iter().all(|c| *c == Cell::Text("N/A".into())) {
                continue;
            }
            gold_rows.push(g);
            pred_rows.push(pred_typed[row].clone());
        }
    }
    let fields = MOF_FIELDS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let g: Vec<Cell> = gold_rows.iter().map(|r| r[i].clone()).collect();
            let p: Vec<Cell> = pred_rows.iter().map(|r| r[i].clone()).collect();
            score_typed(name, &g, &p)
        })
        .collect();
    finish(fields, gold_rows.len())
}

/// Types each column of a slot table (rows of 11 cells) and gives the rows back.
fn type_table(rows: &[Vec<Option<String>>]) -> Vec<Vec<Cell>> {
    let columns: Vec<Vec<Cell>> = (0..MOF_FIELDS.len())
        .map(|i| type_column(&rows.iter().map(|r| r[i].clone()).collect::<Vec<_>>()))
        .collect();
    (0..rows.len())
        .map(|row| columns.iter().map(|c| c[row].clone()).collect())
        .collect()
}

/// The 11 raw cells of reaction `slot` of an answer; all empty when the answer does not parse
/// or has fewer reactions.
fn mof_slot(answer: &str, slot: usize) -> Vec<Option<String>> {
    let reaction = match serde_json::from_str::<Json>(answer) {
        Ok(Json::Array(items)) => items.into_iter().nth(slot),
        Ok(object @ Json::Object(_)) if slot == 0 => Some(object),
        _ => None,
    };
    let Some(Json::Object(map)) = reaction else {
        return vec![None; MOF_FIELDS.len()];
    };
    MOF_FIELDS.iter().map(|k| map.get(*k).and_then(cell_text)).collect()
}

fn cell_text(value: &Json) -> Option<String> {
    match value {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The NMR fields of an answer in the fine-tuned JSON shape; unparsable answers give nothing.
pub fn nmr_cells(answer: &str) -> Vec<Option<String>> {
    match serde_json::from_str::<Json>(answer) {
        Ok(Json::Object(map)) => NMR_FIELDS.iter().map(|k| map.get(*k).and_then(cell_text)).collect(),
        _ => vec![None; NMR_FIELDS.len()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reaction(name: &str, linker: &str) -> String {
        let mut map = serde_json::Map::new();
        for f in MOF_FIELDS {
            map.insert(f.into(), Json::String("NaN".into()));
        }
        map.insert("compound name".into(), Json::String(name.into()));
        map.insert("linker".into(), Json::String(linker.into()));
        Json::Array(vec![Json::Object(map)]).to_string()
    }

    #[test]
    fn identical_answers_score_one_and_slots_are_positional() {
        let gold = reaction("MOF-5", "H2BDC");
        let s = score_mof(&[(gold.clone(), gold.clone())]);
        assert_eq!((s.mean_levenshtein, s.mean_exact, s.rows), (Some(1.0), Some(1.0), 1));
        let s = score_mof(&[(gold, reaction("MOF-5", "BDC"))]);
        let linker = s.fields.iter().find(|f| f.0 == "linker").unwrap();
        assert_eq!(linker.2, Some(0.0));
        assert!((linker.1.unwrap() - 0.6).abs() < 1e-12);
        assert!((s.mean_exact.unwrap() - 10.0 / 11.0).abs() < 1e-12);
    }

    #[test]
    fn unparsable_prediction_is_all_missing() {
        let gold = reaction("MOF-5", "H2BDC");
        let s = score_mof(&[(gold, "not json".into())]);
        // NaN fields match the missing prediction (both become N/A); the two filled ones do not.
        assert!((s.mean_exact.unwrap() - 9.0 / 11.0).abs() < 1e-12);
    }

    #[test]
    fn no_reaction_scored_is_no_score() {
        let s = score_mof(&[]);
        assert_eq!((s.mean_levenshtein, s.mean_exact, s.rows), (None, None, 0));
        assert!(s.fields.iter().all(|f| f.1.is_none() && f.2.is_none()));
    }
}
