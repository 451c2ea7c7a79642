//! Papers in: the JATS and USPTO readers on documents whose every block is known
//! (`tests/fixtures/papers/`), `retort ingest` with its filters and summary, and papers read
//! straight by `retort extract` and `retort review` with their places kept.

use crate::common;

use proptest::prelude::*;
use retort::input::papers::{self, Document, PaperFormat};
use retort::place::BlockKind;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/papers")
        .join(name)
}

fn read_one(name: &str, format: PaperFormat) -> Document {
    let mut documents = papers::read(&fixture(name), format).expect("the fixture reads");
    assert_eq!(documents.len(), 1);
    documents.remove(0)
}

/// (kind, section path, text) of every block.
fn outline(document: &Document) -> Vec<(BlockKind, String, String)> {
    document
        .blocks
        .iter()
        .map(|b| (b.kind, b.section.join(" / "), b.text.clone()))
        .collect()
}

/// Every block's offset points at its text in the document's text.
fn offsets_point_at_the_text(document: &Document) {
    let text: Vec<char> = document.text().chars().collect();
    for paragraph in document.paragraphs() {
        let place = paragraph.place.unwrap();
        let at: String = text[place.offset..place.offset + paragraph.text.chars().count()]
            .iter()
            .collect();
        assert_eq!(at, paragraph.text, "{}", paragraph.id);
    }
}

#[test]
fn jats_gives_sections_paragraphs_captions_tables_and_back_matter_apart() {
    let document = read_one("jats-mof.xml", PaperFormat::Jats);
    assert_eq!(document.doc, "10.5555/retort.jats.1");
    let blocks = outline(&document);
    let synthesis = "2 Experimental / 2.1 Synthesis of HKUST-1";
    let expected: Vec<(BlockKind, &str, &str)> = vec![
        (BlockKind::Title, "", "Solvothermal synthesis of Cu3(BTC)2 at 120 °C"),
        (BlockKind::Heading, "", "Abstract"),
        (
            BlockKind::Abstract,
            "Abstract",
            "We report HKUST-1 crystals grown in ethanol/water (1:1) with a BET area of 1850 m2 g−1.",
        ),
        (BlockKind::Heading, "", "1 Introduction"),
        (
            BlockKind::Paragraph,
            "1 Introduction",
            "Metal–organic frameworks (MOFs) are porous solids [1].",
        ),
        (BlockKind::Heading, "", "2 Experimental"),
        (BlockKind::Heading, "2 Experimental", "2.1 Synthesis of HKUST-1"),
        (
            BlockKind::Paragraph,
            synthesis,
            "Cu(NO3)2·3H2O (0.87 g, 3.6 mmol) and H3BTC (0.42 g, 2.0 mmol) were dissolved in 24 mL of ethanol/water and heated at 120 °C for 12 h. Blue octahedra were collected.",
        ),
        (BlockKind::Caption, synthesis, "Fig. 1 PXRD pattern of HKUST-1."),
        (BlockKind::Caption, synthesis, "Table 1 Yields at each temperature."),
        (BlockKind::Table, synthesis, "T (°C) | Yield (%)\n100 | 54\n120 | 71"),
        (BlockKind::Footnote, synthesis, "Isolated yields."),
        (BlockKind::Heading, "", "Acknowledgements"),
        (BlockKind::Paragraph, "Acknowledgements", "We thank the beamline staff."),
        (BlockKind::Heading, "", "References"),
        (
            BlockKind::Reference,
            "References",
            "1 O. M. Yaghi et al., Nature, 2003, 423, 705.",
        ),
    ];
    let expected: Vec<(BlockKind, String, String)> = expected
        .into_iter()
        .map(|(k, s, t)| (k, s.to_string(), t.to_string()))
        .collect();
    assert_eq!(blocks, expected);
    offsets_point_at_the_text(&document);
    let ids: Vec<String> = document.paragraphs().into_iter().map(|p| p.id).take(2).collect();
    assert_eq!(ids, ["10.5555/retort.jats.1#1", "10.5555/retort.jats.1#2"]);
}

