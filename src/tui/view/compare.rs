//! The comparison: two runs' values aligned one by one, as the task's measures pair them (on
//! both sides, only left, only right, a near spelling), long values wrapped, each side named in
//! its column's head, the measures above, scrolled with j/k.

use super::super::state::{Pane, State};
use super::super::theme::Theme;
use super::super::wrap;
use super::{lines_on_top, pane_block};
use crate::metrics::align::{AlignedValue, ValueDiff};
use crate::tui::action::Side;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

/// Columns of the field's name at most; the rest goes to the two sides.
const FIELD_WIDTH: usize = 18;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let rows = &state.compare.rows;
    let both_ran = state.runs.iter().all(|r| r.extraction().is_some());
    let title = if both_ran {
        format!("Compare · {} value row(s)", rows.len())
    } else {
        "Compare".to_string()
    };
    let block = pane_block(&title, state.focus == Pane::Compare, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if !both_ran {
        let text = if state.runs.iter().any(|r| r.running) {
            "running both models…"
        } else {
            "Run both models with R (choose the second with M). [ or ] starts the correction from a side."
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.fg(theme.dim))), inner);
        return;
    }
    let body = lines_on_top(frame, measures(state, theme, inner.width as usize), inner);
    let widths = column_widths(rows, body.width as usize);
    let header = side_header(state, theme, widths);
    let header_height = header.1;
    let mut shown = 0;
    let mut used = header_height;
    let mut table_rows = Vec::new();
    let mut previous_label = None;
    for row in rows.iter().skip(state.compare.scroll) {
        let (drawn, height) = value_row(state, theme, row, widths, &mut previous_label);
        if used + height > body.height as usize && shown > 0 {
            break;
        }
        used += height;
        shown += 1;
        table_rows.push(drawn);
    }
    let constraints = [
        Constraint::Length(1),
        Constraint::Length(widths.0 as u16),
        Constraint::Length(widths.1 as u16),
        Constraint::Length(widths.1 as u16),
    ];
    let table_area = Rect {
        height: body.height.saturating_sub(1),
        ..body
    };
    frame.render_widget(
        Table::new(table_rows, constraints).header(header.0).column_spacing(1),
        table_area,
    );
    let footer = scroll_line(state.compare.scroll, shown, rows.len(), body.width as usize);
    let footer_area = Rect {
        y: body.y + body.height.saturating_sub(1),
        height: body.height.min(1),
        ..body
    };
    frame.render_widget(Paragraph::new(Line::styled(footer, theme.fg(theme.dim))), footer_area);
}

/// (field column, each side's column) for a pane `width` columns wide.
fn column_widths(rows: &[AlignedValue], width: usize) -> (usize, usize) {
    let longest = rows.iter().map(|r| label(r, rows).chars().count()).max().unwrap_or(5);
    let field = longest.clamp(5, FIELD_WIDTH).min(width / 4);
    let side = width.saturating_sub(field + 1 + 3) / 2;
    (field, side.max(1))
}

/// The field's name, with the record's number when a side has more than one record.
fn label(row: &AlignedValue, rows: &[AlignedValue]) -> String {
    if rows.iter().any(|r| r.record > 0) {
        format!("{} #{}", row.field, row.record + 1)
    } else {
        row.field.clone()
    }
}

/// Each column's head: the side's mark and what ran on it.
fn side_header<'a>(state: &State, theme: &Theme, widths: (usize, usize)) -> (Row<'a>, usize) {
    let style = theme.fg(theme.dim).add_modifier(Modifier::BOLD);
    let head = |mark: &str, side: Side| {
        let mut lines = wrapped(&side_name(state, side), widths.1.saturating_sub(2));
        for (i, line) in lines.iter_mut().enumerate() {
            let lead = if i == 0 { mark } else { " " };
            *line = format!("{lead} {line}");
        }
        lines
    };
    let (left, right) = (head("◀", Side::Main), head("▶", Side::Compare));
    let height = left.len().max(right.len()).min(3);
    let cell = |lines: Vec<String>| {
        Cell::from(Text::from(
            lines.into_iter().take(3).map(Line::from).collect::<Vec<_>>(),
        ))
    };
    let row = Row::new(vec![Cell::from(""), Cell::from("field"), cell(left), cell(right)])
        .style(style)
        .height(height as u16);
    (row, height)
}

