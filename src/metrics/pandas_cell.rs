//! What a value looks like after the notebooks' CSV round trip through pandas: empty and
//! NA-like strings become missing (then the string `N/A`), and a column whose every value looks
//! numeric becomes integers or floats. Exact match compares these typed values as Python would.

/// A cell after `read_csv(...).fillna('N/A')`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Float(f64),
}

/// pandas' default NA strings.
const NA_STRINGS: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null",
];

fn is_na(s: &str) -> bool {
    NA_STRINGS.contains(&s)
}

fn as_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn as_float(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.chars().any(|c| c.is_alphabetic() && !matches!(c, 'e' | 'E')) {
        return None;
    }
    t.parse().ok()
}

/// Types one CSV column as pandas would, then fills missing cells with `N/A`.
pub fn type_column(raw: &[Option<String>]) -> Vec<Cell> {
    let present: Vec<&str> = raw.iter().flatten().map(String::as_str).filter(|s| !is_na(s)).collect();
    let has_missing = present.len() < raw.len();
    let all_int = !present.is_empty() && present.iter().all(|s| as_int(s).is_some());
    let all_float = !present.is_empty() && present.iter().all(|s| as_float(s).is_some());
    raw.iter()
        .map(|cell| match cell.as_deref() {
            None => Cell::Text("N/A".into()),
            Some(s) if is_na(s) => Cell::Text("N/A".into()),
            Some(s) if all_int && !has_missing => Cell::Int(as_int(s).unwrap_or_default()),
            Some(s) if all_float => Cell::Float(as_float(s).unwrap_or_default()),
            Some(s) => Cell::Text(s.to_string()),
        })
        .collect()
}

impl Cell {
    /// Python's `str()` of the value.
    pub fn to_python_str(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => python_float_repr(*f),
        }
    }

    /// Python's `==` between the two values.
    pub fn python_eq(&self, other: &Cell) -> bool {
        match (self, other) {
            (Cell::Text(a), Cell::Text(b)) => a == b,
            (Cell::Int(a), Cell::Int(b)) => a == b,
            (Cell::Float(a), Cell::Float(b)) => a == b,
            (Cell::Int(a), Cell::Float(b)) | (Cell::Float(b), Cell::Int(a)) => *a as f64 == *b,
            _ => false,
        }
    }
}

/// `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16.
pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let plain = format!("{f}");
        if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_type_like_pandas() {
        let col = |v: &[Option<&str>]| type_column(&v.iter().map(|s| s.map(String::from)).collect::<Vec<_>>());
        assert_eq!(col(&[Some("6"), Some("7")]), vec![Cell::Int(6), Cell::Int(7)]);
        assert_eq!(
            col(&[Some("6"), None]),
            vec![Cell::Float(6.0), Cell::Text("N/A".into())]
        );
        assert_eq!(
            col(&[Some("6"), Some("MOF-5")]),
            vec![Cell::Text("6".into()), Cell::Text("MOF-5".into())]
        );
        assert_eq!(col(&[Some("NaN")]), vec![Cell::Text("N/A".into())]);
        assert_eq!(Cell::Float(6.0).to_python_str(), "6.0");
        assert!(Cell::Int(6).python_eq(&Cell::Float(6.0)));
        assert!(!Cell::Text("6".into()).python_eq(&Cell::Float(6.0)));
    }

    #[test]
    fn float_repr_matches_python() {
        assert_eq!(python_float_repr(0.5), "0.5");
        assert_eq!(python_float_repr(1e-5), "1e-05");
        assert_eq!(python_float_repr(1e16), "1e+16");
        assert_eq!(python_float_repr(123456.0), "123456.0");
        assert_eq!(python_float_repr(2.5e-4), "0.00025");
    }
}
