//! Inline role tags over the source sentence: `Reaction of <Reactants*A*Reactants> gave <Prod*B*Prod>`.
//!
//! The extraction has one record whose fields are the role names in order of first appearance;
//! each value's span points into the untagged text, kept as `annotated_text`.

use super::FormatError;
use crate::extraction::{Alignment, Extraction, Field, Record, Span, Value};

/// One tag found in the text: role, byte ranges of the whole tag and of its content.
struct Tag<'a> {
    role: &'a str,
    whole: std::ops::Range<usize>,
    content: std::ops::Range<usize>,
}

pub fn parse(text: &str) -> Result<Extraction, FormatError> {
    let tags = find_tags(text)?;
    let mut plain = String::with_capacity(text.len());
    let mut placed: Vec<(&str, std::ops::Range<usize>)> = Vec::new();
    let mut last = 0;
    for tag in &tags {
        plain.push_str(&text[last..tag.whole.start]);
        let start = plain.len();
        plain.push_str(&text[tag.content.clone()]);
        placed.push((tag.role, start..plain.len()));
        last = tag.whole.end;
    }
    plain.push_str(&text[last..]);

    let mut fields: Vec<Field> = Vec::new();
    for (role, bytes) in placed {
        let value = Value {
            text: plain[bytes.clone()].to_string(),
            span: Some(Span::from_bytes(&plain, bytes)),
            alignment: Alignment::Exact,
            confidence: None,
        };
        match fields.iter_mut().find(|f| f.name == role) {
            Some(Field {
                content: crate::extraction::FieldContent::Values(values),
                ..
            }) => values.push(value),
            _ => fields.push(Field::values(role, vec![value])),
        }
    }
    Ok(Extraction {
        records: vec![Record::new(fields)],
        annotated_text: Some(plain),
    })
}

/// The text without its tags (the content of each tag stays), or the error of the first bad tag.
pub fn strip_tags(text: &str) -> Result<String, FormatError> {
    parse(text).map(|e| e.annotated_text.unwrap_or_default())
}

fn find_tags(text: &str) -> Result<Vec<Tag<'_>>, FormatError> {
    let mut tags = Vec::new();
    let mut pos = 0;
    while let Some(offset) = text[pos..].find('<') {
        let open = pos + offset;
        let Some(role) = opening_role(&text[open + 1..]) else {
            pos = open + 1;
            continue;
        };
        let content_start = open + 1 + role.len() + 1;
        let close_marker = format!("*{role}>");
        let Some(close_offset) = text[content_start..].find(&close_marker) else {
            return Err(FormatError::at(
                text,
                open,
                format!("tag <{role}* is never closed by *{role}>"),
            ));
        };
        let content = content_start..content_start + close_offset;
        if let Some(inner) = text[content.clone()]
            .find('<')
            .filter(|i| opening_role(&text[content.start + i + 1..]).is_some())
        {
            return Err(FormatError::at(
                text,
                content.start + inner,
                format!("a tag inside <{role}*…*{role}>"),
            ));
        }
        let end = content.end + close_marker.len();
        tags.push(Tag {
            role,
            whole: open..end,
            content,
        });
        pos = end;
    }
    if let Some(stray) = stray_closing(text, &tags) {
        return Err(FormatError::at(text, stray, "closing tag without an opening tag"));
    }
    Ok(tags)
}

/// `Role` when `after_lt` starts with `Role*` (letters and underscores).
fn opening_role(after_lt: &str) -> Option<&str> {
    let len = after_lt
        .chars()
        .take_while(|c| c.is_ascii_alphabetic() || *c == '_')
        .count();
    (len > 0 && after_lt[len..].starts_with('*')).then(|| &after_lt[..len])
}

/// The offset of a `*Role>` that no tag consumed.
fn stray_closing(text: &str, tags: &[Tag]) -> Option<usize> {
    let mut search = 0;
    while let Some(offset) = text[search..].find('>') {
        let gt = search + offset;
        search = gt + 1;
        let before = &text[..gt];
        let role_len = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '_')
            .count();
        let star = gt - role_len;
        if role_len == 0 || star == 0 || !before[..star].ends_with('*') {
            continue;
        }
        if !tags.iter().any(|t| t.whole.contains(&gt)) {
            return Some(star - 1);
        }
    }
    None
}

pub fn render(extraction: &Extraction) -> String {
    let plain = extraction.annotated_text.clone().unwrap_or_default();
    let mut tags: Vec<(&str, std::ops::Range<usize>)> = extraction
        .values()
        .into_iter()
        .filter_map(|(role, v)| v.span.as_ref().map(|s| (role, s.bytes.clone())))
        .filter(|(_, bytes)| plain.get(bytes.clone()).is_some())
        .collect();
    tags.sort_by_key(|(_, bytes)| bytes.start);
    let mut out = String::with_capacity(plain.len() + tags.len() * 24);
    let mut last = 0;
    for (role, bytes) in tags {
        if bytes.start < last {
            continue;
        }
        out.push_str(&plain[last..bytes.start]);
        out.push_str(&format!("<{role}*{}*{role}>", &plain[bytes.clone()]));
        last = bytes.end;
    }
    out.push_str(&plain[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_roles_with_spans_and_round_trips() {
        let text = "Reaction of <Reactants*A*Reactants> with <Reactants*19A*Reactants> gave <Prod*µ-B*Prod> in <Yield*30 %*Yield> yield";
        let e = parse(text).unwrap();
        let plain = e.annotated_text.as_deref().unwrap();
        assert_eq!(plain, "Reaction of A with 19A gave µ-B in 30 % yield");
        assert_eq!(e.records[0].texts("Reactants"), vec!["A", "19A"]);
        let prod = &e.values()[2].1;
        assert_eq!(&plain[prod.span.clone().unwrap().bytes], "µ-B");
        assert_eq!(render(&e), text);
    }

    #[test]
    fn malformed_tags_are_errors_with_positions() {
        let err = parse("a <Prod*x*Yield> b").unwrap_err();
        assert_eq!(err.column, 3);
        assert!(parse("a <Prod*x <Yield*y*Yield>*Prod>").is_err());
        assert!(parse("a x*Prod> b").is_err());
        assert_eq!(
            parse("a < b and c > d").unwrap().annotated_text.as_deref(),
            Some("a < b and c > d")
        );
    }
}
