#![allow(dead_code)]
//! A fake of OpenAI's Files and Batches API (wiremock with state), for what cannot run here:
//! `POST /v1/files` (multipart, purpose `batch`), `POST /v1/batches`, `GET /v1/batches/{id}`
//! walking validating → in_progress → a final state one step per look (the requests run on a
//! thread of their own, so the batch stays in progress until they are done), and
//! `GET /v1/files/{id}/content`. Answers come from a function of each request, in the output
//! file's shape (`custom_id`, `response.status_code`, `response.body`); failed requests go to
//! the error file, and an expired batch writes `batch_expired` for the requests it did not run.
//! It also answers `/v1/models` and `/v1/chat/completions` online with the same function, as a
//! service does. Any key but [`KEY`] gets OpenAI's 401.

use super::fine_tuning::{authorization, error, multipart_upload};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const KEY: &str = "sk-batch-0123456789abcdef";

/// What the service answers one request with.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A completion whose message is this text.
    Content(String),
    /// A failure with this HTTP status and message.
    Status(u16, String),
}

/// How a batch ends.
#[derive(Clone, Debug)]
pub enum Plan {
    Complete,
    /// The window closes after this many requests ran; the rest are `batch_expired`.
    Expire {
        ran: usize,
    },
    /// Validation refuses the file: the batch fails with this message on line 1.
    Refuse(String),
}

pub type Answerer = Arc<dyn Fn(&str, &Json) -> Reply + Send + Sync>;

struct Batch {
    id: String,
    input_file_id: String,
    endpoint: String,
    looks: usize,
    plan: Plan,
    output_file_id: Option<String>,
    error_file_id: Option<String>,
    counts: (usize, usize, usize),
    /// The output and error files' contents once every request ran (on a thread of its own, as a
    /// slow upstream may take minutes).
    ran: Arc<Mutex<Option<(String, String)>>>,
    finished: bool,
}

#[derive(Default)]
struct State {
    /// id → (purpose, name, content)
    files: HashMap<String, (String, String, String)>,
    batches: Vec<Batch>,
    plans: Vec<Plan>,
    /// Every request's method and path, with the Authorization header it carried.
    requests: Vec<(String, String, String)>,
    online: usize,
}

#[derive(Clone)]
pub struct FakeBatches {
    state: Arc<Mutex<State>>,
    answer: Answerer,
    content_delay: Arc<Mutex<Duration>>,
}

impl FakeBatches {
    /// A service whose batches end as `plans` say, one per batch created (then `Complete`).
    pub async fn start(answer: Answerer, plans: Vec<Plan>) -> (MockServer, FakeBatches) {
        FakeBatches::serve(MockServer::start().await, answer, plans).await
    }

    /// The same, listening on `listener` (a port chosen by the person running it).
    pub async fn start_on(listener: std::net::TcpListener, answer: Answerer) -> (MockServer, FakeBatches) {
        let server = MockServer::builder().listener(listener).start().await;
        FakeBatches::serve(server, answer, Vec::new()).await
    }

    async fn serve(server: MockServer, answer: Answerer, plans: Vec<Plan>) -> (MockServer, FakeBatches) {
        let fake = FakeBatches {
            state: Arc::new(Mutex::new(State {
                plans,
                ..State::default()
            })),
            answer,
            content_delay: Arc::new(Mutex::new(Duration::ZERO)),
        };
        Mock::given(wiremock::matchers::any())
            .respond_with(fake.clone())
            .mount(&server)
            .await;
        (server, fake)
    }

    /// Makes file downloads take this long (to kill a collect in the middle of one).
    pub fn delay_downloads(&self, delay: Duration) {
        *self.content_delay.lock().unwrap() = delay;
    }

    /// The uploaded files: (purpose, name, content).
    pub fn uploads(&self) -> Vec<(String, String, String)> {
        let state = self.state.lock().unwrap();
        let mut files: Vec<(&String, &(String, String, String))> =
            state.files.iter().filter(|(id, _)| id.starts_with("file-in")).collect();
        files.sort_by_key(|(id, _)| id.trim_start_matches("file-in-").parse::<usize>().unwrap_or(0));
        files.into_iter().map(|(_, f)| f.clone()).collect()
    }

