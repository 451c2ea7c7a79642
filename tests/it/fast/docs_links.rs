//! The documentation holds together: the README fits on one screen and starts with the quick
//! start, every file under docs/ is in its table, and every relative link in the README,
//! ARCHITECTURE.md and docs/ names a file that is there.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn docs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
}

/// The targets of `[text](target)` links, anchors cut off, outside code.
fn links(text: &str) -> Vec<String> {
    let link = regex::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let mut fenced = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        for captures in link.captures_iter(line) {
            let target = captures[1].split('#').next().unwrap_or("").to_string();
            if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
                found.push(target);
            }
        }
    }
    found
}

#[test]
fn the_readme_is_one_screen_that_starts_with_the_quick_start() {
    let readme = read(&root().join("README.md"));
    let lines: Vec<&str> = readme.lines().collect();
    assert!(
        lines.len() <= 80,
        "the README is {} lines: keep the reference in docs/",
        lines.len()
    );
    let quick = lines
        .iter()
        .position(|l| *l == "## Quick start")
        .expect("a quick start");
    assert!(quick < 12, "the quick start begins on line {}", quick + 1);
    for doc in docs() {
        let name = format!("docs/{}", doc.file_name().unwrap().to_string_lossy());
        assert!(
            readme.contains(&format!("]({name})")),
            "{name} is not in the README's table"
        );
    }
}

#[test]
fn every_relative_link_names_a_file_that_is_there() {
    let mut files = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    files.extend(docs());
    let mut checked = 0;
    for file in files {
        for target in links(&read(&file)) {
            let at = file.parent().unwrap().join(&target);
            assert!(at.exists(), "{} links to {target}, which is not there", file.display());
            checked += 1;
        }
    }
    assert!(checked > 15, "only {checked} links found: the link pattern broke");
}

#[test]
fn a_broken_link_is_found() {
    assert_eq!(links("see [a](docs/a.md#x) and `[b](c.md)`"), ["docs/a.md", "c.md"]);
    assert!(links("```\n[a](b.md)\n```\n").is_empty(), "code is not a link");
    assert!(links("[web](https://example.org/x)").is_empty());
}
