//! Whole workbench scenarios through the pure update: actions in, effects and state out.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use retort::extraction::Alignment;
use retort::tui::action::{Action, Command, Effect, Side};
use retort::tui::state::{Overlay, Pane, ResultView};
use retort::tui::update::update;
use std::time::{Duration, Instant};

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn code(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[test]
fn paste_run_stream_parse_edit_accept_save() {
    let mut state = common::tui_state("compound", "", 120, 40);
    // A 50 kB paste is one edit.
    let paragraph = "Ethanol (5 mL) and THF were stirred; µL of water was added. ".repeat(850);
    assert!(paragraph.len() > 50_000);
    assert!(update(&mut state, Action::Paste(paragraph.clone())).is_empty());
    assert_eq!(state.paragraph(), paragraph);
    update(&mut state, Action::Command(Command::ClearSource));
    assert_eq!(state.paragraph(), "");
    update(&mut state, Action::Command(Command::Undo));
    assert_eq!(state.paragraph(), paragraph, "one undo brings the whole paste back");
    update(&mut state, Action::Command(Command::ClearSource));
    update(
        &mut state,
        Action::Paste("Ethanol and THF were stirred with µL of water.".into()),
    );

    let effects = update(&mut state, key('r'));
    let job = match effects.as_slice() {
        [Effect::StartRun(job)] => job.clone(),
        other => panic!("expected one run, got {other:?}"),
    };
    assert_eq!(job.paragraph, "Ethanol and THF were stirred with µL of water.");
    assert!(state.runs[Side::Main].running);

    let t0 = Instant::now();
    update(
        &mut state,
        Action::RunStarted {
            slot: Side::Main,
            at: t0,
        },
    );
    for (i, piece) in ["Ethanol", " | ", "THF", " | ", "water", " | ", "unobtainium"]
        .iter()
        .enumerate()
    {
        update(
            &mut state,
            Action::RunPiece {
                slot: Side::Main,
                piece: piece.to_string(),
                at: t0 + Duration::from_millis(100 * (i as u64 + 1)),
            },
        );
    }
    assert_eq!(state.runs[Side::Main].streamed, "Ethanol | THF | water | unobtainium");
    assert_eq!(state.runs[Side::Main].pieces, 7);
    common::finish_run(&mut state, Side::Main, "Ethanol | THF | water | unobtainium");
    assert!(!state.runs[Side::Main].running);
    let values = state.highlighted().unwrap().values();
    assert_eq!(values.len(), 4);
    assert_eq!(
        values[3].1.alignment,
        Alignment::Unaligned,
        "a hallucinated value is marked, not dropped"
    );

    // Select a value: the source follows it.
    update(&mut state, Action::Command(Command::FocusNext));
    assert_eq!(state.focus, Pane::Result);
    update(&mut state, key('j'));
    assert_eq!(state.result.selected, 1);
    assert_eq!(state.source.scroll, retort::tui::state::SourceScroll::FollowSelection);

    // Edit: drop the hallucination; parse errors and grounding update as one types.
    update(&mut state, key('e'));
    assert_eq!(state.focus, Pane::Editor);
    assert_eq!(
        state.correction.editor().unwrap().area.lines().join("\n"),
        "Ethanol | THF | water | unobtainium"
    );
    for _ in 0.." | unobtainium".len() {
        update(&mut state, code(KeyCode::Backspace));
    }
    let parsed = state.correction.editor().unwrap().parsed.as_ref().unwrap();
    assert!(parsed.values().iter().all(|(_, v)| v.alignment != Alignment::Unaligned));
    update(&mut state, ctrl('s'));
    let (gold, text) = state.gold().cloned().unwrap();
    assert_eq!(text, "Ethanol | THF | water");
    assert_eq!(gold.values().len(), 3);
    assert!(state.correction.editor().is_none());

    let effects = update(&mut state, key('s'));
    let saved = match effects.as_slice() {
        [Effect::SaveExample(example)] => example.clone(),
        other => panic!("expected a save, got {other:?}"),
    };
    assert_eq!(saved.answer, "Ethanol | THF | water");
    assert_eq!(saved.paragraph, "Ethanol and THF were stirred with µL of water.");
    assert_eq!(saved.runs.len(), 1);
    assert_eq!(saved.runs[0]["model"], "smollm2");
    assert_eq!(saved.task, "compound");

    // Export hands the driver the task as the workbench holds it.
    let effects = update(&mut state, Action::Command(Command::Export));
    assert!(matches!(effects.as_slice(), [Effect::Export(task)] if task.name == "compound"));
}

#[test]
fn a_malformed_reply_shows_raw_with_the_error_and_can_be_fixed_by_hand() {
    let (paragraph, _) = common::sample("nmr");
    let mut state = common::tui_state("nmr", &paragraph, 120, 40);
    update(&mut state, key('r'));
    common::finish_run(&mut state, Side::Main, "{\"IUPAC\": \"broken");
    assert_eq!(state.result.view, ResultView::Raw);
    assert_eq!(state.notice.as_ref().unwrap().level, retort::tui::state::Level::Error);
    assert!(state.notice.as_ref().unwrap().text.contains("does not parse"));
    update(&mut state, Action::Command(Command::Edit));
    assert_eq!(
        state.correction.editor().unwrap().area.lines().join("\n"),
        "{\"IUPAC\": \"broken",
        "the raw answer is the starting point"
    );
    assert!(state.correction.editor().unwrap().parsed.is_err());
}

#[test]
fn escape_cancels_a_run_and_ctrl_c_quits_when_idle() {
    let mut state = common::tui_state("compound", "THF", 80, 24);
    update(&mut state, key('r'));
    let effects = update(&mut state, code(KeyCode::Esc));
    assert!(matches!(effects.as_slice(), [Effect::CancelRun(Side::Main)]));
    common::finish_run(&mut state, Side::Main, "");
    let effects = update(&mut state, ctrl('c'));
    assert!(state.quit);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SaveDraft(d) if d.paragraph == "THF"))
    );
}

