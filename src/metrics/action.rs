//! Paragraph2Action: modified BLEU, BLEU-2, original BLEU, Levenshtein similarity and full and
//! partial sentence accuracy, as the paper's notebook (from paragraph2actions) computes them with
//! nltk's `corpus_bleu` (no smoothing) and textdistance.

use super::text::levenshtein_similarity;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ActionScores {
    pub modified_bleu: f64,
    pub bleu2: f64,
    pub original_bleu: f64,
    pub levenshtein: f64,
    pub exact: f64,
    pub partial_90: f64,
    pub partial_75: f64,
    pub sequences: usize,
}

/// The notebook's measures over `(gold, prediction)` pairs; no scores for no pairs.
pub fn score(pairs: &[(String, String)]) -> Option<ActionScores> {
    let n = pairs.len();
    if n == 0 {
        return None;
    }
    let refs: Vec<Vec<&str>> = pairs.iter().map(|(t, _)| t.split_whitespace().collect()).collect();
    let hyps: Vec<Vec<&str>> = pairs.iter().map(|(_, p)| p.split_whitespace().collect()).collect();
    let similarities: Vec<f64> = pairs.iter().map(|(t, p)| levenshtein_similarity(t, p)).collect();
    let share = |pred: &dyn Fn(usize) -> bool| (0..n).filter(|&i| pred(i)).count() as f64 / n as f64;
    Some(ActionScores {
        modified_bleu: corpus_bleu(&pad(&refs), &pad(&hyps), &[0.25; 4]),
        bleu2: corpus_bleu(&refs, &hyps, &[0.5, 0.5]),
        original_bleu: corpus_bleu(&refs, &hyps, &[0.25; 4]),
        levenshtein: similarities.iter().sum::<f64>() / n as f64,
        exact: share(&|i| pairs[i].0 == pairs[i].1),
        partial_90: share(&|i| similarities[i] >= 0.9),
        partial_75: share(&|i| similarities[i] >= 0.75),
        sequences: n,
    })
}

/// Pads every token list with empty tokens up to four, so short sequences are not scored zero.
fn pad<'a>(sequences: &[Vec<&'a str>]) -> Vec<Vec<&'a str>> {
    sequences
        .iter()
        .map(|s| {
            let mut s = s.clone();
            while s.len() < 4 {
                s.push("");
            }
            s
        })
        .collect()
}

/// nltk's `corpus_bleu` with one reference per hypothesis and no smoothing: clipped n-gram
/// counts summed over the corpus, one brevity penalty; zero when no unigram matches; an order
/// with no match contributes the smallest positive float (nltk's `method0`).
pub fn corpus_bleu(references: &[Vec<&str>], hypotheses: &[Vec<&str>], weights: &[f64]) -> f64 {
    let orders = weights.len();
    let mut numerators = vec![0usize; orders];
    let mut denominators = vec![0usize; orders];
    let (mut hyp_len, mut ref_len) = (0usize, 0usize);
    for (reference, hypothesis) in references.iter().zip(hypotheses) {
        for n in 1..=orders {
            let (num, den) = modified_precision(reference, hypothesis, n);
            numerators[n - 1] += num;
            denominators[n - 1] += den;
        }
        hyp_len += hypothesis.len();
        ref_len += reference.len();
    }
    if numerators[0] == 0 {
        return 0.0;
    }
    let brevity = if hyp_len > ref_len {
        1.0
    } else if hyp_len == 0 {
        0.0
    } else {
        (1.0 - ref_len as f64 / hyp_len as f64).exp()
    };
    let log_sum: f64 = weights
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let p = if numerators[i] == 0 {
                f64::MIN_POSITIVE
            } else {
                numerators[i] as f64 / denominators[i] as f64
            };
            w * p.ln()
        })
        .sum();
    brevity * log_sum.exp()
}

fn modified_precision(reference: &[&str], hypothesis: &[&str], n: usize) -> (usize, usize) {
    let counts = ngram_counts(hypothesis, n);
    let max_ref = ngram_counts(reference, n);
    let clipped: usize = counts
        .iter()
        .map(|(g, c)| (*c).min(max_ref.get(g).copied().unwrap_or(0)))
        .sum();
    let total: usize = counts.values().sum();
    (clipped, total.max(1))
}

fn ngram_counts<'a>(tokens: &[&'a str], n: usize) -> HashMap<Vec<&'a str>, usize> {
    let mut counts = HashMap::new();
    if tokens.len() >= n {
        for gram in tokens.windows(n) {
            *counts.entry(gram.to_vec()).or_insert(0) += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_corpus_scores_one() {
        let pairs = vec![
            ("STIR for 1 h.".to_string(), "STIR for 1 h.".to_string()),
            ("CONCENTRATE.".into(), "CONCENTRATE.".into()),
        ];
        let s = score(&pairs).unwrap();
        assert!((s.modified_bleu - 1.0).abs() < 1e-12);
        assert_eq!((s.exact, s.partial_90, s.levenshtein), (1.0, 1.0, 1.0));
        // Unpadded, the one-word sequence has no 4-gram: nltk's method0 makes BLEU tiny, not 1.
        assert!(s.original_bleu < 1.0);
    }

    #[test]
    fn nltk_reference_value() {
        // nltk.translate.bleu_score.corpus_bleu([[ref]], [hyp]) = 0.6129752413741056 (nltk 3.9).
        let reference = "the cat sat on the red mat today".split(' ').collect::<Vec<_>>();
        let hypothesis = "the cat sat on the mat today".split(' ').collect::<Vec<_>>();
        let bleu = corpus_bleu(&[reference], &[hypothesis], &[0.25; 4]);
        assert!((bleu - 0.6129752413741056).abs() < 1e-9, "{bleu}");
    }
}
