//! One short test per transition of the workbench's mode (who has the keys): the panes, typing
//! into the paragraph, an overlay (help, inspector), a picker; keys come from the default key map.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use retort::tui::action::{Action, Effect, Side};
use retort::tui::state::{Mode, Overlay, Pane, State};
use retort::tui::update::update;

fn press(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(state: &mut State, c: char) -> Vec<Effect> {
    update(
        state,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

fn state() -> State {
    common::tui_state("compound", "Ethanol was added.", 120, 40)
}

#[test]
fn panes_to_editing_source_and_typing_goes_into_the_paragraph() {
    let mut state = state();
    press(&mut state, KeyCode::Char('e'));
    assert_eq!(state.mode, Mode::EditingSource);
    press(&mut state, KeyCode::Char('r'));
    assert!(state.paragraph().ends_with("added.r"), "r types, it does not run");
}

#[test]
fn editing_source_to_panes_with_esc() {
    let mut state = state();
    press(&mut state, KeyCode::Char('e'));
    press(&mut state, KeyCode::Esc);
    assert_eq!(state.mode, Mode::Panes);
}

#[test]
fn panes_to_help_and_back() {
    let mut state = state();
    press(&mut state, KeyCode::Char('?'));
    assert_eq!(state.mode, Mode::Overlay(Overlay::Help));
    press(&mut state, KeyCode::Esc);
    assert_eq!(state.mode, Mode::Panes);
}

#[test]
fn an_overlay_swallows_keys_that_are_not_its_own() {
    let mut state = state();
    press(&mut state, KeyCode::Char('?'));
    let effects = press(&mut state, KeyCode::Char('r'));
    assert!(effects.is_empty(), "r does not run under the help overlay");
    assert_eq!(state.mode, Mode::Overlay(Overlay::Help));
}

#[test]
fn panes_to_picker_filter_and_choose() {
    let mut state = state();
    press(&mut state, KeyCode::Char('t'));
    assert!(matches!(state.mode, Mode::Overlay(Overlay::Picker(_))));
    for c in "nmr".chars() {
        press(&mut state, KeyCode::Char(c));
    }
    press(&mut state, KeyCode::Enter);
    assert_eq!(state.mode, Mode::Panes);
    assert_eq!(state.task().name, "nmr");
}

#[test]
fn picker_to_panes_with_esc_changes_nothing() {
    let mut state = state();
    press(&mut state, KeyCode::Char('t'));
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Esc);
    assert_eq!(state.mode, Mode::Panes);
    assert_eq!(state.task().name, "compound");
}

#[test]
fn the_inspector_opens_only_on_a_run() {
    let mut state = state();
    press(&mut state, KeyCode::Char('I'));
    assert_eq!(state.mode, Mode::Panes);
    common::finish_run(&mut state, Side::Main, "Ethanol");
    press(&mut state, KeyCode::Char('I'));
    assert_eq!(state.mode, Mode::Overlay(Overlay::Inspector(Side::Main)));
}

#[test]
fn in_the_editor_question_mark_types_and_f1_helps() {
    let mut state = state();
    common::finish_run(&mut state, Side::Main, "Ethanol");
    state.focus = Pane::Result;
    press(&mut state, KeyCode::Char('e'));
    assert_eq!(state.focus, Pane::Editor);
    press(&mut state, KeyCode::Char('?'));
    assert!(state.correction.editor().unwrap().area.lines().join("").contains('?'));
    press(&mut state, KeyCode::F(1));
    assert_eq!(state.mode, Mode::Overlay(Overlay::Help));
}

#[test]
fn ctrl_q_quits_from_every_mode() {
    let setups: [fn(&mut State); 4] = [
        |_| {},
        |s| {
            press(s, KeyCode::Char('e'));
        },
        |s| {
            press(s, KeyCode::Char('?'));
        },
        |s| {
            press(s, KeyCode::Char('t'));
        },
    ];
    for setup in setups {
        let mut state = state();
        setup(&mut state);
        let effects = ctrl(&mut state, 'q');
        assert!(state.quit, "from {:?}", state.mode);
        assert!(effects.iter().any(|e| matches!(e, Effect::Quit)));
    }
}
