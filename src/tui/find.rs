//! Finding a word in the source pane, outside the field editor: `/` and a few letters mark the
//! first match (folded as grounding folds text: case, soft hyphens, dashes, spaces) and scroll
//! the source to it as the query grows; `Tab`/`Shift-Tab` go to the next and previous match
//! round the paragraph; `Enter` stops typing and keeps the match marked; `Esc` clears it.
//! Pure handlers.

use super::action::{Command, Effect};
use super::state::{Find, Level, Mode, Pane, SourceScroll, State};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Whether the source pane (not the field editor's word choice) has the keys.
fn applies(state: &State) -> bool {
    state.mode == Mode::Panes
        && state.focus == Pane::Source
        && state.correction.form().is_none_or(|f| f.selecting.is_none())
}

pub(super) fn handle(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    if !applies(state) {
        return None;
    }
    let typing = typing(state);
    Some(match command {
        Command::Search => {
            state.source.find = Some(Find {
                query: String::new(),
                typing: true,
                at: None,
            });
            state.notify(
                "type to find in the source; Tab next, Enter keeps it, Esc clears",
                Level::Info,
            );
            Vec::new()
        }
        Command::Choose if typing => {
            if let Some(find) = state.source.find.as_mut() {
                find.typing = false;
            }
            Vec::new()
        }
        Command::Close | Command::Cancel if state.source.find.is_some() => {
            state.source.find = None;
            Vec::new()
        }
        Command::SearchNext if typing => step(state, true),
        Command::SearchPrev if typing => step(state, false),
        _ => return None,
    })
}

pub(super) fn can(state: &State, command: Command) -> Option<bool> {
    if !applies(state) {
        return None;
    }
    match command {
        Command::Search => Some(true),
        Command::Choose | Command::SearchNext | Command::SearchPrev if typing(state) => Some(true),
        Command::Close | Command::Cancel if state.source.find.is_some() => Some(true),
        _ => None,
    }
}

/// Whether a query is being typed into the source pane's find.
pub fn typing(state: &State) -> bool {
    state.source.find.as_ref().is_some_and(|f| f.typing)
}

/// A key typed into the query: the first match from the start of the paragraph is marked.
pub(super) fn type_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(find) = state.source.find.as_mut() else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Char(c) if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => find.query.push(c),
        KeyCode::Backspace => {
            find.query.pop();
        }
        _ => return Vec::new(),
    }
    let query = find.query.clone();
    let found = crate::ground::occurrences(&state.paragraph(), &query)
        .into_iter()
        .next();
    if found.is_none() && !query.trim().is_empty() {
        state.notify(format!("«{query}» is not in the source"), Level::Info);
    }
    mark(state, found);
    Vec::new()
}

/// The next (or previous) match after the marked one, round the paragraph.
fn step(state: &mut State, forward: bool) -> Vec<Effect> {
    let Some(find) = state.source.find.as_ref() else {
        return Vec::new();
    };
    let matches = crate::ground::occurrences(&state.paragraph(), &find.query);
    let here = find.at.as_ref().map_or(0, |r| r.start);
    let next = if forward {
        matches.iter().find(|m| m.start > here).or(matches.first())
    } else {
        matches.iter().rev().find(|m| m.start < here).or(matches.last())
    };
    let next = next.cloned();
    if let Some(range) = &next {
        let number = matches.iter().position(|m| m == range).unwrap_or(0) + 1;
        state.notify(format!("match {number} of {}", matches.len()), Level::Info);
    }
    mark(state, next);
    Vec::new()
}

fn mark(state: &mut State, found: Option<std::ops::Range<usize>>) {
    if let Some(find) = state.source.find.as_mut() {
        find.at = found;
    }
    state.source.scroll = SourceScroll::FollowSelection;
}
