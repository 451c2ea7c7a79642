//! Key bindings per pane, from TOML (the default in `themes/keymap.toml`, user overrides laid
//! over it). The help overlay and the key hints are generated from this same map.

use super::command::Command;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

pub const DEFAULT: &str = include_str!("../../themes/keymap.toml");

/// Where a key is pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Global,
    Source,
    Result,
    Compare,
    Editor,
    Browser,
    Outline,
    /// Typing into the paragraph.
    SourceInput,
    /// Help and the inspector.
    Overlay,
    Picker,
    /// The review queue's keys, before the pane's when a queue is open.
    Review,
    /// The field editor.
    Form,
    /// Typing a value in the field editor.
    FormInput,
    /// Choosing a value's words in the source.
    Select,
    /// Typing what to find in the source while choosing words.
    SelectSearch,
}

/// Every scope: its section name in the key map and what it is, in the order the reference
/// lists them.
const SCOPES: [(Scope, &str, &str); 15] = [
    (
        Scope::Global,
        "global",
        "Everywhere outside the editors, pickers and overlays",
    ),
    (
        Scope::Review,
        "review",
        "With a review queue open, before the pane's keys",
    ),
    (Scope::Source, "source", "The source pane"),
    (Scope::Result, "result", "The result pane"),
    (Scope::Compare, "compare", "The comparison"),
    (Scope::Browser, "browser", "Saved examples"),
    (Scope::Outline, "outline", "A paper's outline"),
    (Scope::Editor, "editor", "The text editor"),
    (Scope::Form, "form", "The field editor"),
    (Scope::FormInput, "form-input", "Typing a value in the field editor"),
    (Scope::Select, "select", "Choosing a value's words in the source"),
    (
        Scope::SelectSearch,
        "select-search",
        "Typing what to find while choosing words",
    ),
    (Scope::SourceInput, "source-input", "Typing the paragraph"),
    (Scope::Overlay, "overlay", "Help and the inspector"),
    (Scope::Picker, "picker", "A picker (task, model, file, run)"),
];

impl Scope {
    fn from_name(name: &str) -> Option<Scope> {
        SCOPES.iter().find(|(_, n, _)| *n == name).map(|(s, _, _)| *s)
    }

    /// Scopes that own every key: only their own bindings count (no global fallback), and the
    /// other keys type (paragraph, editor, picker query) or do nothing (overlay).
    pub fn is_modal(self) -> bool {
        matches!(
            self,
            Scope::SourceInput
                | Scope::Editor
                | Scope::Overlay
                | Scope::Picker
                | Scope::Form
                | Scope::FormInput
                | Scope::Select
                | Scope::SelectSearch
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// (scope, key text) → command.
    bindings: BTreeMap<(Scope, String), Command>,
    /// Where each key was first written (the default file's order, then the user's new keys):
    /// the first key written for a command is the one hints, help and `docs/keys.md` show first.
    rank: BTreeMap<(Scope, String), usize>,
    /// Whether the workbench asks the terminal for mouse events (`[mouse] enabled = "off"` for
    /// users whose terminal then no longer selects text for copying).
    pub mouse: bool,
}

/// `[mouse] enabled = "on" | "off"`.
fn mouse_setting(keys: &BTreeMap<String, String>) -> Result<bool, String> {
    let mut enabled = true;
    for (key, value) in keys {
        match (key.as_str(), value.as_str()) {
            ("enabled", "on") => enabled = true,
            ("enabled", "off") => enabled = false,
            ("enabled", other) => return Err(format!("[mouse] enabled = {other:?}: write \"on\" or \"off\"")),
            (other, _) => return Err(format!("[mouse] unknown key {other:?} (only enabled)")),
        }
    }
    Ok(enabled)
}

impl Keymap {
    /// The default map with `user` (the text of a user file) laid over it. A problem with the user
    /// file is returned beside the default map.
    pub fn load(user: Option<&str>) -> (Keymap, Option<String>) {
        let mut map = Keymap {
            bindings: BTreeMap::new(),
            rank: BTreeMap::new(),
            mouse: true,
        };
        if let Err(e) = map.lay_over(DEFAULT) {
            // The default is tested; this cannot happen in a released build.
            return (map, Some(format!("built-in key map: {e}")));
        }
        let error = user.and_then(|text| map.lay_over(text).err());
        (map, error)
    }

    fn lay_over(&mut self, text: &str) -> Result<(), String> {
        for (scope_name, keys) in sections_in_order(text)? {
            if scope_name == "mouse" {
                self.mouse = mouse_setting(&keys.into_iter().collect())?;
                continue;
            }
            let scope = Scope::from_name(&scope_name).ok_or_else(|| format!("unknown section [{scope_name}]"))?;
            for (key, command) in keys {
                parse_key(&key).ok_or_else(|| format!("[{scope_name}] unknown key {key:?}"))?;
                let command = Command::from_name(&command)
                    .ok_or_else(|| format!("[{scope_name}] {key:?}: unknown command {command:?}"))?;
                let next = self.rank.len();
                self.rank.entry((scope, key.clone())).or_insert(next);
                self.bindings.insert((scope, key), command);
            }
        }
        Ok(())
    }

    /// Every scope's keys as Markdown, for `docs/keys.md` (a test keeps that file equal to this).
    pub fn reference(&self) -> String {
        let mut out = String::from(
            "# Keys\n\nGenerated from `themes/keymap.toml` (a test fails when this file differs from it: \
             `UPDATE_DOCS=1 cargo test --test it keys_reference` writes it again). The first key of a \
             command is the one the hints show. Copy the file to `<config>/keymap.toml` to change a key.\n",
        );
        for (scope, name, title) in SCOPES {
            let commands = self.commands(scope);
            if commands.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "\n## {title} (`[{name}]`)\n\n| keys | command | what it does |\n|---|---|---|\n"
            ));
            let bindings = self.bindings(scope);
            for command in commands {
                let keys: Vec<String> = bindings
                    .iter()
                    .filter(|(_, c)| *c == command)
                    .map(|(k, _)| format!("`{}`", k.replace('|', "\\|")))
                    .collect();
                out.push_str(&format!(
                    "| {} | `{}` | {} |\n",
                    keys.join(" "),
                    command.name(),
                    command.describe()
                ));
            }
        }
        out
    }