#[test]
fn uspto_examples_are_sections_and_names_keep_their_hyphens() {
    let document = read_one("uspto-grant.xml", PaperFormat::UsptoXml);
    assert_eq!(document.doc, "US9999999B2");
    let blocks = outline(&document);
    let paragraphs: Vec<(&str, &str)> = blocks
        .iter()
        .filter(|(kind, _, _)| *kind == BlockKind::Paragraph)
        .map(|(_, section, text)| (section.as_str(), text.as_str()))
        .collect();
    assert_eq!(
        paragraphs,
        [
            ("Description / BACKGROUND", "Weeds compete with crops."),
            (
                "Description / PREPARATION EXAMPLES / Example 1",
                "To a solution of 8-[(2,6-diethyl-4-methylphenyl)acetyl]-1,2,4,5-tetrahydro-pyrazolo[1,2-d][1,4,5]oxadiazepine-7,9-dione (1.0 g, 2.9 mmol) in CH2Cl2 (10 mL) was added Et3N (0.6 mL)."
            ),
            (
                "Description / PREPARATION EXAMPLES / Example 2",
                "The procedure of Example 1 was repeated with THF (15 mL) at 0° C."
            ),
        ]
    );
    let claims: Vec<&str> = blocks
        .iter()
        .filter(|(kind, _, _)| *kind == BlockKind::Claim)
        .map(|(_, _, text)| text.as_str())
        .collect();
    assert_eq!(
        claims,
        [
            "1. A compound of formula (I).",
            "2. The compound of claim 1, wherein R is ethyl."
        ]
    );
    assert!(blocks.contains(&(
        BlockKind::Table,
        "Description / PREPARATION EXAMPLES / Example 2".into(),
        "Compound | Yield\n1 | 85%".into()
    )));
    assert!(blocks.contains(&(
        BlockKind::Abstract,
        "Abstract".into(),
        "Compounds of formula (I) are herbicides.".into()
    )));
    offsets_point_at_the_text(&document);
}

#[test]
fn a_bulk_patent_file_holds_each_document() {
    let one = std::fs::read_to_string(fixture("uspto-grant.xml")).unwrap();
    let two = one.replace("09999999", "09999998");
    let documents = papers::read_text(&format!("{one}{two}"), PaperFormat::UsptoXml, "ipg240102").unwrap();
    let numbers: Vec<&str> = documents.iter().map(|d| d.doc.as_str()).collect();
    assert_eq!(numbers, ["US9999999B2", "US9999998B2"]);
}

#[test]
fn malformed_xml_is_named_with_line_and_column() {
    let error = papers::read(&fixture("broken.xml"), PaperFormat::Jats)
        .unwrap_err()
        .to_string();
    assert!(error.contains("broken.xml:6:"), "{error}");
    assert!(error.contains("column 5"), "{error}");
}

#[test]
fn formats_are_told_by_content() {
    use retort::input::{InputKind, kind_of};
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("download.bin");
    std::fs::copy(fixture("jats-mof.xml"), &renamed).unwrap();
    assert_eq!(kind_of(&renamed).unwrap(), InputKind::Paper(PaperFormat::Jats));
    assert_eq!(
        kind_of(&fixture("uspto-grant.xml")).unwrap(),
        InputKind::Paper(PaperFormat::UsptoXml)
    );
    let pdf = dir.path().join("scan.dat");
    std::fs::write(&pdf, b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n").unwrap();
    assert_eq!(kind_of(&pdf).unwrap(), InputKind::Paper(PaperFormat::Pdf));
    let svg = dir.path().join("plot.xml");
    std::fs::write(&svg, "<?xml version=\"1.0\"?><svg/>").unwrap();
    assert!(matches!(kind_of(&svg).unwrap(), InputKind::Unsupported(why) if why.contains("JATS")));
}

fn papers_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus/patents");
    std::fs::create_dir_all(&corpus).unwrap();
    std::fs::copy(fixture("jats-mof.xml"), dir.path().join("corpus/jats-mof.xml")).unwrap();
    std::fs::copy(fixture("uspto-grant.xml"), corpus.join("uspto-grant.xml")).unwrap();
    std::fs::copy(fixture("pdf/two-column.pdf"), dir.path().join("corpus/two-column.pdf")).unwrap();
    dir
}

