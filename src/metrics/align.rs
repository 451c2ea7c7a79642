//! Two extractions aligned value by value, as the measures pair them: records paired on shared
//! values (`generic::pair_records`), and within a field each value of one side matched to an equal
//! value of the other (a multiset match, order free, as the entity measures count a true
//! positive). The rows keep both sides' order: a value found on both sides is one row, the others
//! stand where they came, and a value left alone beside a near spelling of it on the other side
//! (one holds the other, or they differ only in case) shares its row, marked changed.

use crate::extraction::{Extraction, Field, FieldContent, Record};

/// How a row's values stand: on both sides, on one only, or a near spelling on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueDiff {
    Same,
    OnlyLeft,
    OnlyRight,
    Changed,
}

/// One row of the comparison: a value on one side, the other, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlignedValue {
    /// The record's position on the left side, or on the right when only the right has it.
    pub record: usize,
    pub field: String,
    pub status: ValueDiff,
    pub left: Option<String>,
    pub right: Option<String>,
}

/// Every value of both sides, one row each (two when alone), in record and field order.
pub fn align(left: &Extraction, right: &Extraction) -> Vec<AlignedValue> {
    let empty = Record::default();
    let mut rows = Vec::new();
    for (l, r) in super::generic::pair_records(&left.records, &right.records) {
        let record = l.or(r).unwrap_or(0);
        let left_record = l.map_or(&empty, |i| &left.records[i]);
        let right_record = r.map_or(&empty, |i| &right.records[i]);
        for name in super::generic::names(left_record, right_record) {
            let pairs = align_values(&texts(left_record.field(&name)), &texts(right_record.field(&name)));
            rows.extend(pairs.into_iter().map(|(status, left, right)| AlignedValue {
                record,
                field: name.clone(),
                status,
                left,
                right,
            }));
        }
    }
    rows
}

type Pair = (ValueDiff, Option<String>, Option<String>);

/// The values of one field on both sides, paired (see the module's comment).
pub fn align_values(left: &[String], right: &[String]) -> Vec<Pair> {
    let mut partner: Vec<Option<usize>> = vec![None; left.len()];
    let mut taken = vec![false; right.len()];
    for (i, value) in left.iter().enumerate() {
        if let Some(j) = (0..right.len()).find(|&j| !taken[j] && right[j] == *value) {
            partner[i] = Some(j);
            taken[j] = true;
        }
    }
    let mut rows = Vec::new();
    let mut alone_left: Vec<&String> = Vec::new();
    let mut next_right = 0;
    for (i, value) in left.iter().enumerate() {
        match partner[i] {
            Some(j) => {
                let alone_right = unmatched(right, &taken, &mut next_right, j);
                flush_gap(&mut rows, &mut alone_left, alone_right);
                rows.push((ValueDiff::Same, Some(value.clone()), Some(right[j].clone())));
            }
            None => alone_left.push(value),
        }
    }
    let alone_right = unmatched(right, &taken, &mut next_right, right.len());
    flush_gap(&mut rows, &mut alone_left, alone_right);
    rows
}

/// The right side's unmatched values from `next` up to (not including) `until`.
fn unmatched<'a>(right: &'a [String], taken: &[bool], next: &mut usize, until: usize) -> Vec<&'a String> {
    let from = *next;
    *next = until.max(from);
    (from..*next).filter(|&j| !taken[j]).map(|j| &right[j]).collect()
}

/// The values alone between two shared ones: each left value beside its first near spelling on
/// the right (changed), else alone; then the right's values no left one took.
fn flush_gap(rows: &mut Vec<Pair>, alone_left: &mut Vec<&String>, mut alone_right: Vec<&String>) {
    for value in alone_left.drain(..) {
        match alone_right.iter().position(|r| near(value, r)) {
            Some(at) => {
                let partner = alone_right.remove(at);
                rows.push((ValueDiff::Changed, Some(value.clone()), Some(partner.clone())));
            }
            None => rows.push((ValueDiff::OnlyLeft, Some(value.clone()), None)),
        }
    }
    rows.extend(
        alone_right
            .into_iter()
            .map(|r| (ValueDiff::OnlyRight, None, Some(r.clone()))),
    );
}

