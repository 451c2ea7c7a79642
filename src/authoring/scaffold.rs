//! A new task file from its fields: JSON answers (one object, or a list of records) or a
//! delimited list, a JSON Schema derived from the fields, an instruction, few-shot and
//! fine-tuned templates, a colour per field. The text loads as a task as it is.

use crate::dataset::table;
use crate::input::InputKind;
use serde_json::{Value as Json, json};
use std::path::Path;

const COLOURS: [&str; 8] = [
    "cyan",
    "magenta",
    "yellow",
    "green",
    "lightblue",
    "red",
    "lightcyan",
    "lightmagenta",
];

/// A field of a new task: its name and whether it holds a list of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewField {
    pub name: String,
    pub list: bool,
}

/// Why a new task cannot be written as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{text:?}: the kind after ':' is `list`, not {kind:?}")]
    FieldKind { text: String, kind: String },
    #[error("{0:?}: a field needs a name without quotes")]
    FieldName(String),
    #[error("a task needs at least one --field")]
    NoField,
    #[error("a delimited answer is one field's list of values: give one --field, without --records")]
    DelimitedShape,
}

/// Parses `NAME` or `NAME:list`.
pub fn parse_field(text: &str) -> Result<NewField, ScaffoldError> {
    let (name, kind) = text.split_once(':').unwrap_or((text, ""));
    let list = match kind {
        "" => false,
        "list" => true,
        other => {
            return Err(ScaffoldError::FieldKind {
                text: text.to_string(),
                kind: other.to_string(),
            });
        }
    };
    if name.trim().is_empty() || name.contains('"') {
        return Err(ScaffoldError::FieldName(text.to_string()));
    }
    Ok(NewField {
        name: name.trim().to_string(),
        list,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NewFormat {
    /// JSON: an object (or with --records a list of objects) with a key per field.
    Json,
    /// One field's values on one line, separated by " | ".
    Delimited,
}

/// What to write.
pub struct NewTask {
    pub name: String,
    pub fields: Vec<NewField>,
    /// The answer is a list of records (JSON only).
    pub records: bool,
    pub format: NewFormat,
}

/// The fields (and whether answers are lists of records) of a JSONL or CSV file of gold
/// answers: JSONL `{"answer": …}` lines (an object, a list of objects, or that as a string);
/// CSV columns other than `id` and `text`.
pub fn fields_from(path: &Path) -> Result<(Vec<NewField>, bool), String> {
    let mut fields: Vec<NewField> = Vec::new();
    let mut records = false;
    let mut add = |name: &str, list: bool| match fields.iter_mut().find(|f| f.name == name) {
        Some(field) => field.list |= list,
        None => fields.push(NewField {
            name: name.to_string(),
            list,
        }),
    };
    match crate::input::kind_of(path).map_err(|e| e.to_string())? {
        kind @ (InputKind::Directory | InputKind::Json | InputKind::Paper(_) | InputKind::Unsupported(_)) => {
            return Err(format!(
                "{}: this is {}, not examples; expected JSONL with \"answer\" objects, or a CSV",
                path.display(),
                kind.describe()
            ));
        }
        InputKind::Csv => {
            let (csv, _) = table::read_csv(path).map_err(|e| e.to_string())?;
            for column in csv.columns.iter().filter(|c| !["id", "text"].contains(&c.as_str())) {
                add(column, false);
            }
        }
        // Text is read as JSON lines too, so that a bad line is named with its number.
        InputKind::Lines(_) | InputKind::Text => {
            let (rows, _) = table::read_jsonl(path).map_err(|e| e.to_string())?;
            for (_, row) in rows {
                let answer = match row.get("answer") {
                    Some(Json::String(s)) => serde_json::from_str(s).unwrap_or(Json::Null),
                    Some(other) => other.clone(),
                    None => continue,
                };
                let objects: Vec<&Json> = match &answer {
                    Json::Array(items) => {
                        records = true;
                        items.iter().collect()
                    }
                    other => vec![other],
                };
                for object in objects.into_iter().filter_map(Json::as_object) {
                    for (key, value) in object {
                        add(key, value.is_array());
                    }
                }
            }
        }
    }
    if fields.is_empty() {
        return Err(format!(
            "{}: no fields found (expected JSONL with \"answer\" objects, or a CSV)",
            path.display()
        ));
    }
    Ok((fields, records))
}

/// The task file's text.
pub fn write(spec: &NewTask) -> Result<String, ScaffoldError> {
    if spec.fields.is_empty() {
        return Err(ScaffoldError::NoField);
    }
    if spec.format == NewFormat::Delimited && (spec.fields.len() != 1 || spec.records) {
        return Err(ScaffoldError::DelimitedShape);
    }
    let title = spec.name.replace(['-', '_'], " ");
    let names: Vec<&str> = spec.fields.iter().map(|f| f.name.as_str()).collect();
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = format!(
        "# A Retort task (check it with `retort tasks check FILE`). The answer's shape is the fields below.\n\
         name = {}\ntitle = {}\nsource = \"user\"\ndescription = {}\n",
        quote(&spec.name),
        quote(&title),
        quote(&format!("{title}: {} from a paragraph.", names.join(", "))),
    );
    match spec.format {
        NewFormat::Delimited => out.push_str("format = { kind = \"delimited\", separator = \" | \" }\n"),
        NewFormat::Json => {
            let top = if spec.records { "list" } else { "object" };
            out.push_str(&format!(
                "format = {{ kind = \"json\", style = \"python\", ensure_ascii = false, top = \"{top}\" }}\n"
            ));
            out.push_str(&format!("schema = '''\n{}\n'''\n", schema(spec)));
        }
    }
    for (i, field) in spec.fields.iter().enumerate() {
        out.push_str(&format!(
            "\n[[field]]\nname = {}\ncolor = \"{}\"\nlist = {}\ndescription = {}\n",
            quote(&field.name),
            COLOURS[i % COLOURS.len()],
            field.list,
            quote(&format!("The {} as written in the paragraph.", field.name))
        ));
    }
    out.push_str(&format!(
        "\n[prompt]\ninstruction = '''\n{}'''\n\n[prompt.fine_tuned]\nstyle = \"chat\"\nsystem = {}\nuser = \"{{input}}\"\n",
        instruction(spec),
        quote(&format!("Extract {title} from the paragraph.")),
    ));
    Ok(out)
}

fn schema(spec: &NewTask) -> String {
    let properties: serde_json::Map<String, Json> = spec
        .fields
        .iter()
        .map(|f| {
            let kind = if f.list {
                json!({"type": "array", "items": {"type": "string"}})
            } else {
                json!({"type": "string"})
            };
            (f.name.clone(), kind)
        })
        .collect();
    let object = json!({
        "type": "object",
        "properties": properties,
        "required": spec.fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
        "additionalProperties": false,
    });
    let schema = if spec.records {
        json!({"type": "array", "items": object})
    } else {
        object
    };
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

fn instruction(spec: &NewTask) -> String {
    let fields: Vec<String> = spec
        .fields
        .iter()
        .map(|f| {
            let kind = if f.list { "a list of strings" } else { "a string" };
            format!("- {} ({kind})", f.name)
        })
        .collect();
    match spec.format {
        NewFormat::Delimited => format!(
            "List every {} in the paragraph, in order of appearance, copied exactly as written.\n\
             Separate them with \" | \" (space, vertical bar, space) and write nothing else.\n",
            spec.fields[0].name
        ),
        NewFormat::Json => format!(
            "Extract from the paragraph, copying values exactly as written:\n{}\n\
             Answer with JSON only: {}, with these keys. Use \"\" (or []) when the paragraph does not say.\n",
            fields.join("\n"),
            if spec.records {
                "a list with one object per record (reaction, sample, entry)"
            } else {
                "one object"
            }
        ),
    }
}
