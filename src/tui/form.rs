//! The field editor: an extraction as a form, one record at a time, corrected value by value.
//! A value is typed in place, cleared, added or removed, or taken from the source by selecting
//! words (then it is grounded by construction). Records are added and removed. Pure handlers.

use super::action::{Effect, Side};
use super::state::{Level, Pane, SourceScroll, State};
use crate::extraction::{Alignment, Extraction, FieldContent, Slot, Span, Value};
use crate::format::Format;
use crate::task::Task;
use ratatui_textarea::{CursorMove, TextArea};
use std::ops::Range;

pub struct FormState {
    pub extraction: Extraction,
    /// The run the correction started from.
    pub from: Side,
    /// The record shown.
    pub record: usize,
    /// The highlighted row of that record.
    pub row: usize,
    /// A value being typed.
    pub input: Option<TextArea<'static>>,
    /// Words of the source being chosen as the value.
    pub selecting: Option<Selection>,
}

/// One line of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Value {
        field: String,
        index: usize,
    },
    /// Room for one more value of the field (its first, when it has none).
    Add {
        field: String,
    },
    /// A field of nested records (doping JSON links): edited as text.
    Nested {
        field: String,
    },
}

impl Row {
    pub fn field(&self) -> &str {
        match self {
            Row::Value { field, .. } | Row::Add { field } | Row::Nested { field } => field,
        }
    }
}

/// A run of whole words of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub words: Vec<Range<usize>>,
    pub first: usize,
    pub last: usize,
}

impl Selection {
    pub fn bytes(&self) -> Range<usize> {
        self.words[self.first].start..self.words[self.last].end
    }
}

/// The rows of `record`: the task's fields in order (then any others the record has); a field
/// that holds several values gets a row per value and one to add another.
pub fn rows(task: &Task, extraction: &Extraction, record: usize) -> Vec<Row> {
    let Some(fields) = extraction.records.get(record).map(|r| &r.fields) else {
        return Vec::new();
    };
    let mut names: Vec<&str> = task.fields.iter().map(|f| f.name.as_str()).collect();
    names.extend(
        fields
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| task.field(n).is_none()),
    );
    let mut rows = Vec::new();
    for name in names {
        let field = fields.iter().find(|f| f.name == name);
        if let Some(FieldContent::Records(_)) = field.map(|f| &f.content) {
            rows.push(Row::Nested { field: name.into() });
            continue;
        }
        let count = extraction.field_values(record, name).len();
        rows.extend((0..count).map(|index| Row::Value {
            field: name.into(),
            index,
        }));
        if count == 0 || holds_many(task, name) {
            rows.push(Row::Add { field: name.into() });
        }
    }
    rows
}

/// Whether a field takes several values: a JSON list, a separated string, or any field of a
/// format that is not JSON (lists of compounds, roles, statements).
pub fn holds_many(task: &Task, field: &str) -> bool {
    let spec = task.field(field);
    !matches!(task.format, Format::Json { .. }) || spec.is_some_and(|s| s.list || s.separator.is_some())
}

