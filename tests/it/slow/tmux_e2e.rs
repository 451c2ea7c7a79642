//! The real binary in a real terminal (tmux): open a paragraph, run it against a local llama.cpp
//! server, see the result, save, quit; then check the saved JSONL line and the draft.

use crate::common;

use common::tmux::Tmux;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn env_line(dir: &Path) -> String {
    common::tmux::env_line(dir)
}

#[test]
fn open_run_save_quit_in_tmux() {
    let server = common::LlamaServer::get(18392);
    let dir = tempfile::tempdir().unwrap();
    // The first profile is the one the workbench starts with: replace the default (embedded) one.
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"embedded\"\nengine = \"openai\"\nbase_url = \"{}\"\nmode = \"zero-shot\"\nmax_tokens = 40\n",
            server.url
        ),
    );
    let paragraph = "The residue was dissolved in ethanol (20 mL) and THF (5 mL) at 25 °C.";
    std::fs::write(dir.path().join("paragraph.txt"), paragraph).unwrap();
    let tmux = Tmux {
        socket: format!("retort-e2e-{}", std::process::id()),
    };
    let command = format!(
        "{} {} {}",
        env_line(dir.path()),
        env!("CARGO_BIN_EXE_retort"),
        dir.path().join("paragraph.txt").display()
    );
    tmux.start(120, 30, &command);
    tmux.wait_for("dissolved in ethanol", 20);
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("tok/s ·", 120);
    assert!(screen.contains("Result — embedded"), "{screen}");
    assert!(screen.contains("compound · embedded"), "{screen}");
    let styled = tmux.screen_with_styles();
    assert!(styled.contains("\x1b["), "the terminal receives colours");
    tmux.keys(&["s"]);
    tmux.wait_for("saved to", 20);
    // Copy with tmux's common setting: the plain OSC 52 makes a paste buffer.
    assert!(tmux.run(&["set", "-g", "set-clipboard", "on"]).status.success());
    tmux.keys(&["y"]);
    tmux.wait_for("sent the extraction as JSON", 20);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let buffer = String::from_utf8_lossy(&tmux.run(&["show-buffer"]).stdout).into_owned();
        if buffer.contains("\"records\"") {
            break;
        }
        assert!(Instant::now() < deadline, "no tmux buffer from the copy: {buffer:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux.keys(&["C-q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.run(&["has-session", "-t", "w"]).status.success() {
        assert!(Instant::now() < deadline, "the workbench did not quit");
        std::thread::sleep(Duration::from_millis(100));
    }

    let saved = std::fs::read_to_string(dir.path().join("data/examples/compound.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = saved.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["paragraph"], paragraph);
    assert_eq!(lines[0]["task"], "compound");
    assert_eq!(lines[0]["runs"][0]["profile"], "embedded");
    assert!(
        lines[0]["runs"][0]["prompt"]["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains(paragraph)
    );
    let draft: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("state/draft.json")).unwrap()).unwrap();
    assert_eq!(draft["paragraph"], paragraph);
    assert!(dir.path().join("state/retort.log").exists());
}

/// A server that accepts connections and never answers: a run against it stays in progress.
fn silent_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    url
}

#[test]
fn a_run_killed_mid_way_is_reported_on_the_next_start_and_the_draft_restored() {
    let dir = tempfile::tempdir().unwrap();
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"embedded\"\nengine = \"openai\"\nbase_url = \"{}\"\nmodel = \"m\"\nmode = \"zero-shot\"\ntimeout = 600\nretries = 0\n",
            silent_server()
        ),
    );
    let paragraph = "Triethylamine (2.0 mL) was added to the stirred solution in dichloromethane.";
    let file = dir.path().join("paragraph.txt");
    std::fs::write(&file, paragraph).unwrap();
    let tmux = Tmux {
        socket: format!("retort-e2e-kill-{}", std::process::id()),
    };
    let binary = env!("CARGO_BIN_EXE_retort");
    let first = format!("{} {binary} {}", env_line(dir.path()), file.display());
    tmux.start(120, 30, &first);
    tmux.wait_for("Triethylamine", 20);
    tmux.keys(&["r"]);
    let marker = dir.path().join("state/run-in-progress-0.json");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !marker.exists() {
        assert!(Instant::now() < deadline, "no run marker:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
    let killed = Command::new("pkill")
        .args(["-9", "-f", &file.display().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.run(&["has-session", "-t", "w"]).status.success() {
        assert!(Instant::now() < deadline, "the killed workbench's pane stayed");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(marker.exists(), "a killed process leaves its marker");

    // Started again without a file: the dead run is reported, the draft comes back.
    let second = format!("{} {binary}", env_line(dir.path()));
    tmux.start(200, 30, &second);
    let screen = tmux.wait_for("the last run died", 20);
    assert!(screen.contains("Triethylamine (2.0 mL)"), "{screen}");
    assert!(!marker.exists(), "the marker is read once");
    tmux.keys(&["C-q"]);
}
