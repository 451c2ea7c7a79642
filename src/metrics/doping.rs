//! NERRE doping: the entity graph of a sentence, the paper's decoder of English answers (with its
//! quirks, which the recorded decoded files carry), the training completion written from a gold
//! graph, and the scoring of `step3_score.py`: word-level host/dopant scores and host–dopant
//! link triplets, micro-averaged, plus sequence exact match and Jaro–Winkler similarity.

use super::text::jaro_winkler;
use crate::format::json_style::{self, JsonStyle};
use serde_json::{Map, Value as Json};

/// Which answer schema the completions use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DopingSchema {
    English,
    EnglishExtra,
    Json,
}

impl DopingSchema {
    /// The schema a doping task's measures read its answers in.
    pub fn for_metrics(metrics: crate::task::MetricSet) -> DopingSchema {
        use crate::task::MetricSet;
        match metrics {
            MetricSet::DopingEnglishExtra => DopingSchema::EnglishExtra,
            MetricSet::DopingJson => DopingSchema::Json,
            _ => DopingSchema::English,
        }
    }
}

/// One sentence's annotation, in the key order of the data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DopingGraph {
    pub basemats: Vec<(String, String)>,
    pub dopants: Vec<(String, String)>,
    pub results: Vec<(String, String)>,
    pub modifiers: Vec<String>,
    pub links: Vec<(String, Vec<String>)>,
}

impl DopingGraph {
    /// Reads `basemats`, `dopants`, `results`, `doping_modifiers` (list or map) and
    /// `dopants2basemats` (a list there means "no links", the decoder's quirk).
    pub fn from_json(value: &Json) -> DopingGraph {
        let map = |key: &str| -> Vec<(String, String)> {
            match value.get(key) {
                Some(Json::Object(m)) => m.iter().map(|(k, v)| (k.clone(), json_text(v))).collect(),
                _ => Vec::new(),
            }
        };
        let modifiers = match value.get("doping_modifiers") {
            Some(Json::Array(items)) => items.iter().map(json_text).collect(),
            Some(Json::Object(m)) => m.values().map(json_text).collect(),
            _ => Vec::new(),
        };
        let links = match value.get("dopants2basemats") {
            Some(Json::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    let ids = v
                        .as_array()
                        .map(|a| a.iter().map(json_text).collect())
                        .unwrap_or_default();
                    (k.clone(), ids)
                })
                .collect(),
            _ => Vec::new(),
        };
        DopingGraph {
            basemats: map("basemats"),
            dopants: map("dopants"),
            results: map("results"),
            modifiers,
            links,
        }
    }

    fn lookup<'a>(entries: &'a [(String, String)], id: &str) -> Option<&'a str> {
        entries.iter().find(|(k, _)| k == id).map(|(_, v)| v.as_str())
    }
}

fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The paper's decoder of English answers (`decode_entities_from_llm_completion`), quirks kept:
/// a dopant line with no host wipes the sentence's links, quotes are split on `'`.
pub fn decode_english(text: &str) -> DopingGraph {
    let mut graph = DopingGraph::default();
    let text = text.trim();
    if text.is_empty() || text.contains("There is no doping information") {
        return graph;
    }
    let (mut results, mut modifiers) = (Vec::new(), Vec::new());
    for line in text.split('\n').filter(|l| !l.is_empty()) {
        let line = line.strip_suffix('.').unwrap_or(line);
        let mut statement = Statement::default();
        if line.contains("The host") && line.contains("was doped with") {
            let parts: Vec<&str> = line.split("was doped with").collect();
            if parts.len() != 2 {
                return graph;
            }
            let mut left = quoted_parts(parts[0], true);
            let mut right = quoted_parts(parts[1], false);
            if left.is_empty() || right.is_empty() {
                return graph;
            }
            if left.len() != 1 {
                left = vec![left.join(" ")];
            } else if right.len() != 1 {
                right = vec![right.join(" ")];
            }
            statement.basemat = left.into_iter().next();
            statement.dopant = right.into_iter().next();
        } else if line.contains("The host") && line.contains("was doped") {
            let left = line.split("was doped").next().unwrap_or_default();
            statement.basemat = Some(quoted_parts(left, true).join(" "));
        } else if line.contains("is a dopant") {
            let pieces: Vec<&str> = line.split("is a dopant").collect();
            let left = pieces[..pieces.len() - 1].concat();
            statement.dopant = Some(quoted_parts(&left, false).join(" "));
        } else if line.contains("is a likely solid solution") {
            let left = line.split("is a likely solid solution").next().unwrap_or_default();
            results.push(quoted_parts(left, false).join(" "));
            continue;
        } else if line.contains("Modifiers of the doping are") {
            let right = line.split_once("Modifiers of the doping are:").map_or("", |(_, r)| r);
            modifiers.extend(
                right
                    .split('\'')
                    .map(str::trim)
                    .filter(|s| s.chars().count() > 1)
                    .map(String::from),
            );
            continue;
        } else {
            continue;
        }
        graph.add(statement);
    }
    graph.results = results
        .into_iter()
        .filter(|r| !r.is_empty())
        .enumerate()
        .map(|(i, r)| (format!("r{i}"), r))
        .collect();
    graph.modifiers = modifiers;
    graph
}

