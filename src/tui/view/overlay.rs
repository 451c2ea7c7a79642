//! Overlays: help (generated from the key map), the run inspector, and the pickers.

use super::super::keymap::Scope;
use super::super::state::{Overlay, Picker, State};
use super::super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

pub fn render(frame: &mut Frame, state: &State, theme: &Theme) {
    let Some(overlay) = state.overlay() else { return };
    // On a short terminal the overlay takes the height above the status and hint bars: every
    // key of the help then fits in two columns at 24 rows.
    let screen = frame.area();
    let area = if screen.height < 40 {
        let above_bars = Rect {
            height: screen.height.saturating_sub(2),
            ..screen
        };
        centered(above_bars, 90, 100)
    } else {
        centered(screen, 90, 80)
    };
    if !matches!(overlay, Overlay::Picker(_)) {
        frame.render_widget(Clear, area);
    }
    match overlay {
        Overlay::Help => help(frame, area, state, theme),
        Overlay::Inspector(slot) => inspector(frame, area, state, theme, *slot),
        Overlay::Picker(picker) => picker_view(frame, centered(frame.area(), 70, 60), picker, theme),
        Overlay::Summary(text) => summary(frame, area, text, theme),
    }
}

fn centered(area: Rect, percent_x: u16, percent_y: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Percentage(percent_y)])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Percentage(percent_x)])
        .flex(Flex::Center)
        .areas(v);
    h
}

fn block<'a>(title: &str, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border(true))
        .title(Span::styled(
            format!(" {title} "),
            theme.fg(theme.title).add_modifier(Modifier::BOLD),
        ))
}

