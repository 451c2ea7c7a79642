//! The workbench's hot paths: drawing the full screen (160×48) with a 5 kB paragraph and 100
//! highlighted spans, and the update for one streamed token.

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use retort::tui::action::{Action, Command};
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
    let request = retort::llm::RunRequest {
        task: state.task(),
        profile: &state.profiles[0],
        paragraph: &paragraph,
        pool: &[],
        endpoint: 0,
        stream: true,
    };
    let run = retort::llm::from_reply(&request, &compounds.join(" | "));
    update(
        &mut state,
        Action::RunFinished {
            slot: 0,
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

fn stream_token(c: &mut Criterion) {
    let mut state = state();
    update(&mut state, Action::Command(Command::Run));
    let at = Instant::now();
    c.bench_function("update: one streamed token", |b| {
        b.iter(|| {
            update(
                &mut state,
                Action::RunPiece {
                    slot: 0,
                    piece: black_box(" tok".into()),
                    at,
                },
            )
        })
    });
}

criterion_group!(benches, render, stream_token);
criterion_main!(benches);
