//! The review queue through the pure update: a queue opened on an extract output written to
//! disk, decided key by key; the test plays the driver (decisions appended to the real log,
//! examples to the real store) and reopens the queue from those files.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use retort::dataset::store::Store;
use retort::llm::{RunRequest, from_reply};
use retort::review::decisions::{self, Verdict};
use retort::review::open::{Access, ReviewOptions, open_file};
use retort::review::record::{self, ExampleChange};
use retort::review::risk::Order;
use retort::tui::action::{Action, Effect};
use retort::tui::review::ReviewState;
use retort::tui::state::{Overlay, Pane, PickerKind, State};
use retort::tui::update::update;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const PARAGRAPHS: [(&str, &str, &str); 5] = [
    ("p1", "Ethanol and THF were stirred.", "Ethanol | THF"),
    ("p2", "Toluene was added to benzene.", "Toluene | benzene | unobtainium"),
    ("p3", "Acetone was evaporated.", "Acetone"),
    ("p4", "The weather was fine.", "water"),
    ("p5", "Methanol dissolved the salt.", "Methanol"),
];

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn char_key(c: char) -> Action {
    key(KeyCode::Char(c))
}

/// Writes an extract output of the compound task: one real run (parsed, grounded) per paragraph.
fn write_extract_output(dir: &Path) -> PathBuf {
    let state = common::tui_state("compound", "", 120, 40);
    let mut text = String::new();
    for (id, paragraph, reply) in PARAGRAPHS {
        let run = from_reply(&RunRequest::new(state.task(), &state.profiles[0], paragraph), reply);
        text.push_str(&retort::llm::run_line::RunLine::new(id, paragraph, &run).to_line());
        text.push('\n');
    }
    let path = dir.join("corpus.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

struct Bench {
    dir: tempfile::TempDir,
    corpus: PathBuf,
    state: State,
    clock: Instant,
}

impl Bench {
    fn open() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let corpus = write_extract_output(dir.path());
        let mut bench = Bench {
            state: common::tui_state("compound", "", 160, 48),
            corpus,
            dir,
            clock: Instant::now(),
        };
        bench.reopen();
        bench
    }

    fn reviews(&self) -> PathBuf {
        self.dir.path().join("reviews")
    }

    fn store(&self) -> Store {
        Store::new(self.dir.path().join("examples"))
    }

    /// Opens the queue from its files, as `retort review` does.
    fn reopen(&mut self) {
        let options = ReviewOptions {
            ..ReviewOptions::default()
        };
        // The previous session lets go of the queue first, as a process ending does.
        self.state = common::tui_state("compound", "", 160, 48);
        let opened = open_file(
            &self.corpus,
            &options,
            &self.state.tasks.clone(),
            &self.reviews(),
            Access::Decide,
        )
        .unwrap();
        let review = ReviewState::new(opened, Default::default(), 3);
        self.send(Action::Tick(self.clock));
        self.send(Action::QueueOpened(Box::new(review), Vec::new()));
    }

    /// Sends an action and carries out the effects a driver would (files only): a decision is
    /// written as the driver writes it and its outcome sent back. Returns every effect.
    fn send(&mut self, action: Action) -> Vec<Effect> {
        let effects = update(&mut self.state, action);
        let mut all = effects.clone();
        for effect in &effects {
            if let Effect::WriteDecision(write) = effect {
                let outcome = record::write(write, &self.store());
                all.extend(self.send(Action::DecisionWritten {
                    seq: write.decision.seq,
                    error: outcome.err(),
                }));
            }
        }
        all
    }

    /// `seconds` pass, then `action`.
    fn after(&mut self, seconds: u64, action: Action) -> Vec<Effect> {
        self.clock += Duration::from_secs(seconds);
        self.send(Action::Tick(self.clock));
        self.send(action)
    }

    fn current_id(&self) -> String {
        let review = self.state.review.as_ref().unwrap();
        review.queue.items[review.queue.current().unwrap()].id.clone()
    }

    fn log(&self) -> Vec<decisions::Decision> {
        let path = &self.state.review.as_ref().unwrap().files.decisions;
        decisions::read(path).unwrap().decisions
    }
}

fn recorded(effects: &[Effect]) -> Vec<decisions::Decision> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::WriteDecision(write) => Some(write.decision.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn accept_correct_skip_reject_undo_and_resume() {
    let mut bench = Bench::open();
    assert_eq!(bench.current_id(), "p1");
    assert_eq!(
        bench.state.paragraph(),
        PARAGRAPHS[0].1,
        "the item is loaded into the source"
    );
    assert!(bench.state.runs[retort::tui::action::Side::Main].run.is_some());

    // a: accepted as is, after 3 s on screen.
    let effects = bench.after(3, char_key('a'));
    let [decision] = recorded(&effects).try_into().unwrap();
    assert_eq!(decision.verdict, Verdict::Accepted);
    assert_eq!(decision.seconds, 3.0);
    assert_eq!(decision.edit_distance, Some(0));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::WriteDecision(w) if matches!(&w.change, ExampleChange::Save(x) if x.provenance.starts_with("review:corpus.jsonl"))))
    );
    assert_eq!(bench.current_id(), "p2");

    // E, fix the text, ctrl-s: corrected, and the written answer re-parses to the same extraction.
    bench.after(1, char_key('E'));
    assert_eq!(bench.state.focus, Pane::Editor);
    for _ in 0.." | unobtainium".len() {
        bench.send(key(KeyCode::Backspace));
    }
    let effects = bench.after(5, Action::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
    let [decision] = recorded(&effects).try_into().unwrap();
    assert_eq!(decision.verdict, Verdict::Corrected);
    assert_eq!(decision.answer.as_deref(), Some("Toluene | benzene"));
    assert_eq!(decision.edit_distance, Some(" | unobtainium".len()));
    let task = bench.state.task().clone();
    let reparsed = task.parse(decision.answer.as_deref().unwrap()).unwrap();
    assert_eq!(
        task.render(&reparsed),
        task.render(decision.extraction.as_ref().unwrap())
    );

    // Space: skipped (comes back at the end).
    let [decision] = recorded(&bench.after(1, key(KeyCode::Char(' ')))).try_into().unwrap();
    assert_eq!(decision.verdict, Verdict::Skipped);
    assert_eq!(bench.current_id(), "p4");

    // x, pick the second reason: rejected as out of scope.
    bench.after(2, char_key('x'));
    assert!(matches!(bench.state.overlay(), Some(Overlay::Picker(p)) if p.kind == PickerKind::RejectReason));
    bench.send(key(KeyCode::Down));
    let [decision] = recorded(&bench.send(key(KeyCode::Enter))).try_into().unwrap();
    assert_eq!(decision.verdict, Verdict::Rejected);
    assert_eq!(decision.reason.as_deref(), Some("out of scope"));
    assert_eq!(bench.current_id(), "p5");

    // Backspace: the rejection is taken back and p4 is on screen again.
    let [undo] = recorded(&bench.send(key(KeyCode::Backspace))).try_into().unwrap();
    assert_eq!(undo.verdict, Verdict::Undone);
    assert_eq!(undo.undoes, Some(decision.seq));
    assert_eq!(bench.current_id(), "p4");
    assert_eq!(bench.state.review.as_ref().unwrap().queue.counts().rejected, 0);

    // A typed reason.
    bench.after(2, char_key('x'));
    for c in "duplicate".chars() {
        bench.send(char_key(c));
    }
    let [decision] = recorded(&bench.send(key(KeyCode::Enter))).try_into().unwrap();
    assert_eq!(decision.reason.as_deref(), Some("duplicate"));
    assert_eq!(bench.current_id(), "p5");

    // Every decision, the undo included, is on disk in order.
    let verdicts: Vec<Verdict> = bench.log().iter().map(|d| d.verdict).collect();
    use Verdict::*;
    assert_eq!(verdicts, [Accepted, Corrected, Skipped, Rejected, Undone, Rejected]);

    // Reopened from the files (a crash, kill -9, a dropped connection): the same place.
    bench.reopen();
    assert_eq!(bench.current_id(), "p5");
    let counts = bench.state.review.as_ref().unwrap().queue.counts();
    assert_eq!(
        (
            counts.accepted,
            counts.corrected,
            counts.skipped,
            counts.rejected,
            counts.left
        ),
        (1, 1, 1, 1, 2)
    );
    // The last open item decided, the skipped one comes back.
    bench.after(1, char_key('a'));
    assert_eq!(bench.current_id(), "p3");
    let (examples, _) = bench.store().read("compound").unwrap();
    assert_eq!(examples.len(), 3, "p1 accepted, p2 corrected, p5 accepted");
}