    /// Every request seen: (method, path, Authorization header).
    pub fn requests(&self) -> Vec<(String, String, String)> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn batches_created(&self) -> usize {
        self.state.lock().unwrap().batches.len()
    }

    pub fn online_requests(&self) -> usize {
        self.state.lock().unwrap().online
    }
}

impl Respond for FakeBatches {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let auth = authorization(request);
        let path = request.url.path().to_string();
        let method = request.method.as_str().to_string();
        state.requests.push((method.clone(), path.clone(), auth.clone()));
        if auth != format!("Bearer {KEY}") {
            return error(401, "Incorrect API key provided: sk-wr***ng.");
        }
        let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        match (method.as_str(), segments.as_slice()) {
            ("GET", ["models"]) => ResponseTemplate::new(200)
                .set_body_json(json!({"object": "list", "data": [{"id": "m", "object": "model"}]})),
            ("POST", ["chat", "completions"]) => {
                state.online += 1;
                let body: Json = serde_json::from_slice(&request.body).unwrap_or(Json::Null);
                respond_with((self.answer)("online", &body))
            }
            ("POST", ["files"]) => match multipart_upload(request) {
                Ok(file) => {
                    let id = format!("file-in-{}", state.files.len() + 1);
                    let bytes = file.2.len();
                    state.files.insert(id.clone(), file);
                    ResponseTemplate::new(200).set_body_json(json!({"object": "file", "id": id, "purpose": "batch", "bytes": bytes, "created_at": 1_700_000_000, "status": "processed"}))
                }
                Err(refused) => error(400, refused),
            },
            ("POST", ["batches"]) => create(&mut state, request, &self.answer),
            ("GET", ["batches", id]) => match state.batches.iter().position(|b| b.id == *id) {
                Some(index) => {
                    look(&mut state, index);
                    ResponseTemplate::new(200).set_body_json(batch_json(&state.batches[index]))
                }
                None => error(404, &format!("No batch found with id '{id}'.")),
            },
            ("GET", ["files", id, "content"]) => match state.files.get(*id) {
                Some((_, _, content)) => ResponseTemplate::new(200)
                    .set_body_string(content.clone())
                    .set_delay(*self.content_delay.lock().unwrap()),
                None => error(404, &format!("No such File object: {id}")),
            },
            _ => error(404, &format!("Invalid URL ({method} {path})")),
        }
    }
}

fn respond_with(reply: Reply) -> ResponseTemplate {
    match reply {
        Reply::Content(text) => ResponseTemplate::new(200).set_body_json(completion(&text)),
        Reply::Status(status, message) => error(status, &message),
    }
}

fn completion(text: &str) -> Json {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": "m-2024",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 90, "completion_tokens": 5, "total_tokens": 95}
    })
}

fn create(state: &mut State, request: &Request, answer: &Answerer) -> ResponseTemplate {
    let body: Json = serde_json::from_slice(&request.body).unwrap_or(Json::Null);
    let input = body["input_file_id"].as_str().unwrap_or("").to_string();
    match state.files.get(&input) {
        Some((purpose, _, _)) if purpose == "batch" => {}
        _ => return error(400, "input_file_id must be a file uploaded with purpose batch"),
    }
    if body["completion_window"] != "24h" {
        return error(400, "completion_window must be 24h");
    }
    let plan = if state.plans.is_empty() {
        Plan::Complete
    } else {
        state.plans.remove(0)
    };
    let batch = Batch {
        id: format!("batch_{}", state.batches.len() + 1),
        input_file_id: input,
        endpoint: body["endpoint"].as_str().unwrap_or("").to_string(),
        looks: 0,
        plan,
        output_file_id: None,
        error_file_id: None,
        counts: (0, 0, 0),
        ran: Arc::new(Mutex::new(None)),
        finished: false,
    };
    let input = state.files[&batch.input_file_id].2.clone();
    let (plan, ran, answer) = (batch.plan.clone(), batch.ran.clone(), answer.clone());
    std::thread::spawn(move || {
        let files = run_requests(&input, &plan, &answer);
        *ran.lock().unwrap() = Some(files);
    });
    let json = batch_json(&batch);
    state.batches.push(batch);
    ResponseTemplate::new(200).set_body_json(json)
}

