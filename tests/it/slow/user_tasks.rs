//! A user's own task from nothing: scaffold → check → extract against the real llama.cpp server →
//! eval with the generic measures → import and export, for a records task and a flat one; the
//! scaffold from gold answers; and broken task files, each problem named with line and column.

use crate::common;

use std::path::Path;

const PARAGRAPHS: [(&str, &str, &str); 3] = [
    (
        "p1",
        "Polystyrene (PS) was dissolved in THF and cast into films; its Tg was 105 °C.",
        r#"[{"polymer": "Polystyrene", "tg": "105 °C", "solvents": ["THF"]}]"#,
    ),
    (
        "p2",
        "PMMA films cast from toluene showed a glass transition at 120 °C, and PVC at 80 °C.",
        r#"[{"polymer": "PMMA", "tg": "120 °C", "solvents": ["toluene"]}, {"polymer": "PVC", "tg": "80 °C", "solvents": []}]"#,
    ),
    (
        "p3",
        "Poly(lactic acid) dissolved in chloroform had a Tg of 60 °C.",
        r#"[{"polymer": "Poly(lactic acid)", "tg": "60 °C", "solvents": ["chloroform"]}]"#,
    ),
];

fn retort(dir: &Path, args: &[&str]) -> std::process::Output {
    common::retort_in(dir).args(args).output().unwrap()
}

fn ok(output: std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `retort eval --format json` of `pred` against `gold` (a path, or `saved`).
fn eval_json(dir: &Path, task: &str, gold: &str, pred: &str) -> serde_json::Value {
    let report = ok(retort(
        dir,
        &[
            "eval", "--task", task, "--gold", gold, "--pred", pred, "--format", "json",
        ],
    ));
    serde_json::from_str(&report).unwrap()
}

/// Gold JSONL `{"id", "text", "answer"}`; `flat` keeps each answer's first record as an object.
fn write_gold(dir: &Path, flat: bool) -> std::path::PathBuf {
    let lines: Vec<String> = PARAGRAPHS
        .iter()
        .map(|(id, text, answer)| {
            let mut answer: serde_json::Value = serde_json::from_str(answer).unwrap();
            if flat {
                answer = answer[0].clone();
                answer.as_object_mut().unwrap().remove("solvents");
            }
            serde_json::json!({"id": id, "text": text, "answer": answer}).to_string()
        })
        .collect();
    let path = dir.join(if flat { "gold-flat.jsonl" } else { "gold.jsonl" });
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn five_commands(dir: &Path, server: &str, task: &str, fields: &[&str], records: bool) {
    common::write_models(
        dir,
        &format!(
            "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"{server}\"\nmode = \"zero-shot\"\nmax_tokens = 200\nstructured = \"llama-cpp\"\n"
        ),
    );
    let gold = write_gold(dir, !records);
    // 1. The scaffold.
    let mut new = vec!["tasks", "new", task];
    for field in fields {
        new.extend(["--field", field]);
    }
    if records {
        new.push("--records");
    }
    ok(retort(dir, &new));
    let file = dir.join(format!("config/tasks/{task}.toml"));
    // 2. The check, with the gold answers as examples.
    ok(retort(
        dir,
        &[
            "tasks",
            "check",
            file.to_str().unwrap(),
            "--examples",
            gold.to_str().unwrap(),
        ],
    ));
    // 3. Extraction against the real server: the schema constrains the replies, which parse.
    let output = dir.join("out.jsonl");
    common::assert_extracted(&retort(
        dir,
        &[
            "extract",
            "--task",
            task,
            "--model",
            "smol",
            "--concurrency",
            "1",
            "--input",
            gold.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ],
    ));
    let lines = common::read_jsonl(&output);
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l["error"].is_null()), "{lines:?}");
    // The tiny model may loop until max_tokens: a finished reply parses (the schema constrained
    // it), a cut one is kept with its parse error and marked incomplete.
    for line in &lines {
        match line["finish_reason"].as_str() {
            Some("stop") => assert!(line["extraction"].is_object(), "{line}"),
            _ => assert!(line["incomplete"] == true && line["parse_error"].is_object(), "{line}"),
        }
    }
    assert!(lines.iter().any(|l| l["extraction"].is_object()), "{lines:?}");
    // 4. Scored with the generic measures.
    let report = eval_json(dir, task, gold.to_str().unwrap(), output.to_str().unwrap());
    let f1 = report["tables"]["fields (micro over paragraphs)"]["all fields"]["f1"].as_f64();
    assert!(f1.is_some_and(|f| (0.0..=1.0).contains(&f)), "{report}");
    assert!(report["tables"]["records"]["records"]["f1"].is_number(), "{report}");
    // Gold against itself through the same command: 1.
    let gold_as_pred = dir.join("gold-as-pred.jsonl");
    let pred_lines: Vec<String> = common::read_jsonl(&gold)
        .iter()
        .map(|g| serde_json::json!({"id": g["id"], "raw": g["answer"].to_string()}).to_string())
        .collect();
    std::fs::write(&gold_as_pred, pred_lines.join("\n")).unwrap();
    let perfect = eval_json(dir, task, gold.to_str().unwrap(), gold_as_pred.to_str().unwrap());
    assert_eq!(
        perfect["tables"]["fields (micro over paragraphs)"]["all fields"]["f1"], 1.0,
        "{perfect}"
    );
    assert_eq!(perfect["tables"]["paragraphs"]["exact match"]["value"], 1.0);
    // 5. Into the saved examples and out as training data; the saved examples are gold too.
    ok(retort(dir, &["import", "--task", task, gold.to_str().unwrap()]));
    let export = dir.join("export");
    ok(retort(
        dir,
        &[
            "export",
            "--task",
            task,
            "--to",
            export.to_str().unwrap(),
            "--style",
            "chat",
        ],
    ));
    assert_eq!(common::read_jsonl(&export.join("train.chat.jsonl")).len(), 3);
    let saved = eval_json(dir, task, "saved", gold_as_pred.to_str().unwrap());
    assert_eq!(
        saved["tables"]["fields (micro over paragraphs)"]["all fields"]["f1"], 1.0,
        "{saved}"
    );
}

