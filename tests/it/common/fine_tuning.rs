#![allow(dead_code)]
//! A fake of OpenAI's fine-tuning API (wiremock with state), for what cannot run here: it
//! speaks the documented shapes — `POST /v1/files` (multipart, purpose `fine-tune`),
//! `POST /v1/fine_tuning/jobs`, `GET …/jobs/{id}` walking a scripted list of statuses one step
//! per look, `GET …/events` newest first in pages (`limit`, `after`, `has_more`),
//! `GET …/checkpoints`, `POST …/cancel` — and answers 401 with OpenAI's error shape to any
//! other key. `fail_next` makes the next requests answer 503, as a service that is down.

use serde_json::{Value as Json, json};
use std::sync::{Arc, Mutex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const KEY: &str = "sk-test-0123456789abcdef";

/// One look at the job: its status, and the events that happened before it.
#[derive(Clone, Default)]
pub struct Step {
    pub status: &'static str,
    /// (step, train loss, valid loss) metrics events.
    pub metrics: Vec<(u64, f64, Option<f64>)>,
    pub messages: Vec<&'static str>,
    pub model: Option<&'static str>,
    pub error: Option<&'static str>,
}

#[derive(Default)]
pub struct Recorded {
    /// (purpose, filename, content) of each upload.
    pub uploads: Vec<(String, String, String)>,
    pub created: Vec<Json>,
    pub cancelled: usize,
    /// Every request's path, with the Authorization header it carried.
    pub requests: Vec<(String, String)>,
}

struct State {
    script: Vec<Step>,
    at: usize,
    events: Vec<Json>,
    total_steps: u64,
    cancelled: bool,
    fail_next: usize,
    recorded: Recorded,
}

#[derive(Clone)]
pub struct Fake {
    state: Arc<Mutex<State>>,
}

impl Fake {
    pub async fn start(script: Vec<Step>, total_steps: u64) -> (MockServer, Fake) {
        let server = MockServer::start().await;
        let fake = Fake {
            state: Arc::new(Mutex::new(State {
                script,
                at: 0,
                events: Vec::new(),
                total_steps,
                cancelled: false,
                fail_next: 0,
                recorded: Recorded::default(),
            })),
        };
        Mock::given(wiremock::matchers::any())
            .respond_with(fake.clone())
            .mount(&server)
            .await;
        (server, fake)
    }

    pub fn fail_next(&self, requests: usize) {
        self.state.lock().unwrap().fail_next = requests;
    }

    pub fn recorded<T>(&self, read: impl FnOnce(&Recorded) -> T) -> T {
        read(&self.state.lock().unwrap().recorded)
    }
}

pub fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(
        json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}}),
    )
}

/// The Authorization header a request carried ("" without one).
pub fn authorization(request: &Request) -> String {
    request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

impl Respond for Fake {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let auth = authorization(request);
        let path = request.url.path().to_string();
        state.recorded.requests.push((path.clone(), auth.clone()));
        if state.fail_next > 0 {
            state.fail_next -= 1;
            return error(503, "The service is temporarily unavailable.");
        }
        if auth != format!("Bearer {KEY}") {
            return error(
                401,
                "Incorrect API key provided: sk-wr***ng. You can find your API key at https://platform.openai.com/account/api-keys.",
            );
        }
        let post = request.method.as_str() == "POST";
        match (post, path.as_str()) {
            (true, "/v1/files") => upload(&mut state, request),
            (false, "/v1/fine_tuning/jobs") => {
                ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": [], "has_more": false}))
            }
            (true, "/v1/fine_tuning/jobs") => create(&mut state, request),
            (false, "/v1/fine_tuning/jobs/ftjob-1") => look(&mut state),
            (false, "/v1/fine_tuning/jobs/ftjob-1/events") => events(&state, request),
            (false, "/v1/fine_tuning/jobs/ftjob-1/checkpoints") => checkpoints(&state),
            (true, "/v1/fine_tuning/jobs/ftjob-1/cancel") => {
                state.cancelled = true;
                state.recorded.cancelled += 1;
                ResponseTemplate::new(200).set_body_json(job(&state, "cancelled", None, None))
            }
            _ => error(404, &format!("Invalid URL ({} {path})", request.method)),
        }
    }
}

fn upload(state: &mut State, request: &Request) -> ResponseTemplate {
    let (purpose, name, content) = match multipart_upload(request) {
        Ok(upload) => upload,
        Err(refused) => return error(400, refused),
    };
    state.recorded.uploads.push((purpose, name.clone(), content.clone()));
    let id = format!("file-{}", state.recorded.uploads.len());
    ResponseTemplate::new(200).set_body_json(json!({"object": "file", "id": id, "purpose": "fine-tune", "filename": name, "bytes": content.len(), "created_at": 1_700_000_000, "status": "processed"}))
}

