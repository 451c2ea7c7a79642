//! Strings that came from outside the user's own hands: a server's ids, messages and error bodies,
//! a paper's text, a file's name. Before such a string reaches a terminal, a log or a config file
//! it passes through here: control characters (an `ESC ]52` clipboard write, a cursor move, a
//! carriage return that overprints) are taken out, long ones are cut with a note, a value that is
//! to become a name or an id is refused whole when it holds any, and a secret that a server echoed
//! back is blotted out.

use std::borrow::Cow;

/// Whether `c` may be shown: not a control character, except a line break or a tab.
fn shown(c: char, keep_breaks: bool) -> bool {
    !c.is_control() || (keep_breaks && (c == '\n' || c == '\t'))
}

/// `text` without control characters; line breaks and tabs are kept (multi-line messages).
pub fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| shown(c, true)) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| shown(c, true)).collect())
    }
}

/// The last `lines` lines of a program's log, progress-bar redraws (carriage returns) reduced
/// to their last state, blank lines and control characters left out.
pub fn log_tail(log: &str, lines: usize) -> String {
    let cleaned: Vec<&str> = log
        .lines()
        .map(|l| l.rsplit('\r').find(|s| !s.trim().is_empty()).unwrap_or(""))
        .filter(|l| !l.trim().is_empty())
        .collect();
    printable(&cleaned[cleaned.len().saturating_sub(lines)..].join("\n")).into_owned()
}

/// `text` on one line: each control character (line breaks too) becomes a space, and past
/// `max_chars` it is cut with a note of how much was left out.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            let rest = text.chars().count() - count;
            out.push_str(&format!("… ({rest} more characters)"));
            return out;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// A value refused because it holds control characters; shown escaped, and cut.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} holds control characters, refused: \"{escaped}\"")]
pub struct Unprintable {
    pub what: String,
    pub escaped: String,
}

/// `value` as it is when it holds no control character at all; otherwise refused, naming `what`
/// (for names, ids and URLs that Retort stores or prints: a model id a service returned).
pub fn plain<'a>(value: &'a str, what: &str) -> Result<&'a str, Unprintable> {
    if value.chars().all(|c| !c.is_control()) {
        return Ok(value);
    }
    Err(Unprintable {
        what: what.to_string(),
        escaped: one_line(&value.escape_debug().to_string(), 200),
    })
}

/// `text` with every occurrence of `secret` blotted out (a key a server echoed in its reply).
pub fn redact<'a>(text: &'a str, secret: Option<&str>) -> Cow<'a, str> {
    match secret {
        Some(secret) if secret.len() >= 4 && text.contains(secret) => Cow::Owned(text.replace(secret, "[redacted]")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_overprinting_are_taken_out_and_breaks_kept() {
        assert_eq!(printable("a\x1b]52;c;aGk=\x07b\r\nc\td"), "a]52;c;aGk=b\nc\td");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        // C1 controls (CSI as one code point) too.
        assert_eq!(printable("x\u{9b}2Jy"), "x2Jy");
    }

    #[test]
    fn one_line_cuts_with_a_note() {
        assert_eq!(one_line("ab\ncd", 10), "ab cd");
        assert_eq!(one_line("abcdef", 3), "abc… (3 more characters)");
    }

    #[test]
    fn ids_with_controls_are_refused_escaped() {
        assert_eq!(plain("ft:gpt-4o:org::abc", "model id"), Ok("ft:gpt-4o:org::abc"));
        let err = plain("x\"\n[[model]]\nname = \"evil\"", "model id").unwrap_err();
        assert!(err.to_string().contains(r#"x\"\n[[model]]"#), "{err}");
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn secrets_are_blotted_out() {
        assert_eq!(redact("bad key sk-12345", Some("sk-12345")), "bad key [redacted]");
        assert_eq!(redact("nothing", Some("sk-12345")), "nothing");
        assert_eq!(redact("sk", None), "sk");
    }
}