#[test]
fn undoing_an_accept_withdraws_its_example_from_the_dataset() {
    let mut bench = Bench::open();
    bench.after(2, char_key('a'));
    assert_eq!(bench.store().read("compound").unwrap().0.len(), 1);
    let effects = bench.send(key(KeyCode::Backspace));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::WriteDecision(w) if matches!(w.change, ExampleChange::Withdraw { .. })))
    );
    assert_eq!(bench.current_id(), "p1");
    assert!(
        bench.store().read("compound").unwrap().0.is_empty(),
        "the example is superseded"
    );
    let file = std::fs::read_to_string(bench.store().path("compound")).unwrap();
    assert_eq!(
        file.lines().count(),
        2,
        "nothing is deleted: the example and its withdrawal"
    );
}

#[test]
fn the_summary_counts_decisions_time_kept_values_and_scores_the_model() {
    let mut bench = Bench::open();
    bench.after(4, char_key('a')); // p1: Ethanol | THF kept
    bench.after(1, char_key('E'));
    for _ in 0.." | unobtainium".len() {
        bench.send(key(KeyCode::Backspace));
    }
    bench.after(6, Action::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
    bench.after(2, char_key('x'));
    bench.send(key(KeyCode::Enter)); // p3 rejected: bad paragraph
    let review = bench.state.review.as_ref().unwrap();
    let summary = retort::review::summary::summarize(&review.queue, bench.state.task());
    assert_eq!(summary.counts.accepted, 1);
    assert_eq!(summary.counts.corrected, 1);
    assert_eq!(summary.counts.rejected, 1);
    assert_eq!(summary.counts.left, 2);
    // Median of 4, 7 and 2 s (the editor's second counts too).
    assert_eq!(summary.seconds_median, Some(4.0));
    assert_eq!(summary.reject_reasons.get("bad paragraph"), Some(&1));
    let compound: Vec<_> = summary
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.model_values, f.kept))
        .collect();
    assert_eq!(compound, [("compound", 5, 4)], "5 model values, unobtainium dropped");
    let report = summary.measures.clone().expect("measures");
    let f1 = report.tables[0].get("compound", "f1").unwrap();
    // Macro over paragraphs: p1 F1 1.0, p2 precision 2/3 recall 1 → F1 0.8; mean 0.9.
    assert!((f1 - 0.9).abs() < 1e-9, "{f1}");
    let text = retort::review::summary::render_text(&summary);
    assert!(text.contains("accepted 1 · corrected 1 · rejected 1"), "{text}");
}

