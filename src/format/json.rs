//! JSON answers: objects are records, keys are fields. A string becomes one value, or several
//! when the task's field has a separator (`"Na2pzdc | pyz"`); the task's `missing` text (`NaN`)
//! means no value; lists of strings become values, objects and lists of objects nested records.

use super::json_style::{self, JsonStyle};
use super::{FieldSpec, FormatError, JsonTop};
use crate::extraction::{Extraction, Field, FieldContent, Record, Value};
use serde_json::{Map, Value as Json};

pub fn parse(text: &str, specs: &[FieldSpec], top: JsonTop) -> Result<Extraction, FormatError> {
    let json: Json = serde_json::from_str(text).map_err(|e| syntax_error(&e))?;
    let records = match (json, top) {
        (Json::Array(items), JsonTop::List | JsonTop::Any) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Json::Object(map) => object_to_record(map, specs, text),
                _ => Err(FormatError::at(
                    text,
                    0,
                    format!("item {} of the list is not an object", i + 1),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        (Json::Object(map), JsonTop::Object | JsonTop::Any) => {
            vec![object_to_record(map, specs, text)?]
        }
        (_, JsonTop::List) => {
            return Err(FormatError::at(text, 0, "expected a JSON list of objects"));
        }
        (_, _) => return Err(FormatError::at(text, 0, "expected a JSON object")),
    };
    Ok(Extraction::from_records(records))
}

fn syntax_error(e: &serde_json::Error) -> FormatError {
    let (line, column) = (e.line().max(1), e.column().max(1));
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line")
        .map_or(message.clone(), |(m, _)| m.to_string());
    FormatError {
        line,
        column,
        message: format!("invalid JSON: {message}"),
    }
}

fn object_to_record(map: Map<String, Json>, specs: &[FieldSpec], text: &str) -> Result<Record, FormatError> {
    let mut fields = Vec::with_capacity(map.len());
    for (key, value) in map {
        let spec = specs.iter().find(|s| s.name == key);
        fields.push(json_to_field(key, value, spec, specs, text)?);
    }
    Ok(Record::new(fields))
}

fn json_to_field(
    name: String,
    value: Json,
    spec: Option<&FieldSpec>,
    specs: &[FieldSpec],
    text: &str,
) -> Result<Field, FormatError> {
    let (content, list) = match value {
        Json::String(s) => (FieldContent::Values(split_string(&s, spec)), false),
        Json::Null => (FieldContent::Values(Vec::new()), false),
        Json::Number(n) => (FieldContent::Values(vec![Value::new(n.to_string())]), false),
        Json::Bool(b) => (FieldContent::Values(vec![Value::new(b.to_string())]), false),
        Json::Object(map) => (FieldContent::Records(vec![object_to_record(map, specs, text)?]), false),
        Json::Array(items) if items.iter().all(Json::is_object) && !items.is_empty() => {
            let records = items
                .into_iter()
                .filter_map(|i| match i {
                    Json::Object(map) => Some(object_to_record(map, specs, text)),
                    _ => None,
                })
                .collect::<Result<Vec<_>, _>>()?;
            (FieldContent::Records(records), true)
        }
        Json::Array(items) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Json::String(s) => values.push(Value::new(s)),
                    Json::Number(n) => values.push(Value::new(n.to_string())),
                    other => {
                        let at = text.find(&format!("\"{name}\"")).unwrap_or(0);
                        return Err(FormatError::at(
                            text,
                            at,
                            format!("field {name:?}: expected a list of strings, found {other}"),
                        ));
                    }
                }
            }
            (FieldContent::Values(values), true)
        }
    };
    Ok(Field { name, content, list })
}

fn split_string(s: &str, spec: Option<&FieldSpec>) -> Vec<Value> {
    let missing = spec.and_then(|f| f.missing.as_deref()).unwrap_or("");
    if s == missing || (s.is_empty() && spec.is_some_and(|f| f.separator.is_some())) {
        return Vec::new();
    }
    match spec.and_then(|f| f.separator.as_deref()) {
        Some(sep) if !sep.is_empty() => s.split(sep).map(Value::new).collect(),
        _ => vec![Value::new(s)],
    }
}

pub fn render(
    extraction: &Extraction,
    specs: &[FieldSpec],
    style: JsonStyle,
    ensure_ascii: bool,
    top: JsonTop,
) -> String {
    let objects: Vec<Json> = extraction.records.iter().map(|r| record_to_json(r, specs)).collect();
    let json = match top {
        JsonTop::Object => objects.into_iter().next().unwrap_or_else(|| Json::Object(Map::new())),
        JsonTop::List => Json::Array(objects),
        JsonTop::Any if objects.len() == 1 => objects.into_iter().next().unwrap_or_default(),
        JsonTop::Any => Json::Array(objects),
    };
    json_style::write(&json, style, ensure_ascii)
}

fn record_to_json(record: &Record, specs: &[FieldSpec]) -> Json {
    let mut map = Map::new();
    for field in &record.fields {
        let spec = specs.iter().find(|s| s.name == field.name);
        map.insert(field.name.clone(), field_to_json(field, spec, specs));
    }
    Json::Object(map)
}

fn field_to_json(field: &Field, spec: Option<&FieldSpec>, specs: &[FieldSpec]) -> Json {
    match &field.content {
        FieldContent::Records(records) if field.list => {
            Json::Array(records.iter().map(|r| record_to_json(r, specs)).collect())
        }
        FieldContent::Records(records) => records.first().map_or(Json::Null, |r| record_to_json(r, specs)),
        FieldContent::Values(values) if field.list => {
            Json::Array(values.iter().map(|v| Json::String(v.text.clone())).collect())
        }
        FieldContent::Values(values) if values.is_empty() => {
            Json::String(spec.and_then(|f| f.missing.clone()).unwrap_or_default())
        }
        FieldContent::Values(values) => {
            let separator = spec.and_then(|f| f.separator.as_deref()).unwrap_or(" | ");
            let texts: Vec<&str> = values.iter().map(|v| v.text.as_str()).collect();
            Json::String(texts.join(separator))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, separator: Option<&str>, missing: Option<&str>) -> FieldSpec {
        FieldSpec {
            name: name.into(),
            color: "red".into(),
            verbatim: true,
            separator: separator.map(Into::into),
            missing: missing.map(Into::into),
            repeats: false,
            list: false,
            description: String::new(),
        }
    }

    #[test]
    fn separators_and_missing_values() {
        let specs = [
            spec("linker", Some(" | "), Some("NaN")),
            spec("modulator", Some(" | "), Some("NaN")),
        ];
        let text = r#"[{"linker": "Na2pzdc | pyz", "modulator": "NaN"}]"#;
        let e = parse(text, &specs, JsonTop::List).unwrap();
        assert_eq!(e.records[0].texts("linker"), vec!["Na2pzdc", "pyz"]);
        assert!(e.records[0].texts("modulator").is_empty());
        assert_eq!(render(&e, &specs, JsonStyle::Python, false, JsonTop::List), text);
    }

    #[test]
    fn errors_carry_positions() {
        let err = parse("[{\"a\": \"b\",\n \"c\": }]", &[], JsonTop::List).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.starts_with("invalid JSON"));
        assert!(parse("\"just a string\"", &[], JsonTop::Any).is_err());
        assert!(parse("[1, 2]", &[], JsonTop::List).is_err());
    }
}
