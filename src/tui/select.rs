//! Choosing a value's words in the source: word by word, by searching (`/` and a few letters,
//! folded as grounding folds case, soft hyphens, dashes and spaces; `Enter` takes the match),
//! and a name at a time (`e` takes the following words that continue a chemical name). Pure
//! handlers over the field editor's `Selection`.

use super::action::{Command, Effect};
use super::fields::{Search, Selection, words};
use super::form::{set, slot};
use super::state::{Level, SourceScroll, State};
use crate::extraction::{Alignment, Span, Value};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::ops::Range;

/// The meaning of a command in the field editor while words are chosen, and of `v` that starts
/// choosing them; `None` for the others (the field editor's, then the workbench's).
pub(super) fn handle(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    let form = state.correction.form()?;
    let Some(selection) = &form.selecting else {
        return (command == Command::SelectSpan).then(|| start(state));
    };
    let typing = selection.search.as_ref().is_some_and(|s| s.typing);
    Some(match command {
        Command::Choose if typing => {
            end_search(state);
            commit(state)
        }
        Command::Close if typing => end_search(state),
        Command::Choose => commit(state),
        Command::Close => cancel(state),
        Command::WordNext => step(state, true, false),
        Command::WordPrev => step(state, false, false),
        Command::ExtendSelection => step(state, true, true),
        Command::ShrinkSelection => step(state, false, true),
        Command::Search => start_search(state),
        Command::SearchNext => next_match(state, true),
        Command::SearchPrev => next_match(state, false),
        Command::WholeName => whole_name(state),
        _ => return None,
    })
}

/// Whether `command` would do something while words are chosen (`None`: not its command).
pub(super) fn can(state: &State, command: Command) -> Option<bool> {
    let form = state.correction.form()?;
    let Some(selection) = &form.selecting else {
        return (command == Command::SelectSpan).then_some(true);
    };
    let searched = selection.search.as_ref().is_some_and(|s| !s.query.is_empty());
    Some(match command {
        Command::Choose | Command::Close | Command::Search | Command::WholeName => true,
        Command::WordNext | Command::WordPrev | Command::ExtendSelection | Command::ShrinkSelection => true,
        Command::SearchNext | Command::SearchPrev => searched,
        _ => return None,
    })
}

/// `Esc`: the words are not taken.
fn cancel(state: &mut State) -> Vec<Effect> {
    if let Some(form) = state.correction.form_mut() {
        form.selecting = None;
    }
    Vec::new()
}

