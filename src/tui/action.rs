//! What can happen to the workbench (actions in) and what it asks the driver to do (effects out).

use crate::dataset::store::SavedExample;
use crate::llm::Run;
use crate::llm::prompt::Shot;
use crate::llm::{ModelProfile, RunRequest};
use crate::task::Task;
use crossterm::event::KeyEvent;
use std::time::Instant;

/// A named command, bound to keys in the key map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    Quit,
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
    FetchModel,
}

/// (command, name in the key map, what it does).
const COMMANDS: &[(Command, &str, &str)] = &[
    (Command::Quit, "quit", "quit (the draft is saved)"),
    (
        Command::Interrupt,
        "interrupt",
        "cancel the running extraction; quit when none runs",
    ),
    (Command::Cancel, "cancel", "cancel the running extraction, or close"),
    (Command::Help, "help", "show the keys of this pane"),
    (Command::FocusNext, "focus-next", "next pane"),
    (Command::FocusPrev, "focus-prev", "previous pane"),
    (Command::PickTask, "pick-task", "choose the task"),
    (Command::PickModel, "pick-model", "choose the model"),
    (
        Command::PickCompareModel,
        "pick-compare-model",
        "choose the model to compare with",
    ),
    (Command::Run, "run", "run the extraction"),
    (Command::RunCompare, "run-compare", "run both models side by side"),
    (Command::ToggleCompare, "toggle-compare", "show or hide the comparison"),
    (Command::ToggleRaw, "toggle-raw", "structured view / raw reply"),
    (Command::Edit, "edit", "edit the extraction as text"),
    (Command::Accept, "accept", "accept as the corrected gold"),
    (Command::Save, "save", "save the example to the dataset"),
    (Command::CopyJson, "copy-json", "copy the extraction as JSON (OSC 52)"),
    (Command::CopyText, "copy-text", "copy the canonical text (OSC 52)"),
    (Command::Inspector, "inspector", "inspect the last run"),
    (Command::Browser, "browser", "browse saved examples"),
    (Command::Export, "export", "export fine-tuning JSONL"),
    (Command::SelectNext, "select-next", "next value"),
    (Command::SelectPrev, "select-prev", "previous value"),
    (Command::ScrollDown, "scroll-down", "scroll down"),
    (Command::ScrollUp, "scroll-up", "scroll up"),
    (Command::EditSource, "edit-source", "edit the paragraph (Esc to stop)"),
    (
        Command::ClearSource,
        "clear-source",
        "clear the paragraph (undo brings it back)",
    ),
    (Command::Undo, "undo", "undo"),
    (Command::Redo, "redo", "redo"),
    (
        Command::AdoptLeft,
        "adopt-left",
        "start the correction from the left run",
    ),
    (
        Command::AdoptRight,
        "adopt-right",
        "start the correction from the right run",
    ),
    (Command::Open, "open", "open"),
    (Command::Close, "close", "close"),
    (
        Command::FetchModel,
        "fetch-model",
        "download the default embedded model",
    ),
];

impl Command {
    pub fn from_name(name: &str) -> Option<Command> {
        COMMANDS.iter().find(|(_, n, _)| *n == name).map(|(c, _, _)| *c)
    }

    pub fn name(self) -> &'static str {
        COMMANDS.iter().find(|(c, _, _)| *c == self).map_or("?", |(_, n, _)| n)
    }

    pub fn describe(self) -> &'static str {
        COMMANDS.iter().find(|(c, _, _)| *c == self).map_or("", |(_, _, d)| d)
    }
}

/// Which run: the main one, or the one it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Main,
    Compare,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::Main, Side::Compare];

    /// Position in per-side arrays (runs, cancellation tokens, run markers).
    pub fn index(self) -> usize {
        match self {
            Side::Main => 0,
            Side::Compare => 1,
        }
    }
}

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
        task: String,
        shots: Vec<Shot>,
    },
    ExamplesLoaded {
        task: String,
        examples: Vec<SavedExample>,
    },
    /// A profile's server lists these model ids.
    ModelsListed {
        profile: usize,
        ids: Vec<String>,
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
    pub pool: Vec<Shot>,
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
        }
    }
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
    Quit,
}