/// What ran on a side: the profile and its weights, or, for a run read from a file, the profile
/// and model the file names.
pub fn side_name(state: &State, side: Side) -> String {
    let slot = &state.runs[side];
    if let Some(profile) = slot.profile.and_then(|i| state.profiles.get(i)) {
        return format!("{} ({})", profile.name, profile.weights());
    }
    let Some(run) = &slot.run else { return "—".to_string() };
    let mut weights = run.model.clone();
    for adapter in &run.adapters {
        weights.push_str(" + ");
        weights.push_str(adapter);
    }
    let file = state
        .review
        .as_ref()
        .and_then(|r| r.queue.sources[side].clone())
        .unwrap_or_else(|| "the file".into());
    crate::foreign::one_line(&format!("{} ({weights}), from {file}", run.profile), 200)
}

fn value_row<'a>(
    state: &State,
    theme: &Theme,
    row: &AlignedValue,
    widths: (usize, usize),
    previous: &mut Option<String>,
) -> (Row<'a>, usize) {
    let (mark, color) = match row.status {
        ValueDiff::Same => ("=", theme.ok),
        ValueDiff::OnlyLeft => ("◀", theme.warning),
        ValueDiff::OnlyRight => ("▶", theme.warning),
        ValueDiff::Changed => ("≠", theme.error),
    };
    let name = label(row, &state.compare.rows);
    let shown_name = if previous.as_deref() == Some(name.as_str()) {
        String::new()
    } else {
        name.clone()
    };
    *previous = Some(name);
    let color_name = state.task().field(&row.field).map_or("gray", |f| f.color.as_str());
    let left = wrapped(row.left.as_deref().unwrap_or(""), widths.1);
    let right = wrapped(row.right.as_deref().unwrap_or(""), widths.1);
    let height = left.len().max(right.len()).max(1);
    let side = |lines: Vec<String>| Cell::from(Text::from(lines.into_iter().map(Line::from).collect::<Vec<_>>()));
    let drawn = Row::new(vec![
        Cell::from(Span::styled(mark, theme.fg(color).add_modifier(Modifier::BOLD))),
        Cell::from(Span::styled(cut(&shown_name, widths.0), theme.field(color_name))),
        side(left),
        side(right),
    ])
    .height(height as u16);
    (drawn, height)
}

/// `text` wrapped at `width` columns, one string per row (none for an empty text).
fn wrapped(text: &str, width: usize) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    let text = crate::foreign::printable(text);
    wrap::rows(&text, width)
        .into_iter()
        .map(|r| text[r].trim_start().to_string())
        .collect()
}

fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Which rows are on screen, and how to see the others.
/// The legend is shortened when the pane is narrow.
fn scroll_line(first: usize, shown: usize, total: usize, width: usize) -> String {
    if total == 0 {
        return "neither side found a value".to_string();
    }
    let last = (first + shown).min(total);
    let more = if first > 0 || last < total {
        " · j/k scroll"
    } else {
        ""
    };
    let rows = format!("rows {}–{last} of {total}{more}", first + 1);
    let long = format!("{rows} · = both  ◀ left only  ▶ right only  ≠ near spelling");
    if long.chars().count() <= width {
        long
    } else {
        format!("{rows} · =both ◀left ▶right ≠near")
    }
}

/// One line per side: its measures against the gold, or left against right (computed in state),
/// wrapped at the pane's width.
fn measures<'a>(state: &State, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    for line in &state.compare.lines {
        let scores: Vec<String> = line
            .scores
            .iter()
            .map(|(n, v)| v.map_or(format!("{n} —"), |v| format!("{n} {v:.3}")))
            .collect();
        let text = format!("{}{}", line.label, scores.join("  "));
        for (i, piece) in wrapped(&text, width.saturating_sub(2)).into_iter().enumerate() {
            let piece = if i == 0 { piece } else { format!("  {piece}") };
            lines.push(Line::from(Span::styled(piece, theme.fg(theme.dim))));
        }
    }
    lines
}
