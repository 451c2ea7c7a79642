//! The result pane: the extraction as a structure fitting the task (a table of fields × records
//! for JSON tasks, an ordered list otherwise), each value marked with how it was grounded, the
//! values not found in the source listed; or the raw reply, highlighted.

use super::super::state::{Pane, ResultView, RunSlot, State};
use super::super::theme::Theme;
use super::{highlight, lines_on_top, pane_block};
use crate::extraction::{Alignment, Extraction, FieldContent, Value};
use crate::format::Format;
use crate::task::Task;
use crate::tui::action::Side;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use std::ops::Range;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, slot: Side) {
    let pane = if slot == Side::Main {
        Pane::Result
    } else {
        Pane::Compare
    };
    let run = &state.runs[slot];
    let title = title(state, run, slot);
    let block = pane_block(&title, state.focus == pane, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = header(run, theme);
    let show_raw = slot == Side::Main && state.result_view == ResultView::Raw;
    let extraction = if slot == Side::Main {
        state.highlighted()
    } else {
        run.extraction()
    };
    let selected = if slot == Side::Main { Some(state.selected) } else { None };
    if run.running || show_raw || extraction.is_none() {
        lines.extend(raw_lines(state.task(), run, theme));
        let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
        // While streaming, keep the newest text in view.
        let rows = paragraph.line_count(inner.width) as u16;
        let top = if run.running {
            rows.saturating_sub(inner.height)
        } else {
            0
        };
        frame.render_widget(paragraph.scroll((top, 0)), inner);
        return;
    }
    let Some(extraction) = extraction else { return };
    let footer = unaligned_lines(extraction, theme);
    let rest = lines_on_top(frame, lines, inner);
    let footer_height = (footer.len() as u16).min(rest.height / 2);
    let body = Rect {
        height: rest.height - footer_height,
        ..rest
    };
    if matches!(state.task().format, Format::Json { .. }) {
        let shown = shown_records(state.task(), extraction, selected, body.width);
        let body = if shown.len() < extraction.records.len() {
            let note = Line::styled(
                format!(
                    "record {} of {} — h/l or j/k move between records",
                    shown.start + 1,
                    extraction.records.len()
                ),
                theme.fg(theme.dim),
            );
            lines_on_top(frame, vec![note], body)
        } else {
            body
        };
        frame.render_widget(table(state.task(), extraction, selected, shown, theme), body);
    } else {
        let list = list_lines(state.task(), extraction, selected, theme);
        let top = selected_line_top(&list, body.height);
        frame.render_widget(
            Paragraph::new(list.into_iter().map(|(l, _)| l).collect::<Vec<_>>())
                .wrap(Wrap { trim: false })
                .scroll((top, 0)),
            body,
        );
    }
    if footer_height > 0 {
        let at = Rect {
            y: body.y + body.height,
            height: footer_height,
            ..inner
        };
        frame.render_widget(Paragraph::new(footer).wrap(Wrap { trim: true }), at);
    }
}

fn title(state: &State, run: &RunSlot, slot: Side) -> String {
    let profile = run
        .profile
        .and_then(|i| state.profiles.get(i))
        .map_or("", |p| p.name.as_str());
    let gold = if slot == Side::Main && state.gold().is_some() {
        " · gold ✓"
    } else {
        ""
    };
    match (slot, profile.is_empty()) {
        (Side::Main, true) => format!("Result{gold}"),
        (Side::Main, false) => format!("Result — {profile}{gold}"),
        (Side::Compare, _) => format!("Compare — {profile}"),
    }
}

/// The validation badge, the error, and where parsing stopped.
fn header(run: &RunSlot, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if run.running {
        let text = match (run.elapsed(), run.pieces) {
            (Some(t), 0) => format!("waiting for the first token… {t:.1} s (Esc cancels)"),
            (Some(t), n) => format!("streaming: {n} tokens, {t:.1} s (Esc cancels)"),
            _ => "starting…".into(),
        };
        lines.push(Line::styled(text, theme.fg(theme.dim)));
        return lines;
    }
    let Some(result) = &run.run else {
        lines.push(Line::styled(
            "Run the extraction with r (model: m, task: t).",
            theme.fg(theme.dim),
        ));
        return lines;
    };
    use crate::llm::dialect::Validation;
    let badge = result.validation.badge();
    let color = match result.validation {
        Validation::Constrained => theme.ok,
        Validation::Violated(_) => theme.error,
        Validation::NotApplicable | Validation::Unconstrained => theme.dim,
    };
    let mut spans = vec![Span::styled(
        format!("[{badge}]"),
        theme.fg(color).add_modifier(Modifier::BOLD),
    )];
    if result.incomplete {
        spans.push(Span::styled(" incomplete", theme.fg(theme.warning)));
    }
    if let Validation::Violated(detail) = &result.validation {
        spans.push(Span::styled(format!(" {detail}"), theme.fg(theme.error)));
    }
    lines.push(Line::from(spans));
    if let Some(error) = &result.error {
        lines.push(Line::styled(format!("error: {error}"), theme.fg(theme.error)));
    }
    if let Some(e) = &result.parse_error {
        lines.push(Line::styled(
            format!("parse error at line {}, column {}: {}", e.line, e.column, e.message),
            theme.fg(theme.error),
        ));
    }
    lines
}

/// The reply as text: highlighted as JSON for JSON tasks, with the stream's progress.
fn raw_lines(task: &Task, run: &RunSlot, theme: &Theme) -> Vec<Line<'static>> {
    let text = run.run.as_ref().map_or(run.streamed.as_str(), |r| r.raw_reply.as_str());
    if text.is_empty() {
        return Vec::new();
    }
    let json = matches!(task.format, Format::Json { .. });
    if json && theme.color {
        highlight::json(text, &theme.syntax)
    } else {
        text.lines().map(|l| Line::raw(l.to_string())).collect()
    }
}

