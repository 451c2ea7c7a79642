//! Paragraph ids of papers survive every join: unique within one ingest or directory (a second
//! document of the same name is renamed), and kept whole from ingest through review to the saved
//! examples that `retort eval --gold saved` scores against.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use retort::dataset::store::Store;
use retort::llm::{RunRequest, from_reply};
use retort::review::open::{Access, ReviewOptions, open_file};
use retort::review::record;
use retort::tui::action::{Action, Effect};
use retort::tui::review::ReviewState;
use retort::tui::update::update;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/papers")
        .join(name)
}

fn ingest(root: &Path, args: &[&str]) -> (Vec<serde_json::Value>, String) {
    let out = root.join("corpus.jsonl");
    let output = common::retort_in(root)
        .arg("ingest")
        .args(args)
        .args(["--output", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    (common::read_jsonl(&out), stderr)
}

fn ids(lines: &[serde_json::Value]) -> Vec<String> {
    lines.iter().map(|l| l["id"].as_str().unwrap().to_string()).collect()
}

fn assert_unique(ids: &[String]) {
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids among {ids:?}");
}

/// `x.txt` in two folders, one paper (one DOI) in two files: the second of each is renamed, and
/// the summary says so.
#[test]
fn two_files_of_one_name_get_distinct_document_names() {
    let root = tempfile::tempdir().unwrap();
    let papers = root.path().join("papers");
    std::fs::create_dir_all(papers.join("sub")).unwrap();
    std::fs::copy(fixture("jats-mof.xml"), papers.join("mof.xml")).unwrap();
    std::fs::copy(fixture("jats-mof.xml"), papers.join("mof-copy.xml")).unwrap();
    std::fs::write(papers.join("x.txt"), "A paragraph.").unwrap();
    std::fs::write(papers.join("sub/x.txt"), "Another paragraph.").unwrap();
    let (lines, stderr) = ingest(root.path(), &[papers.to_str().unwrap()]);
    assert_unique(&ids(&lines));
    let docs: HashSet<&str> = lines.iter().map(|l| l["doc"].as_str().unwrap()).collect();
    assert_eq!(docs.len(), 4, "{docs:?}");
    assert!(stderr.contains("~2: an earlier document is already"), "{stderr}");
    // extract's own directory reading (a `.txt` file is one paragraph there) renames the same way.
    let task = common::tui_state("compound", "", 80, 24).task().clone();
    let (paragraphs, _) = retort::input::read_paragraphs(&papers, &task).unwrap();
    let read: Vec<String> = paragraphs.into_iter().map(|p| p.id).collect();
    assert_unique(&read);
    assert!(
        read.contains(&"x~2".to_string()) && read.contains(&"10.5555/retort.jats.1~2#16".to_string()),
        "{read:?}"
    );
}

/// A folder's README and LaTeX sources are not papers: passed over, counted by kind and named.
#[test]
fn a_folder_reads_papers_and_names_what_it_passes_over() {
    let root = tempfile::tempdir().unwrap();
    let papers = root.path().join("papers");
    std::fs::create_dir_all(&papers).unwrap();
    std::fs::copy(fixture("uspto-grant.xml"), papers.join("patent.xml")).unwrap();
    std::fs::write(papers.join("README.md"), "# My papers\n\nDownloaded in May.").unwrap();
    std::fs::copy(fixture("pdf/two-column.tex"), papers.join("paper.tex")).unwrap();
    std::fs::write(
        papers.join("gold.jsonl"),
        "{\"id\": \"a\", \"text\": \"b\", \"answer\": \"c\"}\n",
    )
    .unwrap();
    let (lines, stderr) = ingest(root.path(), &[papers.to_str().unwrap()]);
    assert!(lines.iter().all(|l| l["doc"] == "US9999999B2"), "{stderr}");
    assert!(
        stderr.contains("passed over 2 text files not .txt (--all-text reads them): README.md, paper.tex"),
        "{stderr}"
    );
    assert!(stderr.contains("passed over 1 data files"), "{stderr}");
    assert!(stderr.contains("from 1 file(s)"), "{stderr}");
    // Asked for, they are read; named on the command line, a text file is read.
    let (all, _) = ingest(root.path(), &["--all-text", papers.to_str().unwrap()]);
    assert!(all.iter().any(|l| l["doc"] == "README"));
    let (named, _) = ingest(root.path(), &[papers.join("README.md").to_str().unwrap()]);
    assert_eq!(named.len(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    /// Whatever the folder (stems shared between papers, text files and subfolders), every id
    /// one ingest writes is distinct, and `extract` reads the same ids.
    #[test]
    fn ids_are_unique_over_any_folder(files in proptest::collection::vec((0usize..3, 0usize..3, 0usize..3), 1..8)) {
        let root = tempfile::tempdir().unwrap();
        let papers = root.path().join("papers");
        for (stem, form, folder) in &files {
            let dir = if *folder == 0 { papers.clone() } else { papers.join(format!("sub{folder}")) };
            std::fs::create_dir_all(&dir).unwrap();
            let name = format!("s{stem}");
            match form {
                0 => std::fs::write(dir.join(format!("{name}.txt")), "One paragraph.").map(|_| ()),
                1 => std::fs::copy(fixture("jats-mof.xml"), dir.join(format!("{name}.xml"))).map(|_| ()),
                _ => std::fs::copy(fixture("rsc-article.html"), dir.join(format!("{name}.html"))).map(|_| ()),
            }
            .unwrap();
        }
        let (lines, _) = ingest(root.path(), &[papers.to_str().unwrap()]);
        let written = ids(&lines);
        assert_unique(&written);
        let task = common::tui_state("compound", "", 80, 24).task().clone();
        let (paragraphs, _) = retort::input::read_paragraphs(&papers, &task).unwrap();
        let read: Vec<String> = paragraphs.into_iter().map(|p| p.id).collect();
        assert_unique(&read);
    }
}

/// Ingest two papers (their blocks `<doc>#1`, `<doc>#2`, … collide once cut at `#`), review an
/// extract output of them accepting every item, and score that output against the saved
/// examples: every paragraph joins its own example, so the score is perfect.
#[test]
fn ingest_review_saved_eval_keeps_ids_whole() {
    let root = tempfile::tempdir().unwrap();
    let (lines, _) = ingest(
        root.path(),
        &[
            fixture("uspto-grant.xml").to_str().unwrap(),
            fixture("uspto-2002-grant.xml").to_str().unwrap(),
            "--kinds",
            "paragraph",
        ],
    );
    assert!(ids(&lines).iter().all(|id| id.contains('#')));
    let extract = write_extract_output(root.path(), &lines);

    let mut state = common::tui_state("compound", "", 160, 48);
    let opened = open_file(
        &extract,
        &ReviewOptions::default(),
        &state.tasks.clone(),
        &root.path().join("data/reviews"),
        Access::Decide,
    )
    .unwrap();
    update(
        &mut state,
        Action::QueueOpened(Box::new(ReviewState::new(opened, Default::default(), 3)), Vec::new()),
    );
    let store = Store::new(root.path().join("data/examples"));
    let mut accepted = 0;
    while state.review.as_ref().unwrap().queue.current().is_some() && accepted < lines.len() {
        let effects = update(
            &mut state,
            Action::Key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE)),
        );
        for effect in effects {
            if let Effect::WriteDecision(write) = effect {
                let outcome = record::write(&write, &store);
                update(
                    &mut state,
                    Action::DecisionWritten {
                        seq: write.decision.seq,
                        error: outcome.err(),
                    },
                );
            }
        }
        accepted += 1;
    }
    let (saved, _) = store.read("compound").unwrap();
    assert_eq!(saved.len(), lines.len());
    let mut saved_ids: Vec<String> = saved.iter().map(|e| e.source_id().to_string()).collect();
    saved_ids.sort();
    let mut ingested = ids(&lines);
    ingested.sort();
    assert_eq!(saved_ids, ingested, "saved examples keep the whole id");

    let output = common::retort_in(root.path())
        .args([
            "eval",
            "--task",
            "compound",
            "--gold",
            "saved",
            "--pred",
            extract.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["counts"]["paragraphs"], lines.len(), "{report}");
    assert_eq!(
        report["tables"]["entities (macro over paragraphs)"]["compound"]["f1"], 1.0,
        "{report}"
    );
}

/// An extract output of the compound task over the ingested blocks, each answered with the
/// block's first word (a value found in it).
fn write_extract_output(root: &Path, lines: &[serde_json::Value]) -> PathBuf {
    let state = common::tui_state("compound", "", 120, 40);
    let mut text = String::new();
    for line in lines {
        let (id, paragraph) = (line["id"].as_str().unwrap(), line["text"].as_str().unwrap());
        let word: String = paragraph
            .split_whitespace()
            .next()
            .unwrap()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        let run = from_reply(&RunRequest::new(state.task(), &state.profiles[0], paragraph), &word);
        text.push_str(&retort::llm::run_line::RunLine::new(id, paragraph, &run).to_line());
        text.push('\n');
    }
    let path = root.join("extract.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// Extract and review read a paper's prose by default; what they pass over is counted by kind
/// and named, never skipped silently.
#[test]
fn the_kinds_passed_over_are_counted_and_named() {
    let root = tempfile::tempdir().unwrap();
    common::write_models(
        root.path(),
        "[[model]]\nname = \"nowhere\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\n",
    );
    let output = common::retort_in(root.path())
        .args(["extract", "--task", "compound", "--model", "nowhere", "--input"])
        .arg(fixture("uspto-grant.xml"))
        .args(["--output", root.path().join("out.jsonl").to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("passed over") && stderr.contains("heading") && stderr.contains("claim"),
        "{stderr}"
    );
    assert!(stderr.contains("--kinds chooses the kinds read"), "{stderr}");

    let mut state = common::tui_state("compound", "", 160, 48);
    let opened = open_file(
        &fixture("uspto-grant.xml"),
        &ReviewOptions {
            task: Some("compound".into()),
            ..ReviewOptions::default()
        },
        &state.tasks.clone(),
        &root.path().join("reviews"),
        Access::Read,
    )
    .unwrap();
    assert!(
        opened
            .passed_over
            .by_kind
            .contains_key(&retort::place::BlockKind::Heading)
    );
    update(
        &mut state,
        Action::QueueOpened(Box::new(ReviewState::new(opened, Default::default(), 1)), Vec::new()),
    );
    let notice = state.notice.as_ref().map(|n| n.text.clone()).unwrap_or_default();
    assert!(notice.contains("passed over") && notice.contains("heading"), "{notice}");
}
