//! Servers, papers, adapters and paths that are not to be trusted (issue 37): each numbered
//! point of the issue has a test here that fails without its fix. Loopback fakes stand in for
//! hostile servers (wiremock, and a raw TCP server for bodies without end); files are generated;
//! a real `retort ingest` is killed with SIGKILL.

use crate::common;

use common::retort_in;
use retort::llm::client::{CallSpec, HttpEngine};
use retort::llm::error::LlmError;
use retort::llm::prompt::Prompt;
use std::path::Path;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-untrusted-5c1e0d9b7a";

fn spec(base: &str) -> CallSpec {
    CallSpec {
        base_url: base.to_string(),
        model: "m".into(),
        prompt: Prompt::Chat {
            messages: vec![retort::task::ChatMessage::new("user", "THF".to_string())],
        },
        stop: Vec::new(),
        temperature: 0.0,
        max_tokens: 16,
        extra: serde_json::Map::new(),
        api_key: Some(KEY.into()),
        api_key_env: Some("RETORT_TEST_KEY".into()),
        timeout: Duration::from_secs(20),
        retries: 0,
        stream: false,
        logprobs: false,
    }
}

fn chat(text: &str) -> serde_json::Value {
    serde_json::json!({"choices": [{"message": {"content": text}, "finish_reason": "stop"}]})
}

/// A server on another origin that counts what reaches it and whether it carried the key.
async fn elsewhere() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(chat("stolen")))
        .mount(&server)
        .await;
    server
}

fn keys_seen(server_requests: &[wiremock::Request]) -> usize {
    server_requests
        .iter()
        .filter(|r| r.headers.get("authorization").is_some())
        .count()
}

// 1. A server's string becomes a profile.
#[tokio::test]
async fn a_model_id_with_control_characters_is_refused_escaped() {
    let server = MockServer::start().await;
    let evil = "ft:x\"\n[[model]]\nname = \"evil\"\nbase_url = \"http://attacker\"\n";
    Mock::given(method("GET"))
        .and(path("/v1/fine_tuning/jobs/ftjob-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "ftjob-1", "status": "succeeded", "fine_tuned_model": evil
        })))
        .mount(&server)
        .await;
    let api = retort::train::openai::FineTuning::with_key(&format!("{}/v1", server.uri()), "K", KEY.into());
    let error = api.job("ftjob-1").await.unwrap_err().to_string();
    assert!(error.contains("control characters"), "{error}");
    assert!(error.contains(r#"ft:x\"\n[[model]]"#), "shown escaped: {error}");
    assert!(!error.contains('\n'), "{error}");

    // A server's listed id with an escape sequence is never taken.
    let listing = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"data": [{"id": "good"}, {"id": "bad\u{1b}]52;c;aGk=\u{7}"}]})),
        )
        .mount(&listing)
        .await;
    let ids = HttpEngine::new()
        .list_models(&format!("{}/v1", listing.uri()), None)
        .await
        .unwrap();
    assert_eq!(ids, vec!["good".to_string()]);
}

// 2. The API key follows redirects to another host.
#[tokio::test]
async fn credentials_follow_no_redirect_to_another_origin() {
    let other = elsewhere().await;
    let server = MockServer::start().await;
    let location = format!("{}/v1/chat/completions", other.uri());
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", location.as_str()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1/(models|fine_tuning/jobs)"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", location.as_str()))
        .mount(&server)
        .await;
    let base = format!("{}/v1", server.uri());
    let engine = HttpEngine::new();
    let error = engine
        .call(&spec(&base), None, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(error, LlmError::Redirected { .. }), "{error:?}");
    assert!(error.to_string().contains(&other.uri()), "names the Location: {error}");
    // The listing `retort models` makes, and the fine-tuning client.
    assert!(matches!(
        engine.list_models(&base, Some(KEY)).await,
        Err(LlmError::Redirected { .. })
    ));
    let api = retort::train::openai::FineTuning::with_key(&base, "K", KEY.into());
    let error = api.check_key().await.unwrap_err().to_string();
    assert!(error.contains("redirected"), "{error}");
    let reached = other.received_requests().await.unwrap();
    assert_eq!(reached.len(), 0, "nothing reached the other origin");
    assert_eq!(keys_seen(&reached), 0);

    // A redirect within the origin is followed.
    let same = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/v2/chat/completions", same.uri()).as_str()),
        )
        .mount(&same)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat("THF")))
        .mount(&same)
        .await;
    let reply = engine
        .call(&spec(&format!("{}/v1", same.uri())), None, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(reply.text, "THF");
}

