//! Every parser is total (any text gives Ok or a positioned error, never a panic), and for every
//! format rendering a parsed answer and parsing it again gives the same extraction.

use proptest::prelude::*;
use retort::task::{Registry, Task};

fn tasks() -> Vec<Task> {
    Registry::builtin().tasks
}

/// Text that looks like the formats: their punctuation, keywords and Unicode traps.
fn format_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "<",
        ">",
        "*",
        "<Prod*",
        "*Prod>",
        "<Reactants*",
        "*Reactants>",
        " | ",
        "; ",
        "ADD ",
        "STIR",
        ".",
        "'",
        "\n",
        "The host '",
        "' was doped with '",
        "' was doped",
        "' is a dopant",
        "Modifiers of the doping are: ",
        "There is no doping information.",
        "{",
        "}",
        "[",
        "]",
        "\"",
        ":",
        ",",
        "NaN",
        "\"IUPAC\"",
        "µ",
        "–",
        "\u{00AD}",
        "\u{2005}",
        "°C",
        "α",
        "𝛼",
        "\\",
        "\\u00b7",
        "null",
        "1.5",
        " ",
        "\"linker\"",
        "END",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_random_text(text in any::<String>()) {
        for task in tasks() {
            let _ = task.parse(&text);
        }
    }

    #[test]
    fn parsers_never_panic_on_format_like_text(text in format_like()) {
        for task in tasks() {
            match task.parse(&text) {
                Ok(extraction) => {
                    // Whatever parses renders, and the rendering parses to the same values.
                    let rendered = task.render(&extraction);
                    let again = task.parse(&rendered);
                    prop_assert!(again.is_ok(), "{}: {:?} rendered to unparsable {:?}", task.name, text, rendered);
                    // Rendering the values again writes the same text: render ∘ parse is stable.
                    let again = again.unwrap();
                    prop_assert_eq!(task.render(&again), rendered.clone(), "{}: {:?}", task.name, text);
                }
                Err(e) => {
                    prop_assert!(e.line >= 1 && e.column >= 1);
                    prop_assert!(e.line <= text.matches('\n').count() + 1, "{}: line {} beyond text", task.name, e.line);
                }
            }
        }
    }

    /// Every value grounded in a paragraph points inside it, on character boundaries, and an
    /// exact match is the very text of the value.
    #[test]
    fn grounded_spans_lie_inside_the_paragraph(paragraph in format_like(), picks in prop::collection::vec((0usize..200, 0usize..40), 0..6)) {
        let compound = tasks().into_iter().find(|t| t.name == "compound").unwrap();
        let chars: Vec<char> = paragraph.chars().collect();
        let values: Vec<String> = picks
            .iter()
            .map(|&(start, len)| {
                let start = start.min(chars.len());
                chars[start..(start + len).min(chars.len())].iter().collect::<String>()
            })
            .chain(["ZnO".to_string(), "\u{00AD}α".to_string()])
            .collect();
        let answer = values.join(" | ");
        let extraction = compound.parse_grounded(&answer, &paragraph).unwrap();
        for (_, value) in extraction.values() {
            let Some(span) = &value.span else { continue };
            prop_assert!(span.bytes.end <= paragraph.len() && span.bytes.start <= span.bytes.end);
            prop_assert!(paragraph.is_char_boundary(span.bytes.start) && paragraph.is_char_boundary(span.bytes.end));
            prop_assert_eq!(paragraph[..span.bytes.start].chars().count(), span.chars.start);
            prop_assert_eq!(paragraph[..span.bytes.end].chars().count(), span.chars.end);
            if value.alignment == retort::extraction::Alignment::Exact {
                prop_assert_eq!(&paragraph[span.bytes.clone()], value.text.as_str());
            }
        }
    }

    #[test]
    fn truncated_and_mutated_gold_never_panics(cut in 0usize..400, byte in any::<u8>(), at in 0usize..400) {
        for task in tasks() {
            for line in std::fs::read_to_string(format!("{}/sample_paragraphs/{}.jsonl", env!("CARGO_MANIFEST_DIR"), task.name)).unwrap().lines() {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                let gold = value["gold"].as_str().unwrap();
                let mut bytes = gold.as_bytes()[..cut.min(gold.len())].to_vec();
                if !bytes.is_empty() {
                    let i = at % bytes.len();
                    bytes[i] = byte;
                }
                let text = String::from_utf8_lossy(&bytes);
                let _ = task.parse(&text);
            }
        }
    }
}

