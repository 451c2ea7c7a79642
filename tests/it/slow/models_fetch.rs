//! `retort models fetch URL` against a real HTTP server on loopback serving the test GGUF: a
//! download cut mid-way and resumed with a Range request, a wrong digest, a file that is not GGUF.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A small HTTP/1.1 file server: `/model.gguf` (the test GGUF), `/page.gguf` (an HTML page);
/// honours `Range: bytes=N-`; the first `cut_first` response stops after that many bytes.
struct FileServer {
    url: String,
    ranges: Arc<Mutex<Vec<Option<String>>>>,
}

impl FileServer {
    fn start(model: Vec<u8>, cut_first: Option<usize>) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let seen = ranges.clone();
        let model = Arc::new(model);
        std::thread::spawn(move || {
            let mut cut = cut_first;
            for stream in listener.incoming().flatten() {
                let range = serve(stream, &model, cut.take());
                seen.lock().unwrap().push(range);
            }
        });
        FileServer { url, ranges }
    }
}

/// Answers one request; returns its Range header.
fn serve(mut stream: TcpStream, model: &[u8], cut: Option<usize>) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("range:") {
            range = Some(value.trim().to_string());
        }
    }
    let body: &[u8] = if request_line.contains("/page.gguf") {
        b"<!doctype html><html><body>Sign in to download</body></html>"
    } else {
        model
    };
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
        .unwrap_or(0);
    let head = if start > 0 {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{}/{}\r\nConnection: close\r\n\r\n",
            body.len() - start,
            body.len() - 1,
            body.len()
        )
    } else {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
    };
    let _ = stream.write_all(head.as_bytes());
    let end = cut.map_or(body.len(), |n| (start + n).min(body.len()));
    let _ = stream.write_all(&body[start..end]);
    let _ = stream.flush();
    range
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_cut_download_resumes_and_registers_a_profile() {
    let model = std::fs::read(common::test_gguf()).unwrap();
    let digest = sha256_hex(&model);
    let server = FileServer::start(model.clone(), Some(10 << 20));
    let root = tempfile::tempdir().unwrap();
    let url = format!("{}/model.gguf", server.url);
    let fetch = |extra: &[&str]| {
        let mut command = common::retort_in(root.path());
        command.args(["models", "fetch", &url, "--name", "smol"]).args(extra);
        command.output().unwrap()
    };

    let cut = fetch(&[]);
    let stderr = String::from_utf8_lossy(&cut.stderr);
    assert!(!cut.status.success(), "{stderr}");
    assert!(stderr.contains("run the same command again to resume"), "{stderr}");
    let part = root.path().join("data/models/model.gguf.part");
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 10 << 20);
    assert!(
        !root.path().join("config/models.toml").exists(),
        "no profile for a partial file"
    );

    let resumed = fetch(&["--sha256", &digest]);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{stderr}");
    let ranges = server.ranges.lock().unwrap().clone();
    assert_eq!(ranges, vec![None, Some(format!("bytes={}-", 10 << 20))]);
    let target = root.path().join("data/models/model.gguf");
    assert_eq!(std::fs::read(&target).unwrap(), model);
    assert!(!part.exists());
    let profiles = retort::llm::Profiles::load(&root.path().join("config"));
    let smol = profiles.get("smol").expect("the profile was added");
    assert_eq!(smol.gguf(), Some(target.as_path()));
}

#[test]
fn a_wrong_digest_or_a_page_that_is_not_gguf_is_refused() {
    let model = std::fs::read(common::test_gguf()).unwrap();
    let server = FileServer::start(model, None);
    let root = tempfile::tempdir().unwrap();
    let models = root.path().join("data/models");

    let wrong = common::retort_in(root.path())
        .args(["models", "fetch", &format!("{}/model.gguf", server.url)])
        .args(["--sha256", &"0".repeat(64)])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(!wrong.status.success());
    assert!(
        stderr.contains("SHA-256") && stderr.contains(&"0".repeat(64)),
        "{stderr}"
    );
    assert!(!models.join("model.gguf").exists() && !models.join("model.gguf.part").exists());

    let page = common::retort_in(root.path())
        .args(["models", "fetch", &format!("{}/page.gguf", server.url)])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&page.stderr);
    assert!(!page.status.success());
    assert!(
        stderr.contains("does not serve a GGUF model") && stderr.contains("<!doctype"),
        "{stderr}"
    );
    assert!(!models.join("page.gguf").exists() && !models.join("page.gguf.part").exists());
    assert!(!root.path().join("config/models.toml").exists());
}
