//! The field editor: an extraction as a form, one record at a time, corrected value by value.
//! A value is typed in place, cleared, added or removed, or taken from the source by selecting
//! words (then it is grounded by construction). Records are added and removed. Pure handlers.

use super::action::{Command, Effect, Side};
use super::phase::Phase;
use super::state::{Level, Pane, SourceScroll, State};
use crate::extraction::{Alignment, Slot, Value};
use crate::task::Task;
use ratatui_textarea::{CursorMove, TextArea};

pub use super::fields::{FormState, Row, Selection, holds_many, rows, words};

/// The field editor's meaning of a command while it has the keys: typing a value or moving over
/// the rows (choosing words of the source is `select`'s). Accepting is the correction's (or the
/// queue's).
pub(super) fn handle(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    let form = state.correction.form_mut()?;
    // An offer for other occurrences lasts until the next command.
    let offer = form.repeats.take();
    let typing = form.input.is_some();
    if command == Command::AllOccurrences {
        form.repeats = offer;
        return Some(super::repeats::apply(state));
    }
    Some(match command {
        Command::Choose if typing => commit_input(state),
        Command::Close if typing => cancel_input(state),
        Command::Close => close(state),
        Command::SelectNext => move_row(state, true),
        Command::SelectPrev => move_row(state, false),
        Command::NextRecord => move_record(state, true),
        Command::PrevRecord => move_record(state, false),
        Command::EditValue => edit_value(state),
        Command::ClearValue => clear(state),
        Command::MoveValueDown => move_value(state, true),
        Command::MoveValueUp => move_value(state, false),
        Command::AddValue => add_value(state),
        Command::AddRecord => add_record(state),
        Command::RemoveRecord => remove_record(state),
        Command::Edit => to_text(state),
        _ => return None,
    })
}

/// Whether `command` would do something in the field editor now (`None`: not its command).
pub(super) fn can(state: &State, command: Command) -> Option<bool> {
    let form = state.correction.form()?;
    Some(match command {
        Command::Choose => form.input.is_some(),
        Command::NextRecord | Command::PrevRecord => form.extraction.records.len() > 1,
        Command::SelectNext | Command::SelectPrev | Command::EditValue | Command::ClearValue => true,
        Command::AddValue | Command::AddRecord | Command::RemoveRecord => true,
        Command::MoveValueDown | Command::MoveValueUp => matches!(slot(state), Some((_, Row::Value { .. }))),
        Command::Close | Command::Edit => true,
        Command::AllOccurrences => form.repeats.is_some(),
        _ => return None,
    })
}

pub(super) fn open(state: &mut State, side: Side) -> Vec<Effect> {
    let extraction = match (state.gold(), side) {
        (Some((extraction, _)), Side::Main) => Some(extraction.clone()),
        _ => state.runs[side].extraction().cloned(),
    };
    let mut extraction = extraction.unwrap_or_default();
    if extraction.records.is_empty() {
        let fields = template(state.task());
        extraction.add_record(&fields);
    }
    state.correction.edit_fields(FormState {
        extraction,
        from: side,
        record: 0,
        row: 0,
        input: None,
        selecting: None,
        repeats: None,
    });
    state.focus = Pane::Form;
    follow_row(state);
    Vec::new()
}

/// The task's fields as a new record has them.
fn template(task: &Task) -> Vec<(String, bool)> {
    task.fields.iter().map(|f| (f.name.clone(), f.list)).collect()
}

/// The slot under the cursor: the value row's, or one past the field's last value.
pub(super) fn slot(state: &State) -> Option<(Slot, Row)> {
    let form = state.correction.form()?;
    let row = rows(state.task(), &form.extraction, form.record).get(form.row)?.clone();
    let index = match &row {
        Row::Value { index, .. } => *index,
        Row::Add { field } => form.extraction.field_values(form.record, field).len(),
        Row::Nested { .. } => return None,
    };
    let slot = Slot {
        record: form.record,
        field: row.field().to_string(),
        index,
    };
    Some((slot, row))
}

/// Points the source at the value under the cursor.
fn follow_row(state: &mut State) {
    let Some((slot, _)) = slot(state) else { return };
    let Some(form) = state.correction.form() else { return };
    let mut flat = 0;
    for (r, record) in form.extraction.records.iter().enumerate() {
        for field in &record.fields {
            if r == slot.record && field.name == slot.field {
                state.result.selected = flat + slot.index.min(field.value_count().saturating_sub(1));
                state.source.scroll = SourceScroll::FollowSelection;
                return;
            }
            flat += field.value_count();
        }
    }
}

pub(super) fn move_row(state: &mut State, forward: bool) -> Vec<Effect> {
    let task = state.task().clone();
    if let Some(form) = state.correction.form_mut() {
        let count = rows(&task, &form.extraction, form.record).len();
        form.row = if forward {
            (form.row + 1).min(count.saturating_sub(1))
        } else {
            form.row.saturating_sub(1)
        };
    }
    follow_row(state);
    Vec::new()
}

pub(super) fn move_record(state: &mut State, forward: bool) -> Vec<Effect> {
    if let Some(form) = state.correction.form_mut() {
        let last = form.extraction.records.len().saturating_sub(1);
        form.record = if forward {
            (form.record + 1).min(last)
        } else {
            form.record.saturating_sub(1)
        };
        form.row = 0;
    }
    follow_row(state);
    Vec::new()
}

