//! The driver: terminal setup, the event loop, and the effects (model runs, files, clipboard)
//! run on tokio off the render path, their results fed back as actions. Draws only after
//! something changed; ticks only while a model runs, so an idle workbench uses no CPU.

use super::action::{Action, Draft, Effect};
use super::run_marker::{self, RunMarker};
use super::state::{Level, State};
use super::terminal::{self, Asked};
use super::theme::Theme;
use super::{clipboard, draft, queue_io, update::update, view};
use crate::config::Paths;
use crate::dataset::export::{ExportStyle, export_saved};
use crate::dataset::store::Store;
use crate::llm::profile::Engine;
use crate::llm::{Engines, HttpEngine, execute};
use crate::task::Task;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

/// How long after a change the draft is written at the latest.
const DRAFT_DELAY: Duration = Duration::from_millis(700);

pub struct Driver {
    paths: Paths,
    engines: Engines,
    actions: UnboundedSender<Action>,
    cancels: crate::side::PerSide<Option<CancellationToken>>,
    decisions: queue_io::DecisionWriter,
    /// Cancels the review queue's look-ahead runs (on quit).
    lookahead: CancellationToken,
    /// The suspend key was pressed: the loop, which has the terminal, suspends after the batch.
    suspend: bool,
    /// Wakes the reader of training runs (`training_io`).
    training: std::sync::Arc<tokio::sync::Notify>,
}

/// Runs the workbench; `opening` actions (a queue to open) are handled first.
pub async fn run(mut state: State, theme: Theme, paths: Paths, opening: Vec<Action>) -> std::io::Result<()> {
    let mut terminal = super::terminal::enter(state.keymap.mouse)?;
    let mut signals = super::terminal::Signals::listen()?;
    let draft_path = draft::path(&paths.state);
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        draft::save_latest();
        previous_hook(info);
    }));
    let (tx, mut rx) = unbounded_channel();
    spawn_input(tx.clone());
    let examples_dir = paths.examples_dir();
    let (paths_for_training, tx_for_training) = (paths.clone(), tx.clone());
    let mut driver = Driver {
        paths,
        engines: Engines::new(),
        decisions: queue_io::DecisionWriter::start(examples_dir, tx.clone()),
        actions: tx,
        cancels: Default::default(),
        lookahead: CancellationToken::new(),
        suspend: false,
        training: super::training_io::start(paths_for_training, tx_for_training),
    };
    let size = terminal.size()?;
    let mut effects = update(&mut state, Action::Tick(Instant::now()));
    effects.extend(update(&mut state, Action::Resize(size.width, size.height)));
    for action in opening {
        effects.extend(update(&mut state, action));
    }
    effects.push(Effect::LoadPool(state.task().name.clone()));
    effects.push(super::update::list_models(&state));
    for effect in effects {
        driver.apply(effect);
    }
    let mut saved_version = state.correction.version();
    let mut draft_due: Option<Instant> = None;
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    let result = loop {
        if let Err(e) = terminal.draw(|frame| view::render(frame, &state, &theme)) {
            break Err(e);
        }
        let running = state.runs.iter().any(|r| r.running);
        let wait_draft = draft_due.map(tokio::time::Instant::from_std);
        let action = tokio::select! {
            action = rx.recv() => match action { Some(a) => a, None => break Ok(()) },
            asked = signals.next() => match asked {
                Asked::Quit(name) => {
                    tracing::info!("{name}: quitting");
                    break Ok(());
                }
                Asked::Suspend => {
                    terminal::suspend(&mut terminal)?;
                    continue;
                }
                Asked::Resume => {
                    terminal::resume(&mut terminal)?;
                    continue;
                }
            },
            _ = ticker.tick(), if running => Action::Tick(Instant::now()),
            _ = sleep_until(wait_draft), if wait_draft.is_some() => Action::Tick(Instant::now()),
        };
        // The clock every action of this batch sees (time spent per queue item).
        let mut batch = vec![Action::Tick(Instant::now()), action];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        for action in batch {
            let effects = update(&mut state, action);
            if effects.iter().any(|e| matches!(e, Effect::StartRun(_))) {
                // A run may take the process down (see run_marker): the draft is on disk before
                // the run's marker is, so whoever finds the marker finds the draft.
                save_draft(&draft_path, &state.draft());
            }
            for effect in effects {
                driver.apply(effect);
            }
        }
        if std::mem::take(&mut driver.suspend) {
            terminal::suspend(&mut terminal)?;
        }
        if state.correction.version() != saved_version {
            draft::remember(&draft_path, &state.draft());
            saved_version = state.correction.version();
            draft_due.get_or_insert(Instant::now() + DRAFT_DELAY);
        }
        if draft_due.is_some_and(|due| Instant::now() >= due) {
            save_draft(&draft_path, &state.draft());
            draft_due = None;
        }
        if state.quit {
            break Ok(());
        }
    };
    save_draft(&draft_path, &state.draft());
    terminal::leave();
    result
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn save_draft(path: &std::path::Path, draft: &Draft) {
    if let Err(e) = draft::save(path, draft) {
        tracing::error!("could not save the draft to {}: {e}", path.display());
    }
}

