//! A paper's outline (pure): with a queue open, `O` shows its blocks in reading order under their
//! sections, the one on screen marked; `j`/`k` move, Enter puts the highlighted block in the
//! source pane (its section path and page with it, as the queue shows them), Esc goes back to
//! the result. The outline follows the queue: a block reached by `>` or a decision is the one
//! highlighted when the outline is opened again.

use super::action::{Command, Effect};
use super::state::{Pane, State};

/// `O` wherever a queue is open; moving, Enter and Esc while the outline has the keys.
pub fn handle(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    can(state, command)?;
    Some(match command {
        Command::Outline => open(state),
        Command::SelectNext => select(state, true),
        Command::SelectPrev => select(state, false),
        Command::Open => go(state),
        _ => close(state),
    })
}

/// Whether the outline gives `command` a meaning now (`Some`), and whether it can run.
pub fn can(state: &State, command: Command) -> Option<bool> {
    state.review.as_ref()?;
    match command {
        Command::Outline => Some(true),
        Command::SelectNext | Command::SelectPrev | Command::Open | Command::Close if state.focus == Pane::Outline => {
            Some(true)
        }
        _ => None,
    }
}

/// `O`: the outline, at the block on screen.
pub fn open(state: &mut State) -> Vec<Effect> {
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    review.outline_selected = review.queue.position;
    state.focus = Pane::Outline;
    Vec::new()
}

/// Moves the highlight one block down or up (it stops at the ends).
pub fn select(state: &mut State, forward: bool) -> Vec<Effect> {
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    let last = review.queue.order.len().saturating_sub(1);
    review.outline_selected = if forward {
        (review.outline_selected + 1).min(last)
    } else {
        review.outline_selected.saturating_sub(1)
    };
    Vec::new()
}

/// Enter: the highlighted block goes on screen; the outline stays, for the next.
pub fn go(state: &mut State) -> Vec<Effect> {
    let Some(position) = state.review.as_deref().map(|r| r.outline_selected) else {
        return Vec::new();
    };
    let effects = super::review::jump(state, position);
    state.focus = Pane::Outline;
    effects
}

/// Esc: back to the result.
pub fn close(state: &mut State) -> Vec<Effect> {
    state.focus = Pane::Result;
    Vec::new()
}

/// One row of the outline as drawn: a heading (its depth), or a block (its walking position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Heading { depth: usize, text: String },
    Block { position: usize },
}

/// The outline's rows: before each block, the headings of its section that the block before it
/// did not share.
pub fn rows(state: &State) -> Vec<Row> {
    let Some(review) = state.review.as_deref() else {
        return Vec::new();
    };
    let queue = &review.queue;
    let mut rows = Vec::new();
    let mut above: &[String] = &[];
    for (position, &item) in queue.order.iter().enumerate() {
        let section: &[String] = queue.items[item].place.as_ref().map_or(&[], |p| p.section.as_slice());
        let shared = above.iter().zip(section).take_while(|(a, b)| a == b).count();
        for (depth, text) in section.iter().enumerate().skip(shared) {
            rows.push(Row::Heading {
                depth,
                text: text.clone(),
            });
        }
        rows.push(Row::Block { position });
        above = section;
    }
    rows
}
