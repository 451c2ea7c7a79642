//! The import graph of `src/` points one way (ARCHITECTURE.md, "Layers"): a module may use
//! modules of lower layers and its own, never a higher layer or another module of its layer.
//! This test reads every source file and fails on the first arrow that points back up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Top-level modules of `src/` by layer, lowest first. Keep in step with ARCHITECTURE.md.
const LAYERS: &[&[&str]] = &[
    &["extraction", "clock", "config", "side", "place", "foreign", "host"],
    &["format", "ground", "lock", "atomic", "net", "stdout"],
    &["task", "service"],
    &["metrics"],
    &["dataset"],
    &["llm"],
    &["input"],
    &["eval", "batch", "setup", "authoring"],
    &["review", "curve", "train"],
    &["cli"],
    &["commands", "tui"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/llm/run.rs` → `llm`, `src/batch.rs` → `batch`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Every `crate::NAME` a file mentions, with its line number.
fn crate_references(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((number + 1, name));
            }
        }
    }
    found
}

#[test]
fn imports_point_down_the_layers() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    let mut seen_modules = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            problems.push(format!("{}: module {module} has no layer in LAYERS", file.display()));
            continue;
        };
        seen_modules.insert(module.clone(), own);
        let text = std::fs::read_to_string(file).unwrap();
        for (line, used) in crate_references(&text) {
            if used == module {
                continue;
            }
            match layer_of(&used) {
                Some(layer) if layer < own => {}
                Some(layer) => problems.push(format!(
                    "{}:{line}: {module} (layer {own}) uses {used} (layer {layer})",
                    file.display()
                )),
                None => problems.push(format!("{}:{line}: unknown module {used}", file.display())),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "arrows pointing up or sideways:\n{}",
        problems.join("\n")
    );
    assert!(seen_modules.len() >= 12, "the scan found the modules: {seen_modules:?}");
}

#[test]
fn the_scan_sees_references() {
    let refs = crate_references("use crate::llm::Run; // crate::tui\nlet x = crate::dataset::store::now();");
    assert_eq!(refs, vec![(1, "llm".to_string()), (2, "dataset".to_string())]);
}

/// Modules inside `src/tui/` by layer, lowest first: data, then state and actions, then the
/// pure handlers (each may use those listed before it), then the views and the driver. Keep in
/// step with ARCHITECTURE.md ("Inside the workbench").
const TUI_LAYERS: &[&[&str]] = &[
    &[
        "theme",
        "run_marker",
        "clipboard",
        "terminal",
        "command",
        "wrap",
        "names",
    ],
    &["keymap"],
    &["fields"],
    &["phase"],
    &["review_state"],
    &["state"],
    &["result_layout"],
    &["screen"],
    &["action"],
    &["picker"],
    &["repeats"],
    &["form"],
    &["select"],
    &["find"],
    &["mouse"],
    &["correction"],
    &["runs"],
    &["training"],
    &["navigate"],
    &["review"],
    &["outline"],
    &["update"],
    &["hints"],
    &["view"],
    &["draft", "queue_io", "training_io"],
    &["app"],
];

fn tui_layer_of(module: &str) -> Option<usize> {
    TUI_LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The names a line reaches through `prefix` (`prefix::a`, or each item of `prefix::{a, b::c}`).
fn names_after(code: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        // `super::super::x` seen from `super::` is not `super::super`.
        let before = &rest[..at];
        rest = &rest[at + prefix.len()..];
        if before.ends_with("::") {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let inside = group.split('}').next().unwrap_or("");
            let mut depth = 0;
            let mut start = true;
            for part in inside.split_inclusive(['{', '}', ',']) {
                if start && depth == 0 {
                    names.push(ident(part.trim_start()));
                }
                depth += part.matches('{').count();
                depth -= part.matches('}').count().min(depth);
                start = part.ends_with(',');
            }
        } else {
            names.push(ident(rest));
        }
    }
    names.into_iter().filter(|n| !n.is_empty() && n != "super").collect()
}

/// The modules of `src/tui/` a file uses, with line numbers. In `src/tui/view/*.rs` (but not
/// its `mod.rs`) `super::` is the view itself and the workbench is `super::super::`.
fn tui_references(text: &str, inside_view: bool) -> Vec<(usize, String)> {
    let prefixes: &[&str] = if inside_view {
        &["super::super::", "crate::tui::"]
    } else {
        &["super::", "crate::tui::"]
    };
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for prefix in prefixes {
            found.extend(names_after(code, prefix).into_iter().map(|n| (number + 1, n)));
        }
    }
    found
}

#[test]
fn inside_the_workbench_imports_point_down_too() {
    let tui = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    let mut files = Vec::new();
    rust_files(&tui, &mut files);
    let mut problems = Vec::new();
    for file in &files {
        let module = module_of(&tui, file);
        if module == "mod" {
            continue; // the root declares every module
        }
        let Some(own) = tui_layer_of(&module) else {
            problems.push(format!("{}: {module} has no layer in TUI_LAYERS", file.display()));
            continue;
        };
        let inside_view = module == "view" && !file.ends_with("view/mod.rs");
        let text = std::fs::read_to_string(file).unwrap();
        for (line, used) in tui_references(&text, inside_view) {
            if used == module {
                continue;
            }
            match tui_layer_of(&used) {
                Some(layer) if layer < own => {}
                Some(layer) => problems.push(format!(
                    "{}:{line}: {module} (layer {own}) uses {used} (layer {layer})",
                    file.display()
                )),
                // Items of the workbench's root (`super::Opening`) or of the view.
                None if used.chars().next().is_some_and(|c| c.is_uppercase()) => {}
                None => problems.push(format!("{}:{line}: unknown module {used}", file.display())),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "arrows pointing up or sideways:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_workbench_scan_sees_grouped_and_nested_paths() {
    let refs = tui_references(
        "use super::{clipboard, update::update, view};\nuse super::state::State;",
        false,
    );
    let names: Vec<&str> = refs.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["clipboard", "update", "view", "state"]);
    let in_view = tui_references("use super::{pane_block, wrap};\nuse super::super::theme::Theme;", true);
    assert_eq!(in_view, vec![(2, "theme".to_string())]);
}
