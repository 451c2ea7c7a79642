//! Drawing: every pane is a plain function of the state and the theme.

mod compare;
mod form;
mod highlight;
mod outline;
mod overlay;
mod panels;
mod queue_bar;
mod result;
mod source;

use super::state::{Level, Pane, State};
use super::theme::Theme;
use super::wrap;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

pub fn render(frame: &mut Frame, state: &State, theme: &Theme) {
    let regions = super::screen::regions(state);
    if let Some(review) = &state.review {
        queue_bar::render(frame, regions.queue, review, theme);
    }
    let (tabs, panes) = super::screen::panes(state, regions.main);
    if let Some(tabs) = tabs {
        render_tabs(frame, tabs, state, theme);
    }
    for (pane, area) in panes {
        render_pane(frame, area, state, theme, pane);
    }
    render_status(frame, regions.status, state, theme);
    render_hints(frame, regions.hints, state, theme);
    overlay::render(frame, state, theme);
}

fn render_pane(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, pane: Pane) {
    match pane {
        Pane::Source => source::render(frame, area, state, theme),
        Pane::Result => result::render(frame, area, state, theme, super::action::Side::Main),
        Pane::Compare => compare::render(frame, area, state, theme),
        Pane::Editor => panels::editor(frame, area, state, theme),
        Pane::Browser => panels::browser(frame, area, state, theme),
        Pane::Form => form::render(frame, area, state, theme),
        Pane::Outline => outline::render(frame, area, state, theme),
    }
}

/// A pane's border and title; the focused pane stands out.
pub fn pane_block<'a>(title: &str, focused: bool, theme: &Theme) -> Block<'a> {
    let title_style = if focused {
        theme.fg(theme.focused).add_modifier(Modifier::BOLD)
    } else {
        theme.fg(theme.title)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(theme.border(focused))
        .title(Span::styled(format!(" {title} "), title_style))
}

/// Draws `lines` at the top of `area` and returns the rest of it.
pub fn lines_on_top(frame: &mut Frame, lines: Vec<Line>, area: Rect) -> Rect {
    let height = (lines.len() as u16).min(area.height);
    frame.render_widget(Paragraph::new(lines), Rect { height, ..area });
    Rect {
        y: area.y + height,
        height: area.height - height,
        ..area
    }
}

fn render_tabs(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut spans = Vec::new();
    for pane in state.panes() {
        let style = if pane == state.focus {
            theme
                .fg(theme.focused)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            theme.fg(theme.dim)
        };
        spans.push(Span::styled(format!(" {} ", pane.title()), style));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled("Tab switches", theme.fg(theme.dim)));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Task, model, the run's progress (first token, elapsed, tokens/s) and the last notice.
fn render_status(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let bar = if theme.color {
        Style::default().bg(theme.status)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let profile = state.profile().map_or("no model", |p| p.name.as_str());
    let mut spans = vec![Span::styled(
        format!(" {} · {} ", state.task().name, profile),
        bar.add_modifier(Modifier::BOLD),
    )];
    let run = &state.runs[super::action::Side::Main];
    let progress = if run.running {
        let ttft = match (run.first_piece, run.started) {
            (Some(first), Some(start)) => format!(
                "first token {:.2} s · ",
                first.saturating_duration_since(start).as_secs_f64()
            ),
            _ => String::new(),
        };
        let elapsed = run.elapsed().unwrap_or(0.0);
        let rate = if elapsed > 0.0 {
            run.pieces as f64 / elapsed
        } else {
            0.0
        };
        format!(" running: {ttft}{elapsed:.1} s · {rate:.1} tok/s ")
    } else if let Some(done) = &run.run {
        let ttft = done
            .time_to_first_token_ms
            .map_or(String::new(), |t| format!("first token {:.2} s · ", t / 1000.0));
        let rate = done
            .tokens_per_second()
            .map_or(String::new(), |r| format!(" · {r:.1} tok/s"));
        format!(
            " {ttft}{:.1} s{rate} · {} ",
            done.total_ms / 1000.0,
            done.validation.badge()
        )
    } else {
        String::new()
    };
    // A notice (a question, an error) matters more than the run's timings: they give way to it.
    let head: usize = spans.iter().map(|s| s.width()).sum();
    let notice_width = state
        .notice
        .as_ref()
        .map_or(0, |n| unicode_width::UnicodeWidthStr::width(n.text.as_str()));
    if notice_width == 0 || head + progress.chars().count() + notice_width <= area.width as usize {
        spans.push(Span::raw(progress));
    }
    if let Some(notice) = &state.notice {
        let style = match notice.level {
            Level::Error => theme.fg(theme.error),
            Level::Info => theme.fg(theme.ok),
        };
        // What does not fit is abbreviated at a word rather than cut at the screen's edge.
        let used: usize = spans.iter().map(|s| s.width()).sum();
        let room = (area.width as usize).saturating_sub(used);
        spans.push(Span::styled(wrap::abbreviate(&notice.text, room), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The key hints for who has the keys, from the key map and what can run now.
fn render_hints(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut spans = Vec::new();
    for (key, command) in super::hints::hints(state) {
        spans.push(Span::styled(
            format!(" {key} "),
            theme.fg(theme.focused).add_modifier(Modifier::BOLD),
        ));
        // In the queue's own bar the prefix says nothing.
        let name = command.name().trim_start_matches("review-");
        spans.push(Span::styled(format!("{name} "), theme.fg(theme.dim)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
