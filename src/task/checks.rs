//! Checks a chemist makes at a glance on one value: a yield over 100 %, a temperature no
//! substance or reaction has, an HRMS figure that is not its formula's mass, a generic word where
//! a compound's name belongs, an amount without a unit. `CHECKS` is the one table of them; a
//! task says which apply to which of its fields (`[[check]] field = "Yield"`, `kind =
//! "yield-percent"`), so a user's task adds its own in its TOML.

use serde::{Deserialize, Serialize};

/// One kind of check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// A percentage over 100.
    YieldPercent,
    /// A melting point below absolute zero or above 4000 °C.
    MeltingPoint,
    /// A reaction temperature below absolute zero or above 1500 °C.
    ReactionTemperature,
    /// `calcd for C10H13NO2 …` with a mass that is not the formula's (or its adduct's).
    Hrms,
    /// A word that names no compound: solution, mixture, product, residue…
    GenericWord,
    /// A bare number where an amount or a volume needs its unit.
    AmountUnit,
}

/// A check applied to a task's field, as its TOML lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldCheck {
    pub field: String,
    pub kind: CheckKind,
}

/// What a check tests: the problem with a value, when it has one.
type Test = fn(&str) -> Option<String>;

/// Every check: its kind, its name in a task's TOML and what it tests.
pub const CHECKS: [(CheckKind, &str, Test); 6] = [
    (CheckKind::YieldPercent, "yield-percent", yield_over_100),
    (CheckKind::MeltingPoint, "melting-point", |v| {
        temperature_outside(v, 4000.0, "melting point")
    }),
    (CheckKind::ReactionTemperature, "reaction-temperature", |v| {
        temperature_outside(v, 1500.0, "reaction temperature")
    }),
    (CheckKind::Hrms, "hrms", super::hrms::mismatch),
    (CheckKind::GenericWord, "generic-word", generic_word),
    (CheckKind::AmountUnit, "amount-unit", amount_without_unit),
];

/// What `checks` find wrong with a value of `field`.
pub fn problems(checks: &[FieldCheck], field: &str, value: &str) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c.field == field)
        .filter_map(|c| c.kind.problem(value))
        .collect()
}

impl CheckKind {
    /// What is wrong with `value`, when something is.
    pub fn problem(self, value: &str) -> Option<String> {
        CHECKS
            .iter()
            .find(|(kind, _, _)| *kind == self)
            .and_then(|(_, _, test)| test(value))
    }
}

fn yield_over_100(value: &str) -> Option<String> {
    numbers_before(value, &["%"])
        .into_iter()
        .find(|n| *n > 100.0)
        .map(|n| format!("a yield of {n} % is over 100 %"))
}

/// The numbers of `value` written before one of `units` (spaces between allowed); both ends of
/// a range (`120–150 °C`) count.
fn numbers_before(value: &str, units: &[&str]) -> Vec<f64> {
    let mut out = Vec::new();
    let mut pending: Vec<f64> = Vec::new();
    for token in tokens(value) {
        match token {
            Token::Number(n) => pending.push(n),
            Token::Range => {}
            // A degree sign apart from its letter (`120 ° C`) joins them.
            Token::Word("°") => {}
            Token::Word(word) => {
                if units.iter().any(|u| is_unit(word, u)) {
                    out.append(&mut pending);
                }
                pending.clear();
            }
        }
    }
    out
}

/// `word` is `unit`, perhaps with punctuation after it (`°C,`), not a longer word (`Cl`).
fn is_unit(word: &str, unit: &str) -> bool {
    word.strip_prefix(unit)
        .is_some_and(|rest| !rest.starts_with(char::is_alphabetic))
}

enum Token<'a> {
    Number(f64),
    /// A dash or `to` between two numbers.
    Range,
    Word(&'a str),
}

/// Numbers (a leading minus sign or U+2212 kept) and the words between them.
fn tokens(value: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = value.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let signed = matches!(c, '-' | '−') && chars.get(i + 1).is_some_and(|(_, d)| d.is_ascii_digit());
        let after_number = matches!(out.last(), Some(Token::Number(_)));
        if c.is_ascii_digit() || (signed && !after_number) {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].1.is_ascii_digit() || chars[j].1 == '.') {
                j += 1;
            }
            let end = chars.get(j).map_or(value.len(), |(e, _)| *e);
            let text = value[at..end].replace('−', "-");
            if let Ok(n) = text.parse::<f64>() {
                out.push(Token::Number(n));
            }
            i = j;
        } else if matches!(c, '-' | '–' | '−' | '~') || value[at..].starts_with("to ") {
            out.push(Token::Range);
            i += if value[at..].starts_with("to ") { 2 } else { 1 };
        } else if c.is_whitespace() || c == '(' || c == ')' || c == ',' {
            i += 1;
        } else {
            let mut j = i + 1;
            while j < chars.len() && !chars[j].1.is_whitespace() && !chars[j].1.is_ascii_digit() && chars[j].1 != ',' {
                j += 1;
            }
            let end = chars.get(j).map_or(value.len(), |(e, _)| *e);
            out.push(Token::Word(&value[at..end]));
            i = j;
        }
    }
    out
}

