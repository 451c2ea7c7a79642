//! `retort batch submit|status|collect|retry` against a fake of OpenAI's Files and Batches API
//! (tests/it/common/batch_service.rs): a corpus goes up as batches and comes back as the lines
//! `retort extract` writes; failures and expired requests are named, sent again once and
//! counted once; collecting again changes nothing; a kill while collecting leaves no half file.

use crate::common;
use crate::common::batch_service::{FakeBatches, KEY, Plan, Reply};
use serde_json::Value as Json;
use std::path::PathBuf;
use std::sync::Arc;

const PARAGRAPHS: [(&str, &str); 5] = [
    ("US1#1", "Ethanol and THF were stirred."),
    ("US1#2", "Toluene was added to benzene."),
    ("US2#1", "Acetone was evaporated under vacuum."),
    ("US2#2", "Methanol dissolved the sodium chloride."),
    ("US3#1", "Hexane washed the product."),
];

/// Answers each paragraph with its first word (a compound in the paragraph); the ids in
/// `failing` get a 500.
fn answerer(failing: &'static [&'static str]) -> common::batch_service::Answerer {
    Arc::new(move |_: &str, body: &Json| {
        let user = body["messages"]
            .as_array()
            .and_then(|m| m.last())
            .map(|m| m["content"].to_string())
            .unwrap_or_default();
        let (id, text) = PARAGRAPHS
            .iter()
            .find(|(_, text)| user.contains(text))
            .expect("a paragraph of the corpus");
        if failing.contains(id) {
            return Reply::Status(500, "The server had an error while processing your request.".into());
        }
        Reply::Content(text.split_whitespace().next().unwrap().to_string())
    })
}

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    input: PathBuf,
    run: PathBuf,
}

fn setup(server: &wiremock::MockServer) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    common::write_models(
        &root,
        &format!(
            "[[model]]\nname = \"svc\"\nengine = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"m\"\nmode = \"zero-shot\"\napi_key_env = \"BATCH_KEY\"\nretries = 0\n",
            server.uri()
        ),
    );
    let input = root.join("corpus.jsonl");
    common::write_paragraphs(&input, &PARAGRAPHS);
    let run = root.join("run");
    Setup {
        _dir: dir,
        root,
        input,
        run,
    }
}

impl Setup {
    fn retort(&self, args: &[&str]) -> std::process::Output {
        common::retort_in(&self.root)
            .env("BATCH_KEY", KEY)
            .args(args)
            .output()
            .unwrap()
    }

    fn run_arg(&self) -> &str {
        self.run.to_str().unwrap()
    }

    fn batch(&self, action: &str, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["batch", action, self.run_arg()];
        args.extend(extra);
        self.retort(&args)
    }

