//! Real papers and patents, openly licensed (tests/fixtures/papers/real/README.md names each
//! licence): a BMC Microbiology article (CC BY 2.0) and an Environmental Health Perspectives
//! article (public domain) as PMC's JATS; US patents (public domain) in four of the USPTO's
//! formats, one of them a chemistry patent with thirty-one synthesis examples. What is checked is
//! what a chemist relies on: titles with their characters exact, synthesis paragraphs under their
//! example's heading, formulas with their subscripts closed up.

use crate::common;

use serde_json::Value as Json;
use std::path::Path;

fn ingested() -> Vec<Json> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/papers/real");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_retort"))
        .arg("ingest")
        .arg(&dir)
        .args(["--output", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn of<'a>(rows: &'a [Json], doc: &str) -> Vec<&'a Json> {
    rows.iter().filter(|r| r["doc"] == doc).collect()
}

fn title(rows: &[&Json]) -> String {
    rows.iter().find(|r| r["kind"] == "title").unwrap()["text"]
        .as_str()
        .unwrap()
        .to_string()
}

fn section(row: &Json) -> Vec<String> {
    row["section"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_real_file_is_read_with_its_title_exact() {
    let rows = ingested();
    let titles = [
        (
            "10.1186/1471-2180-11-174",
            "Factors influencing lysis time stochasticity in bacteriophage λ",
        ),
        (
            "10.1289/ehp.11570",
            "Dietary Exposure to 2,2′,4,4′-Tetrabromodiphenyl Ether (PBDE-47) Alters Thyroid Status and Thyroid Hormone–Regulated Gene Transcription in the Pituitary and Brain",
        ),
        (
            "US8927118B2",
            "Material for organic electroluminescence device and organic electroluminescence device using the same",
        ),
        (
            "US6336130B1",
            "Arrangement for improving availability of services in a communication system",
        ),
        (
            "US20050004437A1",
            "Simulation device for playful evaluation and display of blood sugar levels",
        ),
        ("US3937375", "Bumper support for a boat loader"),
    ];
    for (doc, expected) in titles {
        let blocks = of(&rows, doc);
        assert!(!blocks.is_empty(), "{doc} was not read");
        assert_eq!(title(&blocks), expected, "{doc}");
        assert!(
            blocks.iter().all(|b| !b["text"].as_str().unwrap().trim().is_empty()),
            "{doc}: an empty block"
        );
    }
    // Each JATS article: its abstract, sections, captions and references apart.
    for doc in ["10.1186/1471-2180-11-174", "10.1289/ehp.11570"] {
        let blocks = of(&rows, doc);
        for kind in ["abstract", "heading", "paragraph", "reference"] {
            assert!(blocks.iter().any(|b| b["kind"] == kind), "{doc}: no {kind}");
        }
    }
    let claims = of(&rows, "US3937375").iter().filter(|b| b["kind"] == "claim").count();
    assert_eq!(claims, 3, "the 1975 patent's three claims");
}

#[test]
fn a_chemistry_patents_syntheses_sit_under_their_examples() {
    let rows = ingested();
    let patent = of(&rows, "US8927118B2");
    let examples = patent
        .iter()
        .filter(|b| b["kind"] == "heading" && b["text"].as_str().unwrap().starts_with("Synthesis Example "))
        .count();
    assert_eq!(examples, 31);
    let first = patent
        .iter()
        .find(|b| {
            b["text"]
                .as_str()
                .unwrap()
                .starts_with("Compound 1 (2.6 g, 10 mmol), 2-bromobenzofuran")
        })
        .expect("Synthesis Example 1's paragraph");
    assert_eq!(first["kind"], "paragraph");
    assert_eq!(
        section(first),
        [
            "Description",
            "EXAMPLES",
            "Synthesis Example 1",
            "(Synthesis of Compound No. 11)"
        ]
    );
    assert!(
        first["text"].as_str().unwrap().contains("K3PO4 (8.5 g, 40 mmol)"),
        "subscripts closed up"
    );
    let step = patent
        .iter()
        .find(|b| {
            b["text"]
                .as_str()
                .unwrap()
                .starts_with("Compound 5 (38.0 g, 116.4 mmol), NBS")
        })
        .unwrap();
    assert_eq!(
        section(step),
        [
            "Description",
            "EXAMPLES",
            "Synthesis Example 5",
            "(2) Synthesis of Compound 6"
        ]
    );
    // The device examples after the syntheses are examples of their own, not steps of the last.
    let device = patent
        .iter()
        .find(|b| b["kind"] == "heading" && b["text"] == "Examples 2 to 26")
        .unwrap();
    assert_eq!(section(device), ["Description", "EXAMPLES"]);
}

/// The workbench's outline of a real patent: `O` lists its blocks under their headings, each
/// heading once; `j` and Enter put a synthesis paragraph on screen with its section path; Esc
/// goes back to the result.
#[test]
fn the_outline_walks_a_real_patent_to_a_synthesis() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use retort::review::open::{Access, ReviewOptions, open_file};
    use retort::tui::action::Action;
    use retort::tui::outline::{Row, rows};
    use retort::tui::state::Pane;
    use retort::tui::update::update;
    let key = |code: KeyCode| Action::Key(KeyEvent::new(code, KeyModifiers::NONE));
    let dir = tempfile::tempdir().unwrap();
    let mut state = common::tui_state("rxn-role", "", 160, 48);
    let options = ReviewOptions {
        task: Some("rxn-role".into()),
        ..ReviewOptions::default()
    };
    let patent = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/papers/real/US08927118.xml");
    let opened = open_file(&patent, &options, &state.tasks.clone(), dir.path(), Access::Read).unwrap();
    let review = retort::tui::review::ReviewState::new(opened, retort::side::PerSide::new(None, None), 0);
    update(&mut state, Action::QueueOpened(Box::new(review), Vec::new()));
    update(&mut state, key(KeyCode::Char('O')));
    assert_eq!(state.focus, Pane::Outline);
    let screen = common::render_text(&state);
    assert!(screen.contains("Outline") && screen.contains("▶ abstract"), "{screen}");

    let outline = rows(&state);
    let heading = |text: &str| {
        outline
            .iter()
            .filter(|r| matches!(r, Row::Heading { text: t, .. } if t == text))
            .count()
    };
    assert_eq!(heading("Synthesis Example 5"), 1, "each heading once");
    assert_eq!(heading("EXAMPLES"), 1);
    let queue = &state.review.as_ref().unwrap().queue;
    let target = queue
        .order
        .iter()
        .position(|&i| queue.items[i].paragraph.starts_with("1,2-difluoro-3,6-diiodobenzene"))
        .expect("Synthesis Example 5's first step");
    for _ in 0..target {
        update(&mut state, key(KeyCode::Char('j')));
    }
    update(&mut state, key(KeyCode::Enter));
    assert!(
        state
            .paragraph()
            .starts_with("1,2-difluoro-3,6-diiodobenzene (65.9 g, 180.0 mmol)")
    );
    assert_eq!(state.focus, Pane::Outline, "the outline stays for the next block");
    assert_eq!(
        state.review.as_ref().unwrap().queue.log.len(),
        0,
        "walking decides nothing"
    );
    let screen = common::render_text(&state);
    assert!(
        screen.contains("› EXAMPLES › Synthesis Example 5 › (1) Synthesis of Compound 5"),
        "{screen}"
    );
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.focus, Pane::Result);
}
