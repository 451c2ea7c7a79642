//! Colours from `themes/default.toml` with user overrides; `NO_COLOR` turns colour off.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::str::FromStr;

pub const DEFAULT: &str = include_str!("../../themes/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    border: Option<String>,
    focused: Option<String>,
    title: Option<String>,
    dim: Option<String>,
    status: Option<String>,
    ok: Option<String>,
    warning: Option<String>,
    error: Option<String>,
    span_text: Option<String>,
    syntax: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub color: bool,
    pub border: Color,
    pub focused: Color,
    pub title: Color,
    pub dim: Color,
    pub status: Color,
    pub ok: Color,
    pub warning: Color,
    pub error: Color,
    pub span_text: Color,
    pub syntax: String,
}

impl Theme {
    /// The default theme with `user` (a theme file's text) over it; problems come back beside it.
    pub fn load(user: Option<&str>, no_color: bool) -> (Theme, Option<String>) {
        let mut theme = Theme::from_file(&toml::from_str(DEFAULT).expect("built-in theme"), None);
        let mut error = None;
        if let Some(text) = user {
            match toml::from_str::<ThemeFile>(text) {
                Ok(file) => {
                    error = unknown_colors(&file);
                    theme = Theme::from_file(&file, Some(theme));
                }
                Err(e) => error = Some(e.to_string()),
            }
        }
        theme.color = !no_color;
        (theme, error)
    }

    fn from_file(file: &ThemeFile, base: Option<Theme>) -> Theme {
        let base = base.unwrap_or(Theme {
            color: true,
            border: Color::DarkGray,
            focused: Color::Cyan,
            title: Color::White,
            dim: Color::DarkGray,
            status: Color::Blue,
            ok: Color::Green,
            warning: Color::Yellow,
            error: Color::Red,
            span_text: Color::Black,
            syntax: "base16-ocean.dark".into(),
        });
        let pick = |value: &Option<String>, fallback: Color| {
            value
                .as_deref()
                .map_or(fallback, |v| parse_color(v).unwrap_or(fallback))
        };
        Theme {
            color: base.color,
            border: pick(&file.border, base.border),
            focused: pick(&file.focused, base.focused),
            title: pick(&file.title, base.title),
            dim: pick(&file.dim, base.dim),
            status: pick(&file.status, base.status),
            ok: pick(&file.ok, base.ok),
            warning: pick(&file.warning, base.warning),
            error: pick(&file.error, base.error),
            span_text: pick(&file.span_text, base.span_text),
            syntax: file.syntax.clone().unwrap_or(base.syntax),
        }
    }

    /// A foreground style, or plain when colour is off.
    pub fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    }

    pub fn border(&self, focused: bool) -> Style {
        match (self.color, focused) {
            (true, true) => Style::default().fg(self.focused),
            (true, false) => Style::default().fg(self.border),
            (false, true) => Style::default().add_modifier(Modifier::BOLD),
            (false, false) => Style::default(),
        }
    }

    /// How a value of a field with `color` is marked in the source.
    pub fn span(&self, color: &str, selected: bool) -> Style {
        let mut style = if self.color {
            Style::default()
                .bg(parse_color(color).unwrap_or(Color::Gray))
                .fg(self.span_text)
        } else {
            Style::default().add_modifier(Modifier::UNDERLINED)
        };
        if selected {
            style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
        }
        style
    }

    /// A field's colour as text colour (legend, tables).
    pub fn field(&self, color: &str) -> Style {
        if self.color {
            Style::default().fg(parse_color(color).unwrap_or(Color::Gray))
        } else {
            Style::default()
        }
    }
}

/// The keys whose value is not a colour, as one message (the defaults stand for them).
fn unknown_colors(file: &ThemeFile) -> Option<String> {
    let keys = [
        ("border", &file.border),
        ("focused", &file.focused),
        ("title", &file.title),
        ("dim", &file.dim),
        ("status", &file.status),
        ("ok", &file.ok),
        ("warning", &file.warning),
        ("error", &file.error),
        ("span_text", &file.span_text),
    ];
    let bad: Vec<String> = keys
        .iter()
        .filter_map(|(key, value)| {
            let value = value.as_deref()?;
            parse_color(value).is_none().then(|| format!("{key} = {value:?}"))
        })
        .collect();
    (!bad.is_empty()).then(|| {
        format!(
            "not a colour: {} (use a name such as cyan or light-blue, #rrggbb, or 0-255)",
            bad.join(", ")
        )
    })
}

pub fn parse_color(text: &str) -> Option<Color> {
    Color::from_str(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_theme_overrides_and_no_color_strips() {
        let (theme, error) = Theme::load(Some("focused = \"#ff8800\"\n"), false);
        assert_eq!(error, None);
        assert_eq!(theme.focused, Color::Rgb(0xff, 0x88, 0x00));
        assert_eq!(theme.border, Color::DarkGray);
        let (plain, _) = Theme::load(None, true);
        assert_eq!(
            plain.span("red", false),
            Style::default().add_modifier(Modifier::UNDERLINED)
        );
        let (_, error) = Theme::load(Some("colour = 1\n"), false);
        assert!(error.unwrap().contains("colour"));
        let (theme, error) = Theme::load(Some("focused = \"cyna\"\nok = \"green\"\n"), false);
        let error = error.unwrap();
        assert!(
            error.contains("focused = \"cyna\"") && !error.contains("ok ="),
            "{error}"
        );
        assert_eq!(theme.focused, Color::Cyan, "the default stands");
    }
}