#[test]
fn a_records_task_and_a_flat_task_from_nothing_to_scored_and_exported() {
    let server = common::LlamaServer::get(18396);
    let records = tempfile::tempdir().unwrap();
    five_commands(
        records.path(),
        &server.url,
        "polymer-tg",
        &["polymer", "tg", "solvents:list"],
        true,
    );
    let flat = tempfile::tempdir().unwrap();
    five_commands(flat.path(), &server.url, "polymer-one", &["polymer", "tg"], false);
}

#[test]
fn the_scaffold_takes_its_fields_from_gold_answers() {
    let dir = tempfile::tempdir().unwrap();
    let gold = write_gold(dir.path(), false);
    ok(retort(
        dir.path(),
        &["tasks", "new", "from-gold", "--from", gold.to_str().unwrap()],
    ));
    let text = std::fs::read_to_string(dir.path().join("config/tasks/from-gold.toml")).unwrap();
    let task = retort::task::Task::from_toml(&text).unwrap();
    let fields: Vec<(&str, bool)> = task.fields.iter().map(|f| (f.name.as_str(), f.list)).collect();
    assert_eq!(fields, [("polymer", false), ("tg", false), ("solvents", true)]);
    assert_eq!(task.metrics, retort::task::MetricSet::Generic);
    assert!(text.contains("top = \"list\""));
    // The task lists and its examples check clean.
    let listed = ok(retort(dir.path(), &["tasks"]));
    assert!(listed.contains("from-gold"), "{listed}");
    ok(retort(
        dir.path(),
        &[
            "tasks",
            "check",
            dir.path().join("config/tasks/from-gold.toml").to_str().unwrap(),
            "--examples",
            gold.to_str().unwrap(),
        ],
    ));
}

