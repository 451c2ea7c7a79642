//! Everything the workbench shows, as plain data. Changed only by `update`; read by the views.

use super::keymap::{Keymap, Scope};
use super::phase::{Correction, EditorState, Gold, Phase};
use crate::dataset::store::SavedExample;
use crate::extraction::Extraction;
use crate::llm::prompt::Pool;
use crate::llm::{ModelProfile, Run};
use crate::side::Side;
use crate::task::Task;
use ratatui_textarea::TextArea;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Source,
    Result,
    Compare,
    Editor,
    Browser,
    /// The field editor.
    Form,
    /// A paper's blocks under their sections, while a queue is open (`tui/outline.rs`).
    Outline,
}

impl Pane {
    pub fn scope(self) -> Scope {
        match self {
            Pane::Source => Scope::Source,
            Pane::Result => Scope::Result,
            Pane::Compare => Scope::Compare,
            Pane::Editor => Scope::Editor,
            Pane::Browser => Scope::Browser,
            Pane::Form => Scope::Form,
            Pane::Outline => Scope::Outline,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Source => "Source",
            Pane::Result => "Result",
            Pane::Compare => "Compare",
            Pane::Editor => "Edit",
            Pane::Browser => "Saved",
            Pane::Form => "Fields",
            Pane::Outline => "Outline",
        }
    }
}

/// One model run as it streams and after it finished.
#[derive(Debug, Clone, Default)]
pub struct RunSlot {
    pub profile: Option<usize>,
    pub running: bool,
    pub streamed: String,
    pub started: Option<Instant>,
    pub first_piece: Option<Instant>,
    pub now: Option<Instant>,
    pub pieces: u64,
    pub run: Option<Run>,
}

impl RunSlot {
    pub fn extraction(&self) -> Option<&Extraction> {
        self.run.as_ref().and_then(|r| r.extraction.as_ref())
    }

    /// Seconds since the start, while running (from the last tick or piece).
    pub fn elapsed(&self) -> Option<f64> {
        Some(self.now?.saturating_duration_since(self.started?).as_secs_f64())
    }
}

/// Where the source pane is scrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceScroll {
    /// Rows scrolled past, as the user scrolled (the view stops at the end).
    Rows(u16),
    /// Keep the selected value in view.
    FollowSelection,
}

impl SourceScroll {
    pub fn down(self) -> SourceScroll {
        match self {
            SourceScroll::Rows(n) => SourceScroll::Rows(n.saturating_add(1)),
            SourceScroll::FollowSelection => SourceScroll::FollowSelection,
        }
    }

    pub fn up(self) -> SourceScroll {
        match self {
            SourceScroll::Rows(n) => SourceScroll::Rows(n.saturating_sub(1)),
            // From wherever the selection put it: the view clamps to the last screenful.
            SourceScroll::FollowSelection => SourceScroll::Rows(u16::MAX - 1),
        }
    }
}

/// Whether a profile's server answers, as the model picker shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Reach {
    /// It listed these model ids.
    Serves(Vec<String>),
    /// It did not answer (the reason as the engine gave it).
    Unreachable(String),
}

/// One line of the comparison's measures: which pair, and the task's measures for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonLine {
    pub label: &'static str,
    pub scores: Vec<(String, Option<f64>)>,
}

/// The main run and the one it is compared with.
pub type Runs = crate::side::PerSide<RunSlot>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Task,
    Model,
    CompareModel,
    /// Why a queue item is rejected (a typed reason is taken as is).
    RejectReason,
    /// An item of the review queue, by walking position.
    QueueItem,
    /// A file to open as a review queue (a typed path is taken as is).
    QueueFile,
    /// A training run (`training.rs`).
    TrainingRun,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    pub kind: PickerKind,
    pub query: String,
    pub items: Vec<String>,
    /// Indices into `items` that match the query, best first.
    pub matches: Vec<usize>,
    pub selected: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help,
    Inspector(Side),
    Picker(Picker),
    /// The review queue's summary, as text.
    Summary(String),
}

/// Who has the keys: the panes, the paragraph being typed, or an overlay. `update` routes every
/// key by this and the focused pane (`State::key_scope`).
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// The focused pane's commands; in the editor pane, other keys type.
    Panes,
    /// Keys type into the paragraph.
    EditingSource,
    /// Help, the inspector or a picker over the panes.
    Overlay(Overlay),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResultView {
    #[default]
    Structured,
    Raw,
}

/// How a notice in the status bar is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub level: Level,
}

/// The source pane's state.
pub struct SourcePane {
    /// The paragraph, as typed or loaded.
    pub area: TextArea<'static>,
    pub scroll: SourceScroll,
    /// A word being found in the paragraph (`/`), outside the field editor.
    pub find: Option<Find>,
}

/// The result pane's state.
#[derive(Debug, Default)]
pub struct ResultPane {
    pub view: ResultView,
    /// The selected value (index into the highlighted extraction's values).
    pub selected: usize,
}

