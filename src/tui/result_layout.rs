//! The result pane laid out: the extraction as a structure fitting the task (a table of fields ×
//! records for JSON tasks, an ordered list otherwise), each value marked with how it was
//! grounded, the values not found in the source listed; or the raw reply. The layout says which
//! lines go where and where each value is drawn: the view draws it and the mouse reads it
//! (`screen::point`), so a click on a value selects what was drawn there.

use super::state::{ResultView, RunSlot, State};
use super::theme::Theme;
use super::wrap;
use crate::extraction::{Alignment, Extraction, FieldContent, Value};
use crate::format::Format;
use crate::side::Side;
use crate::task::Task;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use std::ops::Range;
use unicode_width::UnicodeWidthStr;

/// Lines drawn in an area: one row each, or wrapped (the raw reply, the footer) and scrolled.
pub struct Block<'a> {
    pub area: Rect,
    pub lines: Vec<Line<'a>>,
    pub wrap: bool,
    pub scroll: u16,
}

pub struct ResultLayout<'a> {
    pub blocks: Vec<Block<'a>>,
    /// Where each value is drawn (one row's cells each) and its index in the extraction's values.
    pub values: Vec<(Rect, usize)>,
    /// Where the header and the raw reply go instead (while streaming, when asked for, or
    /// when the reply gave no extraction).
    pub raw: Option<Rect>,
}

/// A span and the value it draws, if it draws one.
type Tagged<'a> = (Span<'a>, Option<usize>);

/// The result pane of `slot` laid out inside its border, `inner`.
pub fn layout<'a>(state: &'a State, inner: Rect, slot: Side, theme: &Theme) -> ResultLayout<'a> {
    let run = &state.runs[slot];
    let mut out = ResultLayout {
        blocks: Vec::new(),
        values: Vec::new(),
        raw: None,
    };
    let lines = header(run, run.profile.and_then(|i| state.profiles.get(i)), theme);
    let show_raw = slot == Side::Main && state.result.view == ResultView::Raw;
    let extraction = if slot == Side::Main {
        state.highlighted()
    } else {
        run.extraction()
    };
    let selected = if slot == Side::Main {
        Some(state.result.selected)
    } else {
        None
    };
    let Some(extraction) = extraction.filter(|_| !run.running && !show_raw) else {
        out.raw = Some(inner);
        return out;
    };
    let rest = on_top(&mut out, lines, inner);
    let mut footer = unaligned_lines(extraction, theme);
    footer.extend(check_lines(state.task(), extraction, theme));
    let footer_height = (footer.len() as u16).min(rest.height / 2);
    let body = Rect {
        height: rest.height - footer_height,
        ..rest
    };
    if matches!(state.task().format, Format::Json { .. }) {
        grid(&mut out, state.task(), extraction, selected, body, theme);
    } else {
        list(&mut out, state.task(), extraction, selected, body, theme);
    }
    if footer_height > 0 {
        out.blocks.push(Block {
            area: Rect {
                y: body.y + body.height,
                height: footer_height,
                ..inner
            },
            lines: footer,
            wrap: true,
            scroll: 0,
        });
    }
    out
}

/// The value drawn at (`column`, `row`) of the result pane whose inside is `inner`.
pub fn value_at(state: &State, inner: Rect, column: u16, row: u16) -> Option<usize> {
    // Where things go does not depend on colours: one plain theme, parsed once, serves every
    // mouse event.
    static PLAIN: std::sync::OnceLock<Theme> = std::sync::OnceLock::new();
    let plain = PLAIN.get_or_init(|| Theme::load(None, true).0);
    let at = ratatui::layout::Position::new(column, row);
    layout(state, inner, Side::Main, plain)
        .values
        .into_iter()
        .find(|(area, _)| area.contains(at))
        .map(|(_, value)| value)
}

