//! What an OpenAI-compatible server says it serves: the models of `/models` (vLLM lists each LoRA
//! module it was started with as a model whose `parent` is the base), and a llama.cpp server's
//! LoRA adapters (`/lora-adapters`), from which a profile's adapters become the per-request
//! `lora` field.

use super::adapter::LoraRef;
use super::client::HttpEngine;
use super::error::LlmError;
use serde_json::{Value as Json, json};

/// One entry of `/models`.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    pub id: String,
    /// For a LoRA module on vLLM: the base model it applies to.
    pub parent: Option<String>,
}

impl Served {
    /// The id, and for an adapter what it adapts (`chem-100 (LoRA on mistral-7b)`).
    pub fn label(&self) -> String {
        match &self.parent {
            Some(parent) => format!(
                "{} (LoRA on {})",
                crate::foreign::one_line(&self.id, 200),
                crate::foreign::one_line(parent, 200)
            ),
            None => crate::foreign::one_line(&self.id, 200),
        }
    }
}

/// `GET /models`.
pub async fn list(engine: &HttpEngine, base_url: &str, api_key: Option<&str>) -> Result<Vec<Served>, LlmError> {
    let url = format!("{}/models", base_url.trim_end_matches('/'));
    Ok(models_of(&engine.get_json(&url, api_key).await?))
}

fn models_of(json: &Json) -> Vec<Served> {
    let data = json
        .get("data")
        .or_else(|| json.get("models"))
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    data.iter()
        .filter_map(|m| {
            let id = m.get("id").or_else(|| m.get("name")).and_then(Json::as_str)?;
            // An id with control characters is never asked for, stored or shown.
            if let Err(refused) = crate::foreign::plain(id, "a model id the server listed") {
                tracing::warn!("{refused}");
                return None;
            }
            let parent = m
                .get("parent")
                .and_then(Json::as_str)
                .map(crate::foreign::printable)
                .map(String::from);
            Some(Served {
                id: id.to_string(),
                parent,
            })
        })
        .collect()
}

/// An adapter a llama.cpp server was started with.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerAdapter {
    pub id: u32,
    pub path: String,
}

/// `GET /lora-adapters`, at the server's root (beside `/v1`).
pub async fn adapters(
    engine: &HttpEngine,
    base_url: &str,
    api_key: Option<&str>,
) -> Result<Vec<ServerAdapter>, LlmError> {
    let root = base_url.trim_end_matches('/').trim_end_matches("/v1");
    let url = format!("{root}/lora-adapters");
    let json = engine.get_json(&url, api_key).await.map_err(|e| match e {
        LlmError::Rejected { .. } | LlmError::NonJson { .. } => LlmError::NoAdapterList { url: url.clone() },
        other => other,
    })?;
    Ok(json
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|a| {
                    Some(ServerAdapter {
                        id: u32::try_from(a.get("id")?.as_u64()?).ok()?,
                        path: a.get("path").and_then(Json::as_str).unwrap_or_default().to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default())
}

/// The request's `lora` field: every adapter the server has, at the profile's scale for those
/// it names and 0 for the others (so a server's start-up scales never leak into a run).
pub fn selection(refs: &[LoraRef], listed: &[ServerAdapter], url: &str) -> Result<Json, LlmError> {
    let mut scales: Vec<(u32, f32)> = listed.iter().map(|a| (a.id, 0.0)).collect();
    for wanted in refs {
        let found = listed.iter().find(|a| match (wanted.id, &wanted.path) {
            (Some(id), _) => a.id == id,
            (None, Some(path)) => same_file(&a.path, path),
            (None, None) => false,
        });
        let Some(found) = found else {
            let known: Vec<String> = listed.iter().map(|a| format!("{} ({})", a.id, a.path)).collect();
            return Err(LlmError::AdapterNotServed {
                url: url.to_string(),
                wanted: wanted.label(),
                known,
            });
        };
        if let Some(entry) = scales.iter_mut().find(|(id, _)| *id == found.id) {
            entry.1 = wanted.scale;
        }
    }
    Ok(json!(
        scales
            .iter()
            .map(|(id, scale)| json!({"id": id, "scale": scale}))
            .collect::<Vec<_>>()
    ))
}

/// The server reports the path it was given: the same file if the paths are equal, or else
/// their file names are.
fn same_file(listed: &str, wanted: &std::path::Path) -> bool {
    let listed = std::path::Path::new(listed);
    listed == wanted || (listed.file_name().is_some() && listed.file_name() == wanted.file_name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn listed() -> Vec<ServerAdapter> {
        vec![
            ServerAdapter {
                id: 0,
                path: "/srv/adapters/chem-10.gguf".into(),
            },
            ServerAdapter {
                id: 1,
                path: "/srv/adapters/chem-100.gguf".into(),
            },
        ]
    }

    fn by_path(path: &str, scale: f32) -> LoraRef {
        LoraRef {
            path: Some(PathBuf::from(path)),
            id: None,
            scale,
        }
    }

    #[test]
    fn the_named_adapter_gets_its_scale_and_the_others_zero() {
        let chosen = selection(&[by_path("chem-100.gguf", 0.5)], &listed(), "http://x").unwrap();
        assert_eq!(chosen, json!([{"id": 0, "scale": 0.0}, {"id": 1, "scale": 0.5}]));
        let by_id = LoraRef {
            path: None,
            id: Some(0),
            scale: 1.0,
        };
        let chosen = selection(&[by_id], &listed(), "http://x").unwrap();
        assert_eq!(chosen, json!([{"id": 0, "scale": 1.0}, {"id": 1, "scale": 0.0}]));
        assert_eq!(
            selection(&[], &listed(), "u").unwrap(),
            json!([{"id": 0, "scale": 0.0}, {"id": 1, "scale": 0.0}])
        );
    }

    #[test]
    fn an_adapter_the_server_lacks_is_named_with_what_it_has() {
        let error = selection(&[by_path("chem-500.gguf", 1.0)], &listed(), "http://box:8080/v1")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("chem-500.gguf")
                && error.contains("1 (/srv/adapters/chem-100.gguf)")
                && error.contains("box:8080"),
            "{error}"
        );
    }

    #[test]
    fn vllm_lists_lora_modules_with_their_parent() {
        let json = json!({"object": "list", "data": [
            {"id": "mistral-7b", "object": "model", "parent": null},
            {"id": "chem-100", "object": "model", "root": "/srv/chem-100", "parent": "mistral-7b"}
        ]});
        let served = models_of(&json);
        assert_eq!(served[0].label(), "mistral-7b");
        assert_eq!(served[1].label(), "chem-100 (LoRA on mistral-7b)");
    }
}