/// Temperatures of `value` in °C (from °C, K or °F), outside absolute zero to `ceiling`.
fn temperature_outside(value: &str, ceiling: f64, what: &str) -> Option<String> {
    let celsius = numbers_before(value, &["°C", "℃", "oC", "C"])
        .into_iter()
        .chain(numbers_before(value, &["K"]).into_iter().map(|k| k - 273.15))
        .chain(
            numbers_before(value, &["°F", "F"])
                .into_iter()
                .map(|f| (f - 32.0) * 5.0 / 9.0),
        );
    let odd = celsius.into_iter().find(|c| *c < -273.15 || *c > ceiling)?;
    Some(if odd < -273.15 {
        format!("a {what} of {odd:.0} °C is below absolute zero")
    } else {
        format!("a {what} of {odd:.0} °C is above {ceiling:.0} °C")
    })
}

/// Words that stand for a substance in a procedure but name none.
const GENERIC_WORDS: &[&str] = &[
    "solution",
    "mixture",
    "reaction mixture",
    "product",
    "crude product",
    "crude",
    "title compound",
    "compound",
    "residue",
    "filtrate",
    "precipitate",
    "solid",
    "oil",
    "organic layer",
    "aqueous layer",
    "organic phase",
    "aqueous phase",
    "organic layers",
    "extract",
    "extracts",
    "suspension",
    "slurry",
    "material",
    "starting material",
    "reagent",
    "solvent",
];

fn generic_word(value: &str) -> Option<String> {
    let lower = crate::ground::normalize(value).to_lowercase();
    let bare = lower
        .strip_prefix("the ")
        .or_else(|| lower.strip_prefix("a "))
        .unwrap_or(&lower);
    GENERIC_WORDS
        .contains(&bare)
        .then(|| format!("\"{value}\" is a generic word, not a compound's name"))
}

fn amount_without_unit(value: &str) -> Option<String> {
    let trimmed = value.trim();
    let bare = !trimmed.is_empty()
        && trimmed.chars().any(|c| c.is_ascii_digit())
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '-' | '–' | '/' | '|'));
    bare.then(|| format!("the amount {trimmed} has no unit"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yields() {
        assert!(CheckKind::YieldPercent.problem("105%").is_some());
        assert!(CheckKind::YieldPercent.problem("quant., 101.5 %").is_some());
        assert_eq!(CheckKind::YieldPercent.problem("95%"), None);
        assert_eq!(CheckKind::YieldPercent.problem("250 mg"), None, "a mass is not a yield");
    }

    #[test]
    fn temperatures() {
        let melting = CheckKind::MeltingPoint;
        assert_eq!(melting.problem("mp 123-125 °C"), None);
        assert!(melting.problem("-300 °C").unwrap().contains("absolute zero"));
        assert!(melting.problem("12500 °C").unwrap().contains("above 4000"));
        assert_eq!(melting.problem("77 K"), None);
        let reaction = CheckKind::ReactionTemperature;
        assert_eq!(reaction.problem("−78 °C"), None);
        assert_eq!(reaction.problem("120 °C to 150 °C"), None);
        assert_eq!(reaction.problem("room temperature"), None);
        assert!(reaction.problem("2200 °C").is_some());
        assert!(reaction.problem("-5 K").is_some());
    }

    #[test]
    fn generic_words_and_names() {
        for word in [
            "solution",
            "The reaction mixture",
            "product",
            "title compound",
            "Residue",
        ] {
            assert!(CheckKind::GenericWord.problem(word).is_some(), "{word}");
        }
        for name in ["sodium hydroxide solution", "ethyl acetate", "2-picolinic acid", "N2"] {
            assert_eq!(CheckKind::GenericWord.problem(name), None, "{name}");
        }
    }

    #[test]
    fn amounts() {
        assert!(CheckKind::AmountUnit.problem("0.5").is_some());
        assert!(CheckKind::AmountUnit.problem("1.2 | 3").is_some());
        assert_eq!(CheckKind::AmountUnit.problem("0.5 mmol"), None);
        assert_eq!(CheckKind::AmountUnit.problem("10 mL"), None);
        assert_eq!(CheckKind::AmountUnit.problem("NaN"), None, "the data's missing marker");
    }

    #[test]
    fn every_kind_is_in_the_table() {
        use strum::IntoEnumIterator;
        for kind in CheckKind::iter() {
            assert!(CHECKS.iter().any(|(k, _, _)| *k == kind), "{kind:?}");
            let name = CHECKS.iter().find(|(k, _, _)| *k == kind).unwrap().1;
            let from_toml: CheckKind = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(from_toml, kind, "the table's name is the TOML's");
        }
    }
}
