//! The `retort` binary end to end: commands, output formats, and clear errors on bad input.

use crate::common;

use std::path::Path;
use std::process::Output;

fn retort(args: &[&str], state: &Path) -> Output {
    common::retort_in(state).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn eval_json_output_carries_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let gold = common::data("natcomm2024/doping/test.json");
    let pred = common::data("natcomm2024/doping/predictions/gpt3/inference_decoded_eng.json");
    let out = retort(
        &[
            "eval",
            "--task",
            "doping-eng",
            "--gold",
            gold.to_str().unwrap(),
            "--pred",
            pred.to_str().unwrap(),
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f1 = json["tables"]["entities (word level, micro)"]["link triplets"]["f1"]
        .as_f64()
        .unwrap();
    assert!((f1 - 0.7782805429864253).abs() < 1e-9, "{f1}");
    assert_eq!(json["counts"]["sentences"], 77);
    // The log went to the state directory, not the terminal.
    assert!(dir.path().join("state/retort.log").exists());
}

#[test]
fn eval_csv_output() {
    let dir = tempfile::tempdir().unwrap();
    let pred = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_paragraphs/eval/general-materials-gpt3.jsonl");
    let out = retort(
        &[
            "eval",
            "--task",
            "general-materials",
            "--pred",
            pred.to_str().unwrap(),
            "--format",
            "csv",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("source,table,row,column,value\n"));
    assert!(
        stdout.lines().any(|l| l.contains("formula|||applications,f1,")),
        "{stdout}"
    );
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn missing_column_names_file_line_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let pred = write(dir.path(), "pred.csv", "Paragraph,Actual\nx,y\n");
    let out = retort(&["eval", "--task", "compound", "--pred", &pred], dir.path());
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("pred.csv:1") && stderr.contains("Generated Text"),
        "{stderr}"
    );
}

#[test]
fn bad_lines_are_skipped_and_counted_or_fatal_when_strict() {
    let dir = tempfile::tempdir().unwrap();
    let gold = write(
        dir.path(),
        "gold.csv",
        "documentId,Paragraph,Compound\nD1,Ethanol and water,Ethanol | water\nD2,THF,THF\n",
    );
    let pred = write(
        dir.path(),
        "pred.jsonl",
        "{\"id\": \"D1\", \"raw\": \"Ethanol | water\"}\nnot json\n{\"id\": \"D9\", \"raw\": \"THF\"}\n",
    );
    let out = retort(
        &[
            "eval", "--task", "compound", "--gold", &gold, "--pred", &pred, "--format", "json",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["counts"]["paragraphs"], 1);
    assert_eq!(json["skipped"], 2);
    assert_eq!(
        json["tables"]["entities (macro over paragraphs)"]["compound"]["f1"],
        1.0
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("pred.jsonl:2") && stderr.contains("pred.jsonl:3") && stderr.contains("\"D9\""),
        "{stderr}"
    );

    let strict = retort(
        &[
            "eval", "--task", "compound", "--gold", &gold, "--pred", &pred, "--strict",
        ],
        dir.path(),
    );
    assert!(!strict.status.success());
    assert!(text(&strict.stderr).contains("pred.jsonl:2"));
}

#[test]
fn predictions_without_gold_ask_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let pred = write(dir.path(), "pred.jsonl", "{\"id\": \"D1\", \"raw\": \"x\"}\n");
    let out = retort(&["eval", "--task", "compound", "--pred", &pred], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--gold"), "{}", text(&out.stderr));
}

#[test]
fn unknown_task_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = retort(&["tasks", "show", "nope"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("mof-synthesis"));
}

#[test]
fn tasks_show_prints_a_loadable_task_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = retort(&["tasks", "show", "nmr"], dir.path());
    assert!(out.status.success());
    let task = retort::task::Task::from_toml(&text(&out.stdout)).unwrap();
    assert_eq!(task.name, "nmr");
    assert_eq!(task.fields.len(), 7);
}

#[test]
fn import_then_export_builds_fine_tuning_data() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::data("chemsci2024/action/test_10.csv");
    let out = retort(&["import", "--task", "action", file.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let to = dir.path().join("train.jsonl");
    let out = retort(
        &["export", "--task", "action", "--to", to.to_str().unwrap()],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = common::read_jsonl(&to);
    assert_eq!(lines.len(), 10);
    assert_eq!(
        lines[0]["messages"][2]["content"],
        "STIR for overnight at room temperature."
    );
}

#[test]
fn completions_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    let out = retort(&["completions", "bash"], dir.path());
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("retort"));
}

/// A profile whose server is down: the run stops before writing anything, names the URL, and
/// exits with its own status (4) instead of 0.
#[test]
fn extract_against_a_dead_endpoint_stops_loudly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", dead.local_addr().unwrap());
    drop(dead);
    common::write_models(
        dir.path(),
        &format!("[[model]]\nname = \"down\"\nengine = \"openai\"\nbase_url = \"{url}\"\nmodel = \"m\"\n"),
    );
    std::fs::write(dir.path().join("in.txt"), "Ethanol was added.\n\nTHF was added.\n").unwrap();
    let output = dir.path().join("out.jsonl");
    std::fs::write(&output, "{\"id\": \"kept\"}\n").unwrap();
    let started = std::time::Instant::now();
    let run = common::retort_in(dir.path())
        .args(["extract", "--task", "compound", "--model", "down", "--input"])
        .arg(dir.path().join("in.txt"))
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(&url) && stderr.contains("nothing was written"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "{\"id\": \"kept\"}\n");
    assert!(
        started.elapsed().as_secs() < 10,
        "no per-paragraph retries: {:?}",
        started.elapsed()
    );

    let unknown = common::retort_in(dir.path())
        .args([
            "extract", "--task", "polymer", "--model", "down", "--input", "x", "--output", "y",
        ])
        .output()
        .unwrap();
    assert_eq!(
        unknown.status.code(),
        Some(2),
        "a configuration error has its own status"
    );
}

#[test]
fn models_add_keeps_a_commented_models_toml_and_registers_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let original = "# My servers\n[[model]]\nname = \"lab\"   # the GPU box\nengine = \"openai\"\nbase_url = \"http://gpu:8000/v1\"\n";
    common::write_models(dir.path(), original);
    let added = common::retort_in(dir.path())
        .args([
            "models",
            "add",
            "mistral-compound",
            "--base-url",
            "http://gpu:8000/v1",
            "--model",
            "mistral-7b-compound",
            "--mode",
            "fine-tuned",
            "--task",
            "compound",
        ])
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let text = std::fs::read_to_string(dir.path().join("config/models.toml")).unwrap();
    assert!(text.starts_with(original), "comments and order kept:\n{text}");
    let profiles = retort::llm::profile::parse(&text).unwrap();
    let new = profiles.iter().find(|p| p.name == "mistral-compound").unwrap();
    assert_eq!(new.endpoints(), vec!["http://gpu:8000/v1"]);
    assert_eq!(new.model, "mistral-7b-compound");
    assert_eq!(new.mode, retort::llm::profile::Mode::FineTuned);
    assert_eq!(new.task.as_deref(), Some("compound"));
    // A GGUF; a taken name and an unknown task are configuration errors (exit 2).
    let gguf = common::retort_in(dir.path())
        .args([
            "models",
            "add",
            "local",
            "--gguf",
            "/models/m.gguf",
            "--mode",
            "few-shot",
        ])
        .output()
        .unwrap();
    assert!(gguf.status.success(), "{}", String::from_utf8_lossy(&gguf.stderr));
    let text = std::fs::read_to_string(dir.path().join("config/models.toml")).unwrap();
    let local = retort::llm::profile::parse(&text)
        .unwrap()
        .into_iter()
        .find(|p| p.name == "local")
        .unwrap();
    assert_eq!(local.engine.kind(), retort::llm::profile::EngineKind::Embedded);
    for args in [
        vec!["models", "add", "local", "--gguf", "/m.gguf", "--mode", "few-shot"],
        vec![
            "models", "add", "x", "--gguf", "/m.gguf", "--mode", "few-shot", "--task", "nope",
        ],
    ] {
        let refused = common::retort_in(dir.path()).args(&args).output().unwrap();
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("config/models.toml")).unwrap(),
        text
    );
}

