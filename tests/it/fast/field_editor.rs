//! The field editor through the pure update: change, clear, add and remove values and records,
//! set a value by choosing its words in the source; the accepted answer is written in the task's
//! format and parses back to the same values.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use retort::extraction::{Alignment, Extraction};
use retort::tui::action::Action;
use retort::tui::form::Row;
use retort::tui::state::{Pane, State};
use retort::tui::update::update;

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn press(state: &mut State, keys: &str) {
    for c in keys.chars() {
        update(state, key(KeyCode::Char(c)));
    }
}

fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        update(state, key(KeyCode::Char(c)));
    }
}

fn open(task: &str, paragraph: &str, reply: &str) -> State {
    let state = common::form::fields_open(task, paragraph, reply, (160, 48));
    assert_eq!(state.focus, Pane::Form);
    state
}

fn form(state: &State) -> &Extraction {
    &state.correction.form().expect("the form is open").extraction
}

use common::form::go_to;

/// Accepts the form and returns the gold text, checking it parses back to the form's values.
fn accept(state: &mut State) -> String {
    let expected: Vec<(String, String)> = form(state)
        .values()
        .iter()
        .map(|(f, v)| (f.to_string(), v.text.clone()))
        .collect();
    press(state, "a");
    if state.correction.form().is_some() {
        // A value typed that is not in the source: asked once, the same key accepts.
        let notice = &state.notice.as_ref().expect("asked").text;
        assert!(notice.contains("not in the source"), "{notice}");
        press(state, "a");
    }
    assert!(state.correction.form().is_none());
    let (_, text) = state.gold().cloned().expect("accepted as gold");
    let reparsed = state.task().parse(&text).expect("the written answer parses");
    let back: Vec<(String, String)> = reparsed
        .values()
        .iter()
        .map(|(f, v)| (f.to_string(), v.text.clone()))
        .collect();
    assert_eq!(back, expected, "written as {text:?}");
    text
}

#[test]
fn compound_list_remove_a_value_and_take_one_from_the_source() {
    let paragraph = "Ethanol and THF were stirred with acetone.";
    let mut state = open("compound", paragraph, "Ethanol | THF | unobtainium");
    go_to(
        &mut state,
        &Row::Value {
            field: "compound".into(),
            index: 2,
        },
    );
    press(&mut state, "d");
    assert_eq!(form(&state).records[0].texts("compound"), ["Ethanol", "THF"]);
    // o: a new value; v: its words from the source, moved to "acetone" word by word.
    press(&mut state, "v");
    assert!(state.correction.form().unwrap().selecting.is_some());
    press(&mut state, "wwwwww");
    update(&mut state, key(KeyCode::Enter));
    let values = form(&state).field_values(0, "compound");
    assert_eq!(values[2].text, "acetone");
    assert_eq!(values[2].alignment, Alignment::Exact, "grounded by construction");
    assert_eq!(&paragraph[values[2].span.as_ref().unwrap().bytes.clone()], "acetone");
    // A typed value is grounded as it is kept.
    press(&mut state, "o");
    typed(&mut state, "thf");
    update(&mut state, key(KeyCode::Enter));
    assert_eq!(
        form(&state).field_values(0, "compound")[3].alignment,
        Alignment::CaseInsensitive
    );
    assert_eq!(accept(&mut state), "Ethanol | THF | acetone | thf");
}