#[tokio::test]
async fn a_key_echoed_by_a_server_is_blotted_out() {
    let server = MockServer::start().await;
    let echo = format!("{{\"error\": {{\"message\": \"invalid model for key {KEY}\"}}}}");
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(400).set_body_string(echo.as_str()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/fine_tuning/jobs/ftjob-1"))
        .respond_with(ResponseTemplate::new(500).set_body_string(echo.as_str()))
        .mount(&server)
        .await;
    let base = format!("{}/v1", server.uri());
    let error = HttpEngine::new()
        .call(&spec(&base), None, &CancellationToken::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(!error.contains(KEY), "{error}");
    assert!(error.contains("[redacted]"), "{error}");
    let api = retort::train::openai::FineTuning::with_key(&base, "K", KEY.into());
    let error = api.job("ftjob-1").await.unwrap_err().to_string();
    assert!(!error.contains(KEY) && error.contains("[redacted]"), "{error}");
}

// 9. Training watch never ends.
#[tokio::test]
async fn pages_of_events_are_bounded() {
    let server = MockServer::start().await;
    // Every page says there is more, each with a fresh id: a service that pages for ever.
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let pages = counter.clone();
    Mock::given(method("GET"))
        .and(path("/v1/fine_tuning/jobs/ftjob-1/events"))
        .respond_with(move |_: &wiremock::Request| {
            let n = pages.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "object": "list", "has_more": true,
                "data": [{"id": format!("ev-{n}"), "created_at": 1, "message": "step", "type": "message"}]
            }))
        })
        .mount(&server)
        .await;
    let api = retort::train::openai::FineTuning::with_key(&format!("{}/v1", server.uri()), "K", KEY.into());
    let events = tokio::time::timeout(Duration::from_secs(60), api.events_since("ftjob-1", None))
        .await
        .expect("the look ends")
        .unwrap();
    let asked = counter.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(asked, retort::train::openai::MAX_EVENT_PAGES);
    assert_eq!(events.len(), asked);

    // A page that ends where the last one did is not asked for again.
    let stuck = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/fine_tuning/jobs/ftjob-1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "object": "list", "has_more": true,
            "data": [{"id": "ev-same", "created_at": 1, "message": "step", "type": "message"}]
        })))
        .mount(&stuck)
        .await;
    let api = retort::train::openai::FineTuning::with_key(&format!("{}/v1", stuck.uri()), "K", KEY.into());
    api.events_since("ftjob-1", None).await.unwrap();
    assert_eq!(stuck.received_requests().await.unwrap().len(), 2);
}

