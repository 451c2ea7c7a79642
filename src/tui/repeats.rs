//! Every occurrence. In a field whose answer lists each mention (`repeats = true`: the compound
//! task's "in order of appearance, repeats included"), a value set from the source is offered for
//! its other occurrences in the paragraph, and a removed value for its other copies; `+` takes
//! the offer in one key, any other command lets it go. Pure handlers.

use super::action::Effect;
use super::fields::Repeats;
use super::state::{Level, State};
use crate::extraction::{Alignment, Slot, Span, Value};
use crate::ground::{normalize, occurrences};

fn lists_repeats(state: &State, field: &str) -> bool {
    state.task().field(field).is_some_and(|f| f.repeats)
}

/// After the value at `slot` was set: the places its text occurs that no value of the field
/// holds yet.
pub(super) fn offer_after_set(state: &mut State, slot: &Slot) {
    if !lists_repeats(state, &slot.field) {
        return;
    }
    let paragraph = state.paragraph();
    let Some(form) = state.correction.form() else { return };
    let values = form.extraction.field_values(slot.record, &slot.field);
    let Some(text) = values.get(slot.index).map(|v| v.text.clone()) else {
        return;
    };
    let held: Vec<usize> = values
        .iter()
        .filter_map(|v| v.span.as_ref().map(|s| s.bytes.start))
        .collect();
    let spans: Vec<_> = occurrences(&paragraph, &text)
        .into_iter()
        .filter(|range| !held.contains(&range.start))
        .collect();
    if spans.is_empty() {
        return;
    }
    state.notify(
        format!(
            "“{text}” occurs {} more time{} in the paragraph: + adds {} in order",
            spans.len(),
            if spans.len() == 1 { "" } else { "s" },
            if spans.len() == 1 { "it" } else { "them" }
        ),
        Level::Info,
    );
    if let Some(form) = state.correction.form_mut() {
        form.repeats = Some(Repeats::Add {
            record: slot.record,
            field: slot.field.clone(),
            spans,
        });
    }
}

/// After a value with `text` was removed from `field`: its other copies.
pub(super) fn offer_after_remove(state: &mut State, record: usize, field: &str, text: &str) {
    if !lists_repeats(state, field) {
        return;
    }
    let Some(form) = state.correction.form() else { return };
    let wanted = normalize(text);
    let copies = form
        .extraction
        .field_values(record, field)
        .iter()
        .filter(|v| normalize(&v.text) == wanted)
        .count();
    if copies == 0 {
        return;
    }
    state.notify(
        format!(
            "“{text}” is listed {copies} more time{}: + removes {} too",
            if copies == 1 { "" } else { "s" },
            if copies == 1 { "it" } else { "them" }
        ),
        Level::Info,
    );
    if let Some(form) = state.correction.form_mut() {
        form.repeats = Some(Repeats::Remove {
            record,
            field: field.to_string(),
            text: wanted,
        });
    }
}

/// `+`: the offer taken.
pub(super) fn apply(state: &mut State) -> Vec<Effect> {
    let Some(offer) = state.correction.form_mut().and_then(|f| f.repeats.take()) else {
        state.notify("nothing to do for other occurrences now", Level::Info);
        return Vec::new();
    };
    let paragraph = state.paragraph();
    let list = match &offer {
        Repeats::Add { field, .. } | Repeats::Remove { field, .. } => state.task().field(field).is_some_and(|f| f.list),
    };
    let Some(form) = state.correction.form_mut() else {
        return Vec::new();
    };
    let done = match offer {
        Repeats::Add { record, field, spans } => {
            for range in &spans {
                let values = form.extraction.field_values(record, &field);
                // In order of appearance: before the first value found later in the paragraph.
                let index = values
                    .iter()
                    .position(|v| v.span.as_ref().is_some_and(|s| s.bytes.start > range.start))
                    .unwrap_or(values.len());
                let value = Value {
                    text: paragraph[range.clone()].to_string(),
                    span: Some(Span::from_bytes(&paragraph, range.clone())),
                    alignment: Alignment::Exact,
                    confidence: None,
                };
                let slot = Slot {
                    record,
                    field: field.clone(),
                    index,
                };
                form.extraction.insert_value(&slot, value, list);
            }
            format!("added {} more", spans.len())
        }
        Repeats::Remove { record, field, text } => {
            let values = form.extraction.field_values(record, &field);
            let copies: Vec<usize> = (0..values.len())
                .filter(|i| normalize(&values[*i].text) == text)
                .collect();
            for index in copies.iter().rev() {
                form.extraction.remove_value(&Slot {
                    record,
                    field: field.clone(),
                    index: *index,
                });
            }
            format!("removed {} more", copies.len())
        }
    };
    state.refresh_comparison();
    state.notify(done, Level::Info);
    Vec::new()
}