/// Two spellings of one thing, as a reader would pair them: equal but for case and spacing, or
/// one (of at least three characters) inside the other.
fn near(a: &str, b: &str) -> bool {
    let (a, b) = (
        crate::ground::normalize(a).to_lowercase(),
        crate::ground::normalize(b).to_lowercase(),
    );
    let shorter = if a.chars().count() <= b.chars().count() { &a } else { &b };
    a == b || (shorter.chars().count() >= 3 && (a.contains(b.as_str()) || b.contains(a.as_str())))
}

/// A field's values as text; a nested record is one value, its fields written out.
fn texts(field: Option<&Field>) -> Vec<String> {
    let Some(field) = field else { return Vec::new() };
    match &field.content {
        FieldContent::Values(values) => values.iter().map(|v| v.text.clone()).collect(),
        FieldContent::Records(records) => records.iter().map(record_text).collect(),
    }
}

fn record_text(record: &Record) -> String {
    let parts: Vec<String> = record
        .fields
        .iter()
        .map(|f| match &f.content {
            FieldContent::Values(values) => {
                let texts: Vec<&str> = values.iter().map(|v| v.text.as_str()).collect();
                format!("{}: {}", f.name, texts.join(", "))
            }
            FieldContent::Records(records) => format!("{}: {} record(s)", f.name, records.len()),
        })
        .collect();
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    fn marks(left: &[&str], right: &[&str]) -> Vec<String> {
        align_values(&strings(left), &strings(right))
            .into_iter()
            .map(|(status, l, r)| {
                let mark = match status {
                    ValueDiff::Same => "=",
                    ValueDiff::OnlyLeft => "<",
                    ValueDiff::OnlyRight => ">",
                    ValueDiff::Changed => "~",
                };
                format!("{mark} {} | {}", l.unwrap_or_default(), r.unwrap_or_default())
            })
            .collect()
    }

    #[test]
    fn shared_values_pair_and_the_rest_stand_in_order() {
        assert_eq!(
            marks(
                &["NaH", "THF", "benzyl bromide", "water"],
                &["NaH", "DMF", "benzyl bromide", "water"]
            ),
            [
                "= NaH | NaH",
                "< THF | ",
                ">  | DMF",
                "= benzyl bromide | benzyl bromide",
                "= water | water"
            ]
        );
    }

    #[test]
    fn order_does_not_hide_a_match() {
        assert_eq!(marks(&["a1", "b2"], &["b2", "a1"]), ["= a1 | a1", "= b2 | b2"]);
    }

    #[test]
    fn a_near_spelling_shares_the_row() {
        assert_eq!(
            marks(&["ethyl acetate", "hexane"], &["Ethyl acetate/hexane"]),
            ["~ ethyl acetate | Ethyl acetate/hexane", "< hexane | "]
        );
        assert_eq!(marks(&["Pd"], &["NaH"]), ["< Pd | ", ">  | NaH"]);
    }

    #[test]
    fn duplicates_count_once_each_side() {
        assert_eq!(marks(&["x1", "x1"], &["x1"]), ["= x1 | x1", "< x1 | "]);
    }

    #[test]
    fn every_value_appears_exactly_once() {
        let left = strings(&["a", "bb", "ccc", "bb", "dd"]);
        let right = strings(&["ccc", "e", "bb", "a", "a", "ddd"]);
        let rows = align_values(&left, &right);
        let lefts: Vec<String> = rows.iter().filter_map(|r| r.1.clone()).collect();
        let rights: Vec<String> = rows.iter().filter_map(|r| r.2.clone()).collect();
        assert_eq!(lefts, left, "the left side keeps its order");
        let mut sorted_right = rights.clone();
        sorted_right.sort();
        let mut expected = right.clone();
        expected.sort();
        assert_eq!(sorted_right, expected);
    }
}