    fn rank_of(&self, scope: Scope, key: &str) -> usize {
        self.rank.get(&(scope, key.to_string())).copied().unwrap_or(usize::MAX)
    }

    /// The command bound to `key` in `scope`, falling back to the global bindings unless the
    /// scope is modal.
    pub fn command(&self, scope: Scope, key: &KeyEvent) -> Option<Command> {
        let text = key_text(key)?;
        let own = self.bindings.get(&(scope, text.clone()));
        if scope.is_modal() {
            return own.copied();
        }
        own.or_else(|| self.bindings.get(&(Scope::Global, text))).copied()
    }

    /// The command `scope` itself binds `key` to, without the global keys: for a layer of keys
    /// consulted before the pane's (the review queue's), whose global fallback would shadow the
    /// pane's own keys (Esc closing the outline).
    pub fn own_command(&self, scope: Scope, key: &KeyEvent) -> Option<Command> {
        self.bindings.get(&(scope, key_text(key)?)).copied()
    }

    /// The bindings of a scope, for help and hints: (key, command), in the order they were
    /// written.
    pub fn bindings(&self, scope: Scope) -> Vec<(String, Command)> {
        let mut bindings: Vec<(String, Command)> = self
            .bindings
            .iter()
            .filter(|((s, _), _)| *s == scope)
            .map(|((_, k), c)| (k.clone(), *c))
            .collect();
        bindings.sort_by_key(|(k, _)| self.rank_of(scope, k));
        bindings
    }

    /// The first key written for `command` in `scope` (or globally, unless the scope is modal):
    /// the one hints and the documentation name.
    pub fn key_for(&self, scope: Scope, command: Command) -> Option<String> {
        let find = |s: Scope| {
            self.bindings(s)
                .into_iter()
                .find(|(_, c)| *c == command)
                .map(|(k, _)| k)
        };
        find(scope).or_else(|| if scope.is_modal() { None } else { find(Scope::Global) })
    }

    /// The commands bound in `scope`, each once, in the order of their first key.
    pub fn commands(&self, scope: Scope) -> Vec<Command> {
        let mut commands = Vec::new();
        for (_, command) in self.bindings(scope) {
            if !commands.contains(&command) {
                commands.push(command);
            }
        }
        commands
    }
}

/// A section of a key map: its name and its (key, value) pairs, in the order written.
type Section = (String, Vec<(String, String)>);