/// `Enter`: type over the value under the cursor (or a new one on an add row).
pub(super) fn edit_value(state: &mut State) -> Vec<Effect> {
    let Some((slot, row)) = slot(state) else {
        state.notify("nested records are edited as text: E", Level::Info);
        return Vec::new();
    };
    let Some(form) = state.correction.form_mut() else {
        return Vec::new();
    };
    let text = match row {
        Row::Value { .. } => form
            .extraction
            .field_values(slot.record, &slot.field)
            .get(slot.index)
            .map_or(String::new(), |v| v.text.clone()),
        _ => String::new(),
    };
    let mut input = TextArea::new(vec![text]);
    input.move_cursor(CursorMove::End);
    form.input = Some(input);
    Vec::new()
}

/// `o`: a new value for the field under the cursor.
pub(super) fn add_value(state: &mut State) -> Vec<Effect> {
    let task = state.task().clone();
    let Some(form) = state.correction.form_mut() else {
        return Vec::new();
    };
    let rows = rows(&task, &form.extraction, form.record);
    let Some(field) = rows.get(form.row).map(|r| r.field().to_string()) else {
        return Vec::new();
    };
    match rows.iter().position(|r| *r == Row::Add { field: field.clone() }) {
        Some(at) => form.row = at,
        None => {
            state.notify(format!("{field} takes one value: Enter changes it"), Level::Info);
            return Vec::new();
        }
    }
    edit_value(state)
}

/// `Enter` in the input: the typed text becomes the value, grounded in the source.
pub(super) fn commit_input(state: &mut State) -> Vec<Effect> {
    let Some(text) = state
        .correction
        .form_mut()
        .and_then(|f| f.input.take())
        .map(|input| input.lines().join(" ").trim().to_string())
    else {
        return Vec::new();
    };
    let Some((slot, _)) = slot(state) else {
        return Vec::new();
    };
    if text.is_empty() {
        return clear(state);
    }
    let paragraph = state.paragraph();
    let mut value = Value::new(text);
    if state.task().is_verbatim(&slot.field) {
        crate::ground::Grounder::new(&paragraph).ground_value(&mut value);
    } else {
        value.alignment = Alignment::NotApplicable;
    }
    set(state, &slot, value);
    Vec::new()
}

pub(super) fn cancel_input(state: &mut State) -> Vec<Effect> {
    if let Some(form) = state.correction.form_mut() {
        form.input = None;
        form.selecting = None;
    }
    Vec::new()
}

/// `d`: removes the value under the cursor (a field without values is missing).
pub(super) fn clear(state: &mut State) -> Vec<Effect> {
    let Some((slot, row)) = slot(state) else {
        return Vec::new();
    };
    if let (Row::Value { .. }, Some(form)) = (row, state.correction.form_mut()) {
        let text = form
            .extraction
            .field_values(slot.record, &slot.field)
            .get(slot.index)
            .map(|v| v.text.clone());
        form.extraction.remove_value(&slot);
        changed(state);
        if let Some(text) = text {
            super::repeats::offer_after_remove(state, slot.record, &slot.field, &text);
        }
    }
    Vec::new()
}

/// J/K: the value under the cursor changes places with its neighbour; the cursor follows it.
fn move_value(state: &mut State, later: bool) -> Vec<Effect> {
    let Some((slot, Row::Value { .. })) = slot(state) else {
        return Vec::new();
    };
    let moved = state.correction.form_mut().and_then(|form| {
        let to = form.extraction.move_value(&slot, later)?;
        form.row = if to > slot.index { form.row + 1 } else { form.row - 1 };
        Some(to)
    });
    match moved {
        Some(_) => changed(state),
        None => {
            let end = if later { "last" } else { "first" };
            state.notify(format!("the value is already the {end} of {}", slot.field), Level::Info);
        }
    }
    Vec::new()
}

pub(super) fn add_record(state: &mut State) -> Vec<Effect> {
    let fields = template(state.task());
    if let Some(form) = state.correction.form_mut() {
        form.record = form.extraction.add_record(&fields);
        form.row = 0;
        changed(state);
    }
    Vec::new()
}

pub(super) fn remove_record(state: &mut State) -> Vec<Effect> {
    if let Some(form) = state.correction.form_mut() {
        form.extraction.remove_record(form.record);
        form.record = form.record.min(form.extraction.records.len().saturating_sub(1));
        form.row = 0;
        changed(state);
    }
    Vec::new()
}

pub(super) fn set(state: &mut State, slot: &Slot, value: Value) {
    let list = state.task().field(&slot.field).is_some_and(|f| f.list);
    if let Some(form) = state.correction.form_mut() {
        form.extraction.set_value(slot, value, list);
    }
    changed(state);
    super::repeats::offer_after_set(state, slot);
}

/// After a change: the cursor stays on a row that exists and the source follows it.
fn changed(state: &mut State) {
    let task = state.task().clone();
    if let Some(form) = state.correction.form_mut() {
        let count = rows(&task, &form.extraction, form.record).len();
        form.row = form.row.min(count.saturating_sub(1));
    }
    state.refresh_comparison();
    follow_row(state);
}

pub(super) fn close(state: &mut State) -> Vec<Effect> {
    state.correction.close_editor();
    state.focus = Pane::Result;
    Vec::new()
}

/// `E`: the form's answer in the text editor, for bulk edits.
pub(super) fn to_text(state: &mut State) -> Vec<Effect> {
    let Phase::EditingFields { form, .. } = state.correction.close_editor() else {
        return Vec::new();
    };
    let text = state.task().render_for_editing(&form.extraction);
    state.edit_text(form.from, &text);
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_leave_the_punctuation_around_them_out() {
        let text = "Cu(ClO4)2·6H2O (0.37 g, 1.00 mmol) in ethanol.";
        let found: Vec<&str> = words(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(found, ["Cu(ClO4)2·6H2O", "0.37", "g", "1.00", "mmol", "in", "ethanol"]);
    }
}