/// A raw HTTP server on loopback that answers every connection with `head` and then `chunk`
/// repeated for ever (until the client goes away): a body without end.
async fn endless(head: &'static str, chunk: &'static [u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = vec![0u8; 16 * 1024];
                let _ = socket.read(&mut request).await;
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                // Bounded all the same: 1 GiB at most, then the server stops.
                for _ in 0..(1usize << 30) / chunk.len() {
                    let frame = format!("{:x}\r\n", chunk.len());
                    if socket.write_all(frame.as_bytes()).await.is_err()
                        || socket.write_all(chunk).await.is_err()
                        || socket.write_all(b"\r\n").await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{address}/v1")
}

// 11. Unbounded responses.
#[tokio::test]
async fn a_body_without_end_is_cut_at_its_cap() {
    static JSON_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    static SSE_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
    static SPACES: [u8; 65536] = [b' '; 65536];
    let json = endless(JSON_HEAD, &SPACES).await;
    let error = HttpEngine::new()
        .call(&spec(&json), None, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(error, LlmError::TooLarge { .. }), "{error:?}");
    assert!(error.to_string().contains(&json), "names the URL: {error}");

    // Large events without text (text would be stopped as a runaway repetition first).
    let event = format!(
        "data: {{\"choices\": [{{\"delta\": {{}}}}], \"pad\": \"{}\"}}\n\n",
        "x".repeat(60_000)
    );
    let stream = endless(SSE_HEAD, Box::leak(event.into_bytes().into_boxed_slice())).await;
    let mut streaming = spec(&stream);
    streaming.stream = true;
    let error = HttpEngine::new()
        .call(&streaming, None, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("larger than"), "{error}");

    let listing = endless(JSON_HEAD, &SPACES).await;
    let error = HttpEngine::new().list_models(&listing, None).await.unwrap_err();
    assert!(matches!(error, LlmError::TooLarge { .. }), "{error:?}");
}

// 12. Terminal escapes from servers and files.
#[tokio::test]
async fn escapes_from_a_server_never_reach_the_terminal() {
    let server = MockServer::start().await;
    common::mock::mount_models(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_string("{\"error\": {\"message\": \"bad \u{1b}]52;c;aGk=\u{7}\u{1b}[2J request\"}}"),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    common::mock::write_profile(dir.path(), &server, "retries = 0\n");
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\": \"p\\u001b[31m1\", \"text\": \"THF\"}\n").unwrap();
    let out = tokio::task::spawn_blocking({
        let (root, input) = (dir.path().to_path_buf(), input.clone());
        move || {
            retort_in(&root)
                .args(["extract", "--task", "compound", "--model", "smol", "--input"])
                .arg(&input)
                .args(["--output", "-"])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rejected with 400") && stderr.contains("]52;c;aGk="),
        "{stderr}"
    );
    assert!(!out.stderr.contains(&0x1b) && !out.stderr.contains(&0x07), "{stderr:?}");
}

#[test]
fn printable_strips_what_a_terminal_obeys() {
    let hostile = "a\u{1b}]52;c;aGk=\u{7}b\u{1b}[2Jc\u{9b}31md\re";
    assert_eq!(retort::foreign::printable(hostile), "a]52;c;aGk=b[2Jc31mde");
    let long = "x".repeat(2_200_000);
    let cut = retort::foreign::one_line(&long, 300);
    assert!(
        cut.len() < 400 && cut.contains("2199700 more characters"),
        "{}",
        &cut[290..]
    );
}

// 3. `--output` equal to the input destroys the input.
#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let text = root.join("paper.txt");
    std::fs::write(&text, "Ethanol was added to THF.\n\nThe mixture was stirred.\n").unwrap();
    let link = root.join("link.txt");
    std::os::unix::fs::symlink(&text, &link).unwrap();
    for output in [&text, &link] {
        let out = retort_in(root)
            .arg("ingest")
            .arg(&text)
            .arg("--output")
            .arg(output)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("is the input"));
    }
    let lines = root.join("in.jsonl");
    let original = "{\"id\": \"a\", \"text\": \"THF\"}\n";
    std::fs::write(&lines, original).unwrap();
    common::write_models(
        root,
        "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\nmode = \"zero-shot\"\n",
    );
    let out = retort_in(root)
        .args(["extract", "--task", "compound", "--model", "smol", "--input"])
        .arg(&lines)
        .arg("--output")
        .arg(root.join(".").join("in.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&text).unwrap().len(), 52);
    assert_eq!(std::fs::read_to_string(&lines).unwrap(), original);
}

// 4. A killed ingest leaves a half file where a whole one was.
#[test]
fn a_killed_ingest_leaves_the_previous_output_whole() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let paper = root.join("a.txt");
    std::fs::write(&paper, "Ethanol was added to THF.\n").unwrap();
    // A FIFO with no writer: ingest blocks on it after writing the first paper's lines.
    let fifo = root.join("b.txt");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let output = root.join("out.jsonl");
    std::fs::write(&output, "the previous whole output\n").unwrap();
    let mut child = retort_in(root)
        .arg("ingest")
        .arg(&paper)
        .arg(&fifo)
        .arg("--output")
        .arg(&output)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it has read the first paper (its summary line), then kill it.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    assert!(line.contains("a.txt"), "{line}");
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: the child is ours and still running (blocked on the FIFO).
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGKILL) }, 0);
    child.wait().unwrap();
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "the previous whole output\n");
    // Run to the end (the FIFO's place taken by a file), the output is replaced whole.
    std::fs::remove_file(&fifo).unwrap();
    std::fs::write(&fifo, "The mixture was stirred.\n").unwrap();
    let out = retort_in(root)
        .arg("ingest")
        .arg(&paper)
        .arg(&fifo)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(common::read_jsonl(&output).len(), 2);
}

