//! Why a model stopped: the end of its answer, the token limit, or whatever else a server says
//! (`content_filter`, `tool_calls`, …), kept as written. Written as the servers write it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum FinishReason {
    /// The model ended its answer (or a stop string was reached).
    Stop,
    /// `max_tokens` ran out: the answer is cut.
    Length,
    /// Stopped by Retort for repeating itself (`llm::repetition`): the answer is cut.
    Repetition,
    /// Nothing the grammar and the copy rule allow could come next: the answer is cut.
    NoAllowedToken,
    Other(String),
}

impl From<String> for FinishReason {
    fn from(text: String) -> FinishReason {
        match text.as_str() {
            "stop" | "eos" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "repetition" => FinishReason::Repetition,
            "no_allowed_token" => FinishReason::NoAllowedToken,
            _ => FinishReason::Other(text),
        }
    }
}

impl From<FinishReason> for String {
    fn from(reason: FinishReason) -> String {
        reason.as_str().to_string()
    }
}

impl FinishReason {
    /// The answer did not end by itself: cut at the token limit or for repeating itself.
    pub fn is_cut(&self) -> bool {
        matches!(
            self,
            FinishReason::Length | FinishReason::Repetition | FinishReason::NoAllowedToken
        )
    }

    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::Repetition => "repetition",
            FinishReason::NoAllowedToken => "no_allowed_token",
            FinishReason::Other(text) => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_as_servers_write_it() {
        for text in ["stop", "length", "content_filter"] {
            let reason = FinishReason::from(text.to_string());
            assert_eq!(serde_json::to_value(&reason).unwrap(), text);
        }
        assert_eq!(FinishReason::from("length".to_string()), FinishReason::Length);
        let parsed: FinishReason = serde_json::from_str("\"tool_calls\"").unwrap();
        assert_eq!(parsed, FinishReason::Other("tool_calls".into()));
    }
}