#[derive(Default)]
struct Statement {
    basemat: Option<String>,
    dopant: Option<String>,
}

/// Pieces between quotes, trimmed and non-empty; on the host side pieces naming "The host" go.
fn quoted_parts(side: &str, host_side: bool) -> Vec<String> {
    side.split('\'')
        .map(str::trim)
        .filter(|p| !(p.is_empty() || host_side && p.contains("The host")))
        .map(String::from)
        .collect()
}

impl DopingGraph {
    fn add(&mut self, statement: Statement) {
        let basemat = statement.basemat.filter(|b| !b.is_empty());
        let dopant = statement.dopant.filter(|d| !d.is_empty());
        let bid = basemat.map(|b| Self::id_for(&mut self.basemats, b, 'b'));
        let did = dopant.map(|d| Self::id_for(&mut self.dopants, d, 'd'));
        match (bid, did) {
            (Some(bid), Some(did)) => match self.links.iter_mut().find(|(d, _)| *d == did) {
                Some((_, hosts)) => hosts.push(bid),
                None => self.links.push((did, vec![bid])),
            },
            // The decoder sets the whole link map to [] here, which scoring reads as no links.
            (None, Some(did)) if !self.links.iter().any(|(d, _)| *d == did) => self.links.clear(),
            _ => {}
        }
    }

    /// The id of `text` among `entries`, adding it with the next counter id if new.
    fn id_for(entries: &mut Vec<(String, String)>, text: String, prefix: char) -> String {
        if let Some((id, _)) = entries.iter().rev().find(|(_, v)| *v == text) {
            return id.clone();
        }
        let id = format!("{prefix}{}", entries.len());
        entries.push((id.clone(), text));
        id
    }
}

/// The training completion for a gold sentence (`llm_completion_from_sentence_json` with no stop
/// token): leading space, then the English lines or the JSON with one-space indent.
pub fn gold_completion(sentence: &Json, schema: DopingSchema) -> String {
    let extra = schema == DopingSchema::EnglishExtra;
    if schema == DopingSchema::Json {
        let keys = ["basemats", "dopants", "dopants2basemats"];
        let mut sub = Map::new();
        if let Json::Object(map) = sentence {
            for (k, v) in map.iter().filter(|(k, _)| keys.contains(&k.as_str())) {
                sub.insert(k.clone(), v.clone());
            }
        }
        return format!(
            " {}",
            json_style::write(&Json::Object(sub), JsonStyle::PythonIndent1, true)
        );
    }
    let graph = DopingGraph::from_json(sentence);
    let mut out = String::new();
    let mut hosts_left: Vec<&(String, String)> = graph.basemats.iter().collect();
    let mut dopants_left: Vec<&(String, String)> = graph.dopants.iter().collect();
    for (did, bids) in &graph.links {
        let dopant = DopingGraph::lookup(&graph.dopants, did).unwrap_or_default();
        for bid in bids {
            let host = DopingGraph::lookup(&graph.basemats, bid).unwrap_or_default();
            out.push_str(&format!("The host '{host}' was doped with '{dopant}'.\n"));
            hosts_left.retain(|(id, _)| id != bid);
        }
        dopants_left.retain(|(id, _)| id != did);
    }
    for (_, host) in hosts_left {
        out.push_str(&format!("The host '{host}' was doped.\n"));
    }
    for (_, dopant) in dopants_left {
        out.push_str(&format!("'{dopant}' is a dopant.\n"));
    }
    if extra {
        for (_, result) in &graph.results {
            out.push_str(&format!("'{result}' is a likely solid solution.\n"));
        }
        if !graph.modifiers.is_empty() {
            let quoted: Vec<String> = graph.modifiers.iter().map(|m| format!("'{m}'")).collect();
            out.push_str(&format!("Modifiers of the doping are: {}.\n", quoted.join(", ")));
        }
    }
    if out.is_empty() {
        out = "There is no doping information.\n".into();
    }
    format!(" {out}")
}

