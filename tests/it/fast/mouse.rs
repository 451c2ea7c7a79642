//! The mouse through the pure update: a press on the source starts choosing words at the word
//! under it, a drag extends the choice, a double press takes the whole name, the release says
//! what Enter does and Enter takes it; presses elsewhere focus a pane; the wheel scrolls the
//! source and the text under the pointer stays put; `[mouse] enabled = "off"` turns it all off.
//! Cells are found with `screen::point`, the layout the view draws by.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use retort::extraction::Alignment;
use retort::tui::action::{Action, Command, Side};
use retort::tui::form::rows;
use retort::tui::screen::{Point, point};
use retort::tui::state::{Pane, SourceScroll, State};
use retort::tui::update::update;
use std::time::{Duration, Instant};

const FILLER: &str = "the mixture was stirred for one hour and then ";

fn paragraph() -> String {
    format!(
        "Lithium hydroxide was added; {}washed with lithium hydroxide monohydrate, then (S)-2-amino-3-(4-hydroxyphenyl)propanoic acid methyl ester and µ-oxo-bis[Fe(III)] in THF.",
        FILLER.repeat(12)
    )
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn editing(width: u16, height: u16) -> State {
    let mut state = common::form::fields_open("compound", &paragraph(), "Water", (width, height));
    common::form::go_to(&mut state, &common::form::add_row("compound"));
    state
}

/// The screen cell showing the byte at which `text` starts (its `nth` occurrence).
fn cell_of(state: &State, text: &str, nth: usize) -> (u16, u16) {
    let byte = state
        .paragraph()
        .match_indices(text)
        .nth(nth)
        .expect("in the paragraph")
        .0;
    for row in 0..state.height {
        for column in 0..state.width {
            if point(state, column, row) == Some(Point::Source(byte)) {
                return (column, row);
            }
        }
    }
    panic!("{text:?} is not on the screen");
}

fn mouse(state: &mut State, kind: MouseEventKind, (column, row): (u16, u16), at: Instant) {
    update(state, Action::Tick(at));
    update(
        state,
        Action::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }),
    );
}

fn click(state: &mut State, cell: (u16, u16), at: Instant) {
    mouse(state, MouseEventKind::Down(MouseButton::Left), cell, at);
    mouse(state, MouseEventKind::Up(MouseButton::Left), cell, at);
}

use common::form::chosen;

#[test]
fn a_press_chooses_the_word_under_it_and_enter_takes_it() {
    let mut state = editing(160, 48);
    let now = Instant::now();
    let cell = cell_of(&state, "monohydrate", 0);
    click(&mut state, cell, now);
    assert_eq!(chosen(&state), "monohydrate");
    let notice = state.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.contains("Enter takes “monohydrate” as the value of compound"),
        "{notice}"
    );
    update(&mut state, key(KeyCode::Enter));
    let values = state.correction.form().unwrap().extraction.field_values(0, "compound");
    let taken = values.last().unwrap();
    assert_eq!(
        (taken.text.as_str(), taken.alignment),
        ("monohydrate", Alignment::Exact)
    );
    assert_eq!(
        taken.span.as_ref().unwrap().bytes.start,
        state.paragraph().find("monohydrate").unwrap(),
        "the occurrence pressed"
    );
}

#[test]
fn a_drag_extends_the_choice_both_ways_from_where_it_started() {
    let mut state = editing(160, 48);
    let now = Instant::now();
    let from = cell_of(&state, "lithium", 0);
    mouse(&mut state, MouseEventKind::Down(MouseButton::Left), from, now);
    let to = cell_of(&state, "monohydrate", 0);
    mouse(&mut state, MouseEventKind::Drag(MouseButton::Left), to, now);
    assert_eq!(
        chosen(&state),
        "lithium hydroxide monohydrate",
        "the comma is not the word's"
    );
    let back = cell_of(&state, "washed", 0);
    mouse(&mut state, MouseEventKind::Drag(MouseButton::Left), back, now);
    assert_eq!(chosen(&state), "washed with lithium");
    mouse(&mut state, MouseEventKind::Up(MouseButton::Left), back, now);
    assert!(state.pointer.anchor.is_none());
    // A drag after the release changes nothing.
    mouse(&mut state, MouseEventKind::Drag(MouseButton::Left), to, now);
    assert_eq!(chosen(&state), "washed with lithium");
}

