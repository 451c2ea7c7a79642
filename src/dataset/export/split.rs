//! Splitting saved examples for training: the same paragraph (after Unicode and whitespace
//! normalisation) is one unit that never lands in two splits, paragraphs of excluded files
//! (test sets) are left out, and the order is a seeded hash of each paragraph, so the same
//! seed always gives the same files on any machine.

use crate::dataset::store::SavedExample;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use unicode_normalization::UnicodeNormalization;

/// NFKC, whitespace runs as one space, trimmed: how paragraphs are compared.
pub fn normalize(paragraph: &str) -> String {
    paragraph
        .nfkc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A split's name and its share of the examples.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Share {
    pub name: String,
    pub fraction: f64,
}

/// Parses `train=0.8,val=0.1,test=0.1`.
pub fn parse_shares(text: &str) -> Result<Vec<Share>, String> {
    let mut shares = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, fraction) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: expected NAME=FRACTION, e.g. train=0.8"))?;
        let fraction: f64 = fraction
            .trim()
            .parse()
            .map_err(|_| format!("{part:?}: {fraction:?} is not a number"))?;
        if !(0.0..=1.0).contains(&fraction) {
            return Err(format!("{part:?}: a fraction is between 0 and 1"));
        }
        if shares.iter().any(|s: &Share| s.name == name.trim()) {
            return Err(format!("split {name:?} is named twice"));
        }
        shares.push(Share {
            name: name.trim().to_string(),
            fraction,
        });
    }
    let total: f64 = shares.iter().map(|s| s.fraction).sum();
    if shares.is_empty() || (total - 1.0).abs() > 1e-6 {
        return Err(format!("the fractions add up to {total}, not 1"));
    }
    Ok(shares)
}

/// What the split did.
#[derive(Debug, Default)]
pub struct Divided {
    /// Examples per split, in the shares' order; each split in its seeded order.
    pub splits: Vec<(String, Vec<SavedExample>)>,
    /// Left out because an excluded file holds the paragraph.
    pub excluded: usize,
    /// Older saves of a paragraph saved again (the newest is kept).
    pub superseded: usize,
}

/// Divides `examples` into `shares` (the first takes what rounding leaves), leaving out the
/// paragraphs in `excluded` (normalised).
pub fn divide(examples: Vec<SavedExample>, shares: &[Share], seed: u64, excluded: &HashSet<String>) -> Divided {
    let mut divided = Divided::default();
    let mut newest: HashMap<String, SavedExample> = HashMap::new();
    for example in examples {
        let key = normalize(&example.paragraph);
        if excluded.contains(&key) {
            divided.excluded += 1;
            continue;
        }
        // The store is in saving order: a later save of the same paragraph supersedes.
        if newest.insert(key, example).is_some() {
            divided.superseded += 1;
        }
    }
    let mut units: Vec<(String, SavedExample)> = newest.into_iter().map(|(k, e)| (order_key(seed, &k), e)).collect();
    units.sort_by(|a, b| a.0.cmp(&b.0));
    let total = units.len();
    let mut counts: Vec<usize> = shares
        .iter()
        .map(|s| (s.fraction * total as f64).round() as usize)
        .collect();
    let rest: usize = counts.iter().skip(1).sum();
    if let Some(first) = counts.first_mut() {
        *first = total.saturating_sub(rest);
    }
    let mut units = units.into_iter().map(|(_, e)| e);
    for (share, count) in shares.iter().zip(counts) {
        divided
            .splits
            .push((share.name.clone(), units.by_ref().take(count).collect()));
    }
    divided
}

fn order_key(seed: u64, normalized: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(seed.to_le_bytes());
    hash.update(normalized.as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(paragraph: &str) -> SavedExample {
        SavedExample {
            id: paragraph.into(),
            task: "compound".into(),
            paragraph: paragraph.into(),
            answer: "x".into(),
            extraction: Default::default(),
            runs: Vec::new(),
            saved_at: String::new(),
            provenance: String::new(),
            source_id: None,
        }
    }

    #[test]
    fn shares_parse_and_must_add_up() {
        let shares = parse_shares("train=0.8, val=0.1,test=0.1").unwrap();
        assert_eq!(shares.len(), 3);
        assert!(parse_shares("train=0.8,val=0.1").unwrap_err().contains("add up"));
        assert!(parse_shares("train").is_err());
        assert!(parse_shares("a=0.5,a=0.5").is_err());
    }

    #[test]
    fn same_seed_same_split_and_a_paragraph_is_one_unit() {
        let examples: Vec<SavedExample> = (0..100).map(|i| example(&format!("Paragraph {i}."))).collect();
        let mut with_copy = examples.clone();
        with_copy.push(example("Paragraph\u{00A0}7. "));
        let shares = parse_shares("train=0.8,val=0.1,test=0.1").unwrap();
        let a = divide(with_copy.clone(), &shares, 7, &HashSet::new());
        let b = divide(with_copy, &shares, 7, &HashSet::new());
        let names = |d: &Divided| -> Vec<Vec<String>> {
            d.splits
                .iter()
                .map(|(_, e)| e.iter().map(|x| x.id.clone()).collect())
                .collect()
        };
        assert_eq!(names(&a), names(&b));
        assert_eq!(a.superseded, 1);
        let sizes: Vec<usize> = a.splits.iter().map(|(_, e)| e.len()).collect();
        assert_eq!(sizes, [80, 10, 10]);
        let other = divide(examples, &shares, 8, &HashSet::new());
        assert_ne!(names(&a)[1], names(&other)[1], "another seed, another split");
        let excluded: HashSet<String> = [normalize("Paragraph 3.")].into();
        let left = divide(
            vec![example("Paragraph 3."), example("Paragraph 4.")],
            &shares,
            7,
            &excluded,
        );
        assert_eq!(left.excluded, 1);
    }
}
