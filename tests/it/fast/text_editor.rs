//! The text editor's answer: Ctrl-L clears all of it (one undo brings it back), and accepting a
//! value not in the source asks once before it becomes gold.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use retort::tui::action::{Action, Command, Side};
use retort::tui::state::{Pane, State};
use retort::tui::update::update;

fn ctrl(state: &mut State, c: char) {
    update(
        state,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    );
}

fn editing(task: &str) -> (State, String) {
    let (paragraph, gold) = common::sample(task);
    let mut state = common::tui_state(task, &paragraph, 160, 48);
    update(&mut state, Action::Command(Command::Run));
    common::finish_run(&mut state, Side::Main, &gold);
    update(&mut state, Action::Command(Command::Edit));
    assert_eq!(state.focus, Pane::Editor);
    (state, gold)
}

fn text(state: &State) -> String {
    state.correction.editor().unwrap().area.lines().join("\n")
}

#[test]
fn ctrl_l_clears_the_whole_answer_and_undo_brings_it_back() {
    let (mut state, _) = editing("mof-synthesis");
    let before = text(&state);
    assert!(before.lines().count() > 1, "a multi-line answer: {before:?}");
    ctrl(&mut state, 'l');
    assert_eq!(text(&state), "");
    ctrl(&mut state, 'u');
    assert_eq!(text(&state), before);
}

#[test]
fn a_value_not_in_the_source_is_asked_about_once() {
    let (mut state, _) = editing("compound");
    update(&mut state, Action::Paste(" | palladium on unicorn".into()));
    ctrl(&mut state, 's');
    assert!(state.correction.editor().is_some(), "not accepted yet");
    let notice = state.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("\"palladium on unicorn\""), "{notice}");
    ctrl(&mut state, 's');
    let (_, gold) = state.gold().cloned().expect("accepted the second time");
    assert!(gold.contains("palladium on unicorn"), "{gold}");
}
