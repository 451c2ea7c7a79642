//! The field editor opened on a finished run, for tests of choosing words by key and by mouse.

use retort::tui::action::{Action, Command, Side};
use retort::tui::form::{Row, rows};
use retort::tui::state::State;
use retort::tui::update::update;

/// A workbench of `width`×`height` on `paragraph` whose run replied `reply`, the field editor open.
pub fn fields_open(task: &str, paragraph: &str, reply: &str, (width, height): (u16, u16)) -> State {
    let mut state = super::tui_state(task, paragraph, width, height);
    update(&mut state, Action::Command(Command::Run));
    super::finish_run(&mut state, Side::Main, reply);
    update(&mut state, Action::Command(Command::EditFields));
    state
}

/// Moves the field editor's cursor to the first row that is `row`, with `j` and `k`.
pub fn go_to(state: &mut State, row: &Row) {
    let form = state.correction.form().expect("the form is open");
    let at = rows(state.task(), &form.extraction, form.record)
        .iter()
        .position(|r| r == row)
        .unwrap_or_else(|| panic!("no row {row:?}"));
    let from = form.row;
    let (steps, down) = if at >= from { (at - from, 'j') } else { (from - at, 'k') };
    for _ in 0..steps {
        update(state, super::key_char(down));
    }
}

/// The row that adds a value to `field`.
pub fn add_row(field: &str) -> Row {
    Row::Add { field: field.into() }
}

/// The words being chosen.
pub fn chosen(state: &State) -> String {
    let form = state.correction.form().expect("the form is open");
    let selection = form.selecting.as_ref().expect("choosing words");
    state.paragraph()[selection.bytes()].to_string()
}