#[test]
fn compare_two_models_and_adopt_the_right_side() {
    let (paragraph, gold) = common::sample("action");
    let mut state = common::tui_state("action", &paragraph, 160, 48);
    let effects = update(&mut state, key('R'));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::ListModels(_))),
        "no second model yet: the picker opens"
    );
    assert!(matches!(state.overlay(), Some(Overlay::Picker(_))));
    update(&mut state, code(KeyCode::Down));
    update(&mut state, code(KeyCode::Enter));
    assert_eq!(state.compare_model, Some(1));
    let effects = update(&mut state, key('R'));
    assert_eq!(effects.iter().filter(|e| matches!(e, Effect::StartRun(_))).count(), 2);
    common::finish_run(&mut state, Side::Main, "STIR for 1 h.");
    common::finish_run(&mut state, Side::Compare, &gold);
    assert!(state.compare.open);
    update(&mut state, Action::Command(Command::AdoptRight));
    assert_eq!(state.correction.editor().unwrap().area.lines().join("\n"), gold);
}

#[test]
fn pickers_filter_and_help_lists_the_focused_panes_keys() {
    let mut state = common::tui_state("compound", "THF", 80, 24);
    update(&mut state, key('t'));
    for c in "nmr".chars() {
        update(&mut state, key(c));
    }
    let effects = update(&mut state, code(KeyCode::Enter));
    assert_eq!(state.task().name, "nmr");
    assert!(matches!(effects.as_slice(), [Effect::LoadPool(name)] if name == "nmr"));
    update(&mut state, key('?'));
    assert_eq!(state.overlay(), Some(&Overlay::Help));
    update(&mut state, code(KeyCode::Esc));
    assert_eq!(state.overlay(), None);
    let copied = update(&mut state, key('y'));
    assert!(copied.is_empty(), "nothing to copy before a run");
    assert_eq!(state.notice.as_ref().unwrap().level, retort::tui::state::Level::Error);
}

