//! Paragraph2RXNRole (products and roles): tag-level precision, recall and F1 as the paper's
//! notebooks compute them: tagged text → BIO labels over whitespace words, sentences whose label
//! count differs from the gold's dropped from both sides, then seqeval's entity-level micro
//! scores (default, conlleval-style chunking). A second pass first re-inserts the predicted tags
//! into the input sentence (`replace_with_context`).

use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

/// Tag types in the order the notebook labels them; later types overwrite earlier ones.
const TAG_ORDER: [&str; 8] = [
    "Reactants",
    "Yield",
    "Prod",
    "Solvent",
    "Catalyst_Reagents",
    "Temperature",
    "Reaction",
    "Time",
];

static TAG_PATTERNS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    TAG_ORDER
        .iter()
        .map(|t| {
            (
                *t,
                Regex::new(&format!("<{}.*?>", regex::escape(t))).expect("static regex"),
            )
        })
        .collect()
});
static ANY_TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<.*?\*.*?\*.*?>").expect("static regex"));
static TAG_WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\*([^*]+)\*").expect("static regex"));

/// BIO labels of a tagged text, one per whitespace-separated word.
pub fn bio_labels(text: &str) -> Vec<String> {
    let mut labels = vec!["O".to_string(); text.split_whitespace().count()];
    for (tag, pattern) in TAG_PATTERNS.iter() {
        for m in pattern.find_iter(text) {
            let start = text[..m.start()].split_whitespace().count();
            let end = text[..m.end()].split_whitespace().count();
            if start >= labels.len() {
                continue;
            }
            labels[start] = format!("B-{tag}");
            for label in labels.iter_mut().take(end).skip(start + 1) {
                *label = format!("I-{tag}");
            }
        }
    }
    labels
}

/// The notebook's `replace_with_context`: put the predicted tags back into the input sentence,
/// occurrence by occurrence, so that a prediction that altered the words still aligns.
pub fn replace_with_context(predicted: &str, input: &str) -> String {
    if !ANY_TAG.is_match(predicted) {
        return input.to_string();
    }
    let mut word_to_tag: Vec<(String, String)> = Vec::new();
    for m in ANY_TAG.find_iter(predicted) {
        let Some(word) = TAG_WORD.captures(m.as_str()).and_then(|c| c.get(1)) else {
            continue;
        };
        let word = word.as_str().to_string();
        match word_to_tag.iter_mut().find(|(w, _)| *w == word) {
            Some(entry) => entry.1 = m.as_str().to_string(),
            None => word_to_tag.push((word, m.as_str().to_string())),
        }
    }
    let mut input = input.to_string();
    for (word, tag) in &word_to_tag {
        let bounded = Regex::new(&format!(r"\b{}\b|{}", regex::escape(word), regex::escape(tag)));
        let loose = Regex::new(&format!("{}|{}", regex::escape(word), regex::escape(tag)));
        let (Ok(bounded), Ok(loose)) = (bounded, loose) else {
            continue;
        };
        let pattern = if bounded.is_match(&input) { bounded } else { loose };
        let in_input: Vec<String> = pattern.find_iter(&input).map(|m| m.as_str().to_string()).collect();
        let in_prediction: Vec<&str> = pattern.find_iter(predicted).map(|m| m.as_str()).collect();
        let differing: Vec<usize> = in_input
            .iter()
            .zip(&in_prediction)
            .enumerate()
            .filter(|(_, (a, b))| a != *b)
            .map(|(i, _)| i + 1)
            .collect();
        for nth in differing {
            input = replace_nth(&input, nth, word, tag);
        }
    }
    input
}

fn replace_nth(text: &str, nth: usize, word: &str, replacement: &str) -> String {
    match text.match_indices(word).nth(nth - 1) {
        Some((at, _)) => format!("{}{}{}", &text[..at], replacement, &text[at + word.len()..]),
        None => text.to_string(),
    }
}

/// seqeval's default chunking: (type, first, last) over the flattened label sequences.
fn entities(sequences: &[Vec<String>]) -> HashSet<(String, usize, usize)> {
    let mut flat: Vec<&str> = Vec::new();
    for seq in sequences {
        flat.extend(seq.iter().map(String::as_str));
        flat.push("O");
    }
    flat.push("O");
    let mut chunks = HashSet::new();
    let (mut prev_tag, mut prev_type) = ('O', String::new());
    let mut begin = 0;
    for (i, label) in flat.iter().enumerate() {
        let tag = label.chars().next().unwrap_or('O');
        let rest: String = label.chars().skip(1).collect();
        let kind = rest.split_once('-').map_or(rest.as_str(), |(_, t)| t);
        let kind = if kind.is_empty() {
            "_".to_string()
        } else {
            kind.to_string()
        };
        if chunk_ends(prev_tag, tag, &prev_type, &kind) {
            chunks.insert((prev_type.clone(), begin, i - 1));
        }
        if chunk_starts(prev_tag, tag, &prev_type, &kind) {
            begin = i;
        }
        prev_tag = tag;
        prev_type = kind;
    }
    chunks
}

