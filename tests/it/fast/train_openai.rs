//! `retort train` against a fake of OpenAI's fine-tuning API (no real fine-tuning can run
//! here): start uploads the export and creates the job, watch follows it through every status
//! to its model (or its error, verbatim), cancel cancels, register adds the profile; no key, a
//! wrong key and too few examples stop before anything is uploaded; a service that is down
//! while watching is waited for; the key is never written.

use crate::common;
use crate::common::fine_tuning;

use fine_tuning::{Fake, KEY, Step};
use serde_json::Value as Json;
use std::path::Path;
use std::process::Output;

fn train(dir: &Path, server: &wiremock::MockServer, args: &[&str], key: Option<&str>) -> Output {
    let mut command = common::retort_in(dir);
    command
        .arg("train")
        .args(args)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.uri()))
        .env_remove("OPENAI_API_KEY");
    if let Some(key) = key {
        command.env("OPENAI_API_KEY", key);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn run_json(dir: &Path, id: &str) -> Json {
    let path = dir.join("data/runs").join(id).join("run.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every file under `dir`, read as text (the key must be in none).
fn all_text(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.push_str(&all_text(&path));
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()));
        }
    }
    out
}

fn succeeding() -> Vec<Step> {
    vec![
        Step {
            status: "validating_files",
            messages: vec!["Validating training file: file-1"],
            ..Step::default()
        },
        Step {
            status: "queued",
            messages: vec!["Files validated, moving job to queued state"],
            ..Step::default()
        },
        Step {
            status: "running",
            messages: vec!["Fine-tuning job started"],
            metrics: vec![(1, 2.5, None), (2, 1.9, Some(2.1)), (3, 1.4, None)],
            ..Step::default()
        },
        Step {
            status: "running",
            metrics: vec![(4, 1.1, None), (5, 0.8, Some(0.9)), (6, 0.6, None)],
            ..Step::default()
        },
        Step {
            status: "succeeded",
            messages: vec!["New fine-tuned model created", "The job has successfully completed"],
            model: Some("ft:gpt-4o-mini-2024-07-18:retort:compound:abc123"),
            ..Step::default()
        },
    ]
}