#[test]
fn the_source_regrounds_after_an_edit() {
    let mut state = common::tui_state("compound", "water and THF", 80, 24);
    update(&mut state, key('r'));
    common::finish_run(&mut state, Side::Main, "water | ethanol");
    assert_eq!(
        state.highlighted().unwrap().values()[1].1.alignment,
        Alignment::Unaligned
    );
    update(&mut state, key('e'));
    assert!(state.editing_source());
    for c in " ethanol".chars() {
        update(&mut state, key(c));
    }
    update(&mut state, code(KeyCode::Esc));
    assert_eq!(state.paragraph(), "water and THF ethanol");
    assert_eq!(state.highlighted().unwrap().values()[1].1.alignment, Alignment::Exact);
}

#[test]
fn the_workbench_reports_every_config_problem_not_only_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let paths = retort::config::Paths::under(dir.path());
    std::fs::create_dir_all(paths.tasks_dir()).unwrap();
    std::fs::write(paths.tasks_dir().join("polymer.toml"), "name = [").unwrap();
    std::fs::write(paths.config.join("models.toml"), "[[model]]\nname = 1\n").unwrap();
    std::fs::write(paths.config.join("keymap.toml"), "[global]\n\"r\" = \"launch\"\n").unwrap();
    let (state, _) = retort::tui::initial_state(&paths, Some("THF".into()));
    let notice = state.notice.unwrap();
    assert_eq!(notice.level, retort::tui::state::Level::Error);
    for file in ["polymer.toml", "models.toml", "keymap.toml"] {
        assert!(notice.text.contains(file), "{file} missing from: {}", notice.text);
    }
}

#[test]
fn comparison_measures_are_computed_when_runs_finish_and_when_the_gold_changes() {
    let (paragraph, gold) = common::sample("compound");
    let mut state = common::tui_state("compound", &paragraph, 160, 48);
    common::finish_run(&mut state, Side::Main, &gold);
    assert!(state.compare.lines.is_empty(), "nothing to compare with one run");
    common::finish_run(&mut state, Side::Compare, &gold);
    assert_eq!(state.compare.lines.len(), 1);
    assert!(state.compare.lines[0].label.starts_with("right vs left"));
    let render = |side: Side| state.task().render(state.runs[side].extraction().unwrap());
    let expected =
        retort::metrics::single::score_pair(state.task(), &render(Side::Main), &render(Side::Compare), &paragraph);
    assert_eq!(state.compare.lines[0].scores, expected);
    update(&mut state, Action::Command(Command::Accept));
    assert_eq!(state.compare.lines.len(), 2, "each side against the accepted gold");
    assert!(state.compare.lines[1].label.starts_with("right vs gold"));
}

#[test]
fn the_model_picker_shows_which_servers_answer() {
    let mut state = common::tui_state("compound", "THF", 120, 40);
    let effects = update(&mut state, Action::Command(Command::PickModel));
    assert!(effects.iter().any(|e| matches!(e, Effect::ListModels(_))));
    let items = |state: &retort::tui::state::State| match state.overlay() {
        Some(Overlay::Picker(picker)) => picker.items.clone(),
        _ => panic!("the picker is open"),
    };
    assert!(items(&state)[0].ends_with("… asking"), "{:?}", items(&state));
    let refused = "cannot connect to http://127.0.0.1:9/v1".to_string();
    update(
        &mut state,
        Action::ModelsUnreachable {
            profile: 0,
            error: refused,
        },
    );
    update(
        &mut state,
        Action::ModelsListed {
            profile: 1,
            ids: vec!["mistral-ft".into()],
        },
    );
    let labels = items(&state);
    assert!(labels[0].ends_with("✗ not answering"), "{labels:?}");
    assert!(labels[1].ends_with("● serves 1"), "{labels:?}");
}

