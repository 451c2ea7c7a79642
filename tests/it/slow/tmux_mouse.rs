//! The mouse in a real terminal (tmux): the workbench asks for mouse reports, and real SGR mouse
//! escape sequences typed into the pane — a press and a release on a word of the source with the
//! field editor open — choose that word; Enter makes it the value.

use crate::common;

use common::tmux::Tmux;

/// Where `word` is on the screen (0-based column and row), for an ASCII screen.
fn find(screen: &str, word: &str) -> (usize, usize) {
    screen
        .lines()
        .enumerate()
        .find_map(|(row, line)| line.find(word).map(|column| (column, row)))
        .unwrap_or_else(|| panic!("{word:?} is not on the screen:\n{screen}"))
}

#[test]
fn a_click_on_a_word_in_tmux_chooses_it_as_the_value() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::mock::answering("Water"));
    let dir = tempfile::tempdir().unwrap();
    // The first profile is the one the workbench starts with.
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"embedded\"\nengine = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"m\"\nmode = \"zero-shot\"\n",
            server.uri()
        ),
    );
    let paragraph = "Water was stirred with lithium hydroxide monohydrate in ethanol at 25 C.";
    std::fs::write(dir.path().join("paragraph.txt"), paragraph).unwrap();
    let tmux = Tmux {
        socket: format!("retort-mouse-{}", std::process::id()),
    };
    let command = format!(
        "{} {} {}",
        common::tmux::env_line(dir.path()),
        env!("CARGO_BIN_EXE_retort"),
        dir.path().join("paragraph.txt").display()
    );
    tmux.start(120, 30, &command);
    tmux.wait_for("lithium hydroxide", 20);
    tmux.keys(&["Escape"]);
    tmux.wait_for_without("Source", Some("editing — Esc to stop"), 10);
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("1. Water", 30);
    // A click on the result pane (column 100 is inside it) focuses it; `f` there opens the
    // field editor.
    let (_, result_row) = find(&screen, "1. Water");
    tmux.keys(&["-l", &format!("\x1b[<0;100;{}M", result_row + 1)]);
    tmux.keys(&["-l", &format!("\x1b[<0;100;{}m", result_row + 1)]);
    tmux.keys(&["f"]);
    let screen = tmux.wait_for("Fields", 10);
    let (column, row) = find(&screen, "monohydrate");
    // SGR mouse reports (1-based cells): left button pressed, then released.
    let (x, y) = (column + 3, row + 1);
    tmux.keys(&["-l", &format!("\x1b[<0;{x};{y}M")]);
    tmux.keys(&["-l", &format!("\x1b[<0;{x};{y}m")]);
    tmux.wait_for("taking «monohydrate» from the source", 10);
    tmux.wait_for("Enter takes “monohydrate” as the value of", 10);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("compound monohydrate ✓", 10);
    assert!(!screen.contains("compound Water"), "the value is replaced:\n{screen}");
    tmux.keys(&["C-q"]);
    tmux.wait_until_gone(10);
}
