#![allow(dead_code)]
pub mod batch_service;
pub mod fine_tuning;
pub mod form;
pub mod mock;
pub mod peft;
pub mod tmux;

use std::path::PathBuf;

/// `../shared/data` beside the project (read-only).
pub fn shared_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data")
}

pub fn data(relative: &str) -> PathBuf {
    shared_data().join(relative)
}

/// The GPT-3 Doping-English predictions with every host and dopant lowercased (a model that
/// writes lowercase, as seq2rel does), written into `dir`.
pub fn lowercased_doping_predictions(dir: &std::path::Path) -> PathBuf {
    let original = data("natcomm2024/doping/predictions/gpt3/inference_decoded_eng.json");
    let mut abstracts: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(original).unwrap()).unwrap();
    for sentence in abstracts
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|a| a["doping_sentences"].as_array_mut().unwrap().iter_mut())
    {
        for key in ["basemats", "dopants"] {
            if let Some(map) = sentence["entity_graph_raw"][key].as_object_mut() {
                for value in map.values_mut() {
                    *value = serde_json::Value::String(value.as_str().unwrap_or_default().to_lowercase());
                }
            }
        }
    }
    let path = dir.join("lowercase_decoded_eng.json");
    std::fs::write(&path, abstracts.to_string()).unwrap();
    path
}

/// Runs `retort eval` in-process on paths (already resolved) and returns the first report.
pub fn eval_report(task: &str, gold: Option<PathBuf>, predictions: Vec<PathBuf>) -> retort::eval::Report {
    let registry = retort::task::Registry::builtin();
    let request = retort::eval::EvalRequest {
        task: registry.get(task).expect("built-in task"),
        gold: gold.as_deref(),
        predictions: &predictions,
        strict: true,
        scoring: Default::default(),
    };
    retort::eval::evaluate(&request).expect("evaluation").remove(0)
}

/// Asserts the figure at table / row / column is within `tolerance` of `expected`.
pub fn assert_figure(report: &retort::eval::Report, at: (&str, &str, &str), expected: f64, tolerance: f64) {
    let (table, row, column) = at;
    let value = report.table(table).and_then(|t| t.get(row, column)).unwrap_or(f64::NAN);
    assert!(
        (value - expected).abs() <= tolerance,
        "{table} / {row} / {column}: {value} vs {expected}"
    );
}

/// A workbench state on `paragraph` for `task`, with one HTTP profile named "smol" (and a second,
/// "tuned", for comparisons), sized `width` × `height`.
pub fn tui_state(task: &str, paragraph: &str, width: u16, height: u16) -> retort::tui::state::State {
    let registry = retort::task::Registry::builtin();
    let profiles = retort::llm::profile::parse(
        "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"smollm2\"\nmode = \"few-shot\"\nstructured = \"llama-cpp\"\n\n[[model]]\nname = \"tuned\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"mistral-ft\"\nmode = \"fine-tuned\"\n",
    )
    .unwrap();
    let (keymap, _) = retort::tui::keymap::Keymap::load(None);
    let mut state = retort::tui::state::State::new(registry.tasks.clone(), profiles, keymap, paragraph);
    state.task = state.tasks.iter().position(|t| t.name == task).unwrap();
    let _ = retort::tui::update::update(&mut state, retort::tui::action::Action::Resize(width, height));
    state
}

/// A finished run of profile `profile` that replied `raw`, as the driver would deliver it.
fn finished_run(state: &retort::tui::state::State, profile: usize, raw: &str) -> retort::llm::Run {
    let paragraph = state.paragraph();
    let request = retort::llm::RunRequest {
        stream: true,
        ..retort::llm::RunRequest::new(state.task(), &state.profiles[profile], &paragraph)
    };
    let mut run = retort::llm::from_reply(&request, raw);
    run.started_at = "2026-01-01T00:00:00.000Z".into();
    run
}

/// (task, paragraph, gold) of the first bundled sample of `task`.
pub fn sample(task: &str) -> (String, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("sample_paragraphs/{task}.jsonl"));
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(path).unwrap().lines().next().unwrap()).unwrap();
    (
        line["text"].as_str().unwrap().to_string(),
        line["gold"].as_str().unwrap().to_string(),
    )
}

/// A llama.cpp server for tests: the one `.ci/run` started (`RETORT_TEST_LLAMA_URL`), or one this
/// test starts on `port` with `../shared/scripts/llama-server.sh` and stops when dropped.
pub struct LlamaServer {
    pub url: String,
    port: Option<u16>,
}

impl LlamaServer {
    pub fn get(port: u16) -> LlamaServer {
        if let Ok(url) = std::env::var("RETORT_TEST_LLAMA_URL") {
            return LlamaServer { url, port: None };
        }
        LlamaServer::start_own(port, &std::env::var("LLAMA_SERVER_ARGS").unwrap_or_default())
    }

    /// A server of this test's own on `port`, started with `extra` flags (e.g. `--lora FILE`),
    /// whatever server CI started.
    pub fn start_own(port: u16, extra: &str) -> LlamaServer {
        // Cargo puts target/*/deps (Retort's own llama.cpp libraries) on LD_LIBRARY_PATH.
        let output = std::process::Command::new(llama_script())
            .args(["start", &port.to_string()])
            .env_remove("LD_LIBRARY_PATH")
            .env("LLAMA_SERVER_ARGS", extra)
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("llama-server.sh");
        assert!(output.status.success(), "could not start llama-server");
        assert_own_server(port, String::from_utf8_lossy(&output.stdout).trim());
        LlamaServer {
            url: format!("http://127.0.0.1:{port}/v1"),
            port: Some(port),
        }
    }
}

