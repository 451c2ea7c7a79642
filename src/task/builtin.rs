//! The built-in tasks, embedded from `builtin/*.toml` (the same shape as user task files).

pub const FILES: &[(&str, &str)] = &[
    ("compound", include_str!("builtin/compound.toml")),
    ("rxn-product", include_str!("builtin/rxn-product.toml")),
    ("rxn-role", include_str!("builtin/rxn-role.toml")),
    ("mof-synthesis", include_str!("builtin/mof-synthesis.toml")),
    ("nmr", include_str!("builtin/nmr.toml")),
    ("action", include_str!("builtin/action.toml")),
    ("doping-eng", include_str!("builtin/doping-eng.toml")),
    ("doping-engextra", include_str!("builtin/doping-engextra.toml")),
    ("doping-json", include_str!("builtin/doping-json.toml")),
    ("general-materials", include_str!("builtin/general-materials.toml")),
    ("mof-nerre", include_str!("builtin/mof-nerre.toml")),
];

/// Worked examples shipped for each built-in task (JSONL: `source`, `paragraph`, `answer`), used
/// for few-shot prompts until the user has saved examples of the task. Picked from the papers'
/// MIT-licensed training files by `cargo run --example shipped_examples`.
const SHIPPED: &[(&str, &str)] = &[
    ("compound", include_str!("builtin/examples/compound.jsonl")),
    ("rxn-product", include_str!("builtin/examples/rxn-product.jsonl")),
    ("rxn-role", include_str!("builtin/examples/rxn-role.jsonl")),
    ("mof-synthesis", include_str!("builtin/examples/mof-synthesis.jsonl")),
    ("nmr", include_str!("builtin/examples/nmr.jsonl")),
    ("action", include_str!("builtin/examples/action.jsonl")),
    ("doping-eng", include_str!("builtin/examples/doping-eng.jsonl")),
    (
        "doping-engextra",
        include_str!("builtin/examples/doping-engextra.jsonl"),
    ),
    ("doping-json", include_str!("builtin/examples/doping-json.jsonl")),
    (
        "general-materials",
        include_str!("builtin/examples/general-materials.jsonl"),
    ),
    ("mof-nerre", include_str!("builtin/examples/mof-nerre.jsonl")),
];

/// A built-in task's shipped worked examples: (paragraph, answer) pairs and where they are from.
#[derive(Debug, Clone, PartialEq)]
pub struct ShippedExamples {
    /// E.g. `from the papers' training file chemsci2024/compound/train_1000.csv, MIT licence`.
    pub collection: String,
    pub shots: Vec<(String, String)>,
}

#[derive(serde::Deserialize)]
struct ShippedLine {
    source: String,
    paragraph: String,
    answer: String,
}

pub fn shipped_examples(task: &str) -> Option<ShippedExamples> {
    let (_, text) = SHIPPED.iter().find(|(name, _)| *name == task)?;
    let lines: Vec<ShippedLine> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let file = lines.first()?.source.split('#').next().unwrap_or_default().to_string();
    Some(ShippedExamples {
        collection: format!("from the papers' training file {file}, MIT licence"),
        shots: lines.into_iter().map(|l| (l.paragraph, l.answer)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::Registry;

    #[test]
    fn every_builtin_loads_with_its_file_name() {
        let registry = Registry::builtin();
        assert_eq!(registry.tasks.len(), super::FILES.len());
        for (name, _) in super::FILES {
            assert!(registry.get(name).is_some(), "{name}");
        }
    }

    #[test]
    fn every_builtin_ships_worked_examples_that_parse_and_ground() {
        let registry = Registry::builtin();
        for (name, text) in super::SHIPPED {
            let task = registry.get(name).unwrap();
            let shipped = super::shipped_examples(name).unwrap();
            assert_eq!(shipped.shots.len(), text.lines().count(), "{name}: every line reads");
            assert!((3..=5).contains(&shipped.shots.len()), "{name}: a handful");
            for (paragraph, answer) in &shipped.shots {
                let extraction = task.parse_grounded(answer, paragraph).unwrap();
                let lost = extraction
                    .values()
                    .iter()
                    .filter(|(_, v)| matches!(v.alignment, crate::extraction::Alignment::Unaligned))
                    .count();
                assert_eq!(lost, 0, "{name}: a shipped value is not in its paragraph");
            }
        }
        assert_eq!(
            super::SHIPPED.len(),
            super::FILES.len(),
            "every built-in task ships examples"
        );
    }
}