#[test]
fn a_double_press_takes_the_whole_name_and_brackets_stay_with_their_word() {
    let mut state = editing(160, 48);
    let now = Instant::now();
    let cell = cell_of(&state, "(S)-2-amino", 0);
    click(&mut state, cell, now);
    assert_eq!(chosen(&state), "(S)-2-amino-3-(4-hydroxyphenyl)propanoic");
    click(&mut state, cell, now + Duration::from_millis(200));
    assert_eq!(
        chosen(&state),
        "(S)-2-amino-3-(4-hydroxyphenyl)propanoic acid methyl ester"
    );
    // Too slow for a double press: the word alone again.
    click(&mut state, cell, now + Duration::from_millis(1200));
    assert_eq!(chosen(&state), "(S)-2-amino-3-(4-hydroxyphenyl)propanoic");
    let greek = cell_of(&state, "µ-oxo", 0);
    click(&mut state, greek, now + Duration::from_secs(3));
    assert_eq!(chosen(&state), "µ-oxo-bis[Fe(III)]");
}

#[test]
fn the_wheel_scrolls_the_source_and_a_press_keeps_the_text_under_the_pointer() {
    // Narrow and short: the paragraph needs many rows.
    let mut state = editing(150, 14);
    let now = Instant::now();
    let on_source = cell_of(&state, "Lithium", 0);
    let at_top = point(&state, on_source.0, on_source.1);
    mouse(&mut state, MouseEventKind::ScrollDown, on_source, now);
    assert_eq!(state.source.scroll, SourceScroll::Rows(3));
    let scrolled = point(&state, on_source.0, on_source.1);
    assert_ne!(scrolled, at_top, "other text under the pointer");
    mouse(&mut state, MouseEventKind::ScrollUp, on_source, now);
    assert_eq!(point(&state, on_source.0, on_source.1), at_top, "back at the top");
    // Whatever is under a cell before a press is what the press chooses, and stays there.
    let cell = cell_of(&state, "stirred", 3);
    let before = point(&state, cell.0, cell.1);
    click(&mut state, cell, now);
    assert_eq!(chosen(&state), "stirred");
    assert_eq!(point(&state, cell.0, cell.1), before, "nothing moved under the pointer");
}

#[test]
fn presses_elsewhere_focus_a_pane_and_the_mouse_can_be_turned_off() {
    let mut state = common::tui_state("compound", &paragraph(), 160, 48);
    update(&mut state, Action::Command(Command::Run));
    common::finish_run(&mut state, Side::Main, "Water");
    let now = Instant::now();
    state.focus = Pane::Result;
    let lithium = cell_of(&state, "Lithium", 0);
    click(&mut state, lithium, now);
    assert_eq!(
        state.focus,
        Pane::Source,
        "no field editor: a press on the source focuses it"
    );
    click(&mut state, (150, 10), now);
    assert_eq!(state.focus, Pane::Result);

    let (keymap, error) = retort::tui::keymap::Keymap::load(Some("[mouse]\nenabled = \"off\"\n"));
    assert_eq!(error, None);
    state.keymap = keymap;
    click(&mut state, lithium, now);
    assert_eq!(state.focus, Pane::Result, "off: the mouse does nothing");
    let (_, error) = retort::tui::keymap::Keymap::load(Some("[mouse]\nenabled = \"maybe\"\n"));
    assert!(error.unwrap().contains("\"on\" or \"off\""));
}

#[test]
fn a_press_on_a_row_of_the_field_editor_makes_it_the_current_row() {
    let mut state = common::tui_state(
        "mof-synthesis",
        "Zn(NO3)2·6H2O (0.30 g) and H2BDC in DMF were heated at 120 °C for 24 h.",
        160,
        48,
    );
    update(&mut state, Action::Command(Command::Run));
    common::finish_run(
        &mut state,
        Side::Main,
        r#"[{"compound": "MOF-5", "metal": "Zn(NO3)2·6H2O"}]"#,
    );
    update(&mut state, Action::Command(Command::EditFields));
    let form = state.correction.form().unwrap();
    let listed = rows(state.task(), &form.extraction, form.record);
    assert_eq!(form.row, 0);
    // Find the screen row of the third field's row.
    let target = 2;
    let cell = (0..state.height)
        .flat_map(|y| (0..state.width).map(move |x| (x, y)))
        .find(|(x, y)| point(&state, *x, *y) == Some(Point::FormRow(target)))
        .expect("the row is on screen");
    click(&mut state, cell, Instant::now());
    assert_eq!(state.correction.form().unwrap().row, target, "{:?}", listed[target]);
    assert_eq!(state.focus, Pane::Form);
}

