//! Per-field comparison of two extractions (two runs, or a run against gold).

use super::{Extraction, Field, Record};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldDiff {
    Same,
    OnlyLeft,
    OnlyRight,
    Changed,
}

/// The comparison of one field of one record position.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordDiff {
    pub record: usize,
    pub field: String,
    pub status: FieldDiff,
    pub left: Vec<String>,
    pub right: Vec<String>,
}

/// Compares records by position and fields by name, in the left side's field order followed by
/// fields only the right side has. A field with no values counts as absent.
pub fn diff(left: &Extraction, right: &Extraction) -> Vec<RecordDiff> {
    let empty = Record::default();
    let count = left.records.len().max(right.records.len());
    let mut out = Vec::new();
    for index in 0..count {
        let l = left.records.get(index).unwrap_or(&empty);
        let r = right.records.get(index).unwrap_or(&empty);
        for name in field_names(l, r) {
            let left_texts = texts_of(l.field(&name));
            let right_texts = texts_of(r.field(&name));
            let status = match (left_texts.is_empty(), right_texts.is_empty()) {
                (true, true) => continue,
                (false, true) => FieldDiff::OnlyLeft,
                (true, false) => FieldDiff::OnlyRight,
                _ if left_texts == right_texts => FieldDiff::Same,
                _ => FieldDiff::Changed,
            };
            out.push(RecordDiff {
                record: index,
                field: name,
                status,
                left: left_texts,
                right: right_texts,
            });
        }
    }
    out
}

fn field_names(left: &Record, right: &Record) -> Vec<String> {
    let mut names: Vec<String> = left.fields.iter().map(|f| f.name.clone()).collect();
    for field in &right.fields {
        if !names.contains(&field.name) {
            names.push(field.name.clone());
        }
    }
    names
}

fn texts_of(field: Option<&Field>) -> Vec<String> {
    let Some(field) = field else {
        return Vec::new();
    };
    match &field.content {
        super::FieldContent::Values(values) => values.iter().map(|v| v.text.clone()).collect(),
        super::FieldContent::Records(records) => records
            .iter()
            .map(|r| serde_json::to_string(&record_texts(r)).unwrap_or_default())
            .collect(),
    }
}

fn record_texts(record: &Record) -> Vec<(String, Vec<String>)> {
    record
        .fields
        .iter()
        .map(|f| (f.name.clone(), texts_of(Some(f))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(fields: Vec<Field>) -> Extraction {
        Extraction::from_records(vec![Record::new(fields)])
    }

    #[test]
    fn classifies_each_field() {
        let left = one(vec![
            Field::texts("a", ["x"]),
            Field::texts("b", ["y"]),
            Field::texts("c", ["z"]),
        ]);
        let right = one(vec![
            Field::texts("a", ["x"]),
            Field::texts("c", ["w"]),
            Field::texts("d", ["v"]),
        ]);
        let statuses: Vec<_> = diff(&left, &right).into_iter().map(|d| (d.field, d.status)).collect();
        assert_eq!(
            statuses,
            vec![
                ("a".into(), FieldDiff::Same),
                ("b".into(), FieldDiff::OnlyLeft),
                ("c".into(), FieldDiff::Changed),
                ("d".into(), FieldDiff::OnlyRight),
            ]
        );
    }

    #[test]
    fn extra_records_are_one_sided() {
        let left = one(vec![Field::texts("a", ["x"])]);
        let mut right = left.clone();
        right.records.push(Record::new(vec![Field::texts("a", ["q"])]));
        let diffs = diff(&left, &right);
        assert_eq!(diffs.len(), 2);
        assert_eq!(diffs[1].record, 1);
        assert_eq!(diffs[1].status, FieldDiff::OnlyRight);
    }
}