    fn prepare(&self, extra: &[&str]) {
        let mut args = vec![
            "batch",
            "prepare",
            "--task",
            "compound",
            "--model",
            "svc",
            "--input",
            self.input.to_str().unwrap(),
            "--out",
            self.run_arg(),
        ];
        args.extend(extra);
        let out = self.retort(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    fn manifest(&self) -> Json {
        serde_json::from_slice(&std::fs::read(self.run.join("run.json")).unwrap()).unwrap()
    }
}

fn said(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `f` off the test's runtime (the fake answers on it).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// Keys whose values differ between any two runs (timings, the moment).
const MOMENTARY: [&str; 4] = ["started_at", "total_ms", "time_to_first_token_ms", "tokens_counted"];

fn without_moments(mut line: Json) -> Json {
    for key in MOMENTARY {
        line.as_object_mut().unwrap().remove(key);
    }
    line
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corpus_goes_up_as_batches_and_comes_back_as_extract_lines() {
    let (server, fake) = FakeBatches::start(answerer(&[]), vec![]).await;
    let s = Arc::new(setup(&server));
    let s2 = s.clone();
    let (submitted, first_look, watched) = blocking(move || {
        s2.prepare(&["--max-requests", "3"]);
        let submitted = s2.batch("submit", &["--yes"]);
        let first_look = s2.batch("status", &[]);
        let watched = s2.batch("status", &["--watch", "--every", "1"]);
        (submitted, first_look, watched)
    })
    .await;
    let text = said(&submitted);
    assert!(submitted.status.success(), "{text}");
    assert!(
        text.contains("5 requests for m in 2 file(s), about"),
        "what goes up is said first: {text}"
    );
    let uploads = fake.uploads();
    assert_eq!(uploads.len(), 2);
    for (n, (purpose, name, content)) in uploads.iter().enumerate() {
        assert_eq!(purpose, "batch");
        assert_eq!(name, &format!("requests-00{}.jsonl", n + 1));
        let file = std::fs::read_to_string(s.run.join(name)).unwrap();
        assert_eq!(content, &file, "the request file goes up byte for byte");
    }
    assert_eq!(fake.batches_created(), 2);
    assert!(
        said(&first_look).contains("batch_1  in_progress  0/3 done"),
        "{}",
        said(&first_look)
    );
    let text = said(&watched);
    assert!(watched.status.success(), "{text}");
    assert!(
        text.contains("requests-001.jsonl  batch_1  completed  3/3 done, 0 failed"),
        "{text}"
    );
    assert!(text.contains("every batch is done"), "{text}");
    let manifest = s.manifest();
    assert_eq!(manifest["batches"][1]["status"], "completed");
    assert!(!manifest.to_string().contains(KEY), "the key is never written");
    for (_, _, auth) in fake.requests() {
        assert_eq!(auth, format!("Bearer {KEY}"), "the key goes in the header");
    }

    let s2 = s.clone();
    let (collected, again, online) = blocking(move || {
        let collected = s2.batch("collect", &[]);
        let first = std::fs::read(s2.run.join("predictions.jsonl")).unwrap();
        let again = s2.batch("collect", &[]);
        assert_eq!(
            first,
            std::fs::read(s2.run.join("predictions.jsonl")).unwrap(),
            "collecting again rewrites the same file"
        );
        let online_out = s2.root.join("online.jsonl");
        let online = s2.retort(&[
            "extract",
            "--task",
            "compound",
            "--model",
            "svc",
            "--input",
            s2.input.to_str().unwrap(),
            "--output",
            online_out.to_str().unwrap(),
        ]);
        assert!(online.status.success(), "{}", said(&online));
        (collected, again, online_out)
    })
    .await;
    assert!(collected.status.success(), "{}", said(&collected));
    assert!(
        said(&collected).contains("5 of 5 paragraphs written"),
        "{}",
        said(&collected)
    );
    assert!(said(&again).contains("5 of 5 paragraphs written"), "{}", said(&again));
    let lines = common::read_jsonl(&s.run.join("predictions.jsonl"));
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, PARAGRAPHS.map(|(id, _)| id), "one line per paragraph, in order");
    assert_eq!(
        lines[0]["extraction"]["records"][0]["fields"][0]["content"]["values"][0]["text"], "Ethanol",
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[0]["started_at"], "2023-11-14T22:13:20+00:00",
        "when the batch began"
    );
    // Identical in form to an online run's lines: the same keys and, timings aside, the same values.
    let mut online_lines = common::read_jsonl(&online);
    online_lines.sort_by_key(|l| l["id"].as_str().unwrap().to_string());
    let mut batch_lines = lines.clone();
    batch_lines.sort_by_key(|l| l["id"].as_str().unwrap().to_string());
    for (batch, online) in batch_lines.into_iter().zip(online_lines) {
        let keys = |l: &Json| l.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&batch), keys(&online), "the same fields");
        assert_eq!(without_moments(batch), without_moments(online));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_and_expired_requests_are_named_sent_again_once_and_counted_once() {
    // Batch 1 holds US1#1..US2#1 and expires after two ran; batch 2 holds US2#2, US3#1 and US3#1 fails.
    let (server, fake) = FakeBatches::start(answerer(&["US3#1"]), vec![Plan::Expire { ran: 2 }]).await;
    let s = Arc::new(setup(&server));
    let s2 = s.clone();
    let (collected, retried) = blocking(move || {
        s2.prepare(&["--max-requests", "3"]);
        assert!(s2.batch("submit", &["--yes"]).status.success());
        assert!(s2.batch("status", &["--watch", "--every", "1"]).status.success());
        let collected = s2.batch("collect", &[]);
        let retried = s2.batch("retry", &["--yes"]);
        (collected, retried)
    })
    .await;
    let text = said(&collected);
    assert_eq!(collected.status.code(), Some(3), "{text}");
    assert!(text.contains("5 of 5 paragraphs written"), "{text}");
    assert!(text.contains("failed: US2#1, US3#1"), "{text}");
    assert!(
        text.contains("batch_expired: This request could not be executed"),
        "{text}"
    );
    assert!(
        text.contains("the service answered 500: The server had an error"),
        "{text}"
    );
    let lines = common::read_jsonl(&s.run.join("predictions.jsonl"));
    let failed: Vec<&str> = lines
        .iter()
        .filter(|l| !l["error"].is_null())
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["US2#1", "US3#1"],
        "a failed request is a line with its error, as online"
    );

    assert!(retried.status.success(), "{}", said(&retried));
    let uploads = fake.uploads();
    assert_eq!(uploads.len(), 3);
    let (_, name, content) = &uploads[2];
    assert_eq!(name, "retry-1-001.jsonl");
    let ids: Vec<String> = content
        .lines()
        .map(|l| {
            serde_json::from_str::<Json>(l).unwrap()["custom_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids, ["US2#1", "US3#1"], "only what failed goes again");
    let original = std::fs::read_to_string(s.run.join("requests-001.jsonl")).unwrap();
    assert!(
        original.contains(content.lines().next().unwrap()),
        "the same request line, byte for byte"
    );

    // The retry's batch answers US2#1; US3#1 fails again.
    let s2 = s.clone();
    let collected = blocking(move || {
        assert!(s2.batch("status", &["--watch", "--every", "1"]).status.success());
        s2.batch("collect", &[])
    })
    .await;
    let text = said(&collected);
    assert_eq!(collected.status.code(), Some(3), "{text}");
    assert!(text.contains("5 of 5 paragraphs written to"), "{text}");
    assert!(text.contains("(1 failed"), "{text}");
    let lines = common::read_jsonl(&s.run.join("predictions.jsonl"));
    assert_eq!(lines.len(), 5, "nothing counted twice");
    let line = lines.iter().find(|l| l["id"] == "US2#1").unwrap();
    assert!(line["error"].is_null(), "the retry's answer stands: {line}");

    // The last failure goes online, through the profile; then every paragraph has its answer.
    let s2 = s.clone();
    let fake2 = fake.clone();
    let (online, collected) = blocking(move || {
        let answer_now = s2.batch("retry", &["--online"]);
        (answer_now, s2.batch("collect", &[]))
    })
    .await;
    // US3#1 still fails online (the answerer always fails it): its online line records that.
    assert!(said(&online).contains("1 sent online, 1 failed"), "{}", said(&online));
    assert_eq!(fake2.online_requests(), 1);
    assert_eq!(collected.status.code(), Some(3));
    assert_eq!(common::read_jsonl(&s.run.join("predictions.jsonl")).len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_file_a_missing_key_and_a_wrong_key_are_said() {
    let (server, _fake) = FakeBatches::start(answerer(&[]), vec![Plan::Refuse("Invalid JSON on line 1".into())]).await;
    let s = Arc::new(setup(&server));
    let s2 = s.clone();
    let (no_key, wrong_key, refused, unasked) = blocking(move || {
        s2.prepare(&[]);
        let submit = |key: Option<&str>| {
            let mut command = common::retort_in(&s2.root);
            command
                .env_remove("BATCH_KEY")
                .args(["batch", "submit", s2.run_arg(), "--yes"]);
            if let Some(key) = key {
                command.env("BATCH_KEY", key);
            }
            command.output().unwrap()
        };
        let no_key = submit(None);
        let wrong_key = submit(Some("sk-wrong"));
        let unasked = s2.retort(&["batch", "submit", s2.run_arg()]);
        assert!(s2.batch("submit", &["--yes"]).status.success());
        let refused = s2.batch("status", &["--watch", "--every", "1"]);
        (no_key, wrong_key, refused, unasked)
    })
    .await;
    assert_eq!(no_key.status.code(), Some(2));
    assert!(said(&no_key).contains("BATCH_KEY is not set"), "{}", said(&no_key));
    assert_eq!(wrong_key.status.code(), Some(2));
    assert!(
        said(&wrong_key).contains("refused the key in BATCH_KEY (401)"),
        "{}",
        said(&wrong_key)
    );
    assert!(!said(&wrong_key).contains("sk-wrong"), "the key is never shown");
    assert_eq!(
        unasked.status.code(),
        Some(2),
        "no terminal to ask, no --yes: nothing goes up"
    );
    assert!(said(&unasked).contains("add --yes"), "{}", said(&unasked));
    let text = said(&refused);
    assert!(text.contains("batch_1  failed"), "{text}");
    assert!(
        text.contains("line 1: invalid_json_line: Invalid JSON on line 1"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collect_killed_while_downloading_leaves_no_half_file() {
    let (server, fake) = FakeBatches::start(answerer(&[]), vec![]).await;
    let s = Arc::new(setup(&server));
    let s2 = s.clone();
    blocking(move || {
        s2.prepare(&[]);
        assert!(s2.batch("submit", &["--yes"]).status.success());
        assert!(s2.batch("status", &["--watch", "--every", "1"]).status.success());
    })
    .await;
    fake.delay_downloads(std::time::Duration::from_secs(30));
    let mut child = common::retort_in(&s.root)
        .env("BATCH_KEY", KEY)
        .args(["batch", "collect", s.run_arg()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let asked = |fake: &FakeBatches| fake.requests().iter().any(|(_, path, _)| path.ends_with("/content"));
    for _ in 0..200 {
        if asked(&fake) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(asked(&fake), "collect asked for the output file");
    child.kill().unwrap();
    child.wait().unwrap();
    let names: Vec<String> = std::fs::read_dir(&s.run)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("output-") || n == "predictions.jsonl"),
        "nothing half written: {names:?}"
    );
    assert_eq!(s.manifest()["batches"][0]["status"], "completed", "run.json is whole");
    fake.delay_downloads(std::time::Duration::ZERO);
    let s2 = s.clone();
    let again = blocking(move || s2.batch("collect", &[])).await;
    assert!(again.status.success(), "{}", said(&again));
    assert_eq!(common::read_jsonl(&s.run.join("predictions.jsonl")).len(), 5);
}