/// One look moves a batch one step: validating → in_progress → its end, once its requests ran
/// (its files written then).
fn look(state: &mut State, index: usize) {
    state.batches[index].looks += 1;
    let batch = &state.batches[index];
    if batch.looks < 2 || batch.finished || matches!(batch.plan, Plan::Refuse(_)) {
        return;
    }
    let Some((output, errors)) = batch.ran.lock().unwrap().clone() else {
        return;
    };
    let counts = (
        output.lines().count() + errors.lines().count(),
        output.lines().count(),
        errors.lines().count(),
    );
    let mut file = |content: String| {
        (!content.is_empty()).then(|| {
            let id = format!("file-out-{}", state.files.len() + 1);
            state
                .files
                .insert(id.clone(), ("batch_output".into(), "out.jsonl".into(), content));
            id
        })
    };
    let (out_id, err_id) = (file(output), file(errors));
    let batch = &mut state.batches[index];
    batch.output_file_id = out_id;
    batch.error_file_id = err_id;
    batch.counts = counts;
    batch.finished = true;
}

/// Runs a request file as `plan` says: (output file, error file).
fn run_requests(input: &str, plan: &Plan, answer: &Answerer) -> (String, String) {
    let lines: Vec<Json> = input.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let ran = match plan {
        Plan::Refuse(_) => 0,
        Plan::Complete => lines.len(),
        Plan::Expire { ran } => *ran,
    };
    let (mut output, mut errors) = (String::new(), String::new());
    for (n, line) in lines.iter().enumerate() {
        let custom_id = line["custom_id"].as_str().unwrap_or("");
        let (status, body, failure) = if n >= ran {
            (
                None,
                Json::Null,
                json!({"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}),
            )
        } else {
            match answer(custom_id, &line["body"]) {
                Reply::Content(text) => (Some(200), completion(&text), Json::Null),
                Reply::Status(status, message) => (
                    Some(status),
                    json!({"error": {"message": message, "type": "server_error"}}),
                    Json::Null,
                ),
            }
        };
        let response = status.map(|s| json!({"status_code": s, "request_id": format!("req_{n}"), "body": body}));
        let row =
            json!({"id": format!("batch_req_{n}"), "custom_id": custom_id, "response": response, "error": failure});
        if status == Some(200) {
            output.push_str(&format!("{row}\n"));
        } else {
            errors.push_str(&format!("{row}\n"));
        }
    }
    (output, errors)
}

fn batch_json(batch: &Batch) -> Json {
    let status = match (batch.looks, &batch.plan, batch.finished) {
        (0, _, _) => "validating",
        (_, Plan::Refuse(_), _) => "failed",
        (_, _, false) => "in_progress",
        (_, Plan::Expire { .. }, true) => "expired",
        (_, _, true) => "completed",
    };
    let errors = match &batch.plan {
        Plan::Refuse(message) if batch.looks > 0 => {
            json!({"object": "list", "data": [{"code": "invalid_json_line", "message": message, "param": null, "line": 1}]})
        }
        _ => Json::Null,
    };
    let (total, completed, failed) = batch.counts;
    json!({
        "id": batch.id, "object": "batch", "endpoint": batch.endpoint, "errors": errors,
        "input_file_id": batch.input_file_id, "completion_window": "24h", "status": status,
        "output_file_id": batch.output_file_id, "error_file_id": batch.error_file_id,
        "created_at": 1_700_000_000, "in_progress_at": null, "expires_at": 1_700_086_400,
        "request_counts": {"total": total, "completed": completed, "failed": failed},
        "metadata": {}
    })
}

/// Answers each request through an OpenAI-compatible server at `base_url` (a llama.cpp server),
/// each on a thread of its own: the fake answers from inside its server's runtime.
pub fn upstream(base_url: &str) -> Answerer {
    let url = format!("{}/chat/completions", base_url.trim_end_matches('/'));
    Arc::new(move |_: &str, body: &Json| {
        let (url, body) = (url.clone(), body.clone());
        let answered = std::thread::spawn(move || {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let reply: Json = reqwest::Client::new()
                    .post(&url)
                    .json(&body)
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                reply
                    .pointer("/choices/0/message/content")?
                    .as_str()
                    .map(str::to_string)
            })
        })
        .join()
        .ok()
        .flatten();
        match answered {
            Some(text) => Reply::Content(text),
            None => Reply::Status(502, "the upstream server did not answer".into()),
        }
    })
}
