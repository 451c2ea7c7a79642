//! The workbench: a full-screen terminal UI over the same core as the headless commands.
//! `update` is pure (actions in, effects out); `app` is the driver; `view` draws from state.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod command;
mod correction;
pub mod draft;
pub mod fields;
mod find;
pub mod form;
pub mod hints;
pub mod keymap;
mod mouse;
mod names;
mod navigate;
pub mod outline;
pub mod phase;
pub mod picker;
pub mod queue_io;
mod repeats;
pub mod result_layout;
pub mod review;
pub mod review_state;
pub mod run_marker;
mod runs;
pub mod screen;
pub mod select;
pub mod state;
pub mod terminal;
pub mod theme;
mod training;
mod training_io;
pub mod update;
pub mod view;
pub mod wrap;

use crate::config::Paths;
use state::Level;
use std::io::{IsTerminal, Read};
use std::path::Path;

/// The paragraph the workbench opens on first start.
const SAMPLE: &str = include_str!("../../sample_paragraphs/compound.jsonl");

/// Where the opening paragraph comes from.
pub enum Opening<'a> {
    File(&'a Path),
    Stdin,
    /// The last draft, or a sample paragraph.
    Resume,
}

/// Why the workbench did not open.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// (`{:#}` adds the cause, as the commands print errors.)
    #[error("cannot read {path}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot read standard input")]
    Stdin(#[source] std::io::Error),
    #[error(
        "{name} is not UTF-8 text (invalid byte at offset {offset}); convert it first, e.g. `iconv -f latin1 -t utf-8`"
    )]
    NotUtf8 { name: String, offset: usize },
    #[error("the workbench needs a terminal; for scripts use `retort extract` and `retort eval`")]
    NoTerminal,
    #[error("the review queue needs a terminal; `retort review FILE --summary` prints the summary")]
    NoTerminalForReview,
    #[error("no model profile named {0:?} (retort models lists them)")]
    NoProfile(String),
    /// Refused with an exit status of its own (a queue in use, or one that cannot be opened).
    #[error(transparent)]
    Failure(#[from] crate::cli::Failure),
    /// The terminal or the runtime.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads a paragraph file, refusing what is not UTF-8 text.
pub fn read_paragraph(opening: &Opening) -> Result<Option<String>, LaunchError> {
    let bytes = match opening {
        Opening::File(path) => std::fs::read(path).map_err(|source| LaunchError::Read {
            path: path.display().to_string(),
            source,
        })?,
        Opening::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).map_err(LaunchError::Stdin)?;
            bytes
        }
        Opening::Resume => return Ok(None),
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(text.replace("\r\n", "\n").trim_end_matches('\n').to_string())),
        Err(e) => {
            let name = match opening {
                Opening::File(path) => path.display().to_string(),
                _ => "standard input".into(),
            };
            Err(LaunchError::NotUtf8 {
                name,
                offset: e.utf8_error().valid_up_to(),
            })
        }
    }
}

fn sample_paragraph() -> String {
    SAMPLE
        .lines()
        .next()
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v["text"].as_str().map(String::from))
        .unwrap_or_default()
}