/// The keys of the scopes that apply now, one line per command with all its keys.
fn help(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut sections: Vec<(String, Vec<(String, &'static str)>)> = Vec::new();
    if state.review.is_some() {
        sections.push((
            "Review queue (before the pane's keys)".into(),
            keys_by_command(state, Scope::Review),
        ));
    }
    sections.push((
        format!("{} pane", state.focus.title()),
        keys_by_command(state, state.focus.scope()),
    ));
    sections.push(("Everywhere".into(), keys_by_command(state, Scope::Global)));
    let outer = block("Keys — Esc closes", theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    // The keys come first: the marks' row and the mouse's section are shown when they do not
    // take a column's width from them.
    let columns_for = |lines: usize, height: u16| lines.div_ceil(height.max(1) as usize).clamp(1, 3);
    let key_lines: usize = sections.iter().map(|(_, keys)| keys.len() + 1).sum();
    let key_columns = columns_for(key_lines, inner.height).max(2);
    let inner = if columns_for(key_lines, inner.height.saturating_sub(1)) <= key_columns {
        marks_line(frame, inner, theme)
    } else {
        inner
    };
    if state.keymap.mouse && columns_for(key_lines + 5, inner.height) <= key_columns {
        sections.push((
            "Mouse ([mouse] enabled = \"off\" in keymap.toml turns it off)".into(),
            vec![
                (
                    "click".into(),
                    "in the source with the field editor open: choose the word; on a value or a field row: select it; elsewhere: focus the pane",
                ),
                ("drag".into(), "choose the words from where the press was"),
                ("2× click".into(), "the whole name there"),
                (
                    "wheel".into(),
                    "scroll the source; over a list, its next or previous value",
                ),
            ],
        ));
    }
    // As many columns as it takes to show every key; descriptions are abbreviated to fit.
    let count: usize = sections.iter().map(|(_, keys)| keys.len() + 1).sum();
    let columns = count.div_ceil(inner.height.max(1) as usize).clamp(1, 3);
    let width = (inner.width as usize) / columns;
    let key_width = sections
        .iter()
        .flat_map(|(_, keys)| keys.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(0)
        .min(12);
    let heading = |text: String| Line::styled(text, theme.fg(theme.focused).add_modifier(Modifier::BOLD));
    let entry = |key: &str, what: &str| {
        Line::from(vec![
            Span::styled(format!("  {key:<key_width$} "), theme.fg(theme.ok)),
            Span::raw(super::super::wrap::abbreviate(
                what,
                width.saturating_sub(key_width + 4),
            )),
        ])
    };
    let mut lines = Vec::new();
    for (title, keys) in sections {
        lines.push(heading(super::super::wrap::abbreviate(&title, width.saturating_sub(1))));
        lines.extend(keys.iter().map(|(key, what)| entry(key, what)));
    }
    let per_column = lines.len().div_ceil(columns);
    let areas = Layout::horizontal(vec![Constraint::Fill(1); columns]).split(inner);
    for (chunk, area) in lines.chunks(per_column.max(1)).zip(areas.iter()) {
        frame.render_widget(Paragraph::new(chunk.to_vec()), *area);
    }
}

/// The marks beside a value and what they say, on the help's last row; the rest is returned.
fn marks_line(frame: &mut Frame, area: Rect, theme: &Theme) -> Rect {
    if area.height < 2 {
        return area;
    }
    let marks: Vec<String> = super::super::result_layout::MARKS
        .iter()
        .map(|(mark, what)| format!("{mark} {what}"))
        .collect();
    let text = super::super::wrap::abbreviate(&format!("Marks: {}", marks.join(" · ")), area.width as usize);
    let last = Rect {
        y: area.y + area.height - 1,
        height: 1,
        ..area
    };
    frame.render_widget(Paragraph::new(Line::styled(text, theme.fg(theme.dim))), last);
    Rect {
        height: area.height - 1,
        ..area
    }
}

fn inspector(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, slot: super::super::action::Side) {
    let Some(run) = &state.runs[slot].run else { return };
    let heading = |text: &str| Line::styled(text.to_string(), theme.fg(theme.focused).add_modifier(Modifier::BOLD));
    let mut lines = vec![
        heading("Run"),
        Line::raw(format!(
            "profile {} · model {} · {} · mode {} · prompt hash {}",
            run.profile, run.model, run.endpoint, run.mode, run.prompt_hash
        )),
        Line::raw(format!(
            "first token {} · total {:.0} ms · prompt tokens {}{} · completion tokens {}{} · finish {}",
            run.time_to_first_token_ms.map_or("—".into(), |t| format!("{t:.0} ms")),
            run.total_ms,
            run.prompt_tokens.map_or("—".into(), |t| t.to_string()),
            run.cached_tokens
                .filter(|c| *c > 0)
                .map_or(String::new(), |c| format!(" ({c} from the cache)")),
            run.completion_tokens.map_or("—".into(), |t| t.to_string()),
            if run.tokens_counted { " (counted)" } else { "" },
            run.finish_reason.as_ref().map_or("—", |r| r.as_str()),
        )),
        Line::from(vec![
            Span::raw("validation: "),
            Span::styled(run.validation.badge(), theme.fg(theme.warning)),
        ]),
    ];
    if let Some(shots) = &run.shots_from {
        lines.push(Line::raw(format!("few-shot examples: {shots}")));
    }
    if !run.adapters.is_empty() {
        lines.push(Line::raw(format!("LoRA adapters: {}", run.adapters.join(", "))));
    }
    if let Some(error) = run.outcome.error() {
        lines.push(Line::styled(format!("error: {error}"), theme.fg(theme.error)));
    }
    lines.push(heading("Prompt as sent"));
    lines.extend(run.prompt.text().lines().map(|l| Line::raw(l.to_string())));
    lines.push(heading(
        "Request body (the API key travels in a header and is never shown)",
    ));
    let body = serde_json::to_string_pretty(&run.request).unwrap_or_default();
    lines.extend(body.lines().map(|l| Line::raw(l.to_string())));
    lines.push(heading("Raw reply"));
    lines.extend(run.raw_reply.lines().map(|l| Line::raw(l.to_string())));
    let paragraph = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(block("Inspector — Esc closes", theme));
    frame.render_widget(paragraph, area);
}

/// Each command of `scope` once, with as many of its keys as fit in the key column.
fn keys_by_command(state: &State, scope: Scope) -> Vec<(String, &'static str)> {
    let bindings = state.keymap.bindings(scope);
    state
        .keymap
        .commands(scope)
        .into_iter()
        .map(|command| {
            let mut keys = String::new();
            for (key, _) in bindings.iter().filter(|(_, c)| *c == command) {
                let joined = if keys.is_empty() {
                    key.clone()
                } else {
                    format!("{keys} {key}")
                };
                if joined.chars().count() > 11 && !keys.is_empty() {
                    break;
                }
                keys = joined;
            }
            (keys, command.describe())
        })
        .collect()
}

fn summary(frame: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    let lines: Vec<Line> = text.lines().map(|l| Line::raw(l.to_string())).collect();
    let paragraph = Paragraph::new(lines).block(block("Queue summary — Esc closes", theme));
    frame.render_widget(paragraph, area);
}

fn picker_view(frame: &mut Frame, area: Rect, picker: &Picker, theme: &Theme) {
    frame.render_widget(Clear, area);
    use super::super::state::PickerKind;
    let title = match picker.kind {
        PickerKind::Task => "Task",
        PickerKind::Model => "Model",
        PickerKind::CompareModel => "Model to compare with",
        PickerKind::RejectReason => "Reject: why? (or type a reason)",
        PickerKind::QueueItem => "Jump to paragraph",
        PickerKind::QueueFile => "Open a review queue (or type a path)",
        PickerKind::TrainingRun => "Training runs — Enter compares with a registered model",
    };
    let outer = block(&format!("{title} — type to filter, ↑↓, Enter, Esc"), theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    if inner.height < 2 {
        return;
    }
    let query = Line::from(vec![
        Span::styled("› ", theme.fg(theme.focused)),
        Span::raw(picker.query.clone()),
    ]);
    frame.render_widget(Paragraph::new(query), Rect { height: 1, ..inner });
    // Only the screenful around the highlight is built: a queue's jump list has thousands.
    let rows = (inner.height - 1) as usize;
    let first = picker.selected.saturating_sub(rows.saturating_sub(1));
    let items: Vec<ListItem> = picker
        .matches
        .iter()
        .skip(first)
        .take(rows)
        .map(|i| ListItem::new(picker.items[*i].clone()))
        .collect();
    let list = List::new(items).highlight_style(theme.fg(theme.focused).add_modifier(Modifier::REVERSED));
    let mut list_state = ListState::default().with_selected(Some(picker.selected - first));
    frame.render_stateful_widget(
        list,
        Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        },
        &mut list_state,
    );
}