fn nested(open: &str, close: &str, depth: usize, inner: &str) -> String {
    let mut text = String::with_capacity(depth * (open.len() + close.len()) + inner.len());
    for _ in 0..depth {
        text.push_str(open);
    }
    text.push_str(inner);
    for _ in 0..depth {
        text.push_str(close);
    }
    text
}

// 5. Deep documents crash the process.
#[test]
fn deep_documents_are_refused_or_cut_without_a_crash() {
    use retort::input::papers::{PaperFormat, read_text};
    // On a thread with the stack a worker thread of extract has (2 MiB): recursion as deep as
    // the input would overflow it.
    let reader = std::thread::Builder::new().stack_size(2 << 20);
    let handle = reader
        .spawn(|| {
            let jats = format!(
                "<article><front><article-meta><article-title>T</article-title></article-meta></front><body><sec>{}</sec></body></article>",
                nested("<p>", "</p>", 20_000, "deep")
            );
            let refused = read_text(&jats, PaperFormat::Jats, "deep").unwrap_err();
            assert!(refused.message.contains("nest deeper than"), "{}", refused.message);
            // Deep, but not too deep to parse: what nests past the limit is left out.
            let html = format!(
                "<html><body><article><p>Ethanol was added.</p>{}</article></body></html>",
                nested("<span>", "</span>", 5_000, "deep text")
            );
            let read = read_text(&html, PaperFormat::Html, "deep").unwrap();
            let texts: Vec<&str> = read[0].blocks.iter().map(|b| b.text.as_str()).collect();
            assert!(texts.contains(&"Ethanol was added."), "{texts:?}");
            // The parser's scope checks make 200,000 nested divs take hours: refused at once.
            let html = format!(
                "<html><body><article>{}</article></body></html>",
                nested("<div>", "</div>", 200_000, "deep")
            );
            let started = std::time::Instant::now();
            let refused = read_text(&html, PaperFormat::Html, "deep").unwrap_err();
            assert!(refused.message.contains("nest so deep"), "{}", refused.message);
            assert!(started.elapsed() < std::time::Duration::from_secs(10));
            // Entities that expand a small file to a hundred megabytes.
            let expanding = format!(
                "<?xml version=\"1.0\"?><!DOCTYPE article [<!ENTITY e \"{}\"><!ENTITY f \"&e;&e;\">]><article><body><p>{}</p></body></article>",
                "x".repeat(5000),
                "&f;".repeat(10_000)
            );
            let refused = read_text(&expanding, PaperFormat::Jats, "expanding").unwrap_err();
            assert!(refused.message.contains("entities expand"), "{}", refused.message);
            let small = "<?xml version=\"1.0\"?><!DOCTYPE article [<!ENTITY deg \"°\">]><article><body><p>At 5 &deg;C.</p></body></article>";
            let read = read_text(small, PaperFormat::Jats, "small").unwrap();
            assert!(read[0].blocks.iter().any(|b| b.text.contains("5 °C")), "{:?}", read[0].blocks);
        })
        .unwrap();
    handle.join().expect("no stack overflow");
}

#[test]
fn a_deep_file_is_skipped_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let papers = dir.path().join("papers");
    std::fs::create_dir_all(&papers).unwrap();
    std::fs::write(papers.join("a.txt"), "Ethanol was added to THF.\n").unwrap();
    let deep = format!(
        "<article><body>{}</body></article>",
        nested("<sec>", "</sec>", 20_000, "x")
    );
    std::fs::write(papers.join("b.xml"), deep).unwrap();
    std::fs::write(papers.join("c.txt"), "The mixture was stirred.\n").unwrap();
    let output = dir.path().join("out.jsonl");
    let out = retort_in(dir.path())
        .arg("ingest")
        .arg(&papers)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("b.xml") && stderr.contains("nest deeper"), "{stderr}");
    assert_eq!(common::read_jsonl(&output).len(), 2);
}

