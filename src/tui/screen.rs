//! Where things are on the screen, as a function of the state alone: the regions, the panes'
//! areas, and the source pane's rows of text. The view draws by it and the mouse is read by it,
//! so a click lands on what was drawn there.

use super::state::{Pane, SourceScroll, State};
use super::wrap;
use crate::extraction::Alignment;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use std::ops::Range;

/// The screen's regions, top to bottom.
pub struct Regions {
    pub main: Rect,
    pub queue: Rect,
    pub status: Rect,
    pub hints: Rect,
}

pub fn regions(state: &State) -> Regions {
    let bar = u16::from(state.review.is_some());
    let [main, queue, status, hints] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(bar),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(Rect::new(0, 0, state.width, state.height));
    Regions {
        main,
        queue,
        status,
        hints,
    }
}

/// The panes shown and their areas: side by side when wide; when narrow, the tabs' row and the
/// focused pane under it.
pub fn panes(state: &State, main: Rect) -> (Option<Rect>, Vec<(Pane, Rect)>) {
    if state.wide() {
        let panes = visible_panes(state);
        let constraints: Vec<Constraint> = panes
            .iter()
            .map(|p| {
                if *p == Pane::Source {
                    Constraint::Percentage(if panes.len() > 2 { 34 } else { 45 })
                } else {
                    Constraint::Fill(1)
                }
            })
            .collect();
        let areas = Layout::horizontal(constraints).split(main);
        (None, panes.into_iter().zip(areas.iter().copied()).collect())
    } else {
        let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(main);
        (Some(tabs), vec![(state.focus, body)])
    }
}

/// Side by side when wide: the source, then the focused right-hand pane (or the result), and the
/// comparison when it is open. The comparison, focused with nothing being corrected, takes the
/// result's place too: two sides' values need the width.
fn visible_panes(state: &State) -> Vec<Pane> {
    let correcting = state.correction.form().is_some() || state.correction.editor().is_some();
    if state.focus == Pane::Compare && !correcting {
        return vec![Pane::Source, Pane::Compare];
    }
    let main_right = match state.focus {
        Pane::Editor | Pane::Browser | Pane::Form | Pane::Outline => state.focus,
        _ if state.correction.form().is_some() => Pane::Form,
        _ if state.correction.editor().is_some() => Pane::Editor,
        _ => Pane::Result,
    };
    let mut panes = vec![Pane::Source, main_right];
    if state.compare.open {
        panes.push(Pane::Compare);
    }
    panes
}

/// Inside a pane's border.
pub fn inner(area: Rect) -> Rect {
    Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(1),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    }
}

/// The source pane's text as drawn: where its rows go (the pane's inside less the legend's
/// line), the rows (byte ranges of the paragraph) and the first one shown.
pub struct SourceText {
    pub body: Rect,
    pub rows: Vec<Range<usize>>,
    pub top: usize,
}

pub fn source_text(state: &State, pane: Rect) -> SourceText {
    let inside = inner(pane);
    let legend = u16::from(has_legend(state) && inside.height > 0);
    let body = Rect {
        height: inside.height - legend,
        ..inside
    };
    let rows = wrap::rows(&state.paragraph(), body.width as usize);
    let top = scroll_top(state, &rows, body.height as usize);
    SourceText { body, rows, top }
}

/// Whether the source pane ends with the legend: the fields present and the values not found.
pub fn has_legend(state: &State) -> bool {
    let Some(extraction) = state.highlighted() else {
        return false;
    };
    let values = extraction.values();
    values
        .iter()
        .any(|(f, v)| v.alignment == Alignment::Unaligned || state.task().fields.iter().any(|t| t.name == *f))
}

/// The rows scrolled past: following the selected value, or where the user scrolled.
fn scroll_top(state: &State, rows: &[Range<usize>], height: usize) -> usize {
    let max = rows.len().saturating_sub(height);
    if let SourceScroll::Rows(rows_past) = state.source.scroll {
        return (rows_past as usize).min(max);
    }
    let choosing = state
        .correction
        .form()
        .and_then(|f| f.selecting.as_ref())
        .map(|s| s.bytes())
        .or_else(|| state.source.find.as_ref().and_then(|f| f.at.clone()));
    let selected = choosing.or_else(|| {
        state.highlighted().and_then(|e| {
            e.values()
                .get(state.result.selected)
                .and_then(|(_, v)| v.span.as_ref().map(|s| s.bytes.clone()))
        })
    });
    match selected {
        Some(bytes) => wrap::row_of(rows, bytes.start).saturating_sub(height / 3).min(max),
        None => 0,
    }
}

/// What is under a cell of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// A character of the source's paragraph (its byte offset).
    Source(usize),
    /// A row of the field editor (its index in `fields::rows`).
    FormRow(usize),
    /// A value in the result pane (its index in the extraction's values).
    ResultValue(usize),
    /// Elsewhere in a pane.
    Pane(Pane),
}

/// The first of the field editor's rows shown in a pane `height` rows high inside: the current
/// row stays on screen with one line to spare.
pub fn form_top(current: usize, height: u16) -> usize {
    current.saturating_sub(height.saturating_sub(2) as usize)
}

/// The field editor's row drawn on screen row `row` of the pane `area`, if any.
fn form_row(state: &State, area: Rect, row: u16) -> Option<usize> {
    let form = state.correction.form()?;
    let inside = inner(area);
    if row < inside.y || row >= inside.y + inside.height {
        return None;
    }
    let index = form_top(form.row, inside.height) + (row - inside.y) as usize;
    let count = super::fields::rows(state.task(), &form.extraction, form.record).len();
    (index < count).then_some(index)
}

/// What is at (`column`, `row`): a character of the source, a row of the field editor, a value
/// of the result, or a pane.
pub fn point(state: &State, column: u16, row: u16) -> Option<Point> {
    let at = Position::new(column, row);
    let (_, panes) = panes(state, regions(state).main);
    let (pane, area) = panes.into_iter().find(|(_, area)| area.contains(at))?;
    if pane == Pane::Form {
        return Some(form_row(state, area, row).map_or(Point::Pane(pane), Point::FormRow));
    }
    if pane == Pane::Result {
        let value = super::result_layout::value_at(state, inner(area), column, row);
        return Some(value.map_or(Point::Pane(pane), Point::ResultValue));
    }
    if pane != Pane::Source || state.editing_source() {
        return Some(Point::Pane(pane));
    }
    let text = source_text(state, area);
    if !text.body.contains(at) {
        return Some(Point::Pane(pane));
    }
    let shown = text.top + (row - text.body.y) as usize;
    let Some(range) = text.rows.get(shown) else {
        return Some(Point::Pane(pane));
    };
    let paragraph = state.paragraph();
    Some(Point::Source(wrap::byte_at(
        &paragraph,
        range.clone(),
        (column - text.body.x) as usize,
    )))
}
