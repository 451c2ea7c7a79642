//! The workbench's state update: actions in, effects out, no I/O.

use super::action::{Action, Command, Effect, Side};
use super::correction;
use super::form;
use super::navigate;
use super::phase::Phase;
use super::picker;
use super::review;
pub use super::runs::list_models;
use super::runs::{add_discovered_models, on_run_finished, refresh_model_picker, running_slots, start_runs};
use super::select;
use super::state::{Level, Mode, Overlay, Pane, PickerKind, Reach, State};
use crate::llm::prompt::Pool;
use crate::review::REJECT_REASONS;
use crossterm::event::KeyEvent;

pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(key) => on_key(state, key),
        // Over an overlay or while typing the paragraph, the mouse does nothing.
        Action::Mouse(event) if state.mode == Mode::Panes => match super::mouse::handle(state, event) {
            super::mouse::Outcome::Done(effects) => effects,
            super::mouse::Outcome::Command(command) => on_command(state, command),
        },
        Action::Mouse(_) => Vec::new(),
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
                state.browser.examples = examples;
                state.browser.selected = state.browser.examples.len().saturating_sub(1);
                state.focus = Pane::Browser;
                if state.browser.examples.is_empty() {
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
        Action::TrainingRead { runs, profiles } => super::training::read(state, runs, profiles),
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
    if let Some(effects) = select::type_letter(state, &key) {
        return effects;
    }
    let scope = state.key_scope();
    let review_command = state
        .review_keys()
        .then(|| state.keymap.own_command(super::keymap::Scope::Review, &key))
        .flatten();
    if let Some(command) = review_command.or_else(|| state.keymap.command(scope, &key)) {
        return on_command(state, command);
    }
    if select::typing_search(state) {
        return select::type_key(state, key);
    }
    if let Some(effects) = select::type_count(state, &key) {
        return effects;
    }
    if super::find::typing(state) {
        return super::find::type_key(state, key);
    }
    match (&mut state.mode, state.focus) {
        (Mode::Overlay(Overlay::Picker(picker)), _) => picker::type_key(picker, &key),
        (Mode::EditingSource, _) if state.source.area.input(key) => state.draft_changed(),
        (Mode::Panes, Pane::Form) => {
            if let Some(input) = state.correction.form_mut().and_then(|f| f.input.as_mut()) {
                input.input(key);
            }
        }
        (Mode::Panes, Pane::Editor) if state.correction.editor_mut().is_some_and(|e| e.area.input(key)) => {
            state.reparse_editor();
        }
        _ => {}
    }
    Vec::new()
}

fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if let Some(input) = state.correction.form_mut().and_then(|f| f.input.as_mut()) {
        input.insert_str(text.replace('\n', " "));
        return Vec::new();
    }
    if state.focus == Pane::Editor
        && let Some(editor) = state.correction.editor_mut()
    {
        editor.area.insert_str(&text);
        state.reparse_editor();
        return Vec::new();
    }
    state.focus = Pane::Source;
    state.source.area.insert_str(&text);
    state.draft_changed();
    state.reground();
    state.notify(format!("pasted {} characters", text.chars().count()), Level::Info);
    Vec::new()
}

/// One handler of the chain: when it is asked at all, whether it gives a command a meaning now
/// (`can`), and doing it (`handle`). `None` from either passes the command on.
struct Handler {
    asked: fn(&State) -> bool,
    can: fn(&State, Command) -> Option<bool>,
    handle: fn(&mut State, Command) -> Option<Vec<Effect>>,
}

fn always(_: &State) -> bool {
    true
}

fn editing_fields(state: &State) -> bool {
    state.focus == Pane::Form
}

/// The chain, innermost first: choosing a value's words and the field editor (when it has the
/// keys), finding in the source, the outline, the review queue, the correction; what none of
/// them takes is the workbench's own (`on_command`'s match). `on_command` and `available` both
/// walk it, so the hint bar offers exactly what a key would do.
const CHAIN: [Handler; 6] = [
    Handler {
        asked: editing_fields,
        can: select::can,
        handle: select::handle,
    },
    Handler {
        asked: editing_fields,
        can: form::can,
        handle: form::handle,
    },
    Handler {
        asked: always,
        can: super::find::can,
        handle: super::find::handle,
    },
    Handler {
        asked: always,
        can: super::outline::can,
        handle: super::outline::handle,
    },
    Handler {
        asked: always,
        can: review::can,
        handle: review::handle,
    },
    Handler {
        asked: always,
        can: correction::can,
        handle: correction::handle,
    },
];

