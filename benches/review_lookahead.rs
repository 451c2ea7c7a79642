//! The queue's look-ahead with the embedded engine: a scripted reviewer accepts 20 paragraphs
//! of the Chem. Sci. compound test set, one every 3 s, while SmolLM2-135M (2 threads)
//! pre-annotates 3 ahead. Reports how often the next paragraph's run was ready when it came on
//! screen, and the engine's time per paragraph.

#[path = "../tests/common/mod.rs"]
mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use retort::dataset::store::Store;
use retort::llm::{Engines, execute};
use retort::review::open::{Access, ReviewOptions, open_file};
use retort::review::record;
use retort::tui::action::{Action, Effect};
use retort::tui::review::ReviewState;
use retort::tui::update::update;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const DECISIONS: usize = 20;
const READING: Duration = Duration::from_secs(3);

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let registry = retort::task::Registry::builtin();
    let task = registry.get("compound").unwrap();
    let (paragraphs, _) =
        retort::input::read_paragraphs(&common::data("chemsci2024/compound/test_1000.csv"), task).unwrap();
    let lines: Vec<String> = paragraphs
        .iter()
        .take(DECISIONS + 4)
        .map(|p| serde_json::json!({"id": p.id, "text": p.text}).to_string())
        .collect();
    let corpus = dir.path().join("corpus.jsonl");
    std::fs::write(&corpus, lines.join("\n")).unwrap();

    let mut state = common::tui_state("compound", "", 160, 48);
    state.profiles = retort::llm::profile::parse(&format!(
        "[[model]]\nname = \"tiny\"\nengine = \"embedded\"\npath = \"{}\"\nmode = \"zero-shot\"\nthreads = 2\ncontext = 2048\nmax_tokens = 96\n",
        common::test_gguf().display()
    ))
    .unwrap();
    state.model = 0;
    let options = ReviewOptions {
        task: Some("compound".into()),
        ..ReviewOptions::default()
    };
    let opened = open_file(
        &corpus,
        &options,
        &registry.tasks,
        &dir.path().join("reviews"),
        Access::Decide,
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let engine = Engines::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Action>();
    let run_times = Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = Store::new(dir.path().join("examples"));
    let apply = |effects: Vec<Effect>| {
        for effect in effects {
            if let Effect::WriteDecision(write) = &effect {
                let error = record::write(write, &store).err();
                let _ = tx.send(Action::DecisionWritten {
                    seq: write.decision.seq,
                    error,
                });
            }
            if let Effect::PreAnnotate(pre) = effect {
                let (engine, tx, times) = (engine.clone(), tx.clone(), run_times.clone());
                runtime.spawn(async move {
                    let request = pre.job.request();
                    let run = execute(&engine, &request, None, &CancellationToken::new()).await;
                    times.lock().unwrap().push(run.total_ms);
                    let _ = tx.send(Action::PreAnnotated {
                        item: pre.item,
                        side: pre.job.slot,
                        run: Box::new(run),
                    });
                });
            }
        }
    };
    let opened_at = Instant::now();
    apply(update(
        &mut state,
        Action::QueueOpened(
            Box::new(ReviewState::new(opened, retort::side::PerSide::new(Some(0), None), 3)),
            Vec::new(),
        ),
    ));
    // The first paragraph has nothing ahead of it: wait for its run, as a reviewer would.
    while state.runs[retort::tui::action::Side::Main].run.is_none() {
        let action = runtime.block_on(rx.recv()).unwrap();
        apply(update(&mut state, action));
    }
    let started = Instant::now();
    let mut ready = 0;
    for decision in 1..=DECISIONS {
        let due = started + READING * decision as u32;
        while Instant::now() < due {
            let left = due.saturating_duration_since(Instant::now());
            if let Ok(Some(action)) = runtime.block_on(async { tokio::time::timeout(left, rx.recv()).await }) {
                apply(update(&mut state, action));
            }
        }
        apply(update(
            &mut state,
            Action::Key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE)),
        ));
        // The decision counts once it is on disk: the writer's answer first, as in the driver.
        loop {
            let action = runtime.block_on(rx.recv()).unwrap();
            let written = matches!(action, Action::DecisionWritten { .. });
            apply(update(&mut state, action));
            if written {
                break;
            }
        }
        ready += usize::from(state.runs[retort::tui::action::Side::Main].run.is_some());
    }
    let times = run_times.lock().unwrap().clone();
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    println!(
        "look-ahead 3, embedded SmolLM2-135M on 2 threads, a decision every {} s: the next paragraph was ready {ready} of {DECISIONS} times",
        READING.as_secs(),
    );
    println!(
        "{} runs finished in {:.1} s since the queue opened; {mean:.0} ms from request to run on average (waiting for the engine included)",
        times.len(),
        opened_at.elapsed().as_secs_f64()
    );
}
