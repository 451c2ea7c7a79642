//! Choosing a value's words in the source in few keys: `v` starts after the value above, counts
//! (`3w`, `2W`), `f`/`F`/`t` and a word's first letter, `s`/`S` and a label drawn on the word,
//! arrows that grow a search's match, and `e` to the end of a name, mixture or quantity.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use retort::tui::action::Action;

use retort::tui::state::State;
use retort::tui::update::update;

const PARAGRAPH: &str = "Ethanol and THF were stirred with acetone, then sodium hydrogen carbonate \
                         solution and ethyl acetate/hexane were added to 24 mg, 0.145 mmol of the acid at 120 °C.";

fn press(state: &mut State, keys: &str) {
    for c in keys.chars() {
        let modifiers = if c.is_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        update(state, Action::Key(KeyEvent::new(KeyCode::Char(c), modifiers)));
    }
}

fn key(state: &mut State, code: KeyCode) {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// The field editor on `reply`, `v` pressed on the row that adds a compound.
fn choosing(reply: &str) -> State {
    let mut state = common::form::fields_open("compound", PARAGRAPH, reply, (160, 48));
    common::form::go_to(&mut state, &common::form::add_row("compound"));
    press(&mut state, "v");
    state
}

use common::form::chosen;

#[test]
fn v_starts_after_the_value_above_it() {
    let state = choosing("Ethanol | THF");
    assert_eq!(chosen(&state), "were", "the word after THF, the last value found");
    let state = choosing("");
    assert_eq!(chosen(&state), "Ethanol", "nothing above: the paragraph's first word");
}

#[test]
fn counts_repeat_a_motion_and_go_no_further_than_the_words() {
    let mut state = choosing("Ethanol | THF");
    press(&mut state, "3w");
    assert_eq!(chosen(&state), "acetone");
    press(&mut state, "3w2W");
    assert_eq!(chosen(&state), "hydrogen carbonate solution");
    press(&mut state, "1B");
    assert_eq!(chosen(&state), "hydrogen carbonate");
    press(&mut state, "999w");
    assert_eq!(chosen(&state), "°C", "the last word, not past it");
    key(&mut state, KeyCode::Enter);
    let values = &state.correction.form().unwrap().extraction;
    assert_eq!(values.records[0].texts("compound"), ["Ethanol", "THF", "°C"]);
}

#[test]
fn a_words_first_letter_takes_the_selection_there() {
    let mut state = choosing("Ethanol | THF");
    press(&mut state, "fs");
    assert_eq!(chosen(&state), "stirred");
    press(&mut state, "2fs");
    assert_eq!(
        chosen(&state),
        "solution",
        "the second word after it that begins with s"
    );
    press(&mut state, "Fs");
    assert_eq!(chosen(&state), "sodium");
    press(&mut state, "tc");
    assert_eq!(chosen(&state), "sodium hydrogen carbonate");
    press(&mut state, "fQ");
    assert_eq!(
        chosen(&state),
        "sodium hydrogen carbonate",
        "no word begins with Q: nothing moves"
    );
    assert!(state.notice.as_ref().unwrap().text.contains("«Q»"));
}

#[test]
fn labels_are_drawn_on_the_words_and_the_label_typed_goes_there() {
    let mut state = choosing("Ethanol | THF");
    press(&mut state, "s");
    let screen = common::render_text(&state);
    // "were" is chosen; the labels go after and before it in turn: a on "stirred", s on "THF",
    // d on "with", f on "and", g on "acetone".
    let line = screen
        .lines()
        .find(|l| l.contains("tirred"))
        .expect("the source is drawn");
    assert!(line.contains("atirred"), "{line}");
    assert!(line.contains("gcetone"), "{line}");
    assert!(line.contains("sHF"), "{line}");
    press(&mut state, "g");
    assert_eq!(chosen(&state), "acetone");
    assert!(
        !common::render_text(&state).contains("gcetone"),
        "the labels go once one is typed"
    );
    press(&mut state, "2w");
    assert_eq!(chosen(&state), "sodium");
    press(&mut state, "Ss");
    assert_eq!(
        chosen(&state),
        "sodium hydrogen carbonate",
        "S grows the selection to the label"
    );
    press(&mut state, "s");
    key(&mut state, KeyCode::Esc);
    assert_eq!(
        chosen(&state),
        "sodium hydrogen carbonate",
        "Esc: no label, nothing moves"
    );
    assert!(
        state.correction.form().unwrap().selecting.is_some(),
        "and still choosing"
    );
}

#[test]
fn an_arrow_grows_the_match_of_a_search_being_typed() {
    let mut state = choosing("");
    press(&mut state, "/eth");
    assert_eq!(chosen(&state), "Ethanol");
    key(&mut state, KeyCode::Tab);
    assert_eq!(chosen(&state), "ethyl");
    key(&mut state, KeyCode::Right);
    assert_eq!(chosen(&state), "ethyl acetate");
    press(&mut state, "W");
    assert_eq!(chosen(&state), "ethyl acetate/hexane", "the search is over: W grows it");
    key(&mut state, KeyCode::Enter);
    let values = &state.correction.form().unwrap().extraction;
    assert_eq!(values.records[0].texts("compound"), ["ethyl acetate/hexane"]);
}

#[test]
fn e_ends_names_mixtures_and_quantities() {
    let mut state = choosing("");
    for (start, whole) in [
        ("sodium", "sodium hydrogen carbonate"),
        ("ethyl", "ethyl acetate/hexane"),
        ("24", "24 mg, 0.145 mmol"),
        ("120", "120 °C"),
        ("acid", "acid"),
    ] {
        press(&mut state, &format!("/{start}"));
        key(&mut state, KeyCode::Esc);
        assert_eq!(chosen(&state), start);
        press(&mut state, "e");
        assert_eq!(chosen(&state), whole);
    }
}

fn end_of(text: &str, from: &str) -> String {
    let spans = retort::tui::fields::words(text);
    let at = spans.iter().position(|w| &text[w.clone()] == from).unwrap();
    let end = retort::tui::select::name_end(text, &spans, at);
    text[spans[at].start..spans[end].end].to_string()
}

#[test]
fn names_mixtures_and_quantities_end_where_a_chemist_reads_them() {
    let text = "Wash with sodium hydrogen carbonate solution and ethyl acetate/hexane=50:50, then \
                add 24 mg, 0.145 mmol of it at 120 °C for 3 h in DCM:MeOH (1:1) and 5 mL.";
    assert_eq!(end_of(text, "sodium"), "sodium hydrogen carbonate");
    assert_eq!(end_of(text, "ethyl"), "ethyl acetate/hexane");
    assert_eq!(end_of(text, "24"), "24 mg, 0.145 mmol");
    assert_eq!(end_of(text, "120"), "120 °C");
    assert_eq!(end_of(text, "3"), "3 h");
    assert_eq!(end_of(text, "DCM"), "DCM:MeOH");
    assert_eq!(end_of(text, "5"), "5 mL");
    assert_eq!(end_of(text, "Wash"), "Wash");
}