#[test]
fn review_of_a_missing_file_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["review", "--task", "compound", "missing.jsonl"],
        vec!["review", "missing.jsonl"],
        vec!["review", "missing.jsonl", "--summary"],
    ] {
        let out = retort(&args, dir.path());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.matches("No such file").count(), 1, "{args:?}: {err}");
        assert!(err.contains("missing.jsonl: cannot read:"), "{args:?}: {err}");
        assert!(!err.contains(":0:"), "whole-file errors have no line: {err}");
    }
}

#[test]
fn one_bad_profile_is_named_and_the_others_stay_usable() {
    let dir = tempfile::tempdir().unwrap();
    common::write_models(
        dir.path(),
        "[[model]]\nname = \"mine\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n\n[[model]]\nname = \"broken\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmax_tokens = -5\n",
    );
    let out = retort(&["models"], dir.path());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(stdout.contains("mine"), "{stdout}");
    assert!(!stdout.contains("broken"), "{stdout}");
    assert!(
        stderr.contains("models.toml:10:") && stderr.contains("that profile is left out"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_task_is_exit_status_2_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    std::fs::write(&corpus, "{\"id\":\"a\",\"text\":\"x\"}\n").unwrap();
    let c = corpus.to_str().unwrap();
    let to = dir.path().join("out");
    let point = format!("m={c}");
    let commands: Vec<Vec<&str>> = vec![
        vec!["eval", "--task", "nope", "--pred", c],
        vec!["tasks", "show", "nope"],
        vec!["import", "--task", "nope", c],
        vec!["export", "--task", "nope", "--to", to.to_str().unwrap()],
        vec![
            "extract", "--task", "nope", "--model", "default", "--input", c, "--output", "-",
        ],
        vec!["curve", "--task", "nope", &point],
        vec!["review", "--task", "nope", c, "--summary"],
    ];
    for args in commands {
        let out = retort(&args, dir.path());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("nope"), "{args:?}: {err}");
    }
    let help = text(&retort(&["--help"], dir.path()).stdout);
    assert!(
        help.contains("Exit status, the same for every command") && help.contains("6 the output file"),
        "{help}"
    );
}

/// What a file holds comes from its content, the same for every command: JSON lines named
/// `.data` are paragraphs to review, and plain text given as predictions is named as such.
#[test]
fn input_kinds_come_from_the_content_not_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(
        dir.path(),
        "corpus.data",
        "{\"id\":\"a\",\"text\":\"THF was added.\"}\n{\"id\":\"b\",\"text\":\"Ethanol.\"}\n{\"id\":\"c\",\"text\":\"Water.\"}\n",
    );
    let out = retort(&["review", "--task", "compound", &corpus, "--summary"], dir.path());
    let summary = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(summary.contains("3 paragraphs"), "{summary}");

    let notes = write(dir.path(), "notes.jsonl", "THF and ethanol, written by hand.\n");
    let gold = common::data("chemsci2024/compound/test_1000.csv");
    let out = retort(
        &[
            "eval",
            "--task",
            "compound",
            "--pred",
            &notes,
            "--gold",
            gold.to_str().unwrap(),
        ],
        dir.path(),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("notes.jsonl: this is plain text"), "{err}");
}

/// `retort tasks | head -1`: once the reader of standard output has gone, the command stops quietly
/// with success instead of panicking on the closed pipe.
#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let paper = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/papers/jats-mof.xml");
    let commands: [&[&str]; 5] = [
        &["tasks"],
        &["tasks", "show", "compound"],
        &["models"],
        &["completions", "bash"],
        &["ingest", paper.to_str().unwrap()],
    ];
    for args in commands {
        // The pipe's reading end is closed before the command starts: its first write finds it gone.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = common::retort_in(dir.path())
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {:?} {}", out.status, text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("error"),
            "{args:?}: {stderr}"
        );
    }
}
