//! Raw replies highlighted with syntect (pure-Rust regex engine), cached by text so that redraws
//! do not highlight again.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use std::cell::RefCell;
use std::sync::LazyLock;
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);
static THEMES: LazyLock<ThemeSet> = LazyLock::new(ThemeSet::load_defaults);

thread_local! {
    static CACHE: RefCell<Option<(String, String, Vec<Line<'static>>)>> = const { RefCell::new(None) };
}

/// `text` as JSON-highlighted lines in the syntect theme `theme_name`.
pub fn json(text: &str, theme_name: &str) -> Vec<Line<'static>> {
    if let Some(lines) = CACHE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(t, th, _)| t == text && th == theme_name)
            .map(|(_, _, l)| l.clone())
    }) {
        return lines;
    }
    let lines = highlight(text, theme_name);
    CACHE.with(|c| *c.borrow_mut() = Some((text.to_string(), theme_name.to_string(), lines.clone())));
    lines
}

fn highlight(text: &str, theme_name: &str) -> Vec<Line<'static>> {
    let syntax = SYNTAXES
        .find_syntax_by_extension("json")
        .unwrap_or_else(|| SYNTAXES.find_syntax_plain_text());
    let theme = THEMES.themes.get(theme_name).or_else(|| THEMES.themes.values().next());
    let Some(theme) = theme else {
        return text.lines().map(|l| Line::raw(l.to_string())).collect();
    };
    let mut highlighter = HighlightLines::new(syntax, theme);
    let mut out = Vec::new();
    for line in LinesWithEndings::from(text) {
        let Ok(ranges) = highlighter.highlight_line(line, &SYNTAXES) else {
            out.push(Line::raw(line.trim_end_matches('\n').to_string()));
            continue;
        };
        let spans: Vec<Span<'static>> = ranges
            .into_iter()
            .map(|(style, piece)| Span::styled(piece.trim_end_matches('\n').to_string(), convert(style)))
            .collect();
        out.push(Line::from(spans));
    }
    out
}

fn convert(style: syntect::highlighting::Style) -> Style {
    let fg = style.foreground;
    let mut out = Style::default().fg(Color::Rgb(fg.r, fg.g, fg.b));
    if style.font_style.contains(FontStyle::BOLD) {
        out = out.add_modifier(Modifier::BOLD);
    }
    if style.font_style.contains(FontStyle::ITALIC) {
        out = out.add_modifier(Modifier::ITALIC);
    }
    out
}