/// The comparison pane's state.
#[derive(Debug, Default)]
pub struct ComparePane {
    pub open: bool,
    /// The comparison's measures, computed when a run finishes, the gold or the paragraph
    /// changes (`refresh_comparison`), never while drawing.
    pub lines: Vec<ComparisonLine>,
    /// Both runs' values aligned one by one, computed with the measures.
    pub rows: Vec<crate::metrics::align::AlignedValue>,
    /// The first row shown (j/k in the pane; kept inside the rows).
    pub scroll: usize,
}

/// The saved examples' list and its highlighted row.
#[derive(Debug, Default)]
pub struct Browser {
    pub examples: Vec<SavedExample>,
    pub selected: usize,
}

pub struct State {
    pub tasks: Vec<Task>,
    pub task: usize,
    pub profiles: Vec<ModelProfile>,
    pub model: usize,
    pub compare_model: Option<usize>,
    /// The training runs as the driver last read them, newest first.
    pub training: Vec<crate::train::summary::RunSummary>,
    /// What each profile's server said when asked for its models, by profile name.
    pub reach: std::collections::HashMap<String, Reach>,
    /// The paragraph, how it is scrolled, and a word being found in it.
    pub source: SourcePane,
    pub focus: Pane,
    pub runs: Runs,
    /// How the result is shown, and its selected value.
    pub result: ResultPane,
    /// What is being corrected, and the draft's version.
    pub correction: Correction,
    /// The comparison pane: open or not, and its measures.
    pub compare: ComparePane,
    /// Who has the keys.
    pub mode: Mode,
    /// The saved examples listed to open one (`o`).
    pub browser: Browser,
    pub pool: Pool,
    pub keymap: Keymap,
    pub notice: Option<Notice>,
    pub width: u16,
    pub height: u16,
    /// The open review queue.
    pub review: Option<Box<super::review_state::ReviewState>>,
    /// The driver's clock at the last action (for the time spent per queue item).
    pub now: Option<Instant>,
    /// What the mouse is doing.
    pub pointer: Pointer,
    pub quit: bool,
}

/// The source pane's find: the query, whether keys still type into it, the marked match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Find {
    pub query: String,
    pub typing: bool,
    pub at: Option<std::ops::Range<usize>>,
}

/// The mouse's last press (when and on which cell, for double presses) and the word a drag
/// started from.
#[derive(Debug, Clone, Default)]
pub struct Pointer {
    pub last_press: Option<(Instant, (u16, u16))>,
    pub anchor: Option<usize>,
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

/// Below this width the panes become tabs.
pub const WIDE: u16 = 100;

impl State {
    pub fn new(tasks: Vec<Task>, profiles: Vec<ModelProfile>, keymap: Keymap, paragraph: &str) -> State {
        let mut source = TextArea::new(paragraph.split('\n').map(String::from).collect());
        source.set_max_histories(200);
        State {
            tasks,
            task: 0,
            profiles,
            model: 0,
            compare_model: None,
            training: Vec::new(),
            reach: std::collections::HashMap::new(),
            source: SourcePane {
                area: source,
                scroll: SourceScroll::Rows(0),
                find: None,
            },
            focus: Pane::Source,
            runs: Runs::default(),
            result: ResultPane::default(),
            correction: Correction::default(),
            compare: ComparePane::default(),
            mode: Mode::Panes,
            browser: Browser::default(),
            pool: Pool::default(),
            keymap,
            notice: None,
            width: 80,
            height: 24,
            review: None,
            now: None,
            pointer: Pointer::default(),
            quit: false,
        }
    }

    pub fn task(&self) -> &Task {
        &self.tasks[self.task.min(self.tasks.len() - 1)]
    }

    pub fn profile(&self) -> Option<&ModelProfile> {
        self.profiles.get(self.model)
    }

    pub fn paragraph(&self) -> String {
        self.source.area.lines().join("\n")
    }

    pub fn wide(&self) -> bool {
        self.width >= WIDE
    }

    /// The extraction whose spans the source shows: the text being edited, else the accepted
    /// correction, else the main run's.
    pub fn highlighted(&self) -> Option<&Extraction> {
        self.correction.shown().or_else(|| self.runs[Side::Main].extraction())
    }

    pub fn gold(&self) -> Option<&Gold> {
        self.correction.gold()
    }

    pub fn value_count(&self) -> usize {
        self.highlighted().map_or(0, |e| e.values().len())
    }

    pub fn overlay(&self) -> Option<&Overlay> {
        match &self.mode {
            Mode::Overlay(overlay) => Some(overlay),
            _ => None,
        }
    }

    pub fn editing_source(&self) -> bool {
        self.mode == Mode::EditingSource
    }

    /// Whether the review queue's keys come first: a queue is open and no modal scope has the keys.
    pub fn review_keys(&self) -> bool {
        self.review.is_some() && !self.key_scope().is_modal()
    }

