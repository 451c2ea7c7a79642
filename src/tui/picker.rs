//! The fuzzy pickers for task and model: typing filters (nucleo); moving and choosing are
//! commands of the key map's `[picker]` scope.

use super::state::{Picker, PickerKind};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};

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

/// Moves the highlight one item down or up.
pub fn move_selection(picker: &mut Picker, forward: bool) {
    picker.selected = if forward {
        (picker.selected + 1).min(picker.matches.len().saturating_sub(1))
    } else {
        picker.selected.saturating_sub(1)
    };
}

/// The highlighted item's index into the picker's items.
pub fn chosen(picker: &Picker) -> Option<usize> {
    picker.matches.get(picker.selected).copied()
}

/// A key that is not a command edits the filter: a character, or Backspace.
pub fn type_key(picker: &mut Picker, key: &KeyEvent) {
    match key.code {
        KeyCode::Backspace => {
            picker.query.pop();
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => picker.query.push(c),
        _ => return,
    }
    refilter(picker);
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
            type_key(&mut picker, &key(c));
        }
        assert_eq!(picker.matches, vec![2]);
        assert_eq!(chosen(&picker), Some(2));
        type_key(&mut picker, &KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        assert_eq!(picker.query, "mfn");
        move_selection(&mut picker, true);
        assert!(picker.selected < picker.matches.len());
    }
}
