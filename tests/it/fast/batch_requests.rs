//! `retort batch prepare`: a corpus's requests as the Batch API's request files. Each body is
//! byte for byte what `retort extract` sends for the same paragraph (recorded by a server double
//! speaking OpenAI's API), files split at the limits, a repeated id left out and said, and
//! profiles that cannot go through a batch service refused by name.

use crate::common;

use std::path::Path;

const PARAGRAPHS: [(&str, &str); 6] = [
    ("US1#1", "Ethanol and THF were stirred."),
    ("US1#2", "Toluene was added to benzene."),
    ("US2#1", "Acetone was evaporated under vacuum."),
    ("US2#2", "Methanol dissolved the sodium chloride."),
    ("US2#1", "A repeated id: left out."),
    ("US3#1", "The product was washed with ethyl acetate/hexane."),
];

fn corpus(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("corpus.jsonl");
    common::write_paragraphs(&path, &PARAGRAPHS);
    path
}

fn profiles(dir: &Path, server: &wiremock::MockServer) {
    common::write_models(
        dir,
        &format!(
            "[[model]]\nname = \"shots\"\nengine = \"openai\"\nbase_url = \"{0}/v1\"\nmodel = \"m\"\nmode = \"few-shot\"\nmax_tokens = 300\n\n\
             [[model]]\nname = \"schema\"\nengine = \"openai\"\nbase_url = \"{0}/v1\"\nmodel = \"m\"\nmode = \"zero-shot\"\nstructured = \"openai\"\n\n\
             [[model]]\nname = \"local\"\nengine = \"embedded\"\npath = \"{1}\"\n",
            server.uri(),
            dir.join("model.gguf").display()
        ),
    );
}

/// The chat request bodies the server received.
async fn received(server: &wiremock::MockServer) -> Vec<Vec<u8>> {
    let requests = server.received_requests().await.unwrap();
    requests
        .into_iter()
        .filter(|r| r.url.path().ends_with("/chat/completions"))
        .map(|r| r.body)
        .collect()
}

/// The body `extract` sent for the paragraph kept under `id` (its first line).
fn sent_for<'a>(sent: &'a [Vec<u8>], id: &str) -> &'a [u8] {
    let (_, text) = PARAGRAPHS.iter().find(|(i, _)| *i == id).unwrap();
    let text = serde_json::to_string(text).unwrap();
    let text = text.trim_matches('"');
    sent.iter()
        .find(|body| String::from_utf8_lossy(body).contains(text))
        .unwrap_or_else(|| panic!("extract sent nothing for {id}"))
}

/// `retort batch prepare` of `input` into `out` with `profile`, and `extra` options.
fn prepare(root: &Path, task: &str, profile: &str, input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    common::retort_in(root)
        .args(["batch", "prepare", "--task", task, "--model", profile, "--input"])
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_files_hold_what_extract_sends_split_at_the_limits() {
    let server = common::mock::answering("Ethanol").await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    profiles(&root, &server);
    common::import(&root, "compound", "chemsci2024/compound/train_10.csv");
    let input = corpus(&root);
    for (profile, task) in [("shots", "compound"), ("schema", "mof-synthesis")] {
        server.reset().await;
        common::mock::mount_models(&server).await;
        let reply = serde_json::json!({
            "choices": [{"message": {"content": "Ethanol"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 1}
        });
        wiremock::Mock::given(wiremock::matchers::path("/v1/chat/completions"))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(reply))
            .mount(&server)
            .await;
        let (root2, input2) = (root.clone(), input.clone());
        let args = [
            "extract",
            "--task",
            task,
            "--model",
            profile,
            "--output",
            "-",
            "--concurrency",
            "1",
        ];
        let online = tokio::task::spawn_blocking(move || {
            common::retort_in(&root2)
                .args(args)
                .arg("--input")
                .arg(&input2)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(online.status.success(), "{}", String::from_utf8_lossy(&online.stderr));
        let sent = received(&server).await;
        assert_eq!(sent.len(), PARAGRAPHS.len(), "extract sends one request per line");

        let out = root.join(format!("batch-{profile}"));
        let prepared = prepare(&root, task, profile, &input, &out, &["--max-requests", "2"]);
        let said = String::from_utf8_lossy(&prepared.stderr);
        assert!(prepared.status.success(), "{said}");
        assert!(said.contains("left out US2#1: the same id came before"), "{said}");
        assert!(said.contains("5 requests for m in 3 file(s)"), "{said}");
        let mut lines = Vec::new();
        for (part, count) in [(1, 2), (2, 2), (3, 1)] {
            let file = out.join(format!("requests-00{part}.jsonl"));
            let part_lines = common::read_jsonl(&file);
            assert_eq!(part_lines.len(), count, "{}", file.display());
            lines.extend(part_lines);
        }
        assert!(!out.join("requests-004.jsonl").exists());
        for line in &lines {
            let id = line["custom_id"].as_str().unwrap();
            assert_eq!(line["method"], "POST");
            assert_eq!(line["url"], "/v1/chat/completions");
            let batch_body = serde_json::to_vec(&line["body"]).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&batch_body),
                String::from_utf8_lossy(sent_for(&sent, id)),
                "{profile}: the body for {id}"
            );
        }
        let ids: Vec<&str> = lines.iter().map(|l| l["custom_id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            ["US1#1", "US1#2", "US2#1", "US2#2", "US3#1"],
            "ids kept whole, in order"
        );
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
        assert_eq!(manifest["requests"], 5);
        assert_eq!(manifest["parts"].as_array().unwrap().len(), 3);
        assert!(manifest["input_tokens"]["tokens"].as_u64().unwrap() > 5 * 5);
        assert_eq!(
            manifest["input_tokens"]["by"], "estimate",
            "no tokenizer of model m here"
        );
        let asked = common::read_jsonl(&out.join("paragraphs.jsonl"));
        assert_eq!(asked.len(), 5, "the paragraphs asked about, kept for grounding");
        assert_eq!(asked[4]["text"], PARAGRAPHS[5].1);
        // What each profile adds is there: worked examples, or the task's schema.
        let body = &lines[0]["body"];
        match profile {
            "shots" => assert!(body["messages"].as_array().unwrap().len() > 3, "{body}"),
            _ => assert_eq!(body["response_format"]["type"], "json_schema", "{body}"),
        }
    }
}

#[test]
fn profiles_a_batch_service_cannot_run_and_outputs_over_inputs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    common::write_models(
        &root,
        &format!(
            "[[model]]\nname = \"local\"\nengine = \"embedded\"\npath = \"{}\"\n\n\
             [[model]]\nname = \"unnamed\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n",
            root.join("model.gguf").display()
        ),
    );
    let input = corpus(&root);
    let out = root.join("out");
    for (profile, said) in [("local", "runs in process"), ("unnamed", "names no model")] {
        let prepared = prepare(&root, "compound", profile, &input, &out, &[]);
        let err = String::from_utf8_lossy(&prepared.stderr);
        assert_eq!(prepared.status.code(), Some(2), "{err}");
        assert!(err.contains(said), "{err}");
        assert!(!out.join("requests-001.jsonl").exists(), "nothing written");
    }
    // The input named as where the first request file goes.
    std::fs::create_dir_all(&out).unwrap();
    let inside = out.join("requests-001.jsonl");
    std::fs::copy(&input, &inside).unwrap();
    let prepared = prepare(&root, "compound", "unnamed", &inside, &out, &[]);
    assert_eq!(prepared.status.code(), Some(2));
    assert_eq!(
        std::fs::read(&inside).unwrap(),
        std::fs::read(&input).unwrap(),
        "the input is untouched"
    );
}