#[test]
fn jump_goes_to_any_item_from_a_fuzzy_list() {
    let mut bench = Bench::open();
    bench.send(char_key('g'));
    for c in "weather".chars() {
        bench.send(char_key(c));
    }
    bench.send(key(KeyCode::Enter));
    assert_eq!(bench.current_id(), "p4");
    assert_eq!(bench.state.paragraph(), "The weather was fine.");
}

#[test]
fn riskiest_first_orders_by_failure_parse_schema_unaligned_and_disagreement() {
    use retort::review::items::Item;
    use retort::review::risk::{Risk, assess, order};
    let state = common::tui_state("general-materials", "", 120, 40);
    let task = state.task();
    let paragraph = "BaTiO3 thin films were grown on SrTiO3 by pulsed laser deposition.";
    let run = |reply: &str| from_reply(&RunRequest::new(task, &state.profiles[0], paragraph), reply);
    let good = r#"[{"formula": "BaTiO3", "name": "", "acronym": "", "description": ["thin films"], "structure_or_phase": [], "applications": []}]"#;
    let other = r#"[{"formula": "SrTiO3", "name": "", "acronym": "", "description": [], "structure_or_phase": [], "applications": []}]"#;
    let hallucinated = r#"[{"formula": "LiFePO4", "name": "", "acronym": "", "description": [], "structure_or_phase": [], "applications": []}]"#;
    let mut failed = run(good);
    failed.outcome = retort::llm::Outcome::failed("cannot connect to http://127.0.0.1:9/v1");
    let item = |id: &str, left: retort::llm::Run, right: Option<retort::llm::Run>| Item {
        id: id.into(),
        paragraph: paragraph.into(),
        runs: retort::side::PerSide::new(Some(left), right),
        place: None,
    };
    let items = [
        item("fine", run(good), Some(run(good))),
        item("disagree", run(good), Some(run(other))),
        item("unaligned", run(hallucinated), None),
        item("unparsable", run("[{\"formula\": \"BaTi"), None),
        item("failed", failed, None),
    ];
    let risks: Vec<Vec<Risk>> = items.iter().map(|i| assess(i, &[])).collect();
    assert!(risks[0].is_empty(), "{:?}", risks[0]);
    assert!(
        risks[1].iter().any(|r| matches!(r, Risk::Disagree(n) if *n > 0)),
        "{:?}",
        risks[1]
    );
    assert!(risks[2].contains(&Risk::NotFound(1)), "{:?}", risks[2]);
    assert_eq!(risks[3][0], Risk::ParseError);
    assert_eq!(risks[4][0], Risk::RunFailed);
    let walked: Vec<&str> = order(&risks, Order::Risk)
        .iter()
        .map(|&i| items[i].id.as_str())
        .collect();
    assert_eq!(walked, ["failed", "unparsable", "unaligned", "disagree", "fine"]);
    let input: Vec<usize> = order(&risks, Order::Input);
    assert_eq!(input, [0, 1, 2, 3, 4]);

    // Low confidence (token probabilities below 0.5) is a reason of its own.
    let mut unsure = run(good);
    for (_, value) in unsure.extraction.as_mut().unwrap().values_mut() {
        value.confidence = Some(0.2);
    }
    let risks = assess(&item("unsure", unsure, None), &[]);
    assert_eq!(risks, [Risk::Unsure(2)]);
    assert!(risks[0].describe().contains("unsure"));
}

