//! Tasks: what to extract and how the answer is written. A task is data (a TOML file); the
//! built-ins are embedded in the binary and users add their own in `<config>/tasks/*.toml`.

pub mod builtin;
pub mod checks;
mod hrms;
pub mod prompt;

pub use prompt::{ChatMessage, FineTunedStyle, FineTunedTemplate, Prompts};

use crate::extraction::Extraction;
use crate::format::{FieldSpec, Format, FormatError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub name: String,
    pub title: String,
    /// Where the task comes from: `chemsci2024`, `natcomm2024`, or anything for user tasks.
    #[serde(default)]
    pub source: String,
    pub description: String,
    pub format: Format,
    /// The papers' measure set, or `generic` (the default) for any task.
    #[serde(default)]
    pub metrics: MetricSet,
    #[serde(rename = "field")]
    pub fields: Vec<FieldSpec>,
    pub prompt: Prompts,
    /// JSON Schema of the answer, for JSON formats (constrained decoding and validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// How a copied value may differ from the paragraph in its whitespace (strict grounding).
    #[serde(default, skip_serializing_if = "is_default")]
    pub copy_whitespace: CopyWhitespace,
    /// The chemistry checks applied to its fields' values (`[[check]]`; `checks::CHECKS`).
    #[serde(default, rename = "check", skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<checks::FieldCheck>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// How a value held to the paragraph may differ from it in whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopyWhitespace {
    /// Byte for byte as the paragraph has it.
    #[default]
    Exact,
    /// Any run of whitespace in the paragraph (spaces, a PDF's line breaks, thin spaces) may be
    /// written as any run of spaces, tabs and line breaks; nothing else may differ.
    AnyRun,
}

/// The papers' measures a task is scored with (see `metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricSet {
    /// Field, record and paragraph measures from the answers' shape (`metrics::generic`).
    #[default]
    Generic,
    Compound,
    Roles,
    MofSynthesis,
    Nmr,
    Action,
    DopingEnglish,
    DopingEnglishExtra,
    DopingJson,
    NerreGeneral,
    NerreMof,
}

impl MetricSet {
    /// The NERRE doping measures (any of the three schemas).
    pub fn is_doping(self) -> bool {
        matches!(
            self,
            MetricSet::DopingEnglish | MetricSet::DopingEnglishExtra | MetricSet::DopingJson
        )
    }
}

impl Task {
    pub fn parse(&self, text: &str) -> Result<Extraction, FormatError> {
        self.format.parse(text, &self.fields)
    }

    pub fn render(&self, extraction: &Extraction) -> String {
        self.format.render(extraction, &self.fields)
    }

    /// The answer as the editor shows it (JSON over several lines); `render` is what is saved.
    pub fn render_for_editing(&self, extraction: &Extraction) -> String {
        self.format.render_for_editing(extraction, &self.fields)
    }

    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether values of `field` should be found verbatim in the source. Fields the task does
    /// not declare (e.g. keys of a user's JSON) are grounded.
    pub fn is_verbatim(&self, field: &str) -> bool {
        self.field(field).is_none_or(|f| f.verbatim)
    }

    /// Parses `text` and grounds its values in `source`.
    pub fn parse_grounded(&self, text: &str, source: &str) -> Result<Extraction, FormatError> {
        let mut extraction = self.parse(text)?;
        crate::ground::ground(&mut extraction, source, &|field| self.is_verbatim(field));
        Ok(extraction)
    }

    /// What the task's checks find wrong with a value of `field` (none for most values).
    pub fn value_problems(&self, field: &str, value: &str) -> Vec<String> {
        checks::problems(&self.checks, field, value)
    }

    /// Loads one task file.
    pub fn from_toml(text: &str) -> Result<Task, TaskError> {
        let task: Task = toml::from_str(text).map_err(|e| TaskError::Toml(e.to_string()))?;
        task.check().map(|()| task)
    }

    fn check(&self) -> Result<(), TaskError> {
        if self.fields.is_empty() {
            return Err(TaskError::NoFields);
        }
        if let Some(check) = self.checks.iter().find(|c| self.field(&c.field).is_none()) {
            return Err(TaskError::CheckField(check.field.clone()));
        }
        if let Some(schema) = &self.schema {
            let value =
                serde_json::from_str::<serde_json::Value>(schema).map_err(|e| TaskError::Schema(e.to_string()))?;
            // A schema that does not compile would leave runs unconstrained while claiming not to.
            jsonschema::validator_for(&value).map_err(|e| TaskError::SchemaInvalid(e.to_string()))?;
        }
        Ok(())
    }
}

/// Why a task file does not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// Not TOML, or not a task's keys (the message names line and key).
    #[error("{0}")]
    Toml(String),
    #[error("a [[check]] names the field {0:?}, which the task has no [[field]] of")]
    CheckField(String),
    #[error("a task needs at least one [[field]]")]
    NoFields,
    #[error("schema is not valid JSON: {0}")]
    Schema(String),
    #[error("the schema does not compile: {0}")]
    SchemaInvalid(String),
}

/// A name that is not among the tasks or profiles, with the names there are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {name:?}; known {kind}s: {}", known.join(", "))]
pub struct UnknownName {
    pub kind: &'static str,
    pub name: String,
    pub known: Vec<String>,
}

/// A name a task can have: letters, digits, `-` and `_`, starting with a letter or digit (it
/// names a file, `<config>/tasks/NAME.toml`, so never a path).
pub fn is_task_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A user task file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFileError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for TaskFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message.trim_end())
    }
}

/// All tasks: the built-ins, then the user's (a user task with a built-in's name replaces it).
#[derive(Debug, Clone)]
pub struct Registry {
    pub tasks: Vec<Task>,
    /// User files that failed to load; the others still load.
    pub errors: Vec<TaskFileError>,
}

impl Registry {
    pub fn builtin() -> Registry {
        let tasks = builtin::FILES
            .iter()
            .map(|(name, text)| Task::from_toml(text).unwrap_or_else(|e| panic!("built-in task {name}: {e}")))
            .collect();
        Registry {
            tasks,
            errors: Vec::new(),
        }
    }

    /// The built-ins plus every `*.toml` in `dir` (a missing directory is fine).
    pub fn load(dir: Option<&Path>) -> Registry {
        let mut registry = Registry::builtin();
        let Some(dir) = dir else { return registry };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return registry;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            match std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| Task::from_toml(&t).map_err(|e| e.to_string()))
            {
                Ok(task) => registry.insert(task),
                Err(message) => registry.errors.push(TaskFileError { path, message }),
            }
        }
        registry
    }

    fn insert(&mut self, task: Task) {
        match self.tasks.iter_mut().find(|t| t.name == task.name) {
            Some(existing) => *existing = task,
            None => self.tasks.push(task),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.name == name)
    }

    /// The task called `name`, or an error listing the known names.
    pub fn require(&self, name: &str) -> Result<&Task, UnknownName> {
        self.get(name).ok_or_else(|| UnknownName {
            kind: "task",
            name: name.to_string(),
            known: self.tasks.iter().map(|t| t.name.clone()).collect(),
        })
    }
}
