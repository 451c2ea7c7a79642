//! The result pane drawn from its layout (`tui::result_layout`); the raw reply highlighted.

use super::super::result_layout::{self, header};
use super::super::state::{Pane, RunSlot, State};
use super::super::theme::Theme;
use super::{highlight, pane_block};
use crate::format::Format;
use crate::task::Task;
use crate::tui::action::Side;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, slot: Side) {
    let pane = if slot == Side::Main {
        Pane::Result
    } else {
        Pane::Compare
    };
    let run = &state.runs[slot];
    let block = pane_block(&title(state, run, slot), state.focus == pane, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let layout = result_layout::layout(state, inner, slot, theme);
    if let Some(at) = layout.raw {
        let profile = run.profile.and_then(|i| state.profiles.get(i));
        render_raw(frame, at, state.task(), run, profile, theme);
    }
    for block in layout.blocks {
        let mut paragraph = Paragraph::new(block.lines);
        if block.wrap {
            paragraph = paragraph.wrap(Wrap { trim: true });
        }
        frame.render_widget(paragraph.scroll((block.scroll, 0)), block.area);
    }
}

/// The header and the reply as text; while streaming, the newest text stays in view.
fn render_raw(
    frame: &mut Frame,
    area: Rect,
    task: &Task,
    run: &RunSlot,
    profile: Option<&crate::llm::ModelProfile>,
    theme: &Theme,
) {
    let mut lines = header(run, profile, theme);
    lines.extend(raw_lines(task, run, theme));
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = paragraph.line_count(area.width) as u16;
    let top = if run.running {
        rows.saturating_sub(area.height)
    } else {
        0
    };
    frame.render_widget(paragraph.scroll((top, 0)), area);
}

fn title(state: &State, run: &RunSlot, slot: Side) -> String {
    let profile = run
        .profile
        .and_then(|i| state.profiles.get(i))
        .map_or("", |p| p.name.as_str());
    let gold = if slot == Side::Main && state.gold().is_some() {
        " · gold ✓"
    } else {
        ""
    };
    match (slot, profile.is_empty()) {
        (Side::Main, true) => format!("Result{gold}"),
        (Side::Main, false) => format!("Result — {profile}{gold}"),
        (Side::Compare, _) => format!("Compare — {profile}"),
    }
}

/// The reply as text: highlighted as JSON for JSON tasks, with the stream's progress.
fn raw_lines(task: &Task, run: &RunSlot, theme: &Theme) -> Vec<Line<'static>> {
    let text = run.run.as_ref().map_or(run.streamed.as_str(), |r| r.raw_reply.as_str());
    if text.is_empty() {
        return Vec::new();
    }
    let json = matches!(task.format, Format::Json { .. });
    if json && theme.color {
        highlight::json(text, &theme.syntax)
    } else {
        text.lines().map(|l| Line::raw(l.to_string())).collect()
    }
}
