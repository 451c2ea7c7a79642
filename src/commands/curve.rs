//! `retort curve`: points scored, the table printed, the plot written, and the chart drawn in
//! the terminal when there is one.

use super::{config_error, nothing_scored, setup};
use crate::cli::SummaryFormat;
use crate::config::Paths;
use crate::curve::{self, Curves};
use crate::stdout::{out, outln};
use anyhow::{Result, anyhow};
use std::io::IsTerminal;

pub fn curve(paths: &Paths, args: crate::cli::CurveArgs) -> Result<()> {
    let crate::cli::CurveArgs {
        task,
        gold,
        measure,
        out,
        format,
        generic,
        points,
    } = args;
    let registry = setup(paths).registry;
    let task = registry.require(&task).map_err(config_error)?;
    let specs = points
        .iter()
        .map(|p| curve::parse_point(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(config_error)?;
    let scoring = crate::eval::Scoring {
        lowercase: false,
        generic,
    };
    let curves = curve::score(task, gold.as_deref(), &specs, &measure, scoring).map_err(config_error)?;
    if curves.measures.is_empty() {
        return Err(config_error(format!("no measure of {} matches {measure:?}", task.name)));
    }
    let svg = out.with_extension("svg");
    let png = out.with_extension("png");
    let inputs: Vec<&std::path::Path> = gold
        .iter()
        .map(|g| g.as_path())
        .chain(specs.iter().map(|s| s.file.as_path()))
        .collect();
    for output in [&svg, &png] {
        crate::atomic::refuse_same_file(output, inputs.iter().copied()).map_err(config_error)?;
    }
    curve::plot::write(&curves, curves.headline(), &svg, &png)?;
    match format {
        SummaryFormat::Table => out!("{}", curve::render_table(&curves))?,
        SummaryFormat::Json => outln!("{}", serde_json::to_string_pretty(&curves)?)?,
    }
    crate::stdout::errln!("wrote {} and {}", svg.display(), png.display());
    if format == SummaryFormat::Table && std::io::stdout().is_terminal() {
        show_chart(&curves)?;
    }
    let empty = curves
        .points
        .iter()
        .map(|p| (p.file.display().to_string(), p.nothing_scored.clone()));
    nothing_scored("points without a score (left out of the plot):", empty)
}

/// Draws the chart below the table, in the terminal's own scrollback (an inline viewport).
fn show_chart(curves: &Curves) -> Result<()> {
    let measure = curves.headline();
    let data = curve::chart::series_points(curves, measure);
    let mut terminal = ratatui::init_with_options(ratatui::TerminalOptions {
        viewport: ratatui::Viewport::Inline(16),
    });
    let drawn = terminal.draw(|frame| frame.render_widget(curve::chart::chart(curves, measure, &data), frame.area()));
    ratatui::restore();
    outln!()?;
    drawn.map(|_| ()).map_err(|e| anyhow!("drawing the chart: {e}"))
}
