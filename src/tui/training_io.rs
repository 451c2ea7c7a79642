//! The driver's side of training runs: a task that reads the runs and models.toml, asks each run
//! that is not over where it stands (its service or its trainer's host, as `retort train status`
//! does), and sends `Action::TrainingRead`. It reads now when asked (`Effect::RefreshTraining`),
//! and every `EVERY` while any run is still going; never on the render path.

use super::action::Action;
use crate::config::Paths;
use crate::train::run::{self, Status};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc::UnboundedSender};

/// How often runs that are still going are read again.
const EVERY: Duration = Duration::from_secs(20);

/// Starts the reader; notifying the returned handle reads now.
pub fn start(paths: Paths, actions: UnboundedSender<Action>) -> Arc<Notify> {
    let asked = Arc::new(Notify::new());
    let wake = asked.clone();
    tokio::spawn(async move {
        loop {
            let going = tokio::task::spawn_blocking({
                let (paths, actions) = (paths.clone(), actions.clone());
                move || read(&paths, &actions)
            })
            .await
            .unwrap_or(false);
            if going {
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(EVERY) => {}
                }
            } else {
                wake.notified().await;
            }
        }
    });
    asked
}

/// One reading; whether any run is still going. Failures to reach a service are logged and the
/// recorded state is shown.
fn read(paths: &Paths, actions: &UnboundedSender<Action>) -> bool {
    let handle = tokio::runtime::Handle::current();
    let (runs, problems) = run::list(&paths.data);
    for problem in problems {
        tracing::warn!("training runs: {problem}");
    }
    for mut run in runs
        .into_iter()
        .filter(|r| !r.status.is_final() && r.status != Status::Preparing)
    {
        if let Err(e) = handle.block_on(crate::train::backend::refresh(&paths.data, &mut run)) {
            tracing::warn!("training run {}: {e}", run.id);
        }
    }
    let runs = crate::train::summary::summaries(&paths.data);
    let going = runs.iter().any(|r| !r.status.is_final());
    let profiles = crate::llm::profile::Profiles::load(&paths.config)
        .resolve_paths(&paths.models_dir())
        .profiles;
    let _ = actions.send(Action::TrainingRead { runs, profiles });
    going
}