/// How a value was grounded, as a short mark.
pub fn mark(value: &Value) -> String {
    match value.alignment {
        Alignment::Exact => " ✓".into(),
        Alignment::CaseInsensitive | Alignment::Normalized => " ≈".into(),
        Alignment::Fuzzy { score } => format!(" ~{score:.2}"),
        Alignment::Unaligned => " ⚠".into(),
        Alignment::NotApplicable | Alignment::Unchecked => String::new(),
    }
}

fn value_span<'a>(task: &Task, field: &str, value: &'a Value, selected: bool, theme: &Theme) -> Vec<Span<'a>> {
    let color = task.field(field).map_or("gray", |f| f.color.as_str());
    let mut style = theme.field(color);
    if selected {
        style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
    }
    let warn = if value.alignment == Alignment::Unaligned {
        theme.fg(theme.warning)
    } else {
        theme.fg(theme.dim)
    };
    let mut spans = vec![
        Span::styled(value.text.as_str(), style),
        Span::styled(mark(value), warn),
    ];
    spans.extend(confidence(value, theme));
    spans
}

/// The model's confidence in a value, when the engine gave token probabilities; a low one
/// stands out.
pub fn confidence(value: &Value, theme: &Theme) -> Option<Span<'static>> {
    let p = value.confidence?;
    let style = if p < crate::llm::logprobs::LOW_CONFIDENCE {
        theme.fg(theme.warning)
    } else {
        theme.fg(theme.dim)
    };
    Some(Span::styled(format!(" p{p:.2}"), style))
}

/// One line per record (per value for lists), each line tagged with whether it holds the
/// selected value.
fn list_lines<'a>(
    task: &Task,
    extraction: &'a Extraction,
    selected: Option<usize>,
    theme: &Theme,
) -> Vec<(Line<'a>, bool)> {
    let mut out = Vec::new();
    let mut index = 0;
    for (r, record) in extraction.records.iter().enumerate() {
        let mut spans: Vec<Span> = Vec::new();
        let mut has_selected = false;
        match task.format {
            Format::ActionSequence => spans.push(Span::styled(format!("{:>2}. ", r + 1), theme.fg(theme.dim))),
            Format::DopingEnglish => {
                if let Some(label) = doping_label(record) {
                    spans.push(Span::styled(label, theme.fg(theme.dim)));
                }
            }
            _ => {}
        }
        for field in &record.fields {
            let FieldContent::Values(values) = &field.content else {
                continue;
            };
            let per_value_lines = matches!(task.format, Format::Delimited { .. });
            if matches!(task.format, Format::RoleTags) {
                spans.push(Span::styled(
                    format!("{:<18}", field.name),
                    theme.field(task.field(&field.name).map_or("gray", |f| &f.color)),
                ));
            }
            if matches!(task.format, Format::DopingEnglish)
                && field.name == "dopant"
                && !record.texts("host").is_empty()
            {
                spans.push(Span::styled(" ⟶ ", theme.fg(theme.dim)));
            }
            for (i, value) in values.iter().enumerate() {
                let is_selected = selected == Some(index);
                has_selected |= is_selected;
                if per_value_lines {
                    let mut line = vec![Span::styled(format!("{:>3}. ", index + 1), theme.fg(theme.dim))];
                    line.extend(value_span(task, &field.name, value, is_selected, theme));
                    out.push((Line::from(line), is_selected));
                } else {
                    if i > 0 {
                        spans.push(Span::styled(" · ", theme.fg(theme.dim)));
                    }
                    spans.extend(value_span(task, &field.name, value, is_selected, theme));
                }
                index += 1;
            }
            if matches!(task.format, Format::ActionSequence) && !record.texts("details").concat().starts_with('.') {
                spans.push(Span::raw(" "));
            }
            if matches!(task.format, Format::RoleTags) {
                out.push((Line::from(std::mem::take(&mut spans)), has_selected));
                has_selected = false;
            }
        }
        if !spans.is_empty() {
            out.push((Line::from(spans), has_selected));
        }
    }
    if out.is_empty() {
        out.push((Line::styled("(nothing extracted)", theme.fg(theme.dim)), false));
    }
    out
}

