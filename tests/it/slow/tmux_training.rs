//! Training runs in a real terminal (tmux): a command run started on the fake trainer before the
//! workbench opens is listed by `T` with its progress as the workbench's driver reads it from
//! disk; once `retort train watch --register` (another process) ends it, `T` shows its profile,
//! Enter makes it the model to compare with, and `R` runs prompt-only against fine-tuned (the
//! first profile, `embedded`, stands in for the default one).

use crate::common;

use common::tmux::Tmux;
use std::path::Path;

#[test]
fn a_training_run_is_followed_and_compared_from_the_workbench() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::mock::answering("Water"));
    let dir = tempfile::tempdir().unwrap();
    common::import(dir.path(), "compound", "chemsci2024/compound/train_10.csv");
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"embedded\"\nengine = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"m\"\nmode = \"zero-shot\"\n",
            server.uri()
        ),
    );
    let trainer = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/train/fake-trainer");
    let out = common::retort_in(dir.path())
        .args([
            "train",
            "start",
            "--backend",
            "command",
            "--task",
            "compound",
            "--base",
            "HuggingFaceTB/SmolLM2-135M-Instruct",
        ])
        .args([
            "--trainer-program",
            trainer.to_str().unwrap(),
            "--base-profile",
            "embedded",
        ])
        .env("FAKE_TRAINER_STEPS", "200")
        .env("FAKE_TRAINER_STEP_SECONDS", "0.05")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = String::from_utf8_lossy(&out.stdout).lines().last().unwrap().to_string();

    std::fs::write(
        dir.path().join("paragraph.txt"),
        "Water was stirred with lithium hydroxide.",
    )
    .unwrap();
    let tmux = Tmux {
        socket: format!("retort-training-{}", std::process::id()),
    };
    let command = format!(
        "{} {} {}",
        common::tmux::env_line(dir.path()),
        env!("CARGO_BIN_EXE_retort"),
        dir.path().join("paragraph.txt").display()
    );
    tmux.start(150, 30, &command);
    tmux.wait_for("lithium hydroxide", 20);
    tmux.keys(&["Escape"]);
    tmux.wait_for_without("Source", Some("editing — Esc to stop"), 10);
    tmux.keys(&["T"]);
    let screen = tmux.wait_for("running · compound · step", 20);
    assert!(screen.contains("Training runs"), "{screen}");
    assert!(screen.contains("/200"), "its progress: {screen}");
    tmux.keys(&["Escape"]);

    let out = common::retort_in(dir.path())
        .args(["train", "watch", &id, "--interval", "0.1", "--register"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    tmux.keys(&["T"]);
    let screen = tmux.wait_for("succeeded · → compound-", 20);
    let name = screen
        .lines()
        .find_map(|l| l.split("→ ").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap().to_string())
        .unwrap_or_else(|| panic!("the registered profile:\n{screen}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for(&format!("compare with {name}: R runs both models"), 10);
    tmux.keys(&["R"]);
    // Both ran: the comparison counts its rows and names each side in its column's head.
    let screen = tmux.wait_for("value row(s)", 20);
    assert!(screen.contains("◀ embedded"), "{screen}");
    let start: String = name.chars().take(10).collect();
    assert!(screen.contains(&format!("▶ {start}")), "{screen}");
    tmux.keys(&["C-q"]);
    tmux.wait_until_gone(10);
}
