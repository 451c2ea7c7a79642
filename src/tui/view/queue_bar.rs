//! The review queue's bar: where the chemist is, what was decided, how fast, how far the
//! look-ahead got, and why the item on screen is risky.

use super::super::review::ReviewState;
use super::super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(frame: &mut Frame, area: Rect, review: &ReviewState, theme: &Theme) {
    let queue = &review.queue;
    let c = queue.counts();
    let mut spans = vec![
        Span::styled(
            format!(" ▶ {} {}/{} ", queue.name, queue.place(), queue.items.len()),
            theme.fg(theme.focused).add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!("✓{} ", c.accepted), theme.fg(theme.ok)),
        Span::styled(format!("✎{} ", c.corrected), theme.fg(theme.ok)),
        Span::styled(format!("↷{} ", c.skipped), theme.fg(theme.dim)),
        Span::styled(format!("✗{} ", c.rejected), theme.fg(theme.error)),
        Span::raw(format!("· {} left ", c.left)),
    ];
    if let Some(median) = queue.median_seconds() {
        let left = duration(median * c.left as f64);
        spans.push(Span::raw(format!("· {median:.1} s/¶ · ~{left} left ")));
    }
    if review.annotators.iter().any(Option::is_some) {
        let running = review.in_flight.len();
        spans.push(Span::styled(
            format!(
                "· ahead {}/{} ready{} ",
                review.ready_ahead(),
                review.lookahead,
                if running > 0 {
                    format!(", {running} running")
                } else {
                    String::new()
                }
            ),
            theme.fg(theme.dim),
        ));
    }
    if let Some(item) = queue.current() {
        if let Some(verdict) = queue.verdict(item) {
            spans.push(Span::styled(format!("[{}] ", verdict.label()), theme.fg(theme.warning)));
        }
        let risks: Vec<String> = queue.risks[item].iter().map(|r| r.describe()).collect();
        if !risks.is_empty() {
            spans.push(Span::styled(
                format!("· {} ", risks.join(", ")),
                theme.fg(theme.warning),
            ));
        }
        if queue.how == crate::review::risk::Order::Risk {
            spans.push(Span::styled("· riskiest first", theme.fg(theme.dim)));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Seconds as people say them: 40 s, 12 min, 3 h 05.
fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        _ => format!("{} h {:02}", s / 3600, (s % 3600) / 60),
    }
}
