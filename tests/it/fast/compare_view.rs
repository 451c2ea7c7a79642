//! The comparison on a list task, as `retort review left.jsonl --compare right.jsonl` opens it:
//! two real compound paragraphs of the papers' test set (53 gold values together), one side
//! missing every fifth value, the other a few values and one made up; each value on its own row,
//! matched as the compound measure matches them, each side named, readable at 80×24 by scrolling
//! and at 160×48 (snapshots of the screen's text).

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use retort::llm::{RunRequest, from_reply};
use retort::metrics::align::ValueDiff;
use retort::review::open::{Access, ReviewOptions, open_file};
use retort::review::risk::Order;
use retort::tui::action::Action;
use retort::tui::review::ReviewState;
use retort::tui::state::{Pane, State};
use retort::tui::update::update;
use std::path::Path;

/// (paragraph, gold values) of the test set's two longest compound lists, as one paragraph.
fn long_paragraph() -> (String, Vec<String>) {
    let mut reader = csv::Reader::from_path(common::data("chemsci2024/compound/test_1000.csv")).unwrap();
    let mut paragraphs = Vec::new();
    let mut values = Vec::new();
    for row in reader.records() {
        let row = row.unwrap();
        if ["US20150065724A1", "US09359326B2"].contains(&&row[0]) && paragraphs.len() < 2 {
            paragraphs.push(row[1].to_string());
            values.extend(row[2].split(" | ").map(String::from));
        }
    }
    assert_eq!(paragraphs.len(), 2);
    (paragraphs.join("\n\n"), values)
}

fn write_side(dir: &Path, name: &str, state: &State, profile: usize, paragraph: &str, values: &[String]) {
    let run = from_reply(
        &RunRequest::new(state.task(), &state.profiles[profile], paragraph),
        &values.join(" | "),
    );
    let line = retort::llm::run_line::RunLine::new("long#1", paragraph, &run).to_line();
    std::fs::write(dir.join(name), format!("{line}\n")).unwrap();
}

/// The queue opened on the two files, at `width` × `height`.
fn opened(width: u16, height: u16) -> (State, Vec<String>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (paragraph, gold) = long_paragraph();
    let mut state = common::tui_state("compound", "", width, height);
    let left: Vec<String> = gold
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 5 != 4)
        .map(|(_, v)| v.clone())
        .collect();
    let mut right: Vec<String> = gold
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 7 != 3)
        .map(|(_, v)| v.clone())
        .collect();
    right.push("palladium on unicorn".into());
    write_side(dir.path(), "po.jsonl", &state, 0, &paragraph, &left);
    write_side(dir.path(), "ft.jsonl", &state, 1, &paragraph, &right);
    let options = ReviewOptions {
        task: None,
        model: None,
        compare: Some(dir.path().join("ft.jsonl")),
        compare_model: None,
        order: Order::Input,
        lookahead: 0,
        filter: Default::default(),
        fallback_task: None,
    };
    let opened = open_file(
        &dir.path().join("po.jsonl"),
        &options,
        &state.tasks.clone(),
        &dir.path().join("reviews"),
        Access::Decide,
    )
    .unwrap();
    update(
        &mut state,
        Action::QueueOpened(Box::new(ReviewState::new(opened, Default::default(), 0)), Vec::new()),
    );
    (state, gold, dir)
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[test]
fn a_long_list_is_aligned_value_by_value() {
    let (mut state, gold, _dir) = opened(160, 48);
    state.focus = Pane::Compare;
    let rows = &state.compare.rows;
    assert!(gold.len() >= 50, "{} values", gold.len());
    let left: Vec<&str> = rows.iter().filter_map(|r| r.left.as_deref()).collect();
    assert_eq!(
        left.len(),
        gold.len() - gold.len() / 5,
        "every left value on a row of its own"
    );
    let same = rows.iter().filter(|r| r.status == ValueDiff::Same).count();
    let only_right = rows.iter().filter(|r| r.status == ValueDiff::OnlyRight).count();
    assert!(same > 30, "{same} values on both sides");
    assert!(only_right >= 1, "the made-up value stands alone on the right");
    assert!(
        rows.iter()
            .any(|r| r.status == ValueDiff::OnlyRight && r.right.as_deref() == Some("palladium on unicorn"))
    );
    // Every value shows as itself, not a joined list cut short.
    let screen = common::render_text(&state);
    assert!(!screen.contains(" | "), "no joined lists:\n{screen}");
    insta::assert_snapshot!("compare_list_160x48", screen);
}

#[test]
fn the_sides_are_named_and_the_measures_wrap() {
    let (mut state, _, _dir) = opened(160, 48);
    state.focus = Pane::Compare;
    let screen = common::render_text(&state);
    assert!(
        screen.contains("◀ smol (smollm2)"),
        "the left side's profile and model:\n{screen}"
    );
    assert!(screen.contains("▶ tuned (mistral-ft)"), "{screen}");
    assert!(!screen.contains("— ⟷ —"));
    assert!(screen.contains("F1"), "the measures are on screen:\n{screen}");
}

#[test]
fn at_80_by_24_every_value_is_reached_by_scrolling() {
    let (mut state, _, _dir) = opened(80, 24);
    while state.focus != Pane::Compare {
        update(&mut state, key(KeyCode::Tab));
    }
    insta::assert_snapshot!("compare_list_80x24", common::render_text(&state));
    let last = state.compare.rows.last().unwrap().clone();
    let shown = |state: &State| {
        let screen = common::render_text(state);
        [last.left.as_deref(), last.right.as_deref()]
            .into_iter()
            .flatten()
            .all(|v| screen.contains(&v[..v.len().min(20)]))
    };
    assert!(!shown(&state), "the last row is not on the first screen");
    for _ in 0..state.compare.rows.len() {
        update(&mut state, key(KeyCode::Char('j')));
    }
    assert!(
        shown(&state),
        "j reaches the last row:\n{}",
        common::render_text(&state)
    );
    assert_eq!(state.compare.scroll, state.compare.rows.len() - 1, "and stops there");
    update(&mut state, key(KeyCode::Char('k')));
    assert_eq!(state.compare.scroll, state.compare.rows.len() - 2);
}

#[test]
fn the_brackets_adopt_a_side_from_the_result_pane_and_are_hinted() {
    let (mut state, _, _dir) = opened(160, 48);
    state.focus = Pane::Result;
    let hints: Vec<String> = retort::tui::hints::hints(&state).into_iter().map(|(k, _)| k).collect();
    assert!(hints.contains(&"]".to_string()), "{hints:?}");
    update(&mut state, key(KeyCode::Char(']')));
    assert_eq!(state.focus, Pane::Form, "] opens the right run's values for correction");
    let form = state.correction.form().unwrap();
    assert!(
        form.extraction.records[0]
            .texts("compound")
            .contains(&"palladium on unicorn")
    );
}

#[test]
fn outside_a_queue_the_brackets_work_from_the_result_pane() {
    let (paragraph, gold) = common::sample("compound");
    let mut state = common::tui_state("compound", &paragraph, 160, 48);
    state.compare_model = Some(1);
    update(&mut state, Action::Command(retort::tui::action::Command::RunCompare));
    common::finish_run(&mut state, retort::tui::action::Side::Main, &gold);
    common::finish_run(&mut state, retort::tui::action::Side::Compare, "benzene");
    state.focus = Pane::Result;
    update(&mut state, key(KeyCode::Char(']')));
    assert_eq!(state.focus, Pane::Editor, "] edits the right run's answer");
    assert_eq!(state.correction.editor().unwrap().area.lines().join("\n"), "benzene");
}
