//! The fuzzy pickers for task and model: typing filters (nucleo), arrows move, Enter chooses.

use super::state::{Picker, PickerKind};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};

/// What a key did to an open picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerOutcome {
    Open,
    Closed,
    /// The chosen item's index into the picker's items.
    Chosen(usize),
}

pub fn open(kind: PickerKind, items: Vec<String>, current: usize) -> Picker {
    let matches: Vec<usize> = (0..items.len()).collect();
    Picker {
        kind,
        query: String::new(),
        items,
        matches,
        selected: current,
    }
}

pub fn handle_key(picker: &mut Picker, key: &KeyEvent) -> PickerOutcome {
    match key.code {
        KeyCode::Esc => return PickerOutcome::Closed,
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => return PickerOutcome::Closed,
        KeyCode::Enter => {
            return picker
                .matches
                .get(picker.selected)
                .map_or(PickerOutcome::Closed, |i| PickerOutcome::Chosen(*i));
        }
        KeyCode::Down | KeyCode::Tab => {
            picker.selected = (picker.selected + 1).min(picker.matches.len().saturating_sub(1))
        }
        KeyCode::Up | KeyCode::BackTab => picker.selected = picker.selected.saturating_sub(1),
        KeyCode::Char('n') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            picker.selected = (picker.selected + 1).min(picker.matches.len().saturating_sub(1))
        }
        KeyCode::Char('p') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            picker.selected = picker.selected.saturating_sub(1)
        }
        KeyCode::Backspace => {
            picker.query.pop();
            refilter(picker);
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            picker.query.push(c);
            refilter(picker);
        }
        _ => {}
    }
    PickerOutcome::Open
}

fn refilter(picker: &mut Picker) {
    picker.selected = 0;
    if picker.query.is_empty() {
        picker.matches = (0..picker.items.len()).collect();
        return;
    }
    let pattern = Pattern::parse(&picker.query, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let indexed: Vec<(usize, &str)> = picker.items.iter().map(String::as_str).enumerate().collect();
    let mut scored: Vec<(usize, u32)> = indexed
        .iter()
        .filter_map(|(i, item)| {
            let mut buf = Vec::new();
            pattern
                .score(nucleo_matcher::Utf32Str::new(item, &mut buf), &mut matcher)
                .map(|s| (*i, s))
        })
        .collect();
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    picker.matches = scored.into_iter().map(|(i, _)| i).collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn typing_filters_fuzzily_and_enter_chooses() {
        let items = vec![
            "compound".to_string(),
            "mof-synthesis".into(),
            "mof-nerre".into(),
            "nmr".into(),
        ];
        let mut picker = open(PickerKind::Task, items, 0);
        for c in "mfnr".chars() {
            assert_eq!(handle_key(&mut picker, &key(c)), PickerOutcome::Open);
        }
        assert_eq!(picker.matches, vec![2]);
        assert_eq!(
            handle_key(&mut picker, &KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            PickerOutcome::Chosen(2)
        );
        assert_eq!(
            handle_key(&mut picker, &KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            PickerOutcome::Closed
        );
    }
}