/// Builds the opening state: tasks, profiles, key map and theme from the config directory
/// (problems become a notice, defaults stay), the paragraph and the draft.
pub fn initial_state(paths: &Paths, paragraph: Option<String>) -> (state::State, theme::Theme) {
    let crate::setup::Setup {
        registry,
        profiles,
        problems,
    } = crate::setup::Setup::load(paths);
    let keymap_text = std::fs::read_to_string(paths.config.join("keymap.toml")).ok();
    let (keymap, keymap_error) = keymap::Keymap::load(keymap_text.as_deref());
    let theme_text = std::fs::read_to_string(paths.config.join("theme.toml")).ok();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (theme, theme_error) = theme::Theme::load(theme_text.as_deref(), no_color);
    let saved = draft::load(&draft::path(&paths.state));
    let from_draft = paragraph.is_none() && saved.is_some();
    let text = paragraph
        .or_else(|| saved.as_ref().map(|d| d.paragraph.clone()))
        .unwrap_or_else(sample_paragraph);
    let mut state = state::State::new(registry.tasks.clone(), profiles.profiles.clone(), keymap, &text);
    if let Some(d) = &saved {
        if let Some(i) = state.tasks.iter().position(|t| t.name == d.task) {
            state.task = i;
        }
        if let Some(i) = state.profiles.iter().position(|p| p.name == d.model) {
            state.model = i;
        }
        if from_draft {
            restore_edits(&mut state, d);
        }
    }
    let problems: Vec<String> = problems
        .into_iter()
        .chain(keymap_error.map(|e| {
            format!(
                "{}: {e}; using the default keys",
                paths.config.join("keymap.toml").display()
            )
        }))
        .chain(theme_error.map(|e| format!("{}: {e}; the defaults stand", paths.config.join("theme.toml").display())))
        .collect();
    let missing_model = state
        .profile()
        .and_then(|p| p.gguf())
        .is_some_and(|path| !path.exists());
    let died = run_marker::take_dead(&paths.state);
    for marker in &died {
        tracing::error!("{}", marker.report());
    }
    match problems.first() {
        _ if !died.is_empty() => state.notify(died[0].report(), Level::Error),
        Some(_) => state.notify(problems.join(" · "), Level::Error),
        None if missing_model => state.notify(
            format!(
                "the default model is not downloaded yet: F fetches SmolLM2-135M (94 MB; runs {}), m picks a server instead",
                crate::llm::fetch::describe(&paths.models_dir())
            ),
            Level::Info,
        ),
        None if from_draft => state.notify("restored your draft", Level::Info),
        None => {}
    }
    (state, theme)
}

fn restore_edits(state: &mut state::State, draft: &action::Draft) {
    let paragraph = state.paragraph();
    let task = state.task().clone();
    if let Some(text) = &draft.gold
        && let Ok(extraction) = task.parse_grounded(text, &paragraph)
    {
        state.accept_gold((extraction, text.clone()));
    }
    if let Some(text) = &draft.editor {
        let focus = state.focus;
        state.edit_text(action::Side::Main, text);
        state.focus = focus;
    }
}

/// Opens the workbench: on one paragraph, or, for a file of many (a directory, JSON lines, the
/// papers' files, an extract output), on them as a review queue.
pub fn launch(paths: &Paths, opening: Opening) -> Result<(), LaunchError> {
    if let Opening::File(path) = opening
        && let Ok(kind) = crate::input::kind_of(path)
        && kind.holds_many()
    {
        return launch_review(paths, path, &crate::review::open::ReviewOptions::default());
    }
    let paragraph = read_paragraph(&opening)?;
    if !std::io::stdout().is_terminal() {
        return Err(LaunchError::NoTerminal);
    }
    let (state, theme) = initial_state(paths, paragraph);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    Ok(runtime.block_on(app::run(state, theme, paths.clone(), Vec::new()))?)
}

/// Opens the workbench on a review queue (`retort review FILE`).
pub fn launch_review(
    paths: &Paths,
    file: &Path,
    options: &crate::review::open::ReviewOptions,
) -> Result<(), LaunchError> {
    let (mut state, theme) = initial_state(paths, None);
    // Opened (and locked) first: a queue another review holds is refused, terminal or not.
    let access = crate::review::open::Access::Decide;
    let opened = match crate::review::open::open_file(file, options, &state.tasks, &paths.reviews_dir(), access) {
        Ok(opened) => opened,
        Err(crate::review::open::OpenError::Locked { lock, .. }) => return Err(crate::cli::busy(lock).into()),
        Err(e) => {
            let code = crate::cli::exit::CONFIG;
            return Err(crate::cli::Failure {
                code,
                message: e.to_string(),
            }
            .into());
        }
    };
    if !std::io::stdout().is_terminal() {
        return Err(LaunchError::NoTerminalForReview);
    }
    let problems = opened.problems.clone();
    let mut review = review::ReviewState::new(opened, Default::default(), options.lookahead);
    let find = |name: &str| state.profiles.iter().position(|p| p.name == name);
    if let Some(name) = &options.model {
        state.model = find(name).ok_or_else(|| LaunchError::NoProfile(name.clone()))?;
        review.annotators[crate::side::Side::Main] = Some(state.model);
    }
    if let Some(name) = &options.compare_model {
        let index = find(name).ok_or_else(|| LaunchError::NoProfile(name.clone()))?;
        state.compare_model = Some(index);
        review.annotators[crate::side::Side::Compare] = Some(index);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let opening = vec![action::Action::QueueOpened(Box::new(review), problems)];
    Ok(runtime.block_on(app::run(state, theme, paths.clone(), opening))?)
}
