//! How a run ended, as one type. On disk it is the three keys every extract output has had
//! (`error`, `incomplete`, `cancelled`), read and written only here, so older files read the same.

use super::error::LlmError;
use serde::{Deserialize, Serialize};

/// What a cancelled run's line says in its `error` key.
pub const CANCELLED: &str = "cancelled; the text that arrived is kept";

/// How a run ended. Whatever text arrived is kept in the run (`raw_reply`) in every case.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "OutcomeKeys", into = "OutcomeKeys")]
pub enum Outcome {
    /// The reply ended where the model ended it.
    #[default]
    Complete,
    /// The reply stopped before its end (the token limit, a repetition stop: the run's
    /// `finish_reason` says which); what arrived is parsed.
    Cut,
    /// The call failed; `partial` when text had arrived before it broke off.
    Failed { error: String, partial: bool },
    /// Cancelled by the user, or a batch being interrupted.
    Cancelled { partial: bool },
}

impl Outcome {
    /// The outcome of a call that returned `error`.
    pub fn of_error(error: &LlmError) -> Outcome {
        let partial = error.partial().is_some();
        match error {
            LlmError::Cancelled { .. } => Outcome::Cancelled { partial },
            _ => Outcome::Failed {
                error: error.to_string(),
                partial,
            },
        }
    }

    /// A failure before any call (the prompt could not be built).
    pub fn failed(error: impl std::fmt::Display) -> Outcome {
        Outcome::Failed {
            error: error.to_string(),
            partial: false,
        }
    }

    /// The error to show and record: a failure's own, or that the run was cancelled.
    pub fn error(&self) -> Option<&str> {
        match self {
            Outcome::Complete | Outcome::Cut => None,
            Outcome::Failed { error, .. } => Some(error),
            Outcome::Cancelled { .. } => Some(CANCELLED),
        }
    }

    /// Whether the call did not give a whole reply (failed or cancelled).
    pub fn is_error(&self) -> bool {
        self.error().is_some()
    }

    /// Whether the reply stopped before its end and what arrived is kept.
    pub fn is_incomplete(&self) -> bool {
        match self {
            Outcome::Complete => false,
            Outcome::Cut => true,
            Outcome::Failed { partial, .. } | Outcome::Cancelled { partial } => *partial,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        matches!(self, Outcome::Cancelled { .. })
    }
}

/// The keys as written in a run's record and an extract line.
#[derive(Serialize, Deserialize)]
struct OutcomeKeys {
    /// Set when the call failed: `--resume` runs the paragraph again.
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    incomplete: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    cancelled: bool,
}

impl From<OutcomeKeys> for Outcome {
    fn from(keys: OutcomeKeys) -> Outcome {
        let partial = keys.incomplete;
        match (keys.error, keys.cancelled) {
            (_, true) => Outcome::Cancelled { partial },
            (Some(error), false) => Outcome::Failed { error, partial },
            (None, false) if partial => Outcome::Cut,
            (None, false) => Outcome::Complete,
        }
    }
}

impl From<Outcome> for OutcomeKeys {
    fn from(outcome: Outcome) -> OutcomeKeys {
        OutcomeKeys {
            error: outcome.error().map(str::to_string),
            incomplete: outcome.is_incomplete(),
            cancelled: outcome.is_cancelled(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_survives_its_keys() {
        let outcomes = [
            Outcome::Complete,
            Outcome::Cut,
            Outcome::Failed {
                error: "HTTP 500".into(),
                partial: false,
            },
            Outcome::Failed {
                error: "the stream broke off".into(),
                partial: true,
            },
            Outcome::Cancelled { partial: false },
            Outcome::Cancelled { partial: true },
        ];
        for outcome in outcomes {
            let json = serde_json::to_value(&outcome).unwrap();
            assert_eq!(
                serde_json::from_value::<Outcome>(json.clone()).unwrap(),
                outcome,
                "{json}"
            );
        }
    }

    #[test]
    fn older_lines_read_as_before() {
        let read = |text: &str| serde_json::from_str::<Outcome>(text).unwrap();
        assert_eq!(read("{}"), Outcome::Complete);
        assert_eq!(read(r#"{"error": null, "incomplete": true}"#), Outcome::Cut);
        assert!(read(r#"{"error": "timed out"}"#).is_error());
        assert!(
            read(r#"{"error": "cancelled; the text that arrived is kept", "incomplete": true, "cancelled": true}"#)
                .is_cancelled()
        );
    }
}
