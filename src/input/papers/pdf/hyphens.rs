//! Line-end hyphens, decided once the whole document is read: PDFium marks a hyphen at the end
//! of a line, and whether it is the word's own (`tert-butoxide`, `2,6-diethyl`, `N,N-dimethyl`)
//! or a break (`mag-nesium`) is told by the document's own vocabulary first (the joined or the
//! hyphenated spelling elsewhere in its text), then by the halves themselves; when in doubt the
//! hyphen stays.

use std::collections::HashSet;

/// Stands where a line ended in a hyphen, until the document's vocabulary decides it.
pub const LINE_END_HYPHEN: char = '\u{E001}';

/// Prefixes chemists hyphenate and that are no syllable of an English word (`tert-butyl`,
/// `cis-platin`): a break after one keeps the hyphen.
const HYPHENATED_PREFIXES: &[&str] = &["tert", "cis", "threo", "erythro", "rac"];

/// Prefixes hyphenated before an alkyl (`sec-butyl`, `iso-propyl`, `n-hexyl`) but syllables of
/// other words (`sec-ond`): kept only before one of these.
const ALKYL_PREFIXES: &[&str] = &["sec", "iso", "neo", "n"];
const ALKYLS: &[&str] = &[
    "butyl",
    "propyl",
    "pentyl",
    "amyl",
    "hexyl",
    "octyl",
    "butoxide",
    "propoxide",
    "butyllithium",
];

/// The words of a document's texts (lowercased, end punctuation off, inner hyphens kept), those
/// cut by a line-end hyphen left out.
pub fn vocabulary<'t>(texts: impl Iterator<Item = &'t str>) -> HashSet<String> {
    let mut words = HashSet::new();
    for text in texts {
        for word in text.split_whitespace() {
            if word.contains(LINE_END_HYPHEN) {
                continue;
            }
            let core = trim_word(word);
            if !core.is_empty() {
                words.insert(core.to_lowercase());
            }
        }
    }
    words
}

/// `text` with each line-end hyphen decided: kept as `-`, or taken out.
pub fn resolve(text: &str, vocabulary: &HashSet<String>) -> String {
    if !text.contains(LINE_END_HYPHEN) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(LINE_END_HYPHEN) {
        let (before, after) = (&rest[..at], &rest[at + LINE_END_HYPHEN.len_utf8()..]);
        out.push_str(before);
        let left = out.rsplit(char::is_whitespace).next().unwrap_or("");
        let right = after
            .split(|c: char| c.is_whitespace() || c == LINE_END_HYPHEN)
            .next()
            .unwrap_or("");
        if keeps_hyphen(left, right, vocabulary) {
            out.push('-');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Whether the hyphen between `left` (the text before it back to a space) and `right` belongs
/// to the word.
fn keeps_hyphen(left: &str, right: &str, vocabulary: &HashSet<String>) -> bool {
    let left = left.trim_start_matches(|c: char| "([{\"'“‘".contains(c));
    let right = right.trim_end_matches(|c: char| !c.is_alphanumeric());
    if left.is_empty() || right.is_empty() {
        return true;
    }
    let hyphenated = format!("{left}-{right}").to_lowercase();
    let joined = format!("{left}{right}").to_lowercase();
    if vocabulary.contains(&hyphenated) {
        return true;
    }
    if vocabulary.contains(&joined) {
        return false;
    }
    // A name's parts: locants, brackets, commas or other hyphens before (`2,6-`, `N,N-`, `(S)-`).
    let marks = left.chars().any(|c| c.is_ascii_digit() || "()[]{},-'′".contains(c));
    // `N-`, `O-`, `NH-`: a locant or group, not a syllable.
    let capitals = left.chars().count() <= 2 && left.chars().all(|c| c.is_ascii_uppercase());
    let lower = left.to_lowercase();
    let prefix = HYPHENATED_PREFIXES.contains(&lower.as_str())
        || (ALKYL_PREFIXES.contains(&lower.as_str()) && ALKYLS.iter().any(|a| right.to_lowercase().starts_with(a)));
    // What follows is a name's part too: a locant, a capital, a bracket (`-4-methyl`, `-N`).
    let right_named = right.starts_with(|c: char| c.is_ascii_digit() || c.is_uppercase() || "([{".contains(c));
    // Two plain halves of a word (the first may be capitalised) are a syllable break.
    let syllables = left.chars().all(char::is_alphabetic)
        && left.chars().skip(1).all(char::is_lowercase)
        && right.chars().all(char::is_lowercase);
    marks || capitals || prefix || right_named || !syllables
}

fn trim_word(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(text: &str, elsewhere: &str) -> String {
        let marked = text.replace('~', &LINE_END_HYPHEN.to_string());
        let vocabulary = vocabulary([marked.as_str(), elsewhere].into_iter());
        resolve(&marked, &vocabulary)
    }

    #[test]
    fn a_names_own_hyphen_stays_and_a_syllable_break_goes() {
        assert_eq!(
            decided("potassium tert~butoxide (1.2 g)", ""),
            "potassium tert-butoxide (1.2 g)"
        );
        assert_eq!(decided("8-[(2,6~diethyl", ""), "8-[(2,6-diethyl");
        assert_eq!(decided("N,N~dimethylformamide", ""), "N,N-dimethylformamide");
        assert_eq!(decided("(mag~nesium sulfate)", ""), "(magnesium sulfate)");
        assert_eq!(decided("a de~crease of", ""), "a decrease of");
        assert_eq!(decided("2-methyl~4-nitro", ""), "2-methyl-4-nitro");
        assert_eq!(decided("the (S)~enantiomer", ""), "the (S)-enantiomer");
        assert_eq!(decided("sodium sec~butoxide", ""), "sodium sec-butoxide");
        assert_eq!(decided("the sec~ond step", ""), "the second step");
        assert_eq!(decided("Ther~mogravimetric analysis", ""), "Thermogravimetric analysis");
        assert_eq!(
            decided("its syn~thesis and trans~formation", ""),
            "its synthesis and transformation"
        );
    }

    #[test]
    fn the_documents_own_spelling_decides_first() {
        // Elsewhere the document writes it joined: a break.
        assert_eq!(
            decided("iso~propanol was added", "Isopropanol (5 mL)."),
            "isopropanol was added"
        );
        // Elsewhere hyphenated: the word's own.
        assert_eq!(decided("the co~workers", "our co-workers."), "the co-workers");
        // Both halves plain, no evidence: a syllable break.
        assert_eq!(decided("hydro~lysis", ""), "hydrolysis");
    }
}
