//! Model runs in the workbench: starting them on a side, taking their results, and the model
//! profiles the picker offers (configured ones, and those their servers say they serve).

use super::action::{Effect, RunJob, Side};
use super::state::{Level, Mode, Overlay, PickerKind, Reach, ResultView, RunSlot, State};

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
    let model = profile.weights();
    let base = profile.discovered_from.as_deref().unwrap_or(&profile.name);
    use crate::llm::profile::Engine;
    let reach = match (&profile.engine, state.reach.get(base)) {
        (Engine::Embedded(_), _) => "in-process".to_string(),
        (Engine::Openai(_), Some(Reach::Serves(ids))) => format!("● serves {}", ids.len()),
        (Engine::Openai(_), Some(Reach::Unreachable(_))) => "✗ not answering".to_string(),
        (Engine::Openai(_), None) => "… asking".to_string(),
    };
    format!(
        "{} — {model} ({mode}, grounding {}) {reach}",
        profile.name, profile.grounding
    )
}

pub(super) fn model_labels(state: &State) -> Vec<String> {
    state.profiles.iter().map(|p| profile_label(state, p)).collect()
}

pub(super) fn start_runs(state: &mut State, slots: &[Side]) -> Vec<Effect> {
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
        state.runs[slot] = RunSlot {
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
    state.result.view = ResultView::Structured;
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
    let message = match (run.outcome.error(), &run.parse_error) {
        (Some(error), _) => Some((format!("run failed: {error}"), Level::Error)),
        (None, Some(e)) => Some((
            format!("the reply does not parse ({e}); the raw reply is shown"),
            Level::Error,
        )),
        _ => None,
    };
    runs.run = Some(run);
    if slot == Side::Main {
        state.result.selected = 0;
        if message.is_some() {
            state.result.view = ResultView::Raw;
        }
    }
    state.refresh_comparison();
    match message {
        Some((text, level)) => state.notify(text, level),
        None => state.notice = None,
    }
}

pub(super) fn add_discovered_models(state: &mut State, profile: usize, ids: Vec<String>) {
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
pub(super) fn refresh_model_picker(state: &mut State) {
    let labels = model_labels(state);
    if let Mode::Overlay(Overlay::Picker(picker)) = &mut state.mode
        && matches!(picker.kind, PickerKind::Model | PickerKind::CompareModel)
        && picker.query.is_empty()
    {
        picker.items = labels;
        picker.matches = (0..picker.items.len()).collect();
    }
}
