//! The workbench's state update: actions in, effects out, no I/O.

use super::action::{Action, Command, Effect, RunJob, Side};
use super::correction::{accept, copy, open_editor, open_saved, save};
use super::form;
use super::navigate;
use super::picker;
use super::review;
use super::state::{Level, Mode, Overlay, Pane, PickerKind, Reach, ResultView, State};
use crate::llm::prompt::Pool;
use crate::review::REJECT_REASONS;
use crossterm::event::KeyEvent;

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
            state.now = Some(at);
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
        Action::PoolLoaded { pool } => {
            if pool.task == state.task().name {
                state.pool = pool;
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
            if let Some(name) = state.profiles.get(profile).map(|p| p.name.clone()) {
                state.reach.insert(name, Reach::Serves(ids.clone()));
            }
            add_discovered_models(state, profile, ids);
            Vec::new()
        }
        Action::ModelsUnreachable { profile, error } => {
            if let Some(name) = state.profiles.get(profile).map(|p| p.name.clone()) {
                state.reach.insert(name, Reach::Unreachable(error));
            }
            refresh_model_picker(state);
            Vec::new()
        }
        Action::QueueOpened(review, problems) => {
            state.mode = Mode::Panes;
            review::opened(state, *review, problems)
        }
        Action::QueueFilesListed(files) => navigate::open_queue_picker(state, files),
        Action::PreAnnotated { item, side, run } => review::pre_annotated(state, item, side, *run),
        Action::DecisionWritten { seq, error } => review::decision_written(state, seq, error),
        Action::PreAnnotationLost { item, side, error } => review::pre_annotation_lost(state, item, side, &error),
        Action::Notice { text, level } => {
            state.notify(text, level);
            Vec::new()
        }
    }
}

/// Routes a key by who has the keys (`State::key_scope`): a bound key is a command; otherwise
/// it types where typing goes (paragraph, editor, picker filter) or does nothing.
fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let scope = state.key_scope();
    let review_command = state
        .review_keys()
        .then(|| state.keymap.command(super::keymap::Scope::Review, &key))
        .flatten();
    if let Some(command) = review_command.or_else(|| state.keymap.command(scope, &key)) {
        return on_command(state, command);
    }
    match (&mut state.mode, state.focus) {
        (Mode::Overlay(Overlay::Picker(picker)), _) => picker::type_key(picker, &key),
        (Mode::EditingSource, _) if state.source.input(key) => source_changed(state),
        (Mode::Panes, Pane::Form) => {
            if let Some(input) = state.form.as_mut().and_then(|f| f.input.as_mut()) {
                input.input(key);
            }
        }
        (Mode::Panes, Pane::Editor) => {
            if let Some(editor) = &mut state.editor
                && editor.area.input(key)
            {
                state.reparse_editor();
                state.draft_version += 1;
            }
        }
        _ => {}
    }
    Vec::new()
}

fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if let Some(input) = state.form.as_mut().and_then(|f| f.input.as_mut()) {
        input.insert_str(text.replace('\n', " "));
        return Vec::new();
    }
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

pub(super) fn source_changed(state: &mut State) {
    state.draft_version += 1;
}

