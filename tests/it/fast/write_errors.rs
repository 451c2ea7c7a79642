//! A write that fails names its file and what Retort was doing, and leaves no temporary file
//! behind: a directory that is a file, and a full disk (`/dev/full` fails every write with
//! ENOSPC).

use crate::common;

use std::path::Path;

/// Saves one example of `compound` by importing the shipped sample.
fn one_saved_example(dir: &Path) {
    let gold = dir.join("gold.jsonl");
    std::fs::write(
        &gold,
        "{\"id\":\"g1\",\"text\":\"Ethanol was added.\",\"answer\":\"Ethanol\"}\n",
    )
    .unwrap();
    let out = common::retort_in(dir)
        .args(["import", "--task", "compound"])
        .arg(&gold)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn export(dir: &Path, to: &Path) -> std::process::Output {
    common::retort_in(dir)
        .args(["export", "--task", "compound", "--style", "chat", "--to"])
        .arg(to)
        .output()
        .unwrap()
}

#[test]
fn an_export_into_a_file_that_is_no_directory_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    one_saved_example(dir.path());
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let out = export(dir.path(), &blocker.join("train.jsonl"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(&blocker.display().to_string()), "{err}");
    assert!(
        !err.contains("error: Not a directory (os error 20)\n"),
        "a bare OS error: {err}"
    );
}

#[test]
fn an_export_on_a_full_disk_names_the_file_and_removes_its_temporary_file() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    one_saved_example(dir.path());
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let to = out_dir.join("train.jsonl");
    // No file of the process may grow past 16 bytes: the export's write fails as on a full disk.
    let mut command = common::retort_in(dir.path());
    command
        .args(["export", "--task", "compound", "--style", "chat", "--to"])
        .arg(&to);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 16,
                rlim_max: 16,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let out = command.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("writing") && err.contains("train.jsonl") && err.contains("File too large"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "no temporary file and nothing half-written: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_output_errors_name_the_file() {
    let server = common::mock::answering("Ethanol").await;
    let dir = tempfile::tempdir().unwrap();
    common::mock::write_profile(dir.path(), &server, "");
    let corpus = dir.path().join("corpus.jsonl");
    std::fs::write(&corpus, "{\"id\":\"p1\",\"text\":\"Ethanol was added.\"}\n").unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let full = dir.path().join("full.jsonl");
    std::os::unix::fs::symlink("/dev/full", &full).unwrap();
    let root = dir.path().to_path_buf();
    let (under_file, on_full) = tokio::task::spawn_blocking(move || {
        let run = |output: &Path| {
            common::retort_in(&root)
                .args(["extract", "--task", "compound", "--model", "smol", "--input"])
                .arg(&corpus)
                .arg("--output")
                .arg(output)
                .output()
                .unwrap()
        };
        (run(&blocker.join("out.jsonl")), run(&full))
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&under_file.stderr);
    assert!(!under_file.status.success());
    assert!(err.contains("not-a-dir/out.jsonl"), "{err}");
    let err = String::from_utf8_lossy(&on_full.stderr);
    assert!(!on_full.status.success());
    assert!(
        err.contains("writing") && err.contains("full.jsonl") && err.contains("No space left"),
        "{err}"
    );
}
