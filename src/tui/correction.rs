//! Corrections: opening the editor on a run, accepting the edit as gold, saving the example,
//! copying it, and reopening saved examples.

use super::action::{Effect, Side};
use super::state::{EditorState, Level, Pane, State};
use crate::clock::now;
use crate::dataset::store::{SavedExample, new_id};
use crate::extraction::Extraction;
use ratatui_textarea::{CursorMove, TextArea};

pub(super) fn open_editor(state: &mut State, slot: Side) -> Vec<Effect> {
    let task = state.task().clone();
    let text = match (&state.gold, slot) {
        (Some((extraction, _)), Side::Main) => Some(task.render_for_editing(extraction)),
        _ => state.runs[slot].run.as_ref().map(|run| match &run.extraction {
            Some(extraction) => task.render_for_editing(extraction),
            None => run.answer.clone(),
        }),
    };
    open_editor_with(state, slot, &text.unwrap_or_default());
    Vec::new()
}

/// Opens the text editor on `text`, a correction that started from the `slot` run.
pub(super) fn open_editor_with(state: &mut State, slot: Side, text: &str) {
    let mut area = TextArea::new(text.split('\n').map(String::from).collect());
    area.set_max_histories(200);
    area.move_cursor(CursorMove::Bottom);
    area.move_cursor(CursorMove::End);
    state.editor = Some(EditorState {
        area,
        from: slot,
        parsed: Ok(Extraction::default()),
    });
    state.reparse_editor();
    state.focus = Pane::Editor;
    state.draft_version += 1;
}

pub(super) fn accept(state: &mut State) -> Vec<Effect> {
    let task = state.task().clone();
    if let Some(extraction) = super::form::accepted(state) {
        let text = task.render(&extraction);
        state.set_gold(Some((extraction, text)));
        state.form = None;
        state.focus = Pane::Result;
        state.notify("accepted as the corrected gold (s saves it)", Level::Info);
    } else if let Some(editor) = &state.editor {
        match &editor.parsed {
            Ok(extraction) => {
                // Saved in the task's exact format, whatever the layout typed.
                let text = task.render(extraction);
                state.set_gold(Some((extraction.clone(), text)));
                state.editor = None;
                state.focus = Pane::Result;
                state.notify("accepted as the corrected gold (s saves it)", Level::Info);
            }
            Err(e) => state.notify(format!("fix the text first: {e}"), Level::Error),
        }
    } else if let Some(extraction) = state.runs[Side::Main].extraction().cloned() {
        let text = task.render(&extraction);
        state.set_gold(Some((extraction, text)));
        state.notify("the run's extraction is accepted as gold", Level::Info);
    } else {
        state.notify("nothing to accept: run or edit first", Level::Error);
    }
    state.draft_version += 1;
    Vec::new()
}

pub(super) fn save(state: &mut State) -> Vec<Effect> {
    let task = state.task().clone();
    let (extraction, answer) = match (&state.gold, state.runs[Side::Main].extraction()) {
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
    let example = SavedExample {
        id: new_id(),
        task: task.name.clone(),
        paragraph: state.paragraph(),
        answer,
        extraction,
        runs,
        saved_at: now(),
        provenance: if state.gold.is_some() {
            "workbench: corrected".into()
        } else {
            "workbench: accepted run".into()
        },
    };
    vec![Effect::SaveExample(Box::new(example))]
}

pub(super) fn copy(state: &mut State, as_json: bool) -> Vec<Effect> {
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

pub(super) fn open_saved(state: &mut State) -> Vec<Effect> {
    let Some(example) = state.browser.get(state.browser_selected).cloned() else {
        return Vec::new();
    };
    let mut source = TextArea::new(example.paragraph.split('\n').map(String::from).collect());
    source.set_max_histories(200);
    state.source = source;
    state.set_gold(Some((example.extraction, example.answer)));
    state.runs = Default::default();
    state.editor = None;
    state.browser.clear();
    state.focus = Pane::Source;
    state.reground();
    state.draft_version += 1;
    state.notify(format!("opened the example saved {}", example.saved_at), Level::Info);
    Vec::new()
}