#[test]
fn the_wheel_over_the_result_moves_through_its_values() {
    let mut state = common::tui_state("compound", &paragraph(), 160, 48);
    update(&mut state, Action::Command(Command::Run));
    common::finish_run(&mut state, Side::Main, "Lithium hydroxide | THF | ethanol");
    state.focus = Pane::Source;
    assert_eq!(state.result.selected, 0);
    let over_result = (120, 10);
    assert_eq!(
        point(&state, over_result.0, over_result.1),
        Some(Point::Pane(Pane::Result))
    );
    mouse(&mut state, MouseEventKind::ScrollDown, over_result, Instant::now());
    assert_eq!((state.focus, state.result.selected), (Pane::Result, 1));
    mouse(&mut state, MouseEventKind::ScrollDown, over_result, Instant::now());
    mouse(&mut state, MouseEventKind::ScrollUp, over_result, Instant::now());
    assert_eq!(state.result.selected, 1);
}

/// Where `text` is drawn in the result pane: its first cell.
fn drawn_at(state: &State, text: &str) -> (u16, u16) {
    let screen = common::render_text(state);
    let (_, panes) = retort::tui::screen::panes(state, retort::tui::screen::regions(state).main);
    let (_, area) = panes
        .into_iter()
        .find(|(p, _)| *p == Pane::Result)
        .expect("the result is shown");
    let wanted: Vec<char> = text.chars().collect();
    for (y, line) in screen.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let columns = area.x as usize..(area.x + area.width) as usize;
        if let Some(x) = columns
            .clone()
            .find(|&x| x < chars.len() && chars[x..].starts_with(&wanted))
        {
            return (x as u16, y as u16);
        }
    }
    panic!("{text:?} is not drawn in the result:\n{screen}");
}

fn result_state(task: &str, paragraph: &str, reply: &str) -> State {
    let mut state = common::tui_state(task, paragraph, 160, 30);
    update(&mut state, Action::Command(Command::Run));
    common::finish_run(&mut state, Side::Main, reply);
    state.focus = Pane::Source;
    state
}

fn index_of(state: &State, text: &str) -> usize {
    let values = state.highlighted().unwrap().values();
    values.iter().position(|(_, v)| v.text == text).expect("a value")
}

#[test]
fn a_press_on_a_value_of_the_result_selects_it_in_every_layout() {
    let now = Instant::now();
    // A value per line.
    let mut state = result_state("compound", &paragraph(), "Lithium hydroxide | THF | ethanol");
    let thf = drawn_at(&state, "THF");
    click(&mut state, (thf.0 + 1, thf.1), now);
    assert_eq!((state.focus, state.result.selected), (Pane::Result, 1));
    assert_eq!(state.source.scroll, SourceScroll::FollowSelection);
    let ethanol = drawn_at(&state, "ethanol");
    click(&mut state, ethanol, now);
    assert_eq!(state.result.selected, 2);
    // Below the last value: the pane, nothing selected anew.
    click(&mut state, (ethanol.0, ethanol.1 + 3), now);
    assert_eq!((state.focus, state.result.selected), (Pane::Result, 2));

    // The table of fields × records (JSON), the second record's column.
    let mut state = result_state(
        "mof-synthesis",
        "Zn(NO3)2·6H2O and H2BDC in DMF gave MOF-5; Cu(NO3)2 and H3BTC in ethanol gave HKUST-1.",
        r#"[{"compound name": "MOF-5", "metal source": "Zn(NO3)2·6H2O", "solvent": "DMF"}, {"compound name": "HKUST-1", "metal source": "Cu(NO3)2", "solvent": "ethanol"}]"#,
    );
    let copper = drawn_at(&state, "Cu(NO3)2");
    click(&mut state, (copper.0 + 3, copper.1), now);
    assert_eq!(state.result.selected, index_of(&state, "Cu(NO3)2"));
    let dmf = drawn_at(&state, "DMF");
    click(&mut state, dmf, now);
    assert_eq!(state.result.selected, index_of(&state, "DMF"));

    // An action's line wrapped over rows: a value on its second row.
    let solvents = "ethyl acetate, dichloromethane, diethyl ether, toluene, chloroform, heptane, hexane";
    let paragraph = format!("The mixture was extracted with {solvents} and washed with brine.");
    let reply = format!("EXTRACT with {solvents}; WASH with brine.");
    let mut state = result_state("action", &paragraph, &reply);
    let hexane = drawn_at(&state, "hexane");
    let row_of_extract = drawn_at(&state, "EXTRACT").1;
    assert!(hexane.1 > row_of_extract, "the line wraps");
    click(&mut state, hexane, now);
    let text = |state: &State| {
        state.highlighted().unwrap().values()[state.result.selected]
            .1
            .text
            .clone()
    };
    assert!(text(&state).contains("hexane"), "{}", text(&state));
    let brine = drawn_at(&state, "brine");
    click(&mut state, brine, now);
    assert_eq!(text(&state), "with brine.");
}
