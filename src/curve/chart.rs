//! The learning curve in the terminal: a ratatui `Chart` of one measure against the number of
//! training examples (braille lines; baselines flat).

use super::Curves;
use ratatui::layout::Constraint;
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType};

const COLOURS: [Color; 6] = [
    Color::Cyan,
    Color::Red,
    Color::Green,
    Color::Magenta,
    Color::Yellow,
    Color::Blue,
];

/// The points of each series, ready for a chart: (name, points), baselines spanning the sizes.
pub fn series_points(curves: &Curves, measure: usize) -> Vec<(String, Vec<(f64, f64)>)> {
    let sizes: Vec<f64> = curves.points.iter().filter_map(|p| p.size.map(|n| n as f64)).collect();
    let (lo, hi) = (
        sizes.iter().copied().fold(f64::INFINITY, f64::min),
        sizes.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let mut out = Vec::new();
    for series in curves.series() {
        let mut points: Vec<(f64, f64)> = Vec::new();
        for point in curves.points.iter().filter(|p| p.series == series) {
            let Some(value) = point.values.get(measure).copied().flatten() else {
                continue;
            };
            match point.size {
                Some(n) => points.push((n as f64, value)),
                None if lo.is_finite() => {
                    out.push((format!("{series} (no fine-tuning)"), vec![(lo, value), (hi, value)]));
                }
                None => {}
            }
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !points.is_empty() {
            out.push((series.to_string(), points));
        }
    }
    out
}

/// A chart widget over `data` (from `series_points`).
pub fn chart<'a>(curves: &Curves, measure: usize, data: &'a [(String, Vec<(f64, f64)>)]) -> Chart<'a> {
    let xs = data.iter().flat_map(|(_, p)| p.iter().map(|(x, _)| *x));
    let x_max = xs.clone().fold(1.0f64, f64::max);
    let x_min = xs.fold(x_max, f64::min);
    let datasets = data
        .iter()
        .enumerate()
        .map(|(i, (name, points))| {
            Dataset::default()
                .name(name.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(COLOURS[i % COLOURS.len()]))
                .data(points)
        })
        .collect();
    let label = curves.measures.get(measure).map_or(String::new(), |m| m.label());
    Chart::new(datasets)
        // The legend is the only place the series are named: always shown.
        .hidden_legend_constraints((Constraint::Ratio(1, 1), Constraint::Ratio(1, 1)))
        .block(Block::bordered().title(format!(" {}: {label} against training examples ", curves.task)))
        .x_axis(
            Axis::default()
                .bounds([x_min, x_max])
                .labels([Span::raw(format!("{x_min:.0}")), Span::raw(format!("{x_max:.0}"))]),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, 1.0])
                .labels([Span::raw("0"), Span::raw("0.5"), Span::raw("1")]),
        )
}
