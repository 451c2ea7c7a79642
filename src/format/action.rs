//! Action sequences: `COLLECTLAYER organic; WASH with brine; CONCENTRATE.`
//!
//! Actions are separated by `; ` before an upper-case action name. Each action is a record with
//! the fields `action` (the name) and `details` (the rest, without the space after the name).

use super::FormatError;
use crate::extraction::{Extraction, Field, Record};

pub fn parse(text: &str) -> Result<Extraction, FormatError> {
    let mut records = Vec::new();
    for (start, segment) in segments(text) {
        let name_len = segment
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
            .count();
        if name_len == 0 {
            return Err(FormatError::at(
                text,
                start,
                "expected an action name in capitals (e.g. ADD, STIR)",
            ));
        }
        let (name, rest) = segment.split_at(name_len);
        let details = rest.strip_prefix(' ').unwrap_or(rest);
        let mut fields = vec![Field::texts("action", [name])];
        if !details.is_empty() {
            fields.push(Field::texts("details", [details]));
        }
        records.push(Record::new(fields));
    }
    Ok(Extraction::from_records(records))
}

/// The actions of `text` with their byte offsets.
fn segments(text: &str) -> Vec<(usize, &str)> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices("; ") {
        if i >= start && starts_with_action_name(&text[i + 2..]) {
            out.push((start, &text[start..i]));
            start = i + 2;
        }
    }
    out.push((start, &text[start..]));
    out
}

fn starts_with_action_name(rest: &str) -> bool {
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
        .collect();
    name.len() >= 2 && matches!(rest[name.len()..].chars().next(), None | Some(' ' | '.' | ';'))
}

pub fn render(extraction: &Extraction) -> String {
    let actions: Vec<String> = extraction
        .records
        .iter()
        .map(|record| {
            let name = record.texts("action").concat();
            let details = record.texts("details").concat();
            match details.chars().next() {
                None => name,
                Some('.') => format!("{name}{details}"),
                Some(_) => format!("{name} {details}"),
            }
        })
        .collect();
    actions.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_actions_not_details() {
        let text = "ADD water (5 mL; 2 portions); STIR for 1 h; CONCENTRATE.";
        let e = parse(text).unwrap();
        assert_eq!(e.records.len(), 3);
        assert_eq!(e.records[0].texts("details"), vec!["water (5 mL; 2 portions)"]);
        assert_eq!(e.records[2].texts("details"), vec!["."]);
        assert_eq!(render(&e), text);
    }

    #[test]
    fn lowercase_start_is_an_error_with_column() {
        assert_eq!(parse("ADD x; stir").unwrap().records.len(), 1);
        let err = parse(" ADD x").unwrap_err();
        assert_eq!((err.line, err.column), (1, 1));
        let err = parse("stir it").unwrap_err();
        assert!(err.message.contains("action name"));
    }
}
