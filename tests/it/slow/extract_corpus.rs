//! `retort extract` at corpus scale against real llama.cpp servers on loopback (started by this
//! test on ports of its own) and wiremock for failures a real server will not produce on demand:
//! a dead endpoint that comes up, some paragraphs failing, a replica killed mid-run, pipes.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

/// A llama.cpp server this test starts on `port` and stops when dropped.
struct OwnServer {
    port: u16,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/scripts/llama-server.sh")
}

impl OwnServer {
    fn start(port: u16) -> OwnServer {
        // Cargo puts target/*/deps on LD_LIBRARY_PATH for tests, and Retort's own llama.cpp
        // libraries are there: the server must load its own.
        let status = Command::new(script())
            .args(["start", &port.to_string()])
            .env_remove("LD_LIBRARY_PATH")
            .status()
            .unwrap();
        assert!(status.success(), "llama-server.sh start {port}");
        OwnServer { port }
    }

    fn stop(&self) {
        let _ = Command::new(script()).args(["stop", &self.port.to_string()]).status();
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn corpus(dir: &Path, n: usize) -> PathBuf {
    let lines: Vec<String> = (0..n)
        .map(|i| {
            serde_json::json!({"id": format!("p{i}"), "text": format!("Ethanol ({i} mL) was added to THF.")})
                .to_string()
        })
        .collect();
    let path = dir.join("corpus.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn extract(dir: &Path, args: &[&str]) -> Command {
    let mut command = common::retort_in(dir);
    command
        .args(["extract", "--task", "compound", "--model", "smol"])
        .args(args);
    command
}

fn summary(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn a_dead_endpoint_stops_at_once_and_resume_completes_when_the_server_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\nmode = \"zero-shot\"\nmax_tokens = 12\n"
        ),
    );
    let input = corpus(dir.path(), 5);
    let output = dir.path().join("out.jsonl");
    let started = Instant::now();
    let dead = extract(
        dir.path(),
        &["--input", input.to_str().unwrap(), "--output", output.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(dead.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&dead.stderr).contains(&format!("127.0.0.1:{port}")));
    assert!(!output.exists(), "nothing written");

    let _server = OwnServer::start(port);
    let done = extract(
        dir.path(),
        &[
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
            "--resume",
            "--summary",
            "json",
        ],
    )
    .output()
    .unwrap();
    common::assert_extracted(&done);
    let summary = summary(&done);
    assert_eq!(summary["written"], 5);
    assert_eq!(summary["failed"], 0);
    let lines = common::read_jsonl(&output);
    assert_eq!(lines.len(), 5);
    assert!(lines.iter().all(|l| l["error"].is_null()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn some_paragraphs_failing_give_their_status_counts_and_errors() {
    let server = common::mock::answering("Ethanol | THF").await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("(3 mL)"))
        .respond_with(ResponseTemplate::new(500).set_body_string("out of memory"))
        .with_priority(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    common::mock::write_profile(dir.path(), &server, "retries = 1\n");
    let input = corpus(dir.path(), 6);
    let output = dir.path().join("out.jsonl");
    let root = dir.path().to_path_buf();
    let run = tokio::task::spawn_blocking(move || {
        extract(
            &root,
            &[
                "--input",
                input.to_str().unwrap(),
                "--output",
                output.to_str().unwrap(),
                "--summary",
                "json",
            ],
        )
        .output()
        .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(run.status.code(), Some(3), "{}", String::from_utf8_lossy(&run.stderr));
    let summary = summary(&run);
    assert_eq!(
        (
            summary["read"].as_u64(),
            summary["written"].as_u64(),
            summary["failed"].as_u64()
        ),
        (Some(6), Some(6), Some(1))
    );
    let errors = summary["errors"].as_object().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (error, count) = errors.iter().next().unwrap();
    assert!(error.contains("500") && error.contains(&server.uri()), "{error}");
    assert_eq!(count, 1);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("1 × server error 500"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_stream_from_standard_input_to_standard_output() {
    let server = common::mock::answering("Ethanol").await;
    let dir = tempfile::tempdir().unwrap();
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"m\"\n",
            server.uri()
        ),
    );
    let input = std::fs::read(corpus(dir.path(), 25)).unwrap();
    let root = dir.path().to_path_buf();
    let run = tokio::task::spawn_blocking(move || {
        let mut child = extract(&root, &["--input", "-", "--output", "-", "--summary", "json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&input).unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    common::assert_extracted(&run);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 25);
    assert!(lines.iter().all(|l| l["answer"] == "Ethanol"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("\"written\": 25"),
        "the JSON summary goes to stderr: {stderr}"
    );
    // Resuming needs a file.
    let refused = extract(dir.path(), &["--input", "-", "--output", "-", "--resume"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn a_replica_killed_mid_run_costs_no_paragraph() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (free_port(), free_port());
    let first = OwnServer::start(a);
    let second = OwnServer::start(b);
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_urls = [\"http://127.0.0.1:{a}/v1\", \"http://127.0.0.1:{b}/v1\"]\nmode = \"zero-shot\"\nmax_tokens = 16\nretries = 1\n"
        ),
    );
    let input = corpus(dir.path(), 40);
    let output = dir.path().join("out.jsonl");
    let child = extract(
        dir.path(),
        &[
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
            "--concurrency",
            "2",
            "--summary",
            "json",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Once a few lines are written, the second replica dies.
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::fs::read_to_string(&output).map_or(0, |t| t.lines().count()) < 6 {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(100));
    }
    second.stop();
    let run = child.wait_with_output().unwrap();
    common::assert_extracted(&run);
    let lines = common::read_jsonl(&output);
    assert_eq!(lines.len(), 40, "every paragraph written");
    assert!(lines.iter().all(|l| l["error"].is_null()), "none failed");
    let summary = summary(&run);
    let replicas = summary["replicas"].as_array().unwrap();
    assert_eq!(replicas.len(), 2);
    assert!(replicas[1]["taken_out"].as_u64().unwrap() >= 1, "{replicas:?}");
    assert!(
        replicas[0]["served"].as_u64().unwrap() > replicas[1]["served"].as_u64().unwrap(),
        "{replicas:?}"
    );
    assert_eq!(
        replicas.iter().map(|r| r["served"].as_u64().unwrap()).sum::<u64>(),
        40,
        "{replicas:?}"
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{b}/v1: served")), "{stderr}");
    drop(first);
}

/// Two extracts on one output: the second is refused with the first named (a `--resume` that
/// compacted the file under the first would drop the first one's lines), and nothing of the
/// first is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_of_an_output_is_refused_with_the_holder_named() {
    let server = wiremock::MockServer::start().await;
    common::mock::mount_models(&server).await;
    // Slow replies keep the first writer at work while the second one starts.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(
                    serde_json::json!({"choices": [{"message": {"content": "Ethanol"}, "finish_reason": "stop"}]}),
                )
                .set_delay(Duration::from_millis(700)),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    common::mock::write_profile(dir.path(), &server, "");
    let input = corpus(dir.path(), 4);
    let output = dir.path().join("out.jsonl");
    let root = dir.path().to_path_buf();
    let args = |resume: bool| {
        let mut args = vec![
            "--concurrency",
            "1",
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ];
        if resume {
            args.push("--resume");
        }
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let (first_args, second_args) = (args(false), args(true));
    let lock = retort::lock::lock_path(&output);
    let (first, second, after, pid) = tokio::task::spawn_blocking(move || {
        fn as_strs(a: &[String]) -> Vec<&str> {
            a.iter().map(String::as_str).collect()
        }
        let first = extract(&root, &as_strs(&first_args))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = first.id().to_string();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::fs::read_to_string(&lock).unwrap_or_default().is_empty() {
            assert!(Instant::now() < deadline, "the first extract never took its output");
            std::thread::sleep(Duration::from_millis(20));
        }
        let second = extract(&root, &as_strs(&second_args)).output().unwrap();
        let first = first.wait_with_output().unwrap();
        let after = extract(&root, &as_strs(&second_args)).output().unwrap();
        (first, second, after, pid)
    })
    .await
    .unwrap();
    let refusal = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(6), "{refusal}");
    assert!(
        refusal.contains("out.jsonl is in use by retort extract (process ")
            && refusal.contains(&format!("(process {pid} on ")),
        "{refusal}"
    );
    common::assert_extracted(&first);
    common::assert_extracted(&after);
    let ids: Vec<String> = common::read_jsonl(&output)
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        ["p0", "p1", "p2", "p3"],
        "every line of the first writer kept, once"
    );
}