/// Ctrl-G in the model picker turns strict grounding off and on for the highlighted profile, for
/// this session: the label says so, and the run the workbench starts carries it.
#[test]
fn the_model_picker_switches_grounding_for_the_highlighted_profile() {
    use retort::llm::grounding::Grounding;
    let mut state = common::tui_state("compound", "THF", 120, 40);
    assert_eq!(state.profiles[0].grounding, Grounding::Strict);
    update(&mut state, Action::Command(Command::PickModel));
    assert!(retort::tui::update::available(&state, Command::ToggleGrounding));
    update(&mut state, Action::Command(Command::ToggleGrounding));
    assert_eq!(state.profiles[0].grounding, Grounding::Off);
    let label = match state.overlay() {
        Some(Overlay::Picker(picker)) => picker.items[0].clone(),
        _ => panic!("the picker stays open"),
    };
    assert!(label.contains("grounding off"), "{label}");
    assert_eq!(
        state.profiles[1].grounding,
        Grounding::Strict,
        "only the highlighted one"
    );
    update(&mut state, Action::Command(Command::Choose));
    let effects = update(&mut state, Action::Command(Command::Run));
    let run = effects
        .iter()
        .find_map(|e| match e {
            Effect::StartRun(job) => Some(job.profile.clone()),
            _ => None,
        })
        .expect("a run starts");
    assert_eq!(run.grounding, Grounding::Off);
    assert!(
        !retort::tui::update::available(&state, Command::ToggleGrounding),
        "only in the model picker"
    );
}

