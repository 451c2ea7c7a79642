//! The review queue in the workbench: the item on screen is loaded into the panes (paragraph,
//! left and right runs), one key decides and moves on, every decision is an effect the driver
//! writes at once, and the look-ahead asks for the runs of the next items. Pure handlers.

use super::action::{Command, Effect, PreAnnotation, RunJob, Side};
use super::phase::Phase;
use super::picker;
use super::state::{Level, Mode, Overlay, Pane, PickerKind, ResultView, RunSlot, SourceScroll, State};
use crate::clock::now;
use crate::dataset::store::StoreError;
use crate::dataset::store::{SavedExample, new_id};
use crate::extraction::Extraction;
use crate::review::REJECT_REASONS;
use crate::review::decisions::{Decision, Verdict, edit_distance};
use crate::review::record::{DecisionWrite, ExampleChange};
use ratatui_textarea::TextArea;

pub use super::review_state::{ReviewState, Saving};

/// The queue's meaning of a command while a queue is open: its own commands, and accepting an
/// open editor decides the item; a correction starts in the field editor, from either side.
pub(super) fn handle(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    state.review.as_ref()?;
    let editing = matches!(
        state.correction.phase(),
        Phase::EditingText { .. } | Phase::EditingFields { .. }
    );
    Some(match command {
        Command::ReviewAccept => accept(state),
        Command::Accept if editing => accept(state),
        Command::AdoptLeft => super::form::open(state, Side::Main),
        Command::AdoptRight => super::form::open(state, Side::Compare),
        Command::ReviewReject => open_reject_reasons(state),
        Command::ReviewSkip => skip(state),
        Command::ReviewUndo => undo(state),
        Command::ReviewJump => open_jump(state),
        Command::ReviewSummary => open_summary(state),
        Command::ReviewNext => step(state, true),
        Command::ReviewPrev => step(state, false),
        _ => return None,
    })
}

/// Whether `command` would do something in the queue now (`None`: not the queue's command).
pub(super) fn can(state: &State, command: Command) -> Option<bool> {
    let review = state.review.as_ref()?;
    Some(match command {
        Command::ReviewAccept => super::correction::can_accept(state),
        Command::ReviewUndo => !review.queue.log.is_empty(),
        Command::AdoptLeft => state.runs[Side::Main].run.is_some(),
        Command::AdoptRight => state.runs[Side::Compare].run.is_some(),
        Command::ReviewReject | Command::ReviewSkip | Command::ReviewJump | Command::ReviewSummary => true,
        Command::ReviewNext => review.queue.position + 1 < review.queue.order.len(),
        Command::ReviewPrev => review.queue.position > 0,
        _ => return None,
    })
}

/// A queue was opened: the workbench switches to its task and shows its first open item.
pub(super) fn opened(state: &mut State, mut review: ReviewState, problems: Vec<String>) -> Vec<Effect> {
    if let Some(i) = state.tasks.iter().position(|t| t.name == review.queue.task) {
        state.task = i;
    }
    if review.annotators[Side::Main].is_none() && review.queue.items.iter().any(|i| i.runs[Side::Main].is_none()) {
        review.annotators[Side::Main] = state.profile().is_some().then_some(state.model);
    }
    let counts = review.queue.counts();
    let name = review.queue.name.clone();
    state.review = Some(Box::new(review));
    let mut effects = show_current(state);
    let mut text = format!(
        "queue {name}: {} paragraphs, {} left",
        state.review.as_ref().map_or(0, |r| r.queue.items.len()),
        counts.left
    );
    if let Some(passed) = state.review.as_ref().and_then(|r| r.passed_over.summary()) {
        text.push_str(&format!(" · {passed}"));
    }
    if !problems.is_empty() {
        text.push_str(&format!(" · {} problem(s): {}", problems.len(), problems[0]));
    }
    let level = if problems.is_empty() { Level::Info } else { Level::Error };
    state.notify(text, level);
    effects.push(Effect::LoadPool(state.task().name.clone()));
    effects
}