/// Word spans of `text`: runs of non-space characters without the punctuation around them.
pub fn words(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                let word = &text[s..i];
                let trimmed_end = word.trim_end_matches([',', ';', ':', '.', ')', ']']);
                let trimmed = trimmed_end.trim_start_matches(['(', '[']);
                if !trimmed.is_empty() {
                    let begin = s + (trimmed_end.len() - trimmed.len());
                    out.push(begin..begin + trimmed.len());
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

pub(super) fn open(state: &mut State, side: Side) -> Vec<Effect> {
    let extraction = match (&state.gold, side) {
        (Some((extraction, _)), Side::Main) => Some(extraction.clone()),
        _ => state.runs[side].extraction().cloned(),
    };
    let mut extraction = extraction.unwrap_or_default();
    if extraction.records.is_empty() {
        let fields = template(state.task());
        extraction.add_record(&fields);
    }
    state.form = Some(FormState {
        extraction,
        from: side,
        record: 0,
        row: 0,
        input: None,
        selecting: None,
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
fn slot(state: &State) -> Option<(Slot, Row)> {
    let form = state.form.as_ref()?;
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
    let Some(form) = &state.form else { return };
    let mut flat = 0;
    for (r, record) in form.extraction.records.iter().enumerate() {
        for field in &record.fields {
            if r == slot.record && field.name == slot.field {
                state.selected = flat + slot.index.min(field.value_count().saturating_sub(1));
                state.source_scroll = SourceScroll::FollowSelection;
                return;
            }
            flat += field.value_count();
        }
    }
}

pub(super) fn move_row(state: &mut State, forward: bool) -> Vec<Effect> {
    let task = state.task().clone();
    if let Some(form) = &mut state.form {
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
    if let Some(form) = &mut state.form {
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
    let Some(form) = &mut state.form else { return Vec::new() };
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
    let Some(form) = &mut state.form else { return Vec::new() };
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
        .form
        .as_mut()
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
    if let Some(form) = &mut state.form {
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
    if let (Row::Value { .. }, Some(form)) = (row, &mut state.form) {
        form.extraction.remove_value(&slot);
        changed(state);
    }
    Vec::new()
}

pub(super) fn add_record(state: &mut State) -> Vec<Effect> {
    let fields = template(state.task());
    if let Some(form) = &mut state.form {
        form.record = form.extraction.add_record(&fields);
        form.row = 0;
        changed(state);
    }
    Vec::new()
}

pub(super) fn remove_record(state: &mut State) -> Vec<Effect> {
    if let Some(form) = &mut state.form {
        form.extraction.remove_record(form.record);
        form.record = form.record.min(form.extraction.records.len().saturating_sub(1));
        form.row = 0;
        changed(state);
    }
    Vec::new()
}

/// `v`: choose the value's words in the source, starting at the value's own span.
pub(super) fn start_selection(state: &mut State) -> Vec<Effect> {
    let paragraph = state.paragraph();
    let words = words(&paragraph);
    if words.is_empty() || slot(state).is_none() {
        return Vec::new();
    }
    let current = slot(state).and_then(|(slot, _)| {
        let form = state.form.as_ref()?;
        form.extraction
            .field_values(slot.record, &slot.field)
            .get(slot.index)
            .and_then(|v| v.span.clone())
    });
    let first = current
        .as_ref()
        .and_then(|span| words.iter().position(|w| w.end > span.bytes.start))
        .unwrap_or(0);
    let last = current
        .and_then(|span| words.iter().rposition(|w| w.start < span.bytes.end))
        .unwrap_or(first)
        .max(first);
    if let Some(form) = &mut state.form {
        form.selecting = Some(Selection { words, first, last });
    }
    state.notify(
        "w/b move by word, W/B extend or shrink, Enter takes the words, Esc cancels",
        Level::Info,
    );
    Vec::new()
}

/// Moves the selection one word (`extend`: its end only; else the whole, collapsed to a word).
pub(super) fn move_selection(state: &mut State, forward: bool, extend: bool) -> Vec<Effect> {
    let Some(selection) = state.form.as_mut().and_then(|f| f.selecting.as_mut()) else {
        return Vec::new();
    };
    let last_word = selection.words.len() - 1;
    match (extend, forward) {
        (true, true) => selection.last = (selection.last + 1).min(last_word),
        (true, false) => selection.last = selection.last.saturating_sub(1).max(selection.first),
        (false, true) => {
            selection.first = (selection.last + 1).min(last_word);
            selection.last = selection.first;
        }
        (false, false) => {
            selection.first = selection.first.saturating_sub(1);
            selection.last = selection.first;
        }
    }
    state.source_scroll = SourceScroll::FollowSelection;
    Vec::new()
}

/// `Enter` while selecting: the words become the value, found exactly where they were chosen.
pub(super) fn commit_selection(state: &mut State) -> Vec<Effect> {
    let Some(selection) = state.form.as_mut().and_then(|f| f.selecting.take()) else {
        return Vec::new();
    };
    let Some((slot, _)) = slot(state) else {
        return Vec::new();
    };
    let paragraph = state.paragraph();
    let bytes = selection.bytes();
    let value = Value {
        text: paragraph[bytes.clone()].to_string(),
        span: Some(Span::from_bytes(&paragraph, bytes)),
        alignment: Alignment::Exact,
        confidence: None,
    };
    set(state, &slot, value);
    Vec::new()
}

fn set(state: &mut State, slot: &Slot, value: Value) {
    let list = state.task().field(&slot.field).is_some_and(|f| f.list);
    if let Some(form) = &mut state.form {
        form.extraction.set_value(slot, value, list);
    }
    changed(state);
}

/// After a change: the cursor stays on a row that exists and the source follows it.
fn changed(state: &mut State) {
    let task = state.task().clone();
    if let Some(form) = &mut state.form {
        let count = rows(&task, &form.extraction, form.record).len();
        form.row = form.row.min(count.saturating_sub(1));
    }
    state.draft_version += 1;
    state.refresh_comparison();
    follow_row(state);
}

/// The form's extraction, as accepted: set as the gold (the workbench) or decided (the queue).
pub(super) fn accepted(state: &State) -> Option<Extraction> {
    state.form.as_ref().map(|f| f.extraction.clone())
}

pub(super) fn close(state: &mut State) -> Vec<Effect> {
    state.form = None;
    state.focus = Pane::Result;
    Vec::new()
}

/// `E`: the form's answer in the text editor, for bulk edits.
pub(super) fn to_text(state: &mut State) -> Vec<Effect> {
    let Some(form) = state.form.take() else {
        return Vec::new();
    };
    let text = state.task().render_for_editing(&form.extraction);
    super::correction::open_editor_with(state, form.from, &text);
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
