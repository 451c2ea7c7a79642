//! The hint bar: the commands worth showing for who has the keys, those that can run now, with
//! the keys the key map binds to them.

use super::command::Command;
use super::keymap::Scope;
use super::state::State;

/// The commands to hint at in `scope`, most useful first.
fn wanted(scope: Scope) -> &'static [Command] {
    use Command::*;
    match scope {
        Scope::Source => &[Run, EditSource, PickTask, PickModel, Save, Help, Quit],
        Scope::Result | Scope::Global => &[
            Run, SelectNext, ToggleRaw, Edit, AdoptLeft, AdoptRight, Save, Help, Quit,
        ],
        Scope::Compare => &[ScrollDown, RunCompare, AdoptLeft, AdoptRight, PickCompareModel, Help],
        Scope::Editor => &[Accept, ClearAnswer, Close, Help],
        Scope::Browser => &[Open, Close, SelectNext],
        Scope::Outline => &[Open, SelectNext, Close],
        Scope::SourceInput => &[Close, Quit],
        Scope::Overlay => &[Close],
        Scope::Picker => &[Choose, SelectNext, ToggleGrounding, Close],
        Scope::Form => &[
            Accept, EditValue, SelectSpan, ClearValue, AddValue, NextRecord, Edit, Close,
        ],
        Scope::FormInput => &[Choose, Close],
        Scope::Select => &[
            LabelJump,
            Search,
            SearchNext,
            WordNext,
            ExtendSelection,
            WholeName,
            Choose,
            Close,
        ],
        Scope::SelectSearch => &[Choose, SearchNext, ExtendSelection, Close],
        Scope::Review => &[
            ReviewAccept,
            EditFields,
            ReviewReject,
            ReviewSkip,
            ReviewUndo,
            ReviewJump,
            ReviewNext,
            AdoptLeft,
            AdoptRight,
            Help,
        ],
    }
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
        .filter(|c| super::update::available(state, **c))
        .filter(|c| state.compare.open || !matches!(c, Command::AdoptLeft | Command::AdoptRight))
        .filter_map(|c| Some((state.keymap.key_for(scope, *c)?, *c)))
        .collect()
}
