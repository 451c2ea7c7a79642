//! The mouse, where the terminal reports it (most do, over SSH too; off with `[mouse] enabled =
//! "off"` in keymap.toml). With the field editor open, a press on the source starts choosing
//! words at the word under it, a drag extends the choice word by word, a double press takes the
//! whole name there, and the release says what Enter will do; a press on a row of the field
//! editor makes it the current row, a press on a value of the result selects it, and elsewhere a
//! press focuses the pane under it. The wheel scrolls the source, and moves through the other
//! panes' values as `j`/`k` do. Every gesture has its keys: the mouse is never needed.
//! What lies under a cell comes from `screen`, the layout the view draws by.

use super::action::{Command, Effect};
use super::screen::{self, Point};
use super::select;
use super::state::{Level, Pane, SourceScroll, State};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use std::time::Duration;

/// Two presses on one cell within this time are a double press.
const DOUBLE_PRESS: Duration = Duration::from_millis(400);

/// Rows the wheel scrolls the source per notch.
const WHEEL_ROWS: u16 = 3;

/// What a mouse event comes to: done here, or a command for `update` to carry out as if its
/// key were pressed (the wheel over a list moves through it as `j`/`k` do).
pub(super) enum Outcome {
    Done(Vec<Effect>),
    Command(Command),
}

pub(super) fn handle(state: &mut State, event: MouseEvent) -> Outcome {
    if !state.keymap.mouse {
        return Outcome::Done(Vec::new());
    }
    let point = screen::point(state, event.column, event.row);
    Outcome::Done(match event.kind {
        MouseEventKind::Down(MouseButton::Left) => press(state, point, (event.column, event.row)),
        MouseEventKind::Drag(MouseButton::Left) => drag(state, point),
        MouseEventKind::Up(MouseButton::Left) => release(state),
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let down = event.kind == MouseEventKind::ScrollDown;
            if let Some(command) = wheel_over_list(state, point, down) {
                return Outcome::Command(command);
            }
            wheel(state, point, down)
        }
        _ => Vec::new(),
    })
}

/// Over the result, the comparison or the field editor (not while words are chosen), the wheel
/// focuses the pane and moves through its values (scrolls the comparison's rows) as `j`/`k` do.
fn wheel_over_list(state: &mut State, point: Option<Point>, down: bool) -> Option<Command> {
    let pane = match point? {
        Point::FormRow(_) => Pane::Form,
        Point::ResultValue(_) => Pane::Result,
        Point::Pane(pane @ (Pane::Result | Pane::Compare | Pane::Form)) => pane,
        _ => return None,
    };
    if state
        .correction
        .form()
        .is_some_and(|f| f.selecting.is_some() || f.input.is_some())
    {
        return None;
    }
    state.focus = pane;
    Some(match (pane, down) {
        (Pane::Compare, true) => Command::ScrollDown,
        (Pane::Compare, false) => Command::ScrollUp,
        (_, true) => Command::SelectNext,
        (_, false) => Command::SelectPrev,
    })
}

fn press(state: &mut State, point: Option<Point>, cell: (u16, u16)) -> Vec<Effect> {
    let double = match (state.pointer.last_press, state.now) {
        (Some((at, last_cell)), Some(now)) => last_cell == cell && now.saturating_duration_since(at) <= DOUBLE_PRESS,
        _ => false,
    };
    state.pointer.last_press = state.now.map(|now| (now, cell));
    match point {
        Some(Point::Source(byte)) if state.correction.form().is_some() => choose_from(state, byte, double),
        Some(Point::Source(_)) => focus(state, Pane::Source),
        Some(Point::FormRow(row)) => form_row(state, row),
        Some(Point::ResultValue(value)) => result_value(state, value),
        Some(Point::Pane(pane)) => focus(state, pane),
        None => Vec::new(),
    }
}