/// `lines` one row each at the top of `area`; the rest of the area comes back.
fn on_top<'a>(out: &mut ResultLayout<'a>, lines: Vec<Line<'a>>, area: Rect) -> Rect {
    let height = (lines.len() as u16).min(area.height);
    if height > 0 {
        out.blocks.push(Block {
            area: Rect { height, ..area },
            lines,
            wrap: false,
            scroll: 0,
        });
    }
    Rect {
        y: area.y + height,
        height: area.height - height,
        ..area
    }
}

/// One row: its spans, and the cells each value takes on it (cut at `area`'s width).
fn place_row<'a>(out: &mut ResultLayout<'a>, area: Rect, spans: Vec<Tagged<'a>>) {
    let mut x = area.x;
    let end = area.x + area.width;
    for (span, value) in &spans {
        let width = (span.content.width() as u16).min(end.saturating_sub(x));
        if let Some(value) = value
            && width > 0
        {
            out.values.push((Rect::new(x, area.y, width, 1), *value));
        }
        x += width;
    }
    out.blocks.push(Block {
        area: Rect { height: 1, ..area },
        lines: vec![Line::from(spans.into_iter().map(|(s, _)| s).collect::<Vec<_>>())],
        wrap: false,
        scroll: 0,
    });
}

/// Fields × records: a row per field, a column per record; when the records do not fit side by
/// side, the one holding the selected value, under a note.
fn grid<'a>(
    out: &mut ResultLayout<'a>,
    task: &Task,
    extraction: &'a Extraction,
    selected: Option<usize>,
    body: Rect,
    theme: &Theme,
) {
    let shown = shown_records(task, extraction, selected, body.width);
    let body = if shown.len() < extraction.records.len() {
        let note = Line::styled(
            format!(
                "record {} of {} — h/l or j/k move between records",
                shown.start + 1,
                extraction.records.len()
            ),
            theme.fg(theme.dim),
        );
        on_top(out, vec![note], body)
    } else {
        body
    };
    let names = field_names(task, extraction);
    let label_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(8).min(26) as u16;
    let mut widths = vec![Constraint::Length(label_width)];
    widths.extend(std::iter::repeat_n(Constraint::Fill(1), shown.len().max(1)));
    let columns = Layout::horizontal(widths).spacing(1).split(body);
    let bold = theme.fg(theme.dim).add_modifier(Modifier::BOLD);
    let mut rows = vec![(
        String::new(),
        shown
            .clone()
            .map(|i| vec![(Span::styled(format!("#{}", i + 1), bold), None)])
            .collect(),
    )];
    rows.extend(cells(task, extraction, selected, &names, shown, theme));
    for (k, (name, cols)) in rows.into_iter().enumerate() {
        let y = body.y + k as u16;
        if y >= body.y + body.height {
            break;
        }
        let color = task.field(&name).map_or("gray", |f| f.color.as_str());
        place_row(
            out,
            Rect { y, ..columns[0] },
            vec![(Span::styled(name, theme.field(color)), None)],
        );
        for (col, spans) in columns[1..].iter().zip(cols) {
            place_row(out, Rect { y, ..*col }, spans);
        }
    }
}

/// The grid's rows below its header: each field with a value in a shown record, and the
/// shown records' cells.
fn cells<'a>(
    task: &Task,
    extraction: &'a Extraction,
    selected: Option<usize>,
    names: &[String],
    shown: Range<usize>,
    theme: &Theme,
) -> Vec<(String, Vec<Vec<Tagged<'a>>>)> {
    // Value indices in `values()` order: record by record, field by field.
    let mut cells: Vec<Vec<Vec<Tagged>>> = vec![vec![Vec::new(); extraction.records.len()]; names.len()];
    let mut index = 0;
    for (r, record) in extraction.records.iter().enumerate() {
        for field in &record.fields {
            let row = names.iter().position(|n| *n == field.name).unwrap_or(0);
            let cell = &mut cells[row][r];
            for value in record_values(&field.content) {
                if !cell.is_empty() {
                    cell.push((Span::styled(" | ", theme.fg(theme.dim)), None));
                }
                cell.extend(tag(
                    value_span(task, &field.name, value, selected == Some(index), theme),
                    index,
                ));
                index += 1;
            }
        }
    }
    names
        .iter()
        .zip(cells)
        .map(|(name, cols)| {
            let cols: Vec<_> = cols.into_iter().skip(shown.start).take(shown.len()).collect();
            (name.clone(), cols)
        })
        .filter(|(_, cols)| cols.iter().any(|c| !c.is_empty()))
        .collect()
}

