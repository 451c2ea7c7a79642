//! Moving around the workbench: focus, overlays and pickers, scrolling, selecting values, typing
//! into the paragraph, closing things. Pure handlers of `update`'s commands.

use super::action::{Effect, Side};
use super::picker;
use super::runs::{list_models, model_labels, running_slots};
use super::state::{Level, Mode, Overlay, Pane, PickerKind, ResultView, State};
use ratatui_textarea::CursorMove;

pub(super) fn open_overlay(state: &mut State, overlay: Overlay) -> Vec<Effect> {
    state.mode = Mode::Overlay(overlay);
    Vec::new()
}

pub(super) fn move_focus(state: &mut State, forward: bool) -> Vec<Effect> {
    let panes = state.panes();
    let at = panes.iter().position(|p| *p == state.focus).unwrap_or(0);
    let step = if forward { 1 } else { panes.len() - 1 };
    state.focus = panes[(at + step) % panes.len()];
    state.mode = Mode::Panes;
    Vec::new()
}

pub(super) fn open_task_picker(state: &mut State) -> Vec<Effect> {
    let items = state
        .tasks
        .iter()
        .map(|t| format!("{} — {}", t.name, t.title))
        .collect();
    open_overlay(
        state,
        Overlay::Picker(picker::open(PickerKind::Task, items, state.task)),
    )
}

pub(super) fn open_model_picker(state: &mut State, kind: PickerKind) -> Vec<Effect> {
    let current = match kind {
        PickerKind::CompareModel => state.compare_model.unwrap_or(0),
        _ => state.model,
    };
    let items = model_labels(state);
    open_overlay(state, Overlay::Picker(picker::open(kind, items, current)));
    vec![list_models(state)]
}

/// Strict grounding on or off for the profile highlighted in the model picker, for this session
/// (the profile's file is not changed; `grounding` there sets the default).
pub(super) fn toggle_grounding(state: &mut State) -> Vec<Effect> {
    use crate::llm::grounding::Grounding;
    let Some(Overlay::Picker(picker)) = state.overlay() else {
        return Vec::new();
    };
    if !matches!(picker.kind, PickerKind::Model | PickerKind::CompareModel) {
        return Vec::new();
    }
    let Some(index) = picker::chosen(picker) else {
        return Vec::new();
    };
    let Some(profile) = state.profiles.get_mut(index) else {
        return Vec::new();
    };
    profile.grounding = match profile.grounding {
        Grounding::Strict => Grounding::Off,
        Grounding::Off => Grounding::Strict,
    };
    let message = format!("{}: grounding {}", profile.name, profile.grounding);
    let labels = model_labels(state);
    if let Mode::Overlay(Overlay::Picker(picker)) = &mut state.mode {
        picker.items = labels;
    }
    state.notify(message, Level::Info);
    Vec::new()
}

/// Files a queue could be opened from; typing a path that is not listed works too.
pub(super) fn open_queue_picker(state: &mut State, files: Vec<String>) -> Vec<Effect> {
    state.notify(
        "open a review queue: an extract output, or paragraphs to pre-annotate; type a path if it is not listed",
        Level::Info,
    );
    open_overlay(state, Overlay::Picker(picker::open(PickerKind::QueueFile, files, 0)))
}

pub(super) fn toggle_compare(state: &mut State) -> Vec<Effect> {
    state.compare.open = !state.compare.open;
    if state.compare.open {
        state.focus = Pane::Compare;
    } else if state.focus == Pane::Compare {
        state.focus = Pane::Result;
    }
    Vec::new()
}

pub(super) fn toggle_raw(state: &mut State) -> Vec<Effect> {
    state.result.view = match state.result.view {
        ResultView::Structured => ResultView::Raw,
        ResultView::Raw => ResultView::Structured,
    };
    Vec::new()
}

pub(super) fn open_inspector(state: &mut State) -> Vec<Effect> {
    let side = if state.focus == Pane::Compare && state.runs[Side::Compare].run.is_some() {
        Side::Compare
    } else {
        Side::Main
    };
    if state.runs[side].run.is_some() {
        return open_overlay(state, Overlay::Inspector(side));
    }
    state.notify("no run to inspect yet: run the extraction first", Level::Info);
    Vec::new()
}

