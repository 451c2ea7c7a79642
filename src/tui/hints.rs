//! The hint bar: the commands worth showing for who has the keys, those that can run now, with
//! the keys the key map binds to them.

use super::action::{Command, Side};
use super::keymap::Scope;
use super::state::{Mode, Overlay, Pane, State};

/// The commands to hint at in `scope`, most useful first.
fn wanted(scope: Scope) -> &'static [Command] {
    use Command::*;
    match scope {
        Scope::Source => &[Run, EditSource, PickTask, PickModel, Save, Help, Quit],
        Scope::Result | Scope::Global => &[Run, SelectNext, ToggleRaw, Edit, Save, Help, Quit],
        Scope::Compare => &[RunCompare, AdoptLeft, AdoptRight, PickCompareModel, Help],
        Scope::Editor => &[Accept, Close, Help],
        Scope::Browser => &[Open, Close, SelectNext],
        Scope::SourceInput => &[Close, Quit],
        Scope::Overlay => &[Close],
        Scope::Picker => &[Choose, SelectNext, Close],
        Scope::Form => &[
            Accept, EditValue, SelectSpan, ClearValue, AddValue, NextRecord, Edit, Close,
        ],
        Scope::FormInput => &[Choose, Close],
        Scope::Select => &[WordNext, ExtendSelection, Choose, Close],
        Scope::Review => &[
            ReviewAccept,
            EditFields,
            ReviewReject,
            ReviewSkip,
            ReviewUndo,
            ReviewJump,
            Help,
        ],
    }
}

/// Whether `command` would do something now (a command that cannot is not hinted).
pub fn available(state: &State, command: Command) -> bool {
    let main = &state.runs[Side::Main];
    match command {
        Command::Run => !state.paragraph().trim().is_empty() && state.profile().is_some(),
        Command::Save => state.gold.is_some() || main.extraction().is_some() || editor_parses(state),
        Command::Accept => state.form.is_some() || editor_parses(state) || main.extraction().is_some(),
        Command::AdoptLeft => main.run.is_some(),
        Command::AdoptRight => state.runs[Side::Compare].run.is_some(),
        Command::Open => !state.browser.is_empty(),
        Command::SelectNext | Command::SelectPrev => match (&state.mode, state.focus) {
            (Mode::Overlay(Overlay::Picker(picker)), _) => !picker.matches.is_empty(),
            (_, Pane::Browser) => !state.browser.is_empty(),
            _ => state.value_count() > 0,
        },
        Command::ReviewAccept => editor_parses(state) || state.gold.is_some() || main.extraction().is_some(),
        Command::NextRecord => state.form.as_ref().is_some_and(|f| f.extraction.records.len() > 1),
        Command::ReviewUndo => state.review.as_ref().is_some_and(|r| !r.queue.log.is_empty()),
        Command::Choose => {
            matches!(state.overlay(), Some(Overlay::Picker(p)) if !p.matches.is_empty())
                || state
                    .form
                    .as_ref()
                    .is_some_and(|f| f.input.is_some() || f.selecting.is_some())
        }
        _ => true,
    }
}

fn editor_parses(state: &State) -> bool {
    state.editor.as_ref().is_some_and(|e| e.parsed.is_ok())
}

/// (key, command) pairs for the hint bar.
pub fn hints(state: &State) -> Vec<(String, Command)> {
    let scope = if state.review_keys() {
        Scope::Review
    } else {
        state.key_scope()
    };
    wanted(scope)
        .iter()
        .filter(|c| available(state, **c))
        .filter_map(|c| Some((state.keymap.key_for(scope, *c)?, *c)))
        .collect()
}
