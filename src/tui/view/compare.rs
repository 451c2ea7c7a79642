//! The comparison: two runs side by side as a per-field diff (same / only left / only right /
//! changed), with the task's measures of each against the corrected gold, or of one against the
//! other when there is no gold.

use super::super::state::{Pane, State};
use super::super::theme::Theme;
use super::{lines_on_top, pane_block};
use crate::extraction::{FieldDiff, diff};
use crate::tui::action::Side;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let name = |slot: Side| {
        state.runs[slot]
            .profile
            .and_then(|i| state.profiles.get(i))
            .map_or("—".to_string(), |p| p.name.clone())
    };
    let title = format!("Compare — {} ⟷ {}", name(Side::Main), name(Side::Compare));
    let block = pane_block(&title, state.focus == Pane::Compare, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (left, right) = (
        state.runs[Side::Main].extraction(),
        state.runs[Side::Compare].extraction(),
    );
    let (Some(left), Some(right)) = (left, right) else {
        let text = if state.runs.iter().any(|r| r.running) {
            "running both models…"
        } else {
            "Run both models with R (choose the second with M). [ or ] starts the correction from a side."
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.fg(theme.dim))), inner);
        return;
    };
    let body = lines_on_top(frame, measures(state, theme), inner);
    let rows: Vec<Row> = diff(left, right)
        .into_iter()
        .map(|d| {
            let (mark, color) = match d.status {
                FieldDiff::Same => ("=", theme.ok),
                FieldDiff::OnlyLeft => ("◀", theme.warning),
                FieldDiff::OnlyRight => ("▶", theme.warning),
                FieldDiff::Changed => ("≠", theme.error),
            };
            let field = state.task().field(&d.field).map_or("gray", |f| f.color.as_str());
            Row::new(vec![
                Cell::from(Span::styled(mark, theme.fg(color).add_modifier(Modifier::BOLD))),
                Cell::from(Span::styled(
                    format!("{}#{}", d.field, d.record + 1),
                    theme.field(field),
                )),
                Cell::from(d.left.join(" | ")),
                Cell::from(d.right.join(" | ")),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(1),
        Constraint::Length(20),
        Constraint::Fill(1),
        Constraint::Fill(1),
    ];
    let header = Row::new(vec!["", "field", "left", "right"]).style(theme.fg(theme.dim).add_modifier(Modifier::BOLD));
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), body);
}

/// One line per side: its measures against the gold, or left against right (computed in state).
fn measures<'a>(state: &State, theme: &Theme) -> Vec<Line<'a>> {
    state
        .compare
        .lines
        .iter()
        .map(|line| {
            let scores: Vec<String> = line
                .scores
                .iter()
                .map(|(n, v)| v.map_or(format!("{n} —"), |v| format!("{n} {v:.3}")))
                .collect();
            Line::from(vec![
                Span::styled(line.label, theme.fg(theme.dim)),
                Span::raw(scores.join("  ")),
            ])
        })
        .collect()
}
