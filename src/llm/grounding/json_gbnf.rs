//! A JSON task's schema and its copy rule as one llama.cpp grammar (GBNF), for servers that take
//! a grammar (llama.cpp, vLLM): the schema's structure, with each string of a verbatim field
//! written only as a copy of the paragraph (pieces joined by the field's separator, or its
//! missing text). Which strings are held follows the embedded engine's rule (`answer`): a key
//! of the task's fields sets the rule below it, other keys inherit it, anything under a
//! free-text field is free.
//!
//! Written for the schemas tasks use: objects with properties (required ones first, in their
//! order, then the optional ones, as llama.cpp orders them) or with `additionalProperties` (a
//! map), arrays with `minItems`/`maxItems`, strings, numbers, integers, booleans, null, `enum`
//! and `const`. Anything else (`$ref`, `anyOf`, patterns…) gives no grammar, and the schema
//! goes alone as before. The schema is walked with a work list, not recursion, and no deeper
//! than [`DEEPEST`].

use super::answer::FieldRules;
use super::gbnf::{Writing, json_escaped, literal, write_states};
use super::index::SourceIndex;
use crate::task::CopyWhitespace;
use serde_json::{Map, Value as Json};
use std::fmt::Write;

/// Schemas nested deeper than this get no grammar.
const DEEPEST: usize = 16;
/// Whitespace between JSON tokens, bounded so that a model cannot loop in it.
const SPACE: &str = "ws ::= [ \\t\\n]{0,24}";
const STRING: &str = r#"jstr ::= "\"" ([^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}))* "\"" ws"#;

/// What the strings at a place of the answer are held to.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// Keys are looked up in the task's fields; strings are free.
    Keys,
    /// Under a verbatim field: strings are copies (the field's index).
    Copy(usize),
    /// Under a free-text field: nothing is held.
    Free,
}

struct Node<'a> {
    name: String,
    schema: &'a Json,
    place: Place,
    depth: usize,
}

/// The grammar for `schema` with the strings of verbatim `fields` held to copies of `source`.
pub fn grammar(schema: &Json, fields: &[FieldRules], source: &str, whitespace: CopyWhitespace) -> Option<String> {
    let mut out = String::from("root ::= ws n0\n");
    let mut work = vec![Node {
        name: "n0".into(),
        schema,
        place: Place::Keys,
        depth: 0,
    }];
    let mut made = 0;
    let mut copies = vec![false; fields.len()];
    while let Some(node) = work.pop() {
        if node.depth > DEEPEST {
            return None;
        }
        let body = rule(&node, fields, &mut made, &mut work, &mut copies)?;
        let _ = writeln!(out, "{} ::= {body}", node.name);
    }
    for (k, used) in copies.iter().enumerate() {
        if *used {
            let _ = writeln!(out, "{}", copy_rule(k, &fields[k]));
        }
    }
    let _ = writeln!(out, "{SPACE}\n{STRING}");
    write_states(
        &SourceIndex::with_whitespace(source, whitespace),
        Writing::JsonString,
        &mut out,
    );
    Some(out)
}

