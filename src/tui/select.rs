//! Choosing a value's words in the source: word by word, by searching (`/` and a few letters,
//! folded as grounding folds case, soft hyphens, dashes and spaces; `Enter` takes the match),
//! and a name at a time (`e` takes the following words that continue a chemical name). Pure
//! handlers over the field editor's `Selection`.

use super::action::{Command, Effect};
use super::fields::{LetterMotion, Row, Search, Selection, ToLetter, labels, rows, words};
use super::form::{set, slot};
pub use super::names::name_end;
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
    let times = state
        .correction
        .form_mut()
        .and_then(|f| f.selecting.as_mut())
        .and_then(|s| s.count.take())
        .unwrap_or(1);
    let repeat =
        |state: &mut State, motion: fn(&mut State) -> Vec<Effect>| (0..times).flat_map(|_| motion(state)).collect();
    Some(match command {
        Command::Choose if typing => {
            end_search(state);
            commit(state)
        }
        Command::Close if typing => end_search(state),
        // An arrow while typing a search: the match stays, and grows or shrinks by a word.
        Command::ExtendSelection | Command::ShrinkSelection if typing => {
            end_search(state);
            step(state, command == Command::ExtendSelection, true)
        }
        Command::Choose => commit(state),
        Command::Close => cancel(state),
        Command::WordNext => repeat(state, |s| step(s, true, false)),
        Command::WordPrev => repeat(state, |s| step(s, false, false)),
        Command::ExtendSelection => repeat(state, |s| step(s, true, true)),
        Command::ShrinkSelection => repeat(state, |s| step(s, false, true)),
        Command::Search => start_search(state),
        Command::SearchNext => repeat(state, |s| next_match(s, true)),
        Command::SearchPrev => repeat(state, |s| next_match(s, false)),
        Command::WholeName => whole_name(state),
        Command::JumpToLetter => await_letter(state, LetterMotion::Next, times),
        Command::JumpBackToLetter => await_letter(state, LetterMotion::Previous, times),
        Command::ExtendToLetter => await_letter(state, LetterMotion::Extend, times),
        Command::LabelJump => await_letter(state, LetterMotion::Label, times),
        Command::LabelExtend => await_letter(state, LetterMotion::LabelExtend, times),
        _ => return None,
    })
}

/// A digit while choosing words (not typing a search): a count for the next motion (`12w`).
/// `None` when the key is not a count's digit now.
pub(super) fn type_count(state: &mut State, key: &KeyEvent) -> Option<Vec<Effect>> {
    let KeyCode::Char(c) = key.code else { return None };
    let digit = c.to_digit(10)? as usize;
    let selection = state.correction.form_mut()?.selecting.as_mut()?;
    if selection.search.as_ref().is_some_and(|s| s.typing) || (digit == 0 && selection.count.is_none()) {
        return None;
    }
    let count = (selection.count.unwrap_or(0) * 10 + digit).min(MOST_REPEATS);
    selection.count = Some(count);
    state.notify(
        format!("{count}×: w/b move, W/B extend or shrink, n/N go to the match that many times"),
        Level::Info,
    );
    Some(Vec::new())
}

/// `f`, `F`, `t`: the next key is the letter the word to go to begins with.
fn await_letter(state: &mut State, motion: LetterMotion, times: usize) -> Vec<Effect> {
    if let Some(selection) = selection(state) {
        selection.awaiting = Some(ToLetter { motion, times });
    }
    let ask = match motion {
        LetterMotion::Label | LetterMotion::LabelExtend => "the label shown on the word (Esc: none)",
        _ => "the letter the word begins with (Esc: none)",
    };
    state.notify(ask, Level::Info);
    Vec::new()
}

/// The key after `f`, `F` or `t`: the selection goes to the word that begins with it (case
/// folded), or grows to it; `Esc` or a key that types nothing cancels. `None` when no motion
/// waits for a letter.
pub(super) fn type_letter(state: &mut State, key: &KeyEvent) -> Option<Vec<Effect>> {
    let ToLetter { motion, times } = selection(state)?.awaiting.take()?;
    let KeyCode::Char(letter) = key.code else {
        return Some(Vec::new());
    };
    let paragraph = state.paragraph();
    let selection = selection(state)?;
    let found = letter_word(&paragraph, selection, motion, letter, times);
    match found {
        Some(word) if matches!(motion, LetterMotion::Extend | LetterMotion::LabelExtend) => selection.last = word,
        Some(word) => {
            selection.first = word;
            selection.last = word;
        }
        None => state.notify(format!("no word there has «{letter}»"), Level::Info),
    }
    state.source.scroll = SourceScroll::FollowSelection;
    Some(Vec::new())
}