/// A command goes to the innermost handler of `CHAIN` that gives it a meaning, then to the
/// workbench.
fn on_command(state: &mut State, command: Command) -> Vec<Effect> {
    for handler in &CHAIN {
        if (handler.asked)(state)
            && let Some(effects) = (handler.handle)(state, command)
        {
            return effects;
        }
    }
    use navigate::*;
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
        Command::Close => close(state),
        Command::Choose => choose_in_picker(state),
        Command::ToggleGrounding => navigate::toggle_grounding(state),
        Command::OpenQueue => vec![Effect::ListQueueFiles],
        Command::TrainingRuns => super::training::open(state),
        Command::NextRecord => step_record(state, true),
        Command::PrevRecord => step_record(state, false),
        // Given a meaning above, or by nothing here (no queue open, no field editor).
        Command::Edit
        | Command::EditFields
        | Command::AdoptLeft
        | Command::AdoptRight
        | Command::Accept
        | Command::Save
        | Command::CopyJson
        | Command::CopyText
        | Command::Open
        | Command::Outline
        | Command::ReviewAccept
        | Command::ReviewReject
        | Command::ReviewSkip
        | Command::ReviewUndo
        | Command::ReviewJump
        | Command::ReviewSummary
        | Command::ReviewNext
        | Command::ReviewPrev
        | Command::EditValue
        | Command::ClearValue
        | Command::ClearAnswer
        | Command::MoveValueDown
        | Command::MoveValueUp
        | Command::AllOccurrences
        | Command::AddValue
        | Command::AddRecord
        | Command::RemoveRecord
        | Command::SelectSpan
        | Command::WordNext
        | Command::WordPrev
        | Command::ExtendSelection
        | Command::ShrinkSelection
        | Command::Search
        | Command::SearchNext
        | Command::SearchPrev
        | Command::WholeName
        | Command::JumpToLetter
        | Command::JumpBackToLetter
        | Command::ExtendToLetter
        | Command::LabelJump
        | Command::LabelExtend => Vec::new(),
    }
}

/// Whether `command` would do something now, asked of `CHAIN` as `on_command` walks it (the
/// hint bar shows only these).
pub fn available(state: &State, command: Command) -> bool {
    let from_handlers = CHAIN
        .iter()
        .filter(|handler| (handler.asked)(state))
        .find_map(|handler| (handler.can)(state, command));
    if let Some(can) = from_handlers {
        return can;
    }
    match command {
        Command::Run => !state.paragraph().trim().is_empty() && state.profile().is_some(),
        Command::SelectNext | Command::SelectPrev => match (&state.mode, state.focus) {
            (Mode::Overlay(Overlay::Picker(picker)), _) => !picker.matches.is_empty(),
            (_, Pane::Browser) => !state.browser.examples.is_empty(),
            _ => state.value_count() > 0,
        },
        Command::NextRecord | Command::PrevRecord => state.highlighted().is_some_and(|e| e.records.len() > 1),
        Command::Choose => matches!(state.overlay(), Some(Overlay::Picker(p)) if !p.matches.is_empty()),
        Command::ToggleGrounding => matches!(
            state.overlay(),
            Some(Overlay::Picker(p)) if matches!(p.kind, PickerKind::Model | PickerKind::CompareModel) && !p.matches.is_empty()
        ),
        Command::ReviewAccept
        | Command::ReviewReject
        | Command::ReviewSkip
        | Command::ReviewUndo
        | Command::ReviewJump
        | Command::ReviewSummary
        | Command::ReviewNext
        | Command::ReviewPrev
        | Command::Outline => false,
        _ => true,
    }
}

/// The first profile fine-tuned for the current task (a shipped adapter or one trained here),
/// other than the main model: what `R` compares prompt-only with when nothing is chosen.
fn fine_tuned_for_task(state: &State) -> Option<usize> {
    let task = &state.task().name;
    (0..state.profiles.len()).find(|&i| {
        let p = &state.profiles[i];
        i != state.model && p.mode == crate::llm::profile::Mode::FineTuned && p.task.as_ref() == Some(task)
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
        state.compare_model = fine_tuned_for_task(state);
        match state.compare_model.and_then(|i| state.profiles.get(i)) {
            Some(profile) => {
                let message = format!(
                    "comparing with {}, fine-tuned for {} (M chooses another)",
                    profile.name,
                    state.task().name
                );
                state.notify(message, Level::Info);
            }
            None => {
                state.notify("choose the model to compare with first", Level::Info);
                return navigate::open_model_picker(state, PickerKind::CompareModel);
            }
        }
    }
    state.compare.open = true;
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
        (PickerKind::TrainingRun, Some(index)) => super::training::choose(state, index),
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

fn choose(state: &mut State, kind: PickerKind, index: usize) -> Vec<Effect> {
    match kind {
        PickerKind::Task if index != state.task => {
            state.task = index;
            state.runs = Default::default();
            state.set_phase(Phase::Viewing);
            state.result.selected = 0;
            state.pool = Pool::default();
            if matches!(state.focus, Pane::Editor | Pane::Form) {
                state.focus = Pane::Result;
            }
            let name = state.task().name.clone();
            state.notify(format!("task: {}", state.task().title), Level::Info);
            vec![Effect::LoadPool(name)]
        }
        PickerKind::Task => Vec::new(),
        PickerKind::Model => {
            state.model = index;
            state.draft_changed();
            Vec::new()
        }
        PickerKind::CompareModel => {
            state.compare_model = Some(index);
            state.compare.open = true;
            Vec::new()
        }
        PickerKind::RejectReason | PickerKind::QueueItem | PickerKind::QueueFile | PickerKind::TrainingRun => {
            Vec::new()
        }
    }
}