/// Terminal events become actions (key presses only, pastes whole, mouse reports, resizes).
fn spawn_input(tx: UnboundedSender<Action>) {
    tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(Ok(event)) = events.next().await {
            let action = match event {
                Event::Key(key) if key.kind != KeyEventKind::Release => Action::Key(key),
                Event::Paste(text) => Action::Paste(text),
                Event::Mouse(mouse) => Action::Mouse(mouse),
                Event::Resize(w, h) => Action::Resize(w, h),
                _ => continue,
            };
            if tx.send(action).is_err() {
                break;
            }
        }
    });
}

impl Driver {
    fn notice(&self, text: String, level: Level) {
        let _ = self.actions.send(Action::Notice { text, level });
    }

    pub fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::StartRun(job) => self.start_run(*job),
            Effect::CancelRun(slot) => {
                if let Some(token) = self.cancels[slot].take() {
                    token.cancel();
                }
            }
            Effect::SaveExample(example) => {
                let store = Store::new(self.paths.examples_dir());
                let tx = self.actions.clone();
                tokio::task::spawn_blocking(move || {
                    let (text, level) = match store.append(&example) {
                        Ok(()) => (format!("saved to {}", store.path(&example.task).display()), Level::Info),
                        Err(e) => (format!("not saved: {e}"), Level::Error),
                    };
                    let _ = tx.send(Action::Notice { text, level });
                    let pool = crate::llm::prompt::few_shot_pool(&store, &example.task);
                    let _ = tx.send(Action::PoolLoaded { pool });
                });
            }
            Effect::LoadExamples(task) => {
                let store = Store::new(self.paths.examples_dir());
                let tx = self.actions.clone();
                tokio::task::spawn_blocking(move || match store.read(&task) {
                    Ok((examples, _)) => {
                        let _ = tx.send(Action::ExamplesLoaded { task, examples });
                    }
                    Err(e) => {
                        let _ = tx.send(Action::Notice {
                            text: e.to_string(),
                            level: Level::Error,
                        });
                    }
                });
            }
            Effect::LoadPool(task) => {
                let store = Store::new(self.paths.examples_dir());
                let tx = self.actions.clone();
                tokio::task::spawn_blocking(move || {
                    let pool = crate::llm::prompt::few_shot_pool(&store, &task);
                    let _ = tx.send(Action::PoolLoaded { pool });
                });
            }
            Effect::Export(task) => self.export(*task),
            Effect::Copy { text, what } => {
                let sequence = clipboard::osc52(&text, std::env::var_os("TMUX").is_some());
                let mut out = std::io::stdout();
                let sent = out.write_all(sequence.as_bytes()).and_then(|()| out.flush());
                match sent {
                    Ok(()) => self.notice(
                        format!("sent {what} to the clipboard (OSC 52, {} bytes)", text.len()),
                        Level::Info,
                    ),
                    Err(e) => self.notice(format!("could not write to the terminal: {e}"), Level::Error),
                }
            }
            Effect::FetchModel => {
                let dir = self.paths.models_dir();
                let tx = self.actions.clone();
                tokio::task::spawn_blocking(move || {
                    let say = |step: &str| {
                        let _ = tx.send(Action::Notice {
                            text: step.to_string(),
                            level: Level::Info,
                        });
                    };
                    if let Err(e) = crate::llm::fetch::fetch_default(&dir, true, &say) {
                        let _ = tx.send(Action::Notice {
                            text: e.to_string(),
                            level: Level::Error,
                        });
                    }
                });
            }
            Effect::SaveDraft(draft) => save_draft(&draft::path(&self.paths.state), &draft),
            Effect::ListModels(profiles) => list_models(self.engines.http.clone(), profiles, self.actions.clone()),
            Effect::WriteDecision(write) => self.decisions.write(*write),
            Effect::PreAnnotate(pre) => {
                let examples = self.paths.examples_dir();
                queue_io::pre_annotate(
                    self.engines.clone(),
                    *pre,
                    examples,
                    self.lookahead.clone(),
                    self.actions.clone(),
                )
            }
            Effect::ListQueueFiles => queue_io::list_files(self.actions.clone()),
            Effect::RefreshTraining => self.training.notify_one(),
            Effect::OpenQueue { path, task, tasks } => {
                queue_io::open_queue(&self.paths, path, *task, tasks, self.actions.clone())
            }
            Effect::Suspend => self.suspend = true,
            Effect::Quit => {
                for token in self.cancels.iter().flatten() {
                    token.cancel();
                }
                self.lookahead.cancel();
            }
        }
    }

    fn start_run(&mut self, mut job: super::action::RunJob) {
        let slot = job.slot;
        if let Some(old) = self.cancels[slot].take() {
            old.cancel();
        }
        let cancel = CancellationToken::new();
        self.cancels[slot] = Some(cancel.clone());
        let engines = self.engines.clone();
        let tx = self.actions.clone();
        let state_dir = self.paths.state.clone();
        let examples = self.paths.examples_dir();
        if let Err(e) = run_marker::begin(&state_dir, slot, &marker_for(&job)) {
            tracing::warn!("could not write the run marker in {}: {e}", state_dir.display());
        }
        tokio::spawn(async move {
            queue_io::refresh_pool(examples, &mut job, &tx).await;
            let _ = tx.send(Action::RunStarted {
                slot,
                at: Instant::now(),
            });
            let (pieces_tx, mut pieces_rx) = unbounded_channel::<String>();
            let forward = tx.clone();
            let forwarder = tokio::spawn(async move {
                while let Some(piece) = pieces_rx.recv().await {
                    let _ = forward.send(Action::RunPiece {
                        slot,
                        piece,
                        at: Instant::now(),
                    });
                }
            });
            let run = execute(&engines, &job.request(), Some(&pieces_tx), &cancel).await;
            run_marker::end(&state_dir, slot);
            drop(pieces_tx);
            let _ = forwarder.await;
            let _ = tx.send(Action::RunFinished {
                slot,
                run: Box::new(run),
            });
        });
    }

    fn export(&self, task: Task) {
        let store = Store::new(self.paths.examples_dir());
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let to = self
            .paths
            .data
            .join("exports")
            .join(format!("{}-{stamp}.jsonl", task.name));
        let tx = self.actions.clone();
        tokio::task::spawn_blocking(move || {
            let (text, level) = match export_saved(&store, &task, ExportStyle::Chat, &to) {
                Ok((count, _)) => (format!("exported {count} examples to {}", to.display()), Level::Info),
                Err(e) => (format!("export failed: {e}"), Level::Error),
            };
            let _ = tx.send(Action::Notice { text, level });
        });
    }
}

