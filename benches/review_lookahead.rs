//! The queue's look-ahead with the embedded engine: a scripted reviewer accepts 20 paragraphs
//! of the Chem. Sci. compound test set, one every 3 s, while SmolLM2-135M (2 threads)
//! pre-annotates 3 ahead. Reports how often the next paragraph's run was ready when it came on
//! screen, and the engine's time per paragraph.
//! Usage: cargo bench --bench review_lookahead [-- few-shot [uncached]]: zero-shot by default;
//! `few-shot` prompts with the papers' train_100 examples (about 1,800 prompt tokens), with the
//! engine's prompt cache unless `uncached`.

#[path = "../tests/it/common/mod.rs"]
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

/// The compound training examples as the state's few-shot pool, as the driver would load them.
fn training_pool() -> retort::llm::prompt::Pool {
    let registry = retort::task::Registry::builtin();
    let task = registry.get("compound").unwrap();
    let (examples, _) =
        retort::input::read_examples(&common::data("chemsci2024/compound/train_100.csv"), task).unwrap();
    let mut pool = retort::llm::prompt::Pool::from_shots(
        examples
            .into_iter()
            .filter_map(|e| {
                Some(retort::llm::prompt::Shot {
                    input: e.input,
                    output: e.gold?,
                })
            })
            .collect(),
    );
    pool.task = "compound".into();
    pool
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let few_shot = args.iter().any(|a| a == "few-shot");
    let cache = !args.iter().any(|a| a == "uncached");
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
        "[[model]]\nname = \"tiny\"\nengine = \"embedded\"\npath = \"{}\"\nmode = \"{}\"\nthreads = 2\ncontext = 4096\nmax_tokens = 96\nprompt_cache = {cache}\n",
        common::test_gguf().display(),
        if few_shot { "few-shot" } else { "zero-shot" }
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
            if let Effect::LoadPool(_) = &effect {
                // The driver reads the saved examples; here they are the training file's.
                let pool = if few_shot {
                    training_pool()
                } else {
                    retort::llm::prompt::Pool::EMPTY
                };
                let _ = tx.send(Action::PoolLoaded { pool });
            }
            if let Effect::PreAnnotate(pre) = effect {
                let (engine, tx, times) = (engine.clone(), tx.clone(), run_times.clone());
                runtime.spawn(async move {
                    let request = pre.job.request();
                    let run = execute(&engine, &request, None, &CancellationToken::new()).await;
                    if let Some(error) = run.outcome.error() {
                        eprintln!("a pre-annotation failed: {error}");
                    }
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
    eprintln!("waiting for the first paragraph's run");
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
        // A reviewer who has read the paragraph and still has no run waits for it.
        while state.runs[retort::tui::action::Side::Main].run.is_none() {
            let action = runtime.block_on(rx.recv()).unwrap();
            apply(update(&mut state, action));
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
        let is_ready = state.runs[retort::tui::action::Side::Main].run.is_some();
        ready += usize::from(is_ready);
        eprintln!(
            "decision {decision} at {:.1} s: the next paragraph {}",
            started.elapsed().as_secs_f64(),
            if is_ready { "was ready" } else { "was not ready" }
        );
    }
    let session = started.elapsed();
    let times = run_times.lock().unwrap().clone();
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    println!(
        "look-ahead 3, embedded SmolLM2-135M on 2 threads, {}, a decision every {} s: the next paragraph was ready {ready} of {DECISIONS} times",
        match (few_shot, cache) {
            (false, _) => "zero-shot",
            (true, true) => "few-shot from train_100 with the prompt cache",
            (true, false) => "few-shot from train_100 without the prompt cache",
        },
        READING.as_secs(),
    );
    println!(
        "the {DECISIONS} decisions took {:.1} s, {:.1} s of it waiting for runs",
        session.as_secs_f64(),
        (session - READING * DECISIONS as u32).as_secs_f64()
    );
    println!(
        "{} runs finished in {:.1} s since the queue opened; {mean:.0} ms from request to run on average (waiting for the engine included)",
        times.len(),
        opened_at.elapsed().as_secs_f64()
    );
}
