//! The outline pane: a paper's headings, indented by depth, and its blocks (kind, first words,
//! the decision made on each), the one on screen marked ▶ and the highlighted one reversed.

use super::super::outline::{Row, rows};
use super::super::state::{Pane, State};
use super::super::theme::Theme;
use super::pane_block;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let block = pane_block(
        "Outline — Enter goes to a block, Esc back",
        state.focus == Pane::Outline,
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(review) = state.review.as_deref() else { return };
    let queue = &review.queue;
    let rows = rows(state);
    let width = inner.width as usize;
    let mut selected_row = 0;
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .map(|(n, row)| match row {
            Row::Heading { depth, text } => Line::styled(
                format!("{}{text}", "  ".repeat(*depth)),
                theme.fg(theme.title).add_modifier(Modifier::BOLD),
            ),
            Row::Block { position } => {
                let item = queue.order[*position];
                let depth = queue.items[item].place.as_ref().map_or(0, |p| p.section.len());
                let kind = queue.items[item]
                    .place
                    .as_ref()
                    .map_or("text".to_string(), |p| p.kind.to_string());
                let mark = if *position == queue.position { "▶ " } else { "  " };
                let verdict = queue
                    .verdict(item)
                    .map_or(String::new(), |v| format!(" [{}]", v.label()));
                let indent = "  ".repeat(depth);
                let room = width.saturating_sub(indent.len() + mark.len() + kind.len() + verdict.len() + 3);
                let words: String = queue.items[item].paragraph.chars().take(room).collect();
                let mut style = theme.fg(theme.dim);
                if *position == review.outline_selected {
                    selected_row = n;
                    style = style.add_modifier(Modifier::REVERSED);
                }
                Line::from(vec![
                    Span::raw(format!("{indent}{mark}")),
                    Span::styled(format!("{kind} · {}{verdict}", words.replace('\n', " ")), style),
                ])
            }
        })
        .collect();
    let height = inner.height as usize;
    let top = selected_row
        .saturating_sub(height / 3)
        .min(lines.len().saturating_sub(height));
    frame.render_widget(Paragraph::new(lines).scroll((top as u16, 0)), inner);
}
