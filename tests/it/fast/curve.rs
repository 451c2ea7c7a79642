//! `retort curve` on the papers' recorded predictions: the table's figures are `retort eval`'s,
//! the SVG parses, the PNG has the stated size, and the terminal chart shows every series.

use crate::common;

use retort::curve::{self, PointSpec, parse_point};
use retort::task::Registry;
use std::path::PathBuf;

fn doping(file: &str) -> PathBuf {
    common::data(&format!("natcomm2024/doping/predictions/gpt3/{file}"))
}

#[test]
fn points_parse_and_bad_ones_are_named() {
    assert_eq!(
        parse_point("mistral@100=runs/m100.jsonl").unwrap(),
        PointSpec {
            series: "mistral".into(),
            size: Some(100),
            file: "runs/m100.jsonl".into()
        }
    );
    assert_eq!(parse_point("few-shot=fs.jsonl").unwrap().size, None);
    assert!(parse_point("mistral@ten=x").unwrap_err().to_string().contains("ten"));
    assert!(parse_point("no-file").is_err());
}

#[test]
fn the_table_is_evals_the_svg_parses_the_png_has_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let worse = common::lowercased_doping_predictions(dir.path());
    let registry = Registry::builtin();
    let task = registry.get("doping-eng").unwrap();
    let gold = common::data("natcomm2024/doping/test.json");
    let points = vec![
        PointSpec {
            series: "gpt3".into(),
            size: Some(10),
            file: worse.clone(),
        },
        PointSpec {
            series: "gpt3".into(),
            size: Some(1000),
            file: doping("inference_decoded_eng.json"),
        },
        PointSpec {
            series: "prompt-only".into(),
            size: None,
            file: worse.clone(),
        },
    ];
    let curves = curve::score(task, Some(&gold), &points, "f1", Default::default()).unwrap();
    let labels: Vec<String> = curves.measures.iter().map(|m| m.label()).collect();
    assert_eq!(labels, ["basemats f1", "dopants f1", "link triplets f1"]);
    for point in &curves.points {
        let report = common::eval_report("doping-eng", Some(gold.clone()), vec![point.file.clone()]);
        for (measure, value) in curves.measures.iter().zip(&point.values) {
            let expected = report.table(&measure.table).unwrap().get(&measure.row, &measure.column);
            assert_eq!(*value, expected, "{} {}", point.series, measure.label());
        }
    }
    // The full model's point is the paper's figure.
    assert!((curves.points[1].values[0].unwrap() - 0.8939).abs() < 0.0005);
    let table = curve::render_table(&curves);
    assert!(table.contains("0.8939") && table.contains("prompt-only"), "{table}");

    let (svg, png) = (dir.path().join("c.svg"), dir.path().join("c.png"));
    curve::plot::write(&curves, 0, &svg, &png).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    let document = roxmltree::Document::parse(&text).expect("the SVG parses");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    let texts: Vec<&str> = document.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.iter().any(|t| t.contains("doping-eng: basemats f1")), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("prompt-only (no fine-tuning)")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("log scale")),
        "10 to 1000 examples: a log axis"
    );
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), curve::plot::SIZE);

    // The terminal chart names every series.
    let data = curve::chart::series_points(&curves, 0);
    assert_eq!(data.len(), 2);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 20)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(curve::chart::chart(&curves, 0, &data), frame.area()))
        .unwrap();
    let screen: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        screen.contains("gpt3") && screen.contains("prompt-only (no fine-tuning)"),
        "{screen}"
    );
}

#[test]
fn the_command_prints_json_and_writes_the_plot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plot");
    let output = common::retort_in(dir.path())
        .args(["curve", "--task", "doping-eng", "--gold"])
        .arg(common::data("natcomm2024/doping/test.json"))
        .args(["--measure", "triplets", "--format", "json", "--out"])
        .arg(&out)
        .arg(format!("gpt3@77={}", doping("inference_decoded_eng.json").display()))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["points"][0]["size"], 77);
    let f1 = json["points"][0]["values"][2].as_f64().unwrap();
    assert!((f1 - 0.7783).abs() < 0.0005, "{json}");
    assert!(out.with_extension("svg").exists() && out.with_extension("png").exists());
    let refused = common::retort_in(dir.path())
        .args(["curve", "--task", "doping-eng", "bad-point"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
}