/// The gold sentence with its hosts' and dopants' names lowercased, as the NERRE scorer's
/// `--enforce-lowercase` does (for models that write lowercase, such as seq2rel).
pub fn lowercase_entities(sentence: &Json) -> Json {
    let mut out = sentence.clone();
    for key in ["basemats", "dopants"] {
        if let Some(Json::Object(map)) = out.get_mut(key) {
            for value in map.values_mut() {
                if let Json::String(s) = value {
                    *s = s.to_lowercase();
                }
            }
        }
    }
    out
}

/// Precision, recall and F1 of one category.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DopingScores {
    /// basemats, dopants (and for English-extra results, doping_modifiers); no scores for a
    /// category with no word in gold or prediction.
    pub categories: Vec<(String, Option<Prf>)>,
    /// No scores when neither side has a triplet.
    pub triplets: Option<Prf>,
    pub sequences: usize,
    /// The whole-sequence measures; no values over no sentences.
    pub parsable: Option<f64>,
    pub exact: Option<f64>,
    pub jaro_winkler: Option<f64>,
}

/// One scored sentence: the gold graph and completion, the predicted graph and raw completion.
pub struct DopingPair {
    pub gold: DopingGraph,
    pub gold_completion: String,
    pub pred: DopingGraph,
    pub pred_completion: String,
}

pub fn score(pairs: &[DopingPair], schema: DopingSchema) -> DopingScores {
    let mut names = vec!["basemats", "dopants"];
    if schema == DopingSchema::EnglishExtra {
        names.extend(["results", "doping_modifiers"]);
    }
    let mut counts = vec![(0usize, 0usize, 0usize); names.len()];
    let (mut correct, mut retrieved, mut relevant) = (0usize, 0usize, 0usize);
    let (mut parsable, mut exact, mut jw) = (0usize, 0usize, 0.0f64);
    for pair in pairs {
        for (i, name) in names.iter().enumerate() {
            let (tp, fp, fn_) = word_counts(&category_words(&pair.gold, name), &category_words(&pair.pred, name));
            counts[i].0 += tp;
            counts[i].1 += fp;
            counts[i].2 += fn_;
        }
        let gold_triplets = triplets(&pair.gold);
        let pred_triplets = triplets(&pair.pred);
        correct += gold_triplets.iter().filter(|t| pred_triplets.contains(t)).count();
        retrieved += pred_triplets.len();
        relevant += gold_triplets.len();
        if matches!(pair.pred_completion.chars().last(), Some('}' | '.' | '\n')) {
            parsable += 1;
        }
        exact += usize::from(pair.gold_completion == pair.pred_completion);
        jw += jaro_winkler(&pair.gold_completion, &pair.pred_completion, false);
    }
    let categories = names
        .iter()
        .zip(counts)
        .map(|(name, (tp, fp, fn_))| {
            let (tp, fp, fn_) = (tp as f64, fp as f64, fn_ as f64);
            let precision = if tp + fp == 0.0 { 0.0 } else { tp / (tp + fp) };
            let recall = if tp + fn_ == 0.0 { 0.0 } else { tp / (tp + fn_) };
            let f1 = if tp == 0.0 { 0.0 } else { tp / (tp + 0.5 * (fp + fn_)) };
            let prf = (tp + fp + fn_ > 0.0).then_some(Prf { precision, recall, f1 });
            (name.to_string(), prf)
        })
        .collect();
    let p = if retrieved == 0 {
        0.0
    } else {
        correct as f64 / retrieved as f64
    };
    let r = if relevant == 0 {
        0.0
    } else {
        correct as f64 / relevant as f64
    };
    let f1 = if p == 0.0 || r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    let n = pairs.len() as f64;
    DopingScores {
        categories,
        triplets: (retrieved + relevant > 0).then_some(Prf {
            precision: p,
            recall: r,
            f1,
        }),
        sequences: pairs.len(),
        parsable: super::share(parsable as f64, n),
        exact: super::share(exact as f64, n),
        jaro_winkler: super::share(jw, n),
    }
}

