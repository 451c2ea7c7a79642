//! Strict grounding with a fake model that proposes random tokens: whatever it writes under the
//! copy rule, every verbatim value of its answer is a substring of the paragraph, and the answer
//! still parses in the task's format. The tokens cross value boundaries (`", "`, `"}`), hold
//! escapes and separators, and half characters, as a real vocabulary's do.

use proptest::prelude::*;
use retort::llm::grounding::{Constraint, CopyRule};
use retort::llm::profile::Mode;
use retort::task::{CopyWhitespace, Registry, Task};

fn task(name: &str) -> Task {
    Registry::builtin().require(name).unwrap().clone()
}

const PARAGRAPHS: &[&str] = &[
    "5-bromo-2-chloro-N-(2-methoxyethyl)benzamide (1.2 g) was added to THF | water (3:1); the α-Fe₂O₃ and \"MOF-5\" samples, C:\\data.",
    "Zn(NO3)2·6H2O (0.30 g) and H2BDC were dissolved in DMF at 120 °C; ZnO and Zn(NO3)2 formed.",
    "",
    "NaN NaN | ' \" \\ \\u00e9 — β‐NaYF₄:Yb,Er",
];

/// A vocabulary like a real model's: pieces of the paragraph cut anywhere (even inside a
/// character), the format's punctuation, escapes, and words that are not in the paragraph.
fn vocabulary(paragraph: &str) -> Vec<Vec<u8>> {
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    let bytes = paragraph.as_bytes();
    for width in 1..=5 {
        for start in (0..bytes.len()).step_by(width.max(2) - 1) {
            pieces.push(bytes[start..(start + width).min(bytes.len())].to_vec());
        }
    }
    for extra in [
        " | ",
        " |",
        "| ",
        "\"",
        "\", \"",
        "\"}",
        "\"]",
        "\\\"",
        "\\\\",
        "\\u00",
        "e9",
        "03b1",
        "\\n",
        "NaN",
        "Na",
        "N",
        "ZnO2",
        "1-acetyl-5-bromo-7-chloroindoline",
        "benzene",
        " ",
        "\n",
        "é",
        "Fe",
        "\u{2082}",
        "!!!",
    ] {
        pieces.push(extra.as_bytes().to_vec());
    }
    // Every single byte, as a byte-level vocabulary has.
    pieces.extend((0..=255u8).map(|b| vec![b]));
    pieces
}

