//! Corrections: opening the text or field editor on a run, accepting the answer as gold, saving
//! the example, copying it, and reopening saved examples. Which commands mean something in
//! which phase is said once, in `handle`, and `can` answers from the same match.

use super::action::{Command, Effect, Side};
use super::form;
use super::phase::Phase;
use super::state::{Level, Pane, State};
use crate::clock::now;
use crate::dataset::store::{SavedExample, new_id};
use ratatui_textarea::TextArea;

/// The correction's meaning of `command` in the current phase, when it has one.
pub(super) fn handle(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    Some(match command {
        Command::Edit | Command::AdoptLeft => open_editor(state, Side::Main),
        Command::AdoptRight => open_editor(state, Side::Compare),
        Command::EditFields => form::open(state, Side::Main),
        Command::Accept => accept(state),
        Command::ClearAnswer => clear_answer(state),
        Command::Save => save(state),
        Command::CopyJson => copy(state, true),
        Command::CopyText => copy(state, false),
        Command::Open => open_saved(state),
        _ => return None,
    })
}

/// Whether `command` would do something now (`None`: not a correction command).
pub(super) fn can(state: &State, command: Command) -> Option<bool> {
    Some(match command {
        Command::Accept => can_accept(state),
        Command::ClearAnswer => state.correction.editor().is_some(),
        Command::Save => state.gold().is_some() || main_extraction(state) || editor_parses(state),
        Command::AdoptLeft => state.runs[Side::Main].run.is_some(),
        Command::AdoptRight => state.runs[Side::Compare].run.is_some(),
        Command::CopyJson | Command::CopyText => state.highlighted().is_some(),
        Command::Open => !state.browser.examples.is_empty(),
        Command::Edit | Command::EditFields => true,
        _ => return None,
    })
}

/// Accepting does something unless an edited text does not parse; with nothing edited it takes
/// the main run's extraction.
pub(super) fn can_accept(state: &State) -> bool {
    match state.correction.to_accept() {
        Some(chosen) => chosen.is_ok(),
        None => main_extraction(state),
    }
}

fn main_extraction(state: &State) -> bool {
    state.runs[Side::Main].extraction().is_some()
}

fn editor_parses(state: &State) -> bool {
    state.correction.editor().is_some_and(|e| e.parsed.is_ok())
}

fn open_editor(state: &mut State, slot: Side) -> Vec<Effect> {
    let task = state.task().clone();
    let text = match (state.gold(), slot) {
        (Some((extraction, _)), Side::Main) => Some(task.render_for_editing(extraction)),
        _ => state.runs[slot].run.as_ref().map(|run| match &run.extraction {
            Some(extraction) => task.render_for_editing(extraction),
            None => run.answer.clone(),
        }),
    };
    state.edit_text(slot, &text.unwrap_or_default());
    Vec::new()
}

/// The form's values, the edited text, the accepted gold, else the main run's extraction, as
/// the gold (in the task's exact format, whatever the layout typed).
fn accept(state: &mut State) -> Vec<Effect> {
    let message = match state.correction.phase() {
        Phase::EditingText { .. } | Phase::EditingFields { .. } => "accepted as the corrected gold (s saves it)",
        Phase::Accepted(_) => "the correction stays accepted (s saves it)",
        Phase::Viewing => "the run's extraction is accepted as gold",
    };
    let chosen = match state.correction.to_accept() {
        Some(Ok(extraction)) => extraction,
        Some(Err(e)) => {
            state.notify(format!("fix the text first: {e}"), Level::Error);
            return Vec::new();
        }
        None => match state.runs[Side::Main].extraction() {
            Some(extraction) => extraction.clone(),
            None => {
                state.notify("nothing to accept: run or edit first", Level::Error);
                return Vec::new();
            }
        },
    };
    if asks_about_unfound(state, &chosen) {
        return Vec::new();
    }
    let text = state.task().render(&chosen);
    state.accept_gold((chosen, text));
    if matches!(state.focus, Pane::Editor | Pane::Form) {
        state.focus = Pane::Result;
    }
    state.notify(message, Level::Info);
    Vec::new()
}

/// Ctrl-L in the text editor: the whole answer goes, one undo step brings it back.
fn clear_answer(state: &mut State) -> Vec<Effect> {
    if let Some(editor) = state.correction.editor_mut() {
        editor.area.select_all();
        editor.area.cut();
    }
    state.reparse_editor();
    state.notify("the answer is cleared (ctrl-u brings it back)", Level::Info);
    Vec::new()
}

/// Before values not in the source become gold, says which, once: the same key again accepts.
pub(super) fn asks_about_unfound(state: &mut State, extraction: &crate::extraction::Extraction) -> bool {
    let unfound: Vec<String> = extraction
        .values()
        .iter()
        .filter(|(_, v)| v.alignment == crate::extraction::Alignment::Unaligned)
        .map(|(_, v)| format!("\"{}\"", crate::foreign::one_line(&v.text, 60)))
        .collect();
    let answer = state.task().render(extraction);
    if !state.correction.ask_before_accepting(&answer, unfound.len()) {
        return false;
    }
    state.notify(
        format!(
            "⚠ {} not in the source: {} — the same key again accepts as written",
            unfound.len(),
            unfound.join(", ")
        ),
        Level::Error,
    );
    true
}

fn save(state: &mut State) -> Vec<Effect> {
    let task = state.task().clone();
    let (extraction, answer) = match (state.gold(), state.runs[Side::Main].extraction()) {
        (Some((extraction, text)), _) => (extraction.clone(), text.clone()),
        (None, Some(extraction)) => (extraction.clone(), task.render(extraction)),
        (None, None) => {
            state.notify(
                "nothing to save: run the model or write the answer (e) first",
                Level::Error,
            );
            return Vec::new();
        }
    };
    let runs = state
        .runs
        .iter()
        .filter_map(|s| s.run.as_ref())
        .filter_map(|r| serde_json::to_value(r).ok())
        .collect();
    let provenance = if state.gold().is_some() {
        "workbench: corrected"
    } else {
        "workbench: accepted run"
    };
    let example = SavedExample {
        id: new_id(),
        task: task.name.clone(),
        paragraph: state.paragraph(),
        answer,
        extraction,
        runs,
        saved_at: now(),
        provenance: provenance.into(),
        source_id: None,
    };
    vec![Effect::SaveExample(Box::new(example))]
}

fn copy(state: &mut State, as_json: bool) -> Vec<Effect> {
    let Some(extraction) = state.highlighted() else {
        state.notify("nothing to copy yet", Level::Error);
        return Vec::new();
    };
    let (text, what) = if as_json {
        (
            serde_json::to_string_pretty(extraction).unwrap_or_default(),
            "the extraction as JSON",
        )
    } else {
        (state.task().render(extraction), "the canonical text")
    };
    vec![Effect::Copy { text, what }]
}

fn open_saved(state: &mut State) -> Vec<Effect> {
    let Some(example) = state.browser.examples.get(state.browser.selected).cloned() else {
        return Vec::new();
    };
    let mut source = TextArea::new(example.paragraph.split('\n').map(String::from).collect());
    source.set_max_histories(200);
    state.source.area = source;
    state.runs = Default::default();
    state.accept_gold((example.extraction, example.answer));
    state.browser.examples.clear();
    state.focus = Pane::Source;
    state.reground();
    state.notify(format!("opened the example saved {}", example.saved_at), Level::Info);
    Vec::new()
}
