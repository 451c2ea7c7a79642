//! Writes JSON the way the papers' Python code did (`json.dumps` separators, indent and
//! `ensure_ascii`), so that rendering a parsed gold record gives its text back byte for byte.

use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JsonStyle {
    /// `json.dumps(x)`: `", "` and `": "` on one line.
    Python,
    /// `json.dumps(x, indent=1)`.
    PythonIndent1,
    /// No spaces at all: `{"a":"b","c":"d"}`.
    Compact,
    /// Two-space indentation, for people.
    Pretty,
}

pub fn write(value: &serde_json::Value, style: JsonStyle, ensure_ascii: bool) -> String {
    let (indent, item_sep, key_sep): (Option<&[u8]>, &[u8], &[u8]) = match style {
        JsonStyle::Python => (None, b", ", b": "),
        JsonStyle::PythonIndent1 => (Some(b" "), b",", b": "),
        JsonStyle::Compact => (None, b",", b":"),
        JsonStyle::Pretty => (Some(b"  "), b",", b": "),
    };
    let formatter = PyFormatter {
        indent,
        item_sep,
        key_sep,
        ensure_ascii,
        depth: 0,
        has_value: false,
    };
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Writing a `Value` into memory cannot fail.
    let _ = value.serialize(&mut serializer);
    String::from_utf8(out).unwrap_or_default()
}

struct PyFormatter<'a> {
    indent: Option<&'a [u8]>,
    item_sep: &'a [u8],
    key_sep: &'a [u8],
    ensure_ascii: bool,
    depth: usize,
    has_value: bool,
}

impl PyFormatter<'_> {
    fn newline<W: ?Sized + Write>(&self, writer: &mut W) -> io::Result<()> {
        if let Some(indent) = self.indent {
            writer.write_all(b"\n")?;
            for _ in 0..self.depth {
                writer.write_all(indent)?;
            }
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(writer)?;
        }
        self.has_value = true;
        writer.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if !first {
            writer.write_all(self.item_sep)?;
        }
        self.newline(writer)
    }
}

impl Formatter for PyFormatter<'_> {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.item(writer, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.item(writer, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(self.key_sep)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        if !self.ensure_ascii {
            return writer.write_all(fragment.as_bytes());
        }
        for c in fragment.chars() {
            if c.is_ascii() && c != '\u{7f}' {
                writer.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_python_dumps() {
        let v = json!({"b": {"b0": "ZnO"}, "d": {}, "l": {"d0": ["b0"]}, "e": []});
        assert_eq!(
            write(&v, JsonStyle::PythonIndent1, true),
            "{\n \"b\": {\n  \"b0\": \"ZnO\"\n },\n \"d\": {},\n \"l\": {\n  \"d0\": [\n   \"b0\"\n  ]\n },\n \"e\": []\n}"
        );
        let v = json!([{"a": "µ–", "b": ["x", "y"]}]);
        assert_eq!(
            write(&v, JsonStyle::Python, true),
            r#"[{"a": "\u00b5\u2013", "b": ["x", "y"]}]"#
        );
        assert_eq!(write(&v, JsonStyle::Python, false), r#"[{"a": "µ–", "b": ["x", "y"]}]"#);
        assert_eq!(write(&v, JsonStyle::Compact, false), r#"[{"a":"µ–","b":["x","y"]}]"#);
        assert_eq!(write(&json!("𝛼"), JsonStyle::Python, true), r#""\ud835\udefc""#);
    }
}
