//! The review queue at corpus size: opening a 10 000-paragraph `retort extract` output (with a
//! decision log of 5 000 lines), and one key → the next paragraph drawn at 160×48 (median and
//! 95th percentile over 2 000 accepts). Goal: open < 1 s, key → drawn < 16 ms.

#[path = "../tests/it/common/mod.rs"]
mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use retort::dataset::store::Store;
use retort::llm::{RunRequest, from_reply};
use retort::review::open::{Access, ReviewOptions, open_file};
use retort::review::record;
use retort::review::risk::Order;
use retort::tui::action::{Action, Effect};
use retort::tui::review::ReviewState;
use retort::tui::theme::Theme;
use retort::tui::update::update;
use std::time::{Duration, Instant};

const ITEMS: usize = 10_000;

fn write_corpus(dir: &std::path::Path) -> std::path::PathBuf {
    let state = common::tui_state("compound", "", 160, 48);
    let mut text = String::new();
    for i in 0..ITEMS {
        let paragraph = format!(
            "Compound {i} was prepared from benzaldehyde (2.0 mmol) and aniline in ethanol (20 mL); \
             the mixture was stirred at 25 °C for {i} h and the residue washed with diethyl ether."
        );
        let reply = "benzaldehyde | aniline | ethanol | diethyl ether | unobtainium";
        let run = from_reply(&RunRequest::new(state.task(), &state.profiles[0], &paragraph), reply);
        text.push_str(&retort::llm::run_line::RunLine::new(&format!("p{i}"), &paragraph, &run).to_line());
        text.push('\n');
    }
    let path = dir.join("corpus.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write_corpus(dir.path());
    let reviews = dir.path().join("reviews");
    let options = ReviewOptions {
        order: Order::Risk,
        ..ReviewOptions::default()
    };
    let tasks = retort::task::Registry::builtin().tasks.clone();
    let mut state = common::tui_state("compound", "", 160, 48);
    let (theme, _) = Theme::load(None, false);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let accept = || Action::Key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE));

    // A first session decides half the queue; its log is what the timed open replays.
    let opened = open_file(&corpus, &options, &tasks, &reviews, Access::Decide).unwrap();
    update(
        &mut state,
        Action::QueueOpened(Box::new(ReviewState::new(opened, Default::default(), 3)), Vec::new()),
    );
    let store = Store::new(dir.path().join("examples"));
    // A key as the driver carries it out: the decision written (one fsync), then confirmed.
    let decide = |state: &mut retort::tui::state::State| {
        for effect in update(state, accept()) {
            if let Effect::WriteDecision(write) = effect {
                let error = record::write(&write, &store).err();
                update(
                    state,
                    Action::DecisionWritten {
                        seq: write.decision.seq,
                        error,
                    },
                );
            }
        }
    };
    for _ in 0..ITEMS / 2 {
        decide(&mut state);
    }
    // The first session ends, letting go of the queue.
    state.review = None;

    let started = Instant::now();
    let opened = open_file(&corpus, &options, &tasks, &reviews, Access::Decide).unwrap();
    let open_time = started.elapsed();
    let mut state = common::tui_state("compound", "", 160, 48);
    update(
        &mut state,
        Action::QueueOpened(Box::new(ReviewState::new(opened, Default::default(), 3)), Vec::new()),
    );
    let review = state.review.as_ref().unwrap();
    assert_eq!(review.queue.counts().accepted, ITEMS / 2);
    println!(
        "open a {ITEMS}-paragraph extract output with {} decisions: {:.0} ms",
        ITEMS / 2,
        open_time.as_secs_f64() * 1000.0
    );

    let mut times = Vec::new();
    for _ in 0..2000 {
        let started = Instant::now();
        decide(&mut state);
        terminal
            .draw(|frame| retort::tui::view::render(frame, &state, &theme))
            .unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "key → decision on disk → next paragraph drawn (160×48, {ITEMS} paragraphs): median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.95).as_secs_f64() * 1000.0,
        times.last().unwrap().as_secs_f64() * 1000.0
    );
}