/// Runs `retort tasks check` on `text` (and examples) and returns its problem lines.
fn problems(dir: &Path, text: &str, examples: Option<&str>) -> Vec<String> {
    let file = dir.join("task.toml");
    std::fs::write(&file, text).unwrap();
    let mut args = vec!["tasks".to_string(), "check".into(), file.display().to_string()];
    if let Some(examples) = examples {
        let path = dir.join("examples.jsonl");
        std::fs::write(&path, examples).unwrap();
        args.extend(["--examples".into(), path.display().to_string()]);
    }
    let output = common::retort_in(dir).args(&args).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn broken_task_files_are_named_precisely() {
    let dir = tempfile::tempdir().unwrap();
    ok(retort(
        dir.path(),
        &["tasks", "new", "good", "--field", "polymer", "--field", "tg"],
    ));
    let good = std::fs::read_to_string(dir.path().join("config/tasks/good.toml")).unwrap();
    let line_of = |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;

    // Not TOML: the line of the broken key.
    let broken = good.replace("title = ", "title = = ");
    let found = problems(dir.path(), &broken, None);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(&format!("task.toml:{}:", line_of(&broken, "title = = "))),
        "{found:?}"
    );

    // The schema is not JSON: the line inside the schema.
    let broken = good.replace("\"type\": \"string\"\n", "\"type\": \"string\",,\n");
    let found = problems(dir.path(), &broken, None);
    assert!(found[0].contains("the schema is not JSON"), "{found:?}");
    assert!(
        found[0].contains(&format!("task.toml:{}:", line_of(&broken, ",,"))),
        "{found:?}"
    );

    // The schema does not compile.
    let broken = good.replace("\"type\": \"object\"", "\"type\": 12");
    let found = problems(dir.path(), &broken, None);
    assert!(found.iter().any(|p| p.contains("does not compile")), "{found:?}");

    // A template without its placeholder: named with its key's line.
    let broken = good.replace("user = \"{input}\"", "user = \"no placeholder\"");
    let found = problems(dir.path(), &broken, None);
    assert!(found[0].contains("prompt.fine_tuned.user has no {input}"), "{found:?}");
    assert!(
        found[0].contains(&format!("task.toml:{}:", line_of(&broken, "no placeholder"))),
        "{found:?}"
    );

    // Examples: one that does not parse, one written differently from its canonical text, one
    // that breaks the schema; each with its line.
    let examples = [
        r#"{"id": "a", "text": "PS", "answer": "{\"polymer\": \"PS\", "}"#,
        r#"{"id": "b", "text": "PS", "answer": "{\"polymer\":\"PS\",\"tg\":\"1\"}"}"#,
        r#"{"id": "c", "text": "PS", "answer": {"polymer": "PS", "tg": "1", "extra": "x"}}"#,
    ]
    .join("\n");
    let found = problems(dir.path(), &good, Some(&examples));
    assert!(
        found
            .iter()
            .any(|p| p.contains("examples.jsonl:1:") && p.contains("does not parse")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("examples.jsonl:2:") && p.contains("re-render")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("examples.jsonl:3:") && p.contains("schema")),
        "{found:?}"
    );
}

/// A schema that is JSON but does not compile is reported wherever tasks load, and no run uses
/// the task as if it were constrained.
#[test]
fn a_schema_that_does_not_compile_is_reported_everywhere_and_not_used() {
    let dir = tempfile::tempdir().unwrap();
    ok(retort(
        dir.path(),
        &["tasks", "new", "good", "--field", "polymer", "--field", "tg"],
    ));
    let file = dir.path().join("config/tasks/good.toml");
    let broken = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"type\": \"object\"", "\"type\": 12");
    std::fs::write(&file, broken).unwrap();

    let listed = retort(dir.path(), &["tasks"]);
    let warning = String::from_utf8_lossy(&listed.stderr);
    assert!(
        warning.contains("good.toml") && warning.contains("the schema does not compile"),
        "{warning}"
    );
    assert!(
        !String::from_utf8_lossy(&listed.stdout).contains("good"),
        "not listed as usable"
    );

    let corpus = dir.path().join("corpus.jsonl");
    std::fs::write(&corpus, "{\"id\":\"p1\",\"text\":\"PS had a Tg of 100 °C.\"}\n").unwrap();
    let run = retort(
        dir.path(),
        &[
            "extract",
            "--task",
            "good",
            "--model",
            "default",
            "--input",
            corpus.to_str().unwrap(),
            "--output",
            "-",
        ],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the schema does not compile") && stderr.contains("unknown task"),
        "{stderr}"
    );
}