fn lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    common::retort_in(dir).args(args).output().unwrap()
}

#[test]
fn ingest_reads_a_folder_filters_and_summarises_each_file() {
    let dir = papers_dir();
    let corpus = dir.path().join("corpus");
    let out = run(dir.path(), &["ingest", corpus.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let all = lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(all.len(), 16 + 15 + 20, "every block of the three documents");
    assert!(
        err.contains("jats-mof.xml: 10.5555/retort.jats.1 (JATS XML): 16 blocks"),
        "{err}"
    );
    assert!(
        err.contains("uspto-grant.xml: US9999999B2 (USPTO patent XML): 15 blocks"),
        "{err}"
    );
    assert!(err.contains("two-column.pdf: two-column (PDF): 20 blocks"), "{err}");
    assert!(err.contains("2 pages"), "{err}");
    let pdf_lines: Vec<&serde_json::Value> = all.iter().filter(|l| l["doc"] == "two-column").collect();
    assert!(
        pdf_lines.iter().all(|l| l["page"].is_u64()),
        "PDF blocks carry their page"
    );
    let first = &all[0];
    for key in ["id", "doc", "kind", "section", "text", "offset"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }

    let output = dir.path().join("examples.jsonl");
    let out = run(
        dir.path(),
        &[
            "ingest",
            corpus.to_str().unwrap(),
            "--kinds",
            "paragraph",
            "--section",
            "*Example*",
            "--output",
            output.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let kept = lines(&std::fs::read_to_string(&output).unwrap());
    let ids: Vec<&str> = kept.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["US9999999B2#9", "US9999999B2#11"]);
    assert_eq!(kept[0]["section"][2], "Example 1");
    assert_eq!(kept[0]["offset"], 163);
}

#[test]
fn ingest_skips_what_it_cannot_read_names_it_and_says_so_in_its_status() {
    let dir = papers_dir();
    let corpus = dir.path().join("corpus");
    std::fs::copy(fixture("broken.xml"), corpus.join("broken.xml")).unwrap();
    std::fs::write(corpus.join("empty.txt"), "").unwrap();
    let out = run(dir.path(), &["ingest", corpus.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("broken.xml:6: column 5"), "{err}");
    assert!(err.contains("empty.txt: the file is empty"), "{err}");
    assert!(err.contains("2 skipped"), "{err}");
    assert_eq!(
        lines(&String::from_utf8_lossy(&out.stdout)).len(),
        16 + 15 + 20,
        "the readable files are all written"
    );
}

/// `retort extract` reads papers straight (prose by default, `--section` picking the worked
/// examples), and each line keeps the block's place and each value's span in the document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_reads_papers_and_keeps_where_each_value_is() {
    let dir = papers_dir();
    let server = common::mock::answering("THF").await;
    common::mock::write_profile(dir.path(), &server, "");
    let corpus = dir.path().join("corpus");
    let output = dir.path().join("runs.jsonl");
    let root = dir.path().to_path_buf();
    let args = [
        "extract",
        "--task",
        "compound",
        "--model",
        "smol",
        "--input",
        corpus.to_str().unwrap(),
        "--section",
        "*Example*",
        "--output",
        output.to_str().unwrap(),
    ]
    .map(String::from);
    let out = tokio::task::spawn_blocking(move || common::retort_in(&root).args(&args).output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written = lines(&std::fs::read_to_string(&output).unwrap());
    let ids: Vec<&str> = written.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "the two example paragraphs: {ids:?}");
    let second = written.iter().find(|l| l["id"] == "US9999999B2#11").unwrap();
    assert_eq!(second["doc"], "US9999999B2");
    assert_eq!(second["section"][2], "Example 2");
    assert_eq!(second["offset"], 356);
    let thf = "The procedure of Example 1 was repeated with ".chars().count();
    assert_eq!(second["document_spans"][0]["start"], 356 + thf);
    assert_eq!(second["document_spans"][0]["text"], "THF");

    // The review queue reads the same folder, prose only: abstracts and paragraphs.
    let out = run(
        dir.path(),
        &["review", "--task", "compound", corpus.to_str().unwrap(), "--summary"],
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(summary.contains("(compound): 20 paragraphs"), "{summary}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// No input makes a reader panic: arbitrary text, and the fixtures cut anywhere.
    #[test]
    fn readers_never_panic(text in ".{0,400}", cut in 0usize..4000) {
        for format in [PaperFormat::Jats, PaperFormat::UsptoXml, PaperFormat::UsptoSgml, PaperFormat::UsptoAps, PaperFormat::Elsevier, PaperFormat::Tei, PaperFormat::Html, PaperFormat::Text] {
            let _ = papers::read_text(&text, format, "t");
        }
        for name in ["jats-mof.xml", "uspto-grant.xml", "elsevier-nmr.xml", "grobid-tei.xml", "uspto-2002-grant.xml", "uspto-aps.txt", "rsc-article.html"] {
            let whole = std::fs::read_to_string(fixture(name)).unwrap();
            let mut at = cut.min(whole.len());
            while !whole.is_char_boundary(at) {
                at -= 1;
            }
            for format in [PaperFormat::Jats, PaperFormat::UsptoXml, PaperFormat::UsptoSgml, PaperFormat::UsptoAps, PaperFormat::Elsevier, PaperFormat::Tei, PaperFormat::Html] {
                let _ = papers::read_text(&whole[..at], format, "t");
            }
            let _ = retort::input::kind_of_text(&whole.as_bytes()[..at]);
        }
    }
}

/// The workbench opens a paper as a queue of its prose blocks: the source pane's title says
/// where the block sits, `>` and `<` walk the blocks without deciding, and the jump list is the
/// paper's outline (kind and section of each block).
#[test]
fn the_workbench_walks_a_paper_block_by_block() {
    use retort::review::open::{Access, ReviewOptions, open_file};
    use retort::tui::action::{Action, Command};
    use retort::tui::state::Overlay;
    use retort::tui::update::update;
    let dir = tempfile::tempdir().unwrap();
    let mut state = common::tui_state("compound", "", 160, 48);
    let options = ReviewOptions {
        task: Some("compound".into()),
        ..ReviewOptions::default()
    };
    let opened = open_file(
        &fixture("uspto-grant.xml"),
        &options,
        &state.tasks.clone(),
        dir.path(),
        Access::Read,
    )
    .unwrap();
    let annotators = retort::side::PerSide::new(Some(0), None);
    let review = retort::tui::review::ReviewState::new(opened, annotators, 1);
    let effects = update(&mut state, Action::QueueOpened(Box::new(review), Vec::new()));
    // The look-ahead's lines will keep each block's place, as extract's do.
    let places: Vec<String> = effects
        .iter()
        .filter_map(|e| match e {
            retort::tui::action::Effect::PreAnnotate(pre) => pre.place.as_ref().map(|p| p.doc.clone()),
            _ => None,
        })
        .collect();
    assert!(
        !places.is_empty() && places.iter().all(|d| d == "US9999999B2"),
        "{places:?}"
    );
    assert_eq!(state.paragraph(), "Compounds of formula (I) are herbicides.");
    update(&mut state, Action::Command(Command::ReviewNext));
    update(&mut state, Action::Command(Command::ReviewNext));
    assert!(state.paragraph().starts_with("To a solution of 8-[(2,6-diethyl"));
    let screen = common::render_text(&state);
    assert!(
        screen.contains("US9999999B2 · Description › PREPARATION EXAMPLES › Example 1"),
        "{screen}"
    );
    update(&mut state, Action::Command(Command::ReviewPrev));
    assert_eq!(state.paragraph(), "Weeds compete with crops.");
    let log = state.review.as_ref().unwrap().queue.log.len();
    assert_eq!(log, 0, "walking decides nothing");

    update(&mut state, Action::Command(Command::ReviewJump));
    let Some(Overlay::Picker(outline)) = state.overlay() else {
        panic!("the jump list opens")
    };
    assert!(
        outline.items[2].contains("paragraph Description › PREPARATION EXAMPLES › Example 1"),
        "{:?}",
        outline.items
    );
}

/// The paragraphs of the two-column test paper as its LaTeX source has them: blank-line blocks
/// of text under the section commands, with the markup resolved as the PDF prints it.
fn paragraphs_of_the_source() -> Vec<String> {
    let tex = std::fs::read_to_string(fixture("pdf/two-column.tex")).unwrap();
    let body = tex
        .split("\\maketitle")
        .nth(1)
        .unwrap()
        .split("\\end{document}")
        .next()
        .unwrap();
    body.split("\n\n")
        .map(|block| {
            let text: Vec<&str> = block
                .lines()
                .filter(|l| !l.starts_with('\\') && !l.trim().is_empty())
                .collect();
            text.join(" ")
                .replace("--", "–")
                .replace('~', " ")
                .replace("$_3$", "3")
                .replace("$^{1}$", "1")
                .replace("$^{2}$", "2")
                .replace("$^{-1}$", "−1")
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// A two-column pdflatex paper: every paragraph comes out whole, in reading order, across the
/// column and the page break, hyphenation undone but a name's own hyphens kept, sub- and
/// superscripts in place, the running header and page numbers gone, sections and pages kept.
#[test]
fn a_two_column_pdf_gives_whole_paragraphs_in_reading_order() {
    let document = read_one("pdf/two-column.pdf", PaperFormat::Pdf);
    let expected = paragraphs_of_the_source();
    assert_eq!(expected.len(), 11, "the source's paragraphs");
    let found: Vec<String> = document
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Paragraph && b.text != "A. Chemist")
        .map(|b| b.text.clone())
        .collect();
    let whole = expected.iter().filter(|p| found.contains(p)).count();
    eprintln!("whole paragraphs: {whole} of {}", expected.len());
    assert_eq!(found, expected);
    let title = &document.blocks[0];
    assert_eq!(
        (title.kind, title.text.as_str()),
        (BlockKind::Title, "Solvothermal Synthesis of a Copper Framework")
    );
    let synthesis = document
        .blocks
        .iter()
        .find(|b| b.text.starts_with("Copper nitrate"))
        .unwrap();
    assert_eq!(synthesis.section, ["2 Experimental", "2.2 Synthesis of the framework"]);
    assert!(
        synthesis
            .text
            .contains("8-[(2,6-diethyl-4-methylphenyl)acetyl]-1,2,4,5-tetrahydropyrazolo")
    );
    let slow = document
        .blocks
        .iter()
        .find(|b| b.text.starts_with("Slow cooling"))
        .unwrap();
    assert_eq!(slow.page, Some(2));
    let across_pages = document
        .blocks
        .iter()
        .find(|b| b.text.starts_with("The yield of seventy"))
        .unwrap();
    assert_eq!(across_pages.page, Some(1), "a paragraph is on the page it starts on");
    assert!(
        document.blocks.iter().all(|b| !b.text.contains("Retort Test Journal")),
        "the running header is dropped"
    );
    assert!(
        document.blocks.iter().all(|b| b.text != "1" && b.text != "2"),
        "page numbers are dropped"
    );
    offsets_point_at_the_text(&document);
}

#[test]
fn a_pdf_without_text_or_cut_short_is_named_with_what_to_do() {
    let scan = papers::read(&fixture("pdf/no-text.pdf"), PaperFormat::Pdf)
        .unwrap_err()
        .to_string();
    assert!(scan.contains("no-text.pdf") && scan.contains("ocrmypdf"), "{scan}");
    let cut = papers::read(&fixture("pdf/truncated.pdf"), PaperFormat::Pdf)
        .unwrap_err()
        .to_string();
    assert!(
        cut.contains("truncated.pdf") && cut.contains("broken or truncated"),
        "{cut}"
    );
}

/// A PDF locked with a password is named with what to do; one encrypted with only an owner
/// password (permissions, as many publishers' are) opens and reads as the plain file does.
#[test]
fn an_encrypted_pdf_is_read_unless_it_needs_a_password() {
    let locked = papers::read(&fixture("pdf/password.pdf"), PaperFormat::Pdf)
        .unwrap_err()
        .to_string();
    assert!(
        locked.contains("password.pdf") && locked.contains("encrypted with a password") && locked.contains("qpdf"),
        "{locked}"
    );
    let texts = |name: &str| -> Vec<String> {
        read_one(name, PaperFormat::Pdf)
            .blocks
            .into_iter()
            .map(|b| b.text)
            .collect()
    };
    let plain = texts("pdf/two-column.pdf");
    assert!(plain.len() > 5);
    assert_eq!(texts("pdf/owner-only.pdf"), plain);
}

fn glyph() -> impl Strategy<Value = retort::input::papers::pdf::Glyph> {
    (
        prop::char::any(),
        any::<bool>(),
        prop::bool::weighted(0.05),
        (-50.0f32..700.0, -50.0f32..900.0, 0.0f32..20.0, 0.0f32..20.0),
        prop_oneof![Just(10.0f32), Just(7.0), Just(14.4), 0.0f32..40.0],
        any::<bool>(),
    )
        .prop_map(|(ch, generated, hyphen, (x, y, w, h), size, bold)| {
            let ch = if generated && (ch as u32).is_multiple_of(3) {
                '\n'
            } else {
                ch
            };
            retort::input::papers::pdf::Glyph {
                ch,
                generated,
                hyphen,
                x0: x,
                y0: y,
                x1: x + w,
                y1: y + h,
                size,
                bold,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The PDF layout never panics, whatever characters and boxes a PDF holds (NaN-free but
    /// overlapping, zero-sized, off the page), and keeps no block empty.
    #[test]
    fn the_pdf_layout_never_panics(pages in prop::collection::vec(prop::collection::vec(glyph(), 0..200), 0..4)) {
        let pages: Vec<retort::input::papers::pdf::PageGlyphs> = pages
            .into_iter()
            .map(|glyphs| retort::input::papers::pdf::PageGlyphs { width: 595.0, height: 842.0, glyphs })
            .collect();
        let blocks = retort::input::papers::pdf::blocks_of(&pages);
        prop_assert!(blocks.iter().all(|b| !b.text.trim().is_empty()));
    }
}

/// Without PDFium a PDF is skipped with how to get it, and the rest of the folder is read.
#[test]
fn without_pdfium_a_pdf_is_skipped_saying_how_to_get_it() {
    let dir = papers_dir();
    let out = common::retort_in(dir.path())
        .env("RETORT_CACHE_DIR", dir.path().join("no-cache"))
        .env_remove("RETORT_PDFIUM")
        .args(["ingest", dir.path().join("corpus").to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("two-column.pdf: reading PDFs needs PDFium"), "{err}");
    assert!(err.contains("./run.sh"), "{err}");
    assert_eq!(lines(&String::from_utf8_lossy(&out.stdout)).len(), 16 + 15);
}

#[test]
fn elsevier_and_grobid_tei_give_the_same_kind_of_blocks() {
    let elsevier = read_one("elsevier-nmr.xml", PaperFormat::Elsevier);
    assert_eq!(elsevier.doc, "10.5555/retort.elsevier.1");
    let blocks = outline(&elsevier);
    let section = "2 Experimental / 2.1 4-Bromoanisole";
    assert!(blocks.contains(&(
        BlockKind::Paragraph,
        section.into(),
        "Anisole (1.08 g, 10 mmol) in CH3COOH (20 mL) was treated with Br2. 1H NMR (400 MHz, CDCl3) δ 7.37 (d, J = 9.0 Hz, 2H).".into()
    )));
    assert!(blocks.contains(&(BlockKind::Table, section.into(), "Solvent | Yield\nAcOH | 92%".into())));
    assert!(blocks.contains(&(
        BlockKind::Abstract,
        "Abstract".into(),
        "Anisole was brominated in acetic acid.".into()
    )));
    assert!(blocks.contains(&(
        BlockKind::Reference,
        "References".into(),
        "[1] A. Author, J. Org. Chem. 1990, 55, 1.".into()
    )));
    offsets_point_at_the_text(&elsevier);

    let tei = read_one("grobid-tei.xml", PaperFormat::Tei);
    assert_eq!(tei.doc, "10.5555/retort.tei.1");
    let blocks = outline(&tei);
    assert!(blocks.contains(&(
        BlockKind::Paragraph,
        "2 Experimental / 2.1 Gel preparation".into(),
        "TEOS (10.4 g) and TPAOH (40 wt%, 5.1 g) were mixed with HF (0.5 mL).".into()
    )));
    assert!(blocks.contains(&(
        BlockKind::Paragraph,
        "3 Results".into(),
        "Crystals of 20 µm formed after 7 d at 170 °C.".into()
    )));
    assert!(blocks.contains(&(
        BlockKind::Caption,
        "2 Experimental / 2.1 Gel preparation".into(),
        "Fig. 1 SEM image of the crystals.".into()
    )));
    let headings = blocks
        .iter()
        .filter(|(k, _, t)| *k == BlockKind::Heading && t == "Acknowledgements")
        .count();
    assert_eq!(headings, 1);
    assert!(blocks.contains(&(
        BlockKind::Reference,
        "References".into(),
        "Fluoride route Nature 1978".into()
    )));
    offsets_point_at_the_text(&tei);

    use retort::input::{InputKind, kind_of};
    assert_eq!(
        kind_of(&fixture("elsevier-nmr.xml")).unwrap(),
        InputKind::Paper(PaperFormat::Elsevier)
    );
    assert_eq!(
        kind_of(&fixture("grobid-tei.xml")).unwrap(),
        InputKind::Paper(PaperFormat::Tei)
    );
}

/// The USPTO's older full text: 2001–2004 XML with its ISO entities, 1976–2000 APS text with its
/// four-letter fields and spelled-out characters; worked examples are sections in both.
#[test]
fn older_patents_read_like_the_v4_ones() {
    let grant = read_one("uspto-2002-grant.xml", PaperFormat::UsptoSgml);
    assert_eq!(grant.doc, "US6334567B1");
    let blocks = outline(&grant);
    assert_eq!(
        blocks[0],
        (
            BlockKind::Title,
            String::new(),
            "Process for preparing α-amino acids".into()
        )
    );
    assert!(blocks.contains(&(
        BlockKind::Paragraph,
        "Description / EXAMPLES / EXAMPLE 1".into(),
        "Glycine (7.5 g) in 50 ml of water was stirred with 10 μl of enzyme at 37° C.±1° C.; the pH was 7.2–7.4 &foo; kept.".into()
    )));
    assert!(blocks.contains(&(
        BlockKind::Claim,
        "Claims".into(),
        "1. A process for preparing an α-amino acid.".into()
    )));

    let aps = read_one("uspto-aps.txt", PaperFormat::UsptoAps);
    assert_eq!(aps.doc, "US3930546");
    let blocks = outline(&aps);
    assert_eq!(blocks[0].2, "Process for the preparation of substituted benzoic acids");
    assert!(blocks.contains(&(
        BlockKind::Paragraph,
        "Description / PREPARATION EXAMPLES / Example 1".into(),
        "4-Chlorotoluene (12.6 g, 0.1 mol) and cobalt acetate (0.5 g) in acetic acid (100 ml) were heated at 110° C. under air.".into()
    )));
    let claims: Vec<&str> = blocks
        .iter()
        .filter(|b| b.0 == BlockKind::Claim)
        .map(|b| b.2.as_str())
        .collect();
    assert_eq!(
        claims,
        [
            "1. A process which comprises oxidizing a toluene with air.",
            "2. The process of claim 1 wherein the catalyst is cobalt acetate."
        ]
    );
    offsets_point_at_the_text(&aps);

    use retort::input::{InputKind, kind_of};
    assert_eq!(
        kind_of(&fixture("uspto-2002-grant.xml")).unwrap(),
        InputKind::Paper(PaperFormat::UsptoSgml)
    );
    assert_eq!(
        kind_of(&fixture("uspto-aps.txt")).unwrap(),
        InputKind::Paper(PaperFormat::UsptoAps)
    );
}

/// A publisher's article page: meta tags give the title and DOI; navigation, scripts and the
/// footer are left out; the abstract and references are found by their ids or classes.
#[test]
fn publisher_html_gives_the_article_and_nothing_around_it() {
    let page = read_one("rsc-article.html", PaperFormat::Html);
    assert_eq!(page.doc, "10.5555/retort.html.1");
    let blocks = outline(&page);
    let expected: Vec<(BlockKind, &str, &str)> = vec![
        (BlockKind::Title, "", "A copper framework from mixed solvents"),
        (BlockKind::Heading, "", "Abstract"),
        (
            BlockKind::Abstract,
            "Abstract",
            "HKUST-1 was made in ethanol/water with a BET area of 1850 m2 g−1.",
        ),
        (BlockKind::Heading, "", "Experimental"),
        (BlockKind::Heading, "Experimental", "Synthesis"),
        (
            BlockKind::Paragraph,
            "Experimental / Synthesis",
            "Cu(NO3)2·3H2O (0.87 g) and H3BTC (0.42 g) were heated at 120 °C.",
        ),
        (
            BlockKind::Caption,
            "Experimental / Synthesis",
            "Fig. 1 PXRD of the product.",
        ),
        (BlockKind::Caption, "Experimental / Synthesis", "Table 1 Yields."),
        (BlockKind::Table, "Experimental / Synthesis", "T | Yield\n120 °C | 71%"),
        (BlockKind::Heading, "", "Conclusions"),
        (BlockKind::Paragraph, "Conclusions", "Mixed solvents help."),
        (BlockKind::Heading, "", "References"),
        (
            BlockKind::Reference,
            "References",
            "O. M. Yaghi, Nature, 2003, 423, 705.",
        ),
    ];
    let expected: Vec<(BlockKind, String, String)> = expected
        .into_iter()
        .map(|(k, s, t)| (k, s.to_string(), t.to_string()))
        .collect();
    assert_eq!(blocks, expected);
    offsets_point_at_the_text(&page);
    use retort::input::{InputKind, kind_of};
    assert_eq!(
        kind_of(&fixture("rsc-article.html")).unwrap(),
        InputKind::Paper(PaperFormat::Html)
    );
}

/// ACS's article pages set paragraphs as `div.NLM_p` and captions as `div.caption`, under
/// `NLM_sec` sections: read as paragraphs and captions, citation links kept as text.
#[test]
fn acs_pages_paragraphs_in_divs_are_read() {
    let page = read_one("acs-article.html", PaperFormat::Html);
    assert_eq!(page.doc, "10.5555/retort.acs.2");
    let blocks = outline(&page);
    let expected: Vec<(BlockKind, &str, &str)> = vec![
        (BlockKind::Title, "", "Zinc Frameworks from Water"),
        (BlockKind::Heading, "", "Abstract"),
        (
            BlockKind::Abstract,
            "Abstract",
            "ZIF-8 forms in water at 25 °C within 10 min.",
        ),
        (BlockKind::Heading, "", "Experimental Section"),
        (BlockKind::Heading, "Experimental Section", "Synthesis of ZIF-8"),
        (
            BlockKind::Paragraph,
            "Experimental Section / Synthesis of ZIF-8",
            "Zn(NO3)2·6H2O (0.59 g) in water (4 mL) was added to 2-methylimidazole (11.35 g) in water (40 mL) (1).",
        ),
        (
            BlockKind::Paragraph,
            "Experimental Section / Synthesis of ZIF-8",
            "The solid was washed with methanol and dried at 80 °C.",
        ),
        (
            BlockKind::Caption,
            "Experimental Section / Synthesis of ZIF-8",
            "Figure 1. PXRD of ZIF-8.",
        ),
        (BlockKind::Heading, "", "References"),
        (BlockKind::Reference, "References", "Park, K. S. PNAS 2006, 103, 10186."),
    ];
    let expected: Vec<(BlockKind, String, String)> = expected
        .into_iter()
        .map(|(k, s, t)| (k, s.to_string(), t.to_string()))
        .collect();
    assert_eq!(blocks, expected);
    offsets_point_at_the_text(&page);
}
