//! Finding a word in the source pane outside the field editor, through the pure update: `/` and
//! letters mark the first match (soft hyphens and case folded) and scroll the source to it, Tab
//! and Shift-Tab go round the matches, Enter keeps the mark, Esc clears it; the keys type into
//! the query only while it is typed.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use retort::tui::action::Action;
use retort::tui::screen::{Point, point};
use retort::tui::state::{Pane, State};
use retort::tui::update::update;

fn key(state: &mut State, code: KeyCode) {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn typed(state: &mut State, text: &str) {
    text.chars().for_each(|c| key(state, KeyCode::Char(c)));
}

fn marked(state: &State) -> Option<String> {
    let at = state.source.find.as_ref()?.at.clone()?;
    Some(state.paragraph()[at].to_string())
}

/// Whether the byte is drawn somewhere on the screen.
fn on_screen(state: &State, byte: usize) -> bool {
    (0..state.height).any(|y| (0..state.width).any(|x| point(state, x, y) == Some(Point::Source(byte))))
}

#[test]
fn slash_finds_a_word_far_down_the_source_and_tab_goes_round() {
    let filler = "the mixture was stirred for one hour and then ".repeat(40);
    let paragraph =
        format!("Copper nitrate was dissolved; {filler}Na\u{ad}OH was added, then more NaOH and β-alanine.");
    let mut state = common::tui_state("compound", &paragraph, 100, 20);
    state.focus = Pane::Source;
    key(&mut state, KeyCode::Char('/'));
    typed(&mut state, "naoh");
    assert_eq!(
        marked(&state).as_deref(),
        Some("Na\u{ad}OH"),
        "the soft hyphen is folded"
    );
    let first = state.source.find.as_ref().unwrap().at.clone().unwrap();
    assert!(on_screen(&state, first.start), "the source scrolled to the match");
    key(&mut state, KeyCode::Tab);
    assert_eq!(marked(&state).as_deref(), Some("NaOH"));
    key(&mut state, KeyCode::Tab);
    assert_eq!(marked(&state).as_deref(), Some("Na\u{ad}OH"), "round the paragraph");
    key(&mut state, KeyCode::BackTab);
    assert_eq!(marked(&state).as_deref(), Some("NaOH"));
    // Enter keeps the mark; keys are the pane's again (`j` scrolls instead of typing).
    key(&mut state, KeyCode::Enter);
    assert!(!state.source.find.as_ref().unwrap().typing);
    typed(&mut state, "j");
    assert_eq!(state.source.find.as_ref().unwrap().query, "naoh");
    assert_eq!(marked(&state).as_deref(), Some("NaOH"));
    key(&mut state, KeyCode::Esc);
    assert!(state.source.find.is_none());
    // Greek, and a query that is not there.
    key(&mut state, KeyCode::Char('/'));
    typed(&mut state, "β-ala");
    assert_eq!(marked(&state).as_deref(), Some("β-ala"));
    typed(&mut state, "x");
    assert_eq!(marked(&state), None);
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("«β-alax» is not in the source")
    );
    key(&mut state, KeyCode::Backspace);
    assert_eq!(marked(&state).as_deref(), Some("β-ala"));
}