fn on_command(state: &mut State, command: Command) -> Vec<Effect> {
    use navigate::*;
    if state.focus == Pane::Form
        && let Some(effects) = on_form_command(state, command)
    {
        return effects;
    }
    match command {
        Command::Quit => quit(state),
        Command::Suspend => vec![Effect::Suspend],
        Command::Interrupt if running_slots(state).is_empty() => quit(state),
        Command::Interrupt | Command::Cancel => cancel(state),
        Command::Help => open_overlay(state, Overlay::Help),
        Command::FocusNext => move_focus(state, true),
        Command::FocusPrev => move_focus(state, false),
        Command::PickTask => open_task_picker(state),
        Command::PickModel => open_model_picker(state, PickerKind::Model),
        Command::PickCompareModel => open_model_picker(state, PickerKind::CompareModel),
        Command::Run => start_runs(state, &[Side::Main]),
        Command::RunCompare => run_compare(state),
        Command::ToggleCompare => toggle_compare(state),
        Command::ToggleRaw => toggle_raw(state),
        // In the queue a correction starts in the field editor, from either side.
        Command::AdoptLeft if state.review.is_some() => form::open(state, Side::Main),
        Command::AdoptRight if state.review.is_some() => form::open(state, Side::Compare),
        Command::Edit | Command::AdoptLeft => open_editor(state, Side::Main),
        Command::AdoptRight => open_editor(state, Side::Compare),
        Command::Accept if state.review.is_some() && state.focus == Pane::Editor => review::accept(state),
        Command::EditFields => form::open(state, Side::Main),
        Command::Accept => accept(state),
        Command::Save => save(state),
        Command::CopyJson => copy(state, true),
        Command::CopyText => copy(state, false),
        Command::Inspector => open_inspector(state),
        Command::Browser => vec![Effect::LoadExamples(state.task().name.clone())],
        Command::Export => vec![Effect::Export(Box::new(state.task().clone()))],
        Command::SelectNext => select(state, true),
        Command::SelectPrev => select(state, false),
        Command::ScrollDown => scroll(state, true),
        Command::ScrollUp => scroll(state, false),
        Command::EditSource => edit_source(state),
        Command::ClearSource => clear_source(state),
        Command::Undo => undo(state, true),
        Command::Redo => undo(state, false),
        Command::FetchModel => fetch_model(state),
        Command::Open => open_saved(state),
        Command::Close => close(state),
        Command::Choose => choose_in_picker(state),
        Command::OpenQueue => vec![Effect::ListQueueFiles],
        Command::ReviewAccept => review::accept(state),
        Command::ReviewReject => review::open_reject_reasons(state),
        Command::ReviewSkip => review::skip(state),
        Command::ReviewUndo => review::undo(state),
        Command::ReviewJump => review::open_jump(state),
        Command::ReviewSummary => review::open_summary(state),
        Command::NextRecord => step_record(state, true),
        Command::PrevRecord => step_record(state, false),
        Command::EditValue
        | Command::ClearValue
        | Command::AddValue
        | Command::AddRecord
        | Command::RemoveRecord
        | Command::SelectSpan
        | Command::WordNext
        | Command::WordPrev
        | Command::ExtendSelection
        | Command::ShrinkSelection => Vec::new(),
    }
}

/// The field editor's meaning of a command, when it has one.
fn on_form_command(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    let (typing, selecting) = state
        .form
        .as_ref()
        .map_or((false, false), |f| (f.input.is_some(), f.selecting.is_some()));
    Some(match command {
        Command::Choose if typing => form::commit_input(state),
        Command::Choose if selecting => form::commit_selection(state),
        Command::Close if typing || selecting => form::cancel_input(state),
        Command::Close => form::close(state),
        Command::SelectNext => form::move_row(state, true),
        Command::SelectPrev => form::move_row(state, false),
        Command::NextRecord => form::move_record(state, true),
        Command::PrevRecord => form::move_record(state, false),
        Command::EditValue => form::edit_value(state),
        Command::ClearValue => form::clear(state),
        Command::AddValue => form::add_value(state),
        Command::AddRecord => form::add_record(state),
        Command::RemoveRecord => form::remove_record(state),
        Command::SelectSpan => form::start_selection(state),
        Command::WordNext => form::move_selection(state, true, false),
        Command::WordPrev => form::move_selection(state, false, false),
        Command::ExtendSelection => form::move_selection(state, true, true),
        Command::ShrinkSelection => form::move_selection(state, false, true),
        Command::Edit => form::to_text(state),
        Command::Accept if state.review.is_some() => review::accept(state),
        Command::Accept => accept(state),
        _ => return None,
    })
}

fn quit(state: &mut State) -> Vec<Effect> {
    state.quit = true;
    let mut effects: Vec<Effect> = running_slots(state).into_iter().map(Effect::CancelRun).collect();
    effects.push(Effect::SaveDraft(state.draft()));
    effects.push(Effect::Quit);
    effects
}

fn run_compare(state: &mut State) -> Vec<Effect> {
    if state.compare_model.is_none() {
        state.notify("choose the model to compare with first", Level::Info);
        return navigate::open_model_picker(state, PickerKind::CompareModel);
    }
    state.compare_open = true;
    start_runs(state, &Side::BOTH)
}

