//! The result of an evaluation as tables, printed for people (aligned text), scripts (JSON) or
//! spreadsheets (CSV).

use serde::Serialize;
use serde_json::{Map, Value as Json};

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Table {
    pub title: String,
    pub columns: Vec<String>,
    /// Row label and one cell per column (`None` where the measure does not exist).
    pub rows: Vec<(String, Vec<Option<f64>>)>,
}

impl Table {
    pub fn new(title: &str, columns: &[&str]) -> Table {
        Table {
            title: title.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// A row of values (`f64`) or of values that may be missing (`Option<f64>`, "—").
    pub fn row<C: Into<Option<f64>> + Copy>(&mut self, label: &str, cells: &[C]) -> &mut Table {
        self.rows
            .push((label.into(), cells.iter().map(|c| (*c).into()).collect()));
        self
    }

    /// The value at (row, column), for tests and scripts.
    pub fn get(&self, row: &str, column: &str) -> Option<f64> {
        let c = self.columns.iter().position(|x| x == column)?;
        self.rows
            .iter()
            .find(|(label, _)| label == row)
            .and_then(|(_, cells)| cells.get(c).copied().flatten())
    }
}

/// Everything one evaluation reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub task: String,
    /// The prediction file(s) scored.
    pub source: String,
    pub tables: Vec<Table>,
    /// Counts such as scored/total sentences.
    pub counts: Vec<(String, usize)>,
    /// Input rows skipped, each with file, line and reason.
    pub skipped: Vec<String>,
    /// Why nothing was scored, when nothing was: every measure is then missing.
    pub nothing_scored: Option<String>,
}

impl Report {
    pub fn table(&self, title: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.title == title)
    }

    pub fn count(&self, name: &str) -> Option<usize> {
        self.counts.iter().find(|(n, _)| n == name).map(|(_, c)| *c)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

pub fn render(reports: &[Report], format: OutputFormat) -> String {
    match format {
        OutputFormat::Table => reports.iter().map(render_text).collect::<Vec<_>>().join("\n"),
        OutputFormat::Json => {
            let list: Vec<Json> = reports.iter().map(to_json).collect();
            let value = if list.len() == 1 {
                list.into_iter().next().unwrap_or_default()
            } else {
                Json::Array(list)
            };
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
        OutputFormat::Csv => {
            let mut out = String::from("source,table,row,column,value\n");
            for report in reports {
                for table in &report.tables {
                    for (label, cells) in &table.rows {
                        for (column, cell) in table.columns.iter().zip(cells) {
                            if let Some(v) = cell {
                                out.push_str(&format!(
                                    "{},{},{},{},{v}\n",
                                    csv_cell(&report.source),
                                    csv_cell(&table.title),
                                    csv_cell(label),
                                    csv_cell(column)
                                ));
                            }
                        }
                    }
                }
            }
            out
        }
    }
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn to_json(report: &Report) -> Json {
    let mut tables = Map::new();
    for table in &report.tables {
        let mut rows = Map::new();
        for (label, cells) in &table.rows {
            let row: Map<String, Json> = table
                .columns
                .iter()
                .zip(cells)
                .map(|(c, v)| {
                    (
                        c.clone(),
                        v.map_or(Json::Null, |v| {
                            serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number)
                        }),
                    )
                })
                .collect();
            rows.insert(label.clone(), Json::Object(row));
        }
        tables.insert(table.title.clone(), Json::Object(rows));
    }
    let counts: Map<String, Json> = report.counts.iter().map(|(n, c)| (n.clone(), Json::from(*c))).collect();
    serde_json::json!({
        "task": report.task,
        "source": report.source,
        "tables": tables,
        "counts": counts,
        "skipped": report.skipped.len(),
        "skipped_rows": report.skipped,
        "nothing_scored": report.nothing_scored,
    })
}

fn render_text(report: &Report) -> String {
    let mut out = format!("{} — {}\n", report.task, report.source);
    for table in &report.tables {
        out.push('\n');
        let label_width = table
            .rows
            .iter()
            .map(|(l, _)| l.chars().count())
            .chain([table.title.chars().count()])
            .max()
            .unwrap_or(0);
        let widths: Vec<usize> = table.columns.iter().map(|c| c.chars().count().max(7)).collect();
        out.push_str(&format!("{:label_width$}", table.title));
        for (c, w) in table.columns.iter().zip(&widths) {
            out.push_str(&format!("  {c:>w$}"));
        }
        out.push('\n');
        for (label, cells) in &table.rows {
            out.push_str(&format!("{label:label_width$}"));
            for (cell, w) in cells.iter().zip(&widths) {
                let text = cell.map_or("—".to_string(), |v| format!("{v:.4}"));
                out.push_str(&format!("  {text:>w$}"));
            }
            out.push('\n');
        }
    }
    if !report.counts.is_empty() {
        out.push('\n');
        let counts: Vec<String> = report.counts.iter().map(|(n, c)| format!("{n}: {c}")).collect();
        out.push_str(&counts.join(", "));
        out.push('\n');
    }
    if !report.skipped.is_empty() {
        out.push_str(&format!(
            "skipped {} row(s); the first: {}\n",
            report.skipped.len(),
            report.skipped[0]
        ));
    }
    if let Some(why) = &report.nothing_scored {
        out.push_str(&format!("nothing scored: {why}\n"));
    }
    out
}
