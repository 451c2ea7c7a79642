//! The review queue with the real binary in tmux: on a `retort extract` output made against the
//! real llama.cpp server (decide, `kill -9`, reopen), and on raw paragraphs pre-annotated ahead
//! by the embedded engine.

use crate::common;

use common::tmux::{Tmux, env_line};
use std::path::Path;
use std::process::Command;

const CORPUS: [&str; 4] = [
    "The residue was dissolved in ethanol (20 mL) and THF (5 mL) at 25 °C.",
    "Triethylamine (2.0 mL) was added to the stirred solution in dichloromethane.",
    "Acetone was evaporated under reduced pressure to give a white solid.",
    "Benzaldehyde and aniline were refluxed in toluene for 4 hours.",
];

fn write_corpus(dir: &Path) -> std::path::PathBuf {
    let lines: Vec<String> = CORPUS
        .iter()
        .enumerate()
        .map(|(i, text)| serde_json::json!({"id": format!("p{}", i + 1), "text": text}).to_string())
        .collect();
    let path = dir.join("corpus.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn decisions_file(dir: &Path) -> std::path::PathBuf {
    let reviews = dir.join("data/reviews");
    std::fs::read_dir(&reviews)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".decisions.jsonl"))
        .expect("a decision log")
}

#[test]
fn review_an_extract_output_survive_kill_9_and_continue() {
    let server = common::LlamaServer::get(18395);
    let dir = tempfile::tempdir().unwrap();
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"{}\"\nmode = \"zero-shot\"\nmax_tokens = 40\n",
            server.url
        ),
    );
    let corpus = write_corpus(dir.path());
    let output = dir.path().join("out.jsonl");
    let extract = common::extract_in_order(dir.path(), "compound", "smol", &corpus, &output);
    common::assert_extracted(&extract);

    let tmux = Tmux {
        socket: format!("retort-review-{}", std::process::id()),
    };
    let command = format!(
        "exec env {} {} review {}",
        env_line(dir.path()),
        env!("CARGO_BIN_EXE_retort"),
        output.display()
    );
    tmux.start(140, 36, &command);
    tmux.wait_for("▶ out.jsonl 1/4", 20);
    tmux.wait_for("residue was dissolved", 5);
    tmux.keys(&["a"]);
    tmux.wait_for("▶ out.jsonl 2/4", 10);
    tmux.keys(&["x"]);
    tmux.wait_for("Reject: why?", 10);
    tmux.keys(&["Enter"]);
    tmux.wait_for("▶ out.jsonl 3/4", 10);
    tmux.keys(&["Space"]);
    tmux.wait_for("▶ out.jsonl 4/4", 10);
    let logged = std::fs::read_to_string(decisions_file(dir.path())).unwrap();
    assert_eq!(logged.lines().count(), 3, "each decision is on disk at once:\n{logged}");

    let pid = String::from_utf8_lossy(&tmux.run(&["list-panes", "-t", "w", "-F", "#{pane_pid}"]).stdout)
        .trim()
        .to_string();
    assert!(Command::new("kill").args(["-9", &pid]).status().unwrap().success());
    tmux.wait_until_gone(10);

    // Reopened: at the first undecided paragraph, with every decision kept.
    tmux.start(140, 36, &command);
    let screen = tmux.wait_for("▶ out.jsonl 4/4", 20);
    assert!(screen.contains("✓1 ✎0 ↷1 ✗1"), "{screen}");
    assert!(screen.contains("Benzaldehyde and aniline"), "{screen}");
    tmux.keys(&["a"]);
    // The skipped paragraph comes back.
    tmux.wait_for("▶ out.jsonl 3/4", 10);
    tmux.wait_for("Acetone was evaporated", 5);
    tmux.keys(&["C-q"]);
    tmux.wait_until_gone(10);

    let summary = common::retort_in(dir.path())
        .args(["review", "--summary", "--format", "json"])
        .arg(&output)
        .output()
        .unwrap();
    assert!(summary.status.success(), "{}", String::from_utf8_lossy(&summary.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&summary.stdout).unwrap();
    assert_eq!(summary["counts"]["accepted"], 2);
    assert_eq!(summary["counts"]["rejected"], 1);
    assert_eq!(summary["counts"]["skipped"], 1);
    assert_eq!(summary["reject_reasons"]["bad paragraph"], 1);
    assert!(summary["measures"]["tables"].is_array(), "{summary}");
    let saved = common::read_jsonl(&dir.path().join("data/examples/compound.jsonl"));
    assert_eq!(saved.len(), 2);
    assert!(
        saved
            .iter()
            .all(|e| e["provenance"].as_str().unwrap().starts_with("review:out.jsonl"))
    );
}

#[test]
fn raw_paragraphs_are_pre_annotated_ahead_by_the_embedded_engine() {
    let dir = tempfile::tempdir().unwrap();
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"tiny\"\nengine = \"embedded\"\npath = \"{}\"\nmode = \"zero-shot\"\nthreads = 2\ncontext = 1024\nmax_tokens = 24\n",
            common::test_gguf().display()
        ),
    );
    let corpus = write_corpus(dir.path());
    let tmux = Tmux {
        socket: format!("retort-review-raw-{}", std::process::id()),
    };
    let command = format!(
        "exec env {} {} review {} --task compound --model tiny --lookahead 2",
        env_line(dir.path()),
        env!("CARGO_BIN_EXE_retort"),
        corpus.display()
    );
    tmux.start(140, 36, &command);
    tmux.wait_for("▶ corpus.jsonl 1/4", 20);
    // The item on screen and the two after it are run in the background, in whatever order the
    // engine takes them (on a busy machine the two ahead can finish before the one on screen).
    let screen = tmux.wait_for_without("ahead 2/2 ready", Some("running:"), 180);
    assert!(screen.contains("residue was dissolved"), "{screen}");
    tmux.keys(&["a"]);
    let screen = tmux.wait_for("▶ corpus.jsonl 2/4", 10);
    assert!(screen.contains("Triethylamine"), "{screen}");
    assert!(!screen.contains("running:"), "the next paragraph was ready:\n{screen}");
    tmux.keys(&["C-q"]);
    tmux.wait_until_gone(20);
    let runs: Vec<_> = std::fs::read_dir(dir.path().join("data/reviews"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".runs.jsonl"))
        .collect();
    let [runs] = runs.as_slice() else {
        panic!("one runs file: {runs:?}")
    };
    let lines = common::read_jsonl(runs);
    assert!(lines.len() >= 3, "the look-ahead keeps its runs: {}", lines.len());
    assert!(lines.iter().all(|l| l["profile"] == "tiny" && l["backend"].is_string()));
}