/// Loads the queue's current item into the panes and asks for the runs the look-ahead wants.
pub(super) fn show_current(state: &mut State) -> Vec<Effect> {
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    let Some(index) = review.queue.current() else {
        return Vec::new();
    };
    let item = &review.queue.items[index];
    let mut source = TextArea::new(item.paragraph.split('\n').map(String::from).collect());
    source.set_max_histories(200);
    state.source.area = source;
    for side in Side::BOTH {
        let run = item.runs[side].clone();
        state.runs[side] = RunSlot {
            profile: review.annotators[side],
            streamed: run.as_ref().map(|r| r.raw_reply.clone()).unwrap_or_default(),
            run,
            ..RunSlot::default()
        };
    }
    state.compare.open = item.runs[Side::Compare].is_some() || review.annotators[Side::Compare].is_some();
    review.shown += 1;
    review.shown_ready += usize::from(item.runs[Side::Main].is_some());
    review.shown_at = state.now;
    let gold = review
        .queue
        .decision(index)
        .and_then(|d| Some((d.extraction.clone()?, d.answer.clone()?)));
    let failed = item.runs[Side::Main]
        .as_ref()
        .is_some_and(|r| r.outcome.is_error() || r.parse_error.is_some());
    state.result.selected = 0;
    state.compare.scroll = 0;
    state.source.scroll = SourceScroll::Rows(0);
    state.result.view = if failed {
        ResultView::Raw
    } else {
        ResultView::Structured
    };
    if matches!(state.focus, Pane::Editor | Pane::Browser | Pane::Form) {
        state.focus = Pane::Result;
    }
    state.set_phase(gold.map_or(Phase::Viewing, Phase::Accepted));
    state.reground();
    let effects = lookahead(state);
    mark_waiting(state);
    effects
}

/// The item on screen shows as running on each side whose run is being made.
fn mark_waiting(state: &mut State) {
    let Some(review) = state.review.as_deref() else { return };
    let Some(item) = review.queue.current() else { return };
    for side in Side::BOTH {
        let slot = &mut state.runs[side];
        slot.running = slot.run.is_none() && review.in_flight.contains(&(item, side));
        if slot.running {
            slot.started = state.now;
            slot.now = state.now;
        }
    }
}

/// Asks for the runs of the current and next items that have none and are not being made.
pub(super) fn lookahead(state: &mut State) -> Vec<Effect> {
    let task = state.task().clone();
    let pool = state.pool.clone();
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    let mut effects = Vec::new();
    for item in review.queue.upcoming(review.lookahead + 1) {
        for side in Side::BOTH {
            let Some(profile) = review.annotators[side].and_then(|p| state.profiles.get(p)) else {
                continue;
            };
            if review.queue.items[item].runs[side].is_some() || !review.in_flight.insert((item, side)) {
                continue;
            }
            let entry = &review.queue.items[item];
            effects.push(Effect::PreAnnotate(Box::new(PreAnnotation {
                item,
                id: entry.id.clone(),
                place: entry.place.clone(),
                output: review.files.runs[side].clone(),
                job: RunJob {
                    slot: side,
                    task: task.clone(),
                    profile: profile.clone(),
                    paragraph: entry.paragraph.clone(),
                    pool: pool.clone(),
                },
            })));
        }
    }
    effects
}

/// A look-ahead run came back: kept in the queue, and shown if its item is on screen.
pub(super) fn pre_annotated(state: &mut State, item: usize, side: Side, run: crate::llm::Run) -> Vec<Effect> {
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    review.in_flight.remove(&(item, side));
    review.queue.set_run(item, side, run.clone());
    if review.queue.current() == Some(item) {
        super::runs::on_run_finished(state, side, run);
    }
    lookahead(state)
}

/// A look-ahead run was lost: its item is no longer waited for (`r` runs it).
pub(super) fn pre_annotation_lost(state: &mut State, item: usize, side: Side, error: &str) -> Vec<Effect> {
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    review.in_flight.remove(&(item, side));
    if review.queue.current() == Some(item) {
        state.runs[side].running = false;
    }
    state.notify(
        format!("the pre-annotation failed ({error}); r runs it again"),
        Level::Error,
    );
    Vec::new()
}

/// `a`: the editor's text if open, else the accepted gold, else the model's run as is.
pub(super) fn accept(state: &mut State) -> Vec<Effect> {
    let task = state.task().clone();
    let chosen = match state.correction.to_accept() {
        Some(Ok(extraction)) => Some(extraction),
        Some(Err(e)) => {
            state.notify(format!("fix the text first: {e}"), Level::Error);
            return Vec::new();
        }
        None => state.runs[Side::Main].extraction().cloned(),
    };
    let Some(extraction) = chosen else {
        state.notify(
            "nothing to accept: e writes the answer, x rejects the paragraph",
            Level::Error,
        );
        return Vec::new();
    };
    if super::correction::asks_about_unfound(state, &extraction) {
        return Vec::new();
    }
    let text = task.render(&extraction);
    let model_text = model_answer(state).map(|(_, text)| text);
    let verdict = if model_text.as_deref() == Some(text.as_str()) {
        Verdict::Accepted
    } else {
        Verdict::Corrected
    };
    decide(state, verdict, Some((extraction, text)), None)
}

/// The run the correction started from (the side the editor adopted, else the left): its
/// extraction and canonical text, or the raw answer when it did not parse.
fn model_answer(state: &State) -> Option<(Option<Extraction>, String)> {
    let side = state.correction.from();
    let run = state.runs[side].run.as_ref()?;
    if run.outcome.is_error() {
        return None;
    }
    Some(match &run.extraction {
        Some(extraction) => (Some(extraction.clone()), state.task().render(extraction)),
        None => (None, run.answer.clone()),
    })
}

