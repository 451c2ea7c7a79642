//! The character entities of SGML-era XML (the USPTO's 2001–2004 full text uses ISO 8879 names
//! such as `&mgr;` declared in a DTD that is not shipped): replaced by their characters before
//! parsing. An unknown name stays as written (`&foo;`), so nothing is lost and nothing fails.

/// ISO 8879 and HTML names met in chemistry patents, with their characters.
const ENTITIES: &[(&str, &str)] = &[
    ("agr", "α"),
    ("bgr", "β"),
    ("ggr", "γ"),
    ("dgr", "δ"),
    ("egr", "ε"),
    ("zgr", "ζ"),
    ("eegr", "η"),
    ("thgr", "θ"),
    ("igr", "ι"),
    ("kgr", "κ"),
    ("lgr", "λ"),
    ("mgr", "μ"),
    ("ngr", "ν"),
    ("xgr", "ξ"),
    ("pgr", "π"),
    ("rgr", "ρ"),
    ("sgr", "σ"),
    ("tgr", "τ"),
    ("ugr", "υ"),
    ("phgr", "φ"),
    ("khgr", "χ"),
    ("psgr", "ψ"),
    ("ohgr", "ω"),
    ("Agr", "Α"),
    ("Bgr", "Β"),
    ("Ggr", "Γ"),
    ("Dgr", "Δ"),
    ("Lgr", "Λ"),
    ("Pgr", "Π"),
    ("Sgr", "Σ"),
    ("PHgr", "Φ"),
    ("OHgr", "Ω"),
    ("alpha", "α"),
    ("beta", "β"),
    ("gamma", "γ"),
    ("delta", "δ"),
    ("mu", "μ"),
    ("pi", "π"),
    ("deg", "°"),
    ("plusmn", "±"),
    ("times", "×"),
    ("divide", "÷"),
    ("minus", "−"),
    ("micro", "µ"),
    ("angst", "Å"),
    ("Aring", "Å"),
    ("middot", "·"),
    ("bull", "•"),
    ("le", "≤"),
    ("ge", "≥"),
    ("lE", "≦"),
    ("gE", "≧"),
    ("ne", "≠"),
    ("ap", "≈"),
    ("sim", "∼"),
    ("rarr", "→"),
    ("larr", "←"),
    ("harr", "↔"),
    ("rlarr", "⇄"),
    ("equilibrium", "⇌"),
    ("lsquo", "‘"),
    ("rsquo", "’"),
    ("ldquo", "“"),
    ("rdquo", "”"),
    ("mdash", "—"),
    ("ndash", "–"),
    ("hyphen", "‐"),
    ("prime", "′"),
    ("Prime", "″"),
    ("nbsp", "\u{a0}"),
    ("thinsp", "\u{2009}"),
    ("reg", "®"),
    ("trade", "™"),
    ("copy", "©"),
    ("sect", "§"),
    ("para", "¶"),
    ("frac12", "½"),
    ("frac14", "¼"),
    ("frac34", "¾"),
    ("sup2", "²"),
    ("sup3", "³"),
    ("sup1", "¹"),
    ("infin", "∞"),
    ("square", "□"),
    ("cir", "○"),
    ("eacute", "é"),
    ("egrave", "è"),
    ("aacute", "á"),
    ("agrave", "à"),
    ("iacute", "í"),
    ("oacute", "ó"),
    ("uacute", "ú"),
    ("auml", "ä"),
    ("ouml", "ö"),
    ("uuml", "ü"),
    ("Auml", "Ä"),
    ("Ouml", "Ö"),
    ("Uuml", "Ü"),
    ("ccedil", "ç"),
    ("ntilde", "ñ"),
    ("szlig", "ß"),
];

/// The text with named entities replaced by their characters; XML's own five and numeric
/// references are left to the parser, unknown names kept as text.
pub fn replace_named(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let name_len = rest[1..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .filter(|&n| n > 0 && rest[1 + n..].starts_with(';'));
        let Some(n) = name_len else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..1 + n];
        match ENTITIES.iter().find(|(k, _)| *k == name) {
            Some((_, ch)) => out.push_str(ch),
            None if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") => out.push_str(&rest[..n + 2]),
            None => {
                out.push_str("&amp;");
                out.push_str(&rest[1..n + 2]);
            }
        }
        rest = &rest[n + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_characters_and_unknown_ones_stay_as_written() {
        assert_eq!(
            replace_named("5 &mgr;l at 37&deg; C. &amp; &lt;b&gt; &#946; &foo; & x"),
            "5 μl at 37° C. &amp; &lt;b&gt; &#946; &amp;foo; & x"
        );
    }
}