fn started(dir: &Path, server: &wiremock::MockServer, extra: &[&str]) -> String {
    let mut args = vec![
        "start",
        "--task",
        "compound",
        "--base",
        "gpt-4o-mini-2024-07-18",
        "--epochs",
        "3",
        "--yes",
    ];
    args.extend_from_slice(extra);
    let out = train(dir, server, &args, Some(KEY));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    stdout.lines().last().expect("the id on the last line").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_started_watched_to_its_model_and_registered() {
    let dir = tempfile::tempdir().unwrap();
    common::import(dir.path(), "compound", "chemsci2024/compound/train_100.csv");
    let (server, fake) = Fake::start(succeeding(), 6).await;
    let id = started(dir.path(), &server, &["--split", "train=0.9,valid=0.1"]);

    // The export went up as two multipart uploads and the job names them.
    let run = run_json(dir.path(), &id);
    assert_eq!(run["status"], "validating_files");
    assert_eq!(run["job_id"], "ftjob-1");
    assert_eq!(
        (run["train_examples"].as_u64(), run["valid_examples"].as_u64()),
        (Some(90), Some(10))
    );
    let exported =
        std::fs::read_to_string(dir.path().join("data/runs").join(&id).join("data/train.chat.jsonl")).unwrap();
    fake.recorded(|r| {
        assert_eq!(r.uploads.len(), 2);
        assert_eq!(r.uploads[0].0, "fine-tune");
        assert_eq!(r.uploads[0].1, "train.chat.jsonl");
        assert_eq!(r.uploads[0].2, exported, "the file as exported");
        let job = &r.created[0];
        assert_eq!(job["model"], "gpt-4o-mini-2024-07-18");
        assert_eq!(job["training_file"], "file-1");
        assert_eq!(job["validation_file"], "file-2");
        assert_eq!(job["method"]["type"], "supervised");
        assert_eq!(job["method"]["supervised"]["hyperparameters"]["n_epochs"], 3);
    });

    let out = train(
        dir.path(),
        &server,
        &["watch", &id, "--interval", "0.01", "--register"],
        Some(KEY),
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Fine-tuning job started"), "{stderr}");
    assert!(stderr.contains("step 6/6"), "{stderr}");
    assert!(
        stderr.contains("ft:gpt-4o-mini-2024-07-18:retort:compound:abc123"),
        "{stderr}"
    );

    // Every metrics event once, oldest first, though they came newest first in pages of 3.
    let metrics = common::read_jsonl(&dir.path().join("data/runs").join(&id).join("metrics.jsonl"));
    let steps: Vec<u64> = metrics.iter().map(|m| m["step"].as_u64().unwrap()).collect();
    assert_eq!(steps, [1, 2, 3, 4, 5, 6]);
    assert_eq!(metrics[4]["eval_loss"], 0.9);
    let run = run_json(dir.path(), &id);
    assert_eq!(run["status"], "succeeded");
    assert_eq!(run["progress"]["train_loss"], 0.6);
    assert!(run["finished_at"].is_string());

    // Registered: a fine-tuned profile of the task, on the same service, naming the key's variable.
    let profile_name = run["profile"].as_str().expect("registered").to_string();
    let models = std::fs::read_to_string(dir.path().join("config/models.toml")).unwrap();
    assert!(
        models.contains("model = \"ft:gpt-4o-mini-2024-07-18:retort:compound:abc123\""),
        "{models}"
    );
    assert!(models.contains("mode = \"fine-tuned\""), "{models}");
    assert!(models.contains("task = \"compound\""), "{models}");
    assert!(models.contains("api_key_env = \"OPENAI_API_KEY\""), "{models}");
    let out = common::retort_in(dir.path())
        .args(["models"])
        .env("OPENAI_API_KEY", KEY)
        .output()
        .unwrap();
    assert!(text(&out.stdout).contains(&profile_name), "{}", text(&out.stdout));

    // status --format json, read again from the service.
    let out = train(dir.path(), &server, &["status", "--format", "json"], Some(KEY));
    let rows: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["id"], id.as_str());
    assert_eq!(rows[0]["status"], "succeeded");
    assert_eq!(rows[0]["backend"], "openai");
    assert_eq!(
        rows[0]["fine_tuned_model"],
        "ft:gpt-4o-mini-2024-07-18:retort:compound:abc123"
    );

    // The checkpoints the service kept, oldest first; one of them can be registered instead.
    assert_eq!(rows[0]["checkpoints"][0]["step"], 3);
    assert_eq!(
        rows[0]["checkpoints"][1]["model"],
        "ft:gpt-4o-mini-2024-07-18:retort:compound:abc123:ckpt-step-6"
    );
    let out = train(
        dir.path(),
        &server,
        &["register", &id, "--checkpoint", "3", "--name", "halfway"],
        Some(KEY),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let models = std::fs::read_to_string(dir.path().join("config/models.toml")).unwrap();
    assert!(
        models.contains("model = \"ft:gpt-4o-mini-2024-07-18:retort:compound:abc123:ckpt-step-3\""),
        "{models}"
    );
    let out = train(dir.path(), &server, &["register", &id, "--checkpoint", "4"], Some(KEY));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("it kept steps 3, 6"),
        "{}",
        text(&out.stderr)
    );

    // The key is in no file Retort wrote, and was sent only as the bearer token.
    let written = all_text(dir.path());
    assert!(!written.contains(KEY), "the key reached a file");
    fake.recorded(|r| assert!(r.requests.iter().all(|(_, auth)| auth == &format!("Bearer {KEY}"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_job_ends_the_watch_with_its_error_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    common::import(dir.path(), "compound", "chemsci2024/compound/train_10.csv");
    let message = "The job failed due to an invalid training file. Expected file to have JSONL format.";
    let script = vec![
        Step {
            status: "validating_files",
            ..Step::default()
        },
        Step {
            status: "failed",
            error: Some(message),
            ..Step::default()
        },
    ];
    let (server, _fake) = Fake::start(script, 10).await;
    let id = started(dir.path(), &server, &[]);
    let out = train(dir.path(), &server, &["watch", &id, "--interval", "0.01"], Some(KEY));
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(message), "{}", text(&out.stderr));
    assert_eq!(run_json(dir.path(), &id)["error"], message);
    let out = train(dir.path(), &server, &["register", &id], Some(KEY));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("has no model to register"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_cancels_and_a_service_that_is_down_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    common::import(dir.path(), "compound", "chemsci2024/compound/train_10.csv");
    let (server, fake) = Fake::start(succeeding(), 6).await;
    let id = started(dir.path(), &server, &[]);
    fake.fail_next(3);
    let out = train(dir.path(), &server, &["watch", &id, "--interval", "0.01"], Some(KEY));
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("503") && stderr.contains("trying again"), "{stderr}");
    assert_eq!(fake.recorded(|r| r.cancelled), 0, "waiting touched nothing");

    let (server, fake) = Fake::start(succeeding(), 6).await;
    let id = started(dir.path(), &server, &[]);
    let out = train(dir.path(), &server, &["cancel", &id], Some(KEY));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fake.recorded(|r| r.cancelled), 1);
    assert_eq!(run_json(dir.path(), &id)["status"], "cancelled");
    let out = train(dir.path(), &server, &["watch", &id, "--interval", "0.01"], Some(KEY));
    assert_eq!(out.status.code(), Some(7));
    assert!(text(&out.stderr).contains("cancelled"), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_a_wrong_key_or_too_few_examples_upload_nothing() {
    let dir = tempfile::tempdir().unwrap();
    common::import(dir.path(), "compound", "chemsci2024/compound/train_10.csv");
    let (server, fake) = Fake::start(succeeding(), 6).await;
    let start = [
        "start",
        "--task",
        "compound",
        "--base",
        "gpt-4o-mini-2024-07-18",
        "--yes",
    ];

    let out = train(dir.path(), &server, &start, None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("OPENAI_API_KEY is not set") && stderr.contains(&server.uri()),
        "{stderr}"
    );

    let out = train(dir.path(), &server, &start, Some("sk-wrong"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("refused the key in OPENAI_API_KEY") && stderr.contains("/v1/fine_tuning/jobs"),
        "{stderr}"
    );
    assert!(!stderr.contains("sk-wrong"), "the key is never printed");

    // Ten saved, nine in the training split: OpenAI takes at least ten.
    let mut args = start.to_vec();
    args.extend(["--split", "train=0.9,valid=0.1"]);
    let out = train(dir.path(), &server, &args, Some(KEY));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("9 training examples"),
        "{}",
        text(&out.stderr)
    );

    // Without --yes and without a terminal to ask, nothing starts.
    let out = train(dir.path(), &server, &start[..5], Some(KEY));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("add --yes"), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("training tokens per epoch"),
        "{}",
        text(&out.stderr)
    );

    fake.recorded(|r| {
        assert!(r.uploads.is_empty(), "nothing uploaded");
        assert!(r.created.is_empty());
    });
    let runs = dir.path().join("data/runs");
    let left: Vec<_> = std::fs::read_dir(&runs)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "no run left behind for what never started: {left:?}");
}