pub(super) fn skip(state: &mut State) -> Vec<Effect> {
    decide(state, Verdict::Skipped, None, None)
}

pub(super) fn open_reject_reasons(state: &mut State) -> Vec<Effect> {
    if state.review.is_none() {
        return Vec::new();
    }
    let items = REJECT_REASONS.iter().map(|r| r.to_string()).collect();
    state.mode = Mode::Overlay(Overlay::Picker(picker::open(PickerKind::RejectReason, items, 0)));
    state.notify("why? pick a reason or type your own, Enter rejects", Level::Info);
    Vec::new()
}

pub(super) fn reject(state: &mut State, reason: String) -> Vec<Effect> {
    decide(state, Verdict::Rejected, None, Some(reason))
}

/// Records a decision on the item on screen, saves accepted and corrected answers as examples,
/// and shows the next item (or the summary when none is left).
fn decide(
    state: &mut State,
    verdict: Verdict,
    answer: Option<(Extraction, String)>,
    reason: Option<String>,
) -> Vec<Effect> {
    if still_saving(state) {
        return Vec::new();
    }
    let model = model_answer(state);
    let paragraph = state.paragraph();
    let task = state.task().name.clone();
    let runs: Vec<serde_json::Value> = state
        .runs
        .iter()
        .filter_map(|s| s.run.as_ref())
        .filter_map(|r| serde_json::to_value(r).ok())
        .collect();
    let now_instant = state.now;
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    let Some(index) = review.queue.current() else {
        return Vec::new();
    };
    let item_id = review.queue.items[index].id.clone();
    let seconds = match (now_instant, review.shown_at) {
        (Some(now), Some(shown)) => now.saturating_duration_since(shown).as_secs_f64(),
        _ => 0.0,
    };
    let (model_extraction, model_text) = match model {
        Some((extraction, text)) => (extraction, Some(text)),
        None => (None, None),
    };
    let example = answer.as_ref().map(|(extraction, text)| SavedExample {
        id: new_id(),
        task: task.clone(),
        paragraph: paragraph.clone(),
        answer: text.clone(),
        extraction: extraction.clone(),
        runs,
        saved_at: now(),
        provenance: format!("review:{} {} #{item_id}", review.queue.name, verdict.label()),
        source_id: Some(item_id.clone()),
    });
    let decision = Decision {
        seq: review.queue.next_seq(),
        item: item_id.clone(),
        verdict,
        reason,
        edit_distance: match (&model_text, &answer) {
            (Some(from), Some((_, to))) => Some(edit_distance(from, to)),
            _ => None,
        },
        model_answer: model_text,
        model_extraction,
        answer: answer.as_ref().map(|(_, t)| t.clone()),
        extraction: answer.map(|(e, _)| e),
        seconds,
        example: example.as_ref().map(|e| e.id.clone()),
        undoes: None,
        at: String::new(),
    };
    review.saving = Some(Saving::Decision(Box::new(decision.clone())));
    let write = DecisionWrite {
        log: review.files.decisions.clone(),
        decision,
        change: example.map_or(ExampleChange::Keep, |e| ExampleChange::Save(Box::new(e))),
    };
    state.notify(format!("saving: {} {item_id}…", verdict.label()), Level::Info);
    vec![Effect::WriteDecision(Box::new(write))]
}

/// While a decision is on its way to disk, no other is taken (they would be numbered after a
/// line that may never be written).
fn still_saving(state: &mut State) -> bool {
    let Some(saving) = state.review.as_deref().and_then(|r| r.saving.as_ref()) else {
        return false;
    };
    let item = saving.line().item.clone();
    state.notify(format!("still saving the decision on {item}…"), Level::Info);
    true
}

/// The driver wrote a decision, or could not: only now does the queue show it as made. A
/// decision not on disk leaves its paragraph on screen, undecided, with the reason.
pub(super) fn decision_written(state: &mut State, seq: u64, error: Option<StoreError>) -> Vec<Effect> {
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    let Some(saving) = review.saving.take_if(|s| s.line().seq == seq) else {
        return Vec::new();
    };
    if let Some(error) = error {
        let what = match &saving {
            Saving::Decision(d) => format!("{} stays undecided", d.item),
            Saving::Undo { taken_back, .. } => {
                format!("the {} of {} stands", taken_back.verdict.label(), taken_back.item)
            }
        };
        state.notify(
            format!("NOT saved, {what}: {error} — make room and try again"),
            Level::Error,
        );
        return Vec::new();
    }
    match saving {
        Saving::Decision(decision) => decided(state, *decision),
        Saving::Undo { undo, taken_back } => undone(state, *undo, &taken_back),
    }
}

