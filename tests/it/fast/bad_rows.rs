//! "Bad rows are skipped and counted; `--strict` stops at the first": every reader keeps that
//! promise for a JSONL line that is not UTF-8 and a CSV row short of cells, naming file and line.

use crate::common;

use std::path::{Path, PathBuf};

/// A compound CSV: rows 1 and 4 good, row 2 short of a cell (line 3), row 3 not UTF-8 (line 4).
fn csv(dir: &Path) -> PathBuf {
    let path = dir.join("gold.csv");
    let mut bytes = b"documentId,Paragraph,Compound\n".to_vec();
    bytes.extend_from_slice(b"d1,Ethanol was added.,Ethanol\n");
    bytes.extend_from_slice(b"d2,THF was removed.\n");
    bytes.extend_from_slice(b"d3,Caf\xe9 was drunk.,Caf\xe9\n");
    bytes.extend_from_slice(b"d4,Toluene was heated.,Toluene\n");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Predictions as JSONL with line 2 not UTF-8.
fn jsonl(dir: &Path) -> PathBuf {
    let path = dir.join("pred.jsonl");
    let mut bytes = b"{\"id\":\"d1\",\"raw\":\"Ethanol\"}\n".to_vec();
    bytes.extend_from_slice(b"{\"id\":\"d3\",\"raw\":\"Caf\xe9\"}\n");
    bytes.extend_from_slice(b"{\"id\":\"d4\",\"raw\":\"Toluene\"}\n");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn eval_skips_and_names_bad_rows_of_both_files_and_strict_stops_at_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let (gold, pred) = (csv(dir.path()), jsonl(dir.path()));
    let out = common::retort_in(dir.path())
        .args(["eval", "--task", "compound", "--format", "json", "--gold"])
        .arg(&gold)
        .arg("--pred")
        .arg(&pred)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("pred.jsonl:2: not UTF-8"), "{err}");
    assert!(err.contains("gold.csv:3: the row has 2 cells, the header 3"), "{err}");
    assert!(err.contains("gold.csv:4: not UTF-8"), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["counts"]["paragraphs"], 2, "d1 and d4 scored: {json}");
    assert_eq!(
        json["tables"]["entities (macro over paragraphs)"]["compound"]["f1"],
        1.0
    );

    let strict = common::retort_in(dir.path())
        .args(["eval", "--task", "compound", "--strict", "--gold"])
        .arg(&gold)
        .arg("--pred")
        .arg(&pred)
        .output()
        .unwrap();
    assert!(!strict.status.success());
    assert!(
        stderr(&strict).contains("pred.jsonl:2: not UTF-8"),
        "{}",
        stderr(&strict)
    );
}

#[test]
fn import_skips_and_names_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let gold = csv(dir.path());
    let out = common::retort_in(dir.path())
        .args(["import", "--task", "compound"])
        .arg(&gold)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("gold.csv:3:") && err.contains("gold.csv:4:"), "{err}");
    assert!(
        err.contains("imported 2 examples") && err.contains("2 bad rows skipped"),
        "{err}"
    );

    let lines = dir.path().join("examples.jsonl");
    let mut bytes = b"{\"id\":\"e1\",\"text\":\"Ethanol was added.\",\"answer\":\"Ethanol\"}\n".to_vec();
    bytes.extend_from_slice(b"{\"id\":\"e2\",\"text\":\"Caf\xe9.\",\"answer\":\"Caf\xe9\"}\n");
    std::fs::write(&lines, bytes).unwrap();
    let out = common::retort_in(dir.path())
        .args(["import", "--task", "compound"])
        .arg(&lines)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("examples.jsonl:2: not UTF-8") && err.contains("imported 1 examples"),
        "{err}"
    );
}

#[test]
fn review_reads_the_good_rows_of_a_csv_and_names_the_bad() {
    let dir = tempfile::tempdir().unwrap();
    let gold = csv(dir.path());
    let out = common::retort_in(dir.path())
        .args(["review", "--task", "compound", "--summary", "--format", "json"])
        .arg(&gold)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("gold.csv:3:") && err.contains("gold.csv:4:"), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["counts"]["left"], 2, "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_skips_and_names_bad_rows() {
    let server = common::mock::answering("Ethanol").await;
    let dir = tempfile::tempdir().unwrap();
    common::mock::write_profile(dir.path(), &server, "");
    let gold = csv(dir.path());
    let root = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        common::retort_in(&root)
            .args([
                "extract", "--task", "compound", "--model", "smol", "--output", "-", "--input",
            ])
            .arg(&gold)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("gold.csv:3:") && err.contains("gold.csv:4:"), "{err}");
    let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, ["d1", "d4"], "lines come as runs finish");
}
