//! Picks the worked examples Retort ships for each built-in task (`src/task/builtin/examples/`),
//! used for few-shot prompts until the user has saved examples of their own. They come from the
//! papers' MIT-licensed training files in `../shared/data`:
//!
//!     cargo run --example shipped_examples
//!
//! Per task, greedily: the gold answer parses, every value (empty ones too) is found in the
//! paragraph, the
//! paragraph is short (the prompt stays small for a small model), and each pick adds the most
//! fields not yet shown; then more values (a richer example), then the shorter paragraph.

use retort::extraction::{Alignment, Extraction, Field, FieldContent};
use retort::input::read_examples;
use retort::task::Registry;
use serde_json::json;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

const PER_TASK: usize = 4;
const SHORT: usize = 900;

const SOURCES: &[(&str, &str)] = &[
    ("compound", "chemsci2024/compound/train_1000.csv"),
    ("rxn-product", "chemsci2024/rxn-product/train.csv"),
    ("rxn-role", "chemsci2024/rxn-role/train.csv"),
    ("mof-synthesis", "chemsci2024/mof-synthesis/train_329.csv"),
    ("nmr", "chemsci2024/nmr/train_300.csv"),
    ("action", "chemsci2024/action/train_80.csv"),
    ("doping-eng", "natcomm2024/doping/train.json"),
    ("doping-engextra", "natcomm2024/doping/train.json"),
    ("doping-json", "natcomm2024/doping/train.json"),
    ("general-materials", "natcomm2024/general/fold_0/train.jsonl"),
    ("mof-nerre", "natcomm2024/mof/fold_0/train.jsonl"),
];

struct Candidate {
    source: String,
    paragraph: String,
    answer: String,
    fields: BTreeSet<String>,
    values: usize,
}

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("../shared/data");
    let out_dir = root.join("src/task/builtin/examples");
    std::fs::create_dir_all(&out_dir)?;
    let registry = Registry::builtin();
    for (name, file) in SOURCES {
        let task = registry.get(name).ok_or_else(|| anyhow::anyhow!("no task {name}"))?;
        let (examples, _) = read_examples(&data.join(file), task)?;
        let missing: BTreeSet<String> = task.fields.iter().filter_map(|f| f.missing.clone()).collect();
        let candidates: Vec<Candidate> = examples
            .into_iter()
            .filter_map(|e| {
                let answer = e.gold?;
                let extraction = task.parse_grounded(&answer, &e.input).ok()?;
                let (fields, values) = grounded_fields(&extraction, &missing)?;
                Some(Candidate {
                    source: format!("{file}#{}", e.id),
                    paragraph: e.input,
                    answer,
                    fields,
                    values,
                })
            })
            .collect();
        let picked = pick(candidates);
        let path: PathBuf = out_dir.join(format!("{name}.jsonl"));
        let mut out = std::fs::File::create(&path)?;
        for c in &picked {
            let line = json!({"source": c.source, "paragraph": c.paragraph, "answer": c.answer});
            writeln!(out, "{line}")?;
        }
        let covered: BTreeSet<&String> = picked.iter().flat_map(|c| &c.fields).collect();
        println!("{name}: {} examples, fields {covered:?}", picked.len());
    }
    Ok(())
}

/// The fields holding a present value (nested ones as `outer/inner`) and how many values, or
/// `None` when a value is not found in the paragraph (a worked example should be grounded).
fn grounded_fields(extraction: &Extraction, missing: &BTreeSet<String>) -> Option<(BTreeSet<String>, usize)> {
    let mut fields = BTreeSet::new();
    let mut values = 0;
    for record in &extraction.records {
        for field in &record.fields {
            collect(field, "", missing, &mut fields, &mut values)?;
        }
    }
    (values > 0).then_some((fields, values))
}

fn collect(
    field: &Field,
    outer: &str,
    missing: &BTreeSet<String>,
    fields: &mut BTreeSet<String>,
    values: &mut usize,
) -> Option<()> {
    let name = if outer.is_empty() {
        field.name.clone()
    } else {
        format!("{outer}/{}", field.name)
    };
    match &field.content {
        FieldContent::Values(list) => {
            for value in list {
                if matches!(value.alignment, Alignment::Unaligned) {
                    return None;
                }
                if !value.text.trim().is_empty() && !missing.contains(value.text.trim()) {
                    fields.insert(name.clone());
                    *values += 1;
                }
            }
        }
        FieldContent::Records(records) => {
            for record in records {
                for inner in &record.fields {
                    collect(inner, &name, missing, fields, values)?;
                }
            }
        }
    }
    Some(())
}

fn pick(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    if candidates
        .iter()
        .filter(|c| c.paragraph.chars().count() <= SHORT)
        .count()
        >= PER_TASK
    {
        candidates.retain(|c| c.paragraph.chars().count() <= SHORT);
    }
    let mut covered = BTreeSet::new();
    let mut picked = Vec::new();
    while picked.len() < PER_TASK && !candidates.is_empty() {
        let best = (0..candidates.len())
            .max_by_key(|&i| {
                let c = &candidates[i];
                let new = c.fields.difference(&covered).count();
                (
                    new,
                    c.values.min(8),
                    std::cmp::Reverse(c.paragraph.len()),
                    std::cmp::Reverse(i),
                )
            })
            .expect("candidates is not empty");
        let chosen = candidates.remove(best);
        covered.extend(chosen.fields.iter().cloned());
        picked.push(chosen);
    }
    picked
}