/// The `times`th word from the selection, in `motion`'s direction, that begins with `letter`.
fn letter_word(
    paragraph: &str,
    selection: &Selection,
    motion: LetterMotion,
    letter: char,
    times: usize,
) -> Option<usize> {
    let begins = |at: &usize| {
        let first = paragraph[selection.words[*at].clone()].chars().next();
        first.is_some_and(|c| c == letter || c.to_lowercase().eq(letter.to_lowercase()))
    };
    let nth = times.max(1) - 1;
    match motion {
        LetterMotion::Label | LetterMotion::LabelExtend => labels(selection, motion == LetterMotion::LabelExtend)
            .into_iter()
            .find(|(_, l)| *l == letter)
            .map(|(word, _)| word),
        LetterMotion::Previous => (0..selection.first).rev().filter(begins).nth(nth),
        LetterMotion::Next | LetterMotion::Extend => {
            (selection.last + 1..selection.words.len()).filter(begins).nth(nth)
        }
    }
}

/// A count is never larger than a paragraph's words need.
const MOST_REPEATS: usize = 9999;

/// Whether `command` would do something while words are chosen (`None`: not its command).
pub(super) fn can(state: &State, command: Command) -> Option<bool> {
    let form = state.correction.form()?;
    let Some(selection) = &form.selecting else {
        return (command == Command::SelectSpan).then_some(true);
    };
    let searched = selection.search.as_ref().is_some_and(|s| !s.query.is_empty());
    Some(match command {
        Command::Choose | Command::Close | Command::Search | Command::WholeName => true,
        Command::JumpToLetter | Command::JumpBackToLetter | Command::ExtendToLetter => true,
        Command::LabelJump | Command::LabelExtend => selection.last + 1 < selection.words.len(),
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
    let Some((first, last)) = start_words(state, &words) else {
        return Vec::new();
    };
    if let Some(form) = state.correction.form_mut() {
        form.selecting = Some(Selection {
            words,
            first,
            last,
            search: None,
            count: None,
            awaiting: None,
        });
    }
    state.notify(
        "s labels the words, / finds, f a word by its letter, w/b W/B move and grow (3w), e a whole name, Enter takes, Esc cancels",
        Level::Info,
    );
    Vec::new()
}

/// The word `v` starts choosing from on the field editor's current row.
pub fn start_word(state: &State) -> Option<usize> {
    let words = words(&state.paragraph());
    start_words(state, &words).map(|(first, _)| first)
}

/// The words `v` selects first: the value's own span; for a value not yet in the source, the
/// word after the nearest value above it that is (values are listed in the order the text
/// mentions them, so the next one is usually a few words on).
fn start_words(state: &State, words: &[Range<usize>]) -> Option<(usize, usize)> {
    if words.is_empty() {
        return None;
    }
    let (slot, _) = slot(state)?;
    let form = state.correction.form()?;
    let span_of = |field: &str, index: usize| {
        form.extraction
            .field_values(slot.record, field)
            .get(index)
            .and_then(|v| v.span.clone())
            .map(|span| span.bytes)
    };
    if let Some(bytes) = span_of(&slot.field, slot.index) {
        let first = words.iter().position(|w| w.end > bytes.start).unwrap_or(0);
        let last = words.iter().rposition(|w| w.start < bytes.end).unwrap_or(first);
        return Some((first, last.max(first)));
    }
    let above = rows(state.task(), &form.extraction, slot.record)
        .into_iter()
        .take(form.row)
        .rev()
        .find_map(|row| match row {
            Row::Value { field, index } => span_of(&field, index),
            _ => None,
        });
    let first = above
        .and_then(|bytes| words.iter().position(|w| w.start >= bytes.end))
        .unwrap_or(0);
    Some((first, first))
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
        "type to find in the source; Tab/Shift-Tab the next and previous match, →/← grow or shrink it, Enter takes it, Esc stops typing to adjust it",
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
    selection.last = name_end(&paragraph, &selection.words, selection.last);
    if selection.last == before {
        state.notify("no word after the selection continues a name", Level::Info);
    }
    state.source.scroll = SourceScroll::FollowSelection;
    Vec::new()
}
