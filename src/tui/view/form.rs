//! The field editor: one record at a time, a row per value with how it was found in the source,
//! the value being typed in place, and the words being chosen in the source.

use super::super::form::{Row, rows};
use super::super::result_layout::mark;
use super::super::state::{Pane, State};
use super::super::theme::Theme;
use super::pane_block;
use crate::extraction::Alignment;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(form) = state.correction.form() else { return };
    let task = state.task();
    let count = form.extraction.records.len();
    let title = match count {
        0 => "Fields — no records (N adds one)".to_string(),
        1 => "Fields — a accepts, Esc closes".to_string(),
        n => format!("Fields — record {} of {n} (h/l) — a accepts", form.record + 1),
    };
    let block = pane_block(&title, state.focus == Pane::Form, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let rows = rows(task, &form.extraction, form.record);
    let label_width = rows
        .iter()
        .map(|r| r.field().chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let mut lines = Vec::new();
    let mut input_at = None;
    let mut previous_field = None;
    for (i, row) in rows.iter().enumerate() {
        let field = row.field();
        let label = if previous_field == Some(field) { "" } else { field };
        previous_field = Some(field);
        let label: String = label.chars().take(label_width).collect();
        let color = task.field(field).map_or("gray", |f| f.color.as_str());
        let mut spans = vec![Span::styled(format!("{label:<label_width$} "), theme.field(color))];
        let current = i == form.row;
        if current && form.input.is_some() {
            input_at = Some((lines.len(), label_width as u16 + 1));
        }
        spans.extend(row_spans(state, row, theme));
        let mut line = Line::from(spans);
        if current {
            line = line.style(theme.fg(theme.focused).add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    if let Some(selection) = &form.selecting {
        let text = state.paragraph();
        lines.push(Line::default());
        lines.push(Line::styled(
            format!("taking «{}» from the source", &text[selection.bytes()]),
            theme.fg(theme.warning),
        ));
    }
    let top = super::super::screen::form_top(form.row, inner.height) as u16;
    frame.render_widget(Paragraph::new(lines).scroll((top, 0)), inner);
    if let (Some(input), Some((row, x))) = (&form.input, input_at) {
        let y = inner.y + row as u16 - top;
        if y < inner.y + inner.height {
            let at = Rect {
                x: inner.x + x,
                y,
                width: inner.width.saturating_sub(x),
                height: 1,
            };
            frame.render_widget(input, at);
        }
    }
}

fn row_spans<'a>(state: &'a State, row: &Row, theme: &Theme) -> Vec<Span<'a>> {
    let Some(form) = state.correction.form() else {
        return Vec::new();
    };
    match row {
        Row::Value { field, index } => {
            let Some(value) = form.extraction.field_values(form.record, field).get(*index) else {
                return Vec::new();
            };
            let warn = if value.alignment == Alignment::Unaligned {
                theme.fg(theme.warning)
            } else {
                theme.fg(theme.dim)
            };
            let mut spans = vec![Span::raw(value.text.as_str()), Span::styled(mark(value), warn)];
            spans.extend(super::super::result_layout::confidence(value, theme));
            for problem in state.task().value_problems(field, &value.text) {
                spans.push(Span::styled(format!(" ⚗ {problem}"), theme.fg(theme.warning)));
            }
            spans
        }
        Row::Add { field } if form.extraction.field_values(form.record, field).is_empty() => {
            let missing = state.task().field(field).and_then(|f| f.missing.as_deref());
            let text = match missing {
                Some(marker) => format!("— missing ({marker}); Enter types, v takes it from the source"),
                None => "— missing; Enter types, v takes it from the source".to_string(),
            };
            vec![Span::styled(text, theme.fg(theme.dim))]
        }
        Row::Add { .. } => vec![Span::styled("+ add (o)", theme.fg(theme.dim))],
        Row::Nested { .. } => vec![Span::styled(
            "nested records: E edits them as text",
            theme.fg(theme.dim),
        )],
    }
}
