//! Learning curves: the task's measures of models trained on nested subsets (one `retort
//! extract` output per training-set size), scored with `retort eval`'s core against one gold,
//! as a table, an SVG and PNG plot, and a terminal chart. A series with a point without size
//! is drawn as a flat line (a prompt-only baseline).

pub mod chart;
pub mod plot;

use crate::eval::{EvalError, EvalRequest, Report, Scoring, evaluate};
use crate::task::Task;
use std::path::{Path, PathBuf};

/// One prediction file of a series: trained on `size` examples (none for a baseline).
#[derive(Debug, Clone, PartialEq)]
pub struct PointSpec {
    pub series: String,
    pub size: Option<usize>,
    pub file: PathBuf,
}

/// A curve's point as written on the command line that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    #[error("{0:?}: expected NAME@N=FILE (or NAME=FILE for a baseline)")]
    Shape(String),
    #[error("{text:?}: {size:?} is not a number of training examples")]
    Size { text: String, size: String },
}

/// Parses `NAME@N=FILE` (a model trained on N examples) or `NAME=FILE` (a baseline).
pub fn parse_point(text: &str) -> Result<PointSpec, PointError> {
    let (left, file) = text
        .split_once('=')
        .ok_or_else(|| PointError::Shape(text.to_string()))?;
    let (series, size) = match left.split_once('@') {
        Some((name, n)) => {
            let size = n.trim().parse().map_err(|_| PointError::Size {
                text: text.to_string(),
                size: n.to_string(),
            })?;
            (name, Some(size))
        }
        None => (left, None),
    };
    if series.trim().is_empty() || file.is_empty() {
        return Err(PointError::Shape(text.to_string()));
    }
    Ok(PointSpec {
        series: series.trim().to_string(),
        size,
        file: PathBuf::from(file),
    })
}

/// A measure: where it is in a report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Measure {
    pub table: String,
    pub row: String,
    pub column: String,
}

impl Measure {
    pub fn label(&self) -> String {
        format!("{} {}", self.row, self.column)
    }

    fn path(&self) -> String {
        format!("{} / {} / {}", self.table, self.row, self.column)
    }
}

/// A scored point.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Point {
    pub series: String,
    pub size: Option<usize>,
    pub file: PathBuf,
    /// One value per chosen measure (`None` where the report has no such cell).
    pub values: Vec<Option<f64>>,
    /// Why the file gave nothing to score, when it did not (its values are then all `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nothing_scored: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Curves {
    pub task: String,
    pub measures: Vec<Measure>,
    pub points: Vec<Point>,
}

impl Curves {
    /// The measure a plot shows: the first F1 (the papers' headline figure), else the first.
    pub fn headline(&self) -> usize {
        self.measures.iter().position(|m| m.column == "f1").unwrap_or(0)
    }

    /// The series names in first-appearance order.
    pub fn series(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for point in &self.points {
            if !names.contains(&point.series.as_str()) {
                names.push(&point.series);
            }
        }
        names
    }
}

/// Scores every point with `retort eval`'s core and keeps the measures that match `filter`
/// (a case-insensitive piece of "table / row / column"; every measure of the first table when
/// empty).
pub fn score(
    task: &Task,
    gold: Option<&Path>,
    points: &[PointSpec],
    filter: &str,
    scoring: Scoring,
) -> Result<Curves, EvalError> {
    let mut reports: Vec<Report> = Vec::new();
    for point in points {
        let request = EvalRequest {
            task,
            gold,
            predictions: std::slice::from_ref(&point.file),
            strict: false,
            scoring,
        };
        reports.push(evaluate(&request)?.remove(0));
    }
    let measures = choose(reports.first(), filter);
    let points = points
        .iter()
        .zip(&reports)
        .map(|(spec, report)| Point {
            series: spec.series.clone(),
            size: spec.size,
            file: spec.file.clone(),
            values: measures
                .iter()
                .map(|m| report.table(&m.table).and_then(|t| t.get(&m.row, &m.column)))
                .collect(),
            nothing_scored: report.nothing_scored.clone(),
        })
        .collect();
    Ok(Curves {
        task: task.name.clone(),
        measures,
        points,
    })
}

fn choose(report: Option<&Report>, filter: &str) -> Vec<Measure> {
    let Some(report) = report else { return Vec::new() };
    let all: Vec<Measure> = report
        .tables
        .iter()
        .flat_map(|t| {
            t.rows.iter().flat_map(move |(row, _)| {
                t.columns.iter().map(move |column| Measure {
                    table: t.title.clone(),
                    row: row.clone(),
                    column: column.clone(),
                })
            })
        })
        .collect();
    if filter.is_empty() {
        let first = report.tables.first().map(|t| t.title.clone());
        return all.into_iter().filter(|m| Some(&m.table) == first.as_ref()).collect();
    }
    let wanted = filter.to_lowercase();
    all.into_iter()
        .filter(|m| m.path().to_lowercase().contains(&wanted))
        .collect()
}

/// The table for people: a row per point, a column per measure.
pub fn render_table(curves: &Curves) -> String {
    let labels: Vec<String> = curves.measures.iter().map(Measure::label).collect();
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(6).max(8);
    let mut out = format!("{:<24} {:>8}", "series", "N");
    for label in &labels {
        out.push_str(&format!(" {label:>width$}"));
    }
    out.push('\n');
    for point in &curves.points {
        let size = point.size.map_or("—".to_string(), |n| n.to_string());
        out.push_str(&format!("{:<24} {size:>8}", point.series));
        for value in &point.values {
            let cell = value.map_or("—".to_string(), |v| format!("{v:.4}"));
            out.push_str(&format!(" {cell:>width$}"));
        }
        out.push('\n');
    }
    out
}