#[test]
fn raw_paragraphs_are_pre_annotated_ahead_and_shown_when_their_run_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("raw.jsonl");
    let lines: Vec<String> = PARAGRAPHS
        .iter()
        .map(|(id, text, _)| serde_json::json!({"id": id, "text": text}).to_string())
        .collect();
    std::fs::write(&corpus, lines.join("\n")).unwrap();
    let mut state = common::tui_state("compound", "", 160, 48);
    let options = ReviewOptions {
        task: Some("compound".into()),
        lookahead: 2,
        ..ReviewOptions::default()
    };
    let opened = open_file(
        &corpus,
        &options,
        &state.tasks.clone(),
        &dir.path().join("reviews"),
        Access::Decide,
    )
    .unwrap();
    let review = ReviewState::new(opened, retort::side::PerSide::new(Some(0), None), 2);
    let effects = update(&mut state, Action::QueueOpened(Box::new(review), Vec::new()));
    let asked: Vec<(usize, String)> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::PreAnnotate(pre) => Some((pre.item, pre.job.paragraph.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 3, "the item on screen and 2 ahead");
    assert_eq!(asked[0], (0, PARAGRAPHS[0].1.to_string()));
    assert!(
        state.runs[retort::tui::action::Side::Main].running,
        "the item on screen waits for its run"
    );
    // Runs arrive out of order; the one on screen is shown, the other is kept for later.
    let run_for = |state: &State, i: usize| {
        from_reply(
            &RunRequest::new(state.task(), &state.profiles[0], PARAGRAPHS[i].1),
            PARAGRAPHS[i].2,
        )
    };
    let second = run_for(&state, 1);
    let more = update(
        &mut state,
        Action::PreAnnotated {
            item: 1,
            side: retort::tui::action::Side::Main,
            run: Box::new(second),
        },
    );
    assert!(more.is_empty(), "nothing new to ask while 3 are in flight: {more:?}");
    let first = run_for(&state, 0);
    update(
        &mut state,
        Action::PreAnnotated {
            item: 0,
            side: retort::tui::action::Side::Main,
            run: Box::new(first),
        },
    );
    assert!(!state.runs[retort::tui::action::Side::Main].running);
    assert_eq!(state.highlighted().unwrap().values().len(), 2);
    // Accepting (once on disk) moves on to p2, whose run is ready; the look-ahead asks for p4.
    let written = update(&mut state, char_key('a'));
    let [decision] = recorded(&written).try_into().unwrap();
    let effects = update(
        &mut state,
        Action::DecisionWritten {
            seq: decision.seq,
            error: None,
        },
    );
    let asked: Vec<usize> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::PreAnnotate(pre) => Some(pre.item),
            _ => None,
        })
        .collect();
    assert_eq!(asked, [3]);
    let review = state.review.as_ref().unwrap();
    assert_eq!(review.queue.items[review.queue.current().unwrap()].id, "p2");
    assert_eq!((review.shown, review.shown_ready), (2, 1));
    assert_eq!(state.paragraph(), PARAGRAPHS[1].1);
    assert!(state.runs[retort::tui::action::Side::Main].run.is_some());
}

