//! The workbench's hot paths: drawing the full screen (160×48) with a 5 kB paragraph and 100
//! highlighted spans, the same with the comparison open (its measures are computed as it is
//! drawn), a JSON reply being streamed (highlighted again on every draw), and the update for one
//! streamed token.

#[path = "../tests/it/common/mod.rs"]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use retort::tui::action::{Action, Command, Side};
use retort::tui::state::State;
use retort::tui::theme::Theme;
use retort::tui::update::update;
use std::hint::black_box;
use std::time::Instant;

fn state() -> State {
    let registry = retort::task::Registry::builtin();
    let profiles = retort::llm::profile::parse(
        "[[model]]\nname = \"b\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\n",
    )
    .unwrap();
    let (keymap, _) = retort::tui::keymap::Keymap::load(None);
    let compounds: Vec<String> = (0..100).map(|i| format!("compound-{i}")).collect();
    let mut paragraph = String::new();
    for name in &compounds {
        paragraph.push_str(&format!("Then {name} (0.5 g, 2 mmol) was added at 25 °C. "));
    }
    assert!(paragraph.len() >= 5000);
    let mut state = State::new(registry.tasks.clone(), profiles, keymap, &paragraph);
    update(&mut state, Action::Resize(160, 48));
    update(&mut state, Action::Command(Command::Run));
    let request = retort::llm::RunRequest::new(state.task(), &state.profiles[0], &paragraph);
    let run = retort::llm::from_reply(&request, &compounds.join(" | "));
    update(
        &mut state,
        Action::RunFinished {
            slot: Side::Main,
            run: Box::new(run),
        },
    );
    assert_eq!(state.value_count(), 100);
    state
}

fn render(c: &mut Criterion) {
    let state = state();
    let (theme, _) = Theme::load(None, false);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    c.bench_function("render 160x48, 5 kB paragraph, 100 spans", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| retort::tui::view::render(frame, black_box(&state), &theme))
                .unwrap();
        })
    });
}

fn render_compare(c: &mut Criterion) {
    let base = state();
    let paragraph = base.paragraph();
    let mut state = common::tui_state("compound", &paragraph, 160, 48);
    let left = base.runs[Side::Main]
        .extraction()
        .map(|e| base.task().render(e))
        .unwrap();
    let right = left.replacen("compound-7 |", "", 1);
    state.compare_model = Some(1);
    update(&mut state, Action::Command(Command::RunCompare));
    common::finish_run(&mut state, Side::Main, &left);
    common::finish_run(&mut state, Side::Compare, &right);
    assert!(state.compare.open);
    let (theme, _) = Theme::load(None, false);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    c.bench_function("render 160x48 with the comparison of two 100-value runs", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| retort::tui::view::render(frame, black_box(&state), &theme))
                .unwrap();
        })
    });
}

fn render_streaming_json(c: &mut Criterion) {
    let (paragraph, gold) = common::sample("nmr");
    let mut state = common::tui_state("nmr", &paragraph, 160, 48);
    update(&mut state, Action::Command(Command::Run));
    update(
        &mut state,
        Action::RunPiece {
            slot: Side::Main,
            piece: gold.clone(),
            at: Instant::now(),
        },
    );
    let (theme, _) = Theme::load(None, false);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let started = Instant::now();
    terminal
        .draw(|frame| retort::tui::view::render(frame, &state, &theme))
        .unwrap();
    println!(
        "first draw of a JSON reply: {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let name = format!(
        "render 160x48 while a {} B JSON reply streams (new text, highlighted again, every draw)",
        gold.len()
    );
    let mut n = 0usize;
    c.bench_function(&name, |b| {
        b.iter(|| {
            n += 1;
            state.runs[Side::Main].streamed = format!("{gold}{}", " ".repeat(n % 2));
            terminal
                .draw(|frame| retort::tui::view::render(frame, black_box(&state), &theme))
                .unwrap();
        })
    });
}

fn stream_token(c: &mut Criterion) {
    let mut state = state();
    update(&mut state, Action::Command(Command::Run));
    let at = Instant::now();
    c.bench_function("update: one streamed token", |b| {
        b.iter(|| {
            update(
                &mut state,
                Action::RunPiece {
                    slot: Side::Main,
                    piece: black_box(" tok".into()),
                    at,
                },
            )
        })
    });
}

criterion_group!(benches, render, render_compare, render_streaming_json, stream_token);
criterion_main!(benches);
