//! The NERRE doping sentences, one statement per line, each ending in `.`:
//! `The host 'X' was doped with 'Y'.`, `The host 'X' was doped.`, `'Y' is a dopant.`,
//! `'Z' is a likely solid solution.`, `Modifiers of the doping are: 'a', 'b'.`, or
//! `There is no doping information.` Each statement is one record.

use super::FormatError;
use crate::extraction::{Extraction, Field, Record};

pub const HOST: &str = "host";
pub const DOPANT: &str = "dopant";
pub const RESULT: &str = "result";
pub const MODIFIERS: &str = "modifiers";
const NOTHING: &str = "There is no doping information.";

pub fn parse(text: &str) -> Result<Extraction, FormatError> {
    let mut records = Vec::new();
    let mut offset = 0;
    for line in text.split('\n') {
        let at = offset;
        offset += line.len() + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed == NOTHING {
            continue;
        }
        match parse_line(trimmed) {
            Some(record) => records.push(record),
            None => {
                return Err(FormatError::at(
                    text,
                    at + (line.len() - line.trim_start().len()),
                    unknown_line(trimmed),
                ));
            }
        }
    }
    Ok(Extraction::from_records(records))
}

fn unknown_line(line: &str) -> String {
    format!(
        "not a doping statement: {line:?} (expected e.g. \"The host 'X' was doped with 'Y'.\" or \"'Y' is a dopant.\")"
    )
}

fn parse_line(line: &str) -> Option<Record> {
    let body = line.strip_suffix('.')?;
    if let Some(rest) = body.strip_prefix("The host '") {
        if let Some((host, dopant)) = rest.split_once("' was doped with '") {
            let dopant = dopant.strip_suffix('\'')?;
            return Some(Record::new(vec![
                Field::texts(HOST, [host]),
                Field::texts(DOPANT, [dopant]),
            ]));
        }
        let host = rest.strip_suffix("' was doped")?;
        return Some(Record::new(vec![Field::texts(HOST, [host])]));
    }
    if let Some(list) = body.strip_prefix("Modifiers of the doping are: '") {
        let list = list.strip_suffix('\'')?;
        return Some(Record::new(vec![Field::texts(MODIFIERS, list.split("', '"))]));
    }
    let quoted = body.strip_prefix('\'')?;
    if let Some(dopant) = quoted.strip_suffix("' is a dopant") {
        return Some(Record::new(vec![Field::texts(DOPANT, [dopant])]));
    }
    let result = quoted.strip_suffix("' is a likely solid solution")?;
    Some(Record::new(vec![Field::texts(RESULT, [result])]))
}

pub fn render(extraction: &Extraction) -> String {
    let mut out = String::new();
    for record in &extraction.records {
        let hosts = record.texts(HOST);
        let dopants = record.texts(DOPANT);
        let line = match (hosts.first(), dopants.first()) {
            (Some(h), Some(d)) => format!("The host '{h}' was doped with '{d}'."),
            (Some(h), None) => format!("The host '{h}' was doped."),
            (None, Some(d)) => format!("'{d}' is a dopant."),
            (None, None) => {
                if let Some(r) = record.texts(RESULT).first() {
                    format!("'{r}' is a likely solid solution.")
                } else {
                    let modifiers = record.texts(MODIFIERS);
                    if modifiers.is_empty() {
                        continue;
                    }
                    let quoted: Vec<String> = modifiers.iter().map(|m| format!("'{m}'")).collect();
                    format!("Modifiers of the doping are: {}.", quoted.join(", "))
                }
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    if out.is_empty() {
        out = format!("{NOTHING}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_statement_kind() {
        let text = "The host 'ZnO' was doped with 'Al'.\nThe host 'TiO2' was doped.\n'Ga' is a dopant.\n'Zn1-xAlxO' is a likely solid solution.\nModifiers of the doping are: '1 %', 'p-type'.\n";
        let e = parse(text).unwrap();
        assert_eq!(e.records.len(), 5);
        assert_eq!(e.records[4].texts(MODIFIERS), vec!["1 %", "p-type"]);
        assert_eq!(render(&e), text);
        assert!(parse("There is no doping information.\n").unwrap().records.is_empty());
        assert_eq!(render(&Extraction::default()), "There is no doping information.\n");
    }

    #[test]
    fn apostrophes_inside_names_survive() {
        let e = parse("The host 'Mn'O' was doped with 'X'.\n").unwrap();
        assert_eq!(e.records[0].texts(HOST), vec!["Mn'O"]);
    }

    #[test]
    fn unknown_line_names_its_line() {
        let err = parse("The host 'A' was doped.\nSomething else.\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 1));
    }
}