#[test]
fn mof_records_change_clear_add_and_remove() {
    let (paragraph, gold) = common::sample("mof-synthesis");
    let mut state = open("mof-synthesis", &paragraph, &gold);
    let records = form(&state).records.len();
    assert!(records >= 1);
    // Clear a value: the field is missing, written as the task's marker.
    go_to(
        &mut state,
        &Row::Value {
            field: "metal amount".into(),
            index: 0,
        },
    );
    press(&mut state, "d");
    assert!(form(&state).field_values(0, "metal amount").is_empty());
    // Type it back in place.
    update(&mut state, key(KeyCode::Enter));
    typed(&mut state, "0.5 g");
    update(&mut state, key(KeyCode::Enter));
    assert_eq!(form(&state).records[0].texts("metal amount"), ["0.5 g"]);
    // Change a value in place: Enter shows the old text, typing goes on from its end.
    go_to(
        &mut state,
        &Row::Value {
            field: "compound name".into(),
            index: 0,
        },
    );
    update(&mut state, key(KeyCode::Enter));
    typed(&mut state, " (1)");
    update(&mut state, key(KeyCode::Enter));
    let name = form(&state).records[0].texts("compound name")[0].to_string();
    assert!(name.ends_with(" (1)"), "{name}");
    // A new record, then a value in it; a record removed.
    press(&mut state, "N");
    assert_eq!(form(&state).records.len(), records + 1);
    assert_eq!(state.correction.form().unwrap().record, records);
    update(&mut state, key(KeyCode::Enter));
    typed(&mut state, "MOF-5");
    update(&mut state, key(KeyCode::Enter));
    assert_eq!(form(&state).records[records].texts("compound name"), ["MOF-5"]);
    // Another record, removed again.
    press(&mut state, "N");
    assert_eq!(form(&state).records.len(), records + 2);
    press(&mut state, "X");
    assert_eq!(form(&state).records.len(), records + 1);
    assert_eq!(state.correction.form().unwrap().record, records);
    // Back to the first record: a cleared field is written as the task's missing marker.
    for _ in 0..records {
        press(&mut state, "h");
    }
    assert_eq!(state.correction.form().unwrap().record, 0);
    go_to(
        &mut state,
        &Row::Value {
            field: "metal source".into(),
            index: 0,
        },
    );
    press(&mut state, "d");
    let text = accept(&mut state);
    assert!(text.starts_with("[{\"compound name\": "), "{text}");
    assert!(text.contains("\"metal source\": \"NaN\""), "{text}");
    assert!(text.contains("\"metal amount\": \"0.5 g\""), "{text}");
    assert!(text.contains("MOF-5"), "{text}");
}

#[test]
fn doping_statements_add_a_statement_with_host_from_the_source() {
    let (paragraph, gold) = common::sample("doping-eng");
    let mut state = open("doping-eng", &paragraph, &gold);
    assert_eq!(form(&state).records.len(), 1);
    press(&mut state, "N");
    go_to(&mut state, &Row::Add { field: "host".into() });
    press(&mut state, "v");
    // The first words of the paragraph, extended to two.
    press(&mut state, "W");
    update(&mut state, key(KeyCode::Enter));
    assert_eq!(form(&state).records[1].texts("host"), ["We report"]);
    go_to(&mut state, &Row::Add { field: "dopant".into() });
    update(&mut state, key(KeyCode::Enter));
    typed(&mut state, "Er3+");
    update(&mut state, key(KeyCode::Enter));
    let text = accept(&mut state);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("'We report'") && text.contains("'Er3+'"), "{text}");
}

#[test]
fn esc_drops_a_value_being_typed_then_closes_the_form() {
    let mut state = open("compound", "Ethanol was added.", "Ethanol");
    update(&mut state, key(KeyCode::Enter));
    typed(&mut state, "xyz");
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(form(&state).records[0].texts("compound"), ["Ethanol"]);
    update(&mut state, key(KeyCode::Esc));
    assert!(state.correction.form().is_none());
    assert_eq!(state.focus, Pane::Result);
}

/// The words of the selection being chosen.
use common::form::chosen;

/// A new value of the compound list, its words about to be chosen (`v` on the row that adds one).
fn choose_new(state: &mut State) {
    go_to(
        state,
        &Row::Add {
            field: "compound".into(),
        },
    );
    press(state, "v");
    assert!(state.correction.form().unwrap().selecting.is_some());
}

fn choosing_a_new_compound(paragraph: &str, reply: &str) -> State {
    let mut state = open("compound", paragraph, reply);
    choose_new(&mut state);
    state
}