/// Starts choosing (if not yet) at the word holding `byte`; a double press takes the whole name.
fn choose_from(state: &mut State, byte: usize, double: bool) -> Vec<Effect> {
    let pinned = pin_source(state);
    if state.correction.form().is_some_and(|f| f.selecting.is_none()) {
        select::start(state);
    }
    let Some(selection) = state.correction.form_mut().and_then(|f| f.selecting.as_mut()) else {
        return Vec::new();
    };
    let word = word_at(&selection.words, byte);
    selection.first = word;
    selection.last = word;
    selection.search = None;
    state.pointer.anchor = Some(word);
    if double {
        select::whole_name(state);
    }
    // The text stays where it is under the pointer while the choice changes.
    state.source.scroll = pinned;
    Vec::new()
}

fn drag(state: &mut State, point: Option<Point>) -> Vec<Effect> {
    let (Some(anchor), Some(Point::Source(byte))) = (state.pointer.anchor, point) else {
        return Vec::new();
    };
    if let Some(selection) = state.correction.form_mut().and_then(|f| f.selecting.as_mut()) {
        let word = word_at(&selection.words, byte);
        selection.first = anchor.min(word);
        selection.last = anchor.max(word);
    }
    Vec::new()
}

fn release(state: &mut State) -> Vec<Effect> {
    if state.pointer.anchor.take().is_none() {
        return Vec::new();
    }
    let paragraph = state.paragraph();
    let chosen = state.correction.form().and_then(|f| {
        let rows = super::fields::rows(state.task(), &f.extraction, f.record);
        Some((f.selecting.as_ref()?.bytes(), rows.get(f.row)?.field().to_string()))
    });
    if let Some((bytes, field)) = chosen {
        state.notify(
            format!(
                "Enter takes “{}” as the value of {field}; drag or W/B to adjust, Esc cancels",
                &paragraph[bytes]
            ),
            Level::Info,
        );
    }
    Vec::new()
}

fn wheel(state: &mut State, point: Option<Point>, down: bool) -> Vec<Effect> {
    if !matches!(point, Some(Point::Source(_)) | Some(Point::Pane(Pane::Source))) {
        return Vec::new();
    }
    let SourceScroll::Rows(top) = pin_source(state) else {
        return Vec::new();
    };
    state.source.scroll = SourceScroll::Rows(if down {
        top.saturating_add(WHEEL_ROWS)
    } else {
        top.saturating_sub(WHEEL_ROWS)
    });
    Vec::new()
}

/// The source's scroll as the rows now shown from the top, so that nothing moves.
fn pin_source(state: &mut State) -> SourceScroll {
    let (_, panes) = screen::panes(state, screen::regions(state).main);
    let top = panes
        .iter()
        .find(|(pane, _)| *pane == Pane::Source)
        .map_or(0, |(_, area)| screen::source_text(state, *area).top);
    state.source.scroll = SourceScroll::Rows(top.min(u16::MAX as usize) as u16);
    state.source.scroll
}

/// A press on a row of the field editor makes it the current row (not while a value is typed
/// or words are chosen: those end with their own keys).
fn form_row(state: &mut State, row: usize) -> Vec<Effect> {
    state.focus = Pane::Form;
    if let Some(form) = state.correction.form_mut()
        && form.input.is_none()
        && form.selecting.is_none()
    {
        form.row = row;
    }
    Vec::new()
}

/// A press on a value of the result selects it, as `j`/`k` would, and the source shows it.
fn result_value(state: &mut State, value: usize) -> Vec<Effect> {
    state.focus = Pane::Result;
    state.result.selected = value;
    state.source.scroll = SourceScroll::FollowSelection;
    Vec::new()
}

fn focus(state: &mut State, pane: Pane) -> Vec<Effect> {
    state.focus = pane;
    Vec::new()
}

/// The word holding `byte`, or the next one after it (the last at the end).
fn word_at(words: &[std::ops::Range<usize>], byte: usize) -> usize {
    words
        .iter()
        .position(|w| byte < w.end)
        .unwrap_or(words.len().saturating_sub(1))
}
