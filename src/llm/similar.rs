//! Few-shot examples ranked by how much of the paragraph's wording they share: BM25 (the `bm25`
//! crate) over words, no model needed, the same order on every run. Words are runs of letters
//! and digits, lower-cased, without stemming or stop words: chemical names split at their
//! punctuation (`2,6-diethyl` gives `2`, `6`, `diethyl`) and keep every piece.

use std::collections::HashMap;

struct Words;

impl bm25::Tokenizer for Words {
    fn tokenize(&self, text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }
}

/// The indices of `documents`, the most like `query` first; documents that score the same
/// (those sharing no word with it among them) keep their order.
pub fn rank(query: &str, documents: &[&str]) -> Vec<usize> {
    let embedder = bm25::EmbedderBuilder::<u32, Words>::with_tokenizer_and_fit_to_corpus(Words, documents).build();
    let mut scorer = bm25::Scorer::<usize, u32>::new();
    for (i, document) in documents.iter().enumerate() {
        scorer.upsert(&i, embedder.embed(document));
    }
    let scores: HashMap<usize, f32> = scorer
        .matches(&embedder.embed(query))
        .into_iter()
        .map(|scored| (scored.id, scored.score))
        .collect();
    let score = |i: &usize| scores.get(i).copied().unwrap_or(0.0);
    let mut order: Vec<usize> = (0..documents.len()).collect();
    order.sort_by(|a, b| score(b).total_cmp(&score(a)).then(a.cmp(b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_sharing_the_rare_words_comes_first() {
        let documents = [
            "The solution was stirred at room temperature for 2 h.",
            "Copper nitrate and BTC were heated in DMF at 120 °C to give HKUST-1 crystals.",
            "The mixture was stirred and the solvent was removed.",
            "Zinc nitrate and terephthalic acid in DMF gave MOF-5.",
        ];
        let order = rank("Cobalt nitrate and BTC in DMF were heated to 150 °C.", &documents);
        assert_eq!(order[0], 1, "{order:?}");
        assert_eq!(order[1], 3, "{order:?}");
        assert_eq!(order.len(), 4);
    }

    #[test]
    fn ties_keep_the_pools_order_and_ranking_is_repeatable() {
        let documents = ["alpha beta", "gamma delta", "epsilon", "gamma delta"];
        assert_eq!(rank("nothing shared", &documents), vec![0, 1, 2, 3]);
        let first = rank("gamma", &documents);
        assert_eq!(first[..2], [1, 3]);
        for _ in 0..20 {
            assert_eq!(rank("gamma", &documents), first);
        }
        assert!(rank("anything", &[]).is_empty());
    }
}