#[test]
fn huge_and_binary_inputs_are_handled() {
    let huge = "a | ".repeat(200_000);
    let binary = String::from_utf8_lossy(&(0u8..=255).cycle().take(100_000).collect::<Vec<_>>()).into_owned();
    let deep = "[".repeat(10_000);
    for task in tasks() {
        let huge_result = task.parse(&huge);
        let binary_result = task.parse(&binary);
        let deep_result = task.parse(&deep);
        let _ = task.parse("");
        if matches!(task.format, retort::format::Format::Json { .. }) {
            assert!(binary_result.is_err() && deep_result.is_err(), "{}", task.name);
            let error = deep_result.unwrap_err();
            assert!(error.line >= 1 && error.column >= 1, "{}: {error:?}", task.name);
        }
        if task.name == "compound" {
            let values = huge_result.unwrap().values().len();
            // 200 000 names and the empty piece after the trailing separator, as a split gives.
            assert_eq!(values, 200_001);
        }
    }
}

#[test]
fn rendering_the_parse_of_rendered_text_is_stable() {
    for task in tasks() {
        let samples = std::fs::read_to_string(format!(
            "{}/sample_paragraphs/{}.jsonl",
            env!("CARGO_MANIFEST_DIR"),
            task.name
        ))
        .unwrap();
        for line in samples.lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let gold = value["gold"].as_str().unwrap();
            let extraction = task.parse(gold).unwrap();
            assert_eq!(task.render(&extraction), gold, "{}", task.name);
        }
    }
}

proptest! {
    /// Confidence from any tokens (cut mid-character, empty, odd bytes) never panics and stays
    /// a probability.
    #[test]
    fn value_confidence_is_total(
        tokens in prop::collection::vec((prop::collection::vec(any::<u8>(), 0..4), -20.0f64..0.0), 0..12),
        values in prop::collection::vec("[a-z°µ ]{0,4}", 0..4),
    ) {
        use retort::extraction::{Extraction, Field, Record};
        use retort::llm::logprobs::{TokenProb, assign};
        let tokens: Vec<TokenProb> = tokens.into_iter().map(|(bytes, logprob)| TokenProb { bytes, logprob }).collect();
        let mut extraction = Extraction::from_records(vec![Record::new(vec![Field::texts("compound", values)])]);
        assign(&mut extraction, &tokens);
        for (_, value) in extraction.values() {
            if let Some(c) = value.confidence {
                prop_assert!(c > 0.0 && c <= 1.0);
            }
        }
    }
}

const MODELS: &str = "# my models\n[[model]]\nname = \"a\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:8080/v1\"\nmodel = \"m\"\nmode = \"zero-shot\"\n\n[[model]]\nname = \"b\"\nengine = \"embedded\"\npath = \"/m.gguf\"\nmode = \"few-shot\"\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Whatever a server names a model, adding it leaves the other profiles as they were and
    /// stores exactly that id, or refuses it (control characters).
    #[test]
    fn the_models_file_editor_keeps_other_profiles(name in "[a-z][a-z0-9_-]{0,12}", model in any::<String>()) {
        let mut profile = retort::llm::ModelProfile::openai(&name, "http://127.0.0.1:8080/v1", "", retort::llm::profile::Mode::FineTuned);
        profile.model = model.clone();
        let before = retort::llm::profile::parse(MODELS).unwrap();
        match retort::llm::models_file::with_profile(MODELS, &profile) {
            Ok(text) => {
                prop_assert!(!model.chars().any(char::is_control));
                let after = retort::llm::profile::parse(&text).unwrap();
                prop_assert_eq!(&after[..before.len()], &before[..]);
                prop_assert_eq!(after.len(), before.len() + 1);
                prop_assert_eq!(&after[before.len()].model, &model);
            }
            Err(_) => prop_assert!(model.chars().any(char::is_control) || name == "a" || name == "b"),
        }
    }

    /// The paper readers take any text: a document or a positioned error, never a panic.
    #[test]
    fn paper_readers_never_panic(text in markup_like()) {
        use retort::input::papers::{PaperFormat, read_text};
        for format in [PaperFormat::Jats, PaperFormat::UsptoXml, PaperFormat::UsptoSgml, PaperFormat::UsptoAps, PaperFormat::Elsevier, PaperFormat::Tei, PaperFormat::Html, PaperFormat::Text] {
            let _ = read_text(&text, format, "fuzz");
        }
    }
}

/// Text made of the pieces of papers' markup, nested and broken at random.
fn markup_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<article>".to_string()),
        Just("</article>".to_string()),
        Just("<body>".to_string()),
        Just("<sec>".to_string()),
        Just("</sec>".to_string()),
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("<title>".to_string()),
        Just("</title>".to_string()),
        Just("<table><tr><td>".to_string()),
        Just("</td></tr></table>".to_string()),
        Just("<!DOCTYPE x [<!ENTITY e \"&#38;e;\">]>".to_string()),
        Just("&e;".to_string()),
        Just("&deg;".to_string()),
        Just("<div class=\"abstract\">".to_string()),
        Just("</div>".to_string()),
        Just("PATN\n".to_string()),
        Just("PAR  ".to_string()),
        Just("<us-patent-grant>".to_string()),
        Just("<description>".to_string()),
        Just("<heading>".to_string()),
        "[ -~]{0,12}",
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}