/// A decision on disk: the queue counts it and moves on.
fn decided(state: &mut State, decision: Decision) -> Vec<Effect> {
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    let (verdict, item_id) = (decision.verdict, decision.item.clone());
    review.queue.decide(decision);
    let counts = review.queue.counts();
    let finished = review.queue.finished();
    state.notify(
        format!("{} {item_id} · {} left", verdict.label(), counts.left),
        Level::Info,
    );
    if finished {
        // The decision is on disk: nothing is left to edit behind the summary.
        state.correction.close_editor();
        if matches!(state.focus, Pane::Editor | Pane::Form) {
            state.focus = Pane::Result;
        }
        state.notify("the queue is done: every paragraph has a decision", Level::Info);
        return open_summary(state);
    }
    show_current(state)
}

/// `Backspace`: takes back the newest decision; its item comes back on screen and its saved
/// example is withdrawn (superseded in the store, not deleted).
pub(super) fn undo(state: &mut State) -> Vec<Effect> {
    if still_saving(state) {
        return Vec::new();
    }
    let task = state.task().name.clone();
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    let Some((undo, taken_back)) = review.queue.undo_line() else {
        state.notify("no decision to undo", Level::Info);
        return Vec::new();
    };
    let change = match &taken_back.example {
        Some(id) => ExampleChange::Withdraw { task, id: id.clone() },
        None => ExampleChange::Keep,
    };
    let write = DecisionWrite {
        log: review.files.decisions.clone(),
        decision: undo.clone(),
        change,
    };
    review.saving = Some(Saving::Undo {
        undo: Box::new(undo),
        taken_back: Box::new(taken_back),
    });
    vec![Effect::WriteDecision(Box::new(write))]
}

/// An undo on disk: its item comes back on screen.
fn undone(state: &mut State, undo: Decision, taken_back: &Decision) -> Vec<Effect> {
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    review.queue.apply_undo(undo);
    let effects = show_current(state);
    state.notify(
        format!("undid: {} {}", taken_back.verdict.label(), taken_back.item),
        Level::Info,
    );
    effects
}

/// `g`: a fuzzy list of the queue's items in walking order.
pub(super) fn open_jump(state: &mut State) -> Vec<Effect> {
    let Some(review) = state.review.as_deref() else {
        return Vec::new();
    };
    let queue = &review.queue;
    let items = queue
        .order
        .iter()
        .enumerate()
        .map(|(p, &i)| {
            let mark = queue.verdict(i).map_or("·", |v| v.label());
            let text: String = queue.items[i].paragraph.chars().take(70).collect();
            // A paper's blocks show where they are: an outline of the document.
            let name = match &queue.items[i].place {
                Some(place) => format!("{} {}", place.kind, place.section_path()),
                None => queue.items[i].id.clone(),
            };
            let risks: Vec<String> = queue.risks[i].iter().map(|r| r.describe()).collect();
            let risks = if risks.is_empty() {
                String::new()
            } else {
                format!(" [{}]", risks.join(", "))
            };
            format!("{:>5} {mark:<9} {name}{risks} — {}", p + 1, text.replace('\n', " "))
        })
        .collect();
    let (position, finished) = (queue.position, queue.finished());
    if finished {
        state.notify(
            "every paragraph is decided: choose one to see or change its decision (Backspace undoes the last)",
            Level::Info,
        );
    }
    state.mode = Mode::Overlay(Overlay::Picker(picker::open(PickerKind::QueueItem, items, position)));
    Vec::new()
}

/// The next or previous item of the walking order, nothing decided (a paper read block by
/// block).
fn step(state: &mut State, forward: bool) -> Vec<Effect> {
    let Some(review) = state.review.as_deref() else {
        return Vec::new();
    };
    let position = review.queue.position;
    let to = if forward {
        position + 1
    } else {
        position.saturating_sub(1)
    };
    if to == position || to >= review.queue.order.len() {
        return Vec::new();
    }
    jump(state, to)
}

/// Shows the item at `position` of the walking order.
pub(super) fn jump(state: &mut State, position: usize) -> Vec<Effect> {
    let Some(review) = state.review.as_deref_mut() else {
        return Vec::new();
    };
    if let Some(&item) = review.queue.order.get(position) {
        review.queue.jump(item);
    }
    show_current(state)
}

pub(super) fn open_summary(state: &mut State) -> Vec<Effect> {
    let Some(review) = state.review.as_deref() else {
        state.notify("no queue open: o opens one", Level::Info);
        return Vec::new();
    };
    let summary = crate::review::summary::summarize(&review.queue, state.task());
    let text = crate::review::summary::render_text(&summary);
    state.mode = Mode::Overlay(Overlay::Summary(text));
    Vec::new()
}
