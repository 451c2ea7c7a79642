//! Every command the README gives, run as written and in its order: the lines of its `sh`
//! blocks and the `./run.sh …` and `./test.sh …` it names in its text. `./run.sh ARGS` is the
//! built `retort` with ARGS (run.sh's own set-up and build are what
//! `scripts/rehearse-fresh-machine.sh` checks on a fresh machine), run in a scratch directory
//! laid out as the checkout beside `../shared`, with config, data and state of its own; the
//! workbench and the review queue open in tmux. `./test.sh` is what CI runs. A command added to
//! the README that this test does not know how to run fails it.

use crate::common;
use common::tmux::{Tmux, env_line};
use std::path::{Path, PathBuf};

/// How one README command is run here.
#[derive(Debug, PartialEq)]
enum How {
    /// `retort` with these arguments; it must succeed.
    Batch(Vec<String>),
    /// `retort` with these arguments in a terminal; the screen must come to show the text.
    Screen(Vec<String>, &'static str),
    /// Run by CI itself (`.ci/run`), not from inside the tests.
    Ci,
}

fn how(command: &str) -> How {
    let words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
    match words.first().map(String::as_str) {
        Some("./test.sh") => How::Ci,
        Some("./run.sh") => {
            let args = words[1..].to_vec();
            match args.first().map(String::as_str) {
                None => How::Screen(args, "Source"),
                Some("review") if !args.iter().any(|a| a == "--summary") => How::Screen(args, "runs.jsonl 1/"),
                _ => How::Batch(args),
            }
        }
        _ => panic!("the README's command {command:?} is not run by this test: teach `how` to run it"),
    }
}

/// The README's commands in order: `sh` block lines (continuations joined, comments cut) and the
/// `./run.sh …` / `./test.sh …` spans of its text.
fn readme_commands(readme: &str) -> Vec<String> {
    let span = regex::Regex::new(r"`(\./(?:run|test)\.sh[^`]*)`").unwrap();
    let (mut commands, mut fenced, mut pending) = (Vec::new(), None::<String>, String::new());
    for line in readme.lines() {
        if let Some(rest) = line.strip_prefix("```") {
            fenced = if fenced.is_some() { None } else { Some(rest.to_string()) };
            continue;
        }
        match fenced.as_deref() {
            Some("sh") => {
                let code = line.split(" #").next().unwrap_or("").trim_end();
                if let Some(head) = code.strip_suffix('\\') {
                    pending.push_str(head);
                    continue;
                }
                let whole = format!("{pending}{code}").trim().to_string();
                pending.clear();
                if !whole.is_empty() && !whole.starts_with('#') {
                    commands.push(whole);
                }
            }
            Some(_) => {}
            None => commands.extend(span.captures_iter(line).map(|c| c[1].trim().to_string())),
        }
    }
    commands
}

/// A scratch checkout: `main/` with the README's paths linked in, `shared/` beside it.
fn scratch(dir: &Path) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let main = dir.join("main");
    std::fs::create_dir_all(&main).unwrap();
    for name in ["tests", "sample_paragraphs"] {
        std::os::unix::fs::symlink(repo.join(name), main.join(name)).unwrap();
    }
    std::os::unix::fs::symlink(repo.join("../shared"), dir.join("shared")).unwrap();
    main
}

#[test]
fn the_readme_lists_its_commands_in_order() {
    let commands = readme_commands(
        "a `./run.sh x` b\n```sh\n./run.sh a \\\n    --b c   # why\n# only a comment\n```\n```text\n./run.sh no\n```\n",
    );
    assert_eq!(commands, ["./run.sh x", "./run.sh a     --b c"]);
    assert_eq!(
        how("./run.sh review runs.jsonl"),
        How::Screen(vec!["review".into(), "runs.jsonl".into()], "runs.jsonl 1/")
    );
    assert_eq!(how("./test.sh --fast"), How::Ci);
}

#[test]
fn every_command_in_the_readme_runs() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let commands = readme_commands(&readme);
    assert!(commands.len() >= 6, "{commands:?}");
    let dir = tempfile::tempdir().unwrap();
    let main = scratch(dir.path());
    let home = dir.path().join("home");
    let tmux = Tmux {
        socket: format!("retort-readme-{}", std::process::id()),
    };
    for command in &commands {
        match how(command) {
            How::Ci => eprintln!("{command}: run by CI (.ci/run)"),
            How::Batch(args) => {
                let out = common::retort_in(&home)
                    .current_dir(&main)
                    .args(&args)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "the README's `{command}` failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            How::Screen(args, shows) => {
                let line = format!(
                    "cd {} && exec env {} {} {}",
                    main.display(),
                    env_line(&home),
                    env!("CARGO_BIN_EXE_retort"),
                    args.join(" ")
                );
                tmux.start(120, 32, &line);
                tmux.wait_for(shows, 30);
                tmux.run(&["kill-session", "-t", "w"]);
            }
        }
    }
    // What the commands were for is there: the paragraphs, the model's lines.
    assert!(main.join("paragraphs.jsonl").exists());
    assert_eq!(common::read_jsonl(&main.join("runs.jsonl")).len(), 3);
}