fn screen(state: &State) -> String {
    common::render_text(state)
}

#[test]
fn queue_screen_at_160x48_and_80x24() {
    let mut bench = Bench::open();
    bench.after(3, char_key('a'));
    // p2: one value the paragraph does not hold (⚠), the queue bar with its counts and speed.
    insta::assert_snapshot!("queue_160x48", screen(&bench.state));
    bench.send(Action::Resize(80, 24));
    insta::assert_snapshot!("queue_80x24", screen(&bench.state));
    bench.send(char_key('?'));
    insta::assert_snapshot!("queue_help_80x24", screen(&bench.state));
}

#[test]
fn e_corrects_value_by_value_and_a_decides() {
    let mut bench = Bench::open();
    bench.after(1, char_key('a'));
    assert_eq!(bench.current_id(), "p2");
    bench.send(char_key('e'));
    assert_eq!(bench.state.focus, Pane::Form);
    // Down to "unobtainium", remove it; the screen shows the form beside the source.
    bench.send(char_key('j'));
    bench.send(char_key('j'));
    bench.send(char_key('d'));
    insta::assert_snapshot!("queue_form_160x48", screen(&bench.state));
    bench.send(char_key('v'));
    bench.send(char_key('W'));
    insta::assert_snapshot!("queue_form_selecting_160x48", screen(&bench.state));
    bench.send(key(KeyCode::Esc));
    let [decision] = recorded(&bench.after(4, char_key('a'))).try_into().unwrap();
    assert_eq!(decision.verdict, Verdict::Corrected);
    assert_eq!(decision.answer.as_deref(), Some("Toluene | benzene"));
    assert_eq!(bench.current_id(), "p3");
    assert!(
        bench.state.correction.form().is_none(),
        "the next paragraph starts without a form"
    );
}