/// Writes `text` (a part of the answer the fake model does not choose, such as a key) through
/// the constraint; it must be accepted.
fn force(constraint: &mut Constraint, out: &mut Vec<u8>, text: &str) {
    assert!(
        constraint.allows(text.as_bytes()),
        "the copy rule refused {text:?} after {:?}",
        String::from_utf8_lossy(out)
    );
    constraint.accept(text.as_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// Whether `out` (JSON) ends inside a string's escape (`\`, `\u00`): a quote then would be
/// taken as escaped, not as the string's end.
fn inside_escape(out: &[u8]) -> bool {
    let (mut in_string, mut pending) = (false, 0usize);
    for &b in out {
        if pending > 0 {
            pending = if pending == usize::MAX {
                if b == b'u' { 4 } else { 0 }
            } else {
                pending - 1
            };
            continue;
        }
        match b {
            b'"' => in_string = !in_string,
            b'\\' if in_string => pending = usize::MAX,
            _ => {}
        }
    }
    pending > 0
}

/// The fake model: tries its tokens in a random order, takes the first the rule allows, and
/// ends the value when `close` (a closing quote, or the end) is allowed and its dice say so.
fn write_value(
    constraint: &mut Constraint,
    out: &mut Vec<u8>,
    vocabulary: &[Vec<u8>],
    dice: &mut impl Iterator<Item = u32>,
    close: Option<&str>,
) {
    for _ in 0..40 {
        let roll = dice.next().unwrap_or(0);
        let may_close = match close {
            Some(c) => !inside_escape(out) && constraint.allows(c.as_bytes()),
            None => constraint.allows_end(),
        };
        if may_close && roll.is_multiple_of(4) {
            break;
        }
        let start = roll as usize % vocabulary.len();
        let choice = (0..vocabulary.len())
            .map(|i| &vocabulary[(start + i * 7919) % vocabulary.len()])
            .find(|piece| {
                // The fake model writes value text only: ends come from the skeleton.
                !piece.contains(&b'"') && constraint.allows(piece)
            });
        match choice {
            Some(piece) => {
                constraint.accept(piece);
                out.extend_from_slice(piece);
            }
            None => break,
        }
    }
    // Finish a half-written character or escape with whatever the rule allows, then close.
    for _ in 0..12 {
        let may_close = match close {
            Some(c) => !inside_escape(out) && constraint.allows(c.as_bytes()),
            None => constraint.allows_end(),
        };
        if may_close {
            break;
        }
        let piece = vocabulary
            .iter()
            .filter(|p| !p.contains(&b'"'))
            .find(|p| constraint.allows(p))
            .unwrap_or_else(|| panic!("no way to finish the value after {:?}", String::from_utf8_lossy(out)));
        constraint.accept(piece);
        out.extend_from_slice(piece);
    }
    if let Some(c) = close {
        force(constraint, out, c);
    }
}

/// The text with each whitespace run as one space (what `copy_whitespace = "any-run"` allows).
fn folded(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_grounded(task: &Task, paragraph: &str, answer: &str, raw: &str) {
    let extraction = task
        .format
        .parse(answer, &task.fields)
        .unwrap_or_else(|e| panic!("{answer:?} does not parse: {e}"));
    for (field, value) in extraction.values() {
        let missing = task.field(field).and_then(|f| f.missing.as_deref());
        if task.is_verbatim(field) && Some(value.text.as_str()) != missing {
            let found = match task.copy_whitespace {
                CopyWhitespace::Exact => paragraph.contains(value.text.as_str()),
                CopyWhitespace::AnyRun => format!(" {} ", folded(paragraph)).contains(&folded(&value.text)),
            };
            assert!(
                found,
                "{field}: {:?} is not in the paragraph (answer {answer:?}, written {raw:?})",
                value.text
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn delimited_answers_hold_only_copies(which in 0..PARAGRAPHS.len(), dice in prop::collection::vec(any::<u32>(), 60)) {
        let task = task("compound");
        let paragraph = PARAGRAPHS[which];
        let rule = CopyRule::for_task(&task, Mode::FewShot, paragraph, &[]).unwrap();
        let mut constraint = Constraint::new(&rule);
        let mut out = Vec::new();
        write_value(&mut constraint, &mut out, &vocabulary(paragraph), &mut dice.into_iter(), None);
        prop_assert!(constraint.allows_end());
        let raw = String::from_utf8(out).expect("a copy ends on a whole character");
        let answer = retort::llm::prompt::answer_from_reply(&task, Mode::FewShot, &raw);
        assert_grounded(&task, paragraph, &answer, &raw);
    }

    #[test]
    fn under_any_run_values_differ_from_copies_in_whitespace_only(
        which in 0..PARAGRAPHS.len(),
        dice in prop::collection::vec(any::<u32>(), 60),
    ) {
        let mut task = task("compound");
        task.copy_whitespace = CopyWhitespace::AnyRun;
        // The paragraph as a PDF gives it: a line break and a run of spaces inside names.
        let paragraph = PARAGRAPHS[which].replacen(' ', "\n", 2).replacen(' ', "   ", 1);
        let rule = CopyRule::for_task(&task, Mode::FewShot, &paragraph, &[]).unwrap();
        let mut constraint = Constraint::new(&rule);
        let mut out = Vec::new();
        let mut vocabulary = vocabulary(&paragraph);
        vocabulary.extend([b" \n ".to_vec(), b"\t".to_vec()]);
        write_value(&mut constraint, &mut out, &vocabulary, &mut dice.into_iter(), None);
        prop_assert!(constraint.allows_end());
        let raw = String::from_utf8(out).expect("a copy ends on a whole character");
        let answer = retort::llm::prompt::answer_from_reply(&task, Mode::FewShot, &raw);
        assert_grounded(&task, &paragraph, &answer, &raw);
    }

    #[test]
    fn json_answers_hold_only_copies(
        which in 0..PARAGRAPHS.len(),
        name in 0..2usize,
        records in 1..3usize,
        dice in prop::collection::vec(any::<u32>(), 400),
    ) {
        let task = task(["mof-synthesis", "general-materials"][name]);
        let paragraph = PARAGRAPHS[which];
        let rule = CopyRule::for_task(&task, Mode::FineTuned, paragraph, &[]).unwrap();
        let mut constraint = Constraint::new(&rule);
        let vocabulary = vocabulary(paragraph);
        let mut dice = dice.into_iter();
        let mut out = Vec::new();
        force(&mut constraint, &mut out, "[");
        for r in 0..records {
            force(&mut constraint, &mut out, if r == 0 { "{" } else { ", {" });
            for (i, field) in task.fields.iter().enumerate() {
                let key = serde_json::to_string(&field.name).unwrap();
                force(&mut constraint, &mut out, &format!("{}{key}: ", if i == 0 { "" } else { ", " }));
                if field.list {
                    force(&mut constraint, &mut out, "[\"");
                    write_value(&mut constraint, &mut out, &vocabulary, &mut dice, Some("\""));
                    force(&mut constraint, &mut out, ", \"");
                    write_value(&mut constraint, &mut out, &vocabulary, &mut dice, Some("\"]"));
                } else {
                    force(&mut constraint, &mut out, "\"");
                    write_value(&mut constraint, &mut out, &vocabulary, &mut dice, Some("\""));
                }
            }
            force(&mut constraint, &mut out, "}");
        }
        force(&mut constraint, &mut out, "]");
        prop_assert!(constraint.allows_end());
        let answer = String::from_utf8(out).unwrap();
        assert_grounded(&task, paragraph, &answer, &answer);
    }
}

#[test]
fn invented_values_are_refused_where_copies_pass() {
    let task = task("compound");
    let paragraph = PARAGRAPHS[1];
    let rule = CopyRule::for_task(&task, Mode::FewShot, paragraph, &[]).unwrap();
    let constraint = Constraint::new(&rule);
    assert!(constraint.allows(b"Zn(NO3)2 | H2BDC | DMF"));
    assert!(!constraint.allows(b"1-acetyl-5-bromo-7-chloroindoline"));
    assert!(!constraint.allows(b"zno"), "strict grounding copies exactly");
    assert!(!constraint.allows(b"ZnO  and"), "exact unless the task says any-run");
    let mut loose = task.clone();
    loose.copy_whitespace = CopyWhitespace::AnyRun;
    let rule = CopyRule::for_task(&loose, Mode::FewShot, paragraph, &[]).unwrap();
    let constraint = Constraint::new(&rule);
    assert!(constraint.allows(b"ZnO\n and | H2BDC"));
    assert!(!constraint.allows(b"ZnOand"), "a run of whitespace is not nothing");
    // A stop string may follow a value; the answer may end only after a whole value.
    let fine_tuned = CopyRule::for_task(&task, Mode::FineTuned, paragraph, &["!!!".to_string()]).unwrap();
    let mut constraint = Constraint::new(&fine_tuned);
    assert!(constraint.allows(b"ZnO!!!"));
    constraint.accept(b"ZnO |");
    assert!(!constraint.allows_end());
    // Formats without tellable values are not constrained.
    assert!(
        CopyRule::for_task(
            Registry::builtin().require("rxn-product").unwrap(),
            Mode::FewShot,
            paragraph,
            &[]
        )
        .is_none()
    );
}
