//! Training runs in the workbench (pure): `T` lists them in a picker — status, task, backend,
//! step, loss and its sparkline, the profile each was registered as — kept fresh by the driver
//! (`training_io`) while the workbench is open. Enter on a registered run makes its profile the
//! model to compare with, so prompt-only against fine-tuned is `R` away. Profiles that runs
//! registered in models.toml since the workbench opened are added to the model pickers.

use super::action::Effect;
use super::picker;
use super::state::{Level, Mode, Overlay, PickerKind, State};
use crate::llm::ModelProfile;
use crate::train::run::Status;
use crate::train::summary::RunSummary;

/// Opens the list of runs (as last read) and asks the driver to read them again now.
pub fn open(state: &mut State) -> Vec<Effect> {
    if state.training.is_empty() {
        state.notify(
            "no training runs yet: `retort train start` or `retort train curve` starts them; they show here",
            Level::Info,
        );
    }
    let items = labels(&state.training);
    state.mode = Mode::Overlay(Overlay::Picker(picker::open(PickerKind::TrainingRun, items, 0)));
    vec![Effect::RefreshTraining]
}

fn labels(runs: &[RunSummary]) -> Vec<String> {
    runs.iter().map(RunSummary::line).collect()
}

/// The runs and the profiles as the driver read them: the list is replaced (an open picker
/// keeps its highlight unless filtering), profiles not yet known are added.
pub fn read(state: &mut State, runs: Vec<RunSummary>, profiles: Vec<ModelProfile>) -> Vec<Effect> {
    let finished_now: Vec<String> = runs
        .iter()
        .filter(|r| r.status == Status::Succeeded && r.profile.is_some())
        .filter(|r| state.training.iter().any(|old| old.id == r.id && old.profile.is_none()))
        .map(|r| r.profile.clone().unwrap_or_default())
        .collect();
    state.training = runs;
    let mut added = false;
    for profile in profiles {
        if !state.profiles.iter().any(|p| p.name == profile.name) {
            state.profiles.push(profile);
            added = true;
        }
    }
    if added {
        super::runs::refresh_model_picker(state);
    }
    if let Mode::Overlay(Overlay::Picker(picker)) = &mut state.mode
        && picker.kind == PickerKind::TrainingRun
        && picker.query.is_empty()
    {
        picker.items = labels(&state.training);
        picker.matches = (0..picker.items.len()).collect();
        picker.selected = picker.selected.min(picker.items.len().saturating_sub(1));
    }
    if let Some(profile) = finished_now.first() {
        state.notify(
            format!("training finished: {profile} is registered; T then Enter compares it with your model"),
            Level::Info,
        );
    }
    Vec::new()
}

/// Enter on a run: its registered profile becomes the model to compare with.
pub fn choose(state: &mut State, index: usize) -> Vec<Effect> {
    let Some(run) = state.training.get(index).cloned() else {
        return Vec::new();
    };
    let found = run
        .profile
        .as_ref()
        .and_then(|name| state.profiles.iter().position(|p| &p.name == name));
    match (found, &run.profile) {
        (Some(at), Some(name)) => {
            state.compare_model = Some(at);
            state.compare.open = true;
            state.notify(format!("compare with {name}: R runs both models"), Level::Info);
        }
        (None, Some(name)) => state.notify(
            format!(
                "{name} is not in models.toml any more; `retort train register {}` adds it again",
                run.id
            ),
            Level::Error,
        ),
        (_, None) if run.status == Status::Succeeded => state.notify(
            format!(
                "run {} is done but not registered: `retort train register {}`",
                run.id, run.id
            ),
            Level::Info,
        ),
        (_, None) => state.notify(
            format!("run {} is {}: it can be compared once it succeeds", run.id, run.status),
            Level::Info,
        ),
    }
    Vec::new()
}