/// The right-hand side of `node`'s rule; its children go on `work`.
fn rule<'a>(
    node: &Node<'a>,
    fields: &[FieldRules],
    made: &mut usize,
    work: &mut Vec<Node<'a>>,
    copies: &mut [bool],
) -> Option<String> {
    let schema = node.schema.as_object()?;
    let mut child = |schema: &'a Json, place: Place| {
        *made += 1;
        let name = format!("n{made}");
        work.push(Node {
            name: name.clone(),
            schema,
            place,
            depth: node.depth + 1,
        });
        name
    };
    if let Some(values) = schema.get("enum").and_then(Json::as_array) {
        return literals(values);
    }
    if let Some(value) = schema.get("const") {
        return literals(std::slice::from_ref(value));
    }
    match schema.get("type")?.as_str()? {
        "object" => object(schema, fields, node.place, &mut child),
        "array" => {
            let item = child(schema.get("items")?, node.place);
            array(schema, &item)
        }
        "string" => Some(match node.place {
            Place::Copy(k) => {
                copies[k] = true;
                format!("c{k}")
            }
            Place::Keys | Place::Free => "jstr".into(),
        }),
        "number" => Some(r#""-"? [0-9]+ ("." [0-9]+)? ([eE] [-+]? [0-9]+)? ws"#.into()),
        "integer" => Some(r#""-"? [0-9]+ ws"#.into()),
        "boolean" => Some(r#"("true" | "false") ws"#.into()),
        "null" => Some(r#""null" ws"#.into()),
        _ => None,
    }
}

/// An object: its properties in llama.cpp's order, or a map of `additionalProperties`.
fn object<'a>(
    schema: &'a Map<String, Json>,
    fields: &[FieldRules],
    place: Place,
    child: &mut dyn FnMut(&'a Json, Place) -> String,
) -> Option<String> {
    let properties = schema.get("properties").and_then(Json::as_object);
    let Some(properties) = properties.filter(|p| !p.is_empty()) else {
        return match schema.get("additionalProperties") {
            Some(value @ Json::Object(_)) => {
                let value = child(value, place);
                Some(format!(
                    r#""{{" ws (jstr ":" ws {value} ("," ws jstr ":" ws {value})*)? "}}" ws"#
                ))
            }
            _ => None,
        };
    };
    if schema.get("additionalProperties").is_some_and(Json::is_object) {
        return None;
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Json::as_array)
        .map(|r| r.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let (mut needed, mut optional) = (Vec::new(), Vec::new());
    for (key, value) in properties {
        let pair = format!(
            r#"{} ws ":" ws {}"#,
            literal(&format!("\"{}\"", json_escaped(key))),
            child(value, place_of(key, place, fields))
        );
        if required.contains(&key.as_str()) {
            needed.push(pair);
        } else {
            optional.push(pair);
        }
    }
    if needed.is_empty() {
        return None;
    }
    let mut body = String::from(r#""{" ws "#);
    body.push_str(&needed.join(r#" "," ws "#));
    for pair in optional {
        let _ = write!(body, r#" ("," ws {pair})?"#);
    }
    body.push_str(r#" "}" ws"#);
    Some(body)
}

/// The place below `key`: a field of the task sets it, another key inherits it.
fn place_of(key: &str, place: Place, fields: &[FieldRules]) -> Place {
    if matches!(place, Place::Free) {
        return Place::Free;
    }
    match fields.iter().position(|f| f.key == key) {
        Some(k) if fields[k].verbatim => Place::Copy(k),
        Some(_) => Place::Free,
        None => place,
    }
}

/// A list of `item`, as many as `minItems` and `maxItems` allow.
fn array(schema: &Map<String, Json>, item: &str) -> Option<String> {
    let count = |key: &str| schema.get(key).and_then(Json::as_u64);
    let least = count("minItems").unwrap_or(0);
    let most = count("maxItems");
    if most.is_some_and(|m| m < least.max(1)) {
        return Some(r#""[" ws "]" ws"#.into());
    }
    let more = match most {
        Some(most) => format!("{{{},{}}}", least.saturating_sub(1), most - 1),
        None if least > 1 => format!("{{{},}}", least - 1),
        None => "*".into(),
    };
    let items = format!(r#"{item} ("," ws {item}){more}"#);
    Some(if least == 0 {
        format!(r#""[" ws ({items})? "]" ws"#)
    } else {
        format!(r#""[" ws {items} "]" ws"#)
    })
}

/// The JSON texts of `values` as alternatives.
fn literals(values: &[Json]) -> Option<String> {
    let texts: Vec<String> = values.iter().map(|v| literal(&v.to_string())).collect();
    (!texts.is_empty()).then(|| format!("({}) ws", texts.join(" | ")))
}

/// Field `k`'s string: quoted pieces of the paragraph joined by its separator, or its missing text.
fn copy_rule(k: usize, field: &FieldRules) -> String {
    let pieces = match &field.separator {
        Some(separator) => format!("s0 ({} s0)*", literal(&json_escaped(separator))),
        None => "s0".into(),
    };
    let value = match field.missing.as_deref().filter(|m| !m.is_empty()) {
        Some(missing) => format!("({} | {pieces})", literal(&json_escaped(missing))),
        None => pieces,
    };
    format!(r#"c{k} ::= "\"" {value} "\"" ws"#)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::grounding::{CopyRule, Shape};
    use crate::llm::profile::Mode;
    use crate::task::Registry;
    use serde_json::json;

    /// The grammar of a built-in task for `paragraph`, as a server gets it.
    fn task_grammar(task: &str, paragraph: &str) -> String {
        let registry = Registry::builtin();
        let task = registry.get(task).unwrap();
        let rule = CopyRule::for_task(task, Mode::FewShot, paragraph, &[]).unwrap();
        let Shape::Json(fields) = &rule.shape else {
            panic!("{task:?} is JSON")
        };
        let schema: Json = serde_json::from_str(task.schema.as_deref().unwrap()).unwrap();
        grammar(&schema, fields, paragraph, CopyWhitespace::Exact).unwrap()
    }

    fn rule_of<'g>(grammar: &'g str, name: &str) -> &'g str {
        let head = format!("{name} ::= ");
        grammar
            .lines()
            .find_map(|l| l.strip_prefix(head.as_str()))
            .unwrap_or_else(|| panic!("no {name} in {grammar}"))
    }

    /// The rule names after each `":"` of a rule (its values), each followed to what it holds.
    fn values<'g>(grammar: &'g str, rule: &str) -> Vec<&'g str> {
        rule_of(grammar, rule)
            .split(r#"":" ws "#)
            .skip(1)
            .map(|rest| rule_of(grammar, rest.split(' ').next().unwrap()))
            .collect()
    }

    #[test]
    fn mof_synthesis_holds_every_field_to_a_copy_its_separator_or_nan() {
        let g = task_grammar("mof-synthesis", "ZIF-8 from zinc nitrate");
        // A list of at most 8 reactions, each an object of the 11 keys in the schema's order.
        assert!(rule_of(&g, "n0").contains(r#"("," ws n1){0,7}"#), "{g}");
        assert!(
            rule_of(&g, "n1").starts_with(r#""{" ws "\"compound name\"" ws ":" ws "#),
            "{g}"
        );
        let fields = values(&g, "n1");
        assert_eq!(fields.len(), 11, "{g}");
        assert!(
            fields.iter().all(|f| f.starts_with('c')),
            "every value a copy: {fields:?}"
        );
        // " | " between values and NaN for none.
        assert_eq!(rule_of(&g, "c0"), r#""\"" ("NaN" | s0 (" | " s0)*) "\"" ws"#);
        assert!(!g.contains("ws jstr"), "no free string: {g}");
    }

    #[test]
    fn doping_holds_hosts_and_dopants_but_not_the_links() {
        let g = task_grammar("doping-json", "ZnO doped with Al");
        let maps = values(&g, "n0");
        assert_eq!(maps.len(), 3, "{g}");
        // basemats and dopants: maps whose values are copies; the links' lists are free text.
        let value = |map: &str| {
            let name = map
                .split(r#"":" ws "#)
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string();
            rule_of(&g, &name).to_string()
        };
        assert!(maps[0].starts_with(r#""{" ws (jstr ":" ws n"#), "{g}");
        assert!(
            value(maps[0]).starts_with('c') && value(maps[1]).starts_with('c'),
            "{g}"
        );
        let links = value(maps[2]);
        let is_node = |w: &&str| w.len() > 1 && w.starts_with('n') && w[1..].bytes().all(|b| b.is_ascii_digit());
        let item = links.split(|c: char| !c.is_alphanumeric()).find(is_node).unwrap();
        assert_eq!(rule_of(&g, item), "jstr", "{g}");
    }

    #[test]
    fn copied_characters_are_json_escaped() {
        let g = task_grammar("mof-synthesis", "a\"b\\cé\n");
        assert!(g.contains(r#""\\\"" s"#), "a quote is written \\\": {g}");
        assert!(g.contains(r#""\\\\" s"#), "a backslash is written \\\\: {g}");
        assert!(g.contains(r#"("\U000000E9" | "\\u00e9") s"#), "é or its escape: {g}");
        assert!(g.contains(r#""\\n""#), "a line break is written \\n: {g}");
    }

    #[test]
    fn what_is_not_written_here_gives_no_grammar() {
        let fields = [FieldRules {
            key: "a".into(),
            verbatim: true,
            separator: None,
            missing: None,
        }];
        let any_of = json!({"anyOf": [{"type": "string"}, {"type": "null"}]});
        assert!(grammar(&any_of, &fields, "x", CopyWhitespace::Exact).is_none());
        let reference = json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/x"}}, "required": ["a"]});
        assert!(grammar(&reference, &fields, "x", CopyWhitespace::Exact).is_none());
        let mut deep = json!({"type": "string"});
        for _ in 0..=DEEPEST {
            deep = json!({"type": "array", "items": deep});
        }
        assert!(grammar(&deep, &fields, "x", CopyWhitespace::Exact).is_none());
        let shallow = json!({"type": "array", "items": {"type": "array", "items": {"type": "string"}}});
        assert!(grammar(&shallow, &fields, "x", CopyWhitespace::Exact).is_some());
    }

    #[test]
    fn list_bounds_follow_min_and_max_items() {
        let item = json!({"type": "integer"});
        let bounds = |min: Option<u64>, max: Option<u64>| {
            let mut schema = json!({"type": "array", "items": item});
            if let Some(min) = min {
                schema["minItems"] = json!(min);
            }
            if let Some(max) = max {
                schema["maxItems"] = json!(max);
            }
            rule_of(&grammar(&schema, &[], "", CopyWhitespace::Exact).unwrap(), "n0").to_string()
        };
        assert_eq!(bounds(None, None), r#""[" ws (n1 ("," ws n1)*)? "]" ws"#);
        assert_eq!(bounds(Some(2), None), r#""[" ws n1 ("," ws n1){1,} "]" ws"#);
        assert_eq!(bounds(Some(1), Some(3)), r#""[" ws n1 ("," ws n1){0,2} "]" ws"#);
        assert_eq!(bounds(None, Some(0)), r#""[" ws "]" ws"#);
    }
}
