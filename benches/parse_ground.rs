//! Parse + ground of a ~2 kB paragraph's extraction (goal: median < 200 µs), per format.

use criterion::{Criterion, criterion_group, criterion_main};
use retort::task::Registry;
use std::hint::black_box;

/// (task, paragraph, answer) from the bundled samples, the paragraph padded to about 2 kB with
/// its own text so that the answer still grounds.
fn samples() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for task in ["mof-synthesis", "nmr", "compound", "general-materials", "rxn-role"] {
        let path = format!("{}/sample_paragraphs/{task}.jsonl", env!("CARGO_MANIFEST_DIR"));
        let line = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let mut text = value["text"].as_str().unwrap().to_string();
        let original = text.clone();
        while text.len() < 2000 && task != "rxn-role" {
            text.push(' ');
            text.push_str(&original);
        }
        out.push((task.to_string(), text, value["gold"].as_str().unwrap().to_string()));
    }
    out
}

fn parse_and_ground(c: &mut Criterion) {
    let registry = Registry::builtin();
    for (task_name, paragraph, answer) in samples() {
        let task = registry.get(&task_name).unwrap();
        c.bench_function(
            &format!("parse+ground {task_name} ({} B paragraph)", paragraph.len()),
            |b| b.iter(|| task.parse_grounded(black_box(&answer), black_box(&paragraph)).unwrap()),
        );
    }
}

criterion_group!(benches, parse_and_ground);
criterion_main!(benches);
