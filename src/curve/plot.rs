//! The learning curve as SVG and PNG (plotters): a measure against the number of training
//! examples, a line per series, baselines as dashed flat lines. Text is drawn with the DejaVu
//! Sans the binary carries, so a headless box without fonts draws the same picture.

use super::Curves;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Pixels of the PNG (and the SVG's size).
pub const SIZE: (u32, u32) = (900, 560);

const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];

#[derive(Debug, thiserror::Error)]
#[error("drawing {path}: {message}")]
pub struct PlotError {
    path: String,
    message: String,
}

fn fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    });
}

/// Writes the plot of measure `measure` (an index into `curves.measures`) as SVG and PNG.
pub fn write(curves: &Curves, measure: usize, svg: &Path, png: &Path) -> Result<(), PlotError> {
    fonts();
    let failed = |path: &Path| {
        let path = path.display().to_string();
        move |e: String| PlotError { path, message: e }
    };
    let mut text = String::new();
    draw(
        SVGBackend::with_string(&mut text, SIZE).into_drawing_area(),
        curves,
        measure,
    )
    .map_err(failed(svg))?;
    crate::atomic::write(svg, text).map_err(|e| failed(svg)(e.to_string()))?;
    // The PNG encoder writes to a path: a temporary one beside the target, renamed when whole.
    let temporary = tempfile::Builder::new()
        .prefix(".curve.")
        .suffix(".png")
        .tempfile_in(
            png.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
        .map_err(|e| failed(png)(e.to_string()))?;
    draw(
        BitMapBackend::new(temporary.path(), SIZE).into_drawing_area(),
        curves,
        measure,
    )
    .map_err(failed(png))?;
    temporary.persist(png).map_err(|e| failed(png)(e.to_string()))?;
    Ok(())
}

/// Sizes are plotted on a log scale when they span more than a factor of 20.
fn log_scale(curves: &Curves) -> bool {
    let sizes: Vec<usize> = curves.points.iter().filter_map(|p| p.size).collect();
    match (sizes.iter().min(), sizes.iter().max()) {
        (Some(&min), Some(&max)) if min > 0 => max >= 20 * min,
        _ => false,
    }
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, curves: &Curves, measure: usize) -> Result<(), String> {
    let error = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(error)?;
    let log = log_scale(curves);
    let x_of = |n: usize| if log { (n as f64).log10() } else { n as f64 };
    let sized: Vec<f64> = curves.points.iter().filter_map(|p| p.size.map(x_of)).collect();
    let (x_min, x_max) = match (
        sized.iter().copied().reduce(f64::min),
        sized.iter().copied().reduce(f64::max),
    ) {
        (Some(a), Some(b)) if b > a => (a, b),
        (Some(a), _) => (a - 1.0, a + 1.0),
        _ => (0.0, 1.0),
    };
    let values: Vec<f64> = curves
        .points
        .iter()
        .filter_map(|p| p.values.get(measure).copied().flatten())
        .collect();
    let (y_min, y_max) = if values.iter().all(|v| (0.0..=1.0).contains(v)) {
        (0.0, 1.0)
    } else {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (
            lo - 0.05 * (hi - lo).abs().max(1.0),
            hi + 0.05 * (hi - lo).abs().max(1.0),
        )
    };
    let name = curves.measures.get(measure).map_or(String::new(), |m| m.label());
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{}: {name}", curves.task), ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(x_min..x_max, y_min..y_max)
        .map_err(error)?;
    chart
        .configure_mesh()
        .x_desc(if log {
            "training examples (log scale)"
        } else {
            "training examples"
        })
        .y_desc(name.clone())
        .x_label_formatter(&|x| {
            let n = if log { 10f64.powf(*x) } else { *x };
            format!("{}", n.round())
        })
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(error)?;
    for (i, series) in curves.series().into_iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let mut sized: Vec<(f64, f64)> = Vec::new();
        let mut flat: Vec<f64> = Vec::new();
        for point in curves.points.iter().filter(|p| p.series == series) {
            let Some(value) = point.values.get(measure).copied().flatten() else {
                continue;
            };
            match point.size {
                Some(n) => sized.push((x_of(n), value)),
                None => flat.push(value),
            }
        }
        sized.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !sized.is_empty() {
            chart
                .draw_series(LineSeries::new(sized.clone(), colour.stroke_width(2)))
                .map_err(error)?
                .label(series.to_string())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
            chart
                .draw_series(sized.iter().map(|&(x, y)| Circle::new((x, y), 4, colour.filled())))
                .map_err(error)?;
        }
        for value in flat {
            // Prompt-only at the left, where the curve's fine-tuned points start from.
            chart
                .draw_series(std::iter::once(Circle::new((x_min, value), 6, colour.filled())))
                .map_err(error)?;
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x_min, value), (x_max, value)],
                    8,
                    6,
                    colour.stroke_width(2),
                ))
                .map_err(error)?
                .label(format!("{series} (no fine-tuning)"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(1)));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(error)?;
    root.present().map_err(error)?;
    Ok(())
}