// 6. Symlink cycles make directory walks explode.
#[test]
fn link_cycles_end_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let papers = dir.path().join("papers");
    std::fs::create_dir_all(papers.join("sub")).unwrap();
    std::fs::write(papers.join("sub/a.txt"), "Ethanol was added to THF.\n").unwrap();
    std::os::unix::fs::symlink(&papers, papers.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink(papers.join("sub"), papers.join("again")).unwrap();
    let walk = retort::input::files_under(&papers).unwrap();
    assert_eq!(walk.files, vec![papers.join("again/a.txt")]);
    assert_eq!(walk.skipped.len(), 2, "{:?}", walk.skipped);
    let out = retort_in(dir.path())
        .arg("ingest")
        .arg(&papers)
        .arg("--output")
        .arg(dir.path().join("out.jsonl"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("already read"), "{stderr}");
}

/// Writes a PEFT adapter directory with one module whose A and B hold `a` and `b`.
fn peft_dir(dir: &Path, alpha: f64, a: &[f32], b: &[f32], b_shape: (usize, usize)) {
    use safetensors::{Dtype, tensor::TensorView};
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("adapter_config.json"),
        format!("{{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": {alpha}}}"),
    )
    .unwrap();
    let bytes = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let (a_bytes, b_bytes) = (bytes(a), bytes(b));
    let tensors = vec![
        (
            "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight".to_string(),
            TensorView::new(Dtype::F32, vec![2, a.len() / 2], &a_bytes).unwrap(),
        ),
        (
            "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight".to_string(),
            TensorView::new(Dtype::F32, vec![b_shape.0, b_shape.1], &b_bytes).unwrap(),
        ),
    ];
    safetensors::serialize_to_file(tensors, None, &dir.join("adapter_model.safetensors")).unwrap();
}

// 7. Bad adapters give empty answers with exit status 0.
#[test]
fn adapters_with_broken_numbers_are_refused_naming_the_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let sound = [0.1f32, -0.2, 0.3, 0.05];
    peft_dir(&dir.path().join("ok"), 4.0, &sound, &sound, (2, 2));
    retort::llm::adapter::peft::read(&dir.path().join("ok")).unwrap();
    for (name, value) in [("nan", f32::NAN), ("inf", f32::INFINITY), ("huge", 1e30)] {
        let mut broken = sound;
        broken[2] = value;
        let at = dir.path().join(name);
        peft_dir(&at, 4.0, &sound, &broken, (2, 2));
        let error = retort::llm::adapter::peft::read(&at).unwrap_err().to_string();
        assert!(
            error.contains("q_proj.lora_B") && error.contains("broken"),
            "{name}: {error}"
        );
    }
    for alpha in ["1e300", "0"] {
        let at = dir.path().join(format!("alpha-{alpha}"));
        peft_dir(&at, alpha.parse().unwrap(), &sound, &sound, (2, 2));
        let read = retort::llm::adapter::peft::read(&at);
        assert_eq!(read.is_err(), alpha == "1e300", "lora_alpha {alpha}");
    }
    // 13. A B matrix of the wrong width is said to be B's fault.
    let at = dir.path().join("wide");
    peft_dir(&at, 4.0, &sound, &[0.1; 6], (2, 3));
    let error = retort::llm::adapter::peft::read(&at).unwrap_err().to_string();
    assert!(error.contains("lora_B is 2×3"), "{error}");
}