fn fetch_model(state: &mut State) -> Vec<Effect> {
    state.notify("fetching the default model…", Level::Info);
    vec![Effect::FetchModel]
}

fn choose_in_picker(state: &mut State) -> Vec<Effect> {
    let Some(Overlay::Picker(picker)) = state.overlay() else {
        return Vec::new();
    };
    let (kind, chosen, query) = (picker.kind, picker::chosen(picker), picker.query.clone());
    let chosen_text = chosen.and_then(|i| picker.items.get(i).cloned());
    let typed = || (!query.trim().is_empty()).then(|| query.trim().to_string());
    state.mode = Mode::Panes;
    match (kind, chosen) {
        (PickerKind::RejectReason, Some(index)) => review::reject(state, REJECT_REASONS[index].to_string()),
        (PickerKind::RejectReason, None) => typed().map_or_else(Vec::new, |reason| review::reject(state, reason)),
        (PickerKind::QueueItem, Some(position)) => review::jump(state, position),
        (PickerKind::QueueFile, _) => {
            let path = chosen_text.or_else(typed);
            path.map_or_else(Vec::new, |path| {
                vec![Effect::OpenQueue {
                    path: path.into(),
                    task: Box::new(state.task().clone()),
                    tasks: state.tasks.clone(),
                }]
            })
        }
        (_, Some(index)) => choose(state, kind, index),
        (_, None) => Vec::new(),
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
            .filter(|(_, p)| p.discovered_from.is_none())
            .collect(),
    )
}

pub(super) fn running_slots(state: &State) -> Vec<Side> {
    Side::BOTH.into_iter().filter(|s| state.runs[*s].running).collect()
}

/// A profile in the model picker: name, model, mode, and what its server said (`retort
/// models` says the same): serving, not answering, or not asked yet.
pub(super) fn profile_label(state: &State, profile: &crate::llm::ModelProfile) -> String {
    let mode = profile.mode.to_string();
    let model = if profile.model.is_empty() {
        "first served"
    } else {
        &profile.model
    };
    let base = profile.discovered_from.as_deref().unwrap_or(&profile.name);
    use crate::llm::profile::EngineKind;
    let reach = match (profile.engine, state.reach.get(base)) {
        (EngineKind::Embedded, _) => "in-process".to_string(),
        (EngineKind::Openai, Some(Reach::Serves(ids))) => format!("● serves {}", ids.len()),
        (EngineKind::Openai, Some(Reach::Unreachable(_))) => "✗ not answering".to_string(),
        (EngineKind::Openai, None) => "… asking".to_string(),
    };
    format!("{} — {model} ({mode}) {reach}", profile.name)
}

pub(super) fn model_labels(state: &State) -> Vec<String> {
    state.profiles.iter().map(|p| profile_label(state, p)).collect()
}

fn choose(state: &mut State, kind: PickerKind, index: usize) -> Vec<Effect> {
    match kind {
        PickerKind::Task if index != state.task => {
            state.task = index;
            state.runs = Default::default();
            state.set_gold(None);
            state.editor = None;
            state.selected = 0;
            state.pool = Pool::default();
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
        PickerKind::RejectReason | PickerKind::QueueItem | PickerKind::QueueFile => Vec::new(),
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
    if state.mode == Mode::EditingSource {
        state.mode = Mode::Panes;
    }
    state.refresh_comparison();
    state.result_view = ResultView::Structured;
    effects
}

pub(super) fn on_run_finished(state: &mut State, slot: Side, mut run: crate::llm::Run) {
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
    state.refresh_comparison();
    match message {
        Some((text, level)) => state.notify(text, level),
        None => state.notice = None,
    }
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
        discovered.discovered_from = Some(base.name.clone());
        state.profiles.push(discovered);
    }
    refresh_model_picker(state);
}

/// An open model picker shows the newest labels (unless the user is filtering).
fn refresh_model_picker(state: &mut State) {
    let labels = model_labels(state);
    if let Mode::Overlay(Overlay::Picker(picker)) = &mut state.mode
        && matches!(picker.kind, PickerKind::Model | PickerKind::CompareModel)
        && picker.query.is_empty()
    {
        picker.items = labels;
        picker.matches = (0..picker.items.len()).collect();
    }
}
