//! NERRE general-materials and MOF schemas, as `general_and_mofs/results.py` scores them: word
//! sets per entity type and per abstract, links from each entry's root (formula, or MOF name) to
//! the words of its other fields, per-fold micro scores, then the mean over folds (a fold with no
//! predicted or no gold links of a type is skipped for that type); exact match of the sorted
//! entries and Jaro–Winkler similarity of the strings.

use super::doping::Prf;
use super::text::jaro_winkler;
use serde_json::{Map, Value as Json};
use std::collections::{BTreeSet, HashMap};

/// The entity keys and the root key of a schema.
#[derive(Debug, Clone, Copy)]
pub struct NerreSchema {
    pub keys: &'static [&'static str],
    pub root: &'static str,
}

pub const GENERAL: NerreSchema = NerreSchema {
    keys: &[
        "acronym",
        "applications",
        "name",
        "formula",
        "structure_or_phase",
        "description",
    ],
    root: "formula",
};

pub const MOF: NerreSchema = NerreSchema {
    keys: &[
        "name_of_mof",
        "mof_formula",
        "mof_description",
        "guest_species",
        "applications",
    ],
    root: "name_of_mof",
};

const STRING_KEYS: [&str; 5] = ["formula", "name", "acronym", "mof_formula", "name_of_mof"];
const LINK: &str = "|||";