    /// The key-map scope that gets the next key.
    pub fn key_scope(&self) -> Scope {
        match (&self.mode, self.focus) {
            (Mode::Overlay(Overlay::Picker(_)), _) => Scope::Picker,
            (Mode::Overlay(_), _) => Scope::Overlay,
            (Mode::EditingSource, _) => Scope::SourceInput,
            (Mode::Panes, Pane::Form) => match self.correction.form() {
                Some(form) if form.input.is_some() => Scope::FormInput,
                Some(form) => match &form.selecting {
                    Some(s) if s.search.as_ref().is_some_and(|s| s.typing) => Scope::SelectSearch,
                    Some(_) => Scope::Select,
                    None => Scope::Form,
                },
                None => Scope::Form,
            },
            (Mode::Panes, Pane::Source) if self.source.find.as_ref().is_some_and(|f| f.typing) => Scope::SelectSearch,
            (Mode::Panes, pane) => pane.scope(),
        }
    }

    /// The panes in focus order for the current layout.
    pub fn panes(&self) -> Vec<Pane> {
        let mut panes = vec![Pane::Source, Pane::Result];
        if self.compare.open {
            panes.push(Pane::Compare);
        }
        if self.correction.editor().is_some() {
            panes.push(Pane::Editor);
        }
        if self.correction.form().is_some() {
            panes.push(Pane::Form);
        }
        if !self.browser.examples.is_empty() || self.focus == Pane::Browser {
            panes.push(Pane::Browser);
        }
        if self.review.is_some() {
            panes.push(Pane::Outline);
        }
        panes
    }

    pub fn draft(&self) -> Draft {
        Draft {
            paragraph: self.paragraph(),
            task: self.task().name.clone(),
            model: self.profile().map(|p| p.name.clone()).unwrap_or_default(),
            editor: self.correction.editor().map(EditorState::text),
            gold: self.gold().map(|(_, text)| text.clone()),
        }
    }

    /// Grounds the shown extractions again after the paragraph changed.
    pub fn reground(&mut self) {
        let paragraph = self.paragraph();
        let task = self.task().clone();
        let verbatim = |f: &str| task.is_verbatim(f);
        for slot in self.runs.iter_mut() {
            if let Some(extraction) = slot.run.as_mut().and_then(|r| r.extraction.as_mut()) {
                crate::ground::ground(extraction, &paragraph, &verbatim);
            }
        }
        if let Some((extraction, _)) = self.correction.gold_mut() {
            crate::ground::ground(extraction, &paragraph, &verbatim);
        }
        self.reparse_editor();
        self.refresh_comparison();
    }

    /// Moves to `phase`, and the measures that depend on the gold follow.
    pub fn set_phase(&mut self, phase: Phase) {
        self.correction.set(phase);
        self.refresh_comparison();
    }

    /// Accepts `gold` as the correction, and the measures follow.
    pub fn accept_gold(&mut self, gold: Gold) {
        self.correction.accept(gold);
        self.refresh_comparison();
    }

    /// The paragraph, the task or the model changed: the draft on disk must follow.
    pub fn draft_changed(&mut self) {
        self.correction.touch();
    }

    /// Each side against the gold, or right against left without one; nothing until both sides
    /// have run.
    pub fn refresh_comparison(&mut self) {
        self.compare.lines.clear();
        self.compare.rows.clear();
        let (left, right) = (&self.runs[Side::Main], &self.runs[Side::Compare]);
        if left.run.is_none() || right.run.is_none() {
            return;
        }
        if let (Some(l), Some(r)) = (left.extraction(), right.extraction()) {
            self.compare.rows = crate::metrics::align::align(l, r);
        }
        self.compare.scroll = self.compare.scroll.min(self.compare.rows.len().saturating_sub(1));
        let task = self.task();
        let paragraph = self.paragraph();
        let text = |slot: &RunSlot| slot.extraction().map(|e| task.render(e)).unwrap_or_default();
        let score = |gold: &str, pred: &str| crate::metrics::single::score_pair(task, gold, pred, &paragraph);
        let lines = match self.gold() {
            Some((_, gold)) => vec![
                ComparisonLine {
                    label: "left vs gold:  ",
                    scores: score(gold, &text(left)),
                },
                ComparisonLine {
                    label: "right vs gold: ",
                    scores: score(gold, &text(right)),
                },
            ],
            None => vec![ComparisonLine {
                label: "right vs left (no gold yet): ",
                scores: score(&text(left), &text(right)),
            }],
        };
        self.compare.lines = lines;
    }

    /// Opens the text editor on `text`, a correction that started from the `from` run.
    pub fn edit_text(&mut self, from: Side, text: &str) {
        let mut area = TextArea::new(text.split('\n').map(String::from).collect());
        area.set_max_histories(200);
        area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        let parsed = self.task().parse_grounded(text, &self.paragraph());
        self.correction.edit_text(EditorState { area, from, parsed });
        self.focus = Pane::Editor;
    }

    /// Parses the editor's text again (after it or the paragraph changed).
    pub fn reparse_editor(&mut self) {
        let paragraph = self.paragraph();
        let task = self.task().clone();
        if let Some(editor) = self.correction.editor_mut() {
            editor.parsed = task.parse_grounded(&editor.area.lines().join("\n"), &paragraph);
        }
    }

    pub fn notify(&mut self, text: impl Into<String>, level: Level) {
        self.notice = Some(Notice {
            text: text.into(),
            level,
        });
    }
}