/// A value's spans, each tagged with it.
fn tag(spans: Vec<Span<'_>>, value: usize) -> impl Iterator<Item = Tagged<'_>> {
    spans.into_iter().map(move |s| (s, Some(value)))
}

/// The list: each line wrapped at word boundaries, scrolled so the selected value stays in view.
fn list<'a>(
    out: &mut ResultLayout<'a>,
    task: &Task,
    extraction: &'a Extraction,
    selected: Option<usize>,
    body: Rect,
    theme: &Theme,
) {
    let rows: Vec<Vec<Tagged>> = list_lines(task, extraction, selected, theme)
        .into_iter()
        .flat_map(|line| wrapped(line, body.width))
        .collect();
    let at = selected
        .and_then(|s| rows.iter().position(|r| r.iter().any(|(_, v)| *v == Some(s))))
        .unwrap_or(0) as u16;
    let top = at
        .saturating_sub(body.height.saturating_sub(1) / 2)
        .min((rows.len() as u16).saturating_sub(body.height));
    for (k, row) in rows
        .into_iter()
        .skip(top as usize)
        .take(body.height as usize)
        .enumerate()
    {
        place_row(
            out,
            Rect {
                y: body.y + k as u16,
                ..body
            },
            row,
        );
    }
}

/// A line of tagged spans cut into rows of `width` columns at word boundaries.
fn wrapped(line: Vec<Tagged<'_>>, width: u16) -> Vec<Vec<Tagged<'_>>> {
    let text: String = line.iter().map(|(s, _)| s.content.as_ref()).collect();
    let mut starts = Vec::with_capacity(line.len());
    let mut at = 0;
    for (span, _) in &line {
        starts.push(at);
        at += span.content.len();
    }
    wrap::rows(&text, width as usize)
        .into_iter()
        .map(|row| {
            line.iter()
                .zip(&starts)
                .filter_map(|((span, value), &start)| {
                    let from = start.max(row.start);
                    let to = (start + span.content.len()).min(row.end);
                    (from < to).then(|| {
                        let piece = span.content[from - start..to - start].to_string();
                        (Span::styled(piece, span.style), *value)
                    })
                })
                .collect()
        })
        .collect()
}

/// The validation badge, the error, and where parsing stopped.
/// What a small smoke-test model's results say under their badge: it finds little, and the ways
/// to a model that finds more.
pub const SMOKE_TEST: &str = "SmolLM2-135M prompt-only is a smoke-test model: it finds few values. For real work: R compares a model fine-tuned for the task (one ships for compound) · train one here: retort train start --backend local (about 15 min for 100 examples on 2 cores) · a bigger GGUF: retort models add NAME --gguf URL · a server: m";

pub fn header(run: &RunSlot, profile: Option<&crate::llm::ModelProfile>, theme: &Theme) -> Vec<Line<'static>> {
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
    if result.outcome.is_incomplete() {
        spans.push(Span::styled(" incomplete", theme.fg(theme.warning)));
    }
    if let Validation::Violated(detail) = &result.validation {
        spans.push(Span::styled(format!(" {detail}"), theme.fg(theme.error)));
    }
    lines.push(Line::from(spans));
    if profile.is_some_and(|p| p.is_smoke_test()) {
        lines.push(Line::styled(SMOKE_TEST, theme.fg(theme.dim)));
    }
    if !result.from_prompt.is_empty() {
        let values: Vec<String> = result
            .from_prompt
            .iter()
            .map(|v| crate::foreign::one_line(v, 40))
            .collect();
        lines.push(Line::styled(
            format!(
                "⚠ copied from the prompt's worked examples, not in the paragraph: {}",
                values.join(" · ")
            ),
            theme.fg(theme.warning),
        ));
    }
    if let Some(error) = result.outcome.error() {
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

/// What the marks beside a value say, for the help and the legend. ✓ says where a value is, not
/// that it is right.
pub const MARKS: [(&str, &str); 5] = [
    ("✓", "found in source (not: correct)"),
    ("≈", "found, case or spacing differ"),
    ("~0.87", "found roughly (score)"),
    ("⚠", "not in source"),
    ("⚗", "chemistry check"),
];

/// How a value was grounded, as a short mark (`MARKS` says what each means).
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
    if !task.value_problems(field, &value.text).is_empty() {
        spans.push(Span::styled(" ⚗", theme.fg(theme.warning)));
    }
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

/// One line per record (per value for delimited lists, per field for role tags), each span
/// tagged with the value it draws.
fn list_lines<'a>(
    task: &Task,
    extraction: &'a Extraction,
    selected: Option<usize>,
    theme: &Theme,
) -> Vec<Vec<Tagged<'a>>> {
    let mut out = Vec::new();
    let mut index = 0;
    let dim = |text: String| (Span::styled(text, theme.fg(theme.dim)), None);
    for (r, record) in extraction.records.iter().enumerate() {
        let mut spans: Vec<Tagged> = Vec::new();
        match task.format {
            Format::ActionSequence => spans.push(dim(format!("{:>2}. ", r + 1))),
            Format::DopingEnglish => spans.extend(doping_label(record).map(|l| dim(l.to_string()))),
            _ => {}
        }
        for field in &record.fields {
            let FieldContent::Values(values) = &field.content else {
                continue;
            };
            let per_value_lines = matches!(task.format, Format::Delimited { .. });
            if matches!(task.format, Format::RoleTags) {
                let color = task.field(&field.name).map_or("gray", |f| &f.color);
                spans.push((Span::styled(format!("{:<18}", field.name), theme.field(color)), None));
            }
            if matches!(task.format, Format::DopingEnglish)
                && field.name == "dopant"
                && !record.texts("host").is_empty()
            {
                spans.push(dim(" ⟶ ".into()));
            }
            for (i, value) in values.iter().enumerate() {
                let value_spans = tag(
                    value_span(task, &field.name, value, selected == Some(index), theme),
                    index,
                );
                if per_value_lines {
                    let mut line = vec![dim(format!("{:>3}. ", index + 1))];
                    line.extend(value_spans);
                    out.push(line);
                } else {
                    if i > 0 {
                        spans.push(dim(" · ".into()));
                    }
                    spans.extend(value_spans);
                }
                index += 1;
            }
            if matches!(task.format, Format::ActionSequence) && !record.texts("details").concat().starts_with('.') {
                spans.push((Span::raw(" "), None));
            }
            if matches!(task.format, Format::RoleTags) {
                out.push(std::mem::take(&mut spans));
            }
        }
        if !spans.is_empty() {
            out.push(spans);
        }
    }
    if out.is_empty() {
        out.push(vec![dim("(nothing extracted)".into())]);
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

/// What the task's chemistry checks find, one line for all (⚗ beside each value).
fn check_lines<'a>(task: &Task, extraction: &Extraction, theme: &Theme) -> Vec<Line<'a>> {
    let problems: Vec<String> = extraction
        .values()
        .into_iter()
        .flat_map(|(field, v)| task.value_problems(field, &v.text))
        .collect();
    if problems.is_empty() {
        return Vec::new();
    }
    vec![Line::from(vec![
        Span::styled(format!("⚗ {} to check: ", problems.len()), theme.fg(theme.warning)),
        Span::raw(problems.join(" · ")),
    ])]
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