/// `v`: choose the value's words in the source, starting at the value's own span.
pub(super) fn start(state: &mut State) -> Vec<Effect> {
    let paragraph = state.paragraph();
    let words = words(&paragraph);
    if words.is_empty() || slot(state).is_none() {
        return Vec::new();
    }
    let current = slot(state).and_then(|(slot, _)| {
        let form = state.correction.form()?;
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
    if let Some(form) = state.correction.form_mut() {
        form.selecting = Some(Selection {
            words,
            first,
            last,
            search: None,
        });
    }
    state.notify(
        "/ finds, w/b move by word, W/B extend or shrink, e takes the rest of a name, Enter takes the words, Esc cancels",
        Level::Info,
    );
    Vec::new()
}

fn selection(state: &mut State) -> Option<&mut Selection> {
    state.correction.form_mut().and_then(|f| f.selecting.as_mut())
}

/// Moves the selection one word (`extend`: its end only; else the whole, collapsed to a word).
pub(super) fn step(state: &mut State, forward: bool, extend: bool) -> Vec<Effect> {
    let Some(selection) = selection(state) else {
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
    state.source.scroll = SourceScroll::FollowSelection;
    Vec::new()
}

/// `Enter` while selecting: the words become the value, found exactly where they were chosen.
pub(super) fn commit(state: &mut State) -> Vec<Effect> {
    let Some(selection) = state.correction.form_mut().and_then(|f| f.selecting.take()) else {
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

/// `/`: keys type a query; the selection jumps to its first match as it grows.
pub(super) fn start_search(state: &mut State) -> Vec<Effect> {
    if let Some(selection) = selection(state) {
        selection.search = Some(Search {
            query: String::new(),
            typing: true,
            origin: selection.first,
        });
    }
    state.notify(
        "type to find in the source; Tab/Shift-Tab the next and previous match, Enter takes it, Esc stops typing to adjust it",
        Level::Info,
    );
    Vec::new()
}

/// Whether a search query is being typed (keys type into it).
pub fn typing_search(state: &State) -> bool {
    state
        .correction
        .form()
        .and_then(|f| f.selecting.as_ref())
        .and_then(|s| s.search.as_ref())
        .is_some_and(|s| s.typing)
}

/// A key typed into the search query: the selection goes to the first match from where the
/// search started (then from the start of the paragraph).
pub(super) fn type_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let paragraph = state.paragraph();
    let Some(selection) = selection(state) else {
        return Vec::new();
    };
    let Some(search) = selection.search.as_mut() else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Char(c) if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
            search.query.push(c)
        }
        KeyCode::Backspace => {
            search.query.pop();
        }
        _ => return Vec::new(),
    }
    let from = selection.words[search.origin].start;
    let matches = crate::ground::occurrences(&paragraph, &search.query);
    let found = matches.iter().find(|m| m.start >= from).or(matches.first()).cloned();
    let query = search.query.clone();
    match found {
        Some(range) => jump(selection, &range),
        None if !query.trim().is_empty() => state.notify(format!("«{query}» is not in the source"), Level::Info),
        None => {}
    }
    state.source.scroll = SourceScroll::FollowSelection;
    Vec::new()
}

/// `Esc` in a search (and `Enter`, before it takes the words): keys move the selection again;
/// the match stays selected and `n`/`N` step through the others.
pub(super) fn end_search(state: &mut State) -> Vec<Effect> {
    if let Some(search) = selection(state).and_then(|s| s.search.as_mut()) {
        search.typing = false;
    }
    Vec::new()
}

/// `n`/`N` (`Tab`/`Shift-Tab` while typing): the next or previous match, round the paragraph.
pub(super) fn next_match(state: &mut State, forward: bool) -> Vec<Effect> {
    let paragraph = state.paragraph();
    let Some(selection) = selection(state) else {
        return Vec::new();
    };
    let Some(query) = selection.search.as_ref().map(|s| s.query.clone()) else {
        return Vec::new();
    };
    let matches = crate::ground::occurrences(&paragraph, &query);
    // A match inside the selection's first word is the one shown.
    let here = &selection.words[selection.first];
    let found = if forward {
        matches.iter().find(|m| m.start >= here.end).or(matches.first())
    } else {
        matches.iter().rev().find(|m| m.start < here.start).or(matches.last())
    };
    if let Some(range) = found.cloned() {
        jump(selection, &range);
    }
    state.source.scroll = SourceScroll::FollowSelection;
    Vec::new()
}

/// The selection becomes the words that `range` touches.
fn jump(selection: &mut Selection, range: &Range<usize>) {
    let Some(first) = selection.words.iter().position(|w| w.end > range.start) else {
        return;
    };
    let last = selection
        .words
        .iter()
        .rposition(|w| w.start < range.end)
        .unwrap_or(first)
        .max(first);
    selection.first = first;
    selection.last = last;
}

/// `e`: the selection's end takes the following words that continue a chemical name
/// (`acetic` → `acetic acid methyl ester`, `lithium` → `lithium hydroxide monohydrate`), up to
/// punctuation that ends the name.
pub(super) fn whole_name(state: &mut State) -> Vec<Effect> {
    let paragraph = state.paragraph();
    let Some(selection) = selection(state) else {
        return Vec::new();
    };
    let before = selection.last;
    while selection.last + 1 < selection.words.len() {
        let here = selection.words[selection.last].clone();
        let next = selection.words[selection.last + 1].clone();
        let between = &paragraph[here.end..next.start];
        if !between.chars().all(char::is_whitespace) || !continues_a_name(&paragraph[next]) {
            break;
        }
        selection.last += 1;
    }
    if selection.last == before {
        state.notify("no word after the selection continues a name", Level::Info);
    }
    state.source.scroll = SourceScroll::FollowSelection;
    Vec::new()
}

/// Words that go on naming a compound after its first word: classes and counter-ions (`acid`,
/// `ester`, `hydroxide`, `acetate`), substituents (`methyl`), hydrates and salts.
fn continues_a_name(word: &str) -> bool {
    const ENDINGS: [&str; 16] = [
        "ide", "ate", "ite", "yl", "ester", "ether", "acid", "hydrate", "ane", "ene", "yne", "ol", "amine", "amide",
        "one", "salt",
    ];
    let lower = word.to_lowercase();
    lower.chars().count() >= 4
        && lower.chars().all(|c| c.is_alphabetic() || c == '-')
        && word.chars().next().is_some_and(char::is_lowercase)
        && ENDINGS.iter().any(|e| lower.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_words_are_the_classes_ions_and_substituents() {
        for word in [
            "acid",
            "ester",
            "hydroxide",
            "acetate",
            "methyl",
            "monohydrate",
            "hydrochloride",
            "ether",
        ] {
            assert!(continues_a_name(word), "{word}");
        }
        for word in ["was", "and", "with", "water", "mixture", "Acid", "1.0", "(2"] {
            assert!(!continues_a_name(word), "{word}");
        }
    }
}