pub(super) fn scroll(state: &mut State, down: bool) -> Vec<Effect> {
    if state.focus == Pane::Compare {
        let last = state.compare.rows.len().saturating_sub(1);
        let scroll = &mut state.compare.scroll;
        *scroll = if down {
            (*scroll + 1).min(last)
        } else {
            scroll.saturating_sub(1)
        };
        return Vec::new();
    }
    state.source.scroll = if down {
        state.source.scroll.down()
    } else {
        state.source.scroll.up()
    };
    Vec::new()
}

pub(super) fn edit_source(state: &mut State) -> Vec<Effect> {
    state.focus = Pane::Source;
    state.mode = Mode::EditingSource;
    if state.source.area.cursor() == (0, 0) {
        state.source.area.move_cursor(CursorMove::Bottom);
        state.source.area.move_cursor(CursorMove::End);
    }
    Vec::new()
}

pub(super) fn clear_source(state: &mut State) -> Vec<Effect> {
    state.source.area.select_all();
    state.source.area.cut();
    state.draft_changed();
    state.reground();
    Vec::new()
}

pub(super) fn undo(state: &mut State, undo: bool) -> Vec<Effect> {
    let changed = if undo {
        state.source.area.undo()
    } else {
        state.source.area.redo()
    };
    if changed {
        state.draft_changed();
        state.reground();
    }
    Vec::new()
}

/// Cancels what runs; with nothing running, closes.
pub(super) fn cancel(state: &mut State) -> Vec<Effect> {
    let running = running_slots(state);
    if !running.is_empty() {
        state.notify("cancelled", Level::Info);
        return running.into_iter().map(Effect::CancelRun).collect();
    }
    close(state)
}

/// Closes the innermost thing: an overlay, typing into the paragraph, the editor, the browser.
pub(super) fn close(state: &mut State) -> Vec<Effect> {
    match (&state.mode, state.focus) {
        (Mode::Overlay(_), _) => state.mode = Mode::Panes,
        (Mode::EditingSource, _) => {
            state.mode = Mode::Panes;
            state.reground();
        }
        (Mode::Panes, Pane::Editor) => {
            state.correction.close_editor();
            state.focus = Pane::Result;
        }
        (Mode::Panes, Pane::Browser) => {
            state.browser.examples.clear();
            state.focus = Pane::Source;
        }
        (Mode::Panes, _) => {}
    }
    Vec::new()
}

/// Selects the first value of the next or previous record (the result shows records one at a
/// time when they do not fit side by side).
pub(super) fn step_record(state: &mut State, forward: bool) -> Vec<Effect> {
    let Some(extraction) = state.highlighted() else {
        return Vec::new();
    };
    let counts: Vec<usize> = extraction
        .records
        .iter()
        .map(|r| r.fields.iter().map(|f| f.value_count()).sum())
        .collect();
    let current = extraction.record_of_value(state.result.selected);
    let target = if forward {
        (current + 1).min(counts.len().saturating_sub(1))
    } else {
        current.saturating_sub(1)
    };
    // An empty record has no value to select: the nearest value before it stands in.
    state.result.selected = counts[..target]
        .iter()
        .sum::<usize>()
        .min(state.value_count().saturating_sub(1));
    state.source.scroll = super::state::SourceScroll::FollowSelection;
    Vec::new()
}

/// The next or previous item: in an open picker, in the browser, or among the values.
pub(super) fn select(state: &mut State, forward: bool) -> Vec<Effect> {
    if let Mode::Overlay(Overlay::Picker(picker)) = &mut state.mode {
        picker::move_selection(picker, forward);
        return Vec::new();
    }
    if state.focus == Pane::Browser {
        let last = state.browser.examples.len().saturating_sub(1);
        state.browser.selected = if forward {
            (state.browser.selected + 1).min(last)
        } else {
            state.browser.selected.saturating_sub(1)
        };
        return Vec::new();
    }
    let count = state.value_count();
    if count == 0 {
        return Vec::new();
    }
    state.result.selected = if forward {
        (state.result.selected + 1) % count
    } else {
        (state.result.selected + count - 1) % count
    };
    state.source.scroll = super::state::SourceScroll::FollowSelection;
    Vec::new()
}
