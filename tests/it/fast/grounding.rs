//! Grounding on real paragraphs from the papers' data (soft hyphens, U+2005 and thin spaces, °,
//! µ, Greek letters), and the span invariants on arbitrary text.

use crate::common;

use proptest::prelude::*;
use retort::extraction::{Alignment, Extraction, Field, Record, Value};
use retort::ground::{Grounder, ground};
use retort::input::read_examples;
use retort::task::Registry;

fn check_spans(extraction: &Extraction, source: &str) {
    for (_, value) in extraction.values() {
        if let Some(span) = &value.span {
            assert!(source.is_char_boundary(span.bytes.start) && source.is_char_boundary(span.bytes.end));
            let slice = &source[span.bytes.clone()];
            assert_eq!(slice.chars().count(), span.chars.len());
            assert_eq!(source[..span.bytes.start].chars().count(), span.chars.start);
        }
    }
}

/// Counts alignments over a whole file of the papers' data.
fn alignment_counts(task: &str, file: &str) -> (usize, usize, usize, usize) {
    let registry = Registry::builtin();
    let task = registry.get(task).unwrap();
    let (examples, _) = read_examples(&common::data(file), task).unwrap();
    let (mut total, mut exact, mut normalized, mut unaligned) = (0, 0, 0, 0);
    for example in examples {
        let extraction = task
            .parse_grounded(example.gold.as_deref().unwrap(), &example.input)
            .unwrap();
        check_spans(&extraction, &example.input);
        for (_, value) in extraction.values() {
            if value.text.trim().is_empty() || value.alignment == Alignment::NotApplicable {
                continue;
            }
            total += 1;
            match value.alignment {
                Alignment::Exact => exact += 1,
                Alignment::Normalized | Alignment::CaseInsensitive | Alignment::Fuzzy { .. } => normalized += 1,
                Alignment::Unaligned => unaligned += 1,
                _ => {}
            }
        }
    }
    println!("{file}: {total} values, {exact} exact, {normalized} normalised/fuzzy, {unaligned} unaligned");
    (total, exact, normalized, unaligned)
}

#[test]
fn nmr_gold_values_ground_in_their_paragraphs() {
    let (total, exact, normalized, unaligned) = alignment_counts("nmr", "chemsci2024/nmr/test_300.csv");
    assert!(total > 2000);
    assert!(exact as f64 / total as f64 > 0.9, "exact {exact}/{total}");
    assert!(
        normalized > 0,
        "the soft hyphens and odd spaces need the normalised pass"
    );
    assert!(
        (unaligned as f64) / (total as f64) < 0.03,
        "unaligned {unaligned}/{total}"
    );
}

#[test]
fn mof_gold_values_ground_in_their_paragraphs() {
    let (total, exact, _, unaligned) = alignment_counts("mof-synthesis", "chemsci2024/mof-synthesis/train_329.csv");
    assert!(total > 2000);
    assert!(exact as f64 / total as f64 > 0.85, "exact {exact}/{total}");
    assert!(
        (unaligned as f64) / (total as f64) < 0.08,
        "unaligned {unaligned}/{total}"
    );
}

#[test]
fn soft_hyphenated_name_grounds_normalised_with_a_valid_span() {
    // From the NMR test set: the paragraph has U+00AD inside the name, the gold name does not.
    let source = "A stirred solution of 3,5-bis\u{ad}(tri\u{ad}fluoro\u{ad}meth\u{ad}yl) aceto\u{ad}phenone (0.5 g) at 600\u{2005}MHz, 25 °C, 5 µL of α-pinene";
    let mut grounder = Grounder::new(source);
    let (range, alignment) = grounder.locate("3,5-bis(trifluoromethyl) acetophenone").unwrap();
    assert_eq!(alignment, Alignment::Normalized);
    assert!(source[range].starts_with("3,5-bis\u{ad}(tri"));
    assert_eq!(grounder.locate("600 MHz").unwrap().1, Alignment::Normalized);
    assert_eq!(grounder.locate("5 µL").unwrap().1, Alignment::Exact);
    assert_eq!(
        grounder.locate("5 μL").unwrap().1,
        Alignment::Normalized,
        "Greek mu vs micro sign"
    );
    assert_eq!(grounder.locate("palladium on carbon"), None);
}

#[test]
fn unaligned_values_are_marked_not_dropped() {
    let mut extraction = Extraction::from_records(vec![Record::new(vec![Field::texts(
        "compound",
        ["ethanol", "unobtainium"],
    )])]);
    ground(&mut extraction, "dissolved in ethanol", &|_| true);
    let values: Vec<&Value> = extraction.values().into_iter().map(|(_, v)| v).collect();
    assert_eq!(values.len(), 2);
    assert_eq!(values[0].alignment, Alignment::Exact);
    assert_eq!(values[1].alignment, Alignment::Unaligned);
    assert!(values[1].span.is_none());
}

proptest! {
    #[test]
    fn spans_always_slice_on_char_boundaries(
        source in "[a-zA-Z0-9 µ°α–\u{ad}\u{2005}éÅ()\\-]{0,80}",
        picks in prop::collection::vec((0usize..80, 1usize..12), 1..6),
        noise in "[a-zA-Zµ –\u{ad}]{0,3}",
    ) {
        let chars: Vec<char> = source.chars().collect();
        let mut texts = Vec::new();
        for (start, len) in picks {
            if chars.is_empty() { break; }
            let s = start % chars.len();
            let e = (s + len).min(chars.len());
            let piece: String = chars[s..e].iter().collect();
            texts.push(format!("{piece}{noise}"));
            texts.push(piece.to_uppercase());
        }
        let mut extraction = Extraction::from_records(vec![Record::new(vec![Field::texts("x", texts)])]);
        ground(&mut extraction, &source, &|_| true);
        check_spans(&extraction, &source);
    }
}
