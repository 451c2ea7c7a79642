//! The terminal is the user's again on every way out, and a review queue has one reviewer: the
//! real binary under an interactive bash (job control) in tmux.

use crate::common;

use common::tmux::{Tmux, env_line};
use std::time::{Duration, Instant};

fn shell(name: &str) -> Tmux {
    let tmux = Tmux {
        socket: format!("retort-{name}-{}", std::process::id()),
    };
    tmux.start(
        120,
        30,
        "env -i HOME=/tmp TERM=xterm-256color PATH=/usr/bin:/bin bash --norc --noprofile -i",
    );
    tmux.keys(&["PS1='$ '", "Enter"]);
    tmux
}

fn alternate_screen(tmux: &Tmux) -> bool {
    String::from_utf8_lossy(&tmux.run(&["display", "-p", "-t", "w", "#{alternate_on}"]).stdout).trim() == "1"
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool, tmux: &Tmux) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; the screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Asks the shell for its terminal's echo and canonical modes and checks both are on, as a
/// cooked terminal has them (raw mode left behind shows `-icanon -echo`). The answer's line is
/// told from the typed command by a marker the command does not contain as typed.
fn assert_cooked(tmux: &Tmux) {
    tmux.keys(&[
        "clear; echo \"MO\"\"DES: $(stty -a | tr ' ' '\\n' | grep -E '^-?(echo|icanon)$' | tr '\\n' ' ')\"",
        "Enter",
    ]);
    let screen = tmux.wait_for("MODES: ", 10);
    let line = screen.lines().find(|l| l.starts_with("MODES: ")).unwrap_or_default();
    assert_eq!(line.trim_end(), "MODES: icanon echo", "{screen}");
}

fn start_workbench(tmux: &Tmux, dir: &std::path::Path) {
    let command = format!("env {} {}", env_line(dir), env!("CARGO_BIN_EXE_retort"));
    tmux.keys(&[&command, "Enter"]);
    tmux.wait_for("Source", 20);
}

#[test]
fn suspend_by_key_or_signal_and_fg_give_a_working_workbench_and_every_exit_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = shell("suspend");
    start_workbench(&tmux, dir.path());
    assert!(alternate_screen(&tmux));

    // Ctrl-Z: the shell gets its screen and cooked terminal back; fg redraws a working workbench.
    tmux.keys(&["C-z"]);
    tmux.wait_for("Stopped", 10);
    assert!(!alternate_screen(&tmux));
    assert_cooked(&tmux);
    tmux.keys(&["fg", "Enter"]);
    tmux.wait_for("Source", 10);
    tmux.keys(&["?"]);
    tmux.wait_for("suspend to the shell", 10);
    tmux.keys(&["Escape"]);

    // A SIGTSTP from outside (a shell's suspend of a job in the background) does the same.
    let shell_pid = String::from_utf8_lossy(&tmux.run(&["display", "-p", "-t", "w", "#{pane_pid}"]).stdout)
        .trim()
        .to_string();
    let children = std::process::Command::new("pgrep")
        .args(["-P", &shell_pid])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&children.stdout)
        .lines()
        .next()
        .expect("the workbench, the shell's child")
        .to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TSTP", &pid])
            .status()
            .unwrap()
            .success()
    );
    tmux.wait_for("Stopped", 10);
    assert!(!alternate_screen(&tmux));
    tmux.keys(&["fg", "Enter"]);
    tmux.wait_for("Source", 10);

    // SIGTERM quits with the terminal restored.
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    wait_until("the main screen", || !alternate_screen(&tmux), &tmux);
    assert_cooked(&tmux);

    // And Ctrl-Q, the ordinary way out.
    start_workbench(&tmux, dir.path());
    tmux.keys(&["C-q"]);
    wait_until("the main screen", || !alternate_screen(&tmux), &tmux);
    assert_cooked(&tmux);
}

#[test]
fn a_second_review_of_a_queue_is_refused_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    std::fs::write(
        &corpus,
        "{\"id\":\"p1\",\"text\":\"Ethanol was added.\"}\n{\"id\":\"p2\",\"text\":\"THF was removed.\"}\n",
    )
    .unwrap();
    let tmux = shell("review-lock");
    let command = format!(
        "env {} {} review --task compound {}",
        env_line(dir.path()),
        env!("CARGO_BIN_EXE_retort"),
        corpus.display()
    );
    tmux.keys(&[&command, "Enter"]);
    tmux.wait_for("corpus.jsonl 1/2", 20);
    let second = common::retort_in(dir.path())
        .args(["review", "--task", "compound"])
        .arg(&corpus)
        .output()
        .unwrap();
    let refusal = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(6), "{refusal}");
    assert!(
        refusal.contains("is in use by a review of") && refusal.contains("(process "),
        "{refusal}"
    );
    // The summary only reads: it works while the first review decides.
    let summary = common::retort_in(dir.path())
        .args(["review", "--task", "compound", "--summary"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(summary.status.success(), "{}", String::from_utf8_lossy(&summary.stderr));
    // Once the first one quits, the queue opens again.
    tmux.keys(&["C-q"]);
    wait_until("the main screen", || !alternate_screen(&tmux), &tmux);
    let third = common::retort_in(dir.path())
        .args(["review", "--task", "compound"])
        .arg(&corpus)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&third.stderr);
    assert!(text.contains("needs a terminal"), "the lock was let go: {text}");
}
