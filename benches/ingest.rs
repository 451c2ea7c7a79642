//! Papers in, per format: files (or pages) per second on this machine and the peak memory, for a
//! directory of 1000 JATS articles and for 100 PDF pages (the two-column test paper read 50
//! times), read through the same calls as `retort ingest`. Goals: ≥ 50 JATS files/s and ≥ 10 PDF
//! pages/s. Run: `cargo bench --bench ingest`.

use retort::input::papers::{self, PaperFormat};
use std::path::PathBuf;
use std::time::Instant;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/papers")
        .join(name)
}

/// Peak resident memory of this process so far, in MiB.
fn peak_mib() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let article = std::fs::read_to_string(fixture("jats-mof.xml")).unwrap();
    // A body as long as a real article's (about 60 KiB): the experimental section sixty times over.
    let section = article
        .split("<sec id=\"s2\">")
        .nth(1)
        .unwrap()
        .split("</body>")
        .next()
        .unwrap();
    let long = article.replace(
        "</body>",
        &format!("{}</body>", format!("<sec id=\"s2\">{section}").repeat(59)),
    );
    for i in 0..1000 {
        let text = long.replace("10.5555/retort.jats.1", &format!("10.5555/retort.jats.{i}"));
        std::fs::write(dir.path().join(format!("a{i:04}.xml")), text).unwrap();
    }
    let files = retort::input::files_under(dir.path()).unwrap().files;
    let started = Instant::now();
    let mut blocks = 0;
    for file in &files {
        blocks += papers::read(file, PaperFormat::Jats)
            .unwrap()
            .iter()
            .map(|d| d.blocks.len())
            .sum::<usize>();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "JATS: {} files ({} KiB each, {blocks} blocks) in {seconds:.2} s: {:.0} files/s; peak memory {:.0} MiB",
        files.len(),
        long.len() / 1024,
        files.len() as f64 / seconds,
        peak_mib()
    );

    let pdf = fixture("pdf/two-column.pdf");
    // PDFium is loaded once, before the clock starts (as in a run that reads many PDFs).
    papers::read(&pdf, PaperFormat::Pdf).unwrap();
    let started = Instant::now();
    let mut pages = 0;
    for _ in 0..50 {
        let documents = papers::read(&pdf, PaperFormat::Pdf).unwrap();
        pages += documents[0].blocks.iter().filter_map(|b| b.page).max().unwrap_or(0) as usize;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "PDF: {pages} pages in {seconds:.2} s: {:.0} pages/s; peak memory {:.0} MiB",
        pages as f64 / seconds,
        peak_mib()
    );
}
