//! Where a chemical name, a solvent mixture or a quantity written in the source ends, for `e`
//! while choosing a value's words: `acetic` → `acetic acid`, `sodium` → `sodium hydrogen
//! carbonate`, `ethyl` → `ethyl acetate/hexane`, `24` → `24 mg, 0.145 mmol`.

use std::ops::Range;

/// The last word of the name or quantity that goes on from word `last` of `words`.
pub fn name_end(paragraph: &str, words: &[Range<usize>], last: usize) -> usize {
    let word = |at: usize| &paragraph[words[at].clone()];
    let between = |at: usize| &paragraph[words[at].end..words[at + 1].start];
    if is_number(word(last)) {
        return quantity_end(paragraph, words, last);
    }
    let mut end = last;
    while end + 1 < words.len() {
        let gap = between(end);
        let next = word(end + 1);
        let joined = gap.chars().all(char::is_whitespace) && continues_a_name(next);
        // A mixture's parts are joined by `/` or `:` with no space (`EtOAc/hexane`, `DCM:MeOH`).
        let mixed = matches!(gap, "/" | ":") && next.chars().next().is_some_and(char::is_alphabetic);
        if !(joined || mixed) {
            break;
        }
        end += 1;
    }
    end
}

/// A number's unit (`24 mg`, `120 °C`), and the same amount written again after a comma
/// (`24 mg, 0.145 mmol`), as amounts are reported.
fn quantity_end(paragraph: &str, words: &[Range<usize>], number: usize) -> usize {
    let word = |at: usize| words.get(at).map(|w| &paragraph[w.clone()]);
    let spaced = |at: usize| paragraph[words[at].end..words[at + 1].start].trim().is_empty();
    let unit = |at: usize| word(at).is_some_and(is_unit) && spaced(at - 1);
    if !unit(number + 1) {
        return number;
    }
    let end = number + 1;
    let again = word(end + 1).is_some_and(is_number)
        && paragraph[words[end].end..words[end + 1].start].trim() == ","
        && unit(end + 2);
    if again { end + 2 } else { end }
}

fn is_number(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_digit())
        && word.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
}

/// A unit of amount, mass, volume, concentration, temperature or time.
fn is_unit(word: &str) -> bool {
    const UNITS: [&str; 31] = [
        "g", "mg", "kg", "μg", "mol", "mmol", "μmol", "umol", "mL", "ml", "L", "μL", "uL", "M", "mM", "μM", "N", "°C",
        "K", "h", "hr", "hrs", "min", "s", "d", "days", "wt%", "%", "equiv", "eq", "nmol",
    ];
    UNITS.contains(&word.trim_end_matches([',', ')', '.']))
}

/// Words that go on naming a compound after its first word: classes and counter-ions (`acid`,
/// `ester`, `hydroxide`, `acetate`), substituents (`methyl`), hydrates and salts, the
/// hydrogen of acid salts (`sodium hydrogen carbonate`) and ammonium of double salts.
fn continues_a_name(word: &str) -> bool {
    const ENDINGS: [&str; 16] = [
        "ide", "ate", "ite", "yl", "ester", "ether", "acid", "hydrate", "ane", "ene", "yne", "ol", "amine", "amide",
        "one", "salt",
    ];
    const WORDS: [&str; 4] = ["hydrogen", "dihydrogen", "ammonium", "gel"];
    let lower = word.to_lowercase();
    let named = ENDINGS.iter().any(|e| lower.ends_with(e)) && lower.chars().count() >= 4;
    lower.chars().all(|c| c.is_alphabetic() || c == '-')
        && word.chars().next().is_some_and(char::is_lowercase)
        && (named || WORDS.contains(&lower.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_words_are_the_classes_ions_and_substituents() {
        for word in [
            "acid",
            "ester",
            "hydroxide",
            "acetate",
            "methyl",
            "monohydrate",
            "hydrochloride",
            "ether",
            "hydrogen",
        ] {
            assert!(continues_a_name(word), "{word}");
        }
        for word in ["was", "and", "with", "water", "mixture", "Acid", "1.0", "(2"] {
            assert!(!continues_a_name(word), "{word}");
        }
    }
}