#[test]
fn a_profile_with_a_slash_in_its_name_is_asked_and_discovered_ones_are_not() {
    let mut state = common::tui_state("compound", "THF", 120, 40);
    state.profiles[1].name = "lab/vllm".into();
    let asked = |state: &retort::tui::state::State| match retort::tui::update::list_models(state) {
        Effect::ListModels(profiles) => profiles.into_iter().map(|(_, p)| p.name).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert!(asked(&state).contains(&"lab/vllm".to_string()));
    update(
        &mut state,
        Action::ModelsListed {
            profile: 1,
            ids: vec!["lora-10".into()],
        },
    );
    let discovered = state
        .profiles
        .iter()
        .find(|p| p.name == "lab/vllm/lora-10")
        .expect("discovered");
    assert_eq!(discovered.discovered_from.as_deref(), Some("lab/vllm"));
    assert!(
        !asked(&state).contains(&"lab/vllm/lora-10".to_string()),
        "not asked again"
    );
    update(&mut state, Action::Command(Command::PickModel));
    let labels = match state.overlay() {
        Some(Overlay::Picker(picker)) => picker.items.clone(),
        _ => panic!("the picker is open"),
    };
    let label = labels.iter().find(|l| l.starts_with("lab/vllm/lora-10")).unwrap();
    assert!(label.ends_with("● serves 1"), "its server's answer: {label}");
}

/// The correction's phases: an editor opened over an accepted gold closes back to it, `a`
/// never throws an accepted correction away for the run, and only changes the draft holds move
/// its version (moving the focus does not).
#[test]
fn the_correction_moves_between_phases_and_keeps_what_was_accepted() {
    use retort::tui::phase::Phase;
    let mut state = common::tui_state("compound", "Ethanol and THF were stirred.", 120, 40);
    update(&mut state, key('r'));
    common::finish_run(&mut state, Side::Main, "Ethanol | THF | unobtainium");
    assert!(matches!(state.correction.phase(), Phase::Viewing));
    update(&mut state, Action::Command(Command::FocusNext));

    update(&mut state, key('e'));
    for _ in 0.." | unobtainium".len() {
        update(&mut state, code(KeyCode::Backspace));
    }
    update(&mut state, ctrl('s'));
    assert!(matches!(state.correction.phase(), Phase::Accepted(_)));
    assert_eq!(state.gold().unwrap().1, "Ethanol | THF");

    // `a` on the result pane keeps the correction; the run still holds the hallucination.
    update(&mut state, key('a'));
    assert_eq!(state.gold().unwrap().1, "Ethanol | THF");

    // An editor over the gold, closed without accepting: the gold is still accepted.
    update(&mut state, key('e'));
    assert!(matches!(state.correction.phase(), Phase::EditingText { .. }));
    assert_eq!(
        state.gold().unwrap().1,
        "Ethanol | THF",
        "the gold waits under the editor"
    );
    update(&mut state, code(KeyCode::Esc));
    assert!(matches!(state.correction.phase(), Phase::Accepted(_)));
    assert_eq!(state.highlighted().unwrap().values().len(), 2);

    let version = state.correction.version();
    update(&mut state, Action::Command(Command::FocusNext));
    update(&mut state, Action::Command(Command::FocusPrev));
    assert_eq!(state.correction.version(), version, "moving around is not a change");
    update(&mut state, Action::Paste(" More.".into()));
    assert!(
        state.correction.version() > version,
        "the paragraph is part of the draft"
    );
}

/// What the hint bar offers is what the handlers would do: `accept` is offered in the editor
/// only while its text parses, and `save` only once there is something to save.
#[test]
fn hints_come_from_the_handlers() {
    let mut state = common::tui_state("doping-json", "Si was doped with P.", 120, 40);
    let offered = |state: &retort::tui::state::State, c: Command| retort::tui::update::available(state, c);
    assert!(!offered(&state, Command::Save));
    assert!(!offered(&state, Command::Accept));
    update(&mut state, key('r'));
    common::finish_run(
        &mut state,
        Side::Main,
        r#"{"basemats": {"b0": "Si"}, "dopants": {"d0": "P"}, "dopants2basemats": {"d0": ["b0"]}}"#,
    );
    assert!(state.runs[Side::Main].extraction().is_some());
    assert!(offered(&state, Command::Save));
    update(&mut state, Action::Command(Command::FocusNext));
    update(&mut state, key('e'));
    assert!(offered(&state, Command::Accept));
    update(&mut state, Action::Paste("{ not json".into()));
    assert!(state.correction.editor().unwrap().parsed.is_err());
    assert!(
        !offered(&state, Command::Accept),
        "a text that does not parse is not offered"
    );
    update(&mut state, ctrl('s'));
    assert!(
        state.correction.editor().is_some(),
        "and accepting it does nothing but say why"
    );
}

#[test]
fn compare_with_nothing_chosen_takes_the_model_fine_tuned_for_the_task() {
    let mut state = common::tui_state("compound", "Ethanol was added to THF.", 120, 40);
    // "tuned" is fine-tuned, but for no task in particular: R asks which model to compare with.
    let effects = update(&mut state, Action::Command(Command::RunCompare));
    assert!(!effects.iter().any(|e| matches!(e, Effect::StartRun(_))), "{effects:?}");
    assert!(matches!(state.overlay(), Some(Overlay::Picker(_))));
    assert_eq!(state.compare_model, None);
    update(&mut state, Action::Command(Command::Close));

    state.profiles[1].task = Some("compound".into());
    let effects = update(&mut state, Action::Command(Command::RunCompare));
    assert_eq!(state.compare_model, Some(1));
    let started = effects.iter().filter(|e| matches!(e, Effect::StartRun(_))).count();
    assert_eq!(started, 2, "prompt-only and fine-tuned run at once");
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("comparing with tuned, fine-tuned for compound")
    );

    // The main model itself is never its own comparison.
    let mut state = common::tui_state("compound", "Ethanol was added to THF.", 120, 40);
    state.profiles[1].task = Some("compound".into());
    state.model = 1;
    update(&mut state, Action::Command(Command::RunCompare));
    assert_eq!(state.compare_model, None);
}