fn chunk_ends(prev: char, tag: char, prev_type: &str, kind: &str) -> bool {
    matches!(prev, 'E' | 'S')
        || (matches!(prev, 'B' | 'I') && matches!(tag, 'B' | 'S' | 'O'))
        || (prev != 'O' && prev != '.' && prev_type != kind)
}

fn chunk_starts(prev: char, tag: char, prev_type: &str, kind: &str) -> bool {
    matches!(tag, 'B' | 'S')
        || (matches!(prev, 'E' | 'S' | 'O') && matches!(tag, 'E' | 'I'))
        || (tag != 'O' && tag != '.' && prev_type != kind)
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TagScores {
    /// No values when no kept sentence has a tagged entity, in gold or prediction.
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    /// Sentences whose label counts matched and were scored.
    pub kept: usize,
    pub total: usize,
}

/// One sentence to score: the untagged input, the gold BIO labels and the model's tagged text
/// (`None` when the model gave nothing).
pub struct RoleSentence<'a> {
    pub input: &'a str,
    pub gold_labels: Vec<String>,
    pub prediction: Option<&'a str>,
}

/// Scores both passes: (as generated, re-aligned to the input).
pub fn score(sentences: &[RoleSentence]) -> (TagScores, TagScores) {
    let raw = score_pass(sentences, |s| s.prediction.map(str::to_string));
    let aligned = score_pass(sentences, |s| s.prediction.map(|p| replace_with_context(p, s.input)));
    (raw, aligned)
}

fn score_pass(sentences: &[RoleSentence], prepare: impl Fn(&RoleSentence) -> Option<String>) -> TagScores {
    let mut gold = Vec::new();
    let mut pred = Vec::new();
    for s in sentences {
        let labels = match prepare(s) {
            Some(text) => bio_labels(&text),
            None => vec!["O".to_string(); s.input.split(' ').count()],
        };
        if labels.len() == s.gold_labels.len() {
            gold.push(s.gold_labels.clone());
            pred.push(labels);
        }
    }
    let (true_set, pred_set) = (entities(&gold), entities(&pred));
    let nothing = true_set.is_empty() && pred_set.is_empty();
    let correct = true_set.intersection(&pred_set).count() as f64;
    let precision = if pred_set.is_empty() {
        0.0
    } else {
        correct / pred_set.len() as f64
    };
    let recall = if true_set.is_empty() {
        0.0
    } else {
        correct / true_set.len() as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    let measured = |value: f64| (!nothing).then_some(value);
    TagScores {
        precision: measured(precision),
        recall: measured(recall),
        f1: measured(f1),
        kept: gold.len(),
        total: sentences.len(),
    }
}

/// The gold label list stored in the data as a Python list literal: `['O', 'B-Prod', ...]`.
pub fn parse_label_list(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    if inner.trim().is_empty() {
        return Some(Vec::new());
    }
    inner
        .split(',')
        .map(|item| {
            let item = item.trim();
            item.strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| item.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                .map(str::to_string)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bio_labels_follow_the_notebook_example() {
        let labels = bio_labels("The <Prod*product*Prod> was obtained after <Time*24 hours*Time>.");
        assert_eq!(labels, vec!["O", "B-Prod", "O", "O", "O", "B-Time", "I-Time"]);
    }

    #[test]
    fn replace_with_context_reproduces_the_notebook_example() {
        let predicted = "Treatment of <Reactants*allyl iodoacetate*Reactants> <Reactants*3a*Reactants> ( 1.0 mmol ) in <Solvent*water*Solvent> ( 30 mL ) with <Reactants*triethylborane*Reactants> ( 1.0 M methanol solution , 0.1 mL , 0.1 mmol ) at <Temperature*25*Temperature> ( cid : 176 ) C for <Time*3 h*Time> provided <Prod*4a*Prod> in <Yield*67 %*Yield> yield.";
        let input = "Treatment of allyl iodoacetate 3a ( 1.0 mmol ) in water ( 30 mL ) with triethylborane ( 1.0 M methanol solution , 0.1 mL , 0.1 mmol ) at 25 ( cid : 176 ) C for 3 h provided <Prod*4a*Prod> in 67 % yield.";
        assert_eq!(replace_with_context(predicted, input), predicted);
    }

    #[test]
    fn seqeval_micro_scores() {
        let gold = parse_label_list("['B-Prod', 'O', 'B-Yield', 'I-Yield']").unwrap();
        let sentences = [RoleSentence {
            input: "a b c d",
            gold_labels: gold,
            prediction: Some("<Prod*a*Prod> b <Yield*c*Yield> d"),
        }];
        let (raw, _) = score(&sentences);
        assert_eq!((raw.precision, raw.recall, raw.kept), (Some(0.5), Some(0.5), 1));
    }
}
