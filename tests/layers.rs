//! The import graph of `src/` points one way (ARCHITECTURE.md, "Layers"): a module may use
//! modules of lower layers and its own, never a higher layer or another module of its layer.
//! This test reads every source file and fails on the first arrow that points back up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Top-level modules of `src/` by layer, lowest first. Keep in step with ARCHITECTURE.md.
const LAYERS: &[&[&str]] = &[
    &["extraction", "clock", "config", "side"],
    &["format", "ground", "lock"],
    &["task"],
    &["metrics"],
    &["dataset"],
    &["llm"],
    &["eval", "batch", "setup", "authoring"],
    &["review", "curve"],
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