#[test]
fn a_scale_that_is_not_a_number_is_refused_before_anything_is_converted() {
    let dir = tempfile::tempdir().unwrap();
    common::write_models(
        dir.path(),
        "[[model]]\nname = \"base\"\nengine = \"embedded\"\npath = \"/nowhere/base.gguf\"\nmode = \"few-shot\"\n",
    );
    let sound = [0.1f32, -0.2, 0.3, 0.05];
    peft_dir(&dir.path().join("ok"), 4.0, &sound, &sound, (2, 2));
    for scale in ["NaN", "inf", "1e9"] {
        let out = retort_in(dir.path())
            .args([
                "models",
                "add",
                "tuned",
                "--base",
                "base",
                "--scale",
                scale,
                "--adapter",
            ])
            .arg(dir.path().join("ok"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("--scale"), "{stderr}");
    }
    assert!(!dir.path().join("data/models/adapters").exists());
    // A profile with such a scale does not load.
    let profiles = retort::llm::profile::parse(
        "[[model]]\nname = \"t\"\nengine = \"embedded\"\npath = \"/m.gguf\"\nmode = \"fine-tuned\"\nlora = [{ path = \"/a.gguf\", scale = nan }]\n",
    );
    assert!(profiles.is_err());
}

// 8. Adapter names collide.
#[test]
fn adapter_files_of_different_names_never_collide() {
    let paths = retort::config::Paths::under(Path::new("/r"));
    let file = |name: &str| retort::commands::adapter_file(&paths, name);
    assert_eq!(file("col_a"), Path::new("/r/data/models/adapters/col_a.gguf"));
    assert_ne!(file("col/a"), file("col_a"));
    assert_ne!(file("col/a"), file("col:a"));
    assert_ne!(file(".."), file("_"));
    assert!(file("../../x").starts_with("/r/data/models/adapters"));
}

// 10. JATS mentioning an Elsevier URL is read as Elsevier.
#[test]
fn the_format_comes_from_the_root_and_its_namespace() {
    use retort::input::{InputKind, kind_of_text, papers::PaperFormat};
    let jats = "<?xml version=\"1.0\"?>\n<article xmlns:xlink=\"http://www.w3.org/1999/xlink\"><front><article-meta><article-title>See http://www.elsevier.com/xml/ja/dtd</article-title></article-meta></front></article>";
    assert_eq!(kind_of_text(jats.as_bytes()), InputKind::Paper(PaperFormat::Jats));
    let elsevier = "<article xmlns=\"http://www.elsevier.com/xml/ja/dtd\"><head/></article>";
    assert_eq!(
        kind_of_text(elsevier.as_bytes()),
        InputKind::Paper(PaperFormat::Elsevier)
    );
}

// 13. Messages that mislead.
#[test]
fn encodings_retort_does_not_read_say_how_to_convert() {
    let dir = tempfile::tempdir().unwrap();
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "<?xml version=\"1.0\"?><article/>"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    std::fs::write(dir.path().join("a.xml"), utf16).unwrap();
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><article><body><p>caf\xe9</p></body></article>";
    std::fs::write(dir.path().join("b.xml"), latin1).unwrap();
    for (file, wanted) in [("a.xml", "iconv -f UTF-16"), ("b.xml", "iconv -f ISO-8859-1")] {
        let out = retort_in(dir.path())
            .arg("ingest")
            .arg(dir.path().join(file))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains(wanted), "{file}: {stderr}");
    }
}

#[test]
fn a_profile_whose_adapter_is_gone_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = dir.path().join("base.gguf");
    std::fs::write(&gguf, b"GGUF\x03\x00\x00\x00").unwrap();
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"tuned\"\nengine = \"embedded\"\npath = \"{}\"\nmode = \"fine-tuned\"\nlora = [{{ path = \"{}\" }}]\n",
            gguf.display(),
            dir.path().join("gone.gguf").display()
        ),
    );
    let out = retort_in(dir.path()).arg("models").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("tuned")).unwrap_or_default();
    assert!(!line.ends_with(": ready") && line.contains("is gone"), "{stdout}");
}

#[test]
fn printed_commands_are_quoted_for_the_shell() {
    assert_eq!(retort::host::word("/data/adapters/chem-100"), "/data/adapters/chem-100");
    assert_eq!(retort::host::word("/my dir/it's"), "'/my dir/it'\\''s'");
    assert_eq!(retort::host::word("a;rm -rf ~"), "'a;rm -rf ~'");
}