#[test]
fn bad_lines_are_skipped_and_named_and_the_right_run_is_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write_extract_output(dir.path());
    let mut text = std::fs::read_to_string(&corpus).unwrap();
    text.push_str("{\"id\": \"broken\", \"input\": 12}\nnot json at all\n");
    std::fs::write(&corpus, text).unwrap();
    // The compared file: the same paragraphs, another model's answers.
    let state = common::tui_state("compound", "", 160, 48);
    let mut other = String::new();
    for (id, paragraph, _) in PARAGRAPHS {
        let run = from_reply(&RunRequest::new(state.task(), &state.profiles[1], paragraph), "benzene");
        other.push_str(&retort::llm::run_line::RunLine::new(id, paragraph, &run).to_line());
        other.push('\n');
    }
    let compare = dir.path().join("tuned.jsonl");
    std::fs::write(&compare, other).unwrap();
    let options = ReviewOptions {
        task: None,
        model: None,
        compare: Some(compare),
        compare_model: None,
        order: Order::Input,
        lookahead: 3,
        filter: Default::default(),
        fallback_task: None,
    };
    let opened = open_file(
        &corpus,
        &options,
        &state.tasks.clone(),
        &dir.path().join("reviews"),
        Access::Decide,
    )
    .unwrap();
    assert_eq!(opened.queue.items.len(), 5);
    assert_eq!(opened.problems.len(), 2, "{:?}", opened.problems);
    assert!(opened.problems[0].contains(":6:"), "{:?}", opened.problems);
    assert!(opened.problems[1].contains(":7:"), "{:?}", opened.problems);
    let mut state = state;
    update(
        &mut state,
        Action::QueueOpened(Box::new(ReviewState::new(opened, Default::default(), 3)), Vec::new()),
    );
    assert!(state.compare.open, "both runs side by side");
    // ] starts the correction from the right run; accepting it is a correction of the left's.
    update(&mut state, char_key(']'));
    assert_eq!(state.focus, Pane::Form);
    assert_eq!(
        state.correction.form().unwrap().extraction.records[0].texts("compound"),
        ["benzene"]
    );
    // "benzene" is not in the paragraph: the first `a` says so and decides nothing, the second
    // accepts it as written.
    let effects = update(&mut state, char_key('a'));
    assert!(recorded(&effects).is_empty());
    let notice = state.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("1 not in the source: \"benzene\""), "{notice}");
    let effects = update(&mut state, char_key('a'));
    let [decision] = recorded(&effects).try_into().unwrap();
    assert_eq!(
        decision.verdict,
        Verdict::Accepted,
        "the right run's answer, kept as is"
    );
    assert_eq!(decision.model_answer.as_deref(), Some("benzene"));
}

/// The decision log on a full disk: `/dev/full` takes the file but fails every write with ENOSPC.
fn fill_the_disk(log: &Path) -> PathBuf {
    let kept = log.with_extension("kept");
    std::fs::rename(log, &kept).unwrap();
    std::os::unix::fs::symlink("/dev/full", log).unwrap();
    kept
}

#[test]
fn a_decision_that_is_not_on_disk_does_not_look_decided() {
    let mut bench = Bench::open();
    bench.after(2, char_key('a'));
    assert_eq!(bench.current_id(), "p2");
    let log = bench.state.review.as_ref().unwrap().files.decisions.clone();
    let kept = fill_the_disk(&log);
    for _ in 0..8 {
        bench.after(1, char_key('a'));
    }
    assert_eq!(bench.current_id(), "p2", "the queue stays on the paragraph");
    let review = bench.state.review.as_ref().unwrap();
    assert_eq!(review.queue.counts().accepted, 1, "only the decision on disk counts");
    let notice = bench.state.notice.as_ref().unwrap();
    assert_eq!(notice.level, retort::tui::state::Level::Error);
    assert!(
        notice.text.contains("NOT saved")
            && notice.text.contains("p2 stays undecided")
            && notice.text.contains("decisions.jsonl"),
        "{}",
        notice.text
    );
    let (examples, problems) = bench.store().read("compound").unwrap();
    assert_eq!(
        examples.len(),
        1,
        "the example of an unwritten decision is cut back out"
    );
    assert!(problems.is_empty(), "no torn line: {problems:?}");

    // Room again: the same key decides, and both files agree after reopening.
    std::fs::remove_file(&log).unwrap();
    std::fs::rename(&kept, &log).unwrap();
    bench.after(1, char_key('a'));
    assert_eq!(bench.current_id(), "p3");
    bench.reopen();
    let review = bench.state.review.as_ref().unwrap();
    assert_eq!(review.queue.counts().accepted, 2);
    let seqs: Vec<u64> = bench.log().iter().map(|d| d.seq).collect();
    assert_eq!(seqs, [1, 2]);
    assert_eq!(bench.store().read("compound").unwrap().0.len(), 2);
}

#[test]
fn an_undo_that_is_not_on_disk_leaves_the_decision_standing() {
    let mut bench = Bench::open();
    bench.after(2, char_key('a'));
    let log = bench.state.review.as_ref().unwrap().files.decisions.clone();
    let kept = fill_the_disk(&log);
    bench.send(key(KeyCode::Backspace));
    assert_eq!(bench.current_id(), "p2", "the undo did not happen");
    assert!(
        bench
            .state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("the accepted of p1 stands")
    );
    std::fs::remove_file(&log).unwrap();
    std::fs::rename(&kept, &log).unwrap();
    assert_eq!(
        bench.store().read("compound").unwrap().0.len(),
        1,
        "the example was not withdrawn"
    );
}

