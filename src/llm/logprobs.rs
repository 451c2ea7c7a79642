//! Token log-probabilities and what they say about each value: the confidence of a value is the
//! geometric mean of the probabilities of the tokens it was written with, `exp(mean logprob)`,
//! over the tokens whose text overlaps the value's first occurrence in the reply (after the
//! previous value's). Servers give the tokens as OpenAI chat does (`logprobs.content[]`: llama.cpp,
//! vLLM, OpenAI) or as the legacy completions do (`logprobs.tokens` + `token_logprobs`); the
//! embedded engine computes them from its own logits.

use crate::extraction::Extraction;
use serde_json::Value as Json;

/// A generated token's bytes (a character may be split over tokens) and its log-probability
/// (natural log).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenProb {
    pub bytes: Vec<u8>,
    pub logprob: f64,
}

/// A value below this confidence counts as a risk in the review queue.
pub const LOW_CONFIDENCE: f64 = 0.5;

/// The tokens of one choice of a reply or a stream chunk (`choices[0]`), in either shape.
pub fn from_choice(choice: &Json) -> Vec<TokenProb> {
    let Some(logprobs) = choice.get("logprobs").filter(|l| !l.is_null()) else {
        return Vec::new();
    };
    if let Some(content) = logprobs.get("content").and_then(Json::as_array) {
        return content
            .iter()
            .filter_map(|t| {
                Some(TokenProb {
                    bytes: token_bytes(t)?,
                    logprob: t.get("logprob")?.as_f64()?,
                })
            })
            .collect();
    }
    let tokens = logprobs.get("tokens").and_then(Json::as_array);
    let probs = logprobs.get("token_logprobs").and_then(Json::as_array);
    match (tokens, probs) {
        (Some(tokens), Some(probs)) => tokens
            .iter()
            .zip(probs)
            .filter_map(|(t, p)| {
                Some(TokenProb {
                    bytes: t.as_str()?.as_bytes().to_vec(),
                    logprob: p.as_f64()?,
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A token's bytes: `bytes` when given (part of a character), else the text of `token`.
fn token_bytes(token: &Json) -> Option<Vec<u8>> {
    if let Some(bytes) = token.get("bytes").and_then(Json::as_array) {
        let bytes: Option<Vec<u8>> = bytes.iter().map(|b| b.as_u64().map(|b| b as u8)).collect();
        if bytes.is_some() {
            return bytes;
        }
    }
    Some(token.get("token")?.as_str()?.as_bytes().to_vec())
}

/// Sets each value's confidence from the tokens of the reply that wrote it; values not found in
/// the tokens' text keep none.
pub fn assign(extraction: &mut Extraction, tokens: &[TokenProb]) {
    if tokens.is_empty() {
        return;
    }
    let mut bytes = Vec::new();
    let mut ends = Vec::with_capacity(tokens.len());
    for token in tokens {
        bytes.extend_from_slice(&token.bytes);
        ends.push(bytes.len());
    }
    // Whole characters once joined (a reply cut mid-character loses that last piece), so that
    // offsets in the text are offsets in the tokens' bytes.
    let valid = match std::str::from_utf8(&bytes) {
        Ok(_) => bytes.len(),
        Err(e) => e.valid_up_to(),
    };
    let text = String::from_utf8_lossy(&bytes[..valid]);
    let mut from = 0;
    for (_, value) in extraction.values_mut() {
        value.confidence = None;
        if value.text.is_empty() {
            continue;
        }
        let Some(at) = text.get(from..).and_then(|rest| rest.find(&value.text)) else {
            continue;
        };
        let (start, end) = (from + at, from + at + value.text.len());
        from = end;
        let first = ends.partition_point(|&e| e <= start);
        let last = ends.partition_point(|&e| e < end).min(tokens.len() - 1);
        let Some(chosen) = tokens.get(first..=last).filter(|c| !c.is_empty()) else {
            continue;
        };
        let mean = chosen.iter().map(|t| t.logprob).sum::<f64>() / chosen.len() as f64;
        value.confidence = Some(mean.exp());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extraction::{Field, Record};

    fn token(text: &str, p: f64) -> TokenProb {
        TokenProb {
            bytes: text.as_bytes().to_vec(),
            logprob: p.ln(),
        }
    }

    #[test]
    fn a_value_takes_the_geometric_mean_of_its_tokens() {
        let tokens = [
            token("Eth", 0.9),
            token("anol", 0.4),
            token(" |", 1.0),
            token(" TH", 0.5),
            token("F", 0.5),
        ];
        let mut e = Extraction::from_records(vec![Record::new(vec![Field::texts(
            "compound",
            ["Ethanol", "THF", "water"],
        )])]);
        assign(&mut e, &tokens);
        let confidences: Vec<Option<f64>> = e.values().iter().map(|(_, v)| v.confidence).collect();
        assert!((confidences[0].unwrap() - (0.9f64 * 0.4).sqrt()).abs() < 1e-9);
        assert!((confidences[1].unwrap() - 0.5).abs() < 1e-9);
        assert_eq!(confidences[2], None, "not written by these tokens");
    }

    #[test]
    fn a_character_split_over_tokens_is_whole_again() {
        let tokens = [
            TokenProb {
                bytes: vec![0xC3],
                logprob: 0.8f64.ln(),
            },
            TokenProb {
                bytes: vec![0xA9, b't', b'h'],
                logprob: 0.2f64.ln(),
            },
        ];
        let mut e = Extraction::from_records(vec![Record::new(vec![Field::texts("compound", ["éth"])])]);
        assign(&mut e, &tokens);
        let confidence = e.values()[0].1.confidence.unwrap();
        assert!((confidence - 0.4).abs() < 1e-9, "{confidence}");
    }

    #[test]
    fn a_reply_cut_mid_character_is_read_up_to_it() {
        let tokens = [
            token("25 ", 0.5),
            TokenProb {
                bytes: vec![0xC2],
                logprob: 0.5f64.ln(),
            },
        ];
        let mut e = Extraction::from_records(vec![Record::new(vec![Field::texts("compound", ["25", "°C"])])]);
        assign(&mut e, &tokens);
        assert!(e.values()[0].1.confidence.is_some());
        assert_eq!(e.values()[1].1.confidence, None);
    }

    #[test]
    fn both_reply_shapes_are_read() {
        let chat: Json = serde_json::json!({"logprobs": {"content": [
            {"token": "a", "logprob": -0.1, "bytes": [195, 169]},
            {"token": "b", "logprob": -0.2}
        ]}});
        let tokens = from_choice(&chat);
        assert_eq!(tokens[0].bytes, "é".as_bytes());
        assert_eq!(tokens[1].bytes, b"b");
        let legacy: Json = serde_json::json!({"logprobs": {"tokens": [" x", "y"], "token_logprobs": [-1.0, -2.0]}});
        assert_eq!(from_choice(&legacy)[1].logprob, -2.0);
        assert!(from_choice(&serde_json::json!({"logprobs": null})).is_empty());
    }
}
