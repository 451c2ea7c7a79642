//! Tables and captions as the source sets them: a cell's lines stay apart in every reader that
//! makes table blocks, a caption's title and text are not glued, and each figure supplement (and
//! its source data) is a caption block of its own, with its label.

use retort::input::papers::{self, PaperFormat};
use retort::place::BlockKind;

fn blocks_of(text: &str, format: PaperFormat, kind: BlockKind) -> Vec<String> {
    let documents = papers::read_text(text, format, "t").unwrap();
    documents[0]
        .blocks
        .iter()
        .filter(|b| b.kind == kind)
        .map(|b| b.text.clone())
        .collect()
}

const JATS: &str = r#"<?xml version="1.0"?>
<article><front><article-meta><title-group><article-title>T</article-title></title-group></article-meta></front>
<body><sec><title>Results</title>
<p>Anodes were compared.</p>
<table-wrap id="t1"><label>Table 1</label><caption><title>Anode materials.</title><p>Capacities at 0.1 C.</p></caption>
<table><thead><tr><th>Class</th><th>Capacity</th></tr></thead>
<tbody><tr><td><list><list-item><p>Insertion/de-insertion materials</p></list-item><list-item><p>A. Carbonaceous</p></list-item></list></td><td>200–600<break/>1116780/1116</td></tr>
<tr><td><p>Hard carbons</p><p>CNTs</p></td><td>372</td></tr></tbody></table>
<table-wrap-foot><p>a At 25 °C.</p></table-wrap-foot></table-wrap>
<fig-group>
<fig id="fig1"><label>Figure 1.</label><caption><title>Binding of mouse KRAB-ZFPs.</title><p>(A) Probability of binding.<supplementary-material id="fig1sdata1"><label>Figure 1—source data 1.</label><caption><title>Raw counts.</title></caption></supplementary-material></p></caption><graphic/></fig>
<fig id="fig1s1" specific-use="child-fig"><label>Figure 1—figure supplement 1.</label><caption><title>Purified proteins.</title><p>Gel.</p></caption><graphic/></fig>
</fig-group>
<fig id="fig2"><label>Figure 2.</label><caption><title>Parent.</title></caption><graphic/>
<p><fig id="fig2s1"><label>Figure 2—figure supplement 1.</label><caption><title>Nested supplement.</title></caption><graphic/></fig></p></fig>
</sec></body></article>"#;

#[test]
fn a_jats_cell_keeps_its_lines_apart() {
    let tables = blocks_of(JATS, PaperFormat::Jats, BlockKind::Table);
    assert_eq!(
        tables,
        [
            "Class | Capacity\nInsertion/de-insertion materials; A. Carbonaceous | 200–600; 1116780/1116\nHard carbons; CNTs | 372"
        ]
    );
}

#[test]
fn each_caption_is_its_own_block_with_its_label() {
    let captions = blocks_of(JATS, PaperFormat::Jats, BlockKind::Caption);
    assert_eq!(
        captions,
        [
            "Table 1 Anode materials. Capacities at 0.1 C.",
            "Figure 1. Binding of mouse KRAB-ZFPs. (A) Probability of binding.",
            "Figure 1—source data 1. Raw counts.",
            "Figure 1—figure supplement 1. Purified proteins. Gel.",
            "Figure 2. Parent.",
            "Figure 2—figure supplement 1. Nested supplement.",
        ]
    );
    let footnotes = blocks_of(JATS, PaperFormat::Jats, BlockKind::Footnote);
    assert_eq!(footnotes, ["a At 25 °C."]);
}

#[test]
fn elsevier_and_html_cells_keep_their_lines_apart() {
    let elsevier = r#"<?xml version="1.0"?><full-text-retrieval-response xmlns="http://www.elsevier.com/xml/svapi/article/dtd" xmlns:ce="http://www.elsevier.com/xml/common/dtd"><originalText><article xmlns="http://www.elsevier.com/xml/ja/dtd"><body><ce:sections><ce:section><ce:section-title>Results</ce:section-title><ce:para>Text.</ce:para>
<ce:table id="t1"><ce:label>Table 1</ce:label><ce:caption><ce:simple-para>Yields.</ce:simple-para></ce:caption><tgroup cols="2"><tbody><row><entry>Toluene<ce:br/>THF</entry><entry>91</entry></row></tbody></tgroup></ce:table>
</ce:section></ce:sections></body></article></originalText></full-text-retrieval-response>"#;
    let tables = blocks_of(elsevier, PaperFormat::Elsevier, BlockKind::Table);
    assert_eq!(tables, ["Toluene; THF | 91"]);

    let html = r#"<html><head><title>T</title></head><body><article><h1>T</h1><p>Text.</p><table><tr><th>Solvent</th><th>Yield</th></tr><tr><td>Toluene<br>THF</td><td><p>91</p><p>(isolated)</p></td></tr></table></article></body></html>"#;
    let tables = blocks_of(html, PaperFormat::Html, BlockKind::Table);
    assert_eq!(tables, ["Solvent | Yield\nToluene; THF | 91; (isolated)"]);
}

/// Line-end hyphens in a PDF set by pdflatex: a name's own hyphens kept (`tert-butoxide`,
/// `N,N-dimethylformamide`, `2,6-diethylaniline`), syllable breaks undone (`magnesium`,
/// `decrease`), and a word the document spells joined elsewhere joined (`isopropanol`).
#[test]
fn a_pdfs_line_end_hyphens_are_decided_by_the_word_and_the_document() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/papers/pdf/hyphens.pdf");
    let documents = papers::read(&path, PaperFormat::Pdf).unwrap();
    let text: String = documents[0]
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Paragraph)
        .map(|b| b.text.clone())
        .collect();
    for kept in [
        "potassium tert-butoxide (1.2 g)",
        "N,N-dimethylformamide",
        "2,6-diethylaniline",
    ] {
        assert!(text.contains(kept), "{kept:?} in {text}");
    }
    for joined in ["over magnesium sulfate", "a decrease of", "washed with isopropanol,"] {
        assert!(text.contains(joined), "{joined:?} in {text}");
    }
}

/// A list inside a patent's paragraph: the paragraph, then each item as a paragraph of its own,
/// never glued to the paragraph before.
#[test]
fn a_uspto_list_inside_a_paragraph_is_its_own_blocks() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/papers/uspto-grant.xml");
    let xml = std::fs::read_to_string(path).unwrap().replace(
        r#"<p id="p-0002" num="0001">Weeds compete with crops.</p>"#,
        r#"<p id="p-0002" num="0001"><sup>1</sup>H NMR (CDCl<sub>3</sub>) δ 7.26 (s, 1H).<ul><li>a) the compound of Example 1;</li><li>b) a carrier.</li></ul></p>"#,
    );
    let paragraphs = blocks_of(&xml, PaperFormat::UsptoXml, BlockKind::Paragraph);
    let at = paragraphs.iter().position(|p| p.starts_with("1H NMR")).unwrap();
    assert_eq!(
        paragraphs[at..at + 3],
        [
            "1H NMR (CDCl3) δ 7.26 (s, 1H).",
            "a) the compound of Example 1;",
            "b) a carrier."
        ]
    );
}
