//! Correcting chemistry in a real terminal (tmux, the real binary): two models' answers on a
//! list task compared value by value at 80×24 and 160×48 (sides named, long lists scrolled),
//! `]` starting the correction from either pane, values reordered in the field editor, an
//! answer with a value not in its paragraph asked about once, and the end of a review queue.

use crate::common;
use common::tmux::{Tmux, env_line};
use std::path::{Path, PathBuf};

const PARAGRAPHS: [(&str, &str); 2] = [
    ("p1", "Ethanol and THF were stirred with water, then toluene was added."),
    ("p2", "The residue was washed with hexane and acetone."),
];

/// An extract output of the compound task whose every answer is `answer`, made through a server
/// double speaking OpenAI's API.
async fn extract_output(root: &Path, name: &str, answer: &str) -> PathBuf {
    let server = common::mock::answering(answer).await;
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    common::mock::write_profile(&dir, &server, "");
    let input = root.join("corpus.jsonl");
    common::write_paragraphs(&input, &PARAGRAPHS);
    let output = root.join(format!("{name}.jsonl"));
    let (dir2, out2) = (dir.clone(), output.clone());
    let done = tokio::task::spawn_blocking(move || common::extract_in_order(&dir2, "compound", "smol", &input, &out2))
        .await
        .unwrap();
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    output
}

fn review(tmux: &Tmux, home: &Path, args: &str, size: (u16, u16)) {
    let line = format!(
        "exec env {} {} review {args}",
        env_line(home),
        env!("CARGO_BIN_EXE_retort")
    );
    tmux.start(size.0, size.1, &line);
}

/// Tab until the pane whose focused border starts with `title` has the keys.
fn focus(t: &Tmux, title: &str) {
    for _ in 0..6 {
        if t.screen().contains(title) {
            return;
        }
        t.keys(&["Tab"]);
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    t.wait_for(title, 5);
}

fn tmux(name: &str) -> Tmux {
    Tmux {
        socket: format!("retort-correcting-{name}-{}", std::process::id()),
    }
}

/// The value rows of the comparison on `screen` (the focused pane, drawn with `┃`).
fn rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|l| l.split('┃').nth(1))
        .map(|l| l.trim_end().to_string())
        .filter(|l| l.starts_with("= ") || l.starts_with("◀ ") || l.starts_with("▶ ") || l.starts_with("≠ "))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_comparison_reads_value_by_value_at_two_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let long: Vec<String> = (1..=50).map(|n| format!("compound {n}")).collect();
    let po = extract_output(dir.path(), "po", "Ethanol | water | THF").await;
    let ft = extract_output(
        dir.path(),
        "ft",
        &format!("Ethanol | THF | water | toluene | {}", long.join(" | ")),
    )
    .await;
    let home = dir.path().join("home");
    for (width, height) in [(80, 24), (160, 48)] {
        let t = tmux(&format!("compare-{width}"));
        review(
            &t,
            &home,
            &format!("{} --compare {}", po.display(), ft.display()),
            (width, height),
        );
        t.wait_for("▶ po.jsonl 1/2", 20);
        focus(&t, "┏ Compare");
        let screen = t.wait_for("value row(s)", 10);
        assert!(
            screen.contains("◀ smol (m), from po.jsonl"),
            "each side named by its file:\n{screen}"
        );
        assert!(screen.contains("from ft.jsonl"), "{screen}");
        assert!(screen.contains("F1 0.1"), "the measures, whole:\n{screen}");
        let shown = rows(&screen);
        assert!(shown[0].starts_with("= compound Ethanol"), "{shown:?}");
        assert!(
            shown.iter().any(|r| r.starts_with("▶ ") && r.ends_with("toluene")),
            "a value on the right only: {shown:?}"
        );
        assert!(
            shown.len() < 54,
            "a long list scrolls: {} rows shown at {width}×{height}",
            shown.len()
        );
        // Scrolled to its end, the last of 54 rows is there.
        for _ in 0..60 {
            t.keys(&["j"]);
        }
        let end = t.wait_for("compound 50", 10);
        assert!(end.contains("of 54"), "{end}");
        // `]` works from any pane: back on the source, it starts the correction from the right.
        focus(&t, "┏ Source");
        t.keys(&["]"]);
        let fields = t.wait_for("Fields — a accepts", 10);
        assert!(fields.contains("toluene"), "the right run's values: {fields}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_reordered_a_value_not_in_the_source_asked_once_and_the_queue_ends_said() {
    let dir = tempfile::tempdir().unwrap();
    let po = extract_output(dir.path(), "po", "Ethanol | water | THF").await;
    let home = dir.path().join("home");
    let t = tmux("editors");
    review(&t, &home, &po.display().to_string(), (120, 30));
    t.wait_for("▶ po.jsonl 1/2", 20);
    // The field editor: the first value moved after the next (order matters in a list).
    t.keys(&["e"]);
    t.wait_for("Fields — a accepts", 10);
    t.keys(&["J"]);
    let moved = t.wait_for("compound water ✓", 10);
    assert!(
        moved.find("water ✓").unwrap() < moved.find("Ethanol ✓").unwrap(),
        "{moved}"
    );
    // `+` with nothing to repeat says so.
    t.keys(&["+"]);
    t.wait_for("nothing to do for", 10);
    // The text editor shows the new order; Ctrl-L clears the whole answer.
    t.keys(&["E"]);
    t.wait_for("water | Ethanol | THF", 10);
    t.keys(&["C-l"]);
    t.wait_for("parses: 0 values", 10);
    // A value not in the paragraph: the first Ctrl-S asks, the second accepts as written.
    t.keys(&["-l", "benzene"]);
    t.wait_for("parses: 1 values, 1 not in source", 10);
    t.keys(&["C-s"]);
    let asked = t.wait_for("the same key again accepts as written", 10);
    assert!(asked.contains("not in the source: \"benzene\""), "{asked}");
    assert!(asked.contains("po.jsonl 1/2"), "not decided yet: {asked}");
    t.keys(&["C-s"]);
    t.wait_for("corrected p1", 10);
    // The last paragraph: accepted (asked once: its values are not in it), then the summary, and
    // `g` says every paragraph is decided.
    t.keys(&["a"]);
    t.wait_for("not in the source: \"Ethanol\"", 10);
    t.keys(&["a"]);
    t.wait_for("accepted 1 · corrected 1 · rejected 0 · skipped 0 · left 0", 10);
    t.keys(&["Escape"]);
    let end = t.wait_for_without("✎1", Some("Queue summary"), 10);
    assert!(
        !end.contains("Fields — a accepts") && !end.contains("Edit — Ctrl-S"),
        "no editor left open: {end}"
    );
    t.keys(&["g"]);
    t.wait_for("every paragraph is decided", 10);
}