/// One abstract: the prompt, the gold completion and the model's completion, as in `run_*.jsonl`.
pub struct NerreSample {
    pub prompt: String,
    pub completion: String,
    pub llm_completion: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NerreScores {
    /// Per entity key, mean over folds (a fold without the key on either side counts zero, as
    /// in the script); no scores when no fold has the key on either side.
    pub entities: Vec<(String, Option<Prf>)>,
    /// Per link `root|||key`, mean over the folds that have such links; `None` if none had.
    pub links: Vec<(String, Option<Prf>)>,
    /// Means over the folds with samples; no values when there is no sample.
    pub exact: Option<f64>,
    pub jaro_winkler: Option<f64>,
    pub parsable: Option<f64>,
    pub folds: usize,
    pub samples: usize,
}

/// A gold completion that is not JSON, where it is (1-based fold and line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fold {fold}, line {line}: {message}")]
pub struct GoldNotJson {
    pub fold: usize,
    pub line: usize,
    pub message: String,
}

/// Scores folds (one list of samples each) and averages them. A gold completion that is not JSON
/// is an error naming the fold and line (1-based).
pub fn score_folds(folds: &[Vec<NerreSample>], schema: NerreSchema) -> Result<NerreScores, GoldNotJson> {
    let mut per_fold = Vec::new();
    for (f, fold) in folds.iter().enumerate() {
        per_fold.push(score_fold(fold, schema).map_err(|(line, e)| GoldNotJson {
            fold: f + 1,
            line,
            message: e.to_string(),
        })?);
    }
    let mean = |measure: fn(&NerreScores) -> Option<f64>| {
        super::mean(&per_fold.iter().filter_map(measure).collect::<Vec<_>>())
    };
    let entities = schema
        .keys
        .iter()
        .map(|key| {
            let folds: Vec<Option<Prf>> = per_fold
                .iter()
                .filter_map(|f| f.entities.iter().find(|(k, _)| k == key).map(|(_, p)| *p))
                .collect();
            let seen = folds.iter().any(Option::is_some);
            let zeros = |p: &Option<Prf>| p.unwrap_or_default();
            let prf = seen.then(|| mean_prf(&folds.iter().map(zeros).collect::<Vec<_>>().iter().collect::<Vec<_>>()));
            (key.to_string(), prf)
        })
        .collect();
    let links = link_types(schema)
        .into_iter()
        .map(|link| {
            let folds: Vec<&Prf> = per_fold
                .iter()
                .filter_map(|f| f.links.iter().find(|(k, _)| *k == link).and_then(|(_, p)| p.as_ref()))
                .collect();
            let prf = (!folds.is_empty()).then(|| mean_prf(&folds));
            (link, prf)
        })
        .collect();
    Ok(NerreScores {
        entities,
        links,
        exact: mean(|f| f.exact),
        jaro_winkler: mean(|f| f.jaro_winkler),
        parsable: mean(|f| f.parsable),
        folds: folds.len(),
        samples: folds.iter().map(Vec::len).sum(),
    })
}

fn mean_prf(folds: &[&Prf]) -> Prf {
    let n = folds.len().max(1) as f64;
    Prf {
        precision: folds.iter().map(|p| p.precision).sum::<f64>() / n,
        recall: folds.iter().map(|p| p.recall).sum::<f64>() / n,
        f1: folds.iter().map(|p| p.f1).sum::<f64>() / n,
    }
}

fn link_types(schema: NerreSchema) -> Vec<String> {
    schema
        .keys
        .iter()
        .filter(|k| **k != schema.root)
        .map(|k| format!("{}{LINK}{k}", schema.root))
        .collect()
}

fn score_fold(samples: &[NerreSample], schema: NerreSchema) -> Result<NerreScores, (usize, String)> {
    let links = link_types(schema);
    let mut entity_counts = vec![(0usize, 0usize, 0usize); schema.keys.len()];
    let mut link_counts = vec![(0usize, 0usize, 0usize); links.len()];
    let (mut exact, mut jw) = (0usize, 0.0f64);
    for (i, sample) in samples.iter().enumerate() {
        let gold_string = sample.completion.replace("\n\nEND\n\n", "");
        let gold_string = gold_string.trim();
        let test_string = sample.llm_completion.replace("\n\nEND\n\n", "").replace('\\', "");
        let test_string = test_string.trim();
        let gold: Json =
            serde_json::from_str(gold_string).map_err(|e| (i + 1, format!("gold completion is not JSON: {e}")))?;
        let gold_entries = entries(&gold);
        let test_entries = test_entries(&sample.llm_completion, schema);
        if equivalent(&gold_entries, &test_entries) {
            exact += 1;
        }
        jw += jaro_winkler(gold_string, test_string, true);
        let gold_sets = word_sets(&gold_entries, schema);
        let test_sets = word_sets(&test_entries, schema);
        for (k, key) in schema.keys.iter().enumerate() {
            let (g, t) = (&gold_sets[*key], &test_sets[*key]);
            let tp = g.intersection(t).count();
            entity_counts[k].0 += tp;
            entity_counts[k].1 += t.len() - tp;
            entity_counts[k].2 += g.len() - tp;
        }
        for (l, link) in links.iter().enumerate() {
            let (g, t) = (&gold_sets[link], &test_sets[link]);
            link_counts[l].0 += t.intersection(g).count();
            link_counts[l].1 += t.len();
            link_counts[l].2 += g.len();
        }
    }
    let entities = schema
        .keys
        .iter()
        .zip(entity_counts)
        .map(|(k, (tp, fp, fn_))| (k.to_string(), (tp + fp + fn_ > 0).then(|| binary_prf(tp, fp, fn_))))
        .collect();
    let links = links
        .into_iter()
        .zip(link_counts)
        .map(|(name, (correct, retrieved, relevant))| (name, link_prf(correct, retrieved, relevant)))
        .collect();
    let n = samples.len() as f64;
    Ok(NerreScores {
        entities,
        links,
        exact: super::share(exact as f64, n),
        jaro_winkler: super::share(jw, n),
        parsable: (n > 0.0).then_some(1.0),
        folds: 1,
        samples: samples.len(),
    })
}

/// sklearn's binary precision, recall and F1 (zero where undefined).
fn binary_prf(tp: usize, fp: usize, fn_: usize) -> Prf {
    let (tp, fp, fn_) = (tp as f64, fp as f64, fn_ as f64);
    Prf {
        precision: if tp + fp == 0.0 { 0.0 } else { tp / (tp + fp) },
        recall: if tp + fn_ == 0.0 { 0.0 } else { tp / (tp + fn_) },
        f1: if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fn_)
        },
    }
}

/// `None` when the fold has no predicted or no gold links of the type (the script skips it).
fn link_prf(correct: usize, retrieved: usize, relevant: usize) -> Option<Prf> {
    if retrieved == 0 || relevant == 0 {
        return None;
    }
    let precision = correct as f64 / retrieved as f64;
    let recall = correct as f64 / relevant as f64;
    let f1 = if correct == 0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Some(Prf { precision, recall, f1 })
}

fn entries(json: &Json) -> Vec<Map<String, Json>> {
    match json {
        Json::Array(items) => items.iter().filter_map(|i| i.as_object().cloned()).collect(),
        _ => Vec::new(),
    }
}

/// The model's entries: undecodable text is an empty list; missing keys are filled and extra
/// keys dropped, as the script does.
fn test_entries(llm_completion: &str, schema: NerreSchema) -> Vec<Map<String, Json>> {
    let parsed: Json = serde_json::from_str(llm_completion).unwrap_or(Json::Array(Vec::new()));
    entries(&parsed)
        .into_iter()
        .map(|entry| {
            let mut filled = Map::new();
            for (k, v) in &entry {
                if schema.keys.contains(&k.as_str()) {
                    filled.insert(k.clone(), v.clone());
                }
            }
            for key in schema.keys {
                if !filled.contains_key(*key) {
                    let empty = if STRING_KEYS.contains(key) {
                        Json::String(String::new())
                    } else {
                        Json::Array(vec![Json::String(String::new())])
                    };
                    filled.insert(key.to_string(), empty);
                }
            }
            filled
        })
        .collect()
}

