//! The workbench's state update: actions in, effects out, no I/O.

use super::action::{Action, Command, Effect, RunJob, Side};
use super::correction::{accept, copy, open_editor, open_saved, save};
use super::picker::{self, PickerOutcome};
use super::state::{Level, Overlay, Pane, PickerKind, ResultView, SourceScroll, State};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::CursorMove;

pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(key) => on_key(state, key),
        Action::Paste(text) => on_paste(state, &text),
        Action::Resize(width, height) => {
            state.width = width;
            state.height = height;
            Vec::new()
        }
        Action::Tick(at) => {
            for slot in state.runs.iter_mut().filter(|s| s.running) {
                slot.now = Some(at);
            }
            Vec::new()
        }
        Action::Command(command) => on_command(state, command),
        Action::RunStarted { slot, at } => {
            let run = &mut state.runs[slot];
            run.started = Some(at);
            run.now = Some(at);
            Vec::new()
        }
        Action::RunPiece { slot, piece, at } => {
            let run = &mut state.runs[slot];
            run.first_piece.get_or_insert(at);
            run.now = Some(at);
            run.pieces += 1;
            run.streamed.push_str(&piece);
            Vec::new()
        }
        Action::RunFinished { slot, run } => {
            on_run_finished(state, slot, *run);
            Vec::new()
        }
        Action::PoolLoaded { task, shots } => {
            if task == state.task().name {
                state.pool = shots;
            }
            Vec::new()
        }
        Action::ExamplesLoaded { task, examples } => {
            if task == state.task().name {
                state.browser = examples;
                state.browser_selected = state.browser.len().saturating_sub(1);
                state.focus = Pane::Browser;
                if state.browser.is_empty() {
                    state.notify(format!("no saved examples for {task} yet"), Level::Info);
                    state.focus = Pane::Source;
                }
            }
            Vec::new()
        }
        Action::ModelsListed { profile, ids } => {
            add_discovered_models(state, profile, ids);
            Vec::new()
        }
        Action::Notice { text, level } => {
            state.notify(text, level);
            Vec::new()
        }
    }
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('q') {
        return on_command(state, Command::Quit);
    }
    if let Some(Overlay::Picker(picker)) = &mut state.overlay {
        return match picker::handle_key(picker, &key) {
            PickerOutcome::Open => Vec::new(),
            PickerOutcome::Closed => {
                state.overlay = None;
                Vec::new()
            }
            PickerOutcome::Chosen(index) => {
                let kind = picker.kind;
                state.overlay = None;
                choose(state, kind, index)
            }
        };
    }
    if state.overlay.is_some() {
        if matches!(
            key.code,
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter
        ) {
            state.overlay = None;
        }
        return Vec::new();
    }
    if state.focus == Pane::Source && state.source_editing {
        if key.code == KeyCode::Esc || (ctrl && key.code == KeyCode::Char('c')) {
            state.source_editing = false;
            state.reground();
            return Vec::new();
        }
        if state.source.input(key) {
            source_changed(state);
        }
        return Vec::new();
    }
    if state.focus == Pane::Editor {
        if let Some(command) = state
            .keymap
            .command(Pane::Editor.scope(), &key)
            .filter(|c| editor_command(*c))
        {
            return on_command(state, command);
        }
        if let Some(editor) = &mut state.editor
            && editor.area.input(key)
        {
            state.reparse_editor();
            state.draft_version += 1;
        }
        return Vec::new();
    }
    match state.keymap.command(state.focus.scope(), &key) {
        Some(command) => on_command(state, command),
        None => Vec::new(),
    }
}

/// Commands that still act while the editor has the keys.
fn editor_command(command: Command) -> bool {
    matches!(
        command,
        Command::Accept
            | Command::Close
            | Command::Quit
            | Command::Interrupt
            | Command::FocusNext
            | Command::FocusPrev
            | Command::Help
    )
}

fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if state.focus == Pane::Editor
        && let Some(editor) = &mut state.editor
    {
        editor.area.insert_str(&text);
        state.reparse_editor();
        state.draft_version += 1;
        return Vec::new();
    }
    state.focus = Pane::Source;
    state.source.insert_str(&text);
    source_changed(state);
    state.reground();
    state.notify(format!("pasted {} characters", text.chars().count()), Level::Info);
    Vec::new()
}

fn source_changed(state: &mut State) {
    state.draft_version += 1;
}

