//! Structured output in each backend's dialect, and the client-side check of every reply
//! against the task's JSON Schema (servers exist that accept a schema and ignore it).

use super::profile::Dialect;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

/// Adds the schema to a request body in the profile's dialect. Returns whether anything was sent.
pub fn apply(body: &mut Json, dialect: Dialect, task_name: &str, schema: &Json) -> bool {
    let Some(map) = body.as_object_mut() else { return false };
    match dialect {
        Dialect::Openai => {
            let name: String = task_name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            map.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": is_strict_compatible(schema)}}),
            );
        }
        Dialect::Vllm => {
            map.insert("structured_outputs".into(), json!({ "json": schema }));
        }
        Dialect::LlamaCpp => {
            map.insert("json_schema".into(), schema.clone());
        }
        Dialect::Ollama => {
            map.insert("format".into(), schema.clone());
        }
        Dialect::None => return false,
    }
    true
}

/// Adds a GBNF grammar (strict grounding's copy rule, with the schema inside it for JSON tasks)
/// in the profile's dialect, sent instead of the schema (llama.cpp's server refuses a request
/// with both): llama.cpp's `grammar`, vLLM's `structured_outputs: {grammar}` (xgrammar reads
/// GBNF). Returns whether the dialect can carry one; OpenAI's and Ollama's cannot.
pub fn apply_grammar(body: &mut Json, dialect: Dialect, grammar: String) -> bool {
    if !carries_grammar(dialect) {
        return false;
    }
    let Some(map) = body.as_object_mut() else { return false };
    match dialect {
        Dialect::LlamaCpp => {
            map.insert("grammar".into(), Json::String(grammar));
        }
        Dialect::Vllm => {
            map.insert("structured_outputs".into(), json!({ "grammar": grammar }));
        }
        Dialect::Openai | Dialect::Ollama | Dialect::None => return false,
    }
    true
}

/// Whether the dialect can carry a grammar (so that one is worth making).
pub fn carries_grammar(dialect: Dialect) -> bool {
    match dialect {
        Dialect::LlamaCpp | Dialect::Vllm => true,
        Dialect::Openai | Dialect::Ollama | Dialect::None => false,
    }
}

/// OpenAI's strict mode takes only closed objects; maps (`additionalProperties: {schema}`) are not.
fn is_strict_compatible(schema: &Json) -> bool {
    match schema {
        Json::Object(map) => {
            !map.get("additionalProperties").is_some_and(Json::is_object) && map.values().all(is_strict_compatible)
        }
        Json::Array(items) => items.iter().all(is_strict_compatible),
        _ => true,
    }
}

/// Whether a reply kept to the task's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "detail")]
pub enum Validation {
    /// The task has no schema.
    NotApplicable,
    /// Sent with a schema, and the reply is valid.
    Constrained,
    /// Sent without a schema; the reply happens to be valid.
    Unconstrained,
    /// The reply is not valid against the schema (whatever was sent): the first problem.
    Violated(String),
}

impl Validation {
    pub fn badge(&self) -> &'static str {
        match self {
            Validation::NotApplicable => "no schema",
            Validation::Constrained => "constrained",
            Validation::Unconstrained => "unconstrained",
            Validation::Violated(_) => "violated",
        }
    }
}

/// Validates `answer` (the reply's answer text) against `schema`.
pub fn validate(schema: Option<&Json>, answer: &str, schema_sent: bool) -> Validation {
    let Some(schema) = schema else {
        return Validation::NotApplicable;
    };
    let instance: Json = match serde_json::from_str(answer) {
        Ok(v) => v,
        Err(e) => return Validation::Violated(format!("not JSON: {e}")),
    };
    let validator = match jsonschema::validator_for(schema) {
        Ok(v) => v,
        Err(e) => return Validation::Violated(format!("the task's schema is invalid: {e}")),
    };
    if let Some(error) = validator.iter_errors(&instance).next() {
        let at = error.instance_path().to_string();
        let at = if at.is_empty() { "the top".to_string() } else { at };
        return Validation::Violated(format!("at {at}: {error}"));
    }
    if schema_sent {
        Validation::Constrained
    } else {
        Validation::Unconstrained
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grammar_goes_where_each_dialect_reads_it() {
        let mut body = json!({});
        assert!(apply_grammar(&mut body, Dialect::Vllm, "root ::= \"a\"".into()));
        assert_eq!(body, json!({"structured_outputs": {"grammar": "root ::= \"a\""}}));
        let mut body = json!({});
        assert!(apply_grammar(&mut body, Dialect::LlamaCpp, "root ::= \"a\"".into()));
        assert_eq!(body, json!({"grammar": "root ::= \"a\""}));
        for dialect in [Dialect::Openai, Dialect::Ollama, Dialect::None] {
            let mut body = json!({});
            assert!(!apply_grammar(&mut body, dialect, "root ::= \"a\"".into()));
            assert_eq!(body, json!({}));
        }
    }

    #[test]
    fn each_dialect_puts_the_schema_where_its_server_reads_it() {
        let schema = json!({"type": "object"});
        let cases = [
            (Dialect::Openai, "/response_format/json_schema/schema"),
            (Dialect::Vllm, "/structured_outputs/json"),
            (Dialect::LlamaCpp, "/json_schema"),
            (Dialect::Ollama, "/format"),
        ];
        for (dialect, pointer) in cases {
            let mut body = json!({"model": "m"});
            assert!(apply(&mut body, dialect, "nmr", &schema));
            assert_eq!(body.pointer(pointer), Some(&schema), "{dialect:?}");
        }
        let mut body = json!({});
        assert!(!apply(&mut body, Dialect::None, "nmr", &schema));
        assert_eq!(body, json!({}));
    }

    #[test]
    fn strict_only_for_closed_objects() {
        let mut body = json!({});
        apply(
            &mut body,
            Dialect::Openai,
            "doping-json",
            &json!({"type": "object", "additionalProperties": {"type": "string"}}),
        );
        assert_eq!(body.pointer("/response_format/json_schema/strict"), Some(&json!(false)));
        assert_eq!(
            body.pointer("/response_format/json_schema/name"),
            Some(&json!("doping_json"))
        );
    }

    #[test]
    fn validation_statuses() {
        let schema = json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}});
        assert_eq!(validate(Some(&schema), r#"{"a": "x"}"#, true), Validation::Constrained);
        assert_eq!(
            validate(Some(&schema), r#"{"a": "x"}"#, false),
            Validation::Unconstrained
        );
        assert!(matches!(validate(Some(&schema), r#"{"a": 1}"#, true), Validation::Violated(m) if m.contains("/a")));
        assert!(matches!(validate(Some(&schema), "nope", true), Validation::Violated(m) if m.starts_with("not JSON")));
        assert_eq!(validate(None, "anything", false), Validation::NotApplicable);
    }
}