/// The server on `port` is the one the script started (the script takes any answer on `/health`,
/// so another process on the port would pass): the PID it printed is a llama-server listening on
/// that port, and what answers there serves the test model.
fn assert_own_server(port: u16, pid: &str) {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    assert!(
        args.first().is_some_and(|a| a.ends_with("llama-server")),
        "process {pid:?} on port {port} is not a llama-server: {args:?}"
    );
    assert!(
        args.windows(2).any(|w| w[0] == "--port" && w[1] == port.to_string()),
        "{args:?}"
    );
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the server's port");
    stream
        .write_all(b"GET /v1/models HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    let model = test_gguf();
    let name = model.file_name().unwrap().to_string_lossy();
    assert!(
        reply.contains(name.as_ref()),
        "port {port} does not serve {name}: {reply}"
    );
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        if let Some(port) = self.port {
            let _ = std::process::Command::new(llama_script())
                .args(["stop", &port.to_string()])
                .status();
        }
    }
}

fn llama_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/scripts/llama-server.sh")
}

/// The small real GGUF model (SmolLM2-135M-Instruct) from `../shared/scripts/fetch-model.sh`.
pub fn test_gguf() -> PathBuf {
    if let Ok(path) = std::env::var("RETORT_TEST_GGUF") {
        return PathBuf::from(path);
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/scripts/fetch-model.sh");
    let output = std::process::Command::new(script).output().expect("fetch-model.sh");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

/// The `retort` binary with its config, data and state directories under `root`.
pub fn retort_in(root: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_retort"));
    command
        .env("RETORT_CONFIG_DIR", root.join("config"))
        .env("RETORT_DATA_DIR", root.join("data"))
        .env("RETORT_STATE_DIR", root.join("state"));
    command
}

/// Imports the papers' gold examples in `file` (relative to the shared data) as saved examples of
/// `task` under `root` (see `retort_in`).
pub fn import(root: &std::path::Path, task: &str, file: &str) {
    let out = retort_in(root)
        .args(["import", "--task", task, data(file).to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Writes `toml` as the `models.toml` of the config directory under `root` (see `retort_in`).
pub fn write_models(root: &std::path::Path, toml: &str) {
    std::fs::create_dir_all(root.join("config")).unwrap();
    std::fs::write(root.join("config/models.toml"), toml).unwrap();
}

/// Every line of a JSONL file, parsed (a line that is not JSON fails the test).
/// Writes `paragraphs` (id, text) as the JSONL lines `retort extract` reads.
pub fn write_paragraphs(path: &std::path::Path, paragraphs: &[(&str, &str)]) {
    let lines: Vec<String> = paragraphs
        .iter()
        .map(|(id, text)| serde_json::json!({"id": id, "text": text}).to_string())
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

pub fn read_jsonl(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Delivers to `slot` a finished run that replied `raw`. Slot 0 runs profile 0 and slot 1 (the
/// comparison) profile 1, as `tui_state` sets them up.
pub fn finish_run(state: &mut retort::tui::state::State, slot: retort::tui::action::Side, raw: &str) {
    let profile = match slot {
        retort::tui::action::Side::Main => 0,
        retort::tui::action::Side::Compare => 1,
    };
    let run = finished_run(state, profile, raw);
    let _ = retort::tui::update::update(
        state,
        retort::tui::action::Action::RunFinished {
            slot,
            run: Box::new(run),
        },
    );
}

/// The workbench's screen as text, one line per row (drawn on ratatui's test backend).
pub fn render_text(state: &retort::tui::state::State) -> String {
    let (theme, _) = retort::tui::theme::Theme::load(None, false);
    let backend = ratatui::backend::TestBackend::new(state.width, state.height);
    let mut terminal = ratatui::Terminal::new(backend).unwrap();
    terminal
        .draw(|frame| retort::tui::view::render(frame, state, &theme))
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts that a `retort extract` ran to the end: status 0, or 3 only because every answer was
/// incomplete (the tests' small token budgets cut a small model's answers; that is said, and the
/// lines are written).
pub fn assert_extracted(out: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all_cut =
        out.status.code() == Some(3) && stderr.contains("answers is incomplete") && stderr.contains("(0 failed,");
    assert!(out.status.success() || all_cut, "{stderr}");
}

/// A key press of a plain character (Shift for capitals, as a terminal sends them).
pub fn key_char(c: char) -> retort::tui::action::Action {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let modifiers = if c.is_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    retort::tui::action::Action::Key(KeyEvent::new(KeyCode::Char(c), modifiers))
}

/// `retort extract` of `input` into `output` through `profile` (configured under `root`), one
/// paragraph at a time so the output keeps the input's order.
pub fn extract_in_order(
    root: &std::path::Path,
    task: &str,
    profile: &str,
    input: &std::path::Path,
    output: &std::path::Path,
) -> std::process::Output {
    retort_in(root)
        .args([
            "extract",
            "--task",
            task,
            "--model",
            profile,
            "--concurrency",
            "1",
            "--input",
        ])
        .arg(input)
        .arg("--output")
        .arg(output)
        .output()
        .unwrap()
}