// 14. Paths and numbers taken on trust.
#[test]
fn names_ids_hosts_and_numbers_from_the_command_line_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let out = retort_in(root)
        .args(["tasks", "new", "../../evil", "--fields", "a"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!root.join("evil.toml").exists() && !root.join("config/evil.toml").exists());

    let out = retort_in(root).args(["train", "status", "../../etc"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no training run"));

    let refused = [
        vec!["--host", "-oProxyCommand=touch /tmp/pwned"],
        vec!["--lora-rank", "0"],
        vec!["--learning-rate", "NaN"],
        vec!["--learning-rate", "-1"],
        vec!["--epochs", "0"],
    ];
    for extra in refused {
        let out = retort_in(root)
            .args([
                "train",
                "start",
                "--task",
                "compound",
                "--backend",
                "command",
                "--base",
                "b",
                "--yes",
            ])
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!root.join("data/runs").exists(), "{extra:?}: no run made");
    }
}

#[test]
fn a_run_json_whose_id_is_not_its_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let runs = data.join("runs/20261207-000000-compound-openai");
    std::fs::create_dir_all(&runs).unwrap();
    std::fs::write(
        runs.join("run.json"),
        "{\"id\": \"../../../../tmp/elsewhere\", \"task\": \"compound\"}",
    )
    .unwrap();
    let error = retort::train::run::Run::load(data, "20261207-000000-compound-openai")
        .unwrap_err()
        .to_string();
    assert!(error.contains("run.json"), "{error}");
    assert!(retort::train::run::Run::load(data, "../x").is_err());
}

#[test]
fn a_byte_order_mark_stays_out_of_the_first_field() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gold.csv");
    std::fs::write(&csv, "\u{feff}id,text\n1,THF\n").unwrap();
    let (table, bad) = retort::dataset::table::read_csv(&csv).unwrap();
    assert!(bad.is_empty());
    assert_eq!(table.columns[0], "id");
    let jsonl = dir.path().join("p.jsonl");
    std::fs::write(&jsonl, "\u{feff}{\"id\": \"a\", \"text\": \"THF\"}\n").unwrap();
    let (lines, bad) = retort::dataset::table::read_jsonl(&jsonl).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(lines.len(), 1);
}

// 12. What the workbench draws: a paper's text and a server's answer with escape sequences.
#[test]
fn the_workbench_draws_no_control_character() {
    let paragraph = "Ethanol\u{1b}]52;c;aGk=\u{7} was added to THF\u{1b}[2J.\r\nThe mixture was stirred.";
    let mut state = common::tui_state("compound", paragraph, 100, 30);
    common::finish_run(
        &mut state,
        retort::tui::action::Side::Main,
        "Ethanol\u{1b}[31m | THF\u{9b}2J",
    );
    let screen = common::render_text(&state);
    assert!(screen.contains("Ethanol"), "{screen}");
    let controls: Vec<char> = screen.chars().filter(|c| c.is_control() && *c != '\n').collect();
    assert!(controls.is_empty(), "{controls:?}\n{screen}");
}

// 13. A PDF with no pages is said to be broken, not a scan.
#[test]
fn a_pdf_without_pages_is_called_broken() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("empty.pdf");
    let body = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n";
    let xref = body.len();
    let text = format!(
        "{body}xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \ntrailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    );
    std::fs::write(&pdf, text).unwrap();
    let out = retort_in(dir.path()).arg("ingest").arg(&pdf).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains("OCR"), "{stderr}");
    assert!(stderr.contains("has no pages"), "{stderr}");
}

// 10. A reader that reads little of a large file says so.
#[test]
fn a_large_file_that_gave_little_text_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let jats = format!(
        "<article><front><article-meta><article-title>T</article-title></article-meta></front><body><sec><p>Ethanol was added.</p></sec></body><back>{}</back></article>",
        "<unknown-element attribute=\"a value\"/>".repeat(5000)
    );
    let file = dir.path().join("big.xml");
    std::fs::write(&file, jats).unwrap();
    let out = retort_in(dir.path())
        .arg("ingest")
        .arg(&file)
        .arg("--output")
        .arg(dir.path().join("out.jsonl"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("note: only") && stderr.contains("check it is JATS"),
        "{stderr}"
    );
}
