//! What can happen to the workbench (actions in) and what it asks the driver to do (effects out).

use crate::dataset::store::SavedExample;
use crate::llm::Run;
use crate::llm::prompt::Pool;
use crate::llm::{ModelProfile, RunRequest};
use crate::task::Task;
use crossterm::event::KeyEvent;
use std::time::Instant;

pub use super::command::Command;
pub use super::state::Draft;
pub use crate::side::Side;

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    /// A press, drag, release or wheel notch where the terminal reports the mouse.
    Mouse(crossterm::event::MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// Time passes (only while something runs), for the elapsed-time display.
    Tick(Instant),
    Command(Command),
    RunStarted {
        slot: Side,
        at: Instant,
    },
    RunPiece {
        slot: Side,
        piece: String,
        at: Instant,
    },
    RunFinished {
        slot: Side,
        run: Box<Run>,
    },
    PoolLoaded {
        pool: Pool,
    },
    ExamplesLoaded {
        task: String,
        examples: Vec<SavedExample>,
    },
    /// A profile's server lists these model ids.
    /// A profile's server did not answer the model listing.
    ModelsUnreachable {
        profile: usize,
        error: String,
    },
    ModelsListed {
        profile: usize,
        ids: Vec<String>,
    },
    /// A review queue was read from its files.
    QueueOpened(Box<super::review_state::ReviewState>, Vec<String>),
    /// Files a queue could be opened from (for the picker).
    QueueFilesListed(Vec<String>),
    /// The training runs, read again, and the profiles of models.toml (with those runs
    /// registered since the workbench opened).
    TrainingRead {
        runs: Vec<crate::train::summary::RunSummary>,
        profiles: Vec<ModelProfile>,
    },
    /// A look-ahead run finished.
    PreAnnotated {
        item: usize,
        side: Side,
        run: Box<Run>,
    },
    /// A review decision (and its example change) reached the disk, or did not (`error`).
    DecisionWritten {
        seq: u64,
        error: Option<crate::dataset::store::StoreError>,
    },
    /// A look-ahead run ended without a run (the task failed): the item can be run again.
    PreAnnotationLost {
        item: usize,
        side: Side,
        error: String,
    },
    /// A message from the driver (saved, exported, copied, failed).
    Notice {
        text: String,
        level: super::state::Level,
    },
}

/// Everything a run needs, owned, so the driver can move it to a task.
#[derive(Debug, Clone)]
pub struct RunJob {
    pub slot: Side,
    pub task: Task,
    pub profile: ModelProfile,
    pub paragraph: String,
    pub pool: Pool,
}

impl RunJob {
    pub fn request(&self) -> RunRequest<'_> {
        RunRequest {
            task: &self.task,
            profile: &self.profile,
            paragraph: &self.paragraph,
            pool: &self.pool,
            endpoint: 0,
            stream: true,
            parallel: 1,
        }
    }
}

/// A look-ahead run: an item of the queue through a profile; the run is also appended to
/// `output` (extract's format) so a reopened queue does not run it again.
#[derive(Debug, Clone)]
pub struct PreAnnotation {
    pub item: usize,
    pub id: String,
    /// Where the paragraph sits in its paper, kept on the line as extract keeps it.
    pub place: Option<crate::place::Place>,
    pub output: std::path::PathBuf,
    pub job: RunJob,
}

#[derive(Debug, Clone)]
pub enum Effect {
    StartRun(Box<RunJob>),
    CancelRun(Side),
    SaveExample(Box<SavedExample>),
    LoadExamples(String),
    LoadPool(String),
    /// Export the saved examples of this task (as the workbench holds it).
    Export(Box<Task>),
    Copy {
        text: String,
        what: &'static str,
    },
    SaveDraft(Draft),
    /// Ask these profiles' servers which models they serve: (index, profile).
    ListModels(Vec<(usize, ModelProfile)>),
    /// Download the default embedded model.
    FetchModel,
    /// Write a review decision to the queue's log with the example it saves or withdraws, both
    /// or neither; answered by `Action::DecisionWritten`.
    WriteDecision(Box<crate::review::record::DecisionWrite>),
    PreAnnotate(Box<PreAnnotation>),
    /// List the files a queue could be opened from.
    ListQueueFiles,
    /// Read the training runs again now (answered by `Action::TrainingRead`).
    RefreshTraining,
    /// Leave the terminal to the shell and stop until continued (`fg`).
    Suspend,
    /// Open a queue from a file for this task (the file's own task wins for extract outputs).
    OpenQueue {
        path: std::path::PathBuf,
        task: Box<Task>,
        /// Every task, for extract outputs that name theirs.
        tasks: Vec<Task>,
    },
    Quit,
}
