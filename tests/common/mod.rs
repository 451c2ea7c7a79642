#![allow(dead_code)]
use std::path::PathBuf;

/// `../shared/data` beside the project (read-only).
pub fn shared_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data")
}

pub fn data(relative: &str) -> PathBuf {
    shared_data().join(relative)
}

/// Runs `retort eval` in-process on paths (already resolved) and returns the first report.
pub fn eval_report(task: &str, gold: Option<PathBuf>, predictions: Vec<PathBuf>) -> retort::eval::Report {
    let registry = retort::task::Registry::builtin();
    let request = retort::eval::EvalRequest {
        task: registry.get(task).expect("built-in task"),
        gold: gold.as_deref(),
        predictions: &predictions,
        strict: true,
    };
    retort::eval::evaluate(&request).expect("evaluation").remove(0)
}

/// Asserts the figure at table / row / column is within `tolerance` of `expected`.
pub fn assert_figure(report: &retort::eval::Report, at: (&str, &str, &str), expected: f64, tolerance: f64) {
    let (table, row, column) = at;
    let value = report.table(table).and_then(|t| t.get(row, column)).unwrap_or(f64::NAN);
    assert!(
        (value - expected).abs() <= tolerance,
        "{table} / {row} / {column}: {value} vs {expected}"
    );
}
