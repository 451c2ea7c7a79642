//! The source pane: the paragraph with every grounded value in its field's colour, the selected
//! value marked, a legend, and the text editor while editing.

use super::super::fields::{Selection, labelled};
use super::super::state::{Pane, State};
use super::super::theme::Theme;
use super::super::wrap;
use super::pane_block;
use crate::extraction::Alignment;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::ops::Range;
use unicode_width::UnicodeWidthStr;

/// Where the queue's paragraph on screen sits in its paper, when it came from one.
fn current_place(state: &State) -> Option<&crate::place::Place> {
    let queue = &state.review.as_ref()?.queue;
    queue.items.get(queue.current()?)?.place.as_ref()
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let focused = state.focus == Pane::Source;
    let hint = if state.editing_source() {
        " editing — Esc to stop "
    } else {
        ""
    };
    let mut block = pane_block("Source", focused, theme).title_bottom(Line::from(hint).right_aligned());
    if let Some(place) = current_place(state) {
        let page = place.page.map_or(String::new(), |p| format!(" · p. {p}"));
        let title = format!(" {} · {}{page} ", place.doc, place.section_path());
        block = block.title(Line::from(Span::styled(title, theme.fg(theme.dim))).right_aligned());
    }
    if state.editing_source() {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(&state.source.area, inner);
        return;
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let text = state.paragraph();
    let legend = legend(state, theme);
    let super::super::screen::SourceText { body, rows, top } = super::super::screen::source_text(state, area);
    let body_height = body.height as usize;
    let marks = marks(state, theme, &text);
    let lines: Vec<Line> = if text.is_empty() {
        vec![Line::styled(
            "Paste or type a paragraph (e to edit, or paste now).",
            theme.fg(theme.dim),
        )]
    } else {
        rows.iter()
            .skip(top)
            .take(body_height)
            .map(|row| wrap::styled_row(&text, row, &marks, Style::default()))
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines),
        Rect {
            height: body_height as u16,
            ..inner
        },
    );
    if let Some(selection) = state.correction.form().and_then(|f| f.selecting.as_ref()) {
        draw_labels(frame, theme, &text, selection, (&rows, top), body);
    }
    if !legend.spans.is_empty() {
        let at = Rect {
            y: inner.y + inner.height - 1,
            height: 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(legend), at);
    }
}

/// The labels `s`/`S` wait for, each over its word's first cell.
fn draw_labels(
    frame: &mut Frame,
    theme: &Theme,
    text: &str,
    selection: &Selection,
    (rows, top): (&[Range<usize>], usize),
    body: Rect,
) {
    for (word, label) in labelled(selection) {
        let start = selection.words[word].start;
        let row = wrap::row_of(rows, start);
        if row < top || row >= top + body.height as usize {
            continue;
        }
        let x = body.x as usize + text[rows[row].start..start].width();
        let y = body.y + (row - top) as u16;
        if x < body.right() as usize
            && let Some(cell) = frame.buffer_mut().cell_mut((x as u16, y))
        {
            cell.set_char(label).set_style(
                theme
                    .fg(theme.warning)
                    .add_modifier(Modifier::REVERSED | Modifier::BOLD),
            );
        }
    }
}

/// Byte ranges to colour, sorted and without overlaps (an earlier value wins).
fn marks(state: &State, theme: &Theme, text: &str) -> Vec<(Range<usize>, Style)> {
    let task = state.task();
    let mut marks: Vec<(Range<usize>, Style)> = Vec::new();
    let values = state.highlighted().map(|e| e.values()).unwrap_or_default();
    for (index, (field, value)) in values.into_iter().enumerate() {
        let Some(span) = &value.span else { continue };
        if span.bytes.end > text.len()
            || !text.is_char_boundary(span.bytes.start)
            || !text.is_char_boundary(span.bytes.end)
        {
            continue;
        }
        let color = task.field(field).map_or("gray", |f| f.color.as_str());
        let style = theme.span(color, index == state.result.selected);
        if index == state.result.selected {
            marks.retain(|(r, _)| r.end <= span.bytes.start || r.start >= span.bytes.end);
        } else if marks
            .iter()
            .any(|(r, _)| r.start < span.bytes.end && r.end > span.bytes.start)
        {
            continue;
        }
        marks.push((span.bytes.clone(), style));
    }
    // The match found in the source, then the words being chosen, stand out over the rest.
    if let Some(found) = state.source.find.as_ref().and_then(|f| f.at.clone()) {
        marks.retain(|(r, _)| r.end <= found.start || r.start >= found.end);
        marks.push((found, theme.fg(theme.focused).add_modifier(Modifier::REVERSED)));
    }
    if let Some(selection) = state.correction.form().and_then(|f| f.selecting.as_ref()) {
        let bytes = selection.bytes();
        marks.retain(|(r, _)| r.end <= bytes.start || r.start >= bytes.end);
        marks.push((
            bytes,
            theme
                .fg(theme.warning)
                .add_modifier(Modifier::REVERSED | Modifier::UNDERLINED),
        ));
    }
    marks.sort_by_key(|(r, _)| r.start);
    marks
}

/// The fields present, in their colours, and how many values could not be found.
fn legend<'a>(state: &'a State, theme: &Theme) -> Line<'a> {
    let Some(extraction) = state.highlighted().filter(|_| super::super::screen::has_legend(state)) else {
        return Line::default();
    };
    let values = extraction.values();
    let mut spans = Vec::new();
    for field in &state.task().fields {
        if values.iter().any(|(f, _)| *f == field.name) {
            spans.push(Span::styled(
                format!(" {} ", field.name),
                theme.span(&field.color, false),
            ));
            spans.push(Span::raw(" "));
        }
    }
    let found = values.iter().filter(|(_, v)| v.alignment == Alignment::Exact).count();
    if found > 0 {
        spans.push(Span::styled(
            format!("✓ {found} found in source  "),
            theme.fg(theme.dim),
        ));
    }
    let unaligned = values
        .iter()
        .filter(|(_, v)| v.alignment == Alignment::Unaligned)
        .count();
    if unaligned > 0 {
        spans.push(Span::styled(
            format!("⚠ {unaligned} not in source"),
            theme.fg(theme.warning),
        ));
    }
    Line::from(spans)
}