fn on_command(state: &mut State, command: Command) -> Vec<Effect> {
    match command {
        Command::Quit => {
            state.quit = true;
            let mut effects: Vec<Effect> = running_slots(state).into_iter().map(Effect::CancelRun).collect();
            effects.push(Effect::SaveDraft(state.draft()));
            effects.push(Effect::Quit);
            effects
        }
        Command::Interrupt if running_slots(state).is_empty() => on_command(state, Command::Quit),
        Command::Interrupt | Command::Cancel => cancel(state),
        Command::Help => {
            state.overlay = Some(Overlay::Help);
            Vec::new()
        }
        Command::FocusNext | Command::FocusPrev => {
            let panes = state.panes();
            let at = panes.iter().position(|p| *p == state.focus).unwrap_or(0);
            let step = if command == Command::FocusNext {
                1
            } else {
                panes.len() - 1
            };
            state.focus = panes[(at + step) % panes.len()];
            state.source_editing = false;
            Vec::new()
        }
        Command::PickTask => {
            let items = state
                .tasks
                .iter()
                .map(|t| format!("{} — {}", t.name, t.title))
                .collect();
            state.overlay = Some(Overlay::Picker(picker::open(PickerKind::Task, items, state.task)));
            Vec::new()
        }
        Command::PickModel | Command::PickCompareModel => {
            let kind = if command == Command::PickModel {
                PickerKind::Model
            } else {
                PickerKind::CompareModel
            };
            let current = if kind == PickerKind::Model {
                state.model
            } else {
                state.compare_model.unwrap_or(0)
            };
            let items = state.profiles.iter().map(profile_label).collect();
            state.overlay = Some(Overlay::Picker(picker::open(kind, items, current)));
            vec![list_models(state)]
        }
        Command::Run => start_runs(state, &[Side::Main]),
        Command::RunCompare => {
            if state.compare_model.is_none() {
                state.notify("choose the model to compare with first", Level::Info);
                return on_command(state, Command::PickCompareModel);
            }
            state.compare_open = true;
            start_runs(state, &Side::BOTH)
        }
        Command::ToggleCompare => {
            state.compare_open = !state.compare_open;
            if state.compare_open {
                state.focus = Pane::Compare;
            } else if state.focus == Pane::Compare {
                state.focus = Pane::Result;
            }
            Vec::new()
        }
        Command::ToggleRaw => {
            state.result_view = match state.result_view {
                ResultView::Structured => ResultView::Raw,
                ResultView::Raw => ResultView::Structured,
            };
            Vec::new()
        }
        Command::Edit => open_editor(state, Side::Main),
        Command::AdoptLeft => open_editor(state, Side::Main),
        Command::AdoptRight => open_editor(state, Side::Compare),
        Command::Accept => accept(state),
        Command::Save => save(state),
        Command::CopyJson | Command::CopyText => copy(state, command == Command::CopyJson),
        Command::Inspector => {
            let slot = if state.focus == Pane::Compare && state.runs[Side::Compare].run.is_some() {
                Side::Compare
            } else {
                Side::Main
            };
            if state.runs[slot].run.is_some() {
                state.overlay = Some(Overlay::Inspector(slot));
            } else {
                state.notify("no run to inspect yet: run the extraction first", Level::Info);
            }
            Vec::new()
        }
        Command::Browser => vec![Effect::LoadExamples(state.task().name.clone())],
        Command::Export => vec![Effect::Export(Box::new(state.task().clone()))],
        Command::SelectNext | Command::SelectPrev => select(state, command == Command::SelectNext),
        Command::ScrollDown => {
            state.source_scroll = state.source_scroll.down();
            Vec::new()
        }
        Command::ScrollUp => {
            state.source_scroll = state.source_scroll.up();
            Vec::new()
        }
        Command::EditSource => {
            state.focus = Pane::Source;
            state.source_editing = true;
            if state.source.cursor() == (0, 0) {
                state.source.move_cursor(CursorMove::Bottom);
                state.source.move_cursor(CursorMove::End);
            }
            Vec::new()
        }
        Command::ClearSource => {
            state.source.select_all();
            state.source.cut();
            source_changed(state);
            state.reground();
            Vec::new()
        }
        Command::Undo | Command::Redo => {
            let changed = if command == Command::Undo {
                state.source.undo()
            } else {
                state.source.redo()
            };
            if changed {
                source_changed(state);
                state.reground();
            }
            Vec::new()
        }
        Command::FetchModel => {
            state.notify("fetching the default model…", Level::Info);
            vec![Effect::FetchModel]
        }
        Command::Open => open_saved(state),
        Command::Close => close(state),
    }
}

/// The configured profiles (not the ones discovered from servers), to ask for their models.
pub fn list_models(state: &State) -> Effect {
    Effect::ListModels(
        state
            .profiles
            .iter()
            .cloned()
            .enumerate()
            .filter(|(_, p)| !p.name.contains('/'))
            .collect(),
    )
}

fn running_slots(state: &State) -> Vec<Side> {
    Side::BOTH.into_iter().filter(|s| state.runs[*s].running).collect()
}

fn cancel(state: &mut State) -> Vec<Effect> {
    let running = running_slots(state);
    if !running.is_empty() {
        state.notify("cancelled", Level::Info);
        return running.into_iter().map(Effect::CancelRun).collect();
    }
    close(state)
}