#[test]
fn search_jumps_to_a_name_anywhere_and_n_steps_through_its_matches() {
    let filler = "the mixture was stirred for one hour and then ".repeat(5);
    let paragraph =
        format!("Lithium hydroxide was added; {filler}washed with lithium hydroxide monohydrate and Na\u{ad}OH.");
    let mut state = choosing_a_new_compound(&paragraph, "Water");
    // `/`, three letters, Enter: the 48th word is the value in six keys with `v`.
    press(&mut state, "/");
    typed(&mut state, "mon");
    assert_eq!(chosen(&state), "monohydrate");
    update(&mut state, key(KeyCode::Enter));
    assert!(state.correction.form().unwrap().selecting.is_none(), "Enter took it");
    let values = form(&state).field_values(0, "compound");
    assert_eq!(values.last().unwrap().text, "monohydrate");
    assert_eq!(values.last().unwrap().alignment, Alignment::Exact);
    // Case folded; a typed space matches the source's space; Tab, n and N go round the paragraph.
    choose_new(&mut state);
    press(&mut state, "/");
    typed(&mut state, "LITHIUM H");
    assert_eq!(chosen(&state), "Lithium hydroxide", "from the start");
    update(&mut state, key(KeyCode::Tab));
    assert_eq!(chosen(&state), "lithium hydroxide");
    update(&mut state, key(KeyCode::Esc));
    assert!(
        state.correction.form().unwrap().selecting.is_some(),
        "Esc stops typing only"
    );
    press(&mut state, "n");
    assert_eq!(chosen(&state), "Lithium hydroxide");
    press(&mut state, "N");
    assert_eq!(chosen(&state), "lithium hydroxide");
    press(&mut state, "e");
    assert_eq!(chosen(&state), "lithium hydroxide monohydrate");
    // A soft hyphen inside a name does not stop the search; Backspace shortens the query.
    press(&mut state, "/");
    typed(&mut state, "naohx");
    update(&mut state, key(KeyCode::Backspace));
    assert_eq!(chosen(&state), "Na\u{ad}OH");
    update(&mut state, key(KeyCode::Enter));
    let values = form(&state).field_values(0, "compound");
    assert_eq!(values.last().unwrap().text, "Na\u{ad}OH");
}

#[test]
fn a_name_is_one_key_and_its_words_a_second() {
    let paragraph = "To a solution of (S)-2-amino-3-(4-hydroxyphenyl)propanoic acid methyl ester (THF, 5 mL) was added µ-oxo-bis[Fe(III)] and β-alanine hydrochloride.";
    let mut state = choosing_a_new_compound(paragraph, "Water");
    press(&mut state, "/");
    typed(&mut state, "(s)-2");
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(
        chosen(&state),
        "(S)-2-amino-3-(4-hydroxyphenyl)propanoic",
        "the brackets are the name's"
    );
    press(&mut state, "e");
    assert_eq!(
        chosen(&state),
        "(S)-2-amino-3-(4-hydroxyphenyl)propanoic acid methyl ester"
    );
    update(&mut state, key(KeyCode::Enter));
    choose_new(&mut state);
    press(&mut state, "/thf");
    assert_eq!(chosen(&state), "THF", "brackets that only enclose a word stay out");
    update(&mut state, key(KeyCode::Esc));
    press(&mut state, "e");
    assert_eq!(chosen(&state), "THF", "a comma ends the name");
    press(&mut state, "/");
    typed(&mut state, "µ-oxo");
    assert_eq!(chosen(&state), "µ-oxo-bis[Fe(III)]");
    update(&mut state, key(KeyCode::Esc));
    press(&mut state, "/");
    typed(&mut state, "β-al");
    update(&mut state, key(KeyCode::Esc));
    press(&mut state, "e");
    assert_eq!(chosen(&state), "β-alanine hydrochloride");
    update(&mut state, key(KeyCode::Enter));
    let texts = form(&state).records[0].texts("compound");
    assert!(texts.contains(&"β-alanine hydrochloride"), "{texts:?}");
}