/// The task a queue opens with: `--task`, else the one an extract output records, else (in the
/// workbench) the workbench's own; a recorded task no longer known gives way to that fallback.
#[test]
fn a_queue_takes_the_asked_then_the_recorded_then_the_fallback_task() {
    let dir = tempfile::tempdir().unwrap();
    let recorded = write_extract_output(dir.path());
    let unknown = dir.path().join("unknown.jsonl");
    let text = std::fs::read_to_string(&recorded).unwrap();
    std::fs::write(&unknown, text.replace("\"task\":\"compound\"", "\"task\":\"gone\"")).unwrap();
    let raw = dir.path().join("raw.jsonl");
    std::fs::write(&raw, "{\"id\": \"p1\", \"text\": \"Benzene was added.\"}\n").unwrap();
    let tasks = common::tui_state("compound", "", 80, 24).tasks;
    let opened_task = |file: &Path, task: Option<&str>, fallback: Option<&str>| {
        let options = ReviewOptions {
            task: task.map(String::from),
            fallback_task: fallback.map(String::from),
            ..ReviewOptions::default()
        };
        match open_file(file, &options, &tasks, &dir.path().join("reviews"), Access::Read) {
            Ok(opened) => opened.queue.task.clone(),
            Err(e) => format!("error: {e}"),
        }
    };
    assert_eq!(opened_task(&recorded, None, None), "compound");
    assert_eq!(opened_task(&recorded, None, Some("nmr")), "compound");
    assert_eq!(opened_task(&raw, Some("nmr"), Some("compound")), "nmr");
    assert_eq!(opened_task(&raw, None, Some("nmr")), "nmr");
    assert_eq!(opened_task(&unknown, None, Some("nmr")), "nmr");
    assert!(opened_task(&unknown, None, None).contains("no task named \"gone\""));
    assert!(opened_task(&raw, None, None).contains("name its task with --task"));
}

#[test]
fn the_last_decision_closes_the_editor_and_g_still_lists_every_paragraph() {
    let mut bench = Bench::open();
    let items = bench.state.review.as_ref().unwrap().queue.items.len();
    let left = |bench: &Bench| bench.state.review.as_ref().unwrap().queue.counts().left;
    // `a` twice where the answer has a value not in the source (asked once).
    for _ in 0..items * 2 {
        if left(&bench) > 1 {
            bench.after(1, char_key('a'));
        }
    }
    assert_eq!(left(&bench), 1);
    // The last paragraph corrected in the text editor, saved with Ctrl-S.
    bench.after(1, char_key('E'));
    assert_eq!(bench.state.focus, Pane::Editor);
    bench.after(2, Action::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
    assert!(bench.state.review.as_ref().unwrap().queue.finished());
    assert!(
        matches!(bench.state.overlay(), Some(Overlay::Summary(_))),
        "the summary shows"
    );
    assert!(
        bench.state.correction.editor().is_none(),
        "the editor is closed behind it"
    );
    assert_ne!(bench.state.focus, Pane::Editor);
    bench.send(key(KeyCode::Esc));
    // g: every paragraph, decided ones marked, and a word that nothing is left.
    bench.send(char_key('g'));
    let Some(Overlay::Picker(picker)) = bench.state.overlay() else {
        panic!("g opens the list");
    };
    assert_eq!(picker.kind, PickerKind::QueueItem);
    assert_eq!(picker.items.len(), items, "{:?}", picker.items);
    let marked = |label: &str| picker.items.iter().filter(|i| i.contains(label)).count();
    assert_eq!(marked("accepted"), items, "each with its decision: {:?}", picker.items);
    let notice = &bench.state.notice.as_ref().expect("said").text;
    assert!(notice.contains("every paragraph is decided"), "{notice}");
    // Going to a decided one shows its saved answer.
    bench.send(key(KeyCode::Enter));
    assert_eq!(
        bench.state.review.as_ref().unwrap().queue.current().map(|_| ()),
        Some(())
    );
}
