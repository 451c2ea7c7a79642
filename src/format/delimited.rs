//! `a | b | c`: values in order of appearance joined by a separator.

use crate::extraction::{Extraction, Field, Record};

pub fn parse(text: &str, separator: &str, field: &str) -> Extraction {
    let values: Vec<&str> = if text.is_empty() || separator.is_empty() {
        if text.is_empty() { Vec::new() } else { vec![text] }
    } else {
        text.split(separator).collect()
    };
    Extraction::from_records(vec![Record::new(vec![Field::texts(field, values)])])
}

pub fn render(extraction: &Extraction, separator: &str) -> String {
    let texts: Vec<&str> = extraction.values().into_iter().map(|(_, v)| v.text.as_str()).collect();
    texts.join(separator)
}