/// The purpose, file name and content of a `POST /v1/files` upload, or why it is refused (a 400).
pub fn multipart_upload(request: &Request) -> Result<(String, String, String), &'static str> {
    let kind = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = kind.strip_prefix("multipart/form-data; boundary=") else {
        return Err("expected a multipart/form-data upload");
    };
    let body = String::from_utf8_lossy(&request.body).to_string();
    let mut purpose = None;
    let mut file = None;
    for part in body.split(&format!("--{boundary}")) {
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let content = content.strip_suffix("\r\n").unwrap_or(content).to_string();
        if head.contains("name=\"purpose\"") {
            purpose = Some(content);
        } else if head.contains("name=\"file\"") {
            let name = head
                .split("filename=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or("");
            file = Some((name.to_string(), content));
        }
    }
    match (purpose, file) {
        (Some(purpose), Some((name, content))) => Ok((purpose, name, content)),
        _ => Err("'purpose' and 'file' are required"),
    }
}

fn create(state: &mut State, request: &Request) -> ResponseTemplate {
    let body: Json = serde_json::from_slice(&request.body).unwrap_or(Json::Null);
    if body["training_file"].as_str().is_none_or(|f| !f.starts_with("file-")) {
        return error(400, "training_file must be an uploaded file's id");
    }
    state.recorded.created.push(body);
    ResponseTemplate::new(200).set_body_json(job(state, "validating_files", None, None))
}

fn job(state: &State, status: &str, model: Option<&str>, error: Option<&str>) -> Json {
    json!({
        "object": "fine_tuning.job", "id": "ftjob-1", "model": "gpt-4o-mini-2024-07-18",
        "created_at": 1_700_000_000, "finished_at": null, "organization_id": "org-1",
        "status": status, "fine_tuned_model": model, "trained_tokens": null,
        "training_file": "file-1", "validation_file": null, "result_files": [],
        "error": error.map(|m| json!({"code": "invalid_training_file", "message": m, "param": "training_file"})),
        "hyperparameters": {"n_epochs": "auto"}, "seed": 0,
        "estimated_finish": null, "total_steps": state.total_steps,
    })
}

/// The next scripted step: its events happen, and the job shows its status.
fn look(state: &mut State) -> ResponseTemplate {
    if state.cancelled {
        return ResponseTemplate::new(200).set_body_json(job(state, "cancelled", None, None));
    }
    let step = state.script[state.at.min(state.script.len() - 1)].clone();
    if state.at < state.script.len() {
        for message in &step.messages {
            let id = format!("ftevent-{}", state.events.len() + 1);
            state.events.push(json!({"object": "fine_tuning.job.event", "id": id, "created_at": 1_700_000_000 + state.events.len(), "level": "info", "message": message, "type": "message", "data": {}}));
        }
        for (n, loss, valid) in &step.metrics {
            let id = format!("ftevent-{}", state.events.len() + 1);
            let total = state.total_steps;
            let mut data =
                json!({"step": n, "train_loss": loss, "total_steps": total, "train_mean_token_accuracy": 0.5});
            if let Some(v) = valid {
                data["valid_loss"] = json!(v);
            }
            state.events.push(json!({"object": "fine_tuning.job.event", "id": id, "created_at": 1_700_000_000 + state.events.len(), "level": "info", "message": format!("Step {n}/{total}: training loss={loss:.4}"), "type": "metrics", "data": data}));
        }
        state.at += 1;
    }
    ResponseTemplate::new(200).set_body_json(job(state, step.status, step.model, step.error))
}

/// Once the job made its model: one kept halfway and one at the end, newest first.
fn checkpoints(state: &State) -> ResponseTemplate {
    let done = state.script[..state.at].iter().find_map(|s| s.model);
    let data: Vec<Json> = done
        .map(|model| {
            [state.total_steps, state.total_steps / 2]
                .iter()
                .map(|step| {
                    json!({"object": "fine_tuning.job.checkpoint", "id": format!("ftckpt-{step}"), "created_at": 1_700_000_000,
                           "fine_tuned_model_checkpoint": format!("{model}:ckpt-step-{step}"), "step_number": step,
                           "metrics": {"step": step, "train_loss": 1.0 / *step as f64, "valid_loss": 2.0 / *step as f64},
                           "fine_tuning_job_id": "ftjob-1"})
                })
                .collect()
        })
        .unwrap_or_default();
    ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": data, "has_more": false}))
}

/// Newest first, `limit` at a time, starting after the event `after`.
fn events(state: &State, request: &Request) -> ResponseTemplate {
    let query = |key: &str| {
        request
            .url
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.to_string())
    };
    let limit: usize = query("limit").and_then(|l| l.parse().ok()).unwrap_or(20).min(3);
    let newest_first: Vec<&Json> = state.events.iter().rev().collect();
    let from = match query("after") {
        Some(after) => newest_first
            .iter()
            .position(|e| e["id"] == after.as_str())
            .map_or(newest_first.len(), |i| i + 1),
        None => 0,
    };
    let page: Vec<&Json> = newest_first.iter().skip(from).take(limit).copied().collect();
    let has_more = from + page.len() < newest_first.len();
    ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": page, "has_more": has_more}))
}
