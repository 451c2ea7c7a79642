//! The editor and the saved-examples browser.

use super::super::state::{Pane, State};
use super::super::theme::Theme;
use super::pane_block;
use crate::extraction::Alignment;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};

/// The extraction's canonical text in a text area, re-parsed as it is typed.
pub fn editor(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(editor) = state.correction.editor() else {
        return;
    };
    let status = match &editor.parsed {
        Ok(extraction) => {
            let values = extraction.values();
            let unaligned = values
                .iter()
                .filter(|(_, v)| v.alignment == Alignment::Unaligned)
                .count();
            Span::styled(
                format!(" parses: {} values, {unaligned} not in source ", values.len()),
                theme.fg(theme.ok),
            )
        }
        Err(e) => Span::styled(
            format!(" line {}, column {}: {} ", e.line, e.column, e.message),
            theme.fg(theme.error),
        ),
    };
    let block = pane_block("Edit — Ctrl-S accepts, Esc closes", state.focus == Pane::Editor, theme)
        .title_bottom(Line::from(status));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(&editor.area, inner);
}

pub fn browser(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let title = format!("Saved examples — {} (Enter opens)", state.task().name);
    let block = pane_block(&title, state.focus == Pane::Browser, theme);
    let items: Vec<ListItem> = state
        .browser
        .examples
        .iter()
        .map(|e| {
            let first: String = e.paragraph.chars().take(80).collect();
            ListItem::new(Line::from(vec![
                Span::styled(
                    format!("{}  ", e.saved_at.get(..16).unwrap_or(&e.saved_at)),
                    theme.fg(theme.dim),
                ),
                Span::raw(first),
            ]))
        })
        .collect();
    if items.is_empty() {
        frame.render_widget(Paragraph::new("No saved examples.").block(block), area);
        return;
    }
    let list = List::new(items)
        .block(block)
        .highlight_style(theme.fg(theme.focused).add_modifier(Modifier::REVERSED));
    let mut list_state = ListState::default().with_selected(Some(state.browser.selected));
    frame.render_stateful_widget(list, area, &mut list_state);
}