/// The compound list names every mention: a name set from the source offers its other
/// occurrences (found as grounding finds them: soft hyphens, case), `+` adds them in order of
/// appearance; a removed name offers its other copies; any other key lets the offer go.
#[test]
fn every_occurrence_in_one_key() {
    let paragraph = "NaOH and ethanol were mixed; the ethanol was removed, Na\u{ad}OH added and Ethanol again with µ-oxo and β-alanine.";
    let mut state = choosing_a_new_compound(paragraph, "Water | THF | THF");
    press(&mut state, "/");
    typed(&mut state, "ethanol");
    update(&mut state, key(KeyCode::Enter));
    let notice = state.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("“ethanol” occurs 2 more times"), "{notice}");
    press(&mut state, "+");
    let texts = form(&state).records[0].texts("compound");
    assert_eq!(texts, ["Water", "THF", "THF", "ethanol", "ethanol", "Ethanol"]);
    let spans: Vec<usize> = form(&state)
        .field_values(0, "compound")
        .iter()
        .filter_map(|v| v.span.as_ref().map(|s| s.bytes.start))
        .collect();
    assert!(
        spans.windows(2).all(|w| w[0] < w[1]),
        "in order of appearance: {spans:?}"
    );

    // NaOH: the soft-hyphenated mention is the same name, added as written.
    choose_new(&mut state);
    press(&mut state, "/");
    typed(&mut state, "naoh");
    update(&mut state, key(KeyCode::Enter));
    press(&mut state, "+");
    let texts: Vec<String> = form(&state).records[0]
        .texts("compound")
        .iter()
        .map(|t| t.to_string())
        .collect();
    assert!(
        texts.contains(&"NaOH".to_string()) && texts.contains(&"Na\u{ad}OH".to_string()),
        "{texts:?}"
    );
    let at = |name: &str| texts.iter().position(|t| t == name).unwrap();
    assert!(
        at("ethanol") < at("Na\u{ad}OH") && at("Na\u{ad}OH") < at("Ethanol"),
        "placed by where it occurs: {texts:?}"
    );

    // Removing one THF offers the other; another key first lets the offer go.
    let thf = |state: &State| -> Vec<usize> {
        form(state).records[0]
            .texts("compound")
            .iter()
            .enumerate()
            .filter(|(_, t)| **t == "THF")
            .map(|(i, _)| i)
            .collect()
    };
    let first = thf(&state)[0];
    go_to(
        &mut state,
        &Row::Value {
            field: "compound".into(),
            index: first,
        },
    );
    press(&mut state, "d");
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("“THF” is listed 1 more time")
    );
    press(&mut state, "j");
    press(&mut state, "+");
    assert_eq!(thf(&state).len(), 1, "the offer was let go");
    let last = thf(&state)[0];
    go_to(
        &mut state,
        &Row::Value {
            field: "compound".into(),
            index: last,
        },
    );
    press(&mut state, "d");
    assert!(thf(&state).is_empty());
    // Removing a name listed twice, and taking the offer.
    let ethanol = form(&state).records[0]
        .texts("compound")
        .iter()
        .position(|t| *t == "ethanol")
        .unwrap();
    go_to(
        &mut state,
        &Row::Value {
            field: "compound".into(),
            index: ethanol,
        },
    );
    press(&mut state, "d");
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("“ethanol” is listed 2 more times")
    );
    press(&mut state, "+");
    let texts = form(&state).records[0].texts("compound");
    assert!(texts.iter().all(|t| !t.eq_ignore_ascii_case("ethanol")), "{texts:?}");
}

#[test]
fn values_are_reordered_with_shift_j_and_k() {
    let paragraph = "Ethanol, THF and toluene were stirred.";
    let mut state = open("compound", paragraph, "THF | Ethanol | toluene");
    go_to(
        &mut state,
        &Row::Value {
            field: "compound".into(),
            index: 0,
        },
    );
    press(&mut state, "J");
    assert_eq!(form(&state).records[0].texts("compound"), ["Ethanol", "THF", "toluene"]);
    // The cursor went with the value: J again moves THF after toluene.
    press(&mut state, "J");
    assert_eq!(form(&state).records[0].texts("compound"), ["Ethanol", "toluene", "THF"]);
    press(&mut state, "J");
    let notice = &state.notice.as_ref().unwrap().text;
    assert!(notice.contains("already the last"), "{notice}");
    press(&mut state, "KK");
    assert_eq!(form(&state).records[0].texts("compound"), ["THF", "Ethanol", "toluene"]);
    press(&mut state, "j");
    press(&mut state, "K");
    assert_eq!(accept(&mut state), "Ethanol | THF | toluene");
}

#[test]
fn plus_with_nothing_offered_says_so() {
    let mut state = open("compound", "Ethanol and THF were stirred.", "Ethanol | THF");
    press(&mut state, "+");
    let notice = &state.notice.as_ref().expect("a message, not silence").text;
    assert!(notice.contains("nothing to do for other occurrences"), "{notice}");
}
