//! What the chemist is doing with the answer: looking at the runs, writing it as text, editing it
//! field by field, or having accepted it. One value holds which, with its data, and a version
//! that moves on every change the crash draft holds (the driver saves when it moves).

use super::fields::FormState;
use crate::extraction::Extraction;
use crate::format::FormatError;
use crate::side::Side;
use ratatui_textarea::TextArea;

/// An accepted correction and its canonical text (the task's exact format).
pub type Gold = (Extraction, String);

/// The answer typed as text.
pub struct EditorState {
    pub area: TextArea<'static>,
    /// The run the text started from.
    pub from: Side,
    pub parsed: Result<Extraction, FormatError>,
}

impl EditorState {
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }
}

pub enum Phase {
    /// The runs as they came; accepting takes the main run's extraction.
    Viewing,
    /// A correction accepted as the gold; saving keeps it.
    Accepted(Gold),
    /// The answer being typed as text; `accepted` is the gold it will replace, if any.
    EditingText {
        editor: EditorState,
        accepted: Option<Gold>,
    },
    /// The answer being edited value by value.
    EditingFields { form: FormState, accepted: Option<Gold> },
}

/// The phase and the draft's version.
pub struct Correction {
    phase: Phase,
    version: u64,
    /// The answer accepting last asked about, for its values not in the source.
    asked_unfound: Option<String>,
}

impl Default for Correction {
    fn default() -> Correction {
        Correction {
            phase: Phase::Viewing,
            version: 0,
            asked_unfound: None,
        }
    }
}

impl Correction {
    /// Whether accepting `answer`, with `unfound` values not in the source, asks first: once
    /// per answer, so the same key again accepts it.
    pub fn ask_before_accepting(&mut self, answer: &str, unfound: usize) -> bool {
        if unfound == 0 || self.asked_unfound.as_deref() == Some(answer) {
            return false;
        }
        self.asked_unfound = Some(answer.to_string());
        true
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Moves on whenever what the draft holds changes.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Another part of the draft changed (the paragraph, the task, the model).
    pub fn touch(&mut self) {
        self.version += 1;
    }

    pub fn set(&mut self, phase: Phase) {
        self.phase = phase;
        self.touch();
    }

    /// Back to the runs as they came.
    pub fn reset(&mut self) {
        self.set(Phase::Viewing);
    }

    pub fn accept(&mut self, gold: Gold) {
        self.set(Phase::Accepted(gold));
    }

    /// Opens the text editor over whatever was accepted.
    pub fn edit_text(&mut self, editor: EditorState) {
        let accepted = self.take_gold();
        self.set(Phase::EditingText { editor, accepted });
    }

    /// Opens the field editor over whatever was accepted.
    pub fn edit_fields(&mut self, form: FormState) {
        let accepted = self.take_gold();
        self.set(Phase::EditingFields { form, accepted });
    }

    /// Closes an editor without accepting: back to the accepted gold, or to viewing. The closed
    /// editor is returned (the field editor hands its values to the text editor).
    pub fn close_editor(&mut self) -> Phase {
        let gold = self.take_gold();
        let next = gold.map_or(Phase::Viewing, Phase::Accepted);
        let closed = std::mem::replace(&mut self.phase, next);
        self.touch();
        closed
    }

    fn take_gold(&mut self) -> Option<Gold> {
        match &mut self.phase {
            Phase::Viewing => None,
            Phase::Accepted(gold) => Some(gold.clone()),
            Phase::EditingText { accepted, .. } | Phase::EditingFields { accepted, .. } => accepted.take(),
        }
    }

    /// The accepted gold, also while an editor is open over it.
    pub fn gold(&self) -> Option<&Gold> {
        match &self.phase {
            Phase::Viewing => None,
            Phase::Accepted(gold) => Some(gold),
            Phase::EditingText { accepted, .. } | Phase::EditingFields { accepted, .. } => accepted.as_ref(),
        }
    }

    pub fn gold_mut(&mut self) -> Option<&mut Gold> {
        match &mut self.phase {
            Phase::Viewing => None,
            Phase::Accepted(gold) => Some(gold),
            Phase::EditingText { accepted, .. } | Phase::EditingFields { accepted, .. } => accepted.as_mut(),
        }
    }

    pub fn editor(&self) -> Option<&EditorState> {
        match &self.phase {
            Phase::EditingText { editor, .. } => Some(editor),
            _ => None,
        }
    }

    /// The text editor, to change: the draft counts as changed.
    pub fn editor_mut(&mut self) -> Option<&mut EditorState> {
        self.touch();
        match &mut self.phase {
            Phase::EditingText { editor, .. } => Some(editor),
            _ => None,
        }
    }

    pub fn form(&self) -> Option<&FormState> {
        match &self.phase {
            Phase::EditingFields { form, .. } => Some(form),
            _ => None,
        }
    }

    /// The field editor, to change: the draft counts as changed.
    pub fn form_mut(&mut self) -> Option<&mut FormState> {
        self.touch();
        match &mut self.phase {
            Phase::EditingFields { form, .. } => Some(form),
            _ => None,
        }
    }

    /// The run the correction started from: the side an editor adopted, else the left.
    pub fn from(&self) -> Side {
        match &self.phase {
            Phase::EditingText { editor, .. } => editor.from,
            Phase::EditingFields { form, .. } => form.from,
            Phase::Viewing | Phase::Accepted(_) => Side::Main,
        }
    }

    /// The extraction this phase shows over the runs' (the source highlights it): the form's,
    /// the edited text's when it parses, the accepted gold's; `None` means the main run's.
    pub fn shown(&self) -> Option<&Extraction> {
        match &self.phase {
            Phase::EditingFields { form, .. } => Some(&form.extraction),
            Phase::EditingText { editor, accepted } => match &editor.parsed {
                Ok(extraction) => Some(extraction),
                Err(_) => accepted.as_ref().map(|(e, _)| e),
            },
            Phase::Accepted((extraction, _)) => Some(extraction),
            Phase::Viewing => None,
        }
    }

    /// What accepting would take, before the main run's extraction: the form's values, the
    /// edited text (or why it does not parse), the accepted gold.
    pub fn to_accept(&self) -> Option<Result<Extraction, &FormatError>> {
        match &self.phase {
            Phase::EditingFields { form, .. } => Some(Ok(form.extraction.clone())),
            Phase::EditingText { editor, .. } => Some(editor.parsed.as_ref().cloned()),
            Phase::Accepted((extraction, _)) => Some(Ok(extraction.clone())),
            Phase::Viewing => None,
        }
    }
}
