//! Training runs in the workbench, through the pure update: `T` lists the runs as the driver
//! read them and asks it to read again; a run registered since shows its profile, which joins
//! the model pickers; Enter on it makes it the model to compare with; Enter on a run not done
//! says why nothing changed.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use retort::train::run::{Progress, Status};
use retort::train::summary::RunSummary;
use retort::tui::action::{Action, Command, Effect};
use retort::tui::state::{Mode, Overlay, PickerKind, State};
use retort::tui::update::update;

fn summary(id: &str, status: Status, profile: Option<&str>) -> RunSummary {
    RunSummary {
        id: id.into(),
        task: "compound".into(),
        backend: "openai",
        base: "gpt-4o-mini-2024-07-18".into(),
        status,
        progress: Progress {
            step: Some(6),
            total_steps: Some(12),
            train_loss: Some(0.61),
            valid_loss: None,
        },
        losses: vec![2.5, 1.9, 1.4, 1.1, 0.8, 0.61],
        profile: profile.map(str::to_string),
        error: None,
    }
}

fn picker_items(state: &State) -> Vec<String> {
    match &state.mode {
        Mode::Overlay(Overlay::Picker(picker)) if picker.kind == PickerKind::TrainingRun => picker.items.clone(),
        other => panic!("no training picker: {other:?}"),
    }
}

fn tuned_profile(name: &str) -> retort::llm::ModelProfile {
    retort::llm::ModelProfile::openai(
        name,
        "http://127.0.0.1:9/v1",
        "ft:gpt-4o-mini:x",
        retort::llm::profile::Mode::FineTuned,
    )
}

#[test]
fn t_lists_the_runs_and_enter_compares_with_a_registered_one() {
    let mut state = common::tui_state("compound", "NaOH was added.", 160, 48);
    let key = |c: char| Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    let effects = update(&mut state, key('T'));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::RefreshTraining)),
        "asks for a fresh reading"
    );
    assert!(picker_items(&state).is_empty());
    assert!(state.notice.as_ref().unwrap().text.contains("no training runs yet"));

    // The driver's reading arrives while the list is open: a run going.
    update(
        &mut state,
        Action::TrainingRead {
            runs: vec![summary("run-1", Status::Running, None)],
            profiles: Vec::new(),
        },
    );
    let items = picker_items(&state);
    assert_eq!(items.len(), 1);
    assert!(
        items[0].contains("running") && items[0].contains("step 6/12") && items[0].contains("loss 0.610"),
        "{}",
        items[0]
    );
    assert!(
        items[0].contains("█▆▄▃▂▁") || items[0].contains('█'),
        "the loss sparkline: {}",
        items[0]
    );
    update(&mut state, Action::Command(Command::Choose));
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("can be compared once it succeeds")
    );
    assert_eq!(state.compare_model, None);

    // It succeeded and was registered: its profile joins the pickers, and a notice says so.
    update(
        &mut state,
        Action::TrainingRead {
            runs: vec![summary("run-1", Status::Succeeded, Some("compound-ft"))],
            profiles: vec![tuned_profile("smol"), tuned_profile("compound-ft")],
        },
    );
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("compound-ft is registered")
    );
    let at = state
        .profiles
        .iter()
        .position(|p| p.name == "compound-ft")
        .expect("added to the profiles");
    assert_eq!(
        state.profiles.iter().filter(|p| p.name == "smol").count(),
        1,
        "known profiles stay as they are"
    );
    update(&mut state, key('T'));
    assert!(picker_items(&state)[0].contains("→ compound-ft"));
    update(&mut state, Action::Command(Command::Choose));
    assert_eq!(state.compare_model, Some(at));
    assert!(state.compare.open);
    assert_eq!(state.mode, Mode::Panes);
    assert!(state.notice.as_ref().unwrap().text.contains("R runs both"));
}
