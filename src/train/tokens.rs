//! Training tokens, counted as OpenAI bills them: each chat example's messages in the base
//! model's tokenizer (o200k for the GPT-4o and later families, cl100k for GPT-3.5 and GPT-4),
//! with the few tokens each message and each reply carry around their text.

use serde_json::Value as Json;

/// Tokens framing each message (role and separators) and priming the reply.
const PER_MESSAGE: usize = 3;
const PER_EXAMPLE: usize = 3;

/// The tokenizer of `model`, by its family.
fn tokenizer(model: &str) -> tiktoken_rs::CoreBPE {
    let model = model.trim_start_matches("ft:");
    let older = model.starts_with("gpt-3.5")
        || (model.starts_with("gpt-4") && !model.starts_with("gpt-4o") && !model.starts_with("gpt-4.1"));
    let bpe = if older {
        tiktoken_rs::cl100k_base()
    } else {
        tiktoken_rs::o200k_base()
    };
    bpe.expect("the tokenizers are built into the binary")
}

/// OpenAI's tokenizer for one of its own models (`gpt-…`, `o1…`, `chatgpt-…`, fine-tuned ones),
/// with its name; `None` for another maker's model, whose tokenizer Retort does not have.
pub fn of_openai_model(model: &str) -> Option<(&'static str, tiktoken_rs::CoreBPE)> {
    let name = model.trim_start_matches("ft:");
    let openai = name.starts_with("gpt-")
        || name.starts_with("chatgpt-")
        || ["o1", "o3", "o4"].iter().any(|family| name.starts_with(family));
    if !openai {
        return None;
    }
    let older = name.starts_with("gpt-3.5")
        || (name.starts_with("gpt-4") && !name.starts_with("gpt-4o") && !name.starts_with("gpt-4.1"));
    Some((if older { "cl100k_base" } else { "o200k_base" }, tokenizer(model)))
}

/// Tokens in the training file's text, one JSON line per example: every string under
/// `messages` (chat), `input`/`preferred_output`/`non_preferred_output` (preference pairs).
pub fn count(model: &str, jsonl: &str) -> usize {
    let bpe = tokenizer(model);
    jsonl
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .map(|row| {
            let messages = message_texts(&row);
            PER_EXAMPLE
                + messages
                    .iter()
                    .map(|text| PER_MESSAGE + bpe.encode_ordinary(text).len())
                    .sum::<usize>()
        })
        .sum()
}

/// The texts of an example's messages, wherever its style keeps them.
fn message_texts(row: &Json) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["messages", "input", "preferred_output", "non_preferred_output"] {
        collect_contents(row.get(key), &mut out);
    }
    out
}

fn collect_contents(value: Option<&Json>, out: &mut Vec<String>) {
    match value {
        Some(Json::Array(items)) => items.iter().for_each(|i| collect_contents(Some(i), out)),
        Some(Json::Object(map)) => match map.get("content") {
            Some(Json::String(text)) => out.push(text.clone()),
            _ => map.values().for_each(|v| collect_contents(Some(v), out)),
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_message_with_its_framing() {
        let line =
            r#"{"messages": [{"role": "user", "content": "hello world"}, {"role": "assistant", "content": "NaCl"}]}"#;
        let bpe = tiktoken_rs::o200k_base().unwrap();
        let words = bpe.encode_ordinary("hello world").len() + bpe.encode_ordinary("NaCl").len();
        assert_eq!(
            count("gpt-4o-mini-2024-07-18", line),
            PER_EXAMPLE + 2 * PER_MESSAGE + words
        );
        assert_eq!(
            count("gpt-4o-mini", &format!("{line}\n{line}\n")),
            2 * count("gpt-4o-mini", line)
        );
        // A preference pair counts its input and both outputs.
        let pair = r#"{"input": {"messages": [{"role": "user", "content": "hello world"}]}, "preferred_output": [{"role": "assistant", "content": "NaCl"}], "non_preferred_output": [{"role": "assistant", "content": "NaCl"}]}"#;
        assert!(count("gpt-4o-mini", pair) > count("gpt-4o-mini", line));
    }

    #[test]
    fn older_models_use_their_own_tokenizer() {
        let text = "Zn(NO3)2·6H2O was dissolved in N,N-dimethylformamide";
        let line = format!(r#"{{"messages": [{{"role": "user", "content": "{text}"}}]}}"#);
        let cl100k = tiktoken_rs::cl100k_base().unwrap().encode_ordinary(text).len();
        assert_eq!(count("gpt-3.5-turbo-0125", &line), PER_EXAMPLE + PER_MESSAGE + cl100k);
    }
}
