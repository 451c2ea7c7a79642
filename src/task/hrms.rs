//! The HRMS check: `calcd for C10H13NO2Na [M+Na]+ 218.0788, found 218.0790` says a formula, the
//! mass calculated for it and the mass found. The calculated mass must be the formula's
//! monoisotopic mass, or that mass with the adduct the text names (authors write the neutral or
//! the ion's formula), and the found mass must lie within 10 ppm of it.

/// Monoisotopic masses of the elements HRMS reports name (most abundant isotope; D for ²H).
const MASSES: &[(&str, f64)] = &[
    ("H", 1.007_825_032),
    ("D", 2.014_101_778),
    ("B", 11.009_305_5),
    ("C", 12.0),
    ("N", 14.003_074_005),
    ("O", 15.994_914_622),
    ("F", 18.998_403_2),
    ("Na", 22.989_769_66),
    ("Mg", 23.985_041_9),
    ("Si", 27.976_926_53),
    ("P", 30.973_761_51),
    ("S", 31.972_070_69),
    ("Cl", 34.968_852_71),
    ("K", 38.963_706_9),
    ("Fe", 55.934_937_5),
    ("Cu", 62.929_598_9),
    ("Zn", 63.929_144_8),
    ("Se", 79.916_519_6),
    ("Br", 78.918_337_6),
    ("Pd", 105.903_483),
    ("Sn", 119.902_199),
    ("I", 126.904_468),
    ("Pt", 194.964_774),
    ("Li", 7.016_004),
];

/// Mass differences of the adducts a text names, from the neutral molecule M (a proton's mass,
/// not a hydrogen atom's).
const ADDUCTS: &[(&str, f64)] = &[
    ("M+H", 1.007_276),
    ("M+Na", 22.989_218),
    ("M+K", 38.963_158),
    ("M+NH4", 18.033_823),
    ("M-H", -1.007_276),
    ("M+", 0.0),
];

/// How far a stated calculated mass may be from the formula's: rounding and an electron's mass.
const CALCULATED_TOLERANCE: f64 = 0.003;
const FOUND_PPM: f64 = 10.0;

/// What is wrong with an HRMS statement, when something is; `None` also for text that states
/// no formula and mass.
pub fn mismatch(value: &str) -> Option<String> {
    let lower = value.to_lowercase();
    let after = &value[lower.find("calc")?..];
    let formula = after.split_whitespace().find_map(formula_mass)?;
    let masses = decimals(after);
    let calculated = *masses.first()?;
    let adduct = ADDUCTS
        .iter()
        .find(|(name, _)| value.replace(' ', "").contains(name))
        .map_or(0.0, |(_, shift)| *shift);
    let candidates = [formula.1, formula.1 + adduct];
    if !candidates
        .iter()
        .any(|m| (m - calculated).abs() <= CALCULATED_TOLERANCE)
    {
        return Some(format!(
            "HRMS: calcd {calculated} is not the mass of {} ({:.4})",
            formula.0, candidates[1]
        ));
    }
    let found_at = lower.find("found")?;
    let found = *decimals(&value[found_at..]).first()?;
    let ppm = (found - calculated).abs() / calculated * 1e6;
    (ppm > FOUND_PPM).then(|| format!("HRMS: found {found} is {ppm:.0} ppm from calcd {calculated}"))
}

/// Numbers with at least three decimals (masses), in order.
fn decimals(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|t| t.split_once('.').is_some_and(|(_, d)| d.len() >= 3))
        .filter_map(|t| t.trim_end_matches('.').parse().ok())
        .collect()
}

/// A word that is a molecular formula (`C10H13NO2Na`, perhaps with a charge or punctuation after
/// it) and its monoisotopic mass.
fn formula_mass(word: &str) -> Option<(String, f64)> {
    let formula = word.trim_end_matches(['+', '-', ',', ':', ';', ')', ']']);
    let formula = formula.trim_start_matches(['(', '[']);
    if formula.len() < 2 || !formula.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let chars: Vec<char> = formula.chars().collect();
    let (mut mass, mut i, mut elements) = (0.0, 0, 0);
    while i < chars.len() {
        if !chars[i].is_ascii_uppercase() {
            return None;
        }
        let mut symbol = chars[i].to_string();
        i += 1;
        if i < chars.len() && chars[i].is_ascii_lowercase() {
            symbol.push(chars[i]);
            i += 1;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let count: u32 = if start == i {
            1
        } else {
            chars[start..i].iter().collect::<String>().parse().ok()?
        };
        let (_, atom) = MASSES.iter().find(|(s, _)| *s == symbol)?;
        mass += atom * f64::from(count);
        elements += 1;
    }
    (elements >= 2).then(|| (formula.to_string(), mass))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_weigh_what_they_should() {
        let (_, water) = formula_mass("H2O").unwrap();
        assert!((water - 18.010_565).abs() < 1e-5);
        let (_, caffeine) = formula_mass("C8H10N4O2").unwrap();
        assert!((caffeine - 194.080_376).abs() < 1e-5);
        assert_eq!(formula_mass("HRMS"), None);
        assert_eq!(formula_mass("ESI"), None);
    }

    #[test]
    fn a_right_statement_passes_and_wrong_ones_are_named() {
        // Caffeine [M+H]+: 194.0804 + 1.0073 = 195.0877.
        assert_eq!(
            mismatch("HRMS (ESI) calcd for C8H10N4O2 [M+H]+ 195.0877, found 195.0874"),
            None
        );
        assert_eq!(
            mismatch("HRMS calcd for C8H11N4O2+ (M+H)+: 195.0877; found: 195.0880."),
            None
        );
        let wrong_formula = mismatch("HRMS (ESI) calcd for C8H10N4O2 [M+H]+ 209.1033, found 209.1030").unwrap();
        assert!(wrong_formula.contains("not the mass of C8H10N4O2"), "{wrong_formula}");
        let far = mismatch("HRMS (ESI) calcd for C8H10N4O2 [M+H]+ 195.0877, found 195.1877").unwrap();
        assert!(far.contains("ppm"), "{far}");
        assert_eq!(mismatch("1H NMR (400 MHz, CDCl3) δ 7.26"), None);
    }
}