/// Entries sorted by `formula` (stably), keys sorted, then compared as values.
fn equivalent(gold: &[Map<String, Json>], test: &[Map<String, Json>]) -> bool {
    let canonical = |entries: &[Map<String, Json>]| -> Vec<Vec<(String, Json)>> {
        let mut sorted: Vec<&Map<String, Json>> = entries.iter().collect();
        sorted.sort_by_key(|entry| formula_key(entry));
        sorted
            .into_iter()
            .map(|m| {
                let mut pairs: Vec<(String, Json)> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                pairs
            })
            .collect()
    };
    canonical(gold) == canonical(test)
}

fn formula_key(entry: &Map<String, Json>) -> String {
    entry.get("formula").map_or(String::new(), |v| {
        v.as_str().map_or_else(|| v.to_string(), str::to_string)
    })
}

fn words(text: &str) -> Vec<String> {
    text.split(' ')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// Word sets per entity key and link type over all entries of one abstract.
fn word_sets(entries: &[Map<String, Json>], schema: NerreSchema) -> HashMap<String, BTreeSet<String>> {
    let mut sets: HashMap<String, BTreeSet<String>> = schema
        .keys
        .iter()
        .map(|k| k.to_string())
        .chain(link_types(schema))
        .map(|k| (k, BTreeSet::new()))
        .collect();
    for entry in entries {
        for key in schema.keys {
            let set = sets.entry(key.to_string()).or_default();
            for text in strings_of(entry.get(*key)) {
                set.extend(words(&text));
            }
        }
        let root = entry.get(schema.root).and_then(Json::as_str).unwrap_or_default();
        if root.is_empty() {
            continue;
        }
        for key in schema.keys.iter().filter(|k| **k != schema.root) {
            let set = sets.entry(format!("{}{LINK}{key}", schema.root)).or_default();
            for text in strings_of(entry.get(*key)) {
                set.extend(
                    words(&text)
                        .into_iter()
                        .filter(|w| w != root)
                        .map(|w| format!("{root}{LINK}{w}")),
                );
            }
        }
    }
    sets
}

fn strings_of(value: Option<&Json>) -> Vec<String> {
    match value {
        Some(Json::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(gold: &str, pred: &str) -> NerreSample {
        NerreSample {
            prompt: "x\n\n###\n\n".into(),
            completion: format!(" {gold}\n\nEND\n\n"),
            llm_completion: format!(" {pred}"),
        }
    }

    #[test]
    fn perfect_prediction_scores_one_and_links_count() {
        let gold = r#"[{"acronym": "", "applications": ["solar cells"], "name": "", "formula": "Al2O3", "structure_or_phase": [""], "description": ["mesoporous scaffold"]}]"#;
        let s = score_folds(&[vec![sample(gold, gold)]], GENERAL).unwrap();
        assert_eq!(s.exact, Some(1.0));
        let formula = &s.entities.iter().find(|(k, _)| k == "formula").unwrap().1;
        assert_eq!(formula.unwrap().f1, 1.0);
        let apps = s.links.iter().find(|(k, _)| k == "formula|||applications").unwrap();
        assert_eq!(apps.1.unwrap().f1, 1.0);
        let acronym = s.links.iter().find(|(k, _)| k == "formula|||acronym").unwrap();
        assert_eq!(acronym.1, None);
    }

    #[test]
    fn unparsable_prediction_is_an_empty_list() {
        let gold = r#"[{"acronym": "", "applications": [""], "name": "", "formula": "TiO2", "structure_or_phase": [""], "description": [""]}]"#;
        let s = score_folds(&[vec![sample(gold, "[{oops")]], GENERAL).unwrap();
        assert_eq!(s.exact, Some(0.0));
        assert_eq!(
            s.entities
                .iter()
                .find(|(k, _)| k == "formula")
                .unwrap()
                .1
                .unwrap()
                .recall,
            0.0
        );
        // Neither side names an acronym: no score, not a perfect or a zero one.
        assert_eq!(s.entities.iter().find(|(k, _)| k == "acronym").unwrap().1, None);
    }

    #[test]
    fn no_sample_is_no_score() {
        let s = score_folds(&[vec![]], GENERAL).unwrap();
        assert_eq!((s.exact, s.jaro_winkler, s.parsable), (None, None, None));
        assert!(s.entities.iter().all(|(_, p)| p.is_none()));
    }
}
