//! What can happen to the workbench (actions in) and what it asks the driver to do (effects out).

use crate::dataset::store::SavedExample;
use crate::llm::Run;
use crate::llm::prompt::Pool;
use crate::llm::{ModelProfile, RunRequest};
use crate::task::Task;
use crossterm::event::KeyEvent;
use std::time::Instant;

/// A named command, bound to keys in the key map. Its name there is derived from the variant
/// (`PickCompareModel` → `pick-compare-model`), so every command has one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
#[strum(serialize_all = "kebab-case")]
pub enum Command {
    Quit,
    Suspend,
    Interrupt,
    Cancel,
    Help,
    FocusNext,
    FocusPrev,
    PickTask,
    PickModel,
    PickCompareModel,
    Run,
    RunCompare,
    ToggleCompare,
    ToggleRaw,
    Edit,
    Accept,
    Save,
    CopyJson,
    CopyText,
    Inspector,
    Browser,
    Export,
    SelectNext,
    SelectPrev,
    ScrollDown,
    ScrollUp,
    EditSource,
    ClearSource,
    Undo,
    Redo,
    AdoptLeft,
    AdoptRight,
    Open,
    Close,
    Choose,
    FetchModel,
    OpenQueue,
    ReviewAccept,
    ReviewReject,
    ReviewSkip,
    ReviewUndo,
    ReviewJump,
    ReviewSummary,
    EditFields,
    NextRecord,
    PrevRecord,
    EditValue,
    ClearValue,
    AddValue,
    AddRecord,
    RemoveRecord,
    SelectSpan,
    WordNext,
    WordPrev,
    ExtendSelection,
    ShrinkSelection,
}

impl Command {
    pub fn from_name(name: &str) -> Option<Command> {
        name.parse().ok()
    }

    pub fn name(self) -> &'static str {
        self.into()
    }

    /// What the command does, for the help overlay.
    pub fn describe(self) -> &'static str {
        match self {
            Command::Quit => "quit (the draft is saved)",
            Command::Suspend => "suspend to the shell (fg comes back)",
            Command::Interrupt => "cancel the running extraction; quit when none runs",
            Command::Cancel => "cancel the running extraction, or close",
            Command::Help => "show the keys of this pane",
            Command::FocusNext => "next pane",
            Command::FocusPrev => "previous pane",
            Command::PickTask => "choose the task",
            Command::PickModel => "choose the model",
            Command::PickCompareModel => "choose the model to compare with",
            Command::Run => "run the extraction",
            Command::RunCompare => "run both models side by side",
            Command::ToggleCompare => "show or hide the comparison",
            Command::ToggleRaw => "structured view / raw reply",
            Command::Edit => "edit the extraction as text",
            Command::Accept => "accept as the corrected gold",
            Command::Save => "save the example to the dataset",
            Command::CopyJson => "copy the extraction as JSON (OSC 52)",
            Command::CopyText => "copy the canonical text (OSC 52)",
            Command::Inspector => "inspect the last run",
            Command::Browser => "browse saved examples",
            Command::Export => "export fine-tuning JSONL",
            Command::SelectNext => "next value",
            Command::SelectPrev => "previous value",
            Command::ScrollDown => "scroll down",
            Command::ScrollUp => "scroll up",
            Command::EditSource => "edit the paragraph (Esc to stop)",
            Command::ClearSource => "clear the paragraph (undo brings it back)",
            Command::Undo => "undo",
            Command::Redo => "redo",
            Command::AdoptLeft => "start the correction from the left run",
            Command::AdoptRight => "start the correction from the right run",
            Command::Open => "open",
            Command::Close => "close",
            Command::Choose => "choose the highlighted item",
            Command::FetchModel => "download the default embedded model",
            Command::OpenQueue => "open a review queue from a file",
            Command::ReviewAccept => "accept (the edit, or the model's answer as is) and go to the next",
            Command::ReviewReject => "reject the paragraph with a reason",
            Command::ReviewSkip => "skip: the paragraph comes back at the end",
            Command::ReviewUndo => "undo the last decision",
            Command::ReviewJump => "jump to any paragraph of the queue",
            Command::ReviewSummary => "the queue's summary: decisions, speed, the model's measures",
            Command::EditFields => "correct the extraction field by field",
            Command::NextRecord => "next record",
            Command::PrevRecord => "previous record",
            Command::EditValue => "type the value (Enter keeps it, Esc drops it)",
            Command::ClearValue => "remove the value (an empty field is missing)",
            Command::AddValue => "add a value to the field",
            Command::AddRecord => "add a record",
            Command::RemoveRecord => "remove this record",
            Command::SelectSpan => "take the value from the source: choose its words",
            Command::WordNext => "the next word",
            Command::WordPrev => "the previous word",
            Command::ExtendSelection => "one more word",
            Command::ShrinkSelection => "one word less",
        }
    }
}

pub use crate::side::Side;

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
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
    QueueOpened(Box<super::review::ReviewState>, Vec<String>),
    /// Files a queue could be opened from (for the picker).
    QueueFilesListed(Vec<String>),
    /// A look-ahead run finished.
    PreAnnotated {
        item: usize,
        side: Side,
        run: Box<Run>,
    },
    /// A review decision (and its example change) reached the disk, or did not (`error`).
    DecisionWritten {
        seq: u64,
        error: Option<String>,
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
    pub output: std::path::PathBuf,
    pub job: RunJob,
}

/// The draft that survives crashes: what the user typed and chose.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Draft {
    pub paragraph: String,
    pub task: String,
    pub model: String,
    #[serde(default)]
    pub editor: Option<String>,
    #[serde(default)]
    pub gold: Option<String>,
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