/// The sections of a key map's text, in the order written.
fn sections_in_order(text: &str) -> Result<Vec<Section>, String> {
    let document: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| e.to_string())?;
    let mut sections = Vec::new();
    for (name, item) in document.iter() {
        let table = item
            .as_table_like()
            .ok_or_else(|| format!("{name} is not a section: write [{name}] and its keys below it"))?;
        let mut keys = Vec::new();
        for (key, value) in table.iter() {
            let value = value
                .as_str()
                .ok_or_else(|| format!("[{name}] {key:?}: write the command in quotes"))?;
            keys.push((key.to_string(), value.to_string()));
        }
        sections.push((name.to_string(), keys));
    }
    Ok(sections)
}

/// The text form of a key event, as written in the key map.
pub fn key_text(key: &KeyEvent) -> Option<String> {
    let base = match key.code {
        KeyCode::Char(' ') => "space".into(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "enter".into(),
        KeyCode::Esc => "esc".into(),
        KeyCode::Tab => "tab".into(),
        KeyCode::BackTab => "backtab".into(),
        KeyCode::Up => "up".into(),
        KeyCode::Down => "down".into(),
        KeyCode::Left => "left".into(),
        KeyCode::Right => "right".into(),
        KeyCode::PageUp => "pgup".into(),
        KeyCode::PageDown => "pgdn".into(),
        KeyCode::Home => "home".into(),
        KeyCode::End => "end".into(),
        KeyCode::Backspace => "backspace".into(),
        KeyCode::Delete => "delete".into(),
        KeyCode::F(n) => format!("f{n}"),
        _ => return None,
    };
    let mut text = String::new();
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        text.push_str("ctrl-");
    }
    if key.modifiers.contains(KeyModifiers::ALT) {
        text.push_str("alt-");
    }
    text.push_str(&base);
    Some(text)
}

/// Parses a key as written in the key map.
pub fn parse_key(text: &str) -> Option<KeyEvent> {
    let mut modifiers = KeyModifiers::NONE;
    let mut rest = text;
    loop {
        if let Some(r) = rest.strip_prefix("ctrl-") {
            modifiers |= KeyModifiers::CONTROL;
            rest = r;
        } else if let Some(r) = rest.strip_prefix("alt-") {
            modifiers |= KeyModifiers::ALT;
            rest = r;
        } else {
            break;
        }
    }
    let code = match rest {
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pgup" => KeyCode::PageUp,
        "pgdn" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "backspace" => KeyCode::Backspace,
        "delete" => KeyCode::Delete,
        "space" => KeyCode::Char(' '),
        f if f.starts_with('f') && f.len() > 1 => KeyCode::F(f[1..].parse().ok()?),
        c if c.chars().count() == 1 => KeyCode::Char(c.chars().next()?),
        _ => return None,
    };
    Some(KeyEvent::new(code, modifiers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_map_loads_and_user_overrides() {
        let (map, error) = Keymap::load(Some("[global]\n\"g\" = \"run\"\n"));
        assert_eq!(error, None);
        assert_eq!(map.command(Scope::Result, &parse_key("g").unwrap()), Some(Command::Run));
        assert_eq!(
            map.command(Scope::Result, &parse_key("ctrl-q").unwrap()),
            Some(Command::Quit)
        );
        assert_eq!(
            map.command(Scope::Result, &parse_key("j").unwrap()),
            Some(Command::SelectNext)
        );
    }

    #[test]
    fn every_command_has_a_name_that_round_trips() {
        use strum::IntoEnumIterator;
        for command in Command::iter() {
            assert_eq!(Command::from_name(command.name()), Some(command));
            assert!(!command.describe().is_empty());
        }
        assert_eq!(Command::PickCompareModel.name(), "pick-compare-model");
    }

    #[test]
    fn modal_scopes_do_not_fall_back_to_global_keys() {
        let (map, _) = Keymap::load(None);
        let r = parse_key("r").unwrap();
        assert_eq!(map.command(Scope::Result, &r), Some(Command::Run));
        assert_eq!(map.command(Scope::SourceInput, &r), None);
        assert_eq!(map.command(Scope::Editor, &parse_key("?").unwrap()), None);
        assert_eq!(
            map.command(Scope::Picker, &parse_key("ctrl-q").unwrap()),
            Some(Command::Quit)
        );
    }

    #[test]
    fn bad_user_map_is_reported_and_defaults_stay() {
        let (map, error) = Keymap::load(Some("[global]\n\"q\" = \"launch\"\n"));
        assert!(error.unwrap().contains("launch"));
        assert_eq!(
            map.command(Scope::Global, &parse_key("ctrl-q").unwrap()),
            Some(Command::Quit)
        );
    }
}