fn marker_for(job: &super::action::RunJob) -> RunMarker {
    let profile = &job.profile;
    let model = match &profile.engine {
        Engine::Embedded(local) => local.path.display().to_string(),
        Engine::Openai(server) => format!("{} {}", server.base_urls.join(" "), profile.model)
            .trim()
            .to_string(),
    };
    RunMarker {
        profile: profile.name.clone(),
        engine: profile.engine.kind(),
        model,
        task: job.task.name.clone(),
        started_at: crate::clock::now(),
        pid: std::process::id(),
    }
}

/// Asks every HTTP profile's endpoint which models it serves (for the model picker).
fn list_models(engine: Arc<HttpEngine>, profiles: Vec<(usize, crate::llm::ModelProfile)>, tx: UnboundedSender<Action>) {
    for (index, profile) in profiles {
        match profile.engine {
            Engine::Openai(_) => {}
            Engine::Embedded(_) => continue,
        }
        let engine = engine.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let Some(url) = profile.endpoints().into_iter().next() else {
                return;
            };
            let action = match engine.list_models(&url, profile.api_key().as_deref()).await {
                Ok(ids) => Action::ModelsListed { profile: index, ids },
                Err(e) => Action::ModelsUnreachable {
                    profile: index,
                    error: e.to_string(),
                },
            };
            let _ = tx.send(action);
        });
    }
}