fn category_words(graph: &DopingGraph, name: &str) -> Vec<String> {
    let texts: Vec<&str> = match name {
        "basemats" => graph.basemats.iter().map(|(_, v)| v.as_str()).collect(),
        "dopants" => graph.dopants.iter().map(|(_, v)| v.as_str()).collect(),
        "results" => graph.results.iter().map(|(_, v)| v.as_str()).collect(),
        _ => graph.modifiers.iter().map(String::as_str).collect(),
    };
    texts
        .join(" ")
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// (true positives, false positives, false negatives) by list membership, as the script counts.
fn word_counts(gold: &[String], pred: &[String]) -> (usize, usize, usize) {
    let tp = gold.iter().filter(|w| pred.contains(w)).count();
    let fp = pred.iter().filter(|w| !gold.contains(w)).count();
    (tp, fp, gold.len() - tp)
}

/// `"{host word} {dopant word}"` for every linked pair, duplicates kept.
fn triplets(graph: &DopingGraph) -> Vec<String> {
    let mut out = Vec::new();
    for (did, bids) in &graph.links {
        let dopant = DopingGraph::lookup(&graph.dopants, did).unwrap_or_default();
        for bid in bids {
            let host = DopingGraph::lookup(&graph.basemats, bid).unwrap_or_default();
            for h in host.split(' ').filter(|w| !w.is_empty()) {
                for d in dopant.split(' ').filter(|w| !w.is_empty()) {
                    out.push(format!("{h} {d}"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoder_quirk_wipes_links() {
        let g = decode_english(" The host 'ZnO' was doped with 'Al'.\n'Ga' is a dopant.\n");
        assert_eq!(g.dopants.len(), 2);
        assert!(g.links.is_empty());
        let g = decode_english(" The host 'ZnO' was doped with 'Al'.\nThe host 'ZnO' was doped with 'Ga'.\n");
        assert_eq!(g.basemats, vec![("b0".to_string(), "ZnO".to_string())]);
        assert_eq!(g.links.len(), 2);
    }

    #[test]
    fn gold_completion_matches_the_training_text() {
        let sentence: Json = serde_json::from_str(
            r#"{"basemats": {"b0": "SrLaMgTaO6"}, "dopants": {"d0": "trivalent erbium"}, "results": {}, "dopants2basemats": {"d0": ["b0"]}, "doping_modifiers": ["1–20mol%"]}"#,
        )
        .unwrap();
        assert_eq!(
            gold_completion(&sentence, DopingSchema::English),
            " The host 'SrLaMgTaO6' was doped with 'trivalent erbium'.\n"
        );
        assert_eq!(
            gold_completion(&sentence, DopingSchema::EnglishExtra),
            " The host 'SrLaMgTaO6' was doped with 'trivalent erbium'.\nModifiers of the doping are: '1–20mol%'.\n"
        );
        assert!(gold_completion(&sentence, DopingSchema::Json).starts_with(" {\n \"basemats\": {\n  \"b0\""));
    }
}