/// What a one-sided doping statement is (a linked pair needs no label).
fn doping_label(record: &crate::extraction::Record) -> Option<&'static str> {
    use crate::format::doping_english::{DOPANT, HOST, MODIFIERS, RESULT};
    let has = |name: &str| !record.texts(name).is_empty();
    match (has(HOST), has(DOPANT)) {
        (true, true) => None,
        (true, false) => Some("host, no dopant named: "),
        (false, true) => Some("dopant, no host named: "),
        _ if has(RESULT) => Some("likely solid solution: "),
        _ if has(MODIFIERS) => Some("modifiers: "),
        _ => None,
    }
}

fn selected_line_top(lines: &[(Line, bool)], height: u16) -> u16 {
    let at = lines.iter().position(|(_, s)| *s).unwrap_or(0) as u16;
    at.saturating_sub(height.saturating_sub(1) / 2)
        .min((lines.len() as u16).saturating_sub(height))
}

/// Fields × records: one row per field, one column per record (reaction, material, …).
/// Narrowest a record's column may be before records are shown one at a time.
const MIN_COLUMN: usize = 18;

/// The records that fit side by side in `width`: all of them, or the one holding the selected
/// value.
fn shown_records(task: &Task, extraction: &Extraction, selected: Option<usize>, width: u16) -> Range<usize> {
    let count = extraction.records.len();
    let label = field_names(task, extraction)
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(8)
        .min(26);
    let room = (width as usize).saturating_sub(label + 1);
    if count <= 1 || room / count >= MIN_COLUMN {
        return 0..count;
    }
    let record = selected.map_or(0, |s| extraction.record_of_value(s));
    record..record + 1
}

fn field_names(task: &Task, extraction: &Extraction) -> Vec<String> {
    let mut names: Vec<String> = task.fields.iter().map(|f| f.name.clone()).collect();
    for record in &extraction.records {
        for field in &record.fields {
            if !names.contains(&field.name) {
                names.push(field.name.clone());
            }
        }
    }
    names
}

fn table<'a>(
    task: &Task,
    extraction: &'a Extraction,
    selected: Option<usize>,
    shown: Range<usize>,
    theme: &Theme,
) -> Table<'a> {
    let names = field_names(task, extraction);
    // Value indices in `values()` order: record by record, field by field.
    let mut cells: Vec<Vec<Option<Vec<Span>>>> = vec![vec![None; extraction.records.len()]; names.len()];
    let mut index = 0;
    for (r, record) in extraction.records.iter().enumerate() {
        for field in &record.fields {
            let row = names.iter().position(|n| *n == field.name).unwrap_or(0);
            let mut spans = Vec::new();
            for value in record_values(&field.content) {
                if !spans.is_empty() {
                    spans.push(Span::styled(" | ", theme.fg(theme.dim)));
                }
                spans.extend(value_span(task, &field.name, value, selected == Some(index), theme));
                index += 1;
            }
            cells[row][r] = Some(spans);
        }
    }
    let cells: Vec<Vec<Option<Vec<Span>>>> = cells
        .into_iter()
        .map(|cols| cols.into_iter().skip(shown.start).take(shown.len()).collect())
        .collect();
    let rows: Vec<Row> = names
        .iter()
        .zip(cells)
        .filter(|(_, cols)| cols.iter().any(|c| c.as_ref().is_some_and(|s| !s.is_empty())))
        .map(|(name, cols)| {
            let color = task.field(name).map_or("gray", |f| f.color.as_str());
            let mut row = vec![Cell::from(Span::styled(name.clone(), theme.field(color)))];
            row.extend(cols.into_iter().map(|c| Cell::from(Line::from(c.unwrap_or_default()))));
            Row::new(row)
        })
        .collect();
    let label_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(8).min(26) as u16;
    let mut widths = vec![Constraint::Length(label_width)];
    widths.extend(std::iter::repeat_n(Constraint::Fill(1), shown.len().max(1)));
    let header: Vec<Cell> = std::iter::once(Cell::from(""))
        .chain(shown.map(|i| Cell::from(format!("#{}", i + 1))))
        .collect();
    Table::new(rows, widths)
        .header(Row::new(header).style(theme.fg(theme.dim).add_modifier(Modifier::BOLD)))
        .column_spacing(1)
}

/// Values of a field, flattening nested records (doping JSON ids and links).
fn record_values(content: &FieldContent) -> Vec<&Value> {
    match content {
        FieldContent::Values(values) => values.iter().collect(),
        FieldContent::Records(records) => records
            .iter()
            .flat_map(|r| r.fields.iter())
            .flat_map(|f| record_values(&f.content))
            .collect(),
    }
}

fn unaligned_lines<'a>(extraction: &'a Extraction, theme: &Theme) -> Vec<Line<'a>> {
    let missing: Vec<&str> = extraction
        .values()
        .into_iter()
        .filter(|(_, v)| v.alignment == Alignment::Unaligned)
        .map(|(_, v)| v.text.as_str())
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    vec![Line::from(vec![
        Span::styled(
            format!("⚠ {} not found in the source (possible hallucination): ", missing.len()),
            theme.fg(theme.warning),
        ),
        Span::raw(missing.join(" · ")),
    ])]
}