fn close(state: &mut State) -> Vec<Effect> {
    if state.overlay.take().is_some() {
        return Vec::new();
    }
    match state.focus {
        Pane::Editor => {
            state.editor = None;
            state.focus = Pane::Result;
            state.draft_version += 1;
        }
        Pane::Browser => {
            state.browser.clear();
            state.focus = Pane::Source;
        }
        _ => state.source_editing = false,
    }
    Vec::new()
}

fn profile_label(profile: &crate::llm::ModelProfile) -> String {
    let mode = serde_json::to_value(profile.mode)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    let model = if profile.model.is_empty() {
        "first served"
    } else {
        &profile.model
    };
    format!("{} — {model} ({mode})", profile.name)
}

fn choose(state: &mut State, kind: PickerKind, index: usize) -> Vec<Effect> {
    match kind {
        PickerKind::Task if index != state.task => {
            state.task = index;
            state.runs = Default::default();
            state.gold = None;
            state.editor = None;
            state.selected = 0;
            state.pool.clear();
            state.draft_version += 1;
            if state.focus == Pane::Editor {
                state.focus = Pane::Result;
            }
            let name = state.task().name.clone();
            state.notify(format!("task: {}", state.task().title), Level::Info);
            vec![Effect::LoadPool(name)]
        }
        PickerKind::Task => Vec::new(),
        PickerKind::Model => {
            state.model = index;
            state.draft_version += 1;
            Vec::new()
        }
        PickerKind::CompareModel => {
            state.compare_model = Some(index);
            state.compare_open = true;
            Vec::new()
        }
    }
}

fn start_runs(state: &mut State, slots: &[Side]) -> Vec<Effect> {
    let paragraph = state.paragraph();
    if paragraph.trim().is_empty() {
        state.notify("the paragraph is empty: paste or type one first", Level::Error);
        return Vec::new();
    }
    let mut effects = Vec::new();
    for &slot in slots {
        let index = if slot == Side::Main {
            Some(state.model)
        } else {
            state.compare_model
        };
        let Some(profile) = index.and_then(|i| state.profiles.get(i)).cloned() else {
            state.notify("no model profile: add one to models.toml", Level::Error);
            continue;
        };
        if state.runs[slot].running {
            effects.push(Effect::CancelRun(slot));
        }
        state.runs[slot] = super::state::RunSlot {
            profile: index,
            running: true,
            ..Default::default()
        };
        let job = RunJob {
            slot,
            task: state.task().clone(),
            profile,
            paragraph: paragraph.clone(),
            pool: state.pool.clone(),
        };
        effects.push(Effect::StartRun(Box::new(job)));
    }
    state.source_editing = false;
    state.result_view = ResultView::Structured;
    effects
}

fn on_run_finished(state: &mut State, slot: Side, mut run: crate::llm::Run) {
    // The paragraph may have changed while the model ran: ground against what is there now.
    if let Some(extraction) = &mut run.extraction {
        let task = state.task().clone();
        crate::ground::ground(extraction, &state.paragraph(), &|f| task.is_verbatim(f));
    }
    let runs = &mut state.runs[slot];
    runs.running = false;
    runs.streamed = run.raw_reply.clone();
    let message = match (&run.error, &run.parse_error) {
        (Some(error), _) => Some((format!("run failed: {error}"), Level::Error)),
        (None, Some(e)) => Some((
            format!("the reply does not parse ({e}); the raw reply is shown"),
            Level::Error,
        )),
        _ => None,
    };
    runs.run = Some(run);
    if slot == Side::Main {
        state.selected = 0;
        if message.is_some() {
            state.result_view = ResultView::Raw;
        }
    }
    match message {
        Some((text, level)) => state.notify(text, level),
        None => state.notice = None,
    }
}

fn select(state: &mut State, forward: bool) -> Vec<Effect> {
    if state.focus == Pane::Browser {
        let last = state.browser.len().saturating_sub(1);
        state.browser_selected = if forward {
            (state.browser_selected + 1).min(last)
        } else {
            state.browser_selected.saturating_sub(1)
        };
        return Vec::new();
    }
    let count = state.value_count();
    if count == 0 {
        return Vec::new();
    }
    state.selected = if forward {
        (state.selected + 1) % count
    } else {
        (state.selected + count - 1) % count
    };
    state.source_scroll = SourceScroll::FollowSelection;
    Vec::new()
}

fn add_discovered_models(state: &mut State, profile: usize, ids: Vec<String>) {
    let Some(base) = state.profiles.get(profile).cloned() else {
        return;
    };
    for id in ids {
        if id == base.model {
            continue;
        }
        let name = format!("{}/{id}", base.name);
        if state.profiles.iter().any(|p| p.name == name) {
            continue;
        }
        let mut discovered = base.clone();
        discovered.name = name;
        discovered.model = id;
        state.profiles.push(discovered);
    }
    if let Some(Overlay::Picker(picker)) = &mut state.overlay
        && matches!(picker.kind, PickerKind::Model | PickerKind::CompareModel)
        && picker.query.is_empty()
    {
        picker.items = state.profiles.iter().map(profile_label).collect();
        picker.matches = (0..picker.items.len()).collect();
    }
}
