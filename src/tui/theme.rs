//! Colours from `themes/default.toml` with user overrides; `NO_COLOR` turns colour off.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::str::FromStr;
use struct_patch::Patch;

pub const DEFAULT: &str = include_str!("../../themes/default.toml");

/// The colours. A user's `theme.toml` is a `ThemePatch` (derived: every field optional) laid
/// over the default; a misspelt colour or key is an error with its line, and the default stands.
#[derive(Debug, Clone, PartialEq, Deserialize, struct_patch::Patch)]
#[patch(attribute(derive(Debug, Default, Deserialize)))]
#[patch(attribute(serde(deny_unknown_fields)))]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// Off with `NO_COLOR`; not a theme file key.
    #[serde(skip, default = "colour_on")]
    #[patch(skip)]
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

fn colour_on() -> bool {
    true
}

impl Theme {
    /// The default theme with `user` (a theme file's text) over it; problems come back beside it.
    pub fn load(user: Option<&str>, no_color: bool) -> (Theme, Option<String>) {
        let mut theme: Theme = toml::from_str(DEFAULT).expect("the built-in theme is tested");
        let mut error = None;
        if let Some(text) = user {
            match toml::from_str::<ThemePatch>(text) {
                Ok(patch) => theme.apply(patch),
                Err(e) => error = Some(e.to_string()),
            }
        }
        theme.color = !no_color;
        (theme, error)
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
        let (theme, error) = Theme::load(Some("ok = \"green\"\nfocused = \"cyna\"\n"), false);
        let error = error.unwrap();
        assert!(error.contains("line 2") && error.contains("cyna"), "{error}");
        assert_eq!(theme.focused, Color::Cyan, "the default stands");
    }
}
